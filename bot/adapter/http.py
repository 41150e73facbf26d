"""HTTP transport: an aiohttp server taking Slack's requests at /slack/events, with /healthz.

Commands, events and interactions all arrive signed at `/slack/events`; Bolt verifies
them (401 otherwise) and answers within Slack's 3 seconds. The transport itself keeps
nothing between requests. A Procfile platform can run several processes side by side:
the events handled are remembered in the store they share (`bot.slack_events`), so a
retry reaching another process is not answered twice; each keeps its users' languages.

Unsigned requests get 401, except Slack's `ssl_check=1` probe of a slash command's URL,
which Bolt answers 200 before any signature check; it calls nothing and runs no listener.
"""

from __future__ import annotations

import logging

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

from bot.adapter import drain, until_stopped
from bot.config import DEFAULT_HOST, DEFAULT_PORT

log = logging.getLogger("bot.slack")

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
MAX_BODY_BYTES = 1024 * 1024  # Slack's payloads are a few kilobytes


def web_app(bolt_app: AsyncApp) -> web.Application:
    """The aiohttp application: Slack's endpoint and the health check."""

    async def slack_events(request: web.Request) -> web.Response:
        bolt_response = await bolt_app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    async def health(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app.router.add_post(EVENTS_PATH, slack_events)
    app.router.add_get(HEALTH_PATH, health)
    return app


async def start(
    bolt_app: AsyncApp, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT
) -> web.AppRunner:
    """Serve in the background; port 0 picks a free one (see `bound_port`)."""
    runner = web.AppRunner(web_app(bolt_app))
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


def bound_port(runner: web.AppRunner) -> int:
    """The TCP port the server listens on."""
    return int(runner.addresses[0][1])


async def run(bolt_app: AsyncApp, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
    """Serve until SIGINT or SIGTERM, then let replies in progress finish."""
    runner = await start(bolt_app, host, port)
    log.info("HTTP listening on %s port %d", host, bound_port(runner))
    try:
        await until_stopped()
    finally:
        await runner.cleanup()  # stop taking requests first
        await drain(bolt_app)
