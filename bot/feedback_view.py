"""What people see of the learning loop in Slack, as Block Kit dicts in English and French.

The "👍 Helpful" / "👎 Not what I asked" buttons under an answer (their value names the
logged question), the optional "what were you looking for?" modal a 👎 opens, the short
replies to a vote, and the App Home's "most asked" lately. Like `bot.render`, this
module never imports Slack's SDK; `bot.slack_app` sends what it lays out.
"""

from __future__ import annotations

from typing import Any

from bot import render
from bot.knowledge import LANGS, FactBase
from bot.store import MAX_COMMENT_CHARS

UP = "mission_feedback_up"
DOWN = "mission_feedback_down"
BLOCK_ID = "mission_feedback"
MODAL = "mission_feedback_comment"
WANTED_BLOCK = "mission_wanted"
WANTED_ACTION = "wanted"
MAX_BLOCKS = 50  # Slack's limit for one message
MOST_ASKED_DAYS = 30  # the Home tab's "most asked" looks this far back

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "up": "👍 Helpful",
        "down": "👎 Not what I asked",
        "new": "Thanks for your feedback.",
        "same": "Already noted, thanks.",
        "changed": "Your feedback is updated, thanks.",
        "unknown": "Thanks. This answer is no longer in the log, so the feedback is not kept.",
        "title": "Not what you asked?",
        "wanted": "What were you looking for? (optional)",
        "hint": "Your words help the maintainers add what is missing.",
        "send": "Send",
        "close": "Close",
        "most_asked": "Most asked in the last {days} days",
        "times": "{n} questions",
    },
    "fr": {
        "up": "👍 Utile",
        "down": "👎 Pas ce que je cherchais",
        "new": "Merci pour votre avis.",
        "same": "C'est noté, merci.",
        "changed": "Votre avis est mis à jour, merci.",
        "unknown": "Merci. Cette réponse n'est plus dans le journal : l'avis n'est pas conservé.",
        "title": "Pas la bonne réponse ?",
        "wanted": "Que cherchiez-vous ? (facultatif)",
        "hint": "Vos mots aident les mainteneurs à ajouter ce qui manque.",
        "send": "Envoyer",
        "close": "Fermer",
        "most_asked": "Les plus demandés ces {days} derniers jours",
        "times": "{n} questions",
    },
}


def t(lang: str, key: str) -> str:
    return TEXT.get(lang, TEXT["en"])[key]


def value(question_id: str, lang: str) -> str:
    """A feedback button's value, and the modal's metadata: the question and the language."""
    return f"{question_id}|{lang}"


def parse_value(raw: str) -> tuple[str, str]:
    """(question id, language) from `value`; an unknown language becomes English."""
    question_id, _, lang = raw.partition("|")
    return question_id, lang if lang in LANGS else "en"


def with_buttons(blocks: list[dict[str, Any]], question_id: str, lang: str) -> list[dict[str, Any]]:
    """An answer's blocks with the two feedback buttons at the end."""
    buttons = [
        {
            "type": "button",
            "action_id": action,
            "text": {"type": "plain_text", "text": t(lang, key), "emoji": True},
            "value": value(question_id, lang),
        }
        for action, key in ((UP, "up"), (DOWN, "down"))
    ]
    actions = {"type": "actions", "block_id": BLOCK_ID, "elements": buttons}
    return [*blocks[: MAX_BLOCKS - 1], actions]


def comment_modal(question_id: str, lang: str) -> dict[str, Any]:
    """The modal a 👎 opens: one optional text field, sent back with the question's id."""
    return {
        "type": "modal",
        "callback_id": MODAL,
        "private_metadata": value(question_id, lang),
        "title": {"type": "plain_text", "text": t(lang, "title")[:24]},
        "submit": {"type": "plain_text", "text": t(lang, "send")[:24]},
        "close": {"type": "plain_text", "text": t(lang, "close")[:24]},
        "blocks": [
            {
                "type": "input",
                "block_id": WANTED_BLOCK,
                "optional": True,
                "label": {"type": "plain_text", "text": t(lang, "wanted")},
                "hint": {"type": "plain_text", "text": t(lang, "hint")},
                "element": {
                    "type": "plain_text_input",
                    "action_id": WANTED_ACTION,
                    "multiline": True,
                    "max_length": MAX_COMMENT_CHARS,
                },
            }
        ],
    }


def wanted(view: dict[str, Any]) -> str:
    """What the modal's user typed ("" when they left it empty)."""
    values = (view.get("state") or {}).get("values") or {}
    field = (values.get(WANTED_BLOCK) or {}).get(WANTED_ACTION) or {}
    return str(field.get("value") or "")


def most_asked_blocks(
    base: FactBase, lang: str, counts: list[tuple[str, int]]
) -> list[dict[str, Any]]:
    """The Home tab's "most asked" lately (`counts`, from the last MOST_ASKED_DAYS days):
    each entry's label, figure and count."""
    lines = []
    for fact, n in counts:
        entry = base.by_id.get(fact)
        if entry is None:  # the fact base changed since
            continue
        figure = render.format_value(entry, lang, base)
        label = entry.label.get(lang) + (f": {figure}" if figure else "")
        times = t(lang, "times").format(n=n)
        lines.append(f"{len(lines) + 1}. {render.escape(label)} _({times})_")
    if not lines:
        return []
    title = render.escape(t(lang, "most_asked").format(days=MOST_ASKED_DAYS))
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{title}*\n" + "\n".join(lines)}}
    ]
