"""Tool inputs checked against the tool's own YAML before any request is made.

Dify enforces a parameter's min / max / options only in its form, for constants. In a workflow the value comes
from a variable and reaches the plugin unchecked, so every tool checks its inputs here, against the same
declarations Dify shows in its form (``tools/<tool>.yaml``): one source for both.

What each declaration key means here:

- ``type: number``: an int or float (Dify sends numbers as floats; a numeric string is read the way Dify casts
  one). ``precision: 0`` makes it an integer parameter: 2.0 is 2, 2.5 is refused. Other precisions only round
  the form's display, so any finite number passes. ``min`` / ``max`` are inclusive.
- ``type: string``: text; ``min`` / ``max`` bound its length in characters (the SDK has no length key, and Dify
  ignores min / max on strings, so they are free to carry a provider's documented limit).
- ``type: select``: one of ``options[].value`` (a number such as 5 matches the option "5"; a size written
  1024*1024 or 1024 X 1024 matches 1024x1024). No options (a dynamic select): any non-empty text.
- ``type: file`` / ``files``: Dify file objects (anything with a ``url``), of an accepted media type and size
  (``FileLimits``; image types from job_client.inputs).
- ``required: true``: present and not empty (nor only spaces). An optional parameter left empty is skipped.

Refusals raise ``InvalidInputError`` naming each bad parameter, its value and what is allowed, in English and
Chinese. No Dify import: the glue reads the declarations and passes them in.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from job_client.errors import InvalidInputError
from job_client.families import (
    BY_FAMILY,
    as_offered,
    problems_for_model,
    uncovered_model,
    without_untaken_defaults,
)
from job_client.inputs import INPUT_TYPES, MAX_FETCH_BYTES
from job_client.settings import ImageInputSettings, Settings

# WIDTHxHEIGHT with any of the separators people and APIs use; build_body writes the provider's own.
SIZE = re.compile(r"^\s*(\d+)\s*[xX*×]\s*(\d+)\s*$")
# Media types some clients report for JPEG besides the standard one.
MIME_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg"}
FORMAT_NAMES = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WebP", "image/gif": "GIF"}
SHOWN_CHARACTERS = 40  # a long value is cut in messages: the user knows it, and errors stay one line
SHOWN_OPTIONS = 12


@dataclass(frozen=True)
class Parameter:
    """One parameter declaration of a tool YAML, as far as checking a value goes."""

    name: str
    type: str
    required: bool = False
    min: float | None = None
    max: float | None = None
    precision: int | None = None
    options: tuple[str, ...] | None = None  # None: not a select, or a select whose options come at run time
    label: str = ""
    label_zh: str = ""
    default: Any = None  # what the form pre-selects

    @property
    def integer(self) -> bool:
        return self.type == "number" and self.precision == 0

    @classmethod
    def from_yaml(cls, data: Mapping[str, Any]) -> Parameter:
        label = data.get("label") or {}
        options = data.get("options")
        return cls(
            name=str(data["name"]),
            type=str(data.get("type", "string")),
            required=bool(data.get("required", False)),
            min=data.get("min"),
            max=data.get("max"),
            precision=data.get("precision"),
            options=tuple(str(option["value"]) for option in options) if options else None,
            label=str(label.get("en_US", "")),
            label_zh=str(label.get("zh_Hans") or label.get("en_US", "")),
            default=data.get("default"),
        )


@dataclass(frozen=True)
class FileLimits:
    """What a file input may be: its media types (as Dify reports them) and its size in bytes."""

    types: tuple[str, ...] = INPUT_TYPES
    max_bytes: int = MAX_FETCH_BYTES

    @classmethod
    def for_images(cls, image_input: ImageInputSettings) -> FileLimits:
        """Inline images are shrunk to fit, so only absurd sizes are refused; a URL goes to the API as it is."""
        if image_input.transport == "url":
            return cls(max_bytes=image_input.max_bytes)
        return cls()


@functools.cache
def tool_declarations(path: Path) -> tuple[Parameter, ...]:
    """The parameters of one tool YAML; read once per process (the YAML does not change while it runs)."""
    with path.open(encoding="utf-8") as stream:
        data = yaml.safe_load(stream)
    return tuple(Parameter.from_yaml(item) for item in data.get("parameters") or [])


def check_inputs(
    declarations: Iterable[Parameter],
    values: Mapping[str, Any],
    files: FileLimits | None = None,
    runtime_options: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, Any]:
    """The values with each declared one checked and typed (integers as int, select values as their option).

    Raises InvalidInputError listing every refused value. Undeclared keys pass through unchanged.
    ``runtime_options`` is the hook for options known only at run time: they replace a select's declared
    options for that call.
    """
    checked, problems = _checked(declarations, values, files, runtime_options)
    if problems:
        raise InvalidInputError(" ".join(en for en, _ in problems), "".join(zh for _, zh in problems))
    return checked


def _checked(
    declarations: Iterable[Parameter],
    values: Mapping[str, Any],
    files: FileLimits | None = None,
    runtime_options: Mapping[str, Sequence[str]] | None = None,
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The checked values (a refused one left out) and an (English, Chinese) line per refused value."""
    checked = dict(values)
    problems: list[tuple[str, str]] = []
    for parameter in declarations:
        if runtime_options and parameter.name in runtime_options:
            parameter = dataclasses.replace(parameter, options=tuple(map(str, runtime_options[parameter.name])))
        value = values.get(parameter.name)
        if _is_empty(value):
            if parameter.required:
                problems.append(_describe(parameter, "is required but empty.", "为必填项，但为空。"))
            continue
        try:
            checked[parameter.name] = _check(parameter, value, files or FileLimits())
        except _Refused as refused:
            checked.pop(parameter.name, None)
            problems.append(_describe(parameter, refused.english, refused.chinese))
    return checked, problems


def check_tool_inputs(
    declarations: Iterable[Parameter], values: Mapping[str, Any], settings: Settings, files: FileLimits | None = None
) -> dict[str, Any]:
    """What each tool's glue calls: ``check_inputs``, then what the chosen model's family takes (job_client.families).

    The tool YAML offers every family's sizes and durations; the family decides which the chosen model takes (a
    size range has no finite menu), so those two are checked against the family only, with the model named.
    Every refused value is named in one error.
    """
    declared = tuple(declarations)
    if not settings.families:
        return check_inputs(declared, values, files)
    model = str(values.get("model") or "").strip() or settings.default_model
    found = settings.family_for(model)
    if found is None:  # every input is still checked, so one error names all that is wrong
        checked, problems = _checked(declared, values, files)
        if not any(english.startswith("Input 'model'") for english, _ in problems):
            problems.append(uncovered_model(settings, model))
        raise InvalidInputError(" ".join(en for en, _ in problems), "".join(zh for _, zh in problems))
    family = found[1]
    defaults = {parameter.name: parameter.default for parameter in declared if parameter.default is not None}
    fitted = without_untaken_defaults(family, values, defaults)
    # The family checks its own sizes and durations (problems_for_model), with the model named.
    checked, problems = _checked([p for p in declared if p.name not in BY_FAMILY], fitted, files)
    labels = {parameter.name: (parameter.label, parameter.label_zh) for parameter in declared}
    problems += problems_for_model(model, family, checked, labels)
    if problems:
        raise InvalidInputError(" ".join(en for en, _ in problems), "".join(zh for _, zh in problems))
    return {name: as_offered(family, name, value) if name in BY_FAMILY else value for name, value in checked.items()}


# ── one value ──────────────────────────────────────────────────────────────────
class _Refused(Exception):
    def __init__(self, english: str, chinese: str) -> None:
        self.english = english
        self.chinese = chinese


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def _check(parameter: Parameter, value: Any, files: FileLimits) -> Any:
    if parameter.type == "number":
        return _number(parameter, value)
    if parameter.type == "string":
        return _string(parameter, value)
    if parameter.type in ("select", "dynamic-select"):
        return _select(parameter, value)
    if parameter.type == "boolean":
        return _boolean(value)
    if parameter.type == "file":
        _file(value, files)
    elif parameter.type == "files":
        for item in value if isinstance(value, list) else [value]:
            _file(item, files)
    return value  # other types (object, array, date...) carry no limits this plugin declares


def _number(parameter: Parameter, value: Any) -> int | float:
    number = _as_number(value)
    refused = number is None or (parameter.integer and not number.is_integer())
    refused = refused or (parameter.min is not None and number < parameter.min)
    refused = refused or (parameter.max is not None and number > parameter.max)
    if refused or number is None:
        kind_en, kind_zh = ("an integer", "整数") if parameter.integer else ("a number", "数字")
        range_en, range_zh = _range(parameter)
        raise _Refused(
            f"is {_show(value)}; allowed: {kind_en}{range_en}.", f"为 {_show(value)}；允许：{range_zh}{kind_zh}。"
        )
    return int(number) if parameter.integer else number


def _as_number(value: Any) -> float | None:
    """The value as a finite float, or None; True / False are not numbers, a numeric string is."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return float(value) if abs(value) < 2**53 else None  # beyond 2**53 a float would change it
    if isinstance(value, float):
        number = value
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _string(parameter: Parameter, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _Refused(f"is {_show(value)}; allowed: text.", f"为 {_show(value)}；允许：文本。")
    text = value if isinstance(value, str) else _format_number(value)
    low, high = parameter.min, parameter.max
    if (low is not None and len(text) < low) or (high is not None and len(text) > high):
        if low is not None and high is not None:
            allowed_en, allowed_zh = (
                f"{_format_number(low)} to {_format_number(high)} characters",
                f"{_format_number(low)} 到 {_format_number(high)} 个字符",
            )
        elif high is not None:
            allowed_en, allowed_zh = f"at most {_format_number(high)} characters", f"最多 {_format_number(high)} 个字符"
        else:
            allowed_en, allowed_zh = f"at least {_format_number(low)} characters", f"至少 {_format_number(low)} 个字符"
        raise _Refused(
            f"has {len(text)} characters; allowed: {allowed_en}.", f"有 {len(text)} 个字符；允许：{allowed_zh}。"
        )
    return text


def _select(parameter: Parameter, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        text = None
    elif isinstance(value, str):
        text = value.strip()
    else:
        text = _format_number(value)  # a duration of 5.0 is the option "5"
    # A dynamic select's options are the provider's live list; the YAML's static ones are only its fallback.
    if text is not None and (parameter.options is None or parameter.type == "dynamic-select"):
        return text
    if text is not None:
        for option in parameter.options or ():
            if text == option or _same_size(text, option):
                return option
    shown = ", ".join(list(parameter.options or ())[:SHOWN_OPTIONS])
    more = ", …" if len(parameter.options or ()) > SHOWN_OPTIONS else ""
    raise _Refused(
        f"is {_show(value)}; allowed: one of {shown}{more}.", f"为 {_show(value)}；允许：{shown}{more} 之一。"
    )


def _same_size(text: str, option: str) -> bool:
    given, declared = SIZE.match(text), SIZE.match(option)
    return bool(given and declared and given.groups() == declared.groups())


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise _Refused(f"is {_show(value)}; allowed: true or false.", f"为 {_show(value)}；允许：true 或 false。")


def _file(value: Any, limits: FileLimits) -> None:
    """A Dify File (duck-typed: this module never imports dify_plugin); its bytes are checked when read."""
    if not isinstance(getattr(value, "url", None), str):
        raise _Refused(f"is {_show(value)}; allowed: a file.", f"为 {_show(value)}；允许：文件。")
    mime_type = str(getattr(value, "mime_type", None) or "").lower()
    mime_type = MIME_ALIASES.get(mime_type, mime_type)
    if mime_type and mime_type not in limits.types:
        names = [FORMAT_NAMES.get(kind, kind) for kind in limits.types]
        listed = ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]
        raise _Refused(
            f"is a {mime_type} file; allowed: a {listed} file.", f"是 {mime_type} 文件；允许：{'、'.join(names)} 文件。"
        )
    size = getattr(value, "size", None)
    if isinstance(size, int) and size > limits.max_bytes:
        raise _Refused(
            f"is {size / 1e6:.1f} MB; allowed: at most {limits.max_bytes / 1e6:.1f} MB.",
            f"为 {size / 1e6:.1f} MB；允许：最多 {limits.max_bytes / 1e6:.1f} MB。",
        )


# ── messages ───────────────────────────────────────────────────────────────────
def _describe(parameter: Parameter, english: str, chinese: str) -> tuple[str, str]:
    label_en = f" ({parameter.label})" if parameter.label else ""
    label_zh = f"（{parameter.label_zh}）" if parameter.label_zh else ""
    return f"Input '{parameter.name}'{label_en} {english}", f"参数 '{parameter.name}'{label_zh}{chinese}"


# A number's allowed range in words (English, Chinese), by which bounds it has: (min set, max set).
RANGE_WORDS = {
    (True, True): (" from {low} to {high}", "{low} 到 {high} 之间的"),
    (True, False): (" of at least {low}", "不小于 {low} 的"),
    (False, True): (" of at most {high}", "不大于 {high} 的"),
    (False, False): ("", ""),
}


def _range(parameter: Parameter) -> tuple[str, str]:
    low, high = parameter.min, parameter.max
    english, chinese = RANGE_WORDS[(low is not None, high is not None)]
    bounds = {"low": "" if low is None else _format_number(low), "high": "" if high is None else _format_number(high)}
    return english.format(**bounds), chinese.format(**bounds)


def _format_number(number: float) -> str:
    """2.0 -> "2", 2.5 -> "2.5", 2147483647 -> "2147483647" (never 2.14748e+09)."""
    if isinstance(number, float) and number.is_integer():
        return str(int(number))
    return str(number)


def _show(value: Any) -> str:
    """A value as the user would recognise it, cut short; files and containers by their kind."""
    if isinstance(value, str):
        text = value if len(value) <= SHOWN_CHARACTERS else value[:SHOWN_CHARACTERS] + "…"
        return f'"{text}"'
    if isinstance(value, bool | int | float):
        return str(value).lower() if isinstance(value, bool) else _format_number(value)
    if isinstance(value, Sequence | Mapping):
        return f"a {type(value).__name__} of {len(value)}"
    return f"a {type(value).__name__}"
