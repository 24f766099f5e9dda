//! Storage migrations of the jobs pallet.
//!
//! Only the migration from the version before the current one is kept: the earlier ones
//! (v0 → v5) ran on every chain that had that data, and no chain starts below v5 any more
//! (they are in the history before commit `b7441db`).

use crate::{Config, NextJobId, OneHoldFrom, Pallet};
use frame_support::{
	migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
	weights::Weight,
};

/// v5 → v6: a job's escrow and deposit are one hold under `HoldReason::Job` (index 0, where
/// v5 held the escrow). The deposits v5 held on their own (index 1) stay there until their
/// jobs are pruned: the migration only records where the new jobs begin
/// ([`OneHoldFrom`]), so it moves no money and takes one read and one write whatever the
/// number of jobs.
pub struct InnerMigrateV5ToV6<T>(PhantomData<T>);

impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV5ToV6<T> {
	fn on_runtime_upgrade() -> Weight {
		OneHoldFrom::<T>::put(NextJobId::<T>::get());
		T::DbWeight::get().reads_writes(1, 1)
	}

	#[cfg(feature = "try-runtime")]
	fn post_upgrade(_: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
		Pallet::<T>::do_try_state()
	}
}

/// [`InnerMigrateV5ToV6`], run only when the pallet's on-chain storage version is 5.
pub type MigrateV5ToV6<T> = VersionedMigration<
	5,
	6,
	InnerMigrateV5ToV6<T>,
	Pallet<T>,
	<T as frame_system::Config>::DbWeight,
>;

#[cfg(test)]
mod tests {
	use super::*;
	use crate::{mock::*, HoldReason, Pallet as JobsPallet};
	use frame_support::traits::{
		fungible::{InspectHold, MutateHold},
		tokens::Precision,
		GetStorageVersion, OnRuntimeUpgrade,
	};

	fn held(reason: HoldReason) -> Balance {
		Balances::balance_on_hold(&reason.into(), &account(USER))
	}

	/// A job submitted under v5 keeps its deposit held apart until it is pruned; the jobs
	/// submitted after the upgrade hold escrow and deposit together.
	#[test]
	fn v5_deposits_stay_apart_until_pruned_and_new_jobs_hold_once() {
		new_test_ext(|| {
			DepositBase::set(7);
			DepositPerByte::set(1);
			let model = crate::tests::market(2);
			let old = crate::tests::submit(USER, model, 10, 5).unwrap();
			let deposit = crate::Jobs::<Test>::get(old).unwrap().deposit;
			// As v5 held it: the escrow under index 0, the deposit on its own under index 1.
			let user = account(USER);
			Balances::release(&HoldReason::Job.into(), &user, deposit, Precision::Exact).unwrap();
			Balances::hold(&HoldReason::JobDepositBeforeV6.into(), &user, deposit).unwrap();
			StorageVersion::new(5).put::<JobsPallet<Test>>();

			MigrateV5ToV6::<Test>::on_runtime_upgrade();
			assert_eq!(JobsPallet::<Test>::on_chain_storage_version(), 6);
			assert_eq!(OneHoldFrom::<Test>::get(), old + 1);
			JobsPallet::<Test>::do_try_state().unwrap();

			let new = crate::tests::submit(USER, model, 10, 5).unwrap();
			let new_deposit = crate::Jobs::<Test>::get(new).unwrap().deposit;
			assert_eq!(held(HoldReason::JobDepositBeforeV6), deposit);
			assert_eq!(held(HoldReason::Job), 2 * 50 + new_deposit, "two escrows, one deposit");
			JobsPallet::<Test>::do_try_state().unwrap();

			// Both answered, settled, and pruned: every hold returns from where it was made.
			for job in [old, new] {
				let e = crate::tests::executor(job);
				assert!(crate::tests::submit_answer(e, job, b"done", 2).is_ok());
				crate::tests::close_window(job);
			}
			assert_eq!(held(HoldReason::JobDepositBeforeV6), deposit, "held while stored");
			let last = crate::Jobs::<Test>::get(new).unwrap().deadline;
			run_to_block(last);
			assert!(
				crate::Jobs::<Test>::get(old).is_none() && crate::Jobs::<Test>::get(new).is_none()
			);
			assert_eq!((held(HoldReason::JobDepositBeforeV6), held(HoldReason::Job)), (0, 0));
		});
	}
}
