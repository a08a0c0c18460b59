"""The rules across keys a settings.yaml must meet, in the words of the answer validators (includes/rules.jinja).

Each key's own type, values and range are the schema's (job_client/schema.py); these are the rules that relate
keys (a status in two lists, {task_id} in poll.path, the fields every family needs). load_settings applies both,
so scripts/check.py reports a hand edit that breaks one before Dify runs the plugin.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from job_client.kinds import async_only, required_inputs
from job_client.schema import schema

if TYPE_CHECKING:
    from job_client.settings import Settings

# The schema's dotted-path rule, applied here to body_fields targets (a size may map to two of them).
DOTTED_PATH = re.compile(schema()["dotted"]["pattern"])


def first_problem(settings: Settings, tool: str) -> str | None:
    """The first rule the settings of one tool break, or None."""
    submit, poll, result = settings.submit, settings.poll, settings.result
    statuses = (poll.success, poll.failure, poll.pending)
    paths = [submit.task_id_field, poll.status_field, *settings.error_fields]
    paths += [path for path in (result.field, submit.poll_url_field, submit.result_url_field) if path]
    field_sets = [submit.body_fields, *(family.body_fields for family in settings.families.values())]
    paths += [path for fields in field_sets for target in fields.values() for path in _targets(target)]
    # A model named in the path (Replicate, fal, BFL) need not be in the body too.
    named_in_path = "{model}" in str(submit.path)
    needed = (*(() if named_in_path else ("model",)), "prompt", *required_inputs(tool))
    checks: list[tuple[bool, str]] = [
        (async_only(tool) and settings.mode != "async", f"{tool} needs mode async"),
        (
            settings.mode == "async" and not submit.poll_url_field and "{task_id}" not in str(poll.path),
            "poll.path needs {task_id}",
        ),
        (settings.mode == "async" and not (poll.success and poll.failure), "poll.success/failure empty"),
        (settings.mode == "async" and _overlap(*statuses), "a status is in two lists"),
    ]
    for broken, message in checks:
        if broken:
            return message
    bad_paths = [path for path in paths if not DOTTED_PATH.match(str(path))]
    if bad_paths:
        return f'"{bad_paths[0]}" is not a dotted path'
    if any(name not in fields for fields in field_sets for name in needed):
        return f"fields need: {', '.join(needed)}"
    if any(isinstance(fields.get("size"), list) and len(fields["size"]) != 2 for fields in field_sets):
        return "size: one path, or [width path, height path]"
    if any(isinstance(fields.get("image"), list) and len(fields["image"]) != 2 for fields in field_sets):
        return "image: one path, or [media type path, base64 data path]"
    uncovered = [model for model in settings.models.known if settings.families and not settings.family_for(model)]
    if uncovered:
        return f"{tool}: no family matches {uncovered[0]}"
    families = settings.families.values()
    limits = [limit for family in families for limit in family.limits.values()]
    if any(limit.min is not None and limit.max is not None and limit.min > limit.max for limit in limits):
        return "limits: min above max"
    ranges = [family.size_range for family in families if family.size_range is not None]
    if any(bounds.max_side and bounds.min_side > bounds.max_side for bounds in ranges):
        return "size_range: min_side above max_side"

    return _limit_problem(settings)


def _limit_problem(settings: Settings) -> str | None:
    """The knobs a user may edit, within the bounds the template's answers have."""
    bounds = [
        ("max_wait", settings.max_wait, 10, 290, ""),
        ("request_timeout", settings.request_timeout, 1, settings.max_wait, ""),
        ("result.max_bytes", settings.result.max_bytes / 1e6, 1, 30, " MB"),
        ("image_input.max_bytes", settings.image_input.max_bytes / 1e6, 1, 20, " MB"),
    ]
    for name, value, low, high, unit in bounds:
        if not low <= value <= high:
            return f"{name} must be {low:g}-{high:g}{unit}"
    return None


def _targets(target: object) -> list[object]:
    """A body field's dotted paths: one, or two (a size's [width, height]; an image's [media type, data])."""
    return list(target) if isinstance(target, list) else [target]


def _overlap(success: tuple[str, ...], failure: tuple[str, ...], pending: tuple[str, ...]) -> bool:
    return bool(set(success) & (set(failure) | set(pending)) or set(failure) & set(pending))
