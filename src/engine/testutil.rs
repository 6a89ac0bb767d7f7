//! Test helpers: small graphs and a proptest strategy for random DAGs.
use proptest::prelude::*;

use super::format::{GraphFile, JsonValue, NodeSpec};
use super::graph::Graph;

/// A leaf spec.
pub fn leaf(id: &str, op: &str, value: JsonValue) -> NodeSpec {
    NodeSpec {
        id: id.into(),
        op: op.into(),
        value: Some(value),
        parents: vec![],
        act: None,
        pre: None,
        variance: None,
    }
}

/// A computed spec.
pub fn comp(id: &str, op: &str, parents: &[&str]) -> NodeSpec {
    NodeSpec {
        id: id.into(),
        op: op.into(),
        value: None,
        parents: parents.iter().map(|s| s.to_string()).collect(),
        act: None,
        pre: None,
        variance: None,
    }
}

/// A graph file around `nodes`.
pub fn file(nodes: Vec<NodeSpec>, output: &str, target: JsonValue) -> GraphFile {
    GraphFile {
        format: 1,
        name: "test".into(),
        nodes,
        output: output.into(),
        target,
        inference_rate: None,
        steps: None,
        record_steps: None,
        variants: None,
        zil: None,
    }
}

pub fn s(x: f64) -> JsonValue {
    JsonValue::Scalar(x)
}

pub fn v(x: &[f64]) -> JsonValue {
    JsonValue::Vector(x.to_vec())
}

pub fn m(rows: &[&[f64]]) -> JsonValue {
    JsonValue::Matrix(rows.iter().map(|r| r.to_vec()).collect())
}

/// The chain of `pc-math.md` §4.1.
pub const CHAIN: &str = r#"{
 "name": "chain",
 "nodes": [
  {"id": "x",  "op": "input", "value": 0.8},
  {"id": "w1", "op": "param", "value": 1.5},
  {"id": "w2", "op": "param", "value": -0.9},
  {"id": "a",  "op": "mul",  "parents": ["w1", "x"]},
  {"id": "h",  "op": "tanh", "parents": ["a"]},
  {"id": "y",  "op": "mul",  "parents": ["w2", "h"]}
 ],
 "output": "y", "target": 0.4
}"#;

/// The skip graph of `pc-math.md` §4.3 (not levelled).
pub const SKIP: &str = r#"{
 "nodes": [
  {"id": "x",  "op": "input", "value": 0.5},
  {"id": "w1", "op": "param", "value": 2.0},
  {"id": "w2", "op": "param", "value": -1.5},
  {"id": "a",  "op": "mul",  "parents": ["w1", "x"]},
  {"id": "h",  "op": "tanh", "parents": ["a"]},
  {"id": "m",  "op": "mul",  "parents": ["w2", "h"]},
  {"id": "y",  "op": "add",  "parents": ["m", "a"]}
 ],
 "output": "y", "target": 0.3
}"#;

/// A 2-3-2 MLP with a `pre` and an `act`.
pub const MLP: &str = r#"{
 "nodes": [
  {"id": "x",  "op": "input", "value": [1.0, -0.5]},
  {"id": "W1", "op": "param", "value": [[0.5, -0.3], [0.8, 0.2], [-0.4, 0.6]]},
  {"id": "b1", "op": "param", "value": [0.1, -0.2, 0.05]},
  {"id": "W2", "op": "param", "value": [[0.7, -0.5, 0.3], [-0.2, 0.9, 0.4]]},
  {"id": "b2", "op": "param", "value": [0.1, -0.1]},
  {"id": "h",  "op": "linear", "act": "tanh", "parents": ["W1", "x", "b1"]},
  {"id": "y",  "op": "linear", "parents": ["W2", "h", "b2"], "pre": ["identity", "sin", "identity"]}
 ],
 "output": "y", "target": [0.8, -0.6]
}"#;

pub fn graph(json: &str) -> Graph {
    Graph::from_json(json).unwrap_or_else(|e| panic!("test graph refused: {e}"))
}

/// One random computed node: an op code and parent picks (reduced modulo the nodes so far).
#[derive(Clone, Debug)]
pub struct RandNode {
    pub op: u8,
    pub a: usize,
    pub b: usize,
    pub act: u8,
}

/// A random DAG over vectors of length `k`: three leaves (an input vector, a param vector and
/// a k×k param matrix), then computed nodes with random ops and parents, and an output that
/// adds every node nobody uses (so every node leads to the output).
pub fn random_graph(k: usize, leaves: &[f64], nodes: &[RandNode], variance: f64) -> GraphFile {
    let k = k.max(1);
    let val = |i: usize| leaves.get(i % leaves.len().max(1)).copied().unwrap_or(0.3);
    let mut specs = vec![
        leaf("x", "input", v(&(0..k).map(val).collect::<Vec<_>>())),
        leaf(
            "p",
            "param",
            v(&(0..k).map(|i| val(i + 7)).collect::<Vec<_>>()),
        ),
        leaf(
            "W",
            "param",
            JsonValue::Matrix(
                (0..k)
                    .map(|r| (0..k).map(|c| 0.6 * val(r * k + c + 3)).collect())
                    .collect(),
            ),
        ),
        leaf("c", "param", s(val(5))),
    ];
    // vector-valued nodes available as parents
    let mut pool: Vec<String> = vec!["x".into(), "p".into()];
    let mut used: Vec<bool> = vec![true, true];
    for (n, r) in nodes.iter().enumerate() {
        let id = format!("n{n}");
        let pa = pool[r.a % pool.len()].clone();
        let pb = pool[r.b % pool.len()].clone();
        let mut spec = match r.op % 9 {
            0 => comp(&id, "add", &[&pa, &pb]),
            1 => comp(&id, "sub", &[&pa, &pb]),
            2 => comp(&id, "mul", &[&pa, &pb]),
            3 => comp(&id, "tanh", &[&pa]),
            4 => comp(&id, "sin", &[&pa]),
            5 => comp(&id, "linear", &["W", pa.as_str(), pb.as_str()]),
            6 => comp(&id, "mul", &["c", pa.as_str()]), // scalar broadcast
            7 => comp(&id, "sigmoid", &[&pa]),
            _ => comp(&id, "mul", &[&pa, &pa]), // a node used twice
        };
        match r.act % 4 {
            1 => spec.act = Some("tanh".into()),
            2 if spec.parents.len() == 2 => {
                spec.pre = Some(vec!["identity".into(), "cos".into()]);
            }
            _ => {}
        }
        if n % 2 == 1 {
            spec.variance = Some(variance);
        }
        for p in &spec.parents {
            if let Some(q) = pool.iter().position(|x| x == p) {
                used[q] = true;
            }
        }
        specs.push(spec);
        pool.push(id);
        used.push(false);
    }
    let sinks: Vec<String> = pool
        .iter()
        .zip(&used)
        .skip(2)
        .filter(|(_, u)| !**u)
        .map(|(p, _)| p.clone())
        .collect();
    let sink_refs: Vec<&str> = sinks.iter().map(|s| s.as_str()).collect();
    let out = if sink_refs.is_empty() {
        comp("out", "tanh", &["x"])
    } else {
        comp("out", "add", &sink_refs)
    };
    specs.push(out);
    let target = v(&(0..k).map(|i| 0.5 - 0.3 * i as f64).collect::<Vec<_>>());
    file(specs, "out", target)
}

pub fn rand_node() -> impl Strategy<Value = RandNode> {
    (any::<u8>(), 0usize..64, 0usize..64, any::<u8>()).prop_map(|(op, a, b, act)| RandNode {
        op,
        a,
        b,
        act,
    })
}

/// `(k, leaf values, nodes)`.
pub fn rand_graph_parts() -> impl Strategy<Value = (usize, Vec<f64>, Vec<RandNode>)> {
    (
        1usize..4,
        prop::collection::vec(-1.0f64..1.0, 12),
        prop::collection::vec(rand_node(), 1..7),
    )
}
