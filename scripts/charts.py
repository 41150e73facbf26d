#!/usr/bin/env python3
"""Draw the README's two example charts (one English, one French) from the real fact base.

Usage (from the project root, with the project installed):
    python scripts/charts.py [--out docs] [--all]

Writes docs/chart-en.png and docs/chart-fr.png exactly as the Slack app uploads them;
`--all` also writes every series and breakdown in both languages, to look them over.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot import charts, knowledge  # noqa: E402
from bot.knowledge import CHART_KINDS, LANGS  # noqa: E402

EXAMPLES = {"en": "women_free_users_series", "fr": "job_seekers_sp_qualification"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--all", action="store_true", help="every chart, in both languages")
    args = parser.parse_args(argv)
    base = knowledge.load()
    cache = charts.ChartCache(base)
    args.out.mkdir(parents=True, exist_ok=True)
    wanted = [
        (f"chart-{lang}.png", base.get(entry_id), lang) for lang, entry_id in EXAMPLES.items()
    ]
    if args.all:
        wanted += [
            (f"{entry.id}-{lang}.png", entry, lang)
            for entry in base
            if entry.kind in CHART_KINDS
            for lang in LANGS
        ]
    for name, entry, lang in wanted:
        path = args.out / name
        path.write_bytes(cache.image(entry, lang))
        width, height = charts.png_size(path.read_bytes())
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {width}x{height}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
