"""DashScope (Alibaba Cloud Model Studio) through its official SDK: ImageSynthesis and VideoSynthesis.

The SDK is pointed at the recorder through ``dashscope.base_http_api_url``; ``async_call`` then ``wait`` is what
``call`` does, split so that a refused submit is reported instead of raising InvalidTask. Response shapes are the
ones the SDK's own models parse (ImageSynthesisOutput.results[].url, VideoSynthesisOutput.video_url); failure shapes
follow the DashScope async-task documentation: an HTTP error ``{code, message, request_id}``, a task
``FAILED`` with ``output.code`` / ``output.message``, and a result item ``{code, message}`` instead of ``{url}``.
"""

from __future__ import annotations

import base64

import dashscope
from dashscope import ImageSynthesis, VideoSynthesis

from contracts.harness import Call, Expected, Official, png, serve_file
from contracts.recorder import Answer, Recorder

PRESET = "dashscope"
TOOLS = ("text2image", "image_edit", "text2video")
CLIENT = f"dashscope {dashscope.__version__}"
API_KEY = "sk-contract-0123456789"
SUBMIT_HEADERS = ("authorization", "x-dashscope-async")
POLL_HEADERS = ("authorization",)
TASK = "3f6b2c1e-contract-task"
SUBMIT_PATHS = {
    "text2image": "/api/v1/services/aigc/text2image/image-synthesis",
    "image_edit": "/api/v1/services/aigc/image2image/image-synthesis",
    "text2video": "/api/v1/services/aigc/video-generation/video-synthesis",
}
MODERATION = "Output data may contain inappropriate content."
# An MP4's first box, so the plugin's type sniffing sees a video.
MP4 = bytes.fromhex("0000001866747970") + b"isom\x00\x00\x02\x00isomavc1" + b"\x00\x00\x00\x08mdat"


def base_path(tool: str) -> str:
    return ""


def call(tool: str) -> Call:
    if tool == "image_edit":
        return Call(model="wanx2.1-imageedit", prompt="Make the sky purple", n=1, seed=7, image=png("dashscope input"))
    if tool == "text2video":
        return Call(model="wan2.2-t2v-plus", negative_prompt="blurry", size="1920x1080", duration=5, seed=7)
    return Call(model="wan2.2-t2i-flash", negative_prompt="blurry", size="1024x1024", n=2, seed=7)


def scenarios(tool: str) -> tuple[str, ...]:
    if tool == "text2video":
        return ("success", "http_error", "task_failed")
    return ("success", "partial", "http_error", "task_failed")


def sdk_only(tool: str) -> dict[str, str]:
    if tool == "text2video":
        # VideoSynthesis fills these in itself; the documented request has them as optional (defaults apply).
        return {
            "input.extend_prompt": "SDK default (prompt_extend=True)",
            "input.function": "SDK constant for this class",
        }
    return {}


def script(recorder: Recorder, tool: str, scenario: str) -> Expected:
    submitted = {"output": {"task_status": "PENDING", "task_id": TASK}, "request_id": "req-submit"}
    if scenario == "http_error":
        message = "Parameter size is invalid: 99999*1."
        error = {"code": "InvalidParameter", "message": message, "request_id": "req-bad"}
        recorder.script("POST", SUBMIT_PATHS[tool], Answer(400, error))
        return Expected(error=message)
    recorder.script("POST", SUBMIT_PATHS[tool], Answer(200, submitted))
    running = {"request_id": "req-poll", "output": {"task_id": TASK, "task_status": "RUNNING"}}
    poll = f"/api/v1/tasks/{TASK}"
    if scenario == "task_failed":
        failed = {"task_id": TASK, "task_status": "FAILED", "code": "DataInspectionFailed", "message": MODERATION}
        recorder.script("GET", poll, Answer(200, running), Answer(200, {"request_id": "req-2", "output": failed}))
        return Expected(error=MODERATION)
    if tool == "text2video":
        video = MP4 + b"dashscope video"
        url = serve_file(recorder, "video.mp4", video, "video/mp4")
        done = {"task_id": TASK, "task_status": "SUCCEEDED", "video_url": url}
        recorder.script("GET", poll, Answer(200, running), Answer(200, {"request_id": "req-2", "output": done}))
        return Expected(files=[video])
    images = [png(f"dashscope {tool} {index}") for index in range(2)]
    results: list[dict[str, str]] = [{"url": serve_file(recorder, f"r{i}.png", data)} for i, data in enumerate(images)]
    if scenario == "partial":
        results[1] = {"code": "DataInspectionFailed", "message": MODERATION}
        images = images[:1]
    done = {"task_id": TASK, "task_status": "SUCCEEDED", "results": results}
    answer = {"request_id": "req-2", "output": done, "usage": {"image_count": len(images)}}
    recorder.script("GET", poll, Answer(200, running), Answer(200, answer))
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
    elif tool == "image_edit":
        assert call.image is not None
        image = "data:image/png;base64," + base64.b64encode(call.image).decode("ascii")
        response = ImageSynthesis.async_call(
            model=call.model, prompt=call.prompt, function="description_edit", base_image_url=image, n=call.n,
            seed=call.seed, api_key=API_KEY,
        )  # fmt: skip
    else:
        response = ImageSynthesis.async_call(
            model=call.model, prompt=call.prompt, negative_prompt=call.negative_prompt, size=size, n=call.n,
            seed=call.seed, api_key=API_KEY,
        )  # fmt: skip
    if response.status_code != 200:  # the submit was refused: call() would raise InvalidTask here
        return Official(error=response.message)
    synthesis = VideoSynthesis if tool == "text2video" else ImageSynthesis
    response = synthesis.wait(response, api_key=API_KEY)
    if response.status_code != 200:
        return Official(error=response.message)
    output = response.output
    if output.task_status != "SUCCEEDED":
        return Official(error=output.message)
    if tool == "text2video":
        return Official(results=[output.video_url])
    return Official(results=[result.url for result in output.results if result.url])
