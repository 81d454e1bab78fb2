"""`curator xmp write --embed`: curator's XMP written *inside* JPEG, TIFF and DNG files.

Lightroom Classic and Bridge read a JPEG's, TIFF's or DNG's metadata from the
file itself and ignore a sidecar beside it, so for those formats a sidecar
never reaches them. This is the one place where curator modifies an original,
and only when asked (`--embed`, confirmed on a terminal or with `--yes`).

How a file is changed, and what is checked before the original is replaced:

1. The original's bytes are read; exiv2 (pyexiv2) applies the same fields a
   sidecar would get (curator.disk.xmp.patch_fields: only curator's fields, a
   rating or label a person set is kept). Nothing to change: nothing written.
2. The new bytes go to a temporary file in the photo's folder (a short random
   hidden name ending in ``.curator-tmp``, curator.disk.own_files), fsynced, with
   the original's permission bits.
3. The temporary file is read back and compared with the original:
   - JPEG and TIFF: both are decoded with Pillow; mode, size and every
     decoded pixel must be identical (every page of a multi-page TIFF);
   - TIFF and DNG: the stored image data (every strip and tile of every IFD
     and SubIFD, as tifffile lists them) must be byte-identical, and so must
     every tag of those IFDs except where the data sits and the metadata
     itself (``image_tags``: size, bit depth, compression, a DNG's colour
     matrices, CFA pattern, opcodes...). For DNG this is the check: the raw
     sensor data is compared as stored bytes, not decoded (Pillow cannot
     decode most DNG raw data);
   - the XMP read back from the temporary file must carry what was written.
4. Only then, and only if the original has not changed since it was read
   (size and mtime), the temporary file is renamed over it (os.replace: a
   reader sees the old file or the new one, never half). On any failure the
   temporary file is removed and the original is left byte-identical.

The file's modification time is *not* preserved: the file did change, and the
applications that notice changes by mtime (Lightroom's "metadata was changed
externally", backup tools) should see it.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from curator.disk.own_files import TempNotCreated, remove_quietly, write_temp_sibling
from curator.disk.xmp import (DEFAULT_MAPPING, KEY_OUR_LABEL, KEY_OUR_RATING, Machine, Mark, PhotoDecision,
                         SidecarError, WriteReport, WriteResult, XmpFields, fsync_dir, patch_fields,
                         plan_sidecars, read_xmp_bytes)

JPEG_SUFFIXES = (".jpg", ".jpeg")
TIFF_SUFFIXES = (".tif", ".tiff")
DNG_SUFFIXES = (".dng",)
EMBED_SUFFIXES = JPEG_SUFFIXES + TIFF_SUFFIXES + DNG_SUFFIXES


class EmbedError(SidecarError):
    """An image whose XMP could not be embedded; the original is left as it was."""


def can_embed(path: str | os.PathLike[str]) -> bool:
    return Path(path).suffix.lower() in EMBED_SUFFIXES


# --------------------------------------------------------------------------- verification

def _pillow_pixels(data: bytes) -> list[tuple[str, tuple[int, int], bytes]]:
    """(mode, size, pixels) of every frame Pillow decodes from an image's bytes."""
    from PIL import Image, ImageSequence

    with Image.open(io.BytesIO(data)) as im:
        return [(frame.mode, frame.size, frame.tobytes()) for frame in ImageSequence.Iterator(im)]


def stored_image_data(data: bytes) -> list[bytes]:
    """The stored image data of every IFD and SubIFD of a TIFF/DNG: each strip or tile, as bytes."""
    import tifffile

    out: list[bytes] = []
    with tifffile.TiffFile(io.BytesIO(data)) as tif:
        pages: list[Any] = list(tif.pages)  # TiffPage objects (tifffile loads pages, not frames, here)
        while pages:
            page = pages.pop(0)
            for offset, count in zip(page.dataoffsets, page.databytecounts, strict=True):
                out.append(data[offset:offset + count])
            subifds = getattr(page, "pages", None)  # the SubIFDs (a DNG's raw image sits in one)
            if subifds is not None:
                pages[:0] = list(subifds)
    return out


# Tags that may change when exiv2 rewrites a TIFF: where the data sits (offsets, counts) and the metadata
# itself (XMP, IPTC, Photoshop, the Exif/GPS/Interop sub-IFD pointers). Every other tag of every IFD
# (size, bit depth, compression, a DNG's colour matrices, CFA pattern, opcodes...) must stay as it was.
_MOVABLE_TAGS = frozenset({273, 279, 324, 325, 330, 513, 514, 700, 33723, 34377, 34665, 34853, 40965})


def _comparable(value: object) -> object:
    if hasattr(value, "tobytes") and hasattr(value, "dtype"):  # a numpy array
        array: Any = value
        return (str(array.dtype), getattr(array, "shape", None), array.tobytes())
    return value


def image_tags(data: bytes) -> list[dict[int, object]]:
    """The image-defining tags of every IFD and SubIFD of a TIFF/DNG (all but _MOVABLE_TAGS), by tag code."""
    import tifffile

    out: list[dict[int, object]] = []
    with tifffile.TiffFile(io.BytesIO(data)) as tif:
        pages: list[Any] = list(tif.pages)  # TiffPage objects (tifffile loads pages, not frames, here)
        while pages:
            page = pages.pop(0)
            out.append({tag.code: _comparable(tag.value) for tag in page.tags.values()
                        if tag.code not in _MOVABLE_TAGS})
            subifds = getattr(page, "pages", None)
            if subifds is not None:
                pages[:0] = list(subifds)
    return out


def verify_same_image(original: bytes, new: bytes, suffix: str) -> str:
    """Raise EmbedError unless `new` holds the same image data as `original`; returns what was compared."""
    suffix = suffix.lower()
    checks: list[tuple[str, Callable[[bytes], object]]] = []
    if suffix in JPEG_SUFFIXES + TIFF_SUFFIXES:
        checks.append(("decoded pixels", _pillow_pixels))
    if suffix in TIFF_SUFFIXES + DNG_SUFFIXES:
        checks.append(("stored image data", stored_image_data))
        checks.append(("image tags", image_tags))
    for what, read in checks:
        try:
            before = read(original)
        except Exception as exc:  # noqa: BLE001 - any decoder failure means "cannot verify": refuse
            raise EmbedError(f"cannot read the image data to verify it ({type(exc).__name__}: {exc})") from None
        try:
            after = read(new)
        except Exception as exc:  # noqa: BLE001 - likewise: a rewritten file that cannot be decoded is refused
            raise EmbedError(f"the rewritten file's image data cannot be read ({type(exc).__name__})") from None
        if before != after or not before:
            raise EmbedError(f"the rewritten file's {what} differ from the original's")
    return " and ".join(what for what, _ in checks)


# --------------------------------------------------------------------------- writing

def embed_xmp(photo: str | os.PathLike[str], fields: XmpFields, *, force: bool = False,
              dry_run: bool = False) -> WriteResult:
    """Write `fields` into the XMP inside a JPEG, TIFF or DNG, in place (see the module doc).

    Raises EmbedError (the original untouched) when the file cannot be read, patched or verified.
    """
    path = Path(photo)
    if path.is_symlink():  # write the file the link points to; the link stays a link
        path = path.resolve()
    if not can_embed(path):
        raise EmbedError(f"{path}: curator embeds XMP only in {', '.join(EMBED_SUFFIXES)} files")
    try:
        before = os.stat(path)
        data = path.read_bytes()
    except OSError as exc:
        raise EmbedError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        new_data, changes, kept = patch_fields(data, fields, path, force=force, dry_run=dry_run)
    except SidecarError as exc:
        raise EmbedError(str(exc)) from None
    if new_data is None:
        return WriteResult(path, False, bool(changes), kept, changes)
    _replace_verified(path, data, new_data, before, fields)
    return WriteResult(path, False, True, kept, changes)


def _replace_verified(path: Path, original: bytes, new_data: bytes, before: os.stat_result,
                      fields: XmpFields) -> None:
    try:
        tmp = write_temp_sibling(path, new_data, before.st_mode & 0o7777, create_mode=0o600)
    except TempNotCreated as exc:
        raise EmbedError(f"{path}: cannot write in {path.parent} ({exc.strerror or exc})") from None
    except OSError as exc:
        raise EmbedError(f"{path}: write failed, original left as it was ({exc.strerror or exc})") from None
    try:
        written = tmp.read_bytes()  # verify what is on disk, not what was meant to be
        try:
            verify_same_image(original, written, path.suffix)
            _verify_fields(written, tmp, fields)
        except EmbedError as exc:
            raise EmbedError(f"{path}: not changed: {exc}") from None
        now = os.stat(path)
        if (now.st_size, now.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
            raise EmbedError(f"{path}: not changed: the file changed while curator was writing it")
        os.replace(tmp, path)
    except BaseException as exc:
        remove_quietly(tmp)
        if isinstance(exc, OSError):
            raise EmbedError(f"{path}: write failed, original left as it was ({exc.strerror or exc})") from None
        raise
    fsync_dir(path.parent)


def _verify_fields(data: bytes, where: Path, fields: XmpFields) -> None:
    """The XMP read back must hold curator's record of what it wrote (curator:Rating, curator:Label)."""
    try:
        values = read_xmp_bytes(data, where)
    except SidecarError as exc:
        raise EmbedError(f"its XMP cannot be read back ({exc})") from None
    for key, wanted in ((KEY_OUR_RATING, fields.rating), (KEY_OUR_LABEL, fields.label)):
        got = values.get(key)
        if wanted is not None and got is not None and str(got).strip().casefold() != str(wanted).casefold():
            raise EmbedError(f"its XMP reads back {key}={got!r}, not {wanted!r}")


def embed_decisions(decisions: Iterable[PhotoDecision], *, mapping: Mapping[str, Mark] = DEFAULT_MAPPING,
                    write_score: bool = False, write_reasons: bool = False, machine: Machine = Machine(),
                    force: bool = False, dry_run: bool = False) -> WriteReport:
    """Embed each decision in the JPEG, TIFF and DNG files of its shot (a failure is reported, not fatal)."""
    results: list[WriteResult] = []
    failures: list[tuple[Path, str]] = []
    for photo, decision in embed_targets(decisions):
        try:
            results.append(embed_xmp(photo, decision.fields(mapping, write_score, write_reasons, machine),
                                     force=force, dry_run=dry_run))
        except SidecarError as exc:
            failures.append((photo, str(exc)))
    return WriteReport(tuple(results), (), tuple(failures))


def embed_targets(decisions: Iterable[PhotoDecision]) -> list[tuple[Path, PhotoDecision]]:
    """The files --embed would change: each JPEG, TIFF or DNG of each decided shot that exists, once."""
    present = [d for d in decisions if Path(d.path).is_file()]
    planned, _ = plan_sidecars(present, "darktable")  # one entry per file of each shot, never a clash
    seen: dict[Path, PhotoDecision] = {}
    for _sidecar, decision, shot in planned:
        for f in shot.files:
            if can_embed(f) and f not in seen:
                seen[f] = decision
    return list(seen.items())
