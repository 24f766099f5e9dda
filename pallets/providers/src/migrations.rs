//! Storage migrations of the providers pallet.

use crate::{
	pallet::{BalanceOf, ProviderOf},
	Config, Offers, Pallet, ProviderInfo, Providers, Reputation,
};
use codec::{Decode, Encode};
use frame_support::{
	migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
	weights::Weight,
};
use frame_system::pallet_prelude::BlockNumberFor;
use mosaic_primitives::ServingTerms;

/// The v0 layout of the records that v1 changed.
pub mod v0 {
	use super::*;

	/// v0 reputation: no `declined` counter.
	#[derive(Clone, Copy, Encode, Decode, Debug, PartialEq, Eq)]
	pub struct Reputation {
		pub completed: u32,
		pub timed_out: u32,
		pub outvoted: u32,
	}

	/// v0 provider record: as v1 but with the v0 reputation.
	pub type ProviderOf<T> = ProviderInfoV0<
		<T as frame_system::Config>::AccountId,
		BalanceOf<T>,
		BlockNumberFor<T>,
		<T as Config>::MaxUnbondingChunks,
		<T as Config>::MaxModelsPerProvider,
	>;

	/// v0 provider record.
	#[derive(Clone, Encode, Decode, Debug, PartialEq, Eq)]
	pub struct ProviderInfoV0<A, B, N, MaxChunks: Get<u32>, MaxModels: Get<u32>> {
		pub operator: A,
		pub profile: crate::HardwareProfile,
		pub ask: B,
		pub bond: B,
		pub unbonding: BoundedVec<crate::UnbondingChunk<B, N>, MaxChunks>,
		pub status: crate::ProviderStatus,
		pub serving: BoundedVec<mosaic_primitives::ModelId, MaxModels>,
		pub active_jobs: u32,
		pub reputation: Reputation,
	}
}

/// v0 → v1: adds [`Reputation::declined`] (zero) to every provider and gives every model a
/// provider serves the terms `Default` (v0 had none): conservative terms, so that nobody is
/// assigned a job its node cannot run before it declares its own with `serve_model`.
pub struct InnerMigrateV0ToV1<T, Default>(PhantomData<(T, Default)>);

impl<T: Config, Default: Get<ServingTerms>> UncheckedOnRuntimeUpgrade
	for InnerMigrateV0ToV1<T, Default>
{
	fn on_runtime_upgrade() -> Weight {
		let terms = Default::get();
		let mut records = 0u64;
		let mut offers = 0u64;
		Providers::<T>::translate::<v0::ProviderOf<T>, _>(|who, old| {
			records = records.saturating_add(1);
			for model in old.serving.iter() {
				Offers::<T>::insert(model, &who, terms);
				offers = offers.saturating_add(1);
			}
			let new: ProviderOf<T> = ProviderInfo {
				operator: old.operator,
				profile: old.profile,
				ask: old.ask,
				bond: old.bond,
				unbonding: old.unbonding,
				status: old.status,
				serving: old.serving,
				active_jobs: old.active_jobs,
				reputation: Reputation {
					completed: old.reputation.completed,
					timed_out: old.reputation.timed_out,
					outvoted: old.reputation.outvoted,
					declined: 0,
				},
			};
			Some(new)
		});
		T::DbWeight::get().reads_writes(records, records.saturating_add(offers))
	}

	#[cfg(feature = "try-runtime")]
	fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, sp_runtime::TryRuntimeError> {
		Ok((Providers::<T>::iter_keys().count() as u64).encode())
	}

	#[cfg(feature = "try-runtime")]
	fn post_upgrade(state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
		let before = u64::decode(&mut &state[..]).map_err(|_| "bad pre_upgrade state")?;
		ensure!(
			Providers::<T>::iter_keys().count() as u64 == before,
			"providers were lost in the migration"
		);
		Pallet::<T>::do_try_state()
	}
}

/// [`InnerMigrateV0ToV1`], run only when the pallet's on-chain storage version is 0; sets it
/// to 1.
pub type MigrateV0ToV1<T, Default> = VersionedMigration<
	0,
	1,
	InnerMigrateV0ToV1<T, Default>,
	Pallet<T>,
	<T as frame_system::Config>::DbWeight,
>;
