"""Atomic outputs: readers see the old file or the new one, never half, and no debris; stale sheets aside."""

from __future__ import annotations

import json
import os
import stat

import pytest

from extract import output
from extract.articles import Article, discover
from extract.backends.base import Backend
from extract.commands.status import collect
from extract.errors import BackendError
from extract.figures import stated_numbers
from extract.output import (
    drop_stale_copy,
    remove_sheet,
    set_aside_sheet,
    sheet_json,
    sheet_path,
    stale_path,
    write_atomic,
    write_jsonl,
    write_sheet,
)
from extract.pipeline import RunOptions, run
from extract.view.load import sheet_files
from schemas import ArticleMeta, Evidence, FactSheet, Metric, Provenance


def sheet(article_id: str) -> FactSheet:
    return FactSheet(article=ArticleMeta(id=article_id, sha256="0" * 64), provenance=Provenance(backend="test"))


def test_write_atomic_writes_text_and_bytes(tmp_path):
    target = tmp_path / "new" / "dir" / "a.json"
    write_atomic(target, "héllo\n")
    assert target.read_bytes() == "héllo\n".encode()
    write_atomic(target, b"\x00bytes")
    assert target.read_bytes() == b"\x00bytes"
    assert os.listdir(target.parent) == ["a.json"]


def test_failure_leaves_the_old_file_intact_and_no_temp_file(tmp_path, monkeypatch):
    target = tmp_path / "a.json"
    target.write_text("old", encoding="utf-8")

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(output.os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="No space left"):
        write_atomic(target, "new content")
    assert target.read_text(encoding="utf-8") == "old"
    assert os.listdir(tmp_path) == ["a.json"]


def test_failure_during_rename_leaves_no_temp_file(tmp_path, monkeypatch):
    target = tmp_path / "a.json"

    def broken_replace(src, dst):
        raise PermissionError("denied")

    monkeypatch.setattr(output.os, "replace", broken_replace)
    with pytest.raises(PermissionError):
        write_atomic(target, "new")
    assert os.listdir(tmp_path) == []


def test_interrupt_leaves_no_temp_file(tmp_path, monkeypatch):
    target = tmp_path / "a.json"
    target.write_text("old", encoding="utf-8")

    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(output.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, "new")
    assert target.read_text(encoding="utf-8") == "old"
    assert os.listdir(tmp_path) == ["a.json"]


def test_outputs_get_ordinary_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "a.json", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.json").stat().st_mode) == 0o644  # not mkstemp's 0600


def test_sheet_and_jsonl(tmp_path):
    path = write_sheet(tmp_path, sheet("a1"))
    assert path == sheet_path(tmp_path, "a1") == tmp_path / "a1.json"
    assert FactSheet.model_validate_json(path.read_text(encoding="utf-8")).article.id == "a1"
    assert sheet_json(sheet("a1")).endswith("}\n")
    write_jsonl(tmp_path / "all.jsonl", [sheet("a1"), sheet("a2")])
    lines = (tmp_path / "all.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["article"]["id"] for line in lines] == ["a1", "a2"]
    write_jsonl(tmp_path / "empty.jsonl", [])
    assert (tmp_path / "empty.jsonl").read_text(encoding="utf-8") == ""


# A failed article's last good sheet is moved aside to OUT_DIR/stale/, never read as current.


def test_set_aside_moves_the_sheet_and_a_new_sheet_removes_the_stale_copy(tmp_path):
    write_sheet(tmp_path, sheet("a1"))
    assert set_aside_sheet(tmp_path, "a1") == stale_path(tmp_path, "a1") == tmp_path / "stale" / "a1.json"
    assert not (tmp_path / "a1.json").exists()
    assert FactSheet.model_validate_json(stale_path(tmp_path, "a1").read_text(encoding="utf-8")).article.id == "a1"
    assert set_aside_sheet(tmp_path, "a1") is None  # nothing left to move; the stale copy stays
    assert stale_path(tmp_path, "a1").exists()
    write_sheet(tmp_path, sheet("a1"))
    assert (tmp_path / "a1.json").exists() and not stale_path(tmp_path, "a1").exists()
    set_aside_sheet(tmp_path, "a1")
    remove_sheet(tmp_path, "a1")
    assert not (tmp_path / "a1.json").exists() and not stale_path(tmp_path, "a1").exists()
    drop_stale_copy(tmp_path, "never-there")  # no error


def test_an_article_named_stale_does_not_clash_with_the_folder(tmp_path):
    write_sheet(tmp_path, sheet("stale"))
    write_sheet(tmp_path, sheet("b"))
    set_aside_sheet(tmp_path, "b")
    assert (tmp_path / "stale.json").is_file() and (tmp_path / "stale" / "b.json").is_file()


def test_a_failure_to_move_aside_is_a_warning_not_a_crash(tmp_path, monkeypatch, caplog):
    write_sheet(tmp_path, sheet("a1"))

    def broken_replace(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(output.os, "replace", broken_replace)
    assert set_aside_sheet(tmp_path, "a1") is None
    assert "cannot move its old sheet aside" in caplog.text


class Flaky(Backend):
    """One grounded metric per article; fails on articles that say FAIL."""

    name = "flaky"

    async def extract(self, article: Article) -> FactSheet:
        if "FAIL" in article.text:
            raise BackendError("the model refused")
        quote = article.text.strip().splitlines()[0]
        return FactSheet(article=article.meta, provenance=Provenance(backend=self.name), metrics=[
            Metric(subject="trains", value=max(stated_numbers([quote]), default=1), unit="trains", kind="count",
                   evidence=[Evidence(quote=quote, start=0, end=len(quote))])])


def test_a_changed_article_that_fails_is_not_left_as_current(tmp_path):
    articles, out = tmp_path / "articles", tmp_path / "out"
    articles.mkdir()
    (articles / "a.txt").write_text("Xiamen ran 100 trains in 2020.\n", encoding="utf-8")
    (articles / "b.txt").write_text("Fuzhou ran 200 trains in 2020.\n", encoding="utf-8")

    def go(**options):
        return run(list(discover([str(articles)])), Flaky(), RunOptions(out_dir=out, **options))

    go()
    old = (out / "a.json").read_text(encoding="utf-8")
    (articles / "a.txt").write_text("Xiamen ran 150 trains in 2021. FAIL\n", encoding="utf-8")
    report = go()
    assert [r.source.id for r in report.failed] == ["a"]
    assert not (out / "a.json").exists() and stale_path(out, "a").read_text(encoding="utf-8") == old
    assert [p.name for p in sheet_files(out)] == ["b.json"]  # the viewer does not see it
    corpus = [json.loads(line)["article"]["id"] for line in (out / "factsheets.jsonl").read_text().splitlines()]
    assert corpus == ["b"]
    assert set(collect(out).failed) == {"a"}

    (articles / "a.txt").write_bytes(b"\x00\x01 binary now")  # fails when read, before extraction
    go()
    assert not (out / "a.json").exists() and stale_path(out, "a").read_text(encoding="utf-8") == old

    (articles / "a.txt").write_text("Xiamen ran 150 trains in 2021.\n", encoding="utf-8")
    go()
    assert "150 trains" in (out / "a.json").read_text(encoding="utf-8") and not stale_path(out, "a").exists()

    (articles / "b.txt").write_text("Fuzhou ran 250 trains. FAIL\n", encoding="utf-8")
    go()
    (articles / "b.txt").unlink()
    go(prune=True)
    assert not (out / "b.json").exists() and not stale_path(out, "b").exists()
