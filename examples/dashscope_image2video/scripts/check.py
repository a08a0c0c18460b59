"""Check a plugin folder or a .difypkg the way the SDK, the Dify plugin daemon and the marketplace will.

    python scripts/check.py [--strict] [--release] [--skip-sdk] [PLUGIN_DIR | FILE.difypkg]

Run it with the plugin's interpreter (the one with requirements.txt installed): it loads every YAML file
through the SDK's own models and starts the plugin the way `python -m main` does (without serving), then
applies the daemon's manifest rules and the marketplace's blocking checks. For a folder, file rules apply to
what scripts/package.py would pack. One line per problem, naming the file and the rule:

    ERROR manifest.yaml: author: must match ^[a-z0-9_-]{1,64}$ (daemon install rule)

The template's placeholders (author your-name, its repository and e-mail, the custom preset's example.com
base URL and my-*-model ids) are warnings while you develop and errors with --release, which the release and
marketplace workflows pass.

Exit status: 0 no blocking problem (warnings allowed unless --strict), 1 blocking problems, 2 cannot check.

This file is the command line and the order of the stages; the rules live in the package next to it,
scripts/checks/, one module per concern: common (report, plugin tree, shared patterns), archive (folder or
.difypkg), manifest (manifest, provider and tool YAML), marketplace (README, PRIVACY, requirements, icons),
packed_files (banned files, binaries, secrets, syntax), placeholders (the template's until answered), sdk (the
SDK stage), settings (job_client settings).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

# The shared helper and the rules sit next to this file; this also makes them importable when loaded by file
# path (tests).
sys.path.insert(0, str(Path(__file__).resolve().parent))

from checks.archive import open_folder, open_package
from checks.common import (
    DAEMON_PACKAGE,
    DEV_FILES,
    DEV_FOLDERS,
    CannotCheck,
    PluginTree,
    Problem,
    Report,
    load_yaml,
)
from checks.manifest import check_manifest
from checks.marketplace import check_icons, check_names_in_labels, check_privacy, check_readme, check_requirements
from checks.packed_files import check_conflict_markers, check_packed_files, check_python_syntax, check_secrets
from checks.placeholders import check_placeholders
from checks.sdk import check_with_sdk  # imports dify_plugin only when called
from checks.settings import check_job_settings
from difypkg import compute_checksum, limit_violations, read_identity, unique_identifier

# Names the tests and other scripts read from this module.
__all__ = ["DEV_FILES", "DEV_FOLDERS", "CannotCheck", "PluginTree", "Problem", "Report", "check", "main", "run_checks"]

SCRIPTS_DIR = Path(__file__).resolve().parent
DEFAULT_PLUGIN_DIR = SCRIPTS_DIR.parent


def run_checks(tree: PluginTree, report: Report, *, skip_sdk: bool, release: bool = False) -> None:
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
    check_placeholders(tree, manifest, report, release=release)
    entries = [(path, tree.read_bytes(path)) for path in tree.files]
    report.identifier = unique_identifier(read_identity(manifest), compute_checksum(entries))
    if not skip_sdk:
        check_with_sdk(tree, manifest, report)  # first: dify_plugin must be imported before requests
    check_job_settings(tree, report)


def check(target: Path, *, skip_sdk: bool = False, release: bool = False) -> Report:
    """Check a plugin folder or a .difypkg. Raises CannotCheck when that is impossible."""
    report = Report()
    target = Path(target)
    if target.is_dir():
        tree = open_folder(target.absolute(), report)
        if tree is not None:
            run_checks(tree, report, skip_sdk=skip_sdk, release=release)
    elif target.is_file():
        with tempfile.TemporaryDirectory(prefix="difypkg-check-") as temporary:
            tree = open_package(target, Path(temporary), report)
            if tree is not None:
                run_checks(tree, report, skip_sdk=skip_sdk, release=release)
    else:
        raise CannotCheck(f"{target}: no such folder or file")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check a Dify plugin folder or .difypkg before publishing it.")
    parser.add_argument(
        "target", nargs="?", type=Path, default=DEFAULT_PLUGIN_DIR, help="plugin folder or .difypkg (default: its own)"
    )
    parser.add_argument("--strict", action="store_true", help="warnings fail too (exit status 1)")
    parser.add_argument("--release", action="store_true", help="the template's placeholders are errors")
    parser.add_argument("--skip-sdk", action="store_true", help="static rules only: do not import the SDK")
    arguments = parser.parse_args(argv)
    try:
        report = check(arguments.target, skip_sdk=arguments.skip_sdk, release=arguments.release)
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
