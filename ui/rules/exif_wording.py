"""EXIF as a photographer reads it: "1/250 s", "f/2.8", "ISO 400", "50 mm", the capture time, the file
size, and where a score stands in its folder. No Qt here; corrupt values (4294967295, an unsigned -1)
show as "—"."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from curator.catalog import GalleryRow

# What a camera can record; anything outside is corrupt EXIF (4294967295, an unsigned -1) and shows as "—".
SHUTTER_RANGE = (1e-6, 3600.0 * 24)  # 1/1 000 000 s to a day-long exposure
APERTURE_RANGE = (0.5, 256.0)
FOCAL_RANGE = (1.0, 6000.0)  # mm
ISO_RANGE = (1, 10_000_000)


def _plausible(value: float | None, bounds: tuple[float, float]) -> float | None:
    if value is None:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if bounds[0] <= v <= bounds[1] else None


def fmt_shutter(t: float | None) -> str | None:
    t = _plausible(t, SHUTTER_RANGE)
    if t is None:
        return None
    if t >= 1:
        return f"{t:g} s"
    return f"1/{round(1 / t):d} s"


def fmt_aperture(f: float | None) -> str | None:
    f = _plausible(f, APERTURE_RANGE)
    return None if f is None else f"f/{round(f, 1):g}"


def fmt_focal(f: float | None) -> str | None:
    f = _plausible(f, FOCAL_RANGE)
    return None if f is None else f"{f:.0f} mm"


def fmt_iso(iso: int | None) -> str | None:
    value = _plausible(iso, ISO_RANGE)
    return None if value is None else f"ISO {value:.0f}"


def fmt_time(iso: str | None) -> str | None:
    if not iso:
        return None
    try:
        return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return iso


def fmt_bytes(n: int | None) -> str | None:
    if n is None:
        return None
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return None


def rank_text(rank: float) -> str:
    if rank <= 0.0:
        return "the lowest score in its folder"
    if rank >= 1.0:
        return "the best score in its folder"
    return f"better than {rank * 100:.0f}% of its folder"


def exif_lines(row: GalleryRow) -> list[tuple[str, str]]:
    items = [
        ("Camera", row.camera),
        ("Lens", row.lens),
        ("ISO", fmt_iso(row.iso)),
        ("Shutter", fmt_shutter(row.exposure_time)),
        ("Aperture", fmt_aperture(row.f_number)),
        ("Focal length", fmt_focal(row.focal_length)),
        ("Captured", fmt_time(row.capture_time)),
        ("Size", f"{row.width} × {row.height}" if row.width and row.height else None),
        ("File", fmt_bytes(row.size)),
    ]
    return [(k, v if v else "—") for k, v in items]
