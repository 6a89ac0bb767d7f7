//! `pcplay`: the native runner.
//!
//! * `pcplay trace FILE` prints the trace JSON of a graph file (`graph-format.md`).
//! * `pcplay bench [DIR]` times relaxation ticks on every preset, a 64-128-128-10 MLP and the
//!   graph files in DIR (if given).
//! * `pcplay learn FILE [--variant V] [--ticks T] [--lr A] [--steps K]` runs K learning steps
//!   on the file's own graph (relax T ticks, or until settled when T is 0, then
//!   `θ ← θ − α·ĝ`) and prints one JSON line per step: the engine's report (loss before and
//!   after, backprop's step from the same θ, the PC gradient's relative error) and the params.
//!
//! Errors go to stderr with exit code 2.
use std::process::ExitCode;

use pc_playground::engine::{learn_step, trace, Graph, Session, TickOutcome, Variant};

mod bench;

fn usage() -> ExitCode {
    eprintln!(
        "usage: pcplay trace FILE | pcplay bench [GRAPH_DIR | --mlp] | pcplay learn FILE [--variant fixed_pred|strict|zil|fixed_pred_eta1] [--ticks T] [--lr A] [--steps K]"
    );
    ExitCode::from(2)
}

/// `pcplay learn`: K learning steps, one JSON line each.
fn learn(args: &[String]) -> Result<(), String> {
    let path = args.first().ok_or("pcplay learn: which graph file?")?;
    let mut variant = Variant::FixedPred;
    let (mut ticks, mut lr, mut steps) = (0usize, 0.1f64, 1usize);
    let mut it = args[1..].iter();
    while let Some(flag) = it.next() {
        let value = it
            .next()
            .ok_or_else(|| format!("pcplay learn: {flag} needs a value"))?;
        let bad = |what: &str| format!("pcplay learn: {flag} {value:?} is not {what}");
        match flag.as_str() {
            "--variant" => {
                variant = Variant::ALL
                    .into_iter()
                    .find(|v| v.name() == value)
                    .ok_or_else(|| bad("fixed_pred, strict, zil or fixed_pred_eta1"))?
            }
            "--ticks" => ticks = value.parse().map_err(|_| bad("a whole number"))?,
            "--lr" => lr = value.parse().map_err(|_| bad("a number"))?,
            "--steps" => steps = value.parse().map_err(|_| bad("a whole number"))?,
            _ => return Err(format!("pcplay learn: unknown option {flag}")),
        }
    }
    let g = load_graph(path)?;
    let eta = g.inference_rate();
    let mut s = Session::new(g, variant, eta).map_err(|e| format!("{path}: {e}"))?;
    for k in 1..=steps {
        let outcome = if ticks == 0 {
            s.relax_until_settled(1e-12, 100_000)
        } else {
            s.run(ticks)
        };
        if let TickOutcome::Diverged(m) = outcome {
            return Err(format!("{path}: step {k}: {m}"));
        }
        let r = learn_step(&mut s, lr).map_err(|e| format!("{path}: step {k}: {e}"))?;
        let g = s.graph();
        let params: serde_json::Map<String, serde_json::Value> = s
            .params()
            .iter()
            .map(|&i| (g.nodes()[i].id.clone(), serde_json::json!(s.value(i))))
            .collect();
        let line = serde_json::json!({
            "step": k,
            "variant": variant.name(),
            "at_tick": r.at_step,
            "lr": r.lr,
            "loss_before": r.loss_before,
            "loss_after": r.loss_after,
            "loss_bp_step": r.loss_bp_step,
            "rel_err": r.rel_err,
            "params": params,
        });
        println!("{line}");
    }
    Ok(())
}

fn load_graph(path: &str) -> Result<Graph, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    if text.trim_start().starts_with('{') {
        Graph::from_json(&text).map_err(|e| format!("{path}: {e}"))
    } else {
        let file = pc_playground::engine::expr::parse(&text).map_err(|e| format!("{path}: {e}"))?;
        Graph::from_file(&file).map_err(|e| format!("{path}: {e}"))
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("trace") => {
            let Some(path) = args.get(1) else {
                return usage();
            };
            let result = load_graph(path)
                .and_then(|g| trace::trace_graph(&g).map_err(|e| format!("{path}: {e}")));
            match result {
                Ok(v) => {
                    println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("{e}");
                    ExitCode::from(2)
                }
            }
        }
        Some("bench") => bench::run(args.get(1).map(String::as_str)),
        Some("learn") if args.len() >= 2 => match learn(&args[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{e}");
                ExitCode::from(2)
            }
        },
        _ => usage(),
    }
}
