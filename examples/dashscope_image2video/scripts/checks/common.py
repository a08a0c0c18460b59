"""Shared by every rule: where a rule comes from, the shared limits and patterns, the report, the plugin tree."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from difypkg import IgnoreRules, PackedFile

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
# The source repository: any https host (self-hosted too), an owner and a repo, GitLab subgroups too.
REPO_URL_PATTERN = re.compile(r"^https://[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(:[0-9]{1,5})?(/[^/\s?#]+){2,}$")
REPO_URL_IN_TEXT = re.compile(r"https://[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(:[0-9]{1,5})?(/[^/\s?#)\]>]+){2,}")
# A size option in the provider's own words (the schema's size_word: 1024x1024, 16:9, landscape_4_3).
SIZE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_:.*-]{0,31}$")
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
JOB_SETTINGS = "job_client/settings.yaml"


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
