//! # Settlement
//!
//! Pays for finished jobs and sessions out of their escrow. The jobs pallet calls [`Pallet`]
//! through [`mosaic_primitives::Settle`] when a job is decided, the sessions pallet when a
//! session is settled; the escrow is held from the user under the caller's hold reason and
//! every unit moves with `transfer_on_hold` or `release`. Events name what was paid for
//! ([`mosaic_primitives::EscrowId`]).
//!
//! For each provider whose output stood, `cost = tokens × price` (its ask, never above the
//! user's bid) is split by [`split::split`] into the model creator's royalty, the protocol fee
//! (the job's own rate, fixed when it was submitted) and the provider's share. The protocol fee
//! goes to [`Config::TreasuryAccount`], except for an answer that audits upheld: then it pays
//! the auditors whose reports upheld it, in equal shares (what the division leaves, to the
//! treasury), so that the work the chain asks of auditors is paid out of the protocol's own
//! fee, at no cost to the user. Whatever is left of the escrow is released to the user. A
//! [`Event::Paid`] or [`Event::Refunded`] event records every movement, and [`Event::Settled`]
//! the receipt.
//!
//! A share that cannot be credited because its recipient would stay below the existential
//! deposit (a reaped creator account receiving a few units, say) goes to the treasury instead,
//! and is reported as such; if even that fails it is refunded to the user. Settlement never
//! fails half-way and never moves more than the escrow.

#![cfg_attr(not(feature = "std"), no_std)]
// Tests may index and do plain arithmetic; runtime code may not.
#![cfg_attr(test, allow(clippy::arithmetic_side_effects, clippy::indexing_slicing))]

extern crate alloc;

pub use pallet::*;

pub mod split;

#[frame_support::pallet]
#[allow(clippy::expect_used)] // FRAME's macro expansion calls `expect` with proofs.
pub mod pallet {
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, Mutate, MutateHold},
			tokens::{Fortitude, Precision, Restriction},
		},
	};
	use mosaic_primitives::{BasisPoints, EscrowId, Payment, Receipt, Settle};
	use sp_runtime::{
		traits::{CheckedDiv, CheckedMul, Saturating, Zero},
		Permill,
	};

	/// The balance type of [`Config::Currency`].
	pub type BalanceOf<T> =
		<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The overarching event type.
		#[allow(deprecated)]
		type RuntimeEvent: From<Event<Self>> + IsType<<Self as frame_system::Config>::RuntimeEvent>;

		/// The currency the escrow is held in.
		type Currency: MutateHold<Self::AccountId> + Mutate<Self::AccountId>;

		/// Receives protocol fees.
		type TreasuryAccount: Get<Self::AccountId>;
	}

	/// Who a payment went to.
	#[derive(
		Clone,
		Copy,
		Encode,
		Decode,
		DecodeWithMemTracking,
		MaxEncodedLen,
		TypeInfo,
		Debug,
		PartialEq,
		Eq,
	)]
	pub enum Payee {
		/// A provider whose output stood.
		Provider,
		/// The model's creator (royalty).
		Creator,
		/// The treasury (protocol fee).
		Treasury,
		/// An auditor whose report upheld the answer (its share of the protocol fee).
		Auditor,
		/// The treasury, for a share its recipient could not receive.
		TreasuryInPlaceOf(PayeeKind),
	}

	/// The original recipient of a share that went to the treasury.
	#[derive(
		Clone,
		Copy,
		Encode,
		Decode,
		DecodeWithMemTracking,
		MaxEncodedLen,
		TypeInfo,
		Debug,
		PartialEq,
		Eq,
	)]
	pub enum PayeeKind {
		Provider,
		Creator,
		Auditor,
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// `amount` moved from the escrow (of a job or a session) to `to`.
		Paid { escrow: EscrowId, to: T::AccountId, payee: Payee, amount: BalanceOf<T> },
		/// `amount` of the escrow was released back to its owner.
		Refunded { escrow: EscrowId, to: T::AccountId, amount: BalanceOf<T> },
		/// The job or session is settled; the receipt sums up every movement.
		Settled { escrow: EscrowId, receipt: Receipt<BalanceOf<T>> },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The payments cost more than the escrow holds.
		EscrowExceeded,
		/// `tokens × price` overflows.
		CostOverflow,
	}

	impl<T: Config> Pallet<T> {
		/// Moves `amount` of `owner`'s held escrow to `to`; returns whether it moved.
		///
		/// `Fortitude::Force`: the escrow was set aside for this job when it was submitted, so a
		/// lock or freeze the owner placed since (a conviction vote locks the whole balance,
		/// held funds included) must not stop it paying — politely, the payment would fail and
		/// the job be refunded in full: a free answer.
		fn pay(
			reason: &<T::Currency as frame_support::traits::fungible::InspectHold<T::AccountId>>::Reason,
			owner: &T::AccountId,
			to: &T::AccountId,
			amount: BalanceOf<T>,
		) -> bool {
			amount.is_zero()
				|| T::Currency::transfer_on_hold(
					reason,
					owner,
					to,
					amount,
					Precision::Exact,
					Restriction::Free,
					Fortitude::Force,
				)
				.is_ok()
		}

		/// Pays the protocol fee `fee`: in equal shares to `auditors` if there are any (each share
		/// an auditor cannot receive, and what the division leaves, to the treasury), else to
		/// the treasury. Returns what was moved; what could not be stays in escrow, for the owner.
		fn pay_fee(
			reason: &<T::Currency as frame_support::traits::fungible::InspectHold<T::AccountId>>::Reason,
			escrow: EscrowId,
			owner: &T::AccountId,
			auditors: &[T::AccountId],
			fee: BalanceOf<T>,
		) -> BalanceOf<T> {
			let share = u32::try_from(auditors.len())
				.ok()
				.and_then(|n| fee.checked_div(&BalanceOf::<T>::from(n)))
				.unwrap_or_else(Zero::zero);
			let mut moved = BalanceOf::<T>::zero();
			let mut rest = fee;
			if !share.is_zero() {
				for auditor in auditors {
					moved.saturating_accrue(Self::pay_or_treasury(
						reason,
						escrow,
						owner,
						auditor,
						PayeeKind::Auditor,
						share,
					));
					rest.saturating_reduce(share);
				}
			}
			let treasury = T::TreasuryAccount::get();
			if !rest.is_zero() && Self::pay(reason, owner, &treasury, rest) {
				Self::deposit_event(Event::Paid {
					escrow,
					to: treasury,
					payee: Payee::Treasury,
					amount: rest,
				});
				moved.saturating_accrue(rest);
			}
			moved
		}

		/// Pays `amount` to `to`, or to the treasury in its place. Returns what was moved.
		fn pay_or_treasury(
			reason: &<T::Currency as frame_support::traits::fungible::InspectHold<T::AccountId>>::Reason,
			escrow: EscrowId,
			owner: &T::AccountId,
			to: &T::AccountId,
			payee: PayeeKind,
			amount: BalanceOf<T>,
		) -> BalanceOf<T> {
			if amount.is_zero() {
				return amount;
			}
			let (to, payee) = if Self::pay(reason, owner, to, amount) {
				(
					to.clone(),
					match payee {
						PayeeKind::Provider => Payee::Provider,
						PayeeKind::Creator => Payee::Creator,
						PayeeKind::Auditor => Payee::Auditor,
					},
				)
			} else {
				let treasury = T::TreasuryAccount::get();
				if !Self::pay(reason, owner, &treasury, amount) {
					// Left in escrow: the final release refunds it to the owner.
					return Zero::zero();
				}
				(treasury, Payee::TreasuryInPlaceOf(payee))
			};
			Self::deposit_event(Event::Paid { escrow, to, payee, amount });
			amount
		}
	}

	impl<T: Config>
		Settle<
			T::AccountId,
			BalanceOf<T>,
			<T::Currency as frame_support::traits::fungible::InspectHold<T::AccountId>>::Reason,
		> for Pallet<T>
	{
		fn settle(
			reason: &<T::Currency as frame_support::traits::fungible::InspectHold<T::AccountId>>::Reason,
			what: EscrowId,
			owner: &T::AccountId,
			escrow: BalanceOf<T>,
			creator: &T::AccountId,
			royalty_bps: BasisPoints,
			fee_rate: Permill,
			payments: &[Payment<T::AccountId, BalanceOf<T>>],
			auditors: &[T::AccountId],
		) -> Result<Receipt<BalanceOf<T>>, DispatchError> {
			// Check everything before moving anything: settlement is all or nothing.
			let mut total = BalanceOf::<T>::zero();
			let mut costs = alloc::vec::Vec::with_capacity(payments.len());
			for p in payments {
				let cost = p
					.price
					.checked_mul(&BalanceOf::<T>::from(p.tokens))
					.ok_or(Error::<T>::CostOverflow)?;
				total = total.checked_add(&cost).ok_or(Error::<T>::CostOverflow)?;
				costs.push(cost);
			}
			ensure!(total <= escrow, Error::<T>::EscrowExceeded);

			let mut receipt = Receipt::<BalanceOf<T>>::default();
			for (p, cost) in payments.iter().zip(costs) {
				let s = crate::split::split(cost, royalty_bps, fee_rate);
				let royalty = Self::pay_or_treasury(
					reason,
					what,
					owner,
					creator,
					PayeeKind::Creator,
					s.royalty,
				);
				let fee = Self::pay_fee(reason, what, owner, auditors, s.protocol_fee);
				let provider = Self::pay_or_treasury(
					reason,
					what,
					owner,
					&p.provider,
					PayeeKind::Provider,
					s.provider,
				);
				receipt.royalty.saturating_accrue(royalty);
				receipt.protocol_fee.saturating_accrue(fee);
				receipt.providers.saturating_accrue(provider);
			}
			receipt.paid = receipt
				.royalty
				.saturating_add(receipt.protocol_fee)
				.saturating_add(receipt.providers);
			let rest = escrow.saturating_sub(receipt.paid);
			receipt.refund = T::Currency::release(reason, owner, rest, Precision::BestEffort)?;
			if receipt.refund != rest {
				frame_support::defensive!("the escrow held less than the job recorded");
			}
			if !receipt.refund.is_zero() {
				Self::deposit_event(Event::Refunded {
					escrow: what,
					to: owner.clone(),
					amount: receipt.refund,
				});
			}
			Self::deposit_event(Event::Settled { escrow: what, receipt: receipt.clone() });
			Ok(receipt)
		}
	}
}
