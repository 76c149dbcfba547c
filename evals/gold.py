"""Loading hand labels (evals/gold/<id>.json) and prediction folders (<id>.json).

Gold evidence may omit `start`/`end`: the loader finds each quote with the aligner and
rejects one it cannot find. Prediction folders are read leniently: a file that is
missing or does not parse is recorded as an invalid article (for the validity rate),
never raised.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from extract.align import FoldedText
from extract.articles import SIDECAR_SUFFIX, Article, ArticleSource, load
from extract.canonical import Canonicaliser
from extract.errors import FactsheetError
from schemas import FACT_TYPES, FactSheet


class GoldError(FactsheetError):
    """A gold file cannot be used: bad JSON, a quote not in the article, a schema error."""


@dataclass(frozen=True)
class GoldArticle:
    """One labelled article: its text and metadata, and the gold sheet with offsets filled in."""

    article: Article
    sheet: FactSheet

    @property
    def id(self) -> str:
        return self.article.id


@dataclass(frozen=True)
class Prediction:
    """A predicted sheet for one article, or the reason there is none (an invalid output)."""

    article_id: str
    sheet: FactSheet | None = None
    error: str | None = None

    @property
    def valid(self) -> bool:
        return self.sheet is not None


def find_article(articles_dir: Path, article_id: str) -> Path:
    """The article file `<id>.<ext>` in a folder (preferring .txt); GoldError when absent."""
    preferred = articles_dir / f"{article_id}.txt"
    if preferred.is_file():
        return preferred
    for path in sorted(articles_dir.glob(f"{article_id}.*")):
        if path.is_file() and path.stem == article_id and not path.name.endswith(SIDECAR_SUFFIX):
            return path
    raise GoldError(f"no article text for {article_id!r} in {articles_dir}: put {article_id}.txt there or pass --articles")


def fill_offsets(data: dict[str, Any], folded: FoldedText, *, strict: bool, label: str) -> dict[str, Any]:
    """A copy of sheet JSON whose evidence items carry offsets found by the aligner.

    Offsets already present are only used as a hint for which occurrence is meant. With
    `strict`, an unfound quote raises GoldError naming `label` and the quote; otherwise the
    item is left as it is, so schema validation (or the grounding check) judges it.
    """
    out = dict(data)
    for list_name in FACT_TYPES:
        facts = data.get(list_name)
        if not isinstance(facts, list):
            continue
        new_facts = []
        for fact in facts:
            if isinstance(fact, dict) and isinstance(fact.get("evidence"), list):
                fact = {**fact, "evidence": [_fill_one(ev, folded, strict=strict, label=label) for ev in fact["evidence"]]}
            new_facts.append(fact)
        out[list_name] = new_facts
    return out


def _fill_one(evidence: Any, folded: FoldedText, *, strict: bool, label: str) -> Any:
    if not isinstance(evidence, dict) or not isinstance(evidence.get("quote"), str):
        return evidence
    quote = evidence["quote"]
    near = evidence.get("start") if isinstance(evidence.get("start"), int) else None
    span = folded.find(quote, near=near)
    if span is None:
        if strict:
            raise GoldError(f"{label}: quote not found in the article (copy it verbatim from the text): {quote!r}")
        return evidence
    return {"quote": folded.text[span.start : span.end], "start": span.start, "end": span.end}


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise GoldError(f"{path}: not readable JSON: {e}") from e


def load_gold_file(path: Path, article: Article, canonicaliser: Canonicaliser | None = None) -> FactSheet:
    """The gold sheet in `path` for `article`: offsets computed, names canonical, validated."""
    data = _read_json(path)
    if not isinstance(data, dict):
        raise GoldError(f"{path}: a gold file holds one FactSheet JSON object")
    meta = data.get("article") or {}
    if meta.get("sha256") and meta["sha256"] != article.meta.sha256:
        raise GoldError(f"{path}: sha256 differs from the article text {article.path}: the label was made "
                        "for another version of the article; re-check the quotes and update sha256")
    data = fill_offsets(data, FoldedText(article.text), strict=True, label=str(path))
    try:
        sheet = FactSheet.model_validate(data)
        return (canonicaliser or Canonicaliser.default()).sheet(sheet)
    except ValidationError as e:
        raise GoldError(f"{path}: not a valid FactSheet: {e}") from e


def load_gold(gold_dir: Path, articles_dir: Path) -> list[GoldArticle]:
    """Every gold file in `gold_dir` (sorted by id) with its article from `articles_dir`."""
    paths = sorted(gold_dir.glob("*.json"))
    if not paths:
        raise GoldError(f"no gold files (*.json) in {gold_dir}: pass --gold with the folder of hand labels")
    canonicaliser = Canonicaliser.default()
    gold: list[GoldArticle] = []
    for path in paths:
        try:
            article = load(ArticleSource(id=path.stem, path=find_article(articles_dir, path.stem)))
        except FactsheetError as e:
            raise GoldError(f"{path}: cannot read its article: {e}") from e
        gold.append(GoldArticle(article=article, sheet=load_gold_file(path, article, canonicaliser)))
    return gold


def parse_prediction(article: Article, data: Any) -> Prediction:
    """A prediction from sheet JSON; evidence without offsets is aligned (as in gold files)."""
    if not isinstance(data, dict):
        return Prediction(article.id, error="output is not a JSON object")
    data = fill_offsets(data, FoldedText(article.text), strict=False, label=article.id)
    try:
        sheet = FactSheet.model_validate(data)
    except ValidationError as e:
        return Prediction(article.id, error=f"not a valid FactSheet: {_first_error(e)}")
    if sheet.article.id != article.id:
        return Prediction(article.id, error=f"sheet is for article {sheet.article.id!r}, not {article.id!r}")
    return Prediction(article.id, sheet=sheet)


def _first_error(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
    return f"{where}: {first['msg']}{more}"


def load_predictions(pred_dir: Path, articles: list[Article]) -> list[Prediction]:
    """The prediction `pred_dir/<id>.json` for each article; failures recorded, not raised."""
    predictions = []
    for article in articles:
        path = pred_dir / f"{article.id}.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            predictions.append(Prediction(article.id, error=f"no output file {path}"))
            continue
        except (OSError, UnicodeDecodeError, ValueError) as e:
            predictions.append(Prediction(article.id, error=f"{path.name} is not readable JSON: {e}"))
            continue
        predictions.append(parse_prediction(article, data))
    return predictions
