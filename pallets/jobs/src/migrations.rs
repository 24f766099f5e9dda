//! Storage migrations of the jobs pallet.

use crate::{Config, MaxRequestLenOf, Pallet, Requests};
use codec::Encode;
use frame_support::{
	migrations::VersionedMigration, pallet_prelude::*, storage_alias,
	traits::UncheckedOnRuntimeUpgrade, weights::Weight,
};
use mosaic_primitives::{JobId, JobRequest};

/// The v0 layout that v1 replaced.
pub mod v0 {
	use super::*;

	/// v0 stored each job's raw prompt (at most `MaxPromptLen` bytes).
	#[storage_alias]
	pub type Prompts<T: Config> =
		StorageMap<Pallet<T>, Twox64Concat, JobId, BoundedVec<u8, <T as Config>::MaxPromptLen>>;
}

/// v0 → v1: every job's raw prompt becomes a [`JobRequest::text`] (greedy, as v0 decoded it)
/// in [`Requests`]. The jobs keep the `request_hash` they were submitted with (v0 hashed the
/// prompt's bytes), which is what their providers sign, so jobs in flight finish as before.
pub struct InnerMigrateV0ToV1<T>(PhantomData<T>);

impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV0ToV1<T> {
	fn on_runtime_upgrade() -> Weight {
		let mut moved = 0u64;
		for (job, prompt) in v0::Prompts::<T>::drain() {
			let encoded = JobRequest::text(prompt.into_inner()).encode();
			// A v0 prompt of at most `MaxPromptLen` bytes encodes within the v1 bound.
			let stored = BoundedVec::<u8, MaxRequestLenOf<T>>::truncate_from(encoded);
			Requests::<T>::insert(job, stored);
			moved = moved.saturating_add(1);
		}
		T::DbWeight::get().reads_writes(moved, moved.saturating_mul(2))
	}

	#[cfg(feature = "try-runtime")]
	fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, sp_runtime::TryRuntimeError> {
		Ok((v0::Prompts::<T>::iter_keys().count() as u64).encode())
	}

	#[cfg(feature = "try-runtime")]
	fn post_upgrade(state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
		use codec::Decode;
		let before = u64::decode(&mut &state[..]).map_err(|_| "bad pre_upgrade state")?;
		ensure!(Requests::<T>::iter_keys().count() as u64 == before, "requests were lost");
		Pallet::<T>::do_try_state()
	}
}

/// [`InnerMigrateV0ToV1`], run only when the pallet's on-chain storage version is 0.
pub type MigrateV0ToV1<T> = VersionedMigration<
	0,
	1,
	InnerMigrateV0ToV1<T>,
	Pallet<T>,
	<T as frame_system::Config>::DbWeight,
>;

#[cfg(test)]
mod tests {
	use super::*;
	use crate::{mock::*, Pallet as Jobs};
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade};

	#[test]
	fn v0_prompts_become_greedy_text_requests() {
		new_test_ext(|| {
			StorageVersion::new(0).put::<Jobs<Test>>();
			let prompt = BoundedVec::truncate_from(vec![b'a'; 64]);
			v0::Prompts::<Test>::insert(7, prompt);
			MigrateV0ToV1::<Test>::on_runtime_upgrade();
			assert_eq!(Jobs::<Test>::request(7), Some(JobRequest::text(vec![b'a'; 64])));
			assert_eq!(v0::Prompts::<Test>::iter().count(), 0);
			assert_eq!(Jobs::<Test>::on_chain_storage_version(), 1);
		});
	}
}
