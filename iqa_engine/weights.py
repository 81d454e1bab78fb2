"""Where the CLIP weights come from, and reading them safely.

Sources, in order of precedence:
- a local file (`--weights`): an OpenAI-layout state dict or TorchScript
  archive (OpenAI's release .pt), an open_clip checkpoint, or .safetensors;
- a QualiCLIP release checkpoint (Agnolucci et al., arXiv 2403.11176): the
  CLIP weights of OpenAI's `clip` package under the prefix `clip_model.`, and
  the text features of its prompts under `prompts_features`;
- an open_clip pretrained tag (default RN50/openai), from the standard
  Hugging Face cache, downloaded there on first use when the hub is reachable.

Plain checkpoints are read with torch.load(weights_only=True) or safetensors,
so no pickled code is ever run. TorchScript archives are read with
torch.jit.load, which deserialises TorchScript, not Python pickles of code.
There is no fallback to random weights: when none can be had, a
WeightsUnavailable error says what was tried and how to fix it.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import socket
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import torch

from .errors import EngineError, WeightsUnavailable
from .start_cache import file_sha256

# Keys only OpenAI's state-dict layout carries; their presence marks weights
# trained with QuickGELU.
OPENAI_METADATA_KEYS = ("input_resolution", "context_length", "vocab_size")
# QualiCLIP's checkpoint layout: the CLIP model's weights under this prefix,
# and the stored text features (2P, D) of its antonym prompts under this key.
QUALICLIP_PREFIX = "clip_model."
QUALICLIP_TEXT_KEY = "prompts_features"
PROBE_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class WeightsFile:
    path: Path
    sha256: str | None  # only computed when asked for (it reads the whole file again)
    openai_layout: bool  # OpenAI's layout or TorchScript: build with QuickGELU
    state_dict: dict[str, torch.Tensor]
    # QualiCLIP's stored text features, when the file is a QualiCLIP checkpoint
    prompts_features: torch.Tensor | None = None


def fix_hint(model: str, pretrained: str | None) -> str:
    tag = f" --pretrained {pretrained}" if pretrained else ""
    return (f"run `curator model fetch --model {model}{tag}` on a machine with internet access "
            f"(it fills the standard cache, {hf_cache_dir()}), or pass --weights FILE")


def hf_cache_dir() -> str:
    try:
        from huggingface_hub import constants

        return str(constants.HF_HUB_CACHE)
    except (ImportError, AttributeError):  # no huggingface_hub, or one without the constant
        return os.path.expanduser("~/.cache/huggingface/hub")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_weights_file(path: str | os.PathLike[str], *, with_sha256: bool = True) -> WeightsFile:
    p = Path(path).expanduser()
    if not p.is_file():
        raise WeightsUnavailable(f"weights file {p} not found; pass an existing file to --weights")
    if p.stat().st_size == 0:
        raise WeightsUnavailable(f"weights file {p} is empty")
    torchscript = False
    try:
        if p.suffix.lower() == ".safetensors":
            from safetensors.torch import load_file

            raw: object = load_file(str(p), device="cpu")
        elif _is_torchscript(p):
            torchscript = True
            raw = torch.jit.load(str(p), map_location="cpu").state_dict()
        else:
            # mmap: tensors are paged in as load_state_dict copies them, not read up front
            raw = torch.load(str(p), map_location="cpu", weights_only=True, mmap=zipfile.is_zipfile(p))
    except pickle.UnpicklingError as exc:
        if "unsupported global" in str(exc).lower():  # a real pickle of Python objects
            raise EngineError(f"weights file {p} holds pickled objects beyond tensors; refusing to unpickle it "
                              "(save a plain state dict or .safetensors)") from None
        raise EngineError(f"weights file {p} could not be read: not a torch checkpoint, TorchScript archive "
                          "or .safetensors file") from None
    except (RuntimeError, OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise EngineError(f"weights file {p} could not be read: {first[:160]}") from None
    state_dict = _unwrap(raw, p)
    state_dict, prompts_features = _split_qualiclip(state_dict, p)
    # QualiCLIP fine-tunes the model of OpenAI's `clip` package: OpenAI's architecture (QuickGELU)
    openai_layout = (torchscript or prompts_features is not None
                     or any(k in state_dict for k in OPENAI_METADATA_KEYS))
    for key in OPENAI_METADATA_KEYS:
        state_dict.pop(key, None)
    return WeightsFile(path=p, sha256=file_sha256(p, sha256_of) if with_sha256 else None, openai_layout=openai_layout,
                       state_dict=state_dict, prompts_features=prompts_features)


def _split_qualiclip(state_dict: dict[str, torch.Tensor], path: Path
                     ) -> tuple[dict[str, torch.Tensor], torch.Tensor | None]:
    """A QualiCLIP checkpoint -> (the CLIP state dict without its prefix, the stored text features)."""
    if not any(k.startswith(QUALICLIP_PREFIX) for k in state_dict):
        return state_dict, None
    features = state_dict.get(QUALICLIP_TEXT_KEY)
    if features is None or features.ndim != 2 or features.shape[0] < 2 or features.shape[0] % 2:
        shape = "missing" if features is None else f"of shape {tuple(features.shape)}"
        raise EngineError(f"weights file {path} has QualiCLIP's {QUALICLIP_PREFIX} weights but its "
                          f"{QUALICLIP_TEXT_KEY} are {shape}; expected (2 x pairs, feature size)")
    clip_state = {k[len(QUALICLIP_PREFIX):]: v for k, v in state_dict.items() if k.startswith(QUALICLIP_PREFIX)}
    return clip_state, features.detach().float()


def _is_torchscript(path: Path) -> bool:
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as zf:
        return any(name.endswith("/constants.pkl") or "/code/" in name for name in zf.namelist())


def _unwrap(raw: object, path: Path) -> dict[str, torch.Tensor]:
    if isinstance(raw, dict):
        for key in ("state_dict", "model", "module"):
            inner = raw.get(key)
            if isinstance(inner, dict) and inner and all(isinstance(k, str) for k in inner):
                raw = inner
                break
    if not isinstance(raw, dict) or not raw:
        raise EngineError(f"weights file {path} is not a state dict of tensors")
    out: dict[str, torch.Tensor] = {}
    for key, value in raw.items():
        if not isinstance(value, torch.Tensor):
            continue
        out[key[7:] if key.startswith("module.") else key] = value
    if not out:
        raise EngineError(f"weights file {path} holds no tensors")
    return out


def cached_pretrained_file(model: str, tag: str) -> Path | None:
    """The cached file for an open_clip pretrained tag, or None; never touches the network."""
    cfg = _pretrained_cfg(model, tag)
    hub = cfg.get("hf_hub", "")
    if hub:
        from huggingface_hub import hf_hub_download
        from open_clip.constants import HF_SAFE_WEIGHTS_NAME, HF_WEIGHTS_NAME

        repo, filename = os.path.split(hub.rstrip("/")) if not hub.endswith("/") else (hub.rstrip("/"), "")
        names = [filename] if filename else [HF_SAFE_WEIGHTS_NAME, HF_WEIGHTS_NAME]
        for name in names:
            try:
                return Path(hf_hub_download(repo_id=repo, filename=name, local_files_only=True))
            except (OSError, ValueError):  # not cached (LocalEntryNotFoundError), or a repo id the hub refuses
                continue
    url = cfg.get("url", "")
    if url:
        candidate = Path(os.path.expanduser("~/.cache/clip")) / os.path.basename(url)
        if candidate.is_file():
            return candidate
    return None


def fetch_pretrained(model: str, tag: str) -> Path:
    """Download an open_clip pretrained tag into the standard cache (or find it there)."""
    cached = cached_pretrained_file(model, tag)
    if cached is not None:
        return cached
    cfg = _pretrained_cfg(model, tag)
    host = _download_host(cfg)
    if os.environ.get("HF_HUB_OFFLINE") not in (None, "", "0") and cfg.get("hf_hub"):
        raise WeightsUnavailable(f"CLIP weights {model}/{tag} are not cached and HF_HUB_OFFLINE is set; "
                                 + fix_hint(model, tag))
    if not _reachable(host):
        raise WeightsUnavailable(f"CLIP weights {model}/{tag} are not in the local cache and {host} cannot be "
                                 f"reached; " + fix_hint(model, tag))
    from open_clip.pretrained import download_pretrained

    try:
        target = download_pretrained(cfg)
    except Exception as exc:  # noqa: BLE001 - network and hub errors come in many types
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise WeightsUnavailable(f"downloading CLIP weights {model}/{tag} failed ({first[:120]}); "
                                 + fix_hint(model, tag)) from None
    if not target:
        raise WeightsUnavailable(f"open_clip knows no download for {model}/{tag}; pass --weights FILE")
    return Path(target)


def _pretrained_cfg(model: str, tag: str) -> dict:
    import open_clip

    cfg = open_clip.get_pretrained_cfg(model, tag)
    if not cfg:
        tags = open_clip.list_pretrained_tags_by_model(model)
        known = ", ".join(tags) if tags else "none"
        raise EngineError(f"open_clip has no pretrained tag {tag!r} for model {model!r} (known tags: {known})")
    return dict(cfg)


def _download_host(cfg: dict) -> str:
    if cfg.get("hf_hub"):
        endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
        return urlparse(endpoint).hostname or "huggingface.co"
    return urlparse(cfg.get("url", "")).hostname or "the download host"


def _reachable(host: str, port: int = 443) -> bool:
    """A bounded probe, so an offline machine fails in seconds instead of hanging on timeouts."""
    try:
        with socket.create_connection((host, port), timeout=PROBE_TIMEOUT_S):
            return True
    except OSError:
        return False
