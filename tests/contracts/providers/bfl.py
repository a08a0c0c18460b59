"""Black Forest Labs (FLUX API) through the official ``blackforest`` client (BFLClient.generate, then its polling).

blackforest 0.1.3 (PyPI, "The official Python library for the Black Forest Labs API"), read and run against the
recorder: ``BFLClient(api_key, base_url=<host root>)`` joins ``v1/<model>`` to the host (a path in base_url is
dropped, so the recorder serves ``/v1/<model>`` at its root) and sends ``POST /v1/{model}`` with ``X-Key: <key>``
and its pydantic input model as JSON, its own defaults included (``sdk_only``); the answer ``{id, polling_url}``;
then ``GET {polling_url}`` as given, with ``X-Key``, until a terminal ``status`` (``Ready``: ``result.sample`` is a
signed URL). Documentation: https://docs.bfl.ai/api-reference/models/generate-an-image-with-flux-11-[pro] (width and
height 256-1440, multiples of 32) and https://docs.bfl.ai/api-reference/utility/get-result.md (422 is FastAPI's
HTTPValidationError).

Where the client and the plugin part (each expected outcome is the plugin's documented behaviour):
- Errors: the client reports only a body's ``message``; BFL answers FastAPI's ``detail``, so the driver reads the
  ``detail`` of the HTTP response the client's BFLError was raised from (``__cause__.response``).
- task_failed: no status ends both. The client ends only on ``Ready``, ``completed`` or ``failed``; BFL's failed
  statuses (``Error``, ``Request Moderated``, ``Content Moderated``, ``Task not found``: get-result.md names their
  schema, StatusResponse, but the stored copy is cut off before the values, so these are the ones every client we
  read handles) are not terminal to it: it polls on until max_retries, then raises "Polling exceeded maximum
  retries". The driver asserts that, then reads the status with get_task_status; the plugin stops at the first
  such status (poll.failure) and reports it, as the documentation's "poll until Ready" implies for a task that
  cannot become Ready.
- status_500: the client does not retry a status request: a 500 raises BFLError at once (asserted). The driver
  polls again with get_polling_result, as a caller would; the plugin retries a 500 on a status request itself.
Response bodies not in BFL's documentation: the 403 is the one users report (github.com/gelasdev/ComfyUI-FLUX-BFL-API
issue 16); the moderated status body is a logged real answer (third-party); the 500 body is Starlette's default.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

from contracts.harness import Call, Expected, Official, png, serve_file
from contracts.recorder import Answer, Recorder

PRESET = "bfl"
TOOLS = ("text2image",)
CLIENT = f"blackforest {version('blackforest')}"
API_KEY = "bfl-contract-0123456789"
SUBMIT_HEADERS = ("x-key",)
POLL_HEADERS = ("x-key",)
SCENARIOS = ("success", "bad_key", "http_error", "task_failed", "status_500")
TASK = "a3b1c2d4-contract"
POLL = "/v1/get_result"
BAD_KEY = "Not authenticated - Invalid Authentication"
TOO_WIDE = "Input should be less than or equal to 1440"
MODERATED = "Request Moderated"
# What the last script() set up: official() checks the client's own behaviour on it (module docstring).
_scripted: dict[str, str] = {}


def base_path(tool: str) -> str:
    return "/v1"


def family_calls(tool: str) -> dict[str, Call]:
    return {
        "flux-pro-1.1": Call(model="flux-pro-1.1", size="1024x1024", seed=7),
        "flux-dev": Call(model="flux-dev", size="768x1344", seed=7, steps=28, guidance=3.5),
    }


def call(tool: str) -> Call:
    return family_calls(tool)["flux-pro-1.1"]


def sdk_only(tool: str) -> dict[str, str]:
    # The client's input models send their defaults (model_dump(exclude_none=True)); the API has the same defaults.
    return {
        "safety_tolerance": "blackforest default 2 (the API's default, 0 strictest .. 6)",
        "output_format": "blackforest default jpeg (the API's default)",
        "prompt_upsampling": "blackforest default false (the API's default)",
    }


def script(recorder: Recorder, tool: str, scenario: str) -> Expected:
    _scripted["scenario"] = scenario
    submit = "/v1/flux-[a-z0-9.-]+"
    if scenario == "bad_key":
        recorder.script("POST", submit, Answer(403, {"detail": BAD_KEY}))
        return Expected(error=BAD_KEY)
    if scenario == "http_error":
        invalid = {"loc": ["body", "width"], "msg": TOO_WIDE, "type": "less_than_equal", "input": 2048,
                   "ctx": {"le": 1440}}  # fmt: skip
        recorder.script("POST", submit, Answer(422, {"detail": [invalid]}))
        return Expected(error=TOO_WIDE)
    polling_url = "{origin}" + POLL + "?id=" + TASK
    recorder.script("POST", submit, Answer(200, {"id": TASK, "polling_url": polling_url}))
    pending = Answer(200, {"id": TASK, "status": "Pending", "result": None, "progress": 0.4})
    if scenario == "task_failed":
        moderated = {"id": TASK, "status": MODERATED, "result": None, "progress": None,
                     "details": {"Moderation Reasons": ["Protected Content"]}}  # fmt: skip
        recorder.script("GET", POLL, pending, Answer(200, moderated))
        return Expected(error=MODERATED)
    image = png("bfl")
    ready = {"id": TASK, "status": "Ready", "result": {"sample": serve_file(recorder, "sample.jpg", image), "seed": 7}}
    if scenario == "status_500":
        recorder.script("GET", POLL, pending, Answer(500, "Internal Server Error"), Answer(200, ready))
    else:
        recorder.script("GET", POLL, pending, Answer(200, ready))
    return Expected(files=[image])


def _reason(error: Exception) -> str:
    """The client's message, plus the ``detail`` of the HTTP answer it was raised from (it reads ``message`` only)."""
    response = getattr(error.__cause__, "response", None)
    detail: Any = None
    if response is not None:
        try:
            detail = response.json().get("detail")
        except ValueError:
            detail = response.text
    return f"{error} (detail: {detail})"


def official(origin: str, tool: str, call: Call) -> Official:
    from blackforest import BFLClient
    from blackforest.client import BFLError
    from blackforest.types.general.client_config import ClientConfig

    client = BFLClient(api_key=API_KEY, base_url=origin)
    inputs: dict[str, Any] = {"prompt": call.prompt, "seed": call.seed, "steps": call.steps, "guidance": call.guidance}
    if call.size:
        width, height = call.size.split("x")
        inputs.update(width=int(width), height=int(height))
    try:
        given = {name: value for name, value in inputs.items() if value is not None}
        submitted = client.generate(call.model, given, ClientConfig(sync=False))  # sync: BFL_ENV=dev would poll
    except BFLError as error:
        return Official(error=_reason(error))
    polling = ClientConfig(polling_interval=0.1, max_retries=3)
    scenario = _scripted.get("scenario")
    try:
        result = client.get_polling_result(submitted.id, polling)
    except BFLError as error:
        if scenario == "task_failed":
            assert "exceeded maximum retries" in str(error), error  # the failed status is not terminal to it
            return Official(error=f"{client.get_task_status(submitted.id).status} (the client: {error})")
        assert scenario == "status_500" and "API request failed" in str(error), error  # no retry on a 500
        result = client.get_polling_result(submitted.id, polling)
    else:
        assert scenario not in ("task_failed", "status_500"), f"blackforest now handles {scenario}: see the docstring"
    return Official(results=[result["sample"]])
