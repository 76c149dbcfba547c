"""A sheet some part of which failed (provenance.failed_parts) is kept, and the next run extracts it again."""

from __future__ import annotations

from pathlib import Path

from extract.articles import Article, discover
from extract.backends.base import Backend
from extract.pipeline import RunOptions, RunReport, run
from schemas import Evidence, FactSheet, Metric, Provenance

TEXT = "Xiamen ran 1,200 freight trains to Europe in 2020, the port authority said.\n"


class PartlyFailing(Backend):
    """Reports its second part as failed for the first `failing` calls, then answers whole."""

    name = "partly"

    def __init__(self, failing: int) -> None:
        self.failing, self.calls = failing, 0

    async def extract(self, article: Article) -> FactSheet:
        self.calls += 1
        line = article.text.strip()
        extra = {"failed_parts": [{"part": 2, "of": 2, "start": 40, "end": 76, "reason": "no valid answer"}]} \
            if self.calls <= self.failing else {}
        return FactSheet(article=article.meta, provenance=Provenance(backend=self.name, **extra),
                         metrics=[Metric(subject="freight trains", value=1200, unit="trains", kind="count",
                                         period="2020", evidence=[Evidence(quote=line, start=0, end=len(line))])])


def run_with(folder: Path, out: Path, backend: Backend) -> RunReport:
    inputs = [str(folder.resolve())]
    return run(list(discover(inputs)), backend, RunOptions(out_dir=out, inputs=inputs))


def test_a_partial_sheet_is_written_and_retried_until_whole(tmp_path: Path) -> None:
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    (folder / "a.txt").write_text(TEXT, encoding="utf-8")
    backend = PartlyFailing(failing=1)
    first = run_with(folder, out, backend)
    assert first.counts["new"] == 1 and first.failed == []
    assert (out / "a.json").exists()  # the good part is kept meanwhile

    second = run_with(folder, out, backend)
    assert backend.calls == 2 and [r.reason for r in second.results if r.outcome != "unchanged"] == ["retry"]
    third = run_with(folder, out, backend)  # now whole: nothing more to do
    assert backend.calls == 2 and third.counts["unchanged"] == 1
