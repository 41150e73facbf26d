"""The Slack app: Bolt listeners for /mission, mentions, direct messages, buttons and App Home.

This module owns the conversation with Slack and nothing else. It strips the bot's
mention, cuts the text to what the engine reads (`bot.edge`) before anything else, picks
the reply language (the question's words, else the user's Slack locale, else
MISSION_DEFAULT_LANG), hands the text to `Engine.ask` and posts what `bot.render` lays
out. It never decides what a question means. Transports live in `bot.adapter` (Socket
Mode, HTTP); `serve()` picks one.

Every listener acknowledges at once; the work runs afterwards in a Bolt lazy listener,
so Slack's 3-second limit holds however slow an answer or a Web API call is. The CPU
work (reading the question, answering, laying out the reply) runs in a worker thread,
so the event loop stays free to acknowledge other requests. A request Slack delivers
twice (an event retried, a command or a click replayed with the same trigger_id) is
answered once. Replies go out through `bot.slack_delivery` (retried after 429 and 5xx,
never after a timeout); should answering fail, the user gets a short apology instead of
silence, and the log says why (with the traceback if it was a bug).

With a store (`bot.store`, as `serve` always opens one), every question is logged once
its reply is sent, the reply carries the feedback buttons (`bot.feedback_view`), and the
handled-event ledger is the store's, shared by every process on it (`bot.slack_events`).
A failed write is logged and costs the user nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
import sys
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot import charts, feedback_view, knowledge, render
from bot.adapter import http, socket_mode, track_replies
from bot.adapter.gate import clip
from bot.answers import Answer, Engine
from bot.config import ConfigError, SlackSettings, slack_settings, store_settings
from bot.edge import READ_CHARS, question_text
from bot.knowledge import LANGS
from bot.slack_cache import RecentIds, TTLCache
from bot.slack_delivery import Delivery, NotDelivered, deliver
from bot.slack_events import EventLedger, ProcessLedger, StoreLedger
from bot.store import DAY_SECONDS, Question, Store, StoreError, new_question_id, open_store

log = logging.getLogger("bot.slack")

COMMAND = "/mission"
LOCALE_TTL_SECONDS = 6 * 3600  # a user's Slack language rarely changes
LOCALE_RETRY_SECONDS = 60  # after a failed users.info, the default language meanwhile
LOCALE_USERS = 5_000
TRIGGERS_REMEMBERED = 10_000  # far more than 5 minutes' worth (a signature's lifetime)
LOG_QUESTION_CHARS = 300
MOST_ASKED_SHOWN = 5
# What a failed Web API call raises: logged as a warning, the listener goes on.
CALL_ERRORS = (SlackClientError, aiohttp.ClientError, TimeoutError, OSError)
# What the user reads when answering failed unexpectedly (the log has the traceback).
APOLOGY = {
    "en": "Sorry, something went wrong answering that; please try again.",
    "fr": "Désolé, une erreur est survenue en répondant à cette question ; merci de réessayer.",
}

T = TypeVar("T")
Say = Callable[[str], Awaitable[None]]  # sends a short plain-text message to the user


@dataclass(frozen=True)
class Reply:
    """What one message says, plus what the log line needs."""

    text: str
    blocks: list[dict[str, Any]]
    lang: str
    status: str
    fact: str | None = None
    answer: Answer | None = None  # None for help
    chart: knowledge.Entry | None = None  # a series or a breakdown: its chart follows the text


async def acknowledge(ack: AsyncAck) -> None:
    """Every listener's first step: an empty 200 to Slack, right away."""
    await ack()


class MissionBot:
    """The listeners, the store they log to, and the memories they share.

    The users' languages are remembered per process. The events handled are remembered
    in the store when there is one, so that processes sharing it never answer one event
    twice; without a store, per process (see `skip_repeats`). The trigger_ids of commands
    and clicks are remembered per process: a replay comes back to the same connection.
    """

    def __init__(
        self,
        engine: Engine,
        settings: SlackSettings,
        store: Store | None = None,
        delivery: Delivery | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.store = store
        self.delivery = delivery or Delivery()
        self.user_langs: TTLCache[str] = TTLCache(LOCALE_USERS, LOCALE_TTL_SECONDS)
        # users.info calls in progress: concurrent events of one user share one call.
        self.lang_lookups: dict[str, asyncio.Task[str]] = {}
        self.events: EventLedger = StoreLedger(store) if store is not None else ProcessLedger()
        # A command's or a click's trigger_id is unique: seen again, it is a replay.
        self.triggers_seen = RecentIds(TRIGGERS_REMEMBERED)
        # The CPU work of every reply, one at a time: a single worker thread competes with
        # the event loop for the interpreter, several would keep it waiting longer.
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mission-engine")
        self.charts = charts.ChartCache(engine.base)  # PNGs per entry and language
        # Never written to the log, even inside an exception's message.
        self._secrets = [
            s for s in (settings.bot_token, settings.signing_secret, settings.app_token) if s
        ]

    def register(self, app: AsyncApp) -> None:
        app.command(COMMAND)(ack=acknowledge, lazy=[self.answer_command])
        app.event("app_mention")(ack=acknowledge, lazy=[self.answer_mention])
        app.event("message")(ack=acknowledge, lazy=[self.answer_direct_message])
        app.event("app_home_opened")(ack=acknowledge, lazy=[self.publish_home])
        app.action("mission_share")(ack=acknowledge, lazy=[self.share_in_channel])
        app.action(re.compile(r"^mission_choose_\d+$"))(ack=acknowledge, lazy=[self.answer_choice])
        app.action(feedback_view.UP)(ack=acknowledge, lazy=[self.record_vote])
        app.action(feedback_view.DOWN)(ack=acknowledge, lazy=[self.record_vote])
        app.view(feedback_view.MODAL)(ack=acknowledge, lazy=[self.save_wanted])

    async def in_worker(self, function: Callable[..., T], *args: Any) -> T:
        """Run CPU work (reading a question, answering, laying out) off the event loop."""
        return await asyncio.get_running_loop().run_in_executor(self._worker, function, *args)

    # ------------------------------------------------------------ middleware

    async def skip_repeats(
        self, body: dict[str, Any], request: AsyncBoltRequest, next_: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        """Acknowledge, without handling again, a request Slack delivers a second time:
        an event retried, or a command or click sent again with the same trigger_id
        (a replay of a signed request within its 5 minutes).

        Runs after signature verification and before anything calls Slack. The retry's
        number and reason are Slack's `x-slack-retry-*` headers over HTTP; in Socket Mode
        Bolt sets the same headers from the envelope's `retry_attempt` and `retry_reason`.
        The event id goes to the ledger before the acknowledgement: with a shared ledger,
        any process that took the event has recorded it by the time Slack retries.
        """
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        trigger_id = body.get("trigger_id")
        if isinstance(event_id, str) and event_id:
            retry = request.headers.get("x-slack-retry-num", [None])[0]
            reason = request.headers.get("x-slack-retry-reason", [""])[0]
            first = await self.events.first_time(event_id)
            # After an http_timeout the first delivery did reach a process (maybe another
            # one): it is being handled there, so a retry is skipped even if unseen here.
            # A shared ledger knows every process's events: it alone decides.
            timed_out = retry is not None and reason == "http_timeout" and not self.events.shared
            if not first or timed_out:
                log.info(
                    "event %s retry %s (%s): already handled",
                    clip(event_id, 40),
                    clip(retry or "-", 10),
                    clip(reason, 40),
                )
                return BoltResponse(status=200, body="")
        elif (
            isinstance(trigger_id, str)
            and trigger_id
            and not self.triggers_seen.first_time(trigger_id)
        ):
            log.info("trigger %s seen before: not answered again", clip(trigger_id, 60))
            return BoltResponse(status=200, body="")
        await next_()
        return None

    # ------------------------------------------------------------ language

    async def user_lang(self, user: str, client: AsyncWebClient) -> str:
        """The user's Slack language if the bot speaks it, else MISSION_DEFAULT_LANG.

        Looked up once per user (concurrent callers await the same users.info call) and
        remembered for hours; after a failed lookup the default serves for a minute only.
        """
        if not user:
            return self.settings.default_lang
        cached = self.user_langs.get(user)
        if cached is not None:
            return cached
        lookup = self.lang_lookups.get(user)
        if lookup is None:
            lookup = asyncio.create_task(self._look_up_lang(user, client))
            self.lang_lookups[user] = lookup

            def forget(done: asyncio.Task[str]) -> None:
                if self.lang_lookups.get(user) is done:
                    del self.lang_lookups[user]

            lookup.add_done_callback(forget)
        # shield: a caller cancelled mid-way does not cancel the others' lookup
        return await asyncio.shield(lookup)

    async def _look_up_lang(self, user: str, client: AsyncWebClient) -> str:
        lang = self.settings.default_lang
        try:
            async with asyncio.timeout(self.delivery.timeout):
                response = await client.users_info(user=user, include_locale=True)
        except CALL_ERRORS as exc:
            log.warning("users.info failed for %s (%s): using %s", user, _slack_error(exc), lang)
            self.user_langs.set(user, lang, ttl=LOCALE_RETRY_SECONDS)
            return lang
        locale = str((response.get("user") or {}).get("locale") or "")
        code = locale.replace("_", "-").split("-")[0].lower()
        if code in LANGS:
            lang = code
        self.user_langs.set(user, lang)
        return lang

    def read(self, text: str) -> tuple[bool, str | None]:
        """Whether `text` asks for help, and the language its words decide (None when
        they don't). CPU work: called in a worker thread."""
        is_help = not text.strip() or self.engine.is_help(text)
        words = self.engine.language(text, "en")
        return is_help, words if words == self.engine.language(text, "fr") else None

    # ------------------------------------------------------------ replies

    async def reply(
        self,
        text: str,
        user: str,
        client: AsyncWebClient,
        *,
        share: bool,
        question_id: str | None = None,
    ) -> Reply:
        """The reply to one question or help request, in Block Kit and plain text.

        The language: a question's words decide, else the user's locale (looked up only
        if needed). Help follows the user's locale unless its words are French
        ("aidez-moi"): English help words ("help", "?") are typed whatever one's language.
        With a `question_id` (the question will be logged), an answer carries the
        feedback buttons.
        """
        # The engine and the renderer are pure CPU: a worker thread keeps the event loop
        # free to acknowledge other requests.
        is_help, words = await self.in_worker(self.read, text)
        if is_help:
            locale = await self.user_lang(user, client)
            lang = "fr" if words == "fr" else locale
            return Reply(
                render.fallback(render.help_text(lang)), render.help_blocks(lang), lang, "help"
            )
        default = words or await self.user_lang(user, client)
        return await self.in_worker(self._answer, text, default, share, question_id)

    def _answer(self, text: str, default: str, share: bool, question_id: str | None) -> Reply:
        base = self.engine.base
        answer = self.engine.ask(text, None, default)
        fact = answer.entry.id if answer.entry is not None and answer.status == "answer" else None
        status = answer.status + (f" {answer.confidence}" if answer.confidence else "")
        blocks = render.to_blocks(answer, base, share_button=share)
        if question_id is not None:
            blocks = feedback_view.with_buttons(blocks, question_id, answer.lang)
        return Reply(
            render.fallback(render.to_text(answer, base)),
            blocks,
            answer.lang,
            status + (" truncated" if answer.truncated else ""),
            fact,
            answer,
            charts.chart_of(answer),
        )

    def _question_id(self) -> str | None:
        """The id of a question about to be logged; None when nothing is logged."""
        return new_question_id() if self.store is not None else None

    async def _record(
        self,
        surface: str,
        user: str,
        question: str,
        reply: Reply,
        started: float,
        question_id: str | None,
    ) -> None:
        """Log a question once its reply is sent; a failure is logged, nothing more."""
        if self.store is None or question_id is None:
            return
        answer = reply.answer
        try:
            record = Question(
                surface=surface,
                lang=reply.lang,
                status=answer.status if answer is not None else "help",
                question=question,
                band=(answer.confidence or None) if answer is not None else None,
                fact=reply.fact,
                alternatives=tuple(e.id for e in answer.alternatives) if answer else (),
                latency_ms=(time.perf_counter() - started) * 1000,
                user=user or None,
                id=question_id,
            )
            await asyncio.to_thread(self.store.log_question, record)
        except StoreError as exc:
            log.warning("question not logged via=%s: %s", surface, exc)
        except Exception as exc:
            self._log_failure(f"question not logged via={surface}", exc)

    async def upload_chart(
        self, client: AsyncWebClient, channel: Any, thread_ts: Any, reply: Reply
    ) -> None:
        """A series' or a breakdown's chart, as a PNG uploaded under the text answer (in its
        thread, or in the DM). The text is already sent: a failed upload (a missing
        `files:write` scope...) is one warning in the log, nothing more."""
        if reply.chart is None:
            return
        entry, lang = reply.chart, reply.lang
        title = entry.label.get(lang)
        try:
            image = await self.in_worker(self.charts.image, entry, lang)
            async with asyncio.timeout(self.delivery.timeout):
                await client.files_upload_v2(
                    channel=str(channel),
                    thread_ts=str(thread_ts) if thread_ts else None,
                    file=image,
                    filename=f"{entry.id}-{lang}.png",
                    title=title,
                    alt_txt=title,
                )
        except CALL_ERRORS as exc:
            log.warning("chart upload to %s failed: %s", channel, _slack_error(exc))
        except Exception as exc:  # drawing failed: the answer is out, no apology after it
            self._log_failure(f"chart {entry.id} not sent to {channel}", exc)

    async def answer_command(
        self, command: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        """`/mission <question>`: an ephemeral answer with a button to share it."""
        started = time.perf_counter()
        user = str(command.get("user_id") or "")
        if not _can_respond(command, "command", user):
            return
        text = question_text(plain_text(str(command.get("text") or "")[:READ_CHARS]))
        question_id = self._question_id()
        async with self._apologizing("command", user, text, self._by_respond(respond)):
            reply = await self.reply(text, user, client, share=True, question_id=question_id)
            await deliver(
                lambda: respond(text=reply.text, blocks=reply.blocks, response_type="ephemeral"),
                "reply via response_url",
                self.delivery,
            )
            _log_reply("command", user, text, reply, started)
            await self._record("command", user, text, reply, started, question_id)

    async def answer_mention(
        self, event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
    ) -> None:
        """An @mention in a channel: the answer in the message's thread."""
        if _from_a_bot(event, context):
            return
        started = time.perf_counter()
        text = message_question(str(event.get("text") or ""), context.bot_user_id)
        user = str(event.get("user") or "")
        channel, thread = event.get("channel"), event.get("thread_ts") or event.get("ts")
        question_id = self._question_id()
        async with self._apologizing("mention", user, text, self._by_post(client, channel, thread)):
            reply = await self.reply(text, user, client, share=False, question_id=question_id)
            await self._post(client, channel, reply, thread)
            # logged as soon as it is on screen: its feedback buttons work from then on
            _log_reply("mention", user, text, reply, started)
            await self._record("mention", user, text, reply, started, question_id)
            await self.upload_chart(client, channel, thread, reply)

    async def answer_direct_message(
        self, event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
    ) -> None:
        """A direct message: the answer in the DM (in its thread if it was in one)."""
        # Edits, deletions, joins... carry a subtype: only plain messages get an answer.
        if event.get("channel_type") != "im" or event.get("subtype") or _from_a_bot(event, context):
            return
        started = time.perf_counter()
        text = message_question(str(event.get("text") or ""), context.bot_user_id)
        user = str(event.get("user") or "")
        channel, thread = event.get("channel"), event.get("thread_ts")
        question_id = self._question_id()
        async with self._apologizing("dm", user, text, self._by_post(client, channel, thread)):
            reply = await self.reply(text, user, client, share=False, question_id=question_id)
            await self._post(client, channel, reply, thread)
            # logged as soon as it is on screen: its feedback buttons work from then on
            _log_reply("dm", user, text, reply, started)
            await self._record("dm", user, text, reply, started, question_id)
            await self.upload_chart(client, channel, thread, reply)

    async def publish_home(self, event: dict[str, Any], client: AsyncWebClient) -> None:
        """The App Home tab: key figures, the most asked lately, and how to ask, in the
        user's language."""
        user = str(event.get("user") or "")
        if event.get("tab") != "home" or not user:
            return
        async with self._apologizing("home", user, "", None):  # nowhere to apologize: log
            lang = await self.user_lang(user, client)
            most_asked = feedback_view.most_asked_blocks(
                self.engine.base, lang, await self._most_asked()
            )
            view = await self.in_worker(render.home_view, self.engine.base, lang, most_asked)
            await deliver(
                lambda: client.views_publish(user_id=user, view=view),
                f"views.publish for {clip(user, 40)}",
                self.delivery,
            )
            log.info("home published user=%s lang=%s", user, lang)

    async def answer_choice(
        self, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        """A "not what you meant?" button: the chosen entry replaces the reply."""
        started = time.perf_counter()
        user = _user_of(body)
        if not _can_respond(body, "choice", user):
            return
        say = self._by_respond(respond)
        async with self._apologizing("choice", user, "", say, _action_lang(action)):
            ephemeral = bool((body.get("container") or {}).get("is_ephemeral"))
            answer, text, blocks = await self.in_worker(
                self._chosen, action, lambda a, b: render.to_blocks(a, b, share_button=ephemeral)
            )
            await deliver(
                lambda: respond(text=text, blocks=blocks, replace_original=True),
                "choice via response_url",
                self.delivery,
            )
            fact = answer.entry.id if answer.entry else None
            _log_reply(
                "choice",
                user,
                answer.question,
                Reply(text, blocks, answer.lang, answer.status, fact),
                started,
            )

    async def share_in_channel(
        self,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: AsyncRespond,
        client: AsyncWebClient,
    ) -> None:
        """The "Share in channel" button: the answer posted for all, the private copy removed;
        a series' or a breakdown's chart follows it in the channel."""
        started = time.perf_counter()
        user = _user_of(body)
        if not _can_respond(body, "share", user):
            return
        say = self._by_respond(respond)
        async with self._apologizing("share", user, "", say, _action_lang(action)):
            answer, text, blocks = await self.in_worker(
                self._chosen,
                action,
                lambda a, b: [*render.to_blocks(a, b), render.shared_by(user, a.lang)],
            )
            await deliver(
                lambda: respond(
                    text=text, blocks=blocks, response_type="in_channel", replace_original=False
                ),
                "share via response_url",
                self.delivery,
            )
            try:  # the answer is out: a private copy left behind is no reason to apologize
                await deliver(
                    lambda: respond(delete_original=True), "delete via response_url", self.delivery
                )
            except NotDelivered as exc:
                log.warning("private copy not deleted user=%s: %s", user, exc)
            fact = answer.entry.id if answer.entry else None
            reply = Reply(
                text, blocks, answer.lang, answer.status, fact, answer, charts.chart_of(answer)
            )
            channel = (body.get("channel") or {}).get("id")
            if channel:
                await self.upload_chart(client, channel, None, reply)
            _log_reply("share", user, answer.question, reply, started)

    async def _most_asked(self) -> list[tuple[str, int]]:
        """The entries most asked for lately; none without a store, or if it fails."""
        if self.store is None:
            return []
        since = time.time() - feedback_view.MOST_ASKED_DAYS * DAY_SECONDS
        try:
            return await asyncio.to_thread(self.store.most_asked, since, MOST_ASKED_SHOWN)
        except StoreError as exc:
            log.warning("most asked entries unavailable: %s", exc)
            return []

    # ------------------------------------------------------------ feedback

    async def record_vote(
        self,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: AsyncRespond,
        client: AsyncWebClient,
    ) -> None:
        """A 👍 or 👎 under an answer: kept once per user and answer (a second press of
        the other button changes the vote). A 👎 opens the optional "what were you looking
        for?" modal; otherwise the user gets a short thanks only they see."""
        user = _user_of(body)
        question_id, lang = feedback_view.parse_value(str(action.get("value") or ""))
        vote = "up" if action.get("action_id") == feedback_view.UP else "down"
        say = self._by_respond(respond) if _can_respond(body, "feedback", user) else None
        async with self._apologizing("feedback", user, "", say, lang):
            result = "unknown"
            if self.store is not None and question_id:
                result = await asyncio.to_thread(self.store.vote, question_id, user, vote)
            log.info("feedback vote=%s result=%s question=%s", vote, result, clip(question_id, 40))
            trigger = str(body.get("trigger_id") or "")
            if vote == "down" and result != "unknown" and trigger:
                modal = feedback_view.comment_modal(question_id, lang)
                try:
                    async with asyncio.timeout(self.delivery.timeout):
                        await client.views_open(trigger_id=trigger, view=modal)
                    return
                except CALL_ERRORS as exc:  # an expired trigger: a thanks will do
                    log.warning("views.open failed for %s: %s", clip(user, 40), _slack_error(exc))
            if say is not None:
                await say(feedback_view.t(lang, result))

    async def save_wanted(self, body: dict[str, Any], view: dict[str, Any]) -> None:
        """The modal's "what were you looking for?", kept beside the user's 👎."""
        user = _user_of(body)
        question_id, lang = feedback_view.parse_value(str(view.get("private_metadata") or ""))
        wanted = feedback_view.wanted(view)
        if self.store is None or not wanted.strip():
            return
        async with self._apologizing("wanted", user, "", None, lang):
            kept = await asyncio.to_thread(self.store.comment, question_id, user, wanted)
            log.info("feedback wanted kept=%s question=%s", kept, clip(question_id, 40))

    def _chosen(
        self,
        action: dict[str, Any],
        layout: Callable[[Answer, knowledge.FactBase], list[dict[str, Any]]],
    ) -> tuple[Answer, str, list[dict[str, Any]]]:
        """A button's answer, its plain text and its blocks. CPU work: in a worker thread."""
        entry_id, lang, question = render.parse_action_value(str(action.get("value") or ""))
        lang = lang if lang in LANGS else self.settings.default_lang
        answer = self.engine.answer_fact(entry_id, lang, question_text(question))
        base = self.engine.base
        return answer, render.fallback(render.to_text(answer, base)), layout(answer, base)

    # ------------------------------------------------------------ sending

    async def _post(self, client: AsyncWebClient, channel: Any, reply: Reply, thread: Any) -> None:
        await deliver(
            lambda: client.chat_postMessage(
                channel=str(channel),
                thread_ts=str(thread) if thread else None,
                text=reply.text,
                blocks=reply.blocks,
                unfurl_links=False,
                unfurl_media=False,
            ),
            f"chat.postMessage to {clip(str(channel), 40)}",
            self.delivery,
        )

    def _by_respond(self, respond: AsyncRespond) -> Say:
        """Say something to a command's or button's user only, below the message."""

        async def say(text: str) -> None:
            await deliver(
                lambda: respond(text=text, response_type="ephemeral", replace_original=False),
                "apology via response_url",
                self.delivery,
            )

        return say

    def _by_post(self, client: AsyncWebClient, channel: Any, thread: Any) -> Say:
        """Say something where a mention's or DM's answer would have been posted."""

        async def say(text: str) -> None:
            await deliver(
                lambda: client.chat_postMessage(
                    channel=str(channel), thread_ts=str(thread) if thread else None, text=text
                ),
                f"apology to {clip(str(channel), 40)}",
                self.delivery,
            )

        return say

    # ------------------------------------------------------------ failures

    @contextlib.asynccontextmanager
    async def _apologizing(
        self, via: str, user: str, question: str, say: Say | None, lang: str | None = None
    ) -> AsyncIterator[None]:
        """Run a listener's work; should it fail, log why and apologize to the user.

        A reply Slack did not take (`NotDelivered`) is a warning; anything else is a bug,
        logged with its traceback. The apology goes where the answer would have gone
        (`say`), in the question's language, else the user's (if already known), else
        MISSION_DEFAULT_LANG; none is tried when Slack refused the reply for good (it
        would refuse the apology too). If even the apology fails, that is only logged.
        """
        question = question[:LOG_QUESTION_CHARS]
        try:
            yield
        except NotDelivered as exc:
            log.warning("not delivered via=%s user=%s: %s", via, user, exc)
            if say is None or exc.final:
                return
        except Exception as exc:
            self._log_failure(f"failed via={via} user={user} question={question!r}", exc)
            if say is None:
                return
        else:
            return
        try:
            await say(APOLOGY[lang or await self._apology_lang(user, question)])
        except NotDelivered as again:
            log.warning("no apology either via=%s user=%s: %s", via, user, again)
        except Exception as again:
            self._log_failure(f"no apology either via={via} user={user}", again)

    async def _apology_lang(self, user: str, question: str) -> str:
        """The question's language, else the user's known one, else the default; no call."""
        lang = self.user_langs.get(user) or self.settings.default_lang
        with contextlib.suppress(Exception):
            lang = await self.in_worker(self.engine.language, question, lang)
        return lang if lang in APOLOGY else self.settings.default_lang

    def _log_failure(self, what: str, exc: BaseException) -> None:
        """An error line with the traceback; the app's secrets are masked, should any appear."""
        message = f"{what}\n{''.join(traceback.format_exception(exc)).rstrip()}"
        for secret in self._secrets:
            message = message.replace(secret, "[secret]")
        log.error("%s", message)


# ---------------------------------------------------------------- helpers


def strip_mention(text: str, bot_user_id: str | None) -> str:
    """The question without the bot's own mention (`<@U123>` or `<@U123|name>`)."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text)
    return text.strip(" \t\n,:;")


def message_question(text: str, bot_user_id: str | None) -> str:
    """The question in a message: at most READ_CHARS looked at, the bot's mention and
    Slack's markup gone, cut to what the engine reads."""
    return question_text(plain_text(strip_mention(text[:READ_CHARS], bot_user_id)))


_MARKUP = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


def plain_text(text: str) -> str:
    """Slack's wire format as a person typed it: a link or channel shows its label,
    mentions and broadcasts (`<@U1>`, `<!here>`) go, and `&amp; &lt; &gt;` are decoded."""

    def label(match: re.Match[str]) -> str:
        target, shown = match.group(1), match.group(2)
        if target.startswith(("@", "!")):
            return " "
        return f" {shown or ('' if target.startswith('#') else target)} "

    text = _MARKUP.sub(label, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _from_a_bot(event: dict[str, Any], context: AsyncBoltContext) -> bool:
    """Messages of bots (this one included) never get an answer."""
    return bool(
        event.get("bot_id")
        or event.get("subtype") == "bot_message"
        or (context.bot_user_id and event.get("user") == context.bot_user_id)
    )


def _user_of(body: dict[str, Any]) -> str:
    """The id of the user who clicked: Slack gives `user` as an object, or a bare id."""
    user = body.get("user")
    return user if isinstance(user, str) else str((user or {}).get("id") or "")


def _can_respond(body: dict[str, Any], via: str, user: str) -> bool:
    """True if the request has a response_url to answer at; else a warning, no reply."""
    if isinstance(body.get("response_url"), str) and body["response_url"]:
        return True
    log.warning("no response_url via=%s user=%s: nowhere to answer", via, clip(user, 40))
    return False


def _action_lang(action: dict[str, Any]) -> str | None:
    """The language a button's answer was in, when its value tells."""
    with contextlib.suppress(Exception):
        lang = render.parse_action_value(str(action.get("value") or ""))[1]
        if lang in APOLOGY:
            return lang
    return None


def _slack_error(exc: BaseException) -> str:
    """A short name for a failed call: Slack's error code, else the exception's class."""
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error", "error"))
    return type(exc).__name__


def _log_reply(via: str, user: str, question: str, reply: Reply, started: float) -> None:
    """What was asked, in which language, what answered and how long it took; no secrets."""
    log.info(
        "answered via=%s user=%s lang=%s status=%s fact=%s ms=%d question=%r",
        via,
        user,
        reply.lang,
        reply.status,
        reply.fact,
        (time.perf_counter() - started) * 1000,
        question[:LOG_QUESTION_CHARS],
    )


# ---------------------------------------------------------------- the app


def build_app(
    engine: Engine,
    settings: SlackSettings,
    client: AsyncWebClient | None = None,
    store: Store | None = None,
    delivery: Delivery | None = None,
) -> AsyncApp:
    """The Bolt app with every listener registered; `client` defaults to SLACK_API_URL's,
    `delivery` to `Delivery()` (how hard a reply is tried).

    With a `store`, questions are logged, answers take feedback, and the handled events
    are shared with every other process on that store.
    """
    bot = MissionBot(engine, settings, store, delivery)
    app = AsyncApp(
        name="mission-bot",
        # The token is always passed: Bolt would otherwise read SLACK_BOT_TOKEN itself.
        **({"client": client} if client is not None else {"token": settings.bot_token}),
        # Socket Mode needs no signing secret; an unknowable one then refuses any HTTP request.
        signing_secret=settings.signing_secret or secrets.token_hex(32),
        # Listeners only acknowledge (the work is in lazy listeners), so Bolt runs them
        # before responding: the acknowledgement goes at once, not at its next 10 ms poll.
        process_before_response=True,
        before_authorize=bot.skip_repeats,
    )
    if client is None and settings.api_url:
        app.client.base_url = settings.api_url  # every Web API call goes there, per request too
    bot.register(app)
    track_replies(app)
    return app


async def keep_retention(store: Store, every: float = DAY_SECONDS) -> None:
    """Delete what is past the retention period, once every `every` seconds, forever."""
    while True:
        await asyncio.sleep(every)
        try:
            gone = await asyncio.to_thread(store.purge)
        except StoreError as exc:
            log.warning("retention: old questions not deleted this time: %s", exc)
        else:
            days = store.retention_days
            log.info("retention: %d questions older than %d days deleted", gone, days)


async def _run(app: AsyncApp, settings: SlackSettings, store: Store) -> None:
    """The transport, with the daily retention beside it."""
    keeper = asyncio.create_task(keep_retention(store))
    try:
        if settings.app_token is not None:
            await socket_mode.run(app, settings.app_token)
        else:
            await http.run(app, settings.signing_secret, host=settings.host, port=settings.port)
    finally:
        keeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await keeper


def serve(mode: str = "auto", knowledge_dir: str | None = None) -> int:
    """`mission-bot serve`: Socket Mode with SLACK_APP_TOKEN, else HTTP on $PORT. Exit code.

    The store (MISSION_DB or DATABASE_URL) is opened, checked and trimmed to the
    retention period first: one that cannot be stops the bot with a message saying why.
    """
    try:
        settings = slack_settings(mode=mode)
        store_config = store_settings(env_file=".env")
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    try:
        engine = Engine(knowledge.load(knowledge_dir or settings.knowledge_dir))
    except knowledge.KnowledgeError as exc:
        print(exc.report(), file=sys.stderr)
        return 2
    try:
        store = open_store(store_config, check=True)
    except StoreError as exc:
        print(f"Store error: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    log.info("question log: %s, kept %d days", store.where, store.retention_days)
    app = build_app(engine, settings, store=store)
    try:
        if settings.app_token is not None:
            log.info(
                "Socket Mode, %d entries, default language %s",
                len(engine.base),
                settings.default_lang,
            )
        else:
            log.info("HTTP mode, %d entries", len(engine.base))
        asyncio.run(_run(app, settings, store))
    except KeyboardInterrupt:
        pass
    finally:
        store.close()
    log.info("stopped")
    return 0
