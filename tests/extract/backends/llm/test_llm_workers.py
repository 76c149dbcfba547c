"""`--backend llm --workers N`: articles checked in N forked processes sharing --concurrency (extract/shards.py).

The same sheets, the same requests, one call-log row each and the response cache as one process; a server
refusing every request still stops the run at once; a worker that dies fails only its own articles; and
no worker outlives a killed run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from llm_helpers import FAST_FLAGS, GOLD_IDS, SEEDS, canonical_json, gold_facts, seed
from llm_server import FakeLLM, Fault, status

from extract import cli, pipeline
from extract.backends.llm.backend import LLMBackend
from extract.backends.llm.settings import LLMSettings
from extract.shards import can_fork, shards_of
from extract.store import STORE_NAME, Store
from extract.store.calls import read_calls
from schemas import FACT_TYPES, FactSheet

pytestmark = pytest.mark.skipif(not can_fork(), reason="worker processes are forked; this platform cannot fork")


def run(out: Path, *extra: str) -> int:
    return cli.main(["run", str(SEEDS), "-o", str(out), "--backend", "llm", *FAST_FLAGS, *extra])


def facts_of(out: Path, article_id: str) -> dict[str, list[str]]:
    sheet = FactSheet.model_validate_json((out / f"{article_id}.json").read_text(encoding="utf-8"))
    return {name: canonical_json([f.model_dump(mode="json") for f in getattr(sheet, name)]) for name in FACT_TYPES}


def gold_of(article_id: str) -> dict[str, list[str]]:
    return {name: canonical_json(facts) for name, facts in gold_facts(seed(article_id)).items()}


@pytest.fixture
def worker_pids(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A file each article's extraction appends its process id to (the forked workers see the patch too)."""
    log = tmp_path / "pids.txt"
    original = pipeline._extract_in_worker

    async def noting(article: Any, backend: Any, canonicaliser: Any) -> Any:
        with log.open("a", encoding="utf-8") as f:
            f.write(f"{os.getpid()} {article.id}\n")
        return await original(article, backend, canonicaliser)

    monkeypatch.setattr(pipeline, "_extract_in_worker", noting)
    return log


def pids_of(log: Path) -> dict[str, int]:
    return {line.split()[1]: int(line.split()[0]) for line in log.read_text(encoding="utf-8").splitlines()}


def test_backend_shards_split_concurrency_and_rpm() -> None:
    backend = LLMBackend(LLMSettings(base_url="http://127.0.0.1:9/v1", concurrency=5, requests_per_minute=60))
    shards = backend.shards(2)
    assert [s.settings.concurrency for s in shards] == [3, 2]
    assert [s.settings.requests_per_minute for s in shards] == [30, 30]
    assert [s.concurrency for s in shards] == [6, 4]  # articles in progress: two a request in flight
    assert all(s.fingerprint() == backend.fingerprint() for s in shards)  # the same sheets, the same re-run plan
    assert len(backend.shards(8)) == 5  # never a worker without a request to send
    assert shards_of(backend, None) is None and shards_of(backend, 1) is None  # one process unless asked


def test_two_workers_write_the_gold_sheets_with_one_request_and_one_log_row_each(
        llm_env: FakeLLM, tmp_path: Path, worker_pids: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert run(out, "--workers", "2", "--concurrency", "4") == 0
    assert "2 worker processes share the requests in flight" in capsys.readouterr().err

    for article_id in GOLD_IDS:
        assert facts_of(out, article_id) == gold_of(article_id), article_id
    pids = pids_of(worker_pids)
    assert set(pids) >= set(GOLD_IDS)
    assert os.getpid() not in pids.values() and len(set(pids.values())) == 2  # both workers, none in this process
    requests = [r for r in llm_env.records if r.article_id in GOLD_IDS]
    assert sorted(r.article_id for r in requests) == sorted(GOLD_IDS)  # one request each: no step-down, no retry
    with Store.open(out / STORE_NAME, create=False) as store:
        calls = read_calls(store)
    logged = [c for c in calls if c["article_id"] in GOLD_IDS]
    assert sorted(c["article_id"] for c in logged) == sorted(GOLD_IDS) and {c["status"] for c in logged} == {"ok"}


def test_a_second_run_with_workers_is_answered_from_the_cache_the_workers_wrote(
        llm_env: FakeLLM, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run(out, "--workers", "2", "--concurrency", "4") == 0
    sent = len(llm_env.records)
    # --reasks is in the fingerprint but not in the request: every article is extracted again, from the cache.
    assert run(out, "--workers", "2", "--concurrency", "4", "--reasks", "3", "--json") == 0
    assert len(llm_env.records) == sent
    for article_id in GOLD_IDS:
        sheet = FactSheet.model_validate_json((out / f"{article_id}.json").read_text(encoding="utf-8"))
        assert sheet.provenance.cached_requests == 1 and facts_of(out, article_id) == gold_of(article_id)
    with Store.open(out / STORE_NAME, create=False) as store:
        hits = store.query("SELECT SUM(hits) FROM llm_cache")[0][0]
    assert hits >= len(GOLD_IDS)  # the workers' hit counts were written before the run ended


def test_a_server_refusing_every_request_stops_a_run_with_workers_at_once(
        llm_env: FakeLLM, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    llm_env.fail_always("*", status(401))
    out = tmp_path / "out"
    assert run(out, "--workers", "2", "--concurrency", "2", "--json") == 1
    captured = capsys.readouterr()
    assert captured.err.count("refused the API key (HTTP 401)") == 1, captured.err
    data = json.loads(captured.out)
    assert data["counts"]["failed"] == 0 and data["counts"]["pending"] == len(list(SEEDS.glob("*.txt")))
    assert len(llm_env.records) <= 2  # one request a slot, then the run stops


def break_in_worker(monkeypatch: pytest.MonkeyPatch, victim: str, fault: Callable[[], None]) -> Callable[..., Any]:
    """Make the workers' extraction of `victim` run `fault` first; the original, to put back."""
    original = pipeline._extract_in_worker

    async def broken(article: Any, backend: Any, canonicaliser: Any) -> Any:
        if article.id == victim:
            fault()
        return await original(article, backend, canonicaliser)

    monkeypatch.setattr(pipeline, "_extract_in_worker", broken)
    return original


def article_rows(out: Path) -> dict[str, tuple[str, str | None]]:
    with Store.open(out / STORE_NAME, create=False) as store:
        return {r["id"]: (r["status"], r["error"]) for r in store.query("SELECT * FROM articles")}


def test_a_worker_that_dies_fails_only_its_own_articles(
        llm_env: FakeLLM, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    victim = GOLD_IDS[0]
    original = break_in_worker(monkeypatch, victim, lambda: os._exit(3))  # as the out-of-memory killer would
    out = tmp_path / "out"
    assert run(out, "--workers", "2", "--concurrency", "2", "--json") == 1
    rows = article_rows(out)
    assert rows[victim][0] == "failed" and "worker process ended unexpectedly (exit code 3)" in rows[victim][1]
    done = [a for a, (s, _) in rows.items() if s == "done"]
    assert done  # the other worker's articles are written
    for article_id in done:
        if article_id in GOLD_IDS:
            assert facts_of(out, article_id) == gold_of(article_id)
    monkeypatch.setattr(pipeline, "_extract_in_worker", original)
    assert run(out, "--workers", "2", "--concurrency", "2") == 0  # the failed ones are retried


def test_an_error_outside_the_pipeline_s_guard_fails_one_article_and_the_run_goes_on(
        llm_env: FakeLLM, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    victim = GOLD_IDS[1]

    def bug() -> None:
        raise RuntimeError("a bug of ours")

    break_in_worker(monkeypatch, victim, bug)
    out = tmp_path / "out"
    assert run(out, "--workers", "2", "--concurrency", "2") == 1  # it returns: no result is waited for forever
    rows = article_rows(out)
    assert rows[victim][0] == "failed" and "internal error (RuntimeError: a bug of ours)" in rows[victim][1]
    assert {a for a, (s, _) in rows.items() if s == "done"} == set(rows) - {victim}


def _children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:  # the field after the state is the parent's pid
            found.add(int(stat.parent.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds the workers through /proc")
def test_no_worker_outlives_a_killed_run(fake_llm: FakeLLM, tmp_path: Path) -> None:
    fake_llm.fail_always("*", Fault("slow", delay=30.0))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "FACTSHEET_"))}
    proc = subprocess.Popen([sys.executable, "-m", "extract.cli", "run", str(SEEDS), "-o", str(tmp_path / "out"),
                             "--backend", "llm", "--workers", "2", "--concurrency", "2", *FAST_FLAGS, "--timeout", "60"],
                            env={**env, "OPENAI_BASE_URL": fake_llm.url}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while fake_llm.max_in_flight < 2 and time.monotonic() < deadline:  # both workers are waiting for answers
            time.sleep(0.05)
        workers = _children(proc.pid)
        assert fake_llm.max_in_flight >= 2 and len(workers) >= 2, workers
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    deadline = time.monotonic() + 5
    while any(Path(f"/proc/{pid}").exists() and "Z" not in _state(pid) for pid in workers) \
            and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists() and "Z" not in _state(pid)]


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


def test_each_worker_steps_down_from_a_refused_mode_by_itself(
        llm_env: FakeLLM, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> None:
    from extract.backends.llm import modes

    monkeypatch.setattr(modes, "TOOLS_HOSTS", ("127.0.0.1",))  # this local server stands in for one that starts at TOOLS
    llm_env.refuse = ("tools",)
    out = tmp_path / "out"
    assert run(out, "--workers", "2", "--concurrency", "4") == 0
    for article_id in GOLD_IDS:
        assert facts_of(out, article_id) == gold_of(article_id)
        sheet = FactSheet.model_validate_json((out / f"{article_id}.json").read_text(encoding="utf-8"))
        assert sheet.provenance.model_extra["mode"] == "JSON_SCHEMA"
    # Each worker learns on its own: at most the requests in flight (4 in all) are refused, as with one process.
    assert 1 <= llm_env.refused <= 4
    # Logged by the workers, to the run's standard error (a file descriptor they share).
    assert 1 <= capfd.readouterr().err.count("refused TOOLS mode") <= 2  # once a worker
