"""The `factsheet` command, in process and as the installed console script."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from extract import __version__, backends
from extract.articles import Article, ArticleSource, load, stdin_id
from extract.backends.base import Backend
from extract.cli import build_parser, main
from extract.figures import stated_numbers
from extract.pipeline import COMBINED_JSONL
from schemas import Evidence, FactSheet, Metric, Provenance

CONSOLE_SCRIPT = Path(sys.executable).parent / "factsheet"
GBK_TEXT = "福建省与“一带一路”沿线国家贸易额增长7.2%。\n厦门港开通新航线。\n"
SEED_IDS = {"000_46216e8fa835e61b", "001_c9623f5d1761bc86", "002_04d536c7ce22d398", "003_dc3fb16bdf9f3b1c",
            "004_3c5a6f0b5c3235ac"}


class QuotingBackend(Backend):
    """Returns one metric quoting the article's first line (its first number), so tests do not rely on the rules' recall."""

    name = "quoting"

    async def extract(self, article: Article) -> FactSheet:
        line = next(ln.strip() for ln in article.text.splitlines() if ln.strip())
        return FactSheet(
            article=article.meta,
            metrics=[Metric(subject="x", value=max(stated_numbers([line]), default=1), unit="trains", kind="count",
                            evidence=[Evidence(quote=line, start=0, end=len(line))])],
            provenance=Provenance(backend=self.name),
        )


@pytest.fixture(autouse=True)
def hermetic(monkeypatch, tmp_path):
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "FACTSHEET_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture()
def quoting(monkeypatch):
    monkeypatch.setitem(backends.BACKENDS, "quoting", lambda options: QuotingBackend())


@pytest.fixture()
def mixed_folder(tmp_path, seeds_dir) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    for path in seeds_dir.iterdir():
        shutil.copy(path, folder / path.name)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.dat").write_bytes(bytes(range(256)) * 8)
    (folder / "gbk.txt").write_bytes(GBK_TEXT.encode("gbk"))
    return folder


def check_sheets(out: Path, folder: Path, ids: set[str], encoding: str | None = None) -> list[FactSheet]:
    """Every sheet validates and every quote is text[start:end]; the JSONL has one line per sheet."""
    sheets = []
    for article_id in sorted(ids):
        sheet = FactSheet.model_validate_json((out / f"{article_id}.json").read_text(encoding="utf-8"))
        path = next(p for p in folder.glob(f"{article_id}.*") if not p.name.endswith(".meta.json"))
        text = load(ArticleSource(article_id, path), encoding=encoding).text
        for _, fact in sheet.facts():
            assert fact.evidence
            for e in fact.evidence:
                assert text[e.start : e.end] == e.quote
        sheets.append(sheet)
    lines = (out / COMBINED_JSONL).read_text(encoding="utf-8").splitlines()
    assert sorted(json.loads(line)["article"]["id"] for line in lines) == sorted(ids)
    return sheets


def assert_bad_files_named(stderr: str, folder: Path) -> None:
    for name, reason in [("empty.txt", "empty"), ("binary.dat", "binary"), ("gbk.txt", "not UTF-8 (it looks like GBK")]:
        lines = [ln for ln in stderr.splitlines() if str(folder / name) in ln]
        assert lines, f"{name} is not named on stderr:\n{stderr}"
        assert any(reason in ln for ln in lines), lines


def test_run_over_seeds_and_bad_files_with_the_rules_backend(mixed_folder, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(mixed_folder), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "offline 'rules' backend" in err  # the run says which backend it chose and why
    assert_bad_files_named(err, mixed_folder)
    sheets = check_sheets(out, mixed_folder, SEED_IDS)
    assert all(s.provenance.backend == "rules" for s in sheets)
    assert sorted(p.name for p in out.glob("*.json")) == sorted(f"{i}.json" for i in SEED_IDS)
    assert not list(out.glob(".*.tmp"))


def test_run_with_facts_writes_grounded_sheets(mixed_folder, tmp_path, capsys, quoting):
    out = tmp_path / "out"
    assert main(["run", str(mixed_folder), "-o", str(out), "--backend", "quoting"]) == 1
    assert_bad_files_named(capsys.readouterr().err, mixed_folder)
    sheets = check_sheets(out, mixed_folder, SEED_IDS)
    assert all(len(s.metrics) == 1 for s in sheets)
    dates = {s.article.id: str(s.article.published) for s in sheets}
    assert dates["002_04d536c7ce22d398"] == "2020-01-21" and dates["004_3c5a6f0b5c3235ac"] == "2019-02-18"


def test_gbk_file_is_decoded_correctly_with_encoding(mixed_folder, tmp_path, capsys, quoting):
    (mixed_folder / "empty.txt").unlink()
    (mixed_folder / "binary.dat").unlink()
    out = tmp_path / "out"
    assert main(["run", str(mixed_folder), "-o", str(out), "--backend", "quoting", "--encoding", "gbk"]) == 0
    (gbk,) = check_sheets(out, mixed_folder, SEED_IDS | {"gbk"}, encoding="gbk")[-1:]
    assert gbk.metrics[0].evidence[0].quote == GBK_TEXT.splitlines()[0]  # not mangled
    assert "FAILED" not in capsys.readouterr().err


def test_stdin_input(tmp_path, monkeypatch, capsys, quoting):
    data = "Published: 2020-01-21 by the trade office\nFujian’s trade grew by 7.2% last year.\n".encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    out = tmp_path / "out"
    assert main(["run", "-", "-o", str(out), "--backend", "quoting"]) == 0
    sheet = FactSheet.model_validate_json((out / f"{stdin_id(data)}.json").read_text(encoding="utf-8"))
    assert str(sheet.article.published) == "2020-01-21"
    assert sheet.metrics[0].evidence[0].quote == "Published: 2020-01-21 by the trade office"  # a clause, not 2 words
    assert len((out / COMBINED_JSONL).read_text(encoding="utf-8").splitlines()) == 1


def test_missing_input_is_named_and_fails(tmp_path, capsys):
    assert main(["run", str(tmp_path / "nope.txt"), "-o", str(tmp_path / "out"), "--backend", "rules"]) == 2
    assert "nope.txt" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()  # a usage error creates nothing


@pytest.mark.parametrize("workers", ["0", "-2", "two"])
def test_workers_below_one_is_a_usage_error_that_names_the_fix(tmp_path, capsys, workers):
    with pytest.raises(SystemExit) as exited:
        main(["run", str(tmp_path), "-o", str(tmp_path / "out"), "--backend", "rules", "--workers", workers])
    assert exited.value.code == 2
    assert "give 1 or more" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_empty_folder_fails(tmp_path, capsys):
    (tmp_path / "none").mkdir()
    assert main(["run", str(tmp_path / "none"), "-o", str(tmp_path / "out"), "--backend", "rules"]) != 0
    assert "no articles" in capsys.readouterr().err


def _commands() -> list[str]:
    parser = build_parser()
    (sub,) = [a for a in parser._actions if a.dest == "command"]
    return sorted(sub.choices)


def test_help_on_every_command(capsys):
    commands = _commands()
    assert {"run", "schema"} <= set(commands)
    for argv in [["--help"], *([c, "--help"] for c in commands)]:
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 0, argv
        out = capsys.readouterr().out
        assert out.startswith("usage: factsheet"), argv
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    assert "--encoding" in capsys.readouterr().out


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"factsheet {__version__}" == f"factsheet {version('factsheet')}"


def test_usage_errors_exit_2(capsys):
    for argv in [[], ["run"], ["run", "x", "--backend", "nope"], ["no-such-command"]]:
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2, argv
    assert "usage:" in capsys.readouterr().err


def test_broken_plugin_command_does_not_break_the_cli(monkeypatch, capsys):
    class Entry:
        name, value = "broken", "nowhere.cli"

    import extract.cli as cli

    monkeypatch.setattr(cli, "entry_points", lambda group: [Entry()])
    assert main(["schema", "-o", "schema.json"]) == 0  # not even imported: no warning
    assert "broken" not in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["broken"])
    assert exc.value.code == 2
    assert "command 'broken' (nowhere.cli) is unavailable" in capsys.readouterr().err


def test_only_the_chosen_command_is_imported(monkeypatch):
    """`--help` and the core commands never import the eval plug-in (it pulls in scipy)."""
    code = ("import sys; from extract.cli import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            "heavy = sorted(m for m in ('evals.cli', 'scipy', 'openai', 'instructor', 'rapidfuzz', 'tqdm')"
            " if m in sys.modules)\nprint(','.join(heavy))")
    for argv in (["--help"], ["schema", "--help"], ["run", "--help"]):
        proc = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, env=_env(), timeout=60)
        assert proc.stdout.splitlines()[-1] == "", (argv, proc.stdout)
    proc = subprocess.run([sys.executable, "-c", code, "eval", "--help"], capture_output=True, text=True, env=_env(),
                          timeout=60)
    assert "evals.cli" in proc.stdout.splitlines()[-1]


def test_help_lists_every_command_with_its_summary(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for name, words in [("run", "extract fact sheets"), ("logs", "LLM request"), ("eval", "score")]:
        line = next(ln for ln in out.splitlines() if ln.strip().startswith(name + " "))
        assert words in line, line


def test_verbosity_flags_before_and_after_the_command(tmp_path, capsys, quoting, seeds_dir):
    out = tmp_path / "out"
    assert main(["run", str(seeds_dir), "-o", str(out), "--backend", "quoting", "-q"]) == 0
    assert capsys.readouterr().err == ""  # -q after the command: only warnings and errors
    assert main(["-q", "run", str(seeds_dir), "-o", str(out), "--backend", "quoting"]) == 0
    assert capsys.readouterr().err == ""
    assert main(["-q", "run", str(seeds_dir), "-o", str(out), "--backend", "quoting", "-v"]) == 0
    assert "INFO " in capsys.readouterr().err  # the later flag wins: -v prefixes the level
    assert main(["run", str(seeds_dir), "-o", str(out), "--backend", "quoting"]) == 0
    assert "5 unchanged" in capsys.readouterr().err


def test_run_json_summary_on_stdout(mixed_folder, tmp_path, capsys, quoting):
    out = tmp_path / "out"
    assert main(["run", str(mixed_folder), "-o", str(out), "--backend", "quoting", "--json"]) == 1
    captured = capsys.readouterr()
    data = json.loads(captured.out)  # stdout holds the JSON only; the log stays on stderr
    assert data["exit_status"] == 1 and data["backend"] == "quoting"
    assert data["counts"] == {"new": 5, "changed": 0, "unchanged": 0, "failed": 3, "removed": 0, "pending": 0}
    assert data["error"] is None  # the run went through: only per-article failures
    outcomes = {a["id"]: a["outcome"] for a in data["articles"]}
    assert outcomes["empty"] == outcomes["binary"] == outcomes["gbk"] == "failed"
    assert {outcomes[i] for i in SEED_IDS} == {"new"}
    failed = next(a for a in data["articles"] if a["id"] == "empty")
    assert "empty" in failed["error"] and failed["metrics"] is None
    assert next(a for a in data["articles"] if a["id"] in SEED_IDS)["metrics"] == 1
    assert data["usage"] == {"requests": 0, "cached_requests": 0, "prompt_tokens": 0, "completion_tokens": 0}
    assert data["out_dir"] == str(out) and data["store"].endswith("factsheet.sqlite")
    assert "done with 'quoting'" in captured.err

    assert main(["run", str(mixed_folder), "-o", str(out), "--backend", "quoting", "--json"]) == 1
    again = json.loads(capsys.readouterr().out)
    assert again["counts"]["unchanged"] == 5 and again["counts"]["new"] == 0


def test_sheets_as_jsonl_on_stdout(tmp_path, capsys, quoting, seeds_dir):
    assert main(["run", str(seeds_dir), "-o", "-", "--backend", "quoting"]) == 0
    captured = capsys.readouterr()
    sheets = [FactSheet.model_validate_json(line) for line in captured.out.splitlines()]
    assert sorted(s.article.id for s in sheets) == sorted(SEED_IDS)
    assert "done with 'quoting' into standard output" in captured.err
    assert not (tmp_path / "-").exists() and not (tmp_path / "out").exists()  # no folder is kept

    out = tmp_path / "kept"
    assert main(["run", str(seeds_dir), "-o", str(out), "--backend", "quoting", "--stdout"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 5 and (out / COMBINED_JSONL).exists()
    assert main(["run", str(seeds_dir), "-o", "-", "--json", "--backend", "quoting"]) == 2
    assert "would mix on stdout" in capsys.readouterr().err


def test_counts_read_in_the_singular_for_one(tmp_path, capsys, quoting, seeds_dir):
    path = seeds_dir / "001_c9623f5d1761bc86.txt"
    assert main(["run", str(path), "-o", str(tmp_path / "out"), "--backend", "quoting"]) == 0
    err = capsys.readouterr().err
    assert "1 article: 1 to extract" in err and "1 metric," in err and "1 articles" not in err


# --- the installed console script --------------------------------------------------------


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "FACTSHEET_"))}


@pytest.mark.skipif(not CONSOLE_SCRIPT.exists(), reason="the console script is not installed in this environment")
def test_console_script_end_to_end(mixed_folder, tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run([str(CONSOLE_SCRIPT), "run", str(mixed_folder), "-o", str(out), "--backend", "rules"],
                          capture_output=True, text=True, env=_env(), cwd=tmp_path, timeout=60)
    assert proc.returncode == 1, proc.stderr
    assert_bad_files_named(proc.stderr, mixed_folder)
    assert "Traceback" not in proc.stderr
    check_sheets(out, mixed_folder, SEED_IDS)

    proc = subprocess.run([str(CONSOLE_SCRIPT), "--version"], capture_output=True, text=True, env=_env(), timeout=60)
    assert proc.returncode == 0 and re.fullmatch(r"factsheet \d+\.\d+\.\d+\S*\n", proc.stdout)

    piped = "Fujian’s trade grew by 7.2% last year.".encode()
    proc = subprocess.run([str(CONSOLE_SCRIPT), "run", "-", "-o", str(tmp_path / "out2"), "--backend", "rules"],
                          input=piped, capture_output=True, env=_env(), cwd=tmp_path, timeout=60)
    assert proc.returncode == 0, proc.stderr
    FactSheet.model_validate_json((tmp_path / "out2" / f"{stdin_id(piped)}.json").read_text(encoding="utf-8"))




def _report_of(extracted: int, busy: float | None):
    from extract.pipeline import ArticleResult, RunReport

    results = [ArticleResult(ArticleSource(id=f"a{i}", path=None), outcome="new") for i in range(extracted)]
    return RunReport(results=results, busy=busy)


def test_a_busy_llm_run_in_one_process_is_told_about_workers(monkeypatch):
    """An LLM run whose process checked answers for most of its extraction (a fast local server) is told that a
    second process would help; a run the server set the pace of, one wave of answers, --workers 2 or the rules
    backend are not."""
    from extract.backends.llm.backend import LLMBackend
    from extract.backends.llm.settings import LLMSettings
    from extract.commands import run as run_command
    from extract.commands.run import pace_hint

    monkeypatch.setattr(run_command, "default_workers", lambda: 2)
    llm = LLMBackend(LLMSettings(base_url="http://127.0.0.1:9/v1", concurrency=2))  # 4 articles in flight
    hint = pace_hint(_report_of(20, 0.93), llm, None)
    assert hint is not None and "93%" in hint and "--workers 2" in hint
    assert pace_hint(_report_of(20, 0.93), llm, 1) == hint
    assert pace_hint(_report_of(20, 0.5), llm, None) is None  # waiting for the server most of the time
    assert pace_hint(_report_of(llm.concurrency, 0.99), llm, None) is None  # one wave: all in flight at once
    assert pace_hint(_report_of(20, 0.93), llm, 2) is None  # already in worker processes
    assert pace_hint(_report_of(20, None), llm, None) is None  # extracted in workers: not measured
    assert pace_hint(_report_of(20, 0.99), backends.make_backend("rules", {}), None) is None
    monkeypatch.setattr(run_command, "default_workers", lambda: 1)
    assert pace_hint(_report_of(20, 0.93), llm, None) is None  # one core: a second process would not help


def test_a_run_reports_how_busy_its_process_was(tmp_path, seeds_dir):
    from extract.pipeline import RunOptions, run

    sources = [ArticleSource(id=p.stem, path=p) for p in sorted(seeds_dir.glob("*.txt"))[:2]]
    report = run(sources, backends.make_backend("rules", {}), RunOptions(out_dir=tmp_path / "out", workers=1))
    assert report.busy is not None and 0 < report.busy < 4
    again = run(sources, backends.make_backend("rules", {}), RunOptions(out_dir=tmp_path / "out", workers=1))
    assert again.busy is None  # nothing to extract
