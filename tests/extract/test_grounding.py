"""Grounding: quotes are found in the article as whole clauses, offsets recomputed, ungrounded facts
dropped; caps on facts and field lengths."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from extract.align import FoldedText
from extract.articles import Article, sha256_text
from extract.backends.base import Backend
from extract.errors import ConfigError
from extract.grounding import (
    AnswerLimits,
    NotAClause,
    cap_facts,
    clause_problem,
    clause_span,
    count_words,
    ground_evidence,
    ground_sheet,
)
from extract.pipeline import extract_article
from schemas import ArticleMeta, Evidence, FactSheet, InfrastructureProject, Metric, PolicyStatement, Provenance

GOLD = Path(__file__).resolve().parents[2] / "evals" / "gold"
TEXT = (
    "Official data show that last year, trade between Fujian and “Belt and Road” countries increased by 7.2% "
    "year-on-year. The Wuyishan Land Port opened. Trade increased by 7.2% again."
)


def ev(quote: str, start: int = 0) -> Evidence:
    return Evidence(quote=quote, start=start, end=start + len(quote))


def metric(*quotes: str, start: int = 0) -> Metric:
    return Metric(subject="trade", value=7.2, unit="%", kind="growth", evidence=[ev(q, start) for q in quotes])


def sheet(**facts) -> FactSheet:
    facts.setdefault("provenance", Provenance(backend="test"))
    return FactSheet(article=ArticleMeta(id="a", sha256="0" * 64), **facts)


def assert_grounded(text: str, s: FactSheet) -> None:
    for _, fact in s.facts():
        for e in fact.evidence:
            assert text[e.start : e.end] == e.quote


def test_offsets_from_a_model_are_recomputed():
    s = sheet(metrics=[metric('trade between Fujian and "Belt and Road" countries increased by 7.2%', start=999)])
    result = ground_sheet(TEXT, s)
    assert result.dropped == []
    (e,) = result.sheet.metrics[0].evidence
    assert e.quote == "trade between Fujian and “Belt and Road” countries increased by 7.2%"  # as it stands in the text
    assert (e.start, e.end) == (TEXT.index("trade between"), TEXT.index("trade between") + len(e.quote))
    assert_grounded(TEXT, result.sheet)


def test_ungrounded_facts_are_dropped_and_counted():
    s = sheet(
        metrics=[metric("increased by 7.2%"), metric("increased by 8.5%")],
        infrastructure_projects=[InfrastructureProject(
            name="Wuyishan Land Port", kind="land_port",
            evidence=[ev("The Wuyishan Land Port opened."), ev("a port nobody built")])],
        policy_statements=[PolicyStatement(actor="Yin Li", kind="directive", summary="S.", evidence=[ev("Yin Li said so")])],
        provenance=Provenance(backend="test", dropped_facts=2),
    )
    result = ground_sheet(TEXT, s)
    assert len(result.sheet.metrics) == 1 and result.sheet.infrastructure_projects == [] and result.sheet.policy_statements == []
    assert len(result.dropped) == 3
    assert result.dropped[0].startswith("metrics: quote not found") and "8.5%" in result.dropped[0]
    assert any("a port nobody built" in d for d in result.dropped)  # one bad quote drops the whole fact
    assert result.sheet.provenance.dropped_facts == 2 + 3  # added to what the backend dropped already
    assert_grounded(TEXT, result.sheet)


def test_nearest_occurrence_to_the_claimed_offset_is_kept():
    second = TEXT.rindex("increased by 7.2%")
    result = ground_sheet(TEXT, sheet(metrics=[metric("increased by 7.2%", start=second - 3), metric("increased by 7.2%")]))
    assert [m.evidence[0].start for m in result.sheet.metrics] == [second, TEXT.index("increased by 7.2%")]


def test_duplicate_evidence_collapses_to_one_span():
    result = ground_sheet(TEXT, sheet(metrics=[metric("The Wuyishan Land Port opened.", "The  Wuyishan Land Port opened.")]))
    assert len(result.sheet.metrics[0].evidence) == 1


def test_ground_evidence_returns_none_for_a_hallucination():
    folded = FoldedText(TEXT)
    assert ground_evidence(folded, ev("Trade fell by 7.2%")) is None
    assert ground_evidence(folded, ev("trade increased by 7.2%")) is None  # case matters
    assert ground_evidence(folded, ev("Trade increased by 7.2%")).start == TEXT.index("Trade increased")


def test_input_sheet_is_not_modified():
    s = sheet(metrics=[metric("increased by 8.5%")])
    ground_sheet(TEXT, s)
    assert len(s.metrics) == 1 and s.provenance.dropped_facts == 0


# Evidence must be a clause: at least three words, starting and ending on word boundaries.

CLAUSES = ("The China-Europe (Xian) train ran 4,600 trips, up 7.2% year-on-year. "
           "The new Airport opened in 2020. The port opened in 2020 as well. 福建省贸易额增长7.2%。")


def one_metric(*quotes: str, start: int = 0) -> FactSheet:
    return sheet(metrics=[metric(*quotes, start=start)])


@pytest.mark.parametrize(("quote", "problem"), [
    ("7", "cuts a number in two"),  # every "7" here is the start of "7.2%"
    ("trips", "has only 1 word"),
    ("4,600 trips", "has only 2 words"),
    ("ope (Xia", "has only 2 words"),  # widened to "Europe (Xian", still two words
    ("2% year-on-year. The new", "cuts a number in two"),
    ("trips, up 7", "cuts a number in two"),
    ("ran 4,6", "cuts a number in two"),
])
def test_a_fragment_never_reaches_the_sheet(quote, problem):
    result = ground_sheet(CLAUSES, one_metric(quote), limits=AnswerLimits())
    assert result.sheet.metrics == [] and result.count == 1 and result.sheet.provenance.dropped_facts == 1
    (reason,) = result.dropped
    assert reason.startswith("metrics: evidence quote") and problem in reason
    assert "quote the whole" in reason  # tells a model how to fix it


def test_a_quote_cut_inside_a_word_is_widened_to_the_whole_word():
    result = ground_sheet(CLAUSES, one_metric("hina-Europe (Xian) train ran 4,600 trip"), limits=AnswerLimits())
    (e,) = result.sheet.metrics[0].evidence
    assert e.quote == "China-Europe (Xian) train ran 4,600 trips"
    assert CLAUSES[e.start : e.end] == e.quote and result.dropped == []


def test_an_occurrence_on_word_boundaries_is_preferred():
    result = ground_sheet(CLAUSES, one_metric("port opened in 2020"), limits=AnswerLimits())
    (e,) = result.sheet.metrics[0].evidence
    assert e.start == CLAUSES.index("The port opened") + 4  # not the tail of "Airport"


def test_a_fragment_costs_only_its_own_quote():
    result = ground_sheet(CLAUSES, one_metric("7", "The port opened in 2020 as well."), limits=AnswerLimits())
    (e,) = result.sheet.metrics[0].evidence
    assert e.quote == "The port opened in 2020 as well." and result.count == 0


def test_chinese_quotes_count_characters_as_words():
    assert count_words("福建省贸易额增长7.2%") == 9
    assert clause_problem(CLAUSES, CLAUSES.index("福建"), CLAUSES.index("福建") + 6) is None  # no spaces in Chinese
    result = ground_sheet(CLAUSES, one_metric("福建省贸易额增长7.2%"), limits=AnswerLimits())
    assert len(result.sheet.metrics) == 1


def test_clause_check_is_a_pure_function_for_the_llm_validator():
    start = CLAUSES.index("The port")
    assert clause_span(CLAUSES, start, start + 23) == (start, start + 23)
    assert clause_span(CLAUSES, start + 1, start + 23) == (start, start + 23)  # "he port..." widened
    assert clause_problem(CLAUSES, start, start + 23) is None
    assert "has only 1 word" in clause_problem(CLAUSES, start, start + 3)
    with pytest.raises(ValueError, match="cuts a number"):  # NotAClause is a ValueError: raise it in a validator
        clause_span(CLAUSES, CLAUSES.index("600"), CLAUSES.index("600") + 20)
    assert issubclass(NotAClause, ValueError)


@pytest.mark.parametrize("quote", ["7", "ope (Xia"])
def test_every_backend_goes_through_the_clause_rule(quote):
    """extract_article (the pipeline's step for every backend) grounds the backend's sheet."""

    class Fragmentary(Backend):
        name = "fragmentary"

        async def extract(self, article: Article) -> FactSheet:
            return one_metric(quote, "The China-Europe (Xian) train ran 4,600 trips, up 7.2% year-on-year.").model_copy(
                update={"infrastructure_projects": [InfrastructureProject(name="Port", kind="port",
                                                                          evidence=[ev(quote)])]})

    article = Article(meta=ArticleMeta(id="a", sha256=sha256_text(CLAUSES)), text=CLAUSES)
    done = asyncio.run(extract_article(article, Fragmentary()))
    assert [e.quote for m in done.metrics for e in m.evidence] == [
        "The China-Europe (Xian) train ran 4,600 trips, up 7.2% year-on-year."]
    assert done.infrastructure_projects == [] and done.provenance.dropped_facts == 1


def test_seed_gold_quotes_are_all_clauses(seed_texts):
    """The hand labels hold to the rule, so the rule does not move the eval."""
    for path in sorted(GOLD.glob("*.json")):
        gold = json.loads(path.read_text(encoding="utf-8"))
        text = seed_texts[gold["article"]["id"]]
        folded = FoldedText(text)
        for list_name in ("metrics", "infrastructure_projects", "policy_statements"):
            for fact in gold[list_name]:
                for evidence in fact["evidence"]:
                    span = folded.find(evidence["quote"])
                    assert span is not None
                    assert clause_problem(text, span.start, span.end) is None, (path.name, evidence["quote"])


# Caps on what one answer may hold.


def test_a_fact_with_an_overlong_field_is_dropped_and_counted():
    long_subject = metric("The port opened in 2020 as well.").model_copy(update={"subject": "x" * 2001})
    long_partner = InfrastructureProject(name="Port", kind="port", partners=["p" * 3000],
                                         evidence=[ev("The port opened in 2020 as well.")])
    s = sheet(metrics=[long_subject, metric("The port opened in 2020 as well.")], infrastructure_projects=[long_partner])
    result = ground_sheet(CLAUSES, s, limits=AnswerLimits(max_field_chars=2000))
    assert len(result.sheet.metrics) == 1 and result.sheet.infrastructure_projects == []
    assert result.count == 2 and result.sheet.provenance.dropped_facts == 2
    assert result.dropped[0] == ("metrics: subject is 2001 characters long, over the limit of 2000 "
                                 "(FACTSHEET_MAX_FIELD_CHARS)")
    assert result.dropped[1].startswith("infrastructure_projects: partners is 3000 characters long")


def test_facts_over_the_cap_are_dropped_in_turn_from_each_kind_and_counted_once():
    quote = "The port opened in 2020 as well."
    s = sheet(metrics=[metric(quote).model_copy(update={"value": float(i)}) for i in range(50)],
              policy_statements=[PolicyStatement(actor="A", kind="plan", summary=f"S{i}.", evidence=[ev(quote)])
                                 for i in range(3)])
    result = ground_sheet(CLAUSES, s, limits=AnswerLimits(max_facts=10))
    assert len(result.sheet.metrics) == 7 and len(result.sheet.policy_statements) == 3
    assert [m.value for m in result.sheet.metrics] == [0, 1, 2, 3, 4, 5, 6]  # the first ones, in order
    assert result.count == 43 and result.sheet.provenance.dropped_facts == 43
    assert result.dropped == ["43 facts over the limit of 10 an article (FACTSHEET_MAX_FACTS): the last ones of each kind"]
    assert cap_facts({"a": [1, 2], "b": [3]}, 5) == ({"a": [1, 2], "b": [3]}, 0)


def test_limits_come_from_the_environment():
    assert AnswerLimits.from_env({}) == AnswerLimits(500, 2000)
    assert AnswerLimits.from_env({"FACTSHEET_MAX_FACTS": "20", "FACTSHEET_MAX_FIELD_CHARS": "300"}) == AnswerLimits(20, 300)
    assert AnswerLimits(20, 300).fingerprint() == {"max_facts": "20", "max_field_chars": "300"}
    for bad in ("0", "-3", "many"):
        with pytest.raises(ConfigError, match="FACTSHEET_MAX_FACTS must be a whole number"):
            AnswerLimits.from_env({"FACTSHEET_MAX_FACTS": bad})


def test_ground_sheet_reads_the_limits_from_the_environment(monkeypatch):
    monkeypatch.setenv("FACTSHEET_MAX_FACTS", "1")
    quote = "The port opened in 2020 as well."
    result = ground_sheet(CLAUSES, sheet(metrics=[metric(quote), metric(quote)]))
    assert len(result.sheet.metrics) == 1 and result.count == 1
