"""Issue 4's "Done when": `factsheet run seeds --backend llm` against a local server that answers
each seed article with its hand-labelled facts. No key: OPENAI_BASE_URL only."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from llm_helpers import FAST_FLAGS, GOLD, GOLD_IDS, SEEDS, canonical_json, gold_facts, seed
from llm_server import FakeLLM, Fault, status

from extract import cli
from extract.backends.llm.chunking import split_text
from schemas import FACT_TYPES, FactSheet


def run(out: Path, *extra: str) -> int:
    return cli.main(["run", str(SEEDS), "-o", str(out), "--backend", "llm", *FAST_FLAGS, *extra])


def sheet(out: Path, article_id: str) -> FactSheet:
    return FactSheet.model_validate_json((out / f"{article_id}.json").read_text(encoding="utf-8"))


def facts_of(s: FactSheet) -> dict[str, list[str]]:
    return {name: canonical_json([f.model_dump(mode="json") for f in getattr(s, name)]) for name in FACT_TYPES}


def gold_of(article_id: str) -> dict[str, list[str]]:
    return {name: canonical_json(facts) for name, facts in gold_facts(seed(article_id)).items()}


def assert_grounded(s: FactSheet) -> None:
    text = seed(s.article.id).text
    for _, fact in s.facts():
        for ev in fact.evidence:
            assert text[ev.start : ev.end] == ev.quote


def test_run_writes_the_hand_labelled_facts_with_no_key(llm_env: FakeLLM, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run(out) == 0

    assert len(GOLD_IDS) >= 4
    for article_id in GOLD_IDS:
        written = sheet(out, article_id)
        assert facts_of(written) == gold_of(article_id), article_id
        assert written.provenance.backend == "llm"
        assert written.provenance.dropped_facts == 0
        assert written.provenance.endpoint.startswith("127.0.0.1:")
    assert {r.article_id for r in llm_env.records} >= set(GOLD_IDS)
    assert "not-needed" not in "\n".join(p.read_text(encoding="utf-8") for p in out.glob("*.json"))

    scoring = pytest.importorskip("evals.scoring")  # the eval suite's scorer, when present
    gold_mod = pytest.importorskip("evals.gold")
    runner = pytest.importorskip("evals.runner")
    gold = gold_mod.load_gold(GOLD, SEEDS)
    report = scoring.score(runner.cases(gold, gold_mod.load_predictions(out, [g.article for g in gold])))
    assert report.overall_f1 == pytest.approx(1.0)


def test_an_altered_quote_is_reasked_and_only_grounded_facts_are_written(llm_env: FakeLLM, tmp_path: Path) -> None:
    for article_id in GOLD_IDS:
        llm_env.script(article_id, Fault("hallucinate"))
    out = tmp_path / "out"
    assert run(out) == 0

    for article_id in GOLD_IDS:
        first, second = llm_env.requests_for(article_id)
        assert first.fault == "hallucinate"
        assert "quote not found in the article" in second.text() and "(invented)" in second.text()
        written = sheet(out, article_id)
        assert_grounded(written)
        assert facts_of(written) == gold_of(article_id)
        assert written.provenance.reasks == 1


@pytest.mark.parametrize("fault", [status(429, Retry_After="0.05"), status(500)], ids=["429", "500"])
def test_a_first_429_or_500_still_completes_every_article(llm_env: FakeLLM, tmp_path: Path, fault: Fault) -> None:
    for article_id in GOLD_IDS:
        llm_env.script(article_id, fault)
    out = tmp_path / "out"
    assert run(out) == 0

    for article_id in GOLD_IDS:
        assert [r.fault for r in llm_env.requests_for(article_id)] == ["status", "ok"]
        assert facts_of(sheet(out, article_id)) == gold_of(article_id)


def test_an_article_never_answered_well_fails_with_its_reason(llm_env: FakeLLM, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    bad_json, server_error = GOLD_IDS[0], GOLD_IDS[1]
    llm_env.fail_always(bad_json, Fault("invalid_json"))
    llm_env.fail_always(server_error, status(500))
    out = tmp_path / "out"
    assert run(out) != 0

    err = capsys.readouterr().err
    assert re.search(rf"FAILED .*{bad_json}.*no valid answer in 3 attempts", err)
    assert re.search(rf"FAILED .*{server_error}.*HTTP 500\) after 4 attempts", err)
    assert len(llm_env.requests_for(bad_json)) == 3  # reasks=2
    assert len(llm_env.requests_for(server_error)) == 4  # retries=3, one layer only
    assert not (out / f"{bad_json}.json").exists() and not (out / f"{server_error}.json").exists()
    for article_id in GOLD_IDS[2:]:
        assert facts_of(sheet(out, article_id)) == gold_of(article_id)


def test_token_usage_is_reported_per_article_and_in_total(llm_env: FakeLLM, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    llm_env.script(GOLD_IDS[0], status(500), Fault("hallucinate"))
    out = tmp_path / "out"
    assert run(out, "--model", "gpt-4o-mini") == 0

    for article_id in GOLD_IDS:
        records = llm_env.requests_for(article_id)
        usage = sheet(out, article_id).provenance.usage
        assert usage.requests == len(records)
        assert usage.prompt_tokens == sum(r.prompt_tokens for r in records) > 0
        assert usage.completion_tokens == sum(r.completion_tokens for r in records) > 0
    assert len(llm_env.requests_for(GOLD_IDS[0])) == 3
    prompt = sum(r.prompt_tokens for r in llm_env.records)
    completion = sum(r.completion_tokens for r in llm_env.records)
    err = capsys.readouterr().err
    assert f"{prompt} prompt, {completion} completion" in err
    assert "estimated cost" in err and "USD" in err


def test_long_articles_are_chunked_and_the_facts_merged(llm_env: FakeLLM, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run(out, "--chunk-tokens", "500") == 0

    for article_id in GOLD_IDS:
        article = seed(article_id)
        chunks = split_text(article.text, 500)
        assert len(chunks) > 1
        assert len(llm_env.requests_for(article_id)) == len(chunks)
        spans = [(c.start, c.end) for c in chunks]
        # The server answers each part with the gold facts wholly inside it: those, once each.
        expected = {name: canonical_json([f for f in facts if any(all(s <= ev["start"] and ev["end"] <= e
                                                                       for ev in f["evidence"]) for s, e in spans)])
                    for name, facts in gold_facts(article).items()}
        written = sheet(out, article_id)
        assert facts_of(written) == expected
        assert written.provenance.chunks == len(chunks)
        assert_grounded(written)


def test_a_value_its_quote_does_not_state_never_reaches_a_sheet_and_is_reasked(llm_env: FakeLLM, tmp_path: Path) -> None:
    for article_id in GOLD_IDS:
        llm_env.script(article_id, Fault("wrong_value"))
    out = tmp_path / "out"
    assert run(out) == 0
    for article_id in GOLD_IDS:
        requests = llm_env.requests_for(article_id)
        assert requests[0].fault == "wrong_value"
        if gold_of(article_id)["metrics"]:
            assert len(requests) == 2 and "not stated by its quote" in requests[1].text()
        assert facts_of(sheet(out, article_id)) == gold_of(article_id)  # the right value, after one re-ask

