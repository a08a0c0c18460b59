"""Volcengine Ark (Seedream) through the official ``volcengine-python-sdk`` Ark runtime (volcenginesdkarkruntime).

Captured with the SDK against the recorder: ``POST {base}/images/generations`` (base ``.../api/v3``), JSON,
``Authorization: Bearer <key>``; the SDK writes every optional field, unset ones as null. Answer (the SDK's
ImagesResponse): ``{model, created, data: [{url, size}], usage}``; failure ``{"error": {code, message, param,
type}}`` raised as ArkBadRequestError. The preset (presets/volcengine_ark.yml) must send the same.
"""

from __future__ import annotations

from importlib.metadata import version

from contracts.harness import Call, Expected, Official, png, serve_file
from contracts.recorder import Answer, Recorder

PRESET = "volcengine_ark"
TOOLS = ("text2image",)
CLIENT = f"volcengine-ark-runtime {version('volcengine-ark-runtime')}"
API_KEY = "ark-contract-0123456789"
SUBMIT_HEADERS = ("authorization",)
POLL_HEADERS = ()
SCENARIOS = ("success", "http_error")  # what the scripted answers cover, for every tool
PATH = "/api/v3/images/generations"


def base_path(tool: str) -> str:
    return "/api/v3"


def call(tool: str) -> Call:
    return Call(model="doubao-seedream-4-0-250828", size="2048x2048", seed=7)


def script(recorder: Recorder, tool: str, scenario: str) -> Expected:
    if scenario == "http_error":
        message = "The parameter `size` specified in the request is not valid"
        error = {"error": {"code": "InvalidParameter", "message": message, "param": "size", "type": "BadRequest"}}
        recorder.script("POST", PATH, Answer(400, error))
        return Expected(error=message)
    image = png("ark")
    data = [{"url": serve_file(recorder, "ark.png", image), "size": "2048x2048"}]
    usage = {"generated_images": 1, "output_tokens": 16384, "total_tokens": 16384}
    answer = {"model": "doubao-seedream-4-0-250828", "created": 1767225600, "data": data, "usage": usage}
    recorder.script("POST", PATH, Answer(200, answer))
    return Expected(files=[image])


def official(origin: str, tool: str, call: Call) -> Official:
    from volcenginesdkarkruntime import Ark
    from volcenginesdkarkruntime._exceptions import ArkAPIStatusError

    client = Ark(api_key=API_KEY, base_url=f"{origin}/api/v3", max_retries=0)
    try:
        response = client.images.generate(
            model=call.model, prompt=call.prompt, size=call.size, seed=call.seed, response_format="url", watermark=False
        )
    except ArkAPIStatusError as error:
        body = error.body if isinstance(error.body, dict) else {}
        return Official(error=str(body.get("message") or error.message))
    return Official(results=[item.url for item in response.data if item.url])
