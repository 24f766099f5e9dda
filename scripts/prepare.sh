#!/usr/bin/env bash
# Prepares a fresh Debian/Ubuntu machine for building and testing Mosaic. Idempotent: every step
# is skipped when already done.
#   - apt: clang, libclang-dev, protobuf-compiler, cmake, pkg-config, curl, libssl-dev, and
#     Node.js and npm if absent
#   - rustup: wasm32-unknown-unknown and wasm32v1-none targets, rust-src, rustfmt, clippy
#   - npm: the pinned polkadot.js packages of scripts/package-lock.json
#   - pip: a venv in ~/.cache/mosaic/venv with scripts/model/requirements.txt (gguf)
set -euo pipefail
cd "$(dirname "$0")"

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

need_apt=()
for pkg in clang libclang-dev protobuf-compiler cmake pkg-config curl libssl-dev; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || need_apt+=("$pkg")
done
command -v node >/dev/null || need_apt+=(nodejs)
command -v npm >/dev/null || need_apt+=(npm)
if [ ${#need_apt[@]} -gt 0 ]; then
	echo "==> apt-get install ${need_apt[*]}"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! command -v rustup >/dev/null; then
	echo "rustup is required: https://rustup.rs" >&2
	exit 1
fi
installed_targets=$(rustup target list --installed)
for target in wasm32-unknown-unknown wasm32v1-none; do
	grep -qx "$target" <<<"$installed_targets" || rustup target add "$target"
done
installed_components=$(rustup component list --installed)
for component in rust-src rustfmt clippy; do
	grep -q "^$component" <<<"$installed_components" || rustup component add "$component"
done

# Python with the pinned `gguf` package, for generating test models (scripts/model/).
venv="$HOME/.cache/mosaic/venv"
if ! cmp -s model/requirements.txt "$venv/.mosaic-requirements" 2>/dev/null; then
	echo "==> python venv with scripts/model/requirements.txt"
	python3 -m venv "$venv" 2>/dev/null || {
		$SUDO apt-get install -y -qq python3-venv >/dev/null
		python3 -m venv "$venv"
	}
	"$venv/bin/pip" install -q -r model/requirements.txt
	cp model/requirements.txt "$venv/.mosaic-requirements"
fi

# The tiny model the dev chain registers (byte-identical on every run; its hash is in the
# runtime's genesis presets, and the end-to-end tests check it).
models="${MOSAIC_MODELS:-$HOME/.cache/mosaic/models}"
if [ ! -s "$models/mosaic-tiny-q8_0.gguf" ]; then
	mkdir -p "$models"
	"$venv/bin/python3" model/gen_llama_gguf.py "$models/mosaic-tiny-q8_0.gguf" --size tiny --quant q8_0
fi

# npm ci only when the lock file changed since the last install.
stamp=node_modules/.mosaic-lock
if ! cmp -s package-lock.json "$stamp" 2>/dev/null; then
	echo "==> npm ci (scripts/)"
	npm ci --no-audit --no-fund --loglevel=error
	cp package-lock.json "$stamp"
fi
