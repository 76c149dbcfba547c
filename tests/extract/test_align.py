"""The evidence aligner: typography is tolerated, nothing else; offsets are the original's."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from extract.align import FoldedText, Span, align, fold

SEEDS = {p.stem: p.read_text(encoding="utf-8") for p in sorted((Path(__file__).parents[2] / "seeds").glob("*.txt"))}
SEED_IDS = sorted(SEEDS)
PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FOLDED = {sid: FoldedText(text) for sid, text in SEEDS.items()}

# --- unit tests -------------------------------------------------------------------------


def found(text: str, quote: str, near: int | None = None) -> str | None:
    span = align(text, quote, near)
    return None if span is None else text[span.start : span.end]


@pytest.mark.parametrize(
    ("text", "quote", "expected"),
    [
        ("He said “Belt and Road” today.", 'said "Belt and Road" today', "said “Belt and Road” today"),
        ('He said "Belt and Road" today.', "said “Belt and Road” today", 'said "Belt and Road" today'),
        ("Fujian’s second route", "Fujian's second route", "Fujian’s second route"),
        ("Fujian's second route", "Fujian‘s second route", "Fujian's second route"),
        ("the China-Europe train", "the China–Europe train", "the China-Europe train"),
        ("the China—Europe train", "the China-Europe train", "the China—Europe train"),
        ("the China−Europe train", "the China‑Europe train", "the China−Europe train"),
        ("trade   grew\n\n  by 7.2%", "trade grew by 7.2%", "trade   grew\n\n  by 7.2%"),
        ("trade grew by 7.2%", "trade\tgrew\n by\u00a0 7.2%", "trade grew by 7.2%"),
        ("trade\u3000grew", "trade grew", "trade\u3000grew"),
        ("Wu\u200byishan Land Port", "Wuyishan Land Port", "Wu\u200byishan Land Port"),
        ("Wuyishan Land Port", "Wuyi\u200dshan\ufeff Land Port", "Wuyishan Land Port"),
        ("the ﬁrst train", "the first train", "the ﬁrst train"),
        ("ＲＣＥＰ members", "RCEP members", "ＲＣＥＰ members"),
        ("café culture", unicodedata.normalize("NFD", "café culture"), "café culture"),
        (unicodedata.normalize("NFD", "café culture"), "café culture", unicodedata.normalize("NFD", "café culture")),
        ("area 5 km²", "area 5 km2", "area 5 km²"),
        ("He said ″yes″.", 'said "yes"', "said ″yes″"),
        ("It´s here", "It's here", "It´s here"),
        ("发表时间:2020-01-21 14:48", "发表时间：2020-01-21 14:48", "发表时间:2020-01-21 14:48"),
        ("  leading and trailing  ", "  leading and trailing  ", "leading and trailing"),
    ],
)
def test_typography_is_tolerated(text, quote, expected):
    assert found(text, quote) == expected


@pytest.mark.parametrize(
    ("text", "quote"),
    [
        ("Belt and Road", "belt and road"),  # case
        ("Belt and Road", "Belt Road"),  # a missing word
        ("Belt and Road", "Belt and the Road"),  # an extra word
        ("Belt and Road", "Beltand Road"),  # white space removed is not a run of white space
        ("Belt and Road", "Belt  and  Roads"),
        ("increased by 7.2%", "increased by 7.3%"),
        ("4,600 trains", "4600 trains"),
        ("café", "cafe"),  # an accent is not typography
        (unicodedata.normalize("NFD", "café"), "cafe"),
        ("the ﬁrst", "the f"),  # half of a ligature is not a quote
        ("Road", "Road."),
        ("", "Road"),
        ("Road", ""),
        ("Road", "   \n "),
        ("Road", "\u200b\u200b"),
    ],
)
def test_anything_but_typography_is_not_matched(text, quote):
    assert align(text, quote) is None


def test_span_is_the_quote_as_it_stands():
    text = "A  “quoted”\u200b  phrase\u200b\n next."
    span = align(text, '"quoted" phrase')
    assert span == Span(3, 20)
    assert text[span.start : span.end] == "“quoted”\u200b  phrase"  # no trailing zero-width or space


def test_quote_occurring_twice_is_resolved_deterministically():
    text = "Trade grew. Later: Trade grew. Finally, Trade grew."
    spans = FoldedText(text).find_all("Trade grew")
    assert spans == [Span(0, 10), Span(19, 29), Span(40, 50)]
    assert align(text, "Trade grew") == Span(0, 10)  # without a hint: the first
    assert align(text, "Trade grew", near=20) == Span(19, 29)  # with one: the nearest
    assert align(text, "Trade grew", near=1000) == Span(40, 50)
    assert align(text, "Trade grew", near=0) == Span(0, 10)
    # Equally near two occurrences: the earlier one, every time.
    assert {align("ab..ab", "ab", near=2) for _ in range(5)} == {Span(0, 2)}


def test_overlapping_occurrences_are_all_found():
    assert FoldedText("aaaa").find_all("aa") == [Span(0, 2), Span(1, 3), Span(2, 4)]


def test_fold_is_what_quote_and_article_are_compared_in():
    assert fold("“A”  –\n‘b’\u200b") == "\"A\" - 'b'"
    assert fold("ﬁ") == "fi"
    assert fold("Belt") != fold("belt")


def test_folded_text_is_reusable_across_quotes():
    folded = FoldedText(SEEDS[SEED_IDS[0]])
    assert folded.find("China News Service") == Span(0, 18)
    assert folded.find("no such sentence in the article") is None


# --- property tests over the seed articles -----------------------------------------------

QUOTE_VARIANTS = {
    "'": "'’‘`′", "’": "'’‘", "‘": "'’‘", '"': '"“”„«»', "“": '"“”', "”": '"“”',
    "-": "-‐‑‒–—―−", "–": "-–—", "—": "-–—",
}
SPACE_RUNS = [" ", "  ", "\n", "\t", " \n ", "\n\n", "\u00a0", "\u3000", "\r\n", " \t\n  "]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]


@st.composite
def cut_span(draw, min_len: int = 1, max_len: int = 300) -> tuple[str, int, int]:
    """A span of a seed article, trimmed to non-space ends: (seed id, start, end)."""
    sid = draw(st.sampled_from(SEED_IDS))
    text = SEEDS[sid]
    start = draw(st.integers(0, len(text) - 1))
    end = min(len(text), start + draw(st.integers(min_len, max_len)))
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    assume(end - start >= min_len)
    return sid, start, end


@st.composite
def perturb(draw, span: str) -> str:
    """The span with its typography changed: quotes, dashes, white space, zero-width, normal forms."""
    out: list[str] = []
    for token in re.findall(r"\s+|\S", span):
        if token.isspace():
            out.append(draw(st.sampled_from(SPACE_RUNS)))
            continue
        if token in QUOTE_VARIANTS and draw(st.booleans()):
            token = draw(st.sampled_from(QUOTE_VARIANTS[token]))
        if draw(st.integers(0, 9)) == 0:
            token = draw(st.sampled_from(ZERO_WIDTH)) + token
        out.append(token)
    quote = "".join(out)
    form = draw(st.sampled_from([None, "NFC", "NFD", "NFKC", "NFKD"]))
    if form:
        quote = unicodedata.normalize(form, quote)
    if draw(st.booleans()):  # white space or zero-width around the quote as a model copies it
        quote = draw(st.sampled_from(["", " ", "\n", "\u200b"])) + quote + draw(st.sampled_from(["", " ", "\n"]))
    return quote


@PROPS
@given(data=st.data())
def test_perturbed_span_is_found_at_its_original_offsets(data):
    sid, start, end = data.draw(cut_span())
    text = SEEDS[sid]
    quote = data.draw(perturb(text[start:end]))
    span = FOLDED[sid].find(quote, near=start)
    assert span == Span(start, end), (text[start:end], quote)
    assert fold(text[span.start : span.end]) == fold(quote).strip(" ")


@PROPS
@given(data=st.data())
def test_exact_span_is_found_even_when_it_also_occurs_earlier(data):
    sid, start, end = data.draw(cut_span(max_len=12))
    text = SEEDS[sid]
    assert FOLDED[sid].find(text[start:end], near=start) == Span(start, end)
    first = FOLDED[sid].find(text[start:end])
    assert first is not None and first.start <= start


def _oracle(s: str) -> str:
    """An independent, cruder typography fold: used only to rule out accidental real matches."""
    s = unicodedata.normalize("NFKC", s)
    s = re.sub(r"[\u200b-\u200d\u2060\ufeff\u00ad]", "", s)
    s = re.sub(r"[‘’‚‛′`´]", "'", s)
    s = re.sub(r"[“”„‟″«»]", '"', s)
    s = re.sub(r"[‐‑‒–—―−]", "-", s)
    return re.sub(r"\s+", " ", s).strip()


ORACLE = {sid: _oracle(text) for sid, text in SEEDS.items()}
LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


@PROPS
@given(data=st.data())
def test_a_changed_letter_is_never_matched(data):
    sid, start, end = data.draw(cut_span(min_len=4, max_len=80))
    span = SEEDS[sid][start:end]
    positions = [i for i, ch in enumerate(span) if ch.isascii() and ch.isalpha()]
    assume(positions)
    i = data.draw(st.sampled_from(positions))
    replacement = data.draw(st.sampled_from([c for c in LETTERS if c != span[i]]))
    changed = span[:i] + replacement + span[i + 1 :]
    assume(_oracle(changed) not in ORACLE[sid])  # the changed text really is absent
    quote = data.draw(perturb(changed))
    assert FOLDED[sid].find(quote, near=start) is None, (span, quote)


@PROPS
@given(data=st.data())
def test_a_changed_case_is_never_matched(data):
    sid, start, end = data.draw(cut_span(min_len=3, max_len=80))
    span = SEEDS[sid][start:end]
    positions = [i for i, ch in enumerate(span) if ch.isalpha() and ch.swapcase() != ch]
    assume(positions)
    i = data.draw(st.sampled_from(positions))
    changed = span[:i] + span[i].swapcase() + span[i + 1 :]
    assume(_oracle(changed) not in ORACLE[sid])
    assert FOLDED[sid].find(changed, near=start) is None


SEED_ALPHABET = [*sorted(set("".join(SEEDS.values()))), "’", "—", "\u200b", "\n", "ﬁ"]


@PROPS
@given(sid=st.sampled_from(SEED_IDS), quote=st.text(alphabet=st.sampled_from(SEED_ALPHABET), min_size=1, max_size=6))
def test_every_returned_span_folds_to_the_quote(sid, quote):
    text = SEEDS[sid]
    span = FOLDED[sid].find(quote)
    if span is not None:
        got = text[span.start : span.end]
        assert fold(got) == fold(quote).strip(" ")
        assert got and not got[0].isspace() and not got[-1].isspace()


ODD_ALPHABET = [*"ab -'\"\n", "’", "“", "—", "\u200b", "\u00ad", "ﬁ", "é", "e\u0301", "\u0301", "²", "\u00a0", "Å"]


@settings(max_examples=300, deadline=None)
@given(text=st.lists(st.sampled_from(ODD_ALPHABET), max_size=30).map("".join),
       quote=st.lists(st.sampled_from(ODD_ALPHABET), min_size=1, max_size=6).map("".join),
       near=st.none() | st.integers(0, 40))
def test_soundness_on_odd_text(text, quote, near):
    """On text full of compatibility forms and accents, any span returned folds to the quote."""
    span = align(text, quote, near)
    if span is not None:
        assert 0 <= span.start < span.end <= len(text)
        assert fold(text[span.start : span.end]) == fold(quote).strip(" ")
        assert span in FoldedText(text).find_all(quote)


def _reference_fold(text: str) -> tuple[str, list[int], list[bool]]:
    """The fold one character at a time (the definition the fast, run-wise fold must agree with)."""
    from extract.align import _fold_char

    chars: list[str] = []
    origin: list[int] = []
    first: list[bool] = []
    for i, ch in enumerate(text):
        for j, c in enumerate(" " if ch.isspace() else _fold_char(ch)):
            if c.isspace():
                if chars and chars[-1] == " ":
                    continue
                c = " "
            chars.append(c)
            origin.append(i)
            first.append(j == 0)
    return "".join(chars), origin, first


WIDE_ALPHABET = [*ODD_ALPHABET, "\t", "`", "\u00a8", "\u2017", "\u3000", "中", "Ｒ", "\u2033", "\u00b4", "\x1c", "  ", "x y"]


@settings(max_examples=400, deadline=None)
@given(text=st.lists(st.sampled_from(WIDE_ALPHABET), max_size=40).map("".join))
def test_run_wise_fold_agrees_with_the_character_wise_definition(text):
    folded = FoldedText(text)
    positions = range(len(folded.folded))
    origin, first = [folded._origin(k) for k in positions], [k not in folded._not_first for k in positions]
    assert (folded.folded, origin, first) == _reference_fold(text)


def test_folded_text_is_cached_per_text():
    from extract.align import folded_text

    text = SEEDS[SEED_IDS[1]]
    assert folded_text(text) is folded_text(text)
    assert folded_text(text).folded == FoldedText(text).folded


def test_the_fold_cache_keeps_every_article_a_concurrent_run_has_in_progress():
    """An LLM run at --concurrency 16 has 32 articles in progress: grounding must find the fold (and the memo of
    checks) that the answer's validation made, not fold the article again."""
    from extract.align import clear_fold_cache, folded_text

    clear_fold_cache()
    texts = [f"{SEEDS[SEED_IDS[i % len(SEED_IDS)]]}\n\nCopy {i}.\n" for i in range(64)]
    first = [folded_text(text) for text in texts]
    assert all(folded_text(text) is fold for text, fold in zip(texts, first, strict=True))
    clear_fold_cache()
    assert folded_text(texts[0]) is not first[0]
