//! The sessions pallet's rules, one test each.

use crate::{
	commit_signing_bytes,
	mock::*,
	pallet::{Error, Event, HoldReason, NextSessionId, Sessions as Sessions_},
	voucher_signing_bytes, SessionLimits, SessionState, Voucher,
};
use frame_support::{
	assert_noop, assert_ok,
	traits::fungible::{Inspect, InspectHold},
};
use mosaic_primitives::{EscrowId, Receipt, SessionId};
use pallet_mosaic_settlement::{Event as SettlementEvent, Payee};
use sp_core::{sr25519, Pair, H256};

const BUDGET: Balance = 10_000;
const LIMITS: SessionLimits = SessionLimits { prompt_tokens: 100, max_tokens: 100 };

fn key() -> sr25519::Public {
	session_pair().public()
}

fn held(who: AccountId) -> Balance {
	Balances::balance_on_hold(&HoldReason::Session.into(), &who)
}

/// Opens a session of `OWNER` on `MODEL` with a budget of `BUDGET`, a ceiling of 5 a token and
/// a lifetime of 100 blocks.
fn open() -> SessionId {
	assert_ok!(Sessions::open_session(
		RuntimeOrigin::signed(OWNER),
		MODEL,
		BUDGET,
		5,
		100,
		LIMITS,
		key()
	));
	NextSessionId::<Test>::get() - 1
}

/// A voucher for request `seq` of `session` owing `tokens`, signed by `pair`.
fn voucher_by(
	pair: &sr25519::Pair,
	session: SessionId,
	seq: u32,
	tokens: u32,
) -> (Voucher, sr25519::Signature) {
	let v = Voucher { seq, tokens, log: H256::repeat_byte(seq as u8) };
	let bytes = voucher_signing_bytes(Sessions::genesis(), session, &PROVIDER, &v);
	(v, pair.sign(&bytes))
}

fn voucher(session: SessionId, seq: u32, tokens: u32) -> (Voucher, sr25519::Signature) {
	voucher_by(&session_pair(), session, seq, tokens)
}

fn post(who: AccountId, session: SessionId, seq: u32, tokens: u32) -> DispatchResultOf {
	let (v, s) = voucher(session, seq, tokens);
	Sessions::post_voucher(RuntimeOrigin::signed(who), session, v, s, None)
}

type DispatchResultOf = frame_support::dispatch::DispatchResult;

fn run_to(n: u64) {
	System::set_block_number(n);
}

#[test]
fn a_session_draws_its_provider_at_its_ask_and_holds_budget_and_deposit() {
	new_test_ext(|| {
		let free = Balances::balance(&OWNER);
		let id = open();
		let s = Sessions_::<Test>::get(id).unwrap();
		assert_eq!((s.provider, s.price, s.owner), (PROVIDER, ASK, OWNER));
		assert_eq!(
			(s.creator, s.royalty_bps, s.budget, s.deposit),
			(CREATOR, ROYALTY_BPS, BUDGET, DEPOSIT)
		);
		assert_eq!((s.expires, s.state, s.voucher, s.key), (101, SessionState::Open, None, key()));
		assert_eq!(held(OWNER), BUDGET + DEPOSIT);
		assert_eq!(Balances::balance(&OWNER), free - BUDGET - DEPOSIT);
		System::assert_last_event(
			Event::SessionOpened {
				session: id,
				owner: OWNER,
				provider: PROVIDER,
				model: MODEL,
				price: ASK,
				budget: BUDGET,
				deposit: DEPOSIT,
				expires: 101,
			}
			.into(),
		);
	});
}

#[test]
fn opening_refuses_bad_input_and_holds_nothing() {
	new_test_ext(|| {
		let open_with = |who, model, budget, price, lifetime, limits| {
			Sessions::open_session(
				RuntimeOrigin::signed(who),
				model,
				budget,
				price,
				lifetime,
				limits,
				key(),
			)
		};
		let l = |prompt_tokens, max_tokens| SessionLimits { prompt_tokens, max_tokens };
		assert_noop!(
			open_with(OWNER, 7, BUDGET, 5, 100, LIMITS),
			Error::<Test>::ModelNotRegistered
		);
		assert_noop!(
			open_with(OWNER, DEPRECATED, BUDGET, 5, 100, LIMITS),
			Error::<Test>::ModelDeprecated
		);
		assert_noop!(open_with(OWNER, MODEL, BUDGET, 0, 100, LIMITS), Error::<Test>::ZeroPrice);
		assert_noop!(
			open_with(OWNER, MODEL, BUDGET, 5, 100, l(1, 0)),
			Error::<Test>::ZeroMaxTokens
		);
		assert_noop!(
			open_with(OWNER, MODEL, BUDGET, 5, 100, l(1, MAX_OUTPUT + 1)),
			Error::<Test>::MaxTokensTooLarge
		);
		assert_noop!(
			open_with(OWNER, MODEL, BUDGET, 5, 100, l(CONTEXT, 1)),
			Error::<Test>::ExceedsContext
		);
		assert_noop!(
			open_with(OWNER, MODEL, BUDGET, 5, MIN_LIFETIME - 1, LIMITS),
			Error::<Test>::BadLifetime
		);
		assert_noop!(
			open_with(OWNER, MODEL, BUDGET, 5, MAX_LIFETIME + 1, LIMITS),
			Error::<Test>::BadLifetime
		);
		assert_noop!(
			open_with(OWNER, MODEL, BUDGET, ASK - 1, 100, LIMITS),
			Error::<Test>::PriceBelowEveryAsk
		);
		assert_noop!(
			open_with(OWNER, UNSERVED, BUDGET, 5, 100, LIMITS),
			Error::<Test>::NoEligibleProvider
		);
		// The provider's own session: it is never drawn for itself, and nobody else serves.
		assert_noop!(
			open_with(PROVIDER, MODEL, BUDGET, 5, 100, LIMITS),
			Error::<Test>::NoEligibleProvider
		);
		// The provider runs the model with half its context: a request of 600 prompt tokens
		// and 100 output tokens fits the model, not the provider's window.
		assert_noop!(
			open_with(OWNER, MODEL, BUDGET, 5, 100, l(600, 100)),
			Error::<Test>::NoProviderCovers
		);
		// One request at the limits costs 100 × 3 = 300.
		assert_noop!(
			open_with(OWNER, MODEL, 299, 5, 100, LIMITS),
			Error::<Test>::BudgetBelowOneRequest
		);
		assert_noop!(
			open_with(POOR, MODEL, 300, 5, 100, LIMITS),
			Error::<Test>::InsufficientBalance
		);
		assert_eq!(held(OWNER) + held(POOR) + held(PROVIDER), 0);
		assert_eq!(NextSessionId::<Test>::get(), 0);
	});
}

#[test]
fn settlement_pays_the_highest_voucher_split_as_a_job_and_refunds_the_rest() {
	new_test_ext(|| {
		let issuance = Balances::total_issuance();
		let before = [OWNER, PROVIDER, CREATOR, TREASURY].map(|a| Balances::balance(&a));
		let id = open();
		assert_ok!(post(OTHER, id, 1, 15));
		assert_ok!(post(OTHER, id, 2, 40));
		assert_ok!(Sessions::close_session(RuntimeOrigin::signed(OWNER), id, None, None));
		run_to(1 + WINDOW);
		assert_ok!(Sessions::settle_session(RuntimeOrigin::signed(OTHER), id));
		// 40 tokens × 3 = 120: royalty 12, fee 6, provider 102; the owner gets 10,000 − 120
		// back, and the deposit.
		let after = [OWNER, PROVIDER, CREATOR, TREASURY].map(|a| Balances::balance(&a));
		assert_eq!(
			[
				after[0] - before[0] + 120,
				after[1] - before[1],
				after[2] - before[2],
				after[3] - before[3]
			],
			[0, 102, 12, 6]
		);
		assert_eq!(held(OWNER), 0);
		assert_eq!(Balances::total_issuance(), issuance);
		assert!(!Sessions_::<Test>::contains_key(id));
		let escrow = EscrowId::Session(id);
		for (to, payee, amount) in [
			(CREATOR, Payee::Creator, 12),
			(TREASURY, Payee::Treasury, 6),
			(PROVIDER, Payee::Provider, 102),
		] {
			System::assert_has_event(SettlementEvent::Paid { escrow, to, payee, amount }.into());
		}
		let receipt = Receipt {
			paid: 120,
			royalty: 12,
			protocol_fee: 6,
			providers: 102,
			refund: BUDGET - 120,
		};
		System::assert_last_event(
			Event::SessionSettled {
				session: id,
				tokens: 40,
				log: Some(H256::repeat_byte(2)),
				root: None,
				receipt,
			}
			.into(),
		);
	});
}

#[test]
fn a_voucher_counts_only_signed_by_the_session_key_for_this_session() {
	new_test_ext(|| {
		let id = open();
		let other = open();
		let stranger = sr25519::Pair::from_seed(&[9; 32]);
		let (v, s) = voucher_by(&stranger, id, 1, 50);
		assert_noop!(
			Sessions::post_voucher(RuntimeOrigin::signed(PROVIDER), id, v, s, None),
			Error::<Test>::BadVoucher
		);
		// Signed by the right key for the other session: not valid for this one.
		let (v, s) = voucher(other, 1, 50);
		assert_noop!(
			Sessions::post_voucher(RuntimeOrigin::signed(PROVIDER), id, v, s, None),
			Error::<Test>::BadVoucher
		);
		// Tampered: more tokens than were signed.
		let (mut v, s) = voucher(id, 1, 50);
		v.tokens = 60;
		assert_noop!(
			Sessions::post_voucher(RuntimeOrigin::signed(PROVIDER), id, v, s, None),
			Error::<Test>::BadVoucher
		);
		assert_eq!(Sessions_::<Test>::get(id).unwrap().voucher, None);
	});
}

#[test]
fn vouchers_only_grow() {
	new_test_ext(|| {
		let id = open();
		assert_ok!(post(PROVIDER, id, 5, 50));
		assert_noop!(post(PROVIDER, id, 4, 49), Error::<Test>::StaleVoucher);
		assert_noop!(post(PROVIDER, id, 4, 50), Error::<Test>::StaleVoucher);
		assert_noop!(post(PROVIDER, id, 6, 49), Error::<Test>::StaleVoucher);
		// The same voucher twice is stale too: nothing is paid twice.
		let (v, s) = voucher(id, 5, 50);
		assert_noop!(
			Sessions::post_voucher(RuntimeOrigin::signed(PROVIDER), id, v, s, None),
			Error::<Test>::StaleVoucher
		);
		// As many tokens at a later request (the log moved on), or more tokens: taken.
		assert_ok!(post(PROVIDER, id, 6, 50));
		assert_eq!(Sessions_::<Test>::get(id).unwrap().voucher.unwrap().seq, 6);
		assert_ok!(post(PROVIDER, id, 6, 70));
		assert_eq!(Sessions_::<Test>::get(id).unwrap().voucher.unwrap().tokens, 70);
	});
}

/// The owner's key signs every voucher, so it could sign one with a huge `seq` and few tokens:
/// vouchers are ordered by what they owe first, and such a voucher never shuts out the
/// provider's.
#[test]
fn an_owner_cannot_undercut_the_providers_voucher_with_a_higher_sequence() {
	new_test_ext(|| {
		let id = open();
		assert_ok!(post(OWNER, id, u32::MAX, 0));
		assert_ok!(post(PROVIDER, id, 3, 300));
		assert_noop!(post(OWNER, id, u32::MAX, 10), Error::<Test>::StaleVoucher);
		assert_ok!(Sessions::close_session(RuntimeOrigin::signed(OWNER), id, None, None));
		run_to(1 + WINDOW);
		assert_ok!(Sessions::settle_session(RuntimeOrigin::signed(OWNER), id));
		assert!(System::events().iter().any(|r| matches!(
			r.event,
			RuntimeEvent::Sessions(Event::SessionSettled { tokens: 300, .. })
		)));
	});
}

#[test]
fn an_owner_who_closes_on_an_old_voucher_gains_nothing() {
	new_test_ext(|| {
		let id = open();
		let (old, old_sig) = voucher(id, 1, 10);
		let (late, late_sig) = voucher(id, 2, 30);
		assert_ok!(Sessions::close_session(
			RuntimeOrigin::signed(OWNER),
			id,
			Some((old, old_sig)),
			None
		));
		run_to(WINDOW);
		// The provider's later voucher and its log root, within the window, from its operator key.
		assert_ok!(Sessions::post_voucher(
			RuntimeOrigin::signed(OPERATOR),
			id,
			late,
			late_sig,
			Some(H256::repeat_byte(0xaa))
		));
		run_to(1 + WINDOW);
		assert_noop!(post(PROVIDER, id, 3, 40), Error::<Test>::TooLate);
		let provider = Balances::balance(&PROVIDER);
		assert_ok!(Sessions::settle_session(RuntimeOrigin::signed(OWNER), id));
		// 30 × 3 = 90: royalty 9, fee 4 (5 % of 90, rounded down), provider 77.
		assert_eq!(Balances::balance(&PROVIDER) - provider, 77);
		System::assert_last_event(
			Event::SessionSettled {
				session: id,
				tokens: 30,
				log: Some(H256::repeat_byte(2)),
				root: Some(H256::repeat_byte(0xaa)),
				receipt: Receipt {
					paid: 90,
					royalty: 9,
					protocol_fee: 4,
					providers: 77,
					refund: BUDGET - 90,
				},
			}
			.into(),
		);
	});
}

#[test]
fn a_session_is_settled_only_when_due_and_by_anyone() {
	new_test_ext(|| {
		let id = open();
		assert_noop!(
			Sessions::settle_session(RuntimeOrigin::signed(OTHER), id),
			Error::<Test>::NotDue
		);
		assert_ok!(Sessions::close_session(RuntimeOrigin::signed(PROVIDER), id, None, None));
		assert_noop!(
			Sessions::close_session(RuntimeOrigin::signed(OWNER), id, None, None),
			Error::<Test>::SessionClosing
		);
		run_to(WINDOW);
		assert_noop!(
			Sessions::settle_session(RuntimeOrigin::signed(OTHER), id),
			Error::<Test>::NotDue
		);
		run_to(1 + WINDOW);
		assert_ok!(Sessions::settle_session(RuntimeOrigin::signed(OTHER), id));
		assert_noop!(
			Sessions::settle_session(RuntimeOrigin::signed(OTHER), id),
			Error::<Test>::SessionNotFound
		);
	});
}

#[test]
fn a_session_nobody_closes_is_settled_after_its_expiry_and_grace() {
	new_test_ext(|| {
		let free = Balances::balance(&OWNER);
		let id = open();
		run_to(101);
		assert_noop!(
			Sessions::top_up(RuntimeOrigin::signed(OWNER), id, 100),
			Error::<Test>::SessionExpired
		);
		// Vouchers are still taken in the grace period.
		assert_ok!(post(PROVIDER, id, 1, 20));
		run_to(100 + GRACE);
		assert_noop!(
			Sessions::settle_session(RuntimeOrigin::signed(OWNER), id),
			Error::<Test>::NotDue
		);
		run_to(101 + GRACE);
		assert_noop!(post(PROVIDER, id, 2, 30), Error::<Test>::TooLate);
		assert_noop!(
			Sessions::close_session(RuntimeOrigin::signed(PROVIDER), id, None, None),
			Error::<Test>::TooLate
		);
		assert_ok!(Sessions::settle_session(RuntimeOrigin::signed(OWNER), id));
		assert_eq!(Balances::balance(&OWNER), free - 20 * ASK);
		assert_eq!(held(OWNER), 0);
	});
}

#[test]
fn a_session_with_no_voucher_refunds_everything() {
	new_test_ext(|| {
		let free = Balances::balance(&OWNER);
		let id = open();
		assert_ok!(Sessions::close_session(RuntimeOrigin::signed(OWNER), id, None, None));
		run_to(1 + WINDOW);
		assert_ok!(Sessions::settle_session(RuntimeOrigin::signed(OWNER), id));
		assert_eq!(Balances::balance(&OWNER), free);
	});
}

#[test]
fn payment_is_capped_at_the_budget() {
	new_test_ext(|| {
		let provider = Balances::balance(&PROVIDER);
		let id = open();
		// The owner signed for more than it deposited: the chain pays what the budget holds,
		// 10,000 / 3 = 3,333 tokens (9,999), and the 1 left over returns to the owner.
		assert_ok!(post(PROVIDER, id, 1, 1_000_000));
		assert_ok!(Sessions::close_session(RuntimeOrigin::signed(PROVIDER), id, None, None));
		run_to(1 + WINDOW);
		assert_ok!(Sessions::settle_session(RuntimeOrigin::signed(PROVIDER), id));
		let receipt = match System::events().last().unwrap().event.clone() {
			RuntimeEvent::Sessions(Event::SessionSettled { tokens, receipt, .. }) => {
				assert_eq!(tokens, 3_333);
				receipt
			}
			ref e => panic!("unexpected {e:?}"),
		};
		assert_eq!((receipt.paid, receipt.refund), (9_999, 1));
		assert_eq!(Balances::balance(&PROVIDER) - provider, receipt.providers);
		assert_eq!(held(OWNER), 0);
	});
}

#[test]
fn only_the_parties_close_and_only_the_provider_commits_its_log() {
	new_test_ext(|| {
		let id = open();
		assert_noop!(
			Sessions::close_session(RuntimeOrigin::signed(OTHER), id, None, None),
			Error::<Test>::NotParty
		);
		assert_noop!(
			Sessions::close_session(RuntimeOrigin::signed(OWNER), id, None, Some(H256::zero())),
			Error::<Test>::NotProvider
		);
		let (v, s) = voucher(id, 1, 10);
		assert_noop!(
			Sessions::post_voucher(RuntimeOrigin::signed(OTHER), id, v, s, Some(H256::zero())),
			Error::<Test>::NotProvider
		);
		assert_ok!(Sessions::close_session(
			RuntimeOrigin::signed(OPERATOR),
			id,
			Some((v, s)),
			Some(H256::repeat_byte(3))
		));
		let s = Sessions_::<Test>::get(id).unwrap();
		assert_eq!(
			(s.root, s.state),
			(Some(H256::repeat_byte(3)), SessionState::Closing { ends: 1 + WINDOW })
		);
	});
}

#[test]
fn only_the_owner_tops_up_an_open_session() {
	new_test_ext(|| {
		let id = open();
		assert_noop!(
			Sessions::top_up(RuntimeOrigin::signed(OTHER), id, 100),
			Error::<Test>::NotOwner
		);
		assert_noop!(
			Sessions::top_up(RuntimeOrigin::signed(OWNER), 9, 100),
			Error::<Test>::SessionNotFound
		);
		assert_noop!(
			Sessions::top_up(RuntimeOrigin::signed(OWNER), id, ENDOWMENT),
			Error::<Test>::InsufficientBalance
		);
		assert_ok!(Sessions::top_up(RuntimeOrigin::signed(OWNER), id, 500));
		assert_eq!(held(OWNER), BUDGET + 500 + DEPOSIT);
		assert_ok!(Sessions::close_session(RuntimeOrigin::signed(OWNER), id, None, None));
		assert_noop!(
			Sessions::top_up(RuntimeOrigin::signed(OWNER), id, 100),
			Error::<Test>::SessionClosing
		);
	});
}

/// A commitment of `session` with `voucher` and `root`, signed as by account `signer`.
fn commit_call(
	session: SessionId,
	voucher: Option<(Voucher, sr25519::Signature)>,
	root: H256,
	signer: AccountId,
) -> crate::Call<Test> {
	let bytes =
		commit_signing_bytes(Sessions::genesis(), session, voucher.as_ref().map(|(v, _)| v), root);
	crate::Call::<Test>::commit_session {
		session,
		voucher,
		root,
		signature: sp_runtime::testing::TestSignature(signer, bytes),
	}
}

/// What the pool says of `call` (an authorized one).
fn pool_validity(
	call: &crate::Call<Test>,
) -> Result<
	sp_runtime::transaction_validity::ValidTransaction,
	sp_runtime::transaction_validity::TransactionValidityError,
> {
	use frame_support::traits::Authorize;
	call.authorize(sp_runtime::transaction_validity::TransactionSource::External)
		.expect("the call is authorized by the pallet")
		.map(|(validity, _)| validity)
}

fn dispatch_authorized(call: crate::Call<Test>) -> DispatchResultOf {
	use frame_support::traits::UnfilteredDispatchable;
	call.dispatch_bypass_filter(authorized()).map(|_| ()).map_err(|e| e.error)
}

#[test]
fn the_providers_node_overrules_an_owner_who_closes_on_an_older_voucher_without_a_fee() {
	new_test_ext(|| {
		let id = open();
		assert_ok!(Sessions::close_session(
			RuntimeOrigin::signed(OWNER),
			id,
			Some(voucher(id, 1, 10)),
			None
		));
		let root = H256::repeat_byte(0xaa);
		let call = commit_call(id, Some(voucher(id, 2, 30)), root, OPERATOR);
		let valid = pool_validity(&call).unwrap();
		assert_eq!(valid.longevity, WINDOW, "valid until the window ends");
		assert_ok!(dispatch_authorized(call));
		System::assert_last_event(Event::LogCommitted { session: id, root }.into());
		let s = Sessions_::<Test>::get(id).unwrap();
		assert_eq!((s.voucher.unwrap().tokens, s.root), (30, Some(root)));
		run_to(1 + WINDOW);
		assert_ok!(Sessions::settle_session(RuntimeOrigin::signed(OWNER), id));
		System::assert_last_event(
			Event::SessionSettled {
				session: id,
				tokens: 30,
				log: Some(H256::repeat_byte(2)),
				root: Some(root),
				receipt: Receipt {
					paid: 90,
					royalty: 9,
					protocol_fee: 4,
					providers: 77,
					refund: BUDGET - 90,
				},
			}
			.into(),
		);
	});
}

#[test]
fn a_commitment_counts_only_from_the_providers_operator_key_over_what_it_carries() {
	use sp_runtime::transaction_validity::InvalidTransaction;
	new_test_ext(|| {
		let id = open();
		assert_ok!(Sessions::close_session(RuntimeOrigin::signed(OWNER), id, None, None));
		let root = H256::repeat_byte(0xaa);
		// Signed by the owner, or by the provider's cold account (not its operator key).
		for signer in [OWNER, PROVIDER] {
			let call = commit_call(id, Some(voucher(id, 2, 30)), root, signer);
			assert_eq!(pool_validity(&call).unwrap_err(), InvalidTransaction::BadProof.into());
			assert_noop!(dispatch_authorized(call), Error::<Test>::BadAttestation);
		}
		// The operator's signature over another root, or over no voucher.
		let crate::Call::commit_session { signature, .. } = commit_call(id, None, root, OPERATOR)
		else {
			unreachable!()
		};
		let forged = crate::Call::<Test>::commit_session {
			session: id,
			voucher: Some(voucher(id, 2, 30)),
			root,
			signature,
		};
		assert_noop!(dispatch_authorized(forged), Error::<Test>::BadAttestation);
		// A voucher the session key did not sign.
		let other = sr25519::Pair::from_seed(&[9; 32]);
		let call = commit_call(id, Some(voucher_by(&other, id, 2, 30)), root, OPERATOR);
		assert_eq!(pool_validity(&call).unwrap_err(), InvalidTransaction::BadProof.into());
		assert_noop!(dispatch_authorized(call), Error::<Test>::BadVoucher);
		// Not through a signed origin: an authorized transaction only.
		assert!(Sessions::commit_session(
			RuntimeOrigin::signed(OPERATOR),
			id,
			None,
			root,
			sp_runtime::testing::TestSignature(OPERATOR, vec![])
		)
		.is_err());
	});
}

#[test]
fn a_session_is_committed_once_and_only_after_it_ends() {
	use sp_runtime::transaction_validity::InvalidTransaction;
	new_test_ext(|| {
		let id = open();
		let root = H256::repeat_byte(0xaa);
		let early = commit_call(id, Some(voucher(id, 1, 10)), root, OPERATOR);
		assert_eq!(pool_validity(&early).unwrap_err(), InvalidTransaction::Call.into());
		assert_noop!(dispatch_authorized(early), Error::<Test>::NotEnded);
		// Expired, never closed: the provider commits in the grace period.
		run_to(1 + 100);
		assert_ok!(dispatch_authorized(commit_call(id, Some(voucher(id, 1, 10)), root, OPERATOR)));
		// Once: a second, whatever it carries, is stale.
		let again = commit_call(id, Some(voucher(id, 2, 20)), H256::repeat_byte(0xbb), OPERATOR);
		assert_eq!(pool_validity(&again).unwrap_err(), InvalidTransaction::Stale.into());
		assert_noop!(dispatch_authorized(again), Error::<Test>::AlreadyCommitted);
		// A voucher below the posted one is stale too; after the grace, everything is late.
		run_to(1 + 100 + GRACE);
		let late = commit_call(id, None, root, OPERATOR);
		assert_noop!(dispatch_authorized(late), Error::<Test>::TooLate);
	});
}

#[test]
fn a_due_session_settles_as_an_authorized_transaction_and_not_before() {
	use sp_runtime::transaction_validity::InvalidTransaction;
	new_test_ext(|| {
		let id = open();
		let settle = crate::Call::<Test>::settle_session { session: id };
		assert_eq!(pool_validity(&settle).unwrap_err(), InvalidTransaction::Call.into());
		assert_noop!(dispatch_authorized(settle.clone()), Error::<Test>::NotDue);
		assert_ok!(Sessions::close_session(RuntimeOrigin::signed(OWNER), id, None, None));
		run_to(1 + WINDOW);
		assert!(pool_validity(&settle).is_ok());
		assert_ok!(dispatch_authorized(settle.clone()));
		assert_eq!(held(OWNER), 0, "budget and deposit returned");
		assert_eq!(pool_validity(&settle).unwrap_err(), InvalidTransaction::Stale.into());
	});
}
