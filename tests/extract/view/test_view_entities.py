"""The "By place" and "By project" pages: rendering, escaping, and in headless Chromium.

The corpus is the viewer tests' (hand-labelled seeds and the injection article, from
viewer_corpus.py) plus invented articles that follow one freight service over four years,
with a figure two articles disagree on and a project whose status moves on. The browser
tests reuse the viewer tests' DevTools harness (chromium_cdp.py, fixtures in conftest.py).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from chromium_cdp import Page
from viewer_corpus import INJECTION_ID

from extract.corpus import ENTITIES_JSONL, merge_corpus, write_corpus
from extract.entities import build_entities
from extract.view.entities import chart, period_x, render_entity_page, write_entity_pages, write_entity_pages_for
from schemas import FactSheet

ROOT = Path(__file__).resolve().parents[3]
SERVICE = "Silk Freight Express (Lanxi)"
PLACE = "Lanxi"
# (article id, published, period, trains): the service's yearly trips; b-2019 disagrees with a-2019.
TRIPS = [("t1", "2018-01-20", "2017", 1200), ("t2", "2019-01-18", "2018", 1850), ("t3", "2020-01-22", "2019", 2600),
         ("t4", "2021-01-25", "2020", 3720), ("t5", "2020-03-02", "2019", 2100)]


def _sheet(article_id: str, published: str, period: str, trains: int, status: str) -> dict[str, Any]:
    text = (f"{SERVICE} ran {trains:,} trips in {period}, the city's transport bureau said. "
            f"The {SERVICE} is {status.replace('_', ' ')}.")
    first = text.split(". ")[0] + "."
    second = text[len(first) + 1 :]
    start2 = len(first) + 1
    return {
        "article": {"id": article_id, "title": f"Freight trips of {period}", "source": "Invented Daily",
                    "url": f"https://example.org/{article_id}", "published": published,
                    "sha256": hashlib.sha256(text.encode()).hexdigest()},
        "metrics": [{"subject": f"{SERVICE} trips", "value": trains, "unit": "trips", "kind": "count",
                     "period": period, "location": PLACE,
                     "evidence": [{"quote": first, "start": 0, "end": len(first)}]}],
        "infrastructure_projects": [{"name": SERVICE, "kind": "rail_freight_service", "status": status,
                                     "locations": [PLACE], "evidence": [{"quote": second, "start": start2,
                                                                         "end": start2 + len(second)}]}],
        "policy_statements": [{"actor": "Lanxi transport bureau", "kind": "assessment", "jurisdiction": PLACE,
                               "summary": f"The {SERVICE} ran {trains:,} trips in {period}.",
                               "evidence": [{"quote": first, "start": 0, "end": len(first)}]}],
        "provenance": {"backend": "test"},
    }


def series_sheets() -> list[FactSheet]:
    statuses = {"t1": "planned", "t2": "under_construction"}
    return [FactSheet.model_validate(_sheet(a, p, period, n, statuses.get(a, "operational")))
            for a, p, period, n in TRIPS]


@pytest.fixture(scope="module")
def entities(corpus: Path) -> list[dict[str, Any]]:
    from extract.view import load_folder

    articles, errors = load_folder(corpus, [])
    assert not errors
    return build_entities(merge_corpus([a.sheet for a in articles] + series_sheets()))


@pytest.fixture(scope="module")
def pages(entities: list[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("entities")
    places, projects = write_entity_pages(folder, entities, home="report.html")
    return {"place": places, "project": projects}


def entity(entities: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    return next(e for e in entities if e["type"] == kind and e["name"] == name)


# --- data and rendering, no browser --------------------------------------------------


def test_a_place_has_every_metric_over_time_sorted_by_period(entities) -> None:
    place = entity(entities, "place", PLACE)
    (series,) = place["series"]
    assert [p["period"] for p in series["points"]] == ["2017", "2018", "2019", "2019", "2020"]
    conflicted = [p for p in series["points"] if p["conflicts"]]
    assert sorted(p["value"] for p in conflicted) == [2100, 2600]  # two articles disagree on 2019
    assert {s["article"] for p in series["points"] for s in p["sources"]} == {a for a, *_ in TRIPS}
    assert all(s["title"] and s["published"] and s["url"] for p in series["points"] for s in p["sources"])
    assert [s["date"] for s in place["statements"]] == sorted(s["date"] for s in place["statements"])
    assert [p["name"] for p in place["projects"]] == [SERVICE]
    assert place["n_conflicts"] == 2


def test_a_project_has_its_metrics_and_status_changes_with_dates(entities) -> None:
    project = entity(entities, "project", SERVICE)
    assert [p["value"] for p in project["series"][0]["points"]] == [1200, 1850, 2100, 2600, 3720]
    history = [(h["published"], h["status"], h["change"]) for h in project["status_history"]]
    assert history == [("2018-01-20", "planned", False), ("2019-01-18", "under_construction", True),
                       ("2020-01-22", "operational", True), ("2020-03-02", "operational", False),
                       ("2021-01-25", "operational", False)]
    assert project["status"] == "operational" and project["project_conflicts"] == []  # it moved on: no conflict
    assert len(project["statements"]) == 5


def test_entities_jsonl_is_written_by_every_corpus_write(tmp_path: Path) -> None:
    """Layout v2: an entity is a header line, then one line per series (points with ids and articles, no
    quotes); the same entities, series and points as the viewer's pages."""
    write_corpus(tmp_path, series_sheets())
    lines = [json.loads(x) for x in (tmp_path / ENTITIES_JSONL).read_text(encoding="utf-8").splitlines()]
    headers = [x for x in lines if x["type"] != "series"]
    assert [(h["type"], h["name"]) for h in headers] == [("place", PLACE), ("project", SERVICE)]
    shown = build_entities(merge_corpus(series_sheets()))
    for header, entity in zip(headers, shown, strict=True):
        assert header["id"] == entity["id"] and header["n_metrics"] == entity["n_metrics"]
        assert sorted(header["statements"]) == sorted(s["id"] for s in entity["statements"])
        series = [x for x in lines if x["type"] == "series" and x["entity"] == header["id"]]
        assert [(s["subject"], s["unit"], [(p["id"], p["period"], p["value"], p["articles"]) for p in s["points"]])
                for s in series] == [
            (s["subject"], s["unit"], [(p["id"], p["period"], p["value"], p["articles"]) for p in s["points"]])
            for s in entity["series"]]
    project = headers[1]
    assert project["status"] == "operational" and [h["status"] for h in project["status_history"]][:2] == [
        "planned", "under_construction"]
    assert "sources" not in json.dumps(lines) and "quote" not in json.dumps(lines)


def test_pages_for_an_output_folder_use_its_entities_or_the_sheets(tmp_path: Path) -> None:
    view = tmp_path / "view"
    assert [p.name for p in write_entity_pages_for(tmp_path, view, series_sheets())] == ["places.html", "projects.html"]
    assert SERVICE in (view / "projects.html").read_text(encoding="utf-8")  # no factsheets.jsonl: from the sheets
    write_corpus(tmp_path, series_sheets()[:1])
    write_entity_pages_for(tmp_path, view, series_sheets(), home="report.html")
    html = (view / "places.html").read_text(encoding="utf-8")
    assert "1,200" in html and "3,720" not in html and 'href="report.html"' in html  # from factsheets.jsonl


def test_chart_places_points_by_period_and_marks_conflicts(entities) -> None:
    assert period_x("2020") == 2020.5 and period_x("2020-01") == pytest.approx(2020 + 0.5 / 12)
    assert period_x("2013/2023") == 2023.5 and period_x(None) is None
    series = entity(entities, "place", PLACE)["series"][0]
    svg = chart(series)
    assert svg.count("<circle") == 5 and svg.count("pt conflict") == 2 and "<polyline" in svg
    assert chart({**series, "points": [{**p, "period": None} for p in series["points"]]}) == ""


def test_markup_in_fields_is_text_and_the_page_has_the_viewer_csp(entities) -> None:
    html = render_entity_page(entities, "place")
    assert "<img src=x" not in html and "&lt;img src=x onerror=" in html  # the injection article's place
    assert "window.__pwned = 5\">" not in html
    assert "Content-Security-Policy" in html and "default-src &#x27;none&#x27;; script-src &#x27;sha256-" in html
    assert html.count("<script") == 2  # the data block and the page's own script, nothing injected


# --- in the browser ------------------------------------------------------------------


def open_page(page: Page, path: Path) -> None:
    page.goto(path.as_uri())
    page.wait_for("!!document.body && document.body.dataset.ready === '1'")


def no_script_errors(page: Page) -> None:
    errors = page.events("Runtime.exceptionThrown")
    assert not errors, errors[0]["params"]["exceptionDetails"]


def section(entity_id: str) -> str:
    return f"section.entity[data-entity={json.dumps(entity_id)}]"


@pytest.mark.browser
def test_places_page_shows_each_metric_over_time(page: Page, pages, entities, artefacts: Path) -> None:
    open_page(page, pages["place"])
    places = [e for e in entities if e["type"] == "place"]
    assert page.eval("document.querySelectorAll('section.entity').length") == len(places)
    target = section(entity(entities, "place", PLACE)["id"])
    periods = page.eval(f"[...document.querySelectorAll('{target} table.points tbody tr')]"
                        ".map(r => r.cells[0].textContent)")
    assert periods == ["2017", "2018", "2019", "2019", "2020"]
    assert page.eval(f"document.querySelectorAll('{target} table.points tr.conflict').length") == 2
    # The chart is drawn: five points, left to right by period, the conflicting two in the conflict colour.
    xs = page.eval(f"[...document.querySelectorAll('{target} svg.chart circle')].map(c => c.getBoundingClientRect().x)")
    assert len(xs) == 5 and xs == sorted(xs) and xs[0] < xs[-1]
    colours = page.eval(f"[...document.querySelectorAll('{target} svg.chart circle')]"
                        ".map(c => getComputedStyle(c).fill)")
    assert len(set(colours)) == 2 and colours.count(colours[2]) == 2
    size = page.eval(f"(() => {{ const r = document.querySelector('{target} svg.chart').getBoundingClientRect();"
                     " return [r.width, r.height]; })()")
    assert size[0] > 200 and size[1] > 80
    page.eval(f"document.querySelector('{target}').scrollIntoView({{block: 'start'}})")
    page.eval("window.scrollBy(0, -document.querySelector('header.top').offsetHeight)")
    page.settle()
    page.screenshot(artefacts / "entities-places.png")
    if os.environ.get("FACTSHEET_DOCS_SCREENSHOTS"):  # remake the docs' picture: FACTSHEET_DOCS_SCREENSHOTS=1 pytest ...
        page.screenshot(ROOT / "docs" / "img" / "entities.png")
    no_script_errors(page)


@pytest.mark.browser
def test_projects_page_shows_status_changes_and_finds_by_name(page: Page, pages, entities) -> None:
    open_page(page, pages["project"])
    target = section(entity(entities, "project", SERVICE)["id"])
    rows = page.eval(f"[...document.querySelectorAll('{target} table.history tbody tr')]"
                     ".map(r => [r.cells[0].textContent, r.classList.contains('change')])")
    assert rows == [["2018-01-20", False], ["2019-01-18", True], ["2020-01-22", True], ["2020-03-02", False],
                    ["2021-01-25", False]]
    assert page.eval(f"document.querySelectorAll('{target} svg.chart circle').length") == 5
    page.eval("(() => { const i = document.getElementById('entity-filter'); i.focus(); })()")
    page.send("Input.insertText", {"text": "lanxi"})
    page.wait_for("document.getElementById('entity-shown').textContent.startsWith('1 of')")
    visible = page.eval("[...document.querySelectorAll('section.entity')].filter(s => s.offsetParent).length")
    assert visible == 1 and page.eval(f"!!document.querySelector('{target}').offsetParent")
    assert page.eval("document.querySelector('nav.pages a[href=\"places.html\"]') !== null")
    no_script_errors(page)


@pytest.mark.browser
def test_injected_markup_runs_nothing(page: Page, pages, entities) -> None:
    assert any(INJECTION_ID in p["articles"] for p in entities if p["type"] == "place")
    for kind in ("project", "place"):
        open_page(page, pages[kind])
        assert page.eval("typeof window.__pwned") == "undefined"
        assert page.eval("document.querySelectorAll('img, svg[onload], main script').length") == 0
        assert page.events("Page.javascriptDialogOpening") == []
        no_script_errors(page)
    assert '<img src=x onerror="window.__pwned = 5">' in page.eval("document.body.textContent")  # shown as text


def test_a_much_repeated_figure_shows_a_few_sources_and_says_how_many_more() -> None:
    from extract.view.entities import SHOWN_POINTS, SHOWN_SOURCES, series_block

    sources = [{"article": f"a{i}", "title": f"Story {i}", "published": "2021-01-01", "source": "X", "url": None,
                "quotes": [f"quote {i}"]} for i in range(40)]
    points = [{"id": f"m{j}", "period": f"20{j % 90 + 10:02d}", "value": j, "comparator": "eq", "location": None,
               "conflicts": [], "sources": sources} for j in range(SHOWN_POINTS + 7)]
    html = series_block({"subject": "trade", "unit": "CNY", "status": "actual", "kind": "amount", "points": points})
    assert html.count("<blockquote>") == SHOWN_POINTS  # the first source's quote of each shown point
    assert html.count('<span class="src-title">') == SHOWN_POINTS * SHOWN_SOURCES
    assert f"and {40 - SHOWN_SOURCES} more articles" in html
    assert "and 7 more figures" in html
