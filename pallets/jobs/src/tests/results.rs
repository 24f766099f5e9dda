//! Submitting results: who may, what is checked, and the challenge window before payment.

use super::*;
use crate::{Error, Event, JobStatus, Results};
use codec::{Decode, Encode};
use frame_support::assert_noop;
use mosaic_primitives::AttestationPayload;

#[test]
fn a_single_answer_stands_and_settles_the_job() {
	new_test_ext(|| {
		let model = market(1);
		let job = submit(USER, model, 10, 5).unwrap();
		assert_ok!(submit_answer(0, job, b"hello world", 4));
		let stored = Results::<Test>::get(job, provider(0)).unwrap();
		assert_eq!(stored.output.into_inner(), b"hello world".to_vec());
		assert_eq!(stored.signer, operator(0));
		assert_eq!(stored.tokens, 4);
		close_window(job);
		let j = JobsStorage::<Test>::get(job).unwrap();
		let h = H256(sp_io::hashing::blake2_256(b"hello world"));
		let answer = j.outcome.map(|a| (a.output_hash, a.tokens));
		assert_eq!((j.status, answer), (JobStatus::Settled, Some((h, 4))));
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
		let job = submit(USER, model, 10, 5).unwrap();
		assert_ok!(submit_answer(0, job, b"receipt", 2));
		let r = Results::<Test>::get(job, provider(0)).unwrap();
		close_window(job);
		let j = JobsStorage::<Test>::get(job).unwrap();
		let payload = AttestationPayload {
			job,
			model_hash: j.model_hash,
			request_hash: j.request_hash,
			max_tokens: j.max_tokens,
			output_hash: H256(sp_io::hashing::blake2_256(&r.output)),
			tokens: r.tokens,
			tokens_hash: H256(sp_io::hashing::blake2_256(&r.token_ids.encode())),
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
		let job = submit(USER, model, 10, 5).unwrap();
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
				ids(1),
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
				ids(1),
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
		let job = submit(USER, model, 10, 5).unwrap();
		let p = assigned(job)[0];
		assert_ok!(submit_answer(p, job, b"x", 1));
		// In its challenge window the job waits for no answer.
		assert_noop!(submit_answer(p, job, b"x", 1), Error::<Test>::JobNotPending);
	});
}

#[test]
fn results_for_unknown_or_closed_jobs_are_refused() {
	new_test_ext(|| {
		let model = market(1);
		let any_signature = MultiSignature::Ed25519(operator_pair(0).sign(b"x"));
		assert_noop!(
			Jobs::submit_result(authorized(), 7, provider(0), b"x".to_vec(), ids(1), any_signature),
			Error::<Test>::JobNotFound
		);
		let job = submit(USER, model, 10, 5).unwrap();
		assert_ok!(answer(0, job, b"x", 1));
		assert_noop!(answer(0, job, b"x", 1), Error::<Test>::JobNotPending);
	});
}

#[test]
fn an_oversized_output_is_refused() {
	new_test_ext(|| {
		let model = market(1);
		let job = submit(USER, model, 10, 5).unwrap();
		assert_noop!(answer(0, job, &[b'a'; 65], 1), Error::<Test>::OutputTooLong);
		assert_ok!(answer(0, job, &[b'a'; 64], 1));
	});
}

#[test]
fn more_tokens_than_max_tokens_are_refused() {
	new_test_ext(|| {
		let model = market(1);
		let job = submit(USER, model, 10, 5).unwrap();
		assert_noop!(answer(0, job, b"x", 11), Error::<Test>::TooManyTokens);
	});
}

#[test]
fn a_bad_attestation_signature_is_refused() {
	new_test_ext(|| {
		let model = market(2);
		let job = submit(USER, model, 10, 5).unwrap();
		let p = assigned(job)[0];
		let other = 1 - p;
		let submit_with =
			|sig| Jobs::submit_result(authorized(), job, provider(p), b"x".to_vec(), ids(1), sig);
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
		let job = submit(USER, model, 10, 5).unwrap();
		// At the deadline block itself the answer is late (on_initialize already ran).
		System::set_block_number(1 + TIMEOUT);
		assert_noop!(answer(0, job, b"x", 1), Error::<Test>::LateResult);
	});
}

#[test]
fn the_pool_takes_valid_results_only_and_one_per_job_and_provider() {
	use frame_support::traits::Authorize;
	use sp_runtime::transaction_validity::{InvalidTransaction, TransactionSource};
	new_test_ext(|| {
		let model = market(2);
		let job = submit(USER, model, 10, 5).unwrap();
		let p = assigned(job)[0];
		let validity = |n: u8, output: &[u8], sig| {
			crate::Call::<Test>::submit_result {
				job,
				provider: provider(n),
				output: output.to_vec(),
				token_ids: ids(1),
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
