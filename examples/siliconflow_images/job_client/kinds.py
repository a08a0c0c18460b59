"""The tool kinds as data (job_client/kinds.yml, rendered from the template's includes/tools.yml).

Code that differs by kind reads it here instead of naming kinds, so a new kind is a data entry and its glue file.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

KINDS_FILE = Path(__file__).with_name("kinds.yml")
# Every kind has these inputs; the others (an input image) are what a kind cannot work without besides them.
COMMON_INPUTS = ("prompt", "model")


@functools.cache
def kinds() -> dict[str, dict[str, Any]]:
    """Every tool kind by name, in includes/tools.yml's order."""
    with KINDS_FILE.open(encoding="utf-8") as stream:
        return yaml.safe_load(stream) or {}


def job_tools() -> tuple[str, ...]:
    """The tools that start a generation job, one per kind, in includes/tools.yml's order."""
    return tuple(kinds())


def required_inputs(tool: str) -> tuple[str, ...]:
    """The inputs a tool cannot work without besides the prompt and the model ({} for a tool of no kind)."""
    inputs = kinds().get(tool, {}).get("inputs", [])
    return tuple(name for name in inputs if name not in COMMON_INPUTS)


def takes_image(tool: str) -> bool:
    """Whether the kind's tools take an input image."""
    return "image" in required_inputs(tool)


def async_only(tool: str) -> bool:
    """Whether the kind waits on a job only an asynchronous API gives (mode async)."""
    return bool(kinds().get(tool, {}).get("async_only"))


def image_tools() -> tuple[str, ...]:
    """The kinds whose tools take an input image."""
    return tuple(name for name in kinds() if takes_image(name))


def settings_section(tool: str) -> str:
    """The settings section a tool reads: a brought tool (video_submit) reads the section of the kind it came with."""
    return next((name for name, kind in kinds().items() if tool in (kind.get("brings") or [])), tool)


def example(tool: str) -> str:
    """The kind's example prompt (scripts/try.py's --help)."""
    return str(kinds()[tool]["example"])
