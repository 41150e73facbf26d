"""The real fact base, `knowledge/*.yaml`: it loads, and every entry is whole."""

import json
from pathlib import Path

import pytest
import yaml

from bot import cli, knowledge
from bot.knowledge import LANGS, KnowledgeError, Range

KNOWLEDGE = Path(__file__).resolve().parents[1] / "knowledge"
FIGURE_FIELDS = ("unit", "period", "scope", "caveat", "availability")
TEXT_FIELDS = ("label", "definition", "period", "scope", "caveat", "note")
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # a safe loader, libyaml's when present


@pytest.fixture(scope="module")
def base():
    try:
        return knowledge.load(KNOWLEDGE)
    except KnowledgeError as exc:
        pytest.fail("the fact base does not load:\n" + "\n".join(exc.problems), pytrace=False)


@pytest.fixture(scope="module")
def figures(base):
    return [e for e in base if e.kind == "figure"]


def test_it_loads(base, figures):
    assert len(base) > 0
    assert figures, "the fact base holds no figure"
    assert any(e.kind != "figure" for e in base), "the fact base holds no definition"


def test_every_text_is_non_empty_in_both_languages(base):
    bad = []
    for entry in base:
        for name in TEXT_FIELDS:
            text = getattr(entry, name)
            if text is None:
                if name in ("label", "definition"):
                    bad.append(f"{entry.file}:{entry.line}: {entry.id}: {name}: missing")
                continue
            for lang in LANGS:
                if not text.get(lang).strip():
                    bad.append(f"{entry.file}:{entry.line}: {entry.id}: {name}.{lang}: empty")
        for lang in LANGS:
            aliases = entry.aliases.get(lang, ())
            if not aliases or not all(a.strip() for a in aliases):
                bad.append(f"{entry.file}:{entry.line}: {entry.id}: aliases.{lang}: empty")
    assert not bad, "\n".join(bad)


def test_every_figure_has_value_unit_period_scope_caveat_availability(base, figures):
    units = base.vocabulary.units
    levels = base.vocabulary.availability
    bad = []
    for entry in figures:
        where = f"{entry.file}:{entry.line}: {entry.id}"
        for name in FIGURE_FIELDS:
            if getattr(entry, name) is None:
                bad.append(f"{where}: {name}: missing")
        if entry.unit is not None and entry.unit not in units:
            bad.append(f"{where}: unit: unknown {entry.unit!r}")
        if entry.availability is not None and entry.availability not in levels:
            bad.append(f"{where}: availability: unknown {entry.availability!r}")
        value = entry.value
        if isinstance(value, Range):
            if not value.low <= value.high:
                bad.append(f"{where}: value: low above high")
        elif isinstance(value, bool) or not isinstance(value, int | float):
            bad.append(f"{where}: value: {value!r} is not a number")
    assert not bad, "\n".join(bad)


def test_every_kind_is_known_and_only_figures_carry_a_value(base):
    bad = []
    for entry in base:
        if entry.kind not in knowledge.KINDS:
            bad.append(f"{entry.file}:{entry.line}: {entry.id}: kind {entry.kind!r}")
        if entry.kind != "figure" and entry.value is not None:
            bad.append(f"{entry.file}:{entry.line}: {entry.id}: a {entry.kind} with a value")
    assert not bad, "\n".join(bad)


def test_ids_are_unique_in_the_yaml_files():
    # Read the files directly, so the test does not rely on the loader's own check.
    seen = {}
    duplicates = []
    for path in sorted(KNOWLEDGE.glob("*.yaml")):
        if path.name == knowledge.VOCABULARY_FILE:
            continue
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=LOADER)
        for raw in data["entries"]:
            entry_id = raw["id"]
            if entry_id in seen:
                duplicates.append(f"{entry_id}: in {seen[entry_id]} and {path.name}")
            seen.setdefault(entry_id, path.name)
    assert not duplicates, "\n".join(duplicates)


def test_ids_are_unique_in_the_base(base):
    ids = [e.id for e in base]
    assert len(ids) == len(set(ids))
    assert set(base.by_id) == set(ids)


def test_related_ids_exist(base):
    bad = [
        f"{e.file}:{e.line}: {e.id}: related {rid!r}"
        for e in base
        for rid in e.related
        if rid not in base.by_id or rid == e.id
    ]
    assert not bad, "\n".join(bad)


def test_percentages_are_between_0_and_100(base, figures):
    bad = []
    for entry in figures:
        if entry.unit != "percent":
            continue
        for number in entry.numbers():
            if not 0 <= number <= 100:
                bad.append(f"{entry.file}:{entry.line}: {entry.id}: {number} %")
    assert not bad, "\n".join(bad)


def test_sources_name_a_section_and_a_page(base):
    bad = [
        f"{e.file}:{e.line}: {e.id}"
        for e in base
        if not (e.source.section.en and e.source.section.fr and e.source.page >= 1)
    ]
    assert not bad, "\n".join(bad)


def test_facts_json_round_trip(base, capsys, monkeypatch):
    monkeypatch.delenv("MISSION_DEFAULT_LANG", raising=False)
    assert cli.main(["--knowledge", str(KNOWLEDGE), "facts", "--json"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    data = json.loads(out)
    assert isinstance(data, list)
    assert [obj["id"] for obj in data] == [e.id for e in base]
    for obj, entry in zip(data, base, strict=True):
        assert obj == json.loads(json.dumps(entry.as_dict(), ensure_ascii=False))
        if isinstance(entry.value, Range):
            assert obj["value"] == {"low": entry.value.low, "high": entry.value.high}
        else:
            assert obj["value"] == entry.value
        assert obj["kind"] == entry.kind
        assert obj["unit"] == entry.unit
        assert obj["availability"] == entry.availability
        assert obj["label"] == {"en": entry.label.en, "fr": entry.label.fr}
        assert obj["definition"] == {"en": entry.definition.en, "fr": entry.definition.fr}
        assert obj["caveat"] == (entry.caveat.as_dict() if entry.caveat else None)
        assert obj["period"] == (entry.period.as_dict() if entry.period else None)
        assert obj["note"] == (entry.note.as_dict() if entry.note else None)
        assert obj["aliases"] == {lang: list(entry.aliases[lang]) for lang in LANGS}
        assert obj["source"]
