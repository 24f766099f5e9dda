//! A runtime with Balances, Providers, Settlement and Sessions for the unit tests: the real
//! pallets for the money and the providers, a stub registry of models, and a draw that takes
//! the candidates the providers pallet lists (the jobs pallet's weighted draw is tested there).

use crate as pallet_mosaic_sessions;
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU128, ConstU32, ConstU64},
	weights::Weight,
};
use mosaic_primitives::{
	Candidate, DrawProvider, JobNeeds, ModelId, ModelRegistry, ModelTerms, ModelUnavailable,
	NoProvider, ProviderRegistry, ServingTerms,
};
use pallet_mosaic_providers::HardwareProfile;
use sp_core::{sr25519, Pair, H256};
use sp_runtime::{BuildStorage, Perbill, Permill};

type Block = frame_system::mocking::MockBlock<Test>;
pub type AccountId = u64;
pub type Balance = u128;

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
	pub struct Test;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;
	#[runtime::pallet_index(1)]
	pub type Balances = pallet_balances;
	#[runtime::pallet_index(2)]
	pub type Providers = pallet_mosaic_providers;
	#[runtime::pallet_index(3)]
	pub type Settlement = pallet_mosaic_settlement;
	#[runtime::pallet_index(4)]
	pub type Sessions = pallet_mosaic_sessions;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountId = AccountId;
	type Lookup = sp_runtime::traits::IdentityLookup<AccountId>;
	type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = Balance;
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

/// The model everyone serves, with a context of `CONTEXT` and a 10 % royalty.
pub const MODEL: ModelId = 0;
/// A deprecated model.
pub const DEPRECATED: ModelId = 1;
/// A model nobody serves.
pub const UNSERVED: ModelId = 2;
pub const CONTEXT: u32 = 1_024;
pub const ROYALTY_BPS: u16 = 1_000;

pub struct TestModels;
impl ModelRegistry<AccountId> for TestModels {
	fn terms_for_new_job(model: ModelId) -> Result<ModelTerms<AccountId>, ModelUnavailable> {
		match model {
			DEPRECATED => Err(ModelUnavailable::Deprecated),
			MODEL | UNSERVED => Ok(ModelTerms {
				content_hash: H256::repeat_byte(model as u8 + 1),
				creator: CREATOR,
				royalty_bps: ROYALTY_BPS,
				context_length: CONTEXT,
				chat: false,
			}),
			_ => Err(ModelUnavailable::Unknown),
		}
	}
	fn exists(model: ModelId) -> bool {
		model <= UNSERVED
	}
}

/// Draws the first candidate the providers pallet lists, and says why there is none as the
/// jobs pallet's draw does.
pub struct TestDraw;
impl DrawProvider<AccountId, Balance> for TestDraw {
	fn draw_provider(
		owner: &AccountId,
		model: ModelId,
		bid: Balance,
		needs: &JobNeeds,
		_subject: &[u8],
	) -> Result<Candidate<AccountId, Balance>, NoProvider> {
		let exclude = [*owner];
		if let Some(c) = Providers::candidates(model, bid, needs, &exclude).into_iter().next() {
			return Ok(c);
		}
		if !Providers::candidates(model, Balance::MAX, needs, &exclude).is_empty() {
			Err(NoProvider::BidBelowEveryAsk)
		} else if !Providers::candidates(model, Balance::MAX, &JobNeeds::SMALLEST, &exclude)
			.is_empty()
		{
			Err(NoProvider::NotCovered)
		} else {
			Err(NoProvider::NoneEligible)
		}
	}
	fn draw_weight() -> Weight {
		Weight::zero()
	}
}

parameter_types! {
	pub const Treasury: AccountId = TREASURY;
	pub const ReporterShare: Perbill = Perbill::from_percent(10);
	pub const ProtocolFee: Permill = Permill::from_percent(5);
	pub const MinBond: Balance = 1_000;
}

impl pallet_mosaic_providers::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Models = TestModels;
	type MinProviderBond = MinBond;
	type UnbondingPeriod = ConstU64<10>;
	type TreasuryAccount = Treasury;
	type ReporterShare = ReporterShare;
	type MaxUnbondingChunks = ConstU32<3>;
	type MaxModelsPerProvider = ConstU32<3>;
	type MaxProvidersPerModel = ConstU32<8>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = ();
}

impl pallet_mosaic_settlement::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type TreasuryAccount = Treasury;
}

pub const MIN_LIFETIME: u64 = 10;
pub const MAX_LIFETIME: u64 = 1_000;
pub const WINDOW: u64 = 5;
pub const GRACE: u64 = 20;
pub const DEPOSIT: Balance = 50;
pub const MAX_OUTPUT: u32 = 512;

impl pallet_mosaic_sessions::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Models = TestModels;
	type Providers = Providers;
	type Draw = TestDraw;
	type Settlement = Settlement;
	type ProtocolFee = ProtocolFee;
	/// `TestSignature(signer, message)` verifies for `signer`'s account over `message`.
	type AttestationSignature = sp_runtime::testing::TestSignature;
	type SessionSignature = sr25519::Signature;
	type MaxOutputTokens = ConstU32<MAX_OUTPUT>;
	type MinLifetime = ConstU64<MIN_LIFETIME>;
	type MaxLifetime = ConstU64<MAX_LIFETIME>;
	type ClosingWindow = ConstU64<WINDOW>;
	type Grace = ConstU64<GRACE>;
	type SessionDeposit = ConstU128<DEPOSIT>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = ();
}

#[cfg(feature = "runtime-benchmarks")]
impl
	crate::BenchmarkHelper<
		AccountId,
		sr25519::Public,
		sr25519::Signature,
		sp_runtime::testing::TestSignature,
	> for ()
{
	fn setup_market() -> ModelId {
		MODEL
	}
	fn session_key() -> sr25519::Public {
		session_pair().public()
	}
	fn sign(_key: &sr25519::Public, message: &[u8]) -> sr25519::Signature {
		session_pair().sign(message)
	}
	fn operator_sign(_provider: &AccountId, message: &[u8]) -> sp_runtime::testing::TestSignature {
		sp_runtime::testing::TestSignature(OPERATOR, message.to_vec())
	}
}

pub const OWNER: AccountId = 1;
pub const OTHER: AccountId = 2;
/// The one provider serving `MODEL`, asking `ASK` a token.
pub const PROVIDER: AccountId = 10;
pub const OPERATOR: AccountId = 11;
pub const CREATOR: AccountId = 30;
pub const TREASURY: AccountId = 99;
pub const POOR: AccountId = 40;
pub const ASK: Balance = 3;
pub const ENDOWMENT: Balance = 100_000;

/// The session key the tests sign vouchers with.
pub fn session_pair() -> sr25519::Pair {
	sr25519::Pair::from_seed(&[7; 32])
}

/// Runs `test` on a chain where `PROVIDER` serves `MODEL` at `ASK` (context `CONTEXT / 2`, output up to `CONTEXT / 2 - 1`),
/// then checks the pallet's invariants.
pub fn new_test_ext(test: impl FnOnce()) {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![
			(OWNER, ENDOWMENT),
			(OTHER, ENDOWMENT),
			(PROVIDER, ENDOWMENT),
			(CREATOR, 1),
			(TREASURY, 1),
			(POOR, 100),
		],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext: sp_io::TestExternalities = storage.into();
	ext.execute_with(|| {
		System::set_block_number(1);
		let profile = HardwareProfile {
			cpu_cores: 8,
			ram_gib: 32,
			gpu: None,
			max_concurrent_jobs: 4,
			engine: H256::repeat_byte(0xee),
		};
		Providers::register_provider(
			RuntimeOrigin::signed(PROVIDER),
			profile,
			ASK,
			OPERATOR,
			MinBond::get(),
		)
		.unwrap();
		let terms = ServingTerms {
			context_length: CONTEXT / 2,
			max_output_tokens: CONTEXT / 2 - 1,
			tokens_per_second: 100,
		};
		Providers::serve_model(RuntimeOrigin::signed(PROVIDER), MODEL, terms).unwrap();
		System::reset_events();
		test();
		Sessions::do_try_state().expect("invariants hold");
	});
}

/// The origin an authorized transaction dispatches with.
pub fn authorized() -> RuntimeOrigin {
	frame_system::RawOrigin::Authorized.into()
}
