"""A run killed (SIGKILL) while it splices the corpus files: no half-written file, and the next run repairs.

The update of the corpus files is one store transaction around the splices (extract/pipeline.py,
`write_corpus_from_store`): killed after some files were renamed, the folder holds old and new
files side by side, each whole; the state is rolled back and the record of what the files were
made from is gone, so the next run rebuilds them in full, and they are a full rebuild's bytes.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from store_fakes import article_text, write_articles

from extract.corpus import CORPUS_FILES, write_corpus
from extract.store import STORE_NAME, Store

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]

KILLER = r'''
import os, signal, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from store_fakes import FakeBackend
from extract import corpus_state, splice
from extract.articles import discover
from extract.pipeline import RunOptions, run

where, count = sys.argv[4], int(sys.argv[5])
calls = [0]
module = corpus_state if where == "splice_file" else splice
real = getattr(module, where)

def dying(*args, **kwargs):
    if where == "_copy" and calls[0] + 1 == count:
        os.kill(os.getpid(), signal.SIGKILL)  # in the middle of a file: its temporary half written
    result = real(*args, **kwargs)
    calls[0] += 1
    if calls[0] == count:
        os.kill(os.getpid(), signal.SIGKILL)  # after `count` files were renamed into place
    return result

setattr(module, where, dying)
inputs = [sys.argv[2]]
run(list(discover(inputs)), FakeBackend(), RunOptions(out_dir=Path(sys.argv[3]), inputs=inputs))
'''


def whole(out: Path) -> None:
    for name in CORPUS_FILES:
        text = (out / name).read_text(encoding="utf-8")
        assert text.endswith("\n"), name
        if name.endswith(".jsonl"):
            for line in text.splitlines():
                json.loads(line)
        else:
            assert text.startswith("id,"), name


@pytest.mark.parametrize(("where", "count"), [("splice_file", 1), ("splice_file", 4), ("_copy", 1)])
def test_a_kill_during_the_splice_leaves_whole_files_and_the_next_run_repairs_them(
        run_fake, articles: Path, out: Path, tmp_path: Path, where: str, count: int) -> None:
    run_fake()
    before = {name: (out / name).read_bytes() for name in CORPUS_FILES}
    write_articles(articles, 1, start=6)
    (articles / "a002.txt").write_text(article_text(2, value=777), encoding="utf-8")  # changed too
    inputs = str(articles.resolve())
    proc = subprocess.run([sys.executable, "-c", KILLER, str(HERE), inputs, str(out), where, str(count)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    whole(out)
    after = {name: (out / name).read_bytes() for name in CORPUS_FILES}
    changed = [name for name in CORPUS_FILES if after[name] != before[name]]
    # At most `count` files renamed (a file whose units did not change is not written); the others are the old ones.
    assert 1 <= len(changed) <= count if where == "splice_file" else changed == []
    with Store.open(out / STORE_NAME) as store:
        assert store.get_meta(f"corpus:{out.resolve()}") is None  # no claim that the files are current

    run_fake()  # repairs: a full rebuild
    whole(out)
    with Store.open(out / STORE_NAME) as store:
        sheets = [row.fact_sheet() for row in store.articles("done")]
    write_corpus(tmp_path / "full", sheets)
    assert all((out / name).read_bytes() == (tmp_path / "full" / name).read_bytes() for name in CORPUS_FILES)
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]  # the killed temporary was removed
