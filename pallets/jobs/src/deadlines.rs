//! Deadlines: the queue of pending jobs by the block they are due, and what happens then.

use crate::{
	pallet::JobOf, AssignmentState, Config, Deadlines, Error, Event, JobStatus, Jobs, Pallet,
};
use alloc::vec::Vec;
use frame_support::pallet_prelude::*;
use frame_system::pallet_prelude::BlockNumberFor;
use mosaic_primitives::{JobId, JobOutcome, ProviderRegistry};
use sp_runtime::traits::{Saturating, UniqueSaturatedInto, Zero};

/// How many blocks past its ideal deadline a job may be queued when that block is full.
pub(crate) const DEADLINE_SLACK: u32 = 8;

impl<T: Config> Pallet<T> {
	/// The pending jobs due after `now`: every job a provider may still answer. Bounded by
	/// `(JobTimeout + slack) × MaxJobsPerBlock`; the off-chain worker looks here.
	pub fn pending_jobs(now: BlockNumberFor<T>) -> impl Iterator<Item = JobId> {
		let timeout: u32 = T::JobTimeout::get().unique_saturated_into();
		let horizon = timeout.saturating_add(DEADLINE_SLACK);
		(1..=horizon).flat_map(move |offset| Deadlines::<T>::get(now.saturating_add(offset.into())))
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

		let mut waiting_again = None;
		if !job.reassigned && !absent.is_empty() {
			job.reassigned = true;
			waiting_again = Self::draw_more(job_id, &mut job, absent.len(), b"reassign");
		}
		match waiting_again {
			Some(at) => Self::reschedule(job_id, &mut job, at),
			None => Self::decide(job_id, &mut job, true),
		}
		Jobs::<T>::insert(job_id, job);
	}

	/// Gives the job the deadline `at` (or the first block after it with room).
	pub(crate) fn reschedule(job_id: JobId, job: &mut JobOf<T>, at: BlockNumberFor<T>) {
		Self::unschedule(job_id, job.deadline);
		match Self::schedule(job_id, at) {
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
