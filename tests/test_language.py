"""Normalization, tokenization, stemming and language detection."""

from __future__ import annotations

import pytest

from bot.language import fold, stem, tokens


def test_fold_strips_case_accents_and_curly_apostrophes():
    assert fold("Étudiants Financés d’Île-de-France") == "etudiants finances d'ile-de-france"
    assert fold("ŒUVRE") == "oeuvre"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Combien d'étudiants QPV ?", ["combien", "d", "etudiants", "qpv"]),
        ("4,373 job placements", ["4373", "job", "placements"]),
        ("54,6 % and 3.5%", ["54.6", "%", "and", "3.5", "%"]),
        ("QPV, students. Done", ["qpv", "students", "done"]),
        ("😀🎉 !!!", []),
        ("Сколько студентов", ["сколько", "студентов"]),
        ("", []),
    ],
)
def test_tokens(text, expected):
    assert tokens(text) == expected


def test_stem_merges_plural_and_feminine_forms():
    assert stem("réfugiées".replace("é", "e")) == stem("refugies") == stem("refugie")
    assert stem("handicapes") == stem("handicap")
    assert stem("students") == stem("student")
    assert stem("2020") == "2020"
    assert stem("bus") == "bus"


@pytest.mark.parametrize(
    "question",
    [
        "qpv students",
        "how many refugees",
        "lever funding",
        "apprentices 2020",
        "what is a financed student",
        "studnets with disabilites",
        "share of women among free users",
        "who chairs the committee",
    ],
)
def test_detects_english(engine, question):
    assert engine.language(question, default="fr") == "en"


@pytest.mark.parametrize(
    "question",
    [
        "etudiants qpv",
        "combien de refugies",
        "levier notoriete",
        "alternants 2020",
        "c est quoi un etudiant finance",
        "etudiants handicapes",
        "part des femmes",
        "qui preside le comite",
        "définition QPV",
    ],
)
def test_detects_french(engine, question):
    assert engine.language(question, default="en") == "fr"


@pytest.mark.parametrize("question", ["QPV", "2020", "CPF?", "😀", ""])
def test_undecided_text_follows_the_default(engine, question):
    assert engine.language(question, default="fr") == "fr"
    assert engine.language(question, default="en") == "en"


@pytest.mark.parametrize("question", ["CPF ?", "PSE\u00a0?", "QPV 2020 !"])
def test_a_space_before_the_question_mark_is_french(engine, question):
    assert engine.language(question, default="en") == "fr"


def test_french_spacing_does_not_outweigh_english_words(engine):
    assert engine.language("how many QPV students ?", default="fr") == "en"
