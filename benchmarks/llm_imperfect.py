"""What an imperfect model costs: request and answer characters against a perfect one, and F1.

The local scripted server (tests/extract/backends/llm/llm_server.py) answers the seeds'
hand-labelled facts; the imperfect one gives each fact, with probability 0.15, one of the
faults of issue #9 and fences (TOOLS) or <think>-wraps (JSON_SCHEMA) every answer. A third
row adds a fault code must not repair (a quote with one word replaced), so that what a
re-ask of the rejected facts alone costs is measured too. F1 is
computed against the perfect run's sheets (which equal the hand labels), facts compared
whole. Run: .venv/bin/python benchmarks/llm_imperfect.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "extract" / "backends" / "llm"))

from llm_helpers import FAST, GOLD_IDS, extract_one, gold_responder, seed  # noqa: E402
from llm_server import FACT_FAULTS, FakeLLM, Imperfect, start  # noqa: E402

from extract.backends.llm.settings import LLMSettings  # noqa: E402
from extract.pipeline import finish_sheet  # noqa: E402
from schemas import FACT_TYPES  # noqa: E402


def run(mode: str, imperfect: Imperfect | None) -> tuple[int, int, set[str], int]:
    fake = FakeLLM(gold_responder)
    fake.imperfect = imperfect
    server, thread = start(fake)
    facts: set[str] = set()
    try:
        settings = LLMSettings(base_url=fake.url, mode=mode, **FAST)
        for article_id in GOLD_IDS:
            article = seed(article_id)
            sheet = finish_sheet(article, extract_one(settings, article))
            facts |= {f"{article_id}/{name}/" + json.dumps(f.model_dump(mode="json"), sort_keys=True)
                      for name in FACT_TYPES for f in getattr(sheet, name)}
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    request_chars = sum(len(json.dumps(r.body)) for r in fake.records)
    answer_chars = sum(r.answer_chars for r in fake.records)
    return request_chars, answer_chars, facts, len(fake.records)


def main() -> None:
    rows = (("TOOLS", "fence", FACT_FAULTS), ("JSON_SCHEMA", "think", FACT_FAULTS),
            ("TOOLS", "fence", (*FACT_FAULTS, "reworded")))
    for mode, habit, faults in rows:
        req0, ans0, perfect, n0 = run(mode, None)
        imperfect = Imperfect(rate=0.15, seed=1, habit=habit, faults=faults)
        req1, ans1, got, n1 = run(mode, imperfect)
        tp = len(perfect & got)
        f1 = 2 * tp / (len(perfect) + len(got)) if perfect or got else 1.0
        label = mode + (" +reworded" if "reworded" in faults else "")
        print(f"{label:21s} faults {sum(imperfect.counts.values()):3d}; requests {n0} -> {n1}; request chars "
              f"x{req1 / req0:.2f} (limit 2.2); answer chars x{ans1 / ans0:.2f} (limit 1.4); F1 vs perfect {f1:.3f} "
              "(limit 0.99)")


if __name__ == "__main__":
    main()
