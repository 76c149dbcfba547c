"""What the LLM response cache holds, and removing answers from it (`factsheet cache`).

Reads and deletes rows of the store's `llm_cache` table (see extract/store/cache.py for what
goes in). A hit is a request answered from the cache instead of the API, so the tokens an
entry saved are its own prompt and completion tokens times its hits. Removing entries is a
write: the caller holds the store lock (`cache_lock`), as a run does, so that no answer a
running run has just paid for is deleted under it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from extract.errors import ConfigError
from extract.store.db import Store
from extract.store.lock import RunLock, store_lock_path

# Bytes are those of the stored answers (UTF-8), the bulk of each row.
_TOTALS = """COUNT(*) AS entries, COALESCE(SUM(LENGTH(CAST(response AS BLOB))), 0) AS bytes,
    COALESCE(SUM(hits), 0) AS hits, COALESCE(SUM(hits * prompt_tokens), 0) AS saved_prompt_tokens,
    COALESCE(SUM(hits * completion_tokens), 0) AS saved_completion_tokens,
    MIN(created_at) AS oldest, MAX(created_at) AS newest, MAX(last_hit_at) AS last_hit"""


@dataclass(frozen=True)
class CacheTotals:
    """Entries of the cache (all of it, or one model's), their size and what their hits saved."""

    entries: int = 0
    bytes: int = 0
    hits: int = 0
    saved_prompt_tokens: int = 0
    saved_completion_tokens: int = 0
    oldest: str | None = None  # created_at of the oldest entry (UTC ISO time)
    newest: str | None = None
    last_hit: str | None = None


@dataclass(frozen=True)
class CacheStats:
    total: CacheTotals
    by_model: dict[str, CacheTotals] = field(default_factory=dict)  # "" for entries without a model


def _totals(row: object) -> CacheTotals:
    return CacheTotals(**{name: row[name] for name in CacheTotals.__dataclass_fields__})  # type: ignore[index]


def cache_stats(store: Store) -> CacheStats:
    """The whole cache and each model's share, in one pass per grouping."""
    total = _totals(store.query(f"SELECT {_TOTALS} FROM llm_cache")[0])
    rows = store.query(f"SELECT COALESCE(model, '') AS model, {_TOTALS} FROM llm_cache "
                       "GROUP BY COALESCE(model, '') ORDER BY model")
    return CacheStats(total, {row["model"]: _totals(row) for row in rows})


@dataclass(frozen=True)
class Selection:
    """Which entries to remove: all, one model's, and/or those unused for more than `older_than_days`."""

    model: str | None = None
    older_than_days: float | None = None

    def __post_init__(self) -> None:
        if self.older_than_days is not None and not self.older_than_days >= 0:  # also refuses NaN
            raise ConfigError(f"--older-than takes a number of days, 0 or more (got {self.older_than_days:g})")

    def where(self, now: datetime | None = None) -> tuple[str, tuple[str, ...]]:
        clauses, params = [], []
        if self.model is not None:
            clauses.append("model = ?")
            params.append(self.model)
        if self.older_than_days is not None:
            # Last used, not created: an old answer that runs still hit keeps saving tokens.
            cutoff = (now or datetime.now(UTC)) - timedelta(days=self.older_than_days)
            clauses.append("COALESCE(last_hit_at, created_at) < ?")
            params.append(cutoff.isoformat(timespec="milliseconds"))
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), tuple(params)


def matching(store: Store, selection: Selection, now: datetime | None = None) -> CacheTotals:
    """What `clear` would remove."""
    where, params = selection.where(now)
    return _totals(store.query(f"SELECT {_TOTALS} FROM llm_cache{where}", params)[0])


def clear(store: Store, selection: Selection, now: datetime | None = None, *, vacuum: bool = False) -> int:
    """Remove the selected entries in one transaction; returns how many. `vacuum` gives the space back to the disk."""
    where, params = selection.where(now)
    with store.transaction() as conn:
        removed = conn.execute(f"DELETE FROM llm_cache{where}", params).rowcount
    if vacuum and removed:
        store.query("VACUUM")  # outside any transaction (SQLite's rule); rewrites the file without the freed pages
    return int(removed)


def cache_lock(store_path: Path) -> RunLock:
    """The lock every writer of the store takes (a run holds it throughout): refused at once while one runs."""
    return RunLock([store_lock_path(store_path)])
