"""The client's smaller rules and its exact words, in every rendering: what a mutation run found untested.

Strategy: as in test_api_vocabulary.py, each case derives its settings from this rendering's own (a synchronous
API with base64 results, an asynchronous one with URL results, or a binary answer), starts the fake provider
built from them and runs the client over real HTTP on 127.0.0.1; waits are replayed on a VirtualClock. Messages
are compared whole, in English and in Chinese, against text written here: the user reads them in Dify, so a
changed word is a change to review, and a message that lost its Chinese half fails here.
"""

from __future__ import annotations

import base64
import dataclasses
import email.utils
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from fake_provider import ITEM_FAILURE_CODE, RESULT_URL_PATH, FakeProvider, Reply, Scenario
from support import PROMPT, VirtualClock, closed_port_url
from test_api_vocabulary import async_variant, sync_variant

from job_client import JobClient
from job_client.errors import (
    BadResponseError,
    CannotReachError,
    InvalidApiKeyError,
    NoResultsError,
    PluginError,
    ProviderHttpError,
    RateLimitedError,
    ResultDownloadError,
    TaskFailedError,
)
from job_client.settings import Settings

# Where the tests' error bodies put their messages, whatever this rendering's preset reads.
ERROR_FIELDS = ("errors.message", "error.message", "message")
ASYNC = dataclasses.replace(
    async_variant(poll_url_field="", result_url_field=""), error_fields=ERROR_FIELDS
)  # status at poll.path, results in the answer
SYNC = dataclasses.replace(sync_variant(), error_fields=ERROR_FIELDS)
BINARY = dataclasses.replace(SYNC, result=dataclasses.replace(SYNC.result, field="", kind="binary"))


@pytest.fixture
def fakes() -> Iterator[Any]:
    started: list[FakeProvider] = []

    def _start(settings: Settings, clock: VirtualClock | None = None, **scenario: Any) -> FakeProvider:
        timing: dict[str, Any] = {"clock": clock, "sleep": clock.sleep} if clock else {}
        fake = FakeProvider(settings, Scenario(**{"media": "image", **scenario}), **timing).start()
        started.append(fake)
        return fake

    yield _start
    for fake in started:
        fake.stop()


def client_for(fake: FakeProvider, clock: VirtualClock | None = None, settings: Settings | None = None) -> JobClient:
    timing: dict[str, Any] = {"clock": clock, "sleep": clock.sleep} if clock else {}
    return JobClient(settings or fake.settings, fake.credentials, fake.base_url, **timing)


def failure(fake: FakeProvider, clock: VirtualClock | None = None, **parameters: Any) -> PluginError:
    with pytest.raises(PluginError) as caught:
        client_for(fake, clock).generate({"prompt": PROMPT, **parameters})
    return caught.value


def words(error: PluginError) -> tuple[type, str, str]:
    return type(error), error.english, error.chinese


LABEL = ASYNC.provider_label
SCRIPTED = "HTTP {status} (scripted by the fake provider)"


# ── HTTP errors, whole ─────────────────────────────────────────────────────────
@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (
            401,
            (
                InvalidApiKeyError,
                f"{LABEL} says the API key is invalid (HTTP 401 while submitting the job): {{detail}}. "
                "Check the API key.",
                f"提交任务时 {LABEL} 认为 API Key 无效（HTTP 401）：{{detail}}。请检查 API Key。",
            ),
        ),
        (
            403,
            (
                InvalidApiKeyError,
                f"{LABEL} refused the request (HTTP 403 while submitting the job): {{detail}}. Check that the API key "
                "is valid and allowed to use this model.",
                f"提交任务时 {LABEL} 拒绝了请求（HTTP 403）：{{detail}}。请检查 API Key 是否有效、是否有权使用该模型。",
            ),
        ),
        (
            429,
            (
                RateLimitedError,
                f"{LABEL} is rate limiting this key (HTTP 429) while submitting the job: {{detail}}. Retry later.",
                f"提交任务时 {LABEL} 触发限流（HTTP 429）：{{detail}}。请稍后重试。",
            ),
        ),
        (
            400,
            (
                ProviderHttpError,
                f"{LABEL} returned HTTP 400 while submitting the job: {{detail}}",
                f"提交任务时 {LABEL} 返回 HTTP 400：{{detail}}",
            ),
        ),
    ],
    ids=["401", "403", "429", "400"],
)
def test_an_http_error_says_what_was_refused_in_both_languages(
    fakes: Any, status: int, expected: tuple[type, str, str]
) -> None:
    clock = VirtualClock()  # a refused submit (429) is retried twice after back-off waits: no real sleep
    fake = fakes(ASYNC, clock, submit_replies=[Reply(status)] * 3)
    detail = SCRIPTED.format(status=status)
    kind, english, chinese = expected
    assert words(failure(fake, clock)) == (kind, english.format(detail=detail), chinese.format(detail=detail))


def test_an_error_without_a_message_field_quotes_the_body(fakes: Any) -> None:
    fake = fakes(ASYNC, submit_replies=[Reply(400, "Bad   request\nbody")])
    assert failure(fake).english == f"{LABEL} returned HTTP 400 while submitting the job: Bad request body"


def test_a_long_answer_is_cut_at_300_characters_and_the_key_is_never_repeated(fakes: Any) -> None:
    key = f"{ASYNC.api_key_prefix}fake-key-0123456789"  # the key the fake accepts, echoed in its answer
    for body, shown in [("x" * 300, "x" * 300), ("y" * 301, "y" * 300 + "…"), (f"key {key}", "key ***")]:
        error = failure(fakes(ASYNC, submit_replies=[Reply(200, body)]))
        assert error.english.endswith(f"): {shown}") and error.chinese.endswith(f"）：{shown}"), body


def test_an_answer_that_is_not_json_names_the_type_status_and_base_url(fakes: Any) -> None:
    fake = fakes(ASYNC, submit_replies=[Reply(200, "plain words")])
    base = fake.base_url
    assert words(failure(fake)) == (
        BadResponseError,
        f"{LABEL} answered the submit response with text/plain; charset=utf-8 instead of JSON (HTTP 200; check the "
        f"base URL {base}): plain words",
        f"{LABEL} 的提交任务的响应不是 JSON（text/plain; charset=utf-8，HTTP 200；"
        f"请检查 Base URL {base}）：plain words",
    )


def test_a_host_that_cannot_be_reached_is_named(fakes: Any) -> None:
    url = closed_port_url()
    with pytest.raises(CannotReachError) as caught:
        JobClient(ASYNC, f"{ASYNC.api_key_prefix}key", url).generate({"prompt": PROMPT})
    host = url.removeprefix("http://")
    assert words(caught.value) == (
        CannotReachError,
        f"Cannot reach {host} (ConnectionError). Check the base URL and the network.",
        f"无法连接 {host}（ConnectionError）。请检查 Base URL 和网络。",
    )


# ── the deadline's words ───────────────────────────────────────────────────────
def test_the_timeout_error_names_the_task_max_wait_and_what_was_under_way(fakes: Any) -> None:
    clock = VirtualClock()
    settings = dataclasses.replace(ASYNC, max_wait=20.0, request_timeout=10.0)
    fake = fakes(settings, clock, poll_replies=[Reply(503, headers={"Retry-After": "30"})])
    with pytest.raises(PluginError) as caught:
        client_for(fake, clock).generate({"prompt": PROMPT})
    task = fake.jobs[0].id
    assert (caught.value.english, caught.value.chinese) == (
        f"{LABEL} task {task} did not finish within 20 s (max_wait 20 s). Retry later.",
        f"{LABEL} 任务 {task} 在 20 秒内未完成（max_wait 20 秒）。请稍后重试。",
    )


def test_a_call_that_runs_out_before_any_task_says_so_without_a_task(fakes: Any) -> None:
    clock = VirtualClock()
    settings = dataclasses.replace(ASYNC, max_wait=20.0, request_timeout=10.0)
    fake = fakes(settings, clock, submit_replies=[Reply(503, headers={"Retry-After": "19"})])
    client = client_for(fake, clock)

    def late_sleep(seconds: float) -> None:  # the retry wait overruns (a busy machine): the next request is not sent
        clock.sleep(seconds + 2)

    client._sleep = late_sleep
    with pytest.raises(PluginError) as caught:
        client.generate({"prompt": PROMPT})
    assert (caught.value.english, caught.value.chinese) == (
        f"The {LABEL} call did not finish within 20 s (max_wait 20 s) while submitting the job. Retry later.",
        f"{LABEL} 调用在提交任务时超出 20 秒（max_wait 20 秒）。请稍后重试。",
    )
    assert len(fake.requests_of("submit")) == 1


# ── Retry-After and back-off ───────────────────────────────────────────────────
def test_without_retry_after_the_back_off_doubles_up_to_8_s(fakes: Any) -> None:
    clock = VirtualClock()
    fake = fakes(ASYNC, clock, poll_replies=[Reply(503)] * 5)
    client_for(fake, clock).generate({"prompt": PROMPT})
    polls = [request.at for request in fake.requests_of("poll")]
    assert [later - earlier for earlier, later in zip(polls, polls[1:], strict=False)][:5] == [1, 2, 4, 8, 8]


@pytest.mark.parametrize("usegmt", [True, False], ids=["GMT", "-0000 (no zone)"])
def test_retry_after_as_an_http_date_is_waited_for(fakes: Any, usegmt: bool) -> None:
    clock = VirtualClock()
    when = email.utils.formatdate(time.time() + 30, usegmt=usegmt)
    if not usegmt:
        when = when.replace("+0000", "-0000")
    fake = fakes(ASYNC, clock, poll_replies=[Reply(503, headers={"Retry-After": when})])
    client_for(fake, clock).generate({"prompt": PROMPT})
    first, second = fake.requests_of("poll")[:2]
    assert 28 <= second.at - first.at <= 30


def test_retry_after_in_the_past_falls_back_to_the_back_off(fakes: Any) -> None:
    clock = VirtualClock()
    when = email.utils.formatdate(time.time() - 60, usegmt=True)
    fake = fakes(ASYNC, clock, poll_replies=[Reply(503, headers={"Retry-After": when})])
    client_for(fake, clock).generate({"prompt": PROMPT})
    first, second = fake.requests_of("poll")[:2]
    assert second.at - first.at == 1.0


# ── check_credentials, submit_job, check_task ──────────────────────────────────
def test_check_credentials_passes_a_good_key_and_reports_any_refusal(fakes: Any) -> None:
    fake = fakes(ASYNC)
    assert client_for(fake).check_credentials() is None
    (validate,) = fake.requests_of("validate")
    assert validate.method == "GET"
    with pytest.raises(InvalidApiKeyError, match="HTTP 401 while checking the API key"):
        JobClient(ASYNC, f"{ASYNC.api_key_prefix}wrong", fake.base_url).check_credentials()


def test_submit_job_and_check_task_until_done(fakes: Any) -> None:
    clock = VirtualClock()
    fake = fakes(ASYNC, clock, job_seconds=5.0, poll_replies=[Reply(503, headers={"Retry-After": "1"})])
    client = client_for(fake, clock)
    task, model = client.submit_job({"prompt": PROMPT, "model": "another-model"})
    assert (task, model) == (fake.jobs[0].id, "another-model")
    pending = client.check_task(f"  {task} ")
    assert (pending.task_id, pending.status, pending.result) == (task, "RUNNING", None)
    clock.sleep(5.0)
    done = client.check_task(task)
    assert (done.task_id, done.status) == (task, "SUCCEEDED") and done.result is not None
    result = done.result
    assert [media.data for media in result.files] == fake.jobs[0].images
    assert [media.filename for media in result.files] == [f"{ASYNC.file_prefix}-{task}-1.jpg"]
    assert (result.task_id, result.model, result.oversized, result.failures, result.elapsed) == (task, "", [], [], 0)
    assert result.status_requests == 3  # the 503, the pending answer, the done one: this client's requests
    assert [request.method for request in fake.requests_of("poll")] == ["GET"] * 3


def test_check_task_asks_three_times_at_most(fakes: Any) -> None:
    clock = VirtualClock()
    fake = fakes(ASYNC, clock, poll_replies=[Reply(503, headers={"Retry-After": "1"})] * 4)
    client = client_for(fake, clock)
    task, _ = client.submit_job({"prompt": PROMPT})
    with pytest.raises(ProviderHttpError, match="HTTP 503 while checking the task status"):
        client.check_task(task)
    assert len(fake.requests_of("poll")) == 3 and clock.sleeps == [1.0, 1.0]


def test_check_task_and_submit_job_refuse_what_they_cannot_do(fakes: Any) -> None:
    fake = fakes(SYNC)
    client = client_for(fake)
    with pytest.raises(PluginError) as caught:
        client.check_task("  ")
    assert (caught.value.english, caught.value.chinese) == ("The task id is empty.", "任务 ID 为空。")
    with pytest.raises(PluginError) as caught:
        client.submit_job({"prompt": PROMPT})
    assert (caught.value.english, caught.value.chinese) == (
        "This API answers synchronously; there is no task to submit.",
        "该接口为同步接口，没有可提交的任务。",
    )
    assert fake.requests == []


# ── results: files, base64, binary answers ─────────────────────────────────────
def test_a_download_answering_400_is_an_error_in_both_languages(fakes: Any) -> None:
    fake = fakes(ASYNC, image_status=400)
    host = fake.origin.removeprefix("http://")
    assert words(failure(fake)) == (
        ResultDownloadError,
        f"Could not download result 1 of 1: HTTP 400 from {host}.",
        f"无法下载第 1/1 个结果：{host} 返回 HTTP 400。",
    )


def test_a_download_cut_off_says_so_in_both_languages(fakes: Any) -> None:
    fake = fakes(ASYNC, file_transfer="truncated")
    host = fake.origin.removeprefix("http://")
    assert words(failure(fake)) == (
        ResultDownloadError,
        f"Could not download result 1 of 1 from {host}: the connection closed before the whole file arrived.",
        f"无法从 {host} 下载第 1/1 个结果：文件未传输完连接就已关闭。",
    )


def test_a_file_exactly_at_the_cap_is_delivered_one_byte_more_is_a_link(fakes: Any) -> None:
    data = b"\xff\xd8\xff" + b"\0" * 49_997  # 50,000 bytes that sniff as a JPEG
    for cap, delivered in [(50_000, True), (49_999, False)]:
        settings = dataclasses.replace(ASYNC, result=dataclasses.replace(ASYNC.result, max_bytes=cap))
        fake = fakes(settings, image_bytes=data)
        result = client_for(fake).generate({"prompt": PROMPT})
        url = f"{fake.origin}/files/{fake.jobs[0].file_names[0]}"
        if delivered:
            assert [(media.data, media.mime_type, media.source_url) for media in result.files] == [
                (data, "image/jpeg", url)
            ]
        else:
            assert result.files == [] and [link.url for link in result.oversized] == [url]
            assert result.oversized[0].reason == (
                f"Result 1 is larger than the {cap / 1e6:.3g} MB file cap (0.1 MB); returned as a link instead."
            )


def test_base64_results_are_decoded_and_checked(fakes: Any) -> None:
    fake = fakes(SYNC)
    (media,) = client_for(fake).generate({"prompt": PROMPT}).files
    assert (media.data, media.mime_type, media.filename) == (
        fake.jobs[0].images[0],
        "image/jpeg",
        f"{SYNC.file_prefix}-result-1.jpg",
    )
    not_base64 = fakes(SYNC, submit_replies=[Reply(200, {"data": [{"b64_json": "not base64!"}]})])
    assert words(failure(not_base64)) == (
        ResultDownloadError,
        "Result 1 is not valid base64 (check result.kind in settings.yaml).",
        "第 1 个结果不是有效的 base64（请检查 settings.yaml 中的 result.kind）。",
    )
    data_uri = "data:image/jpeg;base64," + base64.b64encode(fake.jobs[0].images[0]).decode()
    as_uri = fakes(SYNC, submit_replies=[Reply(200, {"data": [{"b64_json": data_uri}]})])
    assert [media.data for media in client_for(as_uri).generate({"prompt": PROMPT}).files] == [fake.jobs[0].images[0]]
    small = dataclasses.replace(SYNC, result=dataclasses.replace(SYNC.result, max_bytes=100))
    too_big = fakes(small)
    assert words(failure(too_big)) == (
        ResultDownloadError,
        f"Result 1 is {len(fake.jobs[0].images[0]) / 1e6:.1f} MB, above the 0.0001 MB cap, and the API returned no "
        "URL to link instead.",
        f"第 1 个结果为 {len(fake.jobs[0].images[0]) / 1e6:.1f} MB，超过 0.0001 MB 上限，且接口未返回可用链接。",
    )


def test_a_binary_answer_is_checked_for_json_and_size(fakes: Any) -> None:
    json_instead = fakes(BINARY, submit_replies=[Reply(200, {"error": {"message": "quota"}})])
    assert words(failure(json_instead)) == (
        BadResponseError,
        f'{LABEL} answered application/json where a file was expected: {{"error": {{"message": "quota"}}}}',
        f'{LABEL} 返回了 application/json，而不是文件：{{"error": {{"message": "quota"}}}}',
    )
    small = dataclasses.replace(BINARY, result=dataclasses.replace(BINARY.result, max_bytes=100))
    fake = fakes(small)
    error = failure(fake)
    size = len(fake.jobs[0].images[0]) / 1e6
    assert words(error) == (
        ResultDownloadError,
        f"The result is {size:.1f} MB, above the 0.0001 MB cap.",
        f"结果为 {size:.1f} MB，超过 0.0001 MB 上限。",
    )
    unknown = fakes(BINARY, submit_replies=[Reply(200, "raw bytes", {"Content-Type": "image/x-new; q=1"})])
    (media,) = client_for(unknown).generate({"prompt": PROMPT}).files
    assert (media.data, media.mime_type) == (b"raw bytes", "image/x-new")


@pytest.mark.parametrize(
    ("task_id", "stem"),
    [
        (None, "result"),
        ("abc-123_X", "abc-123_X"),
        ("https://api.example.com/v1/tasks/7?x=1", "https-api-example-com-v1-tasks-7-x-1"),
        ("../..//", "result"),
        ("a" * 70, "a" * 64),
    ],
)
def test_file_names_are_safe_whatever_the_task_id(fakes: Any, task_id: str | None, stem: str) -> None:
    client = JobClient(ASYNC, "key", "http://127.0.0.1:9")
    assert client._file_stem(task_id, 2) == f"{ASYNC.file_prefix}-{stem}-2"


def test_a_good_status_answer_resets_the_count_of_transient_failures(fakes: Any) -> None:
    """Five refusals in a row are borne; a RUNNING answer in between starts the count again."""
    clock = VirtualClock()
    running = Reply(200, {"status": "RUNNING"})
    fake = fakes(ASYNC, clock, job_seconds=60.0, poll_replies=[Reply(503)] * 5 + [running] + [Reply(503)] * 5)
    result = client_for(fake, clock).generate({"prompt": PROMPT})
    assert [media.data for media in result.files] == fake.jobs[0].images
    sixth = fakes(ASYNC, clock, poll_replies=[Reply(503)] * 6)
    with pytest.raises(ProviderHttpError, match="HTTP 503 while checking the task status"):
        client_for(sixth, clock).generate({"prompt": PROMPT})
    assert len(sixth.requests_of("poll")) == 6


def test_a_status_request_refused_with_400_ends_the_call(fakes: Any) -> None:
    fake = fakes(ASYNC, poll_replies=[Reply(400)])
    assert words(failure(fake)) == (
        ProviderHttpError,
        f"{LABEL} returned HTTP 400 while checking the task status: {SCRIPTED.format(status=400)}",
        f"查询任务状态时 {LABEL} 返回 HTTP 400：{SCRIPTED.format(status=400)}",
    )
    assert len(fake.requests_of("poll")) == 1


def test_a_binary_answer_exactly_at_the_cap_is_delivered_with_its_sniffed_type(fakes: Any) -> None:
    data = b"\xff\xd8\xff" + b"\0" * 97  # 100 bytes that sniff as a JPEG
    settings = dataclasses.replace(BINARY, result=dataclasses.replace(BINARY.result, max_bytes=100))
    binary = fakes(settings, image_bytes=data)
    (media,) = client_for(binary).generate({"prompt": PROMPT}).files
    assert (media.data, media.mime_type, media.filename) == (data, "image/jpeg", f"{BINARY.file_prefix}-result-1.jpg")


def test_base64_is_decoded_strictly(fakes: Any) -> None:
    """ "QUJD!" would decode to b"ABC" if stray characters were skipped: a corrupted answer must not pass as a file."""
    fake = fakes(SYNC, submit_replies=[Reply(200, {"data": [{"b64_json": "QUJD!"}]})])
    assert isinstance(failure(fake), ResultDownloadError)


class DroppingSession(requests.Session):
    """The first ``drops`` status requests lose their connection (as a restarting gateway does)."""

    def __init__(self, drops: int) -> None:
        super().__init__()
        self.drops = drops

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if str(method) == "GET" and "/tasks/" in str(url) and self.drops > 0:
            self.drops -= 1
            raise requests.ConnectionError("fake: connection reset")
        return super().request(method, url, *args, **kwargs)


def test_dropped_status_connections_back_off_and_five_in_a_row_are_borne(fakes: Any) -> None:
    clock = VirtualClock()
    settings = dataclasses.replace(ASYNC, poll=dataclasses.replace(ASYNC.poll, first_delay=1.0, interval=10.0))
    fake = fakes(settings, clock)
    client = JobClient(
        settings, fake.credentials, fake.base_url, session=DroppingSession(5), clock=clock, sleep=clock.sleep
    )
    result = client.generate({"prompt": PROMPT})
    assert [media.data for media in result.files] == fake.jobs[0].images
    assert clock.sleeps == [1.0, 1.0, 2.0, 4.0, 8.0, 10.0]  # first delay, then 0.5 s x 2^n up to the interval
    sixth = fakes(settings, clock)
    client = JobClient(
        settings, sixth.credentials, sixth.base_url, session=DroppingSession(6), clock=clock, sleep=clock.sleep
    )
    with pytest.raises(CannotReachError):
        client.generate({"prompt": PROMPT})


def test_check_task_answered_with_400_is_an_error(fakes: Any) -> None:
    fake = fakes(ASYNC, poll_replies=[Reply(400)])
    client = client_for(fake)
    task, _ = client.submit_job({"prompt": PROMPT})
    with pytest.raises(ProviderHttpError, match="HTTP 400 while checking the task status"):
        client.check_task(task)
    assert len(fake.requests_of("poll")) == 1


# ── what the operator reads in the daemon's log ────────────────────────────────
def test_the_log_follows_a_job_from_submit_to_results(fakes: Any, caplog: pytest.LogCaptureFixture) -> None:
    clock = VirtualClock()
    settings = dataclasses.replace(ASYNC, poll=dataclasses.replace(ASYNC.poll, first_delay=1.0, interval=1.0))
    fake = fakes(settings, clock, job_seconds=2.5, poll_replies=[Reply(503)])
    caplog.set_level(logging.INFO, logger="job_client.client")
    client_for(fake, clock).generate({"prompt": PROMPT})
    task = fake.jobs[0].id
    # polls at 1 s (503: back off 1 s), 2 s (running: the next gap is 1 s, the interval), 3 s (done)
    assert [record.getMessage() for record in caplog.records] == [
        f"task {task} submitted to {LABEL}",
        "status request answered HTTP 503; retrying in 1.0 s",
        f"task {task} is RUNNING after 2.0 s",
        f"task {task} done in 3.0 s with 1 result(s)",
    ]


def test_the_log_names_a_refused_submit_a_submitted_task_and_failed_items(
    fakes: Any, caplog: pytest.LogCaptureFixture
) -> None:
    clock = VirtualClock()
    fake = fakes(ASYNC, clock, submit_replies=[Reply(429)])
    caplog.set_level(logging.INFO, logger="job_client.client")
    task, _ = client_for(fake, clock).submit_job({"prompt": PROMPT})
    assert [record.getMessage() for record in caplog.records] == [
        "submit refused with HTTP 429; retrying in 1.0 s",
        f"task {task} submitted to {LABEL}",
    ]
    caplog.clear()
    partial = fakes(ASYNC, failed_items=1, images=2)
    result = client_for(partial).generate({"prompt": PROMPT})
    reason = f"{ITEM_FAILURE_CODE}: The prompt was rejected by content moderation."
    assert result.failures == [reason]
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert warnings == [f"1 of 2 results failed: ['{reason}']"]


# ── more messages, whole ───────────────────────────────────────────────────────
def test_a_key_of_the_wrong_shape_or_none_is_refused_before_any_request(fakes: Any) -> None:
    settings = dataclasses.replace(ASYNC, api_key_prefix="sk-")
    fake = fakes(settings)
    for key, expected in [
        (
            "ms-123",
            (
                f"This does not look like an API key for {LABEL}: keys start with 'sk-'.",
                f"这不像是 {LABEL} 的 API Key：应以 'sk-' 开头。",
            ),
        ),
        (
            "  ",
            (
                f"No API key for {LABEL} is set: add it in the plugin's credentials.",
                f"未设置 {LABEL} API Key：请在插件凭据中填写。",
            ),
        ),
    ]:
        with pytest.raises(InvalidApiKeyError) as caught:
            JobClient(settings, key, fake.base_url).generate({"prompt": PROMPT})
        assert (caught.value.english, caught.value.chinese) == expected
    assert fake.requests == []


def test_from_credentials_reads_the_key_and_an_optional_base_url(fakes: Any) -> None:
    fake = fakes(ASYNC)
    client = JobClient.from_credentials({"api_key": fake.api_key, "base_url": f" {fake.base_url}/ "}, ASYNC)
    assert client.base_url == fake.base_url
    client.generate({"prompt": PROMPT})
    assert [request.path for request in fake.requests_of("submit")] == [
        f"{fake.base_url}{ASYNC.submit.path}"[len(fake.origin) :]
    ]
    default = JobClient.from_credentials({"api_key": fake.api_key, "base_url": ""}, ASYNC)
    assert default.base_url == ASYNC.base_url.rstrip("/")
    with pytest.raises(InvalidApiKeyError, match="No API key"):
        JobClient.from_credentials({}, ASYNC).check_credentials()


def test_a_binary_api_needs_a_synchronous_mode_or_a_result_url(fakes: Any) -> None:
    settings = dataclasses.replace(ASYNC, result=dataclasses.replace(ASYNC.result, field="", kind="binary"))
    fake = fakes(settings)
    assert words(failure(fake)) == (
        PluginError,
        "settings.yaml: result.kind 'binary' needs a synchronous API or submit.result_url_field.",
        "settings.yaml：result.kind 为 'binary' 时需要同步接口或 submit.result_url_field。",
    )
    assert fake.requests == []


def test_a_status_answer_without_a_status_or_with_a_failure_is_worded_whole(fakes: Any) -> None:
    fake = fakes(ASYNC, poll_replies=[Reply(200, {"state": "odd"})])
    task = client_for(fake).submit_job({"prompt": PROMPT})[0]
    with pytest.raises(BadResponseError) as caught:
        client_for(fake).check_task(task)
    assert (caught.value.english, caught.value.chinese) == (
        f"The status response of task {task} has no 'status': {{'state': 'odd'}}",
        f"任务 {task} 的状态响应中没有 'status'：{{'state': 'odd'}}",
    )
    key = fake.api_key
    failed = fakes(ASYNC, poll_replies=[Reply(200, {"status": "FAILED", "message": f"bad key {key}"})])
    task = client_for(failed).submit_job({"prompt": PROMPT})[0]
    with pytest.raises(TaskFailedError) as caught:
        client_for(failed).check_task(task)
    assert (caught.value.english, caught.value.chinese) == (
        f"{LABEL} task {task} ended with FAILED: bad key ***",
        f"{LABEL} 任务 {task} 失败（FAILED）：bad key ***",
    )
    silent = fakes(ASYNC, poll_replies=[Reply(200, {"status": "FAILED"})])
    with pytest.raises(TaskFailedError) as caught:
        client_for(silent).generate({"prompt": PROMPT})
    task = silent.jobs[0].id
    assert (caught.value.english, caught.value.chinese) == (
        f"{LABEL} task {task} ended with FAILED: {{'status': 'FAILED'}}",
        f"{LABEL} 任务 {task} 失败（FAILED）：{{'status': 'FAILED'}}",
    )


def test_a_task_without_results_is_worded_whole_with_and_without_a_task(fakes: Any) -> None:
    empty = {"status": "SUCCEEDED", "output": {"results": [{"url": "  "}]}}
    fake = fakes(ASYNC, poll_replies=[Reply(200, empty)])
    error = failure(fake)
    task = fake.jobs[0].id
    shown = "{'status': 'SUCCEEDED', 'output': {'results': [{'url': ' '}]}}"  # whitespace runs shown as one space
    assert words(error) == (
        NoResultsError,
        f"The task {task} succeeded but returned no result at 'output.results[*].url': {shown}",
        f"任务 {task} 已成功，但 'output.results[*].url' 中没有结果：{shown}",
    )
    sync = fakes(SYNC, submit_replies=[Reply(200, {"data": []})])
    assert words(failure(sync)) == (
        NoResultsError,
        "The task succeeded but returned no result at 'data[*].b64_json': {'data': []}",
        "任务 已成功，但 'data[*].b64_json' 中没有结果：{'data': []}",
    )
    every = fakes(ASYNC, failed_items=1)
    error = failure(every)
    task = every.jobs[0].id
    reason = f"{ITEM_FAILURE_CODE}: The prompt was rejected by content moderation."
    assert words(error) == (
        TaskFailedError,
        f"Every result of task {task} failed: {reason}",
        f"任务 {task} 的所有结果均失败：{reason}",
    )
    sync_failed = {"data": [{"code": "E1", "message": "blocked"}, {"code": "E2", "message": "blocked too"}]}
    assert words(failure(fakes(SYNC, submit_replies=[Reply(200, sync_failed)]))) == (
        TaskFailedError,
        "Every result of task failed: E1: blocked; E2: blocked too",
        "任务 的所有结果均失败：E1: blocked; E2: blocked too",
    )


def test_item_failures_are_read_from_any_list_layout(fakes: Any) -> None:
    settings = dataclasses.replace(
        SYNC, result=dataclasses.replace(SYNC.result, field="batches[*].items[*].b64", item_error_fields=("error",))
    )
    image = base64.b64encode(b"\xff\xd8\xff" + b"\0" * 20).decode()
    answer = {
        "batches": [
            {"items": [{"b64": image}, {"code": "E1", "error": "blocked"}, "stray text", {"note": "no error"}]},
            {"items": [{"code": "same", "error": "same"}, {"error": "no code"}]},
        ]
    }
    fake = fakes(settings, submit_replies=[Reply(200, answer)])
    result = client_for(fake).generate({"prompt": PROMPT})
    assert [media.data for media in result.files] == [base64.b64decode(image)]
    assert result.failures == ["E1: blocked", "same", "no code"]


def test_an_answer_without_the_status_url_is_worded_whole(fakes: Any) -> None:
    settings = async_variant(poll_url_field="urls.get", result_url_field="")
    fake = fakes(settings, submit_replies=[Reply(200, {"id": "t-1"})])
    assert words(failure(fake)) == (
        BadResponseError,
        f"{LABEL} accepted the request but gave no URL at 'urls.get': {{'id': 't-1'}}",
        f"{LABEL} 接受了请求，但 'urls.get' 中没有 URL：{{'id': 't-1'}}",
    )


def test_answers_that_are_not_json_name_what_was_read(fakes: Any) -> None:
    base = "(HTTP 200; check the base URL {base}): plain words"
    status = fakes(ASYNC, poll_replies=[Reply(200, "plain words")])
    error = failure(status)
    assert error.english == (
        f"{LABEL} answered the status response with text/plain; charset=utf-8 instead of JSON "
        + base.format(base=status.base_url)
    )
    assert error.chinese == (
        f"{LABEL} 的任务状态响应不是 JSON（text/plain; charset=utf-8，HTTP 200；请检查 Base URL {status.base_url}）："
        "plain words"
    )
    checked = fakes(ASYNC, poll_replies=[Reply(200, "plain words")])
    task = client_for(checked).submit_job({"prompt": PROMPT})[0]
    with pytest.raises(BadResponseError) as caught:
        client_for(checked).check_task(task)
    assert (caught.value.english, caught.value.chinese) == (
        error.english.replace(status.base_url, checked.base_url),
        error.chinese.replace(status.base_url, checked.base_url),
    )
    sync = fakes(SYNC, submit_replies=[Reply(200, "plain words")])
    assert words(failure(sync)) == (
        BadResponseError,
        f"{LABEL} answered the result response with text/plain; charset=utf-8 instead of JSON "
        + base.format(base=sync.base_url),
        f"{LABEL} 的结果响应不是 JSON（text/plain; charset=utf-8，HTTP 200；请检查 Base URL {sync.base_url}）："
        "plain words",
    )


def test_http_errors_of_the_key_check_and_the_status_request_are_worded_whole(fakes: Any) -> None:
    listing = dataclasses.replace(ASYNC.models, path="/models")  # a rendering without a listing has no path
    settings = dataclasses.replace(ASYNC, validate_path="/models", models=listing)
    fake = fakes(settings, models_replies=[Reply(400)])
    with pytest.raises(ProviderHttpError) as caught:
        client_for(fake).check_credentials()
    assert (caught.value.english, caught.value.chinese) == (
        f"{LABEL} returned HTTP 400 while checking the API key: {SCRIPTED.format(status=400)}",
        f"校验 API Key时 {LABEL} 返回 HTTP 400：{SCRIPTED.format(status=400)}",
    )
    (validate,) = fake.requests
    assert validate.method == "GET"
    refused = fakes(ASYNC, poll_replies=[Reply(404)])
    task = client_for(refused).submit_job({"prompt": PROMPT})[0]
    with pytest.raises(ProviderHttpError) as caught:
        client_for(refused).check_task(task)
    assert (caught.value.english, caught.value.chinese) == (
        f"{LABEL} returned HTTP 404 while checking the task status: {SCRIPTED.format(status=404)}",
        f"查询任务状态时 {LABEL} 返回 HTTP 404：{SCRIPTED.format(status=404)}",
    )


# ── edges of check_task, the deadline and the timeouts ─────────────────────────
class RecordingSession(requests.Session):
    """A real session that notes the timeout of every request it sends, by URL path."""

    def __init__(self) -> None:
        super().__init__()
        self.timeouts: list[tuple[str, Any]] = []

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.timeouts.append((str(url).split("/")[3], kwargs.get("timeout")))
        return super().request(method, url, *args, **kwargs)


def test_check_task_does_not_wait_past_its_request_timeout(fakes: Any) -> None:
    """A Retry-After that reaches the check's deadline (request_timeout) ends it with the provider's error."""
    for retry_after in ("10", "11"):
        clock = VirtualClock()
        settings = dataclasses.replace(ASYNC, request_timeout=10.0)
        fake = fakes(settings, clock, poll_replies=[Reply(503, headers={"Retry-After": retry_after})])
        client = client_for(fake, clock)
        task, _ = client.submit_job({"prompt": PROMPT})
        with pytest.raises(ProviderHttpError, match="HTTP 503 while checking the task status"):
            client.check_task(task)
        assert len(fake.requests_of("poll")) == 1 and clock.sleeps == []
    clock = VirtualClock()
    fake = fakes(settings, clock, poll_replies=[Reply(503, headers={"Retry-After": "9.5"})])
    client = client_for(fake, clock)
    task, _ = client.submit_job({"prompt": PROMPT})
    assert client.check_task(task).status == "SUCCEEDED" and clock.sleeps == [9.5]


def test_check_task_reports_the_model_partial_failures_and_downloads_within_max_wait(fakes: Any) -> None:
    clock = VirtualClock()
    settings = dataclasses.replace(ASYNC, max_wait=100.0, request_timeout=20.0)
    fake = fakes(settings, clock, failed_items=1, images=2, poll_replies=[Reply(503, headers={"Retry-After": "4"})])
    session = RecordingSession()
    client = JobClient(settings, fake.api_key, fake.base_url, session=session, clock=clock, sleep=clock.sleep)
    task, _ = client.submit_job({"prompt": PROMPT})
    done = client.check_task(task)
    assert done.result is not None
    assert done.result.failures == [f"{ITEM_FAILURE_CODE}: The prompt was rejected by content moderation."]
    assert len(done.result.files) == 1
    # the file is read for what is left of max_wait since the check began (4 s went on the retry), at most
    # request_timeout; the connection for 10 s at most
    assert session.timeouts[-1] == ("files", (10.0, 20.0))
    short = dataclasses.replace(settings, max_wait=22.0)
    fake = fakes(short, clock, poll_replies=[Reply(503, headers={"Retry-After": "4"})])
    session = RecordingSession()
    client = JobClient(short, fake.api_key, fake.base_url, session=session, clock=clock, sleep=clock.sleep)
    client.check_task(client.submit_job({"prompt": PROMPT})[0])
    assert session.timeouts[-1] == ("files", (10.0, 18.0))
    image = fake.add_file("result.jpg", b"\xff\xd8\xff" + b"\0" * 9)
    results = {"results": [{"url": image}]}
    for answer in ({"model": "m-top", "output": results}, {"output": {"model": "m-inner", **results}}):
        named = fakes(ASYNC, poll_replies=[Reply(200, {"status": "SUCCEEDED", **answer})])
        client = client_for(named)
        task, _ = client.submit_job({"prompt": PROMPT})
        done = client.check_task(task)
        assert done.result is not None and done.result.model in ("m-top", "m-inner")
        assert done.result.model == answer.get("model", "m-inner")
    failed = fakes(ASYNC, outcome="failed")
    client = client_for(failed)
    task, _ = client.submit_job({"prompt": PROMPT})
    with pytest.raises(TaskFailedError, match=f"task {task} ended with FAILED"):
        client.check_task(task)


def test_the_poll_stops_when_the_next_gap_reaches_the_deadline_exactly(fakes: Any) -> None:
    clock = VirtualClock()
    settings = dataclasses.replace(
        ASYNC, max_wait=10.5, poll=dataclasses.replace(ASYNC.poll, first_delay=1.75, interval=1.75)
    )
    fake = fakes(settings, clock, outcome="never")
    with pytest.raises(PluginError) as caught:
        client_for(fake, clock).generate({"prompt": PROMPT})
    task = fake.jobs[0].id
    # a poll every 1.75 s; after the one at 8.75 s the next would be at 10.5 s, the deadline itself: the call ends
    # there (named by its task), without a request that could only time out
    assert [request.at - 1000.0 for request in fake.requests_of("poll")] == [1.75, 3.5, 5.25, 7.0, 8.75]
    assert caught.value.english == f"{LABEL} task {task} did not finish within 10 s (max_wait 10 s). Retry later."


def test_a_request_connects_within_10_s_and_reads_within_request_timeout(fakes: Any) -> None:
    settings = dataclasses.replace(ASYNC, request_timeout=25.0)
    fake = fakes(settings)
    session = RecordingSession()
    JobClient(settings, fake.api_key, fake.base_url, session=session).generate({"prompt": PROMPT})
    assert {timeout for _, timeout in session.timeouts} == {(10.0, 25.0)}
    quick_read = dataclasses.replace(ASYNC, request_timeout=4.0)
    fake = fakes(quick_read)
    session = RecordingSession()
    JobClient(quick_read, fake.api_key, fake.base_url, session=session).generate({"prompt": PROMPT})
    assert {timeout for _, timeout in session.timeouts} == {(4.0, 4.0)}


# ── request bodies and answers of other shapes ─────────────────────────────────
def test_multipart_parts_for_each_kind_of_value() -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 8
    parts = JobClient._form_parts(
        {
            "image": "data:image/png;base64," + base64.b64encode(png).decode(),
            "raw": "data:;base64," + base64.b64encode(b"xy").decode(),
            "flags": [True, False],
            "n": 2,
            "text": "data: not an image",
        }
    )
    assert parts == [
        ("image", ("image.png", png, "image/png")),
        ("raw", ("image.bin", b"xy", "application/octet-stream")),
        ("flags", (None, "true", None)),
        ("flags", (None, "false", None)),
        ("n", (None, "2", None)),
        ("text", (None, "data: not an image", None)),
    ]


def test_base64_with_a_comma_but_no_data_prefix_is_refused_and_the_cap_is_inclusive(fakes: Any) -> None:
    fake = fakes(SYNC, submit_replies=[Reply(200, {"data": [{"b64_json": "not,QUJD"}]})])
    assert isinstance(failure(fake), ResultDownloadError)
    data = b"\xff\xd8\xff" + b"\0" * 97
    exact = dataclasses.replace(SYNC, result=dataclasses.replace(SYNC.result, max_bytes=100))
    fake = fakes(exact, submit_replies=[Reply(200, {"data": [{"b64_json": base64.b64encode(data).decode()}]})])
    (media,) = client_for(fake).generate({"prompt": PROMPT}).files
    assert (media.data, media.mime_type) == (data, "image/jpeg")
    unknown = fakes(SYNC, submit_replies=[Reply(200, {"data": [{"b64_json": base64.b64encode(b"??").decode()}]})])
    (media,) = client_for(unknown).generate({"prompt": PROMPT}).files
    assert (media.mime_type, media.filename) == ("application/octet-stream", f"{SYNC.file_prefix}-result-1.bin")


@pytest.mark.parametrize(
    ("reply", "shown"),
    [
        (Reply.html(), "text/html"),
        (Reply(200, "quota exceeded"), "text/plain"),
    ],
)
def test_a_binary_answer_that_is_a_page_or_text_is_refused(fakes: Any, reply: Reply, shown: str) -> None:
    error = failure(fakes(BINARY, submit_replies=[reply]))
    assert isinstance(error, BadResponseError)
    assert error.english.startswith(f"{LABEL} answered {shown} where a file was expected: ")


def test_a_binary_answer_is_typed_by_its_bytes_first(fakes: Any) -> None:
    jpeg = b"\xff\xd8\xff" + b"\0" * 20
    mislabelled = fakes(BINARY, submit_replies=[Reply(200, jpeg, {"Content-Type": "text/plain"})])
    (media,) = client_for(mislabelled).generate({"prompt": PROMPT}).files
    assert (media.mime_type, media.filename) == ("image/jpeg", f"{BINARY.file_prefix}-result-1.jpg")
    unlabelled = fakes(BINARY, submit_replies=[Reply(200, b"\0\1\2", {"Content-Type": ""})])
    (media,) = client_for(unlabelled).generate({"prompt": PROMPT}).files
    assert (media.data, media.mime_type) == (b"\0\1\2", "application/octet-stream")


def test_a_download_is_typed_by_its_bytes_then_its_header(fakes: Any) -> None:
    fake = fakes(ASYNC)
    urls = [
        fake.add_file("new.bin", b"raw bytes", content_type="image/x-new; q=1"),
        fake.add_file("none.bin", b"raw bytes", content_type=""),
        fake.add_file("jpeg.bin", b"\xff\xd8\xff" + b"\0" * 9, content_type="text/plain"),
    ]
    done = {"status": "SUCCEEDED", "output": {"results": [{"url": url} for url in urls]}}
    typed = fakes(ASYNC, poll_replies=[Reply(200, done)])
    result = client_for(typed).generate({"prompt": PROMPT})
    assert [(media.mime_type, media.filename.rsplit(".", 1)[1]) for media in result.files] == [
        ("image/x-new", "bin"),
        ("application/octet-stream", "bin"),
        ("image/jpeg", "jpg"),
    ]


def test_a_file_of_unknown_length_over_the_cap_is_linked(fakes: Any) -> None:
    small = dataclasses.replace(ASYNC, result=dataclasses.replace(ASYNC.result, max_bytes=100))
    fake = fakes(small, file_transfer="unknown_length")
    result = client_for(fake).generate({"prompt": PROMPT})
    assert result.files == [] and [link.reason for link in result.oversized] == [
        "Result 1 is larger than the 0.0001 MB file cap (over 0.0001 MB); returned as a link instead."
    ]


# ── Retry-After dates ──────────────────────────────────────────────────────────
def test_a_retry_after_date_without_a_zone_is_read_as_gmt_whatever_the_local_zone(
    fakes: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        clock = VirtualClock()
        when = email.utils.formatdate(time.time() + 30, usegmt=True).replace("GMT", "-0000")
        fake = fakes(ASYNC, clock, poll_replies=[Reply(503, headers={"Retry-After": when})])
        client_for(fake, clock).generate({"prompt": PROMPT})
        first, second = fake.requests_of("poll")[:2]
        assert 28 <= second.at - first.at <= 30
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_a_past_retry_after_date_falls_back_to_the_back_off_of_that_attempt(fakes: Any) -> None:
    clock = VirtualClock()
    past = email.utils.formatdate(time.time() - 60, usegmt=True)
    fake = fakes(ASYNC, clock, poll_replies=[Reply(503), Reply(503, headers={"Retry-After": past})])
    client_for(fake, clock).generate({"prompt": PROMPT})
    polls = [request.at for request in fake.requests_of("poll")]
    assert [later - earlier for earlier, later in zip(polls[:2], polls[1:3], strict=True)] == [1.0, 2.0]


# ── check_task on an API with status and result URLs (fal) ─────────────────────
FAL = async_variant(result_field="images[*].url", poll_url_field="status_url", result_url_field="response_url")


def test_check_task_follows_the_result_url_of_a_finished_task(fakes: Any) -> None:
    fake = fakes(FAL)
    client = client_for(fake)
    task, _ = client.submit_job({"prompt": PROMPT})
    assert task.startswith(fake.origin) and task.endswith(fake.jobs[0].id)  # the status URL is the handle
    done = client.check_task(task)
    assert done.result is not None and [media.data for media in done.result.files] == fake.jobs[0].images
    (fetch,) = fake.requests_of("result")
    assert fetch.method == "GET"
    binary_settings = dataclasses.replace(FAL, result=dataclasses.replace(FAL.result, field="", kind="binary"))
    binary = fakes(binary_settings)
    client = client_for(binary)
    task, _ = client.submit_job({"prompt": PROMPT})
    done = client.check_task(task)
    assert done.result is not None
    ((media),) = done.result.files
    assert media.data == binary.jobs[0].images[0]
    assert media.filename.startswith(f"{FAL.file_prefix}-http-127-0-0-1-") and media.filename.endswith("-1.jpg")


def test_check_task_names_a_result_url_that_refuses(fakes: Any) -> None:
    fake = fakes(FAL)
    done = {"status": "SUCCEEDED", "response_url": f"{fake.base_url}{RESULT_URL_PATH}unknown"}
    refusing = fakes(FAL, poll_replies=[Reply(200, done)])
    client = client_for(refusing)
    task, _ = client.submit_job({"prompt": PROMPT})
    with pytest.raises(PluginError) as caught:
        client.check_task(task)
    assert (caught.value.english, caught.value.chinese) == (
        f"{LABEL} returned HTTP 404 while fetching the results: Task unknown not found.",
        f"获取结果时 {LABEL} 返回 HTTP 404：Task unknown not found.",
    )


def test_check_task_needs_the_status_url_where_the_path_has_no_task_id(fakes: Any) -> None:
    settings = dataclasses.replace(FAL, poll=dataclasses.replace(FAL.poll, path=""))
    fake = fakes(settings)
    with pytest.raises(PluginError) as caught:
        client_for(fake).check_task("req-123")
    assert (caught.value.english, caught.value.chinese) == (
        f"{LABEL} is asked by the task's status URL: pass the task_id the submit tool returned (a URL), not 'req-123'.",
        f"{LABEL} 需通过任务的状态 URL 查询：请传入提交工具返回的 task_id（一个 URL），而不是 'req-123'。",
    )
    assert fake.requests == []
    with pytest.raises(CannotReachError):  # an https status URL is asked as it is (here: nothing listens)
        client_for(fake).check_task(closed_port_url().replace("http://", "https://") + "/status/1")


# ── sizes in messages (MB with one decimal, caps with three digits) ────────────
JPEG_1_150_001 = b"\xff\xd8\xff" + b"\0" * 1_149_998  # 1,150,001 bytes: 1.2 MB (not 1.1)
CAP_1_135_000 = 1_135_000  # 1.14 MB (not 1.13)


def test_results_over_the_cap_say_their_size_and_the_cap(fakes: Any) -> None:
    binary = fakes(
        dataclasses.replace(BINARY, result=dataclasses.replace(BINARY.result, max_bytes=CAP_1_135_000)),
        submit_replies=[Reply(200, JPEG_1_150_001)],
    )
    assert words(failure(binary))[1:] == (
        "The result is 1.2 MB, above the 1.14 MB cap.",
        "结果为 1.2 MB，超过 1.14 MB 上限。",
    )
    encoded = base64.b64encode(JPEG_1_150_001).decode()
    inline = fakes(
        dataclasses.replace(SYNC, result=dataclasses.replace(SYNC.result, max_bytes=CAP_1_135_000)),
        submit_replies=[Reply(200, {"data": [{"b64_json": encoded}]})],
    )
    assert words(failure(inline))[1:] == (
        "Result 1 is 1.2 MB, above the 1.14 MB cap, and the API returned no URL to link instead.",
        "第 1 个结果为 1.2 MB，超过 1.14 MB 上限，且接口未返回可用链接。",
    )
    capped = dataclasses.replace(ASYNC, result=dataclasses.replace(ASYNC.result, max_bytes=CAP_1_135_000))
    for transfer, size in [("plain", "1.2 MB"), ("unknown_length", "over 1.14 MB")]:
        fake = fakes(capped, image_bytes=JPEG_1_150_001, file_transfer=transfer)
        (link,) = client_for(fake).generate({"prompt": PROMPT}).oversized
        assert link.url == f"{fake.origin}/files/{fake.jobs[0].file_names[0]}"
        assert link.reason == f"Result 1 is larger than the 1.14 MB file cap ({size}); returned as a link instead."


# ── downloads: the deadline and a host that cannot be reached ──────────────────
class LateSession(requests.Session):
    """Moves the virtual clock past the deadline when a result file is asked for (a stalled CDN)."""

    def __init__(self, clock: VirtualClock, seconds: float, fail: bool) -> None:
        super().__init__()
        self.clock, self.seconds, self.fail = clock, seconds, fail

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if "/files/" in str(url):
            self.clock.sleep(self.seconds)
            if self.fail:
                raise requests.ConnectionError("fake: the CDN stalled")
        return super().request(method, url, *args, **kwargs)


def test_a_download_past_the_deadline_says_which_result_was_under_way(fakes: Any) -> None:
    clock = VirtualClock()
    settings = dataclasses.replace(ASYNC, max_wait=30.0)
    fake = fakes(settings, clock)
    client = JobClient(
        settings, fake.api_key, fake.base_url, session=LateSession(clock, 60.0, True), clock=clock, sleep=clock.sleep
    )
    with pytest.raises(PluginError) as caught:
        client.generate({"prompt": PROMPT})
    task = fake.jobs[0].id
    assert (caught.value.english, caught.value.chinese) == (
        f"The {LABEL} call (task {task}) did not finish within 30 s (max_wait 30 s) while downloading result 1 of 1. "
        "Retry later.",
        f"{LABEL} 调用（任务 {task}）在下载第 1/1 个结果时超出 30 秒（max_wait 30 秒）。请稍后重试。",
    )


def test_a_result_host_that_refuses_is_named_with_the_kind_of_failure(fakes: Any) -> None:
    url = closed_port_url()
    done = {"status": "SUCCEEDED", "output": {"results": [{"url": f"{url}/files/1.jpg"}]}}
    fake = fakes(ASYNC, poll_replies=[Reply(200, done)])
    host = url.removeprefix("http://")
    assert words(failure(fake)) == (
        ResultDownloadError,
        f"Could not download result 1 of 1 from {host}: ConnectionError.",
        f"无法从 {host} 下载第 1/1 个结果：ConnectionError。",
    )


class TimingOutSession(requests.Session):
    """Status requests time out at once (the read timeout passed; the call's deadline did not)."""

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if "/tasks/" in str(url):
            raise requests.ReadTimeout("fake: no answer in time")
        return super().request(method, url, *args, **kwargs)


def test_a_status_request_that_times_out_is_named_as_such(fakes: Any) -> None:
    fake = fakes(ASYNC)
    client = JobClient(ASYNC, fake.api_key, fake.base_url, session=TimingOutSession())
    task, _ = client.submit_job({"prompt": PROMPT})
    with pytest.raises(CannotReachError) as caught:
        client.check_task(task)
    host = fake.origin.removeprefix("http://")
    assert (caught.value.english, caught.value.chinese) == (
        f"Cannot reach {host} (timed out). Check the base URL and the network.",
        f"无法连接 {host}（timed out）。请检查 Base URL 和网络。",
    )


class StalledSession(requests.Session):
    """Every request waits out the virtual clock, then times out (a provider that never answers)."""

    def __init__(self, clock: VirtualClock) -> None:
        super().__init__()
        self.clock = clock

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.clock.sleep(kwargs["timeout"][1])
        raise requests.ReadTimeout("fake: no answer")


def test_a_key_check_that_runs_out_of_time_says_so(fakes: Any) -> None:
    clock = VirtualClock()
    settings = dataclasses.replace(ASYNC, request_timeout=10.0, max_wait=60.0)
    client = JobClient(
        settings,
        f"{settings.api_key_prefix}key",
        "http://127.0.0.1:9",
        session=StalledSession(clock),
        clock=clock,
        sleep=clock.sleep,
    )
    with pytest.raises(PluginError) as caught:
        client.check_credentials()
    assert (caught.value.english, caught.value.chinese) == (
        f"The {LABEL} call did not finish within 60 s (max_wait 60 s) while checking the API key. Retry later.",
        f"{LABEL} 调用在校验 API Key时超出 60 秒（max_wait 60 秒）。请稍后重试。",
    )


def test_submit_job_names_an_answer_that_is_not_json(fakes: Any) -> None:
    fake = fakes(ASYNC, submit_replies=[Reply(200, "plain words")])
    with pytest.raises(BadResponseError) as caught:
        client_for(fake).submit_job({"prompt": PROMPT})
    assert (caught.value.english, caught.value.chinese) == (
        f"{LABEL} answered the submit response with text/plain; charset=utf-8 instead of JSON (HTTP 200; check the "
        f"base URL {fake.base_url}): plain words",
        f"{LABEL} 的提交任务的响应不是 JSON（text/plain; charset=utf-8，HTTP 200；请检查 Base URL {fake.base_url}）："
        "plain words",
    )


def test_an_item_with_a_result_is_no_failure_even_with_a_message(fakes: Any) -> None:
    settings = dataclasses.replace(SYNC, result=dataclasses.replace(SYNC.result, item_error_fields=("message",)))
    image = base64.b64encode(b"\xff\xd8\xff" + b"\0" * 20).decode()
    answer = {"data": [{"b64_json": image, "message": "safe"}, {"code": "E9", "message": "blocked"}]}
    result = client_for(fakes(settings, submit_replies=[Reply(200, answer)])).generate({"prompt": PROMPT})
    assert result.failures == ["E9: blocked"] and len(result.files) == 1


# ── the submit: body, headers, refusals near the deadline, handles ─────────────
def test_the_body_holds_extras_and_declared_fields_only_and_the_prompt_is_required(fakes: Any) -> None:
    extra = dataclasses.replace(ASYNC.submit, body_extra={"watermark": False, "output": {"format": "png"}})
    settings = dataclasses.replace(ASYNC, submit=extra)
    fake = fakes(settings)
    client_for(fake).generate({"unknown": "x", "prompt": PROMPT, "negative": None, "n": ""})
    (submit,) = fake.requests_of("submit")
    assert submit.body == {
        "watermark": False,
        "output": {"format": "png"},
        "input": {"prompt": PROMPT},
        "model": "test-model",
    }
    assert submit.headers.get("Content-Type") == "application/json"
    for parameters in ({}, {"prompt": "   "}, {"prompt": None}):
        error = failure(fakes(ASYNC), **parameters) if parameters else None
        if error is None:
            with pytest.raises(PluginError) as caught:
                client_for(fake).generate({})
            error = caught.value
        assert (error.english, error.chinese) == (
            "The prompt is empty: describe what to generate.",
            "提示词为空：请描述要生成的内容。",
        )


def test_a_multipart_form_is_flat_with_targets_as_written(fakes: Any) -> None:
    submit = dataclasses.replace(
        SYNC.submit, body_format="multipart", body_fields={"model": "model", "prompt": "input.prompt", "n": "n"}
    )
    fake = fakes(dataclasses.replace(SYNC, submit=submit))
    client_for(fake).generate({"prompt": PROMPT, "n": 1.0})
    (request,) = fake.requests_of("submit")
    assert request.body == {"model": "test-model", "input.prompt": PROMPT, "n": "1"}
    assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")


def test_a_refused_submit_is_not_retried_when_the_wait_reaches_the_deadline(fakes: Any) -> None:
    clock = VirtualClock()
    settings = dataclasses.replace(ASYNC, max_wait=20.0)
    fake = fakes(settings, clock, submit_replies=[Reply(429, headers={"Retry-After": "20"})])
    with pytest.raises(RateLimitedError):
        client_for(fake, clock).generate({"prompt": PROMPT})
    assert len(fake.requests_of("submit")) == 1 and clock.sleeps == []
    fake = fakes(settings, clock, submit_replies=[Reply(429, headers={"Retry-After": "19.5"})])
    client_for(fake, clock).generate({"prompt": PROMPT})
    assert len(fake.requests_of("submit")) == 2


def test_the_task_handle_is_the_status_url_when_the_answer_has_no_id(fakes: Any) -> None:
    fake = fakes(FAL, submit_replies=[Reply(200, {"status_url": "https://127.0.0.1:1/status/7"})])
    assert client_for(fake).submit_job({"prompt": PROMPT})[0] == "https://127.0.0.1:1/status/7"
    missing = fakes(ASYNC, omit_task_id=True)
    with pytest.raises(BadResponseError) as caught:
        client_for(missing).submit_job({"prompt": PROMPT})
    assert (caught.value.english, caught.value.chinese) == (
        f"{LABEL} accepted the request but returned no task id (expected at 'id'): {{'request_id': 'req-fake-task-1'}}",
        f"{LABEL} 接受了请求，但没有返回任务 ID（应在 'id'）：{{'request_id': 'req-fake-task-1'}}",
    )


def test_generate_names_a_result_url_that_refuses(fakes: Any) -> None:
    # the status says done too early: the result URL answers 400 (not finished)
    fake = fakes(FAL, job_seconds=60.0, poll_replies=[Reply(200, {"status": "SUCCEEDED"})])
    task = "fake-task-1"
    assert words(failure(fake)) == (
        ProviderHttpError,
        f"{LABEL} returned HTTP 400 while fetching the results: Task {task} is not finished.",
        f"获取结果时 {LABEL} 返回 HTTP 400：Task {task} is not finished.",
    )
