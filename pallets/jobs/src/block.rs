//! What the hook does for every block besides its due jobs: works out the block's randomness
//! once ([`crate::BlockSeed`]) and reads the hot keys ([`Config::HotKeys`]), so that a
//! block's transactions find both in the cache.

use crate::{Config, Pallet};
use codec::Encode;
use frame_support::traits::{Get, Randomness};

impl<T: Config> Pallet<T> {
	/// This block's randomness, as the draws are seeded from it.
	pub(crate) fn block_seed() -> [u8; 32] {
		let (random, _) = T::Randomness::random(b"mosaic/jobs");
		sp_io::hashing::blake2_256(&random.encode())
	}

	/// Reads each of [`Config::HotKeys`] (see there). Returns how many it read.
	pub(crate) fn read_hot_keys() -> u32 {
		let keys = T::HotKeys::get();
		for key in &keys {
			// Read for the cache only: the value is not needed here.
			let _ = sp_io::storage::get(key);
		}
		u32::try_from(keys.len()).unwrap_or(u32::MAX)
	}
}
