//! Benchmarks of the validator set (benchmarks v2), each at a full set.

// Set-up code: a failure is a bug in the benchmark and must abort it.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::arithmetic_side_effects)]

use super::*;
use crate::pallet::{Call, Config, Pallet, Validators};
use frame_benchmarking::v2::*;
use frame_support::traits::{EnsureOrigin, Get};

/// What the runtime provides for the benchmarks.
pub trait BenchmarkHelper<AccountId> {
	/// Registers session keys for `who`.
	fn set_session_keys(who: &AccountId);
}

/// Fills the set with `n` members that have session keys.
fn fill<T: Config>(n: u32) {
	let members: alloc::vec::Vec<T::AccountId> = (0..n)
		.map(|i| {
			let who: T::AccountId = account("validator", i, 0);
			T::BenchmarkHelper::set_session_keys(&who);
			who
		})
		.collect();
	Validators::<T>::put(frame_support::BoundedVec::try_from(members).expect("within bounds"));
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn add_validator() {
		fill::<T>(T::MaxValidators::get() - 1);
		let who: T::AccountId = account("candidate", 0, 0);
		T::BenchmarkHelper::set_session_keys(&who);
		let origin = T::AdminOrigin::try_successful_origin().expect("an admin origin");

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, who.clone());

		assert!(Validators::<T>::get().contains(&who));
	}

	#[benchmark]
	fn remove_validator() {
		fill::<T>(T::MaxValidators::get());
		// The last member: the search walks the whole set.
		let who: T::AccountId = account("validator", T::MaxValidators::get() - 1, 0);
		let origin = T::AdminOrigin::try_successful_origin().expect("an admin origin");

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, who.clone());

		assert!(!Validators::<T>::get().contains(&who));
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_bench_ext(), crate::mock::Test);
}
