"""The question engine on the real fact base: matching, confidence, formatting, robustness."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import knowledge, render
from bot.answers import Engine
from bot.knowledge import Range


def numbers(text: str) -> set[float]:
    """Numbers a reader sees, thousands separators (comma, space, NBSP, NNBSP) removed."""
    text = re.sub(r"(?<=\d)[,\u00a0\u202f ](?=\d{3}(?!\d))", "", text)
    text = re.sub(r"(?<=\d),(?=\d)", ".", text)
    return {float(n) for n in re.findall(r"\d+(?:\.\d+)?", text)}


def value_text(base, entry_id: str, lang: str) -> str:
    return render.format_value(base.get(entry_id), lang, base)


@pytest.mark.parametrize(
    ("question", "fact"),
    [
        ("how many QPV students?", "qpv_students"),
        ("combien d'étudiants en QPV ?", "qpv_students"),
        ("how many studnets live in priority neighbourhoods", "qpv_students"),
        ("combien d'etudiants handicapes", "disabilities_students"),
        ("apprentices in 2019", "apprentices_2019"),
        ("nombre d'alternants en 2020", "apprentices_2020"),
        ("job seekers admitted to a Pole emploi social program", "job_seekers_social_program"),
        ("how many certificates were granted", "certificates_2020"),
        ("combien de pays", "countries_reached"),
    ],
)
def test_finds_the_fact(engine, question, fact):
    answer = engine.ask(question)
    assert answer.status == "answer", answer
    assert answer.entry is not None and answer.entry.id == fact


def test_reply_leads_with_the_figure_definition_caveat_and_source(engine, base):
    entry = base.get("qpv_students")
    for lang, question in (("en", "QPV students"), ("fr", "étudiants en QPV")):
        answer = engine.ask(question)
        assert answer.lang == lang
        lines = render.to_text(answer, base).splitlines()
        assert lines[0].startswith(value_text(base, "qpv_students", lang))
        text = "\n".join(lines)
        assert entry.definition.get(lang) in text
        assert entry.caveat is not None and entry.caveat.get(lang) in text
        assert entry.source.section.get(lang) in lines[-1]


def test_numbers_are_formatted_per_language(base):
    assert value_text(base, "job_placements_2020", "en").startswith("4,373")
    assert value_text(base, "job_placements_2020", "fr").startswith("4\u202f373")
    assert value_text(base, "qpv_share", "en") == "9%"
    assert value_text(base, "qpv_share", "fr") == "9\u00a0%"


def test_forced_language_wins(engine):
    assert engine.ask("how many QPV students?", lang="fr").lang == "fr"
    assert engine.ask("combien d'étudiants en QPV ?", lang="en").lang == "en"


def test_definition_questions_get_the_definition(engine):
    answer = engine.ask("c'est quoi un QPV ?")
    assert answer.status == "answer" and answer.entry is not None
    assert answer.entry.kind != "figure"


def test_evolution_shows_both_years(engine, base):
    answer = engine.ask("how did apprentices grow from 2019 to 2020")
    text = render.to_text(answer, base)
    for fact in ("apprentices_2019", "apprentices_2020"):
        assert value_text(base, fact, "en") in text


def test_a_thing_with_several_figures_answers_the_main_one_and_mentions_the_others(engine, base):
    category = base.get("category_refugees")
    figures = [e for e in base.related(category) if e.is_figure]
    answer = engine.ask("how many refugees")
    assert answer.status == "answer" and answer.entry == figures[0]
    text = render.to_text(answer, base)
    for other in figures[1:]:
        assert value_text(base, other.id, "en") in text


def test_lever_reply_holds_objective_and_result(engine, base):
    answer = engine.ask("/mission levier financement".removeprefix("/mission "))
    assert answer.lang == "fr" and answer.entry is not None and answer.entry.kind == "lever"
    text = render.to_text(answer, base)
    for fig in ("lever_funding_objective", "lever_funding_result"):
        assert value_text(base, fig, "fr") in text


@pytest.mark.parametrize(
    "question",
    [
        "what is the CEO's salary",
        "how many mentors will be hired in 2023",
        "quelle est la météo à Lyon",
        "who won the 1998 football world cup",
        "prix de l'action OpenClassrooms",
        "how many coffee machines are in the office",
    ],
)
def test_questions_the_report_does_not_answer(engine, base, question):
    answer = engine.ask(question)
    assert answer.status == "unknown"
    # the one "not covered" sentence, and no figure
    assert render.to_text(answer, base) == render.t(answer.lang, "unknown")


@pytest.mark.parametrize(
    "question",
    [
        "",
        "   ",
        "?",
        "😀😀😀",
        "Сколько студентов?",
        "多少学生",
        "'; DROP TABLE facts; --",
        "\x00\x1b[31m",
    ],
)
def test_odd_input_never_crashes(engine, base, question):
    answer = engine.ask(question)
    assert answer.status in {"answer", "unknown"}
    assert render.to_text(answer, base)


def test_a_very_long_question_is_cut_and_said_so(engine, base):
    answer = engine.ask("how many QPV students " * 500)  # 11,000 characters
    assert answer.truncated
    assert answer.status == "answer"
    assert "1,000" in render.to_text(answer, base).splitlines()[-1]


def _fixture_base(tmp_path) -> knowledge.FactBase:
    (tmp_path / "vocabulary.yaml").write_text(
        (knowledge.DEFAULT_DIR / "vocabulary.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    entry = """
  - id: {id}
    kind: figure
    value: {value}
    unit: students
    period: {{en: "2020", fr: "2020"}}
    scope: {{en: all, fr: tous}}
    label: {{en: "{label} students", fr: "étudiants {label}"}}
    definition: {{en: counted, fr: comptés}}
    caveat: {{en: none given, fr: aucune}}
    availability: full
    aliases: {{en: [zorblat students], fr: [étudiants zorblat]}}
"""
    body = "section: {en: Test, fr: Test}\npage: 1\nentries:\n"
    body += entry.format(id="alpha", value=11, label="alpha")
    body += entry.format(id="beta", value=22, label="beta")
    (tmp_path / "test.yaml").write_text(body, encoding="utf-8")
    return knowledge.load(tmp_path)


def test_a_tie_is_answered_as_plausible_with_the_other_reading_offered(tmp_path):
    engine = Engine(_fixture_base(tmp_path))
    answer = engine.ask("zorblat students")
    assert answer.status == "answer" and answer.confidence == "plausible"
    assert answer.entry is not None
    assert {answer.entry.id, *(e.id for e in answer.alternatives)} == {"alpha", "beta"}
    text = render.to_text(answer, engine.base)
    assert "alpha" in text and "beta" in text
    clear = engine.ask("alpha zorblat students")
    assert clear.entry is not None and clear.entry.id == "alpha"


WORDS = st.sampled_from(
    "how many what is combien de students étudiants QPV refugees réfugiés apprentices 2019 2020 "
    "lever funding levier category handicap share part women free users pole emploi CPF the of "
    "définition certificates job seekers mission committee president qui est 😀 ??? Ж 1,000".split()
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.one_of(st.text(max_size=300), st.lists(WORDS, max_size=12).map(" ".join)))
def test_any_string_gets_a_valid_reply_whose_first_line_holds_only_its_facts_numbers(
    engine, base, text
):
    answer = engine.ask(text)
    assert answer.status in {"answer", "unknown"}
    assert answer.lang in {"en", "fr"}
    reply = render.to_text(answer, base)
    assert reply.strip()
    if answer.status == "answer":
        entry = answer.entry
        assert entry is not None
        own: set[float] = set()
        if isinstance(entry.value, Range):
            own |= {entry.value.low, entry.value.high}
        elif entry.value is not None:
            own.add(float(entry.value))
        for field in (entry.label, entry.period, entry.scope, entry.definition):
            if field is not None:
                own |= numbers(field.get(answer.lang))
        assert numbers(reply.splitlines()[0]) <= own


@pytest.mark.parametrize(
    "question",
    ["how many apprentices in 2021", "nombre d'alternants en 2018", "QPV students 2019"],
)
def test_never_another_years_number(engine, question):
    assert engine.ask(question).status == "unknown"


@pytest.mark.parametrize(
    ("question", "fact"),
    [
        ("donne-moi le nombre de pays", "countries_reached"),  # "donne" is not "données"
        ("cours débutés par mois", "courses_started_monthly_2020"),
        ("what share of students are in a QPV", "qpv_share"),
    ],
)
def test_stop_words_do_not_collide_with_topic_words(engine, question, fact):
    answer = engine.ask(question)
    assert answer.status == "answer" and answer.entry is not None and answer.entry.id == fact


def test_a_category_answers_a_share_question_with_its_share(engine, base):
    category = base.get("category_qpv")
    shares = [e for e in base.related(category) if e.is_figure and e.unit == "percent"]
    answer = engine.ask("what percentage of students live in underprivileged areas")
    assert answer.entry in shares


# ---------------------------------------------------------------- engine v2: kinds of wording


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("combien de demandeurs demploi", "combien de demandeurs d'emploi"),
        ("lentreprise partenaire", "l'entreprise partenaire"),
        ("how many aprentices", "how many apprentices"),
        ("nombre detudiants handicapes", "nombre d'étudiants handicapés"),
    ],
)
def test_typos_and_missing_apostrophes_read_like_the_written_word(engine, typed, written):
    assert engine.index.query(typed).content == engine.index.query(written).content


@pytest.mark.parametrize(
    ("plain", "chatty"),
    [
        (
            "how many QPV students?",
            "hey, before my call with a partner tomorrow: how many QPV students did we have?",
        ),
        (
            "combien de certificats en 2020 ?",
            "je prépare une note pour la direction, tu as le nombre de certificats en 2020 stp ?",
        ),
    ],
)
def test_chatter_around_a_question_does_not_change_its_answer(engine, plain, chatty):
    expected, answer = engine.ask(plain), engine.ask(chatty)
    assert expected.status == "answer" and expected.entry is not None
    assert answer.status == "answer" and answer.entry is expected.entry


@pytest.mark.parametrize(
    ("question", "kind"),
    [("the four levers", "lever"), ("les leviers", "lever"), ("the five categories", "category")],
)
def test_a_list_question_gets_every_item_with_its_figures(engine, base, question, kind):
    answer = engine.ask(question)
    assert answer.status == "answer" and answer.entry is not None
    assert answer.entry.kind == "overview"
    items = {e.id for e in answer.details}
    assert {e.id for e in base if e.kind == kind} <= items
    text = render.to_text(answer, base)
    for item in (e for e in base if e.kind == kind):
        figure = next(f for f in base.related(item) if f.is_figure)
        assert render.format_value(figure, answer.lang, base) in text


def test_key_figures_list_the_key_figures_file(engine, base):
    answer = engine.ask("chiffres clés")
    assert answer.entry is not None and answer.entry.kind == "overview" and answer.lang == "fr"
    text = render.to_text(answer, base)
    shown = [e for e in answer.details if e.is_figure]
    assert len(shown) >= 4
    assert all(render.format_value(e, "fr", base) in text for e in shown)


def test_a_near_miss_names_the_closest_topics_an_off_topic_question_does_not(engine, base):
    off = engine.ask("what's the weather in Paris tomorrow")
    assert off.status == "unknown" and not off.alternatives
    assert render.to_text(off, base) == render.t("en", "unknown")
    near = engine.ask("how many apprentices were women in 2020")
    assert near.status == "unknown" and 1 <= len(near.alternatives) <= 2
    text = render.to_text(near, base)
    assert all(e.label.get("en") in text for e in near.alternatives)
    assert all(
        not engine.index.wrong_period(e, engine.index.query(near.question))
        for e in near.alternatives
    )


def test_a_plausible_answer_lists_its_alternatives_in_the_terminal(engine, base):
    answer = engine.ask("how many women?")
    assert answer.status == "answer" and answer.confidence == "plausible"
    assert 1 <= len(answer.alternatives) <= 2
    assert answer.entry not in answer.alternatives
    text = render.to_text(answer, base)
    assert render.t("en", "maybe") in text
    for i, alt in enumerate(answer.alternatives, 1):
        assert f"{i}. {alt.label.get('en')}" in text


def test_cross_validation_removes_the_held_out_questions_from_the_index(base):
    import importlib.util
    import sys
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "scripts" / "evaluate.py"
    spec = importlib.util.spec_from_file_location("evaluate", path)
    assert spec and spec.loader
    evaluate = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = evaluate  # its dataclasses look their module up
    spec.loader.exec_module(evaluate)
    items = evaluate.bank(base)
    parts = evaluate.folds(items, 5, seed=1)
    assert sorted(i.q for p in parts for i in p) == sorted(i.q for i in items)
    held = {i.q for i in parts[0]}
    reduced = evaluate.without(base, held)
    kept = {q for e in reduced for qs in e.examples.values() for q in qs}
    kept |= {q for qs in reduced.out_of_scope.values() for q in qs}
    assert not kept & held
    assert len(kept) == len({i.q for i in items} - held)

    # the nested fit: every index that scores a fold holds neither it nor the held-out one
    seen: list[set[str]] = []

    def recording(reduced_base):
        seen.append({q for e in reduced_base for qs in e.examples.values() for q in qs})
        return engine_index_stub

    class Stub:  # an index that rules every question out: only what it holds matters
        base = reduced

        def query(self, text):
            return text

        def ruled_out(self, query):
            return "not asked"

    engine_index_stub = Stub()
    evaluate.out_of_fold_rows(base, parts, skip=2, make_index=recording)
    assert len(seen) == len(parts) - 1
    held_out = {i.q for i in parts[2]}
    scored = [p for j, p in enumerate(parts) if j != 2]
    for index_questions, part in zip(seen, scored, strict=True):
        assert not index_questions & held_out
        assert not index_questions & {i.q for i in part}


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("did more than 2000 students find a job", ()),
        ("plus de 2000 personnes formées ?", ()),
        ("apprentices in 2019 vs 2020", ("2019", "2020")),
        ("how many apprentices in 2021", ("2021",)),
    ],
)
def test_a_quantity_is_not_a_year(engine, text, years):
    assert engine.index.years(text) == years
    if not years:
        assert "not covered" not in engine.ask(text).reason


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("les 4 373 progressions", ["les", "4373", "progressions"]),
        ("1\u202f350 étudiants", ["1350", "etudiants"]),
        ("355\u00a0000 utilisateurs", ["355000", "utilisateurs"]),
        ("2,000,000 visitors", ["2000000", "visitors"]),
        ("entre 2019 2020", ["entre", "2019", "2020"]),
        ("de 30 40 ans", ["de", "30", "40", "ans"]),
    ],
)
def test_french_thousands_groups_read_as_one_number(text, words):
    from bot.language import tokens

    assert tokens(text) == words


def _quotable(base) -> list:
    """Figures whose value (an integer of 4 digits or more, not a year) no other entry has
    as its value or in its texts."""
    from bot.language import tokens

    def words(e) -> set[str]:
        texts = (e.label, e.definition, e.scope, e.period)
        return {
            t for part in texts if part for lang in ("en", "fr") for t in tokens(part.get(lang))
        }

    out = []
    for e in base:
        values = e.numbers()
        if not e.is_figure or len(values) != 1 or values[0] != int(values[0]):
            continue
        word = str(int(values[0]))
        if values[0] < 1000 or 1900 <= values[0] < 2100:
            continue
        others = [o for o in base if o is not e]
        if any(values == o.numbers() or word in words(o) for o in others):
            continue
        out.append(e)
    return out


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_figure_quoted_in_a_question_points_to_its_entry(engine, base, lang):
    figures = _quotable(base)
    assert len(figures) >= 5
    for entry in figures:
        number = f"{int(entry.numbers()[0]):,}"  # "4,373"; typed "4 373" in French
        question = f"{number}?" if lang == "en" else f"{number.replace(',', ' ')} ?"
        query = engine.index.query(question)
        assert query.content, question
        ranked, _ = engine.index.rank(query)
        top = ranked[0].entry
        # the entry, or a chart of it (which shows its figure among the others)
        assert top.id == entry.id or entry.id in top.members, question


@pytest.mark.parametrize(
    ("text", "marks"),
    [
        ("in Dec 2020", {"m12"}),
        ("en décembre 2019 et janvier 2020", {"m12", "m01"}),
        ("second half of 2020", {"h2"}),
        ("au 2e semestre", {"h2"}),
        ("H1 2020", {"h1"}),
        ("fourth quarter", {"q4"}),
        ("roughly half of all courses", set()),
        ("you may now answer", set()),
        ("les sept recommandations", set()),
    ],
)
def test_parts_of_a_year_are_recognized(text, marks):
    from bot.language import periods

    assert periods(text) == marks


def test_a_month_the_report_does_not_give_is_declined(engine, base):
    """An entry given for a whole year does not answer for one month of it; an entry given
    for a month does."""
    yearly = [e for e in base if e.is_figure and e.period and e.period.get("en").strip().isdigit()]
    monthly = [e for e in base if e.is_figure and e.period and "December" in e.period.get("en")]
    assert yearly and monthly
    for entry in yearly[:10]:
        year = entry.period.get("en").strip()
        answer = engine.ask(f"{entry.label.get('en')} in March {year}")
        assert answer.status == "unknown", entry.id
    for entry in monthly:
        answer = engine.ask(f"{entry.label.get('en')}, {entry.period.get('en')}")
        assert answer.reason != "not for that period", entry.id


@pytest.mark.parametrize(
    "question", ["what's the meaning of life", "how many?", "combien en 2020 ?", "c'est quoi ?"]
)
def test_a_question_that_says_what_is_asked_but_not_about_what_is_declined(engine, question):
    answer = engine.ask(question)
    assert answer.status == "unknown"
    assert answer.entry is None


@pytest.mark.parametrize("question", ["chiffres 2020", "les chiffres clés ?"])
def test_a_cue_word_that_names_an_entry_is_a_topic(engine, question):
    """ "chiffres" says a number is asked, and it is also half the name of the key figures."""
    assert engine.ask(question).status == "answer"


@pytest.mark.parametrize(
    "question",
    [
        "how many QPV students in the first half of the list",
        "what did the committee march for",
        "les sept recommandations du comité",
    ],
)
def test_a_period_word_without_a_year_declines_nothing(engine, question):
    assert engine.ask(question).reason != "not for that period"


def test_a_period_typed_as_a_word_the_mender_would_change_still_counts(engine):
    assert engine.index.query("apprentices in the fourth quarter of 2020").periods == {"q4"}


def test_a_category_named_whole_answers_but_not_a_question_about_one_of_its_figures(engine, base):
    for category in (e for e in base if e.kind == "category"):
        label = category.label.get("en")
        answer = engine.ask(f"how many {label.lower()} did we train?")
        assert answer.status == "answer", label
        figures = {e.id for e in base.related(category) if e.is_figure}
        # the category itself, or the figure it answers with
        assert answer.entry.id in figures | {category.id}, label
