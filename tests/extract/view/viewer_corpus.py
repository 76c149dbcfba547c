"""The viewer tests' corpus: the hand-labelled seed articles as sheets with offsets, an
injection article whose text and fields carry HTML and script, and perturbed predictions."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from extract.articles import decode, sha256_text

ROOT = Path(__file__).resolve().parents[3]
SEEDS = ROOT / "seeds"
GOLD = ROOT / "evals" / "gold"
ARTEFACTS = Path(os.environ.get("FACTSHEET_ARTEFACTS", ROOT / "tmp" / "artefacts"))
INJECTION_ID = "zz_injection"

INJECTION_TEXT = (
    "Injected <script>window.__pwned = 1; alert('script ran')</script> headline\n\n"
    "The port handled 5,000 containers <img src=x onerror=\"window.__pwned = 2; alert('img ran')\"> last year. "
    "</script><script>window.__pwned = 3</script> <!-- an open comment\n\n"
    "The city said it <b>will</b> build a new railway & more \"quoted\" 'text'.\n"
)


def _with_offsets(raw: dict[str, Any], text: str) -> dict[str, Any]:
    for list_name in ("metrics", "infrastructure_projects", "policy_statements"):
        for fact in raw.get(list_name, []):
            for evidence in fact["evidence"]:
                start = text.find(evidence["quote"])
                assert start >= 0, evidence["quote"]
                evidence["start"], evidence["end"] = start, start + len(evidence["quote"])
    return raw


def _ev(text: str, quote: str) -> dict[str, Any]:
    start = text.index(quote)
    return {"quote": quote, "start": start, "end": start + len(quote)}


def injection_sheet() -> dict[str, Any]:
    """A sheet whose fields and quotes hold markup: it must all show as text."""
    text = INJECTION_TEXT
    return {
        "article": {"id": INJECTION_ID, "title": "<script>window.__pwned = 7</script>Injected",
                    "source": "<i>x</i>", "sha256": sha256_text(text)},
        "metrics": [{
            "subject": "containers </script><script>window.__pwned = 4</script><!--",
            "value": 5000, "unit": "containers", "kind": "count",
            "location": "<img src=x onerror=\"window.__pwned = 5\">",
            "evidence": [_ev(text, "5,000 containers <img src=x onerror=\"window.__pwned = 2; alert('img ran')\">")],
        }],
        "infrastructure_projects": [{
            "name": "new railway", "kind": "railway", "status": "planned",
            "evidence": [_ev(text, "The city said it <b>will</b> build a new railway")],
        }],
        "policy_statements": [{
            "actor": "<svg onload=\"window.__pwned = 6\">", "kind": "plan",
            "summary": "The city will build a railway & \"more\" </script>.",
            "evidence": [_ev(text, "The city said it <b>will</b> build a new railway & more"),
                         _ev(text, "<script>window.__pwned = 1; alert('script ran')</script>")],
        }],
        "provenance": {"backend": "test"},
    }


def write_corpus(folder: Path) -> Path:
    """Sheets with offsets beside their texts: the five labelled seeds and the injection article."""
    folder.mkdir(parents=True, exist_ok=True)
    for gold in sorted(GOLD.glob("*.json")):
        raw = json.loads(gold.read_text(encoding="utf-8"))
        article_id = raw["article"]["id"]
        text = decode((SEEDS / f"{article_id}.txt").read_bytes())
        (folder / f"{article_id}.json").write_text(json.dumps(_with_offsets(raw, text)), encoding="utf-8")
        shutil.copy(SEEDS / f"{article_id}.txt", folder / f"{article_id}.txt")
    (folder / f"{INJECTION_ID}.txt").write_text(INJECTION_TEXT, encoding="utf-8")
    (folder / f"{INJECTION_ID}.json").write_text(json.dumps(injection_sheet()), encoding="utf-8")
    return folder


def perturb(raw: dict[str, Any], text: str) -> dict[str, Any]:
    """A prediction from a gold sheet: every fourth fact left out (missed), every fifth given
    a wrong enum (field error), and one made-up metric on the first line (spurious)."""
    pred = json.loads(json.dumps(raw))
    wrong = {"metrics": ("status", {"actual": "target"}, "actual"),
             "infrastructure_projects": ("status", {"unknown": "planned"}, "unknown"),
             "policy_statements": ("kind", {"assessment": "plan"}, "assessment")}
    for list_name, (field, swaps, default) in wrong.items():
        kept = []
        for n, fact in enumerate(pred[list_name]):
            if n % 4 == 3:
                continue
            if n % 5 == 1:
                fact[field] = swaps.get(fact[field], default)
            kept.append(fact)
        pred[list_name] = kept
    first_line = text.strip().splitlines()[0][:50]
    pred["metrics"].append({"subject": "a figure nobody stated", "value": 12345, "unit": "people", "kind": "count",
                            "evidence": [_ev(text, first_line)]})
    pred["provenance"] = {"backend": "perturbed"}
    return pred
