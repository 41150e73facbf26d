"""Command line: `mission-bot ask | chat | check | facts | serve`, the bot without Slack."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from bot import charts, knowledge, render
from bot.answers import Engine
from bot.config import ConfigError, settings
from bot.knowledge import LANGS


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


def reply_json(engine: Engine, question: str, lang: str | None, default: str) -> str:
    """One JSON object; a help request has status "unknown", no fact, and `help` true.
    `chart` holds a series' or a breakdown's data (ids, labels, values), else null."""
    if engine.is_help(question):
        reply_lang = lang or engine.language(question, default)
        payload: dict[str, object] = {
            "question": question,
            "lang": reply_lang,
            "status": "unknown",
            "fact": None,
            "alternatives": [],
            "help": True,
            "text": render.help_text(reply_lang),
            "chart": None,
        }
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
    return json.dumps(payload, ensure_ascii=False)


def _batch(
    engine: Engine, lines: Iterable[str], out: TextIO, lang: str | None, default: str
) -> None:
    """One JSON line out per line in, flushed at once; stops quietly if the reader goes."""
    try:
        for line in lines:
            out.write(reply_json(engine, line.rstrip("\r\n"), lang, default) + "\n")
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
            question = input("? ")
        except (EOFError, KeyboardInterrupt):
            print()
            return
        if question.strip():
            print(reply_text(engine, question, lang, default) + "\n")


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
        print(engine.base.to_json())
    elif args.command == "chat":
        _chat(engine, args.lang, default)
    elif args.command == "ask":
        question = " ".join(args.question)
        if args.json and not args.question:
            # undecodable bytes become U+FFFD: the output stays valid UTF-8 JSON
            sys.stdin.reconfigure(encoding="utf-8", errors="replace")
            _batch(engine, sys.stdin, sys.stdout, args.lang, default)
        elif args.json:
            print(reply_json(engine, question, args.lang, default))
        else:
            print(reply_text(engine, question, args.lang, default))
    return 0


if __name__ == "__main__":
    sys.exit(main())
