"""Kling AI (images, text- and image-to-video) by its documentation: there is no official Python client.

The documentation (https://app.klingai.com/global/dev/document-api/..., Chinese https://app.klingai.com/cn/dev/
document-api/...) could not be fetched offline; the fixtures below quote verbatim copies of its pages:
the English "Video Generation - Image to Video" (github.com/QuincyMillerDev/cooliomusic, docs/
KLINGAI_IMAGE_TO_VIDEO_API.md) and the Chinese 通用信息, 图像生成, 文生视频 (github.com/WHQ25/rawgenai,
docs/research/kling/common-info.md, image-generation.md, text-to-video.md). What the pages show:

- Auth (通用信息 "接口鉴权"): ``Authorization: Bearer <token>``, the token made by the page's own Python sample:
  ``jwt.encode({"iss": ak, "exp": int(time.time()) + 1800, "nbf": int(time.time()) - 5}, sk, headers={"alg":
  "HS256", "typ": "JWT"})`` (PyJWT), which official() runs as it is. The tokens differ per second, so requests are
  not compared on the header: verify_request() checks each plugin request's token with PyJWT instead (signed with
  the secret key, issued by the access key, header {"alg": "HS256", "typ": "JWT"}, valid 1800 s from issue and
  5 s before it) and that the secret key itself is sent nowhere.
- Create (``POST /v1/images/generations``, ``/v1/videos/text2video``, ``/v1/videos/image2video``, JSON): the
  body fields of each page's table, each only when given: model_name, prompt, negative_prompt, aspect_ratio, n
  (int) for images; model_name, prompt, negative_prompt, cfg_scale (float), mode, aspect_ratio (text2video only),
  duration (a string, "5" | "10") and image (bare base64, "do not add any prefixes ... such as
  data:image/png;base64") for videos. The answer: ``{code: 0, message, request_id, data: {task_id, task_status:
  submitted, task_info, created_at, updated_at}}``.
- Query (``GET {create path}/{task_id}``): ``data.task_status`` submitted | processing | succeed | failed,
  ``data.task_status_msg`` ("displaying the failure reason when the task fails"), ``data.task_result.images[*]
  {index, url}`` or ``.videos[*] {id, url, duration}``.
- Errors (通用信息 "错误码", HTTP status and business code): bad_key 401 / 1000 身份验证失败; http_error 400 / 1201
  参数非法 (a wrong key or value); status_500 500 / 5000 服务器内部错误 on a status request (the task lives on: asked
  again). Each answer is ``{code, message, request_id}``; the pages give the codes' meanings, not the exact message
  texts the API sends, so the messages here are the table's words.
"""

from __future__ import annotations

import base64
import json
import time

import requests

from contracts.harness import Call, Expected, Official, png, serve_file
from contracts.recorder import Answer, Recorded, Recorder

PRESET = "kling"
TOOLS = ("text2image", "text2video", "image2video")
CLIENT = "Kling API documentation, https://app.klingai.com/global/dev/document-api (read in verbatim copies)"
ACCESS_KEY = "AkContract0123456789abcdef"
SECRET_KEY = "SkContractSecret0123456789abcdef"
API_KEY = SECRET_KEY  # the one the harness checks no message repeats; CREDENTIALS are what the form asks for
CREDENTIALS = {"access_key": ACCESS_KEY, "secret_key": SECRET_KEY}
SUBMIT_HEADERS: tuple[str, ...] = ()  # the Authorization token differs per second: verify_request checks it
POLL_HEADERS: tuple[str, ...] = ()
SCENARIOS = ("success", "bad_key", "http_error", "task_failed", "status_500")
PATHS = {
    "text2image": "/v1/images/generations",
    "text2video": "/v1/videos/text2video",
    "image2video": "/v1/videos/image2video",
}
TASK = "842250903629086785"
BAD_KEY = "身份验证失败"
BAD_PARAMETER = "参数非法，如key写错或value非法"
INTERNAL_ERROR = "服务器内部错误"
TASK_FAILED = "触发平台的内容安全策略"
TOKEN_TTL = 1800
# An MP4's first box, so the plugin's type sniffing sees a video.
MP4 = bytes.fromhex("0000001866747970") + b"isom\x00\x00\x02\x00isomavc1" + b"\x00\x00\x00\x08mdat"
MAX_STATUS_REQUESTS = 10
NEGATIVE = "blurry, watermark, text"


def base_path(tool: str) -> str:
    return ""


def family_calls(tool: str) -> dict[str, Call]:
    """One call per family (presets/kling.yml), each with a model other than the tool's default, every parameter
    the family takes and a size other than its first."""
    if tool == "text2image":
        return {
            "kling-v1": Call(model="kling-v1", size="9:16", n=2, negative_prompt=NEGATIVE),
            "kling-v1-5-v2": Call(model="kling-v2", size="21:9", n=3, negative_prompt=NEGATIVE),
        }
    if tool == "text2video":
        return {
            "kling-v1": Call(
                model="kling-v1-6", size="9:16", duration=10, mode="pro", guidance=0.7, negative_prompt=NEGATIVE
            ),
            "kling-v2-master": Call(model="kling-v2-1-master", size="1:1", duration=10, negative_prompt=NEGATIVE),
            "kling-v2": Call(model="kling-v2-6", size="9:16", duration=10, mode="pro", negative_prompt=NEGATIVE),
        }
    image = png("kling i2v input", side=16)
    return {
        "kling-v1": Call(
            model="kling-v1-5", duration=10, mode="pro", guidance=0.3, negative_prompt=NEGATIVE, image=image
        ),
        "kling-v2-master": Call(model="kling-v2-master", duration=10, negative_prompt=NEGATIVE, image=image),
        "kling-v2": Call(model="kling-v2-1", duration=10, mode="pro", negative_prompt=NEGATIVE, image=image),
    }


def call(tool: str) -> Call:
    return next(iter(family_calls(tool).values()))


def documented_body(tool: str, call: Call) -> dict[str, object]:
    """The create body as the page's table names its fields, with only what the call gives."""
    body: dict[str, object] = {"model_name": call.model, "prompt": call.prompt}
    if call.negative_prompt is not None:
        body["negative_prompt"] = call.negative_prompt
    if tool == "text2image":
        body.update({key: value for key, value in (("aspect_ratio", call.size), ("n", call.n)) if value is not None})
        return body
    if call.guidance is not None:
        body["cfg_scale"] = call.guidance
    if call.mode is not None:
        body["mode"] = call.mode
    if tool == "text2video" and call.size is not None:
        body["aspect_ratio"] = call.size
    if call.duration is not None:
        body["duration"] = str(call.duration)  # the pages: duration string, enum 5, 10
    if call.image is not None:
        body["image"] = base64.b64encode(call.image).decode("ascii")  # bare base64, no data: prefix
    return body


def task(status: str, **extra: object) -> dict[str, object]:
    data = {"task_id": TASK, "task_status": status, "task_info": {}, "created_at": 1722769557708}
    return {"code": 0, "message": "SUCCEED", "request_id": "req-1", "data": {**data, **extra}}


def script(recorder: Recorder, tool: str, scenario: str) -> Expected:
    path = PATHS[tool]
    if scenario == "bad_key":
        recorder.script("POST", path, Answer(401, {"code": 1000, "message": BAD_KEY, "request_id": "req-1"}))
        return Expected(error=BAD_KEY)
    if scenario == "http_error":
        recorder.script("POST", path, Answer(400, {"code": 1201, "message": BAD_PARAMETER, "request_id": "req-1"}))
        return Expected(error=BAD_PARAMETER)
    recorder.script("POST", path, Answer(200, task("submitted")))
    status_path = f"{path}/{TASK}"
    if scenario == "task_failed":
        failed = task("failed", task_status_msg=TASK_FAILED)
        recorder.script("GET", status_path, Answer(200, task("processing")), Answer(200, failed))
        return Expected(error=TASK_FAILED)
    if tool == "text2image":
        files = [png("kling image 1"), png("kling image 2")]
        items = [
            {"index": index, "url": serve_file(recorder, f"k{index}.png", data)} for index, data in enumerate(files)
        ]
        done = task("succeed", task_status_msg="", task_result={"images": items})
    else:
        files = [MP4 + b"kling video"]
        video = {"id": "v-1", "url": serve_file(recorder, "v.mp4", files[0], "video/mp4"), "duration": "10.0"}
        done = task("succeed", task_status_msg="", task_result={"videos": [video]})
    if scenario == "status_500":
        failed = Answer(500, {"code": 5000, "message": INTERNAL_ERROR, "request_id": "req-2"})
        recorder.script("GET", status_path, failed, Answer(200, done))
    else:
        recorder.script("GET", status_path, Answer(200, task("processing")), Answer(200, done))
    return Expected(files=files)


def documented_token() -> str:
    """通用信息's Python sample, as written there (PyJWT)."""
    import jwt

    headers = {"alg": "HS256", "typ": "JWT"}
    payload = {"iss": ACCESS_KEY, "exp": int(time.time()) + 1800, "nbf": int(time.time()) - 5}
    return jwt.encode(payload, SECRET_KEY, headers=headers)


def official(origin: str, tool: str, call: Call) -> Official:
    """The documented calls: create, then ask for the task until it succeeded or failed."""
    session = requests.Session()

    def send(method: str, path: str, body: object = None) -> requests.Response:
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {documented_token()}"}
        return session.request(method, f"{origin}{path}", headers=headers, json=body, timeout=10)

    created = send("POST", PATHS[tool], documented_body(tool, call))
    if created.status_code >= 400:
        return Official(error=created.json()["message"])
    task_id = created.json()["data"]["task_id"]
    for _ in range(MAX_STATUS_REQUESTS):
        answer = send("GET", f"{PATHS[tool]}/{task_id}")
        if answer.status_code >= 500:
            continue  # 5000-5002: the server's trouble, the task lives on
        data = answer.json()["data"]
        if data["task_status"] == "succeed":
            items = data["task_result"]["images" if tool == "text2image" else "videos"]
            return Official(results=[item["url"] for item in items])
        if data["task_status"] == "failed":
            return Official(error=data["task_status_msg"])
    return Official(error="still processing")


def verify_request(recorded: Recorded) -> None:
    """The plugin's token is the documented one: HS256 under the secret key, issued by the access key, valid
    1800 s from issue and 5 s before it; the secret key itself goes nowhere."""
    import jwt

    scheme, _, token = (recorded.header("authorization") or "").partition(" ")
    assert scheme == "Bearer", recorded.header("authorization")
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(
            token, SECRET_KEY, algorithms=["HS256"], issuer=ACCESS_KEY, options={"require": ["iss", "exp", "nbf"]}
        )
    except jwt.PyJWTError as error:
        raise AssertionError(f"authorization token: {type(error).__name__}: {error}") from None
    assert header == {"alg": "HS256", "typ": "JWT"}
    assert set(claims) == {"iss", "exp", "nbf"}
    assert claims["exp"] - claims["nbf"] == TOKEN_TTL + 5
    sent = json.dumps([recorded.headers, recorded.body if not isinstance(recorded.body, bytes) else ""])
    assert SECRET_KEY not in sent
