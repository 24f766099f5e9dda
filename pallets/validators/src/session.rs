//! The pallet as pallet-session's `SessionManager`: hands over the set after a change.

use crate::{Changed, Config, Event, Pallet, Validators};
use alloc::vec::Vec;
use frame_support::traits::{Contains, Get};

impl<T: Config> pallet_session::SessionManager<T::AccountId> for Pallet<T> {
	fn new_session(session: u32) -> Option<Vec<T::AccountId>> {
		if !Changed::<T>::take() {
			return None;
		}
		let mut planned = Vec::new();
		for who in Validators::<T>::get() {
			if T::HasSessionKeys::contains(&who) {
				planned.push(who);
			} else {
				Self::deposit_event(Event::ValidatorWithoutKeys { who });
			}
		}
		let with_keys = u32::try_from(planned.len()).unwrap_or(u32::MAX);
		if planned.is_empty() || with_keys < T::MinValidators::get() {
			log::warn!(
				target: "runtime::validators",
				"only {with_keys} validators have session keys; the current set stays in force"
			);
			Self::deposit_event(Event::SetKeptTooFewWithKeys { with_keys });
			return None;
		}
		Self::deposit_event(Event::NewSetPlanned { session, validators: with_keys });
		Some(planned)
	}

	/// pallet-session takes the genesis set from its own genesis keys.
	fn new_session_genesis(_session: u32) -> Option<Vec<T::AccountId>> {
		None
	}

	fn end_session(_session: u32) {}

	fn start_session(_session: u32) {}
}
