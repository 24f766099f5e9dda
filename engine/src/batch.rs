//! Continuous batching: several jobs of one model decoded at once in one llama.cpp context,
//! one sequence each, as llama.cpp's server does with parallel slots.
//!
//! A [`Batcher`] owns a thread with the context. Each round it admits queued jobs into free
//! sequences, then builds one batch: the next token of every sequence that is generating, then
//! as much of the waiting prompts as the batch has room for; one `llama_decode` runs them all,
//! and each sequence samples from its own logits with its own sampler. A finished sequence's
//! KV cells are cleared and the next job takes it. Throughput grows with load because the
//! weights are read once per batch instead of once per job.
//!
//! The queue is bounded: [`Batcher::submit`] refuses a job when it is full, for the caller to
//! turn down (a provider declines it; it is not slashed).

use crate::{
	engine::{context_params, Engine},
	generation::{Generation, Next, Stream},
	request, EngineError, Inference, Limits, Request, Settings,
};
use llama_cpp_2::{llama_batch::LlamaBatch, model::LlamaModel, token::LlamaToken};
use std::{
	sync::{
		atomic::{AtomicUsize, Ordering},
		mpsc::{sync_channel, Receiver, SyncSender, TrySendError},
		Arc,
	},
	time::Instant,
};

/// Called once with a job's result, on the batcher's thread.
pub type Done = Box<dyn FnOnce(Result<Inference, EngineError>) + Send>;

/// A job handed to a batcher.
pub struct Job {
	pub request: Request,
	pub limits: Limits,
	/// Gets the output as it is generated, if given (see [`Stream`]).
	pub stream: Option<Stream>,
	pub done: Done,
}

/// A batcher's queue is full: the job was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueFull;

/// How full a batcher is.
#[derive(Default, Debug)]
pub struct Load {
	/// Jobs waiting for a sequence.
	pub queued: AtomicUsize,
	/// Sequences decoding a job.
	pub running: AtomicUsize,
}

/// Runs the jobs of one model, several at once (see the module docs). Dropping it lets the
/// thread finish the jobs it has and end.
pub struct Batcher {
	queue: SyncSender<(Instant, Job)>,
	load: Arc<Load>,
	sequences: u32,
}

impl Batcher {
	/// Queues `job`, or refuses it (its `done` is then never called) when the queue is full.
	pub fn submit(&self, job: Job) -> Result<(), QueueFull> {
		self.load.queued.fetch_add(1, Ordering::SeqCst);
		self.queue.try_send((Instant::now(), job)).map_err(|e| {
			self.load.queued.fetch_sub(1, Ordering::SeqCst);
			match e {
				TrySendError::Full(_) | TrySendError::Disconnected(_) => QueueFull,
			}
		})
	}

	/// How full it is.
	pub fn load(&self) -> &Load {
		&self.load
	}

	/// Sequences decoded at once.
	pub fn sequences(&self) -> u32 {
		self.sequences
	}
}

impl Engine {
	/// A batcher for the model `hash`, decoding up to `sequences` jobs at once (each with the
	/// engine's whole context) and queueing up to `queue` more.
	pub fn batcher(
		&self,
		hash: &[u8; 32],
		sequences: u32,
		queue: usize,
	) -> Result<Batcher, EngineError> {
		let model = self.model(hash)?;
		let sequences = sequences.max(1);
		let (tx, rx) = sync_channel(queue);
		let load = Arc::new(Load::default());
		let (backend, settings, thread_load) = (self.backend, self.settings(), load.clone());
		std::thread::Builder::new()
			.name("mosaic-batch".into())
			.spawn(move || serve(backend, &model, settings, sequences, &rx, &thread_load))
			.map_err(|e| EngineError::Backend(format!("cannot start a batch thread: {e}")))?;
		Ok(Batcher { queue: tx, load, sequences })
	}
}

/// A job holding a sequence.
struct Active {
	/// The prompt's tokens and how many are in the KV cache.
	prompt: Vec<LlamaToken>,
	fed: usize,
	/// The position of the next token fed.
	pos: i32,
	/// The token to feed next, once the prompt is in.
	next: Option<LlamaToken>,
	/// Where this sequence's logits are in the batch just decoded.
	logits: Option<i32>,
	generation: Generation,
	done: Done,
}

/// The batcher's thread: until every sender is gone and no job is left.
fn serve(
	backend: &'static llama_cpp_2::llama_backend::LlamaBackend,
	model: &LlamaModel,
	settings: Settings,
	sequences: u32,
	queue: &Receiver<(Instant, Job)>,
	load: &Load,
) {
	let failed = |e: &dyn std::fmt::Display| EngineError::Inference(e.to_string());
	let mut ctx = match model.new_context(backend, context_params(settings, sequences)) {
		Ok(ctx) => ctx,
		Err(e) => {
			for (_, job) in queue.iter() {
				load.queued.fetch_sub(1, Ordering::SeqCst);
				(job.done)(Err(failed(&e)));
			}
			return;
		}
	};
	let room = settings.n_batch.max(sequences) as usize;
	let mut batch = LlamaBatch::new(room, 1);
	let mut slots: Vec<Option<Active>> = (0..sequences).map(|_| None).collect();
	loop {
		// Admit: wait for work when idle; otherwise take what is queued, up to the free slots.
		while let Some(free) = slots.iter().position(Option::is_none) {
			let idle = slots.iter().all(Option::is_none);
			let received = if idle { queue.recv().ok() } else { queue.try_recv().ok() };
			let Some((at, job)) = received else {
				if idle {
					return; // every sender is gone and nothing runs
				}
				break;
			};
			load.queued.fetch_sub(1, Ordering::SeqCst);
			if let Some(slot) = slots.get_mut(free) {
				*slot = admit(model, settings, at, job);
			}
		}
		load.running.store(slots.iter().flatten().count(), Ordering::SeqCst);

		// One batch: generating sequences first (one token each), then prompt chunks.
		batch.clear();
		let mut left = room;
		let mut add_error = None;
		for (seq, slot) in slots.iter_mut().enumerate() {
			let Some(a) = slot else { continue };
			let seq = seq as i32;
			if let Some(token) = a.next.take() {
				if let Err(e) = batch.add(token, a.pos, &[seq], true) {
					add_error = Some(failed(&e));
				}
				a.logits = Some(batch.n_tokens() - 1);
				a.pos += 1;
				left -= 1;
			}
		}
		for (seq, slot) in slots.iter_mut().enumerate() {
			let Some(a) = slot else { continue };
			let seq = seq as i32;
			while let Some(&token) = a.prompt.get(a.fed).filter(|_| left > 0) {
				let last = a.fed + 1 == a.prompt.len();
				if let Err(e) = batch.add(token, a.pos, &[seq], last) {
					add_error = Some(failed(&e));
				}
				if last {
					a.logits = Some(batch.n_tokens() - 1);
				}
				a.fed += 1;
				a.pos += 1;
				left -= 1;
			}
		}
		let decoded = match add_error {
			Some(e) => Err(e),
			None => ctx.decode(&mut batch).map_err(|e| failed(&e)),
		};
		if let Err(e) = decoded {
			// The context's state is unknown: fail every job in it and start clean.
			for a in slots.iter_mut().filter_map(Option::take) {
				(a.done)(Err(EngineError::Inference(e.to_string())));
			}
			ctx.clear_kv_cache();
			continue;
		}

		// Each sequence whose logits came out samples its next token.
		for (seq, slot) in slots.iter_mut().enumerate() {
			let Some(idx) = slot.as_mut().and_then(|a| a.logits.take()) else { continue };
			let step = match slot.as_mut() {
				Some(a) => a.generation.step(model, &ctx, idx),
				None => continue,
			};
			match step {
				Ok(Next::Feed(token)) => {
					if let Some(a) = slot.as_mut() {
						a.next = Some(token);
					}
				}
				Ok(Next::Done) | Err(_) => {
					if let Some(a) = slot.take() {
						let _ = ctx.clear_kv_cache_seq(Some(seq as u32), None, None);
						(a.done)(step.map(|_| a.generation.finish()));
					}
				}
			}
		}

		// A prompt still being processed when its time budget runs out ends there, before its
		// first token: the job can then still be declined in time.
		for (seq, slot) in slots.iter_mut().enumerate() {
			let late = slot
				.as_ref()
				.filter(|a| a.fed < a.prompt.len())
				.and_then(|a| a.generation.out_of_time());
			let Some(late) = late else { continue };
			if let Some(a) = slot.take() {
				let _ = ctx.clear_kv_cache_seq(Some(seq as u32), None, None);
				(a.done)(Err(late));
			}
		}
	}
}

/// A job's sequence state, or `None` after reporting why it cannot run.
fn admit(model: &LlamaModel, settings: Settings, at: Instant, job: Job) -> Option<Active> {
	let Job { request, limits, stream, done } = job;
	let prompt = match request::prompt_within(model, &request, settings.n_ctx) {
		Ok(prompt) => prompt,
		Err(e) => {
			done(Err(e));
			return None;
		}
	};
	let generation = Generation::new(&request, limits, at, stream);
	if generation.is_empty() {
		done(Ok(generation.finish()));
		return None;
	}
	Some(Active { prompt, fed: 0, pos: 0, next: None, logits: None, generation, done })
}
