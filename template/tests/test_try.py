"""scripts/try.py, the try-run without Dify: it runs as a user runs it, in a subprocess.

Offline with --fake the saved file must be exactly the fake provider's image; against a fake that refuses the
key, the run must fail with the plugin's own message and a non-zero status. The key never reaches the output.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fake_provider import FakeProvider, Scenario, sample_jpeg

from job_client import load_settings
from job_client.media import sniff_mime_type

PLUGIN_ROOT = Path(__file__).resolve().parents[1]


def try_run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if key not in ("API_KEY", "BASE_URL")}
    return subprocess.run(
        [sys.executable, "scripts/try.py", *args],
        cwd=PLUGIN_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**environment, **(env or {})},
    )


def test_fake_run_saves_the_fake_providers_image(tmp_path: Path) -> None:
    result = try_run("a golden cat", "--fake", "--out", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    (saved,) = tmp_path.iterdir()
    # The fake labels each image with its job, index and prompt, so the expected bytes are known exactly.
    assert saved.read_bytes() == sample_jpeg("fake-task-1 image 1 prompt a golden cat")
    assert sniff_mime_type(saved.read_bytes()) == "image/jpeg" and saved.suffix == ".jpg"
    assert f"saved {saved}" in result.stdout and "task id:" in result.stdout


def test_real_run_reads_the_key_from_the_environment_and_saves_served_bytes(tmp_path: Path) -> None:
    with FakeProvider(load_settings()) as fake:
        result = try_run("a red fox", "--out", str(tmp_path), env={"API_KEY": fake.api_key, "BASE_URL": fake.base_url})
        served = fake.jobs[0].images
    assert result.returncode == 0, result.stdout + result.stderr
    assert [path.read_bytes() for path in sorted(tmp_path.iterdir())] == served
    assert fake.api_key not in result.stdout + result.stderr


def test_provider_error_exits_non_zero_with_the_plugins_message(tmp_path: Path) -> None:
    settings = load_settings()
    wrong_key = f"{settings.api_key_prefix}wrong-key-9876543210"
    with FakeProvider(settings, Scenario()) as fake:
        result = try_run("a cat", "--out", str(tmp_path), env={"API_KEY": wrong_key, "BASE_URL": fake.base_url})
    assert result.returncode == 1
    assert "API key is invalid" in result.stderr and "HTTP 401" in result.stderr
    assert wrong_key not in result.stdout + result.stderr
    assert not list(tmp_path.iterdir())
