//! One test per rule of the model registry.

use crate::{
	mock::*, Error, Event, HoldReason, ModelByHash, ModelStatus, Models as ModelsStorage,
	NextModelId,
};
use frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold, BoundedVec};
use mosaic_primitives::{FileType, ModelRegistry, ModelSpec, ModelUnavailable};
use sp_core::H256;
use sp_runtime::DispatchError;

fn name(s: &str) -> BoundedVec<u8, crate::MaxNameLen> {
	s.as_bytes().to_vec().try_into().unwrap()
}

/// A llama file of `context` tokens without a chat template.
fn spec(file_type: FileType, context: u32) -> ModelSpec {
	ModelSpec {
		architecture: b"llama".to_vec(),
		parameters: 135_000_000,
		file_type,
		context_length: context,
		chat_template: None,
	}
}

fn hash(n: u8) -> H256 {
	H256::repeat_byte(n)
}

fn register(who: AccountId, h: u8, royalty: u16) -> u32 {
	let id = NextModelId::<Test>::get();
	assert_ok!(Models::register_model(
		RuntimeOrigin::signed(who),
		name("tiny"),
		hash(h),
		1_000,
		spec(FileType::Q8_0, 256),
		royalty
	));
	id
}

/// A minimal registration (size 1, context 1, royalty 0) of file `h` by `origin`.
fn register_as(origin: RuntimeOrigin, h: u8) -> sp_runtime::DispatchResult {
	Models::register_model(origin, name("x"), hash(h), 1, spec(FileType::Q4_0, 1), 0)
}

fn held(who: AccountId) -> Balance {
	Balances::balance_on_hold(&HoldReason::ModelDeposit.into(), &who)
}

#[test]
fn registering_holds_the_deposit_and_records_the_model() {
	new_test_ext(|| {
		let id = register(ALICE, 1, 500);
		assert_eq!(id, 0);
		assert_eq!(held(ALICE), DEPOSIT);
		assert_eq!(Balances::free_balance(ALICE), 10_000 - DEPOSIT);
		let m = ModelsStorage::<Test>::get(id).unwrap();
		assert_eq!((m.creator, m.royalty_bps, m.status), (ALICE, 500, ModelStatus::Active));
		assert_eq!(ModelByHash::<Test>::get(hash(1)), Some(id));
		System::assert_last_event(
			Event::ModelRegistered {
				model: id,
				creator: ALICE,
				content_hash: hash(1),
				royalty_bps: 500,
				deposit: DEPOSIT,
			}
			.into(),
		);
	});
}

#[test]
fn royalty_above_the_cap_is_refused() {
	new_test_ext(|| {
		assert_noop!(
			Models::register_model(
				RuntimeOrigin::signed(ALICE),
				name("x"),
				hash(1),
				1,
				spec(FileType::Q4_0, 1),
				MAX_ROYALTY + 1
			),
			Error::<Test>::RoyaltyTooHigh
		);
		// At the cap is fine.
		register(ALICE, 1, MAX_ROYALTY);
	});
}

#[test]
fn empty_name_and_zero_sizes_are_refused() {
	new_test_ext(|| {
		let origin = || RuntimeOrigin::signed(ALICE);
		assert_noop!(
			Models::register_model(origin(), name(""), hash(1), 1, spec(FileType::Q4_0, 1), 0),
			Error::<Test>::BadName
		);
		assert_noop!(
			Models::register_model(origin(), name("a"), hash(1), 0, spec(FileType::Q4_0, 1), 0),
			Error::<Test>::ZeroSize
		);
		assert_noop!(
			Models::register_model(origin(), name("a"), hash(1), 1, spec(FileType::Q4_0, 0), 0),
			Error::<Test>::ZeroSize
		);
		let no_weights = ModelSpec { parameters: 0, ..spec(FileType::Q4_0, 1) };
		assert_noop!(
			Models::register_model(origin(), name("a"), hash(1), 1, no_weights, 0),
			Error::<Test>::ZeroSize
		);
		for architecture in [Vec::new(), vec![b'a'; 33]] {
			let bad = ModelSpec { architecture, ..spec(FileType::Q4_0, 1) };
			assert_noop!(
				Models::register_model(origin(), name("a"), hash(1), 1, bad, 0),
				Error::<Test>::BadArchitecture
			);
		}
	});
}

#[test]
fn the_same_file_cannot_be_registered_twice() {
	new_test_ext(|| {
		register(ALICE, 7, 0);
		assert_noop!(
			register_as(RuntimeOrigin::signed(BOB), 7),
			Error::<Test>::ModelAlreadyRegistered
		);
	});
}

#[test]
fn registering_without_the_deposit_fails_and_holds_nothing() {
	new_test_ext(|| {
		assert_noop!(
			register_as(RuntimeOrigin::signed(POOR), 1),
			Error::<Test>::InsufficientBalance
		);
		assert_eq!(held(POOR), 0);
	});
}

#[test]
fn only_the_creator_sets_the_royalty_within_the_cap() {
	new_test_ext(|| {
		let id = register(ALICE, 1, 100);
		assert_noop!(
			Models::set_royalty(RuntimeOrigin::signed(BOB), id, 200),
			Error::<Test>::NotCreator
		);
		assert_noop!(
			Models::set_royalty(RuntimeOrigin::signed(ALICE), id, MAX_ROYALTY + 1),
			Error::<Test>::RoyaltyTooHigh
		);
		assert_noop!(
			Models::set_royalty(RuntimeOrigin::signed(ALICE), 99, 1),
			Error::<Test>::ModelNotRegistered
		);
		assert_ok!(Models::set_royalty(RuntimeOrigin::signed(ALICE), id, 200));
		System::assert_last_event(Event::RoyaltyChanged { model: id, royalty_bps: 200 }.into());
		assert_eq!(Models::terms_for_new_job(id).unwrap().royalty_bps, 200);
	});
}

#[test]
fn a_deprecated_model_takes_no_new_jobs() {
	new_test_ext(|| {
		let id = register(ALICE, 1, 0);
		assert_noop!(Models::deprecate(RuntimeOrigin::signed(BOB), id), Error::<Test>::NotCreator);
		assert_ok!(Models::deprecate(RuntimeOrigin::signed(ALICE), id));
		System::assert_last_event(Event::ModelDeprecated { model: id }.into());
		assert_eq!(Models::terms_for_new_job(id), Err(ModelUnavailable::Deprecated));
		assert!(Models::exists(id));
		assert_noop!(
			Models::deprecate(RuntimeOrigin::root(), id),
			Error::<Test>::AlreadyDeprecated
		);
	});
}

#[test]
fn governance_can_deprecate_any_model() {
	new_test_ext(|| {
		let id = register(ALICE, 1, 0);
		assert_ok!(Models::deprecate(RuntimeOrigin::root(), id));
		assert_eq!(ModelsStorage::<Test>::get(id).unwrap().status, ModelStatus::Deprecated);
	});
}

#[test]
fn unknown_models_are_reported_as_such() {
	new_test_ext(|| {
		assert_eq!(Models::terms_for_new_job(3), Err(ModelUnavailable::Unknown));
		assert_noop!(
			Models::deprecate(RuntimeOrigin::signed(ALICE), 3),
			Error::<Test>::ModelNotRegistered
		);
		assert_noop!(
			Models::remove_model(RuntimeOrigin::root(), 3),
			Error::<Test>::ModelNotRegistered
		);
	});
}

#[test]
fn the_creator_removes_a_deprecated_model_and_gets_the_deposit_back() {
	new_test_ext(|| {
		let id = register(ALICE, 1, 0);
		assert_noop!(
			Models::remove_model(RuntimeOrigin::signed(ALICE), id),
			Error::<Test>::NotDeprecated
		);
		assert_ok!(Models::deprecate(RuntimeOrigin::signed(ALICE), id));
		assert_noop!(
			Models::remove_model(RuntimeOrigin::signed(BOB), id),
			Error::<Test>::NotCreator
		);
		assert_ok!(Models::remove_model(RuntimeOrigin::signed(ALICE), id));
		assert_eq!(held(ALICE), 0);
		assert_eq!(Balances::free_balance(ALICE), 10_000);
		assert!(ModelByHash::<Test>::get(hash(1)).is_none());
		System::assert_last_event(
			Event::ModelRemoved { model: id, deposit_released: DEPOSIT, deposit_burnt: 0 }.into(),
		);
		// The file may be registered again.
		register(BOB, 1, 0);
	});
}

#[test]
fn governance_removal_burns_the_deposit() {
	new_test_ext(|| {
		let id = register(ALICE, 1, 0);
		let issuance = Balances::total_issuance();
		assert_ok!(Models::remove_model(RuntimeOrigin::root(), id));
		assert_eq!(held(ALICE), 0);
		assert_eq!(Balances::free_balance(ALICE), 10_000 - DEPOSIT);
		assert_eq!(Balances::total_issuance(), issuance - DEPOSIT);
		System::assert_last_event(
			Event::ModelRemoved { model: id, deposit_released: 0, deposit_burnt: DEPOSIT }.into(),
		);
	});
}

/// Review L1. The chain cannot know who made a file: whoever registers its hash first is its
/// creator. The remedy for a squatter (the highest royalty on someone else's model, or a
/// registration whose terms the file's header contradicts) is governance: removing the
/// registration burns the squatter's deposit and frees the hash, so the real creator can
/// register it with true terms.
#[test]
fn governance_frees_a_squatted_hash_for_its_real_creator() {
	new_test_ext(|| {
		let squatted = register(ALICE, 1, MAX_ROYALTY);
		assert_noop!(
			register_as(RuntimeOrigin::signed(BOB), 1),
			Error::<Test>::ModelAlreadyRegistered
		);
		assert_noop!(
			Models::remove_model(RuntimeOrigin::signed(BOB), squatted),
			Error::<Test>::NotCreator
		);
		assert_ok!(Models::remove_model(RuntimeOrigin::root(), squatted));
		assert_eq!(
			Balances::free_balance(ALICE),
			10_000 - DEPOSIT,
			"the squatter's deposit is burnt"
		);
		let real = register(BOB, 1, 100);
		let m = ModelsStorage::<Test>::get(real).unwrap();
		assert_eq!((m.creator, m.royalty_bps), (BOB, 100));
	});
}

#[test]
fn unsigned_origins_are_refused() {
	new_test_ext(|| {
		assert_noop!(register_as(RuntimeOrigin::none(), 1), DispatchError::BadOrigin);
	});
}

#[test]
fn model_ids_running_out_is_an_error_and_holds_nothing() {
	new_test_ext(|| {
		NextModelId::<Test>::put(u32::MAX);
		assert_noop!(
			register_as(RuntimeOrigin::signed(ALICE), 1),
			Error::<Test>::ModelIdsExhausted
		);
		assert_eq!(held(ALICE), 0);
	});
}

#[test]
fn genesis_registers_models_with_their_deposits() {
	use sp_runtime::BuildStorage;
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> { balances: vec![(ALICE, 1_000)], ..Default::default() }
		.assimilate_storage(&mut storage)
		.unwrap();
	crate::GenesisConfig::<Test> {
		models: vec![(ALICE, b"tiny".to_vec(), hash(9), 1_000, spec(FileType::Q4_1, 256), 700)],
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	sp_io::TestExternalities::new(storage).execute_with(|| {
		let m = ModelsStorage::<Test>::get(0).unwrap();
		assert_eq!((m.creator, m.royalty_bps, m.content_hash), (ALICE, 700, hash(9)));
		assert_eq!(ModelByHash::<Test>::get(hash(9)), Some(0));
		assert_eq!(held(ALICE), DEPOSIT);
		Models::do_try_state().unwrap();
	});
}

#[test]
fn the_header_is_recorded_and_the_template_decides_chat() {
	new_test_ext(|| {
		let template = Some(H256::repeat_byte(7));
		let chat = ModelSpec { chat_template: template, ..spec(FileType::IQ4_XS, 8192) };
		assert_ok!(Models::register_model(
			RuntimeOrigin::signed(ALICE),
			name("c"),
			hash(1),
			9,
			chat,
			0
		));
		register(ALICE, 2, 0);
		let m = ModelsStorage::<Test>::get(0).unwrap();
		assert_eq!(
			(m.file_type, m.context_length, m.chat_template),
			(FileType::IQ4_XS, 8192, template)
		);
		assert_eq!((m.architecture.to_vec(), m.parameters), (b"llama".to_vec(), 135_000_000));
		assert!(Models::terms_for_new_job(0).unwrap().chat);
		assert!(!Models::terms_for_new_job(1).unwrap().chat);
	});
}

#[test]
fn v0_records_migrate_to_file_types() {
	use crate::migrations::{v0, MigrateV0ToV1};
	use codec::Encode;
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};
	new_test_ext(|| {
		register(ALICE, 1, 500);
		let old = v0::ModelInfo {
			name: name("old"),
			content_hash: hash(1),
			size_bytes: 1_000,
			quantization: v0::Quantization::Q5KM,
			context_length: 256,
			creator: ALICE,
			royalty_bps: 500,
			deposit: DEPOSIT,
			status: ModelStatus::Active,
		};
		frame_support::storage::unhashed::put_raw(
			&ModelsStorage::<Test>::hashed_key_for(0),
			&old.encode(),
		);
		StorageVersion::new(0).put::<Models>();
		MigrateV0ToV1::<Test>::on_runtime_upgrade();
		let m = ModelsStorage::<Test>::get(0).unwrap();
		assert_eq!((m.file_type, m.context_length, m.chat_template), (FileType::Q5_K_M, 256, None));
		assert_eq!((m.name, m.creator, m.deposit), (name("old"), ALICE, DEPOSIT));
		assert_eq!(Models::on_chain_storage_version(), 1);
	});
}

#[test]
fn a_lowered_royalty_cap_binds_new_models_and_leaves_older_ones_valid() {
	new_test_ext(|| {
		let old = register(ALICE, 1, MAX_ROYALTY);
		crate::mock::RoyaltyCap::set(500);
		assert_noop!(
			Models::register_model(
				RuntimeOrigin::signed(ALICE),
				name("new"),
				hash(2),
				1,
				spec(FileType::Q4_0, 1),
				MAX_ROYALTY
			),
			Error::<Test>::RoyaltyTooHigh
		);
		assert_eq!(crate::Models::<Test>::get(old).unwrap().royalty_bps, MAX_ROYALTY);
		// `new_test_ext` runs `try_state` after this: the older model still passes it.
		Models::do_try_state().expect("an older model above the new cap is valid");
	});
}
