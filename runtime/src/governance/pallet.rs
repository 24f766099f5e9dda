//! The runtime's own governance pallet: the origins of the OpenGov tracks, the pace of this
//! chain's referenda, and marketplace parameter changes checked against their bounds.

pub use inner::*;

#[frame_support::pallet]
#[allow(clippy::expect_used)] // FRAME's macro expansion calls `expect` with proofs.
pub mod inner {
	use crate::configs::parameters::{check_bounds, BoundsError, RuntimeParameters};
	use frame_support::pallet_prelude::*;
	use frame_system::pallet_prelude::*;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// May change marketplace parameters: the parameter track and Root.
		type ParameterOrigin: EnsureOrigin<Self::RuntimeOrigin>;
	}

	/// The origins that referenda on the tracks other than root dispatch with (see
	/// `governance::tracks`).
	#[derive(
		PartialEq, Eq, Clone, MaxEncodedLen, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug,
	)]
	#[pallet::origin]
	pub enum Origin {
		/// Cancels referenda (track `referendum_canceller`).
		#[codec(index = 0)]
		ReferendumCanceller,
		/// Changes marketplace parameters (track `parameter_admin`).
		#[codec(index = 1)]
		ParameterAdmin,
		/// Adds and removes validators (track `validator_admin`).
		#[codec(index = 2)]
		ValidatorAdmin,
		/// Spends from the treasury, up to a bound (track `treasurer`).
		#[codec(index = 3)]
		Treasurer,
		/// Not a track: the only origin pallet-parameters accepts, issued by
		/// [`Pallet::set_parameter`] after it checked the value's bounds.
		#[codec(index = 4)]
		BoundsChecked,
	}

	/// How fast this chain's referenda and sessions run. Chosen at genesis: production
	/// presets run days-long referenda and hour-long sessions; development and local chains
	/// run the same tracks, curves and deposits with periods of blocks, so that a whole
	/// referendum passes in about a minute and a validator-set change in two.
	#[derive(
		PartialEq,
		Eq,
		Clone,
		Copy,
		Default,
		MaxEncodedLen,
		Encode,
		Decode,
		DecodeWithMemTracking,
		TypeInfo,
		Debug,
		serde::Serialize,
		serde::Deserialize,
	)]
	pub enum Pace {
		/// Days-long referenda, hour-long sessions.
		#[default]
		Production,
		/// Block-long periods, for development and testing.
		Fast,
	}

	/// This chain's pace. Fixed at genesis.
	#[pallet::storage]
	pub type GovernancePace<T> = StorageValue<_, Pace, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// This chain's pace.
		pub pace: Pace,
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			GovernancePace::<T>::put(self.pace);
		}
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The value is below the parameter's least allowed value.
		ParameterBelowMinimum,
		/// The value is above the parameter's greatest allowed value.
		ParameterAboveMaximum,
	}

	impl<T> From<BoundsError> for Error<T> {
		fn from(e: BoundsError) -> Self {
			match e {
				BoundsError::BelowMinimum => Error::ParameterBelowMinimum,
				BoundsError::AboveMaximum => Error::ParameterAboveMaximum,
			}
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Sets a marketplace parameter (or, with `None`, resets it to its default) after
		/// checking it against its bounds (`configs::parameters::check_bounds`). Jobs,
		/// providers and models already on chain keep the terms they were created with.
		///
		/// - Origin: [`Config::ParameterOrigin`] (the parameter track or Root).
		/// - Emits pallet-parameters' `Updated`.
		/// - Errors: [`Error::ParameterBelowMinimum`], [`Error::ParameterAboveMaximum`].
		#[pallet::call_index(0)]
		#[pallet::weight(
			<() as pallet_parameters::WeightInfo>::set_parameter()
				.saturating_add(T::DbWeight::get().reads(1))
		)]
		pub fn set_parameter(origin: OriginFor<T>, key_value: RuntimeParameters) -> DispatchResult {
			T::ParameterOrigin::ensure_origin(origin)?;
			check_bounds(&key_value).map_err(Error::<T>::from)?;
			pallet_parameters::Pallet::<crate::Runtime>::set_parameter(
				crate::RuntimeOrigin::from(Origin::BoundsChecked),
				key_value,
			)
		}
	}
}
