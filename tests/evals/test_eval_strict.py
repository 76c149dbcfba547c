"""Strict F1: a matched pair counts only when its key fields are right; every schema field is scored."""

from __future__ import annotations

import copy

import pytest
from eval_fixtures import case

from evals.scoring import OVERALL, score
from evals.scoring.config import STRICT_FIELDS
from evals.scoring.fields import FIELDS
from evals.table import render_table
from schemas import InfrastructureProject, Metric, PolicyStatement


def test_gold_against_itself_is_strictly_perfect(gold):
    report = score([case(gold)])
    for key, counts in report.strict.items():
        assert counts.f1 == pytest.approx(1.0), key
    assert report.overall_strict_f1 == pytest.approx(1.0)


@pytest.mark.parametrize(("fact_type", "field", "value"), [
    ("metrics", "period", "2019"),
    ("metrics", "status", "target"),
    ("metrics", "unit", "USD"),
    ("infrastructure_projects", "kind", "railway"),
    ("infrastructure_projects", "status", "operational"),
    ("policy_statements", "kind", "directive"),
])
def test_a_wrong_key_field_counts_for_plain_f1_but_not_for_strict(gold, fact_type, field, value):
    pred = copy.deepcopy(gold)
    pred[fact_type][0][field] = value
    report = score([case(pred)])
    plain, strict = report.micro[fact_type], report.strict[fact_type]
    assert plain.matched == len(gold[fact_type])  # still paired
    assert strict.matched == plain.matched - 1
    assert strict.f1 < plain.f1
    assert report.strict[OVERALL].matched == report.micro[OVERALL].matched - 1


@pytest.mark.parametrize(("fact_type", "field", "value"), [
    ("metrics", "location", "Xiamen"),
    ("metrics", "subject", "something else entirely"),
    ("policy_statements", "venue", "a press conference"),
])
def test_a_wrong_non_key_field_keeps_the_strict_match(gold, fact_type, field, value):
    pred = copy.deepcopy(gold)
    pred[fact_type][0][field] = value
    report = score([case(pred)])
    assert report.strict[fact_type].matched == report.micro[fact_type].matched


@pytest.mark.parametrize(("fact_type", "model"), [
    ("metrics", Metric), ("infrastructure_projects", InfrastructureProject), ("policy_statements", PolicyStatement)])
def test_every_field_of_the_schema_has_an_accuracy_and_key_fields_are_scored(fact_type, model):
    assert set(FIELDS[fact_type]) == set(model.model_fields) - {"evidence"}
    assert set(STRICT_FIELDS[fact_type]) <= set(FIELDS[fact_type])


def test_strict_scores_are_in_the_table_the_json_and_the_html(gold):
    from evals.html_report import render_eval_html

    pred = copy.deepcopy(gold)
    pred["metrics"][0]["period"] = "2019"
    report = score([case(pred)], "x")
    data = report.to_dict()
    assert data["summary"]["strict"]["metrics"]["matched"] == report.micro["metrics"].matched - 1
    assert "strict-F1" in render_table(report)
    assert f"{report.strict[OVERALL].f1:.3f}" in render_table(report)
    assert "strict F1" in render_eval_html(report)
