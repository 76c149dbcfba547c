"""Long articles: chunks on paragraph and sentence boundaries, quotes mapped back, facts merged once."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from extract.backends.llm.chunking import Chunk, estimate_tokens, split_in_two, split_text
from extract.backends.llm.merge import merge_parts
from schemas import Evidence, InfrastructureProject, Metric

SENTENCE = "The port handled {n} containers in 2020, up {p}% on the year."


def article(paragraphs: int, sentences: int = 3) -> str:
    return "\n\n".join(" ".join(SENTENCE.format(n=i * 10 + j, p=j) for j in range(sentences)) for i in range(paragraphs))


def test_a_short_article_is_one_chunk() -> None:
    text = article(3)
    assert split_text(text, 3000) == [Chunk(0, len(text))]


def test_chunks_fit_the_budget_end_on_boundaries_and_cover_every_paragraph() -> None:
    text = article(20)
    chunks = split_text(text, 120)
    assert len(chunks) > 3
    assert [c.index for c in chunks] == list(range(len(chunks))) and {c.count for c in chunks} == {len(chunks)}
    for c in chunks:
        assert estimate_tokens(c.text(text)) <= 120
        assert c.text(text).endswith(".")  # a sentence or paragraph end
        assert c.start == 0 or text[c.start - 1].isspace()
    covered = [any(c.start <= i < c.end for c in chunks) for i, ch in enumerate(text) if not ch.isspace()]
    assert all(covered)


def test_a_short_boundary_paragraph_is_shared_by_both_chunks() -> None:
    text = "\n".join(f"Line {i} says {i} trains ran." for i in range(40))
    chunks = split_text(text, 60)
    assert all(a.start < b.start < a.end <= b.end for a, b in itertools.pairwise(chunks))


def test_a_paragraph_over_budget_splits_at_sentences_and_a_run_on_at_spaces() -> None:
    long_paragraph = article(1, sentences=12)
    chunks = split_text(long_paragraph, 60)
    assert all(c.text(long_paragraph).endswith(".") for c in chunks)
    run_on = " ".join(["word"] * 400)
    pieces = split_text(run_on, 50)
    assert all(estimate_tokens(c.text(run_on)) <= 50 and c.text(run_on).strip() == c.text(run_on) for c in pieces)
    assert " ".join(c.text(run_on) for c in pieces).split() == run_on.split()


@given(st.text(alphabet=st.sampled_from("ab .\n\u4e2d"), min_size=1, max_size=600), st.integers(min_value=5, max_value=80))
@settings(max_examples=60, deadline=None)
def test_every_character_lands_in_some_chunk(text: str, budget: int) -> None:
    chunks = split_text(text, budget)
    for i, ch in enumerate(text):
        assert ch.isspace() or any(c.start <= i < c.end for c in chunks)


def test_split_in_two_halves_at_a_boundary() -> None:
    text = article(4)
    halves = split_in_two(text, Chunk(0, len(text)))
    assert halves is not None
    first, second = halves
    assert first.start == 0 and second.end == len(text) and first.end <= second.start
    assert text[first.end : second.start].strip() == ""
    assert split_in_two("One sentence only", Chunk(0, 17)) is None


def metric(text: str, quote: str, value: float, subject: str = "containers") -> Metric:
    start = text.index(quote)
    return Metric(subject=subject, value=value, unit="containers", kind="count",
                  evidence=[Evidence(quote=quote, start=start, end=start + len(quote))])


def test_merge_keeps_a_fact_two_chunks_share_once_and_keeps_distinct_ones() -> None:
    text = "A. B handled 5 containers. C handled 7 containers."
    shared = metric(text, "B handled 5 containers.", 5)
    other = metric(text, "C handled 7 containers.", 7)
    merged = merge_parts([{"metrics": [shared]}, {"metrics": [shared.model_copy(update={"subject": "boxes"}), other]}])
    assert merged["metrics"] == [shared, other]


def test_merge_never_merges_facts_of_one_chunk() -> None:
    text = "B handled 5 containers."
    a, b = metric(text, text, 5), metric(text, text, 5, subject="other reading")
    assert len(merge_parts([{"metrics": [a, b]}])["metrics"]) == 2


def test_a_project_is_one_entry_per_article_with_the_evidence_of_both_chunks() -> None:
    text = "The Xiamen Port opened. Later, Xiamen Port linked Europe."
    first = InfrastructureProject(name="Xiamen Port", kind="port", evidence=[Evidence(quote="The Xiamen Port opened.",
                                                                                      start=0, end=23)],
                                  locations=["Xiamen"])
    second = InfrastructureProject(name="xiamen port", kind="port", status="operational", locations=["Europe"],
                                   evidence=[Evidence(quote="Later, Xiamen Port linked Europe.", start=24, end=len(text))])
    [merged] = merge_parts([{"infrastructure_projects": [first]}, {"infrastructure_projects": [second]}])[
        "infrastructure_projects"]
    assert [e.start for e in merged.evidence] == [0, 24]
    assert merged.locations == ["Xiamen", "Europe"] and merged.status.value == "operational"
