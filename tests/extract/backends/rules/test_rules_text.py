"""Sentence splitting: abbreviations, initials and decimals do not end a sentence; paragraphs always do."""

from __future__ import annotations

from extract.backends.rules.text import _is_abbreviation, sentences


def texts(text: str) -> list[str]:
    spans = sentences(text)
    assert all(text[s.start : s.end] == s.text for s in spans)
    return [s.text for s in spans]


def test_abbreviations_initials_and_decimals_do_not_end_a_sentence():
    text = ("Mr. Wang said trade with the U.S. grew 7.2% in Jan. this year. Dr. Li of No. 5 Co. agreed. "
            "J. K. Smith left! Was it so? Yes.")
    assert texts(text) == ["Mr. Wang said trade with the U.S. grew 7.2% in Jan. this year.",
                           "Dr. Li of No. 5 Co. agreed.", "J. K. Smith left!", "Was it so?", "Yes."]


def test_a_lower_case_word_after_a_full_stop_does_not_start_a_sentence():
    assert texts("Exports rose 5 pct. year on year. Imports fell.") == [
        "Exports rose 5 pct. year on year.", "Imports fell."]


def test_paragraphs_end_sentences_and_the_word_before_a_line_break_is_looked_at():
    assert texts("Trade grew\nBy 5%. Exports rose.\n\n  Second paragraph.") == [
        "Trade grew", "By 5%.", "Exports rose.", "Second paragraph."]
    # A paragraph that opens with a full stop: the word before it is the previous line's last one.
    assert _is_abbreviation("see Mr\n. Wang", 7) and not _is_abbreviation("see Mrs Wang\n. Li", 13)


def test_long_runs_of_letters_and_full_stops_split_as_before():
    text = "a" * 5000 + ". " + "B." * 3000 + " Next one."
    assert texts(text)[-1] == "Next one."
    assert _is_abbreviation("x " + "e.g", 5) and not _is_abbreviation("x egg", 5)


def test_sentences_by_paragraph_is_the_same_as_filtering(seed_texts):
    from extract.backends.rules.text import paragraphs, sentences_by_paragraph

    for text in [*seed_texts.values(), "", "One.\n\nTwo. Three.\n  \nFour"]:
        paras, sents = paragraphs(text), sentences(text)
        assert sentences_by_paragraph(paras, sents) == [[s for s in sents if p.start <= s.start < p.end] for p in paras]


def test_sentences_glued_without_a_space_are_split():
    # Scraped pages lose the space between sentences; abbreviations and initials still do not end one.
    text = 'Officials said.The line carried 400 containers.\"We will add more,\" he said. Mr.Li met the U.S.Envoy.'
    assert [s.text for s in sentences(text)] == [
        "Officials said.", "The line carried 400 containers.", '"We will add more," he said.',
        "Mr.Li met the U.S.Envoy."]


def test_a_company_suffix_ends_a_sentence_before_a_number_or_an_opening_word():
    text = "The line is run by Metro Rail Group Co., Ltd. Some 936,000 tonnes moved. Star Inc. 300 trains ran."
    assert [s.text for s in sentences(text)] == [
        "The line is run by Metro Rail Group Co., Ltd.",
        "Some 936,000 tonnes moved.",
        "Star Inc.",
        "300 trains ran.",
    ]
    # before a name or a lower-case word the suffix stays inside the sentence
    assert len(sentences("Metro Rail Co., Ltd. Chairman Li said the line opened.")) == 1
    assert len(sentences("Star Inc. announced the route.")) == 1


def test_a_line_broken_inside_a_date_stays_one_sentence():
    text = "The ship left the harbour on Sept.\n\n14 for Lagos, officials said.\n\nIt carried cars."
    assert texts(text) == ["The ship left the harbour on Sept.\n\n14 for Lagos, officials said.", "It carried cars."]
    assert texts("Exports grew.\n\n14 ships left.") == ["Exports grew.", "14 ships left."]
