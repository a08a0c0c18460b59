"""Replicate predictions through the official ``replicate`` client (Client.run with wait=True).

Captured with the client against the recorder: ``POST {base}/models/{owner}/{name}/predictions`` (base
``https://api.replicate.com/v1``) with ``Prefer: wait``, JSON ``{"input": {...}}``, ``Authorization: Bearer
<token>``; answer a Prediction ``{id, status, urls: {get, cancel, web}, output, error}``; while ``status`` is
``starting``/``processing`` the client GETs the prediction (``urls.get``) until ``succeeded`` (``output``: a URL
or a list of URLs) or ``failed``/``canceled`` (``error``: text; the client raises ModelError).
 The preset (presets/replicate.yml) must send the same.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

from contracts.harness import Call, Expected, Official, png, serve_file
from contracts.recorder import Answer, Recorder

PRESET = "replicate"
TOOLS = ("text2image",)
CLIENT = f"replicate {version('replicate')}"
API_KEY = "r8_contract0123456789"
SUBMIT_HEADERS = ("authorization", "prefer")
POLL_HEADERS = ("authorization",)
SCENARIOS = ("success", "task_failed")  # what the scripted answers cover, for every tool
MODEL = "black-forest-labs/flux-schnell"
SUBMIT = f"/v1/models/{MODEL}/predictions"
PREDICTION = "/v1/predictions/gm3qorzdhgbfurvjtvhg6dckhu"
NSFW = "NSFW content detected. Try running it again, or try a different prompt."


def base_path(tool: str) -> str:
    return "/v1"


def call(tool: str) -> Call:
    return Call(model=MODEL, n=2, seed=7)


def _prediction(status: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": PREDICTION.rsplit("/", 1)[1],
        "model": MODEL,
        "version": "hidden",
        "input": {},
        "status": status,
        "created_at": "2026-01-01T00:00:00.000Z",
        "urls": {
            "get": "{origin}" + PREDICTION,
            "cancel": "{origin}" + PREDICTION + "/cancel",
            "web": "https://replicate.com/p/gm3qorzdhgbfurvjtvhg6dckhu",
        },
        "output": None,
        "error": None,
        "logs": "",
        **fields,
    }


def script(recorder: Recorder, tool: str, scenario: str) -> Expected:
    recorder.script("POST", SUBMIT, Answer(201, _prediction("starting")))
    running = Answer(200, _prediction("processing"))
    if scenario == "task_failed":
        recorder.script("GET", PREDICTION, running, Answer(200, _prediction("failed", error=NSFW)))
        return Expected(error=NSFW)
    images = [png(f"replicate {index}") for index in range(2)]
    output = [serve_file(recorder, f"out-{index}.webp", data) for index, data in enumerate(images)]
    recorder.script("GET", PREDICTION, running, Answer(200, _prediction("succeeded", output=output)))
    return Expected(files=images)


def official(origin: str, tool: str, call: Call) -> Official:
    import replicate
    from replicate.exceptions import ModelError

    client = replicate.Client(api_token=API_KEY, base_url=origin)
    inputs = {"prompt": call.prompt, "seed": call.seed, "num_outputs": call.n}
    try:
        output = client.run(call.model, input=inputs, use_file_output=False, wait=True)
    except ModelError as error:
        return Official(error=str(error.prediction.error))
    return Official(results=list(output) if isinstance(output, list) else [str(output)])
