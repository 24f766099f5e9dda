//! A Binaryen-free stand-in for the `wasm-opt` crate, patched in for `substrate-wasm-builder`.
//!
//! The builder asks Binaryen for two passes at `-O0` and nothing else:
//!
//! * `StripDwarf` removes DWARF custom sections (`.debug_*`). We do this ourselves by walking
//!   the module's sections and dropping those custom sections; every other byte is kept.
//! * `SignextLowering` rewrites sign-extension opcodes into MVP code. The runtime is compiled
//!   for `wasm32v1-none`, whose feature set is the MVP plus mutable globals, so rustc never
//!   emits those opcodes and there is nothing to lower. We check that claim instead of assuming
//!   it: a module whose code section contains a sign-extension opcode is refused with
//!   [`OptimizationError::SignExtPresent`], so a wrong target fails the build rather than
//!   producing a blob older executors would reject.
//!
//! Cutting Binaryen saves its C++ build; the blob is then only stripped and zstd-compressed by
//! the builder, as with Binaryen at `-O0`.

#![cfg_attr(test, allow(clippy::arithmetic_side_effects, clippy::indexing_slicing))]
use std::path::Path;

/// The passes the builder requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pass {
	/// Remove DWARF debug sections.
	StripDwarf,
	/// Lower sign-extension operations to MVP code.
	SignextLowering,
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum OptimizationError {
	/// Reading the input or writing the output failed.
	#[error("wasm-opt stand-in: i/o on {path}: {source}")]
	Io { path: String, source: std::io::Error },
	/// The input is not a well-formed WASM module.
	#[error("wasm-opt stand-in: malformed module: {0}")]
	Malformed(&'static str),
	/// Sign-extension lowering was requested but the module uses sign-extension opcodes.
	#[error(
		"wasm-opt stand-in: the module uses sign-extension opcodes; build the runtime for \
		 wasm32v1-none (`rustup target add wasm32v1-none`)"
	)]
	SignExtPresent,
}

/// Options for one run, built like Binaryen's `OptimizationOptions`.
#[derive(Clone, Debug, Default)]
pub struct OptimizationOptions {
	passes: Vec<Pass>,
}

impl OptimizationOptions {
	/// No optimisation passes beyond those added.
	pub fn new_opt_level_0() -> Self {
		Self::default()
	}

	/// Restricts the feature set to the MVP (what we produce anyway).
	pub fn mvp_features_only(&mut self) -> &mut Self {
		self
	}

	/// Keeping the name section or not: names are never touched here.
	pub fn debug_info(&mut self, _value: bool) -> &mut Self {
		self
	}

	/// Adds a pass.
	pub fn add_pass(&mut self, pass: Pass) -> &mut Self {
		self.passes.push(pass);
		self
	}

	/// Reads `infile`, applies the passes, writes `outfile` (which may be the same path).
	pub fn run(
		&self,
		infile: impl AsRef<Path>,
		outfile: impl AsRef<Path>,
	) -> Result<(), OptimizationError> {
		let input = read(infile.as_ref())?;
		let output = self.apply(&input)?;
		std::fs::write(outfile.as_ref(), output).map_err(|source| OptimizationError::Io {
			path: outfile.as_ref().display().to_string(),
			source,
		})
	}

	/// Applies the passes to a module in memory.
	pub fn apply(&self, module: &[u8]) -> Result<Vec<u8>, OptimizationError> {
		let sections = sections(module)?;
		if self.passes.contains(&Pass::SignextLowering) {
			if let Some(code) = sections.iter().find(|s| s.id == CODE_SECTION) {
				if code_uses_sign_ext(code.body)? {
					return Err(OptimizationError::SignExtPresent);
				}
			}
		}
		let strip = self.passes.contains(&Pass::StripDwarf);
		let mut out = Vec::with_capacity(module.len());
		out.extend_from_slice(module.get(..HEADER_LEN).unwrap_or_default());
		for s in sections {
			if strip && s.is_dwarf() {
				continue;
			}
			out.extend_from_slice(s.raw);
		}
		Ok(out)
	}
}

fn read(path: &Path) -> Result<Vec<u8>, OptimizationError> {
	std::fs::read(path)
		.map_err(|source| OptimizationError::Io { path: path.display().to_string(), source })
}

const HEADER_LEN: usize = 8;
const CUSTOM_SECTION: u8 = 0;
const CODE_SECTION: u8 = 10;

struct Section<'a> {
	id: u8,
	/// The whole section: id, size and body.
	raw: &'a [u8],
	body: &'a [u8],
}

impl Section<'_> {
	fn is_dwarf(&self) -> bool {
		if self.id != CUSTOM_SECTION {
			return false;
		}
		let mut r = Reader { bytes: self.body, pos: 0 };
		match r.name() {
			Ok(name) => name.starts_with(b".debug_"),
			Err(_) => false,
		}
	}
}

struct Reader<'a> {
	bytes: &'a [u8],
	pos: usize,
}

impl<'a> Reader<'a> {
	fn done(&self) -> bool {
		self.pos >= self.bytes.len()
	}

	fn byte(&mut self) -> Result<u8, OptimizationError> {
		let b = *self.bytes.get(self.pos).ok_or(OptimizationError::Malformed("unexpected end"))?;
		self.pos = self.pos.saturating_add(1);
		Ok(b)
	}

	fn leb_u32(&mut self) -> Result<u32, OptimizationError> {
		let mut result: u64 = 0;
		for shift in [0u32, 7, 14, 21, 28] {
			let b = self.byte()?;
			result |= u64::from(b & 0x7f).checked_shl(shift).unwrap_or(0);
			if b & 0x80 == 0 {
				return u32::try_from(result).map_err(|_| OptimizationError::Malformed("leb128"));
			}
		}
		Err(OptimizationError::Malformed("leb128 too long"))
	}

	/// Skips a signed LEB128 of any width (up to 64 bits).
	fn skip_leb(&mut self) -> Result<(), OptimizationError> {
		for _ in 0..10 {
			if self.byte()? & 0x80 == 0 {
				return Ok(());
			}
		}
		Err(OptimizationError::Malformed("leb128 too long"))
	}

	fn take(&mut self, n: usize) -> Result<&'a [u8], OptimizationError> {
		let end = self.pos.checked_add(n).ok_or(OptimizationError::Malformed("length"))?;
		let s = self.bytes.get(self.pos..end).ok_or(OptimizationError::Malformed("truncated"))?;
		self.pos = end;
		Ok(s)
	}

	fn name(&mut self) -> Result<&'a [u8], OptimizationError> {
		let len = self.leb_u32()? as usize;
		self.take(len)
	}
}

fn sections(module: &[u8]) -> Result<Vec<Section<'_>>, OptimizationError> {
	if module.get(..4) != Some(b"\0asm".as_slice()) || module.len() < HEADER_LEN {
		return Err(OptimizationError::Malformed("missing \\0asm header"));
	}
	let mut r = Reader { bytes: module, pos: HEADER_LEN };
	let mut out = Vec::new();
	while !r.done() {
		let start = r.pos;
		let id = r.byte()?;
		let len = r.leb_u32()? as usize;
		let body = r.take(len)?;
		let raw = module.get(start..r.pos).ok_or(OptimizationError::Malformed("section"))?;
		out.push(Section { id, raw, body });
	}
	Ok(out)
}

/// Walks every instruction of every function body and reports whether any is one of the five
/// sign-extension opcodes (0xC0..=0xC4).
fn code_uses_sign_ext(code: &[u8]) -> Result<bool, OptimizationError> {
	let mut r = Reader { bytes: code, pos: 0 };
	let count = r.leb_u32()?;
	for _ in 0..count {
		let size = r.leb_u32()? as usize;
		let body = r.take(size)?;
		let mut f = Reader { bytes: body, pos: 0 };
		let local_groups = f.leb_u32()?;
		for _ in 0..local_groups {
			f.leb_u32()?;
			f.byte()?;
		}
		while !f.done() {
			if scan_instruction(&mut f)? {
				return Ok(true);
			}
		}
	}
	Ok(false)
}

/// Consumes one MVP instruction; returns true for a sign-extension opcode.
fn scan_instruction(f: &mut Reader<'_>) -> Result<bool, OptimizationError> {
	let op = f.byte()?;
	match op {
		0xC0..=0xC4 => return Ok(true),
		// block, loop, if: block type (0x40, a value type, or an s33 type index).
		0x02..=0x04 => f.skip_leb()?,
		// br, br_if, call, local.get/set/tee, global.get/set.
		0x0C | 0x0D | 0x10 | 0x20..=0x24 => {
			f.leb_u32()?;
		}
		0x0E => {
			let n = f.leb_u32()?;
			for _ in 0..=n {
				f.leb_u32()?;
			}
		}
		0x11 => {
			f.leb_u32()?;
			f.leb_u32()?;
		}
		// select with types.
		0x1C => {
			let n = f.leb_u32()?;
			f.take(n as usize)?;
		}
		// loads and stores: align, offset.
		0x28..=0x3E => {
			f.leb_u32()?;
			f.leb_u32()?;
		}
		// memory.size, memory.grow: reserved byte.
		0x3F | 0x40 => {
			f.byte()?;
		}
		0x41 | 0x42 => f.skip_leb()?,
		0x43 => {
			f.take(4)?;
		}
		0x44 => {
			f.take(8)?;
		}
		// Prefixed opcodes (saturating truncation, bulk memory): the sub-opcode and, for bulk
		// memory, its immediates.
		0xFC => {
			let sub = f.leb_u32()?;
			match sub {
				0..=7 => {}
				8 => {
					f.leb_u32()?;
					f.byte()?;
				}
				9 | 13 | 15..=17 => {
					f.leb_u32()?;
				}
				10 | 12 | 14 => {
					f.leb_u32()?;
					f.leb_u32()?;
				}
				11 => {
					f.byte()?;
				}
				_ => return Err(OptimizationError::Malformed("unknown 0xFC sub-opcode")),
			}
		}
		// Everything else in the MVP has no immediates.
		_ => {}
	}
	Ok(false)
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
	use super::*;

	fn leb(mut v: u32, out: &mut Vec<u8>) {
		loop {
			let b = (v & 0x7f) as u8;
			v >>= 7;
			if v == 0 {
				out.push(b);
				return;
			}
			out.push(b | 0x80);
		}
	}

	fn section(id: u8, body: &[u8]) -> Vec<u8> {
		let mut s = vec![id];
		leb(body.len() as u32, &mut s);
		s.extend_from_slice(body);
		s
	}

	fn custom(name: &str, payload: &[u8]) -> Vec<u8> {
		let mut body = Vec::new();
		leb(name.len() as u32, &mut body);
		body.extend_from_slice(name.as_bytes());
		body.extend_from_slice(payload);
		section(0, &body)
	}

	/// A code section with one function whose body is `instrs` followed by `end`.
	fn code(instrs: &[u8]) -> Vec<u8> {
		let mut func = vec![0]; // no locals
		func.extend_from_slice(instrs);
		func.push(0x0B);
		let mut body = vec![1];
		leb(func.len() as u32, &mut body);
		body.extend_from_slice(&func);
		section(10, &body)
	}

	fn module(sections: &[Vec<u8>]) -> Vec<u8> {
		let mut m = b"\0asm\x01\0\0\0".to_vec();
		for s in sections {
			m.extend_from_slice(s);
		}
		m
	}

	#[test]
	fn strip_dwarf_drops_debug_sections_and_keeps_the_rest() {
		let keep = custom("name", b"names");
		let input = module(&[custom(".debug_info", b"xyz"), keep.clone(), code(&[0x01])]);
		let out = OptimizationOptions::new_opt_level_0()
			.add_pass(Pass::StripDwarf)
			.apply(&input)
			.unwrap();
		assert_eq!(out, module(&[keep, code(&[0x01])]));
	}

	#[test]
	fn without_passes_the_module_is_unchanged() {
		let input = module(&[custom(".debug_line", b"1"), code(&[0x41, 0x7f, 0x1a])]);
		assert_eq!(OptimizationOptions::new_opt_level_0().apply(&input).unwrap(), input);
	}

	#[test]
	fn sign_extension_is_detected_when_lowering_is_requested() {
		// i32.const -1; i32.extend8_s; drop
		let input = module(&[code(&[0x41, 0x7f, 0xC0, 0x1a])]);
		let err = OptimizationOptions::new_opt_level_0()
			.add_pass(Pass::SignextLowering)
			.apply(&input)
			.unwrap_err();
		assert!(matches!(err, OptimizationError::SignExtPresent));
	}

	#[test]
	fn immediates_that_look_like_sign_ext_are_not_opcodes() {
		// i32.const 0x40 (LEB 0xC0 0x00); drop
		let input = module(&[code(&[0x41, 0xC0, 0x00, 0x1a])]);
		let out = OptimizationOptions::new_opt_level_0()
			.add_pass(Pass::SignextLowering)
			.apply(&input)
			.unwrap();
		assert_eq!(out, input);
	}

	#[test]
	fn garbage_is_refused() {
		assert!(matches!(
			OptimizationOptions::new_opt_level_0().apply(b"not wasm"),
			Err(OptimizationError::Malformed(_))
		));
	}
}
