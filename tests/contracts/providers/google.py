"""Google Gemini API (Gemini image generation and editing) through the official ``google-genai`` client.

Captured with google-genai 3.6.1 (``genai.Client(api_key=..., http_options=HttpOptions(base_url=<recorder>,
api_version="v1beta"))``; the 3.x client's default version is v1, the preset follows Google's REST examples on
v1beta). ``client.models.generate_content(model, contents=[prompt, Part.from_bytes(image, mime_type)],
config=GenerateContentConfig(response_modalities=["TEXT", "IMAGE"], image_config=ImageConfig(aspect_ratio)))``
sends ``POST {base}/models/{model}:generateContent`` with the key in ``x-goog-api-key`` and the JSON

    {"contents": [{"parts": [{"text": prompt}, {"inlineData": {"data": <base64>, "mime_type": "image/png"}}],
                   "role": "user"}],
     "generationConfig": {"responseModalities": ["TEXT", "IMAGE"], "imageConfig": {"aspectRatio": "16:9"}}}

(camelCase keys, except ``mime_type`` inside ``inlineData``: the client writes it so, and the API reads both; a
prompt alone is the same turn with one part). The answer is synchronous: ``candidates[0].content.parts`` holds a
text part and the image as ``{"inlineData": {"mimeType", "data": <base64>}}``; the client's ``response.parts``
reads the first candidate, as the preset's result field does.

Failures are Google's error body ``{"error": {"code", "message", "status", "details"}}`` (google.rpc.Status; the
client raises ``errors.APIError`` with its message; https://ai.google.dev/gemini-api/docs/troubleshooting lists the
codes): a wrong key is HTTP 400 INVALID_ARGUMENT "API key not valid. Please pass a valid API key." with an ErrorInfo
reason API_KEY_INVALID; http_error a 400 INVALID_ARGUMENT about the request.

Families: text2image has the Gemini 3.1 Flash Image family (fourteen aspect ratios) and the Gemini 3 Pro / 2.5 Flash
Image family (ten); image_edit one family, without an aspect ratio (presets/google.yml says why).
"""

from __future__ import annotations

import base64
import json
from importlib.metadata import version

from contracts.harness import Call, Expected, Official, png
from contracts.recorder import Answer, Recorder

PRESET = "google"
TOOLS = ("text2image", "image_edit")
CLIENT = f"google-genai {version('google-genai')}"
API_KEY = "AIzaSyContractKey-0123456789abcdefghijk"
SUBMIT_HEADERS = ("x-goog-api-key",)
POLL_HEADERS = ("x-goog-api-key",)
SCENARIOS = ("success", "bad_key", "http_error")
BASE = "/v1beta"
SUBMIT_PATH = f"{BASE}/models/[^/]+:generateContent"
BAD_KEY = "API key not valid. Please pass a valid API key."
INVALID = "Request contains an invalid argument."


def base_path(tool: str) -> str:
    return BASE


def family_calls(tool: str) -> dict[str, Call]:
    if tool == "image_edit":
        # One family (no aspect ratio on edits): a curated model other than the default.
        image = png("google edit input")
        return {"gemini-image": Call(model="gemini-3-pro-image", prompt="Make it a watercolor", image=image)}
    # Each with an aspect ratio other than its family's first (1:1); 21:9 and 8:1 only some models take.
    return {
        "gemini-3.1-flash-image": Call(model="gemini-3.1-flash-image", size="8:1"),
        "gemini-image": Call(model="gemini-3-pro-image", size="21:9"),
    }


def call(tool: str) -> Call:
    if tool == "image_edit":
        return Call(model="gemini-3.1-flash-image", prompt="Make it a watercolor", image=png("google edit input"))
    return family_calls(tool)["gemini-3.1-flash-image"]


def error(code: int, status: str, message: str, reason: str | None = None) -> Answer:
    body: dict = {"error": {"code": code, "message": message, "status": status}}
    if reason:
        body["error"]["details"] = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": reason,
                "domain": "googleapis.com",
                "metadata": {"service": "generativelanguage.googleapis.com"},
            }
        ]
    return Answer(code, body)


def script(recorder: Recorder, tool: str, scenario: str) -> Expected:
    if scenario == "bad_key":
        recorder.script("POST", SUBMIT_PATH, error(400, "INVALID_ARGUMENT", BAD_KEY, "API_KEY_INVALID"))
        return Expected(error=BAD_KEY)
    if scenario == "http_error":
        recorder.script("POST", SUBMIT_PATH, error(400, "INVALID_ARGUMENT", INVALID))
        return Expected(error=INVALID)
    image = png(f"google {tool}")
    answer = {
        "candidates": [
            {
                "content": {
                    "role": "model",
                    "parts": [
                        {"text": "Here is the image you asked for."},
                        {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(image).decode("ascii")}},
                    ],
                },
                "finishReason": "STOP",
                "index": 0,
            }
        ],
        "usageMetadata": {"promptTokenCount": 12, "candidatesTokenCount": 1290, "totalTokenCount": 1302},
        "modelVersion": "gemini-3.1-flash-image",
        "responseId": "contract-response-1",
    }
    recorder.script("POST", SUBMIT_PATH, Answer(200, answer))
    return Expected(files=[image])


def official(origin: str, tool: str, call: Call) -> Official:
    from google import genai
    from google.genai import errors, types

    # No retries: the client's default HttpRetryOptions would repeat a failed request (the contract compares one).
    options = types.HttpOptions(base_url=origin, api_version="v1beta", retry_options=types.HttpRetryOptions(attempts=1))
    client = genai.Client(api_key=API_KEY, http_options=options)
    contents: list = [call.prompt]
    if call.image is not None:
        # The plugin sends the checked image inline (image_input's default transport, data_uri) as image/png.
        contents.append(types.Part.from_bytes(data=call.image, mime_type="image/png"))
    config = types.GenerateContentConfig(
        response_modalities=["TEXT", "IMAGE"],
        image_config=types.ImageConfig(aspect_ratio=call.size) if call.size else None,
    )
    try:
        response = client.models.generate_content(model=call.model, contents=contents, config=config)
    except errors.APIError as failure:
        return Official(error=failure.message or json.dumps(failure.details))
    images = [part.inline_data.data for part in response.parts or [] if part.inline_data and part.inline_data.data]
    return Official(results=[base64.b64encode(data).decode("ascii") for data in images])
