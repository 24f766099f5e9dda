//! Long random sequences of calls from many accounts, with every pallet's invariants checked
//! after every block and the total issuance checked to never move.
//!
//! Providers join, serve on random terms, pause, top up, unbond and leave; users submit
//! jobs; executors answer right, wrong, decline, or stay silent; audits are drawn (each seed
//! its own audit chance) and auditors report honest or fraud, decline, or stay silent;
//! committees decide; blocks pass and deadlines and challenge windows close.

use super::*;
use crate::JobStatus;

/// A small deterministic generator (xorshift64*), so every failure replays from its seed.
struct Rng(u64);
impl Rng {
	fn next(&mut self) -> u64 {
		self.0 ^= self.0 >> 12;
		self.0 ^= self.0 << 25;
		self.0 ^= self.0 >> 27;
		self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
	}
	fn below(&mut self, n: u64) -> u64 {
		self.next() % n
	}
}

const PROVIDERS: u8 = 12;

thread_local! {
	/// Calls made by the generator (steps and reactions), for the total the test requires.
	static CALLS: core::cell::Cell<u64> = const { core::cell::Cell::new(0) };
	/// Audit reports, confirmed frauds and overruled auditors seen: the lifecycle's rarer
	/// paths must be exercised too.
	static AUDITS: core::cell::Cell<(u64, u64, u64)> = const { core::cell::Cell::new((0, 0, 0)) };
}

fn count_call() {
	CALLS.with(|c| c.set(c.get() + 1));
}
const USERS: u8 = 8;

fn step(rng: &mut Rng, models: &[ModelId]) {
	let model = models[rng.below(models.len() as u64) as usize];
	let p = rng.below(PROVIDERS as u64) as u8;
	let origin = RuntimeOrigin::signed(provider(p));
	count_call();
	// Errors are expected (the generator does not check preconditions): a failing call must
	// leave no trace, which the invariants and the issuance check verify.
	let _ = match rng.below(14) {
		0 | 1 => Providers::register_provider(
			origin,
			profile(ENGINE),
			1 + rng.below(4) as Balance,
			operator(p),
			MIN_BOND + rng.below(3) as Balance * 1_000,
		),
		2 | 3 => {
			// Terms that cover some jobs and not others, and speeds short and long.
			let terms = mosaic_primitives::ServingTerms {
				context_length: 40 + rng.below(100) as u32,
				max_output_tokens: 1 + rng.below(39) as u32,
				tokens_per_second: 1 + rng.below(5) as u32,
			};
			Providers::serve_model(origin, model, terms)
		}
		4 => Providers::stop_serving(origin, model),
		5 => Providers::pause(origin),
		6 => Providers::resume(origin),
		7 => Providers::bond_extra(origin, 1 + rng.below(2_000) as Balance),
		8 => Providers::unbond(origin, 1 + rng.below(3_000) as Balance),
		9 => Providers::withdraw_unbonded(origin),
		10 => Providers::deregister(origin),
		_ => {
			let user = 3 + rng.below(USERS as u64) as u8;
			submit(user, model, 1 + rng.below(50) as u32, 1 + rng.below(6) as Balance).map(|_| ())
		}
	};
}

/// Whether the job waits for executors or auditors.
fn open(job: JobId) -> bool {
	JobsStorage::<Test>::get(job)
		.is_some_and(|j| matches!(j.status, JobStatus::Pending | JobStatus::Auditing))
}

/// An auditor's report: honest, or a finding of fraud (too many misses).
fn report(honest: bool) -> mosaic_primitives::AuditReport {
	mosaic_primitives::AuditReport {
		tokens: 5,
		spelled: true,
		misses: if honest { 0 } else { 5 },
		end_miss: false,
		z_milli: 0,
		mean_logprob_milli: -1_000,
	}
}

/// Executors answer (mostly right), decline, or stay silent; auditors report (mostly
/// honest), decline, or stay silent.
fn react(rng: &mut Rng) {
	let jobs: Vec<JobId> =
		JobsStorage::<Test>::iter().filter(|(id, _)| open(*id)).map(|(id, _)| id).collect();
	for job in jobs {
		for n in waiting(job) {
			let Some(j) = JobsStorage::<Test>::get(job) else { break };
			if !open(job) {
				break;
			}
			let auditing = j.status == JobStatus::Auditing;
			let action = rng.below(10);
			if action <= 6 {
				count_call();
			}
			let _ = match (action, auditing) {
				(0..=4, false) => submit_answer(n, job, b"the right answer", 5),
				(5, false) => submit_answer(n, job, &[n; 8], 5),
				(0..=4, true) => audit(n, job, report(true)),
				(5, true) => audit(n, job, report(false)),
				(6, _) => decline(n, job),
				_ => Ok(()), // silent
			};
		}
	}
}

fn run(seed: u64, blocks: u64) {
	new_test_ext(|| {
		let mut rng = Rng(seed | 1);
		AuditChance::set(sp_runtime::Perbill::from_percent(rng.below(101) as u32));
		// (From a generator of their own: the histories stay those of the seed.)
		let mut costs = Rng(seed.rotate_left(17) | 1);
		DepositBase::set(costs.below(10) as Balance);
		DepositPerByte::set(costs.below(3) as Balance);
		ReceiptRetention::set(1 + costs.below(40));
		let models = [register_model(0), register_model(1_000), register_model(MAX_ROYALTY)];
		let issuance = Balances::total_issuance();
		for _ in 0..blocks {
			for _ in 0..rng.below(6) {
				step(&mut rng, &models);
			}
			react(&mut rng);
			check_invariants();
			holds_match_records(seed);
			assert_eq!(Balances::total_issuance(), issuance, "issuance moved (seed {seed})");
			run_to_block(System::block_number() + 1);
			check_invariants();
			holds_match_records(seed);
		}
		// Let every job run out, then nothing may stay held for jobs.
		run_to_block(System::block_number() + 4 * (MAX_TIMEOUT + 8));
		check_invariants();
		for record in System::events() {
			let RuntimeEvent::Jobs(event) = record.event else { continue };
			AUDITS.with(|a| {
				let (r, f, o) = a.get();
				a.set(match event {
					crate::Event::AuditReported { .. } => (r + 1, f, o),
					crate::Event::FraudConfirmed { .. } => (r, f + 1, o),
					crate::Event::AuditorOverruled { .. } => (r, f, o + 1),
					_ => (r, f, o),
				})
			});
		}
		for user in 3..3 + USERS {
			assert_eq!(funds(&account(user)).escrow, 0, "escrow left behind (seed {seed})");
		}
		assert_eq!(JobsStorage::<Test>::iter().count(), 0, "every record pruned (seed {seed})");
		assert_eq!(crate::Requests::<Test>::iter().count(), 0);
		assert_eq!(crate::Results::<Test>::iter().count(), 0);
		holds_match_records(seed);
	});
}

/// Everything held, on every account, is accounted for by a record: the escrow of open jobs,
/// the deposits of stored jobs, providers' bonds (unbonding included) and models' deposits.
fn holds_match_records(seed: u64) {
	let held: Balance = frame_system::Account::<Test>::iter_keys()
		.map(|who| Balances::total_balance_on_hold(&who))
		.sum();
	let jobs: Balance = JobsStorage::<Test>::iter().map(|(_, j)| j.escrow + j.deposit).sum();
	let bonds: Balance = pallet_mosaic_providers::Providers::<Test>::iter()
		.map(|(_, p)| p.bond + p.unbonding.iter().map(|c| c.amount).sum::<Balance>())
		.sum();
	let models: Balance =
		pallet_mosaic_models::Models::<Test>::iter().map(|(_, m)| m.deposit).sum();
	assert_eq!(held, jobs + bonds + models, "a hold no record accounts for (seed {seed})");
}

#[test]
fn random_marketplace_histories_keep_every_invariant() {
	CALLS.with(|c| c.set(0));
	AUDITS.with(|a| a.set((0, 0, 0)));
	for seed in 0..200u64 {
		run(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15), 220);
	}
	let calls = CALLS.with(|c| c.get());
	let (reports, frauds, overruled) = AUDITS.with(|a| a.get());
	println!(
		"{calls} random calls; {reports} audit reports, {frauds} frauds confirmed, \
		 {overruled} auditors overruled"
	);
	assert!(calls >= 100_000, "only {calls} random calls");
	assert!(reports > 0 && frauds > 0 && overruled > 0, "the audit paths were not exercised");
}
