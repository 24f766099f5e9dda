//! Storage migrations of the providers pallet. Earlier ones (v0 → v1) are in the history
//! before the draw index: every network now running started at v1 or later.

use crate::{Config, Pallet, Providers};
use alloc::vec::Vec;
use frame_support::{
	migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
	weights::Weight,
};
use mosaic_primitives::ModelId;

/// The v1 layout that v2 replaced.
pub mod v1 {
	use super::*;

	/// v1: the providers serving each model, as one bounded list (at most 64 in the runtime).
	#[frame_support::storage_alias]
	pub type ModelProviders<T: Config> = StorageMap<
		Pallet<T>,
		Twox64Concat,
		ModelId,
		BoundedVec<<T as frame_system::Config>::AccountId, ConstU32<1_024>>,
	>;
}

/// v1 → v2: moves each model's list of providers ([`v1::ModelProviders`]) into the draw index
/// ([`crate::Slots`], [`crate::SlotOf`], [`crate::SlotCount`], [`crate::WeightTree`]), in the
/// list's order, each with its indexed weight (its bond while active, 0 while paused).
pub struct InnerMigrateV1ToV2<T>(PhantomData<T>);

impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV1ToV2<T> {
	fn on_runtime_upgrade() -> Weight {
		let lists: Vec<_> = v1::ModelProviders::<T>::drain().collect();
		let mut entries = 0u64;
		for (model, list) in &lists {
			for who in list.iter() {
				let weight =
					Providers::<T>::get(who).map(|p| Pallet::<T>::indexed_weight(&p)).unwrap_or(0);
				Pallet::<T>::add_slot(*model, who, weight);
				entries = entries.saturating_add(1);
			}
		}
		let models = lists.len() as u64;
		// Per provider: its record, and the slot maps, the count and the tree's four nodes.
		T::DbWeight::get().reads_writes(
			models.saturating_add(entries.saturating_mul(6)),
			models.saturating_add(entries.saturating_mul(7)),
		)
	}

	#[cfg(feature = "try-runtime")]
	fn pre_upgrade() -> Result<Vec<u8>, sp_runtime::TryRuntimeError> {
		use codec::Encode;
		let lists: Vec<(ModelId, u32)> =
			v1::ModelProviders::<T>::iter().map(|(m, l)| (m, l.len() as u32)).collect();
		Ok(lists.encode())
	}

	#[cfg(feature = "try-runtime")]
	fn post_upgrade(state: Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
		use crate::SlotCount;
		use codec::Decode;
		let before =
			Vec::<(ModelId, u32)>::decode(&mut &state[..]).map_err(|_| "bad pre_upgrade state")?;
		for (model, len) in before {
			ensure!(SlotCount::<T>::get(model) == len, "a model lost providers in the migration");
		}
		Pallet::<T>::do_try_state()
	}
}

/// [`InnerMigrateV1ToV2`], run only when the pallet's on-chain storage version is 1; sets it
/// to 2.
pub type MigrateV1ToV2<T> = VersionedMigration<
	1,
	2,
	InnerMigrateV1ToV2<T>,
	Pallet<T>,
	<T as frame_system::Config>::DbWeight,
>;
