"""Where the gallery was left, per catalog: folder, filter, sort, selected photo and window size
(QSettings; on Linux ~/.config/curator/gallery.conf). The window opens there again."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSettings


@dataclass(frozen=True)
class SessionState:
    folder: str | None = None
    filter: str = "all"
    sort: str = "score_asc"
    photo_id: int | None = None
    size: tuple[int, int] | None = None


def _group(db_path: Path) -> str:
    """One settings group per catalog, named by a hash of its absolute path (paths are not valid keys)."""
    return "catalog-" + hashlib.sha1(str(Path(db_path).resolve()).encode("utf-8", "surrogatepass")).hexdigest()[:16]


def open_settings(file: Path | None = None) -> QSettings:
    """The user's gallery settings, or this file's (tests)."""
    if file is not None:
        return QSettings(str(file), QSettings.Format.IniFormat)
    return QSettings("curator", "gallery")


def load_state(settings: QSettings, db_path: Path) -> SessionState | None:
    settings.beginGroup(_group(db_path))
    try:
        if not settings.contains("sort"):
            return None
        folder = settings.value("folder", "") or None
        photo = settings.value("photo_id", "")
        w, h = (str(settings.value(k, "0")) for k in ("width", "height"))
        size = (int(w), int(h)) if w.isdigit() and h.isdigit() and int(w) > 0 and int(h) > 0 else None
        return SessionState(str(folder) if folder else None, str(settings.value("filter", "all")),
                            str(settings.value("sort", "score_asc")), int(str(photo)) if str(photo).isdigit() else None,
                            size)
    finally:
        settings.endGroup()


def save_state(settings: QSettings, db_path: Path, state: SessionState) -> None:
    settings.beginGroup(_group(db_path))
    settings.setValue("folder", state.folder or "")
    settings.setValue("filter", state.filter)
    settings.setValue("sort", state.sort)
    settings.setValue("photo_id", "" if state.photo_id is None else str(state.photo_id))
    if state.size is not None:
        settings.setValue("width", state.size[0])
        settings.setValue("height", state.size[1])
    settings.endGroup()
    settings.sync()
