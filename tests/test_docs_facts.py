"""What the documents say of the code, held against the code: settings key names, retried statuses, file trees.

Strategy: read the facts from the source without importing it (ast): the settings dataclasses of
template/job_client/settings.py and the retry constants of template/job_client/client.py; then find each fact
where docs/plugin.md and CLAUDE2.md state it. README.md's tree is generated (dev/docs.py --check in test_guides).
"""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

import yaml

from conftest import ROOT

JOB_CLIENT = ROOT / "template" / "job_client"
PLUGIN_DOC = ROOT / "docs" / "plugin.md"
QUESTIONS = {name for name in yaml.safe_load((ROOT / "copier.yml").read_text(encoding="utf-8")) if name[0] != "_"}
# Backticked snake_case words in docs/plugin.md that are neither a settings key nor an answer, and what they are.
OTHER_NAMES = {
    "video_submit": "a tool",
    "video_query": "a tool",
    "plugin_daemon": "a Dify container",
    "mykey.public.pem": "a key file",
    "mykey.private.pem": "a key file",
}


def settings_keys() -> set[str]:
    """Every key settings.yaml may hold, dotted (`poll.interval`), from the dataclasses of settings.py."""
    tree = ast.parse((JOB_CLIENT / "settings.py").read_text(encoding="utf-8"))
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}

    def fields(class_name: str, prefix: str) -> set[str]:
        found = set()
        for statement in classes[class_name].body:
            if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
                key = prefix + statement.target.id
                found.add(key)
                annotation = ast.unparse(statement.annotation)
                if annotation in classes:
                    found |= fields(annotation, key + ".")
        return found

    return fields("Settings", "")


def constant(name: str) -> object:
    tree = ast.parse((JOB_CLIENT / "client.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and [target.id for target in node.targets] == [name]:  # type: ignore[attr-defined]
            value = node.value
            if isinstance(value, ast.Call):  # frozenset({...})
                value = value.args[0]
            return ast.literal_eval(value)
    raise AssertionError(f"client.py has no {name}")


def test_settings_keys_the_plugin_doc_names_exist() -> None:
    keys = settings_keys()
    assert {"poll.interval", "max_wait", "request_timeout", "result.max_bytes"} <= keys  # the reading works
    named = set(re.findall(r"`([a-z][a-z0-9]*(?:[._][a-z0-9_]+)+)`", PLUGIN_DOC.read_text(encoding="utf-8")))
    unknown = sorted(name for name in named if name not in keys | QUESTIONS | set(OTHER_NAMES))
    assert unknown == [], f"docs/plugin.md names these as if they were settings keys or answers: {unknown}"


def test_the_retried_statuses_are_the_clients() -> None:
    text = " ".join(PLUGIN_DOC.read_text(encoding="utf-8").split())
    submit = re.search(r"A refused submit \(HTTP ([0-9 ,or]+)\) is sent up to ([0-9]+) times", text)
    polls = re.search(r"Status requests survive up to ([0-9]+) consecutive ([0-9/]+) answers", text)
    assert submit and polls, "docs/plugin.md's Retries bullet changed its wording: update this test with it"
    assert {int(status) for status in re.findall(r"[0-9]+", submit[1])} == constant("SUBMIT_RETRY_STATUSES")
    assert int(submit[2]) == constant("MAX_SUBMIT_ATTEMPTS")
    assert {int(status) for status in polls[2].split("/")} == constant("TRANSIENT_STATUSES")
    assert int(polls[1]) == constant("MAX_TRANSIENT_POLL_FAILURES")


def tracked(folder: str) -> list[str]:
    listed = subprocess.run(["git", "ls-files", folder], cwd=ROOT, capture_output=True, text=True, check=True)
    names = {path.removeprefix(folder + "/").split("/")[0] for path in listed.stdout.splitlines()}
    return sorted(name for name in names if name.endswith(".py") and name != "__init__.py")


def tree_of(guide: str) -> str:
    text = (ROOT / guide).read_text(encoding="utf-8")
    match = re.search(r"```text\nmy_plugin/\n(.*?)```", text, re.S)
    assert match, f"{guide} has no tree of the generated plugin"
    return match[1]


def test_the_plugin_trees_name_every_script_and_job_client_module() -> None:
    for guide in ("docs/plugin.md", "CLAUDE2.md"):
        tree = tree_of(guide)
        for folder in ("template/scripts", "template/job_client"):
            missing = [name for name in tracked(folder) if not re.search(rf"(?<![\w/]){re.escape(name)}\b", tree)]
            assert missing == [], f"{guide}'s tree omits {folder}/{missing}"


def test_the_readme_tree_is_generated_from_the_template_files() -> None:
    tree = tree_of("README.md")
    for name in tracked("template/scripts"):
        assert name in tree, name
    assert Path(ROOT / "README.md").read_text(encoding="utf-8").count("<!-- generated: tree -->") == 1
