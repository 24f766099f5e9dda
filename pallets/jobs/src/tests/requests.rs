//! Chat and sampled jobs (`submit_request`): every rule of a request has its error, chat needs
//! a model with a template, the template's allowance counts against the context, and the
//! provider's worker hands the engine the request as submitted.

use super::*;
use crate::{Error, Requests};
use codec::Decode;
use frame_support::assert_noop;
use mosaic_primitives::{
	Input, JobRequest, Message, Role, Sampling, CHAT_BASE_TOKENS, CHAT_TOKENS_PER_MESSAGE,
	MAX_MESSAGES, MAX_STOPS, MAX_STOP_LEN, MAX_TEMPERATURE,
};

fn chat(messages: &[(Role, &str)]) -> JobRequest {
	JobRequest {
		input: Input::Chat(
			messages
				.iter()
				.map(|(role, text)| Message { role: *role, content: text.as_bytes().to_vec() })
				.collect(),
		),
		sampling: Sampling::default(),
	}
}

fn submit_request(
	model: ModelId,
	request: JobRequest,
	max_tokens: u32,
) -> sp_runtime::DispatchResult {
	Jobs::submit_request(RuntimeOrigin::signed(account(USER)), model, request, max_tokens, 5)
		.map(|_| ())
		.map_err(|e| e.error)
}

#[test]
fn a_chat_job_with_sampling_is_stored_and_hashed_as_submitted() {
	new_test_ext(|| {
		let model = market(1);
		let mut request = chat(&[(Role::System, "Be brief."), (Role::User, "Capital of France?")]);
		request.sampling = Sampling {
			temperature: 70,
			top_p: 9_000,
			top_k: 40,
			seed: 42,
			stop: vec![b"\n".to_vec()],
		};
		let job = crate::NextJobId::<Test>::get();
		assert_ok!(submit_request(model, request.clone(), 10));
		assert_eq!(Jobs::request(job), Some(request.clone()));
		assert_eq!(JobsStorage::<Test>::get(job).unwrap().request_hash, request.hash());
		let stored = Requests::<Test>::get(job).unwrap();
		assert_eq!(JobRequest::decode(&mut &stored[..]).unwrap(), request);
	});
}

#[test]
fn every_bad_request_is_refused_with_its_error_and_nothing_held() {
	new_test_ext(|| {
		let model = market(1);
		let free = Balances::free_balance(account(USER));
		let sampled = |f: fn(&mut Sampling)| {
			let mut r = chat(&[(Role::User, "hi")]);
			f(&mut r.sampling);
			r
		};
		let cases: Vec<(JobRequest, Error<Test>)> = vec![
			(chat(&[]), Error::EmptyMessages),
			(chat(&[(Role::User, "")]), Error::EmptyPrompt),
			(chat(&vec![(Role::User, "a"); MAX_MESSAGES + 1]), Error::TooManyMessages),
			(chat(&[(Role::User, "a\0")]), Error::BadMessage),
			(chat(&[(Role::User, &"a".repeat(65))]), Error::PromptTooLong),
			(JobRequest::text(Vec::new()), Error::EmptyPrompt),
			(sampled(|s| s.temperature = MAX_TEMPERATURE + 1), Error::TemperatureOutOfRange),
			(sampled(|s| s.top_p = 0), Error::TopPOutOfRange),
			(sampled(|s| s.top_k = 1_001), Error::TopKOutOfRange),
			(sampled(|s| s.seed = u32::MAX), Error::ReservedSeed),
			(sampled(|s| s.stop = vec![b"x".to_vec(); MAX_STOPS + 1]), Error::TooManyStops),
			(sampled(|s| s.stop = vec![vec![b'x'; MAX_STOP_LEN + 1]]), Error::BadStop),
			(sampled(|s| s.stop = vec![Vec::new()]), Error::BadStop),
		];
		for (request, error) in cases {
			assert_noop!(submit_request(model, request, 10), error);
		}
		assert_eq!(Balances::free_balance(account(USER)), free);
	});
}

#[test]
fn chat_needs_a_model_with_a_template() {
	new_test_ext(|| {
		let raw = register_model_with(1_000, None);
		add_provider(0, raw);
		assert_noop!(
			submit_request(raw, chat(&[(Role::User, "hi")]), 10),
			Error::<Test>::NoChatTemplate
		);
		// Raw prompts, sampled or not, are fine.
		let mut text = JobRequest::text(b"hi".to_vec());
		text.sampling.temperature = 100;
		assert_ok!(submit_request(raw, text, 10));
	});
}

#[test]
fn the_template_allowance_counts_against_the_context() {
	new_test_ext(|| {
		// The test model has 128 tokens of context. One message of n bytes takes at most
		// n + CHAT_BASE_TOKENS + CHAT_TOKENS_PER_MESSAGE, plus 2, plus max_tokens.
		let model = market(1);
		let overhead = (CHAT_BASE_TOKENS + CHAT_TOKENS_PER_MESSAGE + 2) as usize;
		let fits = 128 - overhead - 10;
		assert_ok!(submit_request(model, chat(&[(Role::User, &"a".repeat(fits))]), 10));
		assert_noop!(
			submit_request(model, chat(&[(Role::User, &"a".repeat(fits + 1))]), 10),
			Error::<Test>::ExceedsContext
		);
		// The same bytes as a raw prompt need no allowance.
		assert_ok!(submit_request(model, JobRequest::text(vec![b'a'; fits + 1]), 10));
	});
}
