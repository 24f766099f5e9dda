//! Command-line interface.

use sc_cli::RunCmd;

/// The node's command line.
#[derive(Debug, clap::Parser)]
pub struct Cli {
	#[command(subcommand)]
	pub subcommand: Option<Subcommand>,

	#[clap(flatten)]
	pub run: RunCmd,

	#[clap(flatten)]
	pub provider: crate::inference::ProviderParams,
}

/// Subcommands besides running the node.
#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum Subcommand {
	/// Key management: generate, inspect and insert keys.
	#[command(subcommand)]
	Key(sc_cli::KeySubcommand),

	/// Build a chain specification.
	#[deprecated(note = "use `export-chain-spec` instead")]
	BuildSpec(sc_cli::BuildSpecCmd),

	/// Export the chain specification of a built-in chain or of a file.
	ExportChainSpec(sc_cli::ExportChainSpecCmd),

	/// Validate blocks.
	CheckBlock(sc_cli::CheckBlockCmd),

	/// Export blocks.
	ExportBlocks(sc_cli::ExportBlocksCmd),

	/// Export the state of a given block into a chain spec.
	ExportState(sc_cli::ExportStateCmd),

	/// Import blocks.
	ImportBlocks(sc_cli::ImportBlocksCmd),

	/// Remove the whole chain.
	PurgeChain(sc_cli::PurgeChainCmd),

	/// Revert the chain to a previous state.
	Revert(sc_cli::RevertCmd),

	/// Benchmarks: `pallet`, `overhead`, `extrinsic`, `storage`, `machine`, `block`.
	#[cfg(feature = "runtime-benchmarks")]
	#[command(subcommand)]
	Benchmark(frame_benchmarking_cli::BenchmarkCmd),

	/// Benchmarks (this binary was built without them: see `--help`).
	///
	/// Build with `cargo build --release -p mosaic-node --features runtime-benchmarks` to get
	/// `benchmark pallet`, `benchmark overhead` and the rest.
	#[cfg(not(feature = "runtime-benchmarks"))]
	Benchmark {
		#[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
		args: Vec<String>,
	},

	/// Database meta columns information.
	ChainInfo(sc_cli::ChainInfoCmd),

	/// Run the inference engine directly on a GGUF file and print the result as JSON.
	Infer(crate::inference::InferCmd),

	/// Read a GGUF file's header and print, as JSON, what a registration of it declares:
	/// content hash, size and `spec` (architecture, parameters, file type, trained context,
	/// chat template hash). Refuses a truncated or unreadable file.
	InspectModel(crate::inference::InspectCmd),

	/// Measure the audit rule: run an executor on a set of prompts (greedy and sampled),
	/// audit its honest outputs and dishonest variants (another model's output, truncated,
	/// shuffled, inflated token counts) with another engine, and print each verdict.
	Calibrate(crate::audit::CalibrateCmd),
}
