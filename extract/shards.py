"""A concurrent backend (the LLM) split across forked processes, each with its own event loop.

Checking an answer (instructor's parse with our validators, grounding, canonicalising, JSON) is
CPU work on one event loop; at --concurrency 16 it, not the server, sets the pace (docs/llm.md,
"Worker processes"). With `--workers N` the run forks N workers before it opens its store or takes
its lock; each gets its share of --concurrency and --rpm, opens its own connection to the store
(where it writes its call log and cache entries) and sends finished sheets back. The run's process
keeps the plan, the commits, the sheet files and the endpoint-down halt.

Forked, not spawned: a spawned worker imports openai, instructor and pydantic again (1-2 s here),
longer than a whole 64-article run at --concurrency 16. Forking before the store is opened keeps
SQLite's rule: no connection is carried across a fork. Where fork is missing (Windows), the run uses
one process.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import multiprocessing
import os
import pickle
import signal
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from extract.articles import Article
from extract.backends.base import Backend
from extract.parallel import Finished, extraction_error, watch_parent
from extract.store.cache import Meter

log = logging.getLogger("factsheet")

JOIN_TIMEOUT = 30.0  # seconds a worker gets to finish its writes after the last article, before it is stopped

# (finished, the article's meter, why the endpoint is unavailable or None)
Outcome = tuple[Finished, Meter, str | None]
# What a worker runs for one article: (article, backend) -> (finished, unavailable); the pipeline's own.
ExtractOne = Callable[[Article, Backend], Awaitable[tuple[Finished, str | None]]]


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def splittable(backend: Backend) -> bool:
    """Whether the backend can be split over worker processes (it has `shards`: the LLM backend)."""
    return callable(getattr(backend, "shards", None))


def shards_of(backend: Backend, workers: int | None) -> list[Backend] | None:
    """The backend split for `workers` processes, or None when it stays in this one: one worker asked
    for (the default), a backend that cannot be split, or no fork."""
    if workers is None or workers < 2 or not splittable(backend) or not can_fork():
        return None
    shards: list[Backend] = backend.shards(workers)  # type: ignore[attr-defined]
    return shards if len(shards) > 1 else None


@dataclass
class _Worker:
    process: Any  # multiprocessing.Process
    conn: Connection
    capacity: int
    pending: dict[int, asyncio.Future[Outcome]] = field(default_factory=dict)
    alive: bool = True


class ShardPool:
    """Forked workers extracting with shards of one backend; `extract` awaits one article's outcome."""

    def __init__(self, shards: list[Backend], store_path: Path, *, cache: bool, refresh: bool,
                 extract_one: ExtractOne) -> None:
        context = multiprocessing.get_context("fork")
        # What the workers inherit is never scanned by their cycle collector: scanning writes to every object's
        # header, copying the pages the fork shares. Unfrozen in `close`.
        gc.freeze()
        self._workers: list[_Worker] = []
        self._next_id = 0
        self._reading = False
        self._closed = False
        for shard in shards:
            ours, theirs = context.Pipe()
            process = context.Process(target=_serve, args=(theirs, shard, store_path, cache, refresh, extract_one,
                                                           os.getpid()), daemon=True, name="factsheet-worker")
            process.start()
            theirs.close()
            self._workers.append(_Worker(process, ours, shard.concurrency))

    def _start_reading(self) -> None:
        if not self._reading:
            loop = asyncio.get_running_loop()
            for worker in self._workers:
                loop.add_reader(worker.conn.fileno(), self._readable, worker)
            self._reading = True

    def _readable(self, worker: _Worker) -> None:
        try:
            while worker.conn.poll():
                job_id, outcome = worker.conn.recv()
                future = worker.pending.pop(job_id, None)
                if future is not None and not future.done():
                    future.set_result(outcome)
        except (EOFError, OSError):
            self._lost(worker)
        except Exception:  # a message that does not unpickle: which article it was is unknown, so the worker goes
            log.debug("a worker's message could not be read", exc_info=True)
            worker.process.terminate()
            self._lost(worker)

    def _lost(self, worker: _Worker) -> None:
        """A worker ended without being asked to (killed, out of memory): its articles fail, the others go on."""
        if not worker.alive:
            return
        worker.alive = False
        with contextlib.suppress(Exception):
            asyncio.get_running_loop().remove_reader(worker.conn.fileno())
        worker.process.join(1.0)
        error = (f"a worker process ended unexpectedly (exit code {worker.process.exitcode}); "
                 "run again to retry the article, or run with --workers 1")
        for future in worker.pending.values():
            if not future.done():
                future.set_result((Finished(error=error), Meter(), None))
        worker.pending.clear()

    async def extract(self, run_id: int, source_id: str, article: Article) -> Outcome:
        """Send the article to the least busy worker and wait for its outcome."""
        self._start_reading()
        alive = [w for w in self._workers if w.alive]
        if not alive:
            return Finished(error="every worker process has ended; run again with --workers 1"), Meter(), None
        worker = min(alive, key=lambda w: len(w.pending) / w.capacity)
        self._next_id += 1
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        worker.pending[self._next_id] = future
        try:
            worker.conn.send((self._next_id, run_id, source_id, article))
        except OSError:
            self._lost(worker)
        return await future

    def close(self, *, wait: bool = True) -> None:
        """Tell every worker there is no more; wait for them to finish their writes (or stop them)."""
        if self._closed:
            return
        self._closed = True
        for worker in self._workers:
            with contextlib.suppress(Exception):
                if self._reading:
                    asyncio.get_running_loop().remove_reader(worker.conn.fileno())
            with contextlib.suppress(OSError):
                worker.conn.send(None)
        deadline = time.monotonic() + (JOIN_TIMEOUT if wait else 0.0)
        for worker in self._workers:
            worker.process.join(max(0.0, deadline - time.monotonic()))
            if worker.process.is_alive():
                worker.process.terminate()
                worker.process.join(5.0)
            worker.conn.close()
        gc.unfreeze()

    def __enter__(self) -> ShardPool:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.close(wait=exc_type is None)


# ---- in the worker ---------------------------------------------------------------------------------------------

def _serve(conn: Connection, backend: Backend, store_path: Path, cache: bool, refresh: bool,
           extract_one: ExtractOne, parent: int) -> None:
    # Ctrl-C reaches the whole process group: the run's process decides, and stops its workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=watch_parent, args=(parent,), daemon=True).start()
    asyncio.run(_serve_async(conn, backend, store_path, cache, refresh, extract_one))


async def _serve_async(conn: Connection, backend: Backend, store_path: Path, cache: bool, refresh: bool,
                       extract_one: ExtractOne) -> None:
    from extract.store import Store
    from extract.store.cache import ResponseCache, metering, using_cache
    from extract.store.calls import recording_calls

    loop = asyncio.get_running_loop()
    jobs: asyncio.Queue[tuple[int, int, str, Article] | None] = asyncio.Queue()

    def readable() -> None:
        try:
            while conn.poll():
                jobs.put_nowait(conn.recv())
        except (EOFError, OSError):  # the run's process is gone
            loop.remove_reader(conn.fileno())
            jobs.put_nowait(None)

    loop.add_reader(conn.fileno(), readable)
    store: Store | None = None
    response_cache: ResponseCache | None = None
    tasks: set[asyncio.Task[None]] = set()

    async def one(job_id: int, run_id: int, source_id: str, article: Article) -> None:
        assert store is not None
        with metering() as meter, recording_calls(store, run_id, source_id):
            try:
                finished, unavailable = await extract_one(article, backend)
            except Exception as e:  # every article gets an answer back, or the run would wait for it forever
                finished, unavailable = Finished(error=extraction_error(e)), None
        try:
            message = pickle.dumps((job_id, (finished, meter, unavailable)), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as e:  # the sheet would not pickle: the article fails, the run goes on
            message = pickle.dumps((job_id, (Finished(error=extraction_error(e)), meter, unavailable)))
        try:
            conn.send_bytes(message)  # what conn.recv() reads back
        except OSError:  # the run's process is gone; watch_parent ends this one
            log.debug("could not send a result back", exc_info=True)

    try:
        while (job := await jobs.get()) is not None:
            if store is None:  # opened at the first article: the run's process made the store by then
                store = Store.open(store_path, create=False)
                response_cache = ResponseCache(store, refresh=refresh) if cache else None
            with using_cache(response_cache):  # the task copies the context: the cache travels with it
                task = asyncio.create_task(one(*job))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.gather(*tasks)
    finally:
        if response_cache is not None:
            with contextlib.suppress(Exception):
                response_cache.flush()
        with contextlib.suppress(Exception):
            await backend.aclose()
        if store is not None:
            store.close()
        conn.close()
