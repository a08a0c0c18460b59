"""Marketplace files: PRIVACY.md, README.md, requirements.txt, icons, names in labels."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from .common import (
    CJK_PATTERN,
    DAEMON_RUNTIME,
    JOB_SETTINGS,
    LARGE_DEPENDENCIES,
    MARKETPLACE,
    MARKETPLACE_WARNING,
    PRIVACY_PLACEHOLDER,
    PRIVACY_WORDS,
    PROJECT,
    REPO_URL_IN_TEXT,
    TEMPLATE_ICON_MARKER,
    PluginTree,
    Report,
    normalize,
)

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
            "must contain the source repository URL (https://<host>/<owner>/<repo>)",
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
