//! Every movement of a job's escrow: held at submission (with the job's deposit, in one hold:
//! `holds.rs`), refunded, handed over to settlement.

use crate::{
	pallet::{BalanceOf, JobOf},
	Config, Error, HoldReason, Pallet,
};
use frame_support::pallet_prelude::*;
use mosaic_primitives::{EscrowId, JobId, Payment, Receipt, Settle};
use sp_runtime::traits::{CheckedMul, Zero};

impl<T: Config> Pallet<T> {
	/// `max_tokens × bid`, or [`Error::EscrowOverflow`].
	pub(crate) fn escrow_for(
		max_tokens: u32,
		bid: BalanceOf<T>,
	) -> Result<BalanceOf<T>, DispatchError> {
		bid.checked_mul(&BalanceOf::<T>::from(max_tokens))
			.ok_or_else(|| Error::<T>::EscrowOverflow.into())
	}

	/// Releases all that is left of the job's escrow to its owner. Returns the amount.
	pub(crate) fn refund_escrow(job: &mut JobOf<T>) -> BalanceOf<T> {
		Self::release_to(HoldReason::Job, &job.owner, &mut job.escrow)
	}

	/// Pays `payments` from the job's escrow through the settlement pallet, which releases the
	/// rest to the owner; the protocol fee pays `auditors` (those who upheld the answer), if any.
	pub(crate) fn settle_escrow(
		job_id: JobId,
		job: &mut JobOf<T>,
		payments: &[Payment<T::AccountId, BalanceOf<T>>],
		auditors: &[T::AccountId],
	) -> Result<Receipt<BalanceOf<T>>, DispatchError> {
		let receipt = T::Settlement::settle(
			&HoldReason::Job.into(),
			EscrowId::Job(job_id),
			&job.owner,
			job.escrow,
			&job.creator,
			job.royalty_bps,
			job.protocol_fee,
			payments,
			auditors,
		)?;
		job.escrow = Zero::zero();
		Ok(receipt)
	}
}
