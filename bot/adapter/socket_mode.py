"""Socket Mode transport: the app opens a WebSocket to Slack, no public URL needed.

For local use and for workspaces that forbid inbound HTTP. Requests arrive unsigned
over the socket (the app-level token authenticates it) and are acknowledged on it.
An event Slack delivers again carries `retry_attempt` and `retry_reason` in its envelope,
not in headers; Bolt (1.30 and later) copies them into the request as the HTTP mode's
`x-slack-retry-num` and `x-slack-retry-reason` headers, so `skip_repeats` reads both
transports alike.
"""

from __future__ import annotations

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

from bot.adapter import drain, until_stopped


def handler(bolt_app: AsyncApp, app_token: str) -> AsyncSocketModeHandler:
    """The Socket Mode handler; it calls Slack through the app's client (SLACK_API_URL)."""
    return AsyncSocketModeHandler(bolt_app, app_token, web_client=bolt_app.client)


async def run(bolt_app: AsyncApp, app_token: str) -> None:
    """Connect, serve until SIGINT or SIGTERM, then let replies in progress finish."""
    socket = handler(bolt_app, app_token)
    await socket.connect_async()
    try:
        await until_stopped()
    finally:
        await socket.disconnect_async()
        await drain(bolt_app)
        await socket.close_async()
