"""Contract tests: the rendered plugin's requests match the official client's, for every preset x tool.

For each driver (providers.DRIVERS), tool and scenario: render the plugin with the repo's fixtures, run the
official client and then the plugin's JobClient (in a subprocess, so every rendering imports its own
job_client) against the same recording server with the same scripted answers, and assert that

- the API requests agree on method, path, auth header, the driver's required headers, content type, and the
  body's field names, nesting, value types and values (file parts by content type and bytes);
- the plugin returns exactly the files the answers carry (and the URLs/base64 the official client parsed),
  reports failed result items with the provider's message, or raises with the provider's message.

A preset whose data cannot meet the contract yet is marked xfail (strict) with the driver's precise reason,
read from the rendered settings.yaml: the case turns green, and the marker must go, once the data is fixed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import ROOT, render
from contracts.harness import (
    Expected,
    body_view,
    credential_check,
    credentials,
    family_calls,
    known_gap,
    request_target,
    run_plugin,
    scenarios,
    sdk_only,
    verify_request,
)
from contracts.providers import DRIVERS
from contracts.recorder import Recorded, Recorder

CASES = [
    pytest.param(preset, tool, scenario, family, id="-".join(filter(None, (preset, tool, scenario, family))))
    for preset, driver in DRIVERS.items()
    for tool in driver.TOOLS
    for scenario in scenarios(driver, tool)
    # The success path once per model family (each with its own model, parameters and size); failures once.
    for family in (family_calls(driver, tool) if scenario == "success" else [""])
]
# What every preset's scripted answers must cover: failures too, not only the success path.
REQUIRED_SCENARIOS = {
    "sync": {"success", "bad_key", "http_error"},
    "async": {"success", "bad_key", "http_error", "task_failed", "status_500"},
}


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One rendering per preset with all of the driver's tools and every parameter their APIs take (not only those
    the preset shows by default: the contract covers the whole mapping), shared by its cases."""
    cache: dict[str, Path] = {}

    def _rendered(preset: str) -> Path:
        if preset not in cache:
            tools = list(DRIVERS[preset].TOOLS)
            data = yaml.safe_load((ROOT / "presets" / f"{preset}.yml").read_text(encoding="utf-8"))
            inputs = {"model", "prompt", "image"}
            taken = sorted({name for tool in tools for name in data["tools"][tool]["fields"]} - inputs)
            destination = tmp_path_factory.mktemp(preset) / "plugin"
            cache[preset] = render(destination, api_preset=preset, tools=tools, advanced=True, parameters=taken)
        return cache[preset]

    return _rendered


def submit_and_polls(calls: list[Recorded]) -> tuple[Recorded, list[Recorded]]:
    submits = [call for call in calls if call.method == "POST"]
    assert len(submits) == 1, [(call.method, call.path) for call in calls]
    return submits[0], [call for call in calls if call.method == "GET"]


def assert_same_request(
    official: Recorded, plugin: Recorded, headers: tuple[str, ...], client_only: dict[str, str]
) -> None:
    assert (plugin.method, plugin.path) == (official.method, official.path)
    for name in headers:
        assert plugin.header(name) == official.header(name), f"header {name}"
    assert plugin.content_type == official.content_type
    ours, theirs = body_view(plugin), body_view(official)
    # An explicit null (the Ark SDK sends every optional field) means "not given", as the APIs treat it.
    theirs = {name: value for name, value in theirs.items() if name not in client_only and value[1] is not None}
    assert sorted(ours) == sorted(theirs), "body field names and nesting"
    for name, (kind, value) in theirs.items():
        assert ours[name] == (kind, value), f"body field {name}: type and value"


def check_contract(driver: Any, root: Path, tool: str, scenario: str, family: str = "") -> None:
    """Run the official client and the rendering at ``root`` on one recorder; assert they agree."""
    call = family_calls(driver, tool)[family] if family else driver.call(tool)
    with Recorder() as recorder:
        expected: Expected = driver.script(recorder, tool, scenario)
        official = driver.official(recorder.origin, tool, call)
        official_calls = recorder.api_calls()
        recorder.reset()
        assert driver.script(recorder, tool, scenario) == expected
        base_url = recorder.origin + driver.base_path(tool)
        outcome = run_plugin(root, tool, credentials(driver), base_url, call)
        plugin_calls = recorder.api_calls()
    for recorded in plugin_calls:
        verify_request(driver, recorded)

    official_submit, official_polls = submit_and_polls(official_calls)
    plugin_submit, plugin_polls = submit_and_polls(plugin_calls)
    assert_same_request(official_submit, plugin_submit, driver.SUBMIT_HEADERS, sdk_only(driver, tool))
    # Status requests (and a result fetch): the same URLs with the same headers; how often is timing, not contract.
    ours = sorted({request_target(driver, poll) for poll in plugin_polls})
    assert ours == sorted({request_target(driver, poll) for poll in official_polls})
    for poll in plugin_polls:
        theirs = next(call for call in official_polls if request_target(driver, call) == request_target(driver, poll))
        for name in driver.POLL_HEADERS:
            assert poll.header(name) == theirs.header(name), f"status request header {name}"

    if expected.error is not None:
        assert official.error is not None and expected.error in official.error, official
        assert "error" in outcome, outcome
        assert expected.error in outcome["error"]["english"]
        assert expected.error in outcome["error"]["chinese"]
        keys = credentials(driver)
        for key in keys.values() if isinstance(keys, dict) else [keys]:
            assert key not in json.dumps(outcome, ensure_ascii=False)
        return
    assert "error" not in outcome, outcome
    assert [file["sha256"] for file in outcome["files"]] == [
        hashlib.sha256(data).hexdigest() for data in expected.files
    ]
    assert outcome["failures"] == expected.failures
    urls = [file["url"] for file in outcome["files"]]
    if all(urls):  # URL results: the plugin downloaded exactly what the official client was given
        assert urls == official.results
    else:  # base64 results: the official client parsed the same bytes
        assert [base64.b64decode(item) for item in official.results] == expected.files


def settings_of(root: Path) -> dict[str, Any]:
    return yaml.safe_load((root / "job_client" / "settings.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(("preset", "tool", "scenario", "family"), CASES)
def test_plugin_matches_the_official_client(rendered: Any, preset: str, tool: str, scenario: str, family: str) -> None:
    driver = DRIVERS[preset]
    root = rendered(preset)
    gap = known_gap(driver, tool, settings_of(root))
    if gap:
        pytest.xfail(f"{preset} preset data: {gap}")  # see the module docstring
    check_contract(driver, root, tool, scenario, family)


@pytest.mark.parametrize("preset", list(DRIVERS))
def test_every_model_family_is_called_with_a_model_of_its_own_and_all_it_takes(rendered: Any, preset: str) -> None:
    """Contracts cover models, not defaults: a call per family, each with every optional parameter the family
    takes and a size other than its default, and a model other than the tool's default wherever one exists."""
    driver = DRIVERS[preset]
    families = settings_of(rendered(preset))["tools"]
    for tool in driver.TOOLS:
        declared = families[tool]["families"]
        calls = family_calls(driver, tool)
        assert set(calls) == set(declared), f"{preset} {tool}: calls for {sorted(calls)}, families {sorted(declared)}"
        default = families[tool]["default_model"]
        known = families[tool]["models"]["known"]
        for name, call in calls.items():
            family = declared[name]
            assert any(re.fullmatch(pattern, call.model) for pattern in family["match"]), (name, call.model)
            others = [
                model for model in known if model != default and any(re.fullmatch(p, model) for p in family["match"])
            ]
            assert call.model != default or not others, f"{preset} {tool} {name}: call {others[0]}, not the default"
            takes = set(family["body_fields"]) - {"model", "prompt", "image"}
            assert call.given() == takes, f"{preset} {tool} {name}: sets {sorted(call.given())}, takes {sorted(takes)}"
            sizes = family.get("sizes") or []
            if "size" in takes and len(sizes) > 1:
                assert call.size != sizes[0], f"{preset} {tool} {name}: a size other than the default {sizes[0]}"


@pytest.mark.parametrize("preset", list(DRIVERS))
def test_every_preset_scripts_its_failures(rendered: Any, preset: str) -> None:
    driver = DRIVERS[preset]
    tools = settings_of(rendered(preset))["tools"]
    top_mode = settings_of(rendered(preset))["mode"]
    for tool in driver.TOOLS:
        mode = tools[tool].get("mode", top_mode)
        missing = REQUIRED_SCENARIOS[mode] - set(scenarios(driver, tool))
        assert not missing, f"{preset} {tool} ({mode}): no scripted {sorted(missing)}"


def patched_copy(root: Path, destination: Path, edit: Any) -> Path:
    """A copy of the rendering whose settings.yaml went through ``edit(settings)``."""
    shutil.copytree(root, destination, ignore=shutil.ignore_patterns(".venv", "__pycache__"))
    path = destination / "job_client" / "settings.yaml"
    settings = settings_of(destination)
    edit(settings)
    path.write_text(yaml.safe_dump(settings, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return destination


# Deliberately broken preset fields: each must make its contract fail, or the harness proves nothing.
BREAKAGES = {
    # name: (preset, tool, section, key, item (None: the key itself), new value (None: delete), what must fail)
    "dashscope size nested under input": (
        "dashscope", "text2image", "submit", "body_fields", "size", "input.size", "body field names and nesting",
    ),
    "dashscope async header dropped": (
        "dashscope", "text2image", "submit", "headers", "X-DashScope-Async", None, "header x-dashscope-async",
    ),
    "modelscope task-type header wrong": (
        "modelscope", "text2image", "poll", "headers", "X-ModelScope-Task-Type", "video_generation",
        "status request header x-modelscope-task-type",
    ),
    "openai result read from url": (
        "openai_compatible", "text2image", "result", "field", None, "data[*].url", "NoResultsError",
    ),
    "luma keyframe type dropped": (
        "luma", "image2video", "submit", "body_extra", "keyframes.frame0.type", None, "body field names and nesting",
    ),
    "luma duration unit dropped": (
        "luma", "text2video", "submit", "value_suffixes", "duration", None, "body field duration: type and value",
    ),
    "minimax task id under another query name": (
        "minimax", "text2video", "poll", "path", None, "/query/video_generation?id={task_id}", "?id=106916112212032",
    ),
    "minimax file lookup dropped": ("minimax", "image2video", "result", "lookup", None, [], "/v1/files/retrieve"),
    "runway another API version": (
        "runway", "image2video", "extra_headers", "X-Runway-Version", None, "2023-01-01", "header x-runway-version",
    ),
    "google image sent under snake_case inline_data": (
        "google", "image_edit", "submit", "body_fields", "image",
        ["contents[0].parts[1].inline_data.mime_type", "contents[0].parts[1].inline_data.data"],
        "body field names and nesting",
    ),
    "kling token issued by the secret key": (
        "kling", "text2image", "auth", "fields", None, ["secret_key", "access_key"], "authorization token",
    ),
    "kling image sent as a data URI": (
        "kling", "image2video", "image_input", "transport", None, "data_uri", "body field image",
    ),
}  # fmt: skip


@pytest.mark.parametrize("breakage", list(BREAKAGES))
def test_a_broken_preset_field_fails_its_contract(rendered: Any, tmp_path: Path, breakage: str) -> None:
    preset, tool, section, key, item, value, failure = BREAKAGES[breakage]

    def edit(settings: dict[str, Any]) -> None:
        # The tool's own section when it says this key (settings.yaml's tools.<tool>), else the shared one.
        own = settings.get("tools", {}).get(tool, {}).get(section, {})
        target = own if key in own else settings[section]
        if item is None:
            target[key] = value
        elif value is None:
            del target[key][item]
        else:
            target[key][item] = value
        # Each model family carries its own complete body_fields, which decide the request: break them alike.
        if (section, key) == ("submit", "body_fields") and item is not None:
            for family in settings.get("tools", {}).get(tool, {}).get("families", {}).values():
                if value is None:
                    family["body_fields"].pop(item, None)
                else:
                    family["body_fields"][item] = value

    root = patched_copy(rendered(preset), tmp_path / "plugin", edit)
    with pytest.raises(AssertionError) as caught:
        check_contract(DRIVERS[preset], root, tool, "success")
    assert failure in str(caught.value)


@pytest.mark.parametrize("preset", [name for name, driver in DRIVERS.items() if credential_check(driver)])
def test_the_credential_check_is_the_official_clients_cheap_request(rendered: Any, preset: str) -> None:
    """The provider form's check (validate_path) makes the request the official client makes to read the account,
    with the same auth and constant headers, and accepts its answer."""
    driver = DRIVERS[preset]
    tool = driver.TOOLS[0]
    with Recorder() as recorder:
        credential_check(driver)(recorder, recorder.origin)
        theirs = recorder.api_calls()
        recorder.reset()
        credential_check(driver)(recorder, None)  # scripts the same answer only
        base_url, call = recorder.origin + driver.base_path(tool), driver.call(tool)
        outcome = run_plugin(rendered(preset), tool, driver.API_KEY, base_url, call, check_credentials=True)
        ours = recorder.api_calls()
    assert [(call.method, call.path) for call in ours] == [(call.method, call.path) for call in theirs]
    assert len(ours) == 1
    for name in driver.POLL_HEADERS:
        assert ours[0].header(name) == theirs[0].header(name), f"header {name}"
    assert outcome == {}, outcome


def test_every_preset_offered_has_a_contract_for_each_of_its_tools() -> None:
    # A preset is verified by its contract test, not by agreeing with a fake built from itself; custom is the
    # user's own API (nothing to verify against), everything else must have its driver.
    root = Path(__file__).resolve().parents[2] / "presets"
    presets = {path.stem: yaml.safe_load(path.read_text(encoding="utf-8")) for path in root.glob("*.yml")}
    assert set(presets) - {"custom"} == set(DRIVERS)
    for name, driver in DRIVERS.items():
        assert set(driver.TOOLS) == set(presets[name]["tools"]), f"{name}: a tool without its contract"
