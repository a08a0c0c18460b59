"""Every packed file: banned files, binaries, secrets, Python syntax; every project file: merge conflict markers."""

from __future__ import annotations

import math
import os
import re
import subprocess
from collections import Counter
from pathlib import Path, PurePosixPath

from .common import (
    ALLOWED_ENV_FILES,
    ARCHIVE_SUFFIXES,
    BANNED_FOLDERS,
    BANNED_NAMES,
    BANNED_SUFFIXES,
    BINARY_SUFFIXES,
    BUILD_FOLDERS,
    DEV_FILES,
    DEV_FOLDERS,
    EXECUTABLE_MAGIC,
    HIGH_ENTROPY_BITS,
    HIGH_ENTROPY_MIN_LENGTH,
    MARKETPLACE,
    MARKETPLACE_WARNING,
    PLACEHOLDER_WORDS,
    PROJECT,
    SECRET_ASSIGNMENT,
    SECRET_PATTERNS,
    SIGNATURE_FILE,
    SUSPICIOUS_SUFFIXES,
    PluginTree,
    Report,
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


def check_conflict_markers(tree: PluginTree, report: Report) -> None:
    """A `copier update` that could not merge leaves markers in any file it touched, packed or not (tests/,
    .github/ ...): a conflicted workflow or test breaks CI as surely as a conflicted tool breaks the plugin."""
    for path in project_files(tree):
        text = _text_of(tree.root / path)
        match = CONFLICT_MARKER.search(text) if text is not None else None
        if match:
            line = text.count("\n", 0, match.start()) + 1
            report.error(f"{path}:{line}", "unresolved merge conflict marker (resolve the `copier update`)", PROJECT)


def project_files(tree: PluginTree) -> list[str]:
    """The plugin project's files: those git tracks in a work tree; outside git every file but tool caches
    (BANNED_FOLDERS); for a package, its entries."""
    if tree.ignore is None:
        return list(tree.files)
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached"], cwd=tree.root, capture_output=True, check=True, timeout=60
        )
        return sorted(name for name in listed.stdout.decode("utf-8", "replace").split("\0") if name)
    except (OSError, subprocess.SubprocessError):  # no git, or not a work tree
        pass
    found = []
    for folder, subfolders, names in os.walk(tree.root):
        subfolders[:] = sorted(name for name in subfolders if name not in BANNED_FOLDERS)
        found += [(Path(folder) / name).relative_to(tree.root).as_posix() for name in names]
    return sorted(found)


def _text_of(path: Path) -> str | None:
    """A file's UTF-8 text; None for binary files, folders, links to nowhere and files deleted since git saw them."""
    try:
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
