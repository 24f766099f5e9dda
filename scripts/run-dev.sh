#!/usr/bin/env bash
# Builds mosaic-node and runs a development chain with RPC on ws://127.0.0.1:9944: Alice
# validates and, with the tiny model in her models directory, is the provider of it. Once the
# chain is up it runs the demo (scripts/demo.mjs): Bob pays for a job, Alice's node answers it
# with llama.cpp, and the receipt and output are printed. The node then keeps running until
# Ctrl-C. Chain data is temporary (--tmp). Extra arguments go to mosaic-node.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/env.sh

scripts/prepare.sh
# The same build as scripts/test.sh (one set of features, so the two never rebuild each other).
cargo test --release --locked --workspace --no-run

log="${MOSAIC_NODE_LOG:-$(mktemp -t mosaic-node.XXXX.log)}"
echo "==> starting the dev chain (log: $log)"
start_node "$log" 9944 --dev --tmp --no-telemetry --models-dir "$MOSAIC_MODELS" "$@"
echo "==> node up at ws://127.0.0.1:9944"
node scripts/demo.mjs
echo "==> the node keeps running; Ctrl-C stops it (log: $log)"
wait "$NODE_PID"
