"""The LLM call log and `factsheet logs`, over real HTTP to the local OpenAI-compatible test server.

Reuses the LLM tests' server (tests/extract/backends/llm/llm_server.py) and gold responder:
the real openai client and instructor send the requests; the server scripts faults.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from extract.cli import main as cli_main
from extract.store import LATEST, STORE_NAME, Store
from extract.store.calls import read_calls, request_mode

LLM_TESTS = Path(__file__).resolve().parents[1] / "backends" / "llm"
if str(LLM_TESTS) not in sys.path:
    sys.path.insert(0, str(LLM_TESTS))

from llm_helpers import SEEDS, fast_keyless_env, gold_responder, serving  # noqa: E402
from llm_server import FakeLLM, Fault, status  # noqa: E402

KEY = "sk-test-call-log-secret-0123456789"
A, B = "001_c9623f5d1761bc86", "004_3c5a6f0b5c3235ac"


@pytest.fixture
def server() -> Iterator[FakeLLM]:
    with serving(FakeLLM(gold_responder)) as fake:
        yield fake


@pytest.fixture
def llm_env(server: FakeLLM, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeLLM:
    fast_keyless_env(monkeypatch, server.url)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.chdir(tmp_path)
    return server


@pytest.fixture
def articles(tmp_path: Path) -> Path:
    folder = tmp_path / "articles"
    folder.mkdir()
    for article_id in (A, B):
        shutil.copy(SEEDS / f"{article_id}.txt", folder)
    return folder


def logs(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict]:
    capsys.readouterr()
    assert cli_main(["logs", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_every_request_is_logged_with_its_reasks_retries_and_tokens(llm_env: FakeLLM, articles: Path, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    llm_env.script(A, status(500))  # a transport fault, retried
    llm_env.script(B, Fault("hallucinate"))  # a quote not in the text: re-asked with the reason
    out = tmp_path / "out"
    assert cli_main(["run", str(articles), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    host = llm_env.url.split("//")[1].split("/")[0]
    assert f"using the 'llm' backend (OPENAI_API_KEY or OPENAI_BASE_URL is set): model gpt-4o-mini, mode JSON_SCHEMA, " \
           f"endpoint {host}" in err
    assert KEY not in err

    calls = logs(capsys, str(out), "-n", "0")
    assert len(calls) == len(llm_env.records)  # every request, failed ones included
    by_article = {a: [c for c in calls if c["article_id"] == a] for a in (A, B)}
    assert [(c["status"], c["retry"], c["reask"]) for c in by_article[A]] == [("http 500", 0, 0), ("ok", 1, 0)]
    assert [(c["status"], c["reask"]) for c in by_article[B]] == [("ok", 0), ("ok", 1)]
    assert sum(c["prompt_tokens"] for c in calls) == sum(r.prompt_tokens for r in llm_env.records) > 0
    assert sum(c["completion_tokens"] for c in calls) == sum(r.completion_tokens for r in llm_env.records)
    assert all(c["model"] == "gpt-4o-mini" and c["mode"] == "JSON_SCHEMA" and c["endpoint"] == host for c in calls)
    assert all(c["run_id"] == 1 and c["finish_reason"] in (None, "stop") for c in calls)

    # Articles the store forgot are extracted again from the cache: logged as cached, nothing sent.
    sent = len(llm_env.records)
    with Store.open(out / STORE_NAME) as store:
        for article_id in (A, B):
            store.delete(article_id)
    assert cli_main(["run", str(articles), "-o", str(out)]) == 0
    assert len(llm_env.records) == sent
    again = logs(capsys, str(out), "--run", "2")
    assert again and {c["status"] for c in again} == {"cached"}

    assert len(logs(capsys, str(out), "-n", "3")) == 3
    assert logs(capsys, str(out), "-n", "3")[-1] == again[-1]  # the most recent last
    assert {c["article_id"] for c in logs(capsys, str(out), "--article", B, "-n", "0")} == {B}
    assert KEY.encode() not in (out / STORE_NAME).read_bytes()


def test_logs_as_a_table(llm_env: FakeLLM, articles: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert cli_main(["-q", "run", str(articles), "-o", str(out)]) == 0
    capsys.readouterr()
    assert cli_main(["logs", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["time", "article", "model", "mode", "prompt", "completion", "status", "re-ask", "ms"]
    assert len(lines) == 1 + len(llm_env.records)
    assert all(" gpt-4o-mini " in ln and " ok " in ln for ln in lines[1:])


def test_a_rules_run_logs_nothing_and_an_old_store_gains_the_table(tmp_path: Path, capsys, monkeypatch) -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    out = tmp_path / "out"
    assert cli_main(["run", str(SEEDS / f"{A}.txt"), "-o", str(out), "--backend", "rules"]) == 0
    capsys.readouterr()
    assert cli_main(["logs", str(out)]) == 0
    assert "no LLM requests logged" in capsys.readouterr().out
    with Store.open(out / STORE_NAME) as store:
        assert store.schema_version == LATEST and read_calls(store) == []
    assert cli_main(["logs", str(tmp_path / "nowhere")]) == 2  # no store: a usage error naming the fix
    assert "run `factsheet run` first" in capsys.readouterr().err


def test_request_mode_reads_the_request_body() -> None:
    assert request_mode({"tools": [{}]}) == "TOOLS"
    assert request_mode({"response_format": {"type": "json_schema"}}) == "JSON_SCHEMA"
    assert request_mode({"response_format": {"type": "json_object"}}) == "JSON"
    assert request_mode({"messages": []}) == "MD_JSON"
