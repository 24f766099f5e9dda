//! Storage migrations of the jobs pallet.

use crate::{Config, JobOf, Jobs, MaxRequestLenOf, Pallet, Requests};
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

/// The v1 layout that v2 replaced.
pub mod v1 {
	use super::*;
	use crate::{Assignment, BalanceOf, JobStatus, MaxAssignmentsOf};
	use frame_system::pallet_prelude::BlockNumberFor;
	use mosaic_primitives::{BasisPoints, ModelId, Receipt};
	use sp_core::H256;

	/// A v1 job: a v2 [`Job`] without `protocol_fee`.
	#[derive(Encode, Decode)]
	pub struct OldJob<AccountId, Balance, BlockNumber, MaxAssignments: Get<u32>> {
		pub owner: AccountId,
		pub model: ModelId,
		pub model_hash: H256,
		pub creator: AccountId,
		pub royalty_bps: BasisPoints,
		pub request_hash: H256,
		pub max_tokens: u32,
		pub bid: Balance,
		pub redundancy: u8,
		pub engine: H256,
		pub escrow: Balance,
		pub assignments: BoundedVec<Assignment<AccountId, Balance>, MaxAssignments>,
		pub tie_breaker_drawn: bool,
		pub reassigned: bool,
		pub deadline: BlockNumber,
		pub status: JobStatus,
		pub outcome: Option<(H256, u32)>,
		pub receipt: Option<Receipt<Balance>>,
	}

	/// A v1 job of this runtime.
	pub type OldJobOf<T> = OldJob<
		<T as frame_system::Config>::AccountId,
		BalanceOf<T>,
		BlockNumberFor<T>,
		MaxAssignmentsOf<T>,
	>;
}

/// v1 → v2: every job records the protocol fee it settles at. Jobs stored before v2 were
/// submitted under the fee now in force (the constant that v2's parameter replaced), so they
/// get [`Config::ProtocolFee`] as it reads during the upgrade.
pub struct InnerMigrateV1ToV2<T>(PhantomData<T>);

impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV1ToV2<T> {
	fn on_runtime_upgrade() -> Weight {
		let protocol_fee = T::ProtocolFee::get();
		let mut moved = 0u64;
		Jobs::<T>::translate::<v1::OldJobOf<T>, _>(|_, old| {
			moved = moved.saturating_add(1);
			Some(JobOf::<T> {
				owner: old.owner,
				model: old.model,
				model_hash: old.model_hash,
				creator: old.creator,
				royalty_bps: old.royalty_bps,
				protocol_fee,
				request_hash: old.request_hash,
				max_tokens: old.max_tokens,
				bid: old.bid,
				redundancy: old.redundancy,
				engine: old.engine,
				escrow: old.escrow,
				assignments: old.assignments,
				tie_breaker_drawn: old.tie_breaker_drawn,
				reassigned: old.reassigned,
				deadline: old.deadline,
				status: old.status,
				outcome: old.outcome,
				receipt: old.receipt,
			})
		});
		T::DbWeight::get().reads_writes(moved.saturating_add(1), moved)
	}

	#[cfg(feature = "try-runtime")]
	fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, sp_runtime::TryRuntimeError> {
		Ok((Jobs::<T>::iter_keys().count() as u64).encode())
	}

	#[cfg(feature = "try-runtime")]
	fn post_upgrade(state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
		use codec::Decode;
		let before = u64::decode(&mut &state[..]).map_err(|_| "bad pre_upgrade state")?;
		ensure!(Jobs::<T>::iter_values().count() as u64 == before, "jobs were lost");
		Pallet::<T>::do_try_state()
	}
}

/// [`InnerMigrateV1ToV2`], run only when the pallet's on-chain storage version is 1.
pub type MigrateV1ToV2<T> = VersionedMigration<
	1,
	2,
	InnerMigrateV1ToV2<T>,
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

	#[test]
	fn v1_jobs_get_the_protocol_fee_in_force() {
		new_test_ext(|| {
			let model = crate::tests::market(1);
			let id = crate::tests::submit(USER, model, 10, 5, 1).unwrap();
			let job = crate::Jobs::<Test>::get(id).unwrap();
			// Store it as v1 encoded it: every field but the fee, in order.
			let old = v1::OldJobOf::<Test> {
				owner: job.owner.clone(),
				model: job.model,
				model_hash: job.model_hash,
				creator: job.creator.clone(),
				royalty_bps: job.royalty_bps,
				request_hash: job.request_hash,
				max_tokens: job.max_tokens,
				bid: job.bid,
				redundancy: job.redundancy,
				engine: job.engine,
				escrow: job.escrow,
				assignments: job.assignments.clone(),
				tie_breaker_drawn: job.tie_breaker_drawn,
				reassigned: job.reassigned,
				deadline: job.deadline,
				status: job.status,
				outcome: job.outcome,
				receipt: job.receipt.clone(),
			};
			frame_support::storage::unhashed::put_raw(
				&crate::Jobs::<Test>::hashed_key_for(id),
				&old.encode(),
			);
			assert!(crate::Jobs::<Test>::get(id).is_none(), "v1 bytes do not decode as v2");
			StorageVersion::new(1).put::<Jobs<Test>>();
			MigrateV1ToV2::<Test>::on_runtime_upgrade();
			let migrated = crate::Jobs::<Test>::get(id).expect("decodes as v2");
			assert_eq!(migrated.encode(), job.encode());
			assert_eq!(migrated.protocol_fee, ProtocolFee::get());
			assert_eq!(Jobs::<Test>::on_chain_storage_version(), 2);
		});
	}
}
