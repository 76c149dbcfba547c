"""More articles in progress than requests in flight (ARTICLES_PER_SLOT): the next requests are built while the server
works, still at most `--concurrency` requests in flight; a request built in a mode the run left is built again; the
article's timeout runs from its first request's slot, not while it waits behind the others."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from llm_helpers import FAST_FLAGS, SEEDS, seed
from llm_server import FakeLLM, Fault, status
from test_llm_faults import ARTICLE_ID, _articles, assert_gold

from extract import cli
from extract.backends.llm import modes
from extract.backends.llm.backend import ARTICLES_PER_SLOT, LLMBackend
from extract.backends.llm.settings import LLMSettings
from extract.errors import BackendError, EndpointUnavailable
from schemas import FactSheet


def test_the_pipeline_gets_more_articles_and_the_server_never_more_than_the_concurrency(
        llm_env: FakeLLM, tmp_path: Path) -> None:
    assert ARTICLES_PER_SLOT > 1
    assert LLMBackend(LLMSettings(base_url=llm_env.url, concurrency=3)).concurrency == 3 * ARTICLES_PER_SLOT
    llm_env.fail_always("*", Fault("slow", delay=0.2))
    assert cli.main(["run", str(SEEDS), "-o", str(tmp_path / "out"), "--backend", "llm", *FAST_FLAGS,
                     "--concurrency", "2"]) == 0
    assert len(llm_env.records) == len(list(SEEDS.glob("*.txt")))
    assert llm_env.max_in_flight == 2


def test_a_request_built_in_a_mode_the_run_left_while_it_waited_is_built_again_not_sent(
        fake_llm: FakeLLM, settings: LLMSettings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(modes, "TOOLS_HOSTS", ("127.0.0.1",))  # the run starts at TOOLS
    fake_llm.refuse = ("tools",)
    articles = _articles(3)

    async def go() -> list[FactSheet]:
        backend = LLMBackend(settings.model_copy(update={"concurrency": 1}))
        try:  # three articles at once, one slot: two TOOLS requests wait while the first is refused
            return await asyncio.gather(*(backend.extract(a) for a in articles))
        finally:
            await backend.aclose()

    sheets = asyncio.run(go())
    assert fake_llm.refused == 1  # only the request that was in flight; the waiting ones were never sent in TOOLS
    assert len(fake_llm.records) == 3  # answered (the refusal is counted apart)
    assert sorted(s.provenance.usage.requests for s in sheets) == [1, 1, 2]
    for sheet in sheets:
        assert sheet.provenance.model_extra["mode"] == "JSON_SCHEMA"
        assert_gold(seed(ARTICLE_ID), sheet)  # the copies share its text


def test_waiting_for_a_slot_does_not_count_against_the_article_timeout(fake_llm: FakeLLM, settings: LLMSettings) -> None:
    fake_llm.fail_always("*", Fault("slow", delay=0.4))
    articles = _articles(3)
    slow = settings.model_copy(update={"concurrency": 1, "article_timeout": 0.7, "timeout": 5.0})

    async def go() -> list[FactSheet | BaseException]:
        backend = LLMBackend(slow)
        try:  # one slot: the third article waits 0.8 s for it, then takes 0.4 s, within its 0.7 s from then
            return await asyncio.gather(*(backend.extract(a) for a in articles), return_exceptions=True)
        finally:
            await backend.aclose()

    sheets = asyncio.run(go())
    assert all(isinstance(s, FactSheet) for s in sheets), sheets
    assert fake_llm.max_in_flight == 1 and len(fake_llm.records) == 3


def test_an_answer_slower_than_the_article_timeout_still_fails_the_article(fake_llm: FakeLLM, settings: LLMSettings
                                                                          ) -> None:
    fake_llm.fail_always("*", Fault("slow", delay=0.8))
    slow = settings.model_copy(update={"concurrency": 1, "article_timeout": 0.3, "timeout": 5.0})

    async def go() -> FactSheet | BaseException:
        backend = LLMBackend(slow)
        try:
            return (await asyncio.gather(backend.extract(_articles(1)[0]), return_exceptions=True))[0]
        finally:
            await backend.aclose()

    error = asyncio.run(go())
    assert isinstance(error, BackendError) and "--article-timeout 0.3" in str(error)


def test_once_the_endpoint_is_unavailable_the_requests_waiting_for_a_slot_are_not_sent(
        fake_llm: FakeLLM, settings: LLMSettings) -> None:
    fake_llm.fail_always("*", status(401))

    async def go() -> list[FactSheet | BaseException]:
        backend = LLMBackend(settings.model_copy(update={"concurrency": 1}))
        try:
            return await asyncio.gather(*(backend.extract(a) for a in _articles(3)), return_exceptions=True)
        finally:
            await backend.aclose()

    errors = asyncio.run(go())
    assert len(fake_llm.records) == 1  # the first refusal; the two waiting requests never reached the server
    assert all(isinstance(e, EndpointUnavailable) and "refused the API key (HTTP 401)" in str(e) for e in errors)
    assert sorted(str(e).split("[")[1] for e in errors)[0].startswith("0 requests")  # a waiting one cost nothing
