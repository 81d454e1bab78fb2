"""bench tags: the labels file, and precision/recall at k against hand-counted cases.

The figures on the tiny model's random weights mean nothing about keyword quality; the test
proves the counting on a synthetic labelled set, with hand-built text features."""

from __future__ import annotations

import numpy as np
import pytest
from iqa_engine.testing import sample_photos, write_jpeg

from curator.benchmarks.tags import LabelsError, evaluate, format_report, read_labels
from iqa_engine.keywords import KeywordRule, TermFeatures


def _features() -> TermFeatures:
    return TermFeatures("v", "c", ("Dog", "cat", "car"), np.eye(3, dtype=np.float32),
                        np.full(3, 1 / np.sqrt(3), np.float32), 10.0)


def test_precision_and_recall_at_k_by_hand() -> None:
    emb = np.asarray([[0.8, 0.6, 0.0],   # ranks dog, cat, car
                      [0.0, 0.6, 0.8]], np.float32)  # ranks car, cat, dog
    labels = [frozenset({"dog", "cat"}), frozenset({"dog", "horse"})]
    r = evaluate(emb, labels, _features(), KeywordRule(top_k=2, threshold=0.1, margin=-1.0), ks=(1, 2, 3))
    at = {a.k: a for a in r.ranked}
    assert at[1].precision == pytest.approx((1 + 0) / 2) and at[1].recall == pytest.approx((0.5 + 0) / 2)
    assert at[2].precision == pytest.approx((1.0 + 0) / 2) and at[2].recall == pytest.approx((1.0 + 0) / 2)
    assert at[3].precision == pytest.approx((2 / 3 + 1 / 3) / 2) and at[3].recall == pytest.approx((1.0 + 0.5) / 2)
    # the rule: photo 1 gets dog (0.88) and cat (0.12); photo 2 gets car (0.88) and cat (0.12)
    assert r.tagged == 2
    assert r.rule_precision == pytest.approx((1.0 + 0.0) / 2) and r.rule_recall == pytest.approx((1.0 + 0.0) / 2)
    assert r.unknown_labels == ("horse",)
    text = format_report(r, KeywordRule(top_k=2, threshold=0.1, margin=-1.0))
    assert "top 1" in text and "horse" in text and "2 of 2 tagged" in text


def test_labels_file_rows_and_semicolons(tmp_path) -> None:
    f = tmp_path / "labels.csv"
    f.write_text("path,label\na.jpg,Dog\na.jpg,cat\nsub/b.jpg,car; Beach\n,skipped\n")
    got = read_labels(f)
    assert list(got) == [tmp_path / "a.jpg", tmp_path / "sub" / "b.jpg"]
    assert got[tmp_path / "a.jpg"] == {"dog", "cat"} and got[tmp_path / "sub" / "b.jpg"] == {"car", "beach"}
    assert next(iter(read_labels(f, root=tmp_path / "x"))) == tmp_path / "x" / "a.jpg"


@pytest.mark.parametrize("content, message", [("", "empty"), ("file,what\na,b\n", "header"), ("path,label\n", "no rows")])
def test_bad_labels_files_are_one_line_errors(tmp_path, content: str, message: str) -> None:
    f = tmp_path / "labels.csv"
    f.write_text(content)
    with pytest.raises(LabelsError, match=message):
        read_labels(f)
    with pytest.raises(LabelsError, match="cannot read"):
        read_labels(tmp_path / "missing.csv")


def test_bench_tags_end_to_end_on_a_synthetic_labelled_set(tmp_path, tiny_model, monkeypatch, capsys) -> None:
    """The command on real photos with the tiny model: the report's shape and counts (random weights:
    the figures themselves mean nothing)."""
    import json

    from curator.cli import main

    monkeypatch.setenv("CURATOR_SETTINGS", str(tmp_path / "none.toml"))
    labels = {"chelsea": "cat", "coffee": "coffee;food", "motorcycle": "motorcycle", "astronaut": "portrait",
              "rocket": "rocket launch"}
    rows = ["path,label"]
    for name, arr in sample_photos().items():
        write_jpeg(tmp_path / "set" / f"{name}.jpg", arr)
        rows += [f"set/{name}.jpg,{label}" for label in labels[name].split(";")]
    rows.append("set/missing.jpg,dog")
    csv_path = tmp_path / "labels.csv"
    csv_path.write_text("\n".join(rows) + "\n")
    code = main(["bench", "tags", "--labels", str(csv_path), "--json", "-", "--k", "1,5", *tiny_model.cli_args()])
    out, err = capsys.readouterr()
    assert code == 1  # one listed photo is missing
    report = json.loads(out)
    assert report["photos"] == 5 and report["failed"] == 1 and [a["k"] for a in report["ranked"]] == [1, 5]
    assert report["unknown_labels"] == ["rocket launch"]
    assert all(0.0 <= a["precision"] <= 1.0 and 0.0 <= a["recall"] <= 1.0 for a in report["ranked"])
    assert "missing.jpg" in err and "top 1" in err
