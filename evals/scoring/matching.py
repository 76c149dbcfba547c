"""One-to-one assignment of predicted to gold facts, maximising total similarity."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from evals.scoring.config import MATCH_THRESHOLD, PAIR_BONUS


@dataclass(frozen=True)
class Pair:
    gold: int  # row index
    pred: int  # column index
    similarity: float


def assign(sim: np.ndarray | Sequence[Sequence[float]], threshold: float = MATCH_THRESHOLD) -> list[Pair]:
    """Pairs (gold row, predicted column) maximising total similarity over pairs above `threshold`.

    Entries at or below the threshold are zeroed first, so a pair that cannot count never
    displaces one that can. Pairs come back sorted by gold row.
    """
    matrix = np.asarray(sim, dtype=float)
    if matrix.size == 0:
        return []
    allowed = matrix > threshold
    gain = np.where(allowed, matrix + PAIR_BONUS, 0.0)
    rows, cols = linear_sum_assignment(gain, maximize=True)
    return [Pair(int(r), int(c), float(matrix[r, c])) for r, c in zip(rows, cols, strict=True) if allowed[r, c]]


def greedy(sim: np.ndarray | Sequence[Sequence[float]], threshold: float = MATCH_THRESHOLD) -> list[Pair]:
    """Greedy matching (best remaining pair first): the yardstick the assignment must beat."""
    matrix = np.asarray(sim, dtype=float)
    if matrix.size == 0:
        return []
    order = sorted(((matrix[r, c], r, c) for r in range(matrix.shape[0]) for c in range(matrix.shape[1])), reverse=True)
    used_rows: set[int] = set()
    used_cols: set[int] = set()
    pairs = []
    for value, r, c in order:
        if value > threshold and r not in used_rows and c not in used_cols:
            used_rows.add(r)
            used_cols.add(c)
            pairs.append(Pair(r, c, float(value)))
    return sorted(pairs, key=lambda p: p.gold)


def total(pairs: Sequence[Pair]) -> float:
    return float(sum(p.similarity for p in pairs))
