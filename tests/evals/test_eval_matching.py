"""Properties of the assignment: one to one, above threshold, order-free, optimal, never worse than greedy."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from evals.scoring.matching import assign, greedy, total

THRESHOLD = 0.5
# Similarities on a coarse grid, so that ties (the hard case) are common.
values = st.sampled_from([0.0, 0.2, 0.4, 0.5, 0.55, 0.6, 0.7, 0.8, 0.9, 1.0])
matrices = st.tuples(st.integers(0, 6), st.integers(0, 6)).flatmap(
    lambda shape: arrays(float, shape, elements=values))


@given(matrices)
def test_assignment_is_one_to_one_and_above_threshold(sim):
    pairs = assign(sim, THRESHOLD)
    assert len({p.gold for p in pairs}) == len(pairs) == len({p.pred for p in pairs})
    assert all(sim[p.gold, p.pred] > THRESHOLD for p in pairs)
    assert len(pairs) <= min(sim.shape)


@given(matrices, st.randoms(use_true_random=False))
def test_assignment_is_permutation_invariant(sim, rng):
    rows, cols = list(range(sim.shape[0])), list(range(sim.shape[1]))
    rng.shuffle(rows)
    rng.shuffle(cols)
    permuted = sim[np.ix_(rows, cols)] if sim.size else sim
    a, b = assign(sim, THRESHOLD), assign(permuted, THRESHOLD)
    assert abs(total(a) - total(b)) < 1e-9
    assert len(a) == len(b)


@given(matrices)
def test_assignment_is_never_worse_than_greedy(sim):
    assert total(assign(sim, THRESHOLD)) >= total(greedy(sim, THRESHOLD)) - 1e-9


@settings(max_examples=150)
@given(st.tuples(st.integers(0, 4), st.integers(0, 4)).flatmap(lambda s: arrays(float, s, elements=values)))
def test_assignment_is_optimal_against_brute_force(sim):
    n_rows, n_cols = sim.shape
    best = 0.0
    for k in range(min(n_rows, n_cols) + 1):
        for rows in itertools.combinations(range(n_rows), k):
            for cols in itertools.permutations(range(n_cols), k):
                best = max(best, sum(sim[r, c] for r, c in zip(rows, cols, strict=True) if sim[r, c] > THRESHOLD))
    assert abs(total(assign(sim, THRESHOLD)) - best) < 1e-9


def test_assignment_beats_greedy_where_greedy_goes_wrong():
    sim = np.array([[0.9, 0.8], [0.8, 0.0]])
    assert len(greedy(sim)) == 1
    assert {(p.gold, p.pred) for p in assign(sim)} == {(0, 1), (1, 0)}


def test_empty_sides_match_nothing():
    assert assign(np.zeros((0, 3))) == [] and assign(np.zeros((2, 0))) == [] and greedy([]) == []
