//! Markets larger than a draw's window: draws from the providers pallet's index, in
//! proportion to bond × reputation score, however many providers serve the model.

use super::*;
use crate::assignment::Seat;
use crate::{assignment::WINDOW, Error, QUOTE_SLOTS};
use frame_support::{assert_noop, traits::fungible::Mutate};
use mosaic_primitives::{JobNeeds, ProviderRegistry};
use pallet_mosaic_providers::Providers as ProviderRecords;
use sp_runtime::Perbill;

/// Registers extra provider `i` with `bond`, asking `ask`, serving `model` on [`TERMS`].
fn add_extra(i: u32, model: ModelId, bond: Balance, ask: Balance) -> AccountId {
	let (who, op) = extra_provider(i);
	let _ = Balances::set_balance(&who, bond + ED);
	assert_ok!(Providers::register_provider(
		RuntimeOrigin::signed(who.clone()),
		profile(ENGINE),
		ask,
		op,
		bond
	));
	assert_ok!(Providers::serve_model(RuntimeOrigin::signed(who.clone()), model, TERMS));
	who
}

/// How often `draw_one` picks `who` for `model` with each of `seeds` seeds, at any bid.
fn times_drawn(model: ModelId, who: &AccountId, seeds: u32) -> usize {
	let needs = JobNeeds { prompt_tokens: 8, max_tokens: 8 };
	(0..seeds)
		.filter(|s| {
			&Jobs::draw_one(
				model,
				Seat::Executor { bid: Balance::MAX },
				&needs,
				&[],
				&s.to_le_bytes(),
				&Jobs::timing(),
			)
			.expect("someone is drawn")
			.provider == who
		})
		.count()
}

/// A model served by `WINDOW + 1` providers bonding `bond` (so draws go through the index);
/// returns the model and its first provider.
fn market_beyond_window(bond: Balance) -> (ModelId, AccountId) {
	let model = register_model(1_000);
	let first = add_extra(0, model, bond, ASK);
	for i in 1..=WINDOW {
		add_extra(i, model, bond, ASK);
	}
	(model, first)
}

#[test]
fn ten_thousand_providers_serve_a_model_and_a_heavy_honest_one_is_not_crowded_out() {
	new_test_ext(|| {
		let model = register_model(1_000);
		// 9,999 sybils at the least bond fill the model; the honest provider bonds as much as
		// all of them together and joins last.
		for i in 0..9_999 {
			add_extra(i, model, MIN_BOND, ASK);
		}
		let honest = add_extra(9_999, model, 9_999 * MIN_BOND, ASK);
		assert_eq!(<Providers as ProviderRegistry<_, _>>::slot_count(model), 10_000);
		let share = times_drawn(model, &honest, 400);
		// Half the weight: expect 200 of 400.
		assert!((150..=250).contains(&share), "honest drawn {share} of 400 times");
		// A job is submitted and assigned in such a market like in any other.
		let job = submit(USER, model, 10, 5).unwrap();
		assert_eq!(JobsStorage::<Test>::get(job).unwrap().assignments.len(), 1);
	});
}

#[test]
fn a_low_reputation_provider_is_drawn_in_proportion_to_its_score() {
	new_test_ext(|| {
		let (model, low) = market_beyond_window(MIN_BOND);
		// One provider timed out three times without a success: score 1 / (1 + 6) → 142.
		ProviderRecords::<Test>::mutate(&low, |p| p.as_mut().unwrap().reputation.timed_out = 3);
		let n = times_drawn(model, &low, 3_400);
		// Without the score it would be 1 in 17 (200 of 3,400); with it, 142 / (16 × 1000 + 142)
		// of them: about 30.
		assert!((12..=60).contains(&n), "low-reputation provider drawn {n} times");
	});
}

#[test]
fn a_slashed_provider_is_drawn_in_proportion_to_what_it_has_left() {
	new_test_ext(|| {
		let (model, slashed) = market_beyond_window(4 * MIN_BOND);
		assert_ok!(<Providers as ProviderRegistry<_, _>>::slash(
			&slashed,
			Perbill::from_percent(75),
			None
		));
		let n = times_drawn(model, &slashed, 3_400);
		// Its indexed weight is still 4 × MIN_BOND, its bond MIN_BOND: 1 / (16 × 4 + 1) of the
		// draws, about 52 (200 if the index's stale weight counted).
		assert!((25..=95).contains(&n), "slashed provider drawn {n} times");
	});
}

#[test]
fn in_a_large_market_a_bid_below_what_the_draws_find_is_refused_with_nothing_held() {
	new_test_ext(|| {
		let model = register_model(1_000);
		for i in 0..100 {
			add_extra(i, model, MIN_BOND, 1_000);
		}
		let before = Balances::free_balance(account(USER));
		// 4 tokens at 1,000: within what a provider's exposure allows (half of MIN_BOND).
		assert_noop!(submit(USER, model, 4, 5), Error::<Test>::BidBelowEveryAsk);
		assert_eq!(Balances::free_balance(account(USER)), before);
		assert_ok!(submit(USER, model, 4, 1_000));
	});
}

#[test]
fn a_draw_through_the_index_is_charged_for_the_tries_it_made() {
	use crate::weights::WeightInfo;
	new_test_ext(|| {
		let (model, _) = market_beyond_window(MIN_BOND);
		let base = <() as WeightInfo>::submit_job(16, 1);
		// What a draw of `t` tries and `s` slots reads beyond the benchmark's (one slot).
		let beyond =
			|t, s| <() as WeightInfo>::draw(t, s).saturating_sub(<() as WeightInfo>::draw(0, 1));
		// Every provider is eligible and equally weighted: the first try keeps whoever it finds
		// with chance score / MAX_SCORE, so most submissions take one or two tries.
		let mut tries_seen = Vec::new();
		for _ in 0..20 {
			let (charged, used) = charged_and_used(model);
			let used = used.expect("reported");
			assert!(used.all_lte(charged));
			let tries =
				(1..=crate::assignment::TRIES).find(|t| used == base.saturating_add(beyond(*t, 0)));
			tries_seen.push(tries.unwrap_or_else(|| {
				// All tries failed: the window was read too.
				assert_eq!(used, base.saturating_add(beyond(crate::assignment::TRIES, WINDOW)));
				crate::assignment::TRIES + 1
			}));
		}
		assert!(tries_seen.contains(&1), "tries made: {tries_seen:?}");
	});
}

/// How many of `seeds` draws for a job of `needs` at `bid` find nobody.
fn refused(model: ModelId, bid: Balance, needs: &JobNeeds, seeds: u32) -> u32 {
	(0..seeds)
		.filter(|s| {
			Jobs::draw_one(
				model,
				Seat::Executor { bid },
				needs,
				&[],
				&s.to_le_bytes(),
				&Jobs::timing(),
			)
			.is_err()
		})
		.count() as u32
}

#[test]
fn a_job_bid_at_the_quote_is_assigned_wherever_the_draw_looks() {
	new_test_ext(|| {
		// 40 providers, more than a draw's window: one asks a third of what the others ask.
		let model = register_model(1_000);
		add_extra(0, model, MIN_BOND, 1);
		for i in 1..40 {
			add_extra(i, model, MIN_BOND, ASK);
		}
		let needs = Jobs::needs(0, 10);
		let quote = Jobs::quote(model, &needs);
		assert_eq!(quote.read, 40, "a market this small is read whole");
		assert_eq!(quote.lowest_ask(), Some(1));
		assert_eq!(quote.bid, Some(ASK), "a window without the cheap provider needs ASK");
		assert_eq!((quote.eligible_at(1), quote.eligible_at(ASK)), (1, 40));
		// A bid at the market's lowest ask (what the estimate used to give) is refused by
		// every draw whose window misses that provider and whose tries do not find it; a bid
		// at the quote by none.
		let at_lowest = refused(model, 1, &needs, 100);
		println!("a bid at the lowest ask: {at_lowest} of 100 draws refused");
		assert!(at_lowest >= 30, "{at_lowest} of 100");
		assert_eq!(refused(model, ASK, &needs, 100), 0);
	})
}

#[test]
fn a_quote_reads_a_bounded_number_of_providers_and_holds_in_a_large_market() {
	new_test_ext(|| {
		// 2,000 providers asking between 1 and 1,000, in no order.
		let model = register_model(1_000);
		let ask = |i: u32| 1 + Balance::from(i) * 2_654_435_761 % 1_000;
		for i in 0..2_000 {
			add_extra(i, model, MIN_BOND, ask(i));
		}
		let needs = Jobs::needs(0, 10);
		let quote = Jobs::quote(model, &needs);
		assert_eq!(quote.read, QUOTE_SLOTS, "64 windows of 16, not 2,000 providers");
		let (lowest, bid) = (quote.lowest_ask().unwrap(), quote.bid.unwrap());
		assert!(lowest < bid);
		let (at_lowest, at_quote) =
			(refused(model, lowest, &needs, 400), refused(model, bid, &needs, 400));
		println!(
			"lowest ask read {lowest}, quote {bid}: {at_lowest} and {at_quote} of 400 draws refused"
		);
		assert!(at_quote * 20 <= 400, "at most 5 % refused at the quote: {at_quote}");
		assert!(at_lowest > 10 * at_quote.max(1), "{at_lowest} vs {at_quote}");
	})
}

#[test]
fn other_pallets_draw_a_provider_as_a_job_draws_its_executor_never_the_owner() {
	use mosaic_primitives::{DrawProvider, NoProvider};
	new_test_ext(|| {
		let model = market(2);
		let needs = JobNeeds { prompt_tokens: 10, max_tokens: 4 };
		// Provider 0 asks for its own work: only provider 1 can be drawn, every time.
		for subject in 0u32..8 {
			let c = <Jobs as DrawProvider<_, _>>::draw_provider(
				&provider(0),
				model,
				ASK,
				&needs,
				&subject.to_le_bytes(),
			)
			.unwrap();
			assert_eq!((c.provider, c.ask), (provider(1), ASK));
		}
		let draw = |bid, needs: &JobNeeds| {
			<Jobs as DrawProvider<_, _>>::draw_provider(&account(USER), model, bid, needs, b"s")
		};
		assert_eq!(draw(ASK - 1, &needs).unwrap_err(), NoProvider::BidBelowEveryAsk);
		let too_long = JobNeeds { prompt_tokens: 10, max_tokens: TERMS.max_output_tokens + 1 };
		assert_eq!(draw(ASK, &too_long).unwrap_err(), NoProvider::NotCovered);
		let empty = register_model(0);
		assert_eq!(
			<Jobs as DrawProvider<_, _>>::draw_provider(&account(USER), empty, ASK, &needs, b"s")
				.unwrap_err(),
			NoProvider::NoneEligible
		);
		// Drawing holds nothing and changes no count: a caller records what it drew.
		assert_eq!(<Providers as ProviderRegistry<_, _>>::jobs_in_flight(&provider(1)), 0);
	});
}
