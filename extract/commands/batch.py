"""`factsheet batch`: the Batch API jobs in the store (list, cancel); `run --batch` is in run.py."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import Any

from extract.errors import ConfigError, FactsheetError
from extract.store import STORE_NAME, Store
from extract.store.batches import find_batch, live_summaries

log = logging.getLogger("factsheet")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("batch", help="list or cancel Batch API jobs (see `run --batch`)",
                                   description="Batch API jobs recorded in the run store.")
    parser.add_argument("action", choices=("list", "cancel"), help="list live batches, or cancel one")
    parser.add_argument("batch_id", nargs="?", metavar="ID", help="with cancel: the batch id `factsheet status` shows")
    parser.add_argument("-d", "--dir", type=Path, default=Path("out"), help="output folder of the runs (default: out)")
    parser.add_argument("--store", type=Path, help="run store (default: DIR/factsheet.sqlite)")
    parser.add_argument("--json", action="store_true", help="with list: print JSON")
    from extract.backends.llm.settings import add_cli_arguments

    add_cli_arguments(parser)
    parser.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    path = args.store or args.dir / STORE_NAME
    with Store.open(path, create=False) as store:
        if args.action == "list":
            summaries = live_summaries(store)
            if args.json:
                sys.stdout.write(json.dumps(summaries, indent=2) + "\n")
            for b in [] if args.json else summaries:
                sys.stdout.write(f"{b['id']}\t{b['articles']} articles\t{b['state']}\t{b['age_minutes']:g} min\n")
            return 0
        if not args.batch_id:
            raise ConfigError("batch cancel needs the batch id (see `factsheet status` or `factsheet batch list`)")
        row = find_batch(store, args.batch_id)
        if row is None or row.state not in ("submitting", "submitted"):
            raise ConfigError(f"no live batch {args.batch_id!r} in {path}: `factsheet batch list` shows them")
        from extract.backends import make_backend
        from extract.backends.llm.settings import options_from_args
        from extract.batch_run import cancel_batch

        backend: Any = make_backend("llm", options_from_args(args))
        try:
            state = asyncio.run(cancel_batch(backend, store, row))
        except FactsheetError:
            raise
        log.info("batch %s: %s; re-run `factsheet run ... --batch` to collect what it finished", args.batch_id, state)
        return 0


def run_batch_command(args: argparse.Namespace, name: str, backend: Any, sources: list[Any], out_dir: Path) -> int:
    """`factsheet run --batch [--wait]`: collect, submit, and optionally wait."""
    from extract.backends.llm.backend import LLMBackend
    from extract.backends.llm.cost import cost_note
    from extract.batch_run import run_batch
    from extract.commands.run import Progress, options_from_args

    if name != "llm" or not isinstance(backend, LLMBackend):
        raise ConfigError("--batch needs the llm backend: set OPENAI_API_KEY or OPENAI_BASE_URL, or pass --backend llm")
    from extract.batch_run import LocalBatches

    if args.batch_answers and not args.batch_local:
        raise ConfigError("--batch-answers goes with --batch-local (answers of a request file run outside a Batch API)")
    local = LocalBatches.read(args.batch_answers or []) if args.batch_local else None
    progress = Progress(0)
    try:
        report = asyncio.run(run_batch(sources, backend, options_from_args(args, out_dir), wait=args.wait,
                                       interval=max(0.01, args.poll), on_result=progress, local=local))
    except KeyboardInterrupt:
        log.info("stopped waiting: the batches keep running on the server; re-run the same command to collect them")
        return 130
    finally:
        progress.close()
    model = backend.settings.model
    for batch_id in report.submitted:
        sys.stdout.write(f"{batch_id}\n")
    ok = sum(1 for r in report.results if r.ok)
    log.info("batch run into %s: %d articles collected, %d failed, %d submitted in %d new batches, %d waiting in "
             "batches submitted before", out_dir, ok, len(report.failed), report.submitted_articles,
             len(report.submitted), report.waiting)
    if report.batch_usage.requests:
        log.info("tokens answered by batches: %d prompt, %d completion in %d requests%s",
                 report.batch_usage.prompt_tokens, report.batch_usage.completion_tokens, report.batch_usage.requests,
                 cost_note(model, report.batch_usage, batch=True))
    if report.direct_usage.requests:
        log.info("tokens of re-asks sent directly: %d prompt, %d completion in %d requests%s",
                 report.direct_usage.prompt_tokens, report.direct_usage.completion_tokens, report.direct_usage.requests,
                 cost_note(model, report.direct_usage))
    if report.live:
        log.info("%d batches still running: re-run the same command to collect them (or add --wait)", len(report.live))
    return 1 if report.failed else 0
