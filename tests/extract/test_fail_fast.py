"""Fail fast: an endpoint that cannot serve any article stops the run, leaves the rest pending, exits 1.

The pipeline side of #10 item 3. The library tests use a backend that raises EndpointUnavailable; the
end-to-end ones run the real LLM backend against a closed port and against the scripted local server
(tests/extract/backends/llm/llm_server.py) answering 401 or 404 to everything.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from extract.articles import Article, discover
from extract.backends.base import Backend
from extract.cli import main
from extract.commands.status import collect
from extract.errors import BackendError, EndpointUnavailable
from extract.pipeline import RunOptions, RunReport, run
from extract.store import STORE_NAME, Store
from schemas import Evidence, FactSheet, Metric, Provenance

LLM_TESTS = Path(__file__).resolve().parent / "backends" / "llm"
if str(LLM_TESTS) not in sys.path:
    sys.path.insert(0, str(LLM_TESTS))

from llm_helpers import FAST_FLAGS, keyless_env, serving  # noqa: E402
from llm_server import ARTICLES, FakeLLM, chunk_text_of, status  # noqa: E402

CONSOLE_SCRIPT = Path(sys.executable).parent / "factsheet"
CLOSED_PORT = "http://127.0.0.1:9/v1"  # the discard port: nothing listens on it here
REASON = "cannot connect to llm.example:443 after 3 attempts; check that the server runs and OPENAI_BASE_URL"


def article_text(i: int) -> str:
    return f"Xiamen ran {1000 + i} freight trains to Europe in 2020, the port authority said.\n"


def write_articles(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"a{i:02d}.txt" for i in range(n)]
    for i, path in enumerate(paths):
        path.write_text(article_text(i), encoding="utf-8")
    return paths


class DownBackend(Backend):
    """Raises EndpointUnavailable at once (wrapped as the LLM backend wraps it) for the ids in `down`, a plain
    BackendError for those in `broken`, and otherwise quotes the article's one sentence after `delay` s."""

    name = "down"

    def __init__(self, down: set[str] | None = None, broken: set[str] | None = None, delay: float = 0.0,
                 all_down: bool = False, concurrency: int = 2) -> None:
        self.down, self.broken, self.delay, self.all_down = down or set(), broken or set(), delay, all_down
        self.concurrency = concurrency
        self.calls: list[str] = []

    async def extract(self, article: Article) -> FactSheet:
        self.calls.append(article.id)
        if self.all_down or article.id in self.down:
            try:
                raise EndpointUnavailable(REASON)
            except EndpointUnavailable as e:  # the LLM backend adds what the article spent, keeping the type
                raise EndpointUnavailable(f"{e} [3 requests, 0 prompt and 0 completion tokens spent]") from e
        await asyncio.sleep(self.delay)
        if article.id in self.broken:
            raise BackendError("the model refused: try again later")
        line = article.text.strip()
        value = float(line.split()[2])
        return FactSheet(article=article.meta, provenance=Provenance(backend=self.name),
                         metrics=[Metric(subject="freight trains", value=value, unit="trains", kind="count",
                                         evidence=[Evidence(quote=line, start=0, end=len(line))])])


def run_backend(folder: Path, out: Path, backend: Backend) -> RunReport:
    inputs = [str(folder.resolve())]
    return run(list(discover(inputs)), backend, RunOptions(out_dir=out, inputs=inputs))


def rows(out: Path) -> dict[str, str]:
    with Store.open(out / STORE_NAME, create=False) as store:
        return {r.id: r.status for r in store.articles()}


@pytest.fixture(autouse=True)
def hermetic(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "FACTSHEET_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)


# --- the pipeline ------------------------------------------------------------------------


def test_an_unavailable_endpoint_stops_the_run_and_marks_nothing_failed(tmp_path: Path) -> None:
    folder, out = tmp_path / "in", tmp_path / "out"
    write_articles(folder, 20)
    backend = DownBackend(all_down=True, concurrency=2)
    report = run_backend(folder, out, backend)
    assert report.stopped == REASON  # the transport's message, without the per-article note
    assert 1 <= len(backend.calls) <= 2  # the first wave at most: no article is started after the first refusal
    assert report.failed == [] and len(report.pending) == 20
    assert report.counts == {"new": 0, "changed": 0, "unchanged": 0, "failed": 0, "removed": 0, "pending": 20}
    assert rows(out) == {}  # nothing recorded: each article is still new for the next run
    assert not list(out.glob("a*.json")) and not (out / "stale").exists()

    healthy = DownBackend()
    again = run_backend(folder, out, healthy)
    assert again.stopped is None and again.counts["new"] == 20 and len(healthy.calls) == 20


def test_articles_in_flight_finish_and_the_others_keep_their_state(tmp_path: Path) -> None:
    folder, out = tmp_path / "in", tmp_path / "out"
    paths = write_articles(folder, 8)
    assert run_backend(folder, out, DownBackend(broken={"a07"})).counts["new"] == 7  # a07 failed, the rest done
    paths[5].write_text(article_text(50), encoding="utf-8")  # a05 changed since it was extracted
    for i in (8, 9):  # two new ones
        (folder / f"a{i:02d}.txt").write_text(article_text(i), encoding="utf-8")
    before = (out / "a05.json").read_bytes()

    # a00..a04 unchanged; a05 (changed) and a07 (retry) go first, with a08 and a09 after them.
    backend = DownBackend(down={"a07"}, delay=0.05, concurrency=2)
    report = run_backend(folder, out, backend)
    outcomes = {r.source.id: r.outcome for r in report.results}
    assert sorted(backend.calls) == ["a05", "a07"]  # a05 was in flight with a07: it finishes
    assert outcomes["a05"] == "changed" and outcomes["a07"] == outcomes["a08"] == outcomes["a09"] == "pending"
    assert report.failed == [] and report.stopped == REASON
    state = rows(out)
    assert state["a07"] == "failed"  # as it was before this run: not failed again, its attempts untouched
    with Store.open(out / STORE_NAME, create=False) as store:
        a07 = store.get("a07")
        assert a07 is not None and a07.attempts == 1 and a07.error == "the model refused: try again later"
    assert "a08" not in state and "a09" not in state
    assert (out / "a05.json").read_bytes() != before  # the in-flight article was committed and written

    again = run_backend(folder, out, DownBackend())
    redone = {r.source.id: (r.outcome, r.reason) for r in again.results if r.outcome != "unchanged"}
    assert redone == {"a07": ("new", "retry"), "a08": ("new", "new"), "a09": ("new", "new")}  # a07 never had a sheet


def test_an_ordinary_failure_still_fails_only_its_article(tmp_path: Path) -> None:
    folder, out = tmp_path / "in", tmp_path / "out"
    write_articles(folder, 6)
    backend = DownBackend(broken={"a01", "a04"})
    report = run_backend(folder, out, backend)
    assert report.stopped is None and len(backend.calls) == 6
    assert sorted(r.source.id for r in report.failed) == ["a01", "a04"]
    assert "pending" not in report.counts and report.counts["new"] == 4


# --- the command, end to end -------------------------------------------------------------


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "FACTSHEET_"))}
    return {**env, **extra}


@pytest.mark.slow  # about 6 s: the default retry settings, as a user meets them
@pytest.mark.skipif(not CONSOLE_SCRIPT.exists(), reason="the console script is not installed in this environment")
def test_a_closed_port_ends_a_run_of_20_articles_quickly_with_one_reason(tmp_path: Path) -> None:
    folder, out = tmp_path / "in", tmp_path / "out"
    write_articles(folder, 20)
    started = time.monotonic()
    # Default retry settings, as a user meets them (no fast test flags).
    proc = subprocess.run([str(CONSOLE_SCRIPT), "run", str(folder), "-o", str(out), "--json"], capture_output=True,
                          text=True, env=_env(OPENAI_BASE_URL=CLOSED_PORT), cwd=tmp_path, timeout=60)
    elapsed = time.monotonic() - started
    assert proc.returncode == 1, proc.stderr
    assert elapsed < 20, elapsed  # loose: about 5 s here (it was 15 s with every article failing on its own)
    assert "Traceback" not in proc.stderr and "FAILED" not in proc.stderr
    assert proc.stderr.count("cannot connect to 127.0.0.1:9") == 1, proc.stderr
    [error] = [line for line in proc.stderr.splitlines() if line.startswith("factsheet: error:")]
    assert "OPENAI_BASE_URL" in error and "20 articles not extracted stay pending" in error
    data = json.loads(proc.stdout)
    assert data["exit_status"] == 1 and "cannot connect to 127.0.0.1:9" in data["error"]
    assert data["counts"]["pending"] == 20 and data["counts"]["failed"] == 0
    assert {a["outcome"] for a in data["articles"]} == {"pending"}
    assert rows(out) == {}

    status = collect(out)  # `factsheet status` says why and what is left
    assert len(status.pending_new) == 20 and status.failed == {}
    assert status.last_run is not None and "cannot connect to 127.0.0.1:9" in status.last_run["stopped"]


def quoting_responder(body: dict[str, Any]) -> dict[str, Any]:
    """A good answer for the articles of write_articles: the one metric their sentence states."""
    line = chunk_text_of(body).strip().splitlines()[0]
    metric = {"subject": "freight trains to Europe", "value": float(line.split()[2]), "unit": "trains", "kind": "count",
              "comparator": "eq", "status": "actual", "period": "2020", "location": "Xiamen", "evidence": [{"quote": line}]}
    return {"metrics": [metric], "infrastructure_projects": [], "policy_statements": []}


@pytest.fixture
def refusing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[FakeLLM, Path]]:
    """A local server that answers every request with the status the test scripts, and 6 articles it knows."""
    folder = tmp_path / "in"
    for path in write_articles(folder, 6):
        ARTICLES[path.stem] = path.read_text(encoding="utf-8")
    with serving(FakeLLM(quoting_responder)) as fake:
        keyless_env(monkeypatch, fake.url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret-key-123")
        yield fake, folder


@pytest.mark.parametrize(("code", "says"), [(401, "refused the API key (HTTP 401); check OPENAI_API_KEY"),
                                            (404, "has no model 'gpt-4o-mini'")])
def test_a_server_refusing_every_request_stops_at_once(refusing: tuple[FakeLLM, Path], tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str], code: int, says: str) -> None:
    fake, folder = refusing
    fake.fail_always("*", status(code))
    out = tmp_path / "out"
    assert main(["run", str(folder), "-o", str(out), "--concurrency", "2", *FAST_FLAGS]) == 1
    err = capsys.readouterr().err
    assert err.count(says) == 1, err
    assert "sk-test-secret-key-123" not in err and "Traceback" not in err and "FAILED" not in err
    assert len(fake.records) <= 2  # one request per article in flight, no retry: the status will not change
    assert rows(out) == {}
    fake.always.clear()  # the key is fixed: the same command extracts every article
    assert main(["run", str(folder), "-o", str(out), *FAST_FLAGS]) == 0
    assert set(rows(out).values()) == {"done"} and len(rows(out)) == 6
    sheet = FactSheet.model_validate_json((out / "a03.json").read_text(encoding="utf-8"))
    assert [m.value for m in sheet.metrics] == [1003.0]


def test_a_batch_run_at_a_closed_port_fails_with_exit_1_and_marks_nothing(tmp_path: Path, monkeypatch,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    folder, out = tmp_path / "in", tmp_path / "out"
    write_articles(folder, 3)
    keyless_env(monkeypatch, CLOSED_PORT)
    assert main(["run", str(folder), "-o", str(out), "--batch", *FAST_FLAGS]) == 1  # the endpoint, not a usage error
    err = capsys.readouterr().err
    assert "127.0.0.1:9" in err and "check that the server runs" in err and "Traceback" not in err
    assert rows(out) == {}
