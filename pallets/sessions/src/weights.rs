//! Weights for `pallet_mosaic_sessions`: replaced by `scripts/benchmark.sh pallet_mosaic_sessions`.

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]
#![allow(dead_code)]

use frame_support::{traits::Get, weights::{Weight, constants::RocksDbWeight}};
use core::marker::PhantomData;

/// Weight functions needed for `pallet_mosaic_sessions`.
pub trait WeightInfo {
	fn open_session() -> Weight;
	fn top_up() -> Weight;
	fn post_voucher() -> Weight;
	fn close_session() -> Weight;
	fn settle_session() -> Weight;
}

/// Not measured yet.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn open_session() -> Weight { Weight::from_parts(1_000_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(10, 4)) }
	fn top_up() -> Weight { Weight::from_parts(1_000_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(3, 3)) }
	fn post_voucher() -> Weight { Weight::from_parts(1_000_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(3, 1)) }
	fn close_session() -> Weight { Weight::from_parts(1_000_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(3, 1)) }
	fn settle_session() -> Weight { Weight::from_parts(1_000_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(6, 6)) }
}

impl WeightInfo for () {
	fn open_session() -> Weight { Weight::zero() }
	fn top_up() -> Weight { Weight::zero() }
	fn post_voucher() -> Weight { Weight::zero() }
	fn close_session() -> Weight { Weight::zero() }
	fn settle_session() -> Weight { Weight::zero() }
}
