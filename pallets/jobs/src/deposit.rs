//! Every movement of a job's storage deposit: held at submission for the most state the job
//! can take, returned when its record is pruned.

use crate::{
	pallet::{BalanceOf, JobOf, MaxRequestLenOf, ResultOf},
	Config, HoldReason, Pallet,
};
use frame_support::pallet_prelude::*;
use sp_runtime::traits::Saturating;

impl<T: Config> Pallet<T> {
	/// The most bytes of state a job of `max_tokens` takes: its record, its request at the
	/// longest, and an answer of the longest output with `max_tokens` token ids.
	pub fn footprint(max_tokens: u32) -> u32 {
		let unused_ids = T::MaxOutputTokens::get().saturating_sub(max_tokens).saturating_mul(4);
		let most = JobOf::<T>::max_encoded_len()
			.saturating_add(MaxRequestLenOf::<T>::get() as usize)
			.saturating_add(ResultOf::<T>::max_encoded_len());
		u32::try_from(most).unwrap_or(u32::MAX).saturating_sub(unused_ids)
	}

	/// The deposit a job of `max_tokens` holds until its record is pruned:
	/// [`Config::DepositBase`] plus [`Config::DepositPerByte`] for each byte of its
	/// [`Pallet::footprint`]. The request's and answer's bytes leave state when the job
	/// closes; the deposit covers the most the job can take at any time.
	pub fn deposit_for(max_tokens: u32) -> BalanceOf<T> {
		T::DepositPerByte::get()
			.saturating_mul(Self::footprint(max_tokens).into())
			.saturating_add(T::DepositBase::get())
	}

	/// Holds `amount` from `owner` for a job's state.
	pub(crate) fn hold_deposit(owner: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		Self::hold_from(HoldReason::JobDeposit, owner, amount)
	}

	/// Returns the job's deposit to its owner. Returns the amount.
	pub(crate) fn release_deposit(job: &mut JobOf<T>) -> BalanceOf<T> {
		Self::release_to(HoldReason::JobDeposit, &job.owner, &mut job.deposit)
	}
}
