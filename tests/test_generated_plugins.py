"""Every kind of rendering passes its own offline suite: fake provider, Dify glue and the daemon's stdio protocol.

Strategy: render the template from the working tree with a preset's answers, then run ``python -m pytest -q``
inside the rendering, the command its README gives users. The rendered suite reads its own settings and skips
what cannot apply (no task in a synchronous API, no URL for base64 results), so the same tests must pass for
asynchronous URL results (ModelScope), nested bodies and paths (DashScope), synchronous base64 (OpenAI) and
synchronous URLs with few tool parameters (SiliconFlow's answers). Its output is shown when it fails.
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
    return {**answers, "tool_parameters": ["negative_prompt"]}


RENDERINGS = {
    "modelscope-async-urls": {},
    "dashscope-async-nested": {"api_preset": "dashscope"},
    "openai-sync-base64": {"api_preset": "openai_compatible"},
    "siliconflow-sync-urls-one-parameter": siliconflow_answers(),
}


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

