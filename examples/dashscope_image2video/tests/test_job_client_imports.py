"""job_client/ is provider-neutral plain Python: it never imports dify_plugin, directly or through another module.

Strategy: parse every Python file in job_client/ with ``ast`` and list what it imports (``import x``,
``from x import y``, at any depth, under ``if TYPE_CHECKING`` too); then import the package in a fresh interpreter
and check that dify_plugin was never loaded. The Dify glue lives in tools/ and provider/; keeping the client free
of the SDK is what lets scripts, benchmarks and other hosts use it without gevent's patching.

The other way round, the glue imports job_client (and the client Pillow) only when a tool or the credential check
runs: the daemon waits for start-up, so a fresh interpreter loads main.py as ``python -m main`` does and checks
that neither was loaded.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import PLUGIN_ROOT

JOB_CLIENT = PLUGIN_ROOT / "job_client"
FORBIDDEN = "dify_plugin"


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every import statement in the file; ``from . import x`` counts as the package itself."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((node.lineno, "." * node.level + (node.module or "")))
    return found


def forbidden_imports(directory: Path) -> list[str]:
    return [
        f"{path.relative_to(directory.parent)}:{line}: {module}"
        for path in sorted(directory.rglob("*.py"))
        for line, module in imported_modules(path)
        if module == FORBIDDEN or module.startswith(FORBIDDEN + ".")
    ]


def test_no_file_in_job_client_imports_dify_plugin() -> None:
    files = sorted(JOB_CLIENT.rglob("*.py"))
    assert len(files) >= 5, files  # the package really was found and parsed
    assert sum(len(imported_modules(path)) for path in files) > 10  # and its imports were seen
    assert forbidden_imports(JOB_CLIENT) == []


@pytest.mark.parametrize(
    "source",
    [
        "import dify_plugin\n",
        "from dify_plugin.entities.tool import ToolInvokeMessage\n",
        "if True:\n    import dify_plugin.x\n",
    ],
)
def test_the_check_catches_an_import_of_dify_plugin(tmp_path: Path, source: str) -> None:
    package = tmp_path / "job_client"
    package.mkdir()
    (package / "clean.py").write_text("import requests\nfrom job_client.paths import find_all\n", encoding="utf-8")
    (package / "glue.py").write_text(source, encoding="utf-8")
    (offender,) = forbidden_imports(package)
    assert offender.startswith("job_client/glue.py:")


def test_importing_job_client_never_loads_dify_plugin() -> None:
    """Transitive imports too: a fresh interpreter imports every job_client module, then looks at sys.modules."""
    modules = [f"job_client.{path.stem}" for path in sorted(JOB_CLIENT.glob("*.py")) if path.stem != "__init__"]
    code = (
        f"import sys, importlib\nfor name in {modules!r}: importlib.import_module(name)\n"
        f"print({FORBIDDEN!r} in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=PLUGIN_ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_plugin_start_up_loads_neither_job_client_nor_pillow() -> None:
    """main.py builds the Plugin (the SDK imports the provider and every tool module) without loading either."""
    code = "import sys, main\nprint(sorted({name.split('.')[0] for name in sys.modules} & {'job_client', 'PIL'}))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PLUGIN_ROOT,
        env={**os.environ, "INSTALL_METHOD": "local"},  # as the daemon starts it (and not a developer's .env)
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
