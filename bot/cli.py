"""Command line: `mission-bot ask | chat | check | facts | serve`, the bot without Slack."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path
from typing import BinaryIO, TextIO

from bot import charts, knowledge, render
from bot.answers import Answer, Engine
from bot.config import ConfigError, settings
from bot.edge import argv_text, json_line, question_text, read_line, writes_unicode
from bot.knowledge import LANGS
from bot.matching import MAX_CHARS


def load_engine(directory: str | Path) -> Engine:
    """The engine over a validated fact base, or exit 2 listing every problem."""
    try:
        return Engine(knowledge.load(directory))
    except knowledge.KnowledgeError as exc:
        print(exc.report(), file=sys.stderr)
        raise SystemExit(2) from None


def reply_text(engine: Engine, question: str, lang: str | None, default: str) -> str:
    """The plain-text reply to one line: help for a help request, else the answer."""
    if engine.is_help(question):
        return render.help_text(lang or engine.language(question, default))
    return render.to_text(engine.ask(question, lang=lang, default_lang=default), engine.base)


def reply_json(
    engine: Engine, question: str, lang: str | None, default: str, ascii_only: bool = False
) -> str:
    """One JSON object on one line, with every key of the contract whatever the reply.

    A help request has status "unknown", no fact, reason "help" and `help` true. `chart`
    holds a series' or a breakdown's data (ids, labels, values), else null."""
    if engine.is_help(question):
        reply_lang = lang or engine.language(question, default)
        truncated = len(" ".join(question.split())) > MAX_CHARS
        answer = Answer(question, reply_lang, "unknown", truncated=truncated, reason="help")
        payload = {**answer.to_dict(), "help": True, "text": render.help_text(reply_lang)}
        payload["chart"] = None
    else:
        answer = engine.ask(question, lang=lang, default_lang=default)
        payload = {**answer.to_dict(), "help": False, "text": render.to_text(answer, engine.base)}
        # a series or a breakdown: its data, for scripts that draw their own charts
        shown = answer.entry if answer.status == "answer" else None
        payload["chart"] = (
            charts.chart_data(shown, answer.lang, engine.base).as_dict()
            if shown is not None and charts.is_chart(shown)
            else None
        )
    return json_line(payload, ascii_only)


def _batch(engine: Engine, lines: BinaryIO, out: TextIO, lang: str | None, default: str) -> None:
    """One JSON line out per line in, flushed at once; stops quietly if the reader goes.

    Lines are read with a size cap and cut to what the engine reads (`bot.edge`)."""
    ascii_only = not writes_unicode(out.encoding)
    try:
        while (line := read_line(lines)) is not None:
            out.write(reply_json(engine, question_text(line), lang, default, ascii_only) + "\n")
            out.flush()
    except BrokenPipeError:
        # the reader closed the pipe: nothing more to say, and nothing left to flush at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), out.fileno())


def _chat(engine: Engine, lang: str | None, default: str) -> None:
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401  (history and line editing at the prompt)
    print(render.help_text(lang or default))
    print("(Ctrl-D to quit)\n")
    while True:
        try:
            question = question_text(input("? "))
        except (EOFError, KeyboardInterrupt):
            print()
            return
        if question.strip():
            print(reply_text(engine, question, lang, default) + "\n")


def _safe_streams() -> None:
    """Output that cannot be encoded is replaced, never a crash (PYTHONIOENCODING=ascii);
    so is undecodable input typed in `chat`. JSON escapes what the output cannot write."""
    for stream, errors in ((sys.stdout, "replace"), (sys.stdin, "replace")):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors=errors)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="mission-bot",
        description="Answers questions about the OpenClassrooms Mission Report 2021.",
    )
    parser.add_argument("--knowledge", default=None, help="fact base folder (default: knowledge/)")
    sub = parser.add_subparsers(dest="command", required=True)
    ask = sub.add_parser("ask", help="answer one question, or one per line of stdin with --json")
    ask.add_argument("question", nargs="*")
    ask.add_argument("--lang", choices=["en", "fr"], help="force the reply language")
    ask.add_argument(
        "--json", action="store_true", help="print JSON (batch mode without a question)"
    )
    chat = sub.add_parser("chat", help="an interactive console")
    chat.add_argument("--lang", choices=["en", "fr"])
    sub.add_parser("check", help="validate the fact base and summarize it")
    facts = sub.add_parser("facts", help="print the whole fact base")
    facts.add_argument("--json", action="store_true", help="as one JSON list (the default)")
    serve_cmd = sub.add_parser("serve", help="run the Slack app (Socket Mode or HTTP)")
    serve_cmd.add_argument(
        "--mode",
        choices=["auto", "socket", "http"],
        default="auto",
        help="auto (the default): Socket Mode when SLACK_APP_TOKEN is set, else HTTP on $PORT",
    )
    args = parser.parse_args(argv)
    _safe_streams()

    if args.command == "serve":
        from bot.slack_app import serve

        return serve(args.mode, args.knowledge)

    try:
        config = settings()
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    default = config.default_lang
    engine = load_engine(args.knowledge or config.knowledge_dir)
    if args.command == "check":
        summary = engine.base.summary()
        width = max(len(f) for f in summary)
        for file, kinds in summary.items():
            counts = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
            print(f"{file:<{width}}  {counts}")
        kinds_total: dict[str, int] = {}
        for entry in engine.base:
            kinds_total[entry.kind] = kinds_total.get(entry.kind, 0) + 1
        total = ", ".join(f"{n} {k}" for k, n in sorted(kinds_total.items()))
        print(f"OK: {len(engine.base)} entries in {len(summary)} files ({total})")
        base = engine.base
        examples = {lang: sum(len(e.examples.get(lang, ())) for e in base) for lang in LANGS}
        outside = {lang: len(base.out_of_scope.get(lang, ())) for lang in LANGS}
        print(
            f"Question bank: {examples['en']} English and {examples['fr']} French example "
            f"questions, {outside['en']} + {outside['fr']} questions the report does not answer"
        )
    elif args.command == "facts":
        print(engine.base.to_json(ascii_only=not writes_unicode(sys.stdout.encoding)))
    elif args.command == "chat":
        _chat(engine, args.lang, default)
    elif args.command == "ask":
        # undecodable bytes become U+FFFD; the engine gets what it reads and no more
        question = question_text(" ".join(argv_text(a) for a in args.question))
        if args.json and not args.question:
            _batch(engine, sys.stdin.buffer, sys.stdout, args.lang, default)
        elif args.json:
            ascii_only = not writes_unicode(sys.stdout.encoding)
            print(reply_json(engine, question, args.lang, default, ascii_only))
        else:
            print(reply_text(engine, question, args.lang, default))
    return 0


if __name__ == "__main__":
    sys.exit(main())
