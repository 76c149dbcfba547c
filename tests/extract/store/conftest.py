"""Fixtures for the store tests: a folder of generated articles and a runner over FakeBackend."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from store_fakes import FakeBackend, write_articles

from extract.articles import discover
from extract.pipeline import RunOptions, RunReport, run

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # the kill test's wrapper script imports store_fakes too
    sys.path.insert(0, str(HERE))


@pytest.fixture
def articles(tmp_path: Path) -> Path:
    folder = tmp_path / "articles"
    write_articles(folder, 6)
    return folder


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "out"


RunFake = Callable[..., tuple[RunReport, FakeBackend]]


@pytest.fixture
def run_fake(articles: Path, out: Path) -> RunFake:
    """Run the pipeline over `articles` into `out` with a fresh FakeBackend; returns (report, backend)."""

    def runner(backend: FakeBackend | None = None, paths: list[Path] | None = None, **options: object
               ) -> tuple[RunReport, FakeBackend]:
        backend = backend or FakeBackend()
        inputs = [str(p.resolve()) for p in (paths or [articles])]  # as the CLI records them
        sources = list(discover(inputs))
        report = run(sources, backend, RunOptions(out_dir=out, inputs=inputs, **options))  # type: ignore[arg-type]
        return report, backend

    return runner
