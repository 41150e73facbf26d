"""Shared fixtures: the real fact base and an engine over it, built once per session."""

from __future__ import annotations

import pytest

from bot import knowledge
from bot.answers import Engine


@pytest.fixture(scope="session")
def base() -> knowledge.FactBase:
    return knowledge.load()


@pytest.fixture(scope="session")
def engine(base: knowledge.FactBase) -> Engine:
    return Engine(base)
