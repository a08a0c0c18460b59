"""Replicate predictions through the official ``replicate`` client (what Client.run does with wait=True, in steps).

Captured with replicate 1.0.7 against the recorder: ``POST {base}/models/{owner}/{name}/predictions`` (base
``https://api.replicate.com/v1``) with ``Prefer: wait`` and ``Authorization: Bearer <token>``, JSON ``{"input":
{...}}``; the answer is a Prediction ``{id, status, urls: {get, cancel, web}, output, error}``. While ``status`` is
``starting``/``processing`` the client GETs ``/v1/predictions/{id}`` (the same URL as ``urls.get``) until
``succeeded`` (``output``: a list of URLs for FLUX) or ``failed``/``canceled`` (``error``: text; run() raises
ModelError). The driver calls ``models.predictions.create(wait=True)`` and ``Prediction.wait()``, which is run()
without its output-iterator branch, so that it can resume after a failed status request.

Inputs per family follow the models' input schemas (presets/replicate.yml cites them): aspect_ratio,
num_outputs, num_inference_steps, seed, and guidance for flux-dev only. Text to video: Wan 2.2 T2V Fast takes
aspect_ratio and seed, Kling 2.1 Master aspect_ratio, an integer duration and negative_prompt; both answer one URL
string as ``output``. Image to video: Kling 2.1 takes start_image, an integer duration and negative_prompt, no
aspect_ratio, and answers one URL string; the plugin sends the image inline (image_input's default, data_uri),
which the client passes through as given (it uploads only file objects). Errors are RFC 7807 problem details
``{title, detail, status}`` (replicate 1.0.7 ReplicateError reads type/title/status/detail/instance); the 401 and
422 texts are the ones Replicate's API answers, not quoted from a documentation page (not verifiable offline).
status_500: the client retries a GET on 429/503/504 only (RetryTransport), so a 500 on a status request raises
ReplicateError at once (asserted); the driver calls wait() again, as a caller would. The plugin retries the 500.
"""

from __future__ import annotations

import base64
from importlib.metadata import version
from typing import Any

from contracts.harness import Call, Expected, Official, png, serve_file
from contracts.recorder import Answer, Recorder

PRESET = "replicate"
TOOLS = ("text2image", "text2video", "image2video")
CLIENT = f"replicate {version('replicate')}"
API_KEY = "r8_contract0123456789"
SUBMIT_HEADERS = ("authorization", "prefer")
POLL_HEADERS = ("authorization",)
SCENARIOS = ("success", "bad_key", "http_error", "task_failed", "status_500")
SUBMITS = {
    "text2image": "/v1/models/black-forest-labs/flux-(schnell|dev)/predictions",
    "text2video": "/v1/models/(wan-video/wan-2[.]2-t2v-fast|kwaivgi/kling-v2[.]1-master)/predictions",
    "image2video": "/v1/models/kwaivgi/kling-v2[.]1/predictions",
}
PREDICTION = "/v1/predictions/gm3qorzdhgbfurvjtvhg6dckhu"
NSFW = "NSFW content detected. Try running it again, or try a different prompt."
BAD_KEY = "You did not pass a valid authentication token"
TOO_MANY_STEPS = "input.num_inference_steps: Must be less than or equal to 4"
BAD_DURATION = "input.duration: duration must be one of the following: 5, 10"
# An MP4's first box, so the plugin's type sniffing sees a video.
MP4 = bytes.fromhex("0000001866747970") + b"isom\x00\x00\x02\x00isomavc1" + b"\x00\x00\x00\x08mdat"
# What the last script() set up: official() checks the client's own behaviour on it (module docstring).
_scripted: dict[str, str] = {}


def base_path(tool: str) -> str:
    return "/v1"


def family_calls(tool: str) -> dict[str, Call]:
    if tool == "image2video":  # one curated model; no size (the video keeps the image's shape)
        return {"kling-v21-i2v": call(tool)}
    if tool == "text2video":
        return {
            "wan22-t2v-fast": Call(model="wan-video/wan-2.2-t2v-fast", size="9:16", seed=7),
            "kling-v21-master": Call(
                model="kwaivgi/kling-v2.1-master", size="1:1", duration=10, negative_prompt="blurry"
            ),
        }
    return {
        "flux-schnell": Call(model="black-forest-labs/flux-schnell", size="16:9", n=2, seed=7, steps=4),
        "flux-dev": Call(model="black-forest-labs/flux-dev", size="3:2", n=2, seed=7, steps=28, guidance=3.5),
    }


def call(tool: str) -> Call:
    if tool == "image2video":
        image = png("replicate i2v input")
        return Call(model="kwaivgi/kling-v2.1", duration=10, negative_prompt="blurry", image=image)
    if tool == "text2video":
        return Call(model="kwaivgi/kling-v2.1-master", size="16:9", duration=5)
    return family_calls(tool)["flux-schnell"]


def prediction_body(status: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": PREDICTION.rsplit("/", 1)[1],
        "model": "black-forest-labs/flux-schnell",
        "version": "hidden",
        "input": {},
        "status": status,
        "created_at": "2026-01-01T00:00:00.000Z",
        "urls": {
            "get": "{origin}" + PREDICTION,
            "cancel": "{origin}" + PREDICTION + "/cancel",
            "web": "https://replicate.com/p/gm3qorzdhgbfurvjtvhg6dckhu",
        },
        "output": None,
        "error": None,
        "logs": "",
        **fields,
    }


def _problem(status: int, title: str, detail: str) -> Answer:
    return Answer(status, {"title": title, "detail": detail, "status": status},
                  {"Content-Type": "application/problem+json"})  # fmt: skip


def script(recorder: Recorder, tool: str, scenario: str) -> Expected:
    _scripted["scenario"] = scenario
    submit_path = SUBMITS[tool]
    if scenario == "bad_key":
        recorder.script("POST", submit_path, _problem(401, "Unauthenticated", BAD_KEY))
        return Expected(error=BAD_KEY)
    if scenario == "http_error":
        invalid = TOO_MANY_STEPS if tool == "text2image" else BAD_DURATION
        recorder.script("POST", submit_path, _problem(422, "Input validation failed", f"- {invalid}\n"))
        return Expected(error=invalid)
    recorder.script("POST", submit_path, Answer(201, prediction_body("starting")))
    running = Answer(200, prediction_body("processing"))
    if scenario == "task_failed":
        recorder.script("GET", PREDICTION, running, Answer(200, prediction_body("failed", error=NSFW)))
        return Expected(error=NSFW)
    if tool in ("text2video", "image2video"):  # one URL string (the models' output schema: a uri)
        files = [MP4 + b"replicate video"]
        output: str | list[str] = serve_file(recorder, "output.mp4", files[0], "video/mp4")
    else:
        files = [png(f"replicate {index}") for index in range(2)]
        output = [serve_file(recorder, f"out-{index}.webp", data) for index, data in enumerate(files)]
    succeeded = Answer(200, prediction_body("succeeded", output=output))
    if scenario == "status_500":
        failing = _problem(500, "Internal Server Error", "Something went wrong")
        recorder.script("GET", PREDICTION, running, failing, succeeded)
    else:
        recorder.script("GET", PREDICTION, running, succeeded)
    return Expected(files=files)


def inputs_for(call: Call) -> dict[str, Any]:
    """The model input the client sends for a logical call (the models' input schema names)."""
    inputs = {"prompt": call.prompt, "aspect_ratio": call.size, "num_outputs": call.n,
              "num_inference_steps": call.steps, "guidance": call.guidance, "seed": call.seed,
              "duration": call.duration, "negative_prompt": call.negative_prompt}  # fmt: skip
    if call.image is not None:  # sent inline, as the plugin does by default (image_input: data_uri)
        inputs["start_image"] = "data:image/png;base64," + base64.b64encode(call.image).decode("ascii")
    return {name: value for name, value in inputs.items() if value is not None}


def official(origin: str, tool: str, call: Call) -> Official:
    import replicate
    from replicate.exceptions import ReplicateError

    client = replicate.Client(api_token=API_KEY, base_url=origin)
    client.poll_interval = 0.05  # REPLICATE_POLL_INTERVAL: timing, not contract
    try:
        prediction = client.models.predictions.create(model=call.model, input=inputs_for(call), wait=True)
    except ReplicateError as error:
        return Official(error=str(error))
    scenario = _scripted.get("scenario")
    try:
        prediction.wait()
    except ReplicateError as error:
        assert scenario == "status_500" and error.status == 500, error  # no retry on a 500
        prediction.wait()
    else:
        assert scenario != "status_500", "replicate now retries a status 500: see the docstring"
    if prediction.status == "failed":  # run() raises ModelError(prediction) with this message
        return Official(error=str(prediction.error))
    output = prediction.output
    return Official(results=list(output) if isinstance(output, list) else [str(output)])
