"""The viewer at corpus scale: an index page plus one page per article and paged fact tables.

`factsheet view` writes `report.html` (the index) and a folder `report_files/` beside it:

- `report_files/articles/<id>.html`: one article, its text with every fact highlighted;
- `report_files/<type>[-k].html`: every fact of a type as a sortable table, at most
  `ROWS_PER_PAGE` rows a page, each row naming its article by title and linking to the span;
- pages registered in `PAGES` (e.g. the entity pages "By place" and "By project").

Every page is self-contained (inline style, script and data, no network) and small: the
biggest is a table page, a few MB at most. Articles are rendered one at a time, so memory
holds one article and the table rows, not every sheet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from extract.output import write_atomic
from extract.view.entities import PAGES as ENTITY_PAGES
from extract.view.entities import corpus_of, site_render
from extract.view.facts import TYPE_PLURALS, FactView, format_number, sheet_facts
from extract.view.html import esc, fact_data, legend, page, warnings_box
from extract.view.load import ViewArticle
from extract.view.render import FACT_TYPES, TABLES, TYPE_LEGEND, ArticleFacts, Column, article_section

ROWS_PER_PAGE = 2000  # rows of a table page: a few MB even when every metric is in conflict
SHOWN_CONFLICTS = 3  # values listed in a row's conflict cell (and articles per value); the rest are counted
TABLE_FILES = {"metrics": "metrics", "infrastructure_projects": "projects", "policy_statements": "statements"}


@dataclass
class ArticleEntry:
    """What the index and the tables keep of an article once its page is written."""

    id: str
    title: str
    href: str  # relative to the site folder
    published: str
    source: str
    counts: dict[str, int]
    warnings: int
    conflicts: int = 0


@dataclass
class SiteContext:
    """What a registered page may use: where the site is and every article in it."""

    out_dir: Path  # the folder of sheets the view was made from
    site_dir: Path  # report_files/: registered pages are written here
    index_name: str  # the index page's file name, for links back ("../report.html" from articles/)
    articles: list[ArticleEntry] = field(default_factory=list)


@dataclass(frozen=True)
class SitePage:
    """A page of the site reachable from the index's navigation.

    `render(context)` returns the page's body HTML (or None to leave the page out); the site
    wraps it in the shared shell, unless `whole`: then it is a complete document of its own.
    Add one with `PAGES.append(...)`.
    """

    label: str
    filename: str  # inside the site folder
    render: Callable[[SiteContext], str | None]
    whole: bool = False


PAGES: list[SitePage] = [  # the entity views of extract.view.entities, from the output folder's entities.jsonl
    SitePage(label, filename, site_render(entity_type), whole=True)
    for entity_type, (filename, label) in ENTITY_PAGES.items()
]


def site_dir_for(index: Path) -> Path:
    return index.with_name(f"{index.stem}_files")


def _conflict_index(out_dir: Path) -> dict[tuple[Any, ...], list[dict[str, Any]]]:
    """Metric conflicts of the merged corpus (of the folder's factsheets.jsonl), by the merge key of a metric."""
    index: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    corpus = corpus_of(out_dir)
    for fact in corpus.facts if corpus is not None else ():
        if fact.type == "metric" and fact.conflicts:
            # Only what a cell shows: a corpus full of disagreeing figures must not fill the memory.
            conflicts = fact.conflicts
            index[_metric_key(fact.fields)] = [
                {**c, "articles": c.get("articles", [])[:SHOWN_CONFLICTS], "n_articles": len(c.get("articles", []))}
                for c in conflicts[:SHOWN_CONFLICTS]] + [{"more": len(conflicts) - SHOWN_CONFLICTS}] * (
                len(conflicts) > SHOWN_CONFLICTS)
    return index


def _metric_key(fields: dict[str, Any]) -> tuple[Any, ...]:
    location = fields.get("location")
    return (fields.get("kind"), fields.get("status"), f"{float(fields.get('value') or 0):.9g}", fields.get("unit"),
            fields.get("period"), location.casefold() if isinstance(location, str) else None)


def _conflict_text(conflicts: list[dict[str, Any]], unit: str, titles: dict[str, str]) -> str:
    parts = []
    for c in conflicts:
        if "more" in c:
            parts.append(f"{c['more']} more values")
            continue
        articles = c.get("articles", [])
        where = ", ".join(titles.get(a, a) for a in articles)
        if c.get("n_articles", 0) > len(articles):
            where += f" and {c['n_articles'] - len(articles)} more"
        comparator = "" if c.get("comparator") in (None, "eq") else f" ({c['comparator']})"
        parts.append(f"{format_number(float(c.get('value') or 0))} {unit}{comparator} in {where}")
    return "; ".join(parts)


class _Tables:
    """The rows of the fact tables, gathered while the article pages are written."""

    def __init__(self, conflicts: dict[tuple[Any, ...], list[dict[str, Any]]]) -> None:
        # (cells, link, merge key of the metric's conflicts or None), per fact type
        self.rows: dict[str, list[tuple[list[tuple[str, Any]], str, tuple[Any, ...] | None]]] = {t: [] for t in FACT_TYPES}
        self.conflicts = conflicts

    def add(self, article: ArticleFacts, entry: ArticleEntry) -> int:
        """Add the article's facts; returns how many of them are in conflict."""
        in_conflict = 0
        # sheet_facts makes one view per fact of sheet.facts(), in that order.
        for fact, (_, source) in zip(article.facts, article.article.sheet.facts(), strict=True):
            cells = [_cell(fact, c, entry) for c in TABLES[fact.type]]
            conflict = None
            if fact.type == "metrics":
                key = _metric_key(source.model_dump(mode="json"))
                if key in self.conflicts:
                    conflict = key
                    in_conflict += 1
            self.rows[fact.type].append((cells, _href(fact, entry), conflict))
        return in_conflict


def _cell(fact: FactView, column: Column, entry: ArticleEntry) -> tuple[str, Any]:
    if column.field == "article":
        return entry.title, entry.title.lower()
    fields = dict(fact.fields)
    if column.field == "value":
        return fields["value"], fact.sort.get("value", 0)
    shown = fields.get(column.field, "—")
    return shown, shown.lower()


def _href(fact: FactView, entry: ArticleEntry) -> str:
    target = next((e.id for e in fact.evidence if e.located), None)
    return f"{entry.href}#{target or 'item-' + fact.id}"


def _shell(title: str, nav: str, body: str, data: dict[str, Any] | None = None) -> str:
    return page(title, f"<header class=\"top\"><h1>{esc(title)}</h1>{nav}{legend(TYPE_LEGEND)}</header>"
                       f"<main class=\"site\">{body}</main>", data or {"facts": {}, "types": {}})


def _nav(entries: list[tuple[str, str]], current: str = "") -> str:
    links = "".join(f"<li><a href=\"{esc(href)}\"" + (" aria-current=\"page\"" if label == current else "")
                    + f">{esc(label)}</a></li>" for label, href in entries)
    return f"<nav class=\"site-nav\"><ul>{links}</ul></nav>"


def _table_page(fact_type: str, rows: list[tuple[list[tuple[str, Any]], str, tuple[Any, ...] | None]],
                titles: dict[str, str], conflicts: dict[tuple[Any, ...], list[dict[str, Any]]]) -> str:
    columns = TABLES[fact_type]
    with_conflicts = fact_type == "metrics"
    heads = "".join(f"<th data-col=\"{i}\" tabindex=\"0\" aria-sort=\"none\">{esc(c.title)}</th>"
                    for i, c in enumerate(columns))
    if with_conflicts:
        heads += f"<th data-col=\"{len(columns)}\" tabindex=\"0\" aria-sort=\"none\">Conflicts</th>"
    heads += "<th class=\"nosort\">Span</th>"
    body = []
    for cells, href, conflict in rows:
        tds = [f"<td data-sort=\"{esc(key)}\" data-kind=\"{'num' if c.numeric else 'text'}\">{esc(shown)}</td>"
               for (shown, key), c in zip(cells, columns, strict=True)]
        if with_conflicts:
            unit = next((shown for (shown, _), c in zip(cells, columns, strict=True) if c.field == "unit"), "")
            text = _conflict_text(conflicts[conflict], unit, titles) if conflict else ""
            tds.append(f"<td class=\"conflict\" data-sort=\"{esc(text)}\" data-kind=\"text\">{esc(text)}</td>")
        tds.append(f"<td><a class=\"jump\" href=\"{esc(href)}\">show</a></td>")
        row_class = " class=\"has-conflict\"" if conflict else ""
        body.append(f"<tr{row_class}>{''.join(tds)}</tr>")
    filters = []
    for i, column in enumerate(columns):
        if column.filter:
            values = sorted({cells[i][0] for cells, _, _ in rows})
            options = "".join(f"<option value=\"{esc(v)}\">{esc(v)}</option>" for v in values)
            filters.append(f"<label>{esc(column.title)} <select data-col=\"{i}\"><option value=\"\">all</option>"
                           f"{options}</select></label>")
    table_id = f"table-{fact_type}"
    empty = f"<tr class=\"empty-row\"><td colspan=\"{len(columns) + 2}\">none</td></tr>"
    return (f"<section class=\"overview-table\" id=\"overview-{esc(fact_type)}\">"
            f"<div class=\"filters\" data-table=\"{table_id}\"><label>Filter <input type=\"search\" "
            f"placeholder=\"any text\"></label>{''.join(filters)}<span class=\"shown\"></span></div>"
            f"<div class=\"table-wrap\"><table class=\"sortable\" id=\"{table_id}\"><thead><tr>{heads}</tr></thead>"
            f"<tbody>{''.join(body) or empty}</tbody></table></div></section>")


def _article_page(article: ArticleFacts, entry: ArticleEntry, nav: str, neighbours: str) -> str:
    return page(entry.title, f"<header class=\"top\"><h1>{esc(entry.title)}</h1>{nav}{legend(TYPE_LEGEND)}</header>"
                             f"<main class=\"site\">{neighbours}{article_section(article)}</main>",
                {"facts": fact_data(article.facts), "types": dict(TYPE_LEGEND)})


def _chunks(rows: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, max(len(rows), 1), ROWS_PER_PAGE):
        yield rows[start : start + ROWS_PER_PAGE]


def write_site(index: Path, articles: Iterable[ViewArticle], out_dir: Path, *, errors: Sequence[str] = (),
               title: str = "Fact sheets", generated: datetime | None = None) -> list[Path]:
    """Write the index page `index` and its site folder; `articles` is consumed once. Returns the files.

    `errors` (files that could not be shown) is read after the articles, so a loader may add to it."""
    site = site_dir_for(index)
    (site / "articles").mkdir(parents=True, exist_ok=True)
    back = f"../../{index.name}"
    nav_at_article = [("Index", back)] + [(TYPE_PLURALS[t], f"../{TABLE_FILES[t]}.html") for t in FACT_TYPES] + \
        [(p.label, f"../{p.filename}") for p in PAGES]
    tables = _Tables(_conflict_index(out_dir))
    entries: list[ArticleEntry] = []
    written: list[Path] = []
    for i, article in enumerate(articles):
        facts = ArticleFacts(i, article, sheet_facts(article.sheet, article.text, f"f{i}"))
        meta = article.sheet.article
        entry = ArticleEntry(meta.id, meta.title or meta.id, f"articles/{meta.id}.html",
                             meta.published.isoformat() if meta.published else "", meta.source or "",
                             {t: sum(1 for f in facts.facts if f.type == t) for t in FACT_TYPES}, len(article.warnings))
        entry.conflicts = tables.add(facts, entry)
        neighbours = f"<p class=\"crumbs\"><a href=\"{esc(back)}\">all articles</a></p>"
        path = site / entry.href
        write_atomic(path, _article_page(facts, entry, _nav(nav_at_article), neighbours))
        written.append(path)
        entries.append(entry)
    titles = {e.id: e.title for e in entries}

    index_nav = [("Articles", "#articles")] + [(TYPE_PLURALS[t], f"{site.name}/{TABLE_FILES[t]}.html") for t in FACT_TYPES]
    site_nav = [("Index", f"../{index.name}")] + [(TYPE_PLURALS[t], f"{TABLE_FILES[t]}.html") for t in FACT_TYPES] + \
        [(p.label, p.filename) for p in PAGES]
    context = SiteContext(out_dir, site, index.name, entries)
    for registered in PAGES:
        body = registered.render(context)
        if body is not None:
            path = site / registered.filename
            write_atomic(path, body if registered.whole else _shell(registered.label, _nav(site_nav, registered.label), body))
            written.append(path)
            index_nav.append((registered.label, f"{site.name}/{registered.filename}"))

    for fact_type in FACT_TYPES:
        chunks = list(_chunks(tables.rows[fact_type]))
        names = [f"{TABLE_FILES[fact_type]}.html" if k == 0 else f"{TABLE_FILES[fact_type]}-{k + 1}.html"
                 for k in range(len(chunks))]
        for k, rows in enumerate(chunks):
            pager = ""
            if len(chunks) > 1:
                pager = "<p class=\"pager\">Page " + " ".join(
                    f"<a href=\"{esc(n)}\"" + (" aria-current=\"page\"" if j == k else "") + f">{j + 1}</a>"
                    for j, n in enumerate(names)) + f" of {len(chunks)} ({ROWS_PER_PAGE} rows a page)</p>"
            label = TYPE_PLURALS[fact_type]
            body = pager + _table_page(fact_type, rows, titles, tables.conflicts)
            path = site / names[k]
            write_atomic(path, _shell(f"{label} · {title}", _nav(site_nav, label), body))
            written.append(path)

    generated = generated or datetime.now(UTC)
    totals = {t: sum(e.counts[t] for e in entries) for t in FACT_TYPES}
    summary = (f"{len(entries)} articles · " + " · ".join(f"{totals[t]} {TYPE_PLURALS[t].lower()}" for t in FACT_TYPES)
               + f" · {sum(e.conflicts for e in entries)} metrics in conflict · generated "
               + generated.strftime("%Y-%m-%d %H:%M UTC"))
    write_atomic(index, _shell(title, _nav(index_nav, "Articles"),
                               f"<p class=\"meta\">{esc(summary)}</p>{warnings_box(list(errors))}"
                               + _articles_table(entries, site.name)))
    written.append(index)
    return written


def _articles_table(entries: list[ArticleEntry], site: str) -> str:
    heads = ["Title", "Published", "Source", *[TYPE_PLURALS[t] for t in FACT_TYPES], "In conflict", "Warnings"]
    numeric = {3, 4, 5, 6, 7}
    head_html = "".join(f"<th data-col=\"{i}\" tabindex=\"0\" aria-sort=\"none\">{esc(h)}</th>" for i, h in enumerate(heads))
    rows = []
    for e in entries:
        values: list[tuple[str, Any]] = [(e.title, e.title.lower()), (e.published, e.published), (e.source, e.source.lower()),
                                         *[(str(e.counts[t]), e.counts[t]) for t in FACT_TYPES],
                                         (str(e.conflicts), e.conflicts), (str(e.warnings), e.warnings)]
        cells = []
        for i, (shown, key) in enumerate(values):
            content = f"<a href=\"{esc(site + '/' + e.href)}\">{esc(shown)}</a>" if i == 0 else esc(shown)
            cells.append(f"<td data-sort=\"{esc(key)}\" data-kind=\"{'num' if i in numeric else 'text'}\">{content}</td>")
        rows.append(f"<tr data-article=\"{esc(e.id)}\">{''.join(cells)}</tr>")
    empty = f"<tr class=\"empty-row\"><td colspan=\"{len(heads)}\">none</td></tr>"
    return (f"<section class=\"overview-table\" id=\"articles\"><h2>Articles <span class=\"count\">{len(entries)}</span></h2>"
            f"<div class=\"filters\" data-table=\"table-articles\"><label>Filter <input type=\"search\" "
            f"placeholder=\"any text\"></label><span class=\"shown\"></span></div>"
            f"<div class=\"table-wrap\"><table class=\"sortable\" id=\"table-articles\"><thead><tr>{head_html}</tr></thead>"
            f"<tbody>{''.join(rows) or empty}</tbody></table></div></section>")
