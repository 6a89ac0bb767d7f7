//! Compare the engine's trace with the reference vectors (an independent float64
//! implementation). The vectors are copied into `tests/vectors/` so a clean clone can run
//! this; when `../shared/vectors` exists its files must be identical to the copies.
use std::path::{Path, PathBuf};

use pc_playground::engine::trace;
use serde_json::Value;

fn copies_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

fn spec_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            n.ends_with(".json") && !n.ends_with(".out.json")
        })
        .collect();
    v.sort();
    v
}

/// Flatten a number / list / list-of-lists.
fn flat(v: &Value, out: &mut Vec<f64>) -> bool {
    match v {
        Value::Number(n) => {
            out.push(n.as_f64().unwrap_or(f64::NAN));
            true
        }
        Value::Array(a) => a.iter().all(|x| flat(x, out)),
        _ => false,
    }
}

struct Checker {
    file: String,
    failures: Vec<String>,
    checked: usize,
}

impl Checker {
    /// Compare `mine[key]` with `theirs[key]` as numbers (any shape), to
    /// |a − b| ≤ tol·(1 + |b|).
    fn num(&mut self, path: &str, mine: Option<&Value>, theirs: &Value, tol: f64) {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let Some(mine) = mine else {
            self.failures
                .push(format!("{}: {path}: missing in engine output", self.file));
            return;
        };
        if !flat(mine, &mut a) || !flat(theirs, &mut b) || a.len() != b.len() {
            self.failures.push(format!(
                "{}: {path}: shape differs (engine {mine}, reference {theirs})",
                self.file
            ));
            return;
        }
        for (k, (x, y)) in a.iter().zip(&b).enumerate() {
            self.checked += 1;
            let ok = (x - y).abs() <= tol * (1.0 + y.abs());
            if !ok {
                self.failures.push(format!(
                    "{}: {path}[{k}]: engine {x:e} vs reference {y:e} (|diff| {:e})",
                    self.file,
                    (x - y).abs()
                ));
                return;
            }
        }
    }

    /// Every node entry of a `{id: value}` map.
    fn map(&mut self, path: &str, mine: Option<&Value>, theirs: &Value, tol: f64) {
        let Some(obj) = theirs.as_object() else {
            self.failures
                .push(format!("{}: {path}: reference is not a map", self.file));
            return;
        };
        for (id, v) in obj {
            self.num(
                &format!("{path}.{id}"),
                mine.and_then(|m| m.get(id)),
                v,
                tol,
            );
        }
    }

    fn eq(&mut self, path: &str, mine: Option<&Value>, theirs: &Value) {
        if mine != Some(theirs) {
            self.failures.push(format!(
                "{}: {path}: engine {:?} vs reference {theirs}",
                self.file, mine
            ));
        }
    }
}

const TIGHT: f64 = 1e-12;
const TOL: f64 = 1e-10;

fn check_file(spec: &Path) -> (Vec<String>, usize) {
    let name = spec.file_name().unwrap().to_string_lossy().to_string();
    let out_path = spec.with_extension("out.json");
    let text = std::fs::read_to_string(spec).unwrap();
    let reference: Value =
        serde_json::from_str(&std::fs::read_to_string(&out_path).unwrap()).unwrap();
    let mine: Value = match trace::trace_json(&text) {
        Ok(s) => serde_json::from_str(&s).unwrap(),
        Err(e) => return (vec![format!("{name}: engine refused the graph: {e}")], 0),
    };
    let mut c = Checker {
        file: name,
        failures: Vec::new(),
        checked: 0,
    };
    c.num("loss", mine.get("loss"), &reference["loss"], TIGHT);
    c.map(
        "feedforward",
        mine.get("feedforward"),
        &reference["feedforward"],
        TIGHT,
    );
    c.map("bp_grad", mine.get("bp_grad"), &reference["bp_grad"], TIGHT);
    c.eq("levels", mine.get("levels"), &reference["levels"]);
    c.eq("leveled", mine.get("leveled"), &reference["leveled"]);
    if let Some(vars) = reference["variants"].as_object() {
        for (vname, snaps) in vars {
            let snaps = snaps.as_array().cloned().unwrap_or_default();
            let my_snaps = mine["variants"][vname]
                .as_array()
                .cloned()
                .unwrap_or_default();
            if my_snaps.len() != snaps.len() {
                c.failures.push(format!(
                    "{}: variants.{vname}: {} snapshots vs {}",
                    c.file,
                    my_snaps.len(),
                    snaps.len()
                ));
                continue;
            }
            for (s, m) in snaps.iter().zip(&my_snaps) {
                let p = format!("variants.{vname}[step {}]", s["step"]);
                c.eq(&format!("{p}.step"), m.get("step"), &s["step"]);
                c.num(&format!("{p}.energy"), m.get("energy"), &s["energy"], TOL);
                for key in ["v", "eps", "pc_grad", "metrics"] {
                    c.map(&format!("{p}.{key}"), m.get(key), &s[key], TOL);
                }
            }
        }
    }
    for block in ["zil", "zil_on_leveled_graph", "fixed_pred_eta1"] {
        let r = &reference[block];
        if r.is_null() {
            continue;
        }
        let m = mine.get(block);
        c.eq(
            &format!("{block}.updates"),
            m.and_then(|m| m.get("updates")),
            &r["updates"],
        );
        c.map(
            &format!("{block}.pc_grad"),
            m.and_then(|m| m.get("pc_grad")),
            &r["pc_grad"],
            TOL,
        );
        c.map(
            &format!("{block}.metrics"),
            m.and_then(|m| m.get("metrics")),
            &r["metrics"],
            TOL,
        );
        for key in ["read_step", "leveled", "inserted_identity_nodes"] {
            if !r[key].is_null() {
                c.eq(
                    &format!("{block}.{key}"),
                    m.and_then(|m| m.get(key)),
                    &r[key],
                );
            }
        }
        if !r["xi_read"].is_null() {
            c.map(
                &format!("{block}.xi_read"),
                m.and_then(|m| m.get("xi_read")),
                &r["xi_read"],
                TOL,
            );
        }
    }
    (c.failures, c.checked)
}

fn run_dir(dir: &Path) {
    let files = spec_files(dir);
    assert!(!files.is_empty(), "no vectors in {}", dir.display());
    let mut failures = Vec::new();
    let mut checked = 0;
    for f in &files {
        let (fs, n) = check_file(f);
        failures.extend(fs);
        checked += n;
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked > 1000, "only {checked} numbers compared");
}

#[test]
fn vectors_in_repo_match() {
    run_dir(&copies_dir());
}

#[test]
fn shared_vectors_match_copies() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/vectors");
    if !shared.is_dir() {
        return; // clean clone: only the copies
    }
    let mut names: Vec<String> = std::fs::read_dir(&shared)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    for n in &names {
        let a = std::fs::read(shared.join(n)).unwrap();
        let b = std::fs::read(copies_dir().join(n)).unwrap_or_else(|_| {
            panic!("tests/vectors/{n} is missing; copy it from ../shared/vectors")
        });
        assert_eq!(a, b, "tests/vectors/{n} differs from ../shared/vectors/{n}");
    }
    // and test any shared file directly, in case new ones arrived
    run_dir(&shared);
}

/// The comparison must be able to fail: a perturbed reference is caught.
#[test]
fn checker_catches_a_wrong_number() {
    let spec = copies_dir().join("chain.json");
    let text = std::fs::read_to_string(&spec).unwrap();
    let mine: Value = serde_json::from_str(&trace::trace_json(&text).unwrap()).unwrap();
    let mut c = Checker {
        file: "chain".into(),
        failures: Vec::new(),
        checked: 0,
    };
    let good = mine["variants"]["fixed_pred"][2]["eps"]["a"].clone();
    let bad = Value::from(good.as_f64().unwrap() * (1.0 + 1e-8));
    c.num("eps.a", Some(&good), &bad, TOL);
    assert_eq!(
        c.failures.len(),
        1,
        "a 1e-8 relative error must be reported"
    );
    assert!(c.failures[0].contains("eps.a"));
}
