"""The job client against a fake provider over real HTTP, without Dify.

Strategy: each test starts scripts/fake_provider.py (built from this plugin's settings.yaml) with one scripted
behaviour (success, a failed task, throttling, broken answers, a job that never ends...), runs one job through
JobClient on 127.0.0.1, and asserts the exact outcome: the bytes, the exception type and its message, and what
the fake received and when. Polling is sped up through dataclasses.replace on the settings, except in the tests
whose subject is timing. Cases that need a task (async) or result URLs skip themselves on other renderings.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import pytest
from fake_provider import FakeProvider, Reply, sample_jpeg
from support import (
    IS_ASYNC,
    PROMPT,
    SETTINGS,
    URL_RESULTS,
    StartFake,
    closed_port_url,
    dify_parameters,
    requires_async,
    requires_body_field,
    requires_url_results,
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
    ResultDownloadError,
    TaskFailedError,
)
from job_client.paths import find_all
from job_client.settings import Settings

# Timing tolerance: a loaded CI machine adds latency, never removes it.
SLACK = 0.4


def run_job(fake: FakeProvider, settings: Settings | None = None, **parameters: Any) -> JobResult:
    client = JobClient(settings or fake.settings, fake.api_key, fake.base_url)
    return client.generate(dify_parameters(**parameters))


def job_error(fake: FakeProvider, expected: type[PluginError], settings: Settings | None = None) -> PluginError:
    with pytest.raises(expected) as caught:
        run_job(fake, settings)
    return caught.value


def header(request_headers: dict[str, str], name: str) -> str | None:
    return next((value for key, value in request_headers.items() if key.lower() == name.lower()), None)


# ── success ────────────────────────────────────────────────────────────────────
def test_success_returns_the_served_bytes_as_a_named_jpeg(start_fake: StartFake) -> None:
    fake = start_fake()
    result = run_job(fake)
    (job,) = fake.jobs
    (media,) = result.files
    assert media.data == job.images[0]
    assert media.mime_type == "image/jpeg"
    assert media.filename == f"{SETTINGS.file_prefix}-{job.id if IS_ASYNC else 'result'}-1.jpg"
    assert result.task_id == (job.id if IS_ASYNC else None)
    assert result.model == SETTINGS.default_model
    assert result.oversized == []


def test_requests_follow_the_settings_and_the_key_goes_only_to_the_api(start_fake: StartFake) -> None:
    fake = start_fake()
    run_job(fake, size="1024x1024")
    fields = SETTINGS.submit.body_fields
    (submit,) = fake.requests_of("submit")
    assert find_all(submit.body, fields["prompt"]) == [PROMPT]
    assert find_all(submit.body, fields["model"]) == [SETTINGS.default_model]
    if "size" in fields:
        assert find_all(submit.body, fields["size"]) == [f"1024{SETTINGS.submit.size_separator}1024"]
    for name, value in SETTINGS.submit.headers.items():
        assert header(submit.headers, name) == value
    api_requests = fake.requests_of("submit") + fake.requests_of("poll")
    assert {header(request.headers, SETTINGS.auth_header) for request in api_requests} == {
        f"{SETTINGS.auth_scheme} {fake.api_key}".strip()
    }
    for poll in fake.requests_of("poll"):
        for name, value in SETTINGS.poll.headers.items():
            assert header(poll.headers, name) == value
    # Result URLs are third-party (CDN) links: the key must never be sent there.
    for download in fake.requests_of("file"):
        assert header(download.headers, SETTINGS.auth_header) is None
    assert len(fake.requests_of("file")) == (1 if URL_RESULTS else 0)


@requires_body_field("n")
def test_two_images_come_back_in_order_with_distinct_names(start_fake: StartFake) -> None:
    fake = start_fake()
    result = run_job(fake, n=2.0)  # Dify sends numbers as floats
    (job,) = fake.jobs
    (sent_n,) = find_all(job.body, SETTINGS.submit.body_fields["n"])
    assert sent_n == 2 and isinstance(sent_n, int)
    assert [media.data for media in result.files] == job.images
    assert job.images[0] != job.images[1]
    assert [media.filename.rsplit("-", 1)[1] for media in result.files] == ["1.jpg", "2.jpg"]


# ── the provider says no ───────────────────────────────────────────────────────
def test_failed_task_raises_with_the_providers_reason(start_fake: StartFake) -> None:
    fake = start_fake(outcome="failed")
    error = job_error(fake, TaskFailedError if IS_ASYNC else ProviderHttpError)
    assert fake.scenario.failure_reason in str(error)
    if IS_ASYNC:
        assert fake.jobs[0].id in str(error)
        assert SETTINGS.poll.failure[0] in str(error)


def test_rejected_key_says_invalid_and_never_repeats_the_key(start_fake: StartFake) -> None:
    fake = start_fake()
    wrong_key = f"{SETTINGS.api_key_prefix}wrong-key-9876543210"
    with pytest.raises(InvalidApiKeyError) as caught:
        JobClient(fake.settings, wrong_key, fake.base_url).generate(dify_parameters())
    message = str(caught.value)
    assert "API key is invalid" in message and "HTTP 401" in message
    # The fake echoes the refused token in its error body, as real APIs do; the plugin must redact it.
    assert "Invalid API key or token" in message
    assert wrong_key not in message
    assert len(fake.requests_of("submit")) == 1 and fake.jobs == []


def test_key_without_the_expected_prefix_is_refused_before_any_request(start_fake: StartFake) -> None:
    if not SETTINGS.api_key_prefix:
        pytest.skip("settings.yaml names no api_key_prefix")
    fake = start_fake()
    with pytest.raises(InvalidApiKeyError, match=f"start with '{SETTINGS.api_key_prefix}'"):
        JobClient(fake.settings, "not-a-real-key", fake.base_url).generate(dify_parameters())
    assert fake.requests == []


def test_empty_prompt_is_refused_before_any_request(start_fake: StartFake) -> None:
    fake = start_fake()
    with pytest.raises(PluginError, match="prompt is empty"):
        JobClient(fake.settings, fake.api_key, fake.base_url).generate(dify_parameters(prompt="  "))
    assert fake.requests == []


# ── throttling and transient errors ────────────────────────────────────────────
def test_rate_limited_submit_waits_for_retry_after_then_succeeds(start_fake: StartFake) -> None:
    # 2 s, so that obeying the header is told apart from the client's own first backoff step (1 s).
    fake = start_fake(submit_replies=[Reply(429, headers={"Retry-After": "2"})])
    result = run_job(fake)
    first, second = fake.requests_of("submit")
    assert 2.0 <= second.at - first.at < 2.0 + SLACK
    (job,) = fake.jobs  # the refused submit started nothing, the retry started exactly one job
    assert [media.data for media in result.files] == job.images


def test_unavailable_submit_with_a_garbled_retry_after_backs_off_then_succeeds(start_fake: StartFake) -> None:
    fake = start_fake(submit_replies=[Reply(503, headers={"Retry-After": "soon-ish"})])
    result = run_job(fake)
    first, second = fake.requests_of("submit")
    assert 1.0 - 0.1 <= second.at - first.at < 1.0 + SLACK  # the client's own first backoff step is 1 s
    (job,) = fake.jobs
    assert [media.data for media in result.files] == job.images


def test_submit_failing_three_times_gives_up_with_the_status(start_fake: StartFake) -> None:
    fake = start_fake(submit_replies=[Reply(503, headers={"Retry-After": "0.1"})] * 3)
    error = job_error(fake, ProviderHttpError)
    assert "HTTP 503" in str(error) and "scripted by the fake provider" in str(error)
    assert len(fake.requests_of("submit")) == 3 and fake.jobs == []


@requires_async
def test_rate_limited_poll_waits_for_retry_after_then_succeeds(start_fake: StartFake) -> None:
    fake = start_fake(poll_replies=[Reply(429, headers={"Retry-After": "2"})])
    result = run_job(fake)
    first, second = fake.requests_of("poll")[:2]
    assert 2.0 <= second.at - first.at < 2.0 + SLACK
    assert [media.data for media in result.files] == fake.jobs[0].images


@requires_async
def test_unavailable_poll_is_retried_then_succeeds(start_fake: StartFake) -> None:
    fake = start_fake(poll_replies=[Reply(503, headers={"Retry-After": "0.2"})])
    result = run_job(fake)
    assert len(fake.requests_of("poll")) == 2
    assert [media.data for media in result.files] == fake.jobs[0].images


# ── answers the settings do not describe ───────────────────────────────────────
def test_submit_answering_html_is_a_clear_error(start_fake: StartFake) -> None:
    fake = start_fake(submit_replies=[Reply.html()])
    message = str(job_error(fake, BadResponseError))
    assert "text/html" in message and "instead of JSON" in message and fake.base_url in message


@requires_async
def test_poll_answering_html_is_a_clear_error(start_fake: StartFake) -> None:
    fake = start_fake(poll_replies=[Reply.html()])
    message = str(job_error(fake, BadResponseError))
    assert "answered the status response with text/html" in message and "instead of JSON" in message
    assert "Please sign in" in message  # a snippet of what came back helps to see it is a login page


@requires_async
def test_missing_task_id_is_a_clear_error(start_fake: StartFake) -> None:
    fake = start_fake(omit_task_id=True)
    message = str(job_error(fake, BadResponseError))
    assert "returned no task id" in message
    assert f"'{SETTINGS.submit.task_id_field}'" in message
    assert fake.requests_of("poll") == []


def test_success_without_images_says_where_it_looked(start_fake: StartFake) -> None:
    fake = start_fake(outcome="empty")
    message = str(job_error(fake, NoResultsError))
    assert f"no result at '{SETTINGS.result.field}'" in message
    if IS_ASYNC:
        assert f"task {fake.jobs[0].id} succeeded" in message


@requires_url_results
def test_result_url_answering_404_names_the_status_and_host(start_fake: StartFake) -> None:
    fake = start_fake(image_status=404)
    message = str(job_error(fake, ResultDownloadError))
    assert "Could not download result 1 of 1: HTTP 404 from 127.0.0.1" in message


def test_result_over_the_cap_is_a_link_or_a_clear_error(start_fake: StartFake, quick_settings: Settings) -> None:
    cap = 50_000
    settings = dataclasses.replace(quick_settings, result=dataclasses.replace(quick_settings.result, max_bytes=cap))
    fake = start_fake(image_bytes=sample_jpeg(min_size=cap + 1), settings=settings)
    if not URL_RESULTS:
        message = str(job_error(fake, ResultDownloadError))
        assert "above the 0.05 MB cap" in message and "no URL to link" in message
        return
    result = run_job(fake)
    assert result.files == []
    (link,) = result.oversized
    assert link.url == f"{fake.origin}/files/{fake.jobs[0].file_names[0]}"
    assert "\n" not in link.reason
    assert link.reason.startswith("Result 1 is larger than the 0.05 MB file cap")
    assert link.reason.endswith("returned as a link instead.")


# ── time and network ───────────────────────────────────────────────────────────
def test_job_that_never_finishes_ends_at_max_wait(start_fake: StartFake, settings: Settings) -> None:
    short = dataclasses.replace(settings, max_wait=2.0)  # the real polling schedule, a short budget
    fake = start_fake(outcome="never", settings=short)
    started = time.monotonic()
    error = job_error(fake, JobTimeoutError if IS_ASYNC else CannotReachError, settings=short)
    waited = time.monotonic() - started
    assert 2.0 - 0.1 <= waited < 2.0 + SLACK
    if IS_ASYNC:
        assert f"task {fake.jobs[0].id} did not finish within 2 s (max_wait 2 s)" in str(error)
    else:
        assert "did not answer the submit request in time" in str(error)
        assert len(fake.requests_of("submit")) == 1  # a job that may be running is never submitted twice


def test_connection_refused_says_cannot_reach_the_host(settings: Settings) -> None:
    url = closed_port_url()
    client = JobClient(settings, f"{settings.api_key_prefix}any-key", url)
    with pytest.raises(CannotReachError) as caught:
        client.generate(dify_parameters())
    assert f"Cannot reach {url.removeprefix('http://')}" in str(caught.value)


@requires_async
def test_polling_follows_the_settings_schedule(start_fake: StartFake, settings: Settings) -> None:
    job_seconds = 2.0
    fake = start_fake(job_seconds=job_seconds, settings=settings)
    client = JobClient(settings, fake.api_key, fake.base_url)
    result = client.generate(dify_parameters())
    (submit,) = fake.requests_of("submit")
    polls = [request.at - submit.at for request in fake.requests_of("poll")]
    assert polls[0] == pytest.approx(min(settings.poll.first_delay, settings.poll.interval), abs=0.25)
    for previous, current in zip(polls, polls[1:], strict=False):
        assert current - previous == pytest.approx(client.next_poll_delay(previous), abs=0.25)
    # Polling stops at the first answer after the job is done.
    assert [at >= job_seconds for at in polls] == [False] * (len(polls) - 1) + [True]
    assert result.status_requests == len(polls)
