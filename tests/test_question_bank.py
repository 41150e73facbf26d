"""The question bank: `knowledge/questions/*.yaml` and the entries' own `examples`.

Loader tests run on small fact bases built in tmp_path (the fixtures of test_knowledge);
the last tests check the real bank: every entry that answers questions has its examples,
and the out-of-scope bank is big enough to learn from.
"""

from collections import Counter

import pytest

from bot import knowledge
from bot.answers import Engine
from bot.knowledge import LANGS
from tests.test_knowledge import GL, GLOSSARY, KEY_FIGURES, KF, make_base

BANK = """\
# examples
job_placements:
  en:
    - "how many people found a job thanks to us?"
    - "placements last year"
  fr:
    - "combien de personnes ont trouvé un emploi ?"
out_of_scope:
  en:
    - "what is the capital of Spain?"
  fr:
    - "quelle est la capitale de l'Espagne ?"
"""


def with_bank(tmp_path, bank: str, name: str = "bank.yaml"):
    folder = make_base(tmp_path, {KF: KEY_FIGURES, GL: GLOSSARY})
    (folder / "questions").mkdir()
    (folder / "questions" / name).write_text(bank, encoding="utf-8")
    return folder


def test_bank_questions_become_examples_and_out_of_scope_questions(tmp_path):
    base = knowledge.load(with_bank(tmp_path, BANK))
    placements = base.get("job_placements")
    assert placements.examples["en"] == (
        "how many people found a job thanks to us?",
        "placements last year",
    )
    assert placements.examples["fr"] == ("combien de personnes ont trouvé un emploi ?",)
    assert base.out_of_scope == {
        "en": ("what is the capital of Spain?",),
        "fr": ("quelle est la capitale de l'Espagne ?",),
    }
    assert base.get("qpv_definition").examples == {}


def test_an_entry_may_carry_its_own_examples(tmp_path):
    text = KEY_FIGURES.replace(
        "    related: [job_placement]\n",
        '    related: [job_placement]\n    examples: {en: ["jobs found?"], fr: []}\n',
        1,
    )
    folder = make_base(tmp_path, {KF: text, GL: GLOSSARY})
    assert knowledge.load(folder).get("job_placements").examples["en"] == ("jobs found?",)


def test_an_unknown_entry_id_is_reported_with_file_and_line(tmp_path):
    bank = BANK + 'ghost_entry:\n  en: ["who?"]\n'
    folder = with_bank(tmp_path, bank)
    with pytest.raises(knowledge.KnowledgeError) as exc:
        knowledge.load(folder)
    line = bank.splitlines().index("ghost_entry:") + 1
    assert exc.value.problems == [
        f"questions/bank.yaml:{line}: ghost_entry: id: unknown entry id 'ghost_entry'"
    ]


@pytest.mark.parametrize(
    ("body", "what"),
    [
        ('job_placements:\n  en: "one question"\n', "examples.en: must be a list of questions"),
        ('job_placements:\n  en: ["ok", 12]\n', "examples.en: not a question: 12"),
        ('job_placements:\n  en: ["?!"]\n', "examples.en: not a question: '?!'"),
        ('job_placements:\n  de: ["wie viele?"]\n', "examples.de: unknown language"),
        ('job_placements: ["how many?"]\n', "examples: must have an en and/or a fr list"),
    ],
)
def test_a_badly_shaped_bank_entry_names_file_line_entry_and_field(tmp_path, body, what):
    folder = with_bank(tmp_path, body)
    with pytest.raises(knowledge.KnowledgeError) as exc:
        knowledge.load(folder)
    [problem] = exc.value.problems
    assert problem.startswith("questions/bank.yaml:1: job_placements: ")
    assert what in problem


def test_a_question_written_for_two_entries_is_refused(tmp_path):
    bank = BANK + 'job_placement:\n  en:\n    - "Placements  last year"\n'
    folder = with_bank(tmp_path, bank)
    with pytest.raises(knowledge.KnowledgeError) as exc:
        knowledge.load(folder)
    [problem] = exc.value.problems
    assert "job_placement: examples.en: 'Placements last year'" in problem
    assert "also a question of job_placements" in problem


def test_a_broken_bank_file_stops_the_load(tmp_path):
    folder = with_bank(tmp_path, "job_placements: [unclosed\n")
    with pytest.raises(knowledge.KnowledgeError) as exc:
        knowledge.load(folder)
    assert exc.value.problems[0].startswith("questions/bank.yaml:")


def test_the_matcher_learns_from_the_bank(tmp_path):
    """A wording no label or alias holds is answered once the bank holds a close one."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    plain = Engine(knowledge.load(make_base(tmp_path / "a", {KF: KEY_FIGURES, GL: GLOSSARY})))
    taught = Engine(
        knowledge.load(
            with_bank(
                tmp_path / "b",
                'job_placements:\n  en: ["how many people landed a new gig thanks to us"]\n',
            )
        )
    )
    question = "how many people landed a gig thanks to us?"
    before = plain.ask(question)
    assert before.entry is None or before.entry.id != "job_placements"
    answer = taught.ask(question)
    assert answer.status == "answer" and answer.entry is not None
    assert answer.entry.id == "job_placements"


# ---------------------------------------------------------------- the real bank

FEW = {"figure": 6, "lever": 6, "category": 6}  # other kinds: 3 per language


def test_every_entry_has_example_questions_in_both_languages(base):
    short = [
        (e.id, lang, len(e.examples.get(lang, ())))
        for e in base
        for lang in LANGS
        if len(e.examples.get(lang, ())) < FEW.get(e.kind, 3)
    ]
    assert not short


def test_the_out_of_scope_bank_covers_both_languages(base):
    counts = Counter({lang: len(base.out_of_scope.get(lang, ())) for lang in LANGS})
    assert sum(counts.values()) >= 300 and min(counts.values()) >= 150
