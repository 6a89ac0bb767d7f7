//! Robustness and accessibility component tests in headless Chromium (wasm-bindgen-test):
//! hostile node ids render as text, the table view, the live region, the theme.
#![cfg(target_arch = "wasm32")]
mod common;
use common::*;
use std::rc::Rc;

use pc_playground::app::graph_view::GraphView;
use pc_playground::app::sim::Sim;
use pc_playground::app::table_view::TableView;
use pc_playground::app::{App, AppProps};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;
use web_sys::Element;
use yew::prelude::*;

wasm_bindgen_test_configure!(run_in_browser);

async fn mount_app() -> Element {
    let root = new_root();
    yew::Renderer::<App>::with_root_and_props(root.clone(), AppProps { autoplay: false }).render();
    sleep(60).await;
    root
}

const EVIL: &str = "<img src=x onerror=alert(1)>";
const EVIL2: &str = "\"><script>window.__pwned=1</script>";

fn hostile_json() -> String {
    let a = serde_json::to_string(EVIL).unwrap();
    let b = serde_json::to_string(EVIL2).unwrap();
    format!(
        r#"{{"format": 1, "name": {b},
  "nodes": [
    {{"id": {a}, "op": "input", "value": 0.8}},
    {{"id": "w", "op": "param", "value": 1.5}},
    {{"id": {b}, "op": "mul", "parents": ["w", {a}]}},
    {{"id": "y", "op": "tanh", "parents": [{b}]}}
  ],
  "output": "y", "target": 0.4, "inference_rate": 0.1, "steps": 50}}"#
    )
}

#[derive(Properties, PartialEq)]
struct HostileProps {
    table: bool,
}

#[function_component(Hostile)]
fn hostile(p: &HostileProps) -> Html {
    let sim = Sim::new(&hostile_json(), "fixed", f64::NAN).expect("the hostile graph is valid");
    let info = sim.info();
    let snap = Rc::new(sim.snapshot());
    let shown = Rc::new(snap.nodes.iter().map(|n| n.est.clone()).collect::<Vec<_>>());
    html! {
        <>
            <GraphView info={info.clone()} snap={snap.clone()} {shown} />
            if p.table { <TableView info={info} snap={snap} status="paused" /> }
        </>
    }
}

fn alert_trap() -> Rc<std::cell::Cell<u32>> {
    let hits = Rc::new(std::cell::Cell::new(0u32));
    let h = hits.clone();
    let f = Closure::<dyn FnMut()>::new(move || h.set(h.get() + 1));
    let w = web_sys::window().unwrap();
    js_sys::Reflect::set(&w, &JsValue::from_str("alert"), f.as_ref()).unwrap();
    f.forget();
    hits
}

#[wasm_bindgen_test]
async fn hostile_node_ids_render_as_text_never_as_markup() {
    let hits = alert_trap();
    let root = new_root();
    yew::Renderer::<Hostile>::with_root_and_props(root.clone(), HostileProps { table: true })
        .render();
    sleep(300).await; // an <img src=x> would have failed to load and fired onerror by now
    assert_eq!(hits.get(), 0, "alert() was called");
    assert!(
        root.query_selector("img").unwrap().is_none(),
        "an <img> element was created"
    );
    assert!(
        root.query_selector("script").unwrap().is_none(),
        "a <script> element was created"
    );
    let pwned =
        js_sys::Reflect::get(&web_sys::window().unwrap(), &JsValue::from_str("__pwned")).unwrap();
    assert!(pwned.is_undefined());
    let all = root.text_content().unwrap_or_default();
    assert!(all.contains(EVIL), "the id appears literally: {all}");
    assert!(all.contains(EVIL2), "the id appears literally");
    // the node group carries the id as an attribute value, not as markup
    let g = q(&root, "g.node[data-index='0']");
    assert_eq!(g.get_attribute("data-id").unwrap(), EVIL);
    // the table lists it as a row header, as text
    let th = q(&root, "#params-table tbody th");
    assert!(th.text_content().unwrap().contains(EVIL));
    assert_eq!(th.children().length(), 0, "no child elements from the id");
}

#[wasm_bindgen_test]
async fn the_table_view_has_caption_headers_and_every_node() {
    let root = mount_app().await;
    assert!(root.query_selector("#values-table").unwrap().is_none());
    let toggle = q(&root, "#table-toggle");
    assert_eq!(toggle.get_attribute("aria-pressed").unwrap(), "false");
    click(&root, "#table-toggle");
    settle().await;
    assert_eq!(
        q(&root, "#table-toggle")
            .get_attribute("aria-pressed")
            .unwrap(),
        "true"
    );
    assert!(
        root.query_selector("svg#graph").unwrap().is_none(),
        "the table replaces the picture"
    );
    let caption = text(&root, "#values-table caption");
    assert!(caption.contains("iteration 0"), "{caption}");
    let cols = root
        .query_selector_all("#values-table thead th[scope='col']")
        .unwrap();
    assert_eq!(cols.length(), 7);
    // the paper graph: 6 computed nodes, θ and y0 as leaves
    assert_eq!(
        root.query_selector_all("#values-table tbody th[scope='row']")
            .unwrap()
            .length(),
        6
    );
    assert_eq!(
        root.query_selector_all("#params-table tbody th[scope='row']")
            .unwrap()
            .length(),
        2
    );
    // numbers follow the engine: after some steps, ε of y1 in the table is the graph's
    for _ in 0..5 {
        click(&root, "#step");
    }
    settle().await;
    assert!(text(&root, "#values-table caption").contains("iteration 5"));
    let eps = q(&root, "#values-table tr[data-id='y1'] td:nth-of-type(4)")
        .get_attribute("data-value")
        .unwrap();
    let e: f64 = eps.parse().unwrap();
    assert!(e.is_finite() && e != 0.0, "ε_y1 = {eps}");
    click(&root, "#table-toggle");
    settle().await;
    let g = q(&root, "g.node[data-id='y1']")
        .get_attribute("data-eps")
        .unwrap();
    assert_eq!(g, eps, "table and picture show the same ε");
}

#[wasm_bindgen_test]
async fn the_live_region_announces_changes_not_ticks() {
    let root = mount_app().await;
    let region = q(&root, "#announce");
    assert_eq!(region.get_attribute("aria-live").unwrap(), "polite");
    assert_eq!(region.get_attribute("role").unwrap(), "status");
    click(&root, "#step");
    let mut t = String::new();
    for _ in 0..40 {
        sleep(25).await;
        t = text(&root, "#announce");
        if !t.is_empty() {
            break;
        }
    }
    let it = text(&root, "#iter");
    assert!(
        t.starts_with("Iteration 1;"),
        "live region after one step: {t:?} (iteration {it})"
    );
    click(&root, "#relax");
    for _ in 0..100 {
        sleep(50).await;
        if text(&root, "#announce").starts_with("Settled") {
            break;
        }
    }
    let t = text(&root, "#announce");
    assert!(
        t.starts_with("Settled at iteration ") && t.contains("PC equals backprop within 1e-"),
        "{t}"
    );
    let iter = text(&root, "#iter");
    assert!(
        t.contains(&format!("iteration {iter};")),
        "{t} vs #iter {iter}"
    );
    click(&root, "#reset");
    settle().await;
    assert_eq!(text(&root, "#announce"), "Reset to iteration 0; paused.");
    click(&root, "#play");
    settle().await;
    assert_eq!(text(&root, "#announce"), "Playing.");
    // ticks while playing say nothing new
    sleep(200).await;
    assert_eq!(text(&root, "#announce"), "Playing.");
    click(&root, "#play");
    settle().await;
    let t = text(&root, "#announce");
    assert_eq!(t, format!("Paused at iteration {}.", text(&root, "#iter")));
}

#[wasm_bindgen_test]
async fn the_theme_toggle_sets_data_theme_on_html() {
    let root = mount_app().await;
    let html = html_element();
    click(&root, "#theme-dark");
    settle().await;
    assert_eq!(html.get_attribute("data-theme").unwrap(), "dark");
    assert_eq!(
        q(&root, "#theme-dark")
            .get_attribute("aria-pressed")
            .unwrap(),
        "true"
    );
    assert_eq!(
        q(&root, "#theme-auto")
            .get_attribute("aria-pressed")
            .unwrap(),
        "false"
    );
    click(&root, "#theme-light");
    settle().await;
    assert_eq!(html.get_attribute("data-theme").unwrap(), "light");
    assert_eq!(html.get_attribute("data-theme-choice").unwrap(), "light");
    click(&root, "#theme-auto");
    settle().await;
    assert_eq!(html.get_attribute("data-theme-choice").unwrap(), "auto");
}

#[wasm_bindgen_test]
fn a_loaded_graph_stays_paused_under_reduced_motion() {
    use pc_playground::app::state::{AppState, Cmd};
    for reduced in [true, false] {
        let mut st = AppState::new(false);
        st.reduced_motion = reduced;
        let file = st.file.clone();
        st.apply(Cmd::LoadGraph(file));
        assert_eq!(st.playing, !reduced, "reduced motion {reduced}");
        assert_eq!(st.snap.step, 0);
        // Play still plays
        st.apply(Cmd::Play);
        assert!(st.playing);
    }
}

#[wasm_bindgen_test]
async fn the_play_button_changes_its_word_and_has_no_aria_pressed() {
    let root = mount_app().await;
    let play = q(&root, "#play");
    assert_eq!(play.text_content().unwrap(), "Play");
    assert!(!play.has_attribute("aria-pressed"));
    click(&root, "#play");
    let word = || q(&root, "#play").text_content().unwrap();
    until(|| word() == "Pause", 3000).await;
    let play = q(&root, "#play");
    assert_eq!(play.text_content().unwrap(), "Pause");
    assert!(!play.has_attribute("aria-pressed"), "the word says it");
    assert!(play.matches(".playing").unwrap(), "styled by a class");
    click(&root, "#play");
    until(|| word() == "Play", 3000).await;
    assert_eq!(q(&root, "#play").text_content().unwrap(), "Play");
}

#[derive(Properties, PartialEq)]
struct StackProps {
    stacked: bool,
}

#[function_component(Stack)]
fn stack(p: &StackProps) -> Html {
    let sim = Sim::new(&hostile_json(), "fixed", f64::NAN).expect("valid graph");
    let info = sim.info();
    let snap = Rc::new(sim.snapshot());
    let shown = Rc::new(snap.nodes.iter().map(|n| n.est.clone()).collect::<Vec<_>>());
    html! { <GraphView {info} {snap} {shown} stacked={p.stacked} /> }
}

#[wasm_bindgen_test]
async fn the_stacked_graph_is_one_narrow_column() {
    let wide = new_root();
    yew::Renderer::<Stack>::with_root_and_props(wide.clone(), StackProps { stacked: false })
        .render();
    let narrow = new_root();
    yew::Renderer::<Stack>::with_root_and_props(narrow.clone(), StackProps { stacked: true })
        .render();
    settle().await;
    let width = |root: &Element| -> f64 {
        q(root, "svg")
            .get_attribute("width")
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!(q(&narrow, "svg").matches(".stacked").unwrap());
    assert!(!q(&wide, "svg").matches(".stacked").unwrap());
    assert!(
        width(&narrow) < width(&wide),
        "{} vs {}",
        width(&narrow),
        width(&wide)
    );
    assert!(width(&narrow) < 300.0);
    // every node translated to the same x: one column
    let xs: Vec<String> = (0..4)
        .map(|i| {
            let t = q(&narrow, &format!("g.node[data-index='{i}']"))
                .get_attribute("transform")
                .unwrap();
            t.split(',').next().unwrap().to_string()
        })
        .collect();
    assert!(xs.iter().all(|x| x == &xs[0]), "{xs:?}");
}
