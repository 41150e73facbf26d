"""The Slack app with a store, end to end: questions logged, feedback buttons and the
modal, the Home tab's most asked entries, a failing store, and two `serve` processes
sharing one store. Each runs on SQLite and on PostgreSQL (`store_config`).
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
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from slack_client import (
    FAST,
    QPV_EN,
    SECRET,
    Bot,
    direct_message,
    mention,
    new_trigger_id,
    settings_env,
)
from slack_stub import TEAM, SlackStub
from test_slack_app import a_plausible_answer, buttons
from test_store import raw_sql

from bot import feedback_view, render
from bot.adapter import drain, http
from bot.answers import Engine
from bot.config import StoreSettings, slack_settings
from bot.slack_app import build_app, serve
from bot.store import Question, open_store

RETRY = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"}


@pytest.fixture
async def logged(slack: SlackStub, engine: Engine, store_config) -> AsyncIterator[Bot]:
    """The bot's HTTP server with a store; `bot.app` is the Bolt app."""
    store = open_store(store_config)
    settings = slack_settings(settings_env(slack), env_file=None, mode="http")
    app = build_app(engine, settings, store=store, delivery=FAST)
    runner = await http.start(app, SECRET, "127.0.0.1", 0)
    async with aiohttp.ClientSession() as session:
        yield Bot(session, f"http://127.0.0.1:{http.bound_port(runner)}", slack, app)
    await runner.cleanup()
    assert await drain(app, timeout=10)
    store.close()


def records(config: StoreSettings) -> list:
    with open_store(config) as store:
        return store.records()


async def click(
    bot: Bot, action: dict[str, Any], key: str, user: str = "U0ASKER", trigger: str | None = None
) -> int:
    """A click on a button, with a fresh trigger_id unless given (Slack gives each click
    its own; one seen before is a replay, not answered again)."""
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM, "domain": "mission"},
        "user": {"id": user, "username": "someone", "team_id": TEAM},
        "api_app_id": "A0MISSION",
        "token": "deprecated-verification-token",
        "container": {"type": "message", "message_ts": "1700000000.000001", "is_ephemeral": True},
        "trigger_id": trigger or new_trigger_id(),
        "channel": {"id": "C0GENERAL", "name": "general"},
        "response_url": bot.slack.response_url(key),
        "actions": [{**action, "type": "button", "action_ts": "1700000001.000001"}],
    }
    body = urlencode({"payload": json.dumps(payload)})
    status, _, _ = await bot.post(body, "application/x-www-form-urlencoded", bot.signed(body))
    return status


async def submit(bot: Bot, view: dict[str, Any], wanted: str, user: str) -> int:
    """The modal sent back with `wanted` typed in its field, as Slack posts it."""
    state = {
        feedback_view.WANTED_BLOCK: {
            feedback_view.WANTED_ACTION: {"type": "plain_text_input", "value": wanted}
        }
    }
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "mission"},
        "user": {"id": user, "username": "someone", "team_id": TEAM},
        "api_app_id": "A0MISSION",
        "token": "deprecated-verification-token",
        "trigger_id": new_trigger_id(),
        "view": {**view, "id": "V0MODAL", "team_id": TEAM, "state": {"values": state}},
    }
    body = urlencode({"payload": json.dumps(payload)})
    status, _, _ = await bot.post(body, "application/x-www-form-urlencoded", bot.signed(body))
    return status


def feedback_buttons(call) -> dict[str, dict[str, Any]]:
    return {
        b["action_id"]: b
        for b in buttons(call)
        if b["action_id"] in (feedback_view.UP, feedback_view.DOWN)
    }


# ---------------------------------------------------------------- the question log


async def test_every_question_is_logged_once_answered(logged: Bot, slack: SlackStub, store_config):
    await logged.command(QPV_EN, "cmd", user="U0ONE")
    await logged.event(mention(QPV_EN, "1700003000.000100"), "EvLog1")
    await logged.event(direct_message("help", "1700003000.000200"), "EvLog2")
    await slack.wait_for("response_url", where=lambda c: c.key == "cmd")
    await slack.wait_for("chat.postMessage", count=2)
    assert await drain(logged.app)
    by_surface = {r.surface: r for r in records(store_config)}
    assert set(by_surface) == {"command", "mention", "dm"}
    command = by_surface["command"]
    assert (command.status, command.lang, command.fact) == ("answer", "en", "qpv_students")
    assert command.band in ("sure", "plausible") and command.latency_ms > 0
    assert command.question == QPV_EN
    assert command.user_hash and "U0ONE" not in command.user_hash
    assert by_surface["mention"].user_hash != command.user_hash  # another user
    assert by_surface["dm"].status == "help" and by_surface["dm"].fact is None


async def test_a_plausible_answer_is_logged_with_the_readings_offered(
    logged: Bot, slack: SlackStub, engine: Engine, store_config
):
    plausible = a_plausible_answer(engine)
    await logged.command(plausible.question, "amb")
    await slack.wait_for("response_url", where=lambda c: c.key == "amb")
    assert await drain(logged.app)
    [record] = records(store_config)
    assert record.band == "plausible" and record.fact == plausible.entry.id
    assert record.alternatives == tuple(e.id for e in plausible.alternatives)


async def test_with_a_shared_ledger_a_timeout_retry_nobody_took_is_answered(
    logged: Bot, slack: SlackStub
):
    # every process records an event before acknowledging it: if none has, none took it
    timeout = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    event = mention(QPV_EN, "1700006000.000100")
    await logged.event(event, "EvLost", timeout)
    await logged.event(event, "EvLost", {**timeout, "X-Slack-Retry-Num": "2"})
    await slack.wait_for("chat.postMessage")
    assert await drain(logged.app)
    assert [p.args["thread_ts"] for p in slack.of("chat.postMessage")] == ["1700006000.000100"]


# ---------------------------------------------------------------- feedback


async def test_feedback_buttons_take_one_vote_per_user_and_a_comment(
    logged: Bot, slack: SlackStub, store_config
):
    await logged.command(QPV_EN, "ask")
    [reply] = await slack.wait_for("response_url", where=lambda c: c.key == "ask")
    found = feedback_buttons(reply)
    assert [b["text"]["text"] for b in found.values()] == [
        feedback_view.t("en", "up"),
        feedback_view.t("en", "down"),
    ]
    up, down = found[feedback_view.UP], found[feedback_view.DOWN]
    assert await drain(logged.app)  # the question is logged just after its reply is sent
    [record] = records(store_config)
    assert feedback_view.parse_value(up["value"]) == (record.id, "en")

    def action(button: dict[str, Any]) -> dict[str, Any]:
        return {"action_id": button["action_id"], "value": button["value"]}

    # the asker: 👍, then 👍 again (counted once)
    assert await click(logged, action(up), "up1") == 200
    [thanks] = await slack.wait_for("response_url", where=lambda c: c.key == "up1")
    assert thanks.args["text"] == feedback_view.t("en", "new")
    assert thanks.args["response_type"] == "ephemeral"
    assert thanks.args.get("replace_original") is False  # the answer stays as it was
    await click(logged, action(up), "up2")
    [again] = await slack.wait_for("response_url", where=lambda c: c.key == "up2")
    assert again.args["text"] == feedback_view.t("en", "same")
    # someone else reading the thread: 👎, which opens the "what were you looking for?" modal
    trigger = new_trigger_id()
    await click(logged, action(down), "down1", user="U0READER", trigger=trigger)
    [opened] = await slack.wait_for("views.open")
    assert opened.args["trigger_id"] == trigger
    modal = opened.args["view"]
    assert modal["callback_id"] == feedback_view.MODAL
    assert feedback_view.parse_value(modal["private_metadata"]) == (record.id, "en")
    assert await submit(logged, modal, "the share of QPV students, not the count", "U0READER") == (
        200
    )
    assert await drain(logged.app)
    assert not slack.of("response_url", where=lambda c: c.key == "down1")  # the modal said it
    [record] = records(store_config)
    votes = sorted((v.vote, v.comment) for v in record.votes)
    assert votes == [("down", "the share of QPV students, not the count"), ("up", None)]


async def test_a_vote_on_an_answer_no_longer_logged_is_thanked_and_dropped(
    logged: Bot, slack: SlackStub, store_config
):
    value = feedback_view.value("0123456789abcdef", "fr")
    await click(logged, {"action_id": feedback_view.DOWN, "value": value}, "gone")
    [reply] = await slack.wait_for("response_url", where=lambda c: c.key == "gone")
    assert reply.args["text"] == feedback_view.t("fr", "unknown")
    assert not slack.of("views.open") and records(store_config) == []


async def test_help_replies_have_no_feedback_buttons(logged: Bot, slack: SlackStub):
    await logged.command("help", "help")
    [reply] = await slack.wait_for("response_url", where=lambda c: c.key == "help")
    assert not feedback_buttons(reply)


async def test_without_a_store_answers_have_no_feedback_buttons(slack: SlackStub, engine):
    settings = slack_settings(settings_env(slack), env_file=None, mode="http")
    app = build_app(engine, settings, delivery=FAST)
    runner = await http.start(app, SECRET, "127.0.0.1", 0)
    try:
        async with aiohttp.ClientSession() as session:
            bot = Bot(session, f"http://127.0.0.1:{http.bound_port(runner)}", slack, app)
            await bot.command(QPV_EN, "plain")
            [reply] = await slack.wait_for("response_url", where=lambda c: c.key == "plain")
    finally:
        await runner.cleanup()
        await drain(app)
    assert buttons(reply) and not feedback_buttons(reply)


async def test_a_replayed_click_is_neither_counted_nor_thanked_twice(
    logged: Bot, slack: SlackStub, store_config
):
    await logged.command(QPV_EN, "ask")
    [reply] = await slack.wait_for("response_url", where=lambda c: c.key == "ask")
    up = feedback_buttons(reply)[feedback_view.UP]
    assert await drain(logged.app)
    action = {"action_id": up["action_id"], "value": up["value"]}
    trigger = new_trigger_id()
    assert await click(logged, action, "first", trigger=trigger) == 200
    assert await click(logged, action, "replay", trigger=trigger) == 200  # the same request
    await slack.wait_for("response_url", where=lambda c: c.key == "first")
    assert await drain(logged.app)
    assert not slack.of("response_url", where=lambda c: c.key == "replay")
    [record] = records(store_config)
    assert [v.vote for v in record.votes] == ["up"]


async def test_a_chart_answer_is_logged_and_carries_its_chart_and_buttons(
    logged: Bot, slack: SlackStub, base, store_config
):
    entry = base.get("free_users_reasons")
    await logged.event(mention(entry.label.fr, "1700007000.000100"), "EvChartLog")
    [post] = await slack.wait_for("chat.postMessage")
    assert render.escape(entry.note.fr) in post.text()
    assert set(feedback_buttons(post)) == {feedback_view.UP, feedback_view.DOWN}
    [done] = await slack.wait_for("files.completeUploadExternal")
    assert done.args["thread_ts"] == "1700007000.000100"
    assert await drain(logged.app)
    [record] = records(store_config)
    assert (record.surface, record.lang, record.fact) == ("mention", "fr", entry.id)


# ---------------------------------------------------------------- App Home


async def test_the_home_tab_shows_the_most_asked_entries(
    logged: Bot, slack: SlackStub, base, store_config
):
    figures = [e for e in base if e.is_figure][:3]
    with open_store(store_config) as store:
        for times, entry in zip((1, 3, 2), figures, strict=True):
            for _ in range(times):
                store.log_question(
                    Question(
                        surface="command", lang="en", status="answer", question="q", fact=entry.id
                    )
                )
    event = {"type": "app_home_opened", "user": "U0HOME", "channel": "D0HOME", "tab": "home"}
    await logged.event(event, "EvHomeMost")
    [publish] = await slack.wait_for("views.publish")
    text = publish.text()
    title = feedback_view.t("en", "most_asked").format(days=feedback_view.MOST_ASKED_DAYS)
    assert title in text
    listed = text[text.index(title) :]
    order = [listed.index(render.escape(figures[i].label.get("en"))) for i in (1, 2, 0)]
    assert order == sorted(order)  # most asked first
    assert render.escape(render.format_value(figures[1], "en", base)) in listed


# ---------------------------------------------------------------- failures


async def test_a_failing_store_costs_the_user_nothing(
    slack: SlackStub, engine, store_config, caplog
):
    store = open_store(store_config)
    settings = slack_settings(settings_env(slack), env_file=None, mode="http")
    app = build_app(engine, settings, store=store, delivery=FAST)
    for table in ("feedback", "questions", "events"):  # every write fails from now on
        raw_sql(store_config, f"DROP TABLE {table}")
    runner = await http.start(app, SECRET, "127.0.0.1", 0)
    try:
        async with aiohttp.ClientSession() as session:
            bot = Bot(session, f"http://127.0.0.1:{http.bound_port(runner)}", slack, app)
            await bot.command(QPV_EN, "nolog")
            await bot.event(mention(QPV_EN, "1700004000.000100"), "EvNoLog")
            await bot.event(mention(QPV_EN, "1700004000.000100"), "EvNoLog", RETRY)
            [reply] = await slack.wait_for("response_url", where=lambda c: c.key == "nolog")
            await slack.wait_for("chat.postMessage")
            assert await drain(app)
            event = {"type": "app_home_opened", "user": "U0H", "channel": "D0H", "tab": "home"}
            await bot.event(event, "EvHomeNoLog")
            await slack.wait_for("views.publish")
            assert await drain(app)
    finally:
        await runner.cleanup()
        store.close()
    assert QPV_EN.split()[-1].rstrip("?") in reply.text()
    assert render.t("en", "caveat") in reply.text()  # the whole answer, not an apology
    assert len(slack.of("chat.postMessage")) == 1  # the retry was still recognized
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("question not logged via=command" in w for w in warnings)
    assert any("this process's memory decides" in w for w in warnings)


@pytest.mark.parametrize("broken", ["not a database", "unreachable"])
def test_serve_stops_on_a_store_it_cannot_use(broken, monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1111-2222-testtoken")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "8f742231b10e8888abcd99d0f3c85a5e")
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    if broken == "not a database":
        junk = tmp_path / "junk.db"
        junk.write_text("hello " * 1000)
        monkeypatch.setenv("MISSION_DB", str(junk))
        expected = str(junk)
    else:
        pytest.importorskip("psycopg")
        with socket.socket() as closed:
            closed.bind(("127.0.0.1", 0))
            port = closed.getsockname()[1]
        monkeypatch.setenv("DATABASE_URL", f"postgresql://bot:pw1234567@127.0.0.1:{port}/db")
        expected = f"127.0.0.1:{port}/db"
    assert serve(mode="http") == 2
    err = capsys.readouterr().err
    assert "Store error" in err and expected in err and "pw1234567" not in err


# ---------------------------------------------------------------- several processes


async def start_serve(env: dict[str, str], cwd: Path) -> tuple[asyncio.subprocess.Process, str]:
    """`mission-bot serve` in a process of its own; returns it and its URL."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "serve",
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stderr is not None
    early: list[str] = []
    deadline = time.monotonic() + 60
    while True:
        line = await asyncio.wait_for(proc.stderr.readline(), deadline - time.monotonic())
        assert line, f"serve exited early: {''.join(early)}"
        early.append(line.decode())
        if found := re.search(r"HTTP listening on (\S+) port (\d+)", early[-1]):
            return proc, f"http://127.0.0.1:{found[2]}"


async def stop(proc: asyncio.subprocess.Process) -> str:
    proc.send_signal(signal.SIGTERM)  # replies in progress finish first
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    return err.decode()


async def test_two_serve_processes_on_one_store_answer_an_event_once(
    slack: SlackStub, store_config, tmp_path
):
    env = {
        **os.environ,
        **settings_env(slack),
        "HOST": "127.0.0.1",
        "PORT": "0",
        "MISSION_DB": str(store_config.db_path),
        "DATABASE_URL": store_config.database_url or "",
    }
    env.pop("SLACK_APP_TOKEN", None)
    open_store(store_config).close()  # created once, so both start on the same schema
    started = await asyncio.gather(start_serve(env, tmp_path), start_serve(env, tmp_path))
    procs = [proc for proc, _ in started]
    try:
        async with aiohttp.ClientSession() as session:
            one, two = (Bot(session, url, slack, None) for _, url in started)  # type: ignore[arg-type]
            event = mention(QPV_EN, "1700005000.000100")
            deliveries = await asyncio.gather(
                one.event(event, "EvBoth"),
                two.event(event, "EvBoth"),
                one.event(event, "EvBoth", RETRY),
                two.event(event, "EvBoth", RETRY),
            )
            assert [status for status, _, _ in deliveries] == [200] * 4
            await slack.wait_for("chat.postMessage")
    finally:
        logs = [await stop(proc) for proc in procs]
    posts = [p for p in slack.of("chat.postMessage") if p.args["thread_ts"] == "1700005000.000100"]
    assert len(posts) == 1
    assert sum(log.count("via=mention") for log in logs) == 1
    assert [r.surface for r in records(store_config)] == ["mention"]


async def test_serve_deletes_old_questions_daily(store_config):
    from bot.slack_app import keep_retention
    from bot.store import DAY_SECONDS

    with open_store(store_config) as store:
        store.log_question(
            Question("dm", "en", "answer", "old", asked_at=time.time() - 2 * DAY_SECONDS)
        )
        store.log_question(Question("dm", "en", "answer", "new"))
        store.retention_days = 1  # as if a day went by with MISSION_RETENTION_DAYS=1
        assert len(store.records()) == 2
        keeper = asyncio.create_task(keep_retention(store, every=0.05))
        deadline = time.monotonic() + 10
        while len(store.records()) > 1 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        keeper.cancel()
        assert [r.question for r in store.records()] == ["new"]
