"""The value check every backend's metrics pass: the quote must state the number in some written form."""

from __future__ import annotations

import pytest

from extract.figures import value_problem


@pytest.mark.parametrize(("value", "unit", "kind", "quote"), [
    (1200, "trains", "count", "It ran 1,200 trains."),
    (7.2, "%", "growth", "Trade rose 7.2% last year."),
    (-3, "%", "growth", "Exports were down 3% on the year."),
    (34.3e9, "CNY", "amount", "Investment reached 34.3 billion yuan."),
    (10.5, "days", "amount", "The trip takes ten-and-a-half days."),
    (50, "%", "share", "Private firms made up 50 percent of it."),
    (25, "countries", "count", "Twenty-five countries took part."),
])
def test_a_value_its_quote_states_in_any_written_form_passes(value: float, unit: str, kind: str, quote: str) -> None:
    assert value_problem(value, unit, kind, [quote]) is None


def test_a_value_its_quote_does_not_state_is_rejected_with_how_to_fix_it() -> None:
    problem = value_problem(34.3e12, "CNY", "amount", ["Investment reached 34.3 billion yuan."])
    assert problem is not None and "not stated by its quote" in problem and "base units" in problem
