"""All catalog access for the window, on one background thread with its own connection.

The GUI thread never touches SQLite: it posts typed jobs (ui.background.catalog_jobs) here
and gets results back through queued signals. A catalog that another process
holds locked (a watcher's write, a long `curator flag`) therefore delays results
but never freezes the window; `busy_for()` lets the window say so.

Each job type has one handler in `_HANDLERS`. A failed job is either busy (the
lock: `is_busy`, the one place that tells) and retried, or reported in one line.

Bursts are grouped here too (curator.actions.culling.bursts, which reads the CLIP embeddings),
in the background: after each reload the worker notes which folders' frames
changed (ui.background.burst_tracker) and regroups only those, a few at a time between
other requests, so a decision never waits for a big catalog's bursts.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import QObject, Signal

from curator.catalog.errors import CatalogBusy, CatalogError
from curator.actions.culling import CullingRules, bursts, recompute_flags
from curator.rules.explain import explain
from iqa_engine.measures import focus_boxes
from curator.settings import Settings
from ui.background.burst_tracker import BurstTracker
from ui.background.catalog_actions import reject_in_folders, reject_one_burst, write_xmp
from ui.background.catalog_jobs import (Decide, DecideMany, FindDuplicates, GroupBursts, Job, JobQueue, LoadDetail, Poll,
                             Recompute, Redo, RejectBurst, RejectBursts, RejectDuplicates, Reload, Search, Undo,
                             WriteXmp)
from ui.heatmap.layers import layers_for
from ui.rules.tiling import BurstGroup
from ui.background.undo import UndoHistory, UndoStep, decision_label

if TYPE_CHECKING:
    from curator.catalog import Catalog

log = logging.getLogger(__name__)

_BURST_SLICE_S = 0.25  # background burst grouping works in slices this long, then lets other requests in

OpenCatalog = Callable[[Path, bool], "Catalog"]  # (path, read only?) -> an open catalog


def _default_open(path: Path, readonly: bool) -> Catalog:
    from curator.catalog import Catalog

    return Catalog.open(path, readonly=readonly)


def is_busy(exc: BaseException) -> bool:
    """Another process holds the catalog locked: the catalog says so by type (CatalogBusy)."""
    return isinstance(exc, CatalogBusy)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class CatalogWorker(QObject):
    opened = Signal(bool, str)  # read only?, why (when it fell back to read-only)
    openFailed = Signal(str)
    rowsLoaded = Signal(object)  # list[GalleryRow]
    foldersLoaded = Signal(object)  # list[str]
    detailLoaded = Signal(int, object)  # photo id, PhotoDetail or None
    # photo id, curator.rules.explain.Why or None (not measured), {name: ui.heatmap.layers.HeatLayer}
    whyLoaded = Signal(int, object, object)
    rowRefreshed = Signal(object)  # GalleryRow, as stored after a decision
    decisionFailed = Signal(int, str)
    flagsRecomputed = Signal(int)
    policyLoaded = Signal(object)  # (threshold, bottom_percent) stored in the catalog, or None
    failed = Signal(str)  # anything else that went wrong, one line
    burstsLoaded = Signal(object)  # {folder: [BurstGroup]} for the folders regrouped ([] clears one)
    burstRejectDone = Signal(object)  # BurstRejectResult
    xmpWritten = Signal(object)  # XmpResult
    undone = Signal(str)  # what undo or redo did, for the status bar ("Undid: pick IMG_0001.jpg")
    keywordsLoaded = Signal(int, object)  # photo id, [(keyword, confidence)] or None (no embedding or features)
    searchDone = Signal(str, object)  # the text, {photo id: cosine}
    duplicatesFound = Signal(object)  # [(photo ids best first, identical?)]
    duplicatesRejected = Signal(object)  # curator.actions.culling.KeepBest

    def __init__(self, db_path: Path | str, *, readonly: bool = False, open_catalog: OpenCatalog | None = None,
                 settings: Settings | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db_path = Path(db_path)
        self.readonly = readonly
        self.settings = settings or Settings()  # burst grouping, XMP naming and mapping
        self._open_catalog = open_catalog or _default_open
        self._bursts = BurstTracker()
        self._queue = JobQueue(self._bursts.due)
        self._job: Job | None = None
        self._job_started = 0.0
        self._thread: threading.Thread | None = None
        self._version: int | None = None
        self._folders: list[str] | None = None
        self.catalog: Any = None  # the open Catalog, on the worker thread (Any: tests hand in stand-ins)
        self.history = UndoHistory()  # on the worker thread, in the order the edits ran
        self._engine: Any = None  # loaded on the first search (the user asked for it), then kept
        self._searcher: Any = None  # the stored embeddings, kept until the catalog changes
        self._searcher_version: int | None = None

    # --- lifecycle -----------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._main, name="curator-catalog", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._queue.stop()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                left = self.pending_decisions()
                log.warning("the catalog is still busy after %.0f s%s", timeout,
                            f"; {left} decision(s) may not be saved" if left else "")

    def busy_for(self) -> tuple[str | None, float]:
        """The name of the job running now and for how many seconds (None, 0 when idle)."""
        job, started = self._job, self._job_started
        return (job.name, time.monotonic() - started) if job is not None else (None, 0.0)

    def pending_decisions(self) -> int:
        return self._queue.decisions_waiting() + (1 if isinstance(self._job, Decide) else 0)

    # --- requests (any thread) -----------------------------------------------------------------
    def reload(self) -> None:
        self._queue.put(Reload())

    def poll(self) -> None:
        self._queue.put(Poll())

    def load_detail(self, photo_id: int) -> None:
        self._queue.put(LoadDetail(photo_id))

    def set_decision(self, photo_id: int, **changes: Any) -> None:
        self._queue.put(Decide(photo_id, tuple(changes.items())))

    def set_decisions(self, photo_ids: Sequence[int], **changes: Any) -> None:
        """One decision on several photos: one transaction, one undo step."""
        self._queue.put(DecideMany(tuple(int(i) for i in photo_ids), tuple(changes.items())))

    def undo(self) -> None:
        self._queue.put(Undo())

    def redo(self) -> None:
        self._queue.put(Redo())

    def recompute_flags(self, threshold: float | None, bottom_percent: float, folder: str | None = None) -> None:
        self._queue.put(Recompute(threshold, bottom_percent, folder))

    def set_bursts_enabled(self, on: bool) -> None:
        """Group bursts in the background (after each reload, the folders whose frames changed)."""
        self._queue.set_background(on)

    def reject_burst(self, photo_id: int) -> None:
        """"Reject all but the best" in the burst of this photo."""
        self._queue.put(RejectBurst(int(photo_id)))

    def reject_bursts(self, folders: Sequence[str] | None, *, dry_run: bool = False) -> None:
        """"Reject all but the best" in every burst of these folders (None: every folder)."""
        self._queue.put(RejectBursts(None if folders is None else tuple(folders), dry_run))

    def write_xmp(self, roots: Sequence[str] | None) -> None:
        """Write every photo's decision under these folders (None: all of them) to its XMP sidecar."""
        self._queue.put(WriteXmp(None if roots is None else tuple(roots)))

    def search(self, text: str) -> None:
        """Rank every photo by similarity to the text (searchDone); the model loads on the first search."""
        self._queue.put(Search(text))

    def find_duplicates(self, roots: Sequence[str] | None) -> None:
        self._queue.put(FindDuplicates(None if roots is None else tuple(roots)))

    def reject_duplicates(self, groups: Sequence[Sequence[int]]) -> None:
        """"Reject all but the best" in these groups (photo ids, best first), in one transaction."""
        self._queue.put(RejectDuplicates(tuple(tuple(int(i) for i in g) for g in groups)))

    def burst_params(self) -> tuple[float, float]:
        return (float(self.settings.burst_gap_seconds), float(self.settings.burst_similarity))

    # --- the thread ----------------------------------------------------------------------------
    def _main(self) -> None:
        try:
            self.catalog = self._open()
        except Exception as exc:  # noqa: BLE001 - reported to the window, which explains it
            log.warning("cannot open catalog %s: %s", self.db_path, exc)
            self.openFailed.emit(_one_line(exc))
            return
        try:
            self.policyLoaded.emit(self.catalog.flag_policy())
        except Exception:  # noqa: BLE001 - an older catalog without a stored policy
            self.policyLoaded.emit(None)
        try:
            while (job := self._queue.take()) is not None:
                self._run(job)
        finally:
            try:
                self.catalog.close()
            except Exception:  # noqa: BLE001 - closing on the way out; nothing left to tell
                pass

    def _open(self) -> Any:
        if self.readonly:
            cat = self._open_catalog(self.db_path, True)
            self.opened.emit(True, "opened read-only")
            return cat
        try:
            cat = self._open_catalog(self.db_path, False)
        except (CatalogError, OSError) as exc:  # a read-only folder or file: fall back to reading
            if not self.db_path.exists():
                raise
            try:
                cat = self._open_catalog(self.db_path, True)
            except (CatalogError, OSError):
                raise exc from None
            self.readonly = True
            self.opened.emit(True, _one_line(exc))
            return cat
        self.opened.emit(False, "")
        return cat

    def _run(self, job: Job) -> None:
        self._job, self._job_started = job, time.monotonic()
        try:
            _HANDLERS[type(job)](self, job)
        except Exception as exc:  # noqa: BLE001 - the thread must survive anything the catalog raises
            if is_busy(exc):
                if not self._queue.retry(job) and isinstance(job, Decide):
                    self.decisionFailed.emit(job.photo_id, "the catalog stayed locked; decision not saved")
            else:
                self._report_failure(job, exc)
        finally:
            self._job = None

    def _report_failure(self, job: Job, exc: BaseException) -> None:
        why = _one_line(exc)
        log.warning("catalog %s failed: %s", job.name, why)
        log.debug("catalog %s failed", job.name, exc_info=True)
        if isinstance(job, Decide):
            self.decisionFailed.emit(job.photo_id, why)
            try:  # show the row as it is stored
                self._reload(Reload())
            except Exception:  # noqa: BLE001 - the decision's failure is what the user needs to hear
                pass
        elif isinstance(job, DecideMany):
            self.failed.emit(f"Decision not saved: {why}")
            try:
                self._reload(Reload())
            except Exception:  # noqa: BLE001 - the decision's failure is what the user needs to hear
                pass
        elif isinstance(job, (Undo, Redo)):
            self.failed.emit(f"{job.name.capitalize()} failed: {why}")
        elif isinstance(job, WriteXmp):
            self.failed.emit(f"Write XMP failed: {why}")
        elif isinstance(job, (RejectBurst, RejectBursts, RejectDuplicates)):
            self.failed.emit(f"Reject all but the best failed: {why}")
        elif isinstance(job, Search):
            self.failed.emit(f"Search failed: {why}")
        elif isinstance(job, FindDuplicates):
            self.failed.emit(f"Finding duplicates failed: {why}")
        else:
            self.failed.emit(f"catalog {job.name} failed: {why}")

    # --- handlers (worker thread) --------------------------------------------------------------
    def _decide(self, job: Decide) -> None:
        self._decide_on((job.photo_id,), dict(job.changes))

    def _decide_many(self, job: DecideMany) -> None:
        self._decide_on(job.photo_ids, dict(job.changes))

    def _decide_on(self, photo_ids: Sequence[int], changes: dict[str, Any]) -> None:
        """The decision, with its undo step read in the same transaction."""
        cat = self.catalog
        with cat.transaction():
            before = cat.decision_states(photo_ids)
            if len(photo_ids) == 1:
                cat.set_decision(photo_ids[0], source="user", **changes)
            else:
                cat.set_decisions(photo_ids, source="user", **changes)
            after = cat.decision_states(photo_ids)
        names = [r.name for r in cat.rows_by_id(photo_ids)]
        self.history.push(UndoStep(decision_label(changes, names), tuple(before), tuple(after)))
        self._refresh(photo_ids)

    def _refresh(self, photo_ids: Sequence[int]) -> None:
        """Show these photos as stored; a decision belongs to the shot: both files of a RAW+JPEG pair show it."""
        ids = {i for pid in photo_ids for i in self.catalog.shot_ids(pid)}
        for row in self.catalog.rows_by_id(sorted(ids)):
            self.rowRefreshed.emit(row)

    def _undo(self, _job: Undo) -> None:
        self._step(self.history.undo(), undo=True)

    def _redo(self, _job: Redo) -> None:
        self._step(self.history.redo(), undo=False)

    def _step(self, step: UndoStep | None, *, undo: bool) -> None:
        if step is None:
            self.undone.emit("Nothing to undo" if undo else "Nothing to redo")
            return
        try:
            self.catalog.restore_decisions(step.before if undo else step.after)
        except Exception:
            # not written: the step stays where it was, so the user can try again
            (self.history.redo if undo else self.history.undo)()
            raise
        self._refresh(step.photo_ids)
        self.undone.emit(("Undid: " if undo else "Redid: ") + step.label)

    def _load_detail(self, job: LoadDetail) -> None:
        detail = self.catalog.photo_detail(job.photo_id)
        self.detailLoaded.emit(job.photo_id, detail)
        self.keywordsLoaded.emit(job.photo_id, self._keywords(job.photo_id, detail))
        if detail is None:
            return
        quality = self.catalog.quality_detail(job.photo_id)
        folder = self.catalog.quality_rows([detail.row.folder]).get(detail.row.folder, [])
        why = explain(job.photo_id, quality.quality, folder or [quality.quality]) if quality is not None else None
        fused = [r.fused for r in self.catalog.query_rows(folder=detail.row.folder) if r.partner_of is None]
        focus = [r.measures["focus_best"] for r in folder if "focus_best" in r.measures]
        dims = [r.dimensions for r in folder]
        if quality is not None and quality.focus_grid is not None and quality.measured_size is not None:
            layers = layers_for(quality.view_boxes, quality.view_dimensions, detail.scored_size,
                                focus_boxes(quality.measured_size, quality.focus_grid), quality.focus_windows,
                                quality.measured_size, dims, focus, fused)
        else:
            layers = layers_for((), (), detail.scored_size, (), (), None, dims, focus, fused)
        self.whyLoaded.emit(job.photo_id, why, layers)

    def _keywords(self, photo_id: int, detail: Any) -> list[tuple[str, float]] | None:
        """The photo's keywords when the catalog has its vocabulary's features (no model is loaded here)."""
        from curator.actions.keyword_tagging import cached_tagger

        tagger = cached_tagger(self.catalog, self.settings)
        if tagger is None or detail is None:
            return None
        shot = detail.row.partner_of or photo_id  # a RAW+JPEG pair: the scored file's embedding
        found = tagger.for_photos(self.catalog, [shot]).get(shot)
        return None if found is None else [(k.keyword, k.confidence) for k in found]

    def _search(self, job: Search) -> None:
        from curator.actions.photo_search import Searcher
        from curator.actions.engine_loading import load_engine

        if self._engine is None:
            self._engine = load_engine(self.settings)
        version = self.catalog.data_version()
        if self._searcher is None or self._searcher_version != version:
            self._searcher = Searcher.load(self.catalog, self._engine.clip_fingerprint)
            self._searcher_version = version
        hits = self._searcher.by_text(self._engine, job.text)
        self.searchDone.emit(job.text, {cast(int, h.key): h.similarity for h in hits})  # keys are photo ids

    def _find_duplicates(self, job: FindDuplicates) -> None:
        from curator.actions.culling import duplicates
        from curator.actions.keyword_tagging import main_clip_fingerprint

        fingerprint = main_clip_fingerprint(self.catalog)
        gap, similarity = self.burst_params()
        groups = [] if fingerprint is None else duplicates(
            self.catalog, fingerprint, job.roots, similarity=self.settings.dupes_similarity,
            max_distance=self.settings.dupes_max_distance, burst_gap_seconds=gap, burst_similarity=similarity)
        self.duplicatesFound.emit([(tuple(cast(int, i) for i in g.ids), g.identical) for g in groups])

    def _reject_duplicates(self, job: RejectDuplicates) -> None:
        from curator.actions.culling import reject_duplicates

        result = reject_duplicates(self.catalog, job.groups)
        self.duplicatesRejected.emit(result)
        if result.rejected:
            self._reload(Reload())

    def _recompute(self, job: Recompute) -> None:
        n = recompute_flags(self.catalog, CullingRules.from_settings(self.settings, job.policy), job.folder)
        if job.folder is None:  # what later scans and watches re-flag with
            self.catalog.set_flag_policy(job.threshold, job.bottom_percent)
        self.flagsRecomputed.emit(int(n or 0))
        self._reload(Reload())

    def _reload(self, _job: Reload) -> None:
        version = self.catalog.data_version()
        rows = self.catalog.gallery_rows()
        self._version = version
        self.rowsLoaded.emit(rows)
        folders = list(self.catalog.folders())
        if folders != self._folders:
            self._folders = folders
            self.foldersLoaded.emit(folders)
        self._bursts.rows_loaded(rows)  # looked at by the next burst slice, once the window has the rows

    def _poll(self, _job: Poll) -> None:
        if self.catalog.data_version() != self._version:
            self._reload(Reload())

    def _group_bursts(self, _job: GroupBursts) -> None:
        cleared = self._bursts.note_rows()
        if cleared:
            self.burstsLoaded.emit({folder: [] for folder in cleared})
        gap, similarity = self.burst_params()
        start = time.monotonic()
        out: dict[str, list[BurstGroup]] = {}
        try:
            while time.monotonic() - start < _BURST_SLICE_S and not self._queue.should_yield():
                todo = self._bursts.next_folder()
                if todo is None:
                    break
                folder, sig = todo
                try:
                    groups = bursts(self.catalog, folder, gap_seconds=gap, similarity=similarity)
                except Exception as exc:
                    self._bursts.failed(folder, sig, retry=is_busy(exc))
                    raise
                out[folder] = [BurstGroup.from_burst(b) for b in groups if b.is_burst]
                self._bursts.grouped(folder, sig)
        finally:
            if out:
                self.burstsLoaded.emit(out)

    def _reject_burst(self, job: RejectBurst) -> None:
        gap, similarity = self.burst_params()
        cat = self.catalog
        with cat.transaction():  # the rejects and their undo step, in one transaction
            before = cat.decision_states(reject_one_burst(cat, job.photo_id, gap=gap, similarity=similarity,
                                                          dry_run=True).rejected)
            result = reject_one_burst(cat, job.photo_id, gap=gap, similarity=similarity)
            after = cat.decision_states(result.rejected)
        if result.rejected:
            names = [r.name for r in cat.rows_by_id([job.photo_id])]
            label = f"reject {len(result.rejected)} frame{'s' if len(result.rejected) != 1 else ''} of the burst" + (
                f" of {names[0]}" if names else "")
            self.history.push(UndoStep(label, tuple(before), tuple(after)))
        self.burstRejectDone.emit(result)
        if result.rejected:
            self._reload(Reload())

    def _reject_bursts(self, job: RejectBursts) -> None:
        gap, similarity = self.burst_params()
        cat = self.catalog
        if job.dry_run:
            self.burstRejectDone.emit(reject_in_folders(cat, job.folders, gap=gap, similarity=similarity,
                                                        dry_run=True))
            return
        with cat.transaction():
            before = cat.decision_states(reject_in_folders(cat, job.folders, gap=gap, similarity=similarity,
                                                           dry_run=True).rejected)
            result = reject_in_folders(cat, job.folders, gap=gap, similarity=similarity, dry_run=False)
            after = cat.decision_states(result.rejected)
        n = len(result.rejected)
        self.history.push(UndoStep(f"reject {n} frame{'s' if n != 1 else ''} in {result.bursts} "
                                   f"burst{'s' if result.bursts != 1 else ''}", tuple(before), tuple(after)))
        self.burstRejectDone.emit(result)
        if result.rejected:
            self._reload(Reload())

    def _write_xmp(self, job: WriteXmp) -> None:
        self.xmpWritten.emit(write_xmp(self.catalog, self.settings, job.roots))


# One handler per job type (a new job is a dataclass in ui.background.catalog_jobs plus a line here).
_HANDLERS: dict[type, Callable[[CatalogWorker, Any], None]] = {
    Decide: CatalogWorker._decide,
    DecideMany: CatalogWorker._decide_many,
    Undo: CatalogWorker._undo,
    Redo: CatalogWorker._redo,
    LoadDetail: CatalogWorker._load_detail,
    Recompute: CatalogWorker._recompute,
    Reload: CatalogWorker._reload,
    Poll: CatalogWorker._poll,
    GroupBursts: CatalogWorker._group_bursts,
    RejectBurst: CatalogWorker._reject_burst,
    RejectBursts: CatalogWorker._reject_bursts,
    WriteXmp: CatalogWorker._write_xmp,
    Search: CatalogWorker._search,
    FindDuplicates: CatalogWorker._find_duplicates,
    RejectDuplicates: CatalogWorker._reject_duplicates,
}
