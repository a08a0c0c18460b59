"""Every test the guides cite as enforcing a rule exists, so a rename cannot leave a guide pointing at nothing.

CLAUDE2.md backs each rule with `path::test_name` citations, followed by bare `test_name`s of the same module.
Paths are this repository's (`tests/...`, `template/tests/...`) or a generated plugin's (`tests/...` of a
rendering, found under template/tests/, where a tool's own module has a conditional name).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import ROOT

GUIDES = ["CLAUDE2.md", "README.md", "README_zh.md", "template/AGENTS.md.jinja"]
CITATION = re.compile(r"`((?:template/)?tests/[\w/]+\.py)(?:::(test_\w+))?`")
BARE_TEST = re.compile(r"`(test_\w+)`")
CONDITIONAL = re.compile(r"\{%.*?%\}")


def module_source(cited: str) -> Path | None:
    """The file a cited path names: in this repository, or the template file a plugin's tests/... renders from."""
    for candidate in (ROOT / cited, ROOT / "template" / cited):
        if candidate.is_file():
            return candidate
        folder = candidate.parent
        if folder.is_dir():  # a conditional name such as {% if 'image_edit' in tools %}test_image_edit.py{% endif %}
            for path in folder.iterdir():
                if CONDITIONAL.sub("", path.name) == candidate.name:
                    return path
    return None


def citations(guide: str) -> list[tuple[int, str, str | None]]:
    """(line number, cited module, test name or None); a bare `test_x` belongs to the last cited module."""
    found: list[tuple[int, str, str | None]] = []
    module: str | None = None
    for number, line in enumerate((ROOT / guide).read_text(encoding="utf-8").splitlines(), start=1):
        spans = [(match.start(), match.group(1), match.group(2)) for match in CITATION.finditer(line)]
        spans += [(match.start(), None, match.group(1)) for match in BARE_TEST.finditer(line)]
        for _, cited, test in sorted(spans, key=lambda span: span[0]):
            if cited is not None:
                module = cited
                found.append((number, cited, test))
            elif module is not None:
                found.append((number, module, test))
    return found


@pytest.mark.parametrize("guide", GUIDES)
def test_every_cited_test_exists(guide: str) -> None:
    cited = citations(guide)
    missing = []
    for number, module, test in cited:
        source = module_source(module)
        if source is None:
            missing.append(f"{guide}:{number}: {module} does not exist")
        elif test and not re.search(rf"^def {test}\(", source.read_text(encoding="utf-8"), re.MULTILINE):
            missing.append(f"{guide}:{number}: {module} has no {test}")
    assert not missing, "\n".join(missing)


def test_the_guide_does_cite_tests() -> None:
    assert len([entry for entry in citations("CLAUDE2.md") if entry[2]]) >= 20
