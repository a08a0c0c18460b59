"""Copier's prompts, driven as a person drives them: in a pseudo-terminal, with arrow keys and Enter.

Strategy: pexpect runs `copier copy` on this working tree and answers each question as it appears (Enter keeps
the default; the multi-line `api_overrides` is finished with Esc then Enter, as its help says). The custom
preset once crashed here before its first API question (Copier validates a default before asking it); now every
default is valid, so accepting them all renders a plugin.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pexpect
import pytest
import yaml

from conftest import ROOT

DOWN = "\x1b[B"
# Copier marks every question with a microphone, then the help in bold; redraws repeat the same line.
QUESTION = re.compile("\U0001f3a4\x1b\\[0;1m (?P<help>[^\x1b\r\n]+)")


def answer_every_prompt(destination: Path, first_keys: str) -> tuple[list[str], str]:
    """Run `copier copy` interactively: first_keys for the first question, the default for every other."""
    child = pexpect.spawn(
        sys.executable,
        ["-m", "copier", "copy", "--vcs-ref", "HEAD", str(ROOT), str(destination)],
        cwd=str(destination.parent),
        env={"TERM": "xterm", "COLUMNS": "80", "LINES": "40", "PATH": "/usr/bin:/bin", "HOME": str(destination.parent)},
        encoding="utf-8",
        timeout=60,
        dimensions=(40, 80),
    )
    asked: list[str] = []
    keys = first_keys
    while child.expect([QUESTION, pexpect.EOF]) == 0:
        help_text = child.match.group("help").strip()
        if asked and help_text == asked[-1]:
            continue  # the same prompt redrawn
        asked.append(help_text)
        # A multi-line YAML answer ends with Esc, Enter; every other prompt takes Enter.
        child.send(keys + ("\x1b\r" if help_text.startswith("Changes to the preset") else "\r"))
        keys = ""
    child.close()
    return asked, child.before or ""


@pytest.mark.slow  # about 25 s: Copier renders every question's default as it goes
def test_the_custom_preset_renders_when_every_default_is_accepted(tmp_path: Path) -> None:
    destination = tmp_path / "custom_plugin"
    # The menu lists the presets by file name with custom last, starting on the default (modelscope).
    names = sorted(path.stem for path in (ROOT / "presets").glob("*.yml") if path.stem != "custom") + ["custom"]
    asked, tail = answer_every_prompt(destination, DOWN * (names.index("custom") - names.index("modelscope")))
    assert (destination / "manifest.yaml").is_file(), f"nothing was written; asked {asked}; last output {tail!r}"
    assert [line for line in asked if len("🎤 ") + 1 + len(line) > 80] == []  # the microphone is two columns wide
    answers = yaml.safe_load((destination / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert answers["api_preset"] == "custom" and answers["advanced"] is True
    assert answers["api_overrides"] == {"api": {"base_url": "https://api.example.com/v1"}}
    # One models question for every tool, one default-models question behind `advanced`.
    assert answers["models"] == answers["default_models"] == ["text2image:my-image-model"]
    settings = yaml.safe_load((destination / "job_client" / "settings.yaml").read_text(encoding="utf-8"))
    assert settings["base_url"] == "https://api.example.com/v1"
