"""The presets' model lists: dated, grouped into model families, and current where we can tell.

Strategy: read presets/*.yml as data. Every curated model must belong to a family of its tool (the live menu
offers only what a family covers) and every family must have a curated model; a family names the sizes and
durations of the parameters it takes; every list must carry the date it was checked; the OpenAI preset's models
must be ones the official `openai` client lists as current (its ``ImageModel`` type, minus the values its source
marks deprecated). `openai` is a dev requirement of this repository only (requirements-dev.txt), never of a plugin.
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


def family_of(spec: dict[str, Any], model: str) -> str | None:
    """The first family whose patterns match the whole id, as the plugin picks it (job_client/settings.py)."""
    for name, family in (spec.get("families") or {}).items():
        if any(re.fullmatch(pattern, model) for pattern in family["match"]):
            return name
    return None


@pytest.mark.parametrize("name", PRESETS)
def test_every_curated_model_has_a_family_and_every_family_a_curated_model(name: str) -> None:
    """The live menu offers only what a family covers, and a family nobody can pick would never be tested."""
    for tool, spec in tool_lists(name):
        assert spec.get("families"), f"{name}.tools.{tool}: no model families"
        exclude = (spec.get("listing") or {}).get("exclude", [])
        covered = {}
        for model in (m["id"] for m in spec["models"]):
            family = family_of(spec, model)
            assert family, f"{name}.tools.{tool}: no family covers the curated model {model}"
            assert not any(re.fullmatch(p, model) for p in exclude), f"{name}.tools.{tool}: {model} is excluded"
            covered.setdefault(family, model)
        assert set(covered) == set(spec["families"]), (
            f"{name}.tools.{tool}: families without a curated model: {sorted(set(spec['families']) - set(covered))}"
        )


@pytest.mark.parametrize("name", PRESETS)
def test_a_family_says_how_its_models_take_each_parameter(name: str) -> None:
    for tool, spec in tool_lists(name):
        for family_name, family in spec["families"].items():
            where = f"{name}.tools.{tool}.families.{family_name}"
            changes = family.get("fields") or {}
            assert set(changes) <= set(spec["fields"]), f"{where}: fields the tool does not declare"
            takes = {key for key, path in {**spec["fields"], **changes}.items() if path is not None}
            if "size" in takes:
                assert family.get("sizes") or family.get("size_range"), f"{where}: takes a size but names none"
            if "duration" in takes:
                assert family.get("durations"), f"{where}: takes a duration but names none"
            assert set(family.get("limits") or {}) <= takes, f"{where}: limits on parameters it does not take"
            for size in family.get("sizes") or []:
                assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_:.*-]{0,31}", str(size)), f"{where}: size {size!r}"


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
