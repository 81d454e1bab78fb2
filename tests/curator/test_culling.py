"""curator.actions.culling on a real catalog file: keep-best for a folder or one burst (each one transaction),
the flag policy through the catalog's primitives, and the one definition of a weak photo."""

from __future__ import annotations

import numpy as np
import pytest

from curator.actions import culling
from curator.actions.culling import CullingRules
from curator.catalog import Catalog, FileStat, Outcome, ScoreRecord, ViewRecord
from curator.disk.exif import ExifData


def score(fused: float, embedding: np.ndarray) -> ScoreRecord:
    view = ViewRecord(None, fused, 0.5, 1.0, 0.4, 0.6)
    return ScoreRecord("fp", fused, fused, 0.5, 1.0, 0.4, 0.6, "fused", "koniq", "tiny", (300, 224), (600, 448),
                       (view,), embedding.astype(np.float32))


def add_frame(cat: Catalog, path: str, fused: float, when: str, look: int) -> int:
    st = FileStat(100, 1)
    pid = cat.upsert_photo(path, st)
    emb = np.zeros(8)
    emb[look] = 1.0  # frames with the same `look` are alike (cosine 1), others are not (cosine 0)
    [rec] = cat.record_outcomes([Outcome(pid, "scored", st, stat=st, score=score(fused, emb),
                                         exif=ExifData(capture_time=when, exposure_bias=0.0))])
    assert rec.recorded
    return pid


@pytest.fixture()
def two_bursts(tmp_path):
    """/s: burst A (3 frames, best a2), burst B (2 frames, best b1), one frame alone."""
    with Catalog.open(tmp_path / "catalog.db") as cat:
        ids = {
            "a1": add_frame(cat, "/s/a1.jpg", 0.40, "2024-05-01T10:00:00.0", 0),
            "a2": add_frame(cat, "/s/a2.jpg", 0.70, "2024-05-01T10:00:00.5", 0),
            "a3": add_frame(cat, "/s/a3.jpg", 0.50, "2024-05-01T10:00:01.0", 0),
            "b1": add_frame(cat, "/s/b1.jpg", 0.60, "2024-05-01T11:00:00.0", 1),
            "b2": add_frame(cat, "/s/b2.jpg", 0.30, "2024-05-01T11:00:00.5", 1),
            "c1": add_frame(cat, "/s/c1.jpg", 0.10, "2024-05-01T12:00:00.0", 2),
        }
        yield cat, ids


def flags(cat: Catalog) -> dict[str, str | None]:
    return {r.name.split(".")[0]: r.flag for r in cat.gallery_rows()}


def test_one_burst_rejects_only_that_burst(two_bursts):
    cat, ids = two_bursts
    result = culling.reject_all_but_best(cat, photo_id=ids["a1"])
    assert sorted(result.rejected) == sorted([ids["a1"], ids["a3"]]) and result.bursts == 1
    assert flags(cat) == {"a1": "reject", "a2": None, "a3": "reject", "b1": None, "b2": None, "c1": None}
    assert {r.flag_source for r in cat.rows_by_id(result.rejected)} == {"user"}  # the user asked for it
    assert culling.reject_all_but_best(cat, photo_id=ids["c1"]).note == "not part of a burst"


def test_a_folder_in_one_go_and_a_dry_run_writes_nothing(two_bursts):
    cat, ids = two_bursts
    cat.set_decision(ids["a3"], rating=3)  # a frame the user decided on is never rejected
    dry = culling.reject_all_but_best(cat, ["/s"], dry_run=True)
    assert sorted(dry.rejected) == sorted([ids["a1"], ids["b2"]]) and dry.bursts == 2
    assert set(flags(cat).values()) == {None}
    done = culling.reject_all_but_best(cat, ["/s"])
    assert done.rejected == dry.rejected and flags(cat)["b2"] == "reject"


def test_keep_best_is_one_transaction(two_bursts, monkeypatch):
    """A failure half way through leaves no frame rejected (the gallery once wrote one transaction per frame)."""
    import curator.catalog.decisions as decisions

    cat, ids = two_bursts
    real = decisions.apply_decision
    calls = []

    def fail_on_second(*args, **kwargs):
        calls.append(args[1])
        if len(calls) == 2:
            raise RuntimeError("disk unplugged")
        return real(*args, **kwargs)

    monkeypatch.setattr(decisions, "apply_decision", fail_on_second)
    with pytest.raises(RuntimeError):
        culling.reject_all_but_best(cat, photo_id=ids["a2"])
    assert len(calls) == 2 and set(flags(cat).values()) == {None}


def test_recompute_flags_and_the_one_meaning_of_weak(two_bursts):
    cat, ids = two_bursts
    assert culling.recompute_flags(cat, CullingRules(None, 34.0)) == 2  # floor(6 * 0.34) = 2: c1 and b2
    cat.set_decision(ids["a1"], flag="reject")  # rejected by the user, but not weak
    weak = {r.photo_id for r in cat.gallery_rows() if culling.is_weak(r)}
    assert weak == {ids["c1"], ids["b2"]}
    assert {r.photo_id for r in cat.query_rows(weak=True)} == weak  # `list --flagged` agrees
    assert culling.recompute_flags(cat, CullingRules(None, 34.0), folders=[]) == 0
