"""Renderings unlike the examples pass their own offline suite: fake provider, Dify glue and the daemon's protocol.

Strategy (napari's pattern): render the template from the working tree, then run ``python -m pytest -q`` inside
the rendering, the command its README gives users. The examples' suites already run in the main job
(``dev/main.sh``, run by tests/test_guides.py): ModelScope asynchronous URLs with image editing, SiliconFlow
synchronous URLs, DashScope video only. The default rendering's suite runs there too (the README's quick start).
So this test adds only the shapes they lack: nested bodies and paths with all three tools (DashScope), and
synchronous base64 with multipart image editing, no text-to-image tool and no optional parameter (OpenAI).
The rendered suite reads its own settings and tools and skips what cannot apply, and the JUnit report proves that
each chosen tool's tests really ran and no other tool's did (their modules are not rendered). Its output is shown
when it fails. How long a rendered suite takes is a timing, measured in benchmarks/, not asserted here. A last
test edits a rendering's poll settings the way a user would and runs its timing tests: they derive what they
expect from settings.yaml, so they still pass.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
import yaml

from conftest import PYTHON, render, run

RENDERINGS = {
    "dashscope-all-tools": {
        "api_preset": "dashscope",
        "tools": ["text2image", "image_edit", "text2video", "image2video"],
    },
    # No optional parameter at all: the cases that need size, n or seed must skip themselves, not break.
    "openai-sync-base64-edit-only-no-parameters": {
        "api_preset": "openai_compatible",
        "tools": ["image_edit"],
        "advanced": True,
        "parameters": [],
    },
}
# How a rendered suite names a job tool's tests: its own test module, or the tool's parametrize id.
TOOL_TESTS = {
    "text2image": ("tests.test_dify_glue", "[text2image]"),
    "image_edit": ("tests.test_image_edit", "[image_edit]"),
    "text2video": ("tests.test_video_tools", "[text2video]"),
    "image2video": ("tests.test_image2video", "[image2video]"),
}


def tool_outcomes(suite: ElementTree.Element, tool: str) -> tuple[int, int]:
    """(passed, skipped) among the rendered suite's tests of one tool."""
    module, test_id = TOOL_TESTS[tool]
    passed = skipped = 0
    for case in suite.iter("testcase"):
        if case.get("classname") == module or test_id in case.get("name", ""):
            if case.find("skipped") is not None:
                skipped += 1
            elif case.find("failure") is None and case.find("error") is None:
                passed += 1
    return passed, skipped


@pytest.mark.slow
@pytest.mark.parametrize("answers", list(RENDERINGS.values()), ids=list(RENDERINGS))
def test_rendered_plugin_passes_its_own_suite(tmp_path: Path, answers: dict[str, Any]) -> None:
    plugin = render(tmp_path / "plugin", **answers)
    report = tmp_path / "report.xml"
    result = run([PYTHON, "-m", "pytest", "-q", "-rs", f"--junitxml={report}"], cwd=plugin, timeout=240)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"the rendered suite failed in {plugin}:\n{output}"
    # The rendering's pytest.ini already says -q, so the summary line is gone: count from the JUnit report.
    suite = ElementTree.parse(report).getroot().find("testsuite")
    assert suite is not None, output
    passed = int(suite.get("tests", 0)) - sum(int(suite.get(key, 0)) for key in ("skipped", "failures", "errors"))
    assert passed >= 20, output  # the suite really ran, not an empty collection
    settings = yaml.safe_load((plugin / "job_client" / "settings.yaml").read_text(encoding="utf-8"))
    if settings["mode"] == "sync":  # async-only cases are skipped, and say why
        assert "synchronous API: there is no task id or status request" in output, output
    chosen = answers.get("tools", ["text2image"])
    for tool in TOOL_TESTS:
        passed, skipped = tool_outcomes(suite, tool)
        if tool in chosen:  # the chosen tool's tests ran (the credential check in test_dify_glue runs anyway)
            assert passed >= 8, f"only {passed} {tool} tests passed:\n{output}"
        elif tool == "text2image":  # its cases share test_dify_glue with the credential check: they skip
            assert skipped >= 5 and "this rendering has no text2image tool" in output, output
        else:  # the tool's own test module is not rendered, and none of its parametrized cases ran
            module = TOOL_TESTS[tool][0]
            assert not (plugin / f"{module.replace('.', '/')}.py").exists(), f"{module} rendered without {tool}"
            assert passed == 0, f"{passed} {tool} tests passed in a rendering without {tool}:\n{output}"


# Poll settings a user might choose, all unlike the defaults: the first status request sooner, a shorter cap
# on the gap, a shorter budget (still above the 60 s job the timing tests replay).
EDITED_POLLING = {"first_delay": 1.0, "interval": 3.0, "max_wait": 90}
TIMING_CASES = [
    *(
        f"test_polling_follows_the_settings_schedule[{tool}-{seconds}]"
        for tool in ("text2image", "text2video")
        for seconds in ("3.0", "8.0", "20.0", "60.0")
    ),
    "test_whole_schedule_of_a_job_that_never_ends_on_a_virtual_clock[text2image]",
    "test_whole_schedule_of_a_job_that_never_ends_on_a_virtual_clock[text2video]",
    "test_a_job_arrives_as_the_served_bytes_after_the_scheduled_status_requests",
    "test_one_shot_timeout_names_the_task_so_it_can_be_queried",
]
TIMING_TESTS = ["tests/test_job_client.py", "tests/test_plugin_process.py", "tests/test_video_tools.py"]


@pytest.mark.slow
def test_timing_tests_follow_edited_poll_settings(tmp_path: Path) -> None:
    """Editing first_delay, interval and max_wait in settings.yaml (issue #15) leaves the timing tests passing."""
    plugin = render(tmp_path / "plugin", api_preset="dashscope", tools=["text2image", "text2video"])
    settings_file = plugin / "job_client" / "settings.yaml"
    text = settings_file.read_text(encoding="utf-8")
    for key, value in EDITED_POLLING.items():  # every occurrence: the video section's interval too
        text, count = re.subn(rf"^(\s*{key}:) [0-9.]+", rf"\g<1> {value}", text, flags=re.MULTILINE)
        assert count >= 1, f"no {key} in {settings_file}"
    settings_file.write_text(text, encoding="utf-8")
    loaded = run(
        [
            PYTHON,
            "-c",
            "from job_client import load_settings as l; s = l(); print(s.poll.first_delay, "
            "s.poll.interval, s.max_wait, l(tool='text2video').poll.interval)",
        ],
        cwd=plugin,
    )
    edited = [EDITED_POLLING[key] for key in ("first_delay", "interval", "max_wait", "interval")]
    assert [float(value) for value in loaded.stdout.split()] == edited, loaded.stdout + loaded.stderr  # it took
    report = tmp_path / "report.xml"
    result = run([PYTHON, "-m", "pytest", "-rs", f"--junitxml={report}", *TIMING_TESTS], cwd=plugin, timeout=240)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"the timing tests fail after editing the poll settings in {plugin}:\n{output}"
    cases = ElementTree.parse(report).getroot().iter("testcase")
    passed = {case.get("name", "") for case in cases if len(case) == 0}  # no failure, error or skipped child
    for name in TIMING_CASES:  # the cases that check the schedule really ran, for both tools
        assert name in passed, f"{name} did not pass:\n{output}"
