"""The comparisons the scorer is built from."""

from __future__ import annotations

import pytest

from evals.scoring.config import PROJECT_NAME_MIN
from evals.scoring.similarity import merge, name_similarity, numbers_agree, set_f1, span_overlap, text_similarity


@pytest.mark.parametrize(("a", "b", "agree"), [
    (1e11, 1.005e11, True), (1e11, 1e10, False), (7.2, 7.2, True), (-12, 12, False), (0, 0.0, True), (4600, 4650, False),
])
def test_numbers_agree_within_relative_tolerance(a, b, agree):
    assert numbers_agree(a, b) is agree


def test_span_overlap_is_shared_characters_over_the_shorter_evidence():
    assert span_overlap([(0, 100)], [(10, 20)]) == 1.0
    assert span_overlap([(0, 10)], [(5, 15)]) == 0.5
    assert span_overlap([(0, 10)], [(10, 20)]) == 0.0
    assert span_overlap([], [(0, 5)]) == 0.0
    assert span_overlap(merge([(0, 10), (5, 20), (30, 40)]), [(15, 35)]) == pytest.approx(10 / 20)


def test_set_f1_compares_names_by_key():
    assert set_f1([], []) == 1.0
    assert set_f1(["Xiamen"], ["xiamen"]) == 1.0
    assert set_f1(["Xiamen", "Fuzhou"], ["Xiamen"]) == pytest.approx(2 / 3)


def test_text_similarity_forgives_titles_and_order_not_other_names():
    assert text_similarity("Wang Ning", "Governor Wang Ning") >= 0.85
    assert text_similarity("Port of Xiamen", "Xiamen Port") >= 0.85
    assert text_similarity("Wang Ning", "Chen Shanming") < 0.85
    assert text_similarity(None, None) == 1.0 and text_similarity("x", None) == 0.0


@pytest.mark.parametrize(("a", "b", "same"), [
    ("Xiamen Port", "Mawei Port", False),
    ("Hefu High-speed Railway", "Shanghai-Kunming High-speed Railway", False),
    ("Silk Road Shipping", "Silk Road Flying", False),
    ("Thai Industrial Park", "Yarong Europe Industrial Base", False),
    ("China-Russia International Train", "China-Europe (Xiamen) train", False),
    ("Sino Mongolia Russian Economic Corridor", "China-Mongolia-Russia Economic Corridor", True),
    ("Xiamen Port", "Port of Xiamen", True),
    ("China-Europe (Xiamen) train", "China-Europe Railway Express (Xiamen)", True),
])
def test_project_names_are_compared_on_their_distinctive_words(a, b, same):
    assert (name_similarity(a, b) >= PROJECT_NAME_MIN) is same
