//! The provider side of the node: the llama.cpp engine behind the inference host functions,
//! its command-line flags and its Prometheus metrics.
//!
//! The runtime's off-chain worker reaches the engine, as a [`BackgroundEngine`], through
//! [`mosaic_inference::InferenceExt`], registered for every worker by `service.rs`. The jobs
//! of each model run on that model's batcher thread, several at once in one llama.cpp
//! context; the worker starts a job and collects the result in the same or a later block, so
//! a long job never holds the worker up.

use crate::streams::Streams;
use mosaic_engine::{hex, Batcher, Engine, EngineError, Job, Settings};
use mosaic_inference::{
	AuditRequest, InferenceError, InferenceHost, InferenceOutput, InferenceRequest, Ticket,
};
use mosaic_primitives::AuditReport;
use std::{
	collections::{hash_map::Entry, HashMap},
	path::PathBuf,
	sync::{
		atomic::{AtomicUsize, Ordering},
		Arc, Mutex, PoisonError,
	},
	time::{Duration, Instant},
};
use substrate_prometheus_endpoint::{
	register, Counter, CounterVec, Gauge, Histogram, HistogramOpts, Opts, PrometheusError,
	Registry, U64,
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

	/// Jobs of one model decoded at once: the sequences of its llama.cpp context
	/// (continuous batching; each sequence has the whole `--inference-context`).
	#[arg(long, value_name = "N", default_value_t = 4,
		value_parser = clap::value_parser!(u32).range(1..=64))]
	pub max_concurrent_jobs: u32,

	/// Jobs of one model that may wait for a free sequence; a job beyond them is declined
	/// (the chain hands it to another provider; no slash).
	#[arg(long, value_name = "N", default_value_t = 16,
		value_parser = clap::value_parser!(u32).range(0..=1024))]
	pub inference_queue: u32,

	#[clap(flatten)]
	pub engine: EngineParams,
}

/// Prometheus metrics of the engine.
pub struct Metrics {
	jobs: Counter<U64>,
	tokens: Counter<U64>,
	seconds: Histogram,
	first_token: Histogram,
	tokens_per_second: Histogram,
	queued: Gauge<U64>,
	running: Gauge<U64>,
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
			first_token: register(
				Histogram::with_opts(
					HistogramOpts::new(
						"mosaic_inference_time_to_first_token_seconds",
						"From a job's hand-over to the engine to its first token, queueing included",
					)
					.buckets(vec![0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]),
				)?,
				registry,
			)?,
			tokens_per_second: register(
				Histogram::with_opts(
					HistogramOpts::new(
						"mosaic_inference_tokens_per_second",
						"Each completed job's decode speed after its first token",
					)
					.buckets(vec![1.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 5000.0]),
				)?,
				registry,
			)?,
			queued: register(
				Gauge::new("mosaic_inference_queue_depth", "Jobs waiting for a free sequence")?,
				registry,
			)?,
			running: register(
				Gauge::new("mosaic_inference_sequences_in_flight", "Jobs being decoded now")?,
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
	sequences: u32,
	queue: usize,
	batchers: Mutex<HashMap<[u8; 32], Batcher>>,
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
			sequences: params.max_concurrent_jobs,
			queue: params.inference_queue as usize,
			batchers: Mutex::default(),
			metrics,
			instance: instance_id(),
		})
	}

	/// What `mosaic_engine` reports of this engine.
	pub fn info(&self) -> crate::marketplace_rpc::EngineInfo {
		crate::marketplace_rpc::EngineInfo {
			engine: format!("0x{}", hex(&self.fingerprint)),
			fingerprint: self.description.clone(),
			models_dir: Some(self.models_dir.display().to_string()),
			max_concurrent_jobs: self.sequences,
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

/// The engine's form of a job's request: the chain's fixed-point sampling settings as
/// llama.cpp's floats, chat roles by name.
pub fn engine_request(request: &InferenceRequest) -> mosaic_engine::Request {
	engine_request_of(&request.request, request.max_tokens)
}

/// [`engine_request`] of a job's request and `max_tokens`.
pub fn engine_request_of(
	job: &mosaic_primitives::JobRequest,
	max_tokens: u32,
) -> mosaic_engine::Request {
	use mosaic_primitives::Input;
	let prompt = match &job.input {
		Input::Text(bytes) => mosaic_engine::Prompt::Text(bytes.clone()),
		Input::Chat(messages) => mosaic_engine::Prompt::Chat(
			messages
				.iter()
				.map(|m| mosaic_engine::ChatMessage {
					role: m.role.as_str().to_string(),
					content: String::from_utf8_lossy(&m.content).into_owned(),
				})
				.collect(),
		),
	};
	let s = &job.sampling;
	mosaic_engine::Request {
		prompt,
		max_tokens,
		sampling: mosaic_engine::Sampling {
			temperature: f32::from(s.temperature) / 100.0,
			top_p: f32::from(s.top_p) / f32::from(mosaic_primitives::TOP_P_OFF),
			top_k: i32::try_from(s.top_k).unwrap_or(i32::MAX),
			seed: s.seed,
			stop: s.stop.clone(),
		},
	}
}

/// The typed reason an engine error is reported under.
fn classify(error: &EngineError) -> InferenceError {
	match error {
		EngineError::ModelNotFound(_) => InferenceError::ModelMissing,
		EngineError::HashMismatch { .. }
		| EngineError::Io { .. }
		| EngineError::Malformed { .. }
		| EngineError::NoChatTemplate
		| EngineError::Template(_)
		| EngineError::Header(_) => InferenceError::ModelRejected,
		EngineError::ContextTooSmall { .. } => InferenceError::ContextOverflow,
		EngineError::Backend(_) | EngineError::EmptyPrompt | EngineError::Inference(_) => {
			InferenceError::EngineFailure
		}
		EngineError::OutOfTime { .. } => InferenceError::OutOfTime,
	}
}

/// How long a finished result waits to be collected before it is dropped (its job is long
/// past its deadline by then).
const KEEP_RESULTS: Duration = Duration::from_secs(3_600);

type Finished = HashMap<Ticket, (Instant, Result<InferenceOutput, InferenceError>)>;
type Audited = HashMap<Ticket, (Instant, Result<AuditReport, InferenceError>)>;

/// The engine as the off-chain workers reach it: [`InferenceHost::start`] hands each job to
/// its model's [`Batcher`] (one llama.cpp context decoding up to `--max-concurrent-jobs` jobs
/// at once, `--inference-queue` more waiting) and returns at once; [`InferenceHost::finished`]
/// hands the result out once it is there.
pub struct BackgroundEngine {
	host: Arc<EngineHost>,
	/// The jobs started, kept on disk so that none runs twice across a restart.
	started: crate::started::Started,
	finished: Arc<Mutex<Finished>>,
	streams: Arc<Streams>,
	audits: Arc<Mutex<Audited>>,
	/// Audits running now: at most `--max-concurrent-jobs`, each on a thread of its own.
	auditing: Arc<AtomicUsize>,
}

impl BackgroundEngine {
	/// Runs `host`'s inferences in the background, streaming each job's output to `streams`;
	/// `started` records the jobs it starts.
	pub fn new(host: EngineHost, streams: Arc<Streams>, started: crate::started::Started) -> Self {
		Self {
			host: Arc::new(host),
			started,
			finished: Arc::default(),
			streams,
			audits: Arc::default(),
			auditing: Arc::default(),
		}
	}
}

impl BackgroundEngine {
	/// The engine behind it, for session requests (`crate::sessions`).
	pub fn host(&self) -> Arc<EngineHost> {
		self.host.clone()
	}
}

/// Called once with a session request's result, on the batcher's thread.
pub type RequestDone = Box<dyn FnOnce(Result<InferenceOutput, InferenceError>) + Send>;

impl EngineHost {
	/// Runs a session request on the batcher of model `hash`, beside the jobs (the same
	/// sequences and bounded queue): its output goes to `stream`, its result to `done`.
	/// Refused at once, `done` never called, if the model is missing or the queue is full.
	pub fn run_request(
		self: &Arc<Self>,
		hash: &[u8; 32],
		request: mosaic_engine::Request,
		stream: mosaic_engine::Stream,
		done: RequestDone,
	) -> Result<(), InferenceError> {
		let (host, model) = (self.clone(), *hash);
		let job = Job {
			request,
			limits: mosaic_engine::Limits { max_output_bytes: None, time_budget: None },
			stream: Some(stream),
			done: Box::new(move |result| done(host.completed(&model, result))),
		};
		self.submit(hash, job)
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
		let (model, id) = (request.model_hash, request.job);
		match self.started.first_start(&ticket) {
			Ok(true) => {}
			Ok(false) => {
				log::warn!(
					target: LOG_TARGET,
					"job {id}: started before (the node was restarted while it ran); not running it again",
				);
				return Err(self.host.fail(InferenceError::Interrupted));
			}
			Err(e) => {
				log::warn!(
					target: LOG_TARGET,
					"job {id}: cannot record its start in {}: {e}",
					self.started.path().display(),
				);
				return Err(self.host.fail(InferenceError::EngineFailure));
			}
		}
		let (host, finished) = (self.host.clone(), self.finished.clone());
		let (streams, stream) = (self.streams.clone(), self.streams.clone());
		let job = Job {
			request: engine_request(&request),
			limits: mosaic_engine::Limits {
				max_output_bytes: Some(request.max_output_bytes as usize),
				time_budget: Some(Duration::from_millis(request.time_budget_ms)),
			},
			stream: Some(Box::new(move |bytes| stream.output(id, bytes))),
			done: Box::new(move |result| {
				let result = host.completed(&model, result);
				streams.end(
					id,
					match &result {
						Ok(out) => Ok((mosaic_engine::blake2b_256(&out.output), out.tokens())),
						Err(e) => Err(e.as_str().to_string()),
					},
				);
				let mut done = finished.lock().unwrap_or_else(PoisonError::into_inner);
				done.retain(|_, (at, _)| at.elapsed() < KEEP_RESULTS);
				done.insert(ticket, (Instant::now(), result));
			}),
		};
		let submitted = self.host.submit(&model, job);
		if let Err(e) = &submitted {
			self.streams.end(id, Err(e.as_str().to_string()));
		}
		submitted
	}

	fn finished(&self, ticket: Ticket) -> Option<Result<InferenceOutput, InferenceError>> {
		let mut done = self.finished.lock().unwrap_or_else(PoisonError::into_inner);
		done.remove(&ticket).map(|(_, result)| result)
	}

	fn start_audit(&self, ticket: Ticket, request: AuditRequest) -> Result<(), InferenceError> {
		if self.auditing.fetch_add(1, Ordering::SeqCst) >= self.host.sequences as usize {
			self.auditing.fetch_sub(1, Ordering::SeqCst);
			return Err(self.host.fail(InferenceError::Busy));
		}
		let (host, audits, auditing) =
			(self.host.clone(), self.audits.clone(), self.auditing.clone());
		std::thread::Builder::new()
			.name("mosaic-audit".into())
			.spawn(move || {
				let result = host.audit(&request);
				auditing.fetch_sub(1, Ordering::SeqCst);
				let mut done = audits.lock().unwrap_or_else(PoisonError::into_inner);
				done.retain(|_, (at, _)| at.elapsed() < KEEP_RESULTS);
				done.insert(ticket, (Instant::now(), result));
			})
			.map(|_| ())
			.map_err(|e| {
				self.auditing.fetch_sub(1, Ordering::SeqCst);
				log::warn!(target: LOG_TARGET, "cannot start an audit thread: {e}");
				self.host.fail(InferenceError::EngineFailure)
			})
	}

	fn audited(&self, ticket: Ticket) -> Option<Result<AuditReport, InferenceError>> {
		let mut done = self.audits.lock().unwrap_or_else(PoisonError::into_inner);
		done.remove(&ticket).map(|(_, result)| result)
	}
}

impl EngineHost {
	/// Re-scores an executor's output by teacher forcing (see `crate::audit`).
	fn audit(&self, request: &AuditRequest) -> Result<AuditReport, InferenceError> {
		let hash = request.model_hash;
		let engine_request = engine_request_of(&request.request, request.max_tokens);
		let ids: Vec<i32> = request.token_ids.iter().map(|t| *t as i32).collect();
		let score = self
			.engine
			.score(
				&hash,
				&engine_request,
				&request.output,
				&ids,
				Some(request.max_output_bytes as usize),
				&crate::audit::tolerances(),
			)
			.map_err(|e| {
				log::warn!(target: LOG_TARGET, "audit of job {}: {e}", request.job);
				self.fail(classify(&e))
			})?;
		let report = crate::audit::report(&score);
		log::info!(
			target: LOG_TARGET,
			"audit of job {}: {} tokens, spelled {}, {} misses, ends {}, z {:.2}",
			request.job,
			report.tokens,
			report.spelled,
			report.misses,
			if report.end_miss { "too early" } else { "fine" },
			score.z,
		);
		Ok(report)
	}

	/// Queues `job` on the batcher of model `hash` (started on first use), or says why not:
	/// the model's file is missing or refused, or the queue is full ([`InferenceError::Busy`]).
	fn submit(&self, hash: &[u8; 32], job: Job) -> Result<(), InferenceError> {
		let mut batchers = self.batchers.lock().unwrap_or_else(PoisonError::into_inner);
		let batcher = match batchers.entry(*hash) {
			Entry::Occupied(e) => e.into_mut(),
			Entry::Vacant(e) => {
				let batcher =
					self.engine.batcher(hash, self.sequences, self.queue).map_err(|err| {
						log::warn!(target: LOG_TARGET, "model 0x{}: {err}", hex(hash));
						self.fail(classify(&err))
					})?;
				e.insert(batcher)
			}
		};
		let submitted = batcher.submit(job).map_err(|_| {
			log::warn!(
				target: LOG_TARGET,
				"model 0x{}: {} jobs decoding and {} queued: declining another \
				 (raise --max-concurrent-jobs or --inference-queue if the machine has room)",
				hex(hash),
				self.sequences,
				self.queue,
			);
			self.fail(InferenceError::Busy)
		});
		self.observe_load(&batchers);
		submitted
	}

	/// Sets the queue and in-flight gauges from every batcher.
	fn observe_load(&self, batchers: &HashMap<[u8; 32], Batcher>) {
		if let Some(m) = &self.metrics {
			let (queued, running) = batchers.values().fold((0usize, 0usize), |(q, r), b| {
				let load = b.load();
				(
					q.saturating_add(load.queued.load(Ordering::SeqCst)),
					r.saturating_add(load.running.load(Ordering::SeqCst)),
				)
			});
			m.queued.set(queued as u64);
			m.running.set(running as u64);
		}
	}

	/// Logs and counts a finished job of model `hash`; its result as the host functions
	/// report it.
	fn completed(
		&self,
		hash: &[u8; 32],
		result: Result<mosaic_engine::Inference, EngineError>,
	) -> Result<InferenceOutput, InferenceError> {
		if let Ok(batchers) = self.batchers.try_lock() {
			self.observe_load(&batchers);
		}
		let inference = result.map_err(|e| {
			log::warn!(target: LOG_TARGET, "model 0x{}: {e}", hex(hash));
			self.fail(classify(&e))
		})?;
		let seconds = inference.time_to_first_token.as_secs_f64()
			+ if inference.tokens_per_second > 0.0 {
				f64::from(inference.tokens.saturating_sub(1)) / inference.tokens_per_second
			} else {
				0.0
			};
		if let Some(m) = &self.metrics {
			m.jobs.inc();
			m.tokens.inc_by(u64::from(inference.tokens));
			m.seconds.observe(seconds);
			m.first_token.observe(inference.time_to_first_token.as_secs_f64());
			if inference.tokens_per_second > 0.0 {
				m.tokens_per_second.observe(inference.tokens_per_second);
			}
		}
		log::info!(
			target: LOG_TARGET,
			"model 0x{}: {} tokens in {seconds:.3} s (first token after {:.1} ms, {:.1} tokens/s)",
			hex(hash),
			inference.tokens,
			inference.time_to_first_token.as_secs_f64() * 1e3,
			inference.tokens_per_second,
		);
		let token_ids = inference.token_ids.iter().map(|t| *t as u32).collect();
		Ok(InferenceOutput { output: inference.output, token_ids })
	}
}

/// `mosaic-node infer`: runs the engine directly on a model file, as a provider's node would
/// for a job, and prints the result as JSON. For checking a setup and comparing outputs.
#[derive(Debug, Clone, clap::Args)]
pub struct InferCmd {
	/// The GGUF model file.
	#[arg(long, value_name = "FILE")]
	pub model: PathBuf,

	/// The prompt (with `--chat`: the user's message).
	#[arg(long)]
	pub prompt: String,

	/// Send the prompt as a chat: a user message (after `--system`, if given), rendered with
	/// the model's chat template.
	#[arg(long)]
	pub chat: bool,

	/// A system message before the user's (implies `--chat`).
	#[arg(long)]
	pub system: Option<String>,

	/// Most tokens to generate.
	#[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..))]
	pub max_tokens: u32,

	/// Sampling temperature, in hundredths (0 = greedy, at most 200).
	#[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u16).range(0..=200))]
	pub temperature: u16,

	/// Nucleus sampling's p in basis points (10000 = off).
	#[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u16).range(1..=10_000))]
	pub top_p: u16,

	/// Sample among the k likeliest tokens (0 = off).
	#[arg(long, default_value_t = 0)]
	pub top_k: u32,

	/// The sampler's seed.
	#[arg(long, default_value_t = 0)]
	pub seed: u32,

	/// A stop sequence (repeatable).
	#[arg(long)]
	pub stop: Vec<String>,

	#[clap(flatten)]
	pub engine: EngineParams,
}

impl InferCmd {
	/// The job a chain would carry for these flags, checked as the chain checks it.
	fn request(&self, model_hash: [u8; 32]) -> Result<InferenceRequest, String> {
		use mosaic_primitives::{Input, JobRequest, Message, Role, Sampling};
		let input = if self.chat || self.system.is_some() {
			let system = self
				.system
				.iter()
				.map(|s| Message { role: Role::System, content: s.as_bytes().to_vec() });
			let user = Message { role: Role::User, content: self.prompt.as_bytes().to_vec() };
			Input::Chat(system.chain([user]).collect())
		} else {
			Input::Text(self.prompt.as_bytes().to_vec())
		};
		let sampling = Sampling {
			temperature: self.temperature,
			top_p: self.top_p,
			top_k: self.top_k,
			seed: self.seed,
			stop: self.stop.iter().map(|s| s.as_bytes().to_vec()).collect(),
		};
		let request = JobRequest { input, sampling };
		request.check(u32::MAX).map_err(|e| format!("bad request: {e:?}"))?;
		Ok(InferenceRequest {
			job: 0,
			model_hash,
			request,
			max_tokens: self.max_tokens,
			max_output_bytes: u32::MAX,
			time_budget_ms: u64::MAX,
		})
	}

	/// Runs the inference and prints `{ model_hash, engine, fingerprint, output, tokens, … }`.
	pub fn run(&self) -> Result<(), String> {
		let dir = self.model.parent().map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."));
		let engine = Engine::new(dir, self.engine.settings()).map_err(|e| e.to_string())?;
		let hash = engine.load_file(&self.model).map_err(|e| e.to_string())?;
		let fingerprint = engine.fingerprint();
		let inference = engine
			.complete(&hash, &engine_request(&self.request(hash)?), Default::default())
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

/// `mosaic-node inspect-model`: what a registration of a GGUF file declares, read from it.
#[derive(Debug, Clone, clap::Args)]
pub struct InspectCmd {
	/// The GGUF model file.
	#[arg(value_name = "FILE")]
	pub model: PathBuf,
}

impl InspectCmd {
	/// Prints `{ contentHash, sizeBytes, name, spec: { architecture, parameters, fileType,
	/// contextLength, chatTemplate }, fileTypeNumber, chatTemplateText }`; `spec` is in the form
	/// `models.registerModel` takes. Fails on a file llama.cpp cannot load, a truncated one,
	/// or a file type the chain does not know.
	pub fn run(&self) -> Result<(), String> {
		let dir = self.model.parent().map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."));
		let engine = Engine::new(dir, Settings::default()).map_err(|e| e.to_string())?;
		let header = engine.inspect(&self.model).map_err(|e| e.to_string())?;
		let hash = mosaic_engine::content_hash(&self.model).map_err(|e| e.to_string())?;
		let size = std::fs::metadata(&self.model).map_err(|e| e.to_string())?.len();
		let file_type =
			mosaic_primitives::FileType::from_llama(header.file_type).ok_or_else(|| {
				format!(
					"{}: file type {} is not one llama.cpp defines",
					self.model.display(),
					header.file_type
				)
			})?;
		let spec = mosaic_primitives::ModelSpec {
			architecture: header.architecture.as_bytes().to_vec(),
			parameters: header.parameters,
			file_type,
			context_length: header.context_length,
			chat_template: header
				.chat_template
				.as_ref()
				.map(|t| sp_core::H256(mosaic_engine::blake2b_256(t.as_bytes()))),
		};
		let json = serde_json::json!({
			"contentHash": format!("0x{}", hex(&hash)),
			"sizeBytes": size,
			"name": header.name,
			"spec": {
				"architecture": header.architecture,
				"parameters": spec.parameters,
				"fileType": spec.file_type,
				"contextLength": spec.context_length,
				"chatTemplate": spec.chat_template,
			},
			"fileTypeNumber": header.file_type,
			"chatTemplateText": header.chat_template,
		});
		println!("{json}");
		Ok(())
	}
}
