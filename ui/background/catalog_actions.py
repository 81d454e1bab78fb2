"""The gallery's long actions on the catalog ("reject all but the best", "Write XMP"), and their reports.

No Qt here: the catalog worker runs these on its thread and hands the frozen
results to the window. The culling policy itself is curator.actions.culling's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from curator.actions.culling import reject_all_but_best
from curator.disk.files import is_under

if TYPE_CHECKING:
    from curator.catalog import Catalog
    from curator.settings import Settings


@dataclass(frozen=True)
class BurstRejectResult:
    """What "reject all but the best" did (or, in a dry run, would do)."""

    scope: str  # "burst" (the selected photo's burst) or "folders"
    dry_run: bool
    rejected: tuple[int, ...] = ()  # photo ids rejected (or to reject)
    bursts: int = 0  # bursts touched
    folders: tuple[str, ...] | None = None  # the folders asked for ("folders" scope; None: every folder)
    photo_id: int | None = None  # the selected photo ("burst" scope)
    note: str = ""  # why nothing was done, when nothing was


@dataclass(frozen=True)
class XmpResult:
    """A "Write XMP" run: the roots written and curator.disk.xmp.WriteReport's counts."""

    roots: tuple[str, ...]
    written: int  # sidecars created or changed
    unchanged: int  # sidecars that already said the same
    clashes: tuple[str, ...] = ()  # one message per clash (shots that would share an Adobe sidecar)
    failures: tuple[str, ...] = ()  # one line per failure
    naming: str = "adobe"
    sidecars: tuple[str, ...] = field(default=(), compare=False)  # every sidecar considered


def top_roots(folders: Sequence[str]) -> list[str]:
    """The folders that are not inside another one of them (Write XMP's roots for "all folders")."""
    out: list[str] = []
    for f in sorted(set(folders), key=lambda f: (len(f), f)):
        if not any(is_under(f, r) for r in out):
            out.append(f)
    return sorted(out)


def reject_in_folders(catalog: Catalog, folders: tuple[str, ...] | None, *, gap: float, similarity: float,
                      dry_run: bool) -> BurstRejectResult:
    """"Reject all but the best" in every burst of these folders (None: every folder), in one transaction."""
    done = reject_all_but_best(catalog, folders, gap_seconds=gap, similarity=similarity, dry_run=dry_run)
    return BurstRejectResult("folders", dry_run, done.rejected, done.bursts, folders)


def reject_one_burst(catalog: Catalog, photo_id: int, *, gap: float, similarity: float,
                     dry_run: bool = False) -> BurstRejectResult:
    """"Reject all but the best" in the burst of this photo (Shift+X), in one transaction."""
    done = reject_all_but_best(catalog, photo_id=photo_id, gap_seconds=gap, similarity=similarity, dry_run=dry_run)
    return BurstRejectResult("burst", dry_run, done.rejected, done.bursts, photo_id=photo_id, note=done.note)


def write_xmp(catalog: Catalog, settings: Settings, roots: tuple[str, ...] | None) -> XmpResult:
    """Write every photo's decision under these folders (None: all of them) to its XMP sidecar."""
    from curator.actions.sidecar_sync import SidecarWriter

    if roots is None:
        roots = tuple(top_roots(catalog.folders()))
    report = SidecarWriter.from_settings(catalog, settings).write_all(list(roots))
    changed = sum(1 for r in report.written if r.changed)
    return XmpResult(tuple(roots), changed, len(report.written) - changed, tuple(c.message for c in report.clashes),
                     tuple(reason or str(path) for path, reason in report.failures), settings.xmp_naming,
                     tuple(str(r.sidecar) for r in report.written))
