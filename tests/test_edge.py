"""The edge (`bot.edge`): what adapters do to outside text before the engine sees it."""

from __future__ import annotations

import io
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.answers import Engine
from bot.edge import (
    KEEP_CHARS,
    LINE_BYTES,
    READ_CHARS,
    argv_text,
    json_line,
    question_text,
    read_line,
    writes_unicode,
)
from bot.matching import MAX_CHARS


def test_a_short_question_is_left_as_it_is():
    for text in ("", "  QPV  students ", "x" * KEEP_CHARS, "a\u2028b"):
        assert question_text(text) is text


def test_a_long_question_is_cut_to_what_the_engine_reads():
    text = "how   many\tQPV students " * 5000
    cut = question_text(text)
    assert len(cut) == KEEP_CHARS
    assert cut.startswith("how many QPV students how many")  # whitespace made single spaces


def test_only_the_start_of_a_huge_text_is_looked_at():
    assert question_text(" " * READ_CHARS + "QPV" * 10_000) == ""


WORDS = st.sampled_from(
    [
        "how",
        "many",
        "QPV",
        "students",
        "combien",
        "réfugiés",
        "2020",
        "2019",
        "share",
        "of",
        "lever",
        "funding",
        "what",
        "is",
        "a",
        "the",
        "x" * 30,
        "étudiants",
        "?",
        "help",
        "déjà",
    ]
)
SPACES = st.sampled_from([" ", "  ", "\t", " \n ", "\u00a0", "\u2028"])


@settings(max_examples=40, deadline=None)
@given(words=st.lists(st.tuples(WORDS, SPACES), min_size=150, max_size=700))
def test_the_engine_answers_the_cut_question_as_it_answers_the_whole(engine: Engine, words):
    text = "".join(word + space for word, space in words)
    cut = question_text(text)
    assert len(cut) <= KEEP_CHARS
    whole, part = engine.ask(text, lang="en").to_dict(), engine.ask(cut, lang="en").to_dict()
    del whole["question"], part["question"]
    assert part == whole
    assert whole["truncated"] == (len(" ".join(text.split())) > MAX_CHARS)


def test_a_line_is_read_with_a_size_cap_and_the_rest_skipped():
    stream = io.BytesIO(b"first\r\n" + b"y" * (3 * LINE_BYTES) + b"\nQPV \xff\nlast")
    assert read_line(stream) == "first"
    long_line = read_line(stream)
    assert long_line is not None and len(long_line) == LINE_BYTES
    assert read_line(stream) == "QPV \ufffd"
    assert read_line(stream) == "last"
    assert read_line(stream) is None


def test_a_multibyte_character_cut_in_half_costs_one_replacement_at_most():
    stream = io.BytesIO("é".encode() * LINE_BYTES + b"\n")
    line = read_line(stream)
    assert line is not None and set(line) <= {"é", "\ufffd"} and line.count("\ufffd") <= 1
    assert len(question_text(line)) == KEEP_CHARS and "\ufffd" not in question_text(line)


def test_json_lines_hold_no_line_break_any_reader_splits_on():
    payload = {"question": "a\u2028b\u2029c\x85d\ne\rf\x0bg\x0ch\x1ci\x1dj\x1ek", "n": 1}
    line = json_line(payload)
    assert line.splitlines() == [line]
    assert json.loads(line) == payload
    assert "é" in json_line({"q": "é"})  # readable, unless the output cannot write it
    ascii_line = json_line({"q": "é\u2028"}, ascii_only=True)
    assert ascii_line.isascii() and json.loads(ascii_line) == {"q": "é\u2028"}


def test_command_line_bytes_become_text():
    assert argv_text("QPV \udcff students") == "QPV \ufffd students"  # how Python hands b"\xff"
    assert argv_text("réfugiés") == "réfugiés"


def test_which_encodings_write_any_character():
    assert writes_unicode("utf-8") and writes_unicode("UTF8") and writes_unicode("utf-16")
    assert not writes_unicode("ascii") and not writes_unicode("latin-1")
    assert not writes_unicode("no-such-codec") and not writes_unicode(None)
