"""The fake provider itself: what it builds must be what the client reads, or the other suites prove nothing.

Strategy: check the path grammar's inverse (``document_holding``, which the fake builds every answer with) over
every path shape the presets use, with any number and kind of values, round-trip the fake's JSON builders through
the client's own path reader for the result layouts of every preset (not only this rendering's), check that its
samples are what the plugin's sniffing expects (JPEG, MP4), and check with plain HTTP that the fake enforces the
API's rules (key, headers, an editing request's input image) and serves input files the way Dify's file service
does, so a client that got them wrong would fail.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import pytest
import requests
from fake_provider import (
    SAMPLE_JPEG,
    FakeProvider,
    Scenario,
    document_at,
    guess_media,
    merge,
    results_at,
    sample_jpeg,
    sample_mp4,
)
from support import SETTINGS, StartFake, has_tool, quick, requires_async, settings_for

from job_client.inputs import data_uri
from job_client.media import sniff_mime_type
from job_client.paths import document_holding, find_all, find_first, put, segments

# The path shapes of the presets' settings: task_id, output.task_id, data[*].url, detail[0].msg, output.results[*]...
PATH_SHAPES = ["a", "a.b", "a[*]", "a[*].b", "a[0].b", "a[2].b", "a[1]", "a.b[*].c"]
# JSON values of every kind, a list and a mapping included (a value is not flattened or merged).
VALUES = ["text", 7, 2.5, True, None, ["x", "y"], {"k": "v"}]


def client_items(document: dict[str, Any], path: str) -> list[Any]:
    """Result values as JobClient collects them: every value at the path, lists flattened."""
    items: list[Any] = []
    for value in find_all(document, path):
        items.extend(value if isinstance(value, list) else [value])
    return items


@pytest.mark.parametrize("path", PATH_SHAPES)
def test_a_built_document_holds_exactly_the_values_put_in(path: str) -> None:
    walks_a_list = any(index == "*" for _, index in segments(path))
    counts = range(len(VALUES) + 1) if walks_a_list else range(2)
    for count in counts:
        for start in range(len(VALUES)):
            values = (VALUES[start:] + VALUES[:start])[:count]
            document = document_holding(path, values)
            assert find_all(document, path) == values, (path, values, document)
    if not walks_a_list:
        with pytest.raises(ValueError, match="holds one value"):
            document_holding(path, ["one", "two"])


@pytest.mark.parametrize("path", [shape for shape in PATH_SHAPES if "[*]" not in shape])
def test_put_sets_the_value_that_find_all_then_reads(path: str) -> None:
    for value in VALUES:
        document: dict[str, Any] = {}
        put(document, path, value)
        assert find_all(document, path) == [value], (path, value, document)


def test_put_fills_list_items_in_any_order_and_keeps_what_is_there() -> None:
    document: dict[str, Any] = {"contents": [{"role": "user"}]}
    put(document, "contents[0].parts[1].inlineData.data", "QUJD")
    put(document, "contents[0].parts[0].text", "a fox")
    put(document, "generationConfig.imageConfig.aspectRatio", "16:9")
    assert document == {
        "contents": [{"role": "user", "parts": [{"text": "a fox"}, {"inlineData": {"data": "QUJD"}}]}],
        "generationConfig": {"imageConfig": {"aspectRatio": "16:9"}},
    }
    with pytest.raises(ValueError, match="names no single place"):
        put(document, "contents[*].role", "model")
    with pytest.raises(ValueError, match="'role' is not a list"):
        put(document, "contents[0].role[0]", "model")
    with pytest.raises(ValueError, match="not a mapping"):
        put(document, "contents[0].role.name", "model")


def test_put_writes_a_body_of_list_parts_at_indexed_paths() -> None:
    """A body whose prompt and image are items of a list (Ark's ``content``), written field by field in any order."""
    body: dict[str, Any] = {}
    put(body, "content[1].type", "image_url")
    put(body, "content[0].type", "text")
    put(body, "content[0].text", "a fox")
    put(body, "content[1].image_url.url", "data:image/png;base64,AAAA")
    put(body, "resolution", "720p")
    assert body == {
        "content": [
            {"type": "text", "text": "a fox"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
        ],
        "resolution": "720p",
    }
    for path in [shape for shape in PATH_SHAPES if "*" not in shape]:
        document: dict[str, Any] = {}
        put(document, path, "value")
        assert find_all(document, path) == ["value"], (path, document)
    with pytest.raises(ValueError, match="names no single place"):
        put({}, "content[*].text", "x")
    with pytest.raises(ValueError, match="is not a list"):
        put({"content": "text"}, "content[0].text", "x")


def test_a_path_outside_the_grammar_is_refused() -> None:
    assert segments("output.results[*].url") == [("output", None), ("results", "*"), ("url", None)]
    for path in ("a..b", "a[x]", "a[*]b", ""):
        with pytest.raises(ValueError, match="invalid path segment"):
            segments(path)


@pytest.mark.parametrize(
    "path", ["output_images", "output.results[*].url", "data[*].b64_json", "images[*].url", "results.videos[*].url"]
)
def test_results_land_where_the_client_looks(path: str) -> None:
    assert client_items(results_at(path, ["first", "second"]), path) == ["first", "second"]
    assert client_items(results_at(path, []), path) == []


def test_fixed_index_and_single_values_land_where_the_client_looks() -> None:
    assert client_items(results_at("data[1].url", ["only"]), "data[1].url") == ["only"]
    assert client_items(results_at("output.video_url", ["clip"]), "output.video_url") == ["clip"]


def test_status_task_and_error_share_one_document() -> None:
    document = merge(document_at("output.task_status", "FAILED"), document_at("output.message", "moderated"))
    assert document == {"output": {"task_status": "FAILED", "message": "moderated"}}
    assert find_first(document, ["errors.message", "output.message"]) == "moderated"


def test_sample_images_are_real_jpegs_that_differ_per_label() -> None:
    assert sniff_mime_type(SAMPLE_JPEG) == "image/jpeg"
    first, second = sample_jpeg("job 1"), sample_jpeg("job 2")
    assert first != second and sniff_mime_type(first) == sniff_mime_type(second) == "image/jpeg"
    assert len(sample_jpeg(min_size=100_000)) == 100_000


def minimal_submit() -> dict[str, Any]:
    """requests.post's body arguments for a submit the fake accepts: a prompt, and the input image if one is needed."""
    body: dict[str, Any] = {"prompt": "x"}
    image_field = SETTINGS.submit.body_fields.get("image")
    if image_field and SETTINGS.submit.body_format == "multipart":  # an edit API taking a file part
        return {"data": body, "files": {image_field: ("image.jpg", sample_jpeg("input"), "image/jpeg")}}
    if image_field:  # the settings of a tool with an input image (image_edit, image2video): it is required
        # One path, or two: [media type, base64 data] (Gemini's inlineData).
        for path in image_field if isinstance(image_field, list) else [image_field]:
            put(body, path, data_uri(sample_jpeg("input"), "image/jpeg"))
    return {"json": body}


def test_fake_refuses_a_wrong_key_and_missing_submit_headers(start_fake: StartFake) -> None:
    fake = start_fake()
    url = fake.base_url + SETTINGS.submit.path
    # The key (or a freshly signed token), and the constant headers every API request carries (Runway's version).
    auth = {**fake.auth_headers(), **SETTINGS.extra_headers}
    sent = minimal_submit()
    refused = requests.post(url, **sent, headers={**SETTINGS.submit.headers}, timeout=5)
    if SETTINGS.error_code is None:
        assert refused.status_code == 401
    else:  # errors inside HTTP 200 answers (MiniMax): the code settings.yaml maps to 401
        code = find_first(refused.json(), [SETTINGS.error_code.field])
        assert refused.status_code == 200 and SETTINGS.error_code.status[str(code)] == 401
    if SETTINGS.submit.headers:
        refused = requests.post(url, **sent, headers=auth, timeout=5)
        assert refused.status_code == 400
        assert next(iter(SETTINGS.submit.headers)) in str(find_first(refused.json(), SETTINGS.error_fields))
    accepted = requests.post(url, **sent, headers={**auth, **SETTINGS.submit.headers}, timeout=5)
    assert accepted.status_code == 200 and len(fake.jobs) == 1


def test_sample_videos_are_mp4_boxes_that_differ_per_label() -> None:
    first, second = sample_mp4("job 1"), sample_mp4("job 2")
    assert first[4:8] == b"ftyp" and sniff_mime_type(first) == "video/mp4"
    assert first != second and sample_mp4("job 1") == first  # deterministic
    # Two boxes whose sizes add up to the file: ftyp, then mdat holding the label.
    ftyp_size = int.from_bytes(first[:4], "big")
    assert first[ftyp_size + 4 : ftyp_size + 8] == b"mdat"
    assert ftyp_size + int.from_bytes(first[ftyp_size : ftyp_size + 4], "big") == len(first)
    padded = sample_mp4(min_size=100_000)
    assert len(padded) == 100_000 and int.from_bytes(padded[ftyp_size : ftyp_size + 4], "big") == 100_000 - ftyp_size


def test_media_is_guessed_from_the_settings_and_can_be_forced() -> None:
    image = dataclasses.replace(
        SETTINGS, file_prefix="acme_image", result=dataclasses.replace(SETTINGS.result, field="images[0].url")
    )
    assert guess_media(image) == "image"
    video = dataclasses.replace(image, file_prefix="acme_video")
    assert guess_media(video) == "video"
    video_field = dataclasses.replace(image, result=dataclasses.replace(image.result, field="video_url"))
    assert guess_media(video_field) == "video"
    assert FakeProvider(SETTINGS, Scenario(media="video")).media == "video"
    if has_tool("text2video"):
        assert guess_media(settings_for("text2video")) == "video"


@requires_async
def test_a_video_result_is_a_single_url_at_the_result_field(start_fake: StartFake) -> None:
    settings = dataclasses.replace(
        quick(SETTINGS), result=dataclasses.replace(SETTINGS.result, field="output.video_url", kind="url")
    )
    fake = start_fake(settings=settings)
    assert fake.media == "video"
    # The key (or a freshly signed token), and the constant headers every API request carries (Runway's version).
    auth = {**fake.auth_headers(), **SETTINGS.extra_headers}
    submitted = requests.post(
        fake.base_url + SETTINGS.submit.path.replace("{model}", SETTINGS.default_model),
        **minimal_submit(),
        headers={**auth, **SETTINGS.submit.headers},
        timeout=5,
    )
    task_id = find_first(submitted.json(), [SETTINGS.submit.task_id_field])
    # The status URL: the submit answer's own (submit.poll_url_field), else poll.path with the task id.
    poll_url = (
        find_first(submitted.json(), [SETTINGS.submit.poll_url_field]) if SETTINGS.submit.poll_url_field else None
    )
    poll_url = poll_url or fake.base_url + SETTINGS.poll.path.replace("{task_id}", task_id)
    status = requests.get(poll_url, headers={**auth, **SETTINGS.poll.headers}, timeout=5).json()
    if SETTINGS.submit.result_url_field:  # fal: the status only says done, the results wait at a second URL
        result_url = find_first(submitted.json(), [SETTINGS.submit.result_url_field])
        status = requests.get(result_url, headers=auth, timeout=5).json()
    (url,) = find_all(status, "output.video_url")
    assert isinstance(url, str) and url.endswith(".mp4")  # a string, as video APIs answer, not a list
    assert requests.get(url, timeout=5).content == fake.jobs[0].images[0]


def test_input_files_are_served_without_a_key_and_recorded(start_fake: StartFake) -> None:
    fake = start_fake()
    url = fake.add_file("cat.jpg", SAMPLE_JPEG)
    assert url == f"{fake.origin}/inputs/cat.jpg"
    answer = requests.get(url, timeout=5)
    assert answer.status_code == 200 and answer.content == SAMPLE_JPEG
    assert answer.headers["Content-Type"] == "image/jpeg"
    gone = requests.get(fake.add_file("gone.png", b"", status=404), timeout=5)
    assert gone.status_code == 404
    assert requests.get(f"{fake.origin}/inputs/never-added.png", timeout=5).status_code == 404
    assert [request.kind for request in fake.requests] == ["input", "input", "input"]
    with pytest.raises(ValueError, match="plain file name"):
        fake.add_file("../escape.png", SAMPLE_JPEG)


@pytest.mark.skipif(not has_tool("image_edit"), reason="this rendering has no image_edit tool")
def test_an_edit_request_without_its_image_is_refused(start_fake: StartFake) -> None:
    settings = quick(settings_for("image_edit"))
    fake = start_fake(settings=settings)
    auth = {**fake.auth_headers(), **settings.extra_headers}
    url = fake.base_url + settings.submit.path
    body = document_at(settings.submit.body_fields["prompt"], "x")
    image_field = settings.submit.body_fields["image"]
    multipart = settings.submit.body_format == "multipart"  # an edit API taking the image as a file part
    # requests writes a multipart form when given files (an empty text part forces one without the image).
    without = {"data": body, "files": {"mask": ("", b"")}} if multipart else {"json": body}
    refused = requests.post(url, **without, headers={**auth, **settings.submit.headers}, timeout=5)
    assert refused.status_code == 400
    # An image sent as [media type, base64 data] (Gemini) is named by both paths.
    paths = image_field if isinstance(image_field, list) else [image_field]
    assert all(path in str(find_first(refused.json(), settings.error_fields)) for path in paths)
    if multipart:
        with_image = {"data": body, "files": {image_field: ("in.jpg", sample_jpeg("input"), "image/jpeg")}}
    else:
        with_image = {"json": copy.deepcopy(body)}
        for path in paths:
            put(with_image["json"], path, "data:image/jpeg;base64,AAAA")
    accepted = requests.post(url, **with_image, headers={**auth, **settings.submit.headers}, timeout=5)
    assert accepted.status_code == 200 and len(fake.jobs) == 1
