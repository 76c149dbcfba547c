"""The `factsheet` command: a thin layer over the library API.

Each subcommand is a module with `add_parser(subparsers)` and `main(args) -> int`. The
core ones live in extract.commands; packages above `extract` (the eval suite) add theirs
through the `factsheet.commands` entry-point group, so that extract never imports them.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from importlib.metadata import entry_points
from types import ModuleType

from extract import __version__
from extract.errors import FactsheetError

CORE_COMMANDS = ("extract.commands.run", "extract.commands.schema", "extract.commands.view", "extract.commands.status",
                 "extract.commands.batch")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _command_modules() -> list[ModuleType]:
    modules = [importlib.import_module(name) for name in CORE_COMMANDS]
    for entry in entry_points(group="factsheet.commands"):
        try:
            modules.append(entry.load())
        except Exception as e:  # a broken plug-in must not take the core commands down with it
            print(f"factsheet: warning: command {entry.name!r} ({entry.value}) is unavailable: "
                  f"{type(e).__name__}: {e}", file=sys.stderr)
    return modules


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="factsheet",
        description="Extract verified JSON fact sheets (metrics, infrastructure projects, "
        "policy statements) from news articles.",
    )
    parser.add_argument("--version", action="version", version=f"factsheet {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debugging detail")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _command_modules():
        module.add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(message)s" if args.verbose else "%(message)s",
        stream=sys.stderr,
        force=True,
    )
    # Libraries log retries at ERROR; our own lines say what happened to each article.
    for noisy in ("instructor", "httpx", "httpx2", "openai"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if args.verbose else logging.CRITICAL)
    try:
        return int(args.handler(args))
    except FactsheetError as e:
        print(f"factsheet: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("factsheet: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
