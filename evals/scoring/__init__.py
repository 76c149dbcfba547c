"""The scorer (SPEC, Scoring): pure functions over FactSheets and article texts."""

from evals.scoring.matching import Pair, assign, greedy
from evals.scoring.metrics import Case, aggregate, score, score_article
from evals.scoring.report import OVERALL, ArticleResult, Counts, EvalReport

__all__ = ["OVERALL", "ArticleResult", "Case", "Counts", "EvalReport", "Pair", "aggregate", "assign", "greedy", "score",
           "score_article"]
