"""The provider's API described as data: ``settings.yaml`` (rendered from the Copier answers) as frozen objects.

Edit settings.yaml to follow an API change; unknown keys are refused so that a typo fails loudly.

Vocabulary beyond a JSON submit with a task-id status path (every key has a default that keeps older files valid):

- ``submit.body_format``: ``json`` (default) or ``multipart``. Multipart sends each body field as a form part
  under its body_fields name (no nesting); a value that is a data URI (the input image) becomes a file part.
- ``submit.integer_fields``: tool parameters the API takes as integers (``seed``, ``n``, ``duration``); the
  client sends 2.0 and "5" as 2 and 5. Rendered from the template's parameter catalog (``precision: 0``, or
  ``sent_as: integer`` for a select of whole numbers), like the tool YAML's declarations.
- ``submit.poll_url_field``: dotted path in the submit answer holding the absolute status URL (BFL
  ``polling_url``, Replicate ``urls.get``, fal ``status_url``); used instead of ``poll.path``.
- ``submit.value_suffixes``: text appended to a parameter's value, sent as text (Luma ``{duration: s}``: 5 is
  sent as ``"5s"``).
- ``submit.result_url_field``: dotted path in the submit answer holding a URL fetched (GET, with the key) once
  the task succeeded; the results are read from that answer (fal ``response_url``).
- ``result.kind``: ``url`` | ``base64`` | ``binary``; binary: the final answer's body is the file itself
  (a synchronous submit, or the result_url fetch). ``result.field`` may walk lists of objects
  (``data[*].b64_json``, ``images[*].url``). A list item without the result but with an error
  (``result.item_error_fields``) is reported in ``JobResult.failures`` while the other files are delivered.
- ``body_fields`` targets may reach into lists (``contents[0].parts[0].text``: Gemini's turns and parts); an
  ``image`` given two paths, ``[media type path, data path]``, sends its data URI as those two halves.
- ``models.strip_prefix``: what the listing puts before each id (Gemini's ``models/``), removed.
- ``auth_header`` / ``auth_scheme``: ``Authorization`` + ``Bearer`` (default), ``Authorization`` + ``Key`` (fal),
  ``x-key`` or ``api-key`` with an empty scheme (BFL, Azure). ``extra_headers``: constant headers sent with every
  API request (not with result downloads), e.g. ``{"Prefer": "wait"}``.
- ``auth``: ``{kind: api_key}`` (default: the ``api_key`` credential, as given) or ``{kind: jwt_hs256, fields:
  [access_key, secret_key], ttl: 1800}``: the credential form asks for each field, and every request carries a
  token signed with the second (job_client/auth.py).
- ``families``: a tool's models grouped by what their API takes, checked before any request. The first family
  whose ``match`` (regular expressions, whole id) fits the chosen model decides the request: its ``body_fields``
  (the parameters these models take; a ``size`` given as ``[width path, height path]`` is sent as two integers),
  its ``sizes`` (the size options in the provider's own words: ``1024x1024``, ``16:9``, ``landscape_4_3``; the
  first is the family's default), ``size_range`` (any ``WxH`` within it is taken too), ``durations``, ``limits``
  (``{steps: {min: 1, max: 4}}``) and ``request_timeout`` (a synchronous or wait-style request's read timeout).
  With families, a model no family matches is refused; without any, every model gets ``submit.body_fields``.
- ``result.lookup``: GET paths walked once the task succeeded, each with ``{dotted.path}`` placeholders filled
  from the answer before it; ``result.field`` is read from the last answer (MiniMax: the status answer's
  ``file_id`` -> ``/files/retrieve?file_id={file_id}`` -> ``file.download_url``). See job_client/lookup.py.
- ``error_code``: ``{field, ok, status}`` for APIs that answer HTTP 200 with the outcome in the body (MiniMax's
  ``base_resp.status_code``): a code not in ``ok`` is treated as the HTTP status ``status`` maps it to (else
  400), so a rejected key is the bad-key error. See job_client/body_errors.py.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from job_client.auth import AuthSettings
from job_client.body_errors import ErrorCodeSettings
from job_client.errors import SettingsError
from job_client.kinds import job_tools
from job_client.rules import first_problem
from job_client.schema import first_problem as schema_problem

SETTINGS_FILE = Path(__file__).with_name("settings.yaml")


@dataclass(frozen=True)
class SubmitSettings:
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    # tool parameter -> dotted path in the JSON body, e.g. {"prompt": "input.prompt"}
    body_fields: dict[str, str] = field(default_factory=dict)
    # constant fields sent with every request, e.g. {"response_format": "url"}
    body_extra: dict[str, Any] = field(default_factory=dict)
    # tool parameters sent as integers: Dify hands numbers over as floats (2.0) and select options as text ("5")
    integer_fields: tuple[str, ...] = ()
    size_separator: str = "x"
    task_id_field: str = "task_id"
    body_format: Literal["json", "multipart"] = "json"
    # Absolute URLs the submit answer gives, where the API has no fixed status/result path.
    poll_url_field: str = ""
    result_url_field: str = ""
    # Text appended to a parameter's value, for an API that wants units in it (Luma: duration 5 -> "5s").
    value_suffixes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PollSettings:
    path: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    status_field: str = "status"
    success: tuple[str, ...] = ()
    failure: tuple[str, ...] = ()
    pending: tuple[str, ...] = ()
    # Largest gap between two status requests; the first comes after first_delay and gaps grow towards it.
    interval: float = 5.0
    first_delay: float = 1.5


@dataclass(frozen=True)
class ResultSettings:
    field: str
    kind: Literal["url", "base64", "binary"] = "url"
    max_bytes: int = 15_000_000
    # Inside a list item of `field` that has no result: where the provider put that item's error.
    item_error_fields: tuple[str, ...] = ("message", "error.message", "code")
    # GET paths on the API walked after success, each filled from the answer before it (job_client/lookup.py)
    lookup: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImageInputSettings:
    """How an input image (image editing) is sent: inline as a data URI or bare base64, or as the Dify file's URL."""

    transport: Literal["data_uri", "base64", "url"] = "data_uri"
    max_bytes: int = 10_000_000
    max_side: int = 4096


@dataclass(frozen=True)
class SizeRange:
    """Sizes a model takes beyond its menu: each side in [min_side, max_side], a multiple of ``multiple``."""

    min_side: int = 1
    max_side: int = 0  # 0: no limit
    multiple: int = 1
    max_pixels: int = 0  # width x height at most (0: no limit)


@dataclass(frozen=True)
class NumberLimit:
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class ModelFamily:
    """Models that take the same request: which parameters, under which field names, with which sizes."""

    match: tuple[str, ...]
    # tool parameter -> dotted path; size may map to [width path, height path] (sent as two integers)
    body_fields: dict[str, str | list[str]] = field(default_factory=dict)
    sizes: tuple[str, ...] = ()  # the provider's own size words; the first is this family's default
    size_range: SizeRange | None = None
    durations: tuple[int, ...] = ()
    limits: dict[str, NumberLimit] = field(default_factory=dict)
    request_timeout: float = 0.0  # 0: the settings' request_timeout

    def matches(self, model: str) -> bool:
        return any(re.fullmatch(pattern, model) for pattern in self.match)


@dataclass(frozen=True)
class ModelListSettings:
    """The provider's model listing (GET path), and which listed models a tool can use.

    ``path`` empty: no listing; the model menu is the static ``known`` list. ``match`` (regular expressions,
    whole id) says which listed ids suit the tool; empty means ``known`` is the allow-list.
    """

    path: str = ""
    ids_field: str = "data[*].id"
    strip_prefix: str = ""  # what the listing puts before each id (Gemini: "models/"), removed
    match: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    # id -> friendly label: the preset's curated list (the fallback menu and the labels of live ids)
    known: dict[str, str] = field(default_factory=dict)
    checked: str = ""  # when the curated list was last compared with the provider's (scripts/models.py)
    timeout: float = 3.0  # a form must open fast: a slower listing falls back to the curated list
    cache_seconds: float = 300.0


@dataclass(frozen=True)
class Settings:
    provider_label: str
    mode: Literal["sync", "async"]
    base_url: str
    default_model: str
    submit: SubmitSettings
    result: ResultSettings
    poll: PollSettings = field(default_factory=PollSettings)
    auth_header: str = "Authorization"
    auth_scheme: str = "Bearer"
    api_key_prefix: str = ""
    validate_path: str = "/models"
    error_fields: tuple[str, ...] = ("error.message", "message")
    max_wait: float = 240.0
    request_timeout: float = 30.0
    file_prefix: str = "image"
    image_input: ImageInputSettings = field(default_factory=ImageInputSettings)
    extra_headers: dict[str, str] = field(default_factory=dict)
    families: dict[str, ModelFamily] = field(default_factory=dict)
    models: ModelListSettings = field(default_factory=ModelListSettings)
    error_code: ErrorCodeSettings | None = None  # errors inside HTTP 200 answers (job_client/body_errors.py)
    auth: AuthSettings = field(default_factory=AuthSettings)  # the key as given, or a token signed per request

    def family_for(self, model: str) -> tuple[str, ModelFamily] | None:
        """The first family whose patterns match the model id (name, family), or None."""
        for name, family in self.families.items():
            if family.matches(model):
                return name, family
        return None


SECTIONS: dict[str, type] = {
    "submit": SubmitSettings,
    "poll": PollSettings,
    "result": ResultSettings,
    "image_input": ImageInputSettings,
    "models": ModelListSettings,
    "error_code": ErrorCodeSettings,
    "auth": AuthSettings,
}
# The tool a settings.yaml without `tools` sections describes: the first kind (includes/tools.yml).
BASE_TOOL = job_tools()[0]


def _build(cls: type, data: Any, where: str) -> Any:
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise SettingsError(f"{where}: expected a mapping, got {kind}", f"{where}：应为映射（键值对），实际为 {kind}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        names, known = ", ".join(unknown), ", ".join(sorted(fields))
        raise SettingsError(
            f"{where}: unknown key(s) {names}; known: {known}", f"{where}：未知的键 {names}；可用的键：{known}"
        )
    values = {}
    for name, value in data.items():
        nested = SECTIONS.get(name)
        if nested is not None and cls is Settings:
            value = _build(nested, value, f"{where}.{name}")
        elif name == "families" and cls is Settings:
            if not isinstance(value, dict):
                raise SettingsError(
                    f"{where}.families: expected a mapping of family name -> what its models take",
                    f"{where}.families：应为“系列名 -> 该系列模型接受的内容”的映射",
                )
            value = {str(key): _family(family, f"{where}.families.{key}") for key, family in value.items()}
        elif isinstance(value, list):
            value = tuple(value)
        values[name] = value
    try:
        return cls(**values)
    except TypeError as error:  # a required key is missing
        raise SettingsError(f"{where}: {error}", f"{where}：缺少必需的键（{error}）") from None


def _family(data: Any, where: str) -> ModelFamily:
    if not isinstance(data, dict):
        raise SettingsError(f"{where}: expected a mapping", f"{where}：应为映射（键值对）")
    data = dict(data)
    if isinstance(data.get("size_range"), dict):
        data["size_range"] = _build(SizeRange, data["size_range"], f"{where}.size_range")
    limits = data.get("limits") or {}
    if not isinstance(limits, dict):
        raise SettingsError(
            f"{where}.limits: expected a mapping of parameter -> {{min, max}}",
            f"{where}.limits：应为“参数 -> {{min, max}}”的映射",
        )
    data["limits"] = {
        str(name): _build(NumberLimit, bounds or {}, f"{where}.limits.{name}") for name, bounds in limits.items()
    }
    if not isinstance(data.get("match"), list) or not data["match"]:
        raise SettingsError(
            f"{where}.match: expected a list of regular expressions", f"{where}.match：应为正则表达式列表"
        )
    try:
        for pattern in data["match"]:
            re.compile(str(pattern))
    except re.error as error:
        raise SettingsError(f"{where}.match: {error}", f"{where}.match：正则表达式有误：{error}") from None
    return _build(ModelFamily, data, where)


def _for_tool(data: dict[str, Any], tool: str, where: str) -> dict[str, Any]:
    """The top-level settings with the tool's overrides applied (a section's keys replace the base's keys)."""
    overrides = data.pop("tools", None) or {}
    if tool == BASE_TOOL and tool not in overrides:
        return data
    if tool not in overrides:
        known = ", ".join(sorted(overrides)) or "none"
        raise SettingsError(
            f"{where}: no `tools.{tool}` section; known: {known}", f"{where}：没有 `tools.{tool}` 部分；已有：{known}"
        )
    merged = dict(data)
    for key, value in overrides[tool].items():
        if key in SECTIONS and isinstance(value, dict):
            merged[key] = {**(data.get(key) or {}), **value}
        else:
            merged[key] = value
    return merged


def load_settings(path: Path = SETTINGS_FILE, tool: str | None = None) -> Settings:
    """Read and check settings.yaml for one tool (default: the first one); raises SettingsError (a ValueError) naming
    the bad key, in English and Chinese.

    The top-level keys are what every tool shares (the provider, its credential check, its task API);
    `tools.<name>` holds what each tool does differently, and replaces the same keys of the top level.
    """
    with path.open(encoding="utf-8") as stream:
        data = yaml.safe_load(stream)
    if not isinstance(data, dict):
        raise SettingsError(f"{path.name}: expected a mapping", f"{path.name}：应为映射（键值对）")
    english, chinese = schema_problem(data)  # keys, types and ranges: the template's one schema (schema.yml)
    if english:
        raise SettingsError(f"{path.name}: {english}", f"{path.name}：{chinese}")
    tool = tool or next(iter(data.get("tools") or {}), BASE_TOOL)
    where = f"{path.name} (tools.{tool})" if tool in (data.get("tools") or {}) else path.name
    settings = _build(Settings, _for_tool(data, tool, path.name), where)
    problem = first_problem(settings, tool)
    if problem:
        # The rule's words are the template's validator's (keys and values), so the Chinese line quotes them.
        raise SettingsError(f"{where}: {problem}", f"{where}：设置不符合规则：{problem}")
    return settings
