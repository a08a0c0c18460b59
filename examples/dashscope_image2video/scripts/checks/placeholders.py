"""Placeholders the template fills in until the author answers: warned during development, refused for a
release (`scripts/check.py --release`, which the release and marketplace workflows run)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from .common import JOB_SETTINGS, PluginTree, Report, load_yaml

PLACEHOLDER = "placeholder; --release refuses it"
RELEASE = "release rule"
# copier.yml's identity defaults: (manifest key, is it the placeholder?, the answer that sets it).
PLACEHOLDER_AUTHOR = "your-name"
IDENTITY = (
    ("author", lambda value: value == PLACEHOLDER_AUTHOR, "author"),
    ("repo", lambda value: f"/{PLACEHOLDER_AUTHOR}/" in value, "repo_url"),
    ("contact", lambda value: value.startswith(f"{PLACEHOLDER_AUTHOR}@"), "contact_email"),
)
# The custom preset's starting values (presets/custom.yml in the template; tests/test_check.py holds the list).
PLACEHOLDER_MODELS = ("my-image-model", "my-edit-model", "my-video-model")
# Hosts reserved for examples (RFC 2606): no real API lives there.
PLACEHOLDER_HOST = re.compile(
    r"^https?://(?:[A-Za-z0-9-]+\.)*(?:example\.(?:com|net|org)|[A-Za-z0-9-]+\.(?:example|test|invalid))(?:[:/]|$)"
)


def check_placeholders(tree: PluginTree, manifest: dict[str, Any], report: Report, *, release: bool) -> None:
    add = report.error if release else report.warning
    rule = RELEASE if release else PLACEHOLDER
    for key, is_placeholder, answer in IDENTITY:
        value = manifest.get(key)
        if isinstance(value, str) and is_placeholder(value):
            add(
                "manifest.yaml",
                f"{key}: {value!r} is the template's placeholder: answer {answer} "
                f"(copier update --defaults --data {answer}=...)",
                rule,
            )
    api_files = [JOB_SETTINGS] + sorted(
        path for path in tree.files if path.startswith(("provider/", "tools/")) and path.endswith(".yaml")
    )
    for path in api_files:
        data = load_yaml(tree, path, Report(), RELEASE)  # unreadable files are reported by their own rules
        found = sorted({value for value in strings(data) if is_api_placeholder(value)})
        for value in found:
            what = "model" if value in PLACEHOLDER_MODELS else "base URL"
            add(
                path,
                f"{value!r} is the custom preset's placeholder {what}: answer api_overrides or edit this file",
                rule,
            )


def is_api_placeholder(value: str) -> bool:
    return value in PLACEHOLDER_MODELS or bool(PLACEHOLDER_HOST.match(value))


def strings(data: Any) -> Iterator[str]:
    """Every string value (and mapping key) in a loaded YAML document."""
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from strings(key)
            yield from strings(value)
    elif isinstance(data, list):
        for item in data:
            yield from strings(item)
