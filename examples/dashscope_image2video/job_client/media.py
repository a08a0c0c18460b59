"""Media types from the bytes themselves (the provider's Content-Type and URL suffix are often wrong)."""

from __future__ import annotations

EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "image/gif": "gif",
    "video/mp4": "mp4",
}


def sniff_mime_type(data: bytes) -> str | None:
    """The media type announced by the file's magic bytes, or None when it is none of EXTENSIONS."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[4:8] == b"ftyp":
        return "video/mp4"
    return None


def extension_for(mime_type: str) -> str:
    return EXTENSIONS.get(mime_type, "bin")
