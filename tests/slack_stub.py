"""A local stand-in for Slack, for the end-to-end tests of the Slack app.

It serves, on 127.0.0.1, what the bot calls: the Web API (`/api/<method>`: auth.test,
chat.postMessage, chat.postEphemeral, users.info, views.publish, views.open,
apps.connections.open, and the three steps of a file upload: files.getUploadURLExternal,
the upload itself at `/upload/<file id>`, files.completeUploadExternal), `response_url`s
(`/response/<key>`) and a Socket Mode WebSocket (`/socket`). Setting `upload_error` (e.g.
"missing_scope") makes files.getUploadURLExternal fail as Slack does. It records
every call and answers the way Slack does, so a test sends a request to the bot and then
waits, with a timeout, until the calls it expects have arrived.

A test can make the next calls to one method and channel (or one response_url) fail
the way Slack does when it is unwell (`fail_next`): 429 with Retry-After, 500, or no
answer at all. Each call records its `outcome`; only an "ok" one reached the user.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

BOT_USER = "UMISSIONBOT"
BOT_ID = "BMISSIONBOT"
TEAM = "T0MISSION"


@dataclass
class Call:
    """One request the bot made to Slack."""

    method: str  # a Web API method, "response_url" or "socket_ack"
    args: dict[str, Any]
    key: str = ""  # the response_url's key, the envelope id of a socket ack
    authorization: str | None = None
    outcome: str = "ok"  # "ok" (the user sees it), or the fault served: "429", "500", "hang"
    at: float = 0.0  # when it arrived (time.monotonic())

    def strings(self) -> list[str]:
        """Every string in the call's arguments, blocks included."""
        found: list[str] = []

        def walk(value: Any) -> None:
            if isinstance(value, str):
                found.append(value)
            elif isinstance(value, dict):
                for item in value.values():
                    walk(item)
            elif isinstance(value, list):
                for item in value:
                    walk(item)

        walk(self.args)
        return found

    def text(self) -> str:
        return "\n".join(self.strings())


@dataclass(frozen=True)
class Fault:
    """How one call fails: an HTTP `status` (with `retry_after` seconds for a 429), or,
    with `hang`, no answer at all until the stub stops."""

    status: int = 0
    retry_after: int | None = None
    hang: bool = False

    @property
    def outcome(self) -> str:
        return "hang" if self.hang else str(self.status)


@dataclass
class SlackStub:
    bot_token: str
    app_token: str = ""
    locales: dict[str, str] = field(default_factory=dict)  # user id -> Slack locale
    calls: list[Call] = field(default_factory=list)
    url: str = ""
    sockets: list[web.WebSocketResponse] = field(default_factory=list)
    upload_error: str = ""  # files.getUploadURLExternal answers this error when set
    uploads: dict[str, bytes] = field(default_factory=dict)  # file id -> bytes uploaded
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _runner: web.AppRunner | None = None
    _ts: Any = field(default_factory=lambda: itertools.count(1))
    # (method, channel or response_url key) -> the faults its next calls get, in order
    _faults: dict[tuple[str, str], list[Fault]] = field(default_factory=dict)
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)

    # ------------------------------------------------------------ server

    async def start(self) -> SlackStub:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{key}", self._response_url)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def stop(self) -> None:
        self._stopping.set()  # hung calls end now
        for ws in self.sockets:
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, key: str) -> str:
        return f"{self.url}/response/{key}"

    # ------------------------------------------------------------ faults

    def fail_next(self, method: str, key: str, *faults: Fault) -> None:
        """The next calls of `method` ("response_url" or a Web API method) for `key` (the
        response_url's key, or the channel) get `faults`, one each; then all is well."""
        self._faults.setdefault((method, key), []).extend(faults)

    async def _fault(self, call: Call, key: str) -> web.Response | None:
        """Serve the next fault planned for this call, if any (the call is recorded)."""
        planned = self._faults.get((call.method, key))
        fault = planned.pop(0) if planned else None
        call.outcome = fault.outcome if fault else "ok"
        await self._record(call)
        if fault is None:
            return None
        if fault.hang:
            await self._stopping.wait()
            return web.Response(status=503)
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
        error = "ratelimited" if fault.status == 429 else "internal_error"
        body = {"ok": False, "error": error}
        return web.json_response(body, status=fault.status, headers=headers)

    def delivered(self, method: str, where: Callable[[Call], bool] | None = None) -> list[Call]:
        """The calls of `method` that went through: what the user actually sees."""
        return [c for c in self.of(method, where) if c.outcome == "ok"]

    # ------------------------------------------------------------ recording

    async def _record(self, call: Call) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    def of(self, method: str, where: Callable[[Call], bool] | None = None) -> list[Call]:
        return [c for c in self.calls if c.method == method and (where is None or where(c))]

    async def wait_for(
        self,
        method: str,
        count: int = 1,
        where: Callable[[Call], bool] | None = None,
        timeout: float = 10.0,
    ) -> list[Call]:
        """The matching calls once there are `count` of them; fails after `timeout` seconds."""
        async with self._changed:
            try:
                await asyncio.wait_for(
                    self._changed.wait_for(lambda: len(self.of(method, where)) >= count), timeout
                )
            except TimeoutError:
                seen = [(c.method, c.key) for c in self.calls]
                raise AssertionError(
                    f"no {count} x {method} within {timeout}s; got {seen}"
                ) from None
        return self.of(method, where)

    # ------------------------------------------------------------ Web API

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                args.update(await request.json())
            else:
                args.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
        for name in ("blocks", "view", "files"):  # form-encoded JSON, as the SDK may send them
            if isinstance(args.get(name), str):
                args[name] = json.loads(args[name])
        authorization = request.headers.get("Authorization")
        call = Call(method, args, authorization=authorization, at=time.monotonic())
        failed = await self._fault(call, str(args.get("channel") or ""))
        if failed is not None:
            return failed
        expected = self.app_token if method == "apps.connections.open" else self.bot_token
        if authorization != f"Bearer {expected}":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        return web.json_response(self._answer(method, args))

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        ts = f"1700000000.{next(self._ts):06d}"
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://mission.slack.com/",
                "team": "Mission",
                "user": "missionbot",
                "team_id": TEAM,
                "user_id": BOT_USER,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        if method == "chat.postMessage":
            message = {"type": "message", "text": args.get("text", ""), "user": BOT_USER, "ts": ts}
            return {"ok": True, "channel": args.get("channel"), "ts": ts, "message": message}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": ts}
        if method == "users.info":
            user: dict[str, Any] = {"id": args.get("user"), "name": "someone", "is_bot": False}
            if str(args.get("include_locale", "")).lower() in ("1", "true"):
                user["locale"] = self.locales.get(str(args.get("user")), "en-US")
            return {"ok": True, "user": user}
        if method == "views.publish":
            view = {**(args.get("view") or {}), "id": "V0HOME"}
            return {"ok": True, "view": view}
        if method == "views.open":
            if not args.get("trigger_id"):
                return {"ok": False, "error": "invalid_trigger_id"}
            view = {**(args.get("view") or {}), "id": f"V0MODAL{next(self._ts)}"}
            return {"ok": True, "view": view}
        if method == "files.getUploadURLExternal":
            if self.upload_error:
                return {"ok": False, "error": self.upload_error}
            file_id = f"F{next(self._ts):08d}"
            return {"ok": True, "file_id": file_id, "upload_url": f"{self.url}/upload/{file_id}"}
        if method == "files.completeUploadExternal":
            files = [{"id": f.get("id"), "title": f.get("title")} for f in args.get("files") or []]
            return {"ok": True, "files": files}
        if method == "apps.connections.open":
            return {"ok": True, "url": self.url.replace("http://", "ws://") + "/socket"}
        return {"ok": False, "error": "unknown_method"}

    async def _upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        self.uploads[file_id] = await request.read()
        await self._record(Call("upload", {"file_id": file_id}, key=file_id))
        return web.Response(text=f"OK - {len(self.uploads[file_id])}")

    async def _response_url(self, request: web.Request) -> web.Response:
        key = request.match_info["key"]
        call = Call("response_url", await request.json(), key=key, at=time.monotonic())
        return await self._fault(call, key) or web.json_response({"ok": True})

    # ------------------------------------------------------------ Socket Mode

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.sockets.append(ws)
        await ws.send_json({"type": "hello", "num_connections": 1})
        async with self._changed:
            self._changed.notify_all()
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                frame = json.loads(message.data)
                await self._record(Call("socket_ack", frame, key=str(frame.get("envelope_id"))))
        return ws

    async def wait_for_socket(self, timeout: float = 10.0) -> web.WebSocketResponse:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: bool(self.sockets)), timeout)
        return self.sockets[-1]
