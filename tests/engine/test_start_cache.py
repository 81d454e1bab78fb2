"""A later start reuses the weights' SHA-256 and the prompts' text features, and the scores do not move."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from iqa_engine import Engine
from iqa_engine import start_cache
from iqa_engine.backbone import skip_random_init
from iqa_engine.weights import read_weights_file, sha256_of


@pytest.fixture()
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "xdg-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(root))
    return root / "curator"


def test_second_engine_reads_the_text_features_back_and_scores_identically(tiny_model, own_cache, photo_dir,
                                                                          monkeypatch):
    import open_clip

    first = Engine(tiny_model.engine_config())
    stored = sorted((own_cache / "text-features").glob("*.pt"))
    assert len(stored) == 2  # MA-CLIP's antonym prompts, and the dimensions' prompts

    def no_text_pass(*args, **kwargs):
        raise AssertionError("the second start ran the text tower")

    with monkeypatch.context() as mp:
        mp.setattr(open_clip.model.CLIP, "encode_text", no_text_pass)
        second = Engine(tiny_model.engine_config())
    assert torch.equal(second._text_features, first._text_features)
    assert torch.equal(second._dimension_text, first._dimension_text)
    photo = next(iter(sorted(photo_dir.glob("*.jpg"))))
    assert second.score_path(photo).fused == first.score_path(photo).fused
    # what was read back is what a fresh text-tower pass gives, bit for bit
    fresh = first.backbone.model.encode_text(first.backbone.tokenizer([t for pair in first.config.prompt_pairs for t in pair])).float()
    assert torch.equal(fresh, first._text_features)


def test_other_prompts_are_computed_not_read(tiny_model, own_cache):
    base = Engine(tiny_model.engine_config())
    other = Engine(tiny_model.engine_config(prompt_pairs=(("Sharp photo.", "Blurry photo."),)))
    assert not torch.equal(base._text_features, other._text_features)
    assert len(list((own_cache / "text-features").glob("*.pt"))) == 3


def test_a_damaged_cached_tensor_is_computed_again(tiny_model, own_cache):
    reference = Engine(tiny_model.engine_config())._text_features
    for f in (own_cache / "text-features").glob("*.pt"):
        f.write_bytes(b"not a tensor")
    again = Engine(tiny_model.engine_config())._text_features
    assert torch.equal(again, reference)
    assert all(torch.load(f, weights_only=True).ndim == 2 for f in (own_cache / "text-features").glob("*.pt"))


def test_an_unwritable_cache_never_fails_a_start(tiny_model, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # every cache folder below a file: mkdir fails
    engine = Engine(tiny_model.engine_config())
    assert engine._text_features.ndim == 2


def test_file_hash_is_reused_until_the_file_changes(tmp_path, own_cache):
    path = tmp_path / "weights.bin"
    path.write_bytes(b"a" * 1000)
    computed = []

    def counting(p: Path) -> str:
        computed.append(p)
        return sha256_of(p)

    first = start_cache.file_sha256(path, counting)
    assert start_cache.file_sha256(path, counting) == first and len(computed) == 1
    path.write_bytes(b"b" * 1000)  # same size, new content: the modification time moves
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    second = start_cache.file_sha256(path, counting)
    assert second == sha256_of(path) != first and len(computed) == 2


def test_weights_identity_is_the_real_hash(tiny_model, own_cache):
    # twice: the second read comes from the cache, and must still be the file's true SHA-256
    for _ in range(2):
        assert read_weights_file(tiny_model.weights_path).sha256 == sha256_of(tiny_model.weights_path)


def test_skip_random_init_restores_the_initialisers_even_on_error():
    before = torch.nn.init.normal_
    with pytest.raises(RuntimeError), skip_random_init():
        assert torch.nn.init.normal_ is not before
        raise RuntimeError("boom")
    assert torch.nn.init.normal_ is before
    layer = torch.nn.Linear(4, 4)
    assert layer.weight.abs().sum() > 0  # random init works again afterwards
