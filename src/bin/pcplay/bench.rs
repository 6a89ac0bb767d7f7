//! `pcplay bench`: median time per relaxation tick (fixed prediction and strict) on every
//! built-in preset, on a 64-128-128-10 MLP (tanh hidden layers, linear output, batch 1,
//! deterministic pseudo-random weights) and, when a directory is given, on the graph files in
//! it (e.g. the reference vectors). The same code runs natively and as wasm32-wasip1 under
//! Node's WASI (see BENCHMARKS.md).
use std::process::ExitCode;
use std::time::Instant;

use pc_playground::engine::{presets, DatasetKind, Graph, Trainer};
use pc_playground::engine::{GraphFile, JsonValue, NodeSpec, Session, Variant};

/// A small deterministic generator (xorshift64*), uniform in [-1, 1).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D);
        (x >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
}

fn leaf(id: &str, op: &str, value: JsonValue) -> NodeSpec {
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

/// The MLP `sizes[0] → … → sizes[last]`, tanh hidden layers, linear output, weights
/// uniform in ±1/√fan_in.
pub fn mlp(sizes: &[usize], seed: u64) -> GraphFile {
    let mut rng = Rng(seed.max(1));
    let mut nodes = vec![leaf(
        "x",
        "input",
        JsonValue::Vector((0..sizes[0]).map(|_| rng.next()).collect()),
    )];
    let mut prev = "x".to_string();
    let layers = sizes.len() - 1;
    for l in 0..layers {
        let (n_in, n_out) = (sizes[l], sizes[l + 1]);
        let scale = 1.0 / (n_in as f64).sqrt();
        let w: Vec<Vec<f64>> = (0..n_out)
            .map(|_| (0..n_in).map(|_| rng.next() * scale).collect())
            .collect();
        let b: Vec<f64> = (0..n_out).map(|_| rng.next() * 0.1).collect();
        let (wid, bid, hid) = (
            format!("W{}", l + 1),
            format!("b{}", l + 1),
            format!("h{}", l + 1),
        );
        nodes.push(leaf(&wid, "param", JsonValue::Matrix(w)));
        nodes.push(leaf(&bid, "param", JsonValue::Vector(b)));
        let last = l + 1 == layers;
        nodes.push(NodeSpec {
            id: if last { "y".into() } else { hid.clone() },
            op: "linear".into(),
            value: None,
            parents: vec![wid, prev.clone(), bid],
            act: (!last).then(|| "tanh".to_string()),
            pre: None,
            variance: None,
        });
        prev = hid;
    }
    let target = JsonValue::Vector((0..sizes[layers]).map(|_| rng.next()).collect());
    GraphFile {
        format: 1,
        name: format!("MLP {sizes:?}"),
        nodes,
        output: "y".into(),
        target,
        inference_rate: Some(0.1),
        steps: None,
        record_steps: None,
        variants: None,
        zil: None,
    }
}

/// Number of timed batches per figure.
const BATCHES: usize = 31;

/// (median, min) µs per tick over [`BATCHES`] batches of about 2 ms each (the min is the least
/// disturbed by other processes on a shared machine).
///
/// * `standalone`: `tick()` calls from a fresh session (every tick records a history point;
///   the leaf gradient estimates are lazy and computed for the history every
///   `history_param_stride()`-th step).
/// * otherwise: `run(batch)` after 70 000 warm-up ticks, i.e. the app's per-frame call with the
///   history already decimated (stride 32).
fn time_ticks(g: &Graph, variant: Variant, eta: f64, standalone: bool) -> Option<(f64, f64)> {
    let mut s = Session::new(g.clone(), variant, eta).ok()?;
    s.set_divergence_limit(f64::INFINITY);
    s.set_settle_tol(-1.0); // never stop early
    if !standalone {
        s.run(70_000);
    }
    // batches of about 2 ms: short enough that some run undisturbed on a busy machine
    let t0 = Instant::now();
    let mut n = 0usize;
    while t0.elapsed().as_secs_f64() < 0.002 {
        s.tick();
        n += 1;
    }
    let batch = n.max(10);
    let mut times = Vec::new();
    for _ in 0..BATCHES {
        let t = Instant::now();
        if standalone {
            for _ in 0..batch {
                s.tick();
            }
        } else {
            s.run(batch);
        }
        times.push(t.elapsed().as_secs_f64() * 1e6 / batch as f64);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    Some((*times.get(times.len() / 2)?, *times.first()?))
}

pub fn run(dir: Option<&str>) -> ExitCode {
    let mlp_only = dir == Some("--mlp");
    let dir = dir.filter(|_| !mlp_only);
    let mut rows: Vec<(String, usize, Graph)> = Vec::new();
    for p in presets::all().iter().filter(|_| !mlp_only) {
        match p
            .graph()
            .map_err(|e| e.to_string())
            .and_then(|f| Graph::from_file(&f).map_err(|e| e.to_string()))
        {
            Ok(g) => rows.push((format!("preset {}", p.key), g.layout().total, g)),
            Err(e) => eprintln!("preset {}: {e}", p.key),
        }
    }
    if let Some(dir) = dir {
        let mut files: Vec<_> = match std::fs::read_dir(dir) {
            Ok(r) => r.filter_map(|e| e.ok()).map(|e| e.path()).collect(),
            Err(e) => {
                eprintln!("cannot read {dir}: {e}");
                return ExitCode::from(2);
            }
        };
        files.sort();
        for f in files {
            let name = f
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("")
                .to_string();
            if !name.ends_with(".json") || name.ends_with(".out.json") {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&f) else {
                continue;
            };
            match Graph::from_json(&text) {
                Ok(g) => rows.push((
                    name.trim_end_matches(".json").to_string(),
                    g.layout().total,
                    g,
                )),
                Err(e) => eprintln!("{name}: {e}"),
            }
        }
    }
    match Graph::from_file(&mlp(&[64, 128, 128, 10], 42)) {
        Ok(g) => rows.push(("mlp_64_128_128_10".into(), g.layout().total, g)),
        Err(e) => {
            eprintln!("MLP: {e}");
            return ExitCode::from(2);
        }
    }
    // warm-up: under wasm, V8 first runs baseline (Liftoff) code and tiers up to optimised
    // code in the background; exercise every path for a while before timing anything
    let t0 = Instant::now();
    while t0.elapsed().as_secs_f64() < 0.5 {
        for (_, _, g) in &rows {
            for v in [Variant::FixedPred, Variant::Strict] {
                if let Ok(mut s) = Session::new(g.clone(), v, g.inference_rate()) {
                    s.set_divergence_limit(f64::INFINITY);
                    s.set_settle_tol(-1.0);
                    for _ in 0..20 {
                        s.tick();
                    }
                    s.run(200);
                    let _ = s.metrics();
                }
            }
        }
    }
    println!("µs per relaxation tick, median (min) of 31 batches of ~2 ms; tick(): standalone calls, run(): per-frame batches after 70 000 ticks");
    println!(
        "{:<26} {:>7} {:>16} {:>16} {:>16} {:>16}",
        "graph", "numbers", "fixed tick", "fixed run", "strict tick", "strict run"
    );
    for (name, size, g) in &rows {
        let eta = g.inference_rate();
        let t = |v, standalone| {
            let (med, min) = time_ticks(g, v, eta, standalone).unwrap_or((f64::NAN, f64::NAN));
            format!("{med:.3} ({min:.3})")
        };
        let (ft, fr) = (t(Variant::FixedPred, true), t(Variant::FixedPred, false));
        let (st, sr) = (t(Variant::Strict, true), t(Variant::Strict, false));
        println!("{name:<26} {size:>7} {ft:>16} {fr:>16} {st:>16} {sr:>16}");
    }
    if !mlp_only {
        println!("learning: µs per epoch (default settings: fixed prediction, T = 40), median (min) of 31");
        for kind in DatasetKind::ALL {
            let mut t = Trainer::for_dataset(kind, 1);
            let mut times = Vec::new();
            for _ in 0..BATCHES {
                let t0 = Instant::now();
                if t.step_epoch().is_err() {
                    break;
                }
                times.push(t0.elapsed().as_secs_f64() * 1e6);
            }
            times.sort_by(|a, b| a.total_cmp(b));
            let med = times.get(times.len() / 2).copied().unwrap_or(f64::NAN);
            let min = times.first().copied().unwrap_or(f64::NAN);
            println!(
                "{:<26} {:>7} {:>16}",
                format!("train {}", kind.name()),
                t.dataset().len(),
                format!("{med:.1} ({min:.1})")
            );
        }
    }
    ExitCode::SUCCESS
}
