"""Mending the words of a question that the fact base doesn't use: typos, French elisions
typed without their apostrophe, two words run together.

`Mender` is built from the fact base and its question bank. Its reference is the
curated text (labels, aliases, definitions, scope, period, and the vocabulary's synonyms,
stop words and intent cues): a word found there is never changed. Another word may be:

- an elision typed without its apostrophe ("demploi", "lentreprise", "quil"): split when
  the rest is a word of the fact base, far commoner than the token;
- a typo: replaced by a word of the fact base one edit away (a swap of two neighbours is
  one edit), keeping the first letter, when that word is far commoner than the token;
- two words run together ("jobseekers"): split when the fact base writes them side by side.

A word that only out-of-scope questions use ("salary") is left alone: it points outside
the report. A word used now and then by the bank's questions is someone's wording, not a
typo, unless a far commoner word is that close. All of it works on folded, unstemmed words.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.knowledge import LANGS, FactBase
from bot.language import tokens

ELISIONS = ("qu", "l", "d", "j", "n")  # French elisions typed without their apostrophe
COMMON, MORE_COMMON = 3, 5  # a correction is seen this often, and this many times as often


class Mender:
    """Typo, elision and run-together repair against the fact base's own words."""

    def __init__(self, base: FactBase) -> None:
        vocab = base.vocabulary
        curated: set[str] = set()
        pairs: set[tuple[str, str]] = set()  # neighbouring words of the curated texts

        def add(text: str) -> None:
            words = tokens(text)
            curated.update(words)
            pairs.update(zip(words, words[1:], strict=False))

        for lang in LANGS:
            for text in vocab.stopwords.get(lang, ()):
                add(text)
            for cues in vocab.intents.values():
                for cue in cues[lang]:
                    add(cue)
        for group in vocab.synonyms:
            for word in group:
                add(word)
        inside: Counter[str] = Counter()
        for entry in base:
            for lang in LANGS:
                for text in (entry.label, entry.definition, entry.scope, entry.period):
                    if text is not None:
                        add(text.get(lang))
                for alias in entry.aliases[lang]:
                    add(alias)
                for question in entry.examples.get(lang, ()):
                    inside.update(tokens(question))
        outside = {t for lang in LANGS for q in base.out_of_scope.get(lang, ()) for t in tokens(q)}
        self._seen: Counter[str] = Counter(inside)
        self._seen.update(curated)
        self._curated = frozenset(curated)
        self._pairs = frozenset(pairs)
        # never mended: the words only out-of-scope questions use
        self._outside = frozenset(outside - set(inside) - curated)
        pool: dict[str, list[str]] = defaultdict(list)
        for word in sorted(curated):
            if word.isalpha() and len(word) >= 3:
                pool[word[0]].append(word)
        self._pool = dict(pool)
        self.mend = lru_cache(maxsize=16384)(self._mend)

    def words(self, typed: Iterable[str]) -> list[str]:
        """`typed` tokens, each mended (one token may become two)."""
        return [m for tok in typed for m in self.mend(tok)]

    def _mend(self, token: str) -> tuple[str, ...]:
        if (
            token in self._curated
            or len(token) < 4
            or not token.isalpha()
            or token in self._outside
        ):
            return (token,)
        enough = max(COMMON, MORE_COMMON * self._seen.get(token, 0))
        if len(token) >= 5:
            for prefix in ELISIONS:
                rest = token[len(prefix) :]
                if (
                    token.startswith(prefix)
                    and rest[0] in "aeiouyh"
                    and rest in self._curated
                    and self._seen[rest] >= enough
                ):
                    return (prefix, rest)
        if len(token) >= 5:
            found = [
                (word, dist)
                for word, dist, _ in process.extract(
                    token,
                    self._pool.get(token[0], ()),
                    scorer=OSA.distance,
                    score_cutoff=1,
                    limit=8,
                )
                if self._seen[word] >= enough
            ]
            if found:
                return (min(found, key=lambda f: (f[1], -self._seen[f[0]], f[0]))[0],)
        if token in self._seen:
            return (token,)  # a word of the bank's questions, not a typo of the fact base's
        for cut in range(4, len(token) - 3):
            if (token[:cut], token[cut:]) in self._pairs:
                return (token[:cut], token[cut:])
        return (token,)
