"""Safe moves: move rejected photos out of the way, with an undo log. Nothing is deleted.

``move_files(paths, dest, log_path=...)`` moves each file, its RAW/JPEG partner
(same folder and stem, see curator.disk.raw_pairs) and its XMP sidecars into ``dest``,
keeping each file's path relative to ``root`` (by default the deepest folder
that holds them all):

    /shoot/day1/IMG_0001.CR2  ->  DEST/day1/IMG_0001.CR2
    /shoot/day1/IMG_0001.JPG  ->  DEST/day1/IMG_0001.JPG   (partner)
    /shoot/day1/IMG_0001.xmp  ->  DEST/day1/IMG_0001.xmp   (Adobe sidecar)

Rules:

- **Never overwrite.** If any target exists, the whole batch is refused
  before anything moves (``on_collision="refuse"``, the default), or the
  shot is given the first free suffix, the same for all its files:
  IMG_0001-1.CR2, IMG_0001-1.JPG, IMG_0001-1.xmp (``"suffix"``).
- **Never delete.** A move within one file system is a rename. Across file
  systems it is copy, fsync, re-read and compare SHA-256 with the bytes read
  from the source, and only then remove the source: still the move the
  user asked for, never a loss.
- **A shared Adobe sidecar stays.** IMG.xmp moves only when every photo file
  with that stem moves (it also belongs to IMG.DNG if that one stays).
- **Undo log.** Before anything moves, a ``batch`` record is appended to a
  JSON-lines log and fsynced; before each file moves, a ``move`` record
  (src, dst, size) is appended and fsynced. So after a crash the log still
  names every file that may have moved. ``undo_last`` reverses the newest
  batch that is not undone yet, exactly (last move first), and refuses
  before moving anything if a file is missing, changed size or would
  overwrite something. It then removes the folders the batch created, if
  they are empty. Running it again undoes the batch before.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import secrets
import shutil
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from curator.errors import UserError
from curator.disk.files import is_photo_path
from curator.disk.own_files import PARTIAL_SUFFIX, is_partial_copy, temp_sibling
from curator.disk.raw_pairs import shot_of, stem_key
from curator.disk.xmp import NAMING_SCHEMES, find_sidecar, fsync_dir

COLLISION_POLICIES = ("refuse", "suffix")
_CHUNK = 1 << 20


class MoveError(UserError):
    """A move or undo that was refused or failed; the message says what state files are in."""

    def __init__(self, message: str, moved: tuple[tuple[Path, Path], ...] = ()) -> None:
        super().__init__(message)
        self.moved = moved  # (src, dst) of the files that did move before the failure


@dataclass(frozen=True)
class PlannedMove:
    src: Path
    dst: Path
    role: str  # "photo" (asked for), "partner" (RAW/JPEG of the same shot) or "sidecar"
    size: int


@dataclass(frozen=True)
class MovePlan:
    root: Path
    dest: Path
    moves: tuple[PlannedMove, ...]
    notes: tuple[str, ...] = ()  # what was skipped or left in place, and why


@dataclass(frozen=True)
class MoveBatch:
    batch: str
    log_path: Path
    moved: tuple[PlannedMove, ...]
    partials_removed: tuple[Path, ...] = ()  # partial copies an interrupted earlier move had left


@dataclass(frozen=True)
class UndoResult:
    batch: str
    restored: tuple[tuple[Path, Path], ...]  # (from, back to)
    already_back: tuple[Path, ...]  # files that were never moved or are already back
    dry_run: bool = False
    partials_removed: tuple[Path, ...] = ()  # partial copies the batch had left (with dry_run: would remove)


# --------------------------------------------------------------------------- planning

def _abs(p: str | os.PathLike[str]) -> Path:
    return Path(os.path.abspath(os.path.expanduser(os.fspath(p))))


def _is_within(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
        return True
    except ValueError:
        return False


def plan_moves(paths: Iterable[str | os.PathLike[str]], dest: str | os.PathLike[str], *,
               root: str | os.PathLike[str] | None = None, on_collision: str = "refuse") -> MovePlan:
    """What moving `paths` (with partners and sidecars) into `dest` would do. Changes nothing."""
    if on_collision not in COLLISION_POLICIES:
        raise MoveError(f"on_collision must be one of {', '.join(COLLISION_POLICIES)}")
    dest_dir = _abs(dest)
    if dest_dir.exists() and not dest_dir.is_dir():
        raise MoveError(f"{dest_dir} exists and is not a folder")
    notes: list[str] = []
    listing = _Listings()
    files = _asked_with_partners(paths, dest_dir, listing, notes)  # 1. the files asked for, and their partners
    files.update(_sidecars_of(files, listing, notes))  # 2. their sidecars
    if not files:
        return MovePlan(_abs(root) if root else dest_dir, dest_dir, (), tuple(notes))
    # 3. targets, relative to root
    base = _abs(root) if root is not None else Path(os.path.commonpath([str(f.parent) for f in files]))
    outside = [f for f in files if not _is_within(f, base)]
    if outside:
        raise MoveError(f"{outside[0]} is not under {base}; pass a root that holds every file")
    return MovePlan(base, dest_dir, tuple(_targets(files, base, dest_dir, on_collision)), tuple(notes))


class _Listings:
    """Each folder's file names, sorted, read once per plan (an unreadable folder: none)."""

    def __init__(self) -> None:
        self._names: dict[Path, list[str]] = {}

    def __call__(self, folder: Path) -> list[str]:
        if folder not in self._names:
            try:
                self._names[folder] = sorted(os.listdir(folder))
            except OSError:
                self._names[folder] = []
        return self._names[folder]


def _asked_with_partners(paths: Iterable[str | os.PathLike[str]], dest_dir: Path, listing: _Listings,
                         notes: list[str]) -> dict[Path, str]:
    """{file: "photo" or "partner"}: the regular files asked for (the others noted as skipped) and the
    RAW/JPEG partners of their shots."""
    files: dict[Path, str] = {}
    for raw in paths:
        p = _abs(raw)
        if p in files:
            files[p] = "photo"
            continue
        skipped = _why_skipped(p, dest_dir)
        if skipped:
            notes.append(f"skipped {p}: {skipped}")
            continue
        files[p] = "photo"
        shot = shot_of(p, [p.parent / n for n in listing(p.parent)])
        for partner in shot.files:
            if partner != p and partner not in files and partner.is_file() and not partner.is_symlink():
                files[partner] = "partner"
    return files


def _why_skipped(p: Path, dest_dir: Path) -> str | None:
    if p.is_symlink():
        return "a symbolic link"
    if not p.is_file():
        return "not found" if not p.exists() else "not a regular file"
    if _is_within(p, dest_dir):
        return f"already in {dest_dir}"
    return None


def _sidecars_of(files: dict[Path, str], listing: _Listings, notes: list[str]) -> dict[Path, str]:
    """{sidecar: "sidecar"} for the files' XMP sidecars, in every naming scheme; an Adobe sidecar (IMG.xmp)
    another photo of the stem still uses stays (noted)."""
    sidecars: dict[Path, str] = {}
    for f in list(files):
        names = listing(f.parent)
        for naming in NAMING_SCHEMES:
            sc = find_sidecar(f, naming, names)
            if sc is None or sc in files or sc in sidecars or sc.is_symlink() or not sc.is_file():
                continue
            if naming == "adobe":
                staying = _other_users(sc, f, names, files)
                if staying:
                    notes.append(f"left {sc} in place: {staying[0].name} still uses it")
                    continue
            sidecars[sc] = "sidecar"
    return sidecars


def _other_users(sidecar: Path, f: Path, names: list[str], moving: dict[Path, str]) -> list[Path]:
    """The photos beside f with its stem that share the Adobe sidecar and are not moving."""
    users = [f.parent / n for n in names if (f.parent / n) != sidecar
             and stem_key(f.parent / n) == stem_key(f) and is_photo_path(n)]
    return [u for u in users if u not in moving]


def _targets(files: dict[Path, str], base: Path, dest_dir: Path, on_collision: str) -> list[PlannedMove]:
    """Each file's move to its place under dest_dir, relative to base; a shot and its sidecars get one
    suffix together."""
    units: dict[tuple[Path, str], list[Path]] = {}
    for f in files:
        units.setdefault((f.parent, _unit_stem(f).casefold()), []).append(f)
    moves: list[PlannedMove] = []
    taken: set[str] = set()
    for members in units.values():
        targets = _free_targets(members, base, dest_dir, taken, on_collision)
        for f, t in zip(members, targets, strict=True):
            taken.add(os.path.normcase(str(t)))
            moves.append(PlannedMove(f, t, files[f], f.stat().st_size))
    return moves


def _free_targets(members: list[Path], base: Path, dest_dir: Path, taken: set[str], on_collision: str) -> list[Path]:
    """Where a unit's files go: their own names, or (with "suffix") the first suffix free for all of them."""
    for n in range(0, 10_000):
        targets = [dest_dir / f.relative_to(base) for f in members]
        if n:
            targets = [t.with_name(_with_suffix_number(t.name, len(_unit_stem(f)), n))
                       for f, t in zip(members, targets, strict=True)]
        clash = next((t for t in targets if os.path.lexists(t) or os.path.normcase(str(t)) in taken), None)
        if clash is None:
            return targets
        if on_collision == "refuse":
            raise MoveError(f"{clash} already exists; nothing was moved "
                            f"(use --on-collision suffix to move it under a free name)")
    raise MoveError(f"no free name for {members[0].name} in {dest_dir}")  # pragma: no cover - 10,000 copies


def _unit_stem(path: Path) -> str:
    """The stem a file's shot is known by: IMG.CR2, IMG.CR2.xmp and IMG.xmp -> "IMG"."""
    if path.suffix.lower() == ".xmp":
        inner = path.with_suffix("")
        return inner.stem if is_photo_path(inner.name) else inner.name
    return path.stem


def _with_suffix_number(name: str, stem_len: int, n: int) -> str:
    return name[:stem_len] + f"-{n}" + name[stem_len:]


# --------------------------------------------------------------------------- the log

@contextmanager
def _open_log(log_path: Path) -> Iterator[Any]:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "a", encoding="utf-8") as fh:
        try:
            import fcntl

            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)  # one mover at a time per log
        except (ImportError, OSError):
            pass
        yield fh


def _append(fh: Any, record: dict[str, Any]) -> None:
    fh.write(json.dumps(record, sort_keys=True) + "\n")
    fh.flush()
    os.fsync(fh.fileno())


def read_log(log_path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The records of an undo log; a torn last line (a crash mid-write) is ignored."""
    path = Path(log_path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise MoveError(f"cannot read the undo log {path}: {exc.strerror or exc}") from None
    records = []
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            if i == len(lines) - 1:
                continue
            raise MoveError(f"the undo log {path} is damaged at line {i + 1}") from None
        if isinstance(rec, dict) and "op" in rec and "batch" in rec:
            records.append(rec)
    return records


# --------------------------------------------------------------------------- moving one file

def _rename(src: Path, dst: Path) -> None:
    os.rename(src, dst)  # a module-level seam: tests make it raise EXDEV to take the copy path


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        try:
            os.posix_fadvise(fh.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)  # read the disk, not the cache
        except (AttributeError, OSError):
            pass
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _copy_verify_remove(src: Path, dst: Path) -> None:
    tmp = temp_sibling(dst, PARTIAL_SUFFIX)  # short: dst may already have the longest name allowed
    h = hashlib.sha256()
    try:
        with open(src, "rb") as fi, open(tmp, "xb") as fo:
            while chunk := fi.read(_CHUNK):
                h.update(chunk)
                fo.write(chunk)
            fo.flush()
            os.fsync(fo.fileno())
        shutil.copystat(src, tmp)
        if sha256_file(tmp) != h.hexdigest():
            raise MoveError(f"the copy of {src} at {dst} did not match it (SHA-256); the source was kept")
        if os.path.lexists(dst):
            raise MoveError(f"{dst} appeared during the copy; the source was kept")
        os.rename(tmp, dst)  # same folder, so same file system
    except BaseException:
        try:
            os.unlink(tmp)  # only our own partial copy
        except OSError:
            pass
        raise
    fsync_dir(dst.parent)
    os.unlink(src)  # the copy is verified: this completes the move


def _move_one(src: Path, dst: Path) -> None:
    if os.path.lexists(dst):
        raise MoveError(f"{dst} already exists; not overwritten")
    try:
        _rename(src, dst)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        _copy_verify_remove(src, dst)


def _missing_parents(folder: Path) -> list[Path]:
    missing: list[Path] = []
    while not folder.exists():
        missing.append(folder)
        if folder.parent == folder:
            break
        folder = folder.parent
    return list(reversed(missing))


# --------------------------------------------------------------------------- batches

def execute_plan(plan: MovePlan, log_path: str | os.PathLike[str]) -> MoveBatch:
    """Carry out a plan, logging before each step; on a failure, stop and say how to undo."""
    log = Path(log_path)
    batch = time.strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3)
    moved: list[PlannedMove] = []
    touched: set[Path] = set()
    # A move killed halfway through a copy leaves its partial file; the folders it could be in are the
    # last batch's and this one's.
    earlier = _batch_folders(_last_batch(read_log(log)))
    with _open_log(log) as fh:
        _append(fh, {"op": "batch", "batch": batch, "time": time.time(), "dest": str(plan.dest),
                     "root": str(plan.root), "count": len(plan.moves)})
        partials = _remove_partials(earlier | {m.dst.parent for m in plan.moves}, fh, batch)
        for m in plan.moves:
            try:
                for folder in _missing_parents(m.dst.parent):
                    _append(fh, {"op": "mkdir", "batch": batch, "path": str(folder)})
                    folder.mkdir(exist_ok=True)
                st = os.stat(m.src, follow_symlinks=False)
                _append(fh, {"op": "move", "batch": batch, "src": str(m.src), "dst": str(m.dst),
                             "size": st.st_size, "role": m.role})
                _move_one(m.src, m.dst)
            except (OSError, MoveError) as exc:
                reason = str(exc) if isinstance(exc, MoveError) else (exc.strerror or str(exc))
                _append(fh, {"op": "abort", "batch": batch, "error": reason})
                raise MoveError(f"moving {m.src} failed: {reason}; {len(moved)} of {len(plan.moves)} files "
                                f"were moved (`curator undo` puts them back)",
                                tuple((d.src, d.dst) for d in moved)) from None
            moved.append(m)
            touched.update((m.src.parent, m.dst.parent))
        for folder in touched:
            fsync_dir(folder)
        _append(fh, {"op": "end", "batch": batch})
    return MoveBatch(batch, log, tuple(moved), partials)


def move_files(paths: Iterable[str | os.PathLike[str]], dest: str | os.PathLike[str], *,
               log_path: str | os.PathLike[str], root: str | os.PathLike[str] | None = None,
               on_collision: str = "refuse", dry_run: bool = False) -> tuple[MovePlan, MoveBatch | None]:
    """Plan, then (unless dry_run) move. Returns the plan and the batch that was carried out."""
    plan = plan_moves(paths, dest, root=root, on_collision=on_collision)
    if dry_run or not plan.moves:
        return plan, None
    return plan, execute_plan(plan, log_path)


def _last_open_batch(records: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]] | None:
    undone = {r["batch"] for r in records if r["op"] == "undone"}
    batches = [r["batch"] for r in records if r["op"] == "batch" and r["batch"] not in undone]
    if not batches:
        return None
    last = batches[-1]
    return last, [r for r in records if r["batch"] == last]


def undo_last(log_path: str | os.PathLike[str], dry_run: bool = False) -> UndoResult:
    """Move the files of the newest batch not yet undone back where they were.

    Checks everything first: if a moved file is gone, changed size, or its old
    place is taken, nothing moves and the message says which file.
    """
    log = Path(log_path)
    records = read_log(log)
    found = _last_open_batch(records)
    if found is None:
        undone = sum(1 for r in records if r["op"] == "undone")
        if undone:  # say so: "no moves recorded" would contradict the log the user can read
            raise MoveError(f"nothing to undo: every move recorded in {log} was already undone "
                            f"({undone} batch{'es' if undone != 1 else ''})")
        raise MoveError(f"nothing to undo (no moves recorded in {log})")
    batch, records = found
    moves = [r for r in records if r["op"] == "move"]
    todo: list[tuple[Path, Path]] = []
    already: list[Path] = []
    for r in reversed(moves):
        src, dst = Path(r["src"]), Path(r["dst"])
        at_dst, at_src = os.path.lexists(dst), os.path.lexists(src)
        if at_src and not at_dst:
            already.append(src)
        elif at_dst and at_src:
            raise MoveError(f"cannot undo: {src} exists again and {dst} too; nothing was moved back")
        elif not at_dst:
            raise MoveError(f"cannot undo: {dst} is gone; nothing was moved back")
        elif os.stat(dst, follow_symlinks=False).st_size != r.get("size"):
            raise MoveError(f"cannot undo: {dst} changed since it was moved (size); nothing was moved back")
        else:
            todo.append((dst, src))
    folders = _batch_folders(records)
    if dry_run:
        return UndoResult(batch, tuple(todo), tuple(already), dry_run=True, partials_removed=find_partials(folders))
    restored: list[tuple[Path, Path]] = []
    with _open_log(log) as fh:
        _append(fh, {"op": "undo", "batch": batch, "count": len(todo)})
        partials = _remove_partials(folders, fh, batch)  # before the batch's folders are removed if empty
        for here, back in todo:
            try:
                back.parent.mkdir(parents=True, exist_ok=True)
                _append(fh, {"op": "unmove", "batch": batch, "src": str(here), "dst": str(back)})
                _move_one(here, back)
            except (OSError, MoveError) as exc:
                reason = str(exc) if isinstance(exc, MoveError) else (exc.strerror or str(exc))
                raise MoveError(f"undo stopped at {here}: {reason}; {len(restored)} of {len(todo)} files are "
                                f"back (run `curator undo` again to continue)", tuple(restored)) from None
            restored.append((here, back))
        for folder in {b.parent for _, b in restored} | {h.parent for h, _ in restored}:
            fsync_dir(folder)
        for r in reversed([r for r in records if r["op"] == "mkdir"]):
            try:
                os.rmdir(r["path"])  # only folders this batch created, and only if empty
            except OSError:
                pass
        _append(fh, {"op": "undone", "batch": batch})
    return UndoResult(batch, tuple(restored), tuple(already), partials_removed=partials)


# --------------------------------------------------------------------------- partial copies left by a kill

def _last_batch(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    batches = [r["batch"] for r in records if r["op"] == "batch"]
    return [r for r in records if r["batch"] == batches[-1]] if batches else []


def _batch_folders(records: list[dict[str, Any]]) -> set[Path]:
    """Every folder a batch's copies could have been written in: its targets', and its sources' (undo)."""
    return {Path(r[k]).parent for r in records if r["op"] in ("move", "unmove") for k in ("src", "dst")}


def find_partials(folders: Iterable[Path]) -> tuple[Path, ...]:
    """Our own partial copies (by their suffix) in these folders, not below them."""
    found: list[Path] = []
    for folder in sorted(set(folders)):
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        found.extend(folder / n for n in sorted(names) if is_partial_copy(n) and os.path.isfile(folder / n))
    return tuple(found)


def _remove_partials(folders: Iterable[Path], fh: Any, batch: str) -> tuple[Path, ...]:
    """Remove our own partial copies: a partial copy is never the only copy (its source is removed only
    after the complete copy was verified and renamed into place)."""
    removed: list[Path] = []
    for path in find_partials(folders):
        try:
            os.unlink(path)
        except OSError:
            continue
        removed.append(path)
    if removed:
        _append(fh, {"op": "partials_removed", "batch": batch, "paths": [str(p) for p in removed]})
    return tuple(removed)
