"""A local fake of the provider's API, built from this plugin's own ``job_client/settings.yaml``.

It answers at the paths and in the JSON layout the settings name (submit, status, results, errors, the
credential check), so the same fake serves any preset and any tool: asynchronous (ModelScope, DashScope) or
synchronous, URL or base64 results, images or videos. Build it from one tool's settings
(``FakeProvider(load_settings(tool="text2video"))``) to fake that tool's API. It also serves the result files
itself, the way a CDN would (``/files/<name>``, no key), and input files the way Dify's file service would
(``add_file`` -> ``/inputs/<name>``). Standard library only; it listens on 127.0.0.1 on a free port and starts
in milliseconds.

    from fake_provider import FakeProvider, Reply, Scenario

    with FakeProvider(scenario=Scenario(job_seconds=2)) as fake:
        client = JobClient(settings, fake.api_key, fake.base_url)   # or credentials=fake.credentials
        ...
        fake.requests_of("poll")      # what the plugin sent, with timestamps on the fake's clock
        fake.jobs[0].images           # the exact bytes served for the first job (images or videos)
        fake.jobs[0].body             # the exact JSON body of its submit request

Tests about timing share a virtual clock with the client: ``FakeProvider(settings, scenario, clock=clock,
sleep=clock.sleep)`` decides when a job is done, and holds a synchronous answer, on that clock.

Results are JPEG images, or tiny MP4-like files (an ``ftyp`` and an ``mdat`` box) when the settings describe a
video API (``Scenario(media=...)`` overrides the guess). Run it alone to point a plugin at it by hand:
``python scripts/fake_provider.py [--tool text2video] [--job-seconds 3]``.
"""

from __future__ import annotations

import argparse
import base64
import collections
import contextlib
import email.parser
import email.policy
import gzip
import json
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

# Run as `python scripts/fake_provider.py`, the plugin root is not on sys.path yet.
PLUGIN_ROOT = Path(__file__).resolve().parents[1]
if str(PLUGIN_ROOT) not in sys.path:
    sys.path.insert(0, str(PLUGIN_ROOT))

from job_client.auth import credential_value, hs256_claims  # noqa: E402
from job_client.lookup import placeholders  # noqa: E402
from job_client.media import extension_for, sniff_mime_type  # noqa: E402
from job_client.paths import document_holding, find_all, segments  # noqa: E402
from job_client.settings import BASE_TOOL, Settings, load_settings  # noqa: E402

# A real 16x16 JPEG (baseline, quality 80), so the plugin's type sniffing sees what a provider sends.
SAMPLE_JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAYEBQYFBAYGBQYHBwYIChAKCgkJChQODwwQFxQYGBcUFhYaHSUfGhsjHBYWICwgIyYnKSopGR8t"
    "MC0oMCUoKSj/2wBDAQcHBwoIChMKChMoGhYaKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCj/wAAR"
    "CAAQABADASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEG"
    "E1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWG"
    "h4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEB"
    "AQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYk"
    "NOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0"
    "tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwDyrwpp33Plr2Twpp33PlrjvCmnfc4r2Twp"
    "p33PlrXPMdvqLiPhXf3T/9k="
)

# What every result is: say so wherever a user may take it for a generated image (try.py --fake prints the
# note; every sample file carries the label, in a JPEG comment or the MP4's mdat box).
PLACEHOLDER_LABEL = "placeholder from the fake provider"
PLACEHOLDER_NOTE = {
    "image": "the fake API serves a 16x16 placeholder JPEG (a fixed gradient), not a generated image",
    "video": "the fake API serves a tiny placeholder MP4 (no playable frames), not a generated video",
}
# How long jobs wait for each other at most under Scenario(gather=N) (see FakeProvider.gathered).
GATHER_TIMEOUT = 10.0

Outcome = Literal["success", "failed", "never", "empty"]
Media = Literal["image", "video"]
# How result files travel: plain (Content-Length), gzip (Content-Encoding), unknown_length (no Content-Length,
# the body ends when the connection closes), truncated (the connection closes halfway through the body) or
# trickle (TRICKLE_BYTES every TRICKLE_GAP seconds: each read gets bytes in time, the body takes long).
FileTransfer = Literal["plain", "gzip", "unknown_length", "truncated", "trickle"]
TRICKLE_BYTES = 2048
TRICKLE_GAP = 0.5
# An answer's body: bytes, or pieces written one after the other (a trickle).
Body = bytes | Iterator[bytes]
RequestKind = Literal["submit", "poll", "result", "lookup", "validate", "models", "file", "input", "other"]
# Where the fake serves status and result URLs when the settings take them from the submit answer.
STATUS_URL_PATH = "/_fake/status/"
RESULT_URL_PATH = "/_fake/result/"
ITEM_FAILURE_CODE = "DataInspectionFailed"


def sample_jpeg(label: str = "", min_size: int = 0) -> bytes:
    """SAMPLE_JPEG with a comment saying it is a placeholder, plus ``label`` (so each job's image differs), padded
    to ``min_size``.

    Both changes keep the file a valid JPEG: the comment is a COM segment, the padding follows the end marker.
    """
    comment = (PLACEHOLDER_LABEL + (f": {label}" if label else "")).encode("utf-8")[:60_000]
    data = SAMPLE_JPEG[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + SAMPLE_JPEG[2:]
    return data + b"\0" * max(0, min_size - len(data))


def _box(kind: bytes, payload: bytes) -> bytes:
    """One ISO base media file box: 32-bit size (header included), 4-character type, payload."""
    return (8 + len(payload)).to_bytes(4, "big") + kind + payload


# The ``ftyp`` box every MP4 starts with: major brand isom, minor version 0x200, four compatible brands.
SAMPLE_FTYP = _box(b"ftyp", b"isom" + (0x200).to_bytes(4, "big") + b"isomiso2avc1mp41")


def sample_mp4(label: str = "", min_size: int = 0) -> bytes:
    """A deterministic MP4-like file: the ``ftyp`` box, then an ``mdat`` box saying it is a placeholder, with
    ``label``, padded to min_size.

    Enough for what the plugin does with a video (sniff ``ftyp`` at bytes 4-8, pass the bytes on unchanged);
    it has no ``moov`` box, so players will not play it.
    """
    payload = (PLACEHOLDER_LABEL + (f": {label}" if label else "")).encode("utf-8")
    payload += b"\0" * max(0, min_size - len(SAMPLE_FTYP) - 8 - len(payload))
    return SAMPLE_FTYP + _box(b"mdat", payload)


def guess_media(settings: Settings) -> Media:
    """What the settings' API returns: video when its file prefix or result field says so, else images."""
    return "video" if "video" in f"{settings.file_prefix} {settings.result.field}".lower() else "image"


@dataclass(frozen=True)
class Reply:
    """One scripted HTTP answer, served before the normal ones (e.g. ``Reply(429, headers={"Retry-After": "1"})``).

    ``body=None`` gives a JSON error naming the status, placed at the settings' first error field.
    """

    status: int
    body: str | bytes | dict[str, Any] | None = None  # bytes: sent as they are (application/octet-stream)
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def html(cls, status: int = 200) -> Reply:
        """What a proxy or login page sends instead of the API: HTML with the given status."""
        page = "<!DOCTYPE html><html><head><title>Gateway</title></head><body><h1>Please sign in</h1></body></html>"
        return cls(status, page, {"Content-Type": "text/html; charset=utf-8"})


@dataclass
class Scenario:
    """How the fake behaves. Every field has a default that makes a job succeed at once."""

    api_key: str | None = None  # the key it accepts; None: the settings' key prefix + "fake-key-0123456789"
    job_seconds: float = 0.0  # from the submit until the job is finished (sync: the submit answers then)
    outcome: Outcome = "success"  # failed: failure_reason at the first error field; never: stays pending
    failure_reason: str = "The prompt was rejected by content moderation."
    images: int | None = None  # results per job; None: the request's `n` (read through body_fields), else 1
    image_bytes: bytes | None = None  # every result's bytes; None: a sample labelled with the job (all unique)
    submit_replies: list[Reply] = field(default_factory=list)  # served first, one per submit request
    poll_replies: list[Reply] = field(default_factory=list)  # served first, one per status request
    image_status: int = 200  # e.g. 404: every result URL answers that status
    file_transfer: FileTransfer = "plain"  # how the result URLs send their bytes
    omit_task_id: bool = False  # the submit answer lacks the task id
    media: Media | None = None  # what the samples are (JPEG or MP4); None: guess_media(settings)
    # Jobs stay unfinished until this many were submitted (at most GATHER_TIMEOUT s): proves calls overlap.
    gather: int = 0
    failed_items: int = 0  # the last N results of a list become {code, message} items (a partial failure)
    # The model listing (settings.models.path; often the validate route too): the ids it lists. None: the
    # curated models plus a chat model. Given a list, a submit naming another model is refused (HTTP 404).
    models: list[str] | None = None
    models_replies: list[Reply] = field(default_factory=list)  # served first, one per listing request
    models_delay: float = 0.0  # seconds before the listing answers (a slow provider)
    file_delay: float = 0.0  # seconds before a result URL answers (a slow CDN)
    poll_delay: float = 0.0  # seconds before a status request answers (a stalled status request)


@dataclass(frozen=True)
class RecordedRequest:
    kind: RequestKind
    method: str
    path: str
    headers: dict[str, str]
    # parsed JSON; a multipart form as {name: text, or {"filename", "content_type", "data"} for a file part};
    # the raw text otherwise; None when empty
    body: Any
    at: float  # the fake's clock (time.monotonic() unless given) when it arrived
    query: str = ""  # the query string, as sent (MiniMax: task_id=...)


@dataclass
class Job:
    id: str
    prompt: str
    body: dict[str, Any]  # the submit request's JSON body, as received
    images: list[bytes]  # exactly the bytes served (as files or as base64); videos too, despite the name
    file_names: list[str]  # where the images are served: /files/<name>
    submitted_at: float
    done_at: float


def lookup_pattern(step: str) -> re.Pattern[str]:
    """A result.lookup path as a regular expression: its first placeholder is the job id (group ``job``)."""
    pieces = re.split(r"\{[^{}]+\}", step)
    groups = ["(?P<job>[^/&?]+)", *["[^/&?]+"] * (len(pieces) - 2)]
    return re.compile("".join(re.escape(piece) + group for piece, group in zip(pieces, [*groups, ""], strict=True)))


def document_at(path: str, value: Any) -> dict[str, Any]:
    """A JSON document holding ``value`` at a dotted path (``error.message``, ``output.task_id``)."""
    return document_holding(path, [value])


def results_at(path: str, values: list[Any]) -> dict[str, Any]:
    """A JSON document holding every value at a result path (``output_images``, ``data[*].b64_json``).

    A path through ``[*]`` gets one list item per value; a path to one place holds them all as one list
    (``{"output_images": [...]}``, which the client flattens); a fixed item (``data[0].url``) holds the first.
    """
    indexes = [index for _, index in segments(path) if index is not None]
    if not indexes:
        return document_holding(path, [list(values)])
    return document_holding(path, values if indexes[0] == "*" else values[:1])


def merge(*documents: dict[str, Any]) -> dict[str, Any]:
    """Deep merge of JSON mappings; later documents win on conflicting leaves."""
    merged: dict[str, Any] = {}
    for document in documents:
        for key, value in document.items():
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = merge(merged[key], value)
            else:
                merged[key] = value
    return merged


class FakeProvider:
    """The provider's API on 127.0.0.1, answering as ``settings`` describe and ``scenario`` scripts."""

    def __init__(
        self,
        settings: Settings | None = None,
        scenario: Scenario | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        """``clock`` times jobs and requests; ``sleep`` holds a synchronous answer (default: real, until stop())."""
        self.settings = settings or load_settings()
        self.scenario = scenario or Scenario()
        self._clock = clock
        self._sleep = sleep
        self.api_key = self.scenario.api_key or f"{self.settings.api_key_prefix}fake-key-0123456789"
        # A signed-token API (settings auth jwt_hs256): this issuer, and api_key as the secret that signs.
        self.issuer = "fake-access-key-0123456789"
        self.media: Media = self.scenario.media or guess_media(self.settings)
        self.jobs: list[Job] = []
        self._requests: list[RecordedRequest] = []
        self._files: dict[str, bytes] = {}
        self._inputs: dict[str, tuple[int, bytes, str]] = {}
        self._replies = {
            "submit": collections.deque(self.scenario.submit_replies),
            "poll": collections.deque(self.scenario.poll_replies),
            "models": collections.deque(self.scenario.models_replies),
        }
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._gathered = threading.Event()
        self.gathered: bool | None = None  # Scenario(gather=N): whether N jobs were submitted before the timeout
        # The real base URL's path (e.g. /v1) is kept, so the plugin joins paths exactly as in production.
        self._prefix = urlsplit(self.settings.base_url).path.rstrip("/")
        before, _, after = self.settings.poll.path.partition("{task_id}")
        # The task id may sit in the path or in the query string (MiniMax: /query/video_generation?task_id=...).
        self._poll_pattern = re.compile(re.escape(before) + r"(?P<task_id>[^/&?]+)" + re.escape(after))
        # result.lookup steps: each placeholder is answered with the job id, so any step finds its job.
        self._lookup_patterns = [lookup_pattern(step) for step in self.settings.result.lookup]
        # A model named in the path (Replicate, fal, BFL): any model id, slashes included.
        self._submit_pattern = re.compile(re.escape(self.settings.submit.path).replace(re.escape("{model}"), ".+"))
        self._models_path = self.settings.models.path.split("?")[0]
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ── lifecycle ──────────────────────────────────────────────────────────────
    def start(self) -> FakeProvider:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # releases handlers that hold a request open (sync "never")
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeProvider:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ── what tests read ────────────────────────────────────────────────────────
    @property
    def origin(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake provider is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def base_url(self) -> str:
        """The value for the plugin's base_url credential."""
        return self.origin + self._prefix

    @property
    def credentials(self) -> dict[str, str]:
        """Credentials as Dify passes them to the tool and the provider: a good key (or, for a signed-token API, the
        issuer and the secret its auth fields name) and this base URL."""
        auth = self.settings.auth
        keys = {auth.fields[0]: self.issuer, auth.fields[1]: self.api_key} if auth.kind == "jwt_hs256" else {}
        return {**(keys or {auth.fields[0]: self.api_key}), "base_url": self.base_url}

    @property
    def secret_field(self) -> str:
        """The credential field holding the secret: api_key, or the signing key of a signed-token API."""
        return self.settings.auth.fields[-1]

    def with_secret(self, secret: str) -> dict[str, str]:
        """The credentials with another secret (e.g. a wrong key the fake refuses), the rest unchanged."""
        return {**self.credentials, self.secret_field: secret}

    def auth_headers(self) -> dict[str, str]:
        """The auth header the fake accepts now: the key, or a freshly signed token."""
        scheme = f"{self.settings.auth_scheme} " if self.settings.auth_scheme else ""
        value = credential_value(self.settings.auth, self.credentials, time.time())
        return {self.settings.auth_header: f"{scheme}{value}"}

    def accepts(self, headers: dict[str, str]) -> bool:
        """Whether a request with these headers passes the fake's credential check."""
        return self._authorized(headers)

    @property
    def environment(self) -> dict[str, str]:
        """What scripts/try.py reads outside Dify: each credential field upper-cased (API_KEY), and BASE_URL."""
        keys = {name.upper(): value for name, value in self.credentials.items() if name != "base_url"}
        return {**keys, "BASE_URL": self.base_url}

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def requests_of(self, kind: RequestKind) -> list[RecordedRequest]:
        return [request for request in self.requests if request.kind == kind]

    # ── input files (what Dify's file service serves to an editing tool) ─────────
    def add_file(self, name: str, data: bytes, *, status: int = 200, content_type: str | None = None) -> str:
        """Serve ``data`` at ``/inputs/<name>`` without any key, as Dify serves an uploaded file; returns its URL.

        ``status`` other than 200 makes the URL answer that status instead (e.g. 404 for a FILES_URL Dify
        itself cannot resolve); ``content_type`` defaults to the sniffed type of ``data``.
        """
        if "/" in name or not name:
            raise ValueError(f"input file name {name!r} must be a plain file name")
        kind = content_type or sniff_mime_type(data) or "application/octet-stream"
        with self._lock:
            self._inputs[name] = (status, data, kind)
        return f"{self.origin}/inputs/{name}"

    # ── behaviour (called by the handler threads) ──────────────────────────────
    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _scripted(self, kind: str) -> Reply | None:
        with self._lock:
            replies = self._replies.get(kind)
            return replies.popleft() if replies else None

    def _kind(self, method: str, path: str, query: str = "") -> tuple[RequestKind, str]:
        api_query = f"{path[len(self._prefix) :]}?{query}" if query else path[len(self._prefix) :]
        if method == "GET" and path.startswith(self._prefix) and self._looks_up(api_query):
            # Before the result files: an API without a base path may look its files up under /files/ too.
            return "lookup", api_query
        if path.startswith("/files/"):
            return "file", path
        if path.startswith("/inputs/"):
            return "input", path
        if not path.startswith(self._prefix):
            return "other", path
        api_path = path[len(self._prefix) :]
        if method == "POST" and self._submit_pattern.fullmatch(api_path):
            return "submit", api_path
        if method == "GET" and api_path.startswith(STATUS_URL_PATH) and self.settings.submit.poll_url_field:
            return "poll", api_path
        if method == "GET" and api_path.startswith(RESULT_URL_PATH) and self.settings.submit.result_url_field:
            return "result", api_path
        with_query = f"{api_path}?{query}" if query else api_path
        if method == "GET" and self.settings.mode == "async" and self._poll_pattern.fullmatch(with_query):
            return "poll", with_query
        if method == "GET" and self._looks_up(with_query):
            return "lookup", with_query
        if method == "GET" and api_path == self.settings.validate_path.split("?")[0]:  # Gemini: /models?pageSize=1
            return "validate", api_path
        if method == "GET" and api_path == self._models_path:
            return "models", api_path
        return "other", api_path

    def _looks_up(self, api_path: str) -> bool:
        """Whether a GET (path after the base path, with its query) is a step of result.lookup."""
        return any(pattern.fullmatch(api_path) for pattern in self._lookup_patterns)

    @staticmethod
    def _header(headers: dict[str, str], name: str) -> str | None:
        return next((value for key, value in headers.items() if key.lower() == name.lower()), None)

    def _authorized(self, headers: dict[str, str]) -> bool:
        scheme = f"{self.settings.auth_scheme} " if self.settings.auth_scheme else ""
        if self._missing_headers(headers, self.settings.extra_headers):
            return False
        sent = self._header(headers, self.settings.auth_header) or ""
        if self.settings.auth.kind == "jwt_hs256":
            # A token signed with the secret, valid now, issued by the access key.
            claims = (
                hs256_claims(sent.removeprefix(scheme), self.api_key, time.time()) if sent.startswith(scheme) else None
            )
            return claims is not None and claims.get("iss") == self.issuer
        return sent == f"{scheme}{self.api_key}"

    def _error(self, status: int, message: str) -> tuple[int, dict[str, str], bytes]:
        answer = document_at(self.settings.error_fields[0], message)
        codes = self.settings.error_code
        code = next((code for code, meant in codes.status.items() if meant == status), None) if codes else None
        if codes is not None and code is not None:
            # An API with errors inside HTTP 200 answers (MiniMax base_resp): the code that stands for the status.
            return self._json(200, merge(answer, document_at(codes.field, int(code) if code.isdigit() else code)))
        return self._json(status, answer)

    @staticmethod
    def _json(status: int, document: Any) -> tuple[int, dict[str, str], bytes]:
        return status, {"Content-Type": "application/json"}, json.dumps(document, ensure_ascii=False).encode()

    def _reply(self, reply: Reply) -> tuple[int, dict[str, str], bytes]:
        if reply.body is None:
            # A scripted status is sent as that HTTP status, even where the API puts its own errors in the body.
            message = f"HTTP {reply.status} (scripted by the fake provider)"
            status, headers, body = self._json(reply.status, document_at(self.settings.error_fields[0], message))
        elif isinstance(reply.body, dict):
            status, headers, body = self._json(reply.status, reply.body)
        elif isinstance(reply.body, bytes):
            status, headers, body = reply.status, {"Content-Type": "application/octet-stream"}, reply.body
        else:
            status, headers, body = reply.status, {"Content-Type": "text/plain; charset=utf-8"}, reply.body.encode()
        return status, {**headers, **reply.headers}, body

    def handle(self, method: str, path: str, headers: dict[str, str], body: Any) -> tuple[int, dict[str, str], Body]:
        """Answer one request: (status, headers, body). ``path`` may carry a query string (recorded without it)."""
        path, _, query = path.partition("?")
        kind, api_path = self._kind(method, path, query)
        self._record(RecordedRequest(kind, method, path, headers, body, self._clock(), query))
        if kind == "file":
            if self.scenario.file_delay and self._hold(self.scenario.file_delay):
                return 503, {"Content-Type": "text/plain"}, b"stopped"
            return self._file(path.removeprefix("/files/"))
        if kind == "input":
            return self._input(path.removeprefix("/inputs/"))
        if kind == "other":
            return self._error(404, f"No route for {method} {path}")
        if not self._authorized(headers):
            # Real APIs often echo the token they refused: the plugin must not repeat it to the user.
            sent = self._header(headers, self.settings.auth_header) or ""
            return self._error(401, f"Invalid API key or token: {sent!r}")
        if kind in ("validate", "models") and api_path == self._models_path:
            return self._listing()
        if kind == "validate":
            return self._json(200, {"object": "list", "data": [{"id": self.settings.default_model}]})
        scripted = self._scripted(kind)
        if scripted is not None:
            return self._reply(scripted)
        if kind == "submit":
            return self._submit(headers, body)
        if kind == "result":
            return self._result_fetch(api_path.removeprefix(RESULT_URL_PATH))
        if kind == "lookup":
            return self._lookup(api_path)
        if self.scenario.poll_delay and self._hold(self.scenario.poll_delay):
            return self._error(503, "The fake provider stopped.")
        if api_path.startswith(STATUS_URL_PATH):
            return self._poll(api_path.removeprefix(STATUS_URL_PATH), headers)
        match = self._poll_pattern.fullmatch(api_path)
        assert match is not None
        return self._poll(match["task_id"], headers)

    def listed_models(self) -> list[str]:
        """The ids the listing answers with."""
        if self.scenario.models is not None:
            return list(self.scenario.models)
        known = [*self.settings.models.known, self.settings.default_model]
        return [*dict.fromkeys(known), "fake-chat-model-7b"]

    def _listing(self) -> tuple[int, dict[str, str], bytes]:
        if self.scenario.models_delay and self._stopping.wait(self.scenario.models_delay):
            return self._error(503, "The fake provider stopped.")
        scripted = self._scripted("models")
        if scripted is not None:
            return self._reply(scripted)
        return self._json(200, {"object": "list", **results_at(self.settings.models.ids_field, self.listed_models())})

    def _missing_headers(self, headers: dict[str, str], wanted: dict[str, str]) -> list[str]:
        return [name for name, value in wanted.items() if self._header(headers, name) != value]

    def _submit(self, headers: dict[str, str], body: Any) -> tuple[int, dict[str, str], bytes]:
        missing = self._missing_headers(headers, self.settings.submit.headers)
        if missing:
            return self._error(400, f"Missing or wrong header(s): {', '.join(missing)}")
        if not isinstance(body, dict):
            return self._error(400, "The request body must be a JSON object.")
        submit = self.settings.submit
        image_field = submit.body_fields.get("image")
        multipart = submit.body_format == "multipart"
        if multipart != (self._header(headers, "Content-Type") or "").startswith("multipart/form-data"):
            return self._error(400, f"The request body must be {submit.body_format}.")
        # A multipart form is flat: its field names are the body_fields targets as written.
        sent = ([body[image_field]] if image_field in body else []) if multipart and image_field else []
        if not multipart and image_field:
            # An image sent as [media type, base64 data] (Gemini's inline_data) needs both.
            paths = image_field if isinstance(image_field, list) else [image_field]
            sent = [all(any(find_all(body, path)) for path in paths)]
        if multipart and image_field and not all(isinstance(value, dict) for value in sent):
            return self._error(400, f"The input image '{image_field}' must be a file part.")
        if image_field and not any(value for value in sent):
            # An editing API refuses a request without its input image, as real ones do.
            return self._error(400, f"Missing input image at '{image_field}'.")
        model = next(iter(find_all(body, self.settings.submit.body_fields.get("model", "model"))), None)
        if self.scenario.models is not None and model not in self.scenario.models:
            # As real APIs answer a retired or unknown model (OpenAI: 404 "The model ... does not exist").
            return self._error(404, f"The model {model} does not exist or you do not have access to it.")
        job = self._new_job(body)
        if self.settings.mode == "sync":
            # A synchronous API holds the request open until the job is done.
            self._wait_for_gathering()
            if self._hold(job.done_at - self._clock()) or self.scenario.outcome == "never":
                self._stopping.wait()
                return self._error(504, "The fake provider stopped before the job finished.")
            if self.scenario.outcome == "failed":
                return self._error(400, self.scenario.failure_reason)
            if self.settings.result.kind == "binary":
                return self._binary(job)
            return self._json(200, merge({"created": int(time.time())}, self._results(job)))
        if self.scenario.omit_task_id:
            return self._json(200, {"request_id": f"req-{job.id}"})
        answer = merge({"request_id": f"req-{job.id}"}, document_at(submit.task_id_field, job.id))
        api_root = f"{self.origin}{self._prefix}"
        if submit.poll_url_field:
            answer = merge(answer, document_at(submit.poll_url_field, f"{api_root}{STATUS_URL_PATH}{job.id}"))
        if submit.result_url_field:
            answer = merge(answer, document_at(submit.result_url_field, f"{api_root}{RESULT_URL_PATH}{job.id}"))
        return self._json(200, answer)

    def _binary(self, job: Job) -> tuple[int, dict[str, str], bytes]:
        """result.kind binary: the answer's body is the first result itself."""
        if not job.images:
            return self._error(500, "The job produced no file.")
        data = job.images[0]
        return 200, {"Content-Type": sniff_mime_type(data) or "application/octet-stream"}, data

    def _result_fetch(self, task_id: str) -> tuple[int, dict[str, str], bytes]:
        """The second URL of a two-step API (submit.result_url_field): the results once the job is done."""
        job = next((job for job in self.jobs if job.id == task_id), None)
        if job is None:
            return self._error(404, f"Task {task_id} not found.")
        if self.scenario.outcome not in ("success", "empty") or self._clock() < job.done_at:
            return self._error(400, f"Task {task_id} is not finished.")
        if self.settings.result.kind == "binary":
            return self._binary(job)
        return self._json(200, self._results(job))

    def _poll(self, task_id: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        poll = self.settings.poll
        missing = self._missing_headers(headers, poll.headers)
        if missing:
            return self._error(400, f"Missing or wrong header(s): {', '.join(missing)}")
        job = next((job for job in self.jobs if job.id == task_id), None)
        if job is None:
            return self._error(404, f"Task {task_id} not found.")
        if self.scenario.outcome == "never" or self._clock() < job.done_at or not self._wait_for_gathering(0.0):
            pending = next(iter(poll.pending), "RUNNING")
            return self._json(200, document_at(poll.status_field, pending))
        if self.scenario.outcome == "failed":
            failure = document_at(self.settings.error_fields[0], self.scenario.failure_reason)
            return self._json(200, merge(document_at(poll.status_field, poll.failure[0]), failure))
        done = document_at(poll.status_field, poll.success[0])
        if self.settings.result.lookup:
            # The status answer names the job (MiniMax's file_id); the lookup chain leads to the results.
            return self._json(200, merge(done, self._names_for(self.settings.result.lookup[0], job)))
        if self.settings.submit.result_url_field:
            # The results are fetched from the result URL, which the status answer names too (fal's response_url).
            result_url = f"{self.origin}{self._prefix}{RESULT_URL_PATH}{job.id}"
            return self._json(200, merge(done, document_at(self.settings.submit.result_url_field, result_url)))
        return self._json(200, merge(done, self._results(job)))

    @staticmethod
    def _names_for(step: str, job: Job) -> dict[str, Any]:
        """A document holding the job id at every placeholder of a lookup step."""
        return merge({}, *(document_at(name, job.id) for name in placeholders(step)))

    def _lookup(self, path: str) -> tuple[int, dict[str, str], bytes]:
        """One step of result.lookup: the next step's placeholders, or the results after the last step."""
        steps = self.settings.result.lookup
        # _kind matched one of the patterns: the first that matches is this step.
        index, found = next(
            (index, found)
            for index, found in enumerate(pattern.fullmatch(path) for pattern in self._lookup_patterns)
            if found is not None
        )
        job = next((job for job in self.jobs if job.id == found["job"]), None)
        if job is None:
            return self._error(404, f"File {found['job']} not found.")
        if index + 1 < len(steps):
            return self._json(200, self._names_for(steps[index + 1], job))
        return self._json(200, self._results(job))

    def _new_job(self, body: dict[str, Any]) -> Job:
        fields = self.settings.submit.body_fields
        prompt = str(next(iter(find_all(body, fields.get("prompt", "prompt"))), ""))
        count = self.scenario.images
        if count is None:
            requested = next(iter(find_all(body, fields["n"])), 1) if "n" in fields else 1
            # Multipart forms carry numbers as text.
            numeric = isinstance(requested, int | float) or (isinstance(requested, str) and requested.isdigit())
            count = int(requested) if numeric else 1
        if self.scenario.outcome == "empty":
            count = 0
        now = self._clock()
        sample = sample_mp4 if self.media == "video" else sample_jpeg
        with self._lock:
            job_id = f"fake-task-{len(self.jobs) + 1}"
            images = [
                self.scenario.image_bytes or sample(f"{job_id} {self.media} {index} prompt {prompt}")
                for index in range(1, count + 1)
            ]
            names = [
                f"{job_id}-{index}.{extension_for(sniff_mime_type(data) or '')}" for index, data in enumerate(images, 1)
            ]
            job = Job(job_id, prompt, body, images, names, now, now + self.scenario.job_seconds)
            self.jobs.append(job)
            self._files.update(zip(names, images, strict=True))
            if self.scenario.gather and len(self.jobs) >= self.scenario.gather:
                self.gathered = self.gathered is not False  # False stays: the timeout already ran out
                self._gathered.set()
        return job

    def _hold(self, seconds: float) -> bool:
        """Wait ``seconds`` (on the injected sleep, if any); True when the fake is stopping."""
        if self._sleep is None:
            return self._stopping.wait(max(0.0, seconds))
        self._sleep(max(0.0, seconds))
        return self._stopping.is_set()

    def _wait_for_gathering(self, seconds: float = GATHER_TIMEOUT) -> bool:
        """Under Scenario(gather=N): wait up to ``seconds`` for the N-th submit; True once it came or time ran out."""
        if not self.scenario.gather or self._gathered.is_set():
            return True
        first = self.jobs[0].submitted_at if self.jobs else self._clock()
        if self._gathered.wait(max(0.0, min(seconds, first + GATHER_TIMEOUT - self._clock()))):
            return True
        if self._clock() >= first + GATHER_TIMEOUT:  # let the jobs finish anyway, and remember it failed
            self.gathered = False
            self._gathered.set()
            return True
        return False

    def _results(self, job: Job) -> dict[str, Any]:
        if self.settings.result.kind == "base64":
            values = [base64.b64encode(data).decode("ascii") for data in job.images]
        else:
            values = [f"{self.origin}/files/{name}" for name in job.file_names]
        path = self.settings.result.field
        if self.media == "video" and len(values) == 1 and "[" not in path:
            return document_at(path, values[0])  # a video API names one file: {"output": {"video_url": "..."}}
        document = results_at(path, values)
        head, star, _ = path.rpartition("[*].")
        failed = min(self.scenario.failed_items, len(values))
        if star and failed:
            # As DashScope reports a blocked image: the item holds {code, message} instead of the result.
            items = find_all(document, f"{head}[*]")
            for item in items[len(items) - failed :]:
                item.clear()
                item.update({"code": ITEM_FAILURE_CODE, "message": self.scenario.failure_reason})
        return document

    def _file(self, name: str) -> tuple[int, dict[str, str], Body]:
        data = self._files.get(name)
        if data is None:
            return 404, {"Content-Type": "text/plain"}, b"not found"
        if self.scenario.image_status != 200:
            return self.scenario.image_status, {"Content-Type": "text/plain"}, b"gone"
        headers = {"Content-Type": sniff_mime_type(data) or "application/octet-stream"}
        transfer = self.scenario.file_transfer
        if transfer == "gzip":
            return 200, {**headers, "Content-Encoding": "gzip"}, gzip.compress(data, mtime=0)
        if transfer == "unknown_length":
            return 200, {**headers, "Content-Length": ""}, data  # "": send no Content-Length at all
        if transfer == "truncated":
            return 200, {**headers, "Content-Length": str(len(data))}, data[: len(data) // 2]
        if transfer == "trickle":
            return 200, {**headers, "Content-Length": str(len(data))}, self._trickle(data)
        return 200, headers, data

    def _trickle(self, data: bytes) -> Iterator[bytes]:
        for start in range(0, len(data), TRICKLE_BYTES):
            if start and self._hold(TRICKLE_GAP):
                return
            yield data[start : start + TRICKLE_BYTES]

    def _input(self, name: str) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            found = self._inputs.get(name)
        if found is None:
            return 404, {"Content-Type": "text/plain"}, b"not found"
        status, data, content_type = found
        if status != 200:
            return status, {"Content-Type": "text/plain"}, f"HTTP {status} (scripted by the fake provider)".encode()
        return 200, {"Content-Type": content_type}, data


def parse_multipart(content_type: str, raw: bytes) -> dict[str, Any]:
    """A multipart/form-data body as {name: text} with file parts as {"filename", "content_type", "data"}.

    Repeated names (``image[]``) collect into a list. Standard library only (the email parser).
    """
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode("latin-1") + raw
    )
    form: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        value: Any = (
            {"filename": filename, "content_type": part.get_content_type(), "data": data}
            if filename is not None
            else data.decode("utf-8", "replace")
        )
        if name in form:
            form[name] = [*(form[name] if isinstance(form[name], list) else [form[name]]), value]
        else:
            form[name] = value
    return form


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's backlog of 5 drops connections when many clients poll at once (they retry a second later).
    request_queue_size = 128


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeProvider/1"
    server: ThreadingHTTPServer

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        content_type = self.headers.get("Content-Type") or ""
        body: Any
        if content_type.startswith("multipart/form-data"):
            body = parse_multipart(content_type, raw)
        else:
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode("utf-8", "replace")
        fake: FakeProvider = self.server.fake  # type: ignore[attr-defined]
        status, headers, payload = fake.handle(self.command, self.path, dict(self.headers), body)
        if isinstance(payload, bytes):
            headers = {"Content-Length": str(len(payload)), **headers}
        self.send_response(status)
        for name, value in headers.items():
            if value:
                self.send_header(name, value)
        self.end_headers()
        for piece in [payload] if isinstance(payload, bytes) else payload:
            self.wfile.write(piece)  # unbuffered: each piece goes out as it is written
        # HTTP/1.0: the connection closes after each answer, which ends a body sent without Content-Length and
        # cuts a body shorter than its Content-Length.

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._serve()

    def do_POST(self) -> None:  # noqa: N802
        self._serve()

    def handle(self) -> None:
        # The plugin may hang up first, e.g. after reading a Content-Length above its cap.
        with contextlib.suppress(ConnectionError, TimeoutError):
            super().handle()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (signature of http.server)
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve a fake of this plugin's provider API on 127.0.0.1.")
    parser.add_argument("--tool", default=BASE_TOOL, help="fake this tool's API (a tools.<name> settings section)")
    parser.add_argument("--job-seconds", type=float, default=3.0, help="time from submit to finished job")
    parser.add_argument("--outcome", choices=["success", "failed", "never", "empty"], default="success")
    args = parser.parse_args()
    scenario = Scenario(job_seconds=args.job_seconds, outcome=args.outcome)
    with FakeProvider(load_settings(tool=args.tool), scenario) as fake:
        print(f"{fake.settings.provider_label} fake at {fake.base_url}  api_key={fake.api_key}  (Ctrl-C stops)")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
