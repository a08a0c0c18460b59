"""Together AI through the official ``together`` client (images.generate; videos.create, then videos.retrieve).

together 3.1.1 (PyPI, Together's Stainless-generated client), run against the recorder: ``Together(api_key,
base_url=<origin>)`` (its default host https://api.together.ai) sends ``Authorization: Bearer <key>`` and JSON:
``POST /v1/images/generations`` ``{model, prompt, width, height, n, steps, seed, guidance_scale,
response_format}`` answered synchronously by an ImageFile ``{id, model, object: list, data: [{index, type:
b64_json, b64_json}]}``; ``POST /v2/videos`` ``{model, prompt, width, height}`` answered by a VideoJob ``{id,
status, ...}``, then ``GET /v2/videos/{id}`` until ``status`` is ``completed`` (``outputs.video_url``) or
``failed`` (``error.message``). The client has no waiting helper; the driver polls as Together's video overview
does (https://docs.together.ai/docs/videos-overview).
Failure bodies: ``{"error": {message, type, param, code}}`` (ErrorData, github.com/togethercomputer/openapi
openapi.yaml); the 401 text is the one Together answers (quoted in github.com/harshitv804/LawGPT issue 4), the 400
text and the failed job's message are this driver's, in those shapes (not verifiable offline).
status_500: the client retries a 500 itself (Stainless max_retries, 2 by default), as the plugin does.
"""

from __future__ import annotations

import base64
from importlib.metadata import version
from typing import Any

from contracts.harness import Call, Expected, Official, png, serve_file
from contracts.recorder import Answer, Recorder

PRESET = "together"
TOOLS = ("text2image", "text2video")
CLIENT = f"together {version('together')}"
API_KEY = "tgp_v1_contract0123456789abcdef"
SUBMIT_HEADERS = ("authorization",)
POLL_HEADERS = ("authorization",)
PATHS = {"text2image": "/v1/images/generations", "text2video": "/v2/videos"}
JOB = "019a0068-794a-7213-90f6-contract0001"
BAD_KEY = "Invalid API key provided. You can find your API key at https://api.together.xyz/settings/api-keys."
TOO_LARGE = "height must be at most 1440"
FAILED = "The prompt was flagged by the content filter"
# An MP4's first box, so the plugin's type sniffing sees a video.
MP4 = bytes.fromhex("0000001866747970") + b"isom\x00\x00\x02\x00isomavc1" + b"\x00\x00\x00\x08mdat"
IMAGES = 2  # flux-schnell and flux-2-dev ask for two images (n), so one scripted answer serves every family


def base_path(tool: str) -> str:
    return ""  # the preset's base URL is the host; the paths carry /v1 and /v2


def scenarios(tool: str) -> tuple[str, ...]:
    if tool == "text2image":
        return ("success", "bad_key", "http_error")
    return ("success", "bad_key", "http_error", "task_failed", "status_500")


def family_calls(tool: str) -> dict[str, Call]:
    if tool == "text2video":
        return {"minimax-video-01": Call(model="minimax/video-01-director", size="1366x768")}
    return {
        "flux-schnell": Call(model="black-forest-labs/FLUX.1-schnell", size="768x1344", seed=7, n=IMAGES, steps=4),
        "flux-pro": Call(model="black-forest-labs/FLUX.1.1-pro", size="1344x768", seed=7),
        "flux-2-dev": Call(
            model="black-forest-labs/FLUX.2-dev", size="1024x768", seed=7, n=IMAGES, steps=28, guidance=3.5
        ),
    }


def call(tool: str) -> Call:
    return next(iter(family_calls(tool).values()))


def _error(status: int, message: str, kind: str, code: str | None) -> Answer:
    return Answer(status, {"error": {"message": message, "type": kind, "param": None, "code": code}})


def _job(status: str, **extra: Any) -> dict[str, Any]:
    return {"id": JOB, "model": "minimax/video-01-director", "object": "video", "status": status,
            "created_at": 1796500000, "seconds": "6", "size": "1366x768", **extra}  # fmt: skip


def script(recorder: Recorder, tool: str, scenario: str) -> Expected:
    submit = PATHS[tool]
    if scenario == "bad_key":
        recorder.script("POST", submit, _error(401, BAD_KEY, "invalid_request_error", "invalid_api_key"))
        return Expected(error=BAD_KEY)
    if scenario == "http_error":
        recorder.script("POST", submit, _error(400, TOO_LARGE, "invalid_request_error", None))
        return Expected(error=TOO_LARGE)
    if tool == "text2image":
        images = [png(f"together-{index}") for index in range(IMAGES)]
        data = [{"index": index, "type": "b64_json", "b64_json": base64.b64encode(image).decode("ascii")}
                for index, image in enumerate(images)]  # fmt: skip
        recorder.script(
            "POST", submit, Answer(200, {"id": "img-contract", "model": "m", "object": "list", "data": data})
        )
        return Expected(files=images)
    recorder.script("POST", submit, Answer(200, _job("queued")))
    status = f"/v2/videos/{JOB}"
    running = Answer(200, _job("in_progress"))
    if scenario == "task_failed":
        failed = _job("failed", error={"message": FAILED, "code": "content_policy_violation"})
        recorder.script("GET", status, running, Answer(200, failed))
        return Expected(error=FAILED)
    done = Answer(200, _job("completed", outputs={"cost": 0.28, "video_url": serve_file(recorder, "v.mp4", MP4)}))
    if scenario == "status_500":
        recorder.script("GET", status, running, _error(500, "Internal server error", "server_error", None), done)
    else:
        recorder.script("GET", status, running, done)
    return Expected(files=[MP4])


def official(origin: str, tool: str, call: Call) -> Official:
    import together

    client = together.Together(api_key=API_KEY, base_url=origin)
    given: dict[str, Any] = {"model": call.model, "prompt": call.prompt}
    if call.size:
        width, height = call.size.split("x")
        given.update(width=int(width), height=int(height))
    optional = {"seed": call.seed, "n": call.n, "steps": call.steps, "guidance_scale": call.guidance}
    given.update({name: value for name, value in optional.items() if value is not None})
    try:
        if tool == "text2image":
            images = client.images.generate(**given, response_format="base64")
            return Official(results=[str(getattr(item, "b64_json", "")) for item in images.data])
        job = client.videos.create(**given)
        for _ in range(50):
            job = client.videos.retrieve(job.id)
            if job.status in ("completed", "failed"):
                break
    except together.APIStatusError as error:
        return Official(error=str(error))
    if job.status == "failed":
        return Official(error=job.error.message if job.error else "failed")
    assert job.outputs is not None
    return Official(results=[job.outputs.video_url])
