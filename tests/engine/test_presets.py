"""The exact and fast presets, and precision "auto" resolved by the engine before fingerprinting."""

from __future__ import annotations

from pathlib import Path

import pytest

from curator.settings import Settings, load_settings
from iqa_engine import Engine
from iqa_engine.hardware import NATIVE_BF16_FLAGS, cpu_model_and_flags, fast_precision


def test_exact_is_the_default_and_the_papers_computation() -> None:
    config = Settings().engine_config()
    assert (config.precision, config.trunk, config.protocol) == ("fp32", "windows", "koniq")


def test_fast_preset_fills_in_only_what_was_not_set() -> None:
    fast = Settings().with_overrides("flag", preset="fast").engine_config()
    assert (fast.precision, fast.trunk) == ("auto", "shared")
    pinned = Settings().with_overrides("flag", preset="fast", precision="fp32").engine_config()
    assert (pinned.precision, pinned.trunk) == ("fp32", "shared")


def test_preset_from_the_settings_file(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text('[engine]\npreset = "fast"\n')
    settings = load_settings(path, environ={})
    assert settings.sources["preset"] == str(path)
    assert settings.engine_config().trunk == "shared"
    path.write_text('[engine]\npreset = "quick"\n')
    with pytest.raises(Exception, match="unknown preset"):
        load_settings(path, environ={})


def test_fast_precision_follows_the_hardware() -> None:
    assert fast_precision("cuda") == "fp16"
    native = bool(cpu_model_and_flags()[1] & NATIVE_BF16_FLAGS)
    assert fast_precision("cpu") == ("bf16" if native else "fp32")


def test_engine_resolves_auto_precision_before_fingerprinting(tiny_model) -> None:
    auto = Engine(tiny_model.engine_config(precision="auto", trunk="shared"))
    assert auto.config.precision == fast_precision("cpu")
    explicit = Engine(tiny_model.engine_config(precision=fast_precision("cpu"), trunk="shared"))
    assert auto.fingerprint == explicit.fingerprint
    exact = Engine(tiny_model.engine_config())
    assert exact.fingerprint != auto.fingerprint
