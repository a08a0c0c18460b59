"""OpenAI Images through the official ``openai`` SDK: images.generate (JSON) and images.edit (multipart).

The SDK is pointed at the recorder with ``base_url``. Responses are the ImagesResponse shape the SDK parses
(``data[].b64_json``, ``usage``). Failures use OpenAI's error body ``{"error": {message, type, param, code}}``,
which the SDK raises as an APIStatusError whose ``body`` is the inner object:

- bad_key: HTTP 401 ``invalid_api_key`` with the message of OpenAI's help article "Incorrect API key provided"
  (https://help.openai.com/en/articles/6882433-incorrect-api-key-provided: the key shown masked);
- http_error: HTTP 400 ``invalid_value`` for a size the model does not take, the message as the API words it
  (observed in openai-php/client#641: "Invalid value: '1536x1024'. Supported values are: ...").

Families (openai 3.57.0 types/image_generate_params.py): the models that take any WIDTHxHEIGHT and the others.
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
SCENARIOS = ("success", "bad_key", "http_error")  # what the scripted answers cover, for every tool
PATHS = {"text2image": "/v1/images/generations", "image_edit": "/v1/images/edits"}
IMAGES = 2  # every call asks for two images (n takes 1..10), so one scripted answer serves each family


def base_path(tool: str) -> str:
    return "/v1"  # the preset's base URL is https://api.openai.com/v1


def family_calls(tool: str) -> dict[str, Call]:
    """A curated model of each family other than the default (gpt-image-2.5-flare; edits: gpt-image-2)."""
    if tool == "image_edit":
        return {"gpt-image": Call(model="gpt-image-1-mini", prompt="Make the sky purple", n=IMAGES, image=png("in"))}
    return {
        # 1536x864: the SDK's own example of an arbitrary size (16:9, both sides divisible by 16).
        "gpt-image-any-size": Call(model="gpt-image-2.5-sunburst", size="1536x864", n=IMAGES),
        "gpt-image": Call(model="gpt-image-1-mini", size="1024x1536", n=IMAGES),
    }


def call(tool: str) -> Call:
    return next(iter(family_calls(tool).values()))


def script(recorder: Recorder, tool: str, scenario: str) -> Expected:
    if scenario == "bad_key":
        message = (
            "Incorrect API key provided: sk-contr**********6789. "
            "You can find your API key at https://platform.openai.com/account/api-keys."
        )
        invalid_key = {"message": message, "type": "invalid_request_error", "param": None, "code": "invalid_api_key"}
        recorder.script("POST", PATHS[tool], Answer(401, {"error": invalid_key}))
        return Expected(error=message)
    if scenario == "http_error":
        message = "Invalid value: '99x99'. Supported values are: '1024x1024', '1024x1536', '1536x1024', and 'auto'."
        error = {
            "error": {"message": message, "type": "invalid_request_error", "param": "size", "code": "invalid_value"}
        }
        recorder.script("POST", PATHS[tool], Answer(400, error))
        return Expected(error=message)
    images = [png(f"openai {tool} {index}") for index in range(IMAGES)]
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
            response = client.images.generate(model=call.model, prompt=call.prompt, size=call.size, n=call.n)
    except openai.APIStatusError as error:
        body = error.body if isinstance(error.body, dict) else {}
        return Official(error=str(body.get("message") or error.message))
    return Official(results=[item.b64_json for item in response.data or [] if item.b64_json])
