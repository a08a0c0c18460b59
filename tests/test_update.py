"""`copier update` for generated plugins: the life cycle a plugin author goes through after the first copy.

Strategy: the template is released as PEP 440 git tags, and Copier renders and updates from tags, so the test
builds its own release history. It copies this repository's *current working tree* (tracked files plus
untracked, non-ignored ones, so uncommitted work is tested too) into a temporary git repository and tags it
``v2.0.0``. A plugin is rendered from that tag and committed in its own repository; the "user" then edits it
(a new tool parameter, a README line, a test file of their own, ``max_wait`` in settings.yaml). The template
fixes its ModelScope preset (one more pending status, another credential-check path: lines the user did not
touch), adds a README line far from the user's edit (a 3-way merge), and is tagged ``v2.1.0``.
``copier.run_update`` must then merge both sides without prompts, conflicts or ``--trust``, record the new
version, keep the locked ``created_at``, and leave a plugin that still passes its own test suite and
``scripts/check.py``.

Two further properties keep updates cheap and reviewable: ``copier copy`` needs no ``--trust`` (no tasks,
Jinja extensions or outside-destination data), and rendering the same answers twice is byte-identical (so an
update's diff shows only real changes). Copier's user settings are replaced by an empty ``Settings()`` (and
``COPIER_SETTINGS_PATH`` for the CLI) so that a developer's ``trust:`` list or default answers cannot mask a
failure. Answers files of the 1.x template (which stored the whole API mapping) are migrated by
hooks/migrate_answers.py; a test renders the last 1.x release from git history and updates it. Answers files of
2.x (a models and a default-model question per tool kind) are migrated by hooks/migrate_kinds.py; the last tests
render the last 2.x commit from git history with advanced answers, edit the plugin, and update it to this tree.
"""

from __future__ import annotations

import filecmp
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import copier
import pytest
import yaml

from conftest import PYTHON, ROOT, copy_working_tree, run
from workflow_runner import WORKFLOW, plugin_repository, run_update_workflow
from workflow_runner import git as workflow_runner_git

OLD, NEW = "v2.0.0", "v2.1.0"
ANSWERS = ".copier-answers.yml"

# Commits in the temporary repositories must work on a machine with no git identity configured.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Template Test",
    "GIT_AUTHOR_EMAIL": "template-test@example.com",
    "GIT_COMMITTER_NAME": "Template Test",
    "GIT_COMMITTER_EMAIL": "template-test@example.com",
}
# A developer's global git config must not sign, hook or rename branches in the throwaway repositories.
GIT_SETTINGS = ("commit.gpgsign=false", "tag.gpgsign=false", "init.defaultBranch=main", "core.hooksPath=/dev/null")
GIT_CONFIG = [arg for setting in GIT_SETTINGS for arg in ("-c", setting)]

# The user's edits and the template's changes; each must survive the update.
USER_PARAMETER = """\
  - name: style_hint
    type: string
    required: false
    form: llm
    label:
      en_US: Style hint
      zh_Hans: 风格提示
    human_description:
      en_US: A style added by the plugin author after generation.
      zh_Hans: 插件作者在生成后添加的风格。
    llm_description: An optional art style, e.g. watercolor.
"""
USER_README_LINE = "Maintained by the plugin author: this line was added after `copier copy`."
USER_TEST = '''\
"""A test the plugin author added; `copier update` must keep it."""

from pathlib import Path

import yaml


def test_style_hint_parameter_is_declared() -> None:
    tool_file = Path(__file__).resolve().parents[1] / "tools" / "text2image.yaml"
    tool = yaml.safe_load(tool_file.read_text(encoding="utf-8"))
    assert "style_hint" in [parameter["name"] for parameter in tool["parameters"]]
'''
TEMPLATE_PRIVACY_LINE = "This policy was last reviewed for template release v2.1.0."
USER_MAX_WAIT = 200
# The preset fix the next release brings: a status the API started to send, and a cheaper credential check.
NEW_PENDING = ["PENDING", "RUNNING", "PROCESSING", "QUEUED"]
NEW_VALIDATE_PATH = "/v1/models/Qwen/Qwen-Image"
TEMPLATE_README_LINE = "Generated plugins follow the template's releases through `copier update`."


def git(*args: str, cwd: Path) -> str:
    """Run git with a fixed identity and neutral config; fail the test with git's output on error."""
    result = run(["git", *GIT_CONFIG, *args], cwd=cwd, timeout=60, env=GIT_ENV)
    assert result.returncode == 0, f"git {' '.join(args)} failed in {cwd}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def commit_all(repo: Path, message: str) -> None:
    git("add", "-A", cwd=repo)
    git("commit", "-q", "--no-verify", "-m", message, cwd=repo)


def snapshot_template(dst: Path) -> Path:
    """A git repository holding this repo's working tree as it is now, committed once (no tag yet)."""
    copy_working_tree(dst)
    git("init", "-q", cwd=dst)
    commit_all(dst, "template snapshot")
    return dst


def append_after(path: Path, anchor: str, addition: str) -> None:
    """Insert addition right after the first line that starts with anchor (fails loudly if it moved)."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    index = next((i for i, line in enumerate(lines) if line.startswith(anchor)), None)
    assert index is not None, f"{path} has no line starting with {anchor!r}: update this test"
    lines.insert(index + 1, addition)
    path.write_text("".join(lines), encoding="utf-8")


def insert_before(path: Path, anchor: str, addition: str) -> None:
    """Insert addition right before the first line equal to anchor (fails loudly if it moved)."""
    text = path.read_text(encoding="utf-8")
    assert f"\n{anchor}\n" in text, f"{path} has no line {anchor!r}: update this test"
    path.write_text(text.replace(f"\n{anchor}\n", f"\n{addition}{anchor}\n", 1), encoding="utf-8")


def read_answers(plugin: Path) -> dict:
    return yaml.safe_load((plugin / ANSWERS).read_text(encoding="utf-8"))


def tree_files(root: Path) -> list[Path]:
    """Every file below root except git's own."""
    return sorted(p for p in root.rglob("*") if p.is_file() and ".git" not in p.relative_to(root).parts)


@dataclass(frozen=True)
class RoundTrip:
    template: Path
    plugin: Path
    answers_before: dict
    answers_after: dict
    changed_files: set[str]  # `git status` of the plugin right after the update


@pytest.fixture(scope="module")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The working tree as a git repository tagged v2.0.0 (the fixture that updates it adds v2.1.0 later)."""
    repo = snapshot_template(tmp_path_factory.mktemp("template") / "repo")
    git("tag", OLD, cwd=repo)
    return repo


@pytest.fixture(scope="module")
def round_trip(template_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> RoundTrip:
    """Render v2.0.0, commit, edit as a user, release v2.1.0 of the template, update. Runs once per module."""
    plugin = tmp_path_factory.mktemp("plugin") / "qwen_text2image"
    copier.run_copy(
        str(template_repo), plugin, defaults=True, vcs_ref=OLD, quiet=True, unsafe=False, settings=copier.Settings()
    )
    git("init", "-q", cwd=plugin)
    commit_all(plugin, "Generate from template v2.0.0")
    answers_before = read_answers(plugin)

    # The user's edits, committed: update refuses a dirty repository.
    insert_before(plugin / "tools" / "text2image.yaml", "extra:", USER_PARAMETER)
    readme = plugin / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + f"\n{USER_README_LINE}\n", encoding="utf-8")
    (plugin / "tests").mkdir(exist_ok=True)
    (plugin / "tests" / "test_user_style_hint.py").write_text(USER_TEST, encoding="utf-8")
    settings = plugin / "job_client" / "settings.yaml"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace("max_wait: 240", f"max_wait: {USER_MAX_WAIT}"), encoding="utf-8"
    )
    commit_all(plugin, "User edits")

    # The next template release changes lines the user did not touch.
    tpl = template_repo / "template"
    privacy = tpl / "PRIVACY.md.jinja"
    privacy.write_text(privacy.read_text(encoding="utf-8") + f"\n{TEMPLATE_PRIVACY_LINE}\n", encoding="utf-8")
    preset_file = template_repo / "presets" / "modelscope.yml"
    preset = preset_file.read_text(encoding="utf-8")
    assert "    pending: [PENDING, RUNNING, PROCESSING]\n" in preset and "  validate_path: /v1/models\n" in preset
    preset = preset.replace(
        "    pending: [PENDING, RUNNING, PROCESSING]\n", f"    pending: [{', '.join(NEW_PENDING)}]\n"
    )
    preset = preset.replace("  validate_path: /v1/models\n", f'  validate_path: "{NEW_VALIDATE_PATH}"\n')
    preset_file.write_text(preset, encoding="utf-8")
    # Same file as the user's README edit but far from it: a true 3-way merge, still conflict-free.
    append_after(tpl / "README.md.jinja", "{{ plugin_description }}", f"\n{TEMPLATE_README_LINE}\n")
    commit_all(template_repo, "Template release v2.1.0")
    git("tag", NEW, cwd=template_repo)

    # No vcs_ref: Copier picks the newest PEP 440 tag, as it does for users.
    copier.run_update(plugin, defaults=True, overwrite=True, quiet=True, unsafe=False, settings=copier.Settings())
    status = git("status", "--porcelain", "--untracked-files=all", cwd=plugin)
    changed = {line[3:] for line in status.splitlines()}
    return RoundTrip(template_repo, plugin, answers_before, read_answers(plugin), changed)


def test_update_keeps_user_edits(round_trip: RoundTrip) -> None:
    plugin = round_trip.plugin
    tool = yaml.safe_load((plugin / "tools" / "text2image.yaml").read_text(encoding="utf-8"))
    names = [parameter["name"] for parameter in tool["parameters"]]
    assert names[-1] == "style_hint" and {"prompt", "model"} <= set(names)
    assert USER_README_LINE in (plugin / "README.md").read_text(encoding="utf-8")
    assert (plugin / "tests" / "test_user_style_hint.py").read_text(encoding="utf-8") == USER_TEST


def test_update_delivers_the_preset_fix_and_keeps_the_users_settings_edit(round_trip: RoundTrip) -> None:
    settings = yaml.safe_load((round_trip.plugin / "job_client" / "settings.yaml").read_text(encoding="utf-8"))
    assert settings["poll"]["pending"] == NEW_PENDING
    assert settings["validate_path"] == NEW_VALIDATE_PATH
    assert settings["max_wait"] == USER_MAX_WAIT
    # The preset is data read at render time: nothing of it was stored, so nothing had to be migrated.
    assert not {"validate_path", "status_pending", "api_overrides"} & set(round_trip.answers_after)


def test_update_applies_template_changes(round_trip: RoundTrip) -> None:
    plugin = round_trip.plugin
    assert TEMPLATE_PRIVACY_LINE in (plugin / "PRIVACY.md").read_text(encoding="utf-8")
    assert TEMPLATE_README_LINE in (plugin / "README.md").read_text(encoding="utf-8")
    assert f"GET {NEW_VALIDATE_PATH}" in (plugin / "README.md").read_text(encoding="utf-8")


def test_update_changes_only_what_changed(round_trip: RoundTrip) -> None:
    # Anything else in the diff would be churn the user has to review (unstable rendering, moved files).
    # The credential-check path is also quoted in the READMEs and AGENTS.md.
    assert round_trip.changed_files == {
        "AGENTS.md",
        "PRIVACY.md",
        "README.md",
        "readme/README_zh_Hans.md",
        "job_client/settings.yaml",
        ANSWERS,
    }


def test_update_leaves_no_conflicts(round_trip: RoundTrip) -> None:
    files = tree_files(round_trip.plugin)
    assert not [p for p in files if p.suffix == ".rej" or p.name.endswith(".orig")]
    marked = [p for p in files if b"<<<<<<<" in p.read_bytes() or b">>>>>>>" in p.read_bytes()]
    assert not marked, f"conflict markers in {marked}"


def test_update_records_version_and_keeps_created_at(round_trip: RoundTrip) -> None:
    before, after = round_trip.answers_before, round_trip.answers_after
    assert before["_commit"] == OLD and after["_commit"] == NEW
    assert after["created_at"] == before["created_at"]
    # Nothing else in the answers moved: the update replayed exactly what was chosen.
    assert {k: v for k, v in after.items() if k != "_commit"} == {k: v for k, v in before.items() if k != "_commit"}


def test_update_reports_nothing_left_to_do(round_trip: RoundTrip) -> None:
    result = run(
        [PYTHON, "-m", "copier", "check-update", str(round_trip.plugin)],
        cwd=round_trip.plugin,
        timeout=60,
        env={"COPIER_SETTINGS_PATH": str(round_trip.plugin / "no-settings.yml")},
    )
    assert result.returncode == 0, result.stderr
    assert "up-to-date" in (result.stdout + result.stderr)


@pytest.mark.slow
def test_updated_plugin_passes_its_own_tests(round_trip: RoundTrip) -> None:
    # -rA lists every passed test, so the user's own test is seen to run (the plugin's pytest.ini adds -q).
    result = run([PYTHON, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider"], cwd=round_trip.plugin, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "test_user_style_hint.py::test_style_hint_parameter_is_declared" in result.stdout


@pytest.mark.slow
def test_updated_plugin_passes_check(round_trip: RoundTrip) -> None:
    assert (round_trip.plugin / "scripts" / "check.py").is_file(), "the template ships no scripts/check.py"
    result = run([PYTHON, "scripts/check.py"], cwd=round_trip.plugin, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_copy_needs_no_trust(template_repo: Path, tmp_path: Path) -> None:
    # The CLI, exactly as the README tells users to run it; Copier exits 4 when a template needs --trust.
    dst = tmp_path / "cli"
    result = run(
        [PYTHON, "-m", "copier", "copy", "--defaults", "--quiet", "--vcs-ref", OLD, str(template_repo), str(dst)],
        cwd=tmp_path,
        timeout=120,
        env={"COPIER_SETTINGS_PATH": str(tmp_path / "none.yml")},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert (dst / "manifest.yaml").is_file()
    # The API too, with unsafe=False spelled out: it raises UnsafeTemplateError otherwise.
    copier.run_copy(
        str(template_repo),
        tmp_path / "api",
        defaults=True,
        vcs_ref=OLD,
        quiet=True,
        unsafe=False,
        settings=copier.Settings(),
    )


def test_same_answers_render_byte_identical(template_repo: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    copier.run_copy(str(template_repo), first, defaults=True, vcs_ref=OLD, quiet=True, settings=copier.Settings())
    # Only created_at is time-dependent; replaying it is what the answers file does on update and recopy.
    created_at = read_answers(first)["created_at"]
    copier.run_copy(
        str(template_repo),
        second,
        data={"created_at": created_at},
        defaults=True,
        vcs_ref=OLD,
        quiet=True,
        settings=copier.Settings(),
    )
    names = [p.relative_to(first) for p in tree_files(first)]
    assert names == [p.relative_to(second) for p in tree_files(second)]
    _, mismatch, errors = filecmp.cmpfiles(first, second, names, shallow=False)
    assert not mismatch and not errors, f"differs between two renderings: {mismatch + errors}"


def test_recopy_reproduces_the_rendering(template_repo: Path, tmp_path: Path) -> None:
    plugin = tmp_path / "plugin"
    copier.run_copy(str(template_repo), plugin, defaults=True, vcs_ref=OLD, quiet=True, settings=copier.Settings())
    git("init", "-q", cwd=plugin)
    commit_all(plugin, "Generate")
    # recopy re-renders from the answers file alone (created_at included); the tree must not move.
    copier.run_recopy(
        plugin, defaults=True, overwrite=True, vcs_ref=OLD, quiet=True, unsafe=False, settings=copier.Settings()
    )
    assert git("status", "--porcelain", "--untracked-files=all", cwd=plugin) == ""


LAST_1X_COMMIT = "b9f09c3"  # the last template release that stored the API mapping in the answers file
LEGACY_ANSWERS = ROOT / "tests" / "fixtures" / "answers-1.x.yml"
MAPPING_ANSWERS = {"base_url", "submit_path", "poll_path", "status_pending", "body_fields", "result_field", "sizes"}


def template_history(scratch: Path, old_commit: str, old_tag: str, new_tag: str) -> Path:
    """A template repository with two releases: old_commit of this repository's history, then this working tree."""
    template = scratch / "repo"
    template.mkdir()
    archive = subprocess.run(["git", "archive", old_commit], cwd=ROOT, capture_output=True)
    assert archive.returncode == 0, f"needs the template's git history (git fetch --unshallow): {archive.stderr!r}"
    subprocess.run(["tar", "-x", "-C", str(template)], input=archive.stdout, check=True)
    git("init", "-q", cwd=template)
    commit_all(template, f"template {old_tag}")
    git("tag", old_tag, cwd=template)
    git("rm", "-rq", ".", cwd=template)
    snapshot = snapshot_template(scratch / "current")
    for path in tree_files(snapshot):
        target = template / path.relative_to(snapshot)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    commit_all(template, f"template {new_tag}")
    git("tag", new_tag, cwd=template)
    return template


@dataclass(frozen=True)
class Legacy:
    template: Path  # v1.9.0 (the last 1.x release) and v2.0.0 (this tree), tagged
    plugin: Path  # rendered by v1.9.0 from the 1.x answers fixture, committed


@pytest.fixture(scope="module")
def legacy(tmp_path_factory: pytest.TempPathFactory) -> Legacy:
    """A plugin rendered by the last 1.x release from a user's answers file, and the template it can update to."""
    template = template_history(tmp_path_factory.mktemp("legacy"), LAST_1X_COMMIT, "v1.9.0", "v2.0.0")

    legacy_answers = yaml.safe_load(LEGACY_ANSWERS.read_text(encoding="utf-8"))
    plugin = tmp_path_factory.mktemp("legacy-plugin") / "qwen_images"
    data = {key: value for key, value in legacy_answers.items() if not key.startswith("_")}
    copier.run_copy(str(template), plugin, data=data, defaults=True, vcs_ref="v1.9.0", quiet=True)
    assert set(read_answers(plugin)) >= MAPPING_ANSWERS, "the 1.x rendering stores the mapping"
    git("init", "-q", cwd=plugin)
    commit_all(plugin, "Generate from template 1.x")
    return Legacy(template, plugin)


@pytest.fixture(scope="module")
def migrated(legacy: Legacy, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, dict]:
    """The legacy plugin updated to this tree (2.0.0) across the migration."""
    plugin = tmp_path_factory.mktemp("migrated") / "qwen_images"
    shutil.copytree(legacy.plugin, plugin, symlinks=True)
    before = yaml.safe_load((plugin / "job_client" / "settings.yaml").read_text(encoding="utf-8"))
    # The migration is a Copier task: updating across it needs --trust (unsafe=True), once.
    copier.run_update(
        plugin, defaults=True, overwrite=True, quiet=True, unsafe=True, vcs_ref="v2.0.0", settings=copier.Settings()
    )
    return plugin, before, read_answers(plugin)


def test_the_update_workflow_stops_at_the_migration_and_asks_for_trust(legacy: Legacy, tmp_path: Path) -> None:
    """update.yml's steps with the real Copier (no --trust) on a 1.x plugin: Copier refuses before writing."""
    source = f"git+file://{legacy.template}"  # a URL the workflow follows, served from this disk
    plugin = plugin_repository(legacy.plugin, tmp_path / "plugin", source)
    (plugin / WORKFLOW).parent.mkdir(parents=True, exist_ok=True)  # 1.x shipped no update.yml: use this one
    shutil.copy2(ROOT / "template" / WORKFLOW, plugin / WORKFLOW)
    workflow_runner_git(plugin, "add", "-A")
    workflow_runner_git(plugin, "commit", "-q", "--no-verify", "-m", "This tree's update workflow")
    head = workflow_runner_git(plugin, "rev-parse", "HEAD")
    settings = tmp_path / "no-copier-settings.yml"  # a developer's `trust:` list must not let it through
    run = run_update_workflow(plugin, tmp_path / "run", env={"COPIER_SETTINGS_PATH": str(settings)})
    assert not run.failed, run.steps[-1].stderr
    update_step = next(step for step in run.steps if step.name == "copier update (never --trust)")
    assert "Template uses potentially unsafe feature: migrations." in update_step.stderr
    assert update_step.outputs["result"] == "needs-trust"
    # Nothing written, nothing committed or pushed: the plugin is as it was.
    assert workflow_runner_git(plugin, "status", "--porcelain") == ""
    assert workflow_runner_git(plugin, "rev-parse", "HEAD") == head
    assert run.called("git", "push") == [] and run.called("gh", "pr") == []
    (create,) = run.called("gh", "issue", "create")
    assert "copier update --defaults --trust" in create.argv[create.argv.index("--body") + 1]


def test_a_1x_answers_file_keeps_only_decisions_and_the_users_changes(migrated: tuple[Path, dict, dict]) -> None:
    _, _, answers = migrated
    assert not MAPPING_ANSWERS & set(answers)
    assert answers["api_overrides"]["api"] == {"base_url": "https://modelscope-proxy.example.com"}
    extra_models = answers["api_overrides"]["tools"]["text2image"]["models"]
    assert [model["id"] for model in extra_models] == ["Qwen/Qwen-Image", "Qwen/Qwen-Image-2512"]
    # Straight to this template's shape (hooks/migrate_kinds.py): one models answer, "<tool>:<model id>".
    assert answers["models"] == [
        "text2image:Qwen/Qwen-Image",
        "text2image:Qwen/Qwen-Image-2512",
        "image_edit:Qwen/Qwen-Image-Edit",
    ]
    assert answers["max_wait"] == 200 and answers["advanced"] is True
    assert answers["_commit"] == "v2.0.0"


def test_a_migrated_plugin_calls_the_same_api(migrated: tuple[Path, dict, dict]) -> None:
    plugin, before, _ = migrated
    after = yaml.safe_load((plugin / "job_client" / "settings.yaml").read_text(encoding="utf-8"))
    assert after["base_url"] == before["base_url"] == "https://modelscope-proxy.example.com"
    assert after["max_wait"] == before["max_wait"] == 200
    for section in ("submit", "poll"):
        for key, value in before[section].items():
            if key not in ("body_fields", "body_extra", "first_delay"):
                assert after[section][key] == value, f"{section}.{key}"
    # The same paths for what the tool shows (1.x also listed fields of parameters it did not show).
    shown = after["tools"]["text2image"]["submit"]["body_fields"]
    assert shown.items() <= before["submit"]["body_fields"].items()
    # n is gone: ModelScope documents no `n` (presets/modelscope.yml sends only the documented fields).
    assert set(shown) == {"prompt", "model", "size", "negative_prompt", "seed"}
    tool = yaml.safe_load((plugin / "tools" / "text2image.yaml").read_text(encoding="utf-8"))
    (model,) = [parameter for parameter in tool["parameters"] if parameter["name"] == "model"]
    assert [option["value"] for option in model["options"]] == ["Qwen/Qwen-Image", "Qwen/Qwen-Image-2512"]
    files = tree_files(plugin)
    assert not [p for p in files if b"<<<<<<<" in p.read_bytes()], "conflict markers after the migration"
    result = run([PYTHON, "scripts/check.py", "."], cwd=plugin, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:]


LAST_2X_COMMIT = "530c91b"  # the last template commit that asked models and default models per tool kind
# Decisions a 2.x user took: some models of each tool, and a default that is not the first one.
ANSWERS_2X = {
    "api_preset": "dashscope",
    "tools": ["text2image", "image_edit", "text2video"],
    "advanced": True,
    "models": ["wan2.2-t2i-flash", "wan2.2-t2i-plus"],
    "default_model": "wan2.2-t2i-plus",
    "edit_models": ["wanx2.1-imageedit"],
    "edit_default_model": "wanx2.1-imageedit",
    "video_models": ["wan2.2-t2v-plus", "wanx2.1-t2v-turbo"],
    "video_default_model": "wanx2.1-t2v-turbo",
    "created_at": "2026-11-25T00:00:00Z",
}
PER_KIND_QUESTIONS = {"edit_models", "video_models", "default_model", "edit_default_model", "video_default_model"}


@dataclass(frozen=True)
class KindsUpdate:
    before: Path  # the 2.x rendering with the user's edits, committed
    after: Path  # the same plugin updated to this tree (v3.0.0) across hooks/migrate_kinds.py
    answers: dict  # after the update


@pytest.fixture(scope="module")
def kinds_update(tmp_path_factory: pytest.TempPathFactory) -> KindsUpdate:
    """A plugin made by the last 2.x commit from per-kind answers, edited by its user, then updated to this tree."""
    template = template_history(tmp_path_factory.mktemp("kinds"), LAST_2X_COMMIT, "v2.0.0", "v3.0.0")

    before = tmp_path_factory.mktemp("kinds-plugin") / "wan"
    copier.run_copy(str(template), before, data=ANSWERS_2X, defaults=True, vcs_ref="v2.0.0", quiet=True)
    assert set(read_answers(before)) >= PER_KIND_QUESTIONS, "the 2.x rendering stores a question per tool kind"
    git("init", "-q", cwd=before)
    commit_all(before, "Generate from template 2.x")
    readme = before / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + f"\n{USER_README_LINE}\n", encoding="utf-8")
    settings = before / "job_client" / "settings.yaml"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace("max_wait: 240", f"max_wait: {USER_MAX_WAIT}"), encoding="utf-8"
    )
    commit_all(before, "User edits")

    after = tmp_path_factory.mktemp("kinds-updated") / "wan"
    shutil.copytree(before, after, symlinks=True)
    # The migration is a Copier task: updating across it needs --trust (unsafe=True), once.
    copier.run_update(
        after, defaults=True, overwrite=True, quiet=True, unsafe=True, vcs_ref="v3.0.0", settings=copier.Settings()
    )
    return KindsUpdate(before, after, read_answers(after))


def test_a_2x_answers_file_gets_one_models_and_one_default_models_answer(kinds_update: KindsUpdate) -> None:
    answers = kinds_update.answers
    assert not PER_KIND_QUESTIONS & set(answers)
    assert answers["models"] == [
        "text2image:wan2.2-t2i-flash",
        "text2image:wan2.2-t2i-plus",
        "image_edit:wanx2.1-imageedit",
        "text2video:wan2.2-t2v-plus",
        "text2video:wanx2.1-t2v-turbo",
    ]
    assert answers["default_models"] == [
        "text2image:wan2.2-t2i-plus",
        "image_edit:wanx2.1-imageedit",
        "text2video:wanx2.1-t2v-turbo",
    ]
    assert answers["_commit"] == "v3.0.0" and answers["created_at"] == ANSWERS_2X["created_at"]


def test_a_2x_plugin_keeps_its_models_defaults_and_the_users_edits(kinds_update: KindsUpdate) -> None:
    before, after = kinds_update.before, kinds_update.after
    settings = yaml.safe_load((after / "job_client" / "settings.yaml").read_text(encoding="utf-8"))
    assert settings["max_wait"] == USER_MAX_WAIT
    assert USER_README_LINE in (after / "README.md").read_text(encoding="utf-8")
    expected = {
        "text2image": ("wan2.2-t2i-plus", ["wan2.2-t2i-flash", "wan2.2-t2i-plus"]),
        "image_edit": ("wanx2.1-imageedit", ["wanx2.1-imageedit"]),
        "text2video": ("wanx2.1-t2v-turbo", ["wan2.2-t2v-plus", "wanx2.1-t2v-turbo"]),
    }
    for tool, (default, models) in expected.items():
        assert settings["tools"][tool]["default_model"] == default, tool
        assert list(settings["tools"][tool]["models"]["known"]) == models, tool
        # The tool forms are the same files as before the update (video_submit reads text2video's section).
        for name in [tool] + (["video_submit"] if tool == "text2video" else []):
            form = f"tools/{name}.yaml"
            assert (after / form).read_bytes() == (before / form).read_bytes(), form
    files = tree_files(after)
    assert not [p for p in files if b"<<<<<<<" in p.read_bytes()], "conflict markers after the migration"


def test_the_kinds_migration_runs_once_and_leaves_a_new_answers_file_alone(tmp_path: Path) -> None:
    """Copier may run hooks/migrate_kinds.py on a file already migrated (1.x files pass through it twice)."""
    answers = tmp_path / ANSWERS
    old = {"tools": ["text2video"], "video_models": ["wan2.2-t2v-plus"], "advanced": False}
    answers.write_text("# Changes here will be overwritten by Copier\n" + yaml.safe_dump(old), encoding="utf-8")
    for _ in range(2):
        result = run([PYTHON, str(ROOT / "hooks" / "migrate_kinds.py"), str(answers)], cwd=tmp_path, timeout=60)
        assert result.returncode == 0, result.stderr
    text = answers.read_text(encoding="utf-8")
    assert text.startswith("# Changes here will be overwritten by Copier\n")
    assert yaml.safe_load(text) == {
        "tools": ["text2video"],
        "models": ["text2video:wan2.2-t2v-plus"],
        "advanced": False,
    }
