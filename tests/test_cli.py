"""The CLI contract: `mission-bot ask` in plain text, JSON and batch mode."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bot import cli, render
from bot.answers import Engine
from bot.edge import KEEP_CHARS

CMD = [sys.executable, "-m", "bot.cli"]


def test_ask_prints_a_plain_text_reply(capsys, base):
    assert cli.main(["ask", "how", "many", "QPV", "students?"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith(render.format_value(base.get("qpv_students"), "en", base))
    assert "*" not in out.splitlines()[0]  # plain text, no Slack markup


def test_ask_json_contract(capsys):
    assert cli.main(["ask", "--json", "combien d'étudiants en QPV ?"]) == 0
    reply = json.loads(capsys.readouterr().out)
    assert {"question", "lang", "status", "fact", "alternatives", "text", "confidence"} <= set(
        reply
    )
    assert reply["lang"] == "fr" and reply["status"] == "answer" and reply["fact"] == "qpv_students"
    assert reply["confidence"] in ("sure", "plausible")
    assert reply["question"] == "combien d'étudiants en QPV ?"
    assert isinstance(reply["alternatives"], list)


def test_ask_lang_forces_the_reply_language(capsys):
    assert cli.main(["ask", "--json", "--lang", "fr", "how many QPV students?"]) == 0
    assert json.loads(capsys.readouterr().out)["lang"] == "fr"


def test_unknown_question_has_no_fact(capsys):
    assert cli.main(["ask", "--json", "what is the capital of Peru"]) == 0
    reply = json.loads(capsys.readouterr().out)
    assert reply["status"] == "unknown" and reply["fact"] is None and reply["text"]


def test_batch_mode_answers_each_line_in_order_and_flushes():
    questions = ["how many QPV students?", "", "nombre de réfugiés", "😀", "lever funding"]
    proc = subprocess.Popen(
        [*CMD, "ask", "--json"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdin and proc.stdout
    # one line in, one line out, before stdin is closed: the reply is flushed
    proc.stdin.write(questions[0] + "\n")
    proc.stdin.flush()
    first = json.loads(proc.stdout.readline())
    assert first["question"] == questions[0] and first["status"] == "answer"
    out, _ = proc.communicate("\n".join(questions[1:]) + "\n", timeout=60)
    replies = [first] + [json.loads(line) for line in out.splitlines()]
    assert [r["question"] for r in replies] == questions
    assert replies[2]["lang"] == "fr"
    assert proc.returncode == 0


@pytest.mark.parametrize("args", [["ask"], ["ask", "help"], ["ask", "aide"]])
def test_help(capsys, args):
    assert cli.main(args) == 0
    assert "QPV" in capsys.readouterr().out


def test_chat_reads_questions_until_eof(base):
    done = subprocess.run(
        [*CMD, "chat"],
        input="how many QPV students?\naide\n",
        text=True,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0
    assert render.format_value(base.get("qpv_students"), "en", base) in done.stdout


@pytest.mark.parametrize("question", ["help?", "Help!", "aidez-moi", "help me please", ""])
def test_help_requests_get_help_in_json_too(capsys, question):
    assert cli.main(["ask", "--json", question]) == 0
    reply = json.loads(capsys.readouterr().out)
    assert reply["help"] is True and reply["status"] == "unknown" and reply["fact"] is None
    assert reply["text"] == render.help_text(reply["lang"])
    assert reply["lang"] == ("fr" if question == "aidez-moi" else "en")


def test_a_question_about_help_is_a_question(capsys):
    assert cli.main(["ask", "--json", "help with QPV"]) == 0
    assert json.loads(capsys.readouterr().out)["help"] is False


def test_batch_mode_survives_bad_bytes_and_a_closed_reader():
    done = subprocess.run(
        [*CMD, "ask", "--json"], input=b"QPV \xff\xfe students\n", capture_output=True, timeout=60
    )
    assert done.returncode == 0
    assert json.loads(done.stdout.decode("utf-8"))["question"] == "QPV \ufffd\ufffd students"
    proc = subprocess.Popen(
        [*CMD, "ask", "--json"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdin and proc.stdout and proc.stderr
    proc.stdin.write(b"how many QPV students?\n" * 3000)
    proc.stdin.close()
    proc.stdout.read(10)
    proc.stdout.close()
    assert proc.wait(timeout=60) == 0
    assert b"Traceback" not in proc.stderr.read()


# ---------------------------------------------------------------- bad bytes, any encoding

# Every key `ask --json` promises, on every line, whatever the reply (README, CLI table).
CONTRACT_KEYS = {
    "question",
    "lang",
    "status",
    "confidence",
    "fact",
    "alternatives",
    "text",
    "related",
    "intents",
    "score",
    "truncated",
    "reason",
    "help",
    "chart",
}


def run(args, env_extra=None, stdin=b""):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONIOENCODING"}
    return subprocess.run(
        [*CMD, *args],
        input=stdin,
        capture_output=True,
        env={**env, **(env_extra or {})},
        timeout=60,
    )


@pytest.mark.parametrize("encoding", [None, "utf-8", "ascii"])
def test_bad_bytes_on_the_command_line_give_valid_json(encoding):
    done = run(
        ["ask", "--json", b"QPV \xff students"],
        {"PYTHONIOENCODING": encoding} if encoding else None,
    )
    assert done.returncode == 0, done.stderr
    assert b"Traceback" not in done.stderr
    out = done.stdout.decode("ascii" if encoding == "ascii" else "utf-8")  # strict
    reply = json.loads(out)
    assert reply["question"] == "QPV \ufffd students"
    assert set(reply) == CONTRACT_KEYS


def test_an_ascii_terminal_gets_a_reply_not_a_crash(base):
    done = run(["ask", "how many QPV students"], {"PYTHONIOENCODING": "ascii"})
    assert done.returncode == 0 and b"Traceback" not in done.stderr
    out = done.stdout.decode("ascii")  # strict: every character could be written
    assert "QPV" in out
    facts = run(["facts", "--json"], {"PYTHONIOENCODING": "ascii"})
    assert facts.returncode == 0
    assert json.loads(facts.stdout.decode("ascii")) == json.loads(base.to_json())


def test_every_batch_line_has_every_key_and_counts_as_one_line():
    questions = [
        "",
        "   ",
        "😀",
        "help",
        "aide",
        "how many QPV students?",
        "what is the capital of Peru",
        "QPV\u2028students\u0085 and\u2029 more",
        "x" * 3000,
    ]
    done = run(["ask", "--json"], stdin="".join(q + "\n" for q in questions).encode())
    assert done.returncode == 0
    out = done.stdout.decode("utf-8")
    # a reader that splits on every Unicode line break still counts one line per question
    lines = out.splitlines()
    assert len(lines) == len(questions)
    replies = [json.loads(line) for line in lines]
    for question, reply in zip(questions, replies, strict=True):
        assert set(reply) == CONTRACT_KEYS, question
        assert reply["question"] == question[: len(reply["question"])]
    assert replies[-2]["question"] == questions[-2]
    assert [r["help"] for r in replies[:5]] == [True] * 5
    assert all(r["reason"] == "help" and r["truncated"] is False for r in replies[:5])
    assert replies[-1]["truncated"] is True


def test_a_huge_batch_line_is_cut_not_read_whole():
    huge = b"how many QPV students? " + b"lorem ipsum " * (20 * 1024 * 1024 // 12)
    done = run(["ask", "--json"], stdin=huge + b"\nhow many QPV students?\n")
    assert done.returncode == 0
    first, second = (json.loads(line) for line in done.stdout.decode().splitlines())
    assert first["truncated"] is True
    assert len(first["question"]) <= KEEP_CHARS  # not 20 MB echoed back
    assert first["question"].startswith("how many QPV students?")
    assert second["status"] == "answer" and second["truncated"] is False


def test_the_command_line_question_is_cut_before_any_work(monkeypatch, capsys):
    seen: list[int] = []
    real = Engine.is_help

    def spied(engine, text):
        seen.append(len(text))
        return real(engine, text)

    monkeypatch.setattr(Engine, "is_help", spied)
    assert cli.main(["ask", "--json", "QPV " * 20_000]) == 0
    assert json.loads(capsys.readouterr().out)["truncated"] is True
    assert seen and max(seen) <= KEEP_CHARS
