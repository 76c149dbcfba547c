"""Corpus files rewritten from the store's kept lines are the bytes of a full rebuild from every sheet.

The store keeps each done sheet's factsheets.jsonl line (Store.corpus_lines) so that a run
parses only new or changed sheets; these tests compare every corpus file, after adds,
changes, failures, removals and an alias-table change, with `write_corpus` over all the
done sheets parsed anew.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from store_fakes import FakeBackend, article_text, write_articles

from extract.canonical import Canonicaliser
from extract.corpus import CORPUS_FILES, sheet_line, write_corpus
from extract.pipeline import write_corpus_from_store
from extract.store import STORE_NAME, Store, TokenCount
from extract.store.db import LINE_VERSION
from schemas import ArticleMeta, Evidence, FactSheet, InfrastructureProject, Provenance

ROOT = Path(__file__).resolve().parents[3]


def full_rebuild(store_path: Path, folder: Path, canonicaliser: Canonicaliser | None = None) -> dict[str, bytes]:
    with Store.open(store_path) as store:
        sheets = [row.fact_sheet() for row in store.articles("done")]
    write_corpus(folder, sheets, canonicaliser)
    return {name: (folder / name).read_bytes() for name in CORPUS_FILES}


def written(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in CORPUS_FILES}


def kept_lines(store_path: Path) -> dict[str, str]:
    with Store.open(store_path) as store:
        return {r["id"]: r["made_from"] for r in store.query("SELECT id, made_from FROM corpus_lines")}


def test_incremental_corpus_equals_a_full_rebuild_after_adds_changes_failures_and_prune(
        run_fake, articles: Path, out: Path, tmp_path: Path) -> None:
    store_path = out / STORE_NAME
    run_fake()
    assert written(out) == full_rebuild(store_path, tmp_path / "full0")

    write_articles(articles, 2, start=6)  # two new articles, one stating a figure another one contradicts
    (articles / "a007.txt").write_text(article_text(7, city="Xiamen", value=5), encoding="utf-8")
    run_fake()
    assert written(out) == full_rebuild(store_path, tmp_path / "full1")
    assert b'"type": "conflict_group"' in (out / "facts.jsonl").read_bytes()  # the comparison covers conflicts

    (articles / "a002.txt").write_text(article_text(2, value=777), encoding="utf-8")  # changed
    run_fake(FakeBackend(fail={"a003"}), force=True)  # a003 fails: out of the corpus, its line dropped
    assert written(out) == full_rebuild(store_path, tmp_path / "full2")
    assert "a003" not in kept_lines(store_path)

    (articles / "a001.txt").unlink()
    (articles / "a001.meta.json").unlink(missing_ok=True)
    run_fake(prune=True)
    assert written(out) == full_rebuild(store_path, tmp_path / "full3")
    assert sorted(kept_lines(store_path)) == ["a000", "a002", "a003", "a004", "a005", "a006", "a007"]


def test_only_new_or_changed_sheets_get_a_new_line(run_fake, articles: Path, out: Path) -> None:
    store_path = out / STORE_NAME
    run_fake()
    before = kept_lines(store_path)
    with Store.open(store_path) as store:  # a marked line for a000: it must be read, not made again
        (line,) = store.query("SELECT line FROM corpus_lines WHERE id = 'a000'")[0]
        marked = json.loads(line)
        marked["article"]["title"] = "kept, not made again"
        with store.transaction() as conn:
            conn.execute("UPDATE corpus_lines SET line = ? WHERE id = 'a000'", (json.dumps(marked),))
    (articles / "a004.txt").write_text(article_text(4, value=9), encoding="utf-8")
    run_fake()
    after = kept_lines(store_path)
    assert after["a004"] != before["a004"] and {k: v for k, v in after.items() if k != "a004"} == \
        {k: v for k, v in before.items() if k != "a004"}
    assert all(key.endswith(LINE_VERSION) for key in after.values())
    # An incremental update does not even read a000's line: its bytes are copied from the old file.
    assert "kept, not made again" not in (out / "factsheets.jsonl").read_text(encoding="utf-8").splitlines()[0]
    (out / "entities.jsonl").unlink()  # a file missing: the full rebuild, from the kept lines
    run_fake()
    assert "kept, not made again" in (out / "factsheets.jsonl").read_text(encoding="utf-8").splitlines()[0]


def test_a_kept_line_is_the_line_of_the_parsed_sheet(run_fake, out: Path) -> None:
    run_fake()
    with Store.open(out / STORE_NAME) as store:
        lines = list(store.corpus_lines())
        assert lines == [sheet_line(row.fact_sheet()) for row in store.articles("done")]


def project_sheet(article_id: str, name: str) -> FactSheet:
    quote = f"The {name} opened."
    return FactSheet(
        article=ArticleMeta(id=article_id, sha256=hashlib.sha256(article_id.encode()).hexdigest()),
        infrastructure_projects=[InfrastructureProject(name=name, kind="railway", status="operational",
                                                       evidence=[Evidence(quote=quote, start=0, end=len(quote))])],
        provenance=Provenance(backend="test"))


def test_an_alias_table_change_gives_the_full_rebuild_of_the_new_tables(tmp_path: Path) -> None:
    store_path, out = tmp_path / STORE_NAME, tmp_path / "out"
    with Store.open(store_path) as store:
        for article_id, name in (("a", "Silk Line"), ("b", "Silk Railway")):
            sheet = project_sheet(article_id, name)
            store.record_done(run_id=None, source=None, sheet=sheet, sheet_text=sheet.model_dump_json(indent=2),
                              content_hash="x", fingerprint="f", spent=TokenCount())
        default = Canonicaliser.default()
        assert write_corpus_from_store(out, store, default)
    assert written(out) == full_rebuild(store_path, tmp_path / "full0", default)
    assert (out / "facts.jsonl").read_text(encoding="utf-8").count("\n") == 2

    tables = copy.deepcopy(default.tables)
    tables["initiatives"]["names"]["Silk Railway"] = ["Silk Line"]  # now the two are one project
    merged = Canonicaliser(tables, {"money": {}, "volume": {}, "count": {}})
    with Store.open(store_path) as store:
        assert write_corpus_from_store(out, store, merged)  # another table: not current, written again
    assert written(out) == full_rebuild(store_path, tmp_path / "full1", merged)
    assert (out / "facts.jsonl").read_text(encoding="utf-8").count("\n") == 1


MERGE_SCRIPT = """
import sys
from pathlib import Path
from extract.corpus import write_corpus
from schemas import ArticleMeta, Evidence, FactSheet, Metric, Provenance

def sheet(article_id, *metrics):
    meta = ArticleMeta(id=article_id, sha256=article_id * 64)
    provenance = Provenance(backend="test", created_at="2026-01-01T00:00:00Z")
    return FactSheet(article=meta, metrics=list(metrics), provenance=provenance)

def trains(subject, value, quote):
    return Metric(subject=subject, value=value, unit="trains", kind="count", period="2020", location="Xiamen",
                  evidence=[Evidence(quote=quote, start=0, end=len(quote))])

write_corpus(Path(sys.argv[1]), [
    sheet("a", trains("freight trains", 10, "Xiamen ran ten freight trains.")),
    sheet("b", trains("cargo trains", 10, "Xiamen ran ten cargo trains.")),  # merged with a's: two subjects
    sheet("c", trains("freight trains", 50, "Xiamen ran 50 freight trains.")),
    sheet("d", trains("cargo trains", 70, "Xiamen ran 70 cargo trains.")),
])
"""


def test_the_corpus_files_do_not_depend_on_the_process_hash_seed(tmp_path: Path) -> None:
    # A fact with two subjects is in two conflict groups; their order once followed a set's order.
    outputs = set()
    for seed in range(6):
        out = tmp_path / str(seed)
        out.mkdir()
        env = {**os.environ, "PYTHONHASHSEED": str(seed)}
        subprocess.run([sys.executable, "-c", MERGE_SCRIPT, str(out)], check=True, env=env, cwd=ROOT)
        outputs.add(tuple((out / name).read_bytes() for name in CORPUS_FILES))
    assert len(outputs) == 1
    lines = [json.loads(line) for line in (tmp_path / "0" / "facts.jsonl").read_text().splitlines()]
    facts = [x for x in lines if x["type"] == "metric"]
    groups = {x["id"]: x for x in lines if x["type"] == "conflict_group"}
    assert [len(f["groups"]) for f in facts] == [2, 1, 1] and len(groups) == 2
    assert sorted([m["value"] for m in groups[g]["members"]] for g in facts[0]["groups"]) == [[10, 50], [10, 70]]


def test_a_reader_gets_every_line_without_writing_to_the_store(run_fake, articles: Path, out: Path) -> None:
    store_path = out / STORE_NAME
    run_fake()
    (articles / "a004.txt").write_text(article_text(4, value=9), encoding="utf-8")
    run_fake(write_combined=False)  # a004's sheet changed, its kept line is now out of date
    before = kept_lines(store_path)
    with Store.open(store_path) as store:
        lines = list(store.corpus_lines(keep=False))
        assert lines == [sheet_line(row.fact_sheet()) for row in store.articles("done")]
    assert kept_lines(store_path) == before


def test_lines_kept_when_sheets_are_recorded_are_the_lines_of_the_stored_texts(tmp_path: Path) -> None:
    """A run keeps each sheet's line as it records the sheet, dumped from the sheet in memory: the bytes that parsing
    the stored text gives (the seeds' sheets from the rules backend, grounded and canonicalised as every run's)."""
    from extract.articles import discover
    from extract.backends import make_backend
    from extract.pipeline import RunOptions, run
    from extract.store.db import _sheet_line

    out = tmp_path / "out"
    inputs = [str(ROOT / "seeds")]
    run(list(discover(inputs)), make_backend("rules", {}), RunOptions(out_dir=out, inputs=inputs, workers=1,
                                                                      write_combined=False))
    with Store.open(out / STORE_NAME) as store:
        kept = {r["id"]: r["line"] for r in store.query("SELECT id, line FROM corpus_lines")}
        rows = store.articles("done")
        assert len(rows) == 5 and sorted(kept) == [row.id for row in rows]  # kept with the sheets, not by a rewrite
        for row in rows:
            assert kept[row.id] == _sheet_line(row.sheet or ""), row.id
