"""The model menu from the provider's live list, and a clear error for a model the provider no longer has.

Dify-free like the rest of job_client. The tool glue asks ``model_menu`` for a dynamic-select's options and
wraps a job in ``ModelCheck``. The live list is cached per credential for ``models.cache_seconds``; the cache key
is a SHA-256 of the base URL and the key, never the key itself. Any listing failure falls back to the preset's
curated list, so the form never breaks.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import requests

from job_client.auth import credential_value
from job_client.errors import InvalidApiKeyError, ModelUnavailableError, PluginError, ProviderHttpError
from job_client.paths import find_all
from job_client.settings import ModelListSettings, Settings

logger = logging.getLogger(__name__)

# Shown in an error: enough to pick from, short enough to read in a node's error box.
MAX_NAMED = 12


@dataclass(frozen=True)
class ModelChoice:
    id: str
    label: str


@dataclass(frozen=True)
class ModelMenu:
    choices: list[ModelChoice]
    source: Literal["live", "curated"]
    problem: str = ""  # why the live list was not used (never holds the key)


class ListingCache:
    """Live model ids per (credential hash, listing URL), for a few minutes; thread-safe (gevent or threads)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._entries: dict[str, tuple[float, tuple[str, ...]]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(base_url: str, api_key: str, path: str) -> str:
        return hashlib.sha256(f"{base_url}\0{path}\0{api_key}".encode()).hexdigest()

    def get(self, key: str) -> tuple[str, ...] | None:
        with self._lock:
            entry = self._entries.get(key)
        if entry is None or entry[0] <= self._clock():
            return None
        return entry[1]

    def put(self, key: str, ids: tuple[str, ...], seconds: float) -> None:
        now = self._clock()
        with self._lock:
            # A long-lived process (a daemon replica, a serverless instance) sees many credentials: keep only
            # the entries still valid, so the cache holds no more than the credentials of the last few minutes.
            self._entries = {other: entry for other, entry in self._entries.items() if entry[0] > now}
            self._entries[key] = (now + seconds, ids)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


# One per plugin process: each form opening and each invocation builds new objects, the cache outlives them.
CACHE = ListingCache()


class ModelLister:
    """The provider's current model ids for one tool's settings and one credential."""

    def __init__(
        self,
        settings: Settings,
        api_key: str | Mapping[str, Any],
        base_url: str | None = None,
        *,
        cache: ListingCache = CACHE,
        session: requests.Session | None = None,
    ) -> None:
        self.settings = settings
        self.listing: ModelListSettings = settings.models
        # The credential fields settings.auth names (api_key, or e.g. an access key and a secret key).
        given = api_key if isinstance(api_key, Mapping) else {settings.auth.fields[0]: api_key}
        self._credentials = {name: str(given.get(name) or "").strip() for name in settings.auth.fields}
        # One text for "is a credential set" and the cache key: empty unless every field is set.
        values = list(self._credentials.values())
        self._api_key = "\0".join(values) if all(values) else ""
        self.base_url = (base_url or settings.base_url).strip().rstrip("/")
        self._cache = cache
        self._session = session or requests.Session()

    @classmethod
    def from_credentials(cls, credentials: Mapping[str, Any], settings: Settings, **kwargs: Any) -> ModelLister:
        return cls(settings, credentials, credentials.get("base_url") or None, **kwargs)

    @property
    def has_listing(self) -> bool:
        return bool(self.listing.path)

    def cached_ids(self) -> tuple[str, ...] | None:
        if not self.has_listing or not self._api_key:
            return None
        return self._cache.get(self._cache_key())

    def live_ids(self) -> tuple[str, ...]:
        """Every id the listing returns (cached); raises PluginError when there is none to be had."""
        if not self.has_listing:
            raise PluginError("This provider has no model listing.", "该服务商没有模型列表接口。")
        if not self._api_key:
            raise InvalidApiKeyError("No API key is set.", "未设置 API Key。")
        cached = self._cache.get(self._cache_key())
        if cached is not None:
            return cached
        ids = self._fetch()
        self._cache.put(self._cache_key(), ids, self.listing.cache_seconds)
        return ids

    def usable(self, ids: tuple[str, ...]) -> list[str]:
        """The listed ids this tool can call: those a model family matches (settings ``families``), else those its
        patterns match, else those of the curated list. A listed model no family covers is never offered."""
        listing = self.listing
        if self.settings.families:
            chosen = [i for i in ids if self.settings.family_for(i) is not None]
        elif listing.match:
            chosen = [i for i in ids if any(re.fullmatch(p, i) for p in listing.match)]
        else:
            chosen = [i for i in ids if i in listing.known]
        return [i for i in dict.fromkeys(chosen) if not any(re.fullmatch(p, i) for p in listing.exclude)]

    def curated(self) -> list[ModelChoice]:
        known = self.listing.known or {self.settings.default_model: self.settings.default_model}
        return [ModelChoice(model_id, label) for model_id, label in known.items()]

    def menu(self) -> ModelMenu:
        """The form's options: the live list for this tool, labelled; the curated list when that fails."""
        if not self.has_listing:
            return ModelMenu(self.curated(), "curated", "no listing endpoint")
        try:
            ids = self.usable(self.live_ids())
        except PluginError as error:
            logger.info("model list unavailable, showing the curated list: %s", error.english)
            return ModelMenu(self.curated(), "curated", error.english)
        except re.error as error:  # a hand edit of models.match / exclude must not break the form
            logger.warning("settings.yaml models.match or exclude: %s", error)
            return ModelMenu(self.curated(), "curated", f"bad pattern in settings.yaml models: {error}")
        if not ids:
            return ModelMenu(self.curated(), "curated", "the listing has no model for this tool")
        known = self.listing.known
        # The curated models first, in the preset's order, then the provider's others as it lists them.
        ordered = [i for i in known if i in ids] + [i for i in ids if i not in known]
        return ModelMenu([ModelChoice(i, known.get(i, i)) for i in ordered], "live")

    def unavailable(self, model: str, ids: tuple[str, ...]) -> ModelUnavailableError | None:
        """The clear error when ``model`` is not among the provider's listed ids, else None."""
        if model in ids:
            return None
        label = self.settings.provider_label
        try:
            usable = self.usable(ids)
        except re.error:
            usable = []
        named = ", ".join(usable[:MAX_NAMED]) + (", …" if len(usable) > MAX_NAMED else "")
        if usable:
            now_en, now_zh = f" Models available now: {named}.", f"当前可用的模型：{named}。"
        else:
            now_en, now_zh = "", ""
        return ModelUnavailableError(
            f"{label} does not offer the model '{model}' (unknown or retired). Pick another model in the tool's "
            f"settings.{now_en}",
            f"{label} 不提供模型“{model}”（未知或已下线），请在工具设置中改选其他模型。{now_zh}",
        )

    # ── HTTP ───────────────────────────────────────────────────────────────────
    def _cache_key(self) -> str:
        return ListingCache.key(self.base_url, self._api_key, self.listing.path)

    def _fetch(self) -> tuple[str, ...]:
        settings, label = self.settings, self.settings.provider_label
        scheme = f"{settings.auth_scheme} " if settings.auth_scheme else ""
        headers = {settings.auth_header: f"{scheme}{credential_value(settings.auth, self._credentials, time.time())}"}
        timeout = self.listing.timeout
        try:
            response = self._session.get(
                f"{self.base_url}{self.listing.path}", headers=headers, timeout=(min(timeout, 3.0), timeout)
            )
        except requests.RequestException as error:
            kind = "timed out" if isinstance(error, requests.Timeout) else type(error).__name__
            raise PluginError(f"{label}'s model list: {kind}.", f"{label} 模型列表：{kind}。") from None
        if response.status_code >= 400:
            raise PluginError(
                f"{label}'s model list answered HTTP {response.status_code}.",
                f"{label} 模型列表返回 HTTP {response.status_code}。",
            )
        try:
            listed = find_all(response.json(), self.listing.ids_field)
            ids = tuple(i.removeprefix(self.listing.strip_prefix) for i in listed if isinstance(i, str))
        except ValueError:
            ids = ()
        if not ids:
            raise PluginError(
                f"{label}'s model list has no ids at '{self.listing.ids_field}'.",
                f"{label} 模型列表的 '{self.listing.ids_field}' 中没有模型 ID。",
            )
        return ids


@contextmanager
def checked_model(lister: ModelLister, model: str) -> Iterator[None]:
    """Run a job (the ``with`` body) so that a model the provider no longer has fails with one clear message.

    Before submit: when this credential's live list is cached and lacks the model, fail at once (no request).
    At submit: when the provider refuses the request, ask the listing; if the model is not there, that is the
    error to show. Otherwise the provider's own error stands, and a healthy job pays for no extra request.
    """
    cached = lister.cached_ids()
    if cached is not None:
        error = lister.unavailable(model, cached)
        if error is not None:
            raise error
    try:
        yield
    except (ProviderHttpError, InvalidApiKeyError) as refused:
        if not lister.has_listing:
            raise
        try:
            error = lister.unavailable(model, lister.live_ids())
        except PluginError:
            raise refused from None
        if error is None:
            raise refused from None
        raise error from None
