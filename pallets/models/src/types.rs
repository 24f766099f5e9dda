//! The model record.

use codec::{Decode, Encode, MaxEncodedLen};
use frame_support::{pallet_prelude::ConstU32, BoundedVec};
use mosaic_primitives::{BasisPoints, FileType, MAX_ARCHITECTURE_LEN};
use scale_info::TypeInfo;
use sp_core::H256;

/// Longest model name, in bytes.
pub type MaxNameLen = ConstU32<64>;
/// Longest architecture name, in bytes.
pub type MaxArchitectureLen = ConstU32<MAX_ARCHITECTURE_LEN>;

/// Whether a model takes new jobs.
#[derive(Clone, Copy, Encode, Decode, MaxEncodedLen, TypeInfo, Debug, PartialEq, Eq)]
pub enum ModelStatus {
	/// New jobs are accepted.
	Active,
	/// No new jobs; jobs already submitted finish.
	Deprecated,
}

/// A registered model.
#[derive(Clone, Encode, Decode, MaxEncodedLen, TypeInfo, Debug, PartialEq, Eq)]
pub struct ModelInfo<AccountId, Balance> {
	/// Human-readable name, e.g. `tinyllama-1.1b-chat`.
	pub name: BoundedVec<u8, MaxNameLen>,
	/// BLAKE2b-256 of the whole GGUF file, byte for byte (header, metadata, tensors).
	pub content_hash: H256,
	/// The file's size in bytes.
	pub size_bytes: u64,
	/// GGUF `general.architecture`, e.g. `llama`.
	pub architecture: BoundedVec<u8, MaxArchitectureLen>,
	/// Number of weights.
	pub parameters: u64,
	/// GGUF `general.file_type`: the quantization, as llama.cpp names it.
	pub file_type: FileType,
	/// The context window it was trained with, in tokens.
	pub context_length: u32,
	/// BLAKE2b-256 of the GGUF's `tokenizer.chat_template`; `None`: raw prompts only.
	pub chat_template: Option<H256>,
	/// Who registered the model, receives its royalties and may change them.
	pub creator: AccountId,
	/// The creator's share of every provider payment.
	pub royalty_bps: BasisPoints,
	/// The registration deposit held from the creator.
	pub deposit: Balance,
	/// Whether new jobs are accepted.
	pub status: ModelStatus,
}
