//! Deadlines: timing out, reassignment, refunds for the missing part.

use super::*;
use crate::{AssignmentState, Event, JobStatus};

#[test]
fn an_absent_provider_is_slashed_and_replaced_once() {
	new_test_ext(|| {
		let model = market(2);
		let job = submit(USER, model, 10, 5).unwrap();
		let [first] = assigned(job)[..] else { panic!() };
		let (_, d) = diff(&[provider(first)], || run_to_block(1 + TIMEOUT));
		// 1 % of the bond.
		assert_eq!(d, vec![(0, 0, -(MIN_BOND as i128) / 100)]);
		System::assert_has_event(
			Event::ProviderTimedOut { job, provider: provider(first), slashed: MIN_BOND / 100 }
				.into(),
		);
		let j = JobsStorage::<Test>::get(job).unwrap();
		assert_eq!(j.status, JobStatus::Pending);
		assert!(j.reassigned);
		assert_eq!(j.assignments[0].state, AssignmentState::TimedOut);
		let [second] = waiting(job)[..] else { panic!("a replacement is waiting") };
		assert_ne!(first, second);
		assert_eq!(j.deadline, 1 + 2 * TIMEOUT);
		assert!(Jobs::due_at(1 + TIMEOUT).is_empty());
		// The replacement answers and is paid.
		assert_ok!(answer(second, job, b"late but fine", 2));
		assert_eq!(JobsStorage::<Test>::get(job).unwrap().status, JobStatus::Settled);
		let rep = pallet_mosaic_providers::Providers::<Test>::get(provider(first)).unwrap();
		assert_eq!((rep.reputation.timed_out, rep.active_jobs), (1, 0));
	});
}

#[test]
fn a_job_nobody_answers_is_refunded_in_full_after_the_reassignment() {
	new_test_ext(|| {
		let model = market(2);
		let job = submit(USER, model, 10, 5).unwrap();
		let (_, d) = diff(&[account(USER)], || run_to_block(1 + 2 * TIMEOUT));
		assert_eq!(d, vec![(50, -50, 0)]);
		let j = JobsStorage::<Test>::get(job).unwrap();
		assert_eq!((j.status, j.escrow), (JobStatus::Refunded, 0));
		System::assert_last_event(
			Event::JobRefunded { job, owner: account(USER), amount: 50 }.into(),
		);
		for n in 0..2 {
			let p = pallet_mosaic_providers::Providers::<Test>::get(provider(n)).unwrap();
			assert_eq!((p.reputation.timed_out, p.active_jobs), (1, 0));
		}
	});
}

#[test]
fn without_a_replacement_the_job_is_refunded_at_the_first_deadline() {
	new_test_ext(|| {
		let model = market(1);
		let job = submit(USER, model, 10, 5).unwrap();
		run_to_block(1 + TIMEOUT);
		assert_eq!(JobsStorage::<Test>::get(job).unwrap().status, JobStatus::Refunded);
		assert_eq!(funds(&account(USER)).escrow, 0);
	});
}

#[test]
fn a_result_before_the_deadline_unschedules_the_job() {
	new_test_ext(|| {
		let model = market(1);
		let job = submit(USER, model, 10, 5).unwrap();
		assert_ok!(answer(0, job, b"x", 1));
		assert!(Jobs::due_at(1 + TIMEOUT).is_empty());
		run_to_block(1 + 3 * TIMEOUT);
		assert_eq!(JobsStorage::<Test>::get(job).unwrap().status, JobStatus::Settled);
	});
}

#[test]
fn the_hook_charges_each_draw_it_makes_and_no_more() {
	use crate::weights::WeightInfo;
	use frame_support::traits::Hooks;
	new_test_ext(|| {
		let model = market(2);
		// A job whose executor is absent: its deadline replaces it, one draw.
		let absent = submit(USER, model, 10, 5).unwrap();
		let due = JobsStorage::<Test>::get(absent).unwrap().deadline;
		run_to_block(due - 1);
		System::set_block_number(due);
		let with_draw = Jobs::on_initialize(due);
		assert!(JobsStorage::<Test>::get(absent).unwrap().reassigned);
		// One block of the queue looked at; its resume point read and written.
		let queue = <<Test as frame_system::Config>::DbWeight as frame_support::traits::Get<
			frame_support::weights::RuntimeDbWeight,
		>>::get()
		.reads_writes(2, 1);
		// The hook's base: its fixed part and the queue, with no job.
		let base = <() as WeightInfo>::on_initialize(0).saturating_add(queue);
		let one_job = <() as WeightInfo>::on_initialize(1).saturating_add(queue);
		// The replacement's draw read the window of the market's two slots.
		assert_eq!(with_draw, one_job.saturating_add(<() as WeightInfo>::draw(0, 2)));
		Jobs::on_finalize(due);
		assert_eq!(crate::PathWeight::<Test>::get(), Default::default());
		// A job answered, whose window closes without an audit: no draw, none charged.
		let answered = submit(USER, model, 10, 5).unwrap();
		assert_ok!(submit_answer(executor(answered), answered, b"fine", 2));
		let due = JobsStorage::<Test>::get(answered).unwrap().deadline;
		run_to_block(due - 1);
		System::set_block_number(due);
		let without = Jobs::on_initialize(due);
		assert_eq!(JobsStorage::<Test>::get(answered).unwrap().status, JobStatus::Settled);
		// It was settled as its window closed: charged the `close_window` benchmark's slope
		// (a settlement included), not a due open job of the heaviest kind and a settlement.
		let window_closed = base
			.saturating_add(Jobs::window_weight(1))
			.saturating_add(<() as WeightInfo>::settle(0));
		assert_eq!(without, window_closed);
		let slope =
			<() as WeightInfo>::close_window(1).saturating_sub(<() as WeightInfo>::close_window(0));
		// Never less than the benchmark measured, nor than a settlement.
		assert!(without.ref_time() >= base.ref_time() + slope.ref_time());
		assert!(without.ref_time() >= base.ref_time() + <() as WeightInfo>::settle(0).ref_time());
		assert!(
			without.ref_time() < one_job.saturating_add(<() as WeightInfo>::settle(0)).ref_time(),
			"a window closed costs less than a due open job and a settlement"
		);
		Jobs::on_finalize(due);
		// Its record is pruned a retention later: charged the pruning's slope, not a due job
		// of the heaviest open kind.
		let prune_at = JobsStorage::<Test>::get(answered).unwrap().deadline;
		run_to_block(prune_at - 1);
		assert_eq!(Jobs::due_at(prune_at), vec![answered]);
		System::set_block_number(prune_at);
		let pruning = Jobs::on_initialize(prune_at);
		assert!(JobsStorage::<Test>::get(answered).is_none(), "pruned");
		let weights = <() as WeightInfo>::prune_due(1)
			.saturating_sub(<() as WeightInfo>::prune_due(0))
			.saturating_add(base);
		assert_eq!(pruning, weights);
		assert!(
			pruning.ref_time() < one_job.ref_time(),
			"a pruning costs less than a due open job"
		);
	});
}

#[test]
fn the_hook_works_out_the_block_seed_once_and_reads_the_hot_keys_charged() {
	use crate::weights::WeightInfo;
	use frame_support::traits::{Get, Hooks};
	new_test_ext(|| {
		let db = <<Test as frame_system::Config>::DbWeight as Get<
			frame_support::weights::RuntimeDbWeight,
		>>::get();
		let empty = <() as WeightInfo>::on_initialize(0).saturating_add(db.reads_writes(2, 1));
		run_to_block(5);
		Jobs::on_finalize(5);
		System::set_block_number(6);
		assert_eq!(Jobs::on_initialize(6), empty);
		// The block's seed, kept for the block's draws: the same seed as worked out without it.
		let seed = crate::BlockSeed::<Test>::get().expect("set by the hook");
		assert_eq!(seed, Jobs::block_seed());
		let with = Jobs::seed(7, b"initial");
		crate::BlockSeed::<Test>::kill();
		assert_eq!(Jobs::seed(7, b"initial"), with);
		// Two hot keys: each read once a block, and charged.
		HotKeys::set(vec![b"hot one".to_vec(), b"hot two".to_vec()]);
		Jobs::on_finalize(6);
		assert_eq!(crate::BlockSeed::<Test>::get(), None, "cleared at the end of the block");
		System::set_block_number(7);
		assert_eq!(Jobs::on_initialize(7), empty.saturating_add(db.reads(2)));
		// A new block, a new seed.
		assert_ne!(crate::BlockSeed::<Test>::get(), Some(seed));
	});
}
