"""A guard against a reference-count bug in some PySide6 builds on Python 3.11.

PySide6 6.12.0 (the abi3 wheel, built for Python 3.10 and later) returns
`None` from every C++ function that returns nothing (QPainter.drawRect,
setPen, QApplication.processEvents...) without taking a reference to it, and
QModelIndex.data() does the same when the answer is an empty QVariant. From
Python 3.12 on, None is immortal and that is harmless. On 3.11 each such call
takes one reference from None, and a gallery that paints a screen of tiles
makes about a thousand of them: after a few seconds of scrolling None runs out
of references and the interpreter aborts with "Fatal Python error:
none_dealloc: deallocating None".

`keep_none_alive()` measures whether the running PySide6 has the leak and, if
it does, gives None enough references that no session can use them up (what
Python 3.12 does for every interpreter). None is never freed in any case, so
this changes nothing else. It does nothing on 3.12+, on a PySide6 without the
leak, or on an interpreter other than CPython's release build.
"""

from __future__ import annotations

import ctypes
import logging
import sys

log = logging.getLogger(__name__)

_PROBE_CALLS = 64
_RESERVE = 1 << 40  # ~10^12 leaked references: years of painting
_checked = False


def none_leak_per_call() -> float:
    """References to None lost per call of a C++ function that returns nothing (0.0 on a good build)."""
    from PySide6.QtCore import QRect

    rect = QRect()
    before = sys.getrefcount(None)
    for _ in range(_PROBE_CALLS):
        rect.setWidth(1)
    return max(0, before - sys.getrefcount(None)) / _PROBE_CALLS


def keep_none_alive() -> bool:
    """Make None's references unexhaustible when PySide6 leaks them; True if it had to. Idempotent."""
    global _checked
    if _checked:
        return False
    _checked = True
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython" or hasattr(sys, "gettotalrefcount"):
        return False  # immortal None, or an object layout other than the release build's
    if none_leak_per_call() < 0.5:
        return False
    # CPython 3.11 release build: a PyObject starts with its reference count (Py_ssize_t)
    ctypes.c_ssize_t.from_address(id(None)).value += _RESERVE
    log.debug("PySide6 leaks references to None on every call that returns nothing; None kept alive")
    return True
