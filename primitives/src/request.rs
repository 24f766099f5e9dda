//! What a job asks for: a raw prompt or chat messages, and how to sample.
//!
//! The chain checks a request once, at submission ([`JobRequest::check`]); the provider's
//! engine renders chat messages with the model's own chat template and samples as
//! [`Sampling`] says. Attestations commit to [`JobRequest::hash`].

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode};
use scale_info::TypeInfo;
use sp_core::H256;

/// Who speaks in a chat message. A role outside these three does not decode: the chain
/// never sees it, and the clients refuse it with an error naming the three.
#[derive(
	Clone,
	Copy,
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
pub enum Role {
	System,
	User,
	Assistant,
}

impl Role {
	/// The name chat templates know it by.
	pub fn as_str(&self) -> &'static str {
		match self {
			Self::System => "system",
			Self::User => "user",
			Self::Assistant => "assistant",
		}
	}
}

/// One chat message: UTF-8 text without NUL bytes.
#[derive(Clone, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug, PartialEq, Eq)]
pub struct Message {
	pub role: Role,
	pub content: Vec<u8>,
}

/// The text a job runs on.
#[derive(Clone, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug, PartialEq, Eq)]
pub enum Input {
	/// A raw prompt, tokenised as it is (control tokens in it are read as text).
	Text(Vec<u8>),
	/// Chat messages, rendered with the model's chat template: the template's own markers
	/// are control tokens, the messages' text never is.
	Chat(Vec<Message>),
}

/// How the next token is chosen. The default is greedy decoding.
#[derive(Clone, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug, PartialEq, Eq)]
pub struct Sampling {
	/// In hundredths (70 = 0.70), at most [`MAX_TEMPERATURE`]; 0 is greedy (the others
	/// are then ignored).
	pub temperature: u16,
	/// Nucleus sampling's p, in basis points: 1 ..= 10 000 (10 000 = off).
	pub top_p: u16,
	/// Sample among the `top_k` likeliest tokens; 0 = off; at most [`MAX_TOP_K`].
	pub top_k: u32,
	/// The sampler's seed: with the same engine, model, request and seed, the same output.
	/// `u32::MAX` is llama.cpp's "random seed" and refused.
	pub seed: u32,
	/// Generation stops at the first of these; the output ends before it. At most
	/// [`MAX_STOPS`], each 1 ..= [`MAX_STOP_LEN`] bytes.
	pub stop: Vec<Vec<u8>>,
}

impl Default for Sampling {
	fn default() -> Self {
		Self { temperature: 0, top_p: TOP_P_OFF, top_k: 0, seed: 0, stop: Vec::new() }
	}
}

impl Sampling {
	/// Whether tokens are chosen greedily (the likeliest each time).
	pub fn is_greedy(&self) -> bool {
		self.temperature == 0
	}
}

/// A job's request.
#[derive(Clone, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug, PartialEq, Eq)]
pub struct JobRequest {
	pub input: Input,
	pub sampling: Sampling,
}

/// Highest temperature, in hundredths (2.00).
pub const MAX_TEMPERATURE: u16 = 200;
/// `top_p` that turns nucleus sampling off.
pub const TOP_P_OFF: u16 = 10_000;
/// Largest `top_k`.
pub const MAX_TOP_K: u32 = 1_000;
/// Most stop sequences.
pub const MAX_STOPS: usize = 4;
/// Longest stop sequence, in bytes.
pub const MAX_STOP_LEN: usize = 32;
/// Most chat messages.
pub const MAX_MESSAGES: usize = 32;
/// Tokens a chat template may add besides the messages: a default system prompt and the
/// assistant's opening marker.
pub const CHAT_BASE_TOKENS: u32 = 64;
/// Tokens a chat template may add around each message (role markers).
pub const CHAT_TOKENS_PER_MESSAGE: u32 = 8;
/// Bytes a request's SCALE encoding may take besides its text (enum and length prefixes of
/// the messages, sampling, stop sequences): the bound of the stored request is the text's
/// bound plus this.
pub const REQUEST_OVERHEAD: u32 = 512;

/// Domain separator of the signature with which a job's owner asks a provider's node for the
/// job's output stream.
pub const STREAM_CONTEXT: &[u8] = b"mosaic/stream/v1";

/// The exact bytes a job's owner signs to follow `job`'s output on the chain of `genesis`:
/// [`STREAM_CONTEXT`] then the SCALE encoding of `(job, genesis)` (u64 little-endian, 32 bytes).
pub fn stream_signing_bytes(job: crate::JobId, genesis: H256) -> Vec<u8> {
	let mut bytes = STREAM_CONTEXT.to_vec();
	(job, genesis).encode_to(&mut bytes);
	bytes
}

/// Why a request is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestError {
	/// The prompt is empty, or a chat has no message with text.
	EmptyPrompt,
	/// The text (prompt, or all messages together) is longer than allowed.
	PromptTooLong,
	/// A chat with no messages.
	EmptyMessages,
	/// More than [`MAX_MESSAGES`] messages.
	TooManyMessages,
	/// A message is not UTF-8 or holds a NUL byte.
	BadMessage,
	/// Temperature above [`MAX_TEMPERATURE`].
	TemperatureOutOfRange,
	/// `top_p` is 0 or above 10 000.
	TopPOutOfRange,
	/// `top_k` above [`MAX_TOP_K`].
	TopKOutOfRange,
	/// The seed is `u32::MAX`, llama.cpp's "pick a random seed".
	ReservedSeed,
	/// More than [`MAX_STOPS`] stop sequences.
	TooManyStops,
	/// A stop sequence is empty or longer than [`MAX_STOP_LEN`].
	BadStop,
}

impl JobRequest {
	/// A raw prompt, decoded greedily: what `submit_job` runs.
	pub fn text(prompt: Vec<u8>) -> Self {
		Self { input: Input::Text(prompt), sampling: Sampling::default() }
	}

	/// Whether it carries chat messages (and so needs a model with a chat template).
	pub fn is_chat(&self) -> bool {
		matches!(self.input, Input::Chat(_))
	}

	/// Bytes of text: the prompt, or all messages' contents.
	pub fn text_bytes(&self) -> usize {
		match &self.input {
			Input::Text(p) => p.len(),
			Input::Chat(m) => m.iter().map(|m| m.content.len()).fold(0, usize::saturating_add),
		}
	}

	/// Tokens of context the prompt may take, at one token per byte of text plus, for a
	/// chat, what its template may add ([`CHAT_BASE_TOKENS`], [`CHAT_TOKENS_PER_MESSAGE`]).
	pub fn prompt_tokens_bound(&self) -> u32 {
		let text = u32::try_from(self.text_bytes()).unwrap_or(u32::MAX);
		match &self.input {
			Input::Text(_) => text,
			Input::Chat(m) => {
				let n = u32::try_from(m.len()).unwrap_or(u32::MAX);
				text.saturating_add(CHAT_BASE_TOKENS)
					.saturating_add(n.saturating_mul(CHAT_TOKENS_PER_MESSAGE))
			}
		}
	}

	/// BLAKE2b-256 of its SCALE encoding: what attestations and declines sign.
	pub fn hash(&self) -> H256 {
		<sp_runtime::traits::BlakeTwo256 as sp_runtime::traits::Hash>::hash(&self.encode())
	}

	/// Checks every rule of a request whose text may be at most `max_text_bytes`.
	pub fn check(&self, max_text_bytes: u32) -> Result<(), RequestError> {
		match &self.input {
			Input::Text(p) if p.is_empty() => return Err(RequestError::EmptyPrompt),
			Input::Text(_) => {}
			Input::Chat(m) if m.is_empty() => return Err(RequestError::EmptyMessages),
			Input::Chat(m) if m.len() > MAX_MESSAGES => return Err(RequestError::TooManyMessages),
			Input::Chat(m) => {
				let bad = |m: &Message| {
					core::str::from_utf8(&m.content).is_err() || m.content.contains(&0)
				};
				if m.iter().any(bad) {
					return Err(RequestError::BadMessage);
				}
				if self.text_bytes() == 0 {
					return Err(RequestError::EmptyPrompt);
				}
			}
		}
		if self.text_bytes() > max_text_bytes as usize {
			return Err(RequestError::PromptTooLong);
		}
		let s = &self.sampling;
		if s.temperature > MAX_TEMPERATURE {
			return Err(RequestError::TemperatureOutOfRange);
		}
		if s.top_p == 0 || s.top_p > TOP_P_OFF {
			return Err(RequestError::TopPOutOfRange);
		}
		if s.top_k > MAX_TOP_K {
			return Err(RequestError::TopKOutOfRange);
		}
		if s.seed == u32::MAX {
			return Err(RequestError::ReservedSeed);
		}
		if s.stop.len() > MAX_STOPS {
			return Err(RequestError::TooManyStops);
		}
		if s.stop.iter().any(|x| x.is_empty() || x.len() > MAX_STOP_LEN) {
			return Err(RequestError::BadStop);
		}
		Ok(())
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn chat(parts: &[(Role, &str)]) -> JobRequest {
		JobRequest {
			input: Input::Chat(
				parts
					.iter()
					.map(|(role, c)| Message { role: *role, content: c.as_bytes().to_vec() })
					.collect(),
			),
			sampling: Sampling::default(),
		}
	}

	#[test]
	fn every_rule_has_its_error() {
		assert_eq!(JobRequest::text(b"hi".to_vec()).check(10), Ok(()));
		assert_eq!(JobRequest::text(Vec::new()).check(10), Err(RequestError::EmptyPrompt));
		assert_eq!(JobRequest::text(vec![b'a'; 11]).check(10), Err(RequestError::PromptTooLong));
		assert_eq!(chat(&[]).check(10), Err(RequestError::EmptyMessages));
		assert_eq!(chat(&[(Role::User, "")]).check(10), Err(RequestError::EmptyPrompt));
		let many = [(Role::User, "a"); MAX_MESSAGES + 1];
		assert_eq!(chat(&many).check(100), Err(RequestError::TooManyMessages));
		assert_eq!(chat(&many[..MAX_MESSAGES]).check(100), Ok(()));
		assert_eq!(chat(&[(Role::User, "a\0b")]).check(10), Err(RequestError::BadMessage));
		assert_eq!(
			chat(&[(Role::System, "ab"), (Role::User, "abc")]).check(4),
			Err(RequestError::PromptTooLong)
		);
		let mut bad = vec![0xff, 0xfe];
		let mut r = chat(&[(Role::User, "x")]);
		if let Input::Chat(m) = &mut r.input {
			core::mem::swap(&mut m[0].content, &mut bad);
		}
		assert_eq!(r.check(10), Err(RequestError::BadMessage));

		let sampled = |f: fn(&mut Sampling)| {
			let mut r = JobRequest::text(b"hi".to_vec());
			f(&mut r.sampling);
			r.check(10)
		};
		assert_eq!(sampled(|s| s.temperature = MAX_TEMPERATURE), Ok(()));
		assert_eq!(
			sampled(|s| s.temperature = MAX_TEMPERATURE + 1),
			Err(RequestError::TemperatureOutOfRange)
		);
		assert_eq!(sampled(|s| s.top_p = 0), Err(RequestError::TopPOutOfRange));
		assert_eq!(sampled(|s| s.top_p = TOP_P_OFF + 1), Err(RequestError::TopPOutOfRange));
		assert_eq!(sampled(|s| s.top_k = MAX_TOP_K + 1), Err(RequestError::TopKOutOfRange));
		assert_eq!(sampled(|s| s.seed = u32::MAX), Err(RequestError::ReservedSeed));
		assert_eq!(sampled(|s| s.stop = vec![b"x".to_vec(); MAX_STOPS]), Ok(()));
		assert_eq!(
			sampled(|s| s.stop = vec![b"x".to_vec(); MAX_STOPS + 1]),
			Err(RequestError::TooManyStops)
		);
		assert_eq!(sampled(|s| s.stop = vec![Vec::new()]), Err(RequestError::BadStop));
		assert_eq!(
			sampled(|s| s.stop = vec![vec![b'x'; MAX_STOP_LEN + 1]]),
			Err(RequestError::BadStop)
		);
	}

	#[test]
	fn the_largest_request_fits_its_overhead() {
		let long = "a".repeat(100);
		let parts = [(Role::Assistant, long.as_str()); MAX_MESSAGES];
		let mut r = chat(&parts);
		r.sampling = Sampling {
			temperature: MAX_TEMPERATURE,
			top_p: 1,
			top_k: MAX_TOP_K,
			seed: 7,
			stop: vec![vec![b's'; MAX_STOP_LEN]; MAX_STOPS],
		};
		let text = r.text_bytes();
		assert!(r.check(u32::MAX).is_ok());
		assert!(r.encode().len() <= text + REQUEST_OVERHEAD as usize);
	}

	#[test]
	fn chats_are_bounded_with_their_template() {
		let r = chat(&[(Role::System, "abc"), (Role::User, "de")]);
		assert_eq!(r.prompt_tokens_bound(), 5 + CHAT_BASE_TOKENS + 2 * CHAT_TOKENS_PER_MESSAGE);
		assert_eq!(JobRequest::text(b"abc".to_vec()).prompt_tokens_bound(), 3);
	}

	#[test]
	fn file_types_are_llama_cpp_numbers() {
		use crate::FileType;
		assert_eq!(FileType::from_llama(3), Some(FileType::Q4_1));
		assert_eq!(FileType::from_llama(30), Some(FileType::IQ4_XS));
		assert_eq!(FileType::from_llama(4), None);
		assert_eq!(FileType::from_llama(1024), None);
		assert_eq!(FileType::Q8_0.to_llama(), 7);
		assert_eq!(FileType::BF16.to_llama(), 32);
	}
}
