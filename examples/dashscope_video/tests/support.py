"""What the tests need to know about this rendering, read from the plugin's own files so any preset passes.

Tests adapt to the settings (async or sync, URL or base64 results, image or video results) and to the tools
this rendering has: the tools are the ones provider/<name>.yaml lists, exactly as Dify discovers them. Cases
that cannot apply to this rendering (a tool that was not chosen, a task in a synchronous API...) are skipped
with a reason instead of silently passing.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import importlib
import inspect
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from fake_provider import FakeProvider, guess_media, sample_jpeg, sample_mp4

from job_client.inputs import data_uri
from job_client.kinds import job_tools, settings_section
from job_client.settings import Settings, load_settings

PLUGIN_ROOT = Path(__file__).resolve().parents[1]
# The top-level settings: the provider's credential check and the text-to-image tool use them. They exist in
# every rendering, with or without the text2image tool.
SETTINGS: Settings = load_settings()
# What the plugin's messages call the credentials (settings auth): one API key, or e.g. an access key and a secret
# key that sign a token.
KEY_WORDS = " and ".join(
    "API key" if name == "api_key" else name.replace("_", " ").title() for name in SETTINGS.auth.fields
)
KEY_IS_INVALID = f"{KEY_WORDS} {'is' if len(SETTINGS.auth.fields) == 1 else 'are'} invalid"
IS_ASYNC = SETTINGS.mode == "async"
URL_RESULTS = SETTINGS.result.kind == "url"
PROMPT = "A red fox in fresh snow, golden hour"
# How the plugin names a rejected key: HTTP 401, or, for an API with its errors inside HTTP 200 answers (settings
# error_code, MiniMax), the provider's code that settings.yaml maps to 401.
KEY_CODES = SETTINGS.error_code.status if SETTINGS.error_code else {}
REFUSED_KEY = next((f"error code {code}" for code, status in KEY_CODES.items() if status == 401), "HTTP 401")
# The start_fake fixture: start_fake(job_seconds=1, outcome="failed") or start_fake(Scenario(...), settings=...).
StartFake = Callable[..., FakeProvider]


def _yaml(relative: str) -> Any:
    with (PLUGIN_ROOT / relative).open(encoding="utf-8") as stream:
        return yaml.safe_load(stream)


MANIFEST = _yaml("manifest.yaml")
PROVIDER_YAML = _yaml(MANIFEST["plugins"]["tools"][0])
PROVIDER_NAME: str = PROVIDER_YAML["identity"]["name"]
# Every tool of this rendering, by identity name, in the provider's order.
TOOL_YAMLS: dict[str, Any] = {tool["identity"]["name"]: tool for tool in map(_yaml, PROVIDER_YAML["tools"])}
RENDERED_TOOLS: tuple[str, ...] = tuple(TOOL_YAMLS)
# Tools that start a generation job; each reads its own settings section (tools.<name> over the top level).
JOB_TOOLS = job_tools()

# The text-to-image tool: its parameters are {} when this rendering has no text2image tool.
TOOL_NAME = "text2image"


def has_tool(name: str) -> bool:
    return name in TOOL_YAMLS


def requires_tool(name: str) -> pytest.MarkDecorator:
    """Skip unless this rendering has the tool (the `tools` answer decides which tool files exist)."""
    return pytest.mark.skipif(
        not has_tool(name), reason=f"this rendering has no {name} tool (it has {', '.join(RENDERED_TOOLS)})"
    )


def parameters_of(tool: str) -> dict[str, dict[str, Any]]:
    """The tool's declared parameters by name ({} when the tool is not rendered)."""
    return {parameter["name"]: parameter for parameter in TOOL_YAMLS.get(tool, {}).get("parameters", [])}


def takes_image(tool: str) -> bool:
    """Whether the tool's form declares an input image file."""
    return parameters_of(tool).get("image", {}).get("type") == "file"


TOOL_PARAMETERS: dict[str, dict[str, Any]] = parameters_of(TOOL_NAME)


@functools.cache
def settings_for(tool: str) -> Settings:
    """The settings a tool's glue loads: ``load_settings(tool=...)`` for its section."""
    return load_settings(tool=settings_section(tool))


def menu_admits(settings: Settings, model: str) -> bool:
    """Whether the live menu offers a listed id the curated list does not name: one a model family (or, without
    families, an id pattern of models.match) covers."""
    patterns = [pattern for family in settings.families.values() for pattern in family.match]
    return any(re.fullmatch(pattern, model) for pattern in patterns or settings.models.match)


def quick(settings: Settings) -> Settings:
    """The same API, polled every 0.1 s so that async cases take milliseconds; polling timing is tested apart."""
    return dataclasses.replace(settings, poll=dataclasses.replace(settings.poll, first_delay=0.05, interval=0.1))


class VirtualClock:
    """A clock and a sleep for JobClient and FakeProvider: sleeping advances the clock at once, and is recorded.

    Shared by a client and its fake, it replays a whole poll schedule (minutes of max_wait) in milliseconds, and
    makes every time the test checks exact: no test compares the wall clock against a number.
    """

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


# The documented polling rule (docs/plugin.md, "Adaptive polling"), written here and not read from the client:
# the first status request after first_delay (at most interval), then gaps of 10 % of the time waited so far,
# never shorter than SHORTEST_GAP (or interval, if that is shorter) and never longer than interval.
SHARE_OF_TIME_WAITED = 0.10
SHORTEST_GAP = 1.75


def documented_gap(settings: Settings, waited: float) -> float:
    """The gap the documented rule gives after ``waited`` seconds."""
    interval = settings.poll.interval
    return min(interval, max(min(SHORTEST_GAP, interval), SHARE_OF_TIME_WAITED * waited))


def scheduled_polls(settings: Settings, until: float) -> list[float]:
    """When the documented rule sends status requests, in seconds after the submit (zero latency), up to and
    including the first at or after ``until``. Tests derive their expectations from it, never from today's
    defaults, so they keep passing when someone edits first_delay, interval or max_wait in settings.yaml; the
    rule itself is pinned by a literal table of instants in test_policies.py.
    """
    polls = [min(settings.poll.first_delay, settings.poll.interval)]
    while polls[-1] < until:
        polls.append(polls[-1] + documented_gap(settings, polls[-1]))
    return polls


requires_async = pytest.mark.skipif(not IS_ASYNC, reason="synchronous API: there is no task id or status request")


def requires_tool_parameter(name: str, tool: str = TOOL_NAME) -> pytest.MarkDecorator:
    return pytest.mark.skipif(
        name not in parameters_of(tool), reason=f"this rendering's {tool} tool has no '{name}' parameter"
    )


def tool_parameters(tool: str, **overrides: Any) -> dict[str, Any]:
    """A tool's parameters as Dify sends them: form defaults filled in, numbers as floats, plus the prompt."""
    parameters: dict[str, Any] = {"prompt": PROMPT}
    for name, parameter in parameters_of(tool).items():
        default = parameter.get("default")
        if name != "prompt" and default is not None:
            parameters[name] = float(default) if parameter["type"] == "number" else default
    parameters.update(overrides)
    return parameters


def dify_parameters(**overrides: Any) -> dict[str, Any]:
    """The text-to-image tool's parameters as Dify sends them."""
    return tool_parameters(TOOL_NAME, **overrides)


# ── input files for the image-edit tool ────────────────────────────────────────
# A real 16x16 JPEG: what a user uploads in the simplest case (the fake's own sample, so no Pillow is needed).
INPUT_JPEG = sample_jpeg("an input image uploaded to Dify")


def dify_file(url: str, data: bytes, filename: str = "input.jpg", mime_type: str | None = "image/jpeg") -> dict:
    """A file parameter as the daemon sends it; Tool.invoke turns it into a File (dify_plugin 0.10, interfaces/tool)."""
    file: dict[str, Any] = {
        "dify_model_identity": "__dify__file__",
        "url": url,
        "type": "image",
        "filename": filename,
        "extension": "." + filename.rsplit(".", 1)[-1],
        "size": len(data),
    }
    if mime_type is not None:
        file["mime_type"] = mime_type
    return file


# ── one kind of job: a tool's settings and parameters, for tests parametrized over the rendered tools ─────
@dataclass(frozen=True)
class JobKind:
    """A job tool of this rendering: its settings as rendered and the parameters a job sends."""

    tool: str

    @property
    def settings(self) -> Settings:
        return settings_for(self.tool)

    @property
    def quick(self) -> Settings:
        return quick(self.settings)

    @property
    def is_async(self) -> bool:
        return self.settings.mode == "async"

    @property
    def url_results(self) -> bool:
        return self.settings.result.kind == "url"

    @property
    def media(self) -> str:
        return guess_media(self.settings)

    @property
    def mime_type(self) -> str:
        """What the fake's samples are, so what the client must report."""
        return "video/mp4" if self.media == "video" else "image/jpeg"

    @property
    def extension(self) -> str:
        return "mp4" if self.media == "video" else "jpg"

    def sample(self, label: str = "", min_size: int = 0) -> bytes:
        return (sample_mp4 if self.media == "video" else sample_jpeg)(label, min_size)

    def parameters(self, **overrides: Any) -> dict[str, Any]:
        """Parameters for JobClient.generate: the tool's defaults, plus an inline input image for editing."""
        if "image" in self.settings.submit.body_fields:
            overrides.setdefault("image", data_uri(INPUT_JPEG, "image/jpeg"))
        return tool_parameters(self.tool, **overrides)

    def skip_if_timed_elsewhere(self) -> None:
        """Real-clock timing runs once per API mode: skip it when an earlier rendered tool has this tool's mode.

        The timing code is shared; what differs per tool (its poll settings) is checked on a virtual clock.
        """
        for tool in JOB_TOOLS[: JOB_TOOLS.index(self.tool)]:
            if has_tool(tool) and settings_for(tool).mode == self.settings.mode:
                pytest.skip(
                    f"{self.tool}: real-clock timing of a {self.settings.mode} API runs with {tool}; "
                    "this tool's own schedule is checked on a virtual clock"
                )

    def skip_unless_async(self) -> None:
        if not self.is_async:
            pytest.skip(f"{self.tool}: synchronous API: there is no task id or status request")

    def skip_unless_url_results(self) -> None:
        if not self.url_results:
            pytest.skip(f"{self.tool}: base64 results: there is no result URL")


# The job tools this rendering has: a tool that was not chosen has no files, so it has no cases either.
JOB_KIND_PARAMS = [pytest.param(JobKind(tool), id=tool) for tool in JOB_TOOLS if has_tool(tool)]


def provider_class() -> type:
    """The rendering's ToolProvider subclass, found from provider/<name>.yaml like the SDK does."""
    from dify_plugin import ToolProvider

    source = PROVIDER_YAML["extra"]["python"]["source"]
    module = importlib.import_module(source.removesuffix(".py").replace("/", "."))
    classes = [cls for _, cls in inspect.getmembers(module, inspect.isclass) if cls.__module__ == module.__name__]
    return next(cls for cls in classes if issubclass(cls, ToolProvider))


def tool_module_name(tool: str) -> str:
    """The module the tool YAML names as its source (``tools/text2image.py`` -> ``tools.text2image``)."""
    return TOOL_YAMLS[tool]["extra"]["python"]["source"].removesuffix(".py").replace("/", ".")


def tool_class(tool: str) -> type:
    """The tool's single Tool subclass, found the way Dify's loader finds it (imported only when asked)."""
    from dify_plugin import Tool

    module = importlib.import_module(tool_module_name(tool))
    (found,) = [
        value
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, Tool) and value.__module__ == module.__name__
    ]
    return found


def closed_port_url() -> str:
    """A loopback URL where nothing listens, so connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def json_view(body: Any) -> Any:
    """A recorded request body as the JSON an API would get: a multipart form's file part as the data URI the
    client made it from, and its numeric text parts as numbers (a form carries everything as text)."""
    if not isinstance(body, dict):
        return body
    view: dict[str, Any] = {}
    for name, value in body.items():
        if isinstance(value, dict) and {"content_type", "data"} <= set(value):
            value = f"data:{value['content_type']};base64," + base64.b64encode(value["data"]).decode("ascii")
        elif isinstance(value, str) and re.fullmatch(r"-?\d+", value):
            value = int(value)
        view[name] = value
    return view
