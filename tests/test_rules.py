"""One rule set: every reason a copier.yml validator gives is also what the plugin says of the same mistake.

Strategy: render each macro of includes/rules.jinja directly (Jinja with Copier's filters: fast, no render) on a
bad value, make the same mistake in a rendered plugin's own file (settings.yaml: load_settings; manifest.yaml or
a tool YAML: scripts/check.py), and assert both messages carry the same words. A last test proves the table
covers every message the macros can give, so a new validator without its plugin rule fails here.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
import pytest
import yaml
from jinja2_ansible_filters import AnsibleCoreFiltersExtension
from test_check import edit_yaml, run_static_check

from conftest import PYTHON, ROOT, render

ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(ROOT), extensions=[AnsibleCoreFiltersExtension])
CUSTOM = yaml.safe_load((ROOT / "presets" / "custom.yml").read_text(encoding="utf-8"))
KINDS = yaml.safe_load((ROOT / "includes" / "tools.yml").read_text(encoding="utf-8"))
# The schema as copier.yml's api_overrides validator loads it: with the tool kinds' names (a `kinds` rule's keys).
SCHEMA = {**yaml.safe_load((ROOT / "includes" / "schema.yml").read_text(encoding="utf-8")), "tool_kinds": list(KINDS)}
ALL_TOOLS = ["text2image", "image_edit", "text2video"]
Edit = Callable[[dict[str, Any]], Any]


def copier_says(macro: str, *arguments: Any) -> str:
    """What the validator macro answers for these arguments (empty when the answer is good)."""
    include = "includes/mapping.jinja" if macro in ("mapping", "walk") else "includes/rules.jinja"
    source = f"{{% from '{include}' import {macro} %}}{{{{ {macro}(*arguments) }}}}"
    return ENV.from_string(source).render(arguments=arguments).strip()


def api_overrides_says(preset: dict[str, Any], tools: list[str]) -> str:
    """What the api_overrides validator answers (copier.yml): the schema's walk, then the rules across keys."""
    return copier_says("walk", preset, SCHEMA["preset"], "", SCHEMA) or copier_says("mapping", preset, tools, KINDS)


def preset_with(edit: Edit) -> dict[str, Any]:
    preset = copy.deepcopy(CUSTOM)
    edit(preset)
    return preset


@pytest.fixture(scope="module")
def custom_plugin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The custom preset with every tool: a sync image API and an async video API in one settings.yaml."""
    return render(tmp_path_factory.mktemp("rules") / "plugin", api_preset="custom", tools=ALL_TOOLS)


def plugin_says(plugin: Path, tmp_path: Path, edit: Edit) -> list[str]:
    """load_settings' refusals, tool by tool, for the plugin's settings.yaml with this edit."""
    settings = tmp_path / "settings.yaml"
    data = yaml.safe_load((plugin / "job_client" / "settings.yaml").read_text(encoding="utf-8"))
    edit(data)
    settings.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    script = (
        "import json, sys\nfrom job_client.settings import load_settings\nfound = []\n"
        "for tool in sys.argv[2:]:\n    try:\n        load_settings(__import__('pathlib').Path(sys.argv[1]), tool)\n"
        "    except ValueError as error:\n        found.append(str(error))\nprint(json.dumps(found))\n"
    )
    done = subprocess.run(
        [PYTHON, "-c", script, str(settings), *ALL_TOOLS], cwd=plugin, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def test_a_preset_s_tool_keys_are_the_kinds_of_tools_yml_for_copier_and_the_plugin(custom_plugin: Path) -> None:
    """`tools` takes the kinds of includes/tools.yml and nothing else, with no list of them in the schema: a
    misspelt kind is refused in the same words by copier's validator and the plugin's schema, and a kind added to
    the kinds is a key at once."""
    misspelt = preset_with(lambda p: p["tools"].update(image2vid=p["tools"]["text2image"]))
    assert copier_says("walk", misspelt, SCHEMA["preset"], "", SCHEMA) == "tools.image2vid: unknown key"
    assert copier_says("walk", CUSTOM, SCHEMA["preset"], "", SCHEMA) == ""
    one_more_kind = {**SCHEMA, "tool_kinds": [*KINDS, "image2vid"]}
    assert copier_says("walk", misspelt, SCHEMA["preset"], "", one_more_kind) == ""
    script = (
        "import json, sys\nfrom job_client.schema import first_problem, schema\n"
        "print(json.dumps([schema()['tool_kinds'], first_problem(json.loads(sys.argv[1]), 'preset')]))"
    )
    done = subprocess.run(
        [PYTHON, "-c", script, json.dumps(misspelt)], cwd=custom_plugin, capture_output=True, text=True, check=True
    )
    kinds, problem = json.loads(done.stdout)
    assert kinds == list(KINDS)  # includes/tools.yml's, in its order
    assert problem == ["tools.image2vid: unknown key", "tools.image2vid：未知的键"]


# (the preset edit copier validates, the same edit of settings.yaml, the shared words)
MAPPING_CASES = {
    "mode": (lambda p: p["api"].update(mode="poll"), lambda s: s.update(mode="poll"), "mode must be 'sync' or 'async'"),
    "video needs async": (
        lambda p: p["tools"]["text2video"]["api"].update(mode="sync"),
        lambda s: s["tools"]["text2video"].update(mode="sync"),
        "text2video needs mode async",
    ),
    "base_url": (
        lambda p: p["api"].update(base_url="api.example.com"),
        lambda s: s.update(base_url="api.example.com"),
        "base_url: use http(s)://host/path",
    ),
    "validate_path": (
        lambda p: p["api"].update(validate_path="models"),
        lambda s: s.update(validate_path="models"),
        "validate_path must start with /",
    ),
    "submit.path": (
        lambda p: p["api"]["submit"].update(path="images"),
        lambda s: s["submit"].update(path="images"),
        "submit.path must start with /",
    ),
    "poll.path": (
        lambda p: p["api"]["poll"].update(path="/tasks"),
        lambda s: s["poll"].update(path="/tasks"),
        "poll.path needs {task_id}",
    ),
    "statuses empty": (
        lambda p: p["api"]["poll"].update(failure=[]),
        lambda s: s["poll"].update(failure=[]),
        "poll.success/failure empty",
    ),
    "statuses overlap": (
        lambda p: p["api"]["poll"].update(pending=["FAILED"]),
        lambda s: s["poll"].update(pending=["FAILED"]),
        "a status is in two lists",
    ),
    "result kind": (
        lambda p: p["api"]["result"].update(kind="html"),
        lambda s: s["result"].update(kind="html"),
        "result.kind: url/base64/binary",
    ),
    "body format": (
        lambda p: p["api"]["submit"].update(body_format="xml"),
        lambda s: s["submit"].update(body_format="xml"),
        "body_format: json or multipart",
    ),
    "dotted path": (
        lambda p: p["api"].update(error_fields=["error..message"]),
        lambda s: s.update(error_fields=["error..message"]),
        '"error..message" is not a dotted path',
    ),
    "lookup path": (
        lambda p: p["api"]["result"].update(lookup=["files/retrieve?file_id={file_id}"]),
        lambda s: s["result"].update(lookup=["files/retrieve?file_id={file_id}"]),
        "result.lookup paths must start with /",
    ),
    "error code status": (
        lambda p: p["api"].update(error_code={"field": "base_resp.status_code", "status": {1004: 200}}),
        lambda s: s.update(error_code={"field": "base_resp.status_code", "status": {1004: 200}}),
        "error_code.status: an HTTP status 400-599",
    ),
    "header values": (
        lambda p: p["api"]["submit"].update(headers={"X-Async": True}),
        lambda s: s["submit"].update(headers={"X-Async": True}),
        "quote header values",
    ),
    "required fields": (
        lambda p: p["tools"]["image_edit"]["fields"].pop("image"),
        lambda s: [fields.pop("image") for fields in image_edit_field_sets(s)],
        "fields need: model, prompt, image",
    ),
    # The schema (includes/schema.yml): any key at any depth, types, ranges, required keys.
    "unknown key": (lambda p: p["api"].update(baseurl="x"), lambda s: s.update(baseurl="x"), "baseurl: unknown key"),
    "number range": (
        lambda p: p["api"]["poll"].update(interval=-1),
        lambda s: s["poll"].update(interval=-1),
        "poll.interval must be 0.1-600",
    ),
    "number type": (
        lambda p: p["api"]["poll"].update(first_delay="soon"),
        lambda s: s["poll"].update(first_delay="soon"),
        "poll.first_delay: expected a number",
    ),
    "one of": (
        lambda p: p["api"]["submit"].update(size_separator="-"),
        lambda s: s["submit"].update(size_separator="-"),
        "submit.size_separator: one of x, *",
    ),
    "pattern": (
        lambda p: p["api"].update(auth_header="X Key"),
        lambda s: s.update(auth_header="X Key"),
        "auth_header: a header name",
    ),
    "required key": (
        lambda p: p["tools"]["text2image"]["families"]["any"].pop("match"),
        lambda s: s["tools"]["text2image"]["families"]["any"].pop("match"),
        "tools.text2image.families.any.match: missing",
    ),
    "limits inverted": (
        lambda p: p["tools"]["text2image"]["families"]["any"].update(limits={"steps": {"min": 60, "max": 2}}),
        lambda s: s["tools"]["text2image"]["families"]["any"].update(limits={"steps": {"min": 60, "max": 2}}),
        "families.any.limits.steps: min above max",
    ),
    "size range inverted": (
        lambda p: p["tools"]["text2image"]["families"]["any"].update(size_range={"min_side": 2000, "max_side": 100}),
        lambda s: s["tools"]["text2image"]["families"]["any"].update(size_range={"min_side": 2000, "max_side": 100}),
        "families.any.size_range: min_side above max_side",
    ),
    "size pair": (
        lambda p: p["tools"]["text2image"]["fields"].update(size=["width", "height", "depth"]),
        lambda s: s["tools"]["text2image"]["submit"]["body_fields"].update(size=["width", "height", "depth"]),
        "size: one path, or two ([width, height], [type, data])",
    ),
    "body path": (
        lambda p: p["tools"]["text2image"]["fields"].update(prompt="input..prompt"),
        lambda s: s["tools"]["text2image"]["submit"]["body_fields"].update(prompt="input..prompt"),
        '"input..prompt" is not a dotted path',
    ),
    "result path": (
        lambda p: p["api"]["result"].update(field="data..url"),
        lambda s: s["result"].update(field="data..url"),
        '"data..url" is not a dotted path',
    ),
    "auth kind": (
        lambda p: p["api"].update(auth={"kind": "oauth"}),
        lambda s: s.update(auth={"kind": "oauth"}),
        "auth.kind must be api_key or jwt_hs256",
    ),
    "auth fields": (
        lambda p: p["api"].update(auth={"kind": "jwt_hs256", "fields": ["Access Key", "secret_key"]}),
        lambda s: s.update(auth={"kind": "jwt_hs256", "fields": ["Access Key", "secret_key"]}),
        "auth.fields: snake_case names",
    ),
    "listing path": (
        lambda p: p["api"].update(models={"path": "models"}),
        lambda s: s.update(models={"path": "models"}),
        "models.path must start with /",
    ),
    "size word": (
        lambda p: p["tools"]["text2image"]["families"]["any"].update(sizes=["big big"]),
        lambda s: s["tools"]["text2image"]["families"]["any"].update(sizes=["big big"]),
        'size "big big": WxH, W:H or a name',
    ),
    "a model no family covers": (
        lambda p: p["tools"]["text2image"]["families"]["any"].update(match=["only-this"]),
        lambda s: s["tools"]["text2image"]["families"]["any"].update(match=["only-this"]),
        "text2image: no family matches my-image-model",
    ),
}


def image_edit_field_sets(settings: dict[str, Any]) -> list[dict[str, Any]]:
    """The image-editing tool's body fields: the union, and each family's complete set."""
    tool = settings["tools"]["image_edit"]
    return [tool["submit"]["body_fields"], *(family["body_fields"] for family in tool["families"].values())]


@pytest.mark.parametrize(("edit_preset", "edit_settings", "words"), MAPPING_CASES.values(), ids=MAPPING_CASES.keys())
def test_a_mapping_mistake_is_refused_in_the_same_words_by_copier_and_load_settings(
    custom_plugin: Path, tmp_path: Path, edit_preset: Edit, edit_settings: Edit, words: str
) -> None:
    assert api_overrides_says(CUSTOM, ALL_TOOLS) == ""
    assert words in api_overrides_says(preset_with(edit_preset), ALL_TOOLS)
    assert plugin_says(custom_plugin, tmp_path, lambda s: None) == []
    refusals = plugin_says(custom_plugin, tmp_path, edit_settings)
    assert any(words in refusal for refusal in refusals), refusals


# (macro and bad value, the same mistake in the plugin's settings.yaml, the shared words)
LIMIT_CASES = {
    "max_wait": (("between", 291, 10, 290), lambda s: s.update(max_wait=291), "must be 10-290"),
    "request_timeout": (("between", 241, 1, 240), lambda s: s.update(request_timeout=241), "must be 1-240"),
    "result cap": (("between", 31, 1, 30), lambda s: s["result"].update(max_bytes=31_000_000), "must be 1-30"),
    "input cap": (
        ("between", 21, 1, 20),
        lambda s: s["tools"]["image_edit"]["image_input"].update(max_bytes=21_000_000),
        "must be 1-20",
    ),
}


@pytest.mark.parametrize(("call", "edit_settings", "words"), LIMIT_CASES.values(), ids=LIMIT_CASES.keys())
def test_a_limit_is_refused_in_the_same_words(
    custom_plugin: Path, tmp_path: Path, call: tuple, edit_settings: Edit, words: str
) -> None:
    assert copier_says(*call) == words
    assert any(words in refusal for refusal in plugin_says(custom_plugin, tmp_path, edit_settings))


def in_tool(edit: Callable[[list[dict[str, Any]]], Any]) -> Callable[[Path], None]:
    return lambda plugin: edit_yaml(plugin / "tools" / "text2image.yaml", lambda tool: edit(tool["parameters"]))


def parameter(parameters: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(item for item in parameters if item["name"] == name)


# (macro and bad value, the same mistake in a rendered file, the words check.py reports)
IDENTITY_CASES = {
    "name": (("slug", "Qwen", 128), lambda m: m.update(name="Qwen"), "use a-z 0-9 _ - only, 1-128 chars"),
    "author pattern": (("author", "Some One"), lambda m: m.update(author="Some One"), "use a-z 0-9 _ - only, 1-64"),
    "author reserved": (("author", "dify-fan"), lambda m: m.update(author="dify-fan"), '"dify"/"langgenius" are'),
    "version": (("version", "1.0"), lambda m: m.update(version="1.0"), "use x.y.z, e.g. 0.1.0"),
    "text": (("text", "x" * 1024), lambda m: m["label"].update(en_US="x" * 1024), "must be 1-1023 characters"),
    "repo shape": (("repo", "https://example.com/a"), lambda m: m.update(repo="https://example.com/a"), "use https"),
    "repo .git": (("repo", "https://x.org/a/b.git"), lambda m: m.update(repo="https://x.org/a/b.git"), "drop the .git"),
    "repo slash": (("repo", "https://github.com/a/b/"), lambda m: m.update(repo="https://github.com/a/b/"), "drop the"),
    "e-mail": (("email", "me"), lambda m: m.update(contact="me"), "not an e-mail address"),
}
TOOL_CASES = {
    "model menu": (
        (
            "mapping",
            preset_with(lambda p: p["tools"]["text2image"]["models"][0].pop("id")),
            ["text2image"],
            KINDS,
        ),
        in_tool(lambda ps: parameter(ps, "model")["options"][0].pop("value")),
        "text2image.models: need id, label",
    ),
    "size menu": (
        ("walk", "big big", SCHEMA["size_word"], "", SCHEMA),
        in_tool(lambda ps: parameter(ps, "size")["options"][0].update(value="big big")),
        'size "big big": WxH, W:H or a name',
    ),
    "English text": (
        ("english", "通义文生图"),
        lambda plugin: (plugin / "README.md").write_text(
            (plugin / "README.md").read_text(encoding="utf-8") + "\n中文\n", encoding="utf-8"
        ),
        "English only (CJK goes in _zh)",
    ),
}


@pytest.mark.parametrize(
    ("call", "mutate", "words"),
    [(call, in_manifest_edit, words) for call, in_manifest_edit, words in IDENTITY_CASES.values()]
    + list(TOOL_CASES.values()),
    ids=[*IDENTITY_CASES, *TOOL_CASES],
)
def test_an_identity_or_menu_mistake_is_reported_by_check_in_the_same_words(
    default_plugin: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], call: tuple, mutate: Any, words: str
) -> None:
    assert words in copier_says(*call)
    plugin = shutil.copytree(default_plugin, tmp_path / "plugin", symlinks=True)
    if mutate.__code__.co_varnames[:1] == ("m",):  # an edit of manifest.yaml
        edit_yaml(plugin / "manifest.yaml", mutate)
    else:
        mutate(plugin)
    status, lines = run_static_check(plugin, capsys)
    assert status == 1 and any(words in line for line in lines), "\n".join(lines)


ACCEPTED_REPOS = [
    "https://github.com/me/plugin",
    "https://gitlab.com/group/subgroup/plugin",  # GitLab subgroups
    "https://git.example.com:8443/team/plugin",  # a self-hosted host
    "https://git.sr.ht/~me/plugin",
    "https://codeberg.org/me/plugin",
]


@pytest.mark.parametrize("url", ACCEPTED_REPOS)
def test_a_real_repository_is_accepted_by_copier_and_by_check(
    default_plugin: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], url: str
) -> None:
    assert copier_says("repo", url) == ""
    plugin = shutil.copytree(default_plugin, tmp_path / "plugin", symlinks=True)
    edit_yaml(plugin / "manifest.yaml", lambda m: m.update(repo=url))
    readme = plugin / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + f"\nSource: {url}\n", encoding="utf-8")
    _, lines = run_static_check(plugin, capsys)
    assert [line for line in lines if "repo" in line.lower()] == []


# Reasons with no file to repeat them in, and why.
NO_PLUGIN_FILE = {
    "choose at least one": "an empty multiselect: the files always hold what was chosen",
    "{}: not offered by this preset": "likewise, for an api_overrides mapping",
    "must be a YAML mapping, e.g. {}": "a shape of the answer itself, which YAML files cannot have otherwise",
    "needs `api` and `tools` mappings": "likewise: a preset's layout; settings.py refuses a section that is no mapping",
    "{}: not a field of {}": "settings.yaml holds each family's complete body_fields, no union to compare with",
    "{}: offered {} is not a field": "settings.yaml holds what was offered and rendered, nothing else",
    "the API takes the image as {} only": "the preset's image_input: a rendering keeps the answer, not the preset",
    "image_input must be data_uri or url": "likewise: the preset's own key, read only at render time",
}


# Schema reasons no answer can meet, and why: only a hand edit of settings.yaml breaks them.
NO_ANSWER = {
    "image_input.transport must be data_uri, base64 or url": "the image_input answer is a menu of exactly these three",
}


def schema_reasons(rule: Any) -> list[str]:
    """Every `says` of includes/schema.yml: the reasons its walkers give instead of the generic ones."""
    if isinstance(rule, dict):
        own = [rule["says"]] if isinstance(rule.get("says"), str) else []
        return own + [reason for value in rule.values() for reason in schema_reasons(value)]
    return []


def test_every_reason_the_validators_give_is_covered_here() -> None:
    sources = [(ROOT / "includes" / name).read_text(encoding="utf-8") for name in ("rules.jinja", "mapping.jinja")]
    questions = yaml.safe_load((ROOT / "copier.yml").read_text(encoding="utf-8"))
    sources += [spec["validator"] for spec in questions.values() if isinstance(spec, dict) and "validator" in spec]
    reasons = set()
    for source in sources:
        source = re.sub(r"\{#.*?#\}", "", source, flags=re.S)  # comments
        for found in re.findall(r"%\}(.*?)\{%", source, flags=re.S):
            reason = re.sub(r"\{\{.*?\}\}", "{}", found).strip()
            if reason and reason != "{}":
                reasons.add(reason)
    reasons |= {re.sub(r"\{(path|value)\}", "{}", says) for says in schema_reasons(SCHEMA)}
    covered = [words for *_, words in MAPPING_CASES.values()] + [words for *_, words in LIMIT_CASES.values()]
    covered += [words for *_, words in IDENTITY_CASES.values()] + [words for *_, words in TOOL_CASES.values()]
    covered += list(NO_PLUGIN_FILE) + list(NO_ANSWER)

    def is_covered(reason: str) -> bool:
        pattern = re.escape(reason).replace(re.escape("{}"), ".*")
        return any(re.search(pattern, words) or re.search(re.escape(words), reason) for words in covered)

    missing = sorted(reason for reason in reasons if not is_covered(reason))
    assert not missing, f"validator reasons with no matching plugin rule in this table: {missing}"
    assert len(reasons) >= 25  # the extraction itself must keep finding the messages
