"""Volcengine Ark (Seedream images, Seedance videos) through the official ``volcengine-python-sdk`` Ark runtime
(volcenginesdkarkruntime).

text2image, captured with the SDK against the recorder: ``POST {base}/images/generations`` (base ``.../api/v3``), JSON,
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

text2video and image2video, asynchronous: ``content_generation.tasks.create`` sends ``POST
{base}/contents/generations/tasks`` with JSON ``{model, content, resolution, ratio, duration, seed, camera_fixed,
watermark}`` and every other parameter as null (ignored, as above); ``content`` is ``[{type: text, text}]``, plus
``{type: image_url, image_url: {url}, role: first_frame}`` for image2video (the url a data URI, as the plugin's
default transport sends it). The answer is ``{id}`` (ContentGenerationTaskID); ``tasks.get`` sends ``GET
{base}/contents/generations/tasks/{id}``, whose ContentGenerationTask has ``status`` queued | running | succeeded |
failed | cancelled, ``content.video_url`` and ``error: {code, message}``
(types/content_generation/content_generation_task.py). The SDK has no waiting helper: a caller asks again until the
task is no longer queued or running, as official() does.
Failures, from the same error-code table (https://www.volcengine.com/docs/82379/1299023, the stored copy):

- http_error (image2video): HTTP 400, type BadRequest, code InputImageSensitiveContentDetected, "The request failed
  because the input image may contain sensitive information.Request ID: {id}" (sic, no space); text2video the
  InvalidParameter row above;
- task_failed: the task's status ``failed`` with ``error`` {code OutputVideoSensitiveContentDetected, "The request
  failed because the output video may contain sensitive information."}: the table's row, whose message the stored
  copy cuts after "the output vid", completed as its input rows read;
- status_500: HTTP 500 on a status request in the same ``{"error": {code, message, type}}`` shape; the table's 5xx
  rows are not in the stored excerpts, so code and message (InternalServiceError) are this driver's, unverified.

Families: one per Seedance model (presets/volcengine_ark.yml cites their tiers and durations).
"""

from __future__ import annotations

import base64
from importlib.metadata import version
from typing import Any

from contracts.harness import Call, Expected, Official, png, serve_file
from contracts.recorder import Answer, Recorder

PRESET = "volcengine_ark"
TOOLS = ("text2image", "text2video", "image2video")
VIDEO_TOOLS = ("text2video", "image2video")
CLIENT = f"volcengine-ark-runtime {version('volcengine-ark-runtime')}"
API_KEY = "ark-contract-0123456789"
SUBMIT_HEADERS = ("authorization",)
POLL_HEADERS = ("authorization",)
SCENARIOS = ("success", "bad_key", "http_error")  # text2image (synchronous); see scenarios()
PATH = "/api/v3/images/generations"
TASKS_PATH = "/api/v3/contents/generations/tasks"
TASK = "cgt-20261206031500-x7k2p"
REQUEST_ID = "021767225600000abcdef0123456789abcdef0123456789abcd"
# An MP4's first box, so the plugin's type sniffing sees a video.
MP4 = bytes.fromhex("0000001866747970") + b"isom\x00\x00\x02\x00isomavc1" + b"\x00\x00\x00\x08mdat"
# A caller's patience in status requests; the scripted answers end well before it.
MAX_STATUS_REQUESTS = 10


def base_path(tool: str) -> str:
    return "/api/v3"


def scenarios(tool: str) -> tuple[str, ...]:
    if tool in VIDEO_TOOLS:
        return ("success", "bad_key", "http_error", "task_failed", "status_500")
    return SCENARIOS


def family_calls(tool: str) -> dict[str, Call]:
    if tool in VIDEO_TOOLS:
        # Each with a tier other than its family's first (the default), a ratio, a camera switch and a duration other
        # than 5 (the default).
        image = png("ark i2v input") if tool == "image2video" else None
        lite = "doubao-seedance-1-0-lite-i2v-250428" if tool == "image2video" else "doubao-seedance-1-0-lite-t2v-250428"
        pro = Call(
            model="doubao-seedance-1-0-pro-250528",
            size="720p",
            ratio="9:16",
            duration=10,
            seed=7,
            camera_fixed=True,
            image=image,
        )
        fast = Call(
            model="doubao-seedance-1-0-pro-fast-251015",
            size="480p",
            ratio="21:9",
            duration=3,
            seed=11,
            camera_fixed=False,
            image=image,
        )
        newest = Call(
            model="doubao-seedance-1-5-pro-251215",
            size="1080p",
            ratio="adaptive",
            duration=12,
            seed=0,
            camera_fixed=True,
            image=image,
        )
        lite_call = Call(model=lite, size="480p", ratio="1:1", duration=2, seed=4294967, camera_fixed=True, image=image)
        return {
            "seedance-1-0-pro": pro,
            "seedance-1-0-pro-fast": fast,
            "seedance-1-5-pro": newest,
            f"seedance-1-0-lite-{tool[:1]}2v": lite_call,
        }
    # 2560x1440: the 16:9 row of the family's 2K table (2048x2048, the first, is the default).
    return {"seedream-4": Call(model="doubao-seedream-4-0-250828", size="2560x1440", seed=7)}


def call(tool: str) -> Call:
    if tool in VIDEO_TOOLS:
        image = png("ark i2v input") if tool == "image2video" else None
        return Call(model="doubao-seedance-1-0-pro-250528", size="1080p", duration=5, image=image)
    return family_calls(tool)["seedream-4"]


def sdk_only(tool: str) -> dict[str, str]:
    """None beyond nulls: the SDK's unset fields (image, guidance_scale, ...) go out as JSON null, ignored."""
    return {}


def task(status: str, **more: object) -> Answer:
    """A ContentGenerationTask as tasks.get reads it."""
    answer = {"id": TASK, "model": "doubao-seedance-1-0-pro-250528", "status": status, "created_at": 1767225600}
    return Answer(200, {**answer, **more})


def script_video(recorder: Recorder, tool: str, scenario: str) -> Expected:
    poll_path = f"{TASKS_PATH}/{TASK}"
    if scenario == "bad_key":
        message = f"The API key or AK/SK in the request is missing or invalid. Request id: {REQUEST_ID}"
        error = {"error": {"code": "AuthenticationError", "message": message, "param": "", "type": "Unauthorized"}}
        recorder.script("POST", TASKS_PATH, Answer(401, error))
        return Expected(error=message)
    if scenario == "http_error":
        if tool == "image2video":
            code = "InputImageSensitiveContentDetected"
            message = (
                f"The request failed because the input image may contain sensitive information.Request ID: {REQUEST_ID}"
            )
        else:
            code = "InvalidParameter"
            message = f"One or more parameters specified in the request are not valid. Request ID: {REQUEST_ID}"
        error = {"error": {"code": code, "message": message, "param": "", "type": "BadRequest"}}
        recorder.script("POST", TASKS_PATH, Answer(400, error))
        return Expected(error=message)
    recorder.script("POST", TASKS_PATH, Answer(200, {"id": TASK}))
    if scenario == "task_failed":
        message = "The request failed because the output video may contain sensitive information."
        failed = task("failed", error={"code": "OutputVideoSensitiveContentDetected", "message": message})
        recorder.script("GET", poll_path, task("running"), failed)
        return Expected(error=message)
    video = MP4 + b"ark seedance video"
    url = serve_file(recorder, "seedance.mp4", video, "video/mp4")
    done = task(
        "succeeded", content={"video_url": url}, resolution="720p", ratio="16:9", duration=5, framespersecond=24
    )
    if scenario == "status_500":
        message = f"The service encountered an unexpected internal error. Request id: {REQUEST_ID}"
        error = {
            "error": {"code": "InternalServiceError", "message": message, "param": "", "type": "InternalServiceError"}
        }
        recorder.script("GET", poll_path, Answer(500, error), done)
    else:
        recorder.script("GET", poll_path, task("queued"), done)
    return Expected(files=[video])


def script(recorder: Recorder, tool: str, scenario: str) -> Expected:
    if tool in VIDEO_TOOLS:
        return script_video(recorder, tool, scenario)
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
    if tool in VIDEO_TOOLS:
        return official_video(client, call)
    try:
        response = client.images.generate(
            model=call.model, prompt=call.prompt, size=call.size, seed=call.seed, response_format="url", watermark=False
        )
    except ArkAPIStatusError as error:
        body = error.body if isinstance(error.body, dict) else {}
        return Official(error=str(body.get("message") or error.message))
    return Official(results=[item.url for item in response.data if item.url])


def official_video(client: Any, call: Call) -> Official:
    from volcenginesdkarkruntime._exceptions import ArkAPIStatusError

    content: list[dict[str, Any]] = [{"type": "text", "text": call.prompt}]
    if call.image is not None:
        # The plugin sends the image inline (image_input's default, data_uri); the SDK sends it as given.
        image = "data:image/png;base64," + base64.b64encode(call.image).decode("ascii")
        content.append({"type": "image_url", "image_url": {"url": image}, "role": "first_frame"})
    try:
        created = client.content_generation.tasks.create(
            model=call.model,
            content=content,
            resolution=call.size,
            ratio=call.ratio,
            camera_fixed=call.camera_fixed,
            duration=call.duration,
            seed=call.seed,
            watermark=False,
        )
    except ArkAPIStatusError as error:
        body = error.body if isinstance(error.body, dict) else {}
        return Official(error=str(body.get("message") or error.message))
    for _ in range(MAX_STATUS_REQUESTS):
        try:
            task = client.content_generation.tasks.get(task_id=created.id)
        except ArkAPIStatusError:
            # A 500 on a status request says nothing about the task, which lives on: ask again (the plugin does too,
            # a bounded number of times).
            continue
        if task.status == "succeeded":
            return Official(results=[task.content.video_url])
        if task.status in ("failed", "cancelled", "expired"):
            return Official(error=task.error.message)
    return Official(error="still running")
