//! The built-in graphs come from the engine (`engine::presets`); the app adds only its own
//! playback defaults.
pub use crate::engine::presets::{all, default_key, get, Preset};

/// Ticks per second on load: slow enough to watch the error front travel.
pub const DEFAULT_SPEED: f64 = 24.0;
