"""Helpers the gallery tests share by name (fixtures live in conftest.py)."""

from __future__ import annotations

from pathlib import Path


def stored_decision(db: Path, photo_id: int) -> tuple[str | None, str | None]:
    """(flag, whose) as the catalog file holds it: what a decision key really saved."""
    from curator.catalog import Catalog

    with Catalog.open(db, readonly=True) as cat:
        row = cat.photo_detail(photo_id).row
    return row.flag, row.flag_source
