//! A closed job's request and answer, read back from the blocks that carried them.
//!
//! Once a job closes, the runtime keeps only their hashes (the jobs pallet's "Retention"); the
//! bytes stay in the bodies of the blocks at the job's `submitted_at` and its answer's
//! `answered_at`, which every node keeps by default (`--blocks-pruning archive-canonical`).
//! What is read is checked against the hashes the job keeps: a request must hash to the
//! job's `request_hash`, an output to the answer's output hash.

use mosaic_api::{AssignmentView, JobView};
use mosaic_primitives::JobRequest;
use mosaic_runtime::{
	opaque::Block, AccountId, Balance, BlockNumber, JobsCall, Runtime, RuntimeCall,
	UncheckedExtrinsic,
};
use sc_client_api::BlockBackend;
use sp_blockchain::HeaderBackend;
use sp_runtime::codec::{Decode, Encode};

/// The jobs pallet's calls in the block at `number`; none if this node does not have the
/// block's body.
fn job_calls<C>(client: &C, number: BlockNumber) -> Vec<JobsCall<Runtime>>
where
	C: HeaderBackend<Block> + BlockBackend<Block>,
{
	let Ok(Some(hash)) = client.hash(number) else { return Vec::new() };
	let Ok(Some(body)) = client.block_body(hash) else { return Vec::new() };
	body.iter()
		.filter_map(|xt| UncheckedExtrinsic::decode(&mut &xt.encode()[..]).ok())
		.filter_map(|xt| match xt.function {
			RuntimeCall::Jobs(call) => Some(call),
			_ => None,
		})
		.collect()
}

/// Fills in a closed job's request and its executor's output from the blocks that carried
/// them. Left empty where this node no longer has a block (pruned bodies) or the bytes do not
/// match the job's hashes.
pub fn fill_from_blocks<C>(client: &C, view: &mut JobView<AccountId, Balance, BlockNumber>)
where
	C: HeaderBackend<Block> + BlockBackend<Block>,
{
	if !view.pruned {
		return;
	}
	let request = job_calls(client, view.submitted_at).into_iter().find_map(|call| {
		let request = match call {
			JobsCall::submit_job { prompt, .. } => JobRequest::text(prompt),
			JobsCall::submit_request { request, .. } => request,
			_ => return None,
		};
		(request.hash() == view.request_hash).then_some(request)
	});
	if let Some(request) = request {
		view.show_request(request);
	}
	let id = view.id;
	for a in view.assignments.iter_mut() {
		let (Some(at), AssignmentView::Answered { output_hash, .. }) = (a.answered_at, &a.state)
		else {
			continue;
		};
		let output = job_calls(client, at).into_iter().find_map(|call| match call {
			JobsCall::submit_result { job, output, .. }
				if job == id && sp_io::hashing::blake2_256(&output) == output_hash.0 =>
			{
				Some(output)
			}
			_ => None,
		});
		if let Some(output) = output {
			a.output = output;
		}
	}
}
