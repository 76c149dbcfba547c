"""The viewer and the eval report in headless Chromium, driven over the DevTools protocol.

Clicks and hovers are real mouse events at the element's place on the screen. Each test
opens the page in a fresh tab of one browser per module; every wait has a deadline.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from chromium_cdp import Page
from viewer_corpus import INJECTION_ID

from extract.view import load_folder

pytestmark = pytest.mark.browser

# A mark is in view when it is below the sticky header and above the bottom of the window.
IN_VIEW = """(sel => {{ const m = document.querySelector(sel); if (!m) return false;
  const r = m.getBoundingClientRect(), h = document.querySelector('header.top').offsetHeight;
  return r.top >= h && r.bottom <= innerHeight; }})({sel})"""


def in_view(selector: str) -> str:
    return IN_VIEW.format(sel=json.dumps(selector))


def open_page(page: Page, path: Path) -> None:
    page.goto(path.as_uri())
    page.wait_for("!!document.body && document.body.dataset.ready === '1'")


def expected_spans(corpus: Path) -> int:
    articles, _ = load_folder(corpus, [])
    return sum(len(f.evidence) for a in articles for _, f in a.sheet.facts())


def no_script_errors(page: Page) -> None:
    errors = page.events("Runtime.exceptionThrown")
    assert not errors, errors[0]["params"]["exceptionDetails"]


def test_one_highlight_per_evidence_span(page: Page, viewer_page: Path, corpus: Path) -> None:
    open_page(page, viewer_page)
    distinct = page.eval("new Set([...document.querySelectorAll('main mark.hl[data-ev]')]"
                         ".flatMap(m => m.dataset.ev.split(' '))).size")
    assert distinct == expected_spans(corpus)
    assert page.eval("document.querySelectorAll('main .anchor').length") == distinct
    no_script_errors(page)


def test_clicking_a_fact_scrolls_to_its_span_and_flashes_it(page: Page, viewer_page: Path, artefacts: Path) -> None:
    open_page(page, viewer_page)
    page.eval("document.getElementById('a-3').scrollIntoView({block: 'start'})")
    # The fact of this article whose span stands furthest down the text: off screen for now.
    fact = page.eval("""(() => { let best = null, top = -1;
      for (const it of document.querySelectorAll('#a-3 .fact-item')) {
        const m = document.querySelector('mark[data-facts~="' + it.dataset.fact + '"]');
        if (m && m.getBoundingClientRect().top > top) { top = m.getBoundingClientRect().top; best = it.dataset.fact; }
      } return best; })()""")
    mark = f'mark[data-facts~="{fact}"]'
    assert not page.eval(in_view(mark))
    item = f'.fact-item[data-fact="{fact}"]'
    page.eval(f"""(() => {{ const it = document.querySelector('{item}'), pane = it.closest('.side-inner');
      pane.scrollTop += it.getBoundingClientRect().top - pane.getBoundingClientRect().top - 8; }})()""")
    before = page.eval("scrollY")
    page.click(item)
    page.wait_for(in_view(mark))
    assert page.eval(f"document.querySelector('{mark}').classList.contains('flash')")
    assert page.eval(f"[...document.querySelectorAll('{mark}')].every(m => m.classList.contains('flash'))")
    assert page.eval(f"document.querySelector('{item}').classList.contains('active')")
    assert page.eval("scrollY") > before
    page.screenshot(artefacts / "viewer-after-click.png")
    page.wait_for(f"!document.querySelector('{mark}').classList.contains('flash')", timeout=4)
    no_script_errors(page)


def test_hovering_and_clicking_a_highlight_shows_the_fact(page: Page, viewer_page: Path, artefacts: Path) -> None:
    open_page(page, viewer_page)
    page.eval("document.getElementById('a-0').scrollIntoView({block: 'start'})")
    mark = "#a-0 mark.hl[data-facts]"
    page.wait_for(in_view(mark))
    page.settle()  # the page hides an unpinned card on scroll: let the scroll's events pass first
    fact = page.eval(f"document.querySelector('{mark}').dataset.facts.split(' ')[0]")
    label = page.eval(f"JSON.parse(document.getElementById('factsheet-data').textContent).facts['{fact}'].label")
    page.hover(mark)
    page.wait_for("!document.getElementById('tip').hidden")
    assert label in page.eval("document.getElementById('tip').textContent")
    page.click(mark)
    page.wait_for(f"document.querySelector('{mark}').classList.contains('pinned')")
    assert page.eval(f"document.querySelector('.fact-item[data-fact=\"{fact}\"]').classList.contains('active')")
    page.screenshot(artefacts / "viewer-tooltip.png")
    page.send("Input.dispatchKeyEvent", {"type": "keyDown", "key": "Escape"})
    page.wait_for("document.getElementById('tip').hidden")


def test_overview_tables_sort_filter_and_link_to_spans(page: Page, viewer_page: Path) -> None:
    open_page(page, viewer_page)
    values = "[...document.querySelectorAll('#table-metrics tbody tr')].map(r => parseFloat(r.cells[2].dataset.sort))"
    page.click("#table-metrics th[data-col='2']")
    ascending = page.eval(values)
    assert ascending == sorted(ascending) and len(ascending) > 5
    page.click("#table-metrics th[data-col='2']")
    assert page.eval(values) == sorted(ascending, reverse=True)
    page.eval("""(() => { const s = document.querySelector('.filters[data-table="table-metrics"] select[data-col="0"]');
      s.value = s.options[2].value; s.dispatchEvent(new Event('change', {bubbles: true})); })()""")
    visible = "[...document.querySelectorAll('#table-metrics tbody tr:not(.hidden)')]"
    chosen = page.eval("document.querySelector('.filters[data-table=\"table-metrics\"] select[data-col=\"0\"]').value")
    assert page.eval(f"{visible}.every(r => r.cells[0].textContent === {json.dumps(chosen)})")
    assert page.eval(f"{visible}.length") < len(ascending)
    fact = page.eval(f"{visible}[0].dataset.fact")
    page.click(f"#table-metrics tr[data-fact='{fact}'] a.jump")
    page.wait_for(in_view(f'mark[data-facts~="{fact}"]'))
    assert page.eval(f"document.querySelector('mark[data-facts~=\"{fact}\"]').classList.contains('flash')")
    no_script_errors(page)


def test_injection_article_runs_nothing(page: Page, viewer_page: Path) -> None:
    open_page(page, viewer_page)
    section = f"section[data-article='{INJECTION_ID}']"
    page.eval(f"document.querySelector(\"{section}\").scrollIntoView({{block: 'start'}})")
    text = page.eval(f"document.querySelector(\"{section} .text\").textContent")
    assert "<script>window.__pwned = 1; alert('script ran')</script>" in text
    assert "<img src=x onerror=" in text
    # Hover and pin every highlight of the article, so that each fact's card is built too.
    for index in range(page.eval(f"document.querySelectorAll(\"{section} mark.hl\").length")):
        page.eval(f"document.querySelectorAll(\"{section} mark.hl\")[{index}].scrollIntoView({{block: 'center'}})")
        x, y = page.eval(f"""(() => {{ const r = document.querySelectorAll("{section} mark.hl")[{index}]
          .getClientRects()[0]; return [r.left + r.width / 2, r.top + r.height / 2]; }})()""")
        page.mouse("mouseMoved", x, y)
        page.click_at(x, y)
    page.wait_for("!document.getElementById('tip').hidden")
    assert page.eval("window.__pwned") is None
    assert page.eval("document.querySelectorAll('img, svg, b, i').length") == 0
    assert page.eval("document.scripts.length") == 2
    assert not page.events("Page.javascriptDialogOpening")
    title = page.eval(f"document.querySelector(\"{section} h2\").textContent")
    assert title == "<script>window.__pwned = 7</script>Injected"
    no_script_errors(page)


def test_eval_report_marks_outcomes_on_the_text(page: Page, eval_page: tuple[Path, dict], artefacts: Path) -> None:
    path, expected = eval_page
    open_page(page, path)
    distinct = page.eval("new Set([...document.querySelectorAll('main mark.hl[data-ev]')]"
                         ".flatMap(m => m.dataset.ev.split(' '))).size")
    assert distinct == expected["spans"]
    for cls in ("missed", "spurious", "field_error", "matched"):
        assert page.eval(f"document.querySelectorAll('.fact-item.c-{cls}').length") == expected[cls], cls
    assert page.eval("document.querySelectorAll('section.chart svg rect').length") >= 12
    page.screenshot(artefacts / "eval-report.png")
    missed = page.eval("document.querySelectorAll('#a-2 .fact-item.c-missed')[0].dataset.fact")
    page.eval(f"document.querySelector('.fact-item[data-fact=\"{missed}\"]').scrollIntoView({{block: 'center'}})")
    page.click(f'.fact-item[data-fact="{missed}"]')
    page.wait_for(in_view(f'mark[data-facts~="{missed}"]'))
    assert page.eval(f"document.querySelector('mark[data-facts~=\"{missed}\"]').classList.contains('flash')")
    page.settle()
    page.hover(f'mark[data-facts~="{missed}"]')
    page.wait_for("!document.getElementById('tip').hidden")
    assert "MISSED" in page.eval("document.getElementById('tip').innerText").upper()
    no_script_errors(page)
