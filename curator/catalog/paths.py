"""File paths in and out of SQL: the one place a path, folder or file name is turned into catalog text and back.

A name on Linux is bytes, and may not be valid UTF-8 (an old card, another locale). Python carries such a
name as a str with lone surrogates (os.fsdecode, PEP 383: byte 0xXY is U+DCXY), and sqlite3 cannot bind
that str. The catalog stores a path as TEXT, so:

- Every surrogate is written as NUL followed by one character: U+DC80..U+DCFF (an undecodable byte,
  the only surrogates os.fsdecode makes on POSIX) as NUL + chr(byte), i.e. U+0080..U+00FF; any other
  surrogate (an unpaired UTF-16 unit, which only Windows names can hold) as NUL + chr(unit - 0xD800 + 0x100).
- Nothing else changes. No path can hold NUL, so every valid name is stored exactly as before (existing
  catalogs need no migration and their text is unchanged), and reading back is exact: each NUL and the one
  character after it give back the surrogate, so a path read from the catalog opens the same file again.
- The mapping works character by character, no escape holds "/", and an escape is always two characters
  (so no stored form is read two ways). Hence a path's stored form starts with a folder's stored form
  exactly when the path is under the folder:
  `scope_clause`'s index ranges (path >= "root/" AND path < "root0") and os.path.split stay correct.

SQLite compares, indexes and concatenates such text whole, but its substr(), length() and LIKE stop at a
NUL: SQL here never slices a stored path that may hold one (see QueueMixin.move_tree).

Reading costs nothing for ordinary names: `from_db` is one `in` test unless the text holds a NUL. No
connection-wide text_factory: that would cost every TEXT value of every query.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

ESCAPE = "\x00"
_SURROGATE = re.compile("[\ud800-\udfff]")
_ESCAPED = re.compile("\x00(.)", re.DOTALL)


def _escape(match: re.Match[str]) -> str:
    unit = ord(match.group())
    return ESCAPE + chr(unit - 0xDC00 if 0xDC80 <= unit <= 0xDCFF else unit - 0xD800 + 0x100)


def _unescape(match: re.Match[str]) -> str:
    code = ord(match.group(1))
    return chr(0xDC00 + code if code <= 0xFF else 0xD800 + code - 0x100)


def to_db(path: str) -> str:
    """`path` (a str as os.fsdecode gives it) as the catalog stores it: itself unless it holds surrogates."""
    if path.isascii():
        return path
    return _SURROGATE.sub(_escape, path)


def from_db(text: str) -> str:
    """The path `to_db` stored as `text`, exactly."""
    if ESCAPE not in text:
        return text
    return _ESCAPED.sub(_unescape, text)


def all_to_db(paths: Iterable[str]) -> list[str]:
    """to_db of each path (for IN (...) lists)."""
    return [to_db(str(p)) for p in paths]
