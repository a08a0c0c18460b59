"""ModelScope API-Inference: no official client, so the "official" side replays the documented requests.

Source: the API-Inference documentation, https://www.modelscope.cn/docs/model-service/API-Inference/intro
(section "AIGC模型": its Python sample and its parameter table "更多参数说明"). Submit
``POST {base}/v1/images/generations`` with ``Authorization: Bearer <token>``, ``Content-Type: application/json``
and ``X-ModelScope-Async-Mode: true``, body ``{"model", "prompt"}`` plus the table's optional fields
(negative_prompt, size "WxH", seed, steps, guidance, image_url for edit models; loras is not a tool parameter).
The table has no ``n``: none is sent. The answer holds ``task_id``; then ``GET {base}/v1/tasks/{task_id}`` with
``X-ModelScope-Task-Type: image_generation`` until ``task_status`` is ``SUCCEED`` (``output_images`` holds the
URLs) or ``FAILED``. The table gives ``image_url`` as a string (a URL or base64 data); the sample's base64 variant
wraps it in a list. The preset sends the string, as the table says.

Failures: the documentation shows none of ModelScope's error bodies (its sample calls ``raise_for_status()`` and,
for FAILED, prints "Image Generation Failed."). The bodies scripted here are the shape public ModelScope clients
parse, ``{"errors": {"message"}, "request_id"}`` (not first-hand), and their message texts are placeholders; what
the sample's caller sees of them is the HTTP error with the answer's text, which is what ``official`` reports.
"""

from __future__ import annotations

import base64
import json
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
SCENARIOS = ("success", "bad_key", "http_error", "task_failed", "status_500")  # for every tool
TASK = "4c0b6f0e-contract-task"
SUBMIT_PATH = "/v1/images/generations"
POLL_PATH = f"/v1/tasks/{TASK}"
EDIT_PROMPT = "Make the sky purple"
BAD_KEY = "Invalid authorization token: please check your ModelScope access token."
BAD_SIZE = "Invalid size 4096x4096: out of the model's range."
FAILED_REASON = "Generation failed: the prompt did not pass the content review."
SERVER_ERROR = "Internal server error, please retry later."
# The documented table's optional fields, by the logical call's name (steps and guidance keep theirs).
DOCUMENTED = {"negative_prompt": "negative_prompt", "size": "size", "seed": "seed", "steps": "steps",
              "guidance": "guidance"}  # fmt: skip


def base_path(tool: str) -> str:
    return ""


def call(tool: str) -> Call:
    """The call of the failure scenarios (and of a broken preset): the tool's default model."""
    if tool == "image_edit":
        return Call(model="Qwen/Qwen-Image-Edit", prompt=EDIT_PROMPT, negative_prompt="blurry", seed=7,
                    image=png("modelscope input"))  # fmt: skip
    return Call(model="Qwen/Qwen-Image", negative_prompt="blurry", size="1328x1328", seed=7)


def family_calls(tool: str) -> dict[str, Call]:
    """One success call per model family (presets/modelscope.yml ``families``), each with a size of its own range."""
    if tool == "image_edit":
        return {"qwen-image-edit": call(tool)}  # the family's only curated model, the tool's default
    # steps 1-100 and guidance 1.5-20: documented for every model
    common = {"negative_prompt": "blurry", "seed": 7, "steps": 30, "guidance": 3.5}
    return {
        # The family's only curated model is the tool's default; a free WxH within 64-1664.
        "qwen-image": Call(model="Qwen/Qwen-Image", size="1536x864", **common),
        # Z-Image-Turbo's range starts at 512 and reaches 2048, beyond the other families.
        "z-image-turbo": Call(model="Tongyi-MAI/Z-Image-Turbo", size="2048x1152", **common),
        "flux": Call(model="black-forest-labs/FLUX.1-dev", size="768x1024", **common),
    }


def script(recorder: Recorder, tool: str, scenario: str) -> Expected:
    if scenario == "bad_key":
        recorder.script("POST", SUBMIT_PATH, Answer(401, {"errors": {"message": BAD_KEY}, "request_id": "req-key"}))
        return Expected(error=BAD_KEY)
    if scenario == "http_error":
        recorder.script("POST", SUBMIT_PATH, Answer(400, {"errors": {"message": BAD_SIZE}, "request_id": "req-bad"}))
        return Expected(error=BAD_SIZE)
    recorder.script("POST", SUBMIT_PATH, Answer(200, {"task_id": TASK, "request_id": "req-1"}))
    running = Answer(200, {"task_id": TASK, "task_status": "RUNNING"})
    if scenario == "task_failed":
        failed = {"task_id": TASK, "task_status": "FAILED", "errors": {"message": FAILED_REASON}}
        recorder.script("GET", POLL_PATH, running, Answer(200, failed))
        return Expected(error=FAILED_REASON)
    first = Answer(500, {"errors": {"message": SERVER_ERROR}}) if scenario == "status_500" else running
    image = png(f"modelscope {tool}")
    done = {"task_id": TASK, "task_status": "SUCCEED", "output_images": [serve_file(recorder, "out.png", image)]}
    recorder.script("GET", POLL_PATH, first, Answer(200, done))
    return Expected(files=[image])


def official(origin: str, tool: str, call: Call) -> Official:
    """The documentation's Python sample, parameters filled from the logical call with the table's names."""
    common = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
    body: dict[str, Any] = {"model": call.model, "prompt": call.prompt}
    body.update({field: getattr(call, name) for name, field in DOCUMENTED.items() if getattr(call, name) is not None})
    if call.image is not None:
        body["image_url"] = "data:image/png;base64," + base64.b64encode(call.image).decode("ascii")
    submitted = requests.post(
        f"{origin}{SUBMIT_PATH}",
        headers={**common, "X-ModelScope-Async-Mode": "true"},
        data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
        timeout=30,
    )
    if not submitted.ok:  # the sample's raise_for_status(); its caller has the answer's text
        return Official(error=f"HTTP {submitted.status_code}: {submitted.text}")
    task_id = submitted.json()["task_id"]
    retried = False
    while True:
        result = requests.get(
            f"{origin}/v1/tasks/{task_id}",
            headers={**common, "X-ModelScope-Task-Type": "image_generation"},
            timeout=30,
        )
        if result.status_code == 500 and not retried:
            # The sample's raise_for_status() gives up on a 500 here; the task lives on, so a caller asks again,
            # as the plugin does by itself (a bounded number of times). Both then end with the task's own answer.
            retried = True
            continue
        if not result.ok:
            return Official(error=f"HTTP {result.status_code}: {result.text}")
        data = result.json()
        if data["task_status"] == "SUCCEED":
            return Official(results=list(data["output_images"]))
        if data["task_status"] == "FAILED":
            return Official(error=f"Image Generation Failed. {json.dumps(data, ensure_ascii=False)}")
        time.sleep(0.05)
