//! Types and traits shared by Mosaic's marketplace pallets (`models`, `providers`, `jobs`,
//! `settlement`), the runtime and the off-chain inference engine.
//!
//! The pallets know each other only through the traits here, so each can be tested with a
//! mock of the others and the runtime wires the real ones together.

#![cfg_attr(not(feature = "std"), no_std)]
// Tests may index and do plain arithmetic; runtime code may not.
#![cfg_attr(test, allow(clippy::arithmetic_side_effects, clippy::indexing_slicing))]

extern crate alloc;

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::pallet_prelude::{DispatchError, DispatchResult, Weight};
use scale_info::TypeInfo;
use sp_core::H256;
use sp_runtime::{Perbill, Permill};

pub mod audit;
mod model;
mod request;

pub use audit::{AuditReport, Finding};
pub use model::*;
pub use request::*;

/// A registered model's identifier.
pub type ModelId = u32;
/// A job's identifier.
pub type JobId = u64;
/// A session's identifier.
pub type SessionId = u64;

/// What an escrow pays for: one job, or the requests of a session.
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
	serde::Serialize,
	serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum EscrowId {
	/// A job of the jobs pallet.
	Job(JobId),
	/// A session of the sessions pallet.
	Session(SessionId),
}

/// Why no provider could be drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoProvider {
	/// Some serve the model, but all ask more than the bid.
	BidBelowEveryAsk,
	/// Nobody can take it now (none serves the model, or all are paused, under-bonded, busy,
	/// or would have more in flight than a conviction costs them).
	NoneEligible,
	/// Some could at some price, but none declares terms that cover it.
	NotCovered,
}

/// The executor draw of the jobs pallet, for other pallets (sessions draw their provider
/// exactly as a job draws its executor).
pub trait DrawProvider<AccountId, Balance> {
	/// Draws a provider for work on `model` of `owner` (never drawn): among those whose ask is
	/// within `bid` and whose declared terms cover `needs` in time, with free room, weighted
	/// by bond × reputation, seeded by this block's randomness and `subject` (distinct for
	/// every draw of a block).
	fn draw_provider(
		owner: &AccountId,
		model: ModelId,
		bid: Balance,
		needs: &JobNeeds,
		subject: &[u8],
	) -> Result<Candidate<AccountId, Balance>, NoProvider>;
	/// The weight of one draw at its worst: what a caller charges up front.
	fn draw_weight() -> Weight;
}
/// Basis points: 10 000 = 100 %.
pub type BasisPoints = u16;
/// 10 000 basis points make the whole.
pub const BPS_DENOMINATOR: u32 = 10_000;

/// What the jobs pallet needs to know of a model when a job is submitted. Jobs keep a copy,
/// so later changes (royalty, deprecation, removal) never affect a job already submitted.
#[derive(Clone, Encode, Decode, MaxEncodedLen, TypeInfo, Debug, PartialEq, Eq)]
pub struct ModelTerms<AccountId> {
	/// BLAKE2b-256 of the whole GGUF file.
	pub content_hash: H256,
	/// Who receives the royalty.
	pub creator: AccountId,
	/// The creator's share of each provider payment.
	pub royalty_bps: BasisPoints,
	/// The model's context window in tokens.
	pub context_length: u32,
	/// Whether the model has a chat template (and so takes chat messages).
	pub chat: bool,
}

/// Why a model cannot take a new job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelUnavailable {
	/// No model has this id.
	Unknown,
	/// The model is deprecated: running jobs finish, new ones are refused.
	Deprecated,
}

/// The model registry, as seen by the other pallets.
pub trait ModelRegistry<AccountId> {
	/// The terms of `model` if it accepts new jobs.
	fn terms_for_new_job(model: ModelId) -> Result<ModelTerms<AccountId>, ModelUnavailable>;
	/// Whether `model` is registered (deprecated or not).
	fn exists(model: ModelId) -> bool;
}

/// What a provider declares it runs for one model it serves. The chain assigns it only jobs
/// these terms cover, and gives it as long as they say it needs, so a provider is never
/// assigned a job it could not run as declared.
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
	serde::Serialize,
	serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct ServingTerms {
	/// The context window its engine runs the model with, in tokens (prompt and output).
	pub context_length: u32,
	/// The most tokens it generates for one job.
	pub max_output_tokens: u32,
	/// Its decode speed for this model, in tokens per second, at full load.
	pub tokens_per_second: u32,
}

/// What a job asks of a provider's [`ServingTerms`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobNeeds {
	/// Most tokens the prompt may take ([`JobRequest::prompt_tokens_bound`]).
	pub prompt_tokens: u32,
	/// Most tokens to generate.
	pub max_tokens: u32,
}

impl JobNeeds {
	/// The smallest job there is: whoever does not cover it serves nothing.
	pub const SMALLEST: Self = Self { prompt_tokens: 0, max_tokens: 1 };

	/// Tokens of context the job may take: the prompt's bound, plus the beginning-of-sequence
	/// token and the tokeniser's leading-space piece, plus `max_tokens`.
	pub fn context_tokens(&self) -> u64 {
		u64::from(self.prompt_tokens).saturating_add(2).saturating_add(u64::from(self.max_tokens))
	}
}

impl ServingTerms {
	/// Whether terms are usable at all: every field positive.
	pub fn is_valid(&self) -> bool {
		self.context_length > 0 && self.max_output_tokens > 0 && self.tokens_per_second > 0
	}

	/// Whether a job fits these terms: its context and output within the declared bounds.
	pub fn covers(&self, needs: &JobNeeds) -> bool {
		needs.context_tokens() <= u64::from(self.context_length)
			&& needs.max_tokens <= self.max_output_tokens
	}

	/// Milliseconds the declared speed needs to decode `max_tokens` (rounded up).
	pub fn decode_millis(&self, max_tokens: u32) -> u64 {
		u64::from(max_tokens)
			.saturating_mul(1_000)
			.div_ceil(u64::from(self.tokens_per_second.max(1)))
	}

	/// Milliseconds a job of `needs` may take on these terms: its prompt's bound processed,
	/// then `max_tokens` decoded, both at the declared decode speed — prompt processing is
	/// never slower than decoding on llama.cpp, so this bounds it whatever the hardware.
	pub fn job_millis(&self, needs: &JobNeeds) -> u64 {
		self.decode_millis(needs.prompt_tokens).saturating_add(self.decode_millis(needs.max_tokens))
	}
}

/// A provider that may take a job, with the weight of its chance in the draw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate<AccountId, Balance> {
	/// The provider's (cold) account.
	pub provider: AccountId,
	/// The key that signs its results.
	pub operator: AccountId,
	/// Its price per output token.
	pub ask: Balance,
	/// The engine fingerprint it declared (see [`AttestationPayload::engine`]).
	pub engine: H256,
	/// Its active bond: what its slashes take from.
	pub bond: Balance,
	/// Its weight in the draw (bond × reputation).
	pub weight: u128,
	/// What it declared it runs for the model.
	pub terms: ServingTerms,
}

/// How a provider's part in a job ended, for its reputation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobOutcome {
	/// It answered and its output stood.
	Completed,
	/// It did not answer in time.
	TimedOut,
	/// Found wrong: an executor whose answer an audit confirmed fraudulent, or an auditor the
	/// committee's majority contradicted.
	Outvoted,
	/// Its node declined the job (could not run it): no slash, a small loss of reputation.
	Declined,
	/// The job ended without judging it (cancelled or refunded).
	Released,
}

impl JobOutcome {
	/// Whether a part that ended so had been answered (a result or a report posted): its
	/// concurrency slot was freed then ([`ProviderRegistry::job_answered`]). An assignment
	/// that times out or declines never answered; one completed, outvoted or released after
	/// the job was decided did (the jobs pallet releases only answered parts: a waiting one
	/// times out or declines).
	pub fn follows_answer(self) -> bool {
		matches!(self, Self::Completed | Self::Outvoted | Self::Released)
	}
}

/// The provider registry, as seen by the jobs pallet.
/// The highest reputation score (a provider's score is in `1..=MAX_SCORE`).
pub const MAX_SCORE: u32 = 1_000;

pub trait ProviderRegistry<AccountId, Balance> {
	/// Providers that may take a new job for `model` at `bid` per token: serving it with
	/// terms that cover `needs`, active, bonded at least the minimum, ask ≤ bid, under their
	/// concurrency limit; `exclude` are left out. Reads every provider serving the model: for
	/// runtime APIs, not for calls (they draw through [`Self::find`]).
	fn candidates(
		model: ModelId,
		bid: Balance,
		needs: &JobNeeds,
		exclude: &[AccountId],
	) -> Vec<Candidate<AccountId, Balance>>;
	/// `who` as a candidate for a job for `model` at `bid` with `needs`, if it may take one
	/// now (the conditions of [`Self::candidates`]).
	fn candidate(
		model: ModelId,
		who: &AccountId,
		bid: Balance,
		needs: &JobNeeds,
	) -> Option<Candidate<AccountId, Balance>>;
	/// `who` as an auditor of a job for `model` with `needs`, if it may audit one now: serving
	/// the model with a context window that holds the job, active, bonded at least the
	/// minimum. Not its ask, output bound, declared speed or free slots: an auditor re-scores an
	/// answer, it does not generate one, and a job only one provider's terms cover must be
	/// auditable by the others.
	fn auditor(
		model: ModelId,
		who: &AccountId,
		needs: &JobNeeds,
	) -> Option<Candidate<AccountId, Balance>>;
	/// How many providers serve `model`: the slots `0..slot_count` of its draw index.
	fn slot_count(model: ModelId) -> u32;
	/// The provider in `slot` of `model`'s draw index.
	fn at_slot(model: ModelId, slot: u32) -> Option<AccountId>;
	/// The total indexed weight of `model`'s providers.
	fn total_weight(model: ModelId) -> u128;
	/// The provider holding the `r`-th unit of `model`'s indexed weight (`r` below
	/// [`Self::total_weight`]), and its indexed weight: a provider is found with chance
	/// proportional to its indexed weight, which is at least its bond while it is active (0
	/// while paused). In a fixed number of reads, however many providers serve the model.
	fn find(model: ModelId, r: u128) -> Option<(AccountId, u128)>;
	/// The provider's current operator key: results of its jobs must be signed by it.
	fn operator(provider: &AccountId) -> Option<AccountId>;
	/// The provider whose current operator key is `operator`.
	fn provider_of(operator: &AccountId) -> Option<AccountId>;
	/// Counts a job against the provider's concurrency limit and among its jobs in flight.
	fn job_assigned(provider: &AccountId) -> DispatchResult;
	/// Counts an audit among the provider's jobs in flight, whatever its concurrency limit
	/// (an audit is drawn whatever the auditor's load; [`Self::job_ended`] releases it).
	fn audit_assigned(provider: &AccountId) -> DispatchResult;
	/// The provider's bond (0 for none): what its slashes take from.
	fn bond_of(provider: &AccountId) -> Balance;
	/// The jobs and audits counted against the provider now (0 for none).
	fn jobs_in_flight(provider: &AccountId) -> u32;
	/// How many of those it has answered ([`Self::job_answered`]).
	fn jobs_answered(provider: &AccountId) -> u32;
	/// The provider answered (or reported on) one of its jobs: the job no longer counts
	/// against its concurrency limit — its node is free for the next — but stays in flight
	/// (the provider cannot leave, its bond answers for the job) until [`Self::job_ended`].
	fn job_answered(provider: &AccountId);
	/// Ends the job's part in the provider's jobs in flight (and its concurrency limit, unless
	/// it answered: [`JobOutcome::follows_answer`]) and records `outcome`.
	fn job_ended(provider: &AccountId, outcome: JobOutcome);
	/// The provider's record: jobs completed and reputation score in (0, 1000] (audits are
	/// drawn more often for new and low-reputation providers).
	fn track_record(provider: &AccountId) -> (u32, u32);
	/// Slashes `fraction` of the provider's bond (held bond first, then unbonding chunks) to
	/// the treasury, a share to `reporter` if given. Returns the amount slashed.
	fn slash(
		provider: &AccountId,
		fraction: Perbill,
		reporter: Option<&AccountId>,
	) -> Result<Balance, DispatchError>;
}

/// One provider's payment out of a job's escrow.
#[derive(Clone, Encode, Decode, MaxEncodedLen, TypeInfo, Debug, PartialEq, Eq)]
pub struct Payment<AccountId, Balance> {
	/// Who is paid.
	pub provider: AccountId,
	/// Tokens it generated.
	pub tokens: u32,
	/// Its price per token (its ask, never above the bid).
	pub price: Balance,
}

/// What a settlement moved, for the job's receipt.
#[derive(
	Clone,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	PartialEq,
	Eq,
)]
pub struct Receipt<Balance> {
	/// Total taken from the escrow for providers, royalty and fee.
	pub paid: Balance,
	/// To the model's creator.
	pub royalty: Balance,
	/// The protocol fee: to the treasury, or, for an answer that audits upheld, to its auditors.
	pub protocol_fee: Balance,
	/// To the providers, together.
	pub providers: Balance,
	/// Released back to the user.
	pub refund: Balance,
}

/// Settles a job's escrow: pays providers, the creator's royalty and the protocol fee from the
/// held escrow and releases the rest to its owner.
pub trait Settle<AccountId, Balance, Reason> {
	/// Settles `escrow` (held from `owner` under `reason`), paying for `what`. Never moves
	/// more than `escrow`. `auditors`: those whose reports upheld the answer, who share its
	/// protocol fee (none: the fee is the treasury's).
	fn settle(
		reason: &Reason,
		what: EscrowId,
		owner: &AccountId,
		escrow: Balance,
		creator: &AccountId,
		royalty_bps: BasisPoints,
		protocol_fee: Permill,
		payments: &[Payment<AccountId, Balance>],
		auditors: &[AccountId],
	) -> Result<Receipt<Balance>, DispatchError>;
}

/// What an attestation commits to. The operator key signs the SCALE encoding of this struct,
/// prefixed with [`ATTESTATION_CONTEXT`], so a signature over anything else never verifies.
#[derive(Clone, Encode, Decode, MaxEncodedLen, TypeInfo, Debug, PartialEq, Eq)]
pub struct AttestationPayload {
	/// The job answered.
	pub job: JobId,
	/// BLAKE2b-256 of the model file.
	pub model_hash: H256,
	/// The job's [`JobRequest::hash`] (prompt or messages, and sampling).
	pub request_hash: H256,
	/// The job's `max_tokens`.
	pub max_tokens: u32,
	/// BLAKE2b-256 of the output bytes.
	pub output_hash: H256,
	/// Tokens generated.
	pub tokens: u32,
	/// BLAKE2b-256 of the SCALE encoding of the generated tokens' ids (`Vec<u32>`).
	pub tokens_hash: H256,
	/// BLAKE2b-256 of the engine fingerprint string (llama.cpp build, SIMD, settings).
	pub engine: H256,
	/// The chain's genesis hash: a receipt names the chain it is for.
	pub genesis: H256,
}

/// The keystore key type of operator keys (`mosaic-node key insert --key-type mosc`).
pub const OPERATOR_KEY_TYPE: sp_core::crypto::KeyTypeId = sp_core::crypto::KeyTypeId(*b"mosc");

/// Domain separator for attestation signatures.
pub const ATTESTATION_CONTEXT: &[u8] = b"mosaic/attestation/v4";

impl AttestationPayload {
	/// The exact bytes the operator key signs.
	pub fn signing_bytes(&self) -> Vec<u8> {
		let mut bytes = ATTESTATION_CONTEXT.to_vec();
		self.encode_to(&mut bytes);
		bytes
	}
}
