//! Builds the runtime's WASM blob (embedded in the native crate as `WASM_BINARY`).

#[cfg(all(feature = "std", feature = "metadata-hash"))]
fn main() {
	substrate_wasm_builder::WasmBuilder::init_with_defaults()
		.enable_metadata_hash("MOS", 12)
		.build();
}

#[cfg(all(feature = "std", not(feature = "metadata-hash")))]
fn main() {
	substrate_wasm_builder::WasmBuilder::build_using_defaults();
	// With MOSAIC_UPGRADE_RUNTIME=1 (scripts/lib/env.sh sets it), also the same runtime with
	// the next `spec_version` (feature `upgrade-test`), which the forkless-upgrade test
	// (scripts/tests/upgrade.test.mjs) enacts through a referendum. Only the runtime crate is
	// compiled a second time: its dependencies are shared.
	println!("cargo:rerun-if-env-changed=MOSAIC_UPGRADE_RUNTIME");
	if std::env::var("MOSAIC_UPGRADE_RUNTIME").is_ok_and(|v| v == "1") {
		substrate_wasm_builder::WasmBuilder::init_with_defaults()
			.enable_feature("upgrade-test")
			.set_file_name("mosaic_runtime_upgrade")
			.build();
	}
}

/// Nothing to build when this crate is itself compiled for WASM.
#[cfg(not(feature = "std"))]
fn main() {}
