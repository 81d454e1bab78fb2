"""`curator bench quality --attributes FILE.csv`: do the dimensions and measurements track SPAQ's attributes?

SPAQ (Fang et al., "Perceptual Quality Assessment of Smartphone Photography",
CVPR 2020) rates each of its photos, beside the MOS, on five attributes:
brightness, colourfulness, contrast, noisiness and sharpness. For each quality
dimension and each classic measurement, this reports Spearman's rank
correlation (SRCC) with the attribute it claims to measure; a dimension or
measurement with no matching attribute (composition, a dimension of your own)
is compared with the MOS instead.

The SRCC is reported signed. Our dimensions are "good" probabilities (the
noise dimension is high for a clean photo) while some measurements count the
defect (noise_sigma is high for a noisy one), so a dimension and a
measurement of the same attribute correlate with it in opposite directions.

Attribute file: a CSV with a header naming an image column (as --list's, plus
SPAQ's "Image name") and any of the five attribute columns (either spelling
of colourfulness). Rows match the list's images by the path as written, or
else by file name.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

from .quality import IMAGE_COLUMNS, ListError

ATTRIBUTES = ("brightness", "colourfulness", "contrast", "noisiness", "sharpness")
_ATTRIBUTE_SPELLINGS = {"colorfulness": "colourfulness", **{a: a for a in ATTRIBUTES}}
_IMAGE_COLUMNS = (*IMAGE_COLUMNS, "image name", "image_name")

# What each default dimension and each measurement claims to measure.
DIMENSION_ATTRIBUTE = {"sharpness": "sharpness", "noise": "noisiness", "exposure": "brightness",
                       "contrast": "contrast", "colour": "colourfulness"}
MEASURE_ATTRIBUTE = {"focus": "sharpness", "focus_best": "sharpness", "noise_sigma": "noisiness",
                     "luma_mean": "brightness", "luma_median": "brightness", "luma_p99": "brightness",
                     "clipped_white": "brightness", "clipped_black": "brightness",
                     "contrast_rms": "contrast", "luma_spread": "contrast",
                     "colour_cast": "colourfulness"}
MOS = "mos"


@dataclass(frozen=True)
class Agreement:
    """One row of the table: a dimension or measurement against its attribute."""

    name: str
    kind: str  # "dimension" or "measurement"
    attribute: str  # one of ATTRIBUTES, or "mos"
    srcc: float  # NaN when fewer than 2 images or a constant column
    n: int

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "kind": self.kind, "attribute": self.attribute,
                "srcc": self.srcc if math.isfinite(self.srcc) else None, "n": self.n}


def read_attributes(path: Path) -> dict[str, dict[str, float]]:
    """{image as written: {attribute: value}}; raises ListError with a one-line reason."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ListError(f"attribute file {path} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ListError(f"cannot read attribute file {path}: {exc}") from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = [r for r in csv.reader(text.splitlines(), dialect) if r and any(c.strip() for c in r)]
    if len(rows) < 2:
        raise ListError(f"attribute file {path} has no rows under a header")
    header = [c.strip().lower() for c in rows[0]]
    image_col = next((header.index(c) for c in _IMAGE_COLUMNS if c in header), None)
    columns = {_ATTRIBUTE_SPELLINGS[h]: i for i, h in enumerate(header) if h in _ATTRIBUTE_SPELLINGS}
    if image_col is None or not columns:
        raise ListError(f"attribute file {path}: its header ({', '.join(rows[0])}) needs an image column and "
                        f"at least one of {', '.join(ATTRIBUTES)}")
    out: dict[str, dict[str, float]] = {}
    for line, row in enumerate(rows[1:], start=2):
        if len(row) <= max(image_col, *columns.values()):
            raise ListError(f"attribute file {path}: row {line} has {len(row)} columns")
        values = {}
        for name, col in columns.items():
            try:
                values[name] = float(row[col])
            except ValueError:
                raise ListError(f"attribute file {path}: row {line}: {name} {row[col]!r} is not a number") from None
        out[row[image_col].strip()] = values
    return out


def match_attributes(images: Sequence[str], attributes: Mapping[str, dict[str, float]]
                     ) -> list[dict[str, float] | None]:
    """Each listed image's attributes, by the path as written or else by file name; None when absent."""
    by_name: dict[str, dict[str, float] | None] = {}
    for key, values in attributes.items():
        name = PurePath(key.replace("\\", "/")).name
        by_name[name] = None if name in by_name else values  # an ambiguous file name matches nothing
    return [attributes.get(img) or by_name.get(PurePath(img.replace("\\", "/")).name) for img in images]


def agreement(rows: Sequence[Mapping[str, Any]], attributes: Mapping[str, dict[str, float]]) -> list[Agreement]:
    """SRCC of every dimension and measurement in rows (bench quality's scored rows) with its attribute."""
    matched = match_attributes([str(r["image"]) for r in rows], attributes)
    table: list[Agreement] = []
    first: Mapping[str, Any] = rows[0] if rows else {}
    for kind, key, claims in (("dimension", "dimensions", DIMENSION_ATTRIBUTE),
                              ("measurement", "measures", MEASURE_ATTRIBUTE)):
        for name in first.get(key, {}):
            attribute = claims.get(name, MOS)
            xs, ys = [], []
            for row, attrs in zip(rows, matched, strict=True):
                target = row["mos"] if attribute == MOS else (attrs or {}).get(attribute)
                value = row.get(key, {}).get(name)
                if target is not None and value is not None:
                    xs.append(float(value))
                    ys.append(float(target))
            table.append(Agreement(name, kind, attribute, _srcc(xs, ys), len(xs)))
    return table


def _srcc(xs: Sequence[float], ys: Sequence[float]) -> float:
    from scipy import stats

    if len(xs) < 2 or len(set(xs)) < 2 or len(set(ys)) < 2:
        return math.nan
    return float(stats.spearmanr(xs, ys).statistic)


def format_agreement(table: Sequence[Agreement], matched: int, scored: int, path: Path) -> str:
    lines = [f"dimensions and measurements against the attributes of {path} ({matched} of {scored} scored "
             "images have attributes):",
             f"{'':<14}{'kind':<13}{'against':<15}{'SRCC':>8}{'n':>7}"]
    for a in table:
        srcc = f"{a.srcc:8.4f}" if math.isfinite(a.srcc) else f"{'n/a':>8}"
        lines.append(f"{a.name:<14}{a.kind:<13}{a.attribute:<15}{srcc}{a.n:>7}")
    lines.append("SRCC is signed: dimensions are high for a good photo, noise_sigma, clipped shares and "
                 "colour_cast are high for the defect.")
    return "\n".join(lines)
