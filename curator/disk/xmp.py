"""XMP sidecars: write curator's decisions where Lightroom, darktable, digiKam and
Capture One read them, and read back the ratings a photographer set there.

Every XMP field is parsed and serialised by exiv2 (through pyexiv2); curator
writes no XML of its own. The one exception is the empty XMP packet a brand-new
sidecar starts from (``_EMPTY_PACKET``: the standard xpacket wrapper with no
properties), because exiv2 can only open a sidecar that already exists.

Conventions (the XMP Basic schema, as Adobe Bridge defined it):

- ``xmp:Rating``: 0-5 stars; **-1 means "rejected"**. Bridge writes and reads
  -1 as Reject; darktable writes -1 for a rejected image and reads it back as
  rejected.
- ``xmp:Label``: a colour word, "Red", "Yellow", "Green", "Blue" or "Purple"
  (Lightroom's and Bridge's default label set; darktable maps these words to
  its colour labels on import).

Sidecar naming (``naming``):

- ``"adobe"``: ``IMG_0001.xmp`` beside ``IMG_0001.CR2`` (Lightroom, Camera Raw,
  Bridge, Capture One). One sidecar per *stem*, so IMG_0001.CR2 and
  IMG_0001.DNG in one folder would share it: ``adobe_sidecar_clashes`` finds
  that and curator then refuses to write it. A RAW+JPEG pair is no clash:
  Lightroom imports the JPEG as a part of the RAW ("Treat JPEG files next to
  raw files as separate photos" off, its default), the one sidecar belongs to
  the RAW, and curator's decision applies to the whole shot anyway.
- ``"darktable"``: ``IMG_0001.CR2.xmp`` (darktable, digiKam): one sidecar per
  file, so it never clashes; a RAW+JPEG pair gets two sidecars with the same
  decision.

Adobe applications read XMP *embedded* in JPEG, TIFF, PNG, HEIC and DNG files
and ignore a sidecar beside them, so for those formats an Adobe-style sidecar
is read by Capture One and darktable but not by Lightroom or Bridge. Writing
into the file itself is curator.disk.xmp_embedded's job (``xmp write --embed``, asked for
and confirmed); this module writes only ``.xmp`` files.

Whose decision it is. By default only the *user's* decisions become ratings,
flags and labels: a pick or reject the user made, their stars, their colour
label. An undecided photo gets no rating. A machine verdict (the auto flag
policy found the photo weak, and perhaps auto-rejected it) is written where it
cannot pass for the photographer's decision, as chosen by ``[xmp] machine``
(``Machine``): ``"keyword"`` (default) adds the keyword ``weak`` /
``curator|weak`` (curator.disk.xmp_keywords); ``"label:COLOUR"`` sets that colour
label (unless the user gave one); ``"legacy"`` writes every verdict through the
mapping, machine or not, as curator did before (undecided = keep = 3 stars,
auto reject = -1 + Red). A rating or label curator wrote under an earlier
mapping is taken back on the next write when the new one wants none there (it
is recognised by ``curator:Rating``/``curator:Label``); one a person changed
since is kept.

User decisions win. Next to each value it sets, curator records what it wrote
(``curator:Rating``, ``curator:Label`` in its own namespace). A rating or label
that differs from what curator last wrote was set by a person (or another
application): curator leaves it alone unless told to ``force``, and
``SidecarDecision.user_rating`` / ``user_label`` report it for import.

Keywords (``xmp write --keywords``): curator's keywords go to ``dc:subject`` and,
as ``curator|subject|KEYWORD``, to ``lr:hierarchicalSubject``. ``curator:Keywords``
lists the ``dc:subject`` entries curator added, so the next write replaces
exactly those (when the vocabulary or the model changed) and never touches a
keyword that was there before or that someone else added, nor any
hierarchical keyword outside ``curator|subject|``. A keyword a person already
has is not added twice (and stays theirs). exiv2 (through pyexiv2) writes both
lists as ``rdf:Seq`` where the XMP specification names ``rdf:Bag``; the
applications above read either.

Writes are atomic: the new sidecar is written to a temporary file in the same
folder, fsynced, then ``os.replace``-d over the old one, so an interrupted
write leaves the old sidecar byte-identical. Only ``.xmp`` files are written.

A sidecar is a file anyone with access to the folder can plant, so: a sidecar
that is a symbolic link is never written (the link could lead to any file the
user may write) and is read only when it leads to a file inside its own
folder's tree; only regular files are opened (a FIFO would block ``open()``
for ever), non-blocking and without following a link; and a file over
``MAX_SIDECAR_BYTES`` is skipped, not read whole. Each is one line in the report.
"""

from __future__ import annotations

import os
import stat
import threading
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from curator.errors import UserError
from curator.rules.labels import LABELS, canonical_label, normalise_label
from curator.disk.own_files import TempNotCreated, remove_quietly, write_temp_sibling
from curator.disk.raw_pairs import Shot, group_shots, shot_of, stem_key
from curator.disk.xmp_keywords import KEY_OUR_KEYWORDS, KEY_SUBJECT, Change, keyword_changes, subject_words_changed

NAMING_SCHEMES = ("adobe", "darktable")
SIDECAR_SUFFIX = ".xmp"

CURATOR_NS_URI = "https://curator.invalid/ns/xmp/1.0/"  # an identifier, not a web page
CURATOR_PREFIX = "curator"

KEY_RATING = "Xmp.xmp.Rating"
KEY_LABEL = "Xmp.xmp.Label"
KEY_SCORE = f"Xmp.{CURATOR_PREFIX}.Score"  # MA-CLIP fused score, optional
KEY_VERDICT = f"Xmp.{CURATOR_PREFIX}.Verdict"  # the verdict the rating/label came from
KEY_OUR_RATING = f"Xmp.{CURATOR_PREFIX}.Rating"  # the xmp:Rating curator last wrote
KEY_OUR_LABEL = f"Xmp.{CURATOR_PREFIX}.Label"  # the xmp:Label curator last wrote
OUR_KEYS = (KEY_RATING, KEY_LABEL, KEY_SCORE, KEY_VERDICT, KEY_OUR_RATING, KEY_OUR_LABEL, KEY_OUR_KEYWORDS)

# The most curator reads of one sidecar. A real one is kilobytes (a long darktable history, Camera Raw's masks:
# well under a megabyte); a bigger file named .xmp is skipped rather than read whole into memory.
MAX_SIDECAR_BYTES = 8 << 20

# The standard XMP packet wrapper with no properties: what a new sidecar starts from.
_EMPTY_PACKET = (b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>'
                 b'<x:xmpmeta xmlns:x="adobe:ns:meta/"/><?xpacket end="w"?>')


class SidecarError(UserError):
    """A sidecar that cannot be read or written; the message names the file."""


# --------------------------------------------------------------------------- mapping

@dataclass(frozen=True)
class Mark:
    """What one verdict becomes in XMP: stars (-1 = reject) and a colour label."""

    rating: int | None = None  # -1 (reject), 0-5, or None: curator sets no rating
    label: str | None = None  # one of LABELS, or None: curator sets no label

    def __post_init__(self) -> None:
        if self.rating is not None and not -1 <= self.rating <= 5:
            raise ValueError(f"rating must be -1 (reject) or 0-5, not {self.rating}")
        if self.label is not None and self.label not in LABELS:
            raise ValueError(f"label must be one of {', '.join(LABELS)}, not {self.label!r}")

    def spec(self) -> str:
        rating = "none" if self.rating is None else str(self.rating)
        return rating if self.label is None else f"{rating}:{self.label}"


VERDICTS = ("pick", "keep", "review", "reject")

# ON1-style defaults: the machine proposes at most 4 stars; 5 stars stay the photographer's.
DEFAULT_MAPPING: Mapping[str, Mark] = MappingProxyType({
    "pick": Mark(4, "Green"),  # the best of a burst or of the folder
    "keep": Mark(3, None),  # nothing wrong with it
    "review": Mark(2, "Yellow"),  # borderline: look at it yourself
    "reject": Mark(-1, "Red"),  # the XMP reject rating, plus a label for label-only filters
})


def parse_mapping(spec: str | None, base: Mapping[str, Mark] = DEFAULT_MAPPING) -> dict[str, Mark]:
    """`base` with the entries of a spec such as "reject=-1:Red,keep=3,review=none:Yellow".

    Each entry is VERDICT=RATING[:LABEL]; RATING is -1..5 or "none" (set no
    rating); LABEL is a colour word or "none". A verdict left out keeps its
    base mark.
    """
    mapping = dict(base)
    if not spec or not spec.strip():
        return mapping
    for entry in spec.split(","):
        entry = entry.strip()
        if not entry:
            continue
        verdict, sep, value = entry.partition("=")
        verdict = verdict.strip().lower()
        if not sep or verdict not in VERDICTS:
            raise UserError(f"bad XMP mapping entry {entry!r}: expected VERDICT=RATING[:LABEL] with "
                            f"VERDICT one of {', '.join(VERDICTS)}")
        rating_text, _, label_text = value.partition(":")
        try:
            rating = None if rating_text.strip().lower() in ("none", "") else int(rating_text)
        except ValueError:
            raise UserError(f"bad XMP mapping entry {entry!r}: rating must be -1..5 or none") from None
        try:
            label = normalise_label(label_text)
        except ValueError:
            raise UserError(f"bad XMP mapping entry {entry!r}: label must be one of {', '.join(LABELS)}") from None
        try:
            mapping[verdict] = Mark(rating, label)
        except ValueError as exc:
            raise UserError(f"bad XMP mapping entry {entry!r}: {exc}") from None
    return mapping


def format_mapping(mapping: Mapping[str, Mark]) -> str:
    return ",".join(f"{v}={mapping[v].spec()}" for v in VERDICTS if v in mapping)


MACHINE_MODES = ("keyword", "label:COLOUR", "legacy")


@dataclass(frozen=True)
class Machine:
    """Where a machine verdict (weak, auto-rejected) goes: a keyword, a colour label, or (legacy) the
    same ratings and labels as the user's own decisions."""

    kind: str = "keyword"  # "keyword" | "label" | "legacy"
    label: str | None = None  # the colour word, for kind "label"

    def spec(self) -> str:
        return f"label:{self.label}" if self.kind == "label" else self.kind


def parse_machine(spec: str | None) -> Machine:
    """`[xmp] machine`: "keyword" (default), "label:COLOUR" (e.g. "label:Purple") or "legacy"."""
    text = (spec or "keyword").strip()
    kind, sep, colour = text.partition(":")
    kind = kind.strip().lower()
    if kind in ("keyword", "legacy") and not sep:
        return Machine(kind)
    if kind == "label" and sep:
        try:
            label = normalise_label(colour)
        except ValueError:
            label = None
        if label is not None:
            return Machine("label", label)
    raise UserError(f"XMP machine must be keyword, legacy or label:COLOUR (COLOUR one of "
                    f"{', '.join(LABELS)}), not {spec!r}")


@dataclass(frozen=True)
class XmpFields:
    """The values curator wants in one sidecar. None means "curator sets nothing here"."""

    rating: int | None = None
    label: str | None = None
    verdict: str | None = None
    score: float | None = None  # written to curator:Score only when not None
    # reasons as keywords (curator.disk.xmp_keywords); None: keywords left as they are, (): take ours back
    reasons: tuple[str, ...] | None = None
    weak: bool | None = None  # the curator|weak keyword: True sets it, False takes it back, None leaves it
    # curator tags' keywords (xmp write --keywords), under curator|subject|; None: left as they are
    keywords: tuple[str, ...] | None = None


def fields_for(verdict: str | None, mapping: Mapping[str, Mark] = DEFAULT_MAPPING,
               score: float | None = None, write_score: bool = False) -> XmpFields:
    """The XMP fields for a verdict (None or unknown verdict: no rating, no label)."""
    mark = mapping.get(verdict or "", Mark())
    return XmpFields(mark.rating, mark.label, verdict if verdict in mapping else None,
                     score if write_score else None)


# --------------------------------------------------------------------------- naming

def sidecar_path(photo: str | os.PathLike[str], naming: str = "adobe") -> Path:
    """Where the sidecar of `photo` goes under a naming scheme (not looking at the disk)."""
    p = Path(photo)
    if naming == "adobe":
        return p.with_name(p.stem + SIDECAR_SUFFIX)
    if naming == "darktable":
        return p.with_name(p.name + SIDECAR_SUFFIX)
    raise UserError(f"XMP naming must be one of {', '.join(NAMING_SCHEMES)}, not {naming!r}")


def find_sidecar(photo: str | os.PathLike[str], naming: str = "adobe",
                 listing: Sequence[str] | None = None) -> Path | None:
    """The existing sidecar of `photo` under `naming`, accepting .xmp in any case (IMG.XMP)."""
    wanted = sidecar_path(photo, naming)
    if listing is None:
        try:
            listing = os.listdir(wanted.parent)
        except OSError:
            return None
    if wanted.name in listing:
        return wanted
    base = wanted.name[: -len(SIDECAR_SUFFIX)]
    for name in sorted(listing):
        if name[: len(base)] == base and name[len(base):].lower() == SIDECAR_SUFFIX and len(name) == len(wanted.name):
            return wanted.with_name(name)
    return None


@dataclass(frozen=True)
class SidecarClash:
    """Separate shots that would share one Adobe-style sidecar."""

    sidecar: Path
    photos: tuple[Path, ...]

    @property
    def message(self) -> str:
        names = [p.name for p in self.photos]
        listed = " and ".join(names) if len(names) == 2 else ", ".join(names[:-1]) + " and " + names[-1]
        per_file = ", ".join(p.name + SIDECAR_SUFFIX for p in self.photos)
        return (f"{listed} would share the Adobe sidecar {self.sidecar.name} in {self.sidecar.parent}; "
                f"not written (use --naming darktable for one sidecar per file: {per_file})")


def adobe_sidecar_clashes(paths: Iterable[str | os.PathLike[str]]) -> list[SidecarClash]:
    """Shots among `paths` whose Adobe sidecars (STEM.xmp) would be one file.

    IMG.CR2 + IMG.DNG, or IMG.JPG + IMG.HEIC, clash; an unambiguous RAW+JPEG
    (or RAW+HEIF) pair is one shot and does not (see the module doc).
    Stems are compared case-insensitively, as on macOS and Windows.
    """
    by_sidecar: dict[tuple[Path, str], list[Shot]] = defaultdict(list)
    for shot in group_shots(paths):
        by_sidecar[stem_key(shot.primary)].append(shot)
    clashes = []
    for shots in by_sidecar.values():
        if len(shots) > 1:
            photos = tuple(f for s in shots for f in s.files)
            clashes.append(SidecarClash(sidecar_path(shots[0].primary, "adobe"), photos))
    return clashes


# --------------------------------------------------------------------------- exiv2 access

_LOCK = threading.Lock()  # exiv2's XMP toolkit and pyexiv2's error log are process-global
_ready = False


def _exiv2() -> Any:
    """pyexiv2, imported on first use, with curator's namespace registered.

    Warnings are silenced: pyexiv2 prints them on stdout (which would corrupt
    --json output); errors still raise.
    """
    global _ready
    import pyexiv2

    if not _ready:
        pyexiv2.set_log_level(3)
        pyexiv2.registerNs(CURATOR_NS_URI, CURATOR_PREFIX)
        _ready = True
    return pyexiv2


def _unreadable(where: Path, exc: BaseException) -> SidecarError:
    what = "XMP sidecar" if where.suffix.lower() == SIDECAR_SUFFIX else "image for exiv2"
    return SidecarError(f"{where}: not a readable {what} ({_first_line(exc)})")


def _image(data: bytes, where: Path) -> Any:
    """exiv2's view of a sidecar's bytes (close it when done)."""
    try:
        return _exiv2().ImageData(data)
    except (RuntimeError, ValueError) as exc:
        raise _unreadable(where, exc) from None


def _parse(data: bytes, where: Path) -> dict[str, Any]:
    img = _image(data, where)
    try:
        return img.read_xmp()
    except RuntimeError as exc:
        raise _unreadable(where, exc) from None
    finally:
        img.close()


def _patch(data: bytes, changes: Mapping[str, Change], where: Path) -> bytes:
    """Apply property changes: a string sets, None deletes, a tuple sets an unordered array (rdf:Bag).

    pyexiv2 writes a Python list as an rdf:Seq, but dc:subject and
    lr:hierarchicalSubject are bags. So a bag is made in two passes: the
    property becomes an empty ``type="Bag"`` first, then its items are set by
    index (exiv2's XMP paths, as it reads darktable's history).
    """
    simple = {k: ('type="Bag"' if isinstance(v, tuple) else v) for k, v in changes.items()}
    items = {f"{k}[{i}]": item for k, v in changes.items() if isinstance(v, tuple)
             for i, item in enumerate(v, start=1)}
    data = _modify(data, simple, where)
    return _modify(data, items, where) if items else data


# exiv2 mirrors a sidecar's xmp:Rating as Exif.Image.Rating when it reads it, and copies that back into
# the XMP when it writes: a deleted xmp:Rating would come back (a -1 even as 65535). So the mirror goes first.
_RATING_MIRRORS = {"Exif.Image.Rating": None, "Exif.Image.RatingPercent": None}


def _modify(data: bytes, changes: Mapping[str, str | None], where: Path) -> bytes:
    img = _image(data, where)
    try:
        if KEY_RATING in changes and changes[KEY_RATING] is None and where.suffix.lower() == SIDECAR_SUFFIX:
            img.modify_exif(_RATING_MIRRORS)
        img.modify_xmp(dict(changes))  # a None value deletes the property
        return img.get_bytes()
    except RuntimeError as exc:
        raise SidecarError(f"{where}: exiv2 could not update the XMP ({_first_line(exc)})") from None
    finally:
        img.close()


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


def _cannot_read(path: Path, exc: OSError) -> SidecarError:
    return SidecarError(f"{path}: cannot read ({exc.strerror or exc})")


def _lstat(path: Path) -> os.stat_result:
    try:
        return os.lstat(path)
    except OSError as exc:
        raise _cannot_read(path, exc) from None


def _linked_inside(link: Path) -> Path:
    """Where a linked sidecar leads, when that is inside its own folder's tree: a link that leads elsewhere
    (another shoot's sidecar, a system file) does not hold this photo's decisions."""
    folder = os.path.realpath(link.parent)
    target = os.path.realpath(link)
    if os.path.commonpath([folder, target]) != folder:
        raise SidecarError(f"skipped {link}: a symbolic link that leads out of its folder; curator reads "
                           "only links that stay inside it")
    return Path(target)


def _check_regular(st: os.stat_result, shown: Path) -> None:
    """Refuse what is not a sidecar-sized regular file, before and after opening it."""
    if not stat.S_ISREG(st.st_mode):
        raise SidecarError(f"skipped {shown}: not a regular file (a FIFO, device or folder named like a sidecar)")
    if st.st_size > MAX_SIDECAR_BYTES:
        raise SidecarError(f"skipped {shown}: its size ({st.st_size / (1 << 20):,.1f} MB) is over the "
                           f"{MAX_SIDECAR_BYTES >> 20} MB a sidecar may have")


def _read_bytes(path: Path, *, links: bool = True) -> bytes:
    """A sidecar's bytes, read only from a regular file of at most MAX_SIDECAR_BYTES (a FIFO would block
    open() for ever). A symbolic link is followed only with `links` and only inside its folder's tree."""
    st = _lstat(path)
    opened = path
    if stat.S_ISLNK(st.st_mode):
        if not links:
            raise SidecarError(f"skipped {path}: a symbolic link; curator never writes through links")
        opened = _linked_inside(path)
        st = _lstat(opened)
    _check_regular(st, path)
    # Non-blocking and not following a link: what is at the path may have changed since the lstat.
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(opened, flags)
    except OSError as exc:
        raise _cannot_read(path, exc) from None
    with os.fdopen(fd, "rb") as fh:
        _check_regular(os.fstat(fd), path)
        try:
            data = fh.read(MAX_SIDECAR_BYTES + 1)
        except OSError as exc:
            raise _cannot_read(path, exc) from None
    if len(data) > MAX_SIDECAR_BYTES:  # it grew since the fstat
        raise SidecarError(f"skipped {path}: its size is over the {MAX_SIDECAR_BYTES >> 20} MB a sidecar may have")
    return data


# --------------------------------------------------------------------------- reading

@dataclass(frozen=True)
class SidecarDecision:
    """The ratings and labels one sidecar holds, and which of them curator wrote."""

    sidecar: Path
    rating: int | None  # xmp:Rating: -1 rejected, 0 unrated, 1-5 stars; None if absent
    label: str | None  # xmp:Label as written (a colour word in the default label set)
    verdict: str | None = None  # curator:Verdict
    score: float | None = None  # curator:Score
    curator_rating: int | None = None  # what curator last wrote to xmp:Rating
    curator_label: str | None = None  # what curator last wrote to xmp:Label

    @property
    def rejected(self) -> bool:
        return self.rating == -1

    @property
    def user_rating(self) -> int | None:
        """The rating a person (or another application) set: present, not 0, not curator's own."""
        if self.rating is None or self.rating == 0 or self.rating == self.curator_rating:
            return None
        return self.rating

    @property
    def user_label(self) -> str | None:
        if not self.label or (self.curator_label is not None and self.label.casefold() == self.curator_label.casefold()):
            return None
        return self.label

    @property
    def has_user_decision(self) -> bool:
        return self.user_rating is not None or self.user_label is not None


def _int_or_none(value: Any) -> int | None:
    if value is None or isinstance(value, (list, dict)):
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    if number != number:  # NaN
        return None
    return int(round(number))


def _float_or_none(value: Any) -> float | None:
    try:
        return float(str(value).strip()) if value is not None and not isinstance(value, (list, dict)) else None
    except ValueError:
        return None


def _text_or_none(value: Any) -> str | None:
    if value is None or isinstance(value, (list, dict)):
        return None
    text = str(value).strip()
    return text or None


def _decision_from(values: Mapping[str, Any], sidecar: Path) -> SidecarDecision:
    rating = _int_or_none(values.get(KEY_RATING))
    if rating is not None and not -1 <= rating <= 5:
        rating = max(-1, min(5, rating))
    return SidecarDecision(
        sidecar=sidecar, rating=rating, label=_text_or_none(values.get(KEY_LABEL)),
        verdict=_text_or_none(values.get(KEY_VERDICT)), score=_float_or_none(values.get(KEY_SCORE)),
        curator_rating=_int_or_none(values.get(KEY_OUR_RATING)),
        curator_label=_text_or_none(values.get(KEY_OUR_LABEL)))


def read_sidecar(sidecar: str | os.PathLike[str]) -> SidecarDecision:
    """Read one sidecar's rating, label and curator fields. Raises SidecarError."""
    path = Path(sidecar)
    data = _read_bytes(path)
    with _LOCK:
        values = _parse(data, path)
    return _decision_from(values, path)


def read_xmp_properties(sidecar: str | os.PathLike[str]) -> dict[str, Any]:
    """Every property of a sidecar as exiv2 reads it (key -> value), for tests and tools."""
    path = Path(sidecar)
    data = _read_bytes(path)
    with _LOCK:
        return _parse(data, path)


@dataclass(frozen=True)
class ImportedDecision:
    """What a sidecar tells the catalog at scan time: only what a person set there."""

    flag: str | None  # "reject" when xmp:Rating is -1 and curator did not write it, else None
    rating: int | None  # 1-5 stars a person set, else None
    label: str | None  # a colour word a person set, else None
    unreject: bool = False  # a person set a rating >= 0 over a reject: a rejected shot is rejected no more


def imported_decision(decision: SidecarDecision) -> ImportedDecision | None:
    """The user decision a sidecar holds (Lightroom's or darktable's), or None.

    curator's own earlier writes are not imported back (they would turn an
    automatic verdict into a "user" decision). A person's -1 is a reject;
    their 1-5 stars and colour label are kept as they are.

    In XMP a reject (-1) and stars (0-5) are values of one field, so a rating
    >= 0 that differs from what curator last wrote takes back a reject: a
    person who gives 5 stars to a photo curator wrote as rejected has
    un-rejected it. A 0 counts only where curator wrote the field (elsewhere
    it is many applications' "not rated", not a decision).
    """
    rating = decision.user_rating
    label = canonical_label(decision.user_label) if decision.user_label else None
    flag = "reject" if rating == -1 else None
    stars = rating if rating is not None and rating > 0 else None
    unreject = (decision.rating is not None and decision.rating >= 0 and decision.rating != decision.curator_rating
                and (decision.rating > 0 or decision.curator_rating is not None))
    if flag is None and stars is None and label is None and not unreject:
        return None
    return ImportedDecision(flag, stars, label, unreject)


def read_photo_decision(photo: str | os.PathLike[str], naming: str = "adobe") -> SidecarDecision | None:
    """The decision in the sidecar of `photo`: the `naming` scheme's sidecar first,
    else the other scheme's; None when the photo has no sidecar."""
    order = (naming,) + tuple(n for n in NAMING_SCHEMES if n != naming)
    try:
        listing = os.listdir(Path(photo).parent)
    except OSError:
        return None
    for scheme in order:
        found = find_sidecar(photo, scheme, listing)
        if found is not None:
            return read_sidecar(found)
    return None


# --------------------------------------------------------------------------- writing

@dataclass(frozen=True)
class WriteResult:
    sidecar: Path
    created: bool  # the sidecar did not exist before
    changed: bool  # the file was (or, in a dry run, would be) written
    kept_user: tuple[str, ...] = ()  # "rating"/"label": left as a person set them
    changes: Mapping[str, Change] = field(default_factory=dict)  # key -> new value (None: removed; tuple: a bag)
    keywords_added: tuple[str, ...] = ()
    keywords_removed: tuple[str, ...] = ()


def _own_change(changes: dict[str, Change], kept: list[str], name: str, key: str, our_key: str,
                current: str | None, ours: str | None, wanted: str | None, force: bool,
                same: Any) -> None:
    """Set or clear one field that curator manages, unless a person owns it."""
    ours_now = current is not None and ours is not None and same(current, ours)
    free = current is None or ours_now or force or (name == "rating" and _int_or_none(current) == 0)
    if wanted is None:
        if ours_now:  # take back only what curator wrote
            changes[key] = None
        if ours is not None:
            changes[our_key] = None
        return
    if not free:
        kept.append(name)
        return
    if current is None or not same(current, wanted):
        changes[key] = wanted
    if ours is None or not same(ours, wanted):
        changes[our_key] = wanted


def compute_changes(values: Mapping[str, Any], fields: XmpFields,
                    force: bool = False) -> tuple[dict[str, Change], tuple[str, ...]]:
    """The property changes that bring a sidecar's `values` to `fields` (pure; for tests and dry runs)."""
    changes: dict[str, Change] = {}
    kept: list[str] = []
    rating_now = _text_or_none(values.get(KEY_RATING))
    ours_rating = _text_or_none(values.get(KEY_OUR_RATING))
    _own_change(changes, kept, "rating", KEY_RATING, KEY_OUR_RATING, rating_now, ours_rating,
                None if fields.rating is None else str(int(fields.rating)), force,
                lambda a, b: _int_or_none(a) == _int_or_none(b))
    _own_change(changes, kept, "label", KEY_LABEL, KEY_OUR_LABEL, _text_or_none(values.get(KEY_LABEL)),
                _text_or_none(values.get(KEY_OUR_LABEL)), fields.label, force,
                lambda a, b: a.casefold() == b.casefold())
    verdict_now = _text_or_none(values.get(KEY_VERDICT))
    if fields.verdict != verdict_now and (fields.verdict is not None or verdict_now is not None):
        changes[KEY_VERDICT] = fields.verdict
    if fields.score is not None:
        text = f"{fields.score:.4f}"
        if _text_or_none(values.get(KEY_SCORE)) != text:
            changes[KEY_SCORE] = text
    changes.update(keyword_changes(values, fields.reasons, fields.weak, fields.keywords))
    return changes, tuple(kept)


def _words_changed(data: bytes, where: Path, changes: Mapping[str, Change]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(dc:subject words added, removed) by `changes` to the XMP in `data`, for the dry run's listing."""
    if KEY_SUBJECT not in changes:
        return (), ()
    return subject_words_changed(read_xmp_bytes(data, where), changes)


def write_sidecar(sidecar: str | os.PathLike[str], fields: XmpFields, *, force: bool = False,
                  dry_run: bool = False) -> WriteResult:
    """Create or patch one sidecar so that it carries `fields`.

    Only curator's fields change (xmp:Rating, xmp:Label, the curator:
    namespace and, with `fields.reasons`, curator's own keywords: see
    curator.disk.xmp_keywords); everything else in the file (develop settings,
    other keywords, history) is kept as exiv2 read it. A rating or label that a person set is
    kept unless `force`. Nothing is written when nothing changes. The write is
    atomic (temp file in the same folder, fsync, os.replace). A sidecar that is a
    symbolic link, not a regular file, or over MAX_SIDECAR_BYTES is skipped
    (SidecarError); os.replace puts a new file in place of a link that appears
    meanwhile, never writing through it.
    """
    path = Path(sidecar)
    if path.suffix.lower() != SIDECAR_SUFFIX:
        raise SidecarError(f"{path}: refusing to write a file that is not a .xmp sidecar")
    created = not os.path.lexists(path)
    # A link is never written through (it may lead to any file the person can write); nor is a FIFO,
    # a device or an oversized file read: _read_bytes refuses them all with one line.
    data = _EMPTY_PACKET if created else _read_bytes(path, links=False)
    new_data, changes, kept = patch_fields(data, fields, path, force=force, dry_run=dry_run)
    if new_data is None:
        return WriteResult(path, created, bool(changes), kept, changes, *_words_changed(data, path, changes))
    atomic_write_bytes(path, new_data)
    return WriteResult(path, created, True, kept, changes, *_words_changed(data, path, changes))


def patch_fields(data: bytes, fields: XmpFields, where: Path, *, force: bool = False, dry_run: bool = False,
                 ) -> tuple[bytes | None, dict[str, Change], tuple[str, ...]]:
    """The bytes of a sidecar or image file (`data`, read from `where`) with `fields` applied to its XMP:
    (new bytes, or None when nothing changes or in a dry run; the changes; the fields kept as a person set
    them). exiv2 rewrites only the XMP; for an image, curator.disk.xmp_embedded checks that."""
    with _LOCK:
        values = _parse(data, where)
        changes, kept = compute_changes(values, fields, force)
        if not changes or dry_run:
            return None, changes, kept
        return _patch(data, changes, where), changes, kept


def read_xmp_bytes(data: bytes, where: Path) -> dict[str, Any]:
    """Every XMP property in a sidecar's or an image's bytes, as exiv2 reads them."""
    with _LOCK:
        return _parse(data, where)


def atomic_write_bytes(target: Path, data: bytes) -> None:
    """Replace `target` with `data` so that a reader sees the old file or the new one, never half.

    The temp file sits in the target's folder (same file system, so os.replace
    is a rename), keeps the old file's permission bits, and is removed if
    anything fails before the rename.
    """
    folder = target.parent
    try:
        st = os.lstat(target)  # a link's target's permission bits are not the sidecar's
        mode: int | None = stat.S_IMODE(st.st_mode) if stat.S_ISREG(st.st_mode) else None
    except FileNotFoundError:
        mode = None
    try:
        tmp = write_temp_sibling(target, data, mode)
    except TempNotCreated as exc:
        raise SidecarError(f"{target}: cannot write in {folder} ({exc.strerror or exc})") from None
    except OSError as exc:
        raise SidecarError(f"{target}: write failed, old sidecar left as it was ({exc.strerror or exc})") from None
    try:
        os.replace(tmp, target)
    except OSError as exc:
        remove_quietly(tmp)
        raise SidecarError(f"{target}: write failed, old sidecar left as it was ({exc.strerror or exc})") from None
    fsync_dir(folder)


def fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable (best effort: not every OS or file system allows it)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- batches

@dataclass(frozen=True)
class PhotoDecision:
    """One photo's decision as the catalog holds it: the input of write_decisions."""

    path: Path
    verdict: str | None  # one of VERDICTS, or None (no decision: curator's fields are cleared)
    score: float | None = None  # fused score, written only with write_score
    rating: int | None = None  # stars the user gave in curator (1-5): they win over the mapping, except on a reject
    label: str | None = None  # a colour label the user gave in curator: it wins over the mapping
    reasons: tuple[str, ...] = ()  # curator.rules.reasons words, written as keywords with write_reasons
    source: str | None = None  # "auto": the auto flag policy made the pick/reject; anything else: the user did
    weak: bool = False  # the auto flag policy finds the photo weak (whatever the user decided since)
    keywords: tuple[str, ...] | None = None  # curator's keywords (xmp write --keywords); None: not written
    # the machine verdict (weak, auto reject) was reached on provisional scores (triage's quick pass): it
    # is not written, and what the sidecar holds is left as it is, until the exact scores land
    provisional: bool = False

    @property
    def machine_weak(self) -> bool:
        """A machine verdict to mark: weak, or auto-rejected."""
        return self.weak or (self.verdict == "reject" and self.source == "auto")

    def fields(self, mapping: Mapping[str, Mark] = DEFAULT_MAPPING, write_score: bool = False,
               write_reasons: bool = False, machine: Machine = Machine()) -> XmpFields:
        reasons = tuple(self.reasons) if write_reasons else None
        machine_verdict = self.verdict if self.source != "auto" or not self.provisional else (
            "keep" if self.score is not None else None)
        if machine.kind == "legacy":  # every verdict through the mapping, machine or user, as before
            base = fields_for(machine_verdict, mapping, self.score, write_score)
            rating = base.rating
            if self.rating and self.verdict != "reject":
                rating = max(0, min(5, int(self.rating)))
            label = canonical_label(self.label) or base.label
            return XmpFields(rating, label, base.verdict, base.score, reasons, weak=False)
        users = self.verdict if self.verdict in ("pick", "reject") and self.source != "auto" else None
        mark = mapping.get(users or "", Mark())
        rating = mark.rating
        if self.rating and users != "reject":
            rating = max(0, min(5, int(self.rating)))
        label = canonical_label(self.label) or mark.label
        weak: bool | None = self.machine_weak if machine.kind == "keyword" else False
        if self.provisional:
            weak = None  # leave the keyword as it is
        elif machine.kind == "label" and self.machine_weak and label is None:
            label = machine.label
        verdict = self.verdict if self.verdict in mapping else None
        return XmpFields(rating, label, verdict, self.score if write_score else None, reasons, weak, self.keywords)


@dataclass(frozen=True)
class WriteReport:
    written: tuple[WriteResult, ...]  # one per sidecar considered (changed or not)
    clashes: tuple[SidecarClash, ...]  # shots skipped under adobe naming
    failures: tuple[tuple[Path, str], ...]  # (sidecar or photo, one-line reason)

    @property
    def changed(self) -> int:
        return sum(1 for r in self.written if r.changed)


def plan_sidecars(decisions: Iterable[PhotoDecision], naming: str = "adobe",
                  ) -> tuple[list[tuple[Path, PhotoDecision, Shot]], list[SidecarClash]]:
    """(sidecar, decision, shot) for each sidecar to write, and the clashes skipped.

    A decision applies to its whole shot: the RAW partner of a decided JPEG
    gets the same sidecar content, found by listing the photo's folder.
    adobe: one sidecar per shot; darktable: one per file of the shot.
    """
    if naming not in NAMING_SCHEMES:
        raise UserError(f"XMP naming must be one of {', '.join(NAMING_SCHEMES)}, not {naming!r}")
    # One listing per folder, indexed by stem (and its sidecars apart), so a folder of n photos costs
    # O(n), not O(n^2).
    by_stem: dict[Path, dict[tuple[Path, str], list[Path]]] = {}
    sidecar_names: dict[Path, list[str]] = {}

    def same_stem(path: Path) -> list[Path]:
        folder = path.parent
        if folder not in by_stem:
            try:
                names = sorted(os.listdir(folder))
            except OSError:
                names = []
            groups: dict[tuple[Path, str], list[Path]] = defaultdict(list)
            for name in names:
                groups[stem_key(folder / name)].append(folder / name)
            by_stem[folder] = groups
            sidecar_names[folder] = [n for n in names if n.lower().endswith(SIDECAR_SUFFIX)]
        return by_stem[folder].get(stem_key(path), [])

    def target(photo: Path, scheme: str) -> Path:
        same_stem(photo)
        return find_sidecar(photo, scheme, sidecar_names[photo.parent]) or sidecar_path(photo, scheme)

    planned: list[tuple[Path, PhotoDecision, Shot]] = []
    clashes: dict[Path, SidecarClash] = {}
    seen_shots: dict[tuple[Path, ...], PhotoDecision] = {}
    for decision in decisions:
        path = Path(decision.path)
        shot = shot_of(path, same_stem(path) + [path])
        if shot.files in seen_shots:
            if path == shot.primary:  # the primary's decision wins within a shot
                seen_shots[shot.files] = decision
            continue
        seen_shots[shot.files] = decision
    for files, decision in seen_shots.items():
        shot = Shot(files[0], files)
        if naming == "adobe":
            clash = adobe_sidecar_clashes(same_stem(shot.primary) + list(shot.files))
            if clash:
                clashes.setdefault(clash[0].sidecar, clash[0])
                continue
            planned.append((target(shot.raw or shot.primary, "adobe"), decision, shot))
        else:
            planned.extend((target(f, "darktable"), decision, shot) for f in shot.files)
    return planned, list(clashes.values())


def write_decisions(decisions: Iterable[PhotoDecision], *, naming: str = "adobe",
                    mapping: Mapping[str, Mark] = DEFAULT_MAPPING, write_score: bool = False,
                    force: bool = False, dry_run: bool = False, write_reasons: bool = False,
                    machine: Machine = Machine()) -> WriteReport:
    """Write each decision to its shot's sidecar(s); a bad sidecar is reported, not fatal."""
    present: list[PhotoDecision] = []
    failures: list[tuple[Path, str]] = []
    for decision in decisions:
        if Path(decision.path).is_file():
            present.append(decision)
        else:  # a sidecar for a photo that is gone would only confuse the next import
            failures.append((Path(decision.path), f"{decision.path}: photo not found; no sidecar written"))
    planned, clashes = plan_sidecars(present, naming)
    results: list[WriteResult] = []
    for sidecar, decision, _shot in planned:
        fields = decision.fields(mapping, write_score, write_reasons, machine)
        try:
            results.append(write_sidecar(sidecar, fields, force=force, dry_run=dry_run))
        except SidecarError as exc:
            failures.append((sidecar, str(exc)))
    return WriteReport(tuple(results), tuple(clashes), tuple(failures))
