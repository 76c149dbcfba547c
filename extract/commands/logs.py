"""`factsheet logs`: list the LLM requests the run store has logged, newest last.

Like `llm logs`: one line per request with its time, article, model, mode, tokens,
status and whether it was a re-ask or a retry; `--json` for the rows as data, `-n` for
how many (the most recent).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from extract.store import STORE_NAME, Store
from extract.store.calls import read_calls

DEFAULT_COUNT = 20
HEADINGS = ("time", "article", "model", "mode", "prompt", "completion", "status", "re-ask", "ms")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "logs",
        help="list the LLM requests logged in the run store (time, article, model, tokens, status)",
        description="List the LLM requests that runs made, from the run store: time, article, model, mode, "
        "prompt and completion tokens, status (ok, cached, http 429, error...), re-ask number (0 for a first "
        "ask) and whether it was a retry. The most recent last.",
    )
    parser.add_argument("dir", nargs="?", type=Path, default=Path("out"), metavar="DIR",
                        help="output folder of `factsheet run` (default: out)")
    parser.add_argument("--store", type=Path, help="run store (default: DIR/factsheet.sqlite)")
    parser.add_argument("-n", "--count", type=int, default=DEFAULT_COUNT, metavar="N",
                        help=f"show the N most recent requests (default: {DEFAULT_COUNT}; 0 for all)")
    parser.add_argument("--article", metavar="ID", help="only the requests for this article")
    parser.add_argument("--run", type=int, metavar="RUN_ID", help="only the requests of this run")
    parser.add_argument("--json", action="store_true", help="print the requests as a JSON list")
    parser.set_defaults(handler=main)


def _row(call: dict[str, Any]) -> tuple[str, ...]:
    reask = str(call["reask"]) + (" retry" if call["retry"] else "")
    return (str(call["at"])[:19].replace("T", " "), call["article_id"] or "-", call["model"] or "-",
            call["mode"] or "-", str(call["prompt_tokens"]), str(call["completion_tokens"]), call["status"],
            reask, "" if call["duration_ms"] is None else str(call["duration_ms"]))


def render(calls: list[dict[str, Any]]) -> str:
    if not calls:
        return "no LLM requests logged (runs with the 'rules' backend make none)\n"
    rows = [HEADINGS, *(_row(c) for c in calls)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADINGS))]
    numeric = {4, 5, 8}
    lines = []
    for row in rows:
        cells = (cell.rjust(w) if i in numeric else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True)))
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines) + "\n"


def main(args: argparse.Namespace) -> int:
    path = args.store or args.dir / STORE_NAME
    with Store.open(path, create=False) as store:
        calls = read_calls(store, limit=args.count or None, article=args.article, run_id=args.run)
    if args.json:
        sys.stdout.write(json.dumps(calls, indent=2) + "\n")
    else:
        sys.stdout.write(render(calls))
    return 0
