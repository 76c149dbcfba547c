"""`factsheet schema`: write the fact sheet's JSON Schema."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from extract.output import write_atomic
from schemas import fact_sheet_json_schema


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("schema", help="write the JSON Schema of a fact sheet",
                                   description="Write the JSON Schema of a fact sheet (stdout by default).")
    parser.add_argument("-o", "--output", type=Path, help="file to write instead of standard output")
    parser.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    text = json.dumps(fact_sheet_json_schema(), indent=2) + "\n"
    if args.output:
        write_atomic(args.output, text)
    else:
        sys.stdout.write(text)
    return 0
