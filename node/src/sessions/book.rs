//! A session as its provider's node keeps it: what was served, what the owner's vouchers
//! promise, and the log, persisted in the node's off-chain database so that a restart loses
//! none of it.
//!
//! The rules a voucher must meet before a request runs live here, in one function
//! ([`Book::admit`]), apart from the chain and the engine, so they are tested alone.

use codec::{Decode, Encode};
use pallet_mosaic_sessions::{log_after, log_start, LogEntry, Voucher};
use sp_core::{offchain::OffchainStorage, H256};
use std::sync::{Mutex, PoisonError};

/// What the node knows of one session it serves.
#[derive(Clone, Debug, Default, PartialEq, Eq, Encode, Decode)]
pub struct Book {
	/// Requests served (the `seq` of the last one; 0 before the first).
	pub served: u32,
	/// Output tokens of the requests served.
	pub spent: u32,
	/// The log after the last request served.
	pub log: H256,
	/// The highest voucher accepted and the session key's signature over it.
	pub voucher: Option<(Voucher, Vec<u8>)>,
	/// The voucher of the last request served, and its signature: what the node posts when
	/// the session ends (a request the engine failed on is owed nothing, so its voucher is
	/// not posted).
	pub paid: Option<(Voucher, Vec<u8>)>,
}

/// Why a voucher does not pay for a request (the request does not run, nothing changes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
	/// Its `seq` is not the next request's.
	Sequence { expected: u32 },
	/// Its log is not the log after the last request served (the owner missed a receipt).
	Log { expected: H256 },
	/// It owes fewer tokens than the requests served and this one at its `max_tokens`.
	Uncovered { needed: u32 },
	/// It owes fewer tokens than a voucher accepted before.
	Shrinks { at_least: u32 },
	/// It owes more than the session's budget pays: top the session up.
	OverBudget { most: u32 },
}

impl core::fmt::Display for Refused {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		match self {
			Self::Sequence { expected } => write!(f, "the voucher's seq must be {expected}"),
			Self::Log { expected } => {
				write!(f, "the voucher's log must be {expected:?}, the log after the last receipt")
			}
			Self::Uncovered { needed } => write!(
				f,
				"the voucher must owe at least {needed} tokens: those served and this request's \
				 max_tokens"
			),
			Self::Shrinks { at_least } => {
				write!(f, "the voucher must owe at least {at_least} tokens, as an earlier one did")
			}
			Self::OverBudget { most } => write!(
				f,
				"the session's budget pays at most {most} tokens: top it up or lower max_tokens"
			),
		}
	}
}

impl Book {
	/// A session's book before its first request.
	pub fn new(genesis: H256, session: u64) -> Self {
		Self { log: log_start(genesis, session), ..Self::default() }
	}

	/// Whether `voucher` pays for the next request at `max_tokens` in a session whose budget
	/// pays `budget_tokens` at its price. The owner pre-pays: a voucher owes every token
	/// served plus this request's most, so the provider never works unpaid, and the owner
	/// loses at most what one request did not use of its `max_tokens`.
	pub fn admit(
		&self,
		voucher: &Voucher,
		max_tokens: u32,
		budget_tokens: u32,
	) -> Result<(), Refused> {
		let expected = self.served.saturating_add(1);
		if voucher.seq != expected {
			return Err(Refused::Sequence { expected });
		}
		if voucher.log != self.log {
			return Err(Refused::Log { expected: self.log });
		}
		let needed = self.spent.saturating_add(max_tokens);
		if voucher.tokens < needed {
			return Err(Refused::Uncovered { needed });
		}
		if let Some((best, _)) = &self.voucher {
			if voucher.tokens < best.tokens {
				return Err(Refused::Shrinks { at_least: best.tokens });
			}
		}
		if voucher.tokens > budget_tokens {
			return Err(Refused::OverBudget { most: budget_tokens });
		}
		Ok(())
	}

	/// Records a request served (paid by the voucher accepted for it): the entry for it, the
	/// tokens spent and the log after it.
	pub fn record(&mut self, request: H256, output: H256, tokens: u32) -> LogEntry {
		let entry = LogEntry { seq: self.served.saturating_add(1), request, output, tokens };
		self.served = entry.seq;
		self.spent = self.spent.saturating_add(tokens);
		self.log = log_after(self.log, &entry);
		self.paid = self.voucher.clone();
		entry
	}
}

/// One request in a session's log on disk: the entry, its cost and the operator key's
/// signature over the receipt.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Logged {
	pub entry: LogEntry,
	pub cost: u128,
	pub log: H256,
	pub signature: Vec<u8>,
}

/// The books and logs of the sessions this node serves, in the off-chain database's
/// persistent storage (the part off-chain workers read as `StorageKind::PERSISTENT`), with
/// the list of the sessions it has books of (so that a restarted node still ends them).
pub struct Store<S> {
	db: Mutex<S>,
}

const PREFIX: &[u8] = sp_core::offchain::STORAGE_PREFIX;

fn book_key(session: u64) -> Vec<u8> {
	(b"mosaic/session/book", session).encode()
}

fn entry_key(session: u64, seq: u32) -> Vec<u8> {
	(b"mosaic/session/entry", session, seq).encode()
}

const INDEX_KEY: &[u8] = b"mosaic/session/index";

impl<S: OffchainStorage> Store<S> {
	pub fn new(db: S) -> Self {
		Self { db: Mutex::new(db) }
	}

	fn db(&self) -> std::sync::MutexGuard<'_, S> {
		self.db.lock().unwrap_or_else(PoisonError::into_inner)
	}

	/// The book of `session`, if this node served it before.
	pub fn book(&self, session: u64) -> Option<Book> {
		let bytes = self.db().get(PREFIX, &book_key(session))?;
		Book::decode(&mut bytes.as_slice()).ok()
	}

	/// Saves `book` (and lists its session among those this node serves).
	pub fn save(&self, session: u64, book: &Book) {
		let mut db = self.db();
		let mut index = Self::index_in(&*db);
		if !index.contains(&session) {
			index.push(session);
			db.set(PREFIX, INDEX_KEY, &index.encode());
		}
		db.set(PREFIX, &book_key(session), &book.encode());
	}

	fn index_in(db: &S) -> Vec<u64> {
		db.get(PREFIX, INDEX_KEY)
			.and_then(|bytes| Vec::<u64>::decode(&mut bytes.as_slice()).ok())
			.unwrap_or_default()
	}

	/// The sessions this node keeps a book of and has not forgotten.
	pub fn sessions(&self) -> Vec<u64> {
		Self::index_in(&*self.db())
	}

	/// Takes `session` off the list (it has left the chain); its book and log stay on disk.
	pub fn forget(&self, session: u64) {
		let mut db = self.db();
		let mut index = Self::index_in(&*db);
		index.retain(|s| *s != session);
		db.set(PREFIX, INDEX_KEY, &index.encode());
	}

	/// Saves request `logged.entry.seq` of `session`'s log, then `book` (the book after it):
	/// an entry on disk is never missing from a book that counts it.
	pub fn append(&self, session: u64, logged: &Logged, book: &Book) {
		self.db().set(PREFIX, &entry_key(session, logged.entry.seq), &logged.encode());
		self.save(session, book);
	}

	/// Request `seq` of `session`'s log.
	pub fn entry(&self, session: u64, seq: u32) -> Option<Logged> {
		let bytes = self.db().get(PREFIX, &entry_key(session, seq))?;
		Logged::decode(&mut bytes.as_slice()).ok()
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn voucher(seq: u32, tokens: u32, log: H256) -> Voucher {
		Voucher { seq, tokens, log }
	}

	#[test]
	fn a_voucher_pays_for_the_next_request_only_if_it_covers_it_in_order() {
		let mut book = Book::new(H256::repeat_byte(1), 7);
		let start = book.log;
		assert_eq!(book.admit(&voucher(1, 100, start), 100, 1_000), Ok(()));
		assert_eq!(
			book.admit(&voucher(2, 100, start), 100, 1_000),
			Err(Refused::Sequence { expected: 1 })
		);
		assert_eq!(
			book.admit(&voucher(1, 99, start), 100, 1_000),
			Err(Refused::Uncovered { needed: 100 })
		);
		assert_eq!(
			book.admit(&voucher(1, 100, H256::zero()), 100, 1_000),
			Err(Refused::Log { expected: start })
		);
		assert_eq!(
			book.admit(&voucher(1, 1_001, start), 100, 1_000),
			Err(Refused::OverBudget { most: 1_000 })
		);
		book.voucher = Some((voucher(1, 100, start), vec![]));
		let entry = book.record(H256::repeat_byte(2), H256::repeat_byte(3), 40);
		assert_eq!((entry.seq, book.served, book.spent), (1, 1, 40));
		assert_eq!(book.log, log_after(start, &entry));
		// Request 2 at most 50 tokens: 40 served + 50 = 90 would do, but an earlier voucher
		// owed 100, and vouchers never shrink.
		assert_eq!(
			book.admit(&voucher(2, 90, book.log), 50, 1_000),
			Err(Refused::Shrinks { at_least: 100 })
		);
		assert_eq!(book.admit(&voucher(2, 100, book.log), 50, 1_000), Ok(()));
		// The owner must name the log with request 1 in it.
		assert_eq!(
			book.admit(&voucher(2, 100, start), 50, 1_000),
			Err(Refused::Log { expected: book.log })
		);
	}

	#[test]
	fn the_voucher_posted_at_the_end_is_that_of_the_last_request_served() {
		let mut book = Book::new(H256::repeat_byte(1), 7);
		let start = book.log;
		book.voucher = Some((voucher(1, 100, start), vec![1]));
		book.record(H256::repeat_byte(2), H256::repeat_byte(3), 40);
		assert_eq!(book.paid, Some((voucher(1, 100, start), vec![1])));
		// Request 2 is accepted, then the engine fails on it: nothing is owed for it.
		let after_one = book.log;
		book.voucher = Some((voucher(2, 140, after_one), vec![2]));
		assert_eq!(book.paid, Some((voucher(1, 100, start), vec![1])));
		book.record(H256::repeat_byte(4), H256::repeat_byte(5), 10);
		assert_eq!(book.paid, Some((voucher(2, 140, after_one), vec![2])));
	}
}
