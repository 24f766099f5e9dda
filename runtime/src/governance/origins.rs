//! `EnsureOrigin`s for the custom origins of [`super::pallet::Origin`]: each accepts exactly
//! its origin; [`Spender`] also says how much a treasurer referendum may spend.

use super::pallet::Origin;
use crate::{Balance, MOS};
use frame_support::traits::{EnsureOrigin, EnsureOriginWithArg, OriginTrait};

/// The most one treasurer referendum may spend: 100,000 MOS. Larger spends need the root
/// track.
pub const MAX_TREASURER_SPEND: Balance = 100_000 * MOS;

/// Declares a unit struct that ensures the origin `Origin::$name`.
macro_rules! ensure_custom_origin {
	($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
		$(#[$doc])*
		pub struct $name;
		impl<O: OriginTrait + From<Origin>> EnsureOrigin<O> for $name
		where
			for<'a> &'a O::PalletsOrigin: TryInto<&'a Origin>,
		{
			type Success = ();
			fn try_origin(o: O) -> Result<Self::Success, O> {
				if let Ok(Origin::$name) = o.caller().try_into() {
					return Ok(());
				}
				Err(o)
			}
			#[cfg(feature = "runtime-benchmarks")]
			fn try_successful_origin() -> Result<O, ()> {
				Ok(O::from(Origin::$name))
			}
		}
	)*};
}

ensure_custom_origin!(
	/// A passed referendum of the `referendum_canceller` track.
	ReferendumCanceller,
	/// A passed referendum of the `parameter_admin` track.
	ParameterAdmin,
	/// A passed referendum of the `validator_admin` track.
	ValidatorAdmin,
	/// A passed referendum of the `treasurer` track.
	Treasurer,
	/// [`super::pallet::Pallet::set_parameter`], after checking bounds.
	BoundsChecked,
);

/// A treasurer referendum, allowed to spend up to [`MAX_TREASURER_SPEND`].
pub struct Spender;
impl<O: OriginTrait + From<Origin>> EnsureOrigin<O> for Spender
where
	for<'a> &'a O::PalletsOrigin: TryInto<&'a Origin>,
{
	type Success = Balance;
	fn try_origin(o: O) -> Result<Self::Success, O> {
		if let Ok(Origin::Treasurer) = o.caller().try_into() {
			return Ok(MAX_TREASURER_SPEND);
		}
		Err(o)
	}
	#[cfg(feature = "runtime-benchmarks")]
	fn try_successful_origin() -> Result<O, ()> {
		Ok(O::from(Origin::Treasurer))
	}
}

/// pallet-parameters' admin: only [`BoundsChecked`], whatever the key. Root and the tracks
/// change parameters through `Governance::set_parameter`, which checks bounds first.
pub struct ParametersAdmin;
impl EnsureOriginWithArg<crate::RuntimeOrigin, crate::configs::parameters::RuntimeParametersKey>
	for ParametersAdmin
{
	type Success = ();
	fn try_origin(
		o: crate::RuntimeOrigin,
		_key: &crate::configs::parameters::RuntimeParametersKey,
	) -> Result<Self::Success, crate::RuntimeOrigin> {
		<BoundsChecked as EnsureOrigin<crate::RuntimeOrigin>>::try_origin(o)
	}
	#[cfg(feature = "runtime-benchmarks")]
	fn try_successful_origin(
		_key: &crate::configs::parameters::RuntimeParametersKey,
	) -> Result<crate::RuntimeOrigin, ()> {
		Ok(crate::RuntimeOrigin::from(Origin::BoundsChecked))
	}
}
