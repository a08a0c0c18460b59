"""SiliconFlow Images API: no official Python client of its own, so the "official" side replays the documented call.

Source: the API reference "创建图片生成请求", https://docs.siliconflow.cn/cn/api-reference/images/images-generations
(same schema at https://api-docs.siliconflow.cn/docs/api/images-generations-post): ``POST {base}/images/generations``
with ``Authorization: Bearer <key>``, JSON ``{model, prompt, negative_prompt, image_size: "WxH", batch_size, seed,
num_inference_steps, guidance_scale, cfg}``, synchronous; the answer is ``{"images": [{"url"}], "timings", "seed"}``
(URLs valid for an hour). Per model, as the reference says: ``batch_size`` (1-4) and ``guidance_scale`` (0-20) are
"Only applicable to Kwai-Kolors/Kolors"; ``cfg`` (0.1-20) "is only applicable to Qwen/Qwen-Image models". The
replay below applies those rules itself (never the preset's data).

Failures: the error-code page, https://docs.siliconflow.cn/en/faqs/error-code (and docs.siliconflow.com), shows a
400 as ``{"code": 20012, "message": "Model does not exist. Please check it carefully.", "data": null}`` and says a
401 means a wrongly set API key. The 401's body is the reference's documented 401 example, the plain text
"Invalid token" (the stored copies of the reference page cut off before its responses: not verified offline).
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
SCENARIOS = ("success", "bad_key", "http_error")  # a synchronous API: no task to fail or poll
PATH = "/v1/images/generations"
KOLORS = "Kwai-Kolors/Kolors"
QWEN_IMAGE = "Qwen/Qwen-Image"
BAD_KEY = "Invalid token"
NO_MODEL = "Model does not exist. Please check it carefully."


def base_path(tool: str) -> str:
    return "/v1"


def call(tool: str) -> Call:
    """The call of the failure scenarios: the tool's default model (Kolors) with its own parameters."""
    return family_calls(tool)["kolors"]


def family_calls(tool: str) -> dict[str, Call]:
    """One call per model family (presets/siliconflow.yml ``families``): a recommended size other than the first."""
    common = {"negative_prompt": "blurry", "seed": 7, "steps": 30}
    return {
        # Kolors is the tool's default and its family's only curated model.
        "kolors": Call(model=KOLORS, size="960x1280", n=2, guidance=7.5, **common),
        # Qwen-Image takes no batch_size; its guidance goes out as cfg.
        "qwen-image": Call(model=QWEN_IMAGE, size="1664x928", guidance=4.0, **common),
    }


def script(recorder: Recorder, tool: str, scenario: str) -> Expected:
    if scenario == "bad_key":
        recorder.script("POST", PATH, Answer(401, BAD_KEY))
        return Expected(error=BAD_KEY)
    if scenario == "http_error":
        recorder.script("POST", PATH, Answer(400, {"code": 20012, "message": NO_MODEL, "data": None}))
        return Expected(error=NO_MODEL)
    images = [png("siliconflow 1"), png("siliconflow 2")]
    served = [{"url": serve_file(recorder, f"s{index}.png", image)} for index, image in enumerate(images)]
    recorder.script("POST", PATH, Answer(200, {"images": served, "timings": {"inference": 1.2}, "seed": 7}))
    return Expected(files=images)


def official(origin: str, tool: str, call: Call) -> Official:
    """The reference's request, parameters filled from the logical call under the reference's per-model names."""
    kolors = call.model == KOLORS
    optional = {
        "negative_prompt": call.negative_prompt,
        "image_size": call.size,
        "batch_size": call.n if kolors else None,
        "seed": call.seed,
        "num_inference_steps": call.steps,
        "guidance_scale" if kolors else "cfg": call.guidance,
    }
    body: dict[str, Any] = {"model": call.model, "prompt": call.prompt}
    body.update({name: value for name, value in optional.items() if value is not None})
    answer = requests.post(f"{origin}{PATH}", headers={"Authorization": f"Bearer {API_KEY}"}, json=body, timeout=30)
    if answer.status_code >= 400:
        try:
            return Official(error=answer.json()["message"])
        except ValueError:  # the 401's body is plain text
            return Official(error=answer.text)
    return Official(results=[item["url"] for item in answer.json()["images"]])
