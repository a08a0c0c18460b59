"""The target: a plugin folder, or a .difypkg checked as an archive and extracted safely."""

from __future__ import annotations

import re
import zipfile
from collections import Counter
from pathlib import Path, PurePosixPath

import difypkg  # the limits are read at call time, so tests can lower them
from difypkg import PackagingError, PackedFile, collect_files, limit_violations, load_ignore_rules

from .common import DAEMON_INSTALL, DAEMON_PACKAGE, MARKETPLACE_WARNING, CannotCheck, PluginTree, Report, normalize

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
