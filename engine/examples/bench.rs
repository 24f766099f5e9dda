//! Benchmark: the engine against a direct llama.h decode loop on the same model, prompt and
//! threads. Prints time to first token and decode speed of each, and their ratio (the engine's
//! overhead). Not a test: it asserts nothing but that both produce the same tokens.
//!
//! ```text
//! bench [--threads N] [--tokens N] [--reps N] [--prompt TEXT] [--concurrency 1,2,4,8]
//!       MODEL.gguf [MODEL.gguf ...]
//! ```
//!
//! With `--concurrency`, it also measures the batched engine (`Engine::batcher`): N jobs
//! handed over at once to a batcher of N sequences, for each N: total tokens/s over the
//! wall time of all N, and the median time to first token per job (from hand-over).
//!
//! `scripts/bench-inference.sh` builds nothing new (it uses the test build), generates the
//! tiny and ~85 M-parameter models and runs this, then the end-to-end figures on a dev chain.

// A measuring tool: plain arithmetic on timings and indices into its own buffers.
#![allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use llama_cpp_sys_2 as sys;
use mosaic_engine::{Engine, Settings};
use std::{
	ffi::CString,
	path::{Path, PathBuf},
	time::{Duration, Instant},
};

struct Args {
	threads: u32,
	concurrency: Vec<u32>,
	tokens: u32,
	reps: usize,
	prompt: String,
	models: Vec<PathBuf>,
}

fn parse() -> Result<Args, String> {
	let mut args = Args {
		threads: 1,
		concurrency: vec![],
		tokens: 64,
		reps: 5,
		prompt: "Once upon a time there was a little robot who".into(),
		models: vec![],
	};
	let mut it = std::env::args().skip(1);
	while let Some(a) = it.next() {
		let mut value = || it.next().ok_or(format!("{a} needs a value"));
		match a.as_str() {
			"--threads" => {
				args.threads = value()?.parse().map_err(|e| format!("--threads: {e}"))?
			}
			"--concurrency" => {
				args.concurrency = value()?
					.split(',')
					.map(|n| n.parse().map_err(|e| format!("--concurrency: {e}")))
					.collect::<Result<_, _>>()?
			}
			"--tokens" => args.tokens = value()?.parse().map_err(|e| format!("--tokens: {e}"))?,
			"--reps" => args.reps = value()?.parse().map_err(|e| format!("--reps: {e}"))?,
			"--prompt" => args.prompt = value()?,
			flag if flag.starts_with("--") => return Err(format!("unknown flag {flag}")),
			path => args.models.push(PathBuf::from(path)),
		}
	}
	if args.models.is_empty() || args.reps == 0 {
		return Err(
			"usage: bench [--threads N] [--tokens N] [--reps N] [--prompt TEXT] MODEL.gguf…".into(),
		);
	}
	Ok(args)
}

/// One run's figures.
struct Run {
	ttft: Duration,
	tokens_per_second: f64,
	wall: Duration,
	output: Vec<u8>,
	tokens: u32,
}

fn median(mut xs: Vec<f64>) -> f64 {
	xs.sort_by(f64::total_cmp);
	xs[xs.len() / 2]
}

/// llama.h used directly: what the engine would cost with no Rust layer at all.
struct Direct {
	model: *mut sys::llama_model,
}

impl Direct {
	fn load(path: &Path) -> Result<Self, String> {
		let c = CString::new(path.to_string_lossy().as_bytes()).map_err(|e| e.to_string())?;
		// SAFETY: a valid C string; default params; the backend was initialised by the engine.
		let model = unsafe {
			sys::llama_model_load_from_file(c.as_ptr(), sys::llama_model_default_params())
		};
		if model.is_null() {
			return Err(format!("{}: llama.cpp could not load it", path.display()));
		}
		Ok(Self { model })
	}

	fn run(&self, settings: Settings, prompt: &str, max_tokens: u32) -> Result<Run, String> {
		let wall = Instant::now();
		// SAFETY: every pointer below comes from llama.cpp and is used within its lifetime;
		// buffers are sized as the API requires.
		unsafe {
			let mut params = sys::llama_context_default_params();
			params.n_ctx = settings.n_ctx;
			params.n_batch = settings.n_batch;
			params.n_ubatch = settings.n_batch;
			params.n_threads = settings.n_threads as i32;
			params.n_threads_batch = settings.n_threads as i32;
			params.flash_attn_type = sys::LLAMA_FLASH_ATTN_TYPE_DISABLED;
			let ctx = sys::llama_init_from_model(self.model, params);
			if ctx.is_null() {
				return Err("llama_init_from_model failed".into());
			}
			let vocab = sys::llama_model_get_vocab(self.model);
			let n_vocab = sys::llama_vocab_n_tokens(vocab) as usize;
			let mut tokens = vec![0 as sys::llama_token; prompt.len() + 8];
			let n = sys::llama_tokenize(
				vocab,
				prompt.as_ptr().cast(),
				prompt.len() as i32,
				tokens.as_mut_ptr(),
				tokens.len() as i32,
				true,
				false,
			);
			if n <= 0 {
				sys::llama_free(ctx);
				return Err("tokenisation failed".into());
			}
			tokens.truncate(n as usize);

			let start = Instant::now();
			for chunk in tokens.chunks_mut(settings.n_batch as usize) {
				if sys::llama_decode(
					ctx,
					sys::llama_batch_get_one(chunk.as_mut_ptr(), chunk.len() as i32),
				) != 0
				{
					sys::llama_free(ctx);
					return Err("prompt decode failed".into());
				}
			}
			let mut output = Vec::new();
			let mut generated = 0u32;
			let mut ttft = None;
			let mut piece = [0u8; 256];
			while generated < max_tokens {
				let logits =
					std::slice::from_raw_parts(sys::llama_get_logits_ith(ctx, -1), n_vocab);
				// Greedy, first maximum wins (as llama.cpp's greedy sampler).
				let mut best = 0usize;
				for (i, l) in logits.iter().enumerate() {
					if *l > logits[best] {
						best = i;
					}
				}
				let mut token = best as sys::llama_token;
				ttft.get_or_insert_with(|| start.elapsed());
				if sys::llama_vocab_is_eog(vocab, token) {
					break;
				}
				let len = sys::llama_token_to_piece(
					vocab,
					token,
					piece.as_mut_ptr().cast(),
					piece.len() as i32,
					0,
					false,
				);
				if len > 0 {
					output.extend_from_slice(&piece[..len as usize]);
				}
				generated += 1;
				if generated == max_tokens {
					break;
				}
				if sys::llama_decode(ctx, sys::llama_batch_get_one(&mut token, 1)) != 0 {
					sys::llama_free(ctx);
					return Err("decode failed".into());
				}
			}
			let total = start.elapsed();
			sys::llama_free(ctx);
			let ttft = ttft.unwrap_or(total);
			let after = total.saturating_sub(ttft).as_secs_f64();
			let tokens_per_second =
				if generated > 1 && after > 0.0 { f64::from(generated - 1) / after } else { 0.0 };
			Ok(Run { ttft, tokens_per_second, wall: wall.elapsed(), output, tokens: generated })
		}
	}
}

impl Drop for Direct {
	fn drop(&mut self) {
		// SAFETY: loaded by `load`, freed once.
		unsafe { sys::llama_model_free(self.model) }
	}
}

fn engine_run(
	engine: &Engine,
	hash: &[u8; 32],
	prompt: &str,
	max_tokens: u32,
) -> Result<Run, String> {
	let wall = Instant::now();
	let i = engine.run(hash, prompt.as_bytes(), max_tokens).map_err(|e| e.to_string())?;
	Ok(Run {
		ttft: i.time_to_first_token,
		tokens_per_second: i.tokens_per_second,
		wall: wall.elapsed(),
		output: i.output,
		tokens: i.tokens,
	})
}

/// Median figures of `reps` runs: (ttft ms, tokens/s, wall ms), and the last run.
fn measure(
	reps: usize,
	mut f: impl FnMut() -> Result<Run, String>,
) -> Result<(f64, f64, f64, Run), String> {
	f()?; // warm-up: loads the model, faults its pages in
	let mut runs = Vec::new();
	for _ in 0..reps {
		runs.push(f()?);
	}
	let ttft = median(runs.iter().map(|r| r.ttft.as_secs_f64() * 1e3).collect());
	let tps = median(runs.iter().map(|r| r.tokens_per_second).collect());
	let wall = median(runs.iter().map(|r| r.wall.as_secs_f64() * 1e3).collect());
	let last = runs.pop().ok_or("no run")?;
	Ok((ttft, tps, wall, last))
}

/// N jobs at once through `batcher` (of N sequences, kept between rounds as a node keeps it):
/// (total tokens/s, median ttft ms, wall ms).
fn concurrent(
	batcher: &mosaic_engine::Batcher,
	n: u32,
	prompt: &str,
	tokens: u32,
) -> Result<(f64, f64, f64), String> {
	let (tx, rx) = std::sync::mpsc::channel();
	let wall = Instant::now();
	for i in 0..n {
		let tx = tx.clone();
		// Distinct prompts, as distinct users send.
		let request = mosaic_engine::Request::text(format!("{prompt} {i}"), tokens);
		let done: mosaic_engine::Done = Box::new(move |r| {
			let _ = tx.send(r);
		});
		batcher
			.submit(mosaic_engine::Job { request, limits: Default::default(), stream: None, done })
			.map_err(|_| "queue full".to_string())?;
	}
	drop(tx);
	let mut generated = 0u64;
	let mut ttfts = Vec::new();
	for r in rx.iter().take(n as usize) {
		let i = r.map_err(|e| e.to_string())?;
		generated += u64::from(i.tokens);
		ttfts.push(i.time_to_first_token.as_secs_f64() * 1e3);
	}
	let wall = wall.elapsed().as_secs_f64();
	Ok((generated as f64 / wall, median(ttfts), wall * 1e3))
}

fn main() -> Result<(), String> {
	let args = parse()?;
	let settings = Settings { n_ctx: 2048, n_batch: 512, n_threads: args.threads };
	println!(
		"threads {}, {} tokens max, median of {} runs, prompt {:?}",
		args.threads, args.tokens, args.reps, args.prompt
	);
	println!(
		"{:<28} {:>7} | {:>9} {:>9} {:>9} | {:>9} {:>9} {:>9} | {:>6} {:>5}",
		"model",
		"MB",
		"eng ttft",
		"eng tok/s",
		"eng wall",
		"llama.h",
		"tok/s",
		"wall",
		"ratio",
		"same"
	);
	for path in &args.models {
		let dir = path.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
		let engine = Engine::new(dir, settings).map_err(|e| e.to_string())?;
		let hash = engine.load_file(path).map_err(|e| e.to_string())?;
		let (e_ttft, e_tps, e_wall, e_last) =
			measure(args.reps, || engine_run(&engine, &hash, &args.prompt, args.tokens))?;
		let direct = Direct::load(path)?;
		let (d_ttft, d_tps, d_wall, d_last) =
			measure(args.reps, || direct.run(settings, &args.prompt, args.tokens))?;
		let same = e_last.output == d_last.output && e_last.tokens == d_last.tokens;
		let mb = std::fs::metadata(path).map(|m| m.len() as f64 / 1e6).unwrap_or(0.0);
		let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
		println!(
			"{name:<28} {mb:>7.1} | {e_ttft:>7.2}ms {e_tps:>9.1} {e_wall:>7.1}ms | {d_ttft:>7.2}ms {d_tps:>9.1} {d_wall:>7.1}ms | {:>6.3} {:>5}",
			if d_tps > 0.0 { e_tps / d_tps } else { 0.0 },
			if same { "yes" } else { "NO" },
		);
		if !same {
			eprintln!(
				"  engine: {} tokens {:?}",
				e_last.tokens,
				String::from_utf8_lossy(&e_last.output)
			);
			eprintln!(
				"  direct: {} tokens {:?}",
				d_last.tokens,
				String::from_utf8_lossy(&d_last.output)
			);
		}
	}
	if !args.concurrency.is_empty() {
		println!();
		println!(
			"batched: N jobs at once, one context of N sequences (median of {} rounds)",
			args.reps
		);
		println!(
			"{:<28} {:>4} | {:>11} {:>9} {:>10} | {:>8}",
			"model", "N", "total tok/s", "ttft", "wall", "× N=1"
		);
		for path in &args.models {
			let dir = path.parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
			let engine = Engine::new(dir, settings).map_err(|e| e.to_string())?;
			let hash = engine.load_file(path).map_err(|e| e.to_string())?;
			let name =
				path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
			let mut one = None;
			for &n in &args.concurrency {
				let batcher = engine.batcher(&hash, n, n as usize).map_err(|e| e.to_string())?;
				concurrent(&batcher, n, &args.prompt, args.tokens)?; // warm-up: allocates the KV cache
				let runs = (0..args.reps)
					.map(|_| concurrent(&batcher, n, &args.prompt, args.tokens))
					.collect::<Result<Vec<_>, _>>()?;
				let tps = median(runs.iter().map(|r| r.0).collect());
				let ttft = median(runs.iter().map(|r| r.1).collect());
				let wall = median(runs.iter().map(|r| r.2).collect());
				let base = *one.get_or_insert(tps);
				println!(
					"{name:<28} {n:>4} | {tps:>11.1} {ttft:>7.1}ms {wall:>8.1}ms | {:>7.2}×",
					tps / base
				);
			}
		}
	}
	println!("eng = mosaic-engine (llama-cpp-2); llama.h = the same decode loop on llama-cpp-sys-2's raw bindings; ratio = engine tok/s ÷ llama.h tok/s; ttft from the start of the prompt's evaluation; wall = one whole run, context creation included");
	Ok(())
}
