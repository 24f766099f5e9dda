//! Content hashes of model files and the models directory.

use crate::{hex, EngineError};
use blake2::{digest::consts::U32, Blake2b, Digest};
use std::{
	collections::HashMap,
	io::Read,
	path::{Path, PathBuf},
	sync::Mutex,
	time::SystemTime,
};

/// BLAKE2b-256 of `bytes`.
pub fn blake2b_256(bytes: &[u8]) -> [u8; 32] {
	Blake2b::<U32>::digest(bytes).into()
}

/// BLAKE2b-256 of the whole file, as registered on-chain (`b2sum -l 256 FILE`).
pub fn content_hash(path: &Path) -> Result<[u8; 32], EngineError> {
	let io = |source| EngineError::Io { path: path.display().to_string(), source };
	let mut file = std::fs::File::open(path).map_err(io)?;
	let mut hasher = Blake2b::<U32>::new();
	let mut buf = vec![0u8; 1 << 20];
	loop {
		let n = file.read(&mut buf).map_err(io)?;
		if n == 0 {
			break;
		}
		hasher.update(buf.get(..n).unwrap_or_default());
	}
	Ok(hasher.finalize().into())
}

/// A directory of `.gguf` files, looked up by content hash. Hashes are cached per file and
/// recomputed when its size or modification time changes.
pub struct ModelDir {
	dir: PathBuf,
	cache: Mutex<HashMap<PathBuf, (u64, Option<SystemTime>, [u8; 32])>>,
}

impl ModelDir {
	pub fn new(dir: impl Into<PathBuf>) -> Self {
		Self { dir: dir.into(), cache: Mutex::new(HashMap::new()) }
	}

	/// The path of the file whose content hash is `hash`, hashed afresh by this call, so it can
	/// be loaded right away without hashing it a second time.
	pub fn find(&self, hash: &[u8; 32]) -> Result<PathBuf, EngineError> {
		let io = |source| EngineError::Io { path: self.dir.display().to_string(), source };
		let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
		for entry in std::fs::read_dir(&self.dir).map_err(io)? {
			let path = entry.map_err(io)?.path();
			if path.extension().and_then(|e| e.to_str()) != Some("gguf") {
				continue;
			}
			let meta = std::fs::metadata(&path).map_err(io)?;
			let key = (meta.len(), meta.modified().ok());
			if let Some((len, modified, h)) = cache.get(&path) {
				if (*len, *modified) == key {
					if h != hash {
						continue;
					}
					// A match from the cache is hashed again before it is served: size and
					// modification time can stay the same while the bytes change.
					cache.remove(&path);
					Self::verify(&path, hash)?;
					cache.insert(path.clone(), (key.0, key.1, *hash));
					return Ok(path);
				}
			}
			let h = content_hash(&path)?;
			cache.insert(path.clone(), (key.0, key.1, h));
			if &h == hash {
				return Ok(path);
			}
		}
		Err(EngineError::ModelNotFound(hex(hash)))
	}

	/// Checks that `path` has content hash `expected`.
	pub fn verify(path: &Path, expected: &[u8; 32]) -> Result<(), EngineError> {
		let actual = content_hash(path)?;
		if &actual != expected {
			log::warn!(
				target: "mosaic::inference",
				"refusing {}: content hash {} is not the registered {}",
				path.display(), hex(&actual), hex(expected)
			);
			return Err(EngineError::HashMismatch {
				path: path.display().to_string(),
				expected: hex(expected),
				actual: hex(&actual),
			});
		}
		Ok(())
	}
}
