"""The fast set runs the job client's own tests in one rendering: a broken poll schedule, Retry-After, retry or
deadline rule fails `pytest -m "not slow"` here, not only the slow end-to-end runs of every preset.

The default rendering (session-scoped, shared with the other read-only tests) runs tests/test_job_client.py,
tests/test_policies.py and tests/test_client_rules.py in a subprocess, as a user's `python -m pytest` would;
everything runs on a virtual clock or with 0.1 s polls, so it takes seconds. Nothing is written into the shared
rendering (no bytecode, no cache).
"""

from __future__ import annotations

import re
from pathlib import Path

from conftest import PYTHON, run

JOB_CLIENT_TESTS = ("tests/test_job_client.py", "tests/test_policies.py", "tests/test_client_rules.py")


def test_the_job_client_tests_of_a_rendering_pass(default_plugin: Path) -> None:
    command = [PYTHON, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly", *JOB_CLIENT_TESTS]
    done = run(command, cwd=default_plugin, timeout=180, env={"PYTHONDONTWRITEBYTECODE": "1"})
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    summary = done.stdout.strip().splitlines()[-1]
    passed = re.search(r"(\d+) passed", summary)
    assert passed and int(passed.group(1)) >= 50, summary  # the modules ran, not an empty collection
    assert "failed" not in summary and "error" not in summary, summary
