//! How the provider's node ends the sessions it served, on its own: at each new best block,
//! for every session it keeps a book of ([`Store::sessions`]), once the session is closing
//! or has expired it commits the log's root with the voucher of the last request it served
//! (`commit_session`: an owner who closed on an older voucher is overruled), and once the
//! session is due it settles it (`settle_session`). Both go to the pool as authorized
//! transactions (no fee: the operator key holds no funds), and again every
//! [`RESEND_AFTER`] blocks while the chain still lacks them; the pool refuses what the chain
//! would, so a premature one costs a local validation only. A session that has left the chain
//! (settled) is taken off the list; its book and log stay on disk.
//!
//! The book is read from the off-chain database, so a restarted node ends the sessions it
//! served before the restart.

use super::{
	book::{Book, Store},
	operator_for, read_state,
};
use codec::{Decode, Encode};
use frame_system::offchain::CreateAuthorizedTransaction;
use futures::StreamExt;
use mosaic_primitives::OPERATOR_KEY_TYPE;
use mosaic_runtime::{opaque::Block, Runtime, RuntimeCall, UncheckedExtrinsic};
use pallet_mosaic_sessions::{commit_signing_bytes, pallet::SessionOf, SessionState};
use sc_client_api::BlockchainEvents;
use sc_transaction_pool_api::{TransactionPool, TransactionSource};
use sp_core::{offchain::OffchainStorage, sr25519, H256};
use sp_keystore::KeystorePtr;
use sp_runtime::{MultiSignature, OpaqueExtrinsic};
use std::{collections::HashMap, sync::Arc};

const LOG_TARGET: &str = "mosaic::sessions";

/// Blocks after which a transaction the chain still lacks is sent again.
pub const RESEND_AFTER: u32 = 3;

/// What the node sends for a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Sent {
	Commit,
	Settle,
}

/// Runs until the node stops.
pub async fn run<S, P>(
	client: Arc<crate::service::FullClient>,
	pool: Arc<P>,
	keystore: KeystorePtr,
	store: Arc<Store<S>>,
) where
	S: OffchainStorage + 'static,
	P: TransactionPool<Block = Block> + 'static,
{
	let mut sent: HashMap<(u64, Sent), u32> = HashMap::new();
	let mut imports = client.import_notification_stream();
	while let Some(block) = imports.next().await {
		if !block.is_new_best {
			continue;
		}
		let (at, number) = (block.hash, block.header.number);
		for session in store.sessions() {
			let key = pallet_mosaic_sessions::Sessions::<Runtime>::hashed_key_for(session);
			let record = match read_state::<SessionOf<Runtime>>(&client, at, key) {
				Ok(Some(record)) => record,
				Ok(None) => {
					log::info!(target: LOG_TARGET, "session {session}: settled; its log stays on disk");
					store.forget(session);
					sent.retain(|(s, _), _| *s != session);
					continue;
				}
				Err(e) => {
					log::warn!(target: LOG_TARGET, "session {session}: {e}");
					continue;
				}
			};
			let Some(book) = store.book(session) else { continue };
			// The pool checks a transaction as of the next block.
			let next = number.saturating_add(1);
			let ended =
				matches!(record.state, SessionState::Closing { .. }) || next >= record.expires;
			if !ended {
				continue;
			}
			let mut due = |what: Sent| {
				let last = sent.get(&(session, what)).copied();
				let go = last.is_none_or(|at| number >= at.saturating_add(RESEND_AFTER));
				if go {
					sent.insert((session, what), number);
				}
				go
			};
			if record.root.is_none() && book.served > 0 && due(Sent::Commit) {
				match commit_call(&client, &keystore, at, session, &record, &book) {
					Ok(call) => submit(&*pool, at, session, "commit", call).await,
					Err(e) => {
						log::warn!(target: LOG_TARGET, "session {session}: cannot commit: {e}")
					}
				}
			}
			let settles_from = match record.state {
				SessionState::Closing { ends } => Some(ends),
				SessionState::Open => None, // expired: the pool says when its grace is over
			};
			if settles_from.is_none_or(|ends| next >= ends) && due(Sent::Settle) {
				let call =
					RuntimeCall::Sessions(pallet_mosaic_sessions::Call::settle_session { session });
				submit(&*pool, at, session, "settle", call).await;
			}
		}
	}
}

/// The commitment of `session`: the log after the last request served, and that request's
/// voucher if it is above the one posted, signed by the provider's operator key here.
fn commit_call(
	client: &crate::service::FullClient,
	keystore: &KeystorePtr,
	at: H256,
	session: u64,
	record: &SessionOf<Runtime>,
	book: &Book,
) -> Result<RuntimeCall, String> {
	let operator = operator_for(client, keystore, at, &record.provider)?
		.ok_or("no operator key of its provider in this node's keystore")?;
	let higher = |v: &pallet_mosaic_sessions::Voucher| {
		record.voucher.is_none_or(|best| (v.tokens, v.seq) > (best.tokens, best.seq))
	};
	let voucher = match &book.paid {
		Some((v, signature)) if higher(v) => {
			let signature = sr25519::Signature::try_from(signature.as_slice())
				.map_err(|_| "the kept voucher's signature is not 64 bytes")?;
			Some((*v, signature))
		}
		_ => None,
	};
	let genesis = sp_blockchain::HeaderBackend::info(client).genesis_hash;
	let bytes = commit_signing_bytes(genesis, session, voucher.as_ref().map(|(v, _)| v), book.log);
	let signature = keystore
		.sr25519_sign(OPERATOR_KEY_TYPE, &operator, &bytes)
		.ok()
		.flatten()
		.ok_or("the operator key could not sign")?;
	Ok(RuntimeCall::Sessions(pallet_mosaic_sessions::Call::commit_session {
		session,
		voucher,
		root: book.log,
		signature: MultiSignature::Sr25519(signature),
	}))
}

/// Hands `call` to the pool as an authorized transaction; a refusal is logged (at debug for
/// one the chain would take later or already has).
async fn submit<P: TransactionPool<Block = Block>>(
	pool: &P,
	at: H256,
	session: u64,
	what: &str,
	call: RuntimeCall,
) {
	let extension = <Runtime as CreateAuthorizedTransaction<RuntimeCall>>::create_extension();
	let xt = UncheckedExtrinsic::new_transaction(call, extension);
	let Ok(opaque) = OpaqueExtrinsic::decode(&mut xt.encode().as_slice()) else {
		log::error!(target: LOG_TARGET, "session {session}: the {what} transaction does not encode");
		return;
	};
	match pool.submit_one(at, TransactionSource::Local, opaque).await {
		Ok(_) => log::info!(target: LOG_TARGET, "session {session}: {what} sent"),
		Err(e) => {
			log::debug!(target: LOG_TARGET, "session {session}: the pool refused the {what}: {e}")
		}
	}
}
