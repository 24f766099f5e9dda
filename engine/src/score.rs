//! Teacher forcing: how likely this engine's model finds another engine's output.
//!
//! [`Engine::score`] runs one forward pass over a job's prompt followed by an output someone
//! else generated, and asks at every output position whether this model would have produced
//! that token: greedy jobs, within a tolerance of the likeliest token; sampled jobs, inside the
//! job's top-k / top-p nucleus (with slack), and how typical the whole output is under the
//! job's sampling distribution. It is what an auditor runs; the chain's rule for the verdict
//! is `mosaic_primitives::audit`, which also holds the tolerances the node passes in.

use crate::{request, Engine, EngineError, Request, Sampling, Settings};
use llama_cpp_2::{llama_batch::LlamaBatch, model::LlamaModel, token::LlamaToken};

/// How far from this engine's own choice a token may be and still count as one it could
/// have produced.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerances {
	/// Greedy jobs: most log-probability (nats) a token may lie below the likeliest one.
	pub greedy_nats: f32,
	/// Sampled jobs: tokens less than this many nats likelier than a token count as ties
	/// with it when deciding whether it lies inside the top-k and the nucleus.
	pub sampled_nats: f32,
	/// Sampled jobs: the most standard deviations one token's deviation from its expected
	/// log-probability may count below zero towards `z` (larger ones are clipped).
	pub deviation_clip_sigmas: f64,
}

/// What [`Engine::score`] measured.
#[derive(Clone, Debug, PartialEq)]
pub struct Score {
	/// The output's tokens, as the executor claims them.
	pub tokens: u32,
	/// Whether those tokens spell the output (see [`Engine::score`]); when they do not,
	/// nothing else was measured.
	pub spelled: bool,
	/// Output tokens this model would not have produced there.
	pub misses: u32,
	/// The output stopped early (before `max_tokens`, no stop sequence) where this model
	/// would not have stopped.
	pub end_miss: bool,
	/// Sampled jobs: `Σ(log q(t) + H) / √Σ Var` over the positions inside the nucleus,
	/// about N(0, 1) for an honest sample; greedy jobs: 0.
	pub z: f64,
	/// Mean log-probability of the output's tokens at temperature 1 (nats).
	pub mean_logprob: f64,
	/// Per position, what was compared with the tolerance: greedy, the gap to the likeliest
	/// token (nats); sampled, the probability of the likelier tokens. The end check last.
	pub gaps: Vec<f32>,
}

/// One position's verdict and statistics.
struct Position {
	miss: bool,
	gap: f32,
	logprob: f64,
	/// log q(t) + H and Var of log q, when the token is inside the sampling support.
	typicality: Option<(f64, f64)>,
}

/// log Σ exp(logits / temperature).
fn log_sum_exp(logits: &[f32], temperature: f32) -> f64 {
	let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
	let t = f64::from(temperature);
	let sum: f64 = logits.iter().map(|l| ((f64::from(*l) - max) / t).exp()).sum();
	max / t + sum.ln()
}

/// Judges `target` at one position whose logits are `logits` (`targets`: the acceptable
/// tokens, e.g. every end-of-generation token; the likeliest of them is judged).
fn position(
	logits: &[f32],
	targets: &[LlamaToken],
	sampling: &Sampling,
	tol: &Tolerances,
) -> Position {
	let logit = |t: &LlamaToken| logits.get(t.0 as usize).copied().unwrap_or(f32::NEG_INFINITY);
	let target = targets
		.iter()
		.copied()
		.max_by(|a, b| logit(a).total_cmp(&logit(b)))
		.unwrap_or(LlamaToken(0));
	let own = logit(&target);
	let logprob = f64::from(own) - log_sum_exp(logits, 1.0);
	let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);

	if sampling.temperature <= 0.0 {
		let gap = max - own;
		return Position { miss: gap > tol.greedy_nats, gap, logprob, typicality: None };
	}

	// The sampler's chain: top-k, then top-p at temperature 1 over what is left, then the
	// temperature. Logits in descending order, with their tokens.
	let mut sorted: Vec<(f32, i32)> = logits.iter().copied().zip(0..).collect();
	sorted.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
	let k = match usize::try_from(sampling.top_k) {
		Ok(k) if k > 0 => k.min(sorted.len()),
		_ => sorted.len(),
	};
	let kept: Vec<f32> = sorted.iter().take(k).map(|(l, _)| *l).collect();
	let norm = log_sum_exp(&kept, 1.0);
	let rank = sorted.iter().position(|(_, t)| *t == target.0).unwrap_or(sorted.len());
	// Near-ties are ties: only tokens clearly likelier than the target (by more than the
	// tolerance) push it out of the top-k or the nucleus.
	let clearly_above: Vec<f32> =
		kept.iter().copied().take_while(|l| *l > own + tol.sampled_nats).collect();
	let mass_above: f64 = clearly_above.iter().map(|l| (f64::from(*l) - norm).exp()).sum::<f64>();
	let in_k = clearly_above.len() < k;
	let in_p = mass_above < f64::from(sampling.top_p);
	let miss = !(in_k && in_p);

	// The exact support: top-k, then the smallest prefix reaching top_p (at least one token).
	let mut support = 0usize;
	let mut mass = 0.0f64;
	for l in &kept {
		support += 1;
		mass += (f64::from(*l) - norm).exp();
		if sampling.top_p < 1.0 && mass >= f64::from(sampling.top_p) {
			break;
		}
	}
	let typicality = (rank < support).then(|| {
		let scaled: Vec<f32> = kept.iter().take(support).copied().collect();
		let z = log_sum_exp(&scaled, sampling.temperature);
		let t = f64::from(sampling.temperature);
		let (mut h, mut second) = (0.0f64, 0.0f64);
		for l in &scaled {
			let lq = f64::from(*l) / t - z;
			let q = lq.exp();
			h -= q * lq;
			second += q * lq * lq;
		}
		let lq_target = f64::from(own) / t - z;
		(lq_target + h, (second - h * h).max(0.0))
	});
	Position { miss, gap: mass_above as f32, logprob, typicality }
}

impl Engine {
	/// Scores `output`, which another engine generated for `request` as the tokens
	/// `token_ids`, against this engine's model `hash` (see the module docs). The end of an
	/// output that stopped before `max_tokens` is checked only when the request has no stop
	/// sequences (the output ends before a stop, whose tokens are gone), and it did not end
	/// within one token of `max_output_bytes` (where the executor's engine ends it).
	pub fn score(
		&self,
		hash: &[u8; 32],
		request: &Request,
		output: &[u8],
		token_ids: &[i32],
		max_output_bytes: Option<usize>,
		tol: &Tolerances,
	) -> Result<Score, EngineError> {
		let model = self.model(hash)?;
		let prompt = request::tokens(&model, &request.prompt)?;
		if prompt.is_empty() {
			return Err(EngineError::EmptyPrompt);
		}
		let n_vocab = model.vocab().n_tokens();
		let out: Vec<LlamaToken> = token_ids.iter().map(|t| LlamaToken(*t)).collect();
		let spelling = if token_ids.iter().all(|t| (0..n_vocab).contains(t)) {
			spelling(&model, &out, output, &request.sampling.stop)
		} else {
			Spelling::No
		};
		let spelled = spelling != Spelling::No;
		// The end is checked unless a stop sequence ended the output (its tokens are the
		// stop's), or it ended within one token of the byte limit (as at `max_tokens`).
		let check_end = (out.len() as u32) < request.max_tokens
			&& spelling == Spelling::Exact
			&& max_output_bytes.is_none_or(|l| output.len() + longest_piece(&model) <= l);
		let Settings { n_ctx, .. } = self.settings();
		if prompt.len() + out.len() > n_ctx as usize {
			return Err(EngineError::ContextTooSmall {
				prompt: prompt.len(),
				max: out.len() as u32,
				n_ctx,
			});
		}
		let mut score = Score {
			tokens: out.len() as u32,
			spelled,
			misses: 0,
			end_miss: false,
			z: 0.0,
			mean_logprob: 0.0,
			gaps: Vec::with_capacity(out.len() + 1),
		};
		if !spelled {
			// Tokens outside the vocabulary cannot be fed to the model; nothing else counts.
			return Ok(score);
		}
		let ends = if check_end { end_tokens(&model) } else { Vec::new() };
		let positions = self.forward(&model, &prompt, &out, &ends, request, tol)?;

		let (mut deviation, mut variance, mut logprob) = (0.0f64, 0.0f64, 0.0f64);
		for (i, p) in positions.iter().enumerate() {
			score.gaps.push(p.gap);
			if i < out.len() {
				score.misses += u32::from(p.miss);
				logprob += p.logprob;
			} else {
				score.end_miss = p.miss;
			}
			if let Some((d, v)) = p.typicality {
				deviation += d.max(-tol.deviation_clip_sigmas * v.sqrt());
				variance += v;
			}
		}
		if !out.is_empty() {
			score.mean_logprob = logprob / out.len() as f64;
		}
		if request.sampling.temperature > 0.0 && variance > 0.0 {
			score.z = deviation / variance.sqrt();
		}
		Ok(score)
	}

	/// One forward pass over `prompt ++ out`, judging every output token (and, with `ends`,
	/// the position after the output against the end-of-generation tokens).
	fn forward(
		&self,
		model: &LlamaModel,
		prompt: &[LlamaToken],
		out: &[LlamaToken],
		ends: &[LlamaToken],
		request: &Request,
		tol: &Tolerances,
	) -> Result<Vec<Position>, EngineError> {
		let inference = |e: &dyn std::fmt::Display| EngineError::Inference(e.to_string());
		let n_batch = self.settings().n_batch as usize;
		let params = crate::engine::context_params(self.settings(), 1);
		let mut ctx = model.new_context(self.backend, params).map_err(|e| inference(&e))?;
		let all: Vec<LlamaToken> = prompt.iter().chain(out.iter()).copied().collect();
		// Position `j` predicts token `j + 1`: the first judged is the prompt's last.
		let first = prompt.len() - 1;
		let judged = |j: usize| j >= first && (j + 1 < all.len() || !ends.is_empty());
		let mut positions = Vec::with_capacity(out.len() + 1);
		let mut batch = LlamaBatch::new(n_batch, 1);
		for (c, chunk) in all.chunks(n_batch).enumerate() {
			batch.clear();
			for (k, t) in chunk.iter().enumerate() {
				let j = c * n_batch + k;
				batch.add(*t, j as i32, &[0], judged(j)).map_err(|e| inference(&e))?;
			}
			ctx.decode(&mut batch).map_err(|e| inference(&e))?;
			for k in 0..chunk.len() {
				let j = c * n_batch + k;
				if !judged(j) {
					continue;
				}
				let targets = match all.get(j + 1) {
					Some(t) => std::slice::from_ref(t),
					None => ends,
				};
				let logits = ctx.get_logits_ith(k as i32);
				positions.push(position(logits, targets, &request.sampling, tol));
			}
		}
		Ok(positions)
	}
}

/// How an executor's tokens spell its output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Spelling {
	/// They do not: another text, or a control token among them (control tokens render as
	/// nothing, so they would pad a count for free; generation ends at one).
	No,
	/// Exactly.
	Exact,
	/// `output` followed by a stop sequence that the last token completes: generation ends at
	/// the token that completes a stop, and the output is cut before the stop.
	ThenStop,
}

/// How `tokens` spell `output` (see [`Spelling`]).
fn spelling(
	model: &LlamaModel,
	tokens: &[LlamaToken],
	output: &[u8],
	stops: &[Vec<u8>],
) -> Spelling {
	let vocab = model.vocab();
	if tokens.iter().any(|t| vocab.is_control(*t) || vocab.is_eog(*t)) {
		return Spelling::No;
	}
	let pieces: Vec<Vec<u8>> =
		tokens.iter().map(|t| vocab.token_to_piece(*t, false, None)).collect();
	let text: Vec<u8> = pieces.concat();
	if text == output {
		return Spelling::Exact;
	}
	let Some(rest) = text.strip_prefix(output) else { return Spelling::No };
	let last = pieces.last().map(Vec::len).unwrap_or(0);
	if stops.iter().any(|s| rest.starts_with(s) && rest.len() < s.len() + last) {
		Spelling::ThenStop
	} else {
		Spelling::No
	}
}

/// The most bytes one token of `model`'s vocabulary renders as.
fn longest_piece(model: &LlamaModel) -> usize {
	let vocab = model.vocab();
	(0..vocab.n_tokens())
		.map(|t| vocab.token_to_piece(LlamaToken(t), false, None).len())
		.max()
		.unwrap_or(0)
}

/// Every token that ends generation in `model`'s vocabulary: end-of-generation and control
/// tokens (see `Generation::step`).
fn end_tokens(model: &LlamaModel) -> Vec<LlamaToken> {
	let vocab = model.vocab();
	(0..vocab.n_tokens())
		.map(LlamaToken)
		.filter(|t| vocab.is_eog(*t) || vocab.is_control(*t))
		.collect()
}

/// Writes `src` requantized to llama.cpp file type `file_type` (e.g. 7 = Q8_0, 2 = Q4_0) at
/// `dst`: the same weights at another precision, for calibrating audits across
/// quantizations when only one file of a model exists.
pub fn requantize(
	src: &std::path::Path,
	dst: &std::path::Path,
	file_type: u32,
) -> Result<(), EngineError> {
	crate::engine::backend()?;
	let c = |p: &std::path::Path| {
		std::ffi::CString::new(p.display().to_string()).map_err(|e| EngineError::Io {
			path: p.display().to_string(),
			source: std::io::Error::other(e),
		})
	};
	let (src_c, dst_c) = (c(src)?, c(dst)?);
	// SAFETY: the default parameters are plain values; both paths are NUL-terminated and
	// outlive the call.
	let status = unsafe {
		let mut params = llama_cpp_sys_2::llama_model_quantize_default_params();
		params.ftype = file_type as _;
		params.allow_requantize = true;
		params.nthread = 2;
		llama_cpp_sys_2::llama_model_quantize(src_c.as_ptr(), dst_c.as_ptr(), &params)
	};
	if status != 0 {
		return Err(EngineError::Malformed {
			path: src.display().to_string(),
			reason: format!("requantizing to file type {file_type} failed ({status})"),
		});
	}
	Ok(())
}

impl Engine {
	/// The text `tokens` of model `hash` stand for.
	pub fn detokenize(&self, hash: &[u8; 32], tokens: &[i32]) -> Result<Vec<u8>, EngineError> {
		let model = self.model(hash)?;
		let vocab = model.vocab();
		Ok(tokens.iter().flat_map(|t| vocab.token_to_piece(LlamaToken(*t), false, None)).collect())
	}
}

impl Engine {
	/// The tokens `text` becomes for model `hash` as an output (no BOS, control tokens'
	/// text stays text): how a dishonest executor would pass text off as the model's.
	pub fn output_tokens(&self, hash: &[u8; 32], text: &[u8]) -> Result<Vec<i32>, EngineError> {
		let model = self.model(hash)?;
		Ok(model.vocab().tokenize(text, false, false).into_iter().map(|t| t.0).collect())
	}
}
