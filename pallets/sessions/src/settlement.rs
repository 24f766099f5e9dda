//! Settling a session: its highest voucher paid from the budget as a job's payment is split,
//! the rest and the deposit returned, the record removed.

use crate::{
	pallet::{BalanceOf, SessionOf},
	Config, Error, Event, HoldReason, Pallet, Sessions,
};
use frame_support::{pallet_prelude::*, traits::fungible::MutateHold, traits::tokens::Precision};
use mosaic_primitives::{EscrowId, Payment, SessionId, Settle};
use sp_runtime::traits::{CheckedDiv, Zero};

impl<T: Config> Pallet<T> {
	/// The output tokens settlement pays for: the highest voucher's, capped at what the budget
	/// pays at the session's price.
	pub fn payable_tokens(s: &SessionOf<T>) -> u32 {
		let owed = s.voucher.map(|v| v.tokens).unwrap_or_default();
		if s.price.is_zero() {
			return owed;
		}
		let affordable = s.budget.checked_div(&s.price).unwrap_or_else(Zero::zero);
		let affordable: u128 =
			sp_runtime::traits::UniqueSaturatedInto::unique_saturated_into(affordable);
		owed.min(u32::try_from(affordable).unwrap_or(u32::MAX))
	}

	/// The logic of [`Pallet::settle_session`].
	pub(crate) fn do_settle(id: SessionId) -> DispatchResult {
		let s = Sessions::<T>::get(id).ok_or(Error::<T>::SessionNotFound)?;
		ensure!(Self::now() >= Self::due_at(&s), Error::<T>::NotDue);
		let tokens = Self::payable_tokens(&s);
		let payments = [Payment { provider: s.provider.clone(), tokens, price: s.price }];
		let reason = HoldReason::Session.into();
		let receipt = T::Settlement::settle(
			&reason,
			EscrowId::Session(id),
			&s.owner,
			s.budget,
			&s.creator,
			s.royalty_bps,
			s.protocol_fee,
			&payments,
			&[],
		)?;
		let returned: BalanceOf<T> =
			T::Currency::release(&reason, &s.owner, s.deposit, Precision::BestEffort)?;
		if returned != s.deposit {
			frame_support::defensive!("a session's deposit was not held in full");
		}
		Sessions::<T>::remove(id);
		Self::deposit_event(Event::SessionSettled {
			session: id,
			tokens,
			log: s.voucher.map(|v| v.log),
			root: s.root,
			receipt,
		});
		Ok(())
	}
}
