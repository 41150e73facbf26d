"""The real fact base, `knowledge/*.yaml`: what the loader cannot check by itself.

The loader already refuses missing texts, unknown units, duplicate or dangling ids;
these tests check the content: every figure's value is printed in the report, shares
are shares, categories and levers lead with a figure, and `facts --json` keeps the
stable interface other tools read.
"""

import json
from pathlib import Path

import pytest
from test_completeness import REPORT_DIR, REPORTS, key, numbers_in
from test_knowledge import REQUIRED_KEYS as CONTRACT_KEYS

from bot import cli, knowledge
from bot.knowledge import LANGS, Range

KNOWLEDGE = Path(__file__).resolve().parents[1] / "knowledge"
# Values the report writes in words, not digits.
IN_WORDS = {"unique_visitors_monthly": "'two million' / 'deux millions' unique visitors"}


@pytest.fixture(scope="module")
def base():
    return knowledge.load(KNOWLEDGE)


def test_every_figure_value_is_printed_in_the_report(base):
    """A typo in a value (1,110 for 1,100) fails here: the report must print it."""
    if not all((REPORT_DIR / name).exists() for name in REPORTS.values()):
        pytest.skip(f"the report texts are not in {REPORT_DIR}")
    printed = set()
    for name in REPORTS.values():
        text = (REPORT_DIR / name).read_text(encoding="utf-8")
        printed |= {key(n.value) for n in numbers_in(text)}
    missing = [
        f"{e.file}:{e.line}: {e.id}: {n:g}"
        for e in base
        if e.is_figure and e.id not in IN_WORDS
        for n in e.numbers()
        if n != 0 and key(n) not in printed
    ]
    assert not missing, "values not printed in either edition:\n" + "\n".join(missing)


def test_percentages_are_between_0_and_100(base):
    bad = [
        f"{e.file}:{e.line}: {e.id}: {n}"
        for e in base
        if e.unit == "percent"
        for n in e.numbers()
        if not 0 <= n <= 100
    ]
    assert not bad, "\n".join(bad)


def test_categories_and_levers_lead_with_a_figure(base):
    """`related` of a category or a lever is ordered: its first figure is the main one."""
    bad = [
        e.id
        for e in base
        if e.kind in ("category", "lever") and not any(r.is_figure for r in base.related(e))
    ]
    assert not bad
    for kind, count in (("category", 5), ("lever", 4)):
        assert sum(e.kind == kind for e in base) == count


def test_facts_json_keeps_its_contract(base, capsys, monkeypatch):
    monkeypatch.delenv("MISSION_DEFAULT_LANG", raising=False)
    assert cli.main(["--knowledge", str(KNOWLEDGE), "facts", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [obj["id"] for obj in data] == [e.id for e in base]
    for obj in data:
        assert set(obj) >= CONTRACT_KEYS, obj["id"]
        assert obj["kind"] in (
            "figure",
            "definition",
            "person",
            "category",
            "lever",
            "commitment",
            "recommendation",
            "overview",
            "series",
            "breakdown",
        )
        if obj["kind"] in ("series", "breakdown"):
            assert len(obj["members"]) >= 2
        value = obj["value"]
        if obj["kind"] == "figure":
            assert isinstance(value, int | float) or set(value) == {"low", "high"}
        else:
            assert value is None
        for name in ("label", "definition"):
            assert set(obj[name]) == set(LANGS) and all(obj[name].values())
        assert set(obj["aliases"]) == set(LANGS)
        assert all(isinstance(a, list) and a for a in obj["aliases"].values())
        assert obj["note"] is None or set(obj["note"]) == set(LANGS)
        assert obj["source"]["page"] >= 1
    ranges = [obj for obj in data if isinstance(obj["value"], dict)]
    assert ranges and all(isinstance(r["value"]["low"], int | float) for r in ranges)
    assert not any(isinstance(e.value, Range) for e in base if not e.is_figure)
