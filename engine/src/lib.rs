//! # Mosaic's inference engine
//!
//! Runs a provider's jobs with llama.cpp (through `llama-cpp-2`), knowing nothing of FRAME:
//!
//! - [`ModelDir`] finds a model file by its registered content hash (BLAKE2b-256 of the whole
//!   file) and refuses files whose hash differs;
//! - [`Engine`] loads verified GGUF models once and keeps them, and decodes reproducibly:
//!   greedy or seeded sampling ([`Sampling`]), fixed context/batch/thread settings, flash
//!   attention off; chat messages are rendered with the model's own template, their text
//!   never parsed as control tokens ([`request`]);
//! - [`Engine::batcher`] decodes several jobs of a model at once in one context, one sequence
//!   each (continuous batching, [`batch`]);
//! - [`Engine::inspect`] reads what a GGUF header says ([`ModelHeader`]);
//! - [`Engine::fingerprint`] describes everything that decides the output (llama.cpp build and
//!   its SIMD features, the settings), so two providers' outputs are compared only when their
//!   fingerprints are equal.
//!
//! Errors are typed ([`EngineError`]); logs go to the `mosaic::inference` target.

#![allow(clippy::arithmetic_side_effects)] // counters and durations of a local process

pub mod batch;
mod engine;
mod generation;
mod hash;
mod inspect;
pub mod request;
mod score;

pub use batch::{Batcher, Done, Job, Load, QueueFull};
pub use engine::{Engine, Inference, Settings};
pub use generation::Stream;
pub use hash::{blake2b_256, content_hash, ModelDir};
pub use inspect::ModelHeader;
pub use request::{ChatMessage, Prompt, Request, Sampling};
pub use score::{requantize, Score, Tolerances};

/// Everything that can go wrong running a job.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
	/// No file in the models directory has this content hash.
	#[error("no model with content hash {0} in the models directory")]
	ModelNotFound(String),
	/// The file's content hash is not the registered one: it is never served.
	#[error("{path}: content hash {actual} differs from the registered {expected}")]
	HashMismatch { path: String, expected: String, actual: String },
	/// Reading a file failed.
	#[error("{path}: {source}")]
	Io { path: String, source: std::io::Error },
	/// llama.cpp could not load the file (not a GGUF model it understands).
	#[error("{path}: llama.cpp could not load it: {reason}")]
	Malformed { path: String, reason: String },
	/// The llama.cpp backend could not start.
	#[error("llama.cpp backend: {0}")]
	Backend(String),
	/// The prompt tokenises to nothing.
	#[error("the prompt is empty once tokenised")]
	EmptyPrompt,
	/// Prompt plus `max_tokens` do not fit the context window.
	#[error("prompt ({prompt} tokens) plus max_tokens ({max}) exceed the context of {n_ctx}")]
	ContextTooSmall { prompt: usize, max: u32, n_ctx: u32 },
	/// llama.cpp failed while decoding.
	#[error("llama.cpp: {0}")]
	Inference(String),
	/// Chat messages for a model without a chat template.
	#[error("the model has no chat template: it takes raw prompts only")]
	NoChatTemplate,
	/// llama.cpp could not apply the model's chat template.
	#[error("chat template: {0}")]
	Template(String),
	/// The GGUF header lacks a field a registration needs.
	#[error("GGUF header: {0}")]
	Header(String),
	/// The time budget ran out: generation stopped there.
	#[error("the time budget of {budget_ms} ms ran out after {tokens} tokens")]
	OutOfTime { budget_ms: u128, tokens: u32 },
}

/// Bounds on one run besides `max_tokens`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Limits {
	/// Most output bytes: the output ends before the token that would pass them, as it ends
	/// at `max_tokens` (an answer, not an error: what was streamed is paid for).
	pub max_output_bytes: Option<usize>,
	/// Most wall-clock time, prompt processing included.
	pub time_budget: Option<std::time::Duration>,
}

/// Hex of a 32-byte hash, for logs and errors.
pub fn hex(bytes: &[u8; 32]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}
