"""Quality dimensions as data: named sets of antonym prompt pairs, scored zero-shot on the views.

The idea is BPCLIP's (arXiv 2506.17969): read quality along named dimensions
through adjective prompts. Its trained head and adjective list are not public;
here each dimension is scored zero-shot, exactly as MA-CLIP's cosine cue
(CLIP-IQA's antonym softmax) is, from the image features the engine already
computed for its views (see cues.dimension_values).

The defaults live in dimensions.toml beside this module. A table of the same
form (the settings file's [dimensions]) overrides them by name: a name given
replaces that dimension's pairs, a new name adds one, an empty list removes
one. Importing this module does not import torch.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

DEFAULTS_FILE = "dimensions.toml"


@dataclass(frozen=True)
class Dimension:
    """One quality dimension: a name and its (positive, negative) prompt pairs, positive first."""

    name: str
    pairs: tuple[tuple[str, str], ...]

    @property
    def prompts(self) -> list[str]:
        """The prompts in the order cosine_cue expects: pairs interleaved positive/negative."""
        return [text for pair in self.pairs for text in pair]


@lru_cache(maxsize=1)
def default_dimensions() -> tuple[Dimension, ...]:
    """The packaged defaults (dimensions.toml), in file order."""
    text = resources.files(__package__).joinpath(DEFAULTS_FILE).read_text(encoding="utf-8")
    return parse_dimensions(tomllib.loads(text), DEFAULTS_FILE)


def parse_dimensions(table: Mapping[str, object], source: str = "dimensions") -> tuple[Dimension, ...]:
    """{name: [[positive, negative], ...]} -> dimensions; raises ValueError with a one-line reason."""
    return tuple(d for d in (_parse_one(name, value, source) for name, value in table.items()) if d.pairs)


def with_overrides(base: tuple[Dimension, ...], table: Mapping[str, object],
                   source: str = "dimensions") -> tuple[Dimension, ...]:
    """base with the table applied: same name replaces, new name appends, empty list removes."""
    changes = {name: _parse_one(name, value, source) for name, value in table.items()}
    kept = [changes.pop(d.name, d) for d in base]
    return tuple(d for d in (*kept, *changes.values()) if d.pairs)


def dimensions_payload(dimensions: tuple[Dimension, ...]) -> list[list[object]]:
    """A JSON-ready form, for fingerprints."""
    return [[d.name, [list(p) for p in d.pairs]] for d in dimensions]


def short_hash(payload: object) -> str:
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def _parse_one(name: object, value: object, source: str) -> Dimension:
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{source}: a dimension needs a non-empty name")
    if not isinstance(value, list):
        raise ValueError(f"{source}: dimension {name!r} must be a list of [positive, negative] prompt pairs")
    pairs = []
    for pair in value:
        if (not isinstance(pair, list) or len(pair) != 2
                or not all(isinstance(t, str) and t.strip() for t in pair)):
            raise ValueError(f"{source}: dimension {name!r}: each entry must be a pair of non-empty prompts "
                             f"[\"positive\", \"negative\"], not {pair!r}")
        pairs.append((pair[0], pair[1]))
    return Dimension(name, tuple(pairs))
