"""Question -> ranked fact-base entries: the index and the scorer.

`Index` is built once from a `FactBase`. For every entry it keeps the canonical word
tokens of its labels and aliases in both languages (stemmed, synonyms merged, stop
words dropped) and of its definition, with an inverse-document-frequency weight per
word. `Index.match` reads a question the same way, mends typos against the index's
own words (rapidfuzz), recognizes what is asked (a figure, a definition, an
evolution, a person, a lever, a category, a year), and ranks the entries sharing a
word with it. It decides nothing about wording or rendering: it returns a `Match`
whose `status` says whether one entry answers, a few compete, or none fits.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from bot.knowledge import LANGS, Entry, FactBase
from bot.language import stem, tokens

MAX_CHARS = 1000  # a longer question is read up to here
FIGURE_KINDS = ("figure",)
HAS_FIGURES = ("category", "lever")
_YEAR = re.compile(r"^(19|20)\d\d$")
# a year as written in a question: not part of a bigger number ("2,016 students")
_YEAR_IN_TEXT = re.compile(r"(?<![\d.,])(?:19|20)\d\d(?![\d]|[.,]\d)")

# Scoring weights and thresholds. They are about the shape of a match (how much of
# the question an entry explains), not about any particular question.
W_COVERAGE, W_PHRASE, W_LABEL, W_FUZZY = 0.50, 0.25, 0.10, 0.15
DEFINITION_WEIGHT = 0.35  # a word found only in an entry's definition counts this much
CUE_WEIGHT = 0.35  # a word that says what is asked ("share", "définition") counts this much
MIN_SCORE, MIN_COVERAGE, MIN_FIT = 0.42, 0.55, 0.6
TIE_MARGIN = 0.02
CHATTER_WORDS = 4  # beyond this many topic words, unknown words weigh less each


@dataclass(frozen=True)
class Query:
    text: str
    truncated: bool
    content: tuple[str, ...]
    cues: frozenset[str]
    intents: frozenset[str]
    years: tuple[str, ...]


@dataclass(frozen=True)
class Candidate:
    entry: Entry
    score: float
    coverage: float  # share of the question's words the entry explains
    fit: float  # share of the entry's best alias or label the question contains


@dataclass(frozen=True)
class Match:
    status: str  # "answer" | "ambiguous" | "unknown"
    query: Query
    best: Candidate | None
    candidates: tuple[Candidate, ...]
    reason: str = ""


@dataclass(frozen=True)
class _Doc:
    entry: Entry
    phrases: tuple[frozenset[str], ...]  # labels first, then aliases
    n_labels: int
    phrase_texts: tuple[str, ...]
    primary: frozenset[str]
    secondary: frozenset[str]
    years: frozenset[str]


class Index:
    """Everything the matcher needs, computed once per fact base."""

    def __init__(self, base: FactBase) -> None:
        self.base = base
        vocab = base.vocabulary
        self.stop_words = frozenset(
            t for lang in LANGS for w in vocab.stopwords.get(lang, ()) for t in tokens(w)
        )
        self._synonyms: dict[tuple[str, ...], str] = {}
        for group in vocab.synonyms:
            canonical = "_".join(stem(t) for t in tokens(group[0]))
            for word in group:
                key = tuple(stem(t) for t in tokens(word))
                if key:
                    self._synonyms[key] = canonical
        self._max_ngram = max((len(k) for k in self._synonyms), default=1)
        self._cues: dict[str, frozenset[tuple[str, ...]]] = {}
        for intent, per_lang in vocab.intents.items():
            canon = (tuple(self.canonical(cue)) for lang in LANGS for cue in per_lang[lang])
            self._cues[intent] = frozenset(c for c in canon if c)
        self._cue_words = {
            c[0]
            for name, cues in self._cues.items()
            if name != "person"
            for c in cues
            if len(c) == 1
        }
        self._max_cue = max((len(c) for cues in self._cues.values() for c in cues), default=1)
        self._docs = [self._doc(e) for e in base]
        df: dict[str, int] = defaultdict(int)
        for doc in self._docs:
            for tok in doc.primary | doc.secondary:
                df[tok] += 1
        n = len(self._docs)
        self._idf = {t: math.log(1 + n / c) for t, c in df.items()}
        self._unknown_weight = max(self._idf.values(), default=1.0)
        self._topic_words = frozenset(t for doc in self._docs for t in doc.primary)
        # postings: word -> entries (topic words, definition words) and -> (entry, phrase)
        self._primary_postings: dict[str, list[int]] = defaultdict(list)
        self._secondary_postings: dict[str, list[int]] = defaultdict(list)
        self._phrase_postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self._phrase_weights: list[list[float]] = []
        for i, doc in enumerate(self._docs):
            for tok in doc.primary:
                self._primary_postings[tok].append(i)
            for tok in doc.secondary:
                self._secondary_postings[tok].append(i)
            for j, phrase in enumerate(doc.phrases):
                for tok in phrase:
                    self._phrase_postings[tok].append((i, j))
            self._phrase_weights.append([sum(self._idf[t] for t in p) for p in doc.phrases])
        self._vocabulary = sorted(t for t in self._idf if not t[0].isdigit())
        self._numbers = frozenset(t for t in self._idf if t[0].isdigit())
        self.known_years = frozenset(y for doc in self._docs for y in doc.years)
        self._latest = {doc.entry.id: max(map(int, doc.years), default=0) for doc in self._docs}
        self._docs_by_id = {doc.entry.id: doc for doc in self._docs}
        self.correct = lru_cache(maxsize=4096)(self._correct)

    # ------------------------------------------------------------ reading text

    def read(self, text: str) -> list[tuple[str, bool]]:
        """(word, is_stop_word) pairs: stemmed, synonym phrases merged into their first word.

        A stop word is recognized as typed, before stemming ("donne" is not "données",
        "moi" is not "mois"); it joins a synonym only inside a longer phrase
        ("demandeurs d'emploi")."""
        raw = tokens(text)
        toks = [stem(t) for t in raw]
        out: list[tuple[str, bool]] = []
        i = 0
        while i < len(toks):
            stop = raw[i] in self.stop_words
            for size in range(min(self._max_ngram, len(toks) - i), 1 if stop else 0, -1):
                canonical = self._synonyms.get(tuple(toks[i : i + size]))
                if canonical is not None:
                    out.append((canonical, False))
                    i += size
                    break
            else:
                out.append((toks[i], stop))
                i += 1
        return out

    def canonical(self, text: str) -> list[str]:
        """Every word of `text` as the matcher sees it, stop words included."""
        return [word for word, _ in self.read(text)]

    def _content(
        self, pairs: list[tuple[str, bool]], numbers: frozenset[str] | None = None
    ) -> tuple[str, ...]:
        """Topic words: no stop words, no years; other numbers ("bac+5", "30-40") only
        when `numbers` is None (reading the fact base) or holds them (a question)."""
        return tuple(
            t
            for t, stop in pairs
            if not stop
            and not _YEAR.match(t)
            and (not t[0].isdigit() or numbers is None or t in numbers)
        )

    def _doc(self, entry: Entry) -> _Doc:
        labels = [entry.label.get(lang) for lang in LANGS]
        aliases = [alias for lang in LANGS for alias in entry.aliases[lang]]
        phrases: list[frozenset[str]] = []
        texts: list[str] = []
        n_labels = 0
        for i, phrase in enumerate([*labels, *aliases]):
            content = self._content(self.read(phrase))
            if content:
                phrases.append(frozenset(content))
                texts.append(" ".join(content))
                n_labels += i < len(labels)
        primary = frozenset(t for p in phrases for t in p)
        extra = []
        for lang in LANGS:
            for text in (entry.definition, entry.scope, entry.period):
                if text is not None:
                    extra.extend(self._content(self.read(text.get(lang))))
        years = set()
        for lang in LANGS:
            for text in (entry.period, entry.label):
                if text is not None:
                    years.update(t for t in tokens(text.get(lang)) if _YEAR.match(t))
        return _Doc(
            entry,
            tuple(phrases),
            n_labels,
            tuple(texts),
            primary,
            frozenset(extra) - primary,
            frozenset(years),
        )

    def _correct(self, token: str) -> str:
        """The index word a misspelt token stands for, or the token itself."""
        if token in self._idf or len(token) < 5:
            return token
        cutoff = 88 if len(token) <= 6 else 82
        found = process.extractOne(token, self._vocabulary, scorer=fuzz.ratio, score_cutoff=cutoff)
        return found[0] if found else token

    def query(self, question: str) -> Query:
        text = " ".join(question.split())
        truncated = len(text) > MAX_CHARS
        if truncated:  # cut at a word boundary, never inside a word
            text = (
                text[: MAX_CHARS + 1].rsplit(" ", 1)[0]
                if " " in text[:MAX_CHARS]
                else text[:MAX_CHARS]
            )
        pairs = self.read(text)
        canon = [word for word, _ in pairs]
        years = tuple(dict.fromkeys(_YEAR_IN_TEXT.findall(text)))
        grams = {
            tuple(canon[i : i + n])
            for n in range(1, self._max_cue + 1)
            for i in range(len(canon) - n + 1)
        }
        intents = {intent for intent, cues in self._cues.items() if not grams.isdisjoint(cues)}
        content = tuple(dict.fromkeys(self.correct(t) for t in self._content(pairs, self._numbers)))
        cues = frozenset(t for t in content if t in self._cue_words)
        if len(years) >= 2:
            intents.add("evolution")
        if intents & {"count", "share"}:
            intents.add("figure")
        return Query(text, truncated, content, cues, frozenset(intents), years)

    # ------------------------------------------------------------ scoring

    def _weight(self, token: str, query: Query) -> float:
        """How much a question word counts: its rarity if it names a topic (a label or
        alias word). A word found only in definitions counts less, and one the fact base
        never uses counts fully in a short question ("capital of France"); in a long,
        chatty one ("I'm preparing a deck for the board...") such words are mostly
        chatter, so their weight is shared out."""
        if token in self._topic_words:
            weight = self._idf[token]
        else:
            weight = (
                self._idf[token] * DEFINITION_WEIGHT if token in self._idf else self._unknown_weight
            )
            weight *= min(1.0, CHATTER_WORDS / len(query.content))
        return weight * CUE_WEIGHT if token in query.cues else weight

    def _rank(self, query: Query) -> list[Candidate]:
        """Score every entry sharing a word with the question, from the postings.

        The cheap parts (coverage, alias and label fit, intent bonus) are summed for all
        of them; the rapidfuzz similarity only for those it could still lift to the top."""
        weights = {t: self._weight(t, query) for t in query.content}
        total = sum(weights.values())
        covered: dict[int, float] = defaultdict(float)
        for tok, weight in weights.items():
            for i in self._primary_postings.get(tok, ()):
                covered[i] += weight
            for i in self._secondary_postings.get(tok, ()):
                covered[i] += weight * DEFINITION_WEIGHT
        hits: dict[tuple[int, int], float] = defaultdict(float)
        for tok in query.content:
            for key in self._phrase_postings.get(tok, ()):
                hits[key] += self._idf[tok]
        fit: dict[int, float] = defaultdict(float)
        label_fit: dict[int, float] = defaultdict(float)
        for (i, j), hit in hits.items():
            value = hit / self._phrase_weights[i][j]
            fit[i] = max(fit[i], value)
            if j < self._docs[i].n_labels:
                label_fit[i] = max(label_fit[i], value)
        pre = {
            i: W_COVERAGE * cov / total
            + W_PHRASE * fit[i]
            + W_LABEL * label_fit[i]
            + self._bonus(self._docs[i], query)
            for i, cov in covered.items()
        }
        if not pre:
            return []
        floor = max(pre.values()) - W_FUZZY
        joined = " ".join(query.content)
        out = []
        for i, score in pre.items():
            if score >= floor:
                best = process.extractOne(
                    joined, self._docs[i].phrase_texts, scorer=fuzz.token_set_ratio
                )
                score += W_FUZZY * (best[1] / 100 if best else 0.0)
            out.append(Candidate(self._docs[i].entry, score, covered[i] / total, fit[i]))
        return out

    @staticmethod
    def _bonus(doc: _Doc, query: Query) -> float:
        kind, intents, bonus = doc.entry.kind, query.intents, 0.0
        if "figure" in intents:
            bonus += 0.08 if kind in FIGURE_KINDS else 0.03 if kind in HAS_FIGURES else -0.12
        if kind in FIGURE_KINDS:
            is_share = doc.entry.unit in ("percent", "percent_change")
            if "share" in intents and "count" not in intents:
                bonus += 0.04 if is_share else -0.10
            if "count" in intents and "share" not in intents:
                bonus += -0.10 if is_share else 0.04
        if "definition" in intents and "figure" not in intents:
            bonus += -0.06 if kind in FIGURE_KINDS else 0.06
        if "person" in intents and kind == "person":
            bonus += 0.12
        if "lever" in intents and kind == "lever":
            bonus += 0.12
        if "category" in intents and kind == "category":
            bonus += 0.12
        if "evolution" in intents and doc.entry.unit == "percent_change":
            bonus += 0.05
        if query.years and doc.years:
            bonus += 0.08 if doc.years & set(query.years) else -0.08
        return bonus

    def match(self, question: str, limit: int = 5) -> Match:
        query = self.query(question)
        unknown_years = [y for y in query.years if y not in self.known_years]
        if unknown_years:
            return Match("unknown", query, None, (), f"year {unknown_years[0]} not covered")
        if not query.content:
            return Match("unknown", query, None, (), "no topic words")
        # equal scores: the latest period first (the report is about 2020, 2019 is the baseline)
        ranked = sorted(
            self._rank(query),
            key=lambda c: (-round(c.score, 6), -self._latest[c.entry.id], c.entry.id),
        )[:limit]
        if not ranked:
            return Match("unknown", query, None, (), "no entry shares a word")
        best = ranked[0]
        if "figure" in query.intents and best.entry.kind not in FIGURE_KINDS + HAS_FIGURES:
            # a number is asked for: only an entry that carries one can answer
            numeric = [c for c in ranked if c.entry.kind in FIGURE_KINDS + HAS_FIGURES]
            if (
                not numeric
                or numeric[0].score < best.score - 0.15
                or numeric[0].coverage < best.coverage - 0.1
            ):
                return Match("unknown", query, None, tuple(ranked), "no figure for that")
            best = numeric[0]
            ranked = [best, *[c for c in ranked if c is not best]]
        if best.score < MIN_SCORE or best.coverage < MIN_COVERAGE or best.fit < MIN_FIT:
            return Match("unknown", query, None, tuple(ranked), "no entry fits well enough")
        if self.wrong_year(best.entry, query):
            # never another year's number: "apprentices in 2021" when the report has 2019, 2020
            return Match("unknown", query, None, tuple(ranked), "not for that year")
        rivals = [
            c
            for c in ranked[1:]
            if c.score >= best.score - TIE_MARGIN and not self._linked(best.entry, c.entry)
        ]
        if rivals:
            return Match("ambiguous", query, best, tuple([best, *rivals][:3]), "close scores")
        return Match("answer", query, best, tuple(ranked))

    def wrong_year(self, entry: Entry, query: Query) -> bool:
        """The question names years and the entry is dated, but not with any of them."""
        dated = self._docs_by_id[entry.id].years
        return bool(query.years and dated and not dated & set(query.years))

    def _linked(self, a: Entry, b: Entry) -> bool:
        return b.id in a.related or a.id in b.related
