"""A fact's kept merge state (extract/corpus_fact.py): adding, removing or changing one article of a fact that
many articles state updates the fact from that article's claims alone, and the files stay the bytes of a full
rebuild.

The sheets are invented: every article states the same metric (with different wordings of its subject), the
same project (with lists, statuses, timelines and dates that differ) and the same statement, so that the article
that goes or comes is sometimes the one whose fields are shown, the first to give a list value or a wording, or
the only one to give it.
"""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import pytest

from extract import corpus_fact
from extract.canonical import Canonicaliser
from extract.corpus import CORPUS_FILES, sheet_line, write_corpus
from extract.corpus_state import KEEP_MERGE_FROM, CorpusState, write_units
from schemas import ArticleMeta, Evidence, FactSheet, InfrastructureProject, Metric, PolicyStatement, Provenance

SUBJECTS = ["freight trains", "Freight trains", "China-Europe freight trains", "trains"]
PLACES = ["Xiamen", "Chongqing", "Fujian", "Duisburg"]
PARTNERS = ["COSCO", "Duisport", "the city"]
INITIATIVES = ["Belt and Road Initiative", "New International Land-Sea Trade Corridor"]


def ev(quote: str, start: int) -> list[Evidence]:
    return [Evidence(quote=quote, start=start, end=start + len(quote))]


def shared_sheet(rng: random.Random, article_id: str) -> FactSheet:
    """A sheet stating the corpus's shared facts, each with this article's own details."""
    linked = rng.random() < 0.3  # the first metric in the project's sentence: a link by span
    metrics = [Metric(subject=rng.choice(SUBJECTS), value=rng.choice([120, 120.0]), unit="trains", kind="count",
                      comparator=rng.choice(["eq", "approx"]), period="2020", location="Xiamen",
                      evidence=ev("The port sent 120 trains" + rng.choice([".", ""]), 0 if linked else 10))]
    if rng.random() < 0.5:  # a figure that disagrees: a conflict group
        metrics.append(Metric(subject=rng.choice(SUBJECTS), value=rng.choice([150, 90]), unit="trains", kind="count",
                              period="2020", location="xiamen", evidence=ev("It sent 150 trains.", 200)))
    projects = [InfrastructureProject(
        name=rng.choice(["Silk Road Port", "the Silk Road Port"]), kind="port",
        status=rng.choice(["planned", "under_construction", "operational", "unknown"]),
        locations=rng.sample(PLACES, rng.randint(0, 3)), partners=rng.sample(PARTNERS, rng.randint(0, 2)),
        initiatives=rng.sample(INITIATIVES, rng.randint(0, 2)), timeline=rng.choice([None, None, "2025", "2027"]),
        evidence=ev("The port sent 120 trains.", 0))]
    if rng.random() < 0.3:  # the same project twice in one sheet
        projects.append(InfrastructureProject(**{**projects[0].model_dump(), "status": "planned",
                                                 "evidence": ev("It is planned.", 400)}))
    statements = [PolicyStatement(actor="Wang Ning", kind="plan", summary="More trains for the Silk Road Port.",
                                  jurisdiction=rng.choice([None, "Fujian"]), venue=rng.choice([None, "a forum"]),
                                  initiatives=rng.sample(INITIATIVES, rng.randint(0, 2)), evidence=ev("We will.", 600))]
    meta = ArticleMeta(id=article_id, sha256=hashlib.sha256(article_id.encode()).hexdigest(),
                       published=rng.choice([None, "2019-01-01", "2021-06-01", "2023-03-01"]),
                       title=f"Article {article_id}", source=rng.choice([None, "Xinhua"]))
    return FactSheet(article=meta, metrics=metrics, infrastructure_projects=projects, policy_statements=statements,
                     provenance=Provenance(backend="test", created_at="2026-01-01T00:00:00Z"))


def files(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in CORPUS_FILES}


class Merges:
    """Counts the facts of KEEP_MERGE_FROM articles or more that an update merges again from all their claims
    (FactMerge.from_claims); the full rebuilds that check the files are not counted."""

    count = 0
    counting = False

    @classmethod
    def install(cls, monkeypatch: pytest.MonkeyPatch) -> type[Merges]:
        original = corpus_fact.FactMerge.from_claims.__func__  # type: ignore[attr-defined]

        def counted(merge: type[corpus_fact.FactMerge], key: str, claims: list) -> corpus_fact.FactMerge:  # type: ignore[type-arg]
            # a fact of fewer articles has no kept state: merged from its few claims, by design
            cls.count += cls.counting and len({x["a"] for x in claims}) >= KEEP_MERGE_FROM
            return original(merge, key, claims)

        monkeypatch.setattr(corpus_fact.FactMerge, "from_claims", classmethod(counted))
        cls.count = 0
        return cls


def built(tmp_path: Path, sheets: dict[str, FactSheet]) -> tuple[CorpusState, Path]:
    state = CorpusState.in_memory(Canonicaliser.default())
    out = tmp_path / "out"
    write_units(out, state, state.apply((), [("", sheet_line(s)) for s in sheets.values()]), None)
    return state, out


def update(tmp_path: Path, state: CorpusState, out: Path, sheets: dict[str, FactSheet], removed: list[str],
           added: list[FactSheet], name: str) -> None:
    """Apply the change to the state and the files, and check them against a full rebuild."""
    before = {file: state.layout(file) for file in CORPUS_FILES}
    Merges.counting = True
    try:
        changed = state.apply([*removed, *(s.article.id for s in added)], [("", sheet_line(s)) for s in added])
    finally:
        Merges.counting = False
    write_units(out, state, changed, before)
    for article in removed:
        del sheets[article]
    sheets.update({s.article.id: s for s in added})
    full = tmp_path / f"full-{name}"
    write_corpus(full, list(sheets.values()))
    assert files(out) == files(full), name


def test_one_more_article_of_a_fact_stated_by_many_merges_nothing_again(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(3)
    sheets = {f"a{i:03d}": shared_sheet(rng, f"a{i:03d}") for i in range(10, 70, 2)}
    state, out = built(tmp_path, sheets)
    merges = Merges.install(monkeypatch)
    update(tmp_path, state, out, sheets, [], [shared_sheet(rng, "a999")], "last")  # after every other article
    update(tmp_path, state, out, sheets, [], [shared_sheet(rng, "a041")], "middle")
    assert merges.count == 0  # each touched fact updated from the one article's claims
    update(tmp_path, state, out, sheets, [], [shared_sheet(rng, "a000")], "first")  # its fields are now shown
    assert merges.count == 0


def test_removing_or_changing_one_article_of_a_fact_stated_by_many(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(5)
    sheets = {f"a{i:03d}": shared_sheet(rng, f"a{i:03d}") for i in range(40)}
    state, out = built(tmp_path, sheets)
    merges = Merges.install(monkeypatch)
    update(tmp_path, state, out, sheets, ["a039"], [], "remove the last")
    update(tmp_path, state, out, sheets, ["a020"], [], "remove one in the middle")
    assert merges.count == 0  # their claims decided nothing that the others' claims must decide now
    update(tmp_path, state, out, sheets, ["a000"], [], "remove the first")
    assert merges.count >= 1  # its fields were shown: the facts are merged again from the others
    update(tmp_path, state, out, sheets, [], [shared_sheet(rng, "a017")], "change one")
    update(tmp_path, state, out, sheets, [], [shared_sheet(rng, "a001")], "change the first")
    merges.count = 0
    for article in sorted(sheets)[:0:-1]:  # down to the first article, then none
        update(tmp_path, state, out, sheets, [article], [], f"remove {article}")
    assert merges.count == 0  # the last article decides nothing another one states too
    update(tmp_path, state, out, sheets, sorted(sheets), [], "remove the last one")


def test_random_changes_of_a_fact_stated_by_many(tmp_path: Path) -> None:
    for seed in range(6):
        rng = random.Random(100 + seed)
        sheets = {f"a{i:03d}": shared_sheet(rng, f"a{i:03d}") for i in rng.sample(range(100), 25)}
        state, out = built(tmp_path / str(seed), sheets)
        for step in range(10):
            removed = rng.sample(sorted(sheets), rng.randint(0, 2))
            ids = [f"a{i:03d}" for i in rng.sample(range(100), rng.randint(0, 2))]
            added = [shared_sheet(rng, a) for a in ids if a not in removed]
            update(tmp_path / str(seed), state, out, sheets, removed, added, f"{seed}-{step}")


def test_a_merge_state_kept_by_another_version_is_merged_again_from_the_claims(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(9)
    sheets = {f"a{i:03d}": shared_sheet(rng, f"a{i:03d}") for i in range(20)}
    state, out = built(tmp_path, sheets)
    state.conn.execute("DELETE FROM corpus_members WHERE container = 'F'")  # no kept merge state
    merges = Merges.install(monkeypatch)
    update(tmp_path, state, out, sheets, [], [shared_sheet(rng, "a050")], "without")
    assert merges.count >= 3
    merges.count = 0
    update(tmp_path, state, out, sheets, [], [shared_sheet(rng, "a051")], "kept again")
    assert merges.count == 0
