//! Accessibility and robustness helpers of the web face:
//!
//! * the polite live region ([`LiveRegion`]) and what it says ([`announcement`]): state changes
//!   only (settled, finished, diverged, paused, variant, graph, a step by hand), never every tick;
//! * the colour theme: [`ThemeToggle`] in the page chrome, applied as `data-theme="light|dark"`
//!   on `<html>` ([`apply_theme`]); `auto` follows `prefers-color-scheme` live ([`MediaWatch`]).
//!   The choice is stored in `localStorage` only after a click on the toggle, and every storage
//!   access is guarded (sandboxed iframes throw on `window.localStorage`);
//! * [`MediaWatch`] also follows `prefers-reduced-motion` while the page is open.
//!
//! The strings of this module live here (not in `text`) to keep the shared file small.
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::state::{AppState, Cmd, Status, Theme};
use super::text::{self, sci};

pub const STORAGE_KEY: &str = "pc-playground.theme";
pub const THEME_LABEL: &str = "Colour theme";
/// The landmark (region) around the transport, pickers, explanation, replay and slow motion.
pub const CONTROLS_LABEL: &str = "Controls";
/// The pickers and sliders, placed under the graph on a phone.
pub const SETTINGS_LABEL: &str = "Settings";
/// The phone layout's button that jumps to the settings under the graph.
pub const TO_SETTINGS: &str = "Graph, variant and rate ↓";
pub const TABLE_TOGGLE: &str = "Show as table";
pub const TABLE_TOGGLE_HINT: &str = "Show every node's numbers as a table instead of the picture";
pub const ZOOM_TOGGLE: &str = "Readable size";
pub const ZOOM_TOGGLE_HINT: &str =
    "Draw the graph large enough to read every number (scroll sideways) instead of fitting it to the panel";

// ---------------------------------------------------------------------------------------------
// Announcements

/// What the announcer compares between two renders.
#[derive(Clone, Debug, PartialEq)]
pub struct Seen {
    status: Status,
    playing: bool,
    step: usize,
    variant: String,
    /// Identity of the graph (a new preset or a loaded graph makes a new `GraphInfo`).
    graph: usize,
    /// The output's release tick (`None`: clamped).
    released: Option<usize>,
}

impl Seen {
    pub fn of(st: &AppState) -> Seen {
        Seen {
            status: st.status,
            playing: st.playing,
            step: st.snap.step,
            variant: st.variant.clone(),
            graph: Rc::as_ptr(&st.info) as usize,
            released: st.snap.released,
        }
    }
}

/// `1e-7` for 3.2e-8: the power of ten at or above `x`.
fn bound(x: f64) -> String {
    let e = x.log10().ceil() as i32;
    if e == 0 {
        "1".into()
    } else {
        format!("1e{e}")
    }
}

/// Gaps up to this are said as "PC equals backprop within 1e-k" (the settle tolerance leaves
/// ~1e-6 on the paper graph); larger ones as "differs by up to …" (strict PC, early stops).
pub const EQUAL_WITHIN: f64 = 1e-4;

/// The settled / finished sentence, with the engine's numbers.
pub fn settled_sentence(verb: &str, step: usize, gap: f64) -> String {
    if !gap.is_finite() {
        return format!("{verb} at iteration {step}.");
    }
    if gap == 0.0 {
        format!("{verb} at iteration {step}; PC equals backprop exactly.")
    } else if gap <= EQUAL_WITHIN {
        format!(
            "{verb} at iteration {step}; PC equals backprop within {}.",
            bound(gap)
        )
    } else {
        format!(
            "{verb} at iteration {step}; PC differs from backprop by up to {}.",
            sci(gap)
        )
    }
}

/// The sentence for the live region after a change from `before` to `st`, if it is worth
/// saying. Running ticks say nothing; the end of a run, a pause, a step by hand, a reset, a
/// new variant or graph do.
pub fn announcement(before: &Seen, st: &AppState) -> Option<String> {
    let now = Seen::of(st);
    if now == *before {
        return None;
    }
    let step = st.snap.step;
    if now.graph != before.graph {
        return Some(format!("Graph: {}; iteration {step}.", st.info.name));
    }
    if now.variant != before.variant {
        return Some(format!(
            "Variant: {}; back to iteration {step}.",
            text::variant_label(&st.variant)
        ));
    }
    if now.released != before.released {
        return Some(text::clamp_state(now.released));
    }
    if now.status != before.status {
        match now.status {
            Status::Settled => {
                return Some(settled_sentence("Settled", step, st.snap.gap_overall()))
            }
            Status::Finished => {
                return Some(settled_sentence("Finished", step, st.snap.gap_overall()))
            }
            Status::Diverged => {
                let why = st.alert.as_deref().unwrap_or("the run stopped.");
                return Some(format!("Diverged: {why}"));
            }
            _ => {}
        }
    }
    if !now.playing && step == 0 && before.step > 0 {
        return Some("Reset to iteration 0; paused.".into());
    }
    if now.playing != before.playing {
        return Some(if now.playing {
            if st.turbo {
                "Relaxing until settled.".into()
            } else {
                "Playing.".into()
            }
        } else {
            format!("Paused at iteration {step}.")
        });
    }
    if !now.playing && step != before.step {
        return Some(format!(
            "Iteration {step}; {} = {}.",
            text::GAP_OVERALL,
            sci(st.snap.gap_overall())
        ));
    }
    None
}

#[derive(Properties, PartialEq)]
pub struct LiveRegionProps {
    pub message: AttrValue,
}

/// A visually hidden polite status region (it exists from the start, so changes are spoken).
#[function_component(LiveRegion)]
pub fn live_region(p: &LiveRegionProps) -> Html {
    html! {
        <div id="announce" class="visually-hidden" role="status" aria-live="polite" aria-atomic="true">{ p.message.clone() }</div>
    }
}

// ---------------------------------------------------------------------------------------------
// Theme

fn media(q: &str) -> Option<web_sys::MediaQueryList> {
    web_sys::window()?.match_media(q).ok().flatten()
}

pub const DARK_QUERY: &str = "(prefers-color-scheme: dark)";
pub const REDUCED_QUERY: &str = "(prefers-reduced-motion: reduce)";
/// Phones: the graph is drawn stacked in one column (see `layout::stacked`); the same width
/// as the phone rules of `static/robust.css`.
pub const NARROW_QUERY: &str = "(max-width: 480px)";

/// Whether the viewport is phone-narrow ([`NARROW_QUERY`]).
pub fn narrow() -> bool {
    media(NARROW_QUERY).is_some_and(|m| m.matches())
}

/// Whether the system asks for dark.
pub fn system_dark() -> bool {
    media(DARK_QUERY).is_some_and(|m| m.matches())
}

/// `dark` for Dark, `light` for Light, the system's for Auto.
pub fn resolve(theme: Theme, system_dark: bool) -> &'static str {
    match theme {
        Theme::Dark => "dark",
        Theme::Light => "light",
        Theme::Auto if system_dark => "dark",
        Theme::Auto => "light",
    }
}

/// Whether the page is dark now (what `apply_theme` set last, else the system's).
pub fn dark_active() -> bool {
    let attr = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
        .and_then(|e| e.get_attribute("data-theme"));
    match attr.as_deref() {
        Some("dark") => true,
        Some("light") => false,
        _ => system_dark(),
    }
}

/// Put the resolved theme on `<html data-theme=…>` (and the choice on `data-theme-choice`).
pub fn apply_theme(theme: Theme, system_dark: bool) {
    if let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let resolved = resolve(theme, system_dark);
        let _ = el.set_attribute("data-theme", resolved);
        let _ = el.set_attribute("data-theme-choice", theme.key());
        // the theme's series palette as `--c0` … `--c5` (swatches and plot keys use them)
        if let Ok(h) = el.dyn_into::<web_sys::HtmlElement>() {
            let style = h.style();
            for (k, c) in super::palette::css_vars(resolved == "dark") {
                let _ = style.set_property(&k, c);
            }
        }
    }
}

/// `window.localStorage`, or None where it is missing or throws (sandboxed iframes, privacy
/// modes). Never panics.
fn storage() -> Option<JsValue> {
    let w = web_sys::window()?;
    let s = js_sys::Reflect::get(&w, &JsValue::from_str("localStorage")).ok()?;
    (!s.is_null() && !s.is_undefined()).then_some(s)
}

fn call(obj: &JsValue, method: &str, args: &[&str]) -> Option<JsValue> {
    let f: js_sys::Function = js_sys::Reflect::get(obj, &JsValue::from_str(method))
        .ok()?
        .dyn_into()
        .ok()?;
    let r = match args {
        [a] => f.call1(obj, &JsValue::from_str(a)),
        [a, b] => f.call2(obj, &JsValue::from_str(a), &JsValue::from_str(b)),
        _ => f.call0(obj),
    };
    r.ok()
}

/// The theme the visitor chose on an earlier visit, if any (and if storage works).
pub fn stored_theme() -> Option<Theme> {
    let s = storage()?;
    call(&s, "getItem", &[STORAGE_KEY])?
        .as_string()
        .and_then(|v| Theme::parse(v.trim()))
}

/// Remember the visitor's choice (only called from a click on the toggle).
pub fn store_theme(t: Theme) {
    if let Some(s) = storage() {
        let _ = call(&s, "setItem", &[STORAGE_KEY, t.key()]);
    }
}

#[derive(Properties, PartialEq)]
pub struct ThemeToggleProps {
    pub theme: Theme,
    pub on_cmd: Callback<Cmd>,
}

/// Three toggle buttons: auto / light / dark.
#[function_component(ThemeToggle)]
pub fn theme_toggle(p: &ThemeToggleProps) -> Html {
    let buttons = Theme::ALL.into_iter().map(|t| {
        let on = p.on_cmd.clone();
        let onclick = Callback::from(move |_| {
            store_theme(t);
            on.emit(Cmd::SetTheme(t));
        });
        let label = match t {
            Theme::Auto => "Auto",
            Theme::Light => "Light",
            Theme::Dark => "Dark",
        };
        let hint = match t {
            Theme::Auto => "Colours follow the system setting",
            Theme::Light => "Light colours",
            Theme::Dark => "Dark colours",
        };
        html! {
            <button type="button" id={format!("theme-{}", t.key())} aria-pressed={(p.theme == t).to_string()}
                title={hint} {onclick}>{ label }</button>
        }
    });
    html! {
        <div class="theme-toggle" role="group" aria-label={THEME_LABEL}>
            <span class="muted small" aria-hidden="true">{ "Theme" }</span>
            { for buttons }
        </div>
    }
}

// ---------------------------------------------------------------------------------------------
// Media queries that change while the page is open

/// Calls `on_change(matches)` whenever the media query flips; stops when dropped.
pub struct MediaWatch {
    mql: web_sys::MediaQueryList,
    closure: Closure<dyn FnMut(web_sys::Event)>,
}

impl MediaWatch {
    pub fn new(query: &str, on_change: Callback<bool>) -> Option<MediaWatch> {
        let mql = media(query)?;
        let m2 = mql.clone();
        let closure = Closure::<dyn FnMut(web_sys::Event)>::new(move |_e: web_sys::Event| {
            on_change.emit(m2.matches());
        });
        mql.add_event_listener_with_callback("change", closure.as_ref().unchecked_ref())
            .ok()?;
        Some(MediaWatch { mql, closure })
    }
}

impl Drop for MediaWatch {
    fn drop(&mut self) {
        let _ = self
            .mql
            .remove_event_listener_with_callback("change", self.closure.as_ref().unchecked_ref());
    }
}
