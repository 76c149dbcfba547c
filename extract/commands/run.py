"""`factsheet run`: extract fact sheets from articles."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from extract.articles import DEFAULT_MAX_BYTES, discover
from extract.backends import BACKENDS, choose_backend_name, make_backend
from extract.pipeline import COMBINED_JSONL, ArticleResult, RunOptions, run

log = logging.getLogger("factsheet")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run",
        help="extract fact sheets from articles",
        description="Extract one fact sheet per article (PATH: folders, files, or - for stdin) "
        f"into OUT_DIR/<id>.json and OUT_DIR/{COMBINED_JSONL}. The backend is 'llm' when "
        "OPENAI_API_KEY or OPENAI_BASE_URL is set, else the offline 'rules'.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="article files, folders of them, or -")
    parser.add_argument("-o", "--output", type=Path, default=Path("out"), help="output folder (default: out)")
    parser.add_argument("--backend", choices=sorted(BACKENDS), help="extractor (default: llm if configured, else rules)")
    parser.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES,
                        help=f"refuse articles larger than this (default: {DEFAULT_MAX_BYTES})")
    parser.add_argument("--encoding", help="decode articles with this encoding instead of UTF-8 (e.g. gbk)")
    parser.set_defaults(handler=main)


def backend_options(args: argparse.Namespace) -> dict[str, Any]:
    """Options for the backend factory; empty values are left to environment and config."""
    return {}


class Progress:
    """A progress bar on a terminal, one plain log line per article otherwise."""

    def __init__(self, total: int) -> None:
        self.bar = None
        if sys.stderr.isatty() and total > 1:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="article", file=sys.stderr)

    def __call__(self, result: ArticleResult) -> None:
        if result.sheet is not None:
            sheet = result.sheet
            line = (f"ok {sheet.article.id}: {len(sheet.metrics)} metrics, "
                    f"{len(sheet.infrastructure_projects)} projects, {len(sheet.policy_statements)} statements")
        else:
            line = f"FAILED {result.source.label}: {result.error}"
        if self.bar is not None:
            self.bar.write(line, file=sys.stderr)
            self.bar.update(1)
        else:
            log.info(line)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def main(args: argparse.Namespace) -> int:
    options = backend_options(args)
    name = choose_backend_name(args.backend, options)
    if args.backend is None and name == "rules":
        log.info("no LLM configured (OPENAI_API_KEY / OPENAI_BASE_URL unset): using the offline 'rules' backend")
    backend = make_backend(name, options)
    sources = list(discover(args.paths))
    if not sources:
        log.error("no articles found in %s", " ".join(args.paths))
        return 1
    progress = Progress(len(sources))
    try:
        report = run(sources, backend, RunOptions(out_dir=args.output, max_bytes=args.max_bytes,
                                                  encoding=args.encoding), on_result=progress)
    finally:
        progress.close()
    usage = report.usage
    log.info("%d of %d articles extracted with '%s' into %s (%d failed); tokens: %d prompt, %d completion",
             len(report.sheets), len(report.results), name, args.output, len(report.failed),
             usage.prompt_tokens, usage.completion_tokens)
    return 1 if report.failed else 0
