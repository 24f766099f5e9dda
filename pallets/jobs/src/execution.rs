//! Execution: an assigned provider answers (`submit_result`) or declines (`decline_job`).

use crate::{
	AssignmentState, Config, DeclineReason, Error, Event, Jobs, Pallet, Prompts, Results,
	StoredResult,
};
use alloc::vec::Vec;
use codec::Encode;
use frame_support::{pallet_prelude::*, BoundedVec};
use mosaic_primitives::{JobId, JobOutcome, ProviderRegistry};
use sp_core::H256;

impl<T: Config> Pallet<T> {
	pub(crate) fn do_submit_result(
		who: T::AccountId,
		job_id: JobId,
		output: Vec<u8>,
		tokens: u32,
		signature: T::AttestationSignature,
	) -> DispatchResult {
		let (provider, mut job) = Self::check_result(&who, job_id, &output, tokens, &signature)?;
		let output_hash = H256(sp_io::hashing::blake2_256(&output));
		let output: BoundedVec<u8, T::MaxOutputLen> =
			output.try_into().map_err(|_| Error::<T>::OutputTooLong)?;
		for a in job.assignments.iter_mut().filter(|a| a.provider == provider) {
			a.state = AssignmentState::Answered { output_hash, tokens };
		}
		Results::<T>::insert(
			job_id,
			&provider,
			StoredResult {
				output,
				tokens,
				signature,
				signer: who,
				at: frame_system::Pallet::<T>::block_number(),
			},
		);
		Self::deposit_event(Event::ResultSubmitted { job: job_id, provider, output_hash, tokens });

		if !job.assignments.iter().any(|a| a.state == AssignmentState::Waiting) {
			Self::unschedule(job_id, job.deadline);
			Self::decide(job_id, &mut job, false);
		}
		Jobs::<T>::insert(job_id, job);
		Ok(())
	}

	/// The provider's node declined: no slash, a decline on its record, and a replacement
	/// drawn at once among the eligible providers not yet assigned. With no replacement and
	/// nobody else waiting, the job is decided on the answers it has (or refunded).
	pub(crate) fn do_decline_job(
		who: T::AccountId,
		job_id: JobId,
		reason: DeclineReason,
	) -> DispatchResult {
		let (provider, mut job) = Self::check_waiting(&who, job_id)?;
		for a in job
			.assignments
			.iter_mut()
			.filter(|a| a.provider == provider && a.state == AssignmentState::Waiting)
		{
			a.state = AssignmentState::Declined;
		}
		T::Providers::job_ended(&provider, JobOutcome::Declined);
		Self::deposit_event(Event::ProviderDeclined { job: job_id, provider, reason });

		let purpose = (b"decline", job.assignments.len() as u32).encode();
		let drawn = Self::draw_more(job_id, &mut job, 1, &purpose);
		if let Some(at) = drawn {
			Self::extend_deadline(job_id, &mut job, at);
		} else if !job.assignments.iter().any(|a| a.state == AssignmentState::Waiting) {
			Self::unschedule(job_id, job.deadline);
			Self::decide(job_id, &mut job, true);
		}
		Jobs::<T>::insert(job_id, job);
		Ok(())
	}

	/// The length of the job's prompt in bytes (what later draws must cover).
	pub(crate) fn prompt_len(job_id: JobId) -> usize {
		Prompts::<T>::decode_len(job_id).unwrap_or_default()
	}
}
