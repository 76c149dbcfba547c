"""`factsheet run`: extract fact sheets from articles."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from extract.articles import DEFAULT_MAX_BYTES, discover
from extract.backends import BACKENDS, choose_backend_name, make_backend
from extract.backends.llm.settings import add_cli_arguments as add_llm_arguments
from extract.backends.llm.settings import options_from_args as llm_options
from extract.pipeline import COMBINED_JSONL, ArticleResult, RunOptions, RunPlan, backend_model, run
from extract.store import TokenCount
from schemas import Usage

REASONS = ("new", "content", "fingerprint", "retry", "forced")

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
    parser.add_argument("--encoding", help="encoding to try for articles that are not UTF-8 (e.g. gbk)")
    parser.add_argument("--store", type=Path, help="run store (default: OUT_DIR/factsheet.sqlite); see docs/store.md")
    parser.add_argument("--force", action="store_true", help="extract every article again, even unchanged ones")
    parser.add_argument("--prune", action="store_true",
                        help="remove the sheets (and store rows) of articles no longer among the inputs")
    parser.add_argument("--no-cache", action="store_true",
                        help="send every LLM request to the model, even ones the store has answered before")
    parser.add_argument("--batch", action="store_true",
                        help="with --backend llm: send new and changed articles as one Batch API job (half the price, "
                             "answers within 24 h); re-run the same command to collect them (docs/llm.md)")
    parser.add_argument("--wait", action="store_true", help="with --batch: poll until every batch is collected")
    parser.add_argument("--batch-local", action="store_true",
                        help="with --batch: only write the request file (out/batches/*.jsonl) for an offline runner such "
                             "as vLLM's run_batch; collect its output with --batch-answers")
    parser.add_argument("--batch-answers", type=Path, nargs="+", metavar="FILE",
                        help="with --batch-local: output files of the offline runner to collect")
    parser.add_argument("--poll", type=float, default=10.0, metavar="SECONDS",
                        help="with --batch --wait: first polling interval; it grows by half each time up to 5 minutes")
    add_llm_arguments(parser)
    parser.set_defaults(handler=main)


def backend_options(args: argparse.Namespace) -> dict[str, Any]:
    """Options for the backend factory: flags over environment over config file (no API key in them)."""
    return llm_options(args)


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


def _cost_note(model: str | None, spent: TokenCount) -> str:
    try:
        from extract.backends.llm.cost import cost_note
    except ImportError:
        return ""
    return cost_note(model, Usage(prompt_tokens=spent.prompt_tokens, completion_tokens=spent.completion_tokens))


def options_from_args(args: argparse.Namespace) -> RunOptions:
    return RunOptions(out_dir=args.output, max_bytes=args.max_bytes, encoding=args.encoding,
                      store=args.store, force=args.force, prune=args.prune, cache=not args.no_cache,
                      inputs=[p if p == "-" else str(Path(p).resolve()) for p in args.paths])


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
    progress: Progress | None = None

    def on_plan(plan: RunPlan) -> None:
        nonlocal progress
        log.info("%d articles: %d to extract (%s), %d unchanged", len(sources), len(plan.todo),
                 ", ".join(f"{plan.count(why)} {why}" for why in REASONS if plan.count(why)) or "none",
                 len(plan.unchanged))
        progress = Progress(len(plan.todo) + len(plan.failed))

    def on_result(result: ArticleResult) -> None:
        if progress is not None:
            progress(result)

    if args.batch:
        from extract.commands.batch import run_batch_command

        return run_batch_command(args, name, backend, sources)
    if args.wait:
        log.error("--wait goes with --batch")
        return 2
    run_options = options_from_args(args)
    try:
        report = run(sources, backend, run_options, on_result=on_result, on_plan=on_plan)
    finally:
        if progress is not None:
            progress.close()
    spent = report.spent
    log.info("done with '%s' into %s: %s", name, args.output, report.summary())
    if spent.requests or spent.cached_requests:
        log.info("tokens spent: %d prompt, %d completion in %d requests (%d answered from the cache)%s",
                 spent.prompt_tokens, spent.completion_tokens, spent.requests, spent.cached_requests,
                 _cost_note(backend_model(backend), spent))
    if report.missing:
        log.info("%d articles in the store are no longer among the inputs (remove them with --prune)", len(report.missing))
    return 1 if report.failed else 0
