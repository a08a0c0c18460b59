"""The presets' model lists: dated, reachable through their own listing filters, and current where we can tell.

Strategy: read presets/*.yml as data. Every curated model must pass its tool's listing filter (else the live
menu would drop it); every list must carry the date it was checked; the OpenAI preset's models must be ones the
official `openai` client lists as current (its ``ImageModel`` type, minus the values its source marks
deprecated). `openai` is a dev requirement of this repository only (requirements-dev.txt), never of a plugin.
"""

from __future__ import annotations

import datetime
import re
import typing
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import ROOT

PRESETS = sorted(path.stem for path in (ROOT / "presets").glob("*.yml"))


def load(name: str) -> dict[str, Any]:
    with (ROOT / "presets" / f"{name}.yml").open(encoding="utf-8") as stream:
        return yaml.safe_load(stream)


def tool_lists(name: str) -> list[tuple[str, dict[str, Any]]]:
    return list(load(name)["tools"].items())


@pytest.mark.parametrize("name", PRESETS)
def test_each_model_list_is_dated(name: str) -> None:
    preset = load(name)
    for tool, spec in tool_lists(name):
        checked = (spec.get("listing") or {}).get("checked", preset.get("checked"))
        assert checked, f"{name}.tools.{tool}: no checked date for its model list"
        datetime.date.fromisoformat(str(checked))


@pytest.mark.parametrize("name", PRESETS)
def test_every_curated_model_passes_its_tools_listing_filter(name: str) -> None:
    preset = load(name)
    if not (preset["api"].get("models") or {}).get("path"):
        pytest.skip(f"{name}: no listing endpoint, so no filter (the curated list is the menu)")
    for tool, spec in tool_lists(name):
        listing = spec.get("listing") or {}
        for pattern in [*listing.get("match", []), *listing.get("exclude", [])]:
            re.compile(pattern)
        for model in (m["id"] for m in spec["models"]):
            matched = not listing.get("match") or any(re.fullmatch(p, model) for p in listing["match"])
            excluded = any(re.fullmatch(p, model) for p in listing.get("exclude", []))
            assert matched and not excluded, f"{name}.tools.{tool}: {model} would never be in the live menu"


def current_openai_image_models() -> set[str]:
    image_model = pytest.importorskip("openai.types.image_model")
    listed = set(typing.get_args(image_model.ImageModel))
    # The deprecated values are documented in a string after the alias (not kept at run time): read the source.
    source = Path(image_model.__file__).read_text(encoding="utf-8")
    notes = source.split("Deprecated values:", 1)[1] if "Deprecated values:" in source else ""
    deprecated = {
        value
        for line in notes.splitlines()
        if line.lstrip().startswith("-")
        for value in re.findall(r'"([^"]+)"', line.split(":", 1)[0])
    }
    assert listed and deprecated <= listed
    return listed - deprecated


def test_the_openai_presets_models_are_current_in_the_official_client() -> None:
    current = current_openai_image_models()
    models = [model["id"] for model in load("openai_compatible")["tools"]["text2image"]["models"]]
    assert models[0] in current, f"default model {models[0]} is not current in openai's ImageModel"
    assert set(models) <= current, f"not current in openai's ImageModel: {sorted(set(models) - current)}"
