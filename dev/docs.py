"""Write the README parts that restate data: the questions (copier.yml), the presets (presets/*.yml) and, in
README.md, the tree of the generated plugin (the template's files, as git tracks them).

    python dev/docs.py           # rewrite the marked blocks in README.md, README_zh.md and presets/README.md
    python dev/docs.py --check   # exit 1, naming the file, when a table is not what the data says

A table lives between `<!-- generated: NAME -->` and `<!-- end: NAME -->`; edit the data, not the table.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import textwrap
import warnings
from pathlib import Path
from typing import Any

import copier
import yaml

ROOT = Path(__file__).resolve().parents[1]
GUIDES = ("README.md", "README_zh.md", "presets/README.md")
HEADERS = {
    "presets/README.md": {
        "presets": ("file", "API", "tools", "model families", "contract checked against"),
    },
    "README.md": {
        "questions": ("question", "asked", "what it decides", "default (ModelScope, text to image)"),
        "presets": ("`api_preset`", "API", "tools", "model families", "contract checked against"),
        "asked": {"always": "always", "advanced": "`advanced`", "tool": "with {}"},
    },
    "README_zh.md": {
        "questions": (
            "问题",
            "何时询问",
            "说明（取自 copier.yml 和 dev/question_details.yml）",
            "默认值（魔搭，文生图）",
        ),
        "presets": ("`api_preset`", "接口", "工具", "模型系列", "契约测试依据"),
        "asked": {"always": "总是", "advanced": "`advanced` 为是时", "tool": "选择 {} 时"},
    },
}


def questions() -> dict[str, dict[str, Any]]:
    config = yaml.safe_load((ROOT / "copier.yml").read_text(encoding="utf-8"))
    return {
        name: spec
        for name, spec in config.items()
        if not name.startswith("_") and isinstance(spec, dict) and spec.get("when") is not False
    }


def default_answers() -> dict[str, Any]:
    """Every answer of a `copier copy --defaults`; the advanced ones as they are when `advanced` is on."""
    found: dict[str, Any] = {}
    for data in ({"created_at": "-"}, {"created_at": "-", "advanced": True}):
        with tempfile.TemporaryDirectory() as scratch, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with copier.Worker(
                src_path=str(ROOT),
                dst_path=Path(scratch) / "plugin",
                data=data,
                defaults=True,
                vcs_ref="HEAD",
                quiet=True,
            ) as worker:
                worker.run_copy()
                found = {**dict(worker.answers.combined), **found}
    return found


def asked(spec: dict[str, Any], words: dict[str, str]) -> str:
    when = str(spec.get("when", ""))
    tool = re.search(r"'(\w+)' in tools", when)
    tools = [f"`{tool.group(1)}`"] if tool else []
    if "image_tools(" in when:  # asked with any tool kind that takes an input image (includes/tools.yml)
        kinds = yaml.safe_load((ROOT / "includes" / "tools.yml").read_text(encoding="utf-8"))
        tools = [f"`{name}`" for name, kind in kinds.items() if "image" in kind["inputs"]]
    with_tools = words["tool"].format(" / ".join(tools)) if tools else ""
    if "advanced" in when:
        return words["advanced"] + (" + " + with_tools if with_tools else "")
    return with_tools or words["always"]


def cell(value: Any) -> str:
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, list):
        return ", ".join(f"`{item}`" for item in value) or "(none)"
    if isinstance(value, dict):
        return "`{}`" if not value else f"`{yaml.safe_dump(value, default_flow_style=True).strip()}`"
    return f"`{value}`" if value not in ("", None) else "(none)"


def question_details() -> dict[str, str]:
    """The details a one-line help leaves out (dev/question_details.yml), by question."""
    return yaml.safe_load((ROOT / "dev" / "question_details.yml").read_text(encoding="utf-8"))


def questions_table(guide: str, answers: dict[str, Any]) -> list[str]:
    words = HEADERS[guide]
    rows = [words["questions"], ("---",) * 4]
    details = question_details()
    for name, spec in questions().items():
        help_text = " ".join(str(spec.get("help", "")).split())
        if name in details:  # the help is one line without a full stop: end it before the details
            help_text += ("" if help_text.endswith((".", "?")) else ".") + " " + " ".join(details[name].split())
        help_text = help_text.replace("|", "\\|")
        rows.append((f"`{name}`", asked(spec, words["asked"]), help_text, cell(answers.get(name))))
    return ["| " + " | ".join(row) + " |" for row in rows]


def presets_table(guide: str) -> list[str]:
    rows = [HEADERS[guide]["presets"], ("---",) * 5]
    for path in sorted(ROOT.glob("presets/*.yml"), key=lambda p: (p.stem == "custom", p.stem)):
        preset = yaml.safe_load(path.read_text(encoding="utf-8"))
        tools = ", ".join(f"`{tool}`" for tool in preset["tools"])
        # Each tool's model families as the preset orders them: what kinds of model the plugin can call.
        families = "; ".join(
            f"{tool}: " + ", ".join(f"`{name}`" for name in spec.get("families") or {})
            for tool, spec in preset["tools"].items()
        )
        name = f"`{path.name}`" if guide.startswith("presets/") else f"`{path.stem}`"
        rows.append((name, preset["title"], tools, families, preset["contract"]))
    return ["| " + " | ".join(row) + " |" for row in rows]


# The tree of the generated plugin in README.md: (top-level entries, what they are). scripts/ lists its files as
# the template has them; a top-level entry no row names stops the script, so the tree cannot fall behind.
TREE_ROWS: list[tuple[tuple[str, ...], str]] = [
    (("manifest.yaml", "main.py"), "identity and runner; the daemon runs `python -m main`"),
    (("provider/", "tools/"), "thin Dify glue: credentials, each tool's form (YAML) and a few lines of Python"),
    (("job_client/",), "provider-neutral client (never imports dify_plugin): submit, poll, fetch"),
    (("scripts/",), "{scripts}"),
    (("tests/",), "offline tests against a local fake API, Dify glue, the daemon's protocol"),
    ((".github/",), "workflows: CI, signed releases, the marketplace pull request, template updates"),
    (("README.md", "readme/", "PRIVACY.md", "AGENTS.md", "_assets/"), "what Dify and the marketplace show; the guide"),
    (
        ("requirements.txt", "requirements-dev.txt", "pytest.ini", "ruff.toml", ".difyignore", ".gitignore"),
        "dependencies, test and lint settings, what stays out of the package",
    ),
    ((".env.example", ".copier-answers.yml"), "remote debugging and try-run keys; the answers Copier renders from"),
]
TREE_WIDTH = 116
SETTINGS_LINE = (
    "│   └── settings.yaml               the API as data, rendered from the preset; edit it to follow an API change"
)


def template_entries() -> tuple[list[str], list[str]]:
    """(top-level entries, scripts/ entries) of the generated plugin: tracked template files, suffix dropped."""
    listed = subprocess.run(
        ["git", "ls-files", "template"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    answers_file = yaml.safe_load((ROOT / "copier.yml").read_text(encoding="utf-8"))["_answers_file"]

    def entry(parts: list[str]) -> str:
        name = parts[0].removesuffix(".jinja").replace("{{ _copier_conf.answers_file }}", answers_file)
        return name + ("/" if len(parts) > 1 else "")

    paths = [path.split("/")[1:] for path in listed]
    top = sorted({entry(parts) for parts in paths})
    scripts = sorted({entry(parts[1:]) for parts in paths if parts[0] == "scripts"})
    return top, scripts


def tree_block() -> list[str]:
    top, scripts = template_entries()
    named = {name for names, _ in TREE_ROWS for name in names}
    missing = [name for name in top if name not in named]
    if missing:
        raise SystemExit(f"dev/docs.py: no TREE_ROWS entry names {', '.join(missing)}: describe it there")
    lines = ["```text", "my_plugin/"]
    for index, (names, what) in enumerate(TREE_ROWS):
        last = index == len(TREE_ROWS) - 1
        label = ", ".join(name for name in names if name in top)
        text = textwrap.wrap(what.format(scripts=", ".join(scripts)), width=TREE_WIDTH - 36)
        if len(label) >= 32:  # a long list of names: the words go on the next lines
            lines.append(f"{'└──' if last else '├──'} {label}")
        else:
            lines.append(f"{'└──' if last else '├──'} {label:<32}{text.pop(0)}")
        lines += [f"{' ' if last else '│'}   {'':<32}{line}" for line in text]
        if names == ("job_client/",):
            lines.append(SETTINGS_LINE)
    return [*lines, "```"]


def rewrite(text: str, name: str, lines: list[str]) -> str:
    pattern = re.compile(rf"(<!-- generated: {name} -->\n).*?(<!-- end: {name} -->)", re.S)
    if not pattern.search(text):
        raise SystemExit(f"no '<!-- generated: {name} -->' ... '<!-- end: {name} -->' block")
    return pattern.sub(lambda match: match.group(1) + "\n".join(lines) + "\n" + match.group(2), text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare instead of writing; exit 1 when stale")
    args = parser.parse_args()
    answers = default_answers()
    stale = []
    for guide in GUIDES:
        path = ROOT / guide
        text = path.read_text(encoding="utf-8")
        new = rewrite(text, "presets", presets_table(guide))
        if "questions" in HEADERS[guide]:
            new = rewrite(new, "questions", questions_table(guide, answers))
        if guide == "README.md":
            new = rewrite(new, "tree", tree_block())
        if new != text:
            stale.append(guide)
            if not args.check:
                path.write_text(new, encoding="utf-8")
    if args.check and stale:
        print(f"stale tables in {', '.join(stale)}: run python dev/docs.py and commit", file=sys.stderr)
        return 1
    print("tables " + ("checked" if args.check else "written") + f": {', '.join(GUIDES)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
