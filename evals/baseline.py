"""The committed baseline of a backend's scores, and the check that guards it.

Each eval set (evals/sets.json) has its own baseline file holding the headline numbers of
`factsheet eval --backend rules --set NAME --write-baseline`. The test suite fails when
overall plain or strict F1 falls more than TOLERANCE below it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evals.scoring.report import EvalReport
from extract.errors import FactsheetError
from extract.output import write_atomic

BASELINE_PATH = Path(__file__).with_name("baseline.json")
# Small enough to catch a real regression (one metric of ~150 facts moves F1 by ~0.007),
# large enough that a label fix or a tie broken differently does not fail the suite.
TOLERANCE = 0.02


def baseline_data(report: EvalReport, set_name: str = "seeds") -> dict[str, Any]:
    """What the baseline keeps: the summary, without times or paths, so it diffs cleanly."""
    return {
        "about": f"Scores of `factsheet eval --backend rules --set {set_name} --write-baseline`; see docs/eval.md.",
        "set": set_name,
        "overall_f1": round(report.overall_f1, 4),
        "overall_strict_f1": round(report.overall_strict_f1, 4),
        **report.summary(),
    }


def write_baseline(report: EvalReport, path: Path = BASELINE_PATH, set_name: str = "seeds") -> None:
    write_atomic(path, json.dumps(baseline_data(report, set_name), indent=2, ensure_ascii=False) + "\n")


def read_baseline(path: Path = BASELINE_PATH) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        float(data["overall_f1"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise FactsheetError(f"baseline {path} is missing or damaged ({e}): write it with "
                             "`factsheet eval --backend rules --set NAME --write-baseline`") from e
    return data


def regression(report: EvalReport, baseline: dict[str, Any], tolerance: float = TOLERANCE) -> str | None:
    """Why the report falls short of the baseline, or None when it does not."""
    falls = []
    for key, new in (("overall_f1", report.overall_f1), ("overall_strict_f1", report.overall_strict_f1)):
        if key not in baseline:  # baselines written before the strict score
            continue
        old = float(baseline[key])
        if new < old - tolerance:
            falls.append(f"{key.replace('_', ' ')} fell from {old:.4f} (baseline) to {new:.4f}, more than {tolerance} lower")
    return "; ".join(falls) or None
