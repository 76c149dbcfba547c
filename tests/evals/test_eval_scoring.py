"""The scorer on a synthetic article: self-agreement, and each change moves exactly its numbers."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest
from eval_fixtures import TEXT, case

from evals.scoring import OVERALL, Case, EvalReport, score
from evals.scoring.report import FACT_TYPE_NAMES

TYPES = FACT_TYPE_NAMES


def run(pred: dict[str, Any] | None, error: str | None = None) -> EvalReport:
    return score([case(pred, error=error)])


def headline(report: EvalReport) -> dict[str, Any]:
    """Every number of the report that a change could move, flattened."""
    out: dict[str, Any] = {}
    for key, c in report.micro.items():
        out.update({f"{key}.P": c.precision, f"{key}.R": c.recall, f"{key}.F1": c.f1})
    for key, m in report.macro.items():
        out.update({f"{key}.macroF1": m.f1})
    for t, fields in report.field_accuracy.items():
        out.update({f"{t}.{f}": a.accuracy for f, a in fields.items()})
    out.update(grounding=report.grounding.value, validity=report.validity.value)
    return out


def changed(before: dict[str, Any], after: dict[str, Any]) -> set[str]:
    return {k for k in before if before[k] != pytest.approx(after[k])}


def assert_perfect(report: EvalReport) -> None:
    for key, value in headline(report).items():
        assert value == pytest.approx(1.0), key


def test_gold_against_itself_is_perfect_everywhere(gold):
    report = run(gold)
    assert_perfect(report)
    assert not any(a.missed or a.spurious for a in report.articles)
    assert all(not m.field_errors for a in report.articles for m in a.matched)


def test_gold_without_offsets_as_prediction_is_perfect(gold):
    from evals.gold import parse_prediction
    from extract.articles import Article
    from schemas import ArticleMeta

    article = Article(ArticleMeta(id="art", sha256=gold["article"]["sha256"]), TEXT)
    prediction = parse_prediction(article, gold)
    assert prediction.valid, prediction.error
    assert_perfect(score([Case("art", TEXT, case(gold).gold, prediction.sheet)]))


@pytest.mark.parametrize("fact_type", TYPES)
def test_removing_a_fact_lowers_recall_and_f1_of_its_type_only(gold, fact_type):
    pred = copy.deepcopy(gold)
    del pred[fact_type][0]
    before, after = headline(run(gold)), headline(run(pred))
    assert changed(before, after) == {f"{fact_type}.R", f"{fact_type}.F1", f"{fact_type}.macroF1",
                                      f"{OVERALL}.R", f"{OVERALL}.F1", f"{OVERALL}.macroF1"}
    assert after[f"{fact_type}.R"] < 1


@pytest.mark.parametrize("fact_type", TYPES)
def test_duplicating_a_fact_lowers_precision_and_f1_of_its_type_only(gold, fact_type):
    pred = copy.deepcopy(gold)
    pred[fact_type].append(copy.deepcopy(pred[fact_type][0]))
    report = run(pred)
    assert changed(headline(run(gold)), headline(report)) == {
        f"{fact_type}.P", f"{fact_type}.F1", f"{fact_type}.macroF1", f"{OVERALL}.P", f"{OVERALL}.F1", f"{OVERALL}.macroF1"}
    assert len(report.articles[0].spurious) == 1


@pytest.mark.parametrize(("fact_type", "field", "value"), [
    ("metrics", "unit", "USD"),
    ("metrics", "value", 3.5e10),  # a misread scale in the right sentence is a value error, not a miss
    ("metrics", "period", "2019"),
    ("metrics", "status", "target"),
    ("metrics", "location", "Xiamen"),
    ("infrastructure_projects", "status", "operational"),
    ("infrastructure_projects", "locations", ["Xiamen", "Fuzhou"]),
    ("policy_statements", "actor", "Fujian Provincial Department of Commerce"),
    ("policy_statements", "kind", "directive"),
])
def test_perturbing_a_field_lowers_that_field_accuracy_only(gold, fact_type, field, value):
    pred = copy.deepcopy(gold)
    pred[fact_type][0][field] = value
    report = run(pred)
    assert changed(headline(run(gold)), headline(report)) == {f"{fact_type}.{field}"}
    (match,) = [m for m in report.articles[0].matched if m.field_errors]
    assert [f.field for f in match.field_errors] == [field]


def test_a_list_field_scores_set_f1(gold):
    pred = copy.deepcopy(gold)
    pred["infrastructure_projects"][0]["locations"] = ["Xiamen", "Fuzhou"]
    accuracy = run(pred).field_accuracy["infrastructure_projects"]["locations"]
    assert accuracy.accuracy == pytest.approx((2 / 3 + 1 + 1) / 3)


def test_a_wrong_value_elsewhere_is_a_miss_and_a_spurious_fact(gold):
    pred = copy.deepcopy(gold)
    pred["metrics"][2].update(value=12, evidence=[{"quote": "271 China-Europe (Xiamen) trains"}], period=None, location=None)
    article = run(pred).articles[0]
    assert [u.fact.index for u in article.missed] == [2]
    assert [u.fact.index for u in article.spurious] == [2]
    assert article.missed[0].closest is not None  # the diff can show the nearest candidate


def _pairs(report: EvalReport) -> set[tuple[str, str, tuple[str, ...]]]:
    return {(m.gold.description, m.predicted.description, tuple(f.field for f in m.field_errors))
            for a in report.articles for m in a.matched}


@pytest.mark.parametrize("seed", range(5))
def test_reordering_facts_changes_nothing(gold, seed):
    pred = copy.deepcopy(gold)
    pred["metrics"].append(copy.deepcopy(pred["metrics"][0]))  # a duplicate: a tie to break
    pred["metrics"][1]["unit"] = "pp"  # a field error that must stay on the same pair
    pred["policy_statements"][1]["actor"] = "Wang Ning"  # an actor shared by two statements
    rng = random.Random(seed)
    shuffled_pred, shuffled_gold = copy.deepcopy(pred), copy.deepcopy(gold)
    for name in TYPES:
        rng.shuffle(shuffled_pred[name])
        rng.shuffle(shuffled_gold[name])
    before = score([case(pred)])
    after = score([case(shuffled_pred, gold=shuffled_gold)])
    assert headline(after) == headline(before)
    assert _pairs(after) == _pairs(before)


def test_synonym_and_noise_are_forgiven_by_canonicalisation(gold):
    pred = copy.deepcopy(gold)
    pred["metrics"][0]["location"] = "Fujian Province"
    pred["infrastructure_projects"][1]["initiatives"] = ["China-Europe freight train"]
    pred["policy_statements"][0]["actor"] = "Governor Wang Ning"
    assert_perfect(run(pred))


def test_an_invalid_output_counts_as_no_facts_and_lowers_validity(gold):
    report = score([case(gold), case(None, error="not a valid FactSheet")])
    assert report.validity.value == 0.5
    assert report.micro[OVERALL].recall == 0.5
    assert report.micro[OVERALL].precision == 1.0
    assert report.macro[OVERALL].f1 == 0.5
    assert report.grounding.value == 1.0


def test_an_ungrounded_quote_lowers_grounding_only(gold):
    pred = copy.deepcopy(gold)
    pred["metrics"][0]["evidence"].append({"quote": "a sentence the article never had", "start": 0, "end": 32})
    report = run(pred)
    assert changed(headline(run(gold)), headline(report)) == {"grounding"}
    assert report.grounding.numerator == report.grounding.denominator - 1


def test_empty_prediction_scores_zero_and_empty_gold_agrees_with_empty_prediction(gold):
    empty = {**gold, "metrics": [], "infrastructure_projects": [], "policy_statements": []}
    report = run(empty)
    assert report.micro[OVERALL].f1 == 0 and report.micro[OVERALL].precision == 0
    assert report.grounding.value is None
    both_empty = score([case(empty, gold=empty)])
    assert both_empty.micro[OVERALL].f1 == 1.0


def test_report_serialises_with_evidence_spans(gold):
    import json

    pred = copy.deepcopy(gold)
    del pred["metrics"][1]
    data = json.loads(run(pred).to_json())
    article = data["articles"][0]
    missed = article["missed"][0]["fact"]
    assert missed["fact_type"] == "metrics" and missed["evidence"][0]["found"] is True
    start, end = missed["evidence"][0]["start"], missed["evidence"][0]["end"]
    assert TEXT[start:end] == missed["evidence"][0]["quote"]
    assert {"gold", "predicted", "similarity", "fields"} <= set(article["matched"][0])
    assert data["summary"]["micro"]["overall"]["recall"] < 1


def test_an_unmatched_fact_names_its_closest_counterpart_and_whether_it_was_taken(gold):
    pred = copy.deepcopy(gold)
    # Two predictions of the first statement's passage: one pairs, the other is spurious
    # and its closest gold fact is the one already taken.
    pred["policy_statements"].append(copy.deepcopy(pred["policy_statements"][0]))
    (spurious,) = run(pred).articles[0].spurious
    assert spurious.closest is not None and spurious.closest.index == 0
    assert spurious.closest_is_paired and spurious.closest_similarity > 0.5
