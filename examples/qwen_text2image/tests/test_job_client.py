"""The job client against a fake provider over real HTTP, without Dify, once per job tool of this rendering.

Strategy: each test starts scripts/fake_provider.py, built from one tool's settings (``load_settings(tool=...)``
for text2image, image_edit and text2video: the ``job`` fixture), with one scripted behaviour (success, a failed
task, throttling, broken answers, a job that never ends...), runs one job through JobClient on 127.0.0.1, and
asserts the exact outcome: the bytes (JPEG images, or MP4 files for video), the exception type and its message,
and what the fake received and when. Polling is sped up through dataclasses.replace on the settings, except in
the tests whose subject is timing: those share a virtual clock between JobClient and the fake (VirtualClock in
support.py), so each tool's own schedule (first delay, growth, interval cap, max_wait) and every back-off is
replayed in milliseconds and checked exactly, against values derived from the loaded settings. No test compares
the wall clock with a number; real timings are measured in the template repository's benchmarks/.
Tools this rendering lacks, and cases that need a task (async) or result URLs, skip themselves with the reason.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest
from fake_provider import FakeProvider, Reply
from support import (
    KEY_IS_INVALID,
    PROMPT,
    REFUSED_KEY,
    JobKind,
    StartFake,
    VirtualClock,
    closed_port_url,
    documented_gap,
    json_view,
    parameters_of,
    scheduled_polls,
)

from job_client import JobClient, JobResult
from job_client.errors import (
    BadResponseError,
    CannotReachError,
    InvalidApiKeyError,
    JobTimeoutError,
    NoResultsError,
    PluginError,
    ProviderHttpError,
    RateLimitedError,
    ResultDownloadError,
    TaskFailedError,
)
from job_client.paths import find_all
from job_client.settings import Settings

# The client's own first backoff step, used when a refusal carries no usable Retry-After.
FIRST_BACKOFF = 1.0
# A Retry-After told apart from FIRST_BACKOFF (obeying it is shorter) that keeps the suite fast.
RETRY_AFTER = 0.5


@pytest.fixture
def settings(job: JobKind) -> Settings:
    """This job tool's settings as rendered (used where real timing is the point)."""
    return job.settings


@pytest.fixture
def quick_settings(job: JobKind) -> Settings:
    """This job tool's settings, polled every 0.1 s; start_fake() builds its fake from them."""
    return job.quick


def run_job(
    fake: FakeProvider,
    job: JobKind,
    settings: Settings | None = None,
    clock: VirtualClock | None = None,
    **parameters: Any,
) -> JobResult:
    timing: dict[str, Any] = {"clock": clock, "sleep": clock.sleep} if clock else {}
    client = JobClient(settings or fake.settings, fake.credentials, fake.base_url, **timing)
    return client.generate(job.parameters(**parameters))


def job_error(
    fake: FakeProvider,
    job: JobKind,
    expected: type[PluginError],
    settings: Settings | None = None,
    clock: VirtualClock | None = None,
) -> PluginError:
    with pytest.raises(expected) as caught:
        run_job(fake, job, settings, clock)
    return caught.value


def header(request_headers: dict[str, str], name: str) -> str | None:
    return next((value for key, value in request_headers.items() if key.lower() == name.lower()), None)


# ── success ────────────────────────────────────────────────────────────────────
def test_success_returns_the_served_bytes_as_a_named_file(start_fake: StartFake, job: JobKind) -> None:
    fake = start_fake()
    result = run_job(fake, job)
    (job_served,) = fake.jobs
    (media,) = result.files
    assert media.data == job_served.images[0]
    assert media.mime_type == job.mime_type
    settings = job.settings
    expected_name = f"{settings.file_prefix}-{job_served.id if job.is_async else 'result'}-1.{job.extension}"
    assert media.filename == expected_name
    assert result.task_id == (job_served.id if job.is_async else None)
    assert result.model == settings.default_model
    assert result.oversized == []


def test_requests_follow_the_settings_and_the_key_goes_only_to_the_api(start_fake: StartFake, job: JobKind) -> None:
    fake = start_fake()
    settings = job.settings
    # The default model's family decides the fields and the sizes (settings.yaml's families).
    found = settings.family_for(settings.default_model)
    fields = found[1].body_fields if found else settings.submit.body_fields
    size = found[1].sizes[0] if found and found[1].sizes else "1024x1024"
    run_job(fake, job, **({"size": size} if "size" in fields else {}))
    (submit,) = fake.requests_of("submit")
    assert find_all(json_view(submit.body), fields["prompt"]) == [PROMPT]
    if "model" in fields:
        assert find_all(json_view(submit.body), fields["model"]) == [settings.default_model]
    if isinstance(fields.get("size"), list):  # width and height, as integers
        width, height = (find_all(json_view(submit.body), path) for path in fields["size"])
        assert f"{width[0]}x{height[0]}" == size
    elif "size" in fields:
        written = size.replace("x", settings.submit.size_separator) if re.fullmatch(r"\d+x\d+", size) else size
        assert find_all(json_view(submit.body), fields["size"]) == [written]
    for path, value in settings.submit.body_extra.items():
        assert find_all(json_view(submit.body), path) == [value]
    for name, value in settings.submit.headers.items():
        assert header(submit.headers, name) == value
    api_requests = fake.requests_of("submit") + fake.requests_of("poll")
    # The key as given, or (a signed-token API) a token the fake verifies with the secret.
    assert all(fake.accepts(request.headers) for request in api_requests)
    if settings.auth.kind == "api_key":
        assert {header(request.headers, settings.auth_header) for request in api_requests} == {
            f"{settings.auth_scheme} {fake.api_key}".strip()
        }
    for poll in fake.requests_of("poll"):
        for name, value in settings.poll.headers.items():
            assert header(poll.headers, name) == value
    # Result URLs are third-party (CDN) links: the key must never be sent there.
    for download in fake.requests_of("file"):
        assert header(download.headers, settings.auth_header) is None
    assert len(fake.requests_of("file")) == (1 if job.url_results else 0)


def test_integer_fields_are_the_integers_the_tool_yaml_declares(job: JobKind) -> None:
    """settings.yaml's submit.integer_fields and the tool YAML are rendered from one catalog entry per parameter."""
    declared = parameters_of(job.tool)
    numbers = {name for name, item in declared.items() if item["type"] == "number" and item.get("precision") == 0}
    whole_options = {  # a select of whole numbers (duration): Dify hands its option over as text
        name
        for name, item in declared.items()
        if item["type"] == "select" and item.get("options") and all(str(o["value"]).isdigit() for o in item["options"])
    }
    fields = job.settings.submit.body_fields
    integer_fields = set(job.settings.submit.integer_fields)
    # A select of whole numbers is sent as an integer unless its API takes the option's text (fal's Kling "5").
    assert numbers & set(fields) <= integer_fields <= (numbers | whole_options) & set(fields)
    as_text = (whole_options & set(fields)) - integer_fields
    if as_text:
        settings = dataclasses.replace(job.settings, families={})
        client = JobClient(settings, "unused-key", closed_port_url())
        body, _ = client.build_body(job.parameters(**dict.fromkeys(as_text, "5")))
        for name in as_text:  # the JSON body itself: json_view would read "5" as a number
            assert find_all(body, settings.submit.body_fields[name]) == ["5"], name


def test_a_direct_caller_gets_integer_fields_sent_as_integers(job: JobKind) -> None:
    """JobClient used without the tool glue (scripts, the contract tests): 1.0 and "1" still go out as 1."""
    settings = dataclasses.replace(job.settings, families={})  # the model's family checks values: not this case
    client = JobClient(settings, "unused-key", closed_port_url())
    integer_fields, suffixes = settings.submit.integer_fields, settings.submit.value_suffixes
    for given in (1.0, "1", " 1 "):
        body, _ = client.build_body(job.parameters(**dict.fromkeys(integer_fields, given)))
        for name in integer_fields:
            (sent,) = find_all(json_view(body), settings.submit.body_fields[name])
            if name in suffixes:  # the whole number with the unit the API wants in it (Luma's duration "1s")
                assert sent == f"1{suffixes[name]}", (name, given)
            else:
                assert sent == 1 and type(sent) is int, (name, given)
    body, _ = client.build_body(job.parameters(**dict.fromkeys(integer_fields, 1.5)))
    for name in integer_fields:  # not a whole number: left as it is (the tool glue refuses it before this)
        expected = f"1.5{suffixes[name]}" if name in suffixes else 1.5
        assert find_all(json_view(body), settings.submit.body_fields[name]) == [expected]


def test_two_results_come_back_in_order_with_distinct_names(start_fake: StartFake, job: JobKind) -> None:
    if "n" not in job.settings.submit.body_fields:
        pytest.skip(f"{job.tool}: settings.yaml sends no 'n' (submit.body_fields)")
    fake = start_fake()
    result = run_job(fake, job, n=2.0)  # Dify sends numbers as floats
    (job_served,) = fake.jobs
    (sent_n,) = find_all(json_view(job_served.body), job.settings.submit.body_fields["n"])
    assert sent_n == 2 and isinstance(sent_n, int)
    assert [media.data for media in result.files] == job_served.images
    assert job_served.images[0] != job_served.images[1]
    assert [media.filename.rsplit("-", 1)[1] for media in result.files] == [f"1.{job.extension}", f"2.{job.extension}"]


# ── the provider says no ───────────────────────────────────────────────────────
def test_failed_task_raises_with_the_providers_reason(start_fake: StartFake, job: JobKind) -> None:
    fake = start_fake(outcome="failed")
    error = job_error(fake, job, TaskFailedError if job.is_async else ProviderHttpError)
    assert fake.scenario.failure_reason in str(error)
    if job.is_async:
        assert fake.jobs[0].id in str(error)
        assert job.settings.poll.failure[0] in str(error)


def test_rejected_key_says_invalid_and_never_repeats_the_key(start_fake: StartFake, job: JobKind) -> None:
    fake = start_fake()
    wrong_key = f"{job.settings.api_key_prefix}wrong-key-9876543210"
    with pytest.raises(InvalidApiKeyError) as caught:
        JobClient(fake.settings, fake.with_secret(wrong_key), fake.base_url).generate(job.parameters())
    message = str(caught.value)
    assert KEY_IS_INVALID in message and REFUSED_KEY in message
    # The fake echoes the refused token in its error body, as real APIs do; the plugin must redact it.
    assert "Invalid API key or token" in message
    (submit,) = fake.requests_of("submit")
    sent = header(submit.headers, fake.settings.auth_header) or ""
    assert wrong_key not in message and sent.split()[-1] not in message
    assert all(fake.credentials[name] not in message for name in fake.settings.auth.fields)
    assert len(fake.requests_of("submit")) == 1 and fake.jobs == []


def test_key_without_the_expected_prefix_is_refused_before_any_request(start_fake: StartFake, job: JobKind) -> None:
    prefix = job.settings.api_key_prefix
    if not prefix:
        pytest.skip("settings.yaml names no api_key_prefix")
    fake = start_fake()
    with pytest.raises(InvalidApiKeyError, match=f"start with '{prefix}'"):
        JobClient(fake.settings, "not-a-real-key", fake.base_url).generate(job.parameters())
    assert fake.requests == []


def test_empty_prompt_is_refused_before_any_request(start_fake: StartFake, job: JobKind) -> None:
    fake = start_fake()
    with pytest.raises(PluginError, match="prompt is empty"):
        JobClient(fake.settings, fake.credentials, fake.base_url).generate(job.parameters(prompt="  "))
    assert fake.requests == []


# ── throttling and transient errors ────────────────────────────────────────────
def test_rate_limited_submit_waits_for_retry_after_then_succeeds(
    start_fake: StartFake, job: JobKind, clock: VirtualClock
) -> None:
    # Obeying the header (0.5 s) is told apart from the client's own first backoff step (1 s).
    fake = start_fake(submit_replies=[Reply(429, headers={"Retry-After": str(RETRY_AFTER)})], clock=clock)
    result = run_job(fake, job, clock=clock)
    first, second = fake.requests_of("submit")
    assert second.at - first.at == pytest.approx(RETRY_AFTER)  # on the virtual clock: exactly the header's wait
    (job_served,) = fake.jobs  # the refused submit started nothing, the retry started exactly one job
    assert [media.data for media in result.files] == job_served.images


def test_unavailable_submit_with_a_garbled_retry_after_backs_off_then_succeeds(
    start_fake: StartFake, job: JobKind, clock: VirtualClock
) -> None:
    fake = start_fake(submit_replies=[Reply(503, headers={"Retry-After": "soon-ish"})], clock=clock)
    result = run_job(fake, job, clock=clock)
    first, second = fake.requests_of("submit")
    assert second.at - first.at == pytest.approx(FIRST_BACKOFF)
    (job_served,) = fake.jobs
    assert [media.data for media in result.files] == job_served.images


def test_submit_failing_three_times_gives_up_with_the_status(start_fake: StartFake, job: JobKind) -> None:
    fake = start_fake(submit_replies=[Reply(503, headers={"Retry-After": "0.1"})] * 3)
    error = job_error(fake, job, ProviderHttpError)
    assert "HTTP 503" in str(error) and "scripted by the fake provider" in str(error)
    assert len(fake.requests_of("submit")) == 3 and fake.jobs == []


def test_submit_rate_limited_three_times_says_retry_later(start_fake: StartFake, job: JobKind) -> None:
    fake = start_fake(submit_replies=[Reply(429, headers={"Retry-After": "0.1"})] * 3)
    message = str(job_error(fake, job, RateLimitedError))
    assert "rate limiting" in message and "HTTP 429" in message and "Retry later" in message
    assert len(fake.requests_of("submit")) == 3 and fake.jobs == []


def test_rate_limited_poll_waits_for_retry_after_then_succeeds(
    start_fake: StartFake, job: JobKind, clock: VirtualClock
) -> None:
    job.skip_unless_async()
    fake = start_fake(poll_replies=[Reply(429, headers={"Retry-After": str(RETRY_AFTER)})], clock=clock)
    result = run_job(fake, job, clock=clock)
    first, second = fake.requests_of("poll")[:2]
    assert second.at - first.at == pytest.approx(RETRY_AFTER)
    assert [media.data for media in result.files] == fake.jobs[0].images


def test_unavailable_poll_is_retried_then_succeeds(start_fake: StartFake, job: JobKind) -> None:
    job.skip_unless_async()
    fake = start_fake(poll_replies=[Reply(503, headers={"Retry-After": "0.2"})])
    result = run_job(fake, job)
    assert len(fake.requests_of("poll")) == 2
    assert [media.data for media in result.files] == fake.jobs[0].images


# ── answers the settings do not describe ───────────────────────────────────────
def test_submit_answering_html_is_a_clear_error(start_fake: StartFake, job: JobKind) -> None:
    fake = start_fake(submit_replies=[Reply.html()])
    message = str(job_error(fake, job, BadResponseError))
    assert "text/html" in message and "instead of JSON" in message and fake.base_url in message


def test_poll_answering_html_is_a_clear_error(start_fake: StartFake, job: JobKind) -> None:
    job.skip_unless_async()
    fake = start_fake(poll_replies=[Reply.html()])
    message = str(job_error(fake, job, BadResponseError))
    assert "answered the status response with text/html" in message and "instead of JSON" in message
    assert "Please sign in" in message  # a snippet of what came back helps to see it is a login page


def test_missing_task_id_is_a_clear_error(start_fake: StartFake, job: JobKind) -> None:
    job.skip_unless_async()
    fake = start_fake(omit_task_id=True)
    message = str(job_error(fake, job, BadResponseError))
    # Where the answer names its own status URL (fal, BFL, Replicate), that URL may be what the client misses.
    assert "returned no task id" in message or "gave no URL" in message
    named = (job.settings.submit.task_id_field, job.settings.submit.poll_url_field)
    assert any(f"'{field}'" in message for field in named if field), message
    assert fake.requests_of("poll") == []


def test_success_without_results_says_where_it_looked(start_fake: StartFake, job: JobKind) -> None:
    fake = start_fake(outcome="empty")
    message = str(job_error(fake, job, NoResultsError))
    assert f"no result at '{job.settings.result.field}'" in message
    if job.is_async:
        assert f"task {fake.jobs[0].id} succeeded" in message


def test_result_url_answering_404_names_the_status_and_host(start_fake: StartFake, job: JobKind) -> None:
    job.skip_unless_url_results()
    fake = start_fake(image_status=404)
    message = str(job_error(fake, job, ResultDownloadError))
    assert "Could not download result 1 of 1: HTTP 404 from 127.0.0.1" in message


def test_result_over_the_cap_is_a_link_or_a_clear_error(
    start_fake: StartFake, quick_settings: Settings, job: JobKind
) -> None:
    cap = 50_000
    settings = dataclasses.replace(quick_settings, result=dataclasses.replace(quick_settings.result, max_bytes=cap))
    fake = start_fake(image_bytes=job.sample(min_size=cap + 1), settings=settings)
    if not job.url_results:
        message = str(job_error(fake, job, ResultDownloadError))
        assert "above the 0.05 MB cap" in message and "no URL to link" in message
        return
    result = run_job(fake, job)
    assert result.files == []
    (link,) = result.oversized
    assert link.url == f"{fake.origin}/files/{fake.jobs[0].file_names[0]}"
    assert "\n" not in link.reason
    assert link.reason.startswith("Result 1 is larger than the 0.05 MB file cap")
    assert link.reason.endswith("returned as a link instead.")


@pytest.mark.parametrize("transfer", ["plain", "gzip", "unknown_length"])
def test_result_bytes_are_exact_however_the_file_is_sent(start_fake: StartFake, job: JobKind, transfer: str) -> None:
    """Content-Length (read in one go), gzip (decoded) or no length (streamed until the server closes)."""
    job.skip_unless_url_results()
    fake = start_fake(file_transfer=transfer)
    (media,) = run_job(fake, job).files
    assert media.data == fake.jobs[0].images[0]
    assert media.mime_type == job.mime_type


def test_result_cut_off_mid_download_is_a_clear_error(start_fake: StartFake, job: JobKind) -> None:
    job.skip_unless_url_results()
    fake = start_fake(file_transfer="truncated")
    message = str(job_error(fake, job, ResultDownloadError))
    assert message.startswith("Could not download result 1 of 1 from 127.0.0.1:")
    assert "the connection closed before the whole file arrived." in message


def test_result_of_unknown_length_over_the_cap_stops_downloading(
    start_fake: StartFake, quick_settings: Settings, job: JobKind
) -> None:
    job.skip_unless_url_results()
    cap = 50_000
    settings = dataclasses.replace(quick_settings, result=dataclasses.replace(quick_settings.result, max_bytes=cap))
    fake = start_fake(image_bytes=job.sample(min_size=4 * cap), settings=settings, file_transfer="unknown_length")
    result = run_job(fake, job)
    assert result.files == []
    (link,) = result.oversized
    assert "over 0.05 MB" in link.reason


# ── time and network ───────────────────────────────────────────────────────────
def test_job_that_never_finishes_ends_at_max_wait(
    start_fake: StartFake, settings: Settings, job: JobKind, clock: VirtualClock
) -> None:
    if not job.is_async:
        job.skip_if_timed_elsewhere()  # a synchronous call really waits for its read timeout
    short = dataclasses.replace(settings, max_wait=2.0)  # the real polling schedule, a short budget
    fake = start_fake(outcome="never", settings=short, clock=clock)
    started = clock.now
    error = job_error(fake, job, JobTimeoutError if job.is_async else CannotReachError, settings=short, clock=clock)
    if job.is_async:
        assert clock.now - started == pytest.approx(2.0)  # gave up exactly at max_wait, not before, not after
        assert len(fake.requests_of("poll")) == sum(at < 2.0 for at in scheduled_polls(short, 2.0))
        assert f"task {fake.jobs[0].id} did not finish within 2 s (max_wait 2 s)" in str(error)
    else:
        assert "did not answer the submit request in time" in str(error)
        assert len(fake.requests_of("submit")) == 1  # a job that may be running is never submitted twice


def test_connection_refused_says_cannot_reach_the_host(settings: Settings, job: JobKind) -> None:
    url = closed_port_url()
    any_keys = {name: f"{settings.api_key_prefix}any-key" for name in settings.auth.fields}
    client = JobClient(settings, any_keys, url)
    with pytest.raises(CannotReachError) as caught:
        client.generate(job.parameters())
    assert f"Cannot reach {url.removeprefix('http://')}" in str(caught.value)


@pytest.mark.parametrize("job_seconds", [3.0, 8.0, 20.0, 60.0])
def test_polling_follows_the_settings_schedule(
    start_fake: StartFake, job: JobKind, clock: VirtualClock, job_seconds: float
) -> None:
    """The issue's job lengths on the rendered schedule: which status requests go out, and when the result comes."""
    job.skip_unless_async()
    settings = job.settings  # the real schedule, replayed on the virtual clock in milliseconds
    if job_seconds >= settings.max_wait:
        pytest.skip(f"{job.tool}: a {job_seconds:g} s job is beyond max_wait ({settings.max_wait:g} s)")
    fake = start_fake(job_seconds=job_seconds, settings=settings, clock=clock)
    started = clock.now
    result = run_job(fake, job, settings, clock)
    expected = scheduled_polls(settings, until=job_seconds)
    (submit,) = fake.requests_of("submit")
    polls = [request.at - submit.at for request in fake.requests_of("poll")]
    assert polls == pytest.approx(expected)  # first after first_delay, then next_poll_delay(waited) apart
    assert result.status_requests == len(expected)
    # The result arrives with the first status request after the job ends: never early, at most one interval late.
    assert clock.now - started == pytest.approx(expected[-1])
    assert 0 <= clock.now - started - job_seconds <= settings.poll.interval
    assert [media.data for media in result.files] == fake.jobs[0].images


def test_whole_schedule_of_a_job_that_never_ends_on_a_virtual_clock(
    start_fake: StartFake, job: JobKind, clock: VirtualClock
) -> None:
    job.skip_unless_async()
    settings = job.settings  # the real schedule and the real max_wait, replayed in milliseconds
    poll = settings.poll
    fake = start_fake(outcome="never", settings=settings)
    client = JobClient(settings, fake.credentials, fake.base_url, clock=clock, sleep=clock.sleep)
    started = clock.now
    with pytest.raises(JobTimeoutError) as caught:
        client.generate(job.parameters())
    assert f"did not finish within {settings.max_wait:.0f} s" in str(caught.value)
    *gaps, last = clock.sleeps
    assert clock.now - started == pytest.approx(settings.max_wait)  # gave up exactly at max_wait, not before
    assert len(fake.requests_of("poll")) == len(gaps)  # one status request after each full gap
    assert gaps[0] == min(poll.first_delay, poll.interval)
    waited = 0.0
    for index, gap in enumerate(gaps):
        waited += gap
        if index + 1 < len(gaps):
            assert gaps[index + 1] == pytest.approx(documented_gap(settings, waited))
    assert gaps == sorted(gaps) and max(gaps) <= poll.interval  # grows, never beyond the interval
    if 0.1 * sum(gaps[:-1]) >= poll.interval:  # long enough to reach the cap: it stays there
        assert gaps[-1] == pytest.approx(poll.interval)
    assert 0 <= last <= poll.interval  # the final sleep only runs out the budget
