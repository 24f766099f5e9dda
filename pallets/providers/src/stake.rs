//! Every movement of provider funds: holding bonds, unbonding, withdrawing, slashing.

use crate::{
	pallet::{BalanceOf, ProviderOf},
	Config, Error, Event, HoldReason, Pallet, ProviderStatus, Providers, UnbondingChunk,
};
use frame_support::{
	ensure,
	pallet_prelude::*,
	traits::{
		fungible::MutateHold,
		tokens::{Fortitude, Precision, Restriction},
	},
};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{
	traits::{Saturating, Zero},
	Perbill,
};

impl<T: Config> Pallet<T> {
	/// Holds `amount` from `who` as bond.
	pub(crate) fn hold_bond(who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		T::Currency::hold(&HoldReason::ProviderBond.into(), who, amount)
			.map_err(|_| Error::<T>::InsufficientBalance.into())
	}

	/// Adds an unbonding chunk of `amount` (merged with one unlocking in the same block).
	/// Returns the block it unlocks at.
	pub(crate) fn push_chunk(
		p: &mut ProviderOf<T>,
		amount: BalanceOf<T>,
	) -> Result<BlockNumberFor<T>, DispatchError> {
		let unlock_at =
			frame_system::Pallet::<T>::block_number().saturating_add(T::UnbondingPeriod::get());
		if let Some(last) = p.unbonding.last_mut().filter(|c| c.unlock_at == unlock_at) {
			last.amount = last.amount.saturating_add(amount);
		} else {
			p.unbonding
				.try_push(UnbondingChunk { amount, unlock_at })
				.map_err(|_| Error::<T>::TooManyUnbondingChunks)?;
		}
		Ok(unlock_at)
	}

	pub(crate) fn do_withdraw_unbonded(who: &T::AccountId) -> DispatchResult {
		let now = frame_system::Pallet::<T>::block_number();
		let mut p = Providers::<T>::get(who).ok_or(Error::<T>::NotProvider)?;
		let (ready, pending): (alloc::vec::Vec<_>, alloc::vec::Vec<_>) =
			p.unbonding.iter().cloned().partition(|c| c.unlock_at <= now);
		ensure!(!ready.is_empty(), Error::<T>::NothingToWithdraw);
		let amount =
			ready.iter().fold(BalanceOf::<T>::zero(), |acc, c| acc.saturating_add(c.amount));
		let released = T::Currency::release(
			&HoldReason::ProviderBond.into(),
			who,
			amount,
			Precision::BestEffort,
		)?;
		p.unbonding = BoundedVec::truncate_from(pending);
		Self::deposit_event(Event::Withdrawn { provider: who.clone(), amount: released });
		if p.status == ProviderStatus::Leaving && p.unbonding.is_empty() {
			Self::remove_record(who, p.reputation);
		} else {
			Providers::<T>::insert(who, p);
		}
		Ok(())
	}

	pub(crate) fn do_deregister(who: &T::AccountId) -> DispatchResult {
		let (amount, unlock_at, operator) = Self::mutate_provider(who, |p| {
			ensure!(p.active_jobs == 0, Error::<T>::JobsInFlight);
			let amount = core::mem::take(&mut p.bond);
			let unlock_at = if amount.is_zero() {
				frame_system::Pallet::<T>::block_number()
			} else {
				Self::push_chunk(p, amount)?
			};
			for model in core::mem::take(&mut p.serving) {
				Self::remove_from_model(model, who);
			}
			p.status = ProviderStatus::Leaving;
			Ok((amount, unlock_at, p.operator.clone()))
		})?;
		Self::unbind_operator(&operator);
		crate::Endpoints::<T>::remove(who);
		Self::deposit_event(Event::Deregistered { provider: who.clone() });
		if !amount.is_zero() {
			Self::deposit_event(Event::Unbonding { provider: who.clone(), amount, unlock_at });
		}
		// Nothing held at all: the record can go now.
		if let Some(p) = Providers::<T>::get(who).filter(|p| p.unbonding.is_empty()) {
			Self::remove_record(who, p.reputation);
		}
		Ok(())
	}

	/// Slashes `fraction` of the provider's stake (bond plus unbonding), taking it from the
	/// bond first and then from the newest unbonding chunks. The slashed funds go to the
	/// treasury, `ReporterShare` of them to `reporter` if given. Returns the amount slashed.
	pub(crate) fn do_slash(
		who: &T::AccountId,
		fraction: Perbill,
		reporter: Option<&T::AccountId>,
	) -> Result<BalanceOf<T>, DispatchError> {
		let mut p = Providers::<T>::get(who).ok_or(Error::<T>::NotProvider)?;
		let unbonding =
			p.unbonding.iter().fold(BalanceOf::<T>::zero(), |acc, c| acc.saturating_add(c.amount));
		let mut due = fraction.mul_floor(p.bond.saturating_add(unbonding));
		if due.is_zero() {
			return Ok(Zero::zero());
		}
		let total = due;
		let from_bond = due.min(p.bond);
		p.bond = p.bond.saturating_sub(from_bond);
		due = due.saturating_sub(from_bond);
		for chunk in p.unbonding.iter_mut().rev() {
			if due.is_zero() {
				break;
			}
			let take = due.min(chunk.amount);
			chunk.amount = chunk.amount.saturating_sub(take);
			due = due.saturating_sub(take);
		}
		p.unbonding.retain(|c| !c.amount.is_zero());

		let reason = HoldReason::ProviderBond.into();
		let mut to_reporter = BalanceOf::<T>::zero();
		if let Some(reporter) = reporter {
			let share = T::ReporterShare::get().mul_floor(total);
			// A share below the reporter's existential deposit cannot be paid out: it goes to
			// the treasury with the rest.
			if !share.is_zero()
				&& T::Currency::transfer_on_hold(
					&reason,
					who,
					reporter,
					share,
					Precision::Exact,
					Restriction::Free,
					Fortitude::Force,
				)
				.is_ok()
			{
				to_reporter = share;
			}
		}
		let to_treasury = T::Currency::transfer_on_hold(
			&reason,
			who,
			&T::TreasuryAccount::get(),
			total.saturating_sub(to_reporter),
			Precision::BestEffort,
			Restriction::Free,
			Fortitude::Force,
		)?;
		let slashed = to_treasury.saturating_add(to_reporter);
		if slashed != total {
			frame_support::defensive!("less was held than the provider's recorded stake");
		}
		let removed = p.status == ProviderStatus::Leaving && p.unbonding.is_empty();
		let reputation = p.reputation;
		if !removed {
			Providers::<T>::insert(who, p);
		}
		Self::deposit_event(Event::Slashed {
			provider: who.clone(),
			to_treasury,
			reporter: reporter.filter(|_| !to_reporter.is_zero()).cloned(),
			to_reporter,
		});
		if removed {
			Self::remove_record(who, reputation);
		}
		Ok(slashed)
	}

	/// Removes a provider's record once nothing is held for it, keeping its track record in
	/// [`crate::PastReputation`] for when it registers again.
	fn remove_record(who: &T::AccountId, reputation: crate::Reputation) {
		Providers::<T>::remove(who);
		crate::PastReputation::<T>::insert(who, reputation);
		Self::deposit_event(Event::ProviderRemoved { provider: who.clone() });
	}
}
