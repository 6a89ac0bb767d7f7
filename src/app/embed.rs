//! Links and embedding at run time: the [`Hub`] loads the state from the URL, keeps the fragment
//! up to date, applies embed mode (panels, theme, hidden controls), talks to a host page through
//! postMessage ([`crate::embed_api`]), reports its height, and starts lazily / pauses when the
//! widget is off-screen or the tab is hidden.
use std::cell::Cell;
use std::rc::Rc;

use js_sys::Object;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{
    Event as DomEvent, EventTarget, IntersectionObserver, IntersectionObserverEntry,
    IntersectionObserverInit, MessageEvent, ResizeObserver,
};
use yew::prelude::*;

use crate::embed_api::{self, check_header, Command, Event, Reject, API_VERSION, MAX_TICKS, NS};
use crate::share_codec::{self as codec, Link, Model, View};

use super::state::{AppState, Cmd, ColourScale, Status};
use super::url;

/// Host-side messages turned into app messages.
pub enum EmbedMsg {
    Command(Command),
    /// A message from the host that is ours but could not be read.
    Rejected(String),
    /// The widget entered (true) or left (false) the viewport.
    Visible(bool),
    /// The tab was hidden (true) or shown again (false).
    PageHidden(bool),
    /// The visitor edited the fragment.
    HashChanged,
}

/// Minimum milliseconds between two `tick` events (≤ 10 per second).
const TICK_EVENT_MS: f64 = 100.0;

type Listener = (EventTarget, &'static str, Closure<dyn FnMut(DomEvent)>);
type ObserverFn = Closure<dyn FnMut(JsValue)>;

pub struct Hub {
    /// The loaded link (presentation and the play flag); the model part follows the state.
    pub link: Rc<Link>,
    fragment: String,
    framed: bool,
    listeners: Vec<Listener>,
    resize: Option<(ResizeObserver, ObserverFn)>,
    io: Option<(IntersectionObserver, ObserverFn)>,
    last_tick_ms: f64,
    last_status: Status,
    want_play: bool,
    started: bool,
    on_screen: bool,
    page_hidden: bool,
    auto_paused: bool,
}

fn window() -> Option<web_sys::Window> {
    web_sys::window()
}

/// The parent window when this page is inside a frame.
fn parent() -> Option<web_sys::Window> {
    let w = window()?;
    let p = w.parent().ok().flatten()?;
    if Object::is(&p, &w) {
        None
    } else {
        Some(p)
    }
}

fn now() -> f64 {
    super::clock::now()
}

/// Post an event to the host (no-op at top level). `id` is the instance id from the link.
fn post(event: &Event, id: Option<&str>, origins: &[String]) {
    let Some(p) = parent() else { return };
    // through JSON text (serde_json is linked anyway; a second serde data format for JS
    // values would add its own copy of every message type's serde code to the wasm)
    let Some(v) = serde_json::to_string(event)
        .ok()
        .and_then(|s| js_sys::JSON::parse(&s).ok())
    else {
        return;
    };
    let set = |k: &str, x: JsValue| {
        let _ = js_sys::Reflect::set(&v, &JsValue::from_str(k), &x);
    };
    set("ns", JsValue::from_str(NS));
    set("v", JsValue::from_f64(API_VERSION as f64));
    if let Some(id) = id {
        set("id", JsValue::from_str(id));
    }
    // a single allowed origin is also the only one that may read our events
    let target = match origins {
        [one] => one.as_str(),
        _ => "*",
    };
    let _ = p.post_message(&v, target);
}

fn apply_presentation(view: &View) {
    let Some(el) = window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    else {
        return;
    };
    let attr = |k: &str, v: Option<&str>| {
        let _ = match v {
            Some(v) => el.set_attribute(k, v),
            None => el.remove_attribute(k),
        };
    };
    attr("data-embed", view.embed.then_some("1"));
    attr("data-bg", view.transparent.then_some("transparent"));
}

/// Names usable in `hide=` (one CSS rule each in static/embed.css), with their labels.
pub const HIDEABLE: [(&str, &str); 15] = [
    ("preset", "Graph picker"),
    ("variant", "Variant picker"),
    ("explain", "Variant explanation"),
    ("rate", "Inference rate"),
    ("speed", "Speed"),
    ("play", "Play button"),
    ("step", "Step button"),
    ("relax", "Relax button"),
    ("reset", "Reset button"),
    ("inputs", "Inputs and target"),
    ("clamp", "Output clamp switch"),
    ("scale", "Colour-scale switch"),
    ("learn", "Learning step"),
    ("legend", "Legend"),
    ("share", "Share buttons"),
];

impl Hub {
    /// Read the URL and apply it to `st` (a fresh default state); install the host connection.
    /// `autoplay` is the app's own wish (false under reduced motion).
    pub fn boot(st: &mut AppState, autoplay: bool, cb: Callback<EmbedMsg>) -> Hub {
        let link = Self::load(st);
        let framed = parent().is_some();
        let mut hub = Hub {
            fragment: String::new(),
            framed,
            listeners: vec![],
            resize: None,
            io: None,
            last_tick_ms: f64::NEG_INFINITY,
            last_status: st.status,
            want_play: autoplay && link.model.autoplay != Some(false),
            started: false,
            on_screen: true,
            page_hidden: false,
            auto_paused: false,
            link: Rc::new(link),
        };
        hub.fragment = codec::encode(&hub.current(st));
        hub.install(cb);
        if !hub.link.view.embed || hub.io.is_none() {
            hub.start(st);
        }
        hub.post(&Event::Ready {
            iteration: st.snap.step,
            preset: st.preset.clone(),
            variant: st.variant.clone(),
            rate: st.eta,
        });
        hub
    }

    /// Decode the fragment (and `?embed`) into `st`; returns the link. Never fails: a bad link
    /// leaves the default state with a notice in `st.alert`.
    fn load(st: &mut AppState) -> Link {
        let mut d = codec::decode(&url::current_fragment());
        if url::query_embed() {
            d.link.view.embed = true;
        }
        let mut notice = d.notice.take();
        if let Err(n) = url::apply_model(st, &d.link.model) {
            let reduced = st.reduced_motion;
            *st = AppState::new(false);
            st.reduced_motion = reduced;
            d.link.model = Model::default();
            notice.get_or_insert(n);
        }
        if let Some(n) = notice {
            st.alert = Some(n);
        }
        apply_presentation(&d.link.view);
        // the link's `theme=` drives the one theme field (a11y puts it on <html data-theme>)
        if d.link.view.theme != crate::app::state::Theme::Auto {
            st.apply(Cmd::SetTheme(d.link.view.theme));
        }
        d.link
    }

    fn start(&mut self, st: &mut AppState) {
        self.started = true;
        if self.want_play && !self.page_hidden {
            st.apply(Cmd::Play);
        }
    }

    fn current(&self, st: &AppState) -> Link {
        url::capture(st, &self.link.view, self.link.model.autoplay)
    }

    fn id(&self) -> Option<&str> {
        self.link.view.id.as_deref()
    }

    fn post(&self, e: &Event) {
        if self.framed {
            post(e, self.id(), &self.link.view.origins);
        }
    }

    /// Tell the host page which node the reader picked (`select`).
    pub fn selected(&self, node: &str, unit: usize) {
        self.post(&Event::Select {
            node: node.to_string(),
            unit,
        });
    }

    /// The link's "Readable size" (`zoom=1`).
    pub fn zoom(&self) -> bool {
        self.link.view.zoom
    }

    /// The reader pressed "Readable size": the link follows.
    pub fn set_zoom(&mut self, st: &AppState, zoom: bool) {
        Rc::make_mut(&mut self.link).view.zoom = zoom;
        self.after_change(st);
    }

    pub fn embed(&self) -> bool {
        self.link.view.embed
    }

    /// The current link (for the share dialogs).
    pub fn current_link(&self, st: &AppState) -> Link {
        self.current(st)
    }

    /// The current state's fragment (kept up to date by [`Hub::after_change`]).
    pub fn fragment(&self) -> &str {
        &self.fragment
    }

    fn install(&mut self, cb: Callback<EmbedMsg>) {
        let Some(w) = window() else { return };
        let Some(doc) = w.document() else { return };
        // host commands
        {
            let cb = cb.clone();
            let my_id = self.link.view.id.clone();
            let origins = self.link.view.origins.clone();
            let f = Closure::<dyn FnMut(DomEvent)>::new(move |e: DomEvent| {
                if let Some(m) = read_message(&e, my_id.as_deref(), &origins) {
                    cb.emit(m);
                }
            });
            self.listen(w.clone().into(), "message", f);
        }
        // tab hidden / shown
        {
            let cb = cb.clone();
            let d2 = doc.clone();
            let f = Closure::<dyn FnMut(DomEvent)>::new(move |_e: DomEvent| {
                cb.emit(EmbedMsg::PageHidden(d2.hidden()));
            });
            self.listen(doc.clone().into(), "visibilitychange", f);
        }
        // the visitor edits the fragment
        {
            let cb = cb.clone();
            let f = Closure::<dyn FnMut(DomEvent)>::new(move |_e: DomEvent| {
                cb.emit(EmbedMsg::HashChanged);
            });
            self.listen(w.clone().into(), "hashchange", f);
        }
        self.page_hidden = doc.hidden();
        let Some(root) = doc.document_element() else {
            return;
        };
        // auto-height: report the document's height whenever it changes. Once the host has sized
        // the frame to fit (its viewport is as tall as the content), hide the frame's own
        // scrollbar so it cannot flip the width (and so the height) back and forth.
        if self.framed {
            let last = Rc::new(Cell::new(-1.0f64));
            let id = self.link.view.id.clone();
            let origins = self.link.view.origins.clone();
            let r2 = root.clone();
            let measure = Rc::new(move || {
                let h = r2.get_bounding_client_rect().height().ceil();
                if h.is_finite() && h > 0.0 && h != last.get() {
                    last.set(h);
                    post(&Event::Height { height: h }, id.as_deref(), &origins);
                }
                let fits = window()
                    .and_then(|w| w.inner_height().ok())
                    .and_then(|v| v.as_f64())
                    .is_some_and(|vh| vh + 1.0 >= last.get());
                let _ = if fits {
                    r2.set_attribute("data-autoheight", "1")
                } else {
                    r2.remove_attribute("data-autoheight")
                };
            });
            let m2 = measure.clone();
            let f = Closure::<dyn FnMut(JsValue)>::new(move |_entries: JsValue| m2());
            if let Ok(ro) = ResizeObserver::new(f.as_ref().unchecked_ref()) {
                ro.observe(&root);
                self.resize = Some((ro, f));
            }
            let g = Closure::<dyn FnMut(DomEvent)>::new(move |_e: DomEvent| measure());
            self.listen(w.clone().into(), "resize", g);
        }
        // lazy start: embeds play only when on screen, and pause off screen
        if self.link.view.embed {
            let cb = cb.clone();
            let f = Closure::<dyn FnMut(JsValue)>::new(move |entries: JsValue| {
                let arr: js_sys::Array = entries.unchecked_into();
                if let Some(e) = arr
                    .iter()
                    .last()
                    .and_then(|e| e.dyn_into::<IntersectionObserverEntry>().ok())
                {
                    cb.emit(EmbedMsg::Visible(e.is_intersecting()));
                }
            });
            let opts = IntersectionObserverInit::new();
            opts.set_root_margin("200px 0px");
            if let Ok(io) =
                IntersectionObserver::new_with_options(f.as_ref().unchecked_ref(), &opts)
            {
                io.observe(&root);
                self.on_screen = false;
                self.io = Some((io, f));
            }
        }
    }

    fn listen(&mut self, t: EventTarget, ty: &'static str, f: Closure<dyn FnMut(DomEvent)>) {
        if t.add_event_listener_with_callback(ty, f.as_ref().unchecked_ref())
            .is_ok()
        {
            self.listeners.push((t, ty, f));
        }
    }

    /// After any state change: update the fragment and report run-state transitions.
    pub fn after_change(&mut self, st: &AppState) {
        let frag = codec::encode(&self.current(st));
        if frag != self.fragment {
            self.fragment = frag;
            url::replace_fragment(&self.fragment);
        }
        self.report_status(st);
    }

    fn report_status(&mut self, st: &AppState) {
        if st.status == self.last_status {
            return;
        }
        self.last_status = st.status;
        match st.status {
            Status::Settled | Status::Finished => self.post(&Event::Settled {
                iteration: st.snap.step,
                gap: st.snap.gap_overall(),
            }),
            Status::Diverged => self.post(&Event::Error {
                message: st
                    .alert
                    .clone()
                    .unwrap_or_else(|| "The run diverged.".into()),
            }),
            _ => {}
        }
    }

    fn post_tick(&mut self, st: &AppState) {
        self.last_tick_ms = now();
        self.post(&Event::Tick {
            iteration: st.snap.step,
            energy: st.snap.energy,
            gap: st.snap.gap_overall(),
        });
    }

    /// After an animation frame that ran `ticks` ticks: a throttled `tick` event.
    pub fn after_frame(&mut self, st: &AppState, ticks: usize) {
        if ticks == 0 || !self.framed {
            return;
        }
        let stopped = st.status != Status::Running;
        if stopped || now() - self.last_tick_ms >= TICK_EVENT_MS {
            self.post_tick(st);
        }
        self.report_status(st);
    }

    /// Handle a host message or a visibility change. Returns whether to re-render.
    pub fn handle(&mut self, st: &mut AppState, msg: EmbedMsg) -> bool {
        match msg {
            EmbedMsg::Command(c) => {
                self.command(st, c);
                self.after_change(st);
                if self.framed {
                    self.post_tick(st);
                }
                true
            }
            EmbedMsg::Rejected(why) => {
                self.post(&Event::Error { message: why });
                false
            }
            EmbedMsg::Visible(v) => {
                self.on_screen = v;
                if v {
                    if !self.started {
                        self.start(st);
                    } else if self.auto_paused && !self.page_hidden {
                        self.auto_paused = false;
                        st.apply(Cmd::Play);
                    }
                } else if st.playing {
                    st.apply(Cmd::Pause);
                    self.auto_paused = true;
                }
                true
            }
            EmbedMsg::PageHidden(h) => {
                self.page_hidden = h;
                if h {
                    if st.playing {
                        st.apply(Cmd::Pause);
                        self.auto_paused = true;
                    }
                } else if self.auto_paused && self.on_screen {
                    self.auto_paused = false;
                    st.apply(Cmd::Play);
                } else if !self.started && self.on_screen && !self.embed() {
                    self.start(st);
                }
                true
            }
            EmbedMsg::HashChanged => {
                if url::current_fragment() == self.fragment {
                    return false;
                }
                let playing = st.playing;
                let reduced = st.reduced_motion;
                *st = AppState::new(false);
                st.reduced_motion = reduced;
                let link = Self::load(st);
                self.want_play = self.want_play && link.model.autoplay != Some(false);
                self.link = Rc::new(link);
                if playing && self.want_play {
                    st.apply(Cmd::Play);
                }
                self.fragment = codec::encode(&self.current(st));
                self.last_status = st.status;
                true
            }
        }
    }

    fn command(&mut self, st: &mut AppState, c: Command) {
        // the host takes over: no automatic resume
        self.auto_paused = false;
        self.started = true;
        match c {
            Command::Play => {
                st.apply(Cmd::Play);
            }
            Command::Pause => {
                st.apply(Cmd::Pause);
            }
            Command::Reset => {
                st.apply(Cmd::Reset);
            }
            Command::Relax => {
                st.apply(Cmd::Relax);
            }
            Command::Ping => self.post(&Event::Ready {
                iteration: st.snap.step,
                preset: st.preset.clone(),
                variant: st.variant.clone(),
                rate: st.eta,
            }),
            Command::Step { n } => {
                st.run_ticks(n.min(MAX_TICKS) as usize);
            }
            Command::Learn { rate } => {
                st.alert = None;
                if let Some(lr) = rate {
                    st.apply(Cmd::SetLearnRate(lr));
                }
                if st.alert.is_none() {
                    st.apply(Cmd::LearnStep);
                }
                if let Some(message) = st.alert.clone() {
                    self.post(&Event::Error { message });
                }
            }
            Command::Clamp {
                output,
                input,
                held,
            } => {
                st.alert = None;
                if let Some(id) = input {
                    let node = st.info.nodes.iter().position(|n| n.id == id);
                    match (node, held) {
                        (Some(i), Some(h)) => {
                            st.apply(Cmd::SetInputFree(i, !h));
                        }
                        (None, _) => {
                            st.alert = Some(format!(
                                "The `clamp` message names the input '{id}', which this graph does not have; nothing changed."
                            ));
                        }
                        (_, None) => {
                            st.alert = Some(format!(
                                "The `clamp` message names the input '{id}' without `held` (true: hold it at its data, false: release it); nothing changed."
                            ));
                        }
                    }
                }
                if let (Some(c), None) = (output, &st.alert) {
                    st.apply(Cmd::SetOutputClamp(c));
                }
                if let Some(message) = st.alert.clone() {
                    self.post(&Event::Error { message });
                }
            }
            Command::Highlight { nodes } => {
                let mut lit = Vec::with_capacity(nodes.len());
                for id in &nodes {
                    match st.info.nodes.iter().position(|n| &n.id == id) {
                        Some(i) => lit.push(i),
                        None => {
                            self.post(&Event::Error {
                                message: format!(
                                    "The `highlight` message names the node '{id}', which this graph does not have; nothing was highlighted."
                                ),
                            });
                            return;
                        }
                    }
                }
                st.highlight = lit;
            }
            Command::Goto { tick } => {
                // no recorded replay here: reset and run forward to the tick
                st.apply(Cmd::Reset);
                st.run_ticks(tick.min(MAX_TICKS) as usize);
            }
            Command::Set(a) => {
                let scale = match a.scale.as_deref().map(ColourScale::parse) {
                    None => st.scale,
                    Some(Some(c)) => c,
                    Some(None) => {
                        let msg = format!(
                            "The `set` message's colour scale `{}` is not `node`, `layer` or `global`; the message was ignored.",
                            a.scale.unwrap_or_default()
                        );
                        st.alert = Some(msg.clone());
                        self.post(&Event::Error { message: msg });
                        return;
                    }
                };
                let m = Model {
                    source: a
                        .preset
                        .map_or(codec::Source::Default, codec::Source::Preset),
                    variant: a.variant,
                    eta: a.rate,
                    speed: a.speed,
                    leaves: a
                        .inputs
                        .unwrap_or_default()
                        .into_iter()
                        .map(|(k, v)| (k, v.to_vec()))
                        .collect(),
                    target: a.target.map(|t| t.to_vec()),
                    scale,
                    autoplay: None,
                    random_start: None,
                    free_inputs: vec![],
                };
                if let Err(e) = url::apply_model(st, &m) {
                    let msg = e.replacen("The link's", "The `set` message's", 1).replace(
                        "; showing the default graph.",
                        "; the rest of the message was ignored.",
                    );
                    st.alert = Some(msg.clone());
                    self.post(&Event::Error { message: msg });
                }
            }
        }
    }

    /// Classes for the app root: embed mode, hidden panels and hidden controls.
    pub fn classes(&self) -> Classes {
        let v = &self.link.view;
        let mut c = Classes::new();
        if v.embed {
            c.push("embed");
        }
        for p in codec::PANELS {
            if !v.panels.get(p) {
                c.push(format!("no-{p}"));
            }
        }
        for h in &v.hide {
            if HIDEABLE.iter().any(|(k, _)| k == h) {
                c.push(format!("hide-{h}"));
            }
        }
        c
    }

    /// The "open in the full playground" link shown in embed mode (same state, no embed).
    pub fn open_full_link(&self) -> Html {
        if !self.embed() {
            return html! {};
        }
        let mut l = codec::decode(&self.fragment).link;
        l.view.embed = false;
        l.view.panels = Default::default();
        l.view.transparent = false;
        l.view.id = None;
        l.view.origins.clear();
        let href = url::full_url(&l);
        html! {
            <p class="open-full small">
                <a href={href} target="_blank" rel="noopener">{ "Open in the full playground ↗" }</a>
            </p>
        }
    }
}

/// Turn a `message` event into an app message, or `None` when it is not for us.
fn read_message(e: &DomEvent, my_id: Option<&str>, origins: &[String]) -> Option<EmbedMsg> {
    let e = e.dyn_ref::<MessageEvent>()?;
    let w = window()?;
    // only the parent window may command an embed (the page itself when not framed)
    let expected = w.parent().ok().flatten()?;
    let src = e.source()?;
    if !Object::is(&src, &expected) {
        return None;
    }
    if !origins.is_empty() && !origins.iter().any(|o| *o == e.origin()) {
        return None;
    }
    let data = e.data();
    if !data.is_object() {
        return None;
    }
    // read as JSON text, like `embed_api::parse_json` (numbers print shortest round-trip and
    // parse back exactly)
    let text = js_sys::JSON::stringify(&data).ok()?.as_string()?;
    let doc = crate::json::Doc::new(&text);
    let root = doc.parse().ok()?;
    let h = embed_api::header(&doc, &root).ok()?;
    match check_header(&h, my_id) {
        Ok(()) => {}
        Err(Reject::Version(v)) => {
            return Some(EmbedMsg::Rejected(format!(
            "Ignored a message for API version {v}; this playground speaks version {API_VERSION}."
        )))
        }
        Err(_) => return None,
    }
    // our own events (e.g. echoed back) are not commands
    let ty = js_sys::Reflect::get(&data, &JsValue::from_str("type"))
        .ok()
        .and_then(|t| t.as_string())
        .unwrap_or_default();
    if matches!(
        ty.as_str(),
        "ready" | "tick" | "settled" | "error" | "height"
    ) {
        return None;
    }
    match embed_api::command(&doc, &root) {
        Ok(c) => Some(EmbedMsg::Command(c)),
        // (the message without its place: that is in our own JSON text, not theirs)
        Err(err) => Some(EmbedMsg::Rejected(format!(
            "Ignored the message of type `{ty}`: {}.",
            err.message
        ))),
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        for (t, ty, f) in self.listeners.drain(..) {
            let _ = t.remove_event_listener_with_callback(ty, f.as_ref().unchecked_ref());
        }
        if let Some((ro, _f)) = self.resize.take() {
            ro.disconnect();
        }
        if let Some((io, _f)) = self.io.take() {
            io.disconnect();
        }
    }
}
