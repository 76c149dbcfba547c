"""One writer per store: the lock belongs to the store file, whatever folder a run writes to.

Portable: the lock is the `filelock` package's; no module of ours imports fcntl at module level.
"""

from __future__ import annotations

import ast
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from store_fakes import FakeBackend

from extract.articles import discover
from extract.errors import StoreError
from extract.pipeline import RunOptions, run
from extract.store import LOCK_NAME, STORE_NAME, RunLock, Store, lock_paths
from extract.store.lock import store_lock_path

ROOT = Path(__file__).resolve().parents[3]
HOLD = ("import sys; from pathlib import Path; from extract.store import RunLock, lock_paths\n"
        "lock = RunLock(lock_paths(Path(sys.argv[1]), Path(sys.argv[2]))); lock.acquire()\n"
        "print('locked', flush=True); sys.stdin.read()\n")


@pytest.fixture
def holder(tmp_path: Path):
    """Start another process that holds the run lock of (out_dir, store) until it is stopped."""
    procs: list[subprocess.Popen] = []

    def start(out_dir: Path, store: Path) -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, "-c", HOLD, str(out_dir), str(store)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        procs.append(proc)
        assert proc.stdout.readline().strip() == "locked", proc.stderr.read()
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            stream.close()


def runner(articles: Path, out_dir: Path, **options: object):
    return run(list(discover([str(articles)])), FakeBackend(), RunOptions(out_dir=out_dir, **options))  # type: ignore[arg-type]


def test_a_second_run_on_the_same_store_is_refused_whatever_its_output_folder(
        holder, articles: Path, tmp_path: Path) -> None:
    first_out = tmp_path / "out1"
    store = first_out / STORE_NAME  # the default store of the first run
    runner(articles, first_out)
    proc = holder(first_out, store)
    with pytest.raises(StoreError) as exc:
        runner(articles, tmp_path / "out2", store=store, prune=True, force=True)
    message = str(exc.value)
    assert "another factsheet run" in message and f"process {proc.pid}" in message
    assert str(store) in message and "--store" in message
    assert not list((tmp_path / "out2").glob("*.json"))  # the refused run wrote no sheet
    proc.kill()
    proc.wait()
    with Store.open(store) as s:  # and deleted nothing: the first run's rows are all there
        assert len(s.articles(status="done")) == 6


def test_the_issue_case_prune_from_another_folder_cannot_delete_a_running_run_s_rows(
        articles: Path, tmp_path: Path) -> None:
    store = tmp_path / "shared.sqlite"
    runner(articles, tmp_path / "out1", store=store)
    (articles / "a000.txt").unlink()
    with RunLock(lock_paths(tmp_path / "out1", store)), pytest.raises(StoreError, match="is using the store"):
        runner(articles, tmp_path / "out2", store=store, prune=True)
    with Store.open(store) as s:
        assert s.get("a000") is not None


def test_a_store_reached_through_a_link_is_the_same_store(articles: Path, tmp_path: Path) -> None:
    store = tmp_path / "real" / "state.sqlite"
    store.parent.mkdir()
    alias = tmp_path / "alias"
    alias.symlink_to(store.parent, target_is_directory=True)
    assert store_lock_path(alias / "state.sqlite") == store_lock_path(store)
    with RunLock(lock_paths(tmp_path / "out1", store)), pytest.raises(StoreError, match="is using the store"):
        runner(articles, tmp_path / "out2", store=alias / "state.sqlite")


def test_two_runs_into_one_folder_with_different_stores_are_refused(articles: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with RunLock(lock_paths(out, tmp_path / "one.sqlite")), pytest.raises(StoreError, match="is using the output folder"):
        runner(articles, out, store=tmp_path / "two.sqlite")


def test_the_locks_are_the_store_s_and_the_folder_s(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert lock_paths(out, out / STORE_NAME) == sorted([out.resolve() / LOCK_NAME,
                                                       out.resolve() / f"{STORE_NAME}.lock"])
    elsewhere = tmp_path / "s" / "x.sqlite"
    assert lock_paths(out, elsewhere) == sorted([out.resolve() / LOCK_NAME, elsewhere.resolve().with_name("x.sqlite.lock")])


def test_a_killed_holder_leaves_no_lock_behind(holder, articles: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = holder(out, out / STORE_NAME)
    with pytest.raises(StoreError):
        runner(articles, out)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert (out / LOCK_NAME).exists()  # the file stays; only the lock mattered
    assert runner(articles, out).counts["new"] == 6


def test_release_lets_the_next_run_in_and_the_lock_is_reentrant_per_run(tmp_path: Path) -> None:
    paths = lock_paths(tmp_path / "out", tmp_path / "s.sqlite")
    with RunLock(paths):
        with pytest.raises(StoreError):
            RunLock(paths).acquire()
        assert (tmp_path / "s.sqlite.lock").read_text().strip() == str(os.getpid())
    with RunLock(paths):
        pass


def test_no_module_imports_fcntl_at_module_level() -> None:
    """fcntl does not exist on Windows: importing it at the top would stop the tool from starting there."""
    for path in sorted((ROOT / "extract").rglob("*.py")) + sorted((ROOT / "schemas").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert "fcntl" not in names, f"{path.relative_to(ROOT)} imports fcntl at module level"


def test_the_lock_module_imports_without_fcntl() -> None:
    code = ("import sys; sys.modules['fcntl'] = None\n"  # as on Windows: `import fcntl` fails
            "import extract.store.lock, extract.pipeline; print('ok')")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.stdout.strip() == "ok", proc.stderr
