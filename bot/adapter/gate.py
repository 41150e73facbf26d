"""The door of the HTTP mode: which requests reach the Bolt app, and what a refusal logs.

The signature is checked on the raw bytes before anything is parsed, so nothing an
outsider sends is ever decoded, parsed or logged whole. A request that is not signed
with the app's Signing Secret (or is signed too long ago) gets 401; a signed one that
is not what Slack sends (not UTF-8, not JSON, not a form) gets 400. Each refusal costs
at most one short log line, with the body clipped and escaped, at WARNING, and the
lines are rate-limited: past a burst, refusals are only counted, and the count is
given in the next line logged.

Slack's unsigned `ssl_check=1` probe of the slash command's URL gets 200 and reaches
nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

log = logging.getLogger("bot.slack")

MAX_SKEW_SECONDS = 5 * 60  # Slack's replay window: an older signature is refused
LOG_BODY_BYTES = 80  # what a refusal's log line shows of the body
LOG_BURST = 10  # refusals logged at once before the rate limit applies
LOG_EVERY_SECONDS = 6.0  # then one line per this many seconds at most
# Only these headers reach Bolt (it reads others, such as x-slack-bolt-lazy-only, as
# instructions); none of them is covered by the signature but the timestamp.
FORWARDED_HEADERS = (
    "content-type",
    "x-slack-request-timestamp",
    "x-slack-signature",
    "x-slack-retry-num",
    "x-slack-retry-reason",
)
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
_SSL_CHECK_BYTES = 1024


@dataclass(frozen=True)
class Verdict:
    """What to do with one request: `status` 0 means "pass it to Bolt" with `text`."""

    status: int
    why: str = ""
    text: str = ""


def clip(value: bytes | str, limit: int = LOG_BODY_BYTES) -> str:
    """At most `limit` bytes or characters of `value`, escaped onto one printable line."""
    head = value[:limit]
    shown = repr(head)
    return shown + ("..." if len(value) > limit else "")


class RefusalLog:
    """One short WARNING line per refused request, at most LOG_BURST at once and then one
    every LOG_EVERY_SECONDS (a token bucket); the others are counted, not written."""

    def __init__(
        self,
        burst: int = LOG_BURST,
        every: float = LOG_EVERY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.burst, self.every, self._clock = burst, every, clock
        self._tokens = float(burst)
        self._last = clock()
        self.unlogged = 0  # refusals not logged since the last line

    def refused(self, status: int, why: str, remote: str | None, body: bytes) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._last) / self.every)
        self._last = now
        if self._tokens < 1:
            self.unlogged += 1
            return
        self._tokens -= 1
        more = f" ({self.unlogged} more refused, not logged)" if self.unlogged else ""
        self.unlogged = 0
        log.warning(
            "refused %d (%s) from %s: %d bytes %s%s",
            status,
            why,
            clip(remote or "?", 40),
            len(body),
            clip(body),
            more,
        )


class Gate:
    """Checks a request's signature on its raw bytes, then that Bolt can read it."""

    def __init__(self, signing_secret: str, clock: Callable[[], float] = time.time) -> None:
        self._secret = signing_secret.encode()
        self._clock = clock

    def signature_problem(self, body: bytes, timestamp: str | None, signature: str | None) -> str:
        """Why the request is not Slack's, or "" if its signature is good."""
        if not timestamp or not signature:
            return "not signed"
        if not _TIMESTAMP.fullmatch(timestamp) or not _SIGNATURE.fullmatch(signature):
            return "malformed signature headers"
        if abs(self._clock() - int(timestamp)) > MAX_SKEW_SECONDS:
            return "stale timestamp"
        base = b"v0:" + timestamp.encode() + b":" + body
        expected = "v0=" + hmac.new(self._secret, base, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            return "bad signature"
        return ""

    def check(self, body: bytes, headers: Mapping[str, str]) -> Verdict:
        """200 for Slack's ssl_check probe, 401 unsigned, 400 unreadable, else 0 (pass)."""
        problem = self.signature_problem(
            body, headers.get("x-slack-request-timestamp"), headers.get("x-slack-signature")
        )
        if problem:
            if _is_ssl_check(body):
                return Verdict(200, "ssl_check")
            return Verdict(401, problem)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return Verdict(400, "not UTF-8")
        problem = _unreadable(text, headers.get("content-type", ""))
        return Verdict(400, problem) if problem else Verdict(0, text=text)


def forwarded(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers Bolt gets: FORWARDED_HEADERS only."""
    return {name: headers[name] for name in FORWARDED_HEADERS if name in headers}


def _is_ssl_check(body: bytes) -> bool:
    if len(body) > _SSL_CHECK_BYTES:
        return False
    fields = dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))
    return fields.get("ssl_check") == "1"


def _unreadable(text: str, content_type: str) -> str:
    """Why Bolt could not read this body (it parses it as Slack does), or ""."""
    if not text:
        return "empty body"
    is_json = content_type.split(";")[0].strip().lower() == "application/json"
    try:
        if is_json or text.startswith("{"):
            return _typed(json.loads(text))  # an event, or Slack checking the URL
        fields: dict[str, Any] = dict(parse_qsl(text, keep_blank_values=True))
        if "payload" in text and "payload" in fields:
            return _typed(json.loads(fields["payload"]))  # a click
    except ValueError:
        return "not JSON"
    except RecursionError:
        return "nested too deeply"
    if "command" not in fields:
        return "not a command, an event or an interaction"
    if "response_url" not in fields:
        return "a command without a response_url"
    return _misshapen(fields, _TOP)  # a form's fields are text: `event=x` is not an event


def _typed(body: Any) -> str:
    """Why this JSON body is not an event or interaction Slack sends, or ""."""
    problem = _misshapen(body, _TOP)
    if not problem and not body.get("type"):
        return "not a command, an event or an interaction"
    return problem


# The fields Bolt and the listeners read, wherever Slack puts them, with the types Slack
# gives them: a signed body that says otherwise is refused (400) rather than left to
# crash the code reading it. `_ID` is a name or an object holding an id; None stands
# for JSON's null, where Slack sends one.
_Shape = Any
_OPTIONAL: _Shape = (str, None)
_ID: _Shape = (str, {"id": str, "team_id": _OPTIONAL, "enterprise_id": _OPTIONAL}, None)
_MESSAGE: _Shape = {"user": _ID, "text": str, "ts": str, "thread_ts": _OPTIONAL, "bot_id": str}
_EVENT: _Shape = {
    **_MESSAGE,
    "type": str,
    "subtype": str,
    "channel": _ID,
    "channel_type": str,
    "event_ts": str,
    "tab": str,
    "team": _ID,
    "user_team": str,
    "user_id": str,
    "enterprise": _ID,
    "message": _MESSAGE,
    "previous_message": _MESSAGE,
    "item": {"channel": _ID},
    "assistant_thread": {"channel": _ID, "thread_ts": str},
    "bot_access_token": str,
    "function_execution_id": str,
}
_AUTHORIZATION: _Shape = {
    "enterprise_id": _OPTIONAL,
    "team_id": _OPTIONAL,
    "user_id": str,
    "is_bot": bool,
    "is_enterprise_install": bool,
}
_ACTION: _Shape = {"action_id": str, "block_id": str, "value": str, "type": str}
_TOP: _Shape = {
    "type": str,
    "token": str,
    "team_id": str,
    "api_app_id": str,
    "event_id": str,
    "enterprise_id": _OPTIONAL,
    "user_id": str,
    "channel_id": str,
    "command": str,
    "text": str,
    "trigger_id": str,
    "response_url": str,
    "challenge": str,
    "thread_ts": _OPTIONAL,
    "context_team_id": _OPTIONAL,
    "context_enterprise_id": _OPTIONAL,
    "function_execution_id": str,
    "bot_access_token": str,
    "is_enterprise_install": (bool, str, None),
    "is_ext_shared_channel": bool,
    "enterprise": _ID,
    "team": _ID,
    "user": _ID,
    "channel": _ID,
    "event": _EVENT,
    "message": _MESSAGE,
    "previous_message": _MESSAGE,
    "view": {"id": str, "team_id": str, "app_installed_team_id": str, "type": str},
    "container": {"type": str, "is_ephemeral": bool, "channel_id": str, "message_ts": str},
    "function_data": {"execution_id": str, "inputs": {}},
    "authorizations": [_AUTHORIZATION],
    "actions": [_ACTION],
    "response_urls": [{"response_url": str}],
}


def _misshapen(value: Any, shape: _Shape, where: str = "body") -> str:
    """Where `value` departs from `shape`, or "". A shape is a type, None (JSON's null),
    a dict of the shapes of known keys (others are free), a one-item list (every item
    has that shape), or a tuple of alternatives."""
    if shape is None:
        return "" if value is None else f"{where} is not null"
    if isinstance(shape, tuple):
        for option in shape:
            if not _misshapen(value, option, where):
                return ""
        return f"{where} is not what Slack sends"
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            return f"{where} is not an object"
        for key, inner in shape.items():
            if key in value and (problem := _misshapen(value[key], inner, f"{where}.{key}")):
                return problem
        return ""
    if isinstance(shape, list):
        if not isinstance(value, list):
            return f"{where} is not a list"
        for item in value:
            if problem := _misshapen(item, shape[0], f"{where}[]"):
                return problem
        return ""
    if shape is str and not isinstance(value, str):
        return f"{where} is not text"
    if shape is bool and not isinstance(value, bool):
        return f"{where} is not true or false"
    return ""
