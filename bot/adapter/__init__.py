"""Transports between Slack and the Bolt app: Socket Mode (`socket_mode`) and HTTP (`http`).

Each adapter only moves requests to `AsyncApp.async_dispatch` and back; what the bot
says lives in `bot.slack_app`. `until_stopped` is what both wait on while serving.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal


async def until_stopped() -> None:
    """Return on SIGINT or SIGTERM (a platform scaling a process down sends SIGTERM)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def drain(timeout: float = 10.0) -> None:
    """Give replies still being written (lazy listeners) a moment to finish."""
    current = asyncio.current_task()
    pending = [task for task in asyncio.all_tasks() if task is not current and not task.done()]
    if pending:
        await asyncio.wait(pending, timeout=timeout)
