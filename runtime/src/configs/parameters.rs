//! The marketplace's economic parameters, under governance: each is a pallet-parameters
//! key with a default (used until governance sets it) and bounds that every change is
//! checked against. Change one with `Governance::set_parameter` from the parameter track
//! (or Root); pallet-parameters' own call accepts no other origin, so no change skips the
//! bounds.
//!
//! Each bound below is written once, here, with the parameter it bounds. The timing ranges
//! do not overlap (`MinJobTimeout` < `JobTimeout` < `UnbondingPeriod` whatever is chosen), so
//! a slash for a late job can always reach funds that are unbonding.

use crate::{Balance, BlockNumber, Runtime, DAYS, HOURS, MICRO_MOS, MILLI_MOS, MINUTES, MOS};
use frame_support::dynamic_params::{dynamic_pallet_params, dynamic_params};
use sp_runtime::{Perbill, Permill};

#[dynamic_params(RuntimeParameters, pallet_parameters::Parameters::<Runtime>)]
pub mod dynamic_params {
	use super::*;

	/// The economics of models, providers, jobs and settlement.
	#[dynamic_pallet_params]
	#[codec(index = 0)]
	pub mod marketplace {
		/// Least bond of a provider that gets jobs. Bounds: 1 MOS ..= 10,000,000 MOS.
		#[codec(index = 0)]
		pub static MinProviderBond: Balance = 1_000 * MOS;
		/// Blocks before unbonded funds can be withdrawn. Bounds: 1 day ..= 28 days.
		#[codec(index = 1)]
		pub static UnbondingPeriod: BlockNumber = 7 * DAYS;
		/// Held from a model's creator while it is registered (models keep the deposit
		/// they paid). Bounds: 1 mMOS ..= 100,000 MOS.
		#[codec(index = 2)]
		pub static ModelRegistrationDeposit: Balance = 10 * MOS;
		/// Highest royalty a model may ask, in basis points (binds new registrations and
		/// royalty changes). Bounds: 0 ..= 5,000 (50 %).
		#[codec(index = 3)]
		pub static MaxRoyaltyBps: u16 = 2_000;
		/// The treasury's share of each provider payment (jobs keep the rate they were
		/// submitted with). Bounds: 0 ..= 50 %.
		#[codec(index = 4)]
		pub static ProtocolFee: Permill = Permill::from_percent(5);
		/// The longest any job may be given to be answered. Bounds: 2 minutes ..= 1 hour.
		#[codec(index = 5)]
		pub static JobTimeout: BlockNumber = 10 * MINUTES;
		/// Blocks every job gets besides its decoding time. Bounds: 4 ..= 10 blocks.
		#[codec(index = 6)]
		pub static MinJobTimeout: u32 = 4;
		/// Share of its stake an absent provider loses. Bounds: 0 ..= 10 %.
		#[codec(index = 7)]
		pub static AbsentSlash: Perbill = Perbill::from_percent(1);
		/// Share of its stake an auditor contradicted by the audits' majority loses.
		/// Bounds: 0 ..= 50 %.
		#[codec(index = 8)]
		pub static OutvotedSlash: Perbill = Perbill::from_percent(10);
		/// A reporter's share of a slash (the auditor that found a confirmed fraud).
		/// Bounds: 0 ..= 50 %.
		#[codec(index = 9)]
		pub static ReporterShare: Perbill = Perbill::from_percent(10);
		/// The chance that an answer is audited. Bounds: 0 ..= 100 %.
		#[codec(index = 10)]
		pub static AuditChance: Perbill = Perbill::from_percent(5);
		/// The chance that an answer of a provider with fewer than 20 completed jobs is
		/// audited. Bounds: 0 ..= 100 %.
		#[codec(index = 11)]
		pub static NewcomerAuditChance: Perbill = Perbill::from_percent(25);
		/// Share of its stake an executor loses when audits confirm its answer was
		/// fraudulent. Bounds: 10 % ..= 100 %.
		#[codec(index = 12)]
		pub static FraudSlash: Perbill = Perbill::from_percent(50);
		/// Held from a job's owner besides the per-byte deposit until the job's record is
		/// pruned (jobs keep the deposit they paid). Bounds: 0 ..= 10 MOS.
		#[codec(index = 13)]
		pub static JobDepositBase: Balance = MILLI_MOS;
		/// Held from a job's owner per byte of the most state the job can take (its record,
		/// request and answer), until the record is pruned. Bounds: 0 ..= 1 mMOS.
		#[codec(index = 14)]
		pub static JobDepositPerByte: Balance = MICRO_MOS / 10;
	}
}

pub use dynamic_params::marketplace;

/// The storage keys of the parameters every job submission reads (its draw, deadline, escrow,
/// deposit and fee): the jobs pallet's `HotKeys`. Its hook reads them at the start of every
/// block, charged, so that a block's submissions read them from the cache; the benchmarks
/// whitelist them (`apis.rs`).
pub struct SubmissionParameterKeys;
impl frame_support::traits::Get<alloc::vec::Vec<alloc::vec::Vec<u8>>> for SubmissionParameterKeys {
	fn get() -> alloc::vec::Vec<alloc::vec::Vec<u8>> {
		use marketplace::{ParametersKey as K, *};
		[
			K::MinProviderBond(MinProviderBond),
			K::JobTimeout(JobTimeout),
			K::MinJobTimeout(MinJobTimeout),
			K::ProtocolFee(ProtocolFee),
			K::JobDepositBase(JobDepositBase),
			K::JobDepositPerByte(JobDepositPerByte),
		]
		.into_iter()
		.map(|key| {
			pallet_parameters::Parameters::<Runtime>::hashed_key_for(
				RuntimeParametersKey::Marketplace(key),
			)
		})
		.collect()
	}
}

/// Why a value was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum BoundsError {
	/// Below the least allowed value.
	BelowMinimum,
	/// Above the greatest allowed value.
	AboveMaximum,
}

fn within<T: PartialOrd>(value: &T, min: T, max: T) -> Result<(), BoundsError> {
	if *value < min {
		Err(BoundsError::BelowMinimum)
	} else if *value > max {
		Err(BoundsError::AboveMaximum)
	} else {
		Ok(())
	}
}

/// Checks a new value against its parameter's bounds. `None` (back to the default) is always
/// allowed: every default is within its bounds (tested).
pub fn check_bounds(p: &RuntimeParameters) -> Result<(), BoundsError> {
	use marketplace::Parameters as P;
	let RuntimeParameters::Marketplace(p) = p;
	match p {
		P::MinProviderBond(_, Some(v)) => within(v, MOS, 10_000_000 * MOS),
		P::UnbondingPeriod(_, Some(v)) => within(v, DAYS, 28 * DAYS),
		P::ModelRegistrationDeposit(_, Some(v)) => within(v, MILLI_MOS, 100_000 * MOS),
		P::MaxRoyaltyBps(_, Some(v)) => within(v, 0, 5_000),
		P::ProtocolFee(_, Some(v)) => within(v, Permill::zero(), Permill::from_percent(50)),
		P::JobTimeout(_, Some(v)) => within(v, 2 * MINUTES, HOURS),
		// At least 4: a worker starts a job in the block that assigned it and its answer must land
		// by the deadline's block less one, with the pool checking against the next block.
		P::MinJobTimeout(_, Some(v)) => within(v, 4, 10),
		P::AbsentSlash(_, Some(v)) => within(v, Perbill::zero(), Perbill::from_percent(10)),
		// Above zero: a fraud report the majority contradicts loses it (its challenge bond).
		P::OutvotedSlash(_, Some(v)) => {
			within(v, Perbill::from_perthousand(1), Perbill::from_percent(50))
		}
		P::ReporterShare(_, Some(v)) => within(v, Perbill::zero(), Perbill::from_percent(50)),
		P::AuditChance(_, Some(v)) | P::NewcomerAuditChance(_, Some(v)) => {
			within(v, Perbill::zero(), Perbill::one())
		}
		P::FraudSlash(_, Some(v)) => within(v, Perbill::from_percent(10), Perbill::one()),
		// Above zero: stored jobs are paid for.
		P::JobDepositBase(_, Some(v)) => within(v, MICRO_MOS, 10 * MOS),
		P::JobDepositPerByte(_, Some(v)) => within(v, 1, MILLI_MOS),
		_ => Ok(()),
	}
}

#[cfg(feature = "runtime-benchmarks")]
impl Default for RuntimeParameters {
	fn default() -> Self {
		RuntimeParameters::Marketplace(marketplace::Parameters::ProtocolFee(
			marketplace::ProtocolFee,
			Some(Permill::from_percent(5)),
		))
	}
}
