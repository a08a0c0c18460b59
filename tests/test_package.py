"""scripts/package.py and scripts/difypkg.py: which files go in, the zip format, the checksum, the limits."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import PYTHON, load_script, run, write_tree

MINIMAL_MANIFEST = "author: tester\nname: demo\nversion: 0.0.1\n"


package = load_script("package")
difypkg = sys.modules["difypkg"]  # the very module package.py uses, so its exception classes match


def packed_paths(root: Path) -> list[str]:
    return [packed_file.path for packed_file in difypkg.collect_files(root)]


# ── which files: the daemon's ignore-file rules ────────────────────────────────────────────────


def test_difyignore_beats_gitignore(tmp_path: Path) -> None:
    write_tree(tmp_path, {".difyignore": "a.txt\n", ".gitignore": "b.txt\n", "a.txt": "", "b.txt": ""})
    assert packed_paths(tmp_path) == [".difyignore", ".gitignore", "b.txt"]


def test_gitignore_is_the_fallback_when_there_is_no_difyignore(tmp_path: Path) -> None:
    write_tree(tmp_path, {".gitignore": "b.txt\n", "a.txt": "", "b.txt": ""})
    assert packed_paths(tmp_path) == [".gitignore", "a.txt"]


def test_unreadable_difyignore_falls_back_to_gitignore(tmp_path: Path) -> None:
    # The daemon's ReadFile fails on a folder, exactly as on a missing file.
    write_tree(tmp_path, {".difyignore/x.txt": "", ".gitignore": "b.txt\n", "b.txt": ""})
    assert packed_paths(tmp_path) == [".difyignore/x.txt", ".gitignore"]


def test_empty_difyignore_disables_the_gitignore_fallback(tmp_path: Path) -> None:
    write_tree(tmp_path, {".difyignore": "", ".gitignore": "b.txt\n", "b.txt": ""})
    assert packed_paths(tmp_path) == [".difyignore", ".gitignore", "b.txt"]


def test_no_ignore_file_packs_everything(tmp_path: Path) -> None:
    write_tree(tmp_path, {".env": "", "__pycache__/m.pyc": b"", "debug.log": ""})
    assert packed_paths(tmp_path) == [".env", "__pycache__/m.pyc", "debug.log"]


def test_comments_blank_lines_and_surrounding_spaces(tmp_path: Path) -> None:
    ignore = "# a.txt\n\n   \n  b.txt  \r\n\t# c.txt\n"  # lines are trimmed before the '#' test; CRLF is fine
    write_tree(tmp_path, {".difyignore": ignore, "a.txt": "", "b.txt": "", "c.txt": ""})
    assert packed_paths(tmp_path) == [".difyignore", "a.txt", "c.txt"]


def test_lines_that_match_nothing_in_the_daemon(tmp_path: Path) -> None:
    # go-git turns "/" and a lone "!" into patterns that never match; pathspec alone would read "/" as "everything".
    write_tree(tmp_path, {".difyignore": "/\n!\n\\\n", "a.txt": ""})
    assert packed_paths(tmp_path) == [".difyignore", "a.txt"]


def test_first_matching_pattern_excludes_and_negation_never_reincludes(tmp_path: Path) -> None:
    ignore = "!keep.log\n*.log\n!keep.log\n"  # in git, the last line would bring keep.log back
    write_tree(tmp_path, {".difyignore": ignore, "keep.log": "", "other.log": "", "notes.txt": ""})
    assert packed_paths(tmp_path) == [".difyignore", "notes.txt"]
    rules = difypkg.load_ignore_rules(tmp_path)
    assert str(rules.excluding_rule("keep.log", is_dir=False)) == ".difyignore line 2: *.log"


def test_excluded_folder_is_pruned(tmp_path: Path) -> None:
    write_tree(tmp_path, {".difyignore": "cache/\n!cache/keep.txt\n", "cache/keep.txt": "", "cache/deep/x.txt": ""})
    (tmp_path / "elsewhere").mkdir()
    # Walking into cache/ would hit this symlink to a folder and fail: pruning never looks inside.
    (tmp_path / "cache" / "link").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    assert packed_paths(tmp_path) == [".difyignore"]


def test_folder_pattern_matches_folders_only(tmp_path: Path) -> None:
    write_tree(tmp_path, {".difyignore": "build/\n", "build/out.txt": "", "docs/build": "a file named build"})
    assert packed_paths(tmp_path) == [".difyignore", "docs/build"]


def test_nested_gitignore_is_not_read(tmp_path: Path) -> None:
    write_tree(tmp_path, {"sub/.gitignore": "x.txt\n", "sub/x.txt": "", "sub/.difyignore": "x.txt\n"})
    assert packed_paths(tmp_path) == ["sub/.difyignore", "sub/.gitignore", "sub/x.txt"]


def test_anchored_and_unanchored_patterns(tmp_path: Path) -> None:
    files = {
        ".difyignore": "/top.txt\nany.txt\nsub/deep.txt\n",  # leading or middle slash: relative to the root
        "top.txt": "",
        "sub/top.txt": "",
        "any.txt": "",
        "sub/any.txt": "",
        "sub/deep.txt": "",
        "other/sub/deep.txt": "",
    }
    write_tree(tmp_path, files)
    assert packed_paths(tmp_path) == [".difyignore", "other/sub/deep.txt", "sub/top.txt"]


def test_wildcards_follow_gitignore(tmp_path: Path) -> None:
    files = {".difyignore": "docs/*.md\n**/tmp\n", "docs/a.md": "", "docs/sub/b.md": "", "x/y/tmp/z": "", "k": ""}
    write_tree(tmp_path, files)
    assert packed_paths(tmp_path) == [".difyignore", "docs/sub/b.md", "k"]


# ── symlinks ──────────────────────────────────────────────────────────────────────────────────


def test_symlink_to_a_folder_is_refused(tmp_path: Path) -> None:
    write_tree(tmp_path, {"manifest.yaml": MINIMAL_MANIFEST, "real/a.txt": ""})
    (tmp_path / "linked").symlink_to(tmp_path / "real", target_is_directory=True)
    with pytest.raises(difypkg.PackagingError, match=r"linked is a symlink to a folder"):
        difypkg.collect_files(tmp_path)


def test_symlink_to_a_folder_is_fine_when_excluded_by_name(tmp_path: Path) -> None:
    write_tree(tmp_path, {".difyignore": "linked\n", "real/a.txt": ""})
    (tmp_path / "linked").symlink_to(tmp_path / "real", target_is_directory=True)
    assert packed_paths(tmp_path) == [".difyignore", "real/a.txt"]


def test_folder_pattern_does_not_exclude_a_symlink_to_a_folder(tmp_path: Path) -> None:
    # The daemon's WalkDir reports a symlink as a file, so "linked/" does not match it and packing fails.
    write_tree(tmp_path, {".difyignore": "linked/\n", "real/a.txt": ""})
    (tmp_path / "linked").symlink_to(tmp_path / "real", target_is_directory=True)
    with pytest.raises(difypkg.PackagingError, match=r"symlink to a folder"):
        difypkg.collect_files(tmp_path)


def test_symlink_to_a_file_packs_the_target_under_the_link_name(tmp_path: Path) -> None:
    outside = write_tree(tmp_path / "outside", {"shared.txt": "shared content"})
    plugin = write_tree(tmp_path / "plugin", {"manifest.yaml": MINIMAL_MANIFEST})
    (plugin / "alias.txt").symlink_to(outside / "shared.txt")
    info = package.build_package(plugin, tmp_path / "out.difypkg")
    with zipfile.ZipFile(info.path) as archive:
        assert archive.read("alias.txt") == b"shared content"


def test_broken_symlink_is_refused(tmp_path: Path) -> None:
    write_tree(tmp_path, {"manifest.yaml": MINIMAL_MANIFEST})
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    with pytest.raises(difypkg.PackagingError, match=r"dangling is a broken symlink"):
        difypkg.collect_files(tmp_path)


# ── the zip ───────────────────────────────────────────────────────────────────────────────────


@pytest.fixture
def small_plugin(tmp_path: Path) -> Path:
    plugin = write_tree(
        tmp_path / "plugin",
        {
            "manifest.yaml": MINIMAL_MANIFEST,
            "z_last.py": "print('z')\n",
            "_assets/icon.svg": "<svg/>",
            "tools/deep/nested.yaml": "a: 1\n",
            "B_upper.txt": "upper",
            "run.sh": "#!/bin/sh\n",
        },
    )
    (plugin / "run.sh").chmod(0o755)
    return plugin


def test_zip_entries_are_sorted_flat_relative_and_without_exec_bits(small_plugin: Path, tmp_path: Path) -> None:
    info = package.build_package(small_plugin, tmp_path / "demo.difypkg")
    with zipfile.ZipFile(info.path) as archive:
        infos = archive.infolist()
        names = [entry.filename for entry in infos]
        assert names == sorted(names) == list(info.files)
        assert names[0] == "B_upper.txt" and "manifest.yaml" in names  # manifest.yaml at the root
        assert not [name for name in names if name.endswith("/")]  # no folder entries
        assert not [name for name in names if name.startswith(("./", "/")) or "\\" in name]
        for entry in infos:
            assert entry.external_attr == 0o644 << 16, entry.filename  # run.sh loses its 0755
            assert entry.date_time == (1980, 1, 1, 0, 0, 0)
            assert entry.compress_type == zipfile.ZIP_DEFLATED
        assert archive.comment == b""
        assert archive.read("tools/deep/nested.yaml") == b"a: 1\n"


def test_rebuilding_the_same_files_is_byte_identical(small_plugin: Path, tmp_path: Path) -> None:
    first = package.build_package(small_plugin, tmp_path / "first.difypkg")
    for path in small_plugin.rglob("*"):
        os.utime(path, (1_000_000_000, 1_000_000_000))  # other times, same content
    (small_plugin / "run.sh").chmod(0o700)
    second = package.build_package(small_plugin, tmp_path / "second.difypkg")
    assert first.path.read_bytes() == second.path.read_bytes()
    assert first.identifier == second.identifier


def test_default_output_is_dist_name_version(small_plugin: Path) -> None:
    info = package.build_package(small_plugin)
    assert info.path == small_plugin / "dist" / "demo-0.0.1.difypkg"
    assert stat.S_IMODE(info.path.stat().st_mode) == 0o644
    assert [path.name for path in info.path.parent.iterdir()] == ["demo-0.0.1.difypkg"]  # no temporary left


# ── checksum and identifier ───────────────────────────────────────────────────────────────────


def test_checksum_and_identifier_follow_the_daemon(tmp_path: Path) -> None:
    files = {
        "manifest.yaml": MINIMAL_MANIFEST.encode(),
        "_assets/icon.svg": b"<svg/>",
        "a/b.txt": b"bee",
        "B.txt": b"upper case sorts before '_' and lower case",
        "empty.txt": b"",
    }
    plugin = write_tree(tmp_path / "plugin", dict(files))
    # The daemon's algorithm, written out independently: sha256 over sha256(path) + sha256(content), by path.
    data = b"".join(
        hashlib.sha256(path.encode()).digest() + hashlib.sha256(content).digest()
        for path, content in sorted(files.items())
    )
    expected = hashlib.sha256(data).hexdigest()

    info = package.build_package(plugin, tmp_path / "demo.difypkg")
    assert info.checksum == expected
    assert info.identifier == f"tester/demo:0.0.1@{expected}"
    assert difypkg.IDENTIFIER_PATTERN.match(info.identifier)
    with zipfile.ZipFile(info.path) as archive:  # the same checksum from the package as from the folder
        entries = [(entry.filename, archive.read(entry)) for entry in archive.infolist()]
    assert difypkg.compute_checksum(reversed(entries)) == expected


def test_identifier_the_daemon_would_refuse_is_an_error(tmp_path: Path) -> None:
    plugin = write_tree(tmp_path, {"manifest.yaml": "author: Tester\nname: demo\nversion: 0.0.1\n"})
    with pytest.raises(difypkg.PackagingError, match=r"the daemon would refuse this unique identifier"):
        package.build_package(plugin)


def test_bad_version_is_an_error(tmp_path: Path) -> None:
    plugin = write_tree(tmp_path, {"manifest.yaml": "author: tester\nname: demo\nversion: '1.0'\n"})
    with pytest.raises(difypkg.PackagingError, match=r"version '1\.0' must match"):
        package.build_package(plugin)


def test_manifest_must_be_packed(tmp_path: Path) -> None:
    plugin = write_tree(tmp_path, {".difyignore": "*.yaml\n", "manifest.yaml": MINIMAL_MANIFEST})
    with pytest.raises(difypkg.PackagingError, match=r"manifest.yaml is excluded by the ignore file"):
        package.build_package(plugin)


def test_a_previous_package_is_never_packed(tmp_path: Path) -> None:
    plugin = write_tree(tmp_path, {"manifest.yaml": MINIMAL_MANIFEST, "dist/demo-0.0.0.difypkg": b"PK"})
    with pytest.raises(difypkg.PackagingError, match=r"dist/demo-0.0.0.difypkg would be packed"):
        package.build_package(plugin)


# ── limits ────────────────────────────────────────────────────────────────────────────────────


def test_size_limit_counts_uncompressed_bytes_and_names_the_largest_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {"manifest.yaml": MINIMAL_MANIFEST, "big.bin": b"x" * 600, "mid.txt": "y" * 300}
    plugin = write_tree(tmp_path / "plugin", files)
    total = sum(path.stat().st_size for path in plugin.iterdir())
    monkeypatch.setattr(difypkg, "MAX_PACKAGE_BYTES", total)
    package.build_package(plugin, tmp_path / "fits.difypkg")  # exactly at the limit is allowed
    monkeypatch.setattr(difypkg, "MAX_PACKAGE_BYTES", total - 1)
    with pytest.raises(difypkg.PackagingError) as raised:
        package.build_package(plugin, tmp_path / "too-big.difypkg")
    message = str(raised.value)
    assert f"the package would hold {total:,} bytes uncompressed, over the limit of {total - 1:,} bytes" in message
    assert "largest files: big.bin (600 bytes), mid.txt (300 bytes), manifest.yaml" in message
    assert not (tmp_path / "too-big.difypkg").exists()


def test_real_50_mib_limit_with_a_sparse_file(tmp_path: Path) -> None:
    plugin = write_tree(tmp_path, {"manifest.yaml": MINIMAL_MANIFEST})
    with (plugin / "weights.bin").open("wb") as sparse:
        sparse.truncate(difypkg.MAX_PACKAGE_BYTES)  # no disk blocks, and never read: the limit is checked first
    with pytest.raises(difypkg.PackagingError, match=r"over the limit of 52,428,800 bytes; largest files: weights"):
        package.build_package(plugin)


def test_file_count_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plugin = write_tree(tmp_path, {"manifest.yaml": MINIMAL_MANIFEST, "a.txt": "", "b.txt": "", "c.txt": ""})
    monkeypatch.setattr(difypkg, "MAX_PACKAGE_FILES", 3)
    with pytest.raises(difypkg.PackagingError, match=r"the package would hold 4 files, over the limit of 3"):
        package.build_package(plugin)


# ── the default rendering and the command line ────────────────────────────────────────────────

RUNTIME_FILES = {
    "manifest.yaml",
    "main.py",
    "requirements.txt",
    "README.md",
    "PRIVACY.md",
    "_assets/icon.svg",
    "provider/modelscope.yaml",
    "provider/modelscope.py",
    "tools/text2image.yaml",
    "tools/text2image.py",
}
RUNTIME_TOP_LEVEL = {"_assets", "provider", "tools", "job_client", "readme"}


@pytest.fixture
def plugin_copy(default_plugin: Path, tmp_path: Path) -> Path:
    """A writable copy of the default rendering, with the clutter a developer's folder collects."""
    plugin = shutil.copytree(default_plugin, tmp_path / "plugin", symlinks=True)
    clutter = {
        ".env": "REMOTE_INSTALL_KEY=abc\n",
        ".venv/lib/site.py": "",
        "tools/__pycache__/text2image.cpython-312.pyc": b"\0",
        ".pytest_cache/v": "",
        ".ruff_cache/v": "",
        "dist/old-0.0.1.difypkg": b"PK",
        "debug.log": "",
        ".DS_Store": b"\0",
        ".git/HEAD": "ref: refs/heads/main\n",
    }
    return write_tree(plugin, clutter)


def test_default_rendering_packs_only_what_runs(plugin_copy: Path, tmp_path: Path) -> None:
    info = package.build_package(plugin_copy, tmp_path / "default.difypkg")
    assert set(info.files) >= RUNTIME_FILES
    outside_runtime = [
        path for path in info.files if path not in RUNTIME_FILES and path.split("/")[0] not in RUNTIME_TOP_LEVEL
    ]
    assert outside_runtime == []  # no tests/, scripts/, answers, caches, dev requirements, pytest.ini, .env
    assert not [path for path in info.files if "__pycache__" in path or path.endswith((".pyc", ".log"))]


def test_rendered_difyignore_excludes_the_output(plugin_copy: Path) -> None:
    rules = difypkg.load_ignore_rules(plugin_copy)
    assert rules.source == ".difyignore"
    assert rules.excluding_rule("dist", is_dir=True) is not None
    assert rules.excluding_rule("x.difypkg", is_dir=False) is not None
    package.build_package(plugin_copy)  # writes dist/<name>-<version>.difypkg ...
    second = package.build_package(plugin_copy)  # ... which the next build leaves out
    assert not [path for path in second.files if path.startswith("dist/") or path.endswith(".difypkg")]


def test_command_line_writes_dist_and_prints_the_identifier(plugin_copy: Path) -> None:
    result = run([PYTHON, "scripts/package.py"], cwd=plugin_copy, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    expected_path = plugin_copy / "dist" / "modelscope_text2image-0.1.0.difypkg"
    assert lines[0] == f"package: {expected_path}"
    assert lines[1].startswith("identifier: your-name/modelscope_text2image:0.1.0@")
    assert difypkg.IDENTIFIER_PATTERN.match(lines[1].removeprefix("identifier: "))
    assert expected_path.is_file()

    listed = run([PYTHON, "scripts/package.py", "--list"], cwd=plugin_copy, timeout=60)
    with zipfile.ZipFile(expected_path) as archive:
        assert listed.stdout.splitlines() == archive.namelist()


def test_output_dir_option(small_plugin: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert package.main(["--output-dir", str(tmp_path / "out"), str(small_plugin)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == f"package: {tmp_path / 'out' / 'demo-0.0.1.difypkg'}"


def test_no_chatflow_when_the_manifest_declares_no_tool(
    small_plugin: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert package.main(["--output-dir", str(tmp_path / "out"), str(small_plugin)]) == 0
    assert "chatflow: none (the manifest declares no tool provider)" in capsys.readouterr().out
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == ["demo-0.0.1.difypkg"]


def test_use_dify_cli_runs_dify_plugin_package(
    small_plugin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    prebuilt = package.build_package(small_plugin, tmp_path / "prebuilt.difypkg")
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    fake_dify = fake_bin / "dify"
    fake_dify.write_text(f'#!/bin/sh\necho "$@" > "{tmp_path}/args.txt"\ncp "{prebuilt.path}" "$5"\n')
    fake_dify.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake_bin}{os.pathsep}{os.environ['PATH']}")
    output = tmp_path / "cli.difypkg"

    assert package.main(["--use-dify-cli", "-o", str(output), str(small_plugin)]) == 0
    assert (tmp_path / "args.txt").read_text().split() == ["plugin", "package", str(small_plugin), "-o", str(output)]
    assert f"identifier: {prebuilt.identifier}" in capsys.readouterr().out


def test_use_dify_cli_without_dify_on_path(
    small_plugin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert package.main(["--use-dify-cli", str(small_plugin)]) == 2
    assert "`dify` is not on PATH" in capsys.readouterr().err


def test_packaging_error_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert package.main([str(tmp_path)]) == 1
    assert "manifest.yaml: not found" in capsys.readouterr().err
