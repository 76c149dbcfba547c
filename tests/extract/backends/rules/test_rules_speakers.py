"""Statements whose speaker comes after the position, roles from titles, jurisdiction from the
role (issue #13), on invented sentences."""

from __future__ import annotations

from rules_helpers import sheet


def statements(text: str):
    return sheet(text).policy_statements


def test_a_direct_quote_with_the_speaker_after():
    text = ('"The new line halves the time to the coast," said Chen Jialin, deputy director of the '
            "Yunnan Provincial Development and Reform Commission.")
    (s,) = statements(text)
    assert s.actor == "Chen Jialin"
    assert s.actor_role and "deputy director" in s.actor_role
    assert s.jurisdiction == "Yunnan"
    assert s.kind.value == "assessment"


def test_according_to_a_named_body():
    text = "The bridge is scheduled to open by the end of 2026, according to the Kenya Railways Corporation."
    (s,) = statements(text)
    assert s.actor == "Kenya Railways Corporation"
    assert s.kind.value == "plan"


def test_a_title_before_a_name_gives_the_role_of_later_statements():
    text = ("Mayor Tang Weiguo presented the city's plan on Monday.\n"
            "Tang Weiguo said that the city will open 4 new cargo flights.")
    found = [s for s in statements(text) if s.actor == "Tang Weiguo"]
    assert found and found[-1].actor_role == "Mayor"


def test_an_economist_has_no_government_jurisdiction():
    text = '"Costs will fall," said Maria Petrova, an economist at a Sofia bank.'
    (s,) = statements(text)
    assert s.actor == "Maria Petrova"
    assert s.jurisdiction is None


def test_an_ambassador_speaks_for_the_country_in_the_title():
    text = "Aziz Karimov, Ambassador of Uzbekistan to China, said that trade will keep growing."
    (s,) = statements(text)
    assert s.jurisdiction == "Uzbekistan"
