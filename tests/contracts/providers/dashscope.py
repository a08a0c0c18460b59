"""DashScope (Alibaba Cloud Model Studio) through its official SDK: ImageSynthesis and VideoSynthesis.

The SDK is pointed at the recorder through ``dashscope.base_http_api_url``; ``async_call`` then ``wait`` is what
``call`` does, split so that a refused submit is reported instead of raising InvalidTask. Response shapes are the
ones the SDK's own models parse (ImageSynthesisOutput.results[].url, VideoSynthesisOutput.video_url). Failure
bodies follow DashScope's status-code reference, https://help.aliyun.com/zh/dashscope/response-status-codes
(also https://help.aliyun.com/zh/dashscope/return-status-code-description): an HTTP error is ``{code, message,
request_id}`` (401 InvalidApiKey "Invalid API-key provided.", 400 InvalidParameter, 500 InternalError); a task
that failed is ``output.task_status`` FAILED with ``output.code`` / ``output.message``; a result item that failed
is ``{code, message}`` instead of ``{url}``.

Families: one call per family of the rendered settings, with a model of that family other than the tool's
default where the curated list has one, every optional parameter it takes and a size other than its first.
Model data (text-to-image sizes, video tiers and durations) is cited in presets/dashscope.yml.
"""

from __future__ import annotations

import base64
from http import HTTPStatus

import dashscope
from dashscope import ImageSynthesis, VideoSynthesis

from contracts.harness import Call, Expected, Official, png, serve_file
from contracts.recorder import Answer, Recorder

PRESET = "dashscope"
TOOLS = ("text2image", "image_edit", "text2video", "image2video")
# The tools whose result is one video (VideoSynthesis, output.video_url).
VIDEO_TOOLS = ("text2video", "image2video")
CLIENT = f"dashscope {dashscope.__version__}"
API_KEY = "sk-contract-0123456789"
SUBMIT_HEADERS = ("authorization", "x-dashscope-async")
POLL_HEADERS = ("authorization",)
TASK = "3f6b2c1e-contract-task"
SUBMIT_PATHS = {
    "text2image": "/api/v1/services/aigc/text2image/image-synthesis",
    "image_edit": "/api/v1/services/aigc/image2image/image-synthesis",
    "text2video": "/api/v1/services/aigc/video-generation/video-synthesis",
    "image2video": "/api/v1/services/aigc/video-generation/video-synthesis",
}
POLL_PATH = f"/api/v1/tasks/{TASK}"
# The status-code reference's messages, verbatim.
BAD_KEY = "Invalid API-key provided."
BAD_PARAMETER = "Required parameter(s) missing or invalid, please check the request parameters."
INTERNAL_ERROR = "An internal error has occured, please try again later or contact service support."
MODERATION = "Input or output data may contain inappropriate content."
# An MP4's first box, so the plugin's type sniffing sees a video.
MP4 = bytes.fromhex("0000001866747970") + b"isom\x00\x00\x02\x00isomavc1" + b"\x00\x00\x00\x08mdat"
EDIT_PROMPT = "Make the sky purple"
I2V_PROMPT = "The cat turns its head and starts to run"


def base_path(tool: str) -> str:
    return ""


def call(tool: str) -> Call:
    """The call of the failure scenarios (and of a broken preset): the tool's default model.

    Text-to-image leaves n out here, so these cases check the preset's constant parameters.n=1 (the API's own
    default is 4); the scripted answers keep two result items, as partial needs (their shape is what is checked).
    """
    if tool == "image_edit":
        return Call(model="wanx2.1-imageedit", prompt=EDIT_PROMPT, n=2, seed=7, image=png("dashscope input"))
    if tool == "text2video":
        return Call(model="wan2.2-t2v-plus", negative_prompt="blurry", size="1920x1080", duration=5, seed=7)
    if tool == "image2video":
        return Call(
            model="wan2.5-i2v-preview", prompt=I2V_PROMPT, negative_prompt="blurry", size="1080P", duration=5, seed=7,
            image=png("dashscope i2v input"),
        )  # fmt: skip
    return Call(model="wan2.2-t2i-flash", negative_prompt="blurry", size="1024x1024", seed=7)


def family_calls(tool: str) -> dict[str, Call]:
    """One success call per model family (presets/dashscope.yml ``families``)."""
    if tool == "image_edit":
        # One curated model: the tool's default is the family's only one.
        return {"wanx-imageedit": call(tool)}
    if tool == "text2video":
        # Each video model is its own family: its tiers' sizes and its durations (the 2.5 preview takes 10 s too).
        video = {"negative_prompt": "blurry", "seed": 7}
        return {
            "wan25-t2v-preview": Call(model="wan2.5-t2v-preview", size="832x480", duration=10, **video),
            "wan22-t2v-plus": Call(model="wan2.2-t2v-plus", size="1080x1920", duration=5, **video),
            "wanx21-t2v-plus": Call(model="wanx2.1-t2v-plus", size="720x1280", duration=5, **video),
            "wanx21-t2v-turbo": Call(model="wanx2.1-t2v-turbo", size="832x480", duration=5, **video),
        }
    if tool == "image2video":
        # Each model is its own family: its resolution tiers (not W*H: the video keeps the image's shape) and
        # durations; the 2.1 turbo takes 3 or 4 s too.
        i2v = {"prompt": I2V_PROMPT, "negative_prompt": "blurry", "seed": 7, "image": png("dashscope i2v input")}
        return {
            "wan25-i2v-preview": Call(model="wan2.5-i2v-preview", size="720P", duration=10, **i2v),
            "wan22-i2v-plus": Call(model="wan2.2-i2v-plus", size="480P", duration=5, **i2v),
            "wan22-i2v-flash": Call(model="wan2.2-i2v-flash", size="480P", duration=5, **i2v),
            "wanx21-i2v-plus": Call(model="wanx2.1-i2v-plus", size="720P", duration=5, **i2v),
            "wanx21-i2v-turbo": Call(model="wanx2.1-i2v-turbo", size="480P", duration=3, **i2v),
        }
    # A free W*H inside the documented 512-1440 per side, not one of the menu's sizes.
    return {"wan-t2i": Call(model="wan2.2-t2i-plus", negative_prompt="blurry", size="1440x810", n=2, seed=7)}


def scenarios(tool: str) -> tuple[str, ...]:
    failures = ("bad_key", "http_error", "task_failed", "status_500")
    if tool in VIDEO_TOOLS:
        return ("success", *failures)
    return ("success", "partial", *failures)


def sdk_only(tool: str) -> dict[str, str]:
    if tool in VIDEO_TOOLS:
        # VideoSynthesis fills these in itself; the documented request has them as optional (defaults apply).
        return {
            "input.extend_prompt": "SDK default (prompt_extend=True)",
            "input.function": "SDK constant for this class",
        }
    return {}


def script(recorder: Recorder, tool: str, scenario: str) -> Expected:
    submitted = {"output": {"task_status": "PENDING", "task_id": TASK}, "request_id": "req-submit"}
    if scenario == "bad_key":
        error = {"code": "InvalidApiKey", "message": BAD_KEY, "request_id": "req-key"}
        recorder.script("POST", SUBMIT_PATHS[tool], Answer(401, error))
        return Expected(error=BAD_KEY)
    if scenario == "http_error":
        error = {"code": "InvalidParameter", "message": BAD_PARAMETER, "request_id": "req-bad"}
        recorder.script("POST", SUBMIT_PATHS[tool], Answer(400, error))
        return Expected(error=BAD_PARAMETER)
    recorder.script("POST", SUBMIT_PATHS[tool], Answer(200, submitted))
    running = Answer(200, {"request_id": "req-poll", "output": {"task_id": TASK, "task_status": "RUNNING"}})
    if scenario == "task_failed":
        failed = {"task_id": TASK, "task_status": "FAILED", "code": "DataInspectionFailed", "message": MODERATION}
        recorder.script("GET", POLL_PATH, running, Answer(200, {"request_id": "req-2", "output": failed}))
        return Expected(error=MODERATION)
    # status_500: one HTTP 500 on a status request, then the task's answer (see official()).
    first = (
        Answer(500, {"code": "InternalError", "message": INTERNAL_ERROR, "request_id": "req-500"})
        if scenario == "status_500"
        else running
    )
    if tool in VIDEO_TOOLS:
        video = MP4 + b"dashscope video"
        url = serve_file(recorder, "video.mp4", video, "video/mp4")
        done = {"task_id": TASK, "task_status": "SUCCEEDED", "video_url": url}
        recorder.script("GET", POLL_PATH, first, Answer(200, {"request_id": "req-2", "output": done}))
        return Expected(files=[video])
    images = [png(f"dashscope {tool} {index}") for index in range(2)]
    results: list[dict[str, str]] = [{"url": serve_file(recorder, f"r{i}.png", data)} for i, data in enumerate(images)]
    if scenario == "partial":
        results[1] = {"code": "DataInspectionFailed", "message": MODERATION}
        images = images[:1]
    done = {"task_id": TASK, "task_status": "SUCCEEDED", "results": results}
    answer = {"request_id": "req-2", "output": done, "usage": {"image_count": len(images)}}
    recorder.script("GET", POLL_PATH, first, Answer(200, answer))
    failures = [f"DataInspectionFailed: {MODERATION}"] if scenario == "partial" else []
    return Expected(files=images, failures=failures)


def official(origin: str, tool: str, call: Call) -> Official:
    dashscope.base_http_api_url = f"{origin}/api/v1"
    size = call.size.replace("x", "*") if call.size else None
    if tool == "text2video":
        response = VideoSynthesis.async_call(
            model=call.model, prompt=call.prompt, negative_prompt=call.negative_prompt, size=size,
            duration=call.duration, seed=call.seed, api_key=API_KEY,
        )  # fmt: skip
    elif tool == "image2video":
        # The plugin sends the image inline (image_input's default, data_uri); the SDK sends a data URI as given
        # (it uploads only a local file path). The tier goes as `resolution`, which the SDK passes through.
        assert call.image is not None
        image = "data:image/png;base64," + base64.b64encode(call.image).decode("ascii")
        response = VideoSynthesis.async_call(
            model=call.model, prompt=call.prompt, img_url=image, negative_prompt=call.negative_prompt,
            resolution=call.size, duration=call.duration, seed=call.seed, api_key=API_KEY,
        )  # fmt: skip
    elif tool == "image_edit":
        assert call.image is not None
        image = "data:image/png;base64," + base64.b64encode(call.image).decode("ascii")
        response = ImageSynthesis.async_call(
            model=call.model, prompt=call.prompt, function="description_edit", base_image_url=image, n=call.n,
            seed=call.seed, api_key=API_KEY,
        )  # fmt: skip
    else:
        # The API makes 4 images when n is not sent (documented default); the preset sends n=1 then, so one image
        # asked of the SDK is n=1 too.
        response = ImageSynthesis.async_call(
            model=call.model, prompt=call.prompt, negative_prompt=call.negative_prompt, size=size,
            n=call.n if call.n is not None else 1, seed=call.seed, api_key=API_KEY,
        )  # fmt: skip
    if response.status_code != HTTPStatus.OK:  # the submit was refused: call() would raise InvalidTask here
        return Official(error=response.message)
    synthesis, submitted = (VideoSynthesis if tool in VIDEO_TOOLS else ImageSynthesis), response
    response = synthesis.wait(submitted, api_key=API_KEY)
    if response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR:
        # wait() retries only 503 and 504 on a status request (dashscope.common.constants.REPEATABLE_STATUS) and
        # hands a 500 back to its caller; the task lives on, so a caller asks again, as the plugin does by itself
        # (a bounded number of times). Both then end with the task's own answer.
        response = synthesis.wait(submitted, api_key=API_KEY)
    if response.status_code != HTTPStatus.OK:
        return Official(error=response.message)
    output = response.output
    if output.task_status != "SUCCEEDED":
        return Official(error=output.message)
    if tool in VIDEO_TOOLS:
        return Official(results=[output.video_url])
    return Official(results=[result.url for result in output.results if result.url])
