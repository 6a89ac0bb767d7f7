//! The trace of `graph-format.md` ("Output: the trace"): the reference quantities, snapshots of
//! fixed prediction and strict PC at the recorded steps, Z-IL (also on the levelled graph when
//! the graph is not levelled) and fixed prediction at rate 1.
//!
//! The relaxations run without the magnitude guard (only non-finite numbers stop them, and
//! the variant block then carries a `diverged` message), so the numbers are the raw dynamics.
use serde_json::{json, Map, Value};

use super::format::GraphFile;
use super::graph::{Graph, GraphError, NodeKind};
use super::relax::{Metrics, Session, TickOutcome, Variant};
use super::tensor::{Shape, Tensor};

/// A node slice as JSON in the node's shape (number, list, list of rows).
fn shaped(shape: Shape, data: &[f64]) -> Value {
    match Tensor::from_parts(shape, data.to_vec()) {
        Some(t) => serde_json::to_value(t.to_json()).unwrap_or(Value::Null),
        None => Value::Null,
    }
}

fn per_node(g: &Graph, keep: impl Fn(usize) -> bool, data: impl Fn(usize) -> Value) -> Value {
    let mut m = Map::new();
    for (i, n) in g.nodes().iter().enumerate() {
        if keep(i) {
            m.insert(n.id.clone(), data(i));
        }
    }
    Value::Object(m)
}

fn metrics_json(m: &Metrics) -> Value {
    json!({
        "max_abs_err_nodes": m.max_abs_err_nodes,
        "max_abs_err_params": m.max_abs_err_params,
        "rel_err_params": m.rel_err_params,
        "cosine_params": m.cosine_params,
    })
}

fn is_computed(g: &Graph, i: usize) -> bool {
    g.nodes()[i].kind == NodeKind::Computed
}

fn snapshot(s: &Session) -> Value {
    let g = s.graph();
    let shape = |i: usize| g.nodes()[i].shape;
    json!({
        "step": s.step(),
        "energy": s.energy(),
        "v": per_node(g, |i| is_computed(g, i), |i| shaped(shape(i), s.value(i))),
        "eps": per_node(g, |i| is_computed(g, i), |i| shaped(shape(i), s.error(i))),
        "pc_grad": per_node(g, |i| !is_computed(g, i), |i| shaped(shape(i), s.pc_grad(i))),
        "metrics": metrics_json(&s.metrics()),
    })
}

/// Snapshots of one variant at the recorded steps.
fn run_variant(
    g: &Graph,
    variant: Variant,
    eta: f64,
    record: &[usize],
) -> Result<Value, GraphError> {
    let mut s = Session::with_history_capacity(g.clone(), variant, eta, 2)?;
    s.set_divergence_limit(f64::INFINITY);
    let mut record: Vec<usize> = record.to_vec();
    record.sort_unstable();
    record.dedup();
    let mut snaps = Vec::new();
    let mut diverged = None;
    for &k in &record {
        while s.step() < k {
            if let TickOutcome::Diverged(msg) = s.tick() {
                diverged = Some(msg);
                break;
            }
        }
        if diverged.is_some() {
            break;
        }
        snaps.push(snapshot(&s));
    }
    Ok(match diverged {
        None => Value::Array(snaps),
        // keep the list shape; the message goes in an extra trailing object
        Some(msg) => {
            snaps.push(json!({ "diverged": msg }));
            Value::Array(snaps)
        }
    })
}

/// Z-IL on `g`: `updates`, `read_step`, `xi_read`, `pc_grad`, `metrics`, `leveled`.
fn zil_json(g: &Graph) -> Result<Value, GraphError> {
    let mut s = Session::with_history_capacity(g.clone(), Variant::Zil, 1.0, 2)?;
    s.set_divergence_limit(f64::INFINITY);
    let outcome = s.run(s.zil_depth());
    let mut v = json!({
        "leveled": g.is_leveled(),
        "updates": s.zil_depth(),
        "read_step": per_node(g, |i| is_computed(g, i), |i| json!(g.levels()[i])),
        "xi_read": per_node(g, |i| is_computed(g, i), |i| shaped(g.nodes()[i].shape, s.zil_xi_read(i))),
        "pc_grad": per_node(g, |i| !is_computed(g, i), |i| shaped(g.nodes()[i].shape, s.pc_grad(i))),
        "metrics": metrics_json(&s.metrics()),
    });
    if let (TickOutcome::Diverged(msg), Some(m)) = (outcome, v.as_object_mut()) {
        m.insert("diverged".into(), json!(msg));
    }
    Ok(v)
}

/// Fixed prediction at rate 1 for `D` updates: `updates`, `pc_grad`, `metrics`.
fn eta1_json(g: &Graph) -> Result<Value, GraphError> {
    let mut s = Session::with_history_capacity(g.clone(), Variant::FixedPredEta1, 1.0, 2)?;
    s.set_divergence_limit(f64::INFINITY);
    let outcome = s.run(s.zil_depth());
    let mut v = json!({
        "updates": s.zil_depth(),
        "pc_grad": per_node(g, |i| !is_computed(g, i), |i| shaped(g.nodes()[i].shape, s.pc_grad(i))),
        "metrics": metrics_json(&s.metrics()),
    });
    if let (TickOutcome::Diverged(msg), Some(m)) = (outcome, v.as_object_mut()) {
        m.insert("diverged".into(), json!(msg));
    }
    Ok(v)
}

/// The trace of a validated graph.
pub fn trace_graph(g: &Graph) -> Result<Value, GraphError> {
    let probe =
        Session::with_history_capacity(g.clone(), Variant::FixedPred, g.inference_rate(), 2)?;
    let shape = |i: usize| g.nodes()[i].shape;
    let mut out = Map::new();
    out.insert("name".into(), json!(g.name()));
    out.insert("inference_rate".into(), json!(g.inference_rate()));
    out.insert("steps".into(), json!(g.steps()));
    out.insert("loss".into(), json!(probe.loss()));
    out.insert(
        "feedforward".into(),
        per_node(g, |_| true, |i| shaped(shape(i), probe.feedforward(i))),
    );
    out.insert(
        "levels".into(),
        per_node(g, |i| is_computed(g, i), |i| json!(g.levels()[i])),
    );
    out.insert("leveled".into(), json!(g.is_leveled()));
    out.insert(
        "bp_grad".into(),
        per_node(g, |_| true, |i| shaped(shape(i), probe.bp_grad(i))),
    );
    let record = g.record_steps();
    let mut variants = Map::new();
    for name in g.variant_names() {
        let v = match name.as_str() {
            "fixed_pred" => Variant::FixedPred,
            "strict" => Variant::Strict,
            _ => continue,
        };
        variants.insert(name, run_variant(g, v, g.inference_rate(), &record)?);
    }
    out.insert("variants".into(), Value::Object(variants));
    if g.zil_enabled() {
        out.insert("zil".into(), zil_json(g)?);
        if !g.is_leveled() {
            let (lg, inserted) = g.with_identity_levelling();
            let mut z = zil_json(&lg)?;
            if let Some(m) = z.as_object_mut() {
                m.insert("inserted_identity_nodes".into(), json!(inserted));
            }
            out.insert("zil_on_leveled_graph".into(), z);
        }
        out.insert("fixed_pred_eta1".into(), eta1_json(g)?);
    }
    Ok(Value::Object(out))
}

/// The trace of a graph file (validated first).
pub fn trace(f: &GraphFile) -> Result<Value, GraphError> {
    trace_graph(&Graph::from_file(f)?)
}

/// The trace of a graph file given as JSON text, pretty-printed.
pub fn trace_json(s: &str) -> Result<String, GraphError> {
    let g = Graph::from_json(s)?;
    let v = trace_graph(&g)?;
    Ok(serde_json::to_string_pretty(&v).unwrap_or_default())
}
