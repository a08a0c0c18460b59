"""Signed packages: scripts/sign.py and `scripts/package.py --sign`, run as a user runs them (subprocesses).

Strategy: build this plugin's own package signed with a fresh key pair, then check it three ways: our `verify`
command, an independent restatement of the Dify daemon's verifier (decoder/verifier.go: SHA-256 of every entry
in archive order, then the decimal signing time, RSASSA-PKCS1-v1_5 with SHA-256), and the exact layout that
`dify signature sign` writes (last entry .verification.dify.json, compact JSON zip comment, PKCS#1 PEM keys).
Then every way a package must be refused: a changed file, a changed order, a changed time, another key, no
signature, a private key given as the public one. Two 2048-bit key pairs are made once (a 4096-bit one, the
default, takes seconds); the refusals run sign.py's command line in this process (same code, no interpreter
start each time).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import difypkg
import pytest
import sign
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from support import PLUGIN_ROOT

KeyPair = tuple[Path, Path]  # (private, public)


def run_script(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *map(str, args)], cwd=PLUGIN_ROOT, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, KeyPair]:
    """Two key pairs from `python scripts/sign.py keygen`: 2048-bit, as a 4096-bit key takes seconds to make
    (the format is the same; the default size is checked apart)."""
    folder = tmp_path_factory.mktemp("keys")
    pairs = {}
    for name in ("mine", "other"):
        result = run_script("scripts/sign.py", "keygen", folder / name, "--bits", "2048")
        assert result.returncode == 0, result.stderr
        assert "keep it secret" in result.stdout
        pairs[name] = (folder / f"{name}.private.pem", folder / f"{name}.public.pem")
    return pairs


@pytest.fixture(scope="module")
def signed(keys: dict[str, KeyPair], tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("signed") / "plugin.difypkg"
    result = run_script("scripts/package.py", "--sign", keys["mine"][0], "-o", output)
    assert result.returncode == 0, result.stderr
    assert "signed: yes" in result.stdout
    return output


@pytest.fixture
def sign_command(capsys: pytest.CaptureFixture[str]):
    """`python scripts/sign.py ARGS...` in this process: (exit status, stdout, stderr)."""

    def _run(*args: str | Path) -> tuple[int, str, str]:
        status = sign.main([str(arg) for arg in args])
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return _run


def rewrite(
    source: Path, target: Path, *, change: str | None = None, reverse: bool = False, comment: bytes | None = None
) -> Path:
    """Copy a package entry by entry, optionally changing one file, the order or the comment."""
    with zipfile.ZipFile(source) as original:
        entries = [(info.filename, original.read(info)) for info in original.infolist()]
        old_comment = original.comment
    if change is not None:
        entries = [(name, content + b"\n# changed\n" if name == change else content) for name, content in entries]
    if reverse:
        entries.reverse()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries:
            archive.writestr(name, content)
        archive.comment = old_comment if comment is None else comment
    return target


def test_keygen_writes_the_daemons_key_files(keys: dict[str, KeyPair]) -> None:
    private_path, public_path = keys["mine"]
    private_pem, public_pem = private_path.read_bytes(), public_path.read_bytes()
    # The only forms the daemon's LoadPrivateKey/LoadPublicKey accept: one PKCS#1 block each, nothing after.
    for pem, kind in ((private_pem, b"RSA PRIVATE KEY"), (public_pem, b"RSA PUBLIC KEY")):
        assert re.fullmatch(b"-----BEGIN %s-----\n[A-Za-z0-9+/=\n]+-----END %s-----\n" % (kind, kind), pem)
    public_key = serialization.load_pem_public_key(public_pem)
    assert isinstance(public_key, rsa.RSAPublicKey)
    assert (public_key.key_size, public_key.public_numbers().e) == (2048, 65537)
    # Without --bits, keygen makes what `dify signature generate` makes: RSA-4096.
    assert sign.parse_arguments(["keygen", "prefix"]).bits == sign.KEY_BITS == 4096
    assert private_path.stat().st_mode & 0o077 == 0  # only the owner may read the private key
    again = run_script("scripts/sign.py", "keygen", str(private_path).removesuffix(".private.pem"))
    assert again.returncode == 1 and "already exists" in again.stderr


def test_signed_package_verifies_with_its_public_key(signed: Path, keys: dict[str, KeyPair]) -> None:
    result = run_script("scripts/sign.py", "verify", signed, "--pubkey", keys["mine"][1])
    assert result.returncode == 0, result.stderr
    assert "category community" in result.stdout


def test_signed_package_has_the_daemons_layout_and_message(signed: Path, keys: dict[str, KeyPair]) -> None:
    with zipfile.ZipFile(signed) as archive:
        infos = archive.infolist()
        contents = [archive.read(info) for info in infos]
        comment = archive.comment
    assert infos[-1].filename == ".verification.dify.json"
    assert contents[-1] == b'{"authorized_category":"community"}'
    assert re.fullmatch(rb'\{"signature":"[A-Za-z0-9+/]{342}==","time":\d+\}', comment)  # 256 bytes (2048 bits)
    payload = json.loads(comment)
    # The daemon's verifier, restated: names are not hashed, the order is the archive's.
    message = b"".join(hashlib.sha256(content).digest() for content in contents) + str(payload["time"]).encode()
    public_key = serialization.load_pem_public_key(keys["mine"][1].read_bytes())
    assert isinstance(public_key, rsa.RSAPublicKey)
    public_key.verify(base64.b64decode(payload["signature"]), message, padding.PKCS1v15(), hashes.SHA256())
    assert not [info.filename for info in infos if info.filename.endswith(".pem")]  # the key never ships


def test_check_accepts_the_signed_package(signed: Path) -> None:
    result = run_script("scripts/check.py", "--skip-sdk", signed)
    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines()[-1].startswith("0 error(s), ")  # warnings: the template's placeholders


def test_changed_file_order_or_time_is_refused(
    signed: Path, keys: dict[str, KeyPair], tmp_path: Path, sign_command
) -> None:
    payload = json.loads(zipfile.ZipFile(signed).comment)
    later = json.dumps({**payload, "time": payload["time"] + 1}, separators=(",", ":")).encode()
    tampered = {
        "file": rewrite(signed, tmp_path / "file.difypkg", change="manifest.yaml"),
        "order": rewrite(signed, tmp_path / "order.difypkg", reverse=True),
        "time": rewrite(signed, tmp_path / "time.difypkg", comment=later),
    }
    for case, package in tampered.items():
        status, _, error = sign_command("verify", package, "--pubkey", keys["mine"][1])
        assert status == 1, case
        assert "the package was changed after it was signed" in error, case
    untouched = rewrite(signed, tmp_path / "recompressed.difypkg")  # compression is not signed: still valid
    assert sign_command("verify", untouched, "--pubkey", keys["mine"][1])[0] == 0


def test_another_key_is_refused(signed: Path, keys: dict[str, KeyPair], sign_command) -> None:
    status, _, error = sign_command("verify", signed, "--pubkey", keys["other"][1])
    assert status == 1
    assert "signed with another key" in error
    both = sign_command("verify", signed, "--pubkey", keys["other"][1], "--pubkey", keys["mine"][1])
    assert both[0] == 0  # like THIRD_PARTY_SIGNATURE_VERIFICATION_PUBLIC_KEYS: any listed key may match


def test_unsigned_package_is_refused(keys: dict[str, KeyPair], tmp_path: Path, sign_command) -> None:
    unsigned = difypkg.build_package(PLUGIN_ROOT, tmp_path / "unsigned.difypkg").path
    status, _, error = sign_command("verify", unsigned, "--pubkey", keys["mine"][1])
    assert status == 1
    assert "not signed" in error
    assert sign_command("sign", unsigned, "--key", keys["mine"][0])[0] == 0  # -> unsigned.signed.difypkg
    assert sign_command("verify", tmp_path / "unsigned.signed.difypkg", "--pubkey", keys["mine"][1])[0] == 0
    status, _, error = sign_command("sign", tmp_path / "unsigned.signed.difypkg", "--key", keys["mine"][0])
    assert status == 1 and "already signed" in error


def test_key_files_the_daemon_would_not_load_are_refused(
    signed: Path, keys: dict[str, KeyPair], tmp_path: Path, sign_command
) -> None:
    private_key = serialization.load_pem_private_key(keys["mine"][0].read_bytes(), password=None)
    spki = tmp_path / "spki.pem"  # "BEGIN PUBLIC KEY": valid RSA, but not the PKCS#1 block the daemon reads
    spki_format = serialization.PublicFormat.SubjectPublicKeyInfo
    spki.write_bytes(private_key.public_key().public_bytes(serialization.Encoding.PEM, spki_format))
    status, _, error = sign_command("verify", signed, "--pubkey", spki)
    assert status == 1 and "-----BEGIN RSA PUBLIC KEY-----" in error
    status, _, error = sign_command("verify", signed, "--pubkey", keys["mine"][0])
    assert status == 1 and "this is a private key" in error
