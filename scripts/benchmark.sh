#!/usr/bin/env bash
# Generates the marketplace pallets' weights.rs on this machine: builds mosaic-node with
# `--features runtime-benchmarks` (a separate build: every runtime crate changes features) and
# runs `mosaic-node benchmark pallet` for each pallet with the weight template in
# scripts/benchmark/. Also prints the weight of `Balances::transfer_keep_alive` measured the
# same way, for comparison. Takes long on two cores; not part of the tests.
#   scripts/benchmark.sh [pallet …]    (default: all Mosaic pallets)
set -euo pipefail
cd "$(dirname "$0")/.."
# Same target directory and settings as the tests: cargo keeps artifacts per feature set, so
# crates that do not change with `runtime-benchmarks` (networking, wasmtime, …) are shared.
source scripts/lib/env.sh
# frame-benchmarking-cli's storage-access test runtime builds its own WASM and cannot be found
# in this workspace's metadata (the CLI is an optional dependency), so the WASM builder must
# not be pointed at our Cargo.lock here. Our runtime's WASM then resolves its dependencies
# afresh, within the same semver ranges.
unset WASM_BUILD_WORKSPACE_HINT
# The upgrade-test runtime is for the tests only.
unset MOSAIC_UPGRADE_RUNTIME
scripts/prepare.sh
cargo build --release --locked -p mosaic-node --features runtime-benchmarks
node_bin="$CARGO_TARGET_DIR/release/mosaic-node"

pallets=("$@")
[ ${#pallets[@]} -gt 0 ] || pallets=(pallet_mosaic_models pallet_mosaic_providers pallet_mosaic_jobs pallet_mosaic_sessions pallet_mosaic_validators)
for pallet in "${pallets[@]}"; do
	dir="pallets/${pallet#pallet_mosaic_}"
	echo "==> benchmark pallet $pallet -> $dir/src/weights.rs"
	"$node_bin" benchmark pallet \
		--chain dev \
		--pallet "$pallet" \
		--extrinsic '*' \
		--wasm-execution compiled \
		--steps "${STEPS:-50}" \
		--repeat "${REPEAT:-20}" \
		--heap-pages 4096 \
		--template scripts/benchmark/weight-template.hbs \
		--output "$dir/src/weights.rs"
done
cargo fmt --all

echo "==> pallet_balances::transfer_keep_alive on this machine, for comparison"
"$node_bin" benchmark pallet --chain dev --pallet pallet_balances \
	--extrinsic transfer_keep_alive --wasm-execution compiled \
	--steps "${STEPS:-50}" --repeat "${REPEAT:-20}" --heap-pages 4096
