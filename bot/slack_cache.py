"""Bounded in-memory memories of one Slack app process: user languages, ids seen
(commands' and clicks' trigger_ids; events handled when there is no store).

Both live on the app's objects, never at module level, and both are bounded so a
long-running process cannot grow without limit. They are per process: several processes
behind a load balancer each keep their own. The events handled are shared through the
store when there is one (`bot.slack_events`); `RecentIds` is then only its fallback for
events, and the memory of trigger_ids seen (a replay comes back to the same process).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

V = TypeVar("V")


class TTLCache(Generic[V]):
    """A mapping whose values expire after `ttl` seconds; the oldest go first when full."""

    def __init__(
        self, maxsize: int, ttl: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.maxsize = maxsize
        self.ttl = ttl
        self._clock = clock
        self._items: OrderedDict[str, tuple[float, V]] = OrderedDict()

    def get(self, key: str) -> V | None:
        item = self._items.get(key)
        if item is None:
            return None
        expires, value = item
        if expires <= self._clock():
            del self._items[key]
            return None
        return value

    def set(self, key: str, value: V, ttl: float | None = None) -> None:
        """Remember `value` for `ttl` seconds (the cache's own `ttl` unless given)."""
        self._items.pop(key, None)
        self._items[key] = (self._clock() + (self.ttl if ttl is None else ttl), value)
        while len(self._items) > self.maxsize:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


class RecentIds:
    """The last `maxsize` ids seen, to recognize a repeat."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._ids: OrderedDict[str, None] = OrderedDict()

    def first_time(self, key: str) -> bool:
        """Remember `key`; True unless it was already remembered."""
        if key in self._ids:
            return False
        self._ids[key] = None
        while len(self._ids) > self.maxsize:
            self._ids.popitem(last=False)
        return True

    def __contains__(self, key: object) -> bool:
        return key in self._ids

    def __len__(self) -> int:
        return len(self._ids)
