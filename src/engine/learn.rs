//! Learning (`pc-math.md` §1.5): train the same network with the PC weight update and with
//! backprop, side by side, from the same initial weights.
//!
//! Per example, the PC side clamps the input and the target, relaxes `T` ticks with the
//! chosen [`Variant`] and takes `ĝ = Session::pc_grad` for every param; the BP side computes
//! `∂L/∂θ` by exact reverse mode at *its own* weights. Gradients are averaged over a mini-batch,
//! then `θ −= α·ĝ` (PC) and `θ −= α·∂L/∂θ` (BP). Both sides see the examples in the same
//! seeded order. Per batch the trainer also records the cosine between the PC update and the
//! BP gradient **at the PC weights** (how well the relaxation approximated backprop there);
//! the epoch's figure is the mean over its batches.
//!
//! An example whose relaxation diverges is skipped by the PC side (it is counted in
//! [`EpochStats::diverged`]); weights that become non-finite stop the trainer with a message
//! ([`Trainer::stopped`]). Nothing here panics on user settings.
//!
//! Cost: one example is `T` relaxation ticks plus two feedforward/backprop passes, with the
//! session, the evaluation point and the gradient buffers reused (no allocation per example
//! except when the weights were just updated, one small list per batch).
use std::cell::RefCell;

use super::backprop::{backprop_into_with, feedforward_into, Point, Reference};
use super::datasets::{self, Dataset, Rng};
use super::format::{GraphFile, JsonValue, NodeSpec};
use super::graph::{Graph, GraphError, NodeKind};
use super::relax::{Session, TickOutcome, Variant};

/// The built-in learning tasks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DatasetKind {
    /// XOR on the unit square corners; 2-4-1 MLP, tanh hidden, sigmoid output.
    Xor,
    /// Noisy `sin x` on `[−π, π]` (32 points); 1-8-1 MLP, tanh hidden, linear output.
    Sine,
    /// Two moons (100 points, noise 0.1); 2-8-1 MLP, tanh hidden, sigmoid output.
    TwoMoons,
}

impl DatasetKind {
    /// All kinds, in menu order.
    pub const ALL: [DatasetKind; 3] = [DatasetKind::Xor, DatasetKind::Sine, DatasetKind::TwoMoons];

    /// A stable short name: `xor`, `sine`, `moons`.
    pub fn name(self) -> &'static str {
        match self {
            DatasetKind::Xor => "xor",
            DatasetKind::Sine => "sine",
            DatasetKind::TwoMoons => "moons",
        }
    }

    /// The kind with this [`DatasetKind::name`].
    pub fn from_name(s: &str) -> Option<DatasetKind> {
        DatasetKind::ALL.into_iter().find(|k| k.name() == s)
    }

    /// Layer sizes of the network [`Trainer::for_dataset`] builds.
    pub fn sizes(self) -> &'static [usize] {
        match self {
            DatasetKind::Xor => &[2, 4, 1],
            DatasetKind::Sine => &[1, 8, 1],
            DatasetKind::TwoMoons => &[2, 8, 1],
        }
    }

    /// The default training settings for this task.
    pub fn default_config(self, seed: u64) -> TrainConfig {
        let base = TrainConfig {
            variant: Variant::FixedPred,
            eta: 0.1,
            ticks: 40,
            lr: 0.5,
            batch: 4,
            seed,
        };
        match self {
            DatasetKind::Xor => base,
            DatasetKind::Sine => TrainConfig {
                lr: 0.1,
                batch: 8,
                ..base
            },
            DatasetKind::TwoMoons => TrainConfig {
                lr: 0.5,
                batch: 10,
                ..base
            },
        }
    }
}

/// Training settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrainConfig {
    /// Relaxation dynamics of the PC side.
    pub variant: Variant,
    /// Inference rate η (the exact variants use σ² = 1).
    pub eta: f64,
    /// Inference ticks per example `T` (the exact variants stop after `D`).
    pub ticks: usize,
    /// Learning rate α (both sides).
    pub lr: f64,
    /// Mini-batch size (at least 1; the last batch of an epoch may be smaller).
    pub batch: usize,
    /// Seed of the example order.
    pub seed: u64,
}

/// Which parameter set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParamsKind {
    /// The weights trained with the PC update.
    Pc,
    /// The weights trained with backprop.
    Bp,
}

/// One epoch's figures.
#[derive(Clone, Debug, PartialEq)]
pub struct EpochStats {
    /// Epochs completed (1 for the first).
    pub epoch: usize,
    /// Mean loss `½‖y − ŷ‖²` over the dataset with the PC weights, after the epoch.
    pub loss_pc: f64,
    /// The same with the BP weights.
    pub loss_bp: f64,
    /// Mean over the epoch's batches of cos(PC update, BP gradient at the PC weights).
    pub cosine: f64,
    /// Examples whose relaxation was refused by the divergence guard (skipped by PC).
    pub diverged: usize,
}

/// Trains one network with PC and with BP side by side (see the module docs).
#[derive(Clone, Debug)]
pub struct Trainer {
    config: TrainConfig,
    dataset: Dataset,
    session: Session,
    input: usize,
    params: Vec<usize>,
    /// Initial weights (layout-flat; param slices used).
    theta0: Vec<f64>,
    theta_pc: Vec<f64>,
    theta_bp: Vec<f64>,
    acc_pc: Vec<f64>,
    acc_bp_at_pc: Vec<f64>,
    acc_bp: Vec<f64>,
    n_pc: usize,
    n_bp: usize,
    params_dirty: bool,
    order: Vec<usize>,
    pos: usize,
    epoch: usize,
    rng: Rng,
    eval: Point,
    bp_buf: Vec<f64>,
    gz: Vec<f64>,
    scratch: Vec<f64>,
    cos_sum: f64,
    cos_n: usize,
    diverged: usize,
    history: Vec<EpochStats>,
    initial: Option<(f64, f64)>,
    stopped: Option<String>,
    predict_point: RefCell<Option<Point>>,
}

fn spec(id: &str, op: &str) -> NodeSpec {
    NodeSpec {
        id: id.into(),
        op: op.into(),
        value: None,
        parents: Vec::new(),
        act: None,
        pre: None,
        variance: None,
    }
}

/// A layered MLP graph file: input `x` (`sizes[0]`), `linear` layers `h1`, `h2`, … with `act`
/// on the hidden layers, output `y` with `out_act`, Glorot-uniform weights and zero biases
/// drawn from `seed`. The target is zeros.
pub fn mlp_file(sizes: &[usize], act: &str, out_act: Option<&str>, seed: u64) -> GraphFile {
    let mut rng = Rng::new(seed);
    let mut nodes = Vec::new();
    let n0 = sizes.first().copied().unwrap_or(1).max(1);
    let mut x = spec("x", "input");
    x.value = Some(JsonValue::Vector(vec![0.0; n0]));
    nodes.push(x);
    let mut prev = "x".to_string();
    let layers = sizes.len().saturating_sub(1);
    for l in 0..layers {
        let (fi, fo) = (sizes[l].max(1), sizes[l + 1].max(1));
        let s = (6.0 / (fi + fo) as f64).sqrt();
        let w: Vec<Vec<f64>> = (0..fo)
            .map(|_| (0..fi).map(|_| rng.uniform(-s, s)).collect())
            .collect();
        let (wid, bid) = (format!("W{}", l + 1), format!("b{}", l + 1));
        let mut wn = spec(&wid, "param");
        wn.value = Some(JsonValue::Matrix(w));
        let mut bn = spec(&bid, "param");
        bn.value = Some(JsonValue::Vector(vec![0.0; fo]));
        let last = l + 1 == layers;
        let id = if last {
            "y".to_string()
        } else {
            format!("h{}", l + 1)
        };
        let mut node = spec(&id, "linear");
        node.parents = vec![wid.clone(), prev.clone(), bid.clone()];
        node.act = if last {
            out_act.map(str::to_string)
        } else {
            Some(act.to_string())
        };
        nodes.push(wn);
        nodes.push(bn);
        nodes.push(node);
        prev = id;
    }
    let n_out = sizes.last().copied().unwrap_or(1).max(1);
    GraphFile {
        format: 1,
        name: format!(
            "MLP {}",
            sizes
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join("-")
        ),
        nodes,
        output: prev,
        target: JsonValue::Vector(vec![0.0; n_out]),
        inference_rate: Some(0.1),
        steps: None,
        record_steps: None,
        variants: None,
        zil: None,
    }
}

impl Trainer {
    /// A trainer for a built-in task: the dataset (drawn from `seed`), the MLP of
    /// [`DatasetKind::sizes`] with weights drawn from `seed`, and
    /// [`DatasetKind::default_config`].
    pub fn for_dataset(kind: DatasetKind, seed: u64) -> Trainer {
        let (data, out_act) = match kind {
            DatasetKind::Xor => (datasets::xor(), Some("sigmoid")),
            DatasetKind::Sine => (datasets::sine(32, seed), None),
            DatasetKind::TwoMoons => (datasets::two_moons(100, 0.1, seed), Some("sigmoid")),
        };
        let file = mlp_file(kind.sizes(), "tanh", out_act, seed ^ 0x5eed);
        // the file is well formed by construction (checked by the tests)
        let graph = Graph::from_file(&file).expect("built-in MLP graph");
        Trainer::new(graph, data, kind.default_config(seed)).expect("built-in trainer")
    }

    /// A trainer for any graph: the input node is `x` (or the first input), the output the
    /// graph's output; the graph's param values are the initial weights of both sides. Fails
    /// when the dataset is empty, an example's size does not match the input / output, or a
    /// setting is out of range.
    pub fn new(graph: Graph, dataset: Dataset, config: TrainConfig) -> Result<Trainer, String> {
        let input = graph
            .index_of("x")
            .filter(|&i| graph.nodes()[i].kind == NodeKind::Input)
            .or_else(|| graph.nodes().iter().position(|n| n.kind == NodeKind::Input))
            .ok_or("The graph has no input node to feed the examples into.")?;
        if dataset.is_empty() || dataset.targets.len() != dataset.inputs.len() {
            return Err("The dataset has no examples.".into());
        }
        let lay = graph.layout().clone();
        let n_in = lay.len[input];
        let n_out = lay.len[graph.output()];
        for (k, (x, t)) in dataset.inputs.iter().zip(&dataset.targets).enumerate() {
            if x.len() != n_in || t.len() != n_out {
                return Err(format!(
                    "Example {k} has {} inputs and {} targets but the graph takes {n_in} and gives {n_out}.",
                    x.len(),
                    t.len()
                ));
            }
            if x.iter().chain(t).any(|v| !v.is_finite()) {
                return Err(format!("Example {k} has a number that is not finite."));
            }
        }
        check_config(&config)?;
        let params: Vec<usize> = (0..graph.nodes().len())
            .filter(|&i| graph.nodes()[i].kind == NodeKind::Param)
            .collect();
        let mut theta0 = vec![0.0; lay.total];
        for &p in &params {
            if let Some(t) = &graph.nodes()[p].value {
                theta0[lay.off[p]..lay.off[p] + lay.len[p]].copy_from_slice(&t.data);
            }
        }
        let eval = Point::new(&graph);
        let session = Session::with_history_capacity(graph, config.variant, config.eta, 2)
            .map_err(|e| format!("The network cannot be evaluated at its initial weights: {e}"))?;
        let mut t = Trainer {
            config,
            session,
            input,
            params,
            theta_pc: theta0.clone(),
            theta_bp: theta0.clone(),
            theta0,
            acc_pc: vec![0.0; lay.total],
            acc_bp_at_pc: vec![0.0; lay.total],
            acc_bp: vec![0.0; lay.total],
            n_pc: 0,
            n_bp: 0,
            params_dirty: true,
            order: (0..dataset.len()).collect(),
            pos: 0,
            epoch: 0,
            rng: Rng::new(config.seed),
            eval,
            bp_buf: vec![0.0; lay.total],
            gz: vec![0.0; lay.max_len],
            scratch: vec![0.0; lay.max_len],
            cos_sum: 0.0,
            cos_n: 0,
            diverged: 0,
            history: Vec::new(),
            initial: None,
            stopped: None,
            predict_point: RefCell::new(None),
            dataset,
        };
        t.reset();
        Ok(t)
    }

    /// Back to the initial weights and epoch 0 (the example order restarts from the seed).
    pub fn reset(&mut self) {
        self.theta_pc.copy_from_slice(&self.theta0);
        self.theta_bp.copy_from_slice(&self.theta0);
        self.rng = Rng::new(self.config.seed);
        self.epoch = 0;
        self.pos = 0;
        self.history.clear();
        self.stopped = None;
        self.params_dirty = true;
        self.clear_batch();
        self.cos_sum = 0.0;
        self.cos_n = 0;
        self.diverged = 0;
        self.shuffle();
        let l_pc = self.dataset_loss(ParamsKind::Pc);
        self.initial = l_pc.ok().map(|l| (l, l));
    }

    /// The settings.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// The dataset.
    pub fn dataset(&self) -> &Dataset {
        &self.dataset
    }

    /// The PC side's relaxation session (the last example's relaxation).
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// Change the settings live (weights and history are kept; a new seed takes effect at
    /// the next [`Trainer::reset`]). Out-of-range settings are refused with a message.
    pub fn set_config(&mut self, config: TrainConfig) -> Result<(), String> {
        check_config(&config)?;
        if config.variant != self.session.variant() {
            self.session.set_variant(config.variant);
        }
        self.session.set_eta(config.eta);
        self.config = config;
        Ok(())
    }

    /// Completed epochs.
    pub fn epoch(&self) -> usize {
        self.epoch
    }

    /// Examples done in the current epoch.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Per-epoch figures, oldest first.
    pub fn history(&self) -> &[EpochStats] {
        &self.history
    }

    /// Mean loss of (PC, BP) weights before any training.
    pub fn initial_loss(&self) -> Option<(f64, f64)> {
        self.initial
    }

    /// Why training stopped (weights became non-finite), if it did.
    pub fn stopped(&self) -> Option<&str> {
        self.stopped.as_deref()
    }

    /// The current weights of a param node (empty for other nodes / bad indices).
    pub fn param(&self, which: ParamsKind, node: usize) -> &[f64] {
        if !self.params.contains(&node) {
            return &[];
        }
        let lay = self.session.graph().layout();
        let theta = match which {
            ParamsKind::Pc => &self.theta_pc,
            ParamsKind::Bp => &self.theta_bp,
        };
        &theta[lay.off[node]..lay.off[node] + lay.len[node]]
    }

    /// Param node indices.
    pub fn params(&self) -> &[usize] {
        &self.params
    }

    /// Run until the current epoch ends; returns its figures (or why training stopped).
    pub fn step_epoch(&mut self) -> Result<EpochStats, String> {
        loop {
            if let Some(stats) = self.step_batch()? {
                return Ok(stats);
            }
        }
    }

    /// One mini-batch. Returns the epoch's figures when this batch completed an epoch.
    pub fn step_batch(&mut self) -> Result<Option<EpochStats>, String> {
        if let Some(m) = &self.stopped {
            return Err(m.clone());
        }
        let n = self.dataset.len();
        let end = (self.pos + self.config.batch.max(1)).min(n);
        for k in self.pos..end {
            let ex = self.order[k];
            if let Err(e) = self.example(ex) {
                return Err(self.stop(e));
            }
        }
        self.pos = end;
        if let Err(e) = self.apply_batch() {
            return Err(self.stop(e));
        }
        if self.pos < n {
            return Ok(None);
        }
        // end of epoch
        let loss_pc = self.dataset_loss(ParamsKind::Pc);
        let loss_bp = self.dataset_loss(ParamsKind::Bp);
        let (loss_pc, loss_bp) = match (loss_pc, loss_bp) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(e), _) | (_, Err(e)) => return Err(self.stop(e)),
        };
        self.epoch += 1;
        let stats = EpochStats {
            epoch: self.epoch,
            loss_pc,
            loss_bp,
            cosine: if self.cos_n > 0 {
                self.cos_sum / self.cos_n as f64
            } else {
                0.0
            },
            diverged: self.diverged,
        };
        self.history.push(stats.clone());
        self.cos_sum = 0.0;
        self.cos_n = 0;
        self.diverged = 0;
        self.pos = 0;
        self.shuffle();
        Ok(Some(stats))
    }

    /// The network's output for `input` with one parameter set (the app draws decision
    /// regions and regression curves with it). Empty when `input` has the wrong length or a
    /// value is not finite.
    pub fn predict(&self, which: ParamsKind, input: &[f64]) -> Vec<f64> {
        let g = self.session.graph();
        let lay = g.layout();
        if input.len() != lay.len[self.input] || input.iter().any(|x| !x.is_finite()) {
            return Vec::new();
        }
        let mut cell = self.predict_point.borrow_mut();
        let pt = cell.get_or_insert_with(|| Point::new(g));
        let theta = match which {
            ParamsKind::Pc => &self.theta_pc,
            ParamsKind::Bp => &self.theta_bp,
        };
        load(g, pt, &self.params, theta, self.input, input);
        if feedforward_into(g, pt).is_err() {
            return Vec::new();
        }
        let o = g.output();
        pt.v[lay.off[o]..lay.off[o] + lay.len[o]].to_vec()
    }

    /// Mean loss over the dataset with one parameter set.
    pub fn loss(&mut self, which: ParamsKind) -> Result<f64, String> {
        self.dataset_loss(which)
    }

    // ----- internals -------------------------------------------------------------------

    fn stop(&mut self, msg: String) -> String {
        self.stopped = Some(msg.clone());
        msg
    }

    fn shuffle(&mut self) {
        for (k, o) in self.order.iter_mut().enumerate() {
            *o = k;
        }
        self.rng.shuffle(&mut self.order);
    }

    fn clear_batch(&mut self) {
        for b in [&mut self.acc_pc, &mut self.acc_bp_at_pc, &mut self.acc_bp] {
            b.iter_mut().for_each(|x| *x = 0.0);
        }
        self.n_pc = 0;
        self.n_bp = 0;
    }

    /// One example: relax the PC side, run BP on the BP side, accumulate.
    fn example(&mut self, ex: usize) -> Result<(), String> {
        let x = &self.dataset.inputs[ex];
        let t = &self.dataset.targets[ex];
        let set = if self.params_dirty {
            let lay = self.session.graph().layout();
            let mut list: Vec<(usize, &[f64])> = Vec::with_capacity(self.params.len() + 1);
            list.push((self.input, x));
            for &p in &self.params {
                list.push((p, &self.theta_pc[lay.off[p]..lay.off[p] + lay.len[p]]));
            }
            self.session.set_leaves(&list, Some(t))
        } else {
            self.session.set_leaves(&[(self.input, x)], Some(t))
        };
        set.map_err(|e| {
            format!("Training stopped: the PC weights no longer give finite numbers ({e}). Lower the learning rate.")
        })?;
        self.params_dirty = false;
        let outcome = self.session.run(self.config.ticks);
        let lay = self.session.graph().layout();
        if matches!(outcome, TickOutcome::Diverged(_)) {
            self.diverged += 1;
        } else {
            for &p in &self.params {
                let (o, l) = (lay.off[p], lay.len[p]);
                for (a, g) in self.acc_pc[o..o + l]
                    .iter_mut()
                    .zip(self.session.pc_grad(p))
                {
                    *a += g;
                }
                for (a, g) in self.acc_bp_at_pc[o..o + l]
                    .iter_mut()
                    .zip(self.session.bp_grad(p))
                {
                    *a += g;
                }
            }
            self.n_pc += 1;
        }
        // BP side at its own weights
        let g = self.session.graph();
        load(
            g,
            &mut self.eval,
            &self.params,
            &self.theta_bp,
            self.input,
            x,
        );
        feedforward_into(g, &mut self.eval).map_err(|e| {
            format!("Training stopped: the BP weights no longer give finite numbers ({e}). Lower the learning rate.")
        })?;
        let out = g.output();
        let (o, l) = (lay.off[out], lay.len[out]);
        let var = g.nodes()[out].variance;
        self.bp_buf.iter_mut().for_each(|v| *v = 0.0);
        for ((b, y), t) in self.bp_buf[o..o + l]
            .iter_mut()
            .zip(&self.eval.v[o..o + l])
            .zip(t)
        {
            *b = -(t - y) / var;
        }
        backprop_into_with(
            g,
            &self.eval,
            &mut self.bp_buf,
            &mut self.gz,
            &mut self.scratch,
        );
        for &p in &self.params {
            let (o, l) = (lay.off[p], lay.len[p]);
            for (a, g) in self.acc_bp[o..o + l].iter_mut().zip(&self.bp_buf[o..o + l]) {
                *a += g;
            }
        }
        self.n_bp += 1;
        Ok(())
    }

    /// Apply the averaged updates of the batch; record the cosine.
    fn apply_batch(&mut self) -> Result<(), String> {
        let lay = self.session.graph().layout().clone();
        let lr = self.config.lr;
        let (mut pb, mut pp, mut bb) = (0.0, 0.0, 0.0);
        let mut finite = true;
        for &p in &self.params {
            let r = lay.off[p]..lay.off[p] + lay.len[p];
            for k in r {
                let (a, b) = (self.acc_pc[k], self.acc_bp_at_pc[k]);
                pb += a * b;
                pp += a * a;
                bb += b * b;
                if self.n_pc > 0 {
                    self.theta_pc[k] -= lr * a / self.n_pc as f64;
                }
                if self.n_bp > 0 {
                    self.theta_bp[k] -= lr * self.acc_bp[k] / self.n_bp as f64;
                }
                finite &= self.theta_pc[k].is_finite() && self.theta_bp[k].is_finite();
            }
        }
        if self.n_pc > 0 {
            let c = if pp > 0.0 && bb > 0.0 {
                pb / (pp.sqrt() * bb.sqrt())
            } else {
                0.0
            };
            if c.is_finite() {
                self.cos_sum += c;
                self.cos_n += 1;
            }
        }
        self.params_dirty = true;
        self.clear_batch();
        if finite {
            Ok(())
        } else {
            Err("Training stopped: the weights overflowed. Lower the learning rate.".into())
        }
    }

    /// Mean `½‖y − ŷ‖²/σ²` over the dataset at one parameter set.
    fn dataset_loss(&mut self, which: ParamsKind) -> Result<f64, String> {
        let g = self.session.graph();
        let lay = g.layout();
        let theta = match which {
            ParamsKind::Pc => &self.theta_pc,
            ParamsKind::Bp => &self.theta_bp,
        };
        let out = g.output();
        let (o, l) = (lay.off[out], lay.len[out]);
        let var = g.nodes()[out].variance;
        let mut sum = 0.0;
        for (x, t) in self.dataset.inputs.iter().zip(&self.dataset.targets) {
            load(g, &mut self.eval, &self.params, theta, self.input, x);
            feedforward_into(g, &mut self.eval).map_err(|e| {
                format!("Training stopped: the weights no longer give finite numbers ({e}). Lower the learning rate.")
            })?;
            for (y, t) in self.eval.v[o..o + l].iter().zip(t) {
                let e = t - y;
                sum += 0.5 * e * e / var;
            }
        }
        let mean = sum / self.dataset.len() as f64;
        if mean.is_finite() {
            Ok(mean)
        } else {
            Err("Training stopped: the loss overflowed. Lower the learning rate.".into())
        }
    }
}

/// Write the params and the input into an evaluation point.
fn load(g: &Graph, pt: &mut Point, params: &[usize], theta: &[f64], input: usize, x: &[f64]) {
    let lay = g.layout();
    for &p in params {
        let r = lay.off[p]..lay.off[p] + lay.len[p];
        pt.v[r.clone()].copy_from_slice(&theta[r]);
    }
    pt.v[lay.off[input]..lay.off[input] + lay.len[input]].copy_from_slice(x);
}

fn check_config(c: &TrainConfig) -> Result<(), String> {
    if !(c.eta.is_finite() && c.eta > 0.0) {
        return Err(format!(
            "The inference rate is {} but must be a positive number.",
            c.eta
        ));
    }
    if !(c.lr.is_finite() && c.lr >= 0.0) {
        return Err(format!(
            "The learning rate is {} but must be a number ≥ 0.",
            c.lr
        ));
    }
    if c.batch == 0 {
        return Err("The batch size must be at least 1.".into());
    }
    Ok(())
}

/// What one learning step on the drawn graph did ([`learn_step`]).
#[derive(Clone, Debug, PartialEq)]
pub struct LearnReport {
    /// The tick whose PC gradient was used (0: the errors had not moved yet).
    pub at_step: usize,
    /// The learning rate `α`.
    pub lr: f64,
    /// How many param numbers changed.
    pub params: usize,
    /// `L` before the step.
    pub loss_before: f64,
    /// `L` after `θ ← θ − α·ĝ_θ` (the PC estimate): the session's new loss.
    pub loss_after: f64,
    /// `L` that backprop's step from the same `θ` (`θ − α·∂L/∂θ`) would give; `None` when
    /// that step leaves the domain (a square root of a negative, an overflow).
    pub loss_bp_step: Option<f64>,
    /// How far the PC estimate is from backprop's gradient over every param number,
    /// `‖ĝ − ∂L/∂θ‖ / ‖∂L/∂θ‖` (0: equal); `None` when backprop's gradient is zero.
    pub rel_err: Option<f64>,
}

/// One learning step on the session's own graph (`pc-math.md` §1.5): every param moves by
/// `−α·ĝ_θ`, with `ĝ_θ` the PC estimate of `∂L/∂θ` at the current tick ([`Session::pc_grad`]),
/// then the feedforward pass and backprop are recomputed and the session is back at step 0
/// with the new weights. On error (no param, a rate that is not a positive number, new weights
/// that leave the domain) the session is unchanged.
pub fn learn_step(s: &mut Session, lr: f64) -> Result<LearnReport, GraphError> {
    if !(lr.is_finite() && lr > 0.0) {
        return Err(GraphError::BadSetting {
            key: "learning_rate".into(),
            detail: format!("is {lr} but must be a positive number"),
        });
    }
    let params = s.params().to_vec();
    if params.is_empty() {
        return Err(GraphError::NoParams);
    }
    let mut pc_theta = Vec::with_capacity(params.len());
    let mut bp_graph = s.graph().clone();
    let (mut dd, mut bb, mut count) = (0.0, 0.0, 0);
    for &p in &params {
        let (theta, pc, bp) = (s.value(p), s.pc_grad(p), s.bp_grad(p));
        pc_theta.push(
            theta
                .iter()
                .zip(pc)
                .map(|(t, g)| t - lr * g)
                .collect::<Vec<f64>>(),
        );
        for (a, b) in pc.iter().zip(bp) {
            dd += (a - b) * (a - b);
            bb += b * b;
        }
        count += theta.len();
        if let Some(d) = bp_graph.leaf_data_mut(p) {
            for (t, g) in d.iter_mut().zip(bp) {
                *t -= lr * g;
            }
        }
    }
    let loss_bp_step = Reference::compute(&bp_graph)
        .ok()
        .map(|r| r.loss)
        .filter(|l| l.is_finite());
    let rel_err = (bb > 0.0)
        .then(|| (dd / bb).sqrt())
        .filter(|c| c.is_finite());
    let (at_step, loss_before) = (s.step(), s.loss());
    let leaves: Vec<(usize, &[f64])> = params
        .iter()
        .zip(&pc_theta)
        .map(|(&p, t)| (p, t.as_slice()))
        .collect();
    s.set_leaves(&leaves, None)?;
    Ok(LearnReport {
        at_step,
        lr,
        params: count,
        loss_before,
        loss_after: s.loss(),
        loss_bp_step,
        rel_err,
    })
}

/// The loss `L` over a grid of a graph's one or two scalar params around their current values
/// (everything else as it is): the landscape a learning step moves on (see [`landscape`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Landscape {
    /// The params on the axes (node indices; x first).
    pub params: Vec<usize>,
    /// Per axis: the current value and the grid's range.
    pub at: Vec<f64>,
    pub lo: Vec<f64>,
    pub hi: Vec<f64>,
    /// Points per axis.
    pub n: usize,
    /// `L` at the grid points (row-major, x fastest; `n` or `n·n` of them); `None` where the
    /// forward pass leaves the domain.
    pub loss: Vec<Option<f64>>,
}

impl Landscape {
    /// The grid value of axis `a` at index `k`.
    pub fn coord(&self, a: usize, k: usize) -> f64 {
        let t = if self.n > 1 {
            k as f64 / (self.n - 1) as f64
        } else {
            0.5
        };
        self.lo[a] + t * (self.hi[a] - self.lo[a])
    }
}

/// The landscape of a graph with one or two params, each a scalar: `n` points per axis over
/// the current value ± `max(0.5, |value|/2)`. `None` for other graphs (no param, more than
/// two, or a vector param): a picture of a higher-dimensional landscape would mislead.
pub fn landscape(s: &Session, n: usize) -> Option<Landscape> {
    let params = s.params().to_vec();
    if params.is_empty() || params.len() > 2 || n < 2 {
        return None;
    }
    if params.iter().any(|&p| s.value(p).len() != 1) {
        return None;
    }
    let at: Vec<f64> = params.iter().map(|&p| s.value(p)[0]).collect();
    let half: Vec<f64> = at.iter().map(|x| (x.abs() / 2.0).max(0.5)).collect();
    let mut l = Landscape {
        lo: at.iter().zip(&half).map(|(x, h)| x - h).collect(),
        hi: at.iter().zip(&half).map(|(x, h)| x + h).collect(),
        at,
        n,
        loss: vec![],
        params,
    };
    // one reference recomputed in place per grid point (no allocation per point)
    let mut work = s.graph().clone();
    let mut r = Reference::compute(&work).ok()?;
    let lay = work.layout();
    let (mut gz, mut scratch) = (vec![0.0; lay.max_len], vec![0.0; lay.max_len]);
    let cells = if l.params.len() == 1 { n } else { n * n };
    for c in 0..cells {
        for (a, &p) in l.params.iter().enumerate() {
            let k = if a == 0 { c % n } else { c / n };
            let x = l.coord(a, k);
            if let Some(d) = work.leaf_data_mut(p) {
                d[0] = x;
            }
        }
        let loss = r
            .recompute(&work, &mut gz, &mut scratch)
            .ok()
            .map(|_| r.loss)
            .filter(|x| x.is_finite());
        l.loss.push(loss);
    }
    Some(l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn landscapes_of_one_and_two_params_are_the_loss_on_a_grid() {
        // the paper's graph: θ alone; the chain: w1 (x) and w2 (y)
        for (key, dims) in [("paper", 1), ("chain", 2)] {
            let s = preset_session(key, Variant::FixedPred, 0.1);
            let l = landscape(&s, 9).unwrap();
            assert_eq!(l.params.len(), dims, "{key}");
            assert_eq!(l.loss.len(), 9usize.pow(dims as u32), "{key}");
            for (a, &p) in l.params.iter().enumerate() {
                let x = s.value(p)[0];
                assert_eq!(l.at[a], x);
                // the middle of the grid is the current value, whose loss is the session's
                assert!((l.coord(a, 4) - x).abs() < 1e-12 * (1.0 + x.abs()));
            }
            let mid = if dims == 1 { 4 } else { 4 * 9 + 4 };
            assert!((l.loss[mid].unwrap() - s.loss()).abs() < 1e-12, "{key}");
            // any other point: the loss of the graph with those values
            let (i, j) = (2, 7);
            let c = if dims == 1 { i } else { j * 9 + i };
            let mut g = s.graph().clone();
            g.leaf_data_mut(l.params[0]).unwrap()[0] = l.coord(0, i);
            if dims == 2 {
                g.leaf_data_mut(l.params[1]).unwrap()[0] = l.coord(1, j);
            }
            let want = Reference::compute(&g).unwrap().loss;
            assert_eq!(l.loss[c], Some(want), "{key}");
        }
        // more params, or a vector param: no landscape
        assert!(landscape(&preset_session("mlp231", Variant::FixedPred, 0.1), 9).is_none());
        assert!(landscape(&preset_session("rnn3", Variant::FixedPred, 0.1), 9).is_none());
    }

    #[test]
    fn a_landscape_has_holes_where_the_forward_pass_leaves_the_domain() {
        // y = √(w·x): w ≤ 0 gives no loss; the grid around w = 0.4 spans [−0.1, 0.9]
        let g = Graph::from_json(r#"{"format":1,"nodes":[{"id":"x","op":"input","value":1},{"id":"w","op":"param","value":0.4},{"id":"m","op":"mul","parents":["w","x"]},{"id":"y","op":"sqrt","parents":["m"]}],"output":"y","target":0}"#).unwrap();
        let s = Session::new(g, Variant::FixedPred, 0.1).unwrap();
        let l = landscape(&s, 11).unwrap();
        assert!((l.lo[0] + 0.1).abs() < 1e-12 && (l.hi[0] - 0.9).abs() < 1e-12);
        assert_eq!(l.loss[0], None);
        assert!(l.loss[1..].iter().all(|x| x.is_some()), "{:?}", l.loss);
    }

    fn preset_session(key: &str, variant: Variant, eta: f64) -> Session {
        let file = crate::engine::presets::get(key).unwrap().graph().unwrap();
        Session::new(Graph::from_file(&file).unwrap(), variant, eta).unwrap()
    }

    fn params_of(s: &Session) -> Vec<(usize, Vec<f64>, Vec<f64>)> {
        let g = s.graph();
        (0..g.nodes().len())
            .filter(|&i| g.nodes()[i].kind == NodeKind::Param)
            .map(|i| (i, s.value(i).to_vec(), s.bp_grad(i).to_vec()))
            .collect()
    }

    #[test]
    fn learn_step_after_zil_is_the_backprop_step() {
        for key in ["paper", "mlp231", "rnn3"] {
            let mut s = preset_session(key, Variant::Zil, 0.1);
            s.run(s.zil_depth() + 1);
            let at = s.step();
            assert!(at >= s.zil_depth(), "{key}");
            let before = params_of(&s);
            let lr = 0.05;
            let r = learn_step(&mut s, lr).unwrap();
            assert_eq!(r.at_step, at, "{key}");
            assert_eq!(s.step(), 0, "{key}: the session starts again");
            for (p, theta, bp) in &before {
                for ((new, t), g) in s.value(*p).iter().zip(theta).zip(bp) {
                    assert!(
                        (new - (t - lr * g)).abs() < 1e-12,
                        "{key}: {new} vs {t} − {lr}·{g}"
                    );
                }
            }
            let bp_loss = r.loss_bp_step.unwrap();
            assert!(
                (r.loss_after - bp_loss).abs() < 1e-12 * (1.0 + bp_loss),
                "{key}: {r:?}"
            );
            assert!(r.rel_err.unwrap() < 1e-9, "{key}: {r:?}");
            assert!(r.loss_after < r.loss_before, "{key}: {r:?}");
            assert_eq!(
                r.params,
                before.iter().map(|(_, t, _)| t.len()).sum::<usize>()
            );
        }
    }

    #[test]
    fn learn_step_uses_the_current_pc_estimate() {
        // fixed prediction at step 0: only the params feeding the output have a gradient yet
        let mut s = preset_session("mlp231", Variant::FixedPred, 0.1);
        let before = params_of(&s);
        let r = learn_step(&mut s, 0.1).unwrap();
        assert_eq!(r.at_step, 0);
        let moved = before
            .iter()
            .filter(|(p, t, _)| s.value(*p) != t.as_slice())
            .count();
        assert!(
            moved > 0 && moved < before.len(),
            "{moved} of {} params moved",
            before.len()
        );
        assert!(r.rel_err.unwrap() > 0.1, "{r:?}");
        // after relaxing, a small step lowers the loss nearly as much as backprop's
        let mut s = preset_session("paper", Variant::FixedPred, 0.1);
        s.relax_until_settled(1e-12, 100_000);
        let r = learn_step(&mut s, 0.01).unwrap();
        let bp = r.loss_bp_step.unwrap();
        assert!(r.loss_after < r.loss_before, "{r:?}");
        assert!((r.loss_after - bp).abs() < 1e-6, "{r:?}");
        assert!(r.rel_err.unwrap() < 1e-6, "{r:?}");
    }

    #[test]
    fn learn_step_refusals_leave_the_session_unchanged() {
        let mut s = preset_session("paper", Variant::FixedPred, 0.1);
        s.run(7);
        for lr in [0.0, -0.1, f64::NAN, f64::INFINITY] {
            let e = learn_step(&mut s, lr).unwrap_err();
            assert!(e.to_string().contains("learning_rate"), "{e}");
        }
        let before = (s.step(), s.value(1).to_vec(), s.loss());
        // a step past w = 0 puts w·x < 0 under the square root: refused, session unchanged
        let sqrt_graph = r#"{"format":1,"nodes":[{"id":"x","op":"input","value":1},{"id":"w","op":"param","value":1},{"id":"m","op":"mul","parents":["w","x"]},{"id":"y","op":"sqrt","parents":["m"]}],"output":"y","target":0}"#;
        let mut q = Session::new(
            Graph::from_json(sqrt_graph).unwrap(),
            Variant::FixedPred,
            0.1,
        )
        .unwrap();
        q.relax_until_settled(1e-12, 100_000);
        let (step, g) = (q.step(), q.pc_grad(1)[0]);
        assert!((g - 0.5).abs() < 1e-6, "∂L/∂w = 1/2, PC says {g}");
        let e = learn_step(&mut q, 4.0).unwrap_err();
        assert!(
            matches!(e, GraphError::SqrtNegative { ref node, .. } if node == "y"),
            "{e}"
        );
        assert_eq!((q.step(), q.value(1)), (step, &[1.0][..]));
        assert_eq!((s.step(), s.value(1).to_vec(), s.loss()), before);
        // no param at all
        let mut s = Session::new(
            Graph::from_json(r#"{"format":1,"nodes":[{"id":"x","op":"input","value":1},{"id":"y","op":"tanh","parents":["x"]}],"output":"y","target":0.5}"#).unwrap(),
            Variant::FixedPred,
            0.1,
        )
        .unwrap();
        let e = learn_step(&mut s, 0.1).unwrap_err();
        assert_eq!(e, GraphError::NoParams);
        assert!(e.to_string().contains("no param node"), "{e}");
    }

    fn train(t: &mut Trainer, max_epochs: usize, goal: f64) -> Option<usize> {
        for _ in 0..max_epochs {
            let s = t.step_epoch().unwrap();
            if s.loss_pc < goal && s.loss_bp < goal {
                return Some(s.epoch);
            }
        }
        None
    }

    #[test]
    fn built_in_trainers_build() {
        for k in DatasetKind::ALL {
            let t = Trainer::for_dataset(k, 1);
            assert!(t.initial_loss().is_some_and(|(a, _)| a.is_finite()));
            let p = t.predict(ParamsKind::Pc, &t.dataset().inputs[0]);
            assert_eq!(p.len(), 1);
            assert!(t.predict(ParamsKind::Pc, &[]).is_empty());
            assert_eq!(DatasetKind::from_name(k.name()), Some(k));
        }
    }

    #[test]
    fn xor_learns_with_pc_and_bp() {
        let mut t = Trainer::for_dataset(DatasetKind::Xor, 7);
        let e = train(&mut t, 3000, 0.05);
        assert!(e.is_some(), "last: {:?}", t.history().last());
        eprintln!("XOR: mean loss < 0.05 (PC and BP) after {e:?} epochs");
        let s = t.history().last().unwrap();
        assert!(s.cosine > 0.95, "{s:?}");
        assert_eq!(s.diverged, 0);
        // the predictions classify the four corners
        for (x, y) in t.dataset().inputs.iter().zip(&t.dataset().targets) {
            for w in [ParamsKind::Pc, ParamsKind::Bp] {
                let p = t.predict(w, x)[0];
                assert!((p - y[0]).abs() < 0.4, "{w:?} {x:?} → {p}");
            }
        }
    }

    #[test]
    fn same_seed_same_history() {
        let run = |seed| {
            let mut t = Trainer::for_dataset(DatasetKind::TwoMoons, seed);
            (0..3).map(|_| t.step_epoch().unwrap()).collect::<Vec<_>>()
        };
        let a = run(3);
        assert_eq!(a, run(3));
        assert_ne!(a, run(4));
        // reset reproduces the history too
        let mut t = Trainer::for_dataset(DatasetKind::Sine, 5);
        let h1: Vec<_> = (0..2).map(|_| t.step_epoch().unwrap()).collect();
        t.reset();
        let h2: Vec<_> = (0..2).map(|_| t.step_epoch().unwrap()).collect();
        assert_eq!(h1, h2);
    }

    #[test]
    fn pc_update_matches_bp_with_enough_ticks() {
        let mut t = Trainer::for_dataset(DatasetKind::TwoMoons, 2);
        let c = TrainConfig {
            ticks: 300,
            eta: 0.5,
            ..*t.config()
        };
        t.set_config(c).unwrap();
        let s = t.step_epoch().unwrap();
        assert!(s.cosine > 0.99, "{s:?}");
        // identical weights after one PC and one BP step from the same start, to 1e-6
        let mut t = Trainer::for_dataset(DatasetKind::Sine, 2);
        t.set_config(TrainConfig {
            ticks: 400,
            eta: 0.5,
            batch: 1,
            ..*t.config()
        })
        .unwrap();
        t.step_batch().unwrap();
        for &p in t.params() {
            for (a, b) in t
                .param(ParamsKind::Pc, p)
                .iter()
                .zip(t.param(ParamsKind::Bp, p))
            {
                assert!((a - b).abs() < 1e-9, "{a} vs {b}");
            }
        }
        // too few ticks is measurably worse than many
        let mut t = Trainer::for_dataset(DatasetKind::TwoMoons, 2);
        t.set_config(TrainConfig {
            ticks: 1,
            eta: 0.05,
            ..*t.config()
        })
        .unwrap();
        let s1 = t.step_epoch().unwrap();
        assert!(s1.cosine < 0.99, "{s1:?}");
    }

    #[test]
    fn exact_variants_equal_bp_update() {
        for v in [Variant::FixedPredEta1, Variant::Zil] {
            let mut t = Trainer::for_dataset(DatasetKind::Xor, 9);
            t.set_config(TrainConfig {
                variant: v,
                ..*t.config()
            })
            .unwrap();
            let s = t.step_epoch().unwrap();
            assert!(s.cosine > 1.0 - 1e-9, "{v:?}: {s:?}");
            assert!((s.loss_pc - s.loss_bp).abs() < 1e-9, "{v:?}: {s:?}");
        }
    }

    #[test]
    fn strict_pc_lowers_the_loss() {
        let mut t = Trainer::for_dataset(DatasetKind::Xor, 7);
        t.set_config(TrainConfig {
            variant: Variant::Strict,
            ..*t.config()
        })
        .unwrap();
        let (l0, _) = t.initial_loss().unwrap();
        let mut last = l0;
        for _ in 0..300 {
            last = t.step_epoch().unwrap().loss_pc;
        }
        assert!(last < 0.5 * l0, "{l0} → {last}");
    }

    #[test]
    fn sine_and_moons_learn() {
        let mut t = Trainer::for_dataset(DatasetKind::Sine, 1);
        let (l0, _) = t.initial_loss().unwrap();
        for _ in 0..300 {
            t.step_epoch().unwrap();
        }
        let s = t.history().last().unwrap();
        assert!(s.loss_pc < 0.2 * l0 && s.loss_bp < 0.2 * l0, "{l0}: {s:?}");
        let mut t = Trainer::for_dataset(DatasetKind::TwoMoons, 1);
        let (l0, _) = t.initial_loss().unwrap();
        for _ in 0..100 {
            t.step_epoch().unwrap();
        }
        let s = t.history().last().unwrap();
        assert!(s.loss_pc < 0.5 * l0 && s.loss_bp < 0.5 * l0, "{l0}: {s:?}");
    }

    #[test]
    fn bad_settings_are_refused_and_overflow_stops() {
        let mut t = Trainer::for_dataset(DatasetKind::Sine, 1);
        for c in [
            TrainConfig {
                eta: 0.0,
                ..*t.config()
            },
            TrainConfig {
                lr: f64::NAN,
                ..*t.config()
            },
            TrainConfig {
                batch: 0,
                ..*t.config()
            },
        ] {
            assert!(t.set_config(c).is_err());
        }
        t.set_config(TrainConfig {
            lr: 1e300,
            ..*t.config()
        })
        .unwrap();
        let mut err = None;
        for _ in 0..20 {
            if let Err(e) = t.step_epoch() {
                err = Some(e);
                break;
            }
        }
        let e = err.expect("a huge learning rate must stop training");
        assert!(e.contains("learning rate"), "{e}");
        assert!(t.stopped().is_some());
        assert!(t.step_batch().is_err());
        for x in &t.dataset().inputs.clone() {
            assert!(t.predict(ParamsKind::Bp, x).iter().all(|v| v.is_finite()));
        }
        t.set_config(TrainConfig {
            lr: 0.5,
            ..*t.config()
        })
        .unwrap();
        t.reset();
        assert!(t.stopped().is_none());
        assert!(t.step_epoch().is_ok());
        // a dataset of the wrong size is refused
        let g = Graph::from_file(&mlp_file(&[2, 3, 1], "tanh", None, 1)).unwrap();
        assert!(Trainer::new(g, datasets::sine(4, 1), t.config).is_err());
    }
}
