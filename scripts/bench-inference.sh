#!/usr/bin/env bash
# The inference benchmark (prints figures, asserts nothing):
#  1. mosaic-engine against a direct llama.h decode loop (engine/examples/bench.rs) on
#     the tiny model, on a ~98 M-parameter generated model (Q8_0 and Q4_0), on the real
#     SmolLM2-135M-Instruct (when scripts/prepare.sh installed it) and on any GGUF files given
#     as arguments; one thread, then two; then the batched engine with 1, 2, 4 and 8 jobs at
#     once, on one thread and on two, on SmolLM2 (as shipped, Q4_1, and an F16 copy of it made
#     by scripts/model/to_f16_gguf.py) and on the generated 98 M model in Q8_0, Q4_0, F16 and
#     F32 (llama.cpp's CPU kernels gain from batching by type: see docs/benchmarks.md);
#  2. the end-to-end latency of jobs on a dev chain beside their raw inference time.
# Uses the test build (no second compilation).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/env.sh

scripts/prepare.sh
cargo test --release --locked --workspace --no-run
bench="$CARGO_TARGET_DIR/release/examples/bench"

dir="$HOME/.cache/mosaic/bench-models"
mkdir -p "$dir"
python="$HOME/.cache/mosaic/venv/bin/python3"
for spec in tiny:q4_0 bench:q8_0 bench:q4_0 bench:f16 bench:f32; do
	size="${spec%%:*}" quant="${spec##*:}"
	out="$dir/mosaic-$size-$quant.gguf"
	[ -s "$out" ] || "$python" scripts/model/gen_llama_gguf.py "$out" --size "$size" --quant "$quant"
done
smollm2=()
if [ -s "$MOSAIC_MODELS/SmolLM2-135M-Instruct.Q4_1.gguf" ]; then
	smollm2=("$MOSAIC_MODELS/SmolLM2-135M-Instruct.Q4_1.gguf" "$dir/SmolLM2-135M-Instruct.F16.gguf")
	[ -s "${smollm2[1]}" ] || "$python" scripts/model/to_f16_gguf.py "${smollm2[@]}"
fi
models=("$MOSAIC_TINY_MODEL" "$dir/mosaic-tiny-q4_0.gguf" "$dir/mosaic-bench-q8_0.gguf" "$dir/mosaic-bench-q4_0.gguf" "${smollm2[@]:0:1}" "$@")
batched=("${smollm2[@]}" "$dir"/mosaic-bench-{q8_0,q4_0,f16,f32}.gguf)

echo "==> engine vs llama.h ($(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
"$bench" --threads 1 "${models[@]}"
echo
"$bench" --threads 2 "${models[@]:2}"
echo
for threads in 1 2; do
	echo "==> batched: 1, 2, 4, 8 jobs at once ($threads thread(s))"
	"$bench" --threads "$threads" --reps 3 --concurrency 1,2,4,8 --tokens 64 "${batched[@]}"
done

echo
echo "==> end to end on a dev chain"
log="$(mktemp -t mosaic-bench-node.XXXX.log)"
start_node "$log" 19955 --dev --tmp --port 30555 --prometheus-port 19655 --no-telemetry --no-mdns \
	--models-dir "$MOSAIC_MODELS"
MOSAIC_WS=ws://127.0.0.1:19955 MOSAIC_PROMETHEUS=http://127.0.0.1:19655/metrics \
	node scripts/benchmark/e2e.mjs
stop_node
