"""The scoring engine the settings describe: the exact one, and triage's quick one sharing its model.

Every part of curator that needs an engine (scan, watch, search, keywords, the gallery's on-demand
work) loads it here, so the settings map to an engine in one place. torch is imported only when
an engine is actually built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from curator.settings import Settings

if TYPE_CHECKING:
    from iqa_engine import Engine


def load_engine(settings: Settings) -> Engine:
    from iqa_engine import Engine

    return Engine(settings.engine_config())


def load_provisional_engine(settings: Settings, engine: Engine, *, forced: bool = False) -> Engine | None:
    """Triage's quick engine (curator.rules.triage): the same weights and options on the `global` protocol,
    sharing the exact engine's model; None when triage is off (`[watch] triage_over` < 0 and no
    --triage) or the exact engine is already that quick (the global protocol, or QualiCLIP, whose one
    view is the whole photo whatever the protocol)."""
    from iqa_engine import Engine

    from curator.rules.triage import PROVISIONAL_PROTOCOL

    if (settings.triage_over < 0 and not forced) or engine.config.protocol == PROVISIONAL_PROTOCOL:
        return None
    if engine.config.method == "qualiclip":
        return None
    # The score only: the exact pass measures the photo and embeds it anyway. On the one-view protocol the
    # standard embedding alone doubled the quick pass (bench/speed.py, 2026-12-02), and the reasons'
    # measurements added a quarter.
    quick = engine.config.replace(protocol=PROVISIONAL_PROTOCOL, trunk="windows", reasons=False,
                                  clip_embedding=False)
    return Engine(quick, backbone=engine.backbone)
