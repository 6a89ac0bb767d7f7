//! Divergence sweep: every preset × every variant × a range of rates. Whatever happens, the
//! engine reports it as a `TickOutcome` and every accessor returns finite numbers at every step.
use pc_playground::engine::{presets, Graph, Session, TickOutcome, Variant};

const RATES: [f64; 8] = [0.01, 0.1, 0.5, 1.0, 1.5, 1.99, 2.5, 10.0];

fn all_finite(s: &Session, check_history: bool) -> Result<(), String> {
    let g = s.graph();
    for i in 0..g.nodes().len() + 1 {
        for (name, xs) in [
            ("value", s.value(i)),
            ("feedforward", s.feedforward(i)),
            ("prediction", s.prediction(i)),
            ("error", s.error(i)),
            ("xi", s.xi(i)),
            ("bp_grad", s.bp_grad(i)),
            ("pc_grad", s.pc_grad(i)),
            ("zil_xi_read", s.zil_xi_read(i)),
        ] {
            if let Some(x) = xs.iter().find(|x| !x.is_finite()) {
                return Err(format!("{name}({i}) = {x}"));
            }
        }
    }
    let m = s.metrics();
    for (name, x) in [
        ("energy", s.energy()),
        ("loss", s.loss()),
        ("max_abs_err_nodes", m.max_abs_err_nodes),
        ("max_abs_err_params", m.max_abs_err_params),
        ("rel_err_params", m.rel_err_params),
        ("cosine_params", m.cosine_params),
    ] {
        if !x.is_finite() {
            return Err(format!("{name} = {x}"));
        }
    }
    let h = s.history_slice();
    let pts = if check_history {
        h
    } else {
        &h[h.len().saturating_sub(1)..]
    };
    for p in pts {
        let nums = [
            p.energy,
            p.max_abs_err_nodes,
            p.max_abs_err_params,
            p.rel_err_params,
        ];
        if nums.iter().chain(&p.node_err).any(|x| !x.is_finite()) {
            return Err(format!("history point at step {}: {p:?}", p.step));
        }
    }
    Ok(())
}

#[test]
fn every_preset_variant_and_rate_stays_finite() {
    let mut diverged = 0;
    let mut runs = 0;
    for p in presets::all() {
        let g = Graph::from_file(&p.graph().unwrap()).unwrap();
        for v in Variant::ALL {
            for eta in RATES {
                runs += 1;
                let ctx = format!("{} {} η={eta}", p.key, v.name());
                let mut s = Session::new(g.clone(), v, eta).unwrap();
                all_finite(&s, true).unwrap_or_else(|e| panic!("{ctx} at step 0: {e}"));
                let mut last = TickOutcome::Running;
                for _ in 0..3000 {
                    last = s.tick();
                    all_finite(&s, false)
                        .unwrap_or_else(|e| panic!("{ctx} at step {}: {e}", s.step()));
                    if last != TickOutcome::Running {
                        break;
                    }
                }
                all_finite(&s, true).unwrap_or_else(|e| panic!("{ctx} at the end: {e}"));
                if let TickOutcome::Diverged(msg) = &last {
                    diverged += 1;
                    assert!(msg.contains("iteration"), "{ctx}: {msg}");
                    // a refused tick keeps refusing and keeps the state
                    let step = s.step();
                    assert!(matches!(s.tick(), TickOutcome::Diverged(_)), "{ctx}");
                    assert_eq!(s.step(), step, "{ctx}");
                }
                // fixed prediction above its stability bound must be reported as diverged
                if v == Variant::FixedPred && eta > s.stable_rate_bound() {
                    assert!(
                        matches!(last, TickOutcome::Diverged(_)),
                        "{ctx}: {last:?} above the bound {}",
                        s.stable_rate_bound()
                    );
                }
                // the exact variants ignore η and finish
                if v.is_exact() {
                    assert_eq!(last, TickOutcome::Finished, "{ctx}");
                }
            }
        }
    }
    assert_eq!(runs, 8 * 4 * RATES.len());
    assert!(diverged >= 16, "only {diverged} runs diverged");
}
