"""Zhipu (CogView) through the official ``zai-sdk`` (ZhipuAiClient).

Captured with the SDK against the recorder: ``POST {base}/images/generations`` (base ``.../api/paas/v4``),
JSON ``{prompt, model, size}``, ``Authorization: Bearer <key>`` (the key as given; no JWT with zai-sdk).
Answer (the SDK's ImagesResponded): ``{created, data: [{url}]}``; failure ``{"error": {code, message}}`` raised
as APIRequestFailedError. The preset (presets/zhipu.yml) must send the same.
"""

from __future__ import annotations

import json
from importlib.metadata import version

from contracts.harness import Call, Expected, Official, png, serve_file
from contracts.recorder import Answer, Recorder

PRESET = "zhipu"
TOOLS = ("text2image",)
CLIENT = f"zai-sdk {version('zai-sdk')}"
API_KEY = "0123456789abcdef.contractSecret"
SUBMIT_HEADERS = ("authorization",)
POLL_HEADERS = ()
SCENARIOS = ("success", "http_error")  # what the scripted answers cover, for every tool
PATH = "/api/paas/v4/images/generations"


def base_path(tool: str) -> str:
    return "/api/paas/v4"


def call(tool: str) -> Call:
    return Call(model="cogview-4-250304", size="1024x1024")


def script(recorder: Recorder, tool: str, scenario: str) -> Expected:
    if scenario == "http_error":
        message = "图片尺寸不合法 (size is invalid)"
        recorder.script("POST", PATH, Answer(400, {"error": {"code": "1214", "message": message}}))
        return Expected(error=message)
    image = png("zhipu")
    recorder.script(
        "POST", PATH, Answer(200, {"created": 1767225600, "data": [{"url": serve_file(recorder, "z.png", image)}]})
    )
    return Expected(files=[image])


def official(origin: str, tool: str, call: Call) -> Official:
    from zai import ZhipuAiClient
    from zai.core import APIStatusError

    client = ZhipuAiClient(api_key=API_KEY, base_url=f"{origin}/api/paas/v4", max_retries=0)
    try:
        response = client.images.generations(model=call.model, prompt=call.prompt, size=call.size)
    except APIStatusError as error:
        return Official(error=json.loads(error.response.text)["error"]["message"])
    return Official(results=[item.url for item in response.data if item.url])
