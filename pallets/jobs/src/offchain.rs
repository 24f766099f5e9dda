//! The off-chain worker: a provider's node answers the jobs assigned to it.
//!
//! On every imported block, for each operator key in the node's keystore (key type
//! [`OPERATOR_KEY_TYPE`]) that belongs to a registered provider, the worker looks at the jobs
//! waiting for that provider, runs each on the node's engine (the
//! [`mosaic_inference::inference`] host functions), signs the attestation with the operator
//! key and sends [`Call::submit_result`] as an *authorized* transaction: no signer, no nonce,
//! no fee; the chain checks the operator's signature, and the pool keeps one answer per
//! (job, provider). So a dropped transaction leaves no nonce gap behind it.
//!
//! Pending jobs are found through [`Pallet::pending_jobs`] (the deadline queue), so the
//! worker never scans all jobs.
//!
//! **Off the worker's thread.** The worker only starts an inference ([`inference::start`],
//! under a ticket derived from the claim) and collects the result with
//! [`inference::finished`]: within [`QUICK_WAIT_MS`] if the job is short, else in a later
//! block's worker. Every new job of a block is started before the worker waits on any, and
//! it waits once for them all: so one long job never holds up the others, nor do many short
//! ones delay each other's start.
//!
//! **Once per job.** Before running a job the worker claims it in the node's persistent
//! off-chain storage with a compare-and-set; the claim survives restarts. A claimed job is
//! never run again — not by a later block's worker running concurrently, not after a restart
//! mid-inference. A job the engine turns away because its queue is full is declined (the chain
//! hands it to another provider; no slash). Claims are keyed by the job's id, its content (owner,
//! request, model, length) and the provider's role in it (executor, or auditor of one answer),
//! so after a reorg a different job under the same id, or another part in the same job, is a
//! different claim.
//!
//! **Sent until it lands.** The transaction the worker built (answer or decline) is kept
//! with the claim; while the chain still shows the provider waiting [`RESEND_AFTER`] blocks
//! after it was sent (a pool that dropped it, a restart, a reorg), it is sent again. The
//! pool refuses a copy of one it still holds.
//!
//! **Audits.** A provider drawn to audit a job's answer gets it the same way: the worker
//! hands the executor's output and token ids to the engine ([`inference::start_audit`]),
//! collects the report ([`inference::audited`]), signs it and sends [`Call::submit_audit`];
//! an engine that cannot score it declines, as above.
//!
//! **Failures are declines, never silence.** A job this node cannot run — its model file is
//! not in the models directory or does not verify, the engine fails, the prompt does not fit
//! the engine's context, the output would be too long, the job was assigned for another
//! engine fingerprint, or the node restarted while running it — is logged with what to fix
//! and declined with [`Call::decline_job`]: the chain reassigns it at once and the provider
//! loses reputation, not stake.

use crate::{
	audit_signing_bytes, decline_signing_bytes,
	pallet::{Call, Config, JobOf, Jobs, Pallet, Results},
	AssignmentState, DeclineReason, JobStatus, Role,
};
use alloc::vec::Vec;
use codec::{Decode, Encode};
use frame_support::traits::Get;
use frame_system::{
	offchain::{Account, AppCrypto, Signer, SubmitTransaction},
	pallet_prelude::BlockNumberFor,
};
use mosaic_inference::{
	inference, AuditRequest, InferenceError, InferenceOutput, InferenceRequest,
};
use mosaic_primitives::{AuditReport, JobId, ProviderRegistry, OPERATOR_KEY_TYPE};
use sp_core::offchain::Duration;
use sp_runtime::{
	offchain::storage::StorageValueRef,
	traits::{CheckedSub, Saturating, UniqueSaturatedInto},
};

/// Log target of the off-chain worker.
pub const LOG_TARGET: &str = "mosaic::worker";

/// Prefix of the per-job claims in persistent off-chain storage.
pub const CLAIM_PREFIX: &[u8] = b"mosaic/jobs/claim/";
/// Prefix of the transaction kept with each claim, to send again.
pub const TX_PREFIX: &[u8] = b"mosaic/jobs/tx/";
/// Blocks after sending an answer or decline that the chain still shows the provider
/// waiting before it is sent again.
pub const RESEND_AFTER: u32 = 3;
/// How long the worker that starts an inference waits for it (a third of a block): a short
/// job is answered at once, a long one collected by a later block's worker.
pub const QUICK_WAIT_MS: u64 = 2_000;
/// How often that worker looks while it waits.
const POLL_MS: u64 = 5;

/// Prefix of the lists of claims made in each span of [`FORGET_SPAN`] blocks: what
/// [`Pallet::forget_old_claims`] removes once no part they claim can still be waiting.
pub const MADE_PREFIX: &[u8] = b"mosaic/jobs/made/";
/// The first span of [`FORGET_SPAN`] blocks whose claims are not yet forgotten.
pub const FORGOTTEN_KEY: &[u8] = b"mosaic/jobs/forgotten";
/// Blocks of claims listed together, and forgotten together.
pub const FORGET_SPAN: u32 = 64;
/// Spans one worker forgets at most (a node that was down catches up over a few blocks).
const SPANS_PER_BLOCK: u32 = 2;

/// What this node did with a job, kept in persistent off-chain storage.
#[derive(Clone, Encode, Decode, Debug, PartialEq, Eq)]
pub enum Claim<BlockNumber> {
	/// The engine was started on the job at this block, by the node run `instance` (see
	/// [`inference::instance`]).
	Running { since: BlockNumber, instance: u64 },
	/// The result was (last) handed to the transaction pool at this block.
	Submitted { at: BlockNumber },
	/// Not answered, and it will not be: the reason was logged.
	Abandoned { at: BlockNumber, reason: Abandon },
	/// The node could not run it: a decline was (last) handed to the pool at this block.
	Declined { at: BlockNumber, reason: DeclineReason },
}

/// Why a claimed job is neither answered nor declined.
#[derive(Clone, Copy, Encode, Decode, Debug, PartialEq, Eq)]
pub enum Abandon {
	/// The operator key could not sign (it left the keystore).
	SigningFailed,
}

/// The claim key of `provider`'s part `role` in `job` (id `job_id`): the id, what the job is
/// and what the part is, so that after a reorg each part on the chain that stays is its own
/// claim. A different job under the same id is another claim; so is another role in the same
/// job (the executor of a job on a fork that is gone may be drawn to audit it on the chain that
/// stays), and an audit of another answer (the answer to audit differs between forks whose
/// executors differ).
pub fn claim_key<T: Config>(
	job_id: JobId,
	provider: &T::AccountId,
	role: Role,
	job: &JobOf<T>,
) -> Vec<u8> {
	let mut what = (&job.owner, job.model_hash, job.request_hash, job.max_tokens).encode();
	if let Role::Auditor { .. } = role {
		// An executor's key is the one earlier runtimes used, so no claim of a node that
		// upgrades its runtime mid-job is lost.
		(role, job.outcome.as_ref().map(|answer| answer.output_hash)).encode_to(&mut what);
	}
	let what = sp_io::hashing::blake2_256(&what);
	let mut key = CLAIM_PREFIX.to_vec();
	(job_id, provider, what).encode_to(&mut key);
	key
}

/// The key of the transaction kept with the claim at `claim_key`.
fn tx_key(claim_key: &[u8]) -> Vec<u8> {
	let mut key = TX_PREFIX.to_vec();
	key.extend_from_slice(claim_key.get(CLAIM_PREFIX.len()..).unwrap_or_default());
	key
}

/// The engine's ticket for the inference of the claim at `claim_key`.
fn ticket(claim_key: &[u8]) -> [u8; 32] {
	sp_io::hashing::blake2_256(claim_key)
}

/// The reason a node declines a job its engine failed on.
pub fn decline_reason(error: InferenceError) -> DeclineReason {
	match error {
		InferenceError::ModelMissing => DeclineReason::ModelMissing,
		InferenceError::ModelRejected => DeclineReason::ModelRejected,
		InferenceError::ContextOverflow => DeclineReason::ContextOverflow,
		InferenceError::OutputTooLong => DeclineReason::OutputTooLong,
		InferenceError::EngineFailure => DeclineReason::EngineFailure,
		InferenceError::OutOfTime => DeclineReason::OutOfTime,
		InferenceError::Busy => DeclineReason::Busy,
		InferenceError::Interrupted => DeclineReason::Interrupted,
		// NoEngine never runs the worker; should it reach here, the
		// node cannot run the job.
		InferenceError::NoEngine => DeclineReason::Other,
	}
}

type ClaimOf<T> = Claim<BlockNumberFor<T>>;

impl<T: Config> Pallet<T> {
	/// The off-chain worker's work at block `now` (see the module docs).
	pub fn answer_assigned_jobs(now: BlockNumberFor<T>) {
		let Some(engine) = inference::fingerprint() else {
			return; // Not an inference node.
		};
		let operators: Vec<(T::AccountId, Account<T>)> =
			Signer::<T, T::OperatorCrypto>::keystore_accounts()
				.filter_map(|account| {
					T::Providers::provider_of(&account.id).map(|provider| (provider, account))
				})
				.collect();
		if operators.is_empty() {
			log::debug!(
				target: LOG_TARGET,
				"no `{}` key of a registered provider in the keystore: nothing to answer",
				core::str::from_utf8(&OPERATOR_KEY_TYPE.0).unwrap_or("mosc"),
			);
			return;
		}
		Self::forget_old_claims(now);
		let instance = inference::instance().unwrap_or_default();
		let mut started: Vec<Started> = Vec::new();
		for job_id in Self::pending_jobs(now) {
			let Some(job) = Jobs::<T>::get(job_id) else { continue };
			if !matches!(job.status, JobStatus::Pending | JobStatus::Auditing) {
				continue;
			}
			for (k, (provider, account)) in operators.iter().enumerate() {
				let waiting = job
					.assignments
					.iter()
					.find(|a| &a.provider == provider && a.state == AssignmentState::Waiting);
				if let Some(assignment) = waiting {
					let work = Work {
						now,
						instance,
						job_id,
						job: &job,
						provider,
						operator: account,
						role: assignment.role,
					};
					if let Some(key) = work.step(engine) {
						started.push(Started { job_id, operator: k, role: assignment.role, key });
					}
				}
			}
		}
		Self::collect_started(now, instance, &operators, started);
	}

	/// How long a claim made at some block is kept: while the part it claims may still be
	/// waiting. A part waits until its job's deadline, at most [`Config::JobTimeout`] away and
	/// moved on (by at most as much) only when someone is drawn into the job, at most
	/// `MAX_ASSIGNMENTS` times; so every part claimed is decided within that many timeouts
	/// and one more. A fork that old was finalised away long before.
	pub fn claim_retention() -> BlockNumberFor<T> {
		let timeout = T::JobTimeout::get();
		timeout.saturating_mul((crate::pallet::MAX_ASSIGNMENTS.saturating_add(1)).into())
	}

	/// The span of [`FORGET_SPAN`] blocks block `at` is in.
	fn span_of(at: BlockNumberFor<T>) -> u32 {
		let at: u32 = at.unique_saturated_into();
		at.checked_div(FORGET_SPAN).unwrap_or_default()
	}

	/// Lists the claim at `key`, first made at `now`, for forgetting (review N13).
	fn list_claim(now: BlockNumberFor<T>, key: &[u8]) {
		let mut list_key = MADE_PREFIX.to_vec();
		Self::span_of(now).encode_to(&mut list_key);
		// A list a concurrent worker changed loses this entry: its claim stays behind (a few
		// bytes), never the other way round.
		let _ = StorageValueRef::persistent(&list_key).mutate::<Vec<Vec<u8>>, (), _>(|list| {
			let mut list = list.ok().flatten().unwrap_or_default();
			list.push(key.to_vec());
			Ok(list)
		});
	}

	/// Removes the claims, and the transactions kept with them (each answer's whole output
	/// and token ids), of the spans whose every part is decided ([`Self::claim_retention`]),
	/// at most [`SPANS_PER_BLOCK`] spans a block: a provider's disk holds the work of the last
	/// hours, not of every job it ever ran (review N13). Claims made before this node listed
	/// them are not found.
	pub fn forget_old_claims(now: BlockNumberFor<T>) {
		let marker = StorageValueRef::persistent(FORGOTTEN_KEY);
		let stored = marker.get::<u32>().ok().flatten();
		// A node's first worker lists from its own block on: there is nothing before.
		let from = stored.unwrap_or_else(|| Self::span_of(now));
		// The spans entirely older than the retention.
		let old = now.checked_sub(&Self::claim_retention()).map(Self::span_of);
		let to = old.map_or(from, |old| old.min(from.saturating_add(SPANS_PER_BLOCK))).max(from);
		for span in from..to {
			let mut list_key = MADE_PREFIX.to_vec();
			span.encode_to(&mut list_key);
			let mut list = StorageValueRef::persistent(&list_key);
			for key in list.get::<Vec<Vec<u8>>>().ok().flatten().unwrap_or_default() {
				StorageValueRef::persistent(&tx_key(&key)).clear();
				StorageValueRef::persistent(&key).clear();
			}
			list.clear();
		}
		if stored != Some(to) {
			marker.set(&to);
		}
	}

	/// Waits up to [`QUICK_WAIT_MS`] in all for the inferences this block's worker started, and
	/// sends what finished (a short job is answered in the block that assigned it).
	fn collect_started(
		now: BlockNumberFor<T>,
		instance: u64,
		operators: &[(T::AccountId, Account<T>)],
		started: Vec<Started>,
	) {
		use sp_io::offchain::{sleep_until, timestamp};
		let until = timestamp().add(Duration::from_millis(QUICK_WAIT_MS));
		// Each job read once, not at every poll.
		let mut started: Vec<(Started, JobOf<T>)> = started
			.into_iter()
			.filter_map(|s| Jobs::<T>::get(s.job_id).map(|job| (s, job)))
			.collect();
		while !started.is_empty() {
			started.retain(|(s, job)| {
				let Some((provider, operator)) = operators.get(s.operator) else { return false };
				let (job_id, role) = (s.job_id, s.role);
				let work = Work { now, instance, job_id, job, provider, operator, role };
				!work.try_collect(&s.key)
			});
			let at = timestamp();
			if at >= until {
				return;
			}
			sleep_until(at.add(Duration::from_millis(POLL_MS)));
		}
	}
}

/// An inference this block's worker started: its job, which of the node's operators runs it
/// in which role, and its claim's key.
struct Started {
	job_id: JobId,
	operator: usize,
	role: Role,
	key: Vec<u8>,
}

/// One job waiting for one of this node's providers, at one block.
struct Work<'a, T: Config> {
	now: BlockNumberFor<T>,
	instance: u64,
	job_id: JobId,
	job: &'a JobOf<T>,
	provider: &'a T::AccountId,
	operator: &'a Account<T>,
	role: Role,
}

impl<T: Config> Work<'_, T> {
	/// Does what the job's claim calls for: start it, collect its finished inference, send
	/// again what did not land, hand on a job a restart interrupted, or nothing. Returns the
	/// claim's key when it started an inference, to be collected once all are started.
	fn step(&self, engine: [u8; 32]) -> Option<Vec<u8>> {
		let key = claim_key::<T>(self.job_id, self.provider, self.role, self.job);
		let claim = StorageValueRef::persistent(&key).get::<ClaimOf<T>>().ok().flatten();
		match claim {
			None => {
				Pallet::<T>::list_claim(self.now, &key);
				return self.claim_and_run(&key, engine).then_some(key);
			}
			Some(Claim::Running { instance, .. }) if instance != self.instance => {
				self.hand_on_interrupted(&key)
			}
			Some(Claim::Running { .. }) => self.collect(&key),
			Some(Claim::Submitted { at }) | Some(Claim::Declined { at, .. })
				if self.now >= at.saturating_add(RESEND_AFTER.into()) =>
			{
				self.resend(&key)
			}
			_ => {} // Sent recently, or abandoned.
		}
		None
	}

	/// Claims the job (compare-and-set) and starts its inference in the background, or
	/// declines it. Whether it started one.
	fn claim_and_run(&self, key: &[u8], engine: [u8; 32]) -> bool {
		let (now, instance) = (self.now, self.instance);
		let claimed =
			StorageValueRef::persistent(key).mutate::<ClaimOf<T>, (), _>(
				|previous| match previous {
					Ok(None) => Ok(Claim::Running { since: now, instance }),
					_ => Err(()),
				},
			);
		if claimed.is_err() {
			return false; // Claimed by a concurrent worker.
		}
		let (job_id, job) = (self.job_id, self.job);
		if matches!(self.role, Role::Auditor { .. }) {
			return self.start_audit(key);
		}
		if job.engine.0 != engine {
			log::error!(
				target: LOG_TARGET,
				"job {job_id}: assigned for engine {:?}, but this node's engine is {:?}; \
				 declining (declare this node's fingerprint in the provider's profile)",
				job.engine,
				sp_core::H256(engine),
			);
			self.decline(key, DeclineReason::EngineMismatch);
			return false;
		}
		let time_budget_ms = time_budget_ms(
			job.deadline.saturating_sub(now).unique_saturated_into(),
			T::MillisecsPerBlock::get(),
		);
		if time_budget_ms == 0 {
			log::warn!(target: LOG_TARGET, "job {job_id}: too late to start; declining");
			self.decline(key, DeclineReason::OutOfTime);
			return false;
		}
		let Some(job_request) = Pallet::<T>::request(job_id) else {
			// Stored by `submit_job` from a request it encoded: absent only if the state is
			// not this runtime's.
			log::warn!(target: LOG_TARGET, "job {job_id}: its request does not decode; declining");
			self.decline(key, DeclineReason::EngineFailure);
			return false;
		};
		let request = InferenceRequest {
			job: job_id,
			model_hash: job.model_hash.0,
			request: job_request,
			max_tokens: job.max_tokens,
			max_output_bytes: T::MaxOutputLen::get(),
			time_budget_ms,
		};
		match inference::start(ticket(key), request) {
			Ok(()) => {
				log::info!(
					target: LOG_TARGET,
					"job {job_id}: running model {:?} for provider {:?}, at most {} tokens",
					job.model_hash,
					self.provider,
					job.max_tokens,
				);
				true
			}
			Err(error) => {
				self.failed(key, error);
				false
			}
		}
	}

	/// Starts re-scoring the executor's answer (this node audits the job), or declines.
	/// Whether it started.
	fn start_audit(&self, key: &[u8]) -> bool {
		let (job_id, job) = (self.job_id, self.job);
		let answer = job
			.assignments
			.iter()
			.find(|a| matches!(a.state, AssignmentState::Answered { .. }))
			.and_then(|a| Results::<T>::get(job_id, &a.provider));
		let (Some(answer), Some(job_request)) = (answer, Pallet::<T>::request(job_id)) else {
			log::warn!(target: LOG_TARGET, "job {job_id}: nothing to audit; declining");
			self.decline(key, DeclineReason::EngineFailure);
			return false;
		};
		let request = AuditRequest {
			job: job_id,
			model_hash: job.model_hash.0,
			request: job_request,
			max_tokens: job.max_tokens,
			output: answer.output.into_inner(),
			token_ids: answer.token_ids.into_inner(),
			max_output_bytes: T::MaxOutputLen::get(),
		};
		log::info!(
			target: LOG_TARGET,
			"job {job_id}: auditing the answer ({} tokens) for provider {:?}",
			answer.tokens,
			self.provider,
		);
		match inference::start_audit(ticket(key), request) {
			Ok(()) => true,
			Err(error) => {
				self.failed(key, error);
				false
			}
		}
	}

	/// Picks up the result of the job's inference (or audit) if it has finished: signs and
	/// sends the answer (or report), or declines. Nothing while it still runs.
	fn collect(&self, key: &[u8]) {
		self.try_collect(key);
	}

	/// [`Self::collect`]; whether there was a result.
	fn try_collect(&self, key: &[u8]) -> bool {
		match self.role {
			Role::Executor => match inference::finished(ticket(key)) {
				Some(result) => self.answer_or_decline(key, result),
				None => return false,
			},
			Role::Auditor { .. } => match inference::audited(ticket(key)) {
				Some(Ok(report)) => self.report(key, report),
				Some(Err(error)) => self.failed(key, error),
				None => return false,
			},
		}
		true
	}

	/// Signs and sends an audit report.
	fn report(&self, key: &[u8], report: AuditReport) {
		let (job_id, job) = (self.job_id, self.job);
		let Some(crate::Answer { output_hash, .. }) = job.outcome else { return };
		let bytes = audit_signing_bytes(
			job_id,
			job.request_hash,
			output_hash,
			&report,
			Pallet::<T>::genesis(),
		);
		let Some(signature) = self.sign(&bytes) else {
			return self.abandon_unsigned(key);
		};
		log::info!(
			target: LOG_TARGET,
			"job {job_id}: audit report ready ({} tokens, {} misses, spelled {}, ends early {})",
			report.tokens,
			report.misses,
			report.spelled,
			report.end_miss,
		);
		let call = Call::<T>::submit_audit {
			job: job_id,
			auditor: self.provider.clone(),
			report,
			signature,
		};
		self.keep_and_send(key, call, Claim::Submitted { at: self.now });
	}

	/// Signs and sends the answer of a finished inference, or declines a failed one.
	fn answer_or_decline(&self, key: &[u8], result: Result<InferenceOutput, InferenceError>) {
		let (job_id, job) = (self.job_id, self.job);
		let inference = match result {
			Ok(inference) => inference,
			Err(error) => return self.failed(key, error),
		};
		let payload =
			Pallet::<T>::attestation_payload(job_id, job, &inference.output, &inference.token_ids);
		let Some(signature) = self.sign(&payload.signing_bytes()) else {
			return self.abandon_unsigned(key);
		};
		let call = Call::<T>::submit_result {
			job: job_id,
			provider: self.provider.clone(),
			output: inference.output,
			token_ids: inference.token_ids,
			signature,
		};
		log::info!(
			target: LOG_TARGET,
			"job {job_id}: result ready ({} tokens, output hash {:?})",
			payload.tokens,
			payload.output_hash,
		);
		self.keep_and_send(key, call, Claim::Submitted { at: self.now });
	}

	/// The engine could not produce an answer: says why and what to do, and declines.
	fn failed(&self, key: &[u8], error: InferenceError) {
		let (job_id, job) = (self.job_id, self.job);
		match error {
			InferenceError::ModelMissing => {
				log::error!(
					target: LOG_TARGET,
					"job {job_id}: no file with content hash {:?} in this node's models \
					 directory; declining (put the model's GGUF file there: its BLAKE2b-256, \
					 `b2sum -l 256`, must equal the hash, or stop serving the model)",
					job.model_hash,
				);
			}
			_ => log::error!(
				target: LOG_TARGET,
				"job {job_id}: inference failed ({}); declining (if this repeats, serve the \
				 model on terms the engine can keep: `providers.serveModel`)",
				error.as_str(),
			),
		}
		self.decline(key, decline_reason(error));
	}

	/// The node restarted while it ran this job (a claim of another run): it is never run
	/// twice, so it is declined and the chain hands it on without a slash.
	fn hand_on_interrupted(&self, key: &[u8]) {
		let current = self.instance;
		let ours =
			StorageValueRef::persistent(key).mutate::<ClaimOf<T>, (), _>(
				|previous| match previous {
					Ok(Some(Claim::Running { since, instance })) if instance != current => {
						Ok(Claim::Running { since, instance: current })
					}
					_ => Err(()),
				},
			);
		if ours.is_ok() {
			log::warn!(
				target: LOG_TARGET,
				"job {}: the node restarted while running it; declining it",
				self.job_id
			);
			self.decline(key, DeclineReason::Interrupted);
		}
	}

	/// Signs and sends a decline of the job for `reason`, keeping it to send again.
	fn decline(&self, key: &[u8], reason: DeclineReason) {
		let bytes = decline_signing_bytes(
			self.job_id,
			self.job.request_hash,
			reason,
			Pallet::<T>::genesis(),
		);
		let Some(signature) = self.sign(&bytes) else {
			return self.abandon_unsigned(key);
		};
		let call = Call::<T>::decline_job {
			job: self.job_id,
			provider: self.provider.clone(),
			reason,
			signature,
		};
		self.keep_and_send(key, call, Claim::Declined { at: self.now, reason });
	}

	/// Keeps `call` with the claim, records `claim`, and hands the call to the pool.
	fn keep_and_send(&self, key: &[u8], call: Call<T>, claim: ClaimOf<T>) {
		StorageValueRef::persistent(&tx_key(key)).set(&call.encode());
		StorageValueRef::persistent(key).set(&claim);
		self.send(call);
	}

	/// Sends the kept transaction again and records when.
	fn resend(&self, key: &[u8]) {
		let Some(call) = StorageValueRef::persistent(&tx_key(key)).get::<Vec<u8>>().ok().flatten()
		else {
			return;
		};
		let Ok(call) = Call::<T>::decode(&mut &call[..]) else {
			frame_support::defensive!("a kept transaction does not decode");
			return;
		};
		let now = self.now;
		let _ =
			StorageValueRef::persistent(key).mutate::<ClaimOf<T>, (), _>(
				|previous| match previous {
					Ok(Some(Claim::Submitted { .. })) => Ok(Claim::Submitted { at: now }),
					Ok(Some(Claim::Declined { reason, .. })) => {
						Ok(Claim::Declined { at: now, reason })
					}
					_ => Err(()),
				},
			);
		log::info!(
			target: LOG_TARGET,
			"job {}: not on chain {RESEND_AFTER} blocks after it was sent; sending again",
			self.job_id
		);
		self.send(call);
	}

	/// Hands `call` to the pool as an authorized transaction. A refusal is logged: the call is
	/// kept and sent again later while the chain still waits for it.
	fn send(&self, call: Call<T>) {
		let xt = T::create_authorized_transaction(call.into());
		if SubmitTransaction::<T, Call<T>>::submit_transaction(xt).is_err() {
			log::warn!(
				target: LOG_TARGET,
				"job {}: the transaction pool refused the transaction; sending again in \
				 {RESEND_AFTER} blocks if the chain still waits for it",
				self.job_id
			);
		}
	}

	fn sign(&self, bytes: &[u8]) -> Option<T::AttestationSignature> {
		T::OperatorCrypto::sign(bytes, self.operator.public.clone()).map(Into::into)
	}

	fn abandon_unsigned(&self, key: &[u8]) {
		log::error!(
			target: LOG_TARGET,
			"job {}: the operator key could not sign (is it still in the keystore?)",
			self.job_id
		);
		StorageValueRef::persistent(key)
			.set(&ClaimOf::<T>::Abandoned { at: self.now, reason: Abandon::SigningFailed });
	}
}

/// How long the engine may run on a job whose deadline is `blocks_left` blocks after the block
/// whose worker starts it, with blocks of `block_ms`: until the worker of block `deadline − 2`
/// collects its answer, or its decline for lack of time — the pool checks a transaction
/// against the next block, and the chain takes a result only before the deadline, so that
/// worker is the last whose transaction lands. Less a quarter block for the worker to pick it
/// up; 0 (decline now) when not even that is left.
pub fn time_budget_ms(blocks_left: u64, block_ms: u64) -> u64 {
	blocks_left.saturating_sub(2).saturating_mul(block_ms).saturating_sub(block_ms / 4)
}
