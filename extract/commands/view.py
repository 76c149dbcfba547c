"""`factsheet view`: an index page, one page per article and paged fact tables, all offline."""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Iterator
from pathlib import Path

from extract.errors import FactsheetError
from extract.store import STORE_NAME, Store
from extract.view import ViewArticle, load_sheet
from extract.view.load import sheet_files
from extract.view.site import site_dir_for, write_site

log = logging.getLogger("factsheet")

DEFAULT_REPORT = "report.html"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "view",
        help="write HTML pages showing every fact on its sentence",
        description="Write an index page (OUT_DIR/report.html), one page per article with its facts' evidence "
        "highlighted in its text, and sortable tables of all facts (in report_files/), all self-contained "
        "(no network needed). Article texts are found where the last run read them (the store), "
        "beside the sheets, then in --articles.",
    )
    parser.add_argument("out_dir", nargs="?", type=Path, default=Path("out"), metavar="OUT_DIR",
                        help="folder of fact sheets written by `factsheet run` (default: out)")
    parser.add_argument("-o", "--output", type=Path, help=f"index page to write (default: OUT_DIR/{DEFAULT_REPORT})")
    parser.add_argument("--articles", type=Path, action="append", metavar="DIR",
                        help="folder of article texts, may be repeated (default: where the last run read them, "
                        "then seeds)")
    parser.add_argument("--title", default="Fact sheets", help="page title (default: Fact sheets)")
    parser.add_argument("--store", type=Path, help=f"run store (default: OUT_DIR/{STORE_NAME})")
    parser.set_defaults(handler=main)


def text_folders_from_store(store_path: Path) -> list[Path]:
    """The folders the store's articles were read from, and the last run's input folders."""
    if not store_path.is_file():
        return []
    folders: dict[Path, None] = {}
    try:
        with Store.open(store_path, create=False) as store:
            for row in store.query("SELECT DISTINCT source FROM articles WHERE source IS NOT NULL"):
                if not str(row["source"]).startswith("<"):  # <stdin:...>
                    folders[Path(row["source"]).parent] = None
            last = store.last_run()
            for name in json.loads(last["inputs"] or "[]") if last is not None else []:
                path = Path(name)
                folders[path if path.is_dir() else path.parent] = None
    except (FactsheetError, ValueError) as e:
        log.warning("cannot read the store %s for the article folders: %s", store_path, e)
        return []
    return [f for f in folders if f.is_dir()]


def main(args: argparse.Namespace) -> int:
    folders = list(args.articles or [])
    if not folders:
        folders = [*text_folders_from_store(args.store or args.out_dir / STORE_NAME), Path("seeds")]
    try:
        paths = sheet_files(args.out_dir)
    except FactsheetError as e:
        log.error("%s", e)
        return 1
    errors: list[str] = []
    counts = {"articles": 0, "facts": 0}

    def articles() -> Iterator[ViewArticle]:
        for path in paths:
            try:
                article = load_sheet(path, folders)
            except FactsheetError as e:
                errors.append(str(e))
                log.warning("skipped %s", e)
                continue
            for message in article.warnings:
                log.warning("%s: %s", article.id, message)
            counts["articles"] += 1
            counts["facts"] += len(article.sheet.facts())
            yield article

    output = args.output or args.out_dir / DEFAULT_REPORT
    loaded = list(_peek(articles()))
    if not loaded[0]:
        log.error("no fact sheets (<id>.json) found in %s: give the folder that `factsheet run -o` wrote", args.out_dir)
        return 1
    write_site(output, loaded[1], args.out_dir, errors=errors, title=args.title)
    log.info("wrote %s (and %s/): %d articles, %d facts", output, site_dir_for(output), counts["articles"], counts["facts"])
    return 1 if errors else 0


def _peek(items: Iterator[ViewArticle]) -> tuple[bool, Iterator[ViewArticle]]:
    """Whether there is at least one item, and all of them (the first one put back)."""
    first = next(items, None)
    if first is None:
        return False, iter(())

    def chained(head: ViewArticle) -> Iterator[ViewArticle]:
        yield head
        yield from items

    return True, chained(first)
