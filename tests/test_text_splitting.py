"""Long texts are split into messages Meta takes (4,096 characters each) without losing or
reordering a character, at the best boundary available."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botkit.whatsapp.builders import TEXT_LIMIT, EmptyText, Text, split_text, texts

WORDS = st.sampled_from(["fern", "cactus", "a", "Monstera", "ok", "🌱", "e\u0301te",
                         "👨‍👩‍👧", "🇩🇪🇫🇷", "x" * 30])
SEPARATORS = st.sampled_from([" ", " ", " ", ". ", "! ", "\n", "\n\n", "  ", "\t", "? "])
PROSE = st.lists(st.tuples(WORDS, SEPARATORS), max_size=400).map(
    lambda pairs: "".join(w + s for w, s in pairs))


def assert_kept_in_order(text: str, parts: list[str]) -> None:
    """The parts are consecutive pieces of ``text``; only whitespace lies between them."""
    position = 0
    for part in parts:
        found = text.find(part, position)
        assert found >= 0 and not text[position:found].strip(), (part, position)
        position = found + len(part)
    assert not text[position:].strip()


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(PROSE, st.text(max_size=600)), limit=st.integers(2, 120))
def test_every_character_is_kept_in_order_and_each_part_fits(text, limit):
    parts = split_text(text, limit)
    assert all(0 < len(part) <= limit and part.strip() for part in parts)
    assert_kept_in_order(text, parts)
    # A part is only blanks (and left out) when a run of blanks fills half a part, or at the
    # end; otherwise the parts joined are the text itself.
    longest_blank_run = max((len(run) for run in re.findall(r"\s+", text)), default=0)
    if text[-1:].strip() and longest_blank_run < limit // 2:
        assert "".join(parts) == text


@settings(max_examples=40, deadline=None)
@given(text=PROSE.filter(lambda t: t.strip()))
def test_at_metas_limit_prose_is_cut_between_words(text):
    long = (text + "\n\n") * (1 + 2 * TEXT_LIMIT // (len(text) + 2))
    parts = split_text(long)
    assert len(parts) >= 2
    assert all(len(part) <= TEXT_LIMIT for part in parts)
    assert_kept_in_order(long, parts)
    # Words are short, so there is always a space in the second half of a part to cut at.
    assert all(part[-1].isspace() for part in parts[:-1])
    assert [Text(part) for part in parts]  # each one a valid text message


def test_a_short_text_is_one_part():
    assert split_text("Hello there.") == ["Hello there."]
    assert [t.body for t in texts("Hello")] == ["Hello"]


def test_paragraphs_win_over_sentences_and_sentences_over_words():
    paragraph = "First paragraph. It has two sentences.\n\n"
    second = "Second one, much longer than the rest of it all together."
    assert split_text(paragraph + second, 70) == [paragraph, second]
    sentences = "One short sentence. Another sentence follows it here"
    assert split_text(sentences, 30) == ["One short sentence. ", "Another sentence follows it ",
                                         "here"]
    assert split_text("alpha beta gamma delta", 12) == ["alpha beta ", "gamma delta"]


def test_a_boundary_too_early_is_not_taken():
    text = "Hi.\n\n" + "word " * 30
    first = split_text(text, 60)[0]
    assert len(first) >= 30 and first.startswith("Hi.\n\nword")


def test_a_word_longer_than_the_limit_is_cut_between_characters():
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]


def test_no_cut_inside_an_emoji_sequence_or_an_accented_letter():
    family = "👨\u200d👩\u200d👧"
    parts = split_text("a" * 8 + family + "b" * 8, 10)
    assert all(not part.startswith("\u200d") and not part.endswith("\u200d") for part in parts)
    assert family in "".join(parts) and any(family in part for part in parts)
    accented = split_text("x" * 9 + "e\u0301" + "y" * 5, 10)
    assert accented[0] == "x" * 9 and accented[1].startswith("e\u0301")


def test_blank_text_is_refused():
    with pytest.raises(EmptyText):
        texts("  \n\t ")
    assert split_text("   ") == []
