//! What a GGUF file's header says about its model, read by llama.cpp.

use crate::EngineError;
use llama_cpp_2::model::LlamaModel;

/// The fields of a GGUF header that a registration records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelHeader {
	/// `general.architecture`, e.g. `llama`.
	pub architecture: String,
	/// `general.name`, if the file has one.
	pub name: Option<String>,
	/// Number of weights, counted by llama.cpp over the file's tensors.
	pub parameters: u64,
	/// `general.file_type`: llama.cpp's `llama_ftype` number.
	pub file_type: u32,
	/// `<architecture>.context_length`: the context it was trained with.
	pub context_length: u32,
	/// `tokenizer.chat_template`, if any.
	pub chat_template: Option<String>,
}

impl ModelHeader {
	/// Reads the header of a loaded model.
	pub(crate) fn of(model: &LlamaModel) -> Result<Self, EngineError> {
		let architecture = model
			.meta_val_str("general.architecture")
			.map_err(|_| EngineError::Header("no general.architecture".into()))?;
		let file_type = model
			.meta_val_str("general.file_type")
			.ok()
			.and_then(|v| v.trim().parse().ok())
			.ok_or_else(|| EngineError::Header("no general.file_type".into()))?;
		Ok(Self {
			name: model.meta_val_str("general.name").ok(),
			parameters: model.n_params(),
			file_type,
			context_length: model.n_ctx_train(),
			chat_template: model.chat_template(None).ok().and_then(|t| t.to_string().ok()),
			architecture,
		})
	}
}
