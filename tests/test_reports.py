"""The question log from the command line: `ask --log`, feedback in `chat`, and the
maintainers' reports (`misses`, `stats`, bot/report.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot import cli, report
from bot.config import StoreSettings
from bot.store import DAY_SECONDS, Question, Record, Vote, open_store

CMD = [sys.executable, "-m", "bot.cli"]
NOW = 1_790_000_000.0  # a fixed "now" for the pure functions


@pytest.fixture
def log_path(tmp_path, monkeypatch) -> Path:
    """A question log of this test's own, where the CLI will look (MISSION_DB)."""
    path = tmp_path / "log" / "mission.db"
    monkeypatch.setenv("MISSION_DB", str(path))
    return path


def logged(path: Path) -> list[Record]:
    with open_store(StoreSettings(db_path=path)) as store:
        return store.records()


def record(question: str, status: str = "answer", days_ago: float = 1, **fields) -> Record:
    values = {
        "id": f"{question}-{days_ago}-{status}",
        "asked_at": int(NOW - days_ago * DAY_SECONDS),
        "surface": "command",
        "lang": "en",
        "status": status,
        "band": "sure" if status == "answer" else None,
        "fact": None,
        "alternatives": (),
        "latency_ms": 1.0,
        "question": question,
        "user_hash": None,
    }
    return Record(**{**values, **fields})


# ---------------------------------------------------------------- logging from the CLI


def test_ask_logs_only_when_asked_to(log_path, capsys):
    assert cli.main(["ask", "how many QPV students?"]) == 0
    assert not log_path.exists()
    assert cli.main(["ask", "--log", "--json", "how many QPV students?"]) == 0
    reply = json.loads(capsys.readouterr().out.splitlines()[-1])
    [logged_one] = logged(log_path)
    assert logged_one.surface == "cli" and logged_one.user_hash is None
    assert (logged_one.status, logged_one.fact, logged_one.band) == (
        reply["status"],
        reply["fact"],
        reply["confidence"],
    )
    assert logged_one.alternatives == tuple(reply["alternatives"])


def test_batch_mode_logs_every_line(log_path):
    questions = [
        "how many QPV students?",
        "help",
        "what is the capital of Peru",
        "nombre de réfugiés",
    ]
    done = subprocess.run(
        [*CMD, "ask", "--json", "--log"],
        input="\n".join(questions) + "\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    replies = [json.loads(line) for line in done.stdout.splitlines()]
    records = logged(log_path)
    assert [r.question for r in records] == questions
    assert [r.status for r in records] == [
        "help" if reply["help"] else reply["status"] for reply in replies
    ]
    assert [r.lang for r in records] == [reply["lang"] for reply in replies]


def test_ask_log_on_a_broken_store_exits_2_and_chat_still_answers(tmp_path, monkeypatch, base):
    junk = tmp_path / "junk.db"
    junk.write_text("not a database " * 500)
    monkeypatch.setenv("MISSION_DB", str(junk))
    done = subprocess.run(
        [*CMD, "ask", "--log", "how many QPV students?"], capture_output=True, text=True
    )
    assert done.returncode == 2 and "Store error" in done.stderr and str(junk) in done.stderr
    chat = subprocess.run(
        [*CMD, "chat"], input="how many QPV students?\n+\n", capture_output=True, text=True
    )
    assert chat.returncode == 0 and "questions are not logged" in chat.stderr
    assert "QPV" in chat.stdout and "Feedback is not kept" in chat.stdout


def test_chat_logs_questions_and_takes_plus_and_minus(log_path):
    typed = [
        "+",  # nothing asked yet
        "how many QPV students?",
        "+",
        "+",  # again: counted once
        "combien de réfugiés ?",
        "-",
        "the number of refugees trained in 2020",  # what they were looking for
        "",
    ]
    done = subprocess.run(
        [*CMD, "chat"], input="\n".join(typed) + "\n", capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "Ask a question first" in done.stdout
    assert "Thanks for your feedback" in done.stdout and "Already noted" in done.stdout
    first, second = logged(log_path)
    assert [(v.vote, v.comment) for v in first.votes] == [("up", None)]
    assert [(v.vote, v.comment) for v in second.votes] == [
        ("down", "the number of refugees trained in 2020")
    ]
    assert second.lang == "fr"


# ---------------------------------------------------------------- misses


def test_misses_group_wordings_and_put_the_most_frequent_first():
    records = [
        record("How many QPV students?", band="plausible", fact="qpv_share", days_ago=3),
        record("how many qpv students", band="plausible", fact="qpv_share", days_ago=2),
        record(
            "How many QPV students ?!",
            fact="qpv_share",
            days_ago=1,
            alternatives=("qpv_students",),
            votes=(Vote("h1", "down", "the count, not the share"),),
        ),
        record("revenue 2020", "unknown", alternatives=("key_figures",), days_ago=5),
        record("lever funding", days_ago=1, fact="lever_funding"),  # sure, no 👎: no miss
        record("help", "help", days_ago=1),
        record("what is a QPV", fact="qpv", votes=(Vote("h2", "up", None),)),
    ]
    found = report.misses(records)
    assert [m.normalized for m in found] == ["how many qpv students", "revenue 2020"]
    qpv = found[0]
    assert (qpv.count, qpv.plausible, qpv.not_helpful, qpv.unknown) == (3, 2, 1, 0)
    assert qpv.wording == "How many QPV students ?!"  # the latest wording
    assert dict(qpv.chosen) == {"qpv_share": 3}
    assert list(qpv.offered) == ["qpv_students"]
    assert qpv.wanted == ["the count, not the share"]
    assert found[1].unknown == 1 and not found[1].chosen
    text = report.misses_text(found, NOW - 30 * DAY_SECONDS, NOW)
    assert "4 questions in 2 wordings" in text
    assert "chose qpv_share (3); offered qpv_students" in text
    assert "chose nothing (not in the report); offered key_figures" in text
    assert "the count, not the share" in text
    assert text.index("QPV") < text.index("revenue")


def test_misses_from_the_command_line(log_path, capsys):
    now = time.time()
    with open_store(StoreSettings(db_path=log_path)) as store:
        for days in (40, 3, 2):
            store.log_question(
                Question("command", "en", "unknown", "Revenue 2020?", asked_at=now - days * 86400)
            )
        store.log_question(Question("dm", "fr", "answer", "QPV", band="sure", fact="qpv"))
    assert cli.main(["misses", "--json"]) == 0
    [miss] = json.loads(capsys.readouterr().out)
    assert miss["normalized"] == "revenue 2020" and miss["count"] == 2  # the 40-day one is out
    assert cli.main(["misses", "--since", "8w"]) == 0
    out = capsys.readouterr().out
    assert str(log_path) in out and "3 x 'Revenue 2020?'" in out
    with pytest.raises(SystemExit) as error:
        cli.main(["misses", "--since", "last tuesday"])
    assert error.value.code == 2 and "--since takes a duration" in capsys.readouterr().err


# ---------------------------------------------------------------- stats


def test_stats_count_weeks_languages_answers_and_votes():
    records = [
        record("a", days_ago=20, fact="qpv_students", votes=(Vote("u", "up", None),)),
        record("b", days_ago=20, fact="qpv_students", lang="fr"),
        record("c", days_ago=2, fact="refugees", band="plausible"),
        record("d", "unknown", days_ago=2, votes=(Vote("u", "down", "x"), Vote("v", "up", None))),
        record("e", "help", days_ago=1),
    ]
    result = report.stats(records, NOW - 30 * DAY_SECONDS, NOW)
    assert result.total == 5 and dict(result.langs) == {"en": 4, "fr": 1}
    assert (result.sure, result.plausible, result.unknown, result.help) == (2, 1, 1, 1)
    assert (result.up, result.down) == (2, 1)
    assert result.most_asked == [("qpv_students", 2), ("refugees", 1)]
    assert len(result.weeks) in (5, 6) and sum(n for _, n in result.weeks) == 5
    assert 0 in [n for _, n in result.weeks]  # quiet weeks are shown too
    text = report.stats_text(result, "#")
    assert "Answer rate: 75% of 4 questions" in text
    assert "Feedback: 2 helpful, 1 not helpful (67% helpful)" in text
    bars = {line.split()[0]: line.count("#") for line in text.splitlines() if "#" in line}
    assert bars["en"] == report.BAR_WIDTH and 0 < bars["fr"] < bars["en"]
    assert bars["qpv_students"] == 2 * bars["refugees"]


def test_stats_from_the_command_line(log_path, capsys):
    assert cli.main(["stats"]) == 0
    assert "No questions logged" in capsys.readouterr().out
    with open_store(StoreSettings(db_path=log_path)) as store:
        store.log_question(Question("cli", "en", "answer", "QPV?", band="sure", fact="qpv"))
    assert cli.main(["stats", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["total"] == 1 and stats["most_asked"] == {"qpv": 1}


@pytest.mark.parametrize(
    ("text", "seconds_ago"), [("30d", 30 * 86400), ("2w", 14 * 86400), ("48h", 48 * 3600)]
)
def test_since_takes_durations(text, seconds_ago):
    assert report.parse_since(text, NOW) == NOW - seconds_ago


def test_since_takes_a_date_and_refuses_the_rest():
    midnight = datetime(2026, 10, 1, tzinfo=UTC).timestamp()
    assert (
        report.parse_since("2026-10-01", NOW) == report.parse_since(" 2026-10-01 ", 0) == midnight
    )
    with pytest.raises(ValueError, match="--since"):
        report.parse_since("yesterday", NOW)


def test_bars_fall_back_to_ascii_where_the_terminal_cannot_show_blocks():
    assert report.bar_char("utf-8") == "█"
    assert report.bar_char("ascii") == "#" and report.bar_char(None) == "#"
