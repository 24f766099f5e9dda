//! `mosaic_*` RPC methods: the marketplace views of [`mosaic_api::MarketplaceApi`] (models,
//! providers, cost estimates, jobs) at any block, and `mosaic_engine`, this node's engine.
//!
//! Every failure is a JSON-RPC error with a stable code and a message saying what to change;
//! malformed parameters are rejected by jsonrpsee with -32602 before reaching the runtime.

use crate::streams::Streams;
use jsonrpsee::{
	core::{RpcResult, SubscriptionResult},
	proc_macros::rpc,
	types::ErrorObjectOwned,
	PendingSubscriptionSink, SubscriptionMessage,
};
use mosaic_api::{
	Estimate, JobView, MarketplaceApi as MarketplaceRuntimeApi, ModelsPage, ProvidersPage,
	QueryError,
};
use mosaic_runtime::{opaque::Block, AccountId, Balance, BlockNumber};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_runtime::traits::Block as BlockT;
use std::sync::Arc;

/// Error codes of the `mosaic_*` methods.
pub mod code {
	pub const UNKNOWN_MODEL: i32 = 1001;
	pub const MODEL_DEPRECATED: i32 = 1002;
	pub const ZERO_MAX_TOKENS: i32 = 1003;
	pub const MAX_TOKENS_TOO_LARGE: i32 = 1004;
	pub const NO_ELIGIBLE_PROVIDER: i32 = 1005;
	pub const BID_BELOW_EVERY_ASK: i32 = 1006;
	pub const OVERFLOW: i32 = 1007;
	pub const BAD_BID: i32 = 1008;
	pub const EXCEEDS_CONTEXT: i32 = 1009;
	pub const JOB_NOT_FOUND: i32 = 1010;
	pub const NO_PROVIDER_COVERS: i32 = 1011;
	pub const ZERO_BID: i32 = 1012;
	pub const NO_ENGINE: i32 = 1020;
	pub const NOT_OWNER: i32 = 1021;
	pub const RUNTIME: i32 = 1099;
}

/// This node's inference engine, as `mosaic_engine` reports it.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EngineInfo {
	/// BLAKE2b-256 of the fingerprint: what a provider declares in its profile.
	pub engine: String,
	/// The fingerprint itself: llama.cpp build, CPU features, settings.
	pub fingerprint: String,
	/// Where the node looks for models: only to callers allowed unsafe RPC methods (the
	/// operator, on the node's machine), `null` to everyone else.
	pub models_dir: Option<String>,
	/// `--max-concurrent-jobs`.
	pub max_concurrent_jobs: u32,
	/// `--inference-context`: the most context a provider on this node can declare.
	pub context: u32,
}

#[rpc(server, namespace = "mosaic")]
pub trait MarketplaceRpc<BlockHash> {
	/// A page of the registered models: up to `limit` (default and most 100) with ids from
	/// `from` (default 0), and `next`, where the next page starts (`null` after the last).
	#[method(name = "models")]
	fn models(
		&self,
		from: Option<u32>,
		limit: Option<u32>,
		at: Option<BlockHash>,
	) -> RpcResult<ModelsPage<AccountId, Balance>>;

	/// A page of the providers serving `model`, with asks, bonds, reputation and
	/// eligibility: up to `limit` (default and most 100) from slot `from` (default 0) of the
	/// model's draw index, `next` (where the next page starts, `null` after the last) and
	/// `total`. Read every page `at` the same block.
	#[method(name = "providers")]
	fn providers(
		&self,
		model: u32,
		from: Option<u32>,
		limit: Option<u32>,
		at: Option<BlockHash>,
	) -> RpcResult<ProvidersPage<AccountId, Balance>>;

	/// What a job would hold and cost: escrow and the split of its maximum cost.
	/// `bid` (planck per token, a decimal string) defaults to the chain's quote: the lowest bid
	/// at which a provider can take the job wherever the draw looks.
	#[method(name = "estimate")]
	fn estimate(
		&self,
		model: u32,
		max_tokens: u32,
		bid: Option<String>,
		at: Option<BlockHash>,
	) -> RpcResult<Estimate<Balance>>;

	/// A job with its status, assigned providers, answers and receipt. A closed job's request
	/// and output come from the blocks that carried them (the chain keeps their hashes).
	/// `JOB_NOT_FOUND` also once the job's record was pruned, a day after it closed.
	#[method(name = "job")]
	fn job(
		&self,
		job: u64,
		at: Option<BlockHash>,
	) -> RpcResult<JobView<AccountId, Balance, BlockNumber>>;

	/// This node's engine: its fingerprint hash to declare as a provider.
	#[method(name = "engine", with_extensions)]
	fn engine(&self) -> RpcResult<EngineInfo>;

	/// The output of `job` as this node's engine generates it, for the job's owner only:
	/// `signature` is the owner's sr25519 signature over
	/// `mosaic_primitives::stream_signing_bytes(job, genesis hash)`. Events: `output` (bytes so
	/// far, then each new run), then `done` (output hash and tokens, as attested) or `failed`.
	#[subscription(name = "streamJob" => "jobOutput", unsubscribe = "unstreamJob", item = crate::streams::StreamEvent)]
	async fn stream_job(&self, job: u64, signature: sp_core::Bytes) -> SubscriptionResult;
}

/// The `mosaic_*` methods over a client.
pub struct Marketplace<C> {
	client: Arc<C>,
	engine: Option<EngineInfo>,
	streams: Option<Arc<Streams>>,
}

impl<C> Marketplace<C> {
	pub fn new(client: Arc<C>, engine: Option<EngineInfo>, streams: Option<Arc<Streams>>) -> Self {
		Self { client, engine, streams }
	}
}

fn error(code: i32, message: impl Into<String>) -> ErrorObjectOwned {
	ErrorObjectOwned::owned(code, message.into(), None::<()>)
}

fn query_error(e: QueryError) -> ErrorObjectOwned {
	match e {
		QueryError::UnknownModel => error(code::UNKNOWN_MODEL, "no model has this id"),
		QueryError::ModelDeprecated => {
			error(code::MODEL_DEPRECATED, "the model is deprecated and takes no new jobs")
		}
		QueryError::ZeroMaxTokens => error(code::ZERO_MAX_TOKENS, "max_tokens must be at least 1"),
		QueryError::MaxTokensTooLarge { max } => {
			error(code::MAX_TOKENS_TOO_LARGE, format!("max_tokens must be at most {max}"))
		}
		QueryError::NoEligibleProvider => error(
			code::NO_ELIGIBLE_PROVIDER,
			"no provider can take a job for this model now (none serves it, or all are paused, \
			 under-bonded or busy)",
		),
		QueryError::BidBelowEveryAsk { lowest_ask } => error(
			code::BID_BELOW_EVERY_ASK,
			format!("every eligible provider asks more than the bid: bid at least {lowest_ask}"),
		),
		QueryError::Overflow => {
			error(code::OVERFLOW, "max_tokens × bid overflows the balance type")
		}
		QueryError::ExceedsContext { context_length } => error(
			code::EXCEEDS_CONTEXT,
			format!(
				"the model's context is {context_length} tokens: prompt bytes + max_tokens + 2 \
				 must fit in it"
			),
		),
		QueryError::NoProviderCovers => error(
			code::NO_PROVIDER_COVERS,
			"no provider declares a context, largest output or speed that covers max_tokens: \
			 ask for fewer tokens (mosaic_providers shows each provider's terms)",
		),
		QueryError::ZeroBid => error(code::ZERO_BID, "the bid must be above zero"),
	}
}

fn runtime_error(e: impl std::fmt::Display) -> ErrorObjectOwned {
	error(code::RUNTIME, format!("runtime API call failed: {e}"))
}

#[jsonrpsee::core::async_trait]
impl<C> MarketplaceRpcServer<<Block as BlockT>::Hash> for Marketplace<C>
where
	C: ProvideRuntimeApi<Block>
		+ HeaderBackend<Block>
		+ sc_client_api::BlockBackend<Block>
		+ Send
		+ Sync
		+ 'static,
	C::Api: MarketplaceRuntimeApi<Block, AccountId, Balance, BlockNumber>,
{
	fn models(
		&self,
		from: Option<u32>,
		limit: Option<u32>,
		at: Option<<Block as BlockT>::Hash>,
	) -> RpcResult<ModelsPage<AccountId, Balance>> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		self.client
			.runtime_api()
			.models(at, from.unwrap_or(0), limit.unwrap_or(mosaic_api::MODELS_PAGE))
			.map_err(runtime_error)
	}

	fn providers(
		&self,
		model: u32,
		from: Option<u32>,
		limit: Option<u32>,
		at: Option<<Block as BlockT>::Hash>,
	) -> RpcResult<ProvidersPage<AccountId, Balance>> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		let (from, limit) = (from.unwrap_or(0), limit.unwrap_or(mosaic_api::PROVIDERS_PAGE));
		self.client
			.runtime_api()
			.providers(at, model, from, limit)
			.map_err(runtime_error)?
			.map_err(query_error)
	}

	fn estimate(
		&self,
		model: u32,
		max_tokens: u32,
		bid: Option<String>,
		at: Option<<Block as BlockT>::Hash>,
	) -> RpcResult<Estimate<Balance>> {
		let bid = bid
			.map(|b| {
				b.trim().parse::<Balance>().map_err(|_| {
					error(code::BAD_BID, format!("bid {b:?} is not a whole number of planck"))
				})
			})
			.transpose()?;
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		self.client
			.runtime_api()
			.estimate(at, model, max_tokens, bid)
			.map_err(runtime_error)?
			.map_err(query_error)
	}

	fn job(
		&self,
		job: u64,
		at: Option<<Block as BlockT>::Hash>,
	) -> RpcResult<JobView<AccountId, Balance, BlockNumber>> {
		let at = at.unwrap_or_else(|| self.client.info().best_hash);
		let mut view = self
			.client
			.runtime_api()
			.job(at, job)
			.map_err(runtime_error)?
			.ok_or_else(|| error(code::JOB_NOT_FOUND, format!("no job has id {job}")))?;
		crate::job_bytes::fill_from_blocks(&*self.client, &mut view);
		Ok(view)
	}

	fn engine(&self, ext: &jsonrpsee::Extensions) -> RpcResult<EngineInfo> {
		let mut info = self.engine.clone().ok_or_else(|| {
			error(code::NO_ENGINE, "this node runs no inference engine: start it with --models-dir")
		})?;
		// A path on the operator's machine is not for public callers (review L5).
		if sc_rpc_api::check_if_safe(ext).is_err() {
			info.models_dir = None;
		}
		Ok(info)
	}

	async fn stream_job(
		&self,
		pending: PendingSubscriptionSink,
		job: u64,
		signature: sp_core::Bytes,
	) -> SubscriptionResult {
		let streams = match (self.streams.clone(), self.owner_signed(job, &signature)) {
			(None, _) => {
				pending.reject(error(code::NO_ENGINE, "this node runs no inference engine")).await;
				return Ok(());
			}
			(_, Err(e)) => {
				pending.reject(e).await;
				return Ok(());
			}
			(Some(streams), Ok(())) => streams,
		};
		let (backlog, live) = streams.subscribe(job);
		let sink = pending.accept().await?;
		for event in backlog {
			sink.send(SubscriptionMessage::from_json(&event)?).await?;
		}
		if let Some(mut live) = live {
			use futures::StreamExt;
			while let Some(event) = live.next().await {
				sink.send(SubscriptionMessage::from_json(&event)?).await?;
			}
		}
		Ok(())
	}
}

impl<C> Marketplace<C>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: MarketplaceRuntimeApi<Block, AccountId, Balance, BlockNumber>,
{
	/// Whether `signature` is `job`'s owner's over its stream request on this chain.
	fn owner_signed(&self, job: u64, signature: &[u8]) -> Result<(), ErrorObjectOwned> {
		use sp_core::{sr25519, Pair};
		let info = self.client.info();
		let view = self
			.client
			.runtime_api()
			.job(info.best_hash, job)
			.map_err(runtime_error)?
			.ok_or_else(|| error(code::JOB_NOT_FOUND, format!("no job has id {job}")))?;
		let owner = sr25519::Public::from_raw(view.owner.into());
		let message =
			mosaic_primitives::stream_signing_bytes(job, sp_core::H256(info.genesis_hash.into()));
		let valid = <[u8; 64]>::try_from(signature)
			.map(sr25519::Signature::from_raw)
			.is_ok_and(|sig| sr25519::Pair::verify(&sig, &message, &owner));
		if valid {
			Ok(())
		} else {
			Err(error(
				code::NOT_OWNER,
				"not the job owner's signature: sign mosaic_primitives::stream_signing_bytes(job, \
				 genesis hash) with the key that submitted the job (sr25519)",
			))
		}
	}
}
