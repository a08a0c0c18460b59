"""Build a Dify plugin package (.difypkg) in plain Python, the way `dify plugin package` does.

Shared by scripts/package.py (writes the package) and scripts/check.py (checks what would be packed).
The rules mirror the Dify plugin daemon (Go):

* Files: root `.difyignore`; only when it cannot be read, root `.gitignore` (never both, never nested ones).
  Each line is stripped; empty and `#` lines are skipped; every other line is one gitignore pattern.
  A path is left out as soon as one pattern excludes it, in file order; a `!pattern` never excludes and
  never re-includes. An excluded folder is not entered at all.
* Symlinks: a link to a file packs the target's content under the link's name; a link to a folder makes
  the daemon fail ("is a directory"), so it is refused here with a clearer message.
* Archive: plain zip, entries sorted by path, no folder entries, `/` separators, no `./`, Deflate, fixed
  date and mode so two builds of the same files are byte-identical.
* Limits: at most 50 MiB uncompressed (daemon and marketplace) and 5000 files (marketplace).
* Checksum: sha256 over, for each path sorted bytewise, sha256(path) + sha256(content); the unique
  identifier is `author/name:version@checksum`.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

try:
    from pathspec.patterns.gitignore.basic import GitIgnoreBasicPattern as GitIgnorePattern
except ImportError:  # pathspec < 1.0 only has the older name for the same pattern class
    from pathspec.patterns.gitwildmatch import GitWildMatchPattern as GitIgnorePattern

MAX_PACKAGE_BYTES = 52_428_800  # daemon `--max-size` default and MAX_PLUGIN_PACKAGE_SIZE; marketplace limit
MAX_PACKAGE_FILES = 5000  # marketplace limit
IGNORE_FILES = (".difyignore", ".gitignore")  # the first readable one wins
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)  # earliest zip date: no build time in the archive
ZIP_FILE_MODE = 0o644 << 16  # rw-r--r--: the marketplace flags executable bits
ZIP_UNIX_SYSTEM = 3  # "made by Unix", so readers interpret the mode bits (and every OS writes the same bytes)
VERSION_PATTERN = re.compile(r"^\d{1,4}(\.\d{1,4}){2}(-\w{1,16})?$")  # daemon manifest_entities/version.go
# daemon pkg/entities/plugin_entities/identity.go: what install accepts as `author/name:version@checksum`
IDENTIFIER_PATTERN = re.compile(
    r"^(?:([a-z0-9_-]{1,64})/)?([a-z0-9_-]{1,255}):([0-9]{1,4})(\.[0-9]{1,4}){1,3}(-\w{1,16})?@[a-f0-9]{32,64}$"
)


class PackagingError(Exception):
    """The folder cannot be packaged; the message says why and what to change."""


@dataclass(frozen=True)
class IgnoreRule:
    """One line of the ignore file, compiled as a gitignore pattern."""

    source: str  # ".difyignore" or ".gitignore"
    line_number: int
    text: str
    pattern: Any  # a pathspec gitignore pattern, or None when the line can never exclude anything

    def excludes(self, relative_path: str, is_dir: bool) -> bool:
        if self.pattern is None or not self.pattern.include:  # `!negation`: the daemon never excludes with it
            return False
        # pathspec applies a trailing-slash pattern (`build/`) only to paths that end with "/".
        candidate = relative_path + "/" if is_dir else relative_path
        return self.pattern.match_file(candidate) is not None

    def __str__(self) -> str:
        return f"{self.source} line {self.line_number}: {self.text}"


@dataclass(frozen=True)
class IgnoreRules:
    """The patterns of the one ignore file the daemon reads (none when neither file is readable)."""

    source: str | None
    rules: tuple[IgnoreRule, ...]

    def excluding_rule(self, relative_path: str, is_dir: bool) -> IgnoreRule | None:
        """The first rule that excludes the path (the daemon stops there), or None when it is packed."""
        for rule in self.rules:
            if rule.excludes(relative_path, is_dir):
                return rule
        return None


@dataclass(frozen=True)
class PackedFile:
    """A file that goes into the package: its archive name and where its bytes come from."""

    path: str  # relative, "/"-separated: the zip entry name and the checksum key
    source: Path  # may be a symlink to a file: reading it follows the link, as the daemon does
    size: int


@dataclass(frozen=True)
class PluginIdentity:
    author: str
    name: str
    version: str


@dataclass(frozen=True)
class PackageInfo:
    """What build_package wrote."""

    path: Path
    identifier: str  # author/name:version@checksum
    checksum: str
    files: tuple[str, ...]
    total_bytes: int  # uncompressed
    identity: PluginIdentity


def compile_ignore_line(line: str) -> Any:
    """Compile one stripped ignore-file line; None when it can never match (go-git then matches nothing)."""
    if not line.strip("/"):  # "/" alone: pathspec reads it as "everything", go-git matches nothing
        return None
    try:
        return GitIgnorePattern(line)
    except ValueError:  # e.g. "!" or a lone "\": go-git accepts them and they match nothing
        return None


def load_ignore_rules(plugin_dir: Path) -> IgnoreRules:
    """Read the ignore file exactly as the daemon does: .difyignore, else .gitignore, else nothing."""
    for name in IGNORE_FILES:
        try:
            raw = (plugin_dir / name).read_bytes()
        except OSError:  # missing, or a folder: the daemon falls through to the next candidate
            continue
        rules = []
        for number, line in enumerate(raw.decode("utf-8", errors="replace").split("\n"), start=1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            rules.append(IgnoreRule(name, number, text, compile_ignore_line(text)))
        return IgnoreRules(name, tuple(rules))
    return IgnoreRules(None, ())


def collect_files(plugin_dir: Path) -> list[PackedFile]:
    """The files the daemon would pack from plugin_dir, sorted by path. Raises PackagingError."""
    root = Path(plugin_dir).absolute()
    if not root.is_dir():
        raise PackagingError(f"{plugin_dir}: not a folder")
    ignore = load_ignore_rules(root)
    packed: list[PackedFile] = []

    def visit(folder: Path, parts: tuple[str, ...]) -> None:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
        for entry in entries:
            relative_path = "/".join((*parts, entry.name))
            # Like Go's WalkDir, a symlink is never a folder here, whatever it points to.
            is_dir = entry.is_dir(follow_symlinks=False)
            if ignore.excluding_rule(relative_path, is_dir):
                continue  # an excluded folder is pruned: nothing below it is looked at
            if is_dir:
                visit(Path(entry.path), (*parts, entry.name))
                continue
            if entry.is_symlink():
                target = Path(entry.path)
                if target.is_dir():
                    raise PackagingError(
                        f"{relative_path} is a symlink to a folder ({os.readlink(entry.path)}); the daemon cannot "
                        f"pack it ('read {relative_path}: is a directory'). Replace it with a real folder, or "
                        f"exclude it in .difyignore."
                    )
                if not target.is_file():
                    raise PackagingError(f"{relative_path} is a broken symlink ({os.readlink(entry.path)})")
            elif not entry.is_file(follow_symlinks=False):
                raise PackagingError(f"{relative_path} is not a regular file; remove it or exclude it in .difyignore")
            size = entry.stat().st_size  # follows a symlink: the target's size
            packed.append(PackedFile(relative_path, Path(entry.path), size))

    visit(root, ())
    packed.sort(key=lambda packed_file: packed_file.path)  # code-point order == the daemon's byte order
    return packed


def limit_violations(
    files: Sequence[PackedFile], max_bytes: int | None = None, max_files: int | None = None
) -> list[str]:
    """Messages for the size and file-count limits the files break (empty when they fit)."""
    max_bytes = MAX_PACKAGE_BYTES if max_bytes is None else max_bytes
    max_files = MAX_PACKAGE_FILES if max_files is None else max_files
    largest = sorted(files, key=lambda packed_file: (-packed_file.size, packed_file.path))[:5]
    largest_text = ", ".join(f"{packed_file.path} ({packed_file.size:,} bytes)" for packed_file in largest)
    problems = []
    total_bytes = sum(packed_file.size for packed_file in files)
    if total_bytes > max_bytes:
        problems.append(
            f"the package would hold {total_bytes:,} bytes uncompressed, over the limit of {max_bytes:,} bytes; "
            f"largest files: {largest_text}. Exclude what the plugin does not need at run time in .difyignore."
        )
    if len(files) > max_files:
        problems.append(
            f"the package would hold {len(files):,} files, over the limit of {max_files:,}; "
            f"largest files: {largest_text}. Exclude what the plugin does not need at run time in .difyignore."
        )
    return problems


def compute_checksum(entries: Iterable[tuple[str, bytes]]) -> str:
    """The daemon's package checksum over (path, content) pairs, independent of their order."""
    digest_pairs = sorted((path.encode("utf-8"), hashlib.sha256(content).digest()) for path, content in entries)
    data = b"".join(hashlib.sha256(path).digest() + content_digest for path, content_digest in digest_pairs)
    return hashlib.sha256(data).hexdigest()


def read_manifest(plugin_dir: Path) -> dict[str, Any]:
    """manifest.yaml as a mapping. Raises PackagingError when it is missing or not a YAML mapping."""
    manifest_path = Path(plugin_dir) / "manifest.yaml"
    try:
        manifest = yaml.safe_load(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PackagingError(f"{manifest_path}: not found (a plugin folder has manifest.yaml at its root)") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise PackagingError(f"{manifest_path}: cannot be read: {error}") from None
    if not isinstance(manifest, dict):
        raise PackagingError(f"{manifest_path}: must be a YAML mapping")
    return manifest


def read_identity(manifest: dict[str, Any]) -> PluginIdentity:
    """author, name and version from the manifest, as strings ("" when missing)."""
    return PluginIdentity(
        author="" if manifest.get("author") is None else str(manifest["author"]),
        name="" if manifest.get("name") is None else str(manifest["name"]),
        version="" if manifest.get("version") is None else str(manifest["version"]),
    )


def unique_identifier(identity: PluginIdentity, checksum: str) -> str:
    return f"{identity.author}/{identity.name}:{identity.version}@{checksum}"


def write_zip(entries: Iterable[tuple[str, bytes]], output: Path, comment: bytes = b"") -> None:
    """Write the entries (in the order given) as a reproducible zip, atomically (no half-written package).

    The comment is empty except in a signed package, where it holds the signature (scripts/sign.py).
    """
    output.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary_name = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
    os.close(handle)
    try:
        with zipfile.ZipFile(temporary_name, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path, content in entries:
                info = zipfile.ZipInfo(path, date_time=ZIP_DATE_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = ZIP_UNIX_SYSTEM
                info.external_attr = ZIP_FILE_MODE
                archive.writestr(info, content, compresslevel=9)
            archive.comment = comment
        os.chmod(temporary_name, 0o644)  # mkstemp creates 0600; the CLI writes packages as 0644
        os.replace(temporary_name, output)
    except BaseException:
        Path(temporary_name).unlink(missing_ok=True)
        raise


def package_file_name(identity: PluginIdentity) -> str:
    return f"{identity.name}-{identity.version}.difypkg"


def default_output(plugin_dir: Path, identity: PluginIdentity) -> Path:
    return Path(plugin_dir) / "dist" / package_file_name(identity)


def build_package(
    plugin_dir: Path,
    output: Path | None = None,
    *,
    max_bytes: int | None = None,
    max_files: int | None = None,
) -> PackageInfo:
    """Package plugin_dir into output (default dist/<name>-<version>.difypkg). Raises PackagingError."""
    plugin_dir = Path(plugin_dir).absolute()
    identity = read_identity(read_manifest(plugin_dir))
    if not VERSION_PATTERN.match(identity.version):
        raise PackagingError(
            f"manifest.yaml: version {identity.version!r} must match {VERSION_PATTERN.pattern} (e.g. 0.1.0)"
        )
    files = collect_files(plugin_dir)
    paths = [packed_file.path for packed_file in files]
    if "manifest.yaml" not in paths:
        raise PackagingError("manifest.yaml is excluded by the ignore file; the package needs it at its root")
    nested_packages = [path for path in paths if path.endswith(".difypkg")]
    if nested_packages:
        raise PackagingError(
            f"{', '.join(nested_packages)} would be packed into the package; add *.difypkg and dist/ to .difyignore"
        )
    violations = limit_violations(files, max_bytes, max_files)
    if violations:
        raise PackagingError("\n".join(violations))

    entries = [(packed_file.path, packed_file.source.read_bytes()) for packed_file in files]
    checksum = compute_checksum(entries)
    identifier = unique_identifier(identity, checksum)
    if not IDENTIFIER_PATTERN.match(identifier):
        raise PackagingError(
            f"{identifier}: the daemon would refuse this unique identifier; author must match ^[a-z0-9_-]{{1,64}}$ "
            f"and name ^[a-z0-9_-]{{1,128}}$ in manifest.yaml"
        )
    destination = Path(output).absolute() if output is not None else default_output(plugin_dir, identity)
    write_zip(entries, destination)
    return PackageInfo(
        path=destination,
        identifier=identifier,
        checksum=checksum,
        files=tuple(paths),
        total_bytes=sum(len(content) for _, content in entries),
        identity=identity,
    )
