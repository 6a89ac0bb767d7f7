//! Every built-in preset: validates, relaxes to backprop under every variant that should, and
//! its backprop gradients match central finite differences.
use pc_playground::engine::{presets, Graph, NodeKind, Session, TickOutcome, Variant};

fn graphs() -> Vec<(&'static str, Graph)> {
    presets::all()
        .iter()
        .map(|p| {
            let f = p.graph().unwrap_or_else(|e| panic!("{}: {e}", p.key));
            let g = Graph::from_file(&f).unwrap_or_else(|e| panic!("{}: {e}", p.key));
            (p.key, g)
        })
        .collect()
}

/// Largest `|ξ_i + bp_i|` over computed nodes and `|ĝ_p − bp_p|` over leaves, relative to
/// `1 + |bp|`.
fn gap(s: &Session) -> f64 {
    let g = s.graph();
    let mut worst: f64 = 0.0;
    for (i, n) in g.nodes().iter().enumerate() {
        let bp = s.bp_grad(i);
        let pc = if n.is_leaf() { s.pc_grad(i) } else { s.xi(i) };
        let sign = if n.is_leaf() { -1.0 } else { 1.0 };
        assert_eq!(pc.len(), bp.len(), "node {}", n.id);
        for (a, b) in pc.iter().zip(bp) {
            worst = worst.max((a + sign * b).abs() / (1.0 + b.abs()));
        }
    }
    worst
}

#[test]
fn there_are_eight_presets() {
    assert_eq!(graphs().len(), 8);
}

#[test]
fn fixed_prediction_reaches_backprop_at_the_preset_rate() {
    for (key, g) in graphs() {
        let eta = g.inference_rate();
        let mut s = Session::new(g, Variant::FixedPred, eta).unwrap();
        let mut done = None;
        for k in 0..2000 {
            if gap(&s) < 1e-6 {
                done = Some(k);
                break;
            }
            let o = s.tick();
            assert!(!matches!(o, TickOutcome::Diverged(_)), "{key}: {o:?}");
        }
        assert!(
            done.is_some(),
            "{key}: gap {} after 2000 ticks at η = {eta}",
            gap(&s)
        );
    }
}

#[test]
fn strict_at_0_1_is_finite_and_energy_falls() {
    for (key, g) in graphs() {
        let mut s = Session::new(g, Variant::Strict, 0.1).unwrap();
        let mut f = s.energy();
        let f0 = f;
        for k in 0..2000 {
            let o = s.tick();
            assert!(!matches!(o, TickOutcome::Diverged(_)), "{key}: {o:?}");
            let e = s.energy();
            assert!(e.is_finite(), "{key}: step {k}");
            assert!(
                e <= f + 1e-12 * (1.0 + f.abs()),
                "{key}: F rose at step {k}: {f} → {e}"
            );
            f = e;
            if o == TickOutcome::Settled {
                break;
            }
        }
        // F starts at L and strict PC lowers it (unless the loss is already 0)
        assert!(f < f0 || f0 == 0.0, "{key}: {f0} → {f}");
    }
}

#[test]
fn fixed_prediction_at_rate_1_is_exact_after_depth() {
    for (key, g) in graphs() {
        let d = g.depth();
        let mut s = Session::new(g, Variant::FixedPredEta1, 0.1).unwrap();
        let o = s.run(d + 5);
        assert_eq!(o, TickOutcome::Finished, "{key}");
        assert_eq!(s.step(), d, "{key}");
        assert!(gap(&s) < 1e-10, "{key}: gap {}", gap(&s));
    }
}

#[test]
fn zil_is_exact_on_levelled_presets_and_levelled_copies() {
    let mut levelled = 0;
    for (key, g) in graphs() {
        if g.is_leveled() {
            levelled += 1;
        }
        let (g, _ids) = g.with_identity_levelling();
        assert!(g.is_leveled(), "{key}");
        let d = g.depth();
        let mut s = Session::new(g, Variant::Zil, 0.1).unwrap();
        assert_eq!(s.run(d + 5), TickOutcome::Finished, "{key}");
        let g = s.graph();
        for (i, n) in g.nodes().iter().enumerate() {
            if n.kind == NodeKind::Computed {
                continue;
            }
            for (a, b) in s.pc_grad(i).iter().zip(s.bp_grad(i)) {
                assert!(
                    (a - b).abs() <= 1e-10 * (1.0 + b.abs()),
                    "{key}: leaf {}: {a} vs {b}",
                    n.id
                );
            }
        }
        let m = s.metrics();
        assert!(m.max_abs_err_params < 1e-10, "{key}: {m:?}");
    }
    assert!(
        levelled >= 1,
        "at least one preset is levelled as it stands"
    );
}

#[test]
fn backprop_matches_central_differences_on_every_preset() {
    for (key, g) in graphs() {
        let base = Session::new(g.clone(), Variant::FixedPred, 0.1).unwrap();
        let mut s = base.clone();
        for (i, n) in g.nodes().iter().enumerate() {
            if !n.is_leaf() {
                continue;
            }
            let x0 = base.value(i).to_vec();
            for k in 0..x0.len() {
                let h = 1e-6 * (1.0 + x0[k].abs());
                let mut x = x0.clone();
                x[k] = x0[k] + h;
                s.set_leaves(&[(i, &x)], None).unwrap();
                let lp = s.loss();
                x[k] = x0[k] - h;
                s.set_leaves(&[(i, &x)], None).unwrap();
                let lm = s.loss();
                let fd = (lp - lm) / (2.0 * h);
                let bp = base.bp_grad(i)[k];
                assert!(
                    (fd - bp).abs() <= 1e-5 * (1.0 + bp.abs()),
                    "{key}: d L / d {}[{k}]: backprop {bp} vs finite differences {fd}",
                    n.id
                );
            }
            s.set_leaves(&[(i, &x0)], None).unwrap();
        }
        assert_eq!(
            s.loss(),
            base.loss(),
            "{key}: restoring the leaves restores the loss"
        );
    }
}
