"""The extraction pipeline: articles in, grounded and canonical fact sheets out.

Each article is read, extracted, grounded and canonicalised on its own: a bad article
gets an error and the others go on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from extract.articles import DEFAULT_MAX_BYTES, Article, ArticleSource, load
from extract.backends.base import Backend
from extract.canonical import Canonicaliser
from extract.errors import FactsheetError
from extract.grounding import ground_sheet
from extract.output import write_jsonl, write_sheet
from schemas import FactSheet, Usage

log = logging.getLogger("factsheet")

COMBINED_JSONL = "factsheets.jsonl"


@dataclass
class ArticleResult:
    source: ArticleSource
    sheet: FactSheet | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.sheet is not None


@dataclass
class RunReport:
    results: list[ArticleResult] = field(default_factory=list)

    @property
    def failed(self) -> list[ArticleResult]:
        return [r for r in self.results if not r.ok]

    @property
    def sheets(self) -> list[FactSheet]:
        return [r.sheet for r in self.results if r.sheet is not None]

    @property
    def usage(self) -> Usage:
        total = Usage()
        for sheet in self.sheets:
            total = total + sheet.provenance.usage
        return total


def finish_sheet(article: Article, sheet: FactSheet, canonicaliser: Canonicaliser | None = None) -> FactSheet:
    """Ground and canonicalise a backend's sheet; facts whose quotes are not found are dropped."""
    canonicaliser = canonicaliser or Canonicaliser.default()
    sheet = sheet.model_copy(update={"article": article.meta})
    grounded = ground_sheet(article.text, sheet)
    for reason in grounded.dropped:
        log.warning("%s: dropped a fact: %s", article.id, reason)
    result = canonicaliser.sheet(grounded.sheet)
    provenance = result.provenance.model_copy(update={"aliases_version": canonicaliser.version})
    return result.model_copy(update={"provenance": provenance})


async def extract_article(article: Article, backend: Backend, canonicaliser: Canonicaliser | None = None) -> FactSheet:
    """One article through a backend, grounded and canonicalised."""
    sheet = await backend.extract(article)
    return finish_sheet(article, sheet, canonicaliser)


@dataclass
class RunOptions:
    out_dir: Path
    max_bytes: int = DEFAULT_MAX_BYTES
    encoding: str | None = None
    write_combined: bool = True


async def run_sources(
    sources: Iterable[ArticleSource],
    backend: Backend,
    options: RunOptions,
    on_result: Callable[[ArticleResult], None] | None = None,
) -> RunReport:
    """Extract every source with at most `backend.concurrency` in flight; write as they finish."""
    canonicaliser = Canonicaliser.default()
    semaphore = asyncio.Semaphore(max(1, backend.concurrency))
    source_list = list(sources)

    async def one(source: ArticleSource) -> ArticleResult:
        async with semaphore:
            result = ArticleResult(source)
            try:
                article = load(source, max_bytes=options.max_bytes, encoding=options.encoding)
                sheet = await extract_article(article, backend, canonicaliser)
                write_sheet(options.out_dir, sheet)
                result.sheet = sheet
            except FactsheetError as e:
                result.error = str(e)
            except Exception as e:  # one article's bug must not stop the others
                log.debug("unexpected error on %s", source.label, exc_info=True)
                result.error = f"internal error ({type(e).__name__}: {e}); please report it"
            if on_result:
                on_result(result)
            return result

    options.out_dir.mkdir(parents=True, exist_ok=True)
    report = RunReport(results=list(await asyncio.gather(*(one(s) for s in source_list))))
    if options.write_combined:
        write_jsonl(options.out_dir / COMBINED_JSONL, report.sheets)
    return report


def run(sources: Iterable[ArticleSource], backend: Backend, options: RunOptions,
        on_result: Callable[[ArticleResult], None] | None = None) -> RunReport:
    """Synchronous entry point: runs the pipeline and closes the backend."""

    async def main() -> RunReport:
        try:
            return await run_sources(sources, backend, options, on_result)
        finally:
            await backend.aclose()

    return asyncio.run(main())
