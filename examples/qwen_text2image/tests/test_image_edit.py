"""The image-edit tool's glue: the input image from Dify's file service to the provider's request body.

Strategy: the fake provider (built from the ``tools.image_edit`` settings) also plays Dify's file service
(``fake.add_file`` -> an ``/inputs/<name>`` URL), and the tool is invoked as the SDK does with a file parameter
dict exactly as the daemon sends it (``dify_model_identity: __dify__file__``, url, mime_type...). Each test
checks what really crossed the wire: the submit body's image field (a ``data:<mime>;base64,...`` URI decoding to
the served bytes, or the file URL unchanged), the image's size and validity after shrinking (decoded with
Pillow), which requests were made (none to the provider when the input is refused), and the message a user sees.
The client's fault matrix for this tool's settings is in test_job_client.py. Skipped without the image_edit tool.
"""

from __future__ import annotations

import base64
import dataclasses
import io
import random
from typing import Any

import pytest
from dify_plugin.entities.tool import ToolInvokeMessage
from fake_provider import FakeProvider
from support import (
    INPUT_JPEG,
    PROMPT,
    StartFake,
    closed_port_url,
    dify_file,
    quick,
    requires_tool,
    settings_for,
    tool_class,
    tool_parameters,
)

from job_client.errors import PluginError
from job_client.media import sniff_mime_type
from job_client.paths import find_all
from job_client.settings import Settings

MessageType = ToolInvokeMessage.MessageType
pytestmark = [requires_tool("image_edit"), pytest.mark.usefixtures("quick_glue")]


def edit_settings(**image_input: Any) -> Settings:
    """The image_edit settings, polled quickly, with the given image_input fields replaced."""
    settings = quick(settings_for("image_edit"))
    return dataclasses.replace(settings, image_input=dataclasses.replace(settings.image_input, **image_input))


@pytest.fixture
def start_edit(start_fake: StartFake, use_settings: Any) -> Any:
    """``start_edit(transport="url")``: the glue and a fake both use image_edit settings with those image_input."""

    def _start(scenario_fields: dict[str, Any] | None = None, **image_input: Any) -> FakeProvider:
        settings = edit_settings(**image_input)
        use_settings(settings, tool="image_edit")
        return start_fake(settings=settings, **(scenario_fields or {}))

    return _start


def invoke(fake: FakeProvider, **parameters: Any) -> list[ToolInvokeMessage]:
    """The tool invoked as the SDK does, with the form defaults of tools/image_edit.yaml."""
    tool = tool_class("image_edit").from_credentials(fake.credentials, user_id="u")
    return list(tool.invoke(tool_parameters("image_edit", **parameters)))


SETTINGS_EDIT_MULTIPART = settings_for("image_edit").submit.body_format == "multipart"


def sent_image(fake: FakeProvider) -> str:
    """The image field of the one submit request the fake received, as a data URI or the URL sent.

    A multipart API (settings.yaml ``body_format: multipart``) gets the image as a file part: the same bytes and
    type, written back here as the data URI the client made it from.
    """
    (submit,) = fake.requests_of("submit")
    field = fake.settings.submit.body_fields["image"]
    if isinstance(field, list):  # the media type and the base64 data in two fields (Gemini's inlineData)
        (mime_type,), (data,) = (find_all(submit.body, path) for path in field)
        return f"data:{mime_type};base64,{data}"
    (value,) = [submit.body[field]] if fake.settings.submit.body_format == "multipart" else find_all(submit.body, field)
    if isinstance(value, dict):
        return f"data:{value['content_type']};base64," + base64.b64encode(value["data"]).decode("ascii")
    return value


def decode_data_uri(value: str) -> tuple[str, bytes]:
    header, _, payload = value.partition(",")
    assert header.startswith("data:") and header.endswith(";base64"), value[:80]
    return header.removeprefix("data:").removesuffix(";base64"), base64.b64decode(payload, validate=True)


def noise_image(width: int, height: int, mode: str = "RGB", file_format: str = "PNG") -> bytes:
    """A deterministic image of random pixels: it compresses badly, so its size is known to be large."""
    from PIL import Image  # Pillow is a dependency of renderings with image_edit only

    channels = len(mode)
    image = Image.frombytes(mode, (width, height), random.Random(7).randbytes(width * height * channels))
    buffer = io.BytesIO()
    image.save(buffer, format=file_format)
    return buffer.getvalue()


def image_size(data: bytes) -> tuple[int, int]:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        image.load()  # a truncated or corrupt file fails here
        return image.size


def header(headers: dict[str, str], name: str) -> str | None:
    return next((value for key, value in headers.items() if key.lower() == name.lower()), None)


# ── what is sent ───────────────────────────────────────────────────────────────
def test_input_goes_inline_as_a_data_uri_of_the_served_bytes(start_edit: Any) -> None:
    fake = start_edit(transport="data_uri")
    url = fake.add_file("cat.jpg", INPUT_JPEG)
    messages = invoke(fake, image=dify_file(url, INPUT_JPEG))
    assert sent_image(fake) == "data:image/jpeg;base64," + base64.b64encode(INPUT_JPEG).decode("ascii")
    settings = fake.settings
    (submit,) = fake.requests_of("submit")
    assert find_all(submit.body, settings.submit.body_fields["prompt"]) == [PROMPT]
    if "model" in settings.submit.body_fields:
        assert find_all(submit.body, settings.submit.body_fields["model"]) == [settings.default_model]
    else:  # named in the path (submit.path's {model})
        assert submit.path.endswith(settings.submit.path.replace("{model}", settings.default_model))
    for path, value in settings.submit.body_extra.items():
        assert find_all(submit.body, path) == [value]
    # The input is read once from Dify's file service, and the provider's key is never sent there.
    (fetch,) = fake.requests_of("input")
    assert header(fetch.headers, settings.auth_header) is None
    # The edited image comes back as a blob, exactly as served.
    assert [message.type for message in messages] == [MessageType.BLOB, MessageType.JSON, MessageType.TEXT]
    blob = messages[0]
    (job,) = fake.jobs
    assert blob.message.blob == job.images[0]
    assert blob.meta["mime_type"] == "image/jpeg"
    assert blob.meta["filename"].startswith(f"{settings.file_prefix}-") and blob.meta["filename"].endswith("-1.jpg")
    assert messages[2].message.text == f"Generated 1 image with {settings.default_model}."


def test_url_transport_sends_the_dify_file_url_unchanged(start_edit: Any) -> None:
    if SETTINGS_EDIT_MULTIPART:
        pytest.skip("this API takes the input image as a file part of a multipart form, never as a URL")
    if isinstance(settings_for("image_edit").submit.body_fields.get("image"), list):
        pytest.skip("this API takes the input image inline as its media type and base64 data, never as a URL")
    fake = start_edit(transport="url")
    url = fake.add_file("cat.jpg", INPUT_JPEG) + "?timestamp=1&sign=abc"  # Dify's signed file URLs
    messages = invoke(fake, image=dify_file(url, INPUT_JPEG))
    assert sent_image(fake) == url
    assert fake.requests_of("input") == []  # the provider fetches it, not the plugin
    assert [message.message.blob for message in messages if message.type == MessageType.BLOB] == fake.jobs[0].images


def test_oversized_input_is_shrunk_to_a_valid_jpeg_under_the_limit(start_edit: Any) -> None:
    original = noise_image(320, 240)
    limit = 40_000
    assert len(original) > 4 * limit
    fake = start_edit(transport="data_uri", max_bytes=limit)
    url = fake.add_file("noise.png", original)
    invoke(fake, image=dify_file(url, original, "noise.png", "image/png"))
    mime_type, data = decode_data_uri(sent_image(fake))
    assert mime_type == "image/jpeg" == sniff_mime_type(data)
    assert len(data) <= limit
    width, height = image_size(data)  # decodes completely: a valid image
    assert width < 320 and abs(width / height - 320 / 240) < 0.02  # smaller, same shape


def test_oversized_transparent_input_stays_a_png(start_edit: Any) -> None:
    original = noise_image(200, 200, mode="RGBA")
    limit = 60_000
    assert len(original) > limit
    fake = start_edit(transport="data_uri", max_bytes=limit)
    url = fake.add_file("cutout.png", original)
    invoke(fake, image=dify_file(url, original, "cutout.png", "image/png"))
    mime_type, data = decode_data_uri(sent_image(fake))
    assert mime_type == "image/png" == sniff_mime_type(data)  # JPEG would lose the transparency
    assert len(data) <= limit and image_size(data)[0] < 200


def test_input_over_the_side_limit_is_scaled_down(start_edit: Any) -> None:
    original = noise_image(300, 150, file_format="JPEG")
    fake = start_edit(transport="data_uri", max_side=100)
    url = fake.add_file("wide.jpg", original)
    invoke(fake, image=dify_file(url, original, "wide.jpg"))
    _, data = decode_data_uri(sent_image(fake))
    assert image_size(data) == (100, 50)


def test_input_within_the_limits_is_sent_byte_for_byte(start_edit: Any) -> None:
    original = noise_image(64, 64)
    fake = start_edit(transport="data_uri")
    url = fake.add_file("small.png", original)
    invoke(fake, image=dify_file(url, original, "small.png", "image/png"))
    assert decode_data_uri(sent_image(fake)) == ("image/png", original)  # no re-encoding, no metadata loss


# ── refused inputs: a clear error and nothing sent to the provider ─────────────
def test_text_bytes_named_as_an_image_are_refused(start_edit: Any) -> None:
    fake = start_edit(transport="data_uri")
    text = b"These are meeting notes, not a picture.\n" * 20
    url = fake.add_file("notes.png", text, content_type="image/png")
    with pytest.raises(PluginError, match="not a PNG, JPEG, WebP or GIF image"):
        invoke(fake, image=dify_file(url, text, "notes.png", "image/png"))
    assert fake.requests_of("submit") == []


def test_corrupt_image_is_refused_with_a_clear_error(start_edit: Any) -> None:
    fake = start_edit(transport="data_uri")
    broken = b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 100  # a PNG signature, then nothing readable
    url = fake.add_file("broken.png", broken)
    with pytest.raises(PluginError, match="could not be read as an image") as caught:
        invoke(fake, image=dify_file(url, broken, "broken.png", "image/png"))
    assert "\n" in str(caught.value)  # English, then Chinese
    assert fake.requests_of("submit") == []


def test_a_file_dify_declares_as_not_an_image_is_refused_before_reading_it(start_edit: Any) -> None:
    fake = start_edit(transport="data_uri")
    url = fake.add_file("notes.txt", b"plain text")
    with pytest.raises(PluginError, match="'image' .* is a text/plain file; allowed: a PNG, JPEG, WebP or GIF file"):
        invoke(fake, image=dify_file(url, b"plain text", "notes.txt", "text/plain"))
    assert fake.requests == []


def test_missing_image_is_refused_before_any_request(start_edit: Any) -> None:
    fake = start_edit(transport="data_uri")
    with pytest.raises(PluginError, match="'image' .* is required but empty"):
        invoke(fake)
    assert fake.requests == []


def test_dify_file_url_answering_404_names_files_url(start_edit: Any) -> None:
    fake = start_edit(transport="data_uri")
    url = fake.add_file("gone.jpg", b"", status=404)
    with pytest.raises(PluginError) as caught:
        invoke(fake, image=dify_file(url, INPUT_JPEG, "gone.jpg"))
    message = str(caught.value)
    assert "Could not read the input image from Dify: HTTP 404" in message
    assert "FILES_URL" in message
    assert len(fake.requests_of("input")) == 1 and fake.requests_of("submit") == []


def test_provider_failure_after_the_upload_raises_with_its_reason(start_edit: Any) -> None:
    fake = start_edit({"outcome": "failed"}, transport="data_uri")
    url = fake.add_file("cat.jpg", INPUT_JPEG)
    with pytest.raises(PluginError) as caught:
        invoke(fake, image=dify_file(url, INPUT_JPEG))
    assert fake.scenario.failure_reason in str(caught.value)


@pytest.mark.parametrize("transport", ["data_uri", "url"])
def test_a_relative_file_url_names_files_url_before_any_request(start_edit: Any, transport: str) -> None:
    # What Dify hands a tool when its FILES_URL is empty: a path that neither the plugin nor the API can fetch.
    fake = start_edit(transport=transport)
    with pytest.raises(PluginError, match="not absolute.*FILES_URL"):
        invoke(fake, image=dify_file("/files/tools/1b2c3d.png?timestamp=1&sign=abc", INPUT_JPEG, "cat.png"))
    assert fake.requests == []


# ── job_client/inputs.py directly: its limits at their edges and its words, whole ────────────────────────────
def limits(**fields: Any) -> Any:
    from job_client.settings import ImageInputSettings

    return dataclasses.replace(ImageInputSettings(), **fields)


def test_an_image_exactly_at_the_limits_is_kept_byte_for_byte() -> None:
    from job_client.inputs import checked_image

    data = noise_image(64, 32)
    assert checked_image(data, limits(max_bytes=len(data), max_side=64)) == (data, "image/png")
    shrunk, mime_type = checked_image(data, limits(max_bytes=len(data) - 1, max_side=64))
    assert mime_type == "image/jpeg" and len(shrunk) < len(data)
    shrunk, _ = checked_image(data, limits(max_bytes=len(data), max_side=63))
    assert image_size(shrunk) == (63, 32)  # Pillow rounds the other side


@pytest.mark.parametrize(("mode", "kept"), [("LA", "image/png"), ("P", "image/png"), ("L", "image/jpeg")])
def test_shrinking_keeps_transparency_where_the_mode_may_have_it(mode: str, kept: str) -> None:
    from PIL import Image

    from job_client.inputs import checked_image

    buffer = io.BytesIO()
    Image.new(mode, (80, 40)).save(buffer, format="PNG")
    data, mime_type = checked_image(buffer.getvalue(), limits(max_side=40))
    assert (mime_type, image_size(data)) == (kept, (40, 20))
    assert sniff_mime_type(data) == kept


def test_an_image_that_cannot_be_shrunk_below_the_limit_is_refused_whole() -> None:
    from job_client.inputs import checked_image

    data = noise_image(200, 200)
    with pytest.raises(PluginError) as caught:
        checked_image(data, limits(max_bytes=100, max_side=200))
    size = f"{len(data) / 1e6:.1f}"
    assert (caught.value.english, caught.value.chinese) == (
        f"The input image is {size} MB, above the 0.0 MB limit, and could not be shrunk below it.",
        f"输入图片为 {size} MB，超过 0.0 MB 上限，且无法压缩到上限以下。",
    )


def test_input_refusals_are_worded_whole() -> None:
    from job_client.inputs import checked_image

    with pytest.raises(PluginError) as caught:
        checked_image(b"plain text", limits())
    assert (caught.value.english, caught.value.chinese) == (
        "The input file is not a PNG, JPEG, WebP or GIF image.",
        "输入文件不是 PNG、JPEG、WebP 或 GIF 图片。",
    )
    with pytest.raises(PluginError) as caught:
        checked_image(b"RIFF\0\0\0\0WEBPVP8 broken", limits())
    assert (caught.value.english, caught.value.chinese) == (
        "The input WEBP file could not be read as an image (OSError); upload it again or use another file.",
        "输入的 WEBP 文件无法作为图片读取（OSError）；请重新上传或换一个文件。",
    )


def test_fetching_an_input_uses_its_timeout_and_names_what_failed(
    start_fake: StartFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    import requests

    from job_client import inputs

    fake = start_fake()
    calls: list[dict[str, Any]] = []
    real_get = requests.get

    def recording_get(url: str, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return real_get(url, **kwargs)

    monkeypatch.setattr(inputs.requests, "get", recording_get)
    data = noise_image(8, 8)
    assert inputs.fetch_input(fake.add_file("ok.png", data), 30.0) == data
    assert inputs.fetch_input(fake.add_file("short.png", data), 2.0) == data
    assert calls == [{"stream": True, "timeout": (10.0, 30.0)}, {"stream": True, "timeout": (2.0, 2.0)}]
    for status in (400, 404):
        with pytest.raises(PluginError) as caught:
            inputs.fetch_input(fake.add_file(f"gone-{status}.png", data, status=status), 5.0)
        assert (caught.value.english, caught.value.chinese) == (
            f"Could not read the input image from Dify: HTTP {status}. Check FILES_URL / INTERNAL_FILES_URL in "
            "Dify's .env.",
            f"无法从 Dify 读取输入图片：HTTP {status}。请检查 Dify .env 中的 FILES_URL / INTERNAL_FILES_URL。",
        )
    with pytest.raises(PluginError) as caught:
        inputs.fetch_input(closed_port_url() + "/files/1", 5.0)
    assert (caught.value.english, caught.value.chinese) == (
        "Could not read the input image from Dify (ConnectionError). Check FILES_URL / INTERNAL_FILES_URL in "
        "Dify's .env.",
        "无法从 Dify 读取输入图片（ConnectionError）。请检查 Dify .env 中的 FILES_URL / INTERNAL_FILES_URL。",
    )


def test_a_relative_or_unusual_input_url(start_fake: StartFake) -> None:
    from job_client.inputs import image_for_provider

    relative = "/files/" + "a" * 70
    with pytest.raises(PluginError) as caught:
        image_for_provider(relative, limits(), 5.0)
    shown = relative[:60]
    assert (caught.value.english, caught.value.chinese) == (
        f"The input image's URL is not absolute ({shown}): set FILES_URL (and INTERNAL_FILES_URL) in Dify's .env "
        "so that plugins can read uploaded files.",
        f"输入图片的 URL 不是完整地址（{shown}）：请在 Dify 的 .env 中设置 FILES_URL（以及 INTERNAL_FILES_URL），"
        "以便插件读取上传的文件。",
    )
    assert image_for_provider("HTTPS://dify.example/files/1", limits(transport="url"), 5.0) == (
        "HTTPS://dify.example/files/1"
    )
    fake = start_fake()
    data = noise_image(8, 8)
    url = fake.add_file("in.png", data).replace("http://", "HTTP://")
    assert image_for_provider(url, limits(), 5.0) == "data:image/png;base64," + base64.b64encode(data).decode()


def test_an_input_larger_than_the_fetch_cap_is_refused(start_fake: StartFake, monkeypatch: pytest.MonkeyPatch) -> None:
    from job_client import inputs

    monkeypatch.setattr(inputs, "MAX_FETCH_BYTES", 1_000_000)  # the cap, made small enough to serve here
    fake = start_fake()
    exact = b"\x89PNG\r\n\x1a\n" + b"\0" * 999_992  # 1,000,000 bytes, in 64 KB chunks
    assert inputs.fetch_input(fake.add_file("exact.png", exact), 5.0) == exact
    with pytest.raises(PluginError) as caught:
        inputs.fetch_input(fake.add_file("over.png", exact + b"\0" * 100_000), 5.0)
    assert (caught.value.english, caught.value.chinese) == (
        "The input image is larger than 1 MB.",
        "输入图片超过 1 MB。",
    )


def test_shrinking_a_transparent_image_keeps_its_alpha() -> None:
    from PIL import Image

    from job_client.inputs import checked_image

    buffer = io.BytesIO()
    Image.new("RGBA", (80, 40), (255, 0, 0, 128)).save(buffer, format="PNG")
    data, mime_type = checked_image(buffer.getvalue(), limits(max_side=40))
    with Image.open(io.BytesIO(data)) as image:
        assert (mime_type, image.mode, image.getpixel((0, 0))) == ("image/png", "RGBA", (255, 0, 0, 128))
