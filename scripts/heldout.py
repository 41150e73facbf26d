#!/usr/bin/env python3
"""Score the bot on the held-out question set (tests/data/questions.heldout.yaml).

Usage (from the project's root):
    .venv/bin/python scripts/heldout.py [QUESTIONS.yaml] [--cmd "mission-bot ask --json"]
                                        [--min 0.9]

Every question is fed, one per line, to the batch mode of `mission-bot ask --json`,
which prints one JSON object per line. A question passes when:
  expect: answer   status is "answer", its `fact` is one of the item's `facts`, and
                   `lang` is the item's language;
  expect: unknown  status is "unknown".
A reply with status "ambiguous" to an `expect: answer` question is a failure; such
failures are listed apart, saying whether every alternative offered was acceptable.

Prints the accuracy per group (en, fr: questions with an answer, by language; oos:
questions the report does not answer), then every failure. The last line is the total.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_QUESTIONS = ROOT / "tests" / "data" / "questions.heldout.yaml"
GROUPS = ("en", "fr", "oos")


def default_cmd() -> str:
    local = ROOT / ".venv" / "bin" / "mission-bot"
    exe = str(local) if local.exists() else (shutil.which("mission-bot") or "mission-bot")
    return f"{shlex.quote(exe)} ask --json"


def load(path: Path) -> list[dict]:
    items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    for n, item in enumerate(items, 1):
        missing = {"q", "lang", "expect"} - set(item)
        if missing:
            raise SystemExit(f"{path}: item {n} lacks {sorted(missing)}")
        if item["expect"] not in ("answer", "unknown"):
            raise SystemExit(f"{path}: item {n}: expect must be answer or unknown")
        if "\n" in item["q"]:
            raise SystemExit(f"{path}: item {n}: a question must fit on one line")
        item.setdefault("facts", [])
        if item["expect"] == "answer" and not item["facts"]:
            raise SystemExit(f"{path}: item {n}: an answer question needs `facts`")
    return items


def ask_all(cmd: str, questions: list[str]) -> list[dict]:
    proc = subprocess.run(
        shlex.split(cmd),
        input="".join(q + "\n" for q in questions),
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if proc.returncode != 0:
        raise SystemExit(f"`{cmd}` failed ({proc.returncode}):\n{proc.stderr}")
    replies = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    if len(replies) != len(questions):
        raise SystemExit(f"`{cmd}` gave {len(replies)} replies to {len(questions)} questions")
    return replies


def group(item: dict) -> str:
    return "oos" if item["expect"] == "unknown" else item["lang"]


def judge(item: dict, reply: dict) -> tuple[bool, str]:
    status = reply.get("status")
    if item["expect"] == "unknown":
        return status == "unknown", f"status={status} fact={reply.get('fact')}"
    if status == "ambiguous":
        alts = reply.get("alternatives") or []
        ok = all(a in item["facts"] for a in alts)
        return (
            False,
            f"ambiguous between {alts} ({'all acceptable' if ok else 'not all acceptable'})",
        )
    if status != "answer":
        return False, f"status={status}"
    fact = reply.get("fact")
    if fact not in item["facts"]:
        return False, f"wrong fact {fact}"
    if reply.get("lang") != item["lang"]:
        return False, f"lang={reply.get('lang')} (fact {fact} is right)"
    return True, "ok"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", nargs="?", default=str(DEFAULT_QUESTIONS))
    parser.add_argument(
        "--cmd", default=None, help="batch command (default: the venv's mission-bot ask --json)"
    )
    parser.add_argument(
        "--min", type=float, default=0.0, help="exit 1 below this overall pass rate (0-1)"
    )
    args = parser.parse_args()

    items = load(Path(args.questions))
    replies = ask_all(args.cmd or default_cmd(), [i["q"] for i in items])

    totals = {g: [0, 0] for g in GROUPS}
    failures: list[tuple[dict, dict, str]] = []
    for item, reply in zip(items, replies, strict=True):
        ok, why = judge(item, reply)
        g = group(item)
        totals[g][1] += 1
        totals[g][0] += ok
        if not ok:
            failures.append((item, reply, why))

    def show(title: str, rows: list[tuple[dict, dict, str]]) -> None:
        if not rows:
            return
        print(f"\n{title} ({len(rows)}):")
        for item, reply, why in rows:
            expected = ", ".join(item["facts"]) or "(unknown)"
            print(f"  [{group(item)}] {item['q']}")
            print(f"        expected: {expected}")
            got = f"{reply.get('status')} {reply.get('fact') or ''} lang={reply.get('lang')}"
            print(f"        got:      {got} -- {why}")

    plain = [
        f for f in failures if f[1].get("status") != "ambiguous" or f[0]["expect"] == "unknown"
    ]
    ambiguous = [
        f for f in failures if f[1].get("status") == "ambiguous" and f[0]["expect"] == "answer"
    ]
    show("Failures", plain)
    show("Ambiguous replies to answerable questions (counted as failures)", ambiguous)

    print("\nAccuracy per group:")
    for g in GROUPS:
        ok, n = totals[g]
        print(f"  {g:<4} {ok:>4}/{n:<4} {100 * ok / n if n else 0:5.1f}%")
    ok = sum(t[0] for t in totals.values())
    n = sum(t[1] for t in totals.values())
    rate = ok / n if n else 0.0
    print(f"held-out: {ok}/{n} passed ({100 * rate:.1f}%), {len(ambiguous)} ambiguous")
    return 1 if rate < args.min else 0


if __name__ == "__main__":
    sys.exit(main())
