//! The off-chain worker: a provider's node answers the jobs assigned to it.
//!
//! On every imported block, for each operator key in the node's keystore (key type
//! [`OPERATOR_KEY_TYPE`]) that belongs to a registered provider, the worker looks at the jobs
//! waiting for that provider, runs each through the node's engine (the
//! [`mosaic_inference::inference`] host functions), signs the attestation with the operator
//! key and sends [`Call::submit_result`] as a transaction signed by the same key.
//!
//! Pending jobs are found through [`Pallet::pending_jobs`] (the deadline queue), so the
//! worker never scans all jobs.
//!
//! **Once per job.** Before running a job the worker claims it in the node's persistent
//! off-chain storage with a compare-and-set; the claim survives restarts. A claimed job is
//! never run or submitted again — not by a later block's worker running concurrently, not
//! after a restart mid-inference. Only a job the engine refused because it was busy is
//! released, to be tried on the next block.
//!
//! **Failures are declines, never silence.** A job this node cannot run — its model file is
//! not in the models directory or does not verify, the engine fails, the prompt does not fit
//! the engine's context, the output would be too long, or the job was assigned for another
//! engine fingerprint — is logged with what to fix and declined with [`Call::decline_job`]:
//! the chain reassigns it at once and the provider loses reputation, not stake.

use crate::{
	pallet::{Call, Config, JobOf, Jobs, Pallet, Prompts},
	AssignmentState, DeclineReason, JobStatus,
};
use alloc::vec::Vec;
use codec::{Decode, Encode};
use frame_support::traits::Get;
use frame_system::{
	offchain::{Account, AppCrypto, CreateSignedTransaction, Signer, SubmitTransaction},
	pallet_prelude::BlockNumberFor,
};
use mosaic_inference::{inference, InferenceError, InferenceRequest};
use mosaic_primitives::{JobId, ProviderRegistry, OPERATOR_KEY_TYPE};
use sp_runtime::{
	offchain::storage::{MutateStorageError, StorageValueRef},
	traits::{One, Saturating},
};

/// Log target of the off-chain worker.
pub const LOG_TARGET: &str = "mosaic::worker";

/// Prefix of the per-job claims in persistent off-chain storage.
pub const CLAIM_PREFIX: &[u8] = b"mosaic/jobs/claim/";
/// Prefix of the per-operator next nonce in persistent off-chain storage.
pub const NONCE_PREFIX: &[u8] = b"mosaic/jobs/nonce/";
/// A locally remembered nonce is used for this many blocks after it was last taken, and only
/// by the same run of the node (a restart empties the pool); after that the chain's nonce is,
/// so that a transaction the pool dropped leaves no lasting gap.
pub const NONCE_MEMORY: u32 = 10;

/// What this node did with a job, kept in persistent off-chain storage.
#[derive(Clone, Encode, Decode, Debug, PartialEq, Eq)]
pub enum Claim<BlockNumber> {
	/// The engine was started on the job at this block.
	Running { since: BlockNumber },
	/// The result was handed to the transaction pool at this block.
	Submitted { at: BlockNumber },
	/// Not answered, and it will not be: the reason was logged.
	Abandoned { at: BlockNumber, reason: Abandon },
	/// The node could not run it: a decline was handed to the transaction pool.
	Declined { at: BlockNumber, reason: DeclineReason },
}

/// Why a claimed job is neither answered nor declined.
#[derive(Clone, Copy, Encode, Decode, Debug, PartialEq, Eq)]
pub enum Abandon {
	/// The operator key could not sign (it left the keystore).
	SigningFailed,
	/// The transaction pool refused the result.
	PoolRejected,
}

/// The claim key of `(job, provider)`.
pub fn claim_key<AccountId: Encode>(job: JobId, provider: &AccountId) -> Vec<u8> {
	let mut key = CLAIM_PREFIX.to_vec();
	(job, provider).encode_to(&mut key);
	key
}

/// The reason a node declines a job its engine failed on.
pub fn decline_reason(error: InferenceError) -> DeclineReason {
	match error {
		InferenceError::ModelMissing => DeclineReason::ModelMissing,
		InferenceError::ModelRejected => DeclineReason::ModelRejected,
		InferenceError::ContextOverflow => DeclineReason::ContextOverflow,
		InferenceError::OutputTooLong => DeclineReason::OutputTooLong,
		InferenceError::EngineFailure => DeclineReason::EngineFailure,
		// Busy is retried and NoEngine never runs the worker; should either reach here, the
		// node cannot run the job.
		InferenceError::Busy | InferenceError::NoEngine => DeclineReason::Other,
	}
}

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
		for job_id in Self::pending_jobs(now) {
			let Some(job) = Jobs::<T>::get(job_id) else { continue };
			if job.status != JobStatus::Pending {
				continue;
			}
			for (provider, account) in &operators {
				let waiting = job
					.assignments
					.iter()
					.any(|a| &a.provider == provider && a.state == AssignmentState::Waiting);
				if waiting {
					Self::answer(now, job_id, &job, provider, account, engine);
				}
			}
		}
	}

	/// Claims, runs and answers one job for `provider` (see the module docs).
	fn answer(
		now: BlockNumberFor<T>,
		job_id: JobId,
		job: &JobOf<T>,
		provider: &T::AccountId,
		operator: &Account<T>,
		engine: [u8; 32],
	) {
		let key = claim_key(job_id, provider);
		let mut claim = StorageValueRef::persistent(&key);
		let claimed = claim.mutate::<Claim<BlockNumberFor<T>>, (), _>(|previous| match previous {
			Ok(None) => Ok(Claim::Running { since: now }),
			_ => Err(()),
		});
		if claimed.is_err() {
			return; // Claimed before: by a concurrent worker, or before a restart.
		}
		let abandon = |reason: Abandon| {
			StorageValueRef::persistent(&key)
				.set(&Claim::<BlockNumberFor<T>>::Abandoned { at: now, reason })
		};

		let decline = |reason: DeclineReason| {
			let call = Call::<T>::decline_job { job: job_id, reason };
			match Self::submit_signed(now, operator, call) {
				Ok(_) => {
					log::warn!(target: LOG_TARGET, "job {job_id}: declined ({reason:?})");
					StorageValueRef::persistent(&key)
						.set(&Claim::<BlockNumberFor<T>>::Declined { at: now, reason });
				}
				Err(()) => {
					log::error!(
						target: LOG_TARGET,
						"job {job_id}: the transaction pool refused the decline"
					);
					abandon(Abandon::PoolRejected);
				}
			}
		};

		if job.engine.0 != engine {
			log::error!(
				target: LOG_TARGET,
				"job {job_id}: assigned for engine {:?}, but this node's engine is {:?}; \
				 declining (declare this node's fingerprint in the provider's profile)",
				job.engine,
				sp_core::H256(engine),
			);
			return decline(DeclineReason::EngineMismatch);
		}
		let prompt = Prompts::<T>::get(job_id).unwrap_or_default().into_inner();
		let request = InferenceRequest {
			model_hash: job.model_hash.0,
			prompt,
			max_tokens: job.max_tokens,
			max_output_bytes: T::MaxOutputLen::get(),
		};
		log::info!(
			target: LOG_TARGET,
			"job {job_id}: running model {:?} for provider {provider:?}, at most {} tokens",
			job.model_hash,
			job.max_tokens,
		);
		let inference = match inference::run(request) {
			Ok(inference) => inference,
			Err(InferenceError::Busy) => {
				log::info!(target: LOG_TARGET, "job {job_id}: engine busy, trying next block");
				claim.clear();
				return;
			}
			Err(InferenceError::ModelMissing) => {
				log::error!(
					target: LOG_TARGET,
					"job {job_id}: no file with content hash {:?} in this node's models \
					 directory; declining (put the model's GGUF file there: its BLAKE2b-256, \
					 `b2sum -l 256`, must equal the hash, or stop serving the model)",
					job.model_hash,
				);
				return decline(DeclineReason::ModelMissing);
			}
			Err(error) => {
				log::error!(
					target: LOG_TARGET,
					"job {job_id}: inference failed ({}); declining (if this repeats, serve \
					 the model on terms the engine can keep: `providers.serveModel`)",
					error.as_str(),
				);
				return decline(decline_reason(error));
			}
		};

		let payload = Self::attestation_payload(job_id, job, &inference.output, inference.tokens);
		let Some(signature) =
			T::OperatorCrypto::sign(&payload.signing_bytes(), operator.public.clone())
		else {
			log::error!(target: LOG_TARGET, "job {job_id}: the operator key could not sign");
			return abandon(Abandon::SigningFailed);
		};
		let call = Call::<T>::submit_result {
			job: job_id,
			output: inference.output,
			tokens: inference.tokens,
			signature: signature.into(),
		};
		match Self::submit_signed(now, operator, call) {
			Ok(nonce) => {
				log::info!(
					target: LOG_TARGET,
					"job {job_id}: result submitted ({} tokens, output hash {:?}, nonce {nonce:?})",
					payload.tokens,
					payload.output_hash,
				);
				StorageValueRef::persistent(&key)
					.set(&Claim::<BlockNumberFor<T>>::Submitted { at: now });
			}
			Err(()) => {
				log::error!(target: LOG_TARGET, "job {job_id}: the transaction pool refused the result");
				abandon(Abandon::PoolRejected);
			}
		}
	}

	/// Signs `call` with the operator key and hands it to the pool; returns the nonce used.
	fn submit_signed(
		now: BlockNumberFor<T>,
		operator: &Account<T>,
		call: Call<T>,
	) -> Result<T::Nonce, ()> {
		let nonce = Self::take_nonce(now, &operator.id);
		let xt = <T as CreateSignedTransaction<Call<T>>>::create_signed_transaction::<
			T::OperatorCrypto,
		>(call.into(), operator.public.clone(), operator.id.clone(), nonce)
		.ok_or(())?;
		SubmitTransaction::<T, Call<T>>::submit_transaction(xt)?;
		Ok(nonce)
	}

	/// The nonce for the operator's next transaction. Workers of consecutive blocks run
	/// concurrently and the chain's nonce lags the pool, so the next nonce is also remembered
	/// locally (compare-and-set, retried on contention) for [`NONCE_MEMORY`] blocks and for as
	/// long as the node runs (its [`inference::instance`]).
	fn take_nonce(now: BlockNumberFor<T>, who: &T::AccountId) -> T::Nonce {
		let chain = frame_system::Pallet::<T>::account_nonce(who);
		let instance = inference::instance().unwrap_or_default();
		let mut key = NONCE_PREFIX.to_vec();
		who.encode_to(&mut key);
		let stored = StorageValueRef::persistent(&key);
		for _ in 0..16 {
			let taken = stored.mutate::<(T::Nonce, BlockNumberFor<T>, u64), (), _>(|previous| {
				let next = match previous {
					Ok(Some((next, at, run)))
						if next > chain
							&& run == instance && now.saturating_sub(at) <= NONCE_MEMORY.into() =>
					{
						next
					}
					_ => chain,
				};
				Ok((next.saturating_add(One::one()), now, instance))
			});
			match taken {
				Ok((after, _, _)) => return after.saturating_sub(One::one()),
				Err(MutateStorageError::ConcurrentModification(_)) => continue,
				Err(MutateStorageError::ValueFunctionFailed(())) => break,
			}
		}
		chain
	}
}
