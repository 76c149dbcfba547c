"""Crash safety: SIGKILL at random moments, a death between commit and file, concurrent runs.

The runs are real subprocesses of the CLI (through slow_factsheet.py, which registers a
slow fake backend); the recovery runs are in-process with the same fingerprint.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from store_fakes import FakeBackend, article_text, write_articles

from extract.articles import discover, load
from extract.pipeline import RunOptions, content_hash, run
from extract.store import LOCK_NAME, STORE_NAME, Store
from schemas import FactSheet

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "slow_factsheet.py"
N_ARTICLES = 40
TRIALS = 20


def cli(articles: Path, out: Path, log: Path | None = None, **env: str) -> subprocess.Popen[bytes]:
    environ = {**os.environ, "SLOW_DELAY": "0.03", "SLOW_JITTER": "0.05", **env}
    if log is not None:
        environ["SLOW_LOG"] = str(log)
    return subprocess.Popen([sys.executable, str(SCRIPT), "run", str(articles), "-o", str(out), "--backend", "slow"],
                            env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def check_outputs(out: Path) -> None:
    """Every visible file in the output folder is whole; the store is sound."""
    if not out.exists():
        return
    for path in out.iterdir():
        name = path.name
        if name.startswith("."):
            assert name == LOCK_NAME or name.endswith(".tmp"), name  # temporaries are hidden, removed next run
        elif name.startswith(STORE_NAME):
            continue
        elif name.endswith(".json"):
            FactSheet.model_validate_json(path.read_text(encoding="utf-8"))
        elif name.endswith(".jsonl"):
            text = path.read_text(encoding="utf-8")
            assert text == "" or text.endswith("\n"), name
            for line in text.splitlines():
                json.loads(line)
        elif name.endswith(".csv"):  # metrics.csv, projects.csv, statements.csv
            assert path.read_text(encoding="utf-8").startswith("id,"), name
        else:
            raise AssertionError(f"unexpected file in the output folder: {name}")
    if (out / STORE_NAME).exists():
        with Store.open(out / STORE_NAME) as store:
            assert store.integrity_check() == "ok"
            for row in store.articles(status="done"):
                row.fact_sheet()


def current_hashes(articles: Path) -> dict[str, str]:
    return {s.id: content_hash(load(s)) for s in discover([str(articles)])}


def done_and_current(out: Path, hashes: dict[str, str]) -> set[str]:
    """Articles the store has done for their current text (with the fake backend's fingerprint)."""
    if not (out / STORE_NAME).exists():
        return set()
    with Store.open(out / STORE_NAME) as store:
        return {r.id for r in store.articles(status="done") if hashes.get(r.id) == r.content_hash}


def logged(log: Path) -> list[str]:
    return log.read_text().split() if log.exists() else []


def wait_for_lines(proc: subprocess.Popen[bytes], log: Path, n: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while proc.poll() is None and len(logged(log)) < n and time.monotonic() < deadline:
        time.sleep(0.003)


def test_sigkill_at_random_moments_loses_nothing_and_the_next_run_finishes(tmp_path: Path) -> None:
    seed = int(os.environ.get("KILL_TEST_SEED", time.time_ns() % 2**32))
    rng = random.Random(seed)
    articles, out, log = tmp_path / "articles", tmp_path / "out", tmp_path / "extracted.log"
    write_articles(articles, N_ARTICLES)
    killed = interrupted = 0
    started = time.monotonic()
    for trial in range(TRIALS):
        for i in rng.sample(range(N_ARTICLES), rng.randint(10, N_ARTICLES)):  # give every run work to do
            (articles / f"a{i:03d}.txt").write_text(article_text(i, value=rng.randint(1, 10**6)), encoding="utf-8")
        hashes = current_hashes(articles)
        finished_before = done_and_current(out, hashes)
        log.unlink(missing_ok=True)
        proc = cli(articles, out, log)
        todo = N_ARTICLES - len(finished_before)
        if trial % 3 == 2:  # any moment: start-up, planning, extraction, corpus files, exit
            time.sleep(rng.uniform(0.0, 0.5 + todo * 0.015))
        else:  # while extracting: around the k-th finished article, commits and file writes
            wait_for_lines(proc, log, rng.randint(1, max(1, todo)))
            time.sleep(rng.uniform(0.0, 0.04))
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        _, err = proc.communicate()
        assert proc.returncode in (0, -signal.SIGKILL), f"seed {seed} trial {trial}: {err.decode()}"
        redone = set(logged(log)) & finished_before
        assert not redone, f"seed {seed} trial {trial}: finished articles extracted again: {sorted(redone)}"
        check_outputs(out)
        finished_after = done_and_current(out, hashes)
        assert finished_before <= finished_after, f"seed {seed} trial {trial}: finished articles lost"
        if proc.returncode == -signal.SIGKILL:
            killed += 1
            if logged(log) and len(finished_after) < N_ARTICLES:
                interrupted += 1  # killed while extracting
    elapsed = time.monotonic() - started

    hashes = current_hashes(articles)
    remaining = set(hashes) - done_and_current(out, hashes)
    backend = FakeBackend()
    report = run(list(discover([str(articles)])), backend, RunOptions(out_dir=out))
    assert set(backend.calls) == remaining and len(backend.calls) == len(remaining), f"seed {seed}"
    assert report.counts["failed"] == 0 and len(report.sheets) == N_ARTICLES
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]
    check_outputs(out)
    with Store.open(out / STORE_NAME) as store:
        for row in store.articles():
            assert row.status == "done" and (out / f"{row.id}.json").read_text() == row.sheet
    assert len((out / "factsheets.jsonl").read_text().splitlines()) == N_ARTICLES
    assert interrupted >= TRIALS // 3, f"seed {seed}: only {interrupted} kills landed mid-extraction; the test proves little"
    print(f"kill test: seed {seed}, {TRIALS} trials, {killed} killed, {interrupted} of them mid-extraction, {elapsed:.1f} s, "
          f"{len(remaining)} left for the final run")


def test_death_between_store_commit_and_sheet_write_is_repaired(tmp_path: Path) -> None:
    articles, out, log = tmp_path / "articles", tmp_path / "out", tmp_path / "extracted.log"
    write_articles(articles, 8)
    proc = cli(articles, out, log, DIE_AT_SHEET_WRITE="3", SLOW_DELAY="0", SLOW_JITTER="0")
    proc.communicate()
    assert proc.returncode == 137
    check_outputs(out)
    with Store.open(out / STORE_NAME) as store:
        done = {r.id for r in store.articles(status="done")}
    missing = {d for d in done if not (out / f"{d}.json").exists()}
    assert len(missing) == 1  # committed, never written
    backend = FakeBackend()
    run(list(discover([str(articles)])), backend, RunOptions(out_dir=out))
    assert set(backend.calls) == {f"a{i:03d}" for i in range(8)} - done
    assert all((out / f"{d}.json").exists() for d in missing)


def test_two_runs_at_once_serialise_or_refuse_and_never_corrupt(tmp_path: Path) -> None:
    articles, out = tmp_path / "articles", tmp_path / "out"
    write_articles(articles, 20)
    procs = [cli(articles, out), cli(articles, out)]
    results = [(p.wait(), p.communicate()[1].decode()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes in ([0, 0], [0, 2]), results
    for code, err in results:
        if code == 2:
            assert "another factsheet run" in err and "is using" in err, err
    check_outputs(out)
    backend = FakeBackend()
    report = run(list(discover([str(articles)])), backend, RunOptions(out_dir=out))
    assert backend.calls == [] and report.counts["unchanged"] == 20


def test_two_output_folders_sharing_one_store_are_serialised(tmp_path: Path) -> None:
    articles = tmp_path / "articles"
    write_articles(articles, 10)
    store = tmp_path / "shared.sqlite"
    procs = [subprocess.Popen([sys.executable, str(SCRIPT), "run", str(articles), "-o", str(tmp_path / f"out{i}"),
                               "--backend", "slow", "--store", str(store)],
                              env={**os.environ, "SLOW_DELAY": "0.05"}, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
             for i in range(2)]
    codes = sorted(p.wait() for p in procs)
    assert codes in ([0, 0], [0, 2])
    with Store.open(store) as s:
        assert s.integrity_check() == "ok" and len(s.articles(status="done")) == 10


def test_concurrent_writers_on_one_store_wait_instead_of_failing(tmp_path: Path) -> None:
    """The busy timeout: processes writing the same store at once all succeed (no 'database is locked')."""
    code = (
        "import sys; from extract.store import Store, ResponseCache\n"
        "s = Store.open(__import__('pathlib').Path(sys.argv[1])); c = ResponseCache(s)\n"
        "for i in range(200): c.put(f'{sys.argv[2]}-{i}', '{\"choices\": [1]}')\n"
    )
    path, n_writers = tmp_path / "s.sqlite", 4
    procs = [subprocess.Popen([sys.executable, "-c", code, str(path), str(w)], stderr=subprocess.PIPE)
             for w in range(n_writers)]
    for p in procs:
        _, err = p.communicate()
        assert p.returncode == 0, err.decode()
    with Store.open(path) as s:
        assert s.integrity_check() == "ok"
        assert s.query("SELECT COUNT(*) FROM llm_cache")[0][0] == 200 * n_writers
