"""Dotted paths into JSON documents: ``output.results[*].url``, ``data[0].b64_json``, ``task_id``.

The provider's response layout is data (settings.yaml), so the client reads and writes JSON through
these two functions instead of hard-coded keys.
"""

from __future__ import annotations

import re
from typing import Any

_SEGMENT = re.compile(r"^(?P<key>[^.\[\]]+)(?:\[(?P<index>\*|\d+)\])?$")


def _segments(path: str) -> list[tuple[str, str | None]]:
    segments = []
    for part in path.split("."):
        match = _SEGMENT.match(part)
        if not match:
            raise ValueError(f"invalid path segment {part!r} in {path!r}")
        segments.append((match["key"], match["index"]))
    return segments


def find_all(document: Any, path: str) -> list[Any]:
    """Every value at ``path``; ``[*]`` walks all items of a list. Missing keys give no values."""
    current = [document]
    for key, index in _segments(path):
        found = []
        for node in current:
            if not isinstance(node, dict) or key not in node:
                continue
            value = node[key]
            if index is None:
                found.append(value)
            elif isinstance(value, list):
                if index == "*":
                    found.extend(value)
                elif int(index) < len(value):
                    found.append(value[int(index)])
        current = found
    return current


def find_first(document: Any, paths: list[str] | tuple[str, ...]) -> Any:
    """The first non-empty value found at any of ``paths``, tried in order; None if there is none."""
    for path in paths:
        for value in find_all(document, path):
            if value not in (None, "", [], {}):
                return value
    return None


def put(document: dict[str, Any], path: str, value: Any) -> None:
    """Set ``value`` at a plain dotted path (``input.prompt``), creating the mappings on the way."""
    *parents, leaf = path.split(".")
    node = document
    for key in parents:
        node = node.setdefault(key, {})
        if not isinstance(node, dict):
            raise ValueError(f"cannot set {path!r}: {key!r} is not a mapping")
    node[leaf] = value
