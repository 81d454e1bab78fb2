"""The photographer's workflow: `curator xmp write|read`, `curator move-rejects`
and `curator undo` (`curator config show` is in commands/config.py).

The decisions that `xmp write` and `move-rejects` act on live in the catalog.
This module reaches the catalog only through the small functions below
(open_catalog, decisions_for_folder, rejects_for_folder, record_moves), so the
wiring to the catalog sits in one place.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from curator.commands.common import add_db_option
from curator.display import json_ready, shown
from curator.errors import EXIT_OK, EXIT_SOME_FAILED, UserError
from curator.settings import Settings, load_settings

# --------------------------------------------------------------------------- catalog seam


def open_catalog(settings: Settings) -> Any:
    """The catalog these commands read decisions from (it must exist: nothing here creates one)."""
    from curator.catalog import Catalog

    return Catalog.open(settings.db_path, create=False)


def decisions_for_folder(catalog: Any, folder: Path | None) -> list[Any]:
    """Every photo under `folder` (all photos when None) with its verdict and the user's stars and label.

    Uses Catalog.query_rows(under=...) rows: .path, .status, .flag, .fused, .rating, .label. The second
    file of a RAW+JPEG pair carries its shot's decision, so both files' sidecars get the same one.
    """
    from curator.actions.sidecar_sync import photo_decisions

    return photo_decisions(catalog.query_rows(under=str(folder) if folder is not None else None))


def with_keywords(catalog: Any, settings: Settings, folder: Path | None, decisions: list[Any]) -> list[Any]:
    """The decisions with each photo's keywords (curator.actions.keyword_tagging; a RAW+JPEG pair's shot's). A photo
    without an embedding gets no keyword change (None), not an empty list that would remove its keywords."""
    import dataclasses

    from curator.actions.keyword_tagging import tagger

    rows = catalog.query_rows(under=str(folder) if folder is not None else None)
    shot = {r.path: r.partner_of or r.photo_id for r in rows}
    keywords = tagger(catalog, settings).for_photos(catalog, sorted(set(shot.values())))
    out = []
    for d in decisions:
        found = keywords.get(shot.get(str(d.path), -1))
        out.append(dataclasses.replace(d, keywords=None if found is None else tuple(k.keyword for k in found)))
    return out


def rejects_for_folder(catalog: Any, folder: Path | None) -> list[Path]:
    """The photos under `folder` flagged "reject" (by the user or the auto policy)."""
    rows = catalog.query_rows(under=str(folder) if folder is not None else None, flagged=True)
    return [Path(r.path) for r in rows if r.flag == "reject" and r.status != "missing"]


def record_moves(catalog: Any, moves: Iterable[tuple[Path, Path]]) -> None:
    """Tell the catalog where photos went (move-rejects) or came back from (undo).

    Uses Catalog.move_paths([(src, dest), ...]), one transaction that keeps each
    photo's id, scores and decisions, and keeps a RAW+JPEG pair that moved
    together one shot; sidecars are not in the catalog and are skipped.
    """
    from curator.disk.files import is_photo_path

    catalog.move_paths([(str(src), str(dst)) for src, dst in moves if is_photo_path(dst)])


def undo_log_path(settings: Settings) -> Path:
    """The undo log sits beside the catalog: catalog.db -> catalog.moves.jsonl."""
    db = settings.db_path
    return db.with_name(db.stem + ".moves.jsonl")


# --------------------------------------------------------------------------- registration


def register(sub: argparse._SubParsersAction) -> None:
    xmp = sub.add_parser("xmp", help="write decisions to XMP sidecars, or read ratings back from them")
    xsub = xmp.add_subparsers(dest="xmp_command", metavar="ACTION")
    xsub.required = True
    w = xsub.add_parser("write", help="write the catalog's decisions to XMP sidecars (and, only with --embed, into JPEG/TIFF/DNG originals)",
                        description="Write your decisions (picks, rejects, stars, labels) as xmp:Rating (-1 = reject) "
                                    "and xmp:Label to each photo's sidecar; a photo only the machine found weak gets "
                                    "the keyword curator|weak instead (--machine). Existing sidecars are patched: only "
                                    "curator's fields change. --embed also writes into JPEG/TIFF/DNG originals.")
    w.add_argument("--folder", metavar="DIR", help="only photos under DIR (default: the whole catalog)")
    w.add_argument("--naming", choices=("adobe", "darktable"),
                   help="adobe: IMG_0001.xmp; darktable/digiKam: IMG_0001.CR2.xmp (default from settings: adobe)")
    w.add_argument("--map", metavar="SPEC", dest="mapping",
                   help="verdict mapping, e.g. 'reject=-1:Red,review=2:Yellow,keep=3,pick=4:Green' "
                        "(RATING -1..5 or none; LABEL a colour word or none)")
    w.add_argument("--score", action=argparse.BooleanOptionalAction, default=None,
                   help="also write the fused score as curator:Score (default from settings: no)")
    w.add_argument("--reasons", action="store_true",
                   help="also write each photo's reasons as keywords (dc:subject, and lr:hierarchicalSubject "
                        "under curator|reason|...), replacing the ones curator wrote before; keywords curator "
                        "did not write are never removed")
    w.add_argument("--force", action="store_true",
                   help="overwrite ratings and labels a person set (default: keep them)")
    w.add_argument("--machine", metavar="WHERE",
                   help="where machine verdicts (weak, auto-rejected) go: keyword (curator|weak), "
                        "label:COLOUR, or legacy (ratings and labels like your own) (default from settings: keyword)")
    w.add_argument("--embed", action="store_true",
                   help="ALSO WRITE INTO THE ORIGINAL JPEG, TIFF AND DNG FILES (metadata only, atomically, image "
                        "data verified identical first); asks for confirmation unless --yes")
    w.add_argument("--yes", action="store_true", help="with --embed: do not ask for confirmation")
    w.add_argument("--keywords", action="store_true",
                   help="also write each photo's keywords (curator tags) as dc:subject and as "
                        "lr:hierarchicalSubject under curator|subject|; keywords curator did not write are kept")
    w.add_argument("--dry-run", action="store_true", help="say what would change; write nothing")
    add_db_option(w)
    w.set_defaults(run=run_xmp_write)

    r = xsub.add_parser("read", help="show the ratings and labels in the sidecars of photos or folders")
    r.add_argument("paths", nargs="+", metavar="PATH")
    r.add_argument("--naming", choices=("adobe", "darktable"), help="which sidecar to prefer when both exist")
    r.add_argument("--json", action="store_true", help="print one JSON array")
    r.set_defaults(run=run_xmp_read)

    m = sub.add_parser("move-rejects", help="move rejected photos (with partners and sidecars) into a folder",
                       description="Move rejects, their RAW/JPEG partners and XMP sidecars into DIR, keeping "
                                   "their folder structure. Never overwrites, never deletes; `curator undo` "
                                   "reverses the last move.")
    m.add_argument("files", nargs="*", metavar="FILE",
                   help="files to move (default: the catalog's rejects under --folder)")
    m.add_argument("--to", required=True, metavar="DIR", dest="to", help="destination folder")
    m.add_argument("--folder", metavar="DIR",
                   help="the photos' root: only rejects under it, paths kept relative to it")
    m.add_argument("--dry-run", action="store_true", help="list what would move; move nothing")
    m.add_argument("--on-collision", choices=("refuse", "suffix"), default="refuse",
                   help="refuse (default): move nothing if a target exists; suffix: IMG_0001-1.CR2")
    m.add_argument("--log", metavar="FILE", help="undo log (default: beside the catalog, catalog.moves.jsonl)")
    add_db_option(m)
    m.set_defaults(run=run_move_rejects)

    u = sub.add_parser("undo", help="reverse the last move-rejects")
    u.add_argument("--dry-run", action="store_true", help="list what would move back")
    u.add_argument("--log", metavar="FILE", help="undo log (default: beside the catalog)")
    add_db_option(u)
    u.set_defaults(run=run_undo)


def _settings(args: argparse.Namespace, **flags: Any) -> Settings:
    return load_settings().with_overrides("flag", db=getattr(args, "db", None), **flags)


def _folder(arg: str | None) -> Path | None:
    if arg is None:
        return None
    folder = Path(arg).expanduser().absolute()
    if not folder.is_dir():
        raise UserError(f"{arg}: not a folder")
    return folder


# --------------------------------------------------------------------------- xmp


def run_xmp_write(args: argparse.Namespace) -> int:
    from curator.disk.xmp import parse_machine, parse_mapping, write_decisions

    settings = _settings(args, xmp_naming=args.naming, xmp_write_score=args.score)
    mapping = parse_mapping(args.mapping, parse_mapping(settings.xmp_map))
    machine = parse_machine(args.machine or settings.xmp_machine)
    folder = _folder(args.folder)
    catalog = open_catalog(settings)
    try:
        decisions = decisions_for_folder(catalog, folder)
        if args.keywords:
            decisions = with_keywords(catalog, settings, folder, decisions)
    finally:
        catalog.close()
    if args.embed and not args.dry_run:
        _confirm_embed(decisions, args.yes)
    report = write_decisions(decisions, naming=settings.xmp_naming, mapping=mapping,
                             write_score=settings.xmp_write_score, force=args.force, dry_run=args.dry_run,
                             write_reasons=args.reasons, machine=machine)
    failed = _print_write_report(report, args.dry_run, "sidecar(s)")
    if args.embed:
        from curator.disk.xmp_embedded import embed_decisions

        embedded = embed_decisions(decisions, mapping=mapping, write_score=settings.xmp_write_score,
                                   write_reasons=args.reasons, machine=machine, force=args.force,
                                   dry_run=args.dry_run)
        failed = _print_write_report(embedded, args.dry_run, "original(s)") or failed
    return EXIT_SOME_FAILED if failed else EXIT_OK


def _confirm_embed(decisions: Sequence[Any], yes: bool) -> None:
    """--embed changes originals: ask on a terminal, unless --yes; without a terminal, refuse."""
    from curator.disk.xmp_embedded import embed_targets

    count = len(embed_targets(decisions))
    if yes or count == 0:
        return
    if not sys.stdin.isatty():
        raise UserError("--embed writes into original photos; pass --yes to confirm when not on a terminal")
    answer = input(f"--embed writes XMP into up to {count} original JPEG/TIFF/DNG file(s) in place "
                   "(metadata only, image data verified first). Continue? [y/N] ")
    if answer.strip().lower() not in ("y", "yes"):
        raise UserError("nothing written: --embed not confirmed")


def _print_write_report(report: Any, dry_run: bool, what: str) -> bool:
    """Print one write report (sidecars or embedded originals); True when something was skipped."""
    verb = "would write" if dry_run else "wrote"
    for result in report.written:
        if result.changed:
            words = " ".join([f"+{k}" for k in result.keywords_added] + [f"-{k}" for k in result.keywords_removed])
            print(f"{verb} {shown(str(result.sidecar))}{' (new)' if result.created else ''}"
                  + (f": keywords {words}" if words else ""))
            if dry_run:
                for key, value in result.changes.items():
                    print(f"  {key} = {'(removed)' if value is None else value}")
        for name in result.kept_user:
            print(f"kept the {name} a person set in {shown(str(result.sidecar))} (--force overwrites it)",
                  file=sys.stderr)
    for clash in report.clashes:
        print(f"curator: {shown(clash.message)}", file=sys.stderr)
    for _path, reason in report.failures:
        print(f"curator: {shown(reason)}", file=sys.stderr)
    print(f"{report.changed} {what} {'to write' if dry_run else 'written'}, "
          f"{len(report.written) - report.changed} already up to date, "
          f"{len(report.clashes) + len(report.failures)} skipped")
    return bool(report.clashes or report.failures)


def run_xmp_read(args: argparse.Namespace) -> int:
    from curator.disk.files import iter_photo_paths
    from curator.disk.xmp import SidecarError, read_photo_decision

    settings = _settings(args, xmp_naming=args.naming)
    rows: list[dict[str, Any]] = []
    failures = 0
    paths = list(iter_photo_paths(args.paths))
    if not paths:
        raise UserError("no photos found in: " + ", ".join(map(shown, args.paths)))
    for photo in paths:
        try:
            d = read_photo_decision(photo, settings.xmp_naming)
        except SidecarError as exc:
            failures += 1
            print(f"curator: {shown(str(exc))}", file=sys.stderr)
            continue
        if d is None:
            rows.append({"path": str(photo), "sidecar": None, "rating": None, "label": None,
                         "rejected": False, "set_by": None, "score": None})
            continue
        set_by = "user" if d.has_user_decision else ("curator" if d.rating is not None or d.label else None)
        rows.append({"path": str(photo), "sidecar": str(d.sidecar), "rating": d.rating, "label": d.label,
                     "rejected": d.rejected, "set_by": set_by, "score": d.score})
    if args.json:
        json.dump(json_ready(rows), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(f"{'rating':>6} {'label':<7} {'by':<7}  path")
        for row in rows:
            rating = "reject" if row["rejected"] else ("-" if row["rating"] is None else str(row["rating"]))
            print(f"{rating:>6} {row['label'] or '-':<7} {row['set_by'] or '-':<7}  {shown(row['path'])}")
    return EXIT_SOME_FAILED if failures else EXIT_OK


# --------------------------------------------------------------------------- moves


def run_move_rejects(args: argparse.Namespace) -> int:
    from curator.disk.moves import MoveError, move_files

    settings = _settings(args)
    folder = _folder(args.folder)
    catalog = None
    if args.files:
        files = [Path(f).expanduser() for f in args.files]
    else:
        catalog = open_catalog(settings)
        files = rejects_for_folder(catalog, folder)
        if not files:
            print("no rejects to move")
            return EXIT_OK
    log = Path(args.log).expanduser() if args.log else undo_log_path(settings)
    try:
        try:
            plan, batch = move_files(files, args.to, log_path=log, root=folder, on_collision=args.on_collision,
                                     dry_run=args.dry_run)
        except MoveError as exc:
            if catalog is not None and exc.moved:  # a batch that stopped half way: record what did move
                record_moves(catalog, exc.moved)
            raise
        if batch is not None and catalog is not None:
            record_moves(catalog, ((m.src, m.dst) for m in batch.moved))
    finally:
        if catalog is not None:
            catalog.close()
    for note in plan.notes:
        print(f"curator: {shown(note)}", file=sys.stderr)
    verb = "would move" if args.dry_run else "moved"
    for m in plan.moves:
        print(f"{verb} {shown(str(m.src))} -> {shown(str(m.dst))}{'' if m.role == 'photo' else f' ({m.role})'}")
    if batch is not None and batch.partials_removed:
        print(_partials_line(batch.partials_removed, removed=True))
    if batch is not None:
        print(f"{len(batch.moved)} file(s) moved; undo log: {shown(str(batch.log_path))} "
              "(`curator undo` reverses this)")
    elif not plan.moves:
        print("nothing to move")
    return EXIT_OK


def _partials_line(paths: Sequence[Path], *, removed: bool) -> str:
    """Partial copies an interrupted move across file systems left (curator's own, by their suffix)."""
    where = ", ".join(sorted({shown(str(p.parent)) for p in paths}))
    return (f"{'removed' if removed else 'would remove'} {len(paths)} partial copy file(s) left by an "
            f"interrupted move, in {where}")


def _record_in_catalog(settings: Settings, moves: Iterable[tuple[Path, Path]]) -> None:
    catalog = open_catalog(settings)
    try:
        record_moves(catalog, moves)
    finally:
        catalog.close()


def run_undo(args: argparse.Namespace) -> int:
    from curator.disk.moves import MoveError, undo_last

    settings = _settings(args)
    log = Path(args.log).expanduser() if args.log else undo_log_path(settings)
    try:
        result = undo_last(log, dry_run=args.dry_run)
    except MoveError as exc:
        if exc.moved and settings.db_path.exists():
            _record_in_catalog(settings, exc.moved)
        raise
    verb = "would move back" if args.dry_run else "moved back"
    for here, back in result.restored:
        print(f"{verb} {shown(str(here))} -> {shown(str(back))}")
    if result.partials_removed:
        print(_partials_line(result.partials_removed, removed=not args.dry_run))
    if not args.dry_run:
        if result.restored and settings.db_path.exists():
            _record_in_catalog(settings, result.restored)
        print(f"{len(result.restored)} file(s) moved back (batch {result.batch})")
    return EXIT_OK
