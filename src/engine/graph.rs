//! The validated computation graph: nodes in topological order, ids resolved, shapes checked,
//! children and levels computed. Every refusal is a [`GraphError`] with a one-sentence message;
//! nothing here panics on user data.
use std::collections::{BTreeSet, HashMap};
use std::fmt;

use super::backprop::Reference;
use super::format::{GraphFile, JsonValue, NodeSpec};
use super::ops::{Elementwise, Op};
use super::tensor::{Shape, Tensor};

/// The three kinds of node (`pc-math.md` §1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NodeKind {
    /// Clamped to data, never updated.
    Input,
    /// A parameter θ: no value node; gets a PC gradient estimate.
    Param,
    /// `f(parents)`: has a value node, a prediction and an error unit.
    Computed,
}

/// One node of a validated graph. Parent indices refer to [`Graph::nodes`] (topological order).
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The id from the file.
    pub id: String,
    /// Input, param or computed.
    pub kind: NodeKind,
    /// The file's op name (`input`, `param`, `add`, `linear`, …).
    pub op: String,
    /// Parent indices, in argument order (a parent may repeat, e.g. `mul(a, a)`).
    pub parents: Vec<usize>,
    /// Optional elementwise function applied after the op.
    pub act: Option<String>,
    /// Optional elementwise function per parent slot.
    pub pre: Option<Vec<String>>,
    /// σ² of the node (1 for leaves and by default).
    pub variance: f64,
    /// Leaves only: the value.
    pub value: Option<Tensor>,
    /// The shape of the node's value.
    pub shape: Shape,
    pub(crate) op_kind: Option<Op>,
    pub(crate) act_fn: Option<Elementwise>,
    /// One entry per parent slot; `None` for no pre (or `identity`).
    pub(crate) pre_fns: Vec<Option<Elementwise>>,
}

impl Node {
    /// True for inputs and params.
    pub fn is_leaf(&self) -> bool {
        self.kind != NodeKind::Computed
    }
}

/// Where each node lives in the flat f64 buffers used by the engine.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Layout {
    /// Start of node `i` in a node buffer.
    pub off: Vec<usize>,
    /// Number of elements of node `i`.
    pub len: Vec<usize>,
    /// Total length of a node buffer.
    pub total: usize,
    /// Index of node `j`'s first parent slot in the per-edge arrays.
    pub edge_start: Vec<usize>,
    /// Per edge: start of the `pre`-transformed copy of the parent in the pre buffer (0 if the
    /// slot has no pre).
    pub pre_off: Vec<usize>,
    /// Total length of the pre buffer.
    pub pre_total: usize,
    /// Largest node size.
    pub max_len: usize,
}

/// Why a graph was refused. `Display` gives one plain sentence naming the node or key.
#[derive(Clone, Debug, PartialEq)]
pub enum GraphError {
    /// The text is not valid JSON or does not have the format's structure.
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    /// A required key is absent.
    MissingKey { key: String },
    /// `nodes` is empty.
    NoNodes,
    /// A node has an empty id.
    EmptyId { index: usize },
    /// Two nodes share an id.
    DuplicateId { id: String },
    /// An op name is not known.
    UnknownOp { node: String, op: String },
    /// An `act` or `pre` name is not an elementwise function.
    UnknownFunction {
        node: String,
        key: &'static str,
        name: String,
    },
    /// A parent id does not name a node.
    UnknownId { node: String, parent: String },
    /// The output id does not name a node.
    UnknownOutput { id: String },
    /// The graph has a cycle through this node.
    Cycle { node: String },
    /// Wrong number of parents for the op.
    Arity {
        node: String,
        op: String,
        expected: &'static str,
        got: usize,
    },
    /// `pre` has the wrong length.
    PreLength {
        node: String,
        expected: usize,
        got: usize,
    },
    /// Shapes that do not fit.
    ShapeMismatch { node: String, detail: String },
    /// The target's shape differs from the output's.
    TargetShape { expected: Shape, got: Shape },
    /// A leaf without a value, a computed node with one, etc.
    BadNode { node: String, detail: String },
    /// The output node has children.
    OutputHasChildren { output: String, child: String },
    /// The output is a leaf.
    OutputIsLeaf { output: String },
    /// A computed node that does not lead to the output.
    DeadEnd { node: String },
    /// `sqrt` of a negative number in the feedforward pass.
    SqrtNegative { node: String, value: f64 },
    /// A number that is NaN or infinite (in the file, or produced by the feedforward pass or
    /// backprop).
    NonFinite { place: String },
    /// A variance that is not a positive finite number.
    BadVariance { node: String, value: f64 },
    /// A run setting that is out of range.
    BadSetting { key: String, detail: String },
    /// A node index that does not fit the request (e.g. `set_leaf` on a computed node).
    BadIndex { index: usize, detail: String },
    /// A learning step was asked of a graph without a param node.
    NoParams,
}

impl fmt::Display for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use GraphError::*;
        match self {
            Json {
                line,
                column,
                message,
            } => write!(
                f,
                "The graph file is not valid at line {line}, column {column}: {message}."
            ),
            MissingKey { key } => write!(f, "The graph file has no `{key}` key; add it."),
            NoNodes => write!(f, "The graph has no nodes; `nodes` must list at least the output."),
            EmptyId { index } => write!(f, "Node number {} in `nodes` has an empty id.", index + 1),
            DuplicateId { id } => write!(f, "The id '{id}' is used by more than one node."),
            UnknownOp { node, op } => write!(
                f,
                "Node '{node}' has the unknown op '{op}' (known: input, param, add, sub, mul, matmul, linear, sum, tanh, sigmoid, relu, sin, cos, exp, square, sqrt, tan, identity)."
            ),
            UnknownFunction { node, key, name } => write!(
                f,
                "Node '{node}' has the unknown `{key}` function '{name}' (known: tanh, sigmoid, relu, sin, cos, exp, square, sqrt, tan, identity)."
            ),
            UnknownId { node, parent } => {
                write!(f, "Node '{node}' names the parent '{parent}', but no node has that id.")
            }
            UnknownOutput { id } => write!(f, "The output '{id}' is not the id of any node."),
            Cycle { node } => write!(
                f,
                "The graph has a cycle through node '{node}'; a computation graph must not feed a node back into itself."
            ),
            Arity {
                node,
                op,
                expected,
                got,
            } => write!(
                f,
                "Node '{node}' ({op}) has {got} parent(s) but needs {expected}."
            ),
            PreLength {
                node,
                expected,
                got,
            } => write!(
                f,
                "Node '{node}' has {got} `pre` function(s) but {expected} parent(s); give one per parent (\"identity\" for none)."
            ),
            ShapeMismatch { node, detail } => {
                write!(f, "Shape mismatch at node '{node}': {detail}.")
            }
            TargetShape { expected, got } => write!(
                f,
                "The `target` is {got} but the output is {expected}; they must have the same shape."
            ),
            BadNode { node, detail } => write!(f, "Node '{node}' {detail}."),
            OutputHasChildren { output, child } => write!(
                f,
                "The output '{output}' must have no children, but node '{child}' uses it."
            ),
            OutputIsLeaf { output } => write!(
                f,
                "The output '{output}' is an input or param; it must be a computed node."
            ),
            DeadEnd { node } => write!(
                f,
                "Node '{node}' is not used by any node and is not the output; every computed node must lead to the output."
            ),
            SqrtNegative { node, value } => write!(
                f,
                "Node '{node}' takes the square root of a negative number ({value}) in the feedforward pass."
            ),
            NonFinite { place } => write!(f, "{place} is not a finite number."),
            BadVariance { node, value } => write!(
                f,
                "Node '{node}' has variance {value}; a variance must be a positive finite number."
            ),
            BadSetting { key, detail } => write!(f, "The setting `{key}` {detail}."),
            BadIndex { index, detail } => write!(f, "Node index {index} {detail}."),
            NoParams => write!(
                f,
                "The graph has no param node, so a learning step has nothing to change; add a `param` node or pick a preset with weights."
            ),
        }
    }
}

impl std::error::Error for GraphError {}

/// A validated computation graph (see the module docs). Build it with [`Graph::from_json`] or
/// [`Graph::from_file`].
#[derive(Clone, Debug, PartialEq)]
pub struct Graph {
    name: String,
    nodes: Vec<Node>,
    output: usize,
    target: Tensor,
    children: Vec<Vec<usize>>,
    levels: Vec<Option<usize>>,
    leveled: bool,
    inference_rate: f64,
    steps: Option<usize>,
    record_steps: Option<Vec<usize>>,
    variants: Option<Vec<String>>,
    zil: Option<bool>,
    layout: Layout,
}

/// The variant names accepted in a file's `variants` list.
pub const VARIANT_NAMES: [&str; 2] = ["fixed_pred", "strict"];

fn check_finite_tensor(t: &Tensor, place: impl Fn() -> String) -> Result<(), GraphError> {
    if t.is_finite() {
        Ok(())
    } else {
        Err(GraphError::NonFinite { place: place() })
    }
}

fn json_error(e: &crate::json::JsonError) -> GraphError {
    let reason = e.message.clone();
    for key in ["output", "target", "nodes", "id", "op"] {
        if reason == format!("missing field `{key}`") {
            if key == "output" || key == "target" || key == "nodes" {
                return GraphError::MissingKey { key: key.into() };
            }
            return GraphError::Json {
                line: e.line,
                column: e.column,
                message: format!("a node has no `{key}` key"),
            };
        }
    }
    let reason = if reason.contains("untagged enum JsonValue") {
        "a value must be a number, a list of numbers, or a list of rows of numbers".to_string()
    } else {
        reason
    };
    GraphError::Json {
        line: e.line,
        column: e.column,
        message: reason,
    }
}

impl Graph {
    /// Parse and validate a graph file (JSON text).
    pub fn from_json(s: &str) -> Result<Graph, GraphError> {
        let file = GraphFile::from_json_text(s).map_err(|e| json_error(&e))?;
        Graph::from_file(&file)
    }

    /// Validate a parsed graph file: resolve ids, sort topologically, check shapes and values,
    /// and run the feedforward pass and backprop once (refusing `sqrt` of a negative number and
    /// non-finite results).
    pub fn from_file(f: &GraphFile) -> Result<Graph, GraphError> {
        let g = Self::build(f)?;
        Reference::compute(&g)?;
        Ok(g)
    }

    fn build(f: &GraphFile) -> Result<Graph, GraphError> {
        if f.nodes.is_empty() {
            return Err(GraphError::NoNodes);
        }
        // a file from a later version may mean something this version cannot run
        if f.format != 1 {
            return Err(GraphError::BadSetting {
                key: "format".into(),
                detail: format!("is {}, but this version reads format 1", f.format),
            });
        }
        // ids
        let mut index: HashMap<&str, usize> = HashMap::new();
        for (k, n) in f.nodes.iter().enumerate() {
            if n.id.is_empty() {
                return Err(GraphError::EmptyId { index: k });
            }
            if index.insert(n.id.as_str(), k).is_some() {
                return Err(GraphError::DuplicateId { id: n.id.clone() });
            }
        }
        // per-node checks (file order)
        let mut file_nodes: Vec<Node> = Vec::with_capacity(f.nodes.len());
        for spec in &f.nodes {
            file_nodes.push(Self::check_node(spec, &index)?);
        }
        // topological order: stable Kahn (earliest file position first)
        let nf = file_nodes.len();
        let mut missing: Vec<usize> = file_nodes
            .iter()
            .map(|n| {
                let mut p = n.parents.clone();
                p.sort_unstable();
                p.dedup();
                p.len()
            })
            .collect();
        let mut users: Vec<Vec<usize>> = vec![Vec::new(); nf];
        for (k, n) in file_nodes.iter().enumerate() {
            let mut p = n.parents.clone();
            p.sort_unstable();
            p.dedup();
            for q in p {
                users[q].push(k);
            }
        }
        // (`extend`, not `collect`: collecting into a B-tree sorts first, which links one more
        // sort into the wasm; see BENCHMARKS.md, download size)
        let mut ready = BTreeSet::new();
        ready.extend((0..nf).filter(|&k| missing[k] == 0));
        let mut order = Vec::with_capacity(nf);
        while let Some(k) = ready.pop_first() {
            order.push(k);
            for &u in &users[k] {
                missing[u] -= 1;
                if missing[u] == 0 {
                    ready.insert(u);
                }
            }
        }
        if order.len() < nf {
            // report the first node (file order) that is on, or behind, a cycle
            let stuck = (0..nf).find(|&k| missing[k] > 0).unwrap_or(0);
            let on_cycle = find_cycle_node(&file_nodes, &missing).unwrap_or(stuck);
            return Err(GraphError::Cycle {
                node: f.nodes[on_cycle].id.clone(),
            });
        }
        let mut pos = vec![0usize; nf];
        for (t, &k) in order.iter().enumerate() {
            pos[k] = t;
        }
        let mut nodes: Vec<Node> = order.iter().map(|&k| file_nodes[k].clone()).collect();
        for n in &mut nodes {
            for p in &mut n.parents {
                *p = pos[*p];
            }
        }
        // shapes
        for j in 0..nodes.len() {
            let Some(op) = nodes[j].op_kind else { continue };
            let shapes: Vec<Shape> = nodes[j].parents.iter().map(|&p| nodes[p].shape).collect();
            let shape = op
                .infer_shape(&shapes)
                .map_err(|d| GraphError::ShapeMismatch {
                    node: nodes[j].id.clone(),
                    detail: d,
                })?;
            if shape.is_empty() {
                return Err(GraphError::ShapeMismatch {
                    node: nodes[j].id.clone(),
                    detail: "the result has no elements".into(),
                });
            }
            nodes[j].shape = shape;
        }
        // output
        if f.output.is_empty() {
            return Err(GraphError::MissingKey {
                key: "output".into(),
            });
        }
        let output = nodes.iter().position(|n| n.id == f.output).ok_or_else(|| {
            GraphError::UnknownOutput {
                id: f.output.clone(),
            }
        })?;
        if nodes[output].is_leaf() {
            return Err(GraphError::OutputIsLeaf {
                output: f.output.clone(),
            });
        }
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
        for (j, n) in nodes.iter().enumerate() {
            for &p in &n.parents {
                children[p].push(j);
            }
        }
        if let Some(&c) = children[output].first() {
            return Err(GraphError::OutputHasChildren {
                output: f.output.clone(),
                child: nodes[c].id.clone(),
            });
        }
        for (j, n) in nodes.iter().enumerate() {
            if !n.is_leaf() && j != output && children[j].is_empty() {
                return Err(GraphError::DeadEnd { node: n.id.clone() });
            }
        }
        // target
        let target = Tensor::from_json(&f.target).map_err(|d| GraphError::BadSetting {
            key: "target".into(),
            detail: format!("is not a proper value: {d}"),
        })?;
        check_finite_tensor(&target, || "A number in `target`".into())?;
        if target.shape != nodes[output].shape {
            return Err(GraphError::TargetShape {
                expected: nodes[output].shape,
                got: target.shape,
            });
        }
        // levels: longest path (in edges) to the output, computed nodes only
        let mut levels: Vec<Option<usize>> = vec![None; nodes.len()];
        levels[output] = Some(0);
        for j in (0..nodes.len()).rev() {
            if nodes[j].is_leaf() || j == output {
                continue;
            }
            levels[j] = children[j]
                .iter()
                .filter_map(|&c| levels[c])
                .max()
                .map(|l| l + 1);
            if levels[j].is_none() {
                return Err(GraphError::DeadEnd {
                    node: nodes[j].id.clone(),
                });
            }
        }
        let leveled = nodes.iter().enumerate().all(|(j, n)| {
            n.parents.iter().all(|&p| match (levels[p], levels[j]) {
                (Some(lp), Some(lj)) => lp == lj + 1,
                _ => true,
            })
        });
        // settings
        let inference_rate = f.inference_rate.unwrap_or(0.1);
        if !(inference_rate.is_finite() && inference_rate > 0.0) {
            return Err(GraphError::BadSetting {
                key: "inference_rate".into(),
                detail: format!("is {inference_rate} but must be a positive number"),
            });
        }
        if let Some(vs) = &f.variants {
            if let Some(bad) = vs.iter().find(|v| !VARIANT_NAMES.contains(&v.as_str())) {
                return Err(GraphError::BadSetting {
                    key: "variants".into(),
                    detail: format!("names '{bad}', but only fixed_pred and strict are known"),
                });
            }
        }
        let layout = make_layout(&nodes);
        Ok(Graph {
            name: f.name.clone(),
            nodes,
            output,
            target,
            children,
            levels,
            leveled,
            inference_rate,
            steps: f.steps,
            record_steps: f.record_steps.clone(),
            variants: f.variants.clone(),
            zil: f.zil,
            layout,
        })
    }

    fn check_node(spec: &NodeSpec, index: &HashMap<&str, usize>) -> Result<Node, GraphError> {
        let id = spec.id.clone();
        let bad = |detail: &str| GraphError::BadNode {
            node: id.clone(),
            detail: detail.to_string(),
        };
        let kind = match spec.op.as_str() {
            "input" => NodeKind::Input,
            "param" => NodeKind::Param,
            _ => NodeKind::Computed,
        };
        if kind != NodeKind::Computed {
            if !spec.parents.is_empty() {
                return Err(bad(&format!("is an {} and cannot have parents", spec.op)));
            }
            if spec.act.is_some() || spec.pre.is_some() {
                return Err(bad(&format!(
                    "is an {} and cannot have `act` or `pre`",
                    spec.op
                )));
            }
            if spec.variance.is_some() {
                return Err(bad(&format!(
                    "is an {} and cannot have a `variance` (only computed nodes have one)",
                    spec.op
                )));
            }
            let v = spec
                .value
                .as_ref()
                .ok_or_else(|| bad(&format!("is an {} but has no `value`", spec.op)))?;
            let t = Tensor::from_json(v)
                .map_err(|d| bad(&format!("has a `value` that is not a proper matrix: {d}")))?;
            if t.shape.is_empty() {
                return Err(bad("has an empty `value`"));
            }
            check_finite_tensor(&t, || format!("A number in the value of node '{id}'"))?;
            return Ok(Node {
                id: id.clone(),
                kind,
                op: spec.op.clone(),
                parents: Vec::new(),
                act: None,
                pre: None,
                variance: 1.0,
                shape: t.shape,
                value: Some(t),
                op_kind: None,
                act_fn: None,
                pre_fns: Vec::new(),
            });
        }
        let op = Op::parse(&spec.op).ok_or_else(|| GraphError::UnknownOp {
            node: id.clone(),
            op: spec.op.clone(),
        })?;
        if spec.value.is_some() {
            return Err(bad(&format!(
                "is computed ({}) and cannot have a `value`; only input and param nodes do",
                spec.op
            )));
        }
        if let Some(expected) = op.arity_error(spec.parents.len()) {
            return Err(GraphError::Arity {
                node: id.clone(),
                op: spec.op.clone(),
                expected,
                got: spec.parents.len(),
            });
        }
        let mut parents = Vec::with_capacity(spec.parents.len());
        for p in &spec.parents {
            let k = index.get(p.as_str()).ok_or_else(|| GraphError::UnknownId {
                node: id.clone(),
                parent: p.clone(),
            })?;
            parents.push(*k);
        }
        let act_fn = match &spec.act {
            None => None,
            Some(a) => {
                let e = Elementwise::parse(a).ok_or_else(|| GraphError::UnknownFunction {
                    node: id.clone(),
                    key: "act",
                    name: a.clone(),
                })?;
                (e != Elementwise::Identity).then_some(e)
            }
        };
        let pre_fns = match &spec.pre {
            None => vec![None; parents.len()],
            Some(list) => {
                if list.len() != parents.len() {
                    return Err(GraphError::PreLength {
                        node: id.clone(),
                        expected: parents.len(),
                        got: list.len(),
                    });
                }
                let mut v = Vec::with_capacity(list.len());
                for name in list {
                    let e =
                        Elementwise::parse(name).ok_or_else(|| GraphError::UnknownFunction {
                            node: id.clone(),
                            key: "pre",
                            name: name.clone(),
                        })?;
                    v.push((e != Elementwise::Identity).then_some(e));
                }
                v
            }
        };
        let variance = spec.variance.unwrap_or(1.0);
        if !(variance.is_finite() && variance > 0.0) {
            return Err(GraphError::BadVariance {
                node: id.clone(),
                value: variance,
            });
        }
        Ok(Node {
            id,
            kind,
            op: spec.op.clone(),
            parents,
            act: spec.act.clone(),
            pre: spec.pre.clone(),
            variance,
            value: None,
            shape: Shape::Scalar,
            op_kind: Some(op),
            act_fn,
            pre_fns,
        })
    }

    /// Write back as a graph file (`format: 1`, nodes in topological order, run settings kept).
    pub fn to_file(&self) -> GraphFile {
        GraphFile {
            format: 1,
            name: self.name.clone(),
            nodes: self
                .nodes
                .iter()
                .map(|n| NodeSpec {
                    id: n.id.clone(),
                    op: n.op.clone(),
                    value: n.value.as_ref().map(Tensor::to_json),
                    parents: n
                        .parents
                        .iter()
                        .map(|&p| self.nodes[p].id.clone())
                        .collect(),
                    act: n.act.clone(),
                    pre: n.pre.clone(),
                    variance: (!n.is_leaf() && n.variance != 1.0).then_some(n.variance),
                })
                .collect(),
            output: self.nodes[self.output].id.clone(),
            target: self.target.to_json(),
            inference_rate: Some(self.inference_rate),
            steps: self.steps,
            record_steps: self.record_steps.clone(),
            variants: self.variants.clone(),
            zil: self.zil,
        }
    }

    /// The graph file as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.to_file()).unwrap_or_default()
    }

    /// Nodes in topological order (parents before children).
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// Index of the node with this id.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.id == id)
    }

    /// Index of the output node.
    pub fn output(&self) -> usize {
        self.output
    }

    /// The target the output is clamped to.
    pub fn target(&self) -> &Tensor {
        &self.target
    }

    /// Children of node `i` (a child that uses `i` twice is listed twice). Empty for a bad index.
    pub fn children(&self, i: usize) -> &[usize] {
        self.children.get(i).map_or(&[], |c| c.as_slice())
    }

    /// Level of each node: the longest path in edges to the output; `None` for leaves.
    pub fn levels(&self) -> &[Option<usize>] {
        &self.levels
    }

    /// The largest level `D` (the depth of the graph).
    pub fn depth(&self) -> usize {
        self.levels.iter().flatten().copied().max().unwrap_or(0)
    }

    /// True when every path from each computed node to the output has the same length.
    pub fn is_leveled(&self) -> bool {
        self.leveled
    }

    /// The graph's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file's inference rate (default 0.1).
    pub fn inference_rate(&self) -> f64 {
        self.inference_rate
    }

    /// The file's `steps` (default 100).
    pub fn steps(&self) -> usize {
        self.steps.unwrap_or(100)
    }

    /// The file's `record_steps` (default `[0, steps]`).
    pub fn record_steps(&self) -> Vec<usize> {
        self.record_steps
            .clone()
            .unwrap_or_else(|| vec![0, self.steps()])
    }

    /// The file's `variants` (default both).
    pub fn variant_names(&self) -> Vec<String> {
        self.variants
            .clone()
            .unwrap_or_else(|| VARIANT_NAMES.iter().map(|s| s.to_string()).collect())
    }

    /// The file's `zil` flag (default true).
    pub fn zil_enabled(&self) -> bool {
        self.zil.unwrap_or(true)
    }

    /// The flat-buffer layout.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Replace a leaf's value (same shape, finite). Does not re-run the feedforward check; the
    /// [`Session`](super::relax::Session) does that.
    pub(crate) fn set_leaf_value(&mut self, i: usize, value: Tensor) -> Result<(), GraphError> {
        let n = self.nodes.get_mut(i).ok_or_else(|| GraphError::BadIndex {
            index: i,
            detail: "does not name a node".into(),
        })?;
        if !n.is_leaf() {
            return Err(GraphError::BadIndex {
                index: i,
                detail: format!("is the computed node '{}', not an input or param", n.id),
            });
        }
        if value.shape != n.shape || value.data.len() != n.shape.len() {
            return Err(GraphError::ShapeMismatch {
                node: n.id.clone(),
                detail: format!(
                    "the new value is {} but the node is {}",
                    value.shape, n.shape
                ),
            });
        }
        check_finite_tensor(&value, || {
            format!("A number in the new value of node '{}'", n.id)
        })?;
        n.value = Some(value);
        Ok(())
    }

    /// The data of leaf `i`'s value, for in-place updates (`None` for computed nodes or bad
    /// indices). Callers keep the numbers finite.
    pub(crate) fn leaf_data_mut(&mut self, i: usize) -> Option<&mut [f64]> {
        let n = self.nodes.get_mut(i)?;
        n.value.as_mut().map(|t| t.data.as_mut_slice())
    }

    /// The target's data, for in-place updates. Callers keep the numbers finite.
    pub(crate) fn target_data_mut(&mut self) -> &mut [f64] {
        &mut self.target.data
    }

    /// Replace the target (same shape as the output, finite).
    pub(crate) fn set_target(&mut self, t: Tensor) -> Result<(), GraphError> {
        if t.shape != self.target.shape || t.data.len() != t.shape.len() {
            return Err(GraphError::TargetShape {
                expected: self.target.shape,
                got: t.shape,
            });
        }
        check_finite_tensor(&t, || "A number in the new target".into())?;
        self.target = t;
        Ok(())
    }

    /// A levelled copy for Z-IL (Salvatori et al.): every edge from a computed node `a` at level
    /// `L` into a child at level `l < L − 1` is routed through a chain of identity nodes
    /// `a__id1` (level `L−1`), `a__id2` (level `L−2`), …, shared by all of `a`'s short edges; the
    /// child reads the chain node at level `l + 1`. Returns the new graph and the inserted ids.
    /// Leaf edges are not changed. A levelled graph comes back unchanged.
    pub fn with_identity_levelling(&self) -> (Graph, Vec<String>) {
        let mut f = self.to_file();
        let mut taken = BTreeSet::new();
        taken.extend(self.nodes.iter().map(|n| n.id.clone()));
        let mut inserted = Vec::new();
        // (position in topological order, chain specs) to insert before that node
        let mut insert_before: Vec<(usize, Vec<NodeSpec>)> = Vec::new();
        // replacement parents per node: (child index, slot) -> new parent id
        let mut new_parent: HashMap<(usize, usize), String> = HashMap::new();
        for (a, na) in self.nodes.iter().enumerate() {
            let Some(la) = self.levels[a] else { continue };
            let mut short: Vec<(usize, usize, usize)> = Vec::new(); // (child, slot, child level)
            for (j, nj) in self.nodes.iter().enumerate() {
                let Some(lj) = self.levels[j] else { continue };
                for (s, &p) in nj.parents.iter().enumerate() {
                    if p == a && la > lj + 1 {
                        short.push((j, s, lj));
                    }
                }
            }
            let Some(min_child) = short.iter().map(|s| s.2).min() else {
                continue;
            };
            let chain_len = la - min_child - 1;
            let mut names: Vec<String> = Vec::with_capacity(chain_len);
            let mut specs = Vec::with_capacity(chain_len);
            for k in 1..=chain_len {
                let mut name = format!("{}__id{k}", na.id);
                while taken.contains(&name) {
                    name.push('_');
                }
                taken.insert(name.clone());
                let parent = if k == 1 {
                    na.id.clone()
                } else {
                    names[k - 2].clone()
                };
                specs.push(NodeSpec {
                    id: name.clone(),
                    op: "identity".into(),
                    value: None,
                    parents: vec![parent],
                    act: None,
                    pre: None,
                    variance: None,
                });
                names.push(name);
            }
            inserted.extend(names.iter().cloned());
            for &(j, s, lj) in &short {
                // chain node at level lj + 1 is number la − lj − 1
                new_parent.insert((j, s), names[la - lj - 2].clone());
            }
            let first = short.iter().map(|s| s.0).min().unwrap_or(a + 1);
            insert_before.push((first, specs));
        }
        if inserted.is_empty() {
            return (self.clone(), inserted);
        }
        let mut nodes = Vec::with_capacity(f.nodes.len() + inserted.len());
        for (j, mut spec) in f.nodes.drain(..).enumerate() {
            for (at, specs) in &insert_before {
                if *at == j {
                    nodes.extend(specs.iter().cloned());
                }
            }
            for (s, p) in spec.parents.iter_mut().enumerate() {
                if let Some(np) = new_parent.get(&(j, s)) {
                    *p = np.clone();
                }
            }
            nodes.push(spec);
        }
        f.nodes = nodes;
        match Graph::build(&f) {
            Ok(g) => (g, inserted),
            Err(_) => (self.clone(), Vec::new()),
        }
    }
}

/// A node that lies on a cycle, among the nodes Kahn's algorithm could not place.
fn find_cycle_node(nodes: &[Node], missing: &[usize]) -> Option<usize> {
    // Walk parent links among stuck nodes; in a finite set this must revisit a node.
    let start = (0..nodes.len()).find(|&k| missing[k] > 0)?;
    let mut seen = vec![false; nodes.len()];
    let mut k = start;
    loop {
        if seen[k] {
            return Some(k);
        }
        seen[k] = true;
        k = *nodes[k].parents.iter().find(|&&p| missing[p] > 0)?;
    }
}

fn make_layout(nodes: &[Node]) -> Layout {
    let mut lay = Layout::default();
    for n in nodes {
        let len = n.shape.len();
        lay.off.push(lay.total);
        lay.len.push(len);
        lay.total += len;
        lay.max_len = lay.max_len.max(len);
    }
    for n in nodes {
        lay.edge_start.push(lay.pre_off.len());
        for (s, &p) in n.parents.iter().enumerate() {
            if n.pre_fns.get(s).copied().flatten().is_some() {
                lay.pre_off.push(lay.pre_total);
                lay.pre_total += lay.len[p];
            } else {
                lay.pre_off.push(0);
            }
        }
    }
    lay
}

/// Read a file value or target into a tensor (for callers that edit values).
pub fn tensor_from_json(v: &JsonValue) -> Result<Tensor, String> {
    Tensor::from_json(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testutil::*;
    use proptest::prelude::*;

    fn refuse(f: &GraphFile) -> String {
        Graph::from_file(f).unwrap_err().to_string()
    }

    fn chain_nodes() -> Vec<NodeSpec> {
        vec![
            leaf("x", "input", s(0.8)),
            leaf("w1", "param", s(1.5)),
            leaf("w2", "param", s(-0.9)),
            comp("a", "mul", &["w1", "x"]),
            comp("h", "tanh", &["a"]),
            comp("y", "mul", &["w2", "h"]),
        ]
    }

    #[test]
    fn topological_order_children_levels() {
        // parents listed after their children
        let mut nodes = chain_nodes();
        nodes.reverse();
        let g = Graph::from_file(&file(nodes, "y", s(0.4))).unwrap();
        let pos = |id: &str| g.index_of(id).unwrap();
        assert!(pos("w1") < pos("a") && pos("a") < pos("h") && pos("h") < pos("y"));
        for (j, n) in g.nodes().iter().enumerate() {
            assert!(n.parents.iter().all(|&p| p < j));
        }
        assert_eq!(g.levels()[pos("a")], Some(2));
        assert_eq!(g.levels()[pos("x")], None);
        assert!(g.is_leveled());
        assert_eq!(g.depth(), 2);
        // a node used twice counts twice
        let nodes = vec![
            leaf("x", "input", s(0.5)),
            comp("a", "tanh", &["x"]),
            comp("y", "mul", &["a", "a"]),
        ];
        let g = Graph::from_file(&file(nodes, "y", s(0.0))).unwrap();
        assert_eq!(g.children(1), &[2, 2]);
        assert!(g.children(99).is_empty());
        let g = graph(SKIP);
        assert!(!g.is_leveled());
        assert_eq!(g.levels()[g.index_of("a").unwrap()], Some(3));
    }

    #[test]
    fn levelling_inserts_shared_identity_chains() {
        let g = graph(SKIP);
        let (lg, ins) = g.with_identity_levelling();
        assert_eq!(ins, ["a__id1", "a__id2"]);
        assert!(lg.is_leveled());
        let y = lg.index_of("y").unwrap();
        let id2 = lg.index_of("a__id2").unwrap();
        assert!(lg.nodes()[y].parents.contains(&id2));
        assert_eq!(lg.levels()[id2], Some(1));
        // a levelled graph is unchanged
        let (same, none) = graph(CHAIN).with_identity_levelling();
        assert!(none.is_empty() && same == graph(CHAIN));
        // names never collide
        let mut f = graph(SKIP).to_file();
        f.nodes.push(leaf("a__id1", "param", s(1.0)));
        let (lg, ins) = Graph::from_file(&f).unwrap().with_identity_levelling();
        assert_eq!(ins, ["a__id1_", "a__id2"]);
        assert!(lg.is_leveled());
    }

    #[test]
    fn every_error_names_the_place() {
        let base = || file(chain_nodes(), "y", s(0.4));
        // bad JSON with line and column
        let e = Graph::from_json("{\n \"nodes\": [,]\n}")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2") && e.contains("column"), "{e}");
        let e = Graph::from_json("").unwrap_err().to_string();
        assert!(e.contains("line 1"), "{e}");
        // missing output / target / nodes
        let e = Graph::from_json(r#"{"nodes": [], "target": 1}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("`output`"), "{e}");
        let e = Graph::from_json(r#"{"nodes": [], "output": "y"}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("`target`"), "{e}");
        let e = Graph::from_json(r#"{"output": "y", "target": 1}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("`nodes`"), "{e}");
        let e = Graph::from_json(
            r#"{"nodes":[{"id":"x","op":"input","value":"a"}],"output":"x","target":1}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("a value must be a number"), "{e}");
        let mut f = base();
        f.output = String::new();
        assert!(refuse(&f).contains("`output`"));
        let mut f = base();
        f.nodes.clear();
        assert!(refuse(&f).contains("no nodes"));
        // unknown op / function / id / output
        let mut f = base();
        f.nodes[4].op = "tanhh".into();
        let e = refuse(&f);
        assert!(e.contains("'h'") && e.contains("'tanhh'"), "{e}");
        let mut f = base();
        f.nodes[4].act = Some("softmax".into());
        let e = refuse(&f);
        assert!(
            e.contains("'h'") && e.contains("softmax") && e.contains("act"),
            "{e}"
        );
        let mut f = base();
        f.nodes[5].pre = Some(vec!["identity".into(), "log".into()]);
        let e = refuse(&f);
        assert!(e.contains("'y'") && e.contains("log"), "{e}");
        let mut f = base();
        f.nodes[5].parents[1] = "hh".into();
        let e = refuse(&f);
        assert!(e.contains("'y'") && e.contains("'hh'"), "{e}");
        let mut f = base();
        f.output = "z".into();
        assert!(refuse(&f).contains("'z'"));
        // duplicate id, empty id
        let mut f = base();
        f.nodes[4].id = "a".into();
        assert!(refuse(&f).contains("'a'"));
        let mut f = base();
        f.nodes[0].id = String::new();
        assert!(refuse(&f).contains("number 1"));
        // cycle
        let mut f = base();
        f.nodes[3].parents = vec!["w1".into(), "h".into()];
        let e = refuse(&f);
        assert!(
            e.contains("cycle") && (e.contains("'a'") || e.contains("'h'")),
            "{e}"
        );
        let mut f = base();
        f.nodes[4].parents = vec!["h".into()];
        assert!(refuse(&f).contains("cycle through node 'h'"));
        // shape mismatch, target shape
        let mut f = base();
        f.nodes[0].value = Some(v(&[1.0, 2.0]));
        f.nodes[1].value = Some(v(&[1.0, 2.0, 3.0]));
        let e = refuse(&f);
        assert!(e.contains("'a'") && e.contains("vector of 3"), "{e}");
        let mut f = base();
        f.target = v(&[1.0, 2.0]);
        assert!(refuse(&f).contains("`target`"));
        let mut f = base();
        f.nodes[1].value = Some(m(&[&[1.0, 2.0], &[3.0]]));
        let e = refuse(&f);
        assert!(e.contains("'w1'") && e.contains("row 2"), "{e}");
        let mut f = base();
        f.nodes[1].value = Some(v(&[]));
        assert!(refuse(&f).contains("'w1'"));
        let mut f = base();
        f.nodes[3].op = "matmul".into();
        f.nodes[1].value = Some(m(&[&[1.0, 2.0]]));
        let e = refuse(&f);
        assert!(e.contains("'a'") && e.contains("multiply"), "{e}");
        // arity and pre length
        let mut f = base();
        f.nodes[4].parents = vec!["a".into(), "x".into()];
        let e = refuse(&f);
        assert!(e.contains("'h'") && e.contains("exactly one parent"), "{e}");
        let mut f = base();
        f.nodes[5].pre = Some(vec!["tanh".into()]);
        let e = refuse(&f);
        assert!(e.contains("'y'") && e.contains("pre"), "{e}");
        // output with children, output leaf, dead end
        let mut f = base();
        f.output = "h".into();
        let e = refuse(&f);
        assert!(e.contains("'h'") && e.contains("'y'"), "{e}");
        let mut f = base();
        f.output = "x".into();
        assert!(refuse(&f).contains("'x'"));
        let mut f = base();
        f.nodes.push(comp("dangling", "sin", &["h"]));
        assert!(refuse(&f).contains("'dangling'"));
        // sqrt of a negative in the feedforward pass
        let mut f = base();
        f.nodes[4].op = "sqrt".into();
        f.nodes[1].value = Some(s(-1.0));
        let e = refuse(&f);
        assert!(e.contains("'h'") && e.contains("square root"), "{e}");
        let mut f = base();
        f.nodes[5].pre = Some(vec!["identity".into(), "sqrt".into()]);
        f.nodes[4].op = "sin".into();
        f.nodes[1].value = Some(s(-3.0));
        let e = refuse(&f);
        assert!(e.contains("'y'") && e.contains("square root"), "{e}");
        // non-finite numbers: in a value, the target, and produced by the forward pass
        let mut f = base();
        f.nodes[0].value = Some(s(f64::NAN));
        assert!(refuse(&f).contains("'x'"));
        let mut f = base();
        f.target = s(f64::INFINITY);
        assert!(refuse(&f).contains("`target`"));
        let mut f = base();
        f.nodes[4].op = "exp".into();
        f.nodes[1].value = Some(s(1e3));
        let e = refuse(&f);
        assert!(e.contains("'h'") && e.contains("finite"), "{e}");
        // variance, leaf/computed confusion, settings
        let mut f = base();
        f.nodes[4].variance = Some(0.0);
        assert!(refuse(&f).contains("'h'"));
        let mut f = base();
        f.nodes[0].value = None;
        assert!(refuse(&f).contains("'x'"));
        let mut f = base();
        f.nodes[4].value = Some(s(1.0));
        assert!(refuse(&f).contains("'h'"));
        let mut f = base();
        f.nodes[0].parents = vec!["w1".into()];
        assert!(refuse(&f).contains("'x'"));
        let mut f = base();
        f.inference_rate = Some(-0.1);
        assert!(refuse(&f).contains("inference_rate"));
        let mut f = base();
        f.variants = Some(vec!["exact".into()]);
        assert!(refuse(&f).contains("'exact'"));
        // unknown key in a node (deny_unknown_fields) with a place
        let e = Graph::from_json(
            r#"{"nodes":[{"id":"x","op":"input","value":1,"colour":2}],"output":"x","target":1}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("colour") && e.contains("line 1"), "{e}");
    }

    #[test]
    fn round_trip_through_json() {
        for json in [CHAIN, SKIP, MLP] {
            let g = graph(json);
            let back = Graph::from_json(&g.to_json()).unwrap();
            assert_eq!(back, g);
            assert!(g.to_json().contains("\"format\": 1"));
        }
        assert_eq!(graph(CHAIN).inference_rate(), 0.1);
        assert_eq!(graph(CHAIN).name(), "chain");
    }

    proptest! {
        #[test]
        fn from_json_never_panics(text in ".{0,200}") {
            let _ = Graph::from_json(&text);
        }

        #[test]
        fn from_json_never_panics_on_near_valid_files(
            cut in 0usize..600, junk in "[\\[\\]{}\",:a-z0-9.-]{0,6}", which in 0usize..3
        ) {
            let base = [CHAIN, SKIP, MLP][which];
            let cut = cut.min(base.len());
            let cut = (0..=cut).rev().find(|&c| base.is_char_boundary(c)).unwrap_or(0);
            let text = format!("{}{}{}", &base[..cut], junk, &base[cut..]);
            if let Err(e) = Graph::from_json(&text) {
                prop_assert!(!e.to_string().is_empty());
            }
        }
    }
}
