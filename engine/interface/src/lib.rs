//! The inference host functions: how the runtime's off-chain worker reaches the node's engine.
//!
//! The runtime (WASM) calls [`inference::fingerprint`], [`inference::start`] and
//! [`inference::finished`] (and, auditing, [`inference::start_audit`] and
//! [`inference::audited`]). On the node
//! these look up an [`InferenceExt`] among the off-chain worker's externalities extensions; the
//! node registers one (wrapping its llama.cpp engine) through
//! `sc_offchain::OffchainWorkerOptions::custom_extensions`, and adds [`inference::HostFunctions`]
//! to its executor. A node started without a models directory registers none: the functions
//! then answer `None` / [`InferenceError::NoEngine`] and the off-chain worker does nothing.
//!
//! Nothing here links llama.cpp, so the pallets test their off-chain worker against a mock
//! [`InferenceHost`].

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;
use codec::{Decode, Encode};
use scale_info::TypeInfo;
use sp_runtime_interface::{
	pass_by::{AllocateAndReturnByCodec, PassFatPointerAndDecode},
	runtime_interface,
};

#[cfg(not(substrate_runtime))]
use sp_externalities::ExternalitiesExt;

/// A completion to compute.
#[derive(Clone, Encode, Decode, TypeInfo, Debug, PartialEq, Eq)]
pub struct InferenceRequest {
	/// The job's id: its owner may follow the output as it is generated (`mosaic_streamJob`).
	pub job: u64,
	/// BLAKE2b-256 of the whole GGUF file: the model's registered content hash.
	pub model_hash: [u8; 32],
	/// The job's request: a raw prompt or chat messages, and how to sample.
	pub request: mosaic_primitives::JobRequest,
	/// Most tokens to generate.
	pub max_tokens: u32,
	/// Most output bytes the chain accepts: the output ends before the token that would pass
	/// them, as at `max_tokens` (an answer, paid per token, not an error: nothing streamed is
	/// given away).
	pub max_output_bytes: u32,
	/// Milliseconds the answer must be ready in (until the last worker whose transaction
	/// lands, see the jobs pallet's `time_budget_ms`): generation stops with
	/// [`InferenceError::OutOfTime`] when they run out.
	pub time_budget_ms: u64,
}

/// An executor's output to audit: the auditor's engine re-scores it by teacher forcing (see
/// `mosaic_primitives::audit`).
#[derive(Clone, Encode, Decode, TypeInfo, Debug, PartialEq, Eq)]
pub struct AuditRequest {
	/// The job's id.
	pub job: u64,
	/// BLAKE2b-256 of the model's GGUF file.
	pub model_hash: [u8; 32],
	/// The job's request, as the executor ran it.
	pub request: mosaic_primitives::JobRequest,
	/// The job's `max_tokens`.
	pub max_tokens: u32,
	/// The executor's output.
	pub output: Vec<u8>,
	/// The ids of the tokens the executor generated (they must spell `output`).
	pub token_ids: Vec<u32>,
	/// Most output bytes the chain accepts: an output that ended within one token of them
	/// ended at the limit, not early (its end is not checked).
	pub max_output_bytes: u32,
}

/// A completed inference.
#[derive(Clone, Encode, Decode, TypeInfo, Debug, PartialEq, Eq)]
pub struct InferenceOutput {
	/// The generated text's bytes.
	pub output: Vec<u8>,
	/// The ids of the generated tokens in the model's vocabulary (the end-of-generation
	/// token is not one of them): they spell `output`, or `output` followed by the stop
	/// sequence that ended it.
	pub token_ids: Vec<u32>,
}

impl InferenceOutput {
	/// Tokens generated: what the job pays for.
	pub fn tokens(&self) -> u32 {
		u32::try_from(self.token_ids.len()).unwrap_or(u32::MAX)
	}
}

/// Why no output was produced. Each reason is counted by the node's metrics.
#[derive(Clone, Copy, Encode, Decode, TypeInfo, Debug, PartialEq, Eq)]
pub enum InferenceError {
	/// This node runs no engine (started without a models directory).
	NoEngine,
	/// No file in the models directory has this content hash.
	ModelMissing,
	/// A file claimed the hash but did not verify, or llama.cpp refused to load it.
	ModelRejected,
	/// Prompt plus `max_tokens` do not fit the engine's context.
	ContextOverflow,
	/// The output would exceed `max_output_bytes` (engines before the limit ended outputs).
	OutputTooLong,
	/// The engine runs its maximum of concurrent jobs: ask again later.
	Busy,
	/// llama.cpp failed while tokenizing or decoding.
	EngineFailure,
	/// The time budget ran out before the answer was complete.
	OutOfTime,
	/// This node started the job before, in this run or one a restart ended (its record
	/// of starts survives a kill): a job is never run twice.
	Interrupted,
}

impl InferenceError {
	/// A short, stable name: the `reason` label of the failure metric.
	pub fn as_str(&self) -> &'static str {
		match self {
			Self::NoEngine => "no_engine",
			Self::ModelMissing => "model_missing",
			Self::ModelRejected => "model_rejected",
			Self::ContextOverflow => "context_overflow",
			Self::OutputTooLong => "output_too_long",
			Self::Busy => "busy",
			Self::EngineFailure => "engine_failure",
			Self::OutOfTime => "out_of_time",
			Self::Interrupted => "interrupted",
		}
	}
}

/// A caller-chosen name for one inference, to collect its result with.
pub type Ticket = [u8; 32];

/// What the node implements: the engine behind the host functions.
#[cfg(not(substrate_runtime))]
pub trait InferenceHost: Send + Sync {
	/// BLAKE2b-256 of the engine's fingerprint string (llama.cpp build, SIMD features,
	/// settings): the `engine` a provider declares and every attestation carries.
	fn fingerprint(&self) -> [u8; 32];

	/// Starts one completion in the background, under `ticket`, and returns at once;
	/// [`InferenceError::Busy`] when the engine already runs its maximum.
	fn start(&self, ticket: Ticket, request: InferenceRequest) -> Result<(), InferenceError>;

	/// The result of the completion started under `ticket`, once it has finished; each result
	/// is handed out once. `None` while it runs, or when nothing runs under that ticket.
	fn finished(&self, ticket: Ticket) -> Option<Result<InferenceOutput, InferenceError>>;

	/// Starts re-scoring an executor's output (an audit) in the background, under `ticket`;
	/// [`InferenceError::Busy`] when the engine already runs its maximum of audits.
	fn start_audit(&self, ticket: Ticket, request: AuditRequest) -> Result<(), InferenceError>;

	/// The report of the audit started under `ticket`, once finished; handed out once.
	fn audited(
		&self,
		ticket: Ticket,
	) -> Option<Result<mosaic_primitives::AuditReport, InferenceError>>;

	/// A number drawn when the node started, different after every restart: what the worker
	/// handed to the transaction pool before it is gone.
	fn instance(&self) -> u64;
}

#[cfg(not(substrate_runtime))]
sp_externalities::decl_extension! {
	/// The engine, as an externalities extension of the off-chain worker.
	pub struct InferenceExt(alloc::sync::Arc<dyn InferenceHost>);
}

/// The host functions. Called only from off-chain workers: block execution must never depend
/// on a node's local engine.
#[runtime_interface]
pub trait Inference {
	/// The engine's fingerprint hash, or `None` when this node runs no engine.
	fn fingerprint(&mut self) -> AllocateAndReturnByCodec<Option<[u8; 32]>> {
		self.extension::<InferenceExt>().map(|engine| engine.fingerprint())
	}

	/// The engine's [`InferenceHost::instance`], or `None` when this node runs no engine.
	fn instance(&mut self) -> AllocateAndReturnByCodec<Option<u64>> {
		self.extension::<InferenceExt>().map(|engine| engine.instance())
	}

	/// Starts `request` on the node's engine under `ticket`; returns without waiting.
	fn start(
		&mut self,
		ticket: PassFatPointerAndDecode<Ticket>,
		request: PassFatPointerAndDecode<InferenceRequest>,
	) -> AllocateAndReturnByCodec<Result<(), InferenceError>> {
		match self.extension::<InferenceExt>() {
			Some(engine) => engine.start(ticket, request),
			None => Err(InferenceError::NoEngine),
		}
	}

	/// The result of the inference started under `ticket`, if it has finished (see
	/// [`InferenceHost::finished`]).
	fn finished(
		&mut self,
		ticket: PassFatPointerAndDecode<Ticket>,
	) -> AllocateAndReturnByCodec<Option<Result<InferenceOutput, InferenceError>>> {
		self.extension::<InferenceExt>().and_then(|engine| engine.finished(ticket))
	}

	/// Starts auditing `request` on the node's engine under `ticket`; returns without waiting.
	fn start_audit(
		&mut self,
		ticket: PassFatPointerAndDecode<Ticket>,
		request: PassFatPointerAndDecode<AuditRequest>,
	) -> AllocateAndReturnByCodec<Result<(), InferenceError>> {
		match self.extension::<InferenceExt>() {
			Some(engine) => engine.start_audit(ticket, request),
			None => Err(InferenceError::NoEngine),
		}
	}

	/// The report of the audit started under `ticket`, if it has finished.
	fn audited(
		&mut self,
		ticket: PassFatPointerAndDecode<Ticket>,
	) -> AllocateAndReturnByCodec<Option<Result<mosaic_primitives::AuditReport, InferenceError>>> {
		self.extension::<InferenceExt>().and_then(|engine| engine.audited(ticket))
	}
}
