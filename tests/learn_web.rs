//! The learning panel in headless Chromium: PC and BP from the same start, both losses fall.
#![cfg(target_arch = "wasm32")]
mod common;
use common::*;
use pc_playground::app::learn_view::LearnPanel;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement};

wasm_bindgen_test_configure!(run_in_browser);

fn value(root: &Element, sel: &str) -> f64 {
    root.query_selector(sel)
        .unwrap()
        .unwrap()
        .get_attribute("data-value")
        .unwrap()
        .parse()
        .unwrap()
}

#[wasm_bindgen_test]
async fn epochs_lower_both_losses_from_the_same_start() {
    let doc = web_sys::window().unwrap().document().unwrap();
    let root = doc.create_element("div").unwrap();
    doc.body().unwrap().append_child(&root).unwrap();
    yew::Renderer::<LearnPanel>::with_root(root.clone()).render();
    sleep(50).await;
    let (pc0, bp0) = (
        value(&root, "#learn-loss-pc"),
        value(&root, "#learn-loss-bp"),
    );
    assert_eq!(pc0, bp0, "same initial weights");
    let epoch = root
        .query_selector("#learn-epoch")
        .unwrap()
        .unwrap()
        .dyn_into::<HtmlElement>()
        .unwrap();
    for _ in 0..60 {
        epoch.click();
    }
    let n = || {
        root.query_selector("#learn-epoch-n")
            .unwrap()
            .unwrap()
            .text_content()
            .unwrap()
    };
    for _ in 0..300 {
        if n() == "60" {
            break;
        }
        sleep(10).await;
    }
    assert_eq!(n(), "60");
    let (pc, bp) = (
        value(&root, "#learn-loss-pc"),
        value(&root, "#learn-loss-bp"),
    );
    assert!(
        pc < pc0 && bp < bp0,
        "losses fall: PC {pc0} → {pc}, BP {bp0} → {bp}"
    );
    assert!((pc - bp).abs() < 0.05 * bp, "PC tracks BP: {pc} vs {bp}");
    assert!(value(&root, "#learn-cos") > 0.9);
}
