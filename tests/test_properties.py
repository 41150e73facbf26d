"""Property tests (hypothesis) of the two doors outsiders and maintainers push on.

- The fact-base loader, fed any YAML value in any field of an entry, of the file
  header, of the vocabulary or of the question bank: it either loads a base the engine
  answers from, or raises KnowledgeError listing problems as one-line
  `file:line: id: field: what`; never any other exception.
- The Slack HTTP endpoint, fed any body and headers, signed or not: 401 when not
  signed, 400 (or Bolt's 200/404) when signed; never a 500, never a traceback in the
  log, never more than one short log line per request.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_client import SECRET, Bot
from test_knowledge import GLOSSARY, KEY_FIGURES, REAL_VOCABULARY

from bot import knowledge
from bot.adapter.gate import LOG_BODY_BYTES
from bot.answers import Engine

RAW = "__raw_yaml__"  # stands for a piece of YAML text that no Python value dumps to
PROBLEM = re.compile(r"^[^\n:]+:\d+: [^\n]+: [^\n]+: [^\n]+$")

# YAML that Python values do not dump to: odd scalars, tags, anchors, deep nesting.
RAW_SNIPPETS = [
    "~",
    "yes",
    "'no'",
    "1e400",
    "-.inf",
    ".nan",
    "0x1F",
    "0o17",
    "1_000",
    "190:20:30",
    "2020-13-45",
    "2020-01-01",
    "2020-01-01T10:00:00Z",
    "9" * 5001,
    "-" + "1" * 4400,
    "1." + "5" * 5000,
    "!!binary aGVsbG8=",
    "!!set {a, b}",
    "!!omap [a: 1, b: 2]",
    "!!str 12",
    "!!int '12'",
    "!!float '1.5'",
    "&loop [*loop]",
    "&m {a: *m}",
    "[" * 60 + "]" * 60,
    "{a: {b: {c: {d: [1, [2, [3]]]}}}}",
    "[[students]]",
    '"\\u2028\\x85\\0"',
    "''",
    '" "',
    "{en: x}",
    "{en: [x], fr: [y], de: [z]}",
    "{en: 1, fr: true}",
    "{low: 1, high: 0}",
    "{low: .nan, high: 1}",
]

KEYS = st.one_of(
    st.text(max_size=8), st.integers(-5, 5), st.none(), st.booleans(), st.sampled_from(["en", "fr"])
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["", " ", "en", "fr", "students", "percent", "figure", "sample", "qpv"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=4)),
    max_leaves=12,
)
YAML_VALUES = st.one_of(VALUES, st.sampled_from(RAW_SNIPPETS).map(lambda raw: (RAW, raw)))

ENTRY_FIELDS = [
    "id",
    "kind",
    "value",
    "value.low",
    "qualifier",
    "unit",
    "period",
    "period.en",
    "scope",
    "label",
    "label.fr",
    "definition",
    "caveat",
    "availability",
    "aliases",
    "aliases.en",
    "aliases.en.0",
    "note",
    "related",
    "related.0",
    "source",
    "source.page",
    "source.section",
    "examples",
    "examples.fr",
    "a_new_field",
]
VOCABULARY_FIELDS = [
    "units",
    "units.students",
    "units.students.name",
    "units.students.name.en",
    "units.students.percent",
    "units.percent.signed",
    "units.new_unit",
    "availability",
    "availability.sample",
    "availability.sample.fr",
    "synonyms",
    "synonyms.0",
    "synonyms.0.1",
    "stopwords",
    "stopwords.en",
    "stopwords.fr.0",
    "intents",
    "intents.count",
    "intents.count.en",
    "intents.help.fr.0",
]
HEADER_FIELDS = ["section", "section.en", "page", "entries", "entries.1", "a_new_key"]
BANK_FIELDS = ["job_placements", "job_placements.en", "out_of_scope", "out_of_scope.fr.0", "zzz"]


def small_vocabulary() -> dict[str, Any]:
    """The real vocabulary, every section kept but its long word lists cut (faster)."""
    vocabulary = yaml.safe_load(REAL_VOCABULARY.read_text(encoding="utf-8"))
    vocabulary["synonyms"] = vocabulary["synonyms"][:4]
    vocabulary["stopwords"] = {lang: w[:12] for lang, w in vocabulary["stopwords"].items()}
    return vocabulary


FILES = {
    "key_figures.yaml": yaml.safe_load(KEY_FIGURES),
    "glossary.yaml": yaml.safe_load(GLOSSARY),
    "vocabulary.yaml": small_vocabulary(),
    "questions/bank.yaml": {
        "job_placements": {"en": ["how many job placements?"], "fr": ["combien de placements ?"]},
        "out_of_scope": {"en": ["what is the revenue?"], "fr": ["quel chiffre d'affaires ?"]},
    },
}
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False)


DUMPED = {name: dump(data) for name, data in FILES.items()}
TARGETS = st.one_of(
    st.tuples(
        st.just("key_figures.yaml"),
        st.integers(0, 3).flatmap(
            lambda i: st.sampled_from(ENTRY_FIELDS).map(lambda f, i=i: f"entries.{i}.{f}")
        ),
    ),
    st.tuples(st.just("vocabulary.yaml"), st.sampled_from(VOCABULARY_FIELDS)),
    st.tuples(st.just("glossary.yaml"), st.sampled_from(HEADER_FIELDS)),
    st.tuples(st.just("questions/bank.yaml"), st.sampled_from(BANK_FIELDS)),
)


def put(data: Any, path: str, value: Any) -> Any:
    """`data` with `value` at the dotted `path` (list indexes as numbers), created if absent."""
    head, _, rest = path.partition(".")
    if isinstance(data, list) and head.isdigit():
        index = min(int(head), len(data))
        data = data + [None] if index == len(data) else list(data)
        data[index] = put(data[index], rest, value) if rest else value
        return data
    data = dict(data) if isinstance(data, dict) else {}
    data[head] = put(data.get(head), rest, value) if rest else value
    return data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    changes=st.lists(st.tuples(TARGETS, YAML_VALUES), min_size=1, max_size=3),
)
def test_the_loader_reports_any_value_in_any_field_cleanly(changes):
    files = dict(FILES)  # `put` copies what it changes
    raws: dict[str, str] = {}
    for (name, path), value in changes:
        if isinstance(value, tuple):  # raw YAML, spliced in after dumping
            marker = f"{RAW}{len(raws)}"
            raws[marker] = value[1]
            value = marker
        files[name] = put(files[name], path, value)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "questions").mkdir()
        for name, data in files.items():
            text = dump(data) if data is not FILES[name] else DUMPED[name]
            for marker, raw in raws.items():
                text = text.replace(marker, raw)
            (folder / name).write_text(text, encoding="utf-8")
        try:
            base = knowledge.load(folder)
        except knowledge.KnowledgeError as exc:
            assert exc.problems
            for problem in exc.problems:
                assert PROBLEM.match(problem), problem
                assert len(problem) < 400, problem
            return
    # a base that loads is one the engine answers from, every figure a real number
    engine = Engine(base)
    for entry in base:
        assert all(abs(n) < knowledge.MAX_VALUE for n in entry.numbers())
        if entry.is_figure:
            assert entry.unit in base.vocabulary.units
            assert entry.availability in base.vocabulary.availability
    for unit in base.vocabulary.units.values():
        assert unit.percent in (True, False) and unit.signed in (True, False)
    engine.ask("how many job placements?")


# ---------------------------------------------------------------- the HTTP endpoint

SLACK_KEYS = [
    "type",
    "token",
    "team_id",
    "api_app_id",
    "event",
    "event_id",
    "authorizations",
    "enterprise",
    "is_enterprise_install",
    "command",
    "text",
    "user",
    "user_id",
    "channel",
    "trigger_id",
    "response_url",
    "actions",
    "container",
    "view",
    "challenge",
    "team",
    "bot_id",
    "subtype",
    "channel_type",
    "tab",
]
TYPES = ["event_callback", "url_verification", "block_actions", "app_mention", "message", "x"]
JSON_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(10**6), 10**6),
        st.text(max_size=12),
        st.sampled_from(TYPES + ["/mission", "U1", "T0MISSION", "im", "home"]),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(SLACK_KEYS) | st.text(max_size=6), inner, max_size=4),
    ),
    max_leaves=10,
)
SLACKISH = st.dictionaries(st.sampled_from(SLACK_KEYS), JSON_VALUES, max_size=6)
BODIES = st.one_of(
    st.binary(max_size=300),
    st.sampled_from(
        [
            b"{bad json",
            b"payload=notjson",
            b"text=\xff",
            b"payload=%7B%22type%22%3A1%7D",
            b"[1, 2]",
            b"ssl_check=1",
            b"ssl_check=1&token=x",
            b"",
            b"{}",
            b"null",
            b"1e999999",
            b"[" * 5000,
            b"command=%2Fmission&text=hi",
        ]
    ),
    SLACKISH.map(lambda d: json.dumps(d).encode()),
    SLACKISH.map(lambda d: b"payload=" + json.dumps(d).encode()),
    st.dictionaries(st.sampled_from(SLACK_KEYS), st.text(max_size=12), max_size=5).map(
        lambda d: "&".join(f"{k}={v}" for k, v in d.items()).encode("utf-8", "surrogatepass")
    ),
)
HEADER_TEXT = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E) | st.sampled_from("é١٢٣\u00a0"),
    max_size=80,
)
TIMESTAMPS = st.one_of(
    st.none(),
    HEADER_TEXT,
    st.sampled_from(["abc", "", " 1", "-1", "١٢٣٤٥٦٧٨٩٠", "9" * 30, "1e9", "0x10"]),
    st.integers(-(10**12), 10**12).map(str),
    st.integers(-400, 400).map(lambda skew: str(int(time.time()) + skew)),
)
SIGNATURES = st.one_of(
    st.none(),
    HEADER_TEXT,
    st.just("sign"),  # signed with the app's secret, correctly
    st.binary(min_size=32, max_size=32).map(lambda b: "v0=" + b.hex()),
    st.sampled_from(["v0=", "v1=00", "v0=" + "é" * 64]),
)
CONTENT_TYPES = st.sampled_from(
    ["application/json", "application/x-www-form-urlencoded", "text/plain", "", "x/y; q=1"]
)


def sign(body: bytes, timestamp: str) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(SECRET.encode(), base, hashlib.sha256).hexdigest()


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=BODIES, timestamp=TIMESTAMPS, signature=SIGNATURES, content_type=CONTENT_TYPES)
async def test_the_endpoint_answers_any_request_cleanly(
    bot: Bot, caplog, body, timestamp, signature, content_type
):
    caplog.clear()
    caplog.set_level(logging.DEBUG)
    headers: dict[str, str] = {}
    if content_type:
        headers["Content-Type"] = content_type
    if timestamp is not None:
        headers["X-Slack-Request-Timestamp"] = timestamp
    signed = signature == "sign"
    if signed:
        timestamp = str(int(time.time()))
        headers["X-Slack-Request-Timestamp"] = timestamp
        signature = sign(body, timestamp)
    if signature is not None:
        headers["X-Slack-Signature"] = signature
    async with bot.session.post(f"{bot.url}/slack/events", data=body, headers=headers) as r:
        status = r.status
        await r.read()
    is_ssl_check = b"ssl_check=1" in body and len(body) < 1024
    if signed:
        assert status in (200, 400, 404), status
    elif is_ssl_check:
        assert status in (200, 401)
    else:
        assert status == 401, status
    records = caplog.records
    assert not [r for r in records if r.levelno >= logging.ERROR or r.exc_info], caplog.text
    assert "Traceback" not in caplog.text
    if not signed:
        refusals = [r for r in records if r.name == "bot.slack"]
        assert len(refusals) <= 1
        assert all(r.levelno <= logging.WARNING for r in refusals)
        assert all(len(r.getMessage()) < 4 * LOG_BODY_BYTES + 200 for r in refusals)
        assert all("\n" not in r.getMessage() for r in refusals)
        others = [r for r in records if r.name != "bot.slack" and r.levelno >= logging.INFO]
        assert others == [], caplog.text
