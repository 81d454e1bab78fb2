"""Why a frame is weak: at most two words from a fixed vocabulary, per photo, relative to its folder.

Pure functions over plain values (no SQL, no Qt). The catalog hands in each
photo's classic measurements (iqa_engine.measures, by name), its zero-shot
quality dimensions (0..1, higher is better), its EXIF exposure bias and
whether it is part of a bracket; reasons come back per photo id.

The rule. A folder is a shoot: every threshold marked *relative* below is a
multiple of the median over the photos of the same folder that have that
value, and applies once the folder holds at least ``min_folder`` of them.

1. A classic measurement alone fires its reason when it is past its guard:
   - ``blurry``: focus relative to contrast (the best window's variance of the
     Laplacian divided by the frame's luma variance, so a darker or flatter
     copy of a sharp frame is not read as blurred) under ``focus_ratio`` (a
     quarter) of the folder's median, or under ``focus_floor`` whatever the
     folder;
   - ``noisy``: noise sigma over ``noise_ratio`` times the folder's median and
     over ``noise_min`` (8-bit units), or over ``noise_max`` whatever the folder;
   - ``too-dark``: the brightest tones (99th percentile of luma) under
     ``dark_highlights`` — a low-key frame keeps its highlights, an
     under-exposed one loses them — and mean luma under ``dark_ratio`` of the
     folder's median, or under ``dark_mean`` whatever the folder;
   - ``too-bright``: the share of pixels clipped to white over ``clip_share``
     and ``clip_ratio`` times the folder's median share, or over
     ``clip_max`` whatever the folder; or, brighter than the shoot, mean luma
     over ``bright_ratio`` times the folder's median with at least
     ``bright_clip`` clipped;
   - ``flat``: the 5-95 % luma spread under ``flat_spread`` levels and under
     ``flat_ratio`` of the folder's median, or under ``flat_floor`` whatever
     the folder (not on a frame that reads too-dark: its spread is the
     exposure's doing);
   - ``colour-cast``: the grey-world deviation over ``cast_min`` and
     ``cast_ratio`` times the folder's median, or over ``cast_max``.
2. A CLIP dimension fires its reason when the photo is in the worst
   ``tail_share`` (10 %) of its folder on that dimension, AND on the matching
   measurement too, and that measurement is at least half-way to its relative
   guard (the square root of the ratio: half a quarter-median is 0.5 x the
   median). A dimension never fires alone where a measurement exists, so a
   model's bias cannot name a sharp, clean, well-exposed frame ``blurry``,
   ``noisy`` or ``too-dark``. The exposure dimension points to ``too-dark`` or
   ``too-bright`` by which side of the folder's median luma the frame is on.
   ``composition`` has no measurement: its dimension fires alone, in the
   worst ``tail_share`` of the folder and under ``composition_max``.
3. Frames in a bracket, and frames shot with exposure compensation, are left
   alone on exposure: no ``too-dark`` at a negative (or zero, in a bracket)
   bias, no ``too-bright`` at a positive one.
4. At most ``MAX_REASONS`` (two) per photo, in the vocabulary's order.

The worst ``tail_share`` of a folder of n photos is its max(1, floor(share x n))
worst photos (ties count with the better side).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields

from curator.rules.standing import finite_values

VOCABULARY = ("blurry", "noisy", "too-dark", "too-bright", "flat", "colour-cast", "composition")
MAX_REASONS = 2
# The dimension that speaks for each reason (iqa_engine/dimensions.toml); exposure covers two.
DIMENSION_OF = {"blurry": "sharpness", "noisy": "noise", "too-dark": "exposure", "too-bright": "exposure",
                "flat": "contrast", "colour-cast": "colour", "composition": "composition"}


@dataclass(frozen=True)
class ReasonRules:
    """The rule's constants (the settings file's [reasons] table, by these names)."""

    tail_share: float = 0.10  # worst share of a folder on a dimension
    min_folder: int = 4  # photos with a value before folder-relative guards apply
    focus_ratio: float = 0.25  # x folder median of focus relative to contrast
    focus_floor: float = 0.01  # focus relative to contrast, whatever the folder
    noise_ratio: float = 2.5  # x folder median noise sigma
    noise_min: float = 6.0  # 8-bit units, with noise_ratio
    noise_max: float = 15.0  # 8-bit units, whatever the folder
    dark_highlights: float = 150.0  # 99th percentile luma a too-dark frame stays under
    dark_ratio: float = 0.6  # x folder median mean luma
    dark_mean: float = 32.0  # mean luma, whatever the folder
    clip_share: float = 0.05  # share clipped to white, with clip_ratio
    clip_ratio: float = 2.0  # x folder median clipped share
    clip_max: float = 0.25  # share clipped to white, whatever the folder
    bright_ratio: float = 1.25  # x folder median mean luma, with bright_clip
    bright_clip: float = 0.01  # share clipped to white, with bright_ratio
    flat_spread: float = 64.0  # 5-95 % luma spread (levels), with flat_ratio
    flat_ratio: float = 0.5  # x folder median spread
    flat_floor: float = 32.0  # 5-95 % luma spread, whatever the folder
    cast_min: float = 0.2  # grey-world deviation, with cast_ratio
    cast_ratio: float = 3.0  # x folder median deviation
    cast_max: float = 0.6  # grey-world deviation, whatever the folder
    composition_max: float = 0.5  # composition dimension value under which its tail fires

    @classmethod
    def from_table(cls, table: Mapping[str, object], source: str = "[reasons]") -> ReasonRules:
        """Rules from a settings table; unknown names and non-positive numbers raise ValueError (one line)."""
        known = {f.name: f for f in fields(cls)}
        values: dict[str, float | int] = {}
        for name, value in table.items():
            if name not in known:
                raise ValueError(f"{source}: unknown key {name!r} (known: {', '.join(sorted(known))})")
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                    or value <= 0:
                raise ValueError(f"{source}: {name} must be a positive number, not {value!r}")
            if name == "min_folder":
                if int(value) != value:
                    raise ValueError(f"{source}: min_folder must be a whole number, not {value!r}")
                values[name] = int(value)
            else:
                values[name] = float(value)
        if values.get("tail_share", 0.1) >= 1:
            raise ValueError(f"{source}: tail_share must be under 1")
        return cls(**values)  # type: ignore[arg-type]  # names and types checked above


@dataclass(frozen=True)
class Evidence:
    """One photo, as the rule needs it (the catalog builds these)."""

    photo_id: Hashable
    folder: str
    measures: Mapping[str, float] = field(default_factory=dict)  # iqa_engine.measures scalars by name
    dimensions: Mapping[str, float] = field(default_factory=dict)  # 0..1, higher is better
    exposure_bias: float | None = None  # EXIF ExposureBiasValue (EV)
    bracketed: bool = False  # part of an exposure bracket (curator.rules.bursts.bracketed_ids)


def focus_relative_to_contrast(measures: Mapping[str, float]) -> float | None:
    """The best window's variance of the Laplacian over the frame's luma variance (None if unmeasured).

    Scaling a frame's tones by k scales both by k squared, so a darker or
    flatter copy of a sharp frame keeps its value; blur removes the fine
    detail the Laplacian sees far faster than it lowers the luma variance.
    """
    focus, rms = measures.get("focus_best"), measures.get("contrast_rms")
    if focus is None or rms is None or not math.isfinite(focus) or not math.isfinite(rms):
        return None
    return float(focus) / max((float(rms) * 255.0) ** 2, 1.0)


# The value each measurement-based reason reads, and whether a higher value is worse.
_SIGNALS: dict[str, tuple[Callable[[Mapping[str, float]], float | None], bool]] = {
    "blurry": (focus_relative_to_contrast, False),
    "noisy": (lambda m: m.get("noise_sigma"), True),
    "too-dark": (lambda m: m.get("luma_mean"), False),
    "too-bright": (lambda m: m.get("clipped_white"), True),
    "flat": (lambda m: m.get("luma_spread"), False),
    "colour-cast": (lambda m: m.get("colour_cast"), True),
}


@dataclass(frozen=True)
class _Folder:
    """Per-folder medians and worst-tail membership of each signal and dimension."""

    medians: dict[str, float]  # signal name -> median; absent when fewer than min_folder values
    tails: dict[str, frozenset[Hashable]]  # "signal:NAME" / "dimension:NAME" -> ids in the worst tail


def derive_reasons(photos: Iterable[Evidence], rules: ReasonRules | None = None) -> dict[Hashable, tuple[str, ...]]:
    """photo id -> its reasons (at most two, vocabulary order; empty when none fires)."""
    rules = rules or ReasonRules()
    by_folder: dict[str, list[Evidence]] = defaultdict(list)
    for p in photos:
        by_folder[p.folder].append(p)
    out: dict[Hashable, tuple[str, ...]] = {}
    for members in by_folder.values():
        folder = _folder_context(members, rules)
        for p in members:
            out[p.photo_id] = _reasons_for(p, folder, rules)
    return out


def _folder_context(members: Sequence[Evidence], rules: ReasonRules) -> _Folder:
    medians: dict[str, float] = {}
    tails: dict[str, frozenset[Hashable]] = {}
    for reason, (read, higher_is_worse) in _SIGNALS.items():
        values = finite_values({p.photo_id: read(p.measures) for p in members})
        if len(values) >= rules.min_folder:
            medians[reason] = _median(list(values.values()))
            tails[f"signal:{reason}"] = _worst_tail(values, higher_is_worse, rules.tail_share)
    brightness = finite_values({p.photo_id: p.measures.get("luma_mean") for p in members})
    if len(brightness) >= rules.min_folder:
        medians["luma_mean"] = _median(list(brightness.values()))
    for name in {d for p in members for d in p.dimensions}:
        values = finite_values({p.photo_id: p.dimensions.get(name) for p in members})
        if len(values) >= rules.min_folder:
            tails[f"dimension:{name}"] = _worst_tail(values, False, rules.tail_share)
    return _Folder(medians, tails)


def _reasons_for(p: Evidence, folder: _Folder, r: ReasonRules) -> tuple[str, ...]:
    m = p.measures
    fired: set[str] = set()
    for reason, (read, _) in _SIGNALS.items():
        value = read(m)
        if value is None or not math.isfinite(value):
            continue
        median = folder.medians.get(reason)
        if _measured(reason, float(value), median, m, folder, r) or _confirmed(reason, p, float(value), median, folder, r):
            fired.add(reason)
    if "too-dark" in fired:
        fired.discard("flat")  # a dark frame's compressed tones are the exposure's doing
    fired -= _protected(p)
    if p.photo_id in folder.tails.get("dimension:composition", ()):
        value = p.dimensions.get("composition")
        if value is not None and value < r.composition_max:
            fired.add("composition")
    return tuple(reason for reason in VOCABULARY if reason in fired)[:MAX_REASONS]


def _measured(reason: str, value: float, median: float | None, m: Mapping[str, float], folder: _Folder,
              r: ReasonRules) -> bool:
    """The measurement alone is past its guard (a relative guard is off while the median is unknown)."""
    med = math.nan if median is None else median  # every comparison with NaN is False
    if reason == "blurry":
        return value < r.focus_floor or value < r.focus_ratio * med
    if reason == "noisy":
        return value > r.noise_max or (value > r.noise_min and value > r.noise_ratio * med)
    if reason == "too-dark":
        return _lost_highlights(m, r) and (value < r.dark_mean or value < r.dark_ratio * med)
    if reason == "too-bright":
        if value > r.clip_max or (value > r.clip_share and (median is None or value > r.clip_ratio * med)):
            return True
        # brighter than the shoot, and clipping
        luma, luma_median = m.get("luma_mean"), folder.medians.get("luma_mean", math.nan)
        return luma is not None and value > r.bright_clip and luma > r.bright_ratio * luma_median
    if reason == "flat":
        return value < r.flat_floor or (value < r.flat_spread and value < r.flat_ratio * med)
    if reason == "colour-cast":
        return value > r.cast_max or (value > r.cast_min and value > r.cast_ratio * med)
    return False


def _confirmed(reason: str, p: Evidence, value: float, median: float | None, folder: _Folder,
               r: ReasonRules) -> bool:
    """The dimension and the measurement are both in the folder's worst tail, the measurement half-way to its guard."""
    dimension = DIMENSION_OF[reason]
    if median is None or p.photo_id not in folder.tails.get(f"dimension:{dimension}", ()):
        return False
    if reason in ("too-dark", "too-bright"):
        # the exposure dimension says "badly exposed"; which way is the measurement's to tell
        luma, luma_median = p.measures.get("luma_mean"), folder.medians.get("luma_mean")
        if luma is None or luma_median is None or (luma < luma_median) != (reason == "too-dark"):
            return False
    if p.photo_id not in folder.tails.get(f"signal:{reason}", ()):
        return False
    m = p.measures
    if reason == "blurry":
        return value < math.sqrt(r.focus_ratio) * median
    if reason == "noisy":
        return value > math.sqrt(r.noise_ratio) * median
    if reason == "too-dark":
        return _lost_highlights(m, r) and value < math.sqrt(r.dark_ratio) * median
    if reason == "too-bright":
        return value > r.bright_clip and value > math.sqrt(r.clip_ratio) * median
    if reason == "flat":
        return value < math.sqrt(r.flat_ratio) * median
    if reason == "colour-cast":
        return value > math.sqrt(r.cast_ratio) * median
    return False


def _lost_highlights(m: Mapping[str, float], r: ReasonRules) -> bool:
    """The brightest tones stay dark: an under-exposed frame, not a low-key one (which keeps its highlights)."""
    p99 = m.get("luma_p99")
    return p99 is not None and p99 < r.dark_highlights


def _protected(p: Evidence) -> set[str]:
    """Exposure reasons a bracket or exposure compensation explains."""
    bias = p.exposure_bias if p.exposure_bias is not None and math.isfinite(p.exposure_bias) else 0.0
    protected = set()
    if bias < 0 or (p.bracketed and bias <= 0):
        protected.add("too-dark")
    if bias > 0 or (p.bracketed and bias >= 0):
        protected.add("too-bright")
    return protected


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2.0


def _worst_tail(values: Mapping[Hashable, float], higher_is_worse: bool, share: float) -> frozenset[Hashable]:
    """The max(1, floor(share * n)) worst ids; a tie at the boundary stays out."""
    n = len(values)
    k = max(1, math.floor(share * n))
    worst_first = sorted(values.values(), reverse=higher_is_worse)
    if k < n and worst_first[k - 1] == worst_first[k]:
        boundary = worst_first[k - 1]
        return frozenset(i for i, v in values.items() if (v > boundary if higher_is_worse else v < boundary))
    boundary = worst_first[k - 1]
    return frozenset(i for i, v in values.items() if (v >= boundary if higher_is_worse else v <= boundary))
