"""Transport faults and bad answers, injected by the local server, through the real client stack."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from llm_helpers import GOLD_IDS, canonical_json, extract_one, gold_facts, gold_payload, seed
from llm_server import FakeLLM, Fault, hallucinate, status

from extract.articles import Article
from extract.backends.llm.backend import LLMBackend
from extract.backends.llm.ratelimit import RateLimiter
from extract.backends.llm.settings import LLMSettings
from extract.errors import BackendError
from extract.pipeline import finish_sheet
from schemas import FACT_TYPES, FactSheet

ARTICLE_ID = GOLD_IDS[1]


def fact_json(sheet: FactSheet) -> dict[str, list[str]]:
    return {name: canonical_json([f.model_dump(mode="json") for f in getattr(sheet, name)]) for name in FACT_TYPES}


def assert_gold(article: Article, sheet: FactSheet) -> None:
    expected = gold_facts(article)
    assert fact_json(finish_sheet(article, sheet)) == {name: canonical_json(expected[name]) for name in FACT_TYPES}


def test_429_waits_as_long_as_retry_after_asks(fake_llm: FakeLLM, settings: LLMSettings) -> None:
    fake_llm.script(ARTICLE_ID, status(429, Retry_After="0.4"))
    article = seed(ARTICLE_ID)
    sheet = extract_one(settings, article)

    assert_gold(article, sheet)
    first, second = fake_llm.records
    assert second.at - first.at >= 0.39  # backoff alone would be about 0.01 s
    assert sheet.provenance.usage.requests == 2


@pytest.mark.parametrize("fault", [status(500), status(503), Fault("drop")], ids=["500", "503", "dropped"])
def test_a_transient_fault_is_retried_and_the_article_completes(fake_llm: FakeLLM, settings: LLMSettings,
                                                                 fault: Fault) -> None:
    fake_llm.script(ARTICLE_ID, fault)
    article = seed(ARTICLE_ID)
    sheet = extract_one(settings, article)

    assert_gold(article, sheet)
    assert [r.fault for r in fake_llm.records] == [fault.kind, "ok"]


def test_a_slow_answer_times_out_and_is_retried(fake_llm: FakeLLM, settings: LLMSettings) -> None:
    fake_llm.script(ARTICLE_ID, Fault("slow", delay=1.5))
    article = seed(ARTICLE_ID)
    started = time.monotonic()
    sheet = extract_one(settings.model_copy(update={"timeout": 0.3}), article)

    assert_gold(article, sheet)
    assert len(fake_llm.records) == 2
    assert time.monotonic() - started < 1.5  # did not wait for the slow answer


def test_persistent_server_errors_fail_the_article_after_bounded_attempts(fake_llm: FakeLLM,
                                                                           settings: LLMSettings) -> None:
    fake_llm.fail_always(ARTICLE_ID, status(500))
    with pytest.raises(BackendError, match=r"HTTP 500\) after 4 attempts") as info:
        extract_one(settings, seed(ARTICLE_ID))

    # retries=3: four requests, not multiplied by the client's own retries or instructor's.
    assert len(fake_llm.records) == 4
    assert "4 requests" in str(info.value)


def test_retry_after_beyond_max_wait_fails_at_once(fake_llm: FakeLLM, settings: LLMSettings) -> None:
    fake_llm.fail_always(ARTICLE_ID, status(429, Retry_After="30"))
    with pytest.raises(BackendError, match="asked to wait 30 s, more than --max-wait"):
        extract_one(settings, seed(ARTICLE_ID))
    assert len(fake_llm.records) == 1


def test_invalid_json_is_reasked(fake_llm: FakeLLM, settings: LLMSettings) -> None:
    fake_llm.script(ARTICLE_ID, Fault("invalid_json"))
    article = seed(ARTICLE_ID)
    sheet = extract_one(settings, article)

    assert_gold(article, sheet)
    assert len(fake_llm.records) == 2
    assert "json" in fake_llm.records[1].text().lower().split("article text:")[-1]
    assert sheet.provenance.reasks == 1


def test_answers_never_valid_fail_the_article_with_the_reason(fake_llm: FakeLLM, settings: LLMSettings) -> None:
    fake_llm.fail_always(ARTICLE_ID, Fault("invalid_json"))
    with pytest.raises(BackendError, match=r"no valid answer in 3 attempts: .*[Jj][Ss][Oo][Nn]"):
        extract_one(settings, seed(ARTICLE_ID))
    assert len(fake_llm.records) == 3  # reasks=2


def test_a_hallucinated_quote_is_reasked_with_the_quote_named(fake_llm: FakeLLM, settings: LLMSettings) -> None:
    fake_llm.script(ARTICLE_ID, Fault("hallucinate"))
    article = seed(ARTICLE_ID)
    sheet = extract_one(settings, article)

    assert_gold(article, sheet)
    assert len(fake_llm.records) == 2
    reask = fake_llm.records[1].messages[2:]
    assert any("quote not found in the article" in str(m.get("content")) and "(invented)" in str(m.get("content"))
               for m in reask)
    assert sheet.provenance.dropped_facts == 0
    note = str(fake_llm.records[1].messages[-1]["content"])
    # Only the rejected fact goes back, with the article sentence its quote came closest to; not the whole answer.
    altered = hallucinate(gold_payload(ARTICLE_ID))["metrics"][0]["evidence"][0]["quote"]
    original = gold_payload(ARTICLE_ID)["metrics"][0]["evidence"][0]["quote"]
    assert note.count("\n- ") == 1 and json.dumps(altered)[1:-1] in note
    assert json.dumps(" ".join(original.split()))[1:-1] in note.split("nearest sentence in the article: ")[1]
    assert fake_llm.records[1].answer_chars < fake_llm.records[0].answer_chars / 5  # the answer: that fact alone


def test_a_quote_never_fixed_drops_only_that_fact_and_counts_it(fake_llm: FakeLLM, settings: LLMSettings) -> None:
    fake_llm.fail_always(ARTICLE_ID, Fault("hallucinate"))
    article = seed(ARTICLE_ID)
    sheet = extract_one(settings, article)

    assert len(fake_llm.records) == 3  # bounded: reasks=2
    assert sheet.provenance.dropped_facts == 1
    expected = gold_facts(article)
    assert len(sheet.metrics) == len(expected["metrics"]) - 1  # hallucinate() alters the first metric
    finished = finish_sheet(article, sheet)
    assert finished.provenance.dropped_facts == 1  # nothing else failed grounding
    for _, fact in finished.facts():
        for ev in fact.evidence:
            assert article.text[ev.start : ev.end] == ev.quote


@pytest.mark.parametrize("mode", ["TOOLS", "JSON_SCHEMA", "JSON", "MD_JSON"])
def test_a_cut_off_answer_keeps_its_finished_facts_and_asks_only_for_the_rest(fake_llm: FakeLLM,
                                                                              settings: LLMSettings, mode: str) -> None:
    fake_llm.script(ARTICLE_ID, Fault("truncated"))
    article = seed(ARTICLE_ID)
    sheet = extract_one(settings.model_copy(update={"mode": mode}), article)

    assert_gold(article, sheet)
    cut, rest = fake_llm.records
    assert "cut off at the output limit" in rest.text() and rest.answer_chars < cut.answer_chars * 2
    assert sheet.provenance.model_extra["continuations"] == 1


def test_usage_adds_up_every_request_as_the_server_reported_it(fake_llm: FakeLLM, settings: LLMSettings) -> None:
    fake_llm.script(ARTICLE_ID, status(500), Fault("hallucinate"))
    sheet = extract_one(settings, seed(ARTICLE_ID))

    usage = sheet.provenance.usage
    assert usage.requests == 3
    assert usage.prompt_tokens == sum(r.prompt_tokens for r in fake_llm.records) > 0
    assert usage.completion_tokens == sum(r.completion_tokens for r in fake_llm.records) > 0


def test_the_api_key_never_shows(fake_llm: FakeLLM, settings: LLMSettings) -> None:
    secret = "sk-test-secret-0123456789"
    keyed = LLMSettings(**{**settings.model_dump(exclude={"api_key"}), "api_key": secret})
    fake_llm.fail_always(ARTICLE_ID, status(401))
    backend = LLMBackend(keyed)
    with pytest.raises(BackendError) as info:
        extract_one(keyed, seed(ARTICLE_ID))

    assert "refused the API key (HTTP 401)" in str(info.value)
    assert len(fake_llm.records) == 1  # 401 is not retried
    for shown in (str(info.value), repr(keyed), repr(backend), str(backend.fingerprint()), keyed.model_dump_json()):
        assert secret not in shown


def _articles(n: int) -> list[Article]:
    base = seed(ARTICLE_ID)
    return [Article(meta=base.meta.model_copy(update={"id": f"copy-{i}"}), text=base.text) for i in range(n)]


def _extract_many(settings: LLMSettings, articles: list[Article], warm_up: bool = False) -> float:
    """Seconds the articles took together, after an optional warm-up request."""

    async def go() -> float:
        backend = LLMBackend(settings)
        try:
            if warm_up:  # the first call imports modules and connects
                await backend.extract(articles[0])
            started = time.monotonic()
            await asyncio.gather(*(backend.extract(a) for a in articles))
            return time.monotonic() - started
        finally:
            await backend.aclose()

    return asyncio.run(go())


def test_requests_in_flight_stay_within_concurrency(fake_llm: FakeLLM, settings: LLMSettings) -> None:
    fake_llm.script("*", *[Fault("slow", delay=0.1)] * 6)
    _extract_many(settings.model_copy(update={"concurrency": 2}), _articles(6))

    assert len(fake_llm.records) == 6
    assert fake_llm.max_in_flight == 2


def test_requests_per_minute_spaces_requests(fake_llm: FakeLLM, settings: LLMSettings) -> None:
    elapsed = _extract_many(settings.model_copy(update={"concurrency": 5, "requests_per_minute": 600}), _articles(5),
                            warm_up=True)

    assert len(fake_llm.records) == 6
    # 600 a minute: one request start per 0.1 s; the last of the five starts 0.4 s after the first.
    assert elapsed >= 0.4


def test_rate_limiter_spaces_acquisitions() -> None:
    async def go() -> list[float]:
        limiter, times = RateLimiter(1200), []
        loop = asyncio.get_running_loop()

        async def one() -> None:
            await limiter.acquire()
            times.append(loop.time())

        await asyncio.gather(*(one() for _ in range(4)))
        return times

    times = asyncio.run(go())
    # Slots are 0.05 s apart from the first; a late wake-up does not push the later slots.
    assert all(t - times[0] >= 0.05 * i - 0.002 for i, t in enumerate(times))


@pytest.mark.parametrize("mode", ["TOOLS", "JSON_SCHEMA", "JSON", "MD_JSON"])
@pytest.mark.parametrize("habit", ["fence", "think"])
def test_fenced_or_thinking_answers_parse_in_every_mode_without_a_re_ask(fake_llm: FakeLLM, settings: LLMSettings,
                                                                           mode: str, habit: str) -> None:
    fake_llm.fail_always(ARTICLE_ID, Fault(habit))  # the habit is kept on every attempt
    article = seed(ARTICLE_ID)
    sheet = extract_one(settings.model_copy(update={"mode": mode}), article)

    assert_gold(article, sheet)
    assert len(fake_llm.records) == 1
    assert sheet.provenance.model_extra["cleaned_answers"] == 1


def test_a_metric_whose_quote_does_not_state_its_value_is_re_asked_and_the_right_value_kept(
        fake_llm: FakeLLM, settings: LLMSettings) -> None:
    fake_llm.script(ARTICLE_ID, Fault("wrong_value"))
    article = seed(ARTICLE_ID)
    sheet = extract_one(settings, article)

    assert_gold(article, sheet)
    assert len(fake_llm.records) == 2
    assert "is not stated by its quote" in fake_llm.records[1].text()


def test_a_metric_whose_value_is_never_stated_is_dropped_not_written(fake_llm: FakeLLM, settings: LLMSettings) -> None:
    fake_llm.fail_always(ARTICLE_ID, Fault("wrong_value"))
    article = seed(ARTICLE_ID)
    sheet = extract_one(settings, article)

    gold = gold_facts(article)["metrics"]
    assert len(sheet.metrics) == len(gold) - 1 and sheet.provenance.dropped_facts == 1
    assert len(fake_llm.records) == settings.reasks + 1


def test_every_request_starts_with_the_same_prefix_and_cached_tokens_are_recorded(fake_llm: FakeLLM,
                                                                                  settings: LLMSettings) -> None:
    sheets = [extract_one(settings, seed(article_id)) for article_id in GOLD_IDS[:2]]
    first, second = (r.body["messages"] for r in fake_llm.records)
    assert first[0] == second[0] and "Article id" not in str(first)
    assert all(sheet.provenance.model_extra["cached_tokens"] > 0 for sheet in sheets)


def test_answers_always_cut_off_before_a_fact_fail_the_chunk_in_two_requests(fake_llm: FakeLLM,
                                                                            settings: LLMSettings) -> None:
    fake_llm.fail_always(ARTICLE_ID, Fault("cut_early"))
    with pytest.raises(BackendError, match=r"cut off at its output limit .* raise --max-tokens"):
        extract_one(settings, seed(ARTICLE_ID))
    assert len(fake_llm.records) == 2  # one continuation to see it makes no progress; no halving


def test_answers_always_cut_off_but_progressing_are_continued_within_the_budget(fake_llm: FakeLLM,
                                                                               settings: LLMSettings) -> None:
    fake_llm.fail_always(ARTICLE_ID, Fault("truncated"))  # each continuation finishes half of what is left
    sheet = extract_one(settings, seed(ARTICLE_ID))
    assert len(fake_llm.records) <= settings.request_budget
    # What was finished is kept; the sheet says the part may be incomplete.
    assert len(sheet.facts()) >= len(gold_facts(seed(ARTICLE_ID))["metrics"])
    [part] = sheet.provenance.model_extra["failed_parts"]
    assert part["incomplete"] and "raise --max-tokens" in part["reason"]
