"""SiliconFlow Images API: no official Python client of its own, so the "official" side replays the documented call.

Golden request after the API reference, https://docs.siliconflow.cn/cn/api-reference/images/images-generations:
``POST {base}/images/generations`` with ``Authorization: Bearer <key>``, JSON ``{model, prompt, negative_prompt,
image_size: "WxH", batch_size, seed, num_inference_steps, guidance_scale}``, synchronous; the answer is ``{"images":
[{"url"}], "timings", "seed"}`` (URLs valid for an hour), a failure ``{"code", "message", "data"}``. The preset
(presets/siliconflow.yml) must send the same.
"""

from __future__ import annotations

from typing import Any

import requests

from contracts.harness import Call, Expected, Official, png, serve_file
from contracts.recorder import Answer, Recorder

PRESET = "siliconflow"
TOOLS = ("text2image",)
CLIENT = "golden requests from https://docs.siliconflow.cn/cn/api-reference/images/images-generations"
API_KEY = "sk-contract0123456789"
SUBMIT_HEADERS = ("authorization",)
POLL_HEADERS = ()
SCENARIOS = ("success", "http_error")  # what the scripted answers cover, for every tool
PATH = "/v1/images/generations"


def base_path(tool: str) -> str:
    return "/v1"


def call(tool: str) -> Call:
    return Call(model="Kwai-Kolors/Kolors", negative_prompt="blurry", size="1024x1024", n=2, seed=7)


def script(recorder: Recorder, tool: str, scenario: str) -> Expected:
    if scenario == "http_error":
        message = "Invalid image_size for this model"
        recorder.script("POST", PATH, Answer(400, {"code": 20012, "message": message, "data": None}))
        return Expected(error=message)
    images = [png("siliconflow 1"), png("siliconflow 2")]
    served = [{"url": serve_file(recorder, f"s{index}.png", image)} for index, image in enumerate(images)]
    recorder.script("POST", PATH, Answer(200, {"images": served, "timings": {"inference": 1.2}, "seed": 7}))
    return Expected(files=images)


def official(origin: str, tool: str, call: Call) -> Official:
    """The reference's request, parameters filled from the logical call."""
    body: dict[str, Any] = {"model": call.model, "prompt": call.prompt}
    optional = {
        "negative_prompt": call.negative_prompt,
        "image_size": call.size,
        "batch_size": call.n,
        "seed": call.seed,
    }
    body.update({name: value for name, value in optional.items() if value is not None})
    answer = requests.post(f"{origin}{PATH}", headers={"Authorization": f"Bearer {API_KEY}"}, json=body, timeout=30)
    if answer.status_code >= 400:
        return Official(error=answer.json()["message"])
    return Official(results=[item["url"] for item in answer.json()["images"]])
