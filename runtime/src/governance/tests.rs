//! Governance on the real runtime, from the development genesis: bounds, origins, tracks and
//! whole referenda (run by driving the scheduler block by block).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::arithmetic_side_effects)]

use super::{
	pallet::{Error, GovernancePace, Origin, Pace},
	tracks::{self, Tracks, FAST_PERIODS},
};
use crate::{
	configs::parameters::{check_bounds, marketplace, BoundsError, RuntimeParameters},
	genesis_config_presets::tests::build,
	AccountId, Balance, Balances, BlockNumber, ConvictionVoting, Governance, OriginCaller,
	Parameters, Preimage, Referenda, Runtime, RuntimeCall, RuntimeOrigin, Scheduler, System,
	Treasury, MOS,
};
use frame_support::{
	assert_noop, assert_ok,
	traits::{
		fungible::{Inspect, Mutate},
		schedule::DispatchTime,
		Get, Hooks, StorePreimage,
	},
};
use pallet_conviction_voting::{AccountVote, Conviction, Vote};
use pallet_referenda::TracksInfo;
use sp_keyring::Sr25519Keyring;
use sp_runtime::{DispatchError, Perbill, Permill};

fn dev(test: impl FnOnce()) {
	build(sp_genesis_builder::DEV_RUNTIME_PRESET).execute_with(|| {
		System::set_block_number(1);
		test();
	});
}

fn who(k: Sr25519Keyring) -> AccountId {
	k.to_account_id()
}

fn signed(k: Sr25519Keyring) -> RuntimeOrigin {
	RuntimeOrigin::signed(who(k))
}

fn fee(v: Option<Permill>) -> RuntimeParameters {
	RuntimeParameters::Marketplace(marketplace::Parameters::ProtocolFee(
		marketplace::ProtocolFee,
		v,
	))
}

fn run_to(n: BlockNumber) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Scheduler::on_initialize(next);
	}
}

/// Submits `call` as a referendum of `origin`'s track, with Alice's decision deposit.
fn propose(call: RuntimeCall, origin: OriginCaller) -> u32 {
	let index = pallet_referenda::ReferendumCount::<Runtime>::get();
	let bounded = Preimage::bound(call).unwrap();
	assert_ok!(Referenda::submit(
		signed(Sr25519Keyring::Alice),
		Box::new(origin),
		bounded,
		DispatchTime::After(0)
	));
	assert_ok!(Referenda::place_decision_deposit(signed(Sr25519Keyring::Alice), index));
	index
}

/// Six dev accounts vote `aye` with 900,000 MOS each at 1x conviction.
fn everyone_votes(index: u32, aye: bool) {
	use Sr25519Keyring::*;
	for k in [Alice, Bob, Charlie, Dave, Eve, Ferdie] {
		assert_ok!(ConvictionVoting::vote(
			signed(k),
			index,
			AccountVote::Standard {
				vote: Vote { aye, conviction: Conviction::Locked1x },
				balance: 900_000 * MOS,
			}
		));
	}
}

fn approved(index: u32) -> bool {
	matches!(
		pallet_referenda::ReferendumInfoFor::<Runtime>::get(index),
		Some(pallet_referenda::ReferendumInfo::Approved(..))
	)
}

#[test]
fn tracks_are_sorted_and_named() {
	dev(|| {
		Tracks::check_integrity().unwrap();
		let names: Vec<_> = Tracks::tracks()
			.map(|t| {
				let n = t.info.name;
				String::from_utf8(n.iter().copied().take_while(|b| *b != 0).collect()).unwrap()
			})
			.collect();
		assert_eq!(
			names,
			["root", "referendum_canceller", "parameter_admin", "validator_admin", "treasurer"]
		);
	});
}

/// Review N21: the validator set decides all draw randomness, so changing it needs at least
/// the approval and support a parameter change needs at every point of the decision period,
/// and a chain at production pace keeps at least four validators (the smallest set GRANDPA
/// survives one loss of).
#[test]
fn changing_validators_is_as_hard_as_changing_parameters() {
	use sp_runtime::Perbill;
	dev(|| {
		let track = |id| Tracks::tracks().find(|t| t.id == id).unwrap().into_owned();
		let (validators, parameters) =
			(track(tracks::VALIDATOR_ADMIN), track(tracks::PARAMETER_ADMIN));
		for percent in (0..=100).step_by(5) {
			let x = Perbill::from_percent(percent);
			let (v, p) = (&validators.info, &parameters.info);
			assert!(
				v.min_approval.threshold(x) >= p.min_approval.threshold(x),
				"approval at {x:?}"
			);
			assert!(v.min_support.threshold(x) >= p.min_support.threshold(x), "support at {x:?}");
		}
		assert_eq!(<Runtime as pallet_mosaic_validators::Config>::MinValidators::get(), 1);
		GovernancePace::<Runtime>::put(Pace::Production);
		assert_eq!(<Runtime as pallet_mosaic_validators::Config>::MinValidators::get(), 4);
	});
}

#[test]
fn fast_pace_changes_periods_only() {
	dev(|| {
		let fast: Vec<_> = Tracks::tracks().map(|t| t.into_owned()).collect();
		GovernancePace::<Runtime>::put(Pace::Production);
		let slow: Vec<_> = Tracks::tracks().map(|t| t.into_owned()).collect();
		for (f, s) in fast.iter().zip(&slow) {
			let [prepare, decision, confirm, enactment] = FAST_PERIODS;
			assert_eq!((f.info.prepare_period, f.info.decision_period), (prepare, decision));
			assert_eq!((f.info.confirm_period, f.info.min_enactment_period), (confirm, enactment));
			assert_eq!(
				(f.id, f.info.decision_deposit, &f.info.min_approval, &f.info.min_support),
				(s.id, s.info.decision_deposit, &s.info.min_approval, &s.info.min_support)
			);
			assert!(s.info.decision_period >= 7 * crate::DAYS);
		}
		// Sessions and vote locks follow the pace too.
		assert_eq!(crate::configs::consensus::SessionPeriod::get(), crate::HOURS);
	});
}

#[test]
fn every_custom_origin_but_bounds_checked_has_a_track() {
	use Origin::*;
	for (origin, track) in [
		(ReferendumCanceller, tracks::REFERENDUM_CANCELLER),
		(ParameterAdmin, tracks::PARAMETER_ADMIN),
		(ValidatorAdmin, tracks::VALIDATOR_ADMIN),
		(Treasurer, tracks::TREASURER),
	] {
		assert_eq!(Tracks::track_for(&OriginCaller::Governance(origin)), Ok(track));
	}
	assert_eq!(Tracks::track_for(&OriginCaller::Governance(BoundsChecked)), Err(()));
	assert_eq!(
		Tracks::track_for(&OriginCaller::system(frame_system::RawOrigin::Root)),
		Ok(tracks::ROOT)
	);
	assert_eq!(
		Tracks::track_for(&OriginCaller::system(frame_system::RawOrigin::Signed(who(
			Sr25519Keyring::Alice
		)))),
		Err(())
	);
}

#[test]
fn every_default_is_within_its_bounds() {
	use marketplace::*;
	dev(|| {
		let all = [
			Parameters::MinProviderBond(MinProviderBond, Some(MinProviderBond::get())),
			Parameters::UnbondingPeriod(UnbondingPeriod, Some(UnbondingPeriod::get())),
			Parameters::ModelRegistrationDeposit(
				ModelRegistrationDeposit,
				Some(ModelRegistrationDeposit::get()),
			),
			Parameters::MaxRoyaltyBps(MaxRoyaltyBps, Some(MaxRoyaltyBps::get())),
			Parameters::ProtocolFee(ProtocolFee, Some(ProtocolFee::get())),
			Parameters::JobTimeout(JobTimeout, Some(JobTimeout::get())),
			Parameters::MinJobTimeout(MinJobTimeout, Some(MinJobTimeout::get())),
			Parameters::AbsentSlash(AbsentSlash, Some(AbsentSlash::get())),
			Parameters::OutvotedSlash(OutvotedSlash, Some(OutvotedSlash::get())),
			Parameters::ReporterShare(ReporterShare, Some(ReporterShare::get())),
			Parameters::AuditChance(AuditChance, Some(AuditChance::get())),
			Parameters::NewcomerAuditChance(NewcomerAuditChance, Some(NewcomerAuditChance::get())),
			Parameters::FraudSlash(FraudSlash, Some(FraudSlash::get())),
			Parameters::JobDepositBase(JobDepositBase, Some(JobDepositBase::get())),
			Parameters::JobDepositPerByte(JobDepositPerByte, Some(JobDepositPerByte::get())),
		];
		for p in all {
			assert_eq!(check_bounds(&RuntimeParameters::Marketplace(p.clone())), Ok(()), "{p:?}");
		}
	});
}

/// The jobs hook reads the hot keys so that submissions find these parameters in the cache,
/// and the benchmarks whitelist them: each key must be where its parameter is stored.
#[test]
fn the_hot_keys_are_where_the_submission_parameters_are_stored() {
	use crate::configs::parameters::SubmissionParameterKeys;
	use marketplace::*;
	dev(|| {
		let keys = SubmissionParameterKeys::get();
		// Each set to its default value (within its bounds): stored, so at its key.
		let set = [
			Parameters::MinProviderBond(MinProviderBond, Some(MinProviderBond::get())),
			Parameters::JobTimeout(JobTimeout, Some(JobTimeout::get())),
			Parameters::MinJobTimeout(MinJobTimeout, Some(MinJobTimeout::get())),
			Parameters::ProtocolFee(ProtocolFee, Some(ProtocolFee::get())),
			Parameters::JobDepositBase(JobDepositBase, Some(JobDepositBase::get())),
			Parameters::JobDepositPerByte(JobDepositPerByte, Some(JobDepositPerByte::get())),
		];
		assert_eq!(keys.len(), set.len());
		for (key, p) in keys.iter().zip(set) {
			assert_eq!(sp_io::storage::get(key), None, "{p:?} is at its default");
			assert_ok!(Governance::set_parameter(
				RuntimeOrigin::root(),
				RuntimeParameters::Marketplace(p.clone())
			));
			assert!(sp_io::storage::get(key).is_some(), "{p:?} is stored at its hot key");
		}
	});
}

#[test]
fn parameters_outside_their_bounds_are_refused() {
	use marketplace::*;
	let m = RuntimeParameters::Marketplace;
	for (p, e) in [
		(m(Parameters::ProtocolFee(ProtocolFee, Some(Permill::one()))), BoundsError::AboveMaximum),
		(m(Parameters::JobTimeout(JobTimeout, Some(0))), BoundsError::BelowMinimum),
		(m(Parameters::MinJobTimeout(MinJobTimeout, Some(0))), BoundsError::BelowMinimum),
		// Review N12: each of these passed, and broke an invariant of the protocol.
		(m(Parameters::MinJobTimeout(MinJobTimeout, Some(3))), BoundsError::BelowMinimum),
		(m(Parameters::JobDepositBase(JobDepositBase, Some(0))), BoundsError::BelowMinimum),
		(m(Parameters::JobDepositPerByte(JobDepositPerByte, Some(0))), BoundsError::BelowMinimum),
		(
			m(Parameters::OutvotedSlash(OutvotedSlash, Some(Perbill::zero()))),
			BoundsError::BelowMinimum,
		),
		(m(Parameters::MinProviderBond(MinProviderBond, Some(0))), BoundsError::BelowMinimum),
		(m(Parameters::UnbondingPeriod(UnbondingPeriod, Some(10))), BoundsError::BelowMinimum),
		(m(Parameters::MaxRoyaltyBps(MaxRoyaltyBps, Some(10_000))), BoundsError::AboveMaximum),
		(
			m(Parameters::OutvotedSlash(OutvotedSlash, Some(Perbill::one()))),
			BoundsError::AboveMaximum,
		),
		(
			m(Parameters::FraudSlash(FraudSlash, Some(Perbill::from_percent(5)))),
			BoundsError::BelowMinimum,
		),
		(
			m(Parameters::JobDepositPerByte(JobDepositPerByte, Some(crate::MOS))),
			BoundsError::AboveMaximum,
		),
	] {
		assert_eq!(check_bounds(&p), Err(e), "{p:?}");
	}
	dev(|| {
		assert_noop!(
			Governance::set_parameter(RuntimeOrigin::root(), fee(Some(Permill::one()))),
			Error::<Runtime>::ParameterAboveMaximum
		);
		assert_eq!(marketplace::ProtocolFee::get(), Permill::from_percent(5));
	});
}

#[test]
fn root_and_the_parameter_track_set_parameters_and_nobody_else() {
	dev(|| {
		assert_noop!(
			Governance::set_parameter(signed(Sr25519Keyring::Alice), fee(Some(Permill::zero()))),
			DispatchError::BadOrigin
		);
		// pallet-parameters' own call takes no origin but Governance's checked one.
		assert_noop!(
			Parameters::set_parameter(RuntimeOrigin::root(), fee(Some(Permill::one()))),
			DispatchError::BadOrigin
		);
		assert_ok!(Governance::set_parameter(
			RuntimeOrigin::from(Origin::ParameterAdmin),
			fee(Some(Permill::from_percent(7)))
		));
		assert_eq!(marketplace::ProtocolFee::get(), Permill::from_percent(7));
		assert_ok!(Governance::set_parameter(RuntimeOrigin::root(), fee(None)));
		assert_eq!(marketplace::ProtocolFee::get(), Permill::from_percent(5));
	});
}

#[test]
fn a_parameter_referendum_changes_the_protocol_fee() {
	dev(|| {
		let call = RuntimeCall::Governance(super::pallet::Call::set_parameter {
			key_value: fee(Some(Permill::from_percent(8))),
		});
		let index = propose(call, OriginCaller::Governance(Origin::ParameterAdmin));
		everyone_votes(index, true);
		run_to(40);
		assert!(approved(index));
		assert_eq!(marketplace::ProtocolFee::get(), Permill::from_percent(8));
	});
}

#[test]
fn a_rejected_referendum_changes_nothing() {
	dev(|| {
		let call = RuntimeCall::Governance(super::pallet::Call::set_parameter {
			key_value: fee(Some(Permill::from_percent(8))),
		});
		let index = propose(call, OriginCaller::Governance(Origin::ParameterAdmin));
		everyone_votes(index, false);
		run_to(60);
		assert!(matches!(
			pallet_referenda::ReferendumInfoFor::<Runtime>::get(index),
			Some(pallet_referenda::ReferendumInfo::Rejected(..))
		));
		assert_eq!(marketplace::ProtocolFee::get(), Permill::from_percent(5));
	});
}

#[test]
fn a_treasurer_referendum_spends_and_anyone_pays_it_out() {
	dev(|| {
		let treasury = crate::configs::marketplace::treasury_account();
		assert_ok!(Balances::mint_into(&treasury, 10_000 * MOS));
		let ferdie = who(Sr25519Keyring::Ferdie);
		let before = Balances::balance(&ferdie);
		let call = RuntimeCall::Treasury(pallet_treasury::Call::spend {
			asset_kind: Box::new(()),
			amount: 1_234 * MOS,
			beneficiary: Box::new(ferdie.clone()),
			valid_from: None,
		});
		let index = propose(call, OriginCaller::Governance(Origin::Treasurer));
		everyone_votes(index, true);
		run_to(40);
		assert!(approved(index));
		assert_eq!(pallet_treasury::SpendCount::<Runtime>::get(), 1);
		assert_ok!(Treasury::payout(signed(Sr25519Keyring::Bob), 0));
		// Ferdie's vote locks but does not spend: the payout is all that moved.
		assert_eq!(Balances::balance(&ferdie), before + 1_234 * MOS);
	});
}

#[test]
fn the_treasurer_track_cannot_spend_above_its_bound() {
	dev(|| {
		let spend = |amount: Balance| {
			Treasury::spend(
				RuntimeOrigin::from(Origin::Treasurer),
				Box::new(()),
				amount,
				Box::new(who(Sr25519Keyring::Ferdie)),
				None,
			)
		};
		assert_ok!(spend(super::origins::MAX_TREASURER_SPEND));
		assert_noop!(
			spend(super::origins::MAX_TREASURER_SPEND + 1),
			pallet_treasury::Error::<Runtime>::InsufficientPermission
		);
	});
}

#[test]
fn a_proposal_without_a_track_is_refused() {
	dev(|| {
		let bounded =
			Preimage::bound(RuntimeCall::System(frame_system::Call::remark { remark: vec![] }))
				.unwrap();
		assert_noop!(
			Referenda::submit(
				signed(Sr25519Keyring::Alice),
				Box::new(OriginCaller::Governance(Origin::BoundsChecked)),
				bounded,
				DispatchTime::After(0)
			),
			pallet_referenda::Error::<Runtime>::NoTrack
		);
	});
}

#[test]
fn a_decision_deposit_above_the_balance_is_refused() {
	dev(|| {
		let poor = who(Sr25519Keyring::One);
		assert_ok!(Balances::mint_into(&poor, 500 * MOS));
		let bounded =
			Preimage::bound(RuntimeCall::System(frame_system::Call::remark { remark: vec![] }))
				.unwrap();
		assert_ok!(Referenda::submit(
			RuntimeOrigin::signed(poor.clone()),
			Box::new(OriginCaller::system(frame_system::RawOrigin::Root)),
			bounded,
			DispatchTime::After(0)
		));
		// Root's decision deposit is 10,000 MOS; One has 400 left.
		assert!(Referenda::place_decision_deposit(RuntimeOrigin::signed(poor), 0).is_err());
		assert!(pallet_referenda::ReferendumInfoFor::<Runtime>::get(0).is_some());
	});
}

#[test]
fn a_vote_above_the_balance_is_refused() {
	dev(|| {
		let call = RuntimeCall::System(frame_system::Call::remark { remark: vec![] });
		let index = propose(call, OriginCaller::Governance(Origin::ParameterAdmin));
		assert_noop!(
			ConvictionVoting::vote(
				signed(Sr25519Keyring::Bob),
				index,
				AccountVote::Standard {
					vote: Vote { aye: true, conviction: Conviction::None },
					balance: 2_000_000 * MOS,
				}
			),
			pallet_conviction_voting::Error::<Runtime>::InsufficientFunds
		);
	});
}
