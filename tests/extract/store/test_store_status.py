"""`factsheet status`: done, failed with reasons, stale, pending, tokens, merged facts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from store_fakes import FakeBackend, article_text, write_articles

from extract.backends import BACKENDS
from extract.cli import main as cli_main
from extract.commands.status import collect, render


@pytest.fixture
def fake_registered(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    version = {"prompt": "1"}
    monkeypatch.setitem(BACKENDS, "fake", lambda options: FakeBackend(prompt_version=version["prompt"]))
    return version


def test_status_counts_done_failed_stale_and_pending(run_fake, articles: Path, out: Path, fake_registered) -> None:
    run_fake(FakeBackend(fail={"a001"}))
    status = collect(out, backend="fake")
    assert status.done == 5 and list(status.failed) == ["a001"] and "fake failure" in status.failed["a001"]
    assert status.stale == [] and status.pending_new == [] and status.pending_changed == []
    assert (status.prompt_tokens, status.completion_tokens, status.requests) == (500, 100, 5)

    write_articles(articles, 1, start=6)
    (articles / "a002.txt").write_text(article_text(2, value=1), encoding="utf-8")
    fake_registered["prompt"] = "2"
    status = collect(out, backend="fake")
    assert status.pending_new == ["a006"] and status.pending_changed == ["a002"]
    assert len(status.stale) == 5
    assert status.fingerprint_changes == {"prompt_version": ["1", "2"]}
    text = render(status)
    assert "5 done, 1 failed, 5 stale, 2 pending" in text
    assert "failed a001: fake failure on a001" in text and "prompt_version: 1 -> 2" in text


def test_status_shows_merged_facts_and_conflicts(run_fake, articles: Path, out: Path, fake_registered) -> None:
    (articles / "dup.txt").write_text(article_text(0), encoding="utf-8")
    (articles / "clash.txt").write_text(article_text(0, value=9999), encoding="utf-8")
    run_fake()
    status = collect(out, backend="fake")
    assert status.facts["metric"] == 7 and status.facts["metric_several_sources"] == 1
    assert len(status.conflicts) == 1 and "1000" in status.conflicts[0] and "9999" in status.conflicts[0]


def test_status_command_text_and_json(run_fake, out: Path, fake_registered, capsys: pytest.CaptureFixture[str]) -> None:
    run_fake()
    assert cli_main(["status", str(out), "--backend", "fake"]) == 0
    text = capsys.readouterr().out
    assert "articles: 6 done, 0 failed, 0 stale, 0 pending" in text and "tokens spent so far: 600 prompt" in text
    assert cli_main(["status", str(out), "--backend", "fake", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["done"] == 6 and data["schema_version"] >= 2


def test_status_without_a_store_says_what_to_do(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["status", str(tmp_path / "nothing")]) == 2
    assert "run `factsheet run` first" in capsys.readouterr().err
    assert not (tmp_path / "nothing").exists()
