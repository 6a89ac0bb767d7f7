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
//! * `pcplay run FILE [--variant V] [--eta E] [--ticks N] [--every K] [--start r7]
//!   [--free ID,…] [--release-at T]` relaxes the file's graph for N ticks (default 200) and
//!   prints one JSON line at tick 0 and every K ticks (default 10) and at the end: energy, loss,
//!   the PC–backprop gaps, the output's value and clamp, and the free inputs' values. `--start`
//!   is a seeded random start, `--free` releases inputs (strict PC), `--release-at` releases
//!   the output at that tick.
//!
//! Errors go to stderr with exit code 2.
use std::process::ExitCode;

use pc_playground::engine::{learn_step, trace, Graph, Session, Start, TickOutcome, Variant};

mod bench;

fn usage() -> ExitCode {
    eprintln!(
        "usage: pcplay trace FILE | pcplay bench [GRAPH_DIR | --mlp] | pcplay learn FILE [--variant fixed_pred|strict|zil|fixed_pred_eta1] [--ticks T] [--lr A] [--steps K] | pcplay run FILE [--variant V] [--eta E] [--ticks N] [--every K] [--start r7] [--free ID,…] [--release-at T]"
    );
    ExitCode::from(2)
}

/// `pcplay learn`: K learning steps, one JSON line each.
fn learn(args: &[String]) -> Result<(), String> {
    let path = args.first().ok_or("pcplay learn: which graph file?")?;
    let mut variant = Variant::FixedPred;
    let (mut ticks, mut lr, mut steps) = (0usize, 0.1f64, 1usize);
    for (flag, value) in flag_pairs("learn", &args[1..])? {
        let bad = |what: &str| format!("pcplay learn: {flag} {value:?} is not {what}");
        match flag {
            "--variant" => {
                variant = variant_of(value)
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

/// `--flag value` pairs; a flag without its value is an error that names it.
fn flag_pairs<'a>(cmd: &str, args: &'a [String]) -> Result<Vec<(&'a str, &'a str)>, String> {
    args.chunks(2)
        .map(|c| match c {
            [f, v] => Ok((f.as_str(), v.as_str())),
            _ => Err(format!(
                "pcplay {cmd}: {} needs a value",
                c.first().map_or("", String::as_str)
            )),
        })
        .collect()
}

fn variant_of(value: &str) -> Option<Variant> {
    Variant::ALL.into_iter().find(|v| v.name() == value)
}

/// `pcplay run`: one relaxation with the app's run settings, JSON lines.
fn run(args: &[String]) -> Result<(), String> {
    let path = args.first().ok_or("pcplay run: which graph file?")?;
    let mut variant = Variant::FixedPred;
    let (mut eta, mut ticks, mut every) = (None, 200usize, 10usize);
    let (mut start, mut free, mut release) = (Start::Feedforward, Vec::new(), None);
    for (flag, value) in flag_pairs("run", &args[1..])? {
        let bad = |what: &str| format!("pcplay run: {flag} {value:?} is not {what}");
        match flag {
            "--variant" => {
                variant = variant_of(value)
                    .ok_or_else(|| bad("fixed_pred, strict, zil or fixed_pred_eta1"))?
            }
            "--eta" => eta = Some(value.parse::<f64>().map_err(|_| bad("a number"))?),
            "--ticks" => ticks = value.parse().map_err(|_| bad("a whole number"))?,
            "--every" => {
                every = value
                    .parse()
                    .ok()
                    .filter(|&k| k > 0)
                    .ok_or_else(|| bad("a positive whole number"))?
            }
            "--start" => {
                start = match value {
                    "ff" => Start::Feedforward,
                    v => Start::Random(
                        v.strip_prefix('r')
                            .and_then(|d| d.parse().ok())
                            .ok_or_else(|| bad("ff or r and a seed (r7)"))?,
                    ),
                }
            }
            "--free" => free = value.split(',').map(str::to_string).collect(),
            "--release-at" => {
                release = Some(value.parse::<usize>().map_err(|_| bad("a whole number"))?)
            }
            _ => return Err(format!("pcplay run: unknown option {flag}")),
        }
    }
    let g = load_graph(path)?;
    let eta = eta.unwrap_or(g.inference_rate());
    let mut s = Session::new(g, variant, eta).map_err(|e| format!("{path}: {e}"))?;
    s.set_start(start);
    for id in &free {
        let i = s
            .graph()
            .index_of(id)
            .ok_or_else(|| format!("{path}: --free names '{id}', which is not a node"))?;
        s.set_input_free(i, true)
            .map_err(|e| format!("{path}: {e}"))?;
    }
    if release.is_some() {
        // refuse before printing anything (the engine says why: variant or rate)
        s.clone()
            .set_output_clamped(false)
            .map_err(|e| format!("{path}: --release-at: {e}"))?;
    }
    let line = |s: &Session| {
        let g = s.graph();
        let m = s.metrics();
        let free: serde_json::Map<String, serde_json::Value> = s
            .free_inputs()
            .iter()
            .map(|&i| (g.nodes()[i].id.clone(), serde_json::json!(s.value(i))))
            .collect();
        serde_json::json!({
            "step": s.step(),
            "energy": s.energy(),
            "loss": s.loss(),
            "gap_nodes": m.max_abs_err_nodes,
            "gap_params": m.max_abs_err_params,
            "output": s.value(g.output()),
            "output_clamped": s.output_clamped(),
            "free": free,
        })
    };
    println!("{}", line(&s));
    let mut printed = 0;
    while s.step() < ticks {
        if release == Some(s.step()) {
            s.set_output_clamped(false)
                .map_err(|e| format!("{path}: tick {}: {e}", s.step()))?;
        }
        let before = s.step();
        let outcome = s.tick();
        if let TickOutcome::Diverged(m) = outcome {
            return Err(format!("{path}: tick {}: {m}", before + 1));
        }
        if s.step() == before {
            break; // an exact variant finished
        }
        if s.step() % every == 0 {
            println!("{}", line(&s));
            printed = s.step();
        }
    }
    if printed != s.step() {
        println!("{}", line(&s));
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

/// Success, or the error on stderr with exit code 2.
fn exit(r: Result<(), String>) -> ExitCode {
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("trace") => {
            let Some(path) = args.get(1) else {
                return usage();
            };
            exit(
                load_graph(path)
                    .and_then(|g| trace::trace_graph(&g).map_err(|e| format!("{path}: {e}")))
                    .map(|v| println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default())),
            )
        }
        Some("bench") => bench::run(args.get(1).map(String::as_str)),
        Some("run") if args.len() >= 2 => exit(run(&args[1..])),
        Some("learn") if args.len() >= 2 => exit(learn(&args[1..])),
        _ => usage(),
    }
}
