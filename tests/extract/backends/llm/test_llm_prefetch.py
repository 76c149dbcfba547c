"""Twice as many articles in progress as requests in flight: the next requests are built while the server works,
still at most `--concurrency` requests in flight, and a request built in a mode the run left is built again."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from llm_helpers import FAST_FLAGS, SEEDS, seed
from llm_server import FakeLLM, Fault
from test_llm_faults import ARTICLE_ID, _articles, assert_gold

from extract import cli
from extract.backends.llm import modes
from extract.backends.llm.backend import ARTICLES_PER_SLOT, LLMBackend
from extract.backends.llm.settings import LLMSettings
from schemas import FactSheet


def test_the_pipeline_gets_twice_the_articles_and_the_server_never_more_than_the_concurrency(
        llm_env: FakeLLM, tmp_path: Path) -> None:
    assert ARTICLES_PER_SLOT == 2
    assert LLMBackend(LLMSettings(base_url=llm_env.url, concurrency=3)).concurrency == 6
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
