//! The OpenGov tracks of Mosaic. Periods are for 6-second blocks at [`Pace::Production`];
//! at [`Pace::Fast`] (development and local chains) every track keeps its deposits, curves
//! and limits and runs with periods of a few blocks.

use super::pallet::{GovernancePace, Origin, Pace};
use crate::{Balance, BlockNumber, OriginCaller, Runtime, DAYS, HOURS, MINUTES, MOS};
use alloc::borrow::Cow;
use pallet_referenda::{Curve, Track, TrackInfo};
use sp_runtime::{str_array as s, FixedI64};

/// A track's id.
pub type TrackId = u16;

const fn percent(x: u128) -> FixedI64 {
	FixedI64::from_rational(x, 100)
}

/// Approval for the root, parameter, validator and treasurer tracks: from 100 % down to 50 %.
const APPROVAL_STRICT: Curve =
	Curve::make_reciprocal(4, 28, percent(80), percent(50), percent(100));
/// Approval for the canceller track: a simple majority late in the period.
const APPROVAL_MAJORITY: Curve = Curve::make_linear(17, 28, percent(50), percent(100));
/// Support for root and the treasury: from 50 % of the active issuance down to none.
const SUPPORT_LINEAR: Curve = Curve::make_linear(28, 28, percent(0), percent(50));
/// Support for parameter and validator changes: falls quickly to 10 %.
const SUPPORT_PARAMETERS: Curve =
	Curve::make_reciprocal(7, 28, percent(10), percent(0), percent(50));
/// Support for the canceller track: falls quickly to 1 %.
const SUPPORT_LOW: Curve = Curve::make_reciprocal(12, 28, percent(1), percent(0), percent(50));

/// Root: anything, `system.set_code` included.
pub const ROOT: TrackId = 0;
/// Cancels referenda (refunding their deposits).
pub const REFERENDUM_CANCELLER: TrackId = 1;
/// Marketplace parameters, through `Governance::set_parameter`.
pub const PARAMETER_ADMIN: TrackId = 10;
/// Adds and removes validators.
pub const VALIDATOR_ADMIN: TrackId = 11;
/// Treasury spends up to `origins::MAX_TREASURER_SPEND`.
pub const TREASURER: TrackId = 20;

/// The tracks at production pace, sorted by id (referenda's integrity test checks it).
static TRACKS: [Track<TrackId, Balance, BlockNumber>; 5] = [
	Track {
		id: ROOT,
		info: TrackInfo {
			name: s("root"),
			max_deciding: 1,
			decision_deposit: 10_000 * MOS,
			prepare_period: 2 * HOURS,
			decision_period: 14 * DAYS,
			confirm_period: DAYS,
			min_enactment_period: DAYS,
			min_approval: APPROVAL_STRICT,
			min_support: SUPPORT_LINEAR,
		},
	},
	Track {
		id: REFERENDUM_CANCELLER,
		info: TrackInfo {
			name: s("referendum_canceller"),
			max_deciding: 10,
			decision_deposit: 1_000 * MOS,
			prepare_period: HOURS,
			decision_period: 7 * DAYS,
			confirm_period: 3 * HOURS,
			min_enactment_period: 10 * MINUTES,
			min_approval: APPROVAL_MAJORITY,
			min_support: SUPPORT_LOW,
		},
	},
	Track {
		id: PARAMETER_ADMIN,
		info: TrackInfo {
			name: s("parameter_admin"),
			max_deciding: 10,
			decision_deposit: 1_000 * MOS,
			prepare_period: 2 * HOURS,
			decision_period: 7 * DAYS,
			confirm_period: DAYS,
			min_enactment_period: DAYS,
			min_approval: APPROVAL_STRICT,
			min_support: SUPPORT_PARAMETERS,
		},
	},
	Track {
		id: VALIDATOR_ADMIN,
		info: TrackInfo {
			name: s("validator_admin"),
			max_deciding: 5,
			decision_deposit: 2_000 * MOS,
			prepare_period: 2 * HOURS,
			decision_period: 7 * DAYS,
			confirm_period: DAYS,
			min_enactment_period: HOURS,
			// The validator set decides every draw's randomness (review N21): as strict as a
			// parameter change, never a low-turnout majority.
			min_approval: APPROVAL_STRICT,
			min_support: SUPPORT_PARAMETERS,
		},
	},
	Track {
		id: TREASURER,
		info: TrackInfo {
			name: s("treasurer"),
			max_deciding: 10,
			decision_deposit: 1_000 * MOS,
			prepare_period: 2 * HOURS,
			decision_period: 7 * DAYS,
			confirm_period: DAYS,
			min_enactment_period: DAYS,
			min_approval: APPROVAL_STRICT,
			min_support: SUPPORT_LINEAR,
		},
	},
];

/// The periods of every track at [`Pace::Fast`]: prepare 2 blocks, decide within 20,
/// confirm for 2, enact 1 block later. A referendum with enough votes passes in about ten
/// blocks.
pub const FAST_PERIODS: [BlockNumber; 4] = [2, 20, 2, 1];

/// The track `t` at `pace`.
fn at_pace(
	t: &'static Track<TrackId, Balance, BlockNumber>,
	pace: Pace,
) -> Cow<'static, Track<TrackId, Balance, BlockNumber>> {
	match pace {
		Pace::Production => Cow::Borrowed(t),
		Pace::Fast => {
			let mut fast = t.clone();
			let [prepare, decision, confirm, enactment] = FAST_PERIODS;
			fast.info.prepare_period = prepare;
			fast.info.decision_period = decision;
			fast.info.confirm_period = confirm;
			fast.info.min_enactment_period = enactment;
			Cow::Owned(fast)
		}
	}
}

/// The tracks of this chain, at its pace.
pub struct Tracks;

impl pallet_referenda::TracksInfo<Balance, BlockNumber> for Tracks {
	type Id = TrackId;
	type RuntimeOrigin = OriginCaller;

	fn tracks() -> impl Iterator<Item = Cow<'static, Track<Self::Id, Balance, BlockNumber>>> {
		let pace = GovernancePace::<Runtime>::get();
		TRACKS.iter().map(move |t| at_pace(t, pace))
	}

	fn track_for(origin: &Self::RuntimeOrigin) -> Result<Self::Id, ()> {
		match origin {
			OriginCaller::system(frame_system::RawOrigin::Root) => Ok(ROOT),
			OriginCaller::Governance(Origin::ReferendumCanceller) => Ok(REFERENDUM_CANCELLER),
			OriginCaller::Governance(Origin::ParameterAdmin) => Ok(PARAMETER_ADMIN),
			OriginCaller::Governance(Origin::ValidatorAdmin) => Ok(VALIDATOR_ADMIN),
			OriginCaller::Governance(Origin::Treasurer) => Ok(TREASURER),
			_ => Err(()),
		}
	}
}
