//! Execution: the executor answers (`submit_result`), an auditor reports (`submit_audit`), or
//! either declines (`decline_job`), as authorized transactions: no signer, nonce or fee;
//! valid while the provider is waiting and its operator key signed; one per (job, provider)
//! in the pool.

use crate::{
	pallet::JobOf, Answer, AssignmentState, Config, DeclineReason, Error, Event, Jobs, Pallet,
	Requests, Results, Role, StoredResult,
};
use alloc::vec::Vec;
use codec::{Decode, Encode};
use frame_support::{pallet_prelude::*, BoundedVec};
use mosaic_primitives::AuditReport;
use mosaic_primitives::{JobId, JobOutcome, JobRequest, ProviderRegistry};
use sp_core::H256;
use sp_runtime::traits::{Saturating, UniqueSaturatedInto};

/// Priority of answers and declines in the pool: above ordinary transactions, whose priority
/// comes from their fee, so results are not crowded out.
pub const ANSWER_PRIORITY: TransactionPriority = TransactionPriority::MAX / 2;

/// What the pool's validity check of a failed `check_*` says.
fn invalid<T: Config>(error: DispatchError) -> TransactionValidityError {
	let stale = [
		Error::<T>::JobNotPending.into(),
		Error::<T>::DuplicateResult.into(),
		Error::<T>::LateResult.into(),
		Error::<T>::JobNotFound.into(),
	];
	if stale.contains(&error) {
		InvalidTransaction::Stale.into()
	} else if error == Error::<T>::BadAttestation.into() {
		InvalidTransaction::BadProof.into()
	} else {
		InvalidTransaction::Call.into()
	}
}

impl<T: Config> Pallet<T> {
	/// The pool's view of an answer or decline: high priority, one per (job, provider) (a
	/// second, whatever its content, is refused while the first is in the pool), valid until
	/// the deadline.
	fn answer_validity(
		job_id: JobId,
		provider: &T::AccountId,
		job: &JobOf<T>,
	) -> TransactionValidityWithRefund {
		let now = frame_system::Pallet::<T>::block_number();
		let longevity: u64 = job.deadline.saturating_sub(now).unique_saturated_into();
		ValidTransaction::with_tag_prefix("MosaicJobsAnswer")
			.priority(ANSWER_PRIORITY)
			.and_provides((job_id, provider))
			.longevity(longevity.max(1))
			.propagate(true)
			.build()
			.map(|validity| (validity, Weight::zero()))
	}

	/// `#[pallet::authorize]` of [`Pallet::submit_result`].
	#[allow(clippy::ptr_arg)] // `#[pallet::authorize]` passes each argument by reference.
	pub(crate) fn authorize_result(
		_source: TransactionSource,
		job_id: &JobId,
		provider: &T::AccountId,
		output: &Vec<u8>,
		token_ids: &Vec<u32>,
		signature: &T::AttestationSignature,
	) -> TransactionValidityWithRefund {
		let (_, job) = Self::check_result(provider, *job_id, output, token_ids, signature)
			.map_err(invalid::<T>)?;
		Self::answer_validity(*job_id, provider, &job)
	}

	/// `#[pallet::authorize]` of [`Pallet::submit_audit`].
	pub(crate) fn authorize_audit(
		_source: TransactionSource,
		job_id: &JobId,
		auditor: &T::AccountId,
		report: &AuditReport,
		signature: &T::AttestationSignature,
	) -> TransactionValidityWithRefund {
		let job = Self::check_audit(auditor, *job_id, report, signature).map_err(invalid::<T>)?;
		Self::answer_validity(*job_id, auditor, &job)
	}

	/// `#[pallet::authorize]` of [`Pallet::decline_job`].
	pub(crate) fn authorize_decline(
		_source: TransactionSource,
		job_id: &JobId,
		provider: &T::AccountId,
		reason: &DeclineReason,
		signature: &T::AttestationSignature,
	) -> TransactionValidityWithRefund {
		let (_, job) =
			Self::check_decline(provider, *job_id, *reason, signature).map_err(invalid::<T>)?;
		Self::answer_validity(*job_id, provider, &job)
	}

	pub(crate) fn do_submit_result(
		provider: T::AccountId,
		job_id: JobId,
		output: Vec<u8>,
		token_ids: Vec<u32>,
		signature: T::AttestationSignature,
	) -> DispatchResult {
		let (operator, mut job) =
			Self::check_result(&provider, job_id, &output, &token_ids, &signature)?;
		let output_hash = H256(sp_io::hashing::blake2_256(&output));
		let tokens = u32::try_from(token_ids.len()).map_err(|_| Error::<T>::TooManyTokens)?;
		let output: BoundedVec<u8, T::MaxOutputLen> =
			output.try_into().map_err(|_| Error::<T>::OutputTooLong)?;
		let token_ids: BoundedVec<u32, T::MaxOutputTokens> =
			token_ids.try_into().map_err(|_| Error::<T>::TooManyTokens)?;
		for a in job.assignments.iter_mut().filter(|a| a.provider == provider) {
			a.state = AssignmentState::Answered { output_hash, tokens };
		}
		// Its node is free for the next job while the answer waits (review N9).
		T::Providers::job_answered(&provider);
		Results::<T>::insert(
			job_id,
			&provider,
			StoredResult {
				output,
				tokens,
				token_ids,
				signature,
				signer: operator,
				at: frame_system::Pallet::<T>::block_number(),
			},
		);
		Self::deposit_event(Event::ResultSubmitted { job: job_id, provider, output_hash, tokens });
		job.outcome =
			Some(Answer { output_hash, tokens, at: frame_system::Pallet::<T>::block_number() });
		Self::open_challenge(job_id, &mut job);
		Jobs::<T>::insert(job_id, job);
		Ok(())
	}

	/// An auditor's report: judged at once; the verdict once no auditor is waiting.
	pub(crate) fn do_submit_audit(
		auditor: T::AccountId,
		job_id: JobId,
		report: AuditReport,
		signature: T::AttestationSignature,
	) -> DispatchResult {
		let mut job = Self::check_audit(&auditor, job_id, &report, &signature)?;
		let finding = mosaic_primitives::audit::judge(&report, job.sampled);
		for a in job.assignments.iter_mut().filter(|a| a.provider == auditor) {
			a.state = AssignmentState::Audited { report, finding };
		}
		T::Providers::job_answered(&auditor);
		Self::deposit_event(Event::AuditReported { job: job_id, auditor, finding, report });
		if !job.assignments.iter().any(|a| a.state == AssignmentState::Waiting) {
			Self::decide_audit(job_id, &mut job);
		}
		Jobs::<T>::insert(job_id, job);
		Ok(())
	}

	/// The provider's node declined: no slash, a decline on its record, and a replacement
	/// drawn at once among the eligible providers not yet assigned. With no replacement and
	/// nobody else waiting, the job is decided on the answers it has (or refunded).
	pub(crate) fn do_decline_job(
		provider: T::AccountId,
		job_id: JobId,
		reason: DeclineReason,
		signature: T::AttestationSignature,
	) -> DispatchResult {
		let (_, mut job) = Self::check_decline(&provider, job_id, reason, &signature)?;
		let mut role = Role::Executor;
		for a in job
			.assignments
			.iter_mut()
			.filter(|a| a.provider == provider && a.state == AssignmentState::Waiting)
		{
			a.state = AssignmentState::Declined;
			role = a.role;
		}
		T::Providers::job_ended(&provider, JobOutcome::Declined);
		Self::deposit_event(Event::ProviderDeclined { job: job_id, provider, reason });

		let purpose = (b"decline", job.assignments.len() as u32).encode();
		let drawn = Self::draw_more(job_id, &mut job, 1, role, &purpose);
		if let Some(at) = drawn {
			Self::extend_deadline(job_id, &mut job, at);
		} else if !job.assignments.iter().any(|a| a.state == AssignmentState::Waiting) {
			match role {
				Role::Executor => Self::refund(job_id, &mut job),
				Role::Auditor { .. } => Self::decide_audit(job_id, &mut job),
			}
		}
		Jobs::<T>::insert(job_id, job);
		Ok(())
	}

	/// The job's request, as submitted.
	pub fn request(job_id: JobId) -> Option<JobRequest> {
		Requests::<T>::get(job_id).and_then(|r| JobRequest::decode(&mut &r[..]).ok())
	}

	/// Most tokens the job's prompt may take (what later draws must cover).
	pub(crate) fn prompt_tokens(job_id: JobId) -> u32 {
		Self::request(job_id).map(|r| r.prompt_tokens_bound()).unwrap_or_default()
	}
}
