"""Question -> ranked fact-base entries, with the features that say how good the match is.

`Index` is built once from a `FactBase`. For every entry it keeps the canonical words
(stemmed, synonyms merged, stop words dropped) of its names (labels and aliases), of its
text (definition, scope, period) and of each example question of the question bank;
the bank's out-of-scope questions form one more class, "outside the report". Every
word has an inverse-document-frequency weight over the entries.

`Index.query` reads a question: typos and elisions are mended first (`bot.mending`), its
words are sorted into known ones, words seen only in out-of-scope questions, and words
the index has never seen (chatter, which never sinks a question), and what is asked is
recognized (a count, a share, a definition, an evolution, a person, a list, a year).

`Index.rank` scores the entries sharing a word with the question: how much of the
question an entry explains, how much of one of its names the question holds, how its
example questions use the question's words, a naive Bayes over the bank (`bot.bayes`),
and whether the kind of entry fits what is asked. `Index.match` adds the features the
abstention model weighs (`bot.abstention`) and returns a `Match` whose band says whether
to answer, answer with alternatives, or decline.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from math import log

from bot.abstention import Model
from bot.bayes import NaiveBayes
from bot.knowledge import LANGS, Entry, FactBase
from bot.language import periods, stem, tokens
from bot.mending import Mender

MAX_CHARS = 1000  # a longer question is read up to here
FIGURE_KINDS = ("figure",)
HAS_FIGURES = ("category", "lever")
# answered whole: a list of items with their headline figures (a series' or a breakdown's
# items are its members)
WHOLE_KINDS = ("overview", "series", "breakdown")
NUMERIC_KINDS = FIGURE_KINDS + HAS_FIGURES + WHOLE_KINDS  # kinds whose reply holds numbers
_YEAR = re.compile(r"^(19|20)\d\d$")
# a year as written in a question: not part of a bigger number ("2,016 students")
_YEAR_IN_TEXT = re.compile(r"(?<![\d.,])(?:19|20)\d\d(?![\d]|[.,]\d)")
# "more than 2000": a quantity, not a year
_QUANTITY_BEFORE = re.compile(
    r"(?:more|fewer|less|other) than\s+$|(?:over|about|around|nearly|almost|environ)\s+$"
    r"|(?:plus|moins|pres|près) de\s+$",
    re.IGNORECASE,
)
TYPED_INTENTS = ("list",)  # intents whose cue words are matched as typed, not stemmed
TIE_MARGIN = 0.02  # closer than this, two unrelated entries are never a "sure" answer

# Ranking weights, the shape of a match rather than any particular question: how much of
# the question an entry explains, how much of one of its names the question holds (as a
# similarity, and as the share of the name present), the kind cues below, how the entry's
# example questions use the question's words, and the naive Bayes posterior. Chosen once
# by a search over the bank's cross-validated rankings.
W_COVERAGE, W_NAME, W_FIT, W_CUES, W_USAGE, W_BAYES = 0.7, 0.6, 0.3, 1.0, 0.6, 0.1
# What is asked against the kind of entry (one weight per indicator of Index._cue_scores):
# a figure asked, and the entry is a figure / has figures / has none; a share asked, of a
# share / of a count; a count asked, of a share / of a count; a definition asked, of a
# figure / of anything else; a person, a lever, a category asked and given; an evolution
# asked of a change; the year named / another year; a list asked, of an overview / of a
# single lever or category.
# fmt: off
CUE_WEIGHTS = (
    0.06, -0.02, -0.08,
    0.12, -0.08,
    -0.08, 0.03,
    -0.08, 0.04,
    0.12, 0.06, 0.06,
    0.06,
    0.08, -0.08,
    0.25, -0.08,
)
# fmt: on
SHORTLIST = 24  # entries whose example questions are compared one by one
WHOLE_MARGIN = 0.15  # a category or lever named whole this close to one of its figures wins
TEXT_WEIGHT = 0.5  # a word found only in an entry's definition or scope counts this much
CUE_WEIGHT = 0.35  # a word that says what is asked ("share", "2019") counts this much


def _number_word(value: float) -> str:
    """A value as the tokenizer reads it in a question ("4373", "54.6"); "" for a number
    that would read as a year."""
    word = str(int(value)) if value == int(value) else str(value)
    return "" if _YEAR.match(word) else word


@dataclass(frozen=True)
class Query:
    text: str
    truncated: bool
    content: tuple[str, ...]  # words the index knows from the entries
    outside: tuple[str, ...]  # words seen only in questions the report does not answer
    unknown: tuple[str, ...]  # words the index has never seen
    cues: frozenset[str]  # words that say what is asked, years included
    intents: frozenset[str]
    years: tuple[str, ...]
    mended: int = 0  # how many typed words were mended
    periods: frozenset[str] = frozenset()  # months, halves, quarters named ("m12", "h2")


@dataclass(frozen=True)
class Candidate:
    entry: Entry
    score: float
    coverage: float  # share of the question's known words the entry explains
    example: float  # similarity to its nearest example question
    fit: float  # share of the entry's best name the question contains
    bayes: float = 0.0  # naive Bayes posterior
    held: float = 0.0  # share of its nearest example question the question holds


@dataclass(frozen=True)
class Match:
    status: str  # "answer" | "unknown"
    query: Query
    best: Candidate | None
    candidates: tuple[Candidate, ...]
    reason: str = ""
    band: str = ""  # "sure" | "plausible" | "unlikely"
    scope: float = 0.0  # P(the question is about the report)
    probability: float = 0.0  # P(the best entry is the one asked for)
    features: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class _Doc:
    entry: Entry
    names: tuple[frozenset[str], ...]  # labels first, then aliases
    words: frozenset[str]  # names and examples
    text: frozenset[str]  # definition, scope, period (minus the above)
    years: frozenset[str]
    periods: frozenset[str] = frozenset()  # the parts of a year its texts name


class Index:
    """Everything the matcher needs, computed once per fact base."""

    def __init__(self, base: FactBase, model: Model | None = None) -> None:
        self.base = base
        self._model = model
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
        self._synonym_starts = frozenset(k[0] for k in self._synonyms)
        self.mender = Mender(base)
        self._cues: dict[str, frozenset[tuple[str, ...]]] = {}
        self._typed_cues: dict[str, frozenset[tuple[str, ...]]] = {}
        for intent, per_lang in vocab.intents.items():
            if intent in TYPED_INTENTS:  # plurals matter: matched on the words as typed
                typed = (tuple(tokens(cue)) for lang in LANGS for cue in per_lang[lang])
                self._typed_cues[intent] = frozenset(c for c in typed if c)
                continue
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
        self._max_typed = max((len(c) for c in self._typed_cues.get("list", ())), default=1)

        # documents: one per entry, and the examples (entries' and out-of-scope) apart
        self._docs: list[_Doc] = []
        examples: list[tuple[int, frozenset[str]]] = []  # (entry index or -1, words)
        for i, entry in enumerate(base):
            doc, own = self._doc(entry)
            self._docs.append(doc)
            examples.extend((i, words) for words in own)
        self.known_years = frozenset(y for doc in self._docs for y in doc.years)
        # words that say what is asked and nothing of what about ("share", "meaning"):
        # the cue words no entry's name uses ("chiffres clés" is a topic)
        named = {t for doc in self._docs for phrase in doc.names for t in phrase}
        self._bare_cues = frozenset(
            c[0]
            for name, cues in self._cues.items()
            if name not in ("person", "lever", "category")
            for c in cues
            if len(c) == 1 and c[0] not in named
        )
        # the year the report is about: the one most of its figures are given for
        dated = Counter(y for doc in self._docs if doc.entry.is_figure for y in doc.years)
        report_year = dated.most_common(1)[0][0] if dated else ""
        outside_words: set[str] = set()
        for lang in LANGS:
            for question in base.out_of_scope.get(lang, ()):
                if periods(question) or set(self.years(question)) - {report_year}:
                    # out of scope by its date ("certificates in 2021", "in March 2020"),
                    # which the year and period checks decline: its other words are the
                    # report's own, and must not count as pointing outside it
                    continue
                words = frozenset(self._content(self.read(question, mend=True)))
                if words:
                    examples.append((-1, words))
                    outside_words |= words
        df: Counter[str] = Counter()
        for doc in self._docs:
            df.update(doc.words | doc.text)
        df.update(outside_words)  # the out-of-scope class counts as one document
        n = len(self._docs) + 1
        self._idf = {t: log(1 + n / c) for t, c in df.items()}
        # words a third of the entries use ("student", "train"): they name no one topic
        self._generic = frozenset(t for t, c in df.items() if c > n / 3)
        self._max_idf = max(self._idf.values(), default=1.0)
        self._known = frozenset(t for doc in self._docs for t in doc.words | doc.text)
        self._outside = frozenset(outside_words - self._known)
        self._numbers = frozenset(t for t in self._idf if t[0].isdigit())
        names = [(i, phrase) for i, doc in enumerate(self._docs) for phrase in doc.names]
        self._bayes = NaiveBayes(len(self._docs), [*examples, *names])

        # postings: word -> (entry, weight factor); -> name phrases; -> example questions
        self._entry_postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self._name_postings: dict[str, list[int]] = defaultdict(list)
        self._name_owner: list[int] = []
        self._name_weight: list[float] = []
        for i, doc in enumerate(self._docs):
            for tok in doc.words:
                self._entry_postings[tok].append((i, 1.0))
            for tok in doc.text:
                self._entry_postings[tok].append((i, TEXT_WEIGHT))
            for phrase in doc.names:
                k = len(self._name_owner)
                self._name_owner.append(i)
                self._name_weight.append(sum(self._idf[t] for t in phrase))
                for tok in phrase:
                    self._name_postings[tok].append(k)
        # how many of an entry's example questions use a word (a word its askers use)
        usage: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        n_examples: Counter[int] = Counter()
        for owner, words in examples:
            if owner >= 0:
                n_examples[owner] += 1
                for tok in words:
                    usage[tok][owner] += 1
        self._usage_postings = {
            tok: [(i, c / n_examples[i]) for i, c in per.items()] for tok, per in usage.items()
        }
        # per entry: word -> its example questions using it, and each example's weight
        self._example_postings: list[dict[str, list[int]]] = [{} for _ in self._docs]
        self._example_weight: list[list[float]] = [[] for _ in self._docs]
        self._outside_postings: dict[str, list[int]] = defaultdict(list)
        self._outside_weight: list[float] = []
        for owner, words in examples:
            size = sum(self._idf[t] for t in words)
            if owner >= 0:
                number, postings = len(self._example_weight[owner]), self._example_postings[owner]
                for tok in words:
                    postings.setdefault(tok, []).append(number)
                self._example_weight[owner].append(size)
            else:
                for tok in words:
                    self._outside_postings[tok].append(len(self._outside_weight))
                self._outside_weight.append(size)

        self._latest = {doc.entry.id: max(map(int, doc.years), default=0) for doc in self._docs}
        # entries alike for the kind cues (kind, unit, years), numbered
        alike: dict[tuple[str, str | None, frozenset[str]], int] = {}
        self._kind_of = [
            alike.setdefault((doc.entry.kind, doc.entry.unit, doc.years), len(alike))
            for doc in self._docs
        ]
        self._kinds = list(alike)
        self._docs_by_id = {doc.entry.id: doc for doc in self._docs}

    @property
    def model(self) -> Model:
        """The abstention model: the one given, else the fitted one shipped with the bot."""
        if self._model is None:
            self._model = Model.default()
        return self._model

    # ------------------------------------------------------------ reading text

    def read(self, text: str, mend: bool = False) -> list[tuple[str, bool]]:
        """(word, is_stop_word) pairs: stemmed, synonym phrases merged into their first word.

        A stop word is recognized as typed, before stemming ("donne" is not "données",
        "moi" is not "mois"); it joins a synonym only inside a longer phrase
        ("demandeurs d'emploi"). With `mend`, typos are mended first."""
        raw = tokens(text)
        if mend:
            raw = self.mender.words(raw)
        toks = [stem(t) for t in raw]
        out: list[tuple[str, bool]] = []
        i = 0
        while i < len(toks):
            stop = raw[i] in self.stop_words
            if toks[i] not in self._synonym_starts:  # no synonym phrase starts here
                out.append((toks[i], stop))
                i += 1
                continue
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
        """Topic words: no stop words; a year becomes a word of its own ("@2019"); other
        numbers ("bac+5", "30-40") only when `numbers` is None (reading the fact base) or
        holds them (a question)."""
        return tuple(
            f"@{t}" if _YEAR.match(t) else t
            for t, stop in pairs
            if not stop
            and (not t[0].isdigit() or numbers is None or t in numbers or _YEAR.match(t))
        )

    def _doc(self, entry: Entry) -> tuple[_Doc, list[frozenset[str]]]:
        labels = [entry.label.get(lang) for lang in LANGS]
        aliases = [alias for lang in LANGS for alias in entry.aliases[lang]]
        names: list[frozenset[str]] = []
        for phrase in [*labels, *aliases]:
            content = self._content(self.read(phrase))
            if content:
                names.append(frozenset(content))
        examples = []
        for lang in LANGS:
            for question in entry.examples.get(lang, ()):
                content = frozenset(self._content(self.read(question, mend=True)))
                if content:
                    examples.append(content)
        words = frozenset(t for p in [*names, *examples] for t in p)
        text: set[str] = set()
        years: set[str] = set()
        for lang in LANGS:
            for part in (entry.definition, entry.scope, entry.period):
                if part is not None:
                    text.update(self._content(self.read(part.get(lang))))
            for part in (entry.period, entry.label):
                if part is not None:
                    years.update(t for t in tokens(part.get(lang)) if _YEAR.match(t))
        # a figure quoted in a question ("the 4,373 placements") points to its entry
        text.update(number for number in map(_number_word, entry.numbers()) if number)
        named = (entry.label, entry.period, entry.definition, entry.scope, entry.caveat)
        marks = frozenset(
            mark for part in named if part is not None for lang in LANGS
            for mark in periods(part.get(lang))
        )  # fmt: skip
        doc = _Doc(entry, tuple(names), words, frozenset(text) - words, frozenset(years), marks)
        return doc, examples

    def query(self, question: str) -> Query:
        text = " ".join(question.split())
        truncated = len(text) > MAX_CHARS
        if truncated:  # cut at a word boundary, never inside a word
            text = (
                text[: MAX_CHARS + 1].rsplit(" ", 1)[0]
                if " " in text[:MAX_CHARS]
                else text[:MAX_CHARS]
            )
        typed = tokens(text)
        mended = self.mender.words(typed)
        pairs = self.read(text, mend=True)
        canon = [word for word, _ in pairs]
        years = self.years(text)
        grams = {
            tuple(canon[i : i + n])
            for n in range(1, self._max_cue + 1)
            for i in range(len(canon) - n + 1)
        }
        intents = {intent for intent, cues in self._cues.items() if not grams.isdisjoint(cues)}
        typed_grams = {
            tuple(mended[i : i + n])
            for n in range(1, self._max_typed + 1)
            for i in range(len(mended) - n + 1)
        }
        intents |= {i for i, cues in self._typed_cues.items() if not typed_grams.isdisjoint(cues)}
        words = tuple(dict.fromkeys(self._content(pairs, self._numbers)))
        content = tuple(t for t in words if t in self._known)
        outside = tuple(t for t in words if t in self._outside)
        unknown = tuple(t for t in words if t not in self._idf)
        cues = frozenset(t for t in content if t in self._cue_words or t.startswith("@"))
        if len(years) >= 2:
            intents.add("evolution")
        if intents & {"count", "share"}:
            intents.add("figure")
        changed = sum(1 for tok in typed if self.mender.mend(tok) != (tok,))
        return Query(
            text,
            truncated,
            content,
            outside,
            unknown,
            cues,
            frozenset(intents),
            years,
            changed,
            # a month, half or quarter counts next to a year only ("in March 2020", not
            # "what did the committee march for"), as typed or as mended ("decmber")
            periods(text) | periods(" ".join(mended)) if years else frozenset(),
        )

    # ------------------------------------------------------------ scoring

    def _weights(self, query: Query) -> dict[str, float]:
        """How much each known question word counts: its rarity, less for a cue word or a
        year (the kind cues weigh those)."""
        return {
            t: self._idf[t] * (CUE_WEIGHT if t in query.cues else 1.0)
            for t in (*query.content, *query.outside)
        }

    def rank(self, query: Query) -> tuple[list[Candidate], dict[str, float]]:
        """Candidates sharing a word with the question, best first, and how close the
        question is to the out-of-scope ones (nearest example, naive Bayes).

        The signals summed from postings rank every entry sharing a word; the nearest
        example is then measured for a shortlist only, and for the out-of-scope questions."""
        weights = self._weights(query)
        total = sum(weights.values())
        if not total:
            return [], {"outside": 0.0, "bayes_outside": 0.0, "held": 0.0}
        covered: dict[int, float] = defaultdict(float)
        used: dict[int, float] = defaultdict(float)
        for tok in query.content:
            weight = weights[tok]
            for i, factor in self._entry_postings[tok]:
                covered[i] += weight * factor
            for i, share in self._usage_postings.get(tok, ()):
                used[i] += weight * share
        name_hits: dict[int, float] = defaultdict(float)
        for tok in query.content:
            for k in self._name_postings[tok]:
                name_hits[k] += self._idf[tok]
        fit: dict[int, float] = defaultdict(float)
        name: dict[int, float] = defaultdict(float)
        owners, sizes = self._name_owner, self._name_weight
        for k, hit in name_hits.items():
            owner, size = owners[k], sizes[k]
            if hit / size > fit[owner]:
                fit[owner] = hit / size
            similarity = 2 * hit / (total + size)
            if similarity > name[owner]:
                name[owner] = similarity
        # unknown words lend their first letters to the naive Bayes ("apprenticeshipping")
        bayes = self._bayes.posterior((*query.content, *query.outside, *query.unknown))
        cue, kind_of = self._cue_scores(query), self._kind_of
        pre = {
            i: W_COVERAGE * cov / total
            + W_NAME * name[i]
            + W_FIT * fit[i]
            + W_CUES * cue[kind_of[i]]
            + W_USAGE * used[i] / total
            + W_BAYES * bayes[i]
            for i, cov in covered.items()
        }
        shortlist = sorted(pre, key=pre.__getitem__, reverse=True)[:SHORTLIST]
        out = []
        for i in shortlist:
            example = held = 0.0
            postings, sizes = self._example_postings[i], self._example_weight[i]
            hits: dict[int, float] = defaultdict(float)
            for tok, weight in weights.items():
                for number in postings.get(tok, ()):
                    hits[number] += weight
            for number, hit in hits.items():
                size = sizes[number]
                if 2 * hit / (total + size) > example:
                    example = 2 * hit / (total + size)
                if hit / size > held:
                    held = hit / size
            entry = self._docs[i].entry
            out.append(
                Candidate(entry, pre[i], covered[i] / total, example, fit[i], bayes[i], held)
            )
        # equal scores: the latest period first (the report is about 2020, 2019 is the baseline)
        out.sort(key=lambda c: (-round(c.score, 6), -self._latest[c.entry.id], c.entry.id))
        out = self._whole_first(query, out)
        shared: dict[int, float] = defaultdict(float)
        for tok, weight in weights.items():
            for k in self._outside_postings.get(tok, ()):
                shared[k] += weight
        outside = max(
            (2 * hit / (total + self._outside_weight[k]) for k, hit in shared.items()),
            default=0.0,
        )
        # how much of an out-of-scope question the question holds (all of it: a near miss)
        held_out = max((hit / self._outside_weight[k] for k, hit in shared.items()), default=0.0)
        bayes_outside = bayes[-1] if self._bayes.has_outside else 0.0
        return out, {"outside": outside, "bayes_outside": bayes_outside, "held": held_out}

    def _whole_first(self, query: Query, ranked: list[Candidate]) -> list[Candidate]:
        """A question that names a category or a lever whole and nothing else but words
        the whole report uses ("how many refugees did we train?") gets the category or
        lever, which answers with its main figure and names the others, when one of its
        figures ranks just above it."""
        if not ranked or ranked[0].fit >= 1.0 or not ranked[0].entry.is_figure:
            return ranked
        best = ranked[0]
        asked = {t for t in query.content if t not in query.cues}
        for c in ranked[1:]:
            if c.score < best.score - WHOLE_MARGIN:
                break
            if c.entry.kind not in HAS_FIGURES or not self._linked(c.entry, best.entry):
                continue
            names = self._docs_by_id[c.entry.id].names
            if any(asked <= phrase | self._generic for phrase in names):
                return [c, *(x for x in ranked if x is not c)]
        return ranked

    def _cue_scores(self, query: Query) -> list[float]:
        """The kind cues' score for this question of each kind of entry (numbered as in
        `_kind_of`): what is asked against the entry's kind, unit and years, one
        indicator per CUE_WEIGHTS."""
        intents = query.intents
        wants_figure = "figure" in intents
        share_only = "share" in intents and "count" not in intents
        count_only = "count" in intents and "share" not in intents
        defining = "definition" in intents and not wants_figure
        wants_list = "list" in intents
        asked_years = frozenset(query.years)
        scores = []
        for kind, unit, years in self._kinds:
            figure, has_figures = kind in FIGURE_KINDS, kind in HAS_FIGURES + WHOLE_KINDS
            is_share = unit in ("percent", "percent_change")
            dated = bool(asked_years and years)
            matched = dated and not asked_years.isdisjoint(years)
            indicators = (
                wants_figure and figure,
                wants_figure and has_figures,
                wants_figure and not figure and not has_figures,
                share_only and figure and is_share,
                share_only and figure and not is_share,
                count_only and figure and is_share,
                count_only and figure and not is_share,
                defining and figure,
                defining and not figure,
                "person" in intents and kind == "person",
                "lever" in intents and kind == "lever",
                "category" in intents and kind == "category",
                "evolution" in intents and unit == "percent_change",
                matched,
                dated and not matched,
                wants_list and kind in WHOLE_KINDS,
                wants_list and kind in HAS_FIGURES,
            )
            scores.append(sum(w for w, on in zip(CUE_WEIGHTS, indicators, strict=True) if on))
        return scores

    def features(
        self, query: Query, ranked: list[Candidate], outside: dict[str, float]
    ) -> dict[str, float]:
        """What the abstention model weighs about the best candidate."""
        best = ranked[0]
        rival = next((c for c in ranked[1:] if not self._linked(best.entry, c.entry)), None)
        weights = self._weights(query)
        total = sum(weights.values()) or 1.0
        n_words = len(query.content) + len(query.outside) + len(query.unknown)
        kind = best.entry.kind
        wants_figure = "figure" in query.intents
        doc = self._docs_by_id[best.entry.id]
        explained = doc.words | doc.text
        uncovered = [t for t in (*query.content, *query.outside) if t not in explained]
        named = {t for phrase in doc.names for t in phrase}
        return {
            "score": best.score,
            "margin": best.score - (rival.score if rival else 0.0),
            "coverage": best.coverage,
            "example": best.example,
            "fit": best.fit,
            "outside": outside["outside"],
            "outside_margin": outside["outside"] - best.example,
            "bayes": best.bayes,
            "held_margin": outside["held"] - best.held,
            "bayes_outside": outside["bayes_outside"],
            "outside_words": sum(weights[t] for t in query.outside) / total,
            "unknown_words": len(query.unknown) / max(1, n_words),
            "uncovered_max": max((self._idf[t] for t in uncovered), default=0.0) / self._max_idf,
            "named": sum(w for t, w in weights.items() if t in named) / total,
            "specific": max((self._idf[t] for t in query.content), default=0.0) / self._max_idf,
            "kind_fit": 0.0 if wants_figure and kind not in NUMERIC_KINDS else 1.0,
            "mended": query.mended / max(1, n_words),
        }

    def ruled_out(self, query: Query) -> str:
        """Why a question is declined before any ranking (a year the report doesn't cover,
        no word of the report), or "" when it is not."""
        unknown_years = [y for y in query.years if y not in self.known_years]
        if unknown_years:
            return f"year {unknown_years[0]} not covered"
        if not query.content:
            return "only words from outside the report" if query.outside else "no topic words"
        if all(t in self._bare_cues or t.startswith("@") for t in query.content):
            # "what's the meaning of life": what is asked ("meaning"), but about nothing
            # the report covers
            return "no topic words"
        return ""

    def match(self, question: str) -> Match:
        query = self.query(question)
        if reason := self.ruled_out(query):
            return Match("unknown", query, None, (), reason)
        ranked, outside = self.rank(query)
        if not ranked:
            return Match("unknown", query, None, (), "no entry shares a word")
        features = self.features(query, ranked, outside)
        band, scope, probability = self.model.decide(features)
        if band == "sure" and features["margin"] < TIE_MARGIN:
            band = "plausible"  # two unrelated readings score alike: offer the other
        shown = tuple(ranked)
        best = ranked[0]
        if band == "unlikely":
            return Match(
                "unknown",
                query,
                None,
                shown,
                "no entry fits well enough",
                band,
                scope,
                probability,
                features,
            )
        if self.wrong_period(best.entry, query):
            # never another year's number: "apprentices in 2021" when the report has 2019, 2020
            return Match(
                "unknown",
                query,
                None,
                shown,
                "not for that period",
                band,
                scope,
                probability,
                features,
            )
        return Match("answer", query, best, shown, "", band, scope, probability, features)

    def alternatives(self, match: Match, count: int = 2) -> list[Entry]:
        """Up to `count` other readings of the question (for a declined one, its closest
        topics): never an entry linked to one already offered, nor one of another year."""
        out: list[Entry] = [match.best.entry] if match.best else []
        for c in match.candidates:
            if self.wrong_period(c.entry, match.query):
                continue
            if any(c.entry is e or self._linked(e, c.entry) for e in out):
                continue
            out.append(c.entry)
            if len(out) == count + (match.best is not None):
                break
        return out[1:] if match.best else out

    def unknown_years(self, text: str) -> list[str]:
        """The years a text names that no entry of the report covers."""
        return [y for y in self.years(text) if y not in self.known_years]

    @staticmethod
    def years(text: str) -> tuple[str, ...]:
        """The years a text names: "in 2019", not "more than 2000" (a quantity)."""
        found = (
            m.group(0)
            for m in _YEAR_IN_TEXT.finditer(text)
            if not _QUANTITY_BEFORE.search(text[max(0, m.start() - 20) : m.start()])
        )
        return tuple(dict.fromkeys(found))

    def wrong_period(self, entry: Entry, query: Query) -> bool:
        """The question names years and the entry is dated, but not with any of them; or
        it names a month, half or quarter the entry's texts don't ("in March 2020", when
        the report gives the year)."""
        doc = self._docs_by_id[entry.id]
        if query.periods and not doc.periods & query.periods:
            return True
        return bool(query.years and doc.years and not doc.years & set(query.years))

    def _linked(self, a: Entry, b: Entry) -> bool:
        return b.id in a.related or a.id in b.related
