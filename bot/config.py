"""Configuration: every environment variable the bot reads, read here and nowhere else.

`settings()` holds what the CLI and the Slack app share (fact base folder, default
language). `slack_settings()` adds what `mission-bot serve` needs to talk to Slack,
reading a `.env` file when one is present (the real environment wins over the file).
Every problem raises `ConfigError` naming the variable; secrets are never echoed back.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values

from bot.knowledge import DEFAULT_DIR, LANGS

WITHOUT_SLACK = 'To use the bot without Slack, run `mission-bot ask "your question"`.'
MODES = ("auto", "socket", "http")
DEFAULT_PORT = 3000
DEFAULT_HOST = "0.0.0.0"  # every interface, as a platform's router expects


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


@dataclass(frozen=True)
class SlackSettings:
    """What the Slack app needs; the secrets stay out of `repr` and so out of logs."""

    bot_token: str = field(repr=False)
    signing_secret: str = field(repr=False)
    app_token: str | None = field(default=None, repr=False)
    api_url: str | None = None
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    default_lang: str = "en"
    knowledge_dir: Path = DEFAULT_DIR

    @property
    def socket_mode(self) -> bool:
        """Socket Mode when an app-level token is configured, HTTP otherwise."""
        return self.app_token is not None


_BOT_TOKEN = re.compile(r"xoxb-[A-Za-z0-9-]+")
_APP_TOKEN = re.compile(r"xapp-[A-Za-z0-9-]+")
_SIGNING_SECRET = re.compile(r"[0-9a-fA-F]{20,}")


def _problem(name: str, what: str) -> ConfigError:
    return ConfigError(f"{name} {what}. {WITHOUT_SLACK}")


def _environment(env: Mapping[str, str] | None, env_file: Path | str | None) -> dict[str, str]:
    """The process environment over the `.env` file's values (when the file exists)."""
    merged: dict[str, str] = {}
    if env_file is not None and Path(env_file).is_file():
        merged.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    merged.update(os.environ if env is None else env)
    return merged


def _token(env: Mapping[str, str], name: str, pattern: re.Pattern[str], hint: str) -> str | None:
    value = env.get(name, "").strip()
    if not value:
        return None
    if not pattern.fullmatch(value):
        raise _problem(name, f"is malformed: {hint}")
    return value


def _api_url(env: Mapping[str, str]) -> str | None:
    value = env.get("SLACK_API_URL", "").strip()
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise _problem(
            "SLACK_API_URL", "must be an http(s) base URL such as https://slack.com/api/"
        )
    return value if value.endswith("/") else value + "/"


_HOST = re.compile(r"[A-Za-z0-9._:-]{1,253}")


def _host(env: Mapping[str, str]) -> str:
    value = env.get("HOST", "").strip()
    if not value:
        return DEFAULT_HOST
    if not _HOST.fullmatch(value):
        raise _problem(
            "HOST", f"must be an IP address or host name such as 127.0.0.1, not {value[:40]!r}"
        )
    return value


def _port(env: Mapping[str, str]) -> int:
    value = env.get("PORT", "").strip()
    if not value:
        return DEFAULT_PORT
    if not value.isdigit() or not 0 <= int(value) < 65536:
        raise _problem(
            "PORT", f"must be a TCP port number (1-65535, 0 for any free one), not {value[:20]!r}"
        )
    return int(value)


def slack_settings(
    env: Mapping[str, str] | None = None,
    env_file: Path | str | None = ".env",
    mode: str = "auto",
) -> SlackSettings:
    """Validated Slack settings.

    `mode` is "auto" (Socket Mode when SLACK_APP_TOKEN is set, else HTTP), "socket" or "http".
    """
    if mode not in MODES:
        raise ConfigError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    values = _environment(env, env_file)
    try:
        base = settings(values)
    except ConfigError as exc:
        raise ConfigError(f"{exc}. {WITHOUT_SLACK}") from None
    bot_token = _token(values, "SLACK_BOT_TOKEN", _BOT_TOKEN, "a bot token starts with 'xoxb-'")
    if bot_token is None:
        raise _problem(
            "SLACK_BOT_TOKEN",
            "is not set: give the Bot User OAuth Token (xoxb-...) of your Slack app, "
            "in the environment or a .env file",
        )
    app_token = _token(
        values, "SLACK_APP_TOKEN", _APP_TOKEN, "an app-level token starts with 'xapp-'"
    )
    if mode == "http":
        app_token = None
    elif mode == "socket" and app_token is None:
        raise _problem(
            "SLACK_APP_TOKEN", "is not set: Socket Mode needs an app-level token (xapp-...)"
        )
    secret = _token(
        values,
        "SLACK_SIGNING_SECRET",
        _SIGNING_SECRET,
        "the Signing Secret is a string of hex digits",
    )
    if secret is None and app_token is None:
        raise _problem(
            "SLACK_SIGNING_SECRET",
            "is not set: HTTP mode needs the Signing Secret of your Slack app "
            "(Basic Information page)",
        )
    return SlackSettings(
        bot_token=bot_token,
        # Socket Mode requests are not signed; an empty secret then refuses every HTTP request.
        signing_secret=secret or "",
        app_token=app_token,
        api_url=_api_url(values),
        host=_host(values),
        port=_port(values),
        default_lang=base.default_lang,
        knowledge_dir=base.knowledge_dir,
    )
