//! The graph file (format v1, see `shared/docs/graph-format.md`): the serde mirror of the JSON.
//!
//! This is the text-level description only; validation into a runnable graph (ids resolved,
//! topological order, shapes checked) lives in `graph.rs`. The expression language
//! (`expr.rs`) and the presets produce a [`GraphFile`] too.
use serde::{Deserialize, Serialize};

/// A leaf value or target as written in the file: a number, a vector (list) or a matrix
/// (list of rows).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(untagged)]
pub enum JsonValue {
    Scalar(f64),
    Vector(Vec<f64>),
    Matrix(Vec<Vec<f64>>),
}

/// One entry of `nodes`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NodeSpec {
    pub id: String,
    /// `input`, `param`, or a computed op (`add`, `sub`, `mul`, `matmul`, `linear`, `sum`,
    /// `tanh`, `sigmoid`, `relu`, `sin`, `cos`, `exp`, `square`, `sqrt`, `tan`, `identity`).
    pub op: String,
    /// Leaves only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<JsonValue>,
    /// Computed nodes only: parent ids in argument order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parents: Vec<String>,
    /// Optional elementwise function applied after the op.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub act: Option<String>,
    /// Optional: one elementwise function per parent (`"identity"` for none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre: Option<Vec<String>>,
    /// Optional, computed nodes: σ² (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variance: Option<f64>,
}

fn default_format() -> u32 {
    1
}

/// The whole graph file.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct GraphFile {
    /// Always written as 1; a missing key reads as 1.
    #[serde(default = "default_format")]
    pub format: u32,
    #[serde(default)]
    pub name: String,
    pub nodes: Vec<NodeSpec>,
    pub output: String,
    pub target: JsonValue,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inference_rate: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_steps: Option<Vec<usize>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variants: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zil: Option<bool>,
}
