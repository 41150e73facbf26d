"""The store (bot/store.py) on both backends: every test taking `store_config` runs once on
SQLite and once on a real PostgreSQL started for the session (see conftest.py).
"""

from __future__ import annotations

import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bot.config import StoreSettings
from bot.store import (
    DAY_SECONDS,
    MAX_COMMENT_CHARS,
    MAX_QUESTION_CHARS,
    SCHEMA_VERSION,
    Question,
    Store,
    StoreError,
    open_store,
)

USER = "U0SECRETUSER"


def raw_sql(config: StoreSettings, sql: str) -> list[tuple]:
    """Run one statement on the store's database directly, as an outsider would."""
    if config.database_url:
        import psycopg

        with psycopg.connect(config.database_url, autocommit=True) as conn:
            cursor = conn.execute(sql)
            return cursor.fetchall() if cursor.description else []
    with sqlite3.connect(config.db_path) as conn:
        return conn.execute(sql).fetchall()


def question(text: str = "how many QPV students?", **fields) -> Question:
    values = {"surface": "command", "lang": "en", "status": "answer", "question": text}
    return Question(**{**values, **fields})


# ---------------------------------------------------------------- schema and records


def test_the_schema_is_created_once_and_the_records_stay(store_config):
    with open_store(store_config) as store:
        qid = store.log_question(question(user=USER, band="sure", fact="qpv_students"))
        first_hash = store.user_hash(USER)
    with open_store(store_config) as store:
        [record] = store.records()
        assert record.id == qid and record.fact == "qpv_students"
        assert store.user_hash(USER) == record.user_hash == first_hash  # one salt, kept
    [(version,)] = raw_sql(store_config, "SELECT value FROM meta WHERE key = 'schema_version'")
    assert int(version) == SCHEMA_VERSION


def test_what_is_recorded_about_a_question(store_config):
    long_question = "combien d'étudiants en QPV ? " + "x" * 2000
    sent = question(
        long_question,
        surface="mention",
        lang="fr",
        status="answer",
        band="plausible",
        fact="qpv_students",
        alternatives=("qpv_share", "category_qpv"),
        latency_ms=12.5,
        user=USER,
    )
    with open_store(store_config) as store:
        before = int(time.time())
        store.log_question(sent)
        [record] = store.records()
    assert before <= record.asked_at <= time.time() + 1
    assert (record.surface, record.lang, record.status, record.band) == (
        "mention",
        "fr",
        "answer",
        "plausible",
    )
    assert record.fact == "qpv_students"
    assert record.alternatives == ("qpv_share", "category_qpv")
    assert record.latency_ms == pytest.approx(12.5)
    assert record.question == long_question[:MAX_QUESTION_CHARS]
    assert record.user_hash and USER not in record.user_hash
    # the user id is nowhere in the store, only its salted hash
    rows = raw_sql(store_config, "SELECT * FROM questions")
    assert USER not in repr(rows)


def test_the_user_id_is_not_in_the_sqlite_files(tmp_path):
    config = StoreSettings(db_path=tmp_path / "mission.db")
    with open_store(config) as store:
        store.log_question(question(user=USER))
        store.vote(store.records()[0].id, USER, "down")
    for path in tmp_path.iterdir():
        assert USER.encode() not in path.read_bytes(), path.name


def test_each_store_has_its_own_salt(store_config, tmp_path):
    with (
        open_store(store_config) as store,
        open_store(StoreSettings(db_path=tmp_path / "other.db")) as other,
    ):
        assert store.user_hash(USER) != other.user_hash(USER)
        assert store.user_hash(USER) == store.user_hash(USER)
        assert store.user_hash(None) is None and store.user_hash("") is None


def test_processes_opening_a_new_store_at_once_agree(store_config):
    hashes: list[str | None] = []
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            with open_store(store_config) as store:
                hashes.append(store.user_hash(USER))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors and len(hashes) == 4 and len(set(hashes)) == 1


def test_a_newer_schema_is_refused_with_a_clear_message(store_config):
    open_store(store_config).close()
    raw_sql(store_config, "UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="newer than this bot's"):
        open_store(store_config)


def test_records_and_most_asked_within_a_period(store_config):
    now = time.time()
    with open_store(store_config) as store:
        for days, fact in ((40, "qpv_students"), (10, "refugees"), (5, "refugees"), (1, "qpv")):
            store.log_question(question(fact=fact, asked_at=now - days * DAY_SECONDS))
        store.log_question(question(status="unknown", asked_at=now - DAY_SECONDS / 2))
        recent = store.records(since=now - 30 * DAY_SECONDS)
        assert [r.fact for r in recent] == ["refugees", "refugees", "qpv", None]
        assert store.most_asked(now - 30 * DAY_SECONDS) == [("refugees", 2), ("qpv", 1)]
        assert store.most_asked(now - 60 * DAY_SECONDS, limit=1) == [("refugees", 2)]


# ---------------------------------------------------------------- feedback


def test_one_vote_per_user_and_answer(store_config):
    with open_store(store_config) as store:
        qid = store.log_question(question(user=USER))
        assert store.vote(qid, USER, "up") == "new"
        assert store.vote(qid, USER, "up") == "same"  # pressed twice: counted once
        assert store.vote(qid, USER, "down") == "changed"  # a change of mind replaces it
        assert store.vote(qid, "U0SOMEONEELSE", "up") == "new"  # another reader's own vote
        assert store.vote("no-such-question", USER, "up") == "unknown"
        assert store.comment(qid, USER, "  the share, not the count " + "y" * 2000)
        assert not store.comment(qid, "U0NOVOTE", "never voted")
        [record] = store.records()
    votes = {v.vote: v for v in record.votes}
    assert set(votes) == {"up", "down"} and len(record.votes) == 2
    assert votes["down"].comment is not None
    assert votes["down"].comment.startswith("the share, not the count")
    assert len(votes["down"].comment) == MAX_COMMENT_CHARS
    assert votes["down"].user_hash == store.user_hash(USER)


def test_a_vote_from_the_command_line_has_no_user(store_config):
    with open_store(store_config) as store:
        qid = store.log_question(question(surface="cli"))
        assert store.vote(qid, None, "down") == "new"
        assert store.comment(qid, None, "the 2019 figure")
        [record] = store.records()
    assert [(v.vote, v.comment) for v in record.votes] == [("down", "the 2019 figure")]


# ---------------------------------------------------------------- retention


def test_old_questions_and_their_feedback_are_deleted(store_config):
    config = StoreSettings(store_config.db_path, store_config.database_url, retention_days=90)
    now = time.time()
    with open_store(config) as store:
        old = store.log_question(question("old", asked_at=now - 91 * DAY_SECONDS))
        kept = store.log_question(question("kept", asked_at=now - 89 * DAY_SECONDS))
        store.vote(old, USER, "down")
        store.comment(old, USER, "something")
        store.vote(kept, USER, "up")
        assert store.purge(now) == 1
        assert [r.id for r in store.records()] == [kept]
        # the next day, the other one goes too, and its vote with it
        assert store.purge(now + 2 * DAY_SECONDS) == 1
    assert raw_sql(store_config, "SELECT COUNT(*) FROM feedback") == [(0,)]


def test_retention_is_enforced_when_the_store_opens(store_config):
    config = StoreSettings(store_config.db_path, store_config.database_url, retention_days=7)
    with open_store(config) as store:
        store.log_question(question("stale", asked_at=time.time() - 8 * DAY_SECONDS))
        store.log_question(question("fresh"))
    with open_store(config) as store:
        assert [r.question for r in store.records()] == ["fresh"]


# ---------------------------------------------------------------- the event ledger


def test_an_event_is_first_delivered_once_across_processes(store_config):
    stores = [open_store(store_config) for _ in range(3)]
    results: dict[str, list[bool]] = {f"Ev{i}": [] for i in range(30)}
    lock = threading.Lock()

    def deliver(store: Store) -> None:
        for event_id in results:
            first = store.first_delivery(event_id)
            with lock:
                results[event_id].append(first)

    threads = [threading.Thread(target=deliver, args=(s,)) for s in stores for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    try:
        assert all(sorted(r) == [False] * 5 + [True] for r in results.values())
        # the ids are forgotten after a couple of days: Slack retries within minutes
        stores[0].purge(time.time() + 3 * DAY_SECONDS)
        assert stores[1].first_delivery("Ev0")
    finally:
        for store in stores:
            store.close()


# ---------------------------------------------------------------- failures

WRITER = """
import sys
from pathlib import Path
from bot.config import StoreSettings
from bot.store import Question, open_store

store = open_store(StoreSettings(Path(sys.argv[1]), sys.argv[2] or None))
n = 0
while True:
    text = f"question {n} " + "x" * 990
    qid = store.log_question(Question("cli", "en", "answer", text, band="sure", fact="f"))
    print(qid, flush=True)
    n += 1
"""


def test_a_writer_killed_mid_write_loses_at_most_its_record_in_flight(store_config):
    committed: list[str] = []
    for round_ in range(3):
        writer = subprocess.Popen(
            [
                sys.executable,
                "-c",
                WRITER,
                str(store_config.db_path),
                store_config.database_url or "",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert writer.stdout is not None
        for _ in range(150 + 37 * round_):  # let it write for a while, then kill it
            line = writer.stdout.readline()
            assert line, writer.stderr.read() if writer.stderr else "writer died"
            committed.append(line.strip())
        writer.send_signal(signal.SIGKILL)
        committed += [line.strip() for line in writer.stdout.read().splitlines() if line]
        writer.wait(30)
        assert writer.returncode == -signal.SIGKILL
    with open_store(store_config, check=True) as store:  # reopens, checks the whole file
        ids = {r.id for r in store.records()}
        assert set(committed) <= ids  # every write reported done is there
        assert len(ids) <= len(committed) + 3  # at most one in flight per kill
        store.log_question(question("after the crash"))
        assert len(store.records()) == len(ids) + 1
    if not store_config.database_url:
        assert raw_sql(store_config, "PRAGMA integrity_check") == [("ok",)]


def test_a_file_that_is_not_a_database_is_refused_naming_it(tmp_path):
    path = tmp_path / "mission.db"
    path.write_bytes(b"this is not a SQLite database, only text " * 200)
    with pytest.raises(StoreError) as error:
        open_store(StoreSettings(db_path=path))
    assert str(path) in str(error.value) and "MISSION_DB" in str(error.value)


def test_a_damaged_database_fails_the_check(tmp_path):
    path = tmp_path / "mission.db"
    with open_store(StoreSettings(db_path=path)) as store:
        for i in range(300):
            store.log_question(question(f"question {i} " + "z" * 900))
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 8192] = b"\xff" * 8192  # scribble over pages
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="mission.db"):
        open_store(StoreSettings(db_path=path), check=True)


def test_an_unreachable_postgresql_is_refused_without_its_password():
    pytest.importorskip("psycopg")
    with socket.socket() as closed:  # bound, never listening: connections are refused
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        url = f"postgresql://mission:s3cretpassw0rd@127.0.0.1:{port}/missiondb"
        with pytest.raises(StoreError) as error:
            open_store(StoreSettings(db_path=Path("unused"), database_url=url))
    message = str(error.value)
    assert f"127.0.0.1:{port}/missiondb" in message and "DATABASE_URL" in message
    assert "s3cretpassw0rd" not in message


def test_a_lost_postgresql_connection_costs_at_most_one_write(postgres):
    import psycopg

    url = postgres.create_database("reconnect")
    with open_store(StoreSettings(db_path=Path("unused"), database_url=url)) as store:
        store.log_question(question("before"))
        with psycopg.connect(url, autocommit=True) as admin:  # the server drops the bot
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = 'reconnect' AND pid <> pg_backend_pid()"
            )
        failures = 0
        for text in ("after 1", "after 2", "after 3"):
            try:
                store.log_question(question(text))
            except StoreError:
                failures += 1
        assert failures <= 1
        assert len(store.records()) == 4 - failures


async def test_a_slow_shared_ledger_lets_the_process_memory_decide(tmp_path, monkeypatch):
    """The acknowledgement waits for the ledger: a store too slow to answer in time is
    overruled by this process's memory, and the event is still answered once here."""
    from bot import slack_events

    store = open_store(StoreSettings(db_path=tmp_path / "mission.db"))
    try:
        ledger = slack_events.StoreLedger(store)
        monkeypatch.setattr(slack_events, "LEDGER_SECONDS", 0.05)
        real = store.first_delivery
        monkeypatch.setattr(store, "first_delivery", lambda e: time.sleep(0.3) or real(e))
        started = time.perf_counter()
        assert await ledger.first_time("EvSlow") is True
        assert time.perf_counter() - started < 0.25
        assert await ledger.first_time("EvSlow") is False
    finally:
        time.sleep(0.7)  # let the slow writes finish before the store closes
        store.close()
