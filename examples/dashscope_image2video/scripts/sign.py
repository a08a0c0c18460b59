"""Sign and verify .difypkg packages in the format of the Dify plugin daemon (`dify signature ...`).

    python scripts/sign.py keygen PREFIX [--bits 4096]    # PREFIX.private.pem + PREFIX.public.pem
    python scripts/sign.py sign PKG --key PRIVATE.pem [-o OUT] [--category community]
    python scripts/sign.py verify PKG --pubkey PUBLIC.pem [--pubkey OTHER.pem ...]

`python scripts/package.py --sign PRIVATE.pem` packages and signs in one step. The format is the daemon's
(pkg/plugin_packager/signer/withkey/sign_with_key.go, decoder/verifier.go, pkg/utils/encryption/rsa.go):

* keys: RSA 4096, e = 65537, PKCS#1 DER in PEM blocks "RSA PRIVATE KEY" / "RSA PUBLIC KEY", nothing after
  the block (the only form the daemon loads), as `dify signature generate` writes them;
* the entry `.verification.dify.json` = {"authorized_category":"<category>"} is appended as the last entry;
* the signed message is the SHA-256 of every entry's content, in archive order (names are not hashed),
  followed by the signing time as decimal Unix seconds;
* the signature is RSASSA-PKCS1-v1_5 with SHA-256 over that message; the zip comment holds
  {"signature":"<base64>","time":<seconds>} (compact JSON, keys sorted, as Go's json.Marshal writes a map).

A stock Dify installs such a package once its daemon has THIRD_PARTY_SIGNATURE_VERIFICATION_ENABLED=true and
the public key's path in THIRD_PARTY_SIGNATURE_VERIFICATION_PUBLIC_KEYS. The private key never goes into a
package: .difyignore leaves out *.pem and scripts/check.py refuses a package that holds a private key.
Exit status: 0 done / signature valid, 1 refused (not signed, tampered, other key, bad key file), 2 usage error.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import io
import json
import os
import sys
import time
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

# The shared helper sits next to this file; this also makes it importable when loaded by file path (tests).
sys.path.insert(0, str(Path(__file__).resolve().parent))

from difypkg import write_zip

VERIFICATION_FILE = ".verification.dify.json"  # daemon pkg/plugin_packager/consts/verification.go
CATEGORIES = ("community", "partner", "langgenius")  # daemon decoder/entities.go
DEFAULT_CATEGORY = "community"  # `dify signature sign` defaults to langgenius; a third-party plugin is not that
KEY_BITS = 4096  # what `dify signature generate` makes; the daemon verifies any RSA size
KEY_SIZES = (2048, 3072, 4096)
PUBLIC_EXPONENT = 65537
PRIVATE_PEM_TYPE = "RSA PRIVATE KEY"
PUBLIC_PEM_TYPE = "RSA PUBLIC KEY"


class SignatureError(Exception):
    """Signing or verification refused; the message says why and what to do."""


@dataclass(frozen=True)
class Verified:
    time: int  # signing time, Unix seconds
    category: str | None  # authorized_category, None for a package signed without the verification entry
    key: Path | None  # the public key that matched


# ── keys ─────────────────────────────────────────────────────────────────────────────────────────


def generate_key_pair(prefix: Path | str, bits: int = KEY_BITS) -> tuple[Path, Path]:
    """Write PREFIX.private.pem and PREFIX.public.pem like `dify signature generate -f PREFIX`."""
    private_path = Path(f"{prefix}.private.pem")
    public_path = Path(f"{prefix}.public.pem")
    for path in (private_path, public_path):
        if path.exists():  # overwriting a key would orphan every package signed with it
            raise SignatureError(f"{path} already exists; choose another PREFIX or remove it first")
    key = rsa.generate_private_key(public_exponent=PUBLIC_EXPONENT, key_size=bits)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)
    private_path.parent.mkdir(parents=True, exist_ok=True)
    # The CLI writes both files 0644; the private key is a secret, so only its owner may read it here.
    descriptor = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(private_pem)
    public_path.write_bytes(public_pem)
    return private_path, public_path


def single_pem_block(data: bytes, expected_type: str, source: str) -> bytes:
    """The PEM block's bytes, refused unless it is exactly one block of the type the daemon accepts."""
    text = data.decode("ascii", errors="replace")
    begin, end = f"-----BEGIN {expected_type}-----", f"-----END {expected_type}-----"
    start = text.find("-----BEGIN ")
    if start == -1 or not text.startswith(begin, start):
        found = text[start:].split("\n", 1)[0].strip() if start != -1 else "no PEM block"
        raise SignatureError(
            f"{source}: expected a PEM block '{begin}' (the only key form the Dify daemon loads), found {found!r}; "
            f"create keys with `python scripts/sign.py keygen PREFIX` or `dify signature generate`"
        )
    stop = text.find(end, start)
    if stop == -1:
        raise SignatureError(f"{source}: '{begin}' has no '{end}'")
    if text[stop + len(end) :].strip():  # the daemon refuses "extra data included in the PEM block"
        raise SignatureError(f"{source}: extra data after the key block; the daemon refuses such a key file")
    return data[start : stop + len(end)] + b"\n"


def load_private_key(path: Path) -> rsa.RSAPrivateKey:
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise SignatureError(f"{path}: cannot read the private key ({error.strerror})") from None
    block = single_pem_block(data, PRIVATE_PEM_TYPE, str(path))
    try:
        key = serialization.load_pem_private_key(block, password=None)
    except (ValueError, TypeError) as error:
        raise SignatureError(f"{path}: not a readable RSA private key ({error})") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SignatureError(f"{path}: not an RSA private key")
    return key


def load_public_key(path: Path) -> rsa.RSAPublicKey:
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise SignatureError(f"{path}: cannot read the public key ({error.strerror})") from None
    if b"PRIVATE KEY-----" in data:  # a common mix-up; say so instead of a PEM-type message
        raise SignatureError(f"{path}: this is a private key; verify with the .public.pem file")
    block = single_pem_block(data, PUBLIC_PEM_TYPE, str(path))
    try:
        key = serialization.load_pem_public_key(block)
    except ValueError as error:
        raise SignatureError(f"{path}: not a readable RSA public key ({error})") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise SignatureError(f"{path}: not an RSA public key")
    return key


# ── the signed message ───────────────────────────────────────────────────────────────────────────


def signed_message(contents: Iterable[bytes], signed_at: int) -> bytes:
    """sha256(entry 1) || sha256(entry 2) || ... || decimal(signed_at): what the daemon signs and verifies."""
    digests = b"".join(hashlib.sha256(content).digest() for content in contents)
    return digests + str(int(signed_at)).encode("ascii")


def signature_comment(signature: bytes, signed_at: int) -> bytes:
    """Go's json.Marshal of map{"signature", "time"}: compact, keys sorted."""
    payload = {"signature": base64.b64encode(signature).decode("ascii"), "time": int(signed_at)}
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode("ascii")


def verification_entry(category: str) -> bytes:
    """Go's json.Marshal of decoder.Verification: no spaces, no trailing newline."""
    return json.dumps({"authorized_category": category}, separators=(",", ":")).encode("ascii")


def read_entries(package: bytes, source: str) -> tuple[list[tuple[str, bytes]], bytes]:
    """(name, content) of every entry in archive (central directory) order, and the zip comment."""
    try:
        with zipfile.ZipFile(io.BytesIO(package)) as archive:
            infos = archive.infolist()
            folders = [info.filename for info in infos if info.is_dir()]
            if folders:  # the daemon's decoder fails reading them, signing or verifying
                raise SignatureError(f"{source}: folder entries ({', '.join(folders)}); repackage with package.py")
            return [(info.filename, archive.read(info)) for info in infos], archive.comment
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError) as error:
        raise SignatureError(f"{source}: not a readable .difypkg ({error})") from None


def sign_package(
    package: bytes,
    private_key: rsa.RSAPrivateKey,
    output: Path,
    *,
    category: str | None = DEFAULT_CATEGORY,
    signed_at: int | None = None,
    source: str = "package",
) -> int:
    """Write the signed package to output; returns the signing time. category None: no verification entry."""
    if category is not None and category not in CATEGORIES:
        raise SignatureError(f"category {category!r}: choose one of {', '.join(CATEGORIES)}")
    entries, comment = read_entries(package, source)
    if comment or any(name == VERIFICATION_FILE for name, _ in entries):
        raise SignatureError(f"{source}: already signed; sign the unsigned package from scripts/package.py")
    if category is not None:
        entries.append((VERIFICATION_FILE, verification_entry(category)))  # last, as the daemon appends it
    signed_at = int(time.time()) if signed_at is None else int(signed_at)
    message = signed_message((content for _, content in entries), signed_at)
    signature = private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    write_zip(entries, Path(output), comment=signature_comment(signature, signed_at))
    return signed_at


def read_signature(comment: bytes, source: str) -> tuple[bytes, int]:
    not_signed = (
        f"{source}: not signed (no Dify signature in the zip comment); sign it with "
        f"`python scripts/package.py --sign PRIVATE.pem` or `python scripts/sign.py sign`"
    )
    if not comment:
        raise SignatureError(not_signed)
    try:
        payload = json.loads(comment.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise SignatureError(not_signed) from None
    if not isinstance(payload, dict) or not payload.get("signature"):
        raise SignatureError(not_signed)
    signed_at = payload.get("time")
    if not isinstance(signed_at, int) or isinstance(signed_at, bool):
        raise SignatureError(f"{source}: the signature's time is not a whole number of seconds")
    try:
        signature = base64.b64decode(str(payload["signature"]), validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError(f"{source}: the signature is not valid base64") from None
    return signature, signed_at


def read_category(entries: Sequence[tuple[str, bytes]], source: str) -> str | None:
    content = next((content for name, content in entries if name == VERIFICATION_FILE), None)
    if content is None:
        return None
    try:
        payload = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):  # the daemon then treats the package as unverified
        raise SignatureError(f"{source}: {VERIFICATION_FILE} is not valid JSON") from None
    category = payload.get("authorized_category") if isinstance(payload, dict) else None
    return str(category) if category is not None else None


PublicKeys = Sequence[tuple[Path | None, rsa.RSAPublicKey]]  # (file it came from, key)


def verify_package(package: bytes, public_keys: PublicKeys, source: str) -> Verified:
    """Check the signature the way the daemon does; raises SignatureError saying what is wrong."""
    entries, comment = read_entries(package, source)
    signature, signed_at = read_signature(comment, source)
    category = read_category(entries, source)
    message = signed_message((content for _, content in entries), signed_at)
    for path, key in public_keys:
        try:
            key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            continue
        return Verified(signed_at, category, path)
    raise SignatureError(explain_mismatch(signature, public_keys, source))


def explain_mismatch(signature: bytes, public_keys: PublicKeys, source: str) -> str:
    """Tell "changed after signing" from "signed with another key": only the signer's key opens the padding."""
    for path, key in public_keys:
        if len(signature) != (key.key_size + 7) // 8:
            continue
        try:
            key.recover_data_from_signature(signature, padding.PKCS1v15(), None)
        except InvalidSignature:
            continue
        return (
            f"{source}: signature does not match the content: the package was changed after it was signed "
            f"(a file, the file order or the signing time differs from what {path} signed)"
        )
    names = ", ".join(str(path) for path, _ in public_keys)
    return f"{source}: signed with another key than {names}; verify with the public key of the key that signed it"


# ── command line ─────────────────────────────────────────────────────────────────────────────────


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Sign and verify .difypkg packages (the Dify daemon's format).")
    commands = parser.add_subparsers(dest="command", required=True)
    keygen = commands.add_parser("keygen", help="write PREFIX.private.pem and PREFIX.public.pem (RSA 4096)")
    keygen.add_argument("prefix", help="path prefix of the two key files")
    keygen.add_argument("--bits", type=int, choices=KEY_SIZES, default=KEY_BITS, help="key size (default %(default)s)")
    sign = commands.add_parser("sign", help="sign a package (default output: PKG.signed.difypkg)")
    sign.add_argument("package", type=Path)
    sign.add_argument("--key", "-p", type=Path, required=True, help="PREFIX.private.pem")
    sign.add_argument("-o", "--output", type=Path, help="signed package (default: <name>.signed.difypkg)")
    sign.add_argument("--category", "-c", choices=CATEGORIES, default=DEFAULT_CATEGORY, help="%(default)s")
    verify = commands.add_parser("verify", help="exit 0 only when a given public key signed the package")
    verify.add_argument("package", type=Path)
    verify.add_argument("--pubkey", "-p", type=Path, action="append", required=True, help="PREFIX.public.pem")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    try:
        if arguments.command == "keygen":
            private_path, public_path = generate_key_pair(arguments.prefix, arguments.bits)
            print(f"private key: {private_path} (keep it secret: never commit or package it)")
            print(f"public key: {public_path} (give it to the Dify daemon that installs your packages)")
            return 0
        package = read_package(arguments.package)
        if arguments.command == "sign":
            output = arguments.output or arguments.package.with_name(
                f"{arguments.package.stem}.signed{arguments.package.suffix}"
            )
            key = load_private_key(arguments.key)
            sign_package(package, key, output, category=arguments.category, source=str(arguments.package))
            print(f"signed: {output}")
            return 0
        keys = [(path, load_public_key(path)) for path in arguments.pubkey]
        verified = verify_package(package, keys, str(arguments.package))
        category = verified.category or "none (counts as langgenius)"
        print(f"verified: {arguments.package} signed by {verified.key} at {verified.time}; category {category}")
        return 0
    except SignatureError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


def read_package(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise SignatureError(f"{path}: cannot read the package ({error.strerror})") from None


if __name__ == "__main__":
    sys.exit(main())
