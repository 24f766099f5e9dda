//! Audits: the challenge window after an answer, the draw of auditors with randomness the
//! executor could not know when it answered, the committee that confirms or overrules a
//! finding of fraud, and the verdict.
//!
//! The rule that judges a report is `mosaic_primitives::audit::judge`; this file decides what
//! follows from the reports.

use crate::{
	deadlines::Due,
	pallet::{JobOf, AUDITORS_DOUBLE, COMMITTEE_SIZE, DOUBLE_AUDIT_SHARE, NEWCOMER_JOBS},
	weights::WeightInfo,
	AssignmentState, Config, Event, JobStatus, Pallet, Role,
};
use alloc::vec::Vec;
use frame_support::traits::Get;
use mosaic_primitives::{audit, AuditReport, Finding, JobId, JobOutcome, ProviderRegistry};
use sp_runtime::{
	traits::{Saturating, Zero},
	Perbill,
};

impl<T: Config> Pallet<T> {
	/// The executor answered: the job waits out its challenge window.
	pub(crate) fn open_challenge(job_id: JobId, job: &mut JobOf<T>) {
		job.status = JobStatus::Challenge;
		let window = T::ChallengeWindow::get().max(1);
		let at = frame_system::Pallet::<T>::block_number().saturating_add(window.into());
		Self::reschedule(job_id, job, at);
	}

	/// The chance that `executor`'s answer is audited: [`Config::AuditChance`], at least
	/// [`Config::NewcomerAuditChance`] for a provider with fewer than [`NEWCOMER_JOBS`]
	/// completed jobs, and at least one minus its reputation.
	pub fn audit_chance(executor: &T::AccountId) -> Perbill {
		let (completed, score) = T::Providers::track_record(executor);
		let mut chance = T::AuditChance::get();
		if completed < NEWCOMER_JOBS {
			chance = chance.max(T::NewcomerAuditChance::get());
		}
		let distrust = Perbill::from_rational(1000u32.saturating_sub(score.min(1000)), 1000);
		chance.max(distrust)
	}

	/// The chance that the answer `job` holds is audited (`None` without one):
	/// [`Self::audit_chance`] of its executor, and at least the answer's payment over what a
	/// fraud costs the executor (`FraudSlash` of its bond), so that an answer is never worth
	/// more than the expected cost of faking it: one worth that much or more is always audited.
	pub fn answer_audit_chance(job: &JobOf<T>) -> Option<Perbill> {
		let answer = Self::answer(job)?;
		let paid = answer.price.saturating_mul(answer.tokens.into());
		let at_risk = T::FraudSlash::get().mul_floor(T::Providers::bond_of(&answer.provider));
		let value = if at_risk.is_zero() {
			Perbill::one()
		} else {
			Perbill::from_rational(paid.min(at_risk), at_risk)
		};
		Some(Self::audit_chance(&answer.provider).max(value))
	}

	/// Whether a draw seeded for `job` and `purpose` falls within `chance`.
	pub(crate) fn roll(job_id: JobId, purpose: &[u8], chance: Perbill) -> bool {
		let seed = Self::seed(job_id, purpose);
		let draw = u64::from_le_bytes(sp_io::hashing::twox_64(&seed))
			.checked_rem(1_000_000_000)
			.unwrap_or_default();
		draw < u64::from(chance.deconstruct())
	}

	/// The challenge window closed (this block's randomness is new to the executor): draws
	/// the auditors, or pays the answer. Says which, for the hook's weight: a job paid here
	/// is [`Due::Window`]; one whose auditors were drawn (or tried) is [`Due::Open`].
	pub(crate) fn end_challenge(job_id: JobId, job: &mut JobOf<T>) -> Due {
		let audited =
			Self::answer_audit_chance(job).is_some_and(|c| Self::roll(job_id, b"audit", c));
		if !audited {
			Self::settle(job_id, job);
			return Due::Window;
		}
		let n = if Self::roll(job_id, b"double", DOUBLE_AUDIT_SHARE) { AUDITORS_DOUBLE } else { 1 };
		let role = Role::Auditor { committee: false };
		match Self::draw_more(job_id, job, n as usize, role, b"audit") {
			Some(at) => {
				job.status = JobStatus::Auditing;
				Self::reschedule(job_id, job, at);
			}
			// Nobody else serves the model: nothing can be checked.
			None => Self::settle(job_id, job),
		}
		Due::Open
	}

	/// No auditor is waiting any more (all reported, declined or timed out): a finding of
	/// fraud, or reports that disagree, draw a committee once; then the reports decide, if
	/// there are enough of them to judge anybody ([`MIN_JUDGING_REPORTS`]) and they do not
	/// split evenly:
	/// - a majority finding fraud convicts the executor (slashed, the owner refunded, the first
	///   finder rewarded) and slashes the auditors it contradicts;
	/// - a majority upholding the answer pays it, the protocol fee to the auditors that
	///   upheld it, and slashes those it contradicts: a fraud report's challenge bond is its
	///   provider's bond, of which it loses [`Config::OutvotedSlash`];
	/// - otherwise (no committee could be drawn, its members stayed away, or the findings
	///   split evenly) nobody is judged — no slash, no reward — and the answer is paid, for
	///   the owner has its output ([`Event::AuditInconclusive`]).
	///
	/// Reports that all uphold the answer and agree need no committee and judge nobody: the
	/// answer is paid, the fee to those auditors.
	///
	/// Charged `WeightInfo::decide()`, its worst (absent auditors slashed before it included).
	pub(crate) fn decide_audit(job_id: JobId, job: &mut JobOf<T>) {
		Self::charge_end(T::WeightInfo::decide());
		let reports = Self::reports(job);
		let honest = reports.iter().filter(|(_, _, f)| f.is_honest()).count();
		let fraud = reports.len().saturating_sub(honest);
		let split =
			reports.iter().any(|(_, a, _)| reports.iter().any(|(_, b, _)| !audit::agree(a, b)));

		if (fraud > 0 || split) && !job.committee_drawn {
			job.committee_drawn = true;
			let role = Role::Auditor { committee: true };
			if let Some(at) =
				Self::draw_more(job_id, job, COMMITTEE_SIZE as usize, role, b"committee")
			{
				return Self::reschedule(job_id, job, at);
			}
		}

		Self::unschedule(job_id, job.deadline);
		let Some(executor) = Self::answer(job).map(|a| a.provider) else {
			frame_support::defensive!("an audited job without an answer");
			Self::release_auditors(job);
			return Self::refund(job_id, job);
		};
		let contested = fraud > 0 || split;
		let judged = reports.len() >= MIN_JUDGING_REPORTS as usize && fraud != honest;
		if contested && !judged {
			// Too little evidence to judge anybody either way.
			Self::release_auditors(job);
			Self::deposit_event(Event::AuditInconclusive {
				job: job_id,
				reports: reports.len() as u32,
				fraud: fraud as u32,
			});
			Self::settle(job_id, job);
		} else if fraud > honest {
			let reporter =
				reports.iter().find(|(_, _, f)| !f.is_honest()).map(|(who, _, _)| who.clone());
			let slashed = T::Providers::slash(&executor, T::FraudSlash::get(), reporter.as_ref())
				.unwrap_or_else(|_| Zero::zero());
			T::Providers::job_ended(&executor, JobOutcome::Outvoted);
			Self::deposit_event(Event::FraudConfirmed { job: job_id, executor, slashed });
			// The owner is refunded in full: no fee to share (the first to find the fraud has its
			// share of the slash).
			Self::end_auditors(job_id, job, false);
			Self::refund(job_id, job);
		} else {
			// Upheld by a judging majority, or by every report (all agreeing), or nobody could
			// audit it: the answer is paid, the protocol fee to the auditors that upheld it.
			let upheld = Self::end_auditors(job_id, job, true);
			Self::settle_upheld(job_id, job, &upheld);
		}
	}

	/// Every report on the job's answer: its auditor, the report and the chain's finding.
	fn reports(job: &JobOf<T>) -> Vec<(T::AccountId, AuditReport, Finding)> {
		job.assignments
			.iter()
			.filter_map(|a| match a.state {
				AssignmentState::Audited { report, finding } => {
					Some((a.provider.clone(), report, finding))
				}
				_ => None,
			})
			.collect()
	}

	/// Ends every reporting auditor's part: those whose finding agrees with the verdict
	/// (`honest`: the answer stood) completed it, and are returned; the others are slashed.
	/// So is an auditor whose statistics agree with no member of a majority cluster
	/// ([`majority_cluster`]): it reported without running the model.
	fn end_auditors(job_id: JobId, job: &JobOf<T>, honest: bool) -> Vec<T::AccountId> {
		let reports = Self::reports(job);
		let stats: Vec<AuditReport> = reports.iter().map(|(_, r, _)| *r).collect();
		let cluster = majority_cluster(&stats);
		let mut completed = Vec::with_capacity(reports.len());
		for (auditor, report, finding) in &reports {
			let lazy = cluster.as_ref().is_some_and(|members| {
				!members.iter().any(|m| stats.get(*m).is_some_and(|s| audit::agree(report, s)))
			});
			if finding.is_honest() == honest && !lazy {
				T::Providers::job_ended(auditor, JobOutcome::Completed);
				completed.push(auditor.clone());
			} else {
				let slashed = T::Providers::slash(auditor, T::OutvotedSlash::get(), None)
					.unwrap_or_else(|_| Zero::zero());
				T::Providers::job_ended(auditor, JobOutcome::Outvoted);
				Self::deposit_event(Event::AuditorOverruled {
					job: job_id,
					auditor: auditor.clone(),
					slashed,
				});
			}
		}
		completed
	}

	/// Ends every reporting auditor's part without judging it.
	pub(crate) fn release_auditors(job: &JobOf<T>) {
		for (auditor, ..) in Self::reports(job) {
			T::Providers::job_ended(&auditor, JobOutcome::Released);
		}
	}
}

/// Reports needed to judge anybody: to convict an executor, reward a finder, or slash an
/// auditor. With fewer, nobody is judged: one colluding auditor must not convict alone.
pub const MIN_JUDGING_REPORTS: u32 = 3;

/// The largest set of reports that all agree with one another ([`audit::agree`]), if it holds
/// at least [`MIN_JUDGING_REPORTS`] and more than half of all reports: the statistics of a
/// model that was run. As indices into `reports`.
///
/// Reports agree on the same tokens and spelling and mean log-probabilities within a
/// tolerance, so a set agrees exactly when, within one (tokens, spelled) group, its
/// log-probabilities span at most the tolerance: each report is tried as the lowest of a span.
pub fn majority_cluster(reports: &[AuditReport]) -> Option<Vec<usize>> {
	let mut best: Vec<usize> = Vec::new();
	for low in reports {
		let span: Vec<usize> = reports
			.iter()
			.enumerate()
			.filter(|(_, r)| r.mean_logprob_milli >= low.mean_logprob_milli && audit::agree(low, r))
			.map(|(i, _)| i)
			.collect();
		if span.len() > best.len() {
			best = span;
		}
	}
	let enough = best.len() >= MIN_JUDGING_REPORTS as usize;
	(enough && best.len().saturating_mul(2) > reports.len()).then_some(best)
}
