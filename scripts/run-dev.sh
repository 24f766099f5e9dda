#!/usr/bin/env bash
# Builds mosaic-node and runs a development chain (Alice validates, dev accounts endowed) with
# RPC on ws://127.0.0.1:9944. Once the chain is up it runs the demo (scripts/demo.mjs) against it,
# then keeps the node running until Ctrl-C. Chain data is temporary (--tmp).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/env.sh

scripts/prepare.sh
# The same build as scripts/test.sh (one set of features, so the two never rebuild each other).
cargo test --release --locked --workspace --no-run

log="${MOSAIC_NODE_LOG:-$(mktemp -t mosaic-node.XXXX.log)}"
echo "==> starting the dev chain (log: $log)"
start_node "$log" 9944 --dev --tmp --no-telemetry "$@"
echo "==> node up at ws://127.0.0.1:9944"
node scripts/demo.mjs
echo "==> the node keeps running; Ctrl-C stops it (log: $log)"
wait "$NODE_PID"
