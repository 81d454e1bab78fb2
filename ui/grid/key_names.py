"""Key bindings as a photographer reads them ("Ctrl+Shift+Z", "0–5", "Shift+arrows"), from the key maps.

The grid's and the viewers' maps hold (Qt key, modifiers) pairs; the `?` cheat sheet, the toolbar's
reminder and docs/reference/keys.md name them with these functions, so none of them restates a key.
Plain Python over Qt's enums: no QApplication is needed (the docs generator runs without one).
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QKeyCombination, Qt
from PySide6.QtGui import QKeySequence

Binding = tuple[int, Qt.KeyboardModifier]

# Qt's name for a key -> the name printed on the key (or what photographers call it)
_NAMES = {
    "Return": "Enter", "Escape": "Esc", "CapsLock": "Caps Lock", "Question": "?", "Plus": "+", "Equal": "=",
    "Minus": "−", "Right": "→", "Left": "←", "Up": "↑", "Down": "↓", "PageUp": "PgUp", "PageDown": "PgDn",
}
_MODIFIERS = ((Qt.KeyboardModifier.ControlModifier, "Ctrl"), (Qt.KeyboardModifier.AltModifier, "Alt"),
              (Qt.KeyboardModifier.ShiftModifier, "Shift"))
_ARROWS = ("←", "→", "↑", "↓")


def key_name(binding: Binding) -> str:
    """(Key_Z, Ctrl|Shift) -> "Ctrl+Shift+Z". Shift on a symbol is how the symbol is typed, so "?" not "Shift+?"."""
    key, mods = binding
    qt_name = Qt.Key(key).name.removeprefix("Key_")
    name = _NAMES.get(qt_name, qt_name)
    symbol = len(name) == 1 and not name.isalnum() and name not in _ARROWS
    prefix = "".join(f"{word}+" for flag, word in _MODIFIERS
                     if mods & flag and not (symbol and flag == Qt.KeyboardModifier.ShiftModifier))
    return prefix + name


def keys_label(bindings: Iterable[Binding], joiner: str = " · ") -> str:
    """The keys' names in order, each once: a run of digits as "0–5", the four arrows as "arrows"."""
    names = list(dict.fromkeys(key_name(b) for b in bindings))
    return joiner.join(_shorten(names))


def _shorten(names: list[str]) -> list[str]:
    out = list(names)
    for prefix in dict.fromkeys(n[:-1] for n in names):  # "", "Shift+", "Ctrl+Alt+"...
        out = _collapse(out, [prefix + a for a in _ARROWS], prefix + "arrows")
        digits = [n for n in out if n[:-1] == prefix and n[-1].isdigit()]
        values = sorted(int(n[-1]) for n in digits)
        if len(values) > 2 and values == list(range(values[0], values[-1] + 1)):
            out = _collapse(out, digits, f"{prefix}{values[0]}–{values[-1]}")
    return out


def _collapse(names: list[str], group: list[str], label: str) -> list[str]:
    """The whole group, where it first appears, as one label; the names unchanged unless all of it is there."""
    if not all(g in names for g in group):
        return names
    first = min(names.index(g) for g in group)
    rest = [n for n in names if n not in group]
    return rest[:first] + [label] + rest[first:]


def key_sequence(binding: Binding) -> QKeySequence:
    """The binding as Qt's shortcut (Ctrl is Cmd on macOS, as Qt maps it)."""
    key, mods = binding
    return QKeySequence(QKeyCombination(mods, Qt.Key(key)))
