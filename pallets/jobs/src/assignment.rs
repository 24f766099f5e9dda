//! Drawing providers for a job, weighted by bond × reputation, without replacement, among
//! the providers eligible for its [`Seat`]: its executor ([`Pallet::candidate`]: ask within
//! the bid, terms and declared speed that cover the job, a free slot), and its auditors
//! (`ProviderRegistry::auditor`: serving the model with a context that holds the job, active
//! and bonded; any engine, ask, speed or load, so that a job only one provider could run is
//! auditable too). The job's owner is never drawn for its own job.
//!
//! A draw reads a bounded number of providers whatever the size of the market:
//! - In a market of more than [`WINDOW`] providers it makes up to [`TRIES`] draws in the
//!   providers pallet's index (a provider found with chance ∝ its indexed weight, at least its
//!   bond), checks the one found and keeps it with probability
//!   `bond × score / (indexed × MAX_SCORE)`: the chance of being drawn is then proportional
//!   to bond × score among the eligible.
//! - If those find nobody (or the market is small), it reads [`WINDOW`] consecutive slots from
//!   a random one (all of them in a small market) and draws among the eligible there,
//!   weighted. In a market of at most [`WINDOW`] providers a job is refused only if no
//!   provider at all can take it; in a larger one, when none of the providers it read could,
//!   and the error says why for those.
//!
//! So sybils cannot crowd honest providers out of a model: a model takes up to
//! `MaxProvidersPerModel` (65,536 in the runtime) and a provider's share of draws is its share
//! of bond × score, whatever the number of others.

use crate::{
	pallet::{BalanceOf, JobOf, MAX_ASSIGNMENTS, MAX_EXECUTOR_REPLACEMENTS},
	submission::Timing,
	Config, Error, Event, Pallet, Role,
};
use alloc::vec::Vec;
use codec::Encode;
use frame_support::pallet_prelude::*;
use frame_system::pallet_prelude::BlockNumberFor;
use mosaic_primitives::{Candidate, JobId, JobNeeds, ModelId, ProviderRegistry, MAX_SCORE};
use sp_runtime::traits::{Bounded, Zero};

/// Draws in the providers pallet's index before the window is read.
pub const TRIES: u32 = 4;
/// Providers read one by one when the tries find nobody: the window of a draw.
pub const WINDOW: u32 = 16;

/// Two numbers from a seed and a label.
fn numbers(seed: &[u8], label: &[u8], i: u32) -> (u128, u128) {
	let h = sp_io::hashing::blake2_256(&(seed, label, i).encode());
	let (a, b) = h.split_at(16);
	let n = |s: &[u8]| u128::from_le_bytes(s.try_into().unwrap_or([0u8; 16]));
	(n(a), n(b))
}

/// What a draw may read, or read: tries in the index, slots of the window.
#[derive(Default)]
pub(crate) struct DrawCost {
	pub(crate) tries: u32,
	pub(crate) slots: u32,
}

/// What a draw fills: the executor's seat at the job's bid, or an auditor's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Seat<B> {
	/// An executor, whose ask is within `bid`.
	Executor { bid: B },
	/// An auditor (see the module docs).
	Auditor,
}

/// Why no provider could be drawn (shared with the pallets that draw through
/// [`mosaic_primitives::DrawProvider`]).
pub(crate) use mosaic_primitives::NoProvider as DrawError;

impl<T: Config> From<DrawError> for Error<T> {
	fn from(e: DrawError) -> Self {
		match e {
			DrawError::BidBelowEveryAsk => Error::<T>::BidBelowEveryAsk,
			DrawError::NoneEligible => Error::<T>::NoEligibleProvider,
			DrawError::NotCovered => Error::<T>::NoProviderCovers,
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
	/// A seed for the draws of `job` for `purpose`, from this block's randomness
	/// ([`crate::BlockSeed`], worked out by the hook; out of a block, as the hook would).
	pub(crate) fn seed(job: JobId, purpose: &[u8]) -> [u8; 32] {
		let block = crate::BlockSeed::<T>::get().unwrap_or_else(Self::block_seed);
		sp_io::hashing::blake2_256(&(block, job, purpose).encode())
	}

	/// Draws one provider for `seat` in a job of `model` with `needs`, leaving out `exclude`
	/// (see the module docs), and adds what it read to [`crate::PathWeight`].
	/// `timing` is [`Pallet::timing`], read once by the caller for all its draws.
	pub(crate) fn draw_one(
		model: ModelId,
		seat: Seat<BalanceOf<T>>,
		needs: &JobNeeds,
		exclude: &[T::AccountId],
		seed: &[u8],
		timing: &Timing,
	) -> Result<Candidate<T::AccountId, BalanceOf<T>>, DrawError> {
		let most = DrawCost { tries: TRIES, slots: WINDOW };
		Self::draw_with(model, seat, needs, exclude, seed, timing, most)
	}

	/// [`Pallet::draw_one`] with up to `most.tries` tries in the index and a window of
	/// `most.slots` slots (the benchmark of a draw measures each). Charges `draw(tries made,
	/// slots read)` to [`crate::PathWeight`].
	pub(crate) fn draw_with(
		model: ModelId,
		seat: Seat<BalanceOf<T>>,
		needs: &JobNeeds,
		exclude: &[T::AccountId],
		seed: &[u8],
		timing: &Timing,
		most: DrawCost,
	) -> Result<Candidate<T::AccountId, BalanceOf<T>>, DrawError> {
		let (drawn, spent) = Self::draw_counted(model, seat, needs, exclude, seed, timing, most);
		let weight = Self::draw_weight(spent.tries, spent.slots);
		crate::PathWeight::<T>::mutate(|w| w.draws = w.draws.saturating_add(weight));
		drawn
	}

	/// The draw itself, within `most`; with what it read.
	fn draw_counted(
		model: ModelId,
		seat: Seat<BalanceOf<T>>,
		needs: &JobNeeds,
		exclude: &[T::AccountId],
		seed: &[u8],
		timing: &Timing,
		most: DrawCost,
	) -> (Result<Candidate<T::AccountId, BalanceOf<T>>, DrawError>, DrawCost) {
		let DrawCost { tries, slots: window } = most;
		let mut spent = DrawCost::default();
		let count = T::Providers::slot_count(model);
		let total = if count > window && tries > 0 { T::Providers::total_weight(model) } else { 0 };
		if total > 0 {
			for i in 0..tries {
				spent.tries = i.saturating_add(1);
				let (r, keep) = numbers(seed, b"try", i);
				let Some((who, indexed)) =
					T::Providers::find(model, r.checked_rem(total).unwrap_or(0))
				else {
					continue;
				};
				if exclude.contains(&who) {
					continue;
				}
				let Some(c) = Self::seated(timing, model, &who, seat, needs) else {
					continue;
				};
				// `c.weight` is bond × score, at most `indexed × MAX_SCORE`.
				let bound = indexed.saturating_mul(u128::from(MAX_SCORE)).max(1);
				if keep.checked_rem(bound).unwrap_or(0) < c.weight {
					return (Ok(c), spent);
				}
			}
		}
		let start = if count > window {
			numbers(seed, b"window", 0).0.checked_rem(u128::from(count)).unwrap_or(0) as u32
		} else {
			0
		};
		spent.slots = count.min(window);
		let window: Vec<T::AccountId> = (0..spent.slots)
			.filter_map(|k| {
				T::Providers::at_slot(model, start.saturating_add(k).checked_rem(count)?)
			})
			.filter(|who| !exclude.contains(who))
			.collect();
		let bid = match seat {
			Seat::Executor { bid } => bid,
			Seat::Auditor => {
				let pool: Vec<_> = window
					.iter()
					.filter_map(|who| T::Providers::auditor(model, who, needs))
					.collect();
				let drawn = weighted_sample(pool, 1, seed).pop().ok_or(DrawError::NoneEligible);
				return (drawn, spent);
			}
		};
		// One read of each: who could take any job at any price, then this job at this bid.
		let any: Vec<_> =
			window.iter().filter_map(|who| Self::available(timing, model, who)).collect();
		let covers = |c: &Candidate<T::AccountId, BalanceOf<T>>| timing.covers(c, needs);
		let affordable = |c: &&Candidate<T::AccountId, BalanceOf<T>>| c.ask <= bid && covers(c);
		let pool: Vec<_> = any
			.iter()
			.filter(affordable)
			.filter(|c| Self::exposure_allows(c, bid, needs))
			.cloned()
			.collect();
		if let Some(c) = weighted_sample(pool, 1, seed).pop() {
			return (Ok(c), spent);
		}
		// Say why, for the providers read: none at all (or none with room for what this job
		// could pay them), none covering the job, or all too dear.
		let why = if any.is_empty() || any.iter().any(|c| affordable(&c)) {
			DrawError::NoneEligible
		} else if !any.iter().any(&covers) {
			DrawError::NotCovered
		} else {
			DrawError::BidBelowEveryAsk
		};
		(Err(why), spent)
	}

	/// `who`, if it may take `seat` in a job of `model` with `needs`.
	fn seated(
		timing: &Timing,
		model: ModelId,
		who: &T::AccountId,
		seat: Seat<BalanceOf<T>>,
		needs: &JobNeeds,
	) -> Option<Candidate<T::AccountId, BalanceOf<T>>> {
		match seat {
			Seat::Executor { bid } => Self::candidate_in(timing, model, who, bid, needs),
			Seat::Auditor => T::Providers::auditor(model, who, needs),
		}
	}

	/// `who` as a draw's window (and a quote) reads it: a candidate if it can take some job now
	/// at any ask; whether it takes a given job is then `timing.covers` and its ask.
	pub(crate) fn available(
		timing: &Timing,
		model: ModelId,
		who: &T::AccountId,
	) -> Option<Candidate<T::AccountId, BalanceOf<T>>> {
		Self::candidate_in(timing, model, who, Bounded::max_value(), &JobNeeds::SMALLEST)
	}

	/// Draws the executor of a new job of `owner` (who is not drawn).
	pub(crate) fn draw_executor(
		job: JobId,
		owner: &T::AccountId,
		model: ModelId,
		bid: BalanceOf<T>,
		needs: &JobNeeds,
		timing: &Timing,
	) -> Result<Candidate<T::AccountId, BalanceOf<T>>, DrawError> {
		let seat = Seat::Executor { bid };
		let exclude = core::slice::from_ref(owner);
		Self::draw_one(model, seat, needs, exclude, &Self::seed(job, b"initial"), timing)
	}

	/// Draws the provider of other work than a job (a session) for `owner` (not drawn),
	/// exactly as a job's executor is drawn, seeded by this block's randomness and `subject`.
	pub(crate) fn draw_for(
		owner: &T::AccountId,
		model: ModelId,
		bid: BalanceOf<T>,
		needs: &JobNeeds,
		subject: &[u8],
	) -> Result<Candidate<T::AccountId, BalanceOf<T>>, DrawError> {
		let block = crate::BlockSeed::<T>::get().unwrap_or_else(Self::block_seed);
		let seed = sp_io::hashing::blake2_256(&(block, b"other", subject).encode());
		let seat = Seat::Executor { bid };
		let exclude = core::slice::from_ref(owner);
		Self::draw_one(model, seat, needs, exclude, &seed, &Self::timing())
	}

	/// Draws up to `n` more eligible providers for `job` in `role`, excluding everyone
	/// already assigned and the job's owner, and assigns them (see [`Seat`]). Returns the
	/// deadline the drawn need, or `None` when nobody was assigned.
	pub(crate) fn draw_more(
		job_id: JobId,
		job: &mut JobOf<T>,
		n: usize,
		role: Role,
		purpose: &[u8],
	) -> Option<BlockNumberFor<T>> {
		let of_role = job.assignments.iter().filter(|a| a.role == role).count() as u32;
		let cap = match role {
			Role::Executor => MAX_EXECUTOR_REPLACEMENTS.saturating_add(1),
			Role::Auditor { .. } => MAX_ASSIGNMENTS,
		};
		let room = (cap.saturating_sub(of_role) as usize)
			.min((MAX_ASSIGNMENTS as usize).saturating_sub(job.assignments.len()));
		let n = n.min(room);
		if n == 0 {
			return None;
		}
		let mut exclude: Vec<T::AccountId> =
			job.assignments.iter().map(|a| a.provider.clone()).collect();
		exclude.push(job.owner.clone());
		let needs = Self::needs(Self::prompt_tokens(job_id), job.max_tokens);
		let seat = match role {
			Role::Executor => Seat::Executor { bid: job.bid },
			Role::Auditor { .. } => Seat::Auditor,
		};
		let seed = Self::seed(job_id, purpose);
		let timing = Self::timing();
		let mut added = Vec::new();
		for k in 0..n as u32 {
			let seed = if k == 0 { seed } else { sp_io::hashing::blake2_256(&(seed, k).encode()) };
			let Ok(c) = Self::draw_one(job.model, seat, &needs, &exclude, &seed, &timing) else {
				break;
			};
			exclude.push(c.provider.clone());
			if Self::assign(job_id, job, c.clone(), role).is_ok() {
				added.push(c);
			}
		}
		(!added.is_empty()).then(|| match role {
			Role::Executor => Self::deadline_for(&timing, &added, &needs),
			// Declared speeds do not bound an auditor's seat: it gets what an executor could.
			Role::Auditor { .. } => Self::audit_deadline(&timing, &added, &needs),
		})
	}

	/// Records `c` as assigned to the job and counts the job against its concurrency.
	pub(crate) fn assign(
		job_id: JobId,
		job: &mut JobOf<T>,
		c: Candidate<T::AccountId, BalanceOf<T>>,
		role: Role,
	) -> DispatchResult {
		if job.assignments.is_full() {
			// `draw_more` leaves room for every assignment it makes.
			frame_support::defensive!("a job's assignments overflowed their bound");
			return Err(Error::<T>::TooManyAssignments.into());
		}
		match role {
			Role::Executor => T::Providers::job_assigned(&c.provider)?,
			Role::Auditor { .. } => T::Providers::audit_assigned(&c.provider)?,
		}
		let price = match role {
			Role::Executor => c.ask.min(job.bid),
			Role::Auditor { .. } => Zero::zero(),
		};
		if role == Role::Executor {
			// The draw checked it fits ([`Self::exposure_allows`]); released at the close.
			Self::add_exposure(&c.provider, Self::at_stake(price, job.max_tokens));
		}
		let assignment = crate::Assignment {
			provider: c.provider.clone(),
			price,
			state: crate::AssignmentState::Waiting,
			role,
		};
		// Room was checked above.
		let _ = job.assignments.try_push(assignment);
		if role == Role::Executor {
			// The attestation names the engine of the executor that answers.
			job.engine = c.engine;
		}
		match role {
			Role::Executor => Self::deposit_event(Event::ProviderAssigned {
				job: job_id,
				provider: c.provider,
				price,
			}),
			Role::Auditor { committee } => Self::deposit_event(Event::AuditorAssigned {
				job: job_id,
				auditor: c.provider,
				committee,
			}),
		}
		Ok(())
	}
}

impl<T: Config> mosaic_primitives::DrawProvider<T::AccountId, BalanceOf<T>> for Pallet<T> {
	fn draw_provider(
		owner: &T::AccountId,
		model: ModelId,
		bid: BalanceOf<T>,
		needs: &JobNeeds,
		subject: &[u8],
	) -> Result<Candidate<T::AccountId, BalanceOf<T>>, DrawError> {
		Self::draw_for(owner, model, bid, needs, subject)
	}

	fn draw_weight() -> Weight {
		Self::draws_weight(1)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use sp_core::H256;

	fn cand(id: u64, weight: u128) -> Candidate<u64, u128> {
		let terms = mosaic_primitives::ServingTerms {
			context_length: 1,
			max_output_tokens: 1,
			tokens_per_second: 1,
		};
		let engine = H256::zero();
		Candidate { provider: id, operator: id + 100, ask: 1, engine, bond: 1, weight, terms }
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
