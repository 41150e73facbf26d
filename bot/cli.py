"""Command line: `mission-bot ask | chat | check | facts | serve | misses | stats`.

The bot without Slack, and the maintainers' view of the question log. Each subcommand
is one `cmd_*` function, picked by argparse; they share the helpers that read the
settings, load the fact base and open the store, each of which exits 2 with a message
saying what is wrong.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TextIO

from bot import charts, knowledge, render, report
from bot.answers import Answer, Engine
from bot.config import ENV_FILE, ConfigError, Settings, settings, store_settings
from bot.edge import argv_text, json_line, question_text, read_line, writes_unicode
from bot.knowledge import LANGS
from bot.matching import MAX_CHARS
from bot.store import Question, Record, Store, StoreError, open_store

CHAT_FEEDBACK = "(After an answer, + says it helped and - that it did not. Ctrl-D to quit.)"
CHAT_QUIT = "(Ctrl-D to quit)"


# ---------------------------------------------------------------- shared steps


def load_engine(directory: str | Path) -> Engine:
    """The engine over a validated fact base, or exit 2 listing every problem."""
    try:
        return Engine(knowledge.load(directory))
    except knowledge.KnowledgeError as exc:
        print(exc.report(), file=sys.stderr)
        raise SystemExit(2) from None


def _settings() -> Settings:
    try:
        return settings(env_file=ENV_FILE)
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _engine(args: argparse.Namespace, config: Settings) -> Engine:
    return load_engine(args.knowledge or config.knowledge_dir)


def _open_store(required: bool) -> Store | None:
    """The question log; without it, exit 2 if `required`, else a warning and None."""
    try:
        return open_store(store_settings(env_file=ENV_FILE))
    except (ConfigError, StoreError) as exc:
        kind = "Configuration error" if isinstance(exc, ConfigError) else "Store error"
        if required:
            print(f"{kind}: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
        print(f"Warning: questions are not logged. {kind}: {exc}", file=sys.stderr)
        return None


# ---------------------------------------------------------------- replies


@dataclass(frozen=True)
class Reply:
    """One line's reply before layout: the answer, or None for a help request."""

    question: str
    lang: str
    answer: Answer | None
    ms: float


def reply_to(engine: Engine, question: str, lang: str | None, default: str) -> Reply:
    started = time.perf_counter()
    if engine.is_help(question):
        answer, reply_lang = None, lang or engine.language(question, default)
    else:
        answer = engine.ask(question, lang=lang, default_lang=default)
        reply_lang = answer.lang
    return Reply(question, reply_lang, answer, (time.perf_counter() - started) * 1000)


def as_text(engine: Engine, reply: Reply) -> str:
    """The plain-text reply to one line: help for a help request, else the answer."""
    if reply.answer is None:
        return render.help_text(reply.lang)
    return render.to_text(reply.answer, engine.base)


def as_json(engine: Engine, reply: Reply, ascii_only: bool = False) -> str:
    """One JSON object on one line, with every key of the contract whatever the reply.

    A help request has status "unknown", no fact, reason "help" and `help` true. `chart`
    holds a series' or a breakdown's data (ids, labels, values), else null. `ascii_only`
    escapes every non-ASCII character (for an output that can't write UTF-8)."""
    answer = reply.answer
    if answer is None:
        truncated = len(" ".join(reply.question.split())) > MAX_CHARS
        help_answer = Answer(
            reply.question, reply.lang, "unknown", truncated=truncated, reason="help"
        )
        payload = {**help_answer.to_dict(), "help": True}
        payload["text"] = render.help_text(reply.lang)
        payload["chart"] = None
    else:
        payload = {**answer.to_dict(), "help": False, "text": render.to_text(answer, engine.base)}
        # a series or a breakdown: its data, for scripts that draw their own charts
        chart = charts.chart_of(answer)
        payload["chart"] = (
            charts.chart_data(chart, answer.lang, engine.base).as_dict() if chart else None
        )
    return json_line(payload, ascii_only)


def reply_text(engine: Engine, question: str, lang: str | None, default: str) -> str:
    return as_text(engine, reply_to(engine, question, lang, default))


def reply_json(
    engine: Engine, question: str, lang: str | None, default: str, ascii_only: bool = False
) -> str:
    return as_json(engine, reply_to(engine, question, lang, default), ascii_only)


class QuestionLog:
    """The CLI's side of the question log: records replies, never stops one.

    A failed write is reported on stderr once (the first time) and the reply goes on.
    """

    def __init__(self, store: Store | None) -> None:
        self.store = store
        self.failures = 0

    def add(self, reply: Reply) -> str | None:
        """Log one reply; its question id, or None when not logged."""
        if self.store is None:
            return None
        answer = reply.answer
        question = Question(
            surface="cli",
            lang=reply.lang,
            status=answer.status if answer is not None else "help",
            question=reply.question,
            band=(answer.confidence or None) if answer is not None else None,
            fact=answer.entry.id if answer and answer.entry and answer.status == "answer" else None,
            alternatives=tuple(e.id for e in answer.alternatives) if answer else (),
            latency_ms=reply.ms,
        )
        try:
            return self.store.log_question(question)
        except StoreError as exc:
            self.failures += 1
            if self.failures == 1:
                print(f"Warning: question not logged: {exc}", file=sys.stderr)
            return None

    def close(self) -> None:
        if self.store is not None:
            self.store.close()


def _batch(
    engine: Engine,
    lines: BinaryIO,
    out: TextIO,
    lang: str | None,
    default: str,
    log: QuestionLog | None = None,
) -> None:
    """One JSON line out per line in, flushed at once; stops quietly if the reader goes.

    Lines are read with a size cap and cut to what the engine reads (`bot.edge`)."""
    ascii_only = not writes_unicode(out.encoding)
    try:
        while (line := read_line(lines)) is not None:
            reply = reply_to(engine, question_text(line), lang, default)
            out.write(as_json(engine, reply, ascii_only) + "\n")
            out.flush()
            if log is not None:
                log.add(reply)
    except BrokenPipeError:
        # the reader closed the pipe: nothing more to say, and nothing left to flush at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), out.fileno())


# ---------------------------------------------------------------- subcommands


def cmd_ask(args: argparse.Namespace) -> int:
    config = _settings()
    engine = _engine(args, config)
    log = QuestionLog(_open_store(required=True) if args.log else None)
    try:
        if args.json and not args.question:
            _batch(engine, sys.stdin.buffer, sys.stdout, args.lang, config.default_lang, log)
            return 0
        # undecodable bytes become U+FFFD; the engine gets what it reads and no more
        question = question_text(" ".join(argv_text(a) for a in args.question))
        reply = reply_to(engine, question, args.lang, config.default_lang)
        ascii_only = not writes_unicode(sys.stdout.encoding)
        print(as_json(engine, reply, ascii_only) if args.json else as_text(engine, reply))
        log.add(reply)
    finally:
        log.close()
    return 0


def _feedback(log: QuestionLog, question_id: str | None, vote: str) -> None:
    """A `+` or `-` typed in the chat, on the last answer."""
    if log.store is None:
        print("Feedback is not kept: the question log is unavailable.\n")
        return
    if question_id is None:
        print("Ask a question first; then + or - says whether its answer helped.\n")
        return
    try:
        result = log.store.vote(question_id, None, vote)
        if vote == "down" and result != "unknown":
            wanted = input("What were you looking for? (optional, Enter to skip) ")
            if wanted.strip():
                log.store.comment(question_id, None, wanted)
    except StoreError as exc:
        print(f"Feedback not kept: {exc}\n")
        return
    print(
        {"same": "Already noted, thanks.\n", "changed": "Feedback updated, thanks.\n"}.get(
            result, "Thanks for your feedback.\n"
        )
    )


def cmd_chat(args: argparse.Namespace) -> int:
    config = _settings()
    engine = _engine(args, config)
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401  (history and line editing at the prompt)
    log = QuestionLog(_open_store(required=False))
    print(render.help_text(args.lang or config.default_lang))
    print((CHAT_FEEDBACK if log.store is not None else CHAT_QUIT) + "\n")
    last: str | None = None
    try:
        while True:
            question = question_text(input("? "))
            if question.strip() in ("+", "-"):
                _feedback(log, last, "up" if question.strip() == "+" else "down")
            elif question.strip():
                reply = reply_to(engine, question, args.lang, config.default_lang)
                print(as_text(engine, reply) + "\n")
                last = log.add(reply)
    except (EOFError, KeyboardInterrupt):
        print()
    finally:
        log.close()
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    base = _engine(args, _settings()).base
    summary = base.summary()
    width = max(len(f) for f in summary)
    for file, kinds in summary.items():
        counts = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
        print(f"{file:<{width}}  {counts}")
    kinds_total: dict[str, int] = {}
    for entry in base:
        kinds_total[entry.kind] = kinds_total.get(entry.kind, 0) + 1
    total = ", ".join(f"{n} {k}" for k, n in sorted(kinds_total.items()))
    print(f"OK: {len(base)} entries in {len(summary)} files ({total})")
    examples = {lang: sum(len(e.examples.get(lang, ())) for e in base) for lang in LANGS}
    outside = {lang: len(base.out_of_scope.get(lang, ())) for lang in LANGS}
    print(
        f"Question bank: {examples['en']} English and {examples['fr']} French example "
        f"questions, {outside['en']} + {outside['fr']} questions the report does not answer"
    )
    return 0


def cmd_facts(args: argparse.Namespace) -> int:
    base = _engine(args, _settings()).base
    print(base.to_json(ascii_only=not writes_unicode(sys.stdout.encoding)))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from bot.slack_app import serve  # Slack's libraries load only for `serve`

    return serve(args.mode, args.knowledge)


def _since(text: str) -> float:
    """--since as Unix time; argparse reports a bad one."""
    try:
        return report.parse_since(text, time.time())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _records(since: float, until: float) -> tuple[str, list[Record]]:
    store = _open_store(required=True)
    assert store is not None
    with store:
        try:
            return store.where, store.records(since, until)
        except StoreError as exc:
            print(f"Store error: {exc}", file=sys.stderr)
            raise SystemExit(2) from None


def cmd_misses(args: argparse.Namespace) -> int:
    since, until = args.since, time.time()
    where, records = _records(since, until)
    found = report.misses(records)
    if args.json:
        print(
            json.dumps(
                [m.to_dict() for m in found],
                ensure_ascii=not writes_unicode(sys.stdout.encoding),
                indent=2,
            )
        )
    else:
        print(f"Question log: {where}\n{report.misses_text(found, since, until)}")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    since, until = args.since, time.time()
    where, records = _records(since, until)
    result = report.stats(records, since, until)
    if args.json:
        print(
            json.dumps(
                result.to_dict(), ensure_ascii=not writes_unicode(sys.stdout.encoding), indent=2
            )
        )
    else:
        char = report.bar_char(sys.stdout.encoding)
        print(f"Question log: {where}\n{report.stats_text(result, char)}")
    return 0


# ---------------------------------------------------------------- the parser


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="mission-bot",
        description="Answers questions about the OpenClassrooms Mission Report 2021.",
    )
    top.add_argument("--knowledge", default=None, help="fact base folder (default: knowledge/)")
    sub = top.add_subparsers(dest="command", required=True)

    ask = sub.add_parser("ask", help="answer one question, or one per line of stdin with --json")
    ask.add_argument("question", nargs="*")
    ask.add_argument("--lang", choices=["en", "fr"], help="force the reply language")
    ask.add_argument(
        "--json", action="store_true", help="print JSON (batch mode without a question)"
    )
    ask.add_argument(
        "--log", action="store_true", help="record the questions in the question log too"
    )
    ask.set_defaults(run=cmd_ask)

    chat = sub.add_parser("chat", help="an interactive console (questions are logged)")
    chat.add_argument("--lang", choices=["en", "fr"])
    chat.set_defaults(run=cmd_chat)

    sub.add_parser("check", help="validate the fact base and summarize it").set_defaults(
        run=cmd_check
    )

    facts = sub.add_parser("facts", help="print the whole fact base")
    facts.add_argument("--json", action="store_true", help="as one JSON list (the default)")
    facts.set_defaults(run=cmd_facts)

    serve = sub.add_parser("serve", help="run the Slack app (Socket Mode or HTTP)")
    serve.add_argument(
        "--mode",
        choices=["auto", "socket", "http"],
        default="auto",
        help="auto (the default): Socket Mode when SLACK_APP_TOKEN is set, else HTTP on $PORT",
    )
    serve.set_defaults(run=cmd_serve)

    since_help = "how far back: 30d (the default), 12w, 48h, or a date such as 2026-10-01"
    misses = sub.add_parser(
        "misses", help="questions unanswered, plausible or marked not helpful, by wording"
    )
    misses.add_argument("--since", type=_since, default=report.DEFAULT_SINCE, help=since_help)
    misses.add_argument("--json", action="store_true", help="as one JSON list")
    misses.set_defaults(run=cmd_misses)

    stats = sub.add_parser("stats", help="questions per week and language, answer rate, feedback")
    stats.add_argument("--since", type=_since, default=report.DEFAULT_SINCE, help=since_help)
    stats.add_argument("--json", action="store_true", help="as one JSON object")
    stats.set_defaults(run=cmd_stats)
    return top


def _safe_streams() -> None:
    """Output that cannot be encoded is replaced, never a crash (PYTHONIOENCODING=ascii);
    so is undecodable input typed in `chat`. JSON escapes what the output cannot write."""
    for stream, errors in ((sys.stdout, "replace"), (sys.stdin, "replace")):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors=errors)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    _safe_streams()
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
