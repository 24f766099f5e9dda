//! One test per rule of the provider registry.

use crate::{
	mock::*, Error, Event, HoldReason, Offers, Operators, ProviderStatus,
	Providers as ProvidersStorage, Reputation, SlotCount, Slots,
};
use frame_support::{
	assert_noop, assert_ok,
	traits::fungible::{Inspect, InspectHold, Mutate},
	BoundedVec,
};
use mosaic_primitives::{JobNeeds, JobOutcome, ProviderRegistry, ServingTerms};
use sp_runtime::{DispatchError, Perbill};

/// The providers in a model's slots, in slot order.
fn listed(model: u32) -> Vec<AccountId> {
	(0..SlotCount::<Test>::get(model)).map(|s| Slots::<Test>::get(model, s).unwrap()).collect()
}

fn held(who: AccountId) -> Balance {
	Balances::balance_on_hold(&HoldReason::ProviderBond.into(), &who)
}

fn register(who: AccountId, op: AccountId, bond: Balance, ask: Balance) {
	assert_ok!(Providers::register_provider(RuntimeOrigin::signed(who), profile(), ask, op, bond));
}

/// The terms the tests serve models on.
const TERMS: ServingTerms =
	ServingTerms { context_length: 2_048, max_output_tokens: 512, tokens_per_second: 20 };

/// A small job, which `TERMS` cover.
const SMALL: JobNeeds = JobNeeds { prompt_tokens: 10, max_tokens: 10 };

fn register_serving(who: AccountId, op: AccountId, model: u32) {
	register(who, op, MIN_BOND, 10);
	assert_ok!(Providers::serve_model(RuntimeOrigin::signed(who), model, TERMS));
}

#[test]
fn registering_holds_the_bond_and_binds_the_operator() {
	new_test_ext(|| {
		register(P1, OP1, 2_000, 10);
		assert_eq!(held(P1), 2_000);
		assert_eq!(Balances::free_balance(P1), ENDOWMENT - 2_000);
		assert_eq!(Operators::<Test>::get(OP1), Some(P1));
		assert_eq!(Providers::provider_of(&OP1), Some(P1));
		assert_eq!(Providers::operator(&P1), Some(OP1));
		// The operator exists without funds, so it can sign fee-less results.
		assert_eq!(System::providers(&OP1), 1);
		assert_eq!(Balances::free_balance(OP1), 0);
		let p = ProvidersStorage::<Test>::get(P1).unwrap();
		assert_eq!((p.bond, p.ask, p.status), (2_000, 10, ProviderStatus::Active));
		System::assert_last_event(
			Event::ProviderRegistered { provider: P1, operator: OP1, bond: 2_000 }.into(),
		);
	});
}

#[test]
fn a_bond_below_the_minimum_is_refused() {
	new_test_ext(|| {
		assert_noop!(
			Providers::register_provider(
				RuntimeOrigin::signed(P1),
				profile(),
				1,
				OP1,
				MIN_BOND - 1
			),
			Error::<Test>::BondBelowMinimum
		);
	});
}

#[test]
fn registering_without_the_funds_fails_and_holds_nothing() {
	new_test_ext(|| {
		assert_noop!(
			Providers::register_provider(RuntimeOrigin::signed(POOR), profile(), 1, OP1, MIN_BOND),
			Error::<Test>::InsufficientBalance
		);
		assert_eq!(held(POOR), 0);
		assert!(Operators::<Test>::get(OP1).is_none());
	});
}

#[test]
fn registering_twice_is_refused() {
	new_test_ext(|| {
		register(P1, OP1, MIN_BOND, 1);
		assert_noop!(
			Providers::register_provider(RuntimeOrigin::signed(P1), profile(), 1, OP2, MIN_BOND),
			Error::<Test>::AlreadyRegistered
		);
	});
}

#[test]
fn operator_keys_are_unique_and_not_the_provider_itself() {
	new_test_ext(|| {
		register(P1, OP1, MIN_BOND, 1);
		assert_noop!(
			Providers::register_provider(RuntimeOrigin::signed(P2), profile(), 1, OP1, MIN_BOND),
			Error::<Test>::OperatorInUse
		);
		assert_noop!(
			Providers::register_provider(RuntimeOrigin::signed(P2), profile(), 1, P1, MIN_BOND),
			Error::<Test>::OperatorInUse
		);
		assert_noop!(
			Providers::register_provider(RuntimeOrigin::signed(P2), profile(), 1, P2, MIN_BOND),
			Error::<Test>::OperatorIsProvider
		);
		// Nor can a provider's operator key register as a provider itself, funds or not
		// (review L8).
		let _ = Balances::set_balance(&OP1, ENDOWMENT);
		assert_noop!(
			Providers::register_provider(RuntimeOrigin::signed(OP1), profile(), 1, OP2, MIN_BOND),
			Error::<Test>::AccountIsOperator
		);
	});
}

#[test]
fn zero_concurrency_is_refused() {
	new_test_ext(|| {
		let mut prof = profile();
		prof.max_concurrent_jobs = 0;
		assert_noop!(
			Providers::register_provider(RuntimeOrigin::signed(P1), prof.clone(), 1, OP1, MIN_BOND),
			Error::<Test>::ZeroConcurrency
		);
		register(P1, OP1, MIN_BOND, 1);
		assert_noop!(
			Providers::update_profile(RuntimeOrigin::signed(P1), prof, 1),
			Error::<Test>::ZeroConcurrency
		);
	});
}

#[test]
fn rotating_the_operator_key_moves_the_binding() {
	new_test_ext(|| {
		register(P1, OP1, MIN_BOND, 1);
		assert_ok!(Providers::set_operator_key(RuntimeOrigin::signed(P1), OP2));
		assert!(Operators::<Test>::get(OP1).is_none());
		assert_eq!(Operators::<Test>::get(OP2), Some(P1));
		assert_eq!(System::providers(&OP1), 0);
		assert_eq!(System::providers(&OP2), 1);
		System::assert_last_event(Event::OperatorKeySet { provider: P1, operator: OP2 }.into());
		assert_noop!(
			Providers::set_operator_key(RuntimeOrigin::signed(P2), OP3),
			Error::<Test>::NotProvider
		);
	});
}

#[test]
fn updating_the_profile_changes_the_ask() {
	new_test_ext(|| {
		register(P1, OP1, MIN_BOND, 1);
		assert_ok!(Providers::update_profile(RuntimeOrigin::signed(P1), profile(), 7));
		assert_eq!(ProvidersStorage::<Test>::get(P1).unwrap().ask, 7);
		System::assert_last_event(Event::ProfileUpdated { provider: P1, ask: 7 }.into());
	});
}

#[test]
fn serving_requires_a_registered_model_and_respects_the_bounds() {
	new_test_ext(|| {
		register(P1, OP1, MIN_BOND, 1);
		let origin = || RuntimeOrigin::signed(P1);
		assert_noop!(
			Providers::serve_model(origin(), MODELS, TERMS),
			Error::<Test>::ModelNotRegistered
		);
		assert_ok!(Providers::serve_model(origin(), 0, TERMS));
		System::assert_last_event(
			Event::ServingModel { provider: P1, model: 0, terms: TERMS }.into(),
		);
		assert_ok!(Providers::serve_model(origin(), 1, TERMS));
		assert_ok!(Providers::serve_model(origin(), 2, TERMS));
		assert_noop!(Providers::serve_model(origin(), 3, TERMS), Error::<Test>::TooManyModels);
		assert_eq!(listed(0), vec![P1]);
		assert_eq!(Offers::<Test>::get(0, P1), Some(TERMS));
	});
}

#[test]
fn serving_again_changes_the_terms_without_listing_twice() {
	new_test_ext(|| {
		register_serving(P1, OP1, 0);
		let faster = ServingTerms { tokens_per_second: 40, ..TERMS };
		assert_ok!(Providers::serve_model(RuntimeOrigin::signed(P1), 0, faster));
		assert_eq!(listed(0), vec![P1]);
		assert_eq!(ProvidersStorage::<Test>::get(P1).unwrap().serving.into_inner(), vec![0]);
		assert_eq!(Offers::<Test>::get(0, P1), Some(faster));
	});
}

#[test]
fn serving_terms_must_be_positive_and_fit_their_context() {
	new_test_ext(|| {
		register(P1, OP1, MIN_BOND, 1);
		let origin = || RuntimeOrigin::signed(P1);
		for bad in [
			ServingTerms { context_length: 0, ..TERMS },
			ServingTerms { max_output_tokens: 0, ..TERMS },
			ServingTerms { tokens_per_second: 0, ..TERMS },
			ServingTerms { max_output_tokens: TERMS.context_length, ..TERMS },
		] {
			assert_noop!(Providers::serve_model(origin(), 0, bad), Error::<Test>::BadServingTerms);
		}
	});
}

#[test]
fn candidates_are_only_providers_whose_terms_cover_the_job() {
	new_test_ext(|| {
		register_serving(P1, OP1, 0); // context 2048, output 512
		register(P2, OP2, MIN_BOND, 10);
		let big = ServingTerms { context_length: 32_768, max_output_tokens: 8_192, ..TERMS };
		assert_ok!(Providers::serve_model(RuntimeOrigin::signed(P2), 0, big));
		let names = |needs: JobNeeds| -> Vec<AccountId> {
			Providers::candidates(0, 100, &needs, &[]).into_iter().map(|c| c.provider).collect()
		};
		assert_eq!(names(SMALL), vec![P1, P2]);
		// Output above P1's largest.
		assert_eq!(names(JobNeeds { prompt_tokens: 10, max_tokens: 513 }), vec![P2]);
		// Prompt + output + 2 above P1's context, though the output alone is within bounds.
		assert_eq!(names(JobNeeds { prompt_tokens: 1_600, max_tokens: 447 }), vec![P2]);
		assert_eq!(names(JobNeeds { prompt_tokens: 1_534, max_tokens: 512 }), vec![P1, P2]);
		// Beyond everyone.
		assert!(names(JobNeeds { prompt_tokens: 10, max_tokens: 9_000 }).is_empty());
		// The candidate carries the terms the jobs pallet derives the deadline from.
		assert_eq!(Providers::candidates(0, 100, &SMALL, &[P1])[0].terms, big);
	});
}

#[test]
fn a_model_has_at_most_max_providers() {
	new_test_ext(|| {
		register_serving(P1, OP1, 0);
		register_serving(P2, OP2, 0);
		register_serving(P3, OP3, 0);
		register(P4, OP4, MIN_BOND, 1);
		assert_noop!(
			Providers::serve_model(RuntimeOrigin::signed(P4), 0, TERMS),
			Error::<Test>::TooManyProvidersForModel
		);
	});
}

#[test]
fn stopping_serving_removes_the_provider_from_the_model() {
	new_test_ext(|| {
		register_serving(P1, OP1, 0);
		assert_noop!(
			Providers::stop_serving(RuntimeOrigin::signed(P1), 1),
			Error::<Test>::NotServing
		);
		assert_ok!(Providers::stop_serving(RuntimeOrigin::signed(P1), 0));
		assert!(!SlotCount::<Test>::contains_key(0));
		assert_eq!(Providers::total_weight(0), 0);
		assert!(!Offers::<Test>::contains_key(0, P1));
		System::assert_last_event(Event::StoppedServing { provider: P1, model: 0 }.into());
	});
}

#[test]
fn pause_and_resume() {
	new_test_ext(|| {
		register_serving(P1, OP1, 0);
		assert_noop!(Providers::resume(RuntimeOrigin::signed(P1)), Error::<Test>::NotPaused);
		assert_ok!(Providers::pause(RuntimeOrigin::signed(P1)));
		assert_noop!(Providers::pause(RuntimeOrigin::signed(P1)), Error::<Test>::AlreadyPaused);
		assert!(Providers::candidates(0, 100, &SMALL, &[]).is_empty());
		assert_ok!(Providers::resume(RuntimeOrigin::signed(P1)));
		assert_eq!(Providers::candidates(0, 100, &SMALL, &[]).len(), 1);
	});
}

#[test]
fn candidates_are_active_bonded_affordable_and_under_capacity() {
	new_test_ext(|| {
		register_serving(P1, OP1, 0); // ask 10
		register_serving(P2, OP2, 0);
		assert_ok!(Providers::update_profile(RuntimeOrigin::signed(P2), profile(), 50));
		register_serving(P3, OP3, 0);

		let names = |bid, ex: &[AccountId]| -> Vec<AccountId> {
			Providers::candidates(0, bid, &SMALL, ex).into_iter().map(|c| c.provider).collect()
		};
		assert_eq!(names(100, &[]), vec![P1, P2, P3]);
		// Ask above bid.
		assert_eq!(names(10, &[]), vec![P1, P3]);
		// Excluded.
		assert_eq!(names(100, &[P1]), vec![P2, P3]);
		// At capacity (2 concurrent jobs).
		assert_ok!(Providers::job_assigned(&P3));
		assert_ok!(Providers::job_assigned(&P3));
		assert_noop!(Providers::job_assigned(&P3), Error::<Test>::AtCapacity);
		assert_eq!(names(100, &[]), vec![P1, P2]);
		Providers::job_ended(&P3, JobOutcome::Completed);
		assert_eq!(names(100, &[]), vec![P1, P2, P3]);
		Providers::job_ended(&P3, JobOutcome::Released);
		// Bond below the minimum after a slash: no new jobs until topped up.
		assert_ok!(Providers::slash(&P1, Perbill::from_percent(1), None));
		assert_eq!(names(100, &[]), vec![P2, P3]);
		assert_ok!(Providers::bond_extra(RuntimeOrigin::signed(P1), 10));
		assert_eq!(names(100, &[]), vec![P1, P2, P3]);
	});
}

#[test]
fn candidate_weight_is_bond_times_reputation() {
	new_test_ext(|| {
		register_serving(P1, OP1, 0);
		let weight = || Providers::candidates(0, 100, &SMALL, &[])[0].weight;
		assert_eq!(weight(), MIN_BOND * 1000);
		assert_ok!(Providers::job_assigned(&P1));
		Providers::job_ended(&P1, JobOutcome::TimedOut);
		// (0 + 1) * 1000 / (1 + 2) = 333.
		assert_eq!(weight(), MIN_BOND * 333);
	});
}

#[test]
fn reputation_score_rewards_success_and_punishes_failure() {
	let r = |completed, timed_out, outvoted| {
		Reputation { completed, timed_out, outvoted, declined: 0 }.score()
	};
	assert_eq!(r(0, 0, 0), 1000);
	assert_eq!(r(100, 0, 0), 1000);
	assert_eq!(r(1, 1, 0), 500);
	assert_eq!(r(0, 0, 1), 200);
	assert_eq!(r(0, u32::MAX, u32::MAX), 1);
	assert_eq!(r(u32::MAX, 0, 0), 1000);
	// A decline costs as much as a success earns, half of a time-out.
	let declined =
		|completed, declined| Reputation { completed, timed_out: 0, outvoted: 0, declined }.score();
	assert_eq!(declined(1, 2), 500);
	assert_eq!(declined(0, 1), 500);
	assert!(declined(0, 1) > r(0, 1, 0));
}

#[test]
fn migration_v1_to_v2_moves_each_model_list_into_the_index() {
	use crate::migrations::{v1, MigrateV1ToV2};
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};
	new_test_ext(|| {
		register_serving(P1, OP1, 0);
		register_serving(P2, OP2, 0);
		register(P3, OP3, 3 * MIN_BOND, 10);
		assert_ok!(Providers::serve_model(RuntimeOrigin::signed(P3), 1, TERMS));
		assert_ok!(Providers::pause(RuntimeOrigin::signed(P2)));
		// Back to v1: the lists, no index.
		for model in [0, 1] {
			let list = listed(model);
			for who in &list {
				crate::Pallet::<Test>::remove_slot(model, who);
			}
			v1::ModelProviders::<Test>::insert(model, BoundedVec::truncate_from(list));
		}
		assert_eq!(crate::WeightTree::<Test>::iter().count(), 0);
		StorageVersion::new(1).put::<Providers>();

		MigrateV1ToV2::<Test>::on_runtime_upgrade();
		assert_eq!(listed(0), vec![P1, P2]);
		assert_eq!(listed(1), vec![P3]);
		// P2 is paused: it weighs nothing until it resumes.
		assert_eq!(Providers::total_weight(0), MIN_BOND);
		assert_eq!(Providers::total_weight(1), 3 * MIN_BOND);
		assert_eq!(v1::ModelProviders::<Test>::iter().count(), 0);
		assert_eq!(Providers::on_chain_storage_version(), 2);
		// Run again: the version gate makes it a no-op.
		MigrateV1ToV2::<Test>::on_runtime_upgrade();
		assert_eq!(listed(0), vec![P1, P2]);
	});
}

#[test]
fn the_index_weighs_each_provider_by_its_bond_while_active() {
	new_test_ext(|| {
		register_serving(P1, OP1, 0);
		register(P2, OP2, 3 * MIN_BOND, 10);
		assert_ok!(Providers::serve_model(RuntimeOrigin::signed(P2), 0, TERMS));
		let m = MIN_BOND;
		assert_eq!(Providers::total_weight(0), 4 * m);
		// The first unit of weight up to MIN_BOND is P1's, the rest P2's.
		assert_eq!(<Providers as ProviderRegistry<_, _>>::find(0, 0), Some((P1, m)));
		assert_eq!(<Providers as ProviderRegistry<_, _>>::find(0, m - 1), Some((P1, m)));
		assert_eq!(<Providers as ProviderRegistry<_, _>>::find(0, m), Some((P2, 3 * m)));
		assert_eq!(<Providers as ProviderRegistry<_, _>>::find(0, 4 * m - 1), Some((P2, 3 * m)));
		assert_eq!(<Providers as ProviderRegistry<_, _>>::find(0, 4 * m), None);
		// Pausing takes P2 out of the draws; resuming puts it back.
		assert_ok!(Providers::pause(RuntimeOrigin::signed(P2)));
		assert_eq!(Providers::total_weight(0), m);
		assert_eq!(<Providers as ProviderRegistry<_, _>>::find(0, m), None);
		assert_ok!(Providers::resume(RuntimeOrigin::signed(P2)));
		assert_eq!(Providers::total_weight(0), 4 * m);
		// Bonding and unbonding move the weight.
		assert_ok!(Providers::bond_extra(RuntimeOrigin::signed(P1), 500));
		assert_ok!(Providers::unbond(RuntimeOrigin::signed(P2), 1_000));
		assert_eq!(Providers::total_weight(0), m + 500 + 2 * m);
		// A slash does not rewrite the index: P2 keeps its indexed weight above its bond, and
		// the jobs pallet keeps a draw of it with chance bond / indexed weight.
		assert_ok!(<Providers as ProviderRegistry<_, _>>::slash(
			&P2,
			Perbill::from_percent(10),
			None
		));
		assert_eq!(Providers::slot_weight(0, 1), 2 * m);
		assert!(ProvidersStorage::<Test>::get(P2).unwrap().bond < 2 * MIN_BOND);
	});
}

#[test]
fn stopping_moves_the_last_slot_into_the_gap() {
	new_test_ext(|| {
		register_serving(P1, OP1, 0);
		register_serving(P2, OP2, 0);
		register(P3, OP3, 2 * MIN_BOND, 10);
		assert_ok!(Providers::serve_model(RuntimeOrigin::signed(P3), 0, TERMS));
		assert_eq!(listed(0), vec![P1, P2, P3]);
		assert_ok!(Providers::stop_serving(RuntimeOrigin::signed(P1), 0));
		assert_eq!(listed(0), vec![P3, P2]);
		assert_eq!(Providers::slot_weight(0, 0), 2 * MIN_BOND);
		assert_eq!(Providers::slot_weight(0, 2), 0);
		assert_ok!(Providers::deregister(RuntimeOrigin::signed(P2)));
		assert_eq!(listed(0), vec![P3]);
		assert_eq!(Providers::total_weight(0), 2 * MIN_BOND);
		// Serving again takes the next slot.
		assert_ok!(Providers::serve_model(RuntimeOrigin::signed(P1), 0, TERMS));
		assert_eq!(listed(0), vec![P3, P1]);
	});
}

#[test]
fn ten_thousand_providers_serve_one_model_and_are_drawn_by_bond() {
	new_test_ext(|| {
		MaxProvidersPerModel::set(10_000);
		let n: AccountId = 10_000;
		for i in 0..n {
			let (who, op) = (1_000_000 + i, 2_000_000 + i);
			// Every hundredth provider bonds ten times the minimum.
			let bond = if i % 100 == 0 { 10 * MIN_BOND } else { MIN_BOND };
			let _ = Balances::set_balance(&who, bond + 10);
			register(who, op, bond, 10);
			assert_ok!(Providers::serve_model(RuntimeOrigin::signed(who), 0, TERMS));
		}
		assert_eq!(SlotCount::<Test>::get(0), 10_000);
		// One more is refused: the bound is the runtime's to set (65,536 there).
		let _ = Balances::set_balance(&5_000_000, MIN_BOND + 10);
		register(5_000_000, 5_000_001, MIN_BOND, 10);
		assert_noop!(
			Providers::serve_model(RuntimeOrigin::signed(5_000_000), 0, TERMS),
			Error::<Test>::TooManyProvidersForModel
		);
		let total = Providers::total_weight(0);
		assert_eq!(total, (9_900 + 100 * 10) * MIN_BOND);
		// 100 heavy providers hold 1,000 of 10,900 units: ~9.2 % of 2,000 draws.
		let heavy = (0u128..2_000)
			.filter_map(|k| {
				let r = u128::from_le_bytes(sp_io::hashing::blake2_128(&k.to_le_bytes())) % total;
				<Providers as ProviderRegistry<_, _>>::find(0, r)
			})
			.filter(|(who, _)| (who - 1_000_000) % 100 == 0)
			.count();
		assert!((130..=240).contains(&heavy), "heavy drawn {heavy} of 2,000 times");
		MaxProvidersPerModel::set(3);
	});
}

#[test]
fn job_outcomes_update_reputation_and_concurrency() {
	new_test_ext(|| {
		register(P1, OP1, MIN_BOND, 1);
		for outcome in [
			JobOutcome::Completed,
			JobOutcome::TimedOut,
			JobOutcome::Outvoted,
			JobOutcome::Declined,
		] {
			assert_ok!(Providers::job_assigned(&P1));
			Providers::job_ended(&P1, outcome);
		}
		let p = ProvidersStorage::<Test>::get(P1).unwrap();
		assert_eq!(
			p.reputation,
			Reputation { completed: 1, timed_out: 1, outvoted: 1, declined: 1 }
		);
		// Declining cost reputation, never stake.
		assert_eq!(held(P1), MIN_BOND);
		assert_eq!(p.active_jobs, 0);
	});
}

#[test]
fn leaving_and_registering_again_keeps_the_track_record() {
	new_test_ext(|| {
		register(P1, OP1, MIN_BOND, 1);
		for outcome in [JobOutcome::TimedOut, JobOutcome::Outvoted, JobOutcome::Completed] {
			assert_ok!(Providers::job_assigned(&P1));
			Providers::job_ended(&P1, outcome);
		}
		let record = ProvidersStorage::<Test>::get(P1).unwrap().reputation;
		assert_ok!(Providers::deregister(RuntimeOrigin::signed(P1)));
		System::set_block_number(1 + UNBONDING);
		assert_ok!(Providers::withdraw_unbonded(RuntimeOrigin::signed(P1)));
		assert!(ProvidersStorage::<Test>::get(P1).is_none());
		register(P1, OP1, MIN_BOND, 1);
		assert_eq!(ProvidersStorage::<Test>::get(P1).unwrap().reputation, record);
		assert!(record.score() < 1000, "a fresh record would score 1000");
	});
}

#[test]
fn bond_extra_holds_more() {
	new_test_ext(|| {
		register(P1, OP1, MIN_BOND, 1);
		assert_noop!(
			Providers::bond_extra(RuntimeOrigin::signed(P1), 0),
			Error::<Test>::ZeroAmount
		);
		assert_noop!(
			Providers::bond_extra(RuntimeOrigin::signed(P1), ENDOWMENT),
			Error::<Test>::InsufficientBalance
		);
		assert_ok!(Providers::bond_extra(RuntimeOrigin::signed(P1), 500));
		assert_eq!(held(P1), MIN_BOND + 500);
		System::assert_last_event(Event::Bonded { provider: P1, amount: 500 }.into());
	});
}

#[test]
fn unbonding_below_the_minimum_while_active_is_refused() {
	new_test_ext(|| {
		register(P1, OP1, MIN_BOND + 100, 1);
		assert_noop!(
			Providers::unbond(RuntimeOrigin::signed(P1), 101),
			Error::<Test>::UnbondingBelowMinimum
		);
		assert_noop!(
			Providers::unbond(RuntimeOrigin::signed(P1), MIN_BOND + 101),
			Error::<Test>::UnbondingMoreThanBonded
		);
		assert_noop!(Providers::unbond(RuntimeOrigin::signed(P1), 0), Error::<Test>::ZeroAmount);
		assert_ok!(Providers::unbond(RuntimeOrigin::signed(P1), 100));
		// Paused, it may go below the minimum.
		assert_ok!(Providers::pause(RuntimeOrigin::signed(P1)));
		assert_ok!(Providers::unbond(RuntimeOrigin::signed(P1), 500));
		assert_noop!(Providers::resume(RuntimeOrigin::signed(P1)), Error::<Test>::BondBelowMinimum);
	});
}

#[test]
fn unbonded_funds_stay_held_until_the_period_ends() {
	new_test_ext(|| {
		register(P1, OP1, MIN_BOND + 300, 1);
		assert_ok!(Providers::unbond(RuntimeOrigin::signed(P1), 300));
		System::assert_last_event(
			Event::Unbonding { provider: P1, amount: 300, unlock_at: 1 + UNBONDING }.into(),
		);
		assert_eq!(held(P1), MIN_BOND + 300);
		assert_noop!(
			Providers::withdraw_unbonded(RuntimeOrigin::signed(P1)),
			Error::<Test>::NothingToWithdraw
		);
		System::set_block_number(1 + UNBONDING);
		assert_ok!(Providers::withdraw_unbonded(RuntimeOrigin::signed(P1)));
		assert_eq!(held(P1), MIN_BOND);
		assert_eq!(Balances::free_balance(P1), ENDOWMENT - MIN_BOND);
		System::assert_last_event(Event::Withdrawn { provider: P1, amount: 300 }.into());
	});
}

#[test]
fn unbonding_chunks_are_bounded_and_merge_within_a_block() {
	new_test_ext(|| {
		register(P1, OP1, MIN_BOND + 100, 1);
		let unbond = || Providers::unbond(RuntimeOrigin::signed(P1), 10);
		assert_ok!(unbond());
		assert_ok!(unbond()); // same block: merged
		assert_eq!(ProvidersStorage::<Test>::get(P1).unwrap().unbonding.len(), 1);
		System::set_block_number(2);
		assert_ok!(unbond());
		System::set_block_number(3);
		assert_ok!(unbond());
		System::set_block_number(4);
		assert_noop!(unbond(), Error::<Test>::TooManyUnbondingChunks);
	});
}

#[test]
fn deregistering_needs_no_job_in_flight() {
	new_test_ext(|| {
		register_serving(P1, OP1, 0);
		assert_ok!(Providers::job_assigned(&P1));
		assert_noop!(Providers::deregister(RuntimeOrigin::signed(P1)), Error::<Test>::JobsInFlight);
		Providers::job_ended(&P1, JobOutcome::Completed);
		assert_ok!(Providers::deregister(RuntimeOrigin::signed(P1)));
	});
}

#[test]
fn deregistering_unbonds_everything_and_removes_the_record_once_withdrawn() {
	new_test_ext(|| {
		register_serving(P1, OP1, 0);
		assert_ok!(Providers::deregister(RuntimeOrigin::signed(P1)));
		let p = ProvidersStorage::<Test>::get(P1).unwrap();
		assert_eq!((p.status, p.bond), (ProviderStatus::Leaving, 0));
		assert!(listed(0).is_empty());
		assert!(Operators::<Test>::get(OP1).is_none());
		assert_eq!(System::providers(&OP1), 0);
		assert_eq!(held(P1), MIN_BOND);
		// Leaving providers can do nothing but withdraw.
		assert_noop!(Providers::pause(RuntimeOrigin::signed(P1)), Error::<Test>::NotProvider);
		assert_noop!(
			Providers::serve_model(RuntimeOrigin::signed(P1), 1, TERMS),
			Error::<Test>::NotProvider
		);
		System::set_block_number(1 + UNBONDING);
		assert_ok!(Providers::withdraw_unbonded(RuntimeOrigin::signed(P1)));
		assert!(ProvidersStorage::<Test>::get(P1).is_none());
		assert_eq!(Balances::free_balance(P1), ENDOWMENT);
		System::assert_last_event(Event::ProviderRemoved { provider: P1 }.into());
		// And may register again.
		register(P1, OP1, MIN_BOND, 1);
	});
}

#[test]
fn slashing_takes_the_bond_first_then_the_newest_chunks() {
	new_test_ext(|| {
		register(P1, OP1, 2_000, 1);
		assert_ok!(Providers::pause(RuntimeOrigin::signed(P1)));
		assert_ok!(Providers::unbond(RuntimeOrigin::signed(P1), 1_000));
		System::set_block_number(2);
		assert_ok!(Providers::unbond(RuntimeOrigin::signed(P1), 500));
		// Stake: bond 500 + chunks 1000 (older) and 500 (newer) = 2000. Slash 50% = 1000.
		let treasury_before = Balances::free_balance(TREASURY);
		let issuance = Balances::total_issuance();
		assert_eq!(Providers::slash(&P1, Perbill::from_percent(50), None), Ok(1_000));
		let p = ProvidersStorage::<Test>::get(P1).unwrap();
		assert_eq!(p.bond, 0);
		assert_eq!(p.unbonding.iter().map(|c| c.amount).collect::<Vec<_>>(), vec![1_000]);
		assert_eq!(held(P1), 1_000);
		assert_eq!(Balances::free_balance(TREASURY), treasury_before + 1_000);
		assert_eq!(Balances::total_issuance(), issuance, "a slash moves funds, never burns");
		System::assert_last_event(
			Event::Slashed { provider: P1, to_treasury: 1_000, reporter: None, to_reporter: 0 }
				.into(),
		);
	});
}

#[test]
fn a_reporter_gets_its_share_of_a_slash() {
	new_test_ext(|| {
		register(P1, OP1, 10_000, 1);
		assert_eq!(Providers::slash(&P1, Perbill::from_percent(10), Some(&REPORTER)), Ok(1_000));
		assert_eq!(Balances::free_balance(REPORTER), 1 + 100);
		assert_eq!(Balances::free_balance(TREASURY), 1 + 900);
		assert_eq!(held(P1), 9_000);
		System::assert_last_event(
			Event::Slashed {
				provider: P1,
				to_treasury: 900,
				reporter: Some(REPORTER),
				to_reporter: 100,
			}
			.into(),
		);
	});
}

#[test]
fn slashing_an_unknown_provider_fails() {
	new_test_ext(|| {
		assert_eq!(
			Providers::slash(&P1, Perbill::from_percent(10), None),
			Err(Error::<Test>::NotProvider.into())
		);
	});
}

#[test]
fn total_balance_is_preserved_by_bonding() {
	new_test_ext(|| {
		register(P1, OP1, MIN_BOND, 1);
		assert_eq!(Balances::total_balance(&P1), ENDOWMENT);
	});
}

#[test]
fn unsigned_origins_are_refused() {
	new_test_ext(|| {
		assert_noop!(Providers::pause(RuntimeOrigin::none()), DispatchError::BadOrigin);
	});
}

#[test]
fn genesis_registers_providers_serving_models() {
	use sp_runtime::BuildStorage;
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![(P1, ENDOWMENT)],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let engine = sp_core::H256::repeat_byte(7);
	crate::GenesisConfig::<Test> {
		providers: vec![(P1, OP1, 5, MIN_BOND, 2, 8, 3, engine, vec![(0, TERMS), (1, TERMS)])],
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	sp_io::TestExternalities::new(storage).execute_with(|| {
		let p = ProvidersStorage::<Test>::get(P1).unwrap();
		assert_eq!((p.operator, p.ask, p.bond), (OP1, 5, MIN_BOND));
		assert_eq!((p.profile.max_concurrent_jobs, p.profile.engine), (3, engine));
		assert_eq!(p.serving.into_inner(), vec![0, 1]);
		assert_eq!(held(P1), MIN_BOND);
		assert_eq!(Providers::candidates(1, 5, &SMALL, &[]).len(), 1);
		Providers::do_try_state().unwrap();
	});
}

#[test]
fn a_raised_minimum_bond_strands_no_funds() {
	new_test_ext(|| {
		register_serving(P1, OP1, 0);
		let free = Balances::balance(&P1);
		crate::mock::MinProviderBond::set(MIN_BOND * 2);
		// Below the new minimum: no new jobs until it tops up …
		assert!(Providers::candidates(0, 100, &SMALL, &[]).is_empty());
		// … and it can still leave with everything it bonded.
		assert_ok!(Providers::deregister(RuntimeOrigin::signed(P1)));
		System::set_block_number(1 + UNBONDING);
		assert_ok!(Providers::withdraw_unbonded(RuntimeOrigin::signed(P1)));
		assert_eq!((held(P1), Balances::balance(&P1)), (0, free + MIN_BOND));
	});
}

#[test]
fn a_provider_below_a_raised_minimum_tops_up_to_serve_again() {
	new_test_ext(|| {
		register_serving(P1, OP1, 0);
		crate::mock::MinProviderBond::set(MIN_BOND * 2);
		assert_ok!(Providers::bond_extra(RuntimeOrigin::signed(P1), MIN_BOND));
		assert_eq!(Providers::candidates(0, 100, &SMALL, &[]).len(), 1);
	});
}

#[test]
fn a_provider_declares_a_public_endpoint_and_deregistering_withdraws_it() {
	new_test_ext(|| {
		register(P1, OP1, MIN_BOND, 1);
		let url = b"wss://provider.example:9944".to_vec();
		assert_ok!(Providers::set_endpoint(RuntimeOrigin::signed(P1), Some(url.clone())));
		System::assert_last_event(
			Event::EndpointSet { provider: P1, endpoint: Some(url.clone().try_into().unwrap()) }
				.into(),
		);
		assert_eq!(crate::Endpoints::<Test>::get(P1).unwrap().into_inner(), url);
		assert_ok!(Providers::set_endpoint(RuntimeOrigin::signed(P1), None));
		assert!(crate::Endpoints::<Test>::get(P1).is_none());
		assert_ok!(Providers::set_endpoint(RuntimeOrigin::signed(P1), Some(url)));
		assert_ok!(Providers::deregister(RuntimeOrigin::signed(P1)));
		assert!(crate::Endpoints::<Test>::get(P1).is_none());
		assert_noop!(
			Providers::set_endpoint(RuntimeOrigin::signed(P1), Some(b"ws://x".to_vec())),
			Error::<Test>::NotProvider
		);
	});
}

#[test]
fn only_providers_declare_endpoints_and_only_websocket_urls() {
	new_test_ext(|| {
		assert_noop!(
			Providers::set_endpoint(RuntimeOrigin::signed(P1), Some(b"ws://x".to_vec())),
			Error::<Test>::NotProvider
		);
		register(P1, OP1, MIN_BOND, 1);
		let too_long = [b"ws://".as_slice(), &[b'a'; 124]].concat();
		for bad in [
			b"http://x".to_vec(),
			b"ws://".to_vec(),
			b"ws:///path".to_vec(),
			b"ws://a b".to_vec(),
			vec![b'w', b's', b':', b'/', b'/', 0xff],
			"ws://h\u{e9}llo".as_bytes().to_vec(),
			too_long,
		] {
			assert_noop!(
				Providers::set_endpoint(RuntimeOrigin::signed(P1), Some(bad)),
				Error::<Test>::BadEndpoint
			);
		}
		let longest = [b"ws://".as_slice(), &[b'a'; 123]].concat();
		assert_ok!(Providers::set_endpoint(RuntimeOrigin::signed(P1), Some(longest)));
	});
}
