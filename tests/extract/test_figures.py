"""A metric's value must be stated by its quote (extract.figures), for every backend."""

from __future__ import annotations

import pytest

from extract.figures import stated_numbers, value_problem
from extract.grounding import check_values, ground_sheet
from schemas import FactSheet


@pytest.mark.parametrize(("value", "quote"), [
    (34_300_000_000, "The export value was 34.3 billion yuan, up 98.2%."),
    (98.2, "The export value was 34.3 billion yuan, up 98.2%."),
    (4600, "the service has run more than 4,600 trains so far"),
    (-12, "Imports fell by 12 percent year on year in the period."),
    (10, "Ten new routes were opened to Europe last year."),
    (50, "Half of the goods went by rail to Central Asia."),
    (1_200_000, "handled 1.2 million TEUs of containers in the year"),
    (300_000, "a channel for ships of 0.3 million tons was dredged"),
    (3_730_000_000, "worth 25.12 billion yuan (about 3.73 billion U.S. dollars)"),
])
def test_values_written_in_any_form_are_stated(value: float, quote: str) -> None:
    assert value_problem(value, [quote]) is None


@pytest.mark.parametrize(("value", "quote"), [
    (34_300_000_000_000, "The export value was 34.3 billion yuan, up 98.2%."),  # 1000 times the quote
    (4700, "the service has run more than 4,600 trains so far"),
    (7, "Trade with the partner countries rose sharply in the period."),  # no number at all
])
def test_a_value_the_quote_does_not_hold_is_refused_with_how_to_fix_it(value: float, quote: str) -> None:
    problem = value_problem(value, [quote])
    assert problem is not None and "not stated by its quote" in problem and "base units" in problem


def test_numbers_inside_other_tokens_are_not_read() -> None:
    assert 2 not in stated_numbers("the G20 summit in Hangzhou")


def test_grounding_drops_a_metric_whose_quote_does_not_state_its_value() -> None:
    text = "Xiamen ran 4,600 trains to Europe in 2020, officials said on Monday."
    quote = {"quote": text, "start": 0, "end": len(text)}
    metric = {"subject": "trains from Xiamen", "unit": "trains", "kind": "count", "evidence": [quote]}
    sheet = FactSheet.model_validate({"article": {"id": "a", "sha256": "0" * 64}, "provenance": {"backend": "t"},
                                      "metrics": [{**metric, "value": 4600}, {**metric, "value": 4_600_000}]})
    result = check_values(ground_sheet(text, sheet).sheet)
    assert [m.value for m in result.sheet.metrics] == [4600]
    assert result.sheet.provenance.dropped_facts == 1 and "not stated by its quote" in result.dropped[0]


def test_a_number_next_to_chinese_characters_is_read() -> None:
    assert 7.2 in stated_numbers("福建省与“一带一路”沿线国家贸易额增长7.2%。")
