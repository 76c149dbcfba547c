"""`factsheet status`: what the run store holds, what a run would redo, and what it cost."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from extract.articles import discover, load
from extract.backends import BACKENDS, choose_backend_name, make_backend
from extract.corpus import merge_lines
from extract.errors import FactsheetError
from extract.pipeline import PARTIAL, STOPPED_KEY, content_hash, run_fingerprint
from extract.store import STORE_NAME, Fingerprint, Store
from extract.store.batches import live_summaries
from schemas import Usage

log = logging.getLogger("factsheet")
MAX_LISTED = 20


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "status",
        help="show what the run store holds: done, failed, stale, pending; tokens and cost",
        description="Summarise the run store of an output folder: articles done and failed (with reasons), "
        "stale ones (made with another fingerprint than the backend's now), pending inputs (new or changed "
        "files among the last run's inputs), tokens spent and their estimated cost, merged facts and conflicts.",
    )
    parser.add_argument("dir", nargs="?", type=Path, default=Path("out"), metavar="DIR",
                        help="output folder of `factsheet run` (default: out)")
    parser.add_argument("--store", type=Path, help="run store (default: DIR/factsheet.sqlite)")
    parser.add_argument("--backend", choices=sorted(BACKENDS),
                        help="backend whose fingerprint decides what is stale (default: as `factsheet run` picks)")
    parser.add_argument("--inputs", nargs="+", metavar="PATH", help="article files or folders to check for pending "
                        "work (default: the last run's inputs)")
    parser.add_argument("--json", action="store_true", help="print the status as one JSON object")
    parser.set_defaults(handler=main)


@dataclass
class Status:
    store: str
    schema_version: int
    done: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # id -> reason
    stale: list[str] = field(default_factory=list)
    stale_against: str | None = None  # what the fingerprints were compared with
    fingerprint_changes: dict[str, list[Any]] = field(default_factory=dict)  # part -> [stored, now]
    pending_new: list[str] = field(default_factory=list)
    pending_changed: list[str] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    requests: int = 0
    cached_requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = None
    currency: str | None = None
    facts: dict[str, int] = field(default_factory=dict)
    conflicts: list[str] = field(default_factory=list)
    last_run: dict[str, Any] | None = None
    batches: list[dict[str, Any]] = field(default_factory=list)  # live Batch API submissions


def _backend_fingerprint(requested: str | None) -> tuple[Fingerprint | None, str]:
    """The fingerprint `factsheet run` would use now, and a label; None if the backend cannot be made."""
    name = choose_backend_name(requested, {})
    try:
        backend = make_backend(name, {})
    except (FactsheetError, ImportError) as e:
        return None, f"backend {name!r} unavailable ({e})"
    try:
        return run_fingerprint(backend), f"backend {name!r}"
    finally:
        with contextlib.suppress(Exception):
            asyncio.run(backend.aclose())


def _cost(store: Store) -> tuple[float | None, str | None]:
    try:
        from extract.backends.llm.cost import estimate_cost, price_table
    except ImportError:
        return None, None
    total, any_priced = 0.0, False
    for model, spent in store.spend_by_model():
        cost = estimate_cost(model, Usage(prompt_tokens=spent.prompt_tokens, completion_tokens=spent.completion_tokens))
        if cost is not None:
            total, any_priced = total + cost, True
    return (total, price_table().currency) if any_priced else (None, None)


def _pending(status: Status, store: Store, inputs: list[str]) -> None:
    paths = [p for p in inputs if p != "-" and Path(p).exists()]
    for source in discover(paths):
        row = store.get(source.id)
        if row is None:
            status.pending_new.append(source.id)
            continue
        with contextlib.suppress(FactsheetError):
            if row.status == "done" and row.content_hash != content_hash(load(source)):
                status.pending_changed.append(source.id)


def _stopped(store: Store, run_id: int) -> str | None:
    """Why run `run_id` stopped early (the endpoint was unavailable), if it did."""
    with contextlib.suppress(ValueError, TypeError, KeyError):
        recorded = json.loads(store.get_meta(STOPPED_KEY) or "null")
        if recorded and recorded["run"] == run_id:
            return f"{recorded['reason']} ({recorded['pending']} articles left pending)"
    return None


def _last_inputs(store: Store) -> list[str]:
    run = store.last_run()
    if run is None or not run["inputs"]:
        return []
    return [str(p) for p in json.loads(run["inputs"])]


def collect(out_dir: Path, store_path: Path | None = None, backend: str | None = None,
            inputs: list[str] | None = None) -> Status:
    """The status of a store, as data (the command prints it)."""
    path = store_path or out_dir / STORE_NAME
    with Store.open(path, create=False) as store:
        status = Status(store=str(path), schema_version=store.schema_version)
        rows = store.articles()
        status.done = sum(1 for r in rows if r.status == "done")
        status.failed = {r.id: r.error or "unknown" for r in rows if r.status == "failed"}
        fingerprint, label = _backend_fingerprint(backend)
        if fingerprint is None:
            last = store.last_run()
            if last is not None:
                label += "; compared with the last run's"
                fingerprint = Fingerprint(last["fingerprint"], store.fingerprint_parts(last["fingerprint"]) or {})
        status.stale_against = label
        if fingerprint is not None:
            status.stale = [r.id for r in rows if r.status == "done"
                            and (r.fingerprint or "").removesuffix(PARTIAL) != fingerprint.hash]
            stale = set(status.stale)
            for stored in sorted({r.fingerprint.removesuffix(PARTIAL) for r in rows if r.id in stale and r.fingerprint}):
                before = store.fingerprint_parts(stored) or {}
                for key in sorted(set(before) | set(fingerprint.parts)):
                    if before.get(key) != fingerprint.parts.get(key):
                        status.fingerprint_changes[key] = [before.get(key), fingerprint.parts.get(key)]
        status.inputs = inputs if inputs is not None else _last_inputs(store)
        _pending(status, store, status.inputs)
        for _model, spent in store.spend_by_model():
            status.requests += spent.requests
            status.cached_requests += spent.cached_requests
            status.prompt_tokens += spent.prompt_tokens
            status.completion_tokens += spent.completion_tokens
        status.cost, status.currency = _cost(store)
        status.batches = live_summaries(store)
        last = store.last_run()
        if last is not None:
            status.last_run = {k: last[k] for k in ("started_at", "finished_at", "backend", "new", "changed",
                                                    "unchanged", "failed", "removed")}
            status.last_run["stopped"] = _stopped(store, last["id"])
        # The done sheets' factsheets.jsonl lines, kept in the store (corpus_lines) when current: the merge
        # reads the same lines as from the parsed sheets, without parsing and dumping every sheet again.
        done = [r["id"] for r in store.query("SELECT id FROM articles WHERE status = 'done' AND sheet IS NOT NULL")]
        facts = merge_lines(store.corpus_line(article) for article in done).facts
    by_id = {f.id: f.conflicts for f in facts}
    for kind in ("metric", "infrastructure_project", "policy_statement"):
        of_kind = [f for f in facts if f.type == kind]
        status.facts[kind] = len(of_kind)
        status.facts[f"{kind}_several_sources"] = sum(1 for f in of_kind if len(f.articles) > 1)
    for fact in facts:
        for c in fact.conflicts:
            if c["field"] == "value" and c["id"] < fact.id and any(o.get("id") == fact.id for o in by_id[c["id"]]):
                continue  # each value conflict once
            what = fact.fields.get("subject") or fact.fields.get("name")
            mine = c.get("versus", fact.fields.get(c["field"]))
            mine_articles = c.get("versus_articles", fact.articles)
            note = " (the same article twice)" if c.get("same_article") else ""
            status.conflicts.append(f"{fact.id} {what}: {c['field']} {mine} ({', '.join(mine_articles)}) "
                                    f"vs {c['value']} ({', '.join(c['articles'])}){note}")
    return status


def _ids(ids: list[str]) -> str:
    shown = ", ".join(ids[:MAX_LISTED])
    return shown + (f", ... ({len(ids) - MAX_LISTED} more)" if len(ids) > MAX_LISTED else "")


def render(status: Status) -> str:
    lines = [f"store: {status.store} (schema version {status.schema_version})"]
    if status.last_run:
        r = status.last_run
        lines.append(f"last run: {r['started_at']} with '{r['backend']}'"
                     + (f": {r['new']} new, {r['changed']} changed, {r['unchanged']} unchanged, {r['failed']} failed, "
                        f"{r['removed']} removed" if r["finished_at"] else " (did not finish)"))
        if r.get("stopped"):
            lines.append(f"  stopped early: {r['stopped']}")
    pending = len(status.pending_new) + len(status.pending_changed)
    lines.append(f"articles: {status.done} done, {len(status.failed)} failed, {len(status.stale)} stale, "
                 f"{pending} pending")
    for article_id, reason in list(status.failed.items())[:MAX_LISTED]:
        lines.append(f"  failed {article_id}: {reason}")
    if status.stale:
        lines.append(f"  stale (made with another fingerprint than {status.stale_against}): {_ids(status.stale)}")
        for key, (before, now) in status.fingerprint_changes.items():
            lines.append(f"    {key}: {before} -> {now}")
    elif status.stale_against and "unavailable" in status.stale_against:
        lines.append(f"  stale: compared against {status.stale_against}")
    if status.pending_new:
        lines.append(f"  pending, new: {_ids(status.pending_new)}")
    if status.pending_changed:
        lines.append(f"  pending, changed since extracted: {_ids(status.pending_changed)}")
    if not status.inputs:
        lines.append("  pending: unknown (no inputs recorded; give them with --inputs)")
    for b in status.batches:
        lines.append(f"  batch {b['id']}: {b['articles']} articles, {b['state']}, submitted {b['age_minutes']:g} min ago "
                     "(re-run with --batch to collect)")
    cost = f"; estimated cost {status.cost:.4f} {status.currency}" if status.cost is not None else ""
    lines.append(f"tokens spent so far: {status.prompt_tokens} prompt, {status.completion_tokens} completion "
                 f"in {status.requests} requests ({status.cached_requests} more answered from the cache){cost}")
    f = status.facts
    lines.append(f"facts: {f.get('metric', 0)} metrics ({f.get('metric_several_sources', 0)} from several articles), "
                 f"{f.get('infrastructure_project', 0)} projects ({f.get('infrastructure_project_several_sources', 0)} "
                 f"from several), {f.get('policy_statement', 0)} statements; {len(status.conflicts)} conflicts")
    for line in status.conflicts[:MAX_LISTED]:
        lines.append(f"  conflict {line}")
    return "\n".join(lines) + "\n"


def main(args: argparse.Namespace) -> int:
    status = collect(args.dir, args.store, args.backend, args.inputs)
    if args.json:
        sys.stdout.write(json.dumps(asdict(status), indent=2, default=str) + "\n")
    else:
        sys.stdout.write(render(status))
    return 0
