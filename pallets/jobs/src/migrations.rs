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
	use super::v2::{OldAssignment as Assignment, OldMaxAssignments as MaxAssignmentsOf};
	use super::*;
	use crate::{BalanceOf, JobStatus};
	use frame_system::pallet_prelude::BlockNumberFor;
	use mosaic_primitives::{BasisPoints, ModelId, Receipt};
	use sp_core::H256;

	/// A v1 job: a v2 job without `protocol_fee`.
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
		MaxAssignmentsOf,
	>;
}

/// The v2 layout that v3 replaced: `k`-of-`n` redundancy decided by majority.
pub mod v2 {
	use super::*;
	use crate::{AssignmentState, BalanceOf, JobStatus};
	use frame_system::pallet_prelude::BlockNumberFor;
	use mosaic_primitives::{BasisPoints, ModelId, Receipt};
	use sp_core::H256;
	use sp_runtime::Permill;

	/// A v2 assignment: no role (every provider was an executor).
	#[derive(Clone, Encode, Decode, Debug, PartialEq, Eq)]
	pub struct OldAssignment<AccountId, Balance> {
		pub provider: AccountId,
		pub price: Balance,
		pub state: AssignmentState,
	}

	/// v2's bound of a job's assignments (`2 × MaxRedundancy + 1` with the runtime's 3).
	pub type OldMaxAssignments = ConstU32<7>;

	/// A v2 job.
	#[derive(Encode, Decode)]
	pub struct OldJob<AccountId, Balance, BlockNumber> {
		pub owner: AccountId,
		pub model: ModelId,
		pub model_hash: H256,
		pub creator: AccountId,
		pub royalty_bps: BasisPoints,
		pub protocol_fee: Permill,
		pub request_hash: H256,
		pub max_tokens: u32,
		pub bid: Balance,
		pub redundancy: u8,
		pub engine: H256,
		pub escrow: Balance,
		pub assignments: BoundedVec<OldAssignment<AccountId, Balance>, OldMaxAssignments>,
		pub tie_breaker_drawn: bool,
		pub reassigned: bool,
		pub deadline: BlockNumber,
		pub status: JobStatus,
		pub outcome: Option<(H256, u32)>,
		pub receipt: Option<Receipt<Balance>>,
	}

	/// A v2 job of this runtime.
	pub type OldJobOf<T> =
		OldJob<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;

	/// A v2 answer: no token ids.
	#[derive(Encode, Decode)]
	pub struct OldResult<AccountId, Signature, BlockNumber, MaxOutputLen: Get<u32>> {
		pub output: BoundedVec<u8, MaxOutputLen>,
		pub tokens: u32,
		pub signature: Signature,
		pub signer: AccountId,
		pub at: BlockNumber,
	}

	/// A v2 answer of this runtime.
	pub type OldResultOf<T> = OldResult<
		<T as frame_system::Config>::AccountId,
		<T as Config>::AttestationSignature,
		BlockNumberFor<T>,
		<T as Config>::MaxOutputLen,
	>;

	/// v2's jobs, read as v2 wrote them.
	#[storage_alias]
	pub type Jobs<T: Config> = StorageMap<Pallet<T>, Twox64Concat, JobId, OldJobOf<T>>;
}

/// v1 → v2: every job records the protocol fee it settles at. Jobs stored before v2 were
/// submitted under the fee now in force (the constant that v2's parameter replaced), so they
/// get [`Config::ProtocolFee`] as it reads during the upgrade.
pub struct InnerMigrateV1ToV2<T>(PhantomData<T>);

impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV1ToV2<T> {
	fn on_runtime_upgrade() -> Weight {
		let protocol_fee = T::ProtocolFee::get();
		let mut moved = 0u64;
		v2::Jobs::<T>::translate::<v1::OldJobOf<T>, _>(|_, old| {
			moved = moved.saturating_add(1);
			Some(v2::OldJobOf::<T> {
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
		ensure!(v2::Jobs::<T>::iter_values().count() as u64 == before, "jobs were lost");
		Ok(())
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

/// v2 → v3: one executor per job, audits instead of majorities, answers with token ids.
/// A job still open at the upgrade (waiting for answers under v2's majority rule) cannot be
/// decided under v3's: it is refunded in full and its providers released, unjudged. Closed
/// jobs keep their record; their providers become executors, their answers get no token ids
/// (they are never audited).
pub struct InnerMigrateV2ToV3<T>(PhantomData<T>);

impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV2ToV3<T> {
	fn on_runtime_upgrade() -> Weight {
		use crate::{Assignment, JobStatus, Results, Role, StoredResult};
		use frame_support::traits::{fungible::MutateHold, tokens::Precision};
		use mosaic_primitives::{JobOutcome, ProviderRegistry};
		let mut moved = 0u64;
		let mut refunded = 0u64;
		Jobs::<T>::translate::<v2::OldJobOf<T>, _>(|id, old| {
			moved = moved.saturating_add(1);
			let mut status = old.status;
			let mut escrow = old.escrow;
			if old.status == JobStatus::Pending {
				refunded = refunded.saturating_add(1);
				let _ = T::Currency::release(
					&crate::HoldReason::JobEscrow.into(),
					&old.owner,
					escrow,
					Precision::BestEffort,
				);
				escrow = Default::default();
				status = JobStatus::Refunded;
				for a in old.assignments.iter() {
					if a.state == crate::AssignmentState::Waiting {
						T::Providers::job_ended(&a.provider, JobOutcome::Released);
					}
				}
				v3::Deadlines::<T>::mutate_exists(old.deadline, |q| {
					if let Some(jobs) = q {
						jobs.retain(|j| *j != id);
						if jobs.is_empty() {
							*q = None;
						}
					}
				});
			}
			let assignments = old
				.assignments
				.into_iter()
				.map(|a| Assignment {
					provider: a.provider,
					price: a.price,
					state: match a.state {
						crate::AssignmentState::Waiting => crate::AssignmentState::TimedOut,
						other => other,
					},
					role: Role::Executor,
				})
				.collect::<alloc::vec::Vec<_>>();
			Some(JobOf::<T> {
				owner: old.owner,
				model: old.model,
				model_hash: old.model_hash,
				creator: old.creator,
				royalty_bps: old.royalty_bps,
				protocol_fee: old.protocol_fee,
				request_hash: old.request_hash,
				max_tokens: old.max_tokens,
				bid: old.bid,
				sampled: false,
				engine: old.engine,
				escrow,
				assignments: BoundedVec::truncate_from(assignments),
				reassigned: old.reassigned,
				committee_drawn: false,
				deadline: old.deadline,
				status,
				outcome: old.outcome,
				receipt: old.receipt,
			})
		});
		Results::<T>::translate::<v2::OldResultOf<T>, _>(|_, _, old| {
			moved = moved.saturating_add(1);
			Some(StoredResult {
				output: old.output,
				tokens: old.tokens,
				token_ids: BoundedVec::new(),
				signature: old.signature,
				signer: old.signer,
				at: old.at,
			})
		});
		let writes = moved.saturating_add(refunded.saturating_mul(4));
		T::DbWeight::get().reads_writes(moved.saturating_add(refunded.saturating_mul(3)), writes)
	}

	#[cfg(feature = "try-runtime")]
	fn post_upgrade(_: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
		Pallet::<T>::do_try_state()
	}
}

/// [`InnerMigrateV2ToV3`], run only when the pallet's on-chain storage version is 2.
pub type MigrateV2ToV3<T> = VersionedMigration<
	2,
	3,
	InnerMigrateV2ToV3<T>,
	Pallet<T>,
	<T as frame_system::Config>::DbWeight,
>;

/// The v3 deadline queue that v4 replaced: at most `MaxJobsPerBlock` jobs per block.
pub mod v3 {
	use super::*;
	use frame_system::pallet_prelude::BlockNumberFor;

	/// Jobs due at a block, as one list (bounded by `MaxJobsPerBlock` when written).
	#[storage_alias]
	pub type Deadlines<T: Config> =
		StorageMap<Pallet<T>, Twox64Concat, BlockNumberFor<T>, alloc::vec::Vec<JobId>>;
}

/// v3 → v4: the deadline queue becomes one entry per `(block, job)`, with no bound per
/// block, and processing resumes at the current block ([`crate::DueFrom`]): v3 took each
/// block's list as it came, so nothing before it is left.
pub struct InnerMigrateV3ToV4<T>(PhantomData<T>);

impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV3ToV4<T> {
	fn on_runtime_upgrade() -> Weight {
		let old: alloc::vec::Vec<_> = v3::Deadlines::<T>::drain().collect();
		let mut moved = 0u64;
		for (at, jobs) in old.iter() {
			for job in jobs {
				crate::Deadlines::<T>::insert(at, job, ());
				moved = moved.saturating_add(1);
			}
		}
		crate::DueFrom::<T>::put(frame_system::Pallet::<T>::block_number());
		let lists = old.len() as u64;
		T::DbWeight::get().reads_writes(lists, lists.saturating_add(moved).saturating_add(1))
	}

	#[cfg(feature = "try-runtime")]
	fn post_upgrade(_: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
		Pallet::<T>::do_try_state()
	}
}

/// [`InnerMigrateV3ToV4`], run only when the pallet's on-chain storage version is 3.
pub type MigrateV3ToV4<T> = VersionedMigration<
	3,
	4,
	InnerMigrateV3ToV4<T>,
	Pallet<T>,
	<T as frame_system::Config>::DbWeight,
>;

#[cfg(test)]
mod tests {
	use super::*;
	use crate::{mock::*, JobOf, Pallet as Jobs};
	use frame_support::assert_ok;
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

	/// A job of the current layout as v2 stored it (one executor, v2's fields).
	fn as_v2(job: &JobOf<Test>) -> v2::OldJobOf<Test> {
		v2::OldJob {
			owner: job.owner.clone(),
			model: job.model,
			model_hash: job.model_hash,
			creator: job.creator.clone(),
			royalty_bps: job.royalty_bps,
			protocol_fee: job.protocol_fee,
			request_hash: job.request_hash,
			max_tokens: job.max_tokens,
			bid: job.bid,
			redundancy: 1,
			engine: job.engine,
			escrow: job.escrow,
			assignments: BoundedVec::truncate_from(
				job.assignments
					.iter()
					.map(|a| v2::OldAssignment {
						provider: a.provider.clone(),
						price: a.price,
						state: a.state,
					})
					.collect::<Vec<_>>(),
			),
			tie_breaker_drawn: false,
			reassigned: job.reassigned,
			deadline: job.deadline,
			status: job.status,
			outcome: job.outcome,
			receipt: job.receipt.clone(),
		}
	}

	#[test]
	fn v1_jobs_get_the_protocol_fee_in_force() {
		new_test_ext(|| {
			let model = crate::tests::market(1);
			let id = crate::tests::submit(USER, model, 10, 5).unwrap();
			let v2 = as_v2(&crate::Jobs::<Test>::get(id).unwrap());
			// Store it as v1 encoded it: every field but the fee, in order.
			let old = v1::OldJobOf::<Test> {
				owner: v2.owner.clone(),
				model: v2.model,
				model_hash: v2.model_hash,
				creator: v2.creator.clone(),
				royalty_bps: v2.royalty_bps,
				request_hash: v2.request_hash,
				max_tokens: v2.max_tokens,
				bid: v2.bid,
				redundancy: v2.redundancy,
				engine: v2.engine,
				escrow: v2.escrow,
				assignments: v2.assignments.clone(),
				tie_breaker_drawn: v2.tie_breaker_drawn,
				reassigned: v2.reassigned,
				deadline: v2.deadline,
				status: v2.status,
				outcome: v2.outcome,
				receipt: v2.receipt.clone(),
			};
			frame_support::storage::unhashed::put_raw(
				&crate::Jobs::<Test>::hashed_key_for(id),
				&old.encode(),
			);
			StorageVersion::new(1).put::<Jobs<Test>>();
			MigrateV1ToV2::<Test>::on_runtime_upgrade();
			let migrated = v2::Jobs::<Test>::get(id).expect("decodes as v2");
			assert_eq!(migrated.encode(), v2.encode());
			assert_eq!(migrated.protocol_fee, ProtocolFee::get());
			assert_eq!(Jobs::<Test>::on_chain_storage_version(), 2);
			// Back to the current layout, so the invariants hold at the end of the test.
			as_v3_queue();
			MigrateV2ToV3::<Test>::on_runtime_upgrade();
			MigrateV3ToV4::<Test>::on_runtime_upgrade();
		});
	}

	/// Rewrites the deadline queue in the v3 layout (one list per block).
	fn as_v3_queue() {
		let entries: alloc::vec::Vec<_> = crate::Deadlines::<Test>::drain().collect();
		for (at, job, ()) in entries {
			let mut jobs = v3::Deadlines::<Test>::get(at).unwrap_or_default();
			jobs.push(job);
			v3::Deadlines::<Test>::insert(at, jobs);
		}
	}

	/// v3 queued at most `MaxJobsPerBlock` jobs a block, spilling into later blocks; v4 keeps
	/// every job at its deadline and resumes processing at the upgrade's block.
	#[test]
	fn v3_deadline_lists_become_one_entry_per_job() {
		new_test_ext(|| {
			let model = crate::tests::register_model(0);
			for n in 0..3 {
				crate::tests::add_provider(n, model);
			}
			let jobs: alloc::vec::Vec<JobId> =
				(0..6).map(|_| crate::tests::submit(USER, model, 1, 5).unwrap()).collect();
			as_v3_queue();
			let due = 1 + TIMEOUT;
			assert_eq!(v3::Deadlines::<Test>::get(due).map(|l| l.len()), Some(6));
			run_to_block(3);
			StorageVersion::new(3).put::<Jobs<Test>>();
			MigrateV3ToV4::<Test>::on_runtime_upgrade();
			assert_eq!(Jobs::<Test>::on_chain_storage_version(), 4);
			// (The v3 list's key; iterating the v3 layout would misread the v4 entries.)
			assert!(!v3::Deadlines::<Test>::contains_key(due));
			assert_eq!(Jobs::<Test>::due_at(due), jobs);
			assert_eq!(crate::DueFrom::<Test>::get(), 3);
			Jobs::<Test>::do_try_state().unwrap();
			// And they are decided when due, as before.
			run_to_block(due + 1);
			assert!(Jobs::<Test>::due_at(due).is_empty());
		});
	}

	#[test]
	fn v2_jobs_in_flight_are_refunded_and_closed_ones_kept() {
		use frame_support::traits::fungible::InspectHold;
		new_test_ext(|| {
			let model = crate::tests::market(2);
			let open = crate::tests::submit(USER, model, 10, 5).unwrap();
			let closed = crate::tests::submit(USER, model, 10, 5).unwrap();
			let e = crate::tests::executor(closed);
			assert_ok!(crate::tests::answer(e, closed, b"done", 2));
			let settled = crate::Jobs::<Test>::get(closed).unwrap();
			assert_eq!(settled.status, crate::JobStatus::Settled);
			let held = |who: &AccountId| {
				<Test as crate::Config>::Currency::balance_on_hold(
					&crate::HoldReason::JobEscrow.into(),
					who,
				)
			};
			assert_eq!(held(&account(USER)), 50);
			for id in [open, closed] {
				let job = crate::Jobs::<Test>::get(id).unwrap();
				frame_support::storage::unhashed::put_raw(
					&crate::Jobs::<Test>::hashed_key_for(id),
					&as_v2(&job).encode(),
				);
			}
			// And its answer as v2 stored it: no token ids.
			let result = crate::Results::<Test>::get(closed, provider(e)).unwrap();
			let old = v2::OldResult::<_, _, _, <Test as crate::Config>::MaxOutputLen> {
				output: result.output.clone(),
				tokens: result.tokens,
				signature: result.signature.clone(),
				signer: result.signer.clone(),
				at: result.at,
			};
			frame_support::storage::unhashed::put_raw(
				&crate::Results::<Test>::hashed_key_for(closed, provider(e)),
				&old.encode(),
			);
			// And the deadline queue as v2 and v3 stored it.
			as_v3_queue();
			StorageVersion::new(2).put::<Jobs<Test>>();
			MigrateV2ToV3::<Test>::on_runtime_upgrade();
			assert_eq!(Jobs::<Test>::on_chain_storage_version(), 3);
			MigrateV3ToV4::<Test>::on_runtime_upgrade();
			assert_eq!(Jobs::<Test>::on_chain_storage_version(), 4);
			assert!(
				crate::Deadlines::<Test>::iter().next().is_none(),
				"the refunded job left the queue"
			);
			let refunded = crate::Jobs::<Test>::get(open).expect("decodes as v3");
			assert_eq!((refunded.status, refunded.escrow), (crate::JobStatus::Refunded, 0));
			assert_eq!(held(&account(USER)), 0, "the escrow in flight was released");
			let kept = crate::Jobs::<Test>::get(closed).expect("decodes as v3");
			assert_eq!(kept.encode(), settled.encode());
			let migrated = crate::Results::<Test>::get(closed, provider(e)).expect("decodes as v3");
			assert_eq!((migrated.output, migrated.tokens), (result.output, result.tokens));
			assert!(migrated.token_ids.is_empty());
		});
	}
}
