//! Every op of the graph format: its forward pass and its local vector-Jacobian product (VJP),
//! side by side, micrograd style.
//!
//! * [`Elementwise`]: the one-argument functions (`tanh`, `sin`, …) with their derivatives. They
//!   serve as unary ops, as `act` (after the op) and as `pre` (on one parent slot).
//! * [`Op`]: the node ops. [`forward`] computes `z = op(args)`; [`vjp`] adds `J_slotᵀ g` to an
//!   accumulator, **evaluated at the argument values passed in** (the parent values: feedforward
//!   under fixed prediction, current under strict; `pc-math.md` §1.7).
//! * [`node_forward`] / [`node_vjp`]: one whole node, `act(op(pre_1(p_1), …))`, on the flat
//!   buffers of a [`Layout`](super::graph::Layout). These never allocate.
use super::backprop::Point;
use super::graph::{Graph, Layout};
use super::tensor::Shape;

/// A borrowed argument: its shape and its data.
#[derive(Clone, Copy, Debug)]
pub struct View<'a> {
    pub shape: Shape,
    pub data: &'a [f64],
}

/// A one-argument elementwise function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Elementwise {
    Tanh,
    Sigmoid,
    Relu,
    Sin,
    Cos,
    Exp,
    Square,
    Sqrt,
    Tan,
    Identity,
}

impl Elementwise {
    /// All functions, in the order of the format documentation.
    pub const ALL: [Elementwise; 10] = [
        Elementwise::Tanh,
        Elementwise::Sigmoid,
        Elementwise::Relu,
        Elementwise::Sin,
        Elementwise::Cos,
        Elementwise::Exp,
        Elementwise::Square,
        Elementwise::Sqrt,
        Elementwise::Tan,
        Elementwise::Identity,
    ];

    /// Parse a file name (`"tanh"`, …).
    pub fn parse(name: &str) -> Option<Elementwise> {
        Self::ALL.iter().copied().find(|e| e.name() == name)
    }

    /// The file name.
    pub fn name(self) -> &'static str {
        match self {
            Elementwise::Tanh => "tanh",
            Elementwise::Sigmoid => "sigmoid",
            Elementwise::Relu => "relu",
            Elementwise::Sin => "sin",
            Elementwise::Cos => "cos",
            Elementwise::Exp => "exp",
            Elementwise::Square => "square",
            Elementwise::Sqrt => "sqrt",
            Elementwise::Tan => "tan",
            Elementwise::Identity => "identity",
        }
    }

    /// `g(x)`.
    #[inline]
    pub fn f(self, x: f64) -> f64 {
        match self {
            Elementwise::Tanh => x.tanh(),
            Elementwise::Sigmoid => sigmoid(x),
            Elementwise::Relu => {
                if x > 0.0 {
                    x
                } else {
                    0.0
                }
            }
            Elementwise::Sin => x.sin(),
            Elementwise::Cos => x.cos(),
            Elementwise::Exp => x.exp(),
            Elementwise::Square => x * x,
            Elementwise::Sqrt => x.sqrt(),
            Elementwise::Tan => x.tan(),
            Elementwise::Identity => x,
        }
    }

    /// `g'(x)`, at the argument `x` (never at the output).
    #[inline]
    pub fn df(self, x: f64) -> f64 {
        match self {
            Elementwise::Tanh => {
                let t = x.tanh();
                1.0 - t * t
            }
            Elementwise::Sigmoid => {
                let s = sigmoid(x);
                s * (1.0 - s)
            }
            // relu'(0) = 0, as in the reference implementation.
            Elementwise::Relu => {
                if x > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Elementwise::Sin => x.cos(),
            Elementwise::Cos => -x.sin(),
            Elementwise::Exp => x.exp(),
            Elementwise::Square => 2.0 * x,
            Elementwise::Sqrt => 0.5 / x.sqrt(),
            Elementwise::Tan => {
                let t = x.tan();
                1.0 + t * t
            }
            Elementwise::Identity => 1.0,
        }
    }

    /// True when `x` is outside the real domain (only `sqrt` of a negative number).
    #[inline]
    pub fn out_of_domain(self, x: f64) -> bool {
        matches!(self, Elementwise::Sqrt) && x < 0.0
    }
}

#[inline]
fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// A computed node's op.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// n-ary sum with broadcasting.
    Add,
    /// `p − q` with broadcasting.
    Sub,
    /// `p ⊙ q` with broadcasting.
    Mul,
    /// `A @ B`, 1-D or 2-D operands (numpy rules; two vectors give a scalar).
    Matmul,
    /// `W @ x` or `W @ x + b`.
    Linear,
    /// All elements to a scalar.
    Sum,
    /// A one-parent elementwise function.
    Unary(Elementwise),
}

impl Op {
    /// Parse a computed op name; `None` for leaves and unknown names.
    pub fn parse(name: &str) -> Option<Op> {
        Some(match name {
            "add" => Op::Add,
            "sub" => Op::Sub,
            "mul" => Op::Mul,
            "matmul" => Op::Matmul,
            "linear" => Op::Linear,
            "sum" => Op::Sum,
            other => Op::Unary(Elementwise::parse(other)?),
        })
    }

    /// The file name of the op.
    pub fn name(self) -> &'static str {
        match self {
            Op::Add => "add",
            Op::Sub => "sub",
            Op::Mul => "mul",
            Op::Matmul => "matmul",
            Op::Linear => "linear",
            Op::Sum => "sum",
            Op::Unary(e) => e.name(),
        }
    }

    /// A phrase for the allowed number of parents, or `None` when `n` is allowed.
    pub fn arity_error(self, n: usize) -> Option<&'static str> {
        let ok = match self {
            Op::Add => n >= 1,
            Op::Sub | Op::Mul | Op::Matmul => n == 2,
            Op::Linear => n == 2 || n == 3,
            Op::Sum | Op::Unary(_) => n == 1,
        };
        if ok {
            return None;
        }
        Some(match self {
            Op::Add => "at least one parent",
            Op::Sub | Op::Mul | Op::Matmul => "exactly two parents",
            Op::Linear => "two parents [W, x] or three [W, x, b]",
            Op::Sum | Op::Unary(_) => "exactly one parent",
        })
    }

    /// The output shape for argument shapes `args` (arity already checked), or a reason.
    pub fn infer_shape(self, args: &[Shape]) -> Result<Shape, String> {
        match self {
            Op::Add | Op::Sub | Op::Mul => {
                let mut s = *args.first().ok_or("it has no parents")?;
                for (k, a) in args.iter().enumerate().skip(1) {
                    s = Shape::broadcast(s, *a).ok_or_else(|| {
                        format!(
                            "parent {} ({}) does not broadcast with the parents before it ({})",
                            k + 1,
                            a,
                            s
                        )
                    })?;
                }
                Ok(s)
            }
            Op::Matmul | Op::Linear => {
                let (a, b) = match args {
                    [a, b, ..] => (*a, *b),
                    _ => return Err("it needs two parents".into()),
                };
                let (_, _, _, out) = matmul_dims(a, b).ok_or_else(|| {
                    format!("cannot multiply {a} by {b} (inner sizes must agree)")
                })?;
                if let (Op::Linear, Some(bias)) = (self, args.get(2)) {
                    if Shape::broadcast(out, *bias) != Some(out) {
                        return Err(format!(
                            "the bias ({bias}) does not fit the product ({out})"
                        ));
                    }
                }
                Ok(out)
            }
            Op::Sum => Ok(Shape::Scalar),
            Op::Unary(_) => args
                .first()
                .copied()
                .ok_or_else(|| "it has no parent".into()),
        }
    }
}

/// `(m, n, p, out)` for `A @ B`: A is m×n (a vector is a 1×n row), B is n×p (a vector is an
/// n×1 column).
pub fn matmul_dims(a: Shape, b: Shape) -> Option<(usize, usize, usize, Shape)> {
    match (a, b) {
        (Shape::Vector(n), Shape::Vector(n2)) if n == n2 => Some((1, n, 1, Shape::Scalar)),
        (Shape::Matrix(m, n), Shape::Vector(n2)) if n == n2 => Some((m, n, 1, Shape::Vector(m))),
        (Shape::Vector(n), Shape::Matrix(n2, p)) if n == n2 => Some((1, n, p, Shape::Vector(p))),
        (Shape::Matrix(m, n), Shape::Matrix(n2, p)) if n == n2 => {
            Some((m, n, p, Shape::Matrix(m, p)))
        }
        _ => None,
    }
}

/// `Σ x_k y_k` with four independent partial sums (so it vectorises).
#[inline]
fn dot(x: &[f64], y: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let (xc, yc) = (x.chunks_exact(4), y.chunks_exact(4));
    let tail: f64 = xc
        .remainder()
        .iter()
        .zip(yc.remainder())
        .map(|(a, b)| a * b)
        .sum();
    for (a, b) in xc.zip(yc) {
        for k in 0..4 {
            acc[k] += a[k] * b[k];
        }
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// `out = A @ B` (overwrites `out`).
fn matmul_forward(a: View, b: View, out: &mut [f64]) {
    let Some((m, n, p, _)) = matmul_dims(a.shape, b.shape) else {
        return;
    };
    if p == 1 {
        for (i, o) in out.iter_mut().enumerate().take(m) {
            *o = dot(&a.data[i * n..(i + 1) * n], b.data);
        }
        return;
    }
    out.iter_mut().for_each(|o| *o = 0.0);
    for i in 0..m {
        let orow = &mut out[i * p..(i + 1) * p];
        for j in 0..n {
            let aij = a.data[i * n + j];
            let brow = &b.data[j * p..(j + 1) * p];
            for (o, bv) in orow.iter_mut().zip(brow) {
                *o += aij * bv;
            }
        }
    }
}

/// VJP of `A @ B`: slot 0 gets `G Bᵀ`, slot 1 gets `Aᵀ G` (added to `acc`).
fn matmul_vjp(slot: usize, a: View, b: View, g: &[f64], acc: &mut [f64]) {
    let Some((m, n, p, _)) = matmul_dims(a.shape, b.shape) else {
        return;
    };
    if slot == 0 {
        // dA[i, j] += Σ_k G[i, k] B[j, k]
        for i in 0..m {
            let arow = &mut acc[i * n..(i + 1) * n];
            if p == 1 {
                let gi = g[i];
                for (d, bj) in arow.iter_mut().zip(b.data) {
                    *d += gi * bj;
                }
            } else {
                let grow = &g[i * p..(i + 1) * p];
                for (j, d) in arow.iter_mut().enumerate() {
                    let brow = &b.data[j * p..(j + 1) * p];
                    *d += grow.iter().zip(brow).map(|(x, y)| x * y).sum::<f64>();
                }
            }
        }
    } else {
        // dB[j, k] += Σ_i A[i, j] G[i, k]
        let mut first = 0;
        if p == 1 && acc.len() >= n && a.data.len() >= m * n {
            // Aᵀg, four rows at a time: a quarter of the loads and stores of `acc` (the hot
            // loop of a layered network's relaxation; vectorises natively and in wasm)
            let acc = &mut acc[..n];
            while first + 4 <= m {
                let i = first;
                let (g0, g1, g2, g3) = (g[i], g[i + 1], g[i + 2], g[i + 3]);
                let r0 = &a.data[i * n..(i + 1) * n];
                let r1 = &a.data[(i + 1) * n..(i + 2) * n];
                let r2 = &a.data[(i + 2) * n..(i + 3) * n];
                let r3 = &a.data[(i + 3) * n..(i + 4) * n];
                for ((((d, x0), x1), x2), x3) in acc.iter_mut().zip(r0).zip(r1).zip(r2).zip(r3) {
                    *d += (x0 * g0 + x1 * g1) + (x2 * g2 + x3 * g3);
                }
                first += 4;
            }
        }
        for i in first..m {
            let arow = &a.data[i * n..(i + 1) * n];
            if p == 1 {
                let gi = g[i];
                for (d, aij) in acc.iter_mut().zip(arow) {
                    *d += aij * gi;
                }
            } else {
                let grow = &g[i * p..(i + 1) * p];
                for (j, aij) in arow.iter().enumerate() {
                    let drow = &mut acc[j * p..(j + 1) * p];
                    for (d, gk) in drow.iter_mut().zip(grow) {
                        *d += aij * gk;
                    }
                }
            }
        }
    }
}

/// `z = op(args)`: the forward pass of one op, written into `out` (shape `out_shape`).
///
/// `arg(k)` returns argument `k` of `n` (after any `pre`).
pub fn forward<'a>(
    op: Op,
    n: usize,
    arg: impl Fn(usize) -> View<'a>,
    out_shape: Shape,
    out: &mut [f64],
) {
    let (r, c) = out_shape.dims2();
    match op {
        // z = Σ_k p_k (broadcast)
        Op::Add => {
            out.iter_mut().for_each(|o| *o = 0.0);
            for k in 0..n {
                let a = arg(k);
                if a.shape == out_shape {
                    out.iter_mut().zip(a.data).for_each(|(o, x)| *o += x);
                } else {
                    for i in 0..r {
                        for j in 0..c {
                            out[i * c + j] += a.data[a.shape.broadcast_index(i, j)];
                        }
                    }
                }
            }
        }
        // z = p − q, z = p ⊙ q (broadcast)
        Op::Sub | Op::Mul => {
            let (a, b) = (arg(0), arg(1));
            for i in 0..r {
                for j in 0..c {
                    let x = a.data[a.shape.broadcast_index(i, j)];
                    let y = b.data[b.shape.broadcast_index(i, j)];
                    out[i * c + j] = if op == Op::Sub { x - y } else { x * y };
                }
            }
        }
        // z = A @ B
        Op::Matmul => matmul_forward(arg(0), arg(1), out),
        // z = W @ x (+ b)
        Op::Linear => {
            matmul_forward(arg(0), arg(1), out);
            if n == 3 {
                let b = arg(2);
                for i in 0..r {
                    for j in 0..c {
                        out[i * c + j] += b.data[b.shape.broadcast_index(i, j)];
                    }
                }
            }
        }
        // z = Σ p
        Op::Sum => {
            if let Some(o) = out.first_mut() {
                *o = arg(0).data.iter().sum();
            }
        }
        // z = g(p)
        Op::Unary(e) => {
            for (o, x) in out.iter_mut().zip(arg(0).data) {
                *o = e.f(*x);
            }
        }
    }
}

/// VJP of one op for argument `slot`: `acc += J_slotᵀ g`, where `g` is the gradient with
/// respect to `z = op(args)` (shape `out_shape`) and `acc` has the shape of argument `slot`.
/// Broadcast arguments get `g` summed back over the broadcast axes.
pub fn vjp<'a>(
    op: Op,
    slot: usize,
    arg: impl Fn(usize) -> View<'a>,
    out_shape: Shape,
    g: &[f64],
    acc: &mut [f64],
) {
    let (r, c) = out_shape.dims2();
    match op {
        // each p_k gets g; sub: p gets g, q gets −g
        Op::Add | Op::Sub => {
            let a = arg(slot);
            let sign = if op == Op::Sub && slot == 1 {
                -1.0
            } else {
                1.0
            };
            if a.shape == out_shape {
                acc.iter_mut().zip(g).for_each(|(d, x)| *d += sign * x);
            } else {
                for i in 0..r {
                    for j in 0..c {
                        acc[a.shape.broadcast_index(i, j)] += sign * g[i * c + j];
                    }
                }
            }
        }
        // p gets g ⊙ q, q gets g ⊙ p
        Op::Mul => {
            let me = arg(slot);
            let other = arg(1 - slot.min(1));
            for i in 0..r {
                for j in 0..c {
                    acc[me.shape.broadcast_index(i, j)] +=
                        g[i * c + j] * other.data[other.shape.broadcast_index(i, j)];
                }
            }
        }
        // A gets G Bᵀ, B gets Aᵀ G
        Op::Matmul => matmul_vjp(slot, arg(0), arg(1), g, acc),
        // W gets G xᵀ, x gets Wᵀ G, b gets G (summed over broadcast axes)
        Op::Linear => {
            if slot < 2 {
                matmul_vjp(slot, arg(0), arg(1), g, acc);
            } else {
                let b = arg(2);
                for i in 0..r {
                    for j in 0..c {
                        acc[b.shape.broadcast_index(i, j)] += g[i * c + j];
                    }
                }
            }
        }
        // p gets g · 1
        Op::Sum => {
            let g0 = g.first().copied().unwrap_or(0.0);
            acc.iter_mut().for_each(|d| *d += g0);
        }
        // p gets g ⊙ g'(p)
        Op::Unary(e) => {
            for ((d, gi), x) in acc.iter_mut().zip(g).zip(arg(0).data) {
                *d += gi * e.df(*x);
            }
        }
    }
}

/// Mutable views of the intermediates [`node_forward`] writes (whole buffers on the layout):
/// `pre`/`dpre` per edge (indexed by [`Layout::pre_off`]), `z`/`dact`/`dop` per node (indexed
/// by [`Layout::off`]).
pub struct Intermediates<'a> {
    /// `pre_s(p_s)` for slots with a pre.
    pub pre: &'a mut [f64],
    /// `pre_s'(p_s)` for slots with a pre.
    pub dpre: &'a mut [f64],
    /// The pre-activation `z = op(args)` of act nodes.
    pub z: &'a mut [f64],
    /// `act'(z)` of act nodes.
    pub dact: &'a mut [f64],
    /// `g'(arg)` of unary-op nodes.
    pub dop: &'a mut [f64],
}

/// The whole node `j`: `act(op(pre_1(p_1), …, pre_n(p_n)))`, computed from the parent values in
/// `src` (indexed by [`Layout::off`]; only parents are read, so `src` may end where node `j`
/// starts). Writes the node value into `out` and the intermediates the VJP needs (the pre'd
/// parents and the local derivatives) into `im`.
pub fn node_forward(g: &Graph, j: usize, src: &[f64], im: Intermediates, out: &mut [f64]) {
    let lay = g.layout();
    let node = &g.nodes()[j];
    let Some(op) = node.op_kind else { return };
    let (o, n) = (lay.off[j], lay.len[j]);
    // 1. pre on each parent slot
    for (s, &p) in node.parents.iter().enumerate() {
        if let Some(e) = node.pre_fns.get(s).copied().flatten() {
            let po = lay.pre_off[lay.edge_start[j] + s];
            let src_p = &src[lay.off[p]..lay.off[p] + lay.len[p]];
            let r = po..po + lay.len[p];
            for ((d, dd), x) in im.pre[r.clone()].iter_mut().zip(&mut im.dpre[r]).zip(src_p) {
                *d = e.f(*x);
                *dd = e.df(*x);
            }
        }
    }
    let pre = &*im.pre;
    let arg = |s: usize| arg_view(g, lay, j, s, src, pre);
    if let Op::Unary(e) = op {
        for (d, x) in im.dop[o..o + n].iter_mut().zip(arg(0).data) {
            *d = e.df(*x);
        }
    }
    // 2. the op, 3. act
    match node.act_fn {
        Some(act) => {
            let z = &mut im.z[o..o + n];
            forward(op, node.parents.len(), arg, node.shape, z);
            for ((y, d), x) in out.iter_mut().zip(&mut im.dact[o..o + n]).zip(z.iter()) {
                *y = act.f(*x);
                *d = act.df(*x);
            }
        }
        None => forward(op, node.parents.len(), arg, node.shape, out),
    }
}

/// Argument `s` of node `j` as the op sees it: the `pre`-transformed copy if the slot has a
/// `pre`, else the parent's value in `src`.
#[inline]
fn arg_view<'a>(
    g: &'a Graph,
    lay: &Layout,
    j: usize,
    s: usize,
    src: &'a [f64],
    pre: &'a [f64],
) -> View<'a> {
    let node = &g.nodes()[j];
    let p = node.parents[s];
    let shape = g.nodes()[p].shape;
    let len = lay.len[p];
    let data = if node.pre_fns.get(s).copied().flatten().is_some() {
        let po = lay.pre_off[lay.edge_start[j] + s];
        &pre[po..po + len]
    } else {
        &src[lay.off[p]..lay.off[p] + len]
    };
    View { shape, data }
}

/// Which parent slots [`node_vjp`] serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slots {
    /// Every parent.
    All,
    /// Only computed parents (the value-node feedback).
    Computed,
    /// Only leaf parents (the PC gradient estimates).
    Leaves,
}

/// The whole node's VJP: for every parent slot `s` of node `j` selected by `slots`, add
/// `sign · J_{j←p_s}ᵀ xi_j` into `acc[p_s]`, evaluated at the point `at` (its values and the
/// intermediates [`node_forward`] stored there): `act'(z_j)` first, then the op's VJP, then
/// `pre_s'(p_s)`.
///
/// `gz` (length ≥ node size) and `scratch` (length ≥ largest parent) are scratch space.
/// `acc` is indexed by [`Layout::off`] and only parent regions are written.
#[allow(clippy::too_many_arguments)]
pub fn node_vjp(
    g: &Graph,
    j: usize,
    at: &Point,
    xi_j: &[f64],
    sign: f64,
    slots: Slots,
    gz: &mut [f64],
    scratch: &mut [f64],
    acc: &mut [f64],
) {
    let lay = g.layout();
    let nodes = g.nodes();
    let node = &nodes[j];
    let Some(op) = node.op_kind else { return };
    let wanted = |p: usize| match slots {
        Slots::All => true,
        Slots::Computed => !nodes[p].is_leaf(),
        Slots::Leaves => nodes[p].is_leaf(),
    };
    if !node.parents.iter().any(|&p| wanted(p)) {
        return;
    }
    let (o, n) = (lay.off[j], lay.len[j]);
    let gz = &mut gz[..n];
    // act: g = sign · ξ ⊙ act'(z)
    match node.act_fn {
        Some(_) => {
            for ((d, x), da) in gz.iter_mut().zip(xi_j).zip(&at.dact[o..o + n]) {
                *d = sign * x * da;
            }
        }
        None => {
            for (d, x) in gz.iter_mut().zip(xi_j) {
                *d = sign * x;
            }
        }
    }
    let gz = &*gz;
    let arg = |s: usize| arg_view(g, lay, j, s, &at.v, &at.pre);
    for (s, &p) in node.parents.iter().enumerate() {
        if !wanted(p) {
            continue;
        }
        let (po, pl) = (lay.off[p], lay.len[p]);
        let pre_fn = node.pre_fns.get(s).copied().flatten();
        let target: &mut [f64] = if pre_fn.is_some() {
            let tmp = &mut scratch[..pl];
            tmp.iter_mut().for_each(|t| *t = 0.0);
            tmp
        } else {
            &mut acc[po..po + pl]
        };
        if let Op::Unary(_) = op {
            // the cached g'(arg) of this point
            for ((d, gi), dd) in target.iter_mut().zip(gz).zip(&at.dop[o..o + n]) {
                *d += gi * dd;
            }
        } else {
            vjp(op, s, arg, node.shape, gz, target);
        }
        if pre_fn.is_some() {
            let eo = lay.pre_off[lay.edge_start[j] + s];
            for ((d, t), dp) in acc[po..po + pl]
                .iter_mut()
                .zip(scratch[..pl].iter())
                .zip(&at.dpre[eo..eo + pl])
            {
                *d += t * dp;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivatives_match_finite_differences() {
        for e in Elementwise::ALL {
            for &x in &[0.3, 0.7, 1.1, -0.4] {
                if e.out_of_domain(x) {
                    continue;
                }
                let h = 1e-6;
                let fd = (e.f(x + h) - e.f(x - h)) / (2.0 * h);
                assert!(
                    (fd - e.df(x)).abs() < 1e-6 * (1.0 + fd.abs()),
                    "{} at {x}: fd {fd} vs {}",
                    e.name(),
                    e.df(x)
                );
            }
        }
        assert_eq!(Elementwise::Relu.df(0.0), 0.0);
        assert!(Elementwise::Sqrt.out_of_domain(-1.0));
    }

    #[test]
    fn matmul_shapes() {
        use Shape::*;
        assert_eq!(matmul_dims(Vector(3), Vector(3)).map(|d| d.3), Some(Scalar));
        assert_eq!(
            matmul_dims(Matrix(2, 3), Vector(3)).map(|d| d.3),
            Some(Vector(2))
        );
        assert_eq!(
            matmul_dims(Vector(2), Matrix(2, 4)).map(|d| d.3),
            Some(Vector(4))
        );
        assert_eq!(
            matmul_dims(Matrix(2, 3), Matrix(3, 4)).map(|d| d.3),
            Some(Matrix(2, 4))
        );
        assert!(matmul_dims(Matrix(2, 3), Vector(2)).is_none());
        assert!(Op::Linear
            .infer_shape(&[Matrix(2, 3), Vector(3), Vector(3)])
            .is_err());
        assert_eq!(
            Op::Linear.infer_shape(&[Matrix(2, 3), Vector(3), Scalar]),
            Ok(Vector(2))
        );
    }

    #[test]
    fn matvec_vjp_unrolled_rows_match_the_naive_sum() {
        // 7 rows: one block of four plus three remainder rows
        let (m, n) = (7, 5);
        let a: Vec<f64> = (0..m * n)
            .map(|k| ((k * 37 % 11) as f64 - 5.0) / 3.0)
            .collect();
        let x = vec![0.5; n];
        let g: Vec<f64> = (0..m).map(|i| (i as f64 - 2.5) * 0.7).collect();
        let va = View {
            shape: Shape::Matrix(m, n),
            data: &a,
        };
        let vx = View {
            shape: Shape::Vector(n),
            data: &x,
        };
        let mut acc = vec![1.0; n];
        matmul_vjp(1, va, vx, &g, &mut acc);
        for j in 0..n {
            let want: f64 = 1.0 + (0..m).map(|i| a[i * n + j] * g[i]).sum::<f64>();
            assert!((acc[j] - want).abs() < 1e-12, "{j}: {} vs {want}", acc[j]);
        }
    }

    #[test]
    fn matmul_forward_and_vjp_by_hand() {
        // A 2×2, B 2×2: C = A B
        let a = [1.0, 2.0, 3.0, 4.0];
        let b = [5.0, 6.0, 7.0, 8.0];
        let va = View {
            shape: Shape::Matrix(2, 2),
            data: &a,
        };
        let vb = View {
            shape: Shape::Matrix(2, 2),
            data: &b,
        };
        let arg = |k: usize| if k == 0 { va } else { vb };
        let mut c = [0.0; 4];
        forward(Op::Matmul, 2, arg, Shape::Matrix(2, 2), &mut c);
        assert_eq!(c, [19.0, 22.0, 43.0, 50.0]);
        // d(sum C)/dA = 1 Bᵀ: rows are row sums of B
        let g = [1.0; 4];
        let mut da = [0.0; 4];
        vjp(Op::Matmul, 0, arg, Shape::Matrix(2, 2), &g, &mut da);
        assert_eq!(da, [11.0, 15.0, 11.0, 15.0]);
        let mut db = [0.0; 4];
        vjp(Op::Matmul, 1, arg, Shape::Matrix(2, 2), &g, &mut db);
        assert_eq!(db, [4.0, 4.0, 6.0, 6.0]);
    }
}
