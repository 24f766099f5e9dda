//! The provider side of the node: the llama.cpp engine behind the inference host functions,
//! its command-line flags and its Prometheus metrics.
//!
//! The runtime's off-chain worker reaches the engine, as a [`BackgroundEngine`], through
//! [`mosaic_inference::InferenceExt`], registered for every worker by `service.rs`. Each
//! inference runs on a thread of its own; the worker starts it and collects the result in the
//! same or a later block, so a long job never holds the worker up.

use mosaic_engine::{hex, Engine, EngineError, Settings};
use mosaic_inference::{InferenceError, InferenceHost, InferenceOutput, InferenceRequest, Ticket};
use std::{
	collections::HashMap,
	path::PathBuf,
	sync::{
		atomic::{AtomicU32, Ordering},
		Arc, Mutex, PoisonError,
	},
	time::{Duration, Instant},
};
use substrate_prometheus_endpoint::{
	register, Counter, CounterVec, Histogram, HistogramOpts, Opts, PrometheusError, Registry, U64,
};

/// Log target of the engine's host side.
const LOG_TARGET: &str = "mosaic::inference";

/// The engine settings that decide a greedy output: part of the engine fingerprint, so every
/// provider of a model must use the same ones to be comparable.
#[derive(Debug, Clone, clap::Args)]
pub struct EngineParams {
	/// CPU threads per inference (part of the engine fingerprint).
	#[arg(long, value_name = "N", default_value_t = 1,
		value_parser = clap::value_parser!(u32).range(1..=256))]
	pub inference_threads: u32,

	/// Context window of each inference, prompt plus output tokens (part of the engine
	/// fingerprint).
	#[arg(long, value_name = "TOKENS", default_value_t = 2048,
		value_parser = clap::value_parser!(u32).range(16..=131_072))]
	pub inference_context: u32,
}

impl EngineParams {
	/// The engine settings these flags describe.
	pub fn settings(&self) -> Settings {
		Settings {
			n_ctx: self.inference_context,
			n_batch: self.inference_context.min(512),
			n_threads: self.inference_threads,
		}
	}

	/// BLAKE2b-256 of the fingerprint an engine with these settings has in this binary.
	pub fn fingerprint_hash(&self) -> Result<[u8; 32], String> {
		Engine::fingerprint_of(self.settings())
			.map(|fingerprint| Engine::fingerprint_hash(&fingerprint))
			.map_err(|e| e.to_string())
	}
}

/// Flags of a node that serves inference as a provider.
#[derive(Debug, Clone, clap::Args)]
pub struct ProviderParams {
	/// Serve inference jobs with the GGUF files in this directory. Files are found by their
	/// content hash (BLAKE2b-256, `b2sum -l 256`), whatever their names. Turns the off-chain
	/// workers on; the provider's operator key (type `mosc`) must be in the keystore.
	#[arg(long, value_name = "PATH")]
	pub models_dir: Option<PathBuf>,

	/// Most inferences run at once; further jobs wait for a later block.
	#[arg(long, value_name = "N", default_value_t = 1,
		value_parser = clap::value_parser!(u32).range(1..=64))]
	pub max_concurrent_jobs: u32,

	#[clap(flatten)]
	pub engine: EngineParams,
}

/// Prometheus metrics of the engine.
pub struct Metrics {
	jobs: Counter<U64>,
	tokens: Counter<U64>,
	seconds: Histogram,
	failures: CounterVec<U64>,
}

impl Metrics {
	/// Registers the metrics in `registry`.
	pub fn register(registry: &Registry) -> Result<Self, PrometheusError> {
		Ok(Self {
			jobs: register(
				Counter::new("mosaic_inference_jobs_total", "Inferences completed for jobs")?,
				registry,
			)?,
			tokens: register(
				Counter::new("mosaic_inference_tokens_total", "Tokens generated for jobs")?,
				registry,
			)?,
			seconds: register(
				Histogram::with_opts(
					HistogramOpts::new(
						"mosaic_inference_seconds",
						"Wall time of each completed inference, prompt included",
					)
					.buckets(vec![0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0]),
				)?,
				registry,
			)?,
			failures: register(
				CounterVec::new(
					Opts::new(
						"mosaic_inference_failures_total",
						"Inferences that failed, by reason",
					),
					&["reason"],
				)?,
				registry,
			)?,
		})
	}
}

/// The engine as the off-chain workers see it: bounded concurrency, typed failures, metrics.
pub struct EngineHost {
	engine: Engine,
	fingerprint: [u8; 32],
	description: String,
	models_dir: PathBuf,
	context: u32,
	running: Arc<AtomicU32>,
	max_running: u32,
	metrics: Option<Metrics>,
	instance: u64,
}

impl EngineHost {
	/// An engine for the provider flags `params` (which must name a models directory).
	pub fn new(
		models_dir: PathBuf,
		params: &ProviderParams,
		registry: Option<&Registry>,
	) -> Result<Self, String> {
		if !models_dir.is_dir() {
			return Err(format!("--models-dir {}: not a directory", models_dir.display()));
		}
		let engine =
			Engine::new(&models_dir, params.engine.settings()).map_err(|e| e.to_string())?;
		let description = engine.fingerprint();
		let fingerprint = Engine::fingerprint_hash(&description);
		log::info!(
			target: LOG_TARGET,
			"serving models from {} with engine 0x{} ({description})",
			models_dir.display(),
			hex(&fingerprint),
		);
		let metrics = registry
			.map(Metrics::register)
			.transpose()
			.map_err(|e| format!("inference metrics: {e}"))?;
		Ok(Self {
			engine,
			fingerprint,
			description,
			models_dir,
			context: params.engine.inference_context,
			running: Arc::new(AtomicU32::new(0)),
			max_running: params.max_concurrent_jobs,
			metrics,
			instance: instance_id(),
		})
	}

	/// What `mosaic_engine` reports of this engine.
	pub fn info(&self) -> crate::marketplace_rpc::EngineInfo {
		crate::marketplace_rpc::EngineInfo {
			engine: format!("0x{}", hex(&self.fingerprint)),
			fingerprint: self.description.clone(),
			models_dir: self.models_dir.display().to_string(),
			max_concurrent_jobs: self.max_running,
			context: self.context,
		}
	}

	fn fail(&self, error: InferenceError) -> InferenceError {
		if let Some(m) = &self.metrics {
			m.failures.with_label_values(&[error.as_str()]).inc();
		}
		error
	}
}

/// Different on every start of the node: the start time in nanoseconds and the process id.
fn instance_id() -> u64 {
	let nanos = std::time::SystemTime::now()
		.duration_since(std::time::UNIX_EPOCH)
		.map(|d| d.as_nanos() as u64)
		.unwrap_or_default();
	nanos ^ (u64::from(std::process::id()) << 32)
}

/// The typed reason an engine error is reported under.
fn classify(error: &EngineError) -> InferenceError {
	match error {
		EngineError::ModelNotFound(_) => InferenceError::ModelMissing,
		EngineError::HashMismatch { .. }
		| EngineError::Io { .. }
		| EngineError::Malformed { .. } => InferenceError::ModelRejected,
		EngineError::ContextTooSmall { .. } => InferenceError::ContextOverflow,
		EngineError::Backend(_) | EngineError::EmptyPrompt | EngineError::Inference(_) => {
			InferenceError::EngineFailure
		}
		EngineError::OutputTooLong { .. } => InferenceError::OutputTooLong,
		EngineError::OutOfTime { .. } => InferenceError::OutOfTime,
	}
}

/// A slot of the concurrency limit, given back on drop.
struct Slot(Arc<AtomicU32>);

impl Drop for Slot {
	fn drop(&mut self) {
		self.0.fetch_sub(1, Ordering::SeqCst);
	}
}

/// How long a finished result waits to be collected before it is dropped (its job is long
/// past its deadline by then).
const KEEP_RESULTS: Duration = Duration::from_secs(3_600);

type Finished = HashMap<Ticket, (Instant, Result<InferenceOutput, InferenceError>)>;

/// The engine as the off-chain workers reach it: [`InferenceHost::start`] runs each inference
/// on a thread of its own and returns at once; [`InferenceHost::finished`] hands the result
/// out once it is there.
pub struct BackgroundEngine {
	host: Arc<EngineHost>,
	finished: Arc<Mutex<Finished>>,
}

impl BackgroundEngine {
	/// Runs `host`'s inferences in the background.
	pub fn new(host: EngineHost) -> Self {
		Self { host: Arc::new(host), finished: Arc::default() }
	}
}

impl InferenceHost for BackgroundEngine {
	fn fingerprint(&self) -> [u8; 32] {
		self.host.fingerprint
	}

	fn instance(&self) -> u64 {
		self.host.instance
	}

	fn start(&self, ticket: Ticket, request: InferenceRequest) -> Result<(), InferenceError> {
		let slot = self.host.acquire()?;
		let (host, finished) = (self.host.clone(), self.finished.clone());
		std::thread::Builder::new()
			.name("mosaic-inference".into())
			.spawn(move || {
				let _slot = slot;
				let result = host.run_now(request);
				let mut done = finished.lock().unwrap_or_else(PoisonError::into_inner);
				done.retain(|_, (at, _)| at.elapsed() < KEEP_RESULTS);
				done.insert(ticket, (Instant::now(), result));
			})
			.map(|_| ())
			.map_err(|e| {
				log::error!(target: LOG_TARGET, "could not start an inference thread: {e}");
				self.host.fail(InferenceError::EngineFailure)
			})
	}

	fn finished(&self, ticket: Ticket) -> Option<Result<InferenceOutput, InferenceError>> {
		let mut done = self.finished.lock().unwrap_or_else(PoisonError::into_inner);
		done.remove(&ticket).map(|(_, result)| result)
	}
}

impl EngineHost {
	/// A slot under `--max-concurrent-jobs`, or [`InferenceError::Busy`].
	fn acquire(&self) -> Result<Slot, InferenceError> {
		let max = self.max_running;
		self.running
			.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
				(n < max).then(|| n.saturating_add(1))
			})
			.map(|_| Slot(self.running.clone()))
			.map_err(|_| self.fail(InferenceError::Busy))
	}

	/// Runs `request` on this thread (the caller holds a slot).
	fn run_now(&self, request: InferenceRequest) -> Result<InferenceOutput, InferenceError> {
		let started = Instant::now();
		let limits = mosaic_engine::Limits {
			max_output_bytes: Some(request.max_output_bytes as usize),
			time_budget: Some(std::time::Duration::from_millis(request.time_budget_ms)),
		};
		let inference = self
			.engine
			.run_within(&request.model_hash, &request.prompt, request.max_tokens, limits)
			.map_err(|e| {
				log::warn!(target: LOG_TARGET, "model 0x{}: {e}", hex(&request.model_hash));
				self.fail(classify(&e))
			})?;
		let seconds = started.elapsed().as_secs_f64();
		if let Some(m) = &self.metrics {
			m.jobs.inc();
			m.tokens.inc_by(u64::from(inference.tokens));
			m.seconds.observe(seconds);
		}
		log::info!(
			target: LOG_TARGET,
			"model 0x{}: {} tokens in {seconds:.3} s (first token after {:.1} ms, {:.1} tokens/s)",
			hex(&request.model_hash),
			inference.tokens,
			inference.time_to_first_token.as_secs_f64() * 1e3,
			inference.tokens_per_second,
		);
		Ok(InferenceOutput { output: inference.output, tokens: inference.tokens })
	}
}

/// `mosaic-node infer`: runs the engine directly on a model file, as a provider's node would
/// for a job, and prints the result as JSON. For checking a setup and comparing outputs.
#[derive(Debug, Clone, clap::Args)]
pub struct InferCmd {
	/// The GGUF model file.
	#[arg(long, value_name = "FILE")]
	pub model: PathBuf,

	/// The prompt.
	#[arg(long)]
	pub prompt: String,

	/// Most tokens to generate.
	#[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..))]
	pub max_tokens: u32,

	#[clap(flatten)]
	pub engine: EngineParams,
}

impl InferCmd {
	/// Runs the inference and prints `{ model_hash, engine, fingerprint, output, tokens, … }`.
	pub fn run(&self) -> Result<(), String> {
		let dir = self.model.parent().map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."));
		let engine = Engine::new(dir, self.engine.settings()).map_err(|e| e.to_string())?;
		let hash = engine.load_file(&self.model).map_err(|e| e.to_string())?;
		let fingerprint = engine.fingerprint();
		let inference = engine
			.run(&hash, self.prompt.as_bytes(), self.max_tokens)
			.map_err(|e| e.to_string())?;
		let json = serde_json::json!({
			"model_hash": format!("0x{}", hex(&hash)),
			"engine": format!("0x{}", hex(&Engine::fingerprint_hash(&fingerprint))),
			"fingerprint": fingerprint,
			"output": String::from_utf8_lossy(&inference.output),
			"output_hex": format!("0x{}", inference.output.iter().map(|b| format!("{b:02x}")).collect::<String>()),
			"tokens": inference.tokens,
			"time_to_first_token_ms": inference.time_to_first_token.as_secs_f64() * 1e3,
			"tokens_per_second": inference.tokens_per_second,
		});
		println!("{json}");
		Ok(())
	}
}
