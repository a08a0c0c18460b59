"""The rules a settings.yaml must meet, in the words of the template's answer validators (includes/rules.jinja).

load_settings applies them, so scripts/check.py reports a hand edit that breaks one before Dify runs the plugin.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from job_client.settings import Settings

DOTTED_PATH = re.compile(r"^[A-Za-z0-9_-]+(\[[*0-9]+\])?([.][A-Za-z0-9_-]+(\[[*0-9]+\])?)*$")
BASE_URL = re.compile(r"^https?://[^/ ?#]+(/[^ ?#]*)?$")
# A size option in the provider's own words: 1024x1024, 16:9, landscape_4_3, 2K (no spaces).
SIZE_WORD = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_:.*-]{0,31}$")
RESULT_KINDS = ("url", "base64", "binary")
BODY_FORMATS = ("json", "multipart")
TRANSPORTS = ("data_uri", "url")
# The inputs a tool cannot work without, besides the prompt and the model.
REQUIRED_INPUTS = {"image_edit": ("image",)}


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
    needed = (*(() if named_in_path else ("model",)), "prompt", *REQUIRED_INPUTS.get(tool, ()))
    checks: list[tuple[bool, str]] = [
        (settings.mode not in ("sync", "async"), "mode must be 'sync' or 'async'"),
        (tool == "text2video" and settings.mode != "async", "text2video needs mode async"),
        (not BASE_URL.match(str(settings.base_url)), "base_url: use http(s)://host/path"),
        (not str(settings.validate_path).startswith("/"), "validate_path must start with /"),
        (not str(submit.path).startswith("/"), "submit.path must start with /"),
        (
            settings.mode == "async" and not submit.poll_url_field and "{task_id}" not in str(poll.path),
            "poll.path needs {task_id}",
        ),
        (settings.mode == "async" and not (poll.success and poll.failure), "poll.success/failure empty"),
        (settings.mode == "async" and _overlap(*statuses), "a status is in two lists"),
        (result.kind not in RESULT_KINDS, "result.kind: url/base64/binary"),
        (submit.body_format not in BODY_FORMATS, "body_format: json or multipart"),
    ]
    for broken, message in checks:
        if broken:
            return message
    bad_paths = [path for path in paths if not DOTTED_PATH.match(str(path))]
    if bad_paths:
        return f'"{bad_paths[0]}" is not a dotted path'
    headers = [*submit.headers.values(), *poll.headers.values()]
    if any(not isinstance(value, str) for value in headers):
        return "quote header values"
    if any(name not in fields for fields in field_sets for name in needed):
        return f"fields need: {', '.join(needed)}"
    if any(isinstance(fields.get("size"), list) and len(fields["size"]) != 2 for fields in field_sets):
        return "size: one path, or [width path, height path]"
    sizes = [size for family in settings.families.values() for size in family.sizes]
    if any(not SIZE_WORD.match(str(size)) for size in sizes):
        return f"{tool}.sizes: WxH, W:H or a name"
    if settings.image_input.transport not in TRANSPORTS:
        return "image_input.transport must be data_uri or url"
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
    """A body field's dotted paths: one, or [width, height] for a size sent as two numbers."""
    return list(target) if isinstance(target, list) else [target]


def _overlap(success: tuple[str, ...], failure: tuple[str, ...], pending: tuple[str, ...]) -> bool:
    return bool(set(success) & (set(failure) | set(pending)) or set(failure) & set(pending))
