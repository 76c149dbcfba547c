"""Grounding: quotes are found in the article, offsets recomputed, ungrounded facts dropped."""

from __future__ import annotations

from extract.align import FoldedText
from extract.grounding import ground_evidence, ground_sheet
from schemas import ArticleMeta, Evidence, FactSheet, InfrastructureProject, Metric, PolicyStatement, Provenance

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
