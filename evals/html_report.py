"""The eval report as one self-contained HTML page.

P/R/F1 per fact type as an inline SVG chart with the numbers beside it, then per article
the gold and the predicted facts side by side, each on its own copy of the text: gold
facts marked matched, field error or missed; predicted ones matched, field error or
spurious. Rendered from the report's JSON form (`EvalReport.to_dict()`, the same data
as report.json), so a stored report renders too. Highlighting, escaping and the page
script are the viewer's (extract.view).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from extract.errors import FactsheetError
from extract.view.facts import FIELDS, TYPE_PLURALS, EvidenceView, FactView, display, format_number
from extract.view.html import esc, fact_data, fact_list, legend, marked_text, page, warnings_box
from extract.view.load import find_text, read_article_text

FACT_TYPES = ("metrics", "infrastructure_projects", "policy_statements")
OVERALL = "overall"
TYPE_CODES = {"metrics": "m", "infrastructure_projects": "p", "policy_statements": "s"}
SHORT_TYPE = {"metrics": "Metrics", "infrastructure_projects": "Projects", "policy_statements": "Statements",
              OVERALL: "Overall"}
OUTCOMES = [("matched", "matched"), ("field_error", "field error"), ("missed", "missed (gold only)"),
            ("spurious", "spurious (predicted only)")]
GROUPS = [(t, TYPE_PLURALS[t]) for t in FACT_TYPES]


def report_dict(report: Any) -> dict[str, Any]:
    """The report's JSON form, from an EvalReport, a dict, or a report.json path."""
    if isinstance(report, Path):
        try:
            return json.loads(report.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise FactsheetError(f"{report}: not a readable eval report JSON: {e}") from e
    if hasattr(report, "to_dict"):
        return report.to_dict()
    if isinstance(report, dict):
        return report
    raise TypeError(f"cannot render an eval report from {type(report).__name__}")


def _num(value: Any) -> str:
    return "n/a" if value is None else f"{value:.3f}"


# -- the chart ---------------------------------------------------------------------------

def chart_svg(micro: Mapping[str, Mapping[str, Any]]) -> str:
    """Grouped bars of precision, recall and F1 for each fact type and overall (0 to 1)."""
    keys = [k for k in (*FACT_TYPES, OVERALL) if k in micro]
    width, height, left, bottom, top = 760, 280, 44, 40, 28
    plot_h = height - bottom - top
    group_w = (width - left - 10) / max(1, len(keys))
    bar_w = min(40.0, group_w / 4.5)
    out = [f"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" "
           f"height=\"{height}\" role=\"img\" aria-label=\"precision, recall and F1 per fact type\">"]
    for i in range(5):
        y = top + plot_h * (1 - i / 4)
        out.append(f"<line class=\"grid\" x1=\"{left}\" x2=\"{width - 10}\" y1=\"{y:.1f}\" y2=\"{y:.1f}\"/>")
        out.append(f"<text x=\"{left - 6}\" y=\"{y + 4:.1f}\" text-anchor=\"end\">{i / 4:.2f}</text>")
    out.append(f"<line class=\"axis\" x1=\"{left}\" x2=\"{left}\" y1=\"{top}\" y2=\"{top + plot_h}\"/>")
    for g, key in enumerate(keys):
        counts = micro[key]
        x0 = left + g * group_w + (group_w - 3 * bar_w - 8) / 2
        for b, (name, cls) in enumerate((("precision", "bar-p"), ("recall", "bar-r"), ("f1", "bar-f"))):
            value = float(counts.get(name) or 0.0)
            h = plot_h * max(0.0, min(1.0, value))
            x = x0 + b * (bar_w + 4)
            y = top + plot_h - h
            out.append(f"<rect class=\"{cls}\" x=\"{x:.1f}\" y=\"{y:.1f}\" width=\"{bar_w:.1f}\" height=\"{h:.1f}\">"
                       f"<title>{esc(SHORT_TYPE[key])} {esc(name)} {value:.3f}</title></rect>")
            out.append(f"<text x=\"{x + bar_w / 2:.1f}\" y=\"{y - 4:.1f}\" text-anchor=\"middle\">{value:.2f}</text>")
        label = f"{SHORT_TYPE[key]} ({counts.get('matched', 0)}/{counts.get('gold', 0)} gold)"
        out.append(f"<text x=\"{left + g * group_w + group_w / 2:.1f}\" y=\"{height - bottom + 18}\" "
                   f"text-anchor=\"middle\">{esc(label)}</text>")
    for b, (name, cls) in enumerate((("precision", "bar-p"), ("recall", "bar-r"), ("F1", "bar-f"))):
        x = width - 290 + b * 95
        out.append(f"<rect class=\"{cls}\" x=\"{x}\" y=\"2\" width=\"12\" height=\"12\"/>"
                   f"<text x=\"{x + 16}\" y=\"12\">{name}</text>")
    out.append("</svg>")
    return "".join(out)


def scores_table(data: Mapping[str, Any]) -> str:
    micro, macro, strict = data.get("micro", {}), data.get("macro", {}), data.get("strict") or {}
    rows = []
    for key in (*FACT_TYPES, OVERALL):
        c = micro.get(key)
        if not c:
            continue
        m = macro.get(key) or {}
        rows.append(f"<tr><td>{esc(SHORT_TYPE[key])}</td><td>{c['gold']}</td><td>{c['predicted']}</td>"
                    f"<td>{c['matched']}</td><td>{_num(c['precision'])}</td><td>{_num(c['recall'])}</td>"
                    f"<td>{_num(c['f1'])}</td><td>{_num(m.get('f1'))}</td>"
                    f"<td>{_num((strict.get(key) or {}).get('f1'))}</td></tr>")
    rates = []
    for name, meaning in (("grounding", "predicted facts whose every quote is in the text"),
                          ("validity", "articles whose output parsed into the schema")):
        rate = data.get(name) or {}
        rates.append(f"<li><strong>{name}</strong> {_num(rate.get('value'))} "
                     f"({rate.get('numerator', 0)}/{rate.get('denominator', 0)} {meaning})</li>")
    return ("<table class=\"scores\"><thead><tr><th>fact type</th><th>gold</th><th>predicted</th><th>matched</th>"
            "<th>P</th><th>R</th><th>F1</th><th>macro F1</th>"
            "<th title=\"a match counts only with its key fields right\">strict F1</th></tr></thead><tbody>" + "".join(rows)
            + "</tbody></table><ul class=\"rates\">" + "".join(rates) + "</ul>")


def field_table(data: Mapping[str, Any]) -> str:
    parts = []
    for fact_type in FACT_TYPES:
        fields = (data.get("field_accuracy") or {}).get(fact_type) or {}
        if not fields:
            continue
        pairs = next(iter(fields.values())).get("pairs", 0)
        cells = "".join(f"<td>{esc(name)} <strong>{_num(acc.get('accuracy'))}</strong></td>" for name, acc in fields.items())
        parts.append(f"<tr><th>{esc(SHORT_TYPE[fact_type])} ({pairs} pairs)</th>{cells}</tr>")
    if not parts:
        return ""
    return ("<h3>Field accuracy over matched pairs</h3><div class=\"table-wrap\"><table class=\"fields\">"
            + "".join(parts) + "</table></div>")


# -- facts on the text --------------------------------------------------------------------

def _evidence(item: Mapping[str, Any], text: str | None, ev_id: str) -> EvidenceView:
    quote = str(item.get("quote", ""))
    start, end = item.get("start"), item.get("end")
    if text is None:
        return EvidenceView(ev_id, quote, None, None, "article text not available")
    if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
        return EvidenceView(ev_id, quote, start, end)
    return EvidenceView(ev_id, quote, None, None, "quote not found in the article text")


def _show(name: str, value: Any) -> str:
    if name == "value" and isinstance(value, int | float) and not isinstance(value, bool):
        return format_number(float(value))
    return display(value)


def record_view(record: Mapping[str, Any], text: str | None, fact_id: str, cls: str, badge: str,
                detail: Sequence[str] = (), article: str = "") -> FactView:
    """A scored fact (the report's FactRecord JSON) as a FactView coloured by its outcome."""
    fact_type = record.get("fact_type", "metrics")
    fact = record.get("fact") or {}
    names = [n for n in FIELDS.get(fact_type, ()) if n in fact] + [n for n in fact if n not in FIELDS.get(fact_type, ())]
    evidence = [_evidence(e, text, f"{fact_id}-{j}") for j, e in enumerate(record.get("evidence") or [])]
    first = min((e.start for e in evidence if e.start is not None), default=None)
    return FactView(fact_id, fact_type, str(record.get("description", "")), [(n, _show(n, fact[n])) for n in names],
                    evidence, cls, article=article, badge=badge, detail=list(detail), sort={"position": first})


def _field_errors(match: Mapping[str, Any]) -> list[str]:
    lines = []
    for f in match.get("fields") or []:
        if not f.get("correct", f.get("score", 1) >= 1):
            lines.append(f"{f['field']}: gold {display(f.get('gold'))} · predicted {display(f.get('predicted'))}")
    return lines


def _closest(item: Mapping[str, Any], other: str) -> list[str]:
    closest = item.get("closest")
    if not closest:
        return []
    similarity = item.get("closest_similarity")
    how = f" (similarity {similarity:.2f})" if isinstance(similarity, int | float) else ""
    return [f"closest {other}: {closest.get('description', '')}{how}"]


def article_views(article: Mapping[str, Any], text: str | None, index: int) -> tuple[list[FactView], list[FactView]]:
    """Gold and predicted facts of one article, each coloured by what the scorer made of it."""
    gold: list[FactView] = []
    pred: list[FactView] = []
    aid = str(article.get("article_id", ""))

    def ident(side: str, record: Mapping[str, Any]) -> str:
        return f"{side}{index}-{TYPE_CODES.get(record.get('fact_type', ''), 'x')}{record.get('index', 0)}"

    for match in article.get("matched") or []:
        errors = _field_errors(match)
        cls, badge = ("field_error", "field error") if errors else ("matched", "matched")
        gold.append(record_view(match["gold"], text, ident("g", match["gold"]), cls, badge, errors, aid))
        pred.append(record_view(match["predicted"], text, ident("p", match["predicted"]), cls, badge, errors, aid))
    for item in article.get("missed") or []:
        gold.append(record_view(item["fact"], text, ident("g", item["fact"]), "missed", "missed",
                                _closest(item, "prediction"), aid))
    for item in article.get("spurious") or []:
        pred.append(record_view(item["fact"], text, ident("p", item["fact"]), "spurious", "spurious",
                                _closest(item, "gold fact"), aid))
    return gold, pred


def _side(title: str, facts: Sequence[FactView], text: str | None, empty: str) -> str:
    counts = {cls: sum(1 for f in facts if f.cls == cls) for cls, _ in OUTCOMES}
    summary = ", ".join(f"{n} {label.split(' (')[0]}" for (cls, label), n in zip(OUTCOMES, counts.values(), strict=True) if n)
    body = (f"<div class=\"text\">{marked_text(text, facts)}</div>" if text is not None
            else "<p class=\"empty\">Article text not available: facts listed with their quotes.</p>")
    return (f"<div class=\"eval-side\"><h3>{esc(title)} <span class=\"count\">{len(facts)}</span></h3>"
            f"<p class=\"meta\">{esc(summary or 'no facts')}</p>{body}"
            f"<div class=\"eval-facts\">{fact_list(facts, GROUPS, empty)}</div></div>")


def article_section(article: Mapping[str, Any], text: str | None, index: int) -> tuple[str, list[FactView]]:
    gold, pred = article_views(article, text, index)
    overall = (article.get("counts") or {}).get(OVERALL) or {}
    head = (f"F1 {_num(overall.get('f1'))} · P {_num(overall.get('precision'))} · R {_num(overall.get('recall'))} · "
            f"{overall.get('matched', 0)} matched of {overall.get('gold', 0)} gold, {overall.get('predicted', 0)} predicted")
    warnings = []
    if not article.get("valid", True):
        warnings.append(f"prediction invalid: {article.get('error')}")
    if text is None:
        warnings.append("article text not found: pass the article folder")
    aid = str(article.get("article_id", ""))
    html = (f"<section class=\"eval-article\" id=\"a-{index}\" data-article=\"{esc(aid)}\"><h2>{esc(aid)}</h2>"
            f"<p class=\"meta\">{esc(head)}</p>{warnings_box(warnings)}<div class=\"eval-grid\">"
            f"{_side('Gold (hand labels)', gold, text, 'none in gold')}"
            f"{_side('Predicted', pred, text, 'none predicted')}</div></section>")
    return html, gold + pred


def _texts_for(data: Mapping[str, Any], texts: Mapping[str, str] | None, articles_dir: Path | None) -> dict[str, str]:
    found = dict(texts or {})
    folders = [articles_dir] if articles_dir else []
    meta_dir = (data.get("meta") or {}).get("articles")
    if meta_dir:
        folders.append(Path(meta_dir))
    for article in data.get("articles") or []:
        aid = str(article.get("article_id", ""))
        if aid in found or not aid or "/" in aid or "\\" in aid or aid.startswith("."):
            continue
        path = find_text(aid, folders)
        if path is not None:
            try:
                found[aid] = read_article_text(path)
            except FactsheetError:
                continue
    return found


def render_eval_html(report: Any, texts: Mapping[str, str] | None = None, *, articles_dir: Path | None = None,
                     title: str | None = None) -> str:
    """The eval report page. `texts` maps article id to text; missing ones are read from
    `articles_dir` or the folder named in the report's meta."""
    data = report_dict(report)
    texts = _texts_for(data, texts, articles_dir)
    label = str(data.get("label") or "")
    title = title or (f"Eval report: {label}" if label else "Eval report")
    articles = data.get("articles") or []
    sections, all_facts, nav = [], [], []
    for index, article in enumerate(articles):
        aid = str(article.get("article_id", ""))
        html, facts = article_section(article, texts.get(aid), index)
        sections.append(html)
        all_facts += facts
        f1 = ((article.get("counts") or {}).get(OVERALL) or {}).get("f1")
        nav.append(f"<li><a href=\"#a-{index}\">{esc(aid)}</a> <span class=\"count\">F1 {_num(f1)}</span></li>")
    meta = data.get("meta") or {}
    facts_line = " · ".join(f"{esc(k)} {esc(v)}" for k, v in meta.items() if v not in (None, ""))
    body = (
        f"<header class=\"top\"><h1>{esc(title)}</h1><p class=\"meta\">{len(articles)} articles · {facts_line}</p>"
        f"{legend(OUTCOMES, 'Outcome')}</header><main>"
        "<section class=\"chart\" id=\"scores\"><h2>Scores (micro-averaged over articles)</h2>"
        f"{chart_svg(data.get('micro') or {})}{scores_table(data)}{field_table(data)}</section>"
        f"<nav class=\"toc\"><h2>Articles</h2><ol>{''.join(nav) or '<li>none</li>'}</ol>"
        "<p class=\"hint\">Each article's text appears twice: gold facts on the left, predicted on the right. "
        "Hover or click a highlight to see the fact and its field errors; click a fact to find its span.</p></nav>"
        + "".join(sections) + "</main>"
    )
    return page(title, body, {"facts": fact_data(all_facts), "types": {t: SHORT_TYPE[t][:-1] for t in FACT_TYPES}})
