//! Benchmarks of the jobs pallet (benchmarks v2), each at its worst case: the longest prompt
//! and output and the most tokens, an audit report that draws a committee, deadlines with
//! slashes and reassignment. Paths measured on their own and charged where taken
//! (`PathWeights`): drawing providers (`draw(t, s)`: `t` failing tries in the index, a window
//! of `s` slots read and the error worked out; charged up front at the worst,
//! `Pallet::draws_weight`), settling a job (`settle(a)`, `a` auditors paid) and deciding an
//! audited one at its worst (`decide`). `c` is the size of a market within one window.

// Set-up code: a failure is a bug in the benchmark and must abort it.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::arithmetic_side_effects)]

use super::*;
use crate::assignment::{TRIES, WINDOW};
use crate::pallet::{BalanceOf, Call, Config, DueFrom, Jobs, NextJobId, Pallet};
use alloc::{vec, vec::Vec};
use frame_benchmarking::v2::*;
use frame_support::traits::{fungible::Mutate, Get, Hooks};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use mosaic_primitives::{JobId, ModelId, ProviderRegistry};
use sp_runtime::traits::Saturating;

/// What the runtime provides the benchmarks: a market, and operator signatures.
pub trait BenchmarkHelper<AccountId, Signature> {
	/// Registers a model and `providers` providers serving it, each able to take many jobs,
	/// with operator keys that [`Self::sign`] can use.
	fn setup_market(providers: u32) -> ModelId;
	/// The operator of `provider` and its signature over `message`.
	fn sign(provider: &AccountId, message: &[u8]) -> (AccountId, Signature);
}

fn funded_user<T: Config>() -> T::AccountId {
	funded::<T>(0)
}

/// User `i`, with funds for many jobs.
fn funded<T: Config>(i: u32) -> T::AccountId {
	let who: T::AccountId = account("user", i, 0);
	let _ = T::Currency::set_balance(
		&who,
		BalanceOf::<T>::from(u32::MAX).saturating_mul(1_000_000u32.into()),
	);
	who
}

fn submit<T: Config>(user: &T::AccountId, model: ModelId, prompt_len: u32) -> JobId {
	submit_for::<T>(user, model, prompt_len, max_tokens::<T>())
}

/// [`submit`] with `tokens` as the job's `max_tokens`.
fn submit_for<T: Config>(
	user: &T::AccountId,
	model: ModelId,
	prompt_len: u32,
	tokens: u32,
) -> JobId {
	let id = NextJobId::<T>::get();
	// Set-up, not measured: as if each job came in a block of its own.
	crate::Submitted::<T>::kill();
	Pallet::<T>::submit_job(
		RawOrigin::Signed(user.clone()).into(),
		model,
		vec![b'p'; prompt_len.max(1) as usize],
		tokens,
		1_000u32.into(),
	)
	.expect("submitting works");
	id
}

/// Makes `to` the executor of `job` in place of the one drawn, with the registry's counts
/// and the exposure moved along: so that a benchmark's jobs have distinct executors, whose
/// records are read cold (review N14).
fn move_executor<T: Config>(job: JobId, to: &T::AccountId) {
	let mut record = Jobs::<T>::get(job).expect("job exists");
	let a = record.assignments.iter_mut().next().expect("an executor assigned");
	if &a.provider == to {
		return;
	}
	T::Providers::job_ended(&a.provider, mosaic_primitives::JobOutcome::Released);
	T::Providers::job_assigned(to).expect("room for the job");
	let at_stake = Pallet::<T>::at_stake(a.price, record.max_tokens);
	Pallet::<T>::release_exposure(&a.provider, at_stake);
	Pallet::<T>::add_exposure(to, at_stake);
	a.provider = to.clone();
	Jobs::<T>::insert(job, record);
}

/// Runs the hook that starts every block (the block's seed worked out, the hot keys read), as
/// before any transaction of a block; the calls that draw are measured after it.
fn start_block<T: Config>() {
	Pallet::<T>::on_initialize(frame_system::Pallet::<T>::block_number());
}

/// The `max_tokens` of a benchmark job: 1,000, or as many as the runtime allows if fewer.
fn max_tokens<T: Config>() -> u32 {
	1_000u32.min(T::MaxOutputTokens::get())
}

/// The token ids of a benchmark answer: as many as a job may have.
fn token_ids<T: Config>() -> Vec<u32> {
	(0..max_tokens::<T>()).collect()
}

fn answer<T: Config>(job: JobId, provider: &T::AccountId, output: &[u8]) {
	let record = Jobs::<T>::get(job).expect("job exists");
	let ids = token_ids::<T>();
	let payload = Pallet::<T>::attestation_payload(job, &record, output, &ids);
	let (_, signature) = T::BenchmarkHelper::sign(provider, &payload.signing_bytes());
	Pallet::<T>::submit_result(
		RawOrigin::Authorized.into(),
		job,
		provider.clone(),
		output.to_vec(),
		ids,
		signature,
	)
	.expect("answering works");
}

fn assigned<T: Config>(job: JobId) -> Vec<T::AccountId> {
	Jobs::<T>::get(job)
		.map(|j| j.assignments.iter().map(|a| a.provider.clone()).collect())
		.unwrap_or_default()
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn submit_job(p: Linear<1, { T::MaxPromptLen::get() }>, c: Linear<1, WINDOW>) {
		let model = T::BenchmarkHelper::setup_market(c);
		let user = funded_user::<T>();
		start_block::<T>();
		#[extrinsic_call]
		_(
			RawOrigin::Signed(user),
			model,
			vec![b'p'; p as usize],
			max_tokens::<T>(),
			1_000u32.into(),
		);
		assert!(Jobs::<T>::contains_key(0));
	}

	/// An answer of `o` bytes and `i` token ids (its job asks for the most tokens allowed).
	#[benchmark]
	fn submit_result(
		o: Linear<0, { T::MaxOutputLen::get() }>,
		i: Linear<0, { T::MaxOutputTokens::get() }>,
	) {
		let model = T::BenchmarkHelper::setup_market(WINDOW);
		let user = funded_user::<T>();
		let job = submit_for::<T>(&user, model, T::MaxPromptLen::get(), T::MaxOutputTokens::get());
		let output = vec![b'o'; o as usize];
		let providers = assigned::<T>(job);
		let executor = providers.first().expect("an executor assigned");
		let record = Jobs::<T>::get(job).expect("job exists");
		let ids: Vec<u32> = (0..i).collect();
		let payload = Pallet::<T>::attestation_payload(job, &record, &output, &ids);
		let (_, signature) = T::BenchmarkHelper::sign(executor, &payload.signing_bytes());
		#[extrinsic_call]
		_(RawOrigin::Authorized, job, executor.clone(), output.clone(), ids, signature);
		assert_eq!(Jobs::<T>::get(job).map(|j| j.status), Some(JobStatus::Challenge));
	}

	/// The last first-round report, a finding of fraud: a committee drawn among `c` providers.
	#[benchmark]
	fn submit_audit(c: Linear<3, WINDOW>) {
		let model = T::BenchmarkHelper::setup_market(c);
		let user = funded_user::<T>();
		let job = submit::<T>(&user, model, T::MaxPromptLen::get());
		let executor = assigned::<T>(job).first().cloned().expect("an executor assigned");
		answer::<T>(job, &executor, &vec![b'o'; T::MaxOutputLen::get() as usize]);
		let mut record = Jobs::<T>::get(job).expect("job exists");
		let role = crate::Role::Auditor { committee: false };
		Pallet::<T>::draw_more(job, &mut record, 1, role, b"audit").expect("an auditor drawn");
		record.status = JobStatus::Auditing;
		Jobs::<T>::insert(job, &record);
		let auditor = record.assignments.last().expect("the auditor").provider.clone();
		let report = mosaic_primitives::AuditReport {
			tokens: 1_000,
			misses: 1_000,
			spelled: true,
			..Default::default()
		};
		let output_hash = record.outcome.expect("answered").output_hash;
		let bytes = crate::audit_signing_bytes(
			job,
			record.request_hash,
			output_hash,
			&report,
			Pallet::<T>::genesis(),
		);
		let (_, signature) = T::BenchmarkHelper::sign(&auditor, &bytes);
		start_block::<T>();
		#[extrinsic_call]
		_(RawOrigin::Authorized, job, auditor, report, signature);
		let record = Jobs::<T>::get(job).expect("job exists");
		assert!(record.committee_drawn);
	}

	/// A decline with a replacement drawn among `c` providers serving the model.
	#[benchmark]
	fn decline_job(c: Linear<2, WINDOW>) {
		let model = T::BenchmarkHelper::setup_market(c);
		let user = funded_user::<T>();
		let job = submit::<T>(&user, model, T::MaxPromptLen::get());
		let providers = assigned::<T>(job);
		let first = providers.first().expect("providers assigned");
		let reason = crate::DeclineReason::EngineFailure;
		let request_hash = Jobs::<T>::get(job).expect("job exists").request_hash;
		let bytes = crate::decline_signing_bytes(job, request_hash, reason, Pallet::<T>::genesis());
		let (_, signature) = T::BenchmarkHelper::sign(first, &bytes);
		start_block::<T>();
		#[extrinsic_call]
		_(RawOrigin::Authorized, job, first.clone(), reason, signature);
		let record = Jobs::<T>::get(job).expect("job exists");
		assert!(record.assignments.iter().any(|a| a.state == crate::AssignmentState::Declined));
	}

	/// A draw of `t` tries in the index and a window of `s` slots, at its worst: nobody can
	/// take the job (all ask more than a zero bid), so every try fails and every slot is read.
	/// In a market of 1,024, so that the tries and the window read different providers and
	/// the tries different paths of the index (every try reads the index's 4 levels, in
	/// the runtime's largest market of 65,536 too; 1,024 keeps the set-up, repeated for each
	/// of the 22 points measured, within minutes here). A draw is charged
	/// `draw(TRIES, WINDOW)` up front and `draw(tries made, slots read)` in the end.
	#[benchmark]
	fn draw(t: Linear<0, TRIES>, s: Linear<0, WINDOW>) {
		let model = T::BenchmarkHelper::setup_market(1_024);
		let needs = Pallet::<T>::needs(T::MaxPromptLen::get(), max_tokens::<T>());
		let result;
		#[block]
		{
			let timing = Pallet::<T>::timing();
			let most = crate::assignment::DrawCost { tries: t, slots: s };
			result = Pallet::<T>::draw_with(
				model,
				crate::assignment::Seat::Executor { bid: 0u32.into() },
				&needs,
				&[],
				b"seed",
				&timing,
				most,
			);
		}
		let expected = if s == 0 {
			crate::assignment::DrawError::NoneEligible
		} else {
			crate::assignment::DrawError::BidBelowEveryAsk
		};
		assert_eq!(result.map(|c| c.provider).err(), Some(expected));
	}

	/// `n` open jobs due, each of another owner and executed by another provider (so nothing
	/// is read warm, review N14): each executor absent, slashed and replaced.
	#[benchmark]
	fn on_initialize(n: Linear<0, { T::MaxJobsPerBlock::get() }>) {
		let model = T::BenchmarkHelper::setup_market(n.max(WINDOW));
		let mut deadline: BlockNumberFor<T> = frame_system::Pallet::<T>::block_number();
		for i in 0..n {
			let job = submit::<T>(&funded::<T>(i.saturating_add(1)), model, T::MaxPromptLen::get());
			let executor = T::Providers::at_slot(model, i).expect("a provider in each slot");
			move_executor::<T>(job, &executor);
			deadline = Jobs::<T>::get(job).map(|j| j.deadline).unwrap_or(deadline);
		}
		assert_eq!(Pallet::<T>::due_at(deadline).len() as u32, n);
		// The blocks before were processed as they came.
		DueFrom::<T>::put(deadline);
		frame_system::Pallet::<T>::set_block_number(deadline);
		#[block]
		{
			Pallet::<T>::on_initialize(deadline);
		}
		assert!(Pallet::<T>::due_at(deadline).is_empty());
	}

	/// `n` closed jobs due for pruning, each of another owner (so nothing is read warm): each
	/// record removed and its deposit returned. Every job comes to this once,
	/// `ReceiptRetention` blocks after it closed; the hook charges each pruned job this
	/// benchmark's slope instead of `on_initialize`'s.
	#[benchmark]
	fn prune_due(n: Linear<0, { T::MaxJobsPerBlock::get() }>) {
		let model = T::BenchmarkHelper::setup_market(WINDOW);
		let mut due: BlockNumberFor<T> = frame_system::Pallet::<T>::block_number();
		for i in 0..n {
			let job = submit::<T>(&funded::<T>(i.saturating_add(1)), model, T::MaxPromptLen::get());
			let mut record = Jobs::<T>::get(job).expect("job exists");
			// Refunded and closed: queued for pruning `ReceiptRetention` blocks from now.
			Pallet::<T>::refund(job, &mut record);
			due = record.deadline;
			Jobs::<T>::insert(job, &record);
		}
		assert_eq!(Pallet::<T>::due_at(due).len() as u32, n);
		DueFrom::<T>::put(due);
		frame_system::Pallet::<T>::set_block_number(due);
		#[block]
		{
			Pallet::<T>::on_initialize(due);
		}
		assert!(Pallet::<T>::due_at(due).is_empty());
		assert_eq!(Jobs::<T>::iter().count(), 0, "every record pruned");
	}

	/// `n` answered jobs of `n` distinct owners whose challenge window closes, none audited:
	/// each paid as `settle` pays (executor, creator's royalty, treasury, the rest to its
	/// owner), closed and queued for pruning. Every job that is not audited comes to this
	/// once; the hook charges each its slope less a settlement, which `settle` charges where
	/// it runs (`Pallet::window_weight`). The audit draw is random: jobs that this block's
	/// seed would audit are taken out of the queue before, so the block settles all `n`.
	#[benchmark]
	fn close_window(n: Linear<0, { T::MaxJobsPerBlock::get() }>) {
		let model = T::BenchmarkHelper::setup_market(WINDOW);
		let output = vec![b'o'; T::MaxOutputLen::get() as usize];
		let now = frame_system::Pallet::<T>::block_number();
		let closes = now.saturating_add(T::ChallengeWindow::get().max(1).into());
		// The audit draws below work out the closing block's seed as its hook will.
		crate::BlockSeed::<T>::kill();
		let mut kept: Vec<JobId> = Vec::new();
		let mut owner = 0u32;
		while (kept.len() as u32) < n {
			owner += 1;
			assert!(owner <= 4 * n + 16, "the draws audit too many jobs");
			let job = submit::<T>(&funded::<T>(owner), model, T::MaxPromptLen::get());
			let executor = assigned::<T>(job).first().cloned().expect("an executor assigned");
			answer::<T>(job, &executor, &output);
			assert_eq!(Jobs::<T>::get(job).map(|j| j.deadline), Some(closes));
			frame_system::Pallet::<T>::set_block_number(closes);
			let record = Jobs::<T>::get(job).expect("submitted");
			let chance = Pallet::<T>::answer_audit_chance(&record).expect("answered");
			let audited = Pallet::<T>::roll(job, b"audit", chance);
			frame_system::Pallet::<T>::set_block_number(now);
			if audited {
				crate::Deadlines::<T>::remove(closes, job);
			} else {
				kept.push(job);
			}
		}
		assert_eq!(Pallet::<T>::due_at(closes).len() as u32, n);
		DueFrom::<T>::put(closes);
		frame_system::Pallet::<T>::set_block_number(closes);
		#[block]
		{
			Pallet::<T>::on_initialize(closes);
		}
		for job in kept {
			assert_eq!(Jobs::<T>::get(job).map(|j| j.status), Some(JobStatus::Settled));
		}
	}

	/// A job decided at its worst, as the hook decides an audited job at its deadline: two
	/// auditors absent (slashed), four findings of fraud against two of honesty (the executor
	/// slashed with a reporter's share, the two outvoted auditors slashed, the owner
	/// refunded), and the job closed (request and answer removed). Each provider distinct,
	/// so nothing is read warm. More slashes than any one job can reach (a job has at most
	/// two auditors waiting at once); every decided job is charged this
	/// (`Pallet::charge_decision`).
	#[benchmark]
	fn decide() {
		let model = T::BenchmarkHelper::setup_market(crate::pallet::MAX_ASSIGNMENTS);
		let user = funded_user::<T>();
		let job = submit::<T>(&user, model, T::MaxPromptLen::get());
		let executor = assigned::<T>(job).first().cloned().expect("an executor assigned");
		answer::<T>(job, &executor, &vec![b'o'; T::MaxOutputLen::get() as usize]);
		let mut record = Jobs::<T>::get(job).expect("job exists");
		let others: Vec<T::AccountId> = (0..crate::pallet::MAX_ASSIGNMENTS)
			.filter_map(|slot| T::Providers::at_slot(model, slot))
			.filter(|p| *p != executor)
			.take(8)
			.collect();
		let fraud = mosaic_primitives::AuditReport {
			tokens: 1_000,
			misses: 1_000,
			spelled: true,
			..Default::default()
		};
		let honest = mosaic_primitives::AuditReport { misses: 0, ..fraud };
		for (i, auditor) in others.into_iter().enumerate() {
			let state = match i {
				0 | 1 => crate::AssignmentState::Waiting,
				2..=5 => crate::AssignmentState::Audited {
					report: fraud,
					finding: mosaic_primitives::Finding::Misses,
				},
				_ => crate::AssignmentState::Audited {
					report: honest,
					finding: mosaic_primitives::Finding::Honest,
				},
			};
			T::Providers::job_assigned(&auditor).expect("room for the job");
			let role = crate::Role::Auditor { committee: i >= 6 };
			let a = crate::Assignment { provider: auditor, price: 0u32.into(), state, role };
			record.assignments.try_push(a).expect("within MAX_ASSIGNMENTS");
		}
		record.status = JobStatus::Auditing;
		record.committee_drawn = true;
		let due = record.deadline;
		Jobs::<T>::insert(job, &record);
		#[block]
		{
			Pallet::<T>::on_deadline(job, due);
		}
		assert_eq!(Jobs::<T>::get(job).map(|j| j.status), Some(JobStatus::Refunded));
	}

	/// A job settled, as the hook settles an answer whose challenge window closed: the
	/// executor paid for the most tokens, a royalty to the model's creator and a share to
	/// the treasury, the rest of the escrow refunded to the owner, and the job closed (its
	/// request and the longest answer removed). Refunds, one payment less, are charged the
	/// same.
	/// With `a` auditors that upheld the answer, each paid a share of the protocol fee
	/// instead of the treasury (review N14).
	#[benchmark]
	fn settle(a: Linear<0, { crate::pallet::MAX_ASSIGNMENTS - 1 }>) {
		let model = T::BenchmarkHelper::setup_market(1 + a);
		let user = funded_user::<T>();
		let job = submit::<T>(&user, model, T::MaxPromptLen::get());
		let executor = assigned::<T>(job).first().cloned().expect("an executor assigned");
		answer::<T>(job, &executor, &vec![b'o'; T::MaxOutputLen::get() as usize]);
		let auditors: Vec<T::AccountId> = (0..1 + a)
			.filter_map(|slot| T::Providers::at_slot(model, slot))
			.filter(|p| *p != executor)
			.take(a as usize)
			.collect();
		assert_eq!(auditors.len() as u32, a);
		let mut record = Jobs::<T>::get(job).expect("job exists");
		#[block]
		{
			Pallet::<T>::settle_upheld(job, &mut record, &auditors);
			Jobs::<T>::insert(job, &record);
		}
		assert_eq!(Jobs::<T>::get(job).map(|j| j.status), Some(JobStatus::Settled));
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_bench_ext(), crate::mock::Test);
}
