"""Bad inputs and settings through the `factsheet` command: one error line each, no traceback, honest exit codes."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from extract import articles
from extract.articles import stdin_id
from extract.cli import main
from extract.store import STORE_NAME
from schemas import FactSheet

CONSOLE_SCRIPT = Path(sys.executable).parent / "factsheet"
GOOD = "Xiamen ran 4,600 trains to Europe in 2020, the city said.\n"


@pytest.fixture(autouse=True)
def hermetic(monkeypatch, tmp_path):
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "FACTSHEET_CONFIG", "FACTSHEET_MAX_FACTS", "FACTSHEET_MAX_FIELD_CHARS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)


def env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "FACTSHEET_"))}
    return {**base, **extra}


def failed_lines(err: str, path: Path) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("FAILED") and str(path) in line]


def test_loops_broken_links_and_unreadable_folders_each_get_one_line(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text(GOOD, encoding="utf-8")
    (folder / "loop.txt").symlink_to(folder / "loop.txt")
    (folder / "broken.txt").symlink_to(folder / "gone.txt")
    arg_loop = tmp_path / "arg-loop.txt"
    arg_loop.symlink_to(arg_loop)
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "x.txt").write_text(GOOD, encoding="utf-8")
    other = tmp_path / "other.txt"
    other.write_text(GOOD, encoding="utf-8")
    real_scandir = os.scandir

    def scandir(path):  # as for a user without read permission on the folder
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(articles.os, "scandir", scandir)
    out = tmp_path / "out"
    code = main(["run", str(folder), str(arg_loop), str(locked), str(other), "-o", str(out), "--backend", "rules"])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    for path, reason in [(folder / "loop.txt", "symbolic link loop"), (folder / "broken.txt", "broken symbolic link"),
                         (arg_loop, "symbolic link loop"), (locked, "cannot read folder: Permission denied")]:
        lines = failed_lines(err, path)
        assert len(lines) == 1 and reason in lines[0], (path, err)
    assert {p.name for p in out.glob("*.json")} == {"good.json", "other.json"}  # the others went through


def test_the_console_script_prints_no_traceback_for_a_link_loop(tmp_path):
    loop = tmp_path / "loop.txt"
    loop.symlink_to(loop)
    good = tmp_path / "good.txt"
    good.write_text(GOOD, encoding="utf-8")
    proc = subprocess.run([str(CONSOLE_SCRIPT), "run", str(loop), str(good), "-o", str(tmp_path / "out"),
                           "--backend", "rules"], capture_output=True, text=True, env=env(), cwd=tmp_path, timeout=60)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert len(failed_lines(proc.stderr, loop)) == 1
    assert (tmp_path / "out" / "good.json").exists()


@pytest.mark.parametrize("url", ["http://127.0.0.1:99999/v1", "localhost:11434/v1", "ftp://127.0.0.1/v1"])
def test_a_bad_base_url_exits_2_naming_the_variable(tmp_path, url):
    (tmp_path / "a.txt").write_text(GOOD, encoding="utf-8")
    proc = subprocess.run([str(CONSOLE_SCRIPT), "run", str(tmp_path / "a.txt"), "-o", str(tmp_path / "out")],
                          capture_output=True, text=True, env=env(OPENAI_BASE_URL=url), cwd=tmp_path, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert "OPENAI_BASE_URL" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


def test_a_missing_path_is_a_usage_error_that_creates_nothing(tmp_path, capsys):
    (tmp_path / "a.txt").write_text(GOOD, encoding="utf-8")
    store = tmp_path / "state" / "s.sqlite"
    code = main(["run", str(tmp_path / "a.txt"), str(tmp_path / "typo.txt"), "-o", str(tmp_path / "out"),
                 "--store", str(store), "--backend", "rules"])
    err = capsys.readouterr().err
    assert code == 2 and "no such file or folder" in err and "typo.txt" in err
    assert not (tmp_path / "out").exists() and not store.parent.exists()


def test_piped_articles_get_their_own_ids(tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    first, second = GOOD.encode(), b"Fuzhou ran 1,200 trains to Europe in 2021, the city said.\n"
    for data in (first, second):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
        assert main(["run", "-", "-o", str(out), "--backend", "rules"]) == 0
    assert {p.name for p in out.glob("*.json")} == {f"{stdin_id(first)}.json", f"{stdin_id(second)}.json"}
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(first)))
    assert main(["run", "-", "--id", "xiamen-2020", "-o", str(out), "--backend", "rules"]) == 0
    sheet = FactSheet.model_validate_json((out / "xiamen-2020.json").read_text(encoding="utf-8"))
    assert sheet.article.id == "xiamen-2020"
    assert len((out / "factsheets.jsonl").read_text(encoding="utf-8").splitlines()) == 3  # nothing replaced


@pytest.mark.parametrize(("argv", "message"), [
    (["--id", "a/b"], "must be a file name"),
    (["--id", "name"], "give - among the PATHs"),
])
def test_a_bad_id_is_a_usage_error(tmp_path, capsys, argv, message):
    (tmp_path / "a.txt").write_text(GOOD, encoding="utf-8")
    paths = ["-"] if argv[1] == "a/b" else [str(tmp_path / "a.txt")]
    assert main(["run", *paths, *argv, "-o", str(tmp_path / "out"), "--backend", "rules"]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out" / STORE_NAME).exists()


def test_bad_limits_are_a_usage_error(tmp_path, monkeypatch, capsys):
    (tmp_path / "a.txt").write_text(GOOD, encoding="utf-8")
    monkeypatch.setenv("FACTSHEET_MAX_FACTS", "lots")
    assert main(["run", str(tmp_path / "a.txt"), "-o", str(tmp_path / "out"), "--backend", "rules"]) == 2
    assert "FACTSHEET_MAX_FACTS" in capsys.readouterr().err
