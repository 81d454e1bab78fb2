"""`?`: every key of the gallery in one window, grouped by view, read from the key maps the views use.

The keys come from the maps themselves (ui.grid.grid_view: KEYMAP, THUMB_KEYS, WINDOW_KEYS; the viewers'
LOUPE_KEYS, COMPARE_KEYS, SURVEY_KEYS); this module only says what each command does. The docs' keys
page is generated from key_table() too (docs/gen_reference.py), and tests/ui/test_key_guide.py fails on
a bound key that no row describes, or a row whose command no map binds.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from html import escape

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout, QWidget

from ui.grid.grid_view import FILTER_SHORTCUTS, SHARED_WITH_VIEWS, grid_bindings
from ui.grid.key_names import Binding, keys_label
from ui.rules.ordering import FILTERS
from ui.viewers.compare import COMPARE_KEYS
from ui.viewers.loupe import LOUPE_KEYS
from ui.viewers.survey import SURVEY_KEYS


@dataclass(frozen=True)
class KeyRow:
    """One line of the guide: the commands it covers (patterns of their ids) and what they do."""

    commands: tuple[str, ...]  # fnmatch patterns over the view's command ids; their keys are read from the map
    what: str
    also: tuple[str, ...] = ()  # keys and gestures no map holds: Qt's own navigation, the mouse


_SHOW = ", ".join(label for name, label in FILTERS if name in FILTER_SHORTCUTS)

# (view, its rows): what each command does, as a photographer reads it
GUIDE: tuple[tuple[str, tuple[KeyRow, ...]], ...] = (
    ("Everywhere", (
        KeyRow(("decide:flag=pick", "decide:flag=reject", "decide:flag=None"),
               "pick · reject · unflag (then on to the next photo, when auto-advance is on)"),
        KeyRow(("decide:rating=*",), "rating (0 clears it), then on to the next photo as above"),
        KeyRow(("decide:label=*",), "colour label red · yellow · green · blue (again: clear it)"),
        KeyRow(("toggle_auto_advance",), "auto-advance on / off (also in the bottom toolbar)"),
        KeyRow(("undo",), "undo the last decision"),
        KeyRow(("redo",), "redo"),
        KeyRow(("cheat_sheet",), "this sheet"),
    )),
    ("Grid", (
        KeyRow((), "move", also=("arrows", "Home", "End", "PgUp", "PgDn")),
        KeyRow((), "select several: a decision key acts on all of them, one undo step",
               also=("Shift+arrows", "Shift/Ctrl+click")),
        KeyRow(("open_loupe",), "loupe", also=("double-click",)),
        KeyRow(("open_loupe_zoomed",), "loupe at 100 %"),
        KeyRow(("open_compare",), "compare the selection with the next photo (a burst: its two best frames)"),
        KeyRow(("open_survey",), "survey the selection (2–6 photos) or the burst"),
        KeyRow(("toggle_detail",), "detail pane"),
        KeyRow(("close_detail",), "close the detail pane"),
        KeyRow(("toggle_heatmap",), "heatmap of window scores"),
        KeyRow(("search",), "search box: Enter orders the grid by similarity to the text, Esc goes back"),
        KeyRow(("toggle_burst",), "expand / collapse the burst (S as Lightroom's stack key)"),
        KeyRow(("reject_burst_others",), "reject all but the best of the burst, then on to the next tile"),
        KeyRow(("thumbnail_*",), "thumbnail size", also=("Ctrl+wheel",)),
        KeyRow(("filter:*",), f"Show: {_SHOW}"),
        KeyRow((), "set the rating (the same star again clears it)", also=("a click on the detail pane's stars",)),
    )),
    ("Loupe", (
        KeyRow(("previous",), "previous photo"),
        KeyRow(("next",), "next photo"),
        KeyRow(("zoom",), "100 % on the sharpest window (or under the mouse); again: fit"),
        KeyRow(("pan_*",), "pan", also=("drag",)),
        KeyRow((), "zoom in steps", also=("wheel",)),
        KeyRow(("heatmap",), "heatmap"),
        KeyRow(("close",), "back to the grid"),
    )),
    ("Compare", (
        KeyRow(("candidate_*",), "another candidate (right pane)"),
        KeyRow(("select_*",), "another select (left pane)"),
        KeyRow(("other_pane",), "which pane the decision keys act on", also=("click",)),
        KeyRow(("zoom",), "100 %, pan and zoom, both panes in step", also=("drag", "wheel")),
        KeyRow(("heatmap",), "heatmap"),
        KeyRow(("close",), "back to the grid"),
    )),
    ("Survey", (
        KeyRow(("next", "previous"), "which photo the decision keys act on", also=("click",)),
        KeyRow(("reject_and_remove",), "reject it and take it out of the survey"),
        KeyRow(("remove",), "take it out of the survey"),
        KeyRow(("heatmap",), "heatmap"),
        KeyRow(("close",), "back to the grid"),
    )),
)


def view_bindings() -> dict[str, list[tuple[Binding, str]]]:
    """Each view's keys with their command ids, as the views dispatch them: the grid's shared commands
    (SHARED_WITH_VIEWS) work everywhere, the rest in the grid; each viewer has its own map."""
    grid = grid_bindings()
    shared = [(b, c) for b, c in grid if c.split(":")[0] in SHARED_WITH_VIEWS]
    return {
        "Everywhere": shared,
        "Grid": [(b, c) for b, c in grid if (b, c) not in shared],
        "Loupe": list(LOUPE_KEYS.items()),
        "Compare": list(COMPARE_KEYS.items()),
        "Survey": list(SURVEY_KEYS.items()),
    }


def key_table() -> list[tuple[str, list[tuple[str, str]]]]:
    """[(view, [(keys, what they do)])]: the guide with each row's keys read from its view's map."""
    bindings = view_bindings()
    table = []
    for view, rows in GUIDE:
        lines = []
        for row in rows:
            keys = [b for b, command in bindings[view] if any(fnmatchcase(command, p) for p in row.commands)]
            lines.append((" · ".join(filter(None, (keys_label(keys), *row.also))), row.what))
        table.append((view, lines))
    return table


def cheat_sheet_html() -> str:
    parts = []
    for view, rows in key_table():
        parts.append(f"<h3 style='margin:10px 0 4px 0'>{view}</h3><table cellspacing='0' cellpadding='2'>")
        parts += [f"<tr><td style='padding-right:18px'><b>{escape(k)}</b></td><td>{escape(what)}</td></tr>"
                  for k, what in rows]
        parts.append("</table>")
    return "".join(parts)


class CheatSheet(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keys")
        self.label = QLabel(cheat_sheet_html())
        self.label.setTextFormat(Qt.TextFormat.RichText)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # any key closes it
        self.close()
