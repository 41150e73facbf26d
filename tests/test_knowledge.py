"""Schema tests of the fact base loader on small fact bases built in tmp_path.

Every fixture holds a copy of the real `knowledge/vocabulary.yaml` and one or two small
fact files written here. Broken fixtures must produce the exact problem line
`file:line: entry id: field: what is wrong`, and a broken base never loads half-way.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot import cli, knowledge
from bot.knowledge import KnowledgeError, Range, Source, Text

ROOT = Path(__file__).resolve().parents[1]
REAL_VOCABULARY = ROOT / "knowledge" / "vocabulary.yaml"

# Two valid fact files. Entries of key_figures.yaml take their source from the file
# header, except free_users_monthly which overrides it. glossary.yaml relates to an
# entry of key_figures.yaml and the other way round.
KEY_FIGURES = """\
# Key figures of 2020.
section:
  en: "Global impact: macro facts & figures for 2020"
  fr: "Impact : les chiffres clés de 2020"
page: 8

entries:
  - id: job_placements
    kind: figure
    value: 4373
    unit: placements
    period: {en: "2020", fr: "2020"}
    scope:
      en: "students who declared a positive career shift"
      fr: "étudiants ayant déclaré une progression professionnelle"
    label:
      en: "Students placed in the workforce"
      fr: "Étudiants ayant connu une progression professionnelle positive"
    definition:
      en: "Voluntary declarations of a new job, an apprenticeship, a promotion or a business."
      fr: "Déclarations volontaires d'un emploi, d'une alternance ou d'une promotion."
    caveat:
      en: "Only voluntary declarations are counted, so the figure is underestimated."
      fr: "Seules les déclarations volontaires sont comptées : le chiffre est sous-estimé."
    availability: declarative
    aliases:
      en: [job placements, placements]
      fr: [progressions professionnelles, placements]
    related: [job_placement]

  - id: free_users_monthly
    kind: figure
    value: {low: 300000, high: 400000}
    qualifier: about
    unit: users
    period: {en: "monthly average, 2020", fr: "moyenne mensuelle, 2020"}
    scope:
      en: "free users of the platform"
      fr: "utilisateurs gratuits de la plateforme"
    label:
      en: "  Free users every month  "
      fr: "Utilisateurs gratuits chaque mois"
    definition:
      en: "People who log in every month to follow a free course."
      fr: "Personnes qui se connectent chaque mois pour suivre un cours gratuit."
    caveat:
      en: "Only the reason to take a course is known about free users (declarative)."
      fr: "On ne connaît des utilisateurs gratuits que leur raison de suivre un cours (déclaratif)."
    availability: limited
    aliases:
      en: [free users]
      fr: [utilisateurs gratuits]
    note:
      en: "The table says 300-400K, the text around 300,000 to 400,000."
      fr: "Le tableau indique 300-400K, le texte entre 300 000 et 400 000."
    source:
      section: {en: "2021: leveraging learnings", fr: "2021 : les enseignements"}
      page: 17

  - id: women_share
    kind: figure
    value: 16
    unit: percent
    period: {en: "2020", fr: "2020"}
    scope: {en: "free users", fr: "utilisateurs gratuits"}
    label: {en: "Women among free users", fr: "Femmes parmi les utilisateurs gratuits"}
    definition: {en: "Share of women among free users.", fr: "Part des femmes inscrites."}
    caveat: {en: "Declared at registration.", fr: "Déclaré à l'inscription."}
    availability: declarative
    aliases: {en: [women, gender], fr: [femmes, genre]}
    related: [job_placements]

  - id: job_placement
    kind: definition
    label: {en: "Job placement", fr: "Progression professionnelle"}
    definition:
      en: "A positive career shift that a student credits to OpenClassrooms."
      fr: "Une progression professionnelle qu'un étudiant attribue à OpenClassrooms."
    aliases: {en: [job placement], fr: [progression professionnelle]}
    related: [job_placements]
"""

GLOSSARY = """\
section: {en: "Note on data availability", fr: "Note sur la disponibilité des données"}
page: 21

entries:
  - id: qpv_definition
    kind: definition
    label: {en: "QPV", fr: "QPV"}
    definition:
      en: "Quartier Prioritaire de la Ville: an urban area in need of revitalization."
      fr: "Quartier Prioritaire de la Ville : une zone urbaine à revitaliser."
    aliases: {en: [QPV, underserved areas], fr: [QPV, quartiers prioritaires]}
    related: [job_placements]
"""

KF = "key_figures.yaml"
GL = "glossary.yaml"


def make_base(tmp_path, files):
    """A fact base folder: the real vocabulary plus the given {file name: text}."""
    folder = tmp_path / "knowledge"
    folder.mkdir()
    shutil.copy(REAL_VOCABULARY, folder / "vocabulary.yaml")
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def line_of(text, needle, after=None):
    """1-based line of the first line holding `needle` (after the line holding `after`)."""
    lines = text.splitlines()
    start = 0
    if after is not None:
        start = next(i for i, line in enumerate(lines) if after in line) + 1
    for i in range(start, len(lines)):
        if needle in lines[i]:
            return i + 1
    raise AssertionError(f"{needle!r} not in fixture")


def entry_line(text, entry_id):
    return line_of(text, f"- id: {entry_id}")


def replace_once(text, old, new):
    assert text.count(old) == 1, f"{old!r} must occur once in the fixture"
    return text.replace(old, new)


def problems_of(tmp_path, files):
    folder = make_base(tmp_path, files)
    with pytest.raises(KnowledgeError) as exc:
        knowledge.load(folder)
    return exc.value.problems


def availability_levels():
    return ", ".join(yaml.safe_load(REAL_VOCABULARY.read_text(encoding="utf-8"))["availability"])


# ---------------------------------------------------------------- a valid base


@pytest.fixture
def base(tmp_path):
    return knowledge.load(make_base(tmp_path, {KF: KEY_FIGURES, GL: GLOSSARY}))


def test_valid_base_loads_every_entry_in_file_order(base):
    assert [e.id for e in base] == [
        "qpv_definition",
        "job_placements",
        "free_users_monthly",
        "women_share",
        "job_placement",
    ]
    assert len(base) == 5
    assert set(base.by_id) == {e.id for e in base}
    assert base.get("women_share") is base.by_id["women_share"]


def test_entry_fields(base):
    placements = base.get("job_placements")
    assert placements.kind == "figure" and placements.is_figure
    assert placements.value == 4373 and isinstance(placements.value, int)
    assert placements.qualifier == "exact"  # the default
    assert placements.unit == "placements"
    assert placements.period == Text("2020", "2020")
    assert placements.label == Text(
        "Students placed in the workforce",
        "Étudiants ayant connu une progression professionnelle positive",
    )
    assert placements.caveat.fr.startswith("Seules les déclarations volontaires")
    assert placements.availability == "declarative"
    assert placements.aliases == {
        "en": ("job placements", "placements"),
        "fr": ("progressions professionnelles", "placements"),
    }
    assert placements.note is None
    assert placements.file == KF
    assert placements.line == entry_line(KEY_FIGURES, "job_placements")
    assert placements.numbers() == [4373.0]


def test_range_value_and_qualifier(base):
    free = base.get("free_users_monthly")
    assert free.value == Range(300000, 400000)
    assert free.value.as_dict() == {"low": 300000, "high": 400000}
    assert free.numbers() == [300000, 400000]
    assert free.qualifier == "about"
    assert free.label.en == "Free users every month"  # texts are stripped
    assert free.note == Text(
        "The table says 300-400K, the text around 300,000 to 400,000.",
        "Le tableau indique 300-400K, le texte entre 300 000 et 400 000.",
    )


def test_percentage_is_kept_as_a_percentage(base):
    assert base.get("women_share").value == 16


def test_definitions_carry_no_value(base):
    definition = base.get("job_placement")
    assert definition.kind == "definition" and not definition.is_figure
    assert definition.value is None
    assert definition.unit is None and definition.caveat is None and definition.period is None
    assert definition.numbers() == []


def test_source_defaults_to_the_file_header(base):
    header = Source(
        Text("Global impact: macro facts & figures for 2020", "Impact : les chiffres clés de 2020"),
        8,
    )
    assert base.get("job_placements").source == header
    assert base.get("women_share").source == header
    assert base.get("qpv_definition").source.page == 21


def test_source_per_entry_override(base):
    assert base.get("free_users_monthly").source == Source(
        Text("2021: leveraging learnings", "2021 : les enseignements"), 17
    )


def test_related_entries_across_files(base):
    placements = base.get("job_placements")
    assert placements.related == ("job_placement",)
    assert base.related(placements) == [base.get("job_placement")]
    assert base.related(base.get("qpv_definition")) == [placements]
    assert base.related(base.get("free_users_monthly")) == []


def test_vocabulary_is_loaded(base):
    vocabulary = base.vocabulary
    assert {"students", "percent", "percent_change", "users", "placements"} <= set(vocabulary.units)
    assert vocabulary.units["percent"].percent
    assert vocabulary.units["percent_change"].signed
    assert {"full", "partial", "limited", "none"} <= set(vocabulary.availability)


def test_summary_counts_entries_by_file_and_kind(base):
    assert base.summary() == {
        GL: {"definition": 1},
        KF: {"figure": 3, "definition": 1},
    }


# ---------------------------------------------------------------- broken entries


def test_missing_french_text(tmp_path):
    text = replace_once(
        KEY_FIGURES,
        "      fr: \"Déclarations volontaires d'un emploi, d'une alternance"
        " ou d'une promotion.\"\n",
        "",
    )
    line = line_of(text, "definition:", after="- id: job_placements")
    assert problems_of(tmp_path, {KF: text, GL: GLOSSARY}) == [
        f"key_figures.yaml:{line}: job_placements: definition.fr: missing or empty"
    ]


def test_empty_french_text(tmp_path):
    text = replace_once(
        KEY_FIGURES,
        'label: {en: "Job placement", fr: "Progression professionnelle"}',
        'label: {en: "Job placement", fr: "   "}',
    )
    line = line_of(text, 'label: {en: "Job placement"')
    assert problems_of(tmp_path, {KF: text, GL: GLOSSARY}) == [
        f"key_figures.yaml:{line}: job_placement: label.fr: missing or empty"
    ]


def test_duplicate_id_in_another_file(tmp_path):
    glossary = replace_once(GLOSSARY, "- id: qpv_definition", "- id: women_share")
    glossary = replace_once(glossary, "related: [job_placements]", "related: []")
    first = entry_line(glossary, "women_share")
    duplicate = entry_line(KEY_FIGURES, "women_share")
    assert problems_of(tmp_path, {KF: KEY_FIGURES, GL: glossary}) == [
        f"key_figures.yaml:{duplicate}: women_share: id: duplicate (first at glossary.yaml:{first})"
    ]


def test_duplicate_id_in_the_same_file(tmp_path):
    text = replace_once(KEY_FIGURES, "- id: free_users_monthly", "- id: job_placements")
    first = entry_line(text, "job_placements")
    duplicate = line_of(text, "- id: job_placements", after="kind: figure")
    assert duplicate > first
    assert problems_of(tmp_path, {KF: text, GL: GLOSSARY}) == [
        f"key_figures.yaml:{duplicate}: job_placements: id: "
        f"duplicate (first at key_figures.yaml:{first})"
    ]


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("4,373", "'4,373'"),  # a thousands separator makes it a string in YAML
        ('"4373"', "'4373'"),  # quoted: a string
        ("9%", "'9%'"),
        ("true", "True"),
        ("", "None"),
    ],
)
def test_non_numeric_value(tmp_path, written, shown):
    text = replace_once(KEY_FIGURES, "value: 4373", f"value: {written}".rstrip())
    line = line_of(text, "value:", after="- id: job_placements")
    assert problems_of(tmp_path, {KF: text, GL: GLOSSARY}) == [
        f"key_figures.yaml:{line}: job_placements: value: "
        f"must be a number or a low/high range, not {shown}"
    ]


def test_range_with_low_above_high(tmp_path):
    text = replace_once(
        KEY_FIGURES, "value: {low: 300000, high: 400000}", "value: {low: 400000, high: 300000}"
    )
    line = line_of(text, "value: {low: 400000")
    assert problems_of(tmp_path, {KF: text, GL: GLOSSARY}) == [
        f"key_figures.yaml:{line}: free_users_monthly: value: low is greater than high"
    ]


@pytest.mark.parametrize(
    "written",
    ["{low: 300000}", "{low: 300000, high: many}", "{low: 1, high: 2, mid: 1.5}"],
)
def test_malformed_range(tmp_path, written):
    text = replace_once(KEY_FIGURES, "value: {low: 300000, high: 400000}", f"value: {written}")
    line = line_of(text, f"value: {written}")
    assert problems_of(tmp_path, {KF: text, GL: GLOSSARY}) == [
        f"key_figures.yaml:{line}: free_users_monthly: value: "
        "a range needs numeric low and high only"
    ]


def test_value_on_a_definition(tmp_path):
    text = replace_once(
        KEY_FIGURES,
        "    kind: definition\n",
        "    kind: definition\n    value: 4373\n",
    )
    line = line_of(text, "value: 4373", after="kind: definition")
    assert problems_of(tmp_path, {KF: text, GL: GLOSSARY}) == [
        f"key_figures.yaml:{line}: job_placement: value: "
        "only figures carry a value (kind is definition)"
    ]


def test_yaml_syntax_error_unclosed_quote(tmp_path):
    # Same message from the pure-Python and the libyaml loader. With no other quote
    # after it, the scanner notices the missing quote only at the end of the file.
    awareness = (
        'section: {en: "Awareness", fr: "Notoriété"}\npage: 31\nentries:\n'
        "  - id: emails_sent\n    kind: figure\n    value: 170000\n"
        '    label: {en: "Emails sent to job seekers, fr: Emails envoyés}\n'
    )
    last = len(awareness.splitlines()) + 1
    assert problems_of(tmp_path, {KF: KEY_FIGURES, GL: GLOSSARY, "awareness.yaml": awareness}) == [
        f"awareness.yaml:{last}: -: yaml: found unexpected end of stream"
    ]


def test_yaml_syntax_error_second_document(tmp_path):
    text = replace_once(KEY_FIGURES, "\n  - id: women_share", "\n---\n  - id: women_share")
    line = line_of(text, "---")
    assert problems_of(tmp_path, {KF: text, GL: GLOSSARY}) == [
        f"key_figures.yaml:{line}: -: yaml: but found another document"
    ]


def test_yaml_syntax_error_colon_in_plain_text(tmp_path):
    # The wording depends on the YAML loader (libyaml or pure Python); the line does not.
    text = replace_once(
        KEY_FIGURES,
        'scope: {en: "free users", fr: "utilisateurs gratuits"}',
        "scope: free users: all of them",
    )
    line = line_of(text, "scope: free users: all of them")
    prefix = f"key_figures.yaml:{line}: -: yaml: "
    assert problems_of(tmp_path, {KF: text, GL: GLOSSARY}) in (
        [prefix + "mapping values are not allowed here"],
        [prefix + "mapping values are not allowed in this context"],
    )


def test_unknown_unit(tmp_path):
    text = replace_once(KEY_FIGURES, "unit: placements", "unit: euros")
    line = line_of(text, "unit: euros")
    assert problems_of(tmp_path, {KF: text, GL: GLOSSARY}) == [
        f"key_figures.yaml:{line}: job_placements: unit: "
        "unknown unit 'euros' (add it to vocabulary.yaml)"
    ]


def test_figure_without_unit(tmp_path):
    text = replace_once(KEY_FIGURES, "    unit: placements\n", "")
    assert problems_of(tmp_path, {KF: text, GL: GLOSSARY}) == [
        f"key_figures.yaml:{entry_line(text, 'job_placements')}: job_placements: unit: missing"
    ]


def test_unknown_availability_level(tmp_path):
    text = replace_once(KEY_FIGURES, "availability: limited", "availability: complete")
    line = line_of(text, "availability: complete")
    assert problems_of(tmp_path, {KF: text, GL: GLOSSARY}) == [
        f"key_figures.yaml:{line}: free_users_monthly: availability: "
        f"must be one of {availability_levels()}"
    ]


def test_unknown_related_id(tmp_path):
    text = replace_once(
        KEY_FIGURES, "related: [job_placement]\n", "related: [job_placement, job_placements_2019]\n"
    )
    line = entry_line(text, "job_placements")
    assert problems_of(tmp_path, {KF: text, GL: GLOSSARY}) == [
        f"key_figures.yaml:{line}: job_placements: related: unknown id 'job_placements_2019'"
    ]


def test_related_naming_itself(tmp_path):
    text = replace_once(KEY_FIGURES, "related: [job_placement]\n", "related: [job_placements]\n")
    line = entry_line(text, "job_placements")
    assert problems_of(tmp_path, {KF: text, GL: GLOSSARY}) == [
        f"key_figures.yaml:{line}: job_placements: related: names itself"
    ]


def test_figure_without_caveat(tmp_path):
    text = replace_once(
        KEY_FIGURES,
        '    caveat: {en: "Declared at registration.", fr: "Déclaré à l\'inscription."}\n',
        "",
    )
    line = entry_line(text, "women_share")
    assert problems_of(tmp_path, {KF: text, GL: GLOSSARY}) == [
        f"key_figures.yaml:{line}: women_share: caveat: missing (needs en and fr)"
    ]


@pytest.mark.parametrize("missing", ["period", "scope", "availability"])
def test_figure_without_period_scope_or_availability(tmp_path, missing):
    lines = KEY_FIGURES.splitlines(keepends=True)
    start = entry_line(KEY_FIGURES, "women_share")
    index = next(i for i in range(start, len(lines)) if lines[i].startswith(f"    {missing}:"))
    text = "".join(lines[:index] + lines[index + 1 :])
    what = "missing" if missing == "availability" else "missing (needs en and fr)"
    assert problems_of(tmp_path, {KF: text, GL: GLOSSARY}) == [
        f"key_figures.yaml:{start}: women_share: {missing}: {what}"
    ]


def test_unknown_field(tmp_path):
    text = replace_once(
        KEY_FIGURES,
        "    availability: declarative\n    aliases: {en: [women",
        "    comment: check p. 9\n    availability: declarative\n    aliases: {en: [women",
    )
    line = line_of(text, "comment: check p. 9")
    assert problems_of(tmp_path, {KF: text, GL: GLOSSARY}) == [
        f"key_figures.yaml:{line}: women_share: comment: unknown field"
    ]


def test_misspelt_field_is_unknown_and_the_real_one_missing(tmp_path):
    text = replace_once(
        KEY_FIGURES,
        'label: {en: "Women among free users"',
        'lable: {en: "Women among free users"',
    )
    line = line_of(text, "lable:")
    assert problems_of(tmp_path, {KF: text, GL: GLOSSARY}) == [
        f"key_figures.yaml:{line}: women_share: lable: unknown field",
        f"key_figures.yaml:{entry_line(text, 'women_share')}: women_share: label: "
        "missing (needs en and fr)",
    ]


def test_unknown_kind_and_bad_id(tmp_path):
    text = replace_once(
        KEY_FIGURES,
        "- id: job_placement\n    kind: definition",
        "- id: Job-Placement\n    kind: term",
    )
    text = replace_once(text, "related: [job_placement]\n", "related: []\n")
    line = entry_line(text, "Job-Placement")
    kinds = ", ".join(knowledge.KINDS)
    assert problems_of(tmp_path, {KF: text, GL: GLOSSARY}) == [
        f"key_figures.yaml:{line}: Job-Placement: id: use lower-case letters, digits and _ only",
        f"key_figures.yaml:{line + 1}: Job-Placement: kind: must be one of {kinds}",
    ]


def test_entry_without_source_anywhere(tmp_path):
    glossary = "\n".join(GLOSSARY.splitlines()[3:]) + "\n"  # no section/page header
    assert glossary.startswith("entries:")
    line = entry_line(glossary, "qpv_definition")
    assert problems_of(tmp_path, {KF: KEY_FIGURES, GL: glossary}) == [
        f"glossary.yaml:{line}: qpv_definition: source: "
        "missing (no section/page at the top of the file either)"
    ]


def test_missing_aliases_language(tmp_path):
    text = replace_once(
        KEY_FIGURES,
        "aliases: {en: [women, gender], fr: [femmes, genre]}",
        "aliases: {en: [women, gender], fr: []}",
    )
    line = line_of(text, "aliases: {en: [women, gender], fr: []}")
    assert problems_of(tmp_path, {KF: text, GL: GLOSSARY}) == [
        f"key_figures.yaml:{line}: women_share: aliases.fr: needs a non-empty list"
    ]


def test_yaml_booleans_are_not_texts(tmp_path):
    # YAML reads an unquoted No / Yes / On / Off as a boolean: it must not become "False".
    text = replace_once(
        KEY_FIGURES,
        'label: {en: "Job placement", fr: "Progression professionnelle"}',
        'label: {en: No, fr: "Non"}',
    )
    text = replace_once(text, "aliases: {en: [job placement]", "aliases: {en: [job placement, off]")
    label = line_of(text, "label: {en: No")
    aliases = line_of(text, "aliases: {en: [job placement, off]")
    assert problems_of(tmp_path, {KF: text, GL: GLOSSARY}) == [
        f"key_figures.yaml:{label}: job_placement: label.en: must be text",
        f"key_figures.yaml:{aliases}: job_placement: aliases.en: empty or non-text alias False",
    ]


def test_invalid_entry_does_not_make_its_id_unknown(tmp_path):
    # A typo in job_placement must be reported once, not echoed as "unknown id" by
    # every entry that relates to it.
    text = replace_once(
        KEY_FIGURES,
        'label: {en: "Job placement", fr: "Progression professionnelle"}',
        'label: {en: "Job placement"}',
    )
    line = line_of(text, 'label: {en: "Job placement"}')
    assert problems_of(tmp_path, {KF: text, GL: GLOSSARY}) == [
        f"key_figures.yaml:{line}: job_placement: label.fr: missing or empty"
    ]


def test_duplicate_of_an_invalid_entry_is_reported_in_the_same_run(tmp_path):
    text = replace_once(KEY_FIGURES, "- id: free_users_monthly", "- id: job_placements")
    text = replace_once(text, "    unit: placements\n", "")
    first = entry_line(text, "job_placements")
    duplicate = line_of(text, "- id: job_placements", after="kind: figure")
    assert problems_of(tmp_path, {KF: text, GL: GLOSSARY}) == [
        f"key_figures.yaml:{first}: job_placements: unit: missing",
        f"key_figures.yaml:{duplicate}: job_placements: id: "
        f"duplicate (first at key_figures.yaml:{first})",
    ]


# ---------------------------------------------------------------- whole-base failures


def broken_files():
    """Three files, five problems: a YAML error, a missing French label, a bad value,
    an unknown unit and an unknown availability level."""
    awareness = 'section: {en: "Awareness", fr: "Notoriété"}\npage: 31\nentries:\n  - id: "emails\n'
    glossary = replace_once(GLOSSARY, 'label: {en: "QPV", fr: "QPV"}', 'label: {en: "QPV"}')
    figures = replace_once(KEY_FIGURES, "value: 4373", "value: 4 373")
    figures = replace_once(figures, "unit: users", "unit: visitors_per_month")
    figures = replace_once(
        figures,
        "availability: declarative\n    aliases: {en: [women",
        "availability: self_declared\n    aliases: {en: [women",
    )
    files = {"awareness.yaml": awareness, GL: glossary, KF: figures}
    expected = [
        f"awareness.yaml:{len(awareness.splitlines()) + 1}: -: yaml: "
        "found unexpected end of stream",
        f"glossary.yaml:{line_of(glossary, 'label:')}: qpv_definition: label.fr: missing or empty",
        f"key_figures.yaml:{line_of(figures, 'value: 4 373')}: job_placements: value: "
        "must be a number or a low/high range, not '4 373'",
        f"key_figures.yaml:{line_of(figures, 'unit: visitors_per_month')}: free_users_monthly: "
        "unit: unknown unit 'visitors_per_month' (add it to vocabulary.yaml)",
        f"key_figures.yaml:{line_of(figures, 'availability: self_declared')}: women_share: "
        f"availability: must be one of {availability_levels()}",
    ]
    return files, expected


def test_every_problem_of_every_file_in_one_error(tmp_path):
    files, expected = broken_files()
    folder = make_base(tmp_path, files)
    with pytest.raises(KnowledgeError) as exc:
        knowledge.load(folder)
    assert exc.value.problems == expected
    assert str(exc.value) == "\n".join(expected)


def test_nothing_half_loaded(tmp_path):
    # One bad entry among good ones and a good file: load raises, it never returns the rest.
    text = replace_once(KEY_FIGURES, "unit: percent", "unit: per_cent")
    folder = make_base(tmp_path, {KF: text, GL: GLOSSARY})
    result = None
    with pytest.raises(KnowledgeError):
        result = knowledge.load(folder)
    assert result is None


def test_broken_vocabulary_is_reported(tmp_path):
    folder = make_base(tmp_path, {KF: KEY_FIGURES, GL: GLOSSARY})
    (folder / "vocabulary.yaml").write_text("units: {}\navailability: {}\n", encoding="utf-8")
    with pytest.raises(KnowledgeError) as exc:
        knowledge.load(folder)
    assert "vocabulary.yaml:1: -: units: none defined" in exc.value.problems
    assert "vocabulary.yaml:1: -: availability: no level defined" in exc.value.problems


def test_missing_folder_and_empty_folder(tmp_path):
    with pytest.raises(KnowledgeError) as exc:
        knowledge.load(tmp_path / "nowhere")
    assert exc.value.problems == [
        f"{tmp_path / 'nowhere'}:1: -: -: the fact base folder does not exist"
    ]
    empty = make_base(tmp_path, {})
    with pytest.raises(KnowledgeError) as exc:
        knowledge.load(empty)
    assert exc.value.problems == [f"{empty}:1: -: -: no entries found"]


# ---------------------------------------------------------------- command line


@pytest.fixture
def clean_env(monkeypatch):
    monkeypatch.delenv("MISSION_DEFAULT_LANG", raising=False)
    monkeypatch.delenv("MISSION_KNOWLEDGE_DIR", raising=False)


def test_check_refuses_a_broken_base(tmp_path, capsys, clean_env):
    files, expected = broken_files()
    folder = make_base(tmp_path, files)
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--knowledge", str(folder), "check"])
    assert exit_.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    reported = [line.strip() for line in err.splitlines()]
    for problem in expected:
        assert problem in reported
    assert "nothing was loaded" in err


def test_check_exit_status_as_a_process(tmp_path):
    files, expected = broken_files()
    folder = make_base(tmp_path, files)
    run = subprocess.run(
        [sys.executable, "-m", "bot.cli", "--knowledge", str(folder), "check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        timeout=60,
        check=False,
    )
    assert run.returncode == 2
    assert run.stdout == ""
    for problem in expected:
        assert problem in run.stderr


def test_check_summarizes_a_good_base(tmp_path, capsys, clean_env):
    folder = make_base(tmp_path, {KF: KEY_FIGURES, GL: GLOSSARY})
    assert cli.main(["--knowledge", str(folder), "check"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    lines = out.splitlines()
    glossary = next(line for line in lines if line.startswith(GL))
    figures = next(line for line in lines if line.startswith(KF))
    assert "1 definition" in glossary
    assert "3 figure" in figures and "1 definition" in figures
    assert "5 entries" in out


REQUIRED_KEYS = {
    "id",
    "kind",
    "value",
    "unit",
    "period",
    "label",
    "definition",
    "caveat",
    "aliases",
    "note",
    "availability",
    "source",
}


def check_json_object(obj):
    """The stable shape of one object of `mission-bot facts --json`."""
    assert set(obj) >= REQUIRED_KEYS
    assert isinstance(obj["id"], str) and obj["id"]
    assert isinstance(obj["kind"], str) and obj["kind"]
    value = obj["value"]
    if obj["kind"] == "figure":
        if isinstance(value, dict):
            assert set(value) == {"low", "high"}
            assert all(isinstance(value[k], int | float) for k in ("low", "high"))
        else:
            assert isinstance(value, int | float) and not isinstance(value, bool)
        assert isinstance(obj["unit"], str)
        assert isinstance(obj["availability"], str)
        for key in ("period", "caveat"):
            assert set(obj[key]) == {"en", "fr"}
    else:
        assert value is None
    for key in ("label", "definition"):
        assert set(obj[key]) == {"en", "fr"}
        assert all(isinstance(obj[key][lang], str) and obj[key][lang] for lang in ("en", "fr"))
    assert set(obj["aliases"]) == {"en", "fr"}
    assert all(isinstance(obj["aliases"][lang], list) for lang in ("en", "fr"))
    assert obj["note"] is None or set(obj["note"]) == {"en", "fr"}
    assert obj["source"]


def test_facts_json_is_one_list_of_entries(tmp_path, capsys, clean_env):
    folder = make_base(tmp_path, {KF: KEY_FIGURES, GL: GLOSSARY})
    assert cli.main(["--knowledge", str(folder), "facts", "--json"]) == 0
    out, _ = capsys.readouterr()
    data = json.loads(out)
    assert isinstance(data, list) and len(data) == 5
    for obj in data:
        check_json_object(obj)
    by_id = {obj["id"]: obj for obj in data}
    assert by_id["job_placements"]["value"] == 4373
    assert by_id["free_users_monthly"]["value"] == {"low": 300000, "high": 400000}
    assert by_id["women_share"]["value"] == 16
    assert by_id["job_placement"]["value"] is None
    assert by_id["job_placements"]["aliases"] == {
        "en": ["job placements", "placements"],
        "fr": ["progressions professionnelles", "placements"],
    }
    assert by_id["job_placements"]["note"] is None
    assert by_id["free_users_monthly"]["note"]["fr"].startswith("Le tableau indique")
    assert by_id["job_placements"]["label"]["fr"] == (
        "Étudiants ayant connu une progression professionnelle positive"
    )  # not escaped: ensure_ascii is off
    assert "Étudiants" in out
    assert by_id["free_users_monthly"]["source"]["page"] == 17
    assert by_id["women_share"]["source"]["page"] == 8


def test_a_key_written_twice_is_reported_not_silently_overwritten(tmp_path):
    first = line_of(KEY_FIGURES, "    value: 4373")
    text = replace_once(KEY_FIGURES, "    value: 4373\n", "    value: 4373\n    value: 4374\n")
    assert problems_of(tmp_path, {KF: text, GL: GLOSSARY}) == [
        f"key_figures.yaml:{first + 1}: job_placements: value: "
        f"duplicate key (first at line {first})"
    ]


def test_a_synonym_with_no_letter_is_refused(tmp_path):
    folder = make_base(tmp_path, {KF: KEY_FIGURES, GL: GLOSSARY})
    vocab = folder / "vocabulary.yaml"
    text = vocab.read_text(encoding="utf-8").replace(
        "synonyms:\n", 'synonyms:\n  - ["€", zorglub]\n', 1
    )
    vocab.write_text(text, encoding="utf-8")
    line = line_of(text, '- ["€", zorglub]')
    with pytest.raises(KnowledgeError) as exc:
        knowledge.load(folder)
    assert exc.value.problems == [
        f"vocabulary.yaml:{line}: synonyms #1: -: '€' holds no letter or digit"
    ]


def test_a_vocabulary_section_of_the_wrong_shape_is_reported(tmp_path):
    folder = make_base(tmp_path, {KF: KEY_FIGURES, GL: GLOSSARY})
    vocab = folder / "vocabulary.yaml"
    text = vocab.read_text(encoding="utf-8").replace(
        "units:\n", "units: [students]\nold_units:\n", 1
    )
    vocab.write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeError) as exc:
        knowledge.load(folder)
    line = line_of(text, "units: [students]")
    assert f"vocabulary.yaml:{line}: -: units: must be a mapping, not a list" in exc.value.problems


# ---------------------------------------------------------------- careless typos
# Each of these once crashed `check` with a traceback, or was reported wrongly. Each must
# come out as one problem line naming file, line, entry and field, and load nothing.


@pytest.mark.parametrize(
    ("old", "new", "entry", "field", "what"),
    [
        (
            "unit: placements",
            "unit: [students]",
            "job_placements",
            "unit",
            "must be one unit of vocabulary.yaml, not ['students']",
        ),
        (
            "availability: limited",
            "availability: [sample]",
            "free_users_monthly",
            "availability",
            f"must be one of {availability_levels()}",
        ),
        (
            "value: 4373",
            "value: " + "9" * 5001,
            "job_placements",
            "value",
            "must be a number or a low/high range, not an unreadable number of 5,001 characters",
        ),
        (
            "value: 4373",
            "value: " + "9" * 400,
            "job_placements",
            "value",
            f"{knowledge.shown(10**400 - 1)} cannot be a figure (not finite, or 1e+15 or more)",
        ),
        (
            "value: 4373",
            "value: .inf",
            "job_placements",
            "value",
            "inf cannot be a figure (not finite, or 1e+15 or more)",
        ),
        (
            'period: {en: "monthly average, 2020"',
            "period: {en: 2020-13-45",
            "free_users_monthly",
            "period.en",
            "must be text",
        ),
        (
            "kind: definition",
            "kind: [definition]",
            "job_placement",
            "kind",
            f"must be one of {', '.join(knowledge.KINDS)}",
        ),
        (
            "qualifier: about",
            "qualifier: {about: 1}",
            "free_users_monthly",
            "qualifier",
            f"must be one of {', '.join(knowledge.QUALIFIERS)}",
        ),
        (
            "related: [job_placement]",
            "related: [[job_placement]]",
            "job_placements",
            "related",
            "must be a list of entry ids",
        ),
    ],
    ids=[
        "unit-list",
        "availability-list",
        "5001-digits",
        "400-digits",
        "inf",
        "bad-date",
        "kind-list",
        "qualifier-map",
        "related-nested",
    ],
)
def test_a_field_of_the_wrong_type_is_reported_not_a_crash(tmp_path, old, new, entry, field, what):
    text = KEY_FIGURES.replace(old, new, 1)
    assert text != KEY_FIGURES
    line = line_of(text, new)
    assert problems_of(tmp_path, {KF: text, GL: GLOSSARY}) == [
        f"key_figures.yaml:{line}: {entry}: {field}: {what}"
    ]


@pytest.mark.parametrize("key", ["1", "~", "null", "3.5", '"two\\nlines"'])
def test_an_entry_key_that_is_not_a_name_is_an_unknown_field(tmp_path, key):
    text = replace_once(
        KEY_FIGURES, "    kind: definition\n", f"    kind: definition\n    {key}: oops\n"
    )
    line = line_of(text, f"    {key}: oops")
    [problem] = problems_of(tmp_path, {KF: text, GL: GLOSSARY})
    shown = "'two\\nlines'" if "lines" in key else key
    assert problem == f"key_figures.yaml:{line}: job_placement: {shown}: unknown field"
    assert "\n" not in problem


@pytest.mark.parametrize("written", ["12", "true", "[job_placement]"])
def test_an_id_that_is_not_text_is_not_called_missing(tmp_path, written):
    text = replace_once(KEY_FIGURES, "- id: job_placement\n", f"- id: {written}\n")
    text = replace_once(text, "related: [job_placement]\n", "related: []\n")
    line = line_of(text, f"- id: {written}")
    [problem] = problems_of(tmp_path, {KF: text, GL: GLOSSARY})
    assert problem.startswith(f"key_figures.yaml:{line}: entry #4: id: must be text")
    assert "missing" not in problem


def vocabulary_with(tmp_path, old, new):
    folder = make_base(tmp_path, {KF: KEY_FIGURES, GL: GLOSSARY})
    vocab = folder / "vocabulary.yaml"
    text = replace_once(vocab.read_text(encoding="utf-8"), old, new)
    vocab.write_text(text, encoding="utf-8")
    return folder, text


STUDENTS_UNIT = "students: {name: {en: students, fr: étudiants}, measures: people}"


@pytest.mark.parametrize(
    ("flag", "shown"),
    [
        ("percent: 'no'", "'no'"),
        ("percent: 'false'", "'false'"),
        ("signed: 0", "0"),
        ("percent: ~", "None"),
    ],
)
def test_a_unit_flag_must_be_a_real_boolean(tmp_path, flag, shown):
    # a quoted 'no' is text, and text is true: "how many QPV students?" would read 182%
    folder, text = vocabulary_with(
        tmp_path, STUDENTS_UNIT, "students: {name: {en: students, fr: étudiants}, " + flag + "}"
    )
    with pytest.raises(KnowledgeError) as exc:
        knowledge.load(folder)
    line = line_of(text, "students: {name:")
    name = flag.split(":")[0]
    assert exc.value.problems == [
        f"vocabulary.yaml:{line}: unit students: {name}: must be true or false, not {shown}"
    ]


def test_real_boolean_flags_load(tmp_path):
    folder, _ = vocabulary_with(
        tmp_path, STUDENTS_UNIT, "students: {name: {en: students, fr: étudiants}, percent: false}"
    )
    units = knowledge.load(folder).vocabulary.units
    assert units["students"].percent is False and units["percent"].percent is True


def test_an_unknown_unit_field_is_reported(tmp_path):
    folder, text = vocabulary_with(
        tmp_path, STUDENTS_UNIT, "students: {name: {en: students, fr: étudiants}, pourcent: true}"
    )
    with pytest.raises(KnowledgeError) as exc:
        knowledge.load(folder)
    line = line_of(text, "students: {name:")
    assert exc.value.problems == [f"vocabulary.yaml:{line}: unit students: pourcent: unknown field"]


def test_a_vocabulary_that_is_a_symlink_loop_is_unreadable_not_missing(tmp_path):
    folder = make_base(tmp_path, {KF: KEY_FIGURES, GL: GLOSSARY})
    vocab = folder / "vocabulary.yaml"
    vocab.unlink()
    vocab.symlink_to(vocab)  # a link to itself
    with pytest.raises(KnowledgeError) as exc:
        knowledge.load(folder)
    [problem] = [p for p in exc.value.problems if p.startswith("vocabulary.yaml")]
    assert problem.startswith("vocabulary.yaml:1: -: file: cannot be read (")
    assert "missing" not in problem


def test_a_file_that_is_not_utf8_names_its_line(tmp_path):
    folder = make_base(tmp_path, {KF: KEY_FIGURES, GL: GLOSSARY})
    (folder / GL).write_bytes(GLOSSARY.encode() + b"# caf\xe9\n")
    with pytest.raises(KnowledgeError) as exc:
        knowledge.load(folder)
    line = len(GLOSSARY.splitlines()) + 1
    assert exc.value.problems[0].startswith(f"glossary.yaml:{line}: -: file: not UTF-8 text")


def test_aliases_and_self_references_do_not_hang_the_check(tmp_path):
    # "billion laughs": nine levels of ten aliases each; and a list holding itself
    laughs = "\n".join(
        f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, 10)
    )
    text = replace_once(
        KEY_FIGURES, "entries:\n", f"l0: &l0 lol\n{laughs}\nentries:\n  - &me [*me]\n"
    )
    text = replace_once(text, "aliases: {en: [women, gender]", "aliases: {en: [*l9, gender]")
    problems = problems_of(tmp_path, {KF: text, GL: GLOSSARY})
    assert all(len(p) < 300 for p in problems)
    assert any("women_share: aliases.en: empty or non-text alias" in p for p in problems)
    assert any("must be a mapping of fields" in p for p in problems)


def test_a_stopword_or_synonym_that_is_not_text_is_reported(tmp_path):
    folder, text = vocabulary_with(tmp_path, "synonyms:\n", "synonyms:\n  - [{a: 1}, zorglub]\n")
    with pytest.raises(KnowledgeError) as exc:
        knowledge.load(folder)
    line = line_of(text, "- [{a: 1}, zorglub]")
    assert exc.value.problems == [f"vocabulary.yaml:{line}: synonyms #1: -: {{'a': 1}} is not text"]


def test_every_fact_base_file_reads_the_same_without_libyaml():
    """The loader uses libyaml when PyYAML has it; a file libyaml accepts but the pure
    Python parser refuses (a '?' inside an unquoted flow list) would not load elsewhere."""
    files = sorted(knowledge.DEFAULT_DIR.rglob("*.yaml"))
    assert len(files) > 10
    for path in files:
        text = path.read_text(encoding="utf-8")
        pure = yaml.load(text, Loader=yaml.SafeLoader)
        if hasattr(yaml, "CSafeLoader"):
            assert yaml.load(text, Loader=yaml.CSafeLoader) == pure, path
