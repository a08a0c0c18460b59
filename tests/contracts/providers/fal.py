"""fal.ai queue through the official ``fal-client`` (SyncClient.submit, then the handle's get()).

Captured with fal-client 1.0.3 against the recorder (its queue host, ``QUEUE_URL_FORMAT``, pointed at it):
``POST {queue}/{model}`` with ``Authorization: Key <key>``, JSON arguments -> ``{request_id, status_url,
response_url, cancel_url}``; ``GET {status_url}`` (202 ``IN_QUEUE``/``IN_PROGRESS``, then 200 ``COMPLETED``);
then ``GET {response_url}`` -> the model's output ``{images: [{url, width, height, content_type}], seed, ...}``.
Arguments per family follow https://fal.ai/models/fal-ai/flux-1/dev/llms.txt and .../schnell/llms.txt:
image_size (a name), num_images, num_inference_steps, seed, and guidance_scale for dev only.
Text to video (Kling 1.6, https://fal.ai/models/fal-ai/kling-video/v1.6/pro/text-to-video/llms.txt): prompt,
aspect_ratio, negative_prompt and duration as the text "5" or "10"; the output is ``{video: {url, content_type,
file_name, file_size}}`` (fal's File). The request's queue path is the app's (``fal-ai/kling-video/requests/<id>``).
Image to video (Kling 1.6, https://fal.ai/docs/model-api-reference/video-generation-api/kling-video-v1.6-standard):
prompt, image_url, negative_prompt and duration as text, no aspect_ratio; the same output. The plugin sends the
image inline (image_input's default, data_uri), which fal-client passes through as given (a data URI string).

Failures (https://docs.fal.ai/errors, "Model Errors": an HTTP error whose ``detail`` is a list of ``{loc, msg,
type, url, ctx}``; https://fal.ai/docs/documentation/model-apis/request-errors: a flat ``{detail, error_type}``
for platform errors such as ``internal_error``, 500):
- The queue has no failed status (IN_QUEUE, IN_PROGRESS, COMPLETED; fal-client's ``_parse_status`` raises on any
  other). A failed request is COMPLETED, its status carrying ``error`` (fal-client ``Completed.error``), and its
  response_url answers the model error: both sides end there, the client raising FalClientHTTPError(detail), the
  plugin reporting the HTTP error of the result fetch.
- bad_key: fal documents no 401 body; the flat ``detail`` string of its request errors is scripted (the text is
  not fal's verbatim, not verifiable offline). http_error: a model error on the submit.
- status_500: the client retries 408/409/429 and nginx-made 502-504 only, so a 500 on a status request raises
  FalClientHTTPError at once (asserted); the driver calls get() again, as a caller would. The plugin retries it.
"""

from __future__ import annotations

import base64
from importlib.metadata import version
from typing import Any

from contracts.harness import Call, Expected, Official, png, serve_file
from contracts.recorder import Answer, Recorder

PRESET = "fal"
TOOLS = ("text2image", "text2video", "image2video")
CLIENT = f"fal-client {version('fal-client')}"
API_KEY = "3f9c0d5e-contract:0123456789abcdef"
SUBMIT_HEADERS = ("authorization",)
POLL_HEADERS = ("authorization",)
SCENARIOS = ("success", "bad_key", "http_error", "task_failed", "status_500")
SUBMITS = {"text2image": "/fal-ai/flux/(dev|schnell)",
           "text2video": "/fal-ai/kling-video/v1[.]6/(standard|pro)/text-to-video",
           "image2video": "/fal-ai/kling-video/v1[.]6/(standard|pro)/image-to-video"}  # fmt: skip
REQUEST_ID = "764cabcf-b745-4b3e-ae38-1200304cf45b"
REQUESTS = {"text2image": f"/fal-ai/flux/requests/{REQUEST_ID}",
            "text2video": f"/fal-ai/kling-video/requests/{REQUEST_ID}",
            "image2video": f"/fal-ai/kling-video/requests/{REQUEST_ID}"}  # fmt: skip
BAD_KEY = "Invalid API key: authentication is required to access this application."
TOO_MANY = "Input should be less than or equal to 4"
TOO_LONG = "Input should be '5' or '10'"
# An MP4's first box, so the plugin's type sniffing sees a video.
MP4 = bytes.fromhex("0000001866747970") + b"isom\x00\x00\x02\x00isomavc1" + b"\x00\x00\x00\x08mdat"
FLAGGED = "The content could not be processed because it contained material flagged by a content checker."
# What the last script() set up: official() checks the client's own behaviour on it (module docstring).
_scripted: dict[str, str] = {}


def base_path(tool: str) -> str:
    return ""


def family_calls(tool: str) -> dict[str, Call]:
    if tool == "image2video":
        # Both tiers take the same inputs; no size (the video keeps the image's shape).
        pro = Call(model="fal-ai/kling-video/v1.6/pro/image-to-video", duration=10,
                   negative_prompt="blur, distort, and low quality", image=png("fal i2v input"))  # fmt: skip
        return {"kling-v16-i2v": pro}
    if tool == "text2video":
        # Both tiers take the same inputs; the call takes the pro tier, 10 s and a size other than the default.
        return {"kling-v16": Call(model="fal-ai/kling-video/v1.6/pro/text-to-video", size="9:16", duration=10,
                                  negative_prompt="blur, distort, and low quality")}  # fmt: skip
    return {
        "flux-dev": Call(model="fal-ai/flux/dev", size="square_hd", n=2, seed=7, steps=28, guidance=3.5),
        "flux-schnell": Call(model="fal-ai/flux/schnell", size="portrait_16_9", n=2, seed=7, steps=4),
    }


def call(tool: str) -> Call:
    if tool == "image2video":
        return Call(model="fal-ai/kling-video/v1.6/standard/image-to-video", duration=5, image=png("fal i2v input"))
    if tool == "text2video":
        return Call(model="fal-ai/kling-video/v1.6/standard/text-to-video", size="16:9", duration=5)
    return family_calls(tool)["flux-dev"]


def _model_error(status: int, field: str, message: str, kind: str, **context: Any) -> Answer:
    error = {"loc": ["body", field], "msg": message, "type": kind, "url": f"https://docs.fal.ai/errors#{kind}",
             "ctx": context}  # fmt: skip
    return Answer(status, {"detail": [error]}, {"X-Fal-Retryable": "false"})


def script(recorder: Recorder, tool: str, scenario: str) -> Expected:
    _scripted["scenario"] = scenario
    submit_path, request_path = SUBMITS[tool], REQUESTS[tool]
    if scenario == "bad_key":
        recorder.script("POST", submit_path, Answer(401, {"detail": BAD_KEY}))
        return Expected(error=BAD_KEY)
    if scenario == "http_error" and tool in ("text2video", "image2video"):
        recorder.script("POST", submit_path, _model_error(422, "duration", TOO_LONG, "enum", expected="'5' or '10'"))
        return Expected(error=TOO_LONG)
    if scenario == "http_error":
        recorder.script("POST", submit_path, _model_error(422, "num_images", TOO_MANY, "less_than_equal", le=4))
        return Expected(error=TOO_MANY)
    base = "{origin}" + request_path
    handle = {"request_id": REQUEST_ID, "response_url": base, "status_url": base + "/status",
              "cancel_url": base + "/cancel", "queue_position": 0}  # fmt: skip
    recorder.script("POST", submit_path, Answer(200, handle))
    in_progress = {"status": "IN_PROGRESS", "request_id": handle["request_id"], "response_url": base, "logs": None}
    done = {**in_progress, "status": "COMPLETED", "metrics": {"inference_time": 1.9}}
    if scenario == "task_failed":
        failed = {**done, "error": FLAGGED, "error_type": "content_policy_violation"}
        recorder.script("GET", f"{request_path}/status", Answer(202, in_progress), Answer(200, failed))
        recorder.script("GET", request_path, _model_error(422, "prompt", FLAGGED, "content_policy_violation"))
        return Expected(error=FLAGGED)
    if scenario == "status_500":
        internal = Answer(500, {"detail": "Internal server error", "error_type": "internal_error"},
                          {"X-Fal-Error-Type": "internal_error"})  # fmt: skip
        recorder.script("GET", f"{request_path}/status", Answer(202, in_progress), internal, Answer(200, done))
    else:
        recorder.script("GET", f"{request_path}/status", Answer(202, in_progress), Answer(200, done))
    if tool in ("text2video", "image2video"):
        video = MP4 + b"fal kling video"
        url = serve_file(recorder, "output.mp4", video, "video/mp4")
        file = {"url": url, "content_type": "video/mp4", "file_name": "output.mp4", "file_size": len(video)}
        recorder.script("GET", request_path, Answer(200, {"video": file}))
        return Expected(files=[video])
    images = [png(f"fal {index}") for index in range(2)]
    output = {
        "images": [
            {"url": serve_file(recorder, f"fal-{index}.jpg", data), "width": 1024, "height": 1024,
             "content_type": "image/png"}
            for index, data in enumerate(images)
        ],
        "seed": 7,
        "has_nsfw_concepts": [False, False],
        "prompt": "A red fox in fresh snow, golden hour",
    }  # fmt: skip
    recorder.script("GET", request_path, Answer(200, output))
    return Expected(files=images)


def arguments_for(call: Call) -> dict[str, Any]:
    """The arguments the client sends for a logical call (the models' input names)."""
    if "kling-video" in call.model:  # Kling 1.6: the duration is the text "5" or "10"
        duration = None if call.duration is None else str(call.duration)
        video = {"prompt": call.prompt, "aspect_ratio": call.size, "duration": duration,
                 "negative_prompt": call.negative_prompt}  # fmt: skip
        if call.image is not None:  # sent inline, as the plugin does by default (image_input: data_uri)
            video["image_url"] = "data:image/png;base64," + base64.b64encode(call.image).decode("ascii")
        return {name: value for name, value in video.items() if value is not None}
    arguments = {"prompt": call.prompt, "image_size": call.size, "num_images": call.n,
                 "num_inference_steps": call.steps, "guidance_scale": call.guidance, "seed": call.seed}  # fmt: skip
    return {name: value for name, value in arguments.items() if value is not None}


def official(origin: str, tool: str, call: Call) -> Official:
    import fal_client
    import fal_client.client
    from fal_client.client import FalClientHTTPError

    fal_client.client.QUEUE_URL_FORMAT = f"{origin}/"  # the queue host, pointed at the recorder
    client = fal_client.SyncClient(key=API_KEY)
    try:
        handle = client.submit(call.model, arguments=arguments_for(call))
    except FalClientHTTPError as error:
        return Official(error=str(error))
    scenario = _scripted.get("scenario")
    try:
        result = handle.get()
    except FalClientHTTPError as error:
        if scenario == "task_failed":  # raised by the response_url fetch, after a COMPLETED status
            return Official(error=str(error))
        assert scenario == "status_500" and error.status_code == 500, error  # no retry on a 500
        result = handle.get()
    else:
        assert scenario != "status_500", "fal-client now retries a status 500: see the docstring"
    if tool in ("text2video", "image2video"):
        return Official(results=[result["video"]["url"]])
    return Official(results=[image["url"] for image in result["images"]])
