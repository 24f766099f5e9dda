//! One job's decoding: the rules that end it (end of generation, a stop sequence,
//! `max_tokens`, the output and time limits), written once for single and batched runs.

use crate::{EngineError, Inference, Limits, Request, Sampling};
use llama_cpp_2::{
	context::LlamaContext, model::LlamaModel, sampling::LlamaSampler, token::LlamaToken,
};
use std::time::{Duration, Instant};

/// What to do after a step.
pub(crate) enum Next {
	/// Feed this token and sample again.
	Feed(LlamaToken),
	/// The output is complete.
	Done,
}

/// A job being decoded.
pub(crate) struct Generation {
	sampler: LlamaSampler,
	sampling: Sampling,
	max_tokens: u32,
	limits: Limits,
	/// When the job was handed to the engine: time to first token and the time budget count
	/// from here, queueing included.
	start: Instant,
	first_token_at: Option<Duration>,
	output: Vec<u8>,
	generated: u32,
}

impl Generation {
	/// A job of `request`, handed to the engine at `start`.
	pub(crate) fn new(request: &Request, limits: Limits, start: Instant) -> Self {
		Self {
			sampler: request.sampling.sampler(),
			sampling: request.sampling.clone(),
			max_tokens: request.max_tokens,
			limits,
			start,
			first_token_at: None,
			output: Vec::new(),
			generated: 0,
		}
	}

	/// Whether nothing is to be generated at all (`max_tokens` is zero).
	pub(crate) fn is_empty(&self) -> bool {
		self.max_tokens == 0
	}

	/// Samples the next token from the logits at batch index `idx` of `ctx` and applies the
	/// rules: an end-of-generation token or a stop sequence completes the output (a stop and
	/// what follows it are cut), so does `max_tokens`; passing a limit is an error.
	pub(crate) fn step(
		&mut self,
		model: &LlamaModel,
		ctx: &LlamaContext<'_>,
		idx: i32,
	) -> Result<Next, EngineError> {
		let token = self.sampler.sample(ctx, idx);
		self.sampler.accept(token);
		if self.first_token_at.is_none() {
			self.first_token_at = Some(self.start.elapsed());
		}
		let vocab = model.vocab();
		if vocab.is_eog(token) {
			return Ok(Next::Done);
		}
		let piece = vocab.token_to_piece(token, false, None);
		self.output.extend_from_slice(&piece);
		self.generated += 1;
		if let Some(at) = self.sampling.find_stop(&self.output, piece.len()) {
			self.output.truncate(at);
			return Ok(Next::Done);
		}
		if let Some(limit) = self.limits.max_output_bytes.filter(|l| self.output.len() > *l) {
			return Err(EngineError::OutputTooLong { limit });
		}
		if let Some(budget) = self.limits.time_budget.filter(|b| self.start.elapsed() > *b) {
			return Err(EngineError::OutOfTime {
				budget_ms: budget.as_millis(),
				tokens: self.generated,
			});
		}
		if self.generated >= self.max_tokens {
			return Ok(Next::Done);
		}
		Ok(Next::Feed(token))
	}

	/// The result.
	pub(crate) fn finish(self) -> Inference {
		let total = self.start.elapsed();
		let time_to_first_token = self.first_token_at.unwrap_or(total);
		let after_first = total.saturating_sub(time_to_first_token).as_secs_f64();
		let tokens_per_second = if self.generated > 1 && after_first > 0.0 {
			f64::from(self.generated - 1) / after_first
		} else {
			0.0
		};
		Inference {
			output: self.output,
			tokens: self.generated,
			time_to_first_token,
			tokens_per_second,
		}
	}
}
