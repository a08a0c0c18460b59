"""The image-to-video tool's glue: the input image from Dify's file service to the request, a video back.

Strategy: the fake provider (built from the ``tools.image2video`` settings) also plays Dify's file service
(``fake.add_file``), and the tool is invoked as the SDK does with a file parameter dict as the daemon sends it.
Each test checks what crossed the wire: the submit body's image field (the served bytes as a data URI or bare
base64, or the file URL unchanged, as ``image_input.transport`` says), the MP4 blob returned, and no request to the
provider when the input is refused. Image shrinking and the refusals' details are shared with image_edit
(test_image_edit.py); the client's fault matrix for these settings is in test_job_client.py. Skipped without the
image2video tool.
"""

from __future__ import annotations

import base64
import dataclasses
from typing import Any

import pytest
from dify_plugin.entities.tool import ToolInvokeMessage
from fake_provider import FakeProvider, sample_mp4
from support import (
    INPUT_JPEG,
    PROMPT,
    StartFake,
    dify_file,
    quick,
    requires_tool,
    settings_for,
    tool_class,
    tool_parameters,
)

from job_client.errors import PluginError
from job_client.paths import find_all

MessageType = ToolInvokeMessage.MessageType
pytestmark = [requires_tool("image2video"), pytest.mark.usefixtures("quick_glue")]


@pytest.fixture
def start_i2v(start_fake: StartFake, use_settings: Any) -> Any:
    """``start_i2v("url")``: the glue and a fake both use image2video settings with that image transport."""

    def _start(transport: str) -> FakeProvider:
        settings = quick(settings_for("image2video"))
        settings = dataclasses.replace(
            settings, image_input=dataclasses.replace(settings.image_input, transport=transport)
        )
        use_settings(settings, tool="image2video")
        return start_fake(settings=settings)

    return _start


def invoke(fake: FakeProvider, **parameters: Any) -> list[ToolInvokeMessage]:
    """The tool invoked as the SDK does, with the form defaults of tools/image2video.yaml."""
    tool = tool_class("image2video").from_credentials(fake.credentials, user_id="u")
    return list(tool.invoke(tool_parameters("image2video", **parameters)))


def sent(fake: FakeProvider, name: str) -> list[Any]:
    """The values of one tool parameter in the one submit request the fake received."""
    (submit,) = fake.requests_of("submit")
    return find_all(submit.body, fake.settings.submit.body_fields[name])


def test_the_image_goes_inline_and_a_video_comes_back(start_i2v: Any) -> None:
    fake = start_i2v("data_uri")
    url = fake.add_file("cat.jpg", INPUT_JPEG)
    messages = invoke(fake, image=dify_file(url, INPUT_JPEG))
    assert sent(fake, "image") == ["data:image/jpeg;base64," + base64.b64encode(INPUT_JPEG).decode("ascii")]
    assert sent(fake, "prompt") == [PROMPT]
    if "model" in fake.settings.submit.body_fields:
        assert sent(fake, "model") == [fake.settings.default_model]
    else:  # the model is in the submit path (fal, Replicate)
        (submit,) = fake.requests_of("submit")
        assert fake.settings.default_model in submit.path
    assert [message.type for message in messages] == [MessageType.BLOB, MessageType.JSON, MessageType.TEXT]
    blob = messages[0]
    (job,) = fake.jobs
    assert blob.message.blob == job.images[0] == sample_mp4(f"{job.id} video 1 prompt {PROMPT}")
    assert blob.meta["mime_type"] == "video/mp4" and blob.meta["filename"].endswith("-1.mp4")


def test_url_transport_sends_the_dify_file_url_unchanged(start_i2v: Any) -> None:
    fake = start_i2v("url")
    url = fake.add_file("cat.jpg", INPUT_JPEG) + "?timestamp=1&sign=abc"  # Dify's signed file URLs
    messages = invoke(fake, image=dify_file(url, INPUT_JPEG))
    assert sent(fake, "image") == [url]
    assert fake.requests_of("input") == []  # the provider fetches it, not the plugin
    assert [message.message.blob for message in messages if message.type == MessageType.BLOB] == fake.jobs[0].images


def test_base64_transport_sends_the_bare_base64_without_a_data_uri_prefix(start_i2v: Any) -> None:
    fake = start_i2v("base64")  # e.g. Kling: "do not add any prefixes ... such as data:image/png;base64"
    url = fake.add_file("cat.jpg", INPUT_JPEG)
    messages = invoke(fake, image=dify_file(url, INPUT_JPEG))
    assert sent(fake, "image") == [base64.b64encode(INPUT_JPEG).decode("ascii")]
    assert [message.message.blob for message in messages if message.type == MessageType.BLOB] == fake.jobs[0].images


def test_missing_image_is_refused_before_any_request(start_i2v: Any) -> None:
    fake = start_i2v("data_uri")
    with pytest.raises(PluginError, match="'image' .* is required but empty"):
        invoke(fake, image=None)
    assert fake.requests == []
