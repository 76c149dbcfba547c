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


def test_a_quote_over_two_sentences_with_the_surname_after():
    text = ("Zhou Lan, director of the Hainan port authority, spoke on Monday.\n"
            '"We are proud of the new berths. They will make the island a gateway to the Pacific," Zhou said.')
    found = [s for s in statements(text) if s.actor == "Zhou Lan"]
    assert found
    quote = found[-1].evidence[0].quote
    assert quote.startswith('"We are proud') and quote.endswith("Zhou said.")
    assert found[-1].actor_role and "director" in found[-1].actor_role


def test_a_pronoun_after_the_quote_is_the_last_speaker():
    text = ('"The corridor is a bridge between two seas," said Omar Haddad, a minister of Jordan.\n'
            '"Our cooperation will deepen every year," he added.')
    assert [s.actor for s in statements(text)] == ["Omar Haddad", "Omar Haddad"]


def test_a_body_named_after_the_position():
    text = "The new corridor will help inland provinces reach the sea faster, the NDRC said on Thursday."
    (s,) = statements(text)
    assert s.actor == "NDRC"


def test_a_spokesperson_for_a_body_speaks_for_the_body():
    text = ("The railway has played an important role in keeping supply chains stable, a spokesperson for "
            "the Ministry of Transport said.")
    (s,) = statements(text)
    assert s.actor == "Ministry of Transport"


def test_according_to_a_person_named_before():
    text = ("Li Wen, general manager of a Tianjin shipping firm, visited the port.\n"
            "According to Li, the firm will open two new routes to Africa next year.")
    assert [s.actor for s in statements(text)][-1] == "Li Wen"


def test_a_data_source_is_not_read_as_a_plan_source():
    text = "According to the plan, 300 trains will leave the hub this year."
    assert all(s.actor.lower() != "the plan" for s in statements(text))


def test_a_passive_was_proposed_by_has_no_speaker_in_its_subject():
    text = "The Belt and Road Initiative was proposed by President Xi Jinping in 2013."
    assert all(not s.actor.startswith("Belt") for s in statements(text))


def test_he_added_goes_on_with_the_same_position():
    text = ("Omar Haddad, a minister of Jordan, said the corridor is a bridge between two seas. "
            "He added that the corridor has brought jobs to the whole region.")
    (s,) = statements(text)
    assert s.actor == "Omar Haddad" and len(s.evidence) == 2


def test_an_acronym_speaker_takes_the_name_it_stands_for():
    text = ("The Ministry of Commerce (MOFCOM) held a briefing on Monday.\n"
            "The new zones have become an important platform for trade, MOFCOM said.")
    assert [s.actor for s in statements(text)] == ["Ministry of Commerce"]


def test_she_after_a_body_is_the_woman_named_before():
    text = ("Lin Yue, a spokesperson for the ministry, said the corridor is a vital link for the region.\n"
            "The ministry said the corridor has become a model of cooperation.\n"
            "She noted that the corridor has brought real benefits to farmers.")
    assert statements(text)[-1].actor == "Lin Yue"


def test_capitalised_acronyms_name_initiatives():
    text = "Omar Haddad, a minister of Jordan, said BRI projects have become a model of cooperation."
    (s,) = statements(text)
    assert s.initiatives == ["Belt and Road Initiative"]


def test_a_nationality_in_the_title_is_the_jurisdiction():
    text = "Hungarian Foreign Minister Peter Szabo said on Monday that the line would help the whole region."
    (s,) = statements(text)
    assert (s.actor, s.jurisdiction) == ("Peter Szabo", "Hungary")


def test_hailed_is_an_assessment_and_a_three_word_name_follows_a_title():
    text = "Vietnamese Deputy Prime Minister Tran Van Minh hailed the line as a milestone of cooperation."
    (s,) = statements(text)
    assert (s.actor, s.kind.value, s.jurisdiction) == ("Tran Van Minh", "assessment", "Vietnam")


def test_a_figure_reported_by_a_body_or_group_is_not_a_statement():
    text = "Exports to Laos rose 12 percent to 4 billion yuan in the first half, local customs authorities said."
    assert statements(text) == []


def test_a_participle_clause_after_the_speaker():
    text = ("Zhou Lan, director of the Hainan port authority, spoke on Monday.\n"
            '"The berths are a gateway to the sea," Zhou said at the ceremony, adding that more ships will come.')
    assert statements(text)[-1].actor == "Zhou Lan"


def test_a_described_speaker_is_the_person_named_later_with_that_role():
    text = ("The trains have played an important role, a spokesperson for the Foreign Ministry said on Wednesday.\n"
            "The service has grown in volume, said FM spokesperson Liu Qing at a press conference.")
    found = statements(text)
    assert [s.actor for s in found] == ["Liu Qing", "Liu Qing"]
    assert found[1].actor_role == "FM spokesperson"


def test_the_place_before_according_to_is_not_the_speaker():
    # "according to X" names its source after it: the country that ends the clause before it is no actor.
    text = "In future the train will also stop in Almaty, Kazakhstan, according to railway staff at the station."
    assert all(s.actor != "Kazakhstan" for s in statements(text))


def test_a_role_that_ends_with_a_company_suffix_keeps_the_speaker() -> None:
    from extract.backends.rules.speakers import speaker_candidates

    text = '"The line is busy," said Ana Lopez, manager of Andes Rail Logistics Co., Ltd.'
    found = list(speaker_candidates(text))
    assert found and found[0].who == "Ana Lopez"
    assert found[0].role.endswith("Co., Ltd")
