//! Teaching layer in headless Chromium: the editor, the replay scrubber, the exports.
#![cfg(target_arch = "wasm32")]
mod common;
use common::*;
use pc_playground::app::editor::{check, file_text};
use pc_playground::app::export::{csv, graph_json, history_json};
use pc_playground::app::sim::Sim;
use pc_playground::app::text_teach::SHORT_EXAMPLES;
use pc_playground::app::{App, AppProps};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, Event, EventInit, HtmlElement, HtmlInputElement, HtmlTextAreaElement};

wasm_bindgen_test_configure!(run_in_browser);

/// Mount a paused App in a fresh div. Drop the handle at the end of the test (the App is
/// destroyed, so apps of earlier tests do not keep playing and loading the page).
async fn mount() -> (Element, Unmount) {
    // the app keeps its state in the URL fragment: start each test from a clean URL
    let w = web_sys::window().unwrap();
    let path = w.location().pathname().unwrap();
    let _ =
        w.history()
            .unwrap()
            .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&path));
    let doc = web_sys::window().unwrap().document().unwrap();
    let root = doc.create_element("div").unwrap();
    doc.body().unwrap().append_child(&root).unwrap();
    let handle =
        yew::Renderer::<App>::with_root_and_props(root.clone(), AppProps { autoplay: false })
            .render();
    sleep(60).await;
    (root, Unmount(Some(handle)))
}

struct Unmount(Option<yew::AppHandle<App>>);

impl Drop for Unmount {
    fn drop(&mut self) {
        if let Some(h) = self.0.take() {
            h.destroy();
        }
    }
}

/// Wait (up to 3 s) until `cond` holds; the machine may be busy, so no fixed sleeps.
async fn until(what: &str, cond: impl Fn() -> bool) {
    for _ in 0..300 {
        if cond() {
            return;
        }
        sleep(10).await;
    }
    panic!("timed out waiting for: {what}");
}

/// Wait (up to 3 s) until `#sel` shows `want`; the machine may be busy, so no fixed sleeps.
async fn until_text(root: &Element, sel: &str, want: &str) {
    for _ in 0..300 {
        if text(root, sel) == want {
            return;
        }
        sleep(10).await;
    }
    assert_eq!(text(root, sel), want, "{sel}");
}

fn node_ids(root: &Element) -> Vec<String> {
    let list = root.query_selector_all("svg#graph g.node").unwrap();
    (0..list.length())
        .map(|k| {
            let e: Element = list.item(k).unwrap().dyn_into().unwrap();
            e.get_attribute("data-id").unwrap()
        })
        .collect()
}

fn fire(el: &Element, kind: &str) {
    let init = EventInit::new();
    init.set_bubbles(true);
    el.dispatch_event(&Event::new_with_event_init_dict(kind, &init).unwrap())
        .unwrap();
}

/// Type `src` into the editor (an input event), optionally pressing Apply.
async fn type_text(root: &Element, src: &str, apply: bool) {
    let area: HtmlTextAreaElement = q(root, "#editor").dyn_into().unwrap();
    area.set_value(src);
    fire(&area, "input");
    if apply {
        q(root, "#editor-apply")
            .dyn_into::<HtmlElement>()
            .unwrap()
            .click();
    }
    sleep(1).await;
}

fn has(root: &Element, sel: &str) -> bool {
    root.query_selector(sel).unwrap().is_some()
}

const TYPO: &str =
    "input x = 0.8\nparam w1 = 1.5, w2 = -0.9\nh = tanhh(w1 * x)\ny = w2 * h\ntarget y = 0.4\n";
const VALID: &str = "input u = 0.5\nparam k = 2\nz = tanh(k * u)\ntarget z = 0.3\n";

#[wasm_bindgen_test]
async fn typo_shows_line_and_column_and_keeps_the_old_graph() {
    let (root, _app) = mount().await;
    let before = node_ids(&root);
    assert_eq!(before.len(), 8, "the paper's graph: {before:?}");
    type_text(&root, TYPO, true).await;
    until("the error", || has(&root, "#editor-error")).await;
    let msg = text(&root, "#editor-error");
    assert!(
        msg.contains("line 3, column 5"),
        "error names line 3, column 5: {msg}"
    );
    assert!(msg.contains("tanhh"), "{msg}");
    assert_eq!(
        q(&root, "#editor-error")
            .get_attribute("data-line")
            .as_deref(),
        Some("3")
    );
    assert!(q(&root, ".gutter .ln.err").text_content().unwrap() == "3");
    assert_eq!(node_ids(&root), before, "the old graph stays");
    // the debounced path (no Apply) keeps it too
    type_text(&root, "input x = 1\ny = x +\ntarget y = 1", false).await;
    until("the line-2 error", || {
        has(&root, "#editor-error") && text(&root, "#editor-error").contains("line 2")
    })
    .await;
    assert_eq!(node_ids(&root), before, "the old graph stays");
}

#[wasm_bindgen_test]
async fn valid_edit_redraws_the_graph() {
    let (root, _app) = mount().await;
    type_text(&root, VALID, true).await;
    until("the new graph", || has(&root, "g.node[data-id='z']")).await;
    let ids = node_ids(&root);
    for id in ["u", "k", "z"] {
        assert!(ids.contains(&id.to_string()), "{id} in {ids:?}");
    }
    assert!(!ids.contains(&"y4".to_string()), "old nodes gone: {ids:?}");
    assert!(root.query_selector("#editor-error").unwrap().is_none());
    // and after a pause alone (debounce), without Apply
    type_text(
        &root,
        "input a = 1\nparam b = 0.5\nc = sin(b * a)\ntarget c = 0",
        false,
    )
    .await;
    assert!(
        !node_ids(&root).contains(&"c".to_string()),
        "not before the pause"
    );
    until("applied after the pause", || {
        node_ids(&root).contains(&"c".to_string())
    })
    .await;
}

fn eps_of(root: &Element, id: &str) -> String {
    q(root, &format!("g.node[data-id='{id}']"))
        .get_attribute("data-eps")
        .unwrap()
}

#[wasm_bindgen_test]
async fn scrubbing_shows_the_state_of_stepping_k_times() {
    let (root, _app) = mount().await;
    let step = q(&root, "#step").dyn_into::<HtmlElement>().unwrap();
    let mut after = vec![];
    for k in 1..=7 {
        step.click();
        until_text(&root, "#iter", &k.to_string()).await;
        after.push((
            text(&root, "#iter"),
            eps_of(&root, "y1"),
            eps_of(&root, "t"),
        ));
    }
    assert_eq!(text(&root, "#iter"), "7");
    let range: HtmlInputElement = q(&root, "#replay").dyn_into().unwrap();
    assert_eq!(range.max(), "7");
    for k in [3usize, 1, 6, 0] {
        range.set_value(&k.to_string());
        fire(&range, "input");
        until_text(&root, "#iter", &k.to_string()).await;
        sleep(20).await;
        if k > 0 {
            let (it, y1, t) = &after[k - 1];
            assert_eq!(it, &k.to_string());
            assert_eq!(&eps_of(&root, "y1"), y1, "ε_y1 at tick {k}");
            assert_eq!(&eps_of(&root, "t"), t, "ε_t at tick {k}");
        }
        assert!(text(&root, "#replay-label").contains("of 7"));
    }
    // stepping on from a scrubbed tick continues from there
    range.set_value("2");
    fire(&range, "input");
    until_text(&root, "#iter", "2").await;
    step.click();
    until_text(&root, "#iter", "3").await;
    assert_eq!(eps_of(&root, "y1"), after[2].1);
}

#[wasm_bindgen_test]
fn examples_parse_and_exports_round_trip() {
    for (title, src) in SHORT_EXAMPLES {
        check(src).unwrap_or_else(|e| panic!("{title}: {}", e.shown()));
    }
    let f = check(VALID).unwrap();
    let json = serde_json::to_string(&f).unwrap();
    let mut sim = Sim::new(&json, "fixed", f64::NAN).unwrap();
    for _ in 0..5 {
        sim.tick();
    }
    // graph JSON re-imports to the same graph
    let out = graph_json(&sim);
    let back = check(&out).unwrap();
    assert_eq!(back, sim.graph_file());
    let sim2 = Sim::new(&out, "fixed", f64::NAN).unwrap();
    assert_eq!(sim2.graph_file(), sim.graph_file());
    // expression text of it parses back too
    check(&file_text(&back)).unwrap();
    // CSV: header + one row per recorded step (0..=5); ε at step 5 equals the live one
    let c = csv(&sim);
    let lines: Vec<&str> = c.trim_end().lines().collect();
    assert_eq!(lines.len(), 7, "{c}");
    assert_eq!(
        lines[0],
        "step,energy,loss,gap_nodes,gap_params,eps_mul1,eps_z,delta_mul1,delta_z"
    );
    let last: Vec<f64> = lines[6].split(',').map(|x| x.parse().unwrap()).collect();
    assert_eq!(last[0], 5.0);
    let z = sim
        .info()
        .nodes
        .iter()
        .position(|n| n.id == "mul1")
        .unwrap();
    assert_eq!(last[5], sim.session().error(z)[0]);
    let h = history_json(&sim);
    let v: serde_json::Value = serde_json::from_str(&h).unwrap();
    assert_eq!(v["history"].as_array().unwrap().len(), 6);
    assert_eq!(v["history"][5]["eps"]["mul1"][0].as_f64().unwrap(), last[5]);
    assert_eq!(v["start"], "feedforward");
    assert_eq!(v["output_clamp_events"].as_array().unwrap().len(), 0);
    // a released output and a random start are part of the record, and the history replays them
    let mut sim2 = Sim::new(&out, "fixed", f64::NAN).unwrap();
    sim2.set_start(pc_playground::engine::Start::Random(5));
    for _ in 0..3 {
        sim2.tick();
    }
    sim2.set_output_clamped(false).unwrap();
    for _ in 0..4 {
        sim2.tick();
    }
    let v: serde_json::Value = serde_json::from_str(&history_json(&sim2)).unwrap();
    assert_eq!(v["start"]["random_seed"], 5);
    assert_eq!(v["output_clamp_events"][0]["step"], 3);
    assert_eq!(v["output_clamp_events"][0]["output_clamped"], false);
    let y = sim2.info().output;
    let id = &sim2.info().nodes[y].id;
    let hist = v["history"].as_array().unwrap();
    let end = &hist[hist.len() - 1];
    assert_eq!(end["step"], 7);
    assert_eq!(
        end["eps"][id][0].as_f64().unwrap(),
        sim2.session().error(y)[0]
    );
}

#[derive(yew::Properties, PartialEq)]
struct AnimProps {
    feed: pc_playground::app::graph_view::FrameFeed,
    snap: std::rc::Rc<pc_playground::app::sim::Snap>,
    info: std::rc::Rc<pc_playground::app::sim::GraphInfo>,
}

#[yew::function_component(AnimGraph)]
fn anim_graph(p: &AnimProps) -> yew::Html {
    use pc_playground::app::graph_view::GraphView;
    let shown = std::rc::Rc::new(
        p.snap
            .nodes
            .iter()
            .map(|n| n.est.clone())
            .collect::<Vec<_>>(),
    );
    yew::html! { <GraphView info={p.info.clone()} snap={p.snap.clone()} {shown} feed={p.feed.clone()} /> }
}

fn attrs(root: &Element, sel: &str, name: &str) -> Vec<String> {
    let list = root.query_selector_all(sel).unwrap();
    (0..list.length())
        .map(|k| {
            let el: Element = list.item(k).unwrap().dyn_into().unwrap();
            if name == "#text" {
                el.text_content().unwrap_or_default()
            } else {
                el.get_attribute(name).unwrap_or_default()
            }
        })
        .collect()
}

#[wasm_bindgen_test]
async fn animation_frames_are_what_the_graph_shows_and_the_svg_plays_them() {
    use pc_playground::app::export::{animated_svg, animation_ticks, ANIM_EARLY};
    use pc_playground::app::graph_view::FrameFeed;
    // the ticks: every early one, then spaced out to the end
    assert_eq!(animation_ticks(0), vec![0]);
    assert_eq!(animation_ticks(7), (0..=7).collect::<Vec<_>>());
    let t = animation_ticks(2000);
    assert_eq!(&t[..=ANIM_EARLY], &(0..=ANIM_EARLY).collect::<Vec<_>>()[..]);
    assert!(t.windows(2).all(|w| w[0] < w[1]) && *t.last().unwrap() == 2000 && t.len() <= 62);

    let sim = Sim::new(
        pc_playground::app::presets::get("paper").unwrap().json,
        "fixed",
        f64::NAN,
    )
    .unwrap();
    let snaps = sim.snapshots_at(&[0, 3, 9, 40]);
    assert_eq!(
        snaps.iter().map(|s| s.step).collect::<Vec<_>>(),
        vec![0, 3, 9, 40]
    );
    let feed = FrameFeed::default();
    let root = new_root();
    let handle = yew::Renderer::<AnimGraph>::with_root_and_props(
        root.clone(),
        AnimProps {
            feed: feed.clone(),
            snap: std::rc::Rc::new(snaps[2].clone()),
            info: sim.info(),
        },
    )
    .render();
    settle().await;
    let frames = feed.record(&snaps).expect("a mounted graph records");
    // the recording of tick 9 is exactly what the painter drew for tick 9
    let f = &frames[2];
    assert_eq!(f.step, 9);
    assert_eq!(
        attrs(&root, "svg.marks circle.est", "r"),
        f.discs.iter().map(|d| d[0].clone()).collect::<Vec<_>>()
    );
    assert_eq!(
        attrs(&root, "svg.marks circle.est", "fill"),
        f.discs.iter().map(|d| d[1].clone()).collect::<Vec<_>>()
    );
    assert_eq!(attrs(&root, "svg.marks circle.ghost", "r"), f.rings);
    assert_eq!(
        attrs(&root, "svg.marks path.edge", "stroke-width"),
        f.edges.iter().map(|e| e[1].clone()).collect::<Vec<_>>()
    );
    assert_eq!(attrs(&root, "g.node text.num", "#text"), f.nums);
    // and the frames differ over time (the error front moves)
    assert_ne!(frames[0].discs, frames[3].discs);

    let svg = root.query_selector("svg#graph").unwrap().unwrap();
    let marks = root.query_selector("svg.marks").unwrap().unwrap();
    let s = animated_svg(&svg, &marks, &frames).expect("the frames fit the drawing");
    assert!(s.starts_with("<?xml"));
    assert!(
        !s.contains("NaN") && !s.contains("class="),
        "stand-alone, no NaN"
    );
    // each disc and ring whose radius changes over the run is animated through the recorded
    // values; the others (the clamped output's error) keep one radius
    let varies = |v: Vec<String>| v.iter().any(|x| *x != v[0]);
    let moving = (0..f.discs.len())
        .filter(|&d| varies(frames.iter().map(|f| f.discs[d][0].clone()).collect()))
        .count()
        + (0..f.rings.len())
            .filter(|&d| varies(frames.iter().map(|f| f.rings[d].clone()).collect()))
            .count();
    assert!(moving > 2);
    assert_eq!(s.matches("attributeName=\"r\"").count(), moving);
    let d = (0..f.discs.len())
        .find(|&d| varies(frames.iter().map(|f| f.discs[d][0].clone()).collect()))
        .unwrap();
    let want: Vec<String> = frames.iter().map(|f| f.discs[d][0].clone()).collect();
    assert!(
        s.contains(&format!("values=\"{};{}\"", want.join(";"), want[3])),
        "disc {d}'s radii {want:?}"
    );
    // one counter text per frame, shown in turn
    for step in [0, 3, 9, 40] {
        assert!(
            s.contains(&format!(">iteration {step}<")),
            "counter at {step}"
        );
    }
    // every number's text at every frame is in the file
    for f in &frames {
        for t in &f.nums {
            assert!(s.contains(&format!(">{t}<")), "{t}");
        }
    }
    // a recording that does not fit the drawing is refused, not drawn
    let mut short = frames.clone();
    short[0].discs.pop();
    assert!(animated_svg(&svg, &marks, &short).is_none());
    drop(handle);
}
