"""Bursts and brackets on synthetic capture times, embeddings and exposure biases."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from curator.rules.bursts import (Burst, Frame, bracket_sets, bracketed_ids, cosine_similarity, group_bursts,
                            reject_all_but_best)

T0 = datetime(2025, 6, 1, 10, 0, 0)
DIM = 32


def _scene(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=DIM)


def _near(base: np.ndarray, seed: int, noise: float = 0.05) -> np.ndarray:
    """A frame of the same scene: cosine similarity with `base` well above 0.9."""
    return base + np.random.default_rng(1000 + seed).normal(scale=noise, size=DIM) * np.linalg.norm(base) / DIM ** 0.5


def _frame(pid: str, seconds: float, emb: np.ndarray | None, fused: float | None = 0.5,
           bias: float | None = 0.0) -> Frame:
    return Frame(pid, T0 + timedelta(seconds=seconds), emb, fused, bias)


def _groups(bursts: list[Burst]) -> list[tuple[object, ...]]:
    return [b.ids for b in bursts]


def test_cosine_similarity() -> None:
    assert cosine_similarity([1, 0], [1, 0]) == pytest.approx(1.0)
    assert cosine_similarity([1, 0], [0, 2]) == pytest.approx(0.0)
    assert cosine_similarity([0, 0], [1, 1]) == 0.0
    a = _scene(1)
    assert cosine_similarity(a, _near(a, 1)) > 0.95
    assert abs(cosine_similarity(a, _scene(2))) < 0.6
    with pytest.raises(ValueError):
        cosine_similarity([1, 2], [1, 2, 3])


def test_groups_by_time_gap_and_similarity_and_picks_best() -> None:
    beach, dog, sunset = _scene(1), _scene(2), _scene(3)
    frames = [
        # a burst of the beach: 4 frames at 0.3 s, the third is the sharpest
        _frame("b1", 0.0, _near(beach, 1), 0.50),
        _frame("b2", 0.3, _near(beach, 2), 0.55),
        _frame("b3", 0.6, _near(beach, 3), 0.71),
        _frame("b4", 0.9, _near(beach, 4), 0.60),
        # 1.0 s later, a different scene: within the gap but not similar -> a new group
        _frame("d1", 1.9, _near(dog, 1), 0.40),
        _frame("d2", 2.2, _near(dog, 2), 0.45),
        # the same dog 10 s later: similar but outside the gap -> a new group
        _frame("d3", 12.2, _near(dog, 3), 0.90),
        # a single frame
        _frame("s1", 60.0, sunset, 0.30),
    ]
    shuffled = [frames[i] for i in (5, 2, 7, 0, 3, 6, 1, 4)]  # input order does not matter
    bursts = group_bursts(shuffled)
    assert _groups(bursts) == [("b1", "b2", "b3", "b4"), ("d1", "d2"), ("d3",), ("s1",)]
    assert [b.best for b in bursts] == ["b3", "d2", "d3", "s1"]
    assert [b.is_burst for b in bursts] == [True, True, False, False]

    decisions = reject_all_but_best(bursts)
    assert sorted((d.photo_id, d.verdict, d.best_id) for d in decisions) == [
        ("b1", "reject", "b3"), ("b2", "reject", "b3"), ("b4", "reject", "b3"), ("d1", "reject", "d2")]


def test_gap_and_threshold_are_parameters() -> None:
    a = _scene(1)
    frames = [_frame("x", 0.0, a), _frame("y", 3.0, _near(a, 1))]
    assert _groups(group_bursts(frames)) == [("x",), ("y",)]
    assert _groups(group_bursts(frames, gap_seconds=5.0)) == [("x", "y")]
    assert _groups(group_bursts(frames, gap_seconds=5.0, similarity=0.9999)) == [("x",), ("y",)]
    with pytest.raises(ValueError):
        group_bursts(frames, gap_seconds=-1)


def test_neighbours_are_compared_so_a_slow_pan_stays_one_burst() -> None:
    a, b = _scene(1), _scene(2)
    steps = [a * (1 - t) + b * t for t in np.linspace(0, 1, 12)]  # each step close to the last
    assert cosine_similarity(steps[0], steps[-1]) < 0.9
    frames = [_frame(f"p{i}", i * 0.2, e) for i, e in enumerate(steps)]
    assert len(group_bursts(frames)) == 1


def test_missing_time_embedding_or_score_is_never_rejected() -> None:
    a = _scene(1)
    frames = [
        _frame("t1", 0.0, _near(a, 1), 0.9),
        _frame("t2", 0.3, None, 0.1),  # no embedding: not joined
        Frame("t3", None, _near(a, 3), 0.1),  # no capture time: alone, at the end
        _frame("u1", 5.0, _near(a, 4), None),  # a burst with an unscored frame...
        _frame("u2", 5.3, _near(a, 5), 0.2),
    ]
    bursts = group_bursts(frames)
    assert _groups(bursts) == [("t1",), ("t2",), ("u1", "u2"), ("t3",)]
    assert not bursts[2].complete and bursts[2].best == "u2"
    assert reject_all_but_best(bursts) == []  # ...is left alone: its best frame is not known


def test_duplicate_ids_are_an_error() -> None:
    with pytest.raises(ValueError, match="twice"):
        group_bursts([_frame("a", 0, None), _frame("a", 1, None)])


def test_bracket_is_one_group_and_never_rejected() -> None:
    scene = _scene(7)
    # An AEB bracket 0, -2, +2 EV: to CLIP the frames look different (dark, normal, bright)...
    dark, bright = _scene(8), _scene(9)
    frames = [
        _frame("e0", 0.0, scene, 0.60, 0.0),
        _frame("e-2", 0.4, dark, 0.20, -2.0),
        _frame("e+2", 0.8, bright, 0.30, 2.0),
    ]
    assert cosine_similarity(scene, dark) < 0.9
    assert bracket_sets(frames) == [("e0", "e-2", "e+2")]
    bursts = group_bursts(frames)
    assert _groups(bursts) == [("e0", "e-2", "e+2")]  # ...yet the bracket is one group
    assert bursts[0].is_bracket and bursts[0].best == "e0"
    assert reject_all_but_best(bursts) == []  # the dark and bright frames are not rejected
    assert bracketed_ids(frames) == {"e0", "e-2", "e+2"}  # for the flag policy


def test_bracket_inside_a_burst_is_protected_but_burst_frames_are_not() -> None:
    s = _scene(3)
    frames = [
        _frame("a", 0.0, _near(s, 1), 0.50, 0.0),
        _frame("b", 0.2, _near(s, 2), 0.80, 0.0),  # best
        _frame("c", 0.4, _near(s, 3), 0.40, 0.0),
        # two back-to-back brackets -1/0/+1, similar enough to join the burst
        _frame("k1", 0.6, _near(s, 4), 0.30, -1.0),
        _frame("k2", 0.8, _near(s, 5), 0.45, 0.0),
        _frame("k3", 1.0, _near(s, 6), 0.35, 1.0),
        _frame("k4", 1.2, _near(s, 7), 0.30, -1.0),
        _frame("k5", 1.4, _near(s, 8), 0.44, 0.0),
        _frame("k6", 1.6, _near(s, 9), 0.36, 1.0),
    ]
    # "c" (0 EV) then "k1" (-1 EV) is where the bias starts changing: c is protected too (a false
    # bracket only ever protects); back-to-back brackets are one bracketed stretch.
    assert bracket_sets(frames) == [("c", "k1", "k2", "k3", "k4", "k5", "k6")]
    bursts = group_bursts(frames)
    assert len(bursts) == 1 and bursts[0].best == "b"
    rejected = {d.photo_id for d in reject_all_but_best(bursts)}
    assert rejected == {"a"}  # every bracketed frame survives


def test_bracket_detection_rules() -> None:
    frames = [_frame(f"f{i}", i * 0.3, None, 0.5, b) for i, b in enumerate([0, -1 / 3, 1 / 3, 1 / 3, -1 / 3])]
    assert bracket_sets(frames) == [("f0", "f1", "f2"), ("f3", "f4")]  # a repeated bias ends a stretch
    constant = [_frame(f"c{i}", i * 0.3, None, 0.5, 0.7) for i in range(4)]
    assert bracket_sets(constant) == []  # a plain burst at +0.7 EV is no bracket
    unknown = [_frame(f"u{i}", i * 0.3, None, 0.5, None) for i in range(3)]
    assert bracket_sets(unknown) == []
    far = [_frame("x", 0, None, 0.5, 0.0), _frame("y", 30, None, 0.5, -1.0)]
    assert bracket_sets(far) == []  # not within the gap


def test_locked_frames_and_pick_best() -> None:
    s = _scene(4)
    frames = [_frame(p, i * 0.1, _near(s, i), f) for i, (p, f) in enumerate([("a", 0.1), ("b", 0.9), ("c", 0.2)])]
    bursts = group_bursts(frames)
    out = reject_all_but_best(bursts, locked={"a"}, pick_best=True)
    assert sorted((d.photo_id, d.verdict) for d in out) == [("b", "pick"), ("c", "reject")]
    assert all(d.burst_size == 3 for d in out)


def test_capture_time_forms() -> None:
    aware = datetime(2025, 6, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    assert Frame("a", aware).seconds == Frame("b", "2025-06-01T10:00:00+00:00").seconds
    assert Frame("c", 12.5).seconds == 12.5
    assert Frame("d", "not a time").seconds is None
    assert Frame("e", None).seconds is None


def test_a_frame_with_a_disqualifying_reason_never_wins_over_one_without() -> None:
    scene = _scene(7)
    # the 5-frame burst: sharp, blurred, noisy, dark, +60 % bright (the bright one scores highest)
    reasons = {"sharp": (), "blurred": ("blurry",), "noisy": ("noisy",), "dark": ("too-dark",),
               "bright": ("too-bright",)}
    fused = {"sharp": 0.60, "blurred": 0.55, "noisy": 0.50, "dark": 0.40, "bright": 0.72}
    frames = [Frame(pid, T0 + timedelta(seconds=0.2 * i), _near(scene, i), fused[pid], 0.0, reasons[pid])
              for i, pid in enumerate(reasons)]
    (burst,) = group_bursts(frames)
    assert burst.best == "sharp"
    decisions = {d.photo_id: d for d in reject_all_but_best([burst], pick_best=True)}
    assert decisions["sharp"].verdict == "pick" and decisions["bright"].verdict == "reject"
    # noise does not disqualify: a noisy frame with the top score still wins
    noisy_top = [Frame(f.photo_id, f.capture_time, f.embedding, 0.9 if f.photo_id == "noisy" else f.fused, 0.0,
                       f.reasons) for f in frames]
    assert group_bursts(noisy_top)[0].best == "noisy"
    # every frame disqualified: the highest score wins
    all_bad = [Frame(f.photo_id, f.capture_time, f.embedding, f.fused, 0.0, ("blurry",)) for f in frames]
    assert group_bursts(all_bad)[0].best == "bright"
