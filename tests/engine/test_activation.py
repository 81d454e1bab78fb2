"""The activation `auto` picks comes from open_clip's pretrained registry, and enters the fingerprint
only where the weights' identity does not already name it."""

from __future__ import annotations

import pytest

from iqa_engine import EngineConfig, fingerprint
from iqa_engine.activation import choose_activation, tags_quick_gelu


def test_registry_says_every_rn50_tag_uses_quickgelu() -> None:
    tags = tags_quick_gelu("RN50")
    assert "openai" in tags and all(tags.values())


def test_plain_rn50_file_is_built_with_quickgelu() -> None:
    chosen = choose_activation("auto", "RN50", pretrained_tag=None, openai_layout=False)
    assert chosen.quick_gelu and "every open_clip pretrained tag of RN50" in chosen.reason
    assert not chosen.implied_by_weights  # a file's sha256 says nothing of how it is built


def test_file_of_an_architecture_whose_tags_differ_keeps_gelu() -> None:
    assert not all(tags_quick_gelu("ViT-B-32").values())
    chosen = choose_activation("auto", "ViT-B-32", pretrained_tag=None)
    assert chosen.name == "gelu" and "--activation quickgelu" in chosen.reason
    assert choose_activation("auto", "ViT-B-32", pretrained_tag=None, openai_layout=True).quick_gelu


def test_pretrained_tag_follows_the_registry_and_names_it() -> None:
    openai = choose_activation("auto", "ViT-B-32", pretrained_tag="openai")
    assert openai.quick_gelu and openai.implied_by_weights
    laion = choose_activation("auto", "ViT-B-32", pretrained_tag="laion2b_s34b_b79k")
    assert laion.name == "gelu" and laion.implied_by_weights
    forced = choose_activation("gelu", "RN50", pretrained_tag="openai")
    assert forced.name == "gelu" and not forced.implied_by_weights and "auto would pick quickgelu" in forced.reason


def test_fingerprint_of_a_pretrained_tag_is_unchanged_by_the_activation_option() -> None:
    config = EngineConfig()
    assert fingerprint(config, "RN50/openai") == fingerprint(config.replace(activation="quickgelu"), "RN50/openai")
    assert fingerprint(config, "RN50/openai") != fingerprint(config, "RN50/openai", "gelu")


def test_unknown_activation_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown activation"):
        EngineConfig(activation="relu")
