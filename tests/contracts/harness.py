"""The table-driven contract harness: one driver per provider, one generic comparison.

A driver (``providers/<name>.py``) knows three things about its provider: how to make a logical call with the
official client (or, without one, how the provider's documentation makes it), which answers to script on the
recorder for each scenario, and what the plugin must return then. Everything else (rendering the plugin,
running both sides against one recorder, comparing the requests) lives here, so a new preset needs only a
driver module and an entry in ``providers.DRIVERS``.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from contracts.recorder import Answer, Recorded, Recorder

RUNNER = Path(__file__).with_name("run_plugin.py")


def png(label: str, side: int = 8) -> bytes:
    """A real PNG (Pillow), different per label, so each served file and each input is recognisable."""
    from PIL import Image

    seed = hashlib.sha256(label.encode()).digest()
    image = Image.new("RGB", (side, side), tuple(seed[:3]))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass(frozen=True)
class Call:
    """One logical call, made by both sides: the official client and the plugin."""

    model: str
    prompt: str = "A red fox in fresh snow, golden hour"
    negative_prompt: str | None = None
    size: str | None = None  # the plugin's size option (WxH, 16:9, landscape_4_3); a driver converts it for its client
    ratio: str | None = None  # an aspect ratio beside the size (Ark Seedance: resolution tier + ratio)
    camera_fixed: bool | None = None  # a switch (Dify hands a boolean over as is)
    n: int | None = None
    seed: int | None = None
    duration: int | None = None
    steps: int | None = None
    guidance: float | None = None
    mode: str | None = None  # a generation mode option, e.g. Kling's std | pro
    image: bytes | None = None

    def given(self) -> set[str]:
        """The optional parameters this call sets (the tool parameters besides model, prompt and image)."""
        names = (
            "negative_prompt",
            "size",
            "ratio",
            "n",
            "seed",
            "duration",
            "steps",
            "guidance",
            "camera_fixed",
            "mode",
        )
        return {name for name in names if getattr(self, name) is not None}

    def dify_parameters(self) -> dict[str, Any]:
        """The parameters as Dify hands them to the tool: numbers as floats, options as text, the image added later."""
        parameters: dict[str, Any] = {"model": self.model, "prompt": self.prompt}
        for name in ("negative_prompt", "size", "ratio", "camera_fixed", "mode"):
            if getattr(self, name) is not None:
                parameters[name] = getattr(self, name)
        if self.duration is not None:  # a select: Dify hands its option over as text ("5")
            parameters["duration"] = str(self.duration)
        for name in ("n", "seed", "steps", "guidance"):
            if getattr(self, name) is not None:
                parameters[name] = float(getattr(self, name))
        return parameters


@dataclass(frozen=True)
class Expected:
    """What the plugin must do with the scripted answers."""

    files: list[bytes] = field(default_factory=list)  # exact bytes, in order
    error: str | None = None  # the provider's message, which the plugin's error must contain
    failures: list[str] = field(default_factory=list)  # provider messages of failed result items


@dataclass(frozen=True)
class Official:
    """What the official client made of the same answers."""

    results: list[str] = field(default_factory=list)  # result URLs, or base64 strings
    error: str | None = None  # the provider's message as the client reports it


class Driver(Protocol):
    PRESET: str
    TOOLS: tuple[str, ...]
    CLIENT: str  # "<package> <version>", or the documentation URL the golden requests follow
    API_KEY: str
    SUBMIT_HEADERS: tuple[str, ...]  # header names (lower case) whose values must agree on a submit
    POLL_HEADERS: tuple[str, ...]  # the same for status requests

    SCENARIOS: tuple[str, ...]  # what its scripted answers cover: success, http_error, task_failed, partial

    def base_path(self, tool: str) -> str: ...
    def call(self, tool: str) -> Call: ...
    def script(self, recorder: Recorder, tool: str, scenario: str) -> Expected: ...
    def official(self, origin: str, tool: str, call: Call) -> Official: ...


# Optional driver hooks, with the answer most providers give.
def family_calls(driver: Any, tool: str) -> dict[str, Call]:
    """``driver.family_calls(tool)``: one call per model family of the tool (settings ``families``), each with a
    model of that family, every optional parameter it takes and a size other than its default; the success
    scenario runs once per family. Without the hook: the driver's one ``call(tool)``."""
    hook = getattr(driver, "family_calls", None)
    return hook(tool) if hook else {"": driver.call(tool)}


def scenarios(driver: Any, tool: str) -> tuple[str, ...]:
    """``driver.scenarios(tool)`` when the scenarios differ per tool, else ``driver.SCENARIOS``."""
    per_tool = getattr(driver, "scenarios", None)
    return per_tool(tool) if per_tool else driver.SCENARIOS


def sdk_only(driver: Any, tool: str) -> dict[str, str]:
    """Body fields the official client adds on its own (field -> why), left out of the comparison."""
    hook = getattr(driver, "sdk_only", None)
    return hook(tool) if hook else {}


def request_target(driver: Any, call: Recorded) -> str:
    """Where a status or lookup request went: its path, and its query string when ``driver.QUERY_MATTERS`` (the
    task or file id travels there, as MiniMax's ``?task_id=``); other clients add queries of their own (fal's
    ``?logs=false``), which are not part of the contract."""
    if not getattr(driver, "QUERY_MATTERS", False) or not call.query:
        return call.path
    return call.path + "?" + "&".join(f"{name}={value}" for name in sorted(call.query) for value in call.query[name])


def verify_request(driver: Any, call: Recorded) -> None:
    """``driver.verify_request(call)``: what a request must carry beyond agreeing with the official one (e.g. a
    signed token that is valid for the driver's keys, which differs per request); nothing without the hook."""
    hook = getattr(driver, "verify_request", None)
    if hook:
        hook(call)


def credentials(driver: Any) -> str | dict[str, str]:
    """``driver.CREDENTIALS`` (the fields a signed-token API asks for, by name), else its one ``API_KEY``."""
    return getattr(driver, "CREDENTIALS", None) or driver.API_KEY


def known_gap(driver: Any, tool: str, settings: dict[str, Any]) -> str | None:
    """Why today's preset data cannot meet the contract (the case is then a strict xfail), else None."""
    hook = getattr(driver, "known_gap", None)
    return hook(tool, settings) if hook else None


def input_url(image: bytes) -> str:
    """The input image's Dify file URL (an API that takes only URLs gets it as it is: image_input transport url)."""
    return f"https://dify.example.com/files/{hashlib.sha256(image).hexdigest()[:16]}/file-preview"


def credential_check(driver: Any) -> Any:
    """``driver.credential_check(recorder, origin)``: scripts the answer to the API's cheap authenticated request and
    makes it with the official client (e.g. Runway's organization.retrieve); None when the driver has no such
    hook."""
    return getattr(driver, "credential_check", None)


def run_plugin(
    root: Path,
    tool: str,
    api_key: str | dict[str, str],
    base_url: str,
    call: Call,
    *,
    check_credentials: bool = False,
) -> dict[str, Any]:
    request = {"tool": tool, "api_key": api_key, "base_url": base_url, "parameters": call.dify_parameters()}
    if check_credentials:
        request["check_credentials"] = True
    if call.image is not None:
        request["image_b64"] = base64.b64encode(call.image).decode("ascii")
        request["image_url"] = input_url(call.image)
    done = subprocess.run(
        [sys.executable, str(RUNNER), str(root), json.dumps(request)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def flatten(document: Any, prefix: str = "") -> dict[str, Any]:
    """{dotted path: leaf value} of a JSON body; list items are indexed (``images[0]``)."""
    if isinstance(document, dict):
        flat: dict[str, Any] = {}
        for key, value in document.items():
            flat.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(document, list):
        flat = {}
        for index, value in enumerate(document):
            flat.update(flatten(value, f"{prefix}[{index}]"))
        return flat
    return {prefix: document}


def body_view(call: Recorded) -> dict[str, tuple[str, Any]]:
    """The request body as {field: (type, value)}: JSON leaves, or multipart text fields and file parts.

    A file part is compared by its content type and bytes (the file name is the client's own choice).
    """
    if call.content_type == "multipart/form-data":
        view: dict[str, tuple[str, Any]] = {}
        for part in call.body:
            if part.filename is None:
                view[part.name] = ("text", part.data.decode("utf-8"))
            else:
                view[part.name] = ("file", (part.content_type, hashlib.sha256(part.data).hexdigest()))
        return view
    if isinstance(call.body, bytes):
        return {"": ("bytes", call.body)} if call.body else {}
    return {path: (type(value).__name__, value) for path, value in flatten(call.body).items()}


def serve_file(recorder: Recorder, name: str, data: bytes, content_type: str = "image/png") -> str:
    """Serve ``data`` at /files/<name> (a CDN link in a result); returns the URL template with {origin}."""
    recorder.script("GET", f"/files/{name}", Answer(200, data, {"Content-Type": content_type}))
    return "{origin}/files/" + name
