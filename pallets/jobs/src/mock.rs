//! A runtime with the real Balances, Models, Providers, Settlement and Jobs pallets, for the
//! unit and property tests. Operator keys are ed25519 pairs; signatures are `MultiSignature`.

use crate as pallet_mosaic_jobs;
use codec::Encode;
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU128, ConstU16, ConstU32, ConstU64, Randomness},
};
use frame_system::{pallet_prelude::BlockNumberFor, EnsureRoot};
use sp_core::{ed25519, Pair, H256};
use sp_runtime::{
	traits::{IdentifyAccount, IdentityLookup},
	AccountId32, BuildStorage, MultiSignature, MultiSigner, Perbill, Permill,
};

type Block = frame_system::mocking::MockBlock<Test>;
pub type AccountId = AccountId32;
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
	pub type Models = pallet_mosaic_models;
	#[runtime::pallet_index(3)]
	pub type Providers = pallet_mosaic_providers;
	#[runtime::pallet_index(4)]
	pub type Settlement = pallet_mosaic_settlement;
	#[runtime::pallet_index(5)]
	pub type Jobs = pallet_mosaic_jobs;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountId = AccountId;
	type Lookup = IdentityLookup<AccountId>;
	type AccountData = pallet_balances::AccountData<Balance>;
}

pub const ED: Balance = 10;

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = Balance;
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
	type ExistentialDeposit = ConstU128<ED>;
}

pub const MODEL_DEPOSIT: Balance = 100;
pub const MAX_ROYALTY: u16 = 2_000;
pub const MIN_BOND: Balance = 10_000;
pub const TIMEOUT: u64 = 5;
/// The longest any job may be given (`JobTimeout`).
pub const MAX_TIMEOUT: u64 = 20;
/// Blocks every job gets besides decoding: a small job at [`TERMS`] gets `TIMEOUT`.
pub const MIN_TIMEOUT: u32 = 4;
/// The mock's block time: one second, so a speed of one token per second is a block a token.
pub const BLOCK_MS: u64 = 1_000;
/// The serving terms of test providers unless a test says otherwise: models of the tests have
/// a 128-token context; any output up to 120 tokens decodes within one block.
pub const TERMS: mosaic_primitives::ServingTerms = mosaic_primitives::ServingTerms {
	context_length: 128,
	max_output_tokens: 120,
	tokens_per_second: 1_000,
};
pub const PROTOCOL_FEE_PERCENT: u32 = 5;
/// Blocks between an answer and its payment.
pub const CHALLENGE_WINDOW: u32 = 2;

parameter_types! {
	pub const ModelDeposit: Balance = MODEL_DEPOSIT;
	pub const MinProviderBond: Balance = MIN_BOND;
	pub TreasuryAccount: AccountId = treasury();
	pub const ReporterShare: Perbill = Perbill::from_percent(10);
	pub static ProtocolFee: Permill = Permill::from_percent(PROTOCOL_FEE_PERCENT);
	pub const AbsentSlash: Perbill = Perbill::from_percent(1);
	pub const OutvotedSlash: Perbill = Perbill::from_percent(10);
	pub const FraudSlash: Perbill = Perbill::from_percent(50);
	pub static AuditChance: Perbill = Perbill::zero();
	/// Job deposits are off unless a test turns them on (most tests count free balances).
	pub static DepositBase: Balance = 0;
	pub static DepositPerByte: Balance = 0;
	/// No hot keys unless a test sets some.
	pub static HotKeys: Vec<Vec<u8>> = Vec::new();
	pub static ReceiptRetention: u64 = 1_000;
	/// Jobs a block accepts: more than the tests submit in one, unless a test lowers it.
	pub static MaxSubmissions: u32 = 64;
	pub static NewcomerAuditChance: Perbill = Perbill::zero();
}

impl pallet_mosaic_models::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RegistrationDeposit = ModelDeposit;
	type MaxRoyaltyBps = ConstU16<MAX_ROYALTY>;
	type GovernanceOrigin = EnsureRoot<AccountId>;
	type WeightInfo = ();
}

impl pallet_mosaic_providers::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Models = Models;
	type MinProviderBond = MinProviderBond;
	type UnbondingPeriod = ConstU64<10>;
	type TreasuryAccount = TreasuryAccount;
	type ReporterShare = ReporterShare;
	type MaxUnbondingChunks = ConstU32<4>;
	type MaxModelsPerProvider = ConstU32<4>;
	type MaxProvidersPerModel = ConstU32<{ pallet_mosaic_providers::index::CAPACITY }>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = BenchModels;
}

impl pallet_mosaic_settlement::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type TreasuryAccount = TreasuryAccount;
}

/// Deterministic "randomness": a hash of the subject and the block number.
pub struct TestRandomness;
impl Randomness<H256, BlockNumberFor<Test>> for TestRandomness {
	fn random(subject: &[u8]) -> (H256, BlockNumberFor<Test>) {
		let n = System::block_number();
		(H256(sp_io::hashing::blake2_256(&(subject, n).encode())), n)
	}
}

impl pallet_mosaic_jobs::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Models = Models;
	type Providers = Providers;
	type Settlement = Settlement;
	type ProtocolFee = ProtocolFee;
	type Randomness = TestRandomness;
	type AttestationSignature = MultiSignature;
	type OperatorCrypto = crate::crypto::OperatorCrypto;
	type MaxPromptLen = ConstU32<64>;
	type MaxOutputLen = ConstU32<64>;
	type MaxOutputTokens = ConstU32<120>;
	type ChallengeWindow = ConstU32<CHALLENGE_WINDOW>;
	type AuditChance = AuditChance;
	type NewcomerAuditChance = NewcomerAuditChance;
	type FraudSlash = FraudSlash;
	type JobTimeout = ConstU64<MAX_TIMEOUT>;
	type MinJobTimeout = ConstU32<MIN_TIMEOUT>;
	type MillisecsPerBlock = ConstU64<BLOCK_MS>;
	type HotKeys = HotKeys;
	type MaxJobsPerBlock = ConstU32<4>;
	type MaxSubmissionsPerBlock = MaxSubmissions;
	type AbsentSlash = AbsentSlash;
	type OutvotedSlash = OutvotedSlash;
	type DepositBase = DepositBase;
	type DepositPerByte = DepositPerByte;
	type ReceiptRetention = ReceiptRetention;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = BenchModels;
}

/// What the off-chain worker hands to the pool: an authorized (general) transaction whose
/// only extension is `AuthorizeCall`.
pub type Extrinsic = sp_runtime::generic::UncheckedExtrinsic<
	AccountId,
	RuntimeCall,
	(),
	frame_system::AuthorizeCall<Test>,
>;

impl frame_system::offchain::SigningTypes for Test {
	type Public = MultiSigner;
	type Signature = MultiSignature;
}

impl<C> frame_system::offchain::CreateTransactionBase<C> for Test
where
	RuntimeCall: From<C>,
{
	type Extrinsic = Extrinsic;
	type RuntimeCall = RuntimeCall;
}

impl<C> frame_system::offchain::CreateTransaction<C> for Test
where
	RuntimeCall: From<C>,
{
	type Extension = frame_system::AuthorizeCall<Test>;

	fn create_transaction(call: RuntimeCall, extension: Self::Extension) -> Extrinsic {
		Extrinsic::new_transaction(call, extension)
	}
}

impl<C> frame_system::offchain::CreateAuthorizedTransaction<C> for Test
where
	RuntimeCall: From<C>,
{
	fn create_extension() -> Self::Extension {
		frame_system::AuthorizeCall::new()
	}
}

/// The origin an authorized transaction dispatches with.
pub fn authorized() -> RuntimeOrigin {
	frame_system::RawOrigin::Authorized.into()
}

/// An account with no key: users, providers' cold accounts, the creator.
pub fn account(n: u8) -> AccountId {
	AccountId32::new([n; 32])
}
pub fn treasury() -> AccountId {
	account(255)
}
pub const CREATOR: u8 = 200;
pub const USER: u8 = 1;
pub const POOR_USER: u8 = 2;

/// The ed25519 operator key of provider `n`.
pub fn operator_pair(n: u8) -> ed25519::Pair {
	ed25519::Pair::from_seed(&[n.wrapping_add(100); 32])
}
pub fn operator(n: u8) -> AccountId {
	MultiSigner::from(operator_pair(n).public()).into_account()
}
/// Provider `n`'s cold account.
pub fn provider(n: u8) -> AccountId {
	account(n.wrapping_add(10))
}

/// The cold account and the operator account of the `i`-th provider beyond the numbered ones
/// (for markets of thousands; their operators have no key).
pub fn extra_provider(i: u32) -> (AccountId, AccountId) {
	let key = |tag: u8| {
		let mut raw = [tag; 32];
		raw[..4].copy_from_slice(&i.to_le_bytes());
		AccountId::new(raw)
	};
	(key(0xa0), key(0xb0))
}

pub const ENDOWMENT: Balance = 1_000_000;

/// Runs `test` on a fresh chain with users, providers 0..20 and the creator endowed, then
/// checks every pallet's invariants.
pub fn new_test_ext(test: impl FnOnce()) {
	new_test_ext_with(|_| {}, test)
}

/// [`new_test_ext`] with extensions (keystore, off-chain, inference) registered by `setup`.
pub fn new_test_ext_with(setup: impl FnOnce(&mut sp_io::TestExternalities), test: impl FnOnce()) {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let mut balances: Vec<(AccountId, Balance)> =
		(0..20).map(|n| (provider(n), ENDOWMENT)).collect();
	balances.extend((1..10).filter(|n| *n != POOR_USER).map(|n| (account(n), ENDOWMENT)));
	balances.push((account(POOR_USER), 1_000));
	balances.push((account(CREATOR), ENDOWMENT));
	balances.push((treasury(), ED));
	pallet_balances::GenesisConfig::<Test> { balances, ..Default::default() }
		.assimilate_storage(&mut storage)
		.unwrap();
	let mut ext: sp_io::TestExternalities = storage.into();
	setup(&mut ext);
	ext.execute_with(|| {
		System::set_block_number(1);
		test();
		check_invariants();
	});
}

/// Every pallet's `try_state`.
pub fn check_invariants() {
	Models::do_try_state().expect("models invariants");
	Providers::do_try_state().expect("providers invariants");
	Jobs::do_try_state().expect("jobs invariants");
	// Across the pallets: a provider in no open job has no job in flight (try_state checks
	// those in one).
	for (who, p) in pallet_mosaic_providers::Providers::<Test>::iter() {
		let holds = crate::Jobs::<Test>::iter()
			.any(|(_, j)| j.status.is_open() && j.assignments.iter().any(|a| a.provider == who));
		assert!(
			holds || p.active_jobs == 0,
			"{who:?} has {} jobs in flight in no open job",
			p.active_jobs
		);
	}
}

/// Moves to block `n`, ending each block with the jobs pallet's `on_finalize` and starting the
/// next with its `on_initialize`.
pub fn run_to_block(n: u64) {
	use frame_support::traits::Hooks;
	while System::block_number() < n {
		Jobs::on_finalize(System::block_number());
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Jobs::on_initialize(next);
	}
}

/// Benchmark helpers on the real pallets: models registered by the creator, providers with
/// ed25519 operator keys.
#[cfg(feature = "runtime-benchmarks")]
pub struct BenchModels;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_mosaic_providers::BenchmarkHelper for BenchModels {
	fn register_model(id: mosaic_primitives::ModelId) {
		use frame_support::traits::fungible::Mutate;
		let creator = account(CREATOR);
		let _ = Balances::set_balance(&creator, ENDOWMENT);
		while pallet_mosaic_models::NextModelId::<Test>::get() <= id {
			let next = pallet_mosaic_models::NextModelId::<Test>::get();
			Models::register_model(
				RuntimeOrigin::signed(creator.clone()),
				b"bench".to_vec().try_into().unwrap(),
				H256::from_low_u64_be(u64::from(next) + 1),
				1,
				mosaic_primitives::ModelSpec::llama(1, mosaic_primitives::FileType::Q4_0, u32::MAX),
				MAX_ROYALTY,
			)
			.unwrap();
		}
	}
}

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId, MultiSignature> for BenchModels {
	fn setup_market(providers: u32) -> mosaic_primitives::ModelId {
		use frame_support::traits::fungible::Mutate;
		use pallet_mosaic_providers::BenchmarkHelper as _;
		Self::register_model(0);
		let _ = Balances::set_balance(&treasury(), ED);
		for i in 0..providers {
			// The first 256 have operator keys that `sign` uses; the rest only fill the market.
			let (who, op) = match u8::try_from(i) {
				Ok(n) => (provider(n), operator(n)),
				Err(_) => extra_provider(i),
			};
			let _ = Balances::set_balance(&who, ENDOWMENT);
			Providers::register_provider(
				RuntimeOrigin::signed(who.clone()),
				pallet_mosaic_providers::HardwareProfile {
					cpu_cores: 1,
					ram_gib: 1,
					gpu: None,
					max_concurrent_jobs: 64,
					engine: H256::repeat_byte(0xee),
				},
				1,
				op,
				MIN_BOND,
			)
			.unwrap();
			let terms = mosaic_primitives::ServingTerms {
				context_length: 1_000_000,
				max_output_tokens: 100_000,
				tokens_per_second: 1_000_000,
			};
			Providers::serve_model(RuntimeOrigin::signed(who), 0, terms).unwrap();
		}
		0
	}

	fn sign(who: &AccountId, message: &[u8]) -> (AccountId, MultiSignature) {
		let n = (0..=u8::MAX).find(|n| &provider(*n) == who).unwrap();
		(operator(n), MultiSignature::Ed25519(operator_pair(n).sign(message)))
	}
}

/// A fresh chain for the benchmark test suite.
#[cfg(feature = "runtime-benchmarks")]
pub fn new_bench_ext() -> sp_io::TestExternalities {
	let mut ext: sp_io::TestExternalities =
		frame_system::GenesisConfig::<Test>::default().build_storage().unwrap().into();
	ext.execute_with(|| System::set_block_number(1));
	ext
}
