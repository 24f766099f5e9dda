//! Job records.

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{traits::Get, weights::Weight, BoundedVec};
use mosaic_primitives::{AuditReport, BasisPoints, Finding, JobId, ModelId, Receipt};
use scale_info::TypeInfo;
use sp_core::H256;
use sp_runtime::Permill;

/// Where a job stands.
///
/// ```text
///  submit_job ──► Pending ──(answer)──► Challenge ──(window over, no audit drawn)──► Settled
///                   │  ├──(decline_job)── replace the executor at once     │
///                   │  └──(deadline, first time)── replace the absent one  └─(audit drawn)─► Auditing
///                   └──(deadline again / nobody eligible)──► Refunded                         │
///   Auditing ──(every auditor finds it honest / no report)──► Settled                         │
///            ──(a finding of fraud)──► committee drawn ──► majority: Settled | Refunded ◄─────┘
/// ```
///
/// There is no way back for the owner once the job is submitted: the executor may start at
/// once, so a cancel would be free inference. A job nobody answers is refunded at its deadline.
///
/// A closed job (settled, refunded) keeps only its record, the receipt: its request and answer
/// leave state when it closes (their hashes stay here; the bytes stay in the blocks that
/// carried them). The record goes `ReceiptRetention` blocks later, when its deposit returns.
#[derive(Clone, Copy, Encode, Decode, MaxEncodedLen, TypeInfo, Debug, PartialEq, Eq)]
pub enum JobStatus {
	/// Waiting for its executor's answer.
	#[codec(index = 0)]
	Pending,
	/// Paid; the rest of the escrow refunded.
	#[codec(index = 1)]
	Settled,
	/// Not paid: nobody answered, or the answer was found fraudulent; the escrow was
	/// refunded in full.
	#[codec(index = 2)]
	Refunded,
	/// Cancelled by its owner before any answer; the escrow was refunded in full. Only jobs
	/// from before cancelling was removed (it gave free inference) can be in this state.
	#[codec(index = 3)]
	Cancelled,
	/// Answered; the escrow stays held until the challenge window ends at the deadline, when
	/// an audit may be drawn.
	#[codec(index = 4)]
	Challenge,
	/// Its answer is being audited: waiting for the auditors' reports.
	#[codec(index = 5)]
	Auditing,
}

impl JobStatus {
	/// Whether the job still holds escrow and sits in the deadline queue.
	pub fn is_open(&self) -> bool {
		matches!(self, Self::Pending | Self::Challenge | Self::Auditing)
	}
}

/// What an assigned provider does for a job.
#[derive(Clone, Copy, Encode, Decode, MaxEncodedLen, TypeInfo, Debug, PartialEq, Eq)]
pub enum Role {
	/// Runs the job; paid for the tokens of its answer.
	Executor,
	/// Re-scores the executor's answer by teacher forcing (see `mosaic_primitives::audit`).
	/// `committee`: drawn after another auditor found fraud.
	Auditor { committee: bool },
}

/// Where an assigned provider's part stands.
#[derive(Clone, Copy, Encode, Decode, MaxEncodedLen, TypeInfo, Debug, PartialEq, Eq)]
pub enum AssignmentState {
	/// No answer yet.
	Waiting,
	/// The executor answered (output, token ids and attestation in `Results`).
	Answered { output_hash: H256, tokens: u32 },
	/// Did not answer before the deadline; slashed and replaced if possible.
	TimedOut,
	/// Its node declined the job; not slashed, replaced at once if possible.
	Declined,
	/// The auditor reported what it measured, and the chain judged it.
	Audited { report: AuditReport, finding: Finding },
}

/// The weight of path-dependent work done by the running hook or call: `draws`, each draw of
/// providers as it read (`WeightInfo::draw(tries, slots)`, counted by [`crate::assignment`]),
/// and `ends`, each settlement or refund (`WeightInfo::settle(auditors)`) and each decision on audit
/// reports (`WeightInfo::decide()`, its worst).
#[derive(Clone, Copy, Default, Encode, Decode, MaxEncodedLen, TypeInfo, Debug, PartialEq, Eq)]
pub struct PathWeights {
	/// What the draws read.
	pub draws: Weight,
	/// What ending jobs cost.
	pub ends: Weight,
}

impl PathWeights {
	/// Both together.
	pub fn total(&self) -> Weight {
		self.draws.saturating_add(self.ends)
	}
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
	/// Its price per token: its ask when assigned, never above the bid (auditors: zero).
	pub price: Balance,
	/// Its part.
	pub state: AssignmentState,
	/// What it does.
	pub role: Role,
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
	/// Most the owner pays per token.
	pub bid: Balance,
	/// Whether the request samples (audits then judge typicality too).
	pub sampled: bool,
	/// The engine fingerprint the executor declared (information: auditors may run any).
	pub engine: H256,
	/// What is still held from the owner for this job.
	pub escrow: Balance,
	/// What is held from the owner for the state the job takes, returned when its record is
	/// pruned (see `Pallet::deposit_for`).
	pub deposit: Balance,
	/// The block whose body carries the request (`submit_job` or `submit_request`).
	pub submitted_at: BlockNumber,
	/// Every provider assigned: executors (replacements included) and auditors.
	pub assignments: BoundedVec<Assignment<AccountId, Balance>, MaxAssignments>,
	/// Whether an absent executor has already been replaced once.
	pub reassigned: bool,
	/// Whether a committee has been drawn to confirm a finding of fraud.
	pub committee_drawn: bool,
	/// Block at whose start the current stage ends: unanswered assignments time out, or the
	/// challenge window closes; once the job is closed, its record is pruned.
	pub deadline: BlockNumber,
	/// Where the job stands.
	pub status: JobStatus,
	/// The executor's answer (the bytes are in `Results` while the job is open, and in the
	/// body of block `at` for good).
	pub outcome: Option<Answer<BlockNumber>>,
	/// What settlement moved.
	pub receipt: Option<Receipt<Balance>>,
}

/// What a job keeps of its executor's answer.
#[derive(Clone, Copy, Encode, Decode, MaxEncodedLen, TypeInfo, Debug, PartialEq, Eq)]
pub struct Answer<BlockNumber> {
	/// BLAKE2b-256 of the output.
	pub output_hash: H256,
	/// Tokens generated.
	pub tokens: u32,
	/// The block whose body carries the answer (`submit_result`).
	pub at: BlockNumber,
}

/// An answer as stored: the output, its tokens and the attestation that signs them.
#[derive(Clone, Encode, Decode, MaxEncodedLen, TypeInfo, Debug, PartialEq, Eq)]
#[scale_info(skip_type_params(MaxOutputLen, MaxOutputTokens))]
pub struct StoredResult<
	AccountId,
	Signature,
	BlockNumber,
	MaxOutputLen: Get<u32>,
	MaxOutputTokens: Get<u32>,
> {
	/// The generated text, UTF-8 as produced by the engine.
	pub output: BoundedVec<u8, MaxOutputLen>,
	/// Tokens generated.
	pub tokens: u32,
	/// Their ids in the model's vocabulary: what auditors teacher-force. They spell the
	/// output (or the output and the stop sequence that ended it).
	pub token_ids: BoundedVec<u32, MaxOutputTokens>,
	/// The operator key's signature over the attestation payload.
	pub signature: Signature,
	/// The operator key that signed.
	pub signer: AccountId,
	/// When it was submitted.
	pub at: BlockNumber,
}

/// Domain separator of audit report signatures.
pub const AUDIT_CONTEXT: &[u8] = b"mosaic/audit/v1";

/// The exact bytes an auditor's operator key signs to report `report` on the answer (output
/// hash `output_hash`) to `job` (request hash `request_hash`) on the chain of `genesis`.
pub fn audit_signing_bytes(
	job: JobId,
	request_hash: H256,
	output_hash: H256,
	report: &AuditReport,
	genesis: H256,
) -> Vec<u8> {
	let mut bytes = AUDIT_CONTEXT.to_vec();
	(job, request_hash, output_hash, report, genesis).encode_to(&mut bytes);
	bytes
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
