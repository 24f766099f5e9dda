//! Weights for `pallet_mosaic_validators`.
//!
//! Hand-written upper bounds until `scripts/benchmark.sh pallet_mosaic_validators` regenerates
//! this file from the benchmarks in `benchmarking.rs`: each call reads the set (at most
//! `MaxValidators` 32-byte accounts) and one session-keys entry, and writes two values.

#![allow(missing_docs)]

use core::marker::PhantomData;
use frame_support::{traits::Get, weights::Weight};

/// Weight functions needed for `pallet_mosaic_validators`.
pub trait WeightInfo {
	fn add_validator() -> Weight;
	fn remove_validator() -> Weight;
}

/// Weights for `pallet_mosaic_validators` using the Mosaic node and recommended hardware.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn add_validator() -> Weight {
		Weight::from_parts(40_000_000, 4_000)
			.saturating_add(T::DbWeight::get().reads(2_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	fn remove_validator() -> Weight {
		Weight::from_parts(40_000_000, 4_000)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
}

impl WeightInfo for () {
	fn add_validator() -> Weight {
		Weight::from_parts(40_000_000, 4_000)
	}
	fn remove_validator() -> Weight {
		Weight::from_parts(40_000_000, 4_000)
	}
}
