"""Series and breakdowns: their validation, their data, terminal bars, PNG charts, JSON."""

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot import charts, cli, knowledge, render
from bot.knowledge import CHART_KINDS, LANGS, KnowledgeError

KNOWLEDGE = Path(__file__).resolve().parents[1] / "knowledge"
SERIES_FILE = "series.yaml"


def chart_entries(base):
    return [e for e in base if e.kind in CHART_KINDS]


# ---------------------------------------------------------------- the fact base


def test_every_chart_groups_figures_of_one_measure(base):
    entries = chart_entries(base)
    assert {e.kind for e in entries} == {"series", "breakdown"}
    units = base.vocabulary.units
    for entry in entries:
        members = base.members(entry)
        assert len(members) >= 2 and all(m.is_figure for m in members), entry.id
        assert len({units[m.unit].measure for m in members}) == 1, entry.id
        if entry.kind == "series":
            keys = [knowledge.period_key(m.period) for m in members]
            assert keys == sorted(set(keys)), entry.id


def test_each_chart_has_questions_in_both_languages(base):
    for entry in chart_entries(base):
        for lang in LANGS:
            assert len(entry.examples.get(lang, ())) >= 6, (entry.id, lang)


def test_the_reports_uneven_parts_carry_their_note(base):
    """The registration reasons add up to 101%, the degree shares to 48.6% against 45%."""
    for entry in chart_entries(base):
        if entry.kind != "breakdown" or base.vocabulary.units[entry.unit].percent is False:
            continue
        total = sum(m.numbers()[0] for m in base.members(entry))
        if abs(total - 100) > 0.05:
            assert entry.note is not None, (entry.id, total)
    qualification = base.get("job_seekers_sp_qualification")
    assert qualification.note and "48.6" in qualification.note.en


def _write_series(tmp_path, text):
    folder = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, folder)
    with (folder / SERIES_FILE).open("a", encoding="utf-8") as out:
        out.write(text)
    return folder


def _chart_yaml(kind, members, unit="percent"):
    return f"""
  - id: test_chart
    kind: {kind}
    unit: {unit}
    label: {{en: "A test chart", fr: "Un graphique de test"}}
    definition: {{en: "Test.", fr: "Test."}}
    aliases: {{en: [test chart], fr: [graphique de test]}}
    members: [{", ".join(members)}]
    source: {{section: {{en: "Test", fr: "Test"}}, page: 8}}
"""


@pytest.mark.parametrize(
    ("kind", "members", "unit", "problem"),
    [
        ("series", ["women_free_users_2018", "no_such_figure"], "percent", "unknown id"),
        ("series", ["women_free_users_2018", "qpv_definition"], "percent", "not a figure"),
        ("breakdown", ["qpv_students", "qpv_share"], "students", "do not share one unit"),
        ("series", ["women_free_users_2020", "women_free_users_2018"], "percent", "increase"),
        ("breakdown", ["women_free_users_2018", "qpv_share"], "percent", "one period"),
        ("series", ["women_free_users_2018"], "percent", "two figure ids"),
        ("series", ["qpv_share", "qpv_share"], "percent", "twice"),
        ("series", ["women_free_users_2018", "women_free_users_2019"], "students", "one unit"),
    ],
)
def test_check_refuses_a_bad_chart(tmp_path, kind, members, unit, problem):
    folder = _write_series(tmp_path, _chart_yaml(kind, members, unit))
    with pytest.raises(KnowledgeError) as caught:
        knowledge.load(folder)
    assert any("test_chart" in p and problem in p for p in caught.value.problems), (
        caught.value.problems
    )


def test_a_good_chart_loads_and_only_charts_have_members(tmp_path):
    ok = _chart_yaml("series", ["women_free_users_2018", "women_free_users_2020"])
    base = knowledge.load(_write_series(tmp_path, ok))
    assert base.get("test_chart").members == ("women_free_users_2018", "women_free_users_2020")
    bad = _chart_yaml("definition", ["women_free_users_2018", "women_free_users_2020"])
    with pytest.raises(KnowledgeError, match="only a series or a breakdown has members"):
        knowledge.load(_write_series(tmp_path / "again", bad))


# ---------------------------------------------------------------- chart data and bars


@pytest.mark.parametrize("lang", LANGS)
def test_chart_data_is_the_fact_bases(base, lang):
    for entry in chart_entries(base):
        chart = charts.chart_data(entry, lang, base)
        members = base.members(entry)
        assert [b.id for b in chart.bars] == [m.id for m in members]
        assert [b.value for b in chart.bars] == [m.numbers()[0] for m in members]
        assert [b.text for b in chart.bars] == [render.format_value(m, lang, base) for m in members]
        assert all(b.label.strip() for b in chart.bars), entry.id
        assert chart.title == entry.label.get(lang)
        assert chart.source == render.source_line(entry, lang)
        assert (entry.note is None) == (chart.note == "")


def test_french_charts_write_numbers_the_french_way(base):
    chart = charts.chart_data(base.get("underserved_category_totals"), "fr", base)
    assert chart.bars[0].short == "4\u202f499" or chart.bars[0].short == "4\u00a0499"
    shares = charts.chart_data(base.get("job_seekers_sp_age"), "fr", base)
    assert shares.bars[0].short == "1,2\u00a0%"
    assert charts.format_axis_number(4373, "fr", False).replace("\u202f", "\u00a0") == (
        "4\u00a0373"
    )
    assert charts.format_axis_number(9, "fr", True) == "9\u00a0%"
    assert charts.format_axis_number(9, "en", True) == "9%"


def test_terminal_bars_are_aligned_and_carry_every_value(base):
    for entry in chart_entries(base):
        chart = charts.chart_data(entry, "en", base)
        lines = charts.bars(chart)
        assert len(lines) == len(chart.bars)
        assert len({line.index("│") for line in lines}) == 1, entry.id
        for line, bar in zip(lines, chart.bars, strict=True):
            assert line.endswith(" " + bar.text)
        # the longer the value, the longer its bar; the largest fills the width
        full = [line.count("█") for line in lines]
        order = sorted(range(len(lines)), key=lambda i: chart.bars[i].value)
        assert [full[i] for i in order] == sorted(full), entry.id
        assert max(full) == charts.BAR_WIDTH


def test_a_chart_answer_keeps_its_text_and_adds_the_bars(engine, base):
    entry = base.get("free_users_reasons")
    for lang in LANGS:
        answer = engine.answer_fact(entry.id, lang)
        text = render.to_text(answer, base)
        assert text.splitlines()[0] == render.headline(entry, lang, base)
        for line in charts.bars(charts.chart_data(entry, lang, base)):
            assert line in text
        assert entry.note.get(lang) in text and render.source_line(entry, lang) in text
        blocks = json.dumps(render.to_blocks(answer, base), ensure_ascii=False)
        assert "```" in blocks


# ---------------------------------------------------------------- PNG


@pytest.mark.parametrize(
    ("entry_id", "lang"), [("women_free_users_series", "en"), ("job_seekers_sp_age", "fr")]
)
def test_the_png_is_a_valid_image(base, entry_id, lang):
    from matplotlib import image

    data = charts.png(charts.chart_data(base.get(entry_id), lang, base))
    width, height = charts.png_size(data)
    assert 400 <= width <= 2000 and 200 <= height <= 2000
    pixels = image.imread(io.BytesIO(data), format="png")
    assert pixels.shape[:2] == (height, width)


def test_png_size_refuses_what_is_not_a_png():
    with pytest.raises(ValueError):
        charts.png_size(b"GIF89a" + bytes(40))


def test_the_cache_draws_each_chart_once_per_language(base):
    cache = charts.ChartCache(base)
    entry = base.get("apprentices_series")
    first = cache.image(entry, "en")
    assert cache.image(entry, "en") is first
    french = cache.image(entry, "fr")
    assert french != first and len(cache) == 2


# ---------------------------------------------------------------- CLI


def test_ask_json_gains_the_chart_and_keeps_every_key(engine, base):
    keys = {"question", "lang", "status", "fact", "alternatives", "help", "text", "related"}
    plain = json.loads(cli.reply_json(engine, "how many QPV students?", "en", "en"))
    assert set(plain) >= keys | {"chart"} and plain["chart"] is None
    answered = 0
    for entry in chart_entries(base):
        for lang in LANGS:
            data = json.loads(cli.reply_json(engine, entry.label.get(lang), lang, lang))
            assert set(data) >= keys
            if data["fact"] != entry.id:  # its own label asks for another entry
                continue
            answered += 1
            chart = data["chart"]
            assert chart["ids"] == list(entry.members)
            assert chart["values"] == [m.numbers()[0] for m in base.members(entry)]
            assert chart["labels"] == [b.label for b in charts.chart_data(entry, lang, base).bars]
            assert chart["kind"] == entry.kind and chart["title"] == entry.label.get(lang)
    # asked by its own label, nearly every chart answers with itself
    assert answered >= len(chart_entries(base))


def test_a_plain_figure_never_imports_matplotlib():
    code = (
        "import sys\n"
        "from bot import cli\n"
        "engine = cli.load_engine(sys.argv[1])\n"
        "print(cli.reply_text(engine, 'how many QPV students?', None, 'en'))\n"
        "print(cli.reply_json(engine, 'répartition par âge des demandeurs', None, 'en'))\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported'\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(KNOWLEDGE)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr


def test_an_evolution_of_a_member_figure_answers_with_its_series(engine, base):
    series = base.get("women_free_users_series")
    figure = base.get(series.members[-1])
    match = engine.index.match("how did the share of women among free users change?")
    assert "evolution" in match.query.intents
    assert engine._chart_for(figure, match) is series
    plain = engine.index.match("share of women among free users in 2020")
    assert "evolution" not in plain.query.intents
    answer = engine.ask("how did the share of women among free users change?")
    text = render.to_text(answer, base)
    for line in charts.bars(charts.chart_data(series, "en", base)):
        assert line in text
