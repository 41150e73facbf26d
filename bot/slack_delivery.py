"""Getting one message to Slack: when to try again, and when to give up.

A reply is sent through the Web API (chat.postMessage, views.publish) or a command's
`response_url`. When Slack says "too many requests" (429), the message is sent again
after the `Retry-After` it gives; after a server error (5xx) or a refused connection,
again after a short wait that doubles. A request that gets no answer in time is never
sent again: it may have arrived, and a second try could post the reply twice. Any other
refusal (a 4xx such as `channel_not_found`) is final. Giving up raises `NotDelivered`,
and the caller decides whether an apology is worth trying.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError

log = logging.getLogger("bot.slack")


@dataclass(frozen=True)
class Delivery:
    """How hard one message is tried."""

    attempts: int = 4  # tries in all, the first included
    timeout: float = 10.0  # seconds one try may take; then it counts as hung
    backoff: float = 1.0  # first wait after a 5xx or a refused connection, then doubled
    max_wait: float = 60.0  # the longest Retry-After waited for; a longer one gives up


class NotDelivered(Exception):
    """A message did not reach Slack. `hung`: no answer in time (it may have arrived);
    `final`: Slack refused it for good (a 4xx other than 429)."""

    def __init__(self, what: str, why: str, *, hung: bool = False, final: bool = False) -> None:
        super().__init__(f"{what}: {why}")
        self.hung = hung
        self.final = final


def _header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if str(key).lower() == name:
            return str(value)
    return None


def _status(failure: SlackApiError) -> tuple[int, Mapping[str, Any] | None]:
    response = failure.response
    status = getattr(response, "status_code", None) or getattr(response, "status", None) or 0
    return int(status), getattr(response, "headers", None)


def _retry_after(headers: Mapping[str, Any] | None, default: float) -> float:
    value = _header(headers, "retry-after")
    try:
        return max(0.0, float(value)) if value is not None else default
    except ValueError:
        return default


async def deliver(send: Callable[[], Awaitable[Any]], what: str, policy: Delivery) -> None:
    """Run `send` (one Web API or response_url call) until Slack takes the message.

    `send` may raise SlackApiError (the Web API) or return a response with a
    `status_code` (a response_url). Raises NotDelivered when giving up."""
    for attempt in range(1, policy.attempts + 1):
        backoff = policy.backoff * 2 ** (attempt - 1)
        try:
            async with asyncio.timeout(policy.timeout):
                result = await send()
        except TimeoutError:
            raise NotDelivered(what, f"no answer within {policy.timeout:g} s", hung=True) from None
        except SlackApiError as failure:
            status, headers = _status(failure)
            if status < 300:  # Slack answered, with ok: false
                error = failure.response.get("error") if failure.response else None
                raise NotDelivered(what, f"refused ({error})", final=True) from None
        except aiohttp.ClientConnectorError:
            status, headers = 0, None  # never reached Slack: safe to send again
        except (aiohttp.ClientError, OSError) as failure:
            # the connection broke after the request went out: it may have arrived
            raise NotDelivered(what, type(failure).__name__, hung=True) from None
        else:
            status = int(getattr(result, "status_code", 200) or 200)
            headers = getattr(result, "headers", None)
            if status < 300:
                return
        if status == 429:
            wait = _retry_after(headers, backoff)
        elif status == 0 or status >= 500:
            wait = backoff
        else:
            raise NotDelivered(what, f"refused with status {status}", final=True)
        failed = f"status {status}" if status else "connection refused"
        if attempt == policy.attempts or wait > policy.max_wait:
            raise NotDelivered(what, f"{failed}, {attempt} tries")
        log.warning(
            "%s: %s, try %d of %d in %.1f s", what, failed, attempt + 1, policy.attempts, wait
        )
        await asyncio.sleep(wait)
    raise NotDelivered(what, "no try left")  # attempts < 1
