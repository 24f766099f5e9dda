//! Job records.

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{traits::Get, BoundedVec};
use mosaic_primitives::{BasisPoints, JobId, ModelId, Receipt};
use scale_info::TypeInfo;
use sp_core::H256;
use sp_runtime::Permill;

/// Where a job stands.
///
/// ```text
///  submit_job ──► Pending ──(all answered, majority)──► Settled
///                   │  ▲  ──(no majority)──► Pending (+1 tie-breaker) ──► Settled | Refunded
///                   │  ├──(decline_job)── replace the decliner at once
///                   │  └──(deadline, first time)── reassign the absent
///                   └──(deadline again / nobody eligible)──► Settled (answered part) | Refunded
/// ```
///
/// There is no way back for the owner once the job is submitted: providers may start at once,
/// so a cancel would be free inference. A job nobody answers is refunded at its deadline.
///
/// `Settled` is where a later dispute window would hook in: the outputs and attestations of
/// every answer stay in storage.
#[derive(Clone, Copy, Encode, Decode, MaxEncodedLen, TypeInfo, Debug, PartialEq, Eq)]
pub enum JobStatus {
	/// Waiting for answers.
	Pending,
	/// Decided and paid; the rest of the escrow refunded.
	Settled,
	/// Nothing could be decided; the escrow was refunded in full.
	Refunded,
	/// Cancelled by its owner before any answer; the escrow was refunded in full. Only jobs
	/// from before cancelling was removed (it gave free inference) can be in this state.
	Cancelled,
}

/// Where an assigned provider's part stands.
#[derive(Clone, Copy, Encode, Decode, MaxEncodedLen, TypeInfo, Debug, PartialEq, Eq)]
pub enum AssignmentState {
	/// No answer yet.
	Waiting,
	/// Answered (output and attestation in `Results`).
	Answered { output_hash: H256, tokens: u32 },
	/// Did not answer before the deadline; slashed and replaced if possible.
	TimedOut,
	/// Its node declined the job; not slashed, replaced at once if possible.
	Declined,
}

/// Why a provider's node declines a job it was assigned (recorded in the event, counted by
/// the node's metrics). Declining costs reputation, never stake.
#[derive(
	Clone,
	Copy,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	PartialEq,
	Eq,
)]
pub enum DeclineReason {
	/// The model's file is not in the node's models directory.
	ModelMissing,
	/// The file did not verify or llama.cpp refused to load it.
	ModelRejected,
	/// The prompt and `max_tokens` did not fit the engine's context after all.
	ContextOverflow,
	/// The output would be longer than the chain accepts.
	OutputTooLong,
	/// llama.cpp failed while tokenizing or decoding.
	EngineFailure,
	/// The job was assigned for an engine fingerprint this node no longer runs.
	EngineMismatch,
	/// The node's operator chose not to run it.
	Other,
	/// The node restarted while running it; it is never run twice, so it is handed on.
	Interrupted,
	/// The answer could not be ready before the deadline (the engine stopped when the time
	/// ran out, or too little was left to start).
	OutOfTime,
	/// The node's engine had as many of the model's jobs running and queued as it takes.
	Busy,
}

/// A provider assigned to a job.
#[derive(Clone, Encode, Decode, MaxEncodedLen, TypeInfo, Debug, PartialEq, Eq)]
pub struct Assignment<AccountId, Balance> {
	/// The provider.
	pub provider: AccountId,
	/// Its price per token: its ask when assigned, never above the bid.
	pub price: Balance,
	/// Its part.
	pub state: AssignmentState,
}

/// A job.
#[derive(Clone, Encode, Decode, MaxEncodedLen, TypeInfo, Debug, PartialEq, Eq)]
#[scale_info(skip_type_params(MaxAssignments))]
pub struct Job<AccountId, Balance, BlockNumber, MaxAssignments: Get<u32>> {
	/// Who submitted and pays.
	pub owner: AccountId,
	/// The model.
	pub model: ModelId,
	/// The model's content hash when the job was submitted.
	pub model_hash: H256,
	/// The model's creator when the job was submitted.
	pub creator: AccountId,
	/// The royalty when the job was submitted.
	pub royalty_bps: BasisPoints,
	/// The protocol fee when the job was submitted.
	pub protocol_fee: Permill,
	/// The request's [`mosaic_primitives::JobRequest::hash`] (the request is in `Requests`).
	pub request_hash: H256,
	/// Most tokens to generate.
	pub max_tokens: u32,
	/// Most the owner pays per token and provider.
	pub bid: Balance,
	/// Providers whose answers are compared.
	pub redundancy: u8,
	/// The engine fingerprint every provider of this job declared.
	pub engine: H256,
	/// What is still held from the owner for this job.
	pub escrow: Balance,
	/// Every provider assigned, replacements and tie-breaker included.
	pub assignments: BoundedVec<Assignment<AccountId, Balance>, MaxAssignments>,
	/// Whether the tie-breaker has been drawn.
	pub tie_breaker_drawn: bool,
	/// Whether absent providers have already been replaced once.
	pub reassigned: bool,
	/// Block at whose start unanswered assignments time out.
	pub deadline: BlockNumber,
	/// Where the job stands.
	pub status: JobStatus,
	/// The output that stood: its hash and token count (the bytes are in `Results`).
	pub outcome: Option<(H256, u32)>,
	/// What settlement moved.
	pub receipt: Option<Receipt<Balance>>,
}

/// An answer as stored: the output and the attestation that signs it.
#[derive(Clone, Encode, Decode, MaxEncodedLen, TypeInfo, Debug, PartialEq, Eq)]
#[scale_info(skip_type_params(MaxOutputLen))]
pub struct StoredResult<AccountId, Signature, BlockNumber, MaxOutputLen: Get<u32>> {
	/// The generated text, UTF-8 as produced by the engine.
	pub output: BoundedVec<u8, MaxOutputLen>,
	/// Tokens generated.
	pub tokens: u32,
	/// The operator key's signature over the attestation payload.
	pub signature: Signature,
	/// The operator key that signed.
	pub signer: AccountId,
	/// When it was submitted.
	pub at: BlockNumber,
}

/// Domain separator of decline signatures.
pub const DECLINE_CONTEXT: &[u8] = b"mosaic/decline/v2";

/// The exact bytes an operator key signs to decline `job` (whose request hashes to
/// `request_hash`) for `reason` on the chain of `genesis`.
pub fn decline_signing_bytes(
	job: JobId,
	request_hash: H256,
	reason: DeclineReason,
	genesis: H256,
) -> Vec<u8> {
	let mut bytes = DECLINE_CONTEXT.to_vec();
	(job, request_hash, reason, genesis).encode_to(&mut bytes);
	bytes
}
