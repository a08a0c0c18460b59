"""Every tool input is checked against the tool's own YAML before the first request (job_client/parameters.py).

Dify enforces min / max / options only in its form; a workflow variable reaches the plugin unchecked. Strategy:
the cases are generated from each rendered tools/<tool>.yaml (never written here), so a limit an author edits
stays tested. For every declared number: min and max are accepted, the nearest values outside them, a
non-integer (``precision: 0``) and non-numbers are refused; for every select: each option is accepted, anything
else refused; for a string with a length limit: the longest allowed text is accepted, one character more is
refused; every required input is refused when missing; a file input must be a file of an accepted type and size.
Refused values go through the tool's glue the way the SDK invokes it, against a fake provider, and must raise an
InvalidInputError naming the parameter, the value and what is allowed (English and Chinese) with no request
recorded at all; each accepted boundary value runs a job and must reach the submit body (integers as int).
"""

from __future__ import annotations

import dataclasses
import importlib
import math
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fake_provider import FakeProvider
from support import (
    INPUT_JPEG,
    PLUGIN_ROOT,
    RENDERED_TOOLS,
    TOOL_YAMLS,
    StartFake,
    dify_file,
    json_view,
    quick,
    settings_for,
    tool_class,
    tool_module_name,
    tool_parameters,
)

from job_client.families import SIZE as PIXEL_SIZE
from job_client.families import takes_value
from job_client.inputs import INPUT_TYPES, MAX_FETCH_BYTES
from job_client.parameters import FileLimits, InvalidInputError, Parameter, check_inputs, tool_declarations
from job_client.paths import find_all

pytestmark = pytest.mark.usefixtures("quick_glue")
REFUSED = object()  # the expected outcome of a value the check must refuse


@dataclasses.dataclass(frozen=True)
class Case:
    tool: str
    name: str  # the parameter
    why: str
    value: Any  # what Dify sends; a callable(fake) for file values, which need the fake's file service
    sent: Any = REFUSED  # for an accepted value: what the submit body must carry at the parameter's field

    @property
    def id(self) -> str:
        return f"{self.tool}-{self.name}-{self.why}"


def _number_cases(tool: str, parameter: dict[str, Any]) -> list[Case]:
    name, low, high = parameter["name"], parameter.get("min"), parameter.get("max")
    integer = parameter.get("precision") == 0
    step = 1 if integer else 0
    cases = []
    for bound, direction, label in ((low, -math.inf, "below-min"), (high, math.inf, "above-max")):
        if bound is None:
            continue
        exact = int(bound) if integer else float(bound)
        # Dify sends numbers as floats: the bound itself as a float is accepted, and sent as declared.
        cases.append(
            Case(tool, name, label.replace("below-", "").replace("above-", "") + "-accepted", float(bound), exact)
        )
        cases.append(Case(tool, name, label + "-nearest", math.nextafter(float(bound), direction)))
        if step:
            cases.append(Case(tool, name, label + "-by-one", float(bound) + (step if direction > 0 else -step)))
    if integer:
        inside = (low if low is not None else (high - 1 if high is not None else 0)) + 0.5
        if high is None or inside <= high:
            cases.append(Case(tool, name, "not-an-integer", inside))
    for why, value in (("text", "abc"), ("boolean", True), ("list", [1]), ("nan", math.nan), ("infinity", math.inf)):
        cases.append(Case(tool, name, why, value))
    return cases


def _select_cases(tool: str, parameter: dict[str, Any]) -> list[Case]:
    name, options = parameter["name"], [str(option["value"]) for option in parameter.get("options") or []]
    if not options or parameter["type"] == "dynamic-select":
        return []  # a dynamic select: its options come from the provider at run time (the YAML's are a fallback)
    cases = [Case(tool, name, f"option-{option}", option, option) for option in options]
    for why, value in (("unknown", "abc"), ("huge-size", "99999x99999"), ("list", [options[0]]), ("number", 2.5)):
        if value not in options:
            cases.append(Case(tool, name, why, value))
    return cases


def _string_cases(tool: str, parameter: dict[str, Any]) -> list[Case]:
    name, low, high = parameter["name"], parameter.get("min"), parameter.get("max")
    cases = [Case(tool, name, "mapping", {"text": "a cat"}), Case(tool, name, "list", ["a cat"])]
    if high is not None:
        longest = "x" * int(high)
        cases.append(Case(tool, name, "longest-accepted", longest, longest))
        cases.append(Case(tool, name, "one-character-too-long", longest + "x"))
    if low is not None and low > 1:
        cases.append(Case(tool, name, "one-character-too-short", "x" * (int(low) - 1)))
    if parameter.get("required"):
        cases.append(Case(tool, name, "only-spaces", "   "))
    return cases


def _file_cases(tool: str, parameter: dict[str, Any]) -> list[Case]:
    name = parameter["name"]
    limits = file_limits(tool)

    def file_of(mime_type: str, size: int | None = None) -> Any:
        def make(fake: FakeProvider) -> dict[str, Any]:
            file = dify_file(fake.add_file("input.bin", INPUT_JPEG), INPUT_JPEG, "input.bin", mime_type)
            return {**file, "size": size} if size is not None else file

        return make

    return [
        Case(tool, name, "not-a-file", "cat.jpg"),
        Case(tool, name, "text-file", file_of("text/plain")),
        Case(tool, name, "unsupported-image-type", file_of("image/svg+xml")),
        Case(tool, name, "over-the-size-limit", file_of(limits.types[0], limits.max_bytes + 1)),
        Case(tool, name, "largest-accepted", file_of(limits.types[0], limits.max_bytes), "image"),
    ]


CASE_MAKERS = {"number": _number_cases, "select": _select_cases, "string": _string_cases, "file": _file_cases}


def file_limits(tool: str) -> FileLimits:
    """What the tool's glue allows for a file: the glue derives it from the image_input settings the same way."""
    return FileLimits.for_images(settings_for(tool).image_input)


def cases_of(tool: str) -> list[Case]:
    cases = []
    for parameter in TOOL_YAMLS[tool].get("parameters", []):
        cases += CASE_MAKERS.get(parameter["type"], lambda *_: [])(tool, parameter)
        if parameter.get("required"):
            cases.append(Case(tool, parameter["name"], "missing", None))
    return cases


ALL_CASES = [case for tool in RENDERED_TOOLS for case in cases_of(tool)]
# One test per parameter, each refused value invoked on its own (a test item per value doubles the suite's time).
REFUSED_BY_PARAMETER: dict[tuple[str, str], list[Case]] = {}
for _case in ALL_CASES:
    if _case.sent is REFUSED:
        REFUSED_BY_PARAMETER.setdefault((_case.tool, _case.name), []).append(_case)
REFUSED_PARAMS = [pytest.param(cases, id=f"{tool}-{name}") for (tool, name), cases in REFUSED_BY_PARAMETER.items()]


def family_taking(tool: str, case: Case) -> str:
    """The family (settings ``families``) whose models take this accepted value, the default model's first; "" when
    the settings group no models. A value no family takes fails here: the form would offer what no model takes."""
    settings = settings_for(tool)
    if not settings.families:
        return ""
    default = settings.family_for(settings.default_model)
    ordered = sorted(settings.families, key=lambda name: not default or name != default[0])
    if case.name == "model":
        found = settings.family_for(str(case.value))
        assert found is not None, f"{case.id}: the model menu offers a model no family covers"
        return found[0]
    taken_somewhere = any(case.name in family.body_fields for family in settings.families.values())
    for name in ordered:
        family = settings.families[name]
        if not taken_somewhere or (case.name in family.body_fields and takes_value(family, case.name, case.value)):
            return name
    raise AssertionError(f"{case.id}: the tool YAML accepts {case.value!r}, but no model family takes it")


def model_of(tool: str, family: str) -> dict[str, str]:
    """A curated model of the family (the menu's own), as a parameter; {} for the default model's family."""
    settings = settings_for(tool)
    if not family or settings.family_for(settings.default_model) == (family, settings.families[family]):
        return {}
    return {"model": next(model for model in settings.models.known if settings.families[family].matches(model))}


def accepted_runs(tool: str) -> list[list[Case]]:
    """The tool's accepted values packed into as few jobs as possible: one value per parameter in each job, each
    job for one model family, so every min, every max and every option still reaches the fake with a model that
    takes it (all minimums in the first job, maximums in the second, further options after); a job per value would
    double this module's time."""
    runs: list[tuple[str, list[Case]]] = []
    for case in cases_of(tool):
        if case.sent is REFUSED:
            continue
        family = family_taking(tool, case)
        run = next(
            (run for name, run in runs if name == family and all(other.name != case.name for other in run)), None
        )
        if run is None:
            runs.append((family, run := []))
        run.append(case)
    return [run for _, run in runs]


# video_query only reads a task: its accepted values are covered by the video tests.
ACCEPTED_RUNS = [
    pytest.param(run, id=f"{tool}-{index}")
    for tool in RENDERED_TOOLS
    if tool != "video_query"
    for index, run in enumerate(accepted_runs(tool), start=1)
]


@pytest.fixture(scope="module")
def fakes() -> Iterator[Callable[[str], FakeProvider]]:
    """``fakes(tool)``: one fake per tool for the whole module (a fake per case doubles this module's time)."""
    started: dict[str, FakeProvider] = {}

    def get(tool: str) -> FakeProvider:
        if tool not in started:
            started[tool] = FakeProvider(quick(settings_for(tool))).start()
        return started[tool]

    yield get
    for fake in started.values():
        fake.stop()


def invoke(fake: FakeProvider, tool: str, values: dict[str, Any]) -> list[Any]:
    """The tool invoked as the SDK does: its form defaults, a real input image where it takes one, then ``values``
    (a callable value is given the fake: a file needs its file service)."""
    parameters = tool_parameters(tool) if tool != "video_query" else {"task_id": "task-1"}
    for parameter in TOOL_YAMLS[tool].get("parameters", []):
        if parameter["type"] == "file":
            parameters[parameter["name"]] = dify_file(fake.add_file("cat.jpg", INPUT_JPEG), INPUT_JPEG)
    parameters.update({name: value(fake) if callable(value) else value for name, value in values.items()})
    return list(tool_class(tool).from_credentials(fake.credentials, user_id="u").invoke(parameters))


def shown(value: Any) -> str:
    """How a refused scalar appears in the message: numbers as Dify users type them (2.0 is 2)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def allowed(case: Case) -> list[str]:
    """What the message must name as allowed: a number's bounds, a select's first option, a string's length."""
    parameter = {item["name"]: item for item in TOOL_YAMLS[case.tool]["parameters"]}[case.name]
    if parameter["type"] == "number":
        return [shown(float(parameter[key])) for key in ("min", "max") if parameter.get(key) is not None]
    settings = settings_for(case.tool)
    family = settings.family_for(settings.default_model)
    if family and case.name == "size":  # the default model's family decides, and says what it takes
        return [family[1].sizes[0]] if family[1].sizes else ["WxH"]
    if family and case.name == "duration":
        return [f"{family[1].durations[0]} s"] if family[1].durations else []
    if parameter["type"] == "select" and parameter.get("options"):
        return [str(parameter["options"][0]["value"])]
    if case.why == "one-character-too-long":
        return [shown(float(parameter["max"]))]
    return []


# ── through the glue: refused before any request, boundaries accepted ──────────
@pytest.mark.parametrize("cases", REFUSED_PARAMS)
def test_refused_before_any_request_naming_the_parameter_value_and_what_is_allowed(
    fakes: Callable[[str], FakeProvider], cases: list[Case]
) -> None:
    for case in cases:
        check_refused(fakes(case.tool), case)


def check_refused(fake: FakeProvider, case: Case) -> None:
    before = len(fake.requests)
    with pytest.raises(InvalidInputError) as caught:
        invoke(fake, case.tool, {case.name: case.value})
    assert fake.requests[before:] == [], case.id  # nothing reached the provider, nor Dify's file service
    error = caught.value
    assert f"'{case.name}'" in error.english and f"'{case.name}'" in error.chinese, case.id
    if case.why in ("missing", "only-spaces"):
        assert "required" in error.english and "必填" in error.chinese, case.id
    else:
        assert "allowed" in error.english and "允许" in error.chinese, case.id
    for text in allowed(case):
        assert text in error.english and text in error.chinese, (case.id, text)
    if isinstance(case.value, int | float | str) and len(shown(case.value)) < 30 and case.why != "only-spaces":
        assert shown(case.value) in error.english, case.id
    assert fake.credentials[fake.secret_field] not in str(error)


@pytest.mark.parametrize("run", ACCEPTED_RUNS)
def test_boundary_and_option_values_are_accepted_and_sent(
    fakes: Callable[[str], FakeProvider], run: list[Case]
) -> None:
    tool = run[0].tool
    fake = fakes(tool)
    before = len(fake.requests_of("submit"))
    values = {case.name: case.value for case in run}
    invoke(fake, tool, {**model_of(tool, family_taking(tool, run[0])), **values})
    (submit,) = fake.requests_of("submit")[before:]
    model = str(values.get("model") or model_of(tool, family_taking(tool, run[0])).get("model") or "")
    found = fake.settings.family_for(model or fake.settings.default_model)
    fields = found[1].body_fields if found else fake.settings.submit.body_fields
    for case in run:
        field = fields.get(case.name)
        if field is None or case.sent == "image":
            continue  # a parameter the API does not take (the check still ran), or the image (test_image_edit.py)
        if isinstance(field, list):  # a size sent as width and height
            sent = "x".join(str(value) for path in field for value in find_all(json_view(submit.body), path))
            assert sent == case.sent, case.id
            continue
        (sent,) = find_all(json_view(submit.body), field)
        if isinstance(case.sent, int) and not isinstance(case.sent, bool):
            assert sent == case.sent and type(sent) is int, case.id  # 4.0 from Dify goes out as 4
        elif case.name == "size" and PIXEL_SIZE.match(str(case.sent)):
            assert re.sub(r"\D+", "x", str(sent)) == case.sent, case.id  # written with the API's separator
        else:  # with the unit an API wants written in the value (settings submit.value_suffixes: Luma's "5s")
            assert str(sent) == f"{case.sent}{fake.settings.submit.value_suffixes.get(case.name, '')}", case.id


def test_the_cases_cover_every_declared_limit() -> None:
    """A declared limit without a refused case would pass unchecked: the case makers must know every kind."""
    for tool in RENDERED_TOOLS:
        refused = {case.name for case in cases_of(tool) if case.sent is REFUSED}
        for parameter in TOOL_YAMLS[tool].get("parameters", []):
            limited = parameter.get("required") or parameter["type"] in ("number", "file")
            live = parameter["type"] == "dynamic-select"  # any listed model goes; the provider's list decides
            limited = limited or (parameter.get("options") and not live) or parameter.get("max") is not None
            if limited:
                assert parameter["name"] in refused, f"{tool}: no refused case for {parameter['name']}"
    # Boundaries and options, where any are declared, must be sent as accepted values too.
    bounded = any(
        (parameter.get("options") and parameter["type"] != "dynamic-select")
        or parameter.get("min") is not None
        or parameter.get("max") is not None
        for tool in RENDERED_TOOLS
        for parameter in TOOL_YAMLS[tool].get("parameters", [])
    )
    assert not bounded or any(case.sent is not REFUSED for case in ALL_CASES)


def test_an_edited_limit_is_what_the_glue_enforces(
    start_fake: StartFake, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The glue reads its own YAML, not a copy: narrow a number's max in a copy of it and the glue follows."""
    tool, parameter = next(
        (
            (tool, item)
            for tool in RENDERED_TOOLS
            if tool != "video_query"
            for item in TOOL_YAMLS[tool]["parameters"]
            if item["type"] == "number" and item.get("min") is not None and item.get("max") is not None
        ),
        (None, None),
    )
    if tool is None or parameter is None:
        pytest.skip("no tool of this rendering declares a number with min and max")
    data = yaml.safe_load((PLUGIN_ROOT / "tools" / f"{tool}.yaml").read_text(encoding="utf-8"))
    narrowed = next(item for item in data["parameters"] if item["name"] == parameter["name"])
    narrowed["max"] = parameter["min"]
    edited = tmp_path / f"{tool}.yaml"
    edited.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(importlib.import_module(tool_module_name(tool)), "TOOL_YAML", edited)
    fake = start_fake(settings=quick(settings_for(tool)))
    with pytest.raises(InvalidInputError, match=f"'{parameter['name']}'"):
        invoke(fake, tool, {parameter["name"]: float(parameter["min"]) + 1})
    assert fake.requests == []
    invoke(fake, tool, {parameter["name"]: float(parameter["min"])})
    assert len(fake.requests_of("submit")) == 1


# ── the check itself, on declarations written here (its rules, not this rendering's limits) ──────────────
COUNT = Parameter("count", "number", min=1, max=4, precision=0, label="Count", label_zh="数量")
SCALE = Parameter("scale", "number", min=1.5, max=20)
SIZE = Parameter("size", "select", options=("1024x1024", "1280x720"))
SECONDS = Parameter("seconds", "select", options=("5", "10"))
TEXT = Parameter("text", "string", required=True, max=10)
PICKED = Parameter("picked", "dynamic-select")
# The rendered form of a live model menu: the curated ids are the YAML's fallback options, not a limit.
LIVE = Parameter("model", "dynamic-select", options=("curated-1", "curated-2"))


@pytest.mark.parametrize(
    ("parameter", "value", "checked"),
    [
        (COUNT, 2.0, 2),
        (COUNT, "3", 3),
        (COUNT, " 4 ", 4),
        (SCALE, 1.5, 1.5),
        (SCALE, "7.5", 7.5),
        (SCALE, 20, 20.0),
        (SIZE, "1280*720", "1280x720"),
        (SIZE, " 1024 X 1024 ", "1024x1024"),
        (SECONDS, 10.0, "10"),
        (SECONDS, 5, "5"),
        (TEXT, "0123456789", "0123456789"),
        (PICKED, "any-model-the-provider-lists", "any-model-the-provider-lists"),
        (LIVE, "a-model-in-no-preset", "a-model-in-no-preset"),
    ],
)
def test_accepted_values_come_back_typed(parameter: Parameter, value: Any, checked: Any) -> None:
    result = check_inputs([parameter], {parameter.name: value})[parameter.name]
    assert result == checked and type(result) is type(checked)


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        (COUNT, 0.0),
        (COUNT, 5),
        (COUNT, 2.5),
        (COUNT, "2.5"),
        (COUNT, "two"),
        (COUNT, False),
        (COUNT, 2**60),
        (SCALE, 1.49),
        (SCALE, 20.01),
        (SCALE, "-inf"),
        (SIZE, "1024x1025"),
        (SIZE, {"size": "1024x1024"}),
        (SECONDS, 7),
        (TEXT, "01234567890"),
        (TEXT, ""),
        (PICKED, ["a", "b"]),
    ],
)
def test_refused_values(parameter: Parameter, value: Any) -> None:
    with pytest.raises(InvalidInputError, match=f"'{parameter.name}'"):
        check_inputs([parameter], {parameter.name: value})


def test_every_problem_is_named_in_one_error_in_english_and_chinese() -> None:
    with pytest.raises(InvalidInputError) as caught:
        check_inputs([COUNT, SIZE, TEXT], {"count": 99.0, "size": "abc", "text": "   "})
    error = caught.value
    assert error.english == (
        "Input 'count' (Count) is 99; allowed: an integer from 1 to 4. "
        "Input 'size' is \"abc\"; allowed: one of 1024x1024, 1280x720. "
        "Input 'text' is required but empty."
    )
    assert error.chinese == (
        "参数 'count'（数量）为 99；允许：1 到 4 之间的整数。"
        "参数 'size'为 \"abc\"；允许：1024x1024, 1280x720 之一。"
        "参数 'text'为必填项，但为空。"
    )
    assert str(error) == f"{error.english}\n{error.chinese}"


def test_a_long_value_is_cut_and_length_is_counted_in_characters() -> None:
    with pytest.raises(InvalidInputError) as caught:
        check_inputs([TEXT], {"text": "猫" * 11})
    assert caught.value.english == "Input 'text' has 11 characters; allowed: at most 10 characters."
    with pytest.raises(InvalidInputError) as caught:
        check_inputs([SIZE], {"size": "y" * 500})
    assert len(caught.value.english) < 200


def test_optional_empty_values_and_undeclared_keys_pass_unchanged() -> None:
    values = {"count": None, "size": "", "extra": {"kept": True}, "text": "ok"}
    assert check_inputs([COUNT, SIZE, TEXT], values) == values


def test_files_are_checked_by_type_and_size() -> None:
    @dataclasses.dataclass
    class File:  # the SDK's File, as far as the check reads it
        url: str
        mime_type: str | None = None
        size: int | None = None

    image = Parameter("image", "file", required=True)
    limits = FileLimits(max_bytes=1000)
    for file in (File("https://dify/files/1", "image/jpg", 1000), File("https://dify/files/1", None, None)):
        assert check_inputs([image], {"image": file}, files=limits)["image"] is file
    for file in (File("https://dify/files/1", "image/png", 1001), File("https://dify/files/1", "image/heic", 10)):
        with pytest.raises(InvalidInputError, match="'image'"):
            check_inputs([image], {"image": file}, files=limits)
    assert FileLimits().types == INPUT_TYPES and FileLimits().max_bytes == MAX_FETCH_BYTES


def test_runtime_options_replace_the_declared_ones() -> None:
    # The hook for per-model sizes: the chosen model's own list narrows (or widens) the declared one.
    assert check_inputs([SIZE], {"size": "512x512"}, runtime_options={"size": ["512x512"]}) == {"size": "512x512"}
    with pytest.raises(InvalidInputError, match="allowed: one of 512x512"):
        check_inputs([SIZE], {"size": "1024x1024"}, runtime_options={"size": ["512x512"]})


def test_declarations_are_read_once_per_process() -> None:
    path = PLUGIN_ROOT / "tools" / f"{RENDERED_TOOLS[0]}.yaml"
    first = tool_declarations(path)
    assert tool_declarations(path) is first
    assert [parameter.name for parameter in first] == [
        item["name"] for item in TOOL_YAMLS[RENDERED_TOOLS[0]]["parameters"]
    ]


# ── the declaration keys and the refusal words, whole (what a mutation run found unchecked) ─────────────────
def test_a_declaration_is_read_from_its_yaml_keys() -> None:
    data = {
        "name": "steps",
        "type": "number",
        "required": True,
        "min": 1,
        "max": 50,
        "precision": 0,
        "options": [{"value": 5}, {"value": "10"}],
        "label": {"en_US": "Steps", "zh_Hans": "步数"},
        "default": 20,
    }
    assert Parameter.from_yaml(data) == Parameter("steps", "number", True, 1, 50, 0, ("5", "10"), "Steps", "步数", 20)
    assert Parameter.from_yaml({"name": "text", "label": {"en_US": "Text"}}) == Parameter(
        "text", "string", False, None, None, None, None, "Text", "Text", None
    )
    assert Parameter.from_yaml({"name": "n", "label": None, "options": []}) == Parameter("n", "string")


def _refusal(parameter: Parameter, value: Any, files: FileLimits | None = None) -> tuple[str, str]:
    with pytest.raises(InvalidInputError) as caught:
        check_inputs([parameter], {parameter.name: value}, files=files)
    return caught.value.english, caught.value.chinese


@dataclasses.dataclass
class _File:  # the SDK's File, as far as the check reads it
    url: Any
    mime_type: str | None = None
    size: int | None = None


def test_each_kind_of_refusal_in_both_languages() -> None:
    flag = Parameter("flag", "boolean")
    assert check_inputs([flag], {"flag": " TRUE "}) == {"flag": True}
    assert check_inputs([flag], {"flag": "false"}) == {"flag": False}
    assert check_inputs([flag], {"flag": False}) == {"flag": False}
    assert _refusal(flag, "yes") == (
        "Input 'flag' is \"yes\"; allowed: true or false.",
        "参数 'flag'为 \"yes\"；允许：true 或 false。",
    )
    number = Parameter("scale", "number", min=0.5)
    assert _refusal(number, 0.25) == (
        "Input 'scale' is 0.25; allowed: a number of at least 0.5.",
        "参数 'scale'为 0.25；允许：不小于 0.5 的数字。",
    )
    assert _refusal(Parameter("scale", "number", max=2), "x") == (
        "Input 'scale' is \"x\"; allowed: a number of at most 2.",
        "参数 'scale'为 \"x\"；允许：不大于 2 的数字。",
    )
    assert _refusal(Parameter("scale", "number"), [1]) == (
        "Input 'scale' is a list of 1; allowed: a number.",
        "参数 'scale'为 a list of 1；允许：数字。",
    )
    assert _refusal(Parameter("scale", "number"), object()) == (
        "Input 'scale' is a object; allowed: a number.",
        "参数 'scale'为 a object；允许：数字。",
    )
    assert check_inputs([Parameter("n", "number")], {"n": 2**53 - 1}) == {"n": float(2**53 - 1)}
    assert _refusal(Parameter("n", "number"), 2**53)[0] == f"Input 'n' is {2**53}; allowed: a number."
    assert _refusal(Parameter("n", "number"), -(2**53))[0] == f"Input 'n' is {-(2**53)}; allowed: a number."
    assert _refusal(Parameter("n", "number"), math.nan)[0] == "Input 'n' is nan; allowed: a number."
    text = Parameter("text", "string", min=2, max=3)
    assert check_inputs([text], {"text": 12}) == {"text": "12"}
    assert check_inputs([text], {"text": 12.0}) == {"text": "12"}
    assert _refusal(text, "abcd") == (
        "Input 'text' has 4 characters; allowed: 2 to 3 characters.",
        "参数 'text'有 4 个字符；允许：2 到 3 个字符。",
    )
    assert _refusal(Parameter("text", "string", min=2), "a") == (
        "Input 'text' has 1 characters; allowed: at least 2 characters.",
        "参数 'text'有 1 个字符；允许：至少 2 个字符。",
    )
    assert _refusal(text, ["ab"]) == (
        "Input 'text' is a list of 1; allowed: text.",
        "参数 'text'为 a list of 1；允许：文本。",
    )
    exactly = "x" * 40
    assert _refusal(Parameter("pick", "select", options=("a",)), exactly)[0] == (
        f"Input 'pick' is \"{exactly}\"; allowed: one of a."
    )
    many = tuple(str(option) for option in range(13))
    assert _refusal(Parameter("pick", "select", options=many[:12]), "z") == (
        "Input 'pick' is \"z\"; allowed: one of 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11.",
        "参数 'pick'为 \"z\"；允许：0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 之一。",
    )
    assert _refusal(Parameter("pick", "select", options=many), "z")[0] == (
        "Input 'pick' is \"z\"; allowed: one of 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, …."
    )


def test_file_refusals_in_both_languages() -> None:
    image = Parameter("image", "file")
    assert _refusal(image, _File(None)) == (
        "Input 'image' is a _File; allowed: a file.",
        "参数 'image'为 a _File；允许：文件。",
    )
    assert _refusal(image, _File("https://dify/files/1", "image/heic")) == (
        "Input 'image' is a image/heic file; allowed: a PNG, JPEG, WebP or GIF file.",
        "参数 'image'是 image/heic 文件；允许：PNG、JPEG、WebP、GIF 文件。",
    )
    assert _refusal(image, _File("https://dify/files/1", "image/png"), FileLimits(types=("image/jpeg",))) == (
        "Input 'image' is a image/png file; allowed: a JPEG file.",
        "参数 'image'是 image/png 文件；允许：JPEG 文件。",
    )
    assert _refusal(
        image, _File("https://dify/files/1", "video/mp4"), FileLimits(types=("image/jpeg", "image/x-new"))
    ) == (
        "Input 'image' is a video/mp4 file; allowed: a JPEG or image/x-new file.",
        "参数 'image'是 video/mp4 文件；允许：JPEG、image/x-new 文件。",
    )
    assert _refusal(image, _File("https://dify/files/1", "IMAGE/PNG", 2_500_000), FileLimits(max_bytes=2_000_000)) == (
        "Input 'image' is 2.5 MB; allowed: at most 2.0 MB.",
        "参数 'image'为 2.5 MB；允许：最多 2.0 MB。",
    )
    images = Parameter("images", "files")
    good, bad = _File("https://dify/files/1", "image/png"), _File("https://dify/files/2", "text/plain")
    assert check_inputs([images], {"images": [good, good]}) == {"images": [good, good]}
    assert _refusal(images, [good, bad])[0].startswith("Input 'images' is a text/plain file")
    assert _refusal(images, bad)[0].startswith("Input 'images' is a text/plain file")


def test_file_limits_follow_the_image_transport() -> None:
    from job_client.settings import ImageInputSettings

    assert FileLimits.for_images(ImageInputSettings(transport="url", max_bytes=7_000_000)) == FileLimits(
        max_bytes=7_000_000
    )
    assert FileLimits.for_images(ImageInputSettings(transport="data_uri", max_bytes=7_000_000)) == FileLimits()


def test_the_glue_check_with_and_without_model_families() -> None:
    from test_api_vocabulary import async_variant

    from job_client.parameters import check_tool_inputs
    from job_client.settings import ModelFamily, NumberLimit

    image = Parameter("image", "file")
    steps = Parameter("steps", "number", max=50, label="Steps", label_zh="步数")
    size = Parameter("size", "select", options=("1024x1024",))
    png_only = FileLimits(types=("image/png",))
    jpeg = _File("https://dify/files/1", "image/jpeg")
    plain = async_variant()  # no families: the declarations alone decide
    assert check_tool_inputs([steps], {"steps": 3.0, "extra": 1}, plain) == {"steps": 3.0, "extra": 1}
    with pytest.raises(InvalidInputError) as caught:
        check_tool_inputs([image, steps], {"image": jpeg, "steps": 60}, plain, png_only)
    assert caught.value.english == (
        "Input 'image' is a image/jpeg file; allowed: a PNG file. Input 'steps' (Steps) is 60; allowed: a number of at "
        "most 50."
    )
    family = ModelFamily(
        match=("m-.*",),
        body_fields={"model": "model", "prompt": "prompt", "steps": "steps", "size": "size", "image": "image"},
        sizes=("1024*1024",),
        limits={"steps": NumberLimit(max=8)},
    )
    grouped = dataclasses.replace(plain, families={"f": family}, default_model="m-1")
    assert check_tool_inputs([steps, size], {"steps": 4.0, "size": "1024x1024"}, grouped) == {
        "steps": 4.0,
        "size": "1024*1024",  # as the family writes it
    }
    with pytest.raises(InvalidInputError) as caught:  # refused by the declaration: said once, not again by the family
        check_tool_inputs([steps, image], {"steps": 60, "image": jpeg}, grouped, png_only)
    assert caught.value.english == (
        "Input 'steps' (Steps) is 60; allowed: a number of at most 50. "
        "Input 'image' is a image/jpeg file; allowed: a PNG file."
    )
    assert (
        caught.value.chinese
        == "参数 'steps'（步数）为 60；允许：不大于 50 的数字。参数 'image'是 image/jpeg 文件；允许：PNG 文件。"
    )
    with pytest.raises(InvalidInputError) as caught:  # a model no family covers, and a bad value: both named
        check_tool_inputs([steps, image], {"model": " other ", "steps": 60, "image": jpeg}, grouped, png_only)
    assert caught.value.english == (
        "Input 'steps' (Steps) is 60; allowed: a number of at most 50. "
        "Input 'image' is a image/jpeg file; allowed: a PNG file. "
        "Input 'model' is \"other\": no model family in settings.yaml covers it, so this tool cannot call it. "
        f"Models it can call include: {', '.join(list(grouped.models.known)[:12]) or 'm-1'}."
    )
    assert caught.value.chinese.startswith("参数 'steps'（步数）为 60；允许：不大于 50 的数字。参数 'image'是")
    model = Parameter("model", "select", options=("m-1",))
    with pytest.raises(InvalidInputError) as caught:  # the model refused by its own declaration: named once
        check_tool_inputs([model], {"model": "other"}, grouped)
    assert caught.value.english == "Input 'model' is \"other\"; allowed: one of m-1."


def test_file_details_a_file_object_may_lack() -> None:
    image = Parameter("image", "file")
    bare = type("BareFile", (), {"url": "https://dify/files/1"})()  # no mime_type, no size
    assert check_inputs([image], {"image": bare}) == {"image": bare}
    big = _File("https://dify/files/1", "image/png", 1_050_001)
    assert _refusal(image, big, FileLimits(max_bytes=1_050_000)) == (
        "Input 'image' is 1.1 MB; allowed: at most 1.1 MB.",
        "参数 'image'为 1.1 MB；允许：最多 1.1 MB。",
    )
    long = "y" * 41
    assert _refusal(Parameter("pick", "select", options=("a",)), long)[0] == (
        f"Input 'pick' is \"{long[:40]}…\"; allowed: one of a."
    )


def test_media_types_are_read_from_the_first_bytes() -> None:
    from job_client.media import sniff_mime_type

    assert sniff_mime_type(b"GIF87a" + b"\0" * 8) == "image/gif"
    assert sniff_mime_type(b"GIF89a" + b"\0" * 8) == "image/gif"
    assert sniff_mime_type(b"RIFF\0\0\0\0WEBPVP8 ") == "image/webp"
    assert sniff_mime_type(b"RIFF\0\0\0\0WAVEfmt ") is None  # a RIFF file that is not WebP
    assert sniff_mime_type(b"XXXX\0\0\0\0WEBPVP8 ") is None
