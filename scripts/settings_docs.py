#!/usr/bin/env python3
"""Write `.env.example` and the README's table of variables from bot/config.py's table.

Usage (from the project root): python scripts/settings_docs.py [--check]
With --check, write nothing and exit 1 if either file disagrees with the table
(tests/test_config.py checks the same).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot import config

ROOT = Path(__file__).resolve().parents[1]
ENV_EXAMPLE = ROOT / ".env.example"
README = ROOT / "README.md"


def readme_with_table(readme: str) -> str:
    """The README's text with the table between its markers replaced by the current one."""
    start = readme.index(config.README_START)
    end = readme.index(config.README_END) + len(config.README_END)
    return readme[:start] + config.readme_table() + readme[end:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say whether they agree")
    args = parser.parse_args()
    readme = README.read_text(encoding="utf-8")
    wanted = {ENV_EXAMPLE: config.env_example(), README: readme_with_table(readme)}
    stale = [p for p, text in wanted.items() if p.read_text(encoding="utf-8") != text]
    if args.check:
        for path in stale:
            print(f"{path.name} disagrees with bot/config.py", file=sys.stderr)
        return 1 if stale else 0
    for path in stale:
        path.write_text(wanted[path], encoding="utf-8")
        print(f"wrote {path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
