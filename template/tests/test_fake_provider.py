"""The fake provider itself: what it builds must be what the client reads, or the other suites prove nothing.

Strategy: round-trip the fake's JSON builders through the client's own path reader for the result layouts of
every preset (not only this rendering's), and check with plain HTTP that the fake enforces the API's rules
(key, headers) so a client that forgot them would fail against it.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from fake_provider import SAMPLE_JPEG, document_at, merge, results_at, sample_jpeg
from support import SETTINGS, StartFake

from job_client.media import sniff_mime_type
from job_client.paths import find_all, find_first


def client_items(document: dict[str, Any], path: str) -> list[Any]:
    """Result values as JobClient collects them: every value at the path, lists flattened."""
    items: list[Any] = []
    for value in find_all(document, path):
        items.extend(value if isinstance(value, list) else [value])
    return items


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


def test_fake_refuses_a_wrong_key_and_missing_submit_headers(start_fake: StartFake) -> None:
    fake = start_fake()
    url = fake.base_url + SETTINGS.submit.path
    auth = {SETTINGS.auth_header: f"{SETTINGS.auth_scheme} {fake.api_key}".strip()}
    assert requests.post(url, json={"prompt": "x"}, headers={**SETTINGS.submit.headers}, timeout=5).status_code == 401
    if SETTINGS.submit.headers:
        refused = requests.post(url, json={"prompt": "x"}, headers=auth, timeout=5)
        assert refused.status_code == 400
        assert next(iter(SETTINGS.submit.headers)) in str(find_first(refused.json(), SETTINGS.error_fields))
    accepted = requests.post(url, json={"prompt": "x"}, headers={**auth, **SETTINGS.submit.headers}, timeout=5)
    assert accepted.status_code == 200 and len(fake.jobs) == 1
