//! Predictive Coding Playground.
//!
//! * [`engine`]: pure Rust, float64, no web dependency (compiled and tested natively).
//! * `app`: the Yew web face (wasm32 only).
/// The embed postMessage API types; pure, compiled on both targets.
pub mod embed_api;
pub mod engine;
/// A small JSON reader for graph files and postMessage commands (smaller wasm than serde's).
pub mod json;
/// Decimal text → f64, correctly rounded, without core's float parser (smaller wasm).
pub mod numparse;
/// The share-link (URL fragment) format; pure, compiled on both targets.
pub mod share_codec;

#[cfg(target_arch = "wasm32")]
pub mod app;

// The app's pure modules (layout, number formatting) are also unit-tested natively.
#[cfg(all(test, not(target_arch = "wasm32")))]
#[allow(dead_code)]
#[path = "app/layout.rs"]
mod app_layout_native;
#[cfg(all(test, not(target_arch = "wasm32")))]
#[allow(dead_code)]
#[path = "app/palette.rs"]
mod app_palette_native;
#[cfg(all(test, not(target_arch = "wasm32")))]
#[allow(dead_code)]
#[path = "app/text.rs"]
mod app_text_native;
