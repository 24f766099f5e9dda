//! # Models
//!
//! The registry of GGUF models that Mosaic's providers serve and users pay to run.
//!
//! A model is identified on-chain by a [`ModelId`] and, off-chain, by the **BLAKE2b-256 hash of
//! its whole GGUF file** (every byte, header through tensor data, as stored on disk; compute it
//! with `b2sum -l 256 model.gguf`). A provider's node refuses to serve a file whose hash differs.
//!
//! ## Lifecycle
//!
//! 1. [`Pallet::register_model`]: anyone registers a model with its name, content hash, size,
//!    what its GGUF header says ([`ModelSpec`]: architecture, parameters, file type, trained
//!    context, chat template hash; `mosaic-node inspect-model` reads it) and a royalty (at most [`Config::MaxRoyaltyBps`]); the
//!    registrant becomes its *creator* and [`Config::RegistrationDeposit`] is held from them
//!    ([`HoldReason::ModelDeposit`]).
//! 2. [`Pallet::set_royalty`]: the creator changes the royalty. Jobs copy the model's terms when
//!    submitted, so a change applies to jobs submitted afterwards only.
//! 3. [`Pallet::deprecate`]: the creator or [`Config::GovernanceOrigin`] stops new jobs; jobs
//!    already submitted finish.
//! 4. [`Pallet::remove_model`]: governance removes a model that breaks the rules (its deposit is
//!    burnt), or the creator removes a deprecated model (its deposit is released).
//!
//! ## Invariants (checked by `try_state`)
//!
//! 1. Every model's royalty is at most 100 %. ([`Config::MaxRoyaltyBps`] binds registrations
//!    and royalty changes when they are made; lowering it leaves older models valid.)
//! 2. [`ModelByHash`] and [`Models`] are inverse: each model is found by its hash and no hash
//!    points to a missing model.
//! 3. The balance held under [`HoldReason::ModelDeposit`] from each creator equals the sum of
//!    the deposits of their models.
//! 4. Every model id is below [`NextModelId`].

#![cfg_attr(not(feature = "std"), no_std)]
// Tests may index and do plain arithmetic; runtime code may not.
#![cfg_attr(test, allow(clippy::arithmetic_side_effects, clippy::indexing_slicing))]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
pub mod migrations;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

pub use types::*;
pub use weights::WeightInfo;

#[frame_support::pallet]
#[allow(clippy::expect_used)] // FRAME's macro expansion calls `expect` with proofs.
pub mod pallet {
	use super::*;
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, Mutate, MutateHold},
			tokens::{Fortitude, Precision},
		},
	};
	use frame_system::pallet_prelude::*;
	use mosaic_primitives::{
		BasisPoints, ModelId, ModelRegistry, ModelSpec, ModelTerms, ModelUnavailable,
	};
	use sp_core::H256;
	use sp_runtime::traits::Zero;

	/// The balance type of [`Config::Currency`].
	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
	/// A model record of this runtime.
	pub type ModelOf<T> = ModelInfo<<T as frame_system::Config>::AccountId, BalanceOf<T>>;

	/// v1: `quantization` became the GGUF header's fields (see [`crate::migrations`]).
	pub(crate) const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The overarching event type.
		#[allow(deprecated)]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;

		/// The currency in which deposits are held.
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ Mutate<Self::AccountId>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// Held from the creator while the model is registered.
		#[pallet::constant]
		type RegistrationDeposit: Get<BalanceOf<Self>>;

		/// The highest royalty a creator may ask, in basis points.
		#[pallet::constant]
		type MaxRoyaltyBps: Get<BasisPoints>;

		/// May deprecate or remove any model.
		type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A model's registration deposit.
		#[codec(index = 0)]
		ModelDeposit,
	}

	/// The id the next registered model gets.
	#[pallet::storage]
	pub type NextModelId<T> = StorageValue<_, ModelId, ValueQuery>;

	/// Registered models. `Twox64Concat`: ids are assigned sequentially by the pallet, not
	/// chosen by users, so they cannot be picked to unbalance the trie.
	#[pallet::storage]
	pub type Models<T: Config> = StorageMap<_, Twox64Concat, ModelId, ModelOf<T>, OptionQuery>;

	/// Model ids by content hash. `Identity`: the key is already a cryptographic hash.
	#[pallet::storage]
	pub type ModelByHash<T> = StorageMap<_, Identity, H256, ModelId, OptionQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A model was registered and its deposit held.
		ModelRegistered {
			model: ModelId,
			creator: T::AccountId,
			content_hash: H256,
			royalty_bps: BasisPoints,
			deposit: BalanceOf<T>,
		},
		/// The creator changed the royalty, for jobs submitted from now on.
		RoyaltyChanged { model: ModelId, royalty_bps: BasisPoints },
		/// The model takes no new jobs.
		ModelDeprecated { model: ModelId },
		/// The model was removed; its deposit was released to the creator or burnt.
		ModelRemoved { model: ModelId, deposit_released: BalanceOf<T>, deposit_burnt: BalanceOf<T> },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The name is empty or longer than 64 bytes.
		BadName,
		/// The royalty is above `MaxRoyaltyBps`; ask for less.
		RoyaltyTooHigh,
		/// A model with this content hash is already registered (see `ModelByHash`).
		ModelAlreadyRegistered,
		/// No model has this id.
		ModelNotRegistered,
		/// Only the model's creator may do this.
		NotCreator,
		/// The model is already deprecated.
		AlreadyDeprecated,
		/// The creator may remove a model only once it is deprecated.
		NotDeprecated,
		/// The size, the parameter count or the context length is zero.
		ZeroSize,
		/// The creator cannot pay the registration deposit.
		InsufficientBalance,
		/// All model ids are used.
		ModelIdsExhausted,
		/// The architecture name is empty or longer than 32 bytes.
		BadArchitecture,
	}

	/// Models registered at genesis, each with its deposit held from its creator (who must be
	/// endowed by the balances genesis).
	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// `(creator, name, content_hash, size_bytes, spec, royalty_bps)`.
		pub models:
			alloc::vec::Vec<(T::AccountId, alloc::vec::Vec<u8>, H256, u64, ModelSpec, BasisPoints)>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			for (creator, name, hash, size, spec, royalty) in &self.models {
				let name = BoundedVec::try_from(name.clone()).expect("genesis model name fits");
				Pallet::<T>::do_register_model(
					creator.clone(),
					name,
					*hash,
					*size,
					spec.clone(),
					*royalty,
				)
				.expect("genesis models are valid and their creators can pay the deposit");
			}
		}
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
		/// Registers a model. The caller becomes its creator.
		///
		/// - Origin: signed (the creator).
		/// - Holds `RegistrationDeposit` from the caller.
		/// - Emits [`Event::ModelRegistered`].
		/// - `spec` is what the file's GGUF header says (`mosaic-node inspect-model FILE`
		///   prints it); providers' nodes refuse a file whose header disagrees.
		/// - Errors: [`Error::BadName`], [`Error::ZeroSize`], [`Error::BadArchitecture`],
		///   [`Error::RoyaltyTooHigh`], [`Error::ModelAlreadyRegistered`],
		///   [`Error::InsufficientBalance`].
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register_model())]
		pub fn register_model(
			origin: OriginFor<T>,
			name: BoundedVec<u8, MaxNameLen>,
			content_hash: H256,
			size_bytes: u64,
			spec: ModelSpec,
			royalty_bps: BasisPoints,
		) -> DispatchResult {
			let creator = ensure_signed(origin)?;
			Self::do_register_model(creator, name, content_hash, size_bytes, spec, royalty_bps)
				.map(|_| ())
		}

		/// Changes the royalty of a model, for jobs submitted from now on.
		///
		/// - Origin: signed, the model's creator.
		/// - Emits [`Event::RoyaltyChanged`].
		/// - Errors: [`Error::ModelNotRegistered`], [`Error::NotCreator`],
		///   [`Error::RoyaltyTooHigh`].
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::set_royalty())]
		pub fn set_royalty(
			origin: OriginFor<T>,
			model: ModelId,
			royalty_bps: BasisPoints,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(royalty_bps <= T::MaxRoyaltyBps::get(), Error::<T>::RoyaltyTooHigh);
			Models::<T>::try_mutate(model, |m| {
				let m = m.as_mut().ok_or(Error::<T>::ModelNotRegistered)?;
				ensure!(m.creator == who, Error::<T>::NotCreator);
				m.royalty_bps = royalty_bps;
				Ok::<_, DispatchError>(())
			})?;
			Self::deposit_event(Event::RoyaltyChanged { model, royalty_bps });
			Ok(())
		}

		/// Stops new jobs for a model; jobs already submitted finish.
		///
		/// - Origin: the model's creator, or `GovernanceOrigin`.
		/// - Emits [`Event::ModelDeprecated`].
		/// - Errors: [`Error::ModelNotRegistered`], [`Error::NotCreator`],
		///   [`Error::AlreadyDeprecated`].
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::deprecate())]
		pub fn deprecate(origin: OriginFor<T>, model: ModelId) -> DispatchResult {
			let caller = Self::creator_or_governance(origin)?;
			Models::<T>::try_mutate(model, |m| {
				let m = m.as_mut().ok_or(Error::<T>::ModelNotRegistered)?;
				if let Some(who) = caller {
					ensure!(m.creator == who, Error::<T>::NotCreator);
				}
				ensure!(m.status == ModelStatus::Active, Error::<T>::AlreadyDeprecated);
				m.status = ModelStatus::Deprecated;
				Ok::<_, DispatchError>(())
			})?;
			Self::deposit_event(Event::ModelDeprecated { model });
			Ok(())
		}

		/// Removes a model from the registry.
		///
		/// - Origin: `GovernanceOrigin`, for a model that breaks the rules: the deposit is
		///   burnt. Or the creator, for a model already deprecated: the deposit is released.
		/// - Jobs already submitted keep the terms they copied and finish normally.
		/// - Emits [`Event::ModelRemoved`].
		/// - Errors: [`Error::ModelNotRegistered`], [`Error::NotCreator`],
		///   [`Error::NotDeprecated`].
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::remove_model())]
		pub fn remove_model(origin: OriginFor<T>, model: ModelId) -> DispatchResult {
			let caller = Self::creator_or_governance(origin)?;
			let info = Models::<T>::get(model).ok_or(Error::<T>::ModelNotRegistered)?;
			let reason: T::RuntimeHoldReason = HoldReason::ModelDeposit.into();
			let (released, burnt) = match caller {
				Some(who) => {
					ensure!(info.creator == who, Error::<T>::NotCreator);
					ensure!(info.status == ModelStatus::Deprecated, Error::<T>::NotDeprecated);
					let released = T::Currency::release(
						&reason,
						&info.creator,
						info.deposit,
						Precision::BestEffort,
					)?;
					(released, Zero::zero())
				}
				None => {
					let burnt = T::Currency::burn_held(
						&reason,
						&info.creator,
						info.deposit,
						Precision::BestEffort,
						Fortitude::Force,
					)?;
					(Zero::zero(), burnt)
				}
			};
			Models::<T>::remove(model);
			ModelByHash::<T>::remove(info.content_hash);
			Self::deposit_event(Event::ModelRemoved {
				model,
				deposit_released: released,
				deposit_burnt: burnt,
			});
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		/// Registers a model for `creator`: the logic of [`Pallet::register_model`], shared with
		/// genesis. Returns the new model's id.
		pub(crate) fn do_register_model(
			creator: T::AccountId,
			name: BoundedVec<u8, MaxNameLen>,
			content_hash: H256,
			size_bytes: u64,
			spec: ModelSpec,
			royalty_bps: BasisPoints,
		) -> Result<ModelId, DispatchError> {
			ensure!(!name.is_empty(), Error::<T>::BadName);
			let ModelSpec { architecture, parameters, file_type, context_length, chat_template } =
				spec;
			ensure!(size_bytes > 0 && context_length > 0 && parameters > 0, Error::<T>::ZeroSize);
			let architecture: BoundedVec<u8, MaxArchitectureLen> =
				architecture.try_into().map_err(|_| Error::<T>::BadArchitecture)?;
			ensure!(!architecture.is_empty(), Error::<T>::BadArchitecture);
			ensure!(royalty_bps <= T::MaxRoyaltyBps::get(), Error::<T>::RoyaltyTooHigh);
			ensure!(
				!ModelByHash::<T>::contains_key(content_hash),
				Error::<T>::ModelAlreadyRegistered
			);

			let model = NextModelId::<T>::get();
			let next = model.checked_add(1).ok_or(Error::<T>::ModelIdsExhausted)?;
			let deposit = T::RegistrationDeposit::get();
			T::Currency::hold(&HoldReason::ModelDeposit.into(), &creator, deposit)
				.map_err(|_| Error::<T>::InsufficientBalance)?;

			NextModelId::<T>::put(next);
			ModelByHash::<T>::insert(content_hash, model);
			Models::<T>::insert(
				model,
				ModelInfo {
					name,
					content_hash,
					size_bytes,
					architecture,
					parameters,
					file_type,
					context_length,
					chat_template,
					creator: creator.clone(),
					royalty_bps,
					deposit,
					status: ModelStatus::Active,
				},
			);
			Self::deposit_event(Event::ModelRegistered {
				model,
				creator,
				content_hash,
				royalty_bps,
				deposit,
			});
			Ok(model)
		}

		/// `None` for governance, `Some(who)` for a signed caller.
		fn creator_or_governance(
			origin: OriginFor<T>,
		) -> Result<Option<T::AccountId>, DispatchError> {
			match T::GovernanceOrigin::try_origin(origin) {
				Ok(_) => Ok(None),
				Err(origin) => Ok(Some(ensure_signed(origin)?)),
			}
		}

		/// Checks the invariants listed in the crate docs (run by `try_state` and after every
		/// unit test).
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			use alloc::collections::btree_map::BTreeMap;
			use frame_support::traits::fungible::InspectHold;
			use sp_runtime::traits::Saturating;

			let next = NextModelId::<T>::get();
			let mut deposits: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
			for (id, m) in Models::<T>::iter() {
				ensure!(id < next, "a model id is not below NextModelId");
				// The cap binds registrations and royalty changes when they are made: a cap
				// lowered by governance later leaves older models as they were.
				ensure!(
					u32::from(m.royalty_bps) <= mosaic_primitives::BPS_DENOMINATOR,
					"a royalty is above 100 %"
				);
				ensure!(
					ModelByHash::<T>::get(m.content_hash) == Some(id),
					"a model is not found by its hash"
				);
				deposits.entry(m.creator.clone()).or_default().saturating_accrue(m.deposit);
			}
			for (hash, id) in ModelByHash::<T>::iter() {
				let m = Models::<T>::get(id).ok_or("a hash points to a missing model")?;
				ensure!(m.content_hash == hash, "a hash points to another model");
			}
			for (who, sum) in deposits {
				ensure!(
					T::Currency::balance_on_hold(&HoldReason::ModelDeposit.into(), &who) == sum,
					"held model deposits differ from the models' deposits"
				);
			}
			Ok(())
		}
	}

	impl<T: Config> ModelRegistry<T::AccountId> for Pallet<T> {
		fn terms_for_new_job(model: ModelId) -> Result<ModelTerms<T::AccountId>, ModelUnavailable> {
			let m = Models::<T>::get(model).ok_or(ModelUnavailable::Unknown)?;
			if m.status != ModelStatus::Active {
				return Err(ModelUnavailable::Deprecated);
			}
			Ok(ModelTerms {
				content_hash: m.content_hash,
				creator: m.creator,
				royalty_bps: m.royalty_bps,
				context_length: m.context_length,
				chat: m.chat_template.is_some(),
			})
		}

		fn exists(model: ModelId) -> bool {
			Models::<T>::contains_key(model)
		}
	}
}
