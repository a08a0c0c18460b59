"""Every bad answer is refused when asked, with a message naming what is wrong, and nothing is written.

Strategy: answer through Copier's API with `data=` (what `--data` and a prompt feed into the same validators),
one case per rule, and check both the message and that the destination folder was never created.
Good edge cases (longest names, dashes, leading digits) are accepted.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import ROOT, render

BAD_ANSWERS = {
    "capitals in the name": ({"plugin_name": "QwenImage"}, "plugin_name 'QwenImage' is invalid"),
    "space in the name": ({"plugin_name": "qwen image"}, "plugin_name 'qwen image' is invalid"),
    "name over 128 characters": ({"plugin_name": "a" * 129}, "is invalid: use 1-128 characters"),
    "capitals in the author": ({"author": "SomeOne"}, "author 'SomeOne' is invalid"),
    '"dify" in the author': ({"author": "dify-fan"}, 'must not contain "dify" or "langgenius"'),
    '"langgenius" in the author': ({"author": "langgenius"}, 'must not contain "dify" or "langgenius"'),
    "1.0 as version": ({"plugin_version": "1.0"}, "plugin_version '1.0' is invalid: use three numbers x.y.z"),
    "four-part version": ({"plugin_version": "1.0.0.1"}, "plugin_version '1.0.0.1' is invalid"),
    "Chinese in the English label": ({"plugin_label": "通义文生图"}, "plugin_label is the English text"),
    "empty label": ({"plugin_label": "  "}, "plugin_label must be 1-1023 characters"),
    "repo on an unknown host": (
        {"repo_url": "https://example.com/a/b"},
        "repo_url 'https://example.com/a/b' is invalid",
    ),
    "contact not an e-mail": ({"contact_email": "me"}, "contact_email 'me' is not an e-mail address"),
    "URL without scheme": ({"base_url": "api.example.com/v1"}, "base_url 'api.example.com/v1' is invalid"),
    "ftp URL": ({"base_url": "ftp://api.example.com"}, "use an http:// or https:// URL"),
    "custom preset without a base URL": ({"api_preset": "custom"}, "base_url '' is invalid"),
    "empty model list": ({"models": []}, "models must be a non-empty YAML list"),
    "model list that is a string": ({"models": "Qwen/Qwen-Image"}, "models must be a non-empty YAML list"),
    "model without label": ({"models": [{"id": "a"}]}, "every model needs an `id` and a `label`"),
    "duplicate model ids": ({"models": [{"id": "a", "label": "A"}, {"id": "a", "label": "B"}]}, "unique"),
    "default model not in the list": ({"default_model": "nope"}, "'nope' is not in"),
    "unknown mode": ({"mode": "poll"}, "'poll' is not in"),
    "unknown preset": ({"api_preset": "midjourney"}, "'midjourney' is not in"),
    "max_wait over 290": ({"max_wait": 291}, "max_wait must be between 10 and 290 seconds"),
    "max_wait under poll_interval": ({"max_wait": 10, "poll_interval": 20}, "must be at least poll_interval"),
    "poll_interval 0": ({"poll_interval": 0}, "poll_interval must be greater than 0"),
    "negative poll_interval": ({"poll_interval": -1}, "poll_interval must be greater than 0"),
    "request_timeout above max_wait": ({"request_timeout": 500}, "request_timeout must be between 1 and max_wait"),
    "poll path without {task_id}": ({"poll_path": "/v1/tasks"}, "poll_path must contain {task_id}"),
    "submit path without /": ({"submit_path": "v1/images"}, "submit_path 'v1/images' must start with '/'"),
    "status both success and failure": ({"status_failure": ["SUCCEED"]}, "cannot mean both success and failure"),
    "header value not a string": ({"submit_headers": {"X-Async": True}}, "every submit_headers value must be a string"),
    "exposed parameter the API cannot take": (
        {"api_preset": "dashscope", "tool_parameters": ["steps"]},
        "body_fields has no entry for the exposed parameter(s) steps",
    ),
    "size not WIDTHxHEIGHT": ({"sizes": ["big"]}, "every size must look like WIDTHxHEIGHT"),
    "malformed result path": ({"result_field": "data[*"}, "result_field 'data[*' must be a dotted path"),
    "key prefix with symbols": ({"api_key_prefix": "ms-!"}, "api_key_prefix 'ms-!' is invalid"),
    "size cap over 30 MB": ({"max_result_mb": 100}, "max_result_mb must be between 1 and 30"),
    "no tool at all": ({"tools": []}, "choose at least one tool"),
    "video on a preset without a video API": (
        {"tools": ["text2video"]},
        "the modelscope preset has no verified video API",
    ),
    "video on a synchronous API": (
        {
            "api_preset": "custom",
            "base_url": "https://x.example.org",
            "tools": ["text2video"],
            "mode": "sync",
            "video_models": [{"id": "v", "label": "V"}],
        },
        "text2video needs an asynchronous API",
    ),
    "edit fields without the image": (
        {"tools": ["image_edit"], "edit_body_fields": {"model": "model", "prompt": "prompt"}},
        "edit_body_fields must map at least `model`, `prompt`, `image`",
    ),
    "edit model list empty": (
        {"tools": ["image_edit"], "edit_models": []},
        "edit_models must be a non-empty YAML list",
    ),
    "video duration not whole seconds": (
        {"api_preset": "dashscope", "tools": ["text2video"], "video_durations": [2.5]},
        "every video duration must be a whole number of seconds",
    ),
    "input image cap over 20 MB": (
        {"tools": ["image_edit"], "max_input_mb": 50},
        "max_input_mb must be between 1 and 20",
    ),
}


@pytest.mark.parametrize("answers, message", BAD_ANSWERS.values(), ids=BAD_ANSWERS.keys())
def test_bad_answer_is_refused_and_nothing_is_written(tmp_path: Path, answers: dict, message: str) -> None:
    destination = tmp_path / "plugin"
    with pytest.raises(ValueError) as refused:
        render(destination, **answers)
    assert message in str(refused.value)
    assert not destination.exists()


@pytest.mark.parametrize(
    "answers",
    [
        {"plugin_name": "a" * 128, "author": "b" * 64},
        {"plugin_name": "2d-art_gen-", "provider_name": "9-lives", "author": "x_-9"},
        {"plugin_version": "10.20.3000", "max_wait": 290, "poll_interval": 60},
    ],
    ids=["longest names", "leading digits and dashes", "upper bounds"],
)
def test_edge_answers_are_accepted(tmp_path: Path, answers: dict) -> None:
    plugin = render(tmp_path / "plugin", **answers)
    manifest = yaml.safe_load((plugin / "manifest.yaml").read_text(encoding="utf-8"))
    for key in ("plugin_name", "author", "plugin_version"):
        if key in answers:
            assert manifest[{"plugin_name": "name", "plugin_version": "version"}.get(key, key)] == answers[key]


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
        assert "models" not in relative and "default_model" not in relative, relative
