//! Sudo (development and local chains), batching, and the randomness source.

use crate::{OriginCaller, Runtime, RuntimeCall, RuntimeEvent};

impl pallet_sudo::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type WeightInfo = pallet_sudo::weights::SubstrateWeight<Runtime>;
}

impl pallet_utility::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type PalletsOrigin = OriginCaller;
	type WeightInfo = pallet_utility::weights::SubstrateWeight<Runtime>;
}

/// Randomness from the hashes of the last 81 blocks. Aura has no VRF, so this is the strongest
/// source a solochain of ours has without BABE: the block author of the previous block can bias
/// it by choosing whether to author. It is good enough to spread jobs across providers, not to
/// protect anything of value.
impl pallet_insecure_randomness_collective_flip::Config for Runtime {}

impl pallet_skip_feeless_payment::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
}
