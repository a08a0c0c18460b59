"""ruff, as CI runs it: this repository (its ruff.toml) and rendered plugins (their own ruff.toml).

Strategy: `ruff check` and `ruff format --check` over the repository, then over the default rendering and each
committed example. Files whose names are Jinja conditions (the image_edit and video tests) exist only in a
rendering that has the tool, and `.jinja` files are not Python until rendered: the examples cover those tools.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import EXAMPLES, PYTHON, ROOT, run

COMMANDS = (["check", "--no-cache", "."], ["format", "--no-cache", "--check", "."])


def ruff(folder: Path) -> list[str]:
    """Each ruff command's report for folder; empty when the folder is clean."""
    reports = []
    for command in COMMANDS:
        result = run([PYTHON, "-m", "ruff", *command], cwd=folder, timeout=120)
        assert result.returncode in (0, 1), result.stderr  # 2: ruff itself failed
        if result.returncode:
            reports.append(f"ruff {' '.join(command)} in {folder}:\n{result.stdout}{result.stderr}")
    return reports


def test_the_repository_is_ruff_clean() -> None:
    assert ruff(ROOT) == []


def test_a_rendered_plugin_is_ruff_clean(default_plugin: Path) -> None:
    assert (default_plugin / "ruff.toml").is_file()
    assert ruff(default_plugin) == []


@pytest.mark.parametrize("example", sorted(path.name for path in EXAMPLES.iterdir() if path.is_dir()))
def test_each_example_is_ruff_clean(example: str) -> None:
    assert ruff(EXAMPLES / example) == []


def test_ruff_reports_a_badly_formatted_file(tmp_path: Path) -> None:
    (tmp_path / "ruff.toml").write_text("line-length = 120\n", encoding="utf-8")
    (tmp_path / "bad.py").write_text("import os\nx=1\n", encoding="utf-8")
    reports = ruff(tmp_path)
    assert len(reports) == 2 and "Remove unused import" in reports[0] and "1 file would be reformatted" in reports[1]
