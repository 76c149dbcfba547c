"""Thresholds and similarity weights of the scorer, each with the reason for its value.

Similarities are in [0, 1]. A predicted and a gold fact may be paired only when their
similarity is above MATCH_THRESHOLD; the weights are chosen so that the fields SPEC names
first for each type decide whether a pair can form, and the others only break ties.
"""

from __future__ import annotations

# Two numbers agree when |a - b| <= REL_TOL * max(|a|, |b|). 1% absorbs rounding of
# "1.23 trillion" style figures and float noise, but not a wrong digit or scale (x10).
REL_TOL = 0.01
ABS_TOL = 1e-9  # so that 0 and -0.0 or 1e-12 agree

# A pair counts only when its similarity is strictly above this.
MATCH_THRESHOLD = 0.5

# Metrics: value and unit first (SPEC). Value alone (0.4) cannot make a pair, so two
# unrelated "7.2" figures elsewhere in an article stay apart; value plus unit (0.65), or
# value plus the same sentence (0.6), can. A wrong value in the right sentence with the
# right unit and period still pairs (0.25 + 0.2 + 0.075 + 0.075 = 0.6), so that a misread
# number is reported as a field error on `value` rather than as a miss plus a spurious fact.
METRIC_WEIGHTS = {"value": 0.4, "unit": 0.25, "evidence": 0.2, "period": 0.075, "location": 0.075}

# Projects: name (fuzzy) and kind first (SPEC); the evidence span breaks ties between
# similarly named projects. Names are compared on their distinctive words only, without
# the generic words below that say what kind of thing a project is, not which one
# ("Xiamen Port" and "Mawei Port" share "Port" and nothing else), and with plain edit
# similarity (the better of rapidfuzz ratio and token_sort_ratio), not WRatio, whose
# partial matching rates "china russia" against "china europe xiamen" at 0.86. Below
# PROJECT_NAME_MIN no pair forms at all, whatever kind and evidence say: two ports named
# in one sentence share both and are still different facts. 0.8 keeps "Sino Mongolia
# Russian Economic Corridor" with "China-Mongolia-Russia Economic Corridor" (0.9) and
# parts "Silk Road Shipping" from "Silk Road Flying" (0.76).
PROJECT_WEIGHTS = {"name": 0.55, "kind": 0.25, "evidence": 0.2}
PROJECT_NAME_MIN = 0.8
# Compared after rapidfuzz's default_process (lower case, punctuation to spaces).
GENERIC_NAME_WORDS = frozenset({
    "the", "of", "and", "in", "project", "projects", "port", "ports", "land", "railway", "railways", "rail", "high",
    "speed", "train", "trains", "freight", "express", "international", "line", "lines", "route", "routes", "service",
    "services", "station", "hub", "park", "zone", "corridor", "airport", "industrial", "base", "economic", "logistics",
    "infrastructure", "channel", "center", "centre",
})

# Statements: evidence overlap and actor (SPEC). Overlapping evidence alone (0.6) pairs,
# so a wrong actor is a field error; the actor counts 1 or 0 (same at STRING_MATCH),
# because fuzzy scores of two unrelated names are about 0.5, not 0; the summary only
# breaks ties between several statements drawn from one sentence.
STATEMENT_WEIGHTS = {"evidence": 0.6, "actor": 0.3, "summary": 0.1}

# Free-text fields (subject, name, actor, summary, ...) are compared with rapidfuzz's
# WRatio on lower-cased, punctuation-free text (0-100, scaled to 0-1). For field accuracy
# a string is right at or above this score: it forgives "Wang Ning" vs "Governor Wang
# Ning" and word order, not a different name.
STRING_MATCH = 0.85

# Added to the similarity of every pair above the threshold before the assignment, so that
# between matchings of equal total similarity the one with more pairs wins (deterministic
# counts, whatever the order of the facts). Too small to outweigh any real difference.
PAIR_BONUS = 1e-6


# Strict score: a matched pair counts only when these key fields are also right (issue #13):
# the fields an analyst filters by. Plain F1 says "the fact was found"; strict F1 says "found
# and filed under the right unit, status and period" (or kind and status, or kind).
STRICT_FIELDS = {
    "metrics": ("unit", "status", "period"),
    "infrastructure_projects": ("kind", "status"),
    "policy_statements": ("kind",),
}


def as_dict() -> dict[str, object]:
    """The settings, for the report (so a score can be traced to the rules it was made by)."""
    return {
        "rel_tol": REL_TOL,
        "match_threshold": MATCH_THRESHOLD,
        "metric_weights": METRIC_WEIGHTS,
        "project_weights": PROJECT_WEIGHTS,
        "project_name_min": PROJECT_NAME_MIN,
        "generic_name_words": sorted(GENERIC_NAME_WORDS),
        "statement_weights": STATEMENT_WEIGHTS,
        "string_match": STRING_MATCH,
        "strict_fields": {k: list(v) for k, v in STRICT_FIELDS.items()},
    }
