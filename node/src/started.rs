//! Which jobs this node has started, on disk and synced before each one runs.
//!
//! The jobs pallet's worker claims a job in the off-chain database before it runs it, so that
//! a restarted node never runs it again. That database (ParityDB) commits in the background:
//! a node killed within milliseconds of a claim can come back without it, and would run the
//! job a second time (and stream a second, possibly different, answer). So the engine keeps
//! its own record: a ticket is appended to `started` and the file synced before the job is
//! handed to the engine, and a ticket already there is refused with
//! [`InferenceError::Interrupted`](mosaic_inference::InferenceError::Interrupted), which the
//! worker declines (no slash). Records older than [`KEEP`] are dropped when the node starts:
//! no job lives that long.
//!
//! The file is a sequence of 40-byte records: the ticket, then the start time in seconds since
//! the Unix epoch (little-endian). A record cut short by a crash is ignored.

use mosaic_inference::Ticket;
use std::{
	collections::HashSet,
	fs::{self, File, OpenOptions},
	io::{self, Write},
	path::{Path, PathBuf},
	sync::{Mutex, PoisonError},
	time::{Duration, SystemTime, UNIX_EPOCH},
};

/// How long a start is remembered: far longer than any job's deadline.
pub const KEEP: Duration = Duration::from_secs(24 * 60 * 60);

const RECORD: usize = 40;

/// The started tickets of this node, in memory and on disk.
pub struct Started {
	path: PathBuf,
	state: Mutex<(File, HashSet<Ticket>)>,
}

impl Started {
	/// Opens (or creates) the record at `path`, dropping records older than [`KEEP`].
	pub fn open(path: &Path) -> io::Result<Self> {
		let now = now_secs();
		let bytes = match fs::read(path) {
			Ok(bytes) => bytes,
			Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
			Err(e) => return Err(e),
		};
		let kept: Vec<&[u8]> = bytes
			.chunks_exact(RECORD)
			.filter(|r| {
				let at = u64::from_le_bytes(r[32..].try_into().expect("8 bytes"));
				now.saturating_sub(at) < KEEP.as_secs()
			})
			.collect();
		let seen = kept.iter().map(|r| r[..32].try_into().expect("32 bytes")).collect();
		// Rewrite what is kept beside the file, then move it over: a crash leaves one or the
		// other, never a mix.
		let fresh = path.with_extension("new");
		{
			let mut file = File::create(&fresh)?;
			file.write_all(&kept.concat())?;
			file.sync_all()?;
		}
		fs::rename(&fresh, path)?;
		if let Some(dir) = path.parent() {
			File::open(dir)?.sync_all()?;
		}
		let file = OpenOptions::new().append(true).open(path)?;
		Ok(Self { path: path.to_owned(), state: Mutex::new((file, seen)) })
	}

	/// Records `ticket` as started, on disk, before it runs: `Ok(false)` if it was started
	/// before (in this run or an earlier one) and must not run again.
	pub fn first_start(&self, ticket: &Ticket) -> io::Result<bool> {
		let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
		let (file, seen) = &mut *state;
		if seen.contains(ticket) {
			return Ok(false);
		}
		let mut record = [0u8; RECORD];
		record[..32].copy_from_slice(ticket);
		record[32..].copy_from_slice(&now_secs().to_le_bytes());
		file.write_all(&record)?;
		file.sync_data()?;
		seen.insert(*ticket);
		Ok(true)
	}

	/// Where the record lives.
	pub fn path(&self) -> &Path {
		&self.path
	}
}

fn now_secs() -> u64 {
	SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
	use super::*;

	fn scratch(name: &str) -> PathBuf {
		let dir =
			std::env::temp_dir().join(format!("mosaic-started-{name}-{}", std::process::id()));
		let _ = fs::remove_dir_all(&dir);
		fs::create_dir_all(&dir).unwrap();
		dir.join("started")
	}

	#[test]
	fn a_ticket_starts_once_across_reopening() {
		let path = scratch("reopen");
		let started = Started::open(&path).unwrap();
		assert!(started.first_start(&[1; 32]).unwrap());
		assert!(!started.first_start(&[1; 32]).unwrap());
		assert!(started.first_start(&[2; 32]).unwrap());
		drop(started);
		// As after a kill: nothing but the file carries over.
		let reopened = Started::open(&path).unwrap();
		assert!(!reopened.first_start(&[1; 32]).unwrap());
		assert!(!reopened.first_start(&[2; 32]).unwrap());
		assert!(reopened.first_start(&[3; 32]).unwrap());
	}

	#[test]
	fn old_records_and_a_torn_tail_are_dropped() {
		let path = scratch("old");
		let mut bytes = Vec::new();
		bytes.extend_from_slice(&[7; 32]);
		bytes.extend_from_slice(&(now_secs() - KEEP.as_secs() - 1).to_le_bytes());
		bytes.extend_from_slice(&[8; 32]);
		bytes.extend_from_slice(&now_secs().to_le_bytes());
		bytes.extend_from_slice(&[9; 20]); // a record cut short
		fs::write(&path, &bytes).unwrap();
		let started = Started::open(&path).unwrap();
		assert_eq!(fs::read(&path).unwrap().len(), RECORD, "only the recent record is kept");
		assert!(started.first_start(&[7; 32]).unwrap(), "a day-old start is forgotten");
		assert!(!started.first_start(&[8; 32]).unwrap());
		assert!(started.first_start(&[9; 32]).unwrap());
	}
}
