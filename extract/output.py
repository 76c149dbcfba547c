"""Writing outputs atomically (a temporary file in the same folder, then a rename), and the sheet files.

`OUT_DIR/<id>.json` is the current sheet of an article. When an article fails, its last good
sheet is moved to `OUT_DIR/stale/<id>.json`: its quotes may no longer match the file, so it
must not be read as current (the viewer, the corpus files and `factsheet status` never look
in `stale/`). The next good sheet of that article removes the stale copy.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from schemas import FactSheet

log = logging.getLogger("factsheet")


@contextlib.contextmanager
def atomic_file(path: Path, mode: str = "w") -> Iterator[IO[Any]]:
    """A file written in pieces (`mode` "w" text, "wb" bytes) that readers see whole or not at all:
    a temporary file in the same folder, flushed to disk, then renamed over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        text = {"encoding": "utf-8", "newline": ""} if "b" not in mode else {}
        with os.fdopen(fd, mode, **text) as handle:
            os.fchmod(handle.fileno(), 0o666 & ~_umask())  # mkstemp makes 0600; give the usual permissions
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write `data` to `path` so that readers see the old file or the new one, never half."""
    with atomic_file(path, "wb") as handle:
        handle.write(data.encode("utf-8") if isinstance(data, str) else data)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def sheet_json(sheet: FactSheet) -> str:
    return sheet.model_dump_json(indent=2) + "\n"


def sheet_path(out_dir: Path, article_id: str) -> Path:
    return out_dir / f"{article_id}.json"


STALE_DIR = "stale"


def stale_path(out_dir: Path, article_id: str) -> Path:
    """Where the last good sheet of a failed article is kept: OUT_DIR/stale/<id>.json."""
    return out_dir / STALE_DIR / f"{article_id}.json"


def drop_stale_copy(out_dir: Path, article_id: str) -> None:
    """Remove the stale copy of an article's sheet, once a new good sheet has been written."""
    stale_path(out_dir, article_id).unlink(missing_ok=True)


def write_sheet(out_dir: Path, sheet: FactSheet) -> Path:
    """Write an article's current sheet atomically; a stale copy of an earlier one is removed."""
    path = sheet_path(out_dir, sheet.article.id)
    write_atomic(path, sheet_json(sheet))
    drop_stale_copy(out_dir, sheet.article.id)
    return path


def set_aside_sheet(out_dir: Path, article_id: str) -> Path | None:
    """Move the sheet of an article that just failed out of the way, to OUT_DIR/stale/<id>.json.

    Its article changed or can no longer be read, so its quotes may not match the text: it
    must not be read as current. Returns where it went, or None when there was no sheet.
    """
    path = sheet_path(out_dir, article_id)
    if not path.is_file():
        return None
    target = stale_path(out_dir, article_id)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)  # atomic: readers see the sheet in one place or the other
    except OSError as e:  # the failure is already recorded; do not let this stop the run
        log.warning("%s: cannot move its old sheet aside to %s: %s; it is not current, delete it",
                    article_id, target, e.strerror or e)
        return None
    return target


def remove_sheet(out_dir: Path, article_id: str) -> None:
    """Delete an article's sheet and any stale copy (the article is gone from the inputs)."""
    sheet_path(out_dir, article_id).unlink(missing_ok=True)
    drop_stale_copy(out_dir, article_id)


def write_jsonl(path: Path, sheets: Iterable[FactSheet]) -> None:
    write_atomic(path, "".join(s.model_dump_json() + "\n" for s in sheets))
