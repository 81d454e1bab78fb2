"""How a file name or other untrusted text is shown on one terminal line or in a table cell. Standard library only.

Names on Linux are bytes: an old card or another locale can hold names that are not valid UTF-8
(Python carries those bytes as lone surrogates, PEP 383), and a name may hold a newline or other
control characters. Stored and used as they are, such names are shown through `shown`: undecodable
bytes as U+FFFD, control characters escaped, so one name is always one line and one cell.

JSON carries such a name readable too (`json_ready`), so the output is valid UTF-8 that any parser
takes (lone surrogate escapes are not), and beside a "path" that is not UTF-8 it carries "path_bytes":
the path's exact bytes in hex.

`UNENCODABLE` is an error handler for the CLI's own streams: a name printed without `shown` still
never raises UnicodeEncodeError.
"""

from __future__ import annotations

import codecs
import os
import re
from typing import Any

REPLACEMENT = "\ufffd"
# C0 controls, DEL and C1 controls (line separators of other kinds among them), plus U+2028/U+2029.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    if ch in _NAMED:
        return _NAMED[ch]
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"


_SURROGATE = re.compile("[\ud800-\udfff]")


def readable(text: str) -> str:
    """`text` with undecodable bytes (lone surrogates) as U+FFFD, and nothing else changed. Never raises."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:  # the bytes of a POSIX name (U+DC80..U+DCFF) decoded again: one U+FFFD per invalid sequence
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # an unpaired UTF-16 unit (a Windows name): one U+FFFD each
        return _SURROGATE.sub(REPLACEMENT, text)


def shown(text: str) -> str:
    """`text` for one terminal line or table cell: undecodable bytes as U+FFFD, control characters escaped."""
    text = readable(text)
    return _CONTROL.sub(_escape, text) if _CONTROL.search(text) else text


PATH_BYTES = "path_bytes"
# The fields of curator's JSON records that carry file names. Their other text comes from SQLite or the engine,
# always valid Unicode. "frames": a burst's records (list --bursts).
NAME_KEYS = ("path", "folder", "name", "partner_of", "best", "sidecar")


def json_ready(value: Any) -> Any:
    """`value` (a record, a list of records or of paths) for JSON that is valid UTF-8: each name readable
    (NAME_KEYS; U+FFFD for undecodable bytes) and, beside a "path" that is not valid UTF-8, PATH_BYTES: the
    path's exact bytes in hex (os.fsdecode(bytes.fromhex(...)) opens it). Records need no copy unless changed."""
    if isinstance(value, str):
        return value if value.isascii() else readable(value)
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = value
    for key in NAME_KEYS:
        text = value.get(key)
        if isinstance(text, str) and not text.isascii() and readable(text) != text:
            out = dict(value) if out is value else out
            out[key] = readable(text)
            if key == "path":
                out[PATH_BYTES] = os.fsencode(text).hex()
    if isinstance(value.get("frames"), list):
        out = dict(value) if out is value else out
        out["frames"] = json_ready(value["frames"])
    return out


def _replace_unencodable(exc: UnicodeError) -> tuple[bytes, int]:
    """Text a stream cannot encode, written readable: U+FFFD for undecodable bytes, '?' where even that fails.
    Encoded here: CPython's UTF-8 encoder takes a replacement other than ASCII text only as bytes."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    text = exc.object[exc.start:exc.end]
    try:
        return readable(text).encode(exc.encoding), exc.end
    except UnicodeError:  # an unpaired surrogate of another kind, or a character the encoding lacks
        return ("?" * len(text)).encode(exc.encoding), exc.end


UNENCODABLE = "curator.readable"
codecs.register_error(UNENCODABLE, _replace_unencodable)
