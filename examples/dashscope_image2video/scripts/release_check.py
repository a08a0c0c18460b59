"""Release helper for the GitHub workflows: the tag must name manifest.yaml's version.

    python scripts/release_check.py --tag v0.1.0 [--check-assets] [PLUGIN_DIR]
    python scripts/release_check.py --tag v0.1.0 --pr-body FILE [--submission new|update] [--risk low|medium|high]
                                    [--validation TEXT]

Prints, and appends to $GITHUB_OUTPUT when set, the names the workflows use:
version, name, author, package (dist/<name>-<version>.difypkg), chatflow (dist/<name>-<version>-chatflow.yml)
and marketplace_path (<author>/<name>/<name>-<version>.difypkg, where langgenius/dify-plugins keeps it).
--check-assets: both release assets must exist (run after scripts/package.py). --pr-body: write the pull request
text in the marketplace's template (English only; its CI refuses CJK characters in the body).
Exit status: 0 ok, 1 tag and version differ or an asset is missing, 2 usage error.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

# The shared helper sits next to this file; this also makes it importable when loaded by file path (tests).
sys.path.insert(0, str(Path(__file__).resolve().parent))

from difypkg import VERSION_PATTERN, PackagingError, package_file_name, read_identity, read_manifest

SCRIPTS_DIR = Path(__file__).resolve().parent
DEFAULT_PLUGIN_DIR = SCRIPTS_DIR.parent
SUBMISSION_TYPES = {"new": "New plugin", "update": "Version update"}
RISK_LEVELS = {"low": "Low risk", "medium": "Medium risk", "high": "High risk"}


class ReleaseError(Exception):
    """The release must stop; the message says why."""


def release_names(plugin_dir: Path, tag: str) -> dict[str, str]:
    """The workflow outputs for this tag; raises ReleaseError unless tag == "v" + manifest version."""
    try:
        manifest = read_manifest(plugin_dir)
    except PackagingError as error:
        raise ReleaseError(str(error)) from None
    identity = read_identity(manifest)
    if not VERSION_PATTERN.match(identity.version):
        raise ReleaseError(f"manifest.yaml: version {identity.version!r} must match {VERSION_PATTERN.pattern}")
    expected = f"v{identity.version}"
    if tag != expected:
        raise ReleaseError(
            f"tag {tag!r} does not match manifest.yaml version {identity.version!r}: tag the commit {expected!r}, "
            f"or set version: {tag.removeprefix('v')} in manifest.yaml first"
        )
    package = f"dist/{package_file_name(identity)}"
    return {
        "version": identity.version,
        "name": identity.name,
        "author": identity.author,
        "package": package,
        "chatflow": package.removesuffix(".difypkg") + "-chatflow.yml",  # scripts/package.py writes it there
        "marketplace_path": f"{identity.author}/{identity.name}/{package_file_name(identity)}",
    }


def check_assets(plugin_dir: Path, names: dict[str, str]) -> None:
    missing = [names[key] for key in ("package", "chatflow") if not (plugin_dir / names[key]).is_file()]
    if missing:
        raise ReleaseError(f"missing release asset(s): {', '.join(missing)}; run python scripts/package.py first")


def pr_body(manifest: dict[str, Any], names: dict[str, str], submission: str, risk: str, validation: str) -> str:
    """The langgenius/dify-plugins pull request template, filled in; the author ticks the attestations."""
    label = (manifest.get("label") or {}).get("en_US") or names["name"]
    description = (manifest.get("description") or {}).get("en_US") or ""

    def box(ticked: bool, text: str) -> str:
        return f"- [{'x' if ticked else ' '}] {text}"

    lines = [
        "# Plugin Submission",
        "",
        "## Plugin information",
        "",
        f"- **Author**: {names['author']}",
        f"- **Plugin name**: {names['name']}",
        f"- **Version**: {names['version']}",
        f"- **Source repository**: {manifest.get('repo') or ''}",
        f"- **Contact**: {manifest.get('contact') or ''}",
        "",
        "## Submission type",
        "",
        *(box(key == submission, text) for key, text in SUBMISSION_TYPES.items()),
        "",
        "## What changed",
        "",
        f"{label} {names['version']}: {description}".strip(),
        "",
        "## Risk level",
        "",
        *(box(key == risk, text) for key, text in RISK_LEVELS.items()),
        "",
        "## Required checks",
        "",
        # Attestations only the author can give stay unticked: the pull request is opened as a draft for that.
        box(False, "I have read and followed the [Marketplace submission requirements]"
            "(docs/plugin-submission-requirements.md)."),
        box(False, "I have read and comply with the Plugin Developer Agreement."),
        box(False, "I tested this plugin on Dify Community Edition and Dify Cloud, or documented any limitation "
            "below."),
        # What scripts/check.py proved on this package (it refuses dev files, secrets and binaries).
        box(True, "The package contains only files needed at runtime."),
        box(True, "The package does not contain secrets, local credentials, `.env` files, `.git` directories, "
            "virtual environments, caches, logs, or IDE files."),
        box(True, "The package does not contain executables or bundled binaries, or I explained why they are "
            "required below."),
        box(True, "The plugin README includes setup steps, usage instructions, required APIs or credentials, "
            "connection requirements, and the source repository link."),
        box(True, "The plugin includes `PRIVACY.md` or a hosted privacy policy, and `manifest.yaml` references it."),
        box(True, "All user-facing text is primarily in English."),
        "",
        "## Security and privacy notes",
        "",
        "Network access: the tools call the image/video generation API configured in the provider with the API key "
        "the user enters (stored by Dify as a secret credential), and download the generated media from the URLs "
        "that API returns. Prompts and input images are sent to that API. No command execution, code execution, "
        "SQL, SSH or browser automation; no files are written outside the plugin's temporary working data.",
        "",
        "## Local validation",
        "",
        validation.strip() or "python -m pytest; python scripts/check.py on the package",
        "",
        "## Reviewer notes",
        "",
        "Opened by the plugin's release workflow (.github/workflows/marketplace.yml).",
        "",
    ]  # fmt: skip
    return "\n".join(lines)


def write_outputs(names: dict[str, str]) -> None:
    for key, value in names.items():
        print(f"{key}={value}")
    output_file = os.environ.get("GITHUB_OUTPUT")
    if output_file:
        with open(output_file, "a", encoding="utf-8") as handle:
            handle.writelines(f"{key}={value}\n" for key, value in names.items())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check a release tag against manifest.yaml and name the assets.")
    parser.add_argument("plugin_dir", nargs="?", type=Path, default=DEFAULT_PLUGIN_DIR)
    parser.add_argument("--tag", default=os.environ.get("GITHUB_REF_NAME"), help="default: $GITHUB_REF_NAME")
    parser.add_argument("--check-assets", action="store_true", help="the package and chatflow must exist")
    parser.add_argument("--pr-body", type=Path, help="write the marketplace pull request text here")
    parser.add_argument("--submission", choices=sorted(SUBMISSION_TYPES), default="new")
    parser.add_argument("--risk", choices=sorted(RISK_LEVELS), default="low")
    parser.add_argument("--validation", default="", help="'Local validation' text (commands run and results)")
    arguments = parser.parse_args(argv)
    if not arguments.tag:
        parser.error("--tag is required outside GitHub Actions")
    try:
        names = release_names(arguments.plugin_dir, arguments.tag)
        if arguments.check_assets:
            check_assets(arguments.plugin_dir, names)
    except ReleaseError as error:
        print(f"::error::{error}", file=sys.stderr)  # a GitHub annotation; plain text elsewhere
        return 1
    write_outputs(names)
    if arguments.pr_body is not None:
        manifest = read_manifest(arguments.plugin_dir)
        body = pr_body(manifest, names, arguments.submission, arguments.risk, arguments.validation)
        arguments.pr_body.write_text(body, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
