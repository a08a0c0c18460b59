"""Fixtures: a fake provider per test (scripts/fake_provider.py) and settings that poll quickly.

dify_plugin is imported first, as `python -m main` does: its gevent patch then covers the whole test process
(the fake's server threads, the client's sleeps and sockets) the same way it covers the running plugin.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Iterator
from typing import Any

import dify_plugin  # noqa: F401  (first: gevent's monkey patch, as in production)
import pytest
from fake_provider import FakeProvider, Scenario
from support import SETTINGS, StartFake, provider_class

from job_client.settings import Settings


@pytest.fixture(scope="session")
def settings() -> Settings:
    """The rendering's settings, unchanged (used where real timing is the point)."""
    return SETTINGS


@pytest.fixture(scope="session")
def quick_settings() -> Settings:
    """The same API, polled every 0.1 s so that async cases take milliseconds; polling timing is tested apart."""
    poll = dataclasses.replace(SETTINGS.poll, first_delay=0.05, interval=0.1)
    return dataclasses.replace(SETTINGS, poll=poll)


@pytest.fixture
def start_fake(quick_settings: Settings) -> Iterator[StartFake]:
    """``start_fake(job_seconds=1, outcome="failed")`` or ``start_fake(Scenario(...), settings=...)``: stopped after."""
    started: list[FakeProvider] = []

    def _start(scenario: Scenario | None = None, *, settings: Settings | None = None, **fields: Any) -> FakeProvider:
        fake = FakeProvider(settings or quick_settings, scenario or Scenario(**fields)).start()
        started.append(fake)
        return fake

    yield _start
    for fake in started:
        fake.stop()


@pytest.fixture
def use_settings(monkeypatch: pytest.MonkeyPatch) -> Callable[[Settings], None]:
    """Make the Dify glue (tool and provider) load the given settings instead of settings.yaml."""
    glue_modules = [importlib.import_module("tools.text2image"), importlib.import_module(provider_class().__module__)]

    def _use(settings: Settings) -> None:
        for module in glue_modules:
            monkeypatch.setattr(module, "load_settings", lambda: settings)

    return _use
