#!/usr/bin/env bash
# Mosaic on six nodes on this machine, with zombienet's native provider (zombienet/): four
# validators (alice … dave) and two provider nodes (eve, ferdie) that serve the tiny model.
#
#   scripts/network.sh          start it, onboard the providers, print the RPC addresses;
#                               Ctrl-C stops every node
#   scripts/network.sh --test   run the network tests (zombienet/network.zndsl) and exit with
#                               their result (part of scripts/test.sh)
#                               (MOSAIC_NETWORK_ZNDSL=FILE runs another test file)
#
# RPC ports: alice 9944, bob 9945, charlie 9946, dave 9947, eve 9948, ferdie 9949 (the tests
# use 29944…; MOSAIC_NETWORK_RPC_BASE changes them). Files and logs: $MOSAIC_NETWORK_DIR (a new
# temporary directory by default), one <node>.log each.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/env.sh

mode=spawn
case "${1:-}" in
	--test) mode=test ;;
	--help | -h) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	"") ;;
	*) echo "unknown option $1 (--test, --help)" >&2; exit 2 ;;
esac

[ -x "$MOSAIC_NODE" ] || { echo "build mosaic-node first (scripts/test.sh or cargo build --release)" >&2; exit 1; }
[ -f "$MOSAIC_TINY_MODEL" ] || { echo "run scripts/prepare.sh first (the tiny model is missing)" >&2; exit 1; }
if [ ! -x zombienet/node_modules/.bin/zombienet ]; then
	(cd zombienet && npm ci --no-audit --no-fund --loglevel=error)
fi

base="${MOSAIC_NETWORK_RPC_BASE:-$([ "$mode" = test ] && echo 29944 || echo 9944)}"
export MOSAIC_NETWORK_DIR="${MOSAIC_NETWORK_DIR:-$(mktemp -d /tmp/mosaic-network.XXXXXX)}"
i=0
for node in ALICE BOB CHARLIE DAVE EVE FERDIE; do
	export "MOSAIC_NETWORK_RPC_$node=$((base + i))"
	i=$((i + 1))
done
export MOSAIC_NETWORK_RPC_LATE=$((base + 16))
for node in eve ferdie; do
	mkdir -p "$MOSAIC_NETWORK_DIR/models-$node"
	cp "$MOSAIC_TINY_MODEL" "$MOSAIC_NETWORK_DIR/models-$node/"
done
# The local preset, raw: zombienet leaves a raw spec's genesis as it is.
export MOSAIC_NETWORK_SPEC="$MOSAIC_NETWORK_DIR/local-raw.json"
"$MOSAIC_NODE" export-chain-spec --chain local --raw >"$MOSAIC_NETWORK_SPEC" 2>/dev/null
zombie=(zombienet/node_modules/.bin/zombienet -p native -l text -f -d "$MOSAIC_NETWORK_DIR/zombie")

if [ "$mode" = test ]; then
	exec "${zombie[@]}" test "${MOSAIC_NETWORK_ZNDSL:-zombienet/network.zndsl}"
fi

"${zombie[@]}" spawn zombienet/network.toml &
zpid=$!
trap 'kill $zpid 2>/dev/null; wait $zpid 2>/dev/null' EXIT INT TERM
# Once the network is up (zombienet writes zombie.json), onboard the providers as the tests do.
for _ in $(seq 1 300); do
	[ -f "$MOSAIC_NETWORK_DIR/zombie/zombie.json" ] && break
	kill -0 $zpid 2>/dev/null || exit 1
	sleep 1
done
node -e '
  const info = require(process.argv[1]);
  info.tmpDir = info.tmpDir ?? process.argv[2];
  require("./zombienet/tests/providers.js").run("alice", info).then(
    () => process.exit(0), (e) => { console.error(e.message); process.exit(1); });
' "$MOSAIC_NETWORK_DIR/zombie/zombie.json" "$MOSAIC_NETWORK_DIR/zombie"
cat <<EOT

Mosaic network up (logs in $MOSAIC_NETWORK_DIR/zombie/<node>.log):
  validators  alice ws://127.0.0.1:$MOSAIC_NETWORK_RPC_ALICE  bob ws://127.0.0.1:$MOSAIC_NETWORK_RPC_BOB
              charlie ws://127.0.0.1:$MOSAIC_NETWORK_RPC_CHARLIE  dave ws://127.0.0.1:$MOSAIC_NETWORK_RPC_DAVE
  providers   eve ws://127.0.0.1:$MOSAIC_NETWORK_RPC_EVE  ferdie ws://127.0.0.1:$MOSAIC_NETWORK_RPC_FERDIE
Pay for a job through a validator and watch a provider node answer it:
  MOSAIC_SURI=//Charlie node scripts/mosaic.mjs --url ws://127.0.0.1:$MOSAIC_NETWORK_RPC_ALICE submit 0 "Once upon a time"
Ctrl-C stops the network.
EOT
wait $zpid
