"""Scoring: match each article's facts per type, then count, average and rate (SPEC, Scoring).

Pure functions over FactSheets and article texts; nothing here reads or writes files.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from evals.scoring import config
from evals.scoring.describe import describe
from evals.scoring.fields import FIELDS, compare_fields
from evals.scoring.matching import assign
from evals.scoring.report import (
    FACT_TYPE_NAMES,
    OVERALL,
    PRF,
    ArticleResult,
    Counts,
    EvalReport,
    EvidenceSpan,
    FactRecord,
    FieldAccuracy,
    Match,
    Rate,
    Unmatched,
)
from evals.scoring.similarity import SIMILARITY, Located, locate
from extract.align import FoldedText
from schemas import FactSheet


@dataclass(frozen=True)
class Case:
    """One article to score: its text, the gold sheet, and the prediction (None if invalid)."""

    article_id: str
    text: str
    gold: FactSheet
    predicted: FactSheet | None
    error: str | None = None


def _record(fact_type: str, index: int, located: Located) -> FactRecord:
    evidence = [
        EvidenceSpan(ev.quote, span.start if span else None, span.end if span else None)
        for ev, span in zip(located.fact.evidence, located.spans, strict=True)
    ]
    fact = located.fact.model_dump(mode="json", exclude={"evidence"})
    return FactRecord(fact_type, index, describe(fact_type, located.fact), fact, evidence)


def _canonical_order(facts: Sequence[Located]) -> list[int]:
    """Indices of `facts` sorted by content, so that the input order cannot change the matching."""
    def key(i: int) -> tuple[str, list[str]]:
        fact = facts[i].fact
        return fact.model_dump_json(exclude={"evidence"}), [ev.quote for ev in fact.evidence]

    return sorted(range(len(facts)), key=key)


def match_type(fact_type: str, gold: Sequence[Located], pred: Sequence[Located]) -> tuple[
        list[Match], list[Unmatched], list[Unmatched]]:
    """Matched pairs, missed gold facts and spurious predicted facts of one type in one article."""
    g_order, p_order = _canonical_order(gold), _canonical_order(pred)
    similarity = SIMILARITY[fact_type]
    sim = np.zeros((len(gold), len(pred)))
    for r, gi in enumerate(g_order):
        for c, pi in enumerate(p_order):
            sim[r, c] = similarity(gold[gi], pred[pi])
    g_rec = [_record(fact_type, i, f) for i, f in enumerate(gold)]
    p_rec = [_record(fact_type, i, f) for i, f in enumerate(pred)]
    matches, used_g, used_p = [], set(), set()
    for pair in assign(sim):
        gi, pi = g_order[pair.gold], p_order[pair.pred]
        used_g.add(gi)
        used_p.add(pi)
        fields = compare_fields(fact_type, gold[gi].fact, pred[pi].fact)
        matches.append(Match(fact_type, pair.similarity, g_rec[gi], p_rec[pi], fields))
    matches.sort(key=lambda m: m.gold.index)
    p_sorted, g_sorted = [p_rec[i] for i in p_order], [g_rec[i] for i in g_order]
    missed = [_closest(g_rec[gi], sim[r, :], p_sorted, used_p) for r, gi in enumerate(g_order) if gi not in used_g]
    spurious = [_closest(p_rec[pi], sim[:, c], g_sorted, used_g) for c, pi in enumerate(p_order) if pi not in used_p]
    missed.sort(key=lambda u: u.fact.index)
    spurious.sort(key=lambda u: u.fact.index)
    return matches, missed, spurious


def _closest(record: FactRecord, row: np.ndarray, others: list[FactRecord], paired: set[int]) -> Unmatched:
    """The unmatched fact with its most similar counterpart, if any is similar at all."""
    if not len(row) or row.max() <= 0:
        return Unmatched(record)
    best = int(np.argmax(row))
    return Unmatched(record, float(row[best]), others[best], others[best].index in paired)


def score_article(case: Case) -> ArticleResult:
    """Counts, matches, misses and spurious facts of one article."""
    folded = FoldedText(case.text)
    predicted = case.predicted
    result = ArticleResult(case.article_id, valid=predicted is not None, error=case.error, counts={})
    grounded = total = 0
    for fact_type in FACT_TYPE_NAMES:
        gold = [locate(f, folded) for f in getattr(case.gold, fact_type)]
        pred = [locate(f, folded) for f in getattr(predicted, fact_type)] if predicted else []
        matches, missed, spurious = match_type(fact_type, gold, pred)
        result.counts[fact_type] = Counts(len(matches), len(pred), len(gold))
        strict = sum(m.strict(config.STRICT_FIELDS[fact_type]) for m in matches)
        result.strict[fact_type] = Counts(strict, len(pred), len(gold))
        result.matched += matches
        result.missed += missed
        result.spurious += spurious
        grounded += sum(f.grounded for f in pred)
        total += len(pred)
    result.counts[OVERALL] = sum((result.counts[t] for t in FACT_TYPE_NAMES), Counts())
    result.strict[OVERALL] = sum((result.strict[t] for t in FACT_TYPE_NAMES), Counts())
    result.grounding = Rate(grounded, total)
    return result


def aggregate(results: Sequence[ArticleResult], label: str = "", meta: dict[str, Any] | None = None) -> EvalReport:
    """Micro and macro P/R/F1, field accuracy, grounding and validity over articles."""
    keys = (*FACT_TYPE_NAMES, OVERALL)
    micro = {k: sum((r.counts[k] for r in results), Counts()) for k in keys}
    strict = {k: sum((r.strict[k] for r in results), Counts()) for k in keys}
    macro = {k: _macro([r.counts[k] for r in results]) for k in keys}
    accuracy = {t: {f: FieldAccuracy() for f in FIELDS[t]} for t in FACT_TYPE_NAMES}
    for r in results:
        for m in r.matched:
            for f in m.fields:
                acc = accuracy[m.fact_type][f.field]
                acc.pairs += 1
                acc.score_sum += f.score
    grounding = Rate(sum(r.grounding.numerator for r in results), sum(r.grounding.denominator for r in results))
    validity = Rate(sum(r.valid for r in results), len(results))
    meta = {"created_at": datetime.now(UTC).isoformat(timespec="seconds"), **(meta or {})}
    return EvalReport(label, config.as_dict(), list(results), micro, macro, accuracy, grounding, validity, meta,
                      strict)


def _macro(counts: list[Counts]) -> PRF:
    if not counts:
        return PRF(1.0, 1.0, 1.0)
    n = len(counts)
    return PRF(sum(c.precision for c in counts) / n, sum(c.recall for c in counts) / n, sum(c.f1 for c in counts) / n)


def score(cases: Iterable[Case], label: str = "", meta: dict[str, Any] | None = None) -> EvalReport:
    """The full report for a set of articles."""
    return aggregate([score_article(c) for c in cases], label, meta)
