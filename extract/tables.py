"""The corpus as spreadsheets: metrics.csv, projects.csv and statements.csv.

One row per fact and article that reports it: a metric from three articles is three rows
with the same `id`, each carrying that article's title, published date, source and url and
every quote it gives for the fact (one per line of the cell). Values are in base units
(100 billion yuan is 100000000000). `n_articles` says how many articles report the fact;
`drop_duplicates("id")` keeps one row per fact.

Every cell is safe to open in a spreadsheet: text that starts with = + - @, a tab or a
carriage return gets a leading apostrophe, so it is shown, never run as a formula (OWASP,
"CSV injection"). Numbers are written as numbers, negative ones included.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from extract.corpus import Corpus, MergedFact

SOURCE_COLUMNS = ("article", "title", "published", "source", "url", "quotes", "n_articles")
METRIC_CSV_COLUMNS = ("id", "subject", "value", "unit", "kind", "comparator", "status", "period", "location",
                      *SOURCE_COLUMNS, "conflicts")
PROJECT_CSV_COLUMNS = ("id", "name", "kind", "status", "status_in_article", "locations", "partners", "initiatives",
                       "timeline", *SOURCE_COLUMNS, "conflicts")
STATEMENT_CSV_COLUMNS = ("id", "actor", "actor_role", "jurisdiction", "kind", "summary", "initiatives", "venue",
                         *SOURCE_COLUMNS)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def safe_cell(value: object) -> str:
    """The cell's text, with a leading apostrophe where a spreadsheet would read a formula."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def number(value: float) -> str:
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.15g}"


def _table(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue()


def _joined(values: Iterable[Any]) -> str:
    return "; ".join(str(v) for v in values)


def _source_cells(corpus: Corpus, fact: MergedFact, article: str) -> list[object]:
    meta = corpus.articles.get(article)
    quotes = "\n".join(quote for _, _, quote in fact.spans.get(article, ()))
    return [article, meta.title if meta else "", meta.published.isoformat() if meta and meta.published else "",
            meta.source if meta else "", meta.url if meta else "", quotes, len(fact.articles)]


def conflict_text(fact: MergedFact) -> str:
    """The disagreeing figures or fields in one line: '4500 trains in b; status planned in c'."""
    parts = []
    for c in fact.conflicts:
        if c["field"] == "value":
            comparator = "" if c["comparator"] == "eq" else f" ({c['comparator']})"
            where = ", ".join(c["articles"]) + (" (the same article)" if c.get("same_article") else "")
            parts.append(f"{number(c['value'])} {fact.fields['unit']}{comparator} in {where}")
        else:
            parts.append(f"{c['field']} {c['value']} in {', '.join(c['articles'])}")
    if fact.conflicts_omitted:
        parts.append(f"{fact.conflicts_omitted} more")
    return "; ".join(parts)


def _conflicts_once(corpus: Corpus, fact: MergedFact) -> str:
    """conflict_text of a fact, made once for all its rows (a fact reported by 400 articles has 400)."""
    key = ("conflict_text", fact.id)
    if key not in corpus.memo:
        corpus.memo[key] = conflict_text(fact)
    return str(corpus.memo[key])


def _rows(corpus: Corpus, fact_type: str, cells: Callable[[MergedFact, str], list[object]]) -> Iterable[list[object]]:
    for fact in corpus.of_type(fact_type):
        for article in fact.articles:
            yield cells(fact, article)


def metrics_csv(corpus: Corpus) -> str:
    def cells(fact: MergedFact, article: str) -> list[object]:
        f = fact.fields
        return [fact.id, f["subject"], number(f["value"]), f["unit"], f["kind"], f["comparator"], f["status"],
                f["period"] or "", f["location"] or "", *_source_cells(corpus, fact, article), _conflicts_once(corpus, fact)]

    return _table(METRIC_CSV_COLUMNS, _rows(corpus, "metric", cells))


def projects_csv(corpus: Corpus) -> str:
    def cells(fact: MergedFact, article: str) -> list[object]:
        f = fact.fields
        stated = "; ".join((fact.states.get(article) or {}).get("status") or ()) or "unknown"
        return [fact.id, f["name"], f["kind"], f["status"], stated, _joined(f["locations"]), _joined(f["partners"]),
                _joined(f["initiatives"]), f["timeline"] or "", *_source_cells(corpus, fact, article),
                _conflicts_once(corpus, fact)]

    return _table(PROJECT_CSV_COLUMNS, _rows(corpus, "infrastructure_project", cells))


def statements_csv(corpus: Corpus) -> str:
    def cells(fact: MergedFact, article: str) -> list[object]:
        f = fact.fields
        return [fact.id, f["actor"], f["actor_role"] or "", f["jurisdiction"] or "", f["kind"], f["summary"],
                _joined(f["initiatives"]), f["venue"] or "", *_source_cells(corpus, fact, article)]

    return _table(STATEMENT_CSV_COLUMNS, _rows(corpus, "policy_statement", cells))
