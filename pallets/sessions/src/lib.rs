//! # Sessions
//!
//! One escrow for many requests. A job is a transaction per request; a session is two or
//! three for as many requests as its budget pays: the chain draws the provider and holds the
//! money, the requests go to the provider's node directly, and the owner pays for each with a
//! voucher its session key signs off chain. The chain settles the highest voucher exactly as a
//! job's payment (provider, creator's royalty, protocol fee) and refunds the rest.
//!
//! ## A session, from opening to settlement
//!
//! 1. **Opening** — [`Pallet::open_session`]`(model, budget, max_price, lifetime, limits,
//!    key)`. The provider is drawn exactly as a job's executor
//!    ([`mosaic_primitives::DrawProvider`]: ask within `max_price`, declared terms covering
//!    every request of `limits` in time, room, weighted by bond × reputation, the owner never
//!    drawn). The session copies the provider's ask (its price per token for the whole
//!    session), the model's hash, creator and royalty and the protocol fee. The budget (at
//!    least one request at its limits) and [`Config::SessionDeposit`] are held from the owner
//!    in one hold under [`HoldReason::Session`]. `key` is the public key that will sign the
//!    vouchers: the owner's wallet signs once, the key (in a browser or the gateway) signs
//!    every request.
//! 2. **Requests** (off chain) — the owner sends request `n` to the provider's node
//!    (`mosaic_sessionRequest`) with a voucher for it: `(seq n, tokens owed in all, log)`
//!    signed by the session key over [`voucher_signing_bytes`]. The owner pre-pays: the voucher
//!    owes every token of the receipts so far plus this request's `max_tokens` (and never less
//!    than an earlier voucher), and names the log after receipt `n - 1`. The node runs the
//!    request only with such a voucher, so the provider never works unpaid; the owner signs
//!    `n + 1` only after receipt `n`, so it loses at most what one request left unused of its
//!    `max_tokens`. The log is a hash chain of [`LogEntry`]s (request and output hashes,
//!    tokens), from [`log_start`] by [`log_after`]; each receipt, signed by the operator key
//!    over [`receipt_signing_bytes`], names the log after it, and the log's last value,
//!    committed by the provider, is the session's attestation. No prompt or output byte goes
//!    on chain.
//! 3. **Top-up** — [`Pallet::top_up`] holds more budget while the session is open.
//! 4. **Closing** — [`Pallet::close_session`] by the owner or the provider (its cold account or
//!    operator key), with the latest voucher it has and, from the provider, the log's root.
//!    [`Config::ClosingWindow`] blocks follow in which the provider may post a later voucher
//!    ([`Pallet::post_voucher`]): an owner who closes on an old voucher gains nothing.
//!    A session nobody closes stops at its expiry; vouchers may be posted until
//!    [`Config::Grace`] blocks after it. The provider's node answers a close (or an expiry) on
//!    its own with [`Pallet::commit_session`]: the voucher of the last request it served, if
//!    it is above the one posted, and the log's root, signed by its operator key — an
//!    authorized transaction (no fee: the operator key holds no funds), once per session.
//! 5. **Settlement** — [`Pallet::settle_session`], by anyone (signed, or as an authorized
//!    transaction with no fee once due, so the provider's node settles too), once the closing window has
//!    passed (or the grace period after expiry): `tokens × price` of the highest voucher,
//!    capped at the budget, is paid through `pallet_mosaic_settlement` (provider, royalty,
//!    fee, with the session's rates as of opening), the rest of the budget and the deposit
//!    return to the owner, and the session leaves state. The owner can always get its money
//!    back this way: nothing is stuck if the provider disappears.
//!
//! A voucher counts only if its session key's signature verifies and it is above the one
//! posted before: more `tokens`, or as many at a later `seq`. What a voucher owes comes first
//! because the owner's key signs every voucher: one with a huge `seq` and few tokens must not
//! shut out the provider's that owes more. Anyone may relay a voucher (only the provider gains
//! by it). What a session does not do yet: its requests are not audited (a session's provider
//! stakes its bond on jobs only), and its open sessions do not count against the provider's
//! concurrency or keep it from leaving.
//!
//! ## Invariants (checked by `try_state`)
//!
//! 1. For every account, the balance held under [`HoldReason::Session`] equals the budget
//!    and deposit of its sessions.
//! 2. Every session's id is below [`NextSessionId`], and its budget pays at least one request
//!    at its limits and its price.
//! 3. A closing session's window ends at most [`Config::ClosingWindow`] blocks from now.

#![cfg_attr(not(feature = "std"), no_std)]
// Tests may index and do plain arithmetic; runtime code may not.
#![cfg_attr(test, allow(clippy::arithmetic_side_effects, clippy::indexing_slicing))]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(feature = "runtime-benchmarks")]
pub use benchmarking::BenchmarkHelper;
mod commit;
#[cfg(test)]
mod mock;
mod settlement;
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
		traits::fungible::{Inspect, Mutate, MutateHold},
	};
	use frame_system::{ensure_authorized, pallet_prelude::*};
	use mosaic_primitives::{
		DrawProvider, ModelId, ModelRegistry, ModelUnavailable, NoProvider, ProviderRegistry,
		Receipt, SessionId, Settle,
	};
	use sp_core::H256;
	use sp_runtime::{
		traits::{CheckedMul, IdentifyAccount, Saturating, Verify},
		Permill,
	};

	/// The balance type of [`Config::Currency`].
	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;
	/// The public key type of session keys.
	pub type SessionKeyOf<T> =
		<<<T as Config>::SessionSignature as Verify>::Signer as IdentifyAccount>::AccountId;
	/// A session of this runtime.
	pub type SessionOf<T> = Session<
		<T as frame_system::Config>::AccountId,
		BalanceOf<T>,
		BlockNumberFor<T>,
		SessionKeyOf<T>,
	>;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The overarching event type.
		#[allow(deprecated)]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;

		/// The currency the budget is held in.
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ Mutate<Self::AccountId>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason> + Parameter + MaxEncodedLen;

		/// The model registry.
		type Models: ModelRegistry<Self::AccountId>;

		/// The provider registry (who a provider's operator key is).
		type Providers: ProviderRegistry<Self::AccountId, BalanceOf<Self>>;

		/// Draws a session's provider (the jobs pallet's executor draw).
		type Draw: DrawProvider<Self::AccountId, BalanceOf<Self>>;

		/// Pays out a settled session's budget.
		type Settlement: Settle<Self::AccountId, BalanceOf<Self>, Self::RuntimeHoldReason>;

		/// The treasury's share of each payment (the jobs' own parameter). A session keeps the
		/// rate it opened with.
		#[pallet::constant]
		type ProtocolFee: Get<Permill>;

		/// The signature of operator keys over commitments (the jobs' attestation signature).
		type AttestationSignature: Verify<Signer: IdentifyAccount<AccountId = Self::AccountId>>
			+ Parameter;

		/// The signature of session keys over vouchers (sr25519 in the runtime); its signer
		/// is the key a session registers.
		type SessionSignature: Verify<Signer: IdentifyAccount<AccountId: Parameter + MaxEncodedLen>>
			+ Parameter
			+ MaxEncodedLen;

		/// Most tokens one request may generate (the jobs' bound).
		#[pallet::constant]
		type MaxOutputTokens: Get<u32>;

		/// The shortest lifetime a session may ask, in blocks.
		#[pallet::constant]
		type MinLifetime: Get<BlockNumberFor<Self>>;

		/// The longest lifetime a session may ask, in blocks.
		#[pallet::constant]
		type MaxLifetime: Get<BlockNumberFor<Self>>;

		/// Blocks between a close and the settlement, in which the provider may post a later
		/// voucher.
		#[pallet::constant]
		type ClosingWindow: Get<BlockNumberFor<Self>>;

		/// Blocks after an unclosed session's expiry in which vouchers may still be posted.
		#[pallet::constant]
		type Grace: Get<BlockNumberFor<Self>>;

		/// Held from the owner for the state a session takes; returned at settlement.
		#[pallet::constant]
		type SessionDeposit: Get<BalanceOf<Self>>;

		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;

		/// Sets up a market and signs vouchers for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: crate::BenchmarkHelper<
			Self::AccountId,
			SessionKeyOf<Self>,
			Self::SessionSignature,
			Self::AttestationSignature,
		>;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// What sessions hold from their owner, in one hold: each session's budget and deposit.
		#[codec(index = 0)]
		Session,
	}

	/// The id the next session gets.
	#[pallet::storage]
	pub type NextSessionId<T> = StorageValue<_, SessionId, ValueQuery>;

	/// Sessions, open or closing; settled ones are removed. `Twox64Concat`: ids are assigned
	/// sequentially by the pallet.
	#[pallet::storage]
	pub type Sessions<T: Config> = StorageMap<_, Twox64Concat, SessionId, SessionOf<T>>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A session opened: `provider` serves `model` for `owner` at `price` per token until
		/// `expires`; `budget` and `deposit` are held.
		SessionOpened {
			session: SessionId,
			owner: T::AccountId,
			provider: T::AccountId,
			model: ModelId,
			price: BalanceOf<T>,
			budget: BalanceOf<T>,
			deposit: BalanceOf<T>,
			expires: BlockNumberFor<T>,
		},
		/// The owner added `amount` to the budget, now `budget`.
		ToppedUp { session: SessionId, amount: BalanceOf<T>, budget: BalanceOf<T> },
		/// A voucher was accepted: `tokens` owed in all after request `seq`.
		VoucherPosted { session: SessionId, seq: u32, tokens: u32 },
		/// The provider committed the root of its log (the session's attestation).
		LogCommitted { session: SessionId, root: H256 },
		/// `by` closed the session; it can be settled from block `ends`.
		SessionClosing { session: SessionId, by: T::AccountId, ends: BlockNumberFor<T> },
		/// The session was settled and left state: `tokens` paid at its price (`receipt`), the
		/// rest and the deposit returned to the owner.
		SessionSettled {
			session: SessionId,
			tokens: u32,
			log: Option<H256>,
			root: Option<H256>,
			receipt: Receipt<BalanceOf<T>>,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No model has this id.
		ModelNotRegistered,
		/// The model is deprecated and takes no new work.
		ModelDeprecated,
		/// The price ceiling is zero.
		ZeroPrice,
		/// A request's `max_tokens` is zero.
		ZeroMaxTokens,
		/// A request's `max_tokens` is above `MaxOutputTokens`.
		MaxTokensTooLarge,
		/// A request at the limits (prompt + 2 + `max_tokens`) would not fit the model's
		/// context window.
		ExceedsContext,
		/// The lifetime is below `MinLifetime` or above `MaxLifetime`.
		BadLifetime,
		/// The budget does not pay for one request at the limits at the drawn provider's
		/// price: raise it, or lower `max_tokens`.
		BudgetBelowOneRequest,
		/// Providers serve this model, but every ask is above the ceiling: offer more.
		PriceBelowEveryAsk,
		/// No provider can take a session of this model now.
		NoEligibleProvider,
		/// Providers serve this model, but none declares terms that cover a request at these
		/// limits.
		NoProviderCovers,
		/// The owner cannot hold the budget and the deposit (or the top-up).
		InsufficientBalance,
		/// `max_tokens × price` overflows.
		BudgetOverflow,
		/// All session ids are used.
		SessionIdsExhausted,
		/// No session has this id.
		SessionNotFound,
		/// Only the session's owner may do this.
		NotOwner,
		/// Only the session's owner or provider (its account or operator key) may do this.
		NotParty,
		/// Only the session's provider (its account or operator key) may commit its log.
		NotProvider,
		/// The session is closing: it takes no top-up and no second close.
		SessionClosing,
		/// The session has expired: it takes no top-up and serves nothing more.
		SessionExpired,
		/// Too late for this session: its closing window, or the grace after its expiry, is
		/// over; it can only be settled.
		TooLate,
		/// The voucher's signature does not verify against the session key.
		BadVoucher,
		/// The voucher owes fewer tokens than the one posted, or as many at no later `seq`.
		StaleVoucher,
		/// The session cannot be settled yet: it is open and not past its grace period, or
		/// its closing window has not ended.
		NotDue,
		/// The provider has committed this session's log already (once per session).
		AlreadyCommitted,
		/// A commitment comes once the session is closing or has expired.
		NotEnded,
		/// The commitment is not signed by the current operator key of the session's provider.
		BadAttestation,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(
				T::MinLifetime::get() <= T::MaxLifetime::get(),
				"no lifetime is both long and short enough"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Opens a session: draws its provider and holds its budget.
		///
		/// - Origin: signed, the owner who pays.
		/// - `max_price`: the most the owner pays per output token; the session's price is the
		///   drawn provider's ask. `lifetime`: blocks it serves. `limits`: the most one
		///   request may ask. `key`: the session key, which signs the vouchers.
		/// - Holds `budget` and [`Config::SessionDeposit`] under [`HoldReason::Session`].
		/// - Emits [`Event::SessionOpened`].
		/// - Errors: [`Error::ModelNotRegistered`], [`Error::ModelDeprecated`],
		///   [`Error::ZeroPrice`], [`Error::ZeroMaxTokens`], [`Error::MaxTokensTooLarge`],
		///   [`Error::ExceedsContext`], [`Error::BadLifetime`], [`Error::PriceBelowEveryAsk`],
		///   [`Error::NoEligibleProvider`], [`Error::NoProviderCovers`],
		///   [`Error::BudgetOverflow`], [`Error::BudgetBelowOneRequest`],
		///   [`Error::InsufficientBalance`], [`Error::SessionIdsExhausted`].
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::open_session().saturating_add(T::Draw::draw_weight()))]
		pub fn open_session(
			origin: OriginFor<T>,
			model: ModelId,
			budget: BalanceOf<T>,
			max_price: BalanceOf<T>,
			lifetime: BlockNumberFor<T>,
			limits: SessionLimits,
			key: SessionKeyOf<T>,
		) -> DispatchResult {
			let owner = ensure_signed(origin)?;
			Self::do_open(owner, model, budget, max_price, lifetime, limits, key).map(|_| ())
		}

		/// Adds `amount` to an open session's budget.
		///
		/// - Origin: signed, the session's owner.
		/// - Holds `amount` under [`HoldReason::Session`].
		/// - Emits [`Event::ToppedUp`].
		/// - Errors: [`Error::SessionNotFound`], [`Error::NotOwner`],
		///   [`Error::SessionClosing`], [`Error::SessionExpired`],
		///   [`Error::InsufficientBalance`].
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::top_up())]
		pub fn top_up(
			origin: OriginFor<T>,
			session: SessionId,
			amount: BalanceOf<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Sessions::<T>::try_mutate(session, |s| {
				let s = s.as_mut().ok_or(Error::<T>::SessionNotFound)?;
				ensure!(s.owner == who, Error::<T>::NotOwner);
				ensure!(s.state == SessionState::Open, Error::<T>::SessionClosing);
				ensure!(Self::now() < s.expires, Error::<T>::SessionExpired);
				T::Currency::hold(&HoldReason::Session.into(), &who, amount)
					.map_err(|_| Error::<T>::InsufficientBalance)?;
				s.budget = s.budget.saturating_add(amount);
				Self::deposit_event(Event::ToppedUp { session, amount, budget: s.budget });
				Ok(())
			})
		}

		/// Posts a voucher, and from the provider the root of its log: the chain keeps the
		/// highest voucher (settlement pays it).
		///
		/// - Origin: signed, anyone (only the provider gains by a later voucher); a `root`
		///   only from the provider's account or operator key.
		/// - Allowed until the session's closing window ends, or the grace period after its
		///   expiry if it was not closed.
		/// - Emits [`Event::VoucherPosted`], and [`Event::LogCommitted`] for a root.
		/// - Errors: [`Error::SessionNotFound`], [`Error::TooLate`], [`Error::BadVoucher`],
		///   [`Error::StaleVoucher`], [`Error::NotProvider`].
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::post_voucher())]
		pub fn post_voucher(
			origin: OriginFor<T>,
			session: SessionId,
			voucher: Voucher,
			signature: T::SessionSignature,
			root: Option<H256>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Sessions::<T>::try_mutate(session, |s| {
				let s = s.as_mut().ok_or(Error::<T>::SessionNotFound)?;
				ensure!(Self::takes_vouchers(s), Error::<T>::TooLate);
				Self::take_voucher(session, s, &voucher, &signature)?;
				Self::take_root(session, s, &who, root)
			})
		}

		/// Closes a session: it serves nothing more, and is settled once
		/// [`Config::ClosingWindow`] blocks have passed, in which the provider may post a later
		/// voucher.
		///
		/// - Origin: signed, the owner, or the provider (its account or operator key).
		/// - `voucher`: the latest the closer has (the owner need not send one); `root`: the
		///   provider's log root (only from the provider).
		/// - Emits [`Event::SessionClosing`] (and those of `post_voucher` for what it carries).
		/// - Errors: [`Error::SessionNotFound`], [`Error::NotParty`],
		///   [`Error::SessionClosing`], [`Error::TooLate`], and those of `post_voucher`.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::close_session())]
		pub fn close_session(
			origin: OriginFor<T>,
			session: SessionId,
			voucher: Option<(Voucher, T::SessionSignature)>,
			root: Option<H256>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Sessions::<T>::try_mutate(session, |s| {
				let s = s.as_mut().ok_or(Error::<T>::SessionNotFound)?;
				ensure!(s.owner == who || Self::is_provider(s, &who), Error::<T>::NotParty);
				ensure!(s.state == SessionState::Open, Error::<T>::SessionClosing);
				ensure!(Self::takes_vouchers(s), Error::<T>::TooLate);
				if let Some((voucher, signature)) = voucher {
					Self::take_voucher(session, s, &voucher, &signature)?;
				}
				Self::take_root(session, s, &who, root)?;
				let ends = Self::now().saturating_add(T::ClosingWindow::get());
				s.state = SessionState::Closing { ends };
				Self::deposit_event(Event::SessionClosing { session, by: who.clone(), ends });
				Ok(())
			})
		}

		/// Settles a session that is due: pays its highest voucher (capped at the budget) as
		/// a job's payment is split, returns the rest and the deposit to the owner, and removes
		/// it.
		///
		/// - Origin: signed, anyone.
		/// - Due: closed and its closing window over, or never closed and
		///   [`Config::Grace`] blocks past its expiry.
		/// - Emits the settlement pallet's payments, then [`Event::SessionSettled`].
		/// - Errors: [`Error::SessionNotFound`], [`Error::NotDue`].
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::settle_session())]
		#[pallet::authorize(Pallet::<T>::authorize_settle)]
		#[pallet::weight_of_authorize(T::DbWeight::get().reads(2))]
		pub fn settle_session(origin: OriginFor<T>, session: SessionId) -> DispatchResult {
			if ensure_signed(origin.clone()).is_err() {
				ensure_authorized(origin)?;
			}
			Self::do_settle(session)
		}

		/// The provider's commitment: the log's root (the log after the last request it
		/// served) and the voucher that paid for that request, if it is above the one posted.
		/// Sent by the provider's node on its own when the session closes or expires.
		///
		/// - Origin: an authorized transaction (no signer, nonce or fee): the pool accepts it
		///   only while [`Pallet::check_commit`] passes — the session is closing or expired and
		///   still takes vouchers, has no root yet, and `signature` is the provider's current
		///   operator key's over [`commit_signing_bytes`]`(genesis, session, voucher, root)` —
		///   and the voucher, if any, would be taken. Once per session, so it costs the chain
		///   at most one such transaction per session. Anyone may relay it.
		/// - Emits [`Event::VoucherPosted`] (for a voucher) and [`Event::LogCommitted`].
		/// - Errors: [`Error::SessionNotFound`], [`Error::TooLate`], [`Error::AlreadyCommitted`],
		///   [`Error::NotEnded`], [`Error::BadAttestation`], [`Error::BadVoucher`],
		///   [`Error::StaleVoucher`].
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::commit_session())]
		#[pallet::authorize(Pallet::<T>::authorize_commit)]
		// Checking is a subset of dispatching: the dispatch's weight bounds it.
		#[pallet::weight_of_authorize(T::WeightInfo::commit_session())]
		pub fn commit_session(
			origin: OriginFor<T>,
			session: SessionId,
			voucher: Option<(Voucher, T::SessionSignature)>,
			root: H256,
			signature: T::AttestationSignature,
		) -> DispatchResult {
			ensure_authorized(origin)?;
			Self::do_commit(session, voucher, root, &signature)
		}
	}

	impl<T: Config> Pallet<T> {
		pub(crate) fn now() -> BlockNumberFor<T> {
			frame_system::Pallet::<T>::block_number()
		}

		/// This chain's genesis hash, as vouchers carry it.
		pub fn genesis() -> H256 {
			let hash = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::default());
			H256::decode(&mut hash.as_ref()).unwrap_or_default()
		}

		/// The logic of [`Pallet::open_session`]. Returns the new session's id.
		pub(crate) fn do_open(
			owner: T::AccountId,
			model: ModelId,
			budget: BalanceOf<T>,
			max_price: BalanceOf<T>,
			lifetime: BlockNumberFor<T>,
			limits: SessionLimits,
			key: SessionKeyOf<T>,
		) -> Result<SessionId, DispatchError> {
			use sp_runtime::traits::Zero;
			let terms = T::Models::terms_for_new_job(model).map_err(|e| match e {
				ModelUnavailable::Unknown => Error::<T>::ModelNotRegistered,
				ModelUnavailable::Deprecated => Error::<T>::ModelDeprecated,
			})?;
			ensure!(!max_price.is_zero(), Error::<T>::ZeroPrice);
			ensure!(limits.max_tokens > 0, Error::<T>::ZeroMaxTokens);
			ensure!(limits.max_tokens <= T::MaxOutputTokens::get(), Error::<T>::MaxTokensTooLarge);
			let needs = limits.needs();
			ensure!(
				needs.context_tokens() <= u64::from(terms.context_length),
				Error::<T>::ExceedsContext
			);
			ensure!(
				T::MinLifetime::get() <= lifetime && lifetime <= T::MaxLifetime::get(),
				Error::<T>::BadLifetime
			);
			let session = NextSessionId::<T>::get();
			let next = session.checked_add(1).ok_or(Error::<T>::SessionIdsExhausted)?;
			let drawn = T::Draw::draw_provider(
				&owner,
				model,
				max_price,
				&needs,
				&(b"session", session).encode(),
			)
			.map_err(|e| match e {
				NoProvider::BidBelowEveryAsk => Error::<T>::PriceBelowEveryAsk,
				NoProvider::NoneEligible => Error::<T>::NoEligibleProvider,
				NoProvider::NotCovered => Error::<T>::NoProviderCovers,
			})?;
			let price = drawn.ask.min(max_price);
			let one_request = price
				.checked_mul(&BalanceOf::<T>::from(limits.max_tokens))
				.ok_or(Error::<T>::BudgetOverflow)?;
			ensure!(budget >= one_request, Error::<T>::BudgetBelowOneRequest);
			let deposit = T::SessionDeposit::get();
			let held = budget.checked_add(&deposit).ok_or(Error::<T>::BudgetOverflow)?;
			T::Currency::hold(&HoldReason::Session.into(), &owner, held)
				.map_err(|_| Error::<T>::InsufficientBalance)?;
			let expires = Self::now().saturating_add(lifetime);
			NextSessionId::<T>::put(next);
			Sessions::<T>::insert(
				session,
				Session {
					owner: owner.clone(),
					provider: drawn.provider.clone(),
					model,
					model_hash: terms.content_hash,
					key,
					price,
					creator: terms.creator,
					royalty_bps: terms.royalty_bps,
					protocol_fee: T::ProtocolFee::get(),
					limits,
					budget,
					deposit,
					expires,
					voucher: None,
					root: None,
					state: SessionState::Open,
				},
			);
			Self::deposit_event(Event::SessionOpened {
				session,
				owner,
				provider: drawn.provider,
				model,
				price,
				budget,
				deposit,
				expires,
			});
			Ok(session)
		}

		/// Whether `who` is the session's provider: its account, or its current operator key.
		pub(crate) fn is_provider(s: &SessionOf<T>, who: &T::AccountId) -> bool {
			*who == s.provider || T::Providers::provider_of(who).as_ref() == Some(&s.provider)
		}

		/// Whether the session still takes vouchers: before its closing window ends, or, if
		/// never closed, before the grace after its expiry ends.
		pub(crate) fn takes_vouchers(s: &SessionOf<T>) -> bool {
			Self::now() < Self::due_at(s)
		}

		/// The first block at which the session may be settled.
		pub(crate) fn due_at(s: &SessionOf<T>) -> BlockNumberFor<T> {
			match s.state {
				SessionState::Open => s.expires.saturating_add(T::Grace::get()),
				SessionState::Closing { ends } => ends,
			}
		}

		/// Checks `voucher` for session `id` and keeps it as the session's highest.
		pub(crate) fn take_voucher(
			id: SessionId,
			s: &mut SessionOf<T>,
			voucher: &Voucher,
			signature: &T::SessionSignature,
		) -> DispatchResult {
			Self::check_voucher(id, s, voucher, signature)?;
			s.voucher = Some(*voucher);
			Self::deposit_event(Event::VoucherPosted {
				session: id,
				seq: voucher.seq,
				tokens: voucher.tokens,
			});
			Ok(())
		}

		/// Whether `voucher` is signed by `s`'s session key and above the one posted.
		pub(crate) fn check_voucher(
			id: SessionId,
			s: &SessionOf<T>,
			voucher: &Voucher,
			signature: &T::SessionSignature,
		) -> DispatchResult {
			let bytes = voucher_signing_bytes(Self::genesis(), id, &s.provider, voucher);
			ensure!(signature.verify(bytes.as_slice(), &s.key), Error::<T>::BadVoucher);
			// Ordered by what they owe, then by request: the owner's key signs every voucher,
			// so a voucher with a huge `seq` and few tokens must not shut out a later one that
			// owes more.
			if let Some(best) = s.voucher {
				ensure!(
					(voucher.tokens, voucher.seq) > (best.tokens, best.seq),
					Error::<T>::StaleVoucher
				);
			}
			Ok(())
		}

		/// Keeps `root` as the session's log root if `who` is its provider.
		fn take_root(
			id: SessionId,
			s: &mut SessionOf<T>,
			who: &T::AccountId,
			root: Option<H256>,
		) -> DispatchResult {
			let Some(root) = root else { return Ok(()) };
			ensure!(Self::is_provider(s, who), Error::<T>::NotProvider);
			s.root = Some(root);
			Self::deposit_event(Event::LogCommitted { session: id, root });
			Ok(())
		}

		/// Checks the invariants listed in the crate docs (run by `try_state` and after every
		/// unit test).
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			use alloc::collections::btree_map::BTreeMap;
			use frame_support::traits::fungible::InspectHold;
			let next = NextSessionId::<T>::get();
			let mut held: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
			for (id, s) in Sessions::<T>::iter() {
				ensure!(id < next, "a session id is not below NextSessionId");
				let one = s.price.saturating_mul(s.limits.max_tokens.into());
				ensure!(s.budget >= one, "a session's budget pays less than one request");
				if let SessionState::Closing { ends } = s.state {
					ensure!(
						ends <= Self::now().saturating_add(T::ClosingWindow::get()),
						"a closing window ends too late"
					);
				}
				held.entry(s.owner.clone())
					.or_default()
					.saturating_accrue(s.budget.saturating_add(s.deposit));
			}
			for (who, sum) in held {
				ensure!(
					T::Currency::balance_on_hold(&HoldReason::Session.into(), &who) == sum,
					"held session funds differ from the sessions' budgets and deposits"
				);
			}
			Ok(())
		}
	}
}
