"""Every name a template uses exists: Jinja renders an undefined name as nothing, so a renamed answer would leave
a silent hole in every generated file (2.0 dropped `provider_label` and the READMEs kept printing nothing)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from copier._jinja_ext import YieldExtension
from jinja2 import FileSystemLoader, meta, nodes
from jinja2.sandbox import SandboxedEnvironment

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "copier.yml").read_text(encoding="utf-8"))

# What Copier puts in every render context besides the answers (copier/_main.py `_render_context`), and what it
# adds to a migration's context (copier/_template.py `migration_tasks`: `_stage`, `_version_*`).
COPIER_NAMES = {"_copier_answers", "_copier_conf", "_folder_name", "_copier_python", "_copier_phase"}
COPIER_NAMES |= {"_copier_operation", "_stage", "_version_from", "_version_to", "_version_current"}
COPIER_NAMES |= {"_version_pep440_from", "_version_pep440_to", "_version_pep440_current"}
QUESTIONS = {name for name in CONFIG if not name.startswith("_")}


def copier_environment(root: Path) -> SandboxedEnvironment:
    """The environment Copier renders with (copier/_main.py `jinja_env`): the same extensions and envops."""
    extensions = ["jinja2_ansible_filters.AnsibleCoreFiltersExtension", YieldExtension]
    extensions += CONFIG.get("_jinja_extensions", [])
    environment = SandboxedEnvironment(loader=FileSystemLoader(root), extensions=extensions, **CONFIG["_envops"])
    environment.globals["pathjoin"] = None  # Copier's one global besides Jinja's own
    return environment


def sources(root: Path) -> list[tuple[str, str]]:
    """(where, Jinja source) for every place Copier renders: copier.yml's strings, includes/*.jinja, the template's
    *.jinja files and every templated file or folder name."""
    found: list[tuple[str, str]] = []

    def walk(value: object, where: str) -> None:
        if isinstance(value, str) and ("{{" in value or "{%" in value):
            found.append((where, value))
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(key, where)
                walk(item, f"{where}.{key}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{where}[{index}]")

    config = yaml.safe_load((root / "copier.yml").read_text(encoding="utf-8"))
    walk(config, "copier.yml")
    for path in sorted((root / "includes").glob("*.jinja")):
        found.append((path.relative_to(root).as_posix(), path.read_text(encoding="utf-8")))
    for path in sorted((root / config["_subdirectory"]).rglob("*")):
        relative = path.relative_to(root).as_posix()
        if "{" in path.name:
            found.append((f"{relative} (its name)", path.name.removesuffix(config["_templates_suffix"])))
        if path.is_file() and path.name.endswith(config["_templates_suffix"]):
            found.append((relative, path.read_text(encoding="utf-8")))
    return found


def unknown_names(root: Path) -> dict[str, set[str]]:
    """{where: names used there that are neither an answer, a computed value, a Copier name nor a Jinja global}.
    Jinja's meta.find_undeclared_variables leaves out macro arguments and loop variables, and `set` variables
    unless set inside an `if` (there it reports them): a name the same source stores to is declared."""
    environment = copier_environment(root)
    config = yaml.safe_load((root / "copier.yml").read_text(encoding="utf-8"))
    known = {name for name in config if not name.startswith("_")} | COPIER_NAMES | set(environment.globals)
    unknown: dict[str, set[str]] = {}
    for where, source in sources(root):
        tree = environment.parse(source)
        stored = {name.name for name in tree.find_all(nodes.Name) if name.ctx in ("store", "param")}
        names = meta.find_undeclared_variables(tree) - known - stored
        if names:
            unknown[where] = names
    return unknown


def test_every_name_a_template_uses_is_an_answer_a_computed_value_or_copiers() -> None:
    assert unknown_names(ROOT) == {}


def test_the_check_covers_copier_yml_includes_template_files_and_templated_names() -> None:
    places = {where for where, _ in sources(ROOT)}
    assert "copier.yml.plugin_name.default" in places
    assert "includes/rules.jinja" in places
    assert "template/README.md.jinja" in places
    assert "template/readme/README_zh_Hans.md.jinja" in places
    assert "template/tools/{% if 'text2image' in tools %}text2image.py{% endif %} (its name)" in places


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ provider_label }}'s live list", {"provider_label"}),  # the 2.0 hole
        ("{{ preset.provider.label }}", set()),
        ("{% macro m(value) %}{{ value }}{% endmacro %}{% set x = 1 %}{{ x }}{{ m(x) }}", set()),
        ("{% for tool in tools %}{{ tool }}{{ loop.index }}{% endfor %}", set()),
        ("{% macro m(a) %}{% if a %}{% set b = 1 %}{{ b }}{% endif %}{% endmacro %}", set()),
        ("{{ _copier_conf.dst_path }} {{ range(3) | list }} {{ '%Y' | strftime }}", set()),
        ("{{ typo_answer | default('') }}", {"typo_answer"}),
    ],
)
def test_an_unknown_name_is_found_and_known_ones_are_not(tmp_path: Path, source: str, expected: set[str]) -> None:
    (tmp_path / "template").mkdir()
    (tmp_path / "includes").mkdir()
    (tmp_path / "copier.yml").write_text((ROOT / "copier.yml").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "template" / "README.md.jinja").write_text(source, encoding="utf-8")
    assert unknown_names(tmp_path) == ({"template/README.md.jinja": expected} if expected else {})
