//! Governance: OpenGov referenda on five tracks, marketplace parameters under
//! pallet-parameters, the treasury, and the validator set.
//!
//! - [`pallet`]: the runtime's own governance pallet (`Governance`): the custom origins of
//!   the tracks, the chain's [`pallet::Pace`], and `set_parameter`, the only way to change a
//!   marketplace parameter (it checks the bounds in `configs::parameters`).
//! - [`origins`]: `EnsureOrigin`s of those origins.
//! - [`tracks`]: the tracks, their deposits, periods and curves.
//!
//! The pallets' configurations are in `configs::governance`.

pub mod origins;
pub mod pallet;
pub mod tracks;

#[cfg(test)]
mod tests;

pub use pallet::{GovernancePace, Origin, Pace};

use crate::{BlockNumber, Runtime};
use frame_support::traits::Get;

/// `P` at [`Pace::Production`], `F` at [`Pace::Fast`].
pub struct ByPace<P, F>(core::marker::PhantomData<(P, F)>);
impl<P: Get<BlockNumber>, F: Get<BlockNumber>> Get<BlockNumber> for ByPace<P, F> {
	fn get() -> BlockNumber {
		match GovernancePace::<Runtime>::get() {
			Pace::Production => P::get(),
			Pace::Fast => F::get(),
		}
	}
}
