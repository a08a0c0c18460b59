"""The model menu is the provider's live list, and a model the provider no longer lists fails clearly.

Strategy: one fake provider per case (its listing route serves ``Scenario(models=...)``, its submit refuses a
model outside that list with HTTP 404, as real APIs do) and a fresh ``ListingCache`` on a virtual clock, so
expiry is tested without waiting. Each case runs for every job tool this rendering has (the ``job`` fixture):
the tool's own settings say how its menu is filtered (id patterns, or the curated list as allow-list). A
rendering whose preset has no listing endpoint skips the live cases with the reason and checks its static menu.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import subprocess
import sys
from typing import Any

import pytest
import requests
from fake_provider import FakeProvider, Reply, Scenario
from support import JOB_TOOLS, PLUGIN_ROOT, JobKind, StartFake, closed_port_url, has_tool, menu_admits, parameters_of

from job_client import JobClient
from job_client.errors import ModelUnavailableError, PluginError, ProviderHttpError
from job_client.models import ListingCache, ModelLister, checked_model
from job_client.settings import Settings

# A model id no preset has: the tool's default with a suffix, so id patterns written for that family accept it.
NEW_SUFFIX = "-2099-preview"


class VirtualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def needs_listing(job: JobKind) -> None:
    if not job.settings.models.path:
        pytest.skip(f"{job.tool}: the preset has no model listing endpoint; the menu is the curated list")


class TimeoutRecordingSession(requests.Session):
    """A real session that notes the timeout of every request it sends."""

    def __init__(self) -> None:
        super().__init__()
        self.timeouts: list[Any] = []

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        self.timeouts.append(kwargs.get("timeout"))
        return super().request(method, url, *args, **kwargs)


def lister(job: JobKind, fake: FakeProvider, cache: ListingCache, settings: Settings | None = None) -> ModelLister:
    return ModelLister(settings or job.quick, fake.api_key, fake.base_url, cache=cache)


def run_checked(job: JobKind, fake: FakeProvider, cache: ListingCache, model: str) -> None:
    """One job with ``model``, as the tool glue runs it: inside the retired-model check."""
    with checked_model(lister(job, fake, cache), model):
        JobClient(job.quick, fake.credentials, fake.base_url).generate(job.parameters(model=model))


def test_the_menu_is_the_live_list_labelled_with_the_curated_names(job: JobKind, start_fake: StartFake) -> None:
    needs_listing(job)
    known = job.settings.models.known
    new = job.settings.default_model + NEW_SUFFIX
    listed = [*known, new, "text-embedding-v3"]
    fake = start_fake(Scenario(models=listed), settings=job.quick)
    menu = lister(job, fake, ListingCache()).menu()
    assert menu.source == "live"
    ids = [choice.id for choice in menu.choices]
    # The curated models first, with their friendly labels; an embedding model is never offered.
    assert ids[: len(known)] == list(known)
    assert [choice.label for choice in menu.choices[: len(known)]] == list(known.values())
    assert "text-embedding-v3" not in ids
    if menu_admits(job.settings, new):
        # Families: a model the provider added after the preset was written appears, labelled by its id.
        assert ids[len(known) :] == [new]
    else:
        # The curated list is the allow-list: the provider's other models stay out.
        assert ids == list(known)


def test_a_listing_that_prefixes_its_ids_is_read_without_the_prefix(job: JobKind, start_fake: StartFake) -> None:
    """Gemini lists {"models": [{"name": "models/<id>"}]} and is called with the bare id."""
    needs_listing(job)
    known = list(job.settings.models.known)
    listing = dataclasses.replace(job.quick.models, ids_field="models[*].name", strip_prefix="models/")
    settings = dataclasses.replace(job.quick, models=listing)
    answer = {"models": [{"name": f"models/{model}"} for model in [*known, "text-embedding-v3"]]}
    fake = start_fake(Scenario(models_replies=[Reply(200, answer)]), settings=settings)
    lister_ = lister(job, fake, ListingCache(), settings)
    assert lister_.live_ids() == (*known, "text-embedding-v3")
    assert [choice.id for choice in lister_.menu().choices][: len(known)] == known


def test_a_retired_curated_model_leaves_the_menu(job: JobKind, start_fake: StartFake) -> None:
    needs_listing(job)
    retired, *others = job.settings.models.known
    if not others:
        others = [retired + NEW_SUFFIX] if menu_admits(job.settings, retired + NEW_SUFFIX) else []
    fake = start_fake(Scenario(models=[*others, "text-embedding-v3"]), settings=job.quick)
    menu = lister(job, fake, ListingCache()).menu()
    if not others:
        # Nothing in the listing suits the tool: the curated menu stays (the form never breaks) and an invoke
        # with the retired model fails clearly (test_a_retired_model_fails_at_submit_with_one_clear_message).
        assert (menu.source, menu.problem) == ("curated", "the listing has no model for this tool")
        return
    assert menu.source == "live"
    assert retired not in [choice.id for choice in menu.choices]


@pytest.mark.parametrize("reply", [Reply(500), Reply(200, {"unexpected": []}), Reply.html(200)], ids=str)
def test_a_failing_listing_falls_back_to_the_curated_list(job: JobKind, start_fake: StartFake, reply: Reply) -> None:
    needs_listing(job)
    fake = start_fake(Scenario(models_replies=[reply]), settings=job.quick)
    menu = lister(job, fake, ListingCache()).menu()
    assert menu.source == "curated"
    assert [(c.id, c.label) for c in menu.choices] == list(job.settings.models.known.items())
    assert fake.api_key not in menu.problem


def test_a_slow_listing_falls_back_within_its_timeout(job: JobKind, start_fake: StartFake) -> None:
    needs_listing(job)
    settings = dataclasses.replace(job.quick, models=dataclasses.replace(job.settings.models, timeout=0.3))
    fake = start_fake(Scenario(models_delay=5.0), settings=settings)
    session = TimeoutRecordingSession()
    menu = ModelLister(settings, fake.api_key, fake.base_url, cache=ListingCache(), session=session).menu()
    assert menu.source == "curated" and "timed out" in menu.problem
    # The listing's own timeout, as (connect, read), not the job's: no clock needed to see which one applied.
    assert session.timeouts == [(0.3, 0.3)]


def test_the_live_list_is_cached_per_credential_for_cache_seconds(job: JobKind, start_fake: StartFake) -> None:
    needs_listing(job)
    fake = start_fake(settings=job.quick)
    clock = VirtualClock()
    cache = ListingCache(clock)
    listing_requests = lambda: len(fake.requests_of("validate") + fake.requests_of("models"))  # noqa: E731
    lister(job, fake, cache).menu()
    lister(job, fake, cache).menu()
    assert listing_requests() == 1
    # The cache is keyed by a hash: the key itself is never stored.
    assert all(fake.api_key not in key for key in cache._entries)
    # Another key (another workspace's credential) has its own entry, hence its own request.
    ModelLister(job.quick, fake.api_key + "-other", fake.base_url, cache=cache).menu()
    assert listing_requests() == 2
    clock.now += job.settings.models.cache_seconds + 1
    lister(job, fake, cache).menu()
    assert listing_requests() == 3


def test_the_cache_keeps_only_entries_still_valid() -> None:
    # One plugin process serves every workspace: expired lists of credentials no longer used must not pile up.
    clock = VirtualClock()
    cache = ListingCache(clock)
    cache.put("first-credential", ("model-a",), 300.0)
    cache.put("second-credential", ("model-b",), 600.0)
    clock.now += 301
    cache.put("third-credential", ("model-c",), 300.0)
    assert sorted(cache._entries) == ["second-credential", "third-credential"]
    assert cache.get("first-credential") is None and cache.get("second-credential") == ("model-b",)


def test_a_retired_model_fails_at_submit_with_one_clear_message(job: JobKind, start_fake: StartFake) -> None:
    needs_listing(job)
    retired = job.settings.default_model
    available = [model for model in job.settings.models.known if model != retired] or [retired + NEW_SUFFIX]
    fake = start_fake(Scenario(models=available), settings=job.quick)
    with pytest.raises(ModelUnavailableError) as caught:
        run_checked(job, fake, ListingCache(), retired)
    error = caught.value
    assert f"'{retired}'" in error.english and "retired" in error.english
    assert f"“{retired}”" in error.chinese and "已下线" in error.chinese
    usable = lister(job, fake, ListingCache()).usable(tuple(available))
    if usable:
        assert f"Models available now: {', '.join(usable)}." in error.english
        assert ", ".join(usable) in error.chinese
    assert fake.api_key not in str(error)
    assert len(fake.requests_of("submit")) == 1  # the provider refused it; the listing named the reason


def test_a_model_missing_from_the_cached_list_fails_before_submit(job: JobKind, start_fake: StartFake) -> None:
    needs_listing(job)
    retired = job.settings.default_model
    fake = start_fake(Scenario(models=["something-else"]), settings=job.quick)
    cache = ListingCache()
    lister(job, fake, cache).menu()  # the form was opened: the list is cached
    with pytest.raises(ModelUnavailableError, match="does not offer the model"):
        run_checked(job, fake, cache, retired)
    assert fake.requests_of("submit") == []


def test_other_refusals_keep_the_providers_own_message(job: JobKind, start_fake: StartFake) -> None:
    needs_listing(job)
    # The model is listed, the provider refuses the request for another reason: that reason stands.
    fake = start_fake(Scenario(outcome="failed"), settings=job.quick)
    with pytest.raises(PluginError) as caught:
        run_checked(job, fake, ListingCache(), job.settings.default_model)
    assert not isinstance(caught.value, ModelUnavailableError)
    assert fake.scenario.failure_reason in str(caught.value)


def test_a_listing_outage_never_hides_the_providers_error(job: JobKind, start_fake: StartFake) -> None:
    needs_listing(job)
    fake = start_fake(Scenario(models=["something-else"], models_replies=[Reply(500)]), settings=job.quick)
    with pytest.raises(ProviderHttpError, match="does not exist"):
        run_checked(job, fake, ListingCache(), job.settings.default_model)


def test_without_a_listing_the_model_menu_is_static(job: JobKind) -> None:
    declared = parameters_of(job.tool)["model"] if job.tool != "video_query" else {}
    if job.settings.models.path:
        assert declared["type"] == "dynamic-select"
        return
    assert declared["type"] == "select"
    menu = ModelLister(job.settings, "any-key").menu()
    assert menu.source == "curated"
    assert [choice.id for choice in menu.choices] == [option["value"] for option in declared["options"]]


# ── scripts/models.py, run as a user runs it ──────────────────────────────────
def run_models_script(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if key not in ("API_KEY", "BASE_URL")}
    return subprocess.run(
        [sys.executable, "scripts/models.py", *args],
        cwd=PLUGIN_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**environment, **(env or {})},
    )


def test_models_script_names_new_retired_and_unchanged_models(job: JobKind, start_fake: StartFake) -> None:
    needs_listing(job)
    if job.tool != next(tool for tool in JOB_TOOLS if has_tool(tool)):
        pytest.skip("one run of the script covers every tool of this rendering; it runs with the first")
    first, *rest = job.settings.models.known
    new = job.settings.default_model + NEW_SUFFIX
    fake = start_fake(Scenario(models=[*rest, new]), settings=job.quick)
    result = run_models_script(env={"API_KEY": fake.api_key, "BASE_URL": fake.base_url})
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert f"{job.tool}: {job.settings.provider_label} {job.settings.models.path}" in lines[0]
    assert any(line.split()[:2] == ["retired", first] for line in lines)
    assert all(any(line.split()[:2] == ["unchanged", model] for line in lines) for model in rest)
    assert any(line.split()[:2] == ["new", new] for line in lines) == menu_admits(job.settings, new)
    assert fake.api_key not in result.stdout + result.stderr


def test_models_script_offline_and_without_a_key(job: JobKind) -> None:
    needs_listing(job)
    if job.tool != next(tool for tool in JOB_TOOLS if has_tool(tool)):
        pytest.skip("one run of the script covers every tool of this rendering; it runs with the first")
    offline = run_models_script("--fake")
    assert offline.returncode == 0, offline.stdout + offline.stderr
    rows = [line.split()[0] for line in offline.stdout.splitlines() if line.startswith("  ")]
    assert rows and set(rows) == {"unchanged"}
    keyless = run_models_script(env={"BASE_URL": closed_port_url()})
    assert keyless.returncode == 1 and "put API_KEY=" in keyless.stderr and ".env" in keyless.stderr


def test_a_bad_pattern_in_settings_falls_back_instead_of_breaking_the_form(job: JobKind, start_fake: StartFake) -> None:
    needs_listing(job)
    # models.exclude is a hand-edited pattern list (families' patterns are checked when settings.yaml is read)
    settings = dataclasses.replace(job.quick, models=dataclasses.replace(job.settings.models, exclude=("(unclosed",)))
    fake = start_fake(settings=settings)
    menu = lister(job, fake, ListingCache(), settings).menu()
    assert menu.source == "curated" and menu.problem.startswith("bad pattern in settings.yaml models")
    assert [choice.id for choice in menu.choices] == list(job.settings.models.known)


# ── the listing's rules and words, on a listing set up here (every rendering, with or without its own) ──────
def listed(**models: Any) -> Settings:
    """This rendering's settings with a listing at /models whose curated list is a, b (no families)."""
    from test_api_vocabulary import async_variant

    base = async_variant()
    listing = dataclasses.replace(
        base.models, path="/models", ids_field="data[*].id", match=(), exclude=(), known={"a": "A", "b": "B"}
    )
    return dataclasses.replace(base, validate_path="/models", models=dataclasses.replace(listing, **models))


def test_the_listing_is_asked_with_the_key_and_read_at_its_ids_field(start_fake: StartFake) -> None:
    settings = listed()
    fake = start_fake(Scenario(models=["b", "z", "a"]), settings=settings)
    cache = ListingCache(VirtualClock())
    session = TimeoutRecordingSession()
    menu = ModelLister.from_credentials(
        {"api_key": f" {fake.api_key} ", "base_url": f"{fake.base_url}/"}, settings, cache=cache, session=session
    ).menu()
    # the curated ids first, in the curated order, labelled; then the others as listed (no match: known only)
    assert (menu.source, [(choice.id, choice.label) for choice in menu.choices]) == ("live", [("a", "A"), ("b", "B")])
    (request,) = fake.requests_of("validate")
    assert request.path == f"{fake.base_url}/models"[len(fake.origin) :]
    scheme = f"{settings.auth_scheme} " if settings.auth_scheme else ""
    assert request.headers[settings.auth_header] == f"{scheme}{fake.api_key}"
    assert session.timeouts == [(3.0, settings.models.timeout)]
    patterns = listed(match=("[a-z]",), exclude=("b",))
    menu = ModelLister(patterns, fake.api_key, fake.base_url, cache=ListingCache(VirtualClock())).menu()
    assert [(choice.id, choice.label) for choice in menu.choices] == [("a", "A"), ("z", "z")]


def test_the_listing_cache_key_is_the_url_path_and_key(start_fake: StartFake) -> None:
    settings = listed()
    fake = start_fake(Scenario(models=["a"]), settings=settings)
    cache = ListingCache(VirtualClock())
    assert ModelLister(settings, fake.api_key, fake.base_url, cache=cache).live_ids() == ("a",)
    assert ModelLister(settings, fake.api_key, fake.base_url, cache=cache).cached_ids() == ("a",)
    other_path = dataclasses.replace(settings, models=dataclasses.replace(settings.models, path="/models?all=1"))
    assert ModelLister(other_path, fake.api_key, fake.base_url, cache=cache).cached_ids() is None
    assert ModelLister(settings, fake.api_key, f"{fake.base_url}/v2", cache=cache).cached_ids() is None
    assert ModelLister(settings, "", fake.base_url, cache=cache).cached_ids() is None
    no_listing = dataclasses.replace(settings, models=dataclasses.replace(settings.models, path=""))
    assert ModelLister(no_listing, fake.api_key, fake.base_url, cache=cache).cached_ids() is None


def test_a_cache_entry_ends_exactly_at_cache_seconds() -> None:
    clock = VirtualClock()
    cache = ListingCache(clock)
    cache.put("credential", ("a",), 300.0)
    clock.now += 299.5
    assert cache.get("credential") == ("a",)
    cache.put("another", ("b",), 0.5)  # ends at the same instant as the first: both are dropped then
    clock.now += 0.5
    assert cache.get("credential") is None
    cache.put("third", ("c",), 1.0)
    assert sorted(cache._entries) == ["third"]


def test_listing_failures_are_worded_whole(start_fake: StartFake) -> None:
    settings = listed()
    label = settings.provider_label
    for reply, expected in [
        (Reply(400), (f"{label}'s model list answered HTTP 400.", f"{label} 模型列表返回 HTTP 400。")),
        (
            Reply(200, {"data": [{"name": "a"}, {"id": 7}]}),
            (f"{label}'s model list has no ids at 'data[*].id'.", f"{label} 模型列表的 'data[*].id' 中没有模型 ID。"),
        ),
        (
            Reply(200, "not json"),
            (f"{label}'s model list has no ids at 'data[*].id'.", f"{label} 模型列表的 'data[*].id' 中没有模型 ID。"),
        ),
    ]:
        fake = start_fake(Scenario(models_replies=[reply]), settings=settings)
        with pytest.raises(PluginError) as caught:
            ModelLister(settings, fake.api_key, fake.base_url, cache=ListingCache(VirtualClock())).live_ids()
        assert (caught.value.english, caught.value.chinese) == expected
    url = closed_port_url()
    with pytest.raises(PluginError) as caught:
        ModelLister(settings, "key", url, cache=ListingCache(VirtualClock())).live_ids()
    assert (caught.value.english, caught.value.chinese) == (
        f"{label}'s model list: ConnectionError.",
        f"{label} 模型列表：ConnectionError。",
    )
    no_listing = dataclasses.replace(settings, models=dataclasses.replace(settings.models, path=""))
    with pytest.raises(PluginError) as caught:
        ModelLister(no_listing, "key", url).live_ids()
    assert (caught.value.english, caught.value.chinese) == (
        "This provider has no model listing.",
        "该服务商没有模型列表接口。",
    )
    with pytest.raises(PluginError) as caught:
        ModelLister(settings, " ", url).live_ids()
    assert (caught.value.english, caught.value.chinese) == ("No API key is set.", "未设置 API Key。")


def test_the_menu_says_why_it_is_the_curated_list(start_fake: StartFake, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="job_client.models")
    curated = [("a", "A"), ("b", "B")]
    no_listing = listed(path="")
    menu = ModelLister(no_listing, "key", "http://127.0.0.1:9").menu()
    assert (menu.source, menu.problem, [(c.id, c.label) for c in menu.choices]) == (
        "curated",
        "no listing endpoint",
        curated,
    )
    settings = listed()
    fake = start_fake(Scenario(models=["x"]), settings=settings)
    menu = ModelLister(settings, fake.api_key, fake.base_url, cache=ListingCache(VirtualClock())).menu()
    assert (menu.source, menu.problem, [(c.id, c.label) for c in menu.choices]) == (
        "curated",
        "the listing has no model for this tool",
        curated,
    )
    refused = start_fake(Scenario(models_replies=[Reply(500)]), settings=settings)
    menu = ModelLister(settings, refused.api_key, refused.base_url, cache=ListingCache(VirtualClock())).menu()
    problem = f"{settings.provider_label}'s model list answered HTTP 500."
    assert (menu.source, menu.problem, [(c.id, c.label) for c in menu.choices]) == ("curated", problem, curated)
    bad = listed(match=("(",))
    menu = ModelLister(bad, fake.api_key, fake.base_url, cache=ListingCache(VirtualClock())).menu()
    assert menu.problem.startswith("bad pattern in settings.yaml models: missing )")
    assert [record.getMessage() for record in caplog.records] == [
        f"model list unavailable, showing the curated list: {problem}",
        "settings.yaml models.match or exclude: missing ), unterminated subpattern at position 0",
    ]
    unnamed = listed(path="", known={})
    assert [(c.id, c.label) for c in ModelLister(unnamed, "key").curated()] == [
        (unnamed.default_model, unnamed.default_model)
    ]


def test_an_unavailable_model_names_at_most_twelve_usable_ones() -> None:
    settings = listed(match=("m[0-9]+",))
    lister = ModelLister(settings, "key", "http://127.0.0.1:9")
    label = settings.provider_label
    assert lister.unavailable("m1", ("m1",)) is None
    twelve = tuple(f"m{number}" for number in range(12))
    error = lister.unavailable("gone", twelve)
    assert error is not None and (error.english, error.chinese) == (
        f"{label} does not offer the model 'gone' (unknown or retired). Pick another model in the tool's settings. "
        f"Models available now: {', '.join(twelve)}.",
        f"{label} 不提供模型“gone”（未知或已下线），请在工具设置中改选其他模型。当前可用的模型：{', '.join(twelve)}。",
    )
    error = lister.unavailable("gone", (*twelve, "m12"))
    assert error is not None and error.english.endswith(f"Models available now: {', '.join(twelve)}, ….")
    for ids in [("x",), ()]:
        error = lister.unavailable("gone", ids)
        assert error is not None and (error.english, error.chinese) == (
            f"{label} does not offer the model 'gone' (unknown or retired). Pick another model in the tool's settings.",
            f"{label} 不提供模型“gone”（未知或已下线），请在工具设置中改选其他模型。",
        )
    broken = ModelLister(listed(match=("(",)), "key", "http://127.0.0.1:9")
    error = broken.unavailable("gone", ("m1",))
    assert error is not None and "Models available now" not in error.english


def test_a_lister_without_a_key_never_asks_and_a_trailing_slash_is_dropped(start_fake: StartFake) -> None:
    settings = dataclasses.replace(listed(), base_url="https://api.example.test/api")  # the fake serves under /api
    fake = start_fake(Scenario(models=["a"]), settings=settings)
    for key in ("", None):
        with pytest.raises(PluginError) as caught:
            ModelLister(settings, key, fake.base_url).live_ids()  # type: ignore[arg-type]
        assert caught.value.english == "No API key is set."
    assert fake.requests == []
    lister = ModelLister(settings, fake.api_key, f"{fake.base_url}/", cache=ListingCache(VirtualClock()))
    assert lister.live_ids() == ("a",)
    (request,) = fake.requests
    assert request.path == "/api/models"
