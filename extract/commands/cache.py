"""`factsheet cache`: what the LLM response cache holds (stats) and removing answers from it (clear).

`stats` reads only, like `factsheet status`. `clear` takes the store's lock, as a run does, so it
is refused while a run uses the store. It asks before removing anything on a terminal; elsewhere
(a script, a pipe) it removes only with `--yes`, so that a script never loses paid answers by
accident and never hangs on a question. `--dry-run` shows what it would remove.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from extract.errors import ConfigError
from extract.store import STORE_NAME, Store
from extract.store.cache_admin import CacheStats, CacheTotals, Selection, cache_lock, cache_stats, clear, matching
from schemas import Usage

log = logging.getLogger("factsheet")
CLEAR_ONLY = ("model", "older_than", "yes", "dry_run", "vacuum")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "cache",
        help="show what the LLM response cache holds, or remove answers from it",
        description="The LLM answers cached in the run store (docs/store.md#the-llm-response-cache). "
        "stats: entries, size, hits and the tokens they saved, by model, oldest and newest. "
        "clear: remove all entries, one model's (--model) or those unused for DAYS (--older-than); "
        "it asks first on a terminal, and needs --yes elsewhere.",
    )
    parser.add_argument("action", choices=("stats", "clear"), help="stats: what the cache holds; clear: remove entries")
    parser.add_argument("-o", "--output", type=Path, default=Path("out"), metavar="DIR",
                        help="output folder of `factsheet run` whose store to use (default: out)")
    parser.add_argument("--store", type=Path, help="run store (default: DIR/factsheet.sqlite)")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    parser.add_argument("--model", help="with clear: only the answers of this model")
    parser.add_argument("--older-than", type=float, metavar="DAYS",
                        help="with clear: only answers neither made nor used in the last DAYS days")
    parser.add_argument("-y", "--yes", action="store_true", help="with clear: remove without asking (for scripts)")
    parser.add_argument("--dry-run", action="store_true", help="with clear: say what would be removed, remove nothing")
    parser.add_argument("--vacuum", action="store_true",
                        help="with clear: give the freed space back to the disk (rewrites the store file)")
    parser.set_defaults(handler=main)


def size(n: int) -> str:
    """Bytes for people: '512 B', '3.4 KB', '12.0 MB'."""
    value = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")  # pragma: no cover


def _saved_cost(stats: CacheStats) -> tuple[float | None, str | None]:
    """What the hits would have cost at the price table's prices, for the models it lists."""
    try:
        from extract.backends.llm.cost import estimate_cost, price_table
    except ImportError:
        return None, None
    total, priced = 0.0, False
    for model, totals in stats.by_model.items():
        cost = estimate_cost(model or None, Usage(prompt_tokens=totals.saved_prompt_tokens,
                                                  completion_tokens=totals.saved_completion_tokens))
        if cost is not None:
            total, priced = total + cost, True
    return (total, price_table().currency) if priced else (None, None)


def _line(totals: CacheTotals) -> str:
    return (f"{totals.entries} answers, {size(totals.bytes)}, {totals.hits} hits saving "
            f"{totals.saved_prompt_tokens:,} prompt and {totals.saved_completion_tokens:,} completion tokens")


def render(path: Path, stats: CacheStats, cost: tuple[float | None, str | None]) -> str:
    total = stats.total
    if not total.entries:
        return f"cache of {path}: empty (runs with the 'rules' backend, or with --no-cache, store no answers)\n"
    lines = [f"cache of {path}: {_line(total)}"]
    if cost[0] is not None:
        lines.append(f"  the hits would have cost about {cost[0]:.4f} {cost[1]} (priced models only)")
    lines.append(f"  oldest {total.oldest}, newest {total.newest}, last hit {total.last_hit or 'never'}")
    for model, totals in stats.by_model.items():
        lines.append(f"  {model or '(no model)'}: {_line(totals)}")
    return "\n".join(lines) + "\n"


def _stats(path: Path, as_json: bool) -> int:
    with Store.open(path, create=False) as store:
        stats, version = cache_stats(store), store.schema_version
    cost = _saved_cost(stats)
    if as_json:
        data: dict[str, Any] = {"store": str(path), "schema_version": version, **asdict(stats),
                                "saved_cost": cost[0], "currency": cost[1]}
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
    else:
        sys.stdout.write(render(path, stats, cost))
    return 0


def _confirmed(what: str) -> bool:
    """Ask on a terminal; elsewhere there is nobody to ask, and --yes is required."""
    if not sys.stdin.isatty():
        raise ConfigError(f"cache clear would remove {what}: add --yes to remove them (or --dry-run to see them only); "
                          "it asks first only on a terminal")
    sys.stderr.write(f"remove {what}? [y/N] ")
    sys.stderr.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def _clear(args: argparse.Namespace, path: Path) -> int:
    selection = Selection(model=args.model, older_than_days=args.older_than)
    with Store.open(path, create=False) as store:
        found = matching(store, selection)
    what = f"{found.entries} cached answers ({size(found.bytes)}) from {path}"
    removed = 0
    if found.entries and not args.dry_run and (args.yes or _confirmed(what)):
        # The lock only for the write: while asking, a run may still start; it then refuses this clear.
        with cache_lock(path), Store.open(path, create=False) as store:
            removed = clear(store, selection, vacuum=args.vacuum)
    if args.json:
        sys.stdout.write(json.dumps({"store": str(path), "matched": found.entries, "bytes": found.bytes,
                                     "removed": removed, "dry_run": args.dry_run}) + "\n")
    if args.dry_run:
        log.info("would remove %s (nothing removed: --dry-run)", what)
    elif not found.entries:
        log.info("no cached answers in %s match: nothing removed", path)
    elif not removed:
        log.info("nothing removed")
    else:
        log.info("removed %d cached answers from %s; the next run asks the model again for those requests", removed, path)
    return 0


def main(args: argparse.Namespace) -> int:
    path = args.store or args.output / STORE_NAME
    if args.action == "stats":
        given = [f"--{name.replace('_', '-')}" for name in CLEAR_ONLY if getattr(args, name) not in (None, False)]
        if given:
            raise ConfigError(f"{', '.join(given)} go{'es' if len(given) == 1 else ''} with `factsheet cache clear`")
        return _stats(path, args.json)
    return _clear(args, path)
