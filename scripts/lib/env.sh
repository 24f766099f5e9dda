# Sourced by the scripts: one build configuration for building, linting and testing, so that the
# dependency tree is compiled once.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/mosaic/target}"
MOSAIC_NODE="$CARGO_TARGET_DIR/release/mosaic-node"
# The WASM builder looks for Cargo.lock above its OUT_DIR, which is outside the clone.
WASM_BUILD_WORKSPACE_HINT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export WASM_BUILD_WORKSPACE_HINT
# The engine's tests generate GGUF models with this Python (scripts/prepare.sh makes it).
export MOSAIC_PYTHON="${MOSAIC_PYTHON:-$HOME/.cache/mosaic/venv/bin/python3}"
# Where the nodes of the scripts find GGUF models; scripts/prepare.sh writes the tiny model
# (registered in the dev chain's genesis) here.
export MOSAIC_MODELS="${MOSAIC_MODELS:-$HOME/.cache/mosaic/models}"
export MOSAIC_TINY_MODEL="$MOSAIC_MODELS/mosaic-tiny-q8_0.gguf"
# litep2p asks for a vendored OpenSSL (a C build of several minutes); link Debian's instead.
export OPENSSL_NO_VENDOR=1
export MOSAIC_NODE
# The runtime build also makes the next-spec-version runtime the upgrade test enacts.
export MOSAIC_UPGRADE_RUNTIME=1
MOSAIC_UPGRADE_WASM="$CARGO_TARGET_DIR/release/wbuild/mosaic-runtime/mosaic_runtime_upgrade.compact.compressed.wasm"
export MOSAIC_UPGRADE_WASM

# Lints ride along with the build: clippy-driver compiles the workspace's own crates (and only
# those) with clippy's lints on, `-D warnings`. Dependencies are compiled once, by rustc, for
# both. Set MOSAIC_NO_CLIPPY=1 to build without linting.
if [ -z "${MOSAIC_NO_CLIPPY:-}" ]; then
	RUSTC_WORKSPACE_WRAPPER="$(rustup which clippy-driver)"
	export RUSTC_WORKSPACE_WRAPPER
	export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
fi

# Starts `mosaic-node` with the given arguments in the background, logging to $1, and waits
# until its RPC answers on port $2. Sets NODE_PID. The node dies with the calling script.
# Refuses a port something already listens on: the probe below would take that listener's
# answer (an earlier node's, say) for the new node's.
start_node() {
	local log="$1" port="$2"
	shift 2
	if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
		echo "port $port is in use on 127.0.0.1 (another mosaic-node?): stop it, or free the port" >&2
		return 1
	fi
	"$MOSAIC_NODE" --rpc-port "$port" "$@" >"$log" 2>&1 &
	NODE_PID=$!
	trap 'stop_node' EXIT INT TERM
	for _ in $(seq 1 120); do
		if curl -s -H 'Content-Type: application/json' \
			-d '{"id":1,"jsonrpc":"2.0","method":"system_health","params":[]}' \
			"http://127.0.0.1:$port" >/dev/null 2>&1; then
			return 0
		fi
		if ! kill -0 "$NODE_PID" 2>/dev/null; then
			echo "mosaic-node exited during start-up; its log ($log):" >&2
			tail -n 40 "$log" >&2
			return 1
		fi
		sleep 1
	done
	echo "mosaic-node did not answer RPC on port $port within 120 s" >&2
	return 1
}

stop_node() {
	if [ -n "${NODE_PID:-}" ] && kill -0 "$NODE_PID" 2>/dev/null; then
		kill "$NODE_PID" 2>/dev/null || true
		for _ in $(seq 1 20); do kill -0 "$NODE_PID" 2>/dev/null || break; sleep 0.5; done
		kill -9 "$NODE_PID" 2>/dev/null || true
	fi
	NODE_PID=""
}
