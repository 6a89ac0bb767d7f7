//! Helpers shared by the browser test files (`tests/*web*.rs`, wasm-bindgen-test in headless
//! Chromium). Each file uses a subset, hence the allow.
#![allow(dead_code)]
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};

pub async fn sleep(ms: u64) {
    yew::platform::time::sleep(std::time::Duration::from_millis(ms)).await;
}

/// Let a frame pass, then wait until Yew has run every pending render and effect.
pub async fn settle() {
    sleep(16).await;
    yew::scheduler::flush().await;
}

/// The page's `<html>` element (where the theme is set).
pub fn html_element() -> Element {
    web_sys::window()
        .unwrap()
        .document()
        .unwrap()
        .document_element()
        .unwrap()
}

/// A fresh `<div>` in the body to mount a component into.
pub fn new_root() -> Element {
    let doc = web_sys::window().unwrap().document().unwrap();
    let root = doc.create_element("div").unwrap();
    doc.body().unwrap().append_child(&root).unwrap();
    root
}

pub fn q(root: &Element, sel: &str) -> Element {
    root.query_selector(sel)
        .unwrap()
        .unwrap_or_else(|| panic!("no element {sel}"))
}

pub fn click(root: &Element, sel: &str) {
    q(root, sel).dyn_into::<HtmlElement>().unwrap().click();
}

pub fn text(root: &Element, sel: &str) -> String {
    q(root, sel).text_content().unwrap_or_default()
}
