"""The corpus as spreadsheets: metrics.csv, projects.csv and statements.csv.

One row per claim (layout v2): an article's statement of a fact, by article id, then in the
order of the article's sheet. A metric reported by three articles is three rows with the
same `id`, each with what *that* article says (its subject wording, value, comparator,
status, timeline), its title, published date, source and url and every quote it gives for
the fact (one per line of the cell). Values are in base units (100 billion yuan is
100000000000). The merged fact (`n_articles`, the merged project status, conflicts) is the
line of facts.jsonl with the same `id`: `pandas.read_csv("metrics.csv").merge(facts, on="id")`.
Rows are written by extract.corpus_state, one article's rows at a time.

Every cell is safe to open in a spreadsheet: text that starts with = + - @, a tab or a
carriage return gets a leading apostrophe, so it is shown, never run as a formula (OWASP,
"CSV injection"). Numbers are written as numbers, negative ones included.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

# One row per claim: an article's statement of a fact, in the article's own words and figures (layout v2,
# docs/incremental-corpus.md). `id` is the merged fact's, in facts.jsonl.
SOURCE_COLUMNS = ("article", "title", "published", "source", "url", "quotes")
METRIC_CSV_COLUMNS = ("id", "subject", "value", "unit", "kind", "comparator", "status", "period", "location",
                      *SOURCE_COLUMNS)
PROJECT_CSV_COLUMNS = ("id", "name", "kind", "status", "locations", "partners", "initiatives", "timeline",
                       *SOURCE_COLUMNS)
STATEMENT_CSV_COLUMNS = ("id", "actor", "actor_role", "jurisdiction", "kind", "summary", "initiatives", "venue",
                         *SOURCE_COLUMNS)

_FORMULA_FIRST = frozenset(("=", "+", "-", "@", "\t", "\r"))  # first characters a spreadsheet reads as a formula
_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def safe_cell(value: object) -> str:
    """The cell's text, with a leading apostrophe where a spreadsheet would read a formula."""
    text = value if type(value) is str else "" if value is None else str(value)
    if text[:1] in _FORMULA_FIRST and not _NUMBER.fullmatch(text):  # one set lookup for most cells
        return "'" + text
    return text


def number(value: float) -> str:
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.15g}"


def joined(values: Iterable[Any]) -> str:
    return "; ".join(map(str, values))
