//! Component tests in headless Chromium (wasm-bindgen-test).
#![cfg(target_arch = "wasm32")]
mod common;
use common::*;
use pc_playground::app::sim::Sim;
use pc_playground::app::{presets, App, AppProps};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, Event, EventInit, HtmlSelectElement};

wasm_bindgen_test_configure!(run_in_browser);

/// Mount a paused App in a fresh div.
async fn mount() -> Element {
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
    yew::Renderer::<App>::with_root_and_props(root.clone(), AppProps { autoplay: false }).render();
    sleep(60).await;
    root
}

#[wasm_bindgen_test]
async fn one_node_group_per_graph_node_with_units() {
    let root = mount().await;
    let nodes = root.query_selector_all("svg#graph g.node").unwrap();
    assert_eq!(
        nodes.length(),
        8,
        "the paper's graph has 8 nodes (y0, θ, y1, y2, y3, t, s, y4)"
    );
    for id in ["y0", "th", "y1", "y2", "y3", "t", "s", "y4"] {
        q(&root, &format!("g.node[data-id='{id}']"));
    }
    // the painter writes the discs' radii in an effect after the render: wait for it
    for _ in 0..40 {
        if root
            .query_selector("svg.marks circle.est:not([r])")
            .unwrap()
            .is_none()
        {
            break;
        }
        sleep(25).await;
    }
    let computed = root.query_selector_all("g.node.computed").unwrap();
    assert_eq!(computed.length(), 6);
    for i in 0..computed.length() {
        let g: Element = computed.item(i).unwrap().dyn_into().unwrap();
        assert!(
            g.query_selector(".value-unit").unwrap().is_some(),
            "value unit"
        );
        // the moving marks live in the layer over the cards, one group per node
        let id = g.get_attribute("data-id").unwrap();
        let marks = q(&root, &format!("svg.marks g.node-marks[data-id='{id}']"));
        let est = marks.query_selector(".error-unit .est").unwrap();
        let est = est.unwrap_or_else(|| panic!("error unit of {id}"));
        // the painter gave every disc a finite radius after the render
        let r: f64 = est
            .get_attribute("r")
            .and_then(|r| r.parse().ok())
            .unwrap_or(f64::NAN);
        let with_r = root
            .query_selector_all("svg.marks circle.est[r]")
            .unwrap()
            .length();
        let all = root
            .query_selector_all("svg.marks circle.est")
            .unwrap()
            .length();
        assert!(
            r.is_finite() && r >= 0.0,
            "disc radius of {id}: {r} ({with_r} of {all} discs have a radius)"
        );
        assert!(
            marks
                .query_selector(".error-unit .ghost")
                .unwrap()
                .is_some(),
            "backprop ghost of {id}"
        );
    }
    assert_eq!(
        root.query_selector_all("svg.marks .est").unwrap().length(),
        root.query_selector_all("svg.marks .ghost")
            .unwrap()
            .length(),
        "one disc per ring"
    );
    assert!(
        root.query_selector("g.node.clamped[data-id='y4']")
            .unwrap()
            .is_some(),
        "output clamped"
    );
    assert!(
        root.query_selector("g.node.clamped[data-id='y0']")
            .unwrap()
            .is_some(),
        "input clamped"
    );
    assert!(
        root.query_selector("g.node.clamped[data-id='y1']")
            .unwrap()
            .is_none(),
        "hidden node free"
    );
}

#[wasm_bindgen_test]
async fn step_advances_counter_and_moves_the_error_next_to_the_output() {
    let root = mount().await;
    assert_eq!(text(&root, "#iter"), "0");
    // y4 = t + s: both parents start with ε = 0 (feedforward initialisation)
    let eps_t = || {
        q(&root, "g.node[data-id='t']")
            .get_attribute("data-eps")
            .unwrap()
    };
    assert_eq!(eps_t(), "0");
    click(&root, "#step");
    settle().await;
    assert_eq!(text(&root, "#iter"), "1");
    let e: f64 = eps_t().parse().unwrap();
    let bp: f64 = q(&root, "g.node[data-id='t']")
        .get_attribute("data-bp")
        .unwrap()
        .parse()
        .unwrap();
    // fixed prediction, η = 0.1: one tick moves ε_t to η·δ_t
    assert!((e - 0.1 * bp).abs() < 1e-12, "ε_t = {e}, δ_t = {bp}");
    click(&root, "#step");
    settle().await;
    assert_eq!(text(&root, "#iter"), "2");
    click(&root, "#reset");
    settle().await;
    assert_eq!(text(&root, "#iter"), "0");
}

#[wasm_bindgen_test]
async fn variant_picker_dispatches() {
    let root = mount().await;
    assert!(text(&root, "#variant-explain").starts_with("Fixed prediction"));
    pick(&root, "#variant", "strict");
    settle().await;
    assert!(
        text(&root, "#variant-explain").starts_with("Strict PC"),
        "got {}",
        text(&root, "#variant-explain")
    );
    assert_eq!(
        q(&root, "#variant-explain")
            .get_attribute("data-variant")
            .unwrap(),
        "strict"
    );
}

#[wasm_bindgen_test]
async fn unstable_rate_shows_the_guard_and_no_nan() {
    let root = mount().await;
    let input: web_sys::HtmlInputElement = q(&root, "#rate").dyn_into().unwrap();
    input.set_value("5");
    let init = EventInit::new();
    init.set_bubbles(true);
    input
        .dispatch_event(&Event::new_with_event_init_dict("change", &init).unwrap())
        .unwrap();
    settle().await;
    let alert = text(&root, "#alert");
    assert!(alert.contains("stable limit"), "alert: {alert}");
    let body = root.inner_html();
    assert!(!body.contains("NaN") && !body.contains("Infinity"));
}

#[wasm_bindgen_test]
fn layout_has_no_overlaps_for_every_preset() {
    for p in presets::all() {
        let sim = Sim::new(p.json, "fixed", f64::NAN).unwrap_or_else(|e| panic!("{}: {e}", p.key));
        let info = sim.info();
        let b = &info.layout.boxes;
        assert_eq!(b.len(), info.nodes.len());
        for i in 0..b.len() {
            for j in i + 1..b.len() {
                assert!(
                    !b[i].overlaps(&b[j], 2.0),
                    "{}: {} and {} overlap",
                    p.key,
                    info.nodes[i].id,
                    info.nodes[j].id
                );
            }
        }
    }
}

/// Choose `value` in the select `sel` and fire its change event.
fn pick(root: &Element, sel: &str, value: &str) {
    let el: HtmlSelectElement = q(root, sel).dyn_into().unwrap();
    el.set_value(value);
    let init = EventInit::new();
    init.set_bubbles(true);
    el.dispatch_event(&Event::new_with_event_init_dict("change", &init).unwrap())
        .unwrap();
}

/// Type `value` into the input `sel` and fire its change event.
fn type_into(root: &Element, sel: &str, value: &str) {
    let input: web_sys::HtmlInputElement = q(root, sel).dyn_into().unwrap();
    input.set_value(value);
    let init = EventInit::new();
    init.set_bubbles(true);
    input
        .dispatch_event(&Event::new_with_event_init_dict("change", &init).unwrap())
        .unwrap();
}

#[wasm_bindgen_test]
async fn learning_step_moves_the_param_by_the_pc_gradient() {
    let root = mount().await;
    assert_eq!(text(&root, "#learn-result"), "");
    for _ in 0..25 {
        click(&root, "#step");
    }
    settle().await;
    assert_eq!(text(&root, "#iter"), "25");
    type_into(&root, "#lr", "0.5");
    settle().await;
    click(&root, "#learn");
    settle().await;
    // the same run in the engine: θ ← θ − α·ĝ_θ at tick 25, then a new run from tick 0
    let p = presets::get("paper").unwrap();
    let mut sim = Sim::new(p.json, "fixed", f64::NAN).unwrap();
    for _ in 0..25 {
        sim.tick();
    }
    let th = sim.info().nodes.iter().position(|n| n.id == "th").unwrap();
    let (theta, g) = (sim.session().value(th)[0], sim.session().pc_grad(th)[0]);
    assert!(g != 0.0);
    let want = theta - 0.5 * g;
    let shown: web_sys::HtmlInputElement = q(&root, "#leaf-th").dyn_into().unwrap();
    let got: f64 = shown.value().parse().unwrap();
    assert!((got - want).abs() < 1e-12, "θ shown {got}, engine {want}");
    assert_eq!(text(&root, "#iter"), "0");
    let msg = text(&root, "#learn-result");
    assert!(
        msg.contains("iteration 25") && msg.contains("α = 0.5") && msg.contains("backprop"),
        "{msg}"
    );
    // a rate that is not a positive number is refused with a sentence; θ stays
    type_into(&root, "#lr", "-1");
    settle().await;
    assert!(
        text(&root, "#alert").contains("Learning rate"),
        "{}",
        text(&root, "#alert")
    );
    let shown: web_sys::HtmlInputElement = q(&root, "#leaf-th").dyn_into().unwrap();
    assert_eq!(shown.value().parse::<f64>().unwrap(), got);
}

#[wasm_bindgen_test]
fn colour_scales_per_node_per_layer_and_global() {
    use pc_playground::app::graph_view::scales;
    use pc_playground::app::state::ColourScale;
    // mlp231: two param matrices, an input, hidden and output layers
    let mut sim = Sim::new(presets::get("mlp231").unwrap().json, "fixed", f64::NAN).unwrap();
    for _ in 0..3 {
        sim.tick();
    }
    let (info, snap) = (sim.info(), sim.snapshot());
    let own: Vec<f64> = snap
        .nodes
        .iter()
        .map(|n| {
            n.bp.iter()
                .chain(&n.est)
                .fold(0.0f64, |m, x| m.max(x.abs()))
        })
        .map(|m| if m > 1e-300 { m } else { 1.0 })
        .collect();
    assert_eq!(scales(&info, &snap, ColourScale::Node), own);
    let layer = scales(&info, &snap, ColourScale::Layer);
    let global = scales(&info, &snap, ColourScale::Global);
    let mut levels = std::collections::BTreeSet::new();
    for (i, n) in info.nodes.iter().enumerate() {
        // a layer's scale is the largest own scale among the nodes sharing the node's level
        let same = info
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, m)| m.is_leaf() == n.is_leaf() && (n.is_leaf() || m.level == n.level))
            .map(|(j, _)| own[j])
            .fold(0.0f64, f64::max);
        assert_eq!(layer[i], same, "{} (level {:?})", n.id, n.level);
        let all = info
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, m)| m.is_leaf() == n.is_leaf())
            .map(|(j, _)| own[j])
            .fold(0.0f64, f64::max);
        assert_eq!(global[i], all, "{}", n.id);
        assert!(own[i] <= layer[i] && layer[i] <= global[i], "{}", n.id);
        levels.insert(n.level);
    }
    // the three differ on this graph: more than one layer of computed nodes
    assert!(levels.len() > 2, "{levels:?}");
    assert_ne!(layer, own);
    assert_ne!(layer, global);
}

#[wasm_bindgen_test]
async fn a_node_shows_its_check_exactly_when_pc_equals_backprop_there() {
    let root = mount().await;
    // (the check's visibility follows data-match in the stylesheet: e2e checks that)
    let matched = |id: &str| {
        let g = q(&root, &format!("g.node[data-id='{id}']"));
        assert!(
            g.query_selector("path.match").unwrap().is_some(),
            "{id} has a check"
        );
        g.get_attribute("data-match").unwrap()
    };
    // step 0: the output's error already equals backprop; the hidden nodes' errors are 0
    assert_eq!(matched("y4"), "1");
    assert_eq!(matched("y1"), "0");
    assert_eq!(matched("th"), "0");
    // Z-IL is exact after D = 3 ticks on this levelled graph: every node matches
    pick(&root, "#variant", "zil");
    settle().await;
    for _ in 0..3 {
        click(&root, "#step");
        settle().await;
    }
    for id in ["y0", "th", "y1", "y2", "y3", "t", "s", "y4"] {
        assert_eq!(matched(id), "1", "{id}");
    }
}

#[wasm_bindgen_test]
async fn the_output_clamp_button_releases_the_output_and_the_graph_follows_the_engine() {
    let root = mount().await;
    let out = || q(&root, "g.node[data-id='y4']");
    let pressed = || {
        q(&root, "#clamp-out")
            .get_attribute("aria-pressed")
            .unwrap()
    };
    assert_eq!(pressed(), "true");
    assert!(out().has_class("clamped") && !out().has_class("released"));
    for _ in 0..30 {
        click(&root, "#step");
    }
    settle().await;
    click(&root, "#clamp-out");
    settle().await;
    assert_eq!(pressed(), "false");
    assert!(
        text(&root, "#clamp-state").contains("released at tick 30"),
        "{}",
        text(&root, "#clamp-state")
    );
    assert!(out().has_class("released") && !out().has_class("clamped"));
    assert_eq!(
        out().query_selector(".lock").unwrap(),
        None,
        "no pin on a free output"
    );
    for _ in 0..10 {
        click(&root, "#step");
    }
    settle().await;
    // the same run in the engine: 30 ticks clamped, released, 10 more
    let p = presets::get("paper").unwrap();
    let mut sim = Sim::new(p.json, "fixed", f64::NAN).unwrap();
    for _ in 0..30 {
        sim.tick();
    }
    sim.set_output_clamped(false).unwrap();
    for _ in 0..10 {
        sim.tick();
    }
    let y4 = sim.info().nodes.iter().position(|n| n.id == "y4").unwrap();
    let want = sim.session().error(y4)[0];
    let got: f64 = out().get_attribute("data-eps").unwrap().parse().unwrap();
    assert!(
        (got - want).abs() <= 1e-12 * want.abs(),
        "ε_y4 shown {got}, engine {want}"
    );
    assert!(
        want.abs() < 0.7 * sim.session().loss().sqrt() * 2f64.sqrt(),
        "the output error drains"
    );
    // C clamps it again (the keyboard path dispatches the same command)
    press(&q(&root, ".app"), "c");
    settle().await;
    assert_eq!(pressed(), "true");
    assert!(out().has_class("clamped"));
    // the exact variants need the clamp: the button is disabled and says why
    pick(&root, "#variant", "zil");
    settle().await;
    let b = q(&root, "#clamp-out");
    assert!(b.has_attribute("disabled"));
    assert!(b.get_attribute("title").unwrap().contains("fixed schedule"));
}

#[wasm_bindgen_test]
async fn a_random_start_moves_the_hidden_values_exactly_as_the_engine_does() {
    let root = mount().await;
    let eps = |id: &str| -> f64 {
        q(&root, &format!("g.node[data-id='{id}']"))
            .get_attribute("data-eps")
            .unwrap()
            .parse()
            .unwrap()
    };
    assert_eq!(eps("y1"), 0.0, "the usual start: hidden errors at 0");
    assert!(text(&root, "#start-note").contains("F(0) = L"));
    pick(&root, "#start", "r2");
    settle().await;
    assert_eq!(text(&root, "#iter"), "0");
    let p = presets::get("paper").unwrap();
    let mut sim = Sim::new(p.json, "fixed", f64::NAN).unwrap();
    sim.set_start(pc_playground::engine::Start::Random(2));
    for id in ["y1", "y2", "y3", "t", "s"] {
        let i = sim.info().nodes.iter().position(|n| n.id == id).unwrap();
        let want = sim.session().error(i)[0];
        assert!(want != 0.0);
        assert!(
            (eps(id) - want).abs() <= 1e-12 * want.abs(),
            "{id}: {} vs {want}",
            eps(id)
        );
    }
    assert!(text(&root, "#start-note").contains("still relaxes to backprop"));
    // Z-IL loses its exactness from here, and says why
    pick(&root, "#variant", "zil");
    settle().await;
    assert!(text(&root, "#start-note").contains("C1"));
    pick(&root, "#start", "ff");
    settle().await;
    assert_eq!(eps("y1"), 0.0);
}

#[wasm_bindgen_test]
async fn a_released_input_moves_exactly_as_the_engine_infers_it() {
    let root = mount().await;
    pick(&root, "#preset", "chain");
    settle().await;
    let hold = || q(&root, "#hold-x");
    assert!(
        hold().has_attribute("disabled"),
        "fixed prediction: inputs stay held"
    );
    pick(&root, "#variant", "strict");
    settle().await;
    assert!(!hold().has_attribute("disabled"));
    assert_eq!(hold().get_attribute("aria-pressed").unwrap(), "true");
    click(&root, "#hold-x");
    settle().await;
    assert_eq!(hold().get_attribute("aria-pressed").unwrap(), "false");
    let node = || q(&root, "g.node[data-id='x']");
    assert!(node().has_class("released") && !node().has_class("clamped"));
    for _ in 0..40 {
        click(&root, "#step");
    }
    settle().await;
    let p = presets::get("chain").unwrap();
    let mut sim = Sim::new(p.json, "strict", f64::NAN).unwrap();
    let x = sim.info().nodes.iter().position(|n| n.id == "x").unwrap();
    sim.set_input_free(x, true).unwrap();
    for _ in 0..40 {
        sim.tick();
    }
    let want = sim.session().value(x)[0];
    assert!((want - 0.8).abs() > 1e-3, "the input moved");
    let got: f64 = node().get_attribute("data-v").unwrap().parse().unwrap();
    assert!((got - want).abs() <= 1e-12, "x shown {got}, engine {want}");
    // back to fixed prediction: the input is held again
    pick(&root, "#variant", "fixed");
    settle().await;
    assert_eq!(hold().get_attribute("aria-pressed").unwrap(), "true");
    assert!(node().has_class("clamped"));
}

/// The text-rate components (`app::live`) follow their feed on their own: a push re-renders
/// the counter, the stats and the scrubber with the engine's numbers, with no parent render;
/// pushing the same content again changes nothing.
#[wasm_bindgen_test]
async fn live_components_follow_their_feed_without_a_parent_render() {
    use pc_playground::app::live::{Live, LiveProps, Piece, TextFeed, TextNow};
    use pc_playground::app::text::num;
    use std::rc::Rc;
    let mut sim = Sim::new(presets::get("paper").unwrap().json, "fixed", 0.1).unwrap();
    let now = |sim: &Sim, max: usize| TextNow {
        info: sim.info(),
        snap: Rc::new(sim.snapshot()),
        series: Rc::new(sim.series(300)),
        replay_max: max,
        scrubbing: false,
    };
    let feed = TextFeed::new(now(&sim, 0));
    let root = new_root();
    let (a, b, c) = (new_root(), new_root(), new_root());
    root.append_child(&a).unwrap();
    root.append_child(&b).unwrap();
    root.append_child(&c).unwrap();
    let props = |piece| LiveProps {
        feed: feed.clone(),
        piece,
        on_cmd: yew::Callback::noop(),
    };
    let handles: Vec<_> = [(a, Piece::Counter), (b, Piece::Stats), (c, Piece::Replay)]
        .into_iter()
        .map(|(el, piece)| yew::Renderer::<Live>::with_root_and_props(el, props(piece)).render())
        .collect();
    settle().await;
    assert_eq!(feed.subscribers(), 3);
    assert_eq!(text(&root, "#iter"), "0");
    let e0 = text(&root, "#energy");
    for _ in 0..7 {
        sim.tick();
    }
    let pushed = now(&sim, 7);
    assert!(feed.push(pushed.clone(), None), "new content is pushed");
    settle().await;
    assert_eq!(text(&root, "#iter"), "7");
    assert_eq!(text(&root, "#energy"), num(sim.snapshot().energy));
    assert_ne!(text(&root, "#energy"), e0, "the energy moved in 7 ticks");
    assert_eq!(text(&root, "#loss"), num(sim.snapshot().loss));
    assert_eq!(
        q(&root, "#replay").get_attribute("max").as_deref(),
        Some("7")
    );
    assert!(
        !feed.push(pushed, None),
        "the same content again is not a change"
    );
    // unmounted, they leave the feed (no callbacks into dead components)
    for h in handles {
        h.destroy();
    }
    settle().await;
    assert_eq!(feed.subscribers(), 0);
    root.remove();
}
