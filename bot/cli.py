"""Command line: `mission-bot check | facts | ask | chat | serve`."""

from __future__ import annotations

import argparse
import sys

from bot import knowledge


def _load(directory: str | None) -> knowledge.FactBase:
    try:
        return knowledge.load(directory)
    except knowledge.KnowledgeError as exc:
        print("The fact base is invalid; nothing was loaded:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        raise SystemExit(2) from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mission-bot")
    parser.add_argument("--knowledge", default=None)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check")
    facts = sub.add_parser("facts")
    facts.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    base = _load(args.knowledge)
    if args.command == "check":
        for file, kinds in base.summary().items():
            print(file, kinds)
        print(f"{len(base)} entries")
    elif args.command == "facts":
        print(base.to_json())
    return 0


if __name__ == "__main__":
    sys.exit(main())
