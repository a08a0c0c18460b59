"""Dotted paths into JSON documents: ``output.results[*].url``, ``data[0].b64_json``, ``task_id``.

The provider's response layout is data (settings.yaml), so the client reads JSON through ``find_all`` and
``find_first`` and writes request bodies through ``put`` instead of hard-coded keys. The grammar lives here
only: ``segments`` parses a path, and ``document_holding`` (the inverse of ``find_all``) builds a document
holding given values at a path, which is how scripts/fake_provider.py answers in the layout the settings name.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

_SEGMENT = re.compile(r"^(?P<key>[^.\[\]]+)(?:\[(?P<index>\*|\d+)\])?$")


def segments(path: str) -> list[tuple[str, str | None]]:
    """``path`` as (key, index) pairs: index None for a plain key, ``"*"`` for every item, or digits."""
    parsed = []
    for part in path.split("."):
        match = _SEGMENT.match(part)
        if not match:
            raise ValueError(f"invalid path segment {part!r} in {path!r}")
        parsed.append((match["key"], match["index"]))
    return parsed


def find_all(document: Any, path: str) -> list[Any]:
    """Every value at ``path``; ``[*]`` walks all items of a list. Missing keys give no values."""
    current = [document]
    for key, index in segments(path):
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
    """Set ``value`` at a dotted path, creating the mappings and lists on the way.

    ``input.prompt`` sets a key; ``contents[0].parts[1].text`` reaches into lists (Gemini's request body), padding
    a list with empty mappings up to the index, so that fields given in any order share their list items.
    """
    parsed = segments(path)
    node: Any = document
    for depth, (key, index) in enumerate(parsed):
        last = depth == len(parsed) - 1
        if not isinstance(node, dict):
            raise ValueError(f"cannot set {path!r}: the value before {key!r} is not a mapping")
        if index is None:
            if last:
                node[key] = value
                return
            node = node.setdefault(key, {})
            continue
        if index == "*":
            raise ValueError(f"cannot set {path!r}: [*] names no single place")
        items = node.setdefault(key, [])
        if not isinstance(items, list):
            raise ValueError(f"cannot set {path!r}: {key!r} is not a list")
        position = int(index)
        items.extend({} for _ in range(position + 1 - len(items)))
        if last:
            items[position] = value
            return
        node = items[position]


def document_holding(path: str, values: Sequence[Any]) -> dict[str, Any]:
    """The inverse of ``find_all``: a JSON document in which ``find_all(document, path) == list(values)``.

    The first ``[*]`` makes one list item per value; a path without ``[*]`` names one place, so it holds one
    value at most (more raise ValueError). A fixed index (``data[1].url``) is reached through padding items:
    empty mappings, or None where the index is the last segment.
    """
    parsed = segments(path)
    if len(values) > 1 and all(index != "*" for _, index in parsed):
        raise ValueError(f"{path!r} has no [*], so it holds one value, not {len(values)}")
    return _holding(parsed, list(values))


def _holding(parsed: list[tuple[str, str | None]], values: list[Any]) -> dict[str, Any]:
    (key, index), rest = parsed[0], parsed[1:]
    if index == "*":
        return {key: [_holding(rest, [value]) if rest else value for value in values]}
    if index is None:
        if rest:
            return {key: _holding(rest, values)}
        return {key: values[0]} if values else {}
    padding: list[Any] = [{} if rest else None] * int(index)
    if not values:
        return {key: padding}
    return {key: [*padding, _holding(rest, values) if rest else values[0]]}
