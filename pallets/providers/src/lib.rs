//! # Providers
//!
//! Inference providers of the Mosaic marketplace: their bonds, declared hardware, the models
//! they serve, their operator keys and their reputation.
//!
//! ## Keys
//!
//! A provider is its (cold) account, which holds the bond and makes every call here. Its node
//! holds only the *operator key*, which signs results and attestations and can do nothing else
//! in this pallet. [`Pallet::set_operator_key`] rotates it. The pallet gives the operator
//! account a system *provider reference*, so it exists (and can sign fee-less results) without
//! funds.
//!
//! ## Lifecycle
//!
//! 1. [`Pallet::register_provider`]: profile, ask per output token, operator key, and a bond of
//!    at least [`Config::MinProviderBond`], held under [`HoldReason::ProviderBond`].
//! 2. [`Pallet::serve_model`] with the model's [`ServingTerms`] (context window, largest
//!    output, decode speed: the jobs pallet assigns only jobs these cover, with a deadline
//!    derived from the speed) / [`Pallet::stop_serving`], [`Pallet::update_profile`],
//!    [`Pallet::pause`] / [`Pallet::resume`], [`Pallet::bond_extra`].
//! 3. [`Pallet::unbond`] moves part of the bond into an unbonding chunk, still held and
//!    slashable, released by [`Pallet::withdraw_unbonded`] after [`Config::UnbondingPeriod`].
//! 4. [`Pallet::deregister`] (no job in flight): the whole bond unbonds; the record disappears
//!    when the last chunk is withdrawn.
//!
//! The jobs pallet sees providers through [`mosaic_primitives::ProviderRegistry`]: a draw
//! index per model ([`crate::index`]: a provider found with chance proportional to its bond
//! in four reads, however many serve the model), the eligibility of one candidate for a job,
//! concurrency accounting, reputation, and slashing (held bond first, then
//! unbonding chunks, to the treasury with a share to a reporter). A provider whose bond falls
//! below the minimum gets no new jobs until it tops up.
//!
//! ## Invariants (checked by `try_state`)
//!
//! 1. The balance held under [`HoldReason::ProviderBond`] from each provider equals its bond
//!    plus its unbonding chunks.
//! 2. [`Operators`] and [`Providers`] agree: each non-leaving provider's operator maps back to
//!    it, every operator entry points to a provider with that operator, and no operator key
//!    is itself a provider.
//! 3. [`Slots`] hold exactly the non-leaving providers serving each model, densely, each
//!    mapped back by [`SlotOf`]; [`Offers`] holds valid terms for exactly those (model,
//!    provider) pairs; every [`WeightTree`] entry is the sum of the weights below it, and a
//!    slot's weight is at least its provider's bond while active and 0 while paused (see
//!    [`crate::index`]).
//! 4. A leaving provider has no bond, no job in flight, serves nothing and has no operator.
//! 5. Every declared [`Endpoints`] entry belongs to a provider that is not leaving, and is a
//!    valid endpoint.
//! 6. A provider's [`Answered`] jobs are among its jobs in flight; no other account has an
//!    entry.

#![cfg_attr(not(feature = "std"), no_std)]
// Tests may index and do plain arithmetic; runtime code may not.
#![cfg_attr(test, allow(clippy::arithmetic_side_effects, clippy::indexing_slicing))]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(feature = "runtime-benchmarks")]
pub use benchmarking::BenchmarkHelper;
pub mod index;
pub mod migrations;
#[cfg(test)]
mod mock;
mod registry;
mod stake;
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
	use alloc::vec::Vec;
	use frame_support::{
		pallet_prelude::*,
		traits::fungible::{Inspect, Mutate, MutateHold},
	};
	use frame_system::pallet_prelude::*;
	use mosaic_primitives::{ModelId, ModelRegistry, ServingTerms};
	use sp_runtime::{
		traits::{Saturating, Zero},
		Perbill,
	};

	/// The balance type of [`Config::Currency`].
	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
	/// A provider record of this runtime.
	pub type ProviderOf<T> = ProviderInfo<
		<T as frame_system::Config>::AccountId,
		BalanceOf<T>,
		BlockNumberFor<T>,
		<T as Config>::MaxUnbondingChunks,
		<T as Config>::MaxModelsPerProvider,
	>;

	/// v1: [`Reputation::declined`] and per-model [`Offers`]; v2: the draw index ([`Slots`],
	/// [`SlotOf`], [`SlotCount`], [`WeightTree`]) instead of a bounded list per model (see
	/// [`crate::migrations`]).
	pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(2);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The overarching event type.
		#[allow(deprecated)]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;

		/// The currency in which bonds are held.
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ Mutate<Self::AccountId>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// The model registry: only registered models can be served.
		type Models: ModelRegistry<Self::AccountId>;

		/// The least bond of a provider that gets new jobs.
		#[pallet::constant]
		type MinProviderBond: Get<BalanceOf<Self>>;

		/// Blocks between `unbond` and the funds becoming withdrawable.
		#[pallet::constant]
		type UnbondingPeriod: Get<BlockNumberFor<Self>>;

		/// Receives slashed bonds.
		type TreasuryAccount: Get<Self::AccountId>;

		/// The reporter's share of a slash, where there is a reporter.
		#[pallet::constant]
		type ReporterShare: Get<Perbill>;

		/// Most unbonding chunks per provider.
		#[pallet::constant]
		type MaxUnbondingChunks: Get<u32>;

		/// Most models one provider serves.
		#[pallet::constant]
		type MaxModelsPerProvider: Get<u32>;

		/// Most providers serving one model: at most [`crate::index::CAPACITY`] (65,536), the
		/// draw index's slots. The cost of a draw does not grow with it.
		#[pallet::constant]
		type MaxProvidersPerModel: Get<u32>;

		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;

		/// Registers models for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: crate::BenchmarkHelper;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A provider's bond, active or unbonding.
		#[codec(index = 0)]
		ProviderBond,
	}

	/// Providers by account. `Blake2_128Concat`: keys are user-chosen accounts.
	#[pallet::storage]
	pub type Providers<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, ProviderOf<T>>;

	/// Provider of each operator key. `Blake2_128Concat`: keys are user-chosen accounts.
	#[pallet::storage]
	pub type Operators<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, T::AccountId>;

	/// The providers serving each model, in dense slots `0..SlotCount`: the draw index of
	/// [`crate::index`]. `Twox64Concat`: model ids and slots are sequential.
	#[pallet::storage]
	pub type Slots<T: Config> =
		StorageDoubleMap<_, Twox64Concat, ModelId, Twox64Concat, u32, T::AccountId>;

	/// The slot of each provider serving a model. `Blake2_128Concat` for the provider.
	#[pallet::storage]
	pub type SlotOf<T: Config> =
		StorageDoubleMap<_, Twox64Concat, ModelId, Blake2_128Concat, T::AccountId, u32>;

	/// How many providers serve each model (its slots in use).
	#[pallet::storage]
	pub type SlotCount<T: Config> = StorageMap<_, Twox64Concat, ModelId, u32, ValueQuery>;

	/// Each model's sum tree of indexed weights, by `(level, node)`: see [`crate::index`].
	#[pallet::storage]
	pub type WeightTree<T: Config> =
		StorageDoubleMap<_, Twox64Concat, ModelId, Twox64Concat, (u8, u32), crate::index::Node>;

	/// The track record of accounts that were providers and left: restored when they register
	/// again, so leaving and re-registering does not shed a bad record. `Blake2_128Concat`:
	/// keys are user-chosen accounts. One small entry per account that ever bonded
	/// `MinProviderBond`.
	#[pallet::storage]
	pub type PastReputation<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, Reputation>;

	/// What each provider declared it runs for each model it serves. `Twox64Concat` for the
	/// model id (sequential); `Blake2_128Concat` for the provider (user-chosen account).
	#[pallet::storage]
	pub type Offers<T: Config> =
		StorageDoubleMap<_, Twox64Concat, ModelId, Blake2_128Concat, T::AccountId, ServingTerms>;

	/// How many of each provider's jobs in flight ([`ProviderInfo::active_jobs`]) it has
	/// answered: those no longer count against its `max_concurrent_jobs` (its node is free
	/// for the next job while the answer waits for its challenge window and audits), but still
	/// keep it from leaving. Absent for none. Apart from the record because it changes with
	/// every answer; an entry absent where jobs were answered before this map existed only
	/// counts them against the limit a little longer.
	#[pallet::storage]
	pub type Answered<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	/// The public RPC endpoint each provider declared, where owners of its jobs subscribe to
	/// their output as it is generated (`mosaic_streamJob`). `Blake2_128Concat`: keys are
	/// user-chosen accounts.
	#[pallet::storage]
	pub type Endpoints<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, Endpoint>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A provider registered and its bond was held.
		ProviderRegistered { provider: T::AccountId, operator: T::AccountId, bond: BalanceOf<T> },
		/// The provider's profile or ask changed.
		ProfileUpdated { provider: T::AccountId, ask: BalanceOf<T> },
		/// The provider declared (or, with `None`, withdrew) its public RPC endpoint.
		EndpointSet { provider: T::AccountId, endpoint: Option<Endpoint> },
		/// The provider's operator key changed.
		OperatorKeySet { provider: T::AccountId, operator: T::AccountId },
		/// The provider serves the model on these terms (new, or changed).
		ServingModel { provider: T::AccountId, model: ModelId, terms: ServingTerms },
		/// The provider stopped serving the model.
		StoppedServing { provider: T::AccountId, model: ModelId },
		/// The provider takes no new jobs.
		Paused { provider: T::AccountId },
		/// The provider takes new jobs again.
		Resumed { provider: T::AccountId },
		/// More funds were added to the bond and held.
		Bonded { provider: T::AccountId, amount: BalanceOf<T> },
		/// Part of the bond started unbonding.
		Unbonding { provider: T::AccountId, amount: BalanceOf<T>, unlock_at: BlockNumberFor<T> },
		/// Unbonded funds were released to the provider.
		Withdrawn { provider: T::AccountId, amount: BalanceOf<T> },
		/// The provider deregistered; its whole bond is unbonding.
		Deregistered { provider: T::AccountId },
		/// The provider's record is gone: nothing is held any more.
		ProviderRemoved { provider: T::AccountId },
		/// Part of the provider's bond was slashed: `to_treasury` plus `to_reporter`.
		Slashed {
			provider: T::AccountId,
			to_treasury: BalanceOf<T>,
			reporter: Option<T::AccountId>,
			to_reporter: BalanceOf<T>,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// An endpoint is `ws://` or `wss://` and a host, at most 128 bytes of printable
		/// ASCII without spaces.
		BadEndpoint,
		/// The account is already a provider.
		AlreadyRegistered,
		/// The account is not a provider (or is leaving).
		NotProvider,
		/// The bond is below `MinProviderBond`.
		BondBelowMinimum,
		/// The account cannot hold that much.
		InsufficientBalance,
		/// Another provider uses this operator key.
		OperatorInUse,
		/// The operator key must differ from the provider's account: the node holds it.
		OperatorIsProvider,
		/// `max_concurrent_jobs` must be at least 1.
		ZeroConcurrency,
		/// No model has this id.
		ModelNotRegistered,
		/// The provider does not serve this model.
		NotServing,
		/// The provider serves `MaxModelsPerProvider` models already.
		TooManyModels,
		/// `MaxProvidersPerModel` providers serve this model already.
		TooManyProvidersForModel,
		/// The provider is already paused.
		AlreadyPaused,
		/// The provider is not paused.
		NotPaused,
		/// The amount is zero.
		ZeroAmount,
		/// Unbonding this much leaves an active provider bonded below the minimum: unbond less,
		/// pause first, or deregister.
		UnbondingBelowMinimum,
		/// Unbonding more than is bonded.
		UnbondingMoreThanBonded,
		/// `MaxUnbondingChunks` chunks are unbonding: withdraw some first.
		TooManyUnbondingChunks,
		/// No unbonding chunk has unlocked yet.
		NothingToWithdraw,
		/// The provider has jobs in flight: let them finish first.
		JobsInFlight,
		/// The provider is at its `max_concurrent_jobs`.
		AtCapacity,
		/// Serving terms need a positive context length, largest output and decode speed, and
		/// the largest output must fit the context.
		BadServingTerms,
		/// The account is another provider's operator key: a provider registers from an
		/// account that no node holds as a key.
		AccountIsOperator,
	}

	/// Providers registered at genesis, each with its bond held (its account must be endowed by
	/// the balances genesis) and serving models registered at genesis. Their hardware profile
	/// has no GPU until they `update_profile`.
	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// `(provider, operator, ask, bond, cpu_cores, ram_gib, max_concurrent_jobs, engine,
		/// models served with their terms)`.
		pub providers: alloc::vec::Vec<(
			T::AccountId,
			T::AccountId,
			BalanceOf<T>,
			BalanceOf<T>,
			u16,
			u16,
			u16,
			sp_core::H256,
			alloc::vec::Vec<(ModelId, ServingTerms)>,
		)>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			for (who, operator, ask, bond, cpu_cores, ram_gib, max_jobs, engine, models) in
				&self.providers
			{
				let profile = HardwareProfile {
					cpu_cores: *cpu_cores,
					ram_gib: *ram_gib,
					gpu: None,
					max_concurrent_jobs: *max_jobs,
					engine: *engine,
				};
				Pallet::<T>::do_register_provider(
					who.clone(),
					profile,
					*ask,
					operator.clone(),
					*bond,
				)
				.expect("genesis providers are valid and can pay their bond");
				for (model, terms) in models {
					Pallet::<T>::do_serve_model(who.clone(), *model, *terms)
						.expect("genesis providers serve genesis models");
				}
			}
		}
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(
				T::MaxProvidersPerModel::get() <= crate::index::CAPACITY,
				"MaxProvidersPerModel is above the draw index's capacity"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Registers the caller as a provider.
		///
		/// - Origin: signed, the provider's (cold) account.
		/// - Holds `bond` (at least `MinProviderBond`) under `ProviderBond`.
		/// - Emits [`Event::ProviderRegistered`].
		/// - Errors: [`Error::AlreadyRegistered`], [`Error::BondBelowMinimum`],
		///   [`Error::OperatorInUse`], [`Error::OperatorIsProvider`], [`Error::ZeroConcurrency`],
		///   [`Error::InsufficientBalance`], [`Error::AccountIsOperator`].
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register_provider())]
		pub fn register_provider(
			origin: OriginFor<T>,
			profile: HardwareProfile,
			ask: BalanceOf<T>,
			operator: T::AccountId,
			bond: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_register_provider(who, profile, ask, operator, bond)
		}

		/// Replaces the provider's hardware profile and ask. Jobs already assigned keep the
		/// price they were assigned at.
		///
		/// - Origin: signed, a provider.
		/// - Emits [`Event::ProfileUpdated`].
		/// - Errors: [`Error::NotProvider`], [`Error::ZeroConcurrency`].
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::update_profile())]
		pub fn update_profile(
			origin: OriginFor<T>,
			profile: HardwareProfile,
			ask: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(profile.max_concurrent_jobs > 0, Error::<T>::ZeroConcurrency);
			Self::mutate_provider(&who, |p| {
				p.profile = profile;
				p.ask = ask;
				Ok(())
			})?;
			Self::deposit_event(Event::ProfileUpdated { provider: who, ask });
			Ok(())
		}

		/// Rotates the operator key. Results of jobs already assigned must then be signed by
		/// the new key.
		///
		/// - Origin: signed, a provider.
		/// - Emits [`Event::OperatorKeySet`].
		/// - Errors: [`Error::NotProvider`], [`Error::OperatorInUse`],
		///   [`Error::OperatorIsProvider`].
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::set_operator_key())]
		pub fn set_operator_key(origin: OriginFor<T>, operator: T::AccountId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::ensure_operator_free(&who, &operator)?;
			let old = Self::mutate_provider(&who, |p| {
				Ok(core::mem::replace(&mut p.operator, operator.clone()))
			})?;
			Self::unbind_operator(&old);
			Self::bind_operator(&who, &operator);
			Self::deposit_event(Event::OperatorKeySet { provider: who, operator });
			Ok(())
		}

		/// Serves a registered model on `terms`: the context window the node's engine runs it
		/// with, the most tokens it generates for one job, and its decode speed. Jobs are
		/// assigned to the provider only when the terms cover them, with a deadline derived
		/// from the speed, so an honest node is never given a job it cannot finish. Calling it
		/// again for a model already served changes the terms (jobs already assigned keep
		/// theirs).
		///
		/// - Origin: signed, a provider.
		/// - Emits [`Event::ServingModel`].
		/// - Errors: [`Error::NotProvider`], [`Error::ModelNotRegistered`],
		///   [`Error::BadServingTerms`], [`Error::TooManyModels`],
		///   [`Error::TooManyProvidersForModel`].
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::serve_model())]
		pub fn serve_model(
			origin: OriginFor<T>,
			model: ModelId,
			terms: ServingTerms,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_serve_model(who, model, terms)
		}

		/// Stops serving a model. Jobs already assigned for it must still be answered.
		///
		/// - Origin: signed, a provider.
		/// - Emits [`Event::StoppedServing`].
		/// - Errors: [`Error::NotProvider`], [`Error::NotServing`].
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::stop_serving())]
		pub fn stop_serving(origin: OriginFor<T>, model: ModelId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::mutate_provider(&who, |p| {
				let before = p.serving.len();
				p.serving.retain(|m| *m != model);
				ensure!(p.serving.len() < before, Error::<T>::NotServing);
				Ok(())
			})?;
			Self::remove_from_model(model, &who);
			Self::deposit_event(Event::StoppedServing { provider: who, model });
			Ok(())
		}

		/// Takes no new jobs until [`Pallet::resume`]; jobs in flight must still be answered.
		///
		/// - Origin: signed, a provider.
		/// - Emits [`Event::Paused`].
		/// - Errors: [`Error::NotProvider`], [`Error::AlreadyPaused`].
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::pause())]
		pub fn pause(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::mutate_provider(&who, |p| {
				ensure!(p.status == ProviderStatus::Active, Error::<T>::AlreadyPaused);
				p.status = ProviderStatus::Paused;
				Self::reindex(&who, p);
				Ok(())
			})?;
			Self::deposit_event(Event::Paused { provider: who });
			Ok(())
		}

		/// Takes new jobs again. The bond must be at least the minimum.
		///
		/// - Origin: signed, a paused provider.
		/// - Emits [`Event::Resumed`].
		/// - Errors: [`Error::NotProvider`], [`Error::NotPaused`], [`Error::BondBelowMinimum`].
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::resume())]
		pub fn resume(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::mutate_provider(&who, |p| {
				ensure!(p.status == ProviderStatus::Paused, Error::<T>::NotPaused);
				ensure!(p.bond >= T::MinProviderBond::get(), Error::<T>::BondBelowMinimum);
				p.status = ProviderStatus::Active;
				Self::reindex(&who, p);
				Ok(())
			})?;
			Self::deposit_event(Event::Resumed { provider: who });
			Ok(())
		}

		/// Adds `amount` to the bond (for example to top up after a slash).
		///
		/// - Origin: signed, a provider.
		/// - Emits [`Event::Bonded`].
		/// - Errors: [`Error::NotProvider`], [`Error::ZeroAmount`],
		///   [`Error::InsufficientBalance`].
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::bond_extra())]
		pub fn bond_extra(origin: OriginFor<T>, amount: BalanceOf<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
			Self::mutate_provider(&who, |p| {
				Self::hold_bond(&who, amount)?;
				p.bond = p.bond.saturating_add(amount);
				Self::reindex(&who, p);
				Ok(())
			})?;
			Self::deposit_event(Event::Bonded { provider: who, amount });
			Ok(())
		}

		/// Starts unbonding `amount`: it stays held, and slashable, for `UnbondingPeriod`
		/// blocks, then [`Pallet::withdraw_unbonded`] releases it. An active provider must
		/// keep at least the minimum.
		///
		/// - Origin: signed, a provider.
		/// - Emits [`Event::Unbonding`].
		/// - Errors: [`Error::NotProvider`], [`Error::ZeroAmount`],
		///   [`Error::UnbondingMoreThanBonded`], [`Error::UnbondingBelowMinimum`],
		///   [`Error::TooManyUnbondingChunks`].
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::unbond())]
		pub fn unbond(origin: OriginFor<T>, amount: BalanceOf<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(!amount.is_zero(), Error::<T>::ZeroAmount);
			let unlock_at = Self::mutate_provider(&who, |p| {
				let rest =
					p.bond.checked_sub(&amount).ok_or(Error::<T>::UnbondingMoreThanBonded)?;
				ensure!(
					p.status != ProviderStatus::Active || rest >= T::MinProviderBond::get(),
					Error::<T>::UnbondingBelowMinimum
				);
				let unlock_at = Self::push_chunk(p, amount)?;
				p.bond = rest;
				Self::reindex(&who, p);
				Ok(unlock_at)
			})?;
			Self::deposit_event(Event::Unbonding { provider: who, amount, unlock_at });
			Ok(())
		}

		/// Releases every unbonding chunk whose period has passed. For a provider that
		/// deregistered, releasing the last chunk removes its record.
		///
		/// - Origin: signed, a provider (or one leaving).
		/// - Emits [`Event::Withdrawn`], and [`Event::ProviderRemoved`] at the end.
		/// - Errors: [`Error::NotProvider`], [`Error::NothingToWithdraw`].
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::withdraw_unbonded(T::MaxUnbondingChunks::get()))]
		pub fn withdraw_unbonded(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_withdraw_unbonded(&who)
		}

		/// Deregisters: stops serving every model, gives up the operator key, and unbonds the
		/// whole bond. Only with no job in flight.
		///
		/// - Origin: signed, a provider.
		/// - Emits [`Event::Deregistered`] and [`Event::Unbonding`].
		/// - Errors: [`Error::NotProvider`], [`Error::JobsInFlight`],
		///   [`Error::TooManyUnbondingChunks`].
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::deregister(T::MaxModelsPerProvider::get()))]
		pub fn deregister(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_deregister(&who)
		}

		/// Declares the provider's public RPC endpoint (`ws://…` or `wss://…`), where the
		/// owners of its jobs subscribe to their output as it is generated; `None` withdraws
		/// it. Deregistering withdraws it too.
		///
		/// - Origin: signed, a provider that is not leaving.
		/// - Emits [`Event::EndpointSet`].
		/// - Storage: [`Endpoints`], one bounded entry per provider.
		/// - Errors: [`Error::NotProvider`], [`Error::BadEndpoint`].
		#[pallet::call_index(11)]
		#[pallet::weight(T::WeightInfo::set_endpoint())]
		pub fn set_endpoint(origin: OriginFor<T>, endpoint: Option<Vec<u8>>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(
				Providers::<T>::get(&who).is_some_and(|p| p.status != ProviderStatus::Leaving),
				Error::<T>::NotProvider
			);
			let endpoint = match endpoint {
				Some(url) => {
					ensure!(valid_endpoint(&url), Error::<T>::BadEndpoint);
					let url = Endpoint::try_from(url).map_err(|_| Error::<T>::BadEndpoint)?;
					Endpoints::<T>::insert(&who, &url);
					Some(url)
				}
				None => {
					Endpoints::<T>::remove(&who);
					None
				}
			};
			Self::deposit_event(Event::EndpointSet { provider: who, endpoint });
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		/// Registers `who` as a provider: the logic of [`Pallet::register_provider`], shared
		/// with genesis.
		pub(crate) fn do_register_provider(
			who: T::AccountId,
			profile: HardwareProfile,
			ask: BalanceOf<T>,
			operator: T::AccountId,
			bond: BalanceOf<T>,
		) -> DispatchResult {
			ensure!(!Providers::<T>::contains_key(&who), Error::<T>::AlreadyRegistered);
			ensure!(!Operators::<T>::contains_key(&who), Error::<T>::AccountIsOperator);
			ensure!(bond >= T::MinProviderBond::get(), Error::<T>::BondBelowMinimum);
			ensure!(profile.max_concurrent_jobs > 0, Error::<T>::ZeroConcurrency);
			Self::ensure_operator_free(&who, &operator)?;

			Self::hold_bond(&who, bond)?;
			Self::bind_operator(&who, &operator);
			Providers::<T>::insert(
				&who,
				ProviderInfo {
					operator: operator.clone(),
					profile,
					ask,
					bond,
					unbonding: BoundedVec::new(),
					status: ProviderStatus::Active,
					serving: BoundedVec::new(),
					active_jobs: 0,
					reputation: PastReputation::<T>::take(&who).unwrap_or_default(),
				},
			);
			Self::deposit_event(Event::ProviderRegistered { provider: who, operator, bond });
			Ok(())
		}

		/// `who` starts serving `model`: the logic of [`Pallet::serve_model`], shared with
		/// genesis.
		pub(crate) fn do_serve_model(
			who: T::AccountId,
			model: ModelId,
			terms: ServingTerms,
		) -> DispatchResult {
			ensure!(T::Models::exists(model), Error::<T>::ModelNotRegistered);
			ensure!(
				terms.is_valid() && terms.max_output_tokens < terms.context_length,
				Error::<T>::BadServingTerms
			);
			Self::mutate_provider(&who, |p| {
				if !p.serving.contains(&model) {
					p.serving.try_push(model).map_err(|_| Error::<T>::TooManyModels)?;
					ensure!(
						SlotCount::<T>::get(model) < T::MaxProvidersPerModel::get(),
						Error::<T>::TooManyProvidersForModel
					);
					Self::add_slot(model, &who, Self::indexed_weight(p));
				}
				Ok(())
			})?;
			Offers::<T>::insert(model, &who, terms);
			Self::deposit_event(Event::ServingModel { provider: who, model, terms });
			Ok(())
		}

		/// Runs `f` on a provider that is not leaving, writing back only on success.
		pub(crate) fn mutate_provider<R>(
			who: &T::AccountId,
			f: impl FnOnce(&mut ProviderOf<T>) -> Result<R, DispatchError>,
		) -> Result<R, DispatchError> {
			Providers::<T>::try_mutate(who, |maybe| {
				let p = maybe.as_mut().ok_or(Error::<T>::NotProvider)?;
				ensure!(p.status != ProviderStatus::Leaving, Error::<T>::NotProvider);
				f(p)
			})
		}

		fn ensure_operator_free(who: &T::AccountId, operator: &T::AccountId) -> DispatchResult {
			ensure!(operator != who, Error::<T>::OperatorIsProvider);
			ensure!(
				!Operators::<T>::contains_key(operator) && !Providers::<T>::contains_key(operator),
				Error::<T>::OperatorInUse
			);
			Ok(())
		}

		/// Records `operator` for `who` and gives the operator account a provider reference.
		fn bind_operator(who: &T::AccountId, operator: &T::AccountId) {
			Operators::<T>::insert(operator, who);
			frame_system::Pallet::<T>::inc_providers(operator);
		}

		/// Forgets `operator` and drops the reference [`Self::bind_operator`] gave it.
		pub(crate) fn unbind_operator(operator: &T::AccountId) {
			Operators::<T>::remove(operator);
			if frame_system::Pallet::<T>::dec_providers(operator).is_err() {
				// Only fails if the account has consumers and no other provider reference,
				// which an operator key with nothing of its own cannot have.
				frame_support::defensive!("operator key had consumers but no other provider");
			}
		}

		pub(crate) fn remove_from_model(model: ModelId, who: &T::AccountId) {
			Offers::<T>::remove(model, who);
			Self::remove_slot(model, who);
		}

		/// Checks the invariants listed in the crate docs (run by `try_state` and after every
		/// unit test).
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			use frame_support::traits::fungible::InspectHold;
			for (who, url) in Endpoints::<T>::iter() {
				ensure!(
					Providers::<T>::get(&who).is_some_and(|p| p.status != ProviderStatus::Leaving),
					"an endpoint of an account that is not an active provider"
				);
				ensure!(valid_endpoint(&url), "an invalid endpoint");
			}
			let reason = HoldReason::ProviderBond.into();
			for (who, p) in Providers::<T>::iter() {
				let unbonding = p
					.unbonding
					.iter()
					.fold(BalanceOf::<T>::zero(), |acc, c| acc.saturating_add(c.amount));
				ensure!(
					T::Currency::balance_on_hold(&reason, &who) == p.bond.saturating_add(unbonding),
					"held bond differs from bond plus unbonding chunks"
				);
				if p.status == ProviderStatus::Leaving {
					ensure!(p.bond.is_zero(), "a leaving provider still has a bond");
					ensure!(p.active_jobs == 0, "a leaving provider has jobs");
					ensure!(p.serving.is_empty(), "a leaving provider serves models");
				} else {
					ensure!(
						Operators::<T>::get(&p.operator).as_ref() == Some(&who),
						"an operator does not map back to its provider"
					);
					for m in p.serving.iter() {
						ensure!(
							SlotOf::<T>::contains_key(m, &who),
							"a served model does not list its provider"
						);
						ensure!(
							Offers::<T>::get(m, &who).is_some_and(|t| t.is_valid()),
							"a served model has no valid terms"
						);
					}
				}
			}
			for (who, answered) in Answered::<T>::iter() {
				let p = Providers::<T>::get(&who).ok_or("answered jobs of no provider")?;
				ensure!(answered > 0, "an empty answered count is stored");
				ensure!(answered <= p.active_jobs, "more jobs answered than in flight");
			}
			for (op, who) in Operators::<T>::iter() {
				let p = Providers::<T>::get(&who).ok_or("an operator points to no provider")?;
				ensure!(p.operator == op, "an operator points to a provider with another key");
				ensure!(!Providers::<T>::contains_key(&op), "an operator key is also a provider");
				ensure!(
					p.status != ProviderStatus::Leaving,
					"a leaving provider kept its operator"
				);
			}
			for (model, who, _) in Offers::<T>::iter() {
				ensure!(
					Providers::<T>::get(&who).is_some_and(|p| p.serving.contains(&model)),
					"terms are kept for a model the provider does not serve"
				);
			}
			for (model, slot, who) in Slots::<T>::iter() {
				let p = Providers::<T>::get(&who).ok_or("a model lists a missing provider")?;
				ensure!(p.serving.contains(&model), "a model lists a provider not serving it");
				ensure!(slot < SlotCount::<T>::get(model), "a slot beyond the model's count");
			}
			for (model, _) in SlotCount::<T>::iter() {
				Self::check_index(model)?;
			}
			Ok(())
		}
	}
}
