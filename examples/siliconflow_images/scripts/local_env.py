"""The API key for a run outside Dify (scripts/try.py, scripts/models.py): from the environment or `.env`."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

PLUGIN_ROOT = Path(__file__).resolve().parents[1]
NO_KEY = (
    "No API key: put API_KEY=<your key> in .env (see .env.example) or set API_KEY in the environment "
    "(outside Dify the plugin's credentials are not read)."
)


def no_key(fields: Sequence[str] = ("api_key",)) -> str:
    """The error for credentials that are not all set; a field ``secret_key`` is read from SECRET_KEY."""
    if tuple(fields) == ("api_key",):
        return NO_KEY
    names = " and ".join(name.upper() for name in fields)
    return (
        f"No credentials: put {names} in .env (see .env.example) or in the environment "
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


def local_credentials(plugin_root: Path = PLUGIN_ROOT, fields: Sequence[str] = ("api_key",)) -> dict[str, str]:
    """{"api_key": ..., "base_url": ... (only when set)}; the environment wins over .env. ``fields``: the credential
    fields the settings' auth names (e.g. access_key and secret_key, read from ACCESS_KEY and SECRET_KEY)."""
    found = {**read_dotenv(plugin_root / ".env"), **os.environ}
    credentials = {name: found.get(name.upper(), "") for name in fields}
    if found.get("BASE_URL"):
        credentials["base_url"] = found["BASE_URL"]
    return credentials
