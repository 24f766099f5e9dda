//! Storage migrations of the models pallet.

use crate::{pallet::BalanceOf, Config, ModelInfo, ModelStatus, Models, Pallet};
use codec::{Decode, Encode};
use frame_support::{
	migrations::VersionedMigration, pallet_prelude::*, traits::UncheckedOnRuntimeUpgrade,
	weights::Weight,
};
use mosaic_primitives::{BasisPoints, FileType};
use sp_core::H256;

/// The v0 layout that v1 changed.
pub mod v0 {
	use super::*;

	/// v0's quantization names (a subset of llama.cpp's file types).
	#[derive(Clone, Copy, Encode, Decode, Debug, PartialEq, Eq)]
	pub enum Quantization {
		F32,
		F16,
		BF16,
		Q8_0,
		Q6K,
		Q5KM,
		Q5KS,
		Q5_0,
		Q4KM,
		Q4KS,
		Q4_0,
		Q3KM,
		Q2K,
	}

	impl Quantization {
		/// The llama.cpp file type of the same name.
		pub fn file_type(self) -> FileType {
			match self {
				Self::F32 => FileType::F32,
				Self::F16 => FileType::F16,
				Self::BF16 => FileType::BF16,
				Self::Q8_0 => FileType::Q8_0,
				Self::Q6K => FileType::Q6_K,
				Self::Q5KM => FileType::Q5_K_M,
				Self::Q5KS => FileType::Q5_K_S,
				Self::Q5_0 => FileType::Q5_0,
				Self::Q4KM => FileType::Q4_K_M,
				Self::Q4KS => FileType::Q4_K_S,
				Self::Q4_0 => FileType::Q4_0,
				Self::Q3KM => FileType::Q3_K_M,
				Self::Q2K => FileType::Q2_K,
			}
		}
	}

	/// v0 model record.
	#[derive(Clone, Encode, Decode, Debug, PartialEq, Eq)]
	pub struct ModelInfo<AccountId, Balance> {
		pub name: BoundedVec<u8, crate::MaxNameLen>,
		pub content_hash: H256,
		pub size_bytes: u64,
		pub quantization: Quantization,
		pub context_length: u32,
		pub creator: AccountId,
		pub royalty_bps: BasisPoints,
		pub deposit: Balance,
		pub status: ModelStatus,
	}
}

/// v0 → v1: the quantization becomes llama.cpp's file type of the same name. v0 did not
/// record the architecture, parameter count or chat template: they become `unknown`, 1 and
/// none (raw prompts only) until the creator registers the file again.
pub struct InnerMigrateV0ToV1<T>(PhantomData<T>);

impl<T: Config> UncheckedOnRuntimeUpgrade for InnerMigrateV0ToV1<T> {
	fn on_runtime_upgrade() -> Weight {
		let mut n = 0u64;
		Models::<T>::translate::<v0::ModelInfo<T::AccountId, BalanceOf<T>>, _>(|_, old| {
			n = n.saturating_add(1);
			Some(ModelInfo {
				name: old.name,
				content_hash: old.content_hash,
				size_bytes: old.size_bytes,
				architecture: BoundedVec::truncate_from(b"unknown".to_vec()),
				parameters: 1,
				file_type: old.quantization.file_type(),
				context_length: old.context_length,
				chat_template: None,
				creator: old.creator,
				royalty_bps: old.royalty_bps,
				deposit: old.deposit,
				status: old.status,
			})
		});
		T::DbWeight::get().reads_writes(n, n)
	}

	#[cfg(feature = "try-runtime")]
	fn pre_upgrade() -> Result<alloc::vec::Vec<u8>, sp_runtime::TryRuntimeError> {
		Ok((Models::<T>::iter_keys().count() as u64).encode())
	}

	#[cfg(feature = "try-runtime")]
	fn post_upgrade(state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
		let before = u64::decode(&mut &state[..]).map_err(|_| "bad pre_upgrade state")?;
		ensure!(Models::<T>::iter().count() as u64 == before, "models were lost");
		Pallet::<T>::do_try_state()
	}
}

/// [`InnerMigrateV0ToV1`], run only when the pallet's on-chain storage version is 0.
pub type MigrateV0ToV1<T> = VersionedMigration<
	0,
	1,
	InnerMigrateV0ToV1<T>,
	Pallet<T>,
	<T as frame_system::Config>::DbWeight,
>;
