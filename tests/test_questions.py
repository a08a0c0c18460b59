"""Every bad answer is refused when asked, with a short reason first, and nothing is written.

Strategy: answer through Copier's API with `data=` (what `--data` and a prompt feed into the same validators),
one case per rule, and check the message, that Copier's whole line fits 80 columns, and that the destination
folder was never created. Good edge cases are accepted, and the default path asks few questions.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import copier
import pytest
import yaml

from conftest import ROOT, render

CUSTOM = {"api_preset": "custom", "advanced": True}
BAD_ANSWERS = {
    "capitals in the name": ({"plugin_name": "QwenImage"}, "use a-z 0-9 _ - only, 1-128 chars"),
    "space in the name": ({"plugin_name": "qwen image"}, "use a-z 0-9 _ - only, 1-128 chars"),
    "name over 128 characters": ({"plugin_name": "a" * 129}, "use a-z 0-9 _ - only, 1-128 chars"),
    "capitals in the author": ({"author": "SomeOne"}, "use a-z 0-9 _ - only, 1-64 chars"),
    '"dify" in the author': ({"author": "dify-fan"}, '"dify"/"langgenius" are reserved'),
    '"langgenius" in the author': ({"author": "langgenius"}, '"dify"/"langgenius" are reserved'),
    "1.0 as version": ({"advanced": True, "plugin_version": "1.0"}, "use x.y.z, e.g. 0.1.0"),
    "four-part version": ({"advanced": True, "plugin_version": "1.0.0.1"}, "use x.y.z, e.g. 0.1.0"),
    "Chinese in the English label": ({"plugin_label": "通义文生图"}, "English only (CJK goes in _zh)"),
    "empty label": ({"plugin_label": "  "}, "must be 1-1023 characters"),
    "empty Chinese description": ({"plugin_description_zh": ""}, "must be 1-1023 characters"),
    "repo without an owner": ({"repo_url": "https://example.com/b"}, "use https://<host>/<owner>/<repo>"),
    "repo with .git": ({"repo_url": "https://gitlab.com/a/b.git"}, "drop the .git suffix"),
    "repo with a trailing slash": ({"repo_url": "https://github.com/a/b/"}, "drop the trailing slash"),
    "contact not an e-mail": ({"contact_email": "me"}, "not an e-mail address"),
    "no tool at all": ({"tools": []}, "choose at least one"),
    "video on a preset without a video API": (
        {"tools": ["text2video"]},
        "'text2video' is not in ['text2image', 'image_edit']",
    ),
    "no model chosen": ({"models": []}, "choose at least one text2image model"),
    "a chosen tool without a model": (
        {"tools": ["text2image", "image_edit"], "models": ["text2image:Qwen/Qwen-Image"]},
        "choose at least one image_edit model",
    ),
    "model not in the preset": ({"models": ["nope"]}, "'nope' is not in"),
    "model of a tool not chosen": ({"models": ["image_edit:Qwen/Qwen-Image-Edit"]}, "is not in"),
    "two default models for one tool": (
        {"advanced": True, "default_models": ["text2image:Qwen/Qwen-Image", "text2image:Tongyi-MAI/Z-Image-Turbo"]},
        "pick one text2image model",
    ),
    "no default model for a tool": (
        {
            "tools": ["text2image", "image_edit"],
            "advanced": True,
            "default_models": ["image_edit:Qwen/Qwen-Image-Edit"],
        },
        "pick one text2image model",
    ),
    "a default model that is not chosen": (
        {
            "advanced": True,
            "models": ["text2image:Qwen/Qwen-Image"],
            "default_models": ["text2image:Tongyi-MAI/Z-Image-Turbo"],
        },
        "is not in",
    ),
    "unknown preset": ({"api_preset": "midjourney"}, "'midjourney' is not in"),
    "max_wait over 290": ({"advanced": True, "max_wait": 291}, "must be 10-290"),
    "request_timeout above max_wait": ({"advanced": True, "request_timeout": 500}, "must be 1-240"),
    "size cap over 30 MB": ({"advanced": True, "max_result_mb": 100}, "must be 1-30"),
    "input image cap over 20 MB": ({"tools": ["image_edit"], "advanced": True, "max_input_mb": 50}, "must be 1-20"),
    "overrides not a mapping": ({**CUSTOM, "api_overrides": "base_url"}, "must be a YAML mapping, e.g. {}"),
    "URL without scheme": ({**CUSTOM, "api_overrides": {"api": {"base_url": "api.example.com"}}}, "base_url: use"),
    "unknown mode": ({**CUSTOM, "api_overrides": {"api": {"mode": "poll"}}}, "mode must be 'sync' or 'async'"),
    "video on a synchronous API": (
        {**CUSTOM, "tools": ["text2video"], "api_overrides": {"tools": {"text2video": {"api": {"mode": "sync"}}}}},
        "text2video needs mode async",
    ),
    "credential check path without /": (
        {**CUSTOM, "api_overrides": {"api": {"validate_path": "models"}}},
        "validate_path must start with /",
    ),
    "submit path without /": ({**CUSTOM, "api_overrides": {"api": {"submit": {"path": "v1"}}}}, "submit.path must"),
    "poll path without {task_id}": (
        {"advanced": True, "api_overrides": {"api": {"poll": {"path": "/v1/tasks"}}}},
        "poll.path needs {task_id}",
    ),
    "no failure status": (
        {"advanced": True, "api_overrides": {"api": {"poll": {"failure": []}}}},
        "poll.success/failure empty",
    ),
    "status both success and failure": (
        {"advanced": True, "api_overrides": {"api": {"poll": {"failure": ["SUCCEED"]}}}},
        "a status is in two lists",
    ),
    "unknown result kind": (
        {"advanced": True, "api_overrides": {"api": {"result": {"kind": "html"}}}},
        "result.kind: url/base64/binary",
    ),
    "malformed result path": (
        {"advanced": True, "api_overrides": {"api": {"result": {"field": "data[*"}}}},
        '"data[*" is not a dotted path',
    ),
    "header value not a string": (
        {"advanced": True, "api_overrides": {"api": {"submit": {"headers": {"X-Async": True}}}}},
        "quote header values",
    ),
    "edit fields without the image": (
        {
            "tools": ["image_edit"],
            "advanced": True,
            "api_overrides": {"tools": {"image_edit": {"fields": {"image": "no path"}}}},
        },
        '"no path" is not a dotted path',
    ),
    "model list without ids": (
        {"advanced": True, "api_overrides": {"tools": {"text2image": {"models": [{"label": "A"}]}}}},
        "text2image.models: need id, label",
    ),
    "size not a size word": (
        {
            "advanced": True,
            "api_overrides": {"tools": {"text2image": {"families": {"qwen-image": {"sizes": ["a b"]}}}}},
        },
        'size "a b": WxH, W:H or a name',
    ),
    "unknown key at any depth": (
        {"advanced": True, "api_overrides": {"api": {"baseurl": "x"}}},
        "api.baseurl: unknown key",
    ),
    "a number out of range": (
        {"advanced": True, "api_overrides": {"api": {"poll": {"interval": -1}}}},
        "api.poll.interval must be 0.1-600",
    ),
    "a family field the tool lacks": (
        {
            "advanced": True,
            "api_overrides": {"tools": {"text2image": {"families": {"flux": {"fields": {"stepz": "x"}}}}}},
        },
        "stepz: not a field of text2image",
    ),
    "a number limit without min or max": (
        {"advanced": True, "api_overrides": {"tools": {"text2image": {"limits": {"seed": {"maxx": 4}}}}}},
        "tools.text2image.limits.seed.maxx: unknown key",
    ),
    "a model no family covers": (
        {"advanced": True, "api_overrides": {"tools": {"text2image": {"models": [{"id": "x/y", "label": "Y"}]}}}},
        "text2image: no family matches x/y",
    ),
    # Luma takes the input image as a URL only (presets/luma.yml image_input).
    "luma image inline": (
        {"api_preset": "luma", "tools": ["image2video"], "advanced": True, "image_input": "data_uri"},
        "the API takes the image as url only",
    ),
}


@pytest.mark.parametrize("answers, message", BAD_ANSWERS.values(), ids=BAD_ANSWERS.keys())
def test_bad_answer_is_refused_with_a_short_reason_and_nothing_is_written(
    tmp_path: Path, answers: dict, message: str
) -> None:
    destination = tmp_path / "plugin"
    with pytest.raises(ValueError) as refused:
        render(destination, **answers)
    shown = str(refused.value)
    assert message in shown
    if "is not in" not in message:  # Copier's own word on an unknown choice names every choice
        # What the prompt's bottom line shows: Copier's prefix and the reason, whole at 80 columns. A key's path
        # in the user's own api_overrides is as deep as they nested it: only its last two steps count.
        path = re.match(r"^([\w-]+\.)+(?=[\w-]+\.[\w-]+: )", message)
        assert len(shown) - (len(path[0]) if path else 0) <= 80, shown
    assert not destination.exists()


@pytest.mark.parametrize(
    "answers",
    [
        {"plugin_name": "a" * 128, "author": "b" * 64},
        {"plugin_name": "2d-art_gen-", "advanced": True, "provider_name": "9-lives", "author": "x_-9"},
        {"advanced": True, "plugin_version": "10.20.3000", "max_wait": 290, "request_timeout": 290},
        {"api_preset": "custom", "tools": ["text2image", "image_edit", "text2video"]},
    ],
    ids=["longest names", "leading digits and dashes", "upper bounds", "custom preset with every tool"],
)
def test_edge_answers_are_accepted(tmp_path: Path, answers: dict) -> None:
    plugin = render(tmp_path / "plugin", **answers)
    manifest = yaml.safe_load((plugin / "manifest.yaml").read_text(encoding="utf-8"))
    for key in ("plugin_name", "author", "plugin_version"):
        if key in answers:
            assert manifest[{"plugin_name": "name", "plugin_version": "version"}.get(key, key)] == answers[key]


def asked_questions(tmp_path: Path, **data: object) -> list[str]:
    """The questions a user answers for these choices (Copier hides the others and stores none of them)."""
    with copier.Worker(
        src_path=str(ROOT), dst_path=tmp_path / "plugin", data=data, defaults=True, vcs_ref="HEAD", quiet=True
    ) as worker:
        worker.run_copy()
        return [name for name in worker.template.questions_data if name not in worker.answers.hidden]


def test_the_default_path_asks_at_most_twelve_questions(tmp_path: Path) -> None:
    asked = asked_questions(tmp_path)
    assert len(asked) <= 12, asked
    assert "api_overrides" not in asked and "max_wait" not in asked


def test_advanced_path_asks_the_knobs_and_the_mapping(tmp_path: Path) -> None:
    asked = asked_questions(tmp_path, advanced=True, tools=["text2image", "image_edit"])
    assert {"api_overrides", "parameters", "max_wait", "plugin_version", "image_input"} <= set(asked)


def test_every_question_has_help_and_asked_when_gated_ones_have_defaults() -> None:
    questions = {
        name: spec
        for name, spec in yaml.safe_load((ROOT / "copier.yml").read_text()).items()
        if not name.startswith("_")
    }
    for name, spec in questions.items():
        if spec.get("when") is False:
            assert "default" in spec, name  # computed values
            continue
        assert spec.get("help"), f"question {name} has no help"
        if "when" in spec:
            assert "default" in spec, f"conditional question {name} needs a default"
    assert not [name for name, spec in questions.items() if spec.get("secret")], "no secret is ever asked"


def test_templated_paths_are_portable() -> None:
    # Double quotes in file names break on Windows; model ids (with '/') must never name a path.
    for path in (ROOT / "template").rglob("*"):
        relative = str(path.relative_to(ROOT / "template"))
        assert '"' not in relative, relative
        # Only the templated parts: scripts/models.py and job_client/models.py are fixed names, not model ids.
        templated = " ".join(re.findall(r"\{[{%].*?[}%]\}", relative))
        assert "models" not in templated and "default_model" not in templated, relative


@pytest.mark.parametrize(
    ("answers", "name", "label", "description"),
    [
        (
            {},
            "modelscope_text2image",
            ("ModelScope Text-to-Image", "魔搭社区文生图"),
            ("Generate images from text with ModelScope.", "通过魔搭社区根据文字生成图片。"),
        ),
        (
            {"api_preset": "dashscope", "tools": ["text2video"]},
            "dashscope_text2video",
            ("Alibaba Cloud Model Studio Text-to-Video", "阿里云百炼文生视频"),
            ("Generate short videos from text with Alibaba Cloud Model Studio.", "通过阿里云百炼根据文字生成短视频。"),
        ),
        (
            {"api_preset": "openai_compatible", "tools": ["text2image", "image_edit"]},
            "openai_images_text2image_image_edit",  # both tools, not only the first
            ("OpenAI Images Text-to-Image & Image Editing", "OpenAI 图像文生图与图片编辑"),
            (
                "Generate images from text and edit and restyle images from an instruction with OpenAI Images.",
                "通过 OpenAI 图像根据文字生成图片、按指令编辑图片或转换风格。",  # a space between Han and Latin
            ),
        ),
    ],
    ids=["modelscope", "dashscope-video", "openai-two-tools"],
)
def test_name_label_and_description_defaults_follow_the_preset_and_tools(
    tmp_path: Path, answers: dict, name: str, label: tuple[str, str], description: tuple[str, str]
) -> None:
    plugin = render(tmp_path / "plugin", **answers)
    manifest = yaml.safe_load((plugin / "manifest.yaml").read_text(encoding="utf-8"))
    assert manifest["name"] == name
    assert (manifest["label"]["en_US"], manifest["label"]["zh_Hans"]) == label
    assert (manifest["description"]["en_US"], manifest["description"]["zh_Hans"]) == description


# Copier prints "🎤 " (three columns) and then the help on one line, and does not wrap it; a menu entry is
# drawn after a pointer and a box (at most six columns).
QUESTION_MARK_COLUMNS, MENU_ENTRY_COLUMNS = 3, 6


def test_every_help_line_and_menu_entry_fits_80_columns() -> None:
    config = yaml.safe_load((ROOT / "copier.yml").read_text(encoding="utf-8"))
    too_long = []
    for name, spec in config.items():
        if name.startswith("_") or spec.get("when") is False:
            continue
        too_long += [(name, line) for line in str(spec["help"]).splitlines() if QUESTION_MARK_COLUMNS + len(line) > 80]
        entries = spec.get("choices") if isinstance(spec.get("choices"), dict) else {}
        too_long += [(name, entry) for entry in entries if MENU_ENTRY_COLUMNS + len(entry) > 80]
    tools = yaml.safe_load((ROOT / "includes" / "tools.yml").read_text(encoding="utf-8"))
    too_long += [("tools", kind["menu"]) for kind in tools.values() if MENU_ENTRY_COLUMNS + len(kind["menu"]) > 80]
    assert too_long == []


def test_question_details_belong_to_questions() -> None:
    config = yaml.safe_load((ROOT / "copier.yml").read_text(encoding="utf-8"))
    details = yaml.safe_load((ROOT / "dev" / "question_details.yml").read_text(encoding="utf-8"))
    assert set(details) <= {name for name in config if not name.startswith("_")}


@pytest.mark.parametrize(
    ("preset", "offered", "name"),
    [
        ("modelscope", ["text2image", "image_edit"], "modelscope_text2image_image_edit"),
        ("siliconflow", ["text2image"], "siliconflow_text2image"),
        (
            "dashscope",
            ["text2image", "image_edit", "text2video", "image2video"],
            "dashscope_text2image_image_edit_text2video_image2video",
        ),
    ],
)
def test_the_tools_menu_offers_only_the_presets_tools(
    tmp_path: Path, preset: str, offered: list[str], name: str
) -> None:
    """The menu as Copier builds it; choosing every tool it offers names them all in the default plugin name."""
    menu, answers = copier_menu(tmp_path, "tools", api_preset=preset, tools=offered)
    assert list(menu.values()) == offered
    assert answers["plugin_name"] == name  # within Dify's 128 characters of a-z 0-9 _ -


def copier_menu(tmp_path: Path, question: str, **data: object) -> tuple[dict[str, str], dict[str, object]]:
    """A question's menu as Copier shows it for these answers ({entry: value}), and every answer rendered."""
    with copier.Worker(
        src_path=str(ROOT),
        dst_path=tmp_path / "plugin",
        data=data,
        defaults=True,
        vcs_ref="HEAD",
        quiet=True,
        pretend=True,
    ) as worker:
        worker.run_copy()
        asked = copier._user_data.Question(
            answers=worker.answers,
            context=worker._render_context(),
            jinja_env=worker.jinja_env,
            settings=worker.settings,
            var_name=question,
            **worker.template.questions_data[question],
        )
        menu = {str(choice.title): choice.value for choice in asked._formatted_choices}
        return menu, dict(worker.answers.combined)


def test_one_models_menu_groups_every_chosen_tools_models(tmp_path: Path) -> None:
    menu, _ = copier_menu(tmp_path, "models", api_preset="modelscope", tools=["image_edit", "text2image"])
    assert menu == {
        "Text-to-Image: Qwen-Image": "text2image:Qwen/Qwen-Image",
        "Text-to-Image: Z-Image-Turbo": "text2image:Tongyi-MAI/Z-Image-Turbo",
        "Text-to-Image: FLUX.1 Krea [dev]": "text2image:black-forest-labs/FLUX.1-Krea-dev",
        "Text-to-Image: FLUX.1 [dev]": "text2image:black-forest-labs/FLUX.1-dev",
        "Image Editing: Qwen-Image-Edit": "image_edit:Qwen/Qwen-Image-Edit",
    }


def test_default_models_offers_the_chosen_models_and_preselects_each_tools_first(tmp_path: Path) -> None:
    chosen = ["text2image:Tongyi-MAI/Z-Image-Turbo", "text2image:black-forest-labs/FLUX.1-dev"]
    menu, _ = copier_menu(tmp_path, "default_models", advanced=True, models=chosen)
    assert list(menu.values()) == chosen
    plugin = render(tmp_path / "defaults", advanced=True, models=chosen)
    answers = yaml.safe_load((plugin / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert answers["default_models"] == ["text2image:Tongyi-MAI/Z-Image-Turbo"]
    settings = yaml.safe_load((plugin / "job_client" / "settings.yaml").read_text(encoding="utf-8"))
    assert settings["tools"]["text2image"]["default_model"] == "Tongyi-MAI/Z-Image-Turbo"


def test_the_message_after_copy_lists_the_next_steps(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "copier", "copy", "--defaults", "--vcs-ref", "HEAD", str(ROOT), str(tmp_path / "p")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    for step in ("git init", "-m pytest", "scripts/try.py", "scripts/check.py", "scripts/package.py"):
        assert step in result.stderr, step
    assert "scripts/check.py ." not in result.stderr  # one form, the README's
    # Copied from a local path (as here): the update workflow could never follow it, and the message says so.
    assert "Copied from a local path" in result.stderr


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"api_preset": "openai_compatible", "max_wait": 12}, 12),  # sync default 120, above the budget
        ({"api_preset": "modelscope", "advanced": True, "max_wait": 20}, 20),  # async default 30, above it
        ({"api_preset": "openai_compatible", "advanced": True, "max_wait": 200}, 120),  # within it: unchanged
    ],
    ids=["sync, max_wait via --data only", "async, advanced", "default already within max_wait"],
)
def test_the_default_request_timeout_never_exceeds_max_wait(tmp_path: Path, answers: dict, expected: int) -> None:
    """`copier copy --defaults --data max_wait=12` rendered request_timeout 120, which every call then refused."""
    plugin = render(tmp_path / "plugin", **answers)
    settings = yaml.safe_load((plugin / "job_client" / "settings.yaml").read_text(encoding="utf-8"))
    assert (settings["max_wait"], settings["request_timeout"]) == (answers["max_wait"], expected)
