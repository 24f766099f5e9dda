//! The runtime's versions follow its encodings (review N19): a change to what a transaction
//! encodes (calls, the extrinsic format, its signed extensions) needs a new
//! `transaction_version`, so that offline signers stop signing with the old layout; a change to
//! storage needs a new `spec_version`. The test below hashes both from the metadata (types as
//! they encode: no names of types, no docs) and checks them against [`HISTORY`].
//!
//! When it fails: bump the versions in `lib.rs` (both `VERSION`s) as it says, then add the
//! line it prints to the end of [`HISTORY`].

#![cfg(test)]

use crate::{Runtime, VERSION};
use frame_support::__private::{
	metadata::{v14::StorageEntryType, RuntimeMetadata},
	scale_info::{PortableRegistry, TypeDef},
};
use std::collections::BTreeMap;

/// Each release's versions and the hashes of what its transactions and its storage encode:
/// `(spec_version, transaction_version, transactions, storage)`, oldest first.
const HISTORY: &[(u32, u32, &str, &str)] = &[
	(
		109,
		3,
		"aad71f376d801548cf95b5448f6bcabd74ae2474eae7d9bff6392c3c7a714c94",
		"38058af59c37e1dddcdf6d7ed9e1e8a780ccdb0627188a5da839930e02e5ddcf",
	),
	(
		110,
		3,
		"aad71f376d801548cf95b5448f6bcabd74ae2474eae7d9bff6392c3c7a714c94",
		"4ca3efec81d27a6f7aec2c4ccb445819cdb46a7fd1cc34a1a6f2f787f8396eb4",
	),
	(
		111,
		4,
		"fb7b7db51e30ab5f3221ae16b7d5c79a0f2451d047aac24d02fc90943873e601",
		"f017e9b8d7236db1e99269e55d214cf836fe3eb5b68b274bd186523f15ae8839",
	),
];

/// Writes `ty` and every type it reaches, as they encode, numbering types in the order first
/// seen (so the hash does not depend on the registry's ids).
fn walk(reg: &PortableRegistry, ty: u32, seen: &mut BTreeMap<u32, u32>, out: &mut Vec<u8>) {
	use codec::Encode;
	if let Some(n) = seen.get(&ty) {
		out.extend((b'#', *n).encode());
		return;
	}
	let n = seen.len() as u32;
	seen.insert(ty, n);
	let Some(t) = reg.resolve(ty) else { return out.push(b'?') };
	let mut each = |ids: &mut dyn Iterator<Item = u32>, out: &mut Vec<u8>| {
		for id in ids {
			walk(reg, id, seen, out);
		}
	};
	match &t.type_def {
		TypeDef::Composite(c) => {
			out.extend((b'c', c.fields.len() as u32).encode());
			each(&mut c.fields.iter().map(|f| f.ty.id), out);
		}
		TypeDef::Variant(v) => {
			out.extend((b'v', v.variants.len() as u32).encode());
			for variant in &v.variants {
				out.extend(
					(variant.index, variant.name.as_str(), variant.fields.len() as u32).encode(),
				);
				each(&mut variant.fields.iter().map(|f| f.ty.id), out);
			}
		}
		TypeDef::Sequence(s) => {
			out.push(b's');
			each(&mut core::iter::once(s.type_param.id), out);
		}
		TypeDef::Array(a) => {
			out.extend((b'a', a.len).encode());
			each(&mut core::iter::once(a.type_param.id), out);
		}
		TypeDef::Tuple(t) => {
			out.extend((b't', t.fields.len() as u32).encode());
			each(&mut t.fields.iter().map(|f| f.id), out);
		}
		TypeDef::Primitive(p) => out.extend((b'p', format!("{p:?}")).encode()),
		TypeDef::Compact(c) => {
			out.push(b'C');
			each(&mut core::iter::once(c.type_param.id), out);
		}
		TypeDef::BitSequence(b) => {
			out.push(b'b');
			each(&mut [b.bit_store_type.id, b.bit_order_type.id].into_iter(), out);
		}
	}
	// Type parameters carry what an opaque wrapper holds (the extrinsic's call, say).
	let params: Vec<u32> = t.type_params.iter().filter_map(|p| p.ty.map(|t| t.id)).collect();
	out.extend((b'P', params.len() as u32).encode());
	each(&mut params.into_iter(), out);
}

/// The hashes of what transactions and storage encode.
fn hashes() -> (String, String) {
	use codec::Encode;
	let metadata = sp_io::TestExternalities::default().execute_with(Runtime::metadata);
	let RuntimeMetadata::V14(m) = metadata.1 else { panic!("metadata V14") };
	let reg: &PortableRegistry = &m.types;
	let hex = |bytes: &[u8]| {
		sp_io::hashing::blake2_256(bytes).iter().map(|b| format!("{b:02x}")).collect::<String>()
	};

	let mut tx = Vec::new();
	let mut seen = BTreeMap::new();
	tx.extend(m.extrinsic.version.encode());
	walk(reg, m.extrinsic.ty.id, &mut seen, &mut tx);
	for p in &m.pallets {
		tx.extend((p.index, p.name.as_str()).encode());
		if let Some(calls) = &p.calls {
			walk(reg, calls.ty.id, &mut seen, &mut tx);
		}
	}
	for e in &m.extrinsic.signed_extensions {
		tx.extend(e.identifier.as_str().encode());
		walk(reg, e.ty.id, &mut seen, &mut tx);
		walk(reg, e.additional_signed.id, &mut seen, &mut tx);
	}

	let mut storage = Vec::new();
	let mut seen = BTreeMap::new();
	for p in &m.pallets {
		let Some(s) = &p.storage else { continue };
		storage.extend(s.prefix.as_str().encode());
		for e in &s.entries {
			storage.extend((e.name.as_str(), &e.modifier).encode());
			match &e.ty {
				StorageEntryType::Plain(v) => walk(reg, v.id, &mut seen, &mut storage),
				StorageEntryType::Map { hashers, key, value } => {
					storage.extend(hashers.encode());
					walk(reg, key.id, &mut seen, &mut storage);
					walk(reg, value.id, &mut seen, &mut storage);
				}
			}
		}
	}
	(hex(&tx), hex(&storage))
}

#[test]
fn versions_are_bumped_with_every_change_of_encoding() {
	for pair in HISTORY.windows(2) {
		let ((s0, t0, tx0, st0), (s1, t1, tx1, st1)) = (pair[0], pair[1]);
		assert!(s1 > s0, "HISTORY: spec_version {s1} after {s0}");
		if tx1 != tx0 {
			assert!(
				t1 > t0,
				"HISTORY: transactions changed at spec {s1} without a new transaction_version"
			);
		}
		if st1 != st0 {
			assert!(s1 > s0, "HISTORY: storage changed without a new spec_version");
		}
	}
	let &(spec, tx_version, tx, storage) = HISTORY.last().expect("a release");
	let (now_tx, now_storage) = hashes();
	let line = |t: u32| format!("({}, {t}, \"{now_tx}\", \"{now_storage}\")", VERSION.spec_version);
	if now_tx != tx {
		assert!(
			VERSION.transaction_version > tx_version && VERSION.spec_version > spec,
			"what transactions encode changed since spec_version {spec}: bump transaction_version \
			 (now {}) and spec_version (now {}) in runtime/src/lib.rs, then add to HISTORY: {}",
			VERSION.transaction_version,
			VERSION.spec_version,
			line(VERSION.transaction_version + 1),
		);
	}
	if now_storage != storage {
		assert!(
			VERSION.spec_version > spec,
			"storage changed since spec_version {spec}: bump spec_version in runtime/src/lib.rs, \
			 then add to HISTORY: {}",
			line(VERSION.transaction_version),
		);
	}
	assert_eq!(
		(VERSION.spec_version, VERSION.transaction_version, now_tx.as_str(), now_storage.as_str()),
		(spec, tx_version, tx, storage),
		"the last HISTORY line is not this runtime; add: {}",
		line(VERSION.transaction_version),
	);
}

/// What [`walk`] writes for the type `T`.
fn encoding_of<T: frame_support::__private::scale_info::TypeInfo + 'static>() -> Vec<u8> {
	use frame_support::__private::scale_info::{meta_type, Registry};
	let mut registry = Registry::new();
	let id = registry.register_type(&meta_type::<T>()).id;
	let portable: PortableRegistry = registry.into();
	let mut out = Vec::new();
	walk(&portable, id, &mut BTreeMap::new(), &mut out);
	out
}

#[test]
fn the_hash_follows_the_encoding_not_the_names_or_docs() {
	use frame_support::__private::scale_info::{self, TypeInfo};
	#[derive(TypeInfo)]
	#[scale_info(crate = scale_info)]
	#[allow(dead_code)]
	struct Call {
		/// A job.
		job: u64,
		amount: u32,
	}
	#[derive(TypeInfo)]
	#[scale_info(crate = scale_info)]
	#[allow(dead_code)]
	struct Renamed {
		/// Another doc.
		id: u64,
		value: u32,
	}
	#[derive(TypeInfo)]
	#[scale_info(crate = scale_info)]
	#[allow(dead_code)]
	struct Widened {
		job: u64,
		amount: u64,
	}
	#[derive(TypeInfo)]
	#[scale_info(crate = scale_info)]
	#[allow(dead_code)]
	enum Two {
		A(u32),
		B,
	}
	#[derive(TypeInfo)]
	#[scale_info(crate = scale_info)]
	#[allow(dead_code)]
	enum Three {
		A(u32),
		B,
		C,
	}
	assert_eq!(encoding_of::<Call>(), encoding_of::<Renamed>());
	assert_ne!(encoding_of::<Call>(), encoding_of::<Widened>());
	assert_ne!(encoding_of::<Two>(), encoding_of::<Three>());
}
