"""The `?` sheet, the toolbar's reminder and docs/reference/keys.md all read the keys from the maps the views use.

A key bound in a map without a row saying what it does, or a row naming a command that no key is bound
to, fails here: the guide cannot drift from the keys."""

from __future__ import annotations

from fnmatch import fnmatchcase

from PySide6.QtCore import Qt

from ui.cheat_sheet import GUIDE, cheat_sheet_html, key_table, view_bindings
from ui.grid.grid_view import KEYS_HINT, WINDOW_KEYS
from ui.grid.key_names import key_name, keys_label

_NONE = Qt.KeyboardModifier.NoModifier
_SHIFT = Qt.KeyboardModifier.ShiftModifier
_CTRL = Qt.KeyboardModifier.ControlModifier


def test_every_bound_key_has_a_row_and_every_row_a_key() -> None:
    bindings = view_bindings()
    assert [view for view, _ in GUIDE] == list(bindings)
    for view, rows in GUIDE:
        commands = [command for _, command in bindings[view]]
        patterns = [p for row in rows for p in row.commands]
        undescribed = [c for c in commands if not any(fnmatchcase(c, p) for p in patterns)]
        assert not undescribed, f"{view}: keys bound to {undescribed} have no row in ui.cheat_sheet.GUIDE"
        unbound = [p for p in patterns if not any(fnmatchcase(c, p) for c in commands)]
        assert not unbound, f"{view}: rows for {unbound}, which no key map binds"
        assert all(row.commands or row.also for row in rows)


def test_the_sheet_shows_the_keys_the_maps_hold() -> None:
    text = cheat_sheet_html()
    for needle in ("Ctrl+F", "Ctrl+Z", "Ctrl+Shift+Z · Ctrl+Y", "Caps Lock", "Shift+X", "Ctrl+Alt+1–9", "0–5", "6–9"):
        assert needle in text, needle
    table = dict(key_table())
    assert ("Ctrl+F", "search box: Enter orders the grid by similarity to the text, Esc goes back") in table["Grid"]
    assert ("E · Enter · double-click", "loupe") in table["Grid"]
    assert [keys for keys, _ in table["Survey"]][:1] == ["arrows · click"]


def test_the_toolbar_reminder_names_bound_keys() -> None:
    assert KEYS_HINT.startswith("P pick · X reject · U unflag · 0–5 rate")
    assert "Ctrl+F search" in KEYS_HINT and "Shift+X keep best" in KEYS_HINT
    assert {"search"} == set(WINDOW_KEYS.values())


def test_key_names() -> None:
    assert key_name((int(Qt.Key.Key_Z), _CTRL | _SHIFT)) == "Ctrl+Shift+Z"
    assert key_name((int(Qt.Key.Key_Question), _SHIFT)) == "?"  # Shift is how ? is typed
    assert key_name((int(Qt.Key.Key_Return), _NONE)) == "Enter"
    arrows = [(int(k), _SHIFT) for k in (Qt.Key.Key_Right, Qt.Key.Key_Left, Qt.Key.Key_Up, Qt.Key.Key_Down)]
    assert keys_label(arrows) == "Shift+arrows"
    assert keys_label(arrows[:2]) == "Shift+→ · Shift+←"
    assert keys_label([(int(Qt.Key.Key_0) + n, _NONE) for n in (0, 1, 2)]) == "0–2"
    assert keys_label([(int(Qt.Key.Key_0) + n, _NONE) for n in (1, 3)]) == "1 · 3"


def test_the_search_shortcut_is_the_window_key(open_window, shoot_catalog) -> None:
    db, _ = shoot_catalog
    w = open_window(db)
    assert w.find_shortcut.key().toString() == "Ctrl+F"
