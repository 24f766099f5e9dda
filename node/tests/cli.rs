//! The `mosaic-node` binary's command line: chain specs and subcommands a validator relies on.

#![allow(clippy::expect_used)]

use std::process::Command;

const ALICE: &str = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";

fn node() -> Command {
	Command::new(env!("CARGO_BIN_EXE_mosaic-node"))
}

fn json_of(args: &[&str]) -> serde_json::Value {
	let out = node().args(args).output().expect("mosaic-node runs");
	assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
	serde_json::from_slice(&out.stdout).expect("a JSON chain spec")
}

#[test]
fn the_dev_chain_spec_has_mos_and_alice_as_sole_validator() {
	let spec = json_of(&["export-chain-spec", "--chain", "dev"]);
	assert_eq!(spec["id"], "mosaic_dev");
	assert_eq!(spec["chainType"], "Development");
	assert_eq!(spec["properties"]["tokenSymbol"], "MOS");
	assert_eq!(spec["properties"]["tokenDecimals"], 12);
	let patch = &spec["genesis"]["runtimeGenesis"]["patch"];
	// Alice alone validates; the dev accounts and the treasury are endowed.
	assert_eq!(patch["session"]["keys"].as_array().map(Vec::len), Some(1));
	assert_eq!(patch["sudo"]["key"], ALICE);
	assert!(patch["balances"]["balances"].as_array().is_some_and(|b| b.len() > 10));
}

#[test]
fn the_local_chain_spec_has_four_validators() {
	let spec = json_of(&["export-chain-spec", "--chain", "local"]);
	assert_eq!(spec["id"], "mosaic_local");
	let patch = &spec["genesis"]["runtimeGenesis"]["patch"];
	assert_eq!(patch["session"]["keys"].as_array().map(Vec::len), Some(4), "Alice … Dave validate");
	assert_eq!(patch["validators"]["validators"].as_array().map(Vec::len), Some(4));
	assert_eq!(patch["governance"]["pace"], "Fast");
}

#[test]
fn a_raw_chain_spec_carries_the_genesis_storage() {
	let spec = json_of(&["export-chain-spec", "--chain", "dev", "--raw"]);
	let top = spec["genesis"]["raw"]["top"].as_object().expect("raw genesis storage");
	// `:code` holds the runtime WASM.
	assert!(top.contains_key("0x3a636f6465"));
}

#[test]
fn key_generation_works_offline() {
	let out = node()
		.args(["key", "generate", "--scheme", "sr25519", "--output-type", "json"])
		.output()
		.expect("mosaic-node runs");
	assert!(out.status.success());
	let key: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
	assert!(key["ss58Address"].as_str().is_some_and(|a| a.len() > 40));
}

#[test]
fn an_unknown_chain_spec_path_is_a_clear_error() {
	let out = node()
		.args(["export-chain-spec", "--chain", "/nonexistent/spec.json"])
		.output()
		.expect("mosaic-node runs");
	assert!(!out.status.success());
	let err = String::from_utf8_lossy(&out.stderr);
	assert!(err.contains("spec.json") || err.contains("No such file"), "stderr: {err}");
}

#[cfg(not(feature = "runtime-benchmarks"))]
#[test]
fn benchmark_says_how_to_get_it() {
	let out = node().args(["benchmark", "pallet"]).output().expect("mosaic-node runs");
	assert!(!out.status.success());
	assert!(String::from_utf8_lossy(&out.stderr).contains("--features runtime-benchmarks"));
}
