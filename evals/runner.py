"""Getting predictions: run a backend over the labelled articles, or read a folder of sheets."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from pydantic import ValidationError

from evals.gold import GoldArticle, Prediction, load_predictions
from evals.scoring import Case
from extract.articles import Article
from extract.backends import make_backend
from extract.errors import FactsheetError
from extract.pipeline import extract_article

log = logging.getLogger("factsheet")


def run_backend(name: str, articles: list[Article]) -> list[Prediction]:
    """One prediction per article from backend `name`; an article that fails is recorded, not raised."""
    backend = make_backend(name, {})

    async def one(article: Article, semaphore: asyncio.Semaphore) -> Prediction:
        async with semaphore:
            try:
                return Prediction(article.id, sheet=await extract_article(article, backend))
            except (FactsheetError, ValidationError) as e:
                return Prediction(article.id, error=str(e))
            except Exception as e:  # one article's bug must not stop the others
                log.debug("unexpected error on %s", article.id, exc_info=True)
                return Prediction(article.id, error=f"internal error ({type(e).__name__}: {e})")

    async def main() -> list[Prediction]:
        semaphore = asyncio.Semaphore(max(1, backend.concurrency))
        try:
            return list(await asyncio.gather(*(one(a, semaphore) for a in articles)))
        finally:
            await backend.aclose()

    return asyncio.run(main())


def cases(gold: list[GoldArticle], predictions: list[Prediction]) -> list[Case]:
    """Scoring cases pairing each gold article with its prediction (by article id)."""
    by_id = {p.article_id: p for p in predictions}
    out = []
    for g in gold:
        p = by_id.get(g.id) or Prediction(g.id, error="no prediction")
        out.append(Case(g.id, g.article.text, g.sheet, p.sheet, p.error))
    return out


def predictions_for(gold: list[GoldArticle], *, backend: str | None = None, pred_dir: Path | None = None) -> list[Prediction]:
    """Predictions from a backend run or a folder, for exactly the gold articles."""
    articles = [g.article for g in gold]
    if backend is not None:
        return run_backend(backend, articles)
    assert pred_dir is not None
    if not pred_dir.is_dir():
        raise FactsheetError(f"prediction folder {pred_dir} does not exist: pass --pred with a folder of <id>.json sheets")
    return load_predictions(pred_dir, articles)
