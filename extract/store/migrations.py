"""Add-only schema migrations of the run store.

`MIGRATIONS[n - 1]` holds the statements that take a store from version n-1 to n; the
version lives in SQLite's `PRAGMA user_version`. Never edit or reorder a migration that
has shipped: append a new one (new tables, new columns with defaults, new indexes).
"""

from __future__ import annotations

import sqlite3

from extract.errors import StoreError

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: articles, the fingerprints they were made with, runs and the token ledger.
    (
        """CREATE TABLE articles (
            id TEXT PRIMARY KEY,
            source TEXT,
            sha256 TEXT,
            content_hash TEXT,
            fingerprint TEXT,
            status TEXT NOT NULL CHECK (status IN ('done', 'failed')),
            error TEXT,
            sheet TEXT,
            backend TEXT,
            model TEXT,
            requests INTEGER NOT NULL DEFAULT 0,
            prompt_tokens INTEGER NOT NULL DEFAULT 0,
            completion_tokens INTEGER NOT NULL DEFAULT 0,
            attempts INTEGER NOT NULL DEFAULT 0,
            first_seen TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            extracted_at TEXT
        )""",
        "CREATE INDEX articles_status ON articles (status)",
        """CREATE TABLE fingerprints (
            hash TEXT PRIMARY KEY,
            parts TEXT NOT NULL,
            first_seen TEXT NOT NULL
        )""",
        """CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            backend TEXT,
            fingerprint TEXT,
            inputs TEXT,
            new INTEGER,
            changed INTEGER,
            unchanged INTEGER,
            failed INTEGER,
            removed INTEGER
        )""",
        """CREATE TABLE spend (
            id INTEGER PRIMARY KEY,
            run_id INTEGER,
            article_id TEXT,
            model TEXT,
            requests INTEGER NOT NULL DEFAULT 0,
            prompt_tokens INTEGER NOT NULL DEFAULT 0,
            completion_tokens INTEGER NOT NULL DEFAULT 0,
            cached_requests INTEGER NOT NULL DEFAULT 0,
            at TEXT NOT NULL
        )""",
    ),
    # 2: the LLM response cache, keyed by a hash of the whole request.
    (
        """CREATE TABLE llm_cache (
            key TEXT PRIMARY KEY,
            response TEXT NOT NULL,
            model TEXT,
            prompt_tokens INTEGER NOT NULL DEFAULT 0,
            completion_tokens INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            hits INTEGER NOT NULL DEFAULT 0,
            last_hit_at TEXT
        )""",
    ),
    # 3: the LLM call log, one row per HTTP request to the model (extract/store/calls.py).
    (
        """CREATE TABLE llm_calls (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            run_id INTEGER,
            article_id TEXT,
            model TEXT,
            mode TEXT,
            endpoint TEXT,
            status TEXT NOT NULL,
            http_status INTEGER,
            prompt_tokens INTEGER NOT NULL DEFAULT 0,
            completion_tokens INTEGER NOT NULL DEFAULT 0,
            duration_ms INTEGER,
            reask INTEGER NOT NULL DEFAULT 0,
            retry INTEGER NOT NULL DEFAULT 0,
            finish_reason TEXT,
            error TEXT,
            request_key TEXT
        )""",
        "CREATE INDEX llm_calls_article ON llm_calls (article_id)",
    ),
    # 4: the SHA-256 of each stored sheet (a no-op run checks the sheet files against it without
    # loading the sheets), and small facts about the store, such as what the corpus files were made from.
    (
        "ALTER TABLE articles ADD COLUMN sheet_sha256 TEXT",
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    ),
    # 5: Batch API submissions and the article chunks each one holds.
    (
        """CREATE TABLE batches (
            token TEXT PRIMARY KEY,
            batch_id TEXT,
            input_file_id TEXT,
            state TEXT NOT NULL CHECK (state IN ('submitting', 'submitted', 'collected', 'abandoned')),
            status TEXT,
            fingerprint TEXT NOT NULL,
            model TEXT,
            lines INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        "CREATE INDEX batches_state ON batches (state)",
        """CREATE TABLE batch_lines (
            token TEXT NOT NULL REFERENCES batches (token),
            custom_id TEXT NOT NULL,
            article_id TEXT NOT NULL,
            source TEXT,
            content_hash TEXT NOT NULL,
            PRIMARY KEY (token, custom_id)
        )""",
        "CREATE INDEX batch_lines_article ON batch_lines (article_id)",
    ),
    # 6: each done sheet's line of factsheets.jsonl, the form the corpus merge reads, so that
    # rewriting the corpus files parses only the sheets that changed (extract/store/db.py).
    (
        """CREATE TABLE corpus_lines (
            id TEXT PRIMARY KEY,
            made_from TEXT NOT NULL,
            line TEXT NOT NULL
        )""",
    ),
    # 7: the kept merge state of the corpus files (layout v2): each fact's claims per article, each group's, entity's
    # and series' members, each file unit's sort key and length (extract/corpus_state.py). All derived.
    (
        """CREATE TABLE corpus_articles (
        article TEXT PRIMARY KEY,
        made_from TEXT NOT NULL,
        facts TEXT NOT NULL
    )""",
        """CREATE TABLE corpus_claims (
        fact TEXT NOT NULL,
        article TEXT NOT NULL,
        claims TEXT NOT NULL,
        PRIMARY KEY (fact, article)
    )""",
        """CREATE TABLE corpus_members (
        container TEXT NOT NULL,
        fact TEXT NOT NULL,
        sort TEXT NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (container, fact)
    )""",
        "CREATE INDEX corpus_members_fact ON corpus_members (fact)",
        """CREATE TABLE corpus_units (
        file TEXT NOT NULL,
        unit TEXT NOT NULL,
        sort TEXT NOT NULL,
        nbytes INTEGER NOT NULL,
        PRIMARY KEY (file, unit)
    )""",
        "CREATE INDEX corpus_units_order ON corpus_units (file, sort)",
    ),
    # 8: what a run reads of every article without its sheet (the plan's hashes, the done sheets' digest, the corpus
    # lines' keys), in an index: `sheet_sha256` comes after the sheet in the row, so reading it from the table walks
    # every sheet's overflow pages (~50 ms at 2,000 articles, per query). And the rows whose sheet hash is still to
    # be filled in (Store._backfill_sheet_hashes), so that finding none reads no sheet.
    (
        "CREATE INDEX articles_sheets ON articles (status, id, sheet_sha256, content_hash, fingerprint)",
        "CREATE INDEX articles_unhashed ON articles (id) WHERE sheet_sha256 IS NULL",
    ),
)

LATEST = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, upto: int = LATEST) -> int:
    """Apply the missing migrations, each in its own transaction; returns the new version.

    `conn` must be in autocommit mode (isolation_level=None). BEGIN IMMEDIATE makes two
    processes opening an old store at once apply each migration exactly once.
    """
    while True:
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = schema_version(conn)
            if version > LATEST:
                raise StoreError(
                    f"the store has schema version {version} but this factsheet knows only up to {LATEST}: "
                    "upgrade factsheet, or point --store at another file"
                )
            if version >= upto:
                conn.execute("COMMIT")
                return version
            for statement in MIGRATIONS[version]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
