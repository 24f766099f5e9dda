//! A session's record and the voucher that pays for its requests.

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use mosaic_primitives::{BasisPoints, JobNeeds, ModelId, SessionId};
use scale_info::TypeInfo;
use sp_core::H256;
use sp_runtime::Permill;

/// What every voucher's signed bytes begin with, so a session key's signature over anything
/// else never verifies as a voucher.
pub const VOUCHER_DOMAIN: &[u8] = b"mosaic/voucher/v1";

/// The most any one request of a session may ask: the provider is drawn among those whose
/// declared terms cover it, and serves no request beyond it.
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
pub struct SessionLimits {
	/// Most tokens a request's prompt may take (as a job's prompt bound: its bytes).
	pub prompt_tokens: u32,
	/// Most tokens a request may generate.
	pub max_tokens: u32,
}

impl SessionLimits {
	/// What a request at these limits asks of a provider's terms.
	pub fn needs(&self) -> JobNeeds {
		JobNeeds { prompt_tokens: self.prompt_tokens, max_tokens: self.max_tokens }
	}
}

/// What a voucher says: after request `seq`, the owner owes `tokens` output tokens in all, and
/// the log of the session so far hashes to `log`.
///
/// Vouchers name tokens, not an amount: the price per token is fixed when the session opens,
/// so a voucher's amount is `tokens × price` and no voucher can name a sum the price does not
/// make.
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
	Default,
)]
pub struct Voucher {
	/// The request it pays up to (1 for the first); only grows.
	pub seq: u32,
	/// Output tokens owed in all, this request included; never shrinks.
	pub tokens: u32,
	/// BLAKE2b-256 of the session's log after request `seq` (see the crate docs).
	pub log: H256,
}

/// The bytes a session key signs for `voucher` of `session` served by `provider` on the chain
/// of `genesis`: the SCALE encoding of `(VOUCHER_DOMAIN, genesis, session, provider, seq,
/// tokens, log)`.
pub fn voucher_signing_bytes<AccountId: Encode>(
	genesis: H256,
	session: SessionId,
	provider: &AccountId,
	voucher: &Voucher,
) -> Vec<u8> {
	(VOUCHER_DOMAIN, genesis, session, provider, voucher.seq, voucher.tokens, voucher.log).encode()
}

/// What every receipt's signed bytes begin with.
pub const RECEIPT_DOMAIN: &[u8] = b"mosaic/receipt/v1";

/// What the log of every session starts from.
pub const LOG_DOMAIN: &[u8] = b"mosaic/log/v1";

/// One request of a session as the provider's log records it: the `seq`-th request, the
/// BLAKE2b-256 of its SCALE-encoded `JobRequest`, of its output bytes, and the output tokens
/// it was paid for. Its cost is `tokens × price` of the session.
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
pub struct LogEntry {
	/// The request's number in the session (1 for the first).
	pub seq: u32,
	/// BLAKE2b-256 of the request (`JobRequest::hash`).
	pub request: H256,
	/// BLAKE2b-256 of the output bytes.
	pub output: H256,
	/// Output tokens generated (and owed).
	pub tokens: u32,
}

/// The log of `session` on the chain of `genesis` before its first request: BLAKE2b-256 of
/// `(LOG_DOMAIN, genesis, session)`.
///
/// The log is a hash chain: after each request, `log = log_after(log, entry)`. A voucher for
/// request `n` names the log after request `n - 1`, so the owner's signature commits to every
/// earlier entry; the provider's root is the log after the last. An entry is proven against
/// a root by the entries from it to the last (each 72 bytes of hashes and numbers).
pub fn log_start(genesis: H256, session: SessionId) -> H256 {
	H256(sp_io::hashing::blake2_256(&(LOG_DOMAIN, genesis, session).encode()))
}

/// The log after `entry`, from the log `before` it: BLAKE2b-256 of `(before, entry)`.
pub fn log_after(before: H256, entry: &LogEntry) -> H256 {
	H256(sp_io::hashing::blake2_256(&(before, entry).encode()))
}

/// The bytes a provider's operator key signs to give the owner a receipt for `entry` of
/// `session` (chain `genesis`) at `cost`, with `log` the log after it: the SCALE encoding of
/// `(RECEIPT_DOMAIN, genesis, session, seq, request, output, tokens, cost, log)`.
pub fn receipt_signing_bytes<Balance: Encode>(
	genesis: H256,
	session: SessionId,
	entry: &LogEntry,
	cost: Balance,
	log: H256,
) -> Vec<u8> {
	(
		RECEIPT_DOMAIN,
		genesis,
		session,
		entry.seq,
		entry.request,
		entry.output,
		entry.tokens,
		cost,
		log,
	)
		.encode()
}

/// What every commitment's signed bytes begin with.
pub const COMMIT_DOMAIN: &[u8] = b"mosaic/commit/v1";

/// The bytes a provider's operator key signs to commit `session`'s log (chain `genesis`):
/// `root`, the log after the last request it served, and the voucher it posts with it (if
/// any): the SCALE encoding of `(COMMIT_DOMAIN, genesis, session, voucher, root)`.
pub fn commit_signing_bytes(
	genesis: H256,
	session: SessionId,
	voucher: Option<&Voucher>,
	root: H256,
) -> Vec<u8> {
	(COMMIT_DOMAIN, genesis, session, voucher, root).encode()
}

/// Where a session is in its life.
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
pub enum SessionState<BlockNumber> {
	/// Serving requests until `expires` (then settled after the grace period, if nobody
	/// closes it before).
	Open,
	/// Closed by one side: the provider may still post a later voucher until `ends`, then it
	/// is settled.
	Closing {
		/// The first block at which it can be settled.
		ends: BlockNumber,
	},
}

/// A session: an escrow held from its owner for requests one provider serves off chain.
#[derive(Clone, Encode, Decode, MaxEncodedLen, TypeInfo, Debug, PartialEq, Eq)]
pub struct Session<AccountId, Balance, BlockNumber, Key> {
	/// Who pays, and whose session key signs the vouchers.
	pub owner: AccountId,
	/// The provider drawn to serve it (its cold account: it is paid here).
	pub provider: AccountId,
	/// The model served.
	pub model: ModelId,
	/// The model file's hash, as registered when the session opened.
	pub model_hash: H256,
	/// The key that signs this session's vouchers.
	pub key: Key,
	/// The provider's price per output token when it was drawn (at most the owner's ceiling).
	pub price: Balance,
	/// The model's creator, paid the royalty.
	pub creator: AccountId,
	/// The royalty, as of opening.
	pub royalty_bps: BasisPoints,
	/// The protocol fee rate, as of opening.
	pub protocol_fee: Permill,
	/// The most each request may ask.
	pub limits: SessionLimits,
	/// Held for the requests: what settlement pays from.
	pub budget: Balance,
	/// Held for the state the session takes; returned at settlement.
	pub deposit: Balance,
	/// The block it stops serving at.
	pub expires: BlockNumber,
	/// The highest voucher posted so far.
	pub voucher: Option<Voucher>,
	/// The root of the provider's log, as its provider (or operator key) last committed it:
	/// the session's attestation.
	pub root: Option<H256>,
	/// Open or closing.
	pub state: SessionState<BlockNumber>,
}
