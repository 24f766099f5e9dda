//! # Jobs
//!
//! Users pay for LLM inference here. A job escrows its maximum cost and is given to one
//! executor, drawn by weight; the executor's answer is paid after a short challenge window,
//! unless an audit drawn when the window closes finds it fraudulent. Audits re-score the
//! answer by teacher forcing on other providers' hardware (see `mosaic_primitives::audit`):
//! bit-exact agreement between machines is never assumed, and nothing can be copied.
//!
//! ## A job, from submission to settlement
//!
//! 1. **Submission** — [`Pallet::submit_job`]`(model, prompt, max_tokens, bid)` (or
//!    [`Pallet::submit_request`] for chat and sampling). The model must accept jobs; the prompt
//!    is at most [`Config::MaxPromptLen`] bytes, `max_tokens` at most
//!    [`Config::MaxOutputTokens`]; the bid is not zero. The escrow `max_tokens × bid` and a
//!    deposit for the state the job takes ([`Pallet::deposit_for`]) are held from the user in
//!    one hold under [`HoldReason::Job`]; the job records each amount. The job copies the
//!    model's hash, creator and royalty and the protocol fee, so later changes do not touch it.
//! 2. **Assignment** — one executor is drawn with chances proportional to bond × reputation
//!    among the providers [`Pallet::eligible`] for the job: serving the model on terms that
//!    cover it (prompt bytes + 2 + `max_tokens` within the declared context, `max_tokens`
//!    within the declared largest output, the declared speed within [`Config::JobTimeout`]),
//!    active, bonded at least the minimum, ask ≤ bid, under their concurrency limit. Nobody
//!    eligible: a typed error, nothing held.
//! 3. **Execution** — the executor's node runs the job and sends [`Pallet::submit_result`]
//!    (an authorized transaction: no signer, nonce or fee) with the output, the ids of its
//!    tokens, and an attestation (its operator key's signature over
//!    [`mosaic_primitives::AttestationPayload`]). A node that cannot run the job sends
//!    [`Pallet::decline_job`]: reputation lost, not stake; another executor is drawn at once.
//!    An executor silent at the deadline ([`Config::MinJobTimeout`] plus its declared decode
//!    time) loses [`Config::AbsentSlash`] and is replaced once; then the job is refunded.
//! 4. **Challenge** — the answer waits [`Config::ChallengeWindow`] blocks. When the window
//!    closes, with randomness from that block (unknown to the executor when it answered), an
//!    audit is drawn with [`Pallet::audit_chance`]: [`Config::AuditChance`], more for new and
//!    low-reputation providers. Not audited: the executor is paid.
//! 5. **Audit** — one auditor (a share of audits: two) is drawn among the other providers
//!    eligible for the job, any engine; its node re-scores the answer and sends
//!    [`Pallet::submit_audit`] with the statistics it measured; the chain judges them with
//!    `mosaic_primitives::audit::judge`. All honest: the executor is paid, and the job's
//!    protocol fee pays the auditors that upheld the answer (not the treasury). A finding of
//!    fraud, or two reports whose statistics disagree, draws a committee of two more
//!    auditors; then the majority decides: fraud slashes the executor [`Config::FraudSlash`]
//!    (a share to the first auditor that found it) and refunds the owner in full; every
//!    auditor on the losing side, and one whose statistics agree with fewer than half of the
//!    others', loses [`Config::OutvotedSlash`]. An even split refunds the owner and judges
//!    nobody. Silent auditors lose [`Config::AbsentSlash`]; with no report at all the answer
//!    is paid.
//! 6. **Settlement** — `tokens × the executor's ask` is split between the creator's royalty,
//!    the protocol fee (the treasury's, or an upheld audit's auditors') and the executor (see
//!    `pallet_mosaic_settlement`); the rest of the escrow returns to the user.
//! 7. **Retention** — a job closes when it is settled or refunded: its request and answer
//!    leave state at once (the receipt keeps their hashes and the blocks whose bodies carry
//!    the bytes, which the node's `mosaic_job` reads back); the record itself is pruned
//!    [`Config::ReceiptRetention`] blocks later, through the same queue as deadlines, and the
//!    deposit returns to the owner.
//!
//! The owner cannot take a job back: the executor may start the moment it is assigned, so a
//! cancel would be free inference. A job nobody answers is refunded at its deadline.
//!
//! ## Invariants (checked by `try_state`)
//!
//! 1. For every account, the balance held under [`HoldReason::Job`] equals the sum of the
//!    escrow of its open jobs (pending, in their challenge window, or audited) and of the
//!    deposits of its jobs still stored, open or closed; closed jobs hold no escrow. The
//!    deposits of jobs from before storage version 6 (below [`OneHoldFrom`]) are held under
//!    [`HoldReason::JobDepositBeforeV6`] instead, which holds nothing else.
//! 2. Every job is queued in [`Deadlines`] at its deadline (an open job's next stage, a closed
//!    job's pruning), and nothing else is queued; no entry is before [`DueFrom`], where
//!    processing resumes (so none is skipped).
//! 3. A pending job waits for an executor and has no answer; an audited one waits for an
//!    auditor and has one answer; one in its challenge window waits for nobody and has one
//!    answer. No job has more than one answer, and a job records an outcome exactly when it
//!    has one. Every open job's deadline is at most [`Config::JobTimeout`] from now.
//! 4. A job's assignments name distinct providers, each paid at most the bid.
//! 5. Only open jobs have a request in [`Requests`] and an answer in [`Results`]; neither
//!    exists without its job.
//! 6. Each provider's jobs in flight (the registry's count) are its assignments in open jobs
//!    that are waiting, answered or reported; those answered or reported are the registry's
//!    answered count (they no longer hold a concurrency slot).
//! 7. Each provider's [`Exposure`] is its price × `max_tokens` summed over the open jobs it
//!    was drawn to execute, and at most `FraudSlash` of its bond when each was drawn.

#![cfg_attr(not(feature = "std"), no_std)]
// Tests may index and do plain arithmetic; runtime code may not.
#![cfg_attr(test, allow(clippy::arithmetic_side_effects, clippy::indexing_slicing))]

extern crate alloc;

pub use pallet::*;

mod assignment;
pub mod audit;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod block;
pub mod crypto;
#[cfg(feature = "runtime-benchmarks")]
pub use benchmarking::BenchmarkHelper;
mod deadlines;
mod decision;
mod deposit;
mod escrow;
mod execution;
mod holds;
pub mod migrations;
#[cfg(test)]
mod mock;
pub mod offchain;
mod quote;
mod submission;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

pub use quote::{Quote, QUOTE_SLOTS, QUOTE_WINDOWS};
pub use types::*;
pub use weights::WeightInfo;

#[frame_support::pallet]
#[allow(clippy::expect_used)] // FRAME's macro expansion calls `expect` with proofs.
pub mod pallet {
	use super::*;
	use crate::assignment::{TRIES, WINDOW};
	use alloc::vec::Vec;
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, Mutate, MutateHold},
			Randomness,
		},
	};
	use frame_system::{
		ensure_authorized,
		offchain::{AppCrypto, CreateAuthorizedTransaction, SigningTypes},
		pallet_prelude::*,
	};
	use mosaic_primitives::{
		AttestationPayload, AuditReport, Finding, JobId, JobRequest, ModelId, ModelRegistry,
		ProviderRegistry, Receipt, Settle,
	};
	use sp_core::H256;
	use sp_runtime::{
		traits::{IdentifyAccount, Verify},
		Perbill, Permill,
	};

	/// The balance type of [`Config::Currency`].
	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
	/// The hold reason type of [`Config::Currency`].
	pub type ReasonOf<T> = <T as Config>::RuntimeHoldReason;
	/// A job of this runtime.
	pub type JobOf<T> = Job<
		<T as frame_system::Config>::AccountId,
		BalanceOf<T>,
		BlockNumberFor<T>,
		MaxAssignmentsOf<T>,
	>;
	/// A stored result of this runtime.
	pub type ResultOf<T> = StoredResult<
		<T as frame_system::Config>::AccountId,
		<T as Config>::AttestationSignature,
		BlockNumberFor<T>,
		<T as Config>::MaxOutputLen,
		<T as Config>::MaxOutputTokens,
	>;

	/// Most assignments a job can have: its executor and [`MAX_EXECUTOR_REPLACEMENTS`]
	/// replacements, [`AUDITORS_DOUBLE`] auditors and a committee of [`COMMITTEE_SIZE`],
	/// each with [`MAX_AUDITOR_REPLACEMENTS`] replacements in all.
	pub struct MaxAssignmentsOf<T>(PhantomData<T>);
	impl<T: Config> Get<u32> for MaxAssignmentsOf<T> {
		fn get() -> u32 {
			MAX_ASSIGNMENTS
		}
	}

	/// Executors drawn after the first one (declines and one reassignment share them).
	pub const MAX_EXECUTOR_REPLACEMENTS: u32 = 3;
	/// Auditors drawn in place of ones that declined.
	pub const MAX_AUDITOR_REPLACEMENTS: u32 = 3;
	/// Auditors of a job drawn twice (a share of the audits, see [`DOUBLE_AUDIT_SHARE`]).
	pub const AUDITORS_DOUBLE: u32 = 2;
	/// Auditors drawn to confirm or overrule a finding of fraud.
	pub const COMMITTEE_SIZE: u32 = 2;
	/// The bound of a job's assignments.
	pub const MAX_ASSIGNMENTS: u32 =
		1 + MAX_EXECUTOR_REPLACEMENTS + AUDITORS_DOUBLE + COMMITTEE_SIZE + MAX_AUDITOR_REPLACEMENTS;
	/// Of the audits drawn, the share given two auditors instead of one: their reports must
	/// agree, so an auditor that approves without running is found out.
	pub const DOUBLE_AUDIT_SHARE: Perbill = Perbill::from_percent(25);
	/// Providers with fewer completed jobs than this are audited at least at
	/// [`Config::NewcomerAuditChance`].
	pub const NEWCOMER_JOBS: u32 = 20;

	/// The longest stored request: `MaxPromptLen` bytes of text plus the encoding's overhead
	/// ([`mosaic_primitives::REQUEST_OVERHEAD`]).
	pub struct MaxRequestLenOf<T>(PhantomData<T>);
	impl<T: Config> Get<u32> for MaxRequestLenOf<T> {
		fn get() -> u32 {
			T::MaxPromptLen::get().saturating_add(mosaic_primitives::REQUEST_OVERHEAD)
		}
	}

	/// v1: `Prompts` (raw bytes) became `Requests` (encoded [`JobRequest`]s); v2: jobs record
	/// their protocol fee; v3: one executor and audits, answers with token ids; v4: the
	/// deadline queue has no per-block bound; v5: closed jobs drop their request and answer,
	/// jobs hold a deposit and are pruned; v6: a job's escrow and deposit are one hold
	/// ([`OneHoldFrom`]). See [`crate::migrations`].
	pub(crate) const STORAGE_VERSION: StorageVersion = StorageVersion::new(6);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config:
		frame_system::Config + SigningTypes + CreateAuthorizedTransaction<Call<Self>>
	{
		/// The overarching event type.
		#[allow(deprecated)]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;

		/// The currency in which escrow is held.
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ Mutate<Self::AccountId>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason> + Parameter + MaxEncodedLen;

		/// The model registry.
		type Models: ModelRegistry<Self::AccountId>;

		/// The provider registry: eligibility, concurrency, reputation, slashing.
		type Providers: ProviderRegistry<Self::AccountId, BalanceOf<Self>>;

		/// Pays out a decided job's escrow.
		type Settlement: Settle<Self::AccountId, BalanceOf<Self>, Self::RuntimeHoldReason>;

		/// The treasury's share of each provider payment. A job keeps the rate it was
		/// submitted with, so a change by governance applies to new jobs only.
		#[pallet::constant]
		type ProtocolFee: Get<Permill>;

		/// Seeds the executor and auditor draws. It must be unknown to whoever signs the
		/// transaction that triggers a draw: in the Mosaic runtime it is the VRF output of the
		/// block being built (BABE), which its author computes only when it authors and cannot
		/// choose, only withhold by not authoring.
		type Randomness: Randomness<Self::Hash, BlockNumberFor<Self>>;

		/// The signature of operator keys over attestations.
		type AttestationSignature: Verify<Signer: IdentifyAccount<AccountId = Self::AccountId>>
			+ Parameter
			+ MaxEncodedLen
			+ From<<Self as SigningTypes>::Signature>;

		/// How the off-chain worker signs with the keystore's operator keys (see
		/// [`crate::crypto::OperatorCrypto`]).
		type OperatorCrypto: AppCrypto<Self::Public, <Self as SigningTypes>::Signature>;

		/// Longest prompt, in bytes.
		#[pallet::constant]
		type MaxPromptLen: Get<u32>;

		/// Longest output, in bytes.
		#[pallet::constant]
		type MaxOutputLen: Get<u32>;

		/// Most tokens a job may ask for (bounds the token ids a result carries).
		#[pallet::constant]
		type MaxOutputTokens: Get<u32>;

		/// Blocks between an answer and its payment, in which an audit may be drawn. The draw
		/// happens when the window closes, with randomness the executor could not know.
		#[pallet::constant]
		type ChallengeWindow: Get<u32>;

		/// The chance that an answer is audited.
		#[pallet::constant]
		type AuditChance: Get<Perbill>;

		/// The chance that an answer of a provider with fewer than [`NEWCOMER_JOBS`]
		/// completed jobs is audited (a provider of low reputation is audited at least at
		/// one minus its reputation).
		#[pallet::constant]
		type NewcomerAuditChance: Get<Perbill>;

		/// The share of its stake an executor loses when a committee confirms its answer was
		/// fraudulent.
		#[pallet::constant]
		type FraudSlash: Get<Perbill>;

		/// The longest a job may be given to be answered, in blocks: providers whose declared
		/// speed needs longer for a job are not assigned it.
		#[pallet::constant]
		type JobTimeout: Get<BlockNumberFor<Self>>;

		/// Blocks every job gets besides its decoding time: the job's and the answer's
		/// inclusion and the prompt's processing.
		#[pallet::constant]
		type MinJobTimeout: Get<u32>;

		/// The target block time, in milliseconds: turns a declared decode time into blocks.
		#[pallet::constant]
		type MillisecsPerBlock: Get<u64>;

		/// Storage keys that most of a block's transactions read (in the runtime, the
		/// marketplace parameters a submission reads): the hook reads each once at the start of
		/// every block, charged as a read, so the transactions after it read them from the
		/// cache. The runtime's benchmarks whitelist the same keys.
		type HotKeys: Get<Vec<Vec<u8>>>;

		/// The most due jobs one block processes (bounds each block's work); jobs beyond wait
		/// for the next block. Not a bound on how many jobs may be due at one block.
		#[pallet::constant]
		type MaxJobsPerBlock: Get<u32>;

		/// The most jobs one block accepts (`submit_job`s beyond fail with
		/// [`Error::BlockFullOfJobs`], to be sent again in the next block). A job comes due at
		/// least twice (its answer's window closes, its record is pruned), three or four times
		/// when it is reassigned or audited: at most `MaxJobsPerBlock / 3` jobs a block keep
		/// the queue from growing however most jobs end (the runtime asserts it at compile
		/// time).
		#[pallet::constant]
		type MaxSubmissionsPerBlock: Get<u32>;

		/// The share of its stake an absent provider loses.
		#[pallet::constant]
		type AbsentSlash: Get<Perbill>;

		/// The deposit every job holds besides its bytes (see [`Pallet::deposit_for`]).
		#[pallet::constant]
		type DepositBase: Get<BalanceOf<Self>>;

		/// The deposit per byte of the most state a job can take (see
		/// [`Pallet::deposit_for`]).
		#[pallet::constant]
		type DepositPerByte: Get<BalanceOf<Self>>;

		/// Blocks a closed job's record (its receipt) stays in state before it is pruned and
		/// its deposit returned.
		#[pallet::constant]
		type ReceiptRetention: Get<BlockNumberFor<Self>>;

		/// The share of its stake an auditor loses when the committee's majority contradicts
		/// its finding.
		#[pallet::constant]
		type OutvotedSlash: Get<Perbill>;

		/// Weights of this pallet's calls and hooks.
		type WeightInfo: WeightInfo;

		/// Sets up markets and signs attestations for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: crate::BenchmarkHelper<Self::AccountId, Self::AttestationSignature>;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// What jobs hold from their owner, in one hold: the escrow of each open job and the
		/// deposit of each job still stored (each job records its two amounts).
		#[codec(index = 0)]
		Job,
		/// The deposit of a job submitted before storage version 6, held on its own until the
		/// job is pruned ([`OneHoldFrom`]). Nothing new is held under it.
		#[codec(index = 1)]
		JobDepositBeforeV6,
	}

	/// The first job whose deposit is held with its escrow under [`HoldReason::Job`]: the jobs
	/// before it were submitted before storage version 6 and hold their deposit under
	/// [`HoldReason::JobDepositBeforeV6`] until they are pruned. Zero on a chain that began at
	/// v6 or later.
	#[pallet::storage]
	pub type OneHoldFrom<T> = StorageValue<_, JobId, ValueQuery>;

	/// The id the next job gets.
	#[pallet::storage]
	pub type NextJobId<T> = StorageValue<_, JobId, ValueQuery>;

	/// Jobs. `Twox64Concat`: ids are assigned sequentially by the pallet.
	#[pallet::storage]
	pub type Jobs<T: Config> = StorageMap<_, Twox64Concat, JobId, JobOf<T>>;

	/// Each open job's request: the SCALE encoding of its [`JobRequest`] (prompt or chat
	/// messages, and sampling), checked at submission; removed when the job closes.
	/// `Twox64Concat`: ids are assigned sequentially by the pallet.
	#[pallet::storage]
	pub type Requests<T: Config> =
		StorageMap<_, Twox64Concat, JobId, BoundedVec<u8, MaxRequestLenOf<T>>>;

	/// The answer to each open job, by provider: output and attestation; removed when the job
	/// closes. `Twox64Concat` for the
	/// job id (sequential); `Blake2_128Concat` for the provider (user-chosen account).
	#[pallet::storage]
	pub type Results<T: Config> =
		StorageDoubleMap<_, Twox64Concat, JobId, Blake2_128Concat, T::AccountId, ResultOf<T>>;

	/// Jobs by the block they are due at, `(deadline, job)`: open jobs at their next stage,
	/// closed ones at their pruning; no bound per block (see [`crate::deadlines`]). `Twox64Concat`: block numbers and job ids are not user-chosen.
	#[pallet::storage]
	pub type Deadlines<T: Config> =
		StorageDoubleMap<_, Twox64Concat, BlockNumberFor<T>, Twox64Concat, JobId, (), OptionQuery>;

	/// The block from which the deadline queue still has jobs to process: every queued job is
	/// due at this block or later. Read and written by the hook at the start of every block,
	/// so a block's transactions read it from the cache (whitelisted; the hook charges its
	/// read and write).
	#[pallet::storage]
	#[pallet::whitelist_storage]
	pub type DueFrom<T: Config> = StorageValue<_, BlockNumberFor<T>, ValueQuery>;

	/// How many jobs the block being built has accepted (see
	/// [`Config::MaxSubmissionsPerBlock`]). Cleared at the end of the block, so it never
	/// reaches the state (whitelisted).
	#[pallet::storage]
	#[pallet::whitelist_storage]
	pub(crate) type Submitted<T: Config> = StorageValue<_, u32, ValueQuery>;

	/// What each provider could still be paid from the escrow of the open jobs it executes
	/// (its price × their `max_tokens`), at most `FraudSlash` of its bond: nobody can take
	/// more in flight than a conviction costs it (see [`Pallet::exposure_allows`]). Released
	/// when the job closes. Absent for none. `Blake2_128Concat`: keys are user-chosen
	/// accounts.
	#[pallet::storage]
	pub type Exposure<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, BalanceOf<T>, ValueQuery>;

	/// The randomness of the block being built, as [`Config::Randomness`] gives it: worked
	/// out once by the hook at the start of the block, and every draw of the block seeded
	/// from it ([`Pallet::seed`]). Cleared at the end of the block, so it never reaches the
	/// state (whitelisted).
	#[pallet::storage]
	#[pallet::whitelist_storage]
	pub(crate) type BlockSeed<T: Config> = StorageValue<_, [u8; 32], OptionQuery>;

	/// The weight of the work whose cost depends on the path a job takes, done since the
	/// running hook or call began (see [`PathWeights`]). The hook and the calls charge the
	/// paths they took, not the worst they could. Bookkeeping of weight (whitelisted: not
	/// charged as storage; cleared every block).
	#[pallet::storage]
	#[pallet::whitelist_storage]
	pub(crate) type PathWeight<T: Config> = StorageValue<_, PathWeights, ValueQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A job was submitted and its escrow and deposit held.
		JobSubmitted {
			job: JobId,
			owner: T::AccountId,
			model: ModelId,
			escrow: BalanceOf<T>,
			deposit: BalanceOf<T>,
			deadline: BlockNumberFor<T>,
		},
		/// A provider was assigned to the job at `price` per token.
		ProviderAssigned { job: JobId, provider: T::AccountId, price: BalanceOf<T> },
		/// A provider answered, with a verified attestation.
		ResultSubmitted { job: JobId, provider: T::AccountId, output_hash: H256, tokens: u32 },
		/// A provider's node declined the job: no slash; it is replaced if anyone is eligible.
		ProviderDeclined { job: JobId, provider: T::AccountId, reason: DeclineReason },
		/// A provider did not answer before the deadline and was slashed.
		ProviderTimedOut { job: JobId, provider: T::AccountId, slashed: BalanceOf<T> },
		/// An auditor was drawn to re-score the job's answer (`committee`: to confirm or
		/// overrule another auditor's finding of fraud).
		AuditorAssigned { job: JobId, auditor: T::AccountId, committee: bool },
		/// An auditor reported; the chain judged its report.
		AuditReported { job: JobId, auditor: T::AccountId, finding: Finding, report: AuditReport },
		/// The audits' majority found the answer fraudulent: the executor was slashed, the
		/// owner refunded in full.
		FraudConfirmed { job: JobId, executor: T::AccountId, slashed: BalanceOf<T> },
		/// The audits could judge nobody: fewer than [`audit::MIN_JUDGING_REPORTS`] reports
		/// (no committee could be drawn, or its members stayed away), or as many findings of
		/// fraud as not. No slash, no reward; the answer is paid. `reports`: how many reported,
		/// `fraud`: how many of them found fraud.
		AuditInconclusive { job: JobId, reports: u32, fraud: u32 },
		/// The audits' majority contradicted this auditor's finding: it was slashed.
		AuditorOverruled { job: JobId, auditor: T::AccountId, slashed: BalanceOf<T> },
		/// The job was decided and paid; `receipt` sums up the settlement.
		JobSettled { job: JobId, output_hash: H256, tokens: u32, receipt: Receipt<BalanceOf<T>> },
		/// Nothing could be decided: the escrow was refunded in full.
		JobRefunded { job: JobId, owner: T::AccountId, amount: BalanceOf<T> },
		/// The job's deadline moved (a replacement needs longer than the job had left).
		DeadlineExtended { job: JobId, deadline: BlockNumberFor<T> },
		/// A closed job's record was pruned and its deposit returned to the owner.
		JobPruned { job: JobId, owner: T::AccountId, deposit: BalanceOf<T> },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The prompt is longer than `MaxPromptLen`.
		PromptTooLong,
		/// The prompt is empty.
		EmptyPrompt,
		/// The output is longer than `MaxOutputLen`.
		OutputTooLong,
		/// No model has this id.
		ModelNotRegistered,
		/// The model is deprecated and takes no new jobs.
		ModelDeprecated,
		/// `max_tokens` is zero.
		ZeroMaxTokens,
		/// `max_tokens` is above `MaxOutputTokens`.
		MaxTokensTooLarge,
		/// Providers serve this model, but every ask is above the bid: bid more.
		BidBelowEveryAsk,
		/// No provider can take this job now (none serves the model, or all are paused,
		/// under-bonded or busy).
		NoEligibleProvider,
		/// Providers serve this model, but none declares a context window, largest output or
		/// speed that covers this job within `JobTimeout`: shorten the prompt or ask for fewer
		/// tokens (`mosaic_providers` shows each provider's terms).
		NoProviderCovers,
		/// The bid is zero: a job must pay its provider.
		ZeroBid,
		/// The job has had as many providers assigned as it may.
		TooManyAssignments,
		/// The user cannot hold the escrow and the deposit.
		InsufficientBalance,
		/// `max_tokens × bid × providers` overflows.
		EscrowOverflow,
		/// No job has this id.
		JobNotFound,
		/// The job is no longer waiting for answers.
		JobNotPending,
		/// The signer is not the operator key of a provider assigned to this job.
		NotAssigned,
		/// This provider already answered or declined.
		DuplicateResult,
		/// This provider's time to answer has passed.
		LateResult,
		/// More tokens than the job's `max_tokens`.
		TooManyTokens,
		/// The answer is not this provider's to give: it is the job's auditor, or the job's
		/// executor reporting an audit.
		WrongRole,
		/// The attestation signature does not verify against the operator key.
		BadAttestation,
		/// All job ids are used.
		JobIdsExhausted,
		/// The prompt's bytes plus `max_tokens` (plus 2) exceed the model's context window:
		/// shorten the prompt or ask for fewer tokens.
		ExceedsContext,
		/// A chat request with no messages.
		EmptyMessages,
		/// More chat messages than `mosaic_primitives::MAX_MESSAGES` (32).
		TooManyMessages,
		/// A chat message is not UTF-8 text or holds a NUL byte.
		BadMessage,
		/// The temperature is above 200 (2.00).
		TemperatureOutOfRange,
		/// `top_p` is 0 or above 10 000 (basis points; 10 000 turns it off).
		TopPOutOfRange,
		/// `top_k` is above 1 000 (0 turns it off).
		TopKOutOfRange,
		/// The seed 4 294 967 295 is llama.cpp's "random seed": choose another.
		ReservedSeed,
		/// More than 4 stop sequences.
		TooManyStops,
		/// A stop sequence is empty or longer than 32 bytes.
		BadStop,
		/// The model has no chat template: send a raw prompt, not chat messages.
		NoChatTemplate,
		/// This block has accepted `MaxSubmissionsPerBlock` jobs: send it again in the next.
		BlockFullOfJobs,
	}

	impl<T> From<mosaic_primitives::RequestError> for Error<T> {
		fn from(e: mosaic_primitives::RequestError) -> Self {
			use mosaic_primitives::RequestError as E;
			match e {
				E::EmptyPrompt => Self::EmptyPrompt,
				E::PromptTooLong => Self::PromptTooLong,
				E::EmptyMessages => Self::EmptyMessages,
				E::TooManyMessages => Self::TooManyMessages,
				E::BadMessage => Self::BadMessage,
				E::TemperatureOutOfRange => Self::TemperatureOutOfRange,
				E::TopPOutOfRange => Self::TopPOutOfRange,
				E::TopKOutOfRange => Self::TopKOutOfRange,
				E::ReservedSeed => Self::ReservedSeed,
				E::TooManyStops => Self::TooManyStops,
				E::BadStop => Self::BadStop,
			}
		}
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Processes the jobs due by this block: at most `MaxJobsPerBlock`, oldest first.
		fn on_initialize(n: BlockNumberFor<T>) -> Weight {
			PathWeight::<T>::kill();
			BlockSeed::<T>::put(Self::block_seed());
			let hot = Self::read_hot_keys();
			let due = Self::process_due(n);
			// The benchmarks measure one block of the queue, `on_initialize` with open jobs
			// due (their heaviest kind), `close_window` with answered jobs paid as their
			// window closes, `prune_due` with closed ones (each job of the latter two kinds is
			// charged its benchmark's slope instead of `on_initialize`'s); each further block
			// looked at is one more read, and the resume point ([`DueFrom`], whitelisted) one
			// read and one write. The draws made (a replacement, auditors, a committee), as
			// they read, and the settlements and decisions are charged on top, and the hot
			// keys read.
			let pruned =
				T::WeightInfo::prune_due(due.pruned).saturating_sub(T::WeightInfo::prune_due(0));
			T::WeightInfo::on_initialize(due.open)
				.saturating_add(Self::window_weight(due.windows))
				.saturating_add(pruned)
				.saturating_add(PathWeight::<T>::take().total())
				.saturating_add(
					T::DbWeight::get().reads_writes(due.scanned.saturating_add(1).into(), 1),
				)
				.saturating_add(T::DbWeight::get().reads(hot.into()))
		}

		/// Clears the weight of paths taken (each call took its own) and the block's seed, so
		/// neither reaches the state.
		fn on_finalize(_n: BlockNumberFor<T>) {
			PathWeight::<T>::kill();
			Submitted::<T>::kill();
			BlockSeed::<T>::kill();
		}

		fn integrity_test() {
			assert!(T::MaxSubmissionsPerBlock::get() > 0, "no job could ever be submitted");
		}

		/// On a provider's node: answers the jobs assigned to it (see [`crate::offchain`]).
		fn offchain_worker(n: BlockNumberFor<T>) {
			Self::answer_assigned_jobs(n);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Submits a job: escrows its maximum cost and assigns it to one executor.
		///
		/// - Origin: signed, the user who pays.
		/// - Holds `max_tokens × bid` (the escrow) and [`Pallet::deposit_for`]`(max_tokens)`
		///   (returned when the job's record is pruned) in one hold under [`HoldReason::Job`].
		/// - Emits [`Event::JobSubmitted`], then [`Event::ProviderAssigned`].
		/// - Errors: [`Error::EmptyPrompt`], [`Error::PromptTooLong`], [`Error::ZeroMaxTokens`],
		///   [`Error::MaxTokensTooLarge`], [`Error::ZeroBid`], [`Error::ModelNotRegistered`],
		///   [`Error::ModelDeprecated`], [`Error::BidBelowEveryAsk`],
		///   [`Error::NoEligibleProvider`], [`Error::NoProviderCovers`],
		///   [`Error::EscrowOverflow`], [`Error::InsufficientBalance`],
		///   [`Error::ExceedsContext`].
		#[pallet::call_index(0)]
		#[pallet::weight(Pallet::<T>::submit_job_weight(prompt.len() as u32))]
		pub fn submit_job(
			origin: OriginFor<T>,
			model: ModelId,
			prompt: Vec<u8>,
			max_tokens: u32,
			bid: BalanceOf<T>,
		) -> DispatchResultWithPostInfo {
			let owner = ensure_signed(origin)?;
			let text_bytes = prompt.len() as u32;
			let request = JobRequest::text(prompt);
			Self::charging_submission(text_bytes, || {
				Self::do_submit_job(owner, model, request, max_tokens, bid)
			})
		}

		/// Submits a job with chat messages or sampling settings: [`Pallet::submit_job`] with
		/// a whole [`JobRequest`] instead of a raw prompt decoded greedily.
		///
		/// - Chat messages need a model with a chat template; the provider's engine renders
		///   them with it. Their text counts against `MaxPromptLen` together, and the context
		///   check allows for what the template adds (`CHAT_BASE_TOKENS` plus
		///   `CHAT_TOKENS_PER_MESSAGE` a message).
		/// - Errors: those of `submit_job`, and [`Error::EmptyMessages`],
		///   [`Error::TooManyMessages`], [`Error::BadMessage`], [`Error::NoChatTemplate`],
		///   [`Error::TemperatureOutOfRange`], [`Error::TopPOutOfRange`],
		///   [`Error::TopKOutOfRange`], [`Error::ReservedSeed`], [`Error::TooManyStops`],
		///   [`Error::BadStop`].
		#[pallet::call_index(4)]
		#[pallet::weight(Pallet::<T>::submit_job_weight(request.text_bytes() as u32))]
		pub fn submit_request(
			origin: OriginFor<T>,
			model: ModelId,
			request: JobRequest,
			max_tokens: u32,
			bid: BalanceOf<T>,
		) -> DispatchResultWithPostInfo {
			let owner = ensure_signed(origin)?;
			let text_bytes = request.text_bytes() as u32;
			Self::charging_submission(text_bytes, || {
				Self::do_submit_job(owner, model, request, max_tokens, bid)
			})
		}

		/// Posts the executor's answer: the output, the ids of its tokens, and the attestation.
		/// The job then waits out its challenge window (see [`Config::ChallengeWindow`]).
		///
		/// - Origin: an authorized transaction (no signer, no nonce, no fee): the pool accepts
		///   it only while [`Pallet::check_result`] passes — the provider is the job's waiting
		///   executor, and `signature` is its current operator key's over the attestation —
		///   and keeps at most one answer or decline per (job, provider). Anyone may relay it.
		/// - `signature`: the operator key's signature over
		///   `AttestationPayload { job, model_hash, request_hash, max_tokens, output_hash,
		///   tokens, tokens_hash, engine, genesis }.signing_bytes()`.
		/// - Emits [`Event::ResultSubmitted`].
		/// - Errors: [`Error::JobNotFound`], [`Error::JobNotPending`], [`Error::NotAssigned`],
		///   [`Error::WrongRole`], [`Error::DuplicateResult`], [`Error::LateResult`],
		///   [`Error::OutputTooLong`], [`Error::TooManyTokens`], [`Error::BadAttestation`].
		#[pallet::call_index(1)]
		#[pallet::weight(Pallet::<T>::submit_result_weight(output.len(), token_ids.len()))]
		#[pallet::authorize(Pallet::<T>::authorize_result)]
		// Checking is a subset of dispatching: the dispatch's worst case bounds it.
		#[pallet::weight_of_authorize(Pallet::<T>::submit_result_weight(
			T::MaxOutputLen::get() as usize,
			T::MaxOutputTokens::get() as usize,
		))]
		pub fn submit_result(
			origin: OriginFor<T>,
			job: JobId,
			provider: T::AccountId,
			output: Vec<u8>,
			token_ids: Vec<u32>,
			signature: T::AttestationSignature,
		) -> DispatchResult {
			ensure_authorized(origin)?;
			Self::do_submit_result(provider, job, output, token_ids, signature)
		}

		/// Posts an auditor's report on the job's answer (see `mosaic_primitives::audit`):
		/// the chain judges it with `audit::judge`. Once no auditor is waiting, an answer every
		/// auditor found honest is paid; a finding of fraud draws a committee, whose majority
		/// (with the first auditors) decides: fraud slashes the executor
		/// [`Config::FraudSlash`] and refunds the owner, and every auditor on the losing side
		/// loses [`Config::OutvotedSlash`].
		///
		/// - Origin: an authorized transaction, like [`Pallet::submit_result`]: valid while the
		///   provider is a waiting auditor of the job and `signature` is its current operator
		///   key's over [`audit_signing_bytes`]`(job, request_hash, output_hash, report,
		///   genesis)`.
		/// - Emits [`Event::AuditReported`], then the verdict's events.
		/// - Errors: [`Error::JobNotFound`], [`Error::JobNotPending`], [`Error::NotAssigned`],
		///   [`Error::WrongRole`], [`Error::DuplicateResult`], [`Error::LateResult`],
		///   [`Error::BadAttestation`].
		#[pallet::call_index(5)]
		#[pallet::weight(Pallet::<T>::submit_audit_weight())]
		#[pallet::authorize(Pallet::<T>::authorize_audit)]
		#[pallet::weight_of_authorize(Pallet::<T>::submit_audit_weight())]
		pub fn submit_audit(
			origin: OriginFor<T>,
			job: JobId,
			auditor: T::AccountId,
			report: AuditReport,
			signature: T::AttestationSignature,
		) -> DispatchResultWithPostInfo {
			ensure_authorized(origin)?;
			// Benchmarked in a market of three: the committee's two draws read three slots each.
			let committee = Self::draw_weight(0, 3).saturating_mul(COMMITTEE_SIZE.into());
			Self::charging_paths(T::WeightInfo::submit_audit(3), committee, || {
				Self::do_submit_audit(auditor, job, report, signature)
			})
		}

		/// Declines a job the provider's node cannot run after all (model missing or refused,
		/// engine failure, context or output over the engine's limits). The provider loses
		/// reputation, not stake, and another eligible provider is drawn at once; if none is,
		/// the job is decided on the answers it has, or refunded.
		///
		/// - Origin: an authorized transaction, like [`Pallet::submit_result`]: valid while the
		///   provider is assigned and waiting and `signature` is its current operator key's
		///   over [`decline_signing_bytes`]`(job, request_hash, reason, genesis)`.
		/// - Emits [`Event::ProviderDeclined`], then [`Event::ProviderAssigned`] for the
		///   replacement (and [`Event::DeadlineExtended`] if it needs longer), or the
		///   decision's events.
		/// - Errors: [`Error::JobNotFound`], [`Error::JobNotPending`], [`Error::NotAssigned`],
		///   [`Error::DuplicateResult`], [`Error::LateResult`], [`Error::BadAttestation`].
		#[pallet::call_index(3)]
		#[pallet::weight(Pallet::<T>::decline_job_weight())]
		#[pallet::authorize(Pallet::<T>::authorize_decline)]
		#[pallet::weight_of_authorize(Pallet::<T>::decline_job_weight())]
		pub fn decline_job(
			origin: OriginFor<T>,
			job: JobId,
			provider: T::AccountId,
			reason: DeclineReason,
			signature: T::AttestationSignature,
		) -> DispatchResultWithPostInfo {
			ensure_authorized(origin)?;
			// Benchmarked in a market of two: the replacement's draw read both slots.
			Self::charging_paths(T::WeightInfo::decline_job(2), Self::draw_weight(0, 2), || {
				Self::do_decline_job(provider, job, reason, signature)
			})
		}
	}

	impl<T: Config> Pallet<T> {
		/// The weight of `n` draws at their worst (see [`crate::assignment`]): every try in the
		/// index fails, the whole window is read, and the error is worked out. Calls are
		/// charged this up front and refunded down to what their draws read; the call
		/// benchmarks themselves run in a market of one to three providers.
		pub fn draws_weight(n: u32) -> Weight {
			Self::draw_weight(TRIES, WINDOW).saturating_mul(n.into())
		}

		/// A draw of `tries` tries in the index and a window of `slots`: its benchmark, and
		/// what its benchmark's worst case (everyone asks more than the bid) never reaches, at
		/// the database's weight: each provider looked at that could take the job is also read
		/// for its answered jobs and its [`Exposure`], and the drawn executor's exposure
		/// written.
		pub fn draw_weight(tries: u32, slots: u32) -> Weight {
			let looked_at = u64::from(tries.saturating_add(slots));
			T::WeightInfo::draw(tries, slots)
				.saturating_add(T::DbWeight::get().reads_writes(looked_at.saturating_mul(2), 0))
				.saturating_add(T::DbWeight::get().reads_writes(1, 1))
		}

		/// `submit_result` of `output_bytes` and `ids` token ids.
		pub fn submit_result_weight(output_bytes: usize, ids: usize) -> Weight {
			let bytes = u32::try_from(output_bytes).unwrap_or(u32::MAX);
			let ids = u32::try_from(ids).unwrap_or(u32::MAX);
			T::WeightInfo::submit_result(bytes, ids)
		}

		/// Runs a call that may draw providers or end a job. On success its weight is its
		/// `benchmarked` weight (which includes the draws its benchmark made, in a small
		/// market: `benchmark_draws`), plus whatever its own draws read beyond those, plus a
		/// settlement or decision if it ended the job ([`PathWeight`]); on failure, what it
		/// was charged.
		pub fn charging_paths(
			benchmarked: Weight,
			benchmark_draws: Weight,
			call: impl FnOnce() -> DispatchResult,
		) -> DispatchResultWithPostInfo {
			PathWeight::<T>::kill();
			call()?;
			let path = PathWeight::<T>::take();
			let used = benchmarked
				.saturating_add(path.draws.saturating_sub(benchmark_draws))
				.saturating_add(path.ends);
			Ok(Some(used).into())
		}

		/// A submission of `text_bytes` as charged up front: its benchmark and a draw at its
		/// worst.
		pub fn submit_job_weight(text_bytes: u32) -> Weight {
			T::WeightInfo::submit_job(text_bytes, 1).saturating_add(Self::draws_weight(1))
		}

		/// Runs a submission of `text_bytes` (see [`Pallet::charging_paths`]): benchmarked in a
		/// market of one, where its draw read one slot.
		fn charging_submission(
			text_bytes: u32,
			call: impl FnOnce() -> DispatchResult,
		) -> DispatchResultWithPostInfo {
			let benchmarked = T::WeightInfo::submit_job(text_bytes, 1);
			Self::charging_paths(benchmarked, Self::draw_weight(0, 1), call)
		}

		/// A first-round audit report that finds fraud draws the committee; if nobody can sit
		/// on it, the job is decided at once.
		pub fn submit_audit_weight() -> Weight {
			T::WeightInfo::submit_audit(3)
				.saturating_add(Pallet::<T>::draws_weight(COMMITTEE_SIZE))
				.saturating_add(T::WeightInfo::decide())
				.saturating_add(T::WeightInfo::settle(MAX_ASSIGNMENTS - 1))
		}

		/// A decline draws a replacement; if there is none, the job is decided at once — and a
		/// decision on reports that disagree first draws the committee (review N14: charged
		/// up front, as the call's weight after it runs is never above this).
		pub fn decline_job_weight() -> Weight {
			T::WeightInfo::decline_job(2)
				.saturating_add(Pallet::<T>::draws_weight(1 + COMMITTEE_SIZE))
				.saturating_add(T::WeightInfo::decide())
				.saturating_add(T::WeightInfo::settle(MAX_ASSIGNMENTS - 1))
		}

		/// The attestation payload a provider signs for `job` with this output and tokens.
		pub fn attestation_payload(
			job_id: JobId,
			job: &JobOf<T>,
			output: &[u8],
			token_ids: &[u32],
		) -> AttestationPayload {
			AttestationPayload {
				job: job_id,
				model_hash: job.model_hash,
				request_hash: job.request_hash,
				max_tokens: job.max_tokens,
				output_hash: H256(sp_io::hashing::blake2_256(output)),
				tokens: u32::try_from(token_ids.len()).unwrap_or(u32::MAX),
				tokens_hash: H256(sp_io::hashing::blake2_256(&token_ids.encode())),
				engine: job.engine,
				genesis: Self::genesis(),
			}
		}

		/// This chain's genesis hash, as attestations and declines carry it.
		pub fn genesis() -> H256 {
			let hash = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::default());
			H256::decode(&mut hash.as_ref()).unwrap_or_default()
		}

		/// Everything `submit_result` checks, without writing: the operator key that signed,
		/// and the job.
		pub fn check_result(
			provider: &T::AccountId,
			job_id: JobId,
			output: &[u8],
			token_ids: &[u32],
			signature: &T::AttestationSignature,
		) -> Result<(T::AccountId, JobOf<T>), DispatchError> {
			let (operator, job, role) = Self::check_waiting(provider, job_id)?;
			ensure!(role == Role::Executor, Error::<T>::WrongRole);
			ensure!(output.len() <= T::MaxOutputLen::get() as usize, Error::<T>::OutputTooLong);
			ensure!(token_ids.len() <= job.max_tokens as usize, Error::<T>::TooManyTokens);
			let payload = Self::attestation_payload(job_id, &job, output, token_ids);
			ensure!(
				signature.verify(payload.signing_bytes().as_slice(), &operator),
				Error::<T>::BadAttestation
			);
			Ok((operator, job))
		}

		/// Everything `decline_job` checks, without writing: the operator key that signed,
		/// and the job.
		pub fn check_decline(
			provider: &T::AccountId,
			job_id: JobId,
			reason: DeclineReason,
			signature: &T::AttestationSignature,
		) -> Result<(T::AccountId, JobOf<T>), DispatchError> {
			let (operator, job, _) = Self::check_waiting(provider, job_id)?;
			let bytes = decline_signing_bytes(job_id, job.request_hash, reason, Self::genesis());
			ensure!(signature.verify(bytes.as_slice(), &operator), Error::<T>::BadAttestation);
			Ok((operator, job))
		}

		/// Everything `submit_audit` checks, without writing: the job.
		pub fn check_audit(
			auditor: &T::AccountId,
			job_id: JobId,
			report: &AuditReport,
			signature: &T::AttestationSignature,
		) -> Result<JobOf<T>, DispatchError> {
			let (operator, job, role) = Self::check_waiting(auditor, job_id)?;
			ensure!(matches!(role, Role::Auditor { .. }), Error::<T>::WrongRole);
			let answer = job.outcome.ok_or(Error::<T>::JobNotPending)?;
			let bytes = audit_signing_bytes(
				job_id,
				job.request_hash,
				answer.output_hash,
				report,
				Self::genesis(),
			);
			ensure!(signature.verify(bytes.as_slice(), &operator), Error::<T>::BadAttestation);
			Ok(job)
		}

		/// That `provider` is assigned to the job, which waits for it (its executor while
		/// pending, an auditor while auditing), still waiting and within the deadline: its
		/// current operator key, the job, and its role.
		pub fn check_waiting(
			provider: &T::AccountId,
			job_id: JobId,
		) -> Result<(T::AccountId, JobOf<T>, Role), DispatchError> {
			let job = Jobs::<T>::get(job_id).ok_or(Error::<T>::JobNotFound)?;
			ensure!(
				matches!(job.status, JobStatus::Pending | JobStatus::Auditing),
				Error::<T>::JobNotPending
			);
			let assignment = job
				.assignments
				.iter()
				.find(|a| &a.provider == provider)
				.ok_or(Error::<T>::NotAssigned)?;
			match assignment.state {
				AssignmentState::Waiting => {}
				AssignmentState::Answered { .. }
				| AssignmentState::Declined
				| AssignmentState::Audited { .. } => return Err(Error::<T>::DuplicateResult.into()),
				AssignmentState::TimedOut => return Err(Error::<T>::LateResult.into()),
			}
			let role = assignment.role;
			ensure!(
				frame_system::Pallet::<T>::block_number() < job.deadline,
				Error::<T>::LateResult
			);
			let operator = T::Providers::operator(provider).ok_or(Error::<T>::NotAssigned)?;
			Ok((operator, job, role))
		}

		/// Checks the invariants listed in the crate docs (run by `try_state` and after every
		/// unit test).
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			use alloc::collections::{btree_map::BTreeMap, btree_set::BTreeSet};
			use frame_support::traits::fungible::InspectHold;
			use sp_runtime::traits::{Saturating, Zero};

			// What each owner's jobs record as held under `Job`, and as held apart (deposits of
			// jobs from before v6).
			let mut held: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
			let mut apart: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
			let mut owners: BTreeSet<T::AccountId> = BTreeSet::new();
			for (id, job) in Jobs::<T>::iter() {
				owners.insert(job.owner.clone());
				let deposits = match Pallet::<T>::deposit_reason(id) {
					HoldReason::Job => &mut held,
					HoldReason::JobDepositBeforeV6 => &mut apart,
				};
				deposits.entry(job.owner.clone()).or_default().saturating_accrue(job.deposit);
				ensure!(
					Deadlines::<T>::contains_key(job.deadline, id),
					"a job is not queued at its deadline"
				);
				ensure!(
					job.outcome.is_some() == (answered_count(&job) == 1),
					"a job's outcome differs from its answers"
				);
				let mut seen = BTreeSet::new();
				for a in job.assignments.iter() {
					ensure!(seen.insert(a.provider.clone()), "a provider is assigned twice");
					ensure!(a.price <= job.bid, "a provider is paid above the bid");
				}
				let executors = job.assignments.iter().filter(|a| a.role == Role::Executor).count();
				ensure!(executors >= 1, "a job has no executor");
				let answered = answered_count(&job);
				ensure!(answered <= 1, "a job has more than one answer");
				if job.status.is_open() {
					held.entry(job.owner.clone()).or_default().saturating_accrue(job.escrow);
					ensure!(Requests::<T>::contains_key(id), "an open job has no request");
					let waiting = |executor: bool| {
						job.assignments.iter().any(|a| {
							a.state == AssignmentState::Waiting
								&& (a.role == Role::Executor) == executor
						})
					};
					match job.status {
						JobStatus::Pending => {
							ensure!(waiting(true), "a pending job waits for no executor");
							ensure!(answered == 0, "a pending job has an answer");
						}
						JobStatus::Auditing => {
							ensure!(waiting(false), "an audited job waits for no auditor");
							ensure!(answered == 1, "an audited job has no answer");
						}
						_ => {
							ensure!(
								!waiting(true) && !waiting(false),
								"a job in its challenge window waits for someone"
							);
							ensure!(answered == 1, "a job in its challenge window has no answer");
						}
					}
					ensure!(
						job.deadline
							<= frame_system::Pallet::<T>::block_number()
								.saturating_add(T::JobTimeout::get()),
						"a pending job's deadline is beyond JobTimeout"
					);
				} else {
					ensure!(job.escrow.is_zero(), "a closed job still records escrow");
					ensure!(!Requests::<T>::contains_key(id), "a closed job keeps its request");
					ensure!(
						Results::<T>::iter_prefix(id).next().is_none(),
						"a closed job keeps an answer"
					);
				}
			}
			for id in Requests::<T>::iter_keys() {
				ensure!(Jobs::<T>::contains_key(id), "a request of no job");
			}
			for (id, _, _) in Results::<T>::iter() {
				ensure!(Jobs::<T>::contains_key(id), "an answer of no job");
			}
			// Each provider's jobs in flight are the open jobs' assignments that hold it: waiting,
			// or answered or reported until the job is decided (those answered no longer count
			// against its concurrency). What it could be paid from them is its exposure.
			let mut in_flight: BTreeMap<T::AccountId, (u32, u32)> = BTreeMap::new();
			let mut exposure: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
			for (_, job) in Jobs::<T>::iter().filter(|(_, j)| j.status.is_open()) {
				for a in &job.assignments {
					let answered = match a.state {
						AssignmentState::Waiting => false,
						AssignmentState::Answered { .. } | AssignmentState::Audited { .. } => true,
						AssignmentState::TimedOut | AssignmentState::Declined => continue,
					};
					let (n, done) = in_flight.entry(a.provider.clone()).or_default();
					*n = n.saturating_add(1);
					*done = done.saturating_add(u32::from(answered));
				}
				for a in job.assignments.iter().filter(|a| a.role == Role::Executor) {
					exposure
						.entry(a.provider.clone())
						.or_default()
						.saturating_accrue(Self::at_stake(a.price, job.max_tokens));
				}
			}
			for (who, (n, answered)) in in_flight {
				ensure!(
					T::Providers::jobs_in_flight(&who) == n,
					"a provider's jobs in flight differ from its open assignments"
				);
				ensure!(
					T::Providers::jobs_answered(&who) == answered,
					"a provider's answered jobs differ from its open answers and reports"
				);
			}
			for (who, stored) in Exposure::<T>::iter() {
				ensure!(!stored.is_zero(), "an empty exposure is stored");
				ensure!(
					exposure.remove(&who) == Some(stored),
					"a provider's exposure differs from what its open jobs could pay it"
				);
			}
			ensure!(
				exposure.values().all(|e| e.is_zero()),
				"a provider's open jobs could pay it more than its exposure"
			);
			let due_from = DueFrom::<T>::get();
			for (at, id, ()) in Deadlines::<T>::iter() {
				ensure!(at >= due_from, "a job is queued before the block processing resumes at");
				ensure!(
					Jobs::<T>::get(id).is_some_and(|j| j.deadline == at),
					"a queued job is gone or due at another block"
				);
			}
			for who in owners {
				let on_hold =
					|reason: HoldReason| T::Currency::balance_on_hold(&reason.into(), &who);
				ensure!(
					on_hold(HoldReason::Job) == held.get(&who).copied().unwrap_or_default(),
					"held for jobs differs from the owner's open jobs' escrow and stored jobs' deposits"
				);
				ensure!(
					on_hold(HoldReason::JobDepositBeforeV6)
						== apart.get(&who).copied().unwrap_or_default(),
					"held apart differs from the deposits of the owner's jobs from before v6"
				);
			}
			Ok(())
		}
	}

	/// How many of the job's assignments answered.
	fn answered_count<T: Config>(job: &JobOf<T>) -> usize {
		job.assignments
			.iter()
			.filter(|a| matches!(a.state, AssignmentState::Answered { .. }))
			.count()
	}
}
