"""Writing outputs atomically: a temporary file in the same folder, then a rename."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from schemas import FactSheet


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write `data` to `path` so that readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o666 & ~_umask())  # mkstemp makes 0600; give the usual permissions
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def sheet_json(sheet: FactSheet) -> str:
    return sheet.model_dump_json(indent=2) + "\n"


def sheet_path(out_dir: Path, article_id: str) -> Path:
    return out_dir / f"{article_id}.json"


def write_sheet(out_dir: Path, sheet: FactSheet) -> Path:
    path = sheet_path(out_dir, sheet.article.id)
    write_atomic(path, sheet_json(sheet))
    return path


def write_jsonl(path: Path, sheets: Iterable[FactSheet]) -> None:
    write_atomic(path, "".join(s.model_dump_json() + "\n" for s in sheets))
