"""The settings vocabulary for APIs unlike this rendering's preset, each case against the fake over real HTTP.

Strategy: every case derives its settings from this rendering's own (dataclasses.replace), switching on one
piece of vocabulary the way a preset would (multipart bodies, binary results, status and result URLs named by
the submit answer, results inside lists of objects, model families with their own fields, sizes, limits and
timeouts, auth header variants, partial failures, HTTP 500 on status requests), starts scripts/fake_provider.py
built from those settings, and asserts what the fake received (the exact parts, headers and paths) and what the
plugin returned (the exact bytes, or the exception and its message). So the cases run in every rendering,
whatever its preset.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import io
import json
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from fake_provider import ITEM_FAILURE_CODE, STATUS_URL_PATH, FakeProvider, Reply, Scenario
from support import INPUT_JPEG, PROMPT, SETTINGS, VirtualClock, quick

from job_client import JobClient, JobResult
from job_client.auth import AuthSettings, hs256_claims
from job_client.body_errors import ErrorCodeSettings
from job_client.errors import InvalidApiKeyError, NoResultsError, PluginError, ProviderHttpError, TaskFailedError
from job_client.inputs import data_uri
from job_client.parameters import InvalidInputError, Parameter, check_tool_inputs
from job_client.settings import ModelFamily, NumberLimit, Settings, SizeRange, load_settings

MODEL = "test-model"


def variant(*, sections: dict[str, dict[str, Any]] | None = None, **top: Any) -> Settings:
    """This rendering's settings, polled quickly, with some top-level keys and section keys replaced; the key is
    sent as it is (auth api_key) unless ``auth`` says otherwise."""
    # Vocabulary a case has to switch on starts off, whatever this rendering's preset says.
    base = dataclasses.replace(quick(SETTINGS), error_code=None)
    base = dataclasses.replace(base, result=dataclasses.replace(base.result, lookup=()))
    changed = {name: dataclasses.replace(getattr(base, name), **values) for name, values in (sections or {}).items()}
    top = {"auth": AuthSettings(), **top}
    return dataclasses.replace(base, default_model=MODEL, families={}, extra_headers={}, **changed, **top)


def sync_variant(**submit: Any) -> Settings:
    fields = {"model": "model", "prompt": "prompt", "size": "size", "n": "n"}
    return variant(
        mode="sync",
        sections={
            "submit": {
                "path": "/images/generations",
                "headers": {},
                "body_fields": fields,
                "body_extra": {},
                "integer_fields": ("n",),  # the image count, an integer on the wire (Dify sends 2.0)
                "body_format": "json",  # whatever this rendering's first tool sends (OpenAI edits: multipart)
                **submit,
            },
            "result": {"field": "data[*].b64_json", "kind": "base64"},
        },
    )


def async_variant(result_field: str = "output.results[*].url", **submit: Any) -> Settings:
    fields = {"model": "model", "prompt": "input.prompt", "n": "parameters.n", "size": "parameters.size"}
    return variant(
        mode="async",
        sections={
            "submit": {
                "path": "/tasks",
                "headers": {},
                "body_fields": fields,
                "integer_fields": ("n",),
                "body_format": "json",
                "task_id_field": "id",
                "poll_url_field": "",  # this rendering's own (fal, BFL, Replicate) would send the client elsewhere
                "result_url_field": "",
                **submit,
            },
            "poll": {
                "path": "/tasks/{task_id}",
                "headers": {},
                "status_field": "status",
                "success": ("SUCCEEDED",),
                "failure": ("FAILED",),
                "pending": ("RUNNING",),
            },
            "result": {"field": result_field, "kind": "url"},
        },
    )


def run(fake: FakeProvider, settings: Settings | None = None, **parameters: Any) -> JobResult:
    client = JobClient(settings or fake.settings, fake.credentials, fake.base_url)
    return client.generate({"prompt": PROMPT, **parameters})


@pytest.fixture
def fakes() -> Any:
    started: list[FakeProvider] = []

    def _start(settings: Settings, **scenario: Any) -> FakeProvider:
        # Images whatever this rendering's tools are (a video-only rendering's file prefix says "video").
        fake = FakeProvider(settings, Scenario(**{"media": "image", **scenario})).start()
        started.append(fake)
        return fake

    yield _start
    for fake in started:
        fake.stop()


# ── multipart bodies ───────────────────────────────────────────────────────────
def test_multipart_sends_the_input_image_as_a_file_part_and_the_rest_as_text_fields(fakes: Any) -> None:
    settings = sync_variant(
        body_format="multipart",
        body_fields={"model": "model", "prompt": "prompt", "image": "image", "n": "n"},
    )
    fake = fakes(settings)
    result = run(fake, image=data_uri(INPUT_JPEG, "image/jpeg"), n=2.0)
    (submit,) = fake.requests_of("submit")
    content_type = next(value for key, value in submit.headers.items() if key.lower() == "content-type")
    assert content_type.startswith("multipart/form-data; boundary=")
    assert submit.body["image"] == {"filename": "image.jpg", "content_type": "image/jpeg", "data": INPUT_JPEG}
    assert submit.body["prompt"] == PROMPT
    assert submit.body["model"] == MODEL
    assert submit.body["n"] == "2"  # a Dify float sent as the integer's text
    assert [media.data for media in result.files] == fake.jobs[0].images


def test_a_multipart_api_refuses_a_json_request(fakes: Any) -> None:
    """The fake enforces the body format, so a client that ignored body_format would fail the case above."""
    fake = fakes(sync_variant(body_format="multipart"))
    json_settings = dataclasses.replace(
        fake.settings, submit=dataclasses.replace(fake.settings.submit, body_format="json")
    )
    with pytest.raises(ProviderHttpError, match="must be multipart"):
        run(fake, json_settings)


# ── binary results ─────────────────────────────────────────────────────────────
def test_a_binary_answer_is_the_file_itself(fakes: Any) -> None:
    settings = dataclasses.replace(
        sync_variant(), result=dataclasses.replace(sync_variant().result, field="", kind="binary")
    )
    fake = fakes(settings)
    result = run(fake)
    (job,) = fake.jobs
    assert [(media.data, media.mime_type) for media in result.files] == [(job.images[0], "image/jpeg")]


def test_binary_results_of_an_async_api_without_a_result_url_are_refused_before_any_request(fakes: Any) -> None:
    base = async_variant()
    fake = fakes(dataclasses.replace(base, result=dataclasses.replace(base.result, kind="binary")))
    with pytest.raises(PluginError, match="result_url_field"):
        run(fake)
    assert fake.requests == []


# ── status and result URLs from the submit answer ──────────────────────────────
def test_status_url_from_the_submit_answer_with_an_x_key_header(fakes: Any) -> None:
    """BFL: submit answers {id, polling_url}; the status is asked there, with `x-key: <key>` and no scheme."""
    settings = dataclasses.replace(
        async_variant(result_field="result.sample", poll_url_field="polling_url"),
        auth_header="x-key",
        auth_scheme="",
    )
    settings = dataclasses.replace(settings, poll=dataclasses.replace(settings.poll, path=""))
    fake = fakes(settings)
    result = run(fake)
    polls = fake.requests_of("poll")
    assert polls and all(request.path.endswith(f"{STATUS_URL_PATH}{fake.jobs[0].id}") for request in polls)
    assert all(request.headers.get("x-key") == fake.api_key for request in fake.requests_of("poll"))
    assert [media.data for media in result.files] == fake.jobs[0].images


def test_result_url_fetched_after_success_with_a_key_scheme(fakes: Any) -> None:
    """fal: status_url says COMPLETED, then response_url holds {images: [{url}]}; `Authorization: Key <key>`."""
    settings = dataclasses.replace(
        async_variant(result_field="images[*].url", poll_url_field="status_url", result_url_field="response_url"),
        auth_header="Authorization",
        auth_scheme="Key",
    )
    fake = fakes(settings)
    result = run(fake, n=2)
    (fetch,) = fake.requests_of("result")
    assert fetch.headers.get("Authorization") == f"Key {fake.api_key}"
    assert [media.data for media in result.files] == fake.jobs[0].images
    assert len(result.files) == 2


def test_result_url_answering_the_file_itself(fakes: Any) -> None:
    base = async_variant(result_field="", poll_url_field="status_url", result_url_field="response_url")
    fake = fakes(dataclasses.replace(base, result=dataclasses.replace(base.result, kind="binary")))
    result = run(fake)
    assert [media.data for media in result.files] == fake.jobs[0].images[:1]


# ── results inside lists of objects ────────────────────────────────────────────
@pytest.mark.parametrize(("field", "kind"), [("data[*].b64_json", "base64"), ("images[*].url", "url")])
def test_results_inside_a_list_of_objects(fakes: Any, field: str, kind: str) -> None:
    base = sync_variant()
    fake = fakes(dataclasses.replace(base, result=dataclasses.replace(base.result, field=field, kind=kind)))
    result = run(fake, n=3)
    assert [media.data for media in result.files] == fake.jobs[0].images
    assert len(set(fake.jobs[0].images)) == 3


# ── request bodies with lists: prompt and image as parts of one turn (Gemini) ──
def parts_variant(**image_input: Any) -> Settings:
    """Gemini's generateContent: the model in the path, the inputs inside contents[0].parts, base64 results."""
    settings = sync_variant(
        path="/models/{model}:generateContent",
        body_fields={
            "prompt": "contents[0].parts[0].text",
            "image": ["contents[0].parts[1].inlineData.mime_type", "contents[0].parts[1].inlineData.data"],
            "size": "generationConfig.imageConfig.aspectRatio",
        },
        body_extra={"contents[0].role": "user"},
        integer_fields=(),
    )
    result = dataclasses.replace(settings.result, field="candidates[0].content.parts[*].inlineData.data")
    return dataclasses.replace(
        settings, result=result, image_input=dataclasses.replace(settings.image_input, **image_input)
    )


def test_prompt_and_image_go_into_list_items_and_text_parts_of_the_answer_are_skipped(fakes: Any) -> None:
    image_part = {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(b"first image").decode()}}
    second_part = {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(b"second image").decode()}}
    answer = {"candidates": [{"content": {"role": "model", "parts": [{"text": "Here you are."}, image_part,
                                                                     second_part]}}]}  # fmt: skip
    fake = fakes(parts_variant(), submit_replies=[Reply(200, answer)])
    # The image first, the prompt last: list items are padded and shared whatever order the fields come in.
    parameters = {"image": data_uri(INPUT_JPEG, "image/jpeg"), "size": "16:9", "prompt": PROMPT}
    result = JobClient(fake.settings, fake.api_key, fake.base_url).generate(parameters)
    (submit,) = fake.requests_of("submit")
    assert submit.path.endswith(f"/models/{MODEL}:generateContent")
    assert submit.body == {
        "contents": [
            {
                "role": "user",
                "parts": [
                    {"text": PROMPT},
                    {"inlineData": {"mime_type": "image/jpeg", "data": base64.b64encode(INPUT_JPEG).decode()}},
                ],
            }
        ],
        "generationConfig": {"imageConfig": {"aspectRatio": "16:9"}},
    }
    assert [media.data for media in result.files] == [b"first image", b"second image"]
    assert result.failures == []


def test_an_image_sent_as_media_type_and_data_needs_a_data_uri(fakes: Any) -> None:
    fake = fakes(parts_variant(transport="url"))
    with pytest.raises(PluginError, match="image_input.transport to data_uri") as refused:
        run(fake, image="https://dify.example/files/cat.jpg")
    assert "data_uri" in refused.value.chinese
    assert fake.requests_of("submit") == []


# ── model families: what each model takes ─────────────────────────────────────
def family_variant(**families: ModelFamily) -> Settings:
    """The sync variant whose models are grouped: the fake answers any of them."""
    return dataclasses.replace(sync_variant(), families=families)


KOLORS_LIKE = ModelFamily(
    match=(MODEL,),
    body_fields={"model": "model", "prompt": "prompt", "size": "image_size", "n": "batch_size", "guidance": "guidance"},
    sizes=("1024x1024", "960x1280"),
    limits={"guidance": NumberLimit(min=1.5, max=20)},
)
QWEN_LIKE = ModelFamily(
    match=("qwen/.*",),
    body_fields={"model": "model", "prompt": "prompt", "size": "image_size", "guidance": "cfg"},
    sizes=("1328x1328",),
    size_range=SizeRange(min_side=256, max_side=1664, multiple=16),
)
WIDTH_HEIGHT = ModelFamily(
    match=("flux-.*",),
    body_fields={"model": "model", "prompt": "prompt", "size": ["input.width", "input.height"]},
    size_range=SizeRange(min_side=256, max_side=1440, multiple=32),
)


def test_each_family_sends_its_own_field_names(fakes: Any) -> None:
    fake = fakes(family_variant(kolors=KOLORS_LIKE, qwen=QWEN_LIKE))
    run(fake, size="960*1280", n=2.0, guidance=5.0)
    run(fake, model="qwen/qwen-image", size="1328x1328", guidance=4.0)
    kolors, qwen = (request.body for request in fake.requests_of("submit"))
    separator = fake.settings.submit.size_separator  # this rendering's: 1024x1024 or 1024*1024
    assert kolors == {
        "model": MODEL, "prompt": PROMPT, "image_size": f"960{separator}1280", "batch_size": 2, "guidance": 5.0
    }  # fmt: skip
    assert qwen == {"model": "qwen/qwen-image", "prompt": PROMPT, "image_size": f"1328{separator}1328", "cfg": 4.0}


def test_a_parameter_the_model_does_not_take_is_refused_naming_what_it_takes(fakes: Any) -> None:
    fake = fakes(family_variant(kolors=KOLORS_LIKE, qwen=QWEN_LIKE))
    with pytest.raises(InvalidInputError) as caught:
        run(fake, model="qwen/qwen-image", n=2.0)
    assert "Input 'n': qwen/qwen-image does not take it; it takes: size, guidance." in caught.value.english
    assert "参数 'n'：qwen/qwen-image 不支持该参数；它支持：size、guidance。" in caught.value.chinese
    assert fake.requests == []


def test_a_size_the_model_does_not_take_is_refused_before_any_request(fakes: Any) -> None:
    fake = fakes(family_variant(kolors=KOLORS_LIKE, qwen=QWEN_LIKE))
    with pytest.raises(InvalidInputError) as caught:
        run(fake, size="1328x1328")
    assert f"Input 'size' is \"1328x1328\"; allowed for {MODEL}: one of 1024x1024, 960x1280." in caught.value.english
    assert f"参数 'size'为 \"1328x1328\"；{MODEL} 允许：1024x1024, 960x1280 之一。" in caught.value.chinese
    for size in ("1680x1024", "1000x1000", "128x1024"):  # past the side, not a multiple of 16, under the side
        with pytest.raises(InvalidInputError, match="WxH with sides 256-1664, multiples of 16"):
            run(fake, model="qwen/qwen-image", size=size)
    assert fake.requests == []
    assert run(fake, model="qwen/qwen-image", size="1024x576").files  # in the range, off the menu


def test_a_family_limit_is_refused_with_the_model_named(fakes: Any) -> None:
    fake = fakes(family_variant(kolors=KOLORS_LIKE))
    with pytest.raises(InvalidInputError, match=f"Input 'guidance' is 1; allowed for {MODEL}: 1.5 to 20."):
        run(fake, guidance=1.0)
    assert fake.requests == []


def test_width_and_height_fields_get_two_integers(fakes: Any) -> None:
    fake = fakes(family_variant(flux=WIDTH_HEIGHT))
    run(fake, model="flux-dev", size="1440 x 832")
    (submit,) = fake.requests_of("submit")
    assert submit.body == {"model": "flux-dev", "prompt": PROMPT, "input": {"width": 1440, "height": 832}}


def test_a_value_suffix_writes_the_unit_and_body_extra_fills_the_image_object(fakes: Any) -> None:
    """Luma's shape: duration "9s", and the image URL beside a constant type in keyframes.frame0."""
    fields = {"model": "model", "prompt": "prompt", "duration": "duration", "image": "keyframes.frame0.url"}
    fake = fakes(
        sync_variant(
            body_fields=fields,
            integer_fields=("duration",),
            body_extra={"keyframes.frame0.type": "image"},
            value_suffixes={"duration": "s"},
        )
    )
    run(fake, duration="9", image="https://files.example.com/start.png")
    (submit,) = fake.requests_of("submit")
    assert submit.body == {
        "model": MODEL,
        "prompt": PROMPT,
        "duration": "9s",
        "keyframes": {"frame0": {"type": "image", "url": "https://files.example.com/start.png"}},
    }


def test_a_model_no_family_covers_is_refused_before_any_request(fakes: Any) -> None:
    fake = fakes(family_variant(kolors=KOLORS_LIKE))
    with pytest.raises(InvalidInputError) as caught:
        run(fake, model="retired-model")
    assert "no model family in settings.yaml covers it" in caught.value.english
    assert "没有覆盖它的模型系列" in caught.value.chinese
    assert fake.requests == []


def test_the_form_default_a_model_does_not_take_is_fitted_to_it_and_a_chosen_value_is_not() -> None:
    settings = family_variant(kolors=KOLORS_LIKE, qwen=dataclasses.replace(QWEN_LIKE, size_range=None))
    size = Parameter("size", "select", default="1024x1024", options=("1024x1024", "1328x1328"), label="Size")
    count = Parameter("n", "number", default=1, min=1, max=4, precision=0, label="Images", label_zh="数量")
    qwen = {"model": "qwen/qwen-image", "prompt": PROMPT}
    # What the form pre-selects for the default model reaches another model fitted to it, not as an error: its own
    # first size (some APIs require one), and no count it does not take.
    assert check_tool_inputs([size, count], {**qwen, "size": "1024x1024", "n": 1.0}, settings) == {
        **qwen,
        "size": "1328x1328",
    }
    with pytest.raises(InvalidInputError, match="Input 'n' \\(Images\\): qwen/qwen-image does not take it"):
        check_tool_inputs([size, count], {**qwen, "n": 2.0}, settings)
    kolors = {"model": MODEL, "prompt": PROMPT, "size": "1024x1024", "n": 1}
    assert check_tool_inputs([size, count], {**kolors, "n": 1.0}, settings) == kolors


def test_a_wait_style_submit_reads_for_its_familys_timeout_within_max_wait() -> None:
    """Replicate holds a `Prefer: wait` create up to 60 s: the submit reads longer than that, never past max_wait."""
    slow = dataclasses.replace(KOLORS_LIKE, request_timeout=75.0)
    settings = dataclasses.replace(
        async_variant(), families={"kolors": slow}, request_timeout=30.0, max_wait=240.0, api_key_prefix=""
    )
    session = RecordingSession()
    JobClient(settings, "sk-test", "http://127.0.0.1:9", session=session, clock=lambda: 0.0).submit_job(
        {"prompt": PROMPT}
    )
    assert session.timeouts == [(10.0, 75.0)]
    short = dataclasses.replace(settings, max_wait=40.0, request_timeout=30.0)
    JobClient(short, "sk-test", "http://127.0.0.1:9", session=session, clock=lambda: 0.0).submit_job({"prompt": PROMPT})
    assert session.timeouts == [(10.0, 75.0), (10.0, 40.0)]


class RecordingSession:
    """A requests.Session stand-in answering every submit with a running task, recording each read timeout."""

    def __init__(self) -> None:
        self.timeouts: list[tuple[float, float]] = []

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        self.timeouts.append(kwargs["timeout"])
        response = requests.Response()
        response.status_code = 200
        response.raw = BodyOnce(json.dumps({"id": "task-1", "status": "RUNNING"}).encode())
        response.headers["Content-Type"] = "application/json"
        return response


class BodyOnce:
    """The raw body of a recorded answer: what the client reads a chunk at a time (urllib3's read1)."""

    def __init__(self, data: bytes) -> None:
        self.stream = io.BytesIO(data)

    def read1(self, amount: int = -1, decode_content: bool = True) -> bytes:
        return self.stream.read1(amount)

    def close(self) -> None:
        pass

    def release_conn(self) -> None:
        pass


# ── auth header variants and constant headers ──────────────────────────────────
@pytest.mark.parametrize(
    ("auth_header", "auth_scheme", "expected"),
    [
        ("Authorization", "Bearer", "Bearer {key}"),
        ("Authorization", "Key", "Key {key}"),
        ("x-key", "", "{key}"),
        ("api-key", "", "{key}"),
    ],
)
def test_auth_header_variants_and_extra_headers(fakes: Any, auth_header: str, auth_scheme: str, expected: str) -> None:
    settings = dataclasses.replace(
        sync_variant(), auth_header=auth_header, auth_scheme=auth_scheme, extra_headers={"Prefer": "wait"}
    )
    fake = fakes(settings)
    run(fake)
    (submit,) = fake.requests_of("submit")
    sent = {key.lower(): value for key, value in submit.headers.items()}
    assert sent[auth_header.lower()] == expected.format(key=fake.api_key)
    assert sent["prefer"] == "wait"
    without = dataclasses.replace(settings, extra_headers={})
    with pytest.raises(InvalidApiKeyError):  # the fake insists on the constant header
        run(fake, without)


# ── a token signed for each request (auth jwt_hs256, e.g. Kling) ──────────────────
SIGNED = AuthSettings(kind="jwt_hs256", fields=("access_key", "secret_key"), ttl=1800)
ACCESS_KEY, SECRET_KEY = "AkFixedClock01", "SkFixedClockSecret0123456789abcdef"
# The token for these keys at 2026-01-01T00:00:00Z (1767225600): header {"alg":"HS256","typ":"JWT"}, payload
# {"iss":"AkFixedClock01","exp":1767227400,"nbf":1767225595}, HMAC-SHA256 under the secret key; written out here
# (PyJWT 2.x makes the same token from the same claims: the template repo's tests check both agree).
FIXED_CLOCK_TOKEN = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJBa0ZpeGVkQ2xvY2swMSIsImV4cCI6MTc2NzIyNzQwMCwibmJmIjoxNzY3MjI1NTk1fQ"
    ".fY_-_M-aClnXK2NnQszx7hPC11SpY8-Jp54HB9L3uX8"
)


def signed(claims: Any, secret: str, alg: str = "HS256") -> str:
    """A compact JWS of any claims, signed here with the standard library (not the plugin's own signer)."""

    def segment(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")

    head = segment(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    body = segment(json.dumps(claims).encode())
    signature = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{segment(signature)}"


def test_the_fakes_token_check_takes_a_token_only_inside_its_window_and_under_its_secret() -> None:
    """hs256_claims is how the fake provider (and so every signed-token test) tells a good token from a bad one."""
    claims = {"iss": "ak", "exp": 1060, "nbf": 995}
    token = signed(claims, "sk")
    assert hs256_claims(token, "sk", 995) == claims  # from nbf on
    assert hs256_claims(token, "sk", 1059.9) == claims
    assert hs256_claims(token, "sk", 994.9) is None  # not yet valid
    assert hs256_claims(token, "sk", 1060) is None  # expired at exp
    assert hs256_claims(token, "other secret", 1000) is None
    assert hs256_claims(signed(claims, "sk", alg="HS384"), "sk", 1000) is None
    assert hs256_claims(signed({"iss": "ak", "exp": 1060}, "sk"), "sk", 0.5) == {"iss": "ak", "exp": 1060}
    assert hs256_claims(signed({"iss": "ak", "nbf": 0}, "sk"), "sk", 0.5) is None  # no exp: never valid
    assert hs256_claims(signed(["ak"], "sk"), "sk", 0.5) is None  # claims that are no mapping
    assert hs256_claims("not.a.token", "sk", 0.5) is None
    assert hs256_claims(token + "x", "sk", 1000) is None


def signed_variant() -> Settings:
    """An asynchronous API that takes a token signed per request, as a Bearer token (Kling's way)."""
    return dataclasses.replace(async_variant(), auth=SIGNED, auth_header="Authorization", auth_scheme="Bearer")


def test_a_signed_token_for_a_fixed_clock_is_the_documented_jwt(fakes: Any) -> None:
    settings = signed_variant()
    fake = fakes(settings)
    keys = {"access_key": ACCESS_KEY, "secret_key": SECRET_KEY}
    client = JobClient(settings, keys, fake.base_url, wall_clock=lambda: 1767225600.0)
    with pytest.raises(InvalidApiKeyError) as caught:  # long expired by now: the fake refuses it, and echoes it
        client.generate({"prompt": PROMPT})
    (submit,) = fake.requests_of("submit")
    assert {key.lower(): value for key, value in submit.headers.items()}[
        "authorization"
    ] == f"Bearer {FIXED_CLOCK_TOKEN}"
    message = f"{caught.value.english} {caught.value.chinese}"
    assert "Access Key and Secret Key are invalid" in caught.value.english and "HTTP 401" in message
    assert FIXED_CLOCK_TOKEN not in message and ACCESS_KEY not in message and SECRET_KEY not in message


def test_a_signed_token_api_gets_a_fresh_valid_token_with_every_request_and_never_the_secret(fakes: Any) -> None:
    settings = signed_variant()
    fake = fakes(settings)
    result = run(fake, n=2.0)
    assert [media.data for media in result.files] == fake.jobs[0].images
    api_requests = fake.requests_of("submit") + fake.requests_of("poll")
    assert len(api_requests) >= 2 and all(fake.accepts(request.headers) for request in api_requests)
    assert all(fake.api_key not in json.dumps([request.headers, request.body]) for request in api_requests)


def test_a_signed_token_api_without_its_secret_key_is_refused_before_any_request(fakes: Any) -> None:
    settings = signed_variant()
    fake = fakes(settings)
    with pytest.raises(InvalidApiKeyError) as caught:
        JobClient(settings, {"access_key": ACCESS_KEY, "secret_key": " "}, fake.base_url).generate({"prompt": PROMPT})
    label = settings.provider_label
    assert caught.value.english == f"No Secret Key for {label} is set: add it in the plugin's credentials."
    assert caught.value.chinese == f"未设置 {label} Secret Key：请在插件凭据中填写。"
    assert fake.requests == []


# ── partial failures ───────────────────────────────────────────────────────────
def test_a_result_list_with_a_failed_item_delivers_the_rest_and_names_the_failure(fakes: Any) -> None:
    fake = fakes(async_variant(), failed_items=1, failure_reason="Output image blocked by moderation.")
    result = run(fake, n=3)
    assert [media.data for media in result.files] == fake.jobs[0].images[:2]
    assert result.failures == [f"{ITEM_FAILURE_CODE}: Output image blocked by moderation."]


def test_a_result_list_where_every_item_failed_raises_the_providers_message(fakes: Any) -> None:
    fake = fakes(async_variant(), failed_items=2, failure_reason="Output image blocked by moderation.")
    with pytest.raises(TaskFailedError, match="Output image blocked by moderation"):
        run(fake, n=2)


# ── HTTP 500 ───────────────────────────────────────────────────────────────────
def test_http_500_on_a_status_request_is_retried(fakes: Any) -> None:
    fake = fakes(async_variant(), poll_replies=[Reply(500), Reply(500)])
    clock = VirtualClock()
    client = JobClient(fake.settings, fake.credentials, fake.base_url, clock=clock, sleep=clock.sleep)
    result = client.generate({"prompt": PROMPT})
    assert len(fake.requests_of("poll")) == 3
    assert [media.data for media in result.files] == fake.jobs[0].images


def test_http_500_on_status_requests_gives_up_after_a_bounded_number(fakes: Any) -> None:
    fake = fakes(async_variant(), poll_replies=[Reply(500)] * 20)
    clock = VirtualClock()
    client = JobClient(fake.settings, fake.credentials, fake.base_url, clock=clock, sleep=clock.sleep)
    with pytest.raises(ProviderHttpError, match="HTTP 500"):
        client.generate({"prompt": PROMPT})
    assert len(fake.requests_of("poll")) == 6  # MAX_TRANSIENT_POLL_FAILURES + the one that gave up


def test_http_500_on_a_submit_is_never_retried(fakes: Any) -> None:
    fake = fakes(async_variant(), submit_replies=[Reply(500)])
    with pytest.raises(ProviderHttpError, match="HTTP 500"):
        run(fake)
    assert len(fake.requests_of("submit")) == 1


def test_a_list_item_with_neither_result_nor_error_is_no_failure_but_no_result(fakes: Any) -> None:
    """Only items that carry an error count as failures; a wrong result.field still says "no result"."""
    fake = fakes(sync_variant())  # serves data[*].b64_json
    wrong = dataclasses.replace(fake.settings, result=dataclasses.replace(fake.settings.result, field="data[*].url"))
    with pytest.raises(NoResultsError, match="no result at 'data\\[\\*\\].url'"):
        run(fake, wrong)


# ── result lookups and errors inside HTTP 200 answers (MiniMax) ─────────────────
def lookup_variant() -> Settings:
    """MiniMax: the task id in the status query string, the status answer naming a file id, the file's URL one
    more GET away (result.lookup)."""
    settings = async_variant(result_field="file.download_url")
    return dataclasses.replace(
        settings,
        poll=dataclasses.replace(settings.poll, path="/query/video_generation?task_id={task_id}"),
        result=dataclasses.replace(settings.result, lookup=("/files/retrieve?file_id={file_id}",)),
    )


def test_a_lookup_chain_turns_the_file_id_of_the_status_answer_into_the_result(fakes: Any) -> None:
    fake = fakes(lookup_variant())
    result = run(fake)
    job, api = fake.jobs[0].id, urlsplit(fake.base_url).path
    assert {(poll.path, poll.query) for poll in fake.requests_of("poll")} == {
        (f"{api}/query/video_generation", f"task_id={job}")
    }
    (lookup,) = fake.requests_of("lookup")
    assert (lookup.path, lookup.query) == (f"{api}/files/retrieve", f"file_id={job}")
    sent = {key.lower(): value for key, value in lookup.headers.items()}
    # The API's host: the key goes along, in this rendering's auth header.
    assert all(sent.get(key.lower()) == value for key, value in fake.auth_headers().items())
    assert [media.data for media in result.files] == fake.jobs[0].images


def test_check_task_follows_the_lookup_chain_too(fakes: Any) -> None:
    fake = fakes(lookup_variant())
    client = JobClient(fake.settings, fake.api_key, fake.base_url)
    task, _ = client.submit_job({"prompt": PROMPT})
    progress = client.check_task(task)
    assert progress.result is not None and len(fake.requests_of("lookup")) == 1
    assert [media.data for media in progress.result.files] == fake.jobs[0].images


def test_a_status_answer_without_the_looked_up_field_says_which_is_missing(fakes: Any) -> None:
    done = {"status": "SUCCEEDED", "file": {"download_url": "https://cdn.test/v.mp4"}}
    fake = fakes(lookup_variant(), poll_replies=[Reply(200, done)])
    with pytest.raises(PluginError, match="no 'file_id' to look the result up with"):
        run(fake)
    assert fake.requests_of("lookup") == []


def test_a_looked_up_value_stays_inside_the_api_path(fakes: Any) -> None:
    """A file id is quoted into the query string: it can never send the request (and the key) to another host."""
    done = {"status": "SUCCEEDED", "file_id": "//attacker.test/steal?x=1&y"}
    fake = fakes(lookup_variant(), poll_replies=[Reply(200, done)])
    with pytest.raises(ProviderHttpError, match="HTTP 404 while looking up the result"):
        run(fake)
    (lookup,) = fake.requests_of("lookup")
    assert lookup.query == "file_id=%2F%2Fattacker.test%2Fsteal%3Fx%3D1%26y"


BODY_CODES = ErrorCodeSettings(field="base_resp.status_code", ok=(0,), status={"1004": 401, "1002": 429})


def test_an_error_code_in_an_http_200_answer_is_the_error_it_stands_for(fakes: Any) -> None:
    """MiniMax answers HTTP 200 with base_resp {status_code: 1004} for a rejected key: the bad-key error."""
    fake = fakes(dataclasses.replace(async_variant(), error_code=BODY_CODES))
    wrong_key = f"{fake.settings.api_key_prefix}wrong-key-0123456789"
    client = JobClient(fake.settings, wrong_key, fake.base_url)
    with pytest.raises(InvalidApiKeyError) as caught:
        client.generate({"prompt": PROMPT})
    assert len(fake.requests_of("submit")) == 1  # refused once, never retried
    english, chinese = caught.value.english, caught.value.chinese
    assert "says the API key is invalid (error code 1004 while submitting the job)" in english
    assert "认为 API Key 无效（错误码 1004）" in chinese
    assert wrong_key not in english + chinese


def test_an_error_code_meaning_rate_limited_is_retried_like_http_429(fakes: Any) -> None:
    clock = VirtualClock()
    settings = dataclasses.replace(async_variant(), error_code=BODY_CODES)
    limited = {"base_resp": {"status_code": 1002, "status_msg": "rate limit"}}
    fake = fakes(settings, submit_replies=[Reply(200, limited, {"Retry-After": "2"})])
    client = JobClient(fake.settings, fake.api_key, fake.base_url, clock=clock, sleep=clock.sleep)
    result = client.generate({"prompt": PROMPT})
    assert len(fake.requests_of("submit")) == 2 and clock.sleeps[:1] == [2.0]  # the Retry-After wait
    assert [media.data for media in result.files] == fake.jobs[0].images


def test_an_unmapped_error_code_is_a_refused_request_with_the_providers_message(fakes: Any) -> None:
    refused = {"base_resp": {"status_code": 2013, "status_msg": "invalid params, duration"}}
    fake = fakes(dataclasses.replace(async_variant(), error_code=BODY_CODES), submit_replies=[Reply(200, refused)])
    settings = dataclasses.replace(fake.settings, error_fields=("base_resp.status_msg",))
    with pytest.raises(ProviderHttpError) as caught:
        run(fake, settings)
    assert caught.value.english.endswith("returned error code 2013 while submitting the job: invalid params, duration")
    assert caught.value.chinese.endswith("返回 错误码 2013：invalid params, duration")


def test_a_failed_task_with_an_error_code_is_the_tasks_failure(fakes: Any) -> None:
    failed = {"status": "FAILED", "base_resp": {"status_code": 1027, "status_msg": "output video sensitive"}}
    fake = fakes(dataclasses.replace(async_variant(), error_code=BODY_CODES), poll_replies=[Reply(200, failed)])
    settings = dataclasses.replace(fake.settings, error_fields=("base_resp.status_msg",))
    with pytest.raises(TaskFailedError, match="ended with FAILED: output video sensitive"):
        run(fake, settings)


def test_the_ok_code_and_an_answer_without_a_code_are_successes(fakes: Any) -> None:
    ok = {"id": "t-1", "base_resp": {"status_code": 0, "status_msg": "success"}}
    fake = fakes(dataclasses.replace(async_variant(), error_code=BODY_CODES), submit_replies=[Reply(200, ok)])
    client = JobClient(fake.settings, fake.api_key, fake.base_url)
    assert client.submit_job({"prompt": PROMPT})[0] == "t-1"
    assert client.submit_job({"prompt": PROMPT})[0] == fake.jobs[0].id  # the fake's own answer has no base_resp


def test_submit_job_hands_out_the_status_url_and_check_task_follows_it(fakes: Any) -> None:
    settings = async_variant(result_field="result.sample", poll_url_field="polling_url")
    fake = fakes(dataclasses.replace(settings, poll=dataclasses.replace(settings.poll, path="")))
    client = JobClient(fake.settings, fake.credentials, fake.base_url)
    task, _ = client.submit_job({"prompt": PROMPT})
    assert task == f"{fake.base_url}{STATUS_URL_PATH}{fake.jobs[0].id}"
    progress = client.check_task(task)
    assert progress.result is not None
    assert [media.data for media in progress.result.files] == fake.jobs[0].images


def test_settings_files_may_hold_the_new_vocabulary(tmp_path: Any) -> None:
    text = (
        "provider_label: X\nmode: async\nbase_url: https://x.test\ndefault_model: m\n"
        "auth_header: x-key\nauth_scheme: ''\nextra_headers: {Prefer: wait}\n"
        "families: {a: {match: [m], sizes: [1024x1024], body_fields: {model: model, prompt: prompt}},\n"
        "  b: {match: ['n.*'], size_range: {max_side: 1440}, limits: {steps: {max: 4}}, request_timeout: 70,\n"
        "    body_fields: {model: model, prompt: prompt}}}\n"
        "submit: {path: /v1/x, body_format: multipart, poll_url_field: polling_url, result_url_field: r,\n"
        "  body_fields: {model: model, prompt: prompt}, value_suffixes: {duration: s}}\n"
        "poll: {success: [Ready], failure: [Error]}\n"
        "result: {field: '', kind: binary, lookup: ['/files/retrieve?file_id={file_id}']}\n"
        "error_code: {field: base_resp.status_code, ok: [0], status: {1004: 401}}\n"
    )
    (tmp_path / "settings.yaml").write_text(text, encoding="utf-8")
    settings = load_settings(tmp_path / "settings.yaml")
    assert settings.families["a"].sizes == ("1024x1024",)
    assert settings.families["b"] == ModelFamily(
        match=("n.*",),
        body_fields={"model": "model", "prompt": "prompt"},
        size_range=SizeRange(max_side=1440),
        limits={"steps": NumberLimit(max=4)},
        request_timeout=70,
    )
    assert (settings.submit.body_format, settings.result.kind, settings.auth_scheme) == ("multipart", "binary", "")
    assert settings.submit.value_suffixes == {"duration": "s"}
    assert settings.result.lookup == ("/files/retrieve?file_id={file_id}",)
    assert settings.error_code == ErrorCodeSettings(field="base_resp.status_code", ok=(0,), status={"1004": 401})
    (tmp_path / "settings.yaml").write_text(text.replace("max_side", "max_sides"), encoding="utf-8")
    with pytest.raises(ValueError, match="families.b.size_range.max_sides: unknown key"):
        load_settings(tmp_path / "settings.yaml")
    (tmp_path / "settings.yaml").write_text(text.replace("multipart", "form"), encoding="utf-8")
    with pytest.raises(ValueError, match="body_format"):
        load_settings(tmp_path / "settings.yaml")
