"""The viewer's "By place" and "By project" pages, from the entities of OUT_DIR/entities.jsonl.

Each page is one self-contained file (styles, script and charts inline, nothing fetched)
with the same Content-Security-Policy as the fact-sheet viewer (extract.view.html.page).
Per entity: every metric over time, as a table sorted by period and a small inline SVG
chart per series; every statement with its date and source; for a place its projects,
for a project the status each article states, by date. Conflicting figures are marked in
the tables and drawn in the conflict colour in the charts.

`write_entity_pages(view_dir, entities)` writes `places.html` and `projects.html`;
`write_entity_pages_for(out_dir, view_dir, sheets)` builds the entities from the output
folder's factsheets.jsonl, or from the sheets shown when that file is missing.

The pages show every source's quotes and each figure's conflicts beside it. entities.jsonl
(layout v2, docs/analysis.md) holds ids, not quotes, so the pages are made from the sheets
when `factsheet view` runs (`corpus_of`): one merge of factsheets.jsonl, on demand.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from extract.corpus import FACTSHEETS_JSONL, Corpus, merge_corpus, merge_lines
from extract.entities import build_entities
from extract.output import write_atomic
from extract.view.html import esc, page
from schemas import FactSheet

PAGES = {"place": ("places.html", "By place"), "project": ("projects.html", "By project")}
CSS = ("viewer.css", "entities.css")
JS = ("entities.js",)
CHART_W, CHART_H, PAD_L, PAD_R, PAD_T, PAD_B = 340, 130, 56, 12, 12, 26


def period_x(period: str | None) -> float | None:
    """A period as a number of years: '2020' -> 2020.5, '2020-03' -> 2020.2, an interval at its end."""
    if not period:
        return None
    point = period.split("/")[-1]
    try:
        if len(point) == 4:
            return int(point) + 0.5
        year, month = point.split("-")
        return int(year) + (int(month) - 0.5) / 12
    except ValueError:
        return None


def compact(value: float) -> str:
    """4600 -> '4,600'; 1.2e11 -> '120 billion'; 7.25 -> '7.25'."""
    magnitude = abs(value)
    for size, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if magnitude >= size:
            return f"{value / size:,.4g} {word}"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.4g}"


def chart(series: dict[str, Any]) -> str:
    """A small SVG line chart of a series' dated points; '' when none is dated."""
    points = [(period_x(p["period"]), p) for p in series["points"]]
    dated = [(x, p) for x, p in points if x is not None]
    if not dated:
        return ""
    xs = [x for x, _ in dated]
    values = [p["value"] for _, p in dated]
    lo, hi = min([*values, 0.0]), max([*values, 0.0])
    if math.isclose(lo, hi):
        hi = lo + 1
    x0, x1 = min(xs), max(xs)
    inner_w, inner_h = CHART_W - PAD_L - PAD_R, CHART_H - PAD_T - PAD_B

    def sx(x: float) -> float:
        return PAD_L + (inner_w / 2 if x1 == x0 else (x - x0) / (x1 - x0) * inner_w)

    def sy(v: float) -> float:
        return PAD_T + (hi - v) / (hi - lo) * inner_h

    unit = series["unit"]
    parts = [f"<svg class=\"chart\" viewBox=\"0 0 {CHART_W} {CHART_H}\" width=\"{CHART_W}\" height=\"{CHART_H}\" "
             f"role=\"img\" data-points=\"{len(dated)}\" aria-label=\"{esc(series['subject'])} over time\">",
             f"<line class=\"axis\" x1=\"{PAD_L}\" y1=\"{sy(0):.1f}\" x2=\"{CHART_W - PAD_R}\" y2=\"{sy(0):.1f}\"/>",
             f"<text class=\"tick\" x=\"{PAD_L - 4}\" y=\"{PAD_T + 4}\" text-anchor=\"end\">{esc(compact(hi))}</text>",
             f"<text class=\"tick\" x=\"{PAD_L - 4}\" y=\"{PAD_T + inner_h}\" text-anchor=\"end\">{esc(compact(lo))}</text>"]
    labels = {dated[0][1]["period"]: sx(xs[0]), dated[-1][1]["period"]: sx(xs[-1])}
    for period, x in labels.items():
        parts.append(f"<text class=\"tick\" x=\"{x:.1f}\" y=\"{CHART_H - 6}\" text-anchor=\"middle\">{esc(period)}</text>")
    if len(dated) > 1:
        line = " ".join(f"{sx(x):.1f},{sy(p['value']):.1f}" for x, p in dated)
        parts.append(f"<polyline class=\"line\" points=\"{line}\"/>")
    for x, p in dated:
        cls = "pt conflict" if p["conflicts"] else "pt"
        label = f"{p['period']}: {compact(p['value'])} {unit}" + (" (conflicting figures)" if p["conflicts"] else "")
        parts.append(f"<circle class=\"{cls}\" cx=\"{sx(x):.1f}\" cy=\"{sy(p['value']):.1f}\" r=\"4\" "
                     f"data-fact=\"{esc(p['id'])}\"><title>{esc(label)}</title></circle>")
    parts.append("</svg>")
    return "".join(parts)


# What one entity page shows of a much-repeated fact: a national figure restated by 400 outlets
# must not make the place's page tens of MB (issue #15: no viewer file over 5 MB). The fact tables
# and article pages still show every source.
SHOWN_SOURCES = 5
SHOWN_STATEMENTS = 100
SHOWN_POINTS = 60  # table rows of a series; its chart shows every point
SHOWN_POINT_CONFLICTS = 10


def _more(n: int, noun: str) -> str:
    return f"<li class=\"more muted\">and {n} more {noun}{'s' if n != 1 else ''}</li>" if n > 0 else ""


def _sources(sources: Sequence[dict[str, Any]]) -> str:
    items = []
    for s in sources[:SHOWN_SOURCES]:
        bits = [f"<span class=\"src-title\">{esc(s['title'] or s['article'])}</span>"]
        meta = " · ".join(esc(v) for v in (s["published"], s["source"]) if v)
        if meta:
            bits.append(f"<span class=\"src-meta\">{meta}</span>")
        if s["url"]:
            bits.append(f"<span class=\"src-url\">{esc(s['url'])}</span>")  # shown, not linked: the page never fetches
        items.append("<li>" + " ".join(bits) + "</li>")
    return "<ul class=\"sources\">" + "".join(items) + _more(len(sources) - SHOWN_SOURCES, "article") + "</ul>"


def _quotes(sources: Sequence[dict[str, Any]]) -> str:
    # The first source's words: the others' are on their article pages.
    return "".join(f"<blockquote>{esc(q)}</blockquote>" for q in dict.fromkeys(sources[0]["quotes"] if sources else ()))


def _conflict_note(point: dict[str, Any], unit: str) -> str:
    if not point["conflicts"]:
        return ""
    lines = []
    for c in point["conflicts"][:SHOWN_POINT_CONFLICTS]:
        where = ", ".join(c.get("articles", []))
        value = compact(c["value"]) if isinstance(c.get("value"), int | float) else str(c.get("value"))
        same = " (the same article)" if c.get("same_article") else ""
        lines.append(f"{value} {unit} in {where}{same}")
    if len(point["conflicts"]) > SHOWN_POINT_CONFLICTS:
        lines.append(f"and {len(point['conflicts']) - SHOWN_POINT_CONFLICTS} more")
    return ("<div class=\"conflict-note\"><span class=\"badge b-conflict\">conflict</span> also stated: "
            + esc("; ".join(lines)) + "</div>")


def series_block(series: dict[str, Any]) -> str:
    rows = []
    for p in series["points"][:SHOWN_POINTS]:
        comparator = {"eq": "", "approx": "about ", "gt": "more than ", "lt": "less than "}.get(p["comparator"], "")
        cls = " class=\"conflict\"" if p["conflicts"] else ""
        rows.append(
            f"<tr{cls} data-fact=\"{esc(p['id'])}\"><td>{esc(p['period'] or 'undated')}</td>"
            f"<td class=\"num\">{esc(comparator)}{esc(compact(p['value']))}</td><td>{esc(p['location'] or '')}</td>"
            f"<td>{_sources(p['sources'])}{_conflict_note(p, series['unit'])}</td><td>{_quotes(p['sources'])}</td></tr>")
    if len(series["points"]) > SHOWN_POINTS:
        rows.append(f"<tr class=\"more\"><td colspan=\"5\" class=\"muted\">and {len(series['points']) - SHOWN_POINTS} more "
                    "figures in the chart above and the metrics table</td></tr>")
    heading = f"{series['subject']} ({series['unit']}, {series['status']})"
    return (f"<div class=\"series\"><h4>{esc(heading)}</h4><div class=\"series-grid\">{chart(series)}"
            "<div class=\"table-wrap\"><table class=\"points\"><thead><tr><th>Period</th><th>Value</th><th>Place</th>"
            f"<th>Sources</th><th>Quote</th></tr></thead><tbody>{''.join(rows)}</tbody></table></div></div></div>")


def statements_block(statements: Sequence[dict[str, Any]]) -> str:
    if not statements:
        return ""
    rows = "".join(
        f"<tr data-fact=\"{esc(s['id'])}\"><td>{esc(s['date'] or 'undated')}</td><td>{esc(s['actor'])}"
        + (f"<div class=\"role\">{esc(s['actor_role'])}</div>" if s["actor_role"] else "")
        + f"</td><td>{esc(s['kind'])}</td><td>{esc(s['summary'])}</td><td>{_sources(s['sources'])}</td></tr>"
        for s in statements[:SHOWN_STATEMENTS])
    more = len(statements) - SHOWN_STATEMENTS
    note = f"<p class=\"more muted\">and {more} more statements: see the statements table</p>" if more > 0 else ""
    return (f"<h3>Statements <span class=\"count\">{len(statements)}</span></h3><div class=\"table-wrap\">"
            "<table class=\"statements\"><thead><tr><th>Date</th><th>Actor</th><th>Kind</th><th>Summary</th>"
            f"<th>Source</th></tr></thead><tbody>{rows}</tbody></table></div>{note}")


def _project_list(projects: Sequence[dict[str, Any]]) -> str:
    if not projects:
        return ""
    items = "".join(
        f"<li data-fact=\"{esc(p['id'])}\"><a href=\"projects.html#{esc(p['id'])}\">{esc(p['name'])}</a> "
        f"<span class=\"muted\">{esc(p['kind'])}, {esc(p['status'])}</span>"
        + (" <span class=\"badge b-conflict\">conflict</span>" if p["conflicts"] else "") + "</li>"
        for p in projects)
    return f"<h3>Projects <span class=\"count\">{len(projects)}</span></h3><ul class=\"projects\">{items}</ul>"


def _status_history(entity: dict[str, Any]) -> str:
    history = entity.get("status_history") or []
    if not history:
        return ""
    rows = []
    for h in history:
        row_class = " class=\"change\"" if h["change"] else ""
        badge = " <span class=\"badge b-change\">changed</span>" if h["change"] else ""
        rows.append(f"<tr{row_class}><td>{esc(h['published'] or 'undated')}</td><td>{esc(h['status'])}{badge}</td>"
                    f"<td>{esc(h['title'] or h['article'])}</td><td>{esc(h['source'] or '')}</td></tr>")
    return ("<h3>Status by article</h3><div class=\"table-wrap\"><table class=\"history\"><thead><tr><th>Published</th>"
            f"<th>Status</th><th>Article</th><th>Source</th></tr></thead><tbody>{''.join(rows)}</tbody></table></div>")


def _project_conflicts(entity: dict[str, Any]) -> str:
    conflicts = entity.get("project_conflicts") or []
    if not conflicts:
        return ""
    items = "".join(
        f"<li>{esc(c['field'])}: {esc(c.get('versus', ''))} ({esc(', '.join(c.get('versus_articles', [])))}) vs "
        f"{esc(c['value'])} ({esc(', '.join(c['articles']))})</li>" for c in conflicts)
    return f"<div class=\"warnings conflicts\" role=\"note\"><strong>Conflicting sources</strong><ul>{items}</ul></div>"


def entity_section(entity: dict[str, Any]) -> str:
    facts = []
    if entity["type"] == "project":
        facts.append(f"{entity['kind']}, {entity['status']}")
        if entity.get("locations"):
            facts.append("in " + ", ".join(entity["locations"]))
        if entity.get("timeline"):
            facts.append(f"timeline: {entity['timeline']}")
    n_articles = len(entity.get("articles") or [])
    facts.append(f"{n_articles} article{'s' if n_articles != 1 else ''}")
    series = "".join(series_block(s) for s in entity["series"])
    metrics = (f"<h3>Metrics over time <span class=\"count\">{entity['n_metrics']}</span></h3>{series}"
               if entity["series"] else "<p class=\"empty\">No metrics.</p>")
    flag = " <span class=\"badge b-conflict\">conflicts</span>" if entity["n_conflicts"] else ""
    return (f"<section class=\"entity\" id=\"{esc(entity['id'])}\" data-entity=\"{esc(entity['id'])}\" "
            f"data-name=\"{esc(entity['name'].casefold())}\"><h2>{esc(entity['name'])}{flag}</h2>"
            f"<p class=\"meta\">{esc(' · '.join(facts))}</p>{_project_conflicts(entity)}{metrics}"
            f"{_status_history(entity)}{_project_list(entity.get('projects') or [])}"
            f"{statements_block(entity['statements'])}</section>")


def render_entity_page(entities: Sequence[dict[str, Any]], entity_type: str, home: str | None = None,
                       generated: datetime | None = None) -> str:
    """The page of every entity of `entity_type` ('place' or 'project')."""
    chosen = [e for e in entities if e["type"] == entity_type]
    _, title = PAGES[entity_type]
    generated = generated or datetime.now(UTC)
    links = [f"<a href=\"{esc(home)}\">Fact sheets</a>"] if home else []
    for other, (file_name, label) in PAGES.items():
        links.append(f"<strong>{esc(label)}</strong>" if other == entity_type else f"<a href=\"{file_name}\">{esc(label)}</a>")
    metrics = sum(e["n_metrics"] for e in chosen)
    noun = "place" if entity_type == "place" else "project"
    summary = (f"{len(chosen)} {noun}{'s' if len(chosen) != 1 else ''} · {metrics} metrics · "
               f"{sum(1 for e in chosen if e['n_conflicts'])} with conflicts · generated "
               f"{generated.strftime('%Y-%m-%d %H:%M UTC')}")
    toc = "".join(
        f"<li data-name=\"{esc(e['name'].casefold())}\"><a href=\"#{esc(e['id'])}\">{esc(e['name'])}</a> "
        f"<span class=\"count\">{e['n_metrics'] + e['n_statements']}</span>"
        + (" <span class=\"warn-dot\" title=\"conflicts\">!</span>" if e["n_conflicts"] else "") + "</li>"
        for e in chosen)
    body = (
        f"<header class=\"top\"><h1>{esc(title)}</h1><p class=\"meta\">{esc(summary)}</p>"
        f"<nav class=\"pages\">{' · '.join(links)}</nav>"
        "<label class=\"find\">Find <input type=\"search\" id=\"entity-filter\" placeholder=\"name\"></label>"
        "<span class=\"shown\" id=\"entity-shown\"></span></header>"
        f"<main><nav class=\"toc\"><h2>{esc(title)}</h2><ol>{toc or '<li>none</li>'}</ol></nav>"
        + "".join(entity_section(e) for e in chosen)
        + "</main>"
    )
    return page(f"{title} · Fact sheets", body, {"type": entity_type}, css=CSS, js=JS)


def write_entity_pages(view_dir: Path, entities: Sequence[dict[str, Any]], home: str | None = None) -> list[Path]:
    """Write places.html and projects.html into `view_dir` (atomically); `home` links back to the viewer."""
    written = []
    for entity_type, (file_name, _) in PAGES.items():
        path = view_dir / file_name
        write_atomic(path, render_entity_page(entities, entity_type, home))
        written.append(path)
    return written


def corpus_of(out_dir: Path) -> Corpus | None:
    """The merged corpus of the output folder's factsheets.jsonl (None without one), made once per file."""
    path = out_dir / FACTSHEETS_JSONL
    try:
        st = path.stat()
    except OSError:
        return None
    return _corpus_of(path, st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=1)
def _corpus_of(path: Path, size: int, mtime_ns: int) -> Corpus:
    with path.open(encoding="utf-8") as lines:
        return merge_lines(line for line in lines if line.strip())


def entities_of(out_dir: Path) -> list[dict[str, Any]] | None:
    corpus = corpus_of(out_dir)
    if corpus is None:
        return None
    key = ("entities", "")
    if key not in corpus.memo:
        corpus.memo[key] = build_entities(corpus)
    return list(corpus.memo[key])


def write_entity_pages_for(out_dir: Path, view_dir: Path, sheets: Iterable[FactSheet] = (),
                           home: str | None = None) -> list[Path]:
    """The pages for a run's output folder: from its factsheets.jsonl, else from `sheets`."""
    entities = entities_of(out_dir)
    if entities is None:
        entities = build_entities(merge_corpus(sheets))
    return write_entity_pages(view_dir, entities, home)


def site_render(entity_type: str) -> Any:
    """The viewer site's renderer of one entity page (extract.view.site.PAGES): a whole document, from the
    output folder's factsheets.jsonl; None (page left out) when the folder has none."""

    def render(context: Any) -> str | None:
        entities = entities_of(context.out_dir)
        if entities is None:
            return None
        return render_entity_page(entities, entity_type, home=f"../{context.index_name}")

    return render
