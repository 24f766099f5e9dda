//! One test per rule of the validator set.

use crate::{mock::*, Changed, Error, Event, Validators as Set};
use frame_support::{assert_noop, assert_ok};
use pallet_session::SessionManager;
use sp_runtime::DispatchError;

fn root() -> RuntimeOrigin {
	RuntimeOrigin::root()
}

fn set() -> Vec<AccountId> {
	Set::<Test>::get().into_inner()
}

#[test]
fn genesis_sets_the_validators_and_plans_nothing() {
	new_test_ext(|| {
		assert_eq!(set(), GENESIS.to_vec());
		assert_eq!(<Validators as SessionManager<_>>::new_session_genesis(0), None);
		assert_eq!(<Validators as SessionManager<_>>::new_session(1), None);
	});
}

#[test]
fn only_the_admin_origin_changes_the_set() {
	new_test_ext(|| {
		set_keys(3, true);
		assert_noop!(
			Validators::add_validator(RuntimeOrigin::signed(3), 3),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Validators::remove_validator(RuntimeOrigin::signed(1), 1),
			DispatchError::BadOrigin
		);
	});
}

#[test]
fn an_account_without_session_keys_is_refused() {
	new_test_ext(|| {
		assert_noop!(Validators::add_validator(root(), 3), Error::<Test>::NoSessionKeys);
	});
}

#[test]
fn an_added_validator_is_in_the_next_planned_set() {
	new_test_ext(|| {
		set_keys(3, true);
		assert_ok!(Validators::add_validator(root(), 3));
		System::assert_last_event(Event::ValidatorAdded { who: 3 }.into());
		assert_eq!(set(), vec![1, 2, 3]);
		assert_eq!(<Validators as SessionManager<_>>::new_session(5), Some(vec![1, 2, 3]));
		System::assert_last_event(Event::NewSetPlanned { session: 5, validators: 3 }.into());
		// Planned once: the next session keeps it.
		assert!(!Changed::<Test>::get());
		assert_eq!(<Validators as SessionManager<_>>::new_session(6), None);
	});
}

#[test]
fn a_member_cannot_be_added_twice() {
	new_test_ext(|| {
		assert_noop!(Validators::add_validator(root(), 1), Error::<Test>::AlreadyValidator);
	});
}

#[test]
fn the_set_is_bounded_above() {
	new_test_ext(|| {
		for v in 3..=5 {
			set_keys(v, true);
		}
		assert_ok!(Validators::add_validator(root(), 3));
		assert_ok!(Validators::add_validator(root(), 4));
		assert_noop!(Validators::add_validator(root(), 5), Error::<Test>::TooManyValidators);
	});
}

#[test]
fn a_removed_validator_leaves_the_next_planned_set() {
	new_test_ext(|| {
		set_keys(3, true);
		assert_ok!(Validators::add_validator(root(), 3));
		assert_ok!(Validators::remove_validator(root(), 1));
		System::assert_last_event(Event::ValidatorRemoved { who: 1 }.into());
		assert_eq!(<Validators as SessionManager<_>>::new_session(2), Some(vec![2, 3]));
	});
}

#[test]
fn removing_below_the_minimum_is_refused() {
	new_test_ext(|| {
		assert_noop!(Validators::remove_validator(root(), 1), Error::<Test>::TooFewValidators);
		assert_eq!(set(), GENESIS.to_vec());
	});
}

#[test]
fn removing_a_non_member_is_refused() {
	new_test_ext(|| {
		assert_noop!(Validators::remove_validator(root(), 9), Error::<Test>::NotValidator);
	});
}

#[test]
fn a_member_that_purged_its_keys_is_left_out_of_the_plan() {
	new_test_ext(|| {
		set_keys(3, true);
		assert_ok!(Validators::add_validator(root(), 3));
		set_keys(2, false);
		assert_eq!(<Validators as SessionManager<_>>::new_session(2), Some(vec![1, 3]));
		System::assert_has_event(Event::ValidatorWithoutKeys { who: 2 }.into());
		// Still a member: it comes back once it sets keys and the set changes again.
		assert_eq!(set(), vec![1, 2, 3]);
	});
}

#[test]
fn too_few_members_with_keys_keep_the_current_set() {
	new_test_ext(|| {
		set_keys(3, true);
		assert_ok!(Validators::add_validator(root(), 3));
		set_keys(2, false);
		set_keys(3, false);
		assert_eq!(<Validators as SessionManager<_>>::new_session(2), None);
		System::assert_last_event(Event::SetKeptTooFewWithKeys { with_keys: 1 }.into());
	});
}

/// Genesis does not check the minimum (a runtime may derive it from state a later pallet's
/// genesis writes); the invariants do.
#[test]
fn a_genesis_below_the_minimum_fails_the_invariants() {
	use sp_runtime::BuildStorage;
	let storage = crate::GenesisConfig::<Test> { validators: vec![1] }.build_storage().unwrap();
	sp_io::TestExternalities::new(storage).execute_with(|| {
		assert_eq!(
			crate::Pallet::<Test>::do_try_state(),
			Err("fewer validators than the minimum".into())
		);
	});
}
