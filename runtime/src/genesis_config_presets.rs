//! Genesis presets: `development` (Alice validates alone) and `local_testnet` (Alice, Bob and
//! Charlie validate). In both, the well-known dev accounts are endowed, Alice is sudo and the
//! project's tiny test model is registered by Charlie (model 0). The node's `--dev` chain adds
//! Alice as a provider of it, with the node's own engine fingerprint (`node/src/chain_spec.rs`).

use crate::{
	configs::marketplace::treasury_account, AccountId, Balance, BalancesConfig, ModelsConfig,
	RuntimeGenesisConfig, SessionKeys, SudoConfig, EXISTENTIAL_DEPOSIT, MOS,
};
use alloc::{string::String, vec, vec::Vec};
use frame_support::build_struct_json_patch;
use mosaic_primitives::Quantization;
use serde_json::Value;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_core::H256;
use sp_genesis_builder::{self, PresetId};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};

/// What each endowed dev account starts with: one million MOS.
pub const ENDOWMENT: Balance = 1_000_000 * MOS;

/// The tiny test model: `scripts/model/gen_llama_gguf.py <out> --size tiny --quant q8_0`
/// writes it byte-identically (0.22 M parameters, 914-token SentencePiece vocabulary).
pub mod tiny_model {
	/// BLAKE2b-256 of the file (`b2sum -l 256`).
	pub const CONTENT_HASH: [u8; 32] = [
		0xba, 0x5e, 0xbe, 0xba, 0xae, 0xc9, 0xcc, 0x02, 0xde, 0x79, 0x3b, 0x72, 0x53, 0x54, 0xb0,
		0xf9, 0xb9, 0x70, 0xc3, 0x4a, 0xf7, 0x0a, 0x17, 0x99, 0x1d, 0xc8, 0x97, 0x7d, 0xd5, 0x9e,
		0xca, 0xb7,
	];
	/// The file's size in bytes.
	pub const SIZE: u64 = 259_968;
	/// Its trained context window.
	pub const CONTEXT_LENGTH: u32 = 256;
	/// Its registered name.
	pub const NAME: &[u8] = b"mosaic-tiny-llama-q8_0";
	/// The creator's royalty: 10 %.
	pub const ROYALTY_BPS: u16 = 1_000;
}

/// A validator: its account and its session keys.
fn validator(who: Sr25519Keyring, grandpa: Ed25519Keyring) -> (AccountId, SessionKeys) {
	let aura: AuraId = who.public().into();
	let grandpa: GrandpaId = grandpa.public().into();
	(who.to_account_id(), SessionKeys { aura, grandpa })
}

fn testnet_genesis(
	validators: Vec<(AccountId, SessionKeys)>,
	endowed_accounts: Vec<AccountId>,
	root: AccountId,
) -> Value {
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
		// Aura and GRANDPA authorities come from the session keys below.
		session: pallet_session::GenesisConfig {
			keys: validators
				.into_iter()
				.map(|(account, keys)| (account.clone(), account, keys))
				.collect::<Vec<_>>(),
		},
		sudo: SudoConfig { key: Some(root) },
		models: ModelsConfig {
			models: vec![(
				Sr25519Keyring::Charlie.to_account_id(),
				tiny_model::NAME.to_vec(),
				H256(tiny_model::CONTENT_HASH),
				tiny_model::SIZE,
				Quantization::Q8_0,
				tiny_model::CONTEXT_LENGTH,
				tiny_model::ROYALTY_BPS,
			)],
		},
	})
}

/// The development chain: Alice is the only validator.
pub fn development_config_genesis() -> Value {
	testnet_genesis(
		vec![validator(Sr25519Keyring::Alice, Ed25519Keyring::Alice)],
		dev_accounts(),
		Sr25519Keyring::Alice.to_account_id(),
	)
}

/// A local testnet: Alice, Bob and Charlie validate.
pub fn local_config_genesis() -> Value {
	testnet_genesis(
		vec![
			validator(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
			validator(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
			validator(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie),
		],
		dev_accounts(),
		Sr25519Keyring::Alice.to_account_id(),
	)
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
		_ => return None,
	};
	serde_json::to_string(&patch).ok().map(String::into_bytes)
}

/// The presets this runtime offers.
pub fn preset_names() -> Vec<PresetId> {
	vec![
		PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
		PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
	]
}

#[cfg(test)]
mod tests {
	use super::*;
	use sp_runtime::BuildStorage;

	fn build(id: &str) -> sp_io::TestExternalities {
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
			let aura = pallet_aura::Authorities::<crate::Runtime>::get();
			assert_eq!(aura.len(), 1);
			assert_eq!(aura[0], Sr25519Keyring::Alice.public().into());
			assert_eq!(crate::Grandpa::grandpa_authorities().len(), 1);
			assert_eq!(
				crate::Balances::free_balance(Sr25519Keyring::Bob.to_account_id()),
				ENDOWMENT
			);
		});
	}

	#[test]
	fn local_testnet_preset_has_three_authorities() {
		build(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET).execute_with(|| {
			assert_eq!(pallet_aura::Authorities::<crate::Runtime>::get().len(), 3);
			assert_eq!(pallet_session::Validators::<crate::Runtime>::get().len(), 3);
		});
	}

	#[test]
	fn unknown_preset_is_none() {
		assert!(get_preset(&PresetId::from("nope")).is_none());
	}
}
