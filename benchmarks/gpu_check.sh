#!/usr/bin/env bash
# The GPU check in one shot: fast tests and the Keras-vs-plain benchmark under JAX and
# PyTorch, on whatever accelerator the backends see, in under 8 minutes. Writes
# $OUT/gpu_check.md (summary), the benchmark tables and JSON, and every step's log.
#
#   bash benchmarks/gpu_check.sh                # on a GPU machine, from the repository root
#   OUT=DIR DATA=DIR bash benchmarks/gpu_check.sh
#   GPU_CHECK_CPU=1 bash benchmarks/gpu_check.sh   # dry run on a CPU: tiny benchmark
#
# DATA is a folder with the four MNIST IDX files (default: $VAE_KERAS_DATA; without
# either, the benchmark uses the bundled 8,000-image subset and says so). Each step
# has its own time limit (60 + 90 + 90 s per backend: 8 minutes at most), so one
# hung step cannot eat the others' time.
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:-gpu-check-results}
PYTHON=${PYTHON:-python}
DATA=${DATA:-${VAE_KERAS_DATA:-}}
mkdir -p "$OUT"
SUMMARY="$OUT/gpu_check.md"
START=$(date +%s)
export PYTHONUNBUFFERED=1 TF_CPP_MIN_LOG_LEVEL=3

# The fast subset: layers, losses, model, Keras-native loading, data parallel (on
# forced CPU devices), the benchmark's smoke test. Slow-marked tests are left out.
TESTS="tests/test_layers.py tests/test_losses.py tests/test_models.py tests/test_loading.py
       tests/test_data_parallel.py tests/test_benchmarks.py"
if [ -n "${GPU_CHECK_CPU:-}" ]; then
    BENCH_ARGS=(--tiny --hidden-dim 64 --latent-dim 2)
    TESTS="tests/test_layers.py tests/test_losses.py"
elif [ -n "$DATA" ]; then
    BENCH_ARGS=(--epochs 5 --data-dir "$DATA")
else
    BENCH_ARGS=(--epochs 5)  # no MNIST here: the bundled subset, with a warning in the log
fi

step() {  # step NAME SECONDS COMMAND...: runs it with a limit, logs it, records the outcome
    local name=$1 limit=$2; shift 2
    local t0=$(date +%s)
    timeout "$limit" "$@" > "$OUT/$name.log" 2>&1
    local code=$?
    local took=$(( $(date +%s) - t0 ))
    [ $code -eq 124 ] && code="124 (timed out after ${limit} s)"
    echo "| $name | $code | $took | $(tail -n 1 "$OUT/$name.log" | tr '|' '/' | cut -c1-150) |" >> "$SUMMARY"
    echo "$name: exit $code in $took s"
}

{
    echo "# GPU check, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo '```text'
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1 | head -n 4
    "$PYTHON" - <<'EOF' 2>&1
from importlib import metadata
for name in ("keras", "jax", "jaxlib", "jax-cuda12-plugin", "torch", "tensorflow"):
    try:
        print(f"{name} {metadata.version(name)}")
    except metadata.PackageNotFoundError:
        print(f"{name}: not installed")
EOF
    echo '```'
    echo
    echo "Benchmark arguments: ${BENCH_ARGS[*]}"
    echo
    echo "| step | exit | seconds | last line of its log |"
    echo "|---|---|---:|---|"
} > "$SUMMARY"

for backend in jax torch; do
    export KERAS_BACKEND=$backend
    step "$backend-devices" 60 "$PYTHON" -c "
import keras
from vae_keras.train import describe_device
print(keras.backend.backend(), 'computes on', describe_device())"
    # shellcheck disable=SC2086
    step "$backend-tests" 90 "$PYTHON" -m pytest -q -p no:cacheprovider -m "not slow" $TESTS
    step "$backend-benchmark" 90 "$PYTHON" benchmarks/bench.py --backend "$backend" \
        "${BENCH_ARGS[@]}" --output "$OUT/bench-$backend.md"
done
unset KERAS_BACKEND
{
    echo
    for backend in jax torch; do
        [ -f "$OUT/bench-$backend.md" ] && { echo "## $backend"; echo; cat "$OUT/bench-$backend.md"; echo; }
    done
    echo "Total: $(( $(date +%s) - START )) s"
} >> "$SUMMARY"
echo "wrote $SUMMARY"
