//! Quotes: the bid a job needs to be assigned, for the runtime API's estimate, in a bounded
//! number of reads whatever the size of the market.
//!
//! A draw ([`crate::assignment`]) looks at a random window of [`WINDOW`] consecutive slots of
//! the model's index (after up to a few tries in the index), so in a market larger than a
//! window the lowest ask of the whole market is in the window the draw reads only by chance: a
//! job bid at that ask is refused more often than not. A quote is therefore the lowest bid at
//! which **every window it reads** has a provider that can take the job:
//! - in a market of at most [`WINDOW`] providers, the lowest ask (the draw reads them all);
//! - in one of at most [`QUOTE_SLOTS`], it reads every slot once and looks at every window the
//!   draw can read, so a job bid at the quote is assigned whatever the draw's seed (while the
//!   providers stay as they were read, and for a prompt their terms cover);
//! - in a larger one, it reads [`QUOTE_WINDOWS`] windows spread evenly over the index: a
//!   sample of the windows the draw can read (a job bid at the quote is then refused only when
//!   the draw's window is dearer than every window sampled and its tries find nobody).
//!
//! A window in which nobody can take the job at any bid is left out: no bid helps there. The
//! executor is paid its own ask, never more, so bidding the quote rather than the lowest ask
//! costs only what the executor drawn asks; the rest of the escrow is refunded.

use crate::{assignment::WINDOW, pallet::BalanceOf, Config, Pallet};
use alloc::{collections::BTreeMap, vec::Vec};
use mosaic_primitives::{JobNeeds, ModelId, ProviderRegistry};

/// Windows a quote reads in a market of more than [`QUOTE_SLOTS`] providers.
pub const QUOTE_WINDOWS: u32 = 64;
/// Slots a quote reads at most: in a market of up to this many, every slot.
pub const QUOTE_SLOTS: u32 = QUOTE_WINDOWS * WINDOW;

/// What a quote found among the providers it read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quote<Balance> {
	/// The lowest bid at which every window read has a provider that can take the job; `None`
	/// when none read can.
	pub bid: Option<Balance>,
	/// The asks of the providers read that can take the job, lowest first.
	pub asks: Vec<Balance>,
	/// Whether any provider read can take some job (active, bonded, under its concurrency
	/// limit), whether or not it covers this one.
	pub any: bool,
	/// Providers read.
	pub read: u32,
}

impl<Balance: Ord + Copy> Quote<Balance> {
	/// The lowest ask of the providers read that can take the job.
	pub fn lowest_ask(&self) -> Option<Balance> {
		self.asks.first().copied()
	}

	/// How many of the providers read take the job at `bid`.
	pub fn eligible_at(&self, bid: Balance) -> u32 {
		self.asks.iter().filter(|ask| **ask <= bid).count() as u32
	}
}

/// What a quote knows of one provider read.
#[derive(Clone, Copy)]
enum Read<Balance> {
	/// Cannot take any job now (or an empty slot).
	Unavailable,
	/// Can take some job, not this one (its terms do not cover it, or it is too slow).
	NotCovering,
	/// Can take this job at this ask.
	Takes(Balance),
}

impl<T: Config> Pallet<T> {
	/// The quote for a job of `model` with these `needs` (see the module docs).
	pub fn quote(model: ModelId, needs: &JobNeeds) -> Quote<BalanceOf<T>> {
		let timing = Self::timing();
		let count = T::Providers::slot_count(model);
		// The first slot of each window looked at, and the window's length.
		let (starts, span): (Vec<u32>, u32) = if count <= WINDOW {
			(alloc::vec![0], count)
		} else if count <= QUOTE_SLOTS {
			((0..count).collect(), WINDOW)
		} else {
			// Window k starts k/QUOTE_WINDOWS of the way through the index.
			let spread = |k: u32| {
				let at = u64::from(k).saturating_mul(u64::from(count));
				let at = at.checked_div(u64::from(QUOTE_WINDOWS)).unwrap_or(0);
				u32::try_from(at).unwrap_or(0)
			};
			((0..QUOTE_WINDOWS).map(spread).collect(), WINDOW)
		};
		let mut read: BTreeMap<u32, Read<BalanceOf<T>>> = BTreeMap::new();
		let mut at = |slot: u32| {
			*read.entry(slot).or_insert_with(|| {
				let Some(who) = T::Providers::at_slot(model, slot) else {
					return Read::Unavailable;
				};
				match Self::available(&timing, model, &who) {
					None => Read::Unavailable,
					Some(c)
						if timing.covers(&c, needs) && Self::exposure_allows(&c, c.ask, needs) =>
					{
						Read::Takes(c.ask)
					}
					Some(_) => Read::NotCovering,
				}
			})
		};
		let mut bid = None;
		for start in starts {
			let cheapest = (0..span)
				.filter_map(|k| match at(start.saturating_add(k).checked_rem(count)?) {
					Read::Takes(ask) => Some(ask),
					_ => None,
				})
				.min();
			bid = bid.max(cheapest);
		}
		let mut asks: Vec<_> = read
			.values()
			.filter_map(|r| match r {
				Read::Takes(ask) => Some(*ask),
				_ => None,
			})
			.collect();
		asks.sort();
		let any = read.values().any(|r| !matches!(r, Read::Unavailable));
		Quote { bid, asks, any, read: read.len() as u32 }
	}
}
