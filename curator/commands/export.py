"""`curator export --format csv|json [-o FILE]`: one row per photo with its path, scores, decision and EXIF."""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

from curator.commands.common import add_db_option, settings_from_args
from curator.errors import EXIT_OK, UserError

COLUMNS = (
    "photo_id", "path", "folder", "name", "status", "error", "width", "height", "size", "mtime", "content_hash",
    "fused", "cosine", "magnitude", "w_cosine", "w_magnitude", "score", "mode", "protocol", "engine_model",
    "fingerprint", "views", "scored_at", "elapsed_ms",
    "flag", "flag_source", "rating", "label", "low_quality", "provisional", "verdict_provisional", "taste",
    "partner_of",
    "capture_time", "make", "camera_model", "camera", "lens", "iso", "exposure_time", "f_number", "focal_length",
    "orientation", "exposure_bias", "reasons", "keywords",
)
# then one column per quality dimension stored ("dimension_sharpness", ...) and per classic measurement
# ("measure_focus", ...; iqa_engine.measures.SCALAR_NAMES)
DIMENSION_PREFIX, MEASURE_PREFIX = "dimension_", "measure_"
# A spreadsheet runs a cell that starts with one of these as a formula (OWASP's CSV-injection list).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="export the catalog as CSV or JSON",
                       description="One row per photo: path, status, latest scores (and the engine that made "
                                   "them), decision, EXIF, reasons, and one column per quality dimension "
                                   "(dimension_NAME) and classic measurement (measure_NAME).")
    p.add_argument("--format", choices=("csv", "json"), default="csv", help="csv (default) or json")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE (atomically) instead of stdout")
    p.add_argument("--folder", metavar="DIR", help="only photos under this folder")
    add_db_option(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from curator.catalog import Catalog

    from iqa_engine.measures import SCALAR_NAMES

    settings = settings_from_args(args)
    under = os.path.realpath(os.path.expanduser(args.folder)) if args.folder else None
    with Catalog.open(settings.db_path, create=False) as catalog:
        columns = (COLUMNS + tuple(DIMENSION_PREFIX + n for n in catalog.dimension_names())
                   + tuple(MEASURE_PREFIX + n for n in SCALAR_NAMES))
        from curator.actions.keyword_tagging import keyword_dicts, keywords_or_note

        # a RAW+JPEG pair is one shot: both files carry the keywords of the one that was scored
        shot = {r.photo_id: r.partner_of or r.photo_id for r in catalog.query_rows(under=under)}
        keywords, note = keywords_or_note(catalog, settings, sorted(set(shot.values())))
        if note:
            print(f"curator: {note}", file=sys.stderr)
        from curator.display import json_ready  # names that are not UTF-8: readable, with their bytes

        records = (json_ready({**_flat(rec), "keywords": keyword_dicts(keywords.get(shot.get(rec["photo_id"], rec["photo_id"]), ()))})
                   for rec in catalog.export_records(under=under))
        if args.output:
            n = _write_atomically(Path(args.output).expanduser(), args.format, records, columns)
            print(f"exported {n} photo(s) to {args.output}", file=sys.stderr)
        else:
            write(sys.stdout, args.format, records, columns)
    return EXIT_OK


def _flat(rec: dict[str, Any]) -> dict[str, Any]:
    """The dimensions and measures as a column each."""
    out = {k: v for k, v in rec.items() if k not in ("dimensions", "measures")}
    out.update({DIMENSION_PREFIX + k: v for k, v in rec.get("dimensions", {}).items()})
    out.update({MEASURE_PREFIX + k: v for k, v in rec.get("measures", {}).items()})
    return out


def write(out: IO[str], fmt: str, records: Iterable[dict[str, Any]], columns: Sequence[str] = COLUMNS) -> int:
    n = 0
    if fmt == "csv":
        # Every text cell quoted: QUOTE_MINIMAL with a "\n" terminator leaves a lone "\r" in a name bare,
        # and a reader then ends the row there.
        writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n",
                                quoting=csv.QUOTE_NONNUMERIC)
        writer.writeheader()
        for rec in records:
            row = {k: csv_cell(rec.get(k)) for k in columns}
            # "; "-separated here, with their confidence in JSON
            row["keywords"] = csv_cell("; ".join(k["keyword"] for k in rec.get("keywords") or ()))
            writer.writerow(row)
            n += 1
        return n
    from curator.display import PATH_BYTES  # beside a path that is not UTF-8: its bytes (json_ready)

    out.write("[")
    for rec in records:
        out.write(",\n  " if n else "\n  ")
        extra = {PATH_BYTES: rec[PATH_BYTES]} if PATH_BYTES in rec else {}
        json.dump({**{k: rec.get(k) for k in columns}, **extra}, out)
        n += 1
    out.write("\n]\n" if n else "]\n")
    return n


def csv_cell(value: Any) -> Any:
    """A CSV cell: None empty, numbers as they are, text that a spreadsheet would run as a formula
    behind a single quote (as OWASP recommends), so a file name shows as text and never runs."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _write_atomically(path: Path, fmt: str, records: Iterable[dict[str, Any]], columns: Sequence[str]) -> int:
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with open(fd, "w", encoding="utf-8", newline="") as f:
            n = write(f, fmt, records, columns)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; an export is an ordinary file
        os.replace(tmp, path)
        return n
    except BaseException:
        with_suppressed(os.unlink, tmp)
        raise


def with_suppressed(fn: Any, *a: Any) -> None:
    try:
        fn(*a)
    except OSError:
        pass
