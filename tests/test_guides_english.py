"""The English guides' commands run: README.md's (the longest walk) and the generated AGENTS.md's, in a module of
their own so that pytest-xdist walks them beside the Chinese guides (tests/test_guides.py, which holds the rules
and shares the results of read-only commands with these walks)."""

from __future__ import annotations

from pathlib import Path

import pytest

from test_guides import PLUGIN_GUIDE, walk_and_check

ENGLISH_GUIDES = ["README.md", PLUGIN_GUIDE]


@pytest.mark.slow
@pytest.mark.parametrize("guide", ENGLISH_GUIDES)
def test_every_quoted_command_of_the_english_guides_runs(
    guide: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    walk_and_check(guide, tmp_path, tmp_path_factory.getbasetemp(), capsys)
