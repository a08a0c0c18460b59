"""Replicate survives a 40 s ``Prefer: wait`` create: the plugin reads longer than the official client, within max_wait.

Replicate holds a create sent with ``Prefer: wait`` open until the model is done, up to 60 s
(https://replicate.com/docs/topics/predictions/create-a-prediction); the official client gives that create a read
timeout of 60 s + 0.5 s (replicate 1.0.7, ``_create_prediction_timeout``). The rendered plugin runs against the
recorder in a subprocess (its own ``job_client``) with a virtual clock: the recorder answers at once and the clock
says the create was held 40 s, so no test waits. Its session records the read timeout requests was given and, as
requests would, times out when that is not above the hold.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import render
from contracts.harness import png, serve_file
from contracts.providers import replicate as driver
from contracts.recorder import Answer, Recorder

HOLD = 40.0  # seconds the create is held open
OFFICIAL_READ_WINDOW = 60.5  # replicate 1.0.7: httpx.Timeout(5.0, read=60.0 + 0.5) for Prefer: wait

PROBE = r"""
import json
import sys
from pathlib import Path

import requests

root, base_url, api_key, model, hold = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5])
sys.path.insert(0, str(root))
from job_client import JobClient, PluginError
from job_client.settings import load_settings

now = [0.0]
read_timeouts = []


class HeldCreate(requests.Session):
    def request(self, method, url, **kwargs):
        response = super().request(method, url, **kwargs)
        if method == "POST":
            read_timeouts.append(kwargs["timeout"][1])
            now[0] += hold
            if kwargs["timeout"][1] <= hold:
                raise requests.ReadTimeout("the create was still held open")
        return response


def sleep(seconds):
    now[0] += seconds


settings = load_settings(root / "job_client" / "settings.yaml", tool="text2image")
client = JobClient(settings, api_key, base_url, session=HeldCreate(), clock=lambda: now[0], sleep=sleep)
outcome = {"max_wait": settings.max_wait}
try:
    outcome["files"] = len(client.generate({"model": model, "prompt": "A red fox in fresh snow"}).files)
except PluginError as error:
    outcome["error"] = error.english
outcome["read_timeouts"] = read_timeouts
print(json.dumps(outcome))
"""


@pytest.fixture(scope="module")
def plugin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render(tmp_path_factory.mktemp("replicate-wait") / "plugin", api_preset="replicate", tools=["text2image"])


def run_held_create(plugin: Path, model: str) -> tuple[dict[str, Any], str | None]:
    """The plugin's generate() against a create held HOLD seconds (virtual), answered with the finished prediction."""
    with Recorder() as recorder:
        image = png("replicate held")
        succeeded = driver.prediction_body("succeeded", output=[serve_file(recorder, "held.webp", image)])
        recorder.script("POST", driver.SUBMITS["text2image"], Answer(201, succeeded))
        recorder.script("GET", driver.PREDICTION, Answer(200, succeeded))
        done = subprocess.run(
            [sys.executable, "-c", PROBE, str(plugin), recorder.origin + "/v1", driver.API_KEY, model, str(HOLD)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        creates = [call for call in recorder.calls if call.method == "POST"]
    assert done.returncode == 0, done.stderr[-3000:]
    assert len(creates) == 1
    return json.loads(done.stdout.strip().splitlines()[-1]), creates[0].header("prefer")


def test_the_official_client_reads_60_5_s_on_a_wait_create() -> None:
    """The premise below: replicate 1.0.7's read timeout for a Prefer: wait create."""
    from replicate.prediction import _create_prediction_timeout

    timeout = _create_prediction_timeout(wait=True)
    assert timeout is not None and timeout.read == OFFICIAL_READ_WINDOW


@pytest.mark.parametrize("model", ["black-forest-labs/flux-schnell", "black-forest-labs/flux-dev"])
def test_replicate_survives_a_40_s_prefer_wait_create(plugin: Path, model: str) -> None:
    outcome, prefer = run_held_create(plugin, model)
    assert prefer == "wait"
    assert outcome.get("files") == 1, outcome
    (read_timeout,) = outcome["read_timeouts"]
    assert read_timeout > OFFICIAL_READ_WINDOW, "the plugin gives up before Replicate's 60 s hold can end"
    assert read_timeout <= outcome["max_wait"], "the create's read timeout outlasts the whole call"
