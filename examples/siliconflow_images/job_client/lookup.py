"""Result lookup chains (settings ``result.lookup``): the finished task names a file, not where to get it.

MiniMax's status answer gives a ``file_id``; ``GET /files/retrieve?file_id=...`` then gives the download URL. Each
step of ``result.lookup`` is a path on the API (so the key goes to the API's host only) whose ``{name}``
placeholders are dotted paths into the previous answer (the status answer for the first step); the last answer
is where ``result.field`` is read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from job_client.errors import BadResponseError
from job_client.paths import find_first

PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


def placeholders(path: str) -> list[str]:
    """The dotted paths a lookup step reads from the previous answer, in order."""
    return PLACEHOLDER.findall(path)


def filled(path: str, answer: Any, label: str) -> str:
    """``path`` with each ``{name}`` replaced by the value at that dotted path of ``answer`` (URL-quoted)."""

    def value_of(found: re.Match[str]) -> str:
        value = find_first(answer, [found[1]])
        if value is None or isinstance(value, dict | list):
            raise BadResponseError(
                f"{label} finished the task but its answer has no '{found[1]}' to look the result up with.",
                f"{label} 任务已完成，但响应中没有用于查找结果的 '{found[1]}'。",
            )
        return quote(str(value), safe="")

    return PLACEHOLDER.sub(value_of, path)


def follow(steps: tuple[str, ...], answer: Any, fetch: Callable[[str], Any], label: str) -> Any:
    """The answer of the last lookup step, each step's path filled from the answer before it (``answer`` when
    there are no steps). ``fetch`` makes one authenticated GET on the API and returns its parsed JSON."""
    for step in steps:
        answer = fetch(filled(step, answer, label))
    return answer
