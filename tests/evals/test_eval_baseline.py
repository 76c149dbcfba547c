"""The offline `rules` backend must not fall below the committed baseline of any labelled set.

Every set in evals/sets.json whose labels are present is scored against its own baseline
file (plain and strict overall F1); a set whose folder is absent is skipped. The new scores
are printed every run; when they rise, commit them with
`factsheet eval --backend rules --set NAME --write-baseline`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.baseline import TOLERANCE, baseline_data, read_baseline, regression
from evals.gold import load_gold
from evals.runner import cases, run_backend
from evals.scoring import score
from evals.scoring.report import FACT_TYPE_NAMES, OVERALL
from evals.sets import EvalSet, load_sets, present_sets

SETS = load_sets()


def _report(eval_set: EvalSet):
    gold = load_gold(eval_set.gold, eval_set.articles)
    return score(cases(gold, run_backend("rules", [g.article for g in gold])), "rules")


@pytest.fixture(scope="module", params=list(SETS))
def set_report(request):
    eval_set = SETS[request.param]
    if not eval_set.present:
        pytest.skip(f"eval set {eval_set.name}: no labels at {eval_set.gold} yet")
    return eval_set, _report(eval_set)


def test_rules_backend_does_not_fall_below_the_sets_baseline(set_report, capsys):
    eval_set, report = set_report
    assert eval_set.baseline.is_file(), (
        f"set {eval_set.name} has labels but no baseline {eval_set.baseline}: write it with "
        f"`factsheet eval --backend rules --set {eval_set.name} --write-baseline`")
    baseline = read_baseline(eval_set.baseline)
    with capsys.disabled():
        parts = ", ".join(f"{k} {report.micro[k].f1:.4f}/{report.strict[k].f1:.4f}" for k in (*FACT_TYPE_NAMES, OVERALL))
        print(f"\n[eval baseline] set {eval_set.name}: rules F1 plain/strict now: {parts} "
              f"(baseline overall {baseline['overall_f1']:.4f}/{baseline.get('overall_strict_f1', float('nan')):.4f})")
    assert "overall_strict_f1" in baseline, f"{eval_set.baseline} predates the strict score: write it again"
    assert regression(report, baseline) is None, (
        f"set {eval_set.name}: {regression(report, baseline)} (tolerance {TOLERANCE}); new scores:\n"
        + json.dumps(baseline_data(report, eval_set.name), indent=2))


def test_regression_check_allows_the_tolerance_and_no_more(set_report):
    _, report = set_report
    f1, strict = report.overall_f1, report.overall_strict_f1
    assert regression(report, {"overall_f1": f1 + TOLERANCE - 1e-6}) is None
    assert regression(report, {"overall_f1": f1 + TOLERANCE + 1e-3}) is not None
    assert regression(report, {"overall_f1": f1, "overall_strict_f1": strict + TOLERANCE - 1e-6}) is None
    assert "strict" in (regression(report, {"overall_f1": f1, "overall_strict_f1": strict + TOLERANCE + 1e-3}) or "")


def test_the_registry_names_the_seeds_the_dev_set_and_the_real_held_out_slot():
    assert {"seeds", "dev", "heldout_real"} <= set(SETS)
    assert SETS["heldout_real"].gold.parts[-3:] == ("evals", "heldout_real", "gold")
    assert SETS["heldout_real"].baseline.name == "baseline_heldout_real.json"
    assert len({s.baseline for s in SETS.values()}) == len(SETS)  # one baseline file per set
    assert {"seeds", "dev"} <= {s.name for s in present_sets()}


def test_a_set_without_labels_is_not_present(tmp_path: Path):
    assert not EvalSet("x", tmp_path / "gold", tmp_path / "articles", tmp_path / "b.json").present
