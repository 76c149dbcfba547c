"""`factsheet run --batch`: the seeds through a local Batch API server, over real HTTP with the real
openai client. The server answers every line as the perfect model would; no request may go to
/chat/completions directly unless a re-ask is needed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from batch_server import FakeBatchAPI, start
from llm_helpers import FAST_FLAGS, GOLD_IDS, SEEDS, gold_responder, keyless_env, serving
from llm_server import answer_choice
from test_llm_run import assert_grounded, facts_of, gold_of, sheet

from extract import cli
from extract.backends.llm.batch import BatchClient
from extract.store import Store
from extract.store.batches import batches


def perfect(body: dict[str, Any]) -> dict[str, Any]:
    """A chat completion as the perfect chat-completions server would answer `body`."""
    text = json.dumps(gold_responder(body))
    return {"id": "chatcmpl-b", "object": "chat.completion", "created": int(time.time()), "model": body["model"],
            "choices": [answer_choice(body, text, "stop")],
            "usage": {"prompt_tokens": 1000, "completion_tokens": len(text) // 4, "total_tokens": 1000 + len(text) // 4}}


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeBatchAPI]:
    with serving(FakeBatchAPI(complete=perfect, polls=1), start) as fake:
        keyless_env(monkeypatch, fake.url)
        monkeypatch.chdir(tmp_path)
        yield fake


def run(out: Path, *extra: str) -> int:
    return cli.main(["run", str(SEEDS), "-o", str(out), "--backend", "llm", "--batch", "--poll", "0.01", *FAST_FLAGS,
                     *extra])


def live(out: Path) -> list[Any]:
    with Store.open(out / "factsheet.sqlite") as store:
        return batches(store)


def test_submit_then_collect_writes_the_hand_labelled_facts(api: FakeBatchAPI, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert run(out) == 0
    assert len(api.batches) == 1
    batch_id = next(iter(api.batches))
    assert capsys.readouterr().out.split() == [batch_id]
    lines = api.batches[batch_id].lines
    assert {line["custom_id"].split("#")[0] for line in lines} == set(GOLD_IDS)
    assert all(line["url"] == "/v1/chat/completions" and line["body"]["messages"] for line in lines)
    assert not list(out.glob("0*.json"))  # nothing collected yet

    status = cli.main(["status", str(out), "--json"])
    assert status == 0
    listed = json.loads(capsys.readouterr().out)["batches"]
    assert [b["id"] for b in listed] == [batch_id] and listed[0]["articles"] == len(GOLD_IDS)

    rounds = 0
    while live(out) and rounds < 5:  # re-running the same command until the batch is done
        assert run(out) == 0
        rounds += 1
    assert not live(out) and len(api.batches) == 1  # the re-runs submitted nothing new
    for article_id in GOLD_IDS:
        written = sheet(out, article_id)
        assert facts_of(written) == gold_of(article_id), article_id
        assert_grounded(written)
        assert written.provenance.batch_id == batch_id
        assert written.provenance.usage.requests == sum(1 for ln in lines if ln["custom_id"].startswith(article_id))
    assert api.chat_requests == 0
    assert (out / "facts.jsonl").exists()

    calls = len(api.calls)
    assert run(out) == 0  # everything collected: nothing to submit, nothing to ask
    assert len(api.batches) == 1 and api.chat_requests == 0
    assert len(api.calls) == calls


def test_wait_does_it_in_one_command(api: FakeBatchAPI, tmp_path: Path) -> None:
    api.polls = 3
    out = tmp_path / "out"
    assert run(out, "--wait") == 0
    assert len(api.batches) == 1 and api.chat_requests == 0 and not live(out)
    for article_id in GOLD_IDS:
        assert facts_of(sheet(out, article_id)) == gold_of(article_id)

    scoring = pytest.importorskip("evals.scoring")
    gold_mod = pytest.importorskip("evals.gold")
    runner = pytest.importorskip("evals.runner")
    gold = gold_mod.load_gold(Path(SEEDS).parent / "evals" / "gold", SEEDS)
    report = scoring.score(runner.cases(gold, gold_mod.load_predictions(out, [g.article for g in gold])))
    assert report.overall_f1 >= 0.99


def test_a_line_error_fails_only_its_article_and_is_sent_again_next_time(api: FakeBatchAPI, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run(out) == 0
    lines = next(iter(api.batches.values())).lines
    bad = GOLD_IDS[0]
    api.line_errors = {ln["custom_id"] for ln in lines if ln["custom_id"].startswith(bad)}
    assert run(out, "--wait") == 1  # the article failed, with its reason; the others are written
    assert not (out / f"{bad}.json").exists()
    for article_id in GOLD_IDS[1:]:
        assert facts_of(sheet(out, article_id)) == gold_of(article_id)
    with Store.open(out / "factsheet.sqlite") as store:
        row = store.get(bad)
        assert row is not None and row.status == "failed" and "scripted line error" in (row.error or "")

    api.line_errors = set()
    assert run(out, "--wait") == 0  # the failed article goes in a new batch, alone
    assert len(api.batches) == 2
    second = list(api.batches.values())[1].lines
    assert {ln["custom_id"].split("#")[0] for ln in second} == {bad}
    assert facts_of(sheet(out, bad)) == gold_of(bad)


def test_an_expired_batch_keeps_what_it_answered(api: FakeBatchAPI, tmp_path: Path) -> None:
    out = tmp_path / "out"
    api.expire_after = 2  # two lines answered, the rest expire
    assert run(out, "--wait") == 1
    with Store.open(out / "factsheet.sqlite") as store:
        failed = {r.id: r.error for r in store.articles("failed")}
        done = {r.id for r in store.articles("done")}
    assert failed and all("batch_expired" in (e or "") for e in failed.values())
    assert done and done | set(failed) == set(GOLD_IDS)
    assert run(out, "--wait") == 0  # the expired ones are submitted again and collected
    assert len(api.batches) == 2
    for article_id in GOLD_IDS:
        assert facts_of(sheet(out, article_id)) == gold_of(article_id)


class _Crash(BaseException):
    """A kill at one point of the submission (BaseException: nothing catches it on the way out)."""


def test_a_crash_between_upload_and_create_submits_the_articles_once(api: FakeBatchAPI, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"

    async def crash(self: BatchClient, input_file_id: str, token: str) -> Any:
        raise _Crash

    with monkeypatch.context() as patch:
        patch.setattr(BatchClient, "create", crash)
        with pytest.raises(_Crash):
            run(out)
    assert len(api.files) == 1 and not api.batches  # uploaded, never created
    assert run(out, "--wait") == 0
    assert len(api.batches) == 1  # the record was abandoned and the articles sent once, in one batch
    for article_id in GOLD_IDS:
        assert facts_of(sheet(out, article_id)) == gold_of(article_id)


def test_a_crash_after_create_adopts_the_batch_instead_of_sending_it_again(api: FakeBatchAPI, tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    real_create = BatchClient.create

    async def create_then_crash(self: BatchClient, input_file_id: str, token: str) -> Any:
        await real_create(self, input_file_id, token)
        raise _Crash

    with monkeypatch.context() as patch:
        patch.setattr(BatchClient, "create", create_then_crash)
        with pytest.raises(_Crash):
            run(out)
    assert len(api.batches) == 1
    assert run(out, "--wait") == 0
    assert len(api.batches) == 1  # found by its token and collected, not submitted twice
    for article_id in GOLD_IDS:
        assert facts_of(sheet(out, article_id)) == gold_of(article_id)


def test_cancel_stops_a_batch_and_its_articles_are_sent_again(api: FakeBatchAPI, tmp_path: Path) -> None:
    api.polls = 100
    out = tmp_path / "out"
    assert run(out) == 0
    batch_id = next(iter(api.batches))
    assert cli.main(["batch", "cancel", batch_id, "-d", str(out)]) == 0
    assert api.batches[batch_id].record["status"] == "cancelling"
    assert run(out) == 1  # collected as cancelled: every article failed with the reason
    with Store.open(out / "factsheet.sqlite") as store:
        assert all("batch_cancelled" in (r.error or "") for r in store.articles("failed"))
    api.polls = 0
    assert run(out, "--wait") == 0  # sent again in a new batch
    assert len(api.batches) == 2
    for article_id in GOLD_IDS:
        assert facts_of(sheet(out, article_id)) == gold_of(article_id)


def test_a_server_without_the_batch_api_is_a_clear_error_that_blocks_nothing(api: FakeBatchAPI, tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    api.files_route = False
    out = tmp_path / "out"
    assert run(out) == 2
    assert "may not implement the Batch API" in capsys.readouterr().err
    assert not live(out)  # the record was abandoned: nothing waits on a batch that cannot exist
    api.files_route = True
    assert run(out, "--wait") == 0  # once the server has the endpoints, the articles go through, once
    assert len(api.batches) == 1


@pytest.mark.parametrize("kill_at", ["POST /files", "POST /batches"], ids=["upload-done", "create-done"])
def test_sigkill_while_submitting_never_loses_a_batch_or_sends_an_article_twice(api: FakeBatchAPI, tmp_path: Path,
                                                                                kill_at: str) -> None:
    """A real process killed (SIGKILL) when the server has stored the upload or created the batch but
    before the client hears of it: the next run adopts or resubmits, and every article is in one batch."""
    out = tmp_path / "out"
    process: subprocess.Popen[bytes] | None = None

    def kill(call: str) -> None:
        if call == kill_at and process is not None:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)

    api.before_reply = kill
    process = subprocess.Popen([sys.executable, "-m", "extract.cli", "run", str(SEEDS), "-o", str(out), "--backend",
                                "llm", "--batch", *FAST_FLAGS], env=os.environ.copy(), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    api.before_reply = None
    assert run(out, "--wait") == 0
    for article_id in GOLD_IDS:
        assert facts_of(sheet(out, article_id)) == gold_of(article_id)
    sent = [line["custom_id"] for state in api.batches.values() for line in state.lines]
    assert len(sent) == len(set(sent))  # no chunk of any article went in two batches
    assert len(api.batches) == 1


def test_a_request_file_run_offline_like_vllm_run_batch_is_collected(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # nothing listens: no request may be needed
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    assert run(out, "--batch-local") == 0
    [request_file] = (out / "batches").glob("*.jsonl")
    answers = tmp_path / "answers.jsonl"
    with answers.open("w", encoding="utf-8") as f:  # what `python -m vllm.entrypoints.openai.run_batch` writes
        for n, raw in enumerate(reversed(request_file.read_text(encoding="utf-8").splitlines())):
            line = json.loads(raw)
            f.write(json.dumps({"id": f"vllm-{n}", "custom_id": line["custom_id"], "error": None,
                                "response": {"status_code": 200, "request_id": f"r{n}", "body": perfect(line["body"])}})
                    + "\n")
    assert run(out, "--batch-local") == 0  # no answers yet: the batch waits
    assert live(out) and not list(out.glob("0*.json"))
    assert run(out, "--batch-local", "--batch-answers", str(answers)) == 0
    assert not live(out)
    for article_id in GOLD_IDS:
        assert facts_of(sheet(out, article_id)) == gold_of(article_id)
    assert run(out, "--batch-local") == 0 and len(list((out / "batches").glob("*.jsonl"))) == 1  # nothing new to send
