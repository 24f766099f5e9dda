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

/// Receives the output while it is generated: byte runs that concatenate to the final output
/// (bytes that may still become a stop sequence are held back until they cannot).
pub type Stream = Box<dyn FnMut(&[u8]) + Send>;

/// A job being decoded.
pub(crate) struct Generation {
	stream: Option<Stream>,
	/// Output bytes already streamed.
	streamed: usize,
	/// Bytes held back: one less than the longest stop sequence.
	hold: usize,
	sampler: LlamaSampler,
	sampling: Sampling,
	max_tokens: u32,
	limits: Limits,
	/// When the job was handed to the engine: time to first token and the time budget count
	/// from here, queueing included.
	start: Instant,
	first_token_at: Option<Duration>,
	output: Vec<u8>,
	token_ids: Vec<i32>,
	generated: u32,
}

impl Generation {
	/// A job of `request`, handed to the engine at `start`.
	pub(crate) fn new(
		request: &Request,
		limits: Limits,
		start: Instant,
		stream: Option<Stream>,
	) -> Self {
		let hold = request.sampling.stop.iter().map(Vec::len).max().unwrap_or(1).saturating_sub(1);
		Self {
			stream,
			streamed: 0,
			hold,
			sampler: request.sampling.sampler(),
			sampling: request.sampling.clone(),
			max_tokens: request.max_tokens,
			limits,
			start,
			first_token_at: None,
			output: Vec::new(),
			token_ids: Vec::new(),
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
		// A control token renders as nothing: it ends the output like end-of-generation, so
		// an answer's tokens never hold one (auditors refuse them: they would pad a count).
		if vocab.is_eog(token) || vocab.is_control(token) {
			return Ok(Next::Done);
		}
		let piece = vocab.token_to_piece(token, false, None);
		if self.limits.max_output_bytes.is_some_and(|l| self.output.len() + piece.len() > l) {
			// The output ends at the chain's byte limit as at `max_tokens`: what was generated
			// (and streamed) is the answer, paid per token; this token is not part of it.
			return Ok(Next::Done);
		}
		self.output.extend_from_slice(&piece);
		self.token_ids.push(token.0);
		self.generated += 1;
		if let Some(at) = self.sampling.find_stop(&self.output, piece.len()) {
			self.output.truncate(at);
			return Ok(Next::Done);
		}
		if let Some(late) = self.out_of_time() {
			return Err(late);
		}
		if self.generated >= self.max_tokens {
			return Ok(Next::Done);
		}
		self.flush(self.output.len().saturating_sub(self.hold));
		Ok(Next::Feed(token))
	}

	/// The error to end with if the time budget has run out: checked after every token, and
	/// while the prompt is still being processed (a long prompt must not run past it).
	pub(crate) fn out_of_time(&self) -> Option<EngineError> {
		let budget = self.limits.time_budget.filter(|b| self.start.elapsed() > *b)?;
		Some(EngineError::OutOfTime { budget_ms: budget.as_millis(), tokens: self.generated })
	}

	/// Streams the output up to byte `upto`.
	fn flush(&mut self, upto: usize) {
		if let (Some(stream), Some(new)) =
			(self.stream.as_mut(), self.output.get(self.streamed..upto))
		{
			if !new.is_empty() {
				stream(new);
				self.streamed = upto;
			}
		}
	}

	/// The result; the stream gets the rest of the output first.
	pub(crate) fn finish(mut self) -> Inference {
		self.flush(self.output.len());
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
			token_ids: self.token_ids,
			time_to_first_token,
			tokens_per_second,
		}
	}
}
