"""Shared fixtures: render the template through Copier's API, from the working tree (vcs_ref="HEAD")."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
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


def load_script(name: str) -> ModuleType:
    """Import template/scripts/<name>.py by path; it imports its sibling `difypkg` by name."""
    spec = importlib.util.spec_from_file_location(f"template_scripts_{name}", SCRIPTS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    saved_path = list(sys.path)
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path[:] = saved_path  # the script puts scripts/ on sys.path; keep the test session's path as it was
    return module


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write {relative path: text or bytes} under root, creating folders."""
    for relative_path, content in files.items():
        path = root / relative_path
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def copy_working_tree(destination: Path) -> Path:
    """This working tree's tracked and untracked (not ignored) files, copied to destination (no .git)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():  # a file deleted but not yet staged is still listed
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target, follow_symlinks=False)
    return destination


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
