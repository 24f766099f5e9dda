#!/usr/bin/env bash
# Runs every test of Mosaic: format, lints (clippy, -D warnings), the workspace's unit tests,
# then a dev node with the polkadot.js tests against it. Exits non-zero on the first failure.
# This is the README's test command, and CI (.ci/run) runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/env.sh

step() { printf '\n==> %s  [%s]\n' "$*" "$(date +%T)"; }

step "prepare the machine"
scripts/prepare.sh

step "cargo fmt --check"
cargo fmt --all --check

# One invocation builds and lints everything (clippy-driver compiles the workspace's crates,
# -D warnings) and runs every Rust test; it also builds `mosaic-node`, which the CLI tests run.
step "cargo test --workspace (release, clippy -D warnings)"
cargo test --release --locked --workspace --no-fail-fast

step "dev node (provider of the tiny model) + polkadot.js tests"
log_dir="$(mktemp -d)"
rpc_port=19944
export MOSAIC_NODE_LOG="$log_dir/node.log"
export MOSAIC_PROMETHEUS="http://127.0.0.1:19615/metrics"
start_node "$MOSAIC_NODE_LOG" "$rpc_port" --dev --tmp --port 30533 --prometheus-port 19615 \
	--no-telemetry --no-mdns --models-dir "$MOSAIC_MODELS"
# One file at a time: the tests account balances of the same dev accounts to the unit.
if ! MOSAIC_WS="ws://127.0.0.1:$rpc_port" node --test --test-concurrency=1 scripts/tests/; then
	echo "polkadot.js tests failed; the node's log ends:" >&2
	tail -n 60 "$log_dir/node.log" >&2
	exit 1
fi
stop_node

step "network tests: four validators and two provider nodes (zombienet, native)"
if ! scripts/network.sh --test; then
	echo "network tests failed; node logs are in the directory printed above" >&2
	exit 1
fi
echo "all tests passed"
