//! What a job asks of the engine: a raw prompt or chat messages, sampling, and how the prompt
//! becomes tokens.
//!
//! Chat messages are rendered with the model's own chat template (llama.cpp's template
//! engine). The template's text is tokenised with special tokens parsed — its `<|im_start|>`
//! is the control token — and each message's text without: a user who types a control
//! token's text gets that text, never the token. To tell the two apart, the template is
//! applied to placeholders, and the rendering is cut at them.

use crate::EngineError;
use llama_cpp_2::{
	model::{LlamaChatMessage, LlamaModel},
	sampling::LlamaSampler,
	token::LlamaToken,
};

/// One chat message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChatMessage {
	/// `system`, `user` or `assistant`.
	pub role: String,
	/// Its text.
	pub content: String,
}

/// The text a job runs on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Prompt {
	/// Tokenised as it is; control tokens' text stays text.
	Text(Vec<u8>),
	/// Rendered with the model's chat template, ending with the assistant's turn.
	Chat(Vec<ChatMessage>),
}

/// How the next token is chosen.
#[derive(Clone, Debug, PartialEq)]
pub struct Sampling {
	/// 0 is greedy decoding (the rest is then ignored).
	pub temperature: f32,
	/// Nucleus sampling: 1.0 is off.
	pub top_p: f32,
	/// Sample among the `top_k` likeliest; 0 is off.
	pub top_k: i32,
	/// The sampler's seed (`u32::MAX` is llama.cpp's "random": never use it).
	pub seed: u32,
	/// Generation stops at the first of these; the output ends before it.
	pub stop: Vec<Vec<u8>>,
}

impl Default for Sampling {
	fn default() -> Self {
		Self { temperature: 0.0, top_p: 1.0, top_k: 0, seed: 0, stop: Vec::new() }
	}
}

impl Sampling {
	/// llama.cpp's sampler for these settings: greedy, or top-k → top-p → temperature →
	/// a seeded draw (the order of llama.cpp's own examples).
	pub(crate) fn sampler(&self) -> LlamaSampler {
		if self.temperature <= 0.0 {
			return LlamaSampler::greedy();
		}
		let mut chain = Vec::with_capacity(4);
		if self.top_k > 0 {
			chain.push(LlamaSampler::top_k(self.top_k));
		}
		if self.top_p < 1.0 {
			chain.push(LlamaSampler::top_p(self.top_p, 1));
		}
		chain.push(LlamaSampler::temp(self.temperature));
		chain.push(LlamaSampler::dist(self.seed));
		LlamaSampler::chain_simple(chain)
	}

	/// Where the first stop sequence starts in `output`, looking only at what the last
	/// `added` bytes can have completed.
	pub(crate) fn find_stop(&self, output: &[u8], added: usize) -> Option<usize> {
		self.stop
			.iter()
			.filter(|s| !s.is_empty())
			.filter_map(|s| {
				let from = output.len().saturating_sub(added.saturating_add(s.len() - 1));
				let tail = output.get(from..)?;
				tail.windows(s.len()).position(|w| w == s.as_slice()).map(|p| from + p)
			})
			.min()
	}
}

/// A completion to compute.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
	pub prompt: Prompt,
	/// Most tokens to generate.
	pub max_tokens: u32,
	pub sampling: Sampling,
}

impl Request {
	/// A raw prompt, decoded greedily.
	pub fn text(prompt: impl Into<Vec<u8>>, max_tokens: u32) -> Self {
		Self { prompt: Prompt::Text(prompt.into()), max_tokens, sampling: Sampling::default() }
	}

	/// Chat messages `(role, content)`, decoded greedily.
	pub fn chat(messages: &[(&str, &str)], max_tokens: u32) -> Self {
		let messages = messages
			.iter()
			.map(|(role, content)| ChatMessage {
				role: role.to_string(),
				content: content.to_string(),
			})
			.collect();
		Self { prompt: Prompt::Chat(messages), max_tokens, sampling: Sampling::default() }
	}
}

/// A placeholder for message `i` that no template writes itself.
fn placeholder(i: usize) -> String {
	format!("\u{1}mosaic-message-{i}\u{1}")
}

/// The tokens `request`'s prompt becomes for `model`, checked to be a prompt at all and to
/// fit, with `max_tokens`, in a context of `n_ctx` tokens.
pub(crate) fn prompt_within(
	model: &LlamaModel,
	request: &Request,
	n_ctx: u32,
) -> Result<Vec<LlamaToken>, EngineError> {
	let tokens = tokens(model, &request.prompt)?;
	if tokens.is_empty() {
		return Err(EngineError::EmptyPrompt);
	}
	if tokens.len() + request.max_tokens as usize > n_ctx as usize {
		return Err(EngineError::ContextTooSmall {
			prompt: tokens.len(),
			max: request.max_tokens,
			n_ctx,
		});
	}
	Ok(tokens)
}

/// The tokens `prompt` becomes for `model` (see the module docs).
pub(crate) fn tokens(model: &LlamaModel, prompt: &Prompt) -> Result<Vec<LlamaToken>, EngineError> {
	let vocab = model.vocab();
	let messages = match prompt {
		Prompt::Text(bytes) => return Ok(vocab.tokenize(bytes, true, false)),
		Prompt::Chat(messages) => messages,
	};
	let template = model.chat_template(None).map_err(|_| EngineError::NoChatTemplate)?;
	let template_error = |e: &dyn std::fmt::Display| EngineError::Template(e.to_string());
	let placeholders = messages
		.iter()
		.enumerate()
		.map(|(i, m)| LlamaChatMessage::new(m.role.clone(), placeholder(i)))
		.collect::<Result<Vec<_>, _>>()
		.map_err(|e| template_error(&e))?;
	let rendered = model
		.apply_chat_template(&template, &placeholders, true)
		.map_err(|e| template_error(&e))?;

	let mut tokens = Vec::new();
	let mut rest = rendered.as_str();
	for (i, message) in messages.iter().enumerate() {
		let marker = placeholder(i);
		let at = rest.find(&marker).ok_or_else(|| {
			EngineError::Template(format!("the template dropped or reordered message {i}"))
		})?;
		// The template's text: its markers are control tokens. BOS only at the start.
		let (template, after) = rest.split_at(at);
		tokens.extend(vocab.tokenize(template.as_bytes(), i == 0, true));
		// The message's text: never a control token.
		tokens.extend(vocab.tokenize(message.content.as_bytes(), false, false));
		rest = after.strip_prefix(marker.as_str()).unwrap_or(after);
	}
	tokens.extend(vocab.tokenize(rest.as_bytes(), false, true));
	Ok(tokens)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn stops_are_found_where_the_new_bytes_complete_them() {
		let s = Sampling { stop: vec![b"\n\n".to_vec(), b"END".to_vec()], ..Sampling::default() };
		assert_eq!(s.find_stop(b"abc", 3), None);
		assert_eq!(s.find_stop(b"abc\n\n", 1), Some(3));
		assert_eq!(s.find_stop(b"xxEN", 2), None);
		assert_eq!(s.find_stop(b"xxEND", 1), Some(2));
		// Only what the last bytes can complete is searched: an older stop was handled then.
		assert_eq!(s.find_stop(b"END and more", 4), None);
		assert_eq!(s.find_stop(b"a\n\nEND", 6), Some(1));
	}
}
