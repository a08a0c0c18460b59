"""The rendered plugin through the SDK's serverless entry: ``python -m main`` with INSTALL_METHOD=serverless.

How Dify's daemon scales a plugin out on a serverless platform: the SDK (dify_plugin 0.10,
core/server/serverless/request_reader.py) serves HTTP on SERVERLESS_HOST:SERVERLESS_PORT; ``GET /health`` answers
``OK``, and ``POST /invoke`` takes one invocation, the same JSON envelope the daemon writes to a local plugin's
stdin, and streams the same event lines back until the session's ``end``. The request is built as the daemon's
serverless runtime sends it (dify-plugin-daemon internal/core/serverless_runtime/io.go): ``POST <url>/invoke?
action=<action>`` with ``Content-Type: application/json``, ``Accept: text/event-stream`` and the session id in
``Dify-Plugin-Session-ID``; the daemon reads the body line by line and skips empty lines.

Strategy: one process for the module on a free 127.0.0.1 port, ready when /health answers. The request builder and
the session reader (blob chunks reassembled as Dify does) are test_plugin_process.py's, so both runtimes are read
the same way. Two tool calls sent at once: one whose file must arrive byte for byte as the fake served it, one whose
job fails and must arrive as a session error carrying the provider's reason.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from fake_provider import FakeProvider, Scenario, sample_jpeg
from support import INPUT_JPEG, JOB_TOOLS, PLUGIN_ROOT, dify_file, has_tool, settings_for, takes_image
from test_plugin_process import REQUEST_TIMEOUT, STARTUP_TIMEOUT, Session, collect_session, invoke_request

from job_client.settings import Settings

# Read the event stream in large pieces, as the daemon's buffered scanner does (requests reads 512 B by default).
READ_SIZE = 64 * 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerlessPlugin:
    """`python -m main` serving the SDK's serverless HTTP entry on a loopback port."""

    def __init__(self) -> None:
        self.url = f"http://127.0.0.1:{free_port()}"
        self.output = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the process; closed in kill())
        environment = {
            **os.environ,
            "INSTALL_METHOD": "serverless",
            "SERVERLESS_HOST": "127.0.0.1",
            "SERVERLESS_PORT": self.url.rsplit(":", 1)[1],
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "main"],
            cwd=PLUGIN_ROOT,
            stdout=self.output,
            stderr=subprocess.STDOUT,
            env=environment,
            start_new_session=True,  # its own process group, killed as a whole at the end
        )
        self.http = requests.Session()
        self.http.trust_env = False  # loopback only: no proxy from the environment

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if self.http.get(f"{self.url}/health", timeout=1).text == "OK":
                    return
            except requests.ConnectionError:
                time.sleep(0.05)
        pytest.fail(f"the serverless entry never answered /health; output:\n{self.output_text()}")

    def invoke(self, data: dict[str, Any]) -> Session:
        """One invocation exactly as the daemon's serverless runtime posts it; the streamed session."""
        session_id = uuid.uuid4().hex
        envelope = {
            "session_id": session_id,
            "conversation_id": None,
            "message_id": None,
            "app_id": None,
            "endpoint_id": None,
            "context": {},
            "event": "request",
            "data": data,
        }
        session = Session(sent_at=time.monotonic())
        response = self.http.post(
            f"{self.url}/invoke",
            params={"action": data["action"]},
            headers={"Accept": "text/event-stream", "Dify-Plugin-Session-ID": session_id},
            json=envelope,
            stream=True,
            timeout=REQUEST_TIMEOUT,
        )
        with response:
            assert response.status_code == 200, response.text
            events = self._events(response)

            def next_event() -> tuple[float, dict[str, Any]]:
                event = next(events, None)
                if event is None:
                    pytest.fail(f"the stream ended before the session's end; output:\n{self.output_text()}")
                return time.monotonic(), event

            return collect_session(session, session_id, next_event)

    @staticmethod
    def _events(response: requests.Response) -> Iterator[dict[str, Any]]:
        for line in response.iter_lines(chunk_size=READ_SIZE):
            if line.strip():  # events are separated by an empty line
                yield json.loads(line)

    def output_text(self) -> str:
        self.output.seek(0)
        return self.output.read().decode("utf-8", "replace")[-3000:]

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.http.close()
        self.output.close()


@dataclass
class Invocation:
    settings: Settings
    fake: FakeProvider
    session: Session


def job_tool() -> str:
    """The first job tool of this rendering: the serverless entry runs every tool the same way."""
    return next(tool for tool in JOB_TOOLS if has_tool(tool))


def tool_inputs(tool: str, fake: FakeProvider) -> dict[str, Any]:
    if takes_image(tool):
        return {"image": dify_file(fake.add_file("cat.jpg", INPUT_JPEG), INPUT_JPEG)}
    return {}


@pytest.fixture(scope="module")
def invocations() -> Iterator[dict[str, Invocation]]:
    """A job that succeeds and one that fails, sent at the same time to one serverless process (each against its
    own fake), so the module waits for one job instead of two, and the two sessions must not mix."""
    tool = job_tool()
    settings = settings_for(tool)
    # A 50 kB image: several 8 KiB chunks in the HTTP stream, so reassembly is really exercised.
    image = sample_jpeg("through the serverless entry", min_size=50_000)
    scenarios = {
        "success": Scenario(image_bytes=image) if tool == "text2image" else Scenario(),
        "failure": Scenario(outcome="failed"),
    }
    plugin = ServerlessPlugin()
    try:
        plugin.wait_until_ready()
        with contextlib.ExitStack() as fakes, ThreadPoolExecutor(max_workers=len(scenarios)) as pool:
            started = {
                name: fakes.enter_context(FakeProvider(settings, scenario)) for name, scenario in scenarios.items()
            }
            pending = {
                name: pool.submit(plugin.invoke, invoke_request(fake.credentials, tool, **tool_inputs(tool, fake)))
                for name, fake in started.items()
            }
            yield {name: Invocation(settings, started[name], future.result()) for name, future in pending.items()}
    finally:
        plugin.kill()


def test_a_tool_call_through_the_serverless_entry_returns_the_served_bytes(
    invocations: dict[str, Invocation],
) -> None:
    session, fake = invocations["success"].session, invocations["success"].fake
    assert session.errors == []
    (job,) = fake.jobs
    assert session.blobs and [blob.data for blob in session.blobs] == job.images
    assert [message["type"] for message in session.messages] == ["json", "text"]


def test_a_failed_job_arrives_through_the_serverless_entry_as_an_error(invocations: dict[str, Invocation]) -> None:
    invocation = invocations["failure"]
    session = invocation.session
    assert session.blobs == [] and session.messages == []
    (error,) = session.errors
    assert error["error_type"] == ("TaskFailedError" if invocation.settings.mode == "async" else "ProviderHttpError")
    assert invocation.fake.scenario.failure_reason in error["message"]
