"""The `factsheet` command: a thin layer over the library API.

Each subcommand is a module with `add_parser(subparsers)` and `main(args) -> int`. The
core ones live in extract.commands; packages above `extract` (the eval suite) add theirs
through the `factsheet.commands` entry-point group, so that extract never imports them.

Start-up stays fast because only the command being run is imported: the others are
listed under their names with the first line of their module docstring as help, read
from the source without importing it (the eval plug-in alone would cost a second of
scipy for every command).
"""

from __future__ import annotations

import argparse
import ast
import importlib
import importlib.util
import logging
import sys
from dataclasses import dataclass
from importlib.metadata import entry_points
from types import ModuleType

from extract import __version__
from extract.errors import EndpointUnavailable, FactsheetError

CORE_COMMANDS = {
    "run": "extract.commands.run",
    "status": "extract.commands.status",
    "logs": "extract.commands.logs",
    "view": "extract.commands.view",
    "schema": "extract.commands.schema",
    "batch": "extract.commands.batch",
    "cache": "extract.commands.cache",
}

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


@dataclass(frozen=True)
class Command:
    """A subcommand known by name before its module is imported."""

    name: str
    module: str
    plugin: bool = False

    def load(self) -> ModuleType:
        return importlib.import_module(self.module)

    def help(self) -> str:
        """The first line of the module docstring, without its "`factsheet NAME`: " prefix."""
        try:
            spec = importlib.util.find_spec(self.module)
            source = spec.loader.get_source(self.module) if spec and spec.loader else None  # type: ignore[attr-defined]
            doc = ast.get_docstring(ast.parse(source or "")) or ""
        except (ImportError, SyntaxError, ValueError, AttributeError, OSError):
            return f"(from {self.module})"
        first = doc.strip().splitlines()[0] if doc.strip() else ""
        if first.startswith("`") and "`:" in first:
            first = first.split("`:", 1)[1]
        return first.strip().rstrip(".")


def commands() -> dict[str, Command]:
    """Core commands, then plug-ins of the `factsheet.commands` entry-point group (not imported)."""
    known = {name: Command(name, module) for name, module in CORE_COMMANDS.items()}
    for entry in entry_points(group="factsheet.commands"):
        if entry.name not in known:
            known[entry.name] = Command(entry.name, entry.value.split(":", 1)[0], plugin=True)
    return known


def _chosen(argv: list[str]) -> str | None:
    """The subcommand named in argv: the first word that is not a global option."""
    for arg in argv:
        if arg == "--":
            return None
        if not arg.startswith("-"):
            return arg
    return None


def _verbosity_flags(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """-v / -q, accepted before the subcommand and after it (the later one wins)."""
    default = logging.INFO if top else argparse.SUPPRESS
    group = parser.add_argument_group("logging") if not top else parser
    try:
        group.add_argument("-v", "--verbose", dest="log_level", action="store_const", const=logging.DEBUG,
                           default=default, help="log debugging detail")
        group.add_argument("-q", "--quiet", dest="log_level", action="store_const", const=logging.WARNING,
                           default=default, help="log only warnings and errors")
    except argparse.ArgumentError:  # a plug-in that defines its own -v or -q keeps them
        pass


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser; only the command named in `argv` is imported (all of them when argv is None)."""
    parser = argparse.ArgumentParser(
        prog="factsheet",
        description="Extract verified JSON fact sheets (metrics, infrastructure projects, "
        "policy statements) from news articles.",
    )
    parser.add_argument("--version", action="version", version=f"factsheet {__version__}")
    _verbosity_flags(parser, top=True)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    chosen = _chosen(argv) if argv is not None else None
    for command in commands().values():
        if argv is not None and command.name != chosen:
            subparsers.add_parser(command.name, help=command.help(), add_help=False)
            continue
        try:
            module = command.load()
        except Exception as e:  # a broken plug-in must not take the core commands down with it
            if not command.plugin:
                raise
            print(f"factsheet: warning: command {command.name!r} ({command.module}) is unavailable: "
                  f"{type(e).__name__}: {e}", file=sys.stderr)
            continue
        module.add_parser(subparsers)
        if command.name in subparsers.choices:
            _verbosity_flags(subparsers.choices[command.name], top=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):  # a plug-in that failed to load
        parser.error(f"command {args.command!r} is unavailable (see the warning above)")
    level = args.log_level
    logging.basicConfig(
        level=level,
        format="%(levelname)s %(message)s" if level == logging.DEBUG else "%(message)s",
        stream=sys.stderr,
        force=True,
    )
    # Libraries log retries at ERROR; our own lines say what happened to each article.
    for noisy in ("instructor", "httpx", "httpx2", "openai"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if level == logging.DEBUG else logging.CRITICAL)
    try:
        return int(args.handler(args))
    except EndpointUnavailable as e:  # the server is down or refuses us: the run failed, it was not misused
        print(f"factsheet: error: {e}", file=sys.stderr)
        return EXIT_FAILED
    except FactsheetError as e:
        print(f"factsheet: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("factsheet: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
