"""The viewer as a site: index, one page per article, paged tables, conflicts, texts from the store."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from chromium_cdp import Page

from extract.articles import Article, discover
from extract.backends.base import Backend
from extract.commands import view as view_command
from extract.corpus import write_corpus
from extract.pipeline import RunOptions, run
from extract.view import load_folder, site
from extract.view.html import esc
from extract.view.site import SitePage
from schemas import ArticleMeta, Evidence, FactSheet, Metric, Provenance


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    view_command.add_parser(parser.add_subparsers())
    return parser.parse_args(["view", *argv])


def test_site_has_an_index_and_a_page_per_article_naming_articles_by_title(corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "report.html"
    assert view_command.main(_args(str(corpus), "-o", str(index))) == 0
    articles, _ = load_folder(corpus, [])
    pages = tmp_path / "report_files"
    for article in articles:
        page_html = (pages / "articles" / f"{article.id}.html").read_text(encoding="utf-8")
        assert page_html.count("<section class=\"article\"") == 1 and "../../report.html" in page_html
    html = index.read_text(encoding="utf-8")
    assert html.count("<tr data-article=") == len(articles)
    titled = [a for a in articles if a.sheet.article.title]
    assert titled and all(esc(a.sheet.article.title) in html for a in titled)
    metrics = (pages / "metrics.html").read_text(encoding="utf-8")
    assert metrics.count("<tr") - 1 == sum(len(a.sheet.metrics) for a in articles)  # one row per metric, and the head
    with_metrics = [a for a in titled if a.sheet.metrics]
    assert with_metrics and all(f">{esc(a.sheet.article.title)}<" in metrics for a in with_metrics)
    assert "href=\"articles/" in metrics


def test_tables_are_paged(corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(site, "ROWS_PER_PAGE", 5)
    index = tmp_path / "report.html"
    view_command.main(_args(str(corpus), "-o", str(index)))
    articles, _ = load_folder(corpus, [])
    n = sum(len(a.sheet.policy_statements) for a in articles)
    pages = sorted((tmp_path / "report_files").glob("statements*.html"))
    assert len(pages) == -(-n // 5) > 1
    assert sum(p.read_text(encoding="utf-8").count("<tr>") - 1 for p in pages) == n  # less each head row


def _sheet(article_id: str, title: str, value: float) -> FactSheet:
    quote = f"In 2020, Xiamen ran {value:.0f} trains."
    return FactSheet(article=ArticleMeta(id=article_id, sha256="0" * 64, title=title),
                     metrics=[Metric(subject="freight trains", value=value, unit="trains", kind="count", period="2020",
                                     location="Xiamen", evidence=[Evidence(quote=quote, start=0, end=len(quote))])],
                     provenance=Provenance(backend="fake"))


def test_conflicts_are_shown_with_the_other_articles_title(tmp_path: Path) -> None:
    out = tmp_path / "out"
    sheets = [_sheet("a1", "Xiamen trains up", 4600), _sheet("a2", "A rival count", 4400)]
    for sheet in sheets:
        (out / f"{sheet.article.id}.txt").parent.mkdir(parents=True, exist_ok=True)
        (out / f"{sheet.article.id}.txt").write_text(sheet.metrics[0].evidence[0].quote, encoding="utf-8")
        (out / f"{sheet.article.id}.json").write_text(sheet.model_dump_json(), encoding="utf-8")
    write_corpus(out, sheets)
    view_command.main(_args(str(out)))
    metrics = (out / "report_files" / "metrics.html").read_text(encoding="utf-8")
    assert metrics.count("class=\"has-conflict\"") == 2
    assert "4,400 trains in A rival count" in metrics and "4,600 trains in Xiamen trains up" in metrics
    assert "2 metrics in conflict" in (out / "report.html").read_text(encoding="utf-8")


class _OneMetric(Backend):
    """Quotes the article's first sentence as one metric."""

    name = "one-metric"

    async def extract(self, article: Article) -> FactSheet:
        quote = article.text.split(".")[0] + "."
        return FactSheet(article=article.meta, provenance=Provenance(backend=self.name), metrics=[
            Metric(subject="trains", value=4600, unit="trains", kind="count",
                   evidence=[Evidence(quote=quote, start=0, end=len(quote))])])


def test_plain_view_finds_the_texts_where_the_last_run_read_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    articles, out = tmp_path / "elsewhere" / "articles", tmp_path / "out"
    articles.mkdir(parents=True)
    for i in range(3):
        (articles / f"a{i}.txt").write_text(f"Xiamen ran 4600 trains in year {i}. More news.\n", encoding="utf-8")
    run(list(discover([str(articles)])), _OneMetric(), RunOptions(out_dir=out))
    monkeypatch.chdir(tmp_path)  # no ./seeds, no --articles: only the store knows where the texts are
    assert view_command.main(_args("out")) == 0
    page_html = (out / "report_files" / "articles" / "a1.html").read_text(encoding="utf-8")
    assert "not found" not in page_html and "<mark " in page_html


def test_registered_pages_are_written_and_linked(corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []

    def render(context: site.SiteContext) -> str:
        seen.append(len(context.articles))
        return "<p id=\"places\">every place</p>"

    monkeypatch.setattr(site, "PAGES", [SitePage("By place", "places.html", render)])
    index = tmp_path / "report.html"
    view_command.main(_args(str(corpus), "-o", str(index)))
    assert seen == [len(load_folder(corpus, [])[0])]
    assert "href=\"report_files/places.html\">By place<" in index.read_text(encoding="utf-8")
    assert "every place" in (tmp_path / "report_files" / "places.html").read_text(encoding="utf-8")
    assert "href=\"../places.html\"" in next((tmp_path / "report_files" / "articles").glob("*.html")).read_text()


@pytest.mark.browser
def test_site_opens_in_chromium_and_links_from_tables_to_spans(page: Page, corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "report.html"
    view_command.main(_args(str(corpus), "-o", str(index)))
    page.goto(index.as_uri())
    page.wait_for("!!document.body && document.body.dataset.ready === '1'")
    n = len(load_folder(corpus, [])[0])
    assert page.eval("document.querySelectorAll('#table-articles tbody tr').length") == n
    page.goto((tmp_path / "report_files" / "metrics.html").as_uri())
    page.wait_for("!!document.body && document.body.dataset.ready === '1'")
    href = page.eval("document.querySelector('a.jump').href")
    page.click("a.jump")
    # Polled while the next page loads: a check that runs between two documents counts as "not yet".
    page.wait_for(f"(() => {{ try {{ return location.href === {href!r} && document.body.dataset.ready === '1'; }} "
                  "catch (e) { return false; } })()", timeout=10)
    target = href.split("#", 1)[1]
    assert page.eval(f"!!document.getElementById({target!r})")
    assert page.eval("document.querySelectorAll('main mark.hl').length") > 0
    assert not page.events("Runtime.exceptionThrown")


def test_entity_pages_are_part_of_the_site(tmp_path: Path) -> None:
    from extract.articles import discover as find
    from extract.backends.rules import RulesBackend

    seeds = Path(__file__).resolve().parents[3] / "seeds"
    out = tmp_path / "out"
    run(list(find([str(seeds)])), RulesBackend(), RunOptions(out_dir=out, workers=1))
    assert view_command.main(_args(str(out))) == 0
    index = (out / "report.html").read_text(encoding="utf-8")
    assert 'href="report_files/places.html">By place<' in index and 'href="report_files/projects.html">By project<' in index
    places = (out / "report_files" / "places.html").read_text(encoding="utf-8")
    assert "<svg" in places and 'href="../report.html"' in places
