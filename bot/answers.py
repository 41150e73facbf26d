"""Question -> `Answer`: the one object every renderer and adapter works from.

`Engine` ties the pieces of the core together: it detects the reply's language,
asks the index for a match, and turns the match into an `Answer` holding the chosen
entry, the entries to show beside it, its confidence band ("sure" or "plausible"), the
other readings offered with a plausible answer (or the closest topics named when the
report doesn't answer), and whether the question was cut. It knows nothing about text
layout or Slack.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.abstention import Model
from bot.knowledge import LANGS, Entry, FactBase
from bot.language import LanguageDetector, tokens
from bot.matching import HAS_FIGURES, MAX_CHARS, WHOLE_KINDS, Index, Match

# a declined question names its two closest entries when it is at least this likely to be
# about the report (a near miss), never for one plainly about something else
NEAR_SCOPE = 0.3
# a series or a breakdown scoring this close to one of its own figures answers instead
CHART_MARGIN = 0.1


@dataclass(frozen=True)
class Answer:
    question: str
    lang: str
    status: str  # "answer" | "unknown"
    entry: Entry | None = None
    related: tuple[Entry, ...] = ()
    alternatives: tuple[Entry, ...] = ()
    truncated: bool = False
    intents: tuple[str, ...] = ()
    score: float | None = None
    reason: str = ""
    details: tuple[Entry, ...] = field(default=())
    confidence: str = ""  # "sure" | "plausible" for an answer

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "lang": self.lang,
            "status": self.status,
            "fact": self.entry.id if self.entry and self.status == "answer" else None,
            "alternatives": [e.id for e in self.alternatives],
            "related": [e.id for e in self.related],
            "intents": list(self.intents),
            "score": round(self.score, 3) if self.score is not None else None,
            "truncated": self.truncated,
            "reason": self.reason,
            "confidence": self.confidence or None,
        }


class Engine:
    """The question engine over one validated fact base."""

    def __init__(
        self, base: FactBase, model: Model | None = None, index: Index | None = None
    ) -> None:
        """`index`: one already built over `base` (the cross-validation builds one per fold)."""
        self.base = base
        self.index = index if index is not None else Index(base, model)
        vocab = base.vocabulary
        function_words = {
            lang: [
                *vocab.stopwords.get(lang, ()),
                *(w for cues in vocab.intents.values() for w in cues[lang]),
            ]
            for lang in LANGS
        }
        corpus: dict[str, list[str]] = {lang: [] for lang in LANGS}
        for entry in base:
            for lang in LANGS:
                for text in (entry.label, entry.definition, entry.caveat, entry.scope):
                    if text is not None:
                        corpus[lang].append(text.get(lang))
                corpus[lang].extend(entry.examples.get(lang, ()))
        for lang in LANGS:
            corpus[lang].extend(base.out_of_scope.get(lang, ()))
        self.detector = LanguageDetector(function_words, corpus)
        cues = vocab.intents.get("help", {})
        self._help_words = {t for lang in LANGS for cue in cues.get(lang, ()) for t in tokens(cue)}

    def language(self, text: str, default: str = "en") -> str:
        return self.detector.detect(text, default)

    def is_help(self, text: str) -> bool:
        """A request for help: no words at all ("", "?"), or only help words and stop words
        ("help?", "aidez-moi", "help me please"). "help with QPV" is a question."""
        words = set(tokens(text)) - {"%"}
        return not words or (
            bool(words & self._help_words) and words <= self._help_words | self.index.stop_words
        )

    def ask(self, question: str, lang: str | None = None, default_lang: str = "en") -> Answer:
        """Answer `question`; `lang` forces the reply language, `default_lang` only breaks ties."""
        question = question if isinstance(question, str) else str(question)
        reply_lang = lang if lang in LANGS else self.language(question[:MAX_CHARS], default_lang)
        match = self.index.match(question)
        return self.answer(question, reply_lang, match)

    def answer_fact(self, entry_id: str, lang: str, question: str = "") -> Answer:
        """The answer for one known entry (a button press, a shortcut)."""
        entry = self.base.by_id.get(entry_id)
        if entry is None:
            return Answer(question, lang, "unknown", reason=f"no entry {entry_id}")
        return self._for_entry(question or entry.label.get(lang), lang, entry, (), None)

    def answer(self, question: str, lang: str, match: Match) -> Answer:
        """The reply to `question` in `lang` for a match already made."""
        query = match.query
        common: dict[str, Any] = {
            "truncated": query.truncated,
            "intents": tuple(sorted(query.intents)),
            "reason": match.reason,
        }
        if match.status == "unknown" or match.best is None:
            # the closest topics are named only for a near miss
            near = tuple(self.index.alternatives(match)) if match.scope >= NEAR_SCOPE else ()
            return Answer(question, lang, "unknown", alternatives=near, **common)
        entry = match.best.entry
        if entry.is_figure:
            entry = self._chart_for(entry, match)
        wants_whole = bool({"lever", "category", "definition"} & query.intents)
        main: Entry | None = None
        if entry.kind in HAS_FIGURES and not wants_whole:
            # "how many refugees?": the main figure answers, the others are mentioned
            figures = [e for e in self.base.related(entry) if e.is_figure]
            if figures:
                main = _main_figure(figures, query.intents)
                if self.index.wrong_period(main, query):
                    common["reason"] = "not for that period"
                    return Answer(question, lang, "unknown", **common)
        common["score"] = match.best.score
        common["confidence"] = match.band
        if match.band == "plausible":
            others = self.index.alternatives(match)
            common["alternatives"] = tuple(e for e in others if e is not entry)
        if main is not None:
            others = [e for e in self.base.related(main) if e is not entry]
            siblings = [f for f in self.base.related(entry) if f.is_figure and f is not main]
            mentions = tuple(dict.fromkeys([*siblings, *others]))
            return Answer(question, lang, "answer", main, mentions[:4], **common)
        return self._for_entry(question, lang, entry, query.intents, common)

    def _chart_for(self, figure: Entry, match: Match) -> Entry:
        """The series or breakdown that answers for one of its figures: asked of an
        evolution ("how did the share of women change"), or ranked about as high as the
        figure itself ("job seekers men women non binary")."""
        charts = self.base.charts_of(figure)
        if not charts:
            return figure
        if "evolution" in match.query.intents:
            series = [c for c in charts if c.kind == "series"]
            if series:
                return series[0]
        best = match.best.score if match.best else 0.0
        for candidate in match.candidates:
            if candidate.score < best - CHART_MARGIN:
                break
            if candidate.entry in charts:
                return candidate.entry
        return figure

    def _for_entry(
        self,
        question: str,
        lang: str,
        entry: Entry,
        intents: frozenset[str] | tuple[str, ...],
        common: dict[str, Any] | None = None,
    ) -> Answer:
        related = tuple(self.base.related(entry))
        details: tuple[Entry, ...] = ()
        if entry.kind in WHOLE_KINDS:
            details = tuple(self.base.members(entry)) if entry.members else related
            related = ()
        elif entry.kind in HAS_FIGURES:
            details = tuple(e for e in related if e.is_figure)
            related = tuple(e for e in related if not e.is_figure)
        extra = common or {"intents": tuple(sorted(intents))}
        return Answer(question, lang, "answer", entry, related[:4], details=details, **extra)


def _main_figure(figures: list[Entry], intents: frozenset[str]) -> Entry:
    """The figure that answers for a category or a lever: its first, unless the question
    asks for a share (the first percentage) or a count (the first that isn't one)."""
    share = [f for f in figures if f.unit in ("percent", "percent_change")]
    if "share" in intents and "count" not in intents and share:
        return share[0]
    counts = [f for f in figures if f not in share]
    if "count" in intents and "share" not in intents and counts:
        return counts[0]
    return figures[0]
