//! Predictive Coding Playground.
//!
//! * [`engine`]: pure Rust, float64, no web dependency (compiled and tested natively).
//! * `app`: the Yew web face (wasm32 only).
pub mod engine;

#[cfg(target_arch = "wasm32")]
pub mod app;
