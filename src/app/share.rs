//! The share bar and its dialogs: "Copy link", "Embed…" (iframe snippet with a live preview)
//! and "Lesson link…" (a link that hides chosen controls). All links come from the current
//! fragment, which [`super::embed::Hub`] keeps up to date.
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Event, HtmlInputElement, HtmlSelectElement, KeyboardEvent};
use yew::prelude::*;

use crate::share_codec::{self as codec, Link, Panels, Theme, PANELS};

use super::embed::HIDEABLE;
use super::url;

/// Copy `text` to the clipboard; `done(true)` on success. Never throws: sandboxed frames and
/// old browsers without the async clipboard report `false` so the caller can show the text.
pub fn copy_text(text: &str, done: Callback<bool>) {
    let fail = done.clone();
    let attempt = || -> Option<js_sys::Promise> {
        let nav = web_sys::window()?.navigator();
        let clip = js_sys::Reflect::get(&nav, &JsValue::from_str("clipboard")).ok()?;
        if clip.is_undefined() || clip.is_null() {
            return None;
        }
        let write = js_sys::Reflect::get(&clip, &JsValue::from_str("writeText"))
            .ok()?
            .dyn_into::<js_sys::Function>()
            .ok()?;
        write
            .call1(&clip, &JsValue::from_str(text))
            .ok()?
            .dyn_into::<js_sys::Promise>()
            .ok()
    };
    match attempt() {
        Some(p) => {
            // one small closure pair per click, released to JS (a copy is a rare, manual act)
            let ok = Closure::<dyn FnMut(JsValue)>::new(move |_v: JsValue| done.emit(true));
            let err = Closure::<dyn FnMut(JsValue)>::new(move |_v: JsValue| fail.emit(false));
            let _ = p.then2(&ok, &err);
            ok.forget();
            err.forget();
        }
        None => fail.emit(false),
    }
}

fn attr_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
}

/// The folder of the current page (for `host/pc-embed.js`).
fn base_dir() -> String {
    let b = url::base_url();
    let path = b.split('?').next().unwrap_or("");
    match path.rfind('/') {
        Some(i) => path[..=i].to_string(),
        None => String::new(),
    }
}

pub const IFRAME_SANDBOX: &str = "allow-scripts allow-popups allow-popups-to-escape-sandbox";
pub const IFRAME_TITLE: &str = "Predictive Coding Playground";

/// The iframe snippet for an embed of `src`.
pub fn snippet(src: &str, height: u32, title: &str, script: bool) -> String {
    let mut s = format!(
        "<iframe src=\"{}\" title=\"{}\" width=\"100%\" height=\"{height}\" style=\"width:100%;border:0\" loading=\"lazy\" sandbox=\"{IFRAME_SANDBOX}\"></iframe>",
        attr_escape(src),
        attr_escape(title)
    );
    if script {
        s.push_str(&format!(
            "\n<script src=\"{}host/pc-embed.js\" defer></script>",
            attr_escape(&base_dir())
        ));
    }
    s
}

#[derive(Clone, Copy, PartialEq)]
enum Open {
    None,
    Embed,
    Lesson,
}

#[derive(Properties, PartialEq)]
pub struct ShareProps {
    /// The current state's fragment (without `#`).
    pub fragment: AttrValue,
}

#[function_component(ShareBar)]
pub fn share_bar(p: &ShareProps) -> Html {
    let open = use_state(|| Open::None);
    let copied = use_state(|| None::<bool>);
    let link_url = format!("{}#{}", url::base_url(), p.fragment);
    let on_copy = {
        let copied = copied.clone();
        let text = link_url.clone();
        Callback::from(move |_| {
            let c = copied.clone();
            copy_text(&text, Callback::from(move |ok| c.set(Some(ok))));
        })
    };
    let toggle = |which: Open| {
        let open = open.clone();
        Callback::from(move |_| {
            open.set(if *open == which { Open::None } else { which });
        })
    };
    let close = {
        let open = open.clone();
        Callback::from(move |_| open.set(Open::None))
    };
    let status = match *copied {
        Some(true) => html! { <span class="copy-status">{ "Link copied." }</span> },
        Some(false) => html! {
            <span class="copy-status">
                { "Copying is blocked here; copy the link by hand: " }
                <input class="link-out" readonly=true value={link_url.clone()} aria-label="Link to this view" />
            </span>
        },
        None => html! {},
    };
    let link = codec::decode(&p.fragment).link;
    html! {
        <div class="share-bar" role="group" aria-label="Share">
            <button id="copy-link" type="button" onclick={on_copy} title="Copy a link to exactly this view">{ "Copy link" }</button>
            <button id="open-embed" type="button" aria-expanded={(*open == Open::Embed).to_string()} onclick={toggle(Open::Embed)}>{ "Embed…" }</button>
            <button id="open-lesson" type="button" aria-expanded={(*open == Open::Lesson).to_string()} onclick={toggle(Open::Lesson)}>{ "Make a lesson link…" }</button>
            <span aria-live="polite">{ status }</span>
            if *open == Open::Embed { <EmbedDialog link={link.clone()} onclose={close.clone()} /> }
            if *open == Open::Lesson { <LessonDialog link={link} onclose={close} /> }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct DialogProps {
    pub link: Link,
    pub onclose: Callback<()>,
}

fn dialog_keys(onclose: Callback<()>) -> Callback<KeyboardEvent> {
    Callback::from(move |e: KeyboardEvent| {
        // keys typed in a dialog never drive the simulation
        e.stop_propagation();
        if e.key() == "Escape" {
            onclose.emit(());
        }
    })
}

fn copy_button(id: &'static str, text: String, state: UseStateHandle<Option<bool>>) -> Html {
    let onclick = {
        let state = state.clone();
        Callback::from(move |_| {
            let s = state.clone();
            copy_text(&text, Callback::from(move |ok| s.set(Some(ok))));
        })
    };
    let msg = match *state {
        Some(true) => "Copied.",
        Some(false) => "Copying is blocked here; select the text and copy it.",
        None => "",
    };
    html! {
        <>
            <button id={id} type="button" {onclick}>{ "Copy" }</button>
            <span class="copy-status" aria-live="polite">{ msg }</span>
        </>
    }
}

#[function_component(EmbedDialog)]
pub fn embed_dialog(p: &DialogProps) -> Html {
    let panels = use_state(|| p.link.view.panels);
    let theme = use_state(|| p.link.view.theme);
    let transparent = use_state(|| p.link.view.transparent);
    let height = use_state(|| 640u32);
    let script = use_state(|| true);
    let copied = use_state(|| None::<bool>);

    let mut l = p.link.clone();
    l.view.embed = true;
    l.view.panels = *panels;
    l.view.theme = *theme;
    l.view.transparent = *transparent;
    let src = url::full_url(&l);
    let code = snippet(&src, *height, IFRAME_TITLE, *script);

    let panel_boxes = PANELS.iter().map(|&name| {
        let on = panels.get(name);
        let panels = panels.clone();
        let onchange = Callback::from(move |e: Event| {
            if let Some(el) = e.target_dyn_into::<HtmlInputElement>() {
                let mut next: Panels = *panels;
                next.set(name, el.checked());
                if next.graph || next.plots || next.controls {
                    panels.set(next);
                } else {
                    el.set_checked(true);
                }
            }
        });
        html! {
            <label class="check"><input type="checkbox" id={format!("embed-panel-{name}")} checked={on} {onchange} />{ name }</label>
        }
    });
    let on_theme = {
        let theme = theme.clone();
        Callback::from(move |e: Event| {
            if let Some(el) = e.target_dyn_into::<HtmlSelectElement>() {
                theme.set(Theme::parse(&el.value()).unwrap_or_default());
            }
        })
    };
    let on_bg = {
        let t = transparent.clone();
        Callback::from(move |e: Event| {
            if let Some(el) = e.target_dyn_into::<HtmlInputElement>() {
                t.set(el.checked());
            }
        })
    };
    let on_script = {
        let s = script.clone();
        Callback::from(move |e: Event| {
            if let Some(el) = e.target_dyn_into::<HtmlInputElement>() {
                s.set(el.checked());
            }
        })
    };
    let on_height = {
        let h = height.clone();
        Callback::from(move |e: Event| {
            if let Some(el) = e.target_dyn_into::<HtmlInputElement>() {
                if let Ok(v) = el.value().trim().parse::<u32>() {
                    h.set(v.clamp(120, 4000));
                }
            }
        })
    };
    let onclose = p.onclose.clone();
    let close = Callback::from(move |_| onclose.emit(()));
    html! {
        <div class="share-dialog" id="embed-dialog" role="dialog" aria-labelledby="embed-title" onkeydown={dialog_keys(p.onclose.clone())}>
            <div class="dialog-head">
                <h2 id="embed-title">{ "Embed this view" }</h2>
                <button type="button" class="dismiss" aria-label="Close" onclick={close}>{ "×" }</button>
            </div>
            <p class="muted small">{ "Paste the snippet into any web page. The widget shows the current graph, variant and settings; it starts when scrolled into view." }</p>
            <div class="dialog-options">
                <fieldset class="leaves"><legend>{ "Panels" }</legend>{ for panel_boxes }</fieldset>
                <div class="field">
                    <label for="embed-theme">{ "Theme" }</label>
                    <select id="embed-theme" onchange={on_theme}>
                        { for [Theme::Auto, Theme::Light, Theme::Dark].iter().map(|t| html! {
                            <option value={t.key()} selected={*t == *theme}>{ t.key() }</option>
                        }) }
                    </select>
                </div>
                <div class="field">
                    <label for="embed-height">{ "Height (px)" }</label>
                    <input id="embed-height" class="num-input" type="number" min="120" max="4000" step="10" value={height.to_string()} onchange={on_height} />
                </div>
                <label class="check"><input type="checkbox" id="embed-transparent" checked={*transparent} onchange={on_bg} />{ "transparent background" }</label>
                <label class="check"><input type="checkbox" id="embed-autoheight" checked={*script} onchange={on_script} />{ "auto-height (adds the small host script)" }</label>
            </div>
            <label class="field" for="embed-code">{ "Snippet" }</label>
            <textarea id="embed-code" class="code" readonly=true rows="4" value={code.clone()} />
            <div class="dialog-actions">{ copy_button("copy-embed", code, copied) }</div>
            <div class="preview">
                <div class="muted small">{ "Live preview" }</div>
                <iframe id="embed-preview" src={src} title={IFRAME_TITLE} width="100%" height={height.to_string()}
                    style="width:100%;border:1px dashed var(--border);border-radius:8px" loading="lazy" sandbox={IFRAME_SANDBOX}></iframe>
            </div>
        </div>
    }
}

#[function_component(LessonDialog)]
pub fn lesson_dialog(p: &DialogProps) -> Html {
    let hidden = use_state(|| p.link.view.hide.clone());
    let copied = use_state(|| None::<bool>);
    let mut l = p.link.clone();
    l.view.hide = HIDEABLE
        .iter()
        .filter(|(k, _)| hidden.iter().any(|h| h == k))
        .map(|(k, _)| k.to_string())
        .collect();
    let href = url::full_url(&l);
    let boxes = HIDEABLE.iter().map(|&(key, label)| {
        let on = hidden.iter().any(|h| h == key);
        let hidden = hidden.clone();
        let onchange = Callback::from(move |e: Event| {
            if let Some(el) = e.target_dyn_into::<HtmlInputElement>() {
                let mut next: Vec<String> = (*hidden)
                    .iter()
                    .filter(|h| h.as_str() != key)
                    .cloned()
                    .collect();
                if el.checked() {
                    next.push(key.to_string());
                }
                hidden.set(next);
            }
        });
        html! {
            <label class="check"><input type="checkbox" id={format!("hide-{key}")} checked={on} {onchange} />{ label }</label>
        }
    });
    let onclose = p.onclose.clone();
    let close = Callback::from(move |_| onclose.emit(()));
    html! {
        <div class="share-dialog" id="lesson-dialog" role="dialog" aria-labelledby="lesson-title" onkeydown={dialog_keys(p.onclose.clone())}>
            <div class="dialog-head">
                <h2 id="lesson-title">{ "Make a lesson link" }</h2>
                <button type="button" class="dismiss" aria-label="Close" onclick={close}>{ "×" }</button>
            </div>
            <p class="muted small">{ "Tick the controls your students should not see. The link keeps the current graph and settings." }</p>
            <fieldset class="leaves hide-list"><legend>{ "Hide" }</legend>{ for boxes }</fieldset>
            <label class="field" for="lesson-link">{ "Lesson link" }</label>
            <input id="lesson-link" class="link-out" readonly=true value={href.clone()} />
            <div class="dialog-actions">
                { copy_button("copy-lesson", href.clone(), copied) }
                <a href={href} target="_blank" rel="noopener">{ "Open it ↗" }</a>
            </div>
        </div>
    }
}
