//! The built-in chain specifications: `dev` and `local`.

use mosaic_runtime::{
	genesis_config_presets::{development_config_genesis, GENESIS_MODELS},
	AccountId, Balance, MOS, TOKEN_DECIMALS, TOKEN_SYMBOL, WASM_BINARY,
};
use sc_service::{ChainType, Properties};
use sp_core::{sr25519, Pair, H256};
use sp_keyring::Sr25519Keyring;

/// The generic Substrate chain spec, with genesis built from the runtime's presets.
pub type ChainSpec = sc_service::GenericChainSpec;

fn properties() -> Properties {
	let mut p = Properties::new();
	p.insert("tokenSymbol".into(), TOKEN_SYMBOL.into());
	p.insert("tokenDecimals".into(), TOKEN_DECIMALS.into());
	p.insert("ss58Format".into(), 42.into());
	p
}

fn builder(name: &str, id: &str, chain_type: ChainType, preset: &str) -> Result<ChainSpec, String> {
	let wasm = WASM_BINARY.ok_or_else(|| {
		"the runtime WASM was not built (was SKIP_WASM_BUILD set?); rebuild without it".to_string()
	})?;
	Ok(ChainSpec::builder(wasm, None)
		.with_name(name)
		.with_id(id)
		.with_chain_type(chain_type)
		.with_properties(properties())
		.with_genesis_config_preset_name(preset)
		.build())
}

/// The dev provider's operator key, derived from the dev authority's seed; `service.rs` puts
/// it in the keystore of a `--dev` node.
pub const DEV_OPERATOR_SUFFIX: &str = "//operator";
/// The dev provider's ask: one micro-MOS per token.
pub const DEV_PROVIDER_ASK: Balance = MOS / 1_000_000;
/// The dev provider's bond.
pub const DEV_PROVIDER_BOND: Balance = 10_000 * MOS;

/// The decode speed the dev provider declares, in tokens per second: well under what this
/// machine's CPU reaches on the models the dev chain serves (the tiny model runs thousands a
/// second, SmolLM2-135M about 145 on one thread), so its deadlines are never too short.
pub const DEV_PROVIDER_SPEED: u32 = 20;

/// What the dev provider declares for the models it serves, for an engine run with
/// `context` tokens of context: the whole context, at most half of it as output.
pub fn dev_serving_terms(context: u32) -> mosaic_primitives::ServingTerms {
	mosaic_primitives::ServingTerms {
		context_length: context,
		max_output_tokens: context / 2,
		tokens_per_second: DEV_PROVIDER_SPEED,
	}
}

/// `--dev`: Alice validates alone and is a provider of the genesis models (the tiny model and
/// SmolLM2-135M-Instruct: `GENESIS_MODELS`), declaring
/// `engine`, the fingerprint of this node's engine with the flags it was started with, and
/// [`dev_serving_terms`] for the engine's `context`.
pub fn development_chain_spec(engine: [u8; 32], context: u32) -> Result<ChainSpec, String> {
	let operator = sr25519::Pair::from_string(&format!("//Alice{DEV_OPERATOR_SUFFIX}"), None)
		.map_err(|e| format!("dev operator key: {e:?}"))?;
	let alice: AccountId = Sr25519Keyring::Alice.to_account_id();
	let provider = (
		alice,
		AccountId::from(operator.public()),
		DEV_PROVIDER_ASK,
		DEV_PROVIDER_BOND,
		2u16,
		8u16,
		4u16,
		H256(engine),
		(0u32..)
			.zip(GENESIS_MODELS.iter())
			.map(|(id, _)| (id, dev_serving_terms(context)))
			.collect::<Vec<_>>(),
	);
	let mut genesis = development_config_genesis();
	genesis["providers"] = serde_json::json!({ "providers": [provider] });
	let wasm = WASM_BINARY.ok_or_else(|| {
		"the runtime WASM was not built (was SKIP_WASM_BUILD set?); rebuild without it".to_string()
	})?;
	Ok(ChainSpec::builder(wasm, None)
		.with_name("Mosaic Development")
		.with_id("mosaic_dev")
		.with_chain_type(ChainType::Development)
		.with_properties(properties())
		.with_genesis_config_patch(genesis)
		.build())
}

/// `--chain local`: Alice, Bob, Charlie and Dave validate.
pub fn local_chain_spec() -> Result<ChainSpec, String> {
	builder(
		"Mosaic Local Testnet",
		"mosaic_local",
		ChainType::Local,
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET,
	)
}
