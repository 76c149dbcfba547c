"""The fact-sheet viewer page: a corpus overview per fact type, then each article's text
with its facts highlighted beside a list of them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from extract.view.facts import TYPE_LABELS, TYPE_PLURALS, FactView, sheet_facts
from extract.view.html import esc, fact_data, fact_list, jump_link, legend, marked_text, page, warnings_box
from extract.view.load import ViewArticle

FACT_TYPES = ("metrics", "infrastructure_projects", "policy_statements")
TYPE_LEGEND = [(t, TYPE_LABELS[t]) for t in FACT_TYPES]
TYPE_GROUPS = [(t, TYPE_PLURALS[t]) for t in FACT_TYPES]


@dataclass(frozen=True)
class Column:
    title: str
    field: str  # fact field name, or "article" / "value"
    filter: bool = False  # offer a drop-down of its values
    numeric: bool = False


TABLES: dict[str, list[Column]] = {
    "metrics": [
        Column("Article", "article", filter=True), Column("Subject", "subject"),
        Column("Value", "value", numeric=True), Column("Unit", "unit", filter=True),
        Column("Kind", "kind", filter=True), Column("Status", "status", filter=True),
        Column("Period", "period", filter=True), Column("Place", "location", filter=True),
    ],
    "infrastructure_projects": [
        Column("Article", "article", filter=True), Column("Name", "name"),
        Column("Kind", "kind", filter=True), Column("Status", "status", filter=True),
        Column("Places", "locations"), Column("Timeline", "timeline"),
    ],
    "policy_statements": [
        Column("Article", "article", filter=True), Column("Actor", "actor", filter=True),
        Column("Role", "actor_role"), Column("Kind", "kind", filter=True),
        Column("Summary", "summary"), Column("Venue", "venue", filter=True),
    ],
}


@dataclass
class ArticleFacts:
    """One article as drawn: its loaded sheet, the position in the page and its facts."""

    index: int
    article: ViewArticle
    facts: list[FactView]

    @property
    def anchor(self) -> str:
        return f"a-{self.index}"

    @property
    def title(self) -> str:
        return self.article.sheet.article.title or self.article.id


def prepare(articles: Sequence[ViewArticle]) -> list[ArticleFacts]:
    return [ArticleFacts(i, a, sheet_facts(a.sheet, a.text, f"f{i}")) for i, a in enumerate(articles)]


def _cell(fact: FactView, column: Column, article: ArticleFacts) -> tuple[str, Any]:
    """The cell's text and its sort key."""
    if column.field == "article":
        return article.article.id, article.index
    fields = dict(fact.fields)
    if column.field == "value":
        return fields["value"], fact.sort.get("value", 0)
    shown = fields.get(column.field, "—")
    return shown, shown.lower()


def overview_table(fact_type: str, prepared: Sequence[ArticleFacts]) -> str:
    columns = TABLES[fact_type]
    rows = []
    for article in prepared:
        for fact in (f for f in article.facts if f.type == fact_type):
            cells = []
            for column in columns:
                shown, key = _cell(fact, column, article)
                kind = "num" if column.numeric else "text"
                cells.append(f"<td data-sort=\"{esc(key)}\" data-kind=\"{kind}\">{esc(shown)}</td>")
            cells.append(f"<td>{jump_link(fact)}</td>")
            rows.append(f"<tr data-fact=\"{esc(fact.id)}\">{''.join(cells)}</tr>")
    heads = "".join(f"<th data-col=\"{i}\" tabindex=\"0\" aria-sort=\"none\">{esc(c.title)}</th>"
                    for i, c in enumerate(columns)) + "<th class=\"nosort\">Span</th>"
    filters = []
    for i, column in enumerate(columns):
        if not column.filter:
            continue
        values = sorted({_cell(f, column, a)[0] for a in prepared for f in a.facts if f.type == fact_type})
        options = "".join(f"<option value=\"{esc(v)}\">{esc(v)}</option>" for v in values)
        filters.append(f"<label>{esc(column.title)} <select data-col=\"{i}\"><option value=\"\">all</option>"
                       f"{options}</select></label>")
    table_id = f"table-{fact_type}"
    body = "".join(rows) or f"<tr class=\"empty-row\"><td colspan=\"{len(columns) + 1}\">none</td></tr>"
    return (
        f"<section class=\"overview-table\" id=\"overview-{esc(fact_type)}\">"
        f"<h3><span class=\"swatch c-{esc(fact_type)}\"></span>{esc(TYPE_PLURALS[fact_type])} "
        f"<span class=\"count\">{len(rows)}</span></h3>"
        f"<div class=\"filters\" data-table=\"{table_id}\"><label>Filter <input type=\"search\" "
        f"placeholder=\"any text\"></label>{''.join(filters)}<span class=\"shown\"></span></div>"
        f"<div class=\"table-wrap\"><table class=\"sortable\" id=\"{table_id}\"><thead><tr>{heads}</tr></thead>"
        f"<tbody>{body}</tbody></table></div></section>"
    )


def article_section(article: ArticleFacts) -> str:
    meta = article.article.sheet.article
    bits = [f"<code>{esc(meta.id)}</code>"]
    if meta.source:
        bits.append(esc(meta.source))
    if meta.published:
        bits.append(f"published {esc(meta.published.isoformat())}")
    counts = {t: sum(1 for f in article.facts if f.type == t) for t in FACT_TYPES}
    bits.append(", ".join(f"{counts[t]} {TYPE_PLURALS[t].lower()}" for t in FACT_TYPES))
    backend = article.article.sheet.provenance.backend
    model = article.article.sheet.provenance.model
    bits.append(f"by {esc(backend)}" + (f" ({esc(model)})" if model else ""))
    if article.article.text is None:
        text_html = "<p class=\"empty\">The article text was not found; the facts are listed with their quotes.</p>"
    else:
        text_html = f"<div class=\"text\">{marked_text(article.article.text, article.facts)}</div>"
    return (
        f"<section class=\"article\" id=\"{article.anchor}\" data-article=\"{esc(meta.id)}\">"
        f"<h2>{esc(article.title)}</h2><p class=\"meta\">{' · '.join(bits)}</p>"
        f"{warnings_box(article.article.warnings)}"
        f"<div class=\"article-grid\"><div class=\"text-pane\">{text_html}</div>"
        f"<aside class=\"side\"><div class=\"side-inner\">{fact_list(article.facts, TYPE_GROUPS)}</div></aside>"
        "</div></section>"
    )


def render_viewer(articles: Sequence[ViewArticle], errors: Sequence[str] = (), title: str = "Fact sheets",
                  generated: datetime | None = None) -> str:
    """The whole viewer page for these articles; `errors` are files that could not be shown."""
    prepared = prepare(articles)
    all_facts = [f for a in prepared for f in a.facts]
    generated = generated or datetime.now(UTC)
    totals = {t: sum(1 for f in all_facts if f.type == t) for t in FACT_TYPES}
    spans = sum(1 for f in all_facts for e in f.evidence if e.located)
    nav = "".join(
        f"<li><a href=\"#{a.anchor}\">{esc(a.title)}</a> <span class=\"count\">{len(a.facts)}</span>"
        + (" <span class=\"warn-dot\" title=\"warnings\">!</span>" if a.article.warnings else "") + "</li>"
        for a in prepared
    )
    summary = (f"{len(prepared)} articles · " + " · ".join(f"{totals[t]} {TYPE_PLURALS[t].lower()}" for t in FACT_TYPES)
               + f" · {spans} evidence spans")
    body = (
        f"<header class=\"top\"><h1>{esc(title)}</h1><p class=\"meta\">{esc(summary)} · generated "
        f"{esc(generated.strftime('%Y-%m-%d %H:%M UTC'))}</p>{legend(TYPE_LEGEND)}</header>"
        f"{warnings_box(list(errors))}"
        "<main>"
        f"<nav class=\"toc\"><h2>Articles</h2><ol>{nav or '<li>none</li>'}</ol>"
        "<p class=\"hint\">Click a fact in an article's list to jump to its sentence; hover or click a "
        "highlight to see the fact. Click a table heading to sort.</p></nav>"
        "<section class=\"overview\" id=\"overview\"><h2>Corpus overview</h2>"
        + "".join(overview_table(t, prepared) for t in FACT_TYPES)
        + "</section>"
        + "".join(article_section(a) for a in prepared)
        + "</main>"
    )
    return page(title, body, {"facts": fact_data(all_facts), "types": TYPE_LABELS})
