//! A runtime with only the validator set, for the unit tests. Session keys are a set the
//! tests fill.

use crate as pallet_mosaic_validators;
use core::cell::RefCell;
use frame_support::{derive_impl, traits::Contains};
use frame_system::EnsureRoot;
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;
pub type AccountId = u64;

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
	pub type Validators = pallet_mosaic_validators;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountId = AccountId;
	type Lookup = sp_runtime::traits::IdentityLookup<AccountId>;
}

thread_local! {
	static KEYS: RefCell<Vec<AccountId>> = const { RefCell::new(Vec::new()) };
}

/// Registers (or, with `false`, purges) `who`'s session keys.
pub fn set_keys(who: AccountId, has: bool) {
	KEYS.with(|k| {
		let mut k = k.borrow_mut();
		k.retain(|w| *w != who);
		if has {
			k.push(who);
		}
	});
}

pub struct HasKeys;
impl Contains<AccountId> for HasKeys {
	fn contains(who: &AccountId) -> bool {
		KEYS.with(|k| k.borrow().contains(who))
	}
}

pub const MIN: u32 = 2;
pub const MAX: u32 = 4;

impl pallet_mosaic_validators::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type AdminOrigin = EnsureRoot<AccountId>;
	type HasSessionKeys = HasKeys;
	type MinValidators = frame_support::traits::ConstU32<MIN>;
	type MaxValidators = frame_support::traits::ConstU32<MAX>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = BenchKeys;
}

#[cfg(feature = "runtime-benchmarks")]
pub struct BenchKeys;
#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<AccountId> for BenchKeys {
	fn set_session_keys(who: &AccountId) {
		set_keys(*who, true);
	}
}

/// The genesis validators; all have keys.
pub const GENESIS: [AccountId; 2] = [1, 2];

/// Runs `test` on a chain whose genesis set is [`GENESIS`], then checks the invariants.
pub fn new_test_ext(test: impl FnOnce()) {
	KEYS.with(|k| k.borrow_mut().clear());
	for v in GENESIS {
		set_keys(v, true);
	}
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_mosaic_validators::GenesisConfig::<Test> { validators: GENESIS.to_vec() }
		.assimilate_storage(&mut storage)
		.unwrap();
	let mut ext: sp_io::TestExternalities = storage.into();
	ext.execute_with(|| {
		System::set_block_number(1);
		test();
		Validators::do_try_state().expect("invariants hold");
	});
}

/// A fresh chain for the benchmark test suite.
#[cfg(feature = "runtime-benchmarks")]
pub fn new_bench_ext() -> sp_io::TestExternalities {
	frame_system::GenesisConfig::<Test>::default().build_storage().unwrap().into()
}
