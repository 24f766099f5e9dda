//! Audits: what an auditor's engine measures when it re-scores an executor's output by
//! *teacher forcing* (one forward pass over prompt + output in its own llama.cpp, any
//! hardware, any thread count or quantization of the same weights), and the rule that turns
//! the measurement into a verdict.
//!
//! The rule is written once, here: the auditor's engine counts misses with the tolerances
//! below, the chain judges the report with [`judge`], and the calibration benchmark
//! (`mosaic-node calibrate`, `scripts/calibrate.sh`; figures in docs/protocol.md) measures both on honest
//! and dishonest outputs.
//!
//! For each output token the auditor asks its own model what it would have produced there,
//! given the prompt and the executor's output so far:
//!
//! - **greedy** jobs: the token must be within [`GREEDY_TOLERANCE_MILLI`] (log-probability,
//!   milli-nats) of the auditor's likeliest token — other hardware flips near-ties, not
//!   clear choices;
//! - **sampled** jobs: the token must lie inside the job's top-k / top-p nucleus, counting
//!   tokens within [`SAMPLED_TOLERANCE_MILLI`] of it as ties; and the output's log-likelihood under the job's sampling distribution must be typical:
//!   `z = Σ(log q(t) + H) / √Σ Var` is about N(0, 1) for an honest sample, and far below
//!   zero for text another model wrote ([`MIN_Z_MILLI`]);
//! - where the output ended before `max_tokens` (and not by a stop sequence, nor within one
//!   token of the chain's byte limit), the model's end-of-generation token must pass the same
//!   test there: a truncated output fails it, and that alone decides — with stop sequences
//!   too, unless the tokens end with the stop;
//! - the executor posts the ids of the tokens it generated (what the user pays for); they
//!   must spell the output exactly (or the output and then the stop sequence that ended it,
//!   completed by the last token), and hold no control token (they render as nothing, and
//!   generation ends at one). The auditor scores those very tokens, so no tokenizer round trip
//!   is assumed, and an inflated count cannot spell the output.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// Greedy jobs: a token more than this many milli-nats of log-probability below the
/// auditor's likeliest token is a miss.
pub const GREEDY_TOLERANCE_MILLI: u32 = 2_000;
/// Sampled jobs: a token is inside the top-k and the nucleus unless the tokens *clearly*
/// likelier than it — by more than this many milli-nats — fill them already.
pub const SAMPLED_TOLERANCE_MILLI: u32 = 500;
/// Misses allowed in any output.
pub const FREE_MISSES: u32 = 2;
/// Greedy jobs: misses allowed per thousand tokens beyond [`FREE_MISSES`] (quantizations
/// of the same weights flip near-ties).
pub const GREEDY_MISSES_PER_MILLE: u32 = 40;
/// Sampled jobs: misses allowed per thousand tokens beyond [`FREE_MISSES`].
pub const SAMPLED_MISSES_PER_MILLE: u32 = 10;
/// Sampled jobs: the lowest typicality `z` (× 1000) an honest sample is allowed.
pub const MIN_Z_MILLI: i32 = -5_000;
/// Sampled jobs: the fewest scored tokens whose typicality is judged. `z` is a sum of
/// per-token deviations scaled to unit variance; over a few tokens it is one or two draws of
/// a heavy-tailed variable, not about N(0, 1), and an honest far-tail sample of a short
/// answer would read as fraud. Below this, a sampled answer is judged on its misses alone.
pub const MIN_TYPICAL_TOKENS: u32 = 32;
/// Sampled jobs: a single token's deviation counts at most this many of its standard
/// deviations (× 1000) below its mean, so one honest far-tail token cannot by itself move `z`
/// past [`MIN_Z_MILLI`]: text another model wrote is found by many moderately unlikely
/// tokens, not by one.
pub const DEVIATION_CLIP_MILLI: u32 = 4_000;
/// Two auditors' reports on the same output agree when they scored the same tokens and their
/// mean log-probabilities differ by at most this (milli-nats). Measured on SmolLM2: 1 vs 2
/// threads and Q4_1 vs its Q8_0 requantization differ by at most 25; an auditor that reports
/// without running the model cannot know the figure.
pub const LOGPROB_AGREEMENT_MILLI: u32 = 100;

/// What an auditor's engine measured on an executor's output.
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
pub struct AuditReport {
	/// The executor's tokens the auditor scored.
	pub tokens: u32,
	/// Whether those tokens spell the output. When they do not, nothing else is measured.
	pub spelled: bool,
	/// Output tokens the auditor's model would not have produced there.
	pub misses: u32,
	/// The output stopped before `max_tokens` without a stop sequence, where the auditor's
	/// model would not have stopped: a truncated output.
	pub end_miss: bool,
	/// Sampled jobs: the typicality of the output under the job's sampling distribution,
	/// × 1000 (about N(0, 1) for an honest sample). Greedy jobs: 0.
	pub z_milli: i32,
	/// The mean log-probability of the output's tokens under the auditor's model at
	/// temperature 1, in milli-nats: information for people, not judged.
	pub mean_logprob_milli: i32,
}

/// What an audit found.
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
#[serde(rename_all = "camelCase")]
pub enum Finding {
	/// The output is what the model produces for this request.
	Honest,
	/// More misses than allowed: another model, altered or garbage output.
	Misses,
	/// A sampled output far less likely than samples of this model are.
	Atypical,
	/// The executor's tokens do not spell its output: its token count, what the user pays
	/// for, is made up.
	Misspelled,
	/// The output stops where the model would go on.
	Truncated,
}

impl Finding {
	/// Whether the output passed.
	pub fn is_honest(&self) -> bool {
		matches!(self, Self::Honest)
	}
}

/// Whether two reports on the same output agree (see [`LOGPROB_AGREEMENT_MILLI`]): of two
/// auditors drawn for one answer, one that approves without running is found out.
pub fn agree(a: &AuditReport, b: &AuditReport) -> bool {
	a.tokens == b.tokens
		&& a.spelled == b.spelled
		&& a.mean_logprob_milli.abs_diff(b.mean_logprob_milli) <= LOGPROB_AGREEMENT_MILLI
}

/// How many misses an output of `tokens` tokens may have.
pub fn allowed_misses(tokens: u32, sampled: bool) -> u32 {
	let per_mille = if sampled { SAMPLED_MISSES_PER_MILLE } else { GREEDY_MISSES_PER_MILLE };
	FREE_MISSES.saturating_add(tokens.saturating_mul(per_mille) / 1_000)
}

/// The verdict of an auditor's `report` on an output. `sampled`: the job was sampled, not
/// greedy.
pub fn judge(report: &AuditReport, sampled: bool) -> Finding {
	if !report.spelled {
		return Finding::Misspelled;
	}
	if report.end_miss {
		return Finding::Truncated;
	}
	if report.misses > allowed_misses(report.tokens, sampled) {
		return Finding::Misses;
	}
	if sampled && report.tokens >= MIN_TYPICAL_TOKENS && report.z_milli < MIN_Z_MILLI {
		return Finding::Atypical;
	}
	Finding::Honest
}

#[cfg(test)]
mod tests {
	use super::*;

	fn report(tokens: u32, misses: u32, z_milli: i32) -> AuditReport {
		AuditReport {
			tokens,
			spelled: true,
			misses,
			end_miss: false,
			z_milli,
			mean_logprob_milli: 0,
		}
	}

	#[test]
	fn each_finding_has_its_threshold() {
		assert_eq!(judge(&report(100, 0, 0), false), Finding::Honest);
		// Greedy: 2 + 4 % of 100 = 6 misses allowed; sampled: 2 + 1 % = 3.
		assert_eq!(judge(&report(100, 6, 0), false), Finding::Honest);
		assert_eq!(judge(&report(100, 7, 0), false), Finding::Misses);
		assert_eq!(judge(&report(100, 3, 0), true), Finding::Honest);
		assert_eq!(judge(&report(100, 4, 0), true), Finding::Misses);
		let misspelled = AuditReport { spelled: false, ..report(100, 0, 0) };
		assert_eq!(judge(&misspelled, false), Finding::Misspelled);
		let truncated = AuditReport { end_miss: true, ..report(100, 0, 0) };
		assert_eq!(judge(&truncated, false), Finding::Truncated);
		// Typicality counts for sampled jobs only, of at least MIN_TYPICAL_TOKENS tokens.
		assert_eq!(judge(&report(100, 0, MIN_Z_MILLI - 1), false), Finding::Honest);
		assert_eq!(judge(&report(MIN_TYPICAL_TOKENS, 0, MIN_Z_MILLI - 1), true), Finding::Atypical);
		assert_eq!(judge(&report(100, 0, MIN_Z_MILLI - 1), true), Finding::Atypical);
		assert_eq!(judge(&report(100, 0, MIN_Z_MILLI), true), Finding::Honest);
	}

	/// Review N2: a 1-token sampled answer whose honest sample fell in the far tail (z = -7)
	/// was judged Atypical, and the honest executor lost half its bond.
	#[test]
	fn a_short_sampled_answer_is_not_judged_on_typicality() {
		for tokens in [1, 2, 16, MIN_TYPICAL_TOKENS - 1] {
			assert_eq!(judge(&report(tokens, 0, -7_000), true), Finding::Honest, "{tokens} tokens");
		}
		// Its misses are still judged.
		assert_eq!(judge(&report(1, 3, -7_000), true), Finding::Misses);
	}

	#[test]
	fn reports_agree_within_the_tolerance() {
		let a = AuditReport { mean_logprob_milli: -1_000, ..report(64, 0, 0) };
		assert!(agree(&a, &AuditReport { mean_logprob_milli: -1_100, ..a }));
		assert!(!agree(&a, &AuditReport { mean_logprob_milli: -1_101, ..a }));
		assert!(!agree(&a, &AuditReport { tokens: 65, ..a }));
		assert!(!agree(&a, &AuditReport { mean_logprob_milli: 0, ..a }));
	}

	#[test]
	fn extremes_do_not_overflow() {
		assert_eq!(judge(&report(u32::MAX, u32::MAX, i32::MIN), false), Finding::Misses);
		assert_eq!(judge(&report(0, 0, 0), true), Finding::Honest);
	}
}
