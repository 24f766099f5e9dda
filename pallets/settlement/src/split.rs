//! The split of one provider payment, as pure arithmetic.
//!
//! For a payment `cost = tokens × price`:
//! - `royalty  = ⌊cost × royalty_bps / 10 000⌋`
//! - `fee      = ⌊cost × protocol_fee⌋` (per-mill), capped at `cost − royalty`
//! - `provider = cost − royalty − fee`
//!
//! Both shares round down and the provider receives the remainder, so the three parts always
//! add up to `cost` exactly: no unit is created or lost.

use mosaic_primitives::{BasisPoints, BPS_DENOMINATOR};
use sp_runtime::{traits::AtLeast32BitUnsigned, Perbill, Permill};

/// The three parts of one payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Split<Balance> {
	pub royalty: Balance,
	pub protocol_fee: Balance,
	pub provider: Balance,
}

/// Splits `cost` between the creator's royalty, the protocol fee and the provider.
pub fn split<Balance: AtLeast32BitUnsigned + Copy>(
	cost: Balance,
	royalty_bps: BasisPoints,
	protocol_fee: Permill,
) -> Split<Balance> {
	let bps = u32::from(royalty_bps).min(BPS_DENOMINATOR);
	// bps / 10 000 is exactly bps × 100 000 parts per billion.
	let royalty = Perbill::from_parts(bps.saturating_mul(100_000)).mul_floor(cost);
	let protocol_fee = protocol_fee.mul_floor(cost).min(cost.saturating_sub(royalty));
	let provider = cost.saturating_sub(royalty).saturating_sub(protocol_fee);
	Split { royalty, protocol_fee, provider }
}

#[cfg(test)]
mod tests {
	use super::*;

	fn check(cost: u128, bps: u16, fee: Permill) -> Split<u128> {
		let s = split(cost, bps, fee);
		assert_eq!(s.royalty + s.protocol_fee + s.provider, cost, "parts add up to the cost");
		s
	}

	#[test]
	fn one_token_at_one_unit_goes_to_the_provider() {
		assert_eq!(
			check(1, 1_000, Permill::from_percent(5)),
			Split { royalty: 0, protocol_fee: 0, provider: 1 }
		);
	}

	#[test]
	fn royalty_zero_and_at_the_cap() {
		let fee = Permill::from_percent(5);
		assert_eq!(check(10_000, 0, fee), Split { royalty: 0, protocol_fee: 500, provider: 9_500 });
		assert_eq!(
			check(10_000, 2_000, fee),
			Split { royalty: 2_000, protocol_fee: 500, provider: 7_500 }
		);
	}

	#[test]
	fn rounding_goes_to_the_provider() {
		// 999 × 3.33 % = 33.2667 → 33; 999 × 2.5 % = 24.975 → 24.
		assert_eq!(
			check(999, 333, Permill::from_rational(25u32, 1000u32)),
			Split { royalty: 33, protocol_fee: 24, provider: 942 }
		);
	}

	#[test]
	fn maximum_values_do_not_overflow() {
		let s = check(u128::MAX, 2_000, Permill::from_percent(5));
		assert_eq!(s.royalty, u128::MAX / 5);
		let s = check(u128::MAX, u16::MAX, Permill::one());
		assert_eq!(s, Split { royalty: u128::MAX, protocol_fee: 0, provider: 0 });
	}

	#[test]
	fn fee_never_exceeds_what_the_royalty_leaves() {
		assert_eq!(
			check(100, 10_000, Permill::from_percent(50)),
			Split { royalty: 100, protocol_fee: 0, provider: 0 }
		);
		assert_eq!(
			check(100, 6_000, Permill::from_percent(50)),
			Split { royalty: 60, protocol_fee: 40, provider: 0 }
		);
	}

	#[test]
	fn parts_add_up_over_many_values() {
		// A deterministic sweep over costs, royalties and fees, edges included.
		let costs = [0u128, 1, 2, 3, 7, 99, 100, 101, 9_999, 10_000, 10_001, 1 << 64, u128::MAX];
		let bps = [0u16, 1, 333, 2_000, 9_999, 10_000];
		let fees = [0u32, 1, 25_000, 50_000, 999_999, 1_000_000];
		for &c in &costs {
			for &b in &bps {
				for &f in &fees {
					let s = check(c, b, Permill::from_parts(f));
					assert!(s.royalty <= c && s.protocol_fee <= c && s.provider <= c);
				}
			}
		}
	}
}
