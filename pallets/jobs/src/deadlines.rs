//! Deadlines: the queue of jobs by the block they are due, and what happens then: an open
//! job's stage ends; a closed job's record is pruned (see [`Pallet::close`]).
//!
//! The queue has no per-block bound: a job is queued at its deadline however many are due
//! with it, so nobody can fill blocks to turn honest jobs away. Each block processes at most
//! `MaxJobsPerBlock` due jobs, oldest deadline first; the rest wait for the next block
//! ([`DueFrom`] marks where processing resumes). A job is never processed early, only late by
//! the blocks its turn takes.

use crate::{
	pallet::{JobOf, MAX_ASSIGNMENTS},
	weights::WeightInfo,
	AssignmentState, Config, Deadlines, DueFrom, Event, JobStatus, Jobs, Pallet, Requests, Results,
	Role,
};
use alloc::vec::Vec;
use frame_support::pallet_prelude::*;
use frame_system::pallet_prelude::BlockNumberFor;
use mosaic_primitives::{JobId, JobOutcome, ProviderRegistry};
use sp_runtime::traits::{One, Saturating, UniqueSaturatedInto, Zero};

/// The most blocks of the queue one block's processing looks at (empty blocks included), so
/// catching up after a backlog costs a bounded number of reads a block.
pub(crate) const MAX_BLOCKS_SCANNED: u32 = 16;

/// What a block's processing of the queue did, for its weight: each kind of due job is
/// charged its own benchmark.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Processed {
	/// Open jobs whose stage ended otherwise (charged `on_initialize`, the heaviest open
	/// kind: an absent executor slashed and replaced).
	pub open: u32,
	/// Answered jobs whose challenge window closed and which were paid without an audit
	/// (charged `close_window`, see [`Pallet::window_weight`]).
	pub windows: u32,
	/// Closed jobs pruned (charged `prune_due`).
	pub pruned: u32,
	/// Blocks of the queue looked at.
	pub scanned: u32,
}

/// What the deadline of one queued job came to.
pub(crate) enum Due {
	/// An open job's stage ended.
	Open,
	/// An answered job's challenge window closed and it was paid without an audit.
	Window,
	/// A closed job's record was pruned.
	Pruned,
	/// Nothing: the queue named a job that is gone or due at another block (never, by
	/// invariant 2; charged as an open job).
	Gone,
}

impl<T: Config> Pallet<T> {
	/// The jobs due after `now` within [`Config::JobTimeout`]: every job a provider may still
	/// answer or audit is among them (the off-chain worker looks here; closed jobs waiting to
	/// be pruned may be too).
	pub fn pending_jobs(now: BlockNumberFor<T>) -> impl Iterator<Item = JobId> {
		let timeout: u32 = T::JobTimeout::get().unique_saturated_into();
		(1..=timeout).flat_map(move |offset| {
			Deadlines::<T>::iter_key_prefix(now.saturating_add(offset.into()))
		})
	}

	/// The jobs queued at block `at`, in id order.
	pub fn due_at(at: BlockNumberFor<T>) -> Vec<JobId> {
		let mut jobs: Vec<JobId> = Deadlines::<T>::iter_key_prefix(at).collect();
		jobs.sort_unstable();
		jobs
	}

	/// Processes up to `MaxJobsPerBlock` jobs due by `now`, oldest deadline first, looking at
	/// no more than [`MAX_BLOCKS_SCANNED`] blocks of the queue.
	pub(crate) fn process_due(now: BlockNumberFor<T>) -> Processed {
		let mut budget = T::MaxJobsPerBlock::get();
		let mut block = DueFrom::<T>::get();
		let mut done = Processed::default();
		while block <= now && done.scanned < MAX_BLOCKS_SCANNED {
			done.scanned = done.scanned.saturating_add(1);
			let due: Vec<JobId> =
				Deadlines::<T>::iter_key_prefix(block).take(budget as usize).collect();
			for job in &due {
				match Self::on_deadline(*job, block) {
					Due::Pruned => done.pruned = done.pruned.saturating_add(1),
					Due::Window => done.windows = done.windows.saturating_add(1),
					Due::Open | Due::Gone => done.open = done.open.saturating_add(1),
				}
			}
			let n = due.len() as u32;
			budget = budget.saturating_sub(n);
			if budget == 0 {
				// The block may hold more: the next block resumes here.
				break;
			}
			block = block.saturating_add(One::one());
		}
		DueFrom::<T>::put(block);
		done
	}

	/// The job's deadline passed: an absent executor is slashed and replaced once (else the
	/// owner refunded); a challenge window closes (an audit may be drawn); absent auditors are
	/// slashed and the audit decided on the reports in.
	/// `due` is the block it was queued at (processing may come later).
	/// A closed job's record is pruned.
	///
	/// The job leaves the queue at `due` on every path: an open job's stage ends with a new
	/// deadline or with its closing ([`Pallet::reschedule`] takes it out of `due`); the other
	/// paths take it out here. (Removing it before as well would be a second write.)
	pub(crate) fn on_deadline(job_id: JobId, due: BlockNumberFor<T>) -> Due {
		let Some(mut job) = Jobs::<T>::get(job_id) else {
			Self::unschedule(job_id, due);
			return Due::Gone;
		};
		if job.deadline != due {
			frame_support::defensive!("a queued job is due at another block");
			Self::unschedule(job_id, due);
			return Due::Gone;
		}
		if !job.status.is_open() {
			Self::unschedule(job_id, due);
			Self::prune(job_id, job);
			return Due::Pruned;
		}
		let mut kind = Due::Open;
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
			JobStatus::Challenge => kind = Self::end_challenge(job_id, &mut job),
			JobStatus::Auditing => {
				// `decide_audit` charges this path, absent auditors included (its benchmark,
				// `decide`, starts here).
				Self::time_out_waiting(job_id, &mut job);
				Self::decide_audit(job_id, &mut job);
			}
			JobStatus::Settled | JobStatus::Refunded | JobStatus::Cancelled => {}
		}
		Jobs::<T>::insert(job_id, job);
		kind
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

	/// Gives the job the deadline `at`.
	pub(crate) fn reschedule(job_id: JobId, job: &mut JobOf<T>, at: BlockNumberFor<T>) {
		Self::unschedule(job_id, job.deadline);
		job.deadline = Self::schedule(job_id, at);
	}

	/// Moves the job's deadline to `at` if that is later.
	pub(crate) fn extend_deadline(job_id: JobId, job: &mut JobOf<T>, at: BlockNumberFor<T>) {
		if at <= job.deadline {
			return;
		}
		Self::unschedule(job_id, job.deadline);
		job.deadline = Self::schedule(job_id, at);
		Self::deposit_event(Event::DeadlineExtended { job: job_id, deadline: job.deadline });
	}

	/// Queues the job at block `at` (never before the block processing resumes at, so it is
	/// never skipped). Returns the block it is queued at.
	pub(crate) fn schedule(job_id: JobId, at: BlockNumberFor<T>) -> BlockNumberFor<T> {
		let at = at.max(DueFrom::<T>::get());
		Deadlines::<T>::insert(at, job_id, ());
		at
	}

	pub(crate) fn unschedule(job_id: JobId, at: BlockNumberFor<T>) {
		Deadlines::<T>::remove(at, job_id);
	}

	/// The job was just settled or refunded: its executors' exposure is released, its request
	/// and answer leave state (the record keeps their hashes, and the blocks whose bodies
	/// carry them), and the record is queued for pruning [`Config::ReceiptRetention`] blocks
	/// from now.
	pub(crate) fn close(job_id: JobId, job: &mut JobOf<T>) {
		for a in job.assignments.iter().filter(|a| a.role == Role::Executor) {
			Self::release_exposure(&a.provider, Self::at_stake(a.price, job.max_tokens));
		}
		Requests::<T>::remove(job_id);
		let _ = Results::<T>::clear_prefix(job_id, MAX_ASSIGNMENTS, None);
		let retention = T::ReceiptRetention::get().max(One::one());
		let at = frame_system::Pallet::<T>::block_number().saturating_add(retention);
		Self::reschedule(job_id, job, at);
	}

	/// What `n` challenge windows closed without an audit cost beyond the settlements they
	/// paid: the slope of the `close_window` benchmark (which settles each job as it closes)
	/// less `n` settlements, which [`Pallet::settle`] charges where it runs. A job whose
	/// window closes is thus charged the larger of the two benchmarks, never both.
	pub(crate) fn window_weight(n: u32) -> Weight {
		T::WeightInfo::close_window(n)
			.saturating_sub(T::WeightInfo::close_window(0))
			.saturating_sub(T::WeightInfo::settle(0).saturating_mul(n.into()))
	}

	/// Adds `weight`, the benchmarked weight of ending a job the way it just ended, to the
	/// weight of the running hook or call ([`crate::PathWeight`]).
	pub(crate) fn charge_end(weight: Weight) {
		crate::PathWeight::<T>::mutate(|w| w.ends = w.ends.saturating_add(weight));
	}

	/// Removes a closed job's record and returns its deposit.
	fn prune(job_id: JobId, mut job: JobOf<T>) {
		let deposit = Self::release_deposit(job_id, &mut job);
		Jobs::<T>::remove(job_id);
		Self::deposit_event(Event::JobPruned { job: job_id, owner: job.owner, deposit });
	}
}
