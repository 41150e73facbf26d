"""Which Slack events were already handled: the ledger `MissionBot.skip_retries` asks.

`EventLedger` is the small interface: `first_time(event_id)` remembers an id and says
whether it is new. Two ledgers implement it:

- `ProcessLedger`: this process's memory only (the last ids seen). Another process
  knows nothing of it, so `shared` is False.
- `StoreLedger`: the shared store (`bot.store`), where a second insert of an event id
  fails; every process on one store sees the others' events, so `shared` is True.
  Should the store fail, it logs a warning and falls back to the process's memory:
  an event is then at worst answered twice, never lost.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from bot.slack_cache import RecentIds
from bot.store import Store, StoreError

log = logging.getLogger("bot.slack")

EVENTS_REMEMBERED = 10_000


class EventLedger(Protocol):
    shared: bool  # True when every process serving the app consults the same ledger

    async def first_time(self, event_id: str) -> bool:
        """Remember `event_id`; True unless it was already handled."""
        ...


class ProcessLedger:
    """The events this process handled, in memory."""

    shared = False

    def __init__(self, maxsize: int = EVENTS_REMEMBERED) -> None:
        self.seen = RecentIds(maxsize)

    async def first_time(self, event_id: str) -> bool:
        return self.seen.first_time(event_id)


LEDGER_SECONDS = 1.0  # how long an acknowledgement may wait for the shared ledger


class StoreLedger:
    """The events every process on one store handled, with this process's memory as a
    fallback while the store fails."""

    shared = True

    def __init__(self, store: Store, maxsize: int = EVENTS_REMEMBERED) -> None:
        self.store = store
        self.fallback = ProcessLedger(maxsize)

    async def first_time(self, event_id: str) -> bool:
        here = await self.fallback.first_time(event_id)
        try:
            # bounded: the acknowledgement waits for this, and Slack waits 3 s at most
            async with asyncio.timeout(LEDGER_SECONDS):
                return await asyncio.to_thread(self.store.first_delivery, event_id) and here
        except StoreError as exc:
            log.warning("event %s: store failed (%s), this process's memory decides", event_id, exc)
            return here
        except TimeoutError:
            log.warning("event %s: store too slow, this process's memory decides", event_id)
            return here
