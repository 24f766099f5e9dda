//! The off-chain worker against a mock engine: what it runs, what it signs and submits, and
//! that it never answers a job twice.

use super::*;
use crate::{
	offchain::{claim_key, Claim, QUICK_WAIT_MS, RESEND_AFTER},
	Call as JobsCall, DeclineReason, JobStatus, Role,
};
use codec::{Decode, Encode};
use frame_support::traits::Hooks;
use mosaic_inference::{
	AuditRequest, InferenceError, InferenceExt, InferenceHost, InferenceOutput, InferenceRequest,
	Ticket,
};
use mosaic_primitives::{AuditReport, OPERATOR_KEY_TYPE};
use sp_core::offchain::{
	testing::{PoolState, TestOffchainExt, TestTransactionPoolExt},
	OffchainDbExt, OffchainWorkerExt, StorageKind, TransactionPoolExt,
};
use sp_keystore::{testing::MemoryKeystore, Keystore, KeystoreExt};
use sp_runtime::{traits::IdentifyAccount, MultiSigner};
use std::sync::{Arc, Mutex};

/// The engine fingerprint of the mock engine (and of [`ENGINE`] providers).
const FINGERPRINT: [u8; 32] = [0xee; 32];
/// The provider whose operator key is in the worker's keystore.
const WORKER: u8 = 7;

/// A mock engine: answers from a script, records every request. Inferences finish at once,
/// unless `hold` is set: then they finish when `release` is called.
struct MockEngine {
	script: Mutex<Vec<Result<InferenceOutput, InferenceError>>>,
	requests: Mutex<Vec<InferenceRequest>>,
	panic_on_run: Mutex<bool>,
	instance: Mutex<u64>,
	hold: Mutex<bool>,
	running: Mutex<Vec<(Ticket, Result<InferenceOutput, InferenceError>)>>,
	finished: Mutex<Vec<(Ticket, Result<InferenceOutput, InferenceError>)>>,
	/// What every audit reports.
	audit_script: Mutex<Result<AuditReport, InferenceError>>,
	audit_requests: Mutex<Vec<AuditRequest>>,
	audits: Mutex<Vec<(Ticket, Result<AuditReport, InferenceError>)>>,
}

impl Default for MockEngine {
	fn default() -> Self {
		Self {
			script: Default::default(),
			requests: Default::default(),
			panic_on_run: Default::default(),
			instance: Default::default(),
			hold: Default::default(),
			running: Default::default(),
			finished: Default::default(),
			audit_script: Mutex::new(Ok(AuditReport {
				tokens: 5,
				spelled: true,
				..Default::default()
			})),
			audit_requests: Default::default(),
			audits: Default::default(),
		}
	}
}

impl MockEngine {
	fn then(&self, result: Result<InferenceOutput, InferenceError>) {
		self.script.lock().unwrap().push(result);
	}
	fn runs(&self) -> usize {
		self.requests.lock().unwrap().len()
	}
	/// Every held inference finishes.
	fn release(&self) {
		let done: Vec<_> = self.running.lock().unwrap().drain(..).collect();
		self.finished.lock().unwrap().extend(done);
	}
}

impl InferenceHost for MockEngine {
	fn fingerprint(&self) -> [u8; 32] {
		FINGERPRINT
	}
	fn instance(&self) -> u64 {
		*self.instance.lock().unwrap()
	}
	fn start(&self, ticket: Ticket, request: InferenceRequest) -> Result<(), InferenceError> {
		self.requests.lock().unwrap().push(request);
		if *self.panic_on_run.lock().unwrap() {
			panic!("the node died during inference");
		}
		let mut script = self.script.lock().unwrap();
		let result = if script.is_empty() {
			Ok(output(b"and they lived happily", 5))
		} else {
			script.remove(0)
		};
		if result == Err(InferenceError::Busy) {
			return Err(InferenceError::Busy);
		}
		let queue = if *self.hold.lock().unwrap() { &self.running } else { &self.finished };
		queue.lock().unwrap().push((ticket, result));
		Ok(())
	}
	fn finished(&self, ticket: Ticket) -> Option<Result<InferenceOutput, InferenceError>> {
		let mut finished = self.finished.lock().unwrap();
		let at = finished.iter().position(|(t, _)| *t == ticket)?;
		Some(finished.remove(at).1)
	}
	fn start_audit(&self, ticket: Ticket, request: AuditRequest) -> Result<(), InferenceError> {
		let report = *self.audit_script.lock().unwrap();
		self.audit_requests.lock().unwrap().push(request);
		self.audits.lock().unwrap().push((ticket, report));
		Ok(())
	}
	fn audited(&self, ticket: Ticket) -> Option<Result<AuditReport, InferenceError>> {
		let mut audits = self.audits.lock().unwrap();
		let at = audits.iter().position(|(t, _)| *t == ticket)?;
		Some(audits.remove(at).1)
	}
}

fn output(text: &[u8], tokens: u32) -> InferenceOutput {
	InferenceOutput { output: text.to_vec(), token_ids: (0..tokens).collect() }
}

/// A node: keystore with the worker's operator key, off-chain storage, a pool, an engine.
struct Node {
	engine: Arc<MockEngine>,
	pool: Arc<parking_lot::RwLock<PoolState>>,
	operator: AccountId,
}

fn with_node(engine: bool, test: impl FnOnce(&Node)) {
	let keystore = MemoryKeystore::new();
	let public = keystore.sr25519_generate_new(OPERATOR_KEY_TYPE, Some("//worker")).unwrap();
	let (offchain, _) = TestOffchainExt::new();
	let (pool, pool_state) = TestTransactionPoolExt::new();
	let node = Node {
		engine: Arc::new(MockEngine::default()),
		pool: pool_state,
		operator: MultiSigner::from(public).into_account(),
	};
	let host: Arc<dyn InferenceHost> = node.engine.clone();
	new_test_ext_with(
		|ext| {
			ext.register_extension(OffchainWorkerExt::new(offchain.clone()));
			ext.register_extension(OffchainDbExt::new(offchain));
			ext.register_extension(TransactionPoolExt::new(pool));
			ext.register_extension(KeystoreExt::new(keystore));
			if engine {
				ext.register_extension(InferenceExt(host));
			}
		},
		|| test(&node),
	)
}

/// Registers the worker's provider with the keystore's operator key, serving `model`.
fn add_worker(node: &Node, model: ModelId, engine: H256) {
	assert_ok!(Providers::register_provider(
		RuntimeOrigin::signed(provider(WORKER)),
		profile(engine),
		ASK,
		node.operator.clone(),
		// Above the minimum: a timeout's slash must not make it ineligible.
		2 * MIN_BOND
	));
	assert_ok!(Providers::serve_model(RuntimeOrigin::signed(provider(WORKER)), model, TERMS));
}

fn run_worker() {
	Jobs::offchain_worker(System::block_number());
}

/// The transactions in the pool, decoded.
fn pool(node: &Node) -> Vec<Extrinsic> {
	node.pool
		.read()
		.transactions
		.iter()
		.map(|tx| Extrinsic::decode(&mut &tx[..]).unwrap())
		.collect()
}

fn claim(job: JobId) -> Option<Claim<u64>> {
	let record = JobsStorage::<Test>::get(job).unwrap();
	let key = claim_key::<Test>(job, &provider(WORKER), Role::Executor, &record);
	sp_io::offchain::local_storage_get(StorageKind::PERSISTENT, &key)
		.map(|bytes| Claim::decode(&mut &bytes[..]).unwrap())
}

/// Applies a pooled transaction as the chain would: authorized by the pallet (as the pool
/// and the block builder check it), then dispatched with the `Authorized` origin.
fn apply(tx: &Extrinsic) -> DispatchResult {
	use frame_support::traits::{Authorize, UnfilteredDispatchable};
	let sp_runtime::generic::Preamble::General(..) = &tx.preamble else {
		panic!("the worker sends authorized (general) transactions");
	};
	let RuntimeCall::Jobs(call) = tx.function.clone() else { panic!("a jobs call") };
	call.authorize(sp_runtime::transaction_validity::TransactionSource::Local)
		.expect("the pallet authorizes its answers")
		.map_err(|e| sp_runtime::DispatchError::Other(<&'static str>::from(e)))?;
	call.dispatch_bypass_filter(authorized()).map(|_| ()).map_err(|e| e.error)
}

#[test]
fn answers_an_assigned_job_with_a_result_that_settles_it() {
	with_node(true, |node| {
		let model = register_model(1_000);
		add_worker(node, model, ENGINE);
		let job = submit(USER, model, 8, 10).unwrap();
		run_worker();

		let requests = node.engine.requests.lock().unwrap().clone();
		assert_eq!(
			requests,
			vec![InferenceRequest {
				job,
				model_hash: JobsStorage::<Test>::get(job).unwrap().model_hash.0,
				request: mosaic_primitives::JobRequest::text(b"Once upon a time".to_vec()),
				max_tokens: 8,
				max_output_bytes: 64,
				// Deadline at 1 + TIMEOUT; the worker of block deadline − 2 sends the last
				// transaction that lands, a quarter block to pick it up; one-second blocks.
				time_budget_ms: (TIMEOUT - 2) * BLOCK_MS - BLOCK_MS / 4,
			}]
		);
		let txs = pool(node);
		assert_eq!(txs.len(), 1);
		let JobsCall::submit_result { job: answered, output, token_ids, .. } =
			(match &txs[0].function {
				RuntimeCall::Jobs(call) => call.clone(),
				other => panic!("unexpected call {other:?}"),
			})
		else {
			panic!("a submit_result")
		};
		assert_eq!(
			(answered, output.as_slice(), token_ids.len()),
			(job, &b"and they lived happily"[..], 5)
		);
		assert_eq!(claim(job), Some(Claim::Submitted { at: 1 }));

		// The transaction the worker built is accepted: provider, attestation and all.
		assert_ok!(apply(&txs[0]));
		assert_eq!(JobsStorage::<Test>::get(job).unwrap().status, JobStatus::Challenge);
		close_window(job);
		let record = JobsStorage::<Test>::get(job).unwrap();
		assert_eq!(record.status, JobStatus::Settled);
		assert_eq!(record.receipt.unwrap().paid, 5 * ASK);
	})
}

#[test]
fn never_runs_or_submits_a_job_twice() {
	with_node(true, |node| {
		let model = register_model(1_000);
		add_worker(node, model, ENGINE);
		submit(USER, model, 8, 10).unwrap();
		run_worker();
		// The same block's worker again, and the next blocks' (the result is not in yet).
		run_worker();
		run_to_block(2);
		run_worker();
		run_to_block(3);
		run_worker();
		assert_eq!(node.engine.runs(), 1);
		assert_eq!(pool(node).len(), 1);
	})
}

#[test]
fn a_restart_mid_inference_hands_the_job_on_instead_of_running_it_again() {
	with_node(true, |node| {
		let model = register_model(1_000);
		add_worker(node, model, ENGINE);
		add_provider(0, model);
		let job = (0..20)
			.map(|_| submit(USER, model, 8, 10).unwrap())
			.find(|job| assigned(*job) == vec![WORKER])
			.expect("the worker's provider is drawn for some job");
		// The node dies while the engine runs: the claim was written before it started.
		*node.engine.panic_on_run.lock().unwrap() = true;
		let runs = node.engine.runs();
		assert!(std::panic::catch_unwind(std::panic::AssertUnwindSafe(run_worker)).is_err());
		assert_eq!(claim(job), Some(Claim::Running { since: 1, instance: 0 }));
		*node.engine.panic_on_run.lock().unwrap() = false;
		// The same run of the node (a concurrent worker) leaves it alone.
		run_worker_for(job);
		assert_eq!(node.engine.runs(), runs + 1);
		// After the restart (persistent off-chain storage survives) it is not run again but
		// declined, so the chain hands it on and nobody is slashed.
		*node.engine.instance.lock().unwrap() += 1;
		run_to_block(2);
		node.pool.write().transactions.clear();
		run_worker_for(job);
		assert_eq!(node.engine.runs(), runs + 1);
		let tx = assert_pooled_decline(node, job, DeclineReason::Interrupted);
		let (r, d) = diff(&[provider(WORKER)], || apply(&tx));
		assert_ok!(r);
		assert_eq!(d, vec![(0, 0, 0)]);
		assert_eq!(waiting(job), vec![0], "handed on to the other provider");
	})
}

/// Runs the worker with every job but `job` already claimed by another run, so only `job`
/// can move.
fn run_worker_for(job: JobId) {
	let others: Vec<JobId> = JobsStorage::<Test>::iter_keys().filter(|j| *j != job).collect();
	for other in others {
		let record = JobsStorage::<Test>::get(other).unwrap();
		let key = claim_key::<Test>(other, &provider(WORKER), Role::Executor, &record);
		sp_io::offchain::local_storage_set(
			StorageKind::PERSISTENT,
			&key,
			&Claim::<u64>::Abandoned { at: 0, reason: crate::offchain::Abandon::SigningFailed }
				.encode(),
		);
	}
	run_worker();
}

/// The one transaction in the pool is a decline of `job` for `reason`.
fn assert_pooled_decline(node: &Node, job: JobId, reason: DeclineReason) -> Extrinsic {
	let txs = pool(node);
	let [tx] = &txs[..] else { panic!("one transaction pooled, got {}", txs.len()) };
	let RuntimeCall::Jobs(JobsCall::decline_job { job: j, provider: p, reason: r, .. }) =
		&tx.function
	else {
		panic!("a decline, got {:?}", tx.function)
	};
	assert_eq!((*j, p, *r), (job, &provider(WORKER), reason));
	tx.clone()
}

#[test]
fn a_missing_model_is_declined_and_the_job_refunded_without_a_slash() {
	with_node(true, |node| {
		let model = register_model(1_000);
		add_worker(node, model, ENGINE);
		let job = submit(USER, model, 8, 10).unwrap();
		node.engine.then(Err(InferenceError::ModelMissing));
		run_worker();
		run_to_block(2);
		run_worker();
		assert_eq!(node.engine.runs(), 1);
		let tx = assert_pooled_decline(node, job, DeclineReason::ModelMissing);
		assert_eq!(
			claim(job),
			Some(Claim::Declined { at: 1, reason: DeclineReason::ModelMissing })
		);
		// On chain: nobody else serves the model, so the job is refunded in full at once and
		// the provider keeps its whole bond.
		let (r, d) = diff(&[account(USER), provider(WORKER)], || apply(&tx));
		assert_ok!(r);
		assert_eq!(d, vec![(80, -80, 0), (0, 0, 0)]);
		assert_eq!(JobsStorage::<Test>::get(job).unwrap().status, JobStatus::Refunded);
	})
}

#[test]
fn every_engine_failure_becomes_a_decline_never_a_slash() {
	for (error, reason) in [
		(InferenceError::ContextOverflow, DeclineReason::ContextOverflow),
		(InferenceError::OutputTooLong, DeclineReason::OutputTooLong),
		(InferenceError::EngineFailure, DeclineReason::EngineFailure),
		(InferenceError::ModelRejected, DeclineReason::ModelRejected),
		(InferenceError::OutOfTime, DeclineReason::OutOfTime),
		(InferenceError::Interrupted, DeclineReason::Interrupted),
	] {
		with_node(true, |node| {
			let model = register_model(1_000);
			add_worker(node, model, ENGINE);
			let job = submit(USER, model, 8, 10).unwrap();
			node.engine.then(Err(error));
			run_worker();
			let tx = assert_pooled_decline(node, job, reason);
			let (r, d) = diff(&[provider(WORKER)], || apply(&tx));
			assert_ok!(r);
			assert_eq!(d, vec![(0, 0, 0)], "{error:?}");
			// Past every deadline, nothing is slashed either.
			let (_, d) = diff(&[provider(WORKER)], || run_to_block(1 + 3 * MAX_TIMEOUT));
			assert_eq!(d, vec![(0, 0, 0)], "{error:?}");
		})
	}
}

/// Review N3: the engine's budget ran until the deadline's block less one, but the last
/// transaction that lands is sent by the worker of the block before that (the pool checks it
/// against the next block), so an answer or decline for lack of time could never land: the
/// provider was slashed. A job first seen then is declined at once, and the decline lands.
#[test]
fn a_job_with_no_time_left_is_declined_while_the_decline_still_lands() {
	with_node(true, |node| {
		let model = register_model(1_000);
		add_worker(node, model, ENGINE);
		let job = submit(USER, model, 8, 10).unwrap();
		let deadline = JobsStorage::<Test>::get(job).unwrap().deadline;
		run_to_block(deadline - 2);
		run_worker();
		assert_eq!(node.engine.runs(), 0, "not started without time to answer");
		let tx = assert_pooled_decline(node, job, DeclineReason::OutOfTime);
		let (r, d) = diff(&[provider(WORKER)], || apply(&tx));
		assert_ok!(r);
		assert_eq!(d, vec![(0, 0, 0)], "no slash");
	})
}

#[test]
fn the_engines_budget_ends_when_the_last_landing_worker_runs() {
	use crate::offchain::time_budget_ms;
	// Started with 5 blocks left: the worker of the third block after collects it.
	assert_eq!(time_budget_ms(5, 6_000), 3 * 6_000 - 1_500);
	assert_eq!(time_budget_ms(3, 6_000), 4_500);
	for left in [0, 1, 2] {
		assert_eq!(time_budget_ms(left, 6_000), 0, "{left} blocks left: decline at once");
	}
}

#[test]
fn a_job_beyond_the_engines_queue_is_declined_not_retried() {
	with_node(true, |node| {
		let model = register_model(1_000);
		add_worker(node, model, ENGINE);
		let job = submit(USER, model, 8, 10).unwrap();
		node.engine.then(Err(InferenceError::Busy));
		run_worker();
		assert_pooled_decline(node, job, DeclineReason::Busy);
		run_to_block(2);
		run_worker();
		assert_eq!(node.engine.runs(), 1, "never run after it was declined");
	})
}

#[test]
fn a_job_for_another_engine_is_declined_without_running() {
	with_node(true, |node| {
		let model = register_model(1_000);
		let other = H256::repeat_byte(0x0e);
		add_worker(node, model, other);
		let job = submit(USER, model, 8, 10).unwrap();
		run_worker();
		assert_eq!(node.engine.runs(), 0);
		assert_pooled_decline(node, job, DeclineReason::EngineMismatch);
		assert_eq!(
			claim(job),
			Some(Claim::Declined { at: 1, reason: DeclineReason::EngineMismatch })
		);
	})
}

#[test]
fn a_node_without_an_engine_does_nothing() {
	with_node(false, |node| {
		let model = register_model(1_000);
		add_worker(node, model, ENGINE);
		let job = submit(USER, model, 8, 10).unwrap();
		run_worker();
		assert!(pool(node).is_empty());
		assert_eq!(claim(job), None);
	})
}

#[test]
fn only_jobs_assigned_to_the_keystores_providers_are_run() {
	with_node(true, |node| {
		let model = register_model(1_000);
		add_provider(0, model);
		let job = submit(USER, model, 8, 10).unwrap();
		assert_eq!(assigned(job), vec![0]);
		add_worker(node, model, ENGINE);
		run_worker();
		assert_eq!(node.engine.runs(), 0);
		assert!(pool(node).is_empty());
	})
}

/// Review N16: the worker waited up to QUICK_WAIT_MS on each job it started before starting
/// the next, so under load later jobs started seconds late.
#[test]
fn every_new_job_is_started_before_the_worker_waits_on_any() {
	with_node(true, |node| {
		let model = register_model(1_000);
		add_worker(node, model, ENGINE);
		*node.engine.hold.lock().unwrap() = true;
		for _ in 0..3 {
			submit(USER, model, 8, 10).unwrap();
		}
		let before = sp_io::offchain::timestamp();
		run_worker();
		assert_eq!(node.engine.runs(), 3);
		let waited = sp_io::offchain::timestamp().diff(&before).millis();
		assert!(waited <= QUICK_WAIT_MS + 10, "waited {waited} ms for three jobs");
	})
}

#[test]
fn a_long_inference_does_not_hold_the_worker_and_is_collected_later() {
	with_node(true, |node| {
		let model = register_model(1_000);
		add_worker(node, model, ENGINE);
		*node.engine.hold.lock().unwrap() = true;
		let first = submit(USER, model, 8, 10).unwrap();
		run_worker();
		// The worker started it and returned: nothing to send yet, the claim says running.
		assert_eq!(node.engine.runs(), 1);
		assert!(pool(node).is_empty());
		assert_eq!(claim(first), Some(Claim::Running { since: 1, instance: 0 }));
		// The next block's worker starts the next job meanwhile, and does not start the
		// first again.
		run_to_block(2);
		let second = submit(USER, model, 8, 10).unwrap();
		run_worker();
		assert_eq!(node.engine.runs(), 2);
		assert!(pool(node).is_empty());
		// Both finish; a later block's worker collects both and answers.
		node.engine.release();
		run_to_block(3);
		run_worker();
		let answered: Vec<JobId> = pool(node)
			.iter()
			.map(|tx| match &tx.function {
				RuntimeCall::Jobs(JobsCall::submit_result { job, .. }) => *job,
				other => panic!("an answer, got {other:?}"),
			})
			.collect();
		assert_eq!(answered, vec![first, second]);
		assert_eq!(node.engine.runs(), 2);
		assert_eq!(claim(first), Some(Claim::Submitted { at: 3 }));
	})
}

#[test]
fn results_are_authorized_transactions_with_no_signer_and_no_nonce() {
	with_node(true, |node| {
		let model = register_model(1_000);
		add_worker(node, model, ENGINE);
		let first = submit(USER, model, 8, 10).unwrap();
		let second = submit(USER, model, 8, 10).unwrap();
		run_worker();
		let txs = pool(node);
		assert_eq!(txs.len(), 2);
		// Applied in any order: nothing orders them (no nonce), nothing pays (no signer).
		let (r, d) =
			diff(std::slice::from_ref(&node.operator), || (apply(&txs[1]), apply(&txs[0])));
		assert_ok!(r.0);
		assert_ok!(r.1);
		assert_eq!(d, vec![(0, 0, 0)]);
		for job in [first, second] {
			assert_eq!(JobsStorage::<Test>::get(job).unwrap().status, JobStatus::Challenge);
		}
		assert_eq!(frame_system::Pallet::<Test>::account_nonce(&node.operator), 0);
	})
}

#[test]
fn a_result_the_pool_lost_is_sent_again_until_it_lands() {
	with_node(true, |node| {
		let model = register_model(1_000);
		add_worker(node, model, ENGINE);
		let job = submit(USER, model, 8, 10).unwrap();
		run_worker();
		let sent = pool(node);
		assert_eq!(sent.len(), 1);
		// The pool loses it (dropped, or the node restarted).
		node.pool.write().transactions.clear();
		// Not before `RESEND_AFTER` blocks.
		run_to_block(1 + u64::from(RESEND_AFTER) - 1);
		run_worker();
		assert!(pool(node).is_empty());
		run_to_block(1 + u64::from(RESEND_AFTER));
		run_worker();
		let again = pool(node);
		assert_eq!(again.len(), 1, "sent again");
		assert_eq!(again[0].function, sent[0].function, "the same answer, not a second run");
		assert_eq!(node.engine.runs(), 1);
		assert_eq!(claim(job), Some(Claim::Submitted { at: 1 + u64::from(RESEND_AFTER) }));
		assert_ok!(apply(&again[0]));
		assert_eq!(JobsStorage::<Test>::get(job).unwrap().status, JobStatus::Challenge);
		// Once on chain, it is not sent again.
		node.pool.write().transactions.clear();
		run_to_block(1 + 3 * u64::from(RESEND_AFTER));
		run_worker();
		assert!(pool(node).is_empty());
	})
}

#[test]
fn a_different_job_under_the_same_id_after_a_reorg_is_a_different_claim() {
	with_node(true, |node| {
		let model = register_model(1_000);
		add_worker(node, model, ENGINE);
		let job = submit(USER, model, 8, 10).unwrap();
		run_worker();
		assert_eq!(node.engine.runs(), 1);
		// The fork that had this job is gone; on the new fork another job (another prompt)
		// has its id.
		let mut other = JobsStorage::<Test>::get(job).unwrap();
		other.request_hash = H256::repeat_byte(9);
		JobsStorage::<Test>::insert(job, other);
		let hi = mosaic_primitives::JobRequest::text(b"Hi".to_vec());
		crate::Requests::<Test>::insert(job, sp_runtime::BoundedVec::truncate_from(hi.encode()));
		run_to_block(2);
		run_worker();
		assert_eq!(node.engine.runs(), 2, "the other job is run, not skipped");
	})
}

#[test]
fn audits_the_answer_it_is_drawn_for_with_the_executors_output_and_tokens() {
	with_node(true, |node| {
		AuditChance::set(sp_runtime::Perbill::one());
		let model = register_model(1_000);
		add_provider(1, model);
		let job = submit(USER, model, 8, 10).unwrap();
		// The worker's provider joins after the job was given to provider 1.
		add_worker(node, model, H256::repeat_byte(0x01));
		assert_ok!(submit_answer(1, job, b"their answer", 3));
		close_window(job);
		let j = JobsStorage::<Test>::get(job).unwrap();
		assert_eq!(j.status, JobStatus::Auditing);
		run_worker();
		// An auditor runs any engine: its fingerprint differs from the executor's.
		let requests = node.engine.audit_requests.lock().unwrap().clone();
		assert_eq!(
			requests,
			vec![AuditRequest {
				job,
				model_hash: j.model_hash.0,
				request: mosaic_primitives::JobRequest::text(b"Once upon a time".to_vec()),
				max_tokens: 8,
				output: b"their answer".to_vec(),
				token_ids: vec![0, 1, 2],
				max_output_bytes: 64,
			}]
		);
		assert_eq!(node.engine.runs(), 0, "an audit is not a run");
		let txs = pool(node);
		assert_eq!(txs.len(), 1);
		let RuntimeCall::Jobs(JobsCall::submit_audit { auditor, .. }) = &txs[0].function else {
			panic!("a submit_audit")
		};
		assert_eq!(auditor, &provider(WORKER));
		assert_ok!(apply(&txs[0]));
		assert_eq!(JobsStorage::<Test>::get(job).unwrap().status, JobStatus::Settled);
		// Not audited twice.
		run_to_block(System::block_number() + 1);
		run_worker();
		assert_eq!(node.engine.audit_requests.lock().unwrap().len(), 1);
	})
}

/// Runs `fork` on a fork that the chain then abandons: its state is rolled back, while the
/// node keeps what its worker did there (off-chain storage, the engine's work), as a real
/// node does after a reorg.
fn on_abandoned_fork(fork: impl FnOnce()) {
	use frame_support::storage::{with_transaction, TransactionOutcome};
	let _ = with_transaction(|| -> TransactionOutcome<DispatchResult> {
		fork();
		TransactionOutcome::Rollback(Ok(()))
	});
}

/// On the chain that stays: provider 1 runs the job and answers `answer`, the worker's
/// provider (joining after the job was given out) is drawn to audit it, the window closes.
fn audited_by_the_worker(node: &Node, model: ModelId, answer: &[u8]) -> JobId {
	add_provider(1, model);
	let job = submit(USER, model, 8, 10).unwrap();
	add_worker(node, model, H256::repeat_byte(0x01));
	assert_ok!(submit_answer(1, job, answer, 3));
	close_window(job);
	assert_eq!(JobsStorage::<Test>::get(job).unwrap().status, JobStatus::Auditing);
	job
}

/// The one transaction in the pool is the worker's audit report, and applied it settles `job`.
fn assert_pooled_report_settles(node: &Node, job: JobId) {
	let txs = pool(node);
	let [tx] = &txs[..] else { panic!("one transaction pooled, got {}", txs.len()) };
	let RuntimeCall::Jobs(JobsCall::submit_audit { auditor, .. }) = &tx.function else {
		panic!("a submit_audit, got {:?}", tx.function)
	};
	assert_eq!(auditor, &provider(WORKER));
	assert_ok!(apply(tx));
	assert_eq!(JobsStorage::<Test>::get(job).unwrap().status, JobStatus::Settled);
}

#[test]
fn the_executor_of_a_job_on_an_abandoned_fork_audits_it_on_the_chain_that_stays() {
	with_node(true, |node| {
		AuditChance::set(sp_runtime::Perbill::one());
		let model = register_model(1_000);
		// On a fork that is gone, the worker's provider was the only one and answered the job.
		on_abandoned_fork(|| {
			add_worker(node, model, ENGINE);
			let job = submit(USER, model, 8, 10).unwrap();
			run_worker();
			assert_eq!(claim(job), Some(Claim::Submitted { at: 1 }));
		});
		assert_eq!(node.engine.runs(), 1);
		node.pool.write().transactions.clear();
		// On the chain that stays, the same job (same id, same content) went to provider 1,
		// and the worker's provider is drawn to audit it: it audits, rather than sending its
		// answer of the gone fork again.
		let job = audited_by_the_worker(node, model, b"their answer");
		run_worker();
		assert_eq!(node.engine.audit_requests.lock().unwrap().len(), 1, "audited");
		assert_pooled_report_settles(node, job);
	})
}

#[test]
fn an_auditor_audits_the_answer_of_the_chain_that_stays_not_of_an_abandoned_fork() {
	with_node(true, |node| {
		AuditChance::set(sp_runtime::Perbill::one());
		let model = register_model(1_000);
		on_abandoned_fork(|| {
			audited_by_the_worker(node, model, b"one answer");
			run_worker();
		});
		assert_eq!(node.engine.audit_requests.lock().unwrap().len(), 1);
		node.pool.write().transactions.clear();
		// The same job, audited at the same block, but its executor answered otherwise here:
		// that answer is audited (a report of the other would not be valid here).
		let job = audited_by_the_worker(node, model, b"another answer");
		run_worker();
		let requests = node.engine.audit_requests.lock().unwrap().clone();
		assert_eq!(requests.len(), 2, "audited again");
		assert_eq!(requests[1].output, b"another answer".to_vec());
		assert_pooled_report_settles(node, job);
	})
}

#[test]
fn an_audit_the_engine_cannot_run_is_declined() {
	with_node(true, |node| {
		AuditChance::set(sp_runtime::Perbill::one());
		let model = register_model(1_000);
		add_provider(1, model);
		let job = submit(USER, model, 8, 10).unwrap();
		add_worker(node, model, ENGINE);
		assert_ok!(submit_answer(1, job, b"their answer", 3));
		close_window(job);
		*node.engine.audit_script.lock().unwrap() = Err(InferenceError::ModelMissing);
		run_worker();
		let txs = pool(node);
		let RuntimeCall::Jobs(JobsCall::decline_job { reason, .. }) = &txs[0].function else {
			panic!("a decline")
		};
		assert_eq!(*reason, DeclineReason::ModelMissing);
		assert_ok!(apply(&txs[0]));
		// Nobody else can audit: the answer is paid.
		assert_eq!(JobsStorage::<Test>::get(job).unwrap().status, JobStatus::Settled);
	})
}

#[test]
fn a_job_handed_on_by_a_provider_of_another_engine_is_run() {
	with_node(true, |node| {
		let model = register_model(1_000);
		add_provider_with(1, model, ASK, H256::repeat_byte(1));
		let job = submit(USER, model, 8, 10).unwrap();
		add_worker(node, model, ENGINE);
		assert_ok!(decline(1, job));
		// The job now carries its new executor's engine, which this node runs.
		assert_eq!(JobsStorage::<Test>::get(job).unwrap().engine, ENGINE);
		run_worker();
		assert_eq!(node.engine.runs(), 1, "run, not declined for another engine");
		let txs = pool(node);
		assert_ok!(apply(&txs[0]));
	})
}

/// Review N13: every answer the worker sent (its whole output and token ids) and every claim
/// stayed in the node's persistent storage forever. Once no part they claim can still be
/// waiting ([`Pallet::claim_retention`] blocks on), the worker removes both.
#[test]
fn a_decided_jobs_claim_and_answer_leave_the_nodes_storage() {
	use crate::offchain::{CLAIM_PREFIX, FORGET_SPAN, TX_PREFIX};
	with_node(true, |node| {
		let model = register_model(1_000);
		add_worker(node, model, ENGINE);
		let job = submit(USER, model, 8, 10).unwrap();
		run_worker();
		let record = JobsStorage::<Test>::get(job).unwrap();
		let key = claim_key::<Test>(job, &provider(WORKER), Role::Executor, &record);
		let mut tx = TX_PREFIX.to_vec();
		tx.extend_from_slice(&key[CLAIM_PREFIX.len()..]);
		let kept = |k: &[u8]| sp_io::offchain::local_storage_get(StorageKind::PERSISTENT, k);
		assert!(kept(&key).is_some() && kept(&tx).is_some());
		assert_ok!(apply(&pool(node)[0]));
		close_window(job);
		assert_eq!(JobsStorage::<Test>::get(job).unwrap().status, JobStatus::Settled);

		// Within the retention, both stay (a reorg could still bring the part back).
		let retention = Jobs::claim_retention();
		System::set_block_number(retention);
		run_worker();
		assert!(kept(&key).is_some() && kept(&tx).is_some());
		// Once the span of blocks the claim was made in is older than that, both are gone.
		System::set_block_number(retention + u64::from(FORGET_SPAN));
		run_worker();
		assert_eq!(claim(job), None);
		assert!(kept(&key).is_none() && kept(&tx).is_none(), "the answer stays on disk");
	})
}
