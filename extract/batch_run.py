"""`factsheet run --batch`: extraction through the provider's Batch API.

Each run does three things, in this order, under the store's run lock:
1. collect: every recorded batch is checked; a finished one's answers are validated,
   grounded and re-asked exactly as direct answers are (LLMBackend.extract with the batch
   answer as each chunk's first answer), and its articles are written like any other;
2. submit: new and changed articles that are not already in a live batch go into one
   request file (several past the API's size limits), uploaded and created as a batch;
3. with `wait`, poll (interval growing up to a ceiling) and collect until none is live.

Every step commits to the store before the next starts, so a crash or Ctrl-C at any point
leaves a state the next run continues from (extract/store/batches.py says how).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from extract.articles import Article, ArticleSource, load
from extract.backends.base import Backend
from extract.backends.llm.backend import OPENAI_BASE_URL, LLMBackend
from extract.backends.llm.batch import (
    DONE,
    BatchClient,
    BatchRefused,
    LineKey,
    LineResult,
    parse_results,
    request_line,
    split_files,
)
from extract.backends.llm.transport import cannot_connect
from extract.canonical import Canonicaliser
from extract.errors import BackendError, ConfigError, EndpointUnavailable, FactsheetError
from extract.output import write_atomic
from extract.pipeline import (
    ArticleResult,
    Planned,
    RunOptions,
    _Committer,
    _extract_planned,
    _Run,
    content_hash,
    plan_run,
    run_fingerprint,
    write_corpus_from_store,
)
from extract.store import Fingerprint, RunLock, Store, lock_paths
from extract.store.batches import (
    BatchLineRow,
    BatchRow,
    add_batch,
    batch_lines,
    batches,
    live_articles,
    new_token,
    update_batch,
)
from schemas import FactSheet, Usage

log = logging.getLogger("factsheet")
BATCH_DIR = "batches"  # request files, under the output folder
LOCAL_PREFIX = "local-"  # batch id of a request file run by the user, not uploaded


@dataclass
class LocalBatches:
    """Batches run outside any Batch API server (vLLM's run_batch): their answers come from files."""

    answers: dict[str, LineResult] = field(default_factory=dict)

    @classmethod
    def read(cls, paths: Iterable[Path]) -> LocalBatches:
        answers: dict[str, LineResult] = {}
        for path in paths:
            try:
                answers.update(parse_results(path.read_text(encoding="utf-8")))
            except (OSError, UnicodeDecodeError) as e:
                raise ConfigError(f"cannot read the batch answers file {path}: {e}") from e
        return cls(answers)


@dataclass
class BatchReport:
    results: list[ArticleResult] = field(default_factory=list)  # collected (and unreadable) articles
    submitted: list[str] = field(default_factory=list)  # provider batch ids created by this run
    submitted_articles: int = 0
    waiting: int = 0  # articles planned but already in a live batch
    live: list[BatchRow] = field(default_factory=list)  # batches still running at the end
    batch_usage: Usage = field(default_factory=Usage)  # tokens answered through batches
    direct_usage: Usage = field(default_factory=Usage)  # tokens of re-asks and split requests sent directly

    @property
    def failed(self) -> list[ArticleResult]:
        return [r for r in self.results if not r.ok]


class _Answered(Backend):
    """The LLM backend with each chunk's first answer taken from a batch output file."""

    name = "llm"

    def __init__(self, backend: LLMBackend, answers: dict[str, dict[int, Any]], batch_id: str | None) -> None:
        self.backend = backend
        self.answers = answers
        self.batch_id = batch_id
        self.concurrency = backend.concurrency

    async def extract(self, article: Article) -> FactSheet:
        sheet = await self.backend.extract(article, answers=self.answers[article.id])
        return sheet.model_copy(update={"provenance": sheet.provenance.model_copy(update={"batch_id": self.batch_id})})


def _line_usage(completion: dict[str, Any]) -> Usage:
    usage = completion.get("usage") or {}
    return Usage(requests=1, prompt_tokens=int(usage.get("prompt_tokens") or 0),
                 completion_tokens=int(usage.get("completion_tokens") or 0))


class BatchRunner:
    """One `run --batch`: the store, the batch client and the articles of this run."""

    def __init__(self, backend: LLMBackend, options: RunOptions, store: Store, run_id: int, fingerprint: Fingerprint,
                 canonicaliser: Canonicaliser, on_result: Callable[[ArticleResult], None] | None = None,
                 local: LocalBatches | None = None) -> None:
        self.local = local
        self.backend, self.options, self.store = backend, options, store
        self.run_id, self.fingerprint, self.canonicaliser = run_id, fingerprint, canonicaliser
        self.client = BatchClient(backend.settings, backend.settings.base_url or OPENAI_BASE_URL)
        self.on_result = on_result
        self.report = BatchReport()
        self.planned: dict[str, Planned] = {}

    # Collecting -----------------------------------------------------------------

    async def collect(self) -> tuple[int, int]:
        """Check every live batch and collect the finished ones; (requests answered, requests) of those still live."""
        answered = total = 0
        for row in batches(self.store):
            batch = await self._current(row)
            if batch is None:
                continue
            status = str(batch.status)
            if status not in DONE and batch.request_counts:
                answered += batch.request_counts.completed + batch.request_counts.failed
                total += batch.request_counts.total
            if status != row.status:
                update_batch(self.store, row.token, status=status)
                counts = batch.request_counts
                done = f" ({counts.completed}/{counts.total} answered)" if counts and status not in DONE else ""
                log.info("batch %s: %s%s", batch.id, status, done)
            if status in DONE:
                await self._collect_batch(row, batch)
        return answered, total

    async def _current(self, row: BatchRow) -> Any | None:
        """The provider's batch for a record; a record whose create never happened is abandoned."""
        if row.batch_id and row.batch_id.startswith(LOCAL_PREFIX):
            answered = self.local is not None and any(ln.custom_id in self.local.answers
                                                      for ln in batch_lines(self.store, row.token))
            return SimpleNamespace(id=row.batch_id, status="completed" if answered else "in_progress",
                                   request_counts=None, output_file_id=None, error_file_id=None, errors=None)
        if row.batch_id:
            return await self.client.retrieve(row.batch_id)
        if not row.input_file_id:  # stopped before the upload finished: no batch can have been made from it
            update_batch(self.store, row.token, state="abandoned")
            return None
        batch = await self.client.find(row.token)  # a crash between upload and recording the batch id
        if batch is None:
            log.info("a batch being submitted when a run stopped was never created; its articles are planned again")
            update_batch(self.store, row.token, state="abandoned")
            return None
        update_batch(self.store, row.token, batch_id=batch.id, state="submitted", status=str(batch.status))
        return batch

    async def _collect_batch(self, row: BatchRow, batch: Any) -> None:
        results: dict[str, LineResult] = {}
        if self.local is not None and str(batch.id).startswith(LOCAL_PREFIX):
            results = self.local.answers
        for file_id in (batch.output_file_id, batch.error_file_id):
            results.update(parse_results(await self.client.download(file_id)))
        if batch.status == "failed" and not results:
            reasons = "; ".join(e.message or e.code or "" for e in (batch.errors.data or [])) if batch.errors else ""
            reason = f"the batch was refused: {reasons or 'no reason given'}"
        else:
            reason = f"the batch ended {batch.status} before answering it"
        by_article: dict[str, list[BatchLineRow]] = {}
        for line in batch_lines(self.store, row.token):
            by_article.setdefault(line.article_id, []).append(line)
        answers: dict[str, dict[int, Any]] = {}
        todo: list[Planned] = []
        for article_id, lines in by_article.items():
            planned = self._article(article_id, lines[0])
            if planned is None:
                continue
            errors = [results[ln.custom_id].error if ln.custom_id in results else reason for ln in lines
                      if ln.custom_id not in results or results[ln.custom_id].error]
            if errors:
                self._fail(planned, f"batch {batch.id}: {errors[0]}")
                continue
            from openai.types.chat import ChatCompletion

            answers[article_id] = {}
            for ln in lines:
                key = LineKey.parse(ln.custom_id)
                completion = results[ln.custom_id].completion
                assert key is not None and completion is not None
                answers[article_id][key.chunk] = ChatCompletion.model_validate(completion)
                self.report.batch_usage = self.report.batch_usage + _line_usage(completion)
            todo.append(planned)
        await self._write(todo, answers, batch.id, row.fingerprint)
        update_batch(self.store, row.token, state="collected", status=str(batch.status))

    def _article(self, article_id: str, line: BatchLineRow) -> Planned | None:
        """The article a batch line is for, at the version it was sent; None if it has changed or gone since."""
        planned = self.planned.get(article_id)
        if planned is None and line.source and line.source != "-":
            try:
                article = load(ArticleSource(id=article_id, path=Path(line.source)), max_bytes=self.options.max_bytes,
                               encoding=self.options.encoding)
            except FactsheetError:
                article = None
            if article is not None:
                row = self.store.get(article_id)
                planned = Planned(ArticleSource(id=article_id, path=Path(line.source)), article, "batch",
                                  content_hash(article), row is None or row.sheet is None)
        if planned is None or planned.content_hash[:16] != line.content_hash[:16]:
            log.info("%s: changed since it was sent in a batch; its answer is not used", article_id)
            return None
        row = self.store.get(article_id)
        if row is not None and row.status == "done" and row.content_hash == planned.content_hash \
                and row.fingerprint == self.fingerprint.hash:
            return None  # collected already, by a run that stopped before marking the batch collected
        return planned

    def _fail(self, planned: Planned, error: str) -> None:
        self.store.record_failure(run_id=self.run_id, article_id=planned.article.id, source=planned.source.label,
                                  error=error, model=self.backend.settings.model)
        result = ArticleResult(planned.source, error=error, outcome="failed", reason=planned.reason)
        self.planned.pop(planned.article.id, None)
        self._done(result)

    async def _write(self, todo: list[Planned], answers: dict[str, dict[int, Any]], batch_id: str,
                     fingerprint_hash: str) -> None:
        if not todo:
            return
        fingerprint = self.fingerprint if fingerprint_hash == self.fingerprint.hash else \
            Fingerprint(fingerprint_hash, self.store.fingerprint_parts(fingerprint_hash) or {})
        answered = _Answered(self.backend, answers, batch_id)
        ctx = _Run(answered, self.canonicaliser, self.store, self.options, self.run_id, fingerprint)

        def written(result: ArticleResult) -> None:
            self.planned.pop(result.source.id, None)
            if result.ok:
                usage = result.usage
                line = sum((_line_usage(c.model_dump()) for c in answers[result.source.id].values()), Usage())
                self.report.direct_usage = self.report.direct_usage + Usage(
                    requests=max(0, usage.requests - line.requests),
                    prompt_tokens=max(0, usage.prompt_tokens - line.prompt_tokens),
                    completion_tokens=max(0, usage.completion_tokens - line.completion_tokens))
            self._done(result)

        # The direct path's own commit order: the store first, in groups, then the sheet files.
        committer = _Committer(ctx, written, None)
        semaphore = asyncio.Semaphore(max(1, self.backend.concurrency))

        async def one(planned: Planned) -> None:
            async with semaphore:
                committer.add(await _extract_planned(planned, ctx, None))

        try:
            await asyncio.gather(*(one(p) for p in todo))
        finally:
            committer.flush()

    def _done(self, result: ArticleResult) -> None:
        self.report.results.append(result)
        if self.on_result:
            self.on_result(result)

    # Submitting -----------------------------------------------------------------

    async def submit(self) -> None:
        """Send every planned article not already in a live batch."""
        live = live_articles(self.store)
        todo = [p for p in self.planned.values() if live.get(p.article.id, ("",))[0] != p.content_hash]
        self.report.waiting = len(self.planned) - len(todo)
        if not todo:
            return
        keyed: list[tuple[str, BatchLineRow]] = []
        for planned in todo:
            for chunk, body in await self.backend.request_bodies(planned.article):
                key = LineKey(planned.article.id, chunk.index, chunk.count, planned.content_hash[:16])
                keyed.append((request_line(key, body), BatchLineRow(key.custom_id, planned.article.id,
                                                                    planned.source.label, planned.content_hash)))
        rows = dict(keyed)
        for group in split_files(line for line, _ in keyed):
            await self._submit_file(group, [rows[line] for line in group])
        self.report.submitted_articles += len(todo)

    async def _submit_file(self, lines: list[str], rows: list[BatchLineRow]) -> None:
        token = new_token()
        data = "".join(lines).encode("utf-8")
        # Kept beside the sheets: the same file runs through vLLM's offline run_batch (docs/llm.md).
        write_atomic(self.options.out_dir / BATCH_DIR / f"{token}.jsonl", data)
        # Recorded first: a crash after the upload or the create is recovered by the token (store/batches.py).
        add_batch(self.store, token, self.fingerprint.hash, self.backend.settings.model, rows)
        if self.local is not None:  # run by the user (vLLM run_batch); collected from --batch-answers
            update_batch(self.store, token, batch_id=LOCAL_PREFIX + token, state="submitted", status="in_progress")
            path = self.options.out_dir / BATCH_DIR / f"{token}.jsonl"
            log.info("wrote %s (%d requests): run it, then collect the answers with --batch-answers FILE", path,
                     len(lines))
            self.report.submitted.append(str(path))
            return
        try:
            file_id = await self.client.upload(f"factsheet-{token}.jsonl", data)
        except FactsheetError:
            update_batch(self.store, token, state="abandoned")  # no file, so no batch can exist
            raise
        update_batch(self.store, token, input_file_id=file_id)
        try:
            batch = await self.client.create(file_id, token)
        except BatchRefused:
            update_batch(self.store, token, state="abandoned")  # the server answered no: nothing was created
            raise
        update_batch(self.store, token, batch_id=batch.id, state="submitted", status=str(batch.status))
        self.report.submitted.append(batch.id)
        articles = len({r.article_id for r in rows})
        log.info("submitted batch %s: %d requests for %d articles", batch.id, len(lines), articles)

    # Waiting ------------------------------------------------------------------------

    async def wait(self, interval: float, ceiling: float) -> None:
        """Poll until no batch is live, the interval growing by half each round up to `ceiling`."""
        delay = interval
        bar = None
        if sys.stderr.isatty():
            from tqdm import tqdm

            bar = tqdm(unit="request", file=sys.stderr, desc="batch")
        try:
            while batches(self.store):
                await asyncio.sleep(delay)
                answered, total = await self.collect()
                if bar is not None and total:
                    bar.total = total
                    bar.n = answered
                    bar.refresh()
                delay = min(ceiling, delay * 1.5)
        finally:
            if bar is not None:
                bar.close()


async def run_batch(sources: Iterable[ArticleSource], backend: LLMBackend, options: RunOptions, *, wait: bool = False,
                    interval: float = 10.0, ceiling: float = 300.0,
                    on_result: Callable[[ArticleResult], None] | None = None,
                    local: LocalBatches | None = None) -> BatchReport:
    """Collect finished batches, submit what is new or changed, and with `wait` poll until all are collected."""
    canonicaliser = Canonicaliser.default()
    fingerprint = run_fingerprint(backend, canonicaliser)
    source_list = list(sources)
    options.out_dir.mkdir(parents=True, exist_ok=True)
    with RunLock(lock_paths(options.out_dir, options.store_path)), Store.open(options.store_path) as store:
        store.remember_fingerprint(fingerprint)
        run_id = store.start_run(backend="llm-batch", fingerprint=fingerprint.hash,
                                 inputs=options.inputs or [str(s.path.resolve()) for s in source_list if s.path])
        runner = BatchRunner(backend, options, store, run_id, fingerprint, canonicaliser, on_result, local)
        try:
            plan = plan_run(source_list, store, fingerprint, options, run_id)
            for result in plan.failed:
                runner._done(result)
            runner.planned = {p.article.id: p for p in plan.todo}
            await runner.collect()
            await runner.submit()
            if wait and local is None:
                await runner.wait(interval, ceiling)
            if any(r.ok for r in runner.report.results) and options.write_combined:
                write_corpus_from_store(options.out_dir, store, canonicaliser)
        except BackendError as e:  # a batch server down or refusing the key: the run failed (exit 1), not misused
            # Not a 404: on a batch call it means a server without the Batch API (a configuration error, exit 2).
            cause = e.__cause__
            down = cause is not None and (cannot_connect(cause) or getattr(cause, "status_code", None) in (401, 403))
            if down and not isinstance(e, EndpointUnavailable):
                hint = "check that the server runs, OPENAI_BASE_URL and OPENAI_API_KEY"
                raise EndpointUnavailable(f"{str(e).rstrip('.')}; {hint}") from e
            raise
        finally:
            await runner.client.aclose()
            runner.report.live = batches(store)
            counts = {"new": sum(1 for r in runner.report.results if r.outcome == "new"),
                      "changed": sum(1 for r in runner.report.results if r.outcome == "changed"),
                      "failed": len(runner.report.failed)}
            store.finish_run(run_id, counts)
        return runner.report


async def cancel_batch(backend: LLMBackend, store: Store, row: BatchRow) -> str:
    """Ask the server to cancel a live batch; the answers it finished are still collected by the next run."""
    if not row.batch_id:
        update_batch(store, row.token, state="abandoned")
        return "abandoned (it was never created)"
    client = BatchClient(backend.settings, backend.settings.base_url or OPENAI_BASE_URL)
    try:
        batch = await client.cancel(row.batch_id)
    finally:
        await client.aclose()
    update_batch(store, row.token, status=str(batch.status))
    return str(batch.status)
