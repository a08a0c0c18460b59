"""settings.yaml against the template's one schema (job_client/schema.yml, rendered from includes/schema.yml).

The answer validator walks the same file with the same rules (includes/mapping.jinja), so a key, a type or a
range is refused in the same words whether it was typed into ``api_overrides`` or edited into settings.yaml
(here in Chinese too). The rule keys are documented at the top of the schema file.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from job_client.kinds import job_tools

SCHEMA_FILE = Path(__file__).with_name("schema.yml")
# What each type is called in a message, in English and Chinese.
EXPECTED = {
    "str": ("text", "文本"),
    "int": ("a whole number", "整数"),
    "number": ("a number", "数字"),
    "bool": ("true or false", "true 或 false"),
    "list": ("a list", "列表"),
    "map": ("a mapping", "映射"),
    "any": ("a value", "值"),
}
Problem = tuple[str, str]  # (English, Chinese); ("", "") when there is none


@functools.cache
def schema() -> dict[str, Any]:
    """The rules, with the tool kinds' names (job_client/kinds.yml) as ``tool_kinds``: a ``kinds`` rule's keys."""
    with SCHEMA_FILE.open(encoding="utf-8") as stream:
        rules = yaml.safe_load(stream)
    rules["tool_kinds"] = list(job_tools())
    return rules


def first_problem(value: Any, rule_name: str = "settings", path: str = "") -> Problem:
    """The first place where ``value`` breaks the named rule, as ("path: reason", Chinese); ("", "") if none."""
    return _walk(value, schema()[rule_name], path, schema())


def _walk(value: Any, rule: Mapping[str, Any], path: str, root: Mapping[str, Any]) -> Problem:
    rule = _resolved(rule, root)
    if value is None:
        return "", ""
    if "any_of" in rule:
        return _walk_any(value, rule, path, root)
    kind = rule.get("type", "any")
    if not _is_type(value, kind):
        english, chinese = EXPECTED[kind]
        return _says(rule, path, value) or _at(path, f"expected {english}", f"应为{chinese}")
    if "one_of" in rule and value not in rule["one_of"]:
        listed = ", ".join(map(str, rule["one_of"]))
        return _says(rule, path, value) or _at(path, f"one of {listed}", f"应为 {listed} 之一")
    if "pattern" in rule and not re.search(rule["pattern"], str(value)):
        pattern = rule["pattern"]
        return _says(rule, path, value) or _at(path, f"does not match {pattern}", f"不符合 {pattern}")
    low, high = rule.get("min"), rule.get("max")
    if kind in ("int", "number") and ((low is not None and value < low) or (high is not None and value > high)):
        bounds = f"{_number(low)}-{_number(high)}"
        return _says(rule, path, value) or (f"{path} must be {bounds}", f"{path} 应在 {bounds} 之间")
    if kind == "map":
        return _walk_map(value, rule, path, root)
    if kind == "list" and "length" in rule and len(value) != rule["length"]:
        count = rule["length"]
        return _says(rule, path, value) or _at(path, f"needs {count} items", f"应有 {count} 项")
    if kind == "list" and "items" in rule:
        for index, item in enumerate(value):
            problem = _walk(item, rule["items"], f"{path}[{index}]", root)
            if problem[0]:
                return problem
    return "", ""


def _walk_map(value: Mapping[str, Any], rule: Mapping[str, Any], path: str, root: Mapping[str, Any]) -> Problem:
    keys = dict(root[rule["extends"]]["keys"]) if "extends" in rule else {}
    keys.update(rule.get("keys") or {})
    if "kinds" in rule:
        keys.update(dict.fromkeys(root["tool_kinds"], rule["kinds"]))
    for key, item in value.items():
        inner = f"{path}.{key}" if path else str(key)
        if keys or "keys" in rule or "kinds" in rule:
            if key not in keys:
                return _at(inner, "unknown key", "未知的键")
            problem = _walk(item, keys[key], inner, root)
        else:
            problem = _walk(item, rule.get("values") or {}, inner, root)
        if problem[0]:
            return problem
    for key in rule.get("required") or []:
        if key not in value:
            return _at(f"{path}.{key}" if path else key, "missing", "缺少")
    low, high = rule.get("ordered") or (None, None)
    if low is not None and _number_at(value, low) and _number_at(value, high) and value[low] > value[high]:
        return _says(rule, path, value) or _at(path, f"{low} above {high}", f"{low} 大于 {high}")
    return "", ""


def _walk_any(value: Any, rule: Mapping[str, Any], path: str, root: Mapping[str, Any]) -> Problem:
    """Good when one alternative passes; otherwise the problem the first alternative of the value's type finds."""
    options = [_resolved(option, root) for option in rule["any_of"]]
    problems = [_walk(value, option, path, root) for option in options if _is_type(value, option.get("type", "any"))]
    if problems:
        return ("", "") if ("", "") in problems else problems[0]
    english = " or ".join(EXPECTED[option.get("type", "any")][0] for option in options)
    chinese = "或".join(EXPECTED[option.get("type", "any")][1] for option in options)
    return _says(rule, path, value) or _at(path, f"expected {english}", f"应为{chinese}")


def _resolved(rule: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    while "ref" in rule:
        rule = root[rule["ref"]]
    return rule


def _number_at(value: Mapping[str, Any], key: str) -> bool:
    """A key set to a number other than 0 (0 and null say "no bound")."""
    item = value.get(key)
    return _is_type(item, "number") and item != 0


def _at(path: str, english: str, chinese: str) -> Problem:
    return (f"{path}: {english}", f"{path}：{chinese}") if path else (english, chinese)


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


def _says(rule: Mapping[str, Any], path: str, value: Any) -> Problem | None:
    """The rule's own reason (the validator's words, quoted in the Chinese line), or None."""
    says = rule.get("says")
    if not says:
        return None
    text = str(says).replace("{path}", path).replace("{value}", str(value))
    return text, f"设置不符合规则：{text}"


def _number(value: Any) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)
