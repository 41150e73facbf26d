"""The Slack app against hostile requests and an unwell Slack, end to end on loopback:
junk bodies, forged log lines, floods, replays, 50,000-character questions, and a Web
API that answers 429, then 500, then nothing at all."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_client import (
    QPV_EN,
    QPV_FR,
    Bot,
    direct_message,
    mention,
    new_trigger_id,
    serving,
)
from slack_stub import Fault, SlackStub

from bot import render
from bot.adapter import drain
from bot.adapter.gate import LOG_BODY_BYTES, LOG_BURST
from bot.answers import Engine
from bot.edge import KEEP_CHARS
from bot.slack_app import APOLOGY
from bot.slack_delivery import Delivery

FORM = "application/x-www-form-urlencoded"
LONG = 50_000


def value(base, entry_id: str, lang: str) -> str:
    return render.escape(render.format_value(base.get(entry_id), lang, base))


# ---------------------------------------------------------------- junk at the door


@pytest.mark.parametrize(
    ("body", "content_type", "headers"),
    [
        (b"{bad json", "application/json", {}),
        (b"payload=notjson", FORM, {}),
        (b"text=\xff", FORM, {}),
        (b"command=/mission&text=hi", FORM, {"X-Slack-Request-Timestamp": "abc"}),
        (b"command=/mission", FORM, {"X-Slack-Request-Timestamp": "\u0661\u0662\u0663"}),
        (b"{}", "application/json", {"X-Slack-Signature": "v0=" + "\u00e9" * 64}),
        (b"{}", "application/json", {"X-Slack-Request-Timestamp": "9" * 40}),
    ],
    ids=[
        "bad-json",
        "payload-notjson",
        "text-xff",
        "ts-abc",
        "ts-arabic",
        "sig-nonascii",
        "ts-huge",
    ],
)
async def test_unsigned_junk_gets_401_not_500(
    bot: Bot, slack: SlackStub, caplog, body, content_type, headers
):
    status, _, _ = await bot.post(body, content_type, headers)
    assert status == 401
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert slack.calls == []


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{bad json", "application/json"),
        (b"payload=notjson", FORM),
        (b"text=\xff", FORM),
        (b"[1, 2]", "application/json"),
        (b'{"type": "event_callback", "event": "x"}', "application/json"),
        (b"event=x", FORM),
        (b'payload={"type": "block_actions", "actions": [1]}', FORM),
        (b"command=/mission&text=hi", FORM),  # no response_url: nowhere to answer
        (b"a=1", FORM),
        (b"{}", "application/json"),
    ],
    ids=[
        "bad-json",
        "notjson",
        "xff",
        "list",
        "event-text",
        "event-form",
        "actions",
        "no-url",
        "form-no-command",
        "json-no-type",
    ],
)
async def test_signed_junk_gets_400_not_500(bot: Bot, slack: SlackStub, caplog, body, content_type):
    status, _, _ = await bot.post(body, content_type, bot.signed(body))
    assert status == 400
    assert await drain(bot.app)
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not slack.of("response_url") and not slack.of("chat.postMessage")


# ---------------------------------------------------------------- the log


FORGED = "INFO bot.slack: answered via=command user=UADMIN lang=en status=answer fact=FORGED"


async def test_an_unsigned_body_cannot_write_a_log_line(bot: Bot, caplog):
    caplog.set_level(logging.DEBUG)
    body = f"text=hi\n2030-01-01 00:00:00,000 {FORGED}\n".encode() + b"x" * 5000
    status, _, _ = await bot.post(body, FORM)
    assert status == 401
    [line] = [r for r in caplog.records if r.name.startswith(("bot", "slack_bolt", "aiohttp"))]
    assert line.levelno == logging.WARNING
    message = line.getMessage()
    assert "\n" not in message and "\r" not in message
    assert "fact=FORGED" not in message  # clipped before it
    assert len(message) < 2 * LOG_BODY_BYTES + 120
    assert "refused 401 (not signed)" in message


async def test_a_flood_of_unsigned_posts_costs_a_few_short_lines(bot: Bot, caplog):
    caplog.set_level(logging.DEBUG)
    body = b"A" * (1024 * 1024 - 1)  # just under the size limit, so each is read whole
    statuses = await asyncio.gather(*(bot.post(body, FORM) for _ in range(20)))
    assert {status for status, _, _ in statuses} == {401}
    lines = [r.getMessage() for r in caplog.records]
    assert 1 <= len(lines) <= LOG_BURST
    assert sum(len(line) for line in lines) < LOG_BURST * (2 * LOG_BODY_BYTES + 120)


def test_refusals_past_the_burst_are_counted_in_the_next_line(caplog):
    from bot.adapter.gate import LOG_EVERY_SECONDS, RefusalLog

    now = [0.0]
    refusals = RefusalLog(clock=lambda: now[0])
    caplog.set_level(logging.WARNING)
    for _ in range(LOG_BURST + 7):
        refusals.refused(401, "not signed", "127.0.0.1", b"x")
    assert len(caplog.records) == LOG_BURST
    now[0] += LOG_EVERY_SECONDS
    refusals.refused(401, "not signed", "127.0.0.1", b"x")
    assert len(caplog.records) == LOG_BURST + 1
    assert "(7 more refused, not logged)" in caplog.records[-1].getMessage()


# ---------------------------------------------------------------- replays


async def test_a_replayed_command_is_answered_once(bot: Bot, slack: SlackStub):
    trigger = new_trigger_id()
    body = bot.command_body(QPV_EN, "replay", trigger_id=trigger)
    headers = bot.signed(body)  # the very same signed request, three times
    for _ in range(3):
        status, _, _ = await bot.post(body, FORM, headers)
        assert status == 200
    await bot.command(QPV_EN, "after")  # a genuine new command is still answered
    await slack.wait_for("response_url", where=lambda c: c.key == "after")
    assert await drain(bot.app)
    assert len(slack.of("response_url", lambda c: c.key == "replay")) == 1


async def test_a_replayed_click_is_answered_once(bot: Bot, slack: SlackStub, engine: Engine):
    action = {
        "action_id": "mission_choose_0",
        "value": render.action_value("qpv_students", "en", QPV_EN),
    }
    payload = {
        "type": "block_actions",
        "user": {"id": "U0ASKER"},
        "trigger_id": new_trigger_id(),
        "response_url": slack.response_url("click"),
        "container": {"type": "message", "is_ephemeral": True},
        "actions": [{**action, "type": "button"}],
    }
    body = urlencode({"payload": json.dumps(payload)})
    headers = bot.signed(body)
    for _ in range(3):
        assert (await bot.post(body, FORM, headers))[0] == 200
    await slack.wait_for("response_url", where=lambda c: c.key == "click")
    assert await drain(bot.app)
    assert len(slack.of("response_url", lambda c: c.key == "click")) == 1


# ---------------------------------------------------------------- long questions


class Spy:
    """Records the length of every text the engine is given, and whether it was given
    on the event loop's thread (it must not be: that would stall every other request)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[str, int, bool]] = []
        for name in ("ask", "is_help", "language"):
            monkeypatch.setattr(Engine, name, self.wrap(name, getattr(Engine, name)))
        monkeypatch.setattr(Engine, "answer_fact", self.wrap("answer_fact", Engine.answer_fact, 3))

    def wrap(self, name: str, method: Callable[..., Any], position: int = 1) -> Callable[..., Any]:
        def spied(engine: Engine, *args: Any, **kwargs: Any) -> Any:
            text = args[position - 1] if len(args) >= position else kwargs.get("question", "")
            try:
                asyncio.get_running_loop()
                on_loop = True
            except RuntimeError:
                on_loop = False
            self.calls.append((name, len(text), on_loop))
            return method(engine, *args, **kwargs)

        return spied


async def test_a_long_question_is_cut_at_the_edge_and_read_off_the_loop(
    bot: Bot, slack: SlackStub, monkeypatch, base
):
    spy = Spy(monkeypatch)
    long_question = QPV_EN + " please" * (LONG // 7)
    assert len(long_question) > LONG
    long_help = "help! " * (LONG // 6)  # cut after 1,002 characters: still all "help"
    choose = render.action_value("qpv_students", "en", "x" * LONG)
    await bot.command(long_question, "long")
    await bot.command(long_help, "longhelp")
    await bot.event(mention(long_question, "1700002000.000100"), "EvLong")
    await bot.event(direct_message(long_question, "1700002000.000200"), "EvLongDM")
    await bot.click(
        {"action_id": "mission_choose_0", "block_id": "c", "value": choose}, "longclick"
    )
    await slack.wait_for("response_url", count=3, where=lambda c: c.key.startswith("long"))
    await slack.wait_for("chat.postMessage", count=2)
    assert await drain(bot.app)
    assert {name for name, _, _ in spy.calls} >= {"ask", "is_help", "language", "answer_fact"}
    assert max(length for _, length, _ in spy.calls) <= KEEP_CHARS
    assert [call for call in spy.calls if call[2]] == []  # nothing on the event loop
    [reply] = slack.of("response_url", lambda c: c.key == "long")
    assert value(base, "qpv_students", "en") in reply.text()
    assert render.escape(render.t("en", "truncated").split("{n}")[0]) in reply.text()
    [helped] = slack.of("response_url", lambda c: c.key == "longhelp")
    assert render.escape(render.t("en", "help_title")) in helped.text()


def test_the_mention_is_stripped_before_the_text_is_cut():
    from bot.slack_app import message_question

    text = message_question("<@UMISSIONBOT> " + QPV_FR + " !" * LONG, "UMISSIONBOT")
    assert text.startswith(QPV_FR) and len(text) == KEEP_CHARS


# ---------------------------------------------------------------- an unwell Slack

UNWELL = Delivery(attempts=4, timeout=0.5, backoff=0.05, max_wait=5.0)


SCENARIOS = {
    # 429 (Retry-After: 1 s), then 500, then well: the answer, once
    "recovers": (Fault(429, retry_after=1), Fault(500)),
    # 429, then 500, then no answer at all: not sent again (it may have arrived); the
    # apology goes instead, once Slack answers again
    "hangs": (Fault(429, retry_after=1), Fault(500), Fault(hang=True)),
    # never well again: nothing reaches the user, and nothing is sent forever
    "down": (Fault(500),) * (2 * UNWELL.attempts),
}


async def test_an_unwell_slack_gets_the_answer_or_the_apology_never_both(
    slack: SlackStub, engine: Engine, base, caplog
):
    async with serving(engine, slack, UNWELL) as bot:
        await unwell_slack(bot, slack, base)
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def unwell_slack(bot: Bot, slack: SlackStub, base) -> None:
    for name, faults in SCENARIOS.items():
        slack.fail_next("response_url", f"cmd-{name}", *faults)
        slack.fail_next("chat.postMessage", f"C{name}", *faults)
    for i, name in enumerate(SCENARIOS):
        await bot.command(QPV_EN, f"cmd-{name}", user=f"U{name}")
        event = {**mention(QPV_EN, f"1700003000.00010{i}"), "channel": f"C{name}"}
        await bot.event(event, f"EvUnwell{name}")
    assert await drain(bot.app, timeout=20)
    answer = value(base, "qpv_students", "en")
    for name in SCENARIOS:
        for method, where in (
            ("response_url", lambda c, n=name: c.key == f"cmd-{n}"),
            ("chat.postMessage", lambda c, n=name: c.args.get("channel") == f"C{n}"),
        ):
            calls = slack.of(method, where)
            seen = slack.delivered(method, where)
            assert len(seen) <= 1, (name, method, [c.outcome for c in calls])  # never two
            if name == "recovers":
                [reply] = seen
                assert answer in reply.text() and APOLOGY["en"] not in reply.text()
                assert [c.outcome for c in calls] == ["429", "500", "ok"]
                assert calls[1].at - calls[0].at >= 0.95  # Retry-After was honoured
            elif name == "hangs":
                [reply] = seen
                assert reply.args["text"] == APOLOGY["en"]
                assert [c.outcome for c in calls] == ["429", "500", "hang", "ok"]
            else:
                assert seen == []
                assert len(calls) == 2 * UNWELL.attempts  # the answer's tries, the apology's
