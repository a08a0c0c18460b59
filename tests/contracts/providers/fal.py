"""fal.ai queue through the official ``fal-client`` (SyncClient.submit, then the handle's get()).

Captured with the client against the recorder (its queue host patched to the recorder):
``POST {queue}/{model}`` with ``Authorization: Key <key>``, JSON arguments -> ``{request_id, status_url,
response_url, cancel_url}``; ``GET {status_url}`` (202 ``IN_QUEUE``/``IN_PROGRESS``, then 200 ``COMPLETED``);
then ``GET {response_url}`` -> the model's output ``{images: [{url, width, height, content_type}], seed, ...}``.
 The preset (presets/fal.yml) must send the same. fal's ``image_size`` is an enum or a
{width, height} object, which the vocabulary's WxH ``size`` does not express yet: it is left out.
"""

from __future__ import annotations

from importlib.metadata import version

from contracts.harness import Call, Expected, Official, png, serve_file
from contracts.recorder import Answer, Recorder

PRESET = "fal"
TOOLS = ("text2image",)
CLIENT = f"fal-client {version('fal-client')}"
API_KEY = "3f9c0d5e-contract:0123456789abcdef"
SUBMIT_HEADERS = ("authorization",)
POLL_HEADERS = ("authorization",)
SCENARIOS = ("success",)  # what the scripted answers cover, for every tool
MODEL = "fal-ai/flux/dev"
REQUEST = "/fal-ai/flux/requests/764cabcf-b745-4b3e-ae38-1200304cf45b"


def base_path(tool: str) -> str:
    return ""


def call(tool: str) -> Call:
    return Call(model=MODEL, n=1, seed=7)


def script(recorder: Recorder, tool: str, scenario: str) -> Expected:
    base = "{origin}" + REQUEST
    handle = {"request_id": REQUEST.rsplit("/", 1)[1], "response_url": base, "status_url": base + "/status",
              "cancel_url": base + "/cancel", "queue_position": 0}  # fmt: skip
    recorder.script("POST", f"/{MODEL}", Answer(200, handle))
    in_progress = {"status": "IN_PROGRESS", "request_id": handle["request_id"], "response_url": base, "logs": None}
    done = {**in_progress, "status": "COMPLETED", "metrics": {"inference_time": 1.9}}
    recorder.script("GET", f"{REQUEST}/status", Answer(202, in_progress), Answer(200, done))
    image = png("fal")
    output = {
        "images": [
            {"url": serve_file(recorder, "fal.jpg", image), "width": 1024, "height": 768, "content_type": "image/png"}
        ],
        "seed": 7,
        "has_nsfw_concepts": [False],
        "prompt": "A red fox in fresh snow, golden hour",
    }
    recorder.script("GET", REQUEST, Answer(200, output))
    return Expected(files=[image])


def official(origin: str, tool: str, call: Call) -> Official:
    import fal_client
    import fal_client.client

    fal_client.client.QUEUE_URL_FORMAT = f"{origin}/"  # the queue host, pointed at the recorder
    client = fal_client.SyncClient(key=API_KEY)
    handle = client.submit(call.model, arguments={"prompt": call.prompt, "seed": call.seed, "num_images": call.n})
    result = handle.get()
    return Official(results=[image["url"] for image in result["images"]])
