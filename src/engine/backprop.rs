//! The reference column: the feedforward pass and exact reverse-mode backprop of
//! `L = ½‖target − ŷ‖² / σ²_out`, with the same local VJPs the relaxation uses.
use super::graph::{Graph, GraphError};
use super::ops::{node_forward, node_vjp, Intermediates, Slots};

/// Values at one evaluation point, on the graph's flat layout: `v` (every node), `z` (the
/// pre-activation of `act` nodes) and `pre` (the `pre`-transformed parent copies).
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    /// Node values.
    pub v: Vec<f64>,
    /// Pre-activation of act nodes.
    pub z: Vec<f64>,
    /// `act'(z)` of act nodes.
    pub dact: Vec<f64>,
    /// `g'(arg)` of unary-op nodes.
    pub dop: Vec<f64>,
    /// `pre`-transformed parent copies (per edge).
    pub pre: Vec<f64>,
    /// `pre'` at the parents (per edge).
    pub dpre: Vec<f64>,
}

impl Point {
    /// A zeroed point for the graph, with the leaves' values filled in.
    pub fn new(g: &Graph) -> Point {
        let lay = g.layout();
        let mut p = Point {
            v: vec![0.0; lay.total],
            z: vec![0.0; lay.total],
            dact: vec![0.0; lay.total],
            dop: vec![0.0; lay.total],
            pre: vec![0.0; lay.pre_total],
            dpre: vec![0.0; lay.pre_total],
        };
        p.load_leaves(g);
        p
    }

    /// Copy every leaf value into `v`.
    pub fn load_leaves(&mut self, g: &Graph) {
        let lay = g.layout();
        for (i, n) in g.nodes().iter().enumerate() {
            if let Some(t) = &n.value {
                let dst = &mut self.v[lay.off[i]..lay.off[i] + lay.len[i]];
                for (d, s) in dst.iter_mut().zip(&t.data) {
                    *d = *s;
                }
            }
        }
    }
}

/// The feedforward pass and the exact gradients.
#[derive(Clone, Debug, PartialEq)]
pub struct Reference {
    /// `v̂` (leaves: their values), with `z` and `pre` at the feedforward point.
    pub ff: Point,
    /// `∂L/∂v` for every node, leaves included.
    pub bp: Vec<f64>,
    /// `L` at the feedforward pass.
    pub loss: f64,
}

/// Which node makes the forward pass leave the real domain (sqrt of a negative) or produce a
/// non-finite value, checked after computing node `j`.
pub(crate) fn domain_problem(g: &Graph, j: usize, pt: &Point) -> Option<GraphError> {
    let lay = g.layout();
    let node = &g.nodes()[j];
    let sqrt = super::ops::Elementwise::Sqrt;
    // sqrt as pre, op or act: find the offending argument
    for (s, &p) in node.parents.iter().enumerate() {
        let vals = &pt.v[lay.off[p]..lay.off[p] + lay.len[p]];
        if node.pre_fns.get(s).copied().flatten() == Some(sqrt) {
            if let Some(x) = vals.iter().find(|x| **x < 0.0) {
                return Some(GraphError::SqrtNegative {
                    node: node.id.clone(),
                    value: *x,
                });
            }
        }
    }
    if node.op_kind == Some(super::ops::Op::Unary(sqrt)) {
        if let Some(&p) = node.parents.first() {
            let s0 = node.pre_fns.first().copied().flatten();
            let data: &[f64] = if s0.is_some() {
                let po = lay.pre_off[lay.edge_start[j]];
                &pt.pre[po..po + lay.len[p]]
            } else {
                &pt.v[lay.off[p]..lay.off[p] + lay.len[p]]
            };
            if let Some(x) = data.iter().find(|x| **x < 0.0) {
                return Some(GraphError::SqrtNegative {
                    node: node.id.clone(),
                    value: *x,
                });
            }
        }
    }
    if node.act_fn == Some(sqrt) {
        let z = &pt.z[lay.off[j]..lay.off[j] + lay.len[j]];
        if let Some(x) = z.iter().find(|x| **x < 0.0) {
            return Some(GraphError::SqrtNegative {
                node: node.id.clone(),
                value: *x,
            });
        }
    }
    None
}

/// Evaluate every computed node from its parents in `pt.v`, in topological order (the
/// feedforward pass). Stops at the first node whose value is not finite.
pub(crate) fn feedforward_into(g: &Graph, pt: &mut Point) -> Result<(), GraphError> {
    let lay = g.layout();
    for (j, n) in g.nodes().iter().enumerate() {
        if n.is_leaf() {
            continue;
        }
        let (o, l) = (lay.off[j], lay.len[j]);
        let (head, tail) = pt.v.split_at_mut(o);
        let im = Intermediates {
            pre: &mut pt.pre,
            dpre: &mut pt.dpre,
            z: &mut pt.z,
            dact: &mut pt.dact,
            dop: &mut pt.dop,
        };
        node_forward(g, j, head, im, &mut tail[..l]);
        if pt.v[o..o + l].iter().any(|x| !x.is_finite()) {
            return Err(
                domain_problem(g, j, pt).unwrap_or_else(|| GraphError::NonFinite {
                    place: format!("The feedforward value of node '{}'", n.id),
                }),
            );
        }
    }
    Ok(())
}

/// Reverse mode at the point `pt`, seeded with `acc` on the output: accumulates `∂L/∂v` into
/// `acc` (zeroed elsewhere, layout length). `gz` and `scratch` are `max_len`-long work buffers,
/// so nothing is allocated.
pub(crate) fn backprop_into_with(
    g: &Graph,
    pt: &Point,
    acc: &mut [f64],
    gz: &mut [f64],
    scratch: &mut [f64],
) {
    let lay = g.layout();
    for j in (0..g.nodes().len()).rev() {
        if g.nodes()[j].is_leaf() {
            continue;
        }
        let (o, l) = (lay.off[j], lay.len[j]);
        let (head, tail) = acc.split_at_mut(o);
        node_vjp(g, j, pt, &tail[..l], 1.0, Slots::All, gz, scratch, head);
    }
}

impl Reference {
    /// Feedforward pass, loss and exact gradients. Fails when a value or gradient is not finite
    /// or a `sqrt` gets a negative number.
    pub fn compute(g: &Graph) -> Result<Reference, GraphError> {
        let lay = g.layout();
        let mut r = Reference {
            ff: Point::new(g),
            bp: vec![0.0; lay.total],
            loss: 0.0,
        };
        let mut gz = vec![0.0; lay.max_len];
        let mut scratch = vec![0.0; lay.max_len];
        r.recompute(g, &mut gz, &mut scratch)?;
        Ok(r)
    }

    /// [`Reference::compute`] into existing buffers (of this graph's layout; `gz` and
    /// `scratch` `max_len` long): no allocation on success. On error the contents are
    /// unspecified.
    pub(crate) fn recompute(
        &mut self,
        g: &Graph,
        gz: &mut [f64],
        scratch: &mut [f64],
    ) -> Result<(), GraphError> {
        let lay = g.layout();
        let Reference {
            ff,
            bp,
            loss: l_out,
        } = self;
        ff.load_leaves(g);
        feedforward_into(g, ff)?;
        let out = g.output();
        let (o, l) = (lay.off[out], lay.len[out]);
        let var = g.nodes()[out].variance;
        bp.iter_mut().for_each(|x| *x = 0.0);
        let mut loss = 0.0;
        for k in 0..l {
            let e = g.target().data[k] - ff.v[o + k];
            loss += 0.5 * e * e / var;
            bp[o + k] = -e / var;
        }
        backprop_into_with(g, ff, bp, gz, scratch);
        if let Some(i) = (0..g.nodes().len()).find(|&i| {
            bp[lay.off[i]..lay.off[i] + lay.len[i]]
                .iter()
                .any(|x| !x.is_finite())
        }) {
            return Err(GraphError::NonFinite {
                place: format!(
                    "The backprop gradient at node '{}' (a sqrt at 0 or an overflow has an infinite slope)",
                    g.nodes()[i].id
                ),
            });
        }
        if !loss.is_finite() {
            return Err(GraphError::NonFinite {
                place: "The loss".into(),
            });
        }
        *l_out = loss;
        Ok(())
    }

    /// A node's slice of a layout buffer.
    pub fn slice<'a>(g: &Graph, buf: &'a [f64], i: usize) -> &'a [f64] {
        let lay = g.layout();
        match (lay.off.get(i), lay.len.get(i)) {
            (Some(&o), Some(&l)) => buf.get(o..o + l).unwrap_or(&[]),
            _ => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::format::NodeSpec;
    use crate::engine::testutil::*;
    use crate::engine::Tensor;

    /// Central differences of L with respect to every leaf element.
    fn check_fd(g: &Graph) {
        let r = Reference::compute(g).unwrap();
        let lay = g.layout();
        let mut checked = 0;
        for (i, n) in g.nodes().iter().enumerate() {
            let Some(val) = &n.value else { continue };
            for k in 0..val.data.len() {
                let h = 1e-6;
                let loss_at = |d: f64| {
                    let mut gg = g.clone();
                    let mut t: Tensor = val.clone();
                    t.data[k] += d;
                    gg.set_leaf_value(i, t).unwrap();
                    Reference::compute(&gg).unwrap().loss
                };
                let fd = (loss_at(h) - loss_at(-h)) / (2.0 * h);
                let bp = r.bp[lay.off[i] + k];
                assert!(
                    (fd - bp).abs() < 1e-6 * (1.0 + bp.abs()),
                    "{}[{k}]: fd {fd} vs bp {bp}",
                    n.id
                );
                checked += 1;
            }
        }
        assert!(checked > 0);
    }

    fn with(mut n: NodeSpec, act: Option<&str>, pre: Option<&[&str]>) -> NodeSpec {
        n.act = act.map(str::to_string);
        n.pre = pre.map(|p| p.iter().map(|s| s.to_string()).collect());
        n
    }

    #[test]
    fn backprop_matches_finite_differences() {
        for json in [CHAIN, SKIP, MLP] {
            check_fd(&graph(json));
        }
        // broadcasting: scalar * vector, vector + matrix rows, matrix column broadcast
        let nodes = vec![
            leaf("c", "param", s(0.7)),
            leaf("x", "input", v(&[0.3, -0.4, 0.9])),
            leaf("M", "param", m(&[&[0.1, 0.2, 0.3], &[-0.4, 0.5, -0.6]])),
            leaf("col", "param", m(&[&[0.5], &[-1.5]])),
            comp("a", "mul", &["c", "x"]),
            comp("b", "add", &["M", "a", "col"]),
            comp("d", "sub", &["b", "x"]),
            with(comp("e", "mul", &["d", "col"]), Some("sigmoid"), None),
            comp("y", "sum", &["e"]),
        ];
        check_fd(&Graph::from_file(&file(nodes, "y", s(0.2))).unwrap());
        // matmul 2-D × 2-D and vector × matrix, linear with act and pre, mul(a, a)
        let nodes = vec![
            leaf("A", "param", m(&[&[0.3, -0.2], &[0.5, 0.1], &[-0.7, 0.4]])),
            leaf("B", "param", m(&[&[0.2, 0.6, -0.1], &[0.9, -0.3, 0.8]])),
            leaf("u", "input", v(&[0.4, -0.6, 0.2])),
            leaf("b", "param", v(&[0.05, -0.05])),
            comp("AB", "matmul", &["A", "B"]),
            comp("uAB", "matmul", &["u", "AB"]),
            with(
                comp("l", "linear", &["B", "uAB", "b"]),
                Some("tanh"),
                Some(&["identity", "sin", "identity"]),
            ),
            comp("sq", "mul", &["l", "l"]),
            with(comp("y", "add", &["sq", "l"]), None, Some(&["exp", "cos"])),
        ];
        check_fd(&Graph::from_file(&file(nodes, "y", v(&[0.3, 0.1]))).unwrap());
        // every elementwise op as a node, with an output variance
        let mut nodes = vec![leaf("x", "input", v(&[0.3, 0.6, 1.2]))];
        let ops = [
            "tanh", "sigmoid", "relu", "sin", "cos", "exp", "square", "sqrt", "tan", "identity",
        ];
        let mut prev = "x".to_string();
        for (k, op) in ops.iter().enumerate() {
            let id = format!("n{k}");
            let p = prev.clone();
            nodes.push(comp(&id, op, &[p.as_str()]));
            prev = id;
        }
        nodes.push(comp("s", "add", &["n7", &prev]));
        let mut y = comp("y", "sum", &["s"]);
        y.variance = Some(2.5);
        nodes.push(y);
        let g = Graph::from_file(&file(nodes, "y", s(0.1))).unwrap();
        check_fd(&g);
        // the output variance rescales the loss
        let r = Reference::compute(&g).unwrap();
        let out = g.output();
        let e = 0.1 - r.ff.v[g.layout().off[out]];
        assert!((r.loss - 0.5 * e * e / 2.5).abs() < 1e-15);
    }
}
