//! The Mosaic node: validator and inference provider for the Mosaic chain.

// Client code may panic at start-up with a proof (`expect("… qed")`); runtime code may not.
#![allow(clippy::expect_used, clippy::arithmetic_side_effects, clippy::indexing_slicing)]
// `sc_cli::Error` is large; it is upstream's type.
#![allow(clippy::result_large_err)]

mod audit;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod chain_spec;
mod cli;
mod command;
mod inference;
mod job_bytes;
mod marketplace_rpc;
mod ports;
mod rpc;
mod service;
mod sessions;
mod started;
mod streams;

fn main() -> sc_cli::Result<()> {
	command::run()
}
