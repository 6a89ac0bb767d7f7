//! The built-in graphs: graph files (format v1) embedded in the binary.
//!
//! Each preset is a JSON file in `presets/`, with a human name, the inference rate 0.1, the
//! number of steps and the steps to record. The app lists them with [`all`] and opens
//! [`default_key`] (the paper's graph) on the first screen.
use super::format::GraphFile;

/// One built-in graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Preset {
    /// Stable key (used in links): lowercase letters and digits.
    pub key: &'static str,
    /// Short title for menus.
    pub title: &'static str,
    /// One sentence for students: what this graph shows.
    pub blurb: &'static str,
    /// The graph file (JSON, format v1).
    pub json: &'static str,
}

impl Preset {
    /// The parsed graph file. The embedded JSON is checked by the tests, so this does not fail
    /// in practice; the `Result` keeps callers free of panics anyway.
    pub fn graph(&self) -> Result<GraphFile, crate::json::JsonError> {
        GraphFile::from_json_text(self.json)
    }
}

static PRESETS: [Preset; 8] = [
    Preset {
        key: "paper",
        title: "The paper's graph",
        blurb: "The function graph from Millidge, Tschantz & Buckley (2020): a tan, a sine, a square root and a square, and predictive coding still finds the exact backprop gradient.",
        json: include_str!("presets/paper.json"),
    },
    Preset {
        key: "chain",
        title: "Chain",
        blurb: "The simplest case, y = w2·tanh(w1·x): watch the error travel back one node at a time.",
        json: include_str!("presets/chain.json"),
    },
    Preset {
        key: "diamond",
        title: "Diamond",
        blurb: "One node feeds two branches that meet again, so its error is the sum of what both branches send back.",
        json: include_str!("presets/diamond.json"),
    },
    Preset {
        key: "skip",
        title: "Skip connection",
        blurb: "A shortcut edge makes two paths of different length to the output, which is why Z-IL needs extra identity nodes here.",
        json: include_str!("presets/skip.json"),
    },
    Preset {
        key: "mlp231",
        title: "2-3-1 MLP",
        blurb: "A small neural network whose nodes are whole layers (vectors), so each error unit is a vector too.",
        json: include_str!("presets/mlp231.json"),
    },
    Preset {
        key: "xor",
        title: "XOR network",
        blurb: "A 2-3-1 tanh/sigmoid network on one XOR example: the gradients predictive coding finds are the ones that would teach it XOR.",
        json: include_str!("presets/xor.json"),
    },
    Preset {
        key: "rnn3",
        title: "Unrolled RNN",
        blurb: "A recurrent network unrolled over three time steps that reuse the same weights, so each weight's gradient gathers errors from every step.",
        json: include_str!("presets/rnn3.json"),
    },
    Preset {
        key: "residual",
        title: "Residual block",
        blurb: "A residual block, y = W2·tanh(W1 z + b1) + z, where the error reaches z both through the block and straight along the skip.",
        json: include_str!("presets/residual.json"),
    },
];

/// Every preset, in menu order (the default first).
pub fn all() -> &'static [Preset] {
    &PRESETS
}

/// The preset with this key.
pub fn get(key: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.key == key)
}

/// The preset shown on the first screen: the paper's graph.
pub fn default_key() -> &'static str {
    "paper"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::format::JsonValue;
    use std::collections::{HashMap, HashSet};

    const OPS: &[&str] = &[
        "input", "param", "add", "sub", "mul", "matmul", "linear", "sum", "tanh", "sigmoid",
        "relu", "sin", "cos", "exp", "square", "sqrt", "tan", "identity",
    ];
    const ELEMENTWISE: &[&str] = &[
        "tanh", "sigmoid", "relu", "sin", "cos", "exp", "square", "sqrt", "tan", "identity",
    ];

    /// A tiny test-only tensor: shape [] (scalar), [n] or [r, c].
    #[derive(Clone, Debug)]
    struct T {
        shape: Vec<usize>,
        d: Vec<f64>,
    }

    fn from_json(v: &JsonValue) -> T {
        match v {
            JsonValue::Scalar(x) => T {
                shape: vec![],
                d: vec![*x],
            },
            JsonValue::Vector(v) => T {
                shape: vec![v.len()],
                d: v.clone(),
            },
            JsonValue::Matrix(m) => T {
                shape: vec![m.len(), m[0].len()],
                d: m.iter().flatten().copied().collect(),
            },
        }
    }

    fn elementwise(f: &str, t: &T) -> T {
        let g = |x: f64| -> f64 {
            match f {
                "tanh" => x.tanh(),
                "sigmoid" => 1.0 / (1.0 + (-x).exp()),
                "relu" => x.max(0.0),
                "sin" => x.sin(),
                "cos" => x.cos(),
                "exp" => x.exp(),
                "square" => x * x,
                "sqrt" => {
                    assert!(x >= 0.0, "sqrt of {x}");
                    x.sqrt()
                }
                "tan" => x.tan(),
                "identity" => x,
                _ => panic!("not elementwise: {f}"),
            }
        };
        T {
            shape: t.shape.clone(),
            d: t.d.iter().map(|x| g(*x)).collect(),
        }
    }

    fn zip(a: &T, b: &T, f: impl Fn(f64, f64) -> f64) -> T {
        if a.shape.is_empty() {
            return T {
                shape: b.shape.clone(),
                d: b.d.iter().map(|y| f(a.d[0], *y)).collect(),
            };
        }
        if b.shape.is_empty() {
            return T {
                shape: a.shape.clone(),
                d: a.d.iter().map(|x| f(*x, b.d[0])).collect(),
            };
        }
        assert_eq!(a.shape, b.shape, "shapes differ");
        T {
            shape: a.shape.clone(),
            d: a.d.iter().zip(&b.d).map(|(x, y)| f(*x, *y)).collect(),
        }
    }

    fn matvec(w: &T, x: &T) -> T {
        assert_eq!(w.shape.len(), 2);
        assert_eq!(x.shape, vec![w.shape[1]], "matmul shapes");
        let (r, c) = (w.shape[0], w.shape[1]);
        T {
            shape: vec![r],
            d: (0..r)
                .map(|i| (0..c).map(|j| w.d[i * c + j] * x.d[j]).sum())
                .collect(),
        }
    }

    /// Feedforward values of every node (test-only evaluator for the ops the presets use).
    fn feedforward(f: &GraphFile) -> HashMap<String, T> {
        let mut vals: HashMap<String, T> = HashMap::new();
        while vals.len() < f.nodes.len() {
            let before = vals.len();
            for n in &f.nodes {
                if vals.contains_key(&n.id) || n.parents.iter().any(|p| !vals.contains_key(p)) {
                    continue;
                }
                let mut ps: Vec<T> = n.parents.iter().map(|p| vals[p].clone()).collect();
                if let Some(pre) = &n.pre {
                    ps = ps.iter().zip(pre).map(|(t, g)| elementwise(g, t)).collect();
                }
                let mut v = match n.op.as_str() {
                    "input" | "param" => from_json(n.value.as_ref().unwrap()),
                    "add" => ps[1..]
                        .iter()
                        .fold(ps[0].clone(), |a, b| zip(&a, b, |x, y| x + y)),
                    "sub" => zip(&ps[0], &ps[1], |x, y| x - y),
                    "mul" => zip(&ps[0], &ps[1], |x, y| x * y),
                    "matmul" => matvec(&ps[0], &ps[1]),
                    "linear" => {
                        let m = matvec(&ps[0], &ps[1]);
                        match ps.get(2) {
                            Some(b) => zip(&m, b, |x, y| x + y),
                            None => m,
                        }
                    }
                    "sum" => T {
                        shape: vec![],
                        d: vec![ps[0].d.iter().sum()],
                    },
                    op => elementwise(op, &ps[0]),
                };
                if let Some(a) = &n.act {
                    v = elementwise(a, &v);
                }
                assert!(v.d.iter().all(|x| x.is_finite()), "{}: not finite", n.id);
                vals.insert(n.id.clone(), v);
            }
            assert!(vals.len() > before, "cycle or missing parent");
        }
        vals
    }

    #[test]
    fn registry() {
        assert_eq!(all().len(), 8);
        assert_eq!(all()[0].key, default_key());
        assert_eq!(default_key(), "paper");
        assert!(get("paper").is_some());
        assert!(get("nope").is_none());
        let keys: HashSet<&str> = all().iter().map(|p| p.key).collect();
        assert_eq!(keys.len(), all().len(), "duplicate keys");
        for k in [
            "paper", "chain", "diamond", "skip", "mlp231", "xor", "rnn3", "residual",
        ] {
            assert_eq!(get(k).map(|p| p.key), Some(k));
        }
        for p in all() {
            assert!(p
                .key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
            assert!(!p.title.is_empty());
            assert!(p.blurb.ends_with('.') && p.blurb.len() < 200, "{}", p.key);
        }
    }

    #[test]
    fn every_preset_is_a_valid_graph() {
        for p in all() {
            let f = p.graph().unwrap_or_else(|e| panic!("{}: {e}", p.key));
            assert_eq!(f.format, 1, "{}", p.key);
            assert!(!f.name.is_empty(), "{}", p.key);
            assert_eq!(f.inference_rate, Some(0.1), "{}", p.key);
            let steps = f.steps.unwrap_or_else(|| panic!("{}: steps", p.key));
            let rec = f.record_steps.clone().unwrap();
            assert_eq!(rec.first(), Some(&0), "{}", p.key);
            assert_eq!(rec.last(), Some(&steps), "{}", p.key);
            assert!(rec.windows(2).all(|w| w[0] < w[1]), "{}", p.key);
            assert!(f.nodes.len() <= 20, "{}: {} nodes", p.key, f.nodes.len());

            let ids: HashSet<&str> = f.nodes.iter().map(|n| n.id.as_str()).collect();
            assert_eq!(ids.len(), f.nodes.len(), "{}: duplicate ids", p.key);
            let mut has_children: HashSet<&str> = HashSet::new();
            for n in &f.nodes {
                assert!(OPS.contains(&n.op.as_str()), "{}: op {}", p.key, n.op);
                let leaf = n.op == "input" || n.op == "param";
                assert_eq!(leaf, n.value.is_some(), "{}: {} value", p.key, n.id);
                assert_eq!(leaf, n.parents.is_empty(), "{}: {} parents", p.key, n.id);
                for q in &n.parents {
                    assert!(ids.contains(q.as_str()), "{}: unknown parent {q}", p.key);
                    has_children.insert(q.as_str());
                }
                if let Some(a) = &n.act {
                    assert!(ELEMENTWISE.contains(&a.as_str()));
                }
            }
            // Exactly the output is a computed node without children.
            let sinks: Vec<&str> = f
                .nodes
                .iter()
                .filter(|n| !n.parents.is_empty() && !has_children.contains(n.id.as_str()))
                .map(|n| n.id.as_str())
                .collect();
            assert_eq!(sinks, vec![f.output.as_str()], "{}", p.key);
            assert!(
                f.nodes.iter().any(|n| n.op == "param"),
                "{}: no param",
                p.key
            );

            // Feedforward is finite, the target has the output's shape and is not already met.
            let vals = feedforward(&f);
            let y = &vals[&f.output];
            let t = from_json(&f.target);
            assert_eq!(y.shape, t.shape, "{}: target shape", p.key);
            let loss: f64 = 0.5
                * y.d
                    .iter()
                    .zip(&t.d)
                    .map(|(a, b)| (a - b).powi(2))
                    .sum::<f64>();
            assert!(loss > 1e-3 && loss < 10.0, "{}: loss {loss}", p.key);
        }
    }

    #[test]
    fn paper_matches_the_reference_graph() {
        let f = get("paper").unwrap().graph().unwrap();
        let ids: Vec<&str> = f.nodes.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(ids, ["y0", "th", "y1", "y2", "y3", "t", "s", "y4"]);
        let vals = feedforward(&f);
        let y4 = (10f64).sqrt().tan() + 25f64.sin();
        assert!((vals["y4"].d[0] - y4).abs() < 1e-12);
        assert_eq!(f.target, JsonValue::Scalar(1.0));
    }

    #[test]
    fn rnn_shares_its_weights() {
        let f = get("rnn3").unwrap().graph().unwrap();
        for w in ["w", "u"] {
            let uses = f
                .nodes
                .iter()
                .filter(|n| n.parents.iter().any(|p| p == w))
                .count();
            assert_eq!(uses, 3, "{w} used at every step");
        }
    }
}
