"""OpenAI Images through the official ``openai`` SDK: images.generate (JSON) and images.edit (multipart).

The SDK is pointed at the recorder with ``base_url``. Responses are the ImagesResponse shape the SDK parses
(``data[].b64_json``, ``usage``); the failure is the documented error body ``{"error": {message, type, param,
code}}`` that the SDK turns into ``BadRequestError``.
"""

from __future__ import annotations

import base64

import openai

from contracts.harness import Call, Expected, Official, png
from contracts.recorder import Answer, Recorder

PRESET = "openai_compatible"
TOOLS = ("text2image", "image_edit")
CLIENT = f"openai {openai.__version__}"
API_KEY = "sk-contract-0123456789"
SUBMIT_HEADERS = ("authorization",)
POLL_HEADERS = ()
SCENARIOS = ("success", "http_error")  # what the scripted answers cover, for every tool
PATHS = {"text2image": "/v1/images/generations", "image_edit": "/v1/images/edits"}


def base_path(tool: str) -> str:
    return "/v1"  # the preset's base URL is https://api.openai.com/v1


def call(tool: str) -> Call:
    if tool == "image_edit":
        return Call(model="gpt-image-1", prompt="Make the sky purple", n=1, image=png("openai input"))
    return Call(model="gpt-image-1", size="1024x1024", n=2)


def script(recorder: Recorder, tool: str, scenario: str) -> Expected:
    if scenario == "http_error":
        message = "Invalid value: '99x99'. Supported values are: '1024x1024', '1024x1536', '1536x1024', and 'auto'."
        error = {
            "error": {"message": message, "type": "invalid_request_error", "param": "size", "code": "invalid_value"}
        }
        recorder.script("POST", PATHS[tool], Answer(400, error))
        return Expected(error=message)
    images = [png(f"openai {tool} {index}") for index in range(call(tool).n or 1)]
    usage = {
        "input_tokens": 50,
        "output_tokens": 4160,
        "total_tokens": 4210,
        "input_tokens_details": {"image_tokens": 0, "text_tokens": 50},
    }
    data = [{"b64_json": base64.b64encode(image).decode("ascii")} for image in images]
    recorder.script("POST", PATHS[tool], Answer(200, {"created": 1767225600, "data": data, "usage": usage}))
    return Expected(files=images)


def official(origin: str, tool: str, call: Call) -> Official:
    client = openai.OpenAI(api_key=API_KEY, base_url=f"{origin}/v1", max_retries=0)
    try:
        if tool == "image_edit":
            assert call.image is not None
            response = client.images.edit(
                model=call.model, prompt=call.prompt, image=("input.png", call.image, "image/png"), n=call.n
            )
        else:
            response = client.images.generate(model=call.model, prompt=call.prompt, size=call.size, n=call.n)  # type: ignore[arg-type]
    except openai.APIStatusError as error:
        body = error.body if isinstance(error.body, dict) else {}
        return Official(error=str(body.get("message") or error.message))
    return Official(results=[item.b64_json for item in response.data or [] if item.b64_json])
