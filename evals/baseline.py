"""The committed baseline of a backend's scores, and the check that guards it.

evals/baseline.json holds the headline numbers of `factsheet eval --backend rules
--write-baseline`. The test suite fails when overall F1 falls more than TOLERANCE below it.
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


def baseline_data(report: EvalReport) -> dict[str, Any]:
    """What the baseline keeps: the summary, without times or paths, so it diffs cleanly."""
    return {
        "about": "Scores of `factsheet eval --backend rules --write-baseline` on the seeds; see docs/eval.md.",
        "overall_f1": round(report.overall_f1, 4),
        **report.summary(),
    }


def write_baseline(report: EvalReport, path: Path = BASELINE_PATH) -> None:
    write_atomic(path, json.dumps(baseline_data(report), indent=2, ensure_ascii=False) + "\n")


def read_baseline(path: Path = BASELINE_PATH) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        float(data["overall_f1"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise FactsheetError(f"baseline {path} is missing or damaged ({e}): write it with "
                             "`factsheet eval --backend rules --write-baseline`") from e
    return data


def regression(report: EvalReport, baseline: dict[str, Any], tolerance: float = TOLERANCE) -> str | None:
    """Why the report falls short of the baseline, or None when it does not."""
    old, new = float(baseline["overall_f1"]), report.overall_f1
    if new < old - tolerance:
        return f"overall F1 fell from {old:.4f} (baseline) to {new:.4f}, more than {tolerance} lower"
    return None
