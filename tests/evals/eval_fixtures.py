"""Shared data for the eval tests: a small synthetic labelled article, and where the real gold files are.

A uniquely named module (not conftest) so that test modules can import it unambiguously.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evals.scoring import Case
from extract.align import align
from extract.articles import sha256_text
from schemas import FactSheet

REPO = Path(__file__).resolve().parents[2]
GOLD_DIR = REPO / "evals" / "gold"
SEEDS_DIR = REPO / "seeds"

TEXT = (
    "Fuzhou, January 28 (Reporter Li) Trade between Fujian and Belt and Road countries reached 350 billion yuan "
    "last year, an increase of 7.2%. There were 70 Silk Road Shipping routes and 271 China-Europe (Xiamen) trains. "
    "Governor Wang Ning said that Fujian will build the Xiamen Port into a transit hub. "
    "Delegate Chen Shanming suggested that Mawei Port should be connected to the China-Europe freight trains. "
    "The Wuyishan Land Port will begin regular service in March."
)


def ev(quote: str) -> dict[str, Any]:
    assert quote in TEXT, quote
    return {"quote": quote}


def gold_data() -> dict[str, Any]:
    """A complete gold sheet for TEXT, written as a labeller writes one (quotes without offsets)."""
    return {
        "article": {"id": "art", "published": "2021-01-28", "sha256": sha256_text(TEXT)},
        "metrics": [
            {"subject": "trade between Fujian and Belt and Road countries", "value": 3.5e11, "unit": "CNY",
             "kind": "amount", "period": "2020", "location": "Fujian",
             "evidence": [ev("Trade between Fujian and Belt and Road countries reached 350 billion yuan last year")]},
            {"subject": "growth of trade between Fujian and Belt and Road countries", "value": 7.2, "unit": "%",
             "kind": "growth", "period": "2020", "location": "Fujian", "evidence": [ev("an increase of 7.2%")]},
            {"subject": "Silk Road Shipping routes", "value": 70, "unit": "routes", "kind": "count", "period": "2020",
             "location": "Fujian", "evidence": [ev("There were 70 Silk Road Shipping routes")]},
            {"subject": "China-Europe (Xiamen) train trips", "value": 271, "unit": "trains", "kind": "count",
             "period": "2020", "location": "Xiamen", "evidence": [ev("271 China-Europe (Xiamen) trains")]},
        ],
        "infrastructure_projects": [
            {"name": "Xiamen Port", "kind": "port", "status": "planned", "locations": ["Xiamen"],
             "evidence": [ev("Fujian will build the Xiamen Port into a transit hub")]},
            {"name": "Mawei Port", "kind": "port", "status": "proposed", "locations": ["Fuzhou"],
             "initiatives": ["China-Europe Railway Express"],
             "evidence": [ev("Mawei Port should be connected to the China-Europe freight trains")]},
            {"name": "Wuyishan Land Port", "kind": "land_port", "status": "planned", "timeline": "regular service from March",
             "evidence": [ev("The Wuyishan Land Port will begin regular service in March.")]},
        ],
        "policy_statements": [
            {"actor": "Wang Ning", "actor_role": "Governor", "jurisdiction": "Fujian", "kind": "plan",
             "summary": "Fujian will build Xiamen Port into a transit hub.",
             "evidence": [ev("Governor Wang Ning said that Fujian will build the Xiamen Port into a transit hub.")]},
            {"actor": "Chen Shanming", "actor_role": "Delegate", "jurisdiction": "Fujian", "kind": "proposal",
             "summary": "Mawei Port should be connected to the China-Europe Railway Express.",
             "initiatives": ["China-Europe Railway Express"],
             "evidence": [ev("Delegate Chen Shanming suggested that Mawei Port should be connected to the "
                             "China-Europe freight trains.")]},
        ],
        "provenance": {"backend": "hand-label"},
    }


def with_offsets(data: dict[str, Any]) -> dict[str, Any]:
    """The same sheet JSON with start/end filled in (as a backend's output has them)."""
    data = json.loads(json.dumps(data))
    for name in ("metrics", "infrastructure_projects", "policy_statements"):
        for fact in data[name]:
            for item in fact["evidence"]:
                span = align(TEXT, item["quote"])
                if span is not None:  # an unfound quote keeps the offsets it was given
                    item.update(start=span.start, end=span.end)
    return data


def sheet(data: dict[str, Any]) -> FactSheet:
    return FactSheet.model_validate(with_offsets(data))


def case(pred: dict[str, Any] | None, gold: dict[str, Any] | None = None, error: str | None = None) -> Case:
    """A scoring case for TEXT: the gold sheet against `pred` (None: an invalid output)."""
    return Case("art", TEXT, sheet(gold or gold_data()), sheet(pred) if pred is not None else None, error)
