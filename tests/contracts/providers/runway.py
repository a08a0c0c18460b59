"""Runway text-to-image and image-to-video through the official ``runwayml`` client (RunwayML).

Captured with runwayml 5.24.0 against the recorder (its base URL is the host, ``https://api.dev.runwayml.com``; its
paths start with ``/v1``): every request carries ``Authorization: Bearer <key>`` and ``X-Runway-Version:
2024-11-06`` (the client's default ``runway_version``, RunwayML.default_headers).

- ``text_to_image.create(model, prompt_text, ratio, seed)`` sends ``POST /v1/text_to_image`` with JSON
  ``{model, promptText, ratio, seed}``; ``image_to_video.create(model, prompt_image, prompt_text, ratio, duration,
  seed, negative_prompt)`` sends ``POST /v1/image_to_video`` with ``{model, promptImage, promptText, ratio,
  duration, seed, negativePrompt}`` (the aliases of types/*_create_params.py). Both answer NewTaskCreatedResponse
  ``{id}``.
- ``tasks.retrieve(id)`` sends ``GET /v1/tasks/{id}``; its answer (types/task_retrieve_response.py) is
  discriminated by ``status``: PENDING, THROTTLED, RUNNING (``progress``), SUCCEEDED (``output``: URLs),
  FAILED (``failure``, ``failureCode``: https://docs.dev.runwayml.com/errors/task-failures/), CANCELLED. The
  client's own wait_for_task_output sleeps between requests; the driver asks tasks.retrieve in a loop instead.

Failures: an HTTP error is raised as APIStatusError carrying the answer's body. The body's shape ``{"error":
text}`` is what Runway's API answers; no documentation page giving it could be read offline (not verified), so
the driver reads the message from the body the client kept. task_failed: FAILED with failure "An unexpected
error occurred." and failureCode INTERNAL.BAD_OUTPUT.CODE01; status_500: one HTTP 500 on a status request, which
the client itself retries (max_retries 2), as the plugin does.

Families: text2image gen4_image (16 ratios, seed) and gemini_2.5_flash (10 ratios, no seed); image2video
gen4_turbo and gen4.5 (6 ratios; duration; seed), veo3.1 and veo3.1_fast (4 ratios, 4/6/8 s, seed,
negativePrompt). presets/runway.yml cites them.
"""

from __future__ import annotations

import base64
from typing import Any

import runwayml
from runwayml import RunwayML

from contracts.harness import Call, Expected, Official, png, serve_file
from contracts.recorder import Answer, Recorder

PRESET = "runway"
TOOLS = ("text2image", "image2video")
CLIENT = f"runwayml {runwayml.__version__}"
API_KEY = "key_contract0123456789abcdef"
SUBMIT_HEADERS = ("authorization", "x-runway-version")
POLL_HEADERS = ("authorization", "x-runway-version")
SCENARIOS = ("success", "bad_key", "http_error", "task_failed", "status_500")
SUBMIT_PATHS = {"text2image": "/v1/text_to_image", "image2video": "/v1/image_to_video"}
TASK = "17f20503-6c24-4c16-946b-35dbbce2af2f"
TASK_PATH = f"/v1/tasks/{TASK}"
BAD_KEY = "Invalid API key"
BAD_RATIO = "Validation of body failed: ratio is invalid"
FAILURE = "An unexpected error occurred."
FAILURE_CODE = "INTERNAL.BAD_OUTPUT.CODE01"
INTERNAL_ERROR = "Internal server error"
I2V_PROMPT = "The fox turns its head and trots away"
# An MP4's first box, so the plugin's type sniffing sees a video.
MP4 = bytes.fromhex("0000001866747970") + b"isom\x00\x00\x02\x00isomavc1" + b"\x00\x00\x00\x08mdat"
# A caller's patience in status requests; the scripted answers end well before it.
MAX_STATUS_REQUESTS = 10


def base_path(tool: str) -> str:
    return "/v1"


def family_calls(tool: str) -> dict[str, Call]:
    if tool == "image2video":
        image = png("runway i2v input")
        return {
            "gen4-turbo": Call(
                model="gen4_turbo", prompt=I2V_PROMPT, size="720:1280", duration=10, seed=7, image=image
            ),
            "gen45": Call(model="gen4.5", prompt=I2V_PROMPT, size="960:960", duration=7, seed=7, image=image),
            "veo31": Call(
                model="veo3.1_fast", prompt=I2V_PROMPT, size="1080:1920", duration=6, seed=7,
                negative_prompt="blurry", image=image,
            ),
        }  # fmt: skip
    return {
        "gen4-image": Call(model="gen4_image", size="1080:1440", seed=7),
        "gemini-flash-image": Call(model="gemini_2.5_flash", size="768:1344"),
    }


def call(tool: str) -> Call:
    """The failure scenarios' call: the tool's default model with its family's first size."""
    if tool == "image2video":
        return Call(model="gen4_turbo", prompt=I2V_PROMPT, size="1280:720", duration=5, image=png("runway i2v input"))
    return Call(model="gen4_image", size="1920:1080")


def scenarios(tool: str) -> tuple[str, ...]:
    return SCENARIOS


def task(status: str, **fields: Any) -> Answer:
    """A task as GET /v1/tasks/{id} answers it (types/task_retrieve_response.py)."""
    answer = {"id": TASK, "createdAt": "2026-12-06T03:00:00.000Z", "status": status, **fields}
    return Answer(200, answer)


def script(recorder: Recorder, tool: str, scenario: str) -> Expected:
    path = SUBMIT_PATHS[tool]
    if scenario == "bad_key":
        recorder.script("POST", path, Answer(401, {"error": BAD_KEY}))
        return Expected(error=BAD_KEY)
    if scenario == "http_error":
        recorder.script("POST", path, Answer(400, {"error": BAD_RATIO}))
        return Expected(error=BAD_RATIO)
    recorder.script("POST", path, Answer(200, {"id": TASK}))
    running = task("RUNNING", progress=0.4, estimatedCost={"credits": 5})
    if scenario == "task_failed":
        failed = task("FAILED", failure=FAILURE, failureCode=FAILURE_CODE, cost={"credits": 0})
        recorder.script("GET", TASK_PATH, running, failed)
        return Expected(error=FAILURE)
    if tool == "image2video":
        data, name, kind = MP4 + b"runway video", "r.mp4", "video/mp4"
    else:
        data, name, kind = png("runway image"), "r.png", "image/png"
    done = task("SUCCEEDED", output=[serve_file(recorder, name, data, kind)], cost={"credits": 5})
    if scenario == "status_500":
        recorder.script("GET", TASK_PATH, Answer(500, {"error": INTERNAL_ERROR}), done)
    else:
        recorder.script("GET", TASK_PATH, running, done)
    return Expected(files=[data])


def credential_check(recorder: Recorder, origin: str | None) -> None:
    """The preset's validate_path is the client's organization.retrieve (GET /v1/organization): script its answer
    (types/organization_retrieve_response.py) and, given the recorder's origin, make the client's request."""
    organization = {
        "creditBalance": 1200,
        "tier": {"maxMonthlyCreditSpend": 10000, "models": {"gen4_turbo": {"maxConcurrentGenerations": 2}}},
        "usage": {"models": {"gen4_turbo": {"dailyGenerations": 3}}},
    }
    recorder.script("GET", "/v1/organization", Answer(200, organization))
    if origin is not None:
        account = RunwayML(api_key=API_KEY, base_url=origin, max_retries=0).organization.retrieve()
        assert account.credit_balance == 1200


def given(**values: Any) -> dict[str, Any]:
    """Keyword arguments for the client: a value not given is left out (the client's ``omit``)."""
    return {name: value for name, value in values.items() if value is not None}


def official(origin: str, tool: str, call: Call) -> Official:
    # max_retries=1: enough for the client to retry the scripted 500 itself, without a second backoff sleep.
    client = RunwayML(api_key=API_KEY, base_url=origin, max_retries=1)
    try:
        if tool == "image2video":
            # The plugin sends the image inline (image_input's default, data_uri); the client passes it as given.
            assert call.image is not None
            image = "data:image/png;base64," + base64.b64encode(call.image).decode("ascii")
            created = client.image_to_video.create(  # type: ignore[call-overload]
                **given(
                    model=call.model, prompt_image=image, prompt_text=call.prompt, ratio=call.size,
                    duration=call.duration, seed=call.seed, negative_prompt=call.negative_prompt,
                )
            )  # fmt: skip
        else:
            created = client.text_to_image.create(  # type: ignore[call-overload]
                **given(model=call.model, prompt_text=call.prompt, ratio=call.size, seed=call.seed)
            )
        for _ in range(MAX_STATUS_REQUESTS):
            found = client.tasks.retrieve(created.id)
            if found.status == "SUCCEEDED":
                return Official(results=list(found.output))
            if found.status in ("FAILED", "CANCELLED"):
                return Official(error=getattr(found, "failure", found.status))
    except runwayml.APIStatusError as error:
        body = error.body if isinstance(error.body, dict) else {}
        return Official(error=str(body.get("error") or error.message))
    return Official(error="still RUNNING")
