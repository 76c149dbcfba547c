"""The pipeline: each article read, extracted, grounded and canonicalised on its own."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from extract.articles import Article, ArticleSource, discover, load
from extract.backends.base import Backend
from extract.errors import BackendError
from extract.figures import stated_numbers
from extract.pipeline import COMBINED_JSONL, RunOptions, finish_sheet, run
from schemas import ArticleMeta, Evidence, FactSheet, InfrastructureProject, Metric, PolicyStatement, Provenance

GBK_TEXT = "福建省与“一带一路”沿线国家贸易额增长7.2%。\n厦门港开通新航线。\n"


class FakeBackend(Backend):
    """Quotes the article's first sentence (with typography changed and bad offsets) and invents one."""

    name = "fake"

    def __init__(self, fail_on: str | None = None) -> None:
        self.fail_on = fail_on
        self.closed = False

    async def extract(self, article: Article) -> FactSheet:
        if self.fail_on and self.fail_on in article.id:
            if self.fail_on.startswith("crash"):
                raise RuntimeError("backend bug")
            raise BackendError("the model refused: try again later")
        sentence = re.search(r"\S(?:[^.。\n]|(?<=\d)\.(?=\d)){8,}", article.text).group(0)  # "7.2" is not cut
        perturbed = sentence.replace("’", "'").replace("“", '"').replace("”", '"')
        real = Evidence(quote=perturbed, start=0, end=len(perturbed))
        invented = "a sentence that is not in any article"
        fake = Evidence(quote=invented, start=0, end=len(invented))
        return FactSheet(
            article=ArticleMeta(id="wrong", sha256="f" * 64),
            metrics=[
                Metric(subject="trade", value=max(stated_numbers([perturbed]), default=7.2), unit="banks", kind="count",
                       location="Fujian Province", evidence=[real]),
                Metric(subject="made up", value=1, unit="trains", kind="count", evidence=[fake]),
            ],
            infrastructure_projects=[InfrastructureProject(name="Xiamen Port", kind="port", locations=["Xiamen City"],
                                                           initiatives=["Haisi"], evidence=[real])],
            policy_statements=[PolicyStatement(actor="Someone", kind="plan", summary="Plans.", evidence=[real])],
            provenance=Provenance(backend=self.name),
        )

    async def aclose(self) -> None:
        self.closed = True


@pytest.fixture(autouse=True)
def hermetic(monkeypatch, tmp_path):
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "FACTSHEET_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture()
def mixed_folder(tmp_path, seeds_dir) -> Path:
    """Copies of the seeds (with sidecars) plus an empty, a binary and a GBK-encoded file."""
    folder = tmp_path / "in"
    folder.mkdir()
    for path in seeds_dir.iterdir():
        shutil.copy(path, folder / path.name)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.bin").write_bytes(bytes(range(256)) * 8)
    (folder / "gbk.txt").write_bytes(GBK_TEXT.encode("gbk"))
    return folder


def check_written(out: Path, ids: set[str], folder: Path) -> list[FactSheet]:
    sheets = []
    for article_id in sorted(ids):
        sheet = FactSheet.model_validate_json((out / f"{article_id}.json").read_text(encoding="utf-8"))
        path = next(p for p in folder.glob(f"{article_id}.*") if not p.name.endswith(".meta.json"))
        text = load(ArticleSource(article_id, path), encoding="gbk").text
        assert sheet.article.id == article_id
        for _, fact in sheet.facts():
            for e in fact.evidence:
                assert text[e.start : e.end] == e.quote
        sheets.append(sheet)
    lines = (out / COMBINED_JSONL).read_text(encoding="utf-8").splitlines()
    assert sorted(json.loads(line)["article"]["id"] for line in lines) == sorted(ids)
    return sheets


def test_good_articles_go_through_and_bad_ones_fail_with_reasons(mixed_folder, tmp_path):
    out = tmp_path / "out"
    backend = FakeBackend()
    report = run(list(discover([str(mixed_folder)])), backend, RunOptions(out_dir=out))
    seeds = {p.stem for p in mixed_folder.glob("*.txt")} - {"empty", "gbk"}
    assert {r.source.id for r in report.results if r.ok} == seeds
    errors = {r.source.id: r.error for r in report.failed}
    assert set(errors) == {"empty", "binary", "gbk"}
    assert errors["empty"].startswith("empty") and errors["binary"].startswith("binary")
    assert "GBK" in errors["gbk"] and "--encoding" in errors["gbk"]
    assert not (out / "gbk.json").exists() and not (out / "empty.json").exists()
    assert backend.closed
    sheets = check_written(out, seeds, mixed_folder)
    for sheet in sheets:
        # The backend's article block is replaced by the one read from the file and its sidecar.
        assert sheet.article.published is not None and sheet.article.sha256 != "f" * 64
        # The invented fact is dropped and counted; the real ones are grounded and canonical.
        assert len(sheet.metrics) == 1 and sheet.provenance.dropped_facts == 1
        assert (sheet.metrics[0].unit, sheet.metrics[0].location) == ("trains", "Fujian")
        project = sheet.infrastructure_projects[0]
        assert (project.locations, project.initiatives) == (["Xiamen"], ["21st Century Maritime Silk Road"])
        assert sheet.provenance.aliases_version


def test_gbk_article_is_decoded_with_an_explicit_encoding(mixed_folder, tmp_path):
    out = tmp_path / "out"
    report = run(list(discover([str(mixed_folder)])), FakeBackend(), RunOptions(out_dir=out, encoding="gbk"))
    assert {r.source.id for r in report.failed} == {"empty", "binary"}
    (gbk,) = [s for s in report.sheets if s.article.id == "gbk"]  # the report reads the sheets from the store
    assert gbk.metrics[0].evidence[0].quote in GBK_TEXT
    assert len(report.sheets) == 6


def test_one_failing_article_does_not_stop_the_others(mixed_folder, tmp_path):
    for fail_on, expected in [("000_", "the model refused"), ("crash", "internal error (RuntimeError: backend bug)")]:
        if fail_on == "crash":
            shutil.copy(mixed_folder / "001_c9623f5d1761bc86.txt", mixed_folder / "crash.txt")
        out = tmp_path / f"out-{fail_on}"
        report = run(list(discover([str(mixed_folder)])), FakeBackend(fail_on=fail_on), RunOptions(out_dir=out))
        errors = {r.source.id: r.error for r in report.failed}
        failed_id = "crash" if fail_on == "crash" else "000_46216e8fa835e61b"
        assert expected in errors[failed_id]
        assert len(report.sheets) == (4 if failed_id.startswith("000") else 5)  # the other seeds


def test_stdin_article(tmp_path):
    source = ArticleSource(id="stdin", path=None, data="Published: 2020-01-21\nFujian’s trade grew by 7.2% last year.".encode())
    report = run([source], FakeBackend(), RunOptions(out_dir=tmp_path / "out"))
    (sheet,) = report.sheets
    assert sheet.article.id == "stdin" and str(sheet.article.published) == "2020-01-21"
    assert (tmp_path / "out" / "stdin.json").exists()


def test_finish_sheet_grounds_and_canonicalises(seed_texts):
    text = seed_texts["002_04d536c7ce22d398"]
    article = Article(meta=ArticleMeta(id="002", sha256="0" * 64), text=text)
    quote = "the China-Europe Railway (Chengdu) has opened more than 4,600 banks"
    start = text.index(quote)
    sheet = FactSheet(
        article=ArticleMeta(id="other", sha256="1" * 64),
        metrics=[Metric(subject="trips", value=4600, unit="banks", kind="count", comparator="gt",
                        evidence=[Evidence(quote=quote, start=3, end=3 + len(quote))])],
        provenance=Provenance(backend="fake"),
    )
    done = finish_sheet(article, sheet)
    assert done.article == article.meta
    (metric,) = done.metrics
    assert metric.unit == "trains"
    assert (metric.evidence[0].start, metric.evidence[0].end) == (start, start + len(quote))


def test_sheet_files_are_written_off_the_event_loop_after_their_group_is_committed(mixed_folder, tmp_path, monkeypatch):
    import threading

    from extract import pipeline
    from extract.store import Store

    out = tmp_path / "out"
    loop_thread = threading.get_ident()  # asyncio.run runs the loop in this thread
    written: list[tuple[str, bool, bool]] = []  # (article, off the loop thread, its row done when written)
    write = pipeline.write_atomic

    def noting(path: Path, data: str | bytes) -> None:
        with Store.open(out / "factsheet.sqlite") as store:  # a second connection sees only committed rows
            done = [r["status"] for r in store.query("SELECT status FROM articles WHERE id = ?", (path.stem,))]
        written.append((path.stem, threading.get_ident() != loop_thread, done == ["done"]))
        if path.stem.startswith("002_"):
            raise OSError(28, "No space left on device")
        write(path, data)

    monkeypatch.setattr(pipeline, "write_atomic", noting)
    report = run(list(discover([str(mixed_folder)])), FakeBackend(), RunOptions(out_dir=out))
    seeds = {p.stem for p in mixed_folder.glob("*.txt")} - {"empty", "gbk"}
    assert {name for name, _, _ in written} == seeds
    assert all(off_loop and committed for _, off_loop, committed in written)
    errors = {r.source.id: r.error for r in report.failed}
    assert errors["002_04d536c7ce22d398"] == "cannot write its sheet: No space left on device"
    assert not (out / "002_04d536c7ce22d398.json").exists()
    assert all((out / f"{name}.json").exists() for name in seeds - {"002_04d536c7ce22d398"})
