"""Shared fixtures: render the template through Copier's API, from the working tree (vcs_ref="HEAD")."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import copier
import pytest

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template"
EXAMPLES = ROOT / "examples"
SCRIPTS = TEMPLATE / "scripts"
PYTHON = sys.executable


def render(dst: Path, **data: Any) -> Path:
    """Render the template into dst with the given answers; every other answer takes its default."""
    copier.run_copy(str(ROOT), dst, data=data, defaults=True, vcs_ref="HEAD", quiet=True)
    return dst


def run(
    args: list[str], cwd: Path, timeout: float = 300, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run a command, capturing its output as text."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=full_env)


@pytest.fixture
def render_plugin(tmp_path: Path):
    """Render with answers into a fresh folder: ``render_plugin(plugin_name="x", mode="sync")``."""
    counter = iter(range(1000))

    def _render(**data: Any) -> Path:
        return render(tmp_path / f"plugin{next(counter)}", **data)

    return _render


@pytest.fixture(scope="session")
def default_plugin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One rendering with every default answer (the Qwen-Image plugin), shared by read-only tests."""
    return render(tmp_path_factory.mktemp("default") / "plugin")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules with the most slow tests run first: pytest-xdist hands out one module per worker in this order, so
    the longest modules start at once and the short ones fill the gaps (the shortest wall time overall)."""
    slow_tests: dict[str, int] = {}
    for item in items:
        module = item.nodeid.split("::")[0]
        slow_tests[module] = slow_tests.get(module, 0) + (item.get_closest_marker("slow") is not None)
    items.sort(key=lambda item: -slow_tests[item.nodeid.split("::")[0]])  # stable: the order within a module stays
