"""Luma Dream Machine through the official ``lumaai`` client (generations.image.create / generations.create, then get).

lumaai 1.21.0 (PyPI, Luma's Stainless-generated client), run against the recorder: ``LumaAI(auth_token, base_url=
<origin>/dream-machine/v1)`` sends ``Authorization: Bearer <key>`` and JSON bodies: ``POST /generations/image``
``{prompt, model, aspect_ratio}`` (ImageCreateParams) and ``POST /generations/video`` ``{prompt, model,
aspect_ratio, duration: "5s"|"9s", keyframes: {frame0: {type: image, url}}}`` (GenerationCreateParams); the answer
is a Generation ``{id, state, ...}``. The client has no waiting helper: a caller GETs ``/generations/{id}`` until
``state`` is ``completed`` (``assets.image`` / ``assets.video``: a CDN URL) or ``failed`` (``failure_reason``), as
the driver does (Luma's documentation does the same: https://docs.lumalabs.ai/docs/video-generation).
The input image must be a URL ("currently this is the only way to pass an image", same page): both sides send the
Dify file URL (harness.input_url; the preset's image_input: url).
Failure bodies: ``{"detail": ...}``, the Error schema of Luma's OpenAPI file (github.com/lumalabs/lumaai-api
openapi.yaml, example "Invalid API key provided"); the 400 text and the failure_reason texts are the shapes Luma
answers (the moderation text is quoted in github.com/lumalabs/ComfyUI-LumaAI-API issue 7), not verifiable offline.
status_500: the client retries a 500 itself (Stainless max_retries, 2 by default), as the plugin does.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

from contracts.harness import Call, Expected, Official, input_url, png, serve_file
from contracts.recorder import Answer, Recorder

PRESET = "luma"
TOOLS = ("text2image", "text2video", "image2video")
CLIENT = f"lumaai {version('lumaai')}"
API_KEY = "luma-contract-0123456789abcdef"
SUBMIT_HEADERS = ("authorization",)
POLL_HEADERS = ("authorization",)
SCENARIOS = ("success", "bad_key", "http_error", "task_failed", "status_500")
BASE = "/dream-machine/v1"
GENERATION = "d1a6ad1e-7f2c-4b4f-9c33-contract0001"
BAD_KEY = "Invalid API key provided"
BAD_RATIO = "Invalid aspect ratio: 2:1"
MODERATED = "Advanced moderation failed"
# An MP4's first box, so the plugin's type sniffing sees a video.
MP4 = bytes.fromhex("0000001866747970") + b"isom\x00\x00\x02\x00isomavc1" + b"\x00\x00\x00\x08mdat"
INPUT = png("luma-start-frame", 16)


def base_path(tool: str) -> str:
    return BASE


def family_calls(tool: str) -> dict[str, Call]:
    if tool == "text2image":
        return {"photon": Call(model="photon-flash-1", size="9:16")}
    image = INPUT if tool == "image2video" else None
    return {"ray-2": Call(model="ray-flash-2", size="21:9", duration=9, image=image)}


def call(tool: str) -> Call:
    return next(iter(family_calls(tool).values()))


def _generation(state: str, tool: str, **extra: Any) -> dict[str, Any]:
    kind = "image" if tool == "text2image" else "video"
    return {"id": GENERATION, "state": state, "generation_type": kind, "failure_reason": None, "assets": None,
            "created_at": "2026-12-06T03:00:00Z", "model": "ray-flash-2", **extra}  # fmt: skip


def script(recorder: Recorder, tool: str, scenario: str) -> Expected:
    submit = BASE + ("/generations/image" if tool == "text2image" else "/generations/video")
    if scenario == "bad_key":
        recorder.script("POST", submit, Answer(401, {"detail": BAD_KEY}))
        return Expected(error=BAD_KEY)
    if scenario == "http_error":
        recorder.script("POST", submit, Answer(400, {"detail": BAD_RATIO}))
        return Expected(error=BAD_RATIO)
    recorder.script("POST", submit, Answer(201, _generation("queued", tool)))
    status = f"{BASE}/generations/{GENERATION}"
    dreaming = Answer(200, _generation("dreaming", tool))
    if scenario == "task_failed":
        recorder.script("GET", status, dreaming, Answer(200, _generation("failed", tool, failure_reason=MODERATED)))
        return Expected(error=MODERATED)
    if tool == "text2image":
        data, name, key = png("luma-photon"), "photon.jpg", "image"
        served = serve_file(recorder, name, data, "image/jpeg")
    else:
        data, name, key = MP4, "ray.mp4", "video"
        served = serve_file(recorder, name, data, "video/mp4")
    done = Answer(200, _generation("completed", tool, assets={key: served}))
    if scenario == "status_500":
        recorder.script("GET", status, dreaming, Answer(500, {"detail": "Internal Server Error"}), done)
    else:
        recorder.script("GET", status, dreaming, done)
    return Expected(files=[data])


def official(origin: str, tool: str, call: Call) -> Official:
    import lumaai

    client = lumaai.LumaAI(auth_token=API_KEY, base_url=origin + BASE)
    given: dict[str, Any] = {"prompt": call.prompt, "model": call.model}
    if call.size:
        given["aspect_ratio"] = call.size
    if call.duration is not None:
        given["duration"] = f"{call.duration}s"
    if call.image is not None:
        given["keyframes"] = {"frame0": {"type": "image", "url": input_url(call.image)}}
    try:
        if tool == "text2image":
            generation = client.generations.image.create(**given)
        else:
            generation = client.generations.create(**given)
        assert generation.id is not None
        for _ in range(50):
            generation = client.generations.get(generation.id)
            if generation.state in ("completed", "failed"):
                break
    except lumaai.APIStatusError as error:
        return Official(error=str(error))
    if generation.state == "failed":
        return Official(error=str(generation.failure_reason))
    assert generation.assets is not None
    url = generation.assets.image if tool == "text2image" else generation.assets.video
    return Official(results=[str(url)])
