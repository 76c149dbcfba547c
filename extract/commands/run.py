"""`factsheet run`: extract fact sheets from articles."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from pathlib import Path
from typing import Any

from extract.articles import DEFAULT_MAX_BYTES, check_article_id, discover, resolved
from extract.backends import BACKENDS, choose_backend_name, make_backend
from extract.backends.base import Backend
from extract.backends.llm.settings import add_cli_arguments as add_llm_arguments
from extract.backends.llm.settings import options_from_args as llm_options
from extract.errors import ConfigError
from extract.grounding import AnswerLimits
from extract.parallel import default_workers
from extract.pipeline import (
    COMBINED_JSONL,
    PENDING,
    ArticleResult,
    RunOptions,
    RunPlan,
    RunReport,
    backend_model,
    run,
)
from extract.shards import splittable
from extract.store import TokenCount
from schemas import Usage

STDOUT = "-"

REASONS = ("new", "content", "fingerprint", "retry", "forced")

log = logging.getLogger("factsheet")
# The run's process on the CPU for this share of the extraction or more: its own work, not the server, set the pace.
PACE_BUSY = 0.8


def _workers(value: str) -> int:
    """--workers: a whole number of processes, 1 or more."""
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of processes: give 1 or more")
    return number


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run",
        help="extract fact sheets from articles",
        description="Extract one fact sheet per article (PATH: folders, files, or - for stdin) "
        f"into OUT_DIR/<id>.json and OUT_DIR/{COMBINED_JSONL}. The backend is 'llm' when "
        "OPENAI_API_KEY or OPENAI_BASE_URL is set, else the offline 'rules'.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="article files, folders of them, or -")
    parser.add_argument("-o", "--output", default="out",
                        help="output folder (default: out); '-' writes the sheets as JSONL to standard output "
                        "and keeps no folder (give --store to keep the run store)")
    parser.add_argument("--stdout", action="store_true",
                        help="also write this run's sheets as JSONL (one per line) to standard output")
    parser.add_argument("--json", action="store_true",
                        help="print a machine-readable summary of the run on standard output")
    parser.add_argument("--backend", choices=sorted(BACKENDS), help="extractor (default: llm if configured, else rules)")
    parser.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES,
                        help=f"refuse articles larger than this (default: {DEFAULT_MAX_BYTES})")
    parser.add_argument("--encoding", help="encoding to try for articles that are not UTF-8 (e.g. gbk)")
    parser.add_argument("--id", dest="stdin_id", metavar="NAME",
                        help="id of the article read from standard input (default: stdin- and a hash of its bytes)")
    parser.add_argument("--store", type=Path, help="run store (default: OUT_DIR/factsheet.sqlite); see docs/store.md")
    parser.add_argument("--force", action="store_true", help="extract every article again, even unchanged ones")
    parser.add_argument("--prune", action="store_true",
                        help="remove the sheets (and store rows) of articles no longer among the inputs")
    parser.add_argument("--no-cache", action="store_true",
                        help="send every LLM request to the model, even ones the store has answered before")
    parser.add_argument("--workers", type=_workers, metavar="N",
                        help="processes: for the offline rules backend, default the cores; with --backend llm, default 1, "
                             "and N processes share --concurrency and --rpm, to check answers on N cores (docs/llm.md)")
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


def plural(n: int, word: str) -> str:
    """'1 article', '2 articles'."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


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
            line = (f"ok {sheet.article.id}: {plural(len(sheet.metrics), 'metric')}, "
                    f"{plural(len(sheet.infrastructure_projects), 'project')}, "
                    f"{plural(len(sheet.policy_statements), 'statement')}")
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


def pace_hint(report: RunReport, backend: Backend, workers: int | None) -> str | None:
    """Advice for an LLM run in one process that was busy checking answers for most of its extraction (a fast local
    server at high --concurrency): a second process would check them meanwhile. None otherwise."""
    if not splittable(backend) or (workers or 1) > 1 or report.busy is None:
        return None
    if report.busy < PACE_BUSY or len(report.extracted) <= max(1, backend.concurrency) or default_workers() < 2:
        return None  # the server set the pace, there was one wave of answers only, or there is no second core
    return (f"the run's process was busy {report.busy:.0%} of the extraction checking answers: this client, not the "
            "server, set the pace; --workers 2 checks them in two processes (docs/llm.md, \"Worker processes\")")


def _cost_note(model: str | None, spent: TokenCount) -> str:
    try:
        from extract.backends.llm.cost import cost_note
    except ImportError:
        return ""
    return cost_note(model, Usage(prompt_tokens=spent.prompt_tokens, completion_tokens=spent.completion_tokens))


def options_from_args(args: argparse.Namespace, out_dir: Path) -> RunOptions:
    return RunOptions(out_dir=out_dir, max_bytes=args.max_bytes, encoding=args.encoding,
                      store=args.store, force=args.force, prune=args.prune, cache=not args.no_cache,
                      inputs=[p if p == "-" else resolved(p) for p in args.paths], workers=args.workers)


def announce(name: str, backend: Backend, chosen: bool) -> None:
    """Say which backend runs and why: model, mode and endpoint host for an LLM (never the key)."""
    if name == "rules" and not chosen:
        log.info("no LLM configured (OPENAI_API_KEY / OPENAI_BASE_URL unset): using the offline 'rules' backend")
        return
    settings = getattr(backend, "settings", None)
    if name == "llm" and settings is not None:
        why = "" if chosen else " (OPENAI_API_KEY or OPENAI_BASE_URL is set)"
        modes = getattr(backend, "modes", None)  # the mode the run starts in: AUTO resolved for the server
        mode = modes.start if modes is not None else settings.mode
        log.info("using the 'llm' backend%s: model %s, mode %s, endpoint %s", why, settings.model, mode,
                 settings.host or "api.openai.com")


def summary(report: RunReport, name: str, backend: Backend, out_dir: Path | None, exit_status: int) -> dict[str, Any]:
    """The run as data, for `--json`: counts, each article's outcome, what was spent, the exit status."""
    spent = report.spent
    articles = []
    for result in report.results:
        facts = result.facts
        articles.append({
            "id": result.source.id,
            "source": result.source.label,
            "outcome": result.outcome or "failed",
            "reason": result.reason,
            "error": result.error,
            "metrics": facts[0] if facts else None,  # None for unchanged and failed articles
            "projects": facts[1] if facts else None,
            "statements": facts[2] if facts else None,
            "requests": result.spent.requests,
            "cached_requests": result.spent.cached_requests,
            "prompt_tokens": result.spent.prompt_tokens,
            "completion_tokens": result.spent.completion_tokens,
        })
    return {
        "exit_status": exit_status,
        "backend": name,
        "model": backend_model(backend),
        "out_dir": str(out_dir) if out_dir is not None else None,
        "store": str(report.store_path) if report.store_path else None,
        "counts": {PENDING: 0, **report.counts},  # the same keys on every run, for scripts
        "error": report.stopped,  # why the run stopped early (the endpoint), else null
        "articles": articles,
        "usage": {"requests": spent.requests, "cached_requests": spent.cached_requests,
                  "prompt_tokens": spent.prompt_tokens, "completion_tokens": spent.completion_tokens},
        "missing": report.missing,
    }


def stopped_message(report: RunReport) -> str:
    """The one message of a run the endpoint stopped: its reason, then what became of the articles."""
    pending = len(report.pending)
    return (f"{report.stopped}. The run stopped: {plural(pending, 'article')} not extracted "
            f"{'stays' if pending == 1 else 'stay'} pending (none marked failed); fix this, then run the same "
            "command again to extract them.")


def exit_status(report: RunReport) -> int:
    """1 when any article failed or the run stopped early, else 0 (2, usage errors, is decided before a run)."""
    return 1 if report.failed or report.stopped else 0


def main(args: argparse.Namespace) -> int:
    AnswerLimits.from_env()  # a bad FACTSHEET_MAX_FACTS / _MAX_FIELD_CHARS stops the run here, exit 2
    to_stdout = args.output == STDOUT or args.stdout
    if args.batch and to_stdout:
        raise ConfigError("--batch keeps its state in the output folder's store: give -o DIR, not -o - or --stdout")
    if to_stdout and args.json:
        raise ConfigError("--json and the sheets on standard output (-o - or --stdout) would mix on stdout: "
                          "choose one, or write the sheets to a folder with -o DIR")
    if args.output == STDOUT:
        with tempfile.TemporaryDirectory(prefix="factsheet-") as scratch:
            return _run(args, Path(scratch), keep=False, to_stdout=True)
    return _run(args, Path(args.output), keep=True, to_stdout=to_stdout)


def _run(args: argparse.Namespace, out_dir: Path, *, keep: bool, to_stdout: bool) -> int:
    """One run into `out_dir`; `keep` False when it is a scratch folder (`-o -`)."""
    options = backend_options(args)
    name = choose_backend_name(args.backend, options)
    backend = make_backend(name, options)
    announce(name, backend, chosen=args.backend is not None)
    stdin_name = check_article_id(args.stdin_id) if args.stdin_id is not None else None
    sources = list(discover(args.paths, stdin_name=stdin_name))
    if not sources:
        log.error("no articles found in %s", " ".join(args.paths))
        if args.json:
            sys.stdout.write(json.dumps({"exit_status": 1, "backend": name, "counts": {}, "articles": [],
                                         "error": "no articles found"}) + "\n")
        return 1
    progress: Progress | None = None

    def on_plan(plan: RunPlan) -> None:
        nonlocal progress
        log.info("%s: %d to extract (%s), %d unchanged", plural(len(sources), "article"), len(plan.todo),
                 ", ".join(f"{plan.count(why)} {why}" for why in REASONS if plan.count(why)) or "none",
                 len(plan.unchanged))
        progress = Progress(len(plan.todo) + len(plan.failed))

    def on_result(result: ArticleResult) -> None:
        if progress is not None:
            progress(result)

    if args.batch:
        from extract.commands.batch import run_batch_command

        return run_batch_command(args, name, backend, sources, out_dir)
    if args.wait or args.batch_local or args.batch_answers:
        raise ConfigError("--wait, --batch-local and --batch-answers go with --batch")
    run_options = options_from_args(args, out_dir)
    try:
        report = run(sources, backend, run_options, on_result=on_result, on_plan=on_plan)
    finally:
        if progress is not None:
            progress.close()
    spent = report.spent
    log.info("%s with '%s' into %s: %s", "stopped" if report.stopped else "done", name,
             out_dir if keep else "standard output", report.summary())
    if spent.requests or spent.cached_requests:
        log.info("tokens spent: %d prompt, %d completion in %s (%d answered from the cache)%s",
                 spent.prompt_tokens, spent.completion_tokens, plural(spent.requests, "request"), spent.cached_requests,
                 _cost_note(backend_model(backend), spent))
    hint = pace_hint(report, backend, run_options.workers)
    if hint is not None:
        log.info("%s", hint)
    if report.missing:
        log.info("%s in the store %s no longer among the inputs (remove them with --prune)",
                 plural(len(report.missing), "article"), "is" if len(report.missing) == 1 else "are")
    status = exit_status(report)
    if report.stopped:
        log.error("factsheet: error: %s", stopped_message(report))
    if to_stdout:
        for sheet in report.sheets:
            sys.stdout.write(sheet.model_dump_json() + "\n")
        sys.stdout.flush()
    if args.json:
        data = summary(report, name, backend, out_dir if keep else None, status)
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    return status
