"""The rendered plugin run the way Dify's plugin daemon runs it: ``python -m main`` over stdin/stdout.

Strategy: one plugin process for the module (start-up costs about a second), started with INSTALL_METHOD=local
in its own process group. Each test writes one request line (dify-sdk notes §3.2) whose base_url credential
points at a fresh fake provider, then reads stdout events (JSON objects separated by blank lines) until the
session's ``end``, reassembling ``blob_chunk`` messages by id and sequence as Dify's API does. The plugin never
exits on stdin EOF, so the fixture kills its process group.
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
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fake_provider import FakeProvider, Scenario, sample_jpeg
from support import IS_ASYNC, PLUGIN_ROOT, PROVIDER_NAME, SETTINGS, TOOL_NAME, dify_parameters

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
        chunks: dict[str, list[dict[str, Any]]] = {}
        deadline = session.sent_at + REQUEST_TIMEOUT
        while True:
            arrived, event = self.next_event(deadline)
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
                self._add_chunk(session, chunks, payload, arrived)
            elif kind == "stream":
                session.messages.append(payload)

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


def invoke_request(credentials: dict[str, str], **parameters: Any) -> dict[str, Any]:
    return {
        "type": "tool",
        "action": "invoke_tool",
        "user_id": "u",
        "provider": PROVIDER_NAME,
        "tool": TOOL_NAME,
        "credentials": credentials,
        "credential_type": "api-key",
        "tool_parameters": dify_parameters(**parameters),
    }


def test_a_3_second_job_arrives_as_the_served_bytes_within_half_a_second(plugin: PluginProcess) -> None:
    # 50 kB: several 8 KiB chunks on the wire, so reassembly is really exercised.
    scenario = Scenario(job_seconds=3.0, image_bytes=sample_jpeg("through the daemon protocol", min_size=50_000))
    with FakeProvider(SETTINGS, scenario) as fake:
        session = plugin.request(invoke_request(fake.credentials))
    assert session.errors == []
    (blob,) = session.blobs
    (job,) = fake.jobs
    assert blob.data == job.images[0]
    assert blob.chunks == math.ceil(len(blob.data) / 8192) + 1  # data chunks, then the empty end chunk
    assert blob.meta["mime_type"] == "image/jpeg" and blob.meta["filename"].endswith("-1.jpg")
    assert blob.completed_at - session.sent_at <= 3.5
    # Progress goes to the daemon's log; the tool's own output is the file, a JSON summary and one text line.
    assert [message["type"] for message in session.messages] == ["json", "text"]
    if IS_ASYNC:
        assert any(job.id in line for line in session.logs)


def test_a_failing_request_ends_with_a_session_error_carrying_the_plugins_message(plugin: PluginProcess) -> None:
    with FakeProvider(SETTINGS, Scenario(outcome="failed")) as fake:
        session = plugin.request(invoke_request(fake.credentials))
    assert session.blobs == [] and session.messages == []
    (error,) = session.errors
    assert error["error_type"] == ("TaskFailedError" if IS_ASYNC else "ProviderHttpError")
    assert fake.scenario.failure_reason in error["message"]


def test_credential_check_over_the_protocol(plugin: PluginProcess) -> None:
    with FakeProvider(SETTINGS) as fake:
        request = {"type": "tool", "action": "validate_tool_credentials", "user_id": "u", "provider": PROVIDER_NAME}
        good = plugin.request({**request, "credentials": fake.credentials})
        wrong_key = f"{SETTINGS.api_key_prefix}wrong-key-9876543210"
        bad = plugin.request({**request, "credentials": {**fake.credentials, "api_key": wrong_key}})
    assert good.errors == [] and good.messages == [{"result": True}]
    (error,) = bad.errors
    assert error["error_type"] == "ToolProviderCredentialValidationError"
    assert "API key is invalid" in error["message"] and wrong_key not in error["message"]
    assert [request.kind for request in fake.requests] == ["validate", "validate"]
