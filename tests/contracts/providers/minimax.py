"""MiniMax (Hailuo) image and video generation, following MiniMax's API reference (no official Python client).

MiniMax publishes no Python client for these APIs, so ``official()`` makes the calls the way the reference pages
show them (their curl examples: ``Authorization: Bearer <key>``, ``Content-Type: application/json``), with
``requests``, and reads the answers the way the pages describe them. The pages are quoted here as read in the
documentation index (search corpus; not fetched live, as the machine has no internet):

- https://platform.minimax.io/docs/api-reference/image-generation-t2i: ``POST /v1/image_generation`` with
  ``{model: image-01 | image-01-live, prompt, aspect_ratio, response_format: url | base64, n, seed}``; the answer
  is ``{id, data: {image_urls: [...]}, metadata: {success_count, failed_count}, base_resp: {status_code: 0,
  status_msg: "success"}}``.
- https://platform.minimax.io/docs/api-reference/video-generation-t2v (and -i2v, with ``first_frame_image``: "a
  public URL or a Base64 data URL"): ``POST /v1/video_generation`` with ``{model, prompt, duration, resolution}``;
  the answer is ``{task_id, base_resp}``.
- https://platform.minimax.io/docs/api-reference/video-generation-query: ``GET
  /v1/query/video_generation?task_id=...``; ``status`` Preparing | Queueing | Processing | Success | Fail, and
  ``file_id`` once Success (the OpenAPI excerpt and the example answer ``{task_id, status: "Success", file_id,
  video_width, video_height, base_resp}``).
- https://platform.minimax.io/docs/api-reference/video-generation-download: ``GET /v1/files/retrieve?file_id=...``;
  the answer is ``{file: {file_id, bytes, created_at, filename, purpose: "video_generation", download_url},
  base_resp: {status_code: 0, status_msg: "success"}}``.
- https://platform.minimax.io/docs/api-reference/errorcode: errors come inside the answer's ``base_resp``; the
  messages below are the table's: 1004 "not authorized / token not match group / cookie is missing, log in
  again", 1008 "insufficient balance", 1000 "unknown error" ("Please retry your requests later").

Scenarios: bad_key is code 1004, http_error code 1008 (both in HTTP 200 answers, as the API sends them);
task_failed is status Fail with base_resp 1027 (a generated video flagged as sensitive; the code is from the query
page's list, the message text is not quoted from a page); status_500 is a status answer with code 1000, which the
error table says to retry, before Success: what the documented caller and the plugin (error_code maps 1000 to a
transient HTTP 500) both do. Not verifiable offline: HTTP statuses other than 200 (none are documented) and the
listing used as validate_path.
"""

from __future__ import annotations

import base64
from typing import Any

import requests

from contracts.harness import Call, Expected, Official, png, serve_file
from contracts.recorder import Answer, Recorder

PRESET = "minimax"
TOOLS = ("text2image", "text2video", "image2video")
VIDEO_TOOLS = ("text2video", "image2video")
CLIENT = "https://platform.minimax.io/docs/api-reference (image-generation-t2i, video-generation-*, errorcode)"
API_KEY = "eyJhbGciOiJSUzI1NiJ9.contract-0123456789"
SUBMIT_HEADERS = ("authorization", "content-type")
POLL_HEADERS = ("authorization",)
# The task id and the file id travel in the query string: status and lookup requests must agree on it too.
QUERY_MATTERS = True
SCENARIOS = ("success", "bad_key", "http_error")  # text2image (synchronous); see scenarios()
BASE = "/v1"
SUBMIT_PATHS = {
    "text2image": f"{BASE}/image_generation",
    "text2video": f"{BASE}/video_generation",
    "image2video": f"{BASE}/video_generation",
}
TASK = "106916112212032"
FILE = "205258526306433"
QUERY_PATH = f"{BASE}/query/video_generation"
RETRIEVE_PATH = f"{BASE}/files/retrieve"
OK = {"status_code": 0, "status_msg": "success"}
BAD_KEY = "not authorized / token not match group / cookie is missing, log in again"
NO_BALANCE = "insufficient balance"
UNKNOWN_ERROR = "unknown error"
SENSITIVE_OUTPUT = "output video sensitive"
# An MP4's first box, so the plugin's type sniffing sees a video.
MP4 = bytes.fromhex("0000001866747970") + b"isom\x00\x00\x02\x00isomavc1" + b"\x00\x00\x00\x08mdat"
# A caller's patience in status requests; the scripted answers end well before it.
MAX_STATUS_REQUESTS = 10
I2V_PROMPT = "The fox turns its head and trots away [Push in]"


def base_path(tool: str) -> str:
    return BASE


def scenarios(tool: str) -> tuple[str, ...]:
    if tool in VIDEO_TOOLS:
        return ("success", "bad_key", "http_error", "task_failed", "status_500")
    return SCENARIOS


def family_calls(tool: str) -> dict[str, Call]:
    if tool == "text2video":
        # Hailuo at 1080P (6 s only, per the page), the 01 models at their one tier and duration.
        return {
            "hailuo": Call(model="MiniMax-Hailuo-02", size="1080P", duration=6),
            "t2v-01": Call(model="T2V-01-Director", size="720P", duration=6),
        }
    if tool == "image2video":
        i2v = {"prompt": I2V_PROMPT, "image": png("minimax i2v input")}
        return {
            "hailuo-23": Call(model="MiniMax-Hailuo-2.3-Fast", size="1080P", duration=6, **i2v),
            "hailuo-02": Call(model="MiniMax-Hailuo-02", size="512P", duration=10, **i2v),
            "i2v-01": Call(model="I2V-01-live", size="720P", duration=6, **i2v),
        }
    return {
        "image-01": Call(model="image-01", size="21:9", n=2, seed=7),
        "image-01-live": Call(model="image-01-live", size="3:4", n=2, seed=7),
    }


def call(tool: str) -> Call:
    """The failure scenarios' call: the tool's default model."""
    if tool == "text2video":
        return Call(model="MiniMax-Hailuo-2.3", size="768P", duration=10)
    if tool == "image2video":
        return Call(model="MiniMax-Hailuo-2.3", prompt=I2V_PROMPT, size="768P", duration=6, image=png("minimax i2v"))
    return Call(model="image-01", size="16:9")


def refused(code: int, message: str) -> Answer:
    """An error as MiniMax sends it: HTTP 200, the code and message in base_resp."""
    return Answer(200, {"base_resp": {"status_code": code, "status_msg": message}})


def query(status: str, **fields: Any) -> Answer:
    return Answer(200, {"task_id": TASK, "status": status, **fields, "base_resp": OK})


def script(recorder: Recorder, tool: str, scenario: str) -> Expected:
    path = SUBMIT_PATHS[tool]
    if scenario == "bad_key":
        recorder.script("POST", path, refused(1004, BAD_KEY))
        return Expected(error=BAD_KEY)
    if scenario == "http_error":
        recorder.script("POST", path, refused(1008, NO_BALANCE))
        return Expected(error=NO_BALANCE)
    if tool == "text2image":
        images = [png("minimax 1"), png("minimax 2")]
        urls = [serve_file(recorder, f"m{index}.jpeg", data) for index, data in enumerate(images)]
        answer = {
            "id": "03ff3cd0820949eb8a410056b5f21d38",
            "data": {"image_urls": urls},
            "metadata": {"failed_count": "0", "success_count": "2"},
            "base_resp": OK,
        }
        recorder.script("POST", path, Answer(200, answer))
        return Expected(files=images)
    recorder.script("POST", path, Answer(200, {"task_id": TASK, "base_resp": OK}))
    processing = query("Processing")
    if scenario == "task_failed":
        failed = Answer(200, {"task_id": TASK, "status": "Fail", "file_id": "", "base_resp": {
            "status_code": 1027, "status_msg": SENSITIVE_OUTPUT}})  # fmt: skip
        recorder.script("GET", QUERY_PATH, processing, failed)
        return Expected(error=SENSITIVE_OUTPUT)
    video = MP4 + b"minimax video"
    done = query("Success", file_id=FILE, video_width=1920, video_height=1080)
    file = {
        "file_id": int(FILE),
        "bytes": len(video),
        "created_at": 1700469398,
        "filename": "output_aigc.mp4",
        "purpose": "video_generation",
        "download_url": serve_file(recorder, "output_aigc.mp4", video, "video/mp4"),
    }
    recorder.script("GET", RETRIEVE_PATH, Answer(200, {"file": file, "base_resp": OK}))
    if scenario == "status_500":
        recorder.script("GET", QUERY_PATH, refused(1000, UNKNOWN_ERROR), done)
    else:
        recorder.script("GET", QUERY_PATH, processing, done)
    return Expected(files=[video])


class DocumentedError(Exception):
    """A non-zero base_resp.status_code, as the error-code page describes it."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def documented_call(session: requests.Session, method: str, url: str, **options: Any) -> dict[str, Any]:
    """One request as the reference's curl examples make it; raises DocumentedError on a non-zero status_code."""
    headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
    answer = session.request(method, url, headers=headers, timeout=10, **options).json()
    status = answer.get("base_resp") or {}
    if status.get("status_code", 0) != 0 and answer.get("status") != "Fail":
        raise DocumentedError(status["status_code"], status.get("status_msg", ""))
    return answer


def official(origin: str, tool: str, call: Call) -> Official:
    api = f"{origin}{BASE}"
    session = requests.Session()
    body: dict[str, Any] = {"model": call.model, "prompt": call.prompt}
    try:
        if tool == "text2image":
            body.update({"aspect_ratio": call.size, "response_format": "url", "n": call.n, "seed": call.seed})
            body = {name: value for name, value in body.items() if value is not None}
            answer = documented_call(session, "POST", f"{api}/image_generation", json=body)
            return Official(results=list(answer["data"]["image_urls"]))
        body.update({"duration": call.duration, "resolution": call.size})
        if tool == "image2video":
            assert call.image is not None
            body["first_frame_image"] = "data:image/png;base64," + base64.b64encode(call.image).decode("ascii")
        task = documented_call(session, "POST", f"{api}/video_generation", json=body)["task_id"]
        for _ in range(MAX_STATUS_REQUESTS):
            try:
                status = documented_call(session, "GET", f"{api}/query/video_generation", params={"task_id": task})
            except DocumentedError as error:
                if error.code in (1000, 1001, 1024):  # "Please retry your requests later."
                    continue
                raise
            if status["status"] == "Fail":
                return Official(error=status["base_resp"]["status_msg"])
            if status["status"] == "Success":
                file = documented_call(session, "GET", f"{api}/files/retrieve", params={"file_id": status["file_id"]})
                return Official(results=[file["file"]["download_url"]])
    except DocumentedError as error:
        return Official(error=str(error))
    return Official(error="still Processing")
