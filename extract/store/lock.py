"""One writer per store and per output folder: portable file locks (the `filelock` package).

A run holds two locks: `<store>.lock` beside the store file (resolved, so two runs reaching
one store by different paths or from different output folders meet on one lock), and
`OUT_DIR/.factsheet.lock` (so two runs with different stores do not write one folder).
The operating system drops the lock when the process ends, however it ends (SIGKILL
included): flock on Unix, a locked region on Windows. So a lock file left behind never
blocks the next run; the file stays, only the lock matters. The holder writes its process
id into the file, for the message a second run gets.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from extract.errors import StoreError

LOCK_NAME = ".factsheet.lock"
STORE_LOCK_SUFFIX = ".lock"


def store_lock_path(store_path: Path) -> Path:
    """The lock of a store: beside the file the path leads to, named after it."""
    real = _real(store_path)
    return real.with_name(real.name + STORE_LOCK_SUFFIX)


def lock_paths(out_dir: Path, store_path: Path) -> list[Path]:
    """The lock files a run takes: the store's, whatever folder the run writes to, and the output folder's."""
    return sorted({store_lock_path(store_path), _real(out_dir) / LOCK_NAME})


def _real(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a symlink loop (RuntimeError before Python 3.13): lock the path as given
        return Path(os.path.abspath(path))


class RunLock:
    """Holds exclusive locks on `paths`; refuses at once, naming the holder and what it holds."""

    def __init__(self, paths: list[Path]) -> None:
        self.paths = paths
        self._locks: list[Any] = []

    def acquire(self) -> None:
        from filelock import FileLock, Timeout  # imported here: `factsheet --help` need not load it

        for path in self.paths:
            lock = FileLock(path)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                lock.acquire(blocking=False)
            except Timeout:
                self.release()
                raise StoreError(_refusal(path, _read_holder(path))) from None
            except OSError as e:
                self.release()
                raise StoreError(f"cannot take the run lock {path}: {e.strerror or e}; check that its folder "
                                 "is writable") from e
            self._locks.append(lock)
            _write_holder(path)

    def release(self) -> None:
        while self._locks:
            with contextlib.suppress(OSError):
                self._locks.pop().release()

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _refusal(path: Path, holder: str) -> str:
    who = f" (process {holder})" if holder else ""
    if path.name == LOCK_NAME:
        return (f"another factsheet run{who} is using the output folder {path.parent} (lock {path.name}): "
                "wait for it to finish, or write to another output folder with -o")
    store = path.with_name(path.name.removesuffix(STORE_LOCK_SUFFIX))
    return (f"another factsheet run{who} is using the store {store} (lock {path.name}), whatever folder it "
            "writes to: wait for it to finish, or give this run its own store with --store")


def _write_holder(path: Path) -> None:
    """Our process id in the lock file. Best effort: Windows may refuse writes to a locked file."""
    with contextlib.suppress(OSError), open(path, "r+b", buffering=0) as handle:
        handle.truncate(0)
        handle.write(f"{os.getpid()}\n".encode())


def _read_holder(path: Path) -> str:
    with contextlib.suppress(OSError, ValueError):
        text = path.read_bytes()[:32].decode().strip()
        return text if text.isdigit() else ""
    return ""
