"""Submit -> poll -> fetch for image and video generation APIs, driven by ``Settings``.

Provider-neutral and Dify-free: the tool glue builds a ``JobClient`` per invocation (no shared mutable
state, so concurrent invocations cannot interfere) and turns its ``JobResult`` into Dify messages.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import email.utils
import logging
import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3

from job_client import body_errors, lookup
from job_client.auth import credential_value, field_label
from job_client.errors import (
    BadResponseError,
    CannotReachError,
    InvalidApiKeyError,
    JobTimeoutError,
    NoResultsError,
    PluginError,
    ProviderHttpError,
    RateLimitedError,
    ResultDownloadError,
    TaskFailedError,
)
from job_client.families import SIZE, check_for_model, model_family, normal_size
from job_client.inputs import data_uri_parts
from job_client.media import extension_for, sniff_mime_type
from job_client.paths import find_all, find_first, put
from job_client.settings import Settings

logger = logging.getLogger(__name__)

# A poll may be repeated safely; these answers mean "try again shortly". A 500 on a status request is usually a
# passing backend fault (the task itself lives on); it is retried like a gateway error, boundedly.
TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})
# A submit is repeated only when the server refused it, so that no job is ever started twice.
SUBMIT_RETRY_STATUSES = frozenset({429, 503})
MAX_SUBMIT_ATTEMPTS = 3
MAX_TRANSIENT_POLL_FAILURES = 5
DOWNLOAD_CHUNK = 64 * 1024
# Shortest wait allowed for one read, so that a nearly spent deadline still gives a real (tiny) timeout.
MIN_READ_TIMEOUT = 0.05
# What a request was doing, for the timeout error (English, Chinese).
SUBMIT = ("submitting the job", "提交任务")
STATUS = ("checking the task status", "查询任务状态")
# A body shorter than announced: read in one go (IncompleteRead) or streamed (ProtocolError, ChunkedEncodingError).
CUT_OFF_ERRORS = (
    urllib3.exceptions.IncompleteRead,
    urllib3.exceptions.ProtocolError,
    requests.exceptions.ChunkedEncodingError,
)
# No answer in time: before the headers (requests) or between two parts of the body (urllib3).
TIMEOUT_ERRORS = (requests.Timeout, urllib3.exceptions.TimeoutError)


@dataclass(frozen=True)
class MediaFile:
    """One result, bytes exactly as the provider sent them."""

    data: bytes
    mime_type: str
    filename: str
    source_url: str | None = None


@dataclass(frozen=True)
class OversizedResult:
    """A result above the size cap: delivered as the provider's URL instead of a file."""

    url: str
    reason: str


@dataclass(frozen=True)
class JobResult:
    task_id: str | None
    model: str
    files: list[MediaFile] = field(default_factory=list)
    oversized: list[OversizedResult] = field(default_factory=list)
    elapsed: float = 0.0
    status_requests: int = 0
    # One line per requested result that did not arrive (e.g. a DashScope item {code, message}); the files that
    # did arrive are still delivered, and the glue says how many failed.
    failures: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TaskProgress:
    """What one status request found: the provider's status, and the results once the task succeeded."""

    task_id: str
    status: str
    result: JobResult | None = None


class JobClient:
    """One generation job against one provider; create one per tool invocation."""

    def __init__(
        self,
        settings: Settings,
        api_key: str | Mapping[str, Any],
        base_url: str | None = None,
        *,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        """``api_key``: the key, or the credentials by field name when settings ``auth`` names several."""
        self.settings = settings
        # The credential fields settings.auth names: api_key alone, or e.g. Kling's access_key and secret_key.
        given = api_key if isinstance(api_key, Mapping) else {settings.auth.fields[0]: api_key}
        self._credentials = {name: str(given.get(name) or "").strip() for name in settings.auth.fields}
        self._wall_clock = wall_clock  # a signed token's issue time (jwt_hs256)
        self._tokens: set[str] = set()  # the signed tokens sent: credentials too, never repeated in a message
        self.base_url = (base_url or settings.base_url).strip().rstrip("/")
        self._session = session or requests.Session()
        self._clock = clock
        self._sleep = sleep
        self._status_requests = 0
        self._task: str | None = None  # named by a deadline error once the submit returned it
        self._model = settings.default_model  # the last body built: submit.path may name it as {model}
        self._submit_timeout = 0.0  # the model family's read timeout for a sync or wait-style submit (0: default)

    @classmethod
    def from_credentials(cls, credentials: Mapping[str, Any], settings: Settings) -> JobClient:
        """A client for the credentials Dify stores for the provider: the settings' auth fields (api_key by default)
        and an optional base_url."""
        return cls(settings, credentials, credentials.get("base_url") or None)

    # ── public API ─────────────────────────────────────────────────────────────
    def check_credentials(self) -> None:
        """One cheap authenticated GET; never generates anything."""
        self._check_key_shape()
        deadline = self._clock() + self.settings.request_timeout
        key_en, key_zh = self._credential_words()
        doing = (f"checking the {key_en}", f"校验 {key_zh}")
        response = self._request("GET", self.settings.validate_path, deadline=deadline, doing=doing)
        if response.status_code >= 400:
            raise self._http_error(response, *doing)

    def generate(self, parameters: Mapping[str, Any]) -> JobResult:
        """Run one job to the end and return its results; raises a PluginError on any failure."""
        self._check_key_shape()
        binary, submit = self.settings.result.kind == "binary", self.settings.submit
        if binary and self.settings.mode == "async" and not submit.result_url_field:
            # Checked before anything is sent: a status answer is JSON, so there would be no file to return.
            raise PluginError(
                "settings.yaml: result.kind 'binary' needs a synchronous API or submit.result_url_field.",
                "settings.yaml：result.kind 为 'binary' 时需要同步接口或 submit.result_url_field。",
            )
        started = self._clock()
        # One deadline for the whole call: every request, body, retry wait and download below stops at it.
        deadline = started + self.settings.max_wait
        body, model = self.build_body(parameters)
        response = self._submit(body, deadline)
        task_id = None
        if self.settings.mode == "async":
            submitted = self._json(response, "the submit response", "提交任务的响应")
            task_id = self._task_id(submitted)
            self._task = task_id
            logger.info("task %s submitted to %s", task_id, self.settings.provider_label)
            payload = self._wait_for_task(task_id, started, deadline, self._poll_target(submitted, task_id))
            result_url = self._url_at(submitted, self.settings.submit.result_url_field)
            if result_url:
                # fal: the status answer only says "done"; the results live at a second URL.
                response = self._request(
                    "GET", result_url, deadline=deadline, doing=("fetching the results", "获取结果")
                )
                if response.status_code >= 400:
                    raise self._http_error(response, "fetching the results", "获取结果")
                payload = None if self.settings.result.kind == "binary" else self._parsed_results(response)
        else:
            payload = None if self.settings.result.kind == "binary" else self._parsed_results(response)
        if self.settings.result.kind == "binary":
            files, oversized, failures = [self._binary(response, self._file_stem(task_id, 1))], [], []
        else:
            files, oversized, failures = self._collect_results(self._looked_up(payload, deadline), task_id, deadline)
        elapsed = self._clock() - started
        logger.info("task %s done in %.1f s with %d result(s)", task_id, elapsed, len(files) + len(oversized))
        return JobResult(task_id, model, files, oversized, elapsed, self._status_requests, failures)

    def submit_job(self, parameters: Mapping[str, Any]) -> tuple[str, str]:
        """Start an asynchronous job and return (task id, model) at once, without waiting for it."""
        self._check_key_shape()
        if self.settings.mode != "async":
            raise PluginError(
                "This API answers synchronously; there is no task to submit.",
                "该接口为同步接口，没有可提交的任务。",
            )
        body, model = self.build_body(parameters)
        # A wait-style create (the model family's request_timeout) may hold the request longer, within max_wait.
        budget = min(self.settings.max_wait, self._submit_timeout or self.settings.request_timeout)
        response = self._submit(body, self._clock() + budget)
        submitted = self._json(response, "the submit response", "提交任务的响应")
        task_id = self._task_id(submitted)
        if self.settings.submit.poll_url_field:
            # Without a status path template, only the URL from the answer can be asked later: it is the handle
            # check_task takes. (A second result URL, submit.result_url_field, is not kept: generate() only.)
            task_id = self._url_at(submitted, self.settings.submit.poll_url_field) or task_id
        logger.info("task %s submitted to %s", task_id, self.settings.provider_label)
        return task_id, model

    def check_task(self, task_id: str) -> TaskProgress:
        """One status request (a transient failure is retried briefly); the results if the task is done."""
        self._check_key_shape()
        task_id = task_id.strip()
        if not task_id:
            raise PluginError("The task id is empty.", "任务 ID 为空。")
        started = self._clock()
        deadline = started + self.settings.request_timeout
        # A task id that is a URL (an API with submit.poll_url_field) is its own status URL.
        is_url = task_id.startswith(("http://", "https://"))
        if not is_url and self.settings.submit.poll_url_field and "{task_id}" not in self.settings.poll.path:
            raise PluginError(
                f"{self.settings.provider_label} is asked by the task's status URL: pass the task_id the submit "
                f"tool returned (a URL), not '{task_id}'.",
                f"{self.settings.provider_label} 需通过任务的状态 URL 查询：请传入提交工具返回的 task_id（一个 URL），"
                f"而不是 '{task_id}'。",
            )
        path = task_id if is_url else self.settings.poll.path.replace("{task_id}", task_id)
        for attempt in range(1, 4):
            response = self._request("GET", path, deadline=deadline, headers=self.settings.poll.headers, doing=STATUS)
            self._status_requests += 1
            if response.status_code not in TRANSIENT_STATUSES or attempt == 3:
                break
            wait = self._retry_delay(response, attempt)
            if self._clock() + wait >= deadline:
                break
            self._sleep(wait)
        if response.status_code >= 400:
            raise self._http_error(response, "checking the task status", "查询任务状态")
        payload = self._json(response, "the status response", "任务状态响应")
        status = self._task_status(payload, task_id)
        if status not in self.settings.poll.success:
            return TaskProgress(task_id, status)
        model = str(find_first(payload, ["model", "output.model"]) or "")
        deadline = started + self.settings.max_wait
        result_url = self._url_at(payload, self.settings.submit.result_url_field)
        if result_url:
            # fal: the status answer says "done" and where the results wait (its response_url).
            response = self._request("GET", result_url, deadline=deadline, doing=("fetching the results", "获取结果"))
            if response.status_code >= 400:
                raise self._http_error(response, "fetching the results", "获取结果")
        if result_url and self.settings.result.kind == "binary":
            files, oversized, failures = [self._binary(response, self._file_stem(task_id, 1))], [], []
        else:
            payload = self._parsed_results(response) if result_url else payload
            files, oversized, failures = self._collect_results(self._looked_up(payload, deadline), task_id, deadline)
        elapsed = self._clock() - started
        result = JobResult(task_id, model, files, oversized, elapsed, self._status_requests, failures)
        return TaskProgress(task_id, status, result)

    def build_body(self, parameters: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
        """The JSON request body: tool parameters placed where the model's family says; empty values are left out.

        A value the chosen model does not take (settings ``families``) is refused before anything is sent.
        """
        submit = self.settings.submit
        values = {name: value for name, value in parameters.items() if value not in (None, "")}
        values.setdefault("model", self.settings.default_model)
        if not str(values.get("prompt", "")).strip():
            raise PluginError(
                "The prompt is empty: describe what to generate.",
                "提示词为空：请描述要生成的内容。",
            )
        model = str(values["model"])
        values = check_for_model(self.settings, values)
        family = model_family(self.settings, model)
        fields = family.body_fields if family is not None else submit.body_fields
        multipart = submit.body_format == "multipart"
        # Multipart forms are flat: a body_fields target is the form field's name as written (e.g. "image[]").
        place = (lambda document, target, value: document.__setitem__(target, value)) if multipart else put
        body: dict[str, Any] = {}
        for name, value in submit.body_extra.items():
            place(body, name, value)
        for name, value in values.items():
            target = fields.get(name)
            if target is None:
                continue
            if name in submit.integer_fields and isinstance(value, float) and value.is_integer():
                value = int(value)  # Dify sends numbers as floats
            elif name in submit.integer_fields and isinstance(value, str) and value.strip().isdigit():
                value = int(value)  # select options are strings
            if name == "size" and isinstance(target, list):
                # An API that takes width and height as two integers (BFL, Zhipu).
                width, height = normal_size(str(value)).split("x")
                place(body, target[0], int(width))
                place(body, target[1], int(height))
                continue
            if name == "image" and isinstance(target, list):
                # An API that takes the image's media type and base64 data apart (Gemini's inline_data).
                mime_type, data = data_uri_parts(str(value))
                place(body, target[0], mime_type)
                place(body, target[1], data)
                continue
            if name == "size" and isinstance(value, str) and SIZE.match(value):
                value = SIZE.sub(lambda found: f"{found[1]}{submit.size_separator}{found[2]}", value)
            if name in submit.value_suffixes:
                value = f"{value}{submit.value_suffixes[name]}"
            place(body, target, value)
        self._model = model
        self._submit_timeout = family.request_timeout if family is not None else 0.0
        return body, self._model

    # ── steps ──────────────────────────────────────────────────────────────────
    def _submit(self, body: dict[str, Any], deadline: float) -> requests.Response:
        multipart = self.settings.submit.body_format == "multipart"
        # requests writes the multipart Content-Type itself: it carries the boundary.
        headers = {**({} if multipart else {"Content-Type": "application/json"}), **self.settings.submit.headers}
        content: dict[str, Any] = {"files": self._form_parts(body)} if multipart else {"json": body}
        for attempt in range(1, MAX_SUBMIT_ATTEMPTS + 1):
            response = self._request(
                "POST",
                self._submit_path(),
                deadline=deadline,
                headers=headers,
                retry_safe=False,
                doing=SUBMIT,
                # A synchronous API answers when the generation is done: it may take what is left of max_wait; a
                # wait-style create (Replicate) reads for its model family's request_timeout.
                read_limit=math.inf if self.settings.mode == "sync" else (self._submit_timeout or None),
                **content,
            )
            if response.status_code in SUBMIT_RETRY_STATUSES and attempt < MAX_SUBMIT_ATTEMPTS:
                wait = self._retry_delay(response, attempt)
                if self._clock() + wait < deadline:
                    logger.info("submit refused with HTTP %s; retrying in %.1f s", response.status_code, wait)
                    self._sleep(wait)
                    continue
            if response.status_code >= 400:
                raise self._http_error(response, "submitting the job", "提交任务")
            return response
        raise AssertionError("unreachable")

    def _submit_path(self) -> str:
        """submit.path, with ``{model}`` replaced by the model id (fal, Replicate, BFL name the model in the path)."""
        return self.settings.submit.path.replace("{model}", self._model)

    @staticmethod
    def _form_parts(body: dict[str, Any]) -> list[tuple[str, tuple[str | None, bytes | str, str | None]]]:
        """Multipart parts: a data URI (the checked input image) as a file part, anything else as a text field."""
        parts: list[tuple[str, tuple[str | None, bytes | str, str | None]]] = []
        for name, value in body.items():
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, str) and item.startswith("data:") and ";base64," in item:
                    header, encoded = item.split(",", 1)
                    mime_type = header.removeprefix("data:").split(";")[0] or "application/octet-stream"
                    data = base64.b64decode(encoded)
                    parts.append((name, (f"image.{extension_for(mime_type)}", data, mime_type)))
                elif isinstance(item, bool):
                    parts.append((name, (None, "true" if item else "false", None)))
                else:
                    parts.append((name, (None, str(item), None)))
        return parts

    def _parsed_results(self, response: requests.Response) -> Any:
        return self._json(response, "the result response", "结果响应")

    def _looked_up(self, payload: Any, deadline: float) -> Any:
        """The answer ``result.field`` is read from: this one, or the last of its ``result.lookup`` chain."""
        doing = ("looking up the result", "查找结果")

        def fetch(path: str) -> Any:
            response = self._request("GET", path, deadline=deadline, doing=doing)
            if response.status_code >= 400:
                raise self._http_error(response, *doing)
            return self._json(response, "the result lookup", "结果查找的响应")

        return lookup.follow(self.settings.result.lookup, payload, fetch, self.settings.provider_label)

    def _url_at(self, payload: Any, field_path: str) -> str | None:
        """An absolute URL the submit answer gives at ``field_path`` (none when the setting is empty)."""
        if not field_path:
            return None
        url = find_first(payload, [field_path])
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise BadResponseError(
                f"{self.settings.provider_label} accepted the request but gave no URL at '{field_path}': "
                f"{self._snippet(payload)}",
                f"{self.settings.provider_label} 接受了请求，但 '{field_path}' 中没有 URL：{self._snippet(payload)}",
            )
        return url

    def _poll_target(self, submitted: Any, task_id: str) -> str:
        """Where the status is asked: the URL the submit answer names, else poll.path with the task id."""
        return self._url_at(submitted, self.settings.submit.poll_url_field) or self.settings.poll.path.replace(
            "{task_id}", task_id
        )

    def _task_id(self, payload: Any) -> str:
        task_id = find_first(payload, [self.settings.submit.task_id_field])
        if task_id is None and self.settings.submit.poll_url_field:
            # The status URL identifies the task just as well (and check_task accepts it).
            task_id = find_first(payload, [self.settings.submit.poll_url_field])
        if task_id is None:
            raise BadResponseError(
                f"{self.settings.provider_label} accepted the request but returned no task id "
                f"(expected at '{self.settings.submit.task_id_field}'): {self._snippet(payload)}",
                f"{self.settings.provider_label} 接受了请求，但没有返回任务 ID"
                f"（应在 '{self.settings.submit.task_id_field}'）：{self._snippet(payload)}",
            )
        return str(task_id)

    def next_poll_delay(self, waited: float) -> float:
        """Gap before the next status request: 10 % of the time waited so far, kept within bounds.

        Early polls come quickly so short jobs finish fast; later ones thin out so long jobs cost few requests.
        """
        poll = self.settings.poll
        smallest = min(1.75, poll.interval)
        return min(poll.interval, max(smallest, 0.1 * waited))

    def _wait_for_task(self, task_id: str, started: float, deadline: float, path: str | None = None) -> Any:
        poll = self.settings.poll
        path = path or poll.path.replace("{task_id}", task_id)
        delay = min(poll.first_delay, poll.interval)
        transient_failures = 0
        while True:
            now = self._clock()
            if now + delay >= deadline:
                self._sleep(max(0.0, deadline - now))
                raise self._timeout(task_id, self._clock() - started)
            self._sleep(delay)
            try:
                response = self._request("GET", path, deadline=deadline, headers=poll.headers, doing=STATUS)
            except CannotReachError:
                transient_failures += 1
                if transient_failures > MAX_TRANSIENT_POLL_FAILURES:
                    raise
                delay = min(poll.interval, 0.5 * 2**transient_failures)
                continue
            self._status_requests += 1
            if response.status_code in TRANSIENT_STATUSES:
                transient_failures += 1
                if transient_failures > MAX_TRANSIENT_POLL_FAILURES:
                    raise self._http_error(response, "checking the task status", "查询任务状态")
                delay = self._retry_delay(response, transient_failures)
                logger.info("status request answered HTTP %s; retrying in %.1f s", response.status_code, delay)
                continue
            if response.status_code >= 400:
                raise self._http_error(response, "checking the task status", "查询任务状态")
            transient_failures = 0
            payload = self._json(response, "the status response", "任务状态响应")
            status = self._task_status(payload, task_id)
            if status in poll.success:
                return payload
            waited = self._clock() - started
            logger.info("task %s is %s after %.1f s", task_id, status, waited)
            delay = self._retry_after(response) or self.next_poll_delay(waited)

    def _task_status(self, payload: Any, task_id: str) -> str:
        """The task's status; raises when it failed or when the response has no status at all."""
        poll = self.settings.poll
        status = find_first(payload, [poll.status_field])
        if status is None:
            raise BadResponseError(
                f"The status response of task {task_id} has no '{poll.status_field}': {self._snippet(payload)}",
                f"任务 {task_id} 的状态响应中没有 '{poll.status_field}'：{self._snippet(payload)}",
            )
        status = str(status)
        if status in poll.failure:
            reason = find_first(payload, self.settings.error_fields) or self._snippet(payload)
            raise TaskFailedError(
                f"{self.settings.provider_label} task {task_id} ended with {status}: {self._redact(str(reason))}",
                f"{self.settings.provider_label} 任务 {task_id} 失败（{status}）：{self._redact(str(reason))}",
            )
        return status

    def _item_failures(self, payload: Any) -> list[str]:
        """Provider messages of list items that carry an error instead of a result (``output.results[*].url``)."""
        result = self.settings.result
        head, star, leaf = result.field.rpartition("[*].")
        if not star:
            return []
        failures = []
        for item in find_all(payload, f"{head}[*]"):
            if not isinstance(item, dict) or find_first(item, [leaf]) is not None:
                continue
            reason = find_first(item, result.item_error_fields)
            if reason is None:
                continue  # no result and no error: a layout the settings do not describe (NoResultsError)
            code = item.get("code")
            failures.append(self._redact(f"{code}: {reason}" if code and code != reason else str(reason)))
        return failures

    def _collect_results(
        self, payload: Any, task_id: str | None, deadline: float | None = None
    ) -> tuple[list[MediaFile], list[OversizedResult], list[str]]:
        """The files of a finished task; downloads stop at ``deadline`` (default: max_wait from now)."""
        result = self.settings.result
        deadline = self._clock() + self.settings.max_wait if deadline is None else deadline
        items = []
        for value in find_all(payload, result.field):
            items.extend(value if isinstance(value, list) else [value])
        items = [item for item in items if isinstance(item, str) and item.strip()]
        failures = self._item_failures(payload)
        if not items and failures:
            task = f" {task_id}" if task_id else ""
            raise TaskFailedError(
                f"Every result of task{task} failed: {'; '.join(failures)}",
                f"任务{task} 的所有结果均失败：{'; '.join(failures)}",
            )
        if not items:
            task = f" {task_id}" if task_id else ""
            raise NoResultsError(
                f"The task{task} succeeded but returned no result at '{result.field}': {self._snippet(payload)}",
                f"任务{task} 已成功，但 '{result.field}' 中没有结果：{self._snippet(payload)}",
            )
        files: list[MediaFile] = []
        oversized: list[OversizedResult] = []
        for index, item in enumerate(items, start=1):
            stem = self._file_stem(task_id, index)
            if result.kind == "base64":
                files.append(self._decode(item, stem, index))
                continue
            fetched = self._download(item, stem, index, len(items), deadline)
            (files if isinstance(fetched, MediaFile) else oversized).append(fetched)
        if failures:
            logger.warning("%d of %d results failed: %s", len(failures), len(items) + len(failures), failures)
        return files, oversized, failures

    def _binary(self, response: requests.Response, stem: str) -> MediaFile:
        """The answer's body is the file itself (result.kind: binary)."""
        data = response.content
        mime_type = sniff_mime_type(data)
        header_type = response.headers.get("Content-Type", "").split(";")[0].strip()
        if mime_type is None and header_type in ("application/json", "text/html", "text/plain"):
            raise BadResponseError(
                f"{self.settings.provider_label} answered {header_type} where a file was expected: "
                f"{self._snippet(response.text)}",
                f"{self.settings.provider_label} 返回了 {header_type}，而不是文件：{self._snippet(response.text)}",
            )
        cap = self.settings.result.max_bytes
        if len(data) > cap:
            raise ResultDownloadError(
                f"The result is {len(data) / 1e6:.1f} MB, above the {cap / 1e6:.3g} MB cap.",
                f"结果为 {len(data) / 1e6:.1f} MB，超过 {cap / 1e6:.3g} MB 上限。",
            )
        mime_type = mime_type or header_type or "application/octet-stream"
        return MediaFile(data, mime_type, f"{stem}.{extension_for(mime_type)}")

    def _download(self, url: str, stem: str, index: int, total: int, deadline: float) -> MediaFile | OversizedResult:
        cap = self.settings.result.max_bytes
        host = urlsplit(url).netloc
        doing_en, doing_zh = f"downloading result {index} of {total}", f"下载第 {index}/{total} 个结果"
        self._check_deadline(deadline, doing_en, doing_zh)
        try:
            # Result URLs are pre-signed CDN links: never send the API key there.
            with self._session.request("GET", url, stream=True, timeout=self._timeout_for(deadline)) as response:
                if response.status_code >= 400:
                    raise ResultDownloadError(
                        f"Could not download result {index} of {total}: HTTP {response.status_code} from {host}.",
                        f"无法下载第 {index}/{total} 个结果：{host} 返回 HTTP {response.status_code}。",
                    )
                declared = int(response.headers.get("Content-Length") or 0)
                if declared > cap:
                    return self._oversized(url, index, f"{declared / 1e6:.1f} MB")
                data = self._read_body(response, deadline, cap, (doing_en, doing_zh))
                if data is None:
                    return self._oversized(url, index, f"over {cap / 1e6:.3g} MB")
                header_type = response.headers.get("Content-Type", "").split(";")[0].strip()
        except (requests.RequestException, urllib3.exceptions.HTTPError) as error:
            if self._clock() >= deadline:
                raise self._deadline_error(doing_en, doing_zh) from None
            cut_off = isinstance(error, CUT_OFF_ERRORS)
            reason_en = "the connection closed before the whole file arrived" if cut_off else type(error).__name__
            reason_zh = "文件未传输完连接就已关闭" if cut_off else type(error).__name__
            raise ResultDownloadError(
                f"Could not download result {index} of {total} from {host}: {reason_en}.",
                f"无法从 {host} 下载第 {index}/{total} 个结果：{reason_zh}。",
            ) from None
        mime_type = sniff_mime_type(data) or header_type or "application/octet-stream"
        return MediaFile(data, mime_type, f"{stem}.{extension_for(mime_type)}", url)

    def _read_body(
        self,
        response: requests.Response,
        deadline: float,
        cap: float,
        doing: tuple[str, str],
        read_limit: float | None = None,
    ) -> bytes | None:
        """The body, read a chunk at a time against the deadline (None once it passes ``cap`` bytes).

        A read timeout bounds one wait for bytes, not the body: a server trickling bytes would hold the call for
        ever. So the deadline is checked between chunks, and each read may wait only for what is left of it.
        """
        english, chinese = doing
        limit = self.settings.request_timeout if read_limit is None else read_limit
        chunks: list[bytes] = []
        size = 0
        while True:
            remaining = self._check_deadline(deadline, english, chinese)
            self._bound_next_read(response.raw, min(limit, remaining))
            try:
                chunk = response.raw.read1(DOWNLOAD_CHUNK, decode_content=True)
            except urllib3.exceptions.ReadTimeoutError:
                if self._clock() >= deadline:
                    raise self._deadline_error(english, chinese) from None
                raise
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > cap:
                return None
            chunks.append(chunk)

    @staticmethod
    def _bound_next_read(raw: Any, seconds: float) -> None:
        """Let the next read on the response's socket wait ``seconds`` at most (urllib3 keeps the connection)."""
        sock = getattr(getattr(raw, "connection", None), "sock", None)
        if sock is not None:
            sock.settimeout(max(MIN_READ_TIMEOUT, seconds))

    def _decode(self, item: str, stem: str, index: int) -> MediaFile:
        text = item.strip()
        if text.startswith("data:") and "," in text:
            text = text.split(",", 1)[1]
        try:
            data = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise ResultDownloadError(
                f"Result {index} is not valid base64 (check result.kind in settings.yaml).",
                f"第 {index} 个结果不是有效的 base64（请检查 settings.yaml 中的 result.kind）。",
            ) from None
        cap = self.settings.result.max_bytes
        if len(data) > cap:
            raise ResultDownloadError(
                f"Result {index} is {len(data) / 1e6:.1f} MB, above the {cap / 1e6:.3g} MB cap, and the API "
                "returned no URL to link instead.",
                f"第 {index} 个结果为 {len(data) / 1e6:.1f} MB，超过 {cap / 1e6:.3g} MB 上限，且接口未返回可用链接。",
            )
        mime_type = sniff_mime_type(data) or "application/octet-stream"
        return MediaFile(data, mime_type, f"{stem}.{extension_for(mime_type)}")

    # ── HTTP plumbing ──────────────────────────────────────────────────────────
    def _request(
        self,
        method: str,
        path: str,
        *,
        deadline: float,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        files: Any = None,
        retry_safe: bool = True,
        doing: tuple[str, str] = ("sending a request", "发送请求"),
        read_limit: float | None = None,
    ) -> requests.Response:
        """One API request, its body read against ``deadline``; a read waits ``read_limit`` at most (default:
        request_timeout), and never past the deadline."""
        scheme = f"{self.settings.auth_scheme} " if self.settings.auth_scheme else ""
        # A signed token (auth.kind jwt_hs256) is made afresh for each request, so it is never stale.
        credential = credential_value(self.settings.auth, self._credentials, self._wall_clock())
        if self.settings.auth.kind != "api_key":
            self._tokens.add(credential)
        all_headers = {
            self.settings.auth_header: f"{scheme}{credential}",
            **self.settings.extra_headers,
            **(headers or {}),
        }
        # Status and result URLs named by the provider's own answer (submit.poll_url_field) are absolute.
        url = path if path.startswith(("http://", "https://")) else f"{self.base_url}{path}"
        english, chinese = doing
        self._check_deadline(deadline, english, chinese)
        try:
            timeout = self._timeout_for(deadline, read_limit)
            response = self._session.request(
                method, url, headers=all_headers, json=json, files=files, timeout=timeout, stream=True
            )
            with response:
                # The body too is read against the deadline: a synchronous generation answers with its result.
                response._content = self._read_body(response, deadline, math.inf, doing, read_limit)
                response._content_consumed = True  # so that closing returns the connection to the pool
            if self.settings.error_code is not None:
                # An API that answers HTTP 200 with the outcome in the body: its code becomes the HTTP status.
                failure = (self.settings.poll.status_field, self.settings.poll.failure)
                body_errors.apply(self.settings.error_code, response, failure)
            return response
        except TIMEOUT_ERRORS as error:
            if self._clock() >= deadline:
                raise self._deadline_error(english, chinese) from None
            if not retry_safe and not isinstance(error, requests.ConnectTimeout):
                raise CannotReachError(
                    f"{self.settings.provider_label} did not answer the submit request in time; the job may still "
                    "run, so it was not sent again.",
                    f"{self.settings.provider_label} 未及时响应提交请求；任务可能仍在运行，因此没有重复提交。",
                ) from None
            raise self._unreachable(error) from None
        except (requests.RequestException, urllib3.exceptions.HTTPError) as error:
            raise self._unreachable(error) from None

    def _timeout_for(self, deadline: float, read_limit: float | None = None) -> tuple[float, float]:
        """(connect, read) timeouts: a read waits read_limit (default request_timeout) at most, never past the
        deadline."""
        limit = self.settings.request_timeout if read_limit is None else read_limit
        read = max(MIN_READ_TIMEOUT, min(limit, deadline - self._clock()))
        return (min(10.0, read), read)

    def _check_deadline(self, deadline: float, english: str, chinese: str) -> float:
        """The seconds left before the deadline; raises the timeout error once none are."""
        remaining = deadline - self._clock()
        if remaining <= 0:
            raise self._deadline_error(english, chinese)
        return remaining

    def _json(self, response: requests.Response, english: str, chinese: str) -> Any:
        try:
            return response.json()
        except ValueError:
            content_type = response.headers.get("Content-Type", "unknown type")
            raise BadResponseError(
                f"{self.settings.provider_label} answered {english} with {content_type} instead of JSON "
                f"(HTTP {response.status_code}; check the base URL {self.base_url}): {self._snippet(response.text)}",
                f"{self.settings.provider_label} 的{chinese}不是 JSON（{content_type}，HTTP {response.status_code}；"
                f"请检查 Base URL {self.base_url}）：{self._snippet(response.text)}",
            ) from None

    @staticmethod
    def _retry_after(response: requests.Response) -> float | None:
        value = response.headers.get("Retry-After")
        if not value:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:  # the HTTP-date form; a garbled header must not crash the job
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=datetime.UTC)
        return max(0.0, parsed.timestamp() - time.time())

    def _retry_delay(self, response: requests.Response, attempt: int) -> float:
        return self._retry_after(response) or min(8.0, 0.5 * 2**attempt)

    # ── errors ─────────────────────────────────────────────────────────────────
    def _check_key_shape(self) -> None:
        label, prefix = self.settings.provider_label, self.settings.api_key_prefix
        for name, value in self._credentials.items():
            if not value:
                words = "API key" if name == "api_key" else field_label(name)
                raise InvalidApiKeyError(
                    f"No {words} for {label} is set: add it in the plugin's credentials.",
                    f"未设置 {label} {field_label(name)}：请在插件凭据中填写。",
                )
        api_key = self._credentials.get("api_key", "")
        if prefix and api_key and not api_key.startswith(prefix):
            raise InvalidApiKeyError(
                f"This does not look like an API key for {label}: keys start with '{prefix}'.",
                f"这不像是 {label} 的 API Key：应以 '{prefix}' 开头。",
            )

    def _http_error(self, response: requests.Response, english: str, chinese: str) -> PluginError:
        label, status = self.settings.provider_label, response.status_code
        try:
            reason = find_first(response.json(), self.settings.error_fields)
        except ValueError:
            reason = None
        detail = self._redact(str(reason)) if reason else self._snippet(response.text)
        # An error inside an HTTP 200 answer (settings error_code) is named by the provider's own code.
        code = body_errors.provider_code(response)
        shown = f"error code {code}" if code else f"HTTP {status}"
        shown_zh = f"错误码 {code}" if code else f"HTTP {status}"
        key_en, key_zh = self._credential_words()
        verb = "is" if key_en == "API key" else "are"
        if status == 401:
            return InvalidApiKeyError(
                f"{label} says the {key_en} {verb} invalid ({shown} while {english}): {detail}. Check the {key_en}.",
                f"{chinese}时 {label} 认为 {key_zh} 无效（{shown_zh}）：{detail}。请检查 {key_zh}。",
            )
        if status == 403:
            return InvalidApiKeyError(
                f"{label} refused the request ({shown} while {english}): {detail}. Check that the {key_en} "
                f"{verb} valid and allowed to use this model.",
                f"{chinese}时 {label} 拒绝了请求（{shown_zh}）：{detail}。"
                f"请检查 {key_zh} 是否有效、是否有权使用该模型。",
            )
        if status == 429:
            return RateLimitedError(
                f"{label} is rate limiting this key ({shown}) while {english}: {detail}. Retry later.",
                f"{chinese}时 {label} 触发限流（{shown_zh}）：{detail}。请稍后重试。",
            )
        return ProviderHttpError(
            f"{label} returned {shown} while {english}: {detail}",
            f"{chinese}时 {label} 返回 {shown_zh}：{detail}",
        )

    def _credential_words(self) -> tuple[str, str]:
        """What the user entered, in English and Chinese: "API key", or e.g. "Access Key and Secret Key"."""
        fields = self.settings.auth.fields
        if fields == ("api_key",):
            return "API key", "API Key"
        names = [field_label(name) for name in fields]
        return " and ".join(names), " 和 ".join(names)

    def _deadline_error(self, english: str, chinese: str) -> JobTimeoutError:
        label, limit = self.settings.provider_label, self.settings.max_wait
        task_en, task_zh = (f" (task {self._task})", f"（任务 {self._task}）") if self._task else ("", "")
        return JobTimeoutError(
            f"The {label} call{task_en} did not finish within {limit:.0f} s (max_wait {limit:.0f} s) while {english}. "
            "Retry later.",
            f"{label} 调用{task_zh}在{chinese}时超出 {limit:.0f} 秒（max_wait {limit:.0f} 秒）。请稍后重试。",
        )

    def _unreachable(self, error: requests.RequestException | urllib3.exceptions.HTTPError) -> CannotReachError:
        host = urlsplit(self.base_url).netloc or self.base_url
        kind = "timed out" if isinstance(error, TIMEOUT_ERRORS) else type(error).__name__
        return CannotReachError(
            f"Cannot reach {host} ({kind}). Check the base URL and the network.",
            f"无法连接 {host}（{kind}）。请检查 Base URL 和网络。",
        )

    def _timeout(self, task_id: str, waited: float) -> JobTimeoutError:
        return JobTimeoutError(
            f"{self.settings.provider_label} task {task_id} did not finish within {waited:.0f} s "
            f"(max_wait {self.settings.max_wait:.0f} s). Retry later.",
            f"{self.settings.provider_label} 任务 {task_id} 在 {waited:.0f} 秒内未完成"
            f"（max_wait {self.settings.max_wait:.0f} 秒）。请稍后重试。",
        )

    def _oversized(self, url: str, index: int, size: str) -> OversizedResult:
        cap = self.settings.result.max_bytes
        return OversizedResult(
            url, f"Result {index} is larger than the {cap / 1e6:.3g} MB file cap ({size}); returned as a link instead."
        )

    def _file_stem(self, task_id: str | None, index: int) -> str:
        safe_id = re.sub(r"[^A-Za-z0-9_-]+", "-", task_id or "result").strip("-")[:64] or "result"
        return f"{self.settings.file_prefix}-{safe_id}-{index}"

    def _redact(self, text: str) -> str:
        """The text without any credential: every auth field (an access key and its secret key alike), every token."""
        for value in [*self._tokens, *self._credentials.values()]:
            text = text.replace(value, "***") if value else text
        return text

    def _snippet(self, value: Any, limit: int = 300) -> str:
        text = value if isinstance(value, str) else repr(value)
        text = " ".join(text.split())
        return self._redact(text[:limit] + ("…" if len(text) > limit else ""))
