//! Pallet configurations, one file per concern.

pub mod consensus;
pub mod governance;
pub mod marketplace;
pub mod monetary;
pub mod offchain;
pub mod parameters;
pub mod system;
pub mod utility;

pub use system::{BlockHashCount, RuntimeBlockLength, RuntimeBlockWeights};
