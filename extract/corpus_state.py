"""The kept merge state of the corpus files (layout v2, docs/incremental-corpus.md).

Every byte of the corpus files is a function of one *unit*, and every unit of one article or
of one merge component:

- per article: its factsheets.jsonl line and its rows of metrics/projects/statements.csv;
- per merged fact: its facts.jsonl line (fields, `articles`, no quotes);
- per comparison group of metrics (subject, kind, status, unit, period, place) with figures
  that disagree: a `conflict_group` line of facts.jsonl listing every member;
- per entity (place, project): a header line of entities.jsonl, and one line per series.

The state lives in SQLite tables (store migration 7, or an in-memory database for
`write_corpus`): each fact's claims (one per statement of it in an article, without quotes),
each container's members (a group's, an entity's, a series'), and each unit's sort key and
byte length. `CorpusState.apply` removes and adds articles and recomputes only the units
they touch; `write_units` then writes each file by copying the unchanged byte ranges of the
old file and writing the changed units between them. A full rebuild is the same code from
an empty state: every article added.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extract import corpus as c
from extract.canonical import Canonicaliser, name_key
from extract.corpus_fact import FactMerge
from extract.corpus_units import (
    MERGES,
    NAMES,
    SECTIONS,
    entity_id,
    group_line,
    hash_id_of,
    header_line,
    memberships,
)
from extract.entities import NameIndex
from extract.splice import splice_file
from extract.store.migrations import MIGRATIONS
from extract.tables import METRIC_CSV_COLUMNS, PROJECT_CSV_COLUMNS, STATEMENT_CSV_COLUMNS, joined, number, safe_cell

# The tables: store migration 7 (extract/store/migrations.py), also made in memory for `write_corpus`. All
# derived: dropping their rows makes the next run rebuild the files from every stored sheet.
SCHEMA = MIGRATIONS[6]
TABLES = ("corpus_articles", "corpus_claims", "corpus_members", "corpus_units")

# A fact's merge state is kept (container MERGES) once this many articles state it: below, merging it again from
# its claims reads as few rows as the kept state would, and a full rebuild of a corpus of mostly single-article
# facts (an LLM's) writes no extra row for them.
KEEP_MERGE_FROM = 4

CSV_FILES = {"metric": (c.METRICS_CSV, METRIC_CSV_COLUMNS), "infrastructure_project": (c.PROJECTS_CSV, PROJECT_CSV_COLUMNS),
             "policy_statement": (c.STATEMENTS_CSV, STATEMENT_CSV_COLUMNS)}


_ENCODE = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(obj, ensure_ascii=False), without a new encoder per call


def _dump(obj: Any) -> str:
    return _ENCODE(obj)


def _csv_row(cells: Iterable[object]) -> str:
    return _csv_rows([[safe_cell(cell) for cell in cells]])


def _csv_rows(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


@dataclass
class Update:
    """What `CorpusState.apply` changed: the new text of every changed unit, per file (None: removed)."""

    texts: dict[str, dict[str, bytes | None]] = field(default_factory=lambda: {name: {} for name in c.CORPUS_FILES})


class CorpusState:
    """The merge state kept in `conn`'s corpus tables (see the module doc)."""

    def __init__(self, conn: sqlite3.Connection, canonicaliser: Canonicaliser) -> None:
        self.conn = conn
        self.canonicaliser = canonicaliser
        self._keys: dict[str, str] = {}
        self._fact_keys: dict[tuple[Any, ...], str] = {}
        self._ids: dict[str, str] = {}
        self._claims_of: dict[str, list[dict[str, Any]]] = {}  # this update's claims per touched fact (a full rebuild)
        # an incremental update's changes per touched fact, in order: (added?, article, its claims of the fact)
        self._changes: dict[str, list[tuple[bool, str, list[dict[str, Any]]]]] = {}
        self._merge_rows: dict[str, str | None] = {}  # the touched facts' new merge states (None: gone), not yet written
        self._member_rows: list[tuple[str, str, str, str | None]] = []  # (container, fact, sort, data; None: gone)
        self._fresh = False  # this update starts from an empty state: no fact has members yet
        self._merged_of: dict[str, dict[str, Any] | None] = {}  # and their merged facts
        self._units: dict[tuple[str, str], tuple[str, int] | None] = {}  # corpus_units rows not yet written

    @classmethod
    def in_memory(cls, canonicaliser: Canonicaliser) -> CorpusState:
        conn = sqlite3.connect(":memory:", isolation_level=None)
        for statement in SCHEMA:
            conn.execute(statement)
        return cls(conn, canonicaliser)

    def clear(self) -> None:
        self._units = {}
        for table in TABLES:
            self.conn.execute(f"DELETE FROM {table}")

    def known(self) -> dict[str, str]:
        """article id -> what its kept state was made from (the store's line key)."""
        return dict(self.conn.execute("SELECT article, made_from FROM corpus_articles"))

    def fact_count(self) -> int:
        return int(self.conn.execute("SELECT count(DISTINCT fact) FROM corpus_claims").fetchone()[0])

    def layout(self, file: str) -> list[tuple[str, int]]:
        """The file's units in file order, with their byte lengths."""
        self._flush_units()
        return list(self.conn.execute("SELECT unit, nbytes FROM corpus_units WHERE file = ? ORDER BY sort", (file,)))

    def _name_key(self, name: str) -> str:
        key = self._keys.get(name)
        if key is None:
            key = self._keys[name] = name_key(name)
        return key

    # Articles -> claims -----------------------------------------------------------------

    def _claims(self, sheet: dict[str, Any]) -> tuple[dict[str, list[dict[str, Any]]], dict[str, str]]:
        """The sheet's claims by fact key, and its text per article unit of each per-article file."""
        meta = sheet["article"]
        article = meta["id"]
        source = [article, meta.get("title") or "", meta.get("published") or "", meta.get("source") or "",
                  meta.get("url") or ""]
        claims: dict[str, list[dict[str, Any]]] = {}
        rows: dict[str, list[list[str]]] = {name: [] for name, _ in CSV_FILES.values()}
        project_spans: dict[tuple[int, int], list[str]] = {}
        pending: list[dict[str, Any]] = []
        for section, (list_name, fact_type, _) in enumerate(SECTIONS):
            for index, fact in enumerate(sheet[list_name]):
                key = self._fact_key(fact_type, fact)
                fields = {k: v for k, v in fact.items() if k != "evidence"}
                spans = [[e["start"], e["end"], bool(c.SENTENCE_END.search(e["quote"]))] for e in fact["evidence"]]
                claim: dict[str, Any] = {"a": article, "o": [section, index], "f": fields, "sp": spans,
                                         "pub": meta.get("published"), "t": meta.get("title"),
                                         "src": meta.get("source"), "url": meta.get("url")}
                claims.setdefault(key, []).append(claim)
                if fact_type == "infrastructure_project":
                    for s in spans:
                        project_spans.setdefault((s[0], s[1]), []).append(key)
                else:
                    pending.append(claim)
                quotes = "\n".join(e["quote"] for e in fact["evidence"])
                name, _ = CSV_FILES[fact_type]
                rows[name].append([safe_cell(cell) for cell in (self._fact_id(fact_type, key),
                                                                *_claim_cells(fact_type, fields), *source, quotes)])
        for claim in pending:  # metrics and statements stated in a sentence (span) that names a project
            linked = sorted({p for s in claim["sp"] for p in project_spans.get((s[0], s[1]), ())})
            if linked:
                claim["pl"] = linked
        return claims, {name: _csv_rows(found) for name, found in rows.items()}

    def _fact_key(self, fact_type: str, fact: dict[str, Any]) -> str:
        if fact_type == "metric":
            key: tuple[Any, ...] = ("metric", fact["kind"], fact["status"], c.value_key(fact["value"]), fact["unit"],
                                    fact["period"], c.place_key(fact["location"]))
        elif fact_type == "infrastructure_project":
            key = ("project", self._name_key(self.canonicaliser.initiative(fact["name"])), fact["kind"])
        else:
            key = ("statement", self._name_key(fact["actor"]), fact["kind"], self._name_key(fact["summary"]))
        text = self._fact_keys.get(key)
        if text is None:
            text = self._fact_keys[key] = json.dumps(key, default=str)
        return text

    def _fact_id(self, fact_type: str, key: str) -> str:
        found = self._ids.get(key)
        if found is None:
            found = self._ids[key] = hash_id_of(fact_type, key)
        return found

    # Applying a change ------------------------------------------------------------------

    def apply(self, removed: Iterable[str], added: Iterable[tuple[str, str]]) -> Update:
        """Remove the articles `removed` and add `added` ((made_from, factsheets.jsonl line)); an article
        re-extracted is in both (or only in `added`). Returns the changed units' texts."""
        try:
            return self._apply(removed, added)
        finally:
            self._claims_of, self._merged_of, self._units, self._changes, self._merge_rows = {}, {}, {}, {}, {}
            self._member_rows, self._fresh = [], False

    def _remove(self, update: Update, article: str, touched: set[str]) -> None:
        """Drop an article's claims and own units (nothing when the state does not hold it)."""
        row = self.conn.execute("SELECT facts FROM corpus_articles WHERE article = ?", (article,)).fetchone()
        if row is None:
            return
        facts = json.loads(row[0])
        touched.update(facts)
        for fact in facts:
            found = self.conn.execute("SELECT claims FROM corpus_claims WHERE fact = ? AND article = ?",
                                      (fact, article)).fetchone()
            if found is not None:
                self._changes.setdefault(fact, []).append((False, article, json.loads(found[0])))
        self.conn.execute("DELETE FROM corpus_articles WHERE article = ?", (article,))
        self.conn.executemany("DELETE FROM corpus_claims WHERE fact = ? AND article = ?", [(f, article) for f in facts])
        for name in (c.FACTSHEETS_JSONL, *(n for n, _ in CSV_FILES.values())):
            self._set_unit(update, name, "a" + article, article, None)

    def _apply(self, removed: Iterable[str], added: Iterable[tuple[str, str]]) -> Update:
        update = Update()
        touched: set[str] = set()
        fresh = self._fresh = self.conn.execute("SELECT 1 FROM corpus_articles LIMIT 1").fetchone() is None
        for article in sorted(set(removed)):
            self._remove(update, article, touched)
        new_claims: dict[str, list[dict[str, Any]]] = {}
        seen: set[str] = set()
        for made_from, line in added:
            sheet = json.loads(line)
            article = sheet["article"]["id"]
            if article in seen:
                raise ValueError(f"two sheets of the article {article!r}")
            seen.add(article)
            self._remove(update, article, touched)  # its old claims, if any, are replaced
            claims, csv_texts = self._claims(sheet)
            self.conn.execute("INSERT INTO corpus_articles (article, made_from, facts) VALUES (?, ?, ?)",
                              (article, made_from, json.dumps(sorted(claims))))
            self.conn.executemany("INSERT INTO corpus_claims (fact, article, claims) VALUES (?, ?, ?)",
                                  [(key, article, _ENCODE(found)) for key, found in claims.items()])
            self._set_unit(update, c.FACTSHEETS_JSONL, "a" + article, article, (line + "\n").encode())
            for name, text in csv_texts.items():
                self._set_unit(update, name, "a" + article, article, text.encode() if text else None)
            if fresh:  # an empty state: these are all the claims there are, no need to read them back
                for key, found in claims.items():
                    new_claims.setdefault(key, []).extend(found)
            else:
                touched.update(claims)
                for key, found in claims.items():
                    self._changes.setdefault(key, []).append((True, article, found))
        for key, found in new_claims.items():
            found.sort(key=lambda x: (x["a"], x["o"]))
            self._claims_of[key] = found
        touched.update(new_claims)
        self._flush_units()
        for name, columns in CSV_FILES.values():  # the header row: a unit of its own, first
            if self.conn.execute("SELECT 1 FROM corpus_units WHERE file = ? AND unit = ''", (name,)).fetchone() is None:
                self._set_unit(update, name, "", "", _csv_row(columns).encode())
        containers: set[str] = set()
        names_before = self._project_names()
        names = self._project_names_after(touched, names_before)
        relink = names != names_before
        index = NameIndex()
        for key, name in names.items():
            index.add(name, key)
        todo = sorted(touched | (self._all_linkable() if relink else set()))
        for key in todo:
            containers |= self._refresh_fact(update, key, index)
        self._flush_members()
        self._refresh_containers(update, containers)
        self._flush_units()
        self._flush_merges()
        return update

    def _project_names(self) -> dict[str, str]:
        return {fact: json.loads(data)["name"] for fact, data in
                self.conn.execute("SELECT fact, data FROM corpus_members WHERE container = ?", (NAMES,))}

    def _project_names_after(self, touched: set[str], before: dict[str, str]) -> dict[str, str]:
        after = dict(before)
        for key in touched:
            if not key.startswith('["project"'):
                continue
            after.pop(key, None)
            fact = self._fact(key)
            if fact is not None:
                after[key] = fact["fields"]["name"]
        return after

    def _all_linkable(self) -> set[str]:
        return {key for (key,) in self.conn.execute("SELECT DISTINCT fact FROM corpus_claims")
                if not key.startswith('["project"')}

    def _fact(self, key: str) -> dict[str, Any] | None:
        """The merged fact of `key` (None when no article states it any more)."""
        if key in self._merged_of:
            return self._merged_of[key]
        merge = self._merge(key)
        merged = self._merged_of[key] = merge.result() if merge else None
        return merged

    def _merge(self, key: str) -> FactMerge | None:
        """The fact's merge state after this update: the kept one with this update's changes applied (only the
        changed articles' claims decoded), or, when that cannot say (corpus_fact.FactMerge.remove) or none is kept,
        from all its claims."""
        claims = self._claims_of.get(key)
        if claims is not None:  # a full rebuild: the update holds every claim
            return self._keep_merge(key, FactMerge.from_claims(key, claims), False)
        changes = self._changes.get(key, [])
        row = self.conn.execute("SELECT data FROM corpus_members WHERE container = ? AND fact = ?",
                                (MERGES, key)).fetchone()
        merge: FactMerge | None = None if row is None else FactMerge.load(key, row[0])
        for added, article, found in changes:
            if merge is None:
                break
            if added and article not in merge.art:
                merge.add(article, found)
            elif added or not merge.remove(article, found):
                merge = None
        if merge is None:  # by article, each article's in its sheet's order
            claims = [x for (text,) in self.conn.execute(
                "SELECT claims FROM corpus_claims WHERE fact = ? ORDER BY article", (key,)) for x in json.loads(text)]
            return self._keep_merge(key, FactMerge.from_claims(key, claims), row is not None)
        return self._keep_merge(key, merge, True) if changes else merge

    def _keep_merge(self, key: str, merge: FactMerge, kept: bool) -> FactMerge:
        """Keep the fact's merge state (`kept`: one is kept now) when enough articles state it to be worth it: a
        fact stated by fewer is merged from its few claims when it changes (no row to write and read)."""
        if len(merge.art) >= KEEP_MERGE_FROM:
            self._merge_rows[key] = merge.dump()
        elif kept:
            self._merge_rows[key] = None
        return merge

    def _flush_merges(self) -> None:
        self.conn.executemany("DELETE FROM corpus_members WHERE container = ? AND fact = ?",
                              [(MERGES, key) for key, text in self._merge_rows.items() if text is None])
        self.conn.executemany("INSERT OR REPLACE INTO corpus_members (container, fact, sort, data) VALUES (?, ?, '', ?)",
                              [(MERGES, key, text) for key, text in self._merge_rows.items() if text is not None])
        self._merge_rows = {}

    def _refresh_fact(self, update: Update, key: str, names: NameIndex) -> set[str]:
        """Recompute the fact's line and its memberships; returns the containers whose members changed."""
        old = {} if self._fresh else {container: (sort, data) for container, sort, data in self.conn.execute(
            "SELECT container, sort, data FROM corpus_members WHERE fact = ?", (key,)) if container != MERGES}
        fact = self._fact(key)
        new: dict[str, tuple[str, str]] = {}
        if fact is None:
            self._set_unit(update, c.FACTS_JSONL, "f" + key, "", None)
        else:
            line = _dump(fact["record"]) + "\n"
            self._set_unit(update, c.FACTS_JSONL, "f" + key, "0" + fact["sort"], line.encode())
            new = {container: (fact["sort"], _dump(data)) for container, data in memberships(fact, names).items()}
        changed = {k for k in old.keys() | new.keys() if old.get(k) != new.get(k)}
        for container in changed:
            self._member_rows.append((container, key, *new[container]) if container in new else (container, key, "", None))
        return changed

    def _flush_members(self) -> None:
        """Write the touched facts' changed member rows (one statement per kind, not one per row)."""
        self.conn.executemany("DELETE FROM corpus_members WHERE container = ? AND fact = ?",
                              [(container, key) for container, key, _, data in self._member_rows if data is None])
        self.conn.executemany("INSERT OR REPLACE INTO corpus_members (container, fact, sort, data) VALUES (?, ?, ?, ?)",
                              [row for row in self._member_rows if row[3] is not None])
        self._member_rows = []

    def _members(self, container: str) -> list[dict[str, Any]]:
        """The container's members in order (their rows decoded as one JSON array: a place has thousands)."""
        rows = self.conn.execute("SELECT data FROM corpus_members WHERE container = ? ORDER BY sort, fact", (container,))
        members: list[dict[str, Any]] = json.loads("[" + ",".join(data for (data,) in rows) + "]")
        return members

    def _refresh_containers(self, update: Update, containers: set[str]) -> None:
        extra: set[str] = set()
        for container in sorted(containers):
            if container.startswith("J"):  # a project's header moved: its series move with it
                old = self._unit_sort(c.ENTITIES_JSONL, "h" + container)
                if self._refresh_header(update, container) != old:
                    prefix = json.dumps(["J" + container[1:]])[:-1] + ","
                    extra |= {k for (k,) in self.conn.execute(
                        "SELECT DISTINCT container FROM corpus_members WHERE container >= ? AND container < ?",
                        ("S" + prefix, "S" + prefix + "\U0010ffff"))}
            elif container.startswith("P"):
                self._refresh_header(update, container)
        for container in sorted(containers | extra):
            if container.startswith("G"):
                line = group_line(json.loads(container[1:]), self._members(container))
                self._set_unit(update, c.FACTS_JSONL, "g" + container, "1" + container,
                               None if line is None else (_dump(line) + "\n").encode())
            elif container.startswith("S"):
                self._refresh_series(update, container)

    def _header_sort(self, container: str, members: list[dict[str, Any]]) -> str | None:
        if container.startswith("P"):
            return f"0\x00{container[1:]}\x00" if members else None
        own = next((m for m in members if m["k"] == "self"), None)
        return None if own is None else f"1\x00{own['name'].casefold()}\x00{own['id']}\x00"

    def _refresh_header(self, update: Update, container: str) -> str | None:
        members = self._members(container)
        sort = self._header_sort(container, members)
        line = None if sort is None else header_line(container, members)
        self._set_unit(update, c.ENTITIES_JSONL, "h" + container, sort or "", None if line is None else
                       (_dump(line) + "\n").encode())
        return sort

    def _refresh_series(self, update: Update, container: str) -> None:
        members = self._members(container)
        entity_ref, subject_key, unit, kind, status = json.loads(container[1:])
        head = self._unit_sort(c.ENTITIES_JSONL, "h" + entity_ref)
        if not members or head is None:
            self._set_unit(update, c.ENTITIES_JSONL, "s" + container, "", None)
            return
        points = sorted(members, key=lambda p: ((1, "") if p["period"] is None else (0, p["period"]), p["value"]))
        subject = members[0]["subject"]
        line = {"type": "series", "entity": entity_id(entity_ref), "subject": subject, "unit": unit, "kind": kind,
                "status": status, "points": [{k: p[k] for k in ("id", "period", "value", "comparator", "location",
                                                              "articles")} for p in points]}
        sort = f"{head}\x01{10**9 - len(points):010d}\x00{subject.casefold()}\x00{subject_key}\x00{unit}\x00{kind}" \
               f"\x00{status}"
        self._set_unit(update, c.ENTITIES_JSONL, "s" + container, sort, (_dump(line) + "\n").encode())

    def _set_unit(self, update: Update, file: str, unit: str, sort: str, text: bytes | None) -> None:
        update.texts[file][unit] = text
        self._units[(file, unit)] = None if text is None else (sort, len(text))

    def _unit_sort(self, file: str, unit: str) -> str | None:
        """The unit's sort key (None: no such unit), pending rows included."""
        if (file, unit) in self._units:
            row = self._units[(file, unit)]
            return None if row is None else row[0]
        found = self.conn.execute("SELECT sort FROM corpus_units WHERE file = ? AND unit = ?", (file, unit)).fetchone()
        return None if found is None else str(found[0])

    def _flush_units(self) -> None:
        """Write the pending corpus_units rows (one statement per kind, not one per unit)."""
        if not self._units:
            return
        self.conn.executemany("DELETE FROM corpus_units WHERE file = ? AND unit = ?",
                              [key for key, row in self._units.items() if row is None])
        self.conn.executemany("INSERT OR REPLACE INTO corpus_units (file, unit, sort, nbytes) VALUES (?, ?, ?, ?)",
                              [(*key, *row) for key, row in self._units.items() if row is not None])
        self._units = {}


def _claim_cells(fact_type: str, f: dict[str, Any]) -> list[object]:
    if fact_type == "metric":
        return [f["subject"], number(f["value"]), f["unit"], f["kind"], f["comparator"], f["status"],
                f["period"] or "", f["location"] or ""]
    if fact_type == "infrastructure_project":
        return [f["name"], f["kind"], f["status"], joined(f["locations"]), joined(f["partners"]),
                joined(f["initiatives"]), f["timeline"] or ""]
    return [f["actor"], f["actor_role"] or "", f["jurisdiction"] or "", f["kind"], f["summary"],
            joined(f["initiatives"]), f["venue"] or ""]


# Writing the files ------------------------------------------------------------------------


def write_units(out_dir: Path, state: CorpusState, update: Update, old: dict[str, list[tuple[str, int]]] | None) -> None:
    """Write every corpus file from its units: the changed ones from `update`, the others copied from the old
    file's byte ranges (`old`: each file's units before the update, in order). `old` None: no old file is read."""
    for name in c.CORPUS_FILES:
        texts = update.texts[name]
        new = state.layout(name)
        if old is not None and not texts:
            continue  # nothing of this file changed
        splice_file(out_dir / name, None if old is None else old[name], new, texts)
