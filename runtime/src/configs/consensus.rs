//! Block production (Aura), finality (GRANDPA) and the validator set (Session).
//!
//! Validators register their Aura and GRANDPA keys with `Session::set_keys`; the session pallet
//! hands each new set to Aura and GRANDPA at session boundaries. The set is governed:
//! `pallet_mosaic_validators` (configured in `configs::governance`) is the session manager, and
//! a change reaches Aura and GRANDPA about two sessions after it is made.

use frame_support::{
	parameter_types,
	traits::{ConstBool, ConstU32, ConstU64},
};
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_runtime::traits::ConvertInto;

use crate::{
	governance::ByPace, AccountId, Balances, BlockNumber, Runtime, RuntimeEvent, SessionKeys,
	Validators, HOURS,
};

/// Upper bound on the number of validators.
pub type MaxAuthorities = ConstU32<32>;

parameter_types! {
	/// A session lasts one hour at production pace …
	pub const SessionPeriodProduction: BlockNumber = HOURS;
	/// … and ten blocks (one minute) on development and local chains.
	pub const SessionPeriodFast: BlockNumber = 10;
	pub const SessionOffset: BlockNumber = 0;
}

/// The session length at this chain's pace.
pub type SessionPeriod = ByPace<SessionPeriodProduction, SessionPeriodFast>;

impl pallet_aura::Config for Runtime {
	type AuthorityId = AuraId;
	type DisabledValidators = ();
	type MaxAuthorities = MaxAuthorities;
	type AllowMultipleBlocksPerSlot = ConstBool<false>;
	type SlotDuration = pallet_aura::MinimumPeriodTimesTwo<Runtime>;
}

impl pallet_grandpa::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = ();
	type MaxAuthorities = MaxAuthorities;
	type MaxNominators = ConstU32<0>;
	type MaxSetIdSessionEntries = ConstU64<0>;
	type KeyOwnerProof = sp_core::Void;
	type EquivocationReportSystem = ();
}

impl pallet_session::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type ValidatorId = AccountId;
	type ValidatorIdOf = ConvertInto;
	type ShouldEndSession = pallet_session::PeriodicSessions<SessionPeriod, SessionOffset>;
	type NextSessionRotation = pallet_session::PeriodicSessions<SessionPeriod, SessionOffset>;
	type SessionManager = Validators;
	type SessionHandler = <SessionKeys as sp_runtime::traits::OpaqueKeys>::KeyTypeIdProviders;
	type Keys = SessionKeys;
	type DisablingStrategy = ();
	type WeightInfo = pallet_session::weights::SubstrateWeight<Runtime>;
	type Currency = Balances;
	/// Setting keys holds no deposit: only validators have a reason to set them.
	type KeyDeposit = frame_support::traits::ConstU128<0>;
}
