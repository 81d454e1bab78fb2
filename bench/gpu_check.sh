#!/usr/bin/env bash
# One short GPU check: 200 synthetic 24-MP JPEGs, `curator bench speed` exact and fast on CUDA,
# photos/s and the deviation of the fused score from CPU fp32. Meant to finish in under 8 minutes
# on one GPU. Installs only what is missing. Speed uses seeded random RN50 weights unless WEIGHTS
# is set; the deviation figures only mean something with real weights (WEIGHTS=/path/RN50.pt).
#
#   bash bench/gpu_check.sh                 # N=200 photos, DEVICE=cuda
#   N=20 DEVICE=cpu bash bench/gpu_check.sh # a dry run of the script itself on a machine without a GPU
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
N=${N:-200}
DEVICE=${DEVICE:-cuda}
OUT=${OUT:-bench/out/gpu_check}
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
mkdir -p "$OUT"
start=$(date +%s)

# -- install nothing that is already installed
missing=$($PY - <<'PY'
import importlib.util
need = {"torch": "torch", "torchvision": "torchvision", "open_clip": "open_clip_torch", "PIL": "pillow",
        "numpy": "numpy", "scipy": "scipy", "sqlite_utils": "sqlite-utils", "platformdirs": "platformdirs",
        "safetensors": "safetensors", "watchdog": "watchdog"}
print(" ".join(pkg for mod, pkg in need.items() if importlib.util.find_spec(mod) is None))
PY
)
if [ -n "$missing" ]; then
  echo "installing: $missing"
  $PY -m pip install --quiet $missing
fi

$PY - "$DEVICE" <<'PY'
import sys, torch
device = sys.argv[1]
if device == "cuda" and not torch.cuda.is_available():
    sys.exit("gpu_check: torch sees no CUDA GPU (torch " + torch.__version__ + ")")
name = torch.cuda.get_device_name(0) if device == "cuda" else "none (dry run on the CPU)"
print(f"gpu_check: {name}; torch {torch.__version__}; {__import__('os').cpu_count()} CPU threads")
PY

# -- 200 synthetic 24-MP JPEGs, made in parallel
PHOTOS=$(mktemp -d)
trap 'rm -rf "$PHOTOS"' EXIT
$PY - "$PHOTOS" "$N" <<'PY'
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from curator.benchmarks.synth import synth_photo
folder, n = Path(sys.argv[1]), int(sys.argv[2])
with ProcessPoolExecutor() as pool:
    list(pool.map(synth_photo, [folder / f"synth_{i:03d}.jpg" for i in range(n)], range(n)))
print(f"gpu_check: {n} JPEGs of 6000x4000 in {folder}")
PY

if [ -n "${WEIGHTS:-}" ]; then MODEL_ARGS=(--weights "$WEIGHTS"); else MODEL_ARGS=(--random-weights); fi
WORKERS=$($PY -c "import os; print(max(2, (os.cpu_count() or 2) - 1))")
COMMON=(--images "$PHOTOS" --n "$N" --device "$DEVICE" --decode-workers "$WORKERS" --batch-views 512 "${MODEL_ARGS[@]}")

# -- the exact preset (fp32) and the fast preset (fp16 on CUDA: shared trunk + autocast), JPEGs decoded as
#    "auto" decides; then the exact preset with each decoder forced, to show what auto chose between
$PY -m curator bench speed "${COMMON[@]}" --exact --json "$OUT/exact.json"
$PY -m curator bench speed "${COMMON[@]}" --fast --json "$OUT/fast.json"
$PY -m curator bench speed "${COMMON[@]}" --exact --decoder cpu --json "$OUT/exact-decoder-cpu.json"
$PY -m curator bench speed "${COMMON[@]}" --exact --decoder device --json "$OUT/exact-decoder-device.json"

# -- deviation from CPU fp32 on a few photos (the same decoded pixels on both devices)
$PY - "$PHOTOS" "$DEVICE" "${WEIGHTS:-}" <<'PY'
import sys, tempfile
from pathlib import Path
from iqa_engine import Engine, EngineConfig
from curator.benchmarks.random_weights import build_random_weights
folder, device, weights = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
if not weights:
    weights = str(build_random_weights("RN50", Path(tempfile.mkdtemp())))
paths = sorted(folder.glob("*.jpg"))[:8]
base = EngineConfig(weights=weights, pretrained=None)
cpu = Engine(base.replace(device="cpu", backend="torch"))
prepared = [cpu.prepare_path(p) for p in paths]
ref = [s.fused for s in cpu.score_prepared(prepared)]
for label, cfg in (("exact fp32", base.replace(device=device)),
                   ("fast (fp16 shared trunk)", base.replace(device=device, precision="auto", trunk="shared")),
                   ("exact windows, fp16", base.replace(device=device, precision="auto"))):
    e = Engine(cfg)
    got = [s.fused for s in e.score_prepared(prepared)]
    d = max(abs(a - b) for a, b in zip(got, ref))
    print(f"gpu_check: {label} on {device} ({e.config.precision}): max |Δfused| vs CPU fp32 over {len(paths)} photos {d:.2e}")
# JPEGs decoded on the device (nvJPEG, resized there): other pixels, so scored from the files on both sides
e = Engine(base.replace(device=device, decoder="device"))
cpu_files = [cpu.score_path(p).fused for p in paths]
got = [e.score_path(p).fused for p in paths]
d = max(abs(a - b) for a, b in zip(got, cpu_files))
print(f"gpu_check: exact fp32, JPEGs decoded on {device}: max |Δfused| vs CPU fp32 with Pillow decoding over "
      f"{len(paths)} photos {d:.2e}")
PY

$PY - "$OUT" <<'PY'
import json, sys
from pathlib import Path
out = Path(sys.argv[1])
for name in ("exact", "fast", "exact-decoder-cpu", "exact-decoder-device"):
    r = json.loads((out / f"{name}.json").read_text())
    e2e = r["end_to_end"]
    dev = (r.get("deviation") or {}).get("max_abs")
    print(f"gpu_check: {name}: {e2e['photos_per_s']:.1f} photos/s end to end (decode included), "
          f"{r['engine']['precision']}, model {r['stages']['forward']['views_per_s']:.0f} views/s"
          + (f", max |Δfused| vs exact fp32 {dev:.2e}" if dev is not None else "")
          + f"; decoder {r['engine'].get('decoder', 'cpu')}; {r['machine']['gpu'] or 'no GPU'}")
PY
echo "gpu_check: done in $(( $(date +%s) - start )) s; reports in $OUT"
