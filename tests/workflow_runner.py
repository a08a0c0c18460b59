"""Run a generated plugin's update workflow (update.yml) the way a GitHub runner would, offline.

Each step's ``run:`` script runs as written under the runner's shell (``bash --noprofile --norc -eo pipefail``),
in order, with ``if:`` conditions and ``${{ }}`` expressions evaluated from the previous steps' outputs and the
given secrets. Only the expressions update.yml uses are understood; any other one fails the test, so the
workflow cannot grow logic these tests do not run. ``gh`` is always a stub on PATH that records its calls (no
network); ``copier`` and ``git push`` are stubs unless the test asks for the real ones.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

WORKFLOW = Path(".github") / "workflows" / "update.yml"
SERVER_URL = "https://github.com"
WORKFLOW_TOKEN = "ghs_workflow_token_of_this_run"  # what ${{ github.token }} stands for here
DEFAULT_BRANCH = "main"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
OUTPUT_REFERENCE = re.compile(r"^steps\.(\w+)\.outputs\.(\w+)$")
COMPARISON = re.compile(r"^(steps\.\w+\.outputs\.\w+) == '([^']*)'$")

# Stubs: each appends {"argv": [...], "env": {...}} to $STUB_LOG. The git stub hands everything but `push` to git.
STUB = """\
import json, os, sys
record = {"argv": [os.path.basename(sys.argv[0]), *sys.argv[1:]],
          "env": {key: os.environ.get(key, "") for key in ("GH_TOKEN", "GIT_CONFIG_KEY_0", "GIT_CONFIG_VALUE_0")}}
"""
GH_STUB = (
    STUB
    + """\
with open(os.environ["STUB_LOG"], "a") as log:
    log.write(json.dumps(record) + "\\n")
if sys.argv[1:3] == ["issue", "list"]:
    print(os.environ.get("STUB_OPEN_ISSUE", ""))
"""
)
GIT_STUB = (
    STUB
    + """\
if sys.argv[1:2] == ["push"]:
    with open(os.environ["STUB_LOG"], "a") as log:
        log.write(json.dumps(record) + "\\n")
    sys.exit(0)
os.execv(os.environ["REAL_GIT"], [os.environ["REAL_GIT"], *sys.argv[1:]])
"""
)
# The copier stub does what STUB_COPIER says: change a workflow file or the README, nothing, fail, or refuse like
# Copier 9 does when an update would run a migration (exit code 4, before writing anything).
COPIER_STUB = (
    STUB
    + """\
with open(os.environ["STUB_LOG"], "a") as log:
    log.write(json.dumps(record) + "\\n")
mode = os.environ["STUB_COPIER"]
if mode == "migration":
    sys.stderr.write("Template uses potentially unsafe feature: migrations.\\n")
    sys.exit(4)
if mode == "error":
    sys.stderr.write("Destination repository is dirty; cannot continue.\\n")
    sys.exit(1)
if mode in ("workflow", "readme"):
    path = ".github/workflows/ci.yml" if mode == "workflow" else "README.md"
    with open(path, "a") as changed:
        changed.write("# a line from the next template release\\n")
"""
)


@dataclass
class Call:
    argv: list[str]
    env: dict[str, str]


@dataclass
class StepRun:
    name: str
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]


@dataclass
class WorkflowRun:
    steps: list[StepRun] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)  # gh, copier (stubbed) and git push, in order
    skipped: list[str] = field(default_factory=list)

    @property
    def stdout(self) -> str:
        return "".join(step.stdout for step in self.steps)

    @property
    def failed(self) -> bool:
        return any(step.returncode != 0 for step in self.steps)

    def called(self, program: str, *prefix: str) -> list[Call]:
        """The calls of ``program`` whose arguments start with ``prefix``."""
        return [call for call in self.calls if call.argv[0] == program and call.argv[1 : 1 + len(prefix)] == [*prefix]]


def workflow_steps(plugin: Path) -> list[dict[str, Any]]:
    workflow = yaml.safe_load((plugin / WORKFLOW).read_text(encoding="utf-8"))
    return workflow["jobs"]["update"]["steps"]


def parse_outputs(text: str) -> dict[str, str]:
    """$GITHUB_OUTPUT as the runner reads it: ``name=value`` lines and ``name<<DELIMITER`` blocks."""
    outputs: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            block = []
            for body_line in lines:
                if body_line == delimiter:
                    break
                block.append(body_line)
            outputs[name] = "\n".join(block)
        elif line:
            name, value = line.split("=", 1)
            outputs[name] = value
    return outputs


class Evaluator:
    """The few GitHub expressions update.yml uses, over the outputs of the steps run so far."""

    def __init__(self, secrets: dict[str, str]) -> None:
        self.secrets = secrets
        self.outputs: dict[str, dict[str, str]] = {}

    def value(self, term: str) -> str:
        term = term.strip()
        if match := OUTPUT_REFERENCE.match(term):
            return self.outputs.get(match[1], {}).get(match[2], "")
        if term.startswith("secrets."):
            return self.secrets.get(term.removeprefix("secrets."), "")
        known = {"github.token": WORKFLOW_TOKEN, "github.event.repository.default_branch": DEFAULT_BRANCH}
        assert term in known, f"update.yml uses an expression this runner does not know: {term}"
        return known[term]

    def expression(self, text: str) -> str:
        """``a || b``: the first non-empty value, as GitHub evaluates it for strings."""
        return next((value for value in map(self.value, text.split("||")) if value), "")

    def condition(self, text: str) -> bool:
        results = []
        for term in text.split("||"):
            match = COMPARISON.match(term.strip())
            assert match, f"update.yml uses a condition this runner does not know: {term}"
            results.append(self.value(match[1]) == match[2])
        return any(results)

    def substitute(self, text: str) -> str:
        return EXPRESSION.sub(lambda match: self.expression(match[1]), text)


def write_stub(folder: Path, name: str, source: str) -> None:
    path = folder / name
    path.write_text(f"#!{sys.executable}\n{source}", encoding="utf-8")
    path.chmod(0o755)


def run_update_workflow(
    plugin: Path,
    work: Path,
    *,
    secrets: dict[str, str] | None = None,
    copier: str | None = None,
    open_issue: str = "",
    env: dict[str, str] | None = None,
) -> WorkflowRun:
    """The update workflow's shell steps in ``plugin`` (a git repository); ``copier=None`` runs the real Copier.

    ``copier`` names what the stub does (see COPIER_STUB); ``open_issue`` is the number ``gh issue list`` answers;
    ``env`` is added to every step's environment.
    """
    stubs = work / "stubs"
    stubs.mkdir(parents=True, exist_ok=True)
    log = work / "calls.jsonl"
    log.write_text("", encoding="utf-8")
    real_git = shutil.which("git")
    assert real_git is not None
    write_stub(stubs, "gh", GH_STUB)
    write_stub(stubs, "git", GIT_STUB)
    if copier is not None:
        write_stub(stubs, "copier", COPIER_STUB)
    # The real Copier is the one next to this interpreter; `python` is this interpreter (it has PyYAML).
    path = os.pathsep.join([str(stubs), str(Path(sys.executable).parent), os.environ["PATH"]])
    evaluator = Evaluator(secrets or {})
    result = WorkflowRun()
    for index, step in enumerate(workflow_steps(plugin)):
        if "run" not in step or step["run"].startswith("python -m pip install"):
            continue  # actions (checkout, setup-python) and the Copier install are the runner's part
        name = step.get("name", f"step {index}")
        assert "${{" not in step["run"], f"{name}: an expression expanded into a script (use env:)"
        if "if" in step and not evaluator.condition(step["if"]):
            result.skipped.append(name)
            continue
        output_file = work / f"output-{index}"
        output_file.write_text("", encoding="utf-8")
        step_env = {
            **os.environ,
            **(env or {}),
            "PATH": path,
            "STUB_LOG": str(log),
            "REAL_GIT": real_git,
            "STUB_COPIER": copier or "",
            "STUB_OPEN_ISSUE": open_issue,
            "GITHUB_OUTPUT": str(output_file),
            "GITHUB_SERVER_URL": SERVER_URL,
            "GITHUB_REPOSITORY": "someone/plugin",
            "RUNNER_TEMP": str(work),
            # A fresh runner has no global git config: a developer's signing or hooks must not change the run.
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
            **{key: evaluator.substitute(str(value)) for key, value in step.get("env", {}).items()},
        }
        completed = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=plugin, env=step_env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        outputs = parse_outputs(output_file.read_text(encoding="utf-8"))
        if "id" in step:
            evaluator.outputs[step["id"]] = outputs
        result.steps.append(StepRun(name, completed.returncode, completed.stdout, completed.stderr, outputs))
        if completed.returncode != 0:
            break  # the runner stops the job at a failed step
    for line in log.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        result.calls.append(Call(record["argv"], record["env"]))
    return result


GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Plugin Author",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "Plugin Author",
    "GIT_COMMITTER_EMAIL": "author@example.com",
}
GIT_SETTINGS = ["-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", "-c", "core.hooksPath=/dev/null"]


def git(repository: Path, *args: str) -> str:
    completed = subprocess.run(
        ["git", *GIT_SETTINGS, *args],
        cwd=repository, env={**os.environ, **GIT_IDENTITY}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert completed.returncode == 0, f"git {' '.join(args)}: {completed.stderr}"
    return completed.stdout


def plugin_repository(rendering: Path, destination: Path, source: str | None) -> Path:
    """A copy of ``rendering`` committed in its own git repository; ``source`` replaces the answers' _src_path."""
    shutil.copytree(rendering, destination, symlinks=True)
    if source is not None:
        answers = destination / ".copier-answers.yml"
        text = answers.read_text(encoding="utf-8")
        answers.write_text(re.sub(r"(?m)^_src_path: .*$", f"_src_path: {source}", text), encoding="utf-8")
    git(destination, "init", "-q")
    git(destination, "add", "-A")
    git(destination, "commit", "-q", "--no-verify", "-m", "Generated from the template")
    return destination
