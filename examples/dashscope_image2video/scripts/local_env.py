"""The API key for a run outside Dify (scripts/try.py, scripts/models.py): from the environment or `.env`."""

from __future__ import annotations

import os
from pathlib import Path

PLUGIN_ROOT = Path(__file__).resolve().parents[1]
NO_KEY = (
    "No API key: put API_KEY=<your key> in .env (see .env.example) or set API_KEY in the environment "
    "(outside Dify the plugin's credentials are not read)."
)


def read_dotenv(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of a .env file (comments and blank lines skipped, surrounding quotes removed)."""
    values: dict[str, str] = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            key, sep, value = line.strip().partition("=")
            if sep and key and not key.startswith("#"):
                values[key.strip()] = value.strip().strip("'\"")
    return values


def local_credentials(plugin_root: Path = PLUGIN_ROOT) -> dict[str, str]:
    """{"api_key": ..., "base_url": ... (only when set)}; the environment wins over .env."""
    found = {**read_dotenv(plugin_root / ".env"), **os.environ}
    credentials = {"api_key": found.get("API_KEY", "")}
    if found.get("BASE_URL"):
        credentials["base_url"] = found["BASE_URL"]
    return credentials
