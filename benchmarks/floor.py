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
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
    subprocess.run([*git, "init", "-q"], cwd=directory, check=True)
    subprocess.run([*git, "add", "-A"], cwd=directory, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "minimal template"], cwd=directory, check=True)
    return directory
