"""A recording HTTP server on 127.0.0.1: records every request and answers from a script.

Both the official client and the rendered plugin are pointed at the same recorder, so their requests can be
compared field by field. Standard library only.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Answer:
    """One scripted answer. ``body`` may be JSON (dict/list), bytes or text; "{origin}" in JSON text is replaced."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Part:
    """One multipart part: a text field (filename None) or a file."""

    name: str
    filename: str | None
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # names lower-cased
    content_type: str  # the media type only, without parameters such as the boundary
    body: Any  # parsed JSON, a list of Part for multipart, bytes otherwise (b"" when empty)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def parse_multipart(content_type: str, raw: bytes) -> list[Part]:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode("latin-1") + raw
    )
    parts = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        parts.append(
            Part(str(name), part.get_filename(), part.get_content_type(), part.get_payload(decode=True) or b"")
        )
    return parts


class Recorder:
    """``Recorder().start()``; ``script(method, path_regex, *answers)``; ``calls`` lists what arrived.

    Answers for a route are served in order; the last one repeats. Unscripted requests get a 404 JSON.
    """

    def __init__(self) -> None:
        self.calls: list[Recorded] = []
        self._routes: list[tuple[str, re.Pattern[str], list[Answer]]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> Recorder:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.recorder = self  # type: ignore[attr-defined]
        self._server = server
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Recorder:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def origin(self) -> str:
        assert self._server is not None, "the recorder is not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def script(self, method: str, path: str, *answers: Answer) -> None:
        """Answer ``method`` requests whose path fully matches the regex ``path`` with ``answers`` in order."""
        with self._lock:
            self._routes.insert(0, (method, re.compile(path), list(answers)))

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self._routes.clear()

    def api_calls(self) -> list[Recorded]:
        """The requests made to the API, without result downloads (/files/...)."""
        return [call for call in self.calls if not call.path.startswith("/files/")]

    def answer(self, call: Recorded) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            self.calls.append(call)
            for method, pattern, answers in self._routes:
                if method == call.method and pattern.fullmatch(call.path):
                    found = answers.pop(0) if len(answers) > 1 else answers[0]
                    break
            else:
                found = Answer(404, {"error": {"message": f"unscripted {call.method} {call.path}"}})
        body = found.body
        if isinstance(body, bytes):
            return found.status, {"Content-Type": "application/octet-stream", **found.headers}, body
        if isinstance(body, str):
            return found.status, {"Content-Type": "text/plain", **found.headers}, body.encode()
        text = json.dumps(body, ensure_ascii=False).replace("{origin}", self.origin)
        return found.status, {"Content-Type": "application/json", **found.headers}, text.encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the official clients expect

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        content_type = self.headers.get("Content-Type") or ""
        media_type = content_type.split(";")[0].strip().lower()
        body: Any = raw
        if media_type == "multipart/form-data":
            body = parse_multipart(content_type, raw)
        elif media_type == "application/json" or (raw[:1] in (b"{", b"[")):
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw
        split = urlsplit(self.path)
        headers = {name.lower(): value for name, value in self.headers.items()}
        call = Recorded(self.command, split.path, parse_qs(split.query), headers, media_type, body)
        recorder: Recorder = self.server.recorder  # type: ignore[attr-defined]
        status, answer_headers, payload = recorder.answer(call)
        self.send_response(status)
        for name, value in {**answer_headers, "Content-Length": str(len(payload))}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = _serve  # noqa: N815 (http.server's naming)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass
