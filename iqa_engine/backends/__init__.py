"""Which runtime runs the image tower: PyTorch, OpenVINO or ONNX Runtime (CPU only). The choice, its
check against PyTorch fp32 and its cached verdicts are in `choice`; the runtimes in `towers`."""

from .choice import (
    AUTO_CANDIDATES,
    EXACT_BOUND,
    REDUCED_BOUND,
    BackendChoice,
    attach_backend,
    check_views,
    installed_backends,
)

__all__ = ["AUTO_CANDIDATES", "EXACT_BOUND", "REDUCED_BOUND", "BackendChoice", "attach_backend", "check_views",
           "installed_backends"]
