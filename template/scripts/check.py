"""Check a plugin folder or a .difypkg the way the SDK, the Dify plugin daemon and the marketplace will.

    python scripts/check.py [--strict] [--skip-sdk] [PLUGIN_DIR | FILE.difypkg]

Run it with the plugin's interpreter (the one with requirements.txt installed): it loads every YAML file
through the SDK's own models and starts the plugin the way `python -m main` does (without serving), then
applies the daemon's manifest rules and the marketplace's blocking checks. For a folder, file rules apply to
what scripts/package.py would pack. One line per problem, naming the file and the rule:

    ERROR manifest.yaml: author: must match ^[a-z0-9_-]{1,64}$ (daemon install rule)

Exit status: 0 no blocking problem (warnings allowed unless --strict), 1 blocking problems, 2 cannot check.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import importlib
import inspect
import math
import os
import re
import sys
import tempfile
import traceback
import types
import typing
import zipfile
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlparse

import yaml
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

# The shared helper sits next to this file; this also makes it importable when loaded by file path (tests).
sys.path.insert(0, str(Path(__file__).resolve().parent))

import difypkg  # the limits are read at call time, so tests can lower them
from difypkg import (
    VERSION_PATTERN,
    IgnoreRules,
    PackagingError,
    PackedFile,
    collect_files,
    compute_checksum,
    limit_violations,
    load_ignore_rules,
    read_identity,
    unique_identifier,
)

SCRIPTS_DIR = Path(__file__).resolve().parent
DEFAULT_PLUGIN_DIR = SCRIPTS_DIR.parent

# Where each rule comes from; printed at the end of every problem line.
DAEMON_PACKAGE = "daemon package rule"  # `dify plugin package` refuses the folder
DAEMON_INSTALL = "daemon install rule"  # the package is refused at install
DAEMON_DECLARATION = "daemon declaration rule"  # checked on provider/tool YAML (remote debugging, --strict)
DAEMON_RUNTIME = "daemon runtime rule"  # installs, then fails to start
SDK = "SDK"  # pydantic models of dify_plugin: the plugin process exits at start-up
SDK_STARTUP = "SDK start-up"
MARKETPLACE = "marketplace rule"  # blocking check of the dify-plugins pre-check CI
MARKETPLACE_WARNING = "marketplace warning"
PROJECT = "project rule"  # stricter than Dify: keeps published plugins reproducible

AUTHOR_PATTERN = re.compile(r"^[a-z0-9_-]{1,64}$")
NAME_PATTERN = re.compile(r"^[a-z0-9_-]{1,128}$")
IDENTITY_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9_-]+$")
RFC3339_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
REPO_HOSTS = r"(?:www\.)?(?:github\.com|gitlab\.com|bitbucket\.org|gitee\.com|codeberg\.org|git\.sr\.ht)"
REPO_URL_PATTERN = re.compile(rf"^https?://{REPO_HOSTS}/[^/\s]+/[^/\s]+?/?$")
REPO_URL_IN_TEXT = re.compile(rf"https?://{REPO_HOSTS}/[^/\s)\]>]+/[^/\s)\]>]+")
SIZE_PATTERN = re.compile(r"^[1-9][0-9]{1,4}x[1-9][0-9]{1,4}$")
CJK_PATTERN = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0002ffff]")
PRIVACY_PLACEHOLDER = re.compile(r"please\s+fill\s+in\s+the\s+privacy\s+policy", re.IGNORECASE)
PRIVACY_WORDS = re.compile(r"collect|store|retain|log|third[- ]party|share", re.IGNORECASE)
TEMPLATE_ICON_MARKER = b"DIFY_MARKETPLACE_TEMPLATE_ICON_DO_NOT_USE"

I18N_LOCALES = ("en_US", "zh_Hans", "ja_JP", "pt_BR")  # every other key is ignored by the SDK and the daemon
PLUGIN_KINDS = ("tools", "models", "endpoints", "agent_strategies", "datasources", "triggers")
ARCHITECTURES = ("amd64", "arm64")
PLUGIN_TAGS = (  # daemon pkg/entities/manifest_entities/tags.go
    "search", "image", "videos", "weather", "finance", "design", "travel", "social", "news", "medical",
    "productivity", "education", "business", "entertainment", "utilities", "agent", "rag", "other", "trigger",
)  # fmt: skip
MANIFEST_REQUIRED = (  # marketplace manifest check (toolkit checks/manifest.py)
    "author", "name", "version", "type", "icon", "plugins", "privacy", "repo", "contact", "label.en_US",
    "description.en_US", "meta.version", "meta.arch", "meta.runner.language", "meta.runner.version",
    "meta.runner.entrypoint",
)  # fmt: skip
MANIFEST_DAEMON_REQUIRED = ("created_at", "resource.memory")
# Manifest keys the SDK model drops but the daemon (tags, privacy) or the marketplace (contact) reads.
MANIFEST_KEYS_BEYOND_SDK = ("tags", "privacy", "contact")
# ToolProviderConfiguration.validate_tools builds a tool from these keys only and drops the rest.
TOOL_FILE_KEYS = ("identity", "parameters", "description", "extra", "output_schema")

# Marketplace package-contents check (toolkit checks/contents.py, check-package-binaries.py).
BANNED_FOLDERS = {
    ".git", ".hg", ".svn", ".venv", "venv", "env", "__pycache__", "pycache", ".pytest_cache", ".ruff_cache",
    ".mypy_cache", ".tox", ".nox", ".idea", ".vscode", "node_modules",
}  # fmt: skip
BANNED_NAMES = {".DS_Store", ".gitconfig", "Thumbs.db", "desktop.ini", "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519"}
ALLOWED_ENV_FILES = {".env.example", ".env.sample", ".env.template"}
BANNED_SUFFIXES = {".key", ".pem", ".p12", ".pfx", ".pyc", ".pyo", ".log", ".tmp", ".swp", ".swo", ".bak"}
BINARY_SUFFIXES = {".so", ".dll", ".dylib", ".exe", ".pyd", ".node"}
SUSPICIOUS_SUFFIXES = {".sh", ".bin", ".run", ".command", ".app"}
ARCHIVE_SUFFIXES = {".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar"}
BUILD_FOLDERS = {"build", "dist"}
EXECUTABLE_MAGIC = {
    b"\x7fELF": "an ELF executable",
    b"\xfe\xed\xfa\xce": "a Mach-O executable",
    b"\xfe\xed\xfa\xcf": "a Mach-O executable",
    b"\xce\xfa\xed\xfe": "a Mach-O executable",
    b"\xcf\xfa\xed\xfe": "a Mach-O executable",
}
# A package holds runtime files only (project rule): what the author ran before packaging (try.py, tests,
# package.py, CI, signing) must never ship, whatever the ignore file says. Top-level folders and files.
DEV_FOLDERS = {
    "try-output", "dist", "build", "tests", "test", "scripts", ".github", ".gitlab", ".circleci", "htmlcov", ".tools",
    ".eggs",
}  # fmt: skip
DEV_FILES = {
    ".copier-answers.yml", "requirements-dev.txt", "pytest.ini", "ruff.toml", "conftest.py", ".coverage", "AGENTS.md",
    "CLAUDE.md", ".gitignore", ".difyignore", ".pre-commit-config.yaml", "tox.ini", "noxfile.py", "setup.cfg",
    ".gitlab-ci.yml", ".editorconfig",
}  # fmt: skip
SIGNATURE_FILE = ".verification.dify.json"  # added by signing (scripts/sign.py, `dify signature sign`)
LARGE_DEPENDENCIES = {"torch", "tensorflow", "transformers", "opencv-python", "opencv-python-headless", "jax"}

# Marketplace secrets check (toolkit checks/secrets.py): literal credentials in packed text files.
SECRET_PATTERNS = (
    (re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----"), "a PEM private key"),
    (re.compile(r"\bsk-(?:[A-Za-z0-9]+-)*[A-Za-z0-9_]{20,}"), "an OpenAI-style secret key (sk-...)"),
    (re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})"), "a GitHub token (ghp_...)"),
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), "a Slack token (xox?-...)"),
    (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), "an AWS access key id (AKIA...)"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"), "a JSON Web Token"),
)
SECRET_ASSIGNMENT = re.compile(
    r"""(?P<key>[A-Za-z0-9_.-]*(?:api[_-]?key|apikey|secret|token|password|passwd)[A-Za-z0-9_.-]*)["']?"""
    r"""\s*[:=]\s*(?P<quote>["'])(?P<value>[^"'\s]{8,})(?P=quote)""",
    re.IGNORECASE,
)
PLACEHOLDER_WORDS = re.compile(r"your|example|placeholder|changeme|dummy|fake|test|xxx|\*\*\*|<|\{", re.IGNORECASE)
HIGH_ENTROPY_BITS = 3.5  # Shannon bits per character; random keys score 4+, words and identifiers less
HIGH_ENTROPY_MIN_LENGTH = 16


class CannotCheck(Exception):
    """The target cannot be checked at all (exit status 2)."""


@dataclass(frozen=True)
class Problem:
    blocking: bool
    file: str
    message: str

    def __str__(self) -> str:
        return f"{'ERROR' if self.blocking else 'WARNING'} {self.file}: {self.message}"


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    # (file, field) pairs a rule already reported, so the SDK does not repeat them in its own words.
    reported_fields: set[tuple[str, str]] = field(default_factory=set)
    identifier: str | None = None
    file_count: int = 0

    def error(self, file: str, message: str, rule: str, field_path: str | None = None) -> None:
        self._add(True, file, message, rule, field_path)

    def warning(self, file: str, message: str, rule: str, field_path: str | None = None) -> None:
        self._add(False, file, message, rule, field_path)

    def _add(self, blocking: bool, file: str, message: str, rule: str, field_path: str | None) -> None:
        problem = Problem(blocking, file, f"{message} ({rule})")
        if problem not in self.problems:
            self.problems.append(problem)
        if field_path:
            self.reported_fields.add((file, field_path))

    def already_reported(self, file: str, field_path: str) -> bool:
        """True when a rule reported this field, a parent of it or a child of it."""
        for reported_file, reported in self.reported_fields:
            if reported_file != file:
                continue
            if field_path == reported or field_path.startswith((reported + ".", reported + "[")):
                return True
            if reported.startswith((field_path + ".", field_path + "[")):
                return True
        return False

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.blocking]

    @property
    def warnings(self) -> list[Problem]:
        return [problem for problem in self.problems if not problem.blocking]


@dataclass
class PluginTree:
    """A plugin on disk and the files that are (package) or would be (folder) in the package."""

    root: Path
    files: dict[str, PackedFile]
    ignore: IgnoreRules | None = None  # None for an extracted package: every file in it is packed

    def is_packed(self, path: str) -> bool:
        return normalize(path) in self.files

    def why_missing(self, path: str) -> str:
        """'not found', or which ignore-file line leaves the file out of the package."""
        relative_path = normalize(path)
        if self.ignore is not None and (self.root / relative_path).exists():
            parts = relative_path.split("/")
            for depth in range(1, len(parts) + 1):
                candidate = "/".join(parts[:depth])
                rule = self.ignore.excluding_rule(candidate, (self.root / candidate).is_dir())
                if rule is not None:
                    return f"is excluded from the package by {rule}"
        return "not found"

    def read_bytes(self, path: str) -> bytes:
        return self.files[normalize(path)].source.read_bytes()

    def read_text(self, path: str) -> str | None:
        """The packed file's text, or None when it is not packed or not UTF-8 text."""
        if not self.is_packed(path):
            return None
        try:
            return self.read_bytes(path).decode("utf-8")
        except (OSError, UnicodeDecodeError):
            return None


def normalize(path: str) -> str:
    return str(PurePosixPath(path.replace("\\", "/"))).removeprefix("./")


def get_path(data: Any, dotted: str) -> Any:
    """data["a"]["b"] for "a.b"; None when any step is missing."""
    for key in dotted.split("."):
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == [] or value == {}


def load_yaml(tree: PluginTree, path: str, report: Report, rule: str) -> dict[str, Any] | None:
    """A packed YAML file as a mapping; reports and returns None when it cannot be parsed."""
    text = tree.read_text(path)
    if text is None:
        report.error(path, "cannot be read as UTF-8 text", rule)
        return None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        report.error(path, describe_yaml_error(error), rule)
        return None
    if not isinstance(data, dict):
        report.error(path, "must be a YAML mapping", rule)
        return None
    return data


def describe_yaml_error(error: yaml.YAMLError) -> str:
    """'YAML syntax error at line 2, column 1: expected ..., (while parsing ...)' on one line."""
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or " ".join(str(error).split())
    context = getattr(error, "context", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    return f"YAML syntax error{where}: {problem}" + (f" ({context})" if context else "")


# ── manifest.yaml: daemon and marketplace rules ─────────────────────────────────────────────────


def check_manifest(tree: PluginTree, manifest: dict[str, Any], report: Report) -> None:
    file = "manifest.yaml"
    for dotted in MANIFEST_REQUIRED:
        if is_blank(get_path(manifest, dotted)):
            report.error(file, f"{dotted}: required", MARKETPLACE, dotted)
    for dotted in MANIFEST_DAEMON_REQUIRED:
        if is_blank(get_path(manifest, dotted)):
            report.error(file, f"{dotted}: required", DAEMON_PACKAGE, dotted)

    def present(dotted: str) -> bool:
        return not is_blank(get_path(manifest, dotted))

    if present("version") and not VERSION_PATTERN.match(str(manifest["version"])):
        report.error(file, "version: use x.y.z, e.g. 0.1.0", DAEMON_PACKAGE, "version")
    if present("type") and manifest["type"] != "plugin":
        report.error(file, "type: must be plugin", DAEMON_PACKAGE, "type")
    if present("author"):
        author = str(manifest["author"])
        if not AUTHOR_PATTERN.match(author):
            report.error(file, "author: use a-z 0-9 _ - only, 1-64 chars", DAEMON_INSTALL, "author")
        if "dify" in author.lower() or "langgenius" in author.lower():
            report.error(file, 'author: "dify"/"langgenius" are reserved', MARKETPLACE, "author")
    if present("name") and not NAME_PATTERN.match(str(manifest["name"])):
        report.error(file, "name: use a-z 0-9 _ - only, 1-128 chars", DAEMON_INSTALL, "name")
    for i18n_field in ("label", "description"):
        check_i18n(file, i18n_field, manifest.get(i18n_field), report, require_en_us=False)
    for icon_field in ("icon", "icon_dark"):
        if present(icon_field):
            check_asset(tree, file, icon_field, manifest[icon_field], report, DAEMON_PACKAGE)
    check_resource(file, manifest.get("resource"), report)
    check_plugins_field(tree, file, manifest.get("plugins"), report)
    check_meta(tree, file, manifest.get("meta"), report)
    tags = manifest.get("tags")
    if tags is not None:
        if not isinstance(tags, list):
            report.error(file, "tags: must be a list", DAEMON_PACKAGE, "tags")
        else:
            check_tags(file, "tags", tags, report)
    if present("created_at") and not is_rfc3339(manifest["created_at"]):
        report.error(
            file, "created_at: must be an RFC 3339 timestamp such as 2025-01-01T00:00:00Z", DAEMON_PACKAGE, "created_at"
        )
    if present("repo"):
        repo = str(manifest["repo"])
        parsed = urlparse(repo)
        if not (parsed.scheme and parsed.netloc):
            report.error(file, "repo: must be a URL", DAEMON_PACKAGE, "repo")
        elif repo.endswith("/"):
            report.error(file, "repo: drop the trailing slash", PROJECT, "repo")
        elif not REPO_URL_PATTERN.match(repo):
            report.error(
                file,
                "repo: use https://<git host>/<owner>/<repo>",
                MARKETPLACE,
                "repo",
            )
    if present("contact") and not EMAIL_PATTERN.match(str(manifest["contact"])):
        report.error(file, "contact: not an e-mail address", MARKETPLACE, "contact")


def check_i18n(file: str, field_path: str, value: Any, report: Report, *, require_en_us: bool) -> None:
    """An I18nObject: en_US non-empty, every text shorter than 1024 characters (daemon basic_type.go)."""
    if value is None:
        if require_en_us:
            report.error(file, f"{field_path}.en_US: required", DAEMON_DECLARATION, field_path)
        return
    if not isinstance(value, Mapping):
        report.error(file, f"{field_path}: must be a mapping of locale to text", DAEMON_PACKAGE, field_path)
        return
    if require_en_us and is_blank(value.get("en_US")):
        report.error(file, f"{field_path}.en_US: must be 1-1023 characters", DAEMON_DECLARATION, field_path + ".en_US")
    for locale in I18N_LOCALES:
        text = value.get(locale)
        if text is not None and len(str(text)) >= 1024:
            report.error(file, f"{field_path}.{locale}: must be 1-1023 characters", DAEMON_PACKAGE, field_path)


def check_asset(tree: PluginTree, file: str, field_path: str, icon: Any, report: Report, rule: str) -> None:
    """Icons are file names relative to _assets/ and must be in the package (daemon CheckAssetsValid)."""
    icon_path = f"_assets/{icon}"
    if len(str(icon)) > 128:
        report.error(file, f"{field_path}: must be at most 128 characters", rule, field_path)
    elif not tree.is_packed(icon_path):
        report.error(file, f"{field_path}: {icon_path} {tree.why_missing(icon_path)}", rule, field_path)


def check_resource(file: str, resource: Any, report: Report) -> None:
    if not isinstance(resource, Mapping):
        if resource is not None:
            report.error(file, "resource: must be a mapping", DAEMON_PACKAGE, "resource")
        return
    memory = resource.get("memory")
    if memory is not None and (isinstance(memory, bool) or not isinstance(memory, int) or memory <= 0):
        report.error(file, "resource.memory: must be a positive number of bytes", DAEMON_PACKAGE, "resource.memory")
    storage = get_path(resource, "permission.storage")
    if isinstance(storage, Mapping):
        size = storage.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or not 1024 <= size <= 1073741824:
            report.error(
                file,
                "resource.permission.storage.size: must be 1024..1073741824 bytes",
                DAEMON_PACKAGE,
                "resource.permission.storage.size",
            )


def check_plugins_field(tree: PluginTree, file: str, plugins: Any, report: Report) -> None:
    if not isinstance(plugins, Mapping):
        if plugins is not None:
            report.error(file, "plugins: must be a mapping", DAEMON_PACKAGE, "plugins")
        return
    declared = 0
    for kind in PLUGIN_KINDS:
        paths = plugins.get(kind)
        if paths is None:
            continue
        if not isinstance(paths, list):
            report.error(file, f"plugins.{kind}: must be a list of file paths", DAEMON_PACKAGE, f"plugins.{kind}")
            continue
        declared += len(paths)
        for index, path in enumerate(paths):
            field_path = f"plugins.{kind}[{index}]"
            if not isinstance(path, str) or not path:
                report.error(file, f"{field_path}: must be a file path", DAEMON_PACKAGE, field_path)
            elif len(path) > 128:
                report.error(file, f"{field_path}: must be at most 128 characters", DAEMON_PACKAGE, field_path)
            elif not tree.is_packed(path):
                report.error(file, f"{field_path}: {path} {tree.why_missing(path)}", DAEMON_PACKAGE, field_path)
            elif kind == "tools":
                check_tool_provider_file(tree, path, report)
        if len(paths) > 1:
            report.warning(
                file, f"plugins.{kind}: the daemon keeps only the last of {len(paths)} entries", DAEMON_PACKAGE
            )
    if declared == 0:
        report.error(file, f"plugins: must list at least one of {', '.join(PLUGIN_KINDS)}", DAEMON_INSTALL, "plugins")


def check_meta(tree: PluginTree, file: str, meta: Any, report: Report) -> None:
    if not isinstance(meta, Mapping):
        if meta is not None:
            report.error(file, "meta: must be a mapping", DAEMON_PACKAGE, "meta")
        return
    version = meta.get("version")
    if not is_blank(version) and not VERSION_PATTERN.match(str(version)):
        report.error(file, f"meta.version: must match {VERSION_PATTERN.pattern}", DAEMON_PACKAGE, "meta.version")
    arch = meta.get("arch")
    if not is_blank(arch) and (not isinstance(arch, list) or any(item not in ARCHITECTURES for item in arch)):
        report.error(file, "meta.arch: must be a list of amd64 and/or arm64", DAEMON_PACKAGE, "meta.arch")
    runner = meta.get("runner")
    if isinstance(runner, Mapping):
        language = runner.get("language")
        if not is_blank(language) and language != "python":
            report.error(file, "meta.runner.language: must be python", DAEMON_PACKAGE, "meta.runner.language")
        runner_version = runner.get("version")
        if not is_blank(runner_version) and len(str(runner_version)) > 128:
            report.error(
                file, "meta.runner.version: must be at most 128 characters", DAEMON_PACKAGE, "meta.runner.version"
            )
        entrypoint = runner.get("entrypoint")
        if not is_blank(entrypoint):
            module_path = str(entrypoint).replace(".", "/")
            candidates = (f"{module_path}.py", f"{module_path}/__main__.py")
            if len(str(entrypoint)) > 256:
                report.error(
                    file, "meta.runner.entrypoint: must be at most 256 characters", DAEMON_PACKAGE, "meta.runner"
                )
            elif not any(tree.is_packed(candidate) for candidate in candidates):
                report.error(
                    file,
                    f"meta.runner.entrypoint: {candidates[0]} {tree.why_missing(candidates[0])} "
                    f"(the daemon runs `python -m {entrypoint}`)",
                    DAEMON_RUNTIME,
                    "meta.runner.entrypoint",
                )
    elif runner is not None:
        report.error(file, "meta.runner: must be a mapping", DAEMON_PACKAGE, "meta.runner")
    if is_blank(meta.get("minimum_dify_version")):
        report.warning(file, "meta.minimum_dify_version: not set", MARKETPLACE_WARNING)


def check_tags(file: str, field_path: str, tags: list[Any], report: Report) -> None:
    for index, tag in enumerate(tags):
        if tag not in PLUGIN_TAGS:
            report.error(
                file,
                f"{field_path}[{index}]: {tag!r} is not a Dify plugin tag (use one of: {', '.join(PLUGIN_TAGS)})",
                DAEMON_PACKAGE,
                f"{field_path}[{index}]",
            )


def is_rfc3339(value: Any) -> bool:
    if isinstance(value, datetime):  # an unquoted YAML timestamp
        return value.tzinfo is not None
    if isinstance(value, date) or not isinstance(value, str) or not RFC3339_PATTERN.match(value):
        return False
    try:
        datetime.fromisoformat(value.upper())
    except ValueError:  # e.g. month 13
        return False
    return True


# ── provider and tool YAML: what the SDK models do not check ────────────────────────────────────


def check_tool_provider_file(tree: PluginTree, path: str, report: Report) -> None:
    provider = load_yaml(tree, path, report, DAEMON_PACKAGE)
    if provider is None:
        return
    identity = provider.get("identity")
    if isinstance(identity, Mapping):
        check_identity_name(path, identity, report)
        for icon_field in ("icon", "icon_dark"):
            if not is_blank(identity.get(icon_field)):
                rule = DAEMON_PACKAGE if icon_field == "icon" else DAEMON_INSTALL
                check_asset(tree, path, f"identity.{icon_field}", identity[icon_field], report, rule)
        check_i18n(path, "identity.label", identity.get("label"), report, require_en_us=True)
        check_i18n(path, "identity.description", identity.get("description"), report, require_en_us=False)
        if isinstance(identity.get("tags"), list):
            check_tags(path, "identity.tags", identity["tags"], report)
    check_python_source(tree, path, provider, report)
    tools = provider.get("tools")
    if not isinstance(tools, list):
        return
    for index, tool_path in enumerate(tools):
        if not isinstance(tool_path, str):
            continue  # inline declarations: the SDK model reports them
        if not tree.is_packed(tool_path):
            report.error(path, f"tools[{index}]: {tool_path} {tree.why_missing(tool_path)}", DAEMON_PACKAGE, "tools")
            continue
        tool = load_yaml(tree, tool_path, report, DAEMON_PACKAGE)
        if tool is None:
            continue
        if isinstance(tool.get("identity"), Mapping):
            check_identity_name(tool_path, tool["identity"], report)
            check_i18n(tool_path, "identity.label", tool["identity"].get("label"), report, require_en_us=True)
        if isinstance(tool.get("description"), Mapping):
            human = tool["description"].get("human")
            check_i18n(tool_path, "description.human", human, report, require_en_us=True)
        check_python_source(tree, tool_path, tool, report)
        check_tool_options(tool_path, tool, report)


def check_tool_options(file: str, tool: Mapping[str, Any], report: Report) -> None:
    """The model and size menus: the rules the template's answers meet (includes/rules.jinja)."""
    name = str((tool.get("identity") or {}).get("name", file))
    for parameter in tool.get("parameters") or []:
        if not isinstance(parameter, Mapping) or parameter.get("type") not in ("select", "dynamic-select"):
            continue
        options = [option for option in parameter.get("options") or [] if isinstance(option, Mapping)]
        if parameter.get("name") == "model" and any(
            is_blank(option.get("value")) or is_blank((option.get("label") or {}).get("en_US")) for option in options
        ):
            report.error(file, f"{name}.models: need id, label", PROJECT, "parameters")
        if parameter.get("name") == "size" and any(
            not SIZE_PATTERN.match(str(option.get("value"))) for option in options
        ):
            report.error(file, f"{name}.sizes: WIDTHxHEIGHT", PROJECT, "parameters")


def check_identity_name(file: str, identity: Mapping[str, Any], report: Report) -> None:
    name = identity.get("name")
    if not is_blank(name) and not IDENTITY_NAME_PATTERN.match(str(name)):
        report.error(
            file, f"identity.name: must match {IDENTITY_NAME_PATTERN.pattern}", DAEMON_DECLARATION, "identity.name"
        )


def check_python_source(tree: PluginTree, file: str, declaration: Mapping[str, Any], report: Report) -> None:
    """extra.python.source names the module the SDK imports at start-up."""
    source = get_path(declaration, "extra.python.source")
    if isinstance(source, str) and source and not tree.is_packed(source):
        report.error(
            file, f"extra.python.source: {source} {tree.why_missing(source)}", SDK_STARTUP, "extra.python.source"
        )
        return
    dynamic = [
        p.get("name")
        for p in declaration.get("parameters") or []
        if isinstance(p, Mapping) and p.get("type") == "dynamic-select"
    ]
    if dynamic and isinstance(source, str) and "def _fetch_parameter_options" not in (tree.read_text(source) or ""):
        # Without it the SDK raises NotImplementedError and Dify shows an empty menu.
        report.error(file, f"{dynamic[0]}: dynamic-select needs _fetch_parameter_options in {source}", PROJECT)


# ── marketplace files: PRIVACY.md, README.md, requirements.txt, icon ────────────────────────────


# Providers and model families a label may name; one the plugin does not call is a leftover of another plugin.
# fmt: off
KNOWN_NAMES = (
    "ModelScope", "魔搭", "DashScope", "Model Studio", "百炼", "Qwen", "通义", "Wan", "万相", "SiliconFlow", "硅基流动",
    "OpenAI", "GPT", "DALL-E", "Kolors", "FLUX", "Black Forest", "Seedream", "Seedance", "Doubao", "豆包",
    "Volcengine", "火山", "CogView", "Zhipu", "智谱", "Replicate", "Stability", "Midjourney", "Kling", "可灵",
)
# fmt: on


def check_names_in_labels(tree: PluginTree, manifest: dict[str, Any], report: Report) -> None:
    """Warn when the plugin's label or description names a provider or model none of its files uses."""
    used = " ".join(
        (tree.read_text(path) or "")
        for path in tree.files
        if path == JOB_SETTINGS or (path.endswith(".yaml") and path.startswith(("tools/", "provider/")))
    ).lower()
    for field_path in ("label", "description"):
        texts = manifest.get(field_path)
        if not isinstance(texts, Mapping):
            continue
        for name in KNOWN_NAMES:
            pattern = rf"(?<![a-z]){re.escape(name.lower())}(?![a-z])" if name.isascii() else re.escape(name)
            if re.search(pattern, used):
                continue
            locales = [locale for locale, text in texts.items() if re.search(pattern, str(text).lower())]
            if locales:
                report.warning(
                    "manifest.yaml",
                    f"{field_path} ({', '.join(locales)}) names {name}, which no model or provider of this plugin is",
                    PROJECT,
                    field_path,
                )


def check_privacy(tree: PluginTree, manifest: dict[str, Any], report: Report) -> None:
    privacy = manifest.get("privacy")
    documents = ["PRIVACY.md"]
    is_local_file = isinstance(privacy, str) and privacy and not privacy.startswith(("http://", "https://"))
    if is_local_file and normalize(privacy) != "PRIVACY.md":
        documents.append(normalize(privacy))
    for document in documents:
        if not tree.is_packed(document):
            report.error(document, f"missing from the package ({tree.why_missing(document)})", MARKETPLACE)
            continue
        text = tree.read_text(document) or ""
        if not text.strip():
            report.error(document, "must not be empty", MARKETPLACE)
        elif PRIVACY_PLACEHOLDER.search(text):
            report.error(document, 'still the "Please fill in the privacy policy" placeholder', MARKETPLACE)
        elif not PRIVACY_WORDS.search(text):
            report.warning(
                document, "does not say what data is collected, stored, logged or shared", MARKETPLACE_WARNING
            )


def check_readme(tree: PluginTree, report: Report) -> None:
    file = "README.md"
    if not tree.is_packed(file):
        report.error(file, f"missing from the package ({tree.why_missing(file)})", MARKETPLACE)
        return
    text = tree.read_text(file) or ""
    if not text.strip():
        report.error(file, "must not be empty", MARKETPLACE)
        return
    if not REPO_URL_IN_TEXT.search(text):
        report.error(
            file,
            "must contain the source repository URL (GitHub, GitLab, Bitbucket, Gitee, Codeberg or sourcehut)",
            MARKETPLACE,
        )
    cjk_lines = [number for number, line in lines_outside_fences(text) if CJK_PATTERN.search(line)]
    if cjk_lines:
        report.error(
            f"{file}:{cjk_lines[0]}",
            f"English only (CJK goes in _zh): {len(cjk_lines)} line(s) outside code blocks; "
            "translations go in readme/README_<locale>.md",
            MARKETPLACE,
        )
    lowered = text.lower()
    for topic, words in (
        ("setup", ("setup", "set up", "install")),
        ("usage", ("usage", "how to use")),
        ("credentials", ("credential", "api key", "token")),
    ):
        if not any(word in lowered for word in words):
            report.warning(file, f"no {topic} section", MARKETPLACE_WARNING)


def lines_outside_fences(text: str) -> Iterator[tuple[int, str]]:
    """(line number, line) for the Markdown lines outside ``` and ~~~ fenced code blocks."""
    fence: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.lstrip()
        marker = stripped[:3]
        if marker in ("```", "~~~"):
            if fence is None:
                fence = marker
                continue
            if marker == fence:
                fence = None
                continue
        if fence is None:
            yield number, line


def check_requirements(tree: PluginTree, report: Report) -> None:
    file = "requirements.txt"
    if not tree.is_packed(file):
        if tree.is_packed("pyproject.toml"):
            report.warning(
                file, "missing: the daemon installs pyproject.toml with uv; dependencies not checked", DAEMON_RUNTIME
            )
        else:
            report.error(
                file, f"missing ({tree.why_missing(file)}); the daemon installs dependencies from it", DAEMON_RUNTIME
            )
        return
    found_sdk = False
    for number, raw_line in enumerate((tree.read_text(file) or "").splitlines(), start=1):
        line = re.sub(r"(^|\s)#.*$", "", raw_line).strip()
        location = f"{file}:{number}"
        if not line:
            continue
        if line.startswith(("-e", "--editable")):
            report.warning(location, f"{line}: editable requirement", MARKETPLACE_WARNING)
            continue
        if line.startswith("-"):
            report.warning(location, f"{line}: pip options are not checked", MARKETPLACE_WARNING)
            continue
        if "git+" in line or "://" in line or re.search(r"\s@\s", line):
            report.error(location, f"{line}: VCS or URL requirement; require a released version", MARKETPLACE)
            continue
        if line.startswith((".", "/")):
            report.warning(location, f"{line}: local path requirement", MARKETPLACE_WARNING)
            continue
        try:
            requirement = Requirement(line)
        except InvalidRequirement as error:
            report.error(location, f"{line}: not a valid requirement ({error})", MARKETPLACE)
            continue
        specifiers = list(requirement.specifier)
        name = canonicalize_name(requirement.name)
        if not specifiers:
            report.error(
                location, f"{requirement.name}: no version constraint (e.g. {requirement.name}>=1.2,<2)", MARKETPLACE
            )
        elif not any(specifier.operator in ("<", "<=", "==", "===", "~=") for specifier in specifiers):
            report.error(
                location,
                f"{requirement.name}{requirement.specifier}: no upper bound "
                "(add <NEXT_MAJOR; the marketplace only warns)",
                PROJECT,
            )
        if name in LARGE_DEPENDENCIES:
            report.warning(location, f"{requirement.name}: large dependency", MARKETPLACE_WARNING)
        if name == "dify-plugin":
            found_sdk = True
            lower_bound = sdk_lower_bound(specifiers)
            if lower_bound is None or lower_bound < Version("0.9.0"):
                report.error(
                    location, f"{requirement.name}{requirement.specifier}: lower bound must be >= 0.9.0", MARKETPLACE
                )
    if not found_sdk:
        report.error(file, "dify_plugin is not required; the plugin cannot start without it", DAEMON_RUNTIME)


def sdk_lower_bound(specifiers: Sequence[Any]) -> Version | None:
    bounds = []
    for specifier in specifiers:
        if specifier.operator in (">=", ">", "==", "~=", "==="):
            try:
                bounds.append(Version(specifier.version.removesuffix(".*")))
            except InvalidVersion:
                continue
    return max(bounds) if bounds else None


def check_icons(tree: PluginTree, manifest: dict[str, Any], report: Report) -> None:
    icons = {f"_assets/{manifest[key]}" for key in ("icon", "icon_dark") if isinstance(manifest.get(key), str)}
    icons.update(path for path in tree.files if path.startswith("_assets/"))
    for icon in sorted(icons):
        if tree.is_packed(icon) and TEMPLATE_ICON_MARKER in tree.read_bytes(icon):
            report.error(
                icon, f"is Dify's template icon ({TEMPLATE_ICON_MARKER.decode()}); use your own icon", MARKETPLACE
            )


# ── packed files: banned files, binaries, secrets, syntax ───────────────────────────────────────


def check_packed_files(tree: PluginTree, report: Report) -> None:
    banned_folders: Counter[str] = Counter()
    build_folders: Counter[str] = Counter()
    dev_folders: Counter[str] = Counter()
    for path in tree.files:
        parts = path.split("/")
        name = parts[-1]
        suffix = PurePosixPath(name).suffix.lower()
        if len(parts) > 1 and parts[0] in DEV_FOLDERS:
            dev_folders[parts[0] + "/"] += 1
            continue
        if len(parts) == 1 and name in DEV_FILES:
            report.error(path, "development file, not needed at run time; exclude it in .difyignore", PROJECT)
            continue
        if path == SIGNATURE_FILE and tree.ignore is not None:  # in a folder: signing would refuse the package
            report.error(path, "only signing adds this file; delete it from the plugin folder", PROJECT)
            continue
        banned_depth = next((depth for depth, part in enumerate(parts[:-1]) if part in BANNED_FOLDERS), None)
        if banned_depth is not None:
            banned_folders["/".join(parts[: banned_depth + 1]) + "/"] += 1
            continue
        build_depth = next((depth for depth, part in enumerate(parts[:-1]) if part in BUILD_FOLDERS), None)
        if build_depth is not None:
            build_folders["/".join(parts[: build_depth + 1]) + "/"] += 1
        if name in BANNED_NAMES or (is_env_file(name) and name not in ALLOWED_ENV_FILES):
            report.error(path, "must not be in the package; exclude it in .difyignore", MARKETPLACE)
        elif suffix in BANNED_SUFFIXES:
            report.error(path, f"{suffix} files must not be in the package; exclude them in .difyignore", MARKETPLACE)
        elif suffix == ".difypkg":
            report.error(path, "a package inside the package; exclude *.difypkg and dist/ in .difyignore", PROJECT)
        elif suffix in BINARY_SUFFIXES or name.startswith("dify-plugin-"):
            report.error(path, "native binaries must not be in the package", MARKETPLACE)
        elif (kind := executable_kind(tree, path)) is not None:
            report.error(path, f"is {kind}; native binaries must not be in the package", MARKETPLACE)
        elif suffix in ARCHIVE_SUFFIXES:
            report.warning(path, "archive in the package", MARKETPLACE_WARNING)
        elif suffix in SUSPICIOUS_SUFFIXES:
            report.warning(path, f"{suffix} file in the package", MARKETPLACE_WARNING)
    for folder, count in sorted(banned_folders.items()):
        report.error(folder, f"must not be in the package ({count} file(s)); exclude it in .difyignore", MARKETPLACE)
    for folder, count in sorted(dev_folders.items()):
        message = f"development files in the package ({count} file(s)); only runtime files belong there: exclude it"
        report.error(folder, f"{message} in .difyignore", PROJECT)
    for folder, count in sorted(build_folders.items()):
        report.warning(folder, f"build output in the package ({count} file(s))", MARKETPLACE_WARNING)


def is_env_file(name: str) -> bool:
    return name == ".env" or name.startswith(".env.")


def executable_kind(tree: PluginTree, path: str) -> str | None:
    with tree.files[path].source.open("rb") as handle:
        head = handle.read(1024)
    for magic, kind in EXECUTABLE_MAGIC.items():
        if head.startswith(magic):
            return kind
    if head.startswith(b"MZ") and b"\0" in head:  # a text file may start with "MZ", a PE file has NUL bytes
        return "a Windows executable"
    return None


def shannon_entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(count / len(text) * math.log2(count / len(text)) for count in counts.values())


def check_secrets(tree: PluginTree, report: Report) -> None:
    for path, packed_file in tree.files.items():
        try:
            content = packed_file.source.read_bytes()
        except OSError:
            continue
        if b"\0" in content[:8192]:
            continue  # binary
        text = content.decode("utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            known = next((description for pattern, description in SECRET_PATTERNS if pattern.search(line)), None)
            if known is not None:
                report.error(f"{path}:{number}", f"looks like {known}; never ship secrets", MARKETPLACE)
                continue  # one problem per line is enough
            for match in SECRET_ASSIGNMENT.finditer(line):
                value = match.group("value")
                if PLACEHOLDER_WORDS.search(value) or not (re.search(r"\d", value) and re.search(r"[A-Za-z]", value)):
                    continue  # placeholders, identifiers and field names are not credentials
                if len(value) >= HIGH_ENTROPY_MIN_LENGTH and shannon_entropy(value) >= HIGH_ENTROPY_BITS:
                    report.error(
                        f"{path}:{number}",
                        f"{match.group('key')}: high-entropy literal looks like a real credential; never ship secrets",
                        MARKETPLACE,
                    )
                else:
                    message = f"{match.group('key')}: literal looks like a credential"
                    report.warning(f"{path}:{number}", message, MARKETPLACE_WARNING)


def check_python_syntax(tree: PluginTree, report: Report) -> None:
    """The marketplace byte-compiles the package; compile() finds the same errors without writing .pyc files."""
    for path in tree.files:
        if not path.endswith(".py"):
            continue
        try:
            compile(tree.read_bytes(path), path, "exec", dont_inherit=True)
        except SyntaxError as error:
            report.error(f"{path}:{error.lineno}", f"syntax error: {error.msg}", MARKETPLACE)
        except ValueError as error:  # e.g. NUL bytes
            report.error(path, f"cannot be compiled: {error}", MARKETPLACE)


CONFLICT_MARKER = re.compile(r"^(<{7} |>{7} |={7}$)", re.MULTILINE)
JOB_SETTINGS = "job_client/settings.yaml"


def check_conflict_markers(tree: PluginTree, report: Report) -> None:
    """A `copier update` that could not merge leaves markers; such a file would ship broken."""
    for path in tree.files:
        text = tree.read_text(path)
        match = CONFLICT_MARKER.search(text) if text is not None else None
        if match:
            line = text.count("\n", 0, match.start()) + 1
            report.error(f"{path}:{line}", "unresolved merge conflict marker (resolve the `copier update`)", PROJECT)


def check_job_settings(tree: PluginTree, report: Report) -> None:
    """The API description the job client reads at every call: loaded for each tool it describes."""
    if not tree.is_packed(JOB_SETTINGS) or not tree.is_packed("job_client/settings.py"):
        return
    raw = load_yaml(tree, JOB_SETTINGS, report, PROJECT)
    if raw is None:
        return
    tools = sorted(raw.get("tools") or {}) or ["text2image"]
    with plugin_runtime(tree.root):
        try:
            settings_module = importlib.import_module("job_client.settings")
        except Exception as error:  # noqa: BLE001 (any import failure is the finding)
            report.error("job_client/settings.py", f"cannot be imported: {describe(error, tree.root)}", PROJECT)
            return
        for tool in tools:
            try:
                settings_module.load_settings(tree.root / JOB_SETTINGS, tool=tool)
            except (ValueError, TypeError) as error:
                report.error(JOB_SETTINGS, str(error), PROJECT)


# ── SDK: models, ignored keys, start-up ─────────────────────────────────────────────────────────


def check_with_sdk(tree: PluginTree, manifest: dict[str, Any], report: Report) -> None:
    """Validate every YAML file with the SDK's models, report ignored keys, then start the plugin."""
    try:
        from dify_plugin.config.config import DifyPluginEnv
        from dify_plugin.core.entities.plugin.setup import PluginConfiguration
        from dify_plugin.core.plugin_registration import PluginRegistration
        from dify_plugin.entities.tool import ToolConfiguration, ToolProviderConfiguration
        from dify_plugin.interfaces.tool import ToolProvider
    except ImportError as error:
        raise CannotCheck(
            f"the Dify SDK cannot be imported ({error}); run check.py with the plugin's interpreter after "
            "`pip install -r requirements.txt`, or pass --skip-sdk"
        ) from None

    errors_before = len(report.errors)
    unparsable = False  # a YAML file the static checks already reported as broken
    with plugin_runtime(tree.root):
        manifest_file = "manifest.yaml"
        validate_model(PluginConfiguration, manifest, manifest_file, report)
        report_ignored_keys(manifest_file, manifest, PluginConfiguration, report, extra_keys=MANIFEST_KEYS_BEYOND_SDK)
        provider_paths = get_path(manifest, "plugins.tools")
        for provider_path in provider_paths if isinstance(provider_paths, list) else []:
            if not isinstance(provider_path, str) or not tree.is_packed(provider_path):
                continue
            provider = load_yaml(tree, provider_path, Report(), SDK)
            if provider is None:
                unparsable = True
                continue
            tool_paths = provider.get("tools")
            if isinstance(tool_paths, list) and all(isinstance(path, str) for path in tool_paths):
                for tool_path in tool_paths:
                    parsed = check_tool_file_with_sdk(
                        tree, tool_path, report, ToolProviderConfiguration, ToolConfiguration
                    )
                    unparsable = unparsable or not parsed
                provider = {**provider, "tools": []}  # each tool was validated on its own, with its own file name
            validate_model(ToolProviderConfiguration, provider, provider_path, report)
            report_ignored_keys(provider_path, provider, ToolProviderConfiguration, report)

        if unparsable or len(report.errors) > errors_before:
            return  # start-up would stop at the first of the errors above
        try:
            registration = PluginRegistration(DifyPluginEnv())
        except Exception as error:  # noqa: BLE001 - anything the plugin's own code raises while loading
            report.error(blame(error, tree), f"start-up failed: {describe(error, tree.root)}", SDK_STARTUP)
            return
        for provider_config, provider_class, tools in registration.tools_mapping.values():
            source = provider_config.extra.python.source
            if provider_class._validate_credentials is ToolProvider._validate_credentials:
                report.warning(
                    source,
                    f"{provider_class.__name__} does not override _validate_credentials (the SDK default raises)",
                    SDK_STARTUP,
                )
            for tool_config, tool_class in tools.values():
                if inspect.isabstract(tool_class):
                    missing = ", ".join(sorted(tool_class.__abstractmethods__))
                    report.error(
                        tool_config.extra.python.source,
                        f"{tool_class.__name__} is abstract (implement {missing})",
                        SDK_STARTUP,
                    )


def check_tool_file_with_sdk(
    tree: PluginTree, tool_path: str, report: Report, provider_model: Any, tool_model: Any
) -> bool:
    """Validate one tool YAML the way the SDK loads it; False when it is missing or not YAML (already reported)."""
    tool = load_yaml(tree, tool_path, Report(), SDK) if tree.is_packed(tool_path) else None
    if tool is None:
        return False
    try:
        provider_model.validate_tools([tool_path])  # the SDK's own loader, relative to the plugin folder
    except Exception as error:  # noqa: BLE001 - the SDK wraps every failure in a ValueError or KeyError
        subset = {key: tool[key] for key in TOOL_FILE_KEYS if key in tool}
        if not validate_model(tool_model, subset, tool_path, report, raw=tool):
            report.error(tool_path, " ".join(str(error).split()), SDK)
    report_ignored_keys(tool_path, tool, tool_model, report, only_keys=TOOL_FILE_KEYS)
    return True


def validate_model(model: Any, data: dict[str, Any], file: str, report: Report, raw: Any = None) -> bool:
    """Validate data with an SDK model and report each error at its location; False when the model accepts it."""
    try:
        model.model_validate(copy.deepcopy(data))  # the SDK's validators mutate their input
    except Exception as error:  # noqa: BLE001 - SDK validators also raise TypeError, KeyError...
        if not hasattr(error, "errors"):  # not a pydantic ValidationError: no locations to report
            report.error(file, f"{type(error).__name__}: {' '.join(str(error).split())}", SDK)
            return True
        for detail in error.errors():
            location = format_location(detail["loc"], data if raw is None else raw)
            if location and report.already_reported(file, location):
                continue  # a daemon or marketplace rule already said it, more precisely
            report.error(file, f"{location or '(file)'}: {detail['msg']}", SDK, location)
        return True
    return False


def format_location(location: Sequence[Any], raw: Any) -> str:
    """('parameters', 1, 'type') -> 'parameters[1:size].type', naming list items by their name key."""
    text = ""
    node = raw
    for step in location:
        if isinstance(step, int) and isinstance(node, Mapping) and step < len(node):
            # A mapping the SDK turned into a list (credentials_for_provider): name the entry by its key.
            key = list(node)[step]
            text += f".{key}"
            node = node[key]
        elif isinstance(step, int):
            item = node[step] if isinstance(node, list) and step < len(node) else None
            text += list_item_label(step, item)
            node = item
        else:
            text += f".{step}" if text else str(step)
            node = node.get(step) if isinstance(node, Mapping) else None
    return text


def list_item_label(index: int, item: Any) -> str:
    """[1:size] for a list item with a name (parameters), else [1]."""
    name = item.get("name") if isinstance(item, Mapping) else None
    return f"[{index}:{name}]" if isinstance(name, str) and name else f"[{index}]"


def report_ignored_keys(
    file: str,
    raw: Any,
    model: Any,
    report: Report,
    *,
    extra_keys: Sequence[str] = (),
    only_keys: Sequence[str] | None = None,
) -> None:
    for location, accepted in ignored_keys(raw, model, "", extra_keys=extra_keys, only_keys=only_keys):
        report.warning(file, f"{location}: key ignored by the SDK (accepted here: {', '.join(sorted(accepted))})", SDK)


def ignored_keys(
    raw: Any,
    model: Any,
    prefix: str,
    *,
    extra_keys: Sequence[str] = (),
    only_keys: Sequence[str] | None = None,
) -> Iterator[tuple[str, list[str]]]:
    """(location, accepted keys) for every key of raw that the pydantic model would silently drop."""
    if not isinstance(raw, Mapping):
        return
    fields = {}
    for name, info in model.model_fields.items():
        key = info.validation_alias if isinstance(info.validation_alias, str) else info.alias or name
        if only_keys is None or key in only_keys:
            fields[key] = info.annotation
    accepted = [*fields, *extra_keys]
    for key, value in raw.items():
        location = f"{prefix}.{key}" if prefix else str(key)
        if key not in fields:
            if key not in extra_keys:
                yield location, accepted
            continue
        nested = nested_model(fields[key])
        if nested is None:
            continue
        sub_model, is_list = nested
        if not is_list:
            yield from ignored_keys(value, sub_model, location)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                yield from ignored_keys(item, sub_model, location + list_item_label(index, item))
        elif isinstance(value, Mapping):  # e.g. credentials_for_provider: name -> config, turned into a list
            for name, item in value.items():
                yield from ignored_keys(item, sub_model, f"{location}.{name}")


def nested_model(annotation: Any) -> tuple[Any, bool] | None:
    """(pydantic model, is a list) inside an annotation such as `Model | None` or `list[Model]`."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        for argument in typing.get_args(annotation):
            found = nested_model(argument)
            if found is not None:
                return found
        return None
    if origin in (list, tuple, Sequence, set):
        arguments = typing.get_args(annotation)
        inner = nested_model(arguments[0]) if arguments else None
        return (inner[0], True) if inner is not None and not inner[1] else None
    if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
        return annotation, False
    return None  # scalars, enums, free-form mappings


@contextlib.contextmanager
def plugin_runtime(root: Path) -> Iterator[None]:
    """Run with cwd = the plugin folder and the folder first on sys.path, as the daemon starts the plugin.

    Modules named like the plugin's top-level files (tools, provider, ...) are set aside first and the plugin's
    own modules are dropped afterwards, so a second check in the same interpreter loads its own code.
    """
    top_level = {entry.stem if entry.suffix == ".py" else entry.name for entry in root.iterdir()}
    set_aside = {name: module for name, module in sys.modules.items() if name.split(".")[0] in top_level}
    for name in set_aside:
        del sys.modules[name]
    saved_path, saved_cwd, saved_dont_write_bytecode = list(sys.path), os.getcwd(), sys.dont_write_bytecode
    loaded_before = set(sys.modules)
    sys.path.insert(0, str(root))
    os.chdir(root)
    sys.dont_write_bytecode = True  # checking must not leave __pycache__ folders in the plugin
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        sys.path[:] = saved_path
        sys.dont_write_bytecode = saved_dont_write_bytecode
        for name in set(sys.modules) - loaded_before:
            if name.split(".")[0] in top_level:
                del sys.modules[name]
        sys.modules.update(set_aside)
        importlib.invalidate_caches()


def blame(error: BaseException, tree: PluginTree) -> str:
    """The packed file (and line) where start-up failed, from the traceback or else the message."""
    root = tree.root.resolve()

    def packed_path(filename: str) -> str | None:
        path = Path(filename).resolve()
        if not path.is_relative_to(root):
            return None
        relative = path.relative_to(root).as_posix()
        return relative if tree.is_packed(relative) else None

    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    for exception in reversed(chain):  # the innermost cause first
        if isinstance(exception, SyntaxError) and exception.filename and packed_path(exception.filename):
            return f"{packed_path(exception.filename)}:{exception.lineno}"
        for frame in reversed(traceback.extract_tb(exception.__traceback__)):
            relative = packed_path(frame.filename)
            if relative is not None:
                return f"{relative}:{frame.lineno}"
    for match in re.finditer(r"(/\S+?\.(?:py|yaml))", str(error)):  # e.g. "Missing subclass of Tool in /x/a.py"
        relative = packed_path(match.group(1))
        if relative is not None:
            return relative
    return "(start-up)"


def describe(error: BaseException, root: Path) -> str:
    message = f"{type(error).__name__}: {error}".replace(str(root.resolve()) + os.sep, "")
    return " ".join(message.split())


# ── targets: folder or package ──────────────────────────────────────────────────────────────────


def open_folder(folder: Path, report: Report) -> PluginTree | None:
    if not (folder / "manifest.yaml").is_file():
        raise CannotCheck(f"{folder}: no manifest.yaml (not a plugin folder)")
    ignore = load_ignore_rules(folder)
    try:
        files = collect_files(folder)
    except PackagingError as error:
        report.error("(package)", str(error), DAEMON_PACKAGE)
        return None
    return PluginTree(folder, {packed_file.path: packed_file for packed_file in files}, ignore)


def unsafe_entry_name(name: str) -> bool:
    posix = name.replace("\\", "/")
    return posix.startswith("/") or bool(re.match(r"^[A-Za-z]:", posix)) or ".." in PurePosixPath(posix).parts


def open_package(package: Path, destination: Path, report: Report) -> PluginTree | None:
    """Check the archive itself, then extract it safely; None when it must not or cannot be extracted."""
    label = package.name
    try:
        archive = zipfile.ZipFile(package)
    except (zipfile.BadZipFile, OSError) as error:
        raise CannotCheck(f"{package}: not a readable .difypkg ({error})") from None
    with archive:
        infos = archive.infolist()
        unsafe = [info.filename for info in infos if unsafe_entry_name(info.filename)]
        for name in unsafe:
            report.error(label, f"{name}: absolute or '..' entry name; not extracted", DAEMON_INSTALL)
        if unsafe:
            return None
        names = Counter(info.filename for info in infos)
        for name, count in names.items():
            if count > 1:
                report.error(label, f"{name}: {count} entries with the same name", DAEMON_INSTALL)
        for info in infos:
            if info.is_dir():
                report.error(label, f"{info.filename}: folder entry (the daemon fails on it)", DAEMON_INSTALL)
            elif info.filename.startswith("./"):
                message = f"{info.filename}: './' prefix (the daemon does not find the assets)"
                report.error(label, message, DAEMON_INSTALL)
            elif "\\" in info.filename:
                report.error(label, f"{info.filename}: backslash in the entry name", DAEMON_INSTALL)
            if (info.external_attr >> 16) & 0o111 and not info.is_dir():  # both packers store no exec bits
                report.warning(normalize(info.filename), "has the executable bit", MARKETPLACE_WARNING)
        files = [info for info in infos if not info.is_dir()]
        total_bytes = sum(info.file_size for info in files)
        sizes = [PackedFile(info.filename, Path(), info.file_size) for info in files]
        for message in limit_violations(sizes):
            report.error(label, message, DAEMON_INSTALL)
        if total_bytes > difypkg.MAX_PACKAGE_BYTES:
            return None  # never inflate what the daemon refuses to read (zip bombs)
        packed: dict[str, PackedFile] = {}
        for info in files:
            relative_path = normalize(info.filename)
            target = destination / relative_path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(info))
            packed[relative_path] = PackedFile(relative_path, target, info.file_size)
    if "manifest.yaml" not in packed:
        report.error(label, "manifest.yaml: missing at the archive root", DAEMON_PACKAGE)
        return None
    return PluginTree(destination, dict(sorted(packed.items())))


def run_checks(tree: PluginTree, report: Report, *, skip_sdk: bool) -> None:
    report.file_count = len(tree.files)
    manifest = None
    if tree.is_packed("manifest.yaml"):
        manifest = load_yaml(tree, "manifest.yaml", report, DAEMON_PACKAGE)
    else:
        report.error("manifest.yaml", tree.why_missing("manifest.yaml"), DAEMON_PACKAGE)
    if tree.ignore is not None:  # an archive's limits were checked on its entries
        for message in limit_violations(list(tree.files.values())):
            report.error("(package)", message, DAEMON_PACKAGE)
    check_packed_files(tree, report)
    check_secrets(tree, report)
    check_python_syntax(tree, report)
    check_conflict_markers(tree, report)
    check_readme(tree, report)
    check_requirements(tree, report)
    if manifest is None:
        return
    check_manifest(tree, manifest, report)
    check_privacy(tree, manifest, report)
    check_icons(tree, manifest, report)
    check_names_in_labels(tree, manifest, report)
    entries = [(path, tree.read_bytes(path)) for path in tree.files]
    report.identifier = unique_identifier(read_identity(manifest), compute_checksum(entries))
    if not skip_sdk:
        check_with_sdk(tree, manifest, report)  # first: dify_plugin must be imported before requests
    check_job_settings(tree, report)


def check(target: Path, *, skip_sdk: bool = False) -> Report:
    """Check a plugin folder or a .difypkg. Raises CannotCheck when that is impossible."""
    report = Report()
    target = Path(target)
    if target.is_dir():
        tree = open_folder(target.absolute(), report)
        if tree is not None:
            run_checks(tree, report, skip_sdk=skip_sdk)
    elif target.is_file():
        with tempfile.TemporaryDirectory(prefix="difypkg-check-") as temporary:
            tree = open_package(target, Path(temporary), report)
            if tree is not None:
                run_checks(tree, report, skip_sdk=skip_sdk)
    else:
        raise CannotCheck(f"{target}: no such folder or file")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check a Dify plugin folder or .difypkg before publishing it.")
    parser.add_argument(
        "target", nargs="?", type=Path, default=DEFAULT_PLUGIN_DIR, help="plugin folder or .difypkg (default: its own)"
    )
    parser.add_argument("--strict", action="store_true", help="warnings fail too (exit status 1)")
    parser.add_argument("--skip-sdk", action="store_true", help="static rules only: do not import the SDK")
    arguments = parser.parse_args(argv)
    try:
        report = check(arguments.target, skip_sdk=arguments.skip_sdk)
    except CannotCheck as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for problem in report.errors + report.warnings:
        print(problem)
    summary = f"{len(report.errors)} error(s), {len(report.warnings)} warning(s) in {report.file_count} packed file(s)"
    if report.identifier:
        summary += f"; identifier {report.identifier}"
    print(summary)
    failed = bool(report.errors) or (arguments.strict and bool(report.warnings))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
