//! Tests of the jobs pallet, with the real models, providers and settlement pallets.

mod audits;
mod deadlines;
mod declines;
mod offchain;
mod property;
mod requests;
mod results;
mod retention;
mod scale;
mod settlement;
mod submission;

use crate::{mock::*, AssignmentState, Jobs as JobsStorage};
use frame_support::{
	assert_ok,
	traits::fungible::{Inspect, InspectHold},
};
use mosaic_primitives::{FileType, JobId, ModelId, ModelSpec};
use pallet_mosaic_providers::{HardwareProfile, HoldReason as ProviderHold};
use sp_core::{Pair, H256};
use sp_runtime::{DispatchResult, MultiSignature};

/// The engine fingerprint every test provider declares unless a test says otherwise.
pub const ENGINE: H256 = H256::repeat_byte(0xee);
/// Every test provider's ask per token, unless a test says otherwise.
pub const ASK: Balance = 3;

pub fn profile(engine: H256) -> HardwareProfile {
	HardwareProfile { cpu_cores: 2, ram_gib: 8, gpu: None, max_concurrent_jobs: 4, engine }
}

/// Registers a chat model (128 tokens of context, a chat template) by the creator with
/// `royalty_bps`; returns its id.
pub fn register_model(royalty_bps: u16) -> ModelId {
	register_model_with(royalty_bps, Some(H256::repeat_byte(0xc7)))
}

/// Registers a model with `chat_template` (`None`: raw prompts only).
pub fn register_model_with(royalty_bps: u16, chat_template: Option<H256>) -> ModelId {
	let id = pallet_mosaic_models::NextModelId::<Test>::get();
	let spec = ModelSpec { chat_template, ..ModelSpec::llama(1_000, FileType::Q8_0, 128) };
	assert_ok!(Models::register_model(
		RuntimeOrigin::signed(account(CREATOR)),
		b"tiny".to_vec().try_into().unwrap(),
		H256::repeat_byte(id as u8 + 1),
		1_000,
		spec,
		royalty_bps
	));
	id
}

/// Registers provider `n` (bond `MIN_BOND`, ask `ask`, engine `engine`) serving `model` on
/// [`TERMS`].
pub fn add_provider_with(n: u8, model: ModelId, ask: Balance, engine: H256) {
	add_provider_on(n, model, ask, engine, TERMS);
}

/// Registers provider `n` serving `model` on `terms`.
pub fn add_provider_on(
	n: u8,
	model: ModelId,
	ask: Balance,
	engine: H256,
	terms: mosaic_primitives::ServingTerms,
) {
	assert_ok!(Providers::register_provider(
		RuntimeOrigin::signed(provider(n)),
		profile(engine),
		ask,
		operator(n),
		MIN_BOND
	));
	assert_ok!(Providers::serve_model(RuntimeOrigin::signed(provider(n)), model, terms));
}

pub fn add_provider(n: u8, model: ModelId) {
	add_provider_with(n, model, ASK, ENGINE);
}

/// A model with royalty 10 % and providers 0..count serving it.
pub fn market(count: u8) -> ModelId {
	let model = register_model(1_000);
	for n in 0..count {
		add_provider(n, model);
	}
	model
}

pub fn submit(
	user: u8,
	model: ModelId,
	max_tokens: u32,
	bid: Balance,
) -> Result<JobId, sp_runtime::DispatchError> {
	let id = crate::NextJobId::<Test>::get();
	Jobs::submit_job(
		RuntimeOrigin::signed(account(user)),
		model,
		b"Once upon a time".to_vec(),
		max_tokens,
		bid,
	)
	.map_err(|e| e.error)?;
	Ok(id)
}

/// The weight `submit_job` is charged before it runs, and the weight it reports after.
pub fn charged_and_used(
	model: ModelId,
) -> (frame_support::weights::Weight, Option<frame_support::weights::Weight>) {
	use frame_support::dispatch::GetDispatchInfo;
	use sp_runtime::traits::Dispatchable;
	let call = RuntimeCall::Jobs(crate::Call::submit_job {
		model,
		prompt: b"Once upon a time".to_vec(),
		max_tokens: 10,
		bid: 5,
	});
	let charged = call.get_dispatch_info().call_weight;
	let post = call.dispatch(RuntimeOrigin::signed(account(USER))).expect("submitted");
	(charged, post.actual_weight)
}

/// The token ids a test answer of `tokens` tokens carries.
pub fn ids(tokens: u32) -> Vec<u32> {
	(0..tokens).collect()
}

/// The executor of `job`, as an index.
pub fn executor(job: JobId) -> u8 {
	let j = JobsStorage::<Test>::get(job).unwrap();
	let a = j.assignments.iter().rev().find(|a| a.role == crate::Role::Executor).unwrap();
	index_of(&a.provider)
}

/// Runs blocks until `job`'s current deadline has passed (its challenge window closed).
pub fn close_window(job: JobId) {
	let deadline = JobsStorage::<Test>::get(job).unwrap().deadline;
	run_to_block(deadline);
}

/// The index `n` of the provider account `who`.
pub fn index_of(who: &AccountId) -> u8 {
	(0..=u8::MAX).find(|n| &provider(*n) == who).expect("a test provider")
}

/// The providers assigned to `job`, in assignment order, as indices.
pub fn assigned(job: JobId) -> Vec<u8> {
	JobsStorage::<Test>::get(job)
		.unwrap()
		.assignments
		.iter()
		.map(|a| index_of(&a.provider))
		.collect()
}

/// The providers of `job` still expected to answer.
pub fn waiting(job: JobId) -> Vec<u8> {
	JobsStorage::<Test>::get(job)
		.unwrap()
		.assignments
		.iter()
		.filter(|a| a.state == AssignmentState::Waiting)
		.map(|a| index_of(&a.provider))
		.collect()
}

/// Provider `n`'s operator signature over the attestation of `output` for `job`.
pub fn sign(n: u8, job: JobId, output: &[u8], tokens: u32) -> MultiSignature {
	let record = JobsStorage::<Test>::get(job).unwrap();
	let payload = Jobs::attestation_payload(job, &record, output, &ids(tokens));
	MultiSignature::Ed25519(operator_pair(n).sign(&payload.signing_bytes()))
}

/// Provider `n` answers `job` with `output` and `tokens` tokens, correctly signed; the job
/// then waits out its challenge window.
pub fn submit_answer(n: u8, job: JobId, output: &[u8], tokens: u32) -> DispatchResult {
	Jobs::submit_result(
		authorized(),
		job,
		provider(n),
		output.to_vec(),
		ids(tokens),
		sign(n, job, output, tokens),
	)
}

/// [`submit_answer`], then the challenge window passes: without an audit (the tests' audit
/// chance is zero unless a test raises it), the job is paid.
pub fn answer(n: u8, job: JobId, output: &[u8], tokens: u32) -> DispatchResult {
	submit_answer(n, job, output, tokens)?;
	close_window(job);
	Ok(())
}

/// Provider `n`'s operator signature over an audit `report` of `job`'s answer.
pub fn sign_audit(n: u8, job: JobId, report: &mosaic_primitives::AuditReport) -> MultiSignature {
	let j = JobsStorage::<Test>::get(job).unwrap();
	let output_hash = j.outcome.map(|a| a.output_hash).unwrap_or_default();
	let bytes =
		crate::audit_signing_bytes(job, j.request_hash, output_hash, report, Jobs::genesis());
	MultiSignature::Ed25519(operator_pair(n).sign(&bytes))
}

/// Provider `n` reports `report` on `job`'s answer.
pub fn audit(n: u8, job: JobId, report: mosaic_primitives::AuditReport) -> DispatchResult {
	Jobs::submit_audit(authorized(), job, provider(n), report, sign_audit(n, job, &report))
		.map(|_| ())
		.map_err(|e| e.error)
}

/// Provider `n`'s operator signature declining `job` for `reason`.
pub fn sign_decline(n: u8, job: JobId, reason: crate::DeclineReason) -> MultiSignature {
	let request_hash = JobsStorage::<Test>::get(job).map(|j| j.request_hash).unwrap_or_default();
	let bytes = crate::decline_signing_bytes(job, request_hash, reason, Jobs::genesis());
	MultiSignature::Ed25519(operator_pair(n).sign(&bytes))
}

/// Provider `n`'s node declines `job`.
pub fn decline(n: u8, job: JobId) -> DispatchResult {
	let reason = crate::DeclineReason::EngineFailure;
	Jobs::decline_job(authorized(), job, provider(n), reason, sign_decline(n, job, reason))
		.map(|_| ())
		.map_err(|e| e.error)
}

/// Free balance, escrow held and bond held of an account. The escrow is what is held under
/// `HoldReason::Job`: jobs' deposits too, in the tests that turn deposits on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Funds {
	pub free: Balance,
	pub escrow: Balance,
	pub bond: Balance,
}

pub fn funds(who: &AccountId) -> Funds {
	Funds {
		free: Balances::balance(who),
		escrow: Balances::balance_on_hold(&crate::HoldReason::Job.into(), who),
		bond: Balances::balance_on_hold(&ProviderHold::ProviderBond.into(), who),
	}
}

/// Runs `f` and returns the change of each account's free balance, escrow and bond.
pub fn diff<R>(accounts: &[AccountId], f: impl FnOnce() -> R) -> (R, Vec<(i128, i128, i128)>) {
	let before: Vec<Funds> = accounts.iter().map(funds).collect();
	let r = f();
	let after: Vec<Funds> = accounts.iter().map(funds).collect();
	let d = before
		.iter()
		.zip(after)
		.map(|(b, a)| {
			(
				a.free as i128 - b.free as i128,
				a.escrow as i128 - b.escrow as i128,
				a.bond as i128 - b.bond as i128,
			)
		})
		.collect();
	(r, d)
}
