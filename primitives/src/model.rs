//! What a GGUF file says about its model: the fields a registration records.

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_core::H256;

/// A model file's type, as llama.cpp names it (`general.file_type` in the GGUF header, the
/// `llama_ftype` of `llama.h`): the quantization of most of its tensors. The SCALE index of
/// each variant is llama.cpp's number, so `FileType::from_llama(n)` and the encoding agree;
/// numbers llama.cpp retired (4–6, 33–35) have no variant.
#[allow(non_camel_case_types)]
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
pub enum FileType {
	#[codec(index = 0)]
	F32,
	#[codec(index = 1)]
	F16,
	#[codec(index = 2)]
	Q4_0,
	#[codec(index = 3)]
	Q4_1,
	#[codec(index = 7)]
	Q8_0,
	#[codec(index = 8)]
	Q5_0,
	#[codec(index = 9)]
	Q5_1,
	#[codec(index = 10)]
	Q2_K,
	#[codec(index = 11)]
	Q3_K_S,
	#[codec(index = 12)]
	Q3_K_M,
	#[codec(index = 13)]
	Q3_K_L,
	#[codec(index = 14)]
	Q4_K_S,
	#[codec(index = 15)]
	Q4_K_M,
	#[codec(index = 16)]
	Q5_K_S,
	#[codec(index = 17)]
	Q5_K_M,
	#[codec(index = 18)]
	Q6_K,
	#[codec(index = 19)]
	IQ2_XXS,
	#[codec(index = 20)]
	IQ2_XS,
	#[codec(index = 21)]
	Q2_K_S,
	#[codec(index = 22)]
	IQ3_XS,
	#[codec(index = 23)]
	IQ3_XXS,
	#[codec(index = 24)]
	IQ1_S,
	#[codec(index = 25)]
	IQ4_NL,
	#[codec(index = 26)]
	IQ3_S,
	#[codec(index = 27)]
	IQ3_M,
	#[codec(index = 28)]
	IQ2_S,
	#[codec(index = 29)]
	IQ2_M,
	#[codec(index = 30)]
	IQ4_XS,
	#[codec(index = 31)]
	IQ1_M,
	#[codec(index = 32)]
	BF16,
	#[codec(index = 36)]
	TQ1_0,
	#[codec(index = 37)]
	TQ2_0,
	#[codec(index = 38)]
	MXFP4_MOE,
	#[codec(index = 39)]
	NVFP4,
	#[codec(index = 40)]
	Q1_0,
	#[codec(index = 41)]
	Q2_0,
}

impl FileType {
	/// The file type llama.cpp numbers `n` (`general.file_type`), if it is one.
	pub fn from_llama(n: u32) -> Option<Self> {
		u8::try_from(n).ok().and_then(|b| Self::decode(&mut &[b][..]).ok())
	}

	/// llama.cpp's number for this file type.
	pub fn to_llama(self) -> u32 {
		u32::from(self.encode().first().copied().unwrap_or_default())
	}
}

/// Longest architecture name a registration records, in bytes (GGUF's
/// `general.architecture`, e.g. `llama`, `qwen2`).
pub const MAX_ARCHITECTURE_LEN: u32 = 32;

/// What a model's GGUF header says, as a registration declares it. Providers' nodes and the
/// onboarding script read it from the file (`mosaic-node inspect-model`) and refuse a file
/// whose header disagrees.
#[derive(
	Clone,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	Debug,
	PartialEq,
	Eq,
	serde::Serialize,
	serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct ModelSpec {
	/// `general.architecture`, e.g. `llama` (at most [`MAX_ARCHITECTURE_LEN`] bytes).
	pub architecture: Vec<u8>,
	/// Number of weights.
	pub parameters: u64,
	/// `general.file_type`.
	pub file_type: FileType,
	/// The context window it was trained with (`<arch>.context_length`), in tokens.
	pub context_length: u32,
	/// BLAKE2b-256 of `tokenizer.chat_template`; `None` when the file has none (the model
	/// then takes raw prompts only, never chat messages).
	pub chat_template: Option<H256>,
}

impl ModelSpec {
	/// A llama-architecture file of `parameters` weights without a chat template (raw prompts
	/// only).
	pub fn llama(parameters: u64, file_type: FileType, context_length: u32) -> Self {
		Self {
			architecture: b"llama".to_vec(),
			parameters,
			file_type,
			context_length,
			chat_template: None,
		}
	}
}
