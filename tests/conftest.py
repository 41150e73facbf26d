"""Shared fixtures: the real fact base and an engine over it, built once per session; a
private question log for every test; the two store backends (SQLite, and a real
PostgreSQL started for the session by tests/postgres_server.py); the local Slack
stand-in and the Slack app served over HTTP on loopback (`slack`, `bot`).

Without PostgreSQL on the machine the PostgreSQL half of the store tests is skipped,
with the reason; under CI (CI=true) it fails instead, so CI never skips it silently.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator

import pytest
from postgres_server import PostgresServer, unavailable
from slack_client import APP_TOKEN, BOT_TOKEN, Bot, serving
from slack_stub import SlackStub

from bot import knowledge
from bot.answers import Engine
from bot.config import StoreSettings

BACKENDS = ("sqlite", "postgres")


@pytest.fixture(scope="session")
def base() -> knowledge.FactBase:
    return knowledge.load()


@pytest.fixture(scope="session")
def engine(base: knowledge.FactBase) -> Engine:
    return Engine(base)


@pytest.fixture(scope="session", autouse=True)
def private_question_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No test, nor a process it starts, writes to the user's question log or reads a
    DATABASE_URL from the environment or a .env file."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MISSION_DB", str(tmp_path_factory.mktemp("log") / "mission.db"))
        patch.setenv("DATABASE_URL", "")  # empty wins over a .env file's value
        patch.delenv("MISSION_RETENTION_DAYS", raising=False)
        yield


def under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    reason = unavailable()
    if reason is not None:
        if under_ci():
            pytest.fail(f"CI must run the PostgreSQL tests, but: {reason}", pytrace=False)
        pytest.skip(f"PostgreSQL tests skipped: {reason}")
    server = PostgresServer()
    try:
        server.start()
    except Exception:
        server.stop()
        raise
    yield server
    server.stop()


@pytest.fixture(params=BACKENDS)
def store_config(request: pytest.FixtureRequest, tmp_path) -> StoreSettings:
    """Settings for a new, empty store on each backend in turn."""
    if request.param == "sqlite":
        return StoreSettings(db_path=tmp_path / "mission.db")
    server: PostgresServer = request.getfixturevalue("postgres")
    url = server.create_database(f"test_{secrets.token_hex(6)}")
    return StoreSettings(db_path=tmp_path / "unused.db", database_url=url)


@pytest.fixture
async def slack() -> AsyncIterator[SlackStub]:
    stub = await SlackStub(BOT_TOKEN, APP_TOKEN).start()
    yield stub
    await stub.stop()


@pytest.fixture
async def bot(slack: SlackStub, engine: Engine) -> AsyncIterator[Bot]:
    async with serving(engine, slack) as served:
        yield served
