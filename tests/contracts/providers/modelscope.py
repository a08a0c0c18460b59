"""ModelScope API-Inference: no official client, so the "official" side replays the documented requests.

Golden fixtures follow the API-Inference documentation, https://www.modelscope.cn/docs/model-service/API-Inference/intro
(its Python sample): submit
``POST {base}/v1/images/generations`` with ``Authorization: Bearer <token>``, ``Content-Type: application/json``
and ``X-ModelScope-Async-Mode: true``, body ``{"model", "prompt"}`` (plus the documented optional fields, and
``image_url`` for edit models); the answer holds ``task_id``. Then ``GET {base}/v1/tasks/{task_id}`` with
``X-ModelScope-Task-Type: image_generation`` until ``task_status`` is ``SUCCEED`` (``output_images`` holds the
URLs) or ``FAILED``. The error body is undocumented, so only the documented FAILED status is scripted.
"""

from __future__ import annotations

import base64
import time
from typing import Any

import requests

from contracts.harness import Call, Expected, Official, png, serve_file
from contracts.recorder import Answer, Recorder

PRESET = "modelscope"
TOOLS = ("text2image", "image_edit")
CLIENT = "golden requests from https://www.modelscope.cn/docs/model-service/API-Inference/intro"
API_KEY = "ms-contract-0123456789"
SUBMIT_HEADERS = ("authorization", "x-modelscope-async-mode")
POLL_HEADERS = ("authorization", "x-modelscope-task-type")
SCENARIOS = ("success", "task_failed")  # what the scripted answers cover, for every tool
TASK = "4c0b6f0e-contract-task"


def base_path(tool: str) -> str:
    return ""


def call(tool: str) -> Call:
    if tool == "image_edit":
        return Call(model="Qwen/Qwen-Image-Edit", prompt="Make the sky purple", seed=7, image=png("modelscope input"))
    return Call(model="Qwen/Qwen-Image", negative_prompt="blurry", size="1328x1328", n=1, seed=7)


def script(recorder: Recorder, tool: str, scenario: str) -> Expected:
    recorder.script("POST", "/v1/images/generations", Answer(200, {"task_id": TASK, "request_id": "req-1"}))
    running = {"task_id": TASK, "task_status": "RUNNING"}
    if scenario == "task_failed":
        recorder.script(
            "GET", f"/v1/tasks/{TASK}", Answer(200, running), Answer(200, {**running, "task_status": "FAILED"})
        )
        return Expected(error="FAILED")
    image = png(f"modelscope {tool}")
    done = {"task_id": TASK, "task_status": "SUCCEED", "output_images": [serve_file(recorder, "out.png", image)]}
    recorder.script("GET", f"/v1/tasks/{TASK}", Answer(200, running), Answer(200, done))
    return Expected(files=[image])


def official(origin: str, tool: str, call: Call) -> Official:
    """The documentation's Python sample, parameters filled from the logical call."""
    common = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
    body: dict[str, Any] = {"model": call.model, "prompt": call.prompt}
    optional = {"negative_prompt": call.negative_prompt, "size": call.size, "seed": call.seed, "n": call.n}
    body.update({name: value for name, value in optional.items() if value is not None})
    if call.image is not None:
        body["image_url"] = "data:image/png;base64," + base64.b64encode(call.image).decode("ascii")
    submitted = requests.post(
        f"{origin}/v1/images/generations", headers={**common, "X-ModelScope-Async-Mode": "true"}, json=body, timeout=30
    )
    submitted.raise_for_status()
    task_id = submitted.json()["task_id"]
    while True:
        result = requests.get(
            f"{origin}/v1/tasks/{task_id}",
            headers={**common, "X-ModelScope-Task-Type": "image_generation"},
            timeout=30,
        )
        result.raise_for_status()
        data = result.json()
        if data["task_status"] == "SUCCEED":
            return Official(results=list(data["output_images"]))
        if data["task_status"] == "FAILED":
            return Official(error="FAILED")
        time.sleep(0.05)
