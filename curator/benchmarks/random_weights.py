"""A weights file with seeded random values, for timing only.

Speed does not depend on the weight values, so `bench speed --random-weights`
can time RN50 on a machine with no CLIP weights. Its scores mean nothing, and
nothing that reports quality may use it. BatchNorm statistics are randomised
too (open_clip zero-initialises each bottleneck's last BN, which would turn the
residual branches off and make a precision or shared-trunk deviation look
smaller than it can be).
"""

from __future__ import annotations

from pathlib import Path

RANDOM_WEIGHTS_NOTE = ("RANDOM WEIGHTS (seeded): speed figures hold for any weights of this architecture; "
                       "the scores, and any deviation measured on them, say nothing about real CLIP weights")


def build_random_weights(model: str, directory: Path, seed: int = 0) -> Path:
    """Build open_clip architecture `model` with seeded random weights; save its state dict; return the file."""
    import torch
    import open_clip

    from iqa_engine.backbone import quiet_root_logger, resolve_architecture

    arch = resolve_architecture(model)
    directory.mkdir(parents=True, exist_ok=True)
    generator_state = torch.random.get_rng_state()
    try:
        torch.manual_seed(seed)
        with quiet_root_logger():  # open_clip warns "initialized randomly": that is the point here
            net = open_clip.create_model(arch, pretrained=None)
        with torch.no_grad():
            for m in net.modules():
                if isinstance(m, torch.nn.BatchNorm2d):
                    assert m.running_mean is not None and m.running_var is not None  # tracked by default
                    m.running_mean.normal_(0, 0.1)
                    m.running_var.uniform_(0.5, 1.5)
                    m.weight.normal_(1, 0.1)
                    m.bias.normal_(0, 0.1)
    finally:
        torch.random.set_rng_state(generator_state)
    path = directory / f"{arch}-random-seed{seed}.pt"
    torch.save(net.state_dict(), path)
    return path
