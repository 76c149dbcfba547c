"""CPU-bound backends on every core: extraction, grounding and canonicalisation in worker processes.

A backend that says `cpu_bound = True` (the offline rules) and can be pickled is sent once to
each worker; articles go there and finished sheets come back, with their JSON already made.
Workers are spawned (not forked), so they hold none of the run's file descriptors, such as its
lock; each one exits by itself when the run's process is gone, however that ended.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field

from extract.articles import Article
from extract.backends.base import Backend
from extract.canonical import Canonicaliser
from extract.errors import FactsheetError
from schemas import FactSheet

log = logging.getLogger("factsheet")


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def uses_processes(backend: Backend, workers: int) -> bool:
    return workers > 1 and bool(getattr(backend, "cpu_bound", False))


@dataclass
class Finished:
    """What a worker sends back for one article: the sheet and its JSON, or the error."""

    sheet: FactSheet | None = None
    text: str | None = None
    dropped: list[str] = field(default_factory=list)
    error: str | None = None


def extraction_error(e: BaseException) -> str:
    """The reason recorded for a failed article: ours as it stands, anything else as an internal error."""
    if isinstance(e, FactsheetError):
        return str(e)
    return f"internal error ({type(e).__name__}: {e}); please report it"


_WORKER: dict[str, object] = {}


def watch_parent(parent: int) -> None:
    """In a worker: end this process within half a second of the run's process being gone."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)  # the run is gone (killed, even): nothing may outlive it


def _init(backend: Backend) -> None:
    _WORKER["backend"] = backend
    _WORKER["canonicaliser"] = Canonicaliser.default()
    _WORKER["loop"] = asyncio.new_event_loop()
    threading.Thread(target=watch_parent, args=(os.getppid(),), daemon=True).start()


def _extract(article: Article) -> Finished:
    from extract.output import sheet_json
    from extract.pipeline import complete_sheet

    backend, loop = _WORKER["backend"], _WORKER["loop"]
    assert isinstance(backend, Backend) and isinstance(loop, asyncio.AbstractEventLoop)
    try:
        raw = loop.run_until_complete(backend.extract(article))
        sheet, dropped = complete_sheet(article, raw, _WORKER["canonicaliser"])  # type: ignore[arg-type]
        return Finished(sheet, sheet_json(sheet), dropped)
    except Exception as e:  # one article's bug must not stop the others
        return Finished(error=extraction_error(e))


class WorkerPool:
    """A pool of `workers` processes extracting with one backend; a context manager."""

    def __init__(self, backend: Backend, workers: int) -> None:
        self.workers = workers
        self._executor: Executor = ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn"), initializer=_init, initargs=(backend,))

    async def extract(self, article: Article) -> Finished:
        return await asyncio.get_running_loop().run_in_executor(self._executor, _extract, article)

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
