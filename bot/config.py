"""Configuration: every environment variable the bot reads, read here and nowhere else.

`VARIABLES` is the one table of them: for each, its name, its default, the parser that
validates it and a line of help. The table drives validation (`read`), the
`.env.example` file (`env_example`) and the README's table of variables
(`readme_table`); `python scripts/settings_docs.py` rewrites both files from it, and a
test fails when they disagree.

`settings()` holds what the CLI and the Slack app share (fact base folder, default
language), `store_settings()` where the question log lives, and `slack_settings()` what
`mission-bot serve` needs to talk to Slack. Each reads a `.env` file when one is present
(the real environment wins over the file). Every problem raises `ConfigError` naming the
variable; secrets are never echoed back.
"""

from __future__ import annotations

import os
import re
import textwrap
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dotenv import dotenv_values

from bot.knowledge import DEFAULT_DIR, LANGS

WITHOUT_SLACK = 'To use the bot without Slack, run `mission-bot ask "your question"`.'
MODES = ("auto", "socket", "http")
DEFAULT_PORT = 3000
DEFAULT_HOST = "0.0.0.0"  # every interface, as a platform's router expects
DEFAULT_RETENTION_DAYS = 90
ENV_FILE = ".env"


class ConfigError(Exception):
    """A variable is missing or malformed; the message names it."""


# ---------------------------------------------------------------- parsers
# Each takes the variable's stripped, non-empty text and returns its value, or raises
# ValueError with what is wrong (words that follow the variable's name, never its value
# when the value is secret).


def _pattern(pattern: str, hint: str) -> Callable[[str], str]:
    compiled = re.compile(pattern)

    def parse(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"is malformed: {hint}")
        return value

    return parse


def _lang(value: str) -> str:
    lang = value.lower()
    if lang not in LANGS:
        raise ValueError(f"must be 'en' or 'fr', not {lang[:20]!r}")
    return lang


def _path(value: str) -> Path:
    return Path(value).expanduser()


def _api_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError("must be an http(s) base URL such as https://slack.com/api/")
    return value if value.endswith("/") else value + "/"


_HOST = re.compile(r"[A-Za-z0-9._:-]{1,253}")


def _host(value: str) -> str:
    if not _HOST.fullmatch(value):
        raise ValueError(
            f"must be an IP address or host name such as 127.0.0.1, not {value[:40]!r}"
        )
    return value


def _port(value: str) -> int:
    if not value.isdigit() or not 0 <= int(value) < 65536:
        raise ValueError(
            f"must be a TCP port number (1-65535, 0 for any free one), not {value[:20]!r}"
        )
    return int(value)


def _database_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("postgres", "postgresql") or not (parts.netloc or parts.query):
        # the value may hold a password: it is not repeated
        raise ValueError(
            "must be a PostgreSQL URL such as postgresql://user:password@host:5432/dbname"
        )
    return value


def _days(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 36500:
        raise ValueError(f"must be a whole number of days, 1 or more, not {value[:20]!r}")
    return int(value)


# ---------------------------------------------------------------- the table


@dataclass(frozen=True)
class Variable:
    """One environment variable: how to read it and how to document it."""

    name: str
    parse: Callable[[str], Any]
    help: str
    default: str = ""  # the value used when unset, as text ("" = none)
    default_text: str = ""  # how the README shows a default that is not a plain value
    needed: str = "no"  # when it must be set, for the README
    example: str | None = None  # set (uncommented) in .env.example with this value
    secret: bool = False

    def value(self, env: Mapping[str, str]) -> Any:
        """The parsed value from `env`, the parsed default when unset, None without one."""
        raw = env.get(self.name, "").strip() or self.default
        if not raw:
            return None
        try:
            return self.parse(raw)
        except ValueError as exc:
            raise ConfigError(f"{self.name} {exc}") from None


VARIABLES: tuple[Variable, ...] = (
    Variable(
        "SLACK_BOT_TOKEN",
        _pattern(r"xoxb-[A-Za-z0-9-]+", "a bot token starts with 'xoxb-'"),
        "Bot User OAuth Token of the Slack app, `xoxb-...` (OAuth & Permissions page).",
        needed="`serve`",
        example="xoxb-...",
        secret=True,
    ),
    Variable(
        "SLACK_SIGNING_SECRET",
        _pattern(r"[0-9a-fA-F]{20,}", "the Signing Secret is a string of hex digits"),
        "Signing Secret of the Slack app (Basic Information page); requests not signed "
        "with it get 401.",
        needed="`serve` in HTTP mode",
        example="",
        secret=True,
    ),
    Variable(
        "SLACK_APP_TOKEN",
        _pattern(r"xapp-[A-Za-z0-9-]+", "an app-level token starts with 'xapp-'"),
        "App-level token with `connections:write`, `xapp-...`: set it to run in Socket "
        "Mode, leave it empty to serve HTTP on PORT.",
        needed="Socket Mode",
        example="",
        secret=True,
    ),
    Variable(
        "HOST",
        _host,
        "HTTP mode's listening address: every interface unless set, as platforms "
        "expect; 127.0.0.1 keeps it to this machine.",
        default=DEFAULT_HOST,
    ),
    Variable(
        "PORT",
        _port,
        "HTTP mode's port (platforms set it for you); 0 picks any free port, logged at start.",
        default=str(DEFAULT_PORT),
        example=str(DEFAULT_PORT),
    ),
    Variable(
        "MISSION_DEFAULT_LANG",
        _lang,
        "Reply language when neither the question nor the user's Slack language decides: en or fr.",
        default="en",
        example="en",
    ),
    Variable(
        "MISSION_KNOWLEDGE_DIR",
        _path,
        "Another fact base folder (the same layout as knowledge/); `--knowledge` overrides it.",
        default_text="the fact base shipped with the bot",
    ),
    Variable(
        "SLACK_API_URL",
        _api_url,
        "Another base URL for Slack's Web API (a proxy, or a local stand-in for tests).",
        default_text="https://slack.com/api/",
    ),
    Variable(
        "MISSION_DB",
        _path,
        "The SQLite file of the question log, feedback and handled Slack events "
        "(created when missing); not used when DATABASE_URL is set.",
        default_text="`$XDG_DATA_HOME/mission-bot/mission.db`, else "
        "`~/.local/share/mission-bot/mission.db`",
    ),
    Variable(
        "DATABASE_URL",
        _database_url,
        "A PostgreSQL database for the same (`postgresql://user:password@host:5432/db`, "
        "as Procfile platforms set it): needed for several processes; install with "
        "`pip install '.[postgres]'`.",
        secret=True,
    ),
    Variable(
        "MISSION_RETENTION_DAYS",
        _days,
        "Days a logged question and its feedback are kept; older ones are deleted at "
        "start and daily.",
        default=str(DEFAULT_RETENTION_DAYS),
    ),
)
BY_NAME = {v.name: v for v in VARIABLES}


def read(env: Mapping[str, str], names: Iterable[str] | None = None) -> dict[str, Any]:
    """Every variable (or those `names`) parsed from `env`; the first problem raises."""
    wanted = VARIABLES if names is None else tuple(BY_NAME[n] for n in names)
    return {v.name: v.value(env) for v in wanted}


def environment(
    env: Mapping[str, str] | None = None, env_file: Path | str | None = ENV_FILE
) -> dict[str, str]:
    """The process environment over the `.env` file's values (when the file exists)."""
    merged: dict[str, str] = {}
    if env_file is not None and Path(env_file).is_file():
        merged.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    merged.update(os.environ if env is None else env)
    return merged


# ---------------------------------------------------------------- what the table writes

ENV_EXAMPLE_HEADER = (
    "# Copy to .env (never commit it) or set these in the environment; the environment wins.\n"
    "# Written from bot/config.py by scripts/settings_docs.py: change them there.\n"
)


def env_example() -> str:
    """The text of `.env.example`: every variable, its help, and its default or example."""
    lines = [ENV_EXAMPLE_HEADER.rstrip("\n")]
    for var in VARIABLES:
        help_text = var.help + (f" Default: {var.default_text}." if var.default_text else "")
        lines += textwrap.wrap(
            help_text.replace("`", ""),
            88,
            initial_indent="# ",
            subsequent_indent="# ",
            break_on_hyphens=False,
        )
        if var.example is not None:
            lines.append(f"{var.name}={var.example}")
        else:
            lines.append(f"# {var.name}={var.default}")
    return "\n".join(lines) + "\n"


README_START = "<!-- variables: written from bot/config.py by scripts/settings_docs.py -->"
README_END = "<!-- end of variables -->"


def readme_table() -> str:
    """The README's table of variables, between its two marker comments."""
    rows = [
        README_START,
        "| variable | needed | default | what |",
        "| --- | --- | --- | --- |",
    ]
    for var in VARIABLES:
        default = var.default_text or (f"`{var.default}`" if var.default else "none")
        rows.append(f"| `{var.name}` | {var.needed} | {default} | {var.help} |")
    rows.append(README_END)
    return "\n".join(rows)


# ---------------------------------------------------------------- settings objects


@dataclass(frozen=True)
class Settings:
    knowledge_dir: Path
    default_lang: str


def settings(env: Mapping[str, str] | None = None, env_file: Path | str | None = None) -> Settings:
    """Settings shared by the CLI and the Slack app."""
    values = read(environment(env, env_file), ("MISSION_DEFAULT_LANG", "MISSION_KNOWLEDGE_DIR"))
    return Settings(values["MISSION_KNOWLEDGE_DIR"] or DEFAULT_DIR, values["MISSION_DEFAULT_LANG"])


@dataclass(frozen=True)
class StoreSettings:
    """Where the question log lives: PostgreSQL when `database_url` is set, else SQLite."""

    db_path: Path
    database_url: str | None = field(default=None, repr=False)
    retention_days: int = DEFAULT_RETENTION_DAYS


def default_db_path(env: Mapping[str, str]) -> Path:
    """`$XDG_DATA_HOME/mission-bot/mission.db`, else under `~/.local/share`."""
    data_home = env.get("XDG_DATA_HOME", "").strip()
    base = Path(data_home) if data_home else Path.home() / ".local" / "share"
    return base / "mission-bot" / "mission.db"


def store_settings(
    env: Mapping[str, str] | None = None, env_file: Path | str | None = None
) -> StoreSettings:
    """The question log's settings (MISSION_DB, DATABASE_URL, MISSION_RETENTION_DAYS)."""
    merged = environment(env, env_file)
    values = read(merged, ("MISSION_DB", "DATABASE_URL", "MISSION_RETENTION_DAYS"))
    return StoreSettings(
        db_path=values["MISSION_DB"] or default_db_path(merged),
        database_url=values["DATABASE_URL"],
        retention_days=values["MISSION_RETENTION_DAYS"],
    )


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


def _problem(name: str, what: str) -> ConfigError:
    return ConfigError(f"{name} {what}. {WITHOUT_SLACK}")


SLACK_VARIABLES = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_API_URL",
    "HOST",
    "PORT",
    "MISSION_DEFAULT_LANG",
    "MISSION_KNOWLEDGE_DIR",
)


def slack_settings(
    env: Mapping[str, str] | None = None,
    env_file: Path | str | None = ENV_FILE,
    mode: str = "auto",
) -> SlackSettings:
    """Validated Slack settings.

    `mode` is "auto" (Socket Mode when SLACK_APP_TOKEN is set, else HTTP), "socket" or "http".
    """
    if mode not in MODES:
        raise ConfigError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    try:
        values = read(environment(env, env_file), SLACK_VARIABLES)
    except ConfigError as exc:
        raise ConfigError(f"{exc}. {WITHOUT_SLACK}") from None
    bot_token = values["SLACK_BOT_TOKEN"]
    if bot_token is None:
        raise _problem(
            "SLACK_BOT_TOKEN",
            "is not set: give the Bot User OAuth Token (xoxb-...) of your Slack app, "
            "in the environment or a .env file",
        )
    app_token = values["SLACK_APP_TOKEN"]
    if mode == "http":
        app_token = None
    elif mode == "socket" and app_token is None:
        raise _problem(
            "SLACK_APP_TOKEN", "is not set: Socket Mode needs an app-level token (xapp-...)"
        )
    secret = values["SLACK_SIGNING_SECRET"]
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
        api_url=values["SLACK_API_URL"],
        host=values["HOST"],
        port=values["PORT"],
        default_lang=values["MISSION_DEFAULT_LANG"],
        knowledge_dir=values["MISSION_KNOWLEDGE_DIR"] or DEFAULT_DIR,
    )
