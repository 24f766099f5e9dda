//! The job state machine: submission, results, cancellation, deadlines and the decision.

use crate::{
	pallet::{BalanceOf, JobOf},
	AssignmentState, Config, Deadlines, Error, Event, Job, JobStatus, Jobs, NextJobId, Pallet,
	Prompts, Results, StoredResult,
};
use alloc::vec::Vec;
use frame_support::{pallet_prelude::*, BoundedVec};
use frame_system::pallet_prelude::BlockNumberFor;
use mosaic_primitives::{
	JobId, JobOutcome, ModelId, ModelRegistry, ModelUnavailable, Payment, ProviderRegistry,
};
use sp_core::H256;
use sp_runtime::traits::{Saturating, Zero};

/// How many blocks past its ideal deadline a job may be queued when that block is full.
pub(crate) const DEADLINE_SLACK: u32 = 8;

impl<T: Config> Pallet<T> {
	/// Whether a prompt of `prompt_bytes` and `max_tokens` fit a model's context window. A
	/// prompt tokenises to at most one token per byte, plus the beginning-of-sequence token and
	/// the tokeniser's leading-space piece, so this bound holds whatever the tokeniser.
	pub fn fits_context(prompt_bytes: usize, max_tokens: u32, context_length: u32) -> bool {
		u64::try_from(prompt_bytes)
			.unwrap_or(u64::MAX)
			.saturating_add(2)
			.saturating_add(u64::from(max_tokens))
			<= u64::from(context_length)
	}

	pub(crate) fn do_submit_job(
		owner: T::AccountId,
		model: ModelId,
		prompt: Vec<u8>,
		max_tokens: u32,
		bid: BalanceOf<T>,
		redundancy: u8,
	) -> DispatchResult {
		ensure!(!prompt.is_empty(), Error::<T>::EmptyPrompt);
		let prompt: BoundedVec<u8, T::MaxPromptLen> =
			prompt.try_into().map_err(|_| Error::<T>::PromptTooLong)?;
		ensure!(max_tokens > 0, Error::<T>::ZeroMaxTokens);
		ensure!(
			redundancy > 0 && u32::from(redundancy) <= T::MaxRedundancy::get(),
			Error::<T>::BadRedundancy
		);
		let terms = T::Models::terms_for_new_job(model).map_err(|e| match e {
			ModelUnavailable::Unknown => Error::<T>::ModelNotRegistered,
			ModelUnavailable::Deprecated => Error::<T>::ModelDeprecated,
		})?;
		ensure!(
			Self::fits_context(prompt.len(), max_tokens, terms.context_length),
			Error::<T>::ExceedsContext
		);

		let job_id = NextJobId::<T>::get();
		let next = job_id.checked_add(1).ok_or(Error::<T>::JobIdsExhausted)?;
		let (engine, drawn) = Self::draw_initial(job_id, model, bid, usize::from(redundancy))
			.map_err(Error::<T>::from)?;
		let slots = if redundancy > 1 { u32::from(redundancy).saturating_add(1) } else { 1 };
		let escrow = Self::escrow_for(max_tokens, bid, slots)?;
		Self::hold_escrow(&owner, escrow)?;

		let deadline = Self::schedule(job_id, Self::deadline_from_now())?;
		let mut job = Job {
			owner: owner.clone(),
			model,
			model_hash: terms.content_hash,
			creator: terms.creator,
			royalty_bps: terms.royalty_bps,
			prompt_hash: H256(sp_io::hashing::blake2_256(&prompt)),
			max_tokens,
			bid,
			redundancy,
			engine,
			escrow,
			assignments: BoundedVec::new(),
			tie_breaker_drawn: false,
			reassigned: false,
			deadline,
			status: JobStatus::Pending,
			outcome: None,
			receipt: None,
		};
		NextJobId::<T>::put(next);
		Self::deposit_event(Event::JobSubmitted { job: job_id, owner, model, escrow, deadline });
		for c in drawn {
			Self::assign(job_id, &mut job, c)?;
		}
		Prompts::<T>::insert(job_id, prompt);
		Jobs::<T>::insert(job_id, job);
		Ok(())
	}

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

	pub(crate) fn do_cancel_job(who: T::AccountId, job_id: JobId) -> DispatchResult {
		let mut job = Jobs::<T>::get(job_id).ok_or(Error::<T>::JobNotFound)?;
		ensure!(job.owner == who, Error::<T>::NotOwner);
		ensure!(job.status == JobStatus::Pending, Error::<T>::JobNotPending);
		ensure!(
			job.assignments.iter().all(|a| !matches!(a.state, AssignmentState::Answered { .. })),
			Error::<T>::ResultsArrived
		);
		Self::unschedule(job_id, job.deadline);
		Self::release_waiting(&job);
		let amount = Self::refund_escrow(&mut job);
		job.status = JobStatus::Cancelled;
		Jobs::<T>::insert(job_id, job);
		Self::deposit_event(Event::JobCancelled { job: job_id, owner: who, amount });
		Ok(())
	}

	/// The job's deadline passed: time out the absent, replace them once, or decide.
	pub(crate) fn on_deadline(job_id: JobId, now: BlockNumberFor<T>) {
		let Some(mut job) = Jobs::<T>::get(job_id) else { return };
		if job.status != JobStatus::Pending || job.deadline != now {
			return;
		}
		let mut absent = Vec::new();
		for a in job.assignments.iter_mut().filter(|a| a.state == AssignmentState::Waiting) {
			a.state = AssignmentState::TimedOut;
			absent.push(a.provider.clone());
		}
		for provider in &absent {
			let slashed = T::Providers::slash(provider, T::AbsentSlash::get(), None)
				.unwrap_or_else(|_| Zero::zero());
			T::Providers::job_ended(provider, JobOutcome::TimedOut);
			Self::deposit_event(Event::ProviderTimedOut {
				job: job_id,
				provider: provider.clone(),
				slashed,
			});
		}

		let mut waiting_again = false;
		if !job.reassigned && !absent.is_empty() {
			job.reassigned = true;
			waiting_again = Self::draw_more(job_id, &mut job, absent.len(), b"reassign") > 0;
		}
		if waiting_again {
			Self::reschedule(job_id, &mut job);
		} else {
			Self::decide(job_id, &mut job, true);
		}
		Jobs::<T>::insert(job_id, job);
	}

	/// Decides a job on the answers it has. `final_round`: no more providers may be drawn.
	pub(crate) fn decide(job_id: JobId, job: &mut JobOf<T>, final_round: bool) {
		let answers: Vec<(T::AccountId, H256, u32, BalanceOf<T>)> = job
			.assignments
			.iter()
			.filter_map(|a| match a.state {
				AssignmentState::Answered { output_hash, tokens } => {
					Some((a.provider.clone(), output_hash, tokens, a.price))
				}
				_ => None,
			})
			.collect();
		if answers.is_empty() {
			return Self::refund(job_id, job);
		}

		// The (output, tokens) pair given by a strict majority of the answers, if any.
		let majority = answers.iter().find_map(|(_, h, t, _)| {
			let votes = answers.iter().filter(|(_, h2, t2, _)| h2 == h && t2 == t).count();
			(votes.saturating_mul(2) > answers.len()).then_some((*h, *t))
		});

		let Some((output_hash, tokens)) = majority else {
			let can_draw = !final_round && !job.tie_breaker_drawn && job.redundancy > 1;
			if can_draw {
				job.tie_breaker_drawn = true;
				if Self::draw_more(job_id, job, 1, b"tie-breaker") > 0 {
					if let Some(a) = job.assignments.last() {
						Self::deposit_event(Event::TieBreakerDrawn {
							job: job_id,
							provider: a.provider.clone(),
						});
					}
					return Self::reschedule(job_id, job);
				}
			}
			for (provider, ..) in &answers {
				T::Providers::job_ended(provider, JobOutcome::Released);
			}
			return Self::refund(job_id, job);
		};

		let mut payments = Vec::new();
		for (provider, h, t, price) in answers {
			if (h, t) == (output_hash, tokens) {
				T::Providers::job_ended(&provider, JobOutcome::Completed);
				payments.push(Payment { provider, tokens: t, price });
			} else {
				let slashed = T::Providers::slash(&provider, T::OutvotedSlash::get(), None)
					.unwrap_or_else(|_| Zero::zero());
				T::Providers::job_ended(&provider, JobOutcome::Outvoted);
				Self::deposit_event(Event::ProviderOutvoted { job: job_id, provider, slashed });
			}
		}
		match Self::settle_escrow(job_id, job, &payments) {
			Ok(receipt) => {
				job.status = JobStatus::Settled;
				job.outcome = Some((output_hash, tokens));
				job.receipt = Some(receipt.clone());
				Self::deposit_event(Event::JobSettled {
					job: job_id,
					output_hash,
					tokens,
					receipt,
				});
			}
			Err(_) => {
				// Payments never exceed the escrow (answers ≤ escrowed slots, tokens ≤
				// max_tokens, price ≤ bid); should settlement still fail, the user is refunded.
				frame_support::defensive!("settling a decided job failed");
				Self::refund(job_id, job);
			}
		}
	}

	fn refund(job_id: JobId, job: &mut JobOf<T>) {
		let amount = Self::refund_escrow(job);
		job.status = JobStatus::Refunded;
		Self::deposit_event(Event::JobRefunded { job: job_id, owner: job.owner.clone(), amount });
	}

	/// Ends the part of every provider still waiting, without judging it.
	fn release_waiting(job: &JobOf<T>) {
		for a in job.assignments.iter().filter(|a| a.state == AssignmentState::Waiting) {
			T::Providers::job_ended(&a.provider, JobOutcome::Released);
		}
	}

	fn deadline_from_now() -> BlockNumberFor<T> {
		frame_system::Pallet::<T>::block_number().saturating_add(T::JobTimeout::get())
	}

	/// Gives the job a new deadline `JobTimeout` blocks from now.
	fn reschedule(job_id: JobId, job: &mut JobOf<T>) {
		Self::unschedule(job_id, job.deadline);
		match Self::schedule(job_id, Self::deadline_from_now()) {
			Ok(at) => job.deadline = at,
			Err(_) => {
				// Every block of the slack window is full: decide now rather than leave the
				// job without a deadline.
				Self::release_waiting(job);
				for a in job.assignments.iter_mut().filter(|a| a.state == AssignmentState::Waiting)
				{
					a.state = AssignmentState::TimedOut;
				}
				Self::decide(job_id, job, true);
			}
		}
	}

	/// Queues the job at the first block from `at` with room, within `DEADLINE_SLACK` blocks.
	pub(crate) fn schedule(
		job_id: JobId,
		at: BlockNumberFor<T>,
	) -> Result<BlockNumberFor<T>, DispatchError> {
		let mut block = at;
		for _ in 0..=DEADLINE_SLACK {
			if Deadlines::<T>::try_mutate(block, |q| q.try_push(job_id)).is_ok() {
				return Ok(block);
			}
			block = block.saturating_add(1u32.into());
		}
		Err(Error::<T>::DeadlineQueueFull.into())
	}

	pub(crate) fn unschedule(job_id: JobId, at: BlockNumberFor<T>) {
		Deadlines::<T>::mutate_exists(at, |maybe| {
			if let Some(q) = maybe {
				q.retain(|j| *j != job_id);
				if q.is_empty() {
					*maybe = None;
				}
			}
		});
	}
}
