"""Each answer fact's schemas fact is validated once, with its final evidence, and the canonicaliser and grounding
keep that instance when they change nothing; anything changed since is validated again."""

from __future__ import annotations

import json
from typing import Any

from llm_helpers import GOLD_IDS, gold_payload, seed

from extract.align import FoldedText, folded_text
from extract.backends.llm.answer import ArticleFacts, new_context
from extract.canonical import Canonicaliser, known_valid, validated
from extract.pipeline import complete_sheet
from schemas import FACT_TYPES, Evidence, FactSheet, Metric, Provenance

TEXT = "Intro. In 2020, trade reached 100 billion yuan, up 7.2%. Governor Wang Ning said Fujian will build “Ningde Port”."
QUOTE = "In 2020, trade reached 100 billion yuan, up 7.2%."


def answer(payload: dict[str, Any], folded: FoldedText, offset: int = 0) -> ArticleFacts:
    return ArticleFacts.model_validate_json(json.dumps(payload), context=new_context(folded, offset), strict=False)


def metric(**update: Any) -> dict[str, Any]:
    return {"evidence": [{"quote": QUOTE}], "subject": "trade", "value": 1e11, "unit": "CNY", "kind": "amount",
            "period": "2020"} | update


def sheet_of(facts: dict[str, list[Any]]) -> FactSheet:
    """A sheet holding these very instances, as the pipeline passes them on (model_copy validates nothing)."""
    sheet = FactSheet(article={"id": "a1", "sha256": "0" * 64}, provenance=Provenance(backend="llm"))
    return sheet.model_copy(update=facts)


def test_to_fact_hands_over_the_instance_validated_with_its_aligned_evidence() -> None:
    folded = FoldedText(TEXT)
    parsed = answer({"metrics": [metric()]}, folded, offset=500)
    [fact] = parsed.to_facts(folded, 500)["metrics"]
    assert fact is parsed.metrics[0].to_fact(folded, 500)  # the same instance each time: no copy, no validation
    [ev] = fact.evidence
    assert (ev.quote, ev.start - 500, ev.end - 500) == (QUOTE, TEXT.index(QUOTE), TEXT.index(QUOTE) + len(QUOTE))
    assert known_valid(fact)
    # Another text or offset than the one validated against: aligned afresh, as before.
    [moved] = parsed.to_facts(folded, 0)["metrics"]
    assert moved.evidence[0].start == TEXT.index(QUOTE) and not known_valid(moved)


def test_a_fact_changed_after_validation_is_not_known_valid_and_is_validated_again() -> None:
    fact = validated(Metric, metric(evidence=[{"quote": QUOTE, "start": 7, "end": 7 + len(QUOTE)}]))
    assert known_valid(fact)
    assert not known_valid(fact.model_copy())  # a copy is another instance
    assert not known_valid(Metric.model_validate(fact.model_dump()))  # validated, but not through `validated`
    broken = fact.model_copy(update={"period": "2020-13"})  # model_copy validates nothing: no 13th month
    emptied = validated(Metric, fact.model_dump())
    emptied.evidence.clear()  # changed in place, behind validation's back
    assert not known_valid(emptied)
    shifted = validated(Metric, fact.model_dump())
    shifted.evidence[0] = Evidence(quote=QUOTE, start=8, end=8 + len(QUOTE))  # a quote replaced in place
    assert not known_valid(shifted)
    assert known_valid(fact)
    result = Canonicaliser.default().sheet(sheet_of({"metrics": [fact, broken, emptied]}))
    assert result.metrics == [fact] and result.metrics[0] is fact
    assert result.provenance.dropped_facts == 2


def test_canonicalisation_that_changes_a_name_still_validates_the_fact() -> None:
    fact = validated(Metric, metric(unit="CNY", location="xiamen city",
                                    evidence=[{"quote": QUOTE, "start": 7, "end": 7 + len(QUOTE)}]))
    [named] = Canonicaliser.default().sheet(sheet_of({"metrics": [fact]})).metrics
    assert named is not fact and named.location != fact.location
    assert named == Metric.model_validate(named.model_dump())


def test_sheets_equal_those_of_a_full_validation_of_every_fact() -> None:
    """The seeds' hand labels as a model's answers: the sheets are the same as when the canonicaliser validates
    every fact again (the behaviour before), and most facts are kept as the instances validated in the answer."""
    canonicaliser = Canonicaliser.default()
    kept_as_validated = total = 0
    for article_id in GOLD_IDS:
        article = seed(article_id)
        payload = gold_payload(article_id)
        for facts in payload.values():
            for fact in facts:
                for ev in fact["evidence"]:
                    ev.pop("start", None), ev.pop("end", None)
        folded = folded_text(article.text)
        facts = answer(payload, folded).to_facts(folded, 0)
        validated_ids = {id(f) for name in FACT_TYPES for f in facts[name]}
        sheet = FactSheet(article=article.meta, provenance=Provenance(backend="llm"), **facts)
        result, _ = complete_sheet(article, sheet, canonicaliser)
        # The old way: every fact dumped and validated again after canonicalisation.
        again = {name: [type(f).model_validate(f.model_dump()) for f in getattr(result, name)] for name in FACT_TYPES}
        assert {name: getattr(result, name) for name in FACT_TYPES} == again
        assert result.model_dump_json() == result.model_copy(update=again).model_dump_json()
        kept_as_validated += sum(id(f) in validated_ids for name in FACT_TYPES for f in getattr(result, name))
        total += sum(len(getattr(result, name)) for name in FACT_TYPES)
    assert total > 100 and kept_as_validated > total // 2


def test_grounding_keeps_the_instance_when_it_changes_no_evidence() -> None:
    from extract.grounding import ground_sheet

    ev = Evidence(quote=QUOTE, start=TEXT.index(QUOTE), end=TEXT.index(QUOTE) + len(QUOTE))
    fact = validated(Metric, metric(evidence=[ev.model_dump()]))
    off = validated(Metric, metric(evidence=[{"quote": QUOTE, "start": 0, "end": len(QUOTE)}]))  # wrong offsets
    grounded = ground_sheet(TEXT, sheet_of({"metrics": [fact, off]})).sheet.metrics
    assert grounded[0] is fact and known_valid(grounded[0])
    assert grounded[1] is not off and grounded[1].evidence == [ev] and not known_valid(grounded[1])
