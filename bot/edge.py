"""The edge: what the adapters do to outside text before any work, and to JSON lines out.

Whatever arrives (a 50,000-character slash command, a 20 MB line on standard input,
undecodable bytes on the command line), the core only ever sees the part of a question
the engine reads: `question_text` cuts it to `bot.matching.MAX_CHARS` (plus two
characters, so the engine still knows it was cut). `read_line` reads standard input a
line at a time with a size cap, and `json_line` writes one JSON object per line that
every line-splitting reader counts right, in any output encoding.
"""

from __future__ import annotations

import codecs
import json
import os
from typing import Any, BinaryIO

from bot.matching import MAX_CHARS

# The engine reads MAX_CHARS characters (cut at a word boundary) of a question with its
# whitespace made single spaces, and notes that it was cut when there are more. Two more
# characters keep exactly that: one to tell it was cut, one in case the first is a space
# (which the engine would drop at the end).
KEEP_CHARS = MAX_CHARS + 2
# At most this much of a text is looked at, whitespace included, however long it is.
READ_CHARS = 16 * MAX_CHARS
# A UTF-8 character takes up to 4 bytes: this many bytes of a line always hold the
# READ_CHARS characters `question_text` looks at, even with one cut in half at the end.
LINE_BYTES = 4 * (READ_CHARS + 1)
_SKIP_CHUNK = 64 * 1024

# What Python's `str.splitlines` (and many readers) take for a line break, beyond the
# control characters JSON escapes anyway.
_LINE_BREAKS = {0x85: "\\u0085", 0x2028: "\\u2028", 0x2029: "\\u2029"}


def question_text(text: str) -> str:
    """The part of `text` the engine reads, and nothing more.

    A text of up to KEEP_CHARS characters is returned as it is. A longer one has its
    runs of whitespace made single spaces (as the engine does) and is cut after
    KEEP_CHARS characters; only its first READ_CHARS characters are ever looked at.
    """
    if len(text) <= KEEP_CHARS:
        return text
    return " ".join(text[:READ_CHARS].split())[:KEEP_CHARS]


def argv_text(arg: str) -> str:
    """A command-line argument as text: bytes that are not UTF-8 become U+FFFD.

    Python hands undecodable argument bytes over as lone surrogates, which no encoder
    writes; this gives them back as the replacement character, as standard input does.
    """
    return os.fsencode(arg).decode("utf-8", errors="replace")


def read_line(stream: BinaryIO) -> str | None:
    """The next line of `stream` as text, without its line break; None at the end.

    At most LINE_BYTES bytes of a line are kept (more than `question_text` reads); the
    rest is read and dropped in chunks, so a line of any length costs bounded memory.
    Bytes that are not UTF-8 become U+FFFD.
    """
    raw = stream.readline(LINE_BYTES)
    if not raw:
        return None
    chunk = raw
    while chunk and not chunk.endswith(b"\n"):
        chunk = stream.readline(_SKIP_CHUNK)
    return raw.decode("utf-8", errors="replace").rstrip("\r\n")


def writes_unicode(encoding: str | None) -> bool:
    """True when a stream in `encoding` can write any character (a UTF codec)."""
    try:
        name = codecs.lookup(encoding or "ascii").name
    except LookupError:
        return False
    return name.startswith("utf")


def json_line(payload: Any, ascii_only: bool = False) -> str:
    """`payload` as one line of JSON, without a line break anywhere inside.

    JSON escapes control characters but leaves U+0085, U+2028 and U+2029 raw, and
    readers that split lines on them would count one object as several: they are
    escaped too. `ascii_only` escapes every non-ASCII character (for a stream that
    cannot write them).
    """
    text = json.dumps(payload, ensure_ascii=ascii_only)
    if not ascii_only:
        text = text.translate(_LINE_BREAKS)
    return text
