"""Atomic outputs: readers see the old file or the new one, never half, and no debris."""

from __future__ import annotations

import json
import os
import stat

import pytest

from extract import output
from extract.output import sheet_json, sheet_path, write_atomic, write_jsonl, write_sheet
from schemas import ArticleMeta, FactSheet, Provenance


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
