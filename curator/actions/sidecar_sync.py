"""XMP sidecars and the catalog: what a person set in Lightroom or darktable comes in at scan time, and
curator's decisions go out to the sidecars (`curator xmp write`, `curator watch --xmp`).

curator.disk.xmp reads and writes sidecars and knows nothing of the catalog; the
catalog stores decisions and knows nothing of XMP. This module joins them (no
SQL here, no XML: exiv2 does the XMP).

Import (every scan, the watcher's catch-up and rescans, and each batch the
watcher scores): for each photo, the sidecar of the preferred naming scheme
(else the other one) is found in one listing per folder. It is read only when
its mtime differs from the one the catalog noted at the last import, so an
unchanged sidecar is never read twice. What a person set there (a -1 reject,
1-5 stars, a colour label; not curator's own earlier writes) is recorded as the
user's decision, which the auto flag policy never overrides. A sidecar that
changed is the newest word: its values replace the catalog's for the fields it
sets; fields it does not set are left alone.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from curator.disk import xmp

if TYPE_CHECKING:
    from curator.catalog import Catalog, GalleryRow
    from curator.settings import Settings

log = logging.getLogger("curator.actions.sidecar_sync")


# --------------------------------------------------------------------------- catalog rows -> decisions

def verdict_of(row: Any) -> str | None:
    """The catalog's decision as a curator.disk.xmp verdict: pick/reject, else keep once scored."""
    if row.flag in ("pick", "reject"):
        return row.flag
    return "keep" if row.fused is not None else None


def photo_decisions(rows: Iterable[Any]) -> list[xmp.PhotoDecision]:
    """curator.disk.xmp.PhotoDecision for each row that is not missing (rows: GalleryRow or alike: .path,
    .status, .flag, .flag_source, .low_quality, .fused, .rating, .label, and .reasons when there are any)."""
    return [xmp.PhotoDecision(Path(r.path), verdict_of(r), r.fused, r.rating or None, r.label,
                              tuple(getattr(r, "reasons", ()) or ()), source=getattr(r, "flag_source", None),
                              weak=bool(getattr(r, "low_quality", False)),
                              provisional=bool(getattr(r, "verdict_provisional", False)))
            for r in rows if r.status != "missing"]


# --------------------------------------------------------------------------- import

@dataclass
class ImportReport:
    read: int = 0  # sidecars read (new or changed since the last import)
    imported: int = 0  # of those, sidecars that held a decision a person made
    folders: list[str] = field(default_factory=list)  # folders whose decisions changed (re-flag them)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (sidecar, one-line reason)


def import_sidecars(catalog: Catalog, naming: str = "adobe", *, scope: Sequence[str] | None = None,
                    photo_ids: Iterable[int] | None = None) -> ImportReport:
    """Record as user decisions what new or changed sidecars say (photos under `scope`, or these ids).

    A sidecar that cannot be read is reported (once per change: its mtime is
    noted) and never stops the import.
    """
    from curator.catalog import SidecarImport

    report = ImportReport()
    imports: list[SidecarImport] = []
    folders: dict[str, dict[str, list[str]]] = {}
    order = (naming,) + tuple(n for n in xmp.NAMING_SCHEMES if n != naming)
    for mark in catalog.sidecar_marks(scope, photo_ids):
        if mark.folder not in folders:
            folders[mark.folder] = _sidecars_by_base(mark.folder)
        by_base = folders[mark.folder]
        if not by_base:
            continue
        photo = Path(mark.path)
        # Only this photo's candidates (IMG.xmp, IMG.CR2.xmp in any case) go to find_sidecar: one listing
        # per folder, O(1) per photo.
        listing = by_base.get(photo.stem, []) + by_base.get(photo.name, [])
        sidecar = next((s for s in (xmp.find_sidecar(photo, n, listing) for n in order) if s is not None), None)
        if sidecar is None:
            continue
        mtime_ns = _mtime_ns(sidecar)
        if mtime_ns is None:
            continue
        if mtime_ns == mark.seen_mtime_ns:
            continue
        report.read += 1
        try:
            decision = xmp.imported_decision(xmp.read_sidecar(sidecar))
        except xmp.SidecarError as exc:
            report.failures.append((str(sidecar), str(exc)))
            imports.append(SidecarImport(mark.photo_id, mtime_ns))
            continue
        if decision is None:
            imports.append(SidecarImport(mark.photo_id, mtime_ns))
        else:
            report.imported += 1
            imports.append(SidecarImport(mark.photo_id, mtime_ns, decision.flag, decision.rating, decision.label,
                                         decision.unreject))
    if imports:
        report.folders = catalog.import_sidecar_decisions(imports)
    return report


def _mtime_ns(sidecar: Path) -> int | None:
    """The sidecar's mtime, or a dangling link's own: that link is then reported once, like any sidecar
    that cannot be read, rather than skipped in silence."""
    for follow in (True, False):
        try:
            return os.stat(sidecar, follow_symlinks=follow).st_mtime_ns
        except OSError:
            pass
    return None


def _sidecars_by_base(folder: str) -> dict[str, list[str]]:
    """The .xmp files (any case) of a folder by the name they are the sidecar of: IMG or IMG.CR2."""
    out: dict[str, list[str]] = {}
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return out
    for name in names:
        if name.lower().endswith(xmp.SIDECAR_SUFFIX):
            out.setdefault(name[: -len(xmp.SIDECAR_SUFFIX)], []).append(name)
    return out


def import_for_records(catalog: Catalog, naming: str, recorded: Sequence[Any]) -> list[str]:
    """The worker's hook: import the sidecars of the photos a batch recorded; returns folders to re-flag."""
    ids = [r.photo_id for r in recorded if r.recorded and r.kind in ("scored", "unchanged", "adopted", "partner")]
    if not ids:
        return []
    report = import_sidecars(catalog, naming, photo_ids=ids)
    for sidecar, reason in report.failures:
        log.warning("%s", reason or sidecar)
    return report.folders


# --------------------------------------------------------------------------- writing (watch --xmp)

class SidecarWriter:
    """Keeps sidecars in step with the catalog while `curator watch --xmp` runs.

    write_all(roots) writes every photo under the roots once (at start); after
    that, write_changed(ids) writes the photos a batch recorded plus every
    decision made or changed since the last call, by anyone: the auto policy,
    the user in the gallery or `curator flag`, an import. Sidecars whose content
    would not change are not rewritten, and a rating or label a person set in a
    sidecar is kept (curator.disk.xmp). A failure is logged, never fatal.
    """

    OVERLAP_SECONDS = 5.0  # decisions are read again this far back: another process may commit late

    def __init__(self, catalog: Catalog, *, naming: str = "adobe", mapping: Mapping[str, xmp.Mark] | None = None,
                 write_score: bool = False, machine: xmp.Machine = xmp.Machine(), clock: Any = time.time) -> None:
        self.catalog = catalog
        self.naming = naming
        self.mapping = dict(mapping) if mapping is not None else dict(xmp.DEFAULT_MAPPING)
        self.write_score = write_score
        self.machine = machine
        self.clock = clock
        self.since = clock()
        self._written: dict[int, float] = {}  # photo id -> the decided_at already written
        self.sidecars_written = 0

    @classmethod
    def from_settings(cls, catalog: Catalog, settings: Settings) -> SidecarWriter:
        return cls(catalog, naming=settings.xmp_naming, mapping=xmp.parse_mapping(settings.xmp_map),
                   write_score=settings.xmp_write_score, machine=xmp.parse_machine(settings.xmp_machine))

    def write_all(self, roots: Sequence[str]) -> xmp.WriteReport:
        self.since = self.clock()
        rows: list[GalleryRow] = []
        for root in roots:
            rows += self.catalog.query_rows(under=root)
        return self._write(rows)

    def write_changed(self, photo_ids: Iterable[int] = ()) -> xmp.WriteReport | None:
        mark = self.clock()
        ids = set(int(i) for i in photo_ids)
        for pid, decided_at in self.catalog.decided_since(self.since):
            if self._written.get(pid) != decided_at:
                ids.add(pid)
                self._written[pid] = decided_at
        self.since = mark - self.OVERLAP_SECONDS
        self._written = {pid: t for pid, t in self._written.items() if t >= self.since}
        if not ids:
            return None
        return self._write(self.catalog.rows_by_id(ids))

    def _write(self, rows: Sequence[Any]) -> xmp.WriteReport:
        report = xmp.write_decisions(photo_decisions(rows), naming=self.naming, mapping=self.mapping,
                                     write_score=self.write_score, machine=self.machine)
        self.sidecars_written += report.changed
        for clash in report.clashes:
            log.warning("%s", clash.message)
        for _path, reason in report.failures:
            log.warning("%s", reason)
        for result in report.written:
            if result.changed:
                log.debug("wrote %s", result.sidecar)
        return report
