//! The only module that talks to the engine: a [`Sim`] wraps one engine `Session` and turns it
//! into plain, finite-checked snapshots for the views.
use std::rc::Rc;

use crate::engine::{
    learn_step, Graph, LearnReport, NodeKind, Session, Shape, Start, Tensor, TickOutcome, Variant,
};

use super::layout::{self, LNode, Layout};

/// Unit rows drawn per vector node (the rest is summarised as "+k").
pub const MAX_UNITS: usize = 16;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Input,
    Param,
    Computed,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NodeInfo {
    pub id: String,
    pub kind: Kind,
    /// The op as a short formula, e.g. `√y1`, `θ·y0`, `tanh(W x + b)`.
    pub formula: String,
    pub parents: Vec<usize>,
    pub len: usize,
    pub rows: usize,
    pub cols: usize,
    pub output: bool,
    pub variance: f64,
    pub level: Option<usize>,
    /// Index into the plot palette (computed nodes), consistent between graph and plots.
    pub colour: usize,
}

impl NodeInfo {
    pub fn is_leaf(&self) -> bool {
        self.kind != Kind::Computed
    }
    /// Unit rows shown for this node.
    pub fn shown(&self) -> usize {
        self.len.clamp(1, MAX_UNITS)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct GraphInfo {
    pub name: String,
    pub nodes: Vec<NodeInfo>,
    pub output: usize,
    pub leveled: bool,
    pub depth: usize,
    /// Computed nodes in the order of the engine history's per-node gaps.
    pub computed: Vec<usize>,
    pub layout: Layout,
    /// The same graph stacked in one column for narrow screens (`layout::stacked`).
    pub stacked: Layout,
}

impl GraphInfo {
    /// The shown names (`short_id`) of the nodes at `idx`, e.g. the free inputs.
    pub fn short_ids(&self, idx: &[usize]) -> Vec<String> {
        idx.iter()
            .filter_map(|&i| self.nodes.get(i).map(|n| short_id(&n.id)))
            .collect()
    }
}

/// Per node, everything a view draws. All numbers are finite (non-finite become 0 and set
/// `Snap::finite = false`, which the state treats as divergence).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct NodeSnap {
    /// Current value v (leaves: the value; output: the target).
    pub v: Vec<f64>,
    /// Prediction μ (computed nodes; feedforward v̂ for leaves).
    pub mu: Vec<f64>,
    /// What PC has: ε (computed) or the PC estimate ĝ = −ΣJᵀξ (leaves).
    pub est: Vec<f64>,
    /// What backprop says: σ²δ = −σ²∂L/∂v (computed) or ∂L/∂θ (leaves).
    pub bp: Vec<f64>,
    /// max |est/σ² − bp/σ²| over the node's elements.
    pub gap: f64,
}

/// How close PC must be to backprop at a node for its "matched" check: `gap ≤ MATCH_TOL ·
/// (1 + the largest |backprop value| of the node)`.
pub const MATCH_TOL: f64 = 1e-6;

impl NodeSnap {
    /// PC equals backprop at this node (within [`MATCH_TOL`], relative to its size).
    pub fn matched(&self) -> bool {
        let size = self.bp.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        self.gap <= MATCH_TOL * (1.0 + size)
    }
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Snap {
    pub step: usize,
    pub energy: f64,
    pub loss: f64,
    pub gap_nodes: f64,
    pub gap_params: f64,
    pub max_change: f64,
    pub nodes: Vec<NodeSnap>,
    pub finite: bool,
    /// The output is free at this step (released at that tick of the run); `None`: held at
    /// the target, the usual run.
    pub released: Option<usize>,
    /// Inputs released for this run (strict PC): they move instead of holding their data.
    pub free_inputs: Vec<usize>,
}

impl Snap {
    pub fn gap_overall(&self) -> f64 {
        self.gap_nodes.max(self.gap_params)
    }
}

/// The plot series, downsampled from the engine's bounded history.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Series {
    pub steps: Vec<f64>,
    pub energy: Vec<f64>,
    pub overall: Vec<f64>,
    /// One series per computed node (GraphInfo::computed order).
    pub nodes: Vec<Vec<f64>>,
    /// The run's output-clamp changes: (tick, clamped), drawn as lines on the charts.
    pub clamps: Vec<(usize, bool)>,
}

pub enum Tick {
    Running,
    Settled,
    Finished,
    Diverged(String),
}

pub struct Sim {
    session: Session,
    info: Rc<GraphInfo>,
}

pub const SETTLE_TOL: f64 = 1e-9;

pub fn variant_of(key: &str) -> Variant {
    match key {
        "strict" => Variant::Strict,
        "zil" => Variant::Zil,
        "fixed_eta1" => Variant::FixedPredEta1,
        _ => Variant::FixedPred,
    }
}

fn formula(g: &Graph, i: usize) -> String {
    let n = &g.nodes()[i];
    let p = |k: usize| -> String {
        let name = n
            .parents
            .get(k)
            .map(|&q| short_id(&g.nodes()[q].id))
            .unwrap_or_default();
        match n.pre.as_ref().and_then(|v| v.get(k)).map(|s| s.as_str()) {
            None | Some("identity") => name,
            Some(f) => format!("{}({name})", fn_name(f)),
        }
    };
    let body = match n.op.as_str() {
        "input" => return "input".into(),
        "param" => return "parameter".into(),
        "add" => (0..n.parents.len()).map(p).collect::<Vec<_>>().join(" + "),
        "sub" => format!("{} − {}", p(0), p(1)),
        "mul" => format!("{}·{}", p(0), p(1)),
        "matmul" => format!("{} {}", p(0), p(1)),
        "linear" => {
            if n.parents.len() > 2 {
                format!("{} {} + {}", p(0), p(1), p(2))
            } else {
                format!("{} {}", p(0), p(1))
            }
        }
        "sum" => format!("Σ {}", p(0)),
        "square" => format!("{}²", p(0)),
        "sqrt" => format!("√{}", p(0)),
        "identity" => p(0),
        f => format!("{}({})", fn_name(f), p(0)),
    };
    match n.act.as_deref() {
        None | Some("identity") => body,
        Some(a) => format!("{}({body})", fn_name(a)),
    }
}

fn fn_name(f: &str) -> String {
    match f {
        "sigmoid" => "σ".into(),
        "square" => "sq".into(),
        "sqrt" => "√".into(),
        other => other.into(),
    }
}

/// Greek letters for the usual parameter names.
pub fn short_id(id: &str) -> String {
    match id {
        "th" | "theta" => "θ".into(),
        other => other.into(),
    }
}

fn finite_or_zero(src: &[f64], ok: &mut bool) -> Vec<f64> {
    src.iter()
        .map(|&x| {
            if x.is_finite() {
                x
            } else {
                *ok = false;
                0.0
            }
        })
        .collect()
}

/// Box sizes of the graph view (shared with `graph_view`).
pub const BOX_W: f64 = 184.0;
pub const LEAF_W: f64 = 112.0;
pub const HEAD_H: f64 = 30.0;
pub const ROW_H: f64 = 42.0;
pub const ROW_H_VEC: f64 = 22.0;

pub fn box_size(kind: Kind, len: usize) -> (f64, f64) {
    let rows = len.clamp(1, MAX_UNITS);
    let more = if len > MAX_UNITS { 14.0 } else { 0.0 };
    let w = if kind == Kind::Computed {
        BOX_W
    } else {
        LEAF_W
    };
    let row = if len > 1 { ROW_H_VEC } else { ROW_H };
    (w, HEAD_H + rows as f64 * row + more + 8.0)
}

impl Sim {
    pub fn new(json: &str, variant: &str, eta: f64) -> Result<Sim, String> {
        let g = Graph::from_json(json).map_err(|e| e.to_string())?;
        let eta = if eta.is_finite() && eta > 0.0 {
            eta
        } else {
            g.inference_rate()
        };
        let mut session = Session::new(g, variant_of(variant), eta).map_err(|e| e.to_string())?;
        session.set_settle_tol(SETTLE_TOL);
        let g = session.graph();
        let mut colour = 0;
        let nodes: Vec<NodeInfo> = g
            .nodes()
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let (rows, cols) = n.shape.dims2();
                let kind = match n.kind {
                    NodeKind::Input => Kind::Input,
                    NodeKind::Param => Kind::Param,
                    NodeKind::Computed => Kind::Computed,
                };
                let c = if kind == Kind::Computed {
                    colour += 1;
                    colour - 1
                } else {
                    0
                };
                NodeInfo {
                    id: n.id.clone(),
                    kind,
                    formula: formula(g, i),
                    parents: n.parents.clone(),
                    len: n.shape.len(),
                    rows,
                    cols,
                    output: i == g.output(),
                    variance: n.variance,
                    level: g.levels().get(i).copied().flatten(),
                    colour: c,
                }
            })
            .collect();
        let lnodes: Vec<LNode> = nodes
            .iter()
            .map(|n| {
                let (w, h) = box_size(n.kind, n.len);
                LNode {
                    parents: n.parents.clone(),
                    w,
                    h,
                    input: n.kind == Kind::Input,
                    leaf: n.is_leaf(),
                }
            })
            .collect();
        let lay = layout::layout(&lnodes, g.output());
        let info = GraphInfo {
            name: g.name().to_string(),
            output: g.output(),
            leveled: g.is_leveled(),
            depth: g.depth(),
            computed: session.computed_nodes().to_vec(),
            nodes,
            stacked: layout::stacked(&lay),
            layout: lay,
        };
        Ok(Sim {
            session,
            info: Rc::new(info),
        })
    }

    pub fn info(&self) -> Rc<GraphInfo> {
        self.info.clone()
    }

    pub fn tick(&mut self) -> Tick {
        match self.session.tick() {
            TickOutcome::Running => Tick::Running,
            TickOutcome::Settled => Tick::Settled,
            TickOutcome::Finished => Tick::Finished,
            TickOutcome::Diverged(m) => Tick::Diverged(m),
        }
    }

    pub fn reset(&mut self) {
        self.session.reset();
    }

    pub fn set_variant(&mut self, key: &str) {
        self.session.set_variant(variant_of(key));
    }

    /// Hold the output at the target or release it from the current step on (see
    /// `Session::set_output_clamped`); the refusal is the engine's sentence.
    pub fn set_output_clamped(&mut self, clamped: bool) -> Result<(), String> {
        self.session
            .set_output_clamped(clamped)
            .map_err(|e| e.to_string())
    }

    /// The largest stable inference rate now (the output's too while it is released).
    pub fn stable_bound(&self) -> f64 {
        self.session.stable_rate_bound()
    }

    /// Where runs start (a new run begins).
    pub fn set_start(&mut self, start: Start) {
        self.session.set_start(start);
    }

    /// Release an input (strict PC) or hold it at its data again; a new run starts.
    pub fn set_input_free(&mut self, node: usize, free: bool) -> Result<(), String> {
        self.session
            .set_input_free(node, free)
            .map_err(|e| e.to_string())
    }

    /// This run started from the feedforward values although a random start was asked for
    /// (a moved value left an op's domain under strict PC).
    pub fn start_fell_back(&self) -> bool {
        self.session.start_fell_back()
    }

    pub fn set_eta(&mut self, eta: f64) {
        self.session.set_eta(eta);
    }

    pub fn eta(&self) -> f64 {
        self.session.eta()
    }

    pub fn step(&self) -> usize {
        self.session.step()
    }

    fn leaf_tensor(&self, node: usize, k: usize, x: f64) -> Result<Tensor, String> {
        let n = self
            .session
            .graph()
            .nodes()
            .get(node)
            .ok_or("no such node")?;
        let mut data = self.session.value(node).to_vec();
        *data.get_mut(k).ok_or("no such element")? = x;
        Tensor::from_parts(n.shape, data).ok_or_else(|| "shape mismatch".to_string())
    }

    pub fn set_leaf(&mut self, node: usize, k: usize, x: f64) -> Result<(), String> {
        let t = self.leaf_tensor(node, k, x)?;
        self.session.set_leaf(node, t).map_err(|e| e.to_string())
    }

    pub fn set_target(&mut self, k: usize, x: f64) -> Result<(), String> {
        let mut data = self.session.graph().target().data.clone();
        *data.get_mut(k).ok_or("no such element")? = x;
        let shape: Shape = self.session.graph().target().shape;
        let t = Tensor::from_parts(shape, data).ok_or("shape mismatch")?;
        self.session.set_target(t).map_err(|e| e.to_string())
    }

    /// The current graph (with its current leaf values and target) as compact graph-file JSON.
    pub fn graph_json(&self) -> String {
        serde_json::to_string(&self.session.graph().to_file()).unwrap_or_default()
    }

    /// Replace a whole leaf value (same shape).
    pub fn set_leaf_data(&mut self, node: usize, data: Vec<f64>) -> Result<(), String> {
        let n = self
            .session
            .graph()
            .nodes()
            .get(node)
            .ok_or("no such node")?;
        let t = Tensor::from_parts(n.shape, data).ok_or("shape mismatch")?;
        self.session.set_leaf(node, t).map_err(|e| e.to_string())
    }

    /// One learning step on this graph's params from the current PC estimate
    /// (`engine::learn_step`); the session starts again at step 0 with the new weights. On
    /// error nothing changes.
    pub fn learn_step(&mut self, lr: f64) -> Result<LearnReport, String> {
        learn_step(&mut self.session, lr).map_err(|e| e.to_string())
    }

    /// The loss landscape around the current params (one or two scalar params only): 48 points
    /// on a line, 24 × 24 on a plane (one forward pass each).
    pub fn landscape(&self) -> Option<crate::engine::Landscape> {
        let n = if self.session.params().len() == 1 {
            48
        } else {
            24
        };
        crate::engine::landscape(&self.session, n)
    }

    /// Whether the graph has a param node (a learning step has something to change).
    pub fn has_params(&self) -> bool {
        !self.session.params().is_empty()
    }

    /// Snapshots of this run at `ticks` (ascending), re-run on a copy from step 0 (the engine
    /// is deterministic; the live run is not touched). Stops at a tick the run does not reach
    /// or whose state is not finite.
    pub fn snapshots_at(&self, ticks: &[usize]) -> Vec<Snap> {
        let mut copy = Sim {
            session: self.session.clone(),
            info: self.info.clone(),
        };
        copy.session.rewind();
        let mut out = Vec::with_capacity(ticks.len());
        for &t in ticks {
            run_to(&mut copy.session, t);
            let s = copy.snapshot();
            if copy.session.step() != t || !s.finite {
                break;
            }
            out.push(s);
        }
        out
    }

    /// The tick at which this run, from step 0, settles or finishes (on a copy), at most `cap`.
    pub fn settle_tick(&self, cap: usize) -> usize {
        let mut s = self.session.clone();
        s.rewind();
        s.relax_until_settled(SETTLE_TOL, cap);
        s.step()
    }

    /// The engine session (read only), for the teaching views.
    pub fn session(&self) -> &Session {
        &self.session
    }

    pub fn target(&self) -> Vec<f64> {
        self.session.graph().target().data.clone()
    }

    pub fn snapshot(&self) -> Snap {
        let s = &self.session;
        let zil = s.variant() == Variant::Zil;
        let mut ok = true;
        let mut gap_params: f64 = 0.0;
        let nodes = self
            .info
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let v = finite_or_zero(s.value(i), &mut ok);
                if n.is_leaf() {
                    let est = finite_or_zero(s.pc_grad(i), &mut ok);
                    let bp = finite_or_zero(s.bp_grad(i), &mut ok);
                    let gap = est
                        .iter()
                        .zip(&bp)
                        .map(|(a, b)| (a - b).abs())
                        .fold(0.0, f64::max);
                    if n.kind == Kind::Param {
                        gap_params = gap_params.max(gap);
                    }
                    NodeSnap {
                        mu: v.clone(),
                        v,
                        est,
                        bp,
                        gap,
                    }
                } else {
                    let var = n.variance;
                    let read = zil && n.level.is_some_and(|l| l <= s.step());
                    let est: Vec<f64> = if read {
                        finite_or_zero(s.zil_xi_read(i), &mut ok)
                            .into_iter()
                            .map(|x| x * var)
                            .collect()
                    } else {
                        finite_or_zero(s.error(i), &mut ok)
                    };
                    let bp: Vec<f64> = finite_or_zero(s.bp_grad(i), &mut ok)
                        .into_iter()
                        .map(|g| -g * var)
                        .collect();
                    let gap = est
                        .iter()
                        .zip(&bp)
                        .map(|(a, b)| ((a - b) / var).abs())
                        .fold(0.0, f64::max);
                    NodeSnap {
                        mu: finite_or_zero(s.prediction(i), &mut ok),
                        v,
                        est,
                        bp,
                        gap,
                    }
                }
            })
            .collect();
        let m = s.metrics();
        let fin = |x: f64, ok: &mut bool| {
            if x.is_finite() {
                x
            } else {
                *ok = false;
                0.0
            }
        };
        Snap {
            released: s.output_released_at(),
            free_inputs: s.free_inputs().to_vec(),
            step: s.step(),
            energy: fin(s.energy(), &mut ok),
            loss: fin(s.loss(), &mut ok),
            gap_nodes: fin(m.max_abs_err_nodes, &mut ok),
            gap_params: fin(m.max_abs_err_params, &mut ok).max(gap_params),
            max_change: if s.max_change().is_finite() {
                s.max_change()
            } else {
                0.0
            },
            nodes,
            finite: ok,
        }
    }

    /// The history as plot series with at most `max_points` points.
    pub fn series(&self, max_points: usize) -> Series {
        let h = self.session.history_slice();
        let stride = h.len().div_ceil(max_points.max(1)).max(1);
        let pick: Vec<usize> = (0..h.len())
            .step_by(stride)
            .chain(if h.is_empty() || (h.len() - 1).is_multiple_of(stride) {
                None
            } else {
                Some(h.len() - 1)
            })
            .collect();
        let nn = self.info.computed.len();
        let mut s = Series {
            nodes: vec![Vec::with_capacity(pick.len()); nn],
            clamps: self.session.clamp_events().to_vec(),
            ..Default::default()
        };
        for &k in &pick {
            let p = &h[k];
            if !(p.energy.is_finite()) {
                continue;
            }
            s.steps.push(p.step as f64);
            s.energy.push(p.energy);
            let o = p.max_abs_err_nodes.max(p.max_abs_err_params);
            s.overall.push(if o.is_finite() { o } else { 0.0 });
            for (c, series) in s.nodes.iter_mut().enumerate() {
                let x = p.node_err.get(c).copied().unwrap_or(0.0);
                series.push(if x.is_finite() { x } else { 0.0 });
            }
        }
        s
    }
}

// ---------------------------------------------------------------------------------------------
// Teaching layer: graph file, replay, exports.

impl Sim {
    /// The current graph as a graph file (format 1), with its current leaf values and target.
    pub fn graph_file(&self) -> crate::engine::GraphFile {
        self.session.graph().to_file()
    }

    /// Replay: back to step 0 and re-run deterministically to step `k` (past a settled tick, as
    /// stepping does). Stops early only when the run finishes (exact variants) or diverges.
    /// The engine is deterministic, so this is exactly the state after `k` single steps and
    /// costs no memory. Returns the step reached.
    pub fn replay_to(&mut self, k: usize) -> usize {
        self.session.rewind();
        run_to(&mut self.session, k);
        self.session.step()
    }
}

/// Advance `s` to step `k` the way single steps would (past settled ticks); stops early only
/// when the run finishes (exact variants) or diverges.
pub fn run_to(s: &mut Session, k: usize) {
    while s.step() < k {
        let before = s.step();
        match s.run(k - before) {
            TickOutcome::Running | TickOutcome::Settled => {}
            TickOutcome::Finished | TickOutcome::Diverged(_) => break,
        }
        if s.step() == before {
            break;
        }
    }
}
