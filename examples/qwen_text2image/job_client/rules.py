"""The rules across keys a settings.yaml must meet, in the words of the answer validators (includes/rules.jinja).

Each key's own type, values and range are the schema's (job_client/schema.py), and so are a dotted path, a
[width, height] pair and a min above a max; these are the rules between sections (a status in two lists,
{task_id} in poll.path, the fields every family needs). load_settings applies both,
so scripts/check.py reports a hand edit that breaks one before Dify runs the plugin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from job_client.kinds import async_only, required_inputs

if TYPE_CHECKING:
    from job_client.settings import Settings


def first_problem(settings: Settings, tool: str) -> str | None:
    """The first rule the settings of one tool break, or None."""
    submit, poll = settings.submit, settings.poll
    statuses = (poll.success, poll.failure, poll.pending)
    field_sets = [submit.body_fields, *(family.body_fields for family in settings.families.values())]
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
    if any(name not in fields for fields in field_sets for name in needed):
        return f"fields need: {', '.join(needed)}"
    uncovered = [model for model in settings.models.known if settings.families and not settings.family_for(model)]
    if uncovered:
        return f"{tool}: no family matches {uncovered[0]}"
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


def _overlap(success: tuple[str, ...], failure: tuple[str, ...], pending: tuple[str, ...]) -> bool:
    return bool(set(success) & (set(failure) | set(pending)) or set(failure) & set(pending))
