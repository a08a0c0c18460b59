"""Copier migration to 3.0.0: one models question and one default-models question for every tool kind.

Before 3.0.0 each tool kind had its own questions: `models`, `edit_models` and `video_models` (lists of model
ids) and, behind `advanced`, `default_model`, `edit_default_model` and `video_default_model`. From 3.0.0 one
`models` answer holds "<tool>:<model id>" values for every chosen tool, and `default_models` (asked only with
`advanced`) holds one such value per tool. The same decisions render the same plugin.

Copier runs it before updating, in the project folder:  python hooks/migrate_kinds.py .copier-answers.yml
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

# The questions of the template before 3.0.0 and the tool kind each one was about (a fixed piece of history).
OLD_MODEL_LISTS = {"models": "text2image", "edit_models": "image_edit", "video_models": "text2video"}
OLD_DEFAULTS = {"default_model": "text2image", "edit_default_model": "image_edit", "video_default_model": "text2video"}
# Every tool kind this template knows: a "<kind>:" value is of the new shape.
KINDS = yaml.safe_load((Path(__file__).parents[1] / "includes" / "tools.yml").read_text(encoding="utf-8"))


def is_old_shape(answers: dict[str, Any]) -> bool:
    """True for answers written before 3.0.0 (a 3.x answers file is left alone, so running twice is harmless)."""
    if any(key in answers for key in (*OLD_DEFAULTS, "edit_models", "video_models")):
        return True
    prefixes = tuple(f"{kind}:" for kind in KINDS)
    return any(not str(model).startswith(prefixes) for model in answers.get("models") or [])


def migrate(answers: dict[str, Any]) -> dict[str, Any]:
    """The 3.x answers for a 2.x answers mapping (a 3.x mapping is returned unchanged)."""
    if not is_old_shape(answers):
        return answers
    tools = list(answers.get("tools") or [])
    chosen: dict[str, list[str]] = {}
    for key, tool in OLD_MODEL_LISTS.items():
        if tool in tools and answers.get(key) is not None:
            chosen[tool] = [str(model) for model in answers[key]]
    defaults: dict[str, str] = {}
    for key, tool in OLD_DEFAULTS.items():
        if tool in tools and answers.get(key) is not None:
            defaults[tool] = str(answers[key])
    migrated: dict[str, Any] = {}
    for key, value in answers.items():
        if key in OLD_DEFAULTS or key in OLD_MODEL_LISTS:
            # The new answers take the place of the first old one, so the file keeps its order.
            if "models" not in migrated:
                migrated["models"] = [f"{tool}:{model}" for tool, models in chosen.items() for model in models]
            if defaults and "default_models" not in migrated and key in OLD_DEFAULTS:
                # An advanced answer covered every chosen tool; a tool without one keeps its first model.
                firsts = {tool: models[0] for tool, models in chosen.items() if models}
                picked = {**firsts, **defaults}
                migrated["default_models"] = [f"{tool}:{picked[tool]}" for tool in chosen if tool in picked]
            continue
        migrated[key] = value
    return migrated


def rewrite(path: Path, migrate: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Run ``migrate`` over an answers file and write the result back, its comment header kept; returns (answers,
    migrated), or None when the migration left the answers as they were (nothing is written then)."""
    text = path.read_text(encoding="utf-8")
    answers = yaml.safe_load(text) or {}
    migrated = migrate(answers)
    if migrated is answers:
        return None
    header = "".join(line + "\n" for line in text.splitlines() if line.startswith("#"))
    path.write_text(header + yaml.safe_dump(migrated, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return answers, migrated


def main(answers_file: str) -> int:
    path = Path(answers_file)
    changed = rewrite(path, migrate)
    if changed:
        migrated = changed[1]
        print(
            f"migrate_kinds: {path.name}: models {migrated['models']}, defaults {migrated.get('default_models', '-')}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
