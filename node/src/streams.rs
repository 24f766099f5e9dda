//! The output of the jobs this node runs, streamed to their owners while it is generated
//! (`mosaic_streamJob`, see `marketplace_rpc.rs`).
//!
//! The engine hands each job's output to [`Streams`] as it decodes; a subscriber gets what was
//! generated so far at once, then the rest as it comes, then how the job ended. A stream is
//! the output the attestation signs: its bytes concatenate to the bytes whose hash the
//! provider posts (the gateway checks this against the chain).

use futures::channel::mpsc::{unbounded, UnboundedReceiver, UnboundedSender};
use serde::Serialize;
use std::{
	collections::HashMap,
	sync::{Mutex, PoisonError},
	time::{Duration, Instant},
};

/// How long a job's stream is kept after it was opened (its deadline is long past by then).
const KEEP: Duration = Duration::from_secs(3_600);

/// One event of a job's stream.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "camelCase")]
pub enum StreamEvent {
	/// Output bytes, as `0x` hex, starting at byte `at` of the output (a multi-byte character
	/// may be split across two events). Offsets make every event distinct and let a client
	/// see a gap.
	Output { at: usize, bytes: String },
	/// The job's output is complete: `outputHash` (BLAKE2b-256) and `tokens`, as attested.
	Done {
		#[serde(rename = "outputHash")]
		output_hash: String,
		tokens: u32,
	},
	/// The engine could not run the job (the provider declines it on chain).
	Failed { reason: String },
}

#[derive(Default)]
struct JobStream {
	output: Vec<u8>,
	end: Option<StreamEvent>,
	subscribers: Vec<UnboundedSender<StreamEvent>>,
	opened: Option<Instant>,
}

/// Every job's stream on this node.
#[derive(Default)]
pub struct Streams {
	jobs: Mutex<HashMap<u64, JobStream>>,
}

fn hex(bytes: &[u8]) -> String {
	format!("0x{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

impl Streams {
	fn with<R>(&self, job: u64, f: impl FnOnce(&mut JobStream) -> R) -> R {
		let mut jobs = self.jobs.lock().unwrap_or_else(PoisonError::into_inner);
		jobs.retain(|_, s| s.opened.is_none_or(|at| at.elapsed() < KEEP));
		let stream = jobs.entry(job).or_default();
		stream.opened.get_or_insert_with(Instant::now);
		f(stream)
	}

	fn publish(stream: &mut JobStream, event: &StreamEvent) {
		stream.subscribers.retain(|s| s.unbounded_send(event.clone()).is_ok());
	}

	/// The engine generated `bytes` of `job`'s output.
	pub fn output(&self, job: u64, bytes: &[u8]) {
		self.with(job, |s| {
			let at = s.output.len();
			s.output.extend_from_slice(bytes);
			Self::publish(s, &StreamEvent::Output { at, bytes: hex(bytes) });
		})
	}

	/// `job` ended: its output's hash and tokens, or why it failed.
	pub fn end(&self, job: u64, end: Result<([u8; 32], u32), String>) {
		let event = match end {
			Ok((hash, tokens)) => StreamEvent::Done { output_hash: hex(&hash), tokens },
			Err(reason) => StreamEvent::Failed { reason },
		};
		self.with(job, |s| {
			Self::publish(s, &event);
			s.subscribers.clear();
			s.end = Some(event);
		})
	}

	/// What `job` generated so far (and its end, if it ended), and, unless it ended, a
	/// receiver of what follows.
	pub fn subscribe(
		&self,
		job: u64,
	) -> (Vec<StreamEvent>, Option<UnboundedReceiver<StreamEvent>>) {
		self.with(job, |s| {
			let mut backlog = Vec::new();
			if !s.output.is_empty() {
				backlog.push(StreamEvent::Output { at: 0, bytes: hex(&s.output) });
			}
			if let Some(end) = &s.end {
				backlog.push(end.clone());
				return (backlog, None);
			}
			let (tx, rx) = unbounded();
			s.subscribers.push(tx);
			(backlog, Some(rx))
		})
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use futures::StreamExt;

	#[test]
	fn a_late_subscriber_gets_the_output_so_far_then_the_rest() {
		let streams = Streams::default();
		streams.output(7, b"Hel");
		let (backlog, rx) = streams.subscribe(7);
		assert_eq!(backlog, vec![StreamEvent::Output { at: 0, bytes: "0x48656c".into() }]);
		streams.output(7, b"lo");
		streams.end(7, Ok(([1; 32], 2)));
		let live: Vec<_> = futures::executor::block_on(rx.unwrap().collect());
		assert_eq!(live[0], StreamEvent::Output { at: 3, bytes: "0x6c6f".into() });
		assert!(matches!(live[1], StreamEvent::Done { tokens: 2, .. }));
		// After the end: everything at once, no receiver.
		let (backlog, rx) = streams.subscribe(7);
		assert_eq!(backlog.len(), 2);
		assert!(rx.is_none());
	}

	#[test]
	fn a_subscriber_before_the_job_starts_gets_all_of_it() {
		let streams = Streams::default();
		let (backlog, rx) = streams.subscribe(9);
		assert!(backlog.is_empty());
		streams.output(9, b"a");
		streams.end(9, Err("busy".into()));
		let live: Vec<_> = futures::executor::block_on(rx.unwrap().collect());
		assert_eq!(live.len(), 2);
		assert_eq!(live[1], StreamEvent::Failed { reason: "busy".into() });
	}
}
