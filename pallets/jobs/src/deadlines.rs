//! Deadlines: the queue of pending jobs by the block they are due, and what happens then.

use crate::{
	pallet::JobOf, AssignmentState, Config, Deadlines, Error, Event, JobStatus, Jobs, Pallet, Role,
};
use frame_support::pallet_prelude::*;
use frame_system::pallet_prelude::BlockNumberFor;
use mosaic_primitives::{JobId, JobOutcome, ProviderRegistry};
use sp_runtime::traits::{Saturating, UniqueSaturatedInto, Zero};

/// How many blocks past its ideal deadline a job may be queued when that block is full.
pub(crate) const DEADLINE_SLACK: u32 = 8;

impl<T: Config> Pallet<T> {
	/// The open jobs due after `now`: every job a provider may still answer or audit. Bounded by
	/// `(JobTimeout + slack) × MaxJobsPerBlock`; the off-chain worker looks here.
	pub fn pending_jobs(now: BlockNumberFor<T>) -> impl Iterator<Item = JobId> {
		let timeout: u32 = T::JobTimeout::get().unique_saturated_into();
		let horizon = timeout.saturating_add(DEADLINE_SLACK);
		(1..=horizon).flat_map(move |offset| Deadlines::<T>::get(now.saturating_add(offset.into())))
	}

	/// The job's deadline passed: an absent executor is slashed and replaced once (else the
	/// owner refunded); a challenge window closes (an audit may be drawn); absent auditors are
	/// slashed and the audit decided on the reports in.
	pub(crate) fn on_deadline(job_id: JobId, now: BlockNumberFor<T>) {
		let Some(mut job) = Jobs::<T>::get(job_id) else { return };
		if !job.status.is_open() || job.deadline != now {
			return;
		}
		match job.status {
			JobStatus::Pending => {
				Self::time_out_waiting(job_id, &mut job);
				let mut again = None;
				if !job.reassigned {
					job.reassigned = true;
					again = Self::draw_more(job_id, &mut job, 1, Role::Executor, b"reassign");
				}
				match again {
					Some(at) => Self::reschedule(job_id, &mut job, at),
					None => Self::refund(job_id, &mut job),
				}
			}
			JobStatus::Challenge => Self::end_challenge(job_id, &mut job),
			JobStatus::Auditing => {
				Self::time_out_waiting(job_id, &mut job);
				Self::decide_audit(job_id, &mut job);
			}
			_ => {}
		}
		Jobs::<T>::insert(job_id, job);
	}

	/// Slashes and ends every assignment still waiting at the deadline.
	fn time_out_waiting(job_id: JobId, job: &mut JobOf<T>) {
		for a in job.assignments.iter_mut().filter(|a| a.state == AssignmentState::Waiting) {
			a.state = AssignmentState::TimedOut;
			let slashed = T::Providers::slash(&a.provider, T::AbsentSlash::get(), None)
				.unwrap_or_else(|_| Zero::zero());
			T::Providers::job_ended(&a.provider, JobOutcome::TimedOut);
			Self::deposit_event(Event::ProviderTimedOut {
				job: job_id,
				provider: a.provider.clone(),
				slashed,
			});
		}
	}

	/// Gives the job the deadline `at` (or the first block after it with room).
	pub(crate) fn reschedule(job_id: JobId, job: &mut JobOf<T>, at: BlockNumberFor<T>) {
		Self::unschedule(job_id, job.deadline);
		match Self::schedule(job_id, at) {
			Ok(at) => job.deadline = at,
			// Every block of the slack window is full: end the job now rather than leave it
			// without a deadline.
			Err(_) => Self::close_now(job_id, job),
		}
	}

	/// Moves the job's deadline to `at` if that is later (a replacement that needs longer
	/// than the job had left), never earlier: others assigned keep the time they were given.
	pub(crate) fn extend_deadline(job_id: JobId, job: &mut JobOf<T>, at: BlockNumberFor<T>) {
		if at <= job.deadline {
			return;
		}
		Self::unschedule(job_id, job.deadline);
		match Self::schedule(job_id, at) {
			Ok(at) => {
				job.deadline = at;
				Self::deposit_event(Event::DeadlineExtended { job: job_id, deadline: at });
			}
			Err(_) => {
				// The job's old slot was just freed, so it goes back there.
				if Self::schedule(job_id, job.deadline).is_err() {
					frame_support::defensive!("a job's freed deadline slot was taken");
				}
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
