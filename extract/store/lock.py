"""One run at a time per output folder and per store: an advisory fcntl lock.

The kernel drops the lock when the process ends, however it ends (SIGKILL included), so
a stale lock file never blocks the next run. The file stays; only the lock matters.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from extract.errors import StoreError

LOCK_NAME = ".factsheet.lock"


def lock_paths(out_dir: Path, store_path: Path) -> list[Path]:
    """The lock files a run takes: one in the output folder, one beside a store kept elsewhere."""
    paths = {(out_dir / LOCK_NAME).resolve()}
    if store_path.resolve().parent != out_dir.resolve():
        paths.add(store_path.resolve().with_name(store_path.name + ".lock"))
    return sorted(paths)


class RunLock:
    """Holds exclusive locks on `paths`; refuses at once with who holds them."""

    def __init__(self, paths: list[Path]) -> None:
        self.paths = paths
        self._fds: list[int] = []

    def acquire(self) -> None:
        for path in self.paths:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_holder(fd)
                os.close(fd)
                self.release()
                who = f" (process {holder})" if holder else ""
                raise StoreError(
                    f"another factsheet run{who} is using {path.parent} (lock {path.name}): "
                    "wait for it to finish, or write to another output folder with -o / --store"
                ) from None
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            self._fds.append(fd)

    def release(self) -> None:
        while self._fds:
            with contextlib.suppress(OSError):
                os.close(self._fds.pop())

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read_holder(fd: int) -> str:
    with contextlib.suppress(OSError, ValueError):
        return os.pread(fd, 32, 0).decode().strip()
    return ""
