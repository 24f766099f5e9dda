#!/usr/bin/env bash
# The audit calibration (prints figures, asserts nothing): `mosaic-node calibrate` on the real
# SmolLM2-135M-Instruct from PyPI and on the generated ~98 M-parameter model. An executor runs
# 8 prompts greedy and sampled (1 thread); an auditor on other settings re-scores its honest
# outputs and dishonest variants (another model's output, half the output, shuffled tokens,
# half the output billed as max_tokens) by teacher forcing. Each run prints a table: cases
# judged honest by the chain's rule (`mosaic_primitives::audit::judge`), misses per token,
# typicality z (sampled), claimed/re-counted tokens, the largest gap seen.
# Uses the test build (no second compilation). The calibration tables of docs/protocol.md come from here.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/env.sh

scripts/prepare.sh >/dev/null
[ -x "$MOSAIC_NODE" ] || cargo test --release --locked --workspace --no-run
dir="$HOME/.cache/mosaic/bench-models"
mkdir -p "$dir"
for quant in q8_0 q4_0; do
	[ -s "$dir/mosaic-bench-$quant.gguf" ] || "$MOSAIC_PYTHON" scripts/model/gen_llama_gguf.py \
		"$dir/mosaic-bench-$quant.gguf" --size bench --quant "$quant"
done
smollm2="$MOSAIC_MODELS/SmolLM2-135M-Instruct.Q4_1.gguf"
bench8="$dir/mosaic-bench-q8_0.gguf"
bench4="$dir/mosaic-bench-q4_0.gguf"
out="${MOSAIC_CALIBRATION_OUT:-$(mktemp -d -t mosaic-calibration.XXXX)}"
mkdir -p "$out"

run() {
	local name="$1"
	shift
	echo "==> $name"
	"$MOSAIC_NODE" calibrate "$@" >"$out/$name.jsonl"
	echo
}
run smollm2-threads --executor-model "$smollm2" --executor-threads 1 --auditor-threads 2 \
	--other-model "$bench8"
run smollm2-q8_0 --executor-model "$smollm2" --requantize 7 --other-model "$bench8"
run smollm2-q4_0 --executor-model "$smollm2" --requantize 2 --other-model "$bench8"
run bench-threads --executor-model "$bench8" --executor-threads 1 --auditor-threads 2 \
	--other-model "$smollm2"
run bench-q4_0 --executor-model "$bench8" --auditor-model "$bench4" --other-model "$smollm2"
echo "each case as JSON: $out"
