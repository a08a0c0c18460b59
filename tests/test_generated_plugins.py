"""Every kind of rendering passes its own offline suite: fake provider, Dify glue and the daemon's stdio protocol.

Strategy: render the template from the working tree with a preset's answers, then run ``python -m pytest -q``
inside the rendering, the command its README gives users. The rendered suite reads its own settings and tools
and skips what cannot apply (a tool that was not chosen, no task in a synchronous API, no URL for base64
results), so the same tests must pass for asynchronous URL results (ModelScope, with image editing), nested
bodies and paths with all three tools (DashScope), video only (DashScope), synchronous base64 (OpenAI, text to
image and edit only) and synchronous URLs with few tool parameters (SiliconFlow's answers). The JUnit report
proves that each chosen tool's tests really ran and no other tool's did (their modules are not rendered). Its
output is shown when it fails.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
import yaml

from conftest import EXAMPLES, PYTHON, render, run

# Each rendered suite should stay near 30 s; twice that means something is waiting on a timeout.
SUITE_SECONDS_LIMIT = 60


def siliconflow_answers() -> dict[str, Any]:
    with (EXAMPLES / "siliconflow_images.yml").open(encoding="utf-8") as stream:
        answers = yaml.safe_load(stream)
    # Only one optional parameter: tests that need size or n must skip themselves, not break.
    return {**answers, "advanced": True, "parameters": ["negative_prompt"]}


RENDERINGS = {
    "modelscope-async-urls": {},
    "modelscope-async-urls-edit": {"tools": ["text2image", "image_edit"]},
    "dashscope-async-nested": {"api_preset": "dashscope"},
    "dashscope-all-tools": {"api_preset": "dashscope", "tools": ["text2image", "image_edit", "text2video"]},
    "dashscope-video-only": {"api_preset": "dashscope", "tools": ["text2video"]},
    "openai-sync-base64": {"api_preset": "openai_compatible"},
    "openai-sync-base64-edit-only": {"api_preset": "openai_compatible", "tools": ["image_edit"]},
    "siliconflow-sync-urls-one-parameter": siliconflow_answers(),
}
# How a rendered suite names a job tool's tests: its own test module, or the tool's parametrize id.
TOOL_TESTS = {
    "text2image": ("tests.test_dify_glue", "[text2image]"),
    "image_edit": ("tests.test_image_edit", "[image_edit]"),
    "text2video": ("tests.test_video_tools", "[text2video]"),
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
    started = time.monotonic()
    report = tmp_path / "report.xml"
    result = run([PYTHON, "-m", "pytest", "-q", "-rs", f"--junitxml={report}"], cwd=plugin, timeout=240)
    elapsed = time.monotonic() - started
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"the rendered suite failed in {plugin}:\n{output}"
    # The rendering's pytest.ini already says -q, so the summary line is gone: count from the JUnit report.
    suite = ElementTree.parse(report).getroot().find("testsuite")
    assert suite is not None, output
    passed = int(suite.get("tests", 0)) - sum(int(suite.get(key, 0)) for key in ("skipped", "failures", "errors"))
    assert passed >= 20, output  # the suite really ran, not an empty collection
    assert elapsed < SUITE_SECONDS_LIMIT, f"the rendered suite took {elapsed:.0f} s:\n{output}"
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
