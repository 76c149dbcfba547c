"""Fixtures for the viewer tests: a corpus of sheets and texts, the rendered pages, a browser.

The corpus (viewer_corpus.py) is the hand-labelled seed articles plus an injection article.
Browser fixtures skip, with the reason, when no Chromium is installed (and fail instead
when FACTSHEET_REQUIRE_BROWSER is set, as CI may do so that they never go silently unrun).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from chromium_cdp import Browser, Page, find_chromium
from viewer_corpus import ARTEFACTS, INJECTION_ID, perturb, write_corpus

from extract.view import load_folder, render_viewer


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="session")
def viewer_page(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    articles, errors = load_folder(corpus, [])
    assert not errors
    path = tmp_path_factory.mktemp("viewer") / "report.html"
    path.write_text(render_viewer(articles, errors), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def artefacts() -> Path:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    return ARTEFACTS


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = find_chromium()
    if executable is None and os.environ.get("FACTSHEET_REQUIRE_BROWSER"):
        pytest.fail("FACTSHEET_REQUIRE_BROWSER is set but no Chromium was found: apt-get install chromium")
    if executable is None:
        pytest.skip("no Chromium found: install Debian's 'chromium' package (apt-get install chromium) "
                    "or set FACTSHEET_CHROMIUM to a Chromium or Chrome binary")
    instance = Browser(executable)
    try:
        yield instance
    finally:
        instance.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    tab = browser.new_page()
    try:
        yield tab
    finally:
        tab.close()


@pytest.fixture(scope="session")
def eval_page(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    """The eval report page for perturbed gold, and the counts it must show."""
    from evals.html_report import render_eval_html
    from evals.scoring import Case, score
    from schemas import FactSheet

    cases, texts = [], {}
    for path in sorted(corpus.glob("*.json")):
        if path.stem == INJECTION_ID:
            continue
        raw = json.loads(path.read_text(encoding="utf-8"))
        text = (corpus / f"{path.stem}.txt").read_text(encoding="utf-8")
        texts[path.stem] = text
        cases.append(Case(path.stem, text, FactSheet.model_validate(raw), FactSheet.model_validate(perturb(raw, text))))
    report = score(cases, "perturbed gold")
    records = [r for a in report.articles for m in a.matched for r in (m.gold, m.predicted)]
    records += [u.fact for a in report.articles for u in (*a.missed, *a.spurious)]
    expected = {
        "spans": sum(1 for r in records for e in r.evidence if e.found),
        "missed": sum(len(a.missed) for a in report.articles),
        "spurious": sum(len(a.spurious) for a in report.articles),
        "field_error": 2 * sum(1 for a in report.articles for m in a.matched if m.field_errors),
        "matched": 2 * sum(1 for a in report.articles for m in a.matched if not m.field_errors),
    }
    assert expected["missed"] and expected["spurious"] and expected["field_error"]
    path = tmp_path_factory.mktemp("eval") / "eval.html"
    path.write_text(render_eval_html(report, texts), encoding="utf-8")
    return path, expected
