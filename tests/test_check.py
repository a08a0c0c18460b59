"""scripts/check.py: one failing fixture per rule (exact problem line, exit 1), and the default rendering passes.

Rules that need no SDK run in-process with --skip-sdk (importing dify_plugin would gevent-patch pytest's own
process); the SDK stage (models, ignored keys, start-up) runs in a few subprocesses, as a developer runs it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import PYTHON, ROOT, load_script, write_tree

Mutation = Callable[[Path], None]


check = load_script("check")
package = load_script("package")
difypkg = sys.modules["difypkg"]


REAL_IDENTITY = {"author": "acme-labs", "repo": "https://gitlab.com/acme/images/plugin", "contact": "dev@acme.org"}


@pytest.fixture
def plugin(default_plugin: Path, tmp_path: Path) -> Path:
    """A writable copy of the default rendering with a real identity, so no placeholder is warned of."""
    copy = shutil.copytree(default_plugin, tmp_path / "plugin", symlinks=True)
    edit_yaml(copy / "manifest.yaml", lambda m: m.update(REAL_IDENTITY))
    return copy


def run_static_check(target: Path, capsys: pytest.CaptureFixture[str], *options: str) -> tuple[int, list[str]]:
    """check.py --skip-sdk in this process: (exit status, output lines)."""
    status = check.main([str(target), "--skip-sdk", *options])
    return status, capsys.readouterr().out.splitlines()


def edit_yaml(path: Path, edit: Callable[[dict[str, Any]], Any]) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def in_manifest(edit: Callable[[dict[str, Any]], Any]) -> Mutation:
    return lambda plugin: edit_yaml(plugin / "manifest.yaml", edit)


def in_yaml(relative_path: str, edit: Callable[[dict[str, Any]], Any]) -> Mutation:
    return lambda plugin: edit_yaml(plugin / relative_path, edit)


def write(relative_path: str, content: str | bytes) -> Mutation:
    return lambda plugin: write_tree(plugin, {relative_path: content})


def remove(relative_path: str) -> Mutation:
    return lambda plugin: (plugin / relative_path).unlink()


def packed(relative_path: str, content: str | bytes) -> Mutation:
    """Write a file and an ignore file that lets it into the package."""

    def mutate(plugin: Path) -> None:
        write(".difyignore", "tests/\nscripts/\n")(plugin)
        write(relative_path, content)(plugin)

    return mutate


def requirements(*lines: str) -> Mutation:
    return write("requirements.txt", "\n".join(lines) + "\n")


# Built at run time so that this repository never contains a secret-looking literal itself.
FAKE_OPENAI_KEY = "sk-" + "proj-" + "Ab3dEf5hIj7lMn9pQr1tUv3x"
FAKE_GITHUB_TOKEN = "ghp" + "_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
FAKE_AWS_KEY_ID = "AKIA" + "Q3EGRN7YZ2XK5WTB"
FAKE_PEM_HEADER = "-----BEGIN " + "RSA PRIVATE KEY-----"
FAKE_RANDOM_TOKEN = "Zq8xK2mP9vL4nR7t" + "Y1wB6cD3"
REQUIREMENTS_OK = "dify_plugin>=0.10.2,<0.11"
TEMPLATE_ICON = "<svg><!-- DIFY_MARKETPLACE_TEMPLATE_ICON_DO_NOT_USE --></svg>\n"
VERSION_RULE = r"^\d{1,4}(\.\d{1,4}){2}(-\w{1,16})?$"
TAG_LIST = (
    "search, image, videos, weather, finance, design, travel, social, news, medical, productivity, education, "
    "business, entertainment, utilities, agent, rag, other, trigger"
)

RULE_CASES = [
    # manifest.yaml: daemon rules
    pytest.param(
        in_manifest(lambda m: m.update(version="1.0")),
        "ERROR manifest.yaml: version: use x.y.z, e.g. 0.1.0 (daemon package rule)",
        id="version",
    ),
    pytest.param(
        in_manifest(lambda m: m.update(type="app")),
        "ERROR manifest.yaml: type: must be plugin (daemon package rule)",
        id="type",
    ),
    pytest.param(
        in_manifest(lambda m: m.update(author="Some_One")),
        "ERROR manifest.yaml: author: use a-z 0-9 _ - only, 1-64 chars (daemon install rule)",
        id="author-pattern",
    ),
    pytest.param(
        in_manifest(lambda m: m.update(name="QwenImage")),
        "ERROR manifest.yaml: name: use a-z 0-9 _ - only, 1-128 chars (daemon install rule)",
        id="name-pattern",
    ),
    pytest.param(
        in_manifest(lambda m: m["description"].update(en_US="x" * 1024)),
        "ERROR manifest.yaml: description.en_US: must be 1-1023 characters (daemon package rule)",
        id="description-length",
    ),
    pytest.param(
        in_manifest(lambda m: m.update(icon="missing.svg")),
        "ERROR manifest.yaml: icon: _assets/missing.svg not found (daemon package rule)",
        id="icon-exists",
    ),
    pytest.param(
        in_manifest(lambda m: m["resource"].update(memory=0)),
        "ERROR manifest.yaml: resource.memory: must be a positive number of bytes (daemon package rule)",
        id="memory",
    ),
    pytest.param(
        in_manifest(lambda m: m["meta"].update(arch=["amd64", "x86"])),
        "ERROR manifest.yaml: meta.arch: must be a list of amd64 and/or arm64 (daemon package rule)",
        id="arch",
    ),
    pytest.param(
        in_manifest(lambda m: m["meta"]["runner"].update(language="go")),
        "ERROR manifest.yaml: meta.runner.language: must be python (daemon package rule)",
        id="runner-language",
    ),
    pytest.param(
        in_manifest(lambda m: m["meta"]["runner"].update(entrypoint="server")),
        "ERROR manifest.yaml: meta.runner.entrypoint: server.py not found (the daemon runs `python -m server`) "
        "(daemon runtime rule)",
        id="runner-entrypoint",
    ),
    pytest.param(
        in_manifest(lambda m: m["meta"]["runner"].pop("version")),
        "ERROR manifest.yaml: meta.runner.version: required (marketplace rule)",
        id="runner-version",
    ),
    pytest.param(
        in_manifest(lambda m: m["meta"].update(version="1")),
        f"ERROR manifest.yaml: meta.version: must match {VERSION_RULE} (daemon package rule)",
        id="meta-version",
    ),
    pytest.param(
        in_manifest(lambda m: m.update(tags=["images"])),
        f"ERROR manifest.yaml: tags[0]: 'images' is not a Dify plugin tag (use one of: {TAG_LIST}) "
        "(daemon package rule)",
        id="tags",
    ),
    pytest.param(
        in_manifest(lambda m: m.update(created_at="yesterday")),
        "ERROR manifest.yaml: created_at: must be an RFC 3339 timestamp such as 2025-01-01T00:00:00Z "
        "(daemon package rule)",
        id="created-at",
    ),
    pytest.param(
        in_manifest(lambda m: m.pop("created_at")),
        "ERROR manifest.yaml: created_at: required (daemon package rule)",
        id="created-at-required",
    ),
    pytest.param(
        in_manifest(lambda m: m.update(repo="github.com/me/plugin")),
        "ERROR manifest.yaml: repo: must be a URL (daemon package rule)",
        id="repo-url",
    ),
    pytest.param(
        in_manifest(lambda m: m.update(plugins={"tools": ["provider/missing.yaml"]})),
        "ERROR manifest.yaml: plugins.tools[0]: provider/missing.yaml not found (daemon package rule)",
        id="provider-file-exists",
    ),
    pytest.param(
        write(".difyignore", "tests/\nscripts/\nprovider/\n"),
        "ERROR manifest.yaml: plugins.tools[0]: provider/modelscope.yaml is excluded from the package by "
        ".difyignore line 3: provider/ (daemon package rule)",
        id="provider-file-packed",
    ),
    pytest.param(
        in_manifest(lambda m: m.update(plugins={})),
        "ERROR manifest.yaml: plugins: required (marketplace rule)",
        id="plugins-required",
    ),
    # manifest.yaml: marketplace rules
    pytest.param(
        in_manifest(lambda m: m.update(author="dify-fan")),
        'ERROR manifest.yaml: author: "dify"/"langgenius" are reserved (marketplace rule)',
        id="author-dify",
    ),
    pytest.param(
        in_manifest(lambda m: m["label"].update(en_US="")),
        "ERROR manifest.yaml: label.en_US: required (marketplace rule)",
        id="label-required",
    ),
    pytest.param(
        in_manifest(lambda m: m.pop("contact")),
        "ERROR manifest.yaml: contact: required (marketplace rule)",
        id="contact-required",
    ),
    pytest.param(
        in_manifest(lambda m: m.update(contact="nobody")),
        "ERROR manifest.yaml: contact: not an e-mail address (marketplace rule)",
        id="contact-email",
    ),
    pytest.param(
        in_manifest(lambda m: m.pop("repo")),
        "ERROR manifest.yaml: repo: required (marketplace rule)",
        id="repo-required",
    ),
    pytest.param(
        in_manifest(lambda m: m.update(repo="https://example.com/plugin")),
        "ERROR manifest.yaml: repo: use https://<host>/<owner>/<repo> (marketplace rule)",
        id="repo-shape",
    ),
    pytest.param(
        in_manifest(lambda m: m.update(repo="https://github.com/me/plugin.git")),
        "ERROR manifest.yaml: repo: drop the .git suffix (project rule)",
        id="repo-git-suffix",
    ),
    pytest.param(
        in_manifest(lambda m: m.pop("privacy")),
        "ERROR manifest.yaml: privacy: required (marketplace rule)",
        id="privacy-required",
    ),
    # provider and tool YAML
    pytest.param(
        in_yaml("provider/modelscope.yaml", lambda p: p["identity"].update(icon="nope.svg")),
        "ERROR provider/modelscope.yaml: identity.icon: _assets/nope.svg not found (daemon package rule)",
        id="provider-icon",
    ),
    pytest.param(
        in_yaml("provider/modelscope.yaml", lambda p: p.update(tools=["tools/missing.yaml"])),
        "ERROR provider/modelscope.yaml: tools[0]: tools/missing.yaml not found (daemon package rule)",
        id="tool-file-exists",
    ),
    pytest.param(
        in_yaml("tools/text2image.yaml", lambda t: t["identity"].update(name="text2.image")),
        "ERROR tools/text2image.yaml: identity.name: must match ^[a-zA-Z0-9_-]+$ (daemon declaration rule)",
        id="tool-name",
    ),
    pytest.param(
        in_yaml("tools/text2image.yaml", lambda t: t["extra"]["python"].update(source="tools/nope.py")),
        "ERROR tools/text2image.yaml: extra.python.source: tools/nope.py not found (SDK start-up)",
        id="tool-source",
    ),
    pytest.param(
        in_yaml("tools/text2image.yaml", lambda t: t["extra"]["python"].update(source="tools/deliver.py")),
        "ERROR tools/text2image.yaml: model: dynamic-select needs _fetch_parameter_options in tools/deliver.py "
        "(project rule)",
        id="dynamic-select-options",
    ),
    pytest.param(
        write("tools/text2image.yaml", "identity: [unclosed\n"),
        "ERROR tools/text2image.yaml: YAML syntax error at line 2, column 1: expected ',' or ']', but got "
        "'<stream end>' (while parsing a flow sequence) (daemon package rule)",
        id="yaml-syntax",
    ),
    # PRIVACY.md
    pytest.param(
        remove("PRIVACY.md"),
        "ERROR PRIVACY.md: missing from the package (not found) (marketplace rule)",
        id="privacy-missing",
    ),
    pytest.param(
        write("PRIVACY.md", "\n  \n"),
        "ERROR PRIVACY.md: must not be empty (marketplace rule)",
        id="privacy-empty",
    ),
    pytest.param(
        write("PRIVACY.md", "!!! Please fill in the privacy policy of the plugin.\n"),
        'ERROR PRIVACY.md: still the "Please fill in the privacy policy" placeholder (marketplace rule)',
        id="privacy-placeholder",
    ),
    # README.md
    pytest.param(
        remove("README.md"),
        "ERROR README.md: missing from the package (not found) (marketplace rule)",
        id="readme-missing",
    ),
    pytest.param(
        write("README.md", "# Demo\n\nSetup, usage and credentials: see https://example.com/docs.\n"),
        "ERROR README.md: must contain the source repository URL (https://<host>/<owner>/<repo>) (marketplace rule)",
        id="readme-repo-url",
    ),
    pytest.param(
        write("README.md", "# Demo\n\nhttps://github.com/me/demo\n\n```\n示例\n```\n\n中文说明\n"),
        "ERROR README.md:9: English only (CJK goes in _zh): 1 line(s) outside code blocks; "
        "translations go in readme/README_<locale>.md (marketplace rule)",
        id="readme-cjk",
    ),
    # requirements.txt
    pytest.param(
        requirements(REQUIREMENTS_OK, "numpy"),
        "ERROR requirements.txt:2: numpy: no version constraint (e.g. numpy>=1.2,<2) (marketplace rule)",
        id="requirement-pinned",
    ),
    pytest.param(
        requirements(REQUIREMENTS_OK, "requests>=2.32"),
        "ERROR requirements.txt:2: requests>=2.32: no upper bound (add <NEXT_MAJOR; the marketplace only warns) "
        "(project rule)",
        id="requirement-bounded",
    ),
    pytest.param(
        requirements(REQUIREMENTS_OK, "git+https://github.com/me/lib.git@v1"),
        "ERROR requirements.txt:2: git+https://github.com/me/lib.git@v1: VCS or URL requirement; require a "
        "released version (marketplace rule)",
        id="requirement-git",
    ),
    pytest.param(
        requirements(REQUIREMENTS_OK, "lib @ https://example.com/lib-1.0-py3-none-any.whl"),
        "ERROR requirements.txt:2: lib @ https://example.com/lib-1.0-py3-none-any.whl: VCS or URL requirement; "
        "require a released version (marketplace rule)",
        id="requirement-url",
    ),
    pytest.param(
        requirements("dify_plugin>=0.8.0,<0.11"),
        "ERROR requirements.txt:1: dify_plugin<0.11,>=0.8.0: lower bound must be >= 0.9.0 (marketplace rule)",
        id="sdk-lower-bound",
    ),
    pytest.param(
        requirements("requests>=2.32,<3"),
        "ERROR requirements.txt: dify_plugin is not required; the plugin cannot start without it (daemon runtime rule)",
        id="sdk-required",
    ),
    pytest.param(
        remove("requirements.txt"),
        "ERROR requirements.txt: missing (not found); the daemon installs dependencies from it (daemon runtime rule)",
        id="requirements-missing",
    ),
    # icon
    pytest.param(
        write("_assets/icon.svg", TEMPLATE_ICON),
        "ERROR _assets/icon.svg: is Dify's template icon (DIFY_MARKETPLACE_TEMPLATE_ICON_DO_NOT_USE); use your own "
        "icon (marketplace rule)",
        id="template-icon",
    ),
    # banned files among what would be packed
    pytest.param(
        packed(".env", "API_KEY=1\n"),
        "ERROR .env: must not be in the package; exclude it in .difyignore (marketplace rule)",
        id="banned-env",
    ),
    pytest.param(
        packed(".env.production", "API_KEY=1\n"),
        "ERROR .env.production: must not be in the package; exclude it in .difyignore (marketplace rule)",
        id="banned-env-variant",
    ),
    pytest.param(
        packed(".venv/lib/site.py", ""),
        "ERROR .venv/: must not be in the package (1 file(s)); exclude it in .difyignore (marketplace rule)",
        id="banned-venv",
    ),
    pytest.param(
        packed("tools/__pycache__/text2image.cpython-312.pyc", b"\0"),
        "ERROR tools/__pycache__/: must not be in the package (1 file(s)); exclude it in .difyignore "
        "(marketplace rule)",
        id="banned-pycache",
    ),
    pytest.param(
        packed(".git/HEAD", "ref: refs/heads/main\n"),
        "ERROR .git/: must not be in the package (1 file(s)); exclude it in .difyignore (marketplace rule)",
        id="banned-git",
    ),
    pytest.param(
        packed("stray.pyc", b"\0"),
        "ERROR stray.pyc: .pyc files must not be in the package; exclude them in .difyignore (marketplace rule)",
        id="banned-pyc",
    ),
    pytest.param(
        packed("debug.log", ""),
        "ERROR debug.log: .log files must not be in the package; exclude them in .difyignore (marketplace rule)",
        id="banned-log",
    ),
    pytest.param(
        packed("certs/server.pem", "x"),
        "ERROR certs/server.pem: .pem files must not be in the package; exclude them in .difyignore (marketplace rule)",
        id="banned-pem",
    ),
    pytest.param(
        packed("keys/id_rsa", "x"),
        "ERROR keys/id_rsa: must not be in the package; exclude it in .difyignore (marketplace rule)",
        id="banned-id-rsa",
    ),
    pytest.param(
        packed(".DS_Store", b"\0\0\0\1Bud1"),
        "ERROR .DS_Store: must not be in the package; exclude it in .difyignore (marketplace rule)",
        id="banned-ds-store",
    ),
    pytest.param(
        packed("tools/helper", b"\x7fELF\x02\x01\x01" + b"\0" * 64),
        "ERROR tools/helper: is an ELF executable; native binaries must not be in the package (marketplace rule)",
        id="binary-magic",
    ),
    pytest.param(
        packed("tools/fast.so", b"anything"),
        "ERROR tools/fast.so: native binaries must not be in the package (marketplace rule)",
        id="binary-suffix",
    ),
    # secrets in packed text files
    pytest.param(
        write("tools/leak.py", f'CLIENT = "{FAKE_OPENAI_KEY}"\n'),
        "ERROR tools/leak.py:1: looks like an OpenAI-style secret key (sk-...); never ship secrets (marketplace rule)",
        id="secret-openai",
    ),
    pytest.param(
        write("tools/leak.py", f'\nGH = "{FAKE_GITHUB_TOKEN}"\n'),
        "ERROR tools/leak.py:2: looks like a GitHub token (ghp_...); never ship secrets (marketplace rule)",
        id="secret-github",
    ),
    pytest.param(
        write("job_client/settings.yaml", f"aws: {FAKE_AWS_KEY_ID}\n"),
        "ERROR job_client/settings.yaml:1: looks like an AWS access key id (AKIA...); never ship secrets "
        "(marketplace rule)",
        id="secret-aws",
    ),
    pytest.param(
        write("_assets/key.txt", f"{FAKE_PEM_HEADER}\nMIIE...\n"),
        "ERROR _assets/key.txt:1: looks like a PEM private key; never ship secrets (marketplace rule)",
        id="secret-pem",
    ),
    pytest.param(
        write("tools/leak.py", f'api_key = "{FAKE_RANDOM_TOKEN}"\n'),
        "ERROR tools/leak.py:1: api_key: high-entropy literal looks like a real credential; never ship secrets "
        "(marketplace rule)",
        id="secret-assignment",
    ),
    # code
    pytest.param(
        write("tools/broken.py", "def oops(:\n    pass\n"),
        "ERROR tools/broken.py:1: syntax error: invalid syntax (marketplace rule)",
        id="python-syntax",
    ),
    # the job client's API description
    pytest.param(
        write("README.md", "# Plugin\n\n<<<<<<< before updating\nold\n=======\nnew\n>>>>>>> after updating\n"),
        "ERROR README.md:3: unresolved merge conflict marker (resolve the `copier update`) (project rule)",
        id="merge-conflict-marker",
    ),
    pytest.param(
        in_yaml("job_client/settings.yaml", lambda s: s["result"].update(kind="uri")),
        "ERROR job_client/settings.yaml: settings.yaml: result.kind: url/base64/binary / "
        "settings.yaml：设置不符合规则：result.kind: url/base64/binary (project rule)",
        id="job-settings",
    ),
]


@pytest.mark.parametrize(("mutate", "expected"), RULE_CASES)
def test_each_rule_reports_its_line_and_fails(
    plugin: Path, capsys: pytest.CaptureFixture[str], mutate: Mutation, expected: str
) -> None:
    mutate(plugin)
    status, lines = run_static_check(plugin, capsys)
    assert expected in lines, "\n".join(lines)
    assert status == 1


# The default answers' identity is copier.yml's placeholder: each answer to give is named.
PLACEHOLDER_LINES = [
    "manifest.yaml: author: 'your-name' is the template's placeholder: answer author "
    "(copier update --defaults --data author=...)",
    "manifest.yaml: repo: 'https://github.com/your-name/modelscope_text2image' is the template's placeholder: "
    "answer repo_url (copier update --defaults --data repo_url=...)",
    "manifest.yaml: contact: 'your-name@users.noreply.github.com' is the template's placeholder: answer "
    "contact_email (copier update --defaults --data contact_email=...)",
]
PLACEHOLDER_WARNINGS = [f"WARNING {line} (placeholder; --release refuses it)" for line in PLACEHOLDER_LINES]


def test_default_rendering_passes_the_static_rules_and_warns_of_its_placeholders(
    default_plugin: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, lines = run_static_check(default_plugin, capsys)
    assert lines[:-1] == PLACEHOLDER_WARNINGS  # no error, and no other warning
    assert lines[-1].startswith("0 error(s), 3 warning(s) in ")
    assert "; identifier your-name/modelscope_text2image:0.1.0@" in lines[-1]
    assert status == 0


def test_release_refuses_the_placeholders(default_plugin: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, lines = run_static_check(default_plugin, capsys, "--release")
    assert lines[:-1] == [f"ERROR {line} (release rule)" for line in PLACEHOLDER_LINES]
    assert status == 1


def test_a_real_identity_passes_strict_and_release(plugin: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, lines = run_static_check(plugin, capsys, "--strict", "--release")
    assert (status, lines[:-1]) == (0, [])


def test_the_custom_presets_api_placeholders_are_named_by_file(
    plugin: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit_yaml(plugin / "job_client/settings.yaml", lambda s: s.update(base_url="https://api.example.com/v1"))
    edit_yaml(plugin / "tools/text2image.yaml", lambda t: t["parameters"][1].update(default="my-image-model"))
    status, lines = run_static_check(plugin, capsys)
    assert status == 0
    assert [line for line in lines if "custom preset" in line] == [
        "WARNING job_client/settings.yaml: 'https://api.example.com/v1' is the custom preset's placeholder base URL: "
        "answer api_overrides or edit this file (placeholder; --release refuses it)",
        "WARNING tools/text2image.yaml: 'my-image-model' is the custom preset's placeholder model: answer "
        "api_overrides or edit this file (placeholder; --release refuses it)",
    ]
    status, lines = run_static_check(plugin, capsys, "--release")
    assert status == 1 and sum("custom preset" in line and line.startswith("ERROR") for line in lines) == 2


def test_the_placeholders_are_the_templates_own() -> None:
    """check.py's list follows copier.yml's identity default and the custom preset's base URL and models."""
    placeholders = sys.modules["checks.placeholders"]  # imported by check.py
    config = yaml.safe_load((ROOT / "copier.yml").read_text(encoding="utf-8"))
    custom = yaml.safe_load((ROOT / "presets" / "custom.yml").read_text(encoding="utf-8"))
    assert config["author"]["default"] == placeholders.PLACEHOLDER_AUTHOR
    assert placeholders.PLACEHOLDER_HOST.match(custom["api"]["base_url"])
    models = {model["id"] for spec in custom["tools"].values() for model in spec["models"]}
    assert models == set(placeholders.PLACEHOLDER_MODELS)
    assert not placeholders.PLACEHOLDER_HOST.match("https://api.example-images.com/v1")  # a real host stays quiet


def test_banned_files_count_only_when_they_would_be_packed(plugin: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The rendered .difyignore leaves all of these out, so the folder still passes: the check uses the packer's walk.
    for relative_path in (".env", ".venv/lib/site.py", "tools/__pycache__/x.pyc", "debug.log", "dist/old.difypkg"):
        write(relative_path, "x")(plugin)
    write("tests/fixtures/leak.py", f'KEY = "{FAKE_OPENAI_KEY}"\n')(plugin)
    status, lines = run_static_check(plugin, capsys)
    assert (status, lines[:-1]) == (0, [])


def test_cjk_inside_fenced_code_is_fine(plugin: Path, capsys: pytest.CaptureFixture[str]) -> None:
    readme = plugin / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + "\n~~~text\n生成一只狐狸\n~~~\n", encoding="utf-8")
    status, lines = run_static_check(plugin, capsys)
    assert (status, lines[:-1]) == (0, [])


def test_placeholders_and_field_names_are_not_secrets(plugin: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = ['api_key = "your-api-key-here"', 'token_field = "access_token"', 'password = ""', 'secret: "${SECRET}"']
    write("tools/config_names.py", "\n".join(lines) + "\n")(plugin)
    status, output = run_static_check(plugin, capsys)
    assert (status, output[:-1]) == (0, [])


def test_low_entropy_credential_literal_is_a_warning(plugin: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write("tools/demo.py", 'password = "hunter22"\n')(plugin)
    status, lines = run_static_check(plugin, capsys)
    assert lines[:-1] == ["WARNING tools/demo.py:1: password: literal looks like a credential (marketplace warning)"]
    assert status == 0
    assert check.main([str(plugin), "--skip-sdk", "--strict"]) == 1


def test_executable_bit_in_a_folder_is_fine(plugin: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (plugin / "main.py").chmod(0o755)  # package.py (like the Go CLI) stores no exec bits; see test_package_entry_rules
    status, lines = run_static_check(plugin, capsys)
    assert (status, lines[:-1]) == (0, [])


def test_manifest_excluded_by_the_ignore_file(plugin: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(".difyignore", "manifest.yaml\n")(plugin)
    status, lines = run_static_check(plugin, capsys)
    assert (
        lines[0] == "ERROR manifest.yaml: is excluded from the package by .difyignore line 1: manifest.yaml "
        "(daemon package rule)"
    )
    assert status == 1


def test_build_output_is_one_warning_per_folder(plugin: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ignore_file = plugin / ".difyignore"  # the rendered one minus "build/", which would leave them out
    ignore_file.write_text(ignore_file.read_text(encoding="utf-8").replace("\nbuild/\n", "\n"), encoding="utf-8")
    write("tools/build/lib/a.py", "")(plugin)  # nested: may be the author's own module, so only a warning
    write("tools/build/lib/b.py", "")(plugin)
    status, lines = run_static_check(plugin, capsys)
    assert lines[:-1] == ["WARNING tools/build/: build output in the package (2 file(s)) (marketplace warning)"]
    assert status == 0


DEV_ONLY_FILES = {
    "try-output/qwen-1.png": "PNG",
    "dist/qwen_text2image-0.0.9.txt": "old build",
    "build/lib/a.py": "",
    "tests/test_x.py": "",
    "scripts/package.py": "",
    ".github/workflows/ci.yml": "on: push",
    ".copier-answers.yml": "_src_path: x",
    "requirements-dev.txt": "pytest",
    "pytest.ini": "[pytest]",
    ".gitignore": "dist/",
}


def test_development_files_in_a_package_are_blocking(plugin: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # An author's .difyignore that forgot them: each folder is one error, each file one error, whatever ran before.
    write(".difyignore", ".difyignore\n__pycache__/\n.pytest_cache/\n.ruff_cache/\n")(plugin)
    rendered_dev_files = ("tests", "scripts", ".github", "pytest.ini", "requirements-dev.txt", "ruff.toml", "AGENTS.md")
    for relative_path in rendered_dev_files:
        target = plugin / relative_path
        shutil.rmtree(target) if target.is_dir() else target.unlink(missing_ok=True)
    (plugin / ".gitignore").unlink()
    (plugin / ".copier-answers.yml").unlink()
    for relative_path, content in DEV_ONLY_FILES.items():
        write(relative_path, content)(plugin)
    status, lines = run_static_check(plugin, capsys)
    expected = [
        f"ERROR {name}: development file, not needed at run time; exclude it in .difyignore (project rule)"
        for name in (".copier-answers.yml", ".gitignore", "pytest.ini", "requirements-dev.txt")
    ] + [
        f"ERROR {folder}/: development files in the package (1 file(s)); only runtime files belong there: "
        "exclude it in .difyignore (project rule)"
        for folder in (".github", "build", "dist", "scripts", "tests", "try-output")
    ]
    assert sorted(lines[:-1]) == sorted(expected)
    assert status == 1
    # The same files inside a package (built with the author's ignore file) are refused too.
    built = package.build_package(plugin, plugin.parent / "leaky.difypkg")
    assert "try-output/qwen-1.png" in built.files
    status, lines = run_static_check(built.path, capsys)
    assert sorted(lines[:-1]) == sorted(expected)
    assert status == 1


def test_rendered_ignore_file_leaves_every_development_file_out(
    plugin: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # What try.py, package.py, tests, CI and keygen leave behind never reaches the package of a rendered plugin.
    for relative_path, content in {**DEV_ONLY_FILES, "signing.private.pem": PRIVATE_KEY_PEM}.items():
        write(relative_path, content)(plugin)
    built = package.build_package(plugin, plugin / "dist" / "clean.difypkg")
    assert not [path for path in built.files if path.split("/")[0] in check.DEV_FOLDERS or path in check.DEV_FILES]
    assert not [path for path in built.files if path.endswith(".pem")]
    status, lines = run_static_check(built.path, capsys)
    assert (status, lines[:-1]) == (0, [])


PRIVATE_KEY_PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7g\n-----END RSA PRIVATE KEY-----\n"


def test_private_key_in_a_package_is_blocking(plugin: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Under any name: the .pem suffix rule and the content rule both refuse it.
    write(".difyignore", "tests/\nscripts/\n.*\npytest.ini\nruff.toml\nrequirements-dev.txt\nAGENTS.md\n")(plugin)
    write("signing.private.pem", PRIVATE_KEY_PEM)(plugin)
    write("tools/key_material.txt", PRIVATE_KEY_PEM)(plugin)
    built = package.build_package(plugin, plugin.parent / "key.difypkg")
    status, lines = run_static_check(built.path, capsys)
    assert lines[:-1] == [
        "ERROR signing.private.pem: .pem files must not be in the package; exclude them in .difyignore "
        "(marketplace rule)",
        "ERROR signing.private.pem:1: looks like a PEM private key; never ship secrets (marketplace rule)",
        "ERROR tools/key_material.txt:1: looks like a PEM private key; never ship secrets (marketplace rule)",
    ]
    assert status == 1


def test_size_and_file_count_limits(
    plugin: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(difypkg, "MAX_PACKAGE_BYTES", 1000)
    monkeypatch.setattr(difypkg, "MAX_PACKAGE_FILES", 5)
    status, lines = run_static_check(plugin, capsys)
    errors = [line for line in lines if line.startswith("ERROR (package): the package would hold ")]
    assert "over the limit of 1,000 bytes; largest files: job_client/client.py" in errors[0]
    assert "files, over the limit of 5; largest files: " in errors[1]
    assert status == 1


def test_symlink_to_a_folder_fails_the_check(plugin: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (plugin / "shared").symlink_to(plugin / "job_client", target_is_directory=True)
    status, lines = run_static_check(plugin, capsys)
    assert lines[0].startswith("ERROR (package): shared is a symlink to a folder (")
    assert status == 1


# ── cannot check: exit status 2 ───────────────────────────────────────────────────────────────


def test_cannot_check_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "not-a-zip.difypkg").write_text("hello")
    assert check.main([str(tmp_path / "missing")]) == 2
    assert check.main([str(tmp_path)]) == 2  # a folder without manifest.yaml
    assert check.main([str(tmp_path / "not-a-zip.difypkg")]) == 2
    errors = capsys.readouterr().err.splitlines()
    assert errors[0] == f"error: {tmp_path / 'missing'}: no such folder or file"
    assert errors[1] == f"error: {tmp_path}: no manifest.yaml (not a plugin folder)"
    assert errors[2].startswith(f"error: {tmp_path / 'not-a-zip.difypkg'}: not a readable .difypkg")


# ── .difypkg files ────────────────────────────────────────────────────────────────────────────


@pytest.fixture
def built_package(plugin: Path, tmp_path: Path) -> Path:
    return package.build_package(plugin, tmp_path / "default.difypkg").path


def rewrite_package(source: Path, destination: Path, extra: dict[str, tuple[bytes, int]]) -> Path:
    """Copy a package, adding or replacing entries: name -> (content, unix mode)."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(destination, "w") as copy:
        for info in original.infolist():
            if info.filename not in extra:
                copy.writestr(info, original.read(info))
        for name, (content, mode) in extra.items():
            entry = zipfile.ZipInfo(name)
            entry.external_attr = mode << 16
            copy.writestr(entry, content)
    return destination


def test_package_passes_the_static_rules_with_the_same_identifier(
    plugin: Path, built_package: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, lines = run_static_check(built_package, capsys, "--strict", "--release")
    assert status == 0 and lines[:-1] == []
    info = package.build_package(plugin, built_package.with_name("again.difypkg"))
    assert lines[-1].endswith(f"; identifier {info.identifier}")


def test_package_with_unsafe_names_is_not_extracted(
    built_package: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    evil = rewrite_package(built_package, tmp_path / "evil.difypkg", {"../escape.txt": (b"x", 0o644)})
    status, lines = run_static_check(evil, capsys)
    assert (
        lines[0]
        == "ERROR evil.difypkg: ../escape.txt: absolute or '..' entry name; not extracted (daemon install rule)"
    )
    assert status == 1
    assert not (tmp_path / "escape.txt").exists()


def test_package_entry_rules(built_package: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    odd = rewrite_package(
        built_package,
        tmp_path / "odd.difypkg",
        {"_assets/": (b"", 0o755), "./extra.txt": (b"x", 0o644), "tools/run.py": (b"print(1)\n", 0o755)},
    )
    status, lines = run_static_check(odd, capsys)
    assert "ERROR odd.difypkg: _assets/: folder entry (the daemon fails on it) (daemon install rule)" in lines
    assert (
        "ERROR odd.difypkg: ./extra.txt: './' prefix (the daemon does not find the assets) (daemon install rule)"
        in lines
    )
    assert "WARNING tools/run.py: has the executable bit (marketplace warning)" in lines
    assert status == 1


def test_package_without_manifest_at_the_root(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nested = tmp_path / "nested.difypkg"
    with zipfile.ZipFile(nested, "w") as archive:
        archive.writestr("plugin/manifest.yaml", "name: x\n")
    status, lines = run_static_check(nested, capsys)
    assert lines[0] == "ERROR nested.difypkg: manifest.yaml: missing at the archive root (daemon package rule)"
    assert status == 1


def test_oversized_package_is_not_inflated(
    built_package: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(difypkg, "MAX_PACKAGE_BYTES", 1000)
    status, lines = run_static_check(built_package, capsys)
    assert lines[0].startswith("ERROR default.difypkg: the package would hold ")
    assert lines[-1].startswith("1 error(s), 0 warning(s) in 0 packed file(s)")  # nothing was extracted
    assert status == 1


# ── the SDK stage, in subprocesses ────────────────────────────────────────────────────────────


def break_with_ignored_keys_and_a_failing_import(plugin: Path) -> None:
    manifest = (plugin / "manifest.yaml").read_text(encoding="utf-8")
    (plugin / "manifest.yaml").write_text(manifest + "licence: MIT\n", encoding="utf-8")

    def edit_tool(tool: dict[str, Any]) -> None:
        tool["identity"]["label"]["zh_CN"] = tool["identity"]["label"].pop("zh_Hans")
        tool["parameters"][0]["requried"] = tool["parameters"][0].pop("required")
        tool["has_runtime_parameters"] = False

    edit_yaml(plugin / "tools/text2image.yaml", edit_tool)
    edit_yaml(plugin / "provider/modelscope.yaml", lambda p: p["credentials_for_provider"]["api_key"].update(hint="x"))
    source = (plugin / "tools/text2image.py").read_text(encoding="utf-8")
    (plugin / "tools/text2image.py").write_text("import some_missing_module\n" + source, encoding="utf-8")


def break_sdk_models(plugin: Path) -> None:
    def edit_tool(tool: dict[str, Any]) -> None:
        tool["parameters"][1]["type"] = "text"
        tool["description"].pop("llm")

    edit_yaml(plugin / "tools/text2image.yaml", edit_tool)
    edit_yaml(plugin / "provider/modelscope.yaml", lambda p: p["credentials_for_provider"]["api_key"].update(type="pw"))
    edit_yaml(plugin / "manifest.yaml", lambda m: m["meta"].update(minimum_dify_version="latest"))


@pytest.fixture(scope="module")
def sdk_runs(default_plugin: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, list[str]]]:
    """`python scripts/check.py [target]` with the SDK, for four targets at once (each run costs ~1 s of start-up)."""
    workdir = tmp_path_factory.mktemp("sdk")
    broken_imports = shutil.copytree(default_plugin, workdir / "ignored-keys")
    break_with_ignored_keys_and_a_failing_import(broken_imports)
    broken_models = shutil.copytree(default_plugin, workdir / "model-errors")
    break_sdk_models(broken_models)
    default_package = package.build_package(default_plugin, workdir / "default.difypkg").path
    targets = {
        "folder": (default_plugin, []),
        "package": (default_plugin, [str(default_package)]),
        "ignored-keys": (broken_imports, []),
        "model-errors": (broken_models, []),
    }
    processes = {
        name: subprocess.Popen(
            [PYTHON, "scripts/check.py", *arguments], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for name, (cwd, arguments) in targets.items()
    }
    results = {}
    for name, process in processes.items():
        stdout, stderr = process.communicate(timeout=120)
        assert process.returncode in (0, 1), f"{name}: {stderr}"
        results[name] = (process.returncode, stdout.splitlines())
    return results


def test_default_rendering_passes_with_the_sdk_as_folder_and_package(
    sdk_runs: dict[str, tuple[int, list[str]]],
) -> None:
    folder_status, folder_lines = sdk_runs["folder"]
    assert (folder_status, folder_lines[:-1]) == (0, PLACEHOLDER_WARNINGS)
    package_status, package_lines = sdk_runs["package"]
    assert (package_status, package_lines[:-1]) == (0, PLACEHOLDER_WARNINGS)
    assert folder_lines[-1].split("; identifier ")[1] == package_lines[-1].split("; identifier ")[1]


def test_sdk_ignored_keys_and_start_up_failure(sdk_runs: dict[str, tuple[int, list[str]]]) -> None:
    status, lines = sdk_runs["ignored-keys"]
    assert status == 1
    assert (
        "ERROR tools/text2image.py:1: start-up failed: ModuleNotFoundError: No module named 'some_missing_module' "
        "(SDK start-up)"
    ) in lines
    ignored = [line for line in lines if "key ignored by the SDK" in line]

    def warning(file: str, location: str, accepted: str) -> str:
        return f"WARNING {file}: {location}: key ignored by the SDK (accepted here: {accepted}) (SDK)"

    manifest_keys = "author, contact, created_at, description, icon, icon_dark, label, meta, name, plugins, privacy, "
    manifest_keys += "repo, resource, tags, type, version"
    parameter_keys = "auto_generate, default, form, human_description, input_schema, label, llm_description, max, "
    parameter_keys += "min, multiple, name, options, precision, required, scope, show_on, template, type"
    credential_keys = "default, help, label, multiple, name, options, placeholder, required, scope, type, url"
    tool_file_keys = "description, extra, identity, output_schema, parameters"
    assert ignored == [
        warning("manifest.yaml", "licence", manifest_keys),
        warning("tools/text2image.yaml", "identity.label.zh_CN", "en_US, ja_JP, pt_BR, zh_Hans"),
        warning("tools/text2image.yaml", "parameters[0:prompt].requried", parameter_keys),
        warning("tools/text2image.yaml", "has_runtime_parameters", tool_file_keys),
        warning("provider/modelscope.yaml", "credentials_for_provider.api_key.hint", credential_keys),
    ]


def test_sdk_model_errors_name_file_and_field(sdk_runs: dict[str, tuple[int, list[str]]]) -> None:
    status, lines = sdk_runs["model-errors"]
    assert status == 1
    errors = [line for line in lines if line.startswith("ERROR")]
    assert errors == [
        "ERROR manifest.yaml: meta.minimum_dify_version: Value error, Invalid version format: latest (SDK)",
        (
            "ERROR tools/text2image.yaml: parameters[1:model].type: Input should be 'string', 'number', 'boolean', "
            "'select', 'secret-input', 'file', 'files', 'model-selector', 'app-selector', 'checkbox', 'any', 'object', "
            "'array', 'dynamic-select', 'date' or 'date-range' (SDK)"
        ),
        "ERROR tools/text2image.yaml: description.llm: Field required (SDK)",
        (
            "ERROR provider/modelscope.yaml: credentials_for_provider.api_key.type: Input should be 'secret-input', "
            "'text-input', 'select', 'boolean', 'model-selector', 'app-selector' or 'array[tools]' (SDK)"
        ),
    ]


def test_a_label_naming_a_provider_the_plugin_does_not_use_is_warned(
    plugin: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The default rendering calls ModelScope's Qwen models: naming them is fine, naming OpenAI is a leftover.
    status, lines = run_static_check(plugin, capsys)
    assert status == 0 and not [line for line in lines if "names " in line]
    edit_yaml(plugin / "manifest.yaml", lambda m: m["description"].update(en_US="Images with OpenAI's GPT Image."))
    status, lines = run_static_check(plugin, capsys)
    assert status == 0  # a warning: the author may mean it
    assert (
        "WARNING manifest.yaml: description (en_US) names OpenAI, which no model or provider of this plugin is "
        "(project rule)" in lines
    )


CONFLICTED = "<<<<<<< before updating\nold\n=======\nnew\n>>>>>>> after updating\n"
CONFLICT_MESSAGE = "unresolved merge conflict marker (resolve the `copier update`) (project rule)"


def test_conflict_markers_are_found_in_files_that_are_not_packed(
    plugin: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Outside git: every file of the folder but tool caches, packed or not (tests/ and .github/ are not)."""
    write("tests/test_extra.py", "import os\n" + CONFLICTED)(plugin)
    write(".github/workflows/ci.yml", CONFLICTED)(plugin)
    write(".venv/lib/vendored.py", CONFLICTED)(plugin)  # a tool's folder, not the project's
    status, lines = run_static_check(plugin, capsys)
    assert status == 1
    problems = [line for line in lines if CONFLICT_MESSAGE in line]
    assert problems == [
        f"ERROR .github/workflows/ci.yml:1: {CONFLICT_MESSAGE}",
        f"ERROR tests/test_extra.py:2: {CONFLICT_MESSAGE}",
    ]


def test_in_a_git_work_tree_every_tracked_file_is_checked(plugin: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(".github/workflows/ci.yml", CONFLICTED)(plugin)
    subprocess.run(["git", "init", "-q"], cwd=plugin, check=True)
    subprocess.run(["git", "add", "-A"], cwd=plugin, check=True)
    write("scratch/notes.md", CONFLICTED)(plugin)  # untracked: not part of the project (yet)
    status, lines = run_static_check(plugin, capsys)
    assert status == 1
    assert [line for line in lines if CONFLICT_MESSAGE in line] == [
        f"ERROR .github/workflows/ci.yml:1: {CONFLICT_MESSAGE}"
    ]
