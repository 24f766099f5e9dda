//! The marketplace's read-only runtime API (`mosaic_api::MarketplaceApi`): views built from
//! the models, providers and jobs pallets' storage, and job cost estimates computed with the
//! same rules `jobs.submit_job` and the settlement pallet apply.

use crate::{configs::marketplace::ProtocolFee, AccountId, Balance, BlockNumber, Runtime};
use alloc::vec::Vec;
use frame_support::traits::Get;
use mosaic_api::{
	AssignedView, AssignmentRole, AssignmentView, Estimate, JobState, JobView, ModelView,
	ModelsPage, ProviderView, ProvidersPage, QueryError, MODELS_PAGE, PROVIDERS_PAGE,
};
use mosaic_primitives::{JobId, JobNeeds, ModelId, ModelRegistry, ModelUnavailable};
use pallet_mosaic_jobs::{AssignmentState, JobStatus, Role};
use pallet_mosaic_models::ModelStatus;
use pallet_mosaic_providers::ProviderStatus;

type Models = pallet_mosaic_models::Pallet<Runtime>;
type Jobs = pallet_mosaic_jobs::Pallet<Runtime>;

/// Up to `limit` (at most [`MODELS_PAGE`]) models with ids from `from`, in id order, looking
/// at no more than 4 × `MODELS_PAGE` ids: the work of one call is bounded however many models
/// there are (review L5), and removed models (gaps in the ids) cannot make it unbounded.
pub fn models(from: ModelId, limit: u32) -> ModelsPage<AccountId, Balance> {
	let end = pallet_mosaic_models::NextModelId::<Runtime>::get();
	let limit = limit.clamp(1, MODELS_PAGE) as usize;
	let scan_end = end.min(from.saturating_add(MODELS_PAGE.saturating_mul(4)));
	let mut models = Vec::new();
	let mut id = from;
	while id < scan_end && models.len() < limit {
		if let Some(m) = pallet_mosaic_models::Models::<Runtime>::get(id) {
			models.push(ModelView {
				id,
				name: m.name.into_inner(),
				content_hash: m.content_hash,
				size_bytes: m.size_bytes,
				architecture: m.architecture.into_inner(),
				parameters: m.parameters,
				file_type: m.file_type,
				context_length: m.context_length,
				chat_template: m.chat_template,
				creator: m.creator,
				royalty_bps: m.royalty_bps,
				deposit: m.deposit,
				deprecated: m.status != ModelStatus::Active,
				providers: pallet_mosaic_providers::SlotCount::<Runtime>::get(id),
			});
		}
		id = id.saturating_add(1);
	}
	ModelsPage { models, next: (id < end).then_some(id) }
}

/// Up to `limit` (at most [`PROVIDERS_PAGE`]) of the providers serving `model`, from slot
/// `from` of its draw index (see `MarketplaceApi::providers`): bounded work however many
/// providers serve it (up to 65,536).
pub fn providers(
	model: ModelId,
	from: u32,
	limit: u32,
) -> Result<ProvidersPage<AccountId, Balance>, QueryError> {
	if !Models::exists(model) {
		return Err(QueryError::UnknownModel);
	}
	let total = pallet_mosaic_providers::SlotCount::<Runtime>::get(model);
	let end = total.min(from.saturating_add(limit.clamp(1, PROVIDERS_PAGE)));
	let providers = (from..end)
		.filter_map(|slot| pallet_mosaic_providers::Slots::<Runtime>::get(model, slot))
		.filter_map(|who| provider_view(model, who))
		.collect();
	Ok(ProvidersPage { providers, next: (end < total).then_some(end), total })
}

/// What `mosaic_providers` shows of `who`, serving `model`.
fn provider_view(model: ModelId, who: AccountId) -> Option<ProviderView<AccountId, Balance>> {
	let p = pallet_mosaic_providers::Providers::<Runtime>::get(&who)?;
	let terms = pallet_mosaic_providers::Offers::<Runtime>::get(model, &who);
	Some(ProviderView {
		// Eligible for the smallest job at any bid.
		eligible: Jobs::candidate(model, &who, Balance::MAX, &JobNeeds::SMALLEST).is_some(),
		provider: who,
		operator: p.operator,
		ask: p.ask,
		bond: p.bond,
		paused: p.status != ProviderStatus::Active,
		active_jobs: p.active_jobs,
		max_concurrent_jobs: p.profile.max_concurrent_jobs,
		engine: p.profile.engine,
		completed: p.reputation.completed,
		timed_out: p.reputation.timed_out,
		outvoted: p.reputation.outvoted,
		declined: p.reputation.declined,
		score: p.reputation.score(),
		terms,
	})
}

/// What a job for `model` would hold and cost (see `MarketplaceApi::estimate`).
pub fn estimate(
	model: ModelId,
	max_tokens: u32,
	bid: Option<Balance>,
) -> Result<Estimate<Balance>, QueryError> {
	let max_output: u32 = <Runtime as pallet_mosaic_jobs::Config>::MaxOutputTokens::get();
	if max_tokens == 0 {
		return Err(QueryError::ZeroMaxTokens);
	}
	if max_tokens > max_output {
		return Err(QueryError::MaxTokensTooLarge { max: max_output });
	}
	let terms = Models::terms_for_new_job(model).map_err(|e| match e {
		ModelUnavailable::Unknown => QueryError::UnknownModel,
		ModelUnavailable::Deprecated => QueryError::ModelDeprecated,
	})?;
	if !Jobs::fits_context(0, max_tokens, terms.context_length) {
		return Err(QueryError::ExceedsContext { context_length: terms.context_length });
	}
	// The same rule as `submit_job` (for an empty prompt: the estimate knows no prompt), over
	// a bounded number of providers: the windows a draw can read (see `Jobs::quote`).
	let quote = Jobs::quote(model, &Jobs::needs(0, max_tokens));
	let (Some(lowest_ask), Some(quoted)) = (quote.lowest_ask(), quote.bid) else {
		return Err(if quote.any {
			QueryError::NoProviderCovers
		} else {
			QueryError::NoEligibleProvider
		});
	};
	let bid = bid.unwrap_or(quoted);
	if bid == 0 {
		return Err(QueryError::ZeroBid);
	}
	let eligible = quote.eligible_at(bid);
	if eligible == 0 {
		return Err(QueryError::BidBelowEveryAsk { lowest_ask });
	}
	let max_cost = Balance::from(max_tokens).checked_mul(bid).ok_or(QueryError::Overflow)?;
	let split =
		pallet_mosaic_settlement::split::split(max_cost, terms.royalty_bps, ProtocolFee::get());
	Ok(Estimate {
		bid,
		eligible,
		escrow: max_cost,
		max_cost,
		royalty: split.royalty,
		protocol_fee: split.protocol_fee,
		providers: split.provider,
		min_refund: 0,
		deposit: Jobs::deposit_for(max_tokens),
	})
}

/// A job with its assignments, answers and receipt.
pub fn job(id: JobId) -> Option<JobView<AccountId, Balance, BlockNumber>> {
	let job = pallet_mosaic_jobs::Jobs::<Runtime>::get(id)?;
	let assignments = job
		.assignments
		.iter()
		.map(|a| {
			let result = pallet_mosaic_jobs::Results::<Runtime>::get(id, &a.provider);
			let answered_at = match a.state {
				AssignmentState::Answered { .. } => job.outcome.map(|o| o.at),
				_ => None,
			};
			AssignedView {
				provider: a.provider.clone(),
				role: match a.role {
					Role::Executor => AssignmentRole::Executor,
					Role::Auditor { committee: false } => AssignmentRole::Auditor,
					Role::Auditor { committee: true } => AssignmentRole::Committee,
				},
				price: a.price,
				state: match a.state {
					AssignmentState::Waiting => AssignmentView::Waiting,
					AssignmentState::Answered { output_hash, tokens } => {
						AssignmentView::Answered { output_hash, tokens }
					}
					AssignmentState::TimedOut => AssignmentView::TimedOut,
					AssignmentState::Declined => AssignmentView::Declined,
					AssignmentState::Audited { report, finding } => AssignmentView::Audited {
						finding,
						tokens: report.tokens,
						spelled: report.spelled,
						misses: report.misses,
						end_miss: report.end_miss,
						z_milli: report.z_milli,
						mean_logprob_milli: report.mean_logprob_milli,
					},
				},
				answered_at,
				output: result.map(|r| r.output.into_inner()).unwrap_or_default(),
			}
		})
		.collect();
	let mut view = JobView {
		id,
		owner: job.owner,
		model: job.model,
		model_hash: job.model_hash,
		prompt: Vec::new(),
		messages: Vec::new(),
		sampling: mosaic_primitives::Sampling::default().into(),
		request_hash: job.request_hash,
		max_tokens: job.max_tokens,
		bid: job.bid,
		sampled: job.sampled,
		engine: job.engine,
		escrow: job.escrow,
		deposit: job.deposit,
		submitted_at: job.submitted_at,
		pruned: !job.status.is_open(),
		state: match job.status {
			JobStatus::Pending => JobState::Pending,
			JobStatus::Settled => JobState::Settled,
			JobStatus::Refunded => JobState::Refunded,
			JobStatus::Cancelled => JobState::Cancelled,
			JobStatus::Challenge => JobState::Challenge,
			JobStatus::Auditing => JobState::Auditing,
		},
		deadline: job.deadline,
		assignments,
		outcome: job.outcome.map(|a| (a.output_hash, a.tokens)),
		receipt: job.receipt.map(Into::into),
	};
	// Closed jobs have no request in state: the node reads it from the block that carried it.
	if let Some(request) = Jobs::request(id) {
		view.show_request(request);
	}
	Some(view)
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::genesis_config_presets::tests::build;

	fn ids(page: &ModelsPage<AccountId, Balance>) -> Vec<ModelId> {
		page.models.iter().map(|m| m.id).collect()
	}

	/// Review L5: models come a page at a time, and a page looks at a bounded number of ids
	/// whatever the number of models or the gaps removed models left.
	#[test]
	fn models_come_in_bounded_pages() {
		build(sp_genesis_builder::DEV_RUNTIME_PRESET).execute_with(|| {
			// The dev chain registers models 0 and 1.
			let all = models(0, MODELS_PAGE);
			assert_eq!((ids(&all), all.next), (vec![0, 1], None));
			let first = models(0, 1);
			assert_eq!((ids(&first), first.next), (vec![0], Some(1)));
			let second = models(1, 1);
			assert_eq!((ids(&second), second.next), (vec![1], None));
			assert_eq!(models(7, 5), ModelsPage { models: vec![], next: None });
			// A limit above the page size is the page size; zero is one.
			assert_eq!(ids(&models(0, 0)), vec![0]);

			// 1,000 ids of which only the last is a model: a page stops after 4 × MODELS_PAGE
			// ids and says where to go on; the caller reaches the model page after page.
			let last = pallet_mosaic_models::Models::<Runtime>::take(1).unwrap();
			pallet_mosaic_models::Models::<Runtime>::remove(0);
			pallet_mosaic_models::Models::<Runtime>::insert(999, last);
			pallet_mosaic_models::NextModelId::<Runtime>::put(1_000);
			let mut from = 0;
			let mut found = vec![];
			let mut pages = 0;
			loop {
				let page = models(from, MODELS_PAGE);
				pages += 1;
				found.extend(ids(&page));
				match page.next {
					Some(next) => {
						assert_eq!(next, from + 4 * MODELS_PAGE);
						from = next;
					}
					None => break,
				}
			}
			assert_eq!((found, pages), (vec![999], 3));
		});
	}
}
