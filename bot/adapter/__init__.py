"""Transports between Slack and the Bolt app: Socket Mode (`socket_mode`) and HTTP (`http`).

Each adapter only moves requests to `AsyncApp.async_dispatch` and back; what the bot
says lives in `bot.slack_app`. This package also owns the lifecycle both share:
waiting for a stop signal, and letting replies still being written finish first.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Awaitable, Callable

from slack_bolt.async_app import AsyncApp
from slack_bolt.lazy_listener.async_internals import to_runnable_function
from slack_bolt.lazy_listener.asyncio_runner import AsyncioLazyListenerRunner
from slack_bolt.request.async_request import AsyncBoltRequest


class TrackedLazyListenerRunner(AsyncioLazyListenerRunner):
    """Bolt's lazy-listener runner, keeping each task it starts until it is done.

    asyncio holds only weak references to tasks, so an untracked reply could be
    garbage-collected mid-way; tracked, shutdown (and tests) can wait for them.
    """

    def __init__(self, runner: AsyncioLazyListenerRunner) -> None:
        super().__init__(runner.logger)
        self.tasks: set[asyncio.Task[None]] = set()

    def start(self, function: Callable[..., Awaitable[None]], request: AsyncBoltRequest) -> None:
        coro = to_runnable_function(internal_func=function, logger=self.logger, request=request)
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def wait(self, timeout: float) -> bool:
        """Wait until no reply is in progress; False if some still are after `timeout`."""
        deadline = time.monotonic() + timeout
        while self.tasks and (left := deadline - time.monotonic()) > 0:
            await asyncio.wait(set(self.tasks), timeout=left)
        return not self.tasks


def track_replies(app: AsyncApp) -> None:
    """Make `app` keep its lazy listeners' tasks (see `drain`)."""
    runner = app.listener_runner
    if not isinstance(runner.lazy_listener_runner, TrackedLazyListenerRunner):
        runner.lazy_listener_runner = TrackedLazyListenerRunner(runner.lazy_listener_runner)


async def drain(app: AsyncApp, timeout: float = 10.0) -> bool:
    """Let the replies `app` is still writing finish; False if some did not in time."""
    runner = app.listener_runner.lazy_listener_runner
    if isinstance(runner, TrackedLazyListenerRunner):
        return await runner.wait(timeout)
    return True


async def until_stopped() -> None:
    """Return on SIGINT or SIGTERM (a platform scaling a process down sends SIGTERM)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
