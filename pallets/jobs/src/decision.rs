//! How a job ends: its executor paid from the escrow (the rest refunded), or the escrow
//! refunded in full; either way it closes (see [`Pallet::close`]).

use crate::{
	pallet::{BalanceOf, JobOf},
	weights::WeightInfo,
	AssignmentState, Config, Event, JobStatus, Pallet, Role,
};
use alloc::vec;
use mosaic_primitives::{JobId, JobOutcome, Payment, ProviderRegistry};

impl<T: Config> Pallet<T> {
	/// Pays the executor for the tokens of its answer; the rest of the escrow returns to the
	/// owner. Without an answer, refunds. Charged `WeightInfo::settle(0)`.
	pub(crate) fn settle(job_id: JobId, job: &mut JobOf<T>) {
		Self::settle_upheld(job_id, job, &[])
	}

	/// [`Self::settle`] an answer that audits upheld: the protocol fee pays `auditors` (those
	/// whose reports upheld it) instead of the treasury. Charged
	/// `WeightInfo::settle(auditors)`, benchmarked with that many auditors paid.
	pub(crate) fn settle_upheld(job_id: JobId, job: &mut JobOf<T>, auditors: &[T::AccountId]) {
		Self::charge_end(T::WeightInfo::settle(auditors.len() as u32));
		let Some(Answered { provider, price, output_hash, tokens }) = Self::answer(job) else {
			frame_support::defensive!("settling a job without an answer");
			return Self::refund(job_id, job);
		};
		let payments = vec![Payment { provider: provider.clone(), tokens, price }];
		match Self::settle_escrow(job_id, job, &payments, auditors) {
			Ok(receipt) => {
				T::Providers::job_ended(&provider, JobOutcome::Completed);
				job.status = JobStatus::Settled;
				job.receipt = Some(receipt.clone());
				Self::close(job_id, job);
				Self::deposit_event(Event::JobSettled {
					job: job_id,
					output_hash,
					tokens,
					receipt,
				});
			}
			Err(_) => {
				// The payment never exceeds the escrow (tokens ≤ max_tokens, price ≤ bid);
				// should settlement still fail, the owner is refunded.
				frame_support::defensive!("settling a job failed");
				T::Providers::job_ended(&provider, JobOutcome::Released);
				Self::refund(job_id, job);
			}
		}
	}

	/// The executor's answer the job holds, if any.
	pub(crate) fn answer(job: &JobOf<T>) -> Option<Answered<T>> {
		job.assignments.iter().find_map(|a| match a.state {
			AssignmentState::Answered { output_hash, tokens } if a.role == Role::Executor => {
				let provider = a.provider.clone();
				Some(Answered { provider, price: a.price, output_hash, tokens })
			}
			_ => None,
		})
	}

	/// Refunds all that is left of the escrow: the job ends unpaid. Charged as a settlement
	/// without auditors (`WeightInfo::settle(0)`: one payment more than a refund).
	pub(crate) fn refund(job_id: JobId, job: &mut JobOf<T>) {
		Self::charge_end(T::WeightInfo::settle(0));
		let amount = Self::refund_escrow(job);
		job.status = JobStatus::Refunded;
		Self::close(job_id, job);
		Self::deposit_event(Event::JobRefunded { job: job_id, owner: job.owner.clone(), amount });
	}
}

/// The executor's answer a job holds: who answered, at what price per token, the output's
/// hash and its tokens.
pub(crate) struct Answered<T: Config> {
	pub(crate) provider: T::AccountId,
	pub(crate) price: BalanceOf<T>,
	pub(crate) output_hash: sp_core::H256,
	pub(crate) tokens: u32,
}
