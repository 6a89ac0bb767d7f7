//! The engine: pure Rust, float64, no web dependency. The app and the `pcplay` CLI only use
//! what is exported here. See ARCHITECTURE.md for the module map.
pub mod datasets;
pub mod expr;
pub mod format;
pub mod presets;
