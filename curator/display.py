"""How a file name or other untrusted text is shown on one terminal line or in a table cell. Standard library only.

Names on Linux are bytes: an old card or another locale can hold names that are not valid UTF-8
(Python carries those bytes as lone surrogates, PEP 383), and a name may hold a newline or other
control characters. Stored and used as they are, such names are shown through `shown`: undecodable
bytes as U+FFFD, control characters escaped, so one name is always one line and one cell.
"""

from __future__ import annotations

import re

REPLACEMENT = "\ufffd"
# C0 controls, DEL and C1 controls (line separators of other kinds among them), plus U+2028/U+2029.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    if ch in _NAMED:
        return _NAMED[ch]
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"


def readable(text: str) -> str:
    """`text` with undecodable bytes (lone surrogates) as U+FFFD, and nothing else changed."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def shown(text: str) -> str:
    """`text` for one terminal line or table cell: undecodable bytes as U+FFFD, control characters escaped."""
    text = readable(text)
    return _CONTROL.sub(_escape, text) if _CONTROL.search(text) else text
