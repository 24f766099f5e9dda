//! Submission: which providers may take a job, and how long they get; `submit_job`.
//!
//! [`Pallet::candidate`] and [`Pallet::answer_blocks`] are the rule, used by the call, by every
//! later draw (declines, reassignment, audits) and by the runtime API's quote
//! ([`Pallet::quote`]).

use crate::{
	pallet::BalanceOf, Config, Error, Event, Exposure, Job, JobStatus, Jobs, NextJobId, Pallet,
	Requests, Role, Submitted,
};
use codec::Encode;
use frame_support::{pallet_prelude::*, BoundedVec};
use frame_system::pallet_prelude::BlockNumberFor;
use mosaic_primitives::{
	Candidate, JobNeeds, JobRequest, ModelId, ModelRegistry, ModelUnavailable, ProviderRegistry,
	ServingTerms,
};
use sp_runtime::traits::{Saturating, UniqueSaturatedInto, Zero};

/// How long a provider gets to answer: [`Config::MinJobTimeout`], [`Config::JobTimeout`] and
/// the block time, read once for all the providers a draw or a submission looks at.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Timing {
	min: u32,
	cap: u32,
	millis_per_block: u64,
}

impl Timing {
	/// See [`Pallet::answer_blocks`].
	pub(crate) fn answer_blocks(&self, terms: &ServingTerms, needs: &JobNeeds) -> u32 {
		let work = terms.job_millis(needs).div_ceil(self.millis_per_block);
		u32::try_from(work).unwrap_or(u32::MAX).saturating_add(self.min)
	}

	/// Whether a candidate's declared speed answers a job of these `needs` within
	/// [`Config::JobTimeout`].
	pub(crate) fn answers_in_time<A, B>(&self, c: &Candidate<A, B>, needs: &JobNeeds) -> bool {
		self.answer_blocks(&c.terms, needs) <= self.cap
	}

	/// Whether a candidate (eligible for some job) may take one of these `needs`: its terms
	/// cover them and it answers in time.
	pub(crate) fn covers<A, B>(&self, c: &Candidate<A, B>, needs: &JobNeeds) -> bool {
		c.terms.covers(needs) && self.answers_in_time(c, needs)
	}
}

impl<T: Config> Pallet<T> {
	/// Whether a prompt of at most `prompt_tokens` and `max_tokens` fit a model's registered
	/// context window (see [`JobNeeds::context_tokens`]).
	pub fn fits_context(prompt_tokens: u32, max_tokens: u32, context_length: u32) -> bool {
		Self::needs(prompt_tokens, max_tokens).context_tokens() <= u64::from(context_length)
	}

	/// What a job whose prompt takes at most `prompt_tokens` asks of a provider.
	pub fn needs(prompt_tokens: u32, max_tokens: u32) -> JobNeeds {
		JobNeeds { prompt_tokens, max_tokens }
	}

	/// Blocks a provider serving on `terms` gets to answer a job of `needs`:
	/// [`Config::MinJobTimeout`] plus the time its declared speed needs for the prompt's bound
	/// and `max_tokens` ([`ServingTerms::job_millis`]) in blocks, rounded up.
	pub fn answer_blocks(terms: &ServingTerms, needs: &JobNeeds) -> u32 {
		Self::timing().answer_blocks(terms, needs)
	}

	/// The parameters of how long a provider gets, read once for a draw or a submission.
	pub(crate) fn timing() -> Timing {
		Timing {
			min: T::MinJobTimeout::get(),
			cap: T::JobTimeout::get().unique_saturated_into(),
			millis_per_block: T::MillisecsPerBlock::get().max(1),
		}
	}

	/// `who`, if it may take a job for `model` at `bid` with these `needs`: the registry's
	/// candidate (serving on covering terms, active, bonded, ask ≤ bid, under its concurrency
	/// limit) whose declared speed answers within [`Config::JobTimeout`] and whose exposure
	/// allows it ([`Self::exposure_allows`]).
	pub fn candidate(
		model: ModelId,
		who: &T::AccountId,
		bid: BalanceOf<T>,
		needs: &JobNeeds,
	) -> Option<Candidate<T::AccountId, BalanceOf<T>>> {
		Self::candidate_in(&Self::timing(), model, who, bid, needs)
	}

	/// [`Pallet::candidate`] with the parameters already read.
	pub(crate) fn candidate_in(
		timing: &Timing,
		model: ModelId,
		who: &T::AccountId,
		bid: BalanceOf<T>,
		needs: &JobNeeds,
	) -> Option<Candidate<T::AccountId, BalanceOf<T>>> {
		T::Providers::candidate(model, who, bid, needs)
			.filter(|c| timing.answers_in_time(c, needs) && Self::exposure_allows(c, bid, needs))
	}

	/// The block by which the slowest of `drawn` must have answered a job of `needs`.
	pub(crate) fn deadline_for(
		timing: &Timing,
		drawn: &[Candidate<T::AccountId, BalanceOf<T>>],
		needs: &JobNeeds,
	) -> BlockNumberFor<T> {
		Self::deadline_within(timing, drawn, needs, u32::MAX)
	}

	/// The block by which the slowest of the auditors `drawn` must have reported on an answer
	/// to a job of `needs`: as [`Self::deadline_for`], but at most [`Config::JobTimeout`]
	/// away — an auditor is drawn whatever its declared speed (re-scoring is one forward pass,
	/// faster than generating), and one that cannot finish in time declines unpunished.
	pub(crate) fn audit_deadline(
		timing: &Timing,
		drawn: &[Candidate<T::AccountId, BalanceOf<T>>],
		needs: &JobNeeds,
	) -> BlockNumberFor<T> {
		Self::deadline_within(timing, drawn, needs, timing.cap.max(timing.min))
	}

	/// [`Self::deadline_for`], each of `drawn` given at most `most` blocks.
	fn deadline_within(
		timing: &Timing,
		drawn: &[Candidate<T::AccountId, BalanceOf<T>>],
		needs: &JobNeeds,
		most: u32,
	) -> BlockNumberFor<T> {
		let blocks = drawn
			.iter()
			.map(|c| timing.answer_blocks(&c.terms, needs).min(most))
			.max()
			.unwrap_or(timing.min);
		frame_system::Pallet::<T>::block_number().saturating_add(blocks.into())
	}

	/// What an executor at `price` per token could be paid for a job of `max_tokens`.
	pub(crate) fn at_stake(price: BalanceOf<T>, max_tokens: u32) -> BalanceOf<T> {
		price.saturating_mul(max_tokens.into())
	}

	/// Whether `c` may be drawn to execute a job of `needs` at `bid` without what its open
	/// jobs could pay it ([`Exposure`]) passing `FraudSlash` of its bond (review N11): a
	/// provider that answers everything in flight with garbage loses more to one conviction
	/// than it can be paid.
	pub(crate) fn exposure_allows(
		c: &Candidate<T::AccountId, BalanceOf<T>>,
		bid: BalanceOf<T>,
		needs: &JobNeeds,
	) -> bool {
		let added = Self::at_stake(c.ask.min(bid), needs.max_tokens);
		let limit = T::FraudSlash::get().mul_floor(c.bond);
		Exposure::<T>::get(&c.provider).saturating_add(added) <= limit
	}

	/// Adds `amount` to what `who`'s open jobs could pay it.
	pub(crate) fn add_exposure(who: &T::AccountId, amount: BalanceOf<T>) {
		Exposure::<T>::mutate(who, |e| *e = e.saturating_add(amount));
	}

	/// Takes `amount` off what `who`'s open jobs could pay it (the entry goes at zero).
	pub(crate) fn release_exposure(who: &T::AccountId, amount: BalanceOf<T>) {
		Exposure::<T>::mutate_exists(who, |e| {
			*e = e.map(|e| e.saturating_sub(amount)).filter(|e| !e.is_zero());
		});
	}

	/// Counts a job accepted by this block against [`Config::MaxSubmissionsPerBlock`].
	fn count_submission() -> DispatchResult {
		let n = Submitted::<T>::get();
		ensure!(n < T::MaxSubmissionsPerBlock::get(), Error::<T>::BlockFullOfJobs);
		Submitted::<T>::put(n.saturating_add(1));
		Ok(())
	}

	pub(crate) fn do_submit_job(
		owner: T::AccountId,
		model: ModelId,
		request: JobRequest,
		max_tokens: u32,
		bid: BalanceOf<T>,
	) -> DispatchResult {
		Self::count_submission()?;
		request.check(T::MaxPromptLen::get()).map_err(Error::<T>::from)?;
		let stored: BoundedVec<u8, _> =
			request.encode().try_into().map_err(|_| Error::<T>::PromptTooLong)?;
		ensure!(max_tokens > 0, Error::<T>::ZeroMaxTokens);
		ensure!(max_tokens <= T::MaxOutputTokens::get(), Error::<T>::MaxTokensTooLarge);
		ensure!(!bid.is_zero(), Error::<T>::ZeroBid);
		let terms = T::Models::terms_for_new_job(model).map_err(|e| match e {
			ModelUnavailable::Unknown => Error::<T>::ModelNotRegistered,
			ModelUnavailable::Deprecated => Error::<T>::ModelDeprecated,
		})?;
		ensure!(terms.chat || !request.is_chat(), Error::<T>::NoChatTemplate);
		let prompt_tokens = request.prompt_tokens_bound();
		ensure!(
			Self::fits_context(prompt_tokens, max_tokens, terms.context_length),
			Error::<T>::ExceedsContext
		);

		let job_id = NextJobId::<T>::get();
		let next = job_id.checked_add(1).ok_or(Error::<T>::JobIdsExhausted)?;
		let needs = Self::needs(prompt_tokens, max_tokens);
		let timing = Self::timing();
		let executor = Self::draw_executor(job_id, &owner, model, bid, &needs, &timing)
			.map_err(Error::<T>::from)?;
		let escrow = Self::escrow_for(max_tokens, bid)?;
		let deposit = Self::deposit_for(max_tokens);
		Self::hold_for_job(&owner, escrow, deposit)?;

		let at = Self::deadline_for(&timing, core::slice::from_ref(&executor), &needs);
		let deadline = Self::schedule(job_id, at);
		let mut job = Job {
			owner: owner.clone(),
			model,
			model_hash: terms.content_hash,
			creator: terms.creator,
			royalty_bps: terms.royalty_bps,
			protocol_fee: T::ProtocolFee::get(),
			request_hash: request.hash(),
			max_tokens,
			bid,
			sampled: !request.sampling.is_greedy(),
			engine: executor.engine,
			escrow,
			deposit,
			submitted_at: frame_system::Pallet::<T>::block_number(),
			assignments: BoundedVec::new(),
			reassigned: false,
			committee_drawn: false,
			deadline,
			status: JobStatus::Pending,
			outcome: None,
			receipt: None,
		};
		NextJobId::<T>::put(next);
		Self::deposit_event(Event::JobSubmitted {
			job: job_id,
			owner,
			model,
			escrow,
			deposit,
			deadline,
		});
		Self::assign(job_id, &mut job, executor, Role::Executor)?;
		Requests::<T>::insert(job_id, stored);
		Jobs::<T>::insert(job_id, job);
		Ok(())
	}
}
