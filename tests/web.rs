//! Component tests in headless Chromium (wasm-bindgen-test).
#![cfg(target_arch = "wasm32")]
use pc_playground::app::App;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{HtmlCanvasElement, HtmlElement};

wasm_bindgen_test_configure!(run_in_browser);

async fn mount() -> web_sys::Element {
    let doc = web_sys::window().unwrap().document().unwrap();
    let root = doc.create_element("div").unwrap();
    doc.body().unwrap().append_child(&root).unwrap();
    yew::Renderer::<App>::with_root(root.clone()).render();
    yew::platform::time::sleep(std::time::Duration::from_millis(50)).await;
    root
}

#[wasm_bindgen_test]
async fn shell_renders_and_steps() {
    let root = mount().await;
    let count = root.query_selector("#count").unwrap().unwrap();
    assert_eq!(count.text_content().unwrap(), "0");
    let canvas: HtmlCanvasElement = root
        .query_selector("#plot")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    let before = canvas.to_data_url().unwrap();
    let btn: HtmlElement = root
        .query_selector("#step")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    btn.click();
    yew::platform::time::sleep(std::time::Duration::from_millis(50)).await;
    assert_eq!(count.text_content().unwrap(), "1");
    assert_ne!(
        canvas.to_data_url().unwrap(),
        before,
        "the chart must redraw"
    );
    assert_eq!(
        root.query_selector_all("svg circle.node").unwrap().length(),
        3
    );
}
