"""The template renders a complete, loadable plugin for every kind of answer.

Strategy: a pairwise matrix over preset x mode x exposed parameters x odd labels, each rendered through
Copier's API from the working tree. Every rendering is checked statically (YAML parses, Python compiles,
names and files line up, odd text survives byte for byte, the answers file is clean) and then loaded the way
Dify does, by the plugin's own `scripts/check.py`: the SDK's models and start-up path (manifest -> provider
-> tools -> source files -> assets), no silently ignored key, plus the daemon's and marketplace's rules.
Apart from the matrix, every preset is rendered with all the tools it offers, loaded the same way and try-run
against its fake; every tool combination is rendered with one preset (a tool's files do not depend on the
preset); a tool a preset lacks is refused before anything is written.
"""

from __future__ import annotations

import ast
import itertools
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from PIL import Image

from conftest import PYTHON, ROOT, render, run

ODD_TEXT = {
    "plugin_label": 'Qwen "Image": #1 & <v2> {tongyi}',
    "plugin_label_zh": '通义 "万相"：文生图 #2 & more',
    "plugin_description": "Images: from 'text' # with \"quotes\" & colons: yes",
    "plugin_description_zh": '根据文字生成图片：支持 #标签 与 "引号"',
}
ODD_API = {
    "provider": {"label": 'Ali: "Bailian" #1', "label_zh": "阿里云：百炼 #1"},
    "tools": {
        "text2image": {
            "models": [
                {"id": "Qwen/Qwen-Image:v2", "label": 'Qwen "Image": #1'},
                {"id": "wan2.2-t2i-flash", "label": "万相 2.2 & Flash"},
            ],
            # A model the preset does not know needs its family (what it takes): here, the Wan family's sizes.
            "families": {"odd": {"match": ["Qwen/Qwen-Image:v[0-9]+"], "sizes": ["1024x1024", "1280x720"]}},
        }
    },
}
ALL_PARAMETERS = ["size", "negative_prompt", "seed", "n", "steps", "guidance"]
ASYNC_API = {
    "mode": "async",
    "submit": {"task_id_field": "id"},
    "poll": {"path": "/tasks/{task_id}", "status_field": "status", "success": ["succeeded"], "failure": ["failed"]},
}


def with_overrides(*overrides: dict, **answers: object) -> dict:
    """Answers with `advanced` on and these api_overrides merged (later ones win, mappings merge)."""
    merged: dict = {}
    for override in overrides:
        merged = deep_merge(merged, override)
    return {"advanced": True, "api_overrides": merged, **answers}


def deep_merge(base: dict, extra: dict) -> dict:
    out = dict(base)
    for key, value in extra.items():
        out[key] = deep_merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


MATRIX = {
    "modelscope-defaults": {},
    "modelscope-no-params": {"advanced": True, "parameters": []},
    "dashscope-odd-labels": {"api_preset": "dashscope", **with_overrides(ODD_API), **ODD_TEXT},
    "dashscope-no-params": {"api_preset": "dashscope", "advanced": True, "parameters": []},
    "openai-sync-base64": {"api_preset": "openai_compatible"},
    "openai-async-all-params": {
        "api_preset": "openai_compatible",
        **with_overrides(
            {"api": ASYNC_API},
            {"tools": {"text2image": {"fields": {name: name for name in ALL_PARAMETERS}}}},
            parameters=ALL_PARAMETERS,
            provider_name="2d-art",
        ),
    },
    "custom-async-odd-labels": {
        "api_preset": "custom",
        **with_overrides({"api": ASYNC_API}, ODD_API, parameters=ALL_PARAMETERS),
        **ODD_TEXT,
    },
    "custom-sync-minimal": {
        "api_preset": "custom",
        **with_overrides(parameters=[]),
        "plugin_name": "9-lives_",
        "author": "a-",
    },
    "modelscope-image-and-edit": {"tools": ["text2image", "image_edit"]},
    "dashscope-all-tools-odd-labels": {
        "api_preset": "dashscope",
        "tools": ["text2image", "image_edit", "text2video", "image2video"],
        **with_overrides(ODD_API),
        **ODD_TEXT,
    },
    "dashscope-video-only": {"api_preset": "dashscope", "tools": ["text2video"]},
    "openai-edit-only-url-input": {
        "api_preset": "openai_compatible",
        "tools": ["image_edit"],
        "advanced": True,
        "image_input": "url",
    },
    "custom-async-all-tools": {
        "api_preset": "custom",
        "tools": ["text2image", "image_edit", "text2video"],
        **with_overrides({"api": ASYNC_API}),
    },
    "siliconflow-defaults": {"api_preset": "siliconflow"},
}
KINDS = yaml.safe_load((ROOT / "includes" / "tools.yml").read_text(encoding="utf-8"))
TOOL_FILES = {
    "text2image": ["text2image"],
    "image_edit": ["image_edit"],
    "text2video": ["text2video", "video_submit", "video_query"],
    "image2video": ["image2video"],
}
DIFY_I18N = {"en_US", "zh_Hans", "ja_JP", "pt_BR"}


@pytest.fixture(scope="module", params=MATRIX.values(), ids=MATRIX.keys())
def rendering(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    answers = request.param
    return render(tmp_path_factory.mktemp("render") / "plugin", **answers), answers


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_yaml_parses_and_python_compiles(rendering: tuple[Path, dict]) -> None:
    plugin, _ = rendering
    for path in plugin.rglob("*.yaml"):
        assert isinstance(load(path), dict), path
    for path in plugin.rglob("*.py"):
        ast.parse(path.read_text(encoding="utf-8"), str(path))  # raises on a syntax error
    assert not list(plugin.rglob("*.jinja")), "a template suffix leaked into the rendering"


def test_manifest_provider_tools_and_sources_line_up(rendering: tuple[Path, dict]) -> None:
    plugin, answers = rendering
    manifest = load(plugin / "manifest.yaml")
    assert re.fullmatch(r"[a-z0-9_-]{1,128}", manifest["name"])
    assert re.fullmatch(r"[a-z0-9_-]{1,64}", manifest["author"])
    assert re.fullmatch(r"\d{1,4}(\.\d{1,4}){2}", manifest["version"])
    assert manifest["type"] == "plugin" and manifest["privacy"] == "PRIVACY.md"
    assert manifest["meta"]["runner"] == {"language": "python", "version": "3.12", "entrypoint": "main"}
    assert manifest["meta"]["arch"] == ["amd64", "arm64"] and manifest["resource"]["memory"] > 0
    assert set(manifest["label"]) == DIFY_I18N and set(manifest["description"]) == DIFY_I18N
    assert (plugin / "_assets" / manifest["icon"]).is_file()
    (provider_path,) = manifest["plugins"]["tools"]
    provider = load(plugin / provider_path)
    assert (plugin / provider["extra"]["python"]["source"]).is_file()
    assert set(provider["credentials_for_provider"]) == {"api_key", "base_url"}
    assert provider["credentials_for_provider"]["api_key"]["type"] == "secret-input"
    chosen = answers.get("tools", ["text2image"])
    expected_tools = [name for tool in TOOL_FILES if tool in chosen for name in TOOL_FILES[tool]]
    assert provider["tools"] == [f"tools/{name}.yaml" for name in expected_tools]
    rendered = sorted(path.stem for path in (plugin / "tools").glob("*.yaml"))
    assert rendered == sorted(expected_tools), "a tool that was not chosen was rendered, or one is missing"
    for tool_path in provider["tools"]:
        tool = load(plugin / tool_path)
        assert (plugin / tool["extra"]["python"]["source"]).is_file()
        names = [parameter["name"] for parameter in tool["parameters"]]
        if tool_path == "tools/text2image.yaml":
            shown = answers.get("parameters", names)
            assert names == ["prompt", "model", *[p for p in ALL_PARAMETERS if p in shown and p in names]]
            assert set(shown) <= set(names) or "parameters" not in answers or not shown
        for parameter in tool["parameters"]:
            assert parameter["form"] in {"llm", "form"} and parameter["label"]["en_US"]
            assert parameter["human_description"]["en_US"]
    requirements = (plugin / "requirements.txt").read_text(encoding="utf-8")
    assert ("Pillow" in requirements) == ("image_edit" in chosen)


HAN = "[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
# A Chinese sentence spaces Han from Latin letters and digits and never spaces two Han characters:
# "通过 OpenAI 图像生成", never "通过OpenAI 图像" or "发送给 魔搭社区".
MISSPACED = re.compile(f"{HAN}[A-Za-z0-9]|[A-Za-z0-9]{HAN}|{HAN} +{HAN}")


def template_chinese_text(plugin: Path) -> dict[str, str]:
    """{where: text} for the Chinese the template writes (not the user's own answers, kept as typed)."""
    found = {"readme/README_zh_Hans.md": (plugin / "readme" / "README_zh_Hans.md").read_text(encoding="utf-8")}
    for path in sorted((plugin / "tools").glob("*.yaml")) + sorted((plugin / "provider").glob("*.yaml")):
        document = load(path)
        texts = [document.get("description", {}).get("human", {}).get("zh_Hans", "")]
        texts += [
            field.get(key, {}).get("zh_Hans", "")
            for field in document.get("credentials_for_provider", {}).values()
            for key in ("placeholder", "help")
        ]
        found[path.relative_to(plugin).as_posix()] = "\n".join(texts)
    return found


def test_no_doubled_api_in_the_words(rendering: tuple[Path, dict]) -> None:
    # A provider label may end in "API" (the custom preset's is "Image API"): "your Image API API key" reads badly.
    plugin, _ = rendering
    texts = [plugin / "README.md", plugin / "AGENTS.md", *plugin.glob("provider/*.yaml"), *plugin.glob("tools/*.yaml")]
    assert [path.name for path in texts if "API API" in path.read_text(encoding="utf-8")] == []


def test_template_chinese_spaces_han_and_latin(rendering: tuple[Path, dict]) -> None:
    plugin, _ = rendering
    misspaced = {where: MISSPACED.findall(text) for where, text in template_chinese_text(plugin).items()}
    assert {where: found for where, found in misspaced.items() if found} == {}


def test_odd_text_survives_byte_for_byte(rendering: tuple[Path, dict]) -> None:
    """Labels reach every file unchanged: the odd ones given here, or the preset's defaults in the other cases."""
    plugin, given = rendering
    answers = load(plugin / ".copier-answers.yml")
    assert {key: answers[key] for key in ODD_TEXT if key in given} == {
        key: given[key] for key in ODD_TEXT if key in given
    }
    preset = deep_merge(load(ROOT / "presets" / f"{answers['api_preset']}.yml"), answers.get("api_overrides") or {})
    manifest = load(plugin / "manifest.yaml")
    assert manifest["label"]["en_US"] == answers["plugin_label"]
    assert manifest["label"]["zh_Hans"] == answers["plugin_label_zh"]
    assert manifest["description"]["en_US"] == answers["plugin_description"]
    provider = load(plugin / manifest["plugins"]["tools"][0])
    label, label_zh = preset["provider"]["label"], preset["provider"]["label_zh"]
    assert provider["identity"]["label"] == {"en_US": label, "zh_Hans": label_zh, "ja_JP": label, "pt_BR": label}
    if (plugin / "tools" / "text2image.yaml").exists():
        tool = load(plugin / "tools" / "text2image.yaml")
        (model,) = [p for p in tool["parameters"] if p["name"] == "model"]
        assert [(o["value"], o["label"]["en_US"]) for o in model["options"]] == [
            (m["id"], m["label"])
            for m in preset["tools"]["text2image"]["models"]
            if f"text2image:{m['id']}" in answers["models"]
        ]
    settings = load(plugin / "job_client" / "settings.yaml")
    assert settings["provider_label"] == label


def test_answers_file_is_clean_and_locks_created_at(rendering: tuple[Path, dict]) -> None:
    plugin, _ = rendering
    answers = load(plugin / ".copier-answers.yml")
    assert not {"provider_class", "provider_module", "preset", "preset_file", "provider_label"} & set(answers)
    # Decisions only: no API mapping is stored unless it is the user's own override.
    assert not {"base_url", "submit_path", "poll_path", "body_fields", "result_field", "sizes"} & set(answers)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", answers["created_at"])
    assert load(plugin / "manifest.yaml")["created_at"] == answers["created_at"]
    text = (plugin / ".copier-answers.yml").read_text(encoding="utf-8")
    assert not re.search(r"(api_key|secret|token)\s*:", text)


def test_sdk_loads_the_plugin_and_all_rules_pass(rendering: tuple[Path, dict]) -> None:
    plugin, _ = rendering
    result = run([PYTHON, "scripts/check.py", "."], cwd=plugin, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ERROR" not in result.stdout


PRESETS = sorted(path.stem for path in (ROOT / "presets").glob("*.yml"))
TOOL_COMBINATIONS = [list(chosen) for size in (1, 2, 3) for chosen in itertools.combinations(TOOL_FILES, size)]
ALL_TOOLS_PRESET = "dashscope"  # a real preset that offers every tool


# A real 1x1 PNG (an input image for try.py --image).
INPUT_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408d763f8cfc0000003010100"
    "c9fe92ef0000000049454e44ae426082"
)


def offered_tools(preset: str) -> list[str]:
    return [tool for tool in TOOL_FILES if tool in load(ROOT / "presets" / f"{preset}.yml")["tools"]]


def assert_loads_with_tools(plugin: Path, tools: list[str]) -> None:
    """The provider lists exactly the chosen tools' files, and the SDK loads the plugin with no error."""
    manifest = load(plugin / "manifest.yaml")
    provider = load(plugin / manifest["plugins"]["tools"][0])
    expected = [f"tools/{name}.yaml" for tool in tools for name in TOOL_FILES[tool]]
    assert sorted(provider["tools"]) == sorted(expected)
    result = run([PYTHON, "scripts/check.py", "."], cwd=plugin, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    *problems, summary = result.stdout.splitlines()
    assert summary.startswith("0 error(s)"), result.stdout
    # Only the template's own placeholders (the default author, the custom preset's URL and models) are warned of.
    assert [line for line in problems if not line.endswith("(placeholder; --release refuses it)")] == []


@pytest.mark.parametrize("preset", PRESETS)
def test_every_preset_renders_all_its_tools_and_try_runs_against_its_fake(tmp_path: Path, preset: str) -> None:
    """Each preset with every tool it offers loads through the SDK, and `scripts/try.py --fake` makes the call
    Dify would make, through the plugin's own glue, for each of its tools (side by side: a fake job mostly waits)."""
    tools = offered_tools(preset)
    plugin = render(tmp_path / "plugin", api_preset=preset, tools=tools)
    assert_loads_with_tools(plugin, tools)
    image = tmp_path / "input.png"
    Image.new("RGB", (64, 48), (200, 120, 40)).save(image)

    def try_run(tool: str) -> subprocess.CompletedProcess:
        command = [PYTHON, "scripts/try.py", "a red fox", "--fake", "--tool", tool, "--out", f"out/{tool}"]
        return run(command + (["--image", str(image)] if "image" in KINDS[tool]["inputs"] else []), cwd=plugin)

    with ThreadPoolExecutor(max_workers=len(tools)) as pool:
        results = dict(zip(tools, pool.map(try_run, tools), strict=True))
    for tool, result in results.items():
        assert result.returncode == 0, tool + ": " + result.stdout[-2000:] + result.stderr[-2000:]
        assert "API API" not in result.stdout  # the custom preset's label is "Image API"
        written = [path for path in (plugin / "out" / tool).rglob("*") if path.is_file()]
        assert written and all(path.stat().st_size > 0 for path in written), (tool, result.stdout)


# The combinations no rendering of the matrix has (the matrix's renderings are loaded the same way).
UNMATCHED_COMBINATIONS = [
    tools
    for tools in TOOL_COMBINATIONS
    if tools not in [answers.get("tools", ["text2image"]) for answers in MATRIX.values()]
]


@pytest.mark.parametrize("tools", UNMATCHED_COMBINATIONS, ids="+".join)
def test_every_tool_combination_renders_and_loads(tmp_path: Path, tools: list[str]) -> None:
    """Which files a tool brings does not depend on the preset: each combination the matrix lacks, with one
    preset, so that together they render and load every combination."""
    assert_loads_with_tools(render(tmp_path / "plugin", api_preset=ALL_TOOLS_PRESET, tools=tools), tools)


@pytest.mark.parametrize("preset", [preset for preset in PRESETS if offered_tools(preset) != list(TOOL_FILES)])
def test_a_tool_the_preset_lacks_is_refused_before_anything_is_written(tmp_path: Path, preset: str) -> None:
    missing = next(tool for tool in TOOL_FILES if tool not in offered_tools(preset))
    with pytest.raises(ValueError, match=f"'{missing}' is not in"):  # the menu lists only the preset's tools
        render(tmp_path / "plugin", api_preset=preset, tools=[*offered_tools(preset), missing])
    assert not (tmp_path / "plugin").exists()
