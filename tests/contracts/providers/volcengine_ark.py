"""Volcengine Ark (Seedream) through the official ``volcengine-python-sdk`` Ark runtime (volcenginesdkarkruntime).

Captured with the SDK against the recorder: ``POST {base}/images/generations`` (base ``.../api/v3``), JSON,
``Authorization: Bearer <key>``; the SDK writes every optional field, unset ones as null (the comparison ignores
nulls, so nothing else is client-only). Answer (the SDK's ImagesResponse): ``{model, created, data: [{url, size}],
usage}``. Failures are ``{"error": {code, message, param, type}}``, which the SDK raises as ArkAPIStatusError
(``body`` the inner object), with the rows of Ark's error-code table (https://www.volcengine.com/docs/82379/1299023
and the API reference's chapter 13):

- bad_key: HTTP 401, type Unauthorized, code AuthenticationError, "The API key or AK/SK in the request is missing
  or invalid" (the service appends the request id);
- http_error: HTTP 400, type BadRequest, code InvalidParameter, "One or more parameters specified in the request
  are not valid. Request ID: {id}".

One family (Seedream 4.x) with one curated model, which is therefore the model called.
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
SCENARIOS = ("success", "bad_key", "http_error")  # what the scripted answers cover, for every tool
PATH = "/api/v3/images/generations"
REQUEST_ID = "021767225600000abcdef0123456789abcdef0123456789abcd"


def base_path(tool: str) -> str:
    return "/api/v3"


def family_calls(tool: str) -> dict[str, Call]:
    # 2560x1440: the 16:9 row of the family's 2K table (2048x2048, the first, is the default).
    return {"seedream-4": Call(model="doubao-seedream-4-0-250828", size="2560x1440", seed=7)}


def call(tool: str) -> Call:
    return family_calls(tool)["seedream-4"]


def sdk_only(tool: str) -> dict[str, str]:
    """None beyond nulls: the SDK's unset fields (image, guidance_scale, ...) go out as JSON null, ignored."""
    return {}


def script(recorder: Recorder, tool: str, scenario: str) -> Expected:
    if scenario == "bad_key":
        message = f"The API key or AK/SK in the request is missing or invalid. Request id: {REQUEST_ID}"
        error = {"error": {"code": "AuthenticationError", "message": message, "param": "", "type": "Unauthorized"}}
        recorder.script("POST", PATH, Answer(401, error))
        return Expected(error=message)
    if scenario == "http_error":
        message = f"One or more parameters specified in the request are not valid. Request ID: {REQUEST_ID}"
        error = {"error": {"code": "InvalidParameter", "message": message, "param": "", "type": "BadRequest"}}
        recorder.script("POST", PATH, Answer(400, error))
        return Expected(error=message)
    image = png("ark")
    data = [{"url": serve_file(recorder, "ark.png", image), "size": "2560x1440"}]
    usage = {"generated_images": 1, "output_tokens": 14400, "total_tokens": 14400}
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
