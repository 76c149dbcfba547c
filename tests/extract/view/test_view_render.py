"""The viewer's rendering without a browser: segments, escaping, loading, the command."""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from viewer_corpus import INJECTION_ID, INJECTION_TEXT, injection_sheet

from extract.commands import view as view_command
from extract.view import load_folder, load_sheet, render_viewer, sheet_facts
from extract.view.facts import EvidenceView, FactView, format_number
from extract.view.html import marked_text, page, script_json
from extract.view.segments import Span, segments


def spans_of(segs):
    return [(s.start, s.end, [x.id for x in s.spans]) for s in segs]


def test_segments_cut_at_every_boundary_of_overlapping_spans() -> None:
    a, b = Span(2, 8, "a", "fa", "metrics"), Span(5, 12, "b", "fb", "policy_statements")
    assert spans_of(segments(15, [a, b])) == [
        (0, 2, []), (2, 5, ["a"]), (5, 8, ["a", "b"]), (8, 12, ["b"]), (12, 15, []),
    ]


def test_segments_nested_identical_and_adjacent_spans() -> None:
    outer, inner = Span(0, 10, "o", "fo", "x"), Span(3, 6, "i", "fi", "x")
    twin, next_to = Span(3, 6, "t", "ft", "y"), Span(10, 12, "n", "fn", "x")
    assert spans_of(segments(12, [outer, inner, twin, next_to])) == [
        (0, 3, ["o"]), (3, 6, ["o", "i", "t"]), (6, 10, ["o"]), (10, 12, ["n"]),
    ]


def test_segments_skip_empty_and_out_of_range_spans_and_cover_the_text() -> None:
    segs = segments(5, [Span(2, 2, "e", "f", "x"), Span(3, 9, "o", "f", "x"), Span(-1, 2, "n", "f", "x")])
    assert spans_of(segs) == [(0, 5, [])]
    assert segments(0, []) == []


def _fact(fact_id: str, cls: str, *spans: tuple[int, int]) -> FactView:
    evidence = [EvidenceView(f"{fact_id}-{j}", "q", s, e) for j, (s, e) in enumerate(spans)]
    return FactView(fact_id, cls, "label", [], evidence, cls)


def test_marked_text_keeps_text_and_marks_each_segment_with_its_spans() -> None:
    text = "0123456789abcdef"
    html = marked_text(text, [_fact("f1", "metrics", (2, 8)), _fact("f2", "policy_statements", (5, 12))])
    assert re.sub(r"<[^>]+>", "", html) == text
    marks = re.findall(r'<mark ([^>]*)>([^<]*)</mark>', html)
    assert [m[1] for m in marks] == ["234", "567", "89ab"]
    middle = marks[1][0]
    assert 'data-ev="f1-0 f2-0"' in middle and 'data-facts="f1 f2"' in middle
    assert "repeating-linear-gradient" in middle and "d2" in middle
    assert html.count('class="anchor"') == 2  # one anchor where each span starts


def test_marked_text_escapes_article_text() -> None:
    text = "a <script>alert(1)</script> & <img src=x onerror=alert(2)> \"q\" 'r'"
    html = marked_text(text, [_fact("f1", "metrics", (2, 30))])
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;" in html and "&lt;img src=x onerror=alert(2)&gt;" in html and "&amp;" in html
    assert "&quot;q&quot;" in html and "&#x27;r&#x27;" in html


def test_script_json_cannot_close_the_script_or_open_a_comment() -> None:
    data = {"x": "</script><script>alert(1)</script><!-- & \u2028"}
    text = script_json(data)
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == data


def test_page_allows_only_its_own_script_by_hash() -> None:
    html = page("t", "<p>body</p>", {"facts": {}})
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
    script = re.search(r"<script>(.*)</script>", html, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp.replace("&#x27;", "'")
    assert "default-src 'none'" in csp.replace("&#x27;", "'")
    assert "http://" not in html and "https://" not in html.replace("http://www.w3.org/2000/svg", "")


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [name for name, _ in attrs]


def test_injection_article_renders_as_text(tmp_path: Path) -> None:
    (tmp_path / f"{INJECTION_ID}.txt").write_text(INJECTION_TEXT, encoding="utf-8")
    (tmp_path / f"{INJECTION_ID}.json").write_text(json.dumps(injection_sheet()), encoding="utf-8")
    articles, errors = load_folder(tmp_path, [])
    assert not errors and not articles[0].warnings
    html = render_viewer(articles)
    parser = _Elements()
    parser.feed(html)
    assert parser.tags.count("script") == 2  # the data block and the page's own script
    assert not {"img", "svg", "b", "i"} & set(parser.tags)
    assert not [a for a in parser.attrs if a.startswith("on")]
    data = re.search(r'<script type="application/json" id="factsheet-data">(.*?)</script>', html, re.S).group(1)
    facts = json.loads(data)["facts"]
    assert any("</script><script>window.__pwned = 4</script><!--" in f["label"] for f in facts.values())


def test_every_located_evidence_span_gets_an_anchor(corpus: Path) -> None:
    articles, errors = load_folder(corpus, [])
    assert not errors and len(articles) == 6
    html = render_viewer(articles)
    spans = sum(len(f.evidence) for a in articles for _, f in a.sheet.facts())
    ev_ids = {tok for attr in re.findall(r'data-ev="([^"]+)"', html) for tok in attr.split()}
    assert len(ev_ids) == spans
    assert len(re.findall(r'class="anchor" id="', html)) == spans
    assert html.count('class="fact-item ') == sum(len(a.sheet.facts()) for a in articles)


def test_gold_sheets_without_offsets_get_them_from_the_text(tmp_path: Path) -> None:
    raw = injection_sheet()
    for fact in raw["metrics"]:
        for ev in fact["evidence"]:
            del ev["start"], ev["end"]
    path = tmp_path / "sheets" / f"{INJECTION_ID}.json"
    path.parent.mkdir()
    path.write_text(json.dumps(raw), encoding="utf-8")
    (tmp_path / f"{INJECTION_ID}.txt").write_text(INJECTION_TEXT, encoding="utf-8")
    article = load_sheet(path, [tmp_path])
    ev = article.sheet.metrics[0].evidence[0]
    assert INJECTION_TEXT[ev.start : ev.end] == ev.quote


def test_changed_text_warns_and_refinds_quotes(tmp_path: Path) -> None:
    (tmp_path / f"{INJECTION_ID}.txt").write_text("Preface added.\n" + INJECTION_TEXT, encoding="utf-8")
    (tmp_path / f"{INJECTION_ID}.json").write_text(json.dumps(injection_sheet()), encoding="utf-8")
    article = load_sheet(tmp_path / f"{INJECTION_ID}.json", [])
    assert any("sha256" in w for w in article.warnings)
    facts = sheet_facts(article.sheet, article.text, "f0")
    assert all(f.located for f in facts)
    assert all(article.text[e.start : e.end] == e.quote for f in facts for e in f.evidence)
    assert any(e.note and "placed by its quote" in e.note for f in facts for e in f.evidence)


def test_missing_text_lists_facts_without_places(tmp_path: Path) -> None:
    (tmp_path / f"{INJECTION_ID}.json").write_text(json.dumps(injection_sheet()), encoding="utf-8")
    articles, _ = load_folder(tmp_path, [tmp_path / "nowhere"])
    assert articles[0].text is None and "not found" in articles[0].warnings[0]
    html = render_viewer(articles)
    assert "<mark" not in html.split("</header>")[1] and "not placed in the text" in html


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    view_command.add_parser(parser.add_subparsers())
    return parser.parse_args(["view", *argv])


def test_command_writes_the_page_beside_the_sheets(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "page.html"
    assert view_command.main(_args(str(corpus), "-o", str(out))) == 0
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    folder = tmp_path / "sheets"
    folder.mkdir()
    (folder / f"{INJECTION_ID}.json").write_text(json.dumps(injection_sheet()), encoding="utf-8")
    (folder / "broken.json").write_text("{}", encoding="utf-8")
    assert view_command.main(_args(str(folder), "--articles", str(corpus))) == 1  # one file is no sheet
    assert (folder / "report.html").exists()


def test_command_fails_on_a_folder_without_sheets(tmp_path: Path) -> None:
    assert view_command.main(_args(str(tmp_path))) == 1
    assert not (tmp_path / "report.html").exists()


@pytest.mark.parametrize(("value", "shown"), [(1e11, "100 billion"), (4600, "4,600"), (7.2, "7.2"),
                                               (-12, "-12"), (3.43e10, "34.3 billion")])
def test_format_number(value: float, shown: str) -> None:
    assert format_number(value) == shown
