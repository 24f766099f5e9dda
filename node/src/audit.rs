//! Audits on the node: the chain's tolerances handed to the engine's teacher forcing, the
//! engine's score as the report an auditor signs, and `mosaic-node calibrate`, which measures
//! how well the rule separates honest outputs from dishonest ones on given model files.

use crate::inference::{engine_request_of, EngineParams};
use mosaic_engine::{hex, Engine, Score, Tolerances};
use mosaic_primitives::{
	audit::{self, judge},
	AuditReport, Finding, Input, JobRequest, Sampling,
};
use std::path::{Path, PathBuf};

/// The tolerances of `mosaic_primitives::audit`, as the engine takes them.
pub fn tolerances() -> Tolerances {
	Tolerances {
		greedy_nats: audit::GREEDY_TOLERANCE_MILLI as f32 / 1_000.0,
		sampled_nats: audit::SAMPLED_TOLERANCE_MILLI as f32 / 1_000.0,
		deviation_clip_sigmas: f64::from(audit::DEVIATION_CLIP_MILLI) / 1_000.0,
	}
}

/// The engine's score as the report an auditor signs (statistics in thousandths).
pub fn report(score: &Score) -> AuditReport {
	let milli =
		|x: f64| (x * 1_000.0).round().clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i32;
	AuditReport {
		tokens: score.tokens,
		spelled: score.spelled,
		misses: score.misses,
		end_miss: score.end_miss,
		z_milli: milli(score.z),
		mean_logprob_milli: milli(score.mean_logprob),
	}
}

/// Prompts of the calibration: plain text in several registers.
const PROMPTS: [&str; 8] = [
	"The capital of France is",
	"Once upon a time there was a little robot who",
	"To make a cup of tea, first",
	"The three laws of thermodynamics state that",
	"def fibonacci(n):\n",
	"Q: What is 12 times 7?\nA:",
	"The best way to learn a new language is",
	"Photosynthesis is the process by which",
];

/// `mosaic-node calibrate`: runs an executor on a set of prompts, greedy and sampled, then
/// audits its honest outputs and dishonest variants of them with another engine (other
/// threads, another quantization of the same weights), and prints each case's report and
/// verdict as JSON lines, then a summary per scenario. Asserts nothing: a measurement.
#[derive(Debug, Clone, clap::Args)]
pub struct CalibrateCmd {
	/// The executor's GGUF file.
	#[arg(long, value_name = "FILE")]
	pub executor_model: PathBuf,

	/// The auditor's GGUF file: the same weights, possibly another quantization (default:
	/// the executor's).
	#[arg(long, value_name = "FILE")]
	pub auditor_model: Option<PathBuf>,

	/// Audit with the executor's file requantized to this llama.cpp file type (7 = Q8_0,
	/// 2 = Q4_0), written beside it: the same weights at another precision.
	#[arg(long, value_name = "FILE_TYPE", conflicts_with = "auditor_model")]
	pub requantize: Option<u32>,

	/// A different model, whose outputs a dishonest executor passes off as the job's.
	#[arg(long, value_name = "FILE")]
	pub other_model: Option<PathBuf>,

	/// The executor's threads.
	#[arg(long, default_value_t = 1)]
	pub executor_threads: u32,

	/// The auditor's threads.
	#[arg(long, default_value_t = 2)]
	pub auditor_threads: u32,

	/// Each job's `max_tokens`.
	#[arg(long, default_value_t = 64)]
	pub max_tokens: u32,

	/// Sampled runs per prompt, each with its own seed: more honest samples, for the tail of
	/// the typicality test.
	#[arg(long, default_value_t = 1)]
	pub seeds: u32,

	#[clap(flatten)]
	pub engine: EngineParams,
}

/// One audited case.
struct Case {
	scenario: &'static str,
	sampled: bool,
	claimed: u32,
	report: AuditReport,
	finding: Finding,
	max_gap: f32,
}

impl CalibrateCmd {
	fn engine(&self, threads: u32, file: &Path) -> Result<(Engine, [u8; 32]), String> {
		let dir = file.parent().map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."));
		let mut settings = self.engine.settings();
		settings.n_threads = threads;
		let engine = Engine::new(dir, settings).map_err(|e| e.to_string())?;
		let hash = engine.load_file(file).map_err(|e| e.to_string())?;
		Ok((engine, hash))
	}

	/// Runs the calibration and prints its figures.
	pub fn run(&self) -> Result<(), String> {
		let (executor, exec_hash) = self.engine(self.executor_threads, &self.executor_model)?;
		let requantized = self.requantize.map(|file_type| {
			let out = self.executor_model.with_extension(format!("requantized-{file_type}.gguf"));
			mosaic_engine::requantize(&self.executor_model, &out, file_type)
				.map(|_| out)
				.map_err(|e| e.to_string())
		});
		let auditor_file = match requantized.transpose()? {
			Some(file) => file,
			None => self.auditor_model.clone().unwrap_or_else(|| self.executor_model.clone()),
		};
		let (auditor, audit_hash) = self.engine(self.auditor_threads, &auditor_file)?;
		let other = self.other_model.as_ref().map(|f| self.engine(1, f)).transpose()?;
		eprintln!(
			"executor 0x{} ({} thread(s)), auditor 0x{} ({} thread(s)){}",
			hex(&exec_hash),
			self.executor_threads,
			hex(&audit_hash),
			self.auditor_threads,
			other.as_ref().map(|(_, h)| format!(", other model 0x{}", hex(h))).unwrap_or_default(),
		);
		let tol = tolerances();
		let mut cases = Vec::new();
		let seeds = self.seeds.max(1);
		let runs = [(false, 0)].into_iter().chain((0..seeds).map(|s| (true, s)));
		for (i, prompt) in PROMPTS.iter().enumerate() {
			for (sampled, s) in runs.clone() {
				let sampling = if sampled {
					Sampling {
						temperature: 80,
						top_p: 9_500,
						top_k: 40,
						seed: (i as u32).saturating_mul(seeds).saturating_add(s),
						stop: vec![],
					}
				} else {
					Sampling::default()
				};
				let job = JobRequest { input: Input::Text(prompt.as_bytes().to_vec()), sampling };
				let request = engine_request_of(&job, self.max_tokens);
				let run = |engine: &Engine, hash: &[u8; 32], max_tokens: u32| {
					let mut r = request.clone();
					r.max_tokens = max_tokens;
					engine.complete(hash, &r, Default::default()).map_err(|e| e.to_string())
				};
				let honest = run(&executor, &exec_hash, self.max_tokens)?;
				let ids = honest.token_ids.clone();
				let spell =
					|ids: &[i32]| executor.detokenize(&exec_hash, ids).map_err(|e| e.to_string());
				let tokenize = |text: &[u8]| {
					executor.output_tokens(&exec_hash, text).map_err(|e| e.to_string())
				};

				let mut variants: Vec<(&'static str, Vec<u8>, Vec<i32>)> =
					vec![("honest", honest.output.clone(), ids.clone())];
				if let Some((engine, hash)) = &other {
					let out = run(engine, hash, self.max_tokens)?;
					let ids = tokenize(&out.output)?;
					variants.push(("other model", out.output, ids));
				}
				if ids.len() >= 4 {
					let half = ids[..ids.len() / 2].to_vec();
					variants.push(("truncated", spell(&half)?, half));
					let mut shuffled = ids.clone();
					shuffle(&mut shuffled, i as u64 + 1);
					variants.push(("shuffled", spell(&shuffled)?, shuffled));
				}
				// More tokens for the same text: spelled out a character at a time.
				let text = String::from_utf8_lossy(&honest.output).into_owned();
				let mut spelled_out = Vec::new();
				for c in text.chars() {
					spelled_out.extend(tokenize(c.to_string().as_bytes())?);
				}
				if spelled_out.len() > ids.len() && spell(&spelled_out)? == honest.output {
					variants.push(("inflated", honest.output.clone(), spelled_out));
				}
				// A count that does not match the text: one token more than generated.
				let mut padded = ids.clone();
				padded.extend(ids.last().copied());
				variants.push(("padded", honest.output.clone(), padded));
				for (scenario, output, ids) in variants {
					let claimed = ids.len() as u32;
					let score = auditor
						.score(&audit_hash, &request, &output, &ids, None, &tol)
						.map_err(|e| format!("{scenario}: {e}"))?;
					let report = report(&score);
					let finding = judge(&report, sampled);
					let max_gap = score.gaps.iter().copied().fold(0.0f32, f32::max);
					println!(
						"{}",
						serde_json::json!({
							"prompt": i, "sampled": sampled, "scenario": scenario,
							"tokens": claimed, "spelled": report.spelled, "misses": report.misses, "endMiss": report.end_miss,
							"z": f64::from(report.z_milli) / 1e3,
							"meanLogprob": f64::from(report.mean_logprob_milli) / 1e3,
							"maxGap": max_gap, "finding": format!("{finding:?}"),
						})
					);
					cases.push(Case { scenario, sampled, claimed, report, finding, max_gap });
				}
			}
		}
		summarise(&cases);
		Ok(())
	}
}

/// A deterministic Fisher–Yates shuffle (xorshift from `seed`).
fn shuffle(tokens: &mut [i32], mut seed: u64) {
	for i in (1..tokens.len()).rev() {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		tokens.swap(i, (seed % (i as u64 + 1)) as usize);
	}
}

/// Prints, per scenario and mode: cases judged honest, the range of misses per token, of `z`
/// and of the claimed-to-recounted tokens.
fn summarise(cases: &[Case]) {
	eprintln!(
		"{:<12} {:<8} {:>7} {:>17} {:>17} {:>13} {:>9}",
		"scenario", "mode", "honest", "misses/token", "z", "tokens", "max gap"
	);
	let mut scenarios: Vec<&str> = cases.iter().map(|c| c.scenario).collect();
	scenarios.dedup();
	scenarios.sort();
	scenarios.dedup();
	for scenario in scenarios {
		for sampled in [false, true] {
			let of: Vec<&Case> =
				cases.iter().filter(|c| c.scenario == scenario && c.sampled == sampled).collect();
			if of.is_empty() {
				continue;
			}
			let range = |f: &dyn Fn(&Case) -> f64| {
				let v: Vec<f64> = of.iter().map(|c| f(c)).collect();
				let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
				let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
				format!("{lo:.2}..{hi:.2}")
			};
			let honest = of.iter().filter(|c| c.finding.is_honest()).count();
			eprintln!(
				"{:<12} {:<8} {:>3}/{:<3} {:>17} {:>17} {:>13} {:>9}",
				scenario,
				if sampled { "sampled" } else { "greedy" },
				honest,
				of.len(),
				range(&|c| f64::from(c.report.misses) / f64::from(c.report.tokens.max(1))),
				if sampled { range(&|c| f64::from(c.report.z_milli) / 1e3) } else { "-".into() },
				range(&|c| f64::from(c.claimed)),
				range(&|c| f64::from(c.max_gap)),
			);
		}
	}
}
