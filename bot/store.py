"""The bot's memory: the question log, the feedback on answers, the Slack events handled.

One interface, `Store`, over two backends: SQLite (the standard library's `sqlite3`, in
WAL mode; the default, a file at MISSION_DB) and PostgreSQL (psycopg 3, an optional
extra; used when DATABASE_URL is set). Several processes may share one store: every
write is one transaction, and the handled-event ledger is a primary key, so a second
insert of an event id fails and tells that another process (or this one) has it.

`open_store` creates or migrates the schema, then deletes what is older than the
retention period. A store it cannot open or read raises `StoreError` with a message
naming where it looked (never a password). People appear only as a salted hash of
their Slack user id; the salt is generated once, inside the store, and never leaves it.
Each method is thread-safe (one connection, one lock), so async callers run it in a
worker thread.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import importlib.util
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.config import StoreSettings

SCHEMA_VERSION = 1
MAX_QUESTION_CHARS = 1000
MAX_COMMENT_CHARS = 1000
EVENT_DAYS = 2  # Slack retries an event within minutes; its id is kept a little longer
DAY_SECONDS = 86_400
SURFACES = ("command", "mention", "dm", "cli")
STATUSES = ("answer", "unknown", "help")
VOTES = ("up", "down")
CONNECT_TIMEOUT_SECONDS = 5
STATEMENT_TIMEOUT_MS = 30_000
PAGE_BYTES = 1024
WAL_CHECKPOINT_PAGES = 8_000  # 8 MB of log between two checkpoints
BUSY_TIMEOUT_MS = 10_000  # how long a SQLite writer waits for another process's write
ADVISORY_LOCK = 0x6D697373  # PostgreSQL: one migration at a time ("miss")

# Each version's statements, run once, in order, in one transaction. The SQL is common to
# both backends (BIGINT and DOUBLE PRECISION have the right affinity in SQLite).
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        """CREATE TABLE questions (
            id TEXT PRIMARY KEY,
            asked_at DOUBLE PRECISION NOT NULL,
            surface TEXT NOT NULL,
            lang TEXT NOT NULL,
            status TEXT NOT NULL,
            band TEXT,
            fact TEXT,
            alternatives TEXT NOT NULL,
            latency_ms DOUBLE PRECISION NOT NULL,
            question TEXT NOT NULL,
            user_hash TEXT
        )""",
        "CREATE INDEX questions_asked_at ON questions (asked_at)",
        """CREATE TABLE feedback (
            question_id TEXT NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
            user_hash TEXT NOT NULL,
            vote TEXT NOT NULL,
            comment TEXT,
            voted_at BIGINT NOT NULL,
            PRIMARY KEY (question_id, user_hash)
        )""",
        """CREATE TABLE events (
            event_id TEXT PRIMARY KEY,
            seen_at BIGINT NOT NULL
        )""",
        "CREATE INDEX events_seen_at ON events (seen_at)",
    ),
}


class StoreError(Exception):
    """The store cannot be opened, read or written; the message says where and why."""


def new_question_id() -> str:
    """A question's id: random, so a process can name it before the row is written."""
    return secrets.token_hex(8)


@dataclass(frozen=True)
class Question:
    """What is recorded about one question. `user` is Slack's id; the store hashes it."""

    surface: str
    lang: str
    status: str
    question: str
    band: str | None = None
    fact: str | None = None
    alternatives: tuple[str, ...] = ()
    latency_ms: float = 0.0
    user: str | None = None
    id: str = field(default_factory=new_question_id)
    asked_at: float | None = None  # now, unless given

    def __post_init__(self) -> None:
        if self.surface not in SURFACES:
            raise ValueError(f"surface must be one of {SURFACES}, not {self.surface!r}")
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, not {self.status!r}")


@dataclass(frozen=True)
class Vote:
    user_hash: str
    vote: str
    comment: str | None


@dataclass(frozen=True)
class Record:
    """One logged question as read back, with the votes given on its answer."""

    id: str
    asked_at: float  # Unix time
    surface: str
    lang: str
    status: str
    band: str | None
    fact: str | None
    alternatives: tuple[str, ...]
    latency_ms: float
    question: str
    user_hash: str | None
    votes: tuple[Vote, ...] = ()


# ---------------------------------------------------------------- backends

Run = Callable[[str, Sequence[Any]], Any]  # runs one statement, returns its cursor


class _Backend:
    """A connection and how to run a transaction on it; the SQL itself is shared."""

    where: str  # for messages: the file, or the server and database
    errors: tuple[type[BaseException], ...]  # what its driver raises

    def transaction(self) -> contextlib.AbstractContextManager[Run]:
        raise NotImplementedError

    def execute(self, sql: str, params: Sequence[Any]) -> int:
        """Run one statement, atomic on its own; returns the rows it changed."""
        raise NotImplementedError

    def migrating(self) -> contextlib.AbstractContextManager[Run]:
        """A transaction that no other process migrates at the same time."""
        raise NotImplementedError

    def check(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class _SQLite(_Backend):
    def __init__(self, path: Path) -> None:
        self.where = f"the SQLite file {path} (MISSION_DB)"
        self.errors = (sqlite3.Error,)
        self.path = path
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # autocommit (isolation_level None): each transaction is an explicit BEGIN
            self._conn = sqlite3.connect(
                path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
            )
            self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            # a new file only: rows are small, and each commit writes whole pages to the log
            self._conn.execute(f"PRAGMA page_size = {PAGE_BYTES}")
            mode = self._switch_to_wal()
            if str(mode).lower() != "wal":
                raise sqlite3.DatabaseError(f"the file cannot use WAL mode ({mode})")
            # in WAL, NORMAL loses no committed write when a process dies, only on power loss
            self._conn.execute("PRAGMA synchronous = NORMAL")
            # copy the log into the file (and wait for the disk) less often than by default
            self._conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")
            self._conn.execute("PRAGMA foreign_keys = ON")
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"Cannot open {self.where}: {exc}") from None

    def _switch_to_wal(self) -> str:
        """Turn on WAL mode, waiting as a writer would: processes opening a new file at the
        same moment may find it locked, and SQLite doesn't wait on its own for this one."""
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                return str(self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Run]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")  # the write lock first: no upgrade deadlock
            try:
                yield self._conn.execute
                self._conn.execute("COMMIT")
            finally:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")

    def execute(self, sql: str, params: Sequence[Any]) -> int:
        with self._lock:  # autocommit: the statement is its own transaction
            return int(self._conn.execute(sql, params).rowcount)

    def migrating(self) -> contextlib.AbstractContextManager[Run]:
        return self.transaction()  # BEGIN IMMEDIATE already excludes other writers

    def check(self) -> None:
        with self._lock:
            result = self._conn.execute("PRAGMA quick_check").fetchone()[0]
        if result != "ok":
            raise sqlite3.DatabaseError(f"integrity check failed: {result}")

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def describe_url(url: str) -> str:
    """A PostgreSQL URL without its password, for messages."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # not a number: libpq will say so
        port = ""
    return f"PostgreSQL at {host}{port}{parts.path or '/'} (DATABASE_URL)"


class _Postgres(_Backend):
    def __init__(self, url: str) -> None:
        self.where = describe_url(url)
        if importlib.util.find_spec("psycopg") is None:
            raise StoreError(
                "DATABASE_URL is set but psycopg is not installed: "
                "pip install 'mission-bot[postgres]' (or '.[postgres]' from a checkout)"
            )
        import psycopg  # only now: it takes a while to import

        self._psycopg = psycopg
        self.errors = (psycopg.Error,)
        self._url = url
        self._lock = threading.Lock()
        self._conn = self._connect()

    def _connect(self) -> Any:
        try:
            conn = self._psycopg.connect(
                self._url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS
            )
            # a server that stops answering fails a call instead of holding it forever
            conn.execute(f"SET statement_timeout = {STATEMENT_TIMEOUT_MS}")
            return conn
        except self._psycopg.Error as exc:
            raise StoreError(f"Cannot connect to {self.where}: {_first_line(exc)}") from None

    @contextlib.contextmanager
    def _transaction(self, lock_key: int | None) -> Iterator[Run]:
        with self._lock:
            if self._conn.closed or self._conn.broken:
                self._conn = self._connect()  # the server restarted, or the network dropped
            with self._conn.transaction(), self._conn.cursor() as cursor:
                if lock_key is not None:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key,))

                def run(sql: str, params: Sequence[Any] = ()) -> Any:
                    cursor.execute(sql.replace("?", "%s"), tuple(params))
                    return cursor

                yield run

    def transaction(self) -> contextlib.AbstractContextManager[Run]:
        return self._transaction(None)

    def execute(self, sql: str, params: Sequence[Any]) -> int:
        with self._lock:  # autocommit: the statement is its own transaction
            if self._conn.closed or self._conn.broken:
                self._conn = self._connect()
            with self._conn.cursor() as cursor:
                cursor.execute(sql.replace("?", "%s"), tuple(params))
                return int(cursor.rowcount)

    def migrating(self) -> contextlib.AbstractContextManager[Run]:
        return self._transaction(ADVISORY_LOCK)

    def check(self) -> None:
        with self.transaction() as run:
            run("SELECT 1", ())

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


# ---------------------------------------------------------------- the store


class Store:
    """The question log, feedback and event ledger over one backend."""

    def __init__(self, backend: _Backend, retention_days: int) -> None:
        self._backend = backend
        self.retention_days = retention_days
        self._errors = backend.errors
        self.where = backend.where
        self._salt = self._guarded(self._migrate)

    # ------------------------------------------------------------ plumbing

    def _guarded(self, work: Callable[[], Any]) -> Any:
        """Run `work`; a database error becomes a `StoreError` saying where."""
        try:
            return work()
        except self._errors as exc:
            raise StoreError(f"{self.where}: {_first_line(exc)}") from None

    def _migrate(self) -> bytes:
        with self._backend.migrating() as run:
            run("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)", ())
            row = run("SELECT value FROM meta WHERE key = 'schema_version'", ()).fetchone()
            version = int(row[0]) if row else 0
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.where} has schema version {version}, newer than this bot's "
                    f"({SCHEMA_VERSION}): upgrade mission-bot, or point it at another store"
                )
            for number in range(version + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[number]:
                    run(statement, ())
            if version == 0:
                run("INSERT INTO meta (key, value) VALUES ('salt', ?)", (secrets.token_hex(32),))
                run("INSERT INTO meta (key, value) VALUES ('schema_version', ?)", ("0",))
            if version < SCHEMA_VERSION:
                run(
                    "UPDATE meta SET value = ? WHERE key = 'schema_version'",
                    (str(SCHEMA_VERSION),),
                )
            salt = run("SELECT value FROM meta WHERE key = 'salt'", ()).fetchone()
        if salt is None:
            raise StoreError(f"{self.where} has lost its salt: the user hashes cannot be kept")
        return bytes.fromhex(salt[0])

    def user_hash(self, user: str | None) -> str | None:
        """The salted hash that stands for a user; None for no user."""
        if not user:
            return None
        return hmac.new(self._salt, user.encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    def check(self) -> None:
        """Read the whole store once (SQLite's quick check); StoreError if it is damaged."""
        self._guarded(self._backend.check)

    def close(self) -> None:
        with contextlib.suppress(*self._errors):
            self._backend.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ writes

    def log_question(self, question: Question) -> str:
        """Record one question; returns its id (the one the feedback buttons carry)."""
        asked_at = time.time() if question.asked_at is None else float(question.asked_at)
        row = (
            question.id,
            asked_at,
            question.surface,
            question.lang,
            question.status,
            question.band,
            question.fact,
            " ".join(question.alternatives),
            round(float(question.latency_ms), 3),
            question.question[:MAX_QUESTION_CHARS],
            self.user_hash(question.user),
        )

        self._guarded(
            lambda: self._backend.execute(
                "INSERT INTO questions (id, asked_at, surface, lang, status, band, fact, "
                "alternatives, latency_ms, question, user_hash) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
        )
        return question.id

    def vote(self, question_id: str, user: str | None, vote: str) -> str:
        """Record a 👍 ("up") or 👎 ("down") on an answer, one per user and answer.

        Returns "new", "same" (that user already gave this vote), "changed" (they change
        their mind: the new vote replaces the old) or "unknown" (no such question: not
        logged, or deleted since).
        """
        if vote not in VOTES:
            raise ValueError(f"vote must be one of {VOTES}, not {vote!r}")
        who = self.user_hash(user) or ""

        def write() -> str:
            with self._backend.transaction() as run:
                if run("SELECT 1 FROM questions WHERE id = ?", (question_id,)).fetchone() is None:
                    return "unknown"
                row = run(
                    "SELECT vote FROM feedback WHERE question_id = ? AND user_hash = ?",
                    (question_id, who),
                ).fetchone()
                if row is not None and row[0] == vote:
                    return "same"
                run(
                    "INSERT INTO feedback (question_id, user_hash, vote, voted_at) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (question_id, user_hash) "
                    "DO UPDATE SET vote = excluded.vote, voted_at = excluded.voted_at",
                    (question_id, who, vote, int(time.time())),
                )
                return "new" if row is None else "changed"

        return str(self._guarded(write))

    def comment(self, question_id: str, user: str | None, text: str) -> bool:
        """Keep what a user was looking for beside their 👎; False without such a vote."""
        who = self.user_hash(user) or ""
        text = text.strip()[:MAX_COMMENT_CHARS]

        changed = self._guarded(
            lambda: self._backend.execute(
                "UPDATE feedback SET comment = ? WHERE question_id = ? AND user_hash = ?",
                (text or None, question_id, who),
            )
        )
        return bool(changed)

    def first_delivery(self, event_id: str) -> bool:
        """Remember a Slack event id; True unless some process already had it."""

        inserted = self._guarded(
            lambda: self._backend.execute(
                "INSERT INTO events (event_id, seen_at) VALUES (?, ?) "
                "ON CONFLICT (event_id) DO NOTHING",
                (event_id, int(time.time())),
            )
        )
        return inserted == 1

    def purge(self, now: float | None = None) -> int:
        """Delete questions (and their feedback) past the retention period, and old
        event ids; returns how many questions went."""
        now = time.time() if now is None else now
        cutoff = now - self.retention_days * DAY_SECONDS

        def write() -> int:
            with self._backend.transaction() as run:
                run(
                    "DELETE FROM feedback WHERE question_id IN "
                    "(SELECT id FROM questions WHERE asked_at < ?)",
                    (cutoff,),
                )
                gone = run("DELETE FROM questions WHERE asked_at < ?", (cutoff,)).rowcount
                run("DELETE FROM events WHERE seen_at < ?", (int(now - EVENT_DAYS * DAY_SECONDS),))
                return int(gone)

        return int(self._guarded(write))

    # ------------------------------------------------------------ reads

    def records(self, since: float = 0, until: float | None = None) -> list[Record]:
        """The questions asked from `since` (Unix time) on, oldest first, with their votes."""
        until = time.time() + DAY_SECONDS if until is None else until
        window = (float(since), float(until))

        def read() -> list[Record]:
            with self._backend.transaction() as run:
                rows = run(
                    "SELECT id, asked_at, surface, lang, status, band, fact, alternatives, "
                    "latency_ms, question, user_hash FROM questions "
                    "WHERE asked_at >= ? AND asked_at <= ? ORDER BY asked_at, id",
                    window,
                ).fetchall()
                votes = run(
                    "SELECT f.question_id, f.user_hash, f.vote, f.comment FROM feedback f "
                    "JOIN questions q ON q.id = f.question_id "
                    "WHERE q.asked_at >= ? AND q.asked_at <= ? ORDER BY f.voted_at",
                    window,
                ).fetchall()
            by_question: dict[str, list[Vote]] = {}
            for question_id, who, vote, comment in votes:
                by_question.setdefault(question_id, []).append(Vote(who, vote, comment))
            return [
                Record(
                    id=r[0],
                    asked_at=float(r[1]),
                    surface=r[2],
                    lang=r[3],
                    status=r[4],
                    band=r[5],
                    fact=r[6],
                    alternatives=tuple(r[7].split()),
                    latency_ms=float(r[8]),
                    question=r[9],
                    user_hash=r[10],
                    votes=tuple(by_question.get(r[0], ())),
                )
                for r in rows
            ]

        return list(self._guarded(read))

    def most_asked(self, since: float, limit: int = 5) -> list[tuple[str, int]]:
        """The entries that answered most often since `since`: (fact id, times), most first."""

        def read() -> list[tuple[str, int]]:
            with self._backend.transaction() as run:
                rows = run(
                    "SELECT fact, COUNT(*) AS n FROM questions "
                    "WHERE asked_at >= ? AND status = 'answer' AND fact IS NOT NULL "
                    "GROUP BY fact ORDER BY n DESC, fact LIMIT ?",
                    (float(since), int(limit)),
                ).fetchall()
            return [(str(fact), int(n)) for fact, n in rows]

        return list(self._guarded(read))


def open_store(config: StoreSettings, *, check: bool = False) -> Store:
    """The store `config` names, its schema up to date and its old records deleted.

    `check` also reads the whole SQLite file once (as `serve` does at start).
    """
    backend: _Backend = (
        _Postgres(config.database_url) if config.database_url else _SQLite(config.db_path)
    )
    try:
        store = Store(backend, config.retention_days)
        if check:
            store.check()
        store.purge()
    except BaseException:
        with contextlib.suppress(Exception):
            backend.close()
        raise
    return store
