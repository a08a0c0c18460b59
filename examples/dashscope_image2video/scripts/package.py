"""Package this plugin as a .difypkg without the Go CLI.

    python scripts/package.py [-o FILE | --output-dir DIR] [--sign PRIVATE.pem [--category C]] [--list]
                              [--use-dify-cli] [PLUGIN_DIR]

Writes dist/<name>-<version>.difypkg (PLUGIN_DIR defaults to the folder above scripts/) and prints its path
and its unique identifier `author/name:version@checksum`. Next to it, <name>-<version>-chatflow.yml: a Dify
chatflow that depends on exactly this package, to import after installing it (scripts/chatflow.py).
What goes in is decided by .difyignore exactly as `dify plugin package` decides it; see scripts/difypkg.py
for the rules. With --sign, the package is signed with that RSA key in the daemon's format (scripts/sign.py)
and checked against the key's public half before it is kept. Exit status: 0 packaged, 1 the folder cannot
be packaged or signed, 2 usage error (or --use-dify-cli without `dify` on PATH).
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

# The shared helper sits next to this file; this also makes it importable when loaded by file path (tests).
sys.path.insert(0, str(Path(__file__).resolve().parent))

from chatflow import write_chatflow
from difypkg import (
    PackageInfo,
    PackagingError,
    build_package,
    collect_files,
    compute_checksum,
    default_output,
    package_file_name,
    read_identity,
    read_manifest,
    unique_identifier,
)

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

SCRIPTS_DIR = Path(__file__).resolve().parent
# sign.CATEGORIES, repeated so that packaging without --sign needs no `cryptography` (a dev dependency).
SIGN_CATEGORIES = ("community", "partner", "langgenius")
DEFAULT_PLUGIN_DIR = SCRIPTS_DIR.parent

__all__ = ["DifyCliNotFound", "PackageInfo", "PackagingError", "build_package", "build_with_dify_cli", "main"]


class DifyCliNotFound(Exception):
    """--use-dify-cli was given but there is no `dify` on PATH."""


def build_with_dify_cli(plugin_dir: Path, output: Path | None = None) -> PackageInfo:
    """Package with the Go CLI (`dify plugin package`) instead; the identifier is computed from its output."""
    dify = shutil.which("dify")
    if dify is None:
        raise DifyCliNotFound("--use-dify-cli: `dify` is not on PATH (drop the flag to package in Python)")
    plugin_dir = Path(plugin_dir).absolute()
    identity = read_identity(read_manifest(plugin_dir))
    destination = Path(output).absolute() if output is not None else default_output(plugin_dir, identity)
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.unlink(missing_ok=True)  # a stale package must not pass for the CLI's output
    command = [dify, "plugin", "package", str(plugin_dir), "-o", str(destination)]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0 or not destination.is_file():
        raise PackagingError(f"dify plugin package failed:\n{completed.stdout}{completed.stderr}".rstrip())
    with zipfile.ZipFile(destination) as archive:
        entries = [(info.filename, archive.read(info)) for info in archive.infolist() if not info.is_dir()]
    checksum = compute_checksum(entries)
    return PackageInfo(
        path=destination,
        identifier=unique_identifier(identity, checksum),
        checksum=checksum,
        files=tuple(sorted(path for path, _ in entries)),
        total_bytes=sum(len(content) for _, content in entries),
        identity=identity,
    )


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Package a Dify plugin folder as a .difypkg (no Go CLI needed).")
    parser.add_argument(
        "plugin_dir", nargs="?", type=Path, default=DEFAULT_PLUGIN_DIR, help="plugin folder (default: %(default)s)"
    )
    destination = parser.add_mutually_exclusive_group()
    destination.add_argument("-o", "--output", type=Path, help="package file (default: dist/<name>-<version>.difypkg)")
    destination.add_argument("--output-dir", type=Path, help="folder for <name>-<version>.difypkg (default: dist/)")
    parser.add_argument("--sign", type=Path, metavar="PRIVATE.pem", help="sign with this key (sign.py keygen)")
    parser.add_argument(
        "--category", choices=SIGN_CATEGORIES, default=SIGN_CATEGORIES[0], help="signature category: %(default)s"
    )
    parser.add_argument("--list", action="store_true", help="only list the files that would be packed")
    parser.add_argument("--use-dify-cli", action="store_true", help="run `dify plugin package` (must be on PATH)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    signer: Any = None
    signing_errors: tuple[type[Exception], ...] = ()
    if arguments.sign is not None:
        import sign as signer  # cryptography is needed only to sign

        signing_errors = (signer.SignatureError,)
    try:
        if arguments.output_dir is not None:
            identity = read_identity(read_manifest(arguments.plugin_dir))
            arguments.output = arguments.output_dir / package_file_name(identity)
        if arguments.list:
            for packed_file in collect_files(arguments.plugin_dir):
                print(packed_file.path)
            return 0
        # The key is read first: a bad key must not leave an unsigned package under the release name.
        key = signer.load_private_key(arguments.sign) if signer is not None else None
        if arguments.use_dify_cli:
            info = build_with_dify_cli(arguments.plugin_dir, arguments.output)
        else:
            info = build_package(arguments.plugin_dir, arguments.output)
        if key is not None:
            info = sign_built_package(info, arguments.plugin_dir, arguments.sign, key, arguments.category)
    except DifyCliNotFound as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (PackagingError, *signing_errors) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    chatflow = write_chatflow(arguments.plugin_dir, info.identifier, chatflow_path(info.path))
    print(f"package: {info.path}")
    print(f"identifier: {info.identifier}")
    print(f"files: {len(info.files)} ({info.total_bytes:,} bytes uncompressed)")
    if arguments.sign is not None:
        print(f"signed: yes (category {arguments.category}; install needs the daemon to trust your public key)")
    print(f"chatflow: {chatflow or 'none (the manifest declares no tool provider)'}")
    return 0


def sign_built_package(
    info: PackageInfo, plugin_dir: Path, key_path: Path, key: RSAPrivateKey, category: str
) -> PackageInfo:
    """Sign the package in place and check the result with the key's public half; the checksum changes.

    On any failure the package is removed: only a signed package may sit where a signed one was asked for.
    """
    import sign

    key_path = Path(key_path).absolute()
    try:
        packed = {(Path(plugin_dir).absolute() / path).resolve() for path in info.files}
        if key_path.resolve() in packed:  # also caught by check.py, but the key must never even reach dist/
            raise sign.SignatureError(f"{key_path} is inside the package; add *.pem to .difyignore")
        sign.sign_package(info.path.read_bytes(), key, info.path, category=category, source=str(info.path))
        sign.verify_package(info.path.read_bytes(), [(key_path, key.public_key())], str(info.path))
    except BaseException:
        info.path.unlink(missing_ok=True)
        raise
    with zipfile.ZipFile(info.path) as archive:
        entries = [(entry.filename, archive.read(entry)) for entry in archive.infolist()]
    checksum = compute_checksum(entries)
    return dataclasses.replace(
        info,
        identifier=unique_identifier(info.identity, checksum),
        checksum=checksum,
        files=tuple(sorted(name for name, _ in entries)),
        total_bytes=sum(len(content) for _, content in entries),
    )


def chatflow_path(package: Path) -> Path:
    """dist/<name>-<version>.difypkg -> dist/<name>-<version>-chatflow.yml"""
    return package.with_name(f"{package.stem}-chatflow.yml")


if __name__ == "__main__":
    sys.exit(main())
