"""Fixtures for the catalog, watch and worker tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from catalog_support import remove_deep


@pytest.fixture()
def deep_roots():
    """Folders to clean with remove_deep at the end of the test."""
    roots: list[Path] = []
    yield roots
    for root in roots:
        if root.exists():
            remove_deep(root)
