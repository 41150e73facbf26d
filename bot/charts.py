"""Series and breakdowns as charts: their data, terminal bars, and PNG images.

`chart_data` reads a `series` or `breakdown` entry of the fact base into a `Chart`: the
title, one bar per member figure (its id, label, value and the value as the reply's
language writes it), the unit, the note when the parts don't add up, and the source line.
`bars` lays a chart out as horizontal Unicode bars for a terminal, aligned and readable
without colour. `png` draws it with matplotlib (Agg backend), which is imported only
there, so answering a plain figure never loads it. `ChartCache` keeps each PNG per entry
and language: the fact base does not change while the bot runs.
"""

from __future__ import annotations

import io
import re
import threading
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bot.answers import Answer
from bot.knowledge import CHART_KINDS, Entry, FactBase
from bot.render import LOCALES, colon, format_value, source_line, t

BAR_WIDTH = 30  # characters of the longest bar in a terminal
LABEL_CHARS = 48  # a longer bar label is cut in a terminal
AXIS = {
    "en": {"series": "Period", "breakdown": "Part", "percent": "Share (%)", "count": "Number"},
    "fr": {"series": "Période", "breakdown": "Partie", "percent": "Part (%)", "count": "Nombre"},
}


@dataclass(frozen=True)
class Bar:
    id: str
    label: str
    value: float
    text: str  # the value as a reply writes it ("4 373 étudiants", "9 %")
    short: str  # without the unit's name, for a chart that names it on its axis


@dataclass(frozen=True)
class Chart:
    id: str
    kind: str  # "series" | "breakdown"
    lang: str
    title: str
    unit: str
    unit_name: str
    percent: bool
    bars: tuple[Bar, ...]
    note: str
    source: str

    def as_dict(self) -> dict[str, Any]:
        """What `ask --json` gives scripts that draw their own charts."""
        return {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "unit": self.unit,
            "ids": [b.id for b in self.bars],
            "labels": [b.label for b in self.bars],
            "values": [b.value for b in self.bars],
            "texts": [b.text for b in self.bars],
            "note": self.note or None,
            "source": self.source,
        }


def is_chart(entry: Entry | None) -> bool:
    return entry is not None and entry.kind in CHART_KINDS and bool(entry.members)


def chart_of(answer: Answer) -> Entry | None:
    """The series or breakdown an answer shows, if it shows one."""
    shown = answer.entry if answer.status == "answer" else None
    return shown if is_chart(shown) else None


def _bar_label(chart_entry: Entry, member: Entry, lang: str) -> str:
    """A series' bar is named by its period, a breakdown's by the member's label (without a
    trailing period all the parts share)."""
    period = member.period.get(lang) if member.period else ""
    if chart_entry.kind == "series" and period:
        return period
    label = member.label.get(lang)
    for tail in (f", {period}", f" ({period})"):
        if period and label.endswith(tail):
            return label[: -len(tail)]
    return label


def _distinct_parts(labels: list[str]) -> list[str]:
    """The labels without the words they all begin or end with: "Job seekers aged 20-30",
    "Job seekers aged 30-40" -> "Aged 20-30", "Aged 30-40"."""
    words = [label.split() for label in labels]
    shortest = min(len(w) for w in words)
    head = 0
    while head < shortest - 1 and len({tuple(w[: head + 1]) for w in words}) == 1:
        head += 1
    tail = 0
    while tail < shortest - head - 1 and len({tuple(w[len(w) - tail - 1 :]) for w in words}) == 1:
        tail += 1
    out = []
    for w in words:
        part = " ".join(w[head : len(w) - tail]).strip(" ,")
        if head:  # "Part du développement web" -> "développement web", not "Du dév..."
            part = re.sub(r"^(?:du|des|de la|de l'|d')\s*(?=\S)", "", part)
        out.append(part[:1].upper() + part[1:] if part else " ".join(w))
    return out


def chart_data(entry: Entry, lang: str, base: FactBase) -> Chart:
    """The chart of a series or a breakdown, in `lang`, from the fact base."""
    unit = base.vocabulary.units.get(entry.unit or "")
    members = base.members(entry)
    labels = [_bar_label(entry, m, lang) for m in members]
    if entry.kind == "breakdown":
        labels = _distinct_parts(labels)
    bars = [
        Bar(m.id, label, float(m.numbers()[0]), format_value(m, lang, base), _short(m, lang, base))
        for m, label in zip(members, labels, strict=True)
    ]
    return Chart(
        id=entry.id,
        kind=entry.kind,
        lang=lang,
        title=entry.label.get(lang),
        unit=entry.unit or "",
        unit_name=unit.name.get(lang) if unit else "",
        percent=bool(unit and unit.percent),
        bars=tuple(bars),
        note=f"{t(lang, 'note')}{colon(lang)}{entry.note.get(lang)}" if entry.note else "",
        source=source_line(entry, lang),
    )


def _short(member: Entry, lang: str, base: FactBase) -> str:
    """The value without its unit's name ("4 373", "9 %"): the chart names the unit once."""
    text = format_value(member, lang, base)
    unit = base.vocabulary.units.get(member.unit or "")
    name = unit.name.get(lang) if unit and not unit.percent else ""
    return text[: -len(name) - 1] if name and text.endswith(f" {name}") else text


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def bars(chart: Chart) -> list[str]:
    """Horizontal bars, one line each: label, bar, value; aligned in a monospace font.

    Eighth blocks give the bar its fine length; the value is written after every bar, so
    the chart reads the same without colour (or without the bars)."""
    top = max((b.value for b in chart.bars), default=0.0)
    labels = [_clip(b.label, LABEL_CHARS) for b in chart.bars]
    width = max((len(label) for label in labels), default=0)
    lines = []
    for bar, label in zip(chart.bars, labels, strict=True):
        eighths = round(bar.value / top * BAR_WIDTH * 8) if top > 0 else 0
        full, rest = divmod(eighths, 8)
        drawn = "█" * full + (" ▏▎▍▌▋▊▉"[rest] if rest else "")
        if not drawn and bar.value > 0:
            drawn = "▏"
        lines.append(f"{label.ljust(width)} │{drawn.ljust(BAR_WIDTH + 1)} {bar.text}")
    return lines


# ---------------------------------------------------------------- PNG

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png(chart: Chart) -> bytes:
    """The chart as a PNG: title, axis labels and values in the chart's language, the
    source line and the note under it. Imports matplotlib (Agg) on first use."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    names = [_clip(b.label, 60) for b in chart.bars]
    values = [b.value for b in chart.bars]
    height = 1.8 + 0.42 * len(names) + (0.35 if chart.note else 0)
    fig = Figure(figsize=(8.5, height), dpi=100)
    ax = fig.add_subplot()
    positions = list(range(len(names)))[::-1]  # the first member on top
    ax.barh(positions, values, color="#7451eb", height=0.6)
    ax.set_yticks(positions, names, fontsize=9)
    fig.suptitle(_wrap(chart.title, 90), x=0.01, ha="left", fontsize=11, fontweight="bold")
    axis = AXIS.get(chart.lang, AXIS["en"])
    ax.set_ylabel(axis[chart.kind], fontsize=9)
    unit = axis["percent"] if chart.percent else f"{axis['count']} ({chart.unit_name})"
    ax.set_xlabel(unit, fontsize=9)
    ax.xaxis.set_major_formatter(
        FuncFormatter(lambda x, _pos: format_axis_number(x, chart.lang, chart.percent))
    )
    top = max(values, default=0.0) or 1.0
    ax.set_xlim(0, top * 1.18)
    for pos, bar in zip(positions, chart.bars, strict=True):
        ax.text(bar.value + top * 0.01, pos, bar.short, va="center", fontsize=9)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    footer = _wrap(chart.source if not chart.note else f"{chart.note}\n{chart.source}", 120)
    fig.text(0.01, 0.01, footer, fontsize=7.5, color="#444444", va="bottom")
    lines = footer.count("\n") + 1
    fig.tight_layout(rect=(0, min(0.5, (0.08 + 0.14 * lines) / height), 1, 1))
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


def format_axis_number(value: float, lang: str, percent: bool) -> str:
    """An axis tick in the chart's language: 4,373 / 4 373, 9% / 9 %."""
    from babel.numbers import format_decimal, format_percent

    number = Decimal(str(round(value, 1)))
    if number == number.to_integral_value():
        number = number.quantize(Decimal(1))
    locale = LOCALES.get(lang, LOCALES["en"])
    if percent:
        return format_percent(number / 100, locale=locale, decimal_quantization=False)
    return format_decimal(number, locale=locale, decimal_quantization=False)


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.fill(line, width) for line in text.splitlines())


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's header; ValueError if it isn't one."""
    if len(data) < 24 or not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise ValueError("not a PNG image")
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


class ChartCache:
    """Each chart's PNG, drawn once per entry and language and kept while the app runs."""

    def __init__(self, base: FactBase) -> None:
        self.base = base
        self._images: dict[tuple[str, str], bytes] = {}
        self._lock = threading.Lock()
        self._drawing = threading.Lock()

    def image(self, entry: Entry, lang: str) -> bytes:
        key = (entry.id, lang)
        with self._lock:
            cached = self._images.get(key)
        if cached is not None:
            return cached
        with self._drawing:  # matplotlib is not thread-safe: one drawing at a time
            cached = self._images.get(key)
            if cached is None:
                cached = png(chart_data(entry, lang, self.base))
        with self._lock:
            return self._images.setdefault(key, cached)

    def __len__(self) -> int:
        return len(self._images)
