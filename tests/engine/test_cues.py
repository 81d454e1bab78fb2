"""The cue maths against values computed independently, by hand or with numpy, on small tensors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from iqa_engine.cues import box_cox, compute_cues, cosine_cue, fusion_weights, magnitude_cue


def test_box_cox_lambda_half_matches_closed_form() -> None:
    x = torch.tensor([0.0, 1.0, 3.0, 8.0], dtype=torch.float64)
    # ((x+1)^0.5 - 1) / 0.5
    expected = [0.0, 2 * (math.sqrt(2) - 1), 2.0, 4.0]
    assert box_cox(x, 0.5).tolist() == pytest.approx(expected, abs=1e-12)


def test_box_cox_lambda_zero_is_log1p() -> None:
    x = torch.tensor([0.0, 1.0, math.e - 1], dtype=torch.float64)
    assert box_cox(x, 0.0).tolist() == pytest.approx([0.0, math.log(2), 1.0], abs=1e-12)


def test_magnitude_cue_uses_unbiased_std_over_features() -> None:
    f = torch.tensor([[1.0, -2.0, 3.0, -4.0], [0.5, 0.5, -0.5, 2.5]], dtype=torch.float64)
    got = magnitude_cue(f, 0.5)
    for row, value in zip(f.numpy(), got.tolist(), strict=True):
        a = np.abs(row)
        a = a / (np.std(a, ddof=1) + 1e-6)  # ddof=1: unbiased
        b = (np.sqrt(a + 1) - 1) / 0.5
        assert value == pytest.approx(b.mean(), abs=1e-12)
    # A population std (ddof=0) gives a different number: the test would catch the wrong one.
    a = np.abs(f[0].numpy())
    biased = ((np.sqrt(a / (np.std(a) + 1e-6) + 1) - 1) / 0.5).mean()
    assert abs(biased - got[0].item()) > 1e-3


def test_cosine_cue_softmax_within_each_pair() -> None:
    img = torch.tensor([[1.0, 0.0], [0.6, 0.8]], dtype=torch.float64)
    # two pairs: (e1, -e1) and (e2, e1)
    txt = torch.tensor([[2.0, 0.0], [-1.0, 0.0], [0.0, 3.0], [5.0, 0.0]], dtype=torch.float64)
    scale = torch.tensor(math.log(10.0), dtype=torch.float64)  # exp -> 10
    got = cosine_cue(img, txt, scale).tolist()

    def pair_prob(cpos: float, cneg: float) -> float:
        return math.exp(10 * cpos) / (math.exp(10 * cpos) + math.exp(10 * cneg))

    # view 0 = e1: cos with (e1, -e1, e2, e1) = (1, -1, 0, 1)
    v0 = (pair_prob(1, -1) + pair_prob(0, 1)) / 2
    # view 1 = (0.6, 0.8): cos = (0.6, -0.6, 0.8, 0.6)
    v1 = (pair_prob(0.6, -0.6) + pair_prob(0.8, 0.6)) / 2
    assert got == pytest.approx([v0, v1], abs=1e-12)


def test_fusion_weights_follow_the_paper() -> None:
    cos = torch.tensor([0.7, 0.2], dtype=torch.float64)
    mag = torch.tensor([1.1, 0.1], dtype=torch.float64)
    w_cos, w_mag = fusion_weights(cos, mag, base_cosine=1.0, base_magnitude=0.6, alpha=1.0)
    for c, m, wc, wm in zip(cos.tolist(), mag.tolist(), w_cos.tolist(), w_mag.tolist(), strict=True):
        d = c - m
        ec, em = math.exp(1.0 + d), math.exp(0.6 - d)
        assert wc == pytest.approx(ec / (ec + em), abs=1e-12)
        assert wm == pytest.approx(em / (ec + em), abs=1e-12)
        assert wc + wm == pytest.approx(1.0, abs=1e-12)


def test_fusion_weights_respect_alpha_and_bases() -> None:
    cos, mag = torch.tensor([0.5]), torch.tensor([0.5])
    # d = 0: the weights are softmax of the bases alone, whatever alpha is
    w_cos, _ = fusion_weights(cos, mag, base_cosine=2.0, base_magnitude=0.0, alpha=5.0)
    assert w_cos.item() == pytest.approx(math.exp(2) / (math.exp(2) + 1), abs=1e-6)


def test_compute_cues_fused_is_the_weighted_sum() -> None:
    torch.manual_seed(3)
    f = torch.randn(4, 16)
    t = torch.randn(10, 16)
    cues = compute_cues(f, t, torch.tensor(2.0))
    expected = cues.w_cosine * cues.cosine + cues.w_magnitude * cues.magnitude
    assert torch.allclose(cues.fused, expected)
    assert ((cues.cosine > 0) & (cues.cosine < 1)).all()
