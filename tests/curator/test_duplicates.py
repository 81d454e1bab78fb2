"""Library-wide duplicates: the rule on hand-made records, and on scikit-image's photographs run
through the tiny model's scoring pass.

What the photographs prove, honestly: with seeded random weights the tiny model's standard
embeddings of *different* photographs are nearly parallel too (cosine > 0.95, asserted below),
so on them the embedding half of the rule passes every pair and it is the perceptual hash that
tells a re-saved or downscaled copy from another photograph. The rule itself (the embedding
condition included) is proven on hand-made records; that real CLIP weights put different
photographs apart is their property, not something a test here can show.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from iqa_engine.testing import sample_photos, write_jpeg
from PIL import Image

from curator.rules.duplicates import Candidate, group_duplicates
from curator.disk.identity import content_hash
from iqa_engine import Engine

UNIT = np.asarray([1.0, 0.0, 0.0], np.float32)


def _c(pid: str, *, h: str | None = None, emb=UNIT, ph: int | None = 0, t: float | None = None,
       fused: float | None = 0.5, burst=None) -> Candidate:
    return Candidate(pid, h, None if emb is None else np.asarray(emb, np.float32), ph, t, fused, burst)


def test_same_bytes_are_duplicates_whatever_else_differs() -> None:
    groups = group_duplicates([_c("a", h="x", emb=[1, 0, 0], ph=0, t=0.0, burst=1),
                               _c("b", h="x", emb=[0, 1, 0], ph=-1, t=500.0, burst=1),
                               _c("c", h="y", emb=None, ph=None)])
    assert [g.ids for g in groups] == [("a", "b")] and groups[0].identical


def test_look_alike_needs_embedding_hash_time_and_no_shared_burst() -> None:
    near = [0.99, 0.141, 0.0]  # cosine 0.99 with UNIT
    assert [g.ids for g in group_duplicates([_c("a"), _c("b", emb=near, ph=0b111)])] == [("a", "b")]
    assert group_duplicates([_c("a"), _c("b", emb=[0.9, 0.436, 0.0])]) == []  # cosine 0.90 < 0.95
    assert group_duplicates([_c("a"), _c("b", ph=0b1111111)]) == []  # 7 bits apart > 6
    assert group_duplicates([_c("a", t=100.0), _c("b", t=102.0)]) == []  # shot 2 s apart
    assert len(group_duplicates([_c("a", t=100.0), _c("b", t=100.5)])) == 1
    assert len(group_duplicates([_c("a", t=100.0), _c("b", t=None)])) == 1  # a re-save lost its EXIF
    assert group_duplicates([_c("a", burst="k"), _c("b", burst="k")]) == []  # bursts stay bursts
    assert group_duplicates([_c("a"), _c("b", emb=None)]) == []
    assert group_duplicates([_c("a"), _c("b", ph=None)]) == []
    loose = group_duplicates([_c("a"), _c("b", emb=[0.9, 0.436, 0.0], ph=0b1111111)], similarity=0.85,
                             max_distance=7)
    assert [g.ids for g in loose] == [("a", "b")] and not loose[0].identical


def test_groups_are_transitive_best_first_and_largest_first() -> None:
    groups = group_duplicates([
        _c("low", fused=0.2), _c("unscored", fused=None), _c("high", fused=0.9), _c("mid", fused=0.5, h="z"),
        _c("x1", emb=[0, 1, 0], fused=0.3), _c("x2", emb=[0, 1, 0], fused=0.4),
        _c("alone", emb=[0, 0, 1])])
    assert [g.ids for g in groups] == [("high", "mid", "low", "unscored"), ("x2", "x1")]
    assert groups[0].best == "high" and groups[0].others == ("mid", "low", "unscored")


def test_a_photo_id_twice_is_refused() -> None:
    with pytest.raises(ValueError):
        group_duplicates([_c("a"), _c("a")])


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each photograph in 2021/, a byte copy of it in backup/, a quality-80 re-save in resaved/
    and a 50 % downscaled copy in exports/."""
    root = tmp_path_factory.mktemp("library")
    paths: dict[str, Path] = {}
    for name, arr in sample_photos().items():
        original = write_jpeg(root / "2021" / f"{name}.jpg", arr)
        paths[name] = original
        (root / "backup").mkdir(exist_ok=True)
        paths[f"{name}/copy"] = Path(shutil.copy2(original, root / "backup" / f"{name}.jpg"))
        im = Image.open(original)
        paths[f"{name}/q80"] = write_jpeg(root / "resaved" / f"{name}.jpg", np.asarray(im), quality=80)
        paths[f"{name}/half"] = write_jpeg(root / "exports" / f"{name}-small.jpg", np.asarray(im),
                                           size=(im.width // 2, im.height // 2))
    return paths


def test_resaved_downscaled_and_copied_photographs_are_found(tiny_engine: Engine, library: dict[str, Path]) -> None:
    keys = list(library)
    results = dict(tiny_engine.score_paths([library[k] for k in keys]))
    scores = {k: results[library[k]] for k in keys}
    candidates = [Candidate(k, content_hash(library[k]), s.clip_embedding, s.perceptual_hash, None, s.fused)
                  for k, s in scores.items()]
    groups = group_duplicates(candidates)
    names = sorted(sample_photos())
    assert sorted(sorted(g.ids) for g in groups) == [sorted([n, f"{n}/copy", f"{n}/q80", f"{n}/half"]) for n in names]
    for g in groups:
        fused = [scores[k].fused for k in g.ids]
        assert fused == sorted(fused, reverse=True)
        assert not g.identical  # byte copies and re-saves together
    # what random weights do: different photographs are nearly parallel as well (see the module docstring)
    originals = np.stack([scores[n].clip_embedding for n in names])
    assert (originals @ originals.T).min() > 0.95
