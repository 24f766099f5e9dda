//! OpenGov (preimages, scheduler, referenda, conviction voting), marketplace parameters,
//! the treasury and the validator set. The tracks are in `governance::tracks`.
//!
//! Periods marked "by pace" are long at `Pace::Production` and a few blocks at `Pace::Fast`
//! (development and local chains), chosen at genesis: see `governance::pallet::Pace`.

use frame_support::{
	parameter_types,
	traits::{
		fungible::HoldConsideration,
		tokens::{PayFromAccount, UnityAssetBalanceConversion},
		ConstU32, Contains, EitherOf, EqualPrivilegeOnly, LinearStoragePrice,
	},
	weights::Weight,
};
use frame_system::{EnsureRoot, EnsureRootWithSuccess, EnsureSigned};
use sp_runtime::{traits::IdentityLookup, Perbill};

use super::{
	marketplace::{TreasuryAccount, TREASURY_PALLET_ID},
	RuntimeBlockWeights,
};
use crate::{
	governance::{origins, tracks::Tracks, ByPace},
	AccountId, Balance, Balances, BlockNumber, OriginCaller, Preimage, Referenda, Runtime,
	RuntimeCall, RuntimeEvent, RuntimeHoldReason, RuntimeOrigin, Scheduler, Treasury, DAYS, MOS,
};

parameter_types! {
	/// Held for a noted preimage: 1 MOS plus 0.01 MOS per byte.
	pub const PreimageBaseDeposit: Balance = MOS;
	pub const PreimageByteDeposit: Balance = MOS / 100;
	pub const PreimageHoldReason: RuntimeHoldReason =
		RuntimeHoldReason::Preimage(pallet_preimage::HoldReason::Preimage);
}

impl pallet_preimage::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = pallet_preimage::weights::SubstrateWeight<Runtime>;
	type Currency = Balances;
	type ManagerOrigin = EnsureRoot<AccountId>;
	type Consideration = HoldConsideration<
		AccountId,
		Balances,
		PreimageHoldReason,
		LinearStoragePrice<PreimageBaseDeposit, PreimageByteDeposit, Balance>,
	>;
}

parameter_types! {
	/// Enacted proposals may use 80 % of a block.
	pub MaximumSchedulerWeight: Weight =
		Perbill::from_percent(80) * RuntimeBlockWeights::get().max_block;
}

impl pallet_scheduler::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeOrigin = RuntimeOrigin;
	type PalletsOrigin = OriginCaller;
	type RuntimeCall = RuntimeCall;
	type MaximumWeight = MaximumSchedulerWeight;
	/// Only referenda (and Root) schedule.
	type ScheduleOrigin = EnsureRoot<AccountId>;
	type OriginPrivilegeCmp = EqualPrivilegeOnly;
	type MaxScheduledPerBlock = ConstU32<50>;
	type WeightInfo = pallet_scheduler::weights::SubstrateWeight<Runtime>;
	type Preimages = Preimage;
	type BlockNumberProvider = frame_system::Pallet<Runtime>;
}

parameter_types! {
	/// Held (reserved) from whoever submits a referendum, refunded unless it is killed.
	pub const SubmissionDeposit: Balance = 100 * MOS;
	pub const UndecidingTimeoutProduction: BlockNumber = 14 * DAYS;
	pub const UndecidingTimeoutFast: BlockNumber = 20;
	pub const VoteLockingPeriodProduction: BlockNumber = 7 * DAYS;
	pub const VoteLockingPeriodFast: BlockNumber = 10;
}

impl pallet_referenda::Config for Runtime {
	type RuntimeCall = RuntimeCall;
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = pallet_referenda::weights::SubstrateWeight<Runtime>;
	type Scheduler = Scheduler;
	type Currency = Balances;
	/// Any account may submit on any track, with the submission deposit.
	type SubmitOrigin = frame_support::traits::AsEnsureOriginWithArg<EnsureSigned<AccountId>>;
	type CancelOrigin = EitherOf<EnsureRoot<AccountId>, origins::ReferendumCanceller>;
	type KillOrigin = EnsureRoot<AccountId>;
	/// Deposits of killed referenda go to the treasury.
	type Slash = Treasury;
	type Votes = pallet_conviction_voting::VotesOf<Runtime>;
	type Tally = pallet_conviction_voting::TallyOf<Runtime>;
	type SubmissionDeposit = SubmissionDeposit;
	type MaxQueued = ConstU32<100>;
	/// A referendum without a decision deposit for this long is timed out (by pace).
	type UndecidingTimeout = ByPace<UndecidingTimeoutProduction, UndecidingTimeoutFast>;
	type AlarmInterval = frame_support::traits::ConstU32<1>;
	type Tracks = Tracks;
	type Preimages = Preimage;
	type BlockNumberProvider = frame_system::Pallet<Runtime>;
}

impl pallet_conviction_voting::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = pallet_conviction_voting::weights::SubstrateWeight<Runtime>;
	/// Votes lock balance (held bonds count: providers vote with their stake).
	type Currency = Balances;
	type Polls = Referenda;
	/// Support is measured against the active issuance (the treasury's pot is inactive).
	type MaxTurnout = frame_support::traits::ActiveIssuanceOf<Balances, AccountId>;
	type MaxVotes = ConstU32<512>;
	/// One conviction unit locks for this long (by pace).
	type VoteLockingPeriod = ByPace<VoteLockingPeriodProduction, VoteLockingPeriodFast>;
	type BlockNumberProvider = frame_system::Pallet<Runtime>;
	type VotingHooks = ();
}

impl pallet_parameters::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeParameters = super::parameters::RuntimeParameters;
	/// Only `Governance::set_parameter`, after checking bounds.
	type AdminOrigin = origins::ParametersAdmin;
	type WeightInfo = ();
}

impl crate::governance::pallet::Config for Runtime {
	type ParameterOrigin = EitherOf<EnsureRoot<AccountId>, origins::ParameterAdmin>;
}

parameter_types! {
	pub const TreasuryPalletId: frame_support::PalletId = TREASURY_PALLET_ID;
	pub const SpendPeriod: BlockNumber = 6 * DAYS;
	/// A spend must be paid out within 30 days of becoming valid.
	pub const PayoutPeriod: BlockNumber = 30 * DAYS;
	pub const MaxBalance: Balance = Balance::MAX;
}

impl pallet_treasury::Config for Runtime {
	type Currency = Balances;
	type RejectOrigin = EnsureRoot<AccountId>;
	type RuntimeEvent = RuntimeEvent;
	type SpendPeriod = SpendPeriod;
	/// Nothing is burnt: unspent funds stay.
	type Burn = ();
	type PalletId = TreasuryPalletId;
	type BurnDestination = ();
	type WeightInfo = pallet_treasury::weights::SubstrateWeight<Runtime>;
	type SpendFunds = ();
	type MaxApprovals = ConstU32<100>;
	/// Root spends anything; the treasurer track up to `origins::MAX_TREASURER_SPEND`.
	type SpendOrigin = EitherOf<EnsureRootWithSuccess<AccountId, MaxBalance>, origins::Spender>;
	type AssetKind = ();
	type Beneficiary = AccountId;
	type BeneficiaryLookup = IdentityLookup<AccountId>;
	type Paymaster = PayFromAccount<Balances, TreasuryAccount>;
	type BalanceConverter = UnityAssetBalanceConversion;
	type PayoutPeriod = PayoutPeriod;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = ();
	type BlockNumberProvider = frame_system::Pallet<Runtime>;
}

/// The accounts with session keys registered (`Session::set_keys`).
pub struct HasSessionKeys;
impl Contains<AccountId> for HasSessionKeys {
	fn contains(who: &AccountId) -> bool {
		pallet_session::NextKeys::<Runtime>::contains_key(who)
	}
}

impl pallet_mosaic_validators::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type AdminOrigin = EitherOf<EnsureRoot<AccountId>, origins::ValidatorAdmin>;
	type HasSessionKeys = HasSessionKeys;
	/// Four at production pace: GRANDPA finalises with more than two thirds, and four is the
	/// smallest set that survives the loss of one (review N21); one on development chains.
	type MinValidators = crate::governance::ByPace<ConstU32<4>, ConstU32<1>>;
	type MaxValidators = super::consensus::MaxAuthorities;
	type WeightInfo = pallet_mosaic_validators::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = SessionKeysForBenchmarks;
}

/// Registers made-up session keys for benchmark accounts.
#[cfg(feature = "runtime-benchmarks")]
pub struct SessionKeysForBenchmarks;
#[cfg(feature = "runtime-benchmarks")]
impl pallet_mosaic_validators::BenchmarkHelper<AccountId> for SessionKeysForBenchmarks {
	fn set_session_keys(who: &AccountId) {
		use codec::Decode;
		let raw = sp_io::hashing::blake2_256(who.as_ref());
		// 64 bytes always decode as the two 32-byte public keys.
		if let Ok(keys) = crate::SessionKeys::decode(&mut &[raw, raw].concat()[..]) {
			pallet_session::NextKeys::<Runtime>::insert(who, keys);
		}
	}
}
