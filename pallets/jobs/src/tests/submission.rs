//! Submitting jobs: the checks, the escrow, who may be drawn, and the deadline.

use super::*;
use crate::{Error, Event, JobStatus};
use frame_support::assert_noop;
use mosaic_primitives::{JobRequest, ModelRegistry, ServingTerms};

#[test]
fn submitting_escrows_max_tokens_times_bid_and_assigns_providers() {
	new_test_ext(|| {
		let model = market(3);
		let (job, d) = diff(&[account(USER)], || submit(USER, model, 10, 5).unwrap());
		assert_eq!(d, vec![(-50, 50, 0)]);
		let j = JobsStorage::<Test>::get(job).unwrap();
		assert_eq!((j.escrow, j.status, j.sampled), (50, JobStatus::Pending, false));
		assert_eq!(j.assignments.len(), 1);
		assert_eq!(j.assignments[0].price, ASK);
		assert_eq!(j.deadline, 1 + TIMEOUT);
		assert_eq!(Jobs::due_at(1 + TIMEOUT), vec![job]);
		assert_eq!(Jobs::request(job), Some(JobRequest::text(b"Once upon a time".to_vec())));
		assert_eq!(j.request_hash, JobRequest::text(b"Once upon a time".to_vec()).hash());
		let terms = Models::terms_for_new_job(model).unwrap();
		assert_eq!(
			(j.model_hash, j.creator.clone(), j.royalty_bps),
			(terms.content_hash, terms.creator, 1_000)
		);
		System::assert_has_event(
			Event::JobSubmitted {
				job,
				owner: account(USER),
				model,
				escrow: 50,
				deposit: 0,
				deadline: 1 + TIMEOUT,
			}
			.into(),
		);
		let p = j.assignments[0].provider.clone();
		System::assert_last_event(Event::ProviderAssigned { job, provider: p, price: ASK }.into());
	});
}

#[test]
fn an_oversized_or_empty_prompt_is_refused() {
	new_test_ext(|| {
		let model = market(1);
		let submit_prompt =
			|p: Vec<u8>| Jobs::submit_job(RuntimeOrigin::signed(account(USER)), model, p, 10, 5);
		assert_noop!(submit_prompt(vec![b'a'; 65]), Error::<Test>::PromptTooLong);
		assert_noop!(submit_prompt(vec![]), Error::<Test>::EmptyPrompt);
		assert_ok!(submit_prompt(vec![b'a'; 64]));
	});
}

#[test]
fn unknown_and_deprecated_models_are_refused() {
	new_test_ext(|| {
		let model = market(1);
		assert_noop!(submit(USER, 42, 10, 5), Error::<Test>::ModelNotRegistered);
		assert_ok!(Models::deprecate(RuntimeOrigin::signed(account(CREATOR)), model));
		assert_noop!(submit(USER, model, 10, 5), Error::<Test>::ModelDeprecated);
	});
}

#[test]
fn zero_or_too_many_max_tokens_are_refused() {
	new_test_ext(|| {
		let model = market(1);
		assert_noop!(submit(USER, model, 0, 5), Error::<Test>::ZeroMaxTokens);
		// MaxOutputTokens is 120 in the tests.
		assert_noop!(submit(USER, model, 121, 5), Error::<Test>::MaxTokensTooLarge);
	});
}

#[test]
fn a_bid_below_every_ask_is_refused() {
	new_test_ext(|| {
		let model = market(2);
		assert_noop!(submit(USER, model, 10, ASK - 1), Error::<Test>::BidBelowEveryAsk);
	});
}

#[test]
fn without_eligible_providers_nothing_is_held() {
	new_test_ext(|| {
		let model = register_model(0);
		assert_noop!(submit(USER, model, 10, 5), Error::<Test>::NoEligibleProvider);
		add_provider(0, model);
		assert_ok!(Providers::pause(RuntimeOrigin::signed(provider(0))));
		assert_noop!(submit(USER, model, 10, 5), Error::<Test>::NoEligibleProvider);
		assert_eq!(funds(&account(USER)).escrow, 0);
	});
}

#[test]
fn a_user_who_cannot_pay_the_escrow_is_refused_and_loses_nothing() {
	new_test_ext(|| {
		let model = market(1);
		let before = funds(&account(POOR_USER));
		assert_noop!(submit(POOR_USER, model, 100, 50), Error::<Test>::InsufficientBalance);
		assert_eq!(funds(&account(POOR_USER)), before);
	});
}

#[test]
fn an_overflowing_escrow_is_refused() {
	new_test_ext(|| {
		let model = market(1);
		assert_noop!(submit(USER, model, 100, u128::MAX / 2), Error::<Test>::EscrowOverflow);
	});
}

#[test]
fn busy_providers_get_no_more_jobs() {
	new_test_ext(|| {
		let model = market(1); // max_concurrent_jobs = 4
		for _ in 0..4 {
			assert_ok!(submit(USER, model, 1, 5));
		}
		assert_noop!(submit(USER, model, 1, 5), Error::<Test>::NoEligibleProvider);
	});
}

/// Issue 9, item 7: the deadline queue has no per-block cap to fill. Three times as many jobs
/// as a block processes (`MaxJobsPerBlock` = 4 here) are all accepted with the same deadline,
/// and all of them are decided, four a block, oldest first, none early.
#[test]
fn more_jobs_due_at_one_block_than_a_block_processes_are_all_accepted_and_decided() {
	new_test_ext(|| {
		let model = register_model(0);
		for n in 0..3 {
			add_provider(n, model);
		}
		let due = 1 + TIMEOUT;
		let jobs: Vec<JobId> = (0..12).map(|_| submit(USER, model, 1, 5).unwrap()).collect();
		for job in &jobs {
			assert_eq!(JobsStorage::<Test>::get(job).unwrap().deadline, due);
		}
		assert_eq!(Jobs::due_at(due).len(), 12);
		run_to_block(due - 1);
		assert_eq!(Jobs::due_at(due).len(), 12, "nothing is processed before its deadline");
		for (block, left) in [(due, 8), (due + 1, 4), (due + 2, 0)] {
			run_to_block(block);
			assert_eq!(Jobs::due_at(due).len(), left, "at block {block}");
		}
		for job in &jobs {
			let j = JobsStorage::<Test>::get(job).unwrap();
			assert!(!j.status.is_open() || j.deadline > due, "job {job} was not decided");
		}
	});
}

#[test]
fn submitting_is_charged_the_worst_draw_and_pays_for_the_draw_it_made() {
	use crate::weights::WeightInfo;
	new_test_ext(|| {
		let base = <() as WeightInfo>::submit_job(16, 1);
		let (charged, used) = charged_and_used(market(2));
		assert_eq!(charged, base.saturating_add(Jobs::draws_weight(1)));
		// A market of two: no tries in the index, a window of its two slots, one more than in
		// the benchmark's market.
		let beyond = <() as WeightInfo>::draw(0, 2).saturating_sub(<() as WeightInfo>::draw(0, 1));
		assert_eq!(used, Some(base.saturating_add(beyond)));
		let used = used.expect("reported");
		assert!(used.all_lte(charged) && used.ref_time() < charged.ref_time());
		// Nothing is left over for the next call or the hook.
		assert_eq!(crate::PathWeight::<Test>::get(), Default::default());
	});
}

#[test]
fn a_zero_bid_is_refused() {
	new_test_ext(|| {
		let model = register_model(0);
		add_provider_with(0, model, 0, ENGINE);
		assert_noop!(submit(USER, model, 10, 0), Error::<Test>::ZeroBid);
	});
}

#[test]
fn a_job_no_provider_declares_it_can_run_is_refused_and_holds_nothing() {
	new_test_ext(|| {
		let model = register_model(0); // registered context: 128 tokens
								 // The provider's engine runs the model with 64 tokens of context, at most 32 out.
		let small = ServingTerms { context_length: 64, max_output_tokens: 32, ..TERMS };
		add_provider_on(0, model, ASK, ENGINE, small);
		let before = funds(&account(USER));
		// Fits the model's registered context, not the provider's.
		assert_noop!(submit(USER, model, 50, 5), Error::<Test>::NoProviderCovers);
		// Within the context, above its largest output.
		assert_noop!(submit(USER, model, 33, 5), Error::<Test>::NoProviderCovers);
		assert_eq!(funds(&account(USER)), before);
		// "Once upon a time" is 16 bytes: 16 + 2 + 32 ≤ 64.
		assert_ok!(submit(USER, model, 32, 5));
	});
}

#[test]
fn a_job_too_long_for_every_providers_speed_is_refused() {
	new_test_ext(|| {
		let model = register_model(0);
		// Two tokens per second, one-second blocks: the prompt's 16 tokens (bound) take 8
		// blocks, and what fits of the output the rest up to `MAX_TIMEOUT` with the minimum.
		let slow = ServingTerms { tokens_per_second: 2, ..TERMS };
		add_provider_on(0, model, ASK, ENGINE, slow);
		let fits = 2 * ((MAX_TIMEOUT as u32) - MIN_TIMEOUT - 8);
		assert_noop!(submit(USER, model, fits + 1, 5), Error::<Test>::NoProviderCovers);
		let job = submit(USER, model, fits, 5).unwrap();
		assert_eq!(JobsStorage::<Test>::get(job).unwrap().deadline, 1 + MAX_TIMEOUT);
	});
}

#[test]
fn only_providers_whose_terms_cover_the_job_are_drawn() {
	new_test_ext(|| {
		let model = register_model(0);
		let small = ServingTerms { context_length: 64, max_output_tokens: 32, ..TERMS };
		for n in 0..4 {
			add_provider_on(n, model, ASK, ENGINE, small);
		}
		add_provider(4, model);
		for _ in 0..4 {
			let job = submit(USER, model, 50, 5).unwrap();
			assert_eq!(assigned(job), vec![4]);
			assert_ok!(answer(4, job, b"x", 1));
		}
	});
}

#[test]
fn the_deadline_follows_the_executors_declared_speed() {
	new_test_ext(|| {
		let model = register_model(0);
		// 2 tokens per second: the prompt's 16 tokens (bound) take 8 one-second blocks, 10
		// tokens 5 more, plus the minimum 4.
		let slow = ServingTerms { tokens_per_second: 2, ..TERMS };
		add_provider_on(0, model, ASK, ENGINE, slow);
		let job = submit(USER, model, 10, 5).unwrap();
		assert_eq!(JobsStorage::<Test>::get(job).unwrap().deadline, 1 + 4 + 8 + 5);
		let needs = Jobs::needs(16, 10);
		assert_eq!(Jobs::answer_blocks(&slow, &needs), 17);
		assert_eq!(Jobs::answer_blocks(&TERMS, &needs), TIMEOUT as u32);
	});
}

/// Review N3: the deadline ignored prompt processing, so a long prompt with `max_tokens` 1
/// left a slow provider the minimum 4 blocks for all of it — and slashed it when it could
/// not. Now the prompt counts, at the declared speed; a job nobody can finish in JobTimeout
/// is refused at submission, before any money moves.
#[test]
fn a_long_prompt_gets_the_time_its_processing_takes_or_is_refused() {
	new_test_ext(|| {
		let model = register_model(0);
		let slow = ServingTerms { tokens_per_second: 1, ..TERMS };
		add_provider_on(0, model, ASK, ENGINE, slow);
		let submit_prompt = |bytes: usize| {
			Jobs::submit_job(RuntimeOrigin::signed(account(USER)), model, vec![b'7'; bytes], 1, 5)
				.map_err(|e| e.error)
		};
		// 12 prompt tokens and 1 output token at 1 token/s: 13 blocks and the minimum 4.
		let job = crate::NextJobId::<Test>::get();
		assert_ok!(submit_prompt(12));
		assert_eq!(JobsStorage::<Test>::get(job).unwrap().deadline, 1 + 4 + 13);
		// 20 prompt tokens and 1 need 21 s: with the minimum 4, beyond JobTimeout (20 blocks).
		// Refused, nothing held.
		let before = funds(&account(USER));
		assert_noop!(submit_prompt(20), Error::<Test>::NoProviderCovers);
		assert_eq!(funds(&account(USER)), before);
	});
}

#[test]
fn there_is_no_way_to_take_a_submitted_job_back() {
	// Providers may start the moment a job is assigned; a cancel would be free inference. The
	// call that allowed it (index 2) is gone from the pallet's calls.
	use frame_support::traits::GetCallIndex;
	let names = <crate::Call<Test> as frame_support::traits::GetCallName>::get_call_names();
	assert!(!names.contains(&"cancel_job"), "{names:?}");
	let indices = <crate::Call<Test> as GetCallIndex>::get_call_indices();
	assert!(!indices.contains(&2), "{indices:?}");
}

#[test]
fn job_ids_running_out_is_an_error_and_holds_nothing() {
	new_test_ext(|| {
		let model = market(1);
		crate::NextJobId::<Test>::put(u64::MAX);
		assert_noop!(submit(USER, model, 10, 5), Error::<Test>::JobIdsExhausted);
		assert_eq!(funds(&account(USER)).escrow, 0);
	});
}

#[test]
fn a_job_that_cannot_fit_the_models_context_is_refused() {
	new_test_ext(|| {
		// The test model's context is 128 tokens; the prompt is 16 bytes.
		let model = market(1);
		assert_noop!(submit(USER, model, 111, 10), Error::<Test>::ExceedsContext);
		assert_ok!(submit(USER, model, 110, 10));
		assert!(!Jobs::fits_context(u32::MAX, 1, u32::MAX));
		assert!(Jobs::fits_context(0, u32::MAX - 2, u32::MAX));
	});
}

/// Review N9: the hook decides `MaxJobsPerBlock` due jobs a block and each job comes due two
/// to four times, so a block accepts at most `MaxSubmissionsPerBlock` jobs; one more is
/// refused with nothing held, and the next block accepts again.
#[test]
fn a_block_accepts_at_most_max_submissions_per_block_jobs() {
	new_test_ext(|| {
		MaxSubmissions::set(2);
		let model = market(2);
		assert_ok!(submit(USER, model, 1, 5));
		assert_ok!(submit(USER, model, 1, 5));
		let before = funds(&account(USER));
		assert_noop!(submit(USER, model, 1, 5), Error::<Test>::BlockFullOfJobs);
		assert_eq!(funds(&account(USER)), before);
		run_to_block(2);
		assert_ok!(submit(USER, model, 1, 5));
	});
}

/// Review N9: an answered job no longer holds its executor's slot (its node is free while
/// the answer waits out its window), but it is still in flight: the provider cannot leave
/// until it is decided.
#[test]
fn an_answer_frees_the_executors_slot_but_keeps_it_from_leaving() {
	new_test_ext(|| {
		let model = market(1); // max_concurrent_jobs = 4
		let jobs: Vec<JobId> = (0..4).map(|_| submit(USER, model, 1, 5).unwrap()).collect();
		assert_noop!(submit(USER, model, 1, 5), Error::<Test>::NoEligibleProvider);
		assert_ok!(submit_answer(0, jobs[0], b"x", 1));
		let fifth = submit(USER, model, 1, 5).expect("the answered job's slot is free");
		assert_eq!(assigned(fifth), vec![0]);
		assert_noop!(submit(USER, model, 1, 5), Error::<Test>::NoEligibleProvider);
		assert_noop!(
			Providers::deregister(RuntimeOrigin::signed(provider(0))),
			pallet_mosaic_providers::Error::<Test>::JobsInFlight
		);
		close_window(jobs[0]);
		assert_eq!(JobsStorage::<Test>::get(jobs[0]).unwrap().status, JobStatus::Settled);
		assert_eq!(pallet_mosaic_providers::Answered::<Test>::get(provider(0)), 0);
	});
}

/// Review N11: what a provider's open jobs could pay it (price × `max_tokens`) never passes
/// what one conviction takes from it (`FraudSlash` of its bond), whatever its concurrency: a
/// provider answering everything in flight with garbage loses more than it can be paid. The
/// room returns when a job closes.
#[test]
fn nobody_executes_more_than_a_conviction_would_cost_it() {
	new_test_ext(|| {
		let model = register_model(0);
		// 30 × 100 tokens = 3,000 a job; half of MIN_BOND (10,000) is 5,000: one job fits.
		add_provider_with(0, model, 30, ENGINE);
		let first = submit(USER, model, 100, 30).unwrap();
		assert_eq!(crate::Exposure::<Test>::get(provider(0)), 3_000);
		assert_noop!(submit(USER, model, 100, 30), Error::<Test>::NoEligibleProvider);
		assert_eq!(Jobs::quote(model, &Jobs::needs(4, 100)).bid, None);
		// A smaller job fits in what is left (30 × 60 = 1,800 ≤ 2,000).
		assert_ok!(submit(USER, model, 60, 30));
		assert_ok!(answer(0, first, b"x", 1));
		assert_eq!(JobsStorage::<Test>::get(first).unwrap().status, JobStatus::Settled);
		assert_eq!(crate::Exposure::<Test>::get(provider(0)), 1_800);
		assert_ok!(submit(USER, model, 100, 30));
	});
}
