"""When to answer: a calibrated decision, not hand-set thresholds.

`Model` is a small logistic regression over the match features of `bot.matching` (top
score, margin to the next reading, how much of the question the entry explains, the
nearest example and the nearest out-of-scope question, words from outside the report,
unknown words, whether the kind of entry fits what is asked). It gives the probability
that the question is about the report at all, and the probability that the best entry
is the one asked for; two thresholds make three bands:

- sure: the answer;
- plausible: the best answer, with up to two alternatives ("not what you meant?");
- unlikely: "not in the report".

Its few numbers live in `abstention.json` beside this module. `scripts/evaluate.py
--fit` refits them on the question bank (cross-validated features: a question never
sees its own fold in the index) and writes that file. `fit` is plain Python: Newton's
method on standardized features with a small L2 penalty.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

MODEL_FILE = Path(__file__).resolve().parent / "abstention.json"
FEATURES = (
    "score",
    "margin",
    "coverage",
    "example",
    "fit",
    "outside",
    "outside_margin",
    "bayes",
    "bayes_outside",
    "held_margin",
    "outside_words",
    "unknown_words",
    "uncovered_max",
    "named",
    "specific",
    "kind_fit",
    "mended",
)


@dataclass(frozen=True)
class Logistic:
    """One logistic regression: P(outcome) from standardized features."""

    features: tuple[str, ...]
    means: tuple[float, ...]
    scales: tuple[float, ...]
    weights: tuple[float, ...]
    intercept: float

    @classmethod
    def from_dict(cls, data: dict) -> Logistic:
        return cls(
            tuple(data["features"]),
            tuple(float(x) for x in data["means"]),
            tuple(max(float(x), 1e-6) for x in data["scales"]),
            tuple(float(x) for x in data["weights"]),
            float(data["intercept"]),
        )

    def to_dict(self) -> dict:
        return {
            "features": list(self.features),
            "means": [round(x, 6) for x in self.means],
            "scales": [round(x, 6) for x in self.scales],
            "weights": [round(x, 6) for x in self.weights],
            "intercept": round(self.intercept, 6),
        }

    def probability(self, features: dict[str, float]) -> float:
        z = self.intercept
        for name, mean, scale, weight in zip(
            self.features, self.means, self.scales, self.weights, strict=True
        ):
            z += weight * (features.get(name, 0.0) - mean) / scale
        return _sigmoid(z)


@dataclass(frozen=True)
class Model:
    """Two questions, two regressions: is the question about the report at all (`scope`),
    and is the best entry the one asked for (`correct`)?"""

    scope: Logistic
    correct: Logistic
    answer_at: float  # P(in scope) at or above: answer
    sure_at: float  # P(correct) at or above: no alternatives needed

    @classmethod
    def default(cls) -> Model:
        """The fitted model shipped with the bot."""
        return cls.from_dict(json.loads(MODEL_FILE.read_text(encoding="utf-8")))

    @classmethod
    def from_dict(cls, data: dict) -> Model:
        model = cls(
            Logistic.from_dict(data["scope"]),
            Logistic.from_dict(data["correct"]),
            float(data["answer_at"]),
            float(data["sure_at"]),
        )
        for head in (model.scope, model.correct):
            if head.features != FEATURES:
                raise ValueError(
                    f"{MODEL_FILE.name} was fitted on other features than the matcher's: "
                    "refit it with `python scripts/evaluate.py --fit`"
                )
        return model

    def to_dict(self) -> dict:
        return {
            "scope": self.scope.to_dict(),
            "correct": self.correct.to_dict(),
            "answer_at": round(self.answer_at, 4),
            "sure_at": round(self.sure_at, 4),
        }

    def decide(self, features: dict[str, float]) -> tuple[str, float, float]:
        """The band ("sure", "plausible" or "unlikely"), P(the question is about the
        report) and P(the best entry is the one asked for)."""
        in_scope = self.scope.probability(features)
        correct = self.correct.probability(features)
        if in_scope < self.answer_at:
            return "unlikely", in_scope, correct
        return ("sure" if correct >= self.sure_at else "plausible"), in_scope, correct


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def fit(
    rows: Sequence[dict[str, float]],
    labels: Sequence[int],
    names: Sequence[str] = FEATURES,
    l2: float = 1.0,
    steps: int = 25,
) -> Logistic:
    """A logistic regression of `labels` (0 or 1) on `rows`, by
    Newton's method on standardized features with an L2 penalty (not on the intercept)."""
    n = len(rows)
    if n == 0 or len(set(labels)) < 2:
        raise ValueError("fitting needs examples of both outcomes")
    columns = [[float(row.get(name, 0.0)) for row in rows] for name in names]
    means = [sum(col) / n for col in columns]
    scales = []
    for col, mean in zip(columns, means, strict=True):
        var = sum((x - mean) ** 2 for x in col) / n
        scales.append(math.sqrt(var) or 1.0)
    # each row: 1 (the intercept), then the standardized features
    xs = [
        [1.0, *((col[i] - m) / s for col, m, s in zip(columns, means, scales, strict=True))]
        for i in range(n)
    ]
    k = len(names) + 1
    beta = [0.0] * k
    for _ in range(steps):
        grad = [0.0 if j == 0 else l2 * beta[j] for j in range(k)]
        hess = [[0.0] * k for _ in range(k)]
        for j in range(1, k):
            hess[j][j] = l2
        for x, y in zip(xs, labels, strict=True):
            p = _sigmoid(sum(b * v for b, v in zip(beta, x, strict=True)))
            err, w = p - y, max(p * (1 - p), 1e-9)
            for a in range(k):
                grad[a] += err * x[a]
                wa = w * x[a]
                row = hess[a]
                for b in range(a, k):
                    row[b] += wa * x[b]
        for a in range(k):
            for b in range(a):
                hess[a][b] = hess[b][a]
        step = _solve(hess, grad)
        beta = [b - s for b, s in zip(beta, step, strict=True)]
        if max(abs(s) for s in step) < 1e-6:
            break
    return Logistic(tuple(names), tuple(means), tuple(scales), tuple(beta[1:]), beta[0])


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """x with matrix @ x = vector (Gaussian elimination with partial pivoting)."""
    k = len(vector)
    a = [[*row, v] for row, v in zip(matrix, vector, strict=True)]
    for col in range(k):
        pivot = max(range(col, k), key=lambda r: abs(a[r][col]))
        a[col], a[pivot] = a[pivot], a[col]
        if abs(a[col][col]) < 1e-12:
            continue
        for r in range(col + 1, k):
            f = a[r][col] / a[col][col]
            if f:
                for c in range(col, k + 1):
                    a[r][c] -= f * a[col][c]
    x = [0.0] * k
    for r in range(k - 1, -1, -1):
        if abs(a[r][r]) < 1e-12:
            continue
        x[r] = (a[r][k] - sum(a[r][c] * x[c] for c in range(r + 1, k))) / a[r][r]
    return x
