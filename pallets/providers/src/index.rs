//! The draw index: per model, the providers serving it in dense slots `0..SlotCount`, and a
//! sum tree of their draw weights, so that the jobs pallet draws a provider with chance
//! proportional to its weight in [`DEPTH`] storage reads however many serve the model, and
//! adding, removing or reweighing one costs [`DEPTH`] read-modify-writes.
//!
//! The tree has [`FANOUT`] children a node and [`DEPTH`] levels, so [`CAPACITY`] slots. Node
//! `(level, i)` stores, for each child `j`, the total weight of the slots under child
//! `i·FANOUT + j` one level down; at the last level the children are slots. A node whose
//! entries are all zero is not stored.
//!
//! A slot's *indexed weight* is its provider's bond while it is active and 0 while paused,
//! written whenever the provider changes either by its own call. A slash (decided by the jobs
//! pallet's hooks) does not rewrite the tree: the indexed weight then stays above the bond, and
//! the draw accepts a provider with probability `bond × score / (indexed × MAX_SCORE)`, which
//! makes the chance of a draw exactly proportional to bond × reputation score.

use crate::{Config, Pallet, ProviderStatus, SlotCount, SlotOf, Slots, WeightTree};
use mosaic_primitives::ModelId;
use sp_runtime::traits::UniqueSaturatedInto;

/// Children of a node.
pub const FANOUT: u32 = 16;
/// Levels of the tree: the reads of one draw.
pub const DEPTH: u32 = 4;
/// Slots of one model's tree: `FANOUT ^ DEPTH`.
pub const CAPACITY: u32 = 65_536;
const BITS: u32 = 4; // log2(FANOUT)

/// A stored node of the tree.
pub type Node = [u128; FANOUT as usize];

/// The total weight under a node.
fn node_sum(n: &Node) -> u128 {
	n.iter().fold(0u128, |acc, e| acc.saturating_add(*e))
}

/// The node of `level` above `slot`, and the entry of that node that covers `slot`.
fn position(slot: u32, level: u32) -> (u32, usize) {
	let below = BITS.saturating_mul(DEPTH.saturating_sub(level));
	let node = slot.checked_shr(below).unwrap_or(0);
	let entry = slot.checked_shr(below.saturating_sub(BITS)).unwrap_or(0) % FANOUT;
	(node, entry as usize)
}

impl<T: Config> Pallet<T> {
	/// The weight `p` is drawn with in the index: its bond while active, else nothing.
	pub(crate) fn indexed_weight(p: &crate::pallet::ProviderOf<T>) -> u128 {
		if p.status == ProviderStatus::Active {
			p.bond.unique_saturated_into()
		} else {
			0
		}
	}

	/// The indexed weight of `slot` of `model`.
	pub fn slot_weight(model: ModelId, slot: u32) -> u128 {
		let (node, entry) = position(slot, DEPTH.saturating_sub(1));
		WeightTree::<T>::get(model, (DEPTH.saturating_sub(1) as u8, node))
			.and_then(|n| n.get(entry).copied())
			.unwrap_or(0)
	}

	/// Sets the indexed weight of `slot` of `model` to `weight`.
	pub(crate) fn set_slot_weight(model: ModelId, slot: u32, weight: u128) {
		let old = Self::slot_weight(model, slot);
		if old == weight {
			return;
		}
		for level in 0..DEPTH {
			let (node, entry) = position(slot, level);
			WeightTree::<T>::mutate_exists(model, (level as u8, node), |maybe| {
				let mut n = maybe.unwrap_or_default();
				if let Some(e) = n.get_mut(entry) {
					// Every entry is the sum of the weights below it, `old` among them.
					*e = e.saturating_sub(old).saturating_add(weight);
				}
				*maybe = n.iter().any(|e| *e != 0).then_some(n);
			});
		}
	}

	/// The total indexed weight of `model`.
	pub fn total_weight(model: ModelId) -> u128 {
		WeightTree::<T>::get(model, (0u8, 0u32)).map(|n| node_sum(&n)).unwrap_or(0)
	}

	/// The slot of `model` holding the `r`-th unit of its indexed weight, and that slot's
	/// weight; `None` when `r` is not below the total.
	pub fn find_slot(model: ModelId, mut r: u128) -> Option<(u32, u128)> {
		let mut index = 0u32;
		let mut weight = 0u128;
		for level in 0..DEPTH {
			let n = WeightTree::<T>::get(model, (level as u8, index))?;
			let mut chosen = None;
			for (j, e) in n.iter().enumerate() {
				if r < *e {
					chosen = Some(j as u32);
					weight = *e;
					break;
				}
				r = r.saturating_sub(*e);
			}
			index = index.checked_mul(FANOUT)?.checked_add(chosen?)?;
		}
		Some((index, weight))
	}

	/// Gives `who` the next slot of `model`, with its indexed weight.
	pub(crate) fn add_slot(model: ModelId, who: &T::AccountId, weight: u128) {
		let slot = SlotCount::<T>::get(model);
		Slots::<T>::insert(model, slot, who);
		SlotOf::<T>::insert(model, who, slot);
		SlotCount::<T>::insert(model, slot.saturating_add(1));
		Self::set_slot_weight(model, slot, weight);
	}

	/// Takes `who`'s slot of `model` away; the last slot moves into it, so slots stay dense.
	pub(crate) fn remove_slot(model: ModelId, who: &T::AccountId) {
		let Some(slot) = SlotOf::<T>::take(model, who) else { return };
		let last = SlotCount::<T>::get(model).saturating_sub(1);
		if slot != last {
			let weight = Self::slot_weight(model, last);
			if let Some(moved) = Slots::<T>::get(model, last) {
				Slots::<T>::insert(model, slot, &moved);
				SlotOf::<T>::insert(model, &moved, slot);
			}
			Self::set_slot_weight(model, slot, weight);
		}
		Self::set_slot_weight(model, last, 0);
		Slots::<T>::remove(model, last);
		if last == 0 {
			SlotCount::<T>::remove(model);
		} else {
			SlotCount::<T>::insert(model, last);
		}
	}

	/// Rewrites `who`'s indexed weight in every model it serves, after its bond or status
	/// changed by its own call.
	pub(crate) fn reindex(who: &T::AccountId, p: &crate::pallet::ProviderOf<T>) {
		let weight = Self::indexed_weight(p);
		for model in p.serving.iter() {
			if let Some(slot) = SlotOf::<T>::get(model, who) {
				Self::set_slot_weight(*model, slot, weight);
			}
		}
	}

	/// Checks one model's index: dense slots that map back, every node the sum of the nodes
	/// below it, and each slot's weight at least its provider's current draw weight (equal
	/// to 0 for a paused one).
	pub(crate) fn check_index(model: ModelId) -> Result<(), &'static str> {
		let count = SlotCount::<T>::get(model);
		for slot in 0..count {
			let who = Slots::<T>::get(model, slot).ok_or("a slot below the count is empty")?;
			if SlotOf::<T>::get(model, &who) != Some(slot) {
				return Err("a slot's provider does not map back to it");
			}
			let p = crate::Providers::<T>::get(&who).ok_or("a slot holds no provider")?;
			let weight = Self::slot_weight(model, slot);
			if weight < Self::indexed_weight(&p) || (Self::indexed_weight(&p) == 0 && weight != 0) {
				return Err("a slot's weight is below its provider's, or not 0 while paused");
			}
		}
		if Slots::<T>::get(model, count).is_some() {
			return Err("a slot above the count is used");
		}
		let last = DEPTH.saturating_sub(1) as u8;
		for ((level, index), n) in WeightTree::<T>::iter_prefix(model) {
			if level > 0 {
				let parent = WeightTree::<T>::get(model, (level.saturating_sub(1), index / FANOUT))
					.and_then(|p| p.get((index % FANOUT) as usize).copied())
					.unwrap_or(0);
				if parent != node_sum(&n) {
					return Err("a tree node's sum differs from its parent's entry");
				}
			}
			for (j, e) in n.iter().enumerate() {
				let child = index.saturating_mul(FANOUT).saturating_add(j as u32);
				if level == last {
					if child >= count && *e != 0 {
						return Err("an unused slot has weight");
					}
					continue;
				}
				let below = WeightTree::<T>::get(model, (level.saturating_add(1), child))
					.map(|c| node_sum(&c))
					.unwrap_or(0);
				if below != *e {
					return Err("a tree entry is not the sum of the node below it");
				}
			}
		}
		Ok(())
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn positions_cover_each_slot_once_per_level() {
		assert_eq!(position(0, 0), (0, 0));
		assert_eq!(position(65_535, 0), (0, 15));
		assert_eq!(position(65_535, 3), (4_095, 15));
		assert_eq!(position(0x1234, 0), (0, 1));
		assert_eq!(position(0x1234, 1), (1, 2));
		assert_eq!(position(0x1234, 2), (0x12, 3));
		assert_eq!(position(0x1234, 3), (0x123, 4));
		assert_eq!(FANOUT.pow(DEPTH), CAPACITY);
	}
}
