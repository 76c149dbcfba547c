"""Incremental runs: only new, changed, failed or re-fingerprinted articles are extracted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from store_fakes import FakeBackend, article_text, write_articles

from extract.errors import StoreError
from extract.pipeline import RunOptions, run
from extract.store import STORE_NAME, RunLock, Store, lock_paths
from schemas import FactSheet


def sheet_files(out: Path) -> list[str]:
    return sorted(p.name for p in out.glob("*.json"))


def test_first_run_extracts_all_and_writes_every_output(run_fake, out: Path) -> None:
    report, backend = run_fake()
    assert sorted(backend.calls) == [f"a{i:03d}" for i in range(6)]
    assert report.counts == {"new": 6, "changed": 0, "unchanged": 0, "failed": 0, "removed": 0}
    assert sheet_files(out) == [f"a{i:03d}.json" for i in range(6)]
    for name in ("factsheets.jsonl", "facts.jsonl", "metrics.csv", STORE_NAME):
        assert (out / name).exists(), name
    with Store.open(out / STORE_NAME) as store:
        rows = store.articles()
        assert [r.status for r in rows] == ["done"] * 6
        assert all(r.sha256 and r.content_hash and r.fingerprint and r.sheet for r in rows)
        assert sum(t.prompt_tokens for _, t in store.spend_by_model()) == 600


def test_second_run_extracts_nothing(run_fake, out: Path) -> None:
    run_fake()
    before = {p.name: p.read_bytes() for p in out.glob("*.json")}
    report, backend = run_fake()
    assert backend.calls == []
    assert report.counts["unchanged"] == 6 and report.counts["new"] == report.counts["changed"] == 0
    assert {p.name: p.read_bytes() for p in out.glob("*.json")} == before
    assert len(report.sheets) == 6  # callers still get every input's sheet
    assert report.spent.prompt_tokens == 0


def test_touching_one_article_reextracts_exactly_that_one(run_fake, articles: Path, out: Path) -> None:
    run_fake()
    (articles / "a002.txt").write_text(article_text(2, value=777), encoding="utf-8")
    report, backend = run_fake()
    assert backend.calls == ["a002"]
    assert report.counts == {"new": 0, "changed": 1, "unchanged": 5, "failed": 0, "removed": 0}
    sheet = FactSheet.model_validate_json((out / "a002.json").read_text())
    assert sheet.metrics[0].value == 777


def test_a_touched_mtime_alone_is_not_a_change(run_fake, articles: Path) -> None:
    run_fake()
    path = articles / "a001.txt"
    path.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    _, backend = run_fake()
    assert backend.calls == []


def test_a_changed_sidecar_is_a_change(run_fake, articles: Path) -> None:
    run_fake()
    (articles / "a003.meta.json").write_text(json.dumps({"published": "2021-02-03"}), encoding="utf-8")
    _, backend = run_fake()
    assert backend.calls == ["a003"]


def test_new_article_is_the_only_one_extracted(run_fake, articles: Path) -> None:
    run_fake()
    write_articles(articles, 1, start=6)
    report, backend = run_fake()
    assert backend.calls == ["a006"]
    assert report.counts["new"] == 1 and report.counts["unchanged"] == 6


def test_changing_the_fingerprint_reextracts_all(run_fake) -> None:
    run_fake(FakeBackend(prompt_version="1"))
    report, backend = run_fake(FakeBackend(prompt_version="2"))
    assert len(backend.calls) == 6
    assert report.counts["changed"] == 6
    assert all(r.reason == "fingerprint" for r in report.results)
    _, again = run_fake(FakeBackend(prompt_version="2"))
    assert again.calls == []


def test_force_redoes_everything(run_fake) -> None:
    run_fake()
    report, backend = run_fake(force=True)
    assert len(backend.calls) == 6 and report.counts["changed"] == 6


def test_failed_articles_are_retried_and_others_go_on(run_fake, out: Path) -> None:
    report, _ = run_fake(FakeBackend(fail={"a001", "a004"}))
    assert report.counts["failed"] == 2 and report.counts["new"] == 4
    assert not (out / "a001.json").exists()
    with Store.open(out / STORE_NAME) as store:
        failed = store.articles(status="failed")
        assert [r.id for r in failed] == ["a001", "a004"]
        assert "fake failure on a001" in (failed[0].error or "")
    report, backend = run_fake()
    assert sorted(backend.calls) == ["a001", "a004"]
    assert report.counts == {"new": 2, "changed": 0, "unchanged": 4, "failed": 0, "removed": 0}
    assert all(r.reason == "retry" for r in report.extracted)


def test_unreadable_article_is_recorded_failed(run_fake, articles: Path, out: Path) -> None:
    (articles / "bad.txt").write_bytes(b"\x00\x01\x02binary")
    report, _ = run_fake()
    assert report.counts["failed"] == 1
    with Store.open(out / STORE_NAME) as store:
        row = store.get("bad")
        assert row is not None and row.status == "failed" and "binary" in (row.error or "")


def test_prune_removes_the_sheets_of_deleted_articles(run_fake, articles: Path, out: Path) -> None:
    run_fake()
    (articles / "a005.txt").unlink()
    report, _ = run_fake()
    assert report.missing == ["a005"] and (out / "a005.json").exists()  # kept without --prune
    report, backend = run_fake(prune=True)
    assert report.removed == ["a005"] and report.counts["removed"] == 1
    assert backend.calls == []
    assert not (out / "a005.json").exists()
    with Store.open(out / STORE_NAME) as store:
        assert store.get("a005") is None
    lines = (out / "factsheets.jsonl").read_text().splitlines()
    assert [json.loads(line)["article"]["id"] for line in lines] == [f"a{i:03d}" for i in range(5)]


def test_a_missing_or_edited_sheet_file_is_restored_from_the_store(run_fake, out: Path) -> None:
    run_fake()
    stored = (out / "a000.json").read_text()
    (out / "a000.json").unlink()
    (out / "a001.json").write_text("{half")
    _, backend = run_fake()
    assert backend.calls == []
    assert (out / "a000.json").read_text() == stored
    FactSheet.model_validate_json((out / "a001.json").read_text())


def test_corpus_holds_all_done_articles_not_just_this_run(run_fake, articles: Path, out: Path) -> None:
    run_fake()
    (articles / "a002.txt").write_text(article_text(2, value=5), encoding="utf-8")
    run_fake()
    assert len((out / "factsheets.jsonl").read_text().splitlines()) == 6
    facts = [json.loads(line) for line in (out / "facts.jsonl").read_text().splitlines()]
    assert len(facts) == 6


def test_custom_store_path(run_fake, tmp_path: Path, out: Path) -> None:
    store_path = tmp_path / "elsewhere" / "state.sqlite"
    run_fake(store=store_path)
    assert store_path.exists() and not (out / STORE_NAME).exists()
    _, backend = run_fake(store=store_path)
    assert backend.calls == []


def test_a_held_lock_refuses_a_second_run(articles: Path, out: Path) -> None:
    from extract.articles import discover

    out.mkdir(parents=True)
    with RunLock(lock_paths(out, out / STORE_NAME)), pytest.raises(StoreError, match="another factsheet run"):
        run(list(discover([str(articles)])), FakeBackend(), RunOptions(out_dir=out))
    report = run(list(discover([str(articles)])), FakeBackend(), RunOptions(out_dir=out))  # released: fine
    assert report.counts["new"] == 6


def test_leftover_temporary_files_are_removed(run_fake, out: Path) -> None:
    run_fake()
    leftover = out / ".a000.json.abc123_x.tmp"
    leftover.write_text('{"half')
    run_fake()
    assert not leftover.exists()


def test_a_no_op_run_leaves_current_corpus_files_alone_and_rewrites_touched_ones(run_fake, articles: Path, out: Path) -> None:
    run_fake()
    corpus = out / "facts.jsonl"
    stamp = corpus.stat().st_mtime_ns
    run_fake()
    assert corpus.stat().st_mtime_ns == stamp  # nothing changed: not rewritten
    (out / "metrics.csv").unlink()
    run_fake()
    assert (out / "metrics.csv").exists()  # a missing corpus file is written again
    write_articles(articles, 1, start=6)
    run_fake()
    assert '"a006"' in (out / "factsheets.jsonl").read_text(encoding="utf-8").replace(": ", ":")


def test_the_rules_backend_in_worker_processes_gives_the_same_sheets(tmp_path: Path) -> None:
    import shutil

    from extract.articles import discover
    from extract.backends.rules import RulesBackend
    from extract.pipeline import POOL_MIN_ARTICLES

    seeds = sorted((Path(__file__).resolve().parents[3] / "seeds").glob("*.txt"))
    folder = tmp_path / "articles"
    folder.mkdir()
    for i in range(POOL_MIN_ARTICLES):  # just enough for the pool to start
        shutil.copy(seeds[i % len(seeds)], folder / f"x{i:02d}.txt")
    sources = list(discover([str(folder)]))
    made = {}
    for workers in (1, 2):
        report = run(sources, RulesBackend(), RunOptions(out_dir=tmp_path / f"out{workers}", workers=workers))
        assert report.counts["new"] == POOL_MIN_ARTICLES and [r.source.id for r in report.results] == [s.id for s in sources]
        made[workers] = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in (tmp_path / f"out{workers}").glob("x*.json")}
        for sheet in made[workers].values():
            del sheet["provenance"]["created_at"]
    assert made[1] == made[2] and len(made[1]) == POOL_MIN_ARTICLES
