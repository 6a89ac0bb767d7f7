//! Helpers shared by the browser test files (`tests/*web*.rs`, wasm-bindgen-test in headless
//! Chromium). Each file uses a subset, hence the allow.
#![allow(dead_code)]
use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;
use web_sys::{Element, Event, HtmlElement};

pub async fn sleep(ms: u64) {
    yew::platform::time::sleep(std::time::Duration::from_millis(ms)).await;
}

/// Let a frame pass, then wait until Yew has run every pending render and effect.
pub async fn settle() {
    sleep(16).await;
    yew::scheduler::flush().await;
}

/// Poll `f` every 20 ms for up to `ms` milliseconds (a busy machine may take several frames
/// to render); whether it became true.
pub async fn until(mut f: impl FnMut() -> bool, ms: u64) -> bool {
    for _ in 0..ms.div_ceil(20) {
        if f() {
            return true;
        }
        sleep(20).await;
    }
    f()
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

/// A bubbling `keydown` with `key` (built through the JS constructor).
pub fn press(el: &Element, key: &str) {
    let w = web_sys::window().unwrap();
    let ctor: js_sys::Function = js_sys::Reflect::get(&w, &JsValue::from_str("KeyboardEvent"))
        .unwrap()
        .dyn_into()
        .unwrap();
    let init = js_sys::Object::new();
    js_sys::Reflect::set(&init, &"key".into(), &key.into()).unwrap();
    js_sys::Reflect::set(&init, &"bubbles".into(), &true.into()).unwrap();
    let args = js_sys::Array::of2(&"keydown".into(), &init);
    let ev: Event = js_sys::Reflect::construct(&ctor, &args)
        .unwrap()
        .dyn_into()
        .unwrap();
    el.dispatch_event(&ev).unwrap();
}

/// Whether an element's `class` attribute lists `c`.
pub trait HasClass {
    fn has_class(&self, c: &str) -> bool;
}
impl HasClass for Element {
    fn has_class(&self, c: &str) -> bool {
        self.get_attribute("class")
            .unwrap_or_default()
            .split_whitespace()
            .any(|x| x == c)
    }
}
