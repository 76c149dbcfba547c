"""`factsheet cache stats|clear`: what the LLM response cache holds, and removing answers from it.

Stores are filled through the cache's own API (ResponseCache), by a real run against the scripted
local server, or with the rows an older version of the store held.
"""

from __future__ import annotations

import io
import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from extract.cli import main
from extract.store import LATEST, STORE_NAME, ResponseCache, Store, migrate

LLM_TESTS = Path(__file__).resolve().parents[1] / "backends" / "llm"
if str(LLM_TESTS) not in sys.path:
    sys.path.insert(0, str(LLM_TESTS))

from llm_helpers import FAST_FLAGS, SEEDS, gold_responder, keyless_env, serving  # noqa: E402
from llm_server import FakeLLM  # noqa: E402

HOLD = ("import sys; from pathlib import Path; from extract.store.cache_admin import cache_lock\n"
        "lock = cache_lock(Path(sys.argv[1])); lock.acquire()\n"
        "print('locked', flush=True); sys.stdin.read()\n")
OLD = "2020-01-01T00:00:00.000+00:00"  # a creation time long past


def answer(prompt: int, completion: int, text: str = "x") -> str:
    return json.dumps({"choices": [{"message": {"content": text}}],
                       "usage": {"prompt_tokens": prompt, "completion_tokens": completion}})


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    """A store with 3 answers of model a (one hit twice, one once), 1 of model b (never hit)."""
    path = tmp_path / "out" / STORE_NAME
    with Store.open(path) as store:
        cache = ResponseCache(store)
        for key, model, tokens in [("k1", "a", (100, 10)), ("k2", "a", (200, 20)), ("k3", "a", (300, 30)),
                                   ("k4", "b", (1000, 100))]:
            cache.put(key, answer(*tokens), model=model)
        for key in ("k1", "k1", "k2"):
            assert cache.get(key) is not None
        cache.flush()
    return path


def keys(path: Path) -> set[str]:
    with Store.open(path, create=False) as store:
        return {row["key"] for row in store.query("SELECT key FROM llm_cache")}


def stats(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    assert main(["cache", "stats", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


class Terminal(io.StringIO):
    """Standard input of a person at a terminal who types `reply`."""

    def isatty(self) -> bool:
        return True


def test_stats_count_entries_bytes_hits_and_the_tokens_saved(store_path: Path, capsys) -> None:
    data = stats(capsys, "-o", str(store_path.parent))
    total = data["total"]
    assert total["entries"] == 4 and total["hits"] == 3
    assert total["bytes"] == sum(len(answer(*t).encode()) for t in [(100, 10), (200, 20), (300, 30), (1000, 100)])
    assert (total["saved_prompt_tokens"], total["saved_completion_tokens"]) == (2 * 100 + 200, 2 * 10 + 20)
    assert data["by_model"]["a"]["entries"] == 3 and data["by_model"]["a"]["hits"] == 3
    assert data["by_model"]["b"] == {**data["by_model"]["b"], "entries": 1, "hits": 0, "saved_prompt_tokens": 0}
    assert total["oldest"] <= total["newest"] and total["last_hit"] is not None
    assert data["schema_version"] == LATEST

    assert main(["cache", "stats", "--store", str(store_path)]) == 0  # the same as text
    text = capsys.readouterr().out
    assert "4 answers" in text and "3 hits saving 400 prompt and 40 completion tokens" in text
    assert "  a: 3 answers" in text and "  b: 1 answers" in text


def test_a_real_run_fills_the_cache_that_stats_report(tmp_path: Path, monkeypatch, capsys) -> None:
    with serving(FakeLLM(gold_responder)) as fake:
        keyless_env(monkeypatch, fake.url)
        out = tmp_path / "out"
        assert main(["run", str(SEEDS / "002_04d536c7ce22d398.txt"), "-o", str(out), *FAST_FLAGS]) == 0
    capsys.readouterr()
    total = stats(capsys, "-o", str(out))["total"]
    assert total["entries"] == len(fake.records) > 0 and total["hits"] == 0
    assert total["bytes"] > 0


def test_clear_one_model_or_the_long_unused_ones(store_path: Path, capsys) -> None:
    with Store.open(store_path) as store, store.transaction() as conn:
        conn.execute("UPDATE llm_cache SET created_at = ?", (OLD,))  # every answer made long ago...
        conn.execute("UPDATE llm_cache SET last_hit_at = NULL WHERE key != 'k1'")  # ...and only k1 hit since
    assert main(["cache", "clear", "--store", str(store_path), "--model", "b", "--yes"]) == 0
    assert "removed 1 cached answers" in capsys.readouterr().err
    assert keys(store_path) == {"k1", "k2", "k3"}
    assert main(["cache", "clear", "--store", str(store_path), "--older-than", "30", "--yes", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["removed"] == 2
    assert keys(store_path) == {"k1"}  # made long ago, but hit since: it still saves tokens
    assert main(["cache", "clear", "--store", str(store_path), "--yes", "--vacuum"]) == 0
    assert keys(store_path) == set()
    assert main(["cache", "clear", "--store", str(store_path), "--yes"]) == 0  # nothing left: says so, no error
    assert "nothing removed" in capsys.readouterr().err


def test_clear_asks_on_a_terminal_and_needs_yes_in_a_script(store_path: Path, monkeypatch, capsys) -> None:
    argv = ["cache", "clear", "--store", str(store_path)]
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # a script: nobody to ask
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "would remove 4 cached answers" in err and "--yes" in err
    assert len(keys(store_path)) == 4

    assert main([*argv, "--dry-run"]) == 0
    assert "would remove 4 cached answers" in capsys.readouterr().err and len(keys(store_path)) == 4

    monkeypatch.setattr(sys, "stdin", Terminal("n\n"))
    assert main(argv) == 0 and len(keys(store_path)) == 4
    assert "remove 4 cached answers" in capsys.readouterr().err  # the question
    monkeypatch.setattr(sys, "stdin", Terminal("y\n"))
    assert main(argv) == 0 and keys(store_path) == set()


@pytest.fixture
def holder(store_path: Path) -> Iterator[subprocess.Popen]:
    """Another process holding the store's lock, as a running `factsheet run` does."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(store_path)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        yield proc
    finally:
        proc.kill()
        proc.communicate()


def test_clear_is_refused_while_a_run_holds_the_store_but_stats_read(store_path: Path, holder, capsys) -> None:
    assert main(["cache", "clear", "--store", str(store_path), "--yes"]) == 2
    assert "another factsheet run" in capsys.readouterr().err
    assert len(keys(store_path)) == 4
    assert stats(capsys, "--store", str(store_path))["total"]["entries"] == 4  # a read takes no lock


def test_a_store_of_an_older_schema_is_migrated_on_open(tmp_path: Path, capsys) -> None:
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, upto=2)  # version 2: the first with llm_cache
    conn.execute("INSERT INTO llm_cache (key, response, model, prompt_tokens, completion_tokens, created_at, hits) "
                 "VALUES ('old', ?, 'm', 5, 1, ?, 3)", (answer(5, 1), OLD))
    conn.close()
    data = stats(capsys, "--store", str(path))
    assert data["schema_version"] == LATEST and data["total"]["saved_prompt_tokens"] == 15
    assert main(["cache", "clear", "--store", str(path), "--model", "m", "--yes"]) == 0
    assert keys(path) == set()

    older = tmp_path / "v1.sqlite"  # version 1: no cache table at all yet
    conn = sqlite3.connect(older, isolation_level=None)
    migrate(conn, upto=1)
    conn.close()
    assert stats(capsys, "--store", str(older))["total"]["entries"] == 0


def test_usage_errors_exit_2(tmp_path: Path, store_path: Path, capsys) -> None:
    assert main(["cache", "stats", "-o", str(tmp_path / "nowhere")]) == 2
    assert "no store at" in capsys.readouterr().err and not (tmp_path / "nowhere").exists()
    assert main(["cache", "stats", "--store", str(store_path), "--model", "a"]) == 2
    assert "--model goes with `factsheet cache clear`" in capsys.readouterr().err
    assert main(["cache", "clear", "--store", str(store_path), "--older-than", "-1", "--yes"]) == 2
    assert "0 or more" in capsys.readouterr().err and len(keys(store_path)) == 4
