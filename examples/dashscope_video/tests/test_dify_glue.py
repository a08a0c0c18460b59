"""The Dify glue: the text-to-image tool's messages and the provider's credential check, with the real SDK.

Strategy: build the tool as the SDK does (``Tool.from_credentials`` in dify_plugin 0.10, interfaces/tool/tool.py)
with the fake provider's URL as the base_url credential, iterate ``tool.invoke(...)`` and assert the exact messages
Dify would store: one blob per image (bytes identical to what the fake served, mime type and file name in meta), a
JSON summary and at most one text line; failures must raise (so Dify marks the node failed) with the client's
message. Polling is sped up by pointing the glue at quick settings (the quick_glue fixture). The text-to-image cases
skip themselves in renderings without that tool; the credential check runs in every rendering (the other tools' glue
is tested in test_image_edit.py and test_video_tools.py).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from dify_plugin.entities.tool import ToolInvokeMessage
from dify_plugin.errors.tool import ToolProviderCredentialValidationError
from fake_provider import FakeProvider, Scenario, sample_jpeg
from support import (
    IS_ASYNC,
    KEY_IS_INVALID,
    PROVIDER_YAML,
    SETTINGS,
    URL_RESULTS,
    StartFake,
    closed_port_url,
    dify_parameters,
    provider_class,
    requires_tool,
    requires_tool_parameter,
    tool_class,
)

from job_client.errors import InvalidApiKeyError, PluginError, ResultDownloadError

MessageType = ToolInvokeMessage.MessageType
pytestmark = pytest.mark.usefixtures("quick_glue")
requires_text2image = requires_tool("text2image")


def invoke(fake: FakeProvider, credentials: dict[str, str] | None = None, **parameters: Any) -> list[ToolInvokeMessage]:
    tool = tool_class("text2image").from_credentials(credentials or fake.credentials, user_id="u")
    return list(tool.invoke(dify_parameters(**parameters)))


def of_type(messages: list[ToolInvokeMessage], message_type: MessageType) -> list[ToolInvokeMessage]:
    return [message for message in messages if message.type == message_type]


@requires_text2image
def test_success_yields_the_served_bytes_as_a_blob_then_a_summary(start_fake: StartFake) -> None:
    fake = start_fake()
    messages = invoke(fake)
    assert [message.type for message in messages] == [MessageType.BLOB, MessageType.JSON, MessageType.TEXT]
    blob, summary, text = messages
    (job,) = fake.jobs
    assert blob.message.blob == job.images[0]
    expected_name = f"{SETTINGS.file_prefix}-{job.id if IS_ASYNC else 'result'}-1.jpg"
    assert blob.meta == {"mime_type": "image/jpeg", "filename": expected_name}
    assert summary.message.json_object["task_id"] == (job.id if IS_ASYNC else None)
    assert summary.message.json_object["files"][0]["bytes"] == len(job.images[0])
    assert text.message.text == f"Generated 1 image with {SETTINGS.default_model}."


@requires_text2image
@requires_tool_parameter("n")
def test_two_images_give_two_blobs_and_one_text_line(start_fake: StartFake) -> None:
    fake = start_fake()
    messages = invoke(fake, n=2.0)
    assert [blob.message.blob for blob in of_type(messages, MessageType.BLOB)] == fake.jobs[0].images
    assert [blob.meta["filename"][-6:] for blob in of_type(messages, MessageType.BLOB)] == ["-1.jpg", "-2.jpg"]
    # No progress chatter: Dify shows every text message, so only the closing summary is allowed.
    assert len(of_type(messages, MessageType.TEXT)) == 1


@requires_text2image
def test_failure_raises_so_dify_marks_the_node_failed(start_fake: StartFake) -> None:
    fake = start_fake(outcome="failed")
    with pytest.raises(PluginError) as caught:
        invoke(fake)
    assert fake.scenario.failure_reason in str(caught.value)
    assert "\n" in str(caught.value)  # English, then Chinese


@requires_text2image
def test_rejected_key_raises_without_the_key(start_fake: StartFake) -> None:
    fake = start_fake()
    wrong = fake.with_secret(f"{SETTINGS.api_key_prefix}wrong-key-9876543210")
    with pytest.raises(InvalidApiKeyError) as caught:
        invoke(fake, credentials=wrong)
    assert KEY_IS_INVALID in str(caught.value)
    assert wrong[fake.secret_field] not in str(caught.value)


@requires_text2image
def test_image_over_the_cap_is_a_link_with_one_line_saying_why(start_fake: StartFake) -> None:
    # The rendering's real cap (quick settings change polling only), with an image one byte above it.
    fake = start_fake(image_bytes=sample_jpeg(min_size=SETTINGS.result.max_bytes + 1))
    if not URL_RESULTS:
        with pytest.raises(ResultDownloadError, match="no URL to link"):
            invoke(fake)
        return
    messages = invoke(fake)
    assert of_type(messages, MessageType.BLOB) == []
    (link,) = of_type(messages, MessageType.LINK)
    assert link.message.text == f"{fake.origin}/files/{fake.jobs[0].file_names[0]}"
    (text,) = of_type(messages, MessageType.TEXT)
    generated, reason = text.message.text.split(". ", 1)
    assert generated == f"Generated 1 image with {SETTINGS.default_model}"
    assert reason.startswith("Result 1 is larger than the") and reason.endswith("returned as a link instead.")
    assert "\n" not in text.message.text


@requires_text2image
def test_concurrent_invocations_each_get_their_own_images(start_fake: StartFake) -> None:
    # No job finishes before all 4 were submitted: one after another, the first would wait for the fake's timeout.
    fake = start_fake(gather=4)
    prompts = [f"picture number {index}" for index in range(4)]
    # from_credentials installs a signal handler: it must run in the main thread; invoking may not.
    tools = [tool_class("text2image").from_credentials(fake.credentials, user_id=f"u{index}") for index in range(4)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda tool, prompt: list(tool.invoke(dify_parameters(prompt=prompt))), tools, prompts))
    assert fake.gathered is True  # they ran side by side, not one after another
    jobs_by_prompt = {job.prompt: job for job in fake.jobs}
    assert sorted(jobs_by_prompt) == sorted(prompts)
    for prompt, messages in zip(prompts, results, strict=True):
        (blob,) = of_type(messages, MessageType.BLOB)
        assert blob.message.blob == jobs_by_prompt[prompt].images[0]


# ── the provider's credential check ────────────────────────────────────────────
def test_good_key_passes_the_check_without_generating_anything(start_fake: StartFake) -> None:
    fake = start_fake()
    provider_class()().validate_credentials(fake.credentials)
    assert [request.kind for request in fake.requests] == ["validate"]


def test_rejected_key_fails_the_check_saying_invalid(start_fake: StartFake) -> None:
    fake = start_fake()
    wrong = fake.with_secret(f"{SETTINGS.api_key_prefix}wrong-key-9876543210")
    with pytest.raises(ToolProviderCredentialValidationError) as caught:
        provider_class()().validate_credentials(wrong)
    assert KEY_IS_INVALID in str(caught.value)
    assert wrong[fake.secret_field] not in str(caught.value)
    assert [request.kind for request in fake.requests] == ["validate"]


def test_the_credential_form_asks_for_each_field_the_settings_auth_names() -> None:
    # One API key by default; a signed-token API (e.g. Kling) asks for its access key and secret key.
    form = PROVIDER_YAML["credentials_for_provider"]
    assert list(form) == [*SETTINGS.auth.fields, "base_url"]
    for name in SETTINGS.auth.fields:
        assert (form[name]["type"], form[name]["required"]) == ("secret-input", True), name
    assert (form["base_url"]["type"], form["base_url"]["required"]) == ("text-input", False)


def test_unreachable_base_url_fails_the_check_naming_the_host() -> None:
    url = closed_port_url()
    with pytest.raises(ToolProviderCredentialValidationError) as caught:
        any_keys = {name: f"{SETTINGS.api_key_prefix}any-key" for name in SETTINGS.auth.fields}
        provider_class()().validate_credentials({**any_keys, "base_url": url})
    assert f"Cannot reach {url.removeprefix('http://')}" in str(caught.value)


@requires_text2image
def test_base_url_credential_with_a_trailing_slash_works(start_fake: StartFake) -> None:
    fake = start_fake()
    messages = invoke(fake, credentials={**fake.credentials, "base_url": fake.base_url + "/ "})
    assert of_type(messages, MessageType.BLOB)[0].message.blob == fake.jobs[0].images[0]


@requires_text2image
@requires_tool_parameter("n")
def test_a_partial_result_is_delivered_and_its_failed_item_named(start_fake: StartFake) -> None:
    if "[*]." not in SETTINGS.result.field:
        pytest.skip(f"results at '{SETTINGS.result.field}' are plain values: an item cannot carry an error")
    fake = start_fake(Scenario(failed_items=1, failure_reason="Output image blocked by moderation."))
    messages = invoke(fake, n=2.0)
    blobs = of_type(messages, MessageType.BLOB)
    assert [blob.message.blob for blob in blobs] == fake.jobs[0].images[:1]
    (summary,) = of_type(messages, MessageType.JSON)
    (failure,) = summary.message.json_object["failures"]
    assert "Output image blocked by moderation." in failure
    (text,) = of_type(messages, MessageType.TEXT)
    assert "1 more failed: " in text.message.text and "blocked by moderation" in text.message.text
