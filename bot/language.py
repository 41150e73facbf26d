"""Text normalization and language detection, for questions and fact-base phrases alike.

`fold` and `tokens` turn any string (any length, any alphabet, emoji) into comparable
lower-case, accentless word tokens. `LanguageDetector` tells English from French on
short, accentless, misspelt fragments: it weighs function words (the vocabulary's
stopwords and intent cues) and the words the fact base itself uses in only one
language, and falls back to a caller-given default when the text cannot decide.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

LANGS = ("en", "fr")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "´": "'"})
_TOKEN = re.compile(r"[^\W_]+(?:[.,]\d+)?|%", re.UNICODE)
_SEPARATOR = re.compile(r"[.,]")
_ACCENTED = re.compile(r"[àâäçéèêëîïôöùûüÿœæ]")
# Thousands groups read as one number: "4 373", "355 000", "3 232,5" (a space, no-break
# or narrow no-break space, in French) and "2,000,000", "1,000,000.5" (commas, in English;
# a single ",373" is read by the tokenizer itself). One separator throughout.
_SPACED_GROUPS = re.compile(r"(?<![\d.,])\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:,\d+)?(?![\d]|[.,]\d)")
_COMMA_GROUPS = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3}){2,}(?:\.\d+)?(?![\d]|[.,]\d)")
_SPACES = re.compile(r"[ \u00a0\u202f]")
_A_YEAR = re.compile(r"^(?:19|20)\d\d$")
_DIGIT = re.compile(r"\d")
_COMMA = re.compile(",")
# a space before "?" or "!": French typography
_FRENCH_SPACING = re.compile(r"\w[ \u00a0\u202f][?!]")


def _joined(match: re.Match[str], separator: re.Pattern[str]) -> str:
    """A thousands-grouped number without its separators; "2 019" stays as typed (a
    year is never written in groups)."""
    whole = separator.sub("", match.group())
    return match.group() if _A_YEAR.match(whole) else whole


def fold(text: str) -> str:
    """Lower-case, strip accents and unify apostrophes; keep everything else."""
    if text.isascii():
        return text.lower().replace("`", "'")
    text = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    if not text.isascii():
        text = "".join(c for c in text if not unicodedata.combining(c))
    return text.lower().replace("œ", "oe").replace("æ", "ae")


def tokens(text: str) -> list[str]:
    """Word tokens of folded text: letters or digits, with a decimal part kept on numbers,
    and a number written in thousands groups ("4 373", "2,000,000") as one token."""
    return list(_tokens(text))


@lru_cache(maxsize=32768)
def _tokens(text: str) -> tuple[str, ...]:
    # building an index reads each question of the bank several times: read it once
    out = []
    if _DIGIT.search(text):
        text = _SPACED_GROUPS.sub(lambda m: _joined(m, _SPACES), text)
        text = _COMMA_GROUPS.sub(lambda m: _joined(m, _COMMA), text)
    for tok in _TOKEN.findall(fold(text)):
        if tok[0].isdigit():
            # "4,373" is a thousands separator, "3,5" a decimal comma
            out.append(re.sub(r",(?=\d{3}$)", "", tok).replace(",", "."))
        elif "." in tok or "," in tok:
            # a decimal separator glued to letters is punctuation, not part of the word
            out.extend(t for t in _SEPARATOR.split(tok) if t)
        else:
            out.append(tok)
    return tuple(out)


@lru_cache(maxsize=65536)
def stem(token: str) -> str:
    """A light stemmer shared by both languages: plural and feminine endings go."""
    if len(token) <= 3 or token[0].isdigit():
        return token
    if token.endswith(("s", "x")) and not token.endswith(("ss", "ys")):
        token = token[:-1]
    if token.endswith("ing") and len(token) >= 6:
        token = token[:-3]
    elif token.endswith("ed") and len(token) >= 6:
        token = token[:-2]
    for _ in range(2):
        if len(token) > 3 and token.endswith("e"):
            token = token[:-1]
    return token


# Sub-year periods, as words name them in either language: months ("m12"), halves
# ("h2"), quarters ("q4"). "May"/"mai" are left out: too often a verb or a name.
_MONTHS = {
    "m01": ("january", "jan", "janvier", "janv"),
    "m02": ("february", "feb", "fevrier", "fev", "fevr"),
    "m03": ("march", "mars"),
    "m04": ("april", "apr", "avril", "avr"),
    "m06": ("june", "jun", "juin"),
    "m07": ("july", "jul", "juillet", "juil"),
    "m08": ("august", "aug", "aout"),
    "m09": ("september", "sep", "septembre"),  # not "sept": seven in French
    "m10": ("october", "oct", "octobre"),
    "m11": ("november", "nov", "novembre"),
    "m12": ("december", "dec", "decembre"),
}
_PERIOD_WORDS = {word: mark for mark, words in _MONTHS.items() for word in words}
_PERIOD_WORDS.update({"h1": "h1", "s1": "h1", "h2": "h2", "s2": "h2"})
_PERIOD_WORDS.update({f"q{n}": f"q{n}" for n in range(1, 5)})
_ORDINALS = {
    "first": "1", "1st": "1", "premier": "1", "premiere": "1", "1er": "1", "1ere": "1",
    "second": "2", "seconde": "2", "2nd": "2", "deuxieme": "2", "2e": "2", "2eme": "2",
    "third": "3", "3rd": "3", "troisieme": "3", "3e": "3", "3eme": "3",
    "fourth": "4", "4th": "4", "quatrieme": "4", "4e": "4", "4eme": "4",
}  # fmt: skip
_PARTS = {"half": "h", "semester": "h", "semestre": "h", "quarter": "q", "trimestre": "q"}


def periods(text: str) -> frozenset[str]:
    """The parts of a year a text names: "December 2020" -> {"m12"}, "second half",
    "2e semestre", "H2" -> {"h2"}, "Q4", "4e trimestre" -> {"q4"}."""
    words = tokens(text)
    found = {_PERIOD_WORDS[w] for w in words if w in _PERIOD_WORDS}
    for first, second in zip(words, words[1:], strict=False):
        part = _PARTS.get(second)
        if part and first in _ORDINALS and (part == "q" or _ORDINALS[first] in "12"):
            found.add(f"{part}{_ORDINALS[first]}")
    return frozenset(found)


class LanguageDetector:
    """Tells whether a question is English or French."""

    def __init__(
        self,
        function_words: dict[str, Iterable[str]],
        corpus: dict[str, Iterable[str]],
    ) -> None:
        """`function_words`: per language, words that mark it (stopwords, cue words).
        `corpus`: per language, texts written in it (labels, definitions...)."""
        words = {
            lang: {t for w in function_words.get(lang, ()) for t in tokens(w)} for lang in LANGS
        }
        self._function: dict[str, float] = {}
        for tok in words["en"] ^ words["fr"]:
            self._function[tok] = 1.0 if tok in words["en"] else -1.0
        counts = {
            lang: Counter(stem(t) for text in corpus.get(lang, ()) for t in tokens(text))
            for lang in LANGS
        }
        self._content: dict[str, float] = {}
        for tok in set(counts["en"]) | set(counts["fr"]):
            en, fr = counts["en"][tok], counts["fr"][tok]
            ratio = math.log((en + 0.5) / (fr + 0.5))
            if abs(ratio) >= 1.0 and not tok.isdigit():
                self._content[tok] = max(-1.0, min(1.0, ratio / 3))

    def score(self, text: str) -> float:
        """Positive for English, negative for French, 0 when nothing tells."""
        total = 0.0
        for tok in tokens(text):
            if tok in self._function:
                total += self._function[tok]
            else:
                total += 0.6 * self._content.get(stem(tok), 0.0)
        total -= 0.4 * len(_ACCENTED.findall(text.lower()))
        if _FRENCH_SPACING.search(text):
            total -= 0.3
        return total

    def detect(self, text: str, default: str = "en") -> str:
        score = self.score(text)
        if score > 0.25:
            return "en"
        if score < -0.25:
            return "fr"
        return default if default in LANGS else "en"
