"""Building the open_clip model, and the image features MA-CLIP needs from it.

For ModifiedResNet backbones (RN50 and kin) the image feature is computed as
in the MA-CLIP reference: the attention pool runs *without* its positional
embedding, so any grid size works. Tokens are the flattened final feature
grid with its mean prepended; the model's own q/k/v/c projections do one
multi-head attention; the output at token 0 is the (unnormalised) feature.
Other backbones (ViT) use their standard image encoder on 224x224 views.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F

from .activation import Activation, choose_activation
from .config import EngineConfig
from .device_path import keep_fp32_exact, wants_channels_last
from . import start_cache
from .errors import EngineError, WeightsUnavailable
from .weights import (
    cached_pretrained_file,
    fetch_pretrained,
    fix_hint,
    read_weights_file,
)

if TYPE_CHECKING:
    from .image_tower import ImageTower


@dataclass(frozen=True)
class WeightsInfo:
    model: str  # the architecture name (a config file's stem for custom configs)
    source: str  # "pretrained:<tag>" or the file path
    path: Path  # the weights file that was read
    sha256: str | None  # a local --weights file's (the fingerprint needs it); None for a pretrained tag
    identity: str  # what the fingerprint hashes: "RN50/openai" or "RN50/sha256:..."
    activation: Activation  # what the towers were built with, and why

    @property
    def quick_gelu(self) -> bool:
        return self.activation.quick_gelu

    @property
    def fingerprint_activation(self) -> str | None:
        """The activation for the fingerprint, or None when the identity already names it."""
        return None if self.activation.implied_by_weights else self.activation.name


class Backbone:
    """An open_clip CLIP model in eval mode on a device, with MA-CLIP's feature extraction."""

    def __init__(self, model: torch.nn.Module, tokenizer: Callable, info: WeightsInfo,
                 device: torch.device, precision: str, stored_text_features: torch.Tensor | None = None
                 ) -> None:
        from open_clip.transform import PreprocessCfg, image_transform_v2

        # open_clip's CLIP: its towers and heads are plain attributes that torch's stubs type as
        # Tensor | Module, so the model is held untyped
        self.model: Any = model
        self.tokenizer = tokenizer
        self.info = info
        self.device = device
        self.precision = precision
        # text features that came with the weights file (QualiCLIP's), float32 on the device
        self.stored_text_features = (None if stored_text_features is None
                                     else stored_text_features.float().to(device))
        # Set by iqa_engine.backends when another runtime (OpenVINO, ONNX Runtime) runs the image tower.
        self.tower: ImageTower | None = None
        visual = model.visual
        self.is_resnet = all(hasattr(visual, a) for a in ("stem", "layer4", "attnpool"))
        if not self.is_resnet:
            size = getattr(visual, "image_size", (224, 224))
            size = (size, size) if isinstance(size, int) else tuple(size)
            if size != (224, 224):
                raise EngineError(f"model {info.model} expects {size[0]}x{size[1]} inputs; MA-CLIP views are 224x224")
        if self.is_resnet and wants_channels_last(device):
            # oneDNN and cuDNN convolutions run faster on NHWC tensors
            self.model.visual.to(memory_format=torch.channels_last)
        # open_clip's own evaluation transform for this model and weights (resize, centre crop,
        # normalise): what the standard embedding is computed on
        self.preprocess_cfg = dict(getattr(visual, "preprocess_cfg", None) or {})
        self.preprocess = image_transform_v2(PreprocessCfg(**self.preprocess_cfg), is_train=False)
        keep_fp32_exact(device, precision)

    @property
    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.model.parameters())

    def autocast(self) -> AbstractContextManager[Any]:
        if self.precision == "fp32":
            return nullcontext()
        dtype = torch.bfloat16 if self.precision == "bf16" else torch.float16
        return torch.autocast(device_type=self.device.type, dtype=dtype)

    def text_features(self, prompts: list[str]) -> torch.Tensor:
        """MA-CLIP's prompts, through open_clip's encode_text exactly as the reference does.

        The result is kept in the user cache (iqa_engine.start_cache): a later start with the same
        weights, activation, prompts, precision and device type reads the same tensor back.
        """
        def compute() -> torch.Tensor:
            tokens = self.tokenizer(prompts).to(self.device)
            with torch.inference_mode():
                return self.model.encode_text(tokens).float()

        info = self.info
        try:
            st = info.path.stat()
            weights_file: object = (str(info.path.resolve()), st.st_size, st.st_mtime_ns)
        except OSError:
            return compute()
        key = {"identity": info.identity, "weights_file": weights_file, "arch": info.model,
               "quick_gelu": info.quick_gelu, "precision": self.precision, "device": self.device.type}
        return start_cache.text_features(key, prompts, compute).to(self.device)

    def search_text_features(self, texts: list[str]) -> torch.Tensor:
        """Search texts and vocabulary prompts, encoded up to their end token only (encode_text below)."""
        tokens = self.tokenizer(texts).to(self.device)
        with torch.inference_mode():
            return encode_text(self.model, tokens).float()

    def logit_scale(self) -> torch.Tensor:
        return self.model.logit_scale.detach().float()

    def trunk(self, views: torch.Tensor) -> torch.Tensor:
        """ResNet stem + layers: (B, 3, H, W) -> (B, C, H/32, W/32)."""
        if self.tower is not None:  # another runtime runs the image tower (iqa_engine.backends)
            return self.tower.trunk(views)
        v = self.model.visual
        x = views.to(self.device, non_blocking=True)
        if wants_channels_last(self.device):
            x = x.contiguous(memory_format=torch.channels_last)
        x = x.to(v.conv1.weight.dtype)
        x = v.stem(x)
        x = v.layer1(x)
        x = v.layer2(x)
        x = v.layer3(x)
        return v.layer4(x)

    def attention_pool(self, grid: torch.Tensor) -> torch.Tensor:
        return attention_pool(self.model.visual.attnpool, grid)

    def whole_image_features(self, image: torch.Tensor) -> torch.Tensor:
        """(3, H, W) normalised photo at any size -> (1, D) unnormalised float32 feature (ResNet only).

        The whole photo through the trunk, then the attention pool without its
        positional embedding over the whole feature grid (QualiCLIP's inference).
        """
        with torch.inference_mode(), self.autocast():
            feats = self.attention_pool(self.trunk(image.unsqueeze(0)))
        return feats.float()

    def standard_features(self, images: torch.Tensor) -> torch.Tensor:
        """(B, 3, S, S) images through self.preprocess -> (B, D) unnormalised float32 features.

        open_clip's encode_image as CLIP was trained: for a ResNet the attention pool keeps its
        positional embedding (MA-CLIP's views drop it; retrieval and zero-shot need it).
        """
        x = images.to(self.device, non_blocking=True)
        if self.is_resnet and self.device.type == "cpu":
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.inference_mode(), self.autocast():
            feats = self.model.encode_image(x)
        return feats.float()

    def mixed_features(self, views: torch.Tensor, n_plain: int) -> tuple[torch.Tensor, torch.Tensor]:
        """One pass over (B, 3, 224, 224) views: the first n_plain as image_features gives them, the
        rest as standard_features does (for a ResNet the trunk runs once; only the pools differ)."""
        if n_plain >= views.shape[0]:
            return self.image_features(views), views.new_zeros((0, 0))
        if n_plain == 0:
            return views.new_zeros((0, 0)), self.standard_features(views)
        if not self.is_resnet:
            both = self.image_features(views)  # a ViT's views are encoded as CLIP does anyway
            return both[:n_plain], both[n_plain:]
        with torch.inference_mode(), self.autocast():
            grid = self.trunk(views)
            plain = self.attention_pool(grid[:n_plain])
            standard = self.model.visual.attnpool(grid[n_plain:])
        return plain.float(), standard.float()

    def image_features(self, views: torch.Tensor) -> torch.Tensor:
        """(B, 3, 224, 224) normalised views -> (B, D) unnormalised float32 features."""
        if self.tower is not None:  # another runtime runs the image tower (iqa_engine.backends)
            return self.tower.features(views)
        with torch.inference_mode(), self.autocast():
            if self.is_resnet:
                feats = self.attention_pool(self.trunk(views))
            else:
                feats = self.model.encode_image(views.to(self.device))
        return feats.float()


def encode_text(model: Any, tokens: torch.Tensor) -> torch.Tensor:
    """open_clip's encode_text, over the tokens up to the last end-of-text token only.

    CLIP's text tower is causal and reads its feature at the end-of-text token (the highest token
    id): the padding after it is masked from every earlier position, so cutting it off changes
    nothing but the work (a short search text runs over about 8 positions instead of 77). Text
    towers of another kind go through encode_text as they are."""
    fits = (getattr(model, "text_pool_type", None) == "argmax" and getattr(model, "attn_mask", None) is not None
            and all(hasattr(model, a) for a in ("token_embedding", "positional_embedding", "transformer", "ln_final"))
            and getattr(model.transformer, "batch_first", False))
    if not fits:
        return model.encode_text(tokens)
    n = int(tokens.argmax(dim=-1).max()) + 1
    tokens = tokens[:, :n]
    cast = model.transformer.get_cast_dtype()
    x = model.token_embedding(tokens).to(cast) + model.positional_embedding[:n].to(cast)
    x = model.ln_final(model.transformer(x, attn_mask=model.attn_mask[:n, :n]))
    x = x[torch.arange(x.shape[0], device=x.device), tokens.argmax(dim=-1)]
    projection = model.text_projection
    if projection is None:
        return x
    return projection(x) if isinstance(projection, torch.nn.Linear) else x @ projection


def attention_pool(pool: Any, grid: torch.Tensor) -> torch.Tensor:
    """(B, C, h, w) -> (B, D): a ResNet attention pool run with no positional embedding.

    Tokens are the flattened grid with its mean prepended; only token 0's output is needed.
    """
    x = grid.flatten(2).permute(2, 0, 1)  # (h*w, B, C)
    x = torch.cat([x.mean(dim=0, keepdim=True), x], dim=0)
    out, _ = F.multi_head_attention_forward(
        query=x[:1], key=x, value=x,
        embed_dim_to_check=x.shape[-1],
        num_heads=pool.num_heads,
        q_proj_weight=pool.q_proj.weight,
        k_proj_weight=pool.k_proj.weight,
        v_proj_weight=pool.v_proj.weight,
        in_proj_weight=None,
        in_proj_bias=torch.cat([pool.q_proj.bias, pool.k_proj.bias, pool.v_proj.bias]),
        bias_k=None, bias_v=None, add_zero_attn=False, dropout_p=0.0,
        out_proj_weight=pool.c_proj.weight, out_proj_bias=pool.c_proj.bias,
        use_separate_proj_weight=True, training=False, need_weights=False,
    )
    return out[0]


def pick_device(requested: str) -> torch.device:
    if requested == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    kind = requested.split(":")[0]
    if kind == "cuda" and not torch.cuda.is_available():
        raise EngineError("--device cuda was asked for, but torch sees no CUDA GPU (use --device auto or cpu)")
    if kind == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise EngineError("--device mps was asked for, but this machine has no Metal GPU (use --device auto or cpu)")
    return torch.device(requested)


def check_precision(precision: str, device: torch.device) -> None:
    if precision == "fp16" and device.type == "cpu":
        raise EngineError("fp16 is for GPUs; on the CPU use --precision bf16 or fp32")


def resolve_architecture(model: str) -> str:
    """A built-in open_clip name, or the registered name of a model-config JSON file."""
    import open_clip

    path = Path(model).expanduser()
    if model.endswith(".json") or path.is_file():
        if not path.is_file():
            raise EngineError(f"model config {path} not found")
        try:
            cfg = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise EngineError(f"model config {path} is not valid JSON ({exc})") from None
        cfg = cfg.get("model_cfg", cfg) if isinstance(cfg, dict) else cfg
        if not isinstance(cfg, dict) or not all(k in cfg for k in ("embed_dim", "vision_cfg", "text_cfg")):
            raise EngineError(f"model config {path} is not an open_clip model config "
                              "(it needs embed_dim, vision_cfg and text_cfg)")
        open_clip.add_model_config(path)
        return path.stem
    if model not in open_clip.list_models():
        raise EngineError(f"unknown model {model!r}: not an open_clip model name nor a model-config JSON file")
    return model


def load_backbone(config: EngineConfig, allow_download: bool = True) -> Backbone:
    """Build the model the config names and load its weights; never random weights."""
    import open_clip

    device = pick_device(config.device)
    check_precision(config.precision, device)
    arch = resolve_architecture(config.model)
    if config.weights:
        source_path = Path(config.weights).expanduser()
        source = str(source_path)
        pretrained_tag = None
    else:
        if not config.pretrained:
            raise WeightsUnavailable(f"no weights for {arch}: give --pretrained TAG or --weights FILE")
        pretrained_tag = config.pretrained
        if allow_download:
            source_path = fetch_pretrained(arch, pretrained_tag)
        else:
            cached = cached_pretrained_file(arch, pretrained_tag)
            if cached is None:
                raise WeightsUnavailable(f"CLIP weights {arch}/{pretrained_tag} are not cached; "
                                         + fix_hint(arch, pretrained_tag))
            source_path = cached
        source = f"pretrained:{pretrained_tag} ({source_path})"
    # a pretrained tag identifies its weights by name: no need to hash 250 MB on every start
    weights = read_weights_file(source_path, with_sha256=pretrained_tag is None)
    activation = choose_activation(config.activation, arch, pretrained_tag=pretrained_tag,
                                   openai_layout=weights.openai_layout)
    try:
        with quiet_root_logger(), skip_random_init():
            model = _create_model(arch, activation)
    except Exception as exc:  # noqa: BLE001 - open_clip fails in many ways on a config it cannot build: one line
        raise EngineError(f"open_clip could not build model {arch}: {str(exc).splitlines()[0][:160]}") from None
    _load_state(model, weights.state_dict, arch, weights.path)
    if pretrained_tag:
        from open_clip.model import get_model_preprocess_cfg, set_model_preprocess_cfg
        from open_clip.pretrained import get_pretrained_cfg
        from open_clip.transform import merge_preprocess_dict

        # create_model(pretrained=None) keeps the architecture's default preprocessing; a tag may carry its own
        pretrained_cfg = get_pretrained_cfg(arch, pretrained_tag) or {}
        set_model_preprocess_cfg(model, merge_preprocess_dict(
            get_model_preprocess_cfg(model), pretrained_cfg))
    model.eval().requires_grad_(False).to(device)
    identity = f"{arch}/{pretrained_tag}" if pretrained_tag else f"{arch}/sha256:{weights.sha256}"
    info = WeightsInfo(model=arch, source=source, path=weights.path, sha256=weights.sha256, identity=identity,
                       activation=activation)
    return Backbone(model, open_clip.get_tokenizer(arch), info, device, config.precision,
                    stored_text_features=weights.prompts_features)


def _create_model(arch: str, activation: Activation) -> torch.nn.Module:
    """open_clip's model with the chosen activation; GELU needs the config's quick_gelu turned off."""
    import open_clip

    if activation.quick_gelu:
        return open_clip.create_model(arch, pretrained=None, precision="fp32", device="cpu",
                                      force_quick_gelu=True)
    overrides = {"quick_gelu": False} if (open_clip.get_model_config(arch) or {}).get("quick_gelu") else {}
    return open_clip.create_model(arch, pretrained=None, precision="fp32", device="cpu", **overrides)


# torch.nn.init's random initialisers, looked up by name at call time by torch's layers and open_clip
_RANDOM_INITS = ("uniform_", "normal_", "trunc_normal_", "kaiming_uniform_", "kaiming_normal_",
                 "xavier_uniform_", "xavier_normal_", "orthogonal_")


@contextmanager
def skip_random_init() -> Iterator[None]:
    """Build the model without drawing random initial weights (about a second for RN50's 100 M).

    Safe only because every parameter is then overwritten: _load_state refuses a state dict with a
    missing key, and loads strictly. Computed buffers (the text attention mask) do not use these.
    """
    import torch.nn.init as init

    saved = {name: getattr(init, name) for name in _RANDOM_INITS}

    def keep(tensor: torch.Tensor, *args: object, **kwargs: object) -> torch.Tensor:
        return tensor

    try:
        for name in _RANDOM_INITS:
            setattr(init, name, keep)
        yield
    finally:
        for name, fn in saved.items():
            setattr(init, name, fn)


@contextmanager
def quiet_root_logger() -> Iterator[None]:
    """Silence root-logger warnings (open_clip logs "initialized randomly" before weights load)."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def _load_state(model: torch.nn.Module, state_dict: dict[str, torch.Tensor], arch: str, path: Path) -> None:
    from open_clip.model import convert_to_custom_text_state_dict

    if "positional_embedding" in state_dict and not hasattr(model, "positional_embedding"):
        state_dict = convert_to_custom_text_state_dict(state_dict)
    scale: Any = model.logit_scale
    if "logit_scale" in state_dict and state_dict["logit_scale"].ndim != scale.ndim:
        state_dict["logit_scale"] = state_dict["logit_scale"].reshape(scale.shape)
    expected = model.state_dict()
    missing = [k for k in expected if k not in state_dict]
    unexpected = [k for k in state_dict if k not in expected]
    wrong_shape = [k for k in expected if k in state_dict and state_dict[k].shape != expected[k].shape]
    if missing or unexpected or wrong_shape:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing (e.g. {missing[0]})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected (e.g. {unexpected[0]})")
        if wrong_shape:
            k = wrong_shape[0]
            parts.append(f"{len(wrong_shape)} of another shape (e.g. {k}: {tuple(state_dict[k].shape)} "
                         f"vs {tuple(expected[k].shape)})")
        raise EngineError(f"weights file {path} does not fit model {arch}: " + ", ".join(parts)
                          + "; pass the matching --model")
    # load_state_dict copies into the fp32 parameters, so half-precision release files are upcast
    model.load_state_dict(state_dict, strict=True)
