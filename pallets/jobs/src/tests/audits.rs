//! The challenge window and audits: when answers are paid, who audits, what a finding of fraud
//! costs the executor, and what a wrong or lazy finding costs the auditor.

use super::*;
use crate::{AssignmentState, Error, Event, JobStatus, Role};
use frame_support::assert_noop;
use mosaic_primitives::{AuditReport, Finding, ProviderRegistry};
use sp_runtime::Perbill;

/// An honest auditor's report on a 4-token answer.
fn honest() -> AuditReport {
	AuditReport {
		tokens: 4,
		spelled: true,
		misses: 0,
		end_miss: false,
		z_milli: 0,
		mean_logprob_milli: -1_200,
	}
}

/// A report finding the answer fraudulent (every token a miss).
fn fraud() -> AuditReport {
	AuditReport { misses: 4, ..honest() }
}

/// The auditors of `job` waiting to report, as indices.
fn auditors_waiting(job: JobId) -> Vec<u8> {
	JobsStorage::<Test>::get(job)
		.unwrap()
		.assignments
		.iter()
		.filter(|a| matches!(a.role, Role::Auditor { .. }) && a.state == AssignmentState::Waiting)
		.map(|a| index_of(&a.provider))
		.collect()
}

/// A job of `market(providers)` answered by its executor with "four" (4 tokens) and audited
/// (the audit chance raised to 100 %): the job, its executor, its first auditors.
fn audited_job(providers: u8) -> (JobId, u8, Vec<u8>) {
	audited_job_asking(providers, ASK)
}

/// [`audited_job`] in a market whose providers all ask `ask` (the job bids it).
fn audited_job_asking(providers: u8, ask: Balance) -> (JobId, u8, Vec<u8>) {
	AuditChance::set(Perbill::one());
	let model = register_model(1_000);
	for n in 0..providers {
		add_provider_with(n, model, ask, ENGINE);
	}
	// 4 tokens: what the answer has, and what a provider's exposure allows at the dearest
	// ask the tests use (4 × 1,005 within half of MIN_BOND).
	let job = submit(USER, model, 4, ask.max(5)).unwrap();
	let e = executor(job);
	assert_ok!(submit_answer(e, job, b"four", 4));
	close_window(job);
	assert_eq!(JobsStorage::<Test>::get(job).unwrap().status, JobStatus::Auditing);
	(job, e, auditors_waiting(job))
}

/// A job of `market(7)` answered with "four" whose audit was drawn twice (audits drawn twice
/// compare statistics): jobs are tried until one is. The job and its two auditors.
fn double_audited_job() -> (JobId, Vec<u8>) {
	AuditChance::set(Perbill::one());
	let model = market(7);
	for _ in 0..60 {
		let job = submit(USER, model, 10, 5).unwrap();
		assert_ok!(submit_answer(executor(job), job, b"four", 4));
		close_window(job);
		let auditors = auditors_waiting(job);
		if auditors.len() == 2 {
			return (job, auditors);
		}
		for a in auditors {
			assert_ok!(audit(a, job, honest()));
		}
	}
	panic!("no audit was drawn twice")
}

fn bond(n: u8) -> Balance {
	funds(&provider(n)).bond
}

#[test]
fn an_answer_is_paid_only_when_its_challenge_window_closes() {
	new_test_ext(|| {
		let model = market(1);
		let job = submit(USER, model, 10, 5).unwrap();
		let (r, d) = diff(&[account(USER), provider(0)], || submit_answer(0, job, b"four", 4));
		assert_ok!(r);
		// Nothing moves with the answer: the escrow stays held through the window.
		assert_eq!(d, vec![(0, 0, 0), (0, 0, 0)]);
		let j = JobsStorage::<Test>::get(job).unwrap();
		assert_eq!(j.status, JobStatus::Challenge);
		assert_eq!(j.deadline, System::block_number() + CHALLENGE_WINDOW as u64);
		run_to_block(j.deadline - 1);
		assert_eq!(JobsStorage::<Test>::get(job).unwrap().status, JobStatus::Challenge);
		let (_, d) = diff(&[provider(0)], || run_to_block(j.deadline));
		assert_eq!(JobsStorage::<Test>::get(job).unwrap().status, JobStatus::Settled);
		assert!(d[0].0 > 0, "the executor is paid when the window closes");
	});
}

#[test]
fn no_auditor_is_drawn_with_the_answer_only_when_the_window_closes() {
	new_test_ext(|| {
		AuditChance::set(Perbill::one());
		let model = market(3);
		let job = submit(USER, model, 10, 5).unwrap();
		let e = executor(job);
		assert_ok!(submit_answer(e, job, b"four", 4));
		// The executor could not know the randomness of the block that closes its window.
		assert!(auditors_waiting(job).is_empty());
		close_window(job);
		let auditors = auditors_waiting(job);
		assert!(!auditors.is_empty() && !auditors.contains(&e));
		for a in auditors {
			System::assert_has_event(
				Event::AuditorAssigned { job, auditor: provider(a), committee: false }.into(),
			);
		}
	});
}

#[test]
fn an_answer_found_honest_is_paid_and_nobody_is_slashed() {
	new_test_ext(|| {
		let (job, e, auditors) = audited_job(4);
		let mut everyone: Vec<AccountId> = auditors.iter().map(|a| provider(*a)).collect();
		everyone.push(provider(e));
		let (_, d) = diff(&everyone, || {
			for a in &auditors {
				assert_ok!(audit(*a, job, honest()));
			}
		});
		let j = JobsStorage::<Test>::get(job).unwrap();
		assert_eq!(j.status, JobStatus::Settled);
		assert!(d.iter().all(|(_, _, bond)| *bond == 0), "no bond moved: {d:?}");
		assert!(d.last().unwrap().0 > 0, "the executor is paid");
		for a in auditors {
			System::assert_has_event(
				Event::AuditReported {
					job,
					auditor: provider(a),
					finding: Finding::Honest,
					report: honest(),
				}
				.into(),
			);
		}
	});
}

#[test]
fn a_fraud_the_committee_confirms_slashes_the_executor_and_refunds_the_owner() {
	new_test_ext(|| {
		let before = funds(&account(USER));
		let (job, e, auditors) = audited_job(6);
		let first = auditors[0];
		assert_ok!(audit(first, job, fraud()));
		for a in auditors.iter().skip(1) {
			assert_ok!(audit(*a, job, fraud()));
		}
		// A finding of fraud draws a committee.
		let committee = auditors_waiting(job);
		assert_eq!(committee.len(), 2);
		for c in &committee {
			System::assert_has_event(
				Event::AuditorAssigned { job, auditor: provider(*c), committee: true }.into(),
			);
		}
		let free_first = funds(&provider(first)).free;
		for c in &committee {
			assert_ok!(audit(*c, job, fraud()));
		}
		let j = JobsStorage::<Test>::get(job).unwrap();
		assert_eq!((j.status, j.escrow), (JobStatus::Refunded, 0));
		// The owner gets everything back but its transaction fees (none in the mock).
		assert_eq!(funds(&account(USER)), before);
		// Half the executor's bond (FraudSlash 50 %); the reporter gets its share.
		assert_eq!(bond(e), MIN_BOND / 2);
		System::assert_has_event(
			Event::FraudConfirmed { job, executor: provider(e), slashed: MIN_BOND / 2 }.into(),
		);
		assert!(funds(&provider(first)).free > free_first, "the reporter is rewarded");
		// No auditor was wrong.
		for a in auditors.iter().chain(committee.iter()) {
			assert_eq!(bond(*a), MIN_BOND);
		}
	});
}

/// The protocol fee of a 4-token answer at [`FEE_ASK`]: 5 % of 4 × 1,005 = 201, which two
/// auditors cannot share evenly.
const FEE_ASK: Balance = 1_005;
const FEE: Balance = 201;

/// The free balance each of `accounts` gained while `f` ran.
fn gained(accounts: &[AccountId], f: impl FnOnce()) -> Vec<i128> {
	diff(accounts, f).1.into_iter().map(|(free, _, _)| free).collect()
}

#[test]
fn an_upheld_answer_pays_its_protocol_fee_to_its_auditors_not_the_treasury() {
	new_test_ext(|| {
		let (job, _, auditors) = audited_job_asking(4, FEE_ASK);
		let k = auditors.len() as Balance;
		let mut accounts: Vec<AccountId> = auditors.iter().map(|a| provider(*a)).collect();
		accounts.push(treasury());
		let got = gained(&accounts, || {
			for a in &auditors {
				assert_ok!(audit(*a, job, honest()));
			}
		});
		assert_eq!(JobsStorage::<Test>::get(job).unwrap().status, JobStatus::Settled);
		let share = (FEE / k) as i128;
		for (i, a) in auditors.iter().enumerate() {
			assert_eq!(got[i], share, "auditor {a} is paid its share of the fee");
			System::assert_has_event(
				pallet_mosaic_settlement::Event::<Test>::Paid {
					escrow: mosaic_primitives::EscrowId::Job(job),
					to: provider(*a),
					payee: pallet_mosaic_settlement::Payee::Auditor,
					amount: FEE / k,
				}
				.into(),
			);
		}
		assert_eq!(got[auditors.len()], (FEE % k) as i128, "the treasury gets what is left over");
		let receipt = JobsStorage::<Test>::get(job).unwrap().receipt.unwrap();
		assert_eq!(receipt.protocol_fee, FEE, "the receipt counts the whole fee");
	});
}

#[test]
fn an_auditor_the_committee_contradicts_is_slashed_and_the_answer_paid() {
	new_test_ext(|| {
		let (job, e, auditors) = audited_job_asking(6, FEE_ASK);
		let liar = auditors[0];
		assert_ok!(audit(liar, job, fraud()));
		for a in auditors.iter().skip(1) {
			assert_ok!(audit(*a, job, honest()));
		}
		let committee = auditors_waiting(job);
		assert_eq!(committee.len(), 2);
		let upheld: Vec<u8> = auditors.iter().skip(1).chain(&committee).copied().collect();
		let mut accounts: Vec<AccountId> = upheld.iter().map(|a| provider(*a)).collect();
		accounts.push(provider(liar));
		let got = gained(&accounts, || {
			for c in &committee {
				assert_ok!(audit(*c, job, honest()));
			}
		});
		let j = JobsStorage::<Test>::get(job).unwrap();
		assert_eq!(j.status, JobStatus::Settled);
		assert_eq!(bond(e), MIN_BOND, "an honest executor keeps its bond");
		// OutvotedSlash: 10 %.
		assert_eq!(bond(liar), MIN_BOND - MIN_BOND / 10);
		System::assert_has_event(
			Event::AuditorOverruled { job, auditor: provider(liar), slashed: MIN_BOND / 10 }.into(),
		);
		// The fee is shared by those who upheld the answer; the contradicted auditor gets none.
		let share = (FEE / upheld.len() as Balance) as i128;
		assert_eq!(&got[..upheld.len()], vec![share; upheld.len()].as_slice());
		assert_eq!(got[upheld.len()], 0, "the contradicted auditor is not paid");
	});
}

#[test]
fn auditors_that_stay_silent_are_slashed_and_an_unaudited_answer_is_paid() {
	new_test_ext(|| {
		let (job, e, auditors) = audited_job(3);
		let deadline = JobsStorage::<Test>::get(job).unwrap().deadline;
		run_to_block(deadline);
		let j = JobsStorage::<Test>::get(job).unwrap();
		assert_eq!(j.status, JobStatus::Settled);
		for a in auditors {
			assert_eq!(bond(a), MIN_BOND - MIN_BOND / 100, "AbsentSlash 1 %");
		}
		assert_eq!(bond(e), MIN_BOND);
	});
}

#[test]
fn a_declining_auditor_is_replaced_without_a_slash() {
	new_test_ext(|| {
		let (job, _, auditors) = audited_job(6);
		let a = auditors[0];
		assert_ok!(decline(a, job));
		assert_eq!(bond(a), MIN_BOND);
		let now = auditors_waiting(job);
		assert_eq!(now.len(), auditors.len(), "a replacement was drawn");
		assert!(!now.contains(&a));
	});
}

#[test]
fn only_a_waiting_auditor_reports_and_only_with_its_operator_key() {
	new_test_ext(|| {
		let (job, e, auditors) = audited_job(5);
		let a = auditors[0];
		let outsider = (0..5).find(|n| *n != e && !auditors.contains(n)).unwrap();
		assert_noop!(audit(outsider, job, honest()), Error::<Test>::NotAssigned);
		assert_noop!(audit(e, job, honest()), Error::<Test>::DuplicateResult);
		// Signed by another key, or over another report.
		let with = |sig| Jobs::submit_audit(authorized(), job, provider(a), honest(), sig);
		assert_noop!(with(sign_audit(outsider, job, &honest())), Error::<Test>::BadAttestation);
		assert_noop!(with(sign_audit(a, job, &fraud())), Error::<Test>::BadAttestation);
		// An executor's answer is not an audit, nor an audit an answer.
		assert_noop!(submit_answer(a, job, b"four", 4), Error::<Test>::WrongRole);
		assert_ok!(audit(a, job, honest()));
		if auditors.len() > 1 {
			assert_noop!(audit(a, job, honest()), Error::<Test>::DuplicateResult);
		}
	});
}

#[test]
fn an_auditor_that_reports_without_running_the_model_is_found_out() {
	new_test_ext(|| {
		let (job, auditors) = double_audited_job();
		let (careful, lazy) = (auditors[0], auditors[1]);
		assert_ok!(audit(careful, job, honest()));
		// "Honest", with a made-up log-probability.
		assert_ok!(audit(lazy, job, AuditReport { mean_logprob_milli: -300, ..honest() }));
		let committee = auditors_waiting(job);
		assert_eq!(committee.len(), 2, "reports that disagree draw a committee");
		for c in committee {
			assert_ok!(audit(c, job, honest()));
		}
		assert_eq!(JobsStorage::<Test>::get(job).unwrap().status, JobStatus::Settled);
		assert_eq!(bond(lazy), MIN_BOND - MIN_BOND / 10);
		assert_eq!(bond(careful), MIN_BOND);
	});
}

#[test]
fn an_even_split_pays_the_answer_and_judges_nobody_who_reported() {
	new_test_ext(|| {
		let (job, e, auditors) = audited_job(5);
		for a in &auditors {
			assert_ok!(audit(*a, job, fraud()));
		}
		let committee = auditors_waiting(job);
		assert_eq!(committee.len(), 2);
		// As many honest findings as fraud ones: with one first auditor, the second committee
		// member stays silent (2 reports: too few to judge); with two, 2 against 2.
		assert_ok!(audit(committee[0], job, honest()));
		let silent = if auditors.len() == 2 {
			assert_ok!(audit(committee[1], job, honest()));
			None
		} else {
			run_to_block(JobsStorage::<Test>::get(job).unwrap().deadline);
			Some(committee[1])
		};
		let j = JobsStorage::<Test>::get(job).unwrap();
		assert_eq!(j.status, JobStatus::Settled, "the owner has its output: it pays for it");
		let reports = 2 * auditors.len() as u32;
		let fraud = auditors.len() as u32;
		System::assert_has_event(Event::AuditInconclusive { job, reports, fraud }.into());
		for n in 0..5 {
			let expected = if Some(n) == silent { MIN_BOND - MIN_BOND / 100 } else { MIN_BOND };
			assert_eq!(bond(n), expected, "provider {n} (executor {e})");
		}
	});
}

/// Review N1: a model served by honest E and Mallory's M only. M, the one auditor there can
/// be, reports fraud; no committee can be drawn. Before, its report decided alone: E lost half
/// its bond, M took the finder's share and the owner got its output for free.
#[test]
fn one_auditor_alone_convicts_nobody() {
	new_test_ext(|| {
		let before = funds(&account(USER));
		let (job, e, auditors) = audited_job(2);
		let m = auditors[0];
		let free_m = funds(&provider(m)).free;
		assert_ok!(audit(m, job, fraud()));
		assert!(auditors_waiting(job).is_empty(), "nobody is left for a committee");
		let j = JobsStorage::<Test>::get(job).unwrap();
		assert_eq!(j.status, JobStatus::Settled, "the answer is paid");
		assert_eq!(bond(e), MIN_BOND, "the executor keeps its bond");
		assert_eq!((bond(m), funds(&provider(m)).free), (MIN_BOND, free_m), "no slash, no reward");
		let paid = j.receipt.unwrap().paid;
		assert_eq!(funds(&account(USER)).free, before.free - paid as Balance);
		System::assert_has_event(Event::AuditInconclusive { job, reports: 1, fraud: 1 }.into());
	});
}

/// Review N1, with three providers: one first auditor finding fraud, and a committee of the
/// one provider left. Before, the 1–1 tie refunded the owner in full (free output); a double
/// audit's two findings of fraud, with nobody left for a committee, convicted.
#[test]
fn fewer_than_three_reports_judge_nobody() {
	new_test_ext(|| {
		let (job, e, auditors) = audited_job(3);
		for a in &auditors {
			assert_ok!(audit(*a, job, fraud()));
		}
		for c in auditors_waiting(job) {
			assert_ok!(audit(c, job, honest()));
		}
		assert_eq!(JobsStorage::<Test>::get(job).unwrap().status, JobStatus::Settled);
		for n in 0..3 {
			assert_eq!(bond(n), MIN_BOND, "provider {n} (executor {e})");
		}
	});
}

/// Review N7: a double audit [H1, M1], where M1 upholds the answer with a log-probability
/// 0.2 nats off; the committee [M2, H2], M2 copying M1. Each report agreed with exactly one
/// other, so the "lazy" rule slashed all four — the honest auditors with the attackers.
#[test]
fn no_auditor_is_slashed_as_lazy_without_a_majority_that_agrees() {
	new_test_ext(|| {
		let (job, auditors) = double_audited_job();
		let off = AuditReport { mean_logprob_milli: honest().mean_logprob_milli + 200, ..honest() };
		assert_ok!(audit(auditors[0], job, honest()));
		assert_ok!(audit(auditors[1], job, off));
		let committee = auditors_waiting(job);
		assert_eq!(committee.len(), 2);
		assert_ok!(audit(committee[0], job, off));
		assert_ok!(audit(committee[1], job, honest()));
		assert_eq!(JobsStorage::<Test>::get(job).unwrap().status, JobStatus::Settled);
		for a in auditors.iter().chain(&committee) {
			assert_eq!(bond(*a), MIN_BOND, "auditor {a}");
		}
	});
}

#[test]
fn a_majority_cluster_needs_three_reports_that_all_agree() {
	use crate::audit::majority_cluster;
	let at = |lp: i32| AuditReport { mean_logprob_milli: lp, ..honest() };
	assert_eq!(majority_cluster(&[at(0), at(50), at(100), at(500)]), Some(vec![0, 1, 2]));
	// Two and two: no majority.
	assert_eq!(majority_cluster(&[at(0), at(0), at(500), at(500)]), None);
	// Two against one: too few to judge.
	assert_eq!(majority_cluster(&[at(0), at(0), at(500)]), None);
	// 0 agrees with 100 and 100 with 200, but 0 not with 200: not one cluster.
	assert_eq!(majority_cluster(&[at(0), at(100), at(200)]), None);
	let other_tokens = AuditReport { tokens: 5, ..at(0) };
	assert_eq!(majority_cluster(&[at(0), at(0), other_tokens]), None);
}

/// Review N5: E declares terms and a speed nobody else matches, so jobs of its size can go to
/// E alone; the others declare smaller outputs, a slow speed, and are busy. Before, auditors
/// had to pass the executor's filter, nobody did, and E's answers were never audited.
#[test]
fn a_job_only_its_executor_could_run_is_audited_by_the_others() {
	new_test_ext(|| {
		AuditChance::set(Perbill::one());
		let model = register_model(1_000);
		add_provider(0, model);
		let small =
			mosaic_primitives::ServingTerms { max_output_tokens: 5, tokens_per_second: 1, ..TERMS };
		for n in 1..4 {
			add_provider_on(n, model, ASK, ENGINE, small);
		}
		let job = submit(USER, model, 100, 5).unwrap();
		assert_eq!(executor(job), 0, "only provider 0's terms cover 100 tokens");
		assert_ok!(submit_answer(0, job, b"four", 4));
		close_window(job);
		assert_eq!(JobsStorage::<Test>::get(job).unwrap().status, JobStatus::Auditing);
		let auditors = auditors_waiting(job);
		assert!(!auditors.is_empty() && auditors.iter().all(|a| (1..4).contains(a)));
		// Given what an executor could have (JobTimeout), not what its declared speed needs.
		let deadline = JobsStorage::<Test>::get(job).unwrap().deadline;
		assert!(deadline <= System::block_number() + MAX_TIMEOUT, "deadline {deadline}");
		for a in auditors {
			assert_ok!(audit(a, job, honest()));
		}
		assert_eq!(JobsStorage::<Test>::get(job).unwrap().status, JobStatus::Settled);
	});
}

/// Review N20: an owner that serves the model was drawn for its own jobs (20 self-dealt
/// jobs ended its newcomer audits, and repaired its score, for fees only).
#[test]
fn the_owner_is_never_drawn_for_its_own_job() {
	new_test_ext(|| {
		AuditChance::set(Perbill::one());
		let model = market(2);
		// Provider 0's own account submits: only provider 1 may execute, and nobody audits.
		let owner_account = 10u8;
		assert_eq!(account(owner_account), provider(0));
		for _ in 0..6 {
			let job = submit(owner_account, model, 10, 5).unwrap();
			assert_eq!(executor(job), 1);
			assert_ok!(submit_answer(1, job, b"four", 4));
			close_window(job);
			assert_eq!(JobsStorage::<Test>::get(job).unwrap().status, JobStatus::Settled);
		}
		// Alone in a market, it cannot take its own job.
		let alone = register_model(1_000);
		assert_ok!(Providers::serve_model(RuntimeOrigin::signed(provider(0)), alone, TERMS));
		assert_noop!(submit(owner_account, alone, 10, 5), Error::<Test>::NoEligibleProvider);
	});
}

#[test]
fn newcomers_and_providers_of_low_reputation_are_audited_more() {
	new_test_ext(|| {
		AuditChance::set(Perbill::from_percent(5));
		NewcomerAuditChance::set(Perbill::from_percent(40));
		let model = market(1);
		assert_eq!(Jobs::audit_chance(&provider(0)), Perbill::from_percent(40));
		for _ in 0..crate::pallet::NEWCOMER_JOBS {
			let job = submit(USER, model, 10, 5).unwrap();
			assert_ok!(answer(0, job, b"four", 4));
		}
		assert_eq!(Jobs::audit_chance(&provider(0)), Perbill::from_percent(5));
		// Declines lower the score: then it is audited at one minus its score.
		for _ in 0..10 {
			let job = submit(USER, model, 10, 5).unwrap();
			assert_ok!(decline(0, job));
		}
		let (_, score) = Providers::track_record(&provider(0));
		assert!(score < 950, "score {score}");
		assert_eq!(Jobs::audit_chance(&provider(0)), Perbill::from_rational(1000 - score, 1000));
	});
}

/// Review N11: a fraud slash is a fraction of the bond, not of the value at risk, and the
/// audit chance was the same for every answer: an answer worth more than what faking it
/// costs (FraudSlash of the bond) was worth faking. Now its audit chance is at least its
/// payment over that cost.
#[test]
fn an_answer_worth_more_than_its_fraud_costs_is_always_audited() {
	new_test_ext(|| {
		// No audit chance at all, but for the answer's value.
		let model = register_model(1_000);
		// FraudSlash 50 % of a 10,000 bond: 5,000 at risk; 4 tokens at 1,250 are worth it
		// (and the most a provider's exposure allows it to be paid).
		for n in 0..3 {
			add_provider_with(n, model, 1_250, ENGINE);
		}
		let job = submit(USER, model, 4, 1_250).unwrap();
		let e = executor(job);
		assert_ok!(submit_answer(e, job, b"four", 4));
		let record = JobsStorage::<Test>::get(job).unwrap();
		assert_eq!(Jobs::answer_audit_chance(&record), Some(Perbill::one()));
		close_window(job);
		assert_eq!(JobsStorage::<Test>::get(job).unwrap().status, JobStatus::Auditing);
		// Half that value: half the chance.
		let job = submit(USER, model, 4, 1_250).unwrap();
		let e = executor(job);
		assert_ok!(submit_answer(e, job, b"fo", 2));
		let record = JobsStorage::<Test>::get(job).unwrap();
		assert_eq!(Jobs::answer_audit_chance(&record), Some(Perbill::from_percent(50)));
	});
}

#[test]
fn the_report_that_decides_a_job_is_charged_the_decision() {
	use crate::weights::WeightInfo;
	new_test_ext(|| {
		// A market of two: the executor and one auditor, whose report decides the job.
		let (job, _, auditors) = audited_job(2);
		let a = auditors[0];
		let post = Jobs::submit_audit(
			authorized(),
			job,
			provider(a),
			honest(),
			sign_audit(a, job, &honest()),
		)
		.expect("reported");
		assert_eq!(JobsStorage::<Test>::get(job).unwrap().status, JobStatus::Settled);
		// No committee drawn (no draws beyond the benchmark's): the call and the decision.
		let w = <() as WeightInfo>::submit_audit(3)
			.saturating_add(<() as WeightInfo>::decide())
			.saturating_add(<() as WeightInfo>::settle(1));
		assert_eq!(post.actual_weight, Some(w));
		assert!(w.all_lte(Jobs::submit_audit_weight()));
	});
}
