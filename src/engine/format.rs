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

// ---- reading (the crate's own JSON reader, see `crate::json`: smaller wasm than serde's) ----

use crate::json::{Doc, JsonError, Node, Value};

impl GraphFile {
    /// Read a graph file from JSON text: the same result as `serde_json::from_str` with the
    /// serde attributes above, and serde's messages (tested against it in
    /// `tests/json_reader.rs`).
    pub fn from_json_text(text: &str) -> Result<GraphFile, JsonError> {
        let d = Doc::new(text);
        let root = d.parse()?;
        const KEYS: [&str; 10] = [
            "format",
            "name",
            "nodes",
            "output",
            "target",
            "inference_rate",
            "steps",
            "record_steps",
            "variants",
            "zil",
        ];
        let f = d.fields(&root, &KEYS, false, "struct GraphFile")?;
        let usize_max = usize::MAX as u64;
        let format = match f[0] {
            Some(n) => d.uint(n, u32::MAX as u64, "u32")? as u32,
            None => default_format(),
        };
        let name = match f[1] {
            Some(n) => d.string(n)?,
            None => String::new(),
        };
        let nodes = match f[2] {
            Some(n) => d.list(n, |x| node_spec(&d, x))?,
            None => return Err(d.missing(&root, "nodes")),
        };
        let output = match f[3] {
            Some(n) => d.string(n)?,
            None => return Err(d.missing(&root, "output")),
        };
        let target = match f[4] {
            Some(n) => json_value(&d, n)?,
            None => return Err(d.missing(&root, "target")),
        };
        Ok(GraphFile {
            format,
            name,
            nodes,
            output,
            target,
            inference_rate: d.option(f[5], |n| d.f64(n))?,
            steps: d
                .option(f[6], |n| d.uint(n, usize_max, "usize"))?
                .map(|u| u as usize),
            record_steps: d.option(f[7], |n| {
                d.list(n, |x| d.uint(x, usize_max, "usize").map(|u| u as usize))
            })?,
            variants: d.option(f[8], |n| d.list(n, |x| d.string(x)))?,
            zil: d.option(f[9], |n| d.bool(n))?,
        })
    }
}

fn node_spec(d: &Doc, n: &Node) -> Result<NodeSpec, JsonError> {
    const KEYS: [&str; 7] = ["id", "op", "value", "parents", "act", "pre", "variance"];
    let f = d.fields(n, &KEYS, true, "struct NodeSpec")?;
    let id = match f[0] {
        Some(x) => d.string(x)?,
        None => return Err(d.missing(n, "id")),
    };
    let op = match f[1] {
        Some(x) => d.string(x)?,
        None => return Err(d.missing(n, "op")),
    };
    Ok(NodeSpec {
        id,
        op,
        value: d.option(f[2], |x| json_value(d, x))?,
        parents: match f[3] {
            Some(x) => d.list(x, |p| d.string(p))?,
            None => Vec::new(),
        },
        act: d.option(f[4], |x| d.string(x))?,
        pre: d.option(f[5], |x| d.list(x, |p| d.string(p)))?,
        variance: d.option(f[6], |x| d.f64(x))?,
    })
}

/// The untagged `JsonValue`: a number, a list of numbers, or a list of lists of numbers (tried
/// in that order, as serde does).
fn json_value(d: &Doc, n: &Node) -> Result<JsonValue, JsonError> {
    // serde buffers the whole value first: a number out of range anywhere in it is an error
    d.buffered(n)?;
    let num = |x: &Node| match x.value {
        Value::Num(v) => Some(v.as_f64()),
        _ => None,
    };
    let nums = |x: &Node| match &x.value {
        Value::Arr(items) => items.iter().map(num).collect::<Option<Vec<f64>>>(),
        _ => None,
    };
    if let Some(x) = num(n) {
        return Ok(JsonValue::Scalar(x));
    }
    if let Some(v) = nums(n) {
        return Ok(JsonValue::Vector(v));
    }
    if let Value::Arr(rows) = &n.value {
        if let Some(m) = rows.iter().map(nums).collect::<Option<Vec<Vec<f64>>>>() {
            return Ok(JsonValue::Matrix(m));
        }
    }
    Err(d.error_after(
        n.end,
        "data did not match any variant of untagged enum JsonValue",
    ))
}
