"""Corpus outputs: every done article's facts merged across articles, as JSONL and CSV.

The same fact reported by several articles is one line with all its sources:

- a metric by (kind, status, value, unit, period, location);
- a project by (canonical name, kind);
- a policy statement by (actor, kind, summary).

Conflicts (docs/analysis.md) are flagged in each other's `conflicts`, never merged or
overwritten:

- metrics: the same subject, kind, status, unit, period and place stated with values that
  cannot both be true (see `compatible`) by different articles, or by one article in two
  places (`same_article`). Never two figures of one sentence: one sentence that states
  "26 cities overseas and 15 within the country" is about two things, whatever the labels.
- projects: sources that disagree on status or timeline, never with the same article on
  both sides; a status that advances (planned, then operational) in later articles is a
  change, not a conflict.

Merging and conflict detection take linear time: facts are indexed by their keys, and
conflicting values are found by sorting each group's intervals, not by comparing pairs.
"""

from __future__ import annotations

import bisect
import contextlib
import gc
import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extract.canonical import Canonicaliser, name_key
from schemas import ArticleMeta, Comparator, FactSheet, Metric

FACTSHEETS_JSONL = "factsheets.jsonl"
FACTS_JSONL = "facts.jsonl"
METRICS_CSV = "metrics.csv"
PROJECTS_CSV = "projects.csv"
STATEMENTS_CSV = "statements.csv"
ENTITIES_JSONL = "entities.jsonl"
CORPUS_FILES = (FACTSHEETS_JSONL, FACTS_JSONL, METRICS_CSV, PROJECTS_CSV, STATEMENTS_CSV, ENTITIES_JSONL)

# "about 4,600" agrees with anything within this relative distance.
APPROX_TOLERANCE = 0.05
# Conflicts listed per fact; the rest are counted in `conflicts_omitted`.
MAX_CONFLICTS = 50
# Two quotes of one article are taken for one sentence when they overlap, or when the first does not
# end a sentence and the second starts this close after it ("26 cities overseas" ... "15 cities within").
SAME_SENTENCE_GAP = 40
SENTENCE_END = re.compile(r"[.!?。！？][\"'”’)\]]*\s*$")
# Status stages in the order a project goes through them.
STAGES = {"proposed": 0, "planned": 1, "under_construction": 2, "operational": 3}


class OrderedSet:
    """Insertion-ordered set: membership in O(1), no list scans."""

    def __init__(self, items: Iterable[Any] = ()) -> None:
        self._items: dict[Any, None] = dict.fromkeys(items)

    def add_all(self, items: Iterable[Any]) -> None:
        for item in items:
            self._items.setdefault(item, None)

    def __contains__(self, item: object) -> bool:
        return item in self._items

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items)


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
    # Per article: the spans it gives for this fact; for projects also the status and timeline it states.
    spans: dict[str, list[tuple[int, int, str]]] = field(default_factory=dict)
    states: dict[str, dict[str, OrderedSet]] = field(default_factory=dict)  # article -> status/timeline -> values
    conflicts_omitted: int = 0
    lists: dict[str, OrderedSet] = field(default_factory=dict)  # union of list fields over sources
    first: str = ""  # the article id whose fields are shown
    evidence_keys: set[tuple[str, int, int]] = field(default_factory=set)

    def add_source(self, article_id: str, evidence: list[dict[str, Any]]) -> None:
        spans = self.spans.get(article_id)
        if spans is None:
            spans = self.spans[article_id] = []
            self.articles.append(article_id)
        for ev in evidence:
            start, end, quote = ev["start"], ev["end"], ev["quote"]
            if (article_id, start, end) in self.evidence_keys:
                continue
            self.evidence_keys.add((article_id, start, end))
            spans.append((start, end, quote))
            self.evidence.append({"article": article_id, "quote": quote, "start": start, "end": end})

    def record(self) -> dict[str, Any]:
        record = {"type": self.type, "id": self.id, **self.fields, "articles": self.articles,
                  "evidence": self.evidence, "conflicts": self.conflicts}
        if self.conflicts_omitted:
            record["conflicts_omitted"] = self.conflicts_omitted
        return record

    def finish(self) -> None:
        """Sources in article order (whatever order the sheets came in)."""
        self.articles.sort()
        self.evidence.sort(key=lambda e: e["article"])  # stable: each article's quotes keep their order
        for name, values in self.lists.items():
            self.fields[name] = list(values)


@dataclass
class Corpus:
    """The merged facts and the metadata of every article they come from."""

    facts: list[MergedFact]
    articles: dict[str, ArticleMeta]
    # Views derived from the finished facts, made once per corpus by the writers (entities' sources).
    memo: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False, compare=False)

    def of_type(self, fact_type: str) -> list[MergedFact]:
        return [f for f in self.facts if f.type == fact_type]


def _id(prefix: str, key: tuple[Any, ...]) -> str:
    return f"{prefix}-{hashlib.sha256(json.dumps(key, default=str).encode()).hexdigest()[:12]}"


def value_key(value: float) -> str:
    return f"{value:.9g}"


def interval(value: float, comparator: Comparator | str) -> tuple[float, float]:
    comparator = Comparator(comparator)
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
    (a_lo, a_hi), (b_lo, b_hi) = interval(a.value, a.comparator), interval(b.value, b.comparator)
    return a_lo <= b_hi and b_lo <= a_hi


def place_key(name: str | None) -> str | None:
    return name.casefold() if name else None


def one_sentence(a: tuple[int, int, str], b: tuple[int, int, str]) -> bool:
    """Whether two quotes of one article come from one sentence (see SAME_SENTENCE_GAP)."""
    (s1, e1, q1), (s2, e2, _) = sorted((a, b))
    if s2 < e1 or (s1, e1) == (s2, e2):
        return True
    return s2 - e1 <= SAME_SENTENCE_GAP and not SENTENCE_END.search(q1)


class _Merger:
    """Builds the corpus from sheets given one at a time, as the plain JSON of factsheets.jsonl.

    Plain JSON, not FactSheet models: the sheets were validated when they were made, and
    validating 2,000 of them again costs more than the whole merge (docs/benchmarks.md).
    """

    def __init__(self, canonicaliser: Canonicaliser) -> None:
        self.canonicaliser = canonicaliser
        self.merged: dict[tuple[Any, ...], MergedFact] = {}
        self.representative: dict[str, dict[str, Any]] = {}  # merged metric id -> the metric its fields come from
        self.articles: dict[str, ArticleMeta] = {}
        self._keys: dict[str, str] = {}  # name_key per name: the same few names recur in every article

    def _name_key(self, name: str) -> str:
        key = self._keys.get(name)
        if key is None:
            key = self._keys[name] = name_key(name)
        return key

    def _fact(self, key: tuple[Any, ...], fact_type: str, prefix: str, article_id: str,
              fact: dict[str, Any], lists: Sequence[str] = ()) -> MergedFact:
        merged = self.merged.get(key)
        if merged is None or article_id < merged.first:
            fields = {name: value for name, value in fact.items() if name != "evidence" and name not in lists}
            if merged is None:
                merged = self.merged[key] = MergedFact(fact_type, _id(prefix, key), fields, first=article_id)
                merged.lists = {name: OrderedSet() for name in lists}
            else:  # the fields come from the first source by article id, in whatever order sheets arrive
                merged.fields.update(fields)
                merged.first = article_id
            if fact_type == "metric":
                self.representative[merged.id] = fact
        for name in lists:
            merged.lists[name].add_all(fact[name])
        merged.add_source(article_id, fact["evidence"])
        return merged

    def add(self, sheet: dict[str, Any]) -> None:
        """One sheet, as `json.loads` of its factsheets.jsonl line."""
        meta = ArticleMeta.model_validate(sheet["article"])
        article_id = meta.id
        self.articles[article_id] = meta
        for metric in sheet["metrics"]:
            key = ("metric", metric["kind"], metric["status"], value_key(metric["value"]), metric["unit"],
                   metric["period"], place_key(metric["location"]))
            self._fact(key, "metric", "m", article_id, metric).subjects.add(self._name_key(metric["subject"]))
        for project in sheet["infrastructure_projects"]:
            key = ("project", self._name_key(self.canonicaliser.initiative(project["name"])), project["kind"])
            fact = self._fact(key, "infrastructure_project", "p", article_id, project,
                              ("locations", "partners", "initiatives"))
            state = fact.states.setdefault(article_id, {"status": OrderedSet(), "timeline": OrderedSet()})
            if project["status"] != "unknown":
                state["status"].add_all([project["status"]])
            if project["timeline"]:
                state["timeline"].add_all([project["timeline"]])
        for statement in sheet["policy_statements"]:
            key = ("statement", self._name_key(statement["actor"]), statement["kind"],
                   self._name_key(statement["summary"]))
            self._fact(key, "policy_statement", "s", article_id, statement, ("initiatives",))

    def finish(self) -> Corpus:
        facts = sorted(self.merged.values(), key=lambda f: f.first)  # stable: by first source, then as met
        for fact in facts:
            fact.finish()
        _flag_metric_conflicts([f for f in facts if f.type == "metric"], self.representative)
        for fact in facts:
            if fact.type == "infrastructure_project":
                _settle_project(fact, self.articles)
        return Corpus(facts, self.articles)


def sheet_line(sheet: FactSheet) -> str:
    """A sheet's line of factsheets.jsonl (without the newline): the form the merge reads."""
    return sheet.model_dump_json()


def merge_lines(lines: Iterable[str], canonicaliser: Canonicaliser | None = None,
                on_line: Callable[[str], None] | None = None) -> Corpus:
    """The corpus of sheets given as their factsheets.jsonl lines (consumed once, in any order)."""
    merger = _Merger(canonicaliser or Canonicaliser.default())
    for line in lines:
        if on_line is not None:
            on_line(line)
        merger.add(json.loads(line))
    return merger.finish()


def merge_corpus(sheets: Iterable[FactSheet], canonicaliser: Canonicaliser | None = None,
                 on_sheet: Callable[[FactSheet], None] | None = None) -> Corpus:
    """Every fact of `sheets` (consumed once, in any order) once, with its sources; conflicts flagged."""

    def lines() -> Iterator[str]:
        for sheet in sheets:
            if on_sheet is not None:
                on_sheet(sheet)
            yield sheet_line(sheet)

    return merge_lines(lines(), canonicaliser)


def merge_facts(sheets: Iterable[FactSheet], canonicaliser: Canonicaliser | None = None) -> list[MergedFact]:
    """The merged facts of `sheets`; order is stable (by first source)."""
    return merge_corpus(sheets, canonicaliser).facts


# Projects -----------------------------------------------------------------------------


def _date(meta: ArticleMeta | None) -> str | None:
    return meta.published.isoformat() if meta is not None and meta.published else None


def _settle_project(fact: MergedFact, metas: dict[str, ArticleMeta]) -> None:
    settle_project(fact, {a: _date(metas.get(a)) for a in fact.states})


def settle_project(fact: MergedFact, dates: dict[str, str | None]) -> None:
    """The project's status (the latest dated article's), its history, and its conflicts; `dates`: each
    source article's published date (ISO) or None."""
    history = sorted(({"article": a, "published": dates.get(a), "status": status}
                      for a, s in fact.states.items() for status in s["status"]),
                     key=lambda h: (h["published"] or "", h["article"], STAGES.get(h["status"], 9)))
    dated = [h for h in history if h["published"]]
    if dated:
        fact.fields["status"] = dated[-1]["status"]
    elif history:
        fact.fields["status"] = min(history, key=lambda h: h["article"])["status"]
    fact.fields["status_history"] = history
    if not fact.fields.get("timeline"):
        fact.fields["timeline"] = next((t for a in fact.articles for t in fact.states[a]["timeline"]), None)
    _status_conflicts(fact, dates)
    _timeline_conflicts(fact)


def _by_value(fact: MergedFact, name: str) -> dict[str, set[str]]:
    values: dict[str, set[str]] = {}
    for article, state in fact.states.items():
        for value in state[name]:
            values.setdefault(str(value), set()).add(article)
    return values


def _advances(earlier: set[str], later: set[str], dates: dict[str, str | None]) -> bool:
    """Every article of `earlier` is dated before every article of `later`."""
    first_dates = [dates.get(a) for a in earlier]
    later_dates = [dates.get(a) for a in later]
    if None in first_dates or None in later_dates:
        return False
    return max(first_dates) < min(later_dates)  # type: ignore[type-var]


def _status_conflicts(fact: MergedFact, dates: dict[str, str | None]) -> None:
    values = sorted(_by_value(fact, "status").items(), key=lambda kv: STAGES.get(kv[0], 9))
    for i, (low, low_articles) in enumerate(values):  # at most four stages: at most six pairs
        for high, high_articles in values[i + 1 :]:
            only_low, only_high = low_articles - high_articles, high_articles - low_articles
            if not only_low or not only_high or _advances(only_low, only_high, dates):
                continue  # the same article on both sides, or a project moving on
            mine, theirs = (low, high) if fact.fields["status"] != high else (high, low)
            sides = {low: only_low, high: only_high}
            fact.conflicts.append({"field": "status", "value": theirs, "articles": sorted(sides[theirs]),
                                   "versus": mine, "versus_articles": sorted(sides[mine])})


def _timeline_conflicts(fact: MergedFact) -> None:
    values = _by_value(fact, "timeline")
    mine = fact.fields.get("timeline")
    if len(values) < 2 or mine not in values:
        return
    own = values[mine]
    for value, articles in values.items():
        if value == mine or not (articles - own) or not (own - articles):
            continue
        fact.conflicts.append({"field": "timeline", "value": value, "articles": sorted(articles - own),
                               "versus": mine, "versus_articles": sorted(own - articles)})


# Metrics ------------------------------------------------------------------------------


def disagreement(a: MergedFact, b: MergedFact) -> tuple[bool, bool] | None:
    """None if the two figures are no conflict because one sentence states both; else
    (across articles, within one article)."""
    small, large = (a, b) if len(a.spans) <= len(b.spans) else (b, a)
    within = False
    for article, spans in small.spans.items():
        others = large.spans.get(article)
        if others is None:
            continue
        if any(one_sentence(x, y) for x in spans for y in others):
            return None
        within = True
    across = not (len(a.spans) == 1 and a.spans.keys() == b.spans.keys())
    return across, within


def _flag_metric_conflicts(metrics: list[MergedFact], representative: dict[str, dict[str, Any]]) -> None:
    groups: dict[tuple[Any, ...], list[MergedFact]] = {}
    for fact in metrics:
        f = fact.fields
        if f["period"] is None:  # two figures of unknown date may well both be true
            continue
        for subject in sorted(fact.subjects):  # not set order, which differs per process (hash seed)
            groups.setdefault((subject, f["kind"], f["status"], f["unit"], f["period"], place_key(f["location"])),
                              []).append(fact)
    listed: dict[str, set[str]] = {}
    for group in groups.values():
        if len(group) < 2:
            continue
        spans = {g.id: interval(representative[g.id]["value"], representative[g.id]["comparator"]) for g in group}
        by_hi = sorted(group, key=lambda g: spans[g.id][1])
        by_lo = sorted(group, key=lambda g: spans[g.id][0])
        his = [spans[g.id][1] for g in by_hi]
        los = [spans[g.id][0] for g in by_lo]
        for fact in group:
            lo, hi = spans[fact.id]
            below = bisect.bisect_left(his, lo)  # by_hi[:below] end before this interval starts
            above = bisect.bisect_right(los, hi)  # by_lo[above:] start after it ends
            candidates = [*range(below), *range(above, len(by_lo))] if below + len(by_lo) - above <= 2 * MAX_CONFLICTS \
                else None
            if candidates is None:  # a huge group: look at the first ones only, count the rest
                _flag_some(fact, by_hi, by_lo, below, above, representative, listed)
                continue
            for n, index in enumerate(candidates):
                other = by_hi[index] if n < below else by_lo[index]
                _check_pair(fact, other, representative, listed)


def _check_pair(fact: MergedFact, other: MergedFact, representative: dict[str, dict[str, Any]],
                listed: dict[str, set[str]]) -> None:
    if other is fact or math.isclose(representative[other.id]["value"], representative[fact.id]["value"],
                                     rel_tol=1e-9, abs_tol=1e-12):
        return
    _add_conflict(fact, other, listed)


def _flag_some(fact: MergedFact, by_hi: list[MergedFact], by_lo: list[MergedFact], below: int, above: int,
               representative: dict[str, dict[str, Any]], listed: dict[str, set[str]]) -> None:
    """Examine candidates until MAX_CONFLICTS are listed; the ones not examined go to conflicts_omitted."""
    examined = 0
    total = below + len(by_lo) - above
    for other in (*by_hi[: min(below, 2 * MAX_CONFLICTS)], *by_lo[above : above + 2 * MAX_CONFLICTS]):
        if len(fact.conflicts) >= MAX_CONFLICTS:
            break
        examined += 1
        _check_pair(fact, other, representative, listed)
    fact.conflicts_omitted += total - examined


def _add_conflict(fact: MergedFact, other: MergedFact, listed: dict[str, set[str]]) -> None:
    seen = listed.setdefault(fact.id, set())
    if other.id in seen:
        return
    seen.add(other.id)
    how = disagreement(fact, other)
    if how is None:
        return
    if len(fact.conflicts) >= MAX_CONFLICTS:
        fact.conflicts_omitted += 1
        return
    across, within = how
    fact.conflicts.append({"field": "value", "id": other.id, "value": other.fields["value"],
                           "comparator": other.fields["comparator"], "articles": list(other.articles),
                           "same_article": within and not across})


# Writing ------------------------------------------------------------------------------


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """The cycle collector paused: the merge makes millions of small objects, none in a cycle that
    outlives it, and collecting while they pile up re-scans them all (about 15% of the rewrite)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def write_corpus(out_dir: Path, sheets: Iterable[FactSheet], canonicaliser: Canonicaliser | None = None) -> int:
    """(Re)write the corpus files in `out_dir`, each atomically, from one pass over `sheets` (layout v2,
    docs/analysis.md); returns how many merged facts they hold.

    `sheets` may be a generator (consumed once); the files do not depend on the order they come in.
    """
    return write_corpus_lines(out_dir, (sheet_line(s) for s in sheets), canonicaliser)


def write_corpus_lines(out_dir: Path, lines: Iterable[str], canonicaliser: Canonicaliser | None = None) -> int:
    """`write_corpus` from the sheets' factsheets.jsonl lines (`sheet_line`).

    The same code as a run's incremental update (extract.corpus_state), from an empty state kept in
    memory: every article added, every file written whole.
    """
    from extract.corpus_state import CorpusState, write_units

    state = CorpusState.in_memory(canonicaliser or Canonicaliser.default())
    with _no_gc():
        update = state.apply((), (("", line) for line in lines))
        write_units(out_dir, state, update, None)
    return state.fact_count()
