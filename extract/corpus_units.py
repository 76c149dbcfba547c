"""The lines of the corpus files' merged units, from the kept state (layout v2, extract/corpus_state.py).

Pure functions of a unit's kept rows: a merged fact from its claims (`merged_fact`), what the
fact is a member of (`memberships`: comparison groups, places, projects, series, the project
names), and a container's line from its members (`group_line`, `header_line`; series in
corpus_state). The conflict and project rules are extract.corpus's.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import math
from typing import Any

from extract import corpus as c
from extract.canonical import name_key
from extract.corpus_fact import SECTIONS, FactMerge, hash_id, hash_id_of
from extract.entities import NameIndex

__all__ = ["MERGES", "NAMES", "SECTIONS", "FactMerge", "entity_id", "group_line", "hash_id", "hash_id_of",
           "header_line", "memberships", "merged_fact"]

NAMES = "N"  # the container of every project's name (no unit of its own)
MERGES = "F"  # the container of every fact's own merge state (corpus_fact.FactMerge; no unit of its own)


def merged_fact(key: str, claims: list[dict[str, Any]]) -> dict[str, Any]:
    """A merged fact: its facts.jsonl record and what its containers need. `claims` are sorted."""
    return FactMerge.from_claims(key, claims).result()


def memberships(fact: dict[str, Any], names: NameIndex) -> dict[str, dict[str, Any]]:
    """container -> this fact's entry in it."""
    f, fact_type, out = fact["fields"], fact["type"], {}
    if fact_type == "metric":
        for group in fact["groups"]:
            out["G" + json.dumps(group, ensure_ascii=False)] = {
                "id": fact["id"], "subject": fact["wording"][group[0]], "value": f["value"],
                "comparator": f["comparator"], "articles": fact["articles"], "spans": fact["spans"],
                "location": f["location"]}
        point = {"id": fact["id"], "period": f["period"], "value": f["value"], "comparator": f["comparator"],
                 "location": f["location"], "articles": fact["articles"], "subject": f["subject"]}
        series = [name_key(f["subject"]), f["unit"], f["kind"], f["status"]]
        entities = ["P" + f["location"].casefold()] if f["location"] else []
        entities += ["J" + p for p in _owners(fact, names, f["subject"])]
        for entity in entities:
            out[entity] = {"k": "m", "id": fact["id"], "n": f["location"]}
            out["S" + json.dumps([entity, *series], ensure_ascii=False)] = point
    elif fact_type == "policy_statement":
        if f["jurisdiction"]:
            out["P" + f["jurisdiction"].casefold()] = {"k": "s", "id": fact["id"], "n": f["jurisdiction"]}
        for p in _owners(fact, names, f["summary"]):
            out["J" + p] = {"k": "s", "id": fact["id"]}
    else:
        for location in f["locations"]:
            out["P" + location.casefold()] = {"k": "p", "id": fact["id"], "n": location}
        key = fact["key"]
        out[NAMES] = {"name": f["name"]}
        history = []
        previous = None
        for h in f.get("status_history", []):
            title, source, url = fact["meta"].get(h["article"], (None, None, None))
            history.append({**h, "title": title, "source": source, "url": url,
                            "change": previous is not None and h["status"] != previous})
            previous = h["status"]
        out["J" + key] = {"k": "self", "id": fact["id"], "name": f["name"], "kind": f["kind"], "status": f["status"],
                          "locations": f["locations"], "initiatives": f["initiatives"], "timeline": f["timeline"],
                          "status_history": history, "project_conflicts": fact["conflicts"],
                          "articles": fact["articles"]}
    return out


def _owners(fact: dict[str, Any], names: NameIndex, text: str) -> list[str]:
    return sorted(set(names.find(text)).union(fact["links"]))


def entity_id(container: str) -> str:
    if container.startswith("P"):
        return f"place-{hashlib.sha256(container[1:].encode()).hexdigest()[:12]}"
    return hash_id_of("infrastructure_project", container[1:])


def header_line(container: str, members: list[dict[str, Any]]) -> dict[str, Any]:
    ids = {k: [m["id"] for m in members if m["k"] == k] for k in ("m", "s", "p")}
    if container.startswith("P"):
        return {"type": "place", "id": entity_id(container), "name": members[0]["n"], "projects": ids["p"],
                "statements": ids["s"], "n_metrics": len(ids["m"]), "n_statements": len(ids["s"])}
    own = next(m for m in members if m["k"] == "self")
    return {"type": "project", **{k: v for k, v in own.items() if k != "k"}, "statements": ids["s"],
            "n_metrics": len(ids["m"]), "n_statements": len(ids["s"])}


def group_line(key: list[Any], members: list[dict[str, Any]]) -> dict[str, Any] | None:
    """A comparison group's conflict_group line, or None when no two of its figures disagree."""
    if len(members) < 2:
        return None
    facts = []
    for m in members:
        fact = c.MergedFact("metric", m["id"], {"value": m["value"], "comparator": m["comparator"]}, m["articles"])
        fact.spans = {a: [tuple(s) for s in spans] for a, spans in m["spans"].items()}  # type: ignore[misc]
        facts.append(fact)
    conflicting = _conflicting(facts)
    if not any(conflicting.values()):
        return None
    _, kind, status, unit, period, _ = key
    return {"type": "conflict_group", "id": hash_id("g", json.dumps(key, ensure_ascii=False)),
            "subject": members[0]["subject"],
            "kind": kind, "status": status, "unit": unit, "period": period, "location": members[0]["location"],
            "members": [{"id": m["id"], "value": m["value"], "comparator": m["comparator"], "articles": m["articles"],
                         "conflicting": conflicting[m["id"]]} for m in members]}


def _conflicting(facts: list[c.MergedFact]) -> dict[str, bool]:
    """Per member: whether another member states a figure that cannot also be true (corpus.compatible), other
    than in the same sentence. Intervals sorted, not pairs compared: at most 2 x MAX_CONFLICTS candidates each."""
    spans = {f.id: c.interval(f.fields["value"], f.fields["comparator"]) for f in facts}
    by_hi = sorted(facts, key=lambda f: spans[f.id][1])
    by_lo = sorted(facts, key=lambda f: spans[f.id][0])
    his = [spans[f.id][1] for f in by_hi]
    los = [spans[f.id][0] for f in by_lo]
    out = {}
    for fact in facts:
        lo, hi = spans[fact.id]
        below, above = bisect.bisect_left(his, lo), bisect.bisect_right(los, hi)
        candidates = [*by_hi[: min(below, c.MAX_CONFLICTS)], *by_lo[above : above + c.MAX_CONFLICTS]]
        out[fact.id] = any(
            other is not fact and not math.isclose(other.fields["value"], fact.fields["value"], rel_tol=1e-9,
                                                   abs_tol=1e-12) and c.disagreement(fact, other) is not None
            for other in candidates)
    return out
