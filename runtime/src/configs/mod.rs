//! Pallet configurations, one file per concern.

pub mod consensus;
pub mod marketplace;
pub mod monetary;
pub mod offchain;
pub mod system;
pub mod utility;

pub use system::{BlockHashCount, RuntimeBlockLength, RuntimeBlockWeights};
