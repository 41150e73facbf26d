"""The fact base: loading and validating `knowledge/*.yaml` into immutable entries.

This module owns the schema of the YAML files and nothing else. It reads every file
with the YAML safe loader, checks every entry, and either returns a complete
`FactBase` or raises `KnowledgeError` listing every problem as
`file:line: entry id: field: what is wrong`. Nothing half-loaded ever escapes.

Three kinds of files live in the folder:
- fact files, with a `section`, a `page` and a list of `entries`;
- `vocabulary.yaml`, with the units, the availability levels and the synonyms
  (the words the matcher treats as one), so staff extend them without code;
- the question bank, `questions/*.yaml`: example questions per entry id
  (`id: {en: [...], fr: [...]}`), and under `out_of_scope` questions the report does
  not answer. The matcher learns from both. An entry may also carry its own
  `examples: {en: [...], fr: [...]}`.
"""

from __future__ import annotations

import json
import math
import reprlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from bot.language import tokens

LANGS: tuple[str, str] = ("en", "fr")
KINDS: tuple[str, ...] = (
    "figure",
    "definition",
    "person",
    "category",
    "lever",
    "commitment",
    "recommendation",
    "overview",
    "series",
    "breakdown",
)
CHART_KINDS: tuple[str, ...] = ("series", "breakdown")  # kinds that group figures by `members`
QUALIFIERS: tuple[str, ...] = ("exact", "more_than", "at_least", "about", "almost")
UNIT_FLAGS: tuple[str, ...] = ("percent", "signed")
MAX_VALUE = 10**15  # no figure of the report comes near; a bigger one is a typo
MAX_PAGE = 9999
VOCABULARY_FILE = "vocabulary.yaml"
QUESTIONS_DIR = "questions"
OUT_OF_SCOPE = "out_of_scope"  # the bank's key for questions the report does not answer
# A checkout (or an editable install) reads knowledge/ beside bot/; an installed wheel
# carries the same files as bot/knowledge_files.
_CHECKOUT_DIR = Path(__file__).resolve().parent.parent / "knowledge"
DEFAULT_DIR = (
    _CHECKOUT_DIR if _CHECKOUT_DIR.is_dir() else Path(__file__).resolve().parent / "knowledge_files"
)


@dataclass(frozen=True)
class Text:
    """A short text in both languages."""

    en: str
    fr: str

    def get(self, lang: str) -> str:
        return self.fr if lang == "fr" else self.en

    def as_dict(self) -> dict[str, str]:
        return {"en": self.en, "fr": self.fr}


@dataclass(frozen=True)
class Range:
    """A value the report gives as a range, such as 300-400K."""

    low: float
    high: float

    def as_dict(self) -> dict[str, float]:
        return {"low": self.low, "high": self.high}


Value = float | int | Range | None


@dataclass(frozen=True)
class Source:
    section: Text
    page: int

    def as_dict(self) -> dict[str, Any]:
        return {"section": self.section.as_dict(), "page": self.page}


@dataclass(frozen=True, eq=False)
class Entry:
    """One figure or one definition of the report, with everything said about it.

    Entries compare and hash by identity: ids are unique within a fact base."""

    id: str
    kind: str
    label: Text
    definition: Text
    aliases: dict[str, tuple[str, ...]]
    source: Source
    file: str
    line: int
    value: Value = None
    qualifier: str = "exact"
    unit: str | None = None
    period: Text | None = None
    scope: Text | None = None
    caveat: Text | None = None
    availability: str | None = None
    note: Text | None = None
    related: tuple[str, ...] = ()
    examples: dict[str, tuple[str, ...]] = field(default_factory=dict)
    members: tuple[str, ...] = ()  # a series' or a breakdown's figures, in order

    @property
    def is_figure(self) -> bool:
        return self.kind == "figure"

    def numbers(self) -> list[float]:
        """The numbers this entry's value holds (none for definitions)."""
        if isinstance(self.value, Range):
            return [self.value.low, self.value.high]
        if self.value is None:
            return []
        return [float(self.value)]

    def as_dict(self) -> dict[str, Any]:
        value: Any = self.value.as_dict() if isinstance(self.value, Range) else self.value
        return {
            "id": self.id,
            "kind": self.kind,
            "value": value,
            "qualifier": self.qualifier,
            "unit": self.unit,
            "period": self.period.as_dict() if self.period else None,
            "scope": self.scope.as_dict() if self.scope else None,
            "label": self.label.as_dict(),
            "definition": self.definition.as_dict(),
            "caveat": self.caveat.as_dict() if self.caveat else None,
            "aliases": {lang: list(self.aliases[lang]) for lang in LANGS},
            "note": self.note.as_dict() if self.note else None,
            "availability": self.availability,
            "related": list(self.related),
            "examples": {lang: list(self.examples.get(lang, ())) for lang in LANGS},
            "members": list(self.members),
            "source": self.source.as_dict(),
            "file": self.file,
        }


@dataclass(frozen=True)
class Unit:
    id: str
    name: Text
    percent: bool = False
    signed: bool = False
    measures: str = ""  # what it counts, shared by units one chart may hold ("people")

    @property
    def measure(self) -> str:
        return self.measures or self.id


@dataclass(frozen=True)
class Vocabulary:
    """Units, availability levels and synonym groups shared by every fact file."""

    units: dict[str, Unit]
    availability: dict[str, Text]
    synonyms: tuple[tuple[str, ...], ...]
    stopwords: dict[str, tuple[str, ...]] = field(default_factory=dict)
    intents: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)


@dataclass(frozen=True)
class FactBase:
    entries: tuple[Entry, ...]
    vocabulary: Vocabulary
    by_id: dict[str, Entry] = field(repr=False)
    out_of_scope: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, entry_id: str) -> Entry:
        return self.by_id[entry_id]

    def related(self, entry: Entry) -> list[Entry]:
        return [self.by_id[r] for r in entry.related]

    def members(self, entry: Entry) -> list[Entry]:
        """The figures of a series or a breakdown, in order."""
        return [self.by_id[m] for m in entry.members]

    def charts_of(self, entry: Entry) -> list[Entry]:
        """The series and breakdowns that hold `entry` among their members."""
        return [e for e in self.entries if entry.id in e.members]

    def to_json(self, ascii_only: bool = False) -> str:
        """Every entry as one JSON list; `ascii_only` escapes every non-ASCII character."""
        return json.dumps([e.as_dict() for e in self.entries], ensure_ascii=ascii_only, indent=2)

    def summary(self) -> dict[str, dict[str, int]]:
        """Entries counted by file, then by kind."""
        out: dict[str, dict[str, int]] = {}
        for entry in self.entries:
            kinds = out.setdefault(entry.file, {})
            kinds[entry.kind] = kinds.get(entry.kind, 0) + 1
        return out


class KnowledgeError(Exception):
    """The fact base is invalid; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))

    def report(self) -> str:
        """What a command prints before refusing to start."""
        lines = "".join(f"\n  {problem}" for problem in self.problems)
        return f"The fact base is invalid; nothing was loaded:{lines}"


# ---------------------------------------------------------------- parsing


class Unreadable:
    """A YAML scalar Python cannot turn into a value (an integer of 5,000 digits, the
    date 2020-13-45): kept as this marker, so the field it is in is reported."""

    def __init__(self, what: str) -> None:
        self.what = what

    def __repr__(self) -> str:
        return self.what


# libyaml's safe loader when the machine has it (several times faster), else pure Python.
class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The safe loader, with integers and dates Python refuses kept as `Unreadable`."""


def _tolerant(tag: str, what: str) -> None:
    construct = _Loader.yaml_constructors[tag]

    def construct_or_mark(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
        try:
            return construct(loader, node)
        except (ValueError, OverflowError):
            size = len(str(node.value))
            return Unreadable(f"an unreadable {what} of {size:,} characters")

    _Loader.add_constructor(tag, construct_or_mark)


_tolerant("tag:yaml.org,2002:int", "number")
_tolerant("tag:yaml.org,2002:float", "number")
_tolerant("tag:yaml.org,2002:timestamp", "date")


def shown(value: Any, limit: int = 60) -> str:
    """A short, one-line picture of any YAML value, for a problem line."""
    short = reprlib.Repr()
    short.maxlevel, short.maxstring, short.maxother, short.maxlong = 2, limit, limit, limit
    short.maxlist = short.maxdict = short.maxset = short.maxtuple = 4
    return short.repr(value)


def _name(value: Any) -> str:
    """A key or an id as it appears in a problem line: itself if plain, else `shown`."""
    text = str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None
    if text and len(text) <= 60 and text.isprintable() and not any(c.isspace() for c in text):
        return text
    return shown(value)


@dataclass
class _Doc:
    """One parsed YAML file with the line of every mapping key."""

    name: str
    data: Any
    node: yaml.Node | None


def _parse(path: Path, problems: list[str], name: str | None = None) -> _Doc | None:
    name = name or path.name
    try:
        raw = path.read_bytes()
    except OSError as exc:
        problems.append(f"{name}:1: -: file: cannot be read ({exc.strerror or exc})")
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        problems.append(f"{name}:{line}: -: file: not UTF-8 text (byte {exc.start + 1})")
        return None
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        problems.append(f"{name}:{line}: -: yaml: {problem}")
        return None
    except RecursionError:
        problems.append(f"{name}:1: -: yaml: nested too deeply")
        return None
    finally:
        loader.dispose()
    before = len(problems)
    _duplicate_keys(name, node, "-", "", problems, set())
    return _Doc(name, data, node) if len(problems) == before else None


def _duplicate_keys(
    name: str,
    node: yaml.Node | None,
    entry_id: str,
    path: str,
    problems: list[str],
    visited: set[int],
) -> None:
    """Report every key written twice in a mapping: YAML would silently keep the last.

    A node reached again through an alias (`*name`) is not walked twice."""
    if id(node) in visited:
        return
    visited.add(id(node))
    if isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _duplicate_keys(name, item, entry_id, path, problems, visited)
    elif isinstance(node, yaml.MappingNode):
        ids = [v.value for k, v in node.value if k.value == "id" and isinstance(v, yaml.ScalarNode)]
        entry_id = _name(ids[0]) if ids else entry_id
        seen: dict[str, int] = {}
        for key, value in node.value:
            key_name = _name(key.value) if isinstance(key, yaml.ScalarNode) else "?"
            field_path = f"{path}.{key_name}" if path else key_name
            line = key.start_mark.line + 1
            if key_name in seen:
                problems.append(
                    f"{name}:{line}: {entry_id}: {field_path}: "
                    f"duplicate key (first at line {seen[key_name]})"
                )
            else:
                seen[key_name] = line
            inner = "" if key_name == "entries" else field_path
            _duplicate_keys(name, value, entry_id, inner, problems, visited)


def _key_lines(node: yaml.Node | None) -> dict[str, int]:
    """Line (1-based) of each key of a mapping node."""
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(k.value): k.start_mark.line + 1 for k, _ in node.value}


def _child(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for k, v in node.value:
        if k.value == key:
            return v
    return None


_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"


class _Checker:
    """Collects problems for one entry, naming file, line, entry and field."""

    def __init__(
        self, file: str, entry_id: str, line: int, lines: dict[str, int], out: list[str]
    ) -> None:
        self.file, self.entry_id, self.line, self.lines, self.out = (
            file,
            entry_id,
            line,
            lines,
            out,
        )

    def fail(self, fld: str, what: str, line: int | None = None) -> None:
        line = line or self.lines.get(fld.split(".")[0], self.line)
        self.out.append(f"{self.file}:{line}: {self.entry_id}: {fld}: {what}")

    def unknown_fields(
        self, raw: Mapping[Any, Any], node: yaml.Node | None, known: set[str]
    ) -> None:
        """Report every key that is not a known field name: a typo, a number (`1:`), `~`..."""
        if isinstance(node, yaml.MappingNode):
            for key, _ in node.value:
                if key.tag == _MERGE_TAG:
                    continue  # `<<: *defaults` adds the fields of another mapping
                plain = isinstance(key, yaml.ScalarNode) and key.tag == _STR_TAG
                if not plain or key.value not in known:
                    name = _name(key.value) if isinstance(key, yaml.ScalarNode) else "?"
                    self.fail(name, "unknown field", key.start_mark.line + 1)
        else:
            for name in sorted(_name(k) for k in raw if k not in known):
                self.fail(name, "unknown field")

    def text(self, raw: Mapping[str, Any], fld: str, required: bool = True) -> Text | None:
        value = raw.get(fld)
        if value is None:
            if required:
                self.fail(fld, "missing (needs en and fr)")
            return None
        if not isinstance(value, Mapping):
            self.fail(fld, "must have an en and a fr text")
            return None
        ok = True
        for lang in LANGS:
            item = value.get(lang)
            if item is None or (isinstance(item, str) and not item.strip()):
                self.fail(f"{fld}.{lang}", "missing or empty")
                ok = False
            elif isinstance(item, bool) or not isinstance(item, (str, int, float)):
                self.fail(f"{fld}.{lang}", "must be text")
                ok = False
        extra = [_name(k) for k in value if k not in LANGS]
        if extra:
            self.fail(fld, f"unknown language(s) {', '.join(sorted(extra))}")
            ok = False
        if not ok:
            return None
        return Text(str(value["en"]).strip(), str(value["fr"]).strip())


def _number(raw: Any) -> float | int | None:
    """A number a figure can hold: finite, and smaller than MAX_VALUE either way."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        return None
    if isinstance(raw, float) and not math.isfinite(raw):
        return None
    return raw if -MAX_VALUE < raw < MAX_VALUE else None


def _not_a_number(raw: Any) -> str:
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return f"{shown(raw)} cannot be a figure (not finite, or {MAX_VALUE:.0e} or more)"
    return f"must be a number or a low/high range, not {shown(raw)}"


_ENTRY_FIELDS = {
    "id",
    "kind",
    "value",
    "qualifier",
    "unit",
    "period",
    "scope",
    "label",
    "definition",
    "caveat",
    "availability",
    "aliases",
    "note",
    "related",
    "source",
    "examples",
    "members",
}


def _entry(
    doc: _Doc,
    index: int,
    raw: Any,
    node: yaml.Node | None,
    default_source: Source | None,
    vocab: Vocabulary | None,
    problems: list[str],
) -> Entry | None:
    line = node.start_mark.line + 1 if node is not None else 1
    if not isinstance(raw, Mapping):
        problems.append(f"{doc.name}:{line}: entry #{index + 1}: -: must be a mapping of fields")
        return None
    entry_id = raw.get("id")
    label = _name(entry_id) if isinstance(entry_id, str) and entry_id else f"entry #{index + 1}"
    check = _Checker(doc.name, label, line, _key_lines(node), problems)
    before = len(problems)
    if entry_id is None or (isinstance(entry_id, str) and not entry_id.strip()):
        check.fail("id", "missing")
    elif not isinstance(entry_id, str):
        check.fail("id", f"must be text (lower-case letters, digits and _), not {shown(entry_id)}")
    elif not all(c.isalnum() or c == "_" for c in entry_id) or entry_id.lower() != entry_id:
        check.fail("id", "use lower-case letters, digits and _ only")
    check.unknown_fields(raw, node, _ENTRY_FIELDS)

    kind = raw.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        check.fail("kind", f"must be one of {', '.join(KINDS)}")
    is_figure = kind == "figure"

    text_fields = {
        "label": check.text(raw, "label"),
        "definition": check.text(raw, "definition"),
        "period": check.text(raw, "period", required=is_figure),
        "scope": check.text(raw, "scope", required=is_figure),
        "caveat": check.text(raw, "caveat", required=is_figure),
        "note": check.text(raw, "note", required=False),
    }

    value: Value = None
    raw_value = raw.get("value")
    if is_figure:
        if isinstance(raw_value, Mapping):
            low, high = _number(raw_value.get("low")), _number(raw_value.get("high"))
            if low is None or high is None or set(raw_value) != {"low", "high"}:
                check.fail("value", "a range needs numeric low and high only")
            elif low > high:
                check.fail("value", "low is greater than high")
            else:
                value = Range(low, high)
        elif _number(raw_value) is None:
            check.fail("value", _not_a_number(raw_value))
        else:
            value = _number(raw_value)
    elif raw_value is not None:
        check.fail("value", f"only figures carry a value (kind is {kind})")

    qualifier = raw.get("qualifier", "exact")
    if not isinstance(qualifier, str) or qualifier not in QUALIFIERS:
        check.fail("qualifier", f"must be one of {', '.join(QUALIFIERS)}")

    unit = raw.get("unit")
    if is_figure and unit is None:
        check.fail("unit", "missing")
    elif not isinstance(unit, str | None):
        check.fail("unit", f"must be one unit of {VOCABULARY_FILE}, not {shown(unit)}")
    elif unit is not None and vocab is not None and unit not in vocab.units:
        check.fail("unit", f"unknown unit {shown(unit)} (add it to {VOCABULARY_FILE})")

    availability = raw.get("availability")
    if is_figure and availability is None:
        check.fail("availability", "missing")
    elif not isinstance(availability, str | None) or (
        availability is not None and vocab is not None and availability not in vocab.availability
    ):
        levels = ", ".join(vocab.availability) if vocab else f"a level of {VOCABULARY_FILE}"
        check.fail("availability", f"must be one of {levels}")

    aliases: dict[str, tuple[str, ...]] = {}
    raw_aliases = raw.get("aliases")
    if not isinstance(raw_aliases, Mapping):
        check.fail("aliases", "missing (needs an en and a fr list)")
    else:
        for lang in LANGS:
            items = raw_aliases.get(lang)
            if not isinstance(items, list) or not items:
                check.fail(f"aliases.{lang}", "needs a non-empty list")
                continue
            bad = [
                i
                for i in items
                if isinstance(i, bool) or not isinstance(i, (str, int)) or not str(i).strip()
            ]
            if bad:
                check.fail(f"aliases.{lang}", f"empty or non-text alias {shown(bad[0])}")
                continue
            aliases[lang] = tuple(str(i).strip() for i in items)

    examples = _question_lists(raw.get("examples"), check, "examples")

    members = raw.get("members", [])
    if kind in CHART_KINDS:
        if not isinstance(members, list) or len(members) < 2:
            check.fail("members", "needs a list of two figure ids or more")
            members = []
        elif not all(isinstance(m, str) for m in members):
            check.fail("members", "must be a list of entry ids")
            members = []
        elif len(set(members)) != len(members):
            check.fail("members", "names a figure twice")
            members = []
    elif "members" in raw:
        check.fail("members", f"only a series or a breakdown has members (kind is {kind})")
        members = []

    related = raw.get("related", [])
    if not isinstance(related, list) or not all(isinstance(r, str) for r in related):
        check.fail("related", "must be a list of entry ids")
        related = []

    source = default_source
    raw_source = raw.get("source")
    if raw_source is not None:
        source = _source(raw_source, check)
    elif source is None:
        check.fail("source", "missing (no section/page at the top of the file either)")

    if len(problems) > before:
        return None
    assert source is not None
    return Entry(
        id=entry_id,
        kind=kind,
        label=text_fields["label"],  # type: ignore[arg-type]
        definition=text_fields["definition"],  # type: ignore[arg-type]
        aliases=aliases,
        source=source,
        file=doc.name,
        line=line,
        value=value,
        qualifier=qualifier,
        unit=unit,
        period=text_fields["period"],
        scope=text_fields["scope"],
        caveat=text_fields["caveat"],
        availability=availability,
        note=text_fields["note"],
        related=tuple(related),
        examples=examples,
        members=tuple(members),
    )


def _question_lists(raw: Any, check: _Checker, fld: str) -> dict[str, tuple[str, ...]]:
    """`{en: [...], fr: [...]}` of questions (either list may be left out)."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        check.fail(fld, "must have an en and/or a fr list of questions")
        return {}
    out: dict[str, tuple[str, ...]] = {}
    for key in raw:
        if key not in LANGS:
            check.fail(f"{fld}.{_name(key)}", "unknown language (use en and fr)")
    for lang in LANGS:
        items = raw.get(lang)
        if items is None:
            continue
        if not isinstance(items, list):
            check.fail(f"{fld}.{lang}", "must be a list of questions")
            continue
        bad = [i for i in items if not isinstance(i, str) or not tokens(i)]
        if bad:
            check.fail(f"{fld}.{lang}", f"not a question: {shown(bad[0])}")
            continue
        out[lang] = tuple(" ".join(i.split()) for i in items)
    return out


def _bank_file(
    doc: _Doc, known: Mapping[str, Any], problems: list[str]
) -> dict[str, dict[str, tuple[str, ...]]]:
    """One file of the question bank: entry id (or `out_of_scope`) -> questions per language."""
    name = doc.name
    if not isinstance(doc.data, Mapping):
        problems.append(f"{name}:1: -: -: must map entry ids to {{en: [...], fr: [...]}}")
        return {}
    lines = _key_lines(doc.node)
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for key, raw in doc.data.items():
        line = lines.get(_name(key), 1)
        check = _Checker(name, _name(key), line, {}, problems)
        if not isinstance(key, str) or (key != OUT_OF_SCOPE and key not in known):
            check.fail("id", f"unknown entry id {shown(key)}")
            continue
        out[key] = _question_lists(raw, check, "examples")
    return out


def _source(raw: Any, check: _Checker) -> Source | None:
    if not isinstance(raw, Mapping):
        check.fail("source", "must have a section (en, fr) and a page")
        return None
    section = check.text(raw, "section")
    page = raw.get("page")
    if isinstance(page, bool) or not isinstance(page, int) or not 1 <= page <= MAX_PAGE:
        check.fail("source.page" if "source" in check.lines else "page", "must be a page number")
        return None
    return Source(section, page) if section else None


def _is_word(value: Any) -> bool:
    """A word of the vocabulary: text, or a number written bare (`2020`)."""
    return isinstance(value, str | int) and not isinstance(value, bool)


def _vocabulary(doc: _Doc, problems: list[str]) -> Vocabulary | None:
    data, node = doc.data, doc.node
    before = len(problems)
    if not isinstance(data, Mapping):
        problems.append(f"{doc.name}:1: -: -: must be a mapping with units, availability, synonyms")
        return None
    for section in ("units", "availability", "stopwords", "intents"):
        if not isinstance(data.get(section) or {}, Mapping):
            line = _key_lines(node).get(section, 1)
            problems.append(f"{doc.name}:{line}: -: {section}: must be a mapping, not a list")
    if not isinstance(data.get("synonyms") or [], list):
        line = _key_lines(node).get("synonyms", 1)
        problems.append(f"{doc.name}:{line}: -: synonyms: must be a list of word groups")
    if len(problems) > before:
        return None
    top = _key_lines(node)
    units: dict[str, Unit] = {}
    unit_nodes = _child(node, "units")
    unit_lines = _key_lines(unit_nodes)
    for uid, raw in (data.get("units") or {}).items():
        lines = _key_lines(_child(unit_nodes, str(uid)))
        line = unit_lines.get(_name(uid), 1)
        check = _Checker(doc.name, f"unit {_name(uid)}", line, lines, problems)
        if not isinstance(uid, str):
            check.fail("-", f"a unit's name must be text, not {shown(uid)}")
            continue
        if not isinstance(raw, Mapping):
            check.fail("-", "must be a mapping with a name (en, fr) and optional flags")
            continue
        check.unknown_fields(raw, _child(unit_nodes, uid), {"name", "measures", *UNIT_FLAGS})
        flags = {}
        for flag in UNIT_FLAGS:
            value = raw.get(flag, False)
            if not isinstance(value, bool):
                # a quoted 'no' is text, and text is true: it would turn figures into percents
                check.fail(flag, f"must be true or false, not {shown(value)}")
            flags[flag] = value is True
        name = check.text(raw, "name")
        if name:
            measures = raw.get("measures", "")
            if not isinstance(measures, str):
                check.fail("measures", f"must be a word such as people, not {shown(measures)}")
                continue
            units[uid] = Unit(uid, name, flags["percent"], flags["signed"], measures.strip())
    availability: dict[str, Text] = {}
    av_lines = _key_lines(_child(node, "availability"))
    for level, raw in (data.get("availability") or {}).items():
        check = _Checker(
            doc.name, f"availability {_name(level)}", av_lines.get(_name(level), 1), {}, problems
        )
        if not isinstance(level, str):
            check.fail("-", f"a level's name must be text, not {shown(level)}")
            continue
        text = check.text({"text": raw}, "text")
        if text:
            availability[level] = text
    synonyms: list[tuple[str, ...]] = []
    syn_node = _child(node, "synonyms")
    for i, group in enumerate(data.get("synonyms") or []):
        line = (
            syn_node.value[i].start_mark.line + 1 if isinstance(syn_node, yaml.SequenceNode) else 1
        )
        if not isinstance(group, list) or len(group) < 2:
            problems.append(f"{doc.name}:{line}: synonyms #{i + 1}: -: needs two words or more")
            continue
        textless = [w for w in group if not _is_word(w)]
        wordless = [w for w in group if _is_word(w) and not tokens(str(w))]
        if textless or wordless:
            what = "is not text" if textless else "holds no letter or digit"
            word = shown((textless or wordless)[0])
            problems.append(f"{doc.name}:{line}: synonyms #{i + 1}: -: {word} {what}")
            continue
        synonyms.append(tuple(str(w) for w in group))
    stopwords: dict[str, tuple[str, ...]] = {}
    raw_stop = data.get("stopwords") or {}
    for lang in LANGS:
        words = raw_stop.get(lang) if isinstance(raw_stop, Mapping) else None
        line = top.get("stopwords", 1)
        if not isinstance(words, list) or not all(_is_word(w) for w in words):
            problems.append(f"{doc.name}:{line}: -: stopwords.{lang}: needs a list of words")
            continue
        stopwords[lang] = tuple(str(w) for w in words)
    intents: dict[str, dict[str, tuple[str, ...]]] = {}
    raw_intents = data.get("intents") or {}
    intent_lines = _key_lines(_child(node, "intents"))
    for name, cues in raw_intents.items() if isinstance(raw_intents, Mapping) else []:
        line = intent_lines.get(_name(name), top.get("intents", 1))
        if (
            not isinstance(name, str)
            or not isinstance(cues, Mapping)
            or not all(
                isinstance(cues.get(lang), list) and all(_is_word(w) for w in cues[lang])
                for lang in LANGS
            )
        ):
            problems.append(
                f"{doc.name}:{line}: -: intents.{_name(name)}: needs an en and a fr list of words"
            )
            continue
        intents[name] = {lang: tuple(str(w) for w in cues[lang]) for lang in LANGS}
    if not units:
        problems.append(f"{doc.name}:1: -: units: none defined")
    if not availability:
        problems.append(f"{doc.name}:1: -: availability: no level defined")
    if len(problems) > before:
        return None
    return Vocabulary(units, availability, tuple(synonyms), stopwords, intents)


def _fact_file(
    doc: _Doc, vocab: Vocabulary | None, problems: list[str], seen: list[tuple[str, str, int]]
) -> Iterable[Entry]:
    data, node = doc.data, doc.node
    if not isinstance(data, Mapping) or not isinstance(data.get("entries"), list):
        problems.append(f"{doc.name}:1: -: entries: the file needs a list of entries")
        return []
    lines = _key_lines(node)
    default_source = None
    if "section" in data or "page" in data:
        check = _Checker(doc.name, "-", 1, lines, problems)
        default_source = _source(data, check)
    entries_node = _child(node, "entries")
    nodes = entries_node.value if isinstance(entries_node, yaml.SequenceNode) else []
    out = []
    for i, raw in enumerate(data["entries"]):
        node_i = nodes[i] if i < len(nodes) else None
        if isinstance(raw, Mapping) and isinstance(raw.get("id"), str) and raw["id"]:
            seen.append((raw["id"], doc.name, node_i.start_mark.line + 1 if node_i else 1))
        entry = _entry(doc, i, raw, node_i, default_source, vocab, problems)
        if entry is not None:
            out.append(entry)
    return out


def load(directory: Path | str | None = None) -> FactBase:
    """Load and validate every YAML file of `directory`; raise KnowledgeError on any problem."""
    folder = Path(directory) if directory is not None else DEFAULT_DIR
    problems: list[str] = []
    if not folder.is_dir():
        what = "is not a folder" if _present(folder) else "does not exist"
        raise KnowledgeError([f"{folder}:1: -: -: the fact base folder {what}"])
    paths = sorted(folder.glob("*.yaml"))
    vocab_path = folder / VOCABULARY_FILE
    vocab = None
    if _present(vocab_path):
        doc = _parse(vocab_path, problems)
        vocab = _vocabulary(doc, problems) if doc else None
    else:
        problems.append(f"{VOCABULARY_FILE}:1: -: -: missing from {folder}")
    entries: list[Entry] = []
    # Every entry id with its file and line, valid entry or not: a broken entry is reported
    # once, not again as an "unknown id" by the entries related to it.
    seen: list[tuple[str, str, int]] = []
    unreadable = False  # the ids of a file YAML cannot parse are unknown
    for path in paths:
        if path.name == VOCABULARY_FILE:
            continue
        doc = _parse(path, problems)
        if doc is not None:
            entries.extend(_fact_file(doc, vocab, problems, seen))
        else:
            unreadable = True
    if not entries and not problems:
        problems.append(f"{folder}:1: -: -: no entries found")
    first_at: dict[str, tuple[str, int]] = {}
    for entry_id, file, line in seen:
        if entry_id in first_at:
            first_file, first_line = first_at[entry_id]
            problems.append(
                f"{file}:{line}: {entry_id}: id: duplicate (first at {first_file}:{first_line})"
            )
        else:
            first_at[entry_id] = (file, line)
    by_id: dict[str, Entry] = {}
    for entry in entries:
        by_id.setdefault(entry.id, entry)
    for entry in entries:
        for rid in entry.related:
            if rid not in first_at:
                if not unreadable:
                    problems.append(
                        f"{entry.file}:{entry.line}: {entry.id}: related: unknown id {rid!r}"
                    )
            elif rid == entry.id:
                problems.append(f"{entry.file}:{entry.line}: {entry.id}: related: names itself")
    if not unreadable:
        for entry in entries:
            problems.extend(_chart_problems(entry, by_id, first_at, vocab))
    bank, out_of_scope = _bank(folder, entries, first_at, problems)
    if problems:
        raise KnowledgeError(problems)
    assert vocab is not None
    if bank:
        # the bank holds each entry's own examples first, then those of questions/
        entries = [replace(e, examples=bank[e.id]) if e.id in bank else e for e in entries]
        by_id = {e.id: e for e in entries}
    return FactBase(tuple(entries), vocab, by_id, out_of_scope)


def _present(path: Path) -> bool:
    """True if something is there, even a link that leads nowhere (reported when read)."""
    return path.is_symlink() or path.exists()


_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "janvier"),
            ("february", "fevrier", "février"),
            ("march", "mars"),
            ("april", "avril"),
            ("may", "mai"),
            ("june", "juin"),
            ("july", "juillet"),
            ("august", "aout", "août"),
            ("september", "septembre"),
            ("october", "octobre"),
            ("november", "novembre"),
            ("december", "decembre", "décembre"),
        ),
        start=1,
    )
    for name in names
}


def period_key(period: Text | None) -> tuple[int, int] | None:
    """(year, month) of a figure's period, for ordering a series; None without a year.

    The first year the English text names decides ("December 2019" -> (2019, 12)); a
    period without a month sorts before the months of its year."""
    if period is None:
        return None
    words = period.en.lower().replace(",", " ").split()
    years = [int(w) for w in words if len(w) == 4 and w.isdigit()]
    if not years:
        return None
    month = next((_MONTHS[w] for w in words if w in _MONTHS), 0)
    return years[0], month


def _chart_problems(
    entry: Entry,
    by_id: Mapping[str, Entry],
    known: Mapping[str, tuple[str, int]],
    vocab: Vocabulary | None,
) -> list[str]:
    """A series' or a breakdown's members: known figures of one measure, in order."""
    if entry.kind not in CHART_KINDS:
        return []
    where = f"{entry.file}:{entry.line}: {entry.id}: members"
    problems: list[str] = []
    figures: list[Entry] = []
    for mid in entry.members:
        member = by_id.get(mid)
        if mid not in known:
            problems.append(f"{where}: unknown id {mid!r}")
        elif member is None:
            continue  # invalid itself, reported where it stands
        elif not member.is_figure or isinstance(member.value, Range) or member.value is None:
            problems.append(f"{where}: {mid!r} is not a figure with one value")
        else:
            figures.append(member)
    if problems or len(figures) != len(entry.members) or vocab is None:
        return problems
    units = vocab.units
    measures = {units[f.unit].measure if f.unit in units else f.unit for f in figures}
    if entry.unit is not None and entry.unit in units:
        measures.add(units[entry.unit].measure)
    if len(measures) > 1:
        problems.append(
            f"{where}: the figures do not share one unit ({', '.join(sorted(measures))})"
        )
    if entry.unit is None:
        problems.append(f"{entry.file}:{entry.line}: {entry.id}: unit: missing")
    if entry.kind == "series":
        keys = [period_key(f.period) for f in figures]
        if any(k is None for k in keys):
            missing = next(f.id for f, k in zip(figures, keys, strict=True) if k is None)
            problems.append(f"{where}: {missing!r} has no year in its period")
        elif any(a >= b for a, b in zip(keys, keys[1:], strict=False)):  # type: ignore[operator]
            problems.append(f"{where}: the periods must increase from one figure to the next")
    else:
        keys = {period_key(f.period) for f in figures}
        if len(keys) > 1:
            problems.append(f"{where}: the parts of a breakdown are of one period")
    return problems


def _merged(*parts: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    return {lang: tuple(q for part in parts for q in part.get(lang, ())) for lang in LANGS}


def _bank(
    folder: Path,
    entries: list[Entry],
    known: Mapping[str, Any],
    problems: list[str],
) -> tuple[dict[str, dict[str, tuple[str, ...]]], dict[str, tuple[str, ...]]]:
    """The question bank: examples per entry id, and the out-of-scope questions.

    A question written twice, for one entry or for two, is reported: the matcher would
    learn two answers to it."""
    bank: dict[str, dict[str, tuple[str, ...]]] = {}
    where: dict[str, tuple[str, str]] = {}  # folded question -> (where it is, its entry id)

    def add(key: str, questions: Mapping[str, tuple[str, ...]], place: str) -> None:
        for lang in LANGS:
            for q in questions.get(lang, ()):
                folded = " ".join(tokens(q))
                if folded in where:
                    first, first_key = where[folded]
                    problems.append(
                        f"{place}: {key}: examples.{lang}: {q!r} is also a question of "
                        f"{first_key} ({first})"
                    )
                else:
                    where[folded] = (place, key)
        bank[key] = _merged(bank.get(key, {}), questions)

    for entry in entries:
        if entry.examples:
            add(entry.id, entry.examples, f"{entry.file}:{entry.line}")
    qdir = folder / QUESTIONS_DIR
    paths = sorted(qdir.glob("*.yaml")) if qdir.is_dir() else []
    if _present(qdir) and not qdir.is_dir():
        problems.append(f"{QUESTIONS_DIR}:1: -: -: is not a folder (or cannot be read)")
    for path in paths:
        doc = _parse(path, problems, f"{QUESTIONS_DIR}/{path.name}")
        if doc is None:
            continue
        lines = _key_lines(doc.node)
        for key, questions in _bank_file(doc, known, problems).items():
            add(key, questions, f"{doc.name}:{lines.get(key, 1)}")
    out_of_scope = bank.pop(OUT_OF_SCOPE, {})
    return bank, out_of_scope
