"""The README's commands run: the longest guide walk, in a module of its own so that pytest-xdist runs it beside
the other guides' walks (tests/test_guides.py, which holds the rules and shares results with this walk)."""

from __future__ import annotations

from pathlib import Path

import pytest

from test_guides import walk_and_check


@pytest.mark.slow
def test_every_quoted_command_of_the_readme_runs(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    walk_and_check("README.md", tmp_path, tmp_path_factory.getbasetemp(), capsys)
