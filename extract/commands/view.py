"""`factsheet view`: one self-contained HTML page to read every fact on its sentence."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from extract.output import write_atomic
from extract.view import load_folder, render_viewer

log = logging.getLogger("factsheet")

DEFAULT_REPORT = "report.html"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "view",
        help="write an HTML page showing every fact on its sentence",
        description="Write one self-contained HTML page (no network needed) that shows each article's "
        "text with its facts' evidence highlighted, and sortable tables of all facts. Article texts "
        "are looked for beside the sheets, then in --articles.",
    )
    parser.add_argument("out_dir", nargs="?", type=Path, default=Path("out"), metavar="OUT_DIR",
                        help="folder of fact sheets written by `factsheet run` (default: out)")
    parser.add_argument("-o", "--output", type=Path, help=f"HTML file to write (default: OUT_DIR/{DEFAULT_REPORT})")
    parser.add_argument("--articles", type=Path, action="append", metavar="DIR",
                        help="folder of article texts, may be repeated (default: seeds)")
    parser.add_argument("--title", default="Fact sheets", help="page title (default: Fact sheets)")
    parser.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    folders = args.articles or [Path("seeds")]
    articles, errors = load_folder(args.out_dir, folders)
    for message in errors:
        log.warning("skipped %s", message)
    for article in articles:
        for message in article.warnings:
            log.warning("%s: %s", article.id, message)
    if not articles:
        log.error("no fact sheets (<id>.json) found in %s: give the folder that `factsheet run -o` wrote", args.out_dir)
        return 1
    output = args.output or args.out_dir / DEFAULT_REPORT
    write_atomic(output, render_viewer(articles, errors, title=args.title))
    facts = sum(len(a.sheet.facts()) for a in articles)
    log.info("wrote %s: %d articles, %d facts", output, len(articles), facts)
    return 1 if errors else 0
