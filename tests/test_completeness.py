"""Every figure of the report is somewhere in the fact base.

The test reads both editions of the report from `../shared/report/` (skipped when the
folder is absent), takes every number they print and fails listing, with its file and
line, each number that appears nowhere in the fact base: neither as an entry's value
(a range gives its low and its high) nor written in one of its texts (label, definition,
scope, period, caveat, note, in English or French).

Numbers that are not figures are left out by `NOT_FIGURES` and `YEARS` below, each with
the reason. Numbers that qualify a figure are checked like figures: age brackets
("30 - 40"), degree levels ("Bac +5", "EQF level 4"), the length of a path ("8 to 12
months"); the fact base cannot state the figure without them.
"""

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import knowledge
from bot.knowledge import KnowledgeError

REPORT_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "report"
REPORTS = {"en": "mission-report-2021.en.txt", "fr": "mission-report-2021.fr.txt"}
TEXT_FIELDS = ("label", "definition", "scope", "period", "caveat", "note")

# ---------------------------------------------------------------- reading numbers

SPACES = " \u00a0\u202f"  # space, no-break space, narrow no-break space: French thousands
NUMBER = re.compile(
    rf"""(?<!\d)(?<!\d[.,])          # not the tail of a longer number
    (?:\d{{1,3}}(?:,\d{{3}})+(?!\d)            # 4,373   783,873
      |\d{{1,3}}(?:[{SPACES}]\d{{3}})+(?!\d)   # 4 373   170 000 (any of the three spaces)
      |\d+(?:[.,]\d+)?                         # 2019   8.7   8,7   54,6
    )""",
    re.VERBOSE,
)
THOUSANDS_WITH_COMMA = re.compile(r"\d{1,3}(?:,\d{3})+")
KILO = re.compile(r"\s?[kK](?![A-Za-z])")  # 400K
KILO_RANGE = re.compile(r"\s?[-–]\s?\d+(?:[.,]\d+)?\s?[kK](?![A-Za-z])")  # the 300 of 300-400K
MILLION = re.compile(r"\s?millions?\b|M\b")


@dataclass(frozen=True)
class Number:
    value: float
    token: str
    start: int
    end: int


def parse(token):
    """The value of one token of NUMBER: '4,373' and '4 373' -> 4373, '8,7' -> 8.7."""
    text = token
    for space in SPACES:
        text = text.replace(space, "")
    if THOUSANDS_WITH_COMMA.fullmatch(text):
        text = text.replace(",", "")
    return float(text.replace(",", "."))


def numbers_in(text):
    """Every number printed in `text`, in order; '300-400K' gives 300000 and 400000.

    A sign is not part of the number ('+125%' is 125): the fact base keeps a change as
    its size with a signed unit.
    """
    found = []
    for match in NUMBER.finditer(text):
        value = parse(match.group())
        after = text[match.end() :]
        if KILO.match(after) or KILO_RANGE.match(after):
            value *= 1_000
        elif MILLION.match(after):
            value *= 1_000_000
        found.append(Number(value, match.group(), match.start(), match.end()))
    return found


def key(value):
    return round(float(value), 6)


# ---------------------------------------------------------------- numbers that are not figures

# Years written as dates (bare four-digit numbers only: "2,016" and "2 016" are a
# sample size, not a year).
YEARS = {
    1999: "OpenClassrooms' first course (Le Site du Zéro)",
    2012: "the year Mojan fled Iran (her story, French edition)",
    2018: "bylaws changed; women's share 'in 2018'",
    2019: "the baseline year, 'in 2019', 'December 2019', loi Pacte (2019)",
    2020: "the year the report covers",
    2021: "the report's edition, '2021 recommendations', 'décembre 2021'",
}

# (edition, pattern): every group of the pattern is a number that is not a figure. The
# patterns run over the whole text (MULTILINE), so a page number alone on its line is
# told apart by the lines around it.
NOT_FIGURES = [
    # (Footnote markers are asterisks in both editions, "991**": no number to leave out.)
    # English: page numbers printed alone between two pages of the PDF.
    ("en", r"^(4)\n+THE\s+OPENCLASSROOMS\s+IMPACT JOURNEY"),
    ("en", r"^(23)\n+(24)\n+JOB SEEKERS"),
    ("en", r"^(25)\n+Between financed students"),
    # Markers of numbered lists at the start of a line ("1. Unemployed or under-employed
    # individuals", "4. Geographic partnerships:").
    ("en", r"^ ?([1-5])\. "),
    ("fr", r"^([1-5])\. "),
    # Markers of three-point lists whose items the PDF extraction scattered: "1 2 3" alone.
    ("en", r"^(1) (2) (3)$"),
    # The same markers in the French edition, kept before their item.
    (
        "fr",
        r"^([1-3]) (?:Globalement, 787|Les personnes avec un CAP|Si le Rapport de Mission"
        r"|Les femmes réfugiées|Plus de 90 certificats|En outre, trois femmes)",
    ),
    # French table of contents: part numbers and page numbers ("PARTIE 1", "CLÉS P. 8").
    ("fr", r"^PARTIE ([12])$"),
    ("fr", r"\bP\. (4|8|10|16|23|29)$"),
    # "in February 21": the month of the B Corp certification, 2021 written short.
    ("en", r"February (21), OpenClassrooms"),
    # "a company fit for the 21st century".
    ("en", r"the (21)st century"),
    # HTML5, the subject of Mathieu Nebra's first course: a name.
    ("en", r"HTML(5) course"),
    ("fr", r"HTML(5) sur le Site du Zéro"),
    # B2B / B2C: business-to-business / business-to-consumer.
    ("en", r"\bB(2)B and B(2)C\b"),
    ("fr", r"\bB(2)B et B(2)C\b"),
    # Quarters, dates: "Initiated in Q4 2020", "Results expected in Q2 2021".
    ("en", r"\bQ([24])\b"),
    # "au 2^e trimestre": the second quarter, a date.
    ("fr", r"au (2)\^e trimestre"),
    # Month labels of the "Students funding, 2020" chart: "Jan 20" ... "Dec 20" (2020).
    ("en", r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (20)\b"),
    # "the 12 months that lie ahead": the horizon of the 2021 recommendations, a period.
    ("en", r"for the (12) months that lie ahead"),
    # The cover artist: painting since the early 90s, lives in the 19th arrondissement.
    ("en", r"early\s+(90)s\b"),
    ("fr", r"années (90),"),
    ("en", r"the (19)th arrondissement"),
    ("fr", r"le (19)\^e arrondissement"),
]


# ---------------------------------------------------------------- the extraction itself


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4,373 students", [4373]),
        ("4 373 étudiants", [4373]),
        ("4\u00a0373 étudiants", [4373]),
        ("4\u202f373 étudiants", [4373]),
        ("783 873 certificats", [783873]),
        ("170 000 emails", [170000]),
        ("+170 000 emails", [170000]),
        ("8.7% IT and networks", [8.7]),
        ("- 8,7 % Systèmes et réseaux", [8.7]),
        ("54,6 %", [54.6]),
        ("3,0 % Business", [3.0]),
        ("+125% of corporate partners", [125]),
        ("(+55%) in 2020.", [55, 2020]),
        ("300-400K", [300000, 400000]),
        ("Utilisateurs gratuits\t300-400K\tNA*", [300000, 400000]),
        ("around 300,000 to 400,000 free", [300000, 400000]),
        ("entre 300 000 et 400 000 individus", [300000, 400000]),
        ("Alternants\t405\t1 100", [405, 1100]),
        ("TOTAL\t\t4 499\t787\t182\t340\t3", [4499, 787, 182, 340, 3]),
        ("1 2 3", [1, 2, 3]),
        ("30 - 40", [30, 40]),
        ("1757", [1757]),
        ("a sample of 2,016 students", [2016]),
        ("sur un échantillon de 2 016 étudiants", [2016]),
        ("in 2020 400 students", [2020, 400]),
        ("3 232***", [3232]),
        ("2 millions", [2_000_000]),
        ("no number here", []),
    ],
)
def test_numbers_in(text, expected):
    assert [n.value for n in numbers_in(text)] == expected


@given(st.integers(min_value=1000, max_value=10**9), st.sampled_from([",", *SPACES]))
def test_grouped_thousands_read_back(n, separator):
    written = f"{n:,}".replace(",", separator)
    assert [n.value for n in numbers_in(f"total : {written} étudiants")] == [n]


@given(st.integers(min_value=0, max_value=999), st.integers(min_value=0, max_value=9))
def test_decimals_read_back_in_both_styles(whole, tenth):
    assert [n.value for n in numbers_in(f"{whole}.{tenth}%")] == [whole + tenth / 10]
    assert [n.value for n in numbers_in(f"{whole},{tenth} %")] == [whole + tenth / 10]


# ---------------------------------------------------------------- the report against the base


@dataclass(frozen=True)
class Occurrence:
    file: str
    line: int
    number: Number
    text: str  # the report's line


@pytest.fixture(scope="module")
def reports():
    paths = {lang: REPORT_DIR / name for lang, name in REPORTS.items()}
    missing = [str(p) for p in paths.values() if not p.is_file()]
    if missing:
        pytest.skip(f"report texts not found; looked for {', '.join(missing)}")
    return {lang: path.read_text(encoding="utf-8") for lang, path in paths.items()}


def excluded_spans(lang, text):
    """{(start, end): why} of the numbers of `text` that NOT_FIGURES leaves out."""
    spans = {}
    for edition, pattern in NOT_FIGURES:
        if edition != lang:
            continue
        for match in re.finditer(pattern, text, re.MULTILINE):
            for group in range(1, (match.re.groups or 0) + 1):
                spans[match.span(group)] = pattern
    return spans


def is_year(number):
    return re.fullmatch(r"\d{4}", number.token) is not None and int(number.value) in YEARS


def figures_of(lang, text):
    """Every occurrence of a number of `text` that is a figure."""
    excluded = excluded_spans(lang, text)
    lines = text.split("\n")
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    out = []
    for number in numbers_in(text):
        if (number.start, number.end) in excluded or is_year(number):
            continue
        line = _line_index(starts, number.start)
        out.append(Occurrence(REPORTS[lang], line + 1, number, lines[line].strip()))
    return out


def _line_index(starts, offset):
    low, high = 0, len(starts) - 1
    while low < high:
        mid = (low + high + 1) // 2
        if starts[mid] <= offset:
            low = mid
        else:
            high = mid - 1
    return low


@pytest.fixture(scope="module")
def base_numbers():
    """Every number of the fact base: values, range bounds, numbers in any text."""
    try:
        base = knowledge.load()
    except KnowledgeError as exc:
        pytest.fail("the fact base does not load:\n" + "\n".join(exc.problems), pytrace=False)
    found = set()
    for entry in base:
        found.update(key(n) for n in entry.numbers())
        for name in TEXT_FIELDS:
            text = getattr(entry, name)
            if text is not None:
                for lang_text in (text.en, text.fr):
                    found.update(key(n.value) for n in numbers_in(lang_text))
    return found


def test_every_figure_of_the_report_is_in_the_fact_base(reports, base_numbers):
    missing = [
        occurrence
        for lang, text in reports.items()
        for occurrence in figures_of(lang, text)
        if key(occurrence.number.value) not in base_numbers
    ]
    if missing:
        values = sorted({key(o.number.value) for o in missing})
        listing = "\n".join(
            f"  {o.file}:{o.line}: {o.number.token} (= {o.number.value:g})   | "
            + " ".join(o.text.split())[:120]
            for o in missing
        )
        message = (
            f"{len(values)} number(s) of the report appear nowhere in the fact base "
            f"({len(missing)} occurrence(s)): {', '.join(f'{v:g}' for v in values)}\n"
            f"{listing}\n"
            "Add each figure to knowledge/*.yaml (as a value, or in a definition or note), or, "
            "if it is not a figure, to NOT_FIGURES in this test with the reason."
        )
        print(message)
        pytest.fail(message, pytrace=False)


def test_every_exclusion_is_used_and_falls_on_a_number(reports):
    """A stale or misaligned pattern of NOT_FIGURES would hide nothing, or the wrong thing."""
    problems = []
    spans_of = {
        lang: {(n.start, n.end) for n in numbers_in(text)} for lang, text in reports.items()
    }
    for lang, pattern in NOT_FIGURES:
        matches = list(re.finditer(pattern, reports[lang], re.MULTILINE))
        if not matches:
            problems.append(f"{lang}: {pattern!r} matches nothing")
            continue
        spans = spans_of[lang]
        for match in matches:
            for group in range(1, (match.re.groups or 0) + 1):
                if match.span(group) not in spans:
                    problems.append(
                        f"{lang}: {pattern!r}: group {group} ({match.group(group)!r}) "
                        "is not a whole number of the text"
                    )
    printed = {int(n.value) for text in reports.values() for n in numbers_in(text) if is_year(n)}
    problems.extend(f"year {year} is printed nowhere" for year in sorted(set(YEARS) - printed))
    assert not problems, "\n".join(problems)


def test_both_editions_have_figures(reports):
    # A guard against a broken extraction that would find nothing and pass.
    for lang, text in reports.items():
        values = {key(o.number.value) for o in figures_of(lang, text)}
        assert {4373, 783873, 355000, 3232, 182} <= values, lang
