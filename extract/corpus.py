"""Corpus outputs: every done article's facts merged across articles, as JSONL and CSV.

The same fact reported by several articles is one line with all its sources:

- a metric by (kind, status, value, unit, period, location);
- a project by (canonical name, kind);
- a policy statement by (actor, kind, summary).

Metrics about the same subject, unit, kind, status, period and place whose values cannot
both be true (see `compatible`) are flagged in each other's `conflicts`, never merged
or overwritten. Projects whose sources disagree on status or timeline say so the same way.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extract.canonical import Canonicaliser, name_key
from extract.output import write_atomic
from schemas import Comparator, FactSheet, InfrastructureProject, Metric, PolicyStatement

FACTSHEETS_JSONL = "factsheets.jsonl"
FACTS_JSONL = "facts.jsonl"
METRICS_CSV = "metrics.csv"
CORPUS_FILES = (FACTSHEETS_JSONL, FACTS_JSONL, METRICS_CSV)

METRIC_CSV_COLUMNS = (
    "id", "subject", "value", "unit", "kind", "comparator", "status", "period", "location",
    "articles", "n_articles", "quote", "conflicts",
)
# "about 4,600" agrees with anything within this relative distance.
APPROX_TOLERANCE = 0.05


@dataclass
class MergedFact:
    """One fact of the corpus with every article that reports it."""

    type: str  # metric, infrastructure_project or policy_statement
    id: str
    fields: dict[str, Any]
    articles: list[str] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    subjects: set[str] = field(default_factory=set)  # match keys of every source's subject (metrics)

    def add_source(self, article_id: str, fact: Metric | InfrastructureProject | PolicyStatement) -> None:
        if article_id not in self.articles:
            self.articles.append(article_id)
        for ev in fact.evidence:
            entry = {"article": article_id, "quote": ev.quote, "start": ev.start, "end": ev.end}
            if entry not in self.evidence:
                self.evidence.append(entry)

    def record(self) -> dict[str, Any]:
        return {"type": self.type, "id": self.id, **self.fields, "articles": self.articles,
                "evidence": self.evidence, "conflicts": self.conflicts}


def _id(prefix: str, key: tuple[Any, ...]) -> str:
    return f"{prefix}-{hashlib.sha256(json.dumps(key, default=str).encode()).hexdigest()[:12]}"


def _value_key(value: float) -> str:
    return f"{value:.9g}"


def _interval(value: float, comparator: Comparator) -> tuple[float, float]:
    if comparator is Comparator.gt:
        return value, math.inf
    if comparator is Comparator.lt:
        return -math.inf, value
    if comparator is Comparator.approx:
        spread = abs(value) * APPROX_TOLERANCE
        return value - spread, value + spread
    return value, value


def compatible(a: Metric, b: Metric) -> bool:
    """Whether two figures for the same thing can both be true ("over 4,500" and "4,600" can)."""
    if math.isclose(a.value, b.value, rel_tol=1e-9, abs_tol=1e-12):
        return True
    (a_lo, a_hi), (b_lo, b_hi) = _interval(a.value, a.comparator), _interval(b.value, b.comparator)
    return a_lo <= b_hi and b_lo <= a_hi


def _place(name: str | None) -> str | None:
    return name.casefold() if name else None


def merge_facts(sheets: Iterable[FactSheet], canonicaliser: Canonicaliser | None = None) -> list[MergedFact]:
    """Every fact of `sheets` once, with its sources; conflicts flagged. Order is stable."""
    canonicaliser = canonicaliser or Canonicaliser.default()
    merged: dict[tuple[Any, ...], MergedFact] = {}
    first_metric: dict[str, Metric] = {}  # merged id -> a representative metric (for conflict checks)
    for sheet in sorted(sheets, key=lambda s: s.article.id):
        article_id = sheet.article.id
        for metric in sheet.metrics:
            key = ("metric", metric.kind.value, metric.status.value, _value_key(metric.value), metric.unit,
                   metric.period, _place(metric.location))
            fact = merged.get(key)
            if fact is None:
                fields = metric.model_dump(mode="json", exclude={"evidence"})
                fact = merged[key] = MergedFact("metric", _id("m", key), fields)
                first_metric[fact.id] = metric
            fact.subjects.add(name_key(metric.subject))
            fact.add_source(article_id, metric)
        for project in sheet.infrastructure_projects:
            key = ("project", name_key(canonicaliser.initiative(project.name)), project.kind.value)
            fact = merged.get(key)
            if fact is None:
                fields = project.model_dump(mode="json", exclude={"evidence"})
                fact = merged[key] = MergedFact("infrastructure_project", _id("p", key), fields)
                fact.fields["sources_status"] = {}
                fact.fields["sources_timeline"] = {}
            _merge_project(fact, project, article_id)
            fact.add_source(article_id, project)
        for statement in sheet.policy_statements:
            key = ("statement", name_key(statement.actor), statement.kind.value, name_key(statement.summary))
            fact = merged.get(key)
            if fact is None:
                fields = statement.model_dump(mode="json", exclude={"evidence"})
                fact = merged[key] = MergedFact("policy_statement", _id("s", key), fields)
            else:
                fact.fields["initiatives"] = list(dict.fromkeys([*fact.fields["initiatives"], *statement.initiatives]))
            fact.add_source(article_id, statement)
    facts = list(merged.values())
    _flag_metric_conflicts([f for f in facts if f.type == "metric"], first_metric)
    for fact in facts:
        if fact.type == "infrastructure_project":
            _flag_project_conflicts(fact)
    return facts


def _merge_project(fact: MergedFact, project: InfrastructureProject, article_id: str) -> None:
    for name in ("locations", "partners", "initiatives"):
        fact.fields[name] = list(dict.fromkeys([*fact.fields[name], *getattr(project, name)]))
    if project.status.value != "unknown":
        fact.fields["sources_status"].setdefault(project.status.value, []).append(article_id)
        if fact.fields["status"] == "unknown":
            fact.fields["status"] = project.status.value
    if project.timeline:
        fact.fields["sources_timeline"].setdefault(project.timeline, []).append(article_id)
        fact.fields["timeline"] = fact.fields["timeline"] or project.timeline


def _flag_project_conflicts(fact: MergedFact) -> None:
    for name in ("status", "timeline"):
        seen: dict[str, list[str]] = fact.fields.pop(f"sources_{name}")
        if len(seen) > 1:
            for value, articles in seen.items():
                if value != fact.fields[name]:
                    fact.conflicts.append({"field": name, "value": value, "articles": sorted(set(articles))})


def _flag_metric_conflicts(metrics: list[MergedFact], first: dict[str, Metric]) -> None:
    groups: dict[tuple[Any, ...], list[MergedFact]] = {}
    for fact in metrics:
        f = fact.fields
        if f["period"] is None:  # two figures of unknown date may well both be true
            continue
        for subject in fact.subjects:
            groups.setdefault((subject, f["kind"], f["status"], f["unit"], f["period"], _place(f["location"])), []).append(fact)
    for group in groups.values():
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                if a is b or compatible(first[a.id], first[b.id]):
                    continue
                _add_conflict(a, b)
                _add_conflict(b, a)


def _add_conflict(fact: MergedFact, other: MergedFact) -> None:
    if any(c.get("id") == other.id for c in fact.conflicts):
        return
    fact.conflicts.append({"field": "value", "id": other.id, "value": other.fields["value"],
                           "comparator": other.fields["comparator"], "articles": list(other.articles)})


def _number(value: float) -> str:
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.15g}"


def _conflict_text(fact: MergedFact) -> str:
    parts = []
    for c in fact.conflicts:
        comparator = "" if c["comparator"] == "eq" else f" ({c['comparator']})"
        parts.append(f"{_number(c['value'])} {fact.fields['unit']}{comparator} in {', '.join(c['articles'])}")
    return "; ".join(parts)


def metrics_csv(facts: Iterable[MergedFact]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(METRIC_CSV_COLUMNS)
    for fact in facts:
        if fact.type != "metric":
            continue
        f = fact.fields
        writer.writerow([
            fact.id, f["subject"], _number(f["value"]), f["unit"], f["kind"], f["comparator"], f["status"],
            f["period"] or "", f["location"] or "", ";".join(fact.articles), len(fact.articles),
            fact.evidence[0]["quote"] if fact.evidence else "", _conflict_text(fact),
        ])
    return buffer.getvalue()


def facts_jsonl(facts: Iterable[MergedFact]) -> str:
    return "".join(json.dumps(f.record(), ensure_ascii=False) + "\n" for f in facts)


def write_corpus(out_dir: Path, sheets: list[FactSheet], canonicaliser: Canonicaliser | None = None) -> list[MergedFact]:
    """(Re)write factsheets.jsonl, facts.jsonl and metrics.csv in `out_dir`, each atomically."""
    ordered = sorted(sheets, key=lambda s: s.article.id)
    facts = merge_facts(ordered, canonicaliser)
    write_atomic(out_dir / FACTSHEETS_JSONL, "".join(s.model_dump_json() + "\n" for s in ordered))
    write_atomic(out_dir / FACTS_JSONL, facts_jsonl(facts))
    write_atomic(out_dir / METRICS_CSV, metrics_csv(facts))
    return facts
