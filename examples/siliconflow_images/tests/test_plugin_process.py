"""The rendered plugin run the way Dify's plugin daemon runs it: ``python -m main`` over stdin/stdout.

Strategy: one plugin process for the module (start-up costs about a second), started with INSTALL_METHOD=local in
its own process group. Each test writes one request line (the stdio format of dify_plugin 0.10,
core/server/stdio/request_reader.py) whose base_url credential points at a fresh fake provider, then reads stdout
events (JSON objects separated by blank lines) until the session's ``end``, reassembling ``blob_chunk`` messages by
id and sequence as Dify's API does. The plugin never exits on stdin EOF, so the fixture kills its process group. The
plugin reads its own settings.yaml (no quick polling here), so each async job costs the real first poll delay; what
a test expects of that schedule is derived from the loaded settings (support.scheduled_polls), and no test compares
the wall clock with a number (the plugin's real speed, alone and under load, is measured in the template
repository's benchmarks/load.py). Every rendered tool gets one run over the protocol: text2image, image_edit with a
file parameter dict as the daemon sends it, one-shot text2video, and video_submit then video_query; tools this
rendering lacks are skipped with the reason.
"""

from __future__ import annotations

import base64
import json
import math
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fake_provider import FakeProvider, Reply, Scenario, sample_jpeg
from support import (
    INPUT_JPEG,
    IS_ASYNC,
    JOB_TOOLS,
    KEY_IS_INVALID,
    PLUGIN_ROOT,
    PROVIDER_NAME,
    SETTINGS,
    TOOL_YAMLS,
    URL_RESULTS,
    dify_file,
    has_tool,
    json_view,
    menu_admits,
    parameters_of,
    requires_tool,
    scheduled_polls,
    settings_for,
    takes_image,
    tool_parameters,
)

from job_client.inputs import data_uri
from job_client.paths import find_all

STARTUP_TIMEOUT = 30.0
REQUEST_TIMEOUT = 20.0


@dataclass
class Blob:
    data: bytes
    meta: dict[str, Any]
    chunks: int
    completed_at: float  # monotonic time of the end chunk


@dataclass
class Session:
    sent_at: float
    messages: list[dict[str, Any]] = field(default_factory=list)  # stream messages other than blob chunks
    blobs: list[Blob] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)  # daemon log lines seen while the session ran


def collect_session(
    session: Session, session_id: str, next_event: Callable[[], tuple[float, dict[str, Any]]]
) -> Session:
    """The events of one session up to its ``end``, as the daemon relays them (any runtime: stdio, serverless)."""
    chunks: dict[str, list[dict[str, Any]]] = {}
    while True:
        arrived, event = next_event()
        if event.get("event") == "log":
            session.logs.append(event["data"]["message"])
        if event.get("event") != "session" or event.get("session_id") != session_id:
            continue
        kind, payload = event["data"]["type"], event["data"]["data"]
        if kind == "end":
            return session
        if kind == "error":
            session.errors.append(payload)
        elif kind == "stream" and payload.get("type") == "blob_chunk":
            PluginProcess._add_chunk(session, chunks, payload, arrived)
        elif kind == "stream":
            session.messages.append(payload)


class PluginProcess:
    """`python -m main` with pipes, as the daemon's local runtime starts it."""

    def __init__(self) -> None:
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the process; closed in kill())
        self.process = subprocess.Popen(
            [sys.executable, "-m", "main"],
            cwd=PLUGIN_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            env={**os.environ, "INSTALL_METHOD": "local"},  # overrides a developer's .env that says remote
            start_new_session=True,  # its own process group, killed as a whole at the end
        )
        self.events: queue.Queue[tuple[float, dict[str, Any]]] = queue.Queue()
        threading.Thread(target=self._read_stdout, daemon=True).start()

    def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.strip():
                try:
                    event = json.loads(line)
                except ValueError:
                    event = {"event": "not_json", "data": line.decode("utf-8", "replace")}
                self.events.put((time.monotonic(), event))
        self.events.put((time.monotonic(), {"event": "exited"}))

    def next_event(self, deadline: float) -> tuple[float, dict[str, Any]]:
        try:
            arrived, event = self.events.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            pytest.fail(f"no event from the plugin in time; stderr:\n{self.stderr_text()}")
        if event.get("event") == "exited":
            pytest.fail(f"the plugin exited ({self.process.wait()}); stderr:\n{self.stderr_text()}")
        return arrived, event

    def wait_until_ready(self) -> None:
        """The daemon treats the first heartbeat as 'ready'."""
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while self.next_event(deadline)[1].get("event") != "heartbeat":
            pass

    def request(self, data: dict[str, Any]) -> Session:
        session_id = uuid.uuid4().hex
        line = json.dumps({"session_id": session_id, "event": "request", "data": data}) + "\n"
        assert self.process.stdin is not None
        session = Session(sent_at=time.monotonic())
        self.process.stdin.write(line.encode())
        self.process.stdin.flush()
        deadline = session.sent_at + REQUEST_TIMEOUT
        return collect_session(session, session_id, lambda: self.next_event(deadline))

    @staticmethod
    def _add_chunk(
        session: Session, chunks: dict[str, list[dict[str, Any]]], payload: dict[str, Any], at: float
    ) -> None:
        """Dify's API merges chunks the same way: in sequence, up to the end chunk, checking the total length."""
        chunk = payload["message"]
        received = chunks.setdefault(chunk["id"], [])
        assert chunk["sequence"] == len(received), "blob chunks out of order"
        received.append(chunk)
        if chunk["end"]:
            data = b"".join(base64.b64decode(part["blob"]) for part in received)
            assert len(data) == chunk["total_length"]
            session.blobs.append(Blob(data, payload["meta"], len(received), at))

    def stderr_text(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read().decode("utf-8", "replace")[-3000:]

    def kill(self) -> None:
        # It never exits on stdin EOF (it busy-loops), so end the whole group it leads.
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.stderr.close()


@pytest.fixture(scope="module")
def plugin() -> Iterator[PluginProcess]:
    process = PluginProcess()
    try:
        process.wait_until_ready()
        yield process
    finally:
        process.kill()


def invoke_request(credentials: dict[str, str], tool: str = "text2image", **parameters: Any) -> dict[str, Any]:
    """An invoke_tool request with the tool's form defaults, then ``parameters`` (video_query gets only those)."""
    defaults = tool_parameters(tool) if tool != "video_query" else {}
    return {
        "type": "tool",
        "action": "invoke_tool",
        "user_id": "u",
        "provider": PROVIDER_NAME,
        "tool": tool,
        "credentials": credentials,
        "credential_type": "api-key",
        "tool_parameters": {**defaults, **parameters},
    }


def stream_types(session: Session) -> list[str]:
    return [message["type"] for message in session.messages]


def job_answered_by_the_third_status_request() -> tuple[float, int]:
    """A job length and the status requests the settings' schedule makes for it (three, for an async API).

    Three, so that the schedule's growth after first_delay (next_poll_delay) is exercised, not only first_delay.
    The job ends midway between the 2nd and 3rd scheduled status requests, leaving half a gap of margin either
    way for a busy machine; both numbers follow settings.yaml. A synchronous API answers when the job ends.
    """
    if not IS_ASYNC:
        return 3.0, 0
    polls = scheduled_polls(SETTINGS, until=0.0)
    while len(polls) < 3:
        polls = scheduled_polls(SETTINGS, until=polls[-1] + 1e-6)
    return (polls[1] + polls[2]) / 2, 3


@requires_tool("text2image")
def test_a_job_arrives_as_the_served_bytes_after_the_scheduled_status_requests(plugin: PluginProcess) -> None:
    job_seconds, status_requests = job_answered_by_the_third_status_request()
    # 50 kB: several 8 KiB chunks on the wire, so reassembly is really exercised.
    image = sample_jpeg("through the daemon protocol", min_size=50_000)
    with FakeProvider(SETTINGS, Scenario(job_seconds=job_seconds, image_bytes=image)) as fake:
        session = plugin.request(invoke_request(fake.credentials))
        kinds = [request.kind for request in fake.requests]
    assert session.errors == []
    # Polling followed the plugin's own schedule: no status request more, none less; then the one download.
    # An API with a result URL (fal) is asked once more, for the results, before the download.
    results = ["result"] if SETTINGS.submit.result_url_field else []
    assert kinds == ["submit"] + ["poll"] * status_requests + results + (["file"] if URL_RESULTS else [])
    (blob,) = session.blobs
    (job,) = fake.jobs
    assert blob.data == job.images[0]
    assert blob.chunks == math.ceil(len(blob.data) / 8192) + 1  # data chunks, then the empty end chunk
    assert blob.meta["mime_type"] == "image/jpeg" and blob.meta["filename"].endswith("-1.jpg")
    # Progress goes to the daemon's log; the tool's own output is the file, a JSON summary and one text line.
    assert [message["type"] for message in session.messages] == ["json", "text"]
    if SETTINGS.mode == "async":
        assert any(job.id in line for line in session.logs)


def test_a_failing_request_ends_with_a_session_error_carrying_the_plugins_message(plugin: PluginProcess) -> None:
    # The first job tool of this rendering: the SDK reports any tool's exception the same way.
    tool = next(tool for tool in JOB_TOOLS if has_tool(tool))
    settings = settings_for(tool)
    with FakeProvider(settings, Scenario(outcome="failed")) as fake:
        parameters = {}
        if takes_image(tool):
            parameters["image"] = dify_file(fake.add_file("cat.jpg", INPUT_JPEG), INPUT_JPEG)
        session = plugin.request(invoke_request(fake.credentials, tool, **parameters))
    assert session.blobs == [] and session.messages == []
    (error,) = session.errors
    assert error["error_type"] == ("TaskFailedError" if settings.mode == "async" else "ProviderHttpError")
    assert fake.scenario.failure_reason in error["message"]


@requires_tool("image_edit")
def test_image_edit_with_a_file_parameter_returns_the_edited_image(plugin: PluginProcess) -> None:
    settings = settings_for("image_edit")
    with FakeProvider(settings) as fake:
        url = fake.add_file("cat.jpg", INPUT_JPEG)
        # The file parameter exactly as the daemon sends it; the SDK turns it into a File before _invoke.
        session = plugin.request(invoke_request(fake.credentials, "image_edit", image=dify_file(url, INPUT_JPEG)))
    assert session.errors == []
    (blob,) = session.blobs
    (job,) = fake.jobs
    assert blob.data == job.images[0]
    assert blob.meta["mime_type"] == "image/jpeg" and blob.meta["filename"].startswith(settings.file_prefix + "-")
    assert stream_types(session) == ["json", "text"]
    inline = {"data_uri": data_uri(INPUT_JPEG, "image/jpeg"), "base64": base64.b64encode(INPUT_JPEG).decode("ascii")}
    expected = inline.get(settings.image_input.transport, url)
    field = settings.submit.body_fields["image"]
    if isinstance(field, list):  # the media type and the base64 data in two fields (Gemini's inlineData)
        (mime_type,), (data,) = (find_all(json_view(job.body), path) for path in field)
        assert f"data:{mime_type};base64,{data}" == expected
    else:
        assert find_all(json_view(job.body), field) == [expected]


@requires_tool("text2video")
def test_one_shot_text2video_returns_an_mp4_blob(plugin: PluginProcess) -> None:
    with FakeProvider(settings_for("text2video")) as fake:
        session = plugin.request(invoke_request(fake.credentials, "text2video"))
    assert session.errors == []
    (blob,) = session.blobs
    (job,) = fake.jobs
    assert blob.data == job.images[0] and blob.data[4:8] == b"ftyp"
    assert blob.meta["mime_type"] == "video/mp4" and blob.meta["filename"].endswith(f"-{job.id}-1.mp4")
    assert stream_types(session) == ["json", "text"]  # never an image message for a video


@requires_tool("text2video")
def test_video_submit_then_query_until_the_mp4_arrives(plugin: PluginProcess) -> None:
    job_seconds = 0.5
    with FakeProvider(settings_for("text2video"), Scenario(job_seconds=job_seconds)) as fake:
        submitted = plugin.request(invoke_request(fake.credentials, "video_submit"))
        (job,) = fake.jobs
        # The task id is the job's, or its status URL where the API names one (fal, Replicate).
        handle = f"{fake.base_url}/_fake/status/{job.id}" if fake.settings.submit.poll_url_field else job.id
        pending = plugin.request(invoke_request(fake.credentials, "video_query", task_id=handle))
        time.sleep(max(0.0, job.done_at - time.monotonic()))
        done = plugin.request(invoke_request(fake.credentials, "video_query", task_id=handle))
        kinds = [request.kind for request in fake.requests]
    assert submitted.errors == [] and submitted.blobs == []
    variable = submitted.messages[0]
    assert variable["type"] == "variable"
    assert (variable["message"]["variable_name"], variable["message"]["variable_value"]) == ("task_id", handle)
    assert stream_types(submitted) == ["variable", "json", "text"]
    assert pending.errors == [] and pending.blobs == []
    assert stream_types(pending) == ["variable", "json", "text"]
    assert pending.messages[0]["message"]["variable_name"] == "status"
    assert pending.messages[1]["message"]["json_object"]["done"] is False
    assert done.errors == []
    (blob,) = done.blobs
    assert blob.data == job.images[0] and blob.meta["mime_type"] == "video/mp4"
    assert stream_types(done) == ["json", "text"]
    result = ["result"] if fake.settings.submit.result_url_field else []  # fal: the results' own URL
    result += ["lookup"] * len(fake.settings.result.lookup)  # MiniMax: the file id's download URL
    assert kinds == ["submit", "poll", "poll", *result, "file"]  # submit never waits; a query, one status request


def bad_inputs(tool: str, kind: str) -> dict[str, Any]:
    """Values outside the tool YAML's limits: each number below its min (or non-integer), each select unknown."""
    bad: dict[str, Any] = {}
    for parameter in TOOL_YAMLS[tool]["parameters"]:
        name, low = parameter["name"], parameter.get("min")
        if parameter["type"] == "number" and kind == "below-min" and low is not None:
            bad[name] = float(low) - 1
        elif parameter["type"] == "number" and kind == "not-an-integer" and parameter.get("precision") == 0:
            bad[name] = float(low if low is not None else 0) + 0.5
        elif parameter["type"] == "select" and parameter.get("options"):
            bad[name] = "99999x99999" if kind == "below-min" else "abc"
    return bad


@pytest.mark.parametrize("kind", ["below-min", "not-an-integer"])
def test_inputs_outside_the_tool_yaml_are_refused_before_any_request(plugin: PluginProcess, kind: str) -> None:
    # Dify checks limits only in its form; a workflow variable arrives as it is, through this same protocol.
    tool = next(tool for tool in JOB_TOOLS if has_tool(tool))
    bad = bad_inputs(tool, kind)
    if not bad:
        pytest.skip(f"{tool} declares no parameter that can be {kind}")
    with FakeProvider(settings_for(tool)) as fake:
        parameters = dict(bad)
        if takes_image(tool):
            parameters["image"] = dify_file(fake.add_file("cat.jpg", INPUT_JPEG), INPUT_JPEG)
        session = plugin.request(invoke_request(fake.credentials, tool, **parameters))
    assert fake.requests == []
    assert session.blobs == [] and session.messages == []
    (error,) = session.errors
    assert error["error_type"] == "InvalidInputError"
    for name in bad:
        assert f"'{name}'" in error["message"]


def untaken_by_a_model(tool: str) -> list[tuple[str, str, Any]]:
    """(model, parameter, value): what this model's family does not take, read from settings.yaml's families: a
    size another family offers off this one's menu (or, with a size range, a size one multiple past its longest
    side), or a parameter another family has a field for and this one has not."""
    settings = settings_for(tool)
    shown = parameters_of(tool)
    # Not the form's own default: a pre-selected value the model does not take is fitted to it, not refused.
    default_size = shown.get("size", {}).get("default")
    cases = []
    for name, family in settings.families.items():
        model = next((model for model in settings.models.known if family.matches(model)), None)
        if model is None or "size" not in shown or "size" not in family.body_fields:
            continue
        bounds = family.size_range
        if bounds is not None and bounds.max_side:
            past = bounds.max_side + bounds.multiple
            cases.append((model, "size", f"{past}x{past}"))
        for other_name, other in settings.families.items():
            sizes = [size for size in other.sizes if size not in (*family.sizes, default_size)]
            if other_name != name and sizes and bounds is None:
                cases.append((model, "size", sizes[0]))
    for family in settings.families.values():
        model = next((model for model in settings.models.known if family.matches(model)), None)
        others = {key for other in settings.families.values() for key in other.body_fields} - family.body_fields.keys()
        for parameter in sorted(others & shown.keys()):
            declared = shown[parameter]
            if model and declared["type"] == "number":
                value = declared.get("max", declared.get("min", 1))
                if value != declared.get("default"):
                    cases.append((model, parameter, float(value)))
    return cases


def test_a_value_the_chosen_model_does_not_take_is_refused_over_the_protocol(plugin: PluginProcess) -> None:
    """Model families over the daemon protocol: what the chosen model does not take (though another model of the
    tool may) is refused before any request, and the message names the model."""
    cases = [(tool, *case) for tool in JOB_TOOLS if has_tool(tool) for case in untaken_by_a_model(tool)]
    if not cases:
        pytest.skip("every model family of this rendering takes the same parameters and any size")
    for tool, model, name, value in cases:
        with FakeProvider(settings_for(tool)) as fake:
            parameters = {"model": model, name: value}
            if takes_image(tool):
                parameters["image"] = dify_file(fake.add_file("cat.jpg", INPUT_JPEG), INPUT_JPEG)
            session = plugin.request(invoke_request(fake.credentials, tool, **parameters))
        (error,) = session.errors
        assert error["error_type"] == "InvalidInputError", (tool, model, name, value)
        assert f"'{name}'" in error["message"] and model in error["message"], error["message"]
        assert fake.requests == [], (tool, model, name, value)


def test_credential_check_over_the_protocol(plugin: PluginProcess) -> None:
    with FakeProvider(SETTINGS) as fake:
        request = {"type": "tool", "action": "validate_tool_credentials", "user_id": "u", "provider": PROVIDER_NAME}
        good = plugin.request({**request, "credentials": fake.credentials})
        wrong_key = f"{SETTINGS.api_key_prefix}wrong-key-9876543210"
        bad = plugin.request({**request, "credentials": fake.with_secret(wrong_key)})
    assert good.errors == [] and good.messages == [{"result": True}]
    (error,) = bad.errors
    assert error["error_type"] == "ToolProviderCredentialValidationError"
    assert KEY_IS_INVALID in error["message"] and wrong_key not in error["message"]
    assert [request.kind for request in fake.requests] == ["validate", "validate"]


# ── the model menu: a dynamic_parameter request, as Dify's API sends it through the daemon ─────────────────
def options_request(credentials: dict[str, str], tool: str) -> dict[str, Any]:
    """What the daemon forwards for a dynamic-select (its route /dynamic_select/fetch_parameter_options)."""
    return {
        "type": "dynamic_parameter",
        "action": "fetch_parameter_options",
        "user_id": "u",
        "provider": PROVIDER_NAME,
        "provider_action": tool,
        "credentials": credentials,
        "credential_type": "api-key",
        "parameter": "model",
    }


def model_menu_tool() -> str:
    """The first rendered job tool whose model menu is live (skips when the preset has no listing endpoint)."""
    tool = next(tool for tool in JOB_TOOLS if has_tool(tool))
    if not settings_for(tool).models.path:
        pytest.skip(f"{tool}: the preset has no model listing endpoint; the model parameter is a static select")
    return tool


def menu_of(session: Session) -> list[tuple[str, str]]:
    assert session.errors == []
    (answer,) = session.messages
    return [(option["value"], option["label"]["en_US"]) for option in answer["options"]]


def test_the_model_menu_is_the_providers_live_list(plugin: PluginProcess) -> None:
    tool = model_menu_tool()
    models = settings_for(tool).models
    new = settings_for(tool).default_model + "-2099-preview"  # in no preset
    with FakeProvider(settings_for(tool), Scenario(models=[*models.known, new, "text-embedding-v3"])) as fake:
        session = plugin.request(options_request(fake.credentials, tool))
    expected = list(models.known.items()) + ([(new, new)] if menu_admits(settings_for(tool), new) else [])
    assert menu_of(session) == expected
    assert len(fake.requests) == 1 and fake.requests[0].kind in ("validate", "models")


@pytest.mark.parametrize("failure", ["http-500", "timeout"])
def test_the_model_menu_falls_back_to_the_curated_list(plugin: PluginProcess, failure: str) -> None:
    tool = model_menu_tool()
    models = settings_for(tool).models
    # Imported here: benchmarks/load.py imports this module's harness, and dify_plugin gevent-patches its importer.
    from dify_plugin import DifyPluginEnv

    delay = 30.0  # the fake's listing answers this late, far beyond the listing's own timeout
    scenario = Scenario(models_replies=[Reply(500)]) if failure == "http-500" else Scenario(models_delay=delay)
    assert models.timeout < delay < DifyPluginEnv().MAX_REQUEST_TIMEOUT
    with FakeProvider(settings_for(tool), scenario) as fake:
        session = plugin.request(options_request(fake.credentials, tool))
    # The curated list, not the late live one: the plugin gave up after its listing timeout, inside the session.
    assert menu_of(session) == list(models.known.items())


def test_a_retired_model_fails_with_the_models_available_now(plugin: PluginProcess) -> None:
    tool = model_menu_tool()
    settings = settings_for(tool)
    retired = settings.default_model
    now = [model for model in settings.models.known if model != retired] or [retired + "-2099-preview"]
    with FakeProvider(settings, Scenario(models=now)) as fake:
        parameters = {}
        if takes_image(tool):
            parameters["image"] = dify_file(fake.add_file("cat.jpg", INPUT_JPEG), INPUT_JPEG)
        session = plugin.request(invoke_request(fake.credentials, tool, model=retired, **parameters))
    assert session.blobs == []
    (error,) = session.errors
    assert error["error_type"] == "ModelUnavailableError"
    assert f"'{retired}'" in error["message"] and f"“{retired}”" in error["message"]
    if menu_admits(settings, now[0]):
        assert "Models available now: " + now[0] in error["message"]
