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
import hashlib
import json
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from extract.articles import DEFAULT_MAX_BYTES, Article, ArticleSource, load
from extract.backends.base import Backend
from extract.canonical import Canonicaliser
from extract.corpus import FACTSHEETS_JSONL, write_corpus
from extract.errors import FactsheetError
from extract.grounding import ground_sheet
from extract.output import drop_stale_copy, remove_sheet, set_aside_sheet, sheet_json, sheet_path, write_atomic
from extract.store import (
    STORE_NAME,
    ArticleRow,
    Fingerprint,
    Meter,
    ResponseCache,
    RunLock,
    Store,
    TokenCount,
    lock_paths,
    metering,
    using_cache,
)
from extract.store.calls import recording_calls
from schemas import SCHEMA_VERSION, FactSheet, Usage

log = logging.getLogger("factsheet")

COMBINED_JSONL = FACTSHEETS_JSONL

# Bump when grounding or canonicalisation code changes what a sheet holds: every article is
# then re-extracted on the next run (for free where the LLM cache has the answers).
POSTPROCESS_VERSION = "2"  # 2: evidence must be a whole clause; caps on facts and field lengths

OUTCOMES = ("new", "changed", "unchanged", "failed", "removed")
_TEMP_FILE = re.compile(r"^\..+\.(json|jsonl|csv)\.[A-Za-z0-9_]+\.tmp$")


@dataclass
class ArticleResult:
    source: ArticleSource
    sheet: FactSheet | None = None
    error: str | None = None
    outcome: str = ""  # new, changed, unchanged or failed
    reason: str | None = None  # why it was extracted: new, forced, retry, content, fingerprint
    spent: TokenCount = field(default_factory=TokenCount)

    @property
    def ok(self) -> bool:
        return self.sheet is not None


@dataclass
class RunReport:
    results: list[ArticleResult] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # pruned article ids
    missing: list[str] = field(default_factory=list)  # in the store, not in the inputs, kept
    store_path: Path | None = None

    @property
    def failed(self) -> list[ArticleResult]:
        return [r for r in self.results if not r.ok]

    @property
    def sheets(self) -> list[FactSheet]:
        """The sheet of every input article that has one now (extracted or unchanged)."""
        return [r.sheet for r in self.results if r.sheet is not None]

    @property
    def extracted(self) -> list[ArticleResult]:
        return [r for r in self.results if r.outcome in ("new", "changed")]

    @property
    def usage(self) -> Usage:
        """Usage recorded in the sheets extracted by this run (cached answers included)."""
        total = Usage()
        for result in self.extracted:
            assert result.sheet is not None
            total = total + result.sheet.provenance.usage
        return total

    @property
    def spent(self) -> TokenCount:
        """Requests and tokens this run actually sent to an API, and answers taken from the cache."""
        parts = [r.spent for r in self.results]
        return TokenCount(sum(p.requests for p in parts), sum(p.prompt_tokens for p in parts),
                          sum(p.completion_tokens for p in parts), sum(p.cached_requests for p in parts))

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(OUTCOMES, 0)
        for result in self.results:
            counts[result.outcome or "failed"] += 1
        counts["removed"] = len(self.removed)
        return counts

    def summary(self) -> str:
        counts = self.counts
        text = ", ".join(f"{counts[k]} {k}" for k in OUTCOMES)
        reasons: dict[str, int] = {}
        for result in self.results:
            if result.outcome == "changed" and result.reason:
                reasons[result.reason] = reasons.get(result.reason, 0) + 1
        if reasons:
            text += " (changed: " + ", ".join(f"{n} {why}" for why, n in sorted(reasons.items())) + ")"
        return text


def finish_sheet(article: Article, sheet: FactSheet, canonicaliser: Canonicaliser | None = None) -> FactSheet:
    """Ground and canonicalise a backend's sheet; facts whose quotes are not found are dropped."""
    canonicaliser = canonicaliser or Canonicaliser.default()
    sheet = sheet.model_copy(update={"article": article.meta})
    grounded = ground_sheet(article.text, sheet)
    for reason in grounded.dropped:
        log.warning("%s: dropped a fact: %s", article.id, reason)
    result = canonicaliser.sheet(grounded.sheet)
    provenance = result.provenance.model_copy(update={"aliases_version": canonicaliser.version})
    return result.model_copy(update={"provenance": provenance})


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
    unchanged: list[tuple[ArticleSource, ArticleRow]] = field(default_factory=list)
    failed: list[ArticleResult] = field(default_factory=list)  # unreadable or duplicate inputs
    missing: list[str] = field(default_factory=list)  # ids in the store but not in the inputs

    def count(self, reason: str) -> int:
        return sum(1 for p in self.todo if p.reason == reason)


def _why(row: ArticleRow | None, digest: str, fingerprint: Fingerprint, force: bool) -> str | None:
    """Why an article must be extracted, or None when its stored sheet still holds."""
    if row is None:
        return "new"
    if force:
        return "forced"
    if row.status != "done":
        return "retry"
    if row.content_hash != digest:
        return "content"
    if row.fingerprint != fingerprint.hash:
        return "fingerprint"
    return None


def plan_run(sources: list[ArticleSource], store: Store, fingerprint: Fingerprint, options: RunOptions,
             run_id: int | None = None) -> RunPlan:
    """Read every input and sort it into to-extract, unchanged and unreadable."""
    plan = RunPlan()
    seen: dict[str, ArticleSource] = {}
    for source in sources:
        if source.id in seen:
            error = f"duplicate article id {source.id!r} (also {seen[source.id].label}): rename one of the files"
            plan.failed.append(ArticleResult(source, error=error, outcome="failed"))
            continue
        seen[source.id] = source
        row = store.get(source.id)
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
            first = row is None or row.sheet is None
            plan.todo.append(Planned(source, article, why, digest, first))
    plan.missing = [row.id for row in store.articles() if row.id not in seen]
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


def restore_sheet(out_dir: Path, article_id: str, sheet_text: str) -> bool:
    """Make out_dir/<id>.json hold the stored sheet; True when it had to be (re)written."""
    path = sheet_path(out_dir, article_id)
    try:
        if path.read_text(encoding="utf-8") == sheet_text:
            return False
    except (OSError, UnicodeDecodeError):
        pass
    write_atomic(path, sheet_text)
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


async def _extract_planned(planned: Planned, ctx: _Run) -> ArticleResult:
    result = ArticleResult(planned.source, reason=planned.reason)
    sheet: FactSheet | None = None
    with metering() as meter, recording_calls(ctx.store, ctx.run_id, planned.source.id):
        try:
            sheet = _note_cache(await extract_article(planned.article, ctx.backend, ctx.canonicaliser), meter)
        except FactsheetError as e:
            result.error = str(e)
        except Exception as e:  # one article's bug must not stop the others
            log.debug("unexpected error on %s", planned.source.label, exc_info=True)
            result.error = f"internal error ({type(e).__name__}: {e}); please report it"
    result.spent = _spent(sheet, meter)
    if sheet is not None:
        text = sheet_json(sheet)
        # The store first: once committed the article is done, whatever happens next.
        ctx.store.record_done(run_id=ctx.run_id, source=planned.source.label, sheet=sheet, sheet_text=text,
                              content_hash=planned.content_hash, fingerprint=ctx.fingerprint.hash,
                              spent=result.spent)
        try:
            write_atomic(sheet_path(ctx.options.out_dir, sheet.article.id), text)
        except OSError as e:
            result.error = f"cannot write its sheet: {e.strerror or e}"
            result.spent = TokenCount()  # already in the ledger
        else:
            drop_stale_copy(ctx.options.out_dir, sheet.article.id)
            result.sheet = sheet
            result.outcome = "new" if planned.first_time else "changed"
            return result
    result.outcome = "failed"
    ctx.store.record_failure(run_id=ctx.run_id, article_id=planned.source.id, source=planned.source.label,
                             error=result.error or "unknown error", model=backend_model(ctx.backend),
                             spent=result.spent)
    set_aside_sheet(ctx.options.out_dir, planned.source.id)  # its old sheet's quotes may not match the new text
    return result


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
    with RunLock(lock_paths(out_dir, store_path)), Store.open(store_path) as store:
        removed_temp = remove_temp_files(out_dir)
        if removed_temp:
            log.debug("removed %d temporary files left by an interrupted run", removed_temp)
        store.remember_fingerprint(fingerprint)
        run_id = store.start_run(backend=backend.name, fingerprint=fingerprint.hash,
                                 inputs=options.inputs or [str(s.path.resolve()) for s in source_list if s.path])
        ctx = _Run(backend, canonicaliser, store, options, run_id, fingerprint)
        report = await _run_planned(source_list, ctx, on_result, on_plan)
        report.store_path = store_path
        store.finish_run(run_id, report.counts)
        return report


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
        assert row.sheet is not None
        if restore_sheet(out_dir, row.id, row.sheet):
            log.info("restored %s from the store", sheet_path(out_dir, row.id))
        report.results.append(ArticleResult(source, sheet=row.fact_sheet(), outcome="unchanged"))

    semaphore = asyncio.Semaphore(max(1, ctx.backend.concurrency))

    async def one(planned: Planned) -> ArticleResult:
        async with semaphore:
            result = await _extract_planned(planned, ctx)
            if on_result:
                on_result(result)
            return result

    cache = ResponseCache(store) if options.cache else None
    try:
        with using_cache(cache):
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(one(p)) for p in plan.todo]
    except BaseExceptionGroup as eg:  # a store failure stops the run: raise it as itself, not as a group
        raise eg.exceptions[0] from None
    report.results.extend(t.result() for t in tasks)

    if options.prune:
        for article_id in plan.missing:
            # The file first, then the row: a crash between leaves a row the next --prune removes.
            remove_sheet(out_dir, article_id)
            store.delete(article_id)
            report.removed.append(article_id)

    if options.write_combined:
        known = {r.sheet.article.id: r.sheet for r in report.results if r.sheet is not None}
        sheets = [known.get(aid) or FactSheet.model_validate_json(text) for aid, text in store.done_sheets()]
        write_corpus(out_dir, sheets, ctx.canonicaliser)
    return report


def run(sources: Iterable[ArticleSource], backend: Backend, options: RunOptions,
        on_result: Callable[[ArticleResult], None] | None = None,
        on_plan: Callable[[RunPlan], None] | None = None) -> RunReport:
    """Synchronous entry point: runs the pipeline and closes the backend."""

    async def main() -> RunReport:
        try:
            return await run_sources(sources, backend, options, on_result, on_plan)
        finally:
            await backend.aclose()

    return asyncio.run(main())
