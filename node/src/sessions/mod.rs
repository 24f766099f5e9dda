//! Session requests served by this provider's node (`mosaic_sessionRequest`), without a
//! transaction each (`pallet_mosaic_sessions` holds the money and settles).
//!
//! A request comes with a voucher signed by the session's key. Before anything runs, the node
//! checks, at its best block: the session exists, is open and not expired, is served by a
//! provider whose operator key is in this node's keystore; the request is a valid
//! `JobRequest` within the session's limits; the voucher is signed by the session key for
//! this chain, session and provider and pays for the request ([`book::Book::admit`]). Any
//! failure is a typed JSON-RPC error, and nothing is charged or recorded. The request then
//! runs on its model's batcher, beside the jobs (the same slots and bounded queue; a full
//! queue is `ENGINE_BUSY`, nothing charged). The output streams as it is generated; the
//! request ends with a receipt signed by the operator key (`receipt_signing_bytes`), and the
//! entry is in the session's log on disk before the receipt is sent.
//!
//! One request of a session runs at a time (the voucher of the next names the log after this
//! one). A client that disconnects mid-stream does not stop the request: it is recorded, and
//! paid by its voucher, as if the client had stayed.

pub mod book;
pub mod ending;

use crate::inference::EngineHost;
use book::{Book, Logged, Refused, Store};
use codec::Decode;
use jsonrpsee::{
	core::{RpcResult, SubscriptionResult},
	proc_macros::rpc,
	types::ErrorObjectOwned,
	PendingSubscriptionSink, SubscriptionMessage,
};
use mosaic_primitives::{JobRequest, OPERATOR_KEY_TYPE};
use mosaic_runtime::{AccountId, Runtime};
use pallet_mosaic_sessions::{
	pallet::SessionOf, receipt_signing_bytes, voucher_signing_bytes, SessionState, Voucher,
};
use sc_client_api::StorageProvider;
use sp_blockchain::HeaderBackend;
use sp_core::{sr25519, Bytes, H256};
use sp_keystore::KeystorePtr;
use std::{
	collections::HashSet,
	sync::{Arc, Mutex, PoisonError},
};

const LOG_TARGET: &str = "mosaic::sessions";

/// Error codes of the session methods (after the marketplace's, see `marketplace_rpc.rs`).
pub mod code {
	pub const SESSION_NOT_FOUND: i32 = 1030;
	pub const NOT_THIS_PROVIDER: i32 = 1031;
	pub const SESSION_CLOSED: i32 = 1032;
	pub const OVER_LIMITS: i32 = 1033;
	pub const BAD_VOUCHER: i32 = 1034;
	pub const VOUCHER_REFUSED: i32 = 1035;
	pub const SESSION_BUSY: i32 = 1036;
	pub const ENGINE_BUSY: i32 = 1037;
	pub const ENGINE_FAILED: i32 = 1038;
	pub const RUNTIME: i32 = 1099;
}

/// A voucher as JSON: `{ seq, tokens, log }` (`log` as `0x` hex).
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
pub struct VoucherJson {
	pub seq: u32,
	pub tokens: u32,
	pub log: H256,
}

impl From<VoucherJson> for Voucher {
	fn from(v: VoucherJson) -> Self {
		Voucher { seq: v.seq, tokens: v.tokens, log: v.log }
	}
}

impl From<Voucher> for VoucherJson {
	fn from(v: Voucher) -> Self {
		Self { seq: v.seq, tokens: v.tokens, log: v.log }
	}
}

/// One event of a session request's stream.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "event", rename_all = "camelCase")]
pub enum SessionEvent {
	/// Output bytes, as `0x` hex, starting at byte `at` of the output.
	Output { at: usize, bytes: Bytes },
	/// The request is done: its log entry, cost (planck, a decimal string), the log after it
	/// and the operator key's sr25519 signature over `receipt_signing_bytes`.
	#[serde(rename_all = "camelCase")]
	Receipt {
		seq: u32,
		request: H256,
		output: H256,
		tokens: u32,
		cost: String,
		log: H256,
		operator: H256,
		signature: Bytes,
	},
	/// The engine failed on the request: nothing is owed for it (its voucher's credit carries
	/// to the next request).
	Failed { reason: String },
}

/// What `mosaic_sessionBook` reports: the node's book of a session.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BookView {
	pub served: u32,
	pub spent: u32,
	pub log: H256,
	pub voucher: Option<VoucherJson>,
	pub signature: Option<Bytes>,
	/// The log's entries in order: `[seq, request, output, tokens, log after it]`.
	pub entries: Vec<(u32, H256, H256, u32, H256)>,
}

#[rpc(server, namespace = "mosaic")]
pub trait SessionRpc {
	/// Runs a request of `session` on this provider's node: `request` is a SCALE-encoded
	/// `JobRequest`, `max_tokens` its most output tokens, `voucher` and `signature` (the
	/// session key's sr25519 signature over `voucher_signing_bytes`) pay for it. Events:
	/// `output` as generated, then `receipt` (or `failed`).
	#[subscription(name = "sessionRequest" => "sessionOutput", unsubscribe = "sessionUnrequest", item = SessionEvent)]
	async fn session_request(
		&self,
		session: u64,
		request: Bytes,
		max_tokens: u32,
		voucher: VoucherJson,
		signature: Bytes,
	) -> SubscriptionResult;

	/// This node's book of `session` (what it served, its highest voucher): for the operator
	/// (unsafe RPC), who posts the voucher to be paid.
	#[method(name = "sessionBook", with_extensions)]
	fn session_book(&self, session: u64) -> RpcResult<Option<BookView>>;
}

/// The session methods over this node's chain, keystore, engine and off-chain database.
pub struct Sessions<S> {
	client: Arc<crate::service::FullClient>,
	keystore: KeystorePtr,
	engine: Arc<EngineHost>,
	store: Arc<Store<S>>,
	/// Sessions with a request running now.
	running: Arc<Mutex<HashSet<u64>>>,
}

impl<S> Clone for Sessions<S> {
	fn clone(&self) -> Self {
		Self {
			client: self.client.clone(),
			keystore: self.keystore.clone(),
			engine: self.engine.clone(),
			store: self.store.clone(),
			running: self.running.clone(),
		}
	}
}

fn error(code: i32, message: impl Into<String>) -> ErrorObjectOwned {
	ErrorObjectOwned::owned(code, message.into(), None::<()>)
}

/// A request checked and admitted: what running and recording it needs.
struct Admitted {
	session: u64,
	genesis: H256,
	record: SessionOf<Runtime>,
	operator: sr25519::Public,
	request: JobRequest,
	max_tokens: u32,
	voucher: Voucher,
	signature: Vec<u8>,
	book: Book,
}

impl<S: sp_core::offchain::OffchainStorage + 'static> Sessions<S> {
	pub fn new(
		client: Arc<crate::service::FullClient>,
		keystore: KeystorePtr,
		engine: Arc<EngineHost>,
		db: S,
	) -> Self {
		Self { client, keystore, engine, store: Arc::new(Store::new(db)), running: Arc::default() }
	}

	/// The task that ends this node's sessions on chain (see [`ending`]), sending through `pool`.
	pub fn ending<P>(&self, pool: Arc<P>) -> impl std::future::Future<Output = ()> + Send + 'static
	where
		P: sc_transaction_pool_api::TransactionPool<Block = mosaic_runtime::opaque::Block>
			+ 'static,
	{
		ending::run(self.client.clone(), pool, self.keystore.clone(), self.store.clone())
	}

	fn read<T: Decode>(&self, at: H256, key: Vec<u8>) -> Result<Option<T>, ErrorObjectOwned> {
		read_state(&self.client, at, key).map_err(|e| error(code::RUNTIME, e))
	}

	/// The operator key in this keystore that serves for `provider`, if any.
	fn operator_for(
		&self,
		at: H256,
		provider: &AccountId,
	) -> Result<Option<sr25519::Public>, ErrorObjectOwned> {
		operator_for(&self.client, &self.keystore, at, provider)
			.map_err(|e| error(code::RUNTIME, e))
	}

	/// Every check before a request runs (see the module docs).
	fn admit(
		&self,
		session: u64,
		request: &[u8],
		max_tokens: u32,
		voucher: Voucher,
		signature: Vec<u8>,
	) -> Result<Admitted, ErrorObjectOwned> {
		use sp_runtime::traits::Verify;
		let info = self.client.info();
		let (at, genesis) = (info.best_hash, info.genesis_hash);
		let record: SessionOf<Runtime> = self
			.read(at, pallet_mosaic_sessions::Sessions::<Runtime>::hashed_key_for(session))?
			.ok_or_else(|| {
				error(code::SESSION_NOT_FOUND, format!("no session has id {session}"))
			})?;
		let operator = self.operator_for(at, &record.provider)?.ok_or_else(|| {
			error(
				code::NOT_THIS_PROVIDER,
				format!("session {session} is served by {}, not by this node", record.provider),
			)
		})?;
		if record.state != SessionState::Open {
			return Err(error(code::SESSION_CLOSED, "the session is closing: open another"));
		}
		if info.best_number >= record.expires {
			return Err(error(code::SESSION_CLOSED, "the session has expired: open another"));
		}
		let request = JobRequest::decode(&mut &request[..]).map_err(|e| {
			error(code::OVER_LIMITS, format!("the request is not a SCALE-encoded JobRequest: {e}"))
		})?;
		let limits = record.limits;
		request.check(limits.prompt_tokens).map_err(|e| {
			error(code::OVER_LIMITS, format!("the request is refused by the job rules: {e:?}"))
		})?;
		if request.prompt_tokens_bound() > limits.prompt_tokens {
			return Err(error(
				code::OVER_LIMITS,
				format!(
					"the prompt may take {} tokens; the session allows {}",
					request.prompt_tokens_bound(),
					limits.prompt_tokens
				),
			));
		}
		if max_tokens == 0 || max_tokens > limits.max_tokens {
			return Err(error(
				code::OVER_LIMITS,
				format!("max_tokens must be 1 to {} in this session", limits.max_tokens),
			));
		}
		let signature_ok = sr25519::Signature::try_from(signature.as_slice())
			.map(|s| {
				let bytes = voucher_signing_bytes(genesis, session, &record.provider, &voucher);
				s.verify(bytes.as_slice(), &record.key)
			})
			.unwrap_or(false);
		if !signature_ok {
			return Err(error(
				code::BAD_VOUCHER,
				"the voucher's signature is not the session key's over this chain, session and \
				 provider",
			));
		}
		let book = self.store.book(session).unwrap_or_else(|| Book::new(genesis, session));
		let budget_tokens = record
			.budget
			.checked_div(record.price)
			.map_or(u32::MAX, |t| u32::try_from(t).unwrap_or(u32::MAX));
		book.admit(&voucher, max_tokens, budget_tokens)
			.map_err(|e: Refused| error(code::VOUCHER_REFUSED, e.to_string()))?;
		Ok(Admitted {
			session,
			genesis,
			record,
			operator,
			request,
			max_tokens,
			voucher,
			signature,
			book,
		})
	}

	/// Records a finished request and signs its receipt (`None` if the engine failed).
	fn finish(
		&self,
		a: &mut Admitted,
		output: &[u8],
		tokens: u32,
	) -> Result<SessionEvent, ErrorObjectOwned> {
		let entry =
			a.book.record(a.request.hash(), H256(mosaic_engine::blake2b_256(output)), tokens);
		let cost = a.record.price.saturating_mul(u128::from(tokens));
		let bytes = receipt_signing_bytes(a.genesis, a.session, &entry, cost, a.book.log);
		let signature = self
			.keystore
			.sr25519_sign(OPERATOR_KEY_TYPE, &a.operator, &bytes)
			.ok()
			.flatten()
			.ok_or_else(|| error(code::RUNTIME, "the operator key could not sign the receipt"))?;
		let logged = Logged { entry, cost, log: a.book.log, signature: signature.0.to_vec() };
		self.store.append(a.session, &logged, &a.book);
		Ok(SessionEvent::Receipt {
			seq: entry.seq,
			request: entry.request,
			output: entry.output,
			tokens,
			cost: cost.to_string(),
			log: a.book.log,
			operator: H256(a.operator.0),
			signature: Bytes(signature.0.to_vec()),
		})
	}
}

/// What the engine sends the request's task.
enum Progress {
	Output(Vec<u8>),
	Done(Result<mosaic_inference::InferenceOutput, mosaic_inference::InferenceError>),
}

#[jsonrpsee::core::async_trait]
impl<S: sp_core::offchain::OffchainStorage + 'static> SessionRpcServer for Sessions<S> {
	async fn session_request(
		&self,
		pending: PendingSubscriptionSink,
		session: u64,
		request: Bytes,
		max_tokens: u32,
		voucher: VoucherJson,
		signature: Bytes,
	) -> SubscriptionResult {
		use futures::StreamExt;
		if !self.running.lock().unwrap_or_else(PoisonError::into_inner).insert(session) {
			pending
				.reject(error(
					code::SESSION_BUSY,
					"a request of this session is running: send the next after its receipt",
				))
				.await;
			return Ok(());
		}
		// Released before the client hears the request's end (a refusal, a receipt), so that
		// the next request, sent as soon as it does, never finds this one still running.
		let running = self.running.clone();
		let release = scopeguard(move || {
			running.lock().unwrap_or_else(PoisonError::into_inner).remove(&session);
		});
		let mut admitted =
			match self.admit(session, &request, max_tokens, voucher.into(), signature.0) {
				Ok(a) => a,
				Err(e) => {
					drop(release);
					pending.reject(e).await;
					return Ok(());
				}
			};
		let (tx, mut rx) = futures::channel::mpsc::unbounded();
		let out = tx.clone();
		let engine_request =
			crate::inference::engine_request_of(&admitted.request, admitted.max_tokens);
		let started = self.engine.run_request(
			&admitted.record.model_hash.0,
			engine_request,
			Box::new(move |bytes: &[u8]| {
				let _ = out.unbounded_send(Progress::Output(bytes.to_vec()));
			}),
			Box::new(move |result| {
				let _ = tx.unbounded_send(Progress::Done(result));
			}),
		);
		if let Err(e) = started {
			let code = match e {
				mosaic_inference::InferenceError::Busy => code::ENGINE_BUSY,
				_ => code::ENGINE_FAILED,
			};
			drop(release);
			pending.reject(error(code, format!("the engine cannot take it: {}", e.as_str()))).await;
			return Ok(());
		}
		// The request runs: from here its voucher is the provider's, kept before any output.
		admitted.book.voucher = Some((admitted.voucher, admitted.signature.clone()));
		self.store.save(session, &admitted.book);
		let sink = pending.accept().await.ok();
		let mut connected = sink.is_some();
		let mut output = Vec::new();
		let mut end = None;
		while let Some(progress) = rx.next().await {
			match progress {
				Progress::Output(bytes) => {
					let at = output.len();
					output.extend_from_slice(&bytes);
					if let (true, Some(sink)) = (connected, &sink) {
						let event = SessionEvent::Output { at, bytes: Bytes(bytes) };
						connected =
							sink.send(SubscriptionMessage::from_json(&event)?).await.is_ok();
					}
				}
				Progress::Done(result) => {
					end = Some(result);
					break;
				}
			}
		}
		let event = match end {
			Some(Ok(done)) => self.finish(&mut admitted, &done.output, done.tokens())?,
			Some(Err(e)) => SessionEvent::Failed { reason: e.as_str().to_string() },
			None => SessionEvent::Failed { reason: "engine-failure".into() },
		};
		log::debug!(target: LOG_TARGET, "session {session}: {event:?}");
		drop(release);
		if let (true, Some(sink)) = (connected, &sink) {
			let _ = sink.send(SubscriptionMessage::from_json(&event)?).await;
		}
		Ok(())
	}

	fn session_book(
		&self,
		ext: &jsonrpsee::Extensions,
		session: u64,
	) -> RpcResult<Option<BookView>> {
		sc_rpc_api::check_if_safe(ext)?;
		Ok(self.store.book(session).map(|b| BookView {
			entries: (1..=b.served)
				.filter_map(|seq| self.store.entry(session, seq))
				.map(|l| (l.entry.seq, l.entry.request, l.entry.output, l.entry.tokens, l.log))
				.collect(),
			served: b.served,
			spent: b.spent,
			log: b.log,
			voucher: b.voucher.as_ref().map(|(v, _)| (*v).into()),
			signature: b.voucher.map(|(_, s)| Bytes(s)),
		}))
	}
}

/// The value at `key` of the state at block `at`, decoded.
pub(crate) fn read_state<T: Decode>(
	client: &crate::service::FullClient,
	at: H256,
	key: Vec<u8>,
) -> Result<Option<T>, String> {
	let data = client
		.storage(at, &sp_core::storage::StorageKey(key))
		.map_err(|e| format!("state at the best block: {e}"))?;
	data.map(|d| T::decode(&mut d.0.as_slice()))
		.transpose()
		.map_err(|e| format!("state does not decode: {e}"))
}

/// The operator key in `keystore` that is `provider`'s current one at block `at`, if any.
pub(crate) fn operator_for(
	client: &crate::service::FullClient,
	keystore: &KeystorePtr,
	at: H256,
	provider: &AccountId,
) -> Result<Option<sr25519::Public>, String> {
	for key in keystore.sr25519_public_keys(OPERATOR_KEY_TYPE) {
		let operator = AccountId::from(key);
		let storage_key = pallet_mosaic_providers::Operators::<Runtime>::hashed_key_for(&operator);
		if read_state::<AccountId>(client, at, storage_key)?.as_ref() == Some(provider) {
			return Ok(Some(key));
		}
	}
	Ok(None)
}

/// Runs `f` when dropped.
fn scopeguard(f: impl FnOnce()) -> impl Drop {
	struct Guard<F: FnOnce()>(Option<F>);
	impl<F: FnOnce()> Drop for Guard<F> {
		fn drop(&mut self) {
			if let Some(f) = self.0.take() {
				f();
			}
		}
	}
	Guard(Some(f))
}
