"""Which activation (QuickGELU or GELU) to build a CLIP text and ViT tower with, and why.

Nothing in an open_clip checkpoint or a plain state dict records the
activation it was trained with, and a wrong guess shifts the cosine cue by
about 1e-3. So `auto` asks, in this order:

1. an open_clip pretrained tag: the registry's entry for that tag says;
2. a weights file in OpenAI's layout (TorchScript, or the metadata keys
   `input_resolution`/`context_length`/`vocab_size`): OpenAI trained with QuickGELU;
3. the model config (e.g. `RN50-quickgelu`, or a config JSON) asks for QuickGELU;
4. every open_clip pretrained tag of the architecture uses QuickGELU (all of
   RN50's do): a file of that architecture almost surely does too;
5. otherwise the model config's own activation, GELU.

The registry is asked each time; there is no list kept by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

ACTIVATIONS = ("auto", "quickgelu", "gelu")


@dataclass(frozen=True)
class Activation:
    name: str  # "quickgelu" or "gelu"
    reason: str  # one line, for `curator model info`
    # True when the weights' identity already names this activation (a pretrained tag built as the
    # registry says), so the engine fingerprint need not carry it.
    implied_by_weights: bool

    @property
    def quick_gelu(self) -> bool:
        return self.name == "quickgelu"


def choose_activation(requested: str, arch: str, *, pretrained_tag: str | None,
                      openai_layout: bool = False) -> Activation:
    """The activation to build `arch` with; `requested` is "auto", "quickgelu" or "gelu"."""
    if requested not in ACTIVATIONS:
        raise ValueError(f"unknown activation {requested!r}; choose one of: {', '.join(ACTIVATIONS)}")
    natural, why = _auto(arch, pretrained_tag, openai_layout)
    if requested == "auto":
        name, reason = natural, why
    else:
        name = requested
        reason = "set explicitly" + ("" if requested == natural else f" (auto would pick {natural}: {why})")
    return Activation(name=name, reason=reason, implied_by_weights=pretrained_tag is not None and name == natural)


def tags_quick_gelu(arch: str) -> dict[str, bool]:
    """Each open_clip pretrained tag of `arch`, and whether the registry says it uses QuickGELU."""
    import open_clip

    return {tag: bool((open_clip.get_pretrained_cfg(arch, tag) or {}).get("quick_gelu", False))
            for tag in open_clip.list_pretrained_tags_by_model(arch)}


def _auto(arch: str, pretrained_tag: str | None, openai_layout: bool) -> tuple[str, str]:
    import open_clip

    config_quick = bool((open_clip.get_model_config(arch) or {}).get("quick_gelu", False))
    if pretrained_tag is not None:
        if tags_quick_gelu(arch).get(pretrained_tag, False):
            return "quickgelu", f"open_clip's registry says {arch}/{pretrained_tag} was trained with QuickGELU"
        if config_quick:
            return "quickgelu", f"the model config {arch} sets quick_gelu"
        return "gelu", f"open_clip's registry gives {arch}/{pretrained_tag} the model config's GELU"
    if openai_layout:
        return "quickgelu", "the weights file is in OpenAI's layout, and OpenAI trained with QuickGELU"
    if config_quick:
        return "quickgelu", f"the model config {arch} sets quick_gelu"
    tags = tags_quick_gelu(arch)
    if tags and all(tags.values()):
        return "quickgelu", (f"the file says nothing, and every open_clip pretrained tag of {arch} "
                             f"({', '.join(tags)}) uses QuickGELU")
    if tags:
        return "gelu", (f"the file says nothing, and open_clip's pretrained tags of {arch} differ, so the "
                        "model config's GELU (use --activation quickgelu if yours was trained with it)")
    return "gelu", f"the file says nothing, and {arch} has no open_clip pretrained tags: the model config's GELU"
