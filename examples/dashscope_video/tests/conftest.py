"""Fixtures: a fake provider per test (scripts/fake_provider.py) and settings that poll quickly.

dify_plugin is imported first, as `python -m main` does: its gevent patch then covers the whole test process
(the fake's server threads, the client's sleeps and sockets) the same way it covers the running plugin.
The ``job`` fixture runs a test once per job tool this rendering has (text2image, image_edit, text2video).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dify_plugin  # noqa: F401  (first: gevent's monkey patch, as in production)
import pytest
from fake_provider import FakeProvider, Scenario
from support import (
    JOB_KIND_PARAMS,
    JOB_TOOLS,
    SETTINGS,
    JobKind,
    StartFake,
    VirtualClock,
    has_tool,
    quick,
    settings_for,
)

import job_client
from job_client import JobClient
from job_client import settings as settings_module
from job_client.settings import Settings

# What the glue's load_settings(tool=...) returns instead of settings.yaml: (path, tool) -> Settings.
UseSettings = Callable[..., None]


@pytest.fixture(scope="session")
def settings() -> Settings:
    """The rendering's top-level settings, unchanged (used where real timing is the point)."""
    return SETTINGS


@pytest.fixture(scope="session")
def quick_settings() -> Settings:
    """The same API, polled every 0.1 s so that async cases take milliseconds; polling timing is tested apart."""
    return quick(SETTINGS)


@pytest.fixture
def clock() -> VirtualClock:
    """A virtual clock for a JobClient and its fake: timing is asserted on it, never on the wall clock."""
    return VirtualClock()


@pytest.fixture
def glue_clock(clock: VirtualClock, monkeypatch: pytest.MonkeyPatch) -> VirtualClock:
    """Every JobClient the Dify glue builds runs on this virtual clock (pass it to start_fake as well)."""
    real_init = JobClient.__init__

    def init(self: JobClient, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("clock", clock)
        kwargs.setdefault("sleep", clock.sleep)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(JobClient, "__init__", init)
    return clock


@pytest.fixture(params=JOB_KIND_PARAMS)
def job(request: pytest.FixtureRequest) -> JobKind:
    """One job tool of this rendering (its settings section and parameters)."""
    return request.param


@pytest.fixture
def start_fake(quick_settings: Settings) -> Iterator[StartFake]:
    """``start_fake(job_seconds=1, outcome="failed")`` or ``start_fake(Scenario(...), settings=...)``: stopped after.

    ``clock=`` (a VirtualClock) puts the fake on the same virtual clock as a client built with it.

    Without ``settings=``, the fake follows the ``quick_settings`` fixture (a test module may override it).
    """
    started: list[FakeProvider] = []

    def _start(
        scenario: Scenario | None = None,
        *,
        settings: Settings | None = None,
        clock: VirtualClock | None = None,
        **fields: Any,
    ) -> FakeProvider:
        timing: dict[str, Any] = {"clock": clock, "sleep": clock.sleep} if clock else {}
        fake = FakeProvider(settings or quick_settings, scenario or Scenario(**fields), **timing).start()
        started.append(fake)
        return fake

    yield _start
    for fake in started:
        fake.stop()


@pytest.fixture
def use_settings(monkeypatch: pytest.MonkeyPatch) -> UseSettings:
    """Make the Dify glue (every tool and the provider) load the given settings instead of settings.yaml.

    ``use_settings(s)`` replaces the top-level (text2image and credential check) settings;
    ``use_settings(s, tool="image_edit")`` replaces one tool's section. Sections not replaced load as usual.
    """
    replaced: dict[str, Settings] = {}
    real_load = settings_module.load_settings

    def load(path: Path = settings_module.SETTINGS_FILE, tool: str = settings_module.BASE_TOOL) -> Settings:
        return replaced.get(tool) or real_load(path, tool)

    # The glue imports load_settings from the job_client package when it runs (not at start-up), so that is the
    # name replaced; job_client's own modules and the scripts are not affected.
    monkeypatch.setattr(job_client, "load_settings", load)

    def _use(settings: Settings, tool: str = settings_module.BASE_TOOL) -> None:
        replaced[tool] = settings

    return _use


@pytest.fixture
def quick_glue(use_settings: UseSettings) -> None:
    """Every tool's glue polls quickly (the settings' own layout and limits are kept)."""
    use_settings(quick(SETTINGS))
    for tool in JOB_TOOLS:
        if tool != settings_module.BASE_TOOL and has_tool(tool):
            use_settings(quick(settings_for(tool)), tool=tool)
