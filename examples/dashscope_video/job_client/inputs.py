"""Input images for editing tools: fetch them from Dify, check them, shrink them if needed, encode them.

Inputs are sent inline (a base64 data URI, or bare base64) or as the Dify file URL; they are never uploaded
anywhere else.
"""

from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING

import requests

from job_client.errors import PluginError
from job_client.media import sniff_mime_type
from job_client.settings import ImageInputSettings

if TYPE_CHECKING:
    from PIL.Image import Image as PillowImage

INPUT_TYPES = ("image/png", "image/jpeg", "image/webp", "image/gif")
# Dify serves uploads up to its own limits; anything far larger is not an image to edit.
MAX_FETCH_BYTES = 50_000_000


def fetch_input(url: str, timeout: float) -> bytes:
    """The bytes of a Dify file, fetched with our own timeout (the SDK's File.blob allows only 5 s)."""
    try:
        with requests.get(url, stream=True, timeout=(min(10.0, timeout), timeout)) as response:
            if response.status_code >= 400:
                raise PluginError(
                    f"Could not read the input image from Dify: HTTP {response.status_code}. "
                    "Check FILES_URL / INTERNAL_FILES_URL in Dify's .env.",
                    f"无法从 Dify 读取输入图片：HTTP {response.status_code}。"
                    "请检查 Dify .env 中的 FILES_URL / INTERNAL_FILES_URL。",
                )
            chunks, size = [], 0
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > MAX_FETCH_BYTES:
                    raise PluginError(
                        f"The input image is larger than {MAX_FETCH_BYTES // 1_000_000} MB.",
                        f"输入图片超过 {MAX_FETCH_BYTES // 1_000_000} MB。",
                    )
                chunks.append(chunk)
    except requests.RequestException as error:
        raise PluginError(
            f"Could not read the input image from Dify ({type(error).__name__}). "
            "Check FILES_URL / INTERNAL_FILES_URL in Dify's .env.",
            f"无法从 Dify 读取输入图片（{type(error).__name__}）。"
            "请检查 Dify .env 中的 FILES_URL / INTERNAL_FILES_URL。",
        ) from None
    return b"".join(chunks)


def checked_image(data: bytes, limits: ImageInputSettings) -> tuple[bytes, str]:
    """The image and its media type, shrunk with Pillow when it is over the byte or side limit."""
    mime_type = sniff_mime_type(data)
    if mime_type not in INPUT_TYPES:
        raise PluginError(
            "The input file is not a PNG, JPEG, WebP or GIF image.",
            "输入文件不是 PNG、JPEG、WebP 或 GIF 图片。",
        )
    try:
        from PIL import Image  # only editing tools need Pillow
    except ImportError:
        if len(data) > limits.max_bytes:
            raise _too_large(len(data), limits) from None
        return data, mime_type
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if len(data) <= limits.max_bytes and max(width, height) <= limits.max_side:
                return data, mime_type
            return _shrink(image, limits, len(data))
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        # Pillow's errors for truncated or corrupt files, and for absurd pixel counts.
        raise PluginError(
            f"The input {mime_type.removeprefix('image/').upper()} file could not be read as an image "
            f"({type(error).__name__}); upload it again or use another file.",
            f"输入的 {mime_type.removeprefix('image/').upper()} 文件无法作为图片读取（{type(error).__name__}）；"
            "请重新上传或换一个文件。",
        ) from None


def _shrink(image: PillowImage, limits: ImageInputSettings, original_size: int) -> tuple[bytes, str]:
    """Smaller copies (JPEG, or PNG to keep transparency) until one fits; the original is never altered."""
    keep_alpha = image.mode in ("RGBA", "LA", "P")
    side = min(limits.max_side, max(image.size))
    for _ in range(6):
        copy = image.convert("RGBA" if keep_alpha else "RGB")
        copy.thumbnail((side, side))
        buffer = io.BytesIO()
        if keep_alpha:
            copy.save(buffer, format="PNG", optimize=True)
        else:
            copy.save(buffer, format="JPEG", quality=90)
        if buffer.tell() <= limits.max_bytes:
            return buffer.getvalue(), "image/png" if keep_alpha else "image/jpeg"
        side = int(side * 0.75)
    raise _too_large(original_size, limits)


def _too_large(size: int, limits: ImageInputSettings) -> PluginError:
    return PluginError(
        f"The input image is {size / 1e6:.1f} MB, above the {limits.max_bytes / 1e6:.1f} MB limit, and could not "
        "be shrunk below it.",
        f"输入图片为 {size / 1e6:.1f} MB，超过 {limits.max_bytes / 1e6:.1f} MB 上限，且无法压缩到上限以下。",
    )


def data_uri(data: bytes, mime_type: str) -> str:
    return f"data:{mime_type};base64,{base64.b64encode(data).decode('ascii')}"


def data_uri_parts(value: str) -> tuple[str, str]:
    """(media type, base64 data) of a data URI: for APIs that take the two apart (Gemini's inline_data).

    Settings ``body_fields`` give such an image two paths, ``[media type path, data path]``.
    """
    header, comma, encoded = value.partition(",")
    if not (value.startswith("data:") and comma and header.endswith(";base64")):
        raise PluginError(
            "settings.yaml sends the input image as a media type and base64 data: set image_input.transport to "
            "data_uri.",
            "settings.yaml 以媒体类型和 base64 数据两部分发送输入图片：请将 image_input.transport 设为 data_uri。",
        )
    return header.removeprefix("data:").removesuffix(";base64"), encoded


def inline_image(data: bytes, mime_type: str, limits: ImageInputSettings) -> str:
    """The image as the API takes it inline: a data URI, or (transport base64, e.g. Kling) the bare base64 text."""
    if limits.transport == "base64":
        return base64.b64encode(data).decode("ascii")
    return data_uri(data, mime_type)


def image_for_provider(url: str, limits: ImageInputSettings, timeout: float) -> str:
    """What goes into the request: the checked image inline (a data URI or bare base64), or the Dify file URL."""
    if not url.lower().startswith(("http://", "https://")):
        # Dify gives tools a path such as /files/... when its FILES_URL is not set: usable by no one.
        raise PluginError(
            f"The input image's URL is not absolute ({url[:60]}): set FILES_URL (and INTERNAL_FILES_URL) in "
            "Dify's .env so that plugins can read uploaded files.",
            f"输入图片的 URL 不是完整地址（{url[:60]}）：请在 Dify 的 .env 中设置 FILES_URL（以及 "
            "INTERNAL_FILES_URL），以便插件读取上传的文件。",
        )
    if limits.transport == "url":
        return url
    data, mime_type = checked_image(fetch_input(url, timeout), limits)
    return inline_image(data, mime_type, limits)
