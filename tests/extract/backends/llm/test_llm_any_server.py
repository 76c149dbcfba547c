"""Issue #10's "Done when", over real HTTP: mode by server with one fallback, only used answers cached,
one request budget per article, cut-off answers continued, a failed chunk keeping the others."""

from __future__ import annotations

from pathlib import Path

import pytest
from llm_helpers import FAST_FLAGS, GOLD, GOLD_IDS, SEEDS, extract_one, seed
from llm_server import FakeLLM, Fault, status
from test_llm_faults import assert_gold
from test_llm_run import facts_of, gold_of, sheet

from extract import cli
from extract.backends.llm import modes
from extract.backends.llm.chunking import split_text
from extract.backends.llm.settings import LLMSettings
from extract.errors import BackendError
from extract.store import ResponseCache, Store, using_cache


def run(out: Path, *extra: str) -> int:
    return cli.main(["run", str(SEEDS), "-o", str(out), "--backend", "llm", *FAST_FLAGS, *extra])


def overall_f1(out: Path) -> float:
    scoring = pytest.importorskip("evals.scoring")
    gold_mod = pytest.importorskip("evals.gold")
    runner = pytest.importorskip("evals.runner")
    gold = gold_mod.load_gold(GOLD, SEEDS)
    return scoring.score(runner.cases(gold, gold_mod.load_predictions(out, [g.article for g in gold]))).overall_f1


# --- mode by server, with fallback ---

def test_default_mode_is_tools_for_openai_and_json_schema_elsewhere() -> None:
    assert modes.default_mode("api.openai.com") == "TOOLS"
    assert modes.default_mode("x.openai.azure.com") == "TOOLS"
    assert modes.default_mode("localhost:11434") == "JSON_SCHEMA"


def test_a_server_refusing_tools_completes_every_seed_with_no_mode_given(
        llm_env: FakeLLM, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(modes, "TOOLS_HOSTS", ("127.0.0.1",))  # this local server stands in for one that starts at TOOLS
    llm_env.refuse = ("tools",)
    out = tmp_path / "out"
    assert run(out, "--concurrency", "4") == 0

    assert overall_f1(out) >= 0.99
    for article_id in GOLD_IDS:
        provenance = sheet(out, article_id).provenance
        assert provenance.model_extra["mode"] == "JSON_SCHEMA"
        assert provenance.model_extra["mode_fallback"] == "TOOLS->JSON_SCHEMA"
    assert 1 <= llm_env.refused <= 4  # only the requests in flight before the step; never again after it
    assert capsys.readouterr().err.count("refused TOOLS mode") == 1  # logged once for the run


def test_a_server_without_response_format_steps_down_to_md_json(fake_llm: FakeLLM, settings: LLMSettings) -> None:
    fake_llm.refuse = ("json_schema", "response_format")
    article = seed(GOLD_IDS[0])
    sheet_ = extract_one(settings, article)  # no mode: JSON_SCHEMA for a local server, then JSON, then MD_JSON

    assert_gold(article, sheet_)
    assert sheet_.provenance.model_extra["mode"] == "MD_JSON"
    assert sheet_.provenance.model_extra["mode_fallback"] == "JSON_SCHEMA->JSON, JSON->MD_JSON"
    assert fake_llm.refused == 2 and sheet_.provenance.usage.requests == 3


def test_an_explicit_mode_is_never_overridden(fake_llm: FakeLLM, settings: LLMSettings) -> None:
    fake_llm.refuse = ("tools",)
    with pytest.raises(BackendError, match="does not support tools"):
        extract_one(settings.model_copy(update={"mode": "TOOLS"}), seed(GOLD_IDS[0]))
    assert fake_llm.refused == 1


def test_the_fingerprint_holds_the_mode_policy() -> None:
    from extract.backends.llm.backend import LLMBackend

    auto = LLMBackend(LLMSettings(base_url="http://127.0.0.1:9/v1"))
    fixed = LLMBackend(LLMSettings(base_url="http://127.0.0.1:9/v1", mode="JSON"))
    assert auto.fingerprint()["mode"] == "auto:JSON_SCHEMA" and fixed.fingerprint()["mode"] == "JSON"


@pytest.mark.parametrize(("model", "reasoning"), [("o3-mini", True), ("gpt-5", True), ("openai/o1", True),
                                                  ("qwen3-30b-thinking", True), ("deepseek-reasoner", True),
                                                  ("gpt-4o-mini", False), ("llama3.1:8b", False), ("o1x", False)])
def test_reasoning_models_get_no_temperature_and_max_completion_tokens(fake_llm: FakeLLM, settings: LLMSettings,
                                                                      model: str, reasoning: bool) -> None:
    extract_one(settings.model_copy(update={"model": model, "max_tokens": 9000}), seed(GOLD_IDS[0]))
    body = fake_llm.records[0].body
    if reasoning:
        assert "temperature" not in body and "max_tokens" not in body and body["max_completion_tokens"] == 9000
    else:
        assert body["temperature"] == 0 and body["max_tokens"] == 9000 and "max_completion_tokens" not in body


# --- the cache keeps only answers that were used ---

def test_a_run_of_malformed_answers_is_asked_again_when_re_run_against_a_healthy_server(llm_env: FakeLLM,
                                                                                       tmp_path: Path) -> None:
    out = tmp_path / "out"
    llm_env.fail_always("*", Fault("invalid_json"))
    assert run(out) != 0
    assert not any((out / f"{a}.json").exists() for a in GOLD_IDS)

    del llm_env.always["*"]  # the same address, now healthy
    before = len(llm_env.records)
    assert run(out) == 0  # same output folder, cache on
    for article_id in GOLD_IDS:
        assert facts_of(sheet(out, article_id)) == gold_of(article_id)
    assert len(llm_env.records) - before >= len(GOLD_IDS)  # asked the server again, nothing replayed

    again = len(llm_env.records)
    assert run(out, "--force") == 0  # the used answers are now cached: --force re-extracts from... the server
    assert len(llm_env.records) - again == len(GOLD_IDS)


def test_an_empty_answer_for_a_text_with_figures_is_re_asked_once_and_never_cached(
        fake_llm: FakeLLM, settings: LLMSettings, tmp_path: Path) -> None:
    article = seed(GOLD_IDS[0])
    fake_llm.responder = lambda body: {"metrics": [], "infrastructure_projects": [], "policy_statements": []}
    with Store.open(tmp_path / "store.sqlite") as store, using_cache(ResponseCache(store)) as cache:
        sheet_ = extract_one(settings, article)
        assert len(fake_llm.records) == 2 and "states figures" in fake_llm.records[1].text()
        assert sheet_.provenance.reasks == 1 and not sheet_.metrics
        assert cache is not None and len(cache) == 0
        extract_one(settings, article)  # asked again, not replayed
        assert len(fake_llm.records) == 4


def test_used_answers_are_cached_and_replayed_follow_ups_included(fake_llm: FakeLLM, settings: LLMSettings,
                                                                  tmp_path: Path) -> None:
    fake_llm.script(GOLD_IDS[0], Fault("invalid_json"), Fault("hallucinate"))
    article = seed(GOLD_IDS[0])
    with Store.open(tmp_path / "store.sqlite") as store, using_cache(ResponseCache(store)) as cache:
        first = extract_one(settings, article)
        assert len(fake_llm.records) == 3 and cache is not None
        assert len(cache) == 2  # the answer with a hallucinated quote (its other facts were used) and the re-ask's
        second = extract_one(settings, article)
    assert len(fake_llm.records) == 4  # only the request whose answer was unreadable is asked again
    assert_gold(article, second)
    assert sorted(m.model_dump_json() for m in first.metrics) == sorted(m.model_dump_json() for m in second.metrics)


# --- one budget per article ---

def test_every_fault_at_once_costs_at_most_12_requests_an_article(llm_env: FakeLLM, tmp_path: Path) -> None:
    for article_id in GOLD_IDS:
        llm_env.script(article_id, status(429, Retry_After="0"), status(429), status(500), Fault("invalid_json"),
                       Fault("drop"), Fault("hallucinate"))
    out = tmp_path / "out"
    assert run(out) == 0

    for article_id in GOLD_IDS:
        requests = llm_env.requests_for(article_id)
        assert len(requests) <= 12, (article_id, [r.fault for r in requests])
        assert sheet(out, article_id).provenance.usage.requests == len(requests)
        assert facts_of(sheet(out, article_id)) == gold_of(article_id)


def test_a_cut_off_first_answer_to_every_prompt_costs_at_most_4_requests(llm_env: FakeLLM, tmp_path: Path) -> None:
    for article_id in GOLD_IDS:
        llm_env.script(article_id, Fault("truncated"), Fault("truncated"))  # the continuation is cut off too
    out = tmp_path / "out"
    assert run(out) == 0

    for article_id in GOLD_IDS:
        assert len(llm_env.requests_for(article_id)) <= 4
        assert facts_of(sheet(out, article_id)) == gold_of(article_id)
    assert overall_f1(out) >= 0.99


def test_a_spent_request_budget_fails_the_article_with_the_figures(fake_llm: FakeLLM, settings: LLMSettings) -> None:
    fake_llm.fail_always(GOLD_IDS[0], status(500))
    with pytest.raises(BackendError, match=r"request budget of 3 is spent.*\[3 requests, "):
        extract_one(settings.model_copy(update={"request_budget": 3, "retries": 10}), seed(GOLD_IDS[0]))
    assert len(fake_llm.records) == 3


def test_the_article_deadline_fails_the_article_with_the_figures(fake_llm: FakeLLM, settings: LLMSettings) -> None:
    fake_llm.fail_always(GOLD_IDS[0], Fault("slow", delay=1.0))
    with pytest.raises(BackendError, match=r"longer than --article-timeout 0.5 s.*requests"):
        extract_one(settings.model_copy(update={"article_timeout": 0.5}), seed(GOLD_IDS[0]))


# --- one failed chunk does not lose the others ---

def test_a_failed_chunk_keeps_the_other_chunks_facts_and_says_which_part_failed(fake_llm: FakeLLM,
                                                                                settings: LLMSettings) -> None:
    article = seed(GOLD_IDS[1])
    chunks = split_text(article.text, 500)
    assert len(chunks) > 2
    fake_llm.fail_chunk(chunks[1].text(article.text)[:200], Fault("invalid_json"))
    sheet_ = extract_one(settings.model_copy(update={"chunk_tokens": 500}), article)

    [failed] = sheet_.provenance.model_extra["failed_parts"]
    assert (failed["part"], failed["of"]) == (2, len(chunks)) and "no valid answer" in failed["reason"]
    others = [c for c in chunks if c.index != 1]
    assert sheet_.facts()  # the other parts' facts are kept, each inside a part that answered
    for _, fact in sheet_.facts():
        assert all(any(c.start <= ev.start and ev.end <= c.end for c in others) for ev in fact.evidence)
