"""Batch API submissions in the run store: what was sent, and where it stands.

A batch is recorded, with every line it holds, BEFORE its file is uploaded (state
'submitting', under a token of ours that also goes into the batch's metadata). After a
crash the next run finds a 'submitting' record and asks the server for a batch carrying
that token: adopted if it exists, else abandoned and its articles planned again. So a
submitted batch is never lost, and the same article version is never in two live batches.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from extract.store.db import Store, now

LIVE = ("submitting", "submitted")


@dataclass(frozen=True)
class BatchRow:
    token: str
    batch_id: str | None
    input_file_id: str | None
    state: str  # submitting, submitted, collected, abandoned
    status: str | None  # the provider's status when last seen
    fingerprint: str
    model: str | None
    lines: int
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class BatchLineRow:
    custom_id: str
    article_id: str
    source: str | None
    content_hash: str


def new_token() -> str:
    return uuid.uuid4().hex


def add_batch(store: Store, token: str, fingerprint: str, model: str | None,
              lines: list[BatchLineRow]) -> None:
    """Record a batch about to be uploaded, with its lines, in one transaction."""
    stamp = now()
    with store.transaction() as conn:
        conn.execute(
            """INSERT INTO batches (token, state, fingerprint, model, lines, created_at, updated_at)
               VALUES (?, 'submitting', ?, ?, ?, ?, ?)""",
            (token, fingerprint, model, len(lines), stamp, stamp),
        )
        conn.executemany(
            "INSERT INTO batch_lines (token, custom_id, article_id, source, content_hash) VALUES (?, ?, ?, ?, ?)",
            [(token, line.custom_id, line.article_id, line.source, line.content_hash) for line in lines],
        )


def update_batch(store: Store, token: str, **values: str | None) -> None:
    """Set some of input_file_id, batch_id, state, status."""
    allowed = {"input_file_id", "batch_id", "state", "status"}
    if not values or set(values) - allowed:
        raise ValueError(f"update_batch takes {sorted(allowed)}")
    columns = ", ".join(f"{name} = ?" for name in values)
    with store.transaction() as conn:
        conn.execute(f"UPDATE batches SET {columns}, updated_at = ? WHERE token = ?",
                     (*values.values(), now(), token))


def batches(store: Store, live_only: bool = True) -> list[BatchRow]:
    where = f"WHERE state IN ({', '.join('?' * len(LIVE))})" if live_only else ""
    rows = store.query(f"SELECT * FROM batches {where} ORDER BY created_at", LIVE if live_only else ())
    return [BatchRow(**dict(r)) for r in rows]


def find_batch(store: Store, batch_id_or_token: str) -> BatchRow | None:
    rows = store.query("SELECT * FROM batches WHERE batch_id = ? OR token = ?", (batch_id_or_token, batch_id_or_token))
    return BatchRow(**dict(rows[0])) if rows else None


def batch_lines(store: Store, token: str) -> list[BatchLineRow]:
    rows = store.query("SELECT custom_id, article_id, source, content_hash FROM batch_lines WHERE token = ? "
                       "ORDER BY article_id, custom_id", (token,))
    return [BatchLineRow(**dict(r)) for r in rows]


def live_articles(store: Store) -> dict[str, tuple[str, str]]:
    """article id -> (content hash, batch token) of every article version in a batch not yet collected."""
    rows = store.query(
        f"""SELECT l.article_id, l.content_hash, l.token FROM batch_lines l JOIN batches b ON b.token = l.token
            WHERE b.state IN ({', '.join('?' * len(LIVE))})""",
        LIVE,
    )
    return {r["article_id"]: (r["content_hash"], r["token"]) for r in rows}


def live_summaries(store: Store) -> list[dict[str, object]]:
    """Each live batch as `factsheet status` lists it: id, articles, age, state."""
    from datetime import UTC, datetime

    summaries = []
    for row in batches(store):
        articles = store.query("SELECT COUNT(DISTINCT article_id) AS n FROM batch_lines WHERE token = ?", (row.token,))
        age = datetime.now(UTC) - datetime.fromisoformat(row.created_at)
        summaries.append({"id": row.batch_id or f"(not created yet; token {row.token[:8]})", "articles": articles[0]["n"],
                          "requests": row.lines, "age_minutes": round(age.total_seconds() / 60, 1),
                          "state": row.status or row.state, "created_at": row.created_at})
    return summaries
