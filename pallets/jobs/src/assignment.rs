//! Drawing providers for a job: weighted by bond × reputation, without replacement, all with
//! the job's engine fingerprint, among the providers [`Pallet::eligible`] for it.

use crate::{
	pallet::{BalanceOf, JobOf},
	Config, Error, Event, Pallet,
};
use alloc::vec::Vec;
use codec::Encode;
use frame_support::{pallet_prelude::*, traits::Randomness};
use frame_system::pallet_prelude::BlockNumberFor;
use mosaic_primitives::{Candidate, JobId, JobNeeds, ModelId, ProviderRegistry};
use sp_core::H256;
use sp_runtime::traits::Bounded;

/// Why no provider could be drawn.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum DrawError {
	/// Some serve the model, but all ask more than the bid.
	BidTooLow,
	/// Nobody can take it.
	NoneEligible,
	/// Some could at some price, but none declares terms that cover the job.
	NotCovered,
	/// Fewer than needed share an engine.
	TooFew,
}

impl<T: Config> From<DrawError> for Error<T> {
	fn from(e: DrawError) -> Self {
		match e {
			DrawError::BidTooLow => Error::<T>::BidBelowEveryAsk,
			DrawError::NoneEligible => Error::<T>::NoEligibleProvider,
			DrawError::NotCovered => Error::<T>::NoProviderCovers,
			DrawError::TooFew => Error::<T>::NotEnoughProviders,
		}
	}
}

/// Picks `n` candidates without replacement, each with chance proportional to its weight,
/// from a seed. Deterministic in the seed and the candidates' order.
pub(crate) fn weighted_sample<A: Clone, B: Clone>(
	mut pool: Vec<Candidate<A, B>>,
	n: usize,
	seed: &[u8],
) -> Vec<Candidate<A, B>> {
	let mut picked = Vec::with_capacity(n);
	let mut round: u32 = 0;
	while picked.len() < n && !pool.is_empty() {
		let total: u128 = pool.iter().fold(0u128, |acc, c| acc.saturating_add(c.weight.max(1)));
		let r = u128::from_le_bytes(sp_io::hashing::blake2_128(&(seed, round).encode()))
			.checked_rem(total)
			.unwrap_or(0);
		round = round.saturating_add(1);
		let mut acc = 0u128;
		let index = pool
			.iter()
			.position(|c| {
				acc = acc.saturating_add(c.weight.max(1));
				r < acc
			})
			.unwrap_or(0);
		picked.push(pool.swap_remove(index));
	}
	picked
}

impl<T: Config> Pallet<T> {
	/// A seed for the draws of `job`, from the runtime's randomness and the job id.
	pub(crate) fn seed(job: JobId, purpose: &[u8]) -> [u8; 32] {
		let (random, _) = T::Randomness::random(&(b"mosaic/jobs", job, purpose).encode());
		sp_io::hashing::blake2_256(&(random, job, purpose).encode())
	}

	/// Draws `n` providers for a new job. The first is drawn among all candidates; the rest
	/// among those sharing its engine fingerprint.
	pub(crate) fn draw_initial(
		job: JobId,
		model: ModelId,
		bid: BalanceOf<T>,
		needs: &JobNeeds,
		n: usize,
	) -> Result<(H256, Vec<Candidate<T::AccountId, BalanceOf<T>>>), DrawError> {
		let candidates = Self::eligible(model, bid, needs, &[]);
		if candidates.is_empty() {
			// Say why: no provider at all, none whose terms cover the job, or all too dear.
			let any = Bounded::max_value();
			if Self::eligible(model, any, &JobNeeds::SMALLEST, &[]).is_empty() {
				return Err(DrawError::NoneEligible);
			}
			if Self::eligible(model, any, needs, &[]).is_empty() {
				return Err(DrawError::NotCovered);
			}
			return Err(DrawError::BidTooLow);
		}
		let seed = Self::seed(job, b"initial");
		let first = weighted_sample(candidates.clone(), 1, &seed);
		let engine = first.first().map(|c| c.engine).ok_or(DrawError::NoneEligible)?;
		let same_engine: Vec<_> = candidates.into_iter().filter(|c| c.engine == engine).collect();
		if same_engine.len() < n {
			return Err(DrawError::TooFew);
		}
		// Redraw among the same-engine pool so every provider's chance stays proportional.
		Ok((engine, weighted_sample(same_engine, n, &seed)))
	}

	/// Draws up to `n` more eligible providers for `job`, excluding everyone already
	/// assigned, and assigns them. Returns the deadline the drawn need, or `None` when nobody
	/// was assigned.
	pub(crate) fn draw_more(
		job_id: JobId,
		job: &mut JobOf<T>,
		n: usize,
		purpose: &[u8],
	) -> Option<BlockNumberFor<T>> {
		// Each job gets at most its providers, as many replacements (declines and the
		// reassignment share them) and a tie-breaker: `2 × redundancy + 1`.
		let cap = u32::from(job.redundancy)
			.saturating_mul(2)
			.saturating_add(1)
			.min(crate::pallet::MaxAssignmentsOf::<T>::get());
		let room = (cap as usize).saturating_sub(job.assignments.len());
		let n = n.min(room);
		if n == 0 {
			return None;
		}
		let assigned: Vec<T::AccountId> =
			job.assignments.iter().map(|a| a.provider.clone()).collect();
		let needs = Self::needs(Self::prompt_tokens(job_id), job.max_tokens);
		let pool: Vec<_> = Self::eligible(job.model, job.bid, &needs, &assigned)
			.into_iter()
			.filter(|c| c.engine == job.engine)
			.collect();
		let mut added = Vec::new();
		for c in weighted_sample(pool, n, &Self::seed(job_id, purpose)) {
			if Self::assign(job_id, job, c.clone()).is_ok() {
				added.push(c);
			}
		}
		(!added.is_empty()).then(|| Self::deadline_for(&added, job.max_tokens))
	}

	/// Records `c` as assigned to the job and counts the job against its concurrency.
	pub(crate) fn assign(
		job_id: JobId,
		job: &mut JobOf<T>,
		c: Candidate<T::AccountId, BalanceOf<T>>,
	) -> DispatchResult {
		T::Providers::job_assigned(&c.provider)?;
		let price = c.ask.min(job.bid);
		if job
			.assignments
			.try_push(crate::Assignment {
				provider: c.provider.clone(),
				price,
				state: crate::AssignmentState::Waiting,
			})
			.is_err()
		{
			// Bounded by 2 × redundancy + 1, which is every assignment a job can get.
			frame_support::defensive!("a job's assignments overflowed their bound");
			T::Providers::job_ended(&c.provider, mosaic_primitives::JobOutcome::Released);
			return Err(Error::<T>::NotEnoughProviders.into());
		}
		Self::deposit_event(Event::ProviderAssigned { job: job_id, provider: c.provider, price });
		Ok(())
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn cand(id: u64, weight: u128) -> Candidate<u64, u128> {
		let terms = mosaic_primitives::ServingTerms {
			context_length: 1,
			max_output_tokens: 1,
			tokens_per_second: 1,
		};
		Candidate { provider: id, operator: id + 100, ask: 1, engine: H256::zero(), weight, terms }
	}

	#[test]
	fn sampling_is_without_replacement_and_deterministic() {
		let pool = vec![cand(1, 10), cand(2, 10), cand(3, 10)];
		let a = weighted_sample(pool.clone(), 3, b"seed");
		let b = weighted_sample(pool, 3, b"seed");
		assert_eq!(a, b);
		let mut ids: Vec<_> = a.iter().map(|c| c.provider).collect();
		ids.sort();
		assert_eq!(ids, vec![1, 2, 3]);
	}

	#[test]
	fn sampling_asks_for_no_more_than_there_is() {
		assert_eq!(weighted_sample(vec![cand(1, 1)], 3, b"s").len(), 1);
		assert!(weighted_sample(Vec::<Candidate<u64, u128>>::new(), 1, b"s").is_empty());
	}

	#[test]
	fn heavier_candidates_are_drawn_more_often() {
		let pool = vec![cand(1, 1), cand(2, 9)];
		let heavy = (0u32..2_000)
			.filter(|i| weighted_sample(pool.clone(), 1, &i.to_le_bytes())[0].provider == 2)
			.count();
		// Expect 1800 of 2000; allow a wide margin.
		assert!((1_650..=1_950).contains(&heavy), "heavy drawn {heavy} times");
	}
}
