#!/usr/bin/env python3
"""Benchmark the matcher against two baselines, and time the CLI end to end.

Usage (from the project root, with the project installed with the `bench` extra):
    python scripts/benchmark.py [--questions ../shared/eval/questions.dev.yaml] [--repeat 20]

Side by side on one question set, over the same fact base and the same reply renderer:
  bot      the project's matcher (bot.matching.Index via bot.answers.Engine)
  wratio   rapidfuzz WRatio of the question against entry labels only (en + fr)
  bm25     BM25 (bm25s) over labels, aliases and definitions (en + fr)
A question passes as in the evaluation script: an expected answer must carry the expected
tokens in the reply text (and the reply's language); an out-of-scope question must be
answered "unknown". Baselines answer "unknown" below a score threshold chosen as the best
one for them on this very set (an advantage the bot does not get).
Then it times `mission-bot ask "..."` from a cold start and 1,000 questions in batch mode,
and what logging costs: 1,000 questions in batch mode with `--log` (each run writing to a
SQLite question log of its own) against the same without, alternating, `--log-runs` of
each, end to end and in process.
`--log-only` runs that last measure alone (no question set or bm25s needed).
and the charts: the first chart drawn in a fresh process (matplotlib's import included)
and a cached one (`--charts-only` times the charts alone).
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

from bot import knowledge, render
from bot.answers import Answer, Engine
from bot.config import StoreSettings
from bot.language import fold
from bot.store import open_store

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_QUESTIONS = ROOT.parent / "shared" / "eval" / "questions.dev.yaml"


def load_judge(questions: Path) -> Callable[[dict, dict], tuple[bool, str]]:
    """The evaluation script's judge when it sits beside the questions, else its rule."""
    score_py = questions.parent / "score.py"
    if score_py.exists():
        spec = importlib.util.spec_from_file_location("score", score_py)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.judge

    def judge(item: dict, reply: dict) -> tuple[bool, str]:
        if item["expect"] == "unknown":
            return reply.get("status") == "unknown", ""
        text = fold(reply.get("text") or "")
        ok = reply.get("status") == "answer" and reply.get("lang") == item["lang"]
        ok = ok and (not item.get("any") or any(fold(str(t)) in text for t in item["any"]))
        ok = ok and all(fold(str(t)) in text for t in item.get("all") or [])
        return ok, ""

    return judge


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def run_method(
    name: str,
    answer: Callable[[str], tuple[Answer, float]],
    items: list[dict],
    judge: Callable[[dict, dict], tuple[bool, str]],
    base: knowledge.FactBase,
    repeat: int,
) -> dict:
    """Accuracy and per-question latency (ms) of one method; latency excludes rendering."""
    passed, latencies = 0, []
    for item in items:
        reply, _ = answer(item["q"])
        payload = {**reply.to_dict(), "text": render.to_text(reply, base)}
        passed += judge(item, payload)[0]
        for _ in range(repeat):
            latencies.append(answer(item["q"])[1])
    return {
        "method": name,
        "accuracy": passed / len(items),
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
    }


def timed(fn: Callable[[str], Answer]) -> Callable[[str], tuple[Answer, float]]:
    def call(question: str) -> tuple[Answer, float]:
        start = time.perf_counter()
        reply = fn(question)
        return reply, (time.perf_counter() - start) * 1000

    return call


def threshold_answerer(
    engine: Engine, scorer: Callable[[str], tuple[str | None, float]], threshold: float
) -> Callable[[str], Answer]:
    def answer(question: str) -> Answer:
        lang = engine.language(question)
        entry_id, score = scorer(question)
        if entry_id is None or score < threshold:
            return Answer(question, lang, "unknown")
        return engine.answer_fact(entry_id, lang, question)

    return answer


def best_threshold(
    engine: Engine,
    scorer: Callable[[str], tuple[str | None, float]],
    candidates: list[float],
    items: list[dict],
    judge: Callable[[dict, dict], tuple[bool, str]],
) -> float:
    def accuracy(th: float) -> int:
        fn = threshold_answerer(engine, scorer, th)
        ok = 0
        for item in items:
            reply = fn(item["q"])
            ok += judge(item, {**reply.to_dict(), "text": render.to_text(reply, engine.base)})[0]
        return ok

    return max(candidates, key=accuracy)


def wratio_scorer(base: knowledge.FactBase) -> Callable[[str], tuple[str | None, float]]:
    choices = {}
    for entry in base:
        for lang in ("en", "fr"):
            choices[f"{entry.id}\t{lang}"] = fold(entry.label.get(lang))

    def score(question: str) -> tuple[str | None, float]:
        found = process.extractOne(fold(question), choices, scorer=fuzz.WRatio)
        if not found:
            return None, 0.0
        return found[2].split("\t")[0], float(found[1])

    return score


def bm25_scorer(base: knowledge.FactBase) -> Callable[[str], tuple[str | None, float]]:
    import bm25s

    ids, corpus = [], []
    for entry in base:
        parts = []
        for lang in ("en", "fr"):
            parts += [entry.label.get(lang), entry.definition.get(lang), *entry.aliases[lang]]
        ids.append(entry.id)
        corpus.append(fold(" ".join(parts)))
    retriever = bm25s.BM25()
    retriever.index(
        bm25s.tokenize(corpus, stopwords=None, show_progress=False), show_progress=False
    )

    def score(question: str) -> tuple[str | None, float]:
        tokens = bm25s.tokenize([fold(question)], stopwords=None, show_progress=False)
        if not tokens.vocab:
            return None, 0.0
        docs, scores = retriever.retrieve(tokens, k=1, show_progress=False)
        return ids[int(docs[0][0])], float(scores[0][0])

    return score


def cli_command() -> list[str]:
    exe = Path(sys.executable).with_name("mission-bot")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "bot.cli"]


def batch_input(questions: list[str], n: int = 1000) -> str:
    return "\n".join((questions * (n // len(questions) + 1))[:n]) + "\n"


def cli_timings(questions: list[str]) -> dict:
    cmd = cli_command()
    colds = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([*cmd, "ask", questions[0]], check=True, capture_output=True)
        colds.append(time.perf_counter() - start)
    batch = batch_input(questions)
    start = time.perf_counter()
    done = subprocess.run(
        [*cmd, "ask", "--json"], input=batch, text=True, capture_output=True, check=True
    )
    elapsed = time.perf_counter() - start
    lines = [json.loads(ln) for ln in done.stdout.splitlines() if ln.strip()]
    assert len(lines) == 1000, len(lines)
    return {"cold_start_s": statistics.median(colds), "batch_1000_s": elapsed}


def logging_overhead(questions: list[str], runs: int) -> dict:
    """Seconds (wall clock, and CPU of the process) of 1,000 questions in batch mode
    without and with `--log`, in pairs of runs, each kind first in half the pairs; the
    cost is the median of the pairs' ratios."""
    cmd = [*cli_command(), "ask", "--json"]
    batch = batch_input(questions)
    wall: dict[str, list[float]] = {"plain": [], "log": []}
    cpu: dict[str, list[float]] = {"plain": [], "log": []}
    with tempfile.TemporaryDirectory() as folder:
        for run in range(runs):
            # each logged run writes to a question log of its own, created beforehand (once
            # in a bot's life: not part of what each batch costs)
            path = Path(folder) / f"log{run}.db"
            open_store(StoreSettings(db_path=path)).close()
            env = {**os.environ, "MISSION_DB": str(path)}
            env.pop("DATABASE_URL", None)
            pair = [("plain", []), ("log", ["--log"])]
            for kind, args in pair if run % 2 else pair[::-1]:  # each goes first half the time
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                start = time.perf_counter()
                done = subprocess.run(
                    [*cmd, *args], input=batch, text=True, capture_output=True, env=env, check=True
                )
                wall[kind].append(time.perf_counter() - start)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu[kind].append(
                    after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
                )
                assert done.stdout.count("\n") == 1000
            if sqlite_rows(Path(folder) / f"log{run}.db") != 1000:
                raise SystemExit("the logged run did not log 1,000 questions")
    result = {}
    for name, times in (("wall", wall), ("cpu", cpu)):
        # each logged run against the unlogged one beside it: a load that comes and goes
        # weighs on both halves of a pair alike
        ratios = [log / plain for plain, log in zip(times["plain"], times["log"], strict=True)]
        result[name] = {
            "unlogged_s": statistics.median(times["plain"]),
            "logged_s": statistics.median(times["log"]),
            "overhead": statistics.median(ratios) - 1,
        }
    return result


def log_write_time(questions: list[str], runs: int) -> dict:
    """Seconds spent inside the question log's writes for 1,000 questions of the batch
    loop, in this process: the direct cost, which a busy machine blurs less than the
    difference of two end-to-end timings."""
    from bot import cli

    class TimedLog(cli.QuestionLog):
        spent = 0.0

        def add(self, reply: cli.Reply) -> str | None:
            start = time.perf_counter()
            try:
                return super().add(reply)
            finally:
                self.spent += time.perf_counter() - start

    engine = Engine(knowledge.load())
    lines = batch_input(questions).encode()
    batch: list[float] = []
    writing: list[float] = []
    with tempfile.TemporaryDirectory() as folder, open(os.devnull, "w") as sink:
        for run in range(runs):
            log = TimedLog(open_store(StoreSettings(db_path=Path(folder) / f"in{run}.db")))
            start = time.perf_counter()
            cli._batch(engine, io.BytesIO(lines), sink, None, "en", log)
            batch.append(time.perf_counter() - start - log.spent)
            writing.append(log.spent)
            log.close()
    return {"answering_s": statistics.median(batch), "writing_s": statistics.median(writing)}


def sqlite_rows(path: Path) -> int:
    import sqlite3

    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM questions").fetchone()[0])


def print_logging_overhead(questions: list[str], runs: int) -> None:
    cost = logging_overhead(questions, runs)
    print(f"\n1,000 questions in batch mode, {runs} pairs of runs (target: under +10% with --log):")
    print("| time, median | unlogged (s) | with --log (s) | cost of logging (median of pairs) |")
    print("| --- | --- | --- | --- |")
    for key, label in (("wall", "wall clock"), ("cpu", "CPU of the process")):
        row = cost[key]
        print(
            f"| {label} | {row['unlogged_s']:.2f} | {row['logged_s']:.2f} | "
            f"{row['overhead']:+.1%} |"
        )
    row = log_write_time(questions, runs)
    print(
        f"\nIn process, the log's writes took {row['writing_s'] * 1000:.0f} ms for 1,000 "
        f"questions (median), beside {row['answering_s']:.2f} s of answering: "
        f"{row['writing_s'] / row['answering_s']:+.1%}."
    )


CHART_TIMING = """
import statistics, sys, time
from bot import charts, knowledge
base = knowledge.load()
cache = charts.ChartCache(base)
entry = base.get(sys.argv[1])
start = time.perf_counter()
cache.image(entry, "fr")
first = time.perf_counter() - start
cached = []
for _ in range(1000):
    start = time.perf_counter()
    cache.image(entry, "fr")
    cached.append(time.perf_counter() - start)
print(first, statistics.median(cached), max(cached))
"""


def chart_timings(entry_id: str = "job_seekers_sp_qualification") -> dict:
    """The first chart of a fresh process (median of 3 processes) and a cached one."""
    firsts, cached, worst = [], [], []
    for _ in range(3):
        done = subprocess.run(
            [sys.executable, "-c", CHART_TIMING, entry_id],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        first, median, most = (float(x) for x in done.stdout.split())
        firsts.append(first)
        cached.append(median)
        worst.append(most)
    return {
        "first_s": statistics.median(firsts),
        "cached_ms": statistics.median(cached) * 1000,
        "cached_max_ms": max(worst) * 1000,
    }


def print_chart_timings() -> None:
    charts = chart_timings()
    print(
        f"\nFirst chart drawn in a fresh process (median of 3): {charts['first_s']:.2f} s; "
        f"a cached chart: {charts['cached_ms']:.4f} ms (slowest of 3,000: "
        f"{charts['cached_max_ms']:.3f} ms)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--repeat", type=int, default=20, help="timed runs per question")
    parser.add_argument("--no-cli", action="store_true", help="skip the end-to-end CLI timings")
    parser.add_argument(
        "--log-runs", type=int, default=25, help="pairs of runs of the logging measure"
    )
    parser.add_argument("--log-only", action="store_true", help="only measure logging's cost")
    parser.add_argument("--charts-only", action="store_true", help="time the charts only")
    args = parser.parse_args()
    if args.log_only:
        print_logging_overhead(fact_base_questions(), args.log_runs)
        return 0
    if args.charts_only:
        print_chart_timings()
        return 0
    if not args.questions.exists():
        print(f"No question set at {args.questions}", file=sys.stderr)
        return 2
    items = yaml.safe_load(args.questions.read_text(encoding="utf-8"))
    judge = load_judge(args.questions)
    base = knowledge.load()
    engine = Engine(base)

    wr = wratio_scorer(base)
    bm = bm25_scorer(base)
    wr_th = best_threshold(engine, wr, [50, 60, 70, 75, 80, 85, 90], items, judge)
    bm_th = best_threshold(engine, bm, [0.5, 1, 2, 3, 4, 5, 6, 8], items, judge)
    rows = [
        run_method("bot", timed(engine.ask), items, judge, base, args.repeat),
        run_method(
            f"wratio (labels, unknown < {wr_th:g})",
            timed(threshold_answerer(engine, wr, wr_th)),
            items,
            judge,
            base,
            args.repeat,
        ),
        run_method(
            f"bm25 (labels+aliases+definitions, unknown < {bm_th:g})",
            timed(threshold_answerer(engine, bm, bm_th)),
            items,
            judge,
            base,
            args.repeat,
        ),
    ]
    runs = f"{args.repeat} timed runs each"
    print(f"{len(items)} questions from {args.questions.name}, {len(base)} entries, {runs}\n")
    print("| method | accuracy | p50 (ms) | p99 (ms) |")
    print("| --- | --- | --- | --- |")
    for row in rows:
        timing = f"{row['p50_ms']:.3f} | {row['p99_ms']:.3f}"
        print(f"| {row['method']} | {row['accuracy']:.1%} | {timing} |")
    if not args.no_cli:
        timings = cli_timings([i["q"] for i in items])
        print(
            f"\n`mission-bot ask` cold start (median of 5): {timings['cold_start_s']:.2f} s; "
            f"1,000 questions in batch mode: {timings['batch_1000_s']:.2f} s"
        )
        print_logging_overhead([i["q"] for i in items], args.log_runs)
    print_chart_timings()
    return 0


def fact_base_questions() -> list[str]:
    """Questions from the fact base's own question bank, both languages."""
    base = knowledge.load()
    return [q for entry in base for lang in ("en", "fr") for q in entry.examples.get(lang, ())]


if __name__ == "__main__":
    sys.exit(main())
