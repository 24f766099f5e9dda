//! A runtime with Balances and Providers, and a stand-in model registry, for the unit tests.

use crate as pallet_mosaic_providers;
use crate::{Gpu, HardwareProfile};
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU32, ConstU64},
};
use mosaic_primitives::{ModelId, ModelRegistry, ModelTerms, ModelUnavailable};
use sp_core::H256;
use sp_runtime::{BuildStorage, Perbill};

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

/// Models 0..MODELS exist; model `DEPRECATED` exists but is deprecated.
pub const MODELS: ModelId = 5;
pub const DEPRECATED: ModelId = 4;

pub struct TestModels;
impl ModelRegistry<AccountId> for TestModels {
	fn terms_for_new_job(model: ModelId) -> Result<ModelTerms<AccountId>, ModelUnavailable> {
		match model {
			DEPRECATED => Err(ModelUnavailable::Deprecated),
			m if m < MODELS => Ok(ModelTerms {
				content_hash: H256::repeat_byte(m as u8),
				creator: CREATOR,
				royalty_bps: 0,
				context_length: 256,
				chat: false,
			}),
			_ => Err(ModelUnavailable::Unknown),
		}
	}
	fn exists(model: ModelId) -> bool {
		model < MODELS
	}
}

pub const MIN_BOND: Balance = 1_000;
pub const UNBONDING: u64 = 10;

parameter_types! {
	pub static MinProviderBond: Balance = MIN_BOND;
	pub static MaxProvidersPerModel: u32 = 3;
	pub const Treasury: AccountId = TREASURY;
	pub const ReporterShare: Perbill = Perbill::from_percent(10);
}

impl pallet_mosaic_providers::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Models = TestModels;
	type MinProviderBond = MinProviderBond;
	type UnbondingPeriod = ConstU64<UNBONDING>;
	type TreasuryAccount = Treasury;
	type ReporterShare = ReporterShare;
	type MaxUnbondingChunks = ConstU32<3>;
	type MaxModelsPerProvider = ConstU32<3>;
	type MaxProvidersPerModel = MaxProvidersPerModel;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = ();
}

pub const P1: AccountId = 1;
pub const P2: AccountId = 2;
pub const P3: AccountId = 3;
pub const P4: AccountId = 4;
pub const OP1: AccountId = 11;
pub const OP2: AccountId = 12;
pub const OP3: AccountId = 13;
pub const OP4: AccountId = 14;
pub const REPORTER: AccountId = 20;
pub const CREATOR: AccountId = 30;
pub const TREASURY: AccountId = 99;
pub const POOR: AccountId = 40;

pub const ENDOWMENT: Balance = 100_000;

pub fn profile() -> HardwareProfile {
	HardwareProfile {
		cpu_cores: 8,
		ram_gib: 32,
		gpu: Some(Gpu { model: b"NVIDIA H200".to_vec().try_into().unwrap(), vram_gib: 141 }),
		max_concurrent_jobs: 2,
		engine: H256::repeat_byte(0xee),
	}
}

/// Runs `test` on a fresh chain, then checks the pallet's invariants.
pub fn new_test_ext(test: impl FnOnce()) {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![
			(P1, ENDOWMENT),
			(P2, ENDOWMENT),
			(P3, ENDOWMENT),
			(P4, ENDOWMENT),
			(REPORTER, 1),
			(TREASURY, 1),
			(POOR, 500),
		],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext: sp_io::TestExternalities = storage.into();
	ext.execute_with(|| {
		System::set_block_number(1);
		test();
		Providers::do_try_state().expect("invariants hold");
	});
}

/// A fresh chain for the benchmark test suite.
#[cfg(feature = "runtime-benchmarks")]
pub fn new_bench_ext() -> sp_io::TestExternalities {
	frame_system::GenesisConfig::<Test>::default().build_storage().unwrap().into()
}
