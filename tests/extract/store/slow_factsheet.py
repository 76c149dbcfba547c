"""Test-only wrapper: the `factsheet` CLI with a slow fake backend registered as 'slow'.

Run as `python slow_factsheet.py run ARTICLES -o OUT --backend slow`. Environment:
SLOW_DELAY / SLOW_JITTER (seconds per article), SLOW_LOG (a file that gets one line per
extraction), DIE_AT_SHEET_WRITE=N (the process dies, as if killed, right after the store
has committed the N-th article and before its sheet file is written).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from store_fakes import FakeBackend

import extract.cli
import extract.pipeline
from extract.backends import BACKENDS
from extract.cli import main

# Plug-in commands (the eval suite loads scipy) are not under test here: skip them, start faster.
extract.cli.entry_points = lambda group: []  # type: ignore[assignment]


def slow(options: object) -> FakeBackend:
    log = os.environ.get("SLOW_LOG")
    return FakeBackend(delay=float(os.environ.get("SLOW_DELAY", "0.02")), jitter=float(os.environ.get("SLOW_JITTER", "0.03")),
                       log_path=Path(log) if log else None)


BACKENDS["slow"] = slow

if os.environ.get("DIE_AT_SHEET_WRITE"):
    die_at = int(os.environ["DIE_AT_SHEET_WRITE"])
    real_write = extract.pipeline.write_atomic
    writes = 0

    def dying_write(path: Path, data: str | bytes) -> None:
        global writes
        if path.suffix == ".json":
            writes += 1
            if writes == die_at:
                os._exit(137)
        real_write(path, data)

    extract.pipeline.write_atomic = dying_write

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
