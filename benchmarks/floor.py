"""The smallest Copier template (one question, one file, one commit): what `copier copy` costs before any template.

Rendering it measures Copier's own floor on this machine (interpreter and Copier start-up, a git clone, one
file), so the template's own cost is the difference. Used by run.py (section 3: render ÷ floor).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

COPIER_YML = "name:\n  type: str\n  default: demo\n_subdirectory: template\n"
README = "# {{ name }}\n"


def write_minimal_template(directory: Path) -> Path:
    """Create the template as a git repository in directory (created) and return it."""
    (directory / "template").mkdir(parents=True)
    (directory / "copier.yml").write_text(COPIER_YML, encoding="utf-8")
    (directory / "template" / "README.md.jinja").write_text(README, encoding="utf-8")
    return _commit(directory)


def _commit(directory: Path) -> Path:
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
    subprocess.run([*git, "init", "-q"], cwd=directory, check=True)
    subprocess.run([*git, "add", "-A"], cwd=directory, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "minimal template"], cwd=directory, check=True)
    return directory


def write_same_shape_template(directory: Path, rendered: Path, repository_files: int) -> Path:
    """One question, but this template's shape: a plain file for each file of a rendered plugin, and as many
    tracked files in the repository as this template's (Copier checks out the whole repository, then handles
    every rendered file on its own: a path render, a write and a `git config` call each).

    Its render is what Copier costs for a template of this size before any question or Jinja of ours.
    """
    (directory / "template").mkdir(parents=True)
    (directory / "copier.yml").write_text(COPIER_YML, encoding="utf-8")
    files = sorted(path.relative_to(rendered) for path in rendered.rglob("*") if path.is_file())
    for relative in files:
        target = directory / "template" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("x\n", encoding="utf-8")
    for index in range(max(0, repository_files - len(files) - 1)):
        filler = directory / "other" / f"{index // 100}" / f"{index}.txt"
        filler.parent.mkdir(parents=True, exist_ok=True)
        filler.write_text(f"{index}\n", encoding="utf-8")
    return _commit(directory)
