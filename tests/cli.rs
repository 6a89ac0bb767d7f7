//! The `pcplay` command line: `trace` on graph files and expression files, and its errors.
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn pcplay(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pcplay"))
        .args(args)
        .output()
        .expect("run pcplay")
}

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

fn temp_file(name: &str, text: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("pcplay-cli-{}-{name}", std::process::id()));
    std::fs::write(&p, text).expect("write temp file");
    p
}

/// Compare two JSON values: same structure, numbers within `1e-10·(1 + |b|)`.
fn close(a: &Value, b: &Value, place: &str) -> Result<(), String> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            if (x - y).abs() <= 1e-10 * (1.0 + y.abs()) {
                Ok(())
            } else {
                Err(format!("{place}: {x} vs {y}"))
            }
        }
        (Value::Object(x), Value::Object(y)) => {
            for (k, yv) in y {
                let xv = x.get(k).ok_or(format!("{place}.{k}: missing"))?;
                close(xv, yv, &format!("{place}.{k}"))?;
            }
            Ok(())
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .try_for_each(|(k, (xv, yv))| close(xv, yv, &format!("{place}[{k}]"))),
        _ if a == b => Ok(()),
        _ => Err(format!("{place}: {a} vs {b}")),
    }
}

fn trace_json(path: &Path) -> Value {
    let out = pcplay(&["trace", path.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

#[test]
fn trace_on_vectors_matches_the_reference_output() {
    for name in ["chain", "diamond", "mlp_231"] {
        let got = trace_json(&vectors().join(format!("{name}.json")));
        let text = std::fs::read_to_string(vectors().join(format!("{name}.out.json"))).unwrap();
        let want: Value = serde_json::from_str(&text).unwrap();
        for key in ["loss", "feedforward", "bp_grad", "levels"] {
            close(&got[key], &want[key], &format!("{name}.{key}")).unwrap();
        }
        // the last fixed-prediction snapshot (energy, values, errors, pc_grad, metrics)
        let last = |v: &Value| {
            v["variants"]["fixed_pred"]
                .as_array()
                .unwrap()
                .last()
                .cloned()
        };
        close(
            &last(&got).unwrap(),
            &last(&want).unwrap(),
            &format!("{name}.fixed_pred[last]"),
        )
        .unwrap();
    }
}

#[test]
fn the_comparison_can_fail() {
    let a: Value = serde_json::json!({"loss": 0.5, "v": {"x": [1.0, 2.0]}});
    let b: Value = serde_json::json!({"loss": 0.5, "v": {"x": [1.0, 2.000001]}});
    assert!(close(&a, &b, "t").is_err());
    assert!(close(&a, &a, "t").is_ok());
}

#[test]
fn trace_on_an_expression_file() {
    let src = "# the chain vector as an expression\n\
               input x = 0.8\nparam w1 = 1.5, w2 = -0.9\n\
               a = w1 * x\nh = tanh(a)\ny = w2 * h\ntarget y = 0.4\nrate = 0.1; steps = 100\n";
    let p = temp_file("chain.pc", src);
    let got = trace_json(&p);
    let _ = std::fs::remove_file(&p);
    let text = std::fs::read_to_string(vectors().join("chain.out.json")).unwrap();
    let want: Value = serde_json::from_str(&text).unwrap();
    for key in ["loss", "feedforward", "bp_grad"] {
        close(&got[key], &want[key], &format!("expr.{key}")).unwrap();
    }
}

fn fails_with(args: &[&str], needles: &[&str]) {
    let out = pcplay(args);
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    assert!(out.stdout.is_empty(), "{args:?}: stdout not empty");
    let err = String::from_utf8_lossy(&out.stderr);
    for n in needles {
        assert!(
            err.contains(n),
            "{args:?}: stderr {err:?} does not name {n:?}"
        );
    }
}

#[test]
fn broken_files_exit_2_naming_the_place() {
    // JSON syntax error: line and column
    let p = temp_file(
        "bad.json",
        "{\n \"nodes\": [\n  {\"id\": \"x\", \"op\": \"input\", \"value\": 1},\n ]\n}\n",
    );
    fails_with(&["trace", p.to_str().unwrap()], &["bad.json", "line 4"]);
    // unknown parent: the node and the id
    let q = temp_file(
        "parent.json",
        r#"{"nodes": [{"id": "x", "op": "input", "value": 1},
            {"id": "y", "op": "tanh", "parents": ["nope"]}], "output": "y", "target": 0}"#,
    );
    fails_with(&["trace", q.to_str().unwrap()], &["'y'", "nope"]);
    // expression syntax error: line and column
    let r = temp_file("bad.pc", "input x = 1\ny = tanh(x\ntarget y = 0\n");
    fails_with(&["trace", r.to_str().unwrap()], &["bad.pc", "line "]);
    for f in [p, q, r] {
        let _ = std::fs::remove_file(f);
    }
    // missing file, missing argument, unknown command
    fails_with(
        &["trace", "/nonexistent/graph.json"],
        &["/nonexistent/graph.json"],
    );
    fails_with(&["trace"], &["usage"]);
    fails_with(&["frobnicate"], &["usage"]);
}

fn learn_lines(args: &[&str]) -> Vec<Value> {
    let out = pcplay(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn learn_steps_follow_the_engine_and_lower_the_loss() {
    use pc_playground::engine::{learn_step, Graph, Session, Variant};
    let paper = concat!(env!("CARGO_MANIFEST_DIR"), "/src/engine/presets/paper.json");
    let lines = learn_lines(&["learn", paper, "--steps", "3", "--lr", "0.5"]);
    assert_eq!(lines.len(), 3);
    // the first step is the engine's own: relax until settled, then θ ← θ − α·ĝ
    let g = Graph::from_json(&std::fs::read_to_string(paper).unwrap()).unwrap();
    let eta = g.inference_rate();
    let mut s = Session::new(g, Variant::FixedPred, eta).unwrap();
    s.relax_until_settled(1e-12, 100_000);
    let r = learn_step(&mut s, 0.5).unwrap();
    let th = lines[0]["params"]["th"][0].as_f64().unwrap();
    assert_eq!(th, s.value(1)[0]);
    assert_eq!(lines[0]["loss_after"].as_f64().unwrap(), r.loss_after);
    // each step lowers the loss nearly as backprop's would
    let mut last = f64::INFINITY;
    for l in &lines {
        let (before, after) = (
            l["loss_before"].as_f64().unwrap(),
            l["loss_after"].as_f64().unwrap(),
        );
        let bp = l["loss_bp_step"].as_f64().unwrap();
        assert!(after < before && before <= last, "{l}");
        assert!((after - bp).abs() < 1e-6 * (1.0 + bp), "{l}");
        last = after;
    }
    // Z-IL: the PC gradient is backprop's to rounding
    let z = learn_lines(&["learn", paper, "--variant", "zil"]);
    assert!(z[0]["rel_err"].as_f64().unwrap() < 1e-12, "{}", z[0]);
    assert_eq!(z[0]["at_tick"], 3);
}

#[test]
fn learn_refuses_bad_options_and_graphs_without_params() {
    let paper = concat!(env!("CARGO_MANIFEST_DIR"), "/src/engine/presets/paper.json");
    fails_with(
        &["learn", paper, "--variant", "nope"],
        &["--variant", "nope", "zil"],
    );
    fails_with(&["learn", paper, "--lr"], &["--lr", "needs a value"]);
    fails_with(
        &["learn", paper, "--lr", "-1"],
        &["learning_rate", "positive"],
    );
    fails_with(
        &["learn", paper, "--frobnicate", "1"],
        &["unknown option", "--frobnicate"],
    );
    let p = temp_file(
        "noparams.json",
        r#"{"nodes": [{"id": "x", "op": "input", "value": 1},
            {"id": "y", "op": "tanh", "parents": ["x"]}], "output": "y", "target": 0.5}"#,
    );
    fails_with(
        &["learn", p.to_str().unwrap()],
        &["noparams.json", "no param node"],
    );
    let _ = std::fs::remove_file(&p);
}

#[test]
fn run_releases_the_output_and_frees_inputs_like_the_engine() {
    use pc_playground::engine::{Graph, Session, Start, Variant};
    let presets = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/engine/presets");
    let paper = presets.join("paper.json");
    let paper = paper.to_str().unwrap();
    // the output released at tick 200: the errors drain; the lines are the engine's numbers
    let lines = learn_lines(&[
        "run",
        paper,
        "--release-at",
        "200",
        "--ticks",
        "600",
        "--every",
        "200",
    ]);
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[1]["output_clamped"], true);
    assert_eq!(lines[2]["output_clamped"], false);
    let g = Graph::from_json(&std::fs::read_to_string(paper).unwrap()).unwrap();
    let mut s = Session::new(g.clone(), Variant::FixedPred, g.inference_rate()).unwrap();
    s.run(200);
    s.set_output_clamped(false).unwrap();
    s.run(200);
    assert_eq!(lines[2]["energy"].as_f64().unwrap(), s.energy());
    assert!(lines[3]["energy"].as_f64().unwrap() < 1e-20);
    // a random start under Z-IL, printed to the end of its schedule
    let z = learn_lines(&[
        "run",
        paper,
        "--variant",
        "zil",
        "--start",
        "r3",
        "--every",
        "100",
    ]);
    let mut s = Session::new(g.clone(), Variant::Zil, 1.0).unwrap();
    s.set_start(Start::Random(3));
    assert_eq!(z[0]["energy"].as_f64().unwrap(), s.energy());
    s.run(1000);
    let last = z.last().unwrap();
    assert_eq!(last["step"].as_u64().unwrap() as usize, s.step());
    assert_eq!(
        last["gap_nodes"].as_f64().unwrap(),
        s.metrics().max_abs_err_nodes
    );
    // a free input under strict PC: the chain infers the x whose output is the target
    let chain = presets.join("chain.json");
    let c = learn_lines(&[
        "run",
        chain.to_str().unwrap(),
        "--variant",
        "strict",
        "--free",
        "x",
        "--ticks",
        "3000",
        "--every",
        "1000",
    ]);
    let x = c.last().unwrap()["free"]["x"][0].as_f64().unwrap();
    let want = (0.4f64 / -0.9).atanh() / 1.5;
    assert!((x - want).abs() < 1e-6, "x = {x} vs {want}");
    // refusals name the reason
    fails_with(&["run", paper, "--free", "y0"], &["strict PC"]);
    fails_with(
        &["run", paper, "--variant", "strict", "--free", "nope"],
        &["'nope'"],
    );
    fails_with(&["run", paper, "--start", "seven"], &["--start", "r7"]);
    fails_with(
        &["run", paper, "--variant", "zil", "--release-at", "1"],
        &["output clamp", "schedule"],
    );
}
