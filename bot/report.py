"""The maintainers' reports over the question log: `mission-bot misses` and `stats`.

Pure functions: `store.Record`s in, plain data out (`misses`, `stats`), then that data as
text for a terminal (`misses_text`, `stats_text`: plain ASCII but for the bars, of block
characters, or of `#` where the terminal cannot show them) or as JSON-ready dicts.

A miss is a question the bot could not answer, one it answered in the plausible band
(it offered other readings), or one whose answer got a 👎. Misses are grouped by their
wording once normalized (case, accents and punctuation aside), most frequent first, and
each group names the entry the bot chose, so a maintainer knows where to add an alias
or an example question.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.language import tokens
from bot.store import DAY_SECONDS, Record

DEFAULT_SINCE = "30d"
BAR_WIDTH = 30
_SINCE = re.compile(r"(\d{1,5})\s*([hdw])")
_UNITS = {"h": 3600, "d": DAY_SECONDS, "w": 7 * DAY_SECONDS}


def parse_since(text: str, now: float) -> float:
    """Unix time from "30d", "12w", "48h" (that long ago) or a date "2026-10-01" (UTC)."""
    text = text.strip().lower()
    if found := _SINCE.fullmatch(text):
        return now - int(found[1]) * _UNITS[found[2]]
    try:
        day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise ValueError(
            f"--since takes a duration such as 30d, 12w or 48h, or a date such as "
            f"2026-10-01, not {text[:30]!r}"
        ) from None
    return day.timestamp()


def normalized(question: str) -> str:
    """A question's wording for grouping: its words, lower-case, without accents."""
    return " ".join(tokens(question))


def _day(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")


def _bar(n: int, biggest: int, char: str, width: int = BAR_WIDTH) -> str:
    filled = round(width * n / biggest) if biggest else 0
    return (char * max(filled, 1 if n else 0)).ljust(width)


def bar_char(encoding: str | None) -> str:
    """A full block where the terminal's encoding has one, else '#'."""
    try:
        "█".encode(encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return "#"
    return "█"


# ---------------------------------------------------------------- misses


@dataclass
class Miss:
    """The misses of one wording."""

    wording: str  # the latest wording as typed
    normalized: str
    count: int = 0
    unknown: int = 0
    plausible: int = 0
    not_helpful: int = 0
    chosen: Counter[str] = field(default_factory=Counter)  # entry that answered -> times
    offered: Counter[str] = field(default_factory=Counter)  # other readings or closest topics
    wanted: list[str] = field(default_factory=list)  # what 👎 voters said they looked for
    langs: Counter[str] = field(default_factory=Counter)
    last_asked: float = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "wording": self.wording,
            "normalized": self.normalized,
            "count": self.count,
            "unknown": self.unknown,
            "plausible": self.plausible,
            "not_helpful": self.not_helpful,
            "chosen": [fact for fact, _ in self.chosen.most_common()],
            "offered": [fact for fact, _ in self.offered.most_common()],
            "wanted": self.wanted,
            "langs": [lang for lang, _ in self.langs.most_common()],
            "last_asked": datetime.fromtimestamp(self.last_asked, UTC).isoformat(),
        }


def is_miss(record: Record) -> bool:
    return (
        record.status == "unknown"
        or (record.status == "answer" and record.band == "plausible")
        or any(v.vote == "down" for v in record.votes)
    )


def misses(records: Iterable[Record]) -> list[Miss]:
    """The misses grouped by normalized wording, most frequent (then most recent) first."""
    groups: dict[str, Miss] = {}
    for record in sorted(records, key=lambda r: r.asked_at):
        if record.status == "help" or not is_miss(record):
            continue
        key = normalized(record.question) or record.question.strip()
        miss = groups.setdefault(key, Miss(record.question, key))
        miss.wording = record.question
        miss.count += 1
        miss.last_asked = max(miss.last_asked, record.asked_at)
        miss.langs[record.lang] += 1
        if record.status == "unknown":
            miss.unknown += 1
        elif record.band == "plausible":
            miss.plausible += 1
        if any(v.vote == "down" for v in record.votes):
            miss.not_helpful += 1
        if record.fact:
            miss.chosen[record.fact] += 1
        miss.offered.update(record.alternatives)
        miss.wanted.extend(v.comment for v in record.votes if v.vote == "down" and v.comment)
    return sorted(groups.values(), key=lambda m: (-m.count, -m.last_asked, m.normalized))


def misses_text(found: list[Miss], since: float, until: float) -> str:
    """The misses report for a terminal."""
    period = f"from {_day(since)} to {_day(until)}"
    if not found:
        return f"No misses {period}: every logged question was answered for sure, none unhelpful."
    total = sum(m.count for m in found)
    kinds = (
        f"{sum(m.unknown for m in found)} not in the report, "
        f"{sum(m.plausible for m in found)} plausible, "
        f"{sum(m.not_helpful for m in found)} not helpful"
    )
    lines = [f"Misses {period}: {total} questions in {len(found)} wordings ({kinds})", ""]
    width = len(str(found[0].count))
    for miss in found:
        why = [
            f"{n} {label}"
            for n, label in (
                (miss.unknown, "not in the report"),
                (miss.plausible, "plausible"),
                (miss.not_helpful, "not helpful"),
            )
            if n
        ]
        lines.append(f"{miss.count:>{width}} x {miss.wording.strip()!r}  [{', '.join(why)}]")
        indent = " " * (width + 3)
        chosen = ", ".join(f"{f} ({n})" if n > 1 else f for f, n in miss.chosen.most_common())
        offered = ", ".join(f for f, _ in miss.offered.most_common(3))
        answer = f"chose {chosen}" if chosen else "chose nothing (not in the report)"
        lines.append(f"{indent}{answer}" + (f"; offered {offered}" if offered else ""))
        for wanted in miss.wanted[-3:]:
            lines.append(f"{indent}wanted: {wanted!r}")
    return "\n".join(lines)


# ---------------------------------------------------------------- stats


@dataclass
class Stats:
    since: float
    until: float
    total: int = 0
    weeks: list[tuple[str, int]] = field(default_factory=list)
    langs: Counter[str] = field(default_factory=Counter)
    surfaces: Counter[str] = field(default_factory=Counter)
    sure: int = 0
    plausible: int = 0
    unknown: int = 0
    help: int = 0
    up: int = 0
    down: int = 0
    most_asked: list[tuple[str, int]] = field(default_factory=list)

    @property
    def answered(self) -> int:
        return self.sure + self.plausible

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": _day(self.since),
            "until": _day(self.until),
            "total": self.total,
            "weeks": dict(self.weeks),
            "langs": dict(self.langs),
            "surfaces": dict(self.surfaces),
            "sure": self.sure,
            "plausible": self.plausible,
            "unknown": self.unknown,
            "help": self.help,
            "up": self.up,
            "down": self.down,
            "most_asked": dict(self.most_asked),
        }


def _week(ts: float) -> str:
    year, week, _ = datetime.fromtimestamp(ts, UTC).isocalendar()
    return f"{year}-W{week:02d}"


def stats(records: Iterable[Record], since: float, until: float, top: int = 10) -> Stats:
    """Counts over the questions asked between `since` and `until`."""
    result = Stats(since, until)
    weeks: Counter[str] = Counter()
    facts: Counter[str] = Counter()
    for record in records:
        result.total += 1
        weeks[_week(record.asked_at)] += 1
        result.langs[record.lang] += 1
        result.surfaces[record.surface] += 1
        if record.status == "help":
            result.help += 1
        elif record.status == "unknown":
            result.unknown += 1
        elif record.band == "plausible":
            result.plausible += 1
        else:
            result.sure += 1
        if record.status == "answer" and record.fact:
            facts[record.fact] += 1
        result.up += sum(v.vote == "up" for v in record.votes)
        result.down += sum(v.vote == "down" for v in record.votes)
    # every week of the period, the quiet ones too
    day = datetime.fromtimestamp(since, UTC)
    labels: list[str] = []
    while day.timestamp() <= until:
        if (label := _week(day.timestamp())) not in labels:
            labels.append(label)
        day += timedelta(days=1)
    labels += sorted(set(weeks) - set(labels))
    result.weeks = [(label, weeks[label]) for label in labels]
    result.most_asked = facts.most_common(top)
    return result


def _percent(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "n/a"


def stats_text(result: Stats, char: str = "█") -> str:
    """The stats report for a terminal: text bars, then the rates."""
    period = f"from {_day(result.since)} to {_day(result.until)}"
    if not result.total:
        return f"No questions logged {period}."
    surfaces = ", ".join(f"{s} {n}" for s, n in result.surfaces.most_common())
    lines = [f"Questions {period}: {result.total} ({surfaces})", "", "Per week"]
    biggest = max(n for _, n in result.weeks)
    for label, n in result.weeks:
        lines.append(f"  {label}  {_bar(n, biggest, char)}  {n}")
    lines += ["", "Per language"]
    biggest = max(result.langs.values())
    for lang, n in result.langs.most_common():
        lines.append(f"  {lang:<8}  {_bar(n, biggest, char)}  {n} ({_percent(n, result.total)})")
    asked = result.answered + result.unknown
    lines += [
        "",
        f"Answer rate: {_percent(result.answered, asked)} of {asked} questions "
        f"(sure {_percent(result.sure, asked)}, plausible {_percent(result.plausible, asked)}, "
        f"not in the report {_percent(result.unknown, asked)}); {result.help} help requests",
    ]
    votes = result.up + result.down
    lines.append(
        f"Feedback: {result.up} helpful, {result.down} not helpful "
        f"({_percent(result.up, votes)} helpful)"
        if votes
        else "Feedback: none yet"
    )
    if result.most_asked:
        lines += ["", "Most asked entries"]
        width = max(len(fact) for fact, _ in result.most_asked)
        biggest = result.most_asked[0][1]
        for fact, n in result.most_asked:
            lines.append(f"  {fact:<{width}}  {_bar(n, biggest, char)}  {n}")
    return "\n".join(lines)
