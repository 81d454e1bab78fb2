"""The one settings object: defaults, then the TOML settings file, then the environment, then flags.

The settings file is `settings.toml` in the user config directory
(platformdirs), e.g. ~/.config/curator/settings.toml on Linux, or the file
CURATOR_SETTINGS names. Every key is optional, and every key belongs in a
table; an unknown key, or a key outside its table, is an error, so a typo is
never silently ignored. `curator config show` prints the effective settings
in this same format.

Every table and key is described once, in TABLE_HELP and KEY_HELP below; the
reference page docs/reference/settings.md is generated from them and from the
defaults themselves (docs/gen_reference.py).
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs

from curator.rules.reasons import ReasonRules
from iqa_engine.config import EngineConfig
from iqa_engine.dimensions import Dimension, default_dimensions, with_overrides

if TYPE_CHECKING:
    from iqa_engine.keywords import KeywordRule, Vocabulary

APP_NAME = "curator"
SETTINGS_FILE_NAME = "settings.toml"
DB_FILE_NAME = "catalog.db"


# The engine's defaults: Settings takes them from here rather than restating them.
_ENGINE = EngineConfig()
# The EngineConfig fields that the settings file's [engine] table and the engine flags set.
ENGINE_KEYS: tuple[str, ...] = ("method", "model", "pretrained", "weights", "activation", "device", "protocol",
                                "mode", "precision", "trunk", "batch_views", "decode_workers", "backend", "decoder")


class SettingsError(Exception):
    """A bad settings file or value; the message is one line."""


def user_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME))


def user_config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME))


def default_settings_path() -> Path:
    return Path(os.environ.get("CURATOR_SETTINGS") or user_config_dir() / SETTINGS_FILE_NAME)


@dataclass(frozen=True)
class Settings:
    # [engine]: the EngineConfig fields in ENGINE_KEYS, with EngineConfig's own defaults.
    # "exact": the paper's computation (fp32, every window through the whole network).
    # "fast": the ResNet trunk once per photo (trunk "shared") and the reduced precision the
    # hardware runs faster (precision "auto"); see docs/performance.md.
    preset: str = "exact"
    method: str = _ENGINE.method
    model: str = _ENGINE.model
    pretrained: str | None = _ENGINE.pretrained
    weights: str | None = _ENGINE.weights
    activation: str = _ENGINE.activation
    device: str = _ENGINE.device
    protocol: str = _ENGINE.protocol
    mode: str = _ENGINE.mode
    precision: str = _ENGINE.precision
    trunk: str = _ENGINE.trunk
    batch_views: int = _ENGINE.batch_views
    decode_workers: int = _ENGINE.decode_workers
    # The app's default, unlike the engine library's ("torch"): the fastest installed runtime
    # that gives the same score (iqa_engine.backends).
    backend: str = "auto"
    # JPEG decoding on a CUDA GPU where one timed decode says it beats the CPU (iqa_engine.device_decode)
    decoder: str = "auto"
    # [catalog]
    db: str = ""  # "" means <user data dir>/catalog.db
    # [watch]
    settle_seconds: float = 2.0
    poll_interval_seconds: float = 0.1
    scan_batch: int = 8  # photos per scoring batch in scan/watch
    triage_over: int = 50  # queue length past which provisional scores come first (curator.rules.triage); < 0: off
    # [flags]
    bottom_percent: float = 15.0
    threshold: float | None = None
    # [xmp]
    xmp_naming: str = "adobe"  # "adobe" (IMG_0001.xmp) or "darktable" (IMG_0001.CR2.xmp)
    xmp_write_score: bool = False
    xmp_map: str = ""  # verdict mapping, "VERDICT=RATING[:LABEL],..." (curator.disk.xmp.parse_mapping); "" = defaults
    xmp_machine: str = "keyword"  # machine verdicts: "keyword", "label:COLOUR" or "legacy" (curator.disk.xmp.Machine)
    # [bursts]
    burst_gap_seconds: float = 2.0
    burst_similarity: float = 0.9
    # [taste]
    taste_keep_rating: int = 3
    taste_reject_rating: int = 1
    taste_min_per_class: int = 20
    taste_retrain_every: int = 50
    # [dimensions]: the table as written, {name: [[positive, negative], ...]}, applied over the defaults
    dimensions: Mapping[str, Any] = field(default_factory=dict)
    # [reasons]: the reasons rule's constants (the table's keys are ReasonRules' fields)
    reasons: ReasonRules = field(default_factory=ReasonRules)
    # [gallery]
    tile_number: str = "rank"  # "rank", "percentile" or "raw" (curator.rules.standing.TILE_NUMBERS)
    # [tags]
    tags_vocabulary: str = ""  # "" means the built-in vocabulary
    tags_extra: tuple[str, ...] = ()
    tags_top_k: int = 5
    tags_threshold: float = 0.05
    tags_margin: float = 0.0
    # [duplicates]
    dupes_similarity: float = 0.95
    dupes_max_distance: int = 6
    # [scale]
    ray: str = ""  # "" means no Ray: score in this process
    ray_actors: int = 0
    # where each value came from: "default", the settings file, "env CURATOR_DB" or "flag"
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)

    @property
    def db_path(self) -> Path:
        return Path(self.db).expanduser() if self.db else user_data_dir() / DB_FILE_NAME

    def engine_config(self) -> EngineConfig:
        values: dict[str, Any] = {k: getattr(self, k) for k in ENGINE_KEYS}
        values["dimensions"] = self.quality_dimensions()
        if self.preset == "fast":  # the preset fills in what was not set explicitly
            if "precision" not in self.sources:
                values["precision"] = "auto"
            if "trunk" not in self.sources:
                values["trunk"] = "shared"
        try:
            return EngineConfig(**values)
        except ValueError as exc:
            raise SettingsError(str(exc)) from None

    def quality_dimensions(self) -> tuple[Dimension, ...]:
        """The defaults with the [dimensions] table applied."""
        try:
            return with_overrides(default_dimensions(), self.dimensions, "[dimensions]")
        except ValueError as exc:
            raise SettingsError(str(exc)) from None

    def reason_rules(self) -> ReasonRules:
        """The reasons rule's constants: ReasonRules' defaults with the [reasons] table's keys."""
        return self.reasons

    def keyword_rule(self) -> KeywordRule:
        from iqa_engine.keywords import KeywordRule

        return KeywordRule(top_k=self.tags_top_k, threshold=self.tags_threshold, margin=self.tags_margin)

    def vocabulary(self) -> Vocabulary:
        """The built-in vocabulary (or the [tags] vocabulary file instead), plus the [tags] extra terms."""
        from iqa_engine.keywords import VocabularyError, load_vocabulary

        try:
            return load_vocabulary(self.tags_vocabulary or None, self.tags_extra)
        except VocabularyError as exc:
            raise SettingsError(str(exc)) from None

    def with_overrides(self, source: str, **values: Any) -> Settings:
        """New settings with the given non-None values, recording where they came from."""
        changes = {k: v for k, v in values.items() if v is not None}
        unknown = set(changes) - _FIELD_NAMES
        if unknown:
            raise SettingsError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        sources = dict(self.sources)
        sources.update({k: source for k in changes})
        return dataclasses.replace(self, **changes, sources=sources)

    def effective(self) -> list[tuple[str, str, Any, str]]:
        """(table, key, value, source) for every setting, in settings-file order, for `curator config show`."""
        rows = [(table, key, getattr(self, name), self.sources.get(name, "default"))
                for (table, key), name in TOML_KEYS.items()]
        # every dimension in effect, and any the table removed (as []), so the text loads back the same
        changed = self.sources.get("dimensions", "default")
        rows += [("dimensions", d.name, [list(p) for p in d.pairs],
                  changed if d.name in self.dimensions else "default") for d in self.quality_dimensions()]
        rows += [("dimensions", name, [], changed) for name, pairs in self.dimensions.items() if pairs == []]
        source = self.sources.get("reasons", "default")
        rows += [("reasons", f.name, getattr(self.reasons, f.name), source) for f in dataclasses.fields(self.reasons)]
        return rows


_FIELD_NAMES = {f.name for f in fields(Settings)} - {"sources"}

# settings-file (table, key) -> Settings field, in the order `config show` prints them
TOML_KEYS: dict[tuple[str, str], str] = {
    ("engine", "preset"): "preset",
    **{("engine", k): k for k in ENGINE_KEYS},
    ("catalog", "db"): "db",
    ("watch", "settle_seconds"): "settle_seconds",
    ("watch", "poll_interval_seconds"): "poll_interval_seconds",
    ("watch", "scan_batch"): "scan_batch",
    ("watch", "triage_over"): "triage_over",
    ("flags", "bottom_percent"): "bottom_percent",
    ("flags", "threshold"): "threshold",
    ("xmp", "naming"): "xmp_naming",
    ("xmp", "write_score"): "xmp_write_score",
    ("xmp", "map"): "xmp_map",
    ("xmp", "machine"): "xmp_machine",
    ("bursts", "gap_seconds"): "burst_gap_seconds",
    ("bursts", "similarity"): "burst_similarity",
    ("taste", "keep_rating"): "taste_keep_rating",
    ("taste", "reject_rating"): "taste_reject_rating",
    ("taste", "min_per_class"): "taste_min_per_class",
    ("taste", "retrain_every"): "taste_retrain_every",
    ("gallery", "tile_number"): "tile_number",
    ("tags", "vocabulary"): "tags_vocabulary",
    ("tags", "extra"): "tags_extra",
    ("tags", "top_k"): "tags_top_k",
    ("tags", "threshold"): "tags_threshold",
    ("tags", "margin"): "tags_margin",
    ("duplicates", "similarity"): "dupes_similarity",
    ("duplicates", "max_distance"): "dupes_max_distance",
    ("scale", "ray"): "ray",
    ("scale", "ray_actors"): "ray_actors",
}
# [dimensions] has no fixed keys: its keys are dimension names; [reasons] is read whole into ReasonRules
WHOLE_TABLES: dict[str, str] = {"reasons": "reasons"}
WHOLE_TABLES_READ: dict[str, Callable[[Mapping[str, Any]], Any]] = {"reasons": ReasonRules.from_table}
TABLES: tuple[str, ...] = (*dict.fromkeys(table for table, _ in TOML_KEYS), "dimensions", *WHOLE_TABLES)

# What each table is for, and what each key sets (Markdown). The settings reference is generated from these
# and from the defaults above (docs/gen_reference.py); tests/test_docs_reference.py fails on a key without one.
TABLE_HELP: dict[str, str] = {
    "engine": "What scores, and how (`iqa_engine.EngineConfig`). Each key is also one of the engine options of "
              "`score`, `model info`, `scan`, `watch`, `gallery --watch`, `tags`, `search` and `bench`.",
    "catalog": "Where the catalog lives.",
    "watch": "The queue of `scan` and `watch`.",
    "flags": "The low-quality flags. They apply only until `curator flag` (or the gallery) stores a policy "
             "in the catalog.",
    "xmp": "XMP sidecars: `curator xmp write`, `watch --xmp` and the gallery's Write XMP.",
    "bursts": "Which frames form a burst.",
    "taste": "The taste model (`curator learn`).",
    "dimensions": "The quality dimensions. This table has no fixed keys: each key names a dimension, "
                  "`NAME = [[positive, negative], ...]`. A default's name replaces its prompt pairs, a new name "
                  "adds a dimension, and `[]` removes one. `config show` prints the defaults commented out, and "
                  "your overrides as set.",
    "reasons": "Why a frame is weak: the constants of the rule (`curator.rules.reasons.ReasonRules`).",
    "gallery": "The gallery window.",
    "tags": "Keywords (`iqa_engine.keywords`).",
    "duplicates": "`curator dupes` and the gallery's Duplicates view (`curator.rules.duplicates`).",
    "scale": 'Scanning on a Ray cluster (`pip install ".[ray]"`).',
}
KEY_HELP: dict[tuple[str, str], str] = {
    ("engine", "preset"): '`"exact"` (the paper\'s computation: fp32, every window through the whole network) or '
                          '`"fast"` (the ResNet trunk once per photo and the reduced precision the hardware runs '
                          'faster: an approximation)',
    ("engine", "method"): '`"maclip"` or `"qualiclip"` (needs QualiCLIP\'s checkpoint as `weights`)',
    ("engine", "model"): "an open_clip model name, or the path to a model-config JSON",
    ("engine", "pretrained"): "an open_clip pretrained tag (ignored when `weights` is set)",
    ("engine", "weights"): "a local weights file instead of the tag (OpenAI `.pt`, an open_clip checkpoint or "
                           "`.safetensors`)",
    ("engine", "activation"): '`"auto"` (what open_clip\'s pretrained registry says the weights were trained '
                              'with), `"quickgelu"` or `"gelu"`',
    ("engine", "device"): '`"auto"` (CUDA, then MPS, then the CPU), `"cpu"`, `"cuda"`, `"cuda:N"` or `"mps"`',
    ("engine", "protocol"): 'the views: `"koniq"`, `"spaq"` or `"global"`',
    ("engine", "mode"): '`"fused"`, `"cosine"` or `"magnitude"`',
    ("engine", "precision"): '`"fp32"`, `"bf16"`, `"fp16"` or `"auto"`',
    ("engine", "trunk"): '`"windows"` (exact) or `"shared"` (faster, approximate)',
    ("engine", "batch_views"): "views per forward pass",
    ("engine", "decode_workers"): "threads decoding photos ahead of the model",
    ("engine", "backend"): 'who runs the image tower on the CPU: `"auto"` (the fastest installed runtime that '
                           'gives the same score), `"torch"`, `"openvino"` or `"onnxruntime"`; the '
                           '`CURATOR_BACKEND` environment variable overrides it',
    ("engine", "decoder"): 'who decodes JPEGs: `"auto"` (nvJPEG on a CUDA GPU when a timed decode beats the '
                           'CPU\'s draft decoding, else Pillow), `"cpu"` or `"device"` (its pixels differ '
                           'slightly, so its scores have a fingerprint of their own)',
    ("catalog", "db"): 'the catalog file; `""` means `<user data dir>/catalog.db`; `--db` and the `CURATOR_DB` '
                       'environment variable override it',
    ("watch", "settle_seconds"): "a file must keep its size and mtime this long before it is scored",
    ("watch", "poll_interval_seconds"): "how often an idle queue is looked at",
    ("watch", "scan_batch"): "photos per scoring batch and catalog transaction",
    ("watch", "triage_over"): 'more photos than this waiting with no score at all get provisional scores first '
                              '(the quick `"global"` protocol), then the exact ones; a negative value turns '
                              'triage off',
    ("flags", "bottom_percent"): "flag the bottom N % of each folder",
    ("flags", "threshold"): "also flag a fused score below this (unset: no threshold)",
    ("xmp", "naming"): '`"adobe"` (`IMG_0001.xmp`) or `"darktable"` (`IMG_0001.CR2.xmp`)',
    ("xmp", "write_score"): "also write `curator:Score`",
    ("xmp", "map"): 'the verdict mapping, as `--map` (`"reject=-1:Red,keep=3"`); `""` means the defaults',
    ("xmp", "machine"): 'where machine verdicts (weak, auto-rejected) go: `"keyword"` (`curator|weak`), '
                        '`"label:COLOUR"` (e.g. `"label:Purple"`), or `"legacy"` (ratings and labels like your '
                        'own: undecided = 3 stars, auto reject = −1 + Red)',
    ("bursts", "gap_seconds"): "frames closer than this in time may form a burst",
    ("bursts", "similarity"): "and must look this alike (cosine of their CLIP embeddings)",
    ("taste", "keep_rating"): "a rating of this many stars or more is a keep",
    ("taste", "reject_rating"): "a rating from 1 to this many stars is a reject",
    ("taste", "min_per_class"): "learn only from at least this many keeps and as many rejects",
    ("taste", "retrain_every"): "`watch` retrains after this many new decisions",
    ("reasons", "tail_share"): "the worst share of a folder on a quality dimension",
    ("reasons", "min_folder"): "photos with a value before folder-relative guards apply",
    ("reasons", "focus_ratio"): "`blurry`: focus relative to contrast under this × the folder's median",
    ("reasons", "focus_floor"): "`blurry`: or under this, whatever the folder",
    ("reasons", "noise_ratio"): "`noisy`: noise σ over this × the folder's median",
    ("reasons", "noise_min"): "`noisy`: and over this (8-bit levels)",
    ("reasons", "noise_max"): "`noisy`: or over this, whatever the folder",
    ("reasons", "dark_highlights"): "`too-dark`: the brightest 1 % of the frame stays under this luma (0–255)",
    ("reasons", "dark_ratio"): "`too-dark`: and its mean luma is under this × the folder's median",
    ("reasons", "dark_mean"): "`too-dark`: or under this, whatever the folder",
    ("reasons", "clip_share"): "`too-bright`: over this share of pixels clipped to white",
    ("reasons", "clip_ratio"): "`too-bright`: and over this × the folder's median share",
    ("reasons", "clip_max"): "`too-bright`: or over this share, whatever the folder",
    ("reasons", "bright_ratio"): "`too-bright` too: mean luma over this × the folder's median",
    ("reasons", "bright_clip"): "`too-bright` too: with over this share clipped",
    ("reasons", "flat_spread"): "`flat`: 5–95 % luma spread under this many levels",
    ("reasons", "flat_ratio"): "`flat`: and under this × the folder's median",
    ("reasons", "flat_floor"): "`flat`: or under this, whatever the folder",
    ("reasons", "cast_min"): "`colour-cast`: grey-world deviation over this",
    ("reasons", "cast_ratio"): "`colour-cast`: and over this × the folder's median",
    ("reasons", "cast_max"): "`colour-cast`: or over this, whatever the folder",
    ("reasons", "composition_max"): "`composition`: in the folder's worst `tail_share` and under this",
    ("gallery", "tile_number"): 'on each tile: `"rank"` (3/24 in its folder), `"percentile"` (top 12%) or '
                                '`"raw"` (the fused score)',
    ("tags", "vocabulary"): 'a terms file replacing the built-in vocabulary; `""` means the built-in one',
    ("tags", "extra"): 'more terms, each `"keyword"` or `"keyword = phrase used in the prompts"`',
    ("tags", "top_k"): "at most this many keywords per photo",
    ("tags", "threshold"): "a keyword's confidence (softmax over the vocabulary) must reach this",
    ("tags", "margin"): "and its cosine must beat the neutral prompt's by this much",
    ("duplicates", "similarity"): "cosine of the standard CLIP embeddings, at least",
    ("duplicates", "max_distance"): "perceptual-hash bits (of 64) that may differ, at most",
    ("scale", "ray"): '`""` (score here), `"auto"` (the cluster `ray start` runs on this machine), `"local"` '
                      '(a one-machine cluster started by the scan) or `"HOST:PORT"`, as `--ray`',
    ("scale", "ray_actors"): "scoring actors; 0: one per GPU, else one per CPU of the cluster",
}


def load_settings(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Defaults <- settings file (if present) <- CURATOR_DB, CURATOR_BACKEND. Flags are applied by the caller."""
    env = os.environ if environ is None else environ
    settings = Settings()
    file_path = path or default_settings_path()
    if file_path.is_file():
        settings = settings.with_overrides(str(file_path), **_read_toml(file_path))
    if env.get("CURATOR_DB"):
        settings = settings.with_overrides("env CURATOR_DB", db=env["CURATOR_DB"])
    if env.get("CURATOR_BACKEND"):
        settings = settings.with_overrides("env CURATOR_BACKEND", backend=env["CURATOR_BACKEND"])
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
            raise SettingsError(f"settings file {path}: {_misplaced(table)}")
        if table == "dimensions":
            values["dimensions"] = entries
            continue
        if table in WHOLE_TABLES:
            try:
                values[WHOLE_TABLES[table]] = WHOLE_TABLES_READ[table](entries)
            except ValueError as exc:
                raise SettingsError(f"settings file {path}: {exc}") from None
            continue
        for key, value in entries.items():
            name = TOML_KEYS.get((table, key))
            if name is None:
                home = _table_of(key)
                hint = f" (it belongs in [{home}])" if home and home != table else ""
                raise SettingsError(f"settings file {path}: unknown key [{table}] {key}{hint}")
            values[name] = tuple(value) if isinstance(value, list) else value
    return values


def _table_of(key: str) -> str | None:
    return next((table for table, k in TOML_KEYS if k == key), None)


def _misplaced(name: str) -> str:
    """Why a top-level `name = value` is wrong, naming the table it belongs in."""
    if name in TABLES:
        return f"{name!r} must be a table: write [{name}] on a line of its own and its keys below it"
    home = _table_of(name)
    if home:
        return f"{name!r} belongs in the [{home}] table: put it below a line [{home}]"
    return f"unknown top-level key {name!r}; settings go in the tables {', '.join(f'[{t}]' for t in TABLES)}"


def _validate(settings: Settings) -> None:
    """Raise SettingsError naming the first bad value, table by table."""
    _validate_scoring(settings)
    _validate_taste(settings)
    _validate_gallery_tags_and_duplicates(settings)
    _validate_scale(settings)
    _validate_xmp(settings)


def _validate_scoring(settings: Settings) -> None:
    """[engine], [watch] settle_seconds, [flags] bottom_percent, [xmp] naming and [bursts] gap_seconds."""
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


def _validate_taste(settings: Settings) -> None:
    for name in ("taste_keep_rating", "taste_reject_rating", "taste_min_per_class", "taste_retrain_every"):
        value = getattr(settings, name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise SettingsError(f"[taste] {name[6:]} must be a whole number, not {value!r}")
    if not 1 <= settings.taste_reject_rating < settings.taste_keep_rating <= 5:
        raise SettingsError("[taste] needs 1 <= reject_rating < keep_rating <= 5")
    if settings.taste_min_per_class < 2 or settings.taste_retrain_every < 1:
        raise SettingsError("[taste] min_per_class must be at least 2, and retrain_every at least 1")


def _validate_gallery_tags_and_duplicates(settings: Settings) -> None:
    from curator.rules.standing import TILE_NUMBERS

    if settings.tile_number not in TILE_NUMBERS:
        raise SettingsError(f"[gallery] tile_number must be one of {', '.join(TILE_NUMBERS)}, "
                            f"not {settings.tile_number!r}")
    if not isinstance(settings.tags_extra, tuple) or not all(isinstance(t, str) for t in settings.tags_extra):
        raise SettingsError("[tags] extra must be a list of strings, e.g. extra = [\"heron\", \"red car = a red car\"]")
    if not isinstance(settings.tags_top_k, int) or settings.tags_top_k < 1:
        raise SettingsError("[tags] top_k must be a whole number of at least 1")
    if not 0 <= settings.tags_threshold <= 1:
        raise SettingsError("[tags] threshold must be between 0 and 1")
    if not -1 <= settings.dupes_similarity <= 1:
        raise SettingsError("[duplicates] similarity must be between -1 and 1")
    if not isinstance(settings.dupes_max_distance, int) or not 0 <= settings.dupes_max_distance <= 64:
        raise SettingsError("[duplicates] max_distance must be a whole number from 0 to 64")


def _validate_scale(settings: Settings) -> None:
    if not isinstance(settings.ray, str):
        raise SettingsError('[scale] ray must be a string: "", "auto", "local" or "HOST:PORT"')
    if not isinstance(settings.ray_actors, int) or settings.ray_actors < 0:
        raise SettingsError("[scale] ray_actors must be a whole number >= 0")


def _validate_xmp(settings: Settings) -> None:
    from curator.errors import UserError
    from curator.disk.xmp import parse_machine, parse_mapping

    if not isinstance(settings.xmp_map, str):
        raise SettingsError("[xmp] map must be a string such as \"reject=-1:Red,keep=3\"")
    if settings.xmp_map.strip():
        try:
            parse_mapping(settings.xmp_map)
        except UserError as exc:
            raise SettingsError(f"[xmp] map: {exc}") from None
    if not isinstance(settings.xmp_machine, str):
        raise SettingsError("[xmp] machine must be a string: \"keyword\", \"label:Purple\" or \"legacy\"")
    try:
        parse_machine(settings.xmp_machine)
    except UserError as exc:
        raise SettingsError(f"[xmp] machine: {exc}") from None
