//! Declines: a provider's node that cannot run a job says so; it loses reputation, never stake,
//! and the job moves on at once.

use super::*;
use crate::{AssignmentState, DeclineReason, Error, Event, JobStatus};
use frame_support::assert_noop;
use mosaic_primitives::ServingTerms;

fn record(n: u8) -> pallet_mosaic_providers::ProviderOf<Test> {
	pallet_mosaic_providers::Providers::<Test>::get(provider(n)).unwrap()
}

#[test]
fn a_declining_provider_keeps_its_bond_and_is_replaced_at_once() {
	new_test_ext(|| {
		let model = market(2);
		let job = submit(USER, model, 10, 5).unwrap();
		let [first] = assigned(job)[..] else { panic!() };
		let second = 1 - first;
		let (r, d) = diff(&[provider(first), account(USER)], || decline(first, job));
		assert_ok!(r);
		// Nothing moves: no slash, the escrow stays for the replacement.
		assert_eq!(d, vec![(0, 0, 0), (0, 0, 0)]);
		System::assert_has_event(
			Event::ProviderDeclined {
				job,
				provider: provider(first),
				reason: DeclineReason::EngineFailure,
			}
			.into(),
		);
		assert_eq!(waiting(job), vec![second]);
		let j = JobsStorage::<Test>::get(job).unwrap();
		assert_eq!(j.assignments[0].state, AssignmentState::Declined);
		let r = record(first);
		assert_eq!((r.reputation.declined, r.reputation.timed_out, r.active_jobs), (1, 0, 0));
		assert_eq!(r.bond, MIN_BOND);
		// The replacement answers and is paid; the decliner is not.
		let (r, d) = diff(&[provider(first)], || answer(second, job, b"ok", 2));
		assert_ok!(r);
		assert_eq!(d, vec![(0, 0, 0)]);
		assert_eq!(JobsStorage::<Test>::get(job).unwrap().status, JobStatus::Settled);
	});
}

#[test]
fn a_decline_nobody_can_replace_refunds_the_job_in_full() {
	new_test_ext(|| {
		let model = market(1);
		let job = submit(USER, model, 10, 5).unwrap();
		let (r, d) = diff(&[provider(0), account(USER)], || decline(0, job));
		assert_ok!(r);
		assert_eq!(d, vec![(0, 0, 0), (50, -50, 0)]);
		let j = JobsStorage::<Test>::get(job).unwrap();
		assert_eq!((j.status, j.escrow), (JobStatus::Refunded, 0));
		assert!(Jobs::due_at(1 + TIMEOUT).is_empty());
		// Queued only for its record's pruning.
		assert_eq!(j.deadline, System::block_number() + ReceiptRetention::get());
		// Nothing fires at the old deadline.
		let (_, d) = diff(&[provider(0)], || run_to_block(1 + 3 * MAX_TIMEOUT));
		assert_eq!(d, vec![(0, 0, 0)]);
	});
}

#[test]
fn declines_end_when_the_jobs_assignments_are_used_up() {
	new_test_ext(|| {
		let model = market(5);
		let job = submit(USER, model, 10, 5).unwrap();
		// A job has its executor and three replacements.
		for _ in 0..4 {
			let [n] = waiting(job)[..] else { panic!("one provider waits") };
			assert_ok!(decline(n, job));
		}
		let j = JobsStorage::<Test>::get(job).unwrap();
		assert_eq!((j.status, j.assignments.len()), (JobStatus::Refunded, 4));
		for n in 0..5 {
			assert_eq!(record(n).bond, MIN_BOND);
			assert_eq!(record(n).active_jobs, 0);
		}
	});
}

#[test]
fn a_replacement_that_needs_longer_extends_the_deadline() {
	new_test_ext(|| {
		let model = register_model(0);
		add_provider(0, model);
		let job = submit(USER, model, 10, 5).unwrap();
		assert_eq!(JobsStorage::<Test>::get(job).unwrap().deadline, 1 + TIMEOUT);
		// A slower provider joins: 2 tokens per second, so the prompt's 16 tokens (bound) and
		// 10 tokens take 8 + 5 blocks, + 4.
		let slow = ServingTerms { tokens_per_second: 2, ..TERMS };
		add_provider_on(1, model, ASK, ENGINE, slow);
		run_to_block(3);
		assert_ok!(decline(0, job));
		assert_eq!(waiting(job), vec![1]);
		let j = JobsStorage::<Test>::get(job).unwrap();
		assert_eq!(j.deadline, 3 + 17);
		System::assert_has_event(Event::DeadlineExtended { job, deadline: 3 + 17 }.into());
		// The old deadline passes without a slash.
		let (_, d) = diff(&[provider(1)], || run_to_block(1 + TIMEOUT + 1));
		assert_eq!(d, vec![(0, 0, 0)]);
		assert_ok!(answer(1, job, b"slow but sure", 10));
	});
}

#[test]
fn only_an_assigned_provider_still_waiting_declines() {
	new_test_ext(|| {
		let model = market(3);
		assert_noop!(decline(0, 7), Error::<Test>::JobNotFound);
		let job = submit(USER, model, 10, 5).unwrap();
		let [a] = assigned(job)[..] else { panic!() };
		let outsider = (a + 1) % 3;
		assert_noop!(decline(outsider, job), Error::<Test>::NotAssigned);
		assert_ok!(decline(a, job));
		assert_noop!(decline(a, job), Error::<Test>::DuplicateResult);
		let [b] = waiting(job)[..] else { panic!("a replacement waits") };
		assert_ok!(submit_answer(b, job, b"x", 1));
		assert_noop!(decline(b, job), Error::<Test>::JobNotPending);
	});
}

#[test]
fn a_decline_after_the_deadline_is_late() {
	new_test_ext(|| {
		let model = market(1);
		let job = submit(USER, model, 10, 5).unwrap();
		System::set_block_number(1 + TIMEOUT);
		assert_noop!(decline(0, job), Error::<Test>::LateResult);
	});
}

#[test]
fn a_decline_must_be_signed_by_the_providers_operator_for_this_job_and_reason() {
	new_test_ext(|| {
		let model = market(2);
		let job = submit(USER, model, 10, 5).unwrap();
		let [p] = assigned(job)[..] else { panic!() };
		let reason = DeclineReason::ModelMissing;
		let with = |sig| Jobs::decline_job(authorized(), job, provider(p), reason, sig);
		assert_noop!(with(sign_decline(1 - p, job, reason)), Error::<Test>::BadAttestation);
		assert_noop!(
			with(sign_decline(p, job, DeclineReason::Other)),
			Error::<Test>::BadAttestation
		);
		// Nobody but an authorized transaction declines: not the operator's signed call.
		assert_noop!(
			Jobs::decline_job(
				RuntimeOrigin::signed(operator(p)),
				job,
				provider(p),
				reason,
				sign_decline(p, job, reason)
			),
			sp_runtime::DispatchError::BadOrigin
		);
		assert_ok!(with(sign_decline(p, job, reason)));
	});
}
