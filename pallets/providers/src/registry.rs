//! What the jobs pallet sees of providers: candidates, concurrency, reputation, slashing.

use crate::{
	pallet::BalanceOf, Answered, Config, Error, Offers, Pallet, ProviderStatus, Providers,
	SlotCount, Slots,
};
use alloc::vec::Vec;
use frame_support::pallet_prelude::*;
use mosaic_primitives::{Candidate, JobNeeds, JobOutcome, ModelId, ProviderRegistry, ServingTerms};
use sp_runtime::{traits::UniqueSaturatedInto, Perbill};

impl<T: Config> ProviderRegistry<T::AccountId, BalanceOf<T>> for Pallet<T> {
	fn candidates(
		model: ModelId,
		bid: BalanceOf<T>,
		needs: &JobNeeds,
		exclude: &[T::AccountId],
	) -> Vec<Candidate<T::AccountId, BalanceOf<T>>> {
		(0..SlotCount::<T>::get(model))
			.filter_map(|slot| Slots::<T>::get(model, slot))
			.filter(|who| !exclude.contains(who))
			.filter_map(|who| Self::candidate(model, &who, bid, needs))
			.collect()
	}

	fn slot_count(model: ModelId) -> u32 {
		SlotCount::<T>::get(model)
	}

	fn at_slot(model: ModelId, slot: u32) -> Option<T::AccountId> {
		Slots::<T>::get(model, slot)
	}

	fn total_weight(model: ModelId) -> u128 {
		Self::total_weight(model)
	}

	fn find(model: ModelId, r: u128) -> Option<(T::AccountId, u128)> {
		let (slot, weight) = Self::find_slot(model, r)?;
		Some((Slots::<T>::get(model, slot)?, weight))
	}

	fn candidate(
		model: ModelId,
		who: &T::AccountId,
		bid: BalanceOf<T>,
		needs: &JobNeeds,
	) -> Option<Candidate<T::AccountId, BalanceOf<T>>> {
		Self::serving(model, who, |p, terms| {
			p.ask <= bid && Self::has_room(who, p) && terms.covers(needs)
		})
	}

	fn auditor(
		model: ModelId,
		who: &T::AccountId,
		needs: &JobNeeds,
	) -> Option<Candidate<T::AccountId, BalanceOf<T>>> {
		Self::serving(model, who, |_, terms| {
			needs.context_tokens() <= u64::from(terms.context_length)
		})
	}

	fn operator(provider: &T::AccountId) -> Option<T::AccountId> {
		Providers::<T>::get(provider)
			.filter(|p| p.status != ProviderStatus::Leaving)
			.map(|p| p.operator)
	}

	fn provider_of(operator: &T::AccountId) -> Option<T::AccountId> {
		crate::Operators::<T>::get(operator)
	}

	fn job_assigned(provider: &T::AccountId) -> DispatchResult {
		Providers::<T>::try_mutate(provider, |maybe| {
			let p = maybe.as_mut().ok_or(Error::<T>::NotProvider)?;
			ensure!(Self::has_room(provider, p), Error::<T>::AtCapacity);
			p.active_jobs = p.active_jobs.saturating_add(1);
			Ok(())
		})
	}

	fn audit_assigned(provider: &T::AccountId) -> DispatchResult {
		Providers::<T>::try_mutate(provider, |maybe| {
			let p = maybe.as_mut().ok_or(Error::<T>::NotProvider)?;
			p.active_jobs = p.active_jobs.saturating_add(1);
			Ok(())
		})
	}

	fn job_answered(provider: &T::AccountId) {
		let in_flight = Providers::<T>::get(provider).map(|p| p.active_jobs).unwrap_or_default();
		let answered = Answered::<T>::get(provider);
		if answered >= in_flight {
			frame_support::defensive!("a job answered that was not in flight");
			return;
		}
		Answered::<T>::insert(provider, answered.saturating_add(1));
	}

	fn bond_of(provider: &T::AccountId) -> BalanceOf<T> {
		Providers::<T>::get(provider).map(|p| p.bond).unwrap_or_default()
	}

	fn jobs_in_flight(provider: &T::AccountId) -> u32 {
		Providers::<T>::get(provider).map(|p| p.active_jobs).unwrap_or_default()
	}

	fn jobs_answered(provider: &T::AccountId) -> u32 {
		Answered::<T>::get(provider)
	}

	fn track_record(provider: &T::AccountId) -> (u32, u32) {
		Providers::<T>::get(provider)
			.map(|p| (p.reputation.completed, p.reputation.score()))
			.unwrap_or((0, 1))
	}

	fn job_ended(provider: &T::AccountId, outcome: JobOutcome) {
		Providers::<T>::mutate(provider, |maybe| {
			let Some(p) = maybe.as_mut() else {
				frame_support::defensive!("a job ended for a provider that no longer exists");
				return;
			};
			if p.active_jobs == 0 {
				frame_support::defensive!("a job ended for a provider with no job in flight");
			}
			p.active_jobs = p.active_jobs.saturating_sub(1);
			if outcome.follows_answer() {
				// Absent (0) for jobs answered before answers were counted: nothing to free.
				Answered::<T>::mutate_exists(provider, |n| {
					*n = n.and_then(|n| n.checked_sub(1)).filter(|n| *n > 0);
				});
			}
			let r = &mut p.reputation;
			match outcome {
				JobOutcome::Completed => r.completed = r.completed.saturating_add(1),
				JobOutcome::TimedOut => r.timed_out = r.timed_out.saturating_add(1),
				JobOutcome::Outvoted => r.outvoted = r.outvoted.saturating_add(1),
				JobOutcome::Declined => r.declined = r.declined.saturating_add(1),
				JobOutcome::Released => {}
			}
		});
	}

	fn slash(
		provider: &T::AccountId,
		fraction: Perbill,
		reporter: Option<&T::AccountId>,
	) -> Result<BalanceOf<T>, DispatchError> {
		Self::do_slash(provider, fraction, reporter)
	}
}

impl<T: Config> Pallet<T> {
	/// Whether `who` (record `p`) is under its concurrency limit: its jobs in flight less
	/// those it has answered ([`Answered`]).
	fn has_room(who: &T::AccountId, p: &crate::pallet::ProviderOf<T>) -> bool {
		let running = p.active_jobs.saturating_sub(Answered::<T>::get(who));
		running < u32::from(p.profile.max_concurrent_jobs)
	}

	/// `who` as a candidate (weighted bond × score) if it serves `model`, is active, bonded at
	/// least the minimum, and its record and terms pass `and`.
	fn serving(
		model: ModelId,
		who: &T::AccountId,
		and: impl FnOnce(&crate::pallet::ProviderOf<T>, &ServingTerms) -> bool,
	) -> Option<Candidate<T::AccountId, BalanceOf<T>>> {
		let terms = Offers::<T>::get(model, who)?;
		let p = Providers::<T>::get(who)?;
		let eligible = p.status == ProviderStatus::Active
			&& p.bond >= T::MinProviderBond::get()
			&& and(&p, &terms);
		eligible.then(|| {
			let bond: u128 = p.bond.unique_saturated_into();
			Candidate {
				provider: who.clone(),
				operator: p.operator,
				ask: p.ask,
				engine: p.profile.engine,
				bond: p.bond,
				weight: bond.saturating_mul(u128::from(p.reputation.score())).max(1),
				terms,
			}
		})
	}
}
