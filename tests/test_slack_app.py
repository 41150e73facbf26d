"""The Slack app end to end: the real HTTP server, requests signed like Slack's, and a
local stand-in for Slack (tests/slack_stub.py) that records what the bot sends back.

Expected figures come from the loaded fact base, never from numbers written here.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import aiohttp
import pytest
import yaml
from slack_client import (
    APP_TOKEN,
    BOT_TOKEN,
    QPV_EN,
    QPV_FR,
    SECRET,
    WRONG_SECRET,
    Bot,
    direct_message,
    event_callback,
    mention,
    serving,
    settings_env,
)
from slack_sdk.errors import SlackApiError
from slack_stub import BOT_ID, BOT_USER, Call, SlackStub

from bot import cli, render
from bot.adapter import drain, socket_mode
from bot.answers import Answer, Engine
from bot.config import ConfigError, SlackSettings, slack_settings
from bot.knowledge import FactBase
from bot.slack_app import (
    APOLOGY,
    LOCALE_RETRY_SECONDS,
    LOCALE_TTL_SECONDS,
    MissionBot,
    build_app,
    serve,
)
from bot.slack_cache import TTLCache
from bot.slack_delivery import Delivery


def value(base: FactBase, entry_id: str, lang: str) -> str:
    return render.escape(render.format_value(base.get(entry_id), lang, base))


def buttons(call: Call) -> list[dict[str, Any]]:
    blocks = call.args.get("blocks") or []
    return [e for b in blocks if b.get("type") == "actions" for e in b["elements"]]


# ---------------------------------------------------------------- basics


async def test_healthz(bot: Bot):
    async with bot.session.get(f"{bot.url}/healthz") as response:
        assert response.status == 200
        assert (await response.json())["ok"] is True


async def test_url_verification_echoes_the_challenge(bot: Bot):
    body = json.dumps(
        {"token": "x", "challenge": "3eZbrw1aBm2rZgRNFdxV", "type": "url_verification"}
    )
    status, text, _ = await bot.post(body, "application/json", bot.signed(body))
    assert status == 200 and "3eZbrw1aBm2rZgRNFdxV" in text


# ---------------------------------------------------------------- /mission


async def test_slash_command_answers_ephemerally_in_english(bot: Bot, slack: SlackStub, base):
    status, _, elapsed = await bot.command(QPV_EN, "en1")
    assert status == 200 and elapsed < 3
    [reply] = await slack.wait_for("response_url", where=lambda c: c.key == "en1")
    assert reply.args["response_type"] == "ephemeral"
    text = reply.text()
    assert value(base, "qpv_students", "en") in text
    assert render.t("en", "caveat") in text and render.t("fr", "caveat") not in text
    [share] = [b for b in buttons(reply) if b["action_id"] == "mission_share"]
    assert share["value"].startswith("qpv_students|en|")
    assert reply.args["text"].startswith(value(base, "qpv_students", "en"))  # notification text


async def test_slash_command_answers_in_french_to_a_french_question(
    bot: Bot, slack: SlackStub, base
):
    await bot.command(QPV_FR, "fr1")
    [reply] = await slack.wait_for("response_url", where=lambda c: c.key == "fr1")
    text = reply.text()
    assert value(base, "qpv_students", "fr") in text
    assert value(base, "qpv_students", "en") not in text
    assert render.t("fr", "caveat") in text
    assert [b["text"]["text"] for b in buttons(reply)] == [render.t("fr", "share")]


@pytest.mark.parametrize(
    ("question", "entry_id", "lang"),
    [
        ("lever funding", "lever_funding", "en"),
        ("levier financement", "lever_funding", "fr"),
        ("category qpv", "category_qpv", "en"),
        ("catégorie handicap", "category_disabilities", "fr"),
    ],
)
async def test_levers_and_categories_follow_the_words_used(
    bot: Bot, slack: SlackStub, base, question, entry_id, lang
):
    await bot.command(question, "lc")
    [reply] = await slack.wait_for("response_url", where=lambda c: c.key == "lc")
    entry = base.get(entry_id)
    other = "fr" if lang == "en" else "en"
    assert render.escape(entry.label.get(lang)) in reply.text()
    assert render.escape(entry.label.get(other)) not in reply.text()


@pytest.mark.parametrize(
    ("text", "locale", "lang"),
    [
        ("help", "en-US", "en"),
        ("aide", "fr-FR", "fr"),
        ("", "fr-FR", "fr"),
        ("help", "fr-FR", "fr"),
    ],
)
async def test_help_in_the_users_language(bot: Bot, slack: SlackStub, text, locale, lang):
    slack.locales["U0HELP"] = locale
    await bot.command(text, "help", user="U0HELP")
    [reply] = await slack.wait_for("response_url", where=lambda c: c.key == "help")
    assert reply.args["response_type"] == "ephemeral"
    assert render.escape(render.t(lang, "help_title")) in reply.text()
    assert "/mission" in reply.text()
    [info] = slack.of("users.info")
    assert info.args["user"] == "U0HELP" and info.args["include_locale"] in ("1", "true", True)


async def test_the_users_locale_is_looked_up_once(bot: Bot, slack: SlackStub):
    slack.locales["U0FR"] = "fr-FR"
    for key in ("a", "b", "c"):
        await bot.command("", key, user="U0FR")
        await slack.wait_for("response_url", where=lambda c, k=key: c.key == k)
    assert len(slack.of("users.info")) == 1


async def test_share_button_posts_the_answer_in_the_channel(bot: Bot, slack: SlackStub, base):
    await bot.command(QPV_EN, "ask")
    [reply] = await slack.wait_for("response_url", where=lambda c: c.key == "ask")
    [share] = [b for b in buttons(reply) if b["action_id"] == "mission_share"]
    status, _, _ = await bot.click(
        {"action_id": "mission_share", "block_id": "mission_share", "value": share["value"]}, "sh"
    )
    assert status == 200
    posted, deleted = await slack.wait_for("response_url", count=2, where=lambda c: c.key == "sh")
    assert posted.args["response_type"] == "in_channel"
    assert posted.args.get("replace_original") is False
    assert value(base, "qpv_students", "en") in posted.text()
    assert QPV_EN.replace("?", "") in posted.text()  # the question is quoted
    assert "<@U0ASKER>" in posted.text()  # shared by
    assert not buttons(posted)
    assert deleted.args.get("delete_original") is True


def a_plausible_answer(engine: Engine) -> Answer:
    for question in ("target", "objective", "students", "combien d'étudiants", "share of students"):
        answer = engine.ask(question)
        if answer.confidence == "plausible" and answer.alternatives:
            return answer
    raise AssertionError("no plausible answer among the probe questions")


async def test_plausible_answers_offer_buttons_that_answer_the_other_reading(
    bot: Bot, slack: SlackStub, engine: Engine, base
):
    plausible = a_plausible_answer(engine)
    await bot.command(plausible.question, "amb")
    [reply] = await slack.wait_for("response_url", where=lambda c: c.key == "amb")
    assert plausible.entry is not None
    assert render.escape(render.headline(plausible.entry, plausible.lang, base))[:80] in (
        reply.text()
    )
    choices = [b for b in buttons(reply) if b["action_id"].startswith("mission_choose_")]
    assert len(choices) == len(plausible.alternatives) >= 1
    chosen = plausible.alternatives[0]
    assert choices[0]["value"].startswith(f"{chosen.id}|")
    await bot.click(
        {
            "action_id": choices[0]["action_id"],
            "block_id": "mission_choices",
            "value": choices[0]["value"],
        },
        "pick",
    )
    [answer] = await slack.wait_for("response_url", where=lambda c: c.key == "pick")
    assert answer.args["replace_original"] is True
    expected = render.headline(chosen, plausible.lang, base)
    assert render.escape(expected)[:80] in answer.text()
    assert [b["action_id"] for b in buttons(answer)] == ["mission_share"]


async def test_an_over_long_question_gets_a_note_not_an_error(bot: Bot, slack: SlackStub, engine):
    question = QPV_EN + " please" * 700
    assert engine.ask(question).truncated
    status, _, _ = await bot.command(question, "long")
    assert status == 200
    [reply] = await slack.wait_for("response_url", where=lambda c: c.key == "long")
    note = render.t("en", "truncated").split("{n}")[0]
    assert render.escape(note) in reply.text()


# ---------------------------------------------------------------- mentions, DMs, App Home


async def test_a_mention_is_answered_in_its_thread(bot: Bot, slack: SlackStub, base):
    status, _, _ = await bot.event(mention(QPV_EN, "1700000100.000100"), "Ev1")
    assert status == 200
    [post] = await slack.wait_for("chat.postMessage")
    assert post.args["channel"] == "C0GENERAL"
    assert post.args["thread_ts"] == "1700000100.000100"
    assert value(base, "qpv_students", "en") in post.text()
    assert not [b for b in buttons(post) if b["action_id"] == "mission_share"]


async def test_a_mention_inside_a_thread_stays_in_that_thread(bot: Bot, slack: SlackStub, base):
    await bot.event(mention(QPV_FR, "1700000200.000200", thread_ts="1700000150.000150"), "Ev2")
    [post] = await slack.wait_for("chat.postMessage")
    assert post.args["thread_ts"] == "1700000150.000150"
    assert value(base, "qpv_students", "fr") in post.text()


async def test_a_direct_message_is_answered_in_the_dm(bot: Bot, slack: SlackStub, base):
    await bot.event(direct_message(QPV_FR, "1700000300.000300"), "Ev3")
    [post] = await slack.wait_for("chat.postMessage")
    assert post.args["channel"] == "D0ASKER"
    assert "thread_ts" not in post.args
    assert value(base, "qpv_students", "fr") in post.text()


async def test_bots_and_the_bot_itself_get_no_answer(bot: Bot, slack: SlackStub):
    await bot.event(direct_message(QPV_EN, "1.1", bot_id="B0OTHER"), "EvB1")
    await bot.event(direct_message(QPV_EN, "1.2", subtype="bot_message"), "EvB2")
    await bot.event(direct_message(QPV_EN, "1.3", user=BOT_USER, bot_id=BOT_ID), "EvB3")
    await bot.event(direct_message(QPV_EN, "1.4", subtype="message_changed"), "EvB4")
    await bot.event(mention(QPV_EN, "1.5", bot_id="B0OTHER"), "EvB5")
    await bot.event(direct_message("help", "1.9"), "EvSentinel")  # a person, last
    posts = await slack.wait_for("chat.postMessage")
    assert await drain(bot.app)
    assert [p.args["channel"] for p in slack.of("chat.postMessage")] == ["D0ASKER"]
    assert posts[0].args.get("thread_ts") is None


async def test_app_home_shows_key_figures_in_the_users_language(bot: Bot, slack: SlackStub, base):
    slack.locales["U0HOME"] = "fr-FR"
    event = {"type": "app_home_opened", "user": "U0HOME", "channel": "D0HOME", "tab": "home"}
    await bot.event(event, "EvHome")
    [publish] = await slack.wait_for("views.publish")
    assert publish.args["user_id"] == "U0HOME"
    view = publish.args["view"]
    assert view["type"] == "home"
    text = publish.text()
    assert render.t("fr", "home_title") in text
    key_figures = [e for e in base if e.file == "key_figures.yaml" and e.is_figure]
    assert value(base, key_figures[0].id, "fr") in text
    shown = [e for e in key_figures if value(base, e.id, "fr") in text]
    assert len(shown) >= 3
    assert "/mission" in text


async def test_the_messages_tab_publishes_nothing(bot: Bot, slack: SlackStub):
    event = {"type": "app_home_opened", "user": "U0HOME", "channel": "D0HOME", "tab": "messages"}
    await bot.event(event, "EvMessagesTab")
    await bot.event({**event, "tab": "home"}, "EvHomeTab")
    await slack.wait_for("views.publish")
    assert await drain(bot.app)
    assert len(slack.of("views.publish")) == 1


# ---------------------------------------------------------------- the user's language


class UsersInfo:
    """A stand-in Web API client for `MissionBot.user_lang`: counts users.info calls,
    fails the next `failures` of them with `error`, and holds them while `gate` is closed."""

    def __init__(self, locale: str = "fr-FR") -> None:
        self.locale = locale
        self.calls = 0
        self.failures = 0
        self.error: BaseException = RuntimeError("unset")
        self.gate = asyncio.Event()
        self.gate.set()

    async def users_info(self, user: str, include_locale: bool) -> dict[str, Any]:
        self.calls += 1
        await self.gate.wait()
        if self.failures:
            self.failures -= 1
            raise self.error
        return {"ok": True, "user": {"id": user, "locale": self.locale}}


def mission_bot(engine: Engine, now: list[float]) -> MissionBot:
    bot = MissionBot(engine, SlackSettings(bot_token=BOT_TOKEN, signing_secret=SECRET))
    bot.user_langs = TTLCache(100, LOCALE_TTL_SECONDS, clock=lambda: now[0])
    return bot


@pytest.mark.parametrize(
    "error",
    [
        SlackApiError("ratelimited", {"ok": False, "error": "ratelimited"}),
        aiohttp.ClientConnectionError("network down"),
        TimeoutError(),
    ],
    ids=["ratelimited", "network", "timeout"],
)
async def test_a_failed_locale_lookup_is_not_remembered_for_hours(engine, error):
    now = [0.0]
    bot = mission_bot(engine, now)
    client = UsersInfo("fr-FR")
    client.failures, client.error = 1, error
    assert await bot.user_lang("U0FR", client) == "en"  # the default, for now
    now[0] = LOCALE_RETRY_SECONDS / 2
    assert await bot.user_lang("U0FR", client) == "en"
    assert client.calls == 1  # not asked again at once
    now[0] = LOCALE_RETRY_SECONDS + 1
    assert await bot.user_lang("U0FR", client) == "fr"  # asked again, and this time known
    assert client.calls == 2
    now[0] += LOCALE_TTL_SECONDS - 60
    assert await bot.user_lang("U0FR", client) == "fr"
    assert client.calls == 2  # a success is remembered for hours


async def test_concurrent_events_of_one_user_make_one_users_info_call(engine):
    bot = mission_bot(engine, [0.0])
    client = UsersInfo("fr-FR")
    client.gate.clear()
    same = [asyncio.create_task(bot.user_lang("U0FR", client)) for _ in range(5)]
    other = asyncio.create_task(bot.user_lang("U0OTHER", client))
    await asyncio.sleep(0.05)  # every task is waiting for users.info now
    same[0].cancel()  # one event given up does not cancel the others' lookup
    client.gate.set()
    assert await asyncio.gather(*same[1:], other) == ["fr"] * 5
    assert client.calls == 2  # one per user
    assert bot.lang_lookups == {}  # nothing left behind
    assert await bot.user_lang("U0FR", client) == "fr" and client.calls == 2


# ---------------------------------------------------------------- failures


def raise_boom(*_args: Any, **_kwargs: Any) -> Answer:
    raise RuntimeError("the engine broke")


async def test_a_failing_answer_gets_an_apology_in_the_users_language(
    bot: Bot, slack: SlackStub, monkeypatch, caplog
):
    monkeypatch.setattr(Engine, "ask", raise_boom)
    monkeypatch.setattr(Engine, "answer_fact", raise_boom)
    await bot.command(QPV_FR, "oops")
    await bot.event(mention(QPV_EN, "1700000900.000900"), "EvOops")
    await bot.event(direct_message(QPV_FR, "1700000950.000950"), "EvOopsDM")
    await bot.click(
        {"action_id": "mission_share", "value": render.action_value("qpv_students", "fr", QPV_FR)},
        "oops-click",
    )
    [reply] = await slack.wait_for("response_url", where=lambda c: c.key == "oops")
    assert reply.args["text"] == APOLOGY["fr"]
    assert reply.args["response_type"] == "ephemeral"
    [click] = await slack.wait_for("response_url", where=lambda c: c.key == "oops-click")
    assert click.args["text"] == APOLOGY["fr"]
    posts = await slack.wait_for("chat.postMessage", count=2)
    assert await drain(bot.app)
    by_channel = {p.args["channel"]: p.args for p in posts}
    assert by_channel["C0GENERAL"]["text"] == APOLOGY["en"]
    assert by_channel["C0GENERAL"]["thread_ts"] == "1700000900.000900"
    assert by_channel["D0ASKER"]["text"] == APOLOGY["fr"]
    failures = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    for via in ("command", "mention", "dm", "share"):
        [line] = [m for m in failures if f"failed via={via} " in m]
        assert "Traceback" in line and "the engine broke" in line
    for secret in (BOT_TOKEN, SECRET):
        assert secret not in caplog.text


async def test_when_even_the_apology_fails_it_is_only_logged(
    slack: SlackStub, engine: Engine, caplog
):
    once = Delivery(attempts=1, timeout=5.0)  # the client library retries a refusal once
    with socket.socket() as closed:  # bound, never listening: connections are refused
        closed.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{closed.getsockname()[1]}/response/nowhere"
        async with serving(engine, slack, once) as bot:
            status, _, _ = await bot.command(QPV_EN, "nowhere", response_url=nowhere)
            assert status == 200
            assert await drain(bot.app)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    [failed] = [m for m in warnings if "not delivered via=command" in m]
    [again] = [m for m in warnings if "no apology either via=command" in m]
    assert "connection refused, 1 tries" in failed and "connection refused" in again
    # Slack out of reach is no bug: no error, no traceback
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "Traceback" not in caplog.text
    assert not slack.of("response_url") and not slack.of("chat.postMessage")
    for secret in (BOT_TOKEN, SECRET):
        assert secret not in caplog.text


# ---------------------------------------------------------------- safety


@pytest.mark.parametrize("forgery", ["forged", "stale", "missing"])
async def test_unsigned_requests_get_401_and_cause_no_call(bot: Bot, slack: SlackStub, forgery):
    body = bot.command_body(QPV_EN, "forged")
    event = json.dumps(
        {"type": "event_callback", "event_id": "EvF", "event": mention(QPV_EN, "2.1")}
    )
    for payload, content_type in (
        (body, "application/x-www-form-urlencoded"),
        (event, "application/json"),
    ):
        if forgery == "forged":
            headers = bot.signed(payload, secret=WRONG_SECRET)
        elif forgery == "stale":
            headers = bot.signed(payload, ts=int(time.time()) - 6 * 60)
        else:
            headers = {}
        status, _, _ = await bot.post(payload, content_type, headers)
        assert status == 401
    # a genuine request afterwards is served; nothing else ever reached Slack
    await bot.command(QPV_EN, "genuine")
    await slack.wait_for("response_url", where=lambda c: c.key == "genuine")
    assert await drain(bot.app)
    assert {c.key for c in slack.of("response_url")} == {"genuine"}
    assert not slack.of("chat.postMessage")


async def test_slacks_ssl_check_gets_200_and_calls_nothing(bot: Bot, slack: SlackStub):
    # Slack probes a slash command's URL unsigned; Bolt answers before checking signatures
    body = urlencode({"ssl_check": "1", "token": "deprecated-verification-token"})
    status, _, _ = await bot.post(body, "application/x-www-form-urlencoded")
    assert status == 200
    assert await drain(bot.app)
    assert slack.calls == []  # no Web API call, no response_url, no listener ran


async def test_a_retried_event_gets_one_reply(bot: Bot, slack: SlackStub):
    event = mention(QPV_EN, "1700000400.000400")
    first, retry = await asyncio.gather(
        bot.event(event, "EvRetry"),
        bot.event(
            event, "EvRetry", {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"}
        ),
    )
    assert first[0] == retry[0] == 200
    await slack.wait_for("chat.postMessage")
    later = await bot.event(
        event, "EvRetry", {"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_error"}
    )
    assert later[0] == 200
    await bot.event(mention("help", "1700000500.000500"), "EvAfter")
    await slack.wait_for("chat.postMessage", count=2)
    assert await drain(bot.app)
    threads = [p.args["thread_ts"] for p in slack.of("chat.postMessage")]
    assert threads.count("1700000400.000400") == 1


async def test_a_retry_after_a_timeout_is_not_answered_again_anywhere(bot: Bot, slack: SlackStub):
    # the first delivery went to another process: this one only sees the retry
    event = mention(QPV_EN, "1700000600.000600")
    status, _, _ = await bot.event(
        event, "EvElsewhere", {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    )
    assert status == 200
    await bot.event(mention("help", "1700000700.000700"), "EvNext")
    await slack.wait_for("chat.postMessage")
    assert await drain(bot.app)
    assert [p.args["thread_ts"] for p in slack.of("chat.postMessage")] == ["1700000700.000700"]


INJECTION = " <!channel> @here <@U0VICTIM> <http://evil.example|click> <!subteam^S123> & co"


async def test_user_text_is_echoed_escaped(bot: Bot, slack: SlackStub):
    await bot.command(QPV_EN + INJECTION, "inj")
    await bot.event(mention(QPV_EN + INJECTION, "1700000800.000800"), "EvInj")
    [reply] = await slack.wait_for("response_url", where=lambda c: c.key == "inj")
    [post] = await slack.wait_for("chat.postMessage")
    for call in (reply, post):
        text = call.text()
        for raw in ("<!channel>", "<!here", "<@U0VICTIM>", "<http", "<!subteam", "& co"):
            assert raw not in text
        assert "&amp; co" in text  # what is left of the user's text is escaped
        assert "click" in text  # a link shows as its label, never as a link
        assert "link_names" not in call.args and "parse" not in call.args


async def test_no_secret_in_the_logs_but_what_was_asked(bot: Bot, slack: SlackStub, caplog):
    caplog.set_level(logging.DEBUG)
    await bot.command(QPV_FR, "log")
    await slack.wait_for("response_url", where=lambda c: c.key == "log")
    assert await drain(bot.app)
    for secret in (BOT_TOKEN, SECRET):
        assert secret not in caplog.text
    [line] = [
        r.getMessage()
        for r in caplog.records
        if r.name == "bot.slack" and "via=command" in r.getMessage()
    ]
    assert "lang=fr" in line and "fact=qpv_students" in line and "ms=" in line and "QPV" in line


async def test_200_concurrent_commands_are_acknowledged_in_time_and_all_answered(
    bot: Bot, slack: SlackStub, base
):
    questions = [(QPV_EN, "en"), (QPV_FR, "fr")]
    results = await asyncio.gather(
        *(bot.command(questions[i % 2][0], f"c{i}", user=f"U{i:04d}") for i in range(200))
    )
    assert all(status == 200 for status, _, _ in results)
    assert max(elapsed for _, _, elapsed in results) < 3.0
    replies = await slack.wait_for("response_url", count=200, timeout=40)
    assert len({r.key for r in replies}) == 200
    for reply in replies:
        lang = questions[int(reply.key[1:]) % 2][1]
        assert value(base, "qpv_students", lang) in reply.text()


# ---------------------------------------------------------------- Socket Mode


async def test_socket_mode_acknowledges_on_the_socket_and_answers(slack: SlackStub, engine, base):
    app = build_app(
        engine, slack_settings({**settings_env(slack), "SLACK_APP_TOKEN": APP_TOKEN}, env_file=None)
    )
    handler = socket_mode.handler(app, APP_TOKEN)
    await handler.connect_async()
    try:
        ws = await slack.wait_for_socket()
        payload = dict(parse_qsl(Bot(None, "", slack, app).command_body(QPV_EN, "sock")))  # type: ignore[arg-type]
        await ws.send_json(
            {
                "envelope_id": "env-1",
                "type": "slash_commands",
                "accepts_response_payload": True,
                "payload": payload,
            }
        )
        await slack.wait_for("socket_ack", where=lambda c: c.key == "env-1")
        [reply] = await slack.wait_for("response_url", where=lambda c: c.key == "sock")
        assert value(base, "qpv_students", "en") in reply.text()
        [opened] = slack.of("apps.connections.open")
        assert opened.authorization == f"Bearer {APP_TOKEN}"
    finally:
        await handler.close_async()
        await drain(app)


async def test_socket_mode_skips_a_retry_after_a_timeout(slack: SlackStub, engine):
    app = build_app(
        engine, slack_settings({**settings_env(slack), "SLACK_APP_TOKEN": APP_TOKEN}, env_file=None)
    )
    handler = socket_mode.handler(app, APP_TOKEN)
    await handler.connect_async()

    def envelope(envelope_id: str, event_id: str, event: dict[str, Any], **retry: Any) -> dict:
        payload = event_callback(event, event_id)
        return {
            "envelope_id": envelope_id,
            "type": "events_api",
            "accepts_response_payload": False,
            "payload": payload,
            "retry_attempt": 0,
            "retry_reason": "",
            **retry,
        }

    try:
        ws = await slack.wait_for_socket()
        # the first delivery went to another connection: here, only the retry arrives
        retried = mention(QPV_EN, "1700001000.001000")
        await ws.send_json(
            envelope("env-r", "EvSockRetry", retried, retry_attempt=1, retry_reason="http_timeout")
        )
        await ws.send_json(envelope("env-n", "EvSockNext", mention("help", "1700001100.001100")))
        await slack.wait_for("socket_ack", count=2)
        await slack.wait_for("chat.postMessage")
        assert await drain(app)
        assert [p.args["thread_ts"] for p in slack.of("chat.postMessage")] == ["1700001100.001100"]
    finally:
        await handler.close_async()
        await drain(app)


# ---------------------------------------------------------------- configuration


@pytest.mark.parametrize(
    ("change", "variable"),
    [
        ({"SLACK_BOT_TOKEN": ""}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxp-user-token"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_SIGNING_SECRET": ""}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_SIGNING_SECRET": "not a secret"}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_APP_TOKEN": "xoxb-wrong-kind"}, "SLACK_APP_TOKEN"),
        ({"SLACK_API_URL": "slack.com/api"}, "SLACK_API_URL"),
        ({"PORT": "eighty"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"HOST": "not a host"}, "HOST"),
        ({"MISSION_DEFAULT_LANG": "de"}, "MISSION_DEFAULT_LANG"),
    ],
)
def test_config_errors_name_the_variable(change, variable):
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        **change,
    }
    with pytest.raises(ConfigError) as error:
        slack_settings(env, env_file=None)
    assert variable in str(error.value) and "mission-bot ask" in str(error.value)
    assert BOT_TOKEN not in str(error.value) and SECRET not in str(error.value)


def test_host_defaults_to_every_interface_and_can_be_loopback():
    env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET}
    assert slack_settings(env, env_file=None).host == "0.0.0.0"
    local = slack_settings({**env, "HOST": "127.0.0.1", "PORT": "0"}, env_file=None)
    assert local.host == "127.0.0.1" and local.port == 0


def test_config_reads_a_dotenv_file_and_the_environment_wins(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text(f"SLACK_BOT_TOKEN={BOT_TOKEN}\nSLACK_SIGNING_SECRET={SECRET}\nPORT=8080\n")
    settings = slack_settings({"PORT": "9090", "SLACK_APP_TOKEN": APP_TOKEN}, env_file=env_file)
    assert settings.bot_token == BOT_TOKEN and settings.port == 9090 and settings.socket_mode
    assert BOT_TOKEN not in repr(settings) and SECRET not in repr(settings)
    assert not slack_settings({}, env_file=env_file, mode="http").socket_mode
    with pytest.raises(ConfigError, match="SLACK_APP_TOKEN"):
        slack_settings({"SLACK_APP_TOKEN": ""}, env_file=env_file, mode="socket")


def test_serve_stops_with_a_message_naming_the_missing_variable(monkeypatch, tmp_path, capsys):
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    assert serve() == 2
    err = capsys.readouterr().err
    assert "SLACK_BOT_TOKEN" in err and "mission-bot ask" in err
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    assert cli.main(["serve", "--mode", "http"]) == 2
    assert "SLACK_SIGNING_SECRET" in capsys.readouterr().err


async def test_mission_bot_serve_runs_http_until_sigterm(slack: SlackStub, tmp_path):
    # loopback only, on a port the process picks itself and logs
    env = {**os.environ, **settings_env(slack), "HOST": "127.0.0.1", "PORT": "0"}
    env.pop("SLACK_APP_TOKEN", None)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "serve",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stderr is not None
    early: list[str] = []
    try:
        deadline = time.monotonic() + 30
        while True:  # the process is starting: read its log until it says where it listens
            line = await asyncio.wait_for(proc.stderr.readline(), deadline - time.monotonic())
            assert line, f"serve exited early: {''.join(early)}"
            early.append(line.decode())
            if found := re.search(r"HTTP listening on (\S+) port (\d+)", early[-1]):
                break
        assert found[1] == "127.0.0.1"
        url = f"http://127.0.0.1:{found[2]}"
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{url}/healthz") as response:
                assert response.status == 200
            sender = Bot(session, url, slack, None)  # type: ignore[arg-type]
            status, _, _ = await sender.command(QPV_EN, "proc")
            assert status == 200
            await slack.wait_for("response_url", where=lambda c: c.key == "proc")
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0
    log = "".join(early) + err.decode()
    assert "via=command" in log and BOT_TOKEN not in log and SECRET not in log


def test_the_manifest_declares_what_the_app_uses():
    manifest = yaml.safe_load(
        (Path(__file__).parent.parent / "slack" / "manifest.yaml").read_text()
    )
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == "/mission" and command["usage_hint"]
    # exactly what is used: no im:read / im:write (the bot never opens or lists DMs)
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {
        "commands",
        "chat:write",
        "app_mentions:read",
        "im:history",
        "users:read",
        "files:write",
    }
    settings = manifest["settings"]
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        "app_mention",
        "message.im",
        "app_home_opened",
    }
    assert settings["interactivity"]["is_enabled"] is True
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True
    assert settings["socket_mode_enabled"] is True


def test_slack_markup_reads_as_plain_text():
    from bot.slack_app import plain_text

    wire = "QPV <!channel> <@U1|bob> <http://x.example|the site> <#C1|general> &lt;b&gt;"
    text = plain_text(wire)
    assert "<!" not in text and "<@" not in text and "http" not in text
    assert "the site" in text and "general" in text and "<b>" in text


# ---------------------------------------------------------------- charts


async def test_a_series_answer_uploads_its_chart_in_the_thread(bot: Bot, slack: SlackStub, base):
    from bot import charts

    entry = base.get("free_users_reasons")
    await bot.event(mention(entry.label.fr, "1700000700.000700"), "EvChart1")
    [post] = await slack.wait_for("chat.postMessage")
    assert render.escape(entry.note.fr) in post.text()
    [done] = await slack.wait_for("files.completeUploadExternal")
    assert done.args["channel_id"] == "C0GENERAL"
    assert done.args["thread_ts"] == "1700000700.000700"
    assert done.args["files"][0]["title"] == entry.label.fr
    [asked] = slack.of("files.getUploadURLExternal")
    assert asked.args["filename"] == f"{entry.id}-fr.png"
    [image] = slack.uploads.values()
    width, height = charts.png_size(image)
    assert width > 300 and height > 150
    # the same chart again comes from the app's cache: the same bytes
    await bot.event(direct_message(entry.label.fr, "1700000800.000800"), "EvChart2")
    await slack.wait_for("files.completeUploadExternal", count=2)
    assert len(set(slack.uploads.values())) == 1


async def test_a_failed_upload_still_answers_and_logs_one_warning(
    bot: Bot, slack: SlackStub, base, caplog
):
    caplog.set_level(logging.WARNING, logger="bot.slack")
    slack.upload_error = "missing_scope"
    entry = base.get("women_free_users_series")
    await bot.event(direct_message(entry.label.en, "1700000900.000900"), "EvChart3")
    [post] = await slack.wait_for("chat.postMessage")
    assert value(base, "women_free_users_2018", "en") in post.text()
    await slack.wait_for("files.getUploadURLExternal")
    assert await drain(bot.app)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "missing_scope" in warnings[0].getMessage()
    assert not slack.of("files.completeUploadExternal") and not slack.uploads


async def test_a_chart_that_cannot_be_drawn_leaves_the_answer_alone(
    bot: Bot, slack: SlackStub, base, caplog, monkeypatch
):
    from bot import charts

    def broken(self, entry, lang):
        raise ValueError("drawing failed")

    monkeypatch.setattr(charts.ChartCache, "image", broken)
    entry = base.get("women_free_users_series")
    await bot.event(direct_message(entry.label.en, "1700000950.000950"), "EvChartBroken")
    await slack.wait_for("chat.postMessage")
    assert await drain(bot.app)
    [post] = slack.of("chat.postMessage")  # the answer, and no apology after it
    assert value(base, "women_free_users_2018", "en") in post.text()
    assert not slack.of("files.getUploadURLExternal")
    assert any("drawing failed" in r.getMessage() or r.exc_text for r in caplog.records)


async def test_a_plain_figure_uploads_nothing(bot: Bot, slack: SlackStub):
    await bot.event(direct_message(QPV_EN, "1700001000.001000"), "EvChart4")
    await slack.wait_for("chat.postMessage")
    assert await drain(bot.app)
    assert not slack.of("files.getUploadURLExternal")


async def test_sharing_a_chart_answer_uploads_the_chart_in_the_channel(
    bot: Bot, slack: SlackStub, base
):
    entry = base.get("job_seekers_sp_age")
    value_ = render.action_value(entry.id, "fr", entry.label.fr)
    share = {"action_id": "mission_share", "block_id": "mission_share", "value": value_}
    await bot.click(share, "shc")
    [done] = await slack.wait_for("files.completeUploadExternal")
    assert done.args["channel_id"] == "C0GENERAL" and not done.args.get("thread_ts")
    assert done.args["files"][0]["title"] == entry.label.fr
