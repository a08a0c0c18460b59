"""Copier migration to 2.0.0: keep only the user's decisions in an answers file written by the 1.x template.

1.x stored the whole API mapping as answers, so `copier update` could never deliver a fix to a preset. This
drops every stored answer that equals its 1.x default and turns each one the user changed into an explicit
`api_overrides` entry (or a 2.x advanced answer), so what the plugin did before the update it still does.

Copier runs it before updating, in the project folder:  python hooks/migrate_answers.py .copier-answers.yml
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml
from migrate_kinds import migrate as migrate_kinds
from migrate_kinds import rewrite

DEFAULTS = yaml.safe_load((Path(__file__).parent / "migrations" / "answers-1.x-defaults.yml").read_text("utf-8"))

# 1.x answer -> where the same fact lives in a 2.x preset (and so in api_overrides).
MAPPING: dict[str, tuple[str, ...]] = {
    "provider_label": ("provider", "label"),
    "provider_label_zh": ("provider", "label_zh"),
    "api_key_url": ("provider", "key_url"),
    "base_url": ("api", "base_url"),
    "api_key_prefix": ("api", "api_key_prefix"),
    "validate_path": ("api", "validate_path"),
    "mode": ("api", "mode"),
    "error_fields": ("api", "error_fields"),
    "submit_path": ("api", "submit", "path"),
    "submit_headers": ("api", "submit", "headers"),
    "size_separator": ("api", "submit", "size_separator"),
    "task_id_field": ("api", "submit", "task_id_field"),
    "poll_path": ("api", "poll", "path"),
    "poll_headers": ("api", "poll", "headers"),
    "status_field": ("api", "poll", "status_field"),
    "status_success": ("api", "poll", "success"),
    "status_failure": ("api", "poll", "failure"),
    "status_pending": ("api", "poll", "pending"),
    "poll_interval": ("api", "poll", "interval"),
    "result_field": ("api", "result", "field"),
    "result_kind": ("api", "result", "kind"),
    "sizes": ("tools", "text2image", "sizes"),
    "body_fields": ("tools", "text2image", "fields"),
    "edit_submit_path": ("tools", "image_edit", "api", "submit", "path"),
    "edit_body_fields": ("tools", "image_edit", "fields"),
    "edit_body_extra": ("tools", "image_edit", "api", "submit", "body_extra"),
    "edit_result_field": ("tools", "image_edit", "api", "result", "field"),
    "video_submit_path": ("tools", "text2video", "api", "submit", "path"),
    "video_submit_headers": ("tools", "text2video", "api", "submit", "headers"),
    "video_body_fields": ("tools", "text2video", "fields"),
    "video_result_field": ("tools", "text2video", "api", "result", "field"),
    "video_sizes": ("tools", "text2video", "sizes"),
    "video_durations": ("tools", "text2video", "durations"),
    "video_poll_interval": ("tools", "text2video", "api", "poll", "interval"),
}
# 1.x model lists of {id, label} -> 2.x answers of model ids, and the tool whose catalog they extend.
MODEL_LISTS = {"models": "text2image", "edit_models": "image_edit", "video_models": "text2video"}
# Answers 2.x asks only behind `advanced`: kept when they differ from the 1.x default.
ADVANCED = (
    "plugin_version",
    "minimum_dify_version",
    "provider_name",
    "max_wait",
    "request_timeout",
    "max_result_mb",
    "image_input",
    "max_input_mb",
    "default_model",
    "edit_default_model",
    "video_default_model",
)


def migrate(answers: dict[str, Any]) -> dict[str, Any]:
    """The answers of this template for a 1.x answers mapping (a 2.x mapping is returned unchanged).

    1.x -> 2.0 here, then 2.x -> 3.0 (hooks/migrate_kinds.py, also a migration of its own), so that whatever
    version a 1.x plugin updates to, its answers have that version's shape.
    """
    if "api_overrides" in answers or not any(key in answers for key in (*MAPPING, "tool_parameters")):
        return answers
    return migrate_kinds(migrate_to_2(answers))


def migrate_to_2(answers: dict[str, Any]) -> dict[str, Any]:
    """The 2.0 answers (models per tool kind) for a 1.x answers mapping."""
    preset_name = answers.get("api_preset", "modelscope")
    old = DEFAULTS["presets"][preset_name]
    old_defaults = {
        **DEFAULTS["answers"],
        "provider_name": old["provider_name"],
        "request_timeout": 120 if answers.get("mode", old["mode"]) == "sync" else 30,
        "default_model": _first_id(answers.get("models", old["models"])),
        "edit_default_model": _first_id(answers.get("edit_models", old["edit_models"])),
        "video_default_model": _first_id(answers.get("video_models", old["video_models"])),
    }
    migrated = {key: value for key, value in answers.items() if key not in MAPPING and key not in ADVANCED}
    overrides: dict[str, Any] = {}
    for key, where in MAPPING.items():
        if key in answers and answers[key] != old[key]:
            _put(overrides, where, answers[key])
    for key, tool in MODEL_LISTS.items():
        if key not in answers:
            continue
        models = answers[key]
        migrated[key] = [str(model["id"]) for model in models]
        if any(model not in old[key] for model in models):
            _put(overrides, ("tools", tool, "models"), models)
    advanced = {key: answers[key] for key in ADVANCED if key in answers and answers[key] != old_defaults[key]}
    parameters = migrated.pop("tool_parameters", old["tool_parameters"])
    if parameters != old["tool_parameters"]:
        advanced["parameters"] = parameters
    if overrides or advanced:
        migrated["advanced"] = True
        migrated["api_overrides"] = overrides
        migrated.update(advanced)
    return migrated


def _first_id(models: list[dict[str, Any]]) -> str:
    return str(models[0]["id"]) if models else ""


def _put(document: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    *parents, leaf = path
    for key in parents:
        document = document.setdefault(key, {})
    document[leaf] = value


def main(answers_file: str) -> int:
    path = Path(answers_file)
    changed = rewrite(path, migrate)
    if changed is None:
        return 0
    answers, migrated = changed
    print(
        f"migrate_answers: {path.name}: kept {len(migrated)} answer(s) of {len(answers)}; "
        f"API overrides: {', '.join(_leaves(migrated.get('api_overrides', {}))) or 'none'}"
    )
    return 0


def _leaves(document: dict[str, Any], prefix: str = "") -> list[str]:
    found = []
    for key, value in document.items():
        dotted = f"{prefix}{key}"
        found.extend(_leaves(value, dotted + ".") if isinstance(value, dict) and value else [dotted])
    return found


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
