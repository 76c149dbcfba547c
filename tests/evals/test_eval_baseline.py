"""The offline `rules` backend must not fall below the committed baseline (evals/baseline.json).

The new scores are printed every run; when they rise, commit them with
`factsheet eval --backend rules --write-baseline`.
"""

from __future__ import annotations

import json

import pytest
from eval_fixtures import GOLD_DIR, SEEDS_DIR

from evals.baseline import TOLERANCE, baseline_data, read_baseline, regression
from evals.gold import load_gold
from evals.runner import cases, run_backend
from evals.scoring import score
from evals.scoring.report import FACT_TYPE_NAMES, OVERALL


@pytest.fixture(scope="module")
def rules_report():
    gold = load_gold(GOLD_DIR, SEEDS_DIR)
    return score(cases(gold, run_backend("rules", [g.article for g in gold])), "rules")


def test_rules_backend_does_not_fall_below_the_baseline(rules_report, capsys):
    baseline = read_baseline()
    old = float(baseline["overall_f1"])
    new = rules_report.overall_f1
    with capsys.disabled():
        parts = ", ".join(f"{k} {rules_report.micro[k].f1:.4f}" for k in (*FACT_TYPE_NAMES, OVERALL))
        print(f"\n[eval baseline] rules F1 now: {parts} (baseline overall {old:.4f})")
        if new > old + 1e-9:
            print("[eval baseline] scores rose: commit them with `factsheet eval --backend rules --write-baseline`")
    assert regression(rules_report, baseline) is None, (
        f"{regression(rules_report, baseline)} (tolerance {TOLERANCE}); new scores:\n"
        + json.dumps(baseline_data(rules_report), indent=2))


def test_regression_check_allows_the_tolerance_and_no_more(rules_report):
    f1 = rules_report.overall_f1
    assert regression(rules_report, {"overall_f1": f1 + TOLERANCE - 1e-6}) is None
    assert regression(rules_report, {"overall_f1": f1 + TOLERANCE + 1e-3}) is not None
