//! Benchmarks of the provider registry (benchmarks v2), each at its worst case.

// Set-up code: a failure is a bug in the benchmark and must abort it.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::arithmetic_side_effects)]

use super::*;
use crate::pallet::{BalanceOf, Call, Config, Operators, Pallet, Providers, SlotOf};
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{
		fungible::{Inspect, Mutate},
		Get,
	},
	BoundedVec,
};
use frame_system::RawOrigin;
use sp_core::H256;
use sp_runtime::traits::{Saturating, UniqueSaturatedInto};

/// Models registered for benchmarks: the runtime provides them through this helper.
pub trait BenchmarkHelper {
	/// Makes model `id` exist in the registry.
	fn register_model(id: mosaic_primitives::ModelId);
}

impl BenchmarkHelper for () {
	fn register_model(_: mosaic_primitives::ModelId) {}
}

fn funded<T: Config>(name: &'static str, i: u32) -> T::AccountId {
	let who: T::AccountId = account(name, i, 0);
	let amount = T::MinProviderBond::get()
		.saturating_mul(1_000u32.into())
		.saturating_add(T::Currency::minimum_balance());
	let _ = T::Currency::set_balance(&who, amount);
	who
}

fn profile() -> HardwareProfile {
	HardwareProfile {
		cpu_cores: 64,
		ram_gib: 512,
		gpu: Some(Gpu { model: BoundedVec::truncate_from(alloc::vec![b'g'; 32]), vram_gib: 141 }),
		max_concurrent_jobs: 16,
		engine: H256::repeat_byte(0xee),
	}
}

fn bond<T: Config>() -> BalanceOf<T> {
	T::MinProviderBond::get().saturating_mul(10u32.into())
}

fn terms() -> mosaic_primitives::ServingTerms {
	mosaic_primitives::ServingTerms {
		context_length: 4_096,
		max_output_tokens: 2_048,
		tokens_per_second: 20,
	}
}

/// A registered provider serving `models` models, each between two other providers' slots (so
/// that removing it moves the last slot into its place).
fn provider<T: Config>(models: u32) -> T::AccountId {
	let who = funded::<T>("provider", 0);
	let op: T::AccountId = account("operator", 0, 0);
	Pallet::<T>::register_provider(
		RawOrigin::Signed(who.clone()).into(),
		profile(),
		1u32.into(),
		op,
		bond::<T>(),
	)
	.expect("registering works");
	for m in 0..models {
		T::BenchmarkHelper::register_model(m);
		other::<T>(m, 0);
		Pallet::<T>::serve_model(RawOrigin::Signed(who.clone()).into(), m, terms())
			.expect("serving works");
		other::<T>(m, 1);
	}
	who
}

/// Another provider's slot in model `m` (only its slot: the index costs the same whatever
/// the number of slots).
fn other<T: Config>(m: mosaic_primitives::ModelId, i: u32) {
	Pallet::<T>::add_slot(m, &account("other", i, m), bond::<T>().unique_saturated_into());
}

fn unbonding<T: Config>(who: &T::AccountId, chunks: u32) {
	Pallet::<T>::pause(RawOrigin::Signed(who.clone()).into()).expect("pausing works");
	for i in 0..chunks {
		frame_system::Pallet::<T>::set_block_number((i + 1).into());
		Pallet::<T>::unbond(RawOrigin::Signed(who.clone()).into(), 1u32.into())
			.expect("unbonding works");
	}
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register_provider() {
		let who = funded::<T>("provider", 0);
		let op: T::AccountId = account("operator", 0, 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), profile(), 1u32.into(), op, bond::<T>());
		assert!(Providers::<T>::contains_key(&who));
	}

	#[benchmark]
	fn update_profile() {
		let who = provider::<T>(0);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), profile(), 2u32.into());
		assert_eq!(Providers::<T>::get(&who).map(|p| p.ask), Some(2u32.into()));
	}

	#[benchmark]
	fn set_operator_key() {
		let who = provider::<T>(0);
		let new: T::AccountId = account("operator", 1, 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), new.clone());
		assert_eq!(Operators::<T>::get(&new), Some(who));
	}

	#[benchmark]
	fn serve_model() {
		let m = T::MaxModelsPerProvider::get().saturating_sub(1);
		let who = provider::<T>(m);
		T::BenchmarkHelper::register_model(m);
		other::<T>(m, 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), m, terms());
		assert!(SlotOf::<T>::contains_key(m, &who));
	}

	#[benchmark]
	fn stop_serving() {
		let m = T::MaxModelsPerProvider::get();
		let who = provider::<T>(m);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), 0);
		assert!(!SlotOf::<T>::contains_key(0, &who));
	}

	#[benchmark]
	fn pause() {
		let who = provider::<T>(T::MaxModelsPerProvider::get());
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert_eq!(Providers::<T>::get(&who).map(|p| p.status), Some(ProviderStatus::Paused));
	}

	#[benchmark]
	fn resume() {
		let who = provider::<T>(T::MaxModelsPerProvider::get());
		Pallet::<T>::pause(RawOrigin::Signed(who.clone()).into()).expect("pausing works");
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert_eq!(Providers::<T>::get(&who).map(|p| p.status), Some(ProviderStatus::Active));
	}

	#[benchmark]
	fn bond_extra() {
		let who = provider::<T>(T::MaxModelsPerProvider::get());
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), 10u32.into());
	}

	#[benchmark]
	fn unbond() {
		let who = provider::<T>(T::MaxModelsPerProvider::get());
		unbonding::<T>(&who, T::MaxUnbondingChunks::get().saturating_sub(1));
		// Active again, so that its weight in the index of every model changes.
		Pallet::<T>::resume(RawOrigin::Signed(who.clone()).into()).expect("resuming works");
		frame_system::Pallet::<T>::set_block_number(1_000u32.into());
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), 1u32.into());
		assert_eq!(
			Providers::<T>::get(&who).map(|p| p.unbonding.len() as u32),
			Some(T::MaxUnbondingChunks::get())
		);
	}

	#[benchmark]
	fn withdraw_unbonded(c: Linear<1, { T::MaxUnbondingChunks::get() }>) {
		let who = provider::<T>(0);
		unbonding::<T>(&who, c);
		frame_system::Pallet::<T>::set_block_number(
			T::UnbondingPeriod::get().saturating_add(1_000u32.into()),
		);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert_eq!(Providers::<T>::get(&who).map(|p| p.unbonding.len()), Some(0));
	}

	#[benchmark]
	fn deregister(m: Linear<0, { T::MaxModelsPerProvider::get() }>) {
		let who = provider::<T>(m);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert_eq!(Providers::<T>::get(&who).map(|p| p.status), Some(ProviderStatus::Leaving));
	}

	#[benchmark]
	fn set_endpoint() {
		let who = provider::<T>(0);
		let host = alloc::vec![b'a'; crate::MAX_ENDPOINT_LEN as usize - 6];
		let url = [b"wss://".as_slice(), &host].concat();
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), Some(url));
		assert!(crate::Endpoints::<T>::contains_key(&who));
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_bench_ext(), crate::mock::Test);
}
