"""settings.yaml against the template's one schema (job_client/schema.yml, rendered from includes/schema.yml).

The answer validator walks the same file with the same rules (includes/rules.jinja), so a key, a type or a range
is refused in the same words whether it was typed into ``api_overrides`` or edited into settings.yaml. The rule
keys are documented at the top of the schema file.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

SCHEMA_FILE = Path(__file__).with_name("schema.yml")


@functools.cache
def schema() -> dict[str, Any]:
    with SCHEMA_FILE.open(encoding="utf-8") as stream:
        return yaml.safe_load(stream)


def first_problem(value: Any, rule_name: str = "settings", path: str = "") -> str:
    """The first place where ``value`` breaks the named rule, as "path: reason"; "" when it keeps every rule."""
    return _walk(value, schema()[rule_name], path, schema())


def _walk(value: Any, rule: Mapping[str, Any], path: str, root: Mapping[str, Any]) -> str:
    while "ref" in rule:
        rule = root[rule["ref"]]
    if value is None:
        return ""
    kind = rule.get("type", "any")
    where = f"{path}: " if path else ""
    if not _is_type(value, kind):
        return _says(rule, path, value) or f"{where}expected {EXPECTED[kind]}"
    if "one_of" in rule and value not in rule["one_of"]:
        return _says(rule, path, value) or f"{where}one of {', '.join(map(str, rule['one_of']))}"
    if "pattern" in rule and not re.search(rule["pattern"], str(value)):
        return _says(rule, path, value) or f"{where}does not match {rule['pattern']}"
    low, high = rule.get("min"), rule.get("max")
    if kind in ("int", "number") and ((low is not None and value < low) or (high is not None and value > high)):
        return _says(rule, path, value) or f"{path} must be {_number(low)}-{_number(high)}"
    if kind == "map":
        return _walk_map(value, rule, path, root)
    if kind == "list" and "items" in rule:
        for index, item in enumerate(value):
            problem = _walk(item, rule["items"], f"{path}[{index}]", root)
            if problem:
                return problem
    return ""


def _walk_map(value: Mapping[str, Any], rule: Mapping[str, Any], path: str, root: Mapping[str, Any]) -> str:
    keys = dict(root[rule["extends"]]["keys"]) if "extends" in rule else {}
    keys.update(rule.get("keys") or {})
    for key, item in value.items():
        inner = f"{path}.{key}" if path else str(key)
        if keys or "keys" in rule:
            if key not in keys:
                return f"{inner}: unknown key"
            problem = _walk(item, keys[key], inner, root)
        else:
            problem = _walk(item, rule.get("values") or {}, inner, root)
        if problem:
            return problem
    for key in rule.get("required") or []:
        if key not in value:
            return f"{path}.{key}: missing" if path else f"{key}: missing"
    return ""


EXPECTED = {
    "str": "text",
    "int": "a whole number",
    "number": "a number",
    "bool": "true or false",
    "list": "a list",
    "map": "a mapping",
    "any": "a value",
}


def _is_type(value: Any, kind: str) -> bool:
    if kind == "str":
        return isinstance(value, str)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "list":
        return isinstance(value, list)
    if kind == "map":
        return isinstance(value, dict)
    return True


def _says(rule: Mapping[str, Any], path: str, value: Any) -> str:
    says = rule.get("says")
    return str(says).replace("{path}", path).replace("{value}", str(value)) if says else ""


def _number(value: Any) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)
