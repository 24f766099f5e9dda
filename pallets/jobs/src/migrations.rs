//! Storage migrations of the jobs pallet.
//!
//! Only the migration from the version before the current one is kept: the earlier ones
//! (v0 → v4) ran on every chain that had that data, and no chain starts below v4 any more
//! (they are in the history before commit `dd10345`).

use crate::{
	pallet::MAX_ASSIGNMENTS, Answer, Config, Deadlines, Job, Jobs, Pallet, Requests, Results,
};
use frame_support::{
	migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
	weights::Weight,
};
use sp_runtime::traits::{One, Saturating, Zero};

/// The v4 layout that v5 replaced.
pub mod v4 {
	use super::*;
	use crate::{pallet::MaxAssignmentsOf, Assignment, JobStatus};
	use frame_support::{storage_alias, BoundedVec};
	use mosaic_primitives::{BasisPoints, JobId, ModelId, Receipt};
	use sp_core::H256;
	use sp_runtime::Permill;

	/// A job as v4 stored it: no deposit, no submission block, an answer without its block.
	#[derive(Clone, Encode, Decode, MaxEncodedLen, TypeInfo, Debug, PartialEq, Eq)]
	#[scale_info(skip_type_params(MaxAssignments))]
	pub struct OldJob<AccountId, Balance, BlockNumber, MaxAssignments: Get<u32>> {
		pub owner: AccountId,
		pub model: ModelId,
		pub model_hash: H256,
		pub creator: AccountId,
		pub royalty_bps: BasisPoints,
		pub protocol_fee: Permill,
		pub request_hash: H256,
		pub max_tokens: u32,
		pub bid: Balance,
		pub sampled: bool,
		pub engine: H256,
		pub escrow: Balance,
		pub assignments: BoundedVec<Assignment<AccountId, Balance>, MaxAssignments>,
		pub reassigned: bool,
		pub committee_drawn: bool,
		pub deadline: BlockNumber,
		pub status: JobStatus,
		pub outcome: Option<(H256, u32)>,
		pub receipt: Option<Receipt<Balance>>,
	}

	/// A v4 job of runtime `T`.
	pub type OldJobOf<T> = OldJob<
		<T as frame_system::Config>::AccountId,
		crate::BalanceOf<T>,
		frame_system::pallet_prelude::BlockNumberFor<T>,
		MaxAssignmentsOf<T>,
	>;

	/// The v4 jobs map.
	#[storage_alias]
	pub type Jobs<T: Config> = StorageMap<Pallet<T>, Twox64Concat, JobId, OldJobOf<T>>;
}

/// v4 → v5: jobs record their deposit (none for jobs from before: nothing was held), the
/// block of their submission (unknown before: 0) and the block of their answer (from the
/// stored answer). Closed jobs drop their request and answer, as jobs closing from now on
/// do, and are queued for pruning `ReceiptRetention` blocks from the upgrade.
///
/// One pass over every job: fine for the chains that exist (dev and test networks); a chain
/// with millions of jobs would run it as a multi-block migration.
pub struct InnerMigrateV4ToV5<T>(PhantomData<T>);

impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV4ToV5<T> {
	fn on_runtime_upgrade() -> Weight {
		let now = frame_system::Pallet::<T>::block_number();
		let prune_at = now.saturating_add(T::ReceiptRetention::get().max(One::one()));
		let mut jobs = 0u64;
		let mut closed = 0u64;
		Jobs::<T>::translate::<v4::OldJobOf<T>, _>(|id, old| {
			jobs = jobs.saturating_add(1);
			let answered_at = Results::<T>::iter_prefix(id).next().map(|(_, r)| r.at);
			let open = old.status.is_open();
			let deadline = if open {
				old.deadline
			} else {
				closed = closed.saturating_add(1);
				Requests::<T>::remove(id);
				let _ = Results::<T>::clear_prefix(id, MAX_ASSIGNMENTS, None);
				Deadlines::<T>::insert(prune_at, id, ());
				prune_at
			};
			Some(Job {
				owner: old.owner,
				model: old.model,
				model_hash: old.model_hash,
				creator: old.creator,
				royalty_bps: old.royalty_bps,
				protocol_fee: old.protocol_fee,
				request_hash: old.request_hash,
				max_tokens: old.max_tokens,
				bid: old.bid,
				sampled: old.sampled,
				engine: old.engine,
				escrow: old.escrow,
				deposit: Zero::zero(),
				submitted_at: Zero::zero(),
				assignments: old.assignments,
				reassigned: old.reassigned,
				committee_drawn: old.committee_drawn,
				deadline,
				status: old.status,
				outcome: old.outcome.map(|(output_hash, tokens)| Answer {
					output_hash,
					tokens,
					at: answered_at.unwrap_or_default(),
				}),
				receipt: old.receipt,
			})
		});
		// Per job: the job and its answer read, the job written; per closed job: its request,
		// answers and queue entry written.
		T::DbWeight::get()
			.reads_writes(jobs.saturating_mul(2), jobs.saturating_add(closed.saturating_mul(3)))
	}

	#[cfg(feature = "try-runtime")]
	fn post_upgrade(_: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
		Pallet::<T>::do_try_state()
	}
}

/// [`InnerMigrateV4ToV5`], run only when the pallet's on-chain storage version is 4.
pub type MigrateV4ToV5<T> = VersionedMigration<
	4,
	5,
	InnerMigrateV4ToV5<T>,
	Pallet<T>,
	<T as frame_system::Config>::DbWeight,
>;

#[cfg(test)]
mod tests {
	use super::*;
	use crate::{mock::*, JobOf, JobStatus, Pallet as JobsPallet};
	use codec::Encode;
	use frame_support::assert_ok;
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade};

	/// A job of the current layout as v4 stored it.
	fn as_v4(job: &JobOf<Test>) -> v4::OldJobOf<Test> {
		v4::OldJob {
			owner: job.owner.clone(),
			model: job.model,
			model_hash: job.model_hash,
			creator: job.creator.clone(),
			royalty_bps: job.royalty_bps,
			protocol_fee: job.protocol_fee,
			request_hash: job.request_hash,
			max_tokens: job.max_tokens,
			bid: job.bid,
			sampled: job.sampled,
			engine: job.engine,
			escrow: job.escrow,
			assignments: job.assignments.clone(),
			reassigned: job.reassigned,
			committee_drawn: job.committee_drawn,
			deadline: job.deadline,
			status: job.status,
			outcome: job.outcome.map(|a| (a.output_hash, a.tokens)),
			receipt: job.receipt.clone(),
		}
	}

	/// v4 kept a closed job's request and answer, unqueued, for ever; v5 drops the bytes and
	/// queues the record for pruning. Open jobs keep everything and their deadline.
	#[test]
	fn v4_jobs_get_their_answer_block_and_closed_ones_lose_their_bytes() {
		new_test_ext(|| {
			let model = crate::tests::market(2);
			let open = crate::tests::submit(USER, model, 10, 5).unwrap();
			let answered = crate::tests::submit(USER, model, 10, 5).unwrap();
			let closed = crate::tests::submit(USER, model, 10, 5).unwrap();
			let ea = crate::tests::executor(answered);
			let ec = crate::tests::executor(closed);
			assert_ok!(crate::tests::submit_answer(ec, closed, b"done", 2));
			// The closed job's bytes as v4 kept them (v5 drops them when it closes).
			let request = Requests::<Test>::get(closed).unwrap();
			let result = Results::<Test>::get(closed, provider(ec)).unwrap();
			crate::tests::close_window(closed);
			// Another job in its challenge window at the upgrade.
			assert_ok!(crate::tests::submit_answer(ea, answered, b"in its window", 2));
			let settled = crate::Jobs::<Test>::get(closed).unwrap();
			assert_eq!(settled.status, JobStatus::Settled);
			Deadlines::<Test>::remove(settled.deadline, closed);
			Requests::<Test>::insert(closed, request);
			Results::<Test>::insert(closed, provider(ec), result.clone());
			let before: alloc::vec::Vec<_> = [open, answered, closed]
				.iter()
				.map(|id| crate::Jobs::<Test>::get(id).unwrap())
				.collect();
			for (id, job) in [open, answered, closed].iter().zip(&before) {
				frame_support::storage::unhashed::put_raw(
					&crate::Jobs::<Test>::hashed_key_for(id),
					&as_v4(job).encode(),
				);
			}
			StorageVersion::new(4).put::<JobsPallet<Test>>();
			run_to_block(System::block_number() + 1);
			let now = System::block_number();
			MigrateV4ToV5::<Test>::on_runtime_upgrade();
			assert_eq!(JobsPallet::<Test>::on_chain_storage_version(), 5);

			let migrated = |id| crate::Jobs::<Test>::get(id).expect("decodes as v5");
			let o = migrated(open);
			assert_eq!((o.deposit, o.submitted_at, o.deadline), (0, 0, before[0].deadline));
			assert!(Requests::<Test>::contains_key(open));
			let a = migrated(answered);
			assert_eq!(
				a.outcome.unwrap().at,
				Results::<Test>::get(answered, provider(ea)).unwrap().at
			);
			assert_eq!(a.status, JobStatus::Challenge);
			let c = migrated(closed);
			assert_eq!(c.outcome.unwrap().at, result.at, "the answer's block from the answer");
			assert_eq!(c.deadline, now + ReceiptRetention::get());
			assert!(!Requests::<Test>::contains_key(closed));
			assert!(Results::<Test>::iter_prefix(closed).next().is_none());
			assert_eq!(c.receipt, settled.receipt);
			JobsPallet::<Test>::do_try_state().unwrap();
			// And the closed record goes when its time comes.
			run_to_block(c.deadline);
			assert!(crate::Jobs::<Test>::get(closed).is_none());
		});
	}
}
