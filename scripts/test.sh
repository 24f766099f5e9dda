#!/usr/bin/env bash
# Runs every test of Mosaic: the scripts' syntax and imports (and no synchronous child process),
# format, lints (clippy, -D warnings), the workspace's unit tests, then the end-to-end tests:
# the polkadot.js tests on two dev nodes and the network tests on six nodes, all at once.
# Exits non-zero on the first failing stage.
# This is the README's test command, and CI (.ci/run) runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/env.sh

step() { printf '\n==> %s  [%s]\n' "$*" "$(date +%T)"; }

step "prepare the machine"
scripts/prepare.sh

step "the scripts: node --check, their imports, and no synchronous child process"
mapfile -t scripts_js < <(find scripts zombienet -name node_modules -prune -o -type f \( -name '*.mjs' -o -name '*.js' \) -print | sort)
for f in "${scripts_js[@]}"; do node --check "$f"; done
# Every name taken from our own modules exists (the network tests' dynamic imports would
# otherwise give undefined, found only when a test calls it).
node scripts/check-imports.mjs "${scripts_js[@]}"
# A synchronous child stops the event loop, and @polkadot/api then fails its requests in flight
# (scripts/lib/process.mjs says how): scripts run children with its runProgram.
if grep -nE '\b(spawnSync|execFileSync|execSync)\(' "${scripts_js[@]}"; then
	echo "a script above runs a child synchronously: use runProgram (scripts/lib/process.mjs)" >&2
	exit 1
fi
echo "${#scripts_js[@]} files"

step "cargo fmt --check"
cargo fmt --all --check

# One invocation builds and lints everything (clippy-driver compiles the workspace's crates,
# -D warnings) and runs every Rust test; it also builds `mosaic-node`, which the CLI tests run.
step "cargo test --workspace (release, clippy -D warnings)"
cargo test --release --locked --workspace --no-fail-fast

step "end to end, at once: two dev nodes with the polkadot.js tests, and a six-node network"
# The end-to-end tests spend their time waiting for blocks, finality and deadlines, not
# computing (the machine's load stays under 1 of its 2 cores), so three chains run at once:
#  - two dev chains (//Alice validates and provides the genesis models), each running its share
#    of scripts/tests/ in file order, one file at a time (the tests account balances of the same
#    dev accounts to the unit): the files named in `first` on one, every other file on the
#    other (the two shares take about as long);
#  - the network tests: four validators and two provider nodes (zombienet, native).
# Each writes its own log; they are printed once all have finished. A polkadot.js file that runs
# 30 minutes fails (node's --test-timeout counts a whole file; the slowest, gateway.test.mjs,
# took 8 min on a slow day): one that hangs is named, not left to CI's 90-minute limit. The
# network tests have their bounds in network.zndsl.
first=(gateway governance onboard restart smoke)
log_dir="$(mktemp -d)"
files_a=() files_b=()
for f in scripts/tests/*.test.mjs; do
	name="$(basename "$f" .test.mjs)"
	if [[ " ${first[*]} " == *" $name "* ]]; then files_a+=("$f"); else files_b+=("$f"); fi
done
# Each dev node dies with its subshell (start_node's trap) or, if this script is stopped first,
# with this script.
trap 'kill $(cat "$log_dir"/pid-* 2>/dev/null) 2>/dev/null || true' EXIT INT TERM
# chain NAME INDEX FILES...: a dev node on ports offset by INDEX, then the files against it.
chain() {
	local name="$1" i="$2"
	shift 2
	local rpc=$((19944 + 4 * i)) prometheus=$((19615 + i))
	local log="$log_dir/node-$name.log" out="$log_dir/tests-$name.log"
	start_node "$log" "$rpc" --dev --tmp --port $((30533 + i)) --prometheus-port "$prometheus" \
		--no-telemetry --no-mdns --models-dir "$MOSAIC_MODELS" >"$out" 2>&1 || return 1
	echo "$NODE_PID" >"$log_dir/pid-$name"
	local status=0
	MOSAIC_WS="ws://127.0.0.1:$rpc" MOSAIC_NODE_LOG="$log" \
		MOSAIC_PROMETHEUS="http://127.0.0.1:$prometheus/metrics" \
		node --test --test-concurrency=1 --test-timeout=1800000 "$@" >>"$out" 2>&1 || status=$?
	stop_node
	rm -f "$log_dir/pid-$name"
	if [ "$status" -ne 0 ]; then
		echo "polkadot.js tests on dev chain $name failed; its node's log ends:" >>"$out"
		tail -n 60 "$log" >>"$out"
	fi
	return "$status"
}
declare -A title=([a]="polkadot.js tests on dev chain a" [b]="polkadot.js tests on dev chain b"
	[network]="network tests (node logs: the directory printed in them)") pid=()
chain a 0 "${files_a[@]}" &
pid[a]=$!
chain b 1 "${files_b[@]}" &
pid[b]=$!
scripts/network.sh --test >"$log_dir/tests-network.log" 2>&1 &
pid[network]=$!
failed=()
for part in a b network; do wait "${pid[$part]}" || failed+=("${title[$part]}"); done
for part in a b network; do
	printf '\n--- %s ---\n' "${title[$part]}"
	cat "$log_dir/tests-$part.log"
done
if [ "${#failed[@]}" -gt 0 ]; then
	printf 'failed: %s\n' "${failed[@]}" >&2
	exit 1
fi
echo "all tests passed"
