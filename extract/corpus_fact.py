"""A merged fact's kept merge state (layout v2, docs/incremental-corpus.md#a-facts-merge-state).

`corpus_units.merged_fact` merges a fact from all its claims. A fact stated by hundreds of
articles (a wire story republished) would then decode hundreds of claim rows whenever one
more article states it. `FactMerge` keeps what the merge needs of each article instead of the
claims themselves, so that adding or removing one article's claims is a change of that
article's entry:

- the first claim `(article, [section, index], fields)`: the merged fields come from it;
- per list field (a project's locations, ...) each value's first occurrence
  `[n_articles, article, section, index, position]`: the union is in first-occurrence order;
- per subject match key of a metric its first wording `[n_articles, wording, article, section, index]`;
- per article: its spans (deduplicated as the merge does), and for projects the statuses and
  timelines it states, its date, title, source and url;
- the projects linked by span (`pl` of the claims), with how many claims link each.

Adding an article is always exact. Removing one is exact unless the article decided
something that another article's claims must now decide (it held the first claim, or the
first occurrence of a list value or wording that other articles also state): `remove` then
returns False and the caller merges the fact again from all its claims. `result` is
`merged_fact`'s output for the same claims, whatever order articles came and went in.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from extract import corpus as c
from extract.canonical import name_key

SECTIONS = (("metrics", "metric", "m"), ("infrastructure_projects", "infrastructure_project", "p"),
            ("policy_statements", "policy_statement", "s"))
LISTS = {"infrastructure_project": ("locations", "partners", "initiatives"), "policy_statement": ("initiatives",)}
KEY_TYPES = {"metric": "metric", "project": "infrastructure_project", "statement": "policy_statement"}

_ENCODE = json.JSONEncoder(ensure_ascii=False).encode


def fact_type_of(key: str) -> str:
    return KEY_TYPES[key.split('"', 2)[1]]


class FactMerge:
    """The merge state of one fact (see the module doc); `claims` arguments are one article's claims of the
    fact, in sheet order."""

    __slots__ = ("art", "first", "key", "lists", "pl", "type", "wording")

    def __init__(self, key: str, state: dict[str, Any] | None = None) -> None:
        self.key = key
        self.type = fact_type_of(key)
        state = state or {}
        self.first: list[Any] | None = state.get("first")
        self.lists: dict[str, dict[str, list[Any]]] = state.get("lists") or {n: {} for n in LISTS.get(self.type, ())}
        self.wording: dict[str, list[Any]] = state.get("w") or {}
        self.art: dict[str, dict[str, Any]] = state.get("art") or {}
        self.pl: dict[str, int] = state.get("pl") or {}

    @classmethod
    def from_claims(cls, key: str, claims: list[dict[str, Any]]) -> FactMerge:
        """The state of `claims` (all claims of the fact, sorted by article then sheet order)."""
        merge = cls(key)
        start = 0
        for end in range(1, len(claims) + 1):
            if end == len(claims) or claims[end]["a"] != claims[start]["a"]:
                merge.add(claims[start]["a"], claims[start:end])
                start = end
        return merge

    @classmethod
    def load(cls, key: str, text: str) -> FactMerge:
        return cls(key, json.loads(text))

    def dump(self) -> str:
        return _ENCODE({"first": self.first, "lists": self.lists, "w": self.wording, "art": self.art, "pl": self.pl})

    def __bool__(self) -> bool:
        return bool(self.art)

    # Changes ----------------------------------------------------------------------------------

    def add(self, article: str, claims: list[dict[str, Any]]) -> None:
        if article in self.art:
            raise ValueError(f"the article {article!r} already states the fact {self.key}")
        head = claims[0]
        if self.first is None or (article, head["o"]) < (self.first[0], self.first[1]):
            self.first = [article, head["o"], head["f"]]
        for name, values in self.lists.items():
            seen: set[str] = set()
            for x in claims:
                for position, value in enumerate(x["f"][name]):
                    occurrence = [article, x["o"][0], x["o"][1], position]
                    known = values.get(value)
                    if known is None:
                        values[value] = [1, *occurrence]
                    else:
                        if value not in seen:
                            known[0] += 1
                        if occurrence < known[1:]:
                            known[1:] = occurrence
                    seen.add(value)
        if self.type == "metric":
            said: set[str] = set()
            for x in claims:
                subject = x["f"]["subject"]
                match = name_key(subject)
                occurrence = [article, x["o"][0], x["o"][1]]
                known = self.wording.get(match)
                if known is None:
                    self.wording[match] = [1, subject, *occurrence]
                else:
                    if match not in said:
                        known[0] += 1
                    if occurrence < known[2:]:
                        known[1:] = [subject, *occurrence]
                said.add(match)
        for x in claims:
            for project in x.get("pl", ()):
                self.pl[project] = self.pl.get(project, 0) + 1
        self.art[article] = self._entry(claims)

    def _entry(self, claims: list[dict[str, Any]]) -> dict[str, Any]:
        spans: list[list[Any]] = []
        for x in claims:
            for s, e, ends in x["sp"]:
                if not any(o[0] == s and o[1] == e for o in spans):
                    spans.append([s, e, "." if ends else ""])
        entry: dict[str, Any] = {"sp": spans}
        if self.type == "infrastructure_project":
            last = claims[-1]
            entry["st"] = list(dict.fromkeys(x["f"]["status"] for x in claims if x["f"]["status"] != "unknown"))
            entry["tl"] = list(dict.fromkeys(x["f"]["timeline"] for x in claims if x["f"]["timeline"]))
            entry["m"] = [last["pub"], last["t"], last["src"], last["url"]]
        return entry

    def remove(self, article: str, claims: list[dict[str, Any]]) -> bool:
        """Take the article's claims out; False (the state left unusable) when only all the other claims can
        say what the merge is now: merge the fact again from them."""
        if article not in self.art or self.first is None:
            return False
        if self.first[0] == article:
            return len(self.art) == 1 and self._clear()
        for name, values in self.lists.items():
            for value in {v for x in claims for v in x["f"][name]}:
                known = values.get(value)
                if known is None:
                    return False
                if known[0] == 1:
                    del values[value]
                elif known[1] == article:
                    return False
                else:
                    known[0] -= 1
        if self.type == "metric":
            for match in {name_key(x["f"]["subject"]) for x in claims}:
                known = self.wording.get(match)
                if known is None:
                    return False
                if known[0] == 1:
                    del self.wording[match]
                elif known[2] == article:
                    return False
                else:
                    known[0] -= 1
        for x in claims:
            for project in x.get("pl", ()):
                left = self.pl.get(project, 0) - 1
                if left < 0:
                    return False
                if left:
                    self.pl[project] = left
                else:
                    del self.pl[project]
        del self.art[article]
        return True

    def _clear(self) -> bool:
        self.first, self.art, self.pl, self.wording = None, {}, {}, {}
        self.lists = {n: {} for n in self.lists}
        return True

    # The merged fact ----------------------------------------------------------------------------

    def result(self) -> dict[str, Any]:
        """`corpus_units.merged_fact` of the fact's claims: its facts.jsonl record and what its containers need."""
        if self.first is None:
            raise ValueError(f"no article states the fact {self.key}")
        fact_type, key = self.type, self.key
        first_article, (section, index), first_fields = self.first
        fields = {k: v for k, v in first_fields.items() if k not in self.lists}
        for name, values in self.lists.items():
            fields[name] = sorted(values, key=lambda v: values[v][1:])
        articles = sorted(self.art)
        fact_id = hash_id_of(fact_type, key)
        spans = {a: self.art[a]["sp"] for a in articles}
        record: dict[str, Any] = {"type": fact_type, "id": fact_id, **fields, "articles": articles,
                                  "n_articles": len(articles)}
        out: dict[str, Any] = {"type": fact_type, "id": fact_id, "key": key, "fields": fields, "articles": articles,
                               "spans": spans, "sort": f"{first_article}\x00{section}{index:06d}", "record": record,
                               "links": sorted(self.pl)}
        if fact_type == "metric":
            wording = {match: known[1] for match, known in self.wording.items()}
            out["wording"] = wording
            groups = [] if fields["period"] is None else [
                [s, fields["kind"], fields["status"], fields["unit"], fields["period"], c.place_key(fields["location"])]
                for s in sorted(wording)]
            out["groups"] = groups
            record["groups"] = [hash_id("g", json.dumps(g, ensure_ascii=False)) for g in groups]
        elif fact_type == "infrastructure_project":
            merged = c.MergedFact(fact_type, fact_id, dict(fields), list(articles))
            for a in articles:
                entry = self.art[a]
                merged.states[a] = {"status": c.OrderedSet(entry["st"]), "timeline": c.OrderedSet(entry["tl"])}
            c.settle_project(merged, {a: self.art[a]["m"][0] for a in articles})
            record.update(merged.fields)
            record["conflicts"] = merged.conflicts
            out["fields"] = merged.fields
            out["conflicts"] = merged.conflicts
            out["meta"] = {a: tuple(self.art[a]["m"][1:]) for a in articles}
        return out


def hash_id(prefix: str, key: str) -> str:
    return f"{prefix}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def hash_id_of(fact_type: str, key: str) -> str:
    """The fact id of corpus.MergedFact (`_id` of the key tuple), from the key's JSON."""
    prefix = next(p for _, t, p in SECTIONS if t == fact_type)
    return hash_id(prefix, key)
