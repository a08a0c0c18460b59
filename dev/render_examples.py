"""Render examples/<name>/ from examples/<name>.yml with the working tree's template.

    python dev/render_examples.py           # (re)write every example
    python dev/render_examples.py --check   # re-render into a temp dir; print the diff and exit 1 on drift
    python dev/render_examples.py qwen_text2image   # only the examples named (either mode)

The answers file's volatile keys (_commit, _src_path) are pinned so that a re-render is byte-identical.
"""

from __future__ import annotations

import argparse
import difflib
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

import copier
import yaml

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
PINNED = {"_commit": "_commit: HEAD", "_src_path": "_src_path: ../.."}
# Made by running an example's tests or scripts; never part of a rendering.
RUN_ARTIFACTS = {"__pycache__", ".pytest_cache", ".ruff_cache", ".venv", "dist", "try-output", ".env"}


def render(answers_file: Path, destination: Path) -> None:
    answers = yaml.safe_load(answers_file.read_text(encoding="utf-8"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DirtyLocalWarning while the template has uncommitted edits
        copier.run_copy(str(ROOT), destination, data=answers, defaults=True, vcs_ref="HEAD", quiet=True)
    answers_path = destination / ".copier-answers.yml"
    lines = answers_path.read_text(encoding="utf-8").splitlines()
    lines = [PINNED.get(line.split(":", 1)[0], line) for line in lines]
    answers_path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def tree(folder: Path) -> dict[str, bytes]:
    files = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_file() and not RUN_ARTIFACTS.intersection(relative.parts):
            files[relative.as_posix()] = path.read_bytes()
    return files


def diff(committed: Path, rendered: Path) -> list[str]:
    old, new = tree(committed) if committed.exists() else {}, tree(rendered)
    lines = []
    for name in sorted(old.keys() | new.keys()):
        if old.get(name) == new.get(name):
            continue
        before = old.get(name, b"").decode("utf-8", "replace").splitlines()
        after = new.get(name, b"").decode("utf-8", "replace").splitlines()
        label = committed.relative_to(ROOT) / name
        lines.extend(difflib.unified_diff(before, after, f"committed/{label}", f"rendered/{label}", lineterm=""))
        if name not in new:
            lines.append(f"only committed: {label}")
        elif name not in old:
            lines.append(f"only rendered: {label}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare instead of writing; exit 1 on drift")
    parser.add_argument("names", nargs="*", help="examples to render (default: every examples/<name>.yml)")
    args = parser.parse_args()
    known = {path.stem: path for path in sorted(EXAMPLES.glob("*.yml"))}
    unknown = sorted(set(args.names) - set(known))
    if unknown:
        parser.error(f"no examples/<name>.yml for {', '.join(unknown)}; known: {', '.join(known)}")
    drifted = False
    for answers_file in [known[name] for name in args.names] or list(known.values()):
        target = EXAMPLES / answers_file.stem
        with tempfile.TemporaryDirectory() as scratch:
            fresh = Path(scratch) / answers_file.stem
            render(answers_file, fresh)
            if args.check:
                problems = diff(target, fresh)
                if problems:
                    drifted = True
                    print(f"examples/{target.name} differs from a fresh rendering of {answers_file.name}:")
                    print("\n".join(problems))
                else:
                    print(f"examples/{target.name}: up to date")
            else:
                shutil.rmtree(target, ignore_errors=True)
                shutil.copytree(fresh, target, symlinks=True)
                print(f"rendered examples/{target.name}")
    if drifted:
        print("\nRe-render with: .venv/bin/python dev/render_examples.py, then commit examples/.")
    return 1 if drifted else 0


if __name__ == "__main__":
    sys.exit(main())
