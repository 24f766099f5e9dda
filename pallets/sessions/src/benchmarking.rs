//! Benchmarks of the sessions pallet (benchmarks v2), each at its worst case: a voucher and a
//! root posted by the provider's operator key (its signature verified, the operator looked
//! up), a settlement that pays the provider, the royalty and the fee and refunds the rest.
//! `open_session` runs in a market of one; its draw is charged on top at its worst
//! (`DrawProvider::draw_weight`).

// Set-up code: a failure is a bug in the benchmark and must abort it.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::arithmetic_side_effects)]

use super::*;
use crate::pallet::{BalanceOf, Call, Config, Pallet, SessionKeyOf, Sessions};
use frame_benchmarking::v2::*;
use frame_support::traits::{fungible::Mutate, Get};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use mosaic_primitives::{ModelId, ProviderRegistry, SessionId};
use sp_core::H256;
use sp_runtime::traits::Saturating;

/// What the runtime provides the benchmarks: a market, session keys and operator keys that
/// sign.
pub trait BenchmarkHelper<AccountId, Key, Signature, Attestation> {
	/// Registers a model and one provider serving it (asking 1 a token, terms that cover
	/// any request), with an operator key; returns the model.
	fn setup_market() -> ModelId;
	/// A new session key that [`Self::sign`] signs with.
	fn session_key() -> Key;
	/// `key`'s signature over `message`.
	fn sign(key: &Key, message: &[u8]) -> Signature;
	/// The signature of `provider`'s operator key over `message`.
	fn operator_sign(provider: &AccountId, message: &[u8]) -> Attestation;
}

fn funded<T: Config>() -> T::AccountId {
	let who: T::AccountId = account("owner", 0, 0);
	let _ = T::Currency::set_balance(
		&who,
		BalanceOf::<T>::from(u32::MAX).saturating_mul(1_000_000u32.into()),
	);
	who
}

fn limits<T: Config>() -> SessionLimits {
	SessionLimits { prompt_tokens: 1_000, max_tokens: 1_000u32.min(T::MaxOutputTokens::get()) }
}

fn budget<T: Config>() -> BalanceOf<T> {
	BalanceOf::<T>::from(1_000_000_000u32)
}

/// A session of `owner` on a fresh market, with its key.
fn open<T: Config>(owner: &T::AccountId) -> (SessionId, SessionKeyOf<T>) {
	let model = T::BenchmarkHelper::setup_market();
	let key = T::BenchmarkHelper::session_key();
	let id = Pallet::<T>::do_open(
		owner.clone(),
		model,
		budget::<T>(),
		1_000u32.into(),
		T::MinLifetime::get(),
		limits::<T>(),
		key.clone(),
	)
	.expect("the market takes a session");
	(id, key)
}

/// A voucher for request `seq` owing `tokens`, signed by `key`.
fn voucher<T: Config>(
	id: SessionId,
	key: &SessionKeyOf<T>,
	seq: u32,
	tokens: u32,
) -> (Voucher, T::SessionSignature) {
	let s = Sessions::<T>::get(id).unwrap();
	let v = Voucher { seq, tokens, log: H256::repeat_byte(seq as u8) };
	let bytes = voucher_signing_bytes(Pallet::<T>::genesis(), id, &s.provider, &v);
	(v, T::BenchmarkHelper::sign(key, &bytes))
}

/// The operator key of the session's provider (the costlier origin to check).
fn operator<T: Config>(id: SessionId) -> T::AccountId {
	let s = Sessions::<T>::get(id).unwrap();
	T::Providers::operator(&s.provider).unwrap()
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn open_session() {
		let model = T::BenchmarkHelper::setup_market();
		let owner = funded::<T>();
		let key = T::BenchmarkHelper::session_key();
		#[extrinsic_call]
		_(
			RawOrigin::Signed(owner),
			model,
			budget::<T>(),
			1_000u32.into(),
			T::MinLifetime::get(),
			limits::<T>(),
			key,
		);
		assert!(Sessions::<T>::contains_key(0));
	}

	#[benchmark]
	fn top_up() {
		let owner = funded::<T>();
		let (id, _) = open::<T>(&owner);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), id, 1_000u32.into());
		assert_eq!(Sessions::<T>::get(id).unwrap().budget, budget::<T>() + 1_000u32.into());
	}

	#[benchmark]
	fn post_voucher() {
		let owner = funded::<T>();
		let (id, key) = open::<T>(&owner);
		let (first, signature) = voucher::<T>(id, &key, 1, 10);
		Pallet::<T>::post_voucher(RawOrigin::Signed(owner).into(), id, first, signature, None)
			.unwrap();
		let (v, signature) = voucher::<T>(id, &key, 2, 20);
		let operator = operator::<T>(id);
		#[extrinsic_call]
		_(RawOrigin::Signed(operator), id, v, signature, Some(H256::repeat_byte(1)));
		assert_eq!(Sessions::<T>::get(id).unwrap().voucher, Some(v));
	}

	#[benchmark]
	fn close_session() {
		let owner = funded::<T>();
		let (id, key) = open::<T>(&owner);
		let (first, signature) = voucher::<T>(id, &key, 1, 10);
		Pallet::<T>::post_voucher(RawOrigin::Signed(owner).into(), id, first, signature, None)
			.unwrap();
		let (v, signature) = voucher::<T>(id, &key, 2, 20);
		let operator = operator::<T>(id);
		#[extrinsic_call]
		_(RawOrigin::Signed(operator), id, Some((v, signature)), Some(H256::repeat_byte(1)));
		assert!(matches!(Sessions::<T>::get(id).unwrap().state, SessionState::Closing { .. }));
	}

	/// The owner closed on an older voucher; the provider's node commits a later one and the
	/// root (two signatures checked, the operator looked up).
	#[benchmark]
	fn commit_session() {
		let owner = funded::<T>();
		let (id, key) = open::<T>(&owner);
		let (first, signature) = voucher::<T>(id, &key, 1, 10);
		Pallet::<T>::close_session(
			RawOrigin::Signed(owner).into(),
			id,
			Some((first, signature)),
			None,
		)
		.unwrap();
		let (v, signature) = voucher::<T>(id, &key, 2, 20);
		let root = H256::repeat_byte(1);
		let provider = Sessions::<T>::get(id).unwrap().provider;
		let bytes = commit_signing_bytes(Pallet::<T>::genesis(), id, Some(&v), root);
		let attestation = T::BenchmarkHelper::operator_sign(&provider, &bytes);
		#[extrinsic_call]
		_(RawOrigin::Authorized, id, Some((v, signature)), root, attestation);
		assert_eq!(Sessions::<T>::get(id).unwrap().root, Some(root));
	}

	#[benchmark]
	fn settle_session() {
		let owner = funded::<T>();
		let (id, key) = open::<T>(&owner);
		let (v, signature) = voucher::<T>(id, &key, 1, 100);
		Pallet::<T>::close_session(
			RawOrigin::Signed(owner.clone()).into(),
			id,
			Some((v, signature)),
			None,
		)
		.unwrap();
		let due: BlockNumberFor<T> =
			frame_system::Pallet::<T>::block_number().saturating_add(T::ClosingWindow::get());
		frame_system::Pallet::<T>::set_block_number(due);
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), id);
		assert!(!Sessions::<T>::contains_key(id));
	}
}
