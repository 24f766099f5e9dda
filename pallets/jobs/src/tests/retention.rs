//! What a job leaves in state: its request and answer go when it closes, its record (the
//! receipt) `ReceiptRetention` blocks later, when its deposit returns.

use super::*;
use crate::{Deadlines, Error, Event, JobStatus, Requests, Results};
use frame_support::assert_noop;

fn deposits_on() {
	DepositBase::set(7);
	DepositPerByte::set(1);
	ReceiptRetention::set(30);
}

/// What is held for `who`'s jobs: escrow and deposits, in one hold.
fn held(who: &AccountId) -> Balance {
	Balances::balance_on_hold(&crate::HoldReason::Job.into(), who)
}

#[test]
fn a_settled_job_keeps_only_its_receipt_then_goes_with_its_deposit_returned() {
	new_test_ext(|| {
		deposits_on();
		let model = market(1);
		let start = funds(&account(USER)).free;
		let job = submit(USER, model, 10, 5).unwrap();
		let deposit = Jobs::deposit_for(10);
		assert_eq!(deposit, 7 + Jobs::footprint(10) as Balance);
		assert!(Jobs::footprint(10) < Jobs::footprint(11), "a bigger answer takes more");
		assert_eq!(held(&account(USER)), 10 * 5 + deposit, "the escrow and the deposit");
		let holds = pallet_balances::Holds::<Test>::get(account(USER));
		assert_eq!(holds.len(), 1, "in one hold: {holds:?}");
		assert_eq!(JobsStorage::<Test>::get(job).unwrap().deposit, deposit);

		let e = executor(job);
		assert_ok!(submit_answer(e, job, b"the end", 4));
		let answered_at = System::block_number();
		assert!(
			Requests::<Test>::contains_key(job) && Results::<Test>::contains_key(job, provider(e))
		);
		close_window(job);

		let j = JobsStorage::<Test>::get(job).unwrap();
		assert_eq!(j.status, JobStatus::Settled);
		assert!(!Requests::<Test>::contains_key(job), "the request left state");
		assert!(Results::<Test>::iter_prefix(job).next().is_none(), "the answer left state");
		let answer = j.outcome.unwrap();
		assert_eq!(answer.output_hash, H256(sp_io::hashing::blake2_256(b"the end")));
		assert_eq!((answer.tokens, answer.at, j.submitted_at), (4, answered_at, 1));
		assert!(j.receipt.is_some());
		assert_eq!(held(&account(USER)), deposit, "held while the receipt stays");
		let closed_at = System::block_number();
		assert_eq!(j.deadline, closed_at + 30);

		run_to_block(closed_at + 29);
		assert!(JobsStorage::<Test>::contains_key(job));
		run_to_block(closed_at + 30);
		assert!(!JobsStorage::<Test>::contains_key(job), "the record was pruned");
		assert_eq!(Deadlines::<Test>::iter().count(), 0);
		assert_eq!(held(&account(USER)), 0);
		System::assert_has_event(Event::JobPruned { job, owner: account(USER), deposit }.into());
		// The owner paid for 4 tokens at the ask and nothing else.
		assert_eq!(funds(&account(USER)).free, start - 4 * ASK);
	});
}

#[test]
fn a_refunded_job_drops_its_request_and_is_pruned_too() {
	new_test_ext(|| {
		deposits_on();
		let model = market(1);
		let job = submit(USER, model, 10, 5).unwrap();
		let e = executor(job);
		assert_ok!(decline(e, job));
		let j = JobsStorage::<Test>::get(job).unwrap();
		assert_eq!(j.status, JobStatus::Refunded);
		assert!(!Requests::<Test>::contains_key(job));
		run_to_block(j.deadline);
		assert!(!JobsStorage::<Test>::contains_key(job));
		assert_eq!(held(&account(USER)), 0);
	});
}

#[test]
fn a_user_who_cannot_hold_the_deposit_is_refused_with_nothing_held() {
	new_test_ext(|| {
		DepositPerByte::set(10);
		let model = market(1);
		// POOR_USER could hold the escrow (10 × 5), not the deposit.
		assert!(Jobs::deposit_for(10) > 1_000);
		assert_noop!(submit(POOR_USER, model, 10, 5), Error::<Test>::InsufficientBalance);
	});
}
