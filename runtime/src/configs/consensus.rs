//! Block production (BABE), finality (GRANDPA) and the validator set (Session).
//!
//! Validators register their BABE and GRANDPA keys with `Session::set_keys`; the session pallet
//! hands each new set to BABE and GRANDPA at session boundaries, and a session is a BABE epoch
//! (BABE decides when it ends: `ShouldEndSession = Babe`). The set is governed:
//! `pallet_mosaic_validators` (configured in `configs::governance`) is the session manager, and
//! a change reaches BABE and GRANDPA about two sessions after it is made.
//!
//! BABE rather than Aura because the marketplace draws providers and auditors at random: each
//! BABE block carries its author's VRF output, which nobody else knows before the block and its
//! author cannot choose (only withhold, by not authoring). [`BlockVrfRandomness`] turns it into
//! the marketplace's randomness.

use codec::Encode;
use frame_support::{
	parameter_types,
	traits::{ConstU32, ConstU64, Get, Randomness},
};
use sp_consensus_babe::{AllowedSlots, BabeEpochConfiguration};
use sp_runtime::traits::{BlakeTwo256, ConvertInto, Hash as _};

use crate::{
	governance::ByPace, AccountId, Babe, Balances, BlockNumber, Hash, Runtime, RuntimeEvent,
	SessionKeys, System, Validators, HOURS, MILLI_SECS_PER_BLOCK,
};

/// Upper bound on the number of validators.
pub type MaxAuthorities = ConstU32<32>;

parameter_types! {
	/// A session lasts one hour at production pace …
	pub const SessionPeriodProduction: BlockNumber = HOURS;
	/// … and ten blocks (one minute) on development and local chains.
	pub const SessionPeriodFast: BlockNumber = 10;
}

/// The session length at this chain's pace.
pub type SessionPeriod = ByPace<SessionPeriodProduction, SessionPeriodFast>;

/// A BABE epoch lasts one session, in slots (a slot is a block time). The pace is fixed at
/// genesis, so the epoch length never changes on a chain, as BABE requires.
pub struct EpochDuration;
impl Get<u64> for EpochDuration {
	fn get() -> u64 {
		u64::from(SessionPeriod::get())
	}
}

/// BABE's genesis parameters: a slot has a primary (VRF-elected) author with probability 1/4,
/// and every other slot goes to a secondary author who also signs a VRF output, so every block
/// carries one.
pub const BABE_GENESIS_EPOCH_CONFIG: BabeEpochConfiguration =
	BabeEpochConfiguration { c: (1, 4), allowed_slots: AllowedSlots::PrimaryAndSecondaryVRFSlots };

impl pallet_babe::Config for Runtime {
	type EpochDuration = EpochDuration;
	type ExpectedBlockTime = ConstU64<MILLI_SECS_PER_BLOCK>;
	type EpochChangeTrigger = pallet_babe::ExternalTrigger;
	type DisabledValidators = ();
	type WeightInfo = ();
	type MaxAuthorities = MaxAuthorities;
	type MaxNominators = ConstU32<0>;
	type KeyOwnerProof = sp_core::Void;
	type EquivocationReportSystem = ();
}

/// The marketplace's randomness: the VRF output of the block being built, hashed with the
/// subject. A transaction's signer cannot know it (the block's author computes it from its slot
/// and key only when it authors), so the draw of a job's executor is fixed by the block the job
/// lands in, and the audit draw by a block after the answer. Valid inside the block only (BABE
/// keeps the block's pre-digest until `on_finalize`); every block has a VRF output because the
/// chain allows VRF slots only. Were one missing, the parent block's VRF randomness is used,
/// then the parent hash: never a panic.
pub struct BlockVrfRandomness;
impl Randomness<Hash, BlockNumber> for BlockVrfRandomness {
	fn random(subject: &[u8]) -> (Hash, BlockNumber) {
		let now = System::block_number();
		let vrf = Babe::initialized()
			.flatten()
			.and_then(|digest| digest.vrf_signature().map(|s| s.pre_output.encode()))
			.or_else(|| Babe::author_vrf_randomness().map(|r| r.to_vec()))
			.unwrap_or_else(|| System::parent_hash().encode());
		(BlakeTwo256::hash_of(&(b"mosaic/vrf", subject, vrf)), now)
	}
}

impl pallet_grandpa::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = ();
	type MaxAuthorities = MaxAuthorities;
	type MaxNominators = ConstU32<0>;
	type MaxSetIdSessionEntries = ConstU64<0>;
	type KeyOwnerProof = sp_core::Void;
	type EquivocationReportSystem = ();
}

impl pallet_session::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type ValidatorId = AccountId;
	type ValidatorIdOf = ConvertInto;
	type ShouldEndSession = Babe;
	type NextSessionRotation = Babe;
	type SessionManager = Validators;
	type SessionHandler = <SessionKeys as sp_runtime::traits::OpaqueKeys>::KeyTypeIdProviders;
	type Keys = SessionKeys;
	type DisablingStrategy = ();
	type WeightInfo = pallet_session::weights::SubstrateWeight<Runtime>;
	type Currency = Balances;
	/// Setting keys holds no deposit: only validators have a reason to set them.
	type KeyDeposit = frame_support::traits::ConstU128<0>;
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::genesis_config_presets::tests::build;
	use frame_support::traits::Hooks;
	use sp_consensus_babe::{
		digests::{PreDigest, SecondaryVRFPreDigest},
		Slot, BABE_ENGINE_ID,
	};
	use sp_core::{crypto::VrfSecret, sr25519, Pair};
	use sp_runtime::{Digest, DigestItem};

	/// Starts block 1 as a BABE author does: `author`'s pre-digest for `slot`, with the VRF
	/// output only that author could compute, then BABE's `on_initialize`.
	fn start_block(author: &str, slot: u64) {
		let pair = sr25519::Pair::from_string(author, None).expect("dev seed");
		let slot = Slot::from(slot);
		let data =
			sp_consensus_babe::make_vrf_sign_data(&Babe::randomness(), slot, Babe::epoch_index());
		let pre = PreDigest::SecondaryVRF(SecondaryVRFPreDigest {
			authority_index: 0,
			slot,
			vrf_signature: pair.vrf_sign(&data),
		});
		let digest = Digest { logs: vec![DigestItem::PreRuntime(BABE_ENGINE_ID, pre.encode())] };
		System::initialize(&1, &System::parent_hash(), &digest);
		Babe::on_initialize(1);
	}

	/// What the jobs pallet draws with in the block `author` builds at `slot`.
	fn draw(author: &str, slot: u64) -> Hash {
		build(sp_genesis_builder::DEV_RUNTIME_PRESET).execute_with(|| {
			start_block(author, slot);
			let (jobs, at) =
				<Runtime as pallet_mosaic_jobs::Config>::Randomness::random(b"job 7 executor");
			assert_eq!(at, 1);
			assert_eq!(jobs, BlockVrfRandomness::random(b"job 7 executor").0);
			jobs
		})
	}

	/// From the same parent state, a job's draw is fixed by the VRF output of the block it lands
	/// in: another slot or another author gives another draw, the same block the same one. A
	/// source computed from the parent state (the collective coin flip this replaced, the
	/// parent hash) gives the same value for all three, known before the block.
	#[test]
	fn draws_follow_the_vrf_output_of_the_block_being_built() {
		let alice_100 = draw("//Alice", 100);
		assert_eq!(alice_100, draw("//Alice", 100));
		assert_ne!(alice_100, draw("//Alice", 101));
		assert_ne!(alice_100, draw("//Bob", 100));
	}

	/// Without a VRF output (a block whose pre-digest BABE has not seen), the draw still
	/// happens, from the parent block's state: no panic in a runtime hook.
	#[test]
	fn a_block_without_a_vrf_output_still_draws() {
		build(sp_genesis_builder::DEV_RUNTIME_PRESET).execute_with(|| {
			System::initialize(&1, &System::parent_hash(), &Digest::default());
			let (a, _) = BlockVrfRandomness::random(b"x");
			let (b, _) = BlockVrfRandomness::random(b"y");
			assert_ne!(a, b);
		});
	}
}
