"""HTML building blocks shared by the fact-sheet viewer and the eval report.

Everything that comes from an article or a model passes through `esc` (or, for the data
block, `script_json`). Pages carry a Content-Security-Policy that allows only their own
inline script (by hash), so even a missed escape could not run injected code.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from collections.abc import Iterable, Sequence
from importlib import resources
from typing import Any

from extract.view.facts import FactView
from extract.view.segments import Span, segments

DATA_ELEMENT_ID = "factsheet-data"


def esc(value: object) -> str:
    """Text for HTML content or a quoted attribute value."""
    return html.escape("" if value is None else str(value), quote=True)


def script_json(data: Any) -> str:
    """JSON safe inside a <script> element: no '<', '>' or '&' can end it or open a comment."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, code in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, code)
    return text


def asset(name: str) -> str:
    """A file of extract/view/assets (scripts and styles are data, inlined at render time)."""
    return resources.files("extract.view.assets").joinpath(name).read_text(encoding="utf-8")


def _csp_hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode("ascii") + "'"


def page(title: str, body: str, data: dict[str, Any], *, css: Sequence[str] = ("viewer.css",),
         js: Sequence[str] = ("viewer.js",)) -> str:
    """A whole self-contained document: inline styles, the data block and the script."""
    style = "\n".join(asset(name) for name in css)
    script = "\n".join(asset(name) for name in js)
    csp = (f"default-src 'none'; script-src {_csp_hash(script)}; style-src 'unsafe-inline'; "
           "img-src data:; base-uri 'none'; form-action 'none'")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{esc(csp)}\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{esc(title)}</title>\n<style>\n{style}\n</style>\n</head>\n<body>\n{body}\n"
        "<div id=\"tip\" class=\"tip\" role=\"tooltip\" hidden></div>\n"
        f"<script type=\"application/json\" id=\"{DATA_ELEMENT_ID}\">{script_json(data)}</script>\n"
        f"<script>{script}</script>\n</body>\n</html>\n"
    )


def marked_text(text: str, facts: Iterable[FactView]) -> str:
    """The text with every located evidence span marked; overlaps are cut into segments.

    Each <mark> carries `data-ev` (the evidence spans covering it) and `data-facts` (their
    facts); an empty anchor with the evidence id stands where each span starts.
    """
    spans = [Span(e.start, e.end, e.id, f.id, f.cls) for f in facts for e in f.evidence
             if e.start is not None and e.end is not None]
    parts: list[str] = []
    for seg in segments(len(text), spans):
        chunk = esc(text[seg.start : seg.end])
        if not seg.spans:
            parts.append(chunk)
            continue
        for span in seg.spans:
            if span.start == seg.start:
                parts.append(f"<span class=\"anchor\" id=\"{esc(span.id)}\"></span>")
        # The shortest span is the most specific: its colour and its card come first.
        covering = sorted(seg.spans, key=lambda s: s.end - s.start)
        classes = list(dict.fromkeys(s.cls for s in covering))
        fact_ids = list(dict.fromkeys(s.fact for s in covering))
        depth = min(len(fact_ids), 3)
        attrs = [
            f"class=\"hl c-{esc(classes[0])} d{depth}\"",
            f"data-ev=\"{esc(' '.join(s.id for s in covering))}\"",
            f"data-facts=\"{esc(' '.join(fact_ids))}\"",
        ]
        if len(classes) > 1:
            attrs.append(f"style=\"{esc(stripes(classes))}\"")
        parts.append(f"<mark {' '.join(attrs)}>{chunk}</mark>")
    return "".join(parts)


def stripes(classes: Sequence[str]) -> str:
    """Diagonal stripes in the colours of each class, for text covered by facts of several kinds."""
    width = 6
    stops = ", ".join(f"var(--c-{c}) {i * width}px {(i + 1) * width}px" for i, c in enumerate(classes))
    return f"background: repeating-linear-gradient(135deg, {stops});"


def fact_item(fact: FactView) -> str:
    badge = f" <span class=\"badge b-{esc(fact.cls)}\">{esc(fact.badge)}</span>" if fact.badge else ""
    notes = [e.note for e in fact.evidence if e.note]
    extra = ""
    if not fact.located:
        extra = "<div class=\"note\">not placed in the text: " + esc(notes[0] if notes else "no evidence") + "</div>"
        quotes = "".join(f"<blockquote>{esc(e.quote)}</blockquote>" for e in fact.evidence)
        extra += quotes
    elif notes:
        extra = f"<div class=\"note\">{esc(notes[0])}</div>"
    detail = "".join(f"<div class=\"detail\">{esc(line)}</div>" for line in fact.detail)
    state = "" if fact.located else " unlocated"
    return (f"<li class=\"fact-item c-{esc(fact.cls)}{state}\" id=\"item-{esc(fact.id)}\" data-fact=\"{esc(fact.id)}\" "
            f"tabindex=\"0\" "
            f"role=\"button\"><span class=\"swatch\"></span><span class=\"label\">{esc(fact.label)}</span>"
            f"{badge}{detail}{extra}</li>")


def fact_list(facts: Sequence[FactView], groups: Sequence[tuple[str, str]], empty: str = "no facts") -> str:
    """The side list: one heading per (type, title) group, its facts in text order."""
    out = []
    for fact_type, title in groups:
        members = sorted((f for f in facts if f.type == fact_type), key=_text_order)
        out.append(f"<h4>{esc(title)} <span class=\"count\">{len(members)}</span></h4>")
        if members:
            out.append("<ul class=\"fact-list\">" + "".join(fact_item(f) for f in members) + "</ul>")
        else:
            out.append(f"<p class=\"empty\">{esc(empty)}</p>")
    return "\n".join(out)


def _text_order(fact: FactView) -> tuple[int, int]:
    position = fact.sort.get("position")
    return (0, position) if position is not None else (1, 0)


def legend(entries: Sequence[tuple[str, str]], title: str = "Legend") -> str:
    items = "".join(f"<li><mark class=\"hl c-{esc(cls)} d1\">{esc(label)}</mark></li>" for cls, label in entries)
    return (f"<div class=\"legend\"><span class=\"legend-title\">{esc(title)}</span><ul>{items}</ul>"
            "<span class=\"legend-hint\">Overlapping spans are striped and underlined once per extra fact.</span></div>")


def fact_data(facts: Iterable[FactView]) -> dict[str, Any]:
    """What the script shows in a highlight's card, keyed by fact id."""
    return {
        f.id: {
            "type": f.type,
            "cls": f.cls,
            "label": f.label,
            "fields": [list(pair) for pair in f.fields],
            "badge": f.badge,
            "detail": f.detail,
            "article": f.article,
        }
        for f in facts
    }


def warnings_box(messages: Sequence[str]) -> str:
    if not messages:
        return ""
    items = "".join(f"<li>{esc(m)}</li>" for m in messages)
    return f"<div class=\"warnings\" role=\"alert\"><strong>Warnings</strong><ul>{items}</ul></div>"


def jump_link(fact: FactView, text: str = "show") -> str:
    target = next((e.id for e in fact.evidence if e.located), None)
    href = f"#{target}" if target else f"#item-{fact.id}"
    return f"<a class=\"jump\" href=\"{esc(href)}\" data-fact=\"{esc(fact.id)}\">{esc(text)}</a>"
