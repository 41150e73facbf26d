"""`Answer` -> what a person reads: plain text for the CLI, Block Kit for Slack.

Numbers are formatted with Babel for the reply's language (4,373 and 9% in English,
4 373 and 9 % in French). The first line of every reply carries the figure, or the
term and its meaning; then come the scope, the definition, the caveat (marked), any
note on the editions, related figures in one line, and the source. The interface
strings of the bot (headings, the "not covered" sentence, help) live here too.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal, format_percent

from bot.answers import Answer
from bot.knowledge import CHART_KINDS, Entry, FactBase, Range
from bot.matching import HAS_FIGURES, MAX_CHARS

LOCALES = {"en": "en_US", "fr": "fr_FR"}
MAX_DETAILS = 4  # figures listed under a lever or a category: a reply read at a glance
MAX_ITEMS = 16  # items listed by an overview (the levers, the committee...)
QUALIFIERS = {
    "en": {
        "more_than": "more than {}",
        "at_least": "at least {}",
        "about": "about {}",
        "almost": "almost {}",
    },
    "fr": {
        "more_than": "plus de {}",
        "at_least": "au moins {}",
        "about": "environ {}",
        "almost": "près de {}",
    },
}
UI: dict[str, dict[str, str]] = {
    "en": {
        "scope": "Counts",
        "what": "What it counts",
        "means": "Meaning",
        "caveat": "Caveat",
        "note": "Note",
        "related": "See also",
        "source": "Source",
        "page": "p.",
        "figures": "Figures",
        "maybe": "Not what you meant? Perhaps:",
        "unknown_near": "The Mission Report doesn't answer that; its closest topics are:",
        "unknown": (
            "The Mission Report doesn't answer that: it covers OpenClassrooms' 2020 impact, "
            "key figures (job placements, certificates, users), the five underserved categories "
            "(job seekers, low qualifications, QPV, disabilities, refugees), the four levers "
            "(awareness, funding, corporate partnerships, international), the Mission Committee "
            "and its 2021 recommendations."
        ),
        "truncated": "(Your question was long: I read its first {n} characters.)",
        "help_title": "Ask me about the OpenClassrooms Mission Report 2021 (figures for 2020).",
        "help_body": (
            "I answer with the figure, what it counts, its data caveat and where the report "
            "says it. "
            "Ask in English or French, e.g.:"
        ),
        "help_examples": (
            "how many QPV students?|what is a financed student?|how did apprentices grow from 2019 "
            "to 2020?|lever funding|category disabilities|who chairs the mission committee?"
        ),
        "help_footer": "If the report doesn't say, I tell you so: I never guess a number.",
        "share": "Share in channel",
        "shared_by": "Shared by {user}",
        "home_title": "OpenClassrooms Mission Report 2021: key figures",
        "home_intro": (
            "Figures for 2020 as the report gives them. Ask me about one to see what it counts "
            "and its caveat."
        ),
        "how_title": "How to ask",
        "how_command": (
            "`/mission <question>` in any channel: only you see the answer, and a button shares it."
        ),
        "how_mention": "Mention me in a channel: I answer in the thread.",
        "how_dm": "Or send me a direct message, in the Messages tab.",
        "examples": "Examples",
    },
    "fr": {
        "scope": "Périmètre",
        "what": "Ce qui est compté",
        "means": "Définition",
        "caveat": "Limite des données",
        "note": "Remarque",
        "related": "Voir aussi",
        "source": "Source",
        "page": "p.",
        "figures": "Chiffres",
        "maybe": "Ce n'est pas ce que vous cherchiez\u00a0? Peut-être\u00a0:",
        "unknown_near": (
            "Le Rapport de Mission ne répond pas à cette question\u00a0; "
            "les sujets les plus proches sont\u00a0:"
        ),
        "unknown": (
            "Le Rapport de Mission ne répond pas à cette question : il couvre l'impact "
            "d'OpenClassrooms en 2020, soit les chiffres clés (progressions professionnelles, "
            "certificats, utilisateurs), les cinq catégories défavorisées (demandeurs d'emploi, "
            "peu qualifiés, QPV, handicap, réfugiés), les quatre leviers (notoriété, "
            "financement, partenariats entreprises, international), le Comité de Mission "
            "et ses recommandations 2021."
        ),
        "truncated": "(Votre question était longue : j'en ai lu les {n} premiers caractères.)",
        "help_title": (
            "Posez-moi vos questions sur le Rapport de Mission OpenClassrooms 2021 (chiffres 2020)."
        ),
        "help_body": (
            "Je réponds avec le chiffre, ce qu'il compte, la limite des données et la source "
            "dans le rapport. En français ou en anglais, par exemple :"
        ),
        "help_examples": (
            "combien d'étudiants en QPV ?|c'est quoi un étudiant financé ?|"
            "évolution des alternants entre 2019 et 2020|levier financement|catégorie handicap|"
            "qui préside le comité de mission ?"
        ),
        "help_footer": (
            "Si le rapport ne le dit pas, je vous le dis : je n'invente jamais de chiffre."
        ),
        "share": "Partager dans le canal",
        "shared_by": "Partagé par {user}",
        "home_title": "Rapport de Mission OpenClassrooms 2021\u00a0: chiffres clés",
        "home_intro": (
            "Les chiffres 2020 tels que le rapport les donne. Interrogez-moi sur l'un d'eux "
            "pour voir ce qu'il compte et ses limites."
        ),
        "how_title": "Comment me poser une question",
        "how_command": (
            "`/mission <question>` dans n'importe quel canal\u00a0: vous seul voyez la réponse, "
            "un bouton la partage."
        ),
        "how_mention": "Mentionnez-moi dans un canal\u00a0: je réponds dans le fil.",
        "how_dm": "Ou envoyez-moi un message direct, dans l'onglet Messages.",
        "examples": "Exemples",
    },
}


def t(lang: str, key: str) -> str:
    return UI.get(lang, UI["en"])[key]


def colon(lang: str) -> str:
    """French typography puts a (non-breaking) space before a colon."""
    return "\u00a0: " if lang == "fr" else ": "


def _period(entry: Entry, lang: str) -> str:
    """' (2020)' after a label, unless the label already says it."""
    if entry.period is None:
        return ""
    period = entry.period.get(lang)
    if fold_text(period) in fold_text(entry.label.get(lang)):
        return ""
    return f", {period}" if "(" in period else f" ({period})"


def fold_text(text: str) -> str:
    return " ".join(text.lower().split())


def _number(value: float | int, lang: str) -> str:
    number = Decimal(str(value))
    if number == number.to_integral_value():
        number = number.quantize(Decimal(1))
    return format_decimal(number, locale=LOCALES[lang], decimal_quantization=False)


def _percent(value: float | int, lang: str, signed: bool) -> str:
    text = format_percent(
        Decimal(str(value)) / 100, locale=LOCALES[lang], decimal_quantization=False
    )
    return f"+{text}" if signed and value > 0 else text


def format_value(entry: Entry, lang: str, base: FactBase) -> str:
    """The entry's value as a reader sees it: '4,373 job placements', '9 %', 'plus de 90 ...'."""
    if entry.value is None:
        return ""
    unit = base.vocabulary.units.get(entry.unit or "")
    is_percent = bool(unit and unit.percent)
    signed = bool(unit and unit.signed)

    def one(v: float | int) -> str:
        return _percent(v, lang, signed) if is_percent else _number(v, lang)

    if isinstance(entry.value, Range):
        sep = "–" if lang == "en" else " à "
        text = f"{one(entry.value.low)}{sep}{one(entry.value.high)}"
    else:
        text = one(entry.value)
    if entry.qualifier != "exact":
        text = QUALIFIERS[lang][entry.qualifier].format(text)
    if unit and not is_percent:
        text = f"{text} {unit.name.get(lang)}"
    return text


def headline(entry: Entry, lang: str, base: FactBase) -> str:
    """The first line: the figure and what it is, or the term and what it means."""
    if entry.is_figure:
        return f"{format_value(entry, lang, base)} — {entry.label.get(lang)}{_period(entry, lang)}"
    return f"{entry.label.get(lang)}{colon(lang)}{entry.definition.get(lang)}"


def _brief(entry: Entry, lang: str, base: FactBase) -> str:
    if entry.is_figure:
        value = format_value(entry, lang, base)
        return f"{entry.label.get(lang)}{colon(lang)}{value}{_period(entry, lang)}"
    return entry.label.get(lang)


def _item(entry: Entry, lang: str, base: FactBase) -> str:
    """One item of an overview: a figure with its value, a lever or a category with its
    first two figures (an objective and its result), anything else by its name."""
    if entry.is_figure:
        return _brief(entry, lang, base)
    figures = [e for e in base.related(entry) if e.is_figure][:2]
    if figures and entry.kind in HAS_FIGURES:
        values = "; ".join(_brief(f, lang, base) for f in figures)
        return f"{entry.label.get(lang)} — {values}"
    return entry.label.get(lang)


def source_line(entry: Entry, lang: str) -> str:
    section = entry.source.section.get(lang)
    return f"{t(lang, 'source')}{colon(lang)}{section}, {t(lang, 'page')}\u00a0{entry.source.page}"


def _availability(entry: Entry, lang: str, base: FactBase) -> str:
    level = base.vocabulary.availability.get(entry.availability or "")
    return f" [{level.get(lang)}]" if level else ""


def sections(answer: Answer, base: FactBase) -> list[tuple[str, str]]:
    """The reply as (kind, text) parts; both renderers lay these out."""
    lang = answer.lang
    parts: list[tuple[str, str]] = []
    if answer.status == "unknown":
        if answer.alternatives:
            near = " · ".join(alt.label.get(lang) for alt in answer.alternatives)
            parts.append(("headline", f"{t(lang, 'unknown_near')} {near}."))
        else:
            parts.append(("headline", t(lang, "unknown")))
    elif answer.entry is not None:
        entry = answer.entry
        parts.append(("headline", headline(entry, lang, base)))
        if entry.is_figure:
            if entry.scope:
                parts.append(("scope", f"{t(lang, 'scope')}{colon(lang)}{entry.scope.get(lang)}"))
            parts.append(
                ("definition", f"{t(lang, 'what')}{colon(lang)}{entry.definition.get(lang)}")
            )
        if entry.kind in CHART_KINDS and entry.members:
            from bot.charts import bars, chart_data  # charts build on this module

            chart = chart_data(entry, lang, base)
            parts.extend(("chart", line) for line in bars(chart))
        elif entry.kind == "overview":
            for item in answer.details[:MAX_ITEMS]:
                parts.append(("detail", f"• {_item(item, lang, base)}"))
        else:
            for fig in answer.details[:MAX_DETAILS]:
                caveat = f" — {fig.caveat.get(lang)}" if fig.caveat else ""
                parts.append(("detail", f"• {_brief(fig, lang, base)}{caveat}"))
        if entry.caveat:
            level = _availability(entry, lang, base)
            caveat = entry.caveat.get(lang)
            parts.append(("caveat", f"⚠ {t(lang, 'caveat')}{level}{colon(lang)}{caveat}"))
        if entry.note:
            parts.append(("note", f"{t(lang, 'note')}{colon(lang)}{entry.note.get(lang)}"))
        if answer.related:
            briefs = " · ".join(_brief(e, lang, base) for e in answer.related)
            parts.append(("related", f"{t(lang, 'related')}{colon(lang)}{briefs}"))
        parts.append(("source", source_line(entry, lang)))
        if answer.alternatives:
            parts.append(("maybe", t(lang, "maybe")))
            for i, alt in enumerate(answer.alternatives, 1):
                parts.append(("option", f"{i}. {_brief(alt, lang, base)}"))
    if answer.truncated:
        parts.append(("truncated", t(lang, "truncated").format(n=_number(MAX_CHARS, lang))))
    return parts


def to_text(answer: Answer, base: FactBase) -> str:
    """Plain text, one part per line."""
    return "\n".join(text for _, text in sections(answer, base))


def help_text(lang: str) -> str:
    examples = "\n".join(f"  • {e}" for e in t(lang, "help_examples").split("|"))
    return f"{t(lang, 'help_title')}\n{t(lang, 'help_body')}\n{examples}\n{t(lang, 'help_footer')}"


# ---------------------------------------------------------------- Block Kit
# Plain dicts only: this module never imports Slack's SDK, the adapter posts these.

QUOTE_CHARS = 200  # how much of the question a reply quotes (and a button carries)
SECTION_CHARS = 3000  # Slack's limit for a section's text
FALLBACK_CHARS = 3000  # the notification text; the blocks carry the whole reply
KEY_FIGURES_FILE = "key_figures.yaml"


def escape(text: str) -> str:
    """Make text inert in Slack mrkdwn: no mentions, links or special commands."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fallback(text: str) -> str:
    """The `text` sent beside blocks (notifications, screen readers), escaped and capped."""
    text = escape(text)
    return text if len(text) <= FALLBACK_CHARS else text[: FALLBACK_CHARS - 1] + "…"


def action_value(entry_id: str, lang: str, question: str = "") -> str:
    """A button's value: the entry, the reply language and the start of the question
    (a quote only: without the characters Slack would read as markup)."""
    quote = question[:QUOTE_CHARS].translate({ord(c): " " for c in "<>&"})
    return f"{entry_id}|{lang}|{quote}"


def parse_action_value(value: str) -> tuple[str, str, str]:
    """(entry id, language, question) from `action_value`; the question may be empty."""
    entry_id, _, rest = value.partition("|")
    lang, _, question = rest.partition("|")
    return entry_id, lang, question


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": escape(text)[:SECTION_CHARS]}}


def _context(text: str) -> dict[str, Any]:
    """A small grey line; `text` is mrkdwn that is already escaped."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:SECTION_CHARS]}]}


def _caveat(text: str, lang: str) -> dict[str, Any]:
    """The caveat, visibly marked: its heading (warning sign, level) in bold."""
    head, sep, body = text.partition(colon(lang))
    if not sep:
        return _mrkdwn(text)
    marked = f"*{escape(head)}*{sep}{escape(body)}"
    return {"type": "section", "text": {"type": "mrkdwn", "text": marked[:SECTION_CHARS]}}


def _grouped(lines: list[str]) -> list[dict[str, Any]]:
    """Consecutive lines in as few sections as Slack's length limit allows."""
    blocks: list[dict[str, Any]] = []
    chunk = ""
    for line in (escape(x)[:SECTION_CHARS] for x in lines):
        if chunk and len(chunk) + 1 + len(line) > SECTION_CHARS:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": chunk}})
            chunk = ""
        chunk = f"{chunk}\n{line}" if chunk else line
    if chunk:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": chunk}})
    return blocks


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _button(action_id: str, text: str, value: str) -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": _clip(text, 75)},
        "value": value[:2000],
    }


def to_blocks(
    answer: Answer, base: FactBase, *, share_button: bool = False
) -> list[dict[str, Any]]:
    """Slack blocks: the figure up front, then definition, caveat, note, related, source."""
    lang = answer.lang
    parts = sections(answer, base)
    blocks: list[dict[str, Any]] = []
    question = answer.question[:QUOTE_CHARS]
    if question.strip():
        blocks.append(_context(f"> {escape(question)}"))
    details: list[str] = []  # detail lines, or the other readings offered
    bars: list[str] = []  # a series' or a breakdown's bars, kept aligned in a code block
    for kind, text in parts:
        if kind in ("detail", "option"):
            details.append(text)
            continue
        if kind == "chart":
            bars.append(escape(text))
            continue
        if bars:
            code = "```\n" + "\n".join(bars)[: SECTION_CHARS - 8] + "\n```"
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": code}})
            bars = []
        if details:
            blocks.extend(_grouped(details))
            details = []
        if kind == "headline" and answer.status == "answer":
            blocks.append(
                {"type": "section", "text": {"type": "mrkdwn", "text": f"*{escape(text)[:2900]}*"}}
            )
        elif kind in ("source", "truncated", "maybe"):
            blocks.append(_context(escape(text)))
        elif kind == "caveat":
            blocks.append(_caveat(text, lang))
        else:
            blocks.append(_mrkdwn(text))
    blocks.extend(_grouped(details))
    if answer.alternatives:
        choices = [
            _button(
                f"mission_choose_{i}",
                f"{i + 1}. {alt.label.get(lang)}",
                action_value(alt.id, lang, question),
            )
            for i, alt in enumerate(answer.alternatives[:25])
        ]
        blocks.append({"type": "actions", "block_id": "mission_choices", "elements": choices})
    if share_button and answer.status == "answer" and answer.entry is not None:
        share = _button(
            "mission_share", t(lang, "share"), action_value(answer.entry.id, lang, question)
        )
        blocks.append({"type": "actions", "block_id": "mission_share", "elements": [share]})
    return blocks[:50]


def shared_by(user_id: str, lang: str) -> dict[str, Any]:
    """The line under an answer shared in a channel; `user_id` is Slack's id, never user text."""
    safe = user_id if user_id.isalnum() else ""
    return _context(t(lang, "shared_by").format(user=f"<@{safe}>" if safe else "?"))


def _how_to_ask(lang: str) -> list[dict[str, Any]]:
    ways = "\n".join(
        f"• {escape(t(lang, key))}" for key in ("how_command", "how_mention", "how_dm")
    )
    examples = "\n".join(f"• `{escape(e)}`" for e in t(lang, "help_examples").split("|"))
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": ways}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": f"*{escape(t(lang, 'examples'))}*\n{examples}"},
        },
        _context(escape(t(lang, "help_footer"))),
    ]


def help_blocks(lang: str) -> list[dict[str, Any]]:
    """What the bot answers, how to ask it and examples, in `lang`."""
    return [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": f"*{escape(t(lang, 'help_title'))}*"},
        },
        _mrkdwn(t(lang, "help_body")),
        *_how_to_ask(lang),
    ]


def key_figures(base: FactBase, limit: int = 6) -> list[Entry]:
    """The headline figures of the key-figures file, in the file's order.

    Figures the report itself judges too vague (availability `limited`) are left out.
    """
    chosen = [
        e
        for e in base
        if e.file == KEY_FIGURES_FILE and e.is_figure and e.availability != "limited"
    ]
    return chosen[:limit]


def home_view(
    base: FactBase, lang: str, extra: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The App Home tab: key figures from the fact base (then any `extra` blocks), then how
    to ask."""
    fields = []
    for entry in key_figures(base):
        period = _period(entry, lang)
        value = escape(format_value(entry, lang, base))
        fields.append(
            {
                "type": "mrkdwn",
                "text": f"*{value}*\n{escape(entry.label.get(lang) + period)}"[:2000],
            }
        )
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": t(lang, "home_title")[:150]}},
        _context(escape(t(lang, "home_intro"))),
    ]
    for start in range(0, len(fields), 10):
        blocks.append({"type": "section", "fields": fields[start : start + 10]})
    blocks += extra or []
    blocks += [
        {"type": "divider"},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": f"*{escape(t(lang, 'how_title'))}*"},
        },
        *_how_to_ask(lang),
    ]
    return {"type": "home", "blocks": blocks}
