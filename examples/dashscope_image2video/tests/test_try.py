"""scripts/try.py, the try-run without Dify: it runs as a user runs it, in a subprocess.

Strategy: run try.py with its default tool (this rendering's first of text2image, image_edit, text2video,
image2video; a tool with an input image gets ``--image`` with a known JPEG). Offline with --fake the saved file must
be exactly the fake provider's result; against a fake that refuses the key, the run must fail with the plugin's
own message and a non-zero status. The key never reaches the output. Each run starts a Python process (about
2 s), so there are three;
``--help`` runs in-process: it must list exactly the tools found in tools/, whatever was rendered.
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml
from fake_provider import (
    PLACEHOLDER_LABEL,
    PLACEHOLDER_NOTE,
    FakeProvider,
    Scenario,
    guess_media,
    sample_jpeg,
    sample_mp4,
)
from support import (
    INPUT_JPEG,
    JOB_TOOLS,
    KEY_IS_INVALID,
    PLUGIN_ROOT,
    REFUSED_KEY,
    has_tool,
    settings_for,
    takes_image,
)

from job_client.media import sniff_mime_type

# try.py's default: the first tool this plugin has, in the order try.py picks it.
TOOL = next(tool for tool in JOB_TOOLS if has_tool(tool))
SETTINGS = settings_for(TOOL)
MEDIA = guess_media(SETTINGS)


def try_run(*args: str, image_dir: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """try.py with the given arguments, plus ``--image`` when the default tool edits an image."""
    environment = {key: value for key, value in os.environ.items() if key not in ("API_KEY", "BASE_URL")}
    extra: list[str] = []
    if takes_image(TOOL):
        image = image_dir / "input.jpg"
        image.write_bytes(INPUT_JPEG)
        extra = ["--image", str(image)]
    return subprocess.run(
        [sys.executable, "scripts/try.py", *args, *extra],
        cwd=PLUGIN_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**environment, **(env or {})},
    )


def try_module() -> ModuleType:
    return importlib.import_module("try")  # scripts/try.py; `try` is a keyword, so no import statement


def help_text(capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exited:
        try_module().main(["--help"])
    assert exited.value.code == 0
    return capsys.readouterr().out


def offered_tools(text: str) -> list[str]:
    """The --tool choices in the help, and the tools its examples run."""
    match = re.search(r"--tool \{([^}]*)\}", text)
    assert match is not None, text
    return match[1].split(",")


def test_help_lists_exactly_this_plugins_tools(capsys: pytest.CaptureFixture[str]) -> None:
    text = help_text(capsys)
    rendered = [tool for tool in JOB_TOOLS if has_tool(tool)]
    assert offered_tools(text) == rendered
    for tool in JOB_TOOLS:  # an example for each tool it has, none for a tool it lacks
        assert (f"--tool {tool} " in text) == has_tool(tool), text
    assert "placeholder" in text


@pytest.mark.parametrize("present", [["text2image"], ["image_edit"], ["text2video", "text2image"]], ids=str)
def test_help_follows_the_tools_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], present: list[str]
) -> None:
    """The tools are discovered in tools/ when try.py runs, not fixed when the plugin was rendered."""
    (tmp_path / "tools").mkdir()
    for tool in present:
        (tmp_path / "tools" / f"{tool}.yaml").write_text("identity: {}\n", encoding="utf-8")
    monkeypatch.setattr(try_module(), "PLUGIN_ROOT", tmp_path)
    text = help_text(capsys)
    expected = [tool for tool in JOB_TOOLS if tool in present]  # try.py's order
    assert offered_tools(text) == expected
    for tool in JOB_TOOLS:
        assert (f"--tool {tool} " in text) == (tool in present), text


def test_fake_run_saves_the_fake_providers_result(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = try_run("a golden cat", "--fake", "--out", str(out), image_dir=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    (saved,) = out.iterdir()
    # The fake labels each result with its job, index and prompt, so the expected bytes are known exactly.
    if MEDIA == "video":
        assert saved.read_bytes() == sample_mp4("fake-task-1 video 1 prompt a golden cat")
        assert sniff_mime_type(saved.read_bytes()) == "video/mp4" and saved.suffix == ".mp4"
    else:
        assert saved.read_bytes() == sample_jpeg("fake-task-1 image 1 prompt a golden cat")
        assert sniff_mime_type(saved.read_bytes()) == "image/jpeg" and saved.suffix == ".jpg"
    assert f"saved {saved}" in result.stdout and "task id:" in result.stdout
    # The 16x16 sample is no generated image: the run says so, and so does the file itself.
    assert f"note: {PLACEHOLDER_NOTE[MEDIA]}" in result.stdout
    assert PLACEHOLDER_LABEL.encode() in saved.read_bytes()


def test_real_run_reads_the_key_from_the_environment_and_saves_served_bytes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with FakeProvider(SETTINGS) as fake:
        env = fake.environment  # API_KEY (or each credential field, upper-cased) and BASE_URL
        result = try_run("a red fox", "--out", str(out), image_dir=tmp_path, env=env)
        served = fake.jobs[0].images
    assert result.returncode == 0, result.stdout + result.stderr
    assert [path.read_bytes() for path in sorted(out.iterdir())] == served
    assert fake.api_key not in result.stdout + result.stderr


def test_provider_error_exits_non_zero_with_the_plugins_message(tmp_path: Path) -> None:
    out = tmp_path / "out"
    wrong_key = f"{SETTINGS.api_key_prefix}wrong-key-9876543210"
    with FakeProvider(SETTINGS, Scenario()) as fake:
        env = {**fake.environment, fake.secret_field.upper(): wrong_key}
        result = try_run("a cat", "--out", str(out), image_dir=tmp_path, env=env)
    assert result.returncode == 1
    assert KEY_IS_INVALID in result.stderr and REFUSED_KEY in result.stderr
    assert wrong_key not in result.stdout + result.stderr
    assert not out.exists() or not list(out.iterdir())


def image_arguments(tmp_path: Path) -> list[str]:
    if not takes_image(TOOL):
        return []
    image = tmp_path / "input.jpg"
    image.write_bytes(INPUT_JPEG)
    return ["--image", str(image)]


def test_without_a_key_it_says_to_put_one_in_dotenv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fields = settings_for(TOOL).auth.fields  # api_key, or e.g. access_key and secret_key
    for name in fields:
        monkeypatch.setenv(name.upper(), "")  # the environment wins over a developer's .env: no request can leave
    status = try_module().main(["a cat", "--tool", TOOL, "--out", str(tmp_path / "out"), *image_arguments(tmp_path)])
    error = capsys.readouterr().err
    assert status == 1
    assert all(name.upper() in error for name in fields), error
    assert ".env" in error and "credentials are not read" in error


def test_a_refused_parameter_fails_without_the_placeholder_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    declared = yaml.safe_load((PLUGIN_ROOT / "tools" / f"{TOOL}.yaml").read_text(encoding="utf-8"))["parameters"]
    choices = [item for item in declared if item["type"] == "select" and item.get("options")]
    if not choices:
        pytest.skip(f"{TOOL} has no select parameter to give a value outside its options")
    out = tmp_path / "out"
    pair = f"{choices[0]['name']}=not-an-option"
    status = try_module().main(
        ["a cat", "--tool", TOOL, "--fake", "--param", pair, "--out", str(out), *image_arguments(tmp_path)]
    )
    printed = capsys.readouterr()
    assert status == 1
    assert "not-an-option" in printed.err and "note:" not in printed.out
    assert not out.exists() or not list(out.iterdir())


def test_a_number_parameter_that_is_not_a_number_is_refused_by_name(capsys: pytest.CaptureFixture[str]) -> None:
    declared = yaml.safe_load((PLUGIN_ROOT / "tools" / f"{TOOL}.yaml").read_text(encoding="utf-8"))["parameters"]
    numbers = [item["name"] for item in declared if item["type"] == "number"]
    if not numbers:
        pytest.skip(f"{TOOL} has no number parameter")
    with pytest.raises(SystemExit) as exited:
        try_module().parse_parameters(TOOL, "a cat", [f"{numbers[0]}=abc"])
    assert str(exited.value) == f"--param '{numbers[0]}=abc': {numbers[0]} is a number"
