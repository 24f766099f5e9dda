//! Submitting results: who may, what is checked, and the majority decision.

use super::*;
use crate::{Error, Event, JobStatus, Results};
use frame_support::assert_noop;
use mosaic_primitives::AttestationPayload;

#[test]
fn a_single_answer_stands_and_settles_the_job() {
	new_test_ext(|| {
		let model = market(1);
		let job = submit(USER, model, 10, 5, 1).unwrap();
		assert_ok!(answer(0, job, b"hello world", 4));
		let j = JobsStorage::<Test>::get(job).unwrap();
		let h = H256(sp_io::hashing::blake2_256(b"hello world"));
		assert_eq!((j.status, j.outcome), (JobStatus::Settled, Some((h, 4))));
		let stored = Results::<Test>::get(job, provider(0)).unwrap();
		assert_eq!(stored.output.into_inner(), b"hello world".to_vec());
		assert_eq!(stored.signer, operator(0));
		assert_eq!(stored.tokens, 4);
		System::assert_has_event(
			Event::ResultSubmitted { job, provider: provider(0), output_hash: h, tokens: 4 }.into(),
		);
	});
}

#[test]
fn the_stored_attestation_verifies_later() {
	new_test_ext(|| {
		use sp_runtime::traits::Verify;
		let model = market(1);
		let job = submit(USER, model, 10, 5, 1).unwrap();
		assert_ok!(answer(0, job, b"receipt", 2));
		let j = JobsStorage::<Test>::get(job).unwrap();
		let r = Results::<Test>::get(job, provider(0)).unwrap();
		let payload = AttestationPayload {
			job,
			model_hash: j.model_hash,
			prompt_hash: j.prompt_hash,
			max_tokens: j.max_tokens,
			output_hash: H256(sp_io::hashing::blake2_256(&r.output)),
			tokens: r.tokens,
			engine: j.engine,
		};
		assert!(r.signature.verify(payload.signing_bytes().as_slice(), &r.signer));
	});
}

#[test]
fn only_an_assigned_providers_operator_may_answer() {
	new_test_ext(|| {
		let model = market(3);
		let job = submit(USER, model, 10, 5, 1).unwrap();
		let other = (0..3).find(|n| !assigned(job).contains(n)).unwrap();
		assert_noop!(answer(other, job, b"x", 1), Error::<Test>::NotAssigned);
		// The provider's cold account is not its operator key.
		let p = assigned(job)[0];
		assert_noop!(
			Jobs::submit_result(
				RuntimeOrigin::signed(provider(p)),
				job,
				b"x".to_vec(),
				1,
				sign(p, job, b"x", 1)
			),
			Error::<Test>::NotAssigned
		);
	});
}

#[test]
fn a_duplicate_result_is_refused() {
	new_test_ext(|| {
		let model = market(3);
		let job = submit(USER, model, 10, 5, 2).unwrap();
		let p = assigned(job)[0];
		assert_ok!(answer(p, job, b"x", 1));
		assert_noop!(answer(p, job, b"x", 1), Error::<Test>::DuplicateResult);
	});
}

#[test]
fn results_for_unknown_or_closed_jobs_are_refused() {
	new_test_ext(|| {
		let model = market(1);
		let any_signature = MultiSignature::Ed25519(operator_pair(0).sign(b"x"));
		assert_noop!(
			Jobs::submit_result(
				RuntimeOrigin::signed(operator(0)),
				7,
				b"x".to_vec(),
				1,
				any_signature
			),
			Error::<Test>::JobNotFound
		);
		let job = submit(USER, model, 10, 5, 1).unwrap();
		assert_ok!(answer(0, job, b"x", 1));
		assert_noop!(answer(0, job, b"x", 1), Error::<Test>::JobNotPending);
	});
}

#[test]
fn an_oversized_output_is_refused() {
	new_test_ext(|| {
		let model = market(1);
		let job = submit(USER, model, 10, 5, 1).unwrap();
		assert_noop!(answer(0, job, &[b'a'; 65], 1), Error::<Test>::OutputTooLong);
		assert_ok!(answer(0, job, &[b'a'; 64], 1));
	});
}

#[test]
fn more_tokens_than_max_tokens_are_refused() {
	new_test_ext(|| {
		let model = market(1);
		let job = submit(USER, model, 10, 5, 1).unwrap();
		assert_noop!(answer(0, job, b"x", 11), Error::<Test>::TooManyTokens);
	});
}

#[test]
fn a_bad_attestation_signature_is_refused() {
	new_test_ext(|| {
		let model = market(2);
		let job = submit(USER, model, 10, 5, 1).unwrap();
		let p = assigned(job)[0];
		let other = 1 - p;
		let submit_with = |sig| {
			Jobs::submit_result(RuntimeOrigin::signed(operator(p)), job, b"x".to_vec(), 1, sig)
		};
		// Signed by another key.
		assert_noop!(submit_with(sign(other, job, b"x", 1)), Error::<Test>::BadAttestation);
		// Signed over another output or token count.
		assert_noop!(submit_with(sign(p, job, b"y", 1)), Error::<Test>::BadAttestation);
		assert_noop!(submit_with(sign(p, job, b"x", 2)), Error::<Test>::BadAttestation);
		assert_ok!(submit_with(sign(p, job, b"x", 1)));
	});
}

#[test]
fn a_result_after_the_deadline_is_refused() {
	new_test_ext(|| {
		let model = market(1);
		let job = submit(USER, model, 10, 5, 1).unwrap();
		// At the deadline block itself the answer is late (on_initialize already ran).
		System::set_block_number(1 + TIMEOUT);
		assert_noop!(answer(0, job, b"x", 1), Error::<Test>::LateResult);
	});
}

#[test]
fn the_majority_output_wins_and_the_dissenter_is_slashed() {
	new_test_ext(|| {
		let model = market(3);
		let job = submit(USER, model, 10, 5, 3).unwrap();
		let [a, b, c] = assigned(job)[..] else { panic!() };
		assert_ok!(answer(a, job, b"right", 3));
		assert_ok!(answer(b, job, b"wrong", 3));
		let (r, d) = diff(&[provider(b)], || answer(c, job, b"right", 3));
		assert_ok!(r);
		// 10 % of the dissenter's bond.
		assert_eq!(d, vec![(0, 0, -(MIN_BOND as i128) / 10)]);
		let j = JobsStorage::<Test>::get(job).unwrap();
		assert_eq!(j.status, JobStatus::Settled);
		assert_eq!(j.outcome, Some((H256(sp_io::hashing::blake2_256(b"right")), 3)));
		System::assert_has_event(
			Event::ProviderOutvoted { job, provider: provider(b), slashed: MIN_BOND / 10 }.into(),
		);
		let rep =
			|n| pallet_mosaic_providers::Providers::<Test>::get(provider(n)).unwrap().reputation;
		assert_eq!((rep(a).completed, rep(b).outvoted, rep(c).completed), (1, 1, 1));
	});
}

#[test]
fn the_same_output_with_different_token_counts_does_not_agree() {
	new_test_ext(|| {
		let model = market(3);
		let job = submit(USER, model, 10, 5, 2).unwrap();
		let [a, b] = assigned(job)[..] else { panic!() };
		assert_ok!(answer(a, job, b"out", 3));
		assert_ok!(answer(b, job, b"out", 4));
		// No majority: a tie-breaker was drawn.
		assert_eq!(waiting(job).len(), 1);
	});
}

#[test]
fn a_tie_is_broken_by_one_more_provider() {
	new_test_ext(|| {
		let model = market(3);
		let job = submit(USER, model, 10, 5, 2).unwrap();
		let [a, b] = assigned(job)[..] else { panic!() };
		assert_ok!(answer(a, job, b"one", 2));
		assert_ok!(answer(b, job, b"two", 2));
		let [t] = waiting(job)[..] else { panic!("a tie-breaker is waiting") };
		System::assert_has_event(Event::TieBreakerDrawn { job, provider: provider(t) }.into());
		assert_eq!(JobsStorage::<Test>::get(job).unwrap().status, JobStatus::Pending);
		assert_ok!(answer(t, job, b"two", 2));
		let j = JobsStorage::<Test>::get(job).unwrap();
		assert_eq!(j.status, JobStatus::Settled);
		assert_eq!(j.outcome, Some((H256(sp_io::hashing::blake2_256(b"two")), 2)));
		System::assert_has_event(
			Event::ProviderOutvoted { job, provider: provider(a), slashed: MIN_BOND / 10 }.into(),
		);
	});
}

#[test]
fn a_tie_without_a_tie_breaker_is_refunded_and_nobody_is_slashed() {
	new_test_ext(|| {
		let model = market(2);
		let job = submit(USER, model, 10, 5, 2).unwrap();
		let [a, b] = assigned(job)[..] else { panic!() };
		assert_ok!(answer(a, job, b"one", 2));
		let (r, d) = diff(&[account(USER), provider(a), provider(b)], || answer(b, job, b"two", 2));
		assert_ok!(r);
		assert_eq!(d, vec![(150, -150, 0), (0, 0, 0), (0, 0, 0)]);
		assert_eq!(JobsStorage::<Test>::get(job).unwrap().status, JobStatus::Refunded);
		System::assert_last_event(
			Event::JobRefunded { job, owner: account(USER), amount: 150 }.into(),
		);
	});
}

#[test]
fn a_tie_breaker_that_agrees_with_nobody_ends_in_a_refund() {
	new_test_ext(|| {
		let model = market(3);
		let job = submit(USER, model, 10, 5, 2).unwrap();
		let [a, b] = assigned(job)[..] else { panic!() };
		assert_ok!(answer(a, job, b"one", 2));
		assert_ok!(answer(b, job, b"two", 2));
		let [t] = waiting(job)[..] else { panic!() };
		assert_ok!(answer(t, job, b"three", 2));
		let j = JobsStorage::<Test>::get(job).unwrap();
		assert_eq!((j.status, j.escrow), (JobStatus::Refunded, 0));
		assert_eq!(funds(&account(USER)).escrow, 0);
	});
}

#[test]
fn valid_results_are_feeless_and_invalid_ones_are_not() {
	new_test_ext(|| {
		use frame_support::dispatch::CheckIfFeeless;
		let model = market(2);
		let job = submit(USER, model, 10, 5, 1).unwrap();
		let p = assigned(job)[0];
		let call = |n: u8, sig| {
			crate::Call::<Test>::submit_result {
				job,
				output: b"x".to_vec(),
				tokens: 1,
				signature: sig,
			}
			.is_feeless(&RuntimeOrigin::signed(operator(n)))
		};
		assert!(call(p, sign(p, job, b"x", 1)));
		assert!(!call(p, sign(p, job, b"y", 1)), "bad attestation pays");
		assert!(!call(1 - p, sign(1 - p, job, b"x", 1)), "unassigned signer pays");
		assert_ok!(answer(p, job, b"x", 1));
		assert!(!call(p, sign(p, job, b"x", 1)), "a duplicate pays");
	});
}
