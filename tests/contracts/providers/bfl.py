"""Black Forest Labs (FLUX API): no official Python client, so the "official" side replays the documented calls.

Golden requests after the BFL quick start (https://docs.bfl.ai/quick_start/generating_images), read through
third-party summaries, not first hand: ``POST https://api.bfl.ai/v1/{model}`` with ``x-key: <key>`` (no scheme),
JSON ``{prompt, width, height, seed}`` -> ``{id, polling_url}``; ``GET {polling_url}`` with ``x-key`` until
``status`` is ``Ready`` (``result.sample``: a signed URL) or one of ``Error``, ``Request Moderated``, ``Content
Moderated``, ``Task not found``. The preset (presets/bfl.yml) must send the same; BFL takes width and height as two
integers, which the WxH ``size`` parameter does not split yet, so size is left out.
"""

from __future__ import annotations

import time

import requests

from contracts.harness import Call, Expected, Official, png, serve_file
from contracts.recorder import Answer, Recorder

PRESET = "bfl"
TOOLS = ("text2image",)
CLIENT = "golden requests from https://docs.bfl.ai/quick_start/generating_images (unverified summary)"
API_KEY = "bfl-contract-0123456789"
SUBMIT_HEADERS = ("x-key",)
POLL_HEADERS = ("x-key",)
SCENARIOS = ("success", "task_failed")  # what the scripted answers cover, for every tool
MODEL = "flux-pro-1.1"
TASK = "a3b1c2d4-contract"
POLL = "/v1/get_result"


def base_path(tool: str) -> str:
    return "/v1"


def call(tool: str) -> Call:
    return Call(model=MODEL, seed=7)


def script(recorder: Recorder, tool: str, scenario: str) -> Expected:
    polling_url = "{origin}" + POLL + "?id=" + TASK
    recorder.script("POST", f"/v1/{MODEL}", Answer(200, {"id": TASK, "polling_url": polling_url}))
    pending = Answer(200, {"id": TASK, "status": "Pending", "result": None, "progress": 0.4})
    if scenario == "task_failed":
        recorder.script("GET", POLL, pending, Answer(200, {"id": TASK, "status": "Content Moderated", "result": None}))
        return Expected(error="Content Moderated")
    image = png("bfl")
    ready = {"id": TASK, "status": "Ready", "result": {"sample": serve_file(recorder, "sample.jpg", image), "seed": 7}}
    recorder.script("GET", POLL, pending, Answer(200, ready))
    return Expected(files=[image])


def official(origin: str, tool: str, call: Call) -> Official:
    headers = {"accept": "application/json", "x-key": API_KEY, "Content-Type": "application/json"}
    body = {"prompt": call.prompt, "seed": call.seed}
    submitted = requests.post(f"{origin}/v1/{call.model}", headers=headers, json=body, timeout=30).json()
    while True:
        result = requests.get(submitted["polling_url"], headers=headers, timeout=30).json()
        if result["status"] == "Ready":
            return Official(results=[result["result"]["sample"]])
        if result["status"] in ("Error", "Request Moderated", "Content Moderated", "Task not found"):
            return Official(error=result["status"])
        time.sleep(0.05)
