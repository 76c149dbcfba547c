"""Helpers for the rules backend tests: articles built from invented news text."""

from __future__ import annotations

from datetime import date

from extract.articles import Article, sha256_text
from extract.backends.rules import extract_sheet
from schemas import ArticleMeta, FactSheet

PUBLISHED = date(2021, 12, 20)


def article(text: str, published: date | None = PUBLISHED, article_id: str = "synthetic") -> Article:
    meta = ArticleMeta(id=article_id, published=published, sha256=sha256_text(text))
    return Article(meta=meta, text=text)


def sheet(text: str, published: date | None = PUBLISHED) -> FactSheet:
    return extract_sheet(article(text, published))


def assert_grounded(text: str, facts: list) -> None:
    """Every quote of every fact stands at its offsets in the text."""
    for fact in facts:
        assert fact.evidence, fact
        for ev in fact.evidence:
            assert text[ev.start : ev.end] == ev.quote
