"""Entity views: what the corpus knows about each place and each project.

Built from the merged corpus (extract.corpus) for the viewer's "By place" and "By project"
pages (extract/view/entities.py); `OUT_DIR/entities.jsonl` holds the same entities, series
and points in layout v2 (ids and articles, no quotes: extract/corpus_state.py). Per entity:

- `series`: every metric about it, grouped by subject, unit, kind and status, each series
  sorted by period (undated figures last), each figure with its sources and conflicts;
- `statements`: policy statements about it, by date of their first article;
- places: the projects located there; projects: `status_history`, the status each
  article states, by published date, with `change` marking where it moved.

What is "about" an entity: for a place, metrics whose location it is, projects it is among
the locations of, statements whose jurisdiction it is. For a project, metrics and
statements stated in a sentence that also names the project (the same evidence span), or
whose subject or summary contains the project's name. Every link is an index lookup.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any

from extract.canonical import name_key
from extract.corpus import Corpus, MergedFact

ENTITY_TYPES = ("place", "project")


def _period_key(period: str | None) -> tuple[int, str]:
    return (1, "") if period is None else (0, period)


def _sources(corpus: Corpus, fact: MergedFact) -> list[dict[str, Any]]:
    # A fact is listed by every entity it is about (its place, its projects): built once, shared.
    known = corpus.memo.get(("sources", fact.id))
    if known is not None:
        return known
    out = corpus.memo[("sources", fact.id)] = []
    for article in fact.articles:
        meta = corpus.articles.get(article)
        out.append({
            "article": article,
            "title": meta.title if meta else None,
            "published": meta.published.isoformat() if meta and meta.published else None,
            "source": meta.source if meta else None,
            "url": meta.url if meta else None,
            "quotes": [quote for _, _, quote in fact.spans.get(article, ())],
        })
    return out


def _first_date(sources: list[dict[str, Any]]) -> str | None:
    dates = [s["published"] for s in sources if s["published"]]
    return min(dates) if dates else None


def _series(corpus: Corpus, metrics: Iterable[MergedFact]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for fact in metrics:
        f = fact.fields
        key = (name_key(f["subject"]), f["unit"], f["kind"], f["status"])
        series = groups.setdefault(key, {"subject": f["subject"], "unit": f["unit"], "kind": f["kind"],
                                         "status": f["status"], "points": []})
        series["points"].append({
            "id": fact.id, "period": f["period"], "value": f["value"], "comparator": f["comparator"],
            "location": f["location"], "articles": fact.articles, "sources": _sources(corpus, fact),
            "conflicts": fact.conflicts,
        })
    out = list(groups.values())
    for series in out:
        series["points"].sort(key=lambda p: (_period_key(p["period"]), p["value"]))
    out.sort(key=lambda s: (-len(s["points"]), s["subject"].casefold()))
    return out


def _statement(corpus: Corpus, fact: MergedFact) -> dict[str, Any]:
    f = fact.fields
    sources = _sources(corpus, fact)
    return {"id": fact.id, "date": _first_date(sources), "actor": f["actor"], "actor_role": f["actor_role"],
            "kind": f["kind"], "summary": f["summary"], "venue": f["venue"], "sources": sources}


def _project_brief(fact: MergedFact) -> dict[str, Any]:
    f = fact.fields
    return {"id": fact.id, "name": f["name"], "kind": f["kind"], "status": f["status"], "articles": fact.articles,
            "conflicts": fact.conflicts}


def _words(text: str) -> list[str]:
    """The words of a name, without case, quotes or punctuation: "(Xi'an)" is xi, an."""
    return re.findall(r"[^\W_]+", name_key(text))


class NameIndex:
    """Finds which names (of projects) a text contains, by looking up its word n-grams."""

    def __init__(self) -> None:
        self.names: dict[str, set[str]] = {}
        self._lengths: dict[str, set[int]] = {}  # first word -> the word counts of the names it starts

    def add(self, name: str, owner: str) -> None:
        words = _words(name)
        key = " ".join(words)
        if len(key) < 4:  # too short to name a project on its own
            return
        self.names.setdefault(key, set()).add(owner)
        self._lengths.setdefault(words[0], set()).add(len(words))

    def find(self, text: str) -> set[str]:
        words = _words(text)
        found: set[str] = set()
        lengths, names = self._lengths, self.names
        for i, word in enumerate(words):  # only the n-grams that start as some name does
            for n in lengths.get(word, ()):
                if i + n <= len(words):
                    found.update(names.get(" ".join(words[i : i + n]), ()))
        return found


def build_entities(corpus: Corpus) -> list[dict[str, Any]]:
    """Places (by name), then projects (by name), each with its series, statements and more."""
    metrics = corpus.of_type("metric")
    projects = corpus.of_type("infrastructure_project")
    statements = corpus.of_type("policy_statement")

    place_names: dict[str, str] = {}  # key -> the name as first written
    place_facts: dict[str, dict[str, list[MergedFact]]] = {}

    def place(name: str | None, kind: str, fact: MergedFact) -> None:
        if not name:
            return
        key = name.casefold()
        place_names.setdefault(key, name)
        place_facts.setdefault(key, {"metric": [], "project": [], "statement": []})[kind].append(fact)

    for fact in metrics:
        place(fact.fields["location"], "metric", fact)
    for fact in projects:
        for location in fact.fields["locations"]:
            place(location, "project", fact)
    for fact in statements:
        place(fact.fields["jurisdiction"], "statement", fact)

    # Project links: the same evidence span, or the name in the subject or summary.
    by_span: dict[tuple[str, int, int], set[str]] = {}
    names = NameIndex()
    for fact in projects:
        for e in fact.evidence:
            by_span.setdefault((e["article"], e["start"], e["end"]), set()).add(fact.id)
        names.add(fact.fields["name"], fact.id)
    linked: dict[str, dict[str, list[MergedFact]]] = {p.id: {"metric": [], "statement": []} for p in projects}
    for kind, facts, text_field in (("metric", metrics, "subject"), ("statement", statements, "summary")):
        for fact in facts:
            owners = names.find(fact.fields[text_field])
            for e in fact.evidence:
                owners |= by_span.get((e["article"], e["start"], e["end"]), set())
            for owner in sorted(owners):
                linked[owner][kind].append(fact)

    entities: list[dict[str, Any]] = []
    for key in sorted(place_facts, key=lambda k: place_names[k].casefold()):
        facts = place_facts[key]
        entities.append(_entity(corpus, "place", f"place-{hashlib.sha256(key.encode()).hexdigest()[:12]}",
                                place_names[key], facts["metric"], facts["statement"],
                                projects=[_project_brief(p) for p in facts["project"]],
                                articles=_articles(*facts.values())))
    for fact in sorted(projects, key=lambda p: (p.fields["name"].casefold(), p.id)):
        f = fact.fields
        history = [dict(h) for h in f.get("status_history", [])]
        previous = None
        for entry in history:
            meta = corpus.articles.get(entry["article"])
            entry.update(title=meta.title if meta else None, source=meta.source if meta else None,
                         url=meta.url if meta else None, change=previous is not None and entry["status"] != previous)
            previous = entry["status"]
        links = linked[fact.id]
        entities.append(_entity(corpus, "project", fact.id, f["name"], links["metric"], links["statement"],
                                kind=f["kind"], status=f["status"], locations=f["locations"],
                                initiatives=f["initiatives"], timeline=f["timeline"], status_history=history,
                                project_conflicts=fact.conflicts, sources=_sources(corpus, fact),
                                articles=_articles([fact], links["metric"], links["statement"])))
    return entities


def _articles(*groups: list[MergedFact]) -> list[str]:
    return sorted({a for group in groups for fact in group for a in fact.articles})


def _entity(corpus: Corpus, entity_type: str, entity_id: str, name: str, metrics: list[MergedFact],
            statements: list[MergedFact], **extra: Any) -> dict[str, Any]:
    series = _series(corpus, metrics)
    said = sorted((_statement(corpus, s) for s in statements), key=lambda s: (s["date"] or "9999", s["actor"]))
    conflicts = sum(1 for m in metrics if m.conflicts) + len(extra.get("project_conflicts", []))
    conflicts += sum(1 for p in extra.get("projects", []) if p["conflicts"])
    return {"type": entity_type, "id": entity_id, "name": name, **extra, "series": series, "statements": said,
            "n_metrics": len(metrics), "n_statements": len(statements), "n_conflicts": conflicts}
