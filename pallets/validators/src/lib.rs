//! # Validators
//!
//! The validator set of a Mosaic chain, under governance. The validator-set track of OpenGov
//! (and Root) adds and removes validators; this pallet is pallet-session's `SessionManager`,
//! so a change is planned at the next session boundary and takes effect one session later
//! (pallet-session queues the planned set for a session before handing it to Aura and
//! GRANDPA).
//!
//! ## Rules
//!
//! - Only an account that has registered its session keys (`Session::set_keys`) can be
//!   added: pallet-session would otherwise drop it silently from the set it applies.
//! - The set never has fewer than [`Config::MinValidators`] or more than
//!   [`Config::MaxValidators`] members. Removing the last validators is refused.
//! - A member that later purges its keys is left out of the planned set, with
//!   [`Event::ValidatorWithoutKeys`]; if that would leave fewer than the minimum, the current
//!   set stays in force and nothing is planned.
//!
//! ## Invariants (checked by `try_state`)
//!
//! 1. [`Validators`] has between `MinValidators` and `MaxValidators` members (or is empty on
//!    a chain that never configured it) and no duplicates.

#![cfg_attr(not(feature = "std"), no_std)]
#![cfg_attr(test, allow(clippy::arithmetic_side_effects, clippy::indexing_slicing))]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(feature = "runtime-benchmarks")]
pub use benchmarking::BenchmarkHelper;
#[cfg(test)]
mod mock;
mod session;
#[cfg(test)]
mod tests;
pub mod weights;

pub use weights::WeightInfo;

#[frame_support::pallet]
#[allow(clippy::expect_used)] // FRAME's macro expansion calls `expect` with proofs.
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame_support::{pallet_prelude::*, traits::Contains};
	use frame_system::pallet_prelude::*;

	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The overarching event type.
		#[allow(deprecated)]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;

		/// May add and remove validators: the validator-set track and Root.
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The accounts that have registered session keys (pallet-session's `NextKeys`).
		type HasSessionKeys: Contains<Self::AccountId>;

		/// The fewest validators the chain may have.
		#[pallet::constant]
		type MinValidators: Get<u32>;

		/// The most validators the chain may have (at most the consensus pallets'
		/// `MaxAuthorities`).
		#[pallet::constant]
		type MaxValidators: Get<u32>;

		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;

		/// Gives benchmark accounts session keys.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// The validators, in the order they were added. Applied by pallet-session at the
	/// session boundary after a change.
	#[pallet::storage]
	pub type Validators<T: Config> =
		StorageValue<_, BoundedVec<T::AccountId, T::MaxValidators>, ValueQuery>;

	/// Whether [`Validators`] changed since the last set was planned.
	#[pallet::storage]
	pub type Changed<T> = StorageValue<_, bool, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The validators at genesis: the same accounts as pallet-session's genesis keys.
		pub validators: Vec<T::AccountId>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			let mut sorted = self.validators.clone();
			sorted.sort();
			sorted.dedup();
			assert!(sorted.len() == self.validators.len(), "genesis validators are unique");
			let set: BoundedVec<_, T::MaxValidators> =
				self.validators.clone().try_into().expect("at most MaxValidators at genesis");
			// `MinValidators` is not checked here: a runtime may derive it from state another
			// pallet's genesis writes later (Mosaic's from its governance pace); `try_state`
			// checks the set against it.
			Validators::<T>::put(set);
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// `who` joins the set at the next session boundary but one.
		ValidatorAdded { who: T::AccountId },
		/// `who` leaves the set at the next session boundary but one.
		ValidatorRemoved { who: T::AccountId },
		/// A new set was handed to pallet-session for the session `session`.
		NewSetPlanned { session: u32, validators: u32 },
		/// A member has no session keys any more and was left out of the planned set.
		ValidatorWithoutKeys { who: T::AccountId },
		/// Too few members have session keys: the current set stays in force.
		SetKeptTooFewWithKeys { with_keys: u32 },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The account is already a validator.
		AlreadyValidator,
		/// The account is not a validator.
		NotValidator,
		/// The set is at `MaxValidators`.
		TooManyValidators,
		/// Removing it would leave fewer than `MinValidators`.
		TooFewValidators,
		/// The account has not registered session keys (`Session::set_keys`): it could not
		/// author or vote, and pallet-session would leave it out.
		NoSessionKeys,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Adds `who` to the validator set from the session after next.
		///
		/// - Origin: [`Config::AdminOrigin`].
		/// - Emits [`Event::ValidatorAdded`].
		/// - Errors: [`Error::NoSessionKeys`], [`Error::AlreadyValidator`],
		///   [`Error::TooManyValidators`].
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::add_validator())]
		pub fn add_validator(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			ensure!(T::HasSessionKeys::contains(&who), Error::<T>::NoSessionKeys);
			Validators::<T>::try_mutate(|set| {
				ensure!(!set.contains(&who), Error::<T>::AlreadyValidator);
				set.try_push(who.clone()).map_err(|_| Error::<T>::TooManyValidators)
			})?;
			Changed::<T>::put(true);
			Self::deposit_event(Event::ValidatorAdded { who });
			Ok(())
		}

		/// Removes `who` from the validator set from the session after next.
		///
		/// - Origin: [`Config::AdminOrigin`].
		/// - Emits [`Event::ValidatorRemoved`].
		/// - Errors: [`Error::NotValidator`], [`Error::TooFewValidators`].
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::remove_validator())]
		pub fn remove_validator(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Validators::<T>::try_mutate(|set| {
				let at = set.iter().position(|v| v == &who).ok_or(Error::<T>::NotValidator)?;
				ensure!(set.len() > T::MinValidators::get() as usize, Error::<T>::TooFewValidators);
				set.remove(at);
				Ok::<_, Error<T>>(())
			})?;
			Changed::<T>::put(true);
			Self::deposit_event(Event::ValidatorRemoved { who });
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		/// Checks the invariants listed in the crate docs (run by `try_state` and after every
		/// unit test).
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			let set = Validators::<T>::get();
			ensure!(
				set.is_empty() || set.len() >= T::MinValidators::get() as usize,
				"fewer validators than the minimum"
			);
			let mut sorted = set.into_inner();
			let len = sorted.len();
			sorted.sort();
			sorted.dedup();
			ensure!(sorted.len() == len, "a validator is listed twice");
			Ok(())
		}
	}
}
