"""A multinomial naive Bayes over the classes of the question bank: which entry (or
"outside the report") a question's words point to, learnt from how staff ask.

Its features are a question's words (as the matcher reads them) and the first letters of
the longer ones, so that "habitaient" meets "habitent" and "enrolments" meets "enrolled".
The classes are the entries (trained on their example questions and their names) and,
when the bank has out-of-scope questions, one class for them.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

ALPHA = 0.1  # additive smoothing
PREFIX = 5  # letters of a word's prefix feature


def features(words: Iterable[str]) -> list[str]:
    """The words, then the prefixes of the longer ones."""
    unique = list(dict.fromkeys(words))
    return [*unique, *dict.fromkeys(f"{w[:PREFIX]}~" for w in unique if len(w) > PREFIX)]


class NaiveBayes:
    """P(class | words) over classes 0..n-1, plus -1 ("outside") when trained on it."""

    def __init__(self, n_classes: int, samples: Sequence[tuple[int, Iterable[str]]]) -> None:
        counts: dict[int, Counter[str]] = defaultdict(Counter)
        for owner, words in samples:
            counts[owner].update(features(words))
        size = len({t for c in counts.values() for t in c})
        self.classes = [*range(n_classes), *([-1] if counts.get(-1) else [])]
        self._base = [
            math.log(ALPHA) - math.log(sum(counts[c].values()) + ALPHA * size) for c in self.classes
        ]
        self._postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for k, c in enumerate(self.classes):
            for tok, n in counts[c].items():
                self._postings[tok].append((k, math.log((n + ALPHA) / ALPHA)))

    @property
    def has_outside(self) -> bool:
        return bool(self.classes) and self.classes[-1] == -1

    def posterior(self, words: Iterable[str]) -> list[float]:
        """P(class | words) in the order of `classes` (uniform when no word is known)."""
        known = [t for t in features(words) if t in self._postings]
        scores = [len(known) * b for b in self._base]
        for tok in known:
            for k, gain in self._postings[tok]:
                scores[k] += gain
        top = max(scores, default=0.0)
        exps = [math.exp(x - top) for x in scores]
        total = sum(exps) or 1.0
        return [x / total for x in exps]
