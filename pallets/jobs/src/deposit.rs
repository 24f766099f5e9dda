//! Every movement of a job's storage deposit: held at submission for the most state the job
//! can take (with the job's escrow, in one hold: `holds.rs`), returned when its record is
//! pruned.

use crate::{
	pallet::{BalanceOf, JobOf, MaxRequestLenOf, ResultOf},
	Config, HoldReason, OneHoldFrom, Pallet,
};
use frame_support::pallet_prelude::*;
use mosaic_primitives::JobId;
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

	/// Where a job's deposit is held: with its escrow under [`HoldReason::Job`], or, for a job
	/// submitted before storage version 6, on its own (see [`crate::OneHoldFrom`]).
	pub(crate) fn deposit_reason(job_id: JobId) -> HoldReason {
		if job_id < OneHoldFrom::<T>::get() {
			HoldReason::JobDepositBeforeV6
		} else {
			HoldReason::Job
		}
	}

	/// Returns the job's deposit to its owner. Returns the amount.
	pub(crate) fn release_deposit(job_id: JobId, job: &mut JobOf<T>) -> BalanceOf<T> {
		Self::release_to(Self::deposit_reason(job_id), &job.owner, &mut job.deposit)
	}
}
