"""Compare the provider's current models with this plugin's curated lists: new, retired, unchanged, per tool.

    python scripts/models.py            # the real API; key from .env or the environment (API_KEY, BASE_URL)
    python scripts/models.py --fake     # offline, against the embedded fake API

"new": listed now and usable by the tool (its id patterns in settings.yaml) but not in the curated list;
"retired": curated but no longer listed; "unchanged": both. Copy what you keep into the preset (and its
`checked:` date) or into settings.yaml's `tools.<tool>.models.known`. The key is never printed. Exits with
status 1 when the listing cannot be read, 2 when the plugin has no listing endpoint.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

import yaml

PLUGIN_ROOT = Path(__file__).resolve().parents[1]
if str(PLUGIN_ROOT) not in sys.path:
    sys.path.insert(0, str(PLUGIN_ROOT))

from local_env import local_credentials, no_key  # noqa: E402 (scripts/ is this file's folder: on sys.path)

from job_client import PluginError  # noqa: E402
from job_client.kinds import job_tools  # noqa: E402
from job_client.models import ListingCache, ModelLister  # noqa: E402
from job_client.settings import SETTINGS_FILE, Settings, load_settings  # noqa: E402

JOB_TOOLS = job_tools()


def tool_settings() -> dict[str, Settings]:
    with SETTINGS_FILE.open(encoding="utf-8") as stream:
        sections = (yaml.safe_load(stream) or {}).get("tools") or {}
    return {tool: load_settings(tool=tool) for tool in JOB_TOOLS if tool in sections}


@contextlib.contextmanager
def credentials(fake: bool, every: dict[str, Settings]) -> Iterator[tuple[dict[str, str], str | None]]:
    """(the credential fields the settings' auth names, base URL or None)."""
    if not fake:
        fields = next(iter(every.values())).auth.fields  # api_key, or e.g. access_key and secret_key
        found = local_credentials(PLUGIN_ROOT, fields)
        if not all(found[name] for name in fields):
            raise SystemExit(f"error: {no_key(fields)}")
        yield {name: found[name] for name in fields}, found.get("base_url")
        return
    sys.path.insert(0, str(PLUGIN_ROOT / "scripts"))
    from fake_provider import FakeProvider, Scenario

    # The fake lists every tool's curated models and a chat model: all "unchanged", nothing new.
    listed = [model for settings in every.values() for model in settings.models.known] + ["fake-chat-model-7b"]
    with FakeProvider(next(iter(every.values())), Scenario(models=listed)) as server:
        yield server.credentials, server.base_url


def compare(lister: ModelLister) -> list[tuple[str, str, str]]:
    """(status, id, label) rows: unchanged and retired in the curated order, then the new ones as listed."""
    known = lister.listing.known
    usable = lister.usable(lister.live_ids())
    rows = [("unchanged" if model in usable else "retired", model, label) for model, label in known.items()]
    return rows + [("new", model, "") for model in usable if model not in known]


def main() -> int:
    parser = argparse.ArgumentParser(description="Compare the provider's current models with the curated lists.")
    parser.add_argument("--fake", action="store_true", help="list the embedded fake API's models (offline)")
    args = parser.parse_args()
    every = tool_settings()
    first = next(iter(every.values()))
    if not first.models.path:
        print(f"{first.provider_label}: no model listing endpoint (settings.yaml models.path); nothing to compare.")
        return 2
    status = 0
    with credentials(args.fake, every) as (api_key, base_url):
        for tool, settings in every.items():
            lister = ModelLister(settings, api_key, base_url, cache=ListingCache())
            checked = settings.models.checked or "never"
            print(f"{tool}: {settings.provider_label} {settings.models.path} (curated list checked {checked})")
            try:
                rows = compare(lister)
            except PluginError as error:
                print(f"  cannot list the models: {error.english}")
                status = 1
                continue
            for kind, model, label in rows:
                print(f"  {kind:<10} {model}" + (f"  ({label})" if label else ""))
    return status


if __name__ == "__main__":
    sys.exit(main())
