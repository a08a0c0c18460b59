"""Write the README tables that restate data: the questions (copier.yml) and the presets (presets/*.yml).

    python dev/docs.py           # rewrite the marked tables in README.md and README_zh.md
    python dev/docs.py --check   # exit 1, naming the file, when a table is not what the data says

A table lives between `<!-- generated: NAME -->` and `<!-- end: NAME -->`; edit the data, not the table.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

import copier
import yaml

ROOT = Path(__file__).resolve().parents[1]
GUIDES = ("README.md", "README_zh.md")
HEADERS = {
    "README.md": {
        "questions": ("question", "asked", "what it decides", "default (ModelScope, text to image)"),
        "presets": ("`api_preset`", "API", "tools", "default models", "contract checked against"),
        "asked": {"always": "always", "advanced": "`advanced`", "tool": "with {}"},
    },
    "README_zh.md": {
        "questions": (
            "问题",
            "何时询问",
            "说明（取自 copier.yml 和 dev/question_details.yml）",
            "默认值（魔搭，文生图）",
        ),
        "presets": ("`api_preset`", "接口", "工具", "默认模型", "契约测试依据"),
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
    if "advanced" in when:
        return words["advanced"] + (" + " + words["tool"].format(f"`{tool.group(1)}`") if tool else "")
    return words["tool"].format(f"`{tool.group(1)}`") if tool else words["always"]


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
        models = ", ".join(f"`{spec['models'][0]['id']}`" for spec in preset["tools"].values())
        rows.append((f"`{path.stem}`", preset["title"], tools, models, preset["contract"]))
    return ["| " + " | ".join(row) + " |" for row in rows]


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
        new = rewrite(text, "questions", questions_table(guide, answers))
        new = rewrite(new, "presets", presets_table(guide))
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
