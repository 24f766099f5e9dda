//! The pallets whose weights the node's `benchmark pallet` command generates.

frame_benchmarking::define_benchmarks!(
	[frame_benchmarking, BaselineBench::<Runtime>]
	[frame_system, SystemBench::<Runtime>]
	[frame_system_extensions, SystemExtensionsBench::<Runtime>]
	[pallet_balances, Balances]
	[pallet_timestamp, Timestamp]
	[pallet_sudo, Sudo]
	[pallet_utility, Utility]
	[pallet_mosaic_models, Models]
	[pallet_mosaic_providers, Providers]
	[pallet_mosaic_jobs, Jobs]
	[pallet_mosaic_sessions, Sessions]
	[pallet_mosaic_validators, Validators]
);
