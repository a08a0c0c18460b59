"""Zhipu (CogView) through the official ``zai-sdk`` (ZhipuAiClient).

Captured with the SDK against the recorder: ``POST {base}/images/generations`` (base ``.../api/paas/v4``),
JSON ``{prompt, model, size}``, ``Authorization: Bearer <key>`` (the key as given; no JWT with zai-sdk).
Answer (the SDK's ImagesResponded): ``{created, data: [{url}]}``. Failures are ``{"error": {code, message}}``
(the SDK raises an APIStatusError with the raw text), with business codes from the official table
(https://docs.bigmodel.cn/cn/api/api-code; HTTP statuses per https://docs.z.ai/api-reference/api-code):

- bad_key: HTTP 401 "Authentication failure", business code 1000 "身份验证失败";
- http_error: HTTP 400 "Parameter error", business code 1214 "${field} 参数非法。请检查文档".

One family (CogView-4, https://docs.z.ai/api-reference/image/generate-image) with one curated model.
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
SCENARIOS = ("success", "bad_key", "http_error")  # what the scripted answers cover, for every tool
PATH = "/api/paas/v4/images/generations"


def base_path(tool: str) -> str:
    return "/api/paas/v4"


def family_calls(tool: str) -> dict[str, Call]:
    # 1536x1024: a custom size (no recommended one), inside the documented range: sides 512..2048, multiples of 16,
    # 1,572,864 <= 2^21 pixels.
    return {"cogview-4": Call(model="cogview-4-250304", size="1536x1024")}


def call(tool: str) -> Call:
    return family_calls(tool)["cogview-4"]


def script(recorder: Recorder, tool: str, scenario: str) -> Expected:
    if scenario == "bad_key":
        message = "身份验证失败"
        recorder.script("POST", PATH, Answer(401, {"error": {"code": "1000", "message": message}}))
        return Expected(error=message)
    if scenario == "http_error":
        message = "size 参数非法。请检查文档"
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
