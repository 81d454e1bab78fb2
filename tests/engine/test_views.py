"""Window layouts of the koniq, spaq and global protocols."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from iqa_engine import views as V
from iqa_engine.errors import ImageDecodeError


def _views_for(width: int, height: int, protocol: str = "koniq") -> V.PreparedPhoto:
    image = Image.new("RGB", (width, height), (120, 80, 40))
    return V.prepare(image, (width, height), protocol)


@pytest.mark.parametrize(
    ("size", "protocol", "windows", "scored"),
    [
        ((1024, 768), "koniq", 35, (1024, 768)),
        ((480, 360), "koniq", 6, (480, 360)),
        ((448, 448), "koniq", 4, (448, 448)),
        ((200, 150), "koniq", 1, (299, 224)),  # upscaled so the short side is 224
        ((4000, 3000), "koniq", 35, (1024, 768)),  # capped to a 1024 long side
        ((3000, 4000), "koniq", 35, (768, 1024)),
        ((1, 1), "koniq", 1, (224, 224)),
        ((6000, 4000), "spaq", 4, (448, 448)),
        ((1024, 768), "global", 0, (1024, 768)),
    ],
)
def test_window_counts(size, protocol, windows, scored) -> None:
    photo = _views_for(*size, protocol)
    assert len(photo.boxes) == windows
    assert photo.n_views == windows + 1
    assert photo.size == scored
    assert V.window_views(photo).shape == (windows + 1, 3, 224, 224)


def test_windows_follow_unfold_semantics() -> None:
    torch.manual_seed(0)
    t = torch.randn(3, 360, 480)
    photo = V.PreparedPhoto(tensor=t, boxes=V.window_boxes(480, 360, "koniq"), protocol="koniq")
    ours = V.window_views(photo)[:-1]
    unfolded = F.unfold(t.unsqueeze(0), kernel_size=224, stride=128)  # (1, 3*224*224, L)
    theirs = unfolded.view(3, 224, 224, -1).permute(3, 0, 1, 2)
    assert torch.equal(ours, theirs)
    assert photo.boxes[0] == (0, 0, 224, 224)
    assert photo.boxes[1] == (128, 0, 352, 224)


def test_global_view_is_bilinear_without_antialias() -> None:
    torch.manual_seed(1)
    t = torch.randn(3, 768, 1024)
    photo = V.PreparedPhoto(tensor=t, boxes=(), protocol="global")
    expected = F.interpolate(t[None], size=(224, 224), mode="bilinear", align_corners=False, antialias=False)[0]
    assert torch.equal(V.window_views(photo)[-1], expected)


def test_normalisation_matches_to_tensor_then_clip_mean_std() -> None:
    image = Image.new("RGB", (224, 224), (255, 0, 128))
    t = V.to_normalised_tensor(image)
    for c, value in enumerate((255, 0, 128)):
        expected = (value / 255.0 - V.OPENAI_CLIP_MEAN[c]) / V.OPENAI_CLIP_STD[c]
        assert t[c, 0, 0].item() == pytest.approx(expected, abs=1e-6)


def test_photos_at_or_under_1024_are_not_resized() -> None:
    image = Image.effect_noise((1024, 700), 40).convert("RGB")
    photo = V.prepare(image, image.size, "koniq")
    assert torch.equal(photo.tensor, V.to_normalised_tensor(image))


def test_extreme_strip_is_refused_with_a_reason() -> None:
    with pytest.raises(ImageDecodeError, match="aspect ratio"):
        V.scoring_size(20000, 20, "koniq")
