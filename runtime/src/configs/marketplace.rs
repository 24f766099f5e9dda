//! The marketplace: models, providers, jobs and settlement.
//!
//! Every economic parameter is a governance parameter, defined with its default and its
//! bounds in `configs::parameters`; this file wires them in.

use frame_support::{
	parameter_types,
	traits::{ConstU32, ConstU64},
	PalletId,
};
use frame_system::EnsureRoot;
use sp_runtime::{traits::AccountIdConversion, MultiSignature};

use crate::{
	AccountId, Balance, Balances, Jobs, Models, Providers, Runtime, RuntimeEvent,
	RuntimeHoldReason, Settlement,
};

/// The treasury's account: receives protocol fees and slashed bonds.
pub const TREASURY_PALLET_ID: PalletId = PalletId(*b"mos/trsy");

/// The treasury's account id.
pub fn treasury_account() -> AccountId {
	TREASURY_PALLET_ID.into_account_truncating()
}

pub use super::parameters::marketplace::{
	AbsentSlash, AuditChance, FraudSlash, JobDepositBase, JobDepositPerByte, JobTimeout,
	MaxRoyaltyBps, MinJobTimeout, MinProviderBond, ModelRegistrationDeposit, NewcomerAuditChance,
	OutvotedSlash, ProtocolFee, ReporterShare, UnbondingPeriod,
};

parameter_types! {
	/// Where fees and slashes go.
	pub TreasuryAccount: AccountId = treasury_account();
}

impl pallet_mosaic_models::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RegistrationDeposit = ModelRegistrationDeposit;
	type MaxRoyaltyBps = MaxRoyaltyBps;
	type GovernanceOrigin = EnsureRoot<AccountId>;
	type WeightInfo = pallet_mosaic_models::weights::SubstrateWeight<Runtime>;
}

impl pallet_mosaic_providers::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Models = Models;
	type MinProviderBond = MinProviderBond;
	type UnbondingPeriod = UnbondingPeriod;
	type TreasuryAccount = TreasuryAccount;
	type ReporterShare = ReporterShare;
	type MaxUnbondingChunks = ConstU32<16>;
	type MaxModelsPerProvider = ConstU32<16>;
	type MaxProvidersPerModel = ConstU32<{ pallet_mosaic_providers::index::CAPACITY }>;
	type WeightInfo = pallet_mosaic_providers::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = benchmark_helpers::Market;
}

impl pallet_mosaic_settlement::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type TreasuryAccount = TreasuryAccount;
}

/// Most tokens one job, or one request of a session, generates.
const MAX_OUTPUT_TOKENS: u32 = 4096;

/// Due jobs the jobs pallet's hook processes a block.
const MAX_JOBS_PER_BLOCK: u32 = 256;
/// Jobs a block accepts.
const MAX_SUBMISSIONS_PER_BLOCK: u32 = MAX_JOBS_PER_BLOCK / 3;
// Every job comes due two to four times (see `MaxSubmissionsPerBlock`): a block may not
// accept more than the queue processes while they all come due three times.
const _: () = assert!(MAX_SUBMISSIONS_PER_BLOCK * 3 <= MAX_JOBS_PER_BLOCK);

impl pallet_mosaic_jobs::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Models = Models;
	type Providers = Providers;
	type Settlement = Settlement;
	type ProtocolFee = ProtocolFee;
	type Randomness = crate::configs::consensus::BlockVrfRandomness;
	type AttestationSignature = MultiSignature;
	type OperatorCrypto = pallet_mosaic_jobs::crypto::OperatorCrypto;
	/// 4 KiB of prompt.
	type MaxPromptLen = ConstU32<4096>;
	/// 16 KiB of output.
	type MaxOutputLen = ConstU32<16384>;
	/// 4,096 tokens of output at most (their ids travel with the answer, for audits).
	type MaxOutputTokens = ConstU32<MAX_OUTPUT_TOKENS>;
	/// Two blocks (12 s) between an answer and its payment; the audit draw closes them.
	type ChallengeWindow = ConstU32<2>;
	type AuditChance = AuditChance;
	type NewcomerAuditChance = NewcomerAuditChance;
	type FraudSlash = FraudSlash;
	type JobTimeout = JobTimeout;
	type MinJobTimeout = MinJobTimeout;
	type MillisecsPerBlock = ConstU64<{ crate::MILLI_SECS_PER_BLOCK }>;
	/// Due jobs decided per block (a challenge window closing, a deadline passing); the rest
	/// wait a block. Its weight is charged as it is used; 256 is about a tenth of a block.
	type MaxJobsPerBlock = ConstU32<MAX_JOBS_PER_BLOCK>;
	/// A third of the due jobs a block decides (see the assertion below).
	type MaxSubmissionsPerBlock = ConstU32<MAX_SUBMISSIONS_PER_BLOCK>;
	type HotKeys = crate::configs::parameters::SubmissionParameterKeys;
	type AbsentSlash = AbsentSlash;
	type OutvotedSlash = OutvotedSlash;
	type DepositBase = JobDepositBase;
	type DepositPerByte = JobDepositPerByte;
	/// A closed job's receipt stays a day, then its record is pruned and its deposit
	/// returned (its request and answer left state when it closed).
	type ReceiptRetention = ConstU32<{ crate::DAYS }>;
	type WeightInfo = pallet_mosaic_jobs::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = benchmark_helpers::Market;
}

/// A session's state deposit: the jobs' deposit for as many bytes as a session record takes.
pub struct SessionDeposit;
impl frame_support::traits::Get<Balance> for SessionDeposit {
	fn get() -> Balance {
		use codec::MaxEncodedLen;
		let bytes = pallet_mosaic_sessions::SessionOf::<Runtime>::max_encoded_len() as Balance;
		JobDepositBase::get().saturating_add(JobDepositPerByte::get().saturating_mul(bytes))
	}
}

impl pallet_mosaic_sessions::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Models = Models;
	type Providers = Providers;
	/// The jobs' executor draw.
	type Draw = Jobs;
	type Settlement = Settlement;
	type ProtocolFee = ProtocolFee;
	/// Operator keys sign commitments as they sign the jobs' attestations.
	type AttestationSignature = MultiSignature;
	/// Session keys are sr25519, as a browser or the gateway generates them.
	type SessionSignature = sp_core::sr25519::Signature;
	type MaxOutputTokens = ConstU32<MAX_OUTPUT_TOKENS>;
	/// A minute (by pace: 5 blocks on a fast chain).
	type MinLifetime = crate::governance::ByPace<ConstU32<{ crate::MINUTES }>, ConstU32<5>>;
	/// A week.
	type MaxLifetime = ConstU32<{ 7 * crate::DAYS }>;
	/// Ten minutes for the provider's node to answer a close with its latest voucher (by
	/// pace: 5 blocks on a fast chain, so the tests see a session settle).
	type ClosingWindow = crate::governance::ByPace<ConstU32<{ 10 * crate::MINUTES }>, ConstU32<5>>;
	/// An hour after an unclosed session's expiry (by pace: 10 blocks).
	type Grace = crate::governance::ByPace<ConstU32<{ crate::HOURS }>, ConstU32<10>>;
	type SessionDeposit = SessionDeposit;
	type WeightInfo = pallet_mosaic_sessions::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = benchmark_helpers::Market;
}

#[cfg(feature = "runtime-benchmarks")]
mod benchmark_helpers {
	use super::*;
	use crate::MOS;
	use frame_benchmarking::account;
	use frame_support::traits::fungible::Mutate;
	use frame_support::traits::Get;
	use mosaic_primitives::{FileType, ModelId, ModelSpec, OPERATOR_KEY_TYPE};
	use sp_core::{sr25519, H256};

	/// Sets up models and providers through the real pallets, with operator keys in the
	/// benchmark keystore.
	pub struct Market;

	fn fund(who: &AccountId) {
		let _ = Balances::set_balance(who, 1_000_000 * MOS);
	}

	impl pallet_mosaic_providers::BenchmarkHelper for Market {
		fn register_model(id: ModelId) {
			let creator: AccountId = account("creator", 0, 0);
			fund(&creator);
			while pallet_mosaic_models::NextModelId::<Runtime>::get() <= id {
				let next = pallet_mosaic_models::NextModelId::<Runtime>::get();
				let _ = Models::register_model(
					crate::RuntimeOrigin::signed(creator.clone()),
					b"bench".to_vec().try_into().unwrap_or_default(),
					H256(sp_io::hashing::blake2_256(&next.to_le_bytes())),
					1,
					ModelSpec::llama(1, FileType::Q4_0, u32::MAX),
					MaxRoyaltyBps::get(),
				);
			}
		}
	}

	impl pallet_mosaic_jobs::BenchmarkHelper<AccountId, MultiSignature> for Market {
		fn setup_market(providers: u32) -> ModelId {
			use pallet_mosaic_providers::BenchmarkHelper as _;
			// A model of its own (the dev genesis already has model 0, with a small context).
			let model = pallet_mosaic_models::NextModelId::<Runtime>::get();
			Self::register_model(model);
			fund(&treasury_account());
			for i in 0..providers {
				let who: AccountId = account("provider", i, 0);
				fund(&who);
				let public = sp_io::crypto::sr25519_generate(OPERATOR_KEY_TYPE, None);
				let operator = AccountId::from(public.0);
				let _ = Providers::register_provider(
					crate::RuntimeOrigin::signed(who.clone()),
					pallet_mosaic_providers::HardwareProfile {
						cpu_cores: 1,
						ram_gib: 1,
						gpu: None,
						max_concurrent_jobs: u16::MAX,
						engine: H256::repeat_byte(0xee),
					},
					1,
					operator,
					MinProviderBond::get(),
				);
				let terms = mosaic_primitives::ServingTerms {
					context_length: u32::MAX,
					max_output_tokens: u32::MAX - 1,
					tokens_per_second: u32::MAX,
				};
				let _ = Providers::serve_model(crate::RuntimeOrigin::signed(who), model, terms);
			}
			model
		}

		fn sign(provider: &AccountId, message: &[u8]) -> (AccountId, MultiSignature) {
			let operator = pallet_mosaic_providers::Providers::<Runtime>::get(provider)
				.map(|p| p.operator)
				.unwrap_or_else(|| provider.clone());
			let public = sr25519::Public::from_raw(operator.clone().into());
			let signature = sp_io::crypto::sr25519_sign(OPERATOR_KEY_TYPE, &public, message)
				.unwrap_or_else(|| sr25519::Signature::from_raw([0; 64]));
			(operator, MultiSignature::Sr25519(signature))
		}
	}

	/// The key type session keys are generated under in the benchmark keystore.
	const SESSION_KEY_TYPE: sp_core::crypto::KeyTypeId = sp_core::crypto::KeyTypeId(*b"msss");

	impl
		pallet_mosaic_sessions::BenchmarkHelper<
			AccountId,
			sr25519::Public,
			sr25519::Signature,
			MultiSignature,
		> for Market
	{
		fn setup_market() -> ModelId {
			<Self as pallet_mosaic_jobs::BenchmarkHelper<AccountId, MultiSignature>>::setup_market(
				1,
			)
		}

		fn session_key() -> sr25519::Public {
			sp_io::crypto::sr25519_generate(SESSION_KEY_TYPE, None)
		}

		fn sign(key: &sr25519::Public, message: &[u8]) -> sr25519::Signature {
			sp_io::crypto::sr25519_sign(SESSION_KEY_TYPE, key, message)
				.unwrap_or_else(|| sr25519::Signature::from_raw([0; 64]))
		}

		fn operator_sign(provider: &AccountId, message: &[u8]) -> MultiSignature {
			<Self as pallet_mosaic_jobs::BenchmarkHelper<AccountId, MultiSignature>>::sign(
				provider, message,
			)
			.1
		}
	}
}
