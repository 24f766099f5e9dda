//! Provider records.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{pallet_prelude::ConstU32, BoundedVec};
use scale_info::TypeInfo;
use sp_core::H256;
use sp_runtime::traits::Get;

/// A GPU, as declared by its provider.
#[derive(
	Clone, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug, PartialEq, Eq,
)]
pub struct Gpu {
	/// The model name, e.g. `NVIDIA H200`.
	pub model: BoundedVec<u8, ConstU32<32>>,
	/// Its memory in GiB.
	pub vram_gib: u16,
}

/// What a provider declares about its machine. Not verified on-chain: it informs users, and
/// `max_concurrent_jobs` and `engine` bind the provider's own assignments.
#[derive(
	Clone, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug, PartialEq, Eq,
)]
pub struct HardwareProfile {
	/// CPU cores given to inference.
	pub cpu_cores: u16,
	/// Memory in GiB.
	pub ram_gib: u16,
	/// The GPU, if any.
	pub gpu: Option<Gpu>,
	/// Jobs it runs at once; no more are assigned to it. At least 1.
	pub max_concurrent_jobs: u16,
	/// BLAKE2b-256 of its engine fingerprint (llama.cpp build, SIMD features, settings). Jobs
	/// with several providers only draw providers with equal fingerprints, whose greedy
	/// outputs are comparable; results must be attested with this fingerprint.
	pub engine: H256,
}

/// Whether a provider takes new jobs.
#[derive(Clone, Copy, Encode, Decode, MaxEncodedLen, TypeInfo, Debug, PartialEq, Eq)]
pub enum ProviderStatus {
	/// Eligible for new jobs (when bonded at least the minimum).
	Active,
	/// Takes no new jobs; finishes those it has.
	Paused,
	/// Deregistered: its whole bond is unbonding; the record goes once it is withdrawn.
	Leaving,
}

/// Part of a bond on its way out, still held (and slashable) until `unlock_at`.
#[derive(Clone, Encode, Decode, MaxEncodedLen, TypeInfo, Debug, PartialEq, Eq)]
pub struct UnbondingChunk<Balance, BlockNumber> {
	pub amount: Balance,
	pub unlock_at: BlockNumber,
}

/// Counters behind a provider's reputation.
#[derive(Clone, Copy, Default, Encode, Decode, MaxEncodedLen, TypeInfo, Debug, PartialEq, Eq)]
pub struct Reputation {
	/// Jobs answered with an output that stood.
	pub completed: u32,
	/// Jobs not answered in time.
	pub timed_out: u32,
	/// Jobs answered against the majority.
	pub outvoted: u32,
	/// Jobs its node declined (could not run as assigned).
	pub declined: u32,
}

impl Reputation {
	/// The score used in the assignment draw, in (0, 1000]: 1000 × (c + 1) / (c + 1 + d + 2t +
	/// 4o) for c completed, d declined, t timed out and o outvoted jobs. A new provider scores
	/// 1000; each failure costs at least what a success earns, and a decline (the node said it
	/// could not) costs less than silence.
	pub fn score(&self) -> u32 {
		let good = u64::from(self.completed).saturating_add(1);
		let bad = u64::from(self.declined)
			.saturating_add(u64::from(self.timed_out).saturating_mul(2))
			.saturating_add(u64::from(self.outvoted).saturating_mul(4));
		let score = good.saturating_mul(1000).checked_div(good.saturating_add(bad)).unwrap_or(1000);
		u32::try_from(score).unwrap_or(1000).max(1)
	}
}

/// A registered provider.
#[derive(Clone, Encode, Decode, MaxEncodedLen, TypeInfo, Debug, PartialEq, Eq)]
#[scale_info(skip_type_params(MaxChunks, MaxModels))]
pub struct ProviderInfo<AccountId, Balance, BlockNumber, MaxChunks: Get<u32>, MaxModels: Get<u32>> {
	/// The hot key on the provider's node: signs results and attestations, nothing else.
	pub operator: AccountId,
	/// The declared machine.
	pub profile: HardwareProfile,
	/// Price asked per output token.
	pub ask: Balance,
	/// The active bond, held under `HoldReason::ProviderBond`.
	pub bond: Balance,
	/// Bond on its way out, also held under `HoldReason::ProviderBond`.
	pub unbonding: BoundedVec<UnbondingChunk<Balance, BlockNumber>, MaxChunks>,
	/// Active or paused.
	pub status: ProviderStatus,
	/// Models it serves.
	pub serving: BoundedVec<mosaic_primitives::ModelId, MaxModels>,
	/// Jobs assigned and not yet ended.
	pub active_jobs: u32,
	/// Its track record.
	pub reputation: Reputation,
}

/// The longest public RPC endpoint a provider may declare, in bytes.
pub const MAX_ENDPOINT_LEN: u32 = 128;

/// A provider's public RPC endpoint: `ws://…` or `wss://…`, printable ASCII without spaces.
pub type Endpoint = BoundedVec<u8, ConstU32<MAX_ENDPOINT_LEN>>;

/// Whether `url` is an endpoint a provider may declare: `ws://` or `wss://` followed by a
/// host, at most [`MAX_ENDPOINT_LEN`] bytes of printable ASCII without spaces.
pub fn valid_endpoint(url: &[u8]) -> bool {
	let rest = url.strip_prefix(b"wss://").or_else(|| url.strip_prefix(b"ws://"));
	url.len() <= MAX_ENDPOINT_LEN as usize
		&& rest.is_some_and(|r| !r.is_empty() && !r.starts_with(b"/"))
		&& url.iter().all(|b| b.is_ascii_graphic())
}
