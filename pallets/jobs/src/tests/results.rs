//! Submitting results: who may, what is checked, and the majority decision.

use super::*;
use crate::{Error, Event, JobStatus, Results};
use codec::Decode;
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
			request_hash: j.request_hash,
			max_tokens: j.max_tokens,
			output_hash: H256(sp_io::hashing::blake2_256(&r.output)),
			tokens: r.tokens,
			engine: j.engine,
			genesis: H256::decode(&mut System::block_hash(0).as_ref()).unwrap(),
		};
		assert!(r.signature.verify(payload.signing_bytes().as_slice(), &r.signer));
		// The same answer attested for another chain does not verify here.
		let elsewhere = AttestationPayload { genesis: H256::repeat_byte(1), ..payload };
		assert!(!r.signature.verify(elsewhere.signing_bytes().as_slice(), &r.signer));
	});
}

#[test]
fn only_an_assigned_providers_operator_may_answer() {
	new_test_ext(|| {
		let model = market(3);
		let job = submit(USER, model, 10, 5, 1).unwrap();
		let other = (0..3).find(|n| !assigned(job).contains(n)).unwrap();
		assert_noop!(answer(other, job, b"x", 1), Error::<Test>::NotAssigned);
		// An answer for the assigned provider, signed by another provider's operator key.
		let p = assigned(job)[0];
		assert_noop!(
			Jobs::submit_result(
				authorized(),
				job,
				provider(p),
				b"x".to_vec(),
				1,
				sign(other, job, b"x", 1)
			),
			Error::<Test>::BadAttestation
		);
		// Only an authorized transaction may carry a result: not a signed one.
		assert_noop!(
			Jobs::submit_result(
				RuntimeOrigin::signed(operator(p)),
				job,
				provider(p),
				b"x".to_vec(),
				1,
				sign(p, job, b"x", 1)
			),
			sp_runtime::DispatchError::BadOrigin
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
			Jobs::submit_result(authorized(), 7, provider(0), b"x".to_vec(), 1, any_signature),
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
		let submit_with =
			|sig| Jobs::submit_result(authorized(), job, provider(p), b"x".to_vec(), 1, sig);
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
fn the_pool_takes_valid_results_only_and_one_per_job_and_provider() {
	use frame_support::traits::Authorize;
	use sp_runtime::transaction_validity::{InvalidTransaction, TransactionSource};
	new_test_ext(|| {
		let model = market(2);
		let job = submit(USER, model, 10, 5, 1).unwrap();
		let p = assigned(job)[0];
		let validity = |n: u8, output: &[u8], sig| {
			crate::Call::<Test>::submit_result {
				job,
				provider: provider(n),
				output: output.to_vec(),
				tokens: 1,
				signature: sig,
			}
			.authorize(TransactionSource::External)
			.expect("submit_result is authorized by the pallet")
		};
		let (valid, _) = validity(p, b"x", sign(p, job, b"x", 1)).unwrap();
		// Any content for the same (job, provider) provides the same tag: the pool keeps one.
		let (other_output, _) = validity(p, b"z", sign(p, job, b"z", 1)).unwrap();
		assert_eq!(valid.provides, other_output.provides);
		assert!(valid.requires.is_empty());
		assert_eq!(valid.longevity, TIMEOUT);
		assert_eq!(
			validity(p, b"x", sign(p, job, b"y", 1)).unwrap_err(),
			InvalidTransaction::BadProof.into(),
			"a bad attestation"
		);
		assert_eq!(
			validity(1 - p, b"x", sign(1 - p, job, b"x", 1)).unwrap_err(),
			InvalidTransaction::Call.into(),
			"an unassigned provider"
		);
		assert_ok!(answer(p, job, b"x", 1));
		assert_eq!(
			validity(p, b"x", sign(p, job, b"x", 1)).unwrap_err(),
			InvalidTransaction::Stale.into(),
			"a result for a job already decided"
		);
	});
}
