//! The teaching layer in headless Chromium: hover / focus cards with the engine's numbers, the
//! locality lens, slow motion and inline editing.
#![cfg(target_arch = "wasm32")]
mod common;
use common::*;
use pc_playground::app::sim::Sim;
use pc_playground::app::{presets, App, AppProps};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, Event, EventInit, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

thread_local! {
    /// The apps mounted by earlier tests: destroyed before the next mount, so no old app keeps
    /// running its clock or rewriting the URL fragment the next one reads.
    static MOUNTED: std::cell::RefCell<Vec<(yew::AppHandle<App>, Element)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

async fn mount() -> Element {
    for (app, el) in MOUNTED.with(|m| m.borrow_mut().drain(..).collect::<Vec<_>>()) {
        app.destroy();
        el.remove();
    }
    let w = web_sys::window().unwrap();
    // the app keeps its state in the fragment: start each test from a clean URL
    let path = w.location().pathname().unwrap();
    let _ =
        w.history()
            .unwrap()
            .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&path));
    let doc = w.document().unwrap();
    let root = doc.create_element("div").unwrap();
    doc.body().unwrap().append_child(&root).unwrap();
    let app = yew::Renderer::<App>::with_root_and_props(root.clone(), AppProps { autoplay: false })
        .render();
    MOUNTED.with(|m| m.borrow_mut().push((app, root.clone())));
    sleep(60).await;
    root
}

/// Polls (up to 3 s) until the slow-motion panel shows `want`: a loaded machine may render late.
/// Polls (up to 3 s) until `ok()` holds: a loaded machine may render a few frames late.
async fn wait_until(ok: impl Fn() -> bool) {
    for _ in 0..150 {
        if ok() {
            return;
        }
        sleep(20).await;
    }
}

async fn wait_phase(root: &Element, want: &str) {
    let now = |r: &Element| {
        r.query_selector("#slowmo")
            .ok()
            .flatten()
            .and_then(|e| e.get_attribute("data-phase"))
    };
    for _ in 0..150 {
        if now(root).as_deref() == Some(want) {
            break;
        }
        sleep(20).await;
    }
    sleep(20).await;
    assert_eq!(now(root).as_deref(), Some(want));
}

fn fire(el: &Element, kind: &str) {
    let init = EventInit::new();
    init.set_bubbles(true);
    el.dispatch_event(&Event::new_with_event_init_dict(kind, &init).unwrap())
        .unwrap();
}

fn card_num(root: &Element, q_: &str) -> f64 {
    q(root, &format!("#card [data-q='{q_}']"))
        .get_attribute("data-value")
        .unwrap()
        .parse()
        .unwrap()
}

fn paper_sim() -> Sim {
    Sim::new(presets::get("paper").unwrap().json, "fixed", f64::NAN).unwrap()
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + b.abs())
}

#[wasm_bindgen_test]
async fn hovering_a_node_shows_the_engine_numbers_and_its_update() {
    let root = mount().await;
    for _ in 0..5 {
        click(&root, "#step");
    }
    settle().await;
    assert!(q(&root, "#card").has_class("empty"));
    fire(&q(&root, "g.node[data-id='y2'] .card"), "mouseover");
    settle().await;
    let card = q(&root, "#card");
    assert_eq!(card.get_attribute("data-node").as_deref(), Some("y2"));
    // independent engine run
    let mut sim = paper_sim();
    for _ in 0..5 {
        sim.tick();
    }
    let s = sim.session();
    let y2 = s.graph().index_of("y2").unwrap();
    assert_eq!(card_num(&root, "v"), s.value(y2)[0]);
    assert_eq!(card_num(&root, "eps"), s.error(y2)[0]);
    assert_eq!(card_num(&root, "mu"), s.prediction(y2)[0]);
    assert_eq!(card_num(&root, "delta"), -s.bp_grad(y2)[0]);
    // the card's Δv is the engine's next move of v
    let v5 = s.value(y2)[0];
    let dv: f64 = card.get_attribute("data-result").unwrap().parse().unwrap();
    sim.tick();
    let v6 = sim.session().value(y2)[0];
    assert!(
        close(dv, v6 - v5, 1e-12),
        "card Δv {dv} vs engine {}",
        v6 - v5
    );
    // rendered as MathML in the MathML namespace
    let math = q(&card, "math");
    assert_eq!(
        math.namespace_uri().as_deref(),
        Some("http://www.w3.org/1998/Math/MathML")
    );
    assert!(card.text_content().unwrap().contains("Δ"));
}

#[wasm_bindgen_test]
async fn the_lens_dims_everything_the_update_does_not_read() {
    let root = mount().await;
    fire(&q(&root, "g.node[data-id='y2'] .card"), "mouseover");
    settle().await;
    // y2 = √y1 feeds t = tan(y2): it reads y1 (parent) and t (child), nothing else
    assert!(q(&root, "g.node[data-id='y2']").has_class("lens-focus"));
    for id in ["y1", "t"] {
        assert!(
            q(&root, &format!("g.node[data-id='{id}']")).has_class("lens-near"),
            "{id} is read by y2's update"
        );
    }
    for id in ["y0", "th", "y3", "s", "y4"] {
        assert!(
            q(&root, &format!("g.node[data-id='{id}']")).has_class("lens-dim"),
            "{id} is dimmed"
        );
    }
    // y4 = t + s: its co-parents are read by t's update
    fire(&q(&root, "g.node[data-id='t'] .card"), "mouseover");
    settle().await;
    assert!(q(&root, "g.node[data-id='s']").has_class("lens-near"));
    assert!(q(&root, "g.node[data-id='y0']").has_class("lens-dim"));
    // leaving the graph closes an unpinned card and the lens
    fire(&q(&root, ".graph-wrap"), "mouseleave");
    let leave = Event::new("mouseleave").unwrap();
    q(&root, ".graph-wrap").dispatch_event(&leave).unwrap();
    settle().await;
    assert!(root.query_selector(".lens-dim").unwrap().is_none());
}

#[wasm_bindgen_test]
async fn focusing_a_parameter_shows_its_estimate_and_enter_edits_it() {
    let root = mount().await;
    for _ in 0..3 {
        click(&root, "#step");
    }
    settle().await;
    wait_until(|| q(&root, "#iter").text_content().as_deref() == Some("3")).await;
    let th = q(&root, "g.node[data-id='th']");
    fire(&th, "focusin");
    wait_until(|| {
        root.query_selector("#card [data-q='ghat']")
            .ok()
            .flatten()
            .is_some()
    })
    .await;
    let mut sim = paper_sim();
    for _ in 0..3 {
        sim.tick();
    }
    let i = sim.session().graph().index_of("th").unwrap();
    let ghat = sim.session().pc_grad(i)[0];
    assert_eq!(card_num(&root, "ghat"), ghat);
    assert_eq!(card_num(&root, "grad"), sim.session().bp_grad(i)[0]);
    let res: f64 = q(&root, "#card")
        .get_attribute("data-result")
        .unwrap()
        .parse()
        .unwrap();
    assert!(close(res, ghat, 1e-12), "−Σ Jᵀξ = {res} vs ĝ = {ghat}");
    // Enter opens the inline editor; typing and Enter sets θ and restarts the run
    press(&th, "Enter");
    wait_until(|| root.query_selector("#inline-edit").ok().flatten().is_some()).await;
    let input: HtmlInputElement = q(&root, "#inline-edit").dyn_into().unwrap();
    input.set_value("1.5");
    press(&input, "Enter");
    wait_until(|| {
        q(&root, "g.node[data-id='th']")
            .get_attribute("data-v")
            .as_deref()
            == Some("1.5")
    })
    .await;
    assert!(root.query_selector("#inline-edit").unwrap().is_none());
    assert_eq!(
        q(&root, "g.node[data-id='th']")
            .get_attribute("data-v")
            .as_deref(),
        Some("1.5")
    );
    assert_eq!(q(&root, "#iter").text_content().unwrap(), "0");
}

#[wasm_bindgen_test]
async fn slow_motion_walks_the_phases_with_the_engine_in_step() {
    let root = mount().await;
    click(&root, "#slow-start");
    settle().await;
    let phase = |r: &Element| q(r, "#slowmo").get_attribute("data-phase").unwrap();
    let caption = |r: &Element| q(r, "#slow-caption").text_content().unwrap();
    let iter = |r: &Element| q(r, "#iter").text_content().unwrap();
    assert_eq!(phase(&root), "1");
    assert!(caption(&root).contains("feedforward") || caption(&root).contains("forward"));
    click(&root, "#slow-next");
    click(&root, "#slow-next");
    wait_phase(&root, "3").await;
    assert!(caption(&root).contains("ε_out"), "{}", caption(&root));
    assert_eq!(iter(&root), "0");
    click(&root, "#slow-next");
    wait_phase(&root, "4").await;
    assert_eq!(iter(&root), "1");
    assert!(
        caption(&root).contains("Tick 1") && caption(&root).contains("t, s"),
        "{}",
        caption(&root)
    );
    // the lens lights the nodes whose error just appeared
    assert!(q(&root, "g.node[data-id='t']").has_class("lens-focus"));
    assert!(q(&root, "g.node[data-id='y1']").has_class("lens-dim"));
    click(&root, "#slow-prev");
    wait_phase(&root, "3").await;
    assert_eq!(iter(&root), "0");
    // through phase 4 (depth 3 ticks) to the equilibrium
    for _ in 0..4 {
        click(&root, "#slow-next");
    }
    wait_phase(&root, "5").await;
    assert!(caption(&root).contains("Equilibrium"), "{}", caption(&root));
    let gap: f64 = q(&root, "#gap-overall")
        .get_attribute("data-value")
        .unwrap()
        .parse()
        .unwrap();
    assert!(gap < 1e-5, "settled on backprop: {gap}");
    let loss0: f64 = q(&root, "#loss").text_content().unwrap().parse().unwrap();
    click(&root, "#slow-next");
    wait_phase(&root, "6").await;
    let loss1: f64 = q(&root, "#loss").text_content().unwrap().parse().unwrap();
    assert!(
        loss1 < loss0,
        "the PC weight step lowers the loss: {loss0} → {loss1}"
    );
    assert!(caption(&root).contains("Δθ"), "{}", caption(&root));
    // Previous undoes the weight step
    click(&root, "#slow-prev");
    wait_phase(&root, "5").await;
    assert_eq!(
        q(&root, "g.node[data-id='th']")
            .get_attribute("data-v")
            .as_deref(),
        Some("2")
    );
    click(&root, "#slow-exit");
    settle().await;
    assert!(root.query_selector("#slow-caption").unwrap().is_none());
}

#[wasm_bindgen_test]
fn every_preset_gives_a_finite_card_for_every_unit() {
    use pc_playground::app::hover;
    for p in presets::all() {
        for v in ["fixed", "strict", "zil", "fixed_eta1"] {
            let mut sim = Sim::new(p.json, v, f64::NAN).unwrap();
            for _ in 0..3 {
                sim.tick();
            }
            let info = sim.info();
            for (i, n) in info.nodes.iter().enumerate() {
                for k in 0..n.len.min(3) {
                    let c = hover::card(sim.session(), &info, i, k).unwrap();
                    assert!(
                        c.result.is_finite() && c.v.is_finite(),
                        "{} {v} {}",
                        p.key,
                        n.id
                    );
                    if !n.is_leaf() && !n.output {
                        // the card's Δv is the engine's next move
                        let mut s2 = Sim::new(p.json, v, f64::NAN).unwrap();
                        for _ in 0..3 {
                            s2.tick();
                        }
                        let before = s2.session().value(i)[k];
                        s2.tick();
                        let after = s2.session().value(i)[k];
                        if v == "fixed" || v == "strict" {
                            assert!(
                                close(c.result, after - before, 1e-9),
                                "{} {v} {}[{k}]: card {} vs engine {}",
                                p.key,
                                n.id,
                                c.result,
                                after - before
                            );
                        }
                    } else if n.is_leaf() && v != "zil" {
                        assert!(
                            close(c.result, c.ghat, 1e-9),
                            "{} {v} {}: −ΣJᵀξ {} vs ĝ {}",
                            p.key,
                            n.id,
                            c.result,
                            c.ghat
                        );
                    }
                }
            }
        }
    }
}
