"""Shared fixtures: the real fact base and an engine over it, built once per session; the
local Slack stand-in and the Slack app served over HTTP on loopback (`slack`, `bot`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_client import APP_TOKEN, BOT_TOKEN, Bot, serving
from slack_stub import SlackStub

from bot import knowledge
from bot.answers import Engine


@pytest.fixture(scope="session")
def base() -> knowledge.FactBase:
    return knowledge.load()


@pytest.fixture(scope="session")
def engine(base: knowledge.FactBase) -> Engine:
    return Engine(base)


@pytest.fixture
async def slack() -> AsyncIterator[SlackStub]:
    stub = await SlackStub(BOT_TOKEN, APP_TOKEN).start()
    yield stub
    await stub.stop()


@pytest.fixture
async def bot(slack: SlackStub, engine: Engine) -> AsyncIterator[Bot]:
    async with serving(engine, slack) as served:
        yield served
