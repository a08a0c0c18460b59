"""The video tools' glue: one-shot text2video, and video_submit + video_query for jobs longer than Dify allows.

Strategy: a fake provider built from the ``tools.text2video`` settings serves tiny MP4 files (an ``ftyp`` and an
``mdat`` box, so the plugin's sniffing sees video/mp4); each tool is invoked as the SDK does and the test asserts
the exact messages Dify would store: the video as a ``video/mp4`` blob with a ``.mp4`` name and never an image
message, over-cap videos as a link, variables for the submit id and the pending status, and raised errors
(timeout naming the task, failed task with the provider's reason). It also checks which requests reached the
fake: submit never polls, a query is one status request. The client's fault matrix for the video settings is in
test_job_client.py. Skipped in renderings without the text2video tool.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import pytest
from dify_plugin.entities.tool import ToolInvokeMessage
from fake_provider import FakeProvider, sample_mp4
from support import (
    KEY_IS_INVALID,
    PROMPT,
    StartFake,
    VirtualClock,
    quick,
    requires_tool,
    scheduled_polls,
    settings_for,
    tool_class,
    tool_parameters,
)

from job_client.errors import JobTimeoutError, PluginError, ProviderHttpError, TaskFailedError
from job_client.families import model_family
from job_client.paths import find_all
from job_client.settings import Settings

MessageType = ToolInvokeMessage.MessageType
IMAGE_TYPES = {MessageType.IMAGE, MessageType.IMAGE_LINK}
pytestmark = [requires_tool("text2video"), pytest.mark.usefixtures("quick_glue")]


def video_settings() -> Settings:
    return quick(settings_for("text2video"))


def start_video(start_fake: StartFake, settings: Settings | None = None, **fields: Any) -> FakeProvider:
    fake = start_fake(settings=settings or video_settings(), **fields)
    assert fake.media == "video"  # guessed from the settings: MP4 samples
    return fake


def invoke(tool: str, fake: FakeProvider, **parameters: Any) -> list[ToolInvokeMessage]:
    """The tool invoked as the SDK does: the form defaults of its YAML, then these parameters."""
    instance = tool_class(tool).from_credentials(fake.credentials, user_id="u")
    defaults = tool_parameters(tool) if tool != "video_query" else {}
    return list(instance.invoke({**defaults, **parameters}))


def types(messages: list[ToolInvokeMessage]) -> list[MessageType]:
    return [message.type for message in messages]


def submit_task(fake: FakeProvider) -> str:
    """Start a task with the video_submit tool and return the id it reported."""
    (variable,) = [m for m in invoke("video_submit", fake) if m.type == MessageType.VARIABLE]
    return str(variable.message.variable_value)


def handle_of(fake: FakeProvider, job_id: str) -> str:
    """The task id the submit tool reports: the job's id, or its status URL where the API names one (fal)."""
    if fake.settings.submit.poll_url_field:
        return f"{fake.base_url}/_fake/status/{job_id}"
    return job_id


def assert_mp4_blob(message: ToolInvokeMessage, served: bytes, task_id: str) -> None:
    assert message.type == MessageType.BLOB
    assert message.message.blob == served
    assert message.meta["mime_type"] == "video/mp4"
    prefix = settings_for("text2video").file_prefix
    if task_id.startswith("http"):  # a status URL, made safe for a file name
        assert message.meta["filename"].startswith(f"{prefix}-http-")
        assert message.meta["filename"].endswith(f"-{task_id.rsplit('/', 1)[1]}-1.mp4")
    else:
        assert message.meta["filename"] == f"{prefix}-{task_id}-1.mp4"


# ── one-shot text2video ────────────────────────────────────────────────────────
def test_one_shot_video_is_an_mp4_blob_never_an_image(start_fake: StartFake) -> None:
    fake = start_video(start_fake, job_seconds=0.3)
    messages = invoke("text2video", fake)
    assert types(messages) == [MessageType.BLOB, MessageType.JSON, MessageType.TEXT]
    (job,) = fake.jobs
    assert_mp4_blob(messages[0], job.images[0], job.id)
    assert job.images[0][4:8] == b"ftyp"
    settings = settings_for("text2video")
    assert messages[2].message.text == f"Generated 1 video with {settings.default_model}."
    summary = messages[1].message.json_object
    assert summary["task_id"] == job.id and summary["files"][0]["mime_type"] == "video/mp4"
    # What was sent: the prompt, the video model, and the select values typed as the API wants them.
    fields = settings.submit.body_fields
    assert find_all(job.body, fields["prompt"]) == [PROMPT]
    if "model" in fields:  # else the model is in the submit path (fal, Replicate)
        assert find_all(job.body, fields["model"]) == [settings.default_model]
    declared = tool_parameters("text2video")
    family = model_family(settings, settings.default_model)
    taken = family.body_fields if family is not None else fields
    if "duration" in taken and "duration" in declared:
        # An integer, or the option's text where the API takes it so (fal's Kling: "5"), with the unit where the
        # API wants one in it (settings submit.value_suffixes; Luma: "5s").
        sent = int(declared["duration"]) if "duration" in settings.submit.integer_fields else str(declared["duration"])
        if "duration" in settings.submit.value_suffixes:
            sent = f"{sent}{settings.submit.value_suffixes['duration']}"
        assert find_all(job.body, taken["duration"]) == [sent]
    if "size" in fields and "size" in declared and "x" in str(declared["size"]):
        width, height = str(declared["size"]).split("x")
        if isinstance(fields["size"], list):  # two integer fields (Together's width and height)
            sent_sides = [find_all(job.body, side) for side in fields["size"]]
            assert sent_sides == [[int(width)], [int(height)]]
        else:
            assert find_all(job.body, fields["size"]) == [f"{width}{settings.submit.size_separator}{height}"]


def test_one_shot_video_over_the_cap_is_a_link_not_an_image(start_fake: StartFake, use_settings: Any) -> None:
    cap = 50_000
    settings = video_settings()
    settings = dataclasses.replace(settings, result=dataclasses.replace(settings.result, max_bytes=cap))
    use_settings(settings, tool="text2video")
    fake = start_video(start_fake, settings, image_bytes=sample_mp4("a long video", min_size=cap + 1))
    messages = invoke("text2video", fake)
    assert types(messages) == [MessageType.LINK, MessageType.JSON, MessageType.TEXT]
    assert not IMAGE_TYPES & set(types(messages))  # Dify would download an image message's URL itself
    assert messages[0].message.text == f"{fake.origin}/files/{fake.jobs[0].file_names[0]}"
    assert messages[1].message.json_object["links"] == [messages[0].message.text]
    assert messages[2].message.text.endswith("returned as a link instead.")


def test_one_shot_timeout_names_the_task_so_it_can_be_queried(
    start_fake: StartFake, use_settings: Any, glue_clock: VirtualClock
) -> None:
    settings = dataclasses.replace(video_settings(), max_wait=1.0)
    use_settings(settings, tool="text2video")
    fake = start_video(start_fake, settings, outcome="never", clock=glue_clock)
    started = glue_clock.now
    with pytest.raises(JobTimeoutError) as caught:
        invoke("text2video", fake)
    (job,) = fake.jobs
    # It gave up exactly at max_wait, after the status requests its schedule places before then.
    assert glue_clock.now - started == pytest.approx(1.0)
    assert len(fake.requests_of("poll")) == sum(at < 1.0 for at in scheduled_polls(settings, 1.0))
    assert f"task {job.id} did not finish within 1 s" in str(caught.value)


def test_one_shot_failure_raises_with_the_providers_reason(start_fake: StartFake) -> None:
    fake = start_video(start_fake, outcome="failed")
    with pytest.raises(TaskFailedError) as caught:
        invoke("text2video", fake)
    assert fake.scenario.failure_reason in str(caught.value) and fake.jobs[0].id in str(caught.value)


# ── video_submit ───────────────────────────────────────────────────────────────
def test_submit_returns_the_task_id_at_once_without_polling(start_fake: StartFake, glue_clock: VirtualClock) -> None:
    fake = start_video(start_fake, job_seconds=60.0, clock=glue_clock)
    messages = invoke("video_submit", fake)
    assert glue_clock.sleeps == []  # at once: the client never waited
    assert types(messages) == [MessageType.VARIABLE, MessageType.JSON, MessageType.TEXT]
    (job,) = fake.jobs
    variable, summary, text = messages
    handle = handle_of(fake, job.id)
    assert (variable.message.variable_name, variable.message.variable_value) == ("task_id", handle)
    assert summary.message.json_object == {
        "task_id": handle,
        "model": settings_for("text2video").default_model,
        "status": "submitted",
    }
    assert handle in text.message.text
    assert [request.kind for request in fake.requests] == ["submit"]


def test_submit_failure_raises_with_the_providers_message(start_fake: StartFake) -> None:
    fake = start_video(start_fake)
    wrong = fake.with_secret(f"{fake.settings.api_key_prefix}wrong-key-9876543210")
    tool = tool_class("video_submit").from_credentials(wrong, user_id="u")
    with pytest.raises(PluginError, match=KEY_IS_INVALID):
        list(tool.invoke(tool_parameters("video_submit")))
    assert fake.jobs == []


# ── video_query ────────────────────────────────────────────────────────────────
def test_query_of_a_running_task_reports_its_status_without_raising(start_fake: StartFake) -> None:
    fake = start_video(start_fake, job_seconds=60.0)
    task_id = submit_task(fake)
    messages = invoke("video_query", fake, task_id=task_id)
    pending = next(iter(fake.settings.poll.pending), "RUNNING")
    assert types(messages) == [MessageType.VARIABLE, MessageType.JSON, MessageType.TEXT]
    variable, summary, text = messages
    assert (variable.message.variable_name, variable.message.variable_value) == ("status", pending)
    assert summary.message.json_object == {"task_id": task_id, "status": pending, "done": False}
    assert task_id in text.message.text and "query it again later" in text.message.text
    assert [request.kind for request in fake.requests] == ["submit", "poll"]  # one status request, no waiting


def test_query_of_a_finished_task_returns_the_mp4(start_fake: StartFake) -> None:
    fake = start_video(start_fake, job_seconds=0.3)
    task_id = submit_task(fake)
    first = invoke("video_query", fake, task_id=task_id)  # still running
    assert types(first)[0] == MessageType.VARIABLE
    time.sleep(0.3)
    messages = invoke("video_query", fake, task_id=f"  {task_id}\n")  # pasted ids carry whitespace
    assert types(messages) == [MessageType.BLOB, MessageType.JSON, MessageType.TEXT]
    assert not IMAGE_TYPES & set(types(messages))
    assert_mp4_blob(messages[0], fake.jobs[0].images[0], task_id)
    assert messages[1].message.json_object["task_id"] == task_id
    # A two-step API (fal) fetches the results from their own URL once the status says done.
    result = ["result"] if fake.settings.submit.result_url_field else []
    result += ["lookup"] * len(fake.settings.result.lookup)  # MiniMax: the file id's download URL
    assert [request.kind for request in fake.requests] == ["submit", "poll", "poll", *result, "file"]


def test_query_of_a_failed_task_raises_with_the_reason(start_fake: StartFake) -> None:
    fake = start_video(start_fake, outcome="failed")
    task_id = submit_task(fake)
    with pytest.raises(TaskFailedError) as caught:
        invoke("video_query", fake, task_id=task_id)
    message = str(caught.value)
    assert fake.scenario.failure_reason in message and task_id in message
    assert fake.settings.poll.failure[0] in message


def test_query_of_an_unknown_task_names_the_http_status(start_fake: StartFake) -> None:
    fake = start_video(start_fake)
    with pytest.raises(ProviderHttpError) as caught:
        invoke("video_query", fake, task_id=handle_of(fake, "no-such-task"))
    assert "HTTP 404" in str(caught.value) and "Task no-such-task not found" in str(caught.value)


def test_query_without_a_task_id_is_refused_before_any_request(start_fake: StartFake) -> None:
    fake = start_video(start_fake)
    with pytest.raises(PluginError, match="'task_id' .* is required but empty"):
        invoke("video_query", fake, task_id="   ")
    assert fake.requests == []


def test_query_by_a_bare_id_where_only_the_status_url_answers_is_refused_before_any_request(
    start_fake: StartFake,
) -> None:
    fake = start_video(start_fake)
    if not fake.settings.submit.poll_url_field or "{task_id}" in fake.settings.poll.path:
        pytest.skip("this API's status path takes the task id")
    with pytest.raises(PluginError, match="pass the task_id the submit tool returned") as caught:
        invoke("video_query", fake, task_id="fake-task-1")
    assert "提交工具返回的 task_id" in str(caught.value)
    assert fake.requests == []
