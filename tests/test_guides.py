"""Every command quoted in the guides exists and runs.

Guides: README.md, README_zh.md and CLAUDE2.md of this repository, and the AGENTS.md rendered into every plugin.

Convention (CLAUDE2.md states it for authors): **every line of a ```bash fenced block is a command** a reader
may paste, in the order given. Other fences (text, yaml, ini, json...) and inline code are not commands. Blank
lines and `#` comment lines are skipped, a trailing `# comment` is dropped, `&&` separates two commands, and
shell plumbing (pipes, redirections, `;`, `||`) is not allowed, so that each command maps to one invocation.

Each guide is walked top to bottom and every command is mapped by `plan()` to a real invocation:

- repository commands (`bash dev/...`, `dev/render_examples.py`) run in a snapshot of this working tree:
  its tracked and untracked files in a fresh git repository, as CI's clone sees them, with a `.venv` that
  forwards to this interpreter. Nothing in the working tree is rewritten. `bash dev/test.sh` runs with
  `--co -q` (collect only): the whole suite includes this test, so running it would recurse;
- `copier copy SRC DST` renders from a second, pristine snapshot (which no command modifies, so `copier update`
  always finds the commit it was rendered from) into a scratch folder, with `--defaults` as there is no
  terminal to answer in; `cd DST` makes DST the plugin the next plugin commands run in;
- plugin commands (`-m pytest`, `scripts/*.py`, `copier update`, `git init/add/commit`, `cp`) run in that
  plugin, or, before the guide created one, in a default rendering committed to git; `.venv/bin/python` becomes
  this interpreter (sys.executable), which has the pinned packages;
- commands that cannot run here are listed in NOT_RUNNABLE with the reason, and what can be verified about them
  without running them is verified.

A command that matches none of these fails the test: add a rule here, or fix the guide. Results of read-only
commands are reused when the same command meets identical files again (README_zh.md repeats README.md), across
the xdist workers of one run: the English guides' walks (tests/test_guides_english.py) run beside the Chinese
ones, and a walk that reaches a command another is running waits for its result.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import copier
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.version import Version

from conftest import ROOT, copy_working_tree

REPO_GUIDES = ["README.md", "README_zh.md", "CLAUDE2.md"]
PLUGIN_GUIDE = "AGENTS.md"
GUIDES = [*REPO_GUIDES, PLUGIN_GUIDE]
PYTHONS = {".venv/bin/python", "python", "python3", "python3.12"}
SHELL_PLUMBING = {"|", "||", ";", "&", ">", ">>", "<", "2>", "2>&1", "&>"}
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "guides",
    "GIT_AUTHOR_EMAIL": "guides@example.com",
    "GIT_COMMITTER_NAME": "guides",
    "GIT_COMMITTER_EMAIL": "guides@example.com",
}
# Made by running a plugin or the main job; ignored when deciding whether two trees are the same.
RUN_ARTIFACTS = {".git", ".venv", ".tools", "dist", "try-output", "__pycache__", ".pytest_cache", ".ruff_cache", ".env"}
SLOW_TIMEOUT = 1800  # seconds; dev/main.sh renders, tests, checks and packages every example


# ── extracting commands ────────────────────────────────────────────────────────
@dataclass(frozen=True)
class Command:
    guide: str
    line: int
    argv: tuple[str, ...]

    @property
    def text(self) -> str:
        return shlex.join(self.argv)

    def __str__(self) -> str:
        return f"{self.guide}:{self.line}: {self.text}"


def extract_commands(guide: str, markdown: str) -> list[Command]:
    """The commands of a guide: every line of its ```bash blocks, split on `&&`, comments dropped."""
    commands: list[Command] = []
    fence: str | None = None
    for number, raw in enumerate(markdown.splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("```"):
            fence = (stripped[3:].strip().split() or [""])[0] if fence is None else None
            continue
        if fence != "bash" or not stripped or stripped.startswith("#"):
            continue
        tokens = shlex.split(stripped, comments=True)
        current: list[str] = []
        for token in [*tokens, "&&"]:
            if token != "&&":
                current.append(token)
            elif current:
                commands.append(Command(guide, number, tuple(current)))
                current = []
    return commands


# ── mapping commands to invocations ───────────────────────────────────────────
@dataclass
class Walk:
    """The state of one guide's walk: its repository snapshot, scratch folder and current plugin."""

    repo: Path  # where repository commands run (they may rewrite it)
    template: Path  # what copier renders from: never modified
    workspace: Path
    plugin: Path | None = None

    def current_plugin(self) -> Path:
        if self.plugin is None:
            self.plugin = default_plugin_in(self.workspace / "default_plugin", self.template)
        return self.plugin


@dataclass(frozen=True)
class Run:
    argv: list[str]
    where: str  # "repo", "plugin" or "workspace"
    how: str = ""
    makes_plugin: str | None = None
    reusable: bool = False  # read-only: the result for identical files can be reused


@dataclass(frozen=True)
class ChangeDir:
    target: str


@dataclass(frozen=True)
class NotRunnable:
    reason: str
    check: Callable[[Walk], str | None] | None = None  # returns a problem, or None when all is well


def check_copier_installed(walk: Walk) -> str | None:
    wanted = yaml.safe_load((walk.repo / "copier.yml").read_text(encoding="utf-8"))["_min_copier_version"]
    if Version(copier.__version__) < Version(str(wanted)):
        return f"Copier {copier.__version__} is older than _min_copier_version {wanted}"
    return None


def check_requirements_satisfied(walk: Walk) -> str | None:
    problems = []
    for name in ("requirements.txt", "requirements-dev.txt"):
        path = walk.current_plugin() / name
        if not path.is_file():
            problems.append(f"{name} is missing")
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            requirement = Requirement(line)
            try:
                installed = metadata.version(requirement.name)
            except metadata.PackageNotFoundError:
                problems.append(f"{name}: {requirement} is not installed here")
                continue
            if not requirement.specifier.contains(installed, prereleases=True):
                problems.append(f"{name}: {requirement} does not admit the tested version {installed}")
    return "; ".join(problems) or None


def check_python_312(walk: Walk) -> str | None:
    if sys.version_info[:2] != (3, 12):
        return f"the plugin's commands are tested with Python {sys.version.split()[0]}, not 3.12"
    return None


def check_remote_debug_files(walk: Walk) -> str | None:
    plugin = walk.current_plugin()
    if not (plugin / "main.py").is_file():
        return "main.py is missing"
    example = plugin / ".env.example"
    if not example.is_file() or "INSTALL_METHOD=remote" not in example.read_text(encoding="utf-8"):
        return ".env.example is missing or does not set INSTALL_METHOD=remote"
    return None


# Commands that cannot run here, each with the reason; matched against the command's text (shlex.join).
NOT_RUNNABLE: list[tuple[str, str, Callable[[Walk], str | None] | None]] = [
    (
        r"(pipx|pip|python3? -m pip) install copier",
        (
            "installs Copier from PyPI into the reader's environment; verified instead: Copier is importable here "
            "at the version copier.yml requires"
        ),
        check_copier_installed,
    ),
    (
        r"python3\.12 -m venv \.venv",
        (
            "creates the plugin's virtualenv; the plugin's commands run with this interpreter instead; verified "
            "instead: it is Python 3.12"
        ),
        check_python_312,
    ),
    (
        r"\.venv/bin/pip install -r requirements\.txt -r requirements-dev\.txt",
        (
            "downloads the plugin's dependencies from the package index; verified instead: this interpreter "
            "satisfies every line of both files"
        ),
        check_requirements_satisfied,
    ),
    (
        r"(\.venv/bin/)?python3? -m main",
        (
            "remote debugging: connects to the debug port of a running Dify with the key from its Plugins > Debug "
            "page; verified instead: main.py exists and .env.example sets INSTALL_METHOD=remote"
        ),
        check_remote_debug_files,
    ),
    (r"docker compose .*", "restarts a self-hosted Dify deployment; there is none here", None),
    (r"git (tag|push) .*", "publishes a release tag of this template to its remote repository", None),
]


def plan(command: Command) -> Run | ChangeDir | NotRunnable | None:
    """How the test runs a command; None when no rule knows it."""
    argv = list(command.argv)
    if SHELL_PLUMBING.intersection(argv):
        return None
    for pattern, reason, check in NOT_RUNNABLE:
        if re.fullmatch(pattern, command.text):
            return NotRunnable(reason, check)
    head, *rest = argv
    python = sys.executable
    if head == "cd" and len(rest) == 1:
        return ChangeDir(rest[0])
    if head == "bash" and rest[:1] == ["dev/test.sh"]:
        return Run(
            ["bash", "dev/test.sh", "--co", "-q", *rest[1:]],
            "repo",
            "collect only: the suite includes this test, so a full run would recurse",
            reusable=True,
        )
    if head == "bash" and rest == ["dev/main.sh"]:
        return Run(["bash", "dev/main.sh"], "repo", reusable=True)
    if head in PYTHONS and rest[:1] in (["dev/render_examples.py"], ["dev/docs.py"]):
        return Run([python, *rest], "repo", reusable="--check" in rest)
    if head in PYTHONS and rest[:2] == ["-m", "pytest"]:
        return Run([python, *rest], "plugin", reusable=True)
    if head in PYTHONS and rest and re.fullmatch(r"scripts/[a-z_]+\.py", rest[0]):
        return Run([python, *rest], "plugin", reusable=True)
    if head == "cp" and rest == [".env.example", ".env"]:
        return Run(argv, "plugin")
    if head == "copier" and rest[:1] == ["copy"] and len(rest) >= 3:
        *options, _source, destination = rest[1:]
        defaults = [] if "--defaults" in options else ["--defaults"]
        return Run(
            [python, "-m", "copier", "copy", *defaults, *options, "{template}", destination],
            "workspace",
            "from a pristine snapshot of this working tree in place of the repository URL (no network here); "
            "--defaults as there is no terminal to answer in",
            makes_plugin=destination,
        )
    if head == "copier" and rest[:1] == ["update"]:
        defaults = [] if "--defaults" in rest else ["--defaults"]
        return Run([python, "-m", "copier", "update", *defaults, *rest[1:]], "plugin")
    if head == "git" and rest[:1] in (["init"], ["add"], ["commit"], ["status"], ["diff"]):
        return Run(argv, "plugin")
    return None


# ── running ────────────────────────────────────────────────────────────────────
def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", "PYTEST_CURRENT_TEST")}
    env.update(GIT_IDENTITY)
    if sys.version_info[:2] == (3, 12):
        env.setdefault("PYTHON312", sys.executable)
    return env


def git(args: list[str], cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=environment())


def snapshot_repository(destination: Path) -> Path:
    """This working tree's tracked and untracked (not ignored) files, committed to a fresh git repository."""
    copy_working_tree(destination)
    git(["init", "-q"], destination)
    git(["add", "-A"], destination)
    git(["commit", "-q", "-m", "snapshot"], destination)
    forward_venv(destination)
    return destination


def forward_venv(repo: Path) -> None:
    """A .venv whose python forwards to this interpreter, stamped so that dev/setup.sh installs nothing."""
    bin_dir = repo / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    real_bin = Path(sys.executable).parent
    for tool in real_bin.iterdir():
        if tool.is_file() and not tool.name.startswith(("python", "activate", "Activate")):
            (bin_dir / tool.name).symlink_to(tool)
    for name in ("python", "python3", "python3.12"):
        wrapper = bin_dir / name
        wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n', encoding="utf-8")
        wrapper.chmod(0o755)
    stamp = hashlib.sha256((repo / "requirements-dev.txt").read_bytes()).hexdigest()
    (repo / ".venv" / ".requirements.sha256").write_text(stamp + "\n", encoding="utf-8")


def default_plugin_in(destination: Path, template: Path) -> Path:
    """A plugin with every default answer, rendered from the snapshot and committed, so `copier update` works."""
    copier.run_copy(str(template), destination, defaults=True, quiet=True)
    git(["init", "-q"], destination)
    git(["add", "-A"], destination)
    git(["commit", "-q", "-m", "generated"], destination)
    return destination


def tree_digest(folder: Path) -> str:
    """Content hash of a folder, without run artefacts and what differs between two snapshots of one tree.

    Left out: created_at (the render time) and _commit / _src_path (each guide renders from its own snapshot).
    """
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if not path.is_file() or RUN_ARTIFACTS.intersection(relative.parts):
            continue
        content = path.read_bytes()
        if path.name in ("manifest.yaml", ".copier-answers.yml"):
            content = re.sub(rb"(?m)^(created_at|_commit|_src_path):.*$", b"", content)
        digest.update(relative.as_posix().encode() + b"\0" + hashlib.sha256(content).digest())
    return digest.hexdigest()


@dataclass
class Outcome:
    command: Command
    summary: str
    problem: str | None = None


class SharedResults:
    """Results of read-only commands, keyed by (where, argv, tree digest), shared by every xdist worker of a run.

    A worker about to run a command takes the key's lock first: a second walk that reaches the same command on
    identical files waits for the first one's result instead of running it again (the main job runs once).
    """

    def __init__(self) -> None:
        self.folder: Path | None = None

    def at(self, base_temp: Path) -> None:
        run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID")  # the same in every worker of one run
        self.folder = base_temp.parent / f"guide-results-{run_id}" if run_id else base_temp / "guide-results"
        self.folder.mkdir(parents=True, exist_ok=True)

    @contextlib.contextmanager
    def claimed(self, key: tuple[str, tuple[str, ...], str]) -> Iterator[tuple[Path, tuple[int, str] | None]]:
        """Hold the key's lock; yields where its result goes and the result if a walk already stored one."""
        assert self.folder is not None, "SharedResults.at() was not called"
        name = hashlib.sha256(json.dumps(key).encode()).hexdigest()
        result = self.folder / f"{name}.json"
        with (self.folder / f"{name}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                stored = json.loads(result.read_text(encoding="utf-8")) if result.is_file() else None
                yield result, (stored[0], stored[1]) if stored else None
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


REUSED = SharedResults()


def run_step(argv: list[str], cwd: Path, shown: str, where: str) -> tuple[int, str, str]:
    started = time.monotonic()
    try:
        completed = subprocess.run(
            argv, check=False, cwd=cwd, capture_output=True, text=True, timeout=SLOW_TIMEOUT, env=environment()
        )
        status, output = completed.returncode, completed.stdout + completed.stderr
    except subprocess.TimeoutExpired as error:
        status, output = -1, f"timed out after {SLOW_TIMEOUT} s\n{error.stdout or ''}{error.stderr or ''}"
    return status, output, f"ran `{shown}` in {where} ({time.monotonic() - started:.1f} s)"


def execute(command: Command, step: Run, walk: Walk) -> Outcome:
    if step.where == "repo":
        cwd = walk.repo
    elif step.where == "workspace":
        cwd = walk.workspace
    else:
        cwd = walk.current_plugin()
    argv = [walk.template.as_posix() if arg == "{template}" else arg for arg in step.argv]
    key = (step.where, tuple(argv), tree_digest(cwd)) if step.reusable else None
    shown = shlex.join(arg.replace(sys.executable, "python") for arg in argv)
    where = {"repo": "the repository snapshot", "workspace": "the scratch folder"}.get(step.where, cwd.name)
    with REUSED.claimed(key) if key is not None else contextlib.nullcontext((None, None)) as (stored_at, stored):
        if stored is not None:
            status, output = stored
            summary = f"reused the result of `{shown}` on identical files in {where}"
        else:
            status, output, summary = run_step(argv, cwd, shown, where)
            if stored_at is not None and status == 0:
                stored_at.write_text(json.dumps([status, output]), encoding="utf-8")
    if step.how:
        summary += f"; {step.how}"
    if status != 0:
        tail = "\n".join(output.splitlines()[-40:])
        return Outcome(command, summary, f"exit status {status}:\n{tail}")
    if step.makes_plugin is not None:
        created = walk.workspace / step.makes_plugin
        if not (created / "manifest.yaml").is_file():
            return Outcome(command, summary, f"no plugin was rendered into {step.makes_plugin}/")
    return Outcome(command, summary)


def walk_guide(commands: list[Command], walk: Walk) -> list[Outcome]:
    outcomes = []
    for command in commands:
        step = plan(command)
        if step is None:
            outcomes.append(Outcome(command, "unknown", "no rule in tests/test_guides.py knows this command"))
        elif isinstance(step, NotRunnable):
            problem = step.check(walk) if step.check else None
            outcomes.append(Outcome(command, f"not runnable here: {step.reason}", problem))
        elif isinstance(step, ChangeDir):
            target = walk.workspace / step.target
            if (target / "manifest.yaml").is_file():
                walk.plugin = target
                outcomes.append(Outcome(command, f"the next plugin commands run in {step.target}/"))
            else:
                outcomes.append(Outcome(command, "cd", f"{step.target}/ is not a plugin the guide created"))
        else:
            outcomes.append(execute(command, step, walk))
    return outcomes


def report(outcomes: list[Outcome]) -> str:
    lines = []
    for outcome in outcomes:
        mark = "FAIL" if outcome.problem else "ok"
        lines.append(f"[{mark}] {outcome.command}\n       {outcome.summary}")
        if outcome.problem:
            lines.append("       " + outcome.problem.replace("\n", "\n       "))
    return "\n".join(lines)


# ── fixtures ───────────────────────────────────────────────────────────────────
def guide_text(guide: str, plugin: Path) -> str:
    path = plugin / guide if guide == PLUGIN_GUIDE else ROOT / guide
    assert path.is_file(), f"{path} is missing"
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def rendered_plugin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A default rendering of the working tree (read only), for the AGENTS.md text."""
    destination = tmp_path_factory.mktemp("guides") / "plugin"
    copier.run_copy(str(ROOT), destination, defaults=True, vcs_ref="HEAD", quiet=True)
    return destination


# ── tests ──────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("guide", GUIDES)
def test_every_quoted_command_has_a_rule(guide: str, rendered_plugin: Path) -> None:
    commands = extract_commands(guide, guide_text(guide, rendered_plugin))
    assert commands, f"{guide} quotes no command in a ```bash block"
    unknown = [str(command) for command in commands if plan(command) is None]
    assert not unknown, "no rule in tests/test_guides.py knows these commands:\n" + "\n".join(unknown)


def walk_and_check(guide: str, tmp_path: Path, base_temp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Walk one guide's commands in fresh snapshots; fail with the report of every command that failed."""
    REUSED.at(base_temp)
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    walk = Walk(snapshot_repository(tmp_path / "repo"), snapshot_repository(tmp_path / "template"), workspace)
    if guide == PLUGIN_GUIDE:  # AGENTS.md speaks from inside the plugin that contains it
        walk.plugin = default_plugin_in(workspace / "plugin", walk.template)
    commands = extract_commands(guide, guide_text(guide, walk.plugin or ROOT))
    outcomes = walk_guide(commands, walk)
    text = report(outcomes)
    with capsys.disabled():
        print(f"\n{guide}: {len(outcomes)} command(s)\n{text}")
    failed = [outcome for outcome in outcomes if outcome.problem]
    assert not failed, f"{len(failed)} command(s) of {guide} failed:\n{report(failed)}"


# README.md and AGENTS.md are walked in tests/test_guides_english.py: a module of its own runs on a worker of its own.
@pytest.mark.slow
@pytest.mark.parametrize("guide", [guide for guide in GUIDES if guide not in ("README.md", PLUGIN_GUIDE)])
def test_every_quoted_command_runs(
    guide: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    walk_and_check(guide, tmp_path, tmp_path_factory.getbasetemp(), capsys)


def test_readme_setup_is_exactly_two_commands() -> None:
    for guide, heading in (("README.md", "## Set up this repository"), ("README_zh.md", "## 搭建本仓库")):
        text = (ROOT / guide).read_text(encoding="utf-8")
        assert heading in text, f"{guide} has no '{heading}' section"
        section = text.split(heading, 1)[1].split("\n## ", 1)[0]
        commands = [command.text for command in extract_commands(guide, section)]
        assert commands == ["bash dev/main.sh", "bash dev/test.sh"], f"{guide} '{heading}' quotes {commands}"


def test_readme_tables_are_what_the_data_says() -> None:
    # The question and preset tables are generated (dev/docs.py); this fails when one was edited by hand
    # or the data moved without re-generating them.
    result = subprocess.run([sys.executable, "dev/docs.py", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


REPOSITORY_URL = re.compile(r"^(gh:|gl:|https://|git@|git\+)")


@pytest.mark.parametrize("guide", REPO_GUIDES)
def test_guides_copy_from_a_repository_url(guide: str) -> None:
    # From a local path the plugin's update workflow can never follow the template (it reads _src_path).
    commands = [
        command
        for command in extract_commands(guide, guide_text(guide, ROOT))
        if command.argv[:2] == ("copier", "copy")
    ]
    assert commands, f"{guide} quotes no copier copy"
    sources = [command.argv[-2] for command in commands]
    assert [source for source in sources if not REPOSITORY_URL.match(source)] == []
