"""Zhipu (CogView images, CogVideoX videos) through the official ``zai-sdk`` (ZhipuAiClient).

Captured with the SDK against the recorder, base ``.../api/paas/v4``, ``Authorization: Bearer <key>`` (the key
as given; no JWT with zai-sdk):

- text2image, synchronous: ``POST {base}/images/generations`` with JSON ``{prompt, model, size}``; the answer (the
  SDK's ImagesResponded) is ``{created, data: [{url}]}``.
- text2video and image2video, asynchronous: ``videos.generations`` sends ``POST {base}/videos/generations``
  with JSON ``{model, prompt, size, duration}`` and every other parameter as null (the harness reads a null as not
  given; the plugin leaves them out) and reads a VideoObject ``{id, model, request_id, task_status: PROCESSING}``;
  ``videos.retrieve_videos_result(id)`` sends ``GET {base}/async-result/{id}``, whose
  VideoObject has ``task_status`` PROCESSING | SUCCESS | FAIL and ``video_result: [{url, cover_image_url}]``
  (zai/api_resource/videos/videos.py, zai/types/video/video_object.py; the same shapes in
  https://docs.bigmodel.cn/api-reference/模型-api/生成视频异步). The SDK has no waiting helper: a caller asks for
  the result again until the status is no longer PROCESSING, as official() does. image2video is the same call with
  the image in ``image_url`` (the SDK: "URL, Base64, or object"; the page: "支持通过URL或Base64编码传入图片"); the
  plugin's default transport sends a data URI, which the SDK passes through as given.

Failures are ``{"error": {code, message}}`` (the SDK raises an APIStatusError with the raw text), with business
codes from the official table (https://docs.bigmodel.cn/cn/api/api-code; HTTP statuses per
https://docs.z.ai/api-reference/api-code):

- bad_key: HTTP 401 "Authentication failure", business code 1000 "身份验证失败";
- http_error: HTTP 400 "Parameter error", business code 1214 "${field} 参数非法。请检查文档";
- task_failed (video): the result's task_status FAIL; neither the SDK's VideoObject nor the documentation has a
  message field for it, so the status itself is what both sides report;
- status_500 (video): HTTP 500 on a status request, business code 500 "服务内部错误，请稍后重试".

Families: text2image has one (CogView-4); text2video and image2video one per model (presets/zhipu.yml cites their
sizes and durations).
"""

from __future__ import annotations

import base64
import json
from importlib.metadata import version

from contracts.harness import Call, Expected, Official, png, serve_file
from contracts.recorder import Answer, Recorder

PRESET = "zhipu"
TOOLS = ("text2image", "text2video", "image2video")
VIDEO_TOOLS = ("text2video", "image2video")
CLIENT = f"zai-sdk {version('zai-sdk')}"
API_KEY = "0123456789abcdef.contractSecret"
SUBMIT_HEADERS = ("authorization",)
POLL_HEADERS = ("authorization",)
SCENARIOS = ("success", "bad_key", "http_error")  # text2image (synchronous); see scenarios()
BASE = "/api/paas/v4"
SUBMIT_PATHS = {
    "text2image": f"{BASE}/images/generations",
    "text2video": f"{BASE}/videos/generations",
    "image2video": f"{BASE}/videos/generations",
}
TASK = "8868902201637896192"
POLL_PATH = f"{BASE}/async-result/{TASK}"
BAD_KEY = "身份验证失败"
INTERNAL_ERROR = "服务内部错误，请稍后重试"
# An MP4's first box, so the plugin's type sniffing sees a video.
MP4 = bytes.fromhex("0000001866747970") + b"isom\x00\x00\x02\x00isomavc1" + b"\x00\x00\x00\x08mdat"
# A caller's patience in status requests; the scripted answers end well before it.
MAX_STATUS_REQUESTS = 10


def base_path(tool: str) -> str:
    return BASE


def scenarios(tool: str) -> tuple[str, ...]:
    if tool in VIDEO_TOOLS:
        return ("success", "bad_key", "http_error", "task_failed", "status_500")
    return SCENARIOS


def family_calls(tool: str) -> dict[str, Call]:
    if tool == "text2video":
        # Each with a size other than its family's first (cogvideox-flash takes none) and the longer duration.
        return {
            "cogvideox-3": Call(model="cogvideox-3", size="1280x720", duration=10),
            "cogvideox-2": Call(model="cogvideox-2", size="720x480", duration=10),
            "cogvideox-flash": Call(model="cogvideox-flash", duration=10),
        }
    if tool == "image2video":
        # The same per-model families as text2video, each with an input image.
        image = png("zhipu i2v input")
        return {
            "cogvideox-3": Call(model="cogvideox-3", size="720x1280", duration=10, image=image),
            "cogvideox-2": Call(model="cogvideox-2", size="1280x960", duration=10, image=image),
            "cogvideox-flash": Call(model="cogvideox-flash", duration=10, image=image),
        }
    # 1536x1024: a custom size (no recommended one), inside the documented range: sides 512..2048, multiples of 16,
    # 1,572,864 <= 2^21 pixels.
    return {"cogview-4": Call(model="cogview-4-250304", size="1536x1024")}


def call(tool: str) -> Call:
    if tool == "text2video":
        return Call(model="cogvideox-3", size="1920x1080", duration=5)
    if tool == "image2video":
        return Call(model="cogvideox-3", size="1920x1080", duration=5, image=png("zhipu i2v input"))
    return family_calls(tool)["cogview-4"]


def result(status: str, videos: list[dict[str, str]]) -> Answer:
    return Answer(200, {"model": "cogvideox-3", "request_id": "req-1", "task_status": status, "video_result": videos})


def script(recorder: Recorder, tool: str, scenario: str) -> Expected:
    path = SUBMIT_PATHS[tool]
    if scenario == "bad_key":
        recorder.script("POST", path, Answer(401, {"error": {"code": "1000", "message": BAD_KEY}}))
        return Expected(error=BAD_KEY)
    if scenario == "http_error":
        message = ("duration" if tool in VIDEO_TOOLS else "size") + " 参数非法。请检查文档"
        recorder.script("POST", path, Answer(400, {"error": {"code": "1214", "message": message}}))
        return Expected(error=message)
    if tool == "text2image":
        image = png("zhipu")
        answer = {"created": 1767225600, "data": [{"url": serve_file(recorder, "z.png", image)}]}
        recorder.script("POST", path, Answer(200, answer))
        return Expected(files=[image])
    submitted = {"model": "cogvideox-3", "id": TASK, "request_id": "req-1", "task_status": "PROCESSING"}
    recorder.script("POST", path, Answer(200, submitted))
    if scenario == "task_failed":
        recorder.script("GET", POLL_PATH, result("PROCESSING", []), result("FAIL", []))
        return Expected(error="FAIL")
    video = MP4 + b"zhipu video"
    done = result("SUCCESS", [{"url": serve_file(recorder, "v.mp4", video, "video/mp4"), "cover_image_url": ""}])
    if scenario == "status_500":
        failed = Answer(500, {"error": {"code": "500", "message": INTERNAL_ERROR}})
        recorder.script("GET", POLL_PATH, failed, done)
    else:
        recorder.script("GET", POLL_PATH, result("PROCESSING", []), done)
    return Expected(files=[video])


def official(origin: str, tool: str, call: Call) -> Official:
    from zai import ZhipuAiClient
    from zai.core import APIInternalError, APIStatusError

    # max_retries=0: the SDK itself retries 408, 409, 429 and every 5xx (ZAI_DEFAULT_MAX_RETRIES = 3, backoff from
    # 0.5 s, zai/core/_http_client.py _should_retry); without it, the retry of a status request is the caller's
    # (below), the same GET again, and no backoff sleep slows the test.
    client = ZhipuAiClient(api_key=API_KEY, base_url=f"{origin}{BASE}", max_retries=0)
    try:
        if tool == "text2image":
            response = client.images.generations(model=call.model, prompt=call.prompt, size=call.size)
            return Official(results=[item.url for item in response.data if item.url])
        if tool == "image2video":
            # The plugin sends the image inline (image_input's default, data_uri); the SDK sends it as given.
            assert call.image is not None
            image = "data:image/png;base64," + base64.b64encode(call.image).decode("ascii")
            task = client.videos.generations(
                model=call.model, prompt=call.prompt, image_url=image, size=call.size, duration=call.duration
            )
        else:
            task = client.videos.generations(
                model=call.model, prompt=call.prompt, size=call.size, duration=call.duration
            )
    except APIStatusError as error:
        return Official(error=json.loads(error.response.text)["error"]["message"])
    assert task.id is not None
    for _ in range(MAX_STATUS_REQUESTS):
        try:
            video = client.videos.retrieve_videos_result(id=task.id)
        except APIInternalError:
            # A 500 on a status request says nothing about the task, which lives on: ask again, as the SDK's own
            # retry would (and as the plugin does, a bounded number of times).
            continue
        if video.task_status == "SUCCESS":
            return Official(results=[item.url for item in video.video_result])
        if video.task_status == "FAIL":
            return Official(error=video.task_status)
    return Official(error="still PROCESSING")
