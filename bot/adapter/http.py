"""HTTP transport: an aiohttp server taking Slack's requests at /slack/events, with /healthz.

Commands, events and interactions all arrive signed at `/slack/events`; Bolt verifies
them (401 otherwise) and answers within Slack's 3 seconds. The transport itself keeps
nothing between requests. A Procfile platform can run several processes side by side:
the events handled are remembered in the store they share (`bot.slack_events`), so a
retry reaching another process is not answered twice; each keeps its users' languages.

Every request passes `bot.adapter.gate` first: its signature is checked on the raw
bytes before anything is parsed (401 if unsigned or forged, 400 if signed but not
something Slack sends, one rate-limited log line either way). Slack's `ssl_check=1`
probe of a slash command's URL gets 200; it calls nothing and runs no listener.
aiohttp's access log is off: the bot logs what it answered, and a refusal once.
"""

from __future__ import annotations

import logging

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.adapter import drain, until_stopped
from bot.adapter.gate import Gate, RefusalLog, Verdict, forwarded
from bot.config import DEFAULT_HOST, DEFAULT_PORT

log = logging.getLogger("bot.slack")

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
MAX_BODY_BYTES = 1024 * 1024  # Slack's payloads are a few kilobytes


def web_app(bolt_app: AsyncApp, signing_secret: str) -> web.Application:
    """The aiohttp application: Slack's endpoint and the health check."""
    gate = Gate(signing_secret)
    refusals = RefusalLog()

    async def slack_events(request: web.Request) -> web.Response:
        body = await request.read()  # more than MAX_BODY_BYTES: 413, read no further
        headers = {k.lower(): v for k, v in request.headers.items()}
        verdict = gate.check(body, headers)
        if verdict.status == 0:
            try:
                bolt_request = AsyncBoltRequest(body=verdict.text, headers=forwarded(headers))
            except Exception:  # a signed body whose fields Bolt cannot make sense of
                verdict = Verdict(400, "fields Bolt cannot read")
            else:
                return await to_aiohttp_response(await bolt_app.async_dispatch(bolt_request))
        if verdict.status >= 400:
            refusals.refused(verdict.status, verdict.why, request.remote, body)
        return web.Response(status=verdict.status, text="" if verdict.status < 400 else verdict.why)

    async def health(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app.router.add_post(EVENTS_PATH, slack_events)
    app.router.add_get(HEALTH_PATH, health)
    return app


async def start(
    bolt_app: AsyncApp, signing_secret: str, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT
) -> web.AppRunner:
    """Serve in the background; port 0 picks a free one (see `bound_port`)."""
    runner = web.AppRunner(web_app(bolt_app, signing_secret), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


def bound_port(runner: web.AppRunner) -> int:
    """The TCP port the server listens on."""
    return int(runner.addresses[0][1])


async def run(
    bolt_app: AsyncApp, signing_secret: str, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT
) -> None:
    """Serve until SIGINT or SIGTERM, then let replies in progress finish."""
    runner = await start(bolt_app, signing_secret, host, port)
    log.info("HTTP listening on %s port %d", host, bound_port(runner))
    try:
        await until_stopped()
    finally:
        await runner.cleanup()  # stop taking requests first
        await drain(bolt_app)
