//! # Marketplace runtime API
//!
//! Read-only views for wallets and the node's RPC (`mosaic_models`, `mosaic_providers`,
//! `mosaic_estimate`, `mosaic_job`): what a user needs before paying for a job and while
//! following one. The runtime implements [`MarketplaceApi`]; nothing here writes state.
//!
//! With `std`, the views serialise to JSON as the RPC returns them: camelCase fields, balances
//! as decimal strings (they exceed JavaScript's safe integers), bytes as `0x` hex.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;
use codec::{Codec, Decode, Encode};
use mosaic_primitives::{FileType, JobId, ModelId, Receipt};
use scale_info::TypeInfo;
use sp_core::H256;

#[cfg(feature = "std")]
use serde::Serialize;

/// Serialises a balance (any `Display`) as a decimal string.
#[cfg(feature = "std")]
fn decimal<S: serde::Serializer, T: core::fmt::Display>(v: &T, s: S) -> Result<S::Ok, S::Error> {
	s.collect_str(v)
}

/// Serialises bytes as `0x` hex.
#[cfg(feature = "std")]
fn hex<S: serde::Serializer, B: AsRef<[u8]>>(bytes: &B, s: S) -> Result<S::Ok, S::Error> {
	s.collect_str(&format_args!("0x{}", sp_core::hexdisplay::HexDisplay::from(&bytes.as_ref())))
}

/// Serialises bytes as text (UTF-8, invalid sequences replaced).
#[cfg(feature = "std")]
fn text<S: serde::Serializer, B: AsRef<[u8]>>(bytes: &B, s: S) -> Result<S::Ok, S::Error> {
	s.collect_str(&String::from_utf8_lossy(bytes.as_ref()))
}

/// Why a query cannot be answered. The RPC turns each into a JSON-RPC error.
#[derive(Clone, Copy, Encode, Decode, TypeInfo, Debug, PartialEq, Eq)]
pub enum QueryError {
	/// No model has this id.
	UnknownModel,
	/// The model is deprecated: it takes no new jobs.
	ModelDeprecated,
	/// `max_tokens` is zero.
	ZeroMaxTokens,
	/// `max_tokens` is above the runtime's maximum.
	MaxTokensTooLarge { max: u32 },
	/// No provider can take a job for this model now.
	NoEligibleProvider,
	/// No provider asks this little: bid at least `lowest_ask`.
	BidBelowEveryAsk { lowest_ask: u128 },
	/// `max_tokens × bid × providers` overflows the balance type.
	Overflow,
	/// `max_tokens` (plus 2) exceeds the model's context window, even with an empty prompt.
	ExceedsContext { context_length: u32 },
	/// Providers serve the model, but none declares terms (context, largest output, speed
	/// within the longest deadline) that cover `max_tokens`.
	NoProviderCovers,
	/// The bid is zero: a job must pay its provider.
	ZeroBid,
}

/// A registered model.
#[derive(Clone, Encode, Decode, TypeInfo, Debug, PartialEq, Eq)]
#[cfg_attr(
	feature = "std",
	derive(Serialize),
	serde(
		rename_all = "camelCase",
		bound(serialize = "AccountId: Serialize, Balance: core::fmt::Display")
	)
)]
pub struct ModelView<AccountId, Balance> {
	pub id: ModelId,
	/// The registered name (UTF-8 by convention).
	#[cfg_attr(feature = "std", serde(serialize_with = "hex"))]
	pub name: Vec<u8>,
	/// BLAKE2b-256 of the GGUF file.
	pub content_hash: H256,
	pub size_bytes: u64,
	/// GGUF `general.architecture`.
	#[cfg_attr(feature = "std", serde(serialize_with = "text"))]
	pub architecture: Vec<u8>,
	/// Number of weights.
	pub parameters: u64,
	/// The quantization, as llama.cpp names it (`Q4_1`, `IQ4_XS`, …).
	pub file_type: FileType,
	/// Trained context window, in tokens.
	pub context_length: u32,
	/// BLAKE2b-256 of its chat template; `null`: raw prompts only.
	pub chat_template: Option<H256>,
	pub creator: AccountId,
	pub royalty_bps: u16,
	#[cfg_attr(feature = "std", serde(serialize_with = "decimal"))]
	pub deposit: Balance,
	/// Deprecated models take no new jobs.
	pub deprecated: bool,
	/// Providers serving it.
	pub providers: u32,
}

/// The most models one page of [`MarketplaceApi::models`] returns.
pub const MODELS_PAGE: u32 = 100;

/// One page of the registered models, in id order.
#[derive(Clone, Encode, Decode, TypeInfo, Debug, PartialEq, Eq)]
#[cfg_attr(
	feature = "std",
	derive(Serialize),
	serde(
		rename_all = "camelCase",
		bound(serialize = "AccountId: Serialize, Balance: core::fmt::Display")
	)
)]
pub struct ModelsPage<AccountId, Balance> {
	pub models: Vec<ModelView<AccountId, Balance>>,
	/// The id to ask for the next page from; `null`: this was the last page.
	pub next: Option<ModelId>,
}

/// The most providers one page of [`MarketplaceApi::providers`] returns.
pub const PROVIDERS_PAGE: u32 = 100;

/// One page of the providers serving a model, in the order of their slots in the draw index.
#[derive(Clone, Encode, Decode, TypeInfo, Debug, PartialEq, Eq)]
#[cfg_attr(
	feature = "std",
	derive(Serialize),
	serde(
		rename_all = "camelCase",
		bound(serialize = "AccountId: Serialize, Balance: core::fmt::Display")
	)
)]
pub struct ProvidersPage<AccountId, Balance> {
	pub providers: Vec<ProviderView<AccountId, Balance>>,
	/// The slot to ask for the next page from; `null`: this was the last page.
	pub next: Option<u32>,
	/// How many providers serve the model.
	pub total: u32,
}

/// A provider serving a model.
#[derive(Clone, Encode, Decode, TypeInfo, Debug, PartialEq, Eq)]
#[cfg_attr(
	feature = "std",
	derive(Serialize),
	serde(
		rename_all = "camelCase",
		bound(serialize = "AccountId: Serialize, Balance: core::fmt::Display")
	)
)]
pub struct ProviderView<AccountId, Balance> {
	pub provider: AccountId,
	pub operator: AccountId,
	/// Price per output token.
	#[cfg_attr(feature = "std", serde(serialize_with = "decimal"))]
	pub ask: Balance,
	#[cfg_attr(feature = "std", serde(serialize_with = "decimal"))]
	pub bond: Balance,
	/// Can take a job now at a bid of its ask (active, bonded, under its concurrency limit).
	pub eligible: bool,
	pub paused: bool,
	pub active_jobs: u32,
	pub max_concurrent_jobs: u16,
	/// Its declared engine fingerprint.
	pub engine: H256,
	pub completed: u32,
	pub timed_out: u32,
	pub outvoted: u32,
	/// Jobs its node declined (no slash).
	pub declined: u32,
	/// Reputation score in (0, 1000]; the draw weighs bond × score.
	pub score: u32,
	/// What it declared it runs for this model: jobs it is assigned fit these.
	pub terms: Option<mosaic_primitives::ServingTerms>,
}

/// What a job would hold and pay.
#[derive(Clone, Encode, Decode, TypeInfo, Debug, PartialEq, Eq)]
#[cfg_attr(
	feature = "std",
	derive(Serialize),
	serde(rename_all = "camelCase", bound(serialize = "Balance: core::fmt::Display"))
)]
pub struct Estimate<Balance> {
	/// The bid per token used: the one given, or the quote: the lowest at which every window
	/// of the model's index a draw may read (of those looked at) has a provider for the job
	/// (`pallet_mosaic_jobs::quote`).
	#[cfg_attr(feature = "std", serde(serialize_with = "decimal"))]
	pub bid: Balance,
	/// Providers eligible at that bid, among those looked at (all in a market of up to
	/// `pallet_mosaic_jobs::QUOTE_SLOTS`).
	pub eligible: u32,
	/// Held on submission: `max_tokens × bid`.
	#[cfg_attr(feature = "std", serde(serialize_with = "decimal"))]
	pub escrow: Balance,
	/// The most the job can cost when its executor produces `max_tokens` at the bid:
	/// `max_tokens × bid`. The executor is paid its ask, so it is often less.
	#[cfg_attr(feature = "std", serde(serialize_with = "decimal"))]
	pub max_cost: Balance,
	/// How `max_cost` would split: the creator's royalty …
	#[cfg_attr(feature = "std", serde(serialize_with = "decimal"))]
	pub royalty: Balance,
	/// … the protocol fee …
	#[cfg_attr(feature = "std", serde(serialize_with = "decimal"))]
	pub protocol_fee: Balance,
	/// … and the providers' share.
	#[cfg_attr(feature = "std", serde(serialize_with = "decimal"))]
	pub providers: Balance,
	/// Refunded at least: `escrow − max_cost`.
	#[cfg_attr(feature = "std", serde(serialize_with = "decimal"))]
	pub min_refund: Balance,
	/// Held on submission besides the escrow, for the state the job takes; returned in full
	/// when its record is pruned (a day after it closes).
	#[cfg_attr(feature = "std", serde(serialize_with = "decimal"))]
	pub deposit: Balance,
}

/// Where a job stands.
#[derive(Clone, Copy, Encode, Decode, TypeInfo, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "std", derive(Serialize), serde(rename_all = "camelCase"))]
pub enum JobState {
	/// Waiting for its executor's answer.
	Pending,
	Settled,
	Refunded,
	Cancelled,
	/// Answered; paid when the challenge window closes unless an audit is drawn.
	Challenge,
	/// Its answer is being audited.
	Auditing,
}

/// Where a provider's part of a job stands.
#[derive(Clone, Copy, Encode, Decode, TypeInfo, Debug, PartialEq, Eq)]
#[cfg_attr(
	feature = "std",
	derive(Serialize),
	serde(rename_all = "camelCase", rename_all_fields = "camelCase")
)]
pub enum AssignmentView {
	Waiting,
	Answered {
		output_hash: H256,
		tokens: u32,
	},
	TimedOut,
	/// Its node declined the job: replaced, not slashed.
	Declined,
	/// An auditor's report and the chain's finding.
	Audited {
		finding: mosaic_primitives::Finding,
		tokens: u32,
		spelled: bool,
		misses: u32,
		end_miss: bool,
		z_milli: i32,
		mean_logprob_milli: i32,
	},
}

/// A provider assigned to a job, with its answer if it gave one.
#[derive(Clone, Encode, Decode, TypeInfo, Debug, PartialEq, Eq)]
#[cfg_attr(
	feature = "std",
	derive(Serialize),
	serde(
		rename_all = "camelCase",
		bound(
			serialize = "AccountId: Serialize, Balance: core::fmt::Display, BlockNumber: Serialize"
		)
	)
)]
pub struct AssignedView<AccountId, Balance, BlockNumber> {
	pub provider: AccountId,
	/// `executor` or `auditor`.
	pub role: AssignmentRole,
	#[cfg_attr(feature = "std", serde(serialize_with = "decimal"))]
	pub price: Balance,
	pub state: AssignmentView,
	/// Its output, when it answered (read from the block at `answered_at` by the node's
	/// `mosaic_job` once the job has closed; empty from the runtime API then).
	#[cfg_attr(feature = "std", serde(serialize_with = "hex"))]
	pub output: Vec<u8>,
	/// The block its answer was included in.
	pub answered_at: Option<BlockNumber>,
}

/// What an assigned provider does for a job.
#[derive(Clone, Copy, Encode, Decode, TypeInfo, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "std", derive(Serialize), serde(rename_all = "camelCase"))]
pub enum AssignmentRole {
	Executor,
	Auditor,
	/// Drawn to confirm or overrule another auditor's finding of fraud.
	Committee,
}

/// A chat message of a job.
#[derive(Clone, Encode, Decode, TypeInfo, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "std", derive(Serialize), serde(rename_all = "camelCase"))]
pub struct MessageView {
	pub role: mosaic_primitives::Role,
	/// UTF-8 text (checked at submission).
	#[cfg_attr(feature = "std", serde(serialize_with = "text"))]
	pub content: Vec<u8>,
}

/// A job's sampling settings, in the chain's units (see `mosaic_primitives::Sampling`).
#[derive(Clone, Encode, Decode, TypeInfo, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "std", derive(Serialize), serde(rename_all = "camelCase"))]
pub struct SamplingView {
	/// Hundredths; 0 is greedy.
	pub temperature: u16,
	/// Basis points; 10 000 is off.
	pub top_p: u16,
	/// 0 is off.
	pub top_k: u32,
	pub seed: u32,
	/// Stop sequences, as `0x` hex.
	#[cfg_attr(feature = "std", serde(serialize_with = "hex_list"))]
	pub stop: Vec<Vec<u8>>,
}

/// Serialises byte strings as a list of `0x` hex.
#[cfg(feature = "std")]
fn hex_list<S: serde::Serializer>(list: &[Vec<u8>], s: S) -> Result<S::Ok, S::Error> {
	s.collect_seq(
		list.iter().map(|b| format!("0x{}", sp_core::hexdisplay::HexDisplay::from(&b.as_slice()))),
	)
}

impl From<mosaic_primitives::Sampling> for SamplingView {
	fn from(s: mosaic_primitives::Sampling) -> Self {
		Self {
			temperature: s.temperature,
			top_p: s.top_p,
			top_k: s.top_k,
			seed: s.seed,
			stop: s.stop,
		}
	}
}

/// A job, with its assignments, answers and receipt.
#[derive(Clone, Encode, Decode, TypeInfo, Debug, PartialEq, Eq)]
#[cfg_attr(
	feature = "std",
	derive(Serialize),
	serde(
		rename_all = "camelCase",
		bound(
			serialize = "AccountId: Serialize, Balance: core::fmt::Display, BlockNumber: Serialize"
		)
	)
)]
pub struct JobView<AccountId, Balance, BlockNumber> {
	pub id: JobId,
	pub owner: AccountId,
	pub model: ModelId,
	pub model_hash: H256,
	/// A raw prompt (empty for a chat job).
	#[cfg_attr(feature = "std", serde(serialize_with = "hex"))]
	pub prompt: Vec<u8>,
	/// A chat job's messages (empty for a raw prompt).
	pub messages: Vec<MessageView>,
	pub sampling: SamplingView,
	/// What attestations sign: BLAKE2b-256 of the request's SCALE encoding.
	pub request_hash: H256,
	pub max_tokens: u32,
	#[cfg_attr(feature = "std", serde(serialize_with = "decimal"))]
	pub bid: Balance,
	/// Whether the request samples (audits then judge typicality too).
	pub sampled: bool,
	pub engine: H256,
	/// The deposit held for the job's state until its record is pruned.
	#[cfg_attr(feature = "std", serde(serialize_with = "decimal"))]
	pub deposit: Balance,
	/// The block whose body carries the request.
	pub submitted_at: BlockNumber,
	/// The request and the answer have left state (the job closed): the node's `mosaic_job`
	/// reads them from the blocks at `submitted_at` and the executor's `answered_at`.
	pub pruned: bool,
	/// Still held (zero once the job ended).
	#[cfg_attr(feature = "std", serde(serialize_with = "decimal"))]
	pub escrow: Balance,
	pub state: JobState,
	pub deadline: BlockNumber,
	pub assignments: Vec<AssignedView<AccountId, Balance, BlockNumber>>,
	/// The executor's answer: output hash and tokens.
	pub outcome: Option<(H256, u32)>,
	pub receipt: Option<ReceiptView<Balance>>,
}

impl<AccountId, Balance, BlockNumber> JobView<AccountId, Balance, BlockNumber> {
	/// Shows `request` as the job's prompt or chat messages, and its sampling.
	pub fn show_request(&mut self, request: mosaic_primitives::JobRequest) {
		use mosaic_primitives::Input;
		self.sampling = request.sampling.into();
		match request.input {
			Input::Text(prompt) => {
				self.prompt = prompt;
				self.messages = Vec::new();
			}
			Input::Chat(messages) => {
				self.prompt = Vec::new();
				self.messages = messages
					.into_iter()
					.map(|m| MessageView { role: m.role, content: m.content })
					.collect();
			}
		}
	}
}

/// A settled job's receipt.
#[derive(Clone, Encode, Decode, TypeInfo, Debug, PartialEq, Eq)]
#[cfg_attr(
	feature = "std",
	derive(Serialize),
	serde(rename_all = "camelCase", bound(serialize = "Balance: core::fmt::Display"))
)]
pub struct ReceiptView<Balance> {
	#[cfg_attr(feature = "std", serde(serialize_with = "decimal"))]
	pub paid: Balance,
	#[cfg_attr(feature = "std", serde(serialize_with = "decimal"))]
	pub royalty: Balance,
	#[cfg_attr(feature = "std", serde(serialize_with = "decimal"))]
	pub protocol_fee: Balance,
	#[cfg_attr(feature = "std", serde(serialize_with = "decimal"))]
	pub providers: Balance,
	#[cfg_attr(feature = "std", serde(serialize_with = "decimal"))]
	pub refund: Balance,
}

impl<Balance> From<Receipt<Balance>> for ReceiptView<Balance> {
	fn from(r: Receipt<Balance>) -> Self {
		Self {
			paid: r.paid,
			royalty: r.royalty,
			protocol_fee: r.protocol_fee,
			providers: r.providers,
			refund: r.refund,
		}
	}
}

sp_api::decl_runtime_apis! {
	/// Read-only views of the marketplace. Version 2: `models` is paged. Version 3: jobs
	/// show their deposit and the blocks that carry their bytes; estimates the deposit.
	/// Version 4: `providers` is paged.
	#[api_version(4)]
	pub trait MarketplaceApi<AccountId, Balance, BlockNumber>
	where
		AccountId: Codec,
		Balance: Codec,
		BlockNumber: Codec,
	{
		/// Up to `limit` (at most [`MODELS_PAGE`]) registered models with ids from `from`, in
		/// id order, and where the next page starts. Bounded work: it looks at no more than
		/// 4 × [`MODELS_PAGE`] ids (removed models leave gaps).
		fn models(from: ModelId, limit: u32) -> ModelsPage<AccountId, Balance>;
		/// Up to `limit` (at most [`PROVIDERS_PAGE`]) of the providers serving `model`,
		/// eligible or not, from slot `from` of its draw index, and where the next page
		/// starts. A slot freed by a provider that stops serving takes the last provider, so
		/// pages read at different blocks may miss or repeat one: read them `at` one block.
		fn providers(
			model: ModelId,
			from: u32,
			limit: u32,
		) -> Result<ProvidersPage<AccountId, Balance>, QueryError>;
		/// What a job would hold and cost. `bid: None` uses the quote: the lowest bid at
		/// which a provider can take the job wherever the draw looks (bounded reads, see
		/// `pallet_mosaic_jobs::quote`).
		fn estimate(
			model: ModelId,
			max_tokens: u32,
			bid: Option<Balance>,
		) -> Result<Estimate<Balance>, QueryError>;
		/// A job, if there is one with this id.
		fn job(job: JobId) -> Option<JobView<AccountId, Balance, BlockNumber>>;
	}
}
