"""Loading fact sheets and the article texts they were made from.

A sheet names its article by id; the text is looked for beside the sheets, then in the
article folders given. A text whose sha256 differs from the sheet's is still shown, with
a warning, because the evidence may then sit elsewhere or nowhere. Sheets whose evidence
has no offsets (hand labels) get them from their quotes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from extract.align import FoldedText
from extract.articles import SIDECAR_SUFFIX, decode, sha256_text
from extract.errors import ArticleError, FactsheetError
from schemas import FactSheet

TEXT_SUFFIXES = (".txt", ".text", ".md", "")
_NOT_TEXT = (".json", ".jsonl", ".html", ".htm", ".png")


@dataclass
class ViewArticle:
    """A sheet with its article text (None when no text was found) and what went wrong."""

    sheet: FactSheet
    text: str | None
    sheet_path: Path | None = None
    text_path: Path | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.sheet.article.id


def find_text(article_id: str, folders: list[Path]) -> Path | None:
    """The article's text file: `<id>.txt` (or another text suffix) in the first folder that has it."""
    for folder in folders:
        for suffix in TEXT_SUFFIXES:
            path = folder / f"{article_id}{suffix}"
            if path.is_file():
                return path
        if folder.is_dir():
            for path in sorted(folder.glob(f"{article_id}.*")):
                if path.is_file() and not path.name.endswith(SIDECAR_SUFFIX) and path.suffix not in _NOT_TEXT:
                    return path
    return None


def _safe_id(raw: Any) -> str | None:
    article = raw.get("article") if isinstance(raw, dict) else None
    article_id = article.get("id") if isinstance(article, dict) else None
    if isinstance(article_id, str) and article_id and "/" not in article_id and "\\" not in article_id \
            and not article_id.startswith("."):
        return article_id
    return None


def _fill_offsets(raw: dict[str, Any], text: str) -> None:
    """Give evidence without offsets (a hand label's) the span of its quote, where it is found."""
    folded: FoldedText | None = None
    for list_name in ("metrics", "infrastructure_projects", "policy_statements"):
        for fact in raw.get(list_name) or []:
            for evidence in (fact.get("evidence") or []) if isinstance(fact, dict) else []:
                if not isinstance(evidence, dict) or not isinstance(evidence.get("quote"), str):
                    continue
                if "start" in evidence and "end" in evidence:
                    continue
                folded = folded or FoldedText(text)
                span = folded.find(evidence["quote"])
                if span is not None:
                    evidence["start"], evidence["end"] = span.start, span.end
                    evidence["quote"] = text[span.start : span.end]


def parse_sheet(raw: Any, text: str | None, label: str) -> FactSheet:
    """A FactSheet from parsed JSON; offsets missing from evidence are filled from the text."""
    if isinstance(raw, dict) and text is not None:
        _fill_offsets(raw, text)
    try:
        return FactSheet.model_validate(raw)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise FactsheetError(f"{label}: not a fact sheet ({where}: {first['msg']}); "
                             "give the folder that `factsheet run -o` wrote") from e


def read_article_text(path: Path) -> str:
    try:
        return decode(path.read_bytes())
    except OSError as e:
        raise ArticleError(f"{path}: cannot read: {e.strerror or e}") from e


def load_sheet(path: Path, text_folders: list[Path]) -> ViewArticle:
    """One sheet file with its text; raises FactsheetError when the file is not a fact sheet."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise FactsheetError(f"{path}: cannot read JSON: {e}") from e
    article_id = _safe_id(raw)
    warnings: list[str] = []
    text: str | None = None
    text_path = find_text(article_id, [path.parent, *text_folders]) if article_id else None
    if text_path is not None:
        try:
            text = read_article_text(text_path)
        except ArticleError as e:
            warnings.append(f"article text {text_path} unusable: {e}")
    sheet = parse_sheet(raw, text, str(path))
    if text is None and not warnings:
        where = ", ".join(str(f) for f in [path.parent, *text_folders])
        warnings.append(f"article text {sheet.article.id}.txt not found in {where}: facts are listed "
                        "without their place in the text (pass --articles DIR)")
    elif text is not None and sha256_text(text) != sheet.article.sha256:
        warnings.append(f"article text {text_path} differs from the one this sheet was made from "
                        "(sha256 mismatch): highlights may be misplaced; evidence is re-found by its quote")
    return ViewArticle(sheet=sheet, text=text, sheet_path=path, text_path=text_path, warnings=warnings)


def sheet_files(out_dir: Path) -> list[Path]:
    """The fact sheet files of an output folder: `<id>.json`, not hidden files or sidecars."""
    if not out_dir.is_dir():
        raise FactsheetError(f"{out_dir} is not a folder: give the folder of fact sheets (`factsheet run -o`)")
    return [p for p in sorted(out_dir.glob("*.json"))
            if not p.name.startswith(".") and not p.name.endswith(SIDECAR_SUFFIX)]


def load_folder(out_dir: Path, text_folders: list[Path]) -> tuple[list[ViewArticle], list[str]]:
    """Every sheet of a folder that loads, and one message per file that does not."""
    articles: list[ViewArticle] = []
    errors: list[str] = []
    for path in sheet_files(out_dir):
        try:
            articles.append(load_sheet(path, text_folders))
        except FactsheetError as e:
            errors.append(str(e))
    return articles, errors
