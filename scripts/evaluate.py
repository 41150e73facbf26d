#!/usr/bin/env python3
"""Cross-validated accuracy of the question engine on its own question bank, and the fit
of the abstention model.

Usage (from the project root):
    python scripts/evaluate.py [--folds 5] [--seed 1] [--show 20]   # measure
    python scripts/evaluate.py --fit                                 # refit bot/abstention.json

The bank (`knowledge/questions/*.yaml` and the entries' `examples`) is split into folds.
For each fold, its questions are removed from the index and from the abstention fit, then
asked: the model is fitted on features of the other folds' questions, each computed with
an index that holds neither that question's fold nor the held-out one (nested), so no
held-out question, and no question whose features trained the model, is ever seen by the
index that scores it. A question passes when:
  an entry's example:  status "answer", in the question's language, from that entry (a
                       category or lever may answer with its main figure, an overview or
                       category with its list);
  out of scope:        status "unknown".
A wrong answer is an "answer" from an entry that doesn't answer (out-of-scope included).

The same folds score two baselines: BM25 over labels, aliases, definitions and the
training folds' examples, and rapidfuzz WRatio nearest neighbour over labels, aliases and
the training folds' examples. Each declines below the threshold that suits it best on the
held-out fold itself (an advantage the engine doesn't get).

`--fit` computes out-of-fold features for the whole bank, fits the logistic model, picks
the two thresholds and writes bot/abstention.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NamedTuple

from rapidfuzz import fuzz, process

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot import abstention, knowledge  # noqa: E402
from bot.answers import Answer, Engine  # noqa: E402
from bot.knowledge import LANGS, FactBase  # noqa: E402
from bot.language import fold, stem, tokens  # noqa: E402
from bot.matching import HAS_FIGURES, WHOLE_KINDS, Index, Match  # noqa: E402
from bot.render import MAX_DETAILS, MAX_ITEMS, format_value, to_text  # noqa: E402


@dataclass(frozen=True)
class Item:
    q: str
    lang: str
    gold: str | None  # None: the report does not answer


def bank(base: FactBase) -> list[Item]:
    items = [Item(q, lang, e.id) for e in base for lang in LANGS for q in e.examples.get(lang, ())]
    items += [Item(q, lang, None) for lang in LANGS for q in base.out_of_scope.get(lang, ())]
    return items


def without(base: FactBase, held: set[str]) -> FactBase:
    """The fact base with the questions in `held` taken out of the bank."""

    def keep(questions: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        return {lang: tuple(q for q in qs if q not in held) for lang, qs in questions.items()}

    entries = tuple(replace(e, examples=keep(e.examples)) for e in base)
    return FactBase(entries, base.vocabulary, {e.id: e for e in entries}, keep(base.out_of_scope))


def folds(items: list[Item], k: int, seed: int) -> list[list[Item]]:
    """`k` folds of the bank. Questions of one entry with the same words (an English and a
    French fragment alike, a reworded twin) stay in one fold: a held-out question's twin
    must not be in the index that answers it."""
    groups: dict[tuple[str | None, frozenset[str]], list[Item]] = defaultdict(list)
    for item in items:
        groups[(item.gold, frozenset(stem(t) for t in tokens(item.q)))].append(item)
    order = list(groups.values())
    random.Random(seed).shuffle(order)
    parts: list[list[Item]] = [[] for _ in range(k)]
    for group in order:  # each group to the smallest fold so far
        min(parts, key=len).extend(group)
    return parts


def answers_gold(base: FactBase, entry_id: str, gold: str) -> bool:
    """Whether entry `entry_id`, given as the answer, answers a question about `gold`:
    it is that entry, or the figure that answers for that category or lever, or a list
    whose reply shows it (the items of an overview, a series' or a breakdown's members,
    the figures of a lever or category)."""
    if entry_id == gold:
        return True
    chosen, wanted = base.by_id[entry_id], base.by_id[gold]
    if wanted.kind in HAS_FIGURES and entry_id in wanted.related:
        return True  # "how many refugees?": the category's figure
    if chosen.kind in WHOLE_KINDS:  # a series or a breakdown shows its members
        return gold in (chosen.members or chosen.related)[:MAX_ITEMS]
    if chosen.kind in HAS_FIGURES:
        return gold in [e.id for e in base.related(chosen) if e.is_figure][:MAX_DETAILS]
    return False


def passes(base: FactBase, item: Item, answer: Answer) -> tuple[bool, bool]:
    """(correct, wrong): a wrong answer is an answer that doesn't answer."""
    if item.gold is None:
        return answer.status == "unknown", answer.status == "answer"
    if answer.status != "answer" or answer.entry is None:
        return False, False
    ok = answers_gold(base, answer.entry.id, item.gold)
    return ok and answer.lang == item.lang, not ok


def shows_figure(base: FactBase, item: Item, answer: Answer) -> bool:
    """Whether an answer in the question's language shows the figure asked for anywhere in
    its reply (its body, "see also", or a "not what you meant?" reading), as a reader, and
    the shared scorer, would find it. Only for figures: a definition has no one token."""
    gold = base.by_id.get(item.gold or "")
    if gold is None or not gold.is_figure or answer.status != "answer":
        return False
    if answer.lang != item.lang:
        return False
    value = format_value(gold, item.lang, base)
    # "9%" is not found inside "19%"
    return (
        bool(value)
        and re.search(rf"(?<![\d.,]){re.escape(value)}", to_text(answer, base)) is not None
    )


class Row(NamedTuple):
    """What the abstention model is fitted on, for one question."""

    features: dict[str, float]
    correct: int  # 1: the best entry is the one asked for (or answers for it)
    helpful: bool  # its reply, as a plausible answer, shows what was asked
    item: Item


def rows_for(index: Index, items: Iterable[Item]) -> list[Row]:
    """Match features and outcome per question."""
    engine = Engine(index.base, index=index)
    out = []
    for item in items:
        query = index.query(item.q)
        if index.ruled_out(query):
            continue  # declined by rule, whatever the model says
        ranked, outside = index.rank(query)
        if not ranked or index.wrong_period(ranked[0].entry, query):
            continue
        gold = item.gold
        correct = int(gold is not None and answers_gold(index.base, ranked[0].entry.id, gold))
        helpful = bool(correct)
        if not correct and gold is not None and index.base.by_id[gold].is_figure:
            # the reply it would get as a plausible answer, with its other readings
            match = Match("answer", query, ranked[0], tuple(ranked), band="plausible")
            helpful = shows_figure(index.base, item, engine.answer(item.q, item.lang, match))
        out.append(Row(index.features(query, ranked, outside), correct, helpful, item))
    return out


# The share of questions the report doesn't answer that the threshold is placed for: about
# one in five, as in the shared development and public sets and the issue's hidden set
# (90 of 476). The bank holds fewer (it has many examples per entry), so its out-of-scope
# questions are weighted up to that mix: the threshold then makes the fewest failures, an
# out-of-scope question answered and an answerable one declined each counting one.
OUT_OF_SCOPE_SHARE = 0.19
WRONG_RATE = 0.02  # a "sure" answer is wrong at most this often (the rest offer alternatives)


def counts(items: list[Item]) -> tuple[int, int]:
    """(answerable, out of scope) questions among `items`."""
    answerable = sum(1 for i in items if i.gold is not None)
    return answerable, len(items) - answerable


def stable_min(grid: list[float], cost: Callable[[float], float]) -> float:
    """The middle of the thresholds whose cost is within 1% of the lowest: cost curves
    are flat near their minimum, and the middle of the flat part moves least."""
    costs = [cost(t) for t in grid]
    low = min(costs)
    near = [t for t, c in zip(grid, costs, strict=True) if c <= low * 1.01 + 1]
    return near[len(near) // 2]


def fit_model(rows: list[Row], answerable: int, outside: int) -> abstention.Model:
    """Fit both regressions on `rows`, then pick the two thresholds on the same rows.
    `answerable` and `outside` count the bank questions the rows come from, those a rule
    declines before the model included."""
    features = [r.features for r in rows]
    scope = abstention.fit(features, [int(r.item.gold is not None) for r in rows])
    in_rows = [r for r in rows if r.item.gold is not None]
    correct = abstention.fit([r.features for r in in_rows], [r.correct for r in in_rows])
    # answer_at: fewest answered out-of-scope questions (weighted) plus declined questions
    # whose answer would have shown what was asked
    scored = [(scope.probability(r.features), r.item.gold is not None, r.helpful) for r in rows]
    grid = [i / 100 for i in range(2, 99)]
    share = OUT_OF_SCOPE_SHARE
    oos_cost = share / (1 - share) * answerable / max(1, outside)

    def cost(t: float) -> float:
        oos = sum(1 for p, inside, _ in scored if p >= t and not inside)
        lost = sum(1 for p, inside, helpful in scored if p < t and inside and helpful)
        return oos_cost * oos + lost

    answer_at = stable_min(grid, cost)
    # sure_at: the lowest level above which few answers are wrong
    sure = sorted(((correct.probability(r.features), r.correct) for r in in_rows), reverse=True)
    sure_at = 0.99
    for t in grid:
        above = [y for p, y in sure if p >= t]
        if above and sum(1 for y in above if not y) / len(above) <= WRONG_RATE:
            sure_at = t
            break
    return abstention.Model(scope, correct, answer_at, sure_at)


def out_of_fold_rows(
    base: FactBase,
    parts: list[list[Item]],
    skip: int | None = None,
    make_index: Callable[[FactBase], Index] = Index,
) -> list[Row]:
    """Features of every question of `parts` (but fold `skip`), each computed by an index
    that holds neither the question's own fold nor fold `skip`."""
    rows = []
    for j, part in enumerate(parts):
        if j == skip:
            continue
        held = {i.q for i in part} | ({i.q for i in parts[skip]} if skip is not None else set())
        rows += rows_for(make_index(without(base, held)), part)
    return rows


# ---------------------------------------------------------------- baselines


class BM25:
    def __init__(self, docs: dict[str, list[str]], k1: float = 1.5, b: float = 0.75) -> None:
        self.ids = list(docs)
        self.tf = [Counter(docs[i]) for i in self.ids]
        self.len = [len(docs[i]) for i in self.ids]
        self.avg = sum(self.len) / max(1, len(self.len))
        df: Counter[str] = Counter()
        for tf in self.tf:
            df.update(tf.keys())
        n = len(self.ids)
        self.idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        self.k1, self.b = k1, b

    def best(self, words: list[str]) -> tuple[str | None, float]:
        scores: dict[int, float] = defaultdict(float)
        for t in set(words):
            if t not in self.idf:
                continue
            for i, tf in enumerate(self.tf):
                f = tf.get(t)
                if f:
                    norm = (
                        f
                        * (self.k1 + 1)
                        / (f + self.k1 * (1 - self.b + self.b * self.len[i] / self.avg))
                    )
                    scores[i] += self.idf[t] * norm
        if not scores:
            return None, 0.0
        i = max(scores, key=scores.__getitem__)
        return self.ids[i], scores[i]


def bm25_scorer(base: FactBase) -> Callable[[str], tuple[str | None, float]]:
    docs = {}
    for e in base:
        parts = []
        for lang in LANGS:
            parts += [e.label.get(lang), e.definition.get(lang), *e.aliases[lang]]
            parts += e.examples.get(lang, ())
        docs[e.id] = tokens(" ".join(parts))
    model = BM25(docs)
    return lambda q: model.best(tokens(q))


def wratio_scorer(base: FactBase) -> Callable[[str], tuple[str | None, float]]:
    choices: dict[str, str] = {}
    for e in base:
        for lang in LANGS:
            for n, text in enumerate(
                [e.label.get(lang), *e.aliases[lang], *e.examples.get(lang, ())]
            ):
                choices[f"{e.id}\t{lang}{n}"] = fold(text)

    def score(q: str) -> tuple[str | None, float]:
        found = process.extractOne(fold(q), choices, scorer=fuzz.WRatio)
        return (found[2].split("\t")[0], float(found[1])) if found else (None, 0.0)

    return score


def baseline_fold(
    base: FactBase, test: list[Item], make: Callable, grid: list[float]
) -> list[tuple[bool, bool]]:
    """A baseline on one held-out fold, with the threshold that suits it best on that very
    fold (an advantage the engine doesn't get)."""
    scorer = make(base)
    scored = [(scorer(i.q), i) for i in test]

    def outcome(found: tuple[str | None, float], item: Item, th: float) -> tuple[bool, bool]:
        entry_id, score = found
        answered = entry_id is not None and score >= th
        if item.gold is None:
            return not answered, answered
        ok = answered and answers_gold(base, entry_id, item.gold)  # type: ignore[arg-type]
        return ok, answered and not ok

    th = max(grid, key=lambda t: sum(outcome(f, i, t)[0] for f, i in scored))
    return [outcome(f, i, th) for f, i in scored]


# ---------------------------------------------------------------- report


def summary(results: list[tuple[Item, bool, bool]]) -> dict[str, float]:
    groups: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    wrong = 0
    for item, ok, bad in results:
        key = "oos" if item.gold is None else item.lang
        groups[key][0] += ok
        groups[key][1] += 1
        wrong += bad
    out = {k: v[0] / v[1] for k, v in groups.items()}
    out["all"] = sum(v[0] for v in groups.values()) / max(1, len(results))
    out["wrong"] = wrong / max(1, len(results))
    return out


def line(name: str, s: dict[str, float]) -> str:
    return (
        f"| {name} | {s.get('en', 0):.1%} | {s.get('fr', 0):.1%} | {s.get('oos', 0):.1%} "
        f"| {s['all']:.1%} | {s['wrong']:.1%} |"
    )


def main() -> int:
    if os.environ.get("PYTHONHASHSEED") != "0":
        # the same folds, features and fitted numbers on every run: sums over sets of
        # words otherwise change in their last digits with Python's hash seed
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        os.execve(sys.executable, [sys.executable, *sys.argv], env)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fit", action="store_true", help="refit and write bot/abstention.json")
    parser.add_argument("--no-baselines", action="store_true")
    parser.add_argument("--show", type=int, default=0, help="print this many failures")
    parser.add_argument("--knowledge", default=None)
    args = parser.parse_args()
    base = knowledge.load(args.knowledge)
    items = bank(base)
    parts = folds(items, args.folds, args.seed)
    started = time.perf_counter()

    if args.fit:
        rows = out_of_fold_rows(base, parts)
        model = fit_model(rows, *counts(items))
        abstention.MODEL_FILE.write_text(
            json.dumps(model.to_dict(), indent=1) + "\n", encoding="utf-8"
        )
        print(
            f"fitted on {len(rows)} questions: answer when P(in scope) >= {model.answer_at}, "
            f"no alternatives when P(correct) >= {model.sure_at}"
        )
        print(f"  {'feature':>15} {'scope':>7} {'correct':>7}")
        for name, a, b in zip(
            model.scope.features, model.scope.weights, model.correct.weights, strict=True
        ):
            print(f"  {name:>15} {a:+7.3f} {b:+7.3f}")
        return 0

    results: list[tuple[Item, bool, bool]] = []
    shown: list[tuple[Item, bool, bool]] = []  # passes when the reply shows the figure
    only_sure: list[tuple[Item, bool, bool]] = []  # "sure" answers only, the rest declined
    bm25_results: list[tuple[Item, bool, bool]] = []
    wratio_results: list[tuple[Item, bool, bool]] = []
    failures = []
    offered = sure_wrong = 0  # wrong answers that offered the right one; wrong "sure" ones
    for k, test in enumerate(parts):
        trained = [i for j, part in enumerate(parts) if j != k for i in part]
        model = fit_model(out_of_fold_rows(base, parts, skip=k), *counts(trained))
        held = {i.q for i in test}
        reduced = without(base, held)
        engine = Engine(reduced, model)
        for item in test:
            answer = engine.ask(item.q)
            ok, bad = passes(base, item, answer)
            results.append((item, ok, bad))
            seen = not ok and shows_figure(base, item, answer)
            shown.append((item, ok or seen, bad and not seen))
            # the same engine answering only when sure: a plausible answer becomes a decline
            sure = answer.confidence == "sure" or answer.status != "answer"
            out_answered = item.gold is None and answer.status == "answer"
            only_sure.append((item, (ok and sure) or (out_answered and not sure), bad and sure))
            if not ok:
                failures.append((item, answer))
            if bad and item.gold is not None and answer.confidence == "plausible":
                offered += item.gold in {e.id for e in answer.alternatives}
            sure_wrong += bad and answer.confidence == "sure"
        if not args.no_baselines:
            for make, grid, out in (
                (bm25_scorer, [0.5 * i for i in range(0, 41)], bm25_results),
                (wratio_scorer, [float(i) for i in range(40, 100, 2)], wratio_results),
            ):
                for item, (ok, bad) in zip(
                    test, baseline_fold(reduced, test, make, grid), strict=True
                ):
                    out.append((item, ok, bad))
    elapsed = time.perf_counter() - started
    n_in = sum(1 for i in items if i.gold)
    print(
        f"{len(items)} bank questions ({n_in} answerable, {len(items) - n_in} out of scope), "
        f"{args.folds}-fold cross-validation, seed {args.seed}, {elapsed:.0f} s\n"
    )
    print("| method | en | fr | out of scope declined | all | wrong answers |")
    print("| --- | --- | --- | --- | --- | --- |")
    print(line("engine", summary(results)))
    print(line("engine, judged by the reply's figure", summary(shown)))
    print(line("engine, answering only when sure", summary(only_sure)))
    if not args.no_baselines:
        print(line("BM25 (labels, aliases, definitions, examples)", summary(bm25_results)))
        print(line("WRatio nearest (labels, aliases, examples)", summary(wratio_results)))
    print(
        f"\nOf the engine's wrong answers, {sure_wrong} were 'sure' "
        f"({sure_wrong / len(items):.1%} of all questions); {offered} were 'plausible' ones "
        "whose other readings offered the entry asked for."
    )
    declined = sum(1 for item, a in failures if item.gold and a.status != "answer")
    answered = sum(1 for item, a in failures if not item.gold)
    print(
        f"Failures: {declined} answerable questions declined, "
        f"{len(failures) - declined - answered} answered from another entry, "
        f"{answered} out-of-scope questions answered."
    )
    for item, answer in failures[: args.show]:
        got = answer.entry.id if answer.entry else "-"
        verdict = f"{answer.status} {got} {answer.confidence}"
        print(f"FAIL {item.lang} {item.q!r}: want {item.gold}, got {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
