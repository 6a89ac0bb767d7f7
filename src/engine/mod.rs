//! The engine: pure Rust, float64, no web dependency. The app and the `pcplay` CLI only use
//! what is exported here. See ARCHITECTURE.md for the module map.
//!
//! * [`tensor`]: scalar / vector / matrix values with numpy broadcasting.
//! * [`graph`]: the validated graph (topological order, shapes, levels, typed errors).
//! * [`ops`]: each op's forward pass and local vector-Jacobian product.
//! * [`backprop`]: the feedforward pass and exact reverse mode (the reference column).
//! * [`relax`]: the relaxation [`Session`] (fixed prediction, strict, Z-IL, fixed prediction at
//!   rate 1), energy, metrics, history, divergence guard.
//! * [`trace`]: the trace JSON of `graph-format.md`.
//! * [`expr`]: the expression language (text → graph file).
//! * [`presets`]: the built-in graphs.
//! * [`datasets`]: seeded datasets for learning.
//! * [`learn`]: the PC and BP weight updates side by side ([`learn::Trainer`]).
pub mod backprop;
pub mod datasets;
pub mod expr;
pub mod format;
pub mod graph;
pub mod learn;
pub mod ops;
pub mod presets;
pub mod relax;
pub mod tensor;
pub mod trace;

pub use format::{GraphFile, JsonValue, NodeSpec};
pub use graph::{Graph, GraphError, Node, NodeKind};
pub use learn::{
    landscape, learn_step, DatasetKind, EpochStats, Landscape, LearnReport, ParamsKind,
    TrainConfig, Trainer,
};
pub use relax::{HistoryPoint, Metrics, Session, Start, TickOutcome, Variant};
pub use tensor::{Shape, Tensor};

#[cfg(test)]
pub(crate) mod testutil;
