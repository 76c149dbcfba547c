"""The kept corpus state (extract/corpus_state.py): an update touches only what changed, and after
any sequence of updates the spliced files are the bytes of a full rebuild.

The sheets are invented and small, built to hit what an update must get right: one fact stated
by several articles (its first source removed), figures that disagree and agree, a project
whose name appears in an earlier metric's subject (project links found again), the same span
naming a project, places spelled differently, projects whose status moves with the dates.
"""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

from extract.canonical import Canonicaliser
from extract.corpus import CORPUS_FILES, sheet_line, write_corpus
from extract.corpus_state import CorpusState, write_units
from schemas import ArticleMeta, Evidence, FactSheet, InfrastructureProject, Metric, PolicyStatement, Provenance

PLACES = ["Xiamen", "xiamen", "Chongqing", "Fujian"]
PROJECTS = ["Silk Road Port", "The Silk Road Port", "Iron Corridor", "Silk Road Port Phase Two"]  # two spellings of one
SUBJECTS = ["freight trains", "Iron Corridor trains", "cargo on the Silk Road Port", "trade"]


def ev(quote: str, start: int) -> list[Evidence]:
    return [Evidence(quote=quote, start=start, end=start + len(quote))]


def random_sheet(rng: random.Random, article_id: str) -> FactSheet:
    metrics, projects, statements = [], [], []
    for i in range(rng.randint(0, 4)):
        subject = rng.choice(SUBJECTS)
        quote = f"The {subject} reached {i} units{rng.choice(['.', ''])}"
        metrics.append(Metric(subject=subject, value=rng.choice([10, 12, 50, 1e9]), unit="trains", kind="count",
                              comparator=rng.choice(["eq", "eq", "gt", "approx"]), period=rng.choice(["2020", None]),
                              location=rng.choice([*PLACES, None]), evidence=ev(quote, 100 * i)))
    for i in range(rng.randint(0, 2)):
        name = rng.choice(PROJECTS)
        start = rng.choice([0, 100 * i + 1000])  # sometimes the span of the first metric: a link by span
        projects.append(InfrastructureProject(
            name=name, kind="port", status=rng.choice(["planned", "operational", "unknown"]),
            locations=rng.sample(PLACES, rng.randint(0, 2)), timeline=rng.choice([None, "2025"]),
            evidence=ev(f"The {name} opened.", start)))
    for _ in range(rng.randint(0, 2)):
        statements.append(PolicyStatement(actor=rng.choice(["Wang Ning", "the ministry"]), kind="plan",
                                          summary=f"More ships for the {rng.choice(PROJECTS)}.",
                                          jurisdiction=rng.choice([None, *PLACES]), evidence=ev("We will.", 2000)))
    published = rng.choice([None, "2019-01-01", "2021-06-01", "2023-03-01"])
    meta = ArticleMeta(id=article_id, sha256=hashlib.sha256(article_id.encode()).hexdigest(), published=published,
                       title=f"Article {article_id}")
    return FactSheet(article=meta, metrics=metrics, infrastructure_projects=projects, policy_statements=statements,
                     provenance=Provenance(backend="test", created_at="2026-01-01T00:00:00Z"))


def files(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in CORPUS_FILES}


def test_random_updates_splice_the_bytes_of_a_full_rebuild(tmp_path: Path) -> None:
    canonicaliser = Canonicaliser.default()
    for seed in range(12):
        rng = random.Random(seed)
        state = CorpusState.in_memory(canonicaliser)
        out = tmp_path / f"out{seed}"
        sheets: dict[str, FactSheet] = {}
        for step in range(12):
            removed: list[str] = []
            added: dict[str, FactSheet] = {}
            for _ in range(rng.randint(1, 3)):
                op = rng.choice(["add", "add", "change", "remove"]) if sheets else "add"
                if op == "add":
                    article_id = f"a{rng.randint(0, 40):02d}"
                    added[article_id] = random_sheet(rng, article_id)
                elif op == "change":
                    article_id = rng.choice(sorted(sheets))
                    added[article_id] = random_sheet(rng, article_id)
                else:
                    removed.append(rng.choice(sorted(sheets)))
            removed = [a for a in dict.fromkeys(removed) if a not in added]
            before = {name: state.layout(name) for name in CORPUS_FILES} if step else None
            update = state.apply([*removed, *added], [("", sheet_line(s)) for s in added.values()])
            write_units(out, state, update, before)
            for article_id in removed:
                sheets.pop(article_id, None)
            sheets.update(added)
            full = tmp_path / f"full{seed}-{step}"
            write_corpus(full, list(sheets.values()), canonicaliser)
            assert files(out) == files(full), (seed, step)


def test_adding_one_article_makes_only_its_own_units_and_what_it_touches(tmp_path: Path) -> None:
    rng = random.Random(7)
    state = CorpusState.in_memory(Canonicaliser.default())
    sheets = [random_sheet(rng, f"a{i:02d}") for i in range(30)]
    write_units(tmp_path, state, state.apply((), [("", sheet_line(s)) for s in sheets]), None)
    before = {name: state.layout(name) for name in CORPUS_FILES}
    new = random_sheet(rng, "a99")
    update = state.apply((), [("", sheet_line(new))])
    assert set(update.texts["factsheets.jsonl"]) == {"aa99"}  # its own line, nothing else of that file
    touched = {unit[1:] for unit in update.texts["facts.jsonl"] if unit.startswith("f")}
    assert len(touched) <= len(new.metrics) + len(new.infrastructure_projects) + len(new.policy_statements)
    assert len(update.texts["facts.jsonl"]) < len(before["facts.jsonl"])
    write_units(tmp_path, state, update, before)
    full = tmp_path / "full"
    write_corpus(full, [*sheets, new])
    assert files(tmp_path) == files(full)
