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


def test_a_number_next_to_chinese_characters_is_read() -> None:
    assert value_problem(7.2, "%", "growth", ["福建省与“一带一路”沿线国家贸易额增长7.2%。"]) is None


def test_every_backend_loses_a_metric_whose_quote_does_not_state_its_value() -> None:
    from extract.grounding import check_values, ground_sheet
    from schemas import FactSheet

    text = "Xiamen ran 4,600 trains to Europe in 2020, officials said on Monday."
    quote = {"quote": text, "start": 0, "end": len(text)}
    metric = {"subject": "trains from Xiamen", "unit": "trains", "kind": "count", "evidence": [quote]}
    sheet = FactSheet.model_validate({"article": {"id": "a", "sha256": "0" * 64}, "provenance": {"backend": "t"},
                                      "metrics": [{**metric, "value": 4600}, {**metric, "value": 4_600_000}]})
    result = check_values(ground_sheet(text, sheet).sheet)
    assert [m.value for m in result.sheet.metrics] == [4600]
    assert result.sheet.provenance.dropped_facts == 1 and result.dropped[0].startswith("metrics: ")
