"""The one settings object: defaults, then the TOML settings file, then the environment, then flags.

The settings file is `settings.toml` in the user config directory
(platformdirs), e.g. ~/.config/curator/settings.toml on Linux. Every key is
optional; unknown keys are an error so a typo is never silently ignored:

    [engine]
    preset = "exact"        # or "fast"
    model = "RN50"
    pretrained = "openai"
    protocol = "koniq"
    precision = "fp32"

    [catalog]
    db = "~/Pictures/curator.db"

    [watch]
    settle_seconds = 2.0

    [flags]
    bottom_percent = 15
    threshold = 0.5

    [xmp]
    naming = "adobe"
    map = "reject=-1:Red,pick=4:Green"

    [bursts]
    gap_seconds = 2.0
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping

import platformdirs

from iqa_engine.config import EngineConfig

APP_NAME = "curator"
SETTINGS_FILE_NAME = "settings.toml"
DB_FILE_NAME = "catalog.db"


class SettingsError(Exception):
    """A bad settings file or value; the message is one line."""


def user_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME))


def user_config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME))


def user_cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir(APP_NAME))


def default_settings_path() -> Path:
    return Path(os.environ.get("CURATOR_SETTINGS") or user_config_dir() / SETTINGS_FILE_NAME)


@dataclass(frozen=True)
class Settings:
    # [engine] -> iqa_engine.EngineConfig
    # "exact": the paper's computation (fp32, every window through the whole network).
    # "fast": the ResNet trunk once per photo (trunk "shared") and the reduced precision the
    # hardware runs faster (precision "auto"); see README, Performance.
    preset: str = "exact"
    model: str = "RN50"
    pretrained: str | None = "openai"
    weights: str | None = None
    device: str = "auto"
    protocol: str = "koniq"
    mode: str = "fused"
    precision: str = "fp32"
    trunk: str = "windows"
    batch_views: int = 72
    decode_workers: int = 2
    # [catalog]
    db: str = ""  # "" means <user data dir>/catalog.db
    # [watch]
    settle_seconds: float = 2.0
    poll_interval_seconds: float = 0.1
    scan_batch: int = 8  # photos per scoring batch in scan/watch
    # [flags]
    bottom_percent: float = 15.0
    threshold: float | None = None
    # [xmp]
    xmp_naming: str = "adobe"  # "adobe" (IMG_0001.xmp) or "darktable" (IMG_0001.CR2.xmp)
    xmp_write_score: bool = False
    xmp_map: str = ""  # verdict mapping, "VERDICT=RATING[:LABEL],..." (curator.xmp.parse_mapping); "" = defaults
    # [bursts]
    burst_gap_seconds: float = 2.0
    burst_similarity: float = 0.9
    # where each value came from: "default", the settings file, "env CURATOR_DB" or "flag"
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)

    @property
    def db_path(self) -> Path:
        return Path(self.db).expanduser() if self.db else user_data_dir() / DB_FILE_NAME

    def engine_config(self) -> EngineConfig:
        precision, trunk = self.precision, self.trunk
        if self.preset == "fast":  # the preset fills in what was not set explicitly
            if "precision" not in self.sources:
                precision = "auto"
            if "trunk" not in self.sources:
                trunk = "shared"
        try:
            return EngineConfig(model=self.model, pretrained=self.pretrained, weights=self.weights,
                                device=self.device, protocol=self.protocol, mode=self.mode,
                                precision=precision, trunk=trunk, batch_views=self.batch_views,
                                decode_workers=self.decode_workers)
        except ValueError as exc:
            raise SettingsError(str(exc)) from None

    def with_overrides(self, source: str, **values: Any) -> "Settings":
        """New settings with the given non-None values, recording where they came from."""
        changes = {k: v for k, v in values.items() if v is not None}
        unknown = set(changes) - _FIELD_NAMES
        if unknown:
            raise SettingsError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        sources = dict(self.sources)
        sources.update({k: source for k in changes})
        return dataclasses.replace(self, **changes, sources=sources)

    def effective(self) -> list[tuple[str, Any, str]]:
        """(name, value, source) for every setting, for `curator config show`."""
        return [(f.name, getattr(self, f.name), self.sources.get(f.name, "default"))
                for f in fields(self) if f.name != "sources"]


_FIELD_NAMES = {f.name for f in fields(Settings)} - {"sources"}

# TOML table/key -> Settings field
_TOML_KEYS: dict[tuple[str, str], str] = {
    **{("engine", k): k for k in ("preset", "model", "pretrained", "weights", "device", "protocol", "mode",
                                  "precision", "trunk", "batch_views", "decode_workers")},
    ("catalog", "db"): "db",
    ("watch", "settle_seconds"): "settle_seconds",
    ("watch", "poll_interval_seconds"): "poll_interval_seconds",
    ("watch", "scan_batch"): "scan_batch",
    ("flags", "bottom_percent"): "bottom_percent",
    ("flags", "threshold"): "threshold",
    ("xmp", "naming"): "xmp_naming",
    ("xmp", "write_score"): "xmp_write_score",
    ("xmp", "map"): "xmp_map",
    ("bursts", "gap_seconds"): "burst_gap_seconds",
    ("bursts", "similarity"): "burst_similarity",
}


def load_settings(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Defaults <- settings file (if present) <- CURATOR_DB. Flags are applied by the caller."""
    env = os.environ if environ is None else environ
    settings = Settings()
    file_path = path or default_settings_path()
    if file_path.is_file():
        settings = settings.with_overrides(str(file_path), **_read_toml(file_path))
    if env.get("CURATOR_DB"):
        settings = settings.with_overrides("env CURATOR_DB", db=env["CURATOR_DB"])
    _validate(settings)
    return settings


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"cannot read settings file {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"settings file {path} is not valid TOML: {exc}") from None
    values: dict[str, Any] = {}
    for table, entries in data.items():
        if not isinstance(entries, dict):
            raise SettingsError(f"settings file {path}: top-level key {table!r} must be a [table]")
        for key, value in entries.items():
            name = _TOML_KEYS.get((table, key))
            if name is None:
                raise SettingsError(f"settings file {path}: unknown key [{table}] {key}")
            values[name] = value
    return values


def _validate(settings: Settings) -> None:
    if settings.preset not in ("exact", "fast"):
        raise SettingsError(f"unknown preset {settings.preset!r}; choose exact or fast")
    settings.engine_config()  # raises SettingsError on a bad engine option
    if settings.settle_seconds < 0:
        raise SettingsError("settle_seconds must be >= 0")
    if not 0 <= settings.bottom_percent <= 100:
        raise SettingsError("bottom_percent must be between 0 and 100")
    if settings.xmp_naming not in ("adobe", "darktable"):
        raise SettingsError("xmp naming must be 'adobe' or 'darktable'")
    if settings.burst_gap_seconds < 0:
        raise SettingsError("burst gap must be >= 0 seconds")
    if not isinstance(settings.xmp_map, str):
        raise SettingsError("[xmp] map must be a string such as \"reject=-1:Red,keep=3\"")
    if settings.xmp_map.strip():
        from curator.errors import UserError
        from curator.xmp import parse_mapping

        try:
            parse_mapping(settings.xmp_map)
        except UserError as exc:
            raise SettingsError(f"[xmp] map: {exc}") from None
