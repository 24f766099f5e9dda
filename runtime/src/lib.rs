//! # Mosaic runtime
//!
//! The state transition function of the Mosaic chain: a marketplace for LLM inference in which
//! providers bond MOS, serve registered GGUF models, and are paid from users' escrow.
//!
//! Layout follows the solochain template: [`configs`] holds one file per concern, [`apis`]
//! implements the runtime APIs, [`genesis_config_presets`] the `development` and
//! `local_testnet` presets.

#![cfg_attr(not(feature = "std"), no_std)]
// `construct_runtime` and `impl_runtime_apis` expand to arithmetic and indexing we do not own.
#![allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

pub mod apis;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarks;
pub mod configs;
pub mod genesis_config_presets;
pub mod governance;
mod marketplace_api;
mod versions;

extern crate alloc;

use alloc::vec::Vec;

use sp_runtime::{
	generic, impl_opaque_keys,
	traits::{BlakeTwo256, IdentifyAccount, Verify},
	MultiAddress, MultiSignature,
};
use sp_version::RuntimeVersion;

pub use frame_system::Call as SystemCall;
pub use pallet_balances::Call as BalancesCall;
pub use pallet_mosaic_jobs::Call as JobsCall;
pub use pallet_timestamp::Call as TimestampCall;
#[cfg(any(feature = "std", test))]
pub use sp_runtime::BuildStorage;

/// Opaque types for the client side, which must not depend on the runtime's concrete types.
pub mod opaque {
	use super::*;
	use sp_runtime::traits::Hash as HashT;

	pub use sp_runtime::OpaqueExtrinsic as UncheckedExtrinsic;

	/// Opaque block header type.
	pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
	/// Opaque block type.
	pub type Block = generic::Block<Header, UncheckedExtrinsic>;
	/// Opaque block identifier type.
	pub type BlockId = generic::BlockId<Block>;
	/// Opaque block hash type.
	pub type Hash = <BlakeTwo256 as HashT>::Output;
}

impl_opaque_keys! {
	/// The keys a validator registers through `Session::set_keys`.
	pub struct SessionKeys {
		pub babe: Babe,
		pub grandpa: Grandpa,
	}
}

#[cfg(not(feature = "upgrade-test"))]
#[sp_version::runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("mosaic"),
	impl_name: alloc::borrow::Cow::Borrowed("mosaic-node"),
	authoring_version: 1,
	spec_version: 111,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 4,
	system_version: 1,
};

/// The runtime the forkless-upgrade test enacts: this one with the next `spec_version` and
/// nothing else changed (built by `build.rs` with the `upgrade-test` feature).
#[cfg(feature = "upgrade-test")]
#[sp_version::runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("mosaic"),
	impl_name: alloc::borrow::Cow::Borrowed("mosaic-node"),
	authoring_version: 1,
	spec_version: 112,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 4,
	system_version: 1,
};

/// Target block time: a block every 6 seconds. The slot duration cannot change after genesis.
pub const MILLI_SECS_PER_BLOCK: u64 = 6000;
/// BABE slot duration, equal to the block time.
pub const SLOT_DURATION: u64 = MILLI_SECS_PER_BLOCK;

/// Blocks per minute.
pub const MINUTES: BlockNumber = 60_000 / (MILLI_SECS_PER_BLOCK as BlockNumber);
/// Blocks per hour.
pub const HOURS: BlockNumber = MINUTES * 60;
/// Blocks per day.
pub const DAYS: BlockNumber = HOURS * 24;

/// The token, MOS, has 12 decimals: one MOS is 10^12 planck.
pub const TOKEN_DECIMALS: u8 = 12;
/// The token symbol.
pub const TOKEN_SYMBOL: &str = "MOS";
/// One MOS.
pub const MOS: Balance = 1_000_000_000_000;
/// A thousandth of a MOS.
pub const MILLI_MOS: Balance = MOS / 1_000;
/// A millionth of a MOS.
pub const MICRO_MOS: Balance = MOS / 1_000_000;

/// Existential deposit: accounts holding less are reaped.
pub const EXISTENTIAL_DEPOSIT: Balance = MILLI_MOS;

/// Transaction signature: sr25519, ed25519 or ecdsa.
pub type Signature = MultiSignature;
/// An account is identified by the public key of its signature scheme.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;
/// Balance of an account, in planck.
pub type Balance = u128;
/// Index of a transaction in the chain.
pub type Nonce = u32;
/// A hash of some data used by the chain.
pub type Hash = sp_core::H256;
/// A block number.
pub type BlockNumber = u32;
/// The address format for describing accounts.
pub type Address = MultiAddress<AccountId, ()>;
/// Block header type as expected by this runtime.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
/// Block type as expected by this runtime.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;
/// A block signed with a justification.
pub type SignedBlock = generic::SignedBlock<Block>;
/// BlockId type as expected by this runtime.
pub type BlockId = generic::BlockId<Block>;

/// The transaction extensions, checked in order for every signed transaction.
pub type TxExtension = (
	// First: lets the pallets authorize some calls themselves (providers' answers and
	// declines, see `pallet_mosaic_jobs`), which then dispatch with no signer, nonce or fee.
	frame_system::AuthorizeCall<Runtime>,
	frame_system::CheckNonZeroSender<Runtime>,
	frame_system::CheckSpecVersion<Runtime>,
	frame_system::CheckTxVersion<Runtime>,
	frame_system::CheckGenesis<Runtime>,
	frame_system::CheckEra<Runtime>,
	frame_system::CheckNonce<Runtime>,
	frame_system::CheckWeight<Runtime>,
	// Calls may be fee-less (`#[pallet::feeless_if]`); authorized calls pay no fee anyway.
	pallet_skip_feeless_payment::SkipCheckIfFeeless<
		Runtime,
		pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
	>,
	frame_metadata_hash_extension::CheckMetadataHash<Runtime>,
	frame_system::WeightReclaim<Runtime>,
);

/// Unchecked extrinsic type as expected by this runtime.
pub type UncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;

/// The payload being signed in transactions.
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;

/// Migrations of the runtime, aside from those declared in the pallets.
#[allow(unused_parens)]
type Migrations = (
	pallet_mosaic_providers::migrations::MigrateV1ToV2<Runtime>,
	pallet_mosaic_models::migrations::MigrateV0ToV1<Runtime>,
	pallet_mosaic_jobs::migrations::MigrateV5ToV6<Runtime>,
);

/// Executive: dispatches to the pallets.
pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
	Migrations,
>;

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Runtime;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;
	#[runtime::pallet_index(1)]
	pub type Timestamp = pallet_timestamp;
	#[runtime::pallet_index(2)]
	pub type Balances = pallet_balances;
	#[runtime::pallet_index(3)]
	pub type TransactionPayment = pallet_transaction_payment;

	// Consensus. Session must come before Babe and Grandpa: it rotates their authority sets (and
	// asks Babe whether an epoch ends).
	#[runtime::pallet_index(10)]
	pub type Session = pallet_session;
	#[runtime::pallet_index(11)]
	pub type Babe = pallet_babe;
	#[runtime::pallet_index(12)]
	pub type Grandpa = pallet_grandpa;
	#[runtime::pallet_index(13)]
	pub type Validators = pallet_mosaic_validators;

	// Utilities.
	#[runtime::pallet_index(20)]
	pub type Sudo = pallet_sudo;
	#[runtime::pallet_index(21)]
	pub type Utility = pallet_utility;
	#[runtime::pallet_index(23)]
	pub type SkipFeelessPayment = pallet_skip_feeless_payment;

	// The marketplace.
	#[runtime::pallet_index(30)]
	pub type Models = pallet_mosaic_models;
	#[runtime::pallet_index(31)]
	pub type Providers = pallet_mosaic_providers;
	#[runtime::pallet_index(32)]
	pub type Jobs = pallet_mosaic_jobs;
	#[runtime::pallet_index(33)]
	pub type Settlement = pallet_mosaic_settlement;
	#[runtime::pallet_index(34)]
	pub type Sessions = pallet_mosaic_sessions;

	// Governance.
	#[runtime::pallet_index(40)]
	pub type Preimage = pallet_preimage;
	#[runtime::pallet_index(41)]
	pub type Scheduler = pallet_scheduler;
	#[runtime::pallet_index(42)]
	pub type Referenda = pallet_referenda;
	#[runtime::pallet_index(43)]
	pub type ConvictionVoting = pallet_conviction_voting;
	#[runtime::pallet_index(44)]
	pub type Parameters = pallet_parameters;
	#[runtime::pallet_index(45)]
	pub type Governance = crate::governance::pallet;
	#[runtime::pallet_index(46)]
	pub type Treasury = pallet_treasury;
}
