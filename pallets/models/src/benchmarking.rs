//! Benchmarks of the model registry (benchmarks v2).

// Set-up code: a failure is a bug in the benchmark and must abort it.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::arithmetic_side_effects)]

use super::*;
use crate::pallet::{Call, Config, ModelByHash, Models, NextModelId, Pallet};
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{
		fungible::{Inspect, Mutate},
		Get,
	},
	BoundedVec,
};
use frame_system::RawOrigin;
use mosaic_primitives::{FileType, ModelSpec, MAX_ARCHITECTURE_LEN};
use sp_core::H256;
use sp_runtime::traits::Saturating;

fn funded<T: Config>(name: &'static str) -> T::AccountId {
	let who: T::AccountId = account(name, 0, 0);
	let amount = T::RegistrationDeposit::get()
		.saturating_mul(1_000u32.into())
		.saturating_add(T::Currency::minimum_balance());
	let _ = T::Currency::set_balance(&who, amount);
	who
}

fn max_name() -> BoundedVec<u8, MaxNameLen> {
	BoundedVec::truncate_from(alloc::vec![b'm'; <MaxNameLen as Get<u32>>::get() as usize])
}

fn register<T: Config>(creator: &T::AccountId) -> mosaic_primitives::ModelId {
	let id = NextModelId::<T>::get();
	Pallet::<T>::register_model(
		RawOrigin::Signed(creator.clone()).into(),
		max_name(),
		H256::repeat_byte(7),
		1 << 30,
		ModelSpec::llama(1 << 30, FileType::Q4_0, 4096),
		0,
	)
	.expect("registering works");
	id
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register_model() {
		let creator = funded::<T>("creator");
		#[extrinsic_call]
		_(
			RawOrigin::Signed(creator),
			max_name(),
			H256::repeat_byte(1),
			1 << 30,
			ModelSpec {
				architecture: alloc::vec![b'a'; MAX_ARCHITECTURE_LEN as usize],
				parameters: 1 << 30,
				file_type: FileType::Q8_0,
				context_length: 4096,
				chat_template: Some(H256::repeat_byte(2)),
			},
			T::MaxRoyaltyBps::get(),
		);
		assert!(ModelByHash::<T>::contains_key(H256::repeat_byte(1)));
	}

	#[benchmark]
	fn set_royalty() {
		let creator = funded::<T>("creator");
		let id = register::<T>(&creator);
		#[extrinsic_call]
		_(RawOrigin::Signed(creator), id, T::MaxRoyaltyBps::get());
		assert_eq!(Models::<T>::get(id).map(|m| m.royalty_bps), Some(T::MaxRoyaltyBps::get()));
	}

	#[benchmark]
	fn deprecate() {
		let creator = funded::<T>("creator");
		let id = register::<T>(&creator);
		#[extrinsic_call]
		_(RawOrigin::Signed(creator), id);
		assert_eq!(Models::<T>::get(id).map(|m| m.status), Some(ModelStatus::Deprecated));
	}

	#[benchmark]
	fn remove_model() {
		let creator = funded::<T>("creator");
		let id = register::<T>(&creator);
		Pallet::<T>::deprecate(RawOrigin::Signed(creator.clone()).into(), id)
			.expect("deprecating works");
		#[extrinsic_call]
		_(RawOrigin::Signed(creator), id);
		assert!(!Models::<T>::contains_key(id));
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_bench_ext(), crate::mock::Test);
}
