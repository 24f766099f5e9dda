//! How a job's holds move, whichever kind of money they keep (the escrow in `escrow.rs`, the
//! state deposit in `deposit.rs`): held from the owner, and a recorded amount released back.

use crate::{pallet::BalanceOf, Config, Error, HoldReason, Pallet};
use frame_support::{
	pallet_prelude::*,
	traits::{fungible::MutateHold, tokens::Precision},
};
use sp_runtime::traits::Zero;

impl<T: Config> Pallet<T> {
	/// Holds `amount` from `owner` under `reason`, or [`Error::InsufficientBalance`].
	pub(crate) fn hold_from(
		reason: HoldReason,
		owner: &T::AccountId,
		amount: BalanceOf<T>,
	) -> DispatchResult {
		T::Currency::hold(&reason.into(), owner, amount)
			.map_err(|_| Error::<T>::InsufficientBalance.into())
	}

	/// Releases the amount a job records as held under `reason` to its owner and zeroes the
	/// record. Returns what was released.
	pub(crate) fn release_to(
		reason: HoldReason,
		owner: &T::AccountId,
		recorded: &mut BalanceOf<T>,
	) -> BalanceOf<T> {
		let amount = core::mem::take(recorded);
		if amount.is_zero() {
			return amount;
		}
		match T::Currency::release(&reason.into(), owner, amount, Precision::BestEffort) {
			Ok(released) => {
				if released != amount {
					frame_support::defensive!("less was held than the job recorded");
				}
				released
			}
			Err(_) => {
				frame_support::defensive!("releasing a job's hold failed");
				Zero::zero()
			}
		}
	}
}
