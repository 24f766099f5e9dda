//! What a provider's node sends on its own, as authorized transactions (no signer, nonce or
//! fee — an operator key holds no funds): the commitment of a session's log when it closes or
//! expires ([`Pallet::commit_session`], once per session), and the settlement of a session
//! that is due ([`Pallet::settle_session`], once per session too: it leaves state). Each is
//! valid in the pool only while the chain would take it, so neither can be used to fill
//! blocks for free.

use crate::{
	commit_signing_bytes, pallet::SessionOf, Config, Error, Event, Pallet, SessionState, Sessions,
	Voucher,
};
use frame_support::pallet_prelude::*;
use mosaic_primitives::{ProviderRegistry, SessionId};
use sp_core::H256;
use sp_runtime::traits::{Saturating, UniqueSaturatedInto, Verify};

/// Priority of commitments and settlements in the pool: above ordinary transactions, as the
/// jobs' answers, so a full pool does not let a window pass without them.
pub const COMMIT_PRIORITY: TransactionPriority = TransactionPriority::MAX / 2;

/// What the pool says of a call the chain would refuse now.
fn invalid<T: Config>(error: DispatchError) -> TransactionValidityError {
	let stale = [
		Error::<T>::SessionNotFound.into(),
		Error::<T>::TooLate.into(),
		Error::<T>::AlreadyCommitted.into(),
		Error::<T>::StaleVoucher.into(),
	];
	if stale.contains(&error) {
		InvalidTransaction::Stale.into()
	} else if [Error::<T>::BadAttestation.into(), Error::<T>::BadVoucher.into()].contains(&error) {
		InvalidTransaction::BadProof.into()
	} else {
		InvalidTransaction::Call.into()
	}
}

/// One transaction per session and `what` in the pool, valid for `blocks`.
fn validity(what: &'static [u8], session: SessionId, blocks: u64) -> TransactionValidityWithRefund {
	ValidTransaction::with_tag_prefix("MosaicSessions")
		.priority(COMMIT_PRIORITY)
		.and_provides((what, session))
		.longevity(blocks.max(1))
		.propagate(true)
		.build()
		.map(|validity| (validity, Weight::zero()))
}

impl<T: Config> Pallet<T> {
	/// Whether the chain takes a commitment of `session` now: closing, or expired, and still
	/// taking vouchers; no root yet; `signature` the current operator key's of its provider
	/// over [`commit_signing_bytes`]; the voucher, if any, signed by the session key and above
	/// the one posted. Returns the session.
	pub fn check_commit(
		session: SessionId,
		voucher: &Option<(Voucher, T::SessionSignature)>,
		root: H256,
		signature: &T::AttestationSignature,
	) -> Result<SessionOf<T>, DispatchError> {
		let s = Sessions::<T>::get(session).ok_or(Error::<T>::SessionNotFound)?;
		ensure!(Self::takes_vouchers(&s), Error::<T>::TooLate);
		ensure!(s.root.is_none(), Error::<T>::AlreadyCommitted);
		let ended = matches!(s.state, SessionState::Closing { .. }) || Self::now() >= s.expires;
		ensure!(ended, Error::<T>::NotEnded);
		let operator = T::Providers::operator(&s.provider).ok_or(Error::<T>::BadAttestation)?;
		let bytes =
			commit_signing_bytes(Self::genesis(), session, voucher.as_ref().map(|(v, _)| v), root);
		ensure!(signature.verify(bytes.as_slice(), &operator), Error::<T>::BadAttestation);
		if let Some((v, voucher_signature)) = voucher {
			Self::check_voucher(session, &s, v, voucher_signature)?;
		}
		Ok(s)
	}

	/// `#[pallet::authorize]` of [`Pallet::commit_session`].
	pub(crate) fn authorize_commit(
		_source: TransactionSource,
		session: &SessionId,
		voucher: &Option<(Voucher, T::SessionSignature)>,
		root: &H256,
		signature: &T::AttestationSignature,
	) -> TransactionValidityWithRefund {
		let s = Self::check_commit(*session, voucher, *root, signature).map_err(invalid::<T>)?;
		let left = Self::due_at(&s).saturating_sub(Self::now()).unique_saturated_into();
		validity(b"commit", *session, left)
	}

	/// The logic of [`Pallet::commit_session`].
	pub(crate) fn do_commit(
		session: SessionId,
		voucher: Option<(Voucher, T::SessionSignature)>,
		root: H256,
		signature: &T::AttestationSignature,
	) -> DispatchResult {
		let mut s = Self::check_commit(session, &voucher, root, signature)?;
		if let Some((v, voucher_signature)) = voucher {
			Self::take_voucher(session, &mut s, &v, &voucher_signature)?;
		}
		s.root = Some(root);
		Sessions::<T>::insert(session, s);
		Self::deposit_event(Event::LogCommitted { session, root });
		Ok(())
	}

	/// `#[pallet::authorize]` of [`Pallet::settle_session`]: valid once the session is due.
	pub(crate) fn authorize_settle(
		_source: TransactionSource,
		session: &SessionId,
	) -> TransactionValidityWithRefund {
		let s = Sessions::<T>::get(session)
			.ok_or_else(|| invalid::<T>(Error::<T>::SessionNotFound.into()))?;
		if Self::now() < Self::due_at(&s) {
			return Err(invalid::<T>(Error::<T>::NotDue.into()));
		}
		validity(b"settle", *session, 64)
	}
}
