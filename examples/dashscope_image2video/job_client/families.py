"""What the chosen model takes: its family's parameters, sizes, durations and limits (settings ``families``).

Providers differ per model, not only per tool: SiliconFlow's Qwen-Image takes ``cfg`` where Kolors takes
``guidance_scale`` and no ``batch_size``; a video model takes its own resolutions. Each tool's settings group its
models into families, and everything here is checked before any request, so a value the model would reject or
silently ignore costs nothing and says what the model does take. No Dify import: the glue and the job client
both call ``check_for_model``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from job_client.errors import InvalidInputError
from job_client.settings import ModelFamily, Settings

logger = logging.getLogger(__name__)
# WIDTHxHEIGHT with any of the separators people and APIs use.
SIZE = re.compile(r"^\s*(\d+)\s*[xX*×]\s*(\d+)\s*$")
SHOWN_OPTIONS = 12
# Inputs every model of a tool takes: never "not taken".
ALWAYS_TAKEN = ("model", "prompt")
# Selects whose options differ per model: the tool YAML offers every family's, the chosen model's family decides.
BY_FAMILY = ("size", "duration")


def model_family(settings: Settings, model: str) -> ModelFamily | None:
    """The chosen model's family; None when the settings group no models (every model gets the same body)."""
    if not settings.families:
        return None
    found = settings.family_for(model)
    if found is None:
        raise InvalidInputError(*uncovered_model(settings, model))
    return found[1]


def uncovered_model(settings: Settings, model: str) -> tuple[str, str]:
    """(English, Chinese) for a model no family covers: this tool cannot call it."""
    known = ", ".join(list(settings.models.known)[:SHOWN_OPTIONS]) or settings.default_model
    return (
        f"Input 'model' is \"{model}\": no model family in settings.yaml covers it, so this tool cannot call it. "
        f"Models it can call include: {known}.",
        f"参数 'model' 为 \"{model}\"：settings.yaml 中没有覆盖它的模型系列，本工具无法调用它。"
        f"可调用的模型包括：{known}。",
    )


def normal_size(value: str) -> str:
    """1024*1024, 1024 X 1024 -> 1024x1024; other size words (16:9, landscape_4_3) as they are."""
    found = SIZE.match(value)
    return f"{found.group(1)}x{found.group(2)}" if found else value.strip()


def takes_size(family: ModelFamily, size: str) -> bool:
    """Whether the family takes this size: one of its sizes, or a WxH within its size_range."""
    wanted = normal_size(size)
    if any(normal_size(option) == wanted for option in family.sizes):
        return True
    found, bounds = SIZE.match(size), family.size_range
    if not found or bounds is None:
        return False
    width, height = int(found.group(1)), int(found.group(2))
    high = bounds.max_side or max(width, height)
    within = all(bounds.min_side <= side <= high for side in (width, height))
    multiple = width % bounds.multiple == 0 and height % bounds.multiple == 0
    return within and multiple and (not bounds.max_pixels or width * height <= bounds.max_pixels)


def takes_value(family: ModelFamily, name: str, value: Any) -> bool:
    """Whether the family takes this value of a parameter it takes (sizes, durations, number limits)."""
    if name in BY_FAMILY and not isinstance(value, str | int | float):
        return False
    if name == "size" and (family.sizes or family.size_range):
        return takes_size(family, str(value))
    if name == "duration" and family.durations:
        return _number(value) in {float(item) for item in family.durations}
    limit, number = family.limits.get(name), _number(value)
    if limit is None or number is None:
        return True
    return (limit.min is None or number >= limit.min) and (limit.max is None or number <= limit.max)


def as_offered(family: ModelFamily, name: str, value: Any) -> Any:
    """A size or duration as the family's menu writes it (1024*1024 -> 1024x1024, 5.0 -> "5"); others unchanged."""
    if name == "duration" and _number(value) is not None:
        return _format(_number(value))
    if name == "size" and isinstance(value, str):
        wanted = normal_size(value)
        return next((option for option in family.sizes if normal_size(option) == wanted), wanted)
    return value


def without_untaken_defaults(
    family: ModelFamily, values: Mapping[str, Any], defaults: Mapping[str, Any]
) -> dict[str, Any]:
    """The values with the form's own pre-selections fitted to this model.

    A form pre-selects one default for every model (the default model's size, one image): left untouched, it is
    not the user's request. A size or duration the model does not take becomes the model's own default (its
    family's first), since some APIs require one; any other parameter the model does not take is left out.
    """
    kept = dict(values)
    for name, default in defaults.items():
        if name not in kept or not _same(kept[name], default):
            continue
        if name in family.body_fields and takes_value(family, name, kept[name]):
            continue
        own = (family.sizes if name == "size" else family.durations if name == "duration" else ())[:1]
        if own and name in family.body_fields:
            logger.info("%s: the form's %s %s is not this model's; sent its own, %s", name, name, default, own[0])
            kept[name] = own[0] if name == "size" else str(own[0])
        else:
            del kept[name]
    return kept


def problems_for_model(
    model: str, family: ModelFamily, values: Mapping[str, Any], labels: Mapping[str, tuple[str, str]] | None = None
) -> list[tuple[str, str]]:
    """(English, Chinese) for each given value the model does not take; ``labels``: name -> (label, label_zh)."""
    labels = labels or {}
    taken = [name for name in family.body_fields if name not in ALWAYS_TAKEN]
    problems = []
    for name, value in values.items():
        if name in ALWAYS_TAKEN or value is None or value == "":
            continue
        label_en, label_zh = labels.get(name, ("", ""))
        head_en = f"Input '{name}'{f' ({label_en})' if label_en else ''}"
        head_zh = f"参数 '{name}'{f'（{label_zh}）' if label_zh else ''}"
        if name not in family.body_fields:
            if name not in labels:
                continue  # not a tool parameter (e.g. a caller's extra key): never sent, nothing to say
            problems.append(
                (
                    f"{head_en}: {model} does not take it; it takes: {', '.join(taken) or 'no optional parameter'}.",
                    f"{head_zh}：{model} 不支持该参数；它支持：{'、'.join(taken) or '无可选参数'}。",
                )
            )
        elif not takes_value(family, name, value):
            allowed_en, allowed_zh = _allowed(family, name)
            problems.append(
                (
                    f"{head_en} is {_show(value)}; allowed for {model}: {allowed_en}.",
                    f"{head_zh}为 {_show(value)}；{model} 允许：{allowed_zh}。",
                )
            )
    return problems


def check_for_model(
    settings: Settings,
    values: Mapping[str, Any],
    *,
    defaults: Mapping[str, Any] | None = None,
    labels: Mapping[str, tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """The values fitted to the chosen model's family; raises InvalidInputError naming what the model takes.

    ``labels`` names the tool's parameters (name -> English, Chinese label): a value the family does not take is
    refused only for those (a direct caller's unknown keys are ignored, as build_body ignores them).
    """
    model = str(values.get("model") or "").strip() or settings.default_model
    family = model_family(settings, model)
    if family is None:
        return dict(values)
    fitted = without_untaken_defaults(family, values, defaults or {})
    known = labels if labels is not None else {name: ("", "") for name in settings.submit.body_fields}
    problems = problems_for_model(model, family, fitted, known)
    if problems:
        raise InvalidInputError(" ".join(en for en, _ in problems), "".join(zh for _, zh in problems))
    return fitted


def _allowed(family: ModelFamily, name: str) -> tuple[str, str]:
    if name == "size":
        options = list(family.sizes[:SHOWN_OPTIONS]) + (["…"] if len(family.sizes) > SHOWN_OPTIONS else [])
        bounds = family.size_range
        parts_en, parts_zh = [], []
        if options:
            parts_en.append(f"one of {', '.join(options)}")
            parts_zh.append(f"{', '.join(options)} 之一")
        if bounds is not None:
            extra_en = f", multiples of {bounds.multiple}" if bounds.multiple > 1 else ""
            extra_zh = f"、为 {bounds.multiple} 的倍数" if bounds.multiple > 1 else ""
            high = f"{bounds.max_side}" if bounds.max_side else "any"
            parts_en.append(f"WxH with sides {bounds.min_side}-{high}{extra_en}")
            parts_zh.append(f"边长 {bounds.min_side}-{high}{extra_zh}的宽 x 高")
        return " or ".join(parts_en), " 或 ".join(parts_zh)
    if name == "duration":
        listed = ", ".join(f"{item} s" for item in family.durations)
        return f"one of {listed}", f"{listed} 之一"
    limit = family.limits[name]
    low, high = _format(limit.min), _format(limit.max)
    if low and high:
        return f"{low} to {high}", f"{low} 到 {high}"
    return (f"at least {low}", f"不小于 {low} 的值") if low else (f"at most {high}", f"不大于 {high} 的值")


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _same(value: Any, default: Any) -> bool:
    if isinstance(value, str) and isinstance(default, str):
        return normal_size(value) == normal_size(default)
    left, right = _number(value), _number(default)
    return left is not None and left == right


def _format(number: float | None) -> str:
    if number is None:
        return ""
    return str(int(number)) if float(number).is_integer() else str(number)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _format(value)
    return f"a {type(value).__name__}" + (f" of {len(value)}" if isinstance(value, list | tuple | dict) else "")
