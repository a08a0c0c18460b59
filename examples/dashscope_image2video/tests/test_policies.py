"""The client's policies, each pinned by expectations written in this file, so that breaking one fails here.

Strategy: every test runs a job through JobClient on a VirtualClock shared with the fake provider (or with a fake
transport, below), with the rendered settings where the policy does not depend on them and with settings written
here where it does (the poll schedule's table). Expected instants, waits and limits are literals or follow from
the documented rules (docs/plugin.md: adaptive polling, timeouts, retries) as restated here; none is computed by
the client's own functions. The deadline is exercised with a fake transport (``SlowSession``) that stalls or
trickles on the virtual clock: it honours the timeouts the client gives it exactly as a socket would, so a read
that is allowed to outlive ``max_wait`` makes the call end late, and the test says by how much.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import pytest
import requests
import urllib3
import yaml
from fake_provider import FakeProvider, Reply, document_at
from requests.structures import CaseInsensitiveDict
from support import KEY_IS_INVALID, SHORTEST_GAP, JobKind, StartFake, VirtualClock

from job_client import JobClient
from job_client.errors import CannotReachError, InvalidApiKeyError, JobTimeoutError, PluginError, SettingsError
from job_client.settings import SETTINGS_FILE, Settings, load_settings

# The promise of the README and benchmarks/: a job's result arrives within 1.10 x its duration.
PROMISED_RATIO = 1.10
# A budget small enough to reach in a test, and a request timeout below it (as in the measurements).
MAX_WAIT = 20.0
REQUEST_TIMEOUT = 10.0
# The client gives a read at least this long even when the deadline is nearer (client.MIN_READ_TIMEOUT).
SMALLEST_READ = 0.05


@pytest.fixture
def quick_settings(job: JobKind) -> Settings:
    """This job tool's settings, polled every 0.1 s: start_fake() builds its fake from them unless told otherwise."""
    return job.quick


def with_poll(settings: Settings, first_delay: float, interval: float, max_wait: float) -> Settings:
    poll = dataclasses.replace(settings.poll, first_delay=first_delay, interval=interval)
    return dataclasses.replace(settings, poll=poll, max_wait=max_wait)


def with_budget(settings: Settings) -> Settings:
    """The job's settings with max_wait 20 s and request_timeout 10 s, polled first at 1.5 s and then at most 5 s
    apart (so where the schedule puts the status requests is known here)."""
    budget = with_poll(settings, 1.5, 5.0, MAX_WAIT)
    return dataclasses.replace(budget, request_timeout=REQUEST_TIMEOUT)


def client_on(clock: VirtualClock, fake: FakeProvider, settings: Settings, **options: Any) -> JobClient:
    return JobClient(settings, fake.credentials, fake.base_url, clock=clock, sleep=clock.sleep, **options)


def since_submit(fake: FakeProvider, kind: Literal["poll", "submit", "file"]) -> list[float]:
    (submit, *_) = fake.requests_of("submit")
    return [request.at - submit.at for request in fake.requests_of(kind)]


# ── the poll schedule ──────────────────────────────────────────────────────────
# The documented rule for first_delay 1.5 s and interval 5 s, worked out by hand: the first status request at
# 1.5 s; then gaps of 10 % of the time waited, at least 1.75 s (so 1.75 s up to 17.5 s waited), at most 5 s (from
# 50 s waited). Instants in seconds after the submit, on a clock where requests take no time.
POLL_INSTANTS = [
    1.5, 3.25, 5.0, 6.75, 8.5, 10.25, 12.0, 13.75, 15.5, 17.25,  # 1.75 s apart
    19.0, 20.9, 22.99, 25.289, 27.818, 30.6, 33.66, 37.026, 40.728, 44.801, 49.281,  # 10 % of the time waited
    54.209, 59.209, 64.209, 69.209,  # capped at the 5 s interval
]  # fmt: skip


def test_status_requests_go_out_at_the_documented_instants(
    start_fake: StartFake, job: JobKind, clock: VirtualClock
) -> None:
    job.skip_unless_async()
    settings = with_poll(job.settings, first_delay=1.5, interval=5.0, max_wait=70.0)
    fake = start_fake(outcome="never", settings=settings, clock=clock)
    with pytest.raises(JobTimeoutError):
        client_on(clock, fake, settings).generate(job.parameters())
    assert since_submit(fake, "poll") == pytest.approx(POLL_INSTANTS, abs=1e-3)


@pytest.mark.parametrize(
    "job_seconds", [17.5, 18.3, 21.0, 26.7, 33.3, 41.9, 55.5, 60.0, 77.7, 99.9, 123.4, 187.6, 261.0]
)
def test_a_result_arrives_within_1_10_times_the_job_duration(
    start_fake: StartFake, job: JobKind, clock: VirtualClock, job_seconds: float
) -> None:
    """From 17.5 s on, 10 % of the time waited is more than the shortest gap, so the promise holds at any duration
    (not only at the benchmark's 20 s and 60 s): the rendered schedule, a budget that fits the longest job."""
    job.skip_unless_async()
    settings = dataclasses.replace(job.settings, max_wait=290.0)
    fake = start_fake(job_seconds=job_seconds, settings=settings, clock=clock)
    started = clock.now
    result = client_on(clock, fake, settings).generate(job.parameters())
    assert [media.data for media in result.files] == fake.jobs[0].images
    assert job_seconds <= clock.now - started <= PROMISED_RATIO * job_seconds


@pytest.mark.parametrize("job_seconds", [1.0, 2.0, 3.0, 5.0, 8.0, 10.3, 12.0, 15.6])
def test_a_short_job_is_answered_within_the_shortest_gap_of_its_end(
    start_fake: StartFake, job: JobKind, clock: VirtualClock, job_seconds: float
) -> None:
    job.skip_unless_async()
    settings = job.settings
    first = min(settings.poll.first_delay, settings.poll.interval)
    fake = start_fake(job_seconds=job_seconds, settings=settings, clock=clock)
    started = clock.now
    client_on(clock, fake, settings).generate(job.parameters())
    assert clock.now - started <= max(first, job_seconds + min(SHORTEST_GAP, settings.poll.interval))


# ── Retry-After ────────────────────────────────────────────────────────────────
# Told apart from every wait the client would choose itself: its back-off (1 s, 2 s...) and the poll gaps.
RETRY_AFTER = 3.7


@pytest.mark.parametrize("status", [429, 503])
def test_a_refused_submit_is_sent_again_after_retry_after(
    start_fake: StartFake, job: JobKind, clock: VirtualClock, status: int
) -> None:
    fake = start_fake(submit_replies=[Reply(status, headers={"Retry-After": str(RETRY_AFTER)})], clock=clock)
    result = client_on(clock, fake, fake.settings).generate(job.parameters())
    first, second = fake.requests_of("submit")
    assert second.at - first.at == pytest.approx(RETRY_AFTER)
    assert len(fake.jobs) == 1 and [media.data for media in result.files] == fake.jobs[0].images


@pytest.mark.parametrize("status", [429, 503])
def test_a_refused_status_request_is_sent_again_after_retry_after(
    start_fake: StartFake, job: JobKind, clock: VirtualClock, status: int
) -> None:
    job.skip_unless_async()
    fake = start_fake(poll_replies=[Reply(status, headers={"Retry-After": str(RETRY_AFTER)})], clock=clock)
    client_on(clock, fake, fake.settings).generate(job.parameters())
    first, second = fake.requests_of("poll")[:2]
    assert second.at - first.at == pytest.approx(RETRY_AFTER)


def test_a_running_task_asks_to_be_polled_after_retry_after(
    start_fake: StartFake, job: JobKind, clock: VirtualClock
) -> None:
    job.skip_unless_async()
    settings = job.settings
    running = document_at(settings.poll.status_field, next(iter(settings.poll.pending), "RUNNING"))
    fake = start_fake(
        poll_replies=[Reply(200, running, {"Retry-After": str(RETRY_AFTER)})], settings=settings, clock=clock
    )
    client_on(clock, fake, settings).generate(job.parameters())
    first, second = fake.requests_of("poll")[:2]
    assert second.at - first.at == pytest.approx(RETRY_AFTER)


def test_check_task_waits_retry_after_before_asking_again(
    start_fake: StartFake, job: JobKind, clock: VirtualClock
) -> None:
    job.skip_unless_async()
    if job.settings.submit.result_url_field:
        pytest.skip(f"{job.tool}: check_task does not fetch results from a second URL (submit.result_url_field)")
    fake = start_fake(poll_replies=[Reply(503, headers={"Retry-After": "2.5"})], clock=clock)
    client = client_on(clock, fake, fake.settings)
    task_id, _ = client.submit_job(job.parameters())
    progress = client.check_task(task_id)
    assert progress.result is not None
    first, second = fake.requests_of("poll")
    assert second.at - first.at == pytest.approx(2.5)


# ── a refused key ──────────────────────────────────────────────────────────────
@pytest.mark.parametrize(
    ("status", "words"), [(401, f"the {KEY_IS_INVALID} (HTTP 401"), (403, "refused the request (HTTP 403")]
)
def test_a_refused_key_on_submit_is_reported_once_and_never_retried(
    start_fake: StartFake, job: JobKind, clock: VirtualClock, status: int, words: str
) -> None:
    fake = start_fake(submit_replies=[Reply(status)], clock=clock)
    with pytest.raises(InvalidApiKeyError) as caught:
        client_on(clock, fake, fake.settings).generate(job.parameters())
    assert words in caught.value.english and f"HTTP {status}" in caught.value.chinese
    assert len(fake.requests_of("submit")) == 1 and clock.sleeps == []


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_key_on_a_status_request_ends_the_call_at_once(
    start_fake: StartFake, job: JobKind, clock: VirtualClock, status: int
) -> None:
    job.skip_unless_async()
    fake = start_fake(poll_replies=[Reply(status)], clock=clock)
    with pytest.raises(InvalidApiKeyError, match=f"HTTP {status} while checking the task status"):
        client_on(clock, fake, fake.settings).generate(job.parameters())
    assert len(fake.requests_of("poll")) == 1


# ── one deadline for the whole call ────────────────────────────────────────────
Body = Literal["real", "trickle", "fast trickle", "stall"]


class FakeBody:
    """A response body on the virtual clock: ``piece`` every ``gap`` seconds for ever (a trickle), or never a byte
    (``piece`` empty: a stall). A read waits at most the socket's timeout, as a real socket's would."""

    def __init__(self, clock: VirtualClock, read_timeout: float, piece: bytes, gap: float) -> None:
        self.clock, self.timeout, self.piece, self.gap = clock, read_timeout, piece, gap
        self.give_up_at = clock.now + 10 * MAX_WAIT  # a client that never stops reading fails instead of hanging
        self.reads: list[tuple[float, float]] = []  # (when, how long it may wait)
        self.connection = self  # urllib3's HTTPResponse.connection.sock, where the client bounds the next read
        self.sock = self

    def settimeout(self, seconds: float) -> None:
        self.timeout = seconds

    def read1(self, amount: int = -1, decode_content: bool = True) -> bytes:
        self.reads.append((self.clock.now, self.timeout))
        if self.clock.now > self.give_up_at:
            raise AssertionError(
                f"still reading the body {self.clock.now - self.give_up_at:.0f} s past the test's patience"
            )
        if not self.piece or self.timeout < self.gap:
            self.clock.sleep(self.timeout)
            raise urllib3.exceptions.ReadTimeoutError(None, "fake", "Read timed out.")  # type: ignore[arg-type]
        self.clock.sleep(self.gap)
        return self.piece

    def close(self) -> None:
        pass

    def release_conn(self) -> None:
        pass


class SlowSession(requests.Session):
    """A transport that delays the requests ``slow`` picks: headers after ``headers_after`` seconds (math.inf: a
    stalled request), then the real answer, or a body that trickles or stalls. Others go to the fake unchanged."""

    def __init__(
        self,
        clock: VirtualClock,
        slow: Callable[[str, str], bool],
        headers_after: float = 0.0,
        body: Body = "real",
    ) -> None:
        super().__init__()
        self.clock, self.slow, self.headers_after, self.body = clock, slow, headers_after, body
        self.waits: list[tuple[float, float]] = []  # (when, how long each slow request may wait for headers)
        self.bodies: list[FakeBody] = []

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if not self.slow(str(method), str(url)):
            return super().request(method, url, *args, **kwargs)
        _connect, read = kwargs["timeout"]
        self.waits.append((self.clock.now, read))
        if read < self.headers_after:
            self.clock.sleep(read)
            raise requests.ReadTimeout("fake: no answer in time")
        self.clock.sleep(self.headers_after)
        if self.body == "real":
            return super().request(method, url, *args, **kwargs)
        # 2 KB every 0.5 s (the trickle), every 0.01 s (quicker than any read timeout), or nothing.
        piece, gap = {"trickle": (b"\xff" * 2048, 0.5), "fast trickle": (b"\xff" * 2048, 0.01)}.get(
            self.body, (b"", 0.5)
        )
        fake_body = FakeBody(self.clock, read, piece, gap)
        self.bodies.append(fake_body)
        response = requests.Response()
        response.status_code, response.url, response.raw = 200, str(url), fake_body
        response.headers = CaseInsensitiveDict({"Content-Type": "image/jpeg", "Content-Length": str(10**7)})
        return response

    def every_wait(self) -> list[tuple[float, float]]:
        return self.waits + [read for body in self.bodies for read in body.reads]


def is_file(method: str, url: str) -> bool:
    # The fake serves result files at /files/<name>; an API path such as MiniMax's /v1/files/retrieve is no file.
    return urlsplit(url).path.startswith("/files/")


def is_status(method: str, url: str) -> bool:
    return method == "GET" and not is_file(method, url)


def is_submit(method: str, url: str) -> bool:
    return method == "POST"


# (what is slow, headers after, body, job seconds, what the rendering needs)
DEADLINE_CASES = {
    "late file (ready at 16 s, answers 9 s later)": (is_file, 9.0, "real", 16.0, "url"),
    "trickling file": (is_file, 0.0, "trickle", 1.0, "url"),
    "quickly trickling file": (is_file, 0.0, "fast trickle", 1.0, "url"),
    "stalled file body (asked at 17 s)": (is_file, 0.0, "stall", 16.0, "url"),
    "stalled status request": (is_status, math.inf, "real", 1.0, "async"),
    "trickling status answer": (is_status, 0.0, "trickle", 1.0, "async"),
    "trickling submit answer": (is_submit, 0.0, "trickle", 1.0, ""),
    "stalled synchronous generation": (is_submit, math.inf, "real", 1.0, "sync"),
}


def skip_unless(job: JobKind, needs: str) -> None:
    if needs == "url":
        job.skip_unless_url_results()
    elif needs == "async":
        job.skip_unless_async()
    elif needs == "sync" and job.is_async:
        pytest.skip(f"{job.tool}: asynchronous API: its submit answers at once (a stall there is not the deadline)")


@pytest.mark.parametrize(
    ("slow", "headers_after", "body", "job_seconds", "needs"), DEADLINE_CASES.values(), ids=DEADLINE_CASES.keys()
)
def test_the_call_ends_at_max_wait_with_the_timeout_error(
    start_fake: StartFake,
    job: JobKind,
    clock: VirtualClock,
    slow: Callable[[str, str], bool],
    headers_after: float,
    body: Body,
    job_seconds: float,
    needs: str,
) -> None:
    skip_unless(job, needs)
    settings = with_budget(job.settings)
    fake = start_fake(job_seconds=job_seconds, settings=settings, clock=clock)
    session = SlowSession(clock, slow, headers_after, body)
    started = clock.now
    with pytest.raises(JobTimeoutError) as caught:
        client_on(clock, fake, settings, session=session).generate(job.parameters())
    # Not a moment after max_wait, however the provider stalls or trickles (a read waits 0.05 s at least).
    assert clock.now - started == pytest.approx(MAX_WAIT, abs=SMALLEST_READ)
    assert "(max_wait 20 s)" in caught.value.english and "max_wait 20 秒" in caught.value.chinese
    # No wait the client allowed (for headers, or for the next piece of a body) reached past the deadline.
    assert session.every_wait(), "the slow requests were never sent"
    for at, wait in session.every_wait():
        assert at + wait <= started + MAX_WAIT + SMALLEST_READ, (at - started, wait)


def test_a_file_that_answers_late_but_within_max_wait_is_delivered(
    start_fake: StartFake, job: JobKind, clock: VirtualClock
) -> None:
    """The result, not the timeout error, when everything arrives in time: 9 s for a file asked at about 5 s."""
    job.skip_unless_url_results()
    settings = with_budget(job.settings)
    fake = start_fake(job_seconds=4.0, settings=settings, clock=clock)
    started = clock.now
    result = client_on(clock, fake, settings, session=SlowSession(clock, is_file, 9.0)).generate(job.parameters())
    assert [media.data for media in result.files] == fake.jobs[0].images
    assert clock.now - started < MAX_WAIT


def test_a_synchronous_generation_may_take_the_rest_of_max_wait(
    start_fake: StartFake, job: JobKind, clock: VirtualClock
) -> None:
    """A synchronous API answers when the image is made: 15 s, longer than request_timeout (10 s), fits in 20 s."""
    if job.is_async:
        pytest.skip(f"{job.tool}: asynchronous API: its submit answers at once")
    settings = with_budget(job.settings)
    fake = start_fake(settings=settings, clock=clock)
    session = SlowSession(clock, is_submit, 15.0)
    result = client_on(clock, fake, settings, session=session).generate(job.parameters())
    assert [media.data for media in result.files] == fake.jobs[0].images
    assert [wait for _, wait in session.waits] == [pytest.approx(MAX_WAIT)]


def test_an_asynchronous_submit_waits_request_timeout_and_is_never_sent_twice(
    start_fake: StartFake, job: JobKind, clock: VirtualClock
) -> None:
    job.skip_unless_async()
    # A wait-style create reads for its model family's own timeout (tested apart): here, the settings' one.
    budget = with_budget(job.settings)
    families = {name: dataclasses.replace(family, request_timeout=0.0) for name, family in budget.families.items()}
    settings = dataclasses.replace(budget, families=families)
    fake = start_fake(settings=settings, clock=clock)
    session = SlowSession(clock, is_submit, math.inf)
    started = clock.now
    with pytest.raises(CannotReachError, match="did not answer the submit request in time"):
        client_on(clock, fake, settings, session=session).generate(job.parameters())
    assert clock.now - started == pytest.approx(REQUEST_TIMEOUT)
    assert len(session.waits) == 1


# ── settings.yaml mistakes, in both languages ─────────────────────────────────
def settings_with(tmp_path: Path, edit: Callable[[dict[str, Any]], Any]) -> Path:
    data = yaml.safe_load(SETTINGS_FILE.read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "settings.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


SETTINGS_MISTAKES = {
    "unknown key": (lambda s: s.update(max_wiat=30), "max_wiat: unknown key", "max_wiat：未知的键"),
    "broken rule": (lambda s: s.update(max_wait=20, request_timeout=30), "request_timeout must be 1-20", "不符合规则"),
    "not a mapping": (lambda s: s.update(poll=["status"]), "poll: expected a mapping", "应为映射"),
}


@pytest.mark.parametrize(("edit", "english", "chinese"), SETTINGS_MISTAKES.values(), ids=SETTINGS_MISTAKES.keys())
def test_a_settings_mistake_is_explained_in_english_and_chinese(
    tmp_path: Path, edit: Callable[[dict[str, Any]], Any], english: str, chinese: str
) -> None:
    path = settings_with(tmp_path, edit)
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    error = caught.value
    assert isinstance(error, ValueError) and isinstance(error, PluginError)  # older callers catch ValueError
    assert english in error.english and chinese in error.chinese
    assert str(error) == f"{error.english}\n{error.chinese}"
