//! The node's RPC methods beyond the standard ones: account nonces (`system_accountNextIndex`),
//! fee queries (`payment_*`), the marketplace (`mosaic_*`, see `marketplace_rpc.rs`) and, on a
//! provider's node, session requests (`sessions/`).

use std::sync::Arc;

use jsonrpsee::RpcModule;
use mosaic_runtime::{opaque::Block, AccountId, Balance, Nonce};
use sc_transaction_pool_api::TransactionPool;
use sp_api::ProvideRuntimeApi;
use sp_block_builder::BlockBuilder;
use sp_blockchain::{Error as BlockChainError, HeaderBackend, HeaderMetadata};

/// What the RPC methods need from the node.
pub struct FullDeps<C, P> {
	/// The client.
	pub client: Arc<C>,
	/// The transaction pool.
	pub pool: Arc<P>,
	/// This node's inference engine, if it runs one.
	pub engine: Option<crate::marketplace_rpc::EngineInfo>,
	/// The output streams of the jobs its engine runs (with the engine).
	pub streams: Option<Arc<crate::streams::Streams>>,
	/// Session requests (`mosaic_sessionRequest`), on a node with an engine.
	pub sessions: Option<crate::sessions::Sessions<crate::service::OffchainDb>>,
}

/// Builds the RPC module with every Mosaic-specific method.
pub fn create_full<C, P>(
	deps: FullDeps<C, P>,
) -> Result<RpcModule<()>, Box<dyn std::error::Error + Send + Sync>>
where
	C: ProvideRuntimeApi<Block>,
	C: HeaderBackend<Block> + HeaderMetadata<Block, Error = BlockChainError> + 'static,
	C: sc_client_api::BlockBackend<Block>,
	C: Send + Sync + 'static,
	C::Api: substrate_frame_rpc_system::AccountNonceApi<Block, AccountId, Nonce>,
	C::Api: pallet_transaction_payment_rpc::TransactionPaymentRuntimeApi<Block, Balance>,
	C::Api: BlockBuilder<Block>,
	C::Api: mosaic_api::MarketplaceApi<Block, AccountId, Balance, mosaic_runtime::BlockNumber>,
	P: TransactionPool + 'static,
{
	use pallet_transaction_payment_rpc::{TransactionPayment, TransactionPaymentApiServer};
	use substrate_frame_rpc_system::{System, SystemApiServer};

	let mut module = RpcModule::new(());
	use crate::marketplace_rpc::{Marketplace, MarketplaceRpcServer};

	let FullDeps { client, pool, engine, streams, sessions } = deps;

	module.merge(System::new(client.clone(), pool).into_rpc())?;
	module.merge(TransactionPayment::new(client.clone()).into_rpc())?;
	module.merge(Marketplace::new(client, engine, streams).into_rpc())?;
	if let Some(sessions) = sessions {
		use crate::sessions::SessionRpcServer;
		module.merge(sessions.into_rpc())?;
	}

	Ok(module)
}
