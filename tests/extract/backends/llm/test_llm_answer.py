"""The answer model: grounding and SPEC rules inside validation, messages that say how to fix."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from extract.align import FoldedText
from extract.backends.llm.answer import ArticleFacts, MetricAnswer, new_context
from schemas import InfrastructureProject, Metric, PolicyStatement

TEXT = "Intro. In 2020, trade reached 100 billion yuan, up 7.2%. Governor Wang Ning said Fujian will build “Ningde Port”."


def metric(**update: Any) -> dict[str, Any]:
    return {"evidence": [{"quote": "In 2020, trade reached 100 billion yuan, up 7.2%."}], "subject": "trade",
            "value": 1e11, "unit": "CNY", "kind": "amount", "period": "2020"} | update


def validate(payload: dict[str, Any], offset: int = 0) -> tuple[ArticleFacts, dict[str, Any]]:
    context = new_context(FoldedText(TEXT), offset)
    return ArticleFacts.model_validate_json(json.dumps(payload), context=context, strict=False), context


def error_text(payload: dict[str, Any]) -> str:
    """The reasons of the facts the answer model rejected (valid facts are kept, the others recorded)."""
    _, context = validate(payload)
    assert context["rejected"], "nothing was rejected"
    return "\n".join(f"{r.list_name}: {r.reason}" for r in context["rejected"])


def test_answer_fields_are_spec_fields_with_quote_only_evidence() -> None:
    for answer, fact in ((MetricAnswer, Metric), (ArticleFacts.model_fields["infrastructure_projects"].annotation.__args__[0],
                                                   InfrastructureProject),
                         (ArticleFacts.model_fields["policy_statements"].annotation.__args__[0], PolicyStatement)):
        assert set(answer.model_fields) == set(fact.model_fields)
    schema = json.dumps(ArticleFacts.model_json_schema())
    assert '"start"' not in schema and '"end"' not in schema


def test_offsets_come_from_the_aligner_in_article_coordinates() -> None:
    quote = "Governor Wang Ning said Fujian will build \"Ningde Port\"."  # straight quotes: typography only
    payload = {"infrastructure_projects": [{"evidence": [{"quote": quote, "start": 999, "end": 0}], "name": "Ningde Port",
                                            "kind": "port", "status": "planned"}]}
    answer, context = validate(payload, offset=1000)
    [project] = answer.to_facts(context["folded"], 1000)["infrastructure_projects"]
    [ev] = project.evidence
    assert TEXT[ev.start - 1000 : ev.end - 1000] == ev.quote and "“Ningde Port”" in ev.quote


def test_a_quote_not_in_the_text_is_rejected_with_the_quote_named() -> None:
    message = error_text({"metrics": [metric(evidence=[{"quote": "Trade reached 100 billion yuan"}])]})
    assert "metrics: evidence.0.quote" in message
    assert "quote not found in the article: 'Trade reached 100 billion yuan'" in message
    assert "Copy the words exactly" in message


@pytest.mark.parametrize(("update", "fix"), [
    ({"unit": "Big_Boxes"}, "plural lowercase noun"),
    ({"period": "FY2020"}, "write a year '2020'"),
    ({"kind": "money"}, "'amount', 'count', 'growth' or 'share'"),
    ({"value": "a lot"}, "100 billion yuan is 100000000000"),
    ({"value": 1e14}, "value 1e+14 is not stated by its quote"),
    ({"kind": "share", "unit": "CNY"}, "needs unit '%'"),
    ({"evidence": []}, "evidence is empty"),
])
def test_rule_breaks_say_how_to_fix_them(update: dict[str, Any], fix: str) -> None:
    assert fix in error_text({"metrics": [metric(**update)]})


def test_every_failing_fact_is_reported_at_once_and_the_valid_ones_kept() -> None:
    answer, context = validate({"metrics": [metric(unit="Big_Boxes"), metric(), metric(period="last year")]})
    assert len(answer.metrics) == 1
    assert [(r.list_name, r.reason.split(":")[0]) for r in context["rejected"]] == [("metrics", "unit"),
                                                                                   ("metrics", "period")]
    assert context["rejected"][0].fact["unit"] == "Big_Boxes"  # as the model wrote it, for the re-ask


def test_a_quote_off_by_one_word_is_aligned_to_the_article_and_counted() -> None:
    dropped = metric(evidence=[{"quote": "In 2020, trade reached 100 billion, up 7.2%."}])  # "yuan" left out
    answer, context = validate({"metrics": [dropped]})
    assert answer.metrics[0].evidence[0].quote == "In 2020, trade reached 100 billion yuan, up 7.2%."
    assert context["repairs"]["quote_near_miss"] == 1 and not context["rejected"]


@pytest.mark.parametrize("quote", [
    "In 2020, trade reached billion yuan, up 7.2%.",  # a number lost: never repaired
    "In 2020, trade never reached 100 billion yuan, up 7.2%.",  # a negation gained
    "In 2020, overall trade reached 100 billion in yuan, up 7.2%.",  # two words
])
def test_a_quote_that_differs_by_more_than_one_safe_word_is_rejected(quote: str) -> None:
    assert "quote not found" in error_text({"metrics": [metric(evidence=[{"quote": quote}])]})


def test_an_answer_that_is_not_json_fails() -> None:
    context = new_context(FoldedText(TEXT))
    with pytest.raises(ValidationError):
        ArticleFacts.model_validate_json('{"metrics": [', context=context)


def test_what_code_can_decide_is_repaired_and_counted_not_re_asked() -> None:
    raw = metric(unit="yuan", value="100 billion", kind="Amount", status=" ACTUAL ", note="extra")
    answer, context = validate({"metrics": [raw, raw], "infrastructure_projects": None})
    [fixed] = answer.metrics
    assert (fixed.unit, fixed.value, fixed.kind.value, fixed.status.value) == ("CNY", 1e11, "amount", "actual")
    assert context["repairs"] == {"unit_word": 1, "number_as_string": 1, "enum_case": 2, "unknown_key": 1,
                                  "duplicate": 1, "null_list": 1}


def test_exact_duplicates_are_merged_whatever_their_key_order_and_near_duplicates_kept() -> None:
    raw = metric()
    reordered = dict(reversed(list(raw.items())))
    other_quote = metric(evidence=[{"quote": "In 2020, trade reached 100 billion yuan"}])
    answer, context = validate({"metrics": [raw, reordered, other_quote, metric(period="2021"), raw]})
    assert [(m.period, m.evidence[0].quote) for m in answer.metrics] == [
        ("2020", "In 2020, trade reached 100 billion yuan, up 7.2%."), ("2020", "In 2020, trade reached 100 billion yuan"),
        ("2021", "In 2020, trade reached 100 billion yuan, up 7.2%.")]
    assert context["repairs"]["duplicate"] == 2


def test_a_fact_given_again_in_a_follow_up_is_recognised_whatever_its_key_order() -> None:
    from extract.backends.llm.backend import _fact_key

    first, _ = validate({"metrics": [metric()]})
    reordered, _ = validate({"metrics": [dict(reversed(list(metric().items())))]})
    other, _ = validate({"metrics": [metric(period="2021", evidence=[{"quote": "In 2020, trade reached 100 billion yuan"}])]})
    assert _fact_key(first.metrics[0]) == _fact_key(reordered.metrics[0])
    assert _fact_key(first.metrics[0]) != _fact_key(other.metrics[0])
