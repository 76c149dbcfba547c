"""The store's schema: add-only migrations, WAL, refusing newer or damaged stores."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from extract.errors import StoreError
from extract.store import LATEST, MIGRATIONS, ResponseCache, Store, migrate


def old_store(path: Path, version: int) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, upto=version)
    conn.execute(
        "INSERT INTO articles (id, status, sheet, first_seen, updated_at) VALUES ('kept', 'done', '{}', 'then', 'then')"
    )
    conn.close()


def test_migrations_are_numbered_statement_lists() -> None:
    assert LATEST == len(MIGRATIONS) >= 2
    assert all(isinstance(step, tuple) and step and all(isinstance(s, str) for s in step) for step in MIGRATIONS)


def test_an_old_store_is_migrated_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    old_store(path, 1)
    with Store.open(path) as store:
        assert store.schema_version == LATEST
        assert store.get("kept") is not None
        cache = ResponseCache(store)  # the table migration 2 adds
        cache.put("k", '{"choices": []}')
        assert cache.get("k") == '{"choices": []}'
    with Store.open(path) as store:  # idempotent
        assert store.schema_version == LATEST


def test_every_prefix_of_the_migrations_upgrades(tmp_path: Path) -> None:
    for version in range(LATEST + 1):
        path = tmp_path / f"v{version}.sqlite"
        conn = sqlite3.connect(path, isolation_level=None)
        migrate(conn, upto=version)
        assert conn.execute("PRAGMA user_version").fetchone()[0] == version
        conn.close()
        with Store.open(path) as store:
            assert store.schema_version == LATEST
            assert store.integrity_check() == "ok"


def test_store_uses_wal_and_a_busy_timeout(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.sqlite") as store:
        assert store.query("PRAGMA journal_mode")[0][0] == "wal"
        assert store.query("PRAGMA busy_timeout")[0][0] >= 1000


def test_a_newer_store_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {LATEST + 1}")
    conn.close()
    with pytest.raises(StoreError, match="upgrade factsheet"):
        Store.open(path)


def test_a_damaged_store_is_refused_with_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "junk.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="move it aside"):
        Store.open(path)


def test_a_failed_migration_leaves_the_old_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import extract.store.migrations as migrations

    path = tmp_path / "s.sqlite"
    old_store(path, 1)
    monkeypatch.setattr(migrations, "MIGRATIONS", (*MIGRATIONS[:1], ("CREATE TABLE llm_cache (key TEXT)", "BROKEN SQL")))
    conn = sqlite3.connect(path, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError):
        migrations.migrate(conn)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    assert conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'llm_cache'").fetchone()[0] == 0
    conn.close()
