//! Settlement through the jobs pallet: every unit accounted for.

use super::*;
use crate::{Event, JobStatus};
use mosaic_primitives::EscrowId;
use mosaic_primitives::Receipt;
use pallet_mosaic_settlement::{Event as SettlementEvent, Payee};

#[test]
fn a_paid_job_splits_exactly_between_provider_creator_treasury_and_refund() {
	new_test_ext(|| {
		let model = market(1); // royalty 10 %, ask 3; protocol fee 5 %
		let job = submit(USER, model, 100, 5).unwrap();
		let issuance = Balances::total_issuance();
		let who = [account(USER), provider(0), account(CREATOR), treasury()];
		let (r, d) = diff(&who, || answer(0, job, b"forty tokens", 40));
		assert_ok!(r);
		// cost 40 × 3 = 120: royalty 12, fee 6, provider 102; refund 500 − 120 = 380.
		assert_eq!(d, vec![(380, -500, 0), (102, 0, 0), (12, 0, 0), (6, 0, 0)]);
		assert_eq!(Balances::total_issuance(), issuance);
		let receipt =
			Receipt { paid: 120, royalty: 12, protocol_fee: 6, providers: 102, refund: 380 };
		let j = JobsStorage::<Test>::get(job).unwrap();
		assert_eq!(
			(j.status, j.escrow, j.receipt.clone()),
			(JobStatus::Settled, 0, Some(receipt.clone()))
		);
		for (to, payee, amount) in [
			(account(CREATOR), Payee::Creator, 12),
			(treasury(), Payee::Treasury, 6),
			(provider(0), Payee::Provider, 102),
		] {
			System::assert_has_event(
				SettlementEvent::Paid { escrow: EscrowId::Job(job), to, payee, amount }.into(),
			);
		}
		System::assert_has_event(
			SettlementEvent::Refunded {
				escrow: EscrowId::Job(job),
				to: account(USER),
				amount: 380,
			}
			.into(),
		);
		System::assert_last_event(
			Event::JobSettled {
				job,
				output_hash: H256(sp_io::hashing::blake2_256(b"forty tokens")),
				tokens: 40,
				receipt,
			}
			.into(),
		);
	});
}

/// Review L3. An owner whose whole balance is locked (a conviction vote, say) still holds its
/// escrow (holds and locks overlap), and the escrow pays the provider: a lock on the owner's
/// account must not turn a settlement into a full refund, a free answer.
#[test]
fn a_lock_on_the_owners_balance_does_not_stop_the_escrow_paying() {
	use frame_support::traits::{LockableCurrency, WithdrawReasons};
	new_test_ext(|| {
		let model = market(1);
		let owner = account(USER);
		let all = Balances::total_balance(&owner);
		<Balances as LockableCurrency<_>>::set_lock(
			*b"vote    ",
			&owner,
			all,
			WithdrawReasons::all(),
		);
		let job = submit(USER, model, 100, 5).unwrap();
		let who = [owner.clone(), provider(0), account(CREATOR), treasury()];
		let (r, d) = diff(&who, || answer(0, job, b"forty tokens", 40));
		assert_ok!(r);
		assert_eq!(d, vec![(380, -500, 0), (102, 0, 0), (12, 0, 0), (6, 0, 0)]);
		assert_eq!(JobsStorage::<Test>::get(job).unwrap().receipt.unwrap().paid, 120);
	});
}

#[test]
fn the_price_is_the_ask_never_the_bid() {
	new_test_ext(|| {
		let model = register_model(0);
		add_provider_with(0, model, 2, ENGINE);
		let job = submit(USER, model, 10, 1_000).unwrap();
		assert_ok!(answer(0, job, b"x", 10));
		assert_eq!(JobsStorage::<Test>::get(job).unwrap().receipt.unwrap().paid, 20);
	});
}

#[test]
fn one_token_at_the_smallest_price_goes_entirely_to_the_provider() {
	new_test_ext(|| {
		let model = register_model(MAX_ROYALTY);
		add_provider_with(0, model, 1, ENGINE);
		let job = submit(USER, model, 1, 1).unwrap();
		let (_, d) = diff(&[provider(0), account(CREATOR)], || answer(0, job, b"x", 1));
		assert_eq!(d, vec![(1, 0, 0), (0, 0, 0)]);
	});
}

#[test]
fn zero_tokens_cost_nothing() {
	new_test_ext(|| {
		let model = market(1);
		let job = submit(USER, model, 10, 5).unwrap();
		let (_, d) = diff(&[account(USER)], || answer(0, job, b"", 0));
		assert_eq!(d, vec![(50, -50, 0)]);
		assert_eq!(JobsStorage::<Test>::get(job).unwrap().status, JobStatus::Settled);
	});
}

#[test]
fn royalty_changes_apply_only_to_jobs_submitted_afterwards() {
	new_test_ext(|| {
		let model = market(1); // 10 %
		let before = submit(USER, model, 100, 5).unwrap();
		assert_ok!(Models::set_royalty(RuntimeOrigin::signed(account(CREATOR)), model, 2_000));
		let after = submit(USER, model, 100, 5).unwrap();
		assert_ok!(answer(0, before, b"x", 100)); // cost 300
		assert_ok!(answer(0, after, b"x", 100));
		let royalty = |job| JobsStorage::<Test>::get(job).unwrap().receipt.unwrap().royalty;
		assert_eq!((royalty(before), royalty(after)), (30, 60));
	});
}

#[test]
fn protocol_fee_changes_apply_only_to_jobs_submitted_afterwards() {
	new_test_ext(|| {
		let model = market(1); // fee 5 %, royalty 10 %, ask 3
		let before = submit(USER, model, 100, 5).unwrap();
		crate::mock::ProtocolFee::set(sp_runtime::Permill::from_percent(20));
		let after = submit(USER, model, 100, 5).unwrap();
		assert_ok!(answer(0, before, b"x", 100)); // cost 300
		assert_ok!(answer(0, after, b"x", 100));
		let fee = |job| JobsStorage::<Test>::get(job).unwrap().receipt.unwrap().protocol_fee;
		assert_eq!((fee(before), fee(after)), (15, 60));
	});
}

#[test]
fn a_deprecated_or_removed_model_still_finishes_its_jobs() {
	new_test_ext(|| {
		let model = market(1);
		let job = submit(USER, model, 10, 5).unwrap();
		assert_ok!(Models::deprecate(RuntimeOrigin::root(), model));
		assert_ok!(Models::remove_model(RuntimeOrigin::root(), model));
		assert_ok!(answer(0, job, b"x", 10));
		let receipt = JobsStorage::<Test>::get(job).unwrap().receipt.unwrap();
		assert_eq!((receipt.paid, receipt.royalty), (30, 3));
	});
}
