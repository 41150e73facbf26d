#!/usr/bin/env python3
"""Measure how the bot holds up under hostile and careless input, on loopback only.

Usage (from the project root, with the project installed):
    python scripts/stress.py [--samples 300] [--seconds-per-phase 0]

It runs `mission-bot serve` (HTTP mode) as a separate process, against the local
stand-in for Slack of the tests (tests/slack_stub.py), and measures:

1. acknowledgement latency of `/healthz` and of a normal `/mission` command while
   5 commands of 50,000 characters are always in flight (each one answered, then sent
   again), then the same while 5 mentions of 40,000 characters are;
2. the probes of hostile requests: unsigned and signed junk bodies, a bad timestamp
   header, a forged log line, 20 unsigned posts of 1 MB, and a command replayed 3
   times; it counts 500s, tracebacks, and what reached the log and the user;
3. `mission-bot ask --json` in batch mode on a single 20 MB line: time and peak memory.

Nothing here is asserted: it prints the numbers the README's benchmark section reports.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import random
import re
import resource
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from slack_stub import BOT_USER, TEAM, SlackStub  # noqa: E402

TOKEN = "xoxb-1111-2222-stresstoken"
SECRET = "5e" * 16
LONG_COMMAND = 50_000
LONG_MENTION = 40_000
IN_FLIGHT = 5


def words(n_chars: int, seed: int) -> str:
    """Text of made-up words: the worst case for a matcher that mends unknown words."""
    rng = random.Random(seed)
    out: list[str] = []
    size = 0
    while size < n_chars:
        word = "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(2, 9)))
        out.append(word)
        size += len(word) + 1
    return " ".join(out)[:n_chars]


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    stamp = str(int(time.time()))
    digest = hmac.new(secret.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256)
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest.hexdigest()}"}


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = ordered[len(ordered) // 2] * 1000
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
    return f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {ordered[-1] * 1000:.1f} ms (n={len(ordered)})"


class Client:
    """Sends Slack's requests to the bot and times their acknowledgement."""

    def __init__(self, session: aiohttp.ClientSession, url: str, slack: SlackStub) -> None:
        self.session, self.url, self.slack = session, url, slack
        self.n = 0
        self.statuses: dict[int, int] = {}

    async def post(
        self, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> tuple[int, float]:
        started = time.perf_counter()
        all_headers = {"Content-Type": content_type, **(headers or {})}
        async with self.session.post(
            f"{self.url}/slack/events", data=body, headers=all_headers
        ) as r:
            await r.read()
        self.statuses[r.status] = self.statuses.get(r.status, 0) + 1
        return r.status, time.perf_counter() - started

    def command_body(self, text: str, key: str, trigger: str | None = None) -> bytes:
        self.n += 1
        fields = {
            "team_id": TEAM,
            "channel_id": "C0STRESS",
            "user_id": f"U{self.n % 50:04d}",
            "command": "/mission",
            "text": text,
            "api_app_id": "A0MISSION",
            "response_url": self.slack.response_url(key),
            "trigger_id": trigger or f"{self.n}.{time.time_ns()}.stress",
        }
        return urlencode(fields).encode()

    async def command(self, text: str, key: str) -> float:
        body = self.command_body(text, key)
        return (await self.post(body, "application/x-www-form-urlencoded", signed(body)))[1]

    async def mention(self, text: str, ts: str) -> float:
        self.n += 1
        event = {
            "type": "app_mention",
            "user": "U0STRESS",
            "text": f"<@{BOT_USER}> {text}",
            "ts": ts,
            "channel": "C0STRESS",
            "event_ts": ts,
        }
        body = json.dumps(
            {
                "team_id": TEAM,
                "api_app_id": "A0MISSION",
                "event": event,
                "type": "event_callback",
                "event_id": f"Ev{self.n}",
                "event_time": int(time.time()),
                "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
            }
        ).encode()
        return (await self.post(body, "application/json", signed(body)))[1]

    async def healthz(self) -> float:
        started = time.perf_counter()
        async with self.session.get(f"{self.url}/healthz") as r:
            await r.read()
        return time.perf_counter() - started


async def under_load(client: Client, heavy: str, size: int, samples: int) -> dict[str, list[float]]:
    """Ack latencies of /healthz and a normal command while IN_FLIGHT `heavy` requests of
    `size` characters are in flight: each sent again as soon as its reply has arrived."""
    stop = asyncio.Event()
    heavy_acks: list[float] = []
    slack = client.slack

    async def sender(i: int) -> None:
        text = words(size, seed=i) if size > 30 else "how many QPV students?"
        n = 0
        while not stop.is_set():
            n += 1
            key = f"{heavy}{size}-{i}-{n}"
            if heavy == "command":
                heavy_acks.append(await client.command(text, key))
                await slack.wait_for("response_url", where=lambda c, k=key: c.key == k)
            else:
                ts = f"{1700000000 + i}.{n:06d}"
                heavy_acks.append(await client.mention(text, ts))
                await slack.wait_for(
                    "chat.postMessage", where=lambda c, t=ts: c.args.get("thread_ts") == t
                )

    senders = [asyncio.create_task(sender(i)) for i in range(IN_FLIGHT if size else 0)]
    await asyncio.sleep(0.5)  # all five in flight
    health: list[float] = []
    normal: list[float] = []
    for i in range(samples):
        health.append(await client.healthz())
        normal.append(await client.command("how many QPV students?", f"normal{i}"))
        await asyncio.sleep(0.005)
    stop.set()
    await asyncio.gather(*senders)
    return {"healthz": health, "/mission": normal, f"heavy {heavy}s": heavy_acks}


def log_since(log: Path, mark: int) -> list[str]:
    with log.open("rb") as f:
        f.seek(mark)
        return f.read().decode("utf-8", errors="replace").splitlines()


async def probes(client: Client, log: Path) -> None:
    form, js = "application/x-www-form-urlencoded", "application/json"
    mark = log.stat().st_size
    await asyncio.gather(*(client.post(b"A" * (1024 * 1024 - 1), form) for _ in range(20)))
    await asyncio.sleep(0.2)
    grown = log_since(log, mark)
    size = sum(len(line.encode()) + 1 for line in grown)
    print(f"  20 unsigned posts of 1 MB: the log grew by {len(grown)} lines, {size:,} bytes")
    longest = max(grown, key=len, default="")
    print(f"    the longest ({len(longest):,} characters): {longest[:160]}")
    await asyncio.sleep(60)  # the refusal log's rate limit refills
    mark = log.stat().st_size
    forged = "\n2030-01-01 00:00:00,000 INFO bot.slack: answered via=command user=UADMIN fact=X\n"
    await client.post(b"text=" + forged.encode() * 3, form)
    await asyncio.sleep(0.2)
    lines = log_since(log, mark)
    print(
        f"  a body forging log lines: {len(lines)} line logged, forged lines in the log: "
        f"{sum(line.startswith('2030') for line in lines)}"
    )
    cases: list[tuple[str, bytes, str, dict[str, str]]] = [
        ("unsigned {bad json", b"{bad json", js, {}),
        ("unsigned payload=notjson", b"payload=notjson", form, {}),
        ("unsigned text=\\xff", b"text=\xff", form, {}),
        ("timestamp header abc", b"command=/mission", form, {"X-Slack-Request-Timestamp": "abc"}),
    ]
    for body in (b"{bad json", b"payload=notjson", b"text=\xff", b"a=1", b'{"event": "x"}'):
        cases.append((f"signed {body[:20]!r}", body, js if b"{" in body else form, signed(body)))
    for name, body, content_type, headers in cases:
        status, _ = await client.post(body, content_type, headers)
        print(f"  {name:<32} -> {status}")
    trigger = f"replay.{time.time_ns()}"
    body = client.command_body("how many QPV students?", "replay", trigger)
    headers = signed(body)
    for _ in range(3):
        await client.post(body, form, headers)
    await asyncio.sleep(1.0)
    replies = len(client.slack.of("response_url", lambda c: c.key == "replay"))
    print(f"  one signed command sent 3 times: {replies} reply")


def batch_line(megabytes: int = 20) -> tuple[float, float]:
    """Seconds and peak memory (MB) of `ask --json` on one line of `megabytes` MB."""
    line = (b"how many QPV students? " + b"lorem ipsum " * (megabytes * 1024 * 1024 // 12))[
        : megabytes * 1024 * 1024
    ]
    with tempfile.TemporaryFile() as stdin:
        stdin.write(line + b"\n")
        stdin.seek(0)
        started = time.perf_counter()
        code = (
            "import resource, subprocess, sys;"
            "subprocess.run([sys.executable, '-m', 'bot.cli', 'ask', '--json'],"
            " stdout=subprocess.DEVNULL, check=True);"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], stdin=stdin, capture_output=True, check=True, cwd=ROOT
        )
        seconds = time.perf_counter() - started
    peak_kb = int(done.stdout.decode().split()[-1])
    return seconds, peak_kb / 1024


async def main(samples: int) -> None:
    assert resource  # (used by the batch measurement's child)
    seconds, peak = batch_line()
    print(f"batch mode, one 20 MB line: {seconds:.2f} s, peak memory {peak:.0f} MB")
    slack = await SlackStub(TOKEN).start()
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "serve.log"
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.api_url,
            "HOST": "127.0.0.1",
            "PORT": "0",
        }
        env.pop("SLACK_APP_TOKEN", None)
        with log.open("wb") as out:
            server = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "serve", "--mode", "http"],
                env=env,
                cwd=tmp,
                stdout=subprocess.DEVNULL,
                stderr=out,
            )
        try:
            port = None
            for _ in range(300):
                found = re.search(r"HTTP listening on \S+ port (\d+)", log.read_text())
                if found:
                    port = int(found[1])
                    break
                await asyncio.sleep(0.1)
            assert port, log.read_text()
            connector = aiohttp.TCPConnector(limit=0)
            async with aiohttp.ClientSession(connector=connector) as session:
                client = Client(session, f"http://127.0.0.1:{port}", slack)
                phases = [
                    ("command", 0),  # none: the bot idle
                    ("command", len("how many QPV students?")),
                    ("command", LONG_COMMAND),
                    ("mention", LONG_MENTION),
                ]
                for heavy, size in phases:
                    if size:
                        print(f"while {IN_FLIGHT} {heavy}s of {size:,} characters are in flight:")
                    else:
                        print("with nothing else in flight:")
                    for name, values in (await under_load(client, heavy, size, samples)).items():
                        if values:
                            print(f"  {name:<16} {percentiles(values)}")
                print("probes:")
                await probes(client, log)
                await asyncio.sleep(2)  # replies still being written
        finally:
            server.terminate()
            server.wait(timeout=30)
        text = log.read_text(errors="replace")
        statuses = dict(sorted(client.statuses.items()))
        print(f"responses by status: {statuses}; tracebacks in the log: {text.count('Traceback')}")
    await slack.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=300, help="probes of each kind per phase")
    asyncio.run(main(parser.parse_args().samples))
