"""Configuration: every environment variable the bot reads, read here and nowhere else."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.knowledge import DEFAULT_DIR, LANGS


class ConfigError(Exception):
    """A variable is missing or malformed; the message names it."""


@dataclass(frozen=True)
class Settings:
    knowledge_dir: Path
    default_lang: str


def settings(env: Mapping[str, str] | None = None) -> Settings:
    """Settings shared by the CLI and the Slack app."""
    env = os.environ if env is None else env
    lang = env.get("MISSION_DEFAULT_LANG", "en").strip().lower() or "en"
    if lang not in LANGS:
        raise ConfigError(f"MISSION_DEFAULT_LANG must be 'en' or 'fr', not {lang!r}")
    folder = env.get("MISSION_KNOWLEDGE_DIR", "").strip()
    return Settings(Path(folder) if folder else DEFAULT_DIR, lang)
