"""Google: the credential check and the live model menu send what google-genai's ``models.list`` sends.

The credential check is one page of one model (``client.models.list(config={"page_size": 1})``); the menu reads
one page of up to 1000 (``{"page_size": 1000}``), whose ``models[*].name`` are ``models/<id>`` while a request
names the bare id (``generate_content(model="gemini-3.1-flash-image")``): the plugin drops the prefix
(``models.strip_prefix``). The rendered plugin runs in a subprocess (its own ``job_client``) against the recorder.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import render
from contracts.providers import google as driver
from contracts.recorder import Answer, Recorded, Recorder

PROBE = r"""
import json
import sys
from pathlib import Path

root, base_url, api_key = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
sys.path.insert(0, str(root))
from job_client import JobClient
from job_client.models import ListingCache, ModelLister
from job_client.settings import load_settings

settings = load_settings(root / "job_client" / "settings.yaml", tool="text2image")
JobClient(settings, api_key, base_url).check_credentials()
lister = ModelLister(settings, api_key, base_url, cache=ListingCache())
print(json.dumps({"ids": list(lister.live_ids()), "menu": [choice.id for choice in lister.menu().choices]}))
"""
LISTED = ["gemini-3.1-flash-image", "gemini-3.8-flash", "gemini-2.5-flash-image", "gemini-embedding-2"]


@pytest.fixture(scope="module")
def plugin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render(tmp_path_factory.mktemp("google") / "plugin", api_preset="google", tools=["text2image"])


def official_requests(recorder: Recorder) -> list[Recorded]:
    from google import genai
    from google.genai import types

    options = types.HttpOptions(base_url=recorder.origin, api_version="v1beta")
    client = genai.Client(api_key=driver.API_KEY, http_options=options)
    list(client.models.list(config={"page_size": 1}))
    listed = [model.name for model in client.models.list(config={"page_size": 1000})]
    assert listed == [f"models/{model}" for model in LISTED]
    return recorder.api_calls()


def test_the_key_check_and_the_model_listing_ask_what_the_official_client_asks(plugin: Path) -> None:
    with Recorder() as recorder:
        recorder.script("GET", "/v1beta/models", Answer(200, {"models": [{"name": f"models/{m}"} for m in LISTED]}))
        theirs = official_requests(recorder)
        recorder.reset()
        recorder.script("GET", "/v1beta/models", Answer(200, {"models": [{"name": f"models/{m}"} for m in LISTED]}))
        probe = [sys.executable, "-c", PROBE, str(plugin), recorder.origin + driver.BASE, driver.API_KEY]
        done = subprocess.run(probe, capture_output=True, text=True, timeout=60)
        ours = recorder.api_calls()
    assert done.returncode == 0, done.stderr[-2000:]
    assert [(call.method, call.path, call.query) for call in ours] == [
        (call.method, call.path, call.query) for call in theirs
    ]
    assert all(call.header("x-goog-api-key") == driver.API_KEY for call in ours)
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome["ids"] == LISTED
    # Only the image models a family covers, the curated one first; a text or embedding model is never offered.
    assert outcome["menu"] == ["gemini-3.1-flash-image", "gemini-2.5-flash-image"]
