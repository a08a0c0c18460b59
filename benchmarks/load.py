"""Load and start-up of the generated plugin as Dify's daemon runs it: ``python -m main`` over stdio (issue #17)
and through the SDK's serverless entry (issue #26).

    python benchmarks/load.py [--quick] [--runs N] [--only stdio|serverless|startup]   # sections 4, 4b and 5

4. Concurrent invocations in ONE plugin process: N = 1, 20 and 50 ``invoke_tool`` requests written at once to a
   freshly started example plugin (examples/qwen_text2image, INSTALL_METHOD=local), against its fake provider
   (3 s jobs, each serving a ~0.5 MB photo-like JPEG labelled with its job). Wall time from the first request line
   to the last session's ``end``, divided by the N = 1 median; the plugin's peak resident set (VmHWM); every blob
   reassembled from its chunks and compared byte for byte with what the fake served for that prompt.
4b. The same through ONE serverless process: the example started with INSTALL_METHOD=serverless (the SDK's HTTP
   entry on a gevent WSGI server, as the daemon's serverless platform runs it); N = 1 and 50 ``POST /invoke``
   requests sent at once from N threads, each streaming its session back, read and checked the same way.
5. Start-up: from ``Popen`` to the first ``heartbeat`` event (the daemon's "ready"), for the example and for the
   seed plugin (benchmarks/seed_plugin.py written out as the article's plugin), alternating, after a warm-up each.

The wire protocol is the rendered suite's own (tests/test_plugin_process.py of the example): its request builder
``invoke_request`` and its blob reassembly ``PluginProcess._add_chunk`` are imported, not copied.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

import requests

# isort: split
# benchmarks/ is sys.path[0]; importing common puts the example and its scripts/ on sys.path.
from common import BENCHMARKS_DIR, EXAMPLE_DIR, photo_like

# isort: split
from fake_provider import FakeProvider, Job, Scenario
from job_client import Settings, load_settings

# isort: split
from seed_plugin import write_seed_plugin

# The example's own protocol helpers (its tests/ folder; support.py loads the example's settings).
sys.path.insert(0, str(EXAMPLE_DIR / "tests"))
from test_plugin_process import PluginProcess, Session, invoke_request  # noqa: E402
from test_serverless import ServerlessPlugin as ServerlessHarness  # noqa: E402

CONCURRENCY = (1, 20, 50)
SERVERLESS_CONCURRENCY = (1, 50)
JOB_SECONDS = 3.0
PHOTO_SIDE = 1248  # a quality-90 JPEG of this photo-like image is about 0.5 MB
RATIO_TARGETS = {20: 1.3, 50: 1.6}  # wall time of N concurrent jobs / one job's, at most
SERVERLESS_RATIO_TARGETS = {50: 1.6}
RSS_TARGET = 100 * 1024 * 1024  # peak resident set of the plugin process, bytes
LISTEN_BACKLOG = 256
STARTS_PER_RUN = 2
STARTUP_TIMEOUT = 60.0
SESSION_TIMEOUT = 180.0
# Read the event stream in large pieces, as the daemon's buffered scanner does (requests reads 512 B by default).
READ_SIZE = 64 * 1024


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def labelled_jpeg(jpeg: bytes, label: str) -> bytes:
    """The same JPEG with ``label`` in a comment segment right after SOI: a valid JPEG whose bytes differ per job."""
    comment = label.encode("utf-8")
    return jpeg[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + jpeg[2:]


class PhotoFake(FakeProvider):
    """The example's fake provider, serving a photo-like JPEG per result, labelled with its job and index."""

    def __init__(self, settings: Settings, scenario: Scenario, photo: bytes) -> None:
        super().__init__(settings, scenario)
        self.photo = photo

    def start(self) -> PhotoFake:
        super().start()
        # socketserver listens with a backlog of 5: 20 clients connecting at once would lose SYNs and retry a
        # second later, which measures the fake, not the plugin. A real API's backlog is far larger.
        assert self._server is not None
        self._server.socket.listen(LISTEN_BACKLOG)
        return self

    def _new_job(self, body: dict[str, Any]) -> Job:
        job = super()._new_job(body)
        # The submit answer is not sent yet, so nobody can ask for these files before they are replaced.
        with self._lock:
            job.images = [labelled_jpeg(self.photo, f"{job.id} {index}") for index in range(1, len(job.images) + 1)]
            self._files.update(zip(job.file_names, job.images, strict=True))
        return job


@dataclass
class Tracked:
    """One session's events as they arrive; ``ended`` is the monotonic time of its ``end``."""

    session: Session
    chunks: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    ended: float | None = None


class MeasuredProcess:
    """A plugin process whose CPU time and memory are read from /proc."""

    process: subprocess.Popen[bytes]

    def cpu_seconds(self) -> float:
        """User + system CPU time of the plugin process so far (/proc/<pid>/stat), NaN once it is gone."""
        try:
            with open(f"/proc/{self.process.pid}/stat", encoding="ascii") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime in clock ticks

    def memory(self) -> dict[str, int]:
        """VmHWM (peak resident set) and VmRSS of the plugin process, in bytes."""
        values = {}
        with open(f"/proc/{self.process.pid}/status", encoding="ascii") as status:
            for line in status:
                key, _, rest = line.partition(":")
                if key in ("VmHWM", "VmRSS"):
                    values[key] = int(rest.split()[0]) * 1024
        return values


class StdioPlugin(MeasuredProcess):
    """``python -m main`` in ``directory`` with pipes, as the daemon's local runtime starts it; sessions in parallel."""

    def __init__(self, directory: Path, env: dict[str, str] | None = None) -> None:
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed in kill())
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "main"],
            cwd=directory,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            env={**os.environ, "INSTALL_METHOD": "local", "PYTHONWARNINGS": "ignore", **(env or {})},
            start_new_session=True,
        )
        self.ready = threading.Event()
        self.ready_at: float | None = None  # monotonic time of the first heartbeat
        self.ready_cpu: float | None = None  # the plugin's CPU seconds (user + system) at that moment
        self.exited = threading.Event()
        self.sessions: dict[str, Tracked] = {}
        self._lock = threading.Lock()
        self._all_ended = threading.Condition(self._lock)
        threading.Thread(target=self._read_stdout, daemon=True).start()

    def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            arrived = time.monotonic()
            if not line.strip() or not line.startswith(b"{"):
                continue
            try:
                event = json.loads(line)
            except ValueError:
                continue  # the plugin declaration a local install prints first spans no JSON event
            kind = event.get("event")
            if kind == "heartbeat" and self.ready_at is None:
                self.ready_at = arrived
                self.ready_cpu = self.cpu_seconds()
                self.ready.set()
            if kind == "session":
                self._on_session(event, arrived)
        self.exited.set()
        self.ready.set()
        with self._lock:
            self._all_ended.notify_all()

    def _on_session(self, event: dict[str, Any], arrived: float) -> None:
        with self._lock:
            tracked = self.sessions.get(event.get("session_id", ""))
        if tracked is None:
            return
        kind, payload = event["data"]["type"], event["data"]["data"]
        if kind == "end":
            with self._lock:
                tracked.ended = arrived
                self._all_ended.notify_all()
        elif kind == "error":
            tracked.session.errors.append(payload)
        elif kind == "stream" and payload.get("type") == "blob_chunk":
            PluginProcess._add_chunk(tracked.session, tracked.chunks, payload, arrived)
        elif kind == "stream":
            tracked.session.messages.append(payload)

    def wait_until_ready(self) -> float:
        """Seconds from Popen to the first heartbeat."""
        if not self.ready.wait(STARTUP_TIMEOUT) or self.ready_at is None:
            raise RuntimeError(f"no heartbeat from the plugin; stderr:\n{self.stderr_text()}")
        return self.ready_at - self.started

    def run_all(self, requests_data: list[dict[str, Any]]) -> tuple[list[Tracked], float]:
        """Write every request line at once, wait for every session's end; the sessions and the wall time."""
        tracked = []
        lines = []
        for data in requests_data:
            session_id = uuid.uuid4().hex
            tracked.append(Tracked(Session(sent_at=0.0)))
            self.sessions[session_id] = tracked[-1]
            lines.append(json.dumps({"session_id": session_id, "event": "request", "data": data}) + "\n")
        assert self.process.stdin is not None
        started = time.monotonic()
        for item in tracked:
            item.session.sent_at = started
        self.process.stdin.write("".join(lines).encode())
        self.process.stdin.flush()
        deadline = started + SESSION_TIMEOUT
        with self._lock:
            while not all(item.ended for item in tracked):
                if self.exited.is_set() or not self._all_ended.wait(max(0.0, deadline - time.monotonic())):
                    raise RuntimeError(
                        f"{sum(not item.ended for item in tracked)} session(s) did not end; "
                        f"stderr:\n{self.stderr_text()}"
                    )
        return tracked, max(item.ended or 0.0 for item in tracked) - started

    # The test harness's own: the last of the captured stderr, and ending the process group (the plugin never
    # exits on stdin EOF). Both read only `process` and `stderr`, which this class has too.
    stderr_text = PluginProcess.stderr_text
    kill = PluginProcess.kill


def loopback_session() -> requests.Session:
    """A session that ignores proxy settings from the environment: everything here stays on 127.0.0.1."""
    session = requests.Session()
    session.trust_env = False
    return session


class ServerlessPlugin(MeasuredProcess):
    """``python -m main`` with INSTALL_METHOD=serverless on a free loopback port: one HTTP request per session."""

    def __init__(self, directory: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.output = tempfile.TemporaryFile()  # noqa: SIM115 (closed in kill())
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "main"],
            cwd=directory,
            stdout=self.output,
            stderr=subprocess.STDOUT,
            env={
                **os.environ,
                "INSTALL_METHOD": "serverless",
                "SERVERLESS_HOST": "127.0.0.1",
                "SERVERLESS_PORT": str(port),
                "PYTHONWARNINGS": "ignore",
            },
            start_new_session=True,
        )

    def wait_until_ready(self) -> float:
        """Seconds from Popen to the first ``OK`` from /health."""
        deadline = self.started + STARTUP_TIMEOUT
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if loopback_session().get(f"{self.url}/health", timeout=1).text == "OK":
                    return time.monotonic() - self.started
            except requests.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError(f"the serverless entry never answered /health; output:\n{self.output_text()}")

    def _invoke(self, data: dict[str, Any], tracked: Tracked, go: threading.Event) -> None:
        """One session as the daemon's serverless runtime posts it (POST /invoke?action=..., the stdio envelope)."""
        session_id = uuid.uuid4().hex
        envelope = {"session_id": session_id, "event": "request", "data": data, "context": {}}
        chunks: dict[str, list[dict[str, Any]]] = tracked.chunks
        go.wait()
        try:
            with loopback_session().post(
                f"{self.url}/invoke",
                params={"action": data["action"]},
                headers={"Accept": "text/event-stream", "Dify-Plugin-Session-ID": session_id},
                json=envelope,
                stream=True,
                timeout=SESSION_TIMEOUT,
            ) as response:
                response.raise_for_status()
                for line in response.iter_lines(chunk_size=READ_SIZE):
                    if not line.strip():
                        continue
                    arrived, event = time.monotonic(), json.loads(line)
                    if event.get("event") != "session" or event.get("session_id") != session_id:
                        continue
                    kind, payload = event["data"]["type"], event["data"]["data"]
                    if kind == "end":
                        tracked.ended = arrived
                        return
                    if kind == "error":
                        tracked.session.errors.append(payload)
                    elif kind == "stream" and payload.get("type") == "blob_chunk":
                        PluginProcess._add_chunk(tracked.session, chunks, payload, arrived)
                    elif kind == "stream":
                        tracked.session.messages.append(payload)
        except (requests.RequestException, ValueError) as error:
            tracked.session.errors.append({"error_type": type(error).__name__, "message": str(error)[:300]})

    def run_all(self, requests_data: list[dict[str, Any]]) -> tuple[list[Tracked], float]:
        """One thread per request, all released at once; wall time from the release to the last ``end``."""
        go = threading.Event()
        tracked = [Tracked(Session(sent_at=0.0)) for _ in requests_data]
        threads = [
            threading.Thread(target=self._invoke, args=(data, item, go), daemon=True)
            for data, item in zip(requests_data, tracked, strict=True)
        ]
        for thread in threads:
            thread.start()
        started = time.monotonic()
        for item in tracked:
            item.session.sent_at = started
        go.set()
        for thread in threads:
            thread.join(max(0.0, started + SESSION_TIMEOUT - time.monotonic()))
        if not all(item.ended for item in tracked):
            raise RuntimeError(
                f"{sum(not item.ended for item in tracked)} session(s) did not end; output:\n{self.output_text()}"
            )
        return tracked, max(item.ended or 0.0 for item in tracked) - started

    # The serverless test harness's own: the last of the captured output (it reads only `output`, as here).
    output_text = ServerlessHarness.output_text

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.output.close()


# ── 4. concurrent invocations ──────────────────────────────────────────────────
@dataclass
class LoadRun:
    wall: float  # first request written -> last session ended
    peak_rss: int  # VmHWM of the plugin process after the run
    identical: int  # sessions whose one blob is exactly the bytes served for their prompt
    failures: list[str]
    status_requests: int  # the fake's status requests, all jobs together
    plugin_cpu: float = float("nan")  # the plugin's CPU seconds from the first request to the last end


@dataclass
class LoadRow:
    concurrency: int
    runs: list[LoadRun] = field(default_factory=list)

    @property
    def wall(self) -> float:
        return median([run.wall for run in self.runs])

    @property
    def peak_rss(self) -> float:
        return max((run.peak_rss for run in self.runs), default=float("nan"))

    @property
    def plugin_cpu(self) -> float:
        return median([run.plugin_cpu for run in self.runs if run.plugin_cpu == run.plugin_cpu])

    @property
    def all_identical(self) -> bool:
        return bool(self.runs) and all(run.identical == self.concurrency and not run.failures for run in self.runs)


def load_run(concurrency: int, job_seconds: float, photo: bytes, runtime: str = "stdio") -> LoadRun:
    """A fresh example plugin, ``concurrency`` invocations of text2image sent at once, checked and measured.

    ``runtime``: "stdio" (request lines on stdin, INSTALL_METHOD=local) or "serverless" (HTTP, one per session).
    """
    settings = load_settings(EXAMPLE_DIR / "job_client" / "settings.yaml")
    plugin: StdioPlugin | ServerlessPlugin = (
        StdioPlugin(EXAMPLE_DIR) if runtime == "stdio" else ServerlessPlugin(EXAMPLE_DIR)
    )
    try:
        plugin.wait_until_ready()
        with PhotoFake(settings, Scenario(job_seconds=job_seconds), photo) as fake:
            prompts = [f"load test {concurrency}-{index}" for index in range(concurrency)]
            requests_data = [invoke_request(fake.credentials, prompt=prompt) for prompt in prompts]
            cpu_before = plugin.cpu_seconds()
            tracked, wall = plugin.run_all(requests_data)
            plugin_cpu = plugin.cpu_seconds() - cpu_before
            served = {job.prompt: job.images for job in fake.jobs}
            status_requests = len(fake.requests_of("poll"))
        memory = plugin.memory()
    finally:
        plugin.kill()
    failures, identical = [], 0
    for prompt, item in zip(prompts, tracked, strict=True):
        session = item.session
        if session.errors:
            failures.append(f"{prompt}: {session.errors[0].get('error_type')}: {session.errors[0].get('message')}")
        elif [blob.data for blob in session.blobs] == served.get(prompt):
            identical += 1
        else:
            failures.append(f"{prompt}: the blob differs from the served bytes")
    return LoadRun(wall, memory.get("VmHWM", 0), identical, failures, status_requests, plugin_cpu)


def bench_load(
    runs: int,
    scale: float,
    log: Callable[[str], None],
    runtime: str = "stdio",
    concurrencies: tuple[int, ...] = CONCURRENCY,
) -> list[LoadRow]:
    """Section 4 (4b: runtime "serverless"): each concurrency ``runs`` times, interleaved, each run in a fresh
    plugin process."""
    buffer = BytesIO()
    photo_like(PHOTO_SIDE, seed=PHOTO_SIDE).save(buffer, format="JPEG", quality=90)
    photo = buffer.getvalue()
    rows = {concurrency: LoadRow(concurrency) for concurrency in concurrencies}
    for index in range(runs):
        for concurrency in concurrencies:
            log(f"load ({runtime}): {concurrency} concurrent invocation(s), run {index + 1} of {runs}")
            try:
                rows[concurrency].runs.append(load_run(concurrency, JOB_SECONDS * scale, photo, runtime))
            except RuntimeError as error:
                rows[concurrency].runs.append(LoadRun(float("nan"), 0, 0, [str(error)[:300]], 0))
    return list(rows.values())


def bench_serverless(runs: int, scale: float, log: Callable[[str], None]) -> list[LoadRow]:
    """Section 4b: N = 1 and 50 through one serverless process."""
    return bench_load(runs, scale, log, runtime="serverless", concurrencies=SERVERLESS_CONCURRENCY)


def photo_bytes() -> int:
    buffer = BytesIO()
    photo_like(PHOTO_SIDE, seed=PHOTO_SIDE).save(buffer, format="JPEG", quality=90)
    return len(buffer.getvalue())


# ── 5. start-up ────────────────────────────────────────────────────────────────
@dataclass
class StartupRow:
    label: str
    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # the plugin's CPU seconds up to the first heartbeat
    rss: list[int] = field(default_factory=list)  # VmRSS right after the first heartbeat
    error: str = ""


def startup_sample(directory: Path, env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """Seconds to the first heartbeat, CPU seconds spent by then, resident set then."""
    plugin = StdioPlugin(directory, env)
    try:
        seconds = plugin.wait_until_ready()
        return seconds, plugin.ready_cpu or float("nan"), plugin.memory().get("VmRSS", 0)
    finally:
        plugin.kill()


def bench_startup(runs: int, log: Callable[[str], None]) -> list[StartupRow]:
    """Section 5: Popen -> first heartbeat, example and seed alternating, after one unmeasured start of each.

    Starts are cheap (about a second), so there are STARTS_PER_RUN per run: their wall time is the noisiest
    figure on a shared machine.
    """
    runs *= STARTS_PER_RUN
    generated = StartupRow("generated plugin (examples/qwen_text2image)")
    seed = StartupRow("seed plugin (benchmarks/seed_plugin.py, written out)")
    with tempfile.TemporaryDirectory(prefix="seed-plugin-") as temporary:
        seed_dir = write_seed_plugin(Path(temporary), (EXAMPLE_DIR / "_assets" / "icon.svg").read_bytes())
        seed_env = {"PYTHONPATH": str(BENCHMARKS_DIR)}  # the seed's tool runs benchmarks/seed_plugin.py's loop
        ways: list[tuple[StartupRow, Path, dict[str, str] | None]] = [
            (generated, EXAMPLE_DIR, None),
            (seed, seed_dir, seed_env),
        ]
        log(f"start-up: example and seed, {runs} run(s) each")
        for index in range(-1, runs):
            for row, directory, env in ways:
                if row.error:
                    continue
                try:
                    seconds, cpu, rss = startup_sample(directory, env)
                except RuntimeError as error:
                    row.error = str(error)[-300:]
                    continue
                if index >= 0:  # run -1 warms the file cache and the bytecode
                    row.seconds.append(seconds)
                    row.cpu.append(cpu)
                    row.rss.append(rss)
    return [generated, seed]


# ── the report ─────────────────────────────────────────────────────────────────
def mib(count: float) -> str:
    return f"{count / (1024 * 1024):.1f} MiB"


def verdict(met: bool | None) -> str:
    return "n/a (quick)" if met is None else ("✅ met" if met else "❌ missed")


@dataclass(frozen=True)
class LoadTarget:
    label: str
    result: str
    met: bool | None


def serverless_targets(serverless: list[LoadRow], quick: bool) -> list[LoadTarget]:
    """Issue #26: 50 concurrent invocations through one serverless process, their bytes and its peak RSS."""
    by_n = {row.concurrency: row for row in serverless}
    one, fifty = by_n.get(1), by_n.get(50)
    ratio = fifty.wall / one.wall if one and fifty else float("nan")
    limit = SERVERLESS_RATIO_TARGETS[50]
    met = None if quick else bool(fifty and fifty.all_identical and ratio <= limit)
    peak = max((row.peak_rss for row in serverless), default=float("nan"))
    identical = all(row.all_identical for row in serverless)
    return [
        LoadTarget(f"Serverless, 50 concurrent invocations: wall ≤ {limit:g} × one job's", f"{ratio:.2f} ×", met),
        LoadTarget("Serverless process peak RSS (recorded)", mib(peak), None if quick else peak <= RSS_TARGET),
        LoadTarget(
            "Serverless: every result byte-identical to what the fake served", "yes" if identical else "no", identical
        ),
    ]


def load_targets(load: list[LoadRow], startup: list[StartupRow], quick: bool) -> list[LoadTarget]:
    """The issue's targets: the ratios, the peak RSS, the bytes, and start-up no slower than the seed's."""
    by_n = {row.concurrency: row for row in load}
    one = by_n[1].wall if 1 in by_n else float("nan")
    targets = []
    for concurrency, limit in RATIO_TARGETS.items():
        row = by_n.get(concurrency)
        ratio = row.wall / one if row else float("nan")
        met = None if quick else bool(row and row.all_identical and ratio <= limit)
        targets.append(
            LoadTarget(f"{concurrency} concurrent jobs: wall ≤ {limit:g} × one job's", f"{ratio:.2f} ×", met)
        )
    peak = max((row.peak_rss for row in load), default=float("nan"))
    targets.append(
        LoadTarget(f"Plugin peak RSS ≤ {mib(RSS_TARGET)} (any N)", mib(peak), None if quick else peak <= RSS_TARGET)
    )
    identical = all(row.all_identical for row in load)
    targets.append(
        LoadTarget(
            "Every concurrent result byte-identical to what the fake served", "yes" if identical else "no", identical
        )
    )
    generated, seed = startup
    for label, ours, theirs in (
        ("wall time", generated.seconds, seed.seconds),
        ("CPU time", generated.cpu, seed.cpu),
    ):
        if ours and theirs:
            result = f"{median(ours):.2f} s vs. {median(theirs):.2f} s"
            met = None if quick else median(ours) <= median(theirs)
        else:
            result, met = f"failed: {generated.error or seed.error}", False
        targets.append(LoadTarget(f"Start-up to first heartbeat no slower than the seed's ({label})", result, met))
    return targets


def load_section(load: list[LoadRow], runs: int, scale: float) -> Iterator[str]:
    quick = scale != 1.0
    yield "## 4. Concurrent invocations in one plugin process"
    yield ""
    yield (
        f"N `invoke_tool` requests for text2image written at once to the stdin of one freshly started example plugin "
        f"(`python -m main`, INSTALL_METHOD=local), as the daemon forwards concurrent workflow runs; the fake "
        f"provider (ModelScope preset) runs each job for {JOB_SECONDS * scale:g} s and serves a {photo_bytes():,} B "
        f"photo-like JPEG per job (a {PHOTO_SIDE}x{PHOTO_SIDE} image, quality 90, labelled with the job in a JPEG "
        "comment so every job's bytes differ). *Wall*: from the first request line written to the last session's "
        "`end`; *÷ one job*: divided by the N = 1 median; *peak RSS*: VmHWM of the plugin process after the run "
        "(its whole life: start-up, the N jobs, their blob chunks); *plugin CPU*: its user + system time from the "
        "first request to the last `end` (mostly base64 and JSON for the 8 KiB blob chunks, about 65 per job), the "
        "part of the wall time that other work on the machine stretches. Every blob is reassembled from its chunks "
        "and compared with the bytes served for its prompt. The reading side (JSON and base64 decoding of every "
        f"chunk) runs in the benchmark's process on the same cores. Medians over {runs} run(s), each in a fresh "
        "plugin process; the plugin's own settings.yaml sets the poll schedule"
        + (
            " (not scaled: in --quick the jobs are shorter than the first poll, so no ratio is judged)."
            if quick
            else "."
        )
    )
    yield ""
    yield from load_table(load, scale, RATIO_TARGETS)


def load_table(load: list[LoadRow], scale: float, ratio_targets: dict[int, float]) -> Iterator[str]:
    quick = scale != 1.0
    yield (
        "| N | Wall (median) | min – max | ÷ one job | ÷ job duration | Status requests (all jobs) | Plugin CPU | "
        "Peak RSS (max) | Results identical | Target | Verdict |"
    )
    yield "|---|---|---|---|---|---|---|---|---|---|---|"
    one = next((row.wall for row in load if row.concurrency == 1), float("nan"))
    for row in load:
        good = [run for run in row.runs if run.wall == run.wall]
        failures = [failure for run in row.runs for failure in run.failures]
        if not good:
            yield f"| {row.concurrency} | failed: {failures[0] if failures else '?'} | | | | | | | | | ❌ missed |"
            continue
        ratio = row.wall / one
        limit = ratio_targets.get(row.concurrency)
        target = f"≤ {limit:g} ×, ≤ {mib(RSS_TARGET)}" if limit else f"≤ {mib(RSS_TARGET)}"
        met = (
            None if quick else (row.all_identical and row.peak_rss <= RSS_TARGET and (limit is None or ratio <= limit))
        )
        identical = sum(run.identical for run in row.runs)
        yield (
            f"| {row.concurrency} | {row.wall:.2f} s | {min(run.wall for run in good):.2f} – "
            f"{max(run.wall for run in good):.2f} s | {ratio:.2f} | {row.wall / (JOB_SECONDS * scale):.2f} | "
            f"{median([float(run.status_requests) for run in good]):g} | {row.plugin_cpu:.2f} s | "
            f"{mib(row.peak_rss)} | {identical} of {row.concurrency * len(row.runs)} | {target} | {verdict(met)} |"
        )
        for failure in failures[:3]:
            yield f"| | {failure} | | | | | | | | | |"


def serverless_section(load: list[LoadRow], runs: int, scale: float) -> Iterator[str]:
    yield "## 4b. Concurrent invocations through one serverless process"
    yield ""
    yield (
        "The same jobs, photos and checks as section 4, through the SDK's serverless entry: one freshly started "
        "example plugin with INSTALL_METHOD=serverless (its gevent WSGI server on a loopback port, the way the "
        "daemon's serverless platform runs a plugin), N `POST /invoke?action=invoke_tool` requests carrying the "
        "daemon's request envelope, sent at once from N threads of the benchmark, each reading its session's "
        "event stream (the chunked HTTP body) to its `end`. *Wall*: from the release of the N requests to the "
        "last `end`; *÷ one job*: divided by the N = 1 median of this runtime; *peak RSS*: VmHWM of the "
        f"serverless process after the run. Medians over {runs} run(s), each in a fresh plugin process."
    )
    yield ""
    yield from load_table(load, scale, SERVERLESS_RATIO_TARGETS)


def startup_section(startup: list[StartupRow], runs: int) -> Iterator[str]:
    yield "## 5. Start-up to the first heartbeat"
    yield ""
    yield (
        "From `Popen([python, -m, main])` to the first `heartbeat` event on stdout, which the daemon takes as "
        "*ready*: interpreter start, `import dify_plugin` (gevent patching), loading and validating the YAML, "
        "importing the provider and tool modules. The seed is the article's plugin written out by "
        "`seed_plugin.write_seed_plugin` (its main.py, provider and tool modules with the seed's imports: requests, "
        "Pillow, dify_plugin); only the fields the SDK needs to start it were fixed. The two alternate, after one "
        f"unmeasured start of each; medians over {runs * STARTS_PER_RUN} start(s) each. *CPU*: the plugin "
        "process's user + system time when its heartbeat arrived (/proc/<pid>/stat), which other work on the "
        "machine disturbs far less than the wall time. *RSS*: VmRSS right after the heartbeat."
    )
    yield ""
    yield "| Plugin | Start-up, wall (median) | min – max | CPU to heartbeat (median) | RSS when ready (median) |"
    yield "|---|---|---|---|---|"
    for row in startup:
        if not row.seconds:
            yield f"| {row.label} | failed: {row.error} | | | |"
            continue
        yield (
            f"| {row.label} | {median(row.seconds):.2f} s | {min(row.seconds):.2f} – {max(row.seconds):.2f} s | "
            f"{median(row.cpu):.2f} s | {mib(median([float(value) for value in row.rss]))} |"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Load and start-up of the example plugin over the stdio protocol.")
    parser.add_argument("--quick", action="store_true", help="jobs ×0.1, 1 run")
    parser.add_argument("--runs", type=int, help="runs per figure (default 5; --quick 1)")
    parser.add_argument("--only", choices=["stdio", "serverless", "startup"], help="one section (4, 4b or 5)")
    arguments = parser.parse_args(argv)
    scale = 0.1 if arguments.quick else 1.0
    quick = arguments.quick
    runs = arguments.runs or (1 if arguments.quick else 5)
    started = time.monotonic()
    wanted = {arguments.only} if arguments.only else {"stdio", "serverless", "startup"}

    def log(message: str) -> None:
        print(f"[{time.monotonic() - started:6.1f} s] {message}", file=sys.stderr, flush=True)

    lines: list[str] = []
    targets: list[LoadTarget] = []
    if "stdio" in wanted:
        load = bench_load(runs, scale, log)
        lines += [*load_section(load, runs, scale), ""]
    if "serverless" in wanted:
        serverless = bench_serverless(runs, scale, log)
        lines += [*serverless_section(serverless, runs, scale), ""]
        targets += serverless_targets(serverless, quick)
    if "startup" in wanted:
        startup = bench_startup(runs, log)
        lines += [*startup_section(startup, runs), ""]
    if {"stdio", "startup"} <= wanted:
        targets = load_targets(load, startup, quick) + targets
    lines += ["| Target | Result | Verdict |", "|---|---|---|"]
    lines += [f"| {t.label} | {t.result} | {verdict(t.met)} |" for t in targets]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
