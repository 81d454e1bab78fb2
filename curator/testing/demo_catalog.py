"""Demo catalogs for the gallery, built through the real Catalog API (no SQL here).

The gallery's tests and anyone trying the gallery without a shoot of their own
use these: made-up scores with plausible cues and KonIQ-style windows, and
made-up EXIF, so the grid, the detail pane and the heatmap have something to
show without a model. The photos themselves (scikit-image's, written as JPEGs)
come from iqa_engine.testing.
"""

from __future__ import annotations

import dataclasses
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from curator.catalog import Catalog, FileStat, QualityRecord, ScoreRecord
    from curator.disk.exif import ExifData

def fake_score(fused: float, size: tuple[int, int] = (640, 427), seed: int = 0, fingerprint: str = "test-engine",
               embedding: np.ndarray | None = None) -> ScoreRecord:
    """A score with plausible cues and KonIQ-style windows (224 px, stride 128); the CLIP embedding is
    zeros (alike to nothing, so never in a burst) unless given."""
    from curator.catalog import ScoreRecord, ViewRecord

    rng = np.random.default_rng(seed)
    w, h = size
    cosine = min(0.99, max(0.01, fused - 0.05))
    magnitude = fused + 0.08
    w_cos = 1 / (1 + math.exp(-(0.4 + (cosine - magnitude))))
    views = []
    for top in range(0, max(1, h - 224 + 1), 128):
        for left in range(0, max(1, w - 224 + 1), 128):
            v = float(fused + rng.normal(0, 0.04) + 0.05 * (left / max(w, 1)))
            views.append(ViewRecord((left, top, left + 224, top + 224), v, v - 0.05, v + 0.08, w_cos, 1 - w_cos))
    views.append(ViewRecord(None, fused, cosine, magnitude, w_cos, 1 - w_cos))
    return ScoreRecord(fingerprint, fused, fused, cosine, magnitude, w_cos, 1 - w_cos, "fused", "koniq", "test",
                       size, size, tuple(views),
                       np.zeros(8, dtype=np.float32) if embedding is None else np.asarray(embedding, dtype=np.float32))


DEMO_DIMENSIONS = ("sharpness", "noise", "exposure", "contrast", "colour", "composition")


def demo_quality(path: Path, score: ScoreRecord, seed: int = 0) -> QualityRecord | None:
    """Quality values for a demo photo: the classic measurements of the real file, and made-up dimensions
    (per view around the score's, so the heatmap's layers show something). None if the file cannot be read."""
    from PIL import Image

    from curator.catalog import QualityRecord
    from iqa_engine.measures import measure

    try:
        with Image.open(path) as im:
            m = measure(np.asarray(im.convert("RGB")))
    except OSError:
        return None
    rng = np.random.default_rng(1000 + seed)
    base = {d: float(np.clip(score.fused + rng.normal(0, 0.08), 0.02, 0.98)) for d in DEMO_DIMENSIONS}
    views = [{d: float(np.clip(v + rng.normal(0, 0.05), 0, 1)) for d, v in base.items()} for _ in score.views]
    return QualityRecord("dims-demo", base, m.scalars(), m.size, m.focus_grid, m.focus_windows,
                         tuple(v.box for v in score.views), tuple(views))


def fake_exif(capture_time: str | None = None, **changes: Any) -> ExifData:
    """EXIF as a Fujifilm X-T4 with a 35 mm lens would write it (these fields changed)."""
    from curator.disk.exif import ExifData

    fields: dict[str, Any] = dict(make="Fujifilm", model="X-T4", lens="XF35mmF1.4 R", iso=400,
                                  exposure_time=1 / 250, f_number=2.8, focal_length=35.0,
                                  capture_time=capture_time, orientation=1, exposure_bias=0.0)
    fields.update(changes)
    return ExifData(**fields)


def stat_of(path: Path) -> FileStat:
    """The file's size and mtime, or made-up ones for a file that is not there."""
    from curator.catalog import FileStat

    try:
        st = os.stat(path)
        return FileStat(st.st_size, st.st_mtime_ns)
    except FileNotFoundError:
        return FileStat(1234, 1_700_000_000_000_000_000)


def add_photo(cat: Catalog, path: Path, fused: float | None = None, *, status: str | None = None,
              error: str | None = None, seed: int = 0, capture_time: str | None = None,
              embedding: np.ndarray | None = None, exposure_bias: float | None = 0.0) -> int:
    """Catalogue one photo: scored when fused is given, else pending (or error / missing). Frames with
    capture times a moment apart and alike embeddings form a burst (curator.rules.bursts)."""
    pid = cat.upsert_photo(str(path), stat_of(path), status="pending")
    if fused is not None:
        size = (640, 427)
        try:
            from PIL import Image

            with Image.open(path) as im:
                size = im.size
        except Exception:  # noqa: BLE001 - a missing or broken file keeps the made-up size
            pass
        score = fake_score(fused, size=size, seed=seed, embedding=embedding)
        score = dataclasses.replace(score, quality=demo_quality(path, score, seed))
        cat.record_score(pid, score,
                         exif=fake_exif(capture_time, exposure_bias=exposure_bias) if capture_time else None)
    if status == "error":
        cat.record_error(pid, error or "not an image Pillow can read")
    elif status == "missing":
        cat.upsert_photo(str(path), stat_of(path), status="missing")
    return pid
