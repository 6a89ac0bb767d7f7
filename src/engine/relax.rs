//! The relaxation [`Session`]: the state the app drives every animation frame.
//!
//! One [`Session::tick`] is one synchronous explicit-Euler update (`pc-math.md` §1.4). All
//! buffers are flat `f64` vectors on the graph's [`Layout`](super::graph::Layout), allocated at
//! construction; a tick allocates nothing. A tick computes the next state into a second buffer
//! set and only swaps it in when every number is finite and not absurdly large, so a diverging
//! run keeps its last good state.
//!
//! The usual run holds the inputs at their data and the output at the target (`pc-math.md`
//! pitfall 6) and starts from the feedforward values. Three run settings depart from it on
//! purpose, for the lessons they show: a released output ([`Session::set_output_clamped`], a
//! per-run schedule that replay keeps), released inputs under strict PC
//! ([`Session::set_input_free`]) and a seeded random start ([`Start`]).
//!
//! Internally the feedback is stored as `dF[p] = −Σ_{j∈ch(p)} J_{j←p}ᵀ ξ_j` (the children's
//! part of `∂F/∂v_p`), so the value update is `v_i −= η(ξ_i + dF_i)` and the PC gradient
//! estimate of a leaf is `ĝ_p = dF_p` with no extra copy.
use std::cell::{OnceCell, RefCell};

use super::backprop::{feedforward_into, Point, Reference};
use super::datasets::Rng;
use super::graph::{Graph, GraphError, NodeKind};
use super::ops::{node_forward, node_vjp, Intermediates, Slots};
use super::tensor::Tensor;

/// Which dynamics a [`Session`] runs (`pc-math.md` §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Variant {
    /// Fixed prediction: `μ ≡ v̂`, Jacobians at `v̂`. Converges to BP for `η < 2σ²`.
    FixedPred,
    /// Strict PC: predictions and Jacobians at the current values (gradient descent on F).
    Strict,
    /// Z-IL: strict dynamics at rate `σ_i²` (1), every node (and the edges into it) read at step
    /// = its level; finished after `D` = max level updates. Exact on levelled graphs.
    Zil,
    /// Fixed prediction at rate `σ_i²` (1): exact on any DAG after `D` updates.
    FixedPredEta1,
}

impl Variant {
    /// All variants.
    pub const ALL: [Variant; 4] = [
        Variant::FixedPred,
        Variant::Strict,
        Variant::Zil,
        Variant::FixedPredEta1,
    ];

    /// A short name: `fixed_pred`, `strict`, `zil`, `fixed_pred_eta1`.
    pub fn name(self) -> &'static str {
        match self {
            Variant::FixedPred => "fixed_pred",
            Variant::Strict => "strict",
            Variant::Zil => "zil",
            Variant::FixedPredEta1 => "fixed_pred_eta1",
        }
    }

    /// True for the variants whose predictions are recomputed from the current values.
    pub fn is_strict(self) -> bool {
        matches!(self, Variant::Strict | Variant::Zil)
    }

    /// True for the exact variants that run at rate `σ²` for `D` updates.
    pub fn is_exact(self) -> bool {
        matches!(self, Variant::Zil | Variant::FixedPredEta1)
    }
}

/// Where a run starts (`pc-math.md` §1.3 and pitfall 8). `Feedforward` is the usual start:
/// every hidden value at its feedforward value, so every hidden error is 0 and `F(0) = L` (Z-IL's
/// condition C1). `Random(seed)` moves each hidden value by up to ±[`START_NOISE`] of its size
/// (at least ±`START_NOISE`·0.1), the same numbers for the same seed and graph: fixed
/// prediction still relaxes to backprop, strict PC takes another path, and the exact variants
/// are no longer exact after `D` ticks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Start {
    #[default]
    Feedforward,
    Random(u64),
}

/// The random start's relative size (see [`Start`]).
pub const START_NOISE: f64 = 0.25;

/// What a tick (or a run of ticks) ended with.
#[derive(Clone, Debug, PartialEq)]
pub enum TickOutcome {
    /// The update was applied; keep going.
    Running,
    /// The update was applied and no value moved by more than the settle tolerance.
    Settled,
    /// An exact variant has done its `D` updates; further ticks change nothing.
    Finished,
    /// The update was refused (the state is the last good one); the message says what happened
    /// and what to change.
    Diverged(String),
}

/// How far the PC quantities are from backprop (graph-format.md, `metrics`).
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Metrics {
    /// max over computed nodes of `|ε/σ² + bp_grad|`.
    pub max_abs_err_nodes: f64,
    /// max over params of `|pc_grad − bp_grad|`.
    pub max_abs_err_params: f64,
    /// `‖pc − bp‖ / ‖bp‖` over params (`‖pc − bp‖` itself when `‖bp‖ = 0`).
    pub rel_err_params: f64,
    /// cosine between the pc and bp param-gradient vectors (0 when either is zero).
    pub cosine_params: f64,
}

/// One point of the run history.
#[derive(Clone, Debug, PartialEq)]
pub struct HistoryPoint {
    /// Step (number of completed updates).
    pub step: usize,
    /// Energy F.
    pub energy: f64,
    pub max_abs_err_nodes: f64,
    pub max_abs_err_params: f64,
    pub rel_err_params: f64,
    /// The step at which the two param figures above were computed: `step` itself on every
    /// `k`-th step (`k` = [`Session::history_param_stride`], 1 on small graphs), otherwise the
    /// last such step (the figures are carried forward, so they stay finite and plottable).
    pub params_step: usize,
    /// Per computed node (in [`Session::computed_nodes`] order): max `|ε_i/σ_i² + bp_grad_i|`.
    pub node_err: Vec<f64>,
}

/// Default number of history points kept.
pub const HISTORY_CAPACITY: usize = 4096;
/// Default divergence limit on any value, error or gradient magnitude.
pub const DIVERGENCE_LIMIT: f64 = 1e12;

/// The bounded history: every `stride`-th step; when full, every other point is dropped and
/// the stride doubles, so a long run keeps a whole-run overview.
#[derive(Clone, Debug)]
struct History {
    points: Vec<HistoryPoint>,
    len: usize,
    stride: usize,
}

impl History {
    fn new(capacity: usize, n_nodes: usize) -> History {
        let capacity = capacity.max(2) & !1; // even
        History {
            points: (0..capacity)
                .map(|_| HistoryPoint {
                    step: 0,
                    energy: 0.0,
                    max_abs_err_nodes: 0.0,
                    max_abs_err_params: 0.0,
                    rel_err_params: 0.0,
                    params_step: 0,
                    node_err: vec![0.0; n_nodes],
                })
                .collect(),
            len: 0,
            stride: 1,
        }
    }

    fn clear(&mut self) {
        self.len = 0;
        self.stride = 1;
    }

    /// True when [`History::slot`] would keep `step`.
    fn will_record(&self, step: usize) -> bool {
        let stride = if self.len == self.points.len() {
            self.stride * 2
        } else {
            self.stride
        };
        step.is_multiple_of(stride)
    }

    /// The slot for `step`, or `None` when the step is skipped by the stride.
    fn slot(&mut self, step: usize) -> Option<&mut HistoryPoint> {
        if !step.is_multiple_of(self.stride) {
            return None;
        }
        if self.len == self.points.len() {
            let half = self.points.len() / 2;
            for k in 1..half {
                self.points.swap(k, 2 * k);
            }
            self.len = half;
            self.stride *= 2;
            if !step.is_multiple_of(self.stride) {
                return None;
            }
        }
        let p = self.points.get_mut(self.len)?;
        self.len += 1;
        Some(p)
    }
}

/// One relaxation state (step k): the evaluation point, predictions, errors and feedback.
#[derive(Clone, Debug)]
struct State {
    /// `v` (leaves: their values; output: the target), plus `z`/`pre` of the strict forward.
    p: Point,
    /// Predictions `μ` (strict variants; fixed prediction reads the feedforward values).
    mu: Vec<f64>,
    eps: Vec<f64>,
    xi: Vec<f64>,
    /// `dF[p] = −Σ_j J_{j←p}ᵀ ξ_j`.
    df: Vec<f64>,
    energy: f64,
}

impl State {
    fn new(g: &Graph) -> State {
        let n = g.layout().total;
        State {
            p: Point::new(g),
            mu: vec![0.0; n],
            eps: vec![0.0; n],
            xi: vec![0.0; n],
            df: vec![0.0; n],
            energy: 0.0,
        }
    }
}

/// Buffers of the lazy leaf-gradient pass.
#[derive(Clone, Debug, Default)]
struct LeafWork {
    df: Vec<f64>,
    gz: Vec<f64>,
    scratch: Vec<f64>,
}

/// The default [`Session::history_param_stride`]: 1 (every point exact) unless the leaves hold
/// many more numbers than the computed nodes, then the power of two at or above
/// `leaf numbers / (4 · computed numbers)`, so the leaf-gradient pass costs about a quarter of
/// a tick when amortised.
fn default_param_stride(g: &Graph) -> usize {
    let lay = g.layout();
    let (mut leaf, mut comp) = (0usize, 0usize);
    for (i, n) in g.nodes().iter().enumerate() {
        if n.is_leaf() {
            leaf += lay.len[i];
        } else {
            comp += lay.len[i];
        }
    }
    let r = leaf / (4 * comp.max(1));
    if r <= 1 {
        1
    } else {
        r.next_power_of_two()
    }
}

/// A running relaxation on one graph (see the module docs).
#[derive(Clone, Debug)]
pub struct Session {
    graph: Graph,
    variant: Variant,
    eta: f64,
    step: usize,
    reference: Reference,
    cur: State,
    nxt: State,
    gz: Vec<f64>,
    scratch: Vec<f64>,
    /// Computed nodes other than the output (the free value nodes).
    hidden: Vec<usize>,
    /// All computed nodes, topological order.
    computed: Vec<usize>,
    /// Param nodes.
    params: Vec<usize>,
    /// Input and param nodes.
    leaves: Vec<usize>,
    /// Per node: a computed node whose parents are all leaves (its prediction never moves).
    const_pred: Vec<bool>,
    /// The leaves' part of `dF` (the PC gradient estimates) for the current state, computed on
    /// first access after a tick (interior mutability keeps the accessors `&self`).
    leaf_df: OnceCell<Vec<f64>>,
    /// The buffer behind `leaf_df` while it is stale, plus the work buffers of its computation
    /// (moved, never reallocated).
    leaf_spare: RefCell<LeafWork>,
    /// History param metrics are computed on every `param_stride`-th step.
    param_stride: usize,
    /// The last param metrics written to the history: (max_abs_err_params, rel_err_params, step).
    last_param: (f64, f64, usize),
    /// Z-IL: the ξ of each node read at step = its level.
    zil_read: Vec<f64>,
    /// Z-IL: accumulated `ĝ` (leaves).
    zil_acc: Vec<f64>,
    depth: usize,
    max_change: f64,
    /// `1 + max |v|` over hidden values after the last tick (the settled test is relative).
    change_scale: f64,
    settle_tol: f64,
    limit: f64,
    history: History,
    /// [`Session::set_leaves`]: the overwritten numbers, to restore on error.
    backup: Vec<f64>,
    /// The output clamp's schedule for this run: `(step, clamped)` pairs in increasing step
    /// order; from each listed step on, the output is held at the target (`true`) or relaxes
    /// like a hidden node (`false`). Empty: clamped throughout (the usual run). Kept by
    /// [`Session::rewind`] (replay), cleared by [`Session::reset`].
    clamp_events: Vec<(usize, bool)>,
    /// Inputs released for every run (strict PC only): each relaxes down the energy's gradient,
    /// `x ← x − η·∂F/∂x`, like a value unit without a prediction of its own.
    free_inputs: Vec<usize>,
    /// Where every run starts.
    start: Start,
    /// The random start left some op's domain (strict PC), so this run started from the
    /// feedforward values instead.
    start_fell_back: bool,
}

fn slice<'a>(buf: &'a [f64], off: &[usize], len: &[usize], i: usize) -> &'a [f64] {
    match (off.get(i), len.get(i)) {
        (Some(&o), Some(&l)) => buf.get(o..o + l).unwrap_or(&[]),
        _ => &[],
    }
}

/// The largest inference rate for which fixed prediction is stable: `2·min σ²` over the hidden
/// nodes (infinite when there are none).
pub fn stable_rate_bound(g: &Graph) -> f64 {
    g.nodes()
        .iter()
        .enumerate()
        .filter(|(i, n)| n.kind == NodeKind::Computed && *i != g.output())
        .map(|(_, n)| 2.0 * n.variance)
        .fold(f64::INFINITY, f64::min)
}

impl Session {
    /// A session at step 0 (feedforward initialisation). `eta` is the inference rate for the
    /// fixed-prediction and strict variants; it must be positive and finite.
    pub fn new(graph: Graph, variant: Variant, eta: f64) -> Result<Session, GraphError> {
        Self::with_history_capacity(graph, variant, eta, HISTORY_CAPACITY)
    }

    /// Like [`Session::new`] with a chosen history capacity (at least 2 points).
    pub fn with_history_capacity(
        graph: Graph,
        variant: Variant,
        eta: f64,
        capacity: usize,
    ) -> Result<Session, GraphError> {
        check_eta(eta)?;
        let reference = Reference::compute(&graph)?;
        let lay = graph.layout();
        let computed: Vec<usize> = (0..graph.nodes().len())
            .filter(|&i| !graph.nodes()[i].is_leaf())
            .collect();
        let hidden = computed
            .iter()
            .copied()
            .filter(|&i| i != graph.output())
            .collect();
        let params = (0..graph.nodes().len())
            .filter(|&i| graph.nodes()[i].kind == NodeKind::Param)
            .collect();
        let leaves = (0..graph.nodes().len())
            .filter(|&i| graph.nodes()[i].is_leaf())
            .collect();
        let const_pred = graph
            .nodes()
            .iter()
            .map(|n| !n.is_leaf() && n.parents.iter().all(|&p| graph.nodes()[p].is_leaf()))
            .collect();
        let mut s = Session {
            variant,
            eta,
            step: 0,
            cur: State::new(&graph),
            nxt: State::new(&graph),
            gz: vec![0.0; lay.max_len],
            scratch: vec![0.0; lay.max_len],
            hidden,
            history: History::new(capacity, computed.len()),
            computed,
            params,
            leaves,
            const_pred,
            leaf_df: OnceCell::new(),
            leaf_spare: RefCell::new(LeafWork {
                df: vec![0.0; lay.total],
                gz: vec![0.0; lay.max_len],
                scratch: vec![0.0; lay.max_len],
            }),
            param_stride: default_param_stride(&graph),
            last_param: (0.0, 0.0, 0),
            zil_read: vec![0.0; lay.total],
            zil_acc: vec![0.0; lay.total],
            depth: graph.depth(),
            max_change: f64::INFINITY,
            change_scale: 1.0,
            settle_tol: 1e-12,
            limit: DIVERGENCE_LIMIT,
            backup: Vec::new(),
            clamp_events: Vec::new(),
            free_inputs: Vec::new(),
            start: Start::Feedforward,
            start_fell_back: false,
            reference,
            graph,
        };
        s.reset();
        Ok(s)
    }

    /// The graph (with its current leaf values and target).
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// The running variant.
    pub fn variant(&self) -> Variant {
        self.variant
    }

    /// The inference rate η (the exact variants ignore it and use `σ_i²`).
    pub fn eta(&self) -> f64 {
        self.eta
    }

    /// Completed updates since the last reset.
    pub fn step(&self) -> usize {
        self.step
    }

    /// Where runs start (see [`Start`]); resets to step 0.
    pub fn set_start(&mut self, start: Start) {
        self.start = start;
        self.reset();
    }

    /// Where runs start.
    pub fn start(&self) -> Start {
        self.start
    }

    /// The random start was refused for this run (a moved value left an op's domain under
    /// strict PC): it started from the feedforward values.
    pub fn start_fell_back(&self) -> bool {
        self.start_fell_back
    }

    /// Switch variant; resets to step 0.
    pub fn set_variant(&mut self, v: Variant) {
        self.variant = v;
        if v != Variant::Strict {
            // only strict PC lets a free input change the predictions: held again
            self.free_inputs.clear();
        }
        self.reset();
    }

    /// The inputs released for every run (see [`Session::set_input_free`]).
    pub fn free_inputs(&self) -> &[usize] {
        &self.free_inputs
    }

    /// Release an input (`free`: it relaxes like a value unit without a prediction, down the
    /// energy's gradient `x ← x − η·∂F/∂x`, so the network infers an input that explains the
    /// target) or clamp it to its data again; a new run starts. Strict PC only: under fixed
    /// prediction the predictions never see the input move, so it would drift without effect.
    /// The backprop reference stays the one at the input's data.
    pub fn set_input_free(&mut self, node: usize, free: bool) -> Result<(), GraphError> {
        if self.graph.nodes().get(node).map(|n| n.kind) != Some(NodeKind::Input) {
            return Err(GraphError::BadIndex {
                index: node,
                detail: "is not an input of this graph".into(),
            });
        }
        if free && self.variant != Variant::Strict {
            return Err(GraphError::BadSetting {
                key: "input clamp".into(),
                detail: format!(
                    "cannot be released under {}: only strict PC recomputes the predictions from a moved input; switch to strict PC first",
                    self.variant.name()
                ),
            });
        }
        self.free_inputs.retain(|&i| i != node);
        if free {
            self.free_inputs.push(node);
        }
        self.reset();
        Ok(())
    }

    /// Change η live (no reset). Non-positive or non-finite values are ignored.
    pub fn set_eta(&mut self, eta: f64) {
        if check_eta(eta).is_ok() {
            self.eta = eta;
        }
    }

    /// Tolerance of the settled test in [`Session::tick`] (default 1e-12): a tick is Settled
    /// when its largest value change is at most `tol · (1 + max |v|)` over the hidden values.
    /// Rounding limits how small the change gets (about 1e-14 near η = 2), so keep `tol` well
    /// above 1e-15. A negative `tol` never settles.
    pub fn set_settle_tol(&mut self, tol: f64) {
        self.settle_tol = tol;
    }

    /// The divergence guard's magnitude limit (default 1e12) for fixed prediction and strict.
    /// `f64::INFINITY` only refuses non-finite numbers (used by the trace to reproduce the raw
    /// dynamics). The exact variants (a fixed schedule of `D` updates) only refuse non-finite
    /// numbers: their transient may grow large on nodes that were already read.
    pub fn set_divergence_limit(&mut self, limit: f64) {
        self.limit = limit;
    }

    /// Set an input or param value (same shape). Recomputes the feedforward pass and backprop
    /// and resets; on error the session is unchanged.
    pub fn set_leaf(&mut self, node: usize, value: Tensor) -> Result<(), GraphError> {
        let mut g = self.graph.clone();
        g.set_leaf_value(node, value)?;
        let r = Reference::compute(&g)?;
        self.graph = g;
        self.reference = r;
        self.reset();
        Ok(())
    }

    /// Set the target (same shape as the output). Recomputes backprop and resets; on error the
    /// session is unchanged.
    pub fn set_target(&mut self, t: Tensor) -> Result<(), GraphError> {
        let mut g = self.graph.clone();
        g.set_target(t)?;
        let r = Reference::compute(&g)?;
        self.graph = g;
        self.reference = r;
        self.reset();
        Ok(())
    }

    /// Set several leaves (flat row-major data, same length as the node) and optionally the
    /// target in place, then recompute the feedforward pass and backprop and reset: the fast
    /// path for learning (no graph clone; no allocation once the internal backup buffer has
    /// grown). On error the session is unchanged.
    pub fn set_leaves(
        &mut self,
        leaves: &[(usize, &[f64])],
        target: Option<&[f64]>,
    ) -> Result<(), GraphError> {
        // validate first
        for &(i, data) in leaves {
            let n = self
                .graph
                .nodes()
                .get(i)
                .ok_or_else(|| GraphError::BadIndex {
                    index: i,
                    detail: "does not name a node".into(),
                })?;
            if !n.is_leaf() {
                return Err(GraphError::BadIndex {
                    index: i,
                    detail: format!("is the computed node '{}', not an input or param", n.id),
                });
            }
            if data.len() != n.shape.len() {
                return Err(GraphError::ShapeMismatch {
                    node: n.id.clone(),
                    detail: format!(
                        "the new value has {} numbers but the node is {}",
                        data.len(),
                        n.shape
                    ),
                });
            }
            if data.iter().any(|x| !x.is_finite()) {
                return Err(GraphError::NonFinite {
                    place: format!("A number in the new value of node '{}'", n.id),
                });
            }
        }
        if let Some(t) = target {
            let shape = self.graph.target().shape;
            if t.len() != self.graph.target().data.len() {
                return Err(GraphError::TargetShape {
                    expected: shape,
                    got: super::tensor::Shape::Vector(t.len()),
                });
            }
            if t.iter().any(|x| !x.is_finite()) {
                return Err(GraphError::NonFinite {
                    place: "A number in the new target".into(),
                });
            }
        }
        // back up, write, recompute; restore on error
        let mut backup = std::mem::take(&mut self.backup);
        backup.clear();
        for &(i, data) in leaves {
            if let Some(d) = self.graph.leaf_data_mut(i) {
                backup.extend_from_slice(d);
                d.copy_from_slice(data);
            }
        }
        if let Some(t) = target {
            let d = self.graph.target_data_mut();
            backup.extend_from_slice(d);
            d.copy_from_slice(t);
        }
        let result = self
            .reference
            .recompute(&self.graph, &mut self.gz, &mut self.scratch);
        if result.is_err() {
            let mut k = 0;
            for &(i, _) in leaves {
                if let Some(d) = self.graph.leaf_data_mut(i) {
                    let l = d.len();
                    d.copy_from_slice(&backup[k..k + l]);
                    k += l;
                }
            }
            if target.is_some() {
                let d = self.graph.target_data_mut();
                let l = d.len();
                d.copy_from_slice(&backup[k..k + l]);
            }
            // the old state was valid, so this succeeds
            let _ = self
                .reference
                .recompute(&self.graph, &mut self.gz, &mut self.scratch);
        }
        self.backup = backup;
        result?;
        self.reset();
        Ok(())
    }

    /// Back to step 0: hidden values at the feedforward pass, output clamped to the target,
    /// history cleared, and the output clamped for the whole run (the clamp schedule cleared).
    pub fn reset(&mut self) {
        self.clamp_events.clear();
        self.rewind();
    }

    /// Back to step 0 like [`Session::reset`], but keeping this run's clamp schedule: running
    /// again reproduces the run exactly (replay).
    pub fn rewind(&mut self) {
        let lay = self.graph.layout();
        let out = self.graph.output();
        let (o, l) = (lay.off[out], lay.len[out]);
        for st in [&mut self.cur, &mut self.nxt] {
            st.p.clone_from(&self.reference.ff);
            st.mu.copy_from_slice(&self.reference.ff.v);
            st.p.v[o..o + l].copy_from_slice(&self.graph.target().data);
        }
        self.step = 0;
        self.max_change = f64::INFINITY;
        self.zil_read.iter_mut().for_each(|x| *x = 0.0);
        self.zil_acc.iter_mut().for_each(|x| *x = 0.0);
        self.history.clear();
        let mut cur = std::mem::replace(&mut self.cur, State::empty());
        self.start_fell_back = false;
        if let Start::Random(seed) = self.start {
            let mut rng = Rng::new(seed);
            for &i in &self.hidden {
                for v in &mut cur.p.v[lay.off[i]..lay.off[i] + lay.len[i]] {
                    *v += START_NOISE * v.abs().max(0.1) * rng.uniform(-1.0, 1.0);
                }
            }
            self.evaluate(&mut cur);
            let fine =
                cur.energy.is_finite() && cur.p.v.iter().chain(&cur.mu).all(|x| x.is_finite());
            if !fine {
                // (strict PC) a moved value outside its child's domain: start as usual
                self.start_fell_back = true;
                cur.p.clone_from(&self.reference.ff);
                cur.mu.copy_from_slice(&self.reference.ff.v);
                cur.p.v[o..o + l].copy_from_slice(&self.graph.target().data);
            }
        }
        self.evaluate(&mut cur);
        self.cur = cur;
        self.invalidate_leaf_grads();
        if self.variant == Variant::Zil {
            self.zil_read_level();
        }
        self.record();
    }

    /// One synchronous update (see the module docs). Never allocates. The PC gradient
    /// estimates of the leaves (which do not feed back into the dynamics) are computed lazily
    /// on the first [`Session::pc_grad`] / [`Session::metrics`] call after the tick, and for
    /// the history only every [`Session::history_param_stride`]-th step.
    pub fn tick(&mut self) -> TickOutcome {
        self.tick_inner()
    }

    /// One update.
    fn tick_inner(&mut self) -> TickOutcome {
        if self.variant.is_exact() && self.step >= self.depth {
            return TickOutcome::Finished;
        }
        // 1. propose v(k+1) = v(k) − rate·(ξ + dF) for hidden nodes
        // the exact variants run a fixed D-step schedule: only non-finite numbers stop them
        let mut prop = Proposal::new(if self.variant.is_exact() {
            f64::MAX
        } else {
            self.limit
        });
        {
            let lay = self.graph.layout();
            for &i in &self.hidden {
                let rate = self.rate_of(i);
                let r = lay.off[i]..lay.off[i] + lay.len[i];
                let (xi, df) = (&self.cur.xi[r.clone()], &self.cur.df[r.clone()]);
                let steps = xi.iter().zip(df).map(|(x, d)| rate * (x + d));
                prop.descend(&mut self.nxt.p.v[r.clone()], &self.cur.p.v[r], steps);
            }
        }
        // 1b. the output: held at the target, or (released) relaxing like a hidden node with
        // no children: v ← v − rate·ξ
        if !self.clamp_events.is_empty() {
            let out = self.graph.output();
            let lay = self.graph.layout();
            let r = lay.off[out]..lay.off[out] + lay.len[out];
            if self.output_clamped() {
                // clamped again after a release, the jump back onto the target is this tick's
                // change (the settled test must not stop on it)
                let v = &self.cur.p.v[r.clone()];
                for ((n, v), y) in self.nxt.p.v[r]
                    .iter_mut()
                    .zip(v)
                    .zip(&self.graph.target().data)
                {
                    *n = *y;
                    prop.max_change = fmax(prop.max_change, (y - v).abs());
                }
            } else {
                let rate = self.rate_of(out);
                let steps = self.cur.xi[r.clone()].iter().map(|x| rate * x);
                prop.descend(&mut self.nxt.p.v[r.clone()], &self.cur.p.v[r], steps);
            }
        }
        // 1c. free inputs (strict PC): x ← x − η·∂F/∂x, the leaves' part of dF
        if !self.free_inputs.is_empty() {
            let mut nxt = std::mem::replace(&mut self.nxt, State::empty());
            let lay = self.graph.layout();
            let df = self.leaf_grads();
            for &i in &self.free_inputs {
                let r = lay.off[i]..lay.off[i] + lay.len[i];
                let steps = df[r.clone()].iter().map(|d| self.eta * d);
                prop.descend(&mut nxt.p.v[r.clone()], &self.cur.p.v[r], steps);
            }
            self.nxt = nxt;
        }
        let Proposal {
            max_change,
            max_value,
            bad: bad_value,
            limit,
        } = prop;
        // 2. evaluate the proposal
        let mut nxt = std::mem::replace(&mut self.nxt, State::empty());
        self.evaluate(&mut nxt);
        // 3. guard: refuse non-finite or absurdly large states
        if bad_value || !nxt.energy.is_finite() || nxt.energy.abs() > limit * limit {
            let msg = self.divergence_message(&nxt);
            self.nxt = nxt;
            return TickOutcome::Diverged(msg);
        }
        self.nxt = std::mem::replace(&mut self.cur, nxt);
        self.invalidate_leaf_grads();
        self.step += 1;
        self.max_change = max_change;
        self.change_scale = 1.0 + max_value;
        if self.variant == Variant::Zil {
            self.zil_read_level();
        }
        if self.history.will_record(self.step) {
            self.record();
        }
        if self.variant.is_exact() {
            if self.step >= self.depth {
                TickOutcome::Finished
            } else {
                TickOutcome::Running
            }
        } else if max_change <= self.settle_tol * self.change_scale {
            TickOutcome::Settled
        } else {
            TickOutcome::Running
        }
    }

    /// Up to `n` ticks; stops early on Settled, Finished or Diverged and returns that outcome
    /// (Running after `n` ticks otherwise, or when `n == 0`).
    pub fn run(&mut self, n: usize) -> TickOutcome {
        let mut outcome = TickOutcome::Running;
        for _ in 0..n {
            outcome = self.tick_inner();
            if outcome != TickOutcome::Running {
                break;
            }
        }
        outcome
    }

    /// Tick until the largest value change is at most `tol · (1 + max |v|)` (Settled), the exact variant has
    /// finished, the run diverges, or `max_ticks` ticks were done (Running).
    pub fn relax_until_settled(&mut self, tol: f64, max_ticks: usize) -> TickOutcome {
        let mut outcome = TickOutcome::Running;
        for _ in 0..max_ticks {
            outcome = match self.tick_inner() {
                TickOutcome::Running | TickOutcome::Settled
                    if !self.variant.is_exact() && self.max_change <= tol * self.change_scale =>
                {
                    TickOutcome::Settled
                }
                TickOutcome::Running | TickOutcome::Settled => TickOutcome::Running,
                other => other,
            };
            if outcome != TickOutcome::Running {
                break;
            }
        }
        outcome
    }

    /// Feedforward value `v̂_i` (leaves: their value).
    pub fn feedforward(&self, i: usize) -> &[f64] {
        self.node_slice(&self.reference.ff.v, i)
    }

    /// Current value `v_i` (leaves: their value; output: the target).
    pub fn value(&self, i: usize) -> &[f64] {
        self.node_slice(&self.cur.p.v, i)
    }

    /// Current prediction `μ_i` (computed nodes; `v̂_i` under fixed prediction). Empty for leaves.
    pub fn prediction(&self, i: usize) -> &[f64] {
        if !self.is_computed(i) {
            return &[];
        }
        if self.variant.is_strict() {
            self.node_slice(&self.cur.mu, i)
        } else {
            self.node_slice(&self.reference.ff.v, i)
        }
    }

    /// Current error `ε_i = v_i − μ_i` (computed nodes). Empty for leaves.
    pub fn error(&self, i: usize) -> &[f64] {
        if !self.is_computed(i) {
            return &[];
        }
        self.node_slice(&self.cur.eps, i)
    }

    /// Current precision-weighted error `ξ_i = ε_i/σ_i²` (computed nodes). Empty for leaves.
    pub fn xi(&self, i: usize) -> &[f64] {
        if !self.is_computed(i) {
            return &[];
        }
        self.node_slice(&self.cur.xi, i)
    }

    /// `∂L/∂v_i` by exact backprop (every node). The BP target shown next to `ε_i` is
    /// `δ_i = −bp_grad_i`.
    pub fn bp_grad(&self, i: usize) -> &[f64] {
        self.node_slice(&self.reference.bp, i)
    }

    /// The PC gradient estimate `ĝ_p = −Σ_j J_{j←p}ᵀ ξ_j` of a leaf (under Z-IL: the sum of
    /// the reads so far). Empty for computed nodes.
    pub fn pc_grad(&self, i: usize) -> &[f64] {
        if self.is_computed(i) {
            return &[];
        }
        if self.variant == Variant::Zil {
            self.node_slice(&self.zil_acc, i)
        } else {
            self.node_slice(self.leaf_grads(), i)
        }
    }

    /// Z-IL only: `ξ_i` as read at step = level(i) (zeros until read).
    pub fn zil_xi_read(&self, i: usize) -> &[f64] {
        if !self.is_computed(i) {
            return &[];
        }
        self.node_slice(&self.zil_read, i)
    }

    /// Energy `F = Σ ½ ε_iᵀε_i / σ_i²`.
    pub fn energy(&self) -> f64 {
        self.cur.energy
    }

    /// The loss `L = ½‖target − ŷ‖²/σ²_out` at the feedforward pass (`F(0) = L`).
    pub fn loss(&self) -> f64 {
        self.reference.loss
    }

    /// The distance to backprop now. Under Z-IL, nodes already read use their read `ξ`.
    pub fn metrics(&self) -> Metrics {
        let mut m = self.node_metrics(None);
        let p = self.param_metrics();
        m.max_abs_err_params = p.max_abs_err_params;
        m.rel_err_params = p.rel_err_params;
        m.cosine_params = p.cosine_params;
        m
    }

    /// History points compute the param metrics (a pass over every leaf gradient) only on
    /// every `k`-th step and carry them forward in between ([`HistoryPoint::params_step`]).
    /// `k` is 1 on small graphs (every point exact); on large ones it is chosen so that the
    /// pass costs about a quarter of a tick when amortised.
    pub fn history_param_stride(&self) -> usize {
        self.param_stride
    }

    /// Set [`Session::history_param_stride`] (at least 1); takes effect from the next point.
    pub fn set_history_param_stride(&mut self, k: usize) {
        self.param_stride = k.max(1);
    }

    /// The largest value change of the last tick (`INFINITY` before the first tick).
    pub fn max_change(&self) -> f64 {
        self.max_change
    }

    /// The history, oldest first (bounded; see [`HISTORY_CAPACITY`]).
    pub fn history(&self) -> impl Iterator<Item = &HistoryPoint> {
        self.history_slice().iter()
    }

    /// The history as a slice, oldest first.
    pub fn history_slice(&self) -> &[HistoryPoint] {
        &self.history.points[..self.history.len.min(self.history.points.len())]
    }

    /// `D`: the largest level; the exact variants finish after this many updates.
    pub fn zil_depth(&self) -> usize {
        self.depth
    }

    /// The largest stable inference rate for fixed prediction, `2·min σ²` over the hidden
    /// nodes, and over the output too while it is released (it then relaxes like them).
    pub fn stable_rate_bound(&self) -> f64 {
        let hidden = stable_rate_bound(&self.graph);
        if self.output_clamped() {
            hidden
        } else {
            hidden.min(2.0 * self.graph.nodes()[self.graph.output()].variance)
        }
    }

    /// Whether the output is held at the target for the next tick (at the current step of
    /// this run's clamp schedule).
    pub fn output_clamped(&self) -> bool {
        self.output_released_at().is_none()
    }

    /// The tick at which the output was released, while it is free at the current step;
    /// `None` while it is held at the target.
    pub fn output_released_at(&self) -> Option<usize> {
        match self
            .clamp_events
            .iter()
            .rev()
            .find(|(k, _)| *k <= self.step)
        {
            Some(&(k, false)) => Some(k),
            _ => None,
        }
    }

    /// This run's clamp schedule (see [`Session::set_output_clamped`]).
    pub fn clamp_events(&self) -> &[(usize, bool)] {
        &self.clamp_events
    }

    /// Hold the output at the target (`true`, the usual run) or release it (`false`) from the
    /// current step on: a released output relaxes like a hidden node with no children,
    /// `v ← v − η·ξ`, so its error drains and the others follow it; clamping it again puts it
    /// back on the target at the next tick. The change is recorded in this run's schedule
    /// (anything scheduled at or after the current step is replaced), so [`Session::rewind`]
    /// and running again reproduce it. Refused for the exact variants, whose fixed `D`-step
    /// schedule assumes the clamp, and for a rate at which the released output would not be
    /// stable (`η ≥ 2σ²_out`). The state at the current step does not change.
    pub fn set_output_clamped(&mut self, clamped: bool) -> Result<(), GraphError> {
        if clamped == self.output_clamped() {
            return Ok(());
        }
        if self.variant.is_exact() {
            return Err(GraphError::BadSetting {
                key: "output clamp".into(),
                detail: format!(
                    "cannot change under {}: its fixed {}-tick schedule assumes the output is held at the target; release it under fixed prediction or strict PC",
                    self.variant.name(),
                    self.depth
                ),
            });
        }
        let bound = 2.0 * self.graph.nodes()[self.graph.output()].variance;
        if !clamped && self.eta >= bound {
            return Err(GraphError::BadSetting {
                key: "output clamp".into(),
                detail: format!(
                    "cannot be released at rate η = {}: a free output is stable only below 2σ² = {bound}; lower the rate first",
                    self.eta
                ),
            });
        }
        let step = self.step;
        self.clamp_events.retain(|&(k, _)| k < step);
        self.clamp_events.push((step, clamped));
        // a run that had settled may move again
        self.max_change = f64::INFINITY;
        Ok(())
    }

    /// Indices of the param nodes, in node order.
    pub fn params(&self) -> &[usize] {
        &self.params
    }

    /// Indices of the computed nodes (the order of [`HistoryPoint::node_err`]).
    pub fn computed_nodes(&self) -> &[usize] {
        &self.computed
    }

    /// The reference (feedforward point, backprop gradients, loss).
    pub fn reference(&self) -> &Reference {
        &self.reference
    }

    // ----- internals -------------------------------------------------------------------

    fn is_computed(&self, i: usize) -> bool {
        self.graph.nodes().get(i).is_some_and(|n| !n.is_leaf())
    }

    /// A relaxing node's step size: `σ_i²` under the exact variants, else η.
    fn rate_of(&self, i: usize) -> f64 {
        if self.variant.is_exact() {
            self.graph.nodes()[i].variance
        } else {
            self.eta
        }
    }

    fn node_slice<'a>(&self, buf: &'a [f64], i: usize) -> &'a [f64] {
        let lay = self.graph.layout();
        slice(buf, &lay.off, &lay.len, i)
    }

    /// From `st.p.v`: predictions (strict), errors, energy and the feedback `dF` into the
    /// computed nodes (the leaves' part is [`Session::fill_leaf_grads`]).
    fn evaluate(&mut self, st: &mut State) {
        let g = &self.graph;
        let lay = g.layout();
        let strict = self.variant.is_strict();
        let State {
            p,
            mu,
            eps,
            xi,
            df,
            energy,
        } = st;
        if strict {
            for &j in &self.computed {
                if self.const_pred[j] && self.free_inputs.is_empty() {
                    continue; // only leaf parents: μ_j stays at its feedforward value
                }
                let (o, l) = (lay.off[j], lay.len[j]);
                let im = Intermediates {
                    pre: &mut p.pre,
                    dpre: &mut p.dpre,
                    z: &mut p.z,
                    dact: &mut p.dact,
                    dop: &mut p.dop,
                };
                node_forward(g, j, &p.v, im, &mut mu[o..o + l]);
            }
        }
        let mu: &[f64] = if strict { mu } else { &self.reference.ff.v };
        let mut f = 0.0;
        for &j in &self.computed {
            let (o, l) = (lay.off[j], lay.len[j]);
            let inv = 1.0 / g.nodes()[j].variance;
            for k in o..o + l {
                let e = p.v[k] - mu[k];
                eps[k] = e;
                xi[k] = e * inv;
                f += 0.5 * e * e * inv;
            }
            df[o..o + l].iter_mut().for_each(|x| *x = 0.0);
        }
        *energy = f;
        let at: &Point = if strict { p } else { &self.reference.ff };
        for &j in self.computed.iter().rev() {
            let (o, l) = (lay.off[j], lay.len[j]);
            node_vjp(
                g,
                j,
                at,
                &xi[o..o + l],
                -1.0,
                Slots::Computed,
                &mut self.gz,
                &mut self.scratch,
                df,
            );
        }
    }

    /// The leaves' part of `dF` (the PC gradient estimates) for the current state, computed on
    /// first use (layout-long; only the leaves' slices are meaningful). No allocation: the
    /// buffers move between `leaf_spare` and `leaf_df`.
    fn leaf_grads(&self) -> &[f64] {
        self.leaf_df.get_or_init(|| {
            let mut work = self.leaf_spare.take();
            let LeafWork { df, gz, scratch } = &mut work;
            let g = &self.graph;
            let lay = g.layout();
            if df.len() != lay.total {
                df.resize(lay.total, 0.0);
                gz.resize(lay.max_len, 0.0);
                scratch.resize(lay.max_len, 0.0);
            }
            for &i in &self.leaves {
                df[lay.off[i]..lay.off[i] + lay.len[i]]
                    .iter_mut()
                    .for_each(|x| *x = 0.0);
            }
            let st = &self.cur;
            let at: &Point = if self.variant.is_strict() {
                &st.p
            } else {
                &self.reference.ff
            };
            for &j in &self.computed {
                let (o, l) = (lay.off[j], lay.len[j]);
                node_vjp(
                    g,
                    j,
                    at,
                    &st.xi[o..o + l],
                    -1.0,
                    Slots::Leaves,
                    gz,
                    scratch,
                    df,
                );
            }
            let out = std::mem::take(df);
            *self.leaf_spare.borrow_mut() = work;
            out
        })
    }

    /// Mark the leaf gradients stale (keeps the buffer for the next computation).
    fn invalidate_leaf_grads(&mut self) {
        if let Some(df) = self.leaf_df.take() {
            self.leaf_spare.get_mut().df = df;
        }
    }

    /// Z-IL: read every node whose level equals the current step.
    fn zil_read_level(&mut self) {
        let g = &self.graph;
        let lay = g.layout();
        for &j in &self.computed {
            if g.levels()[j] != Some(self.step) {
                continue;
            }
            let (o, l) = (lay.off[j], lay.len[j]);
            self.zil_read[o..o + l].copy_from_slice(&self.cur.xi[o..o + l]);
            node_vjp(
                g,
                j,
                &self.cur.p,
                &self.cur.xi[o..o + l],
                -1.0,
                Slots::Leaves,
                &mut self.gz,
                &mut self.scratch,
                &mut self.zil_acc,
            );
        }
    }

    /// The node part of the metrics; when `nodes_out` is given, also the per-computed-node max
    /// error. Cheap (computed nodes only).
    fn node_metrics(&self, mut nodes_out: Option<&mut [f64]>) -> Metrics {
        let lay = self.graph.layout();
        let levels = self.graph.levels();
        let bp = &self.reference.bp;
        let mut m = Metrics::default();
        for (c, &j) in self.computed.iter().enumerate() {
            let (o, l) = (lay.off[j], lay.len[j]);
            let xi = if self.variant == Variant::Zil && levels[j].is_some_and(|lv| lv <= self.step)
            {
                &self.zil_read[o..o + l]
            } else {
                &self.cur.xi[o..o + l]
            };
            let mut worst: f64 = 0.0;
            for (x, b) in xi.iter().zip(&bp[o..o + l]) {
                worst = fmax(worst, (x + b).abs());
            }
            if !worst.is_finite() || worst.is_nan() {
                worst = f64::INFINITY;
            }
            m.max_abs_err_nodes = fmax(m.max_abs_err_nodes, worst);
            if let Some(out) = nodes_out.as_deref_mut() {
                if let Some(slot) = out.get_mut(c) {
                    *slot = worst;
                }
            }
        }
        m
    }

    /// The param part of the metrics (needs the leaf gradients).
    fn param_metrics(&self) -> Metrics {
        let lay = self.graph.layout();
        let bp = &self.reference.bp;
        let mut m = Metrics::default();
        let pc = if self.variant == Variant::Zil {
            &self.zil_acc
        } else {
            self.leaf_grads()
        };
        let (mut d2, mut b2, mut p2, mut pb, mut dmax) = (0.0, 0.0, 0.0, 0.0, 0.0f64);
        for &i in &self.params {
            let (o, l) = (lay.off[i], lay.len[i]);
            let s = param_sums(&pc[o..o + l], &bp[o..o + l]);
            d2 += s[0];
            b2 += s[1];
            p2 += s[2];
            pb += s[3];
            dmax = if s[4] > dmax || s[4].is_nan() {
                s[4]
            } else {
                dmax
            };
        }
        m.max_abs_err_params = dmax;
        m.rel_err_params = if b2 > 0.0 {
            d2.sqrt() / b2.sqrt()
        } else {
            d2.sqrt()
        };
        m.cosine_params = if p2 > 0.0 && b2 > 0.0 {
            pb / (p2.sqrt() * b2.sqrt())
        } else {
            0.0
        };
        m
    }

    fn record(&mut self) {
        let step = self.step;
        let energy = self.cur.energy;
        // take the slot out to satisfy the borrow checker without allocating
        let mut nodes = match self.history.slot(step) {
            Some(p) => std::mem::take(&mut p.node_err),
            None => return,
        };
        if step.is_multiple_of(self.param_stride) || step == 0 {
            let pm = self.param_metrics();
            self.last_param = (pm.max_abs_err_params, pm.rel_err_params, step);
        }
        let (pmax, prel, pstep) = self.last_param;
        let m = self.node_metrics(Some(&mut nodes));
        let idx = self.history.len - 1;
        let p = &mut self.history.points[idx];
        p.step = step;
        p.energy = energy;
        p.max_abs_err_nodes = m.max_abs_err_nodes;
        p.max_abs_err_params = pmax;
        p.rel_err_params = prel;
        p.params_step = pstep;
        p.node_err = nodes;
    }

    /// The plain sentence for a refused tick.
    fn divergence_message(&self, nxt: &State) -> String {
        let g = &self.graph;
        let lay = g.layout();
        let k = self.step + 1;
        if self.variant.is_strict() {
            for &j in &self.computed {
                let (o, l) = (lay.off[j], lay.len[j]);
                if nxt.mu[o..o + l].iter().any(|x| !x.is_finite()) {
                    if let Some(GraphError::SqrtNegative { node, value }) =
                        super::backprop::domain_problem(g, j, &nxt.p)
                    {
                        return format!(
                            "The relaxation stopped at iteration {k}: node '{node}' would take the square root of a negative number ({value:.4}) under {} dynamics. Lower the inference rate or use fixed prediction.",
                            if self.variant == Variant::Zil { "Z-IL" } else { "strict" }
                        );
                    }
                    return format!(
                        "The relaxation diverged at iteration {k}: the prediction of node '{}' overflowed. Lower the inference rate.",
                        g.nodes()[j].id
                    );
                }
            }
        }
        match self.variant {
            Variant::FixedPred => {
                let bound = self.stable_rate_bound();
                if self.eta >= bound {
                    format!(
                        "The relaxation diverged at iteration {k}: the inference rate {} is too high for fixed prediction (it must stay below 2·σ² = {}). Lower the rate.",
                        self.eta, bound
                    )
                } else {
                    format!(
                        "The relaxation diverged at iteration {k}: the values grew past {:e} (large Jacobians amplify the transient at the inference rate {}). Lower the rate.",
                        self.limit, self.eta
                    )
                }
            }
            Variant::Strict => format!(
                "The relaxation diverged at iteration {k}: strict PC is unstable at the inference rate {} on this graph (the values grew past {:e}). Lower the rate.",
                self.eta, self.limit
            ),
            Variant::Zil | Variant::FixedPredEta1 => format!(
                "The relaxation diverged at iteration {k}: the values grew past {:e} at rate σ² = 1; the graph's Jacobians are too large for the exact schedule.",
                self.limit
            ),
        }
    }
}

impl State {
    /// A placeholder used while a state is temporarily moved out (no allocation).
    fn empty() -> State {
        State {
            p: Point {
                v: Vec::new(),
                z: Vec::new(),
                dact: Vec::new(),
                dop: Vec::new(),
                pre: Vec::new(),
                dpre: Vec::new(),
            },
            mu: Vec::new(),
            eps: Vec::new(),
            xi: Vec::new(),
            df: Vec::new(),
            energy: 0.0,
        }
    }
}

/// A tick's proposal so far: the largest value change and value, and whether a value is
/// non-finite or past the divergence limit.
struct Proposal {
    max_change: f64,
    max_value: f64,
    bad: bool,
    limit: f64,
}

impl Proposal {
    fn new(limit: f64) -> Proposal {
        Proposal {
            max_change: 0.0,
            max_value: 0.0,
            bad: false,
            limit,
        }
    }

    /// `next = v − step`, element by element, keeping the record.
    #[inline]
    fn descend(&mut self, next: &mut [f64], v: &[f64], steps: impl Iterator<Item = f64>) {
        for ((n, v), delta) in next.iter_mut().zip(v).zip(steps) {
            *n = v - delta;
            self.max_change = fmax(self.max_change, delta.abs());
            self.max_value = fmax(self.max_value, n.abs());
            self.bad |= n.is_nan() || n.abs() > self.limit;
        }
    }
}

/// `max(a, b)` ignoring a NaN `b`, as a compare-and-select: `f64::max` compiles to a call to
/// libm's `fmax` in wasm (its NaN rules differ from `f64.max`), which showed up at 8% of a
/// tick in the wasm profile.
#[inline(always)]
fn fmax(a: f64, b: f64) -> f64 {
    if b > a {
        b
    } else {
        a
    }
}

/// `[Σ(x−y)², Σy², Σx², Σxy, max|x−y|]`, written with independent lanes so it vectorises.
fn param_sums(pc: &[f64], bp: &[f64]) -> [f64; 5] {
    const W: usize = 4;
    let mut acc = [[0.0f64; W]; 5];
    let mut pcc = pc.chunks_exact(W);
    let mut bpc = bp.chunks_exact(W);
    for (x, y) in (&mut pcc).zip(&mut bpc) {
        for k in 0..W {
            let diff = x[k] - y[k];
            acc[0][k] += diff * diff;
            acc[1][k] += y[k] * y[k];
            acc[2][k] += x[k] * x[k];
            acc[3][k] += x[k] * y[k];
            acc[4][k] = fmax(acc[4][k], diff.abs());
        }
    }
    for (x, y) in pcc.remainder().iter().zip(bpc.remainder()) {
        let diff = x - y;
        acc[0][0] += diff * diff;
        acc[1][0] += y * y;
        acc[2][0] += x * x;
        acc[3][0] += x * y;
        acc[4][0] = fmax(acc[4][0], diff.abs());
    }
    let mut out = [0.0; 5];
    for (o, a) in out.iter_mut().zip(&acc).take(4) {
        *o = a.iter().sum();
    }
    out[4] = acc[4].iter().fold(0.0f64, |m, &x| fmax(m, x));
    // a NaN anywhere shows up in the sums; report it in the max as well
    if out[0].is_nan() {
        out[4] = f64::NAN;
    }
    out
}

fn check_eta(eta: f64) -> Result<(), GraphError> {
    if eta.is_finite() && eta > 0.0 {
        Ok(())
    } else {
        Err(GraphError::BadSetting {
            key: "inference_rate".into(),
            detail: format!("is {eta} but must be a positive number"),
        })
    }
}

/// Recompute a feedforward point for a graph (used by tools that edit values).
pub fn feedforward_point(g: &Graph) -> Result<Point, GraphError> {
    let mut p = Point::new(g);
    feedforward_into(g, &mut p)?;
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::testutil::*;
    use proptest::prelude::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * (1.0 + b.abs())
    }

    /// The largest |ξ_i + bp_i| over computed nodes and |ĝ − bp| over leaves.
    fn worst_gap(s: &Session) -> f64 {
        let g = s.graph();
        let mut w: f64 = 0.0;
        for i in 0..g.nodes().len() {
            let (a, b) = if g.nodes()[i].is_leaf() {
                (s.pc_grad(i).to_vec(), s.bp_grad(i).to_vec())
            } else {
                (
                    s.xi(i).to_vec(),
                    s.bp_grad(i).iter().map(|x| -x).collect::<Vec<_>>(),
                )
            };
            for (x, y) in a.iter().zip(&b) {
                w = w.max((x - y).abs());
            }
        }
        w
    }

    #[test]
    fn energy_at_step_0_is_the_loss() {
        for json in [CHAIN, SKIP, MLP] {
            for v in Variant::ALL {
                let s = Session::new(graph(json), v, 0.1).unwrap();
                assert!(s.loss() > 0.01);
                assert!(close(s.energy(), s.loss(), 1e-14), "{v:?}");
                assert_eq!(s.step(), 0);
            }
        }
    }

    #[test]
    fn step_one_sign_test() {
        // at step 1: ε_i = η·Jᵀε_out for parents of the output, same sign as δ_i = −bp_i
        let g = graph(CHAIN);
        let h = g.index_of("h").unwrap();
        let y = g.index_of("y").unwrap();
        let mut s = Session::new(g, Variant::FixedPred, 0.1).unwrap();
        let eps_out = s.error(y)[0];
        assert!(close(eps_out, 0.4 - s.feedforward(y)[0], 1e-15));
        s.tick();
        let eps_h = s.error(h)[0];
        let expected = 0.1 * (-0.9) * eps_out; // J_{y←h} = w2
        assert!(close(eps_h, expected, 1e-14), "{eps_h} vs {expected}");
        let delta_h = -s.bp_grad(h)[0];
        assert!(eps_h * delta_h > 0.0, "ε_h must have the sign of δ_h");
        // pc-math §4.1: ε_h(1) = −0.103526
        assert!((eps_h + 0.103526).abs() < 1e-6);
    }

    #[test]
    fn fixed_prediction_reaches_backprop() {
        for json in [CHAIN, SKIP, MLP] {
            let mut s = Session::new(graph(json), Variant::FixedPred, 0.5).unwrap();
            let before = worst_gap(&s);
            assert!(before > 1e-3);
            let out = s.relax_until_settled(1e-15, 10_000);
            assert_eq!(out, TickOutcome::Settled);
            assert!(worst_gap(&s) < 1e-12, "{json}: gap {}", worst_gap(&s));
            let m = s.metrics();
            assert!(m.rel_err_params < 1e-12 && close(m.cosine_params, 1.0, 1e-12));
        }
    }

    #[test]
    fn exact_variants_finish_after_depth_updates() {
        for json in [CHAIN, MLP] {
            for v in [Variant::Zil, Variant::FixedPredEta1] {
                let mut s = Session::new(graph(json), v, 0.1).unwrap();
                let d = s.zil_depth();
                assert!(d >= 1);
                for k in 0..d {
                    let out = s.tick();
                    assert_eq!(out == TickOutcome::Finished, k + 1 == d);
                }
                assert_eq!(s.tick(), TickOutcome::Finished);
                assert_eq!(s.step(), d);
                let m = s.metrics();
                assert!(m.max_abs_err_params < 1e-14, "{v:?}: {m:?}");
                assert!(m.max_abs_err_nodes < 1e-14, "{v:?}: {m:?}");
            }
        }
        // Z-IL on the non-levelled skip graph is wrong (pc-math §2.3: −0.579 vs −0.0819) ...
        let g = graph(SKIP);
        let w1 = g.index_of("w1").unwrap();
        let mut s = Session::new(g.clone(), Variant::Zil, 0.1).unwrap();
        s.run(10);
        assert!((s.pc_grad(w1)[0] + 0.5792897857012369).abs() < 1e-12);
        // ... and exact after levelling
        let (lg, inserted) = g.with_identity_levelling();
        assert_eq!(inserted, vec!["a__id1".to_string(), "a__id2".to_string()]);
        assert!(lg.is_leveled() && !g.is_leveled());
        let mut s = Session::new(lg, Variant::Zil, 0.1).unwrap();
        s.run(10);
        assert!((s.pc_grad(w1)[0] + 0.08185089156149855).abs() < 1e-14);
    }

    #[test]
    fn divergence_guard_keeps_the_last_good_state() {
        let mut s = Session::new(graph(CHAIN), Variant::FixedPred, 2.05).unwrap();
        let out = s.run(100_000);
        let TickOutcome::Diverged(msg) = out else {
            panic!("expected divergence, got {out:?}");
        };
        assert!(
            msg.contains("2.05") && msg.contains("fixed prediction"),
            "{msg}"
        );
        assert!(msg.contains("Lower the rate"), "{msg}");
        let k = s.step();
        assert!(k > 10);
        for i in 0..s.graph().nodes().len() {
            assert!(s.value(i).iter().all(|x| x.is_finite() && x.abs() <= 1e12));
        }
        assert!(s.energy().is_finite());
        // ticking again refuses again and does not move
        assert!(matches!(s.tick(), TickOutcome::Diverged(_)));
        assert_eq!(s.step(), k);
        assert!(s.stable_rate_bound() == 2.0);
    }

    /// The largest |ε| over computed nodes.
    fn max_error(s: &Session) -> f64 {
        s.computed_nodes()
            .iter()
            .flat_map(|&i| s.error(i).to_vec())
            .fold(0.0, |m: f64, e| m.max(e.abs()))
    }

    #[test]
    fn a_released_output_drains_every_error() {
        for json in [CHAIN, SKIP, MLP] {
            for v in [Variant::FixedPred, Variant::Strict] {
                let mut s = Session::new(graph(json), v, 0.2).unwrap();
                assert!(s.output_clamped());
                assert_eq!(s.relax_until_settled(1e-13, 100_000), TickOutcome::Settled);
                let e0 = s.energy();
                assert!(e0 > 1e-4 && max_error(&s) > 1e-3, "{v:?}");
                let t = s.step();
                s.set_output_clamped(false).unwrap();
                assert!(!s.output_clamped());
                assert_eq!(s.clamp_events(), &[(t, false)]);
                // the state at the release tick is unchanged
                assert_eq!(s.energy(), e0);
                let out = s.graph().output();
                let before = s.value(out).to_vec();
                s.tick();
                assert_ne!(s.value(out), &before[..], "{v:?}: the output must move");
                assert_eq!(s.relax_until_settled(1e-13, 100_000), TickOutcome::Settled);
                // nothing left to explain: every error and the energy drain to zero ...
                assert!(max_error(&s) < 1e-10, "{json} {v:?}: {}", max_error(&s));
                assert!(s.energy() < 1e-20, "{v:?}: F = {}", s.energy());
                // ... the output sits on its own prediction, not on the target ...
                let tgt = &s.graph().target().data;
                for ((x, m), y) in s.value(out).iter().zip(s.prediction(out)).zip(tgt) {
                    assert!((x - m).abs() < 1e-10 && (x - y).abs() > 1e-3, "{x} {m} {y}");
                }
                // ... and the gap to backprop is backprop itself again
                let m = s.metrics();
                assert!(m.rel_err_params > 0.99, "{v:?}: {m:?}");
                // clamped again, the target pulls and the run relaxes back to where it was
                s.set_output_clamped(true).unwrap();
                assert_eq!(
                    s.tick(),
                    TickOutcome::Running,
                    "{v:?}: the jump is a change"
                );
                assert_eq!(s.relax_until_settled(1e-13, 100_000), TickOutcome::Settled);
                assert!(
                    close(s.energy(), e0, 1e-8),
                    "{v:?}: F {} vs {e0}",
                    s.energy()
                );
                if v == Variant::FixedPred {
                    assert!(worst_gap(&s) < 1e-9, "{json}: gap {}", worst_gap(&s));
                }
            }
        }
    }

    #[test]
    fn fixed_prediction_drains_the_output_error_geometrically() {
        // released at step 0: ε_out(k) = (1 − η/σ²)^k · ε_out(0) (no children feed back)
        let g = graph(CHAIN);
        let y = g.index_of("y").unwrap();
        let mut s = Session::new(g, Variant::FixedPred, 0.1).unwrap();
        let e0 = s.error(y)[0];
        s.set_output_clamped(false).unwrap();
        for k in 1..=30 {
            s.tick();
            let want = 0.9f64.powi(k) * e0;
            assert!(
                close(s.error(y)[0], want, 1e-13),
                "k={k}: {} vs {want}",
                s.error(y)[0]
            );
        }
    }

    #[test]
    fn strict_energy_never_rises_after_the_release() {
        // strict PC with the output free is gradient descent on F over every computed value
        for json in [CHAIN, SKIP, MLP] {
            let mut s = Session::new(graph(json), Variant::Strict, 0.05).unwrap();
            s.run(40);
            s.set_output_clamped(false).unwrap();
            let mut f = s.energy();
            for _ in 0..400 {
                s.tick();
                assert!(
                    s.energy() <= f * (1.0 + 1e-12),
                    "{json}: {} > {f}",
                    s.energy()
                );
                f = s.energy();
            }
            assert!(f < 1e-3 * s.loss(), "{f}");
        }
    }

    #[test]
    fn rewind_replays_the_clamp_schedule_and_reset_clears_it() {
        let g = graph(MLP);
        let out = g.index_of(&g.nodes()[g.output()].id.clone()).unwrap();
        let mut s = Session::new(g, Variant::FixedPred, 0.3).unwrap();
        s.run(25);
        s.set_output_clamped(false).unwrap();
        s.run(40);
        assert!(s
            .value(out)
            .iter()
            .zip(&s.graph().target().data)
            .any(|(v, y)| v != y));
        s.set_output_clamped(true).unwrap();
        assert_eq!(s.clamp_events(), &[(25, false), (65, true)]);
        s.tick();
        // clamped again: back on the target at the next tick
        assert_eq!(s.value(out), &s.graph().target().data[..]);
        s.run(20);
        let (k, vals, errs, f) = (s.step(), s.value(out).to_vec(), max_error(&s), s.energy());
        let hidden: Vec<f64> = s
            .computed_nodes()
            .iter()
            .flat_map(|&i| s.value(i).to_vec())
            .collect();
        s.rewind();
        assert_eq!((s.step(), s.clamp_events().len()), (0, 2));
        s.run(k);
        let again: Vec<f64> = s
            .computed_nodes()
            .iter()
            .flat_map(|&i| s.value(i).to_vec())
            .collect();
        assert_eq!(again, hidden, "a rewound run is the same run, bit for bit");
        assert_eq!(
            (s.value(out).to_vec(), max_error(&s), s.energy()),
            (vals, errs, f)
        );
        // a change at an earlier step replaces what was scheduled after it
        s.rewind();
        s.run(10);
        s.set_output_clamped(false).unwrap();
        assert_eq!(s.clamp_events(), &[(10, false)]);
        s.reset();
        assert!(s.clamp_events().is_empty() && s.output_clamped());
        // the usual run is untouched by the feature: same as a fresh session
        s.run(50);
        let mut fresh = Session::new(graph(MLP), Variant::FixedPred, 0.3).unwrap();
        fresh.run(50);
        assert_eq!(s.energy(), fresh.energy());
    }

    #[test]
    fn the_release_is_refused_where_it_would_mislead_or_diverge() {
        for v in [Variant::Zil, Variant::FixedPredEta1] {
            let mut s = Session::new(graph(CHAIN), v, 0.1).unwrap();
            let e = s.set_output_clamped(false).unwrap_err().to_string();
            assert!(
                e.contains("schedule") && e.contains("fixed prediction or strict"),
                "{e}"
            );
            assert!(s.output_clamped() && s.clamp_events().is_empty());
        }
        // unit output variance: a free output is stable only below η = 2
        let mut s = Session::new(graph(CHAIN), Variant::Strict, 1.0).unwrap();
        s.set_eta(2.5);
        let e = s.set_output_clamped(false).unwrap_err().to_string();
        assert!(e.contains("2.5") && e.contains("lower the rate"), "{e}");
        assert!(s.output_clamped());
        // asking for what already holds is not a change
        s.set_output_clamped(true).unwrap();
        assert!(s.clamp_events().is_empty());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// On random graphs: releasing the output of a relaxed fixed-prediction run drains the
        /// energy to zero (nothing left to explain), whatever the graph.
        #[test]
        fn released_random_graphs_drain((k, leaves, nodes) in rand_graph_parts()) {
            let f = random_graph(k, &leaves, &nodes, 1.0);
            let g = Graph::from_file(&f).map_err(|e| TestCaseError::fail(format!("refused: {e}")))?;
            let mut s = Session::new(g, Variant::FixedPred, 0.3).unwrap();
            s.run(200);
            s.set_output_clamped(false).unwrap();
            let out = s.run(20_000);
            prop_assert!(matches!(out, TickOutcome::Settled | TickOutcome::Running), "{out:?}");
            prop_assert!(s.energy() <= 1e-12 * (1.0 + s.loss()), "F = {}", s.energy());
        }

        /// On random graphs: fixed prediction from a random start relaxes to backprop.
        #[test]
        fn random_starts_relax_to_backprop((k, leaves, nodes) in rand_graph_parts(), seed in 0u64..1000) {
            let f = random_graph(k, &leaves, &nodes, 1.0);
            let g = Graph::from_file(&f).map_err(|e| TestCaseError::fail(format!("refused: {e}")))?;
            let mut s = Session::new(g, Variant::FixedPred, 0.5).unwrap();
            s.set_start(Start::Random(seed));
            s.relax_until_settled(1e-14, 40_000);
            let scale = 1.0 + s.graph().nodes().iter().enumerate().map(|(i, _)| s.bp_grad(i).iter().fold(0.0f64, |m, x| m.max(x.abs()))).fold(0.0, f64::max);
            prop_assert!(worst_gap(&s) < 1e-9 * scale, "gap {}", worst_gap(&s));
        }
    }

    #[test]
    fn a_random_start_still_relaxes_to_backprop_under_fixed_prediction() {
        for json in [CHAIN, SKIP, MLP] {
            let mut s = Session::new(graph(json), Variant::FixedPred, 0.5).unwrap();
            s.set_start(Start::Random(7));
            assert_eq!(s.start(), Start::Random(7));
            assert!(!s.start_fell_back());
            // the hidden errors start away from 0, so F(0) > L
            assert!(s.energy() > s.loss() * (1.0 + 1e-6), "{json}");
            assert!(max_error(&s) > 1e-3);
            assert_eq!(s.relax_until_settled(1e-15, 20_000), TickOutcome::Settled);
            assert!(worst_gap(&s) < 1e-12, "{json}: gap {}", worst_gap(&s));
        }
    }

    #[test]
    fn a_random_start_is_the_same_for_the_same_seed_and_stays_within_its_bounds() {
        let g = graph(MLP);
        let mut a = Session::new(g.clone(), Variant::Strict, 0.1).unwrap();
        let mut b = Session::new(g.clone(), Variant::Strict, 0.1).unwrap();
        let ff = Session::new(g, Variant::Strict, 0.1).unwrap();
        a.set_start(Start::Random(3));
        b.set_start(Start::Random(3));
        let vals = |s: &Session| -> Vec<f64> {
            s.computed_nodes()
                .iter()
                .flat_map(|&i| s.value(i).to_vec())
                .collect()
        };
        assert_eq!(vals(&a), vals(&b));
        a.run(30);
        a.rewind();
        assert_eq!(
            vals(&a),
            vals(&b),
            "rewind starts from the same random values"
        );
        b.set_start(Start::Random(4));
        assert_ne!(vals(&a), vals(&b));
        let out = ff.graph().output();
        for &i in ff.computed_nodes() {
            for ((x, y), m) in a.value(i).iter().zip(ff.value(i)).zip(ff.prediction(i)) {
                if i == out {
                    assert_eq!(x, y, "the output stays on the target");
                } else {
                    assert!(
                        (x - m).abs() <= START_NOISE * m.abs().max(0.1),
                        "{x} vs {m}"
                    );
                }
            }
        }
        // back to the usual start: F(0) = L again
        a.set_start(Start::Feedforward);
        assert!(close(a.energy(), a.loss(), 1e-14));
    }

    #[test]
    fn z_il_needs_the_feedforward_start_and_fixed_prediction_at_rate_1_forgets_it() {
        for json in [CHAIN, MLP] {
            // Z-IL's condition C1 (pc-math §2.3): from anywhere else its D ticks are not
            // exact (its Jacobians are taken at the moved values)
            let mut s = Session::new(graph(json), Variant::Zil, 0.1).unwrap();
            s.run(100);
            assert!(s.metrics().max_abs_err_nodes < 1e-14);
            s.set_start(Start::Random(11));
            assert_eq!(s.run(100), TickOutcome::Finished);
            let m = s.metrics();
            assert!(m.max_abs_err_nodes > 1e-3, "{json}: {m:?}");
            // fixed prediction at rate σ² replaces every error in one tick (ε ← σ²·Σ Jᵀξ at
            // the feedforward point), so the start is forgotten and D ticks are still exact
            let mut s = Session::new(graph(json), Variant::FixedPredEta1, 0.1).unwrap();
            s.set_start(Start::Random(11));
            assert!(s.metrics().max_abs_err_nodes > 1e-3);
            assert_eq!(s.run(100), TickOutcome::Finished);
            assert!(s.metrics().max_abs_err_nodes < 1e-14, "{json}");
        }
    }

    #[test]
    fn a_random_start_outside_a_domain_falls_back_to_the_feedforward_start() {
        // a = w·x = 0.01: moved by up to ±0.025 it may turn negative, and strict PC takes √a
        let g = Graph::from_json(
            r#"{"nodes": [
                {"id": "x", "op": "input", "value": 1.0},
                {"id": "w", "op": "param", "value": 0.01},
                {"id": "a", "op": "mul", "parents": ["w", "x"]},
                {"id": "y", "op": "sqrt", "parents": ["a"]}
            ], "output": "y", "target": 0.5}"#,
        )
        .unwrap();
        let (mut fell, mut kept) = (0, 0);
        for seed in 0..40 {
            let mut s = Session::new(g.clone(), Variant::Strict, 0.1).unwrap();
            s.set_start(Start::Random(seed));
            assert!(s.energy().is_finite());
            if s.start_fell_back() {
                fell += 1;
                assert!(close(s.energy(), s.loss(), 1e-14), "the usual start");
            } else {
                kept += 1;
                assert!(s.energy() != s.loss(), "a moved start");
            }
        }
        assert!(fell > 0 && kept > 0, "fell back {fell}, kept {kept}");
    }

    #[test]
    fn a_free_input_is_inferred_to_explain_the_target() {
        // the chain y = w2·tanh(w1·x), target 0.4: with x free, strict PC finds the x whose
        // output is the target, x = atanh(0.4 / w2) / w1, and the energy falls to 0
        let g = graph(CHAIN);
        let x = g.index_of("x").unwrap();
        let mut s = Session::new(g, Variant::Strict, 0.2).unwrap();
        s.set_input_free(x, true).unwrap();
        assert_eq!(s.free_inputs(), &[x]);
        assert_eq!(s.value(x), &[0.8], "a free input starts at its data");
        let mut f = s.energy();
        for _ in 0..200 {
            s.tick();
            assert!(s.energy() <= f * (1.0 + 1e-12), "gradient descent on F");
            f = s.energy();
        }
        assert_eq!(s.relax_until_settled(1e-14, 200_000), TickOutcome::Settled);
        let want = (0.4f64 / -0.9).atanh() / 1.5;
        assert!(
            (s.value(x)[0] - want).abs() < 1e-6,
            "x = {} vs {want}",
            s.value(x)[0]
        );
        assert!(s.energy() < 1e-12, "F = {}", s.energy());
        // clamped again, the input is back on its data for the next run
        s.set_input_free(x, false).unwrap();
        assert!(s.free_inputs().is_empty());
        assert_eq!(s.value(x), &[0.8]);
    }

    #[test]
    fn only_strict_pc_releases_an_input_and_only_an_input() {
        let g = graph(CHAIN);
        let (x, w1) = (g.index_of("x").unwrap(), g.index_of("w1").unwrap());
        for v in [Variant::FixedPred, Variant::Zil, Variant::FixedPredEta1] {
            let mut s = Session::new(g.clone(), v, 0.1).unwrap();
            let e = s.set_input_free(x, true).unwrap_err().to_string();
            assert!(e.contains("strict PC"), "{e}");
            assert!(s.free_inputs().is_empty());
        }
        let mut s = Session::new(g, Variant::Strict, 0.1).unwrap();
        assert!(
            s.set_input_free(w1, true).is_err(),
            "a param is not an input"
        );
        assert!(s.set_input_free(99, true).is_err());
        s.set_input_free(x, true).unwrap();
        s.run(20);
        assert_ne!(s.value(x), &[0.8]);
        // leaving strict PC holds the input again
        s.set_variant(Variant::FixedPred);
        assert!(s.free_inputs().is_empty());
        assert_eq!(s.value(x), &[0.8]);
    }

    #[test]
    fn a_free_input_with_a_clamped_output_replays_bit_for_bit() {
        let g = graph(MLP);
        let x = g.index_of("x").unwrap();
        let mut s = Session::new(g, Variant::Strict, 0.05).unwrap();
        s.set_input_free(x, true).unwrap();
        s.run(30);
        s.set_output_clamped(false).unwrap();
        s.run(30);
        let (v, f) = (s.value(x).to_vec(), s.energy());
        s.rewind();
        s.run(60);
        assert_eq!((s.value(x).to_vec(), s.energy()), (v, f));
    }

    #[test]
    fn rate_1_9_converges_with_oscillation() {
        let mut s = Session::new(graph(CHAIN), Variant::FixedPred, 1.9).unwrap();
        // (η = 1.9 ends in a rounding limit cycle of about 1e-14, so 1e-14 is out of reach)
        let out = s.relax_until_settled(1e-12, 20_000);
        assert_eq!(out, TickOutcome::Settled);
        assert!(worst_gap(&s) < 1e-10, "{}", worst_gap(&s));
    }

    #[test]
    fn strict_sqrt_domain_error_is_a_divergence() {
        // y = sqrt(a), a = w*x with a tiny feedforward value and a large pull downwards
        let json = r#"{"nodes": [
            {"id": "x", "op": "input", "value": 1.0},
            {"id": "w", "op": "param", "value": 0.01},
            {"id": "a", "op": "mul", "parents": ["w", "x"]},
            {"id": "y", "op": "sqrt", "parents": ["a"]}],
            "output": "y", "target": -5.0}"#;
        let mut s = Session::new(graph(json), Variant::Strict, 0.5).unwrap();
        let out = s.run(1000);
        let TickOutcome::Diverged(msg) = out else {
            panic!("expected a domain error, got {out:?}");
        };
        assert!(msg.contains("'y'") && msg.contains("square root"), "{msg}");
        assert!(s.energy().is_finite());
    }

    #[test]
    fn set_leaf_and_target() {
        let g = graph(CHAIN);
        let w1 = g.index_of("w1").unwrap();
        let a = g.index_of("a").unwrap();
        let mut s = Session::new(g, Variant::FixedPred, 0.1).unwrap();
        s.run(5);
        s.set_leaf(w1, Tensor::scalar(2.0)).unwrap();
        assert_eq!(s.step(), 0);
        assert!(close(s.feedforward(a)[0], 1.6, 1e-15));
        let err = s.set_leaf(a, Tensor::scalar(1.0)).unwrap_err();
        assert!(err.to_string().contains("'a'"), "{err}");
        let err = s.set_leaf(w1, Tensor::vector(vec![1.0, 2.0])).unwrap_err();
        assert!(err.to_string().contains("'w1'"), "{err}");
        assert!(
            close(s.feedforward(a)[0], 1.6, 1e-15),
            "state kept on error"
        );
        s.set_target(Tensor::scalar(0.0)).unwrap();
        assert!(s.set_target(Tensor::vector(vec![0.0])).is_err());
        assert!(s.set_target(Tensor::scalar(f64::NAN)).is_err());
        assert!(close(s.energy(), s.loss(), 1e-15));
    }

    #[test]
    fn set_leaf_refuses_sqrt_of_negative() {
        let json = r#"{"nodes": [
            {"id": "x", "op": "input", "value": 1.0},
            {"id": "a", "op": "sqrt", "parents": ["x"]}],
            "output": "a", "target": 1.0}"#;
        let mut s = Session::new(graph(json), Variant::FixedPred, 0.1).unwrap();
        let err = s.set_leaf(0, Tensor::scalar(-1.0)).unwrap_err();
        assert!(matches!(err, GraphError::SqrtNegative { .. }), "{err}");
        assert_eq!(s.value(0), &[1.0]);
    }

    #[test]
    fn history_is_bounded_and_covers_the_run() {
        let g = graph(MLP);
        let n_comp = 2;
        let mut s = Session::with_history_capacity(g, Variant::FixedPred, 0.1, 64).unwrap();
        s.set_settle_tol(-1.0);
        assert_eq!(s.run(10_000), TickOutcome::Running);
        let h: Vec<&HistoryPoint> = s.history().collect();
        assert!(h.len() <= 64 && h.len() >= 32, "{}", h.len());
        assert_eq!(h[0].step, 0);
        assert!(h.last().unwrap().step >= 10_000 / 2);
        assert!(h.windows(2).all(|w| w[0].step < w[1].step));
        assert!(h.iter().all(|p| p.node_err.len() == n_comp));
        // the first point is the feedforward start: F = L
        assert!(close(h[0].energy, s.loss(), 1e-14));
        // errors shrink over the run
        assert!(h.last().unwrap().max_abs_err_nodes < 1e-10);
        assert!(h[0].max_abs_err_nodes > 0.1);
        s.reset();
        assert_eq!(s.history().count(), 1);
    }

    #[test]
    fn metrics_match_definitions() {
        let s = Session::new(graph(CHAIN), Variant::FixedPred, 0.1).unwrap();
        // step 0 (pc-math §4.1): rel. err 0.254745, cosine 0.967008
        let m = s.metrics();
        assert!((m.rel_err_params - 0.254745).abs() < 1e-6, "{m:?}");
        assert!((m.cosine_params - 0.967008).abs() < 1e-6, "{m:?}");
    }

    #[test]
    fn variant_and_eta_switches() {
        let mut s = Session::new(graph(CHAIN), Variant::FixedPred, 0.1).unwrap();
        s.run(7);
        s.set_eta(0.3);
        assert_eq!(s.step(), 7);
        assert_eq!(s.eta(), 0.3);
        s.set_eta(-1.0);
        assert_eq!(s.eta(), 0.3);
        s.set_variant(Variant::Strict);
        assert_eq!((s.step(), s.variant()), (0, Variant::Strict));
        assert!(Session::new(graph(CHAIN), Variant::Strict, 0.0).is_err());
        assert!(Session::new(graph(CHAIN), Variant::Strict, f64::NAN).is_err());
    }

    #[test]
    fn lazy_leaf_gradients_and_param_stride() {
        let g = graph(MLP);
        let mut a = Session::new(g.clone(), Variant::Strict, 0.2).unwrap();
        let mut b = Session::new(g, Variant::Strict, 0.2).unwrap();
        b.set_history_param_stride(4);
        assert_eq!(b.history_param_stride(), 4);
        for k in 1..=10 {
            a.tick();
            b.tick();
            // reading pc_grad before or after further ticks gives the state's own value
            if k % 2 == 0 {
                for i in 0..a.graph().nodes().len() {
                    assert_eq!(a.pc_grad(i), b.pc_grad(i));
                }
                assert_eq!(a.metrics(), b.metrics());
            }
        }
        let (ha, hb) = (a.history_slice(), b.history_slice());
        assert_eq!(ha.len(), 11);
        for (pa, pb) in ha.iter().zip(hb) {
            assert_eq!(pa.params_step, pa.step);
            assert_eq!(pb.params_step, pb.step / 4 * 4);
            assert_eq!(pa.node_err, pb.node_err);
            if pb.params_step == pb.step {
                assert_eq!(pa.rel_err_params, pb.rel_err_params);
            } else {
                let src = &hb[pb.params_step];
                assert_eq!(pb.rel_err_params, src.rel_err_params);
            }
        }
        // big leaves, few computed numbers: a stride above 1 by default
        let wide = Graph::from_json(
            r#"{"nodes":[{"id":"x","op":"input","value":[1,2,3,4,5,6,7,8]},
            {"id":"W","op":"param","value":[[1,2,3,4,5,6,7,8],[1,2,3,4,5,6,7,8]]},
            {"id":"y","op":"matmul","parents":["W","x"]}],"output":"y","target":[0,0]}"#,
        )
        .unwrap();
        assert_eq!(default_param_stride(&wide), 4); // 24 / (4·2) = 3 → 4
        assert_eq!(default_param_stride(&graph(MLP)), 1);
    }

    #[test]
    fn accessors_are_safe_on_bad_indices() {
        let s = Session::new(graph(CHAIN), Variant::FixedPred, 0.1).unwrap();
        assert!(s.value(99).is_empty() && s.bp_grad(99).is_empty());
        assert!(s.error(0).is_empty() && s.pc_grad(5).is_empty());
        assert_eq!(s.prediction(5).len(), 1);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn random_dags_behave((k, leaves, nodes) in rand_graph_parts(), var in 0.5f64..2.0) {
            let f = random_graph(k, &leaves, &nodes, var);
            let g = Graph::from_file(&f).map_err(|e| TestCaseError::fail(format!("refused: {e}")))?;
            // fixed prediction converges to BP (η below 2σ²_min)
            let eta = 0.9 * g.nodes().iter().filter(|n| !n.is_leaf()).map(|n| n.variance).fold(f64::INFINITY, f64::min);
            let mut s = Session::new(g.clone(), Variant::FixedPred, eta).unwrap();
            s.relax_until_settled(1e-13, 20_000);
            let scale = 1.0 + s.graph().nodes().iter().enumerate().map(|(i, _)| s.bp_grad(i).iter().fold(0.0f64, |m, x| m.max(x.abs()))).fold(0.0, f64::max);
            prop_assert!(worst_gap(&s) < 1e-9 * scale, "fixed pred gap {}", worst_gap(&s));
            // fixed prediction at rate σ² is exact after D updates on any DAG
            let mut s = Session::new(g.clone(), Variant::FixedPredEta1, 1.0).unwrap();
            prop_assert_eq!(s.run(1000), TickOutcome::Finished);
            prop_assert!(worst_gap(&s) < 1e-10 * scale, "eta1 gap {}", worst_gap(&s));
            // Z-IL is exact on the levelled graph
            let (lg, _) = g.with_identity_levelling();
            prop_assert!(lg.is_leveled());
            let mut z = Session::new(lg, Variant::Zil, 1.0).unwrap();
            z.run(1000);
            let m = z.metrics();
            prop_assert!(m.max_abs_err_params < 1e-10 * scale && m.max_abs_err_nodes < 1e-10 * scale, "zil {m:?}");
            // strict PC: energy never rises at a small rate
            let mut s = Session::new(g.clone(), Variant::Strict, 0.02).unwrap();
            let mut last = s.energy();
            for _ in 0..300 {
                if let TickOutcome::Diverged(msg) = s.tick() { prop_assert!(false, "{}", msg); }
                prop_assert!(s.energy() <= last + 1e-12 * (1.0 + last), "F rose: {} -> {}", last, s.energy());
                last = s.energy();
            }
            // round trip Graph → GraphFile → JSON → Graph
            let back = Graph::from_json(&g.to_json()).unwrap();
            prop_assert_eq!(back, g);
        }
    }
}
