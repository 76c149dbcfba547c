"""The run store: one SQLite file recording every article's state, sheet and cost.

WAL journal (readers never block the writer), a busy timeout (a second process waits
instead of failing), `synchronous = NORMAL` (a commit survives a killed process; only a
power cut can undo the last commits, and the next run redoes those articles), and short
transactions, one per small group of finished articles, so that a killed run loses at
most the articles still in flight or waiting for their group's commit.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pydantic

from extract.errors import StoreError
from extract.store.migrations import migrate, schema_version
from schemas import SCHEMA_VERSION, FactSheet

STORE_NAME = "factsheet.sqlite"
DEFAULT_BUSY_TIMEOUT = 30.0


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class Fingerprint:
    """A hash of everything besides the article that shapes a sheet, and what went into it."""

    hash: str
    parts: dict[str, str]


@dataclass(frozen=True)
class TokenCount:
    """Tokens actually sent to an API (`requests`) and answers served from the cache."""

    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_requests: int = 0


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class PlanRow:
    """What planning a run needs of a stored article: hashes and state, not the sheet."""

    id: str
    status: str
    content_hash: str | None
    fingerprint: str | None
    sheet_sha256: str | None  # None: no sheet stored


@dataclass(frozen=True)
class ArticleRow:
    id: str
    source: str | None
    sha256: str | None
    content_hash: str | None
    fingerprint: str | None
    status: str
    error: str | None
    sheet: str | None
    backend: str | None
    model: str | None
    requests: int
    prompt_tokens: int
    completion_tokens: int
    attempts: int
    first_seen: str
    updated_at: str
    extracted_at: str | None
    sheet_sha256: str | None = None

    def fact_sheet(self) -> FactSheet:
        if self.sheet is None:
            raise StoreError(f"article {self.id} has no stored fact sheet")
        return FactSheet.model_validate_json(self.sheet)


# A line is made by parsing the sheet and dumping it compactly: its bytes depend on the schema
# and on pydantic's serialiser, so lines made by another version of either are made again.
LINE_VERSION = f"{SCHEMA_VERSION}/pydantic {pydantic.VERSION}"


def _line_key(sheet_sha256: str | None) -> str:
    return f"{sheet_sha256}/{LINE_VERSION}"


def _sheet_line(sheet_text: str) -> str:
    """The sheet's factsheets.jsonl line: what extract.corpus.sheet_line makes of the parsed sheet."""
    return FactSheet.model_validate_json(sheet_text).model_dump_json()


def _keep_line(conn: sqlite3.Connection, sheet: FactSheet, sheet_sha256: str) -> None:
    """Keep the line of a sheet being recorded, dumped from the sheet in memory instead of parsing its text again
    (`_sheet_line`): the same bytes, as the text is this sheet's dump and the sheet is valid (every fact of a run's
    sheet comes out of a validation, and the schema's validators give a valid value back unchanged; the kept lines
    are compared with parsed sheets by tests/extract/test_corpus_incremental.py and test_store_corpus_lines.py)."""
    conn.execute("INSERT OR REPLACE INTO corpus_lines (id, made_from, line) VALUES (?, ?, ?)",
                 (sheet.article.id, _line_key(sheet_sha256), sheet.model_dump_json()))


class Store:
    """The run store. Open with `Store.open(path)`; use as a context manager to close it."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self._conn = conn
        # The pipeline and an LLM client's transport share the connection; SQLite calls are short.
        self._lock = threading.RLock()

    @classmethod
    def open(cls, path: Path, *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT, create: bool = True) -> Store:
        """Open (creating and migrating as needed) the store at `path`."""
        if not create and not path.exists():
            raise StoreError(f"no store at {path}: run `factsheet run` first, or give its path with --store")
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(f"cannot put the store {path} in WAL mode (got {mode}); is it on a network file system?")
            # NORMAL in WAL mode: a commit is durable against a killed process (the kill test) without an
            # fsync per commit; a power cut may undo the last commits, whose articles the next run redoes.
            conn.execute("PRAGMA synchronous = NORMAL")
            migrate(conn)
        except sqlite3.DatabaseError as e:
            with contextlib.suppress(Exception):
                conn.close()
            raise StoreError(
                f"the store {path} cannot be used ({e}): if it is damaged, move it aside and run again "
                "(everything will be extracted anew)"
            ) from e
        return cls(path, conn)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        with self._lock:
            return schema_version(self._conn)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; BEGIN IMMEDIATE takes the write lock up front (no upgrade deadlock)."""
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as e:
                raise StoreError(f"the store {self.path} is busy ({e}): another process holds it; try again") from e
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    # Articles -----------------------------------------------------------------

    def get(self, article_id: str) -> ArticleRow | None:
        rows = self.query("SELECT * FROM articles WHERE id = ?", (article_id,))
        return ArticleRow(**dict(rows[0])) if rows else None

    def articles(self, status: str | None = None) -> list[ArticleRow]:
        if status is None:
            rows = self.query("SELECT * FROM articles ORDER BY id")
        else:
            rows = self.query("SELECT * FROM articles WHERE status = ? ORDER BY id", (status,))
        return [ArticleRow(**dict(r)) for r in rows]

    def done_sheets(self, batch: int = 64) -> Iterator[tuple[str, str]]:
        """(id, sheet JSON) of every done article, by id, read a few rows at a time (flat memory)."""
        after = ""
        while True:
            rows = self.query("SELECT id, sheet FROM articles WHERE status = 'done' AND id > ? ORDER BY id LIMIT ?",
                              (after, batch))
            for row in rows:
                yield row["id"], row["sheet"]
            if len(rows) < batch:
                return
            after = rows[-1]["id"]

    def iter_done_sheets(self) -> Iterator[FactSheet]:
        """Every done article's sheet, parsed one at a time, by id: for streaming the corpus files."""
        for _, text in self.done_sheets():
            yield FactSheet.model_validate_json(text)

    def corpus_lines(self, batch: int = 64, *, keep: bool = True) -> Iterator[str]:
        """The factsheets.jsonl line of every done article, by id, read a few rows at a time (flat memory).

        Lines are kept in `corpus_lines`, keyed by the sheet's hash and LINE_VERSION: a sheet is
        parsed once, when it is new or changed, not on every rewrite of the corpus files.
        `keep=False` writes nothing (for readers without the run lock, such as `factsheet status`):
        missing lines are made as they are read and not kept.
        """
        if keep:
            self._refresh_corpus_lines()
        after = ""
        while True:
            rows = self.query(
                """SELECT a.id, a.sheet_sha256, c.made_from, c.line FROM articles a LEFT JOIN corpus_lines c ON c.id = a.id
                   WHERE a.status = 'done' AND a.sheet IS NOT NULL AND a.id > ? ORDER BY a.id LIMIT ?""",
                (after, batch))
            for row in rows:
                if row["line"] is not None and row["made_from"] == _line_key(row["sheet_sha256"]):
                    yield row["line"]
                else:  # written by someone else since the refresh (or no sheet hash yet): made, not kept
                    yield _sheet_line(self.sheet_text(row["id"]) or "")
            if len(rows) < batch:
                return
            after = rows[-1]["id"]

    def _refresh_corpus_lines(self, batch: int = 64) -> dict[str, str]:
        """Make the missing and out-of-date lines (one transaction per `batch`); drop those of articles not done.
        Returns what each done article's line is made from (one pass over the articles index: a done article
        always has its sheet, `record_done` being the only way to 'done')."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM corpus_lines WHERE id NOT IN (SELECT id FROM articles WHERE status = 'done')")
        keys: dict[str, str] = {}
        stale: list[tuple[str, str]] = []
        for r in self.query("""SELECT a.id, a.sheet_sha256, c.made_from FROM articles a
                               LEFT JOIN corpus_lines c ON c.id = a.id WHERE a.status = 'done'"""):
            key = keys[r["id"]] = _line_key(r["sheet_sha256"])
            if r["sheet_sha256"] is not None and r["made_from"] != key:
                stale.append((r["id"], r["sheet_sha256"]))
        for start in range(0, len(stale), batch):
            made = [(article_id, _line_key(sha), _sheet_line(self.sheet_text(article_id) or ""))
                    for article_id, sha in stale[start : start + batch]]
            with self.transaction() as conn:
                conn.executemany("INSERT OR REPLACE INTO corpus_lines (id, made_from, line) VALUES (?, ?, ?)", made)
        return keys

    def corpus_line_keys(self) -> dict[str, str]:
        """What each done article's factsheets.jsonl line is made from (its sheet's hash and LINE_VERSION),
        after making the missing lines: a key changes whenever the article's line does."""
        return self._refresh_corpus_lines()

    def corpus_line(self, article_id: str) -> str:
        """A done article's factsheets.jsonl line: the kept one when current, else made now."""
        rows = self.query("""SELECT a.sheet_sha256, c.made_from, c.line FROM articles a
                             LEFT JOIN corpus_lines c ON c.id = a.id WHERE a.id = ?""", (article_id,))
        if rows and rows[0]["line"] is not None and rows[0]["made_from"] == _line_key(rows[0]["sheet_sha256"]):
            return str(rows[0]["line"])
        return _sheet_line(self.sheet_text(article_id) or "")

    def plan_rows(self) -> dict[str, PlanRow]:
        """Every article's hashes and state, without its sheet (backfilling sheet hashes of older stores)."""
        self._backfill_sheet_hashes()
        rows = self.query("SELECT id, status, content_hash, fingerprint, sheet_sha256 FROM articles")
        return {r["id"]: PlanRow(r["id"], r["status"], r["content_hash"], r["fingerprint"], r["sheet_sha256"])
                for r in rows}

    def _backfill_sheet_hashes(self) -> None:
        rows = self.query("SELECT id FROM articles WHERE sheet IS NOT NULL AND sheet_sha256 IS NULL")
        if not rows:
            return
        with self.transaction() as conn:
            for row in rows:
                (sheet,) = conn.execute("SELECT sheet FROM articles WHERE id = ?", (row["id"],)).fetchone()
                conn.execute("UPDATE articles SET sheet_sha256 = ? WHERE id = ?", (text_sha256(sheet), row["id"]))

    def sheet_text(self, article_id: str) -> str | None:
        rows = self.query("SELECT sheet FROM articles WHERE id = ?", (article_id,))
        return rows[0]["sheet"] if rows else None

    def done_digest(self) -> str:
        """A hash of which sheets are done now: it changes whenever a done sheet is added, changed or removed."""
        digest = hashlib.sha256()
        for row in self.query("SELECT id, sheet_sha256 FROM articles WHERE status = 'done' ORDER BY id"):
            digest.update(f"{row['id']}\0{row['sheet_sha256']}\n".encode())
        return digest.hexdigest()

    def get_meta(self, key: str) -> str | None:
        rows = self.query("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0]["value"]) if rows else None

    def set_meta(self, key: str, value: str | None) -> None:
        with self.transaction() as conn:
            if value is None:
                conn.execute("DELETE FROM meta WHERE key = ?", (key,))
            else:
                conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    @contextlib.contextmanager
    def batch(self) -> Iterator[Batch]:
        """One transaction for several records (`record_done` / `record_failure` through the batch)."""
        with self.transaction() as conn:
            yield Batch(self, conn)

    def record_done(
        self,
        *,
        run_id: int | None,
        source: str | None,
        sheet: FactSheet,
        sheet_text: str,
        content_hash: str,
        fingerprint: str,
        spent: TokenCount,
        conn: sqlite3.Connection | None = None,
    ) -> None:
        """Record a finished article and what it cost, in one transaction (or in `conn`'s, from a batch)."""
        stamp = now()
        usage = sheet.provenance.usage
        sheet_sha256 = text_sha256(sheet_text)
        with self._writing(conn) as conn:
            conn.execute(
                """INSERT INTO articles (id, source, sha256, content_hash, fingerprint, status, error, sheet, backend,
                       model, requests, prompt_tokens, completion_tokens, attempts, first_seen, updated_at, extracted_at,
                       sheet_sha256)
                   VALUES (?, ?, ?, ?, ?, 'done', NULL, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)
                   ON CONFLICT (id) DO UPDATE SET source = excluded.source, sha256 = excluded.sha256,
                       content_hash = excluded.content_hash, fingerprint = excluded.fingerprint, status = 'done',
                       error = NULL, sheet = excluded.sheet, backend = excluded.backend, model = excluded.model,
                       requests = excluded.requests, prompt_tokens = excluded.prompt_tokens,
                       completion_tokens = excluded.completion_tokens, attempts = articles.attempts + 1,
                       updated_at = excluded.updated_at, extracted_at = excluded.extracted_at,
                       sheet_sha256 = excluded.sheet_sha256""",
                (sheet.article.id, source, sheet.article.sha256, content_hash, fingerprint, sheet_text,
                 sheet.provenance.backend, sheet.provenance.model, usage.requests, usage.prompt_tokens,
                 usage.completion_tokens, stamp, stamp, stamp, sheet_sha256),
            )
            _keep_line(conn, sheet, sheet_sha256)
            self._ledger(conn, run_id, sheet.article.id, sheet.provenance.model, spent, stamp)

    def record_failure(
        self,
        *,
        run_id: int | None,
        article_id: str,
        source: str | None,
        error: str,
        model: str | None = None,
        spent: TokenCount | None = None,
        conn: sqlite3.Connection | None = None,
    ) -> None:
        """Mark an article failed with its reason; a previous good sheet stays in the row."""
        stamp = now()
        with self._writing(conn) as conn:
            conn.execute(
                """INSERT INTO articles (id, source, status, error, attempts, first_seen, updated_at)
                   VALUES (?, ?, 'failed', ?, 1, ?, ?)
                   ON CONFLICT (id) DO UPDATE SET source = excluded.source, status = 'failed', error = excluded.error,
                       attempts = articles.attempts + 1, updated_at = excluded.updated_at""",
                (article_id, source, error, stamp, stamp),
            )
            if spent is not None:
                self._ledger(conn, run_id, article_id, model, spent, stamp)

    @contextlib.contextmanager
    def _writing(self, conn: sqlite3.Connection | None) -> Iterator[sqlite3.Connection]:
        if conn is not None:
            yield conn
        else:
            with self.transaction() as own:
                yield own

    @staticmethod
    def _ledger(conn: sqlite3.Connection, run_id: int | None, article_id: str, model: str | None,
                spent: TokenCount, stamp: str) -> None:
        if spent.requests or spent.cached_requests or spent.prompt_tokens or spent.completion_tokens:
            conn.execute(
                """INSERT INTO spend (run_id, article_id, model, requests, prompt_tokens, completion_tokens,
                       cached_requests, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                (run_id, article_id, model, spent.requests, spent.prompt_tokens, spent.completion_tokens,
                 spent.cached_requests, stamp),
            )

    def delete(self, article_id: str) -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM articles WHERE id = ?", (article_id,))

    # Fingerprints and runs ----------------------------------------------------------

    def remember_fingerprint(self, fingerprint: Fingerprint) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO fingerprints (hash, parts, first_seen) VALUES (?, ?, ?)",
                (fingerprint.hash, json.dumps(fingerprint.parts, sort_keys=True), now()),
            )

    def fingerprint_parts(self, hash_: str) -> dict[str, str] | None:
        rows = self.query("SELECT parts FROM fingerprints WHERE hash = ?", (hash_,))
        return json.loads(rows[0]["parts"]) if rows else None

    def start_run(self, *, backend: str, fingerprint: str, inputs: list[str]) -> int:
        with self.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO runs (started_at, backend, fingerprint, inputs) VALUES (?, ?, ?, ?)",
                (now(), backend, fingerprint, json.dumps(inputs)),
            )
            return int(cursor.lastrowid or 0)

    def finish_run(self, run_id: int, counts: dict[str, int]) -> None:
        with self.transaction() as conn:
            conn.execute(
                """UPDATE runs SET finished_at = ?, new = ?, changed = ?, unchanged = ?, failed = ?, removed = ?
                   WHERE id = ?""",
                (now(), counts.get("new", 0), counts.get("changed", 0), counts.get("unchanged", 0),
                 counts.get("failed", 0), counts.get("removed", 0), run_id),
            )

    def last_run(self) -> sqlite3.Row | None:
        rows = self.query("SELECT * FROM runs ORDER BY id DESC LIMIT 1")
        return rows[0] if rows else None

    def spend_by_model(self) -> list[tuple[str | None, TokenCount]]:
        rows = self.query(
            """SELECT model, SUM(requests) AS requests, SUM(prompt_tokens) AS prompt_tokens,
                   SUM(completion_tokens) AS completion_tokens, SUM(cached_requests) AS cached_requests
               FROM spend GROUP BY model ORDER BY model"""
        )
        return [(r["model"], TokenCount(r["requests"], r["prompt_tokens"], r["completion_tokens"], r["cached_requests"]))
                for r in rows]

    def integrity_check(self) -> str:
        return str(self.query("PRAGMA integrity_check")[0][0])


class Batch:
    """Records written inside one open transaction of the store (see `Store.batch`)."""

    def __init__(self, store: Store, conn: sqlite3.Connection) -> None:
        self._store, self._conn = store, conn

    def record_done(self, **fields: Any) -> None:
        self._store.record_done(**fields, conn=self._conn)

    def record_failure(self, **fields: Any) -> None:
        self._store.record_failure(**fields, conn=self._conn)
