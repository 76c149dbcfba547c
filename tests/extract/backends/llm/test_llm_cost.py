"""Cost estimates from the price table (a data file)."""

from __future__ import annotations

import pytest

from extract.backends.llm.cost import Price, PriceTable, cost_note, estimate_cost, price_table
from schemas import Usage


def test_known_models_are_priced_per_million_tokens() -> None:
    table = PriceTable(currency="USD", per_tokens=1_000_000, models={"m": Price(1.0, 4.0), "m-large": Price(2.0, 8.0)})
    usage = Usage(requests=2, prompt_tokens=500_000, completion_tokens=250_000)
    assert estimate_cost("m", usage, table) == pytest.approx(1.5)
    assert estimate_cost("m-large-2025-01-01", usage, table) == pytest.approx(3.0)  # longest listed prefix
    assert estimate_cost("m-2025-01-01", usage, table) == pytest.approx(1.5)
    assert estimate_cost("llama3.1", usage, table) is None
    assert estimate_cost(None, usage, table) is None


def test_the_shipped_table_and_the_summary_note() -> None:
    assert "gpt-4o-mini" in price_table().models
    assert cost_note("gpt-4o-mini", Usage(prompt_tokens=1000, completion_tokens=1000)).startswith(", estimated cost 0.")
    assert cost_note("llama3.1:8b", Usage(prompt_tokens=1000)) == ""
