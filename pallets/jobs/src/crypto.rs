//! Operator keys as the off-chain worker uses them: sr25519 keys of key type `mosc`
//! ([`mosaic_primitives::OPERATOR_KEY_TYPE`]) in the node's keystore.
//!
//! An operator key signs attestations and declines; the transactions carrying them are
//! authorized by the pallet on those signatures, with no signer of their own. Insert one with `mosaic-node key insert --key-type mosc --scheme sr25519`; dev chains
//! generate `//<Name>//operator` for their `--alice`-style authority.

use mosaic_primitives::OPERATOR_KEY_TYPE;
use sp_runtime::{
	app_crypto::{app_crypto, sr25519},
	MultiSignature, MultiSigner,
};

app_crypto!(sr25519, OPERATOR_KEY_TYPE);

/// Signs with the keystore's operator keys, for runtimes whose accounts are `MultiSigner`s.
pub struct OperatorCrypto;

impl frame_system::offchain::AppCrypto<MultiSigner, MultiSignature> for OperatorCrypto {
	type RuntimeAppPublic = Public;
	type GenericSignature = sp_core::sr25519::Signature;
	type GenericPublic = sp_core::sr25519::Public;
}
