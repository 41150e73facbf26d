"""Talking to the Slack app as Slack does: signed commands, events and clicks, for the
tests of the Slack app (the fixtures `slack` and `bot` live in conftest.py)."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import itertools
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_stub import BOT_USER, TEAM, SlackStub

from bot.adapter import drain, http
from bot.answers import Engine
from bot.config import slack_settings
from bot.slack_app import build_app
from bot.slack_delivery import Delivery

BOT_TOKEN = "xoxb-1111-2222-testtoken"
APP_TOKEN = "xapp-1-A111-3333-testapptoken"
SECRET = "8f742231b10e8888abcd99d0f3c85a5e"
WRONG_SECRET = "0" * 32
# Replies are retried as in production, only sooner.
FAST = Delivery(attempts=3, timeout=2.0, backoff=0.05, max_wait=2.0)
QPV_EN = "how many QPV students?"
QPV_FR = "combien d'étudiants en QPV ?"


def event_callback(event: dict[str, Any], event_id: str) -> dict[str, Any]:
    """The Events API envelope Slack wraps an event in (over HTTP or Socket Mode)."""
    return {
        "team_id": TEAM,
        "api_app_id": "A0MISSION",
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
    }


@dataclass
class Bot:
    """Talks to the bot's HTTP server the way Slack does."""

    session: aiohttp.ClientSession
    url: str
    slack: SlackStub
    app: AsyncApp

    def signed(
        self, body: str | bytes, secret: str = SECRET, ts: int | None = None
    ) -> dict[str, str]:
        stamp = str(int(time.time()) if ts is None else ts)
        raw = body.encode() if isinstance(body, str) else body
        digest = hmac.new(secret.encode(), f"v0:{stamp}:".encode() + raw, hashlib.sha256)
        return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest.hexdigest()}"}

    async def post(
        self, body: str | bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> tuple[int, str, float]:
        """Status, body and seconds until Slack would have its acknowledgement."""
        started = time.perf_counter()
        all_headers = {"Content-Type": content_type, **(headers or {})}
        async with self.session.post(
            f"{self.url}/slack/events", data=body, headers=all_headers
        ) as r:
            text = await r.text()
        return r.status, text, time.perf_counter() - started

    def command_body(
        self,
        text: str,
        key: str,
        user: str = "U0ASKER",
        response_url: str | None = None,
        trigger_id: str | None = None,
    ) -> str:
        return urlencode(
            {
                "token": "deprecated-verification-token",
                "team_id": TEAM,
                "team_domain": "mission",
                "channel_id": "C0GENERAL",
                "channel_name": "general",
                "user_id": user,
                "user_name": "asker",
                "command": "/mission",
                "text": text,
                "api_app_id": "A0MISSION",
                "is_enterprise_install": "false",
                "response_url": response_url or self.slack.response_url(key),
                "trigger_id": trigger_id or new_trigger_id(),
            }
        )

    async def command(
        self,
        text: str,
        key: str,
        user: str = "U0ASKER",
        response_url: str | None = None,
        **sign: Any,
    ) -> tuple[int, str, float]:
        body = self.command_body(text, key, user, response_url)
        return await self.post(body, "application/x-www-form-urlencoded", self.signed(body, **sign))

    async def event(
        self, event: dict[str, Any], event_id: str, headers: dict[str, str] | None = None
    ) -> tuple[int, str, float]:
        body = json.dumps(
            {"token": "deprecated-verification-token", **event_callback(event, event_id)}
        )
        return await self.post(body, "application/json", {**self.signed(body), **(headers or {})})

    async def click(
        self, action: dict[str, Any], key: str, ephemeral: bool = True, user: str = "U0ASKER"
    ) -> tuple[int, str, float]:
        payload = {
            "type": "block_actions",
            "team": {"id": TEAM, "domain": "mission"},
            "user": {"id": user, "username": "asker", "team_id": TEAM},
            "api_app_id": "A0MISSION",
            "token": "deprecated-verification-token",
            "container": {
                "type": "message",
                "message_ts": "1700000000.000001",
                "channel_id": "C0GENERAL",
                "is_ephemeral": ephemeral,
            },
            "trigger_id": new_trigger_id(),
            "channel": {"id": "C0GENERAL", "name": "general"},
            "response_url": self.slack.response_url(key),
            "actions": [{**action, "type": "button", "action_ts": "1700000001.000001"}],
        }
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded", self.signed(body))


_triggers = itertools.count(1)


def new_trigger_id() -> str:
    """A fresh trigger_id, as Slack gives every command and click."""
    return f"{next(_triggers)}.{time.time_ns()}.0a1b2c3d"


def mention(text: str, ts: str, thread_ts: str | None = None, **extra: Any) -> dict[str, Any]:
    event = {
        "type": "app_mention",
        "user": "U0ASKER",
        "text": f"<@{BOT_USER}> {text}",
        "ts": ts,
        "channel": "C0GENERAL",
        "event_ts": ts,
        **extra,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def direct_message(text: str, ts: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "message",
        "channel_type": "im",
        "channel": "D0ASKER",
        "user": "U0ASKER",
        "text": text,
        "ts": ts,
        "event_ts": ts,
        **extra,
    }


def settings_env(slack: SlackStub, **extra: str) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.api_url,
        "MISSION_DEFAULT_LANG": "en",
        **extra,
    }


@contextlib.asynccontextmanager
async def serving(
    engine: Engine, slack: SlackStub, delivery: Delivery = FAST
) -> AsyncIterator[Bot]:
    """The Slack app served over HTTP on loopback, talking to `slack`; replies in progress
    are let finish at the end."""
    settings = slack_settings(settings_env(slack), env_file=None, mode="http")
    app = build_app(engine, settings, delivery=delivery)
    runner = await http.start(app, SECRET, "127.0.0.1", 0)
    connector = aiohttp.TCPConnector(limit=0)
    try:
        async with aiohttp.ClientSession(connector=connector) as session:
            yield Bot(session, f"http://127.0.0.1:{http.bound_port(runner)}", slack, app)
    finally:
        await runner.cleanup()
    assert await drain(app, timeout=20)
