"""A model that answers as real ones do: faults code can repair cost no request at all."""

from __future__ import annotations

import pytest
from llm_helpers import GOLD_IDS, extract_one, seed
from llm_server import FACT_FAULTS, FakeLLM, Imperfect
from test_llm_faults import assert_gold

from extract.backends.llm.settings import LLMSettings

REPAIRABLE = tuple(f for f in FACT_FAULTS if f != "dropped_word")


@pytest.mark.parametrize(("mode", "habit"), [("TOOLS", "fence"), ("JSON_SCHEMA", "think"), ("JSON_SCHEMA", "fence")])
def test_repairable_faults_at_a_rate_give_the_perfect_sheets_in_one_request_each(
        fake_llm: FakeLLM, settings: LLMSettings, mode: str, habit: str) -> None:
    fake_llm.imperfect = Imperfect(rate=0.3, seed=7, habit=habit, faults=REPAIRABLE)
    for article_id in GOLD_IDS:
        article = seed(article_id)
        sheet = extract_one(settings.model_copy(update={"mode": mode}), article)
        assert_gold(article, sheet)
        assert sheet.provenance.usage.requests == sheet.provenance.chunks  # no re-ask, no retry
    assert sum(fake_llm.imperfect.counts.values()) >= 20 and len(fake_llm.imperfect.counts) >= 5
