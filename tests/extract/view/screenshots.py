"""Remake the screenshots in docs/img from the hand labels (not a test; run it by hand).

    .venv/bin/python tests/extract/view/screenshots.py

viewer.png: the seed articles' hand labels in the viewer, a highlight clicked open.
eval-report.png and eval-report-article.png: the eval report of a perturbed copy of the
hand labels (facts left out, wrong enums, a made-up metric), so every outcome shows.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from chromium_cdp import Browser, Page, find_chromium
from viewer_corpus import ROOT, perturb, write_corpus

from evals.html_report import render_eval_html
from evals.scoring import Case, score
from extract.view import load_folder, render_viewer
from schemas import FactSheet

IMG = ROOT / "docs" / "img"


def viewer_shot(page: Page, corpus: Path, work: Path) -> None:
    articles, _ = load_folder(corpus, [])
    articles = [a for a in articles if not a.id.startswith("zz_")]
    path = work / "viewer.html"
    path.write_text(render_viewer(articles, title="Fact sheets: hand labels of the seed articles"), encoding="utf-8")
    page.goto(path.as_uri())
    page.wait_for("!!document.body && document.body.dataset.ready === '1'")
    page.eval("document.getElementById('a-0').scrollIntoView({block: 'start'})")
    # Open the card of a stretch of text that two facts share, as a reader would.
    page.eval("""(() => { const m = document.querySelector('#a-0 mark.hl[style]');
      m.id = 'shot'; window.scrollBy(0, m.getBoundingClientRect().top - 300); })()""")
    page.click("#shot")
    page.wait_for("!document.getElementById('tip').hidden")
    page.screenshot(IMG / "viewer.png")


def eval_shots(page: Page, corpus: Path, work: Path) -> None:
    cases, texts = [], {}
    for path in sorted(corpus.glob("*.json")):
        if path.stem.startswith("zz_"):
            continue
        raw = FactSheet.model_validate_json(path.read_text(encoding="utf-8")).model_dump(mode="json")
        text = (corpus / f"{path.stem}.txt").read_text(encoding="utf-8")
        texts[path.stem] = text
        cases.append(Case(path.stem, text, FactSheet.model_validate(raw), FactSheet.model_validate(perturb(raw, text))))
    html = render_eval_html(score(cases, "perturbed hand labels"), texts)
    path = work / "eval.html"
    path.write_text(html, encoding="utf-8")
    page.goto(path.as_uri())
    page.wait_for("!!document.body && document.body.dataset.ready === '1'")
    page.screenshot(IMG / "eval-report.png")
    page.eval("document.getElementById('a-0').scrollIntoView({block: 'start'})")
    # A short missed span (one line), near the top of its text box, with its card below it.
    page.eval("""(() => { const items = [...document.querySelectorAll('#a-0 .eval-side:first-child .fact-item.c-missed')];
      const item = items.find(x => x.dataset.fact.includes('-m')) || items[0];
      const m = document.querySelector('mark[data-facts~="' + item.dataset.fact + '"]'); m.id = 'shot';
      const box = m.closest('.text'); box.scrollTop += m.getBoundingClientRect().top - box.getBoundingClientRect().top - 60;
      })()""")
    page.settle()
    page.hover("#shot")
    page.wait_for("!document.getElementById('tip').hidden")
    page.screenshot(IMG / "eval-report-article.png")


def main() -> int:
    executable = find_chromium()
    if executable is None:
        print("no Chromium found: apt-get install chromium", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        corpus = write_corpus(work / "corpus")
        browser = Browser(executable)
        try:
            page = browser.new_page(1400, 900)
            viewer_shot(page, corpus, work)
            eval_shots(page, corpus, work)
        finally:
            browser.close()
    for name in ("viewer.png", "eval-report.png", "eval-report-article.png"):
        print(IMG / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
