"""The extraction pipeline: articles in, grounded and canonical fact sheets out.

Each article is read, extracted, grounded and canonicalised on its own: a bad article
gets an error and the others go on. A run keeps its state in the store (extract.store):
an article whose text, metadata and fingerprint are unchanged since it was last done is
not extracted again. Order of writes per article: the store commits first, then the sheet
file is written; a crash between the two leaves a done row whose file is missing or old,
and the next run rewrites that file from the store. See docs/store.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import hashlib
import json
import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from extract import canonical, corpus, corpus_fact, corpus_state, corpus_units, entities, splice, tables
from extract.align import folded_text
from extract.articles import DEFAULT_MAX_BYTES, Article, ArticleSource, load
from extract.backends.base import Backend
from extract.canonical import Canonicaliser
from extract.corpus import FACTSHEETS_JSONL
from extract.errors import EndpointUnavailable, FactsheetError
from extract.grounding import check_values, ground_sheet
from extract.output import drop_stale_copy, remove_sheet, set_aside_sheet, sheet_json, sheet_path, write_atomic
from extract.parallel import Finished, WorkerPool, default_workers, extraction_error, uses_processes
from extract.shards import ShardPool, can_fork, shards_of, splittable
from extract.store import (
    STORE_NAME,
    Fingerprint,
    Meter,
    PlanRow,
    ResponseCache,
    RunLock,
    Store,
    TokenCount,
    current_meter,
    lock_paths,
    metering,
    using_cache,
)
from extract.store.calls import recording_calls
from extract.store.db import now
from schemas import SCHEMA_VERSION, FactSheet, Usage

log = logging.getLogger("factsheet")

COMBINED_JSONL = FACTSHEETS_JSONL

# Bump when grounding or canonicalisation code changes what a sheet holds: every article is
# then re-extracted on the next run (for free where the LLM cache has the answers).
POSTPROCESS_VERSION = "3"  # 2: evidence must be a whole clause, caps; 3: a metric value its quotes state

# Finished articles are committed in groups of this many, or after this many seconds.
BATCH_SIZE = 16
BATCH_DELAY = 0.2
# Worker processes are started only for at least this many articles (starting them costs about a second).
POOL_MIN_ARTICLES = 16

OUTCOMES = ("new", "changed", "unchanged", "failed", "removed")
PENDING = "pending"  # not attempted, or stopped by an unavailable endpoint: the store is left as it was
STOPPED_KEY = "run_stopped"  # meta row: the last run that stopped early, why, and how many it left pending
_TEMP_FILE = re.compile(r"^\..+\.(json|jsonl|csv)\.[A-Za-z0-9_]+\.tmp$")


@dataclass
class ArticleResult:
    source: ArticleSource
    # The new sheet, while `on_result` sees the result; the report does not keep it (RunReport.sheets reads the store).
    sheet: FactSheet | None = None
    error: str | None = None
    outcome: str = ""  # new, changed, unchanged, failed or pending
    reason: str | None = None  # why it was extracted: new, forced, retry, content, fingerprint
    spent: TokenCount = field(default_factory=TokenCount)
    usage: Usage = field(default_factory=Usage)  # what the new sheet's provenance records
    facts: tuple[int, int, int] | None = None  # the new sheet's metrics, projects and statements, kept after `sheet`

    @property
    def ok(self) -> bool:
        return self.error is None and not self.pending

    @property
    def pending(self) -> bool:
        return self.outcome == PENDING


@dataclass
class RunReport:
    results: list[ArticleResult] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # pruned article ids
    missing: list[str] = field(default_factory=list)  # in the store, not in the inputs, kept
    store_path: Path | None = None
    # Why the run stopped starting articles (EndpointUnavailable's message), or None when it went through.
    stopped: str | None = None
    # The run's process's CPU time (its own, not its worker processes') over the extraction's wall time; None with
    # LLM worker processes or nothing extracted. Near 1 for one LLM process: the client's own work set the pace, not
    # the server (extract/commands/run.py, pace_hint).
    busy: float | None = None

    @property
    def failed(self) -> list[ArticleResult]:
        return [r for r in self.results if not r.ok and not r.pending]

    @property
    def pending(self) -> list[ArticleResult]:
        """Articles left as they were because the endpoint was unavailable: the next run takes them up."""
        return [r for r in self.results if r.pending]

    @property
    def sheets(self) -> list[FactSheet]:
        """The sheet of every input article that has one now (extracted or unchanged), read from the store."""
        ids = [r.source.id for r in self.results if r.ok]
        if not ids or self.store_path is None:
            return []
        with Store.open(self.store_path, create=False) as store:
            texts = [store.sheet_text(article_id) for article_id in ids]
        return [FactSheet.model_validate_json(text) for text in texts if text is not None]

    @property
    def extracted(self) -> list[ArticleResult]:
        return [r for r in self.results if r.outcome in ("new", "changed")]

    @property
    def usage(self) -> Usage:
        """Usage recorded in the sheets extracted by this run (cached answers included)."""
        total = Usage()
        for result in self.extracted:
            total = total + result.usage
        return total

    @property
    def spent(self) -> TokenCount:
        """Requests and tokens this run actually sent to an API, and answers taken from the cache."""
        parts = [r.spent for r in self.results]
        return TokenCount(sum(p.requests for p in parts), sum(p.prompt_tokens for p in parts),
                          sum(p.completion_tokens for p in parts), sum(p.cached_requests for p in parts))

    @property
    def counts(self) -> dict[str, int]:
        """One count per outcome; `pending` only when the run stopped early (see `stopped`)."""
        counts = dict.fromkeys(OUTCOMES, 0)
        for result in self.results:
            outcome = result.outcome or "failed"
            counts[outcome] = counts.get(outcome, 0) + 1
        counts["removed"] = len(self.removed)
        return counts

    def summary(self) -> str:
        counts = self.counts
        text = ", ".join(f"{counts[k]} {k}" for k in (*OUTCOMES, PENDING) if k in counts)
        reasons: dict[str, int] = {}
        for result in self.results:
            if result.outcome == "changed" and result.reason:
                reasons[result.reason] = reasons.get(result.reason, 0) + 1
        if reasons:
            text += " (changed: " + ", ".join(f"{n} {why}" for why, n in sorted(reasons.items())) + ")"
        return text


def complete_sheet(article: Article, sheet: FactSheet, canonicaliser: Canonicaliser) -> tuple[FactSheet, list[str]]:
    """A backend's sheet grounded and canonicalised, and one reason per fact dropped (nothing logged)."""
    sheet = sheet.model_copy(update={"article": article.meta})
    folded = folded_text(article.text)  # folded once, also for the backend
    grounded = ground_sheet(article.text, sheet, folded)
    stated = check_values(grounded.sheet, folded)
    result = canonicaliser.sheet(stated.sheet)
    provenance = result.provenance.model_copy(update={"aliases_version": canonicaliser.version})
    return result.model_copy(update={"provenance": provenance}), grounded.dropped + stated.dropped


def finish_sheet(article: Article, sheet: FactSheet, canonicaliser: Canonicaliser | None = None) -> FactSheet:
    """Ground and canonicalise a backend's sheet; facts whose quotes are not found are dropped."""
    result, dropped = complete_sheet(article, sheet, canonicaliser or Canonicaliser.default())
    for reason in dropped:
        log.warning("%s: dropped a fact: %s", article.id, reason)
    return result


async def extract_article(article: Article, backend: Backend, canonicaliser: Canonicaliser | None = None) -> FactSheet:
    """One article through a backend, grounded and canonicalised."""
    sheet = await backend.extract(article)
    return finish_sheet(article, sheet, canonicaliser)


def run_fingerprint(backend: Backend, canonicaliser: Canonicaliser | None = None) -> Fingerprint:
    """The fingerprint of a run: the backend's own (model, mode, prompt version...), the schema
    version, the alias tables' version and the post-processing version. The one place it is made."""
    canonicaliser = canonicaliser or Canonicaliser.default()
    parts = {str(k): v if isinstance(v, str) else json.dumps(v, sort_keys=True, default=str)
             for k, v in backend.fingerprint().items()}
    parts.update(schema_version=SCHEMA_VERSION, aliases_version=canonicaliser.version,
                 postprocess_version=POSTPROCESS_VERSION)
    blob = json.dumps(parts, sort_keys=True, separators=(",", ":"))
    return Fingerprint(hash=hashlib.sha256(blob.encode()).hexdigest()[:16], parts=parts)


def content_hash(article: Article) -> str:
    """A hash of what the extraction reads: the text (by its sha256) and its metadata."""
    blob = json.dumps(article.meta.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


@dataclass
class RunOptions:
    out_dir: Path
    max_bytes: int = DEFAULT_MAX_BYTES
    encoding: str | None = None
    write_combined: bool = True  # the corpus files: factsheets.jsonl, facts.jsonl, metrics.csv
    store: Path | None = None  # default: out_dir/factsheet.sqlite
    force: bool = False  # extract every article again
    prune: bool = False  # remove sheets and rows of articles no longer in the inputs
    cache: bool = True  # answer repeated LLM requests from the store
    inputs: list[str] | None = None  # the paths asked for, recorded so `factsheet status` can find pending work
    # Processes: for a CPU-bound backend (rules), None is the cores; for one that can be split (the LLM), None is one
    # process, and N forks N workers sharing its --concurrency (extract/shards.py).
    workers: int | None = None

    @property
    def store_path(self) -> Path:
        return self.store if self.store is not None else self.out_dir / STORE_NAME


@dataclass
class Planned:
    """An article to extract and why."""

    source: ArticleSource
    article: Article
    reason: str
    content_hash: str
    first_time: bool  # no good sheet was ever made for it


@dataclass
class RunPlan:
    todo: list[Planned] = field(default_factory=list)
    unchanged: list[tuple[ArticleSource, PlanRow]] = field(default_factory=list)
    failed: list[ArticleResult] = field(default_factory=list)  # unreadable or duplicate inputs
    missing: list[str] = field(default_factory=list)  # ids in the store but not in the inputs

    def count(self, reason: str) -> int:
        return sum(1 for p in self.todo if p.reason == reason)


# Appended to the fingerprint stored with a sheet some part of which failed (provenance.failed_parts): the sheet
# is kept and counted done, and the next run extracts the article again (its good parts come from the cache).
PARTIAL = "+partial"


def stored_fingerprint(sheet: FactSheet, fingerprint_hash: str) -> str:
    """The fingerprint to store with `sheet`: marked when part of the article failed, so a re-run retries it."""
    extra = sheet.provenance.model_extra or {}
    return fingerprint_hash + PARTIAL if extra.get("failed_parts") else fingerprint_hash


def _why(row: PlanRow | None, digest: str, fingerprint: Fingerprint, force: bool) -> str | None:
    """Why an article must be extracted, or None when its stored sheet still holds."""
    if row is None:
        return "new"
    if force:
        return "forced"
    if row.status != "done" or (row.fingerprint or "").endswith(PARTIAL):
        return "retry"
    if row.content_hash != digest:
        return "content"
    if row.fingerprint != fingerprint.hash:
        return "fingerprint"
    return None


def plan_run(sources: list[ArticleSource], store: Store, fingerprint: Fingerprint, options: RunOptions,
             run_id: int | None = None) -> RunPlan:
    """Read and hash every input and sort it into to-extract, unchanged and unreadable (no sheet is loaded)."""
    plan = RunPlan()
    rows = store.plan_rows()
    seen: dict[str, ArticleSource] = {}
    for source in sources:
        if source.id in seen:
            error = f"duplicate article id {source.id!r} (also {seen[source.id].label}): rename one of the files"
            plan.failed.append(ArticleResult(source, error=error, outcome="failed"))
            continue
        seen[source.id] = source
        row = rows.get(source.id)
        try:
            article = load(source, max_bytes=options.max_bytes, encoding=options.encoding)
        except FactsheetError as e:
            store.record_failure(run_id=run_id, article_id=source.id, source=source.label, error=str(e))
            set_aside_sheet(options.out_dir, source.id)  # its old sheet may not match the file any more
            plan.failed.append(ArticleResult(source, error=str(e), outcome="failed"))
            continue
        digest = content_hash(article)
        why = _why(row, digest, fingerprint, options.force)
        if why is None:
            assert row is not None
            plan.unchanged.append((source, row))
        else:
            first = row is None or row.sheet_sha256 is None
            plan.todo.append(Planned(source, article, why, digest, first))
    plan.missing = sorted(article_id for article_id in rows if article_id not in seen)
    return plan


def remove_temp_files(out_dir: Path) -> int:
    """Delete temporary files that a killed run left behind (write_atomic's `.name.XXXX.tmp`)."""
    removed = 0
    for child in out_dir.iterdir():
        if _TEMP_FILE.match(child.name) and child.is_file():
            with contextlib.suppress(OSError):
                child.unlink()
                removed += 1
    return removed


def restore_sheet(out_dir: Path, row: PlanRow, store: Store) -> bool:
    """Make out_dir/<id>.json hold the stored sheet (checked by its hash); True when it had to be (re)written."""
    path = sheet_path(out_dir, row.id)
    try:
        if hashlib.sha256(path.read_bytes()).hexdigest() == row.sheet_sha256:
            return False
    except OSError:
        pass
    text = store.sheet_text(row.id)
    if text is None:
        return False
    write_atomic(path, text)
    return True


def backend_model(backend: Backend) -> str | None:
    """The model a backend calls, if it says (for pricing the tokens of failed articles)."""
    model = getattr(backend, "model", None) or getattr(getattr(backend, "settings", None), "model", None)
    return model if isinstance(model, str) else None


def _spent(sheet: FactSheet | None, meter: Meter) -> TokenCount:
    """What an extraction cost: the metered client's count, else what the backend reported."""
    if meter.seen or sheet is None:
        return meter.spent()
    usage = sheet.provenance.usage
    return TokenCount(usage.requests, usage.prompt_tokens, usage.completion_tokens, 0)


def _note_cache(sheet: FactSheet, meter: Meter) -> FactSheet:
    """Say in the provenance how many of the sheet's requests were answered from the cache."""
    if not meter.cached_requests:
        return sheet
    provenance = sheet.provenance.model_copy(update={"cached_requests": meter.cached_requests})
    return sheet.model_copy(update={"provenance": provenance})


@dataclass
class _Run:
    """What every article of one run shares."""

    backend: Backend
    canonicaliser: Canonicaliser
    store: Store
    options: RunOptions
    run_id: int
    fingerprint: Fingerprint
    shards: ShardPool | None = None  # the LLM's worker processes, forked before the store was opened


@dataclass
class _Extracted:
    """An extraction waiting for its group's commit."""

    planned: Planned
    result: ArticleResult
    sheet: FactSheet | None
    text: str | None
    unavailable: str | None = None  # the endpoint cannot serve any article: why (EndpointUnavailable)


def endpoint_reason(error: BaseException) -> str:
    """The innermost EndpointUnavailable's message: the transport's own (what failed, the host, what to
    check), without the per-article notes a backend may have wrapped around it."""
    reason, cause = str(error), error.__cause__
    while cause is not None:
        if isinstance(cause, EndpointUnavailable):
            reason = str(cause)
        cause = cause.__cause__
    return reason


@dataclass
class _Halt:
    """Set once the endpoint is known to be unavailable: no new article is started after it."""

    reason: str | None = None

    def stop(self, reason: str) -> None:
        if self.reason is None:
            self.reason = reason
            log.debug("endpoint unavailable (%s): starting no more articles", reason)


async def extract_finished(article: Article, backend: Backend, canonicaliser: Canonicaliser
                           ) -> tuple[Finished, str | None]:
    """One article through the backend, grounded and canonicalised, or its error; and, when the endpoint
    cannot serve any article, why (see _Halt). Here or in a worker process (extract/shards.py)."""
    try:
        raw = await backend.extract(article)
        sheet, dropped = complete_sheet(article, raw, canonicaliser)
        return Finished(sheet, None, dropped), None
    except EndpointUnavailable as e:  # not this article's problem: the run decides (see _Halt)
        log.debug("endpoint unavailable on %s", article.id, exc_info=True)
        return Finished(error=extraction_error(e)), endpoint_reason(e)
    except Exception as e:  # one article's bug must not stop the others
        log.debug("error on %s", article.id, exc_info=True)
        return Finished(error=extraction_error(e)), None


def _noted(finished: Finished, meter: Meter | None) -> Finished:
    """The sheet with its cache note, and its JSON: made once, where the sheet was made."""
    sheet = finished.sheet
    if sheet is None:
        return finished
    noted = _note_cache(sheet, meter) if meter is not None else sheet
    if noted is not sheet or finished.text is None:
        return Finished(noted, sheet_json(noted), finished.dropped, finished.error)
    return finished


async def _extract_in_worker(article: Article, backend: Backend, canonicaliser: Canonicaliser
                             ) -> tuple[Finished, str | None]:
    """extract_finished in a worker process, with the sheet's JSON made there (off the run's event loop)."""
    finished, unavailable = await extract_finished(article, backend, canonicaliser)
    return _noted(finished, current_meter()), unavailable


async def _extract_planned(planned: Planned, ctx: _Run, pool: WorkerPool | ShardPool | None) -> _Extracted:
    result = ArticleResult(planned.source, reason=planned.reason)
    if isinstance(pool, ShardPool):  # metered, logged and noted in the worker
        finished, meter, unavailable = await pool.extract(ctx.run_id, planned.source.id, planned.article)
    else:
        with metering() as meter, recording_calls(ctx.store, ctx.run_id, planned.source.id):
            if pool is not None:
                finished, unavailable = await pool.extract(planned.article), None
            else:
                finished, unavailable = await extract_finished(planned.article, ctx.backend, ctx.canonicaliser)
        finished = _noted(finished, meter)
    for reason in finished.dropped:
        log.warning("%s: dropped a fact: %s", planned.article.id, reason)
    result.error = finished.error
    result.spent = _spent(finished.sheet, meter)
    return _Extracted(planned, result, finished.sheet, finished.text, unavailable)


def _record_paid(ctx: _Run, item: _Extracted) -> None:
    """Put the tokens an article paid for before the endpoint went away in the ledger, touching not its row.

    Only paid tokens: attempts that never reached a server cost nothing and would only swell the request count.
    """
    spent = item.result.spent
    if spent.prompt_tokens or spent.completion_tokens:
        with ctx.store.transaction() as conn:
            Store._ledger(conn, ctx.run_id, item.planned.source.id, backend_model(ctx.backend), spent, now())


class _Committer:
    """Commits finished articles in small groups, then writes their sheet files and reports them.

    A group is committed when it holds `size` articles or is `delay` seconds old, and at the
    end: a kill loses at most the articles in flight and the finished ones not yet committed (one
    group, and those that finished while the last group's sheet files were being written).
    With `flush_every` running, a group is committed by that task and its sheet files are written
    in a thread (each is fsynced: ~1-2 ms a file the event loop would otherwise stand still for);
    without it (extract/batch_run.py), `add` commits a full group itself.
    """

    def __init__(self, ctx: _Run, on_result: Callable[[ArticleResult], None] | None,
                 cache: ResponseCache | None, size: int = BATCH_SIZE) -> None:
        self.ctx, self.on_result, self.cache, self.size = ctx, on_result, cache, size
        self.pending: list[_Extracted] = []
        self._full: asyncio.Event | None = None  # set by `flush_every` while it runs: wakes it for a full group

    def add(self, item: _Extracted) -> None:
        self.pending.append(item)
        if len(self.pending) >= self.size:
            if self._full is not None:
                self._full.set()
            else:
                self.flush()

    def flush(self) -> None:
        items = self._commit()
        for item in items:
            self._finish(item, self._write_file(item))

    async def _flush_async(self) -> None:
        items = self._commit()
        if items:
            errors = await asyncio.to_thread(lambda: [self._write_file(item) for item in items])
            for item, error in zip(items, errors, strict=True):
                self._finish(item, error)

    def _commit(self) -> list[_Extracted]:
        items, self.pending = self.pending, []
        if not items:
            return items
        ctx = self.ctx
        # The store first: once committed the articles are done, whatever happens next.
        with ctx.store.batch() as batch:
            for item in items:
                source, result = item.planned.source, item.result
                if item.sheet is not None and item.text is not None:
                    batch.record_done(run_id=ctx.run_id, source=source.label, sheet=item.sheet, sheet_text=item.text,
                                      content_hash=item.planned.content_hash,
                                      fingerprint=stored_fingerprint(item.sheet, ctx.fingerprint.hash),
                                      spent=result.spent)
                else:
                    batch.record_failure(run_id=ctx.run_id, article_id=source.id, source=source.label,
                                         error=result.error or "unknown error", model=backend_model(ctx.backend),
                                         spent=result.spent)
        if self.cache is not None:
            self.cache.flush()
        return items

    def _write_file(self, item: _Extracted) -> str | None:
        """Write the article's sheet file, if it has a sheet; why it could not be written."""
        sheet = item.sheet
        if sheet is None or item.text is None:
            return None
        try:
            write_atomic(sheet_path(self.ctx.options.out_dir, sheet.article.id), item.text)
        except OSError as e:
            return f"cannot write its sheet: {e.strerror or e}"
        return None

    def _finish(self, item: _Extracted, write_error: str | None) -> None:
        result, sheet = item.result, item.sheet
        if sheet is not None and item.text is not None:
            if write_error is not None:
                result.error = write_error
                result.spent = TokenCount()  # already in the ledger
                self.ctx.store.record_failure(run_id=self.ctx.run_id, article_id=item.planned.source.id,
                                              source=item.planned.source.label, error=result.error)
            else:
                result.sheet, result.usage = sheet, sheet.provenance.usage
                result.facts = (len(sheet.metrics), len(sheet.infrastructure_projects), len(sheet.policy_statements))
                result.outcome = "new" if item.planned.first_time else "changed"
        if result.error is not None:
            result.outcome = "failed"
            # Its old sheet's quotes may not match the new text: moved aside, never read as current.
            set_aside_sheet(self.ctx.options.out_dir, item.planned.source.id)
        else:
            drop_stale_copy(self.ctx.options.out_dir, item.planned.source.id)
        if self.on_result:
            self.on_result(result)
        result.sheet = None  # the report keeps no sheet: a run over 10,000 articles holds one group of them

    async def flush_every(self, delay: float, stop: asyncio.Event) -> None:
        """Commit a group when it is full or `delay` seconds old, until `stop`, and then what is left."""
        self._full = full = asyncio.Event()
        try:
            while not stop.is_set():
                waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(full.wait())]
                try:
                    await asyncio.wait(waiters, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for waiter in waiters:
                        waiter.cancel()
                full.clear()
                await self._flush_async()
            await self._flush_async()  # what finished while the last group's files were written
        finally:
            self._full = None


async def run_sources(
    sources: Iterable[ArticleSource],
    backend: Backend,
    options: RunOptions,
    on_result: Callable[[ArticleResult], None] | None = None,
    on_plan: Callable[[RunPlan], None] | None = None,
) -> RunReport:
    """Extract what is new or changed with at most `backend.concurrency` in flight; write as they finish.

    Holds the run lock of the output folder (and of the store) throughout: a second run at
    the same time is refused with StoreError.
    """
    canonicaliser = Canonicaliser.default()
    fingerprint = run_fingerprint(backend, canonicaliser)
    source_list = list(sources)
    out_dir = options.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    store_path = options.store_path
    with await _shard_pool(backend, canonicaliser, options) as shards, \
            RunLock(lock_paths(out_dir, store_path)), Store.open(store_path) as store:
        removed_temp = remove_temp_files(out_dir)
        if removed_temp:
            log.debug("removed %d temporary files left by an interrupted run", removed_temp)
        store.remember_fingerprint(fingerprint)
        run_id = store.start_run(backend=backend.name, fingerprint=fingerprint.hash,
                                 inputs=options.inputs or [str(s.path.resolve()) for s in source_list if s.path])
        ctx = _Run(backend, canonicaliser, store, options, run_id, fingerprint, shards)
        report = await _run_planned(source_list, ctx, on_result, on_plan)
        report.store_path = store_path
        store.finish_run(run_id, report.counts)
        if report.stopped is not None:  # for `factsheet status`: why the last run left articles pending
            store.set_meta(STOPPED_KEY, json.dumps({"run": run_id, "reason": report.stopped,
                                                    "pending": len(report.pending)}))
        return report


async def _shard_pool(backend: Backend, canonicaliser: Canonicaliser, options: RunOptions
                      ) -> contextlib.AbstractContextManager[ShardPool | None]:
    """The backend's worker processes when --workers asks for them and it can be split; forked here, before the run
    takes its lock or opens its store, so that they hold neither (extract/shards.py), and after each shard is
    warmed up (`warm`), so that they inherit what their first request needs."""
    shards = shards_of(backend, options.workers)
    if shards is None:
        if (options.workers or 1) > 1 and splittable(backend) and not can_fork():
            log.warning("--workers %d: this platform cannot fork worker processes; the run uses one", options.workers)
        return contextlib.nullcontext()
    log.info("%d worker processes share the requests in flight (--workers)", len(shards))
    for shard in shards:
        warm = getattr(shard, "warm", None)
        if warm is not None:
            await warm()
    return ShardPool(shards, options.store_path, cache=options.cache, refresh=options.force,
                     extract_one=functools.partial(_extract_in_worker, canonicaliser=canonicaliser))


def _pool(ctx: _Run, todo: int) -> WorkerPool | None:
    """Worker processes for a CPU-bound backend, when there is enough to do to pay for starting them."""
    workers = ctx.options.workers or default_workers()
    if not uses_processes(ctx.backend, workers) or todo < POOL_MIN_ARTICLES:
        return None
    return WorkerPool(ctx.backend, min(workers, todo))


async def _extract_all(plan: RunPlan, ctx: _Run, on_result: Callable[[ArticleResult], None] | None
                       ) -> tuple[list[ArticleResult], str | None]:
    """Every planned article's result, and why the run stopped early (None when it did not)."""
    cache = ResponseCache(ctx.store, refresh=ctx.options.force) if ctx.options.cache else None
    committer = _Committer(ctx, on_result, cache)
    pool = _pool(ctx, len(plan.todo))  # rules only: a backend with shards is not CPU-bound
    semaphore = asyncio.Semaphore(2 * pool.workers if pool else max(1, ctx.backend.concurrency))
    stop = asyncio.Event()
    halt = _Halt()

    async def one(planned: Planned) -> ArticleResult:
        async with semaphore:
            if halt.reason is not None:  # the endpoint is down: every further article would fail the same way
                return ArticleResult(planned.source, outcome=PENDING, reason=planned.reason)
            item = await _extract_planned(planned, ctx, pool or ctx.shards)
        if item.unavailable is not None:
            # Not marked failed: the row stays as it was, so the next run takes the article up as new or retry.
            halt.stop(item.unavailable)
            _record_paid(ctx, item)
            return ArticleResult(planned.source, outcome=PENDING, reason=planned.reason, spent=item.result.spent)
        committer.add(item)
        return item.result

    async def extract_then_stop(group: asyncio.TaskGroup) -> list[asyncio.Task[ArticleResult]]:
        tasks = [group.create_task(one(p)) for p in plan.todo]
        await asyncio.gather(*tasks, return_exceptions=True)
        stop.set()
        return tasks

    try:
        with contextlib.ExitStack() as stack, using_cache(cache):
            if pool is not None:
                stack.enter_context(pool)
            async with asyncio.TaskGroup() as group:
                group.create_task(committer.flush_every(BATCH_DELAY, stop))
                tasks_task = group.create_task(extract_then_stop(group))
            if ctx.shards is not None:  # the workers' last writes (cache hits) land before the run is finished
                ctx.shards.close()
            committer.flush()
    except BaseExceptionGroup as eg:  # a store failure stops the run: raise it as itself, not as a group
        raise eg.exceptions[0] from None
    finally:
        if cache is not None:
            with contextlib.suppress(Exception):
                cache.flush()
    return [t.result() for t in tasks_task.result()], halt.reason


async def _run_planned(sources: list[ArticleSource], ctx: _Run, on_result: Callable[[ArticleResult], None] | None,
                       on_plan: Callable[[RunPlan], None] | None) -> RunReport:
    options, store = ctx.options, ctx.store
    out_dir = options.out_dir
    plan = plan_run(sources, store, ctx.fingerprint, options, ctx.run_id)
    if on_plan:
        on_plan(plan)
    report = RunReport(missing=[] if options.prune else plan.missing)
    for result in plan.failed:
        report.results.append(result)
        if on_result:
            on_result(result)
    for source, row in plan.unchanged:
        if restore_sheet(out_dir, row, store):
            log.info("restored %s from the store", sheet_path(out_dir, row.id))
        report.results.append(ArticleResult(source, outcome="unchanged"))
    plan.unchanged = []  # nothing below needs them
    if plan.todo:
        started, cpu_started = time.perf_counter(), time.process_time()
        results, report.stopped = await _extract_all(plan, ctx, on_result)
        wall = time.perf_counter() - started
        if ctx.shards is None and wall > 0:
            report.busy = (time.process_time() - cpu_started) / wall
        report.results.extend(results)
    plan.todo = []  # the articles' texts can go

    if options.prune:
        for article_id in plan.missing:
            # The file first, then the row: a crash between leaves a row the next --prune removes.
            remove_sheet(out_dir, article_id)
            store.delete(article_id)
            report.removed.append(article_id)

    if options.write_combined:
        write_corpus_from_store(out_dir, store, ctx.canonicaliser)
    return report


CORPUS_STATE_OF = "corpus-state-of"  # meta: the output folder whose files the kept corpus state describes


def _code_hash() -> str:
    code = hashlib.sha256()
    for module in (corpus, canonical, corpus_fact, corpus_state, corpus_units, splice, tables, entities):
        code.update(Path(module.__file__ or "").read_bytes())
    return code.hexdigest()[:16]


CORPUS_CODE = _code_hash()  # when this module is imported: the code this process runs, not what is on disk later


def _corpus_code(canonicaliser: Canonicaliser) -> str:
    """What the corpus files are made from, apart from the sheets: the alias tables and the corpus code."""
    return json.dumps({"aliases": canonicaliser.version, "code": CORPUS_CODE, "files": list(corpus.CORPUS_FILES)},
                      sort_keys=True)


def _file_stats(out_dir: Path) -> dict[str, list[int]] | None:
    stats: dict[str, list[int]] = {}
    for name in corpus.CORPUS_FILES:
        try:
            st = (out_dir / name).stat()
        except OSError:
            return None
        stats[name] = [st.st_size, st.st_mtime_ns]
    return stats


def write_corpus_from_store(out_dir: Path, store: Store, canonicaliser: Canonicaliser, *, force: bool = False) -> bool:
    """Bring the corpus files up to date with the store's done sheets; returns whether any was written.

    Skipped when the files are present, untouched since they were written, and made from the same
    sheets, alias tables and corpus code: a no-op run does not read a single sheet. Otherwise the
    kept merge state (store migration 7, extract/corpus_state.py) is updated with the articles
    added, changed or removed since, and only the units they touch are made anew; each file is
    written by copying the unchanged byte ranges of the old one. When the old files cannot be
    trusted (missing or changed since, other alias tables or corpus code, another output folder,
    `force`), the state is emptied and every done article added: the full rebuild.
    """
    key = f"corpus:{out_dir.resolve()}"
    code = _corpus_code(canonicaliser)
    sheets = store.done_digest()
    recorded = store.get_meta(key)
    old = json.loads(recorded) if recorded is not None else {}
    stats = _file_stats(out_dir)
    if not force and old.get("sheets") == sheets and old.get("code") == code and old.get("files") == stats:
        return False
    incremental = (not force and old.get("code") == code and old.get("files") == stats and stats is not None
                   and store.get_meta(CORPUS_STATE_OF) == key)
    # A crash from here on leaves no claim that the files are current, nor that the state describes them:
    # the next run rebuilds them in full.
    store.set_meta(key, None)
    keys = store.corpus_line_keys()
    with store.transaction() as conn:
        state = corpus_state.CorpusState(conn, canonicaliser)
        if not incremental:
            state.clear()
        known = state.known()
        before = {name: state.layout(name) for name in corpus.CORPUS_FILES} if incremental else None
        if before is not None and any(sum(n for _, n in before[name]) != stats[name][0]  # type: ignore[index]
                                      for name in corpus.CORPUS_FILES):
            state.clear()  # the kept lengths do not add up to the files: rebuild
            known, before = {}, None
        removed = [a for a, made in known.items() if keys.get(a) != made]
        added = ((keys[a], store.corpus_line(a)) for a in sorted(keys) if known.get(a) != keys[a])
        update = state.apply(removed, added)
        corpus_state.write_units(out_dir, state, update, before)
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (CORPUS_STATE_OF, key))
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                     (key, json.dumps({"sheets": sheets, "code": code, "files": _file_stats(out_dir)})))
    return True


def run(sources: Iterable[ArticleSource], backend: Backend, options: RunOptions,
        on_result: Callable[[ArticleResult], None] | None = None,
        on_plan: Callable[[RunPlan], None] | None = None) -> RunReport:
    """Synchronous entry point: runs the pipeline and closes the backend."""

    async def main() -> RunReport:
        try:
            return await run_sources(sources, backend, options, on_result, on_plan)
        finally:
            await backend.aclose()

    # The objects made so far (modules, tables, the backend) live through the run: frozen, the cycle collector stops
    # re-scanning them at every full collection (2-3 ms an LLM request, issue #15); unfrozen after, so nothing leaks.
    gc.freeze()
    try:
        return asyncio.run(main())
    finally:
        gc.unfreeze()
