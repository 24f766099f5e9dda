//! The decision: which answer stands, who is paid, who is slashed, or a refund.

use crate::{
	pallet::{BalanceOf, JobOf},
	AssignmentState, Config, Event, JobStatus, Pallet,
};
use alloc::vec::Vec;
use frame_support::traits::Get;
use mosaic_primitives::{JobId, JobOutcome, Payment, ProviderRegistry};
use sp_core::H256;
use sp_runtime::traits::Zero;

impl<T: Config> Pallet<T> {
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
				if let Some(at) = Self::draw_more(job_id, job, 1, b"tie-breaker") {
					if let Some(a) = job.assignments.last() {
						Self::deposit_event(Event::TieBreakerDrawn {
							job: job_id,
							provider: a.provider.clone(),
						});
					}
					return Self::reschedule(job_id, job, at);
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

	pub(crate) fn refund(job_id: JobId, job: &mut JobOf<T>) {
		let amount = Self::refund_escrow(job);
		job.status = JobStatus::Refunded;
		Self::deposit_event(Event::JobRefunded { job: job_id, owner: job.owner.clone(), amount });
	}

	/// Ends the part of every provider still waiting, without judging it.
	pub(crate) fn release_waiting(job: &JobOf<T>) {
		for a in job.assignments.iter().filter(|a| a.state == AssignmentState::Waiting) {
			T::Providers::job_ended(&a.provider, JobOutcome::Released);
		}
	}
}
