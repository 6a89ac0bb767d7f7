//! The web face (wasm32 only): renders engine state and sends it commands.
//!
//! * [`state`]: the one app state and its reducer (owns the engine session via [`sim`]).
//! * [`clock`]: the requestAnimationFrame loop with a per-frame tick budget.
//! * [`layout`]: layered graph layout (pure, unit-tested natively).
//! * [`graph_view`], [`plots`], [`controls`]: the views.
//! * [`text`]: every user-facing string and the finite-only number formatter.
//! * [`a11y`]: live announcements, theme (light / dark / auto), media-query watches;
//!   [`table_view`]: the node values as tables; [`palette`]: colour-vision-safe colours.
pub mod a11y;
pub mod clock;
pub mod controls;
pub mod editor;
pub mod embed;
pub mod export;
pub mod graph_view;
pub mod hover;
pub mod layout;
pub mod learn_view;
pub mod live;
pub mod palette;
pub mod plots;
pub mod presets;
pub mod replay;
pub mod share;
pub mod sim;
pub mod slowmo;
pub mod state;
pub mod story;
pub mod table_view;
pub mod text;
pub mod text_story;
pub mod text_teach;
pub mod url;

use std::rc::Rc;

use wasm_bindgen::JsValue;
use web_sys::{Element, KeyboardEvent};
use yew::prelude::*;

use clock::{Clock, FrameBudget};
use controls::{Controls, DataInputs, Transport};
use graph_view::{GraphView, Legend};
use sim::{Series, Snap};
use state::{AppState, Cmd, Status};

#[derive(Properties, PartialEq, Clone)]
pub struct AppProps {
    /// Start relaxing as soon as the app is shown (off under prefers-reduced-motion).
    #[prop_or(true)]
    pub autoplay: bool,
}

pub enum Msg {
    Cmd(Cmd),
    Frame(f64),
    Key(KeyboardEvent),
    /// `prefers-color-scheme: dark` changed (matters for the `auto` theme).
    SystemDark(bool),
    /// `prefers-reduced-motion: reduce` changed.
    Reduced(bool),
    /// The viewport became phone-narrow or wide again (`a11y::NARROW_QUERY`).
    Narrow(bool),
    /// Draw the graph at a readable size (scrolling sideways) instead of fitting the panel.
    Zoom(bool),
    /// Host messages, visibility and fragment changes (links and embedding).
    Embed(embed::EmbedMsg),
    /// The teaching layer on the graph (see `stage`).
    Stage(StageMsg),
}

/// Pointer, focus and keys on the graph: the hover card, the lens, dragging and inline editing.
pub enum StageMsg {
    Over(MouseEvent),
    Leave,
    FocusIn(FocusEvent),
    Down(PointerEvent),
    Move(PointerEvent),
    Up(PointerEvent),
    Click(MouseEvent),
    Key(KeyboardEvent),
    Close,
    EditDone(Option<f64>),
}

/// A drag on a clamped value (input or target).
struct Drag {
    node: usize,
    k: usize,
    target: bool,
    x0: f64,
    v0: f64,
    moved: bool,
}

pub struct App {
    st: AppState,
    _clock: Option<Clock>,
    last_ts: Option<f64>,
    /// Smoothed error/estimate values for drawing (the engine's numbers stay exact).
    shown: Rc<Vec<Vec<f64>>>,
    reduced: bool,
    target: Rc<Vec<f64>>,
    /// The live region's sentence, and what it was computed from.
    announce: AttrValue,
    seen: a11y::Seen,
    system_dark: bool,
    /// Phone-narrow viewport: the graph is stacked in one column.
    narrow: bool,
    /// The graph drawn at a readable size (see [`Msg::Zoom`]).
    zoom: bool,
    /// (choice, system dark) last put on `<html>`.
    applied_theme: Option<(state::Theme, bool)>,
    _watches: Vec<a11y::MediaWatch>,
    /// URL state, embed mode and the host connection.
    hub: embed::Hub,
    /// The unit whose card is open (node, element), and the one pinned by click / keyboard.
    focus: Option<(usize, usize)>,
    pinned: Option<(usize, usize)>,
    /// A parameter being typed into.
    edit: Option<(usize, usize, f64, f64, f64)>,
    drag: Option<Drag>,
    dragged: bool,
    stage_ref: NodeRef,
    /// Frame number of `shown`, and the channel that hands it to the graph without
    /// re-rendering the page (see [`graph_view::FrameFeed`]).
    shown_seq: u64,
    feed: graph_view::FrameFeed,
    /// When a frame asked for a page render: the frame's start (for `clock::span` timings).
    frame_t0: Option<f64>,
    /// The adaptive tick budget (measures each frame's work).
    budget: FrameBudget,
    /// What the plots and the graph's text (numbers, titles, labels) show: refreshed at most
    /// [`PLOT_HZ`] times a second while playing, always when paused, after a command while
    /// paused, and at once when the graph changes. The graph's discs follow `shown` every frame.
    plot_info: Rc<sim::GraphInfo>,
    plot_snap: Rc<Snap>,
    plot_series: Rc<Series>,
    plot_at: f64,
    /// The snapshot the graph renders with: replaced after commands and whenever the text
    /// snapshot changes while paused. While playing, the text snapshot reaches the graph's
    /// painter through `feed` ([`graph_view::FrameFeed::text`]) and the graph does not
    /// re-render at the text rate.
    graph_snap: Rc<Snap>,
    /// Smoothed interval between animation frames (ms).
    frame_ms: f64,
    /// Smoothed script cost of one text update (ms): the page render plus the three chart
    /// draws that follow it. The text rate keeps it to a share of the main thread.
    text_cost: f64,
    /// The snapshot the controls see: replaced only when a leaf value changed (the
    /// relaxation never moves them), so the controls do not re-render every frame.
    ui_snap: Rc<Snap>,
    /// The command callback, made once: every component that takes it (controls, data inputs,
    /// editor, theme toggle …) then sees equal props and skips the page's text-rate renders
    /// unless its own data changed. A callback made in `view` is a new one on every render,
    /// so all of them re-rendered with the page.
    cmd_cb: Callback<Cmd>,
    /// When a frame pushed a text update without a page render: the frame's start.
    text_t0: Option<f64>,
    /// The text-rate channel to the counter, stats, scrubber and plots ([`live`]): while
    /// playing, a text update that changes nothing else reaches them without a page render.
    text: live::TextFeed,
}

/// Plot redraws (and text updates) per second while playing, at most.
const PLOT_HZ: f64 = 15.0;
/// …and at most once every this many frames, so that on a slow machine the text, the plots
/// and the page's re-render share out over frames instead of landing on every one.
const PLOT_EVERY_FRAMES: f64 = 6.0;
/// The slowest text/plot rate while playing (ms between updates).
const PLOT_MAX_MS: f64 = 250.0;
/// …and at least this many times the measured script cost of a text update apart: the
/// update's script takes at most a sixth of the main thread, and the layout, paint and
/// commit it causes about as much again. On a fast machine this never binds (1×: ≈ 9 ms per
/// update, so 15 Hz stays); on a slow one the numbers and plots update less often instead of
/// taking the frames' time (4× throttling: ≈ 36 ms per update, 4–5 Hz).
const TEXT_COST_SHARE: f64 = 6.0;

fn stage_cb<E: 'static>(link: &yew::html::Scope<App>, f: fn(E) -> StageMsg) -> Callback<E> {
    link.callback(move |e| Msg::Stage(f(e)))
}

/// Where the node under `t` sits inside the stage element `stage` (x, y, width in px).
fn place_in_stage(
    t: Option<web_sys::EventTarget>,
    stage: Option<web_sys::Node>,
) -> (f64, f64, f64) {
    let el = |t: Option<web_sys::EventTarget>| {
        t.and_then(|t| wasm_bindgen::JsCast::dyn_into::<Element>(t).ok())
    };
    let (Some(n), Some(s)) = (
        el(t).and_then(|e| e.closest("g.node").ok().flatten()),
        stage.and_then(|t| wasm_bindgen::JsCast::dyn_into::<Element>(t).ok()),
    ) else {
        return (0.0, 0.0, 120.0);
    };
    let (a, b) = (n.get_bounding_client_rect(), s.get_bounding_client_rect());
    let w = a.width().max(90.0);
    (
        a.left() - b.left() + s.scroll_left() as f64 + (a.width() - w) / 2.0,
        a.top() - b.top() + a.height() / 2.0 - 15.0,
        w,
    )
}

/// The node (index) and unit row under an event target.
fn node_at(t: Option<web_sys::EventTarget>) -> Option<(usize, usize)> {
    let el = t.and_then(|t| wasm_bindgen::JsCast::dyn_into::<Element>(t).ok())?;
    let g = el.closest("g.node").ok()??;
    let i = g.get_attribute("data-index")?.parse().ok()?;
    let k = el
        .closest("g.row")
        .ok()
        .flatten()
        .and_then(|r| r.get_attribute("data-k"))
        .and_then(|k| k.parse().ok())
        .unwrap_or(0);
    Some((i, k))
}

/// Time constant (ms) of the visual smoothing between engine states.
const SMOOTH_MS: f64 = 60.0;

impl App {
    /// After anything but a frame: the controls and (when paused) the plots see the new state
    /// now; while playing, the plots follow at the frame loop's bounded rate.
    fn sync_views(&mut self) {
        self.ui_snap = self.st.snap.clone();
        self.graph_snap = self.st.snap.clone();
        if !self.st.playing || !Rc::ptr_eq(&self.plot_info, &self.st.info) {
            self.plot_series = self.st.fresh_series();
            self.plot_snap = self.st.snap.clone();
            self.plot_info = self.st.info.clone();
            self.plot_at = clock::now();
        }
    }

    /// After a frame: plots at a bounded rate while playing; controls when a leaf moved.
    fn sync_views_frame(&mut self, now: f64) {
        let period = (PLOT_EVERY_FRAMES * self.frame_ms)
            .max(TEXT_COST_SHARE * self.text_cost)
            .clamp(1000.0 / PLOT_HZ, PLOT_MAX_MS);
        let due = !self.st.playing
            || now - self.plot_at >= period - 4.0
            || !Rc::ptr_eq(&self.plot_info, &self.st.info);
        if due && !Rc::ptr_eq(&self.plot_snap, &self.st.snap) {
            let same_graph = Rc::ptr_eq(&self.plot_info, &self.st.info);
            self.plot_series = clock::span("series", || self.st.fresh_series());
            self.plot_snap = self.st.snap.clone();
            self.plot_info = self.st.info.clone();
            self.plot_at = now;
            // the output's clamp changing while playing (a replayed release) re-renders the
            // graph: its lock and words change, not only its numbers
            let clamp_moved = self.plot_snap.released != self.graph_snap.released;
            if clamp_moved
                || !(self.st.playing && same_graph && self.feed.text(self.plot_snap.clone()))
            {
                self.graph_snap = self.plot_snap.clone();
            }
        }
        if !Rc::ptr_eq(&self.ui_snap, &self.st.snap) {
            let leaves_moved = self.st.info.nodes.iter().enumerate().any(|(i, n)| {
                n.is_leaf()
                    && match (self.ui_snap.nodes.get(i), self.st.snap.nodes.get(i)) {
                        (Some(a), Some(b)) => a.v != b.v,
                        _ => true,
                    }
            }) || self.ui_snap.nodes.len() != self.st.snap.nodes.len();
            if leaves_moved {
                self.ui_snap = self.st.snap.clone();
            }
        }
    }

    /// What a frame can change besides numbers (which follow at the text rate): when it
    /// differs, the page re-renders now.
    fn frame_sig(&self) -> (bool, Status, bool, Option<usize>) {
        let st = &self.st;
        (st.playing, st.status, st.alert.is_some(), st.scrub)
    }

    /// A text update that only moves what the live components show (counter, stats,
    /// scrubber, plots): nothing else on the page reads what changed, so the page need not
    /// re-render. Not when a card, the table, slow motion or an inline edit shows live
    /// numbers too, nor when the output's clamp, the free inputs, the controls' snapshot or
    /// the graph's snapshot (which the graph renders when its painter cannot take the text)
    /// changed.
    fn text_only(&self, before: &Snap, ui_before: &Rc<Snap>, graph_before: &Rc<Snap>) -> bool {
        let now = &self.plot_snap;
        Rc::ptr_eq(graph_before, &self.graph_snap)
            && self.focus.is_none()
            && self.edit.is_none()
            && !self.st.table
            && self.st.slow.is_none()
            && Rc::ptr_eq(ui_before, &self.ui_snap)
            && now.released == before.released
            && now.free_inputs == before.free_inputs
    }

    /// The live components' view of the text snapshot (see [`live`]).
    fn push_text(&mut self) {
        // while playing, the run's end moves on every tick: the scrubber follows it with the
        // text snapshot, not on every frame
        let cur = self.text.now();
        let replay_max = if self.st.playing && Rc::ptr_eq(&cur.snap, &self.plot_snap) {
            cur.replay_max
        } else {
            self.st.replay_max
        };
        let now = live::TextNow {
            info: self.plot_info.clone(),
            snap: self.plot_snap.clone(),
            series: self.plot_series.clone(),
            replay_max,
            scrubbing: self.st.scrub.is_some(),
        };
        self.text.push(now, self.text_t0.take());
    }

    /// The script cost of a text update (`ms`, a page render or the live components'
    /// renders), with the chart draws it brings (the last one's time stands for each).
    fn note_text_cost(&mut self, ms: f64) {
        let cost = (ms + 3.0 * clock::plot_ms()).min(200.0);
        self.text_cost += 0.25 * (cost - self.text_cost);
    }

    fn sync_shown(&mut self) {
        self.shown = Rc::new(self.st.snap.nodes.iter().map(|n| n.est.clone()).collect());
        self.shown_seq += 1;
    }

    /// Move the drawn values towards the engine's; returns whether anything visibly moved.
    fn smooth(&mut self, dt: f64) -> bool {
        let snap = &self.st.snap;
        let shape_ok = self.shown.len() == snap.nodes.len()
            && self
                .shown
                .iter()
                .zip(&snap.nodes)
                .all(|(a, b)| a.len() == b.est.len());
        if self.reduced || !shape_ok {
            let differs = !shape_ok || self.shown.iter().zip(&snap.nodes).any(|(a, b)| a != &b.est);
            if differs {
                self.sync_shown();
            }
            return differs;
        }
        let k = 1.0 - (-dt.max(0.0) / SMOOTH_MS).exp();
        let mut moved = false;
        let mut next: Vec<Vec<f64>> = Vec::with_capacity(snap.nodes.len());
        for (cur, n) in self.shown.iter().zip(&snap.nodes) {
            let scale =
                n.bp.iter()
                    .chain(&n.est)
                    .fold(1e-300f64, |m, x| m.max(x.abs()));
            next.push(
                cur.iter()
                    .zip(&n.est)
                    .map(|(&a, &b)| {
                        if (a - b).abs() <= 1e-3 * scale {
                            if a != b {
                                moved = true;
                            }
                            b
                        } else {
                            moved = true;
                            a + (b - a) * k
                        }
                    })
                    .collect(),
            );
        }
        if moved {
            self.shown = Rc::new(next);
            self.shown_seq += 1;
        }
        moved
    }

    /// After every change: the live region's sentence and the theme on `<html>`.
    /// Returns whether the announcement changed.
    fn after_change(&mut self) -> bool {
        let theme = (self.st.theme, self.system_dark);
        if self.applied_theme != Some(theme) {
            a11y::apply_theme(theme.0, theme.1);
            self.applied_theme = Some(theme);
        }
        let said = a11y::announcement(&self.seen, &self.st);
        self.seen = a11y::Seen::of(&self.st);
        match said {
            Some(m) if m != self.announce.as_str() => {
                self.announce = m.into();
                true
            }
            _ => false,
        }
    }

    /// `window.__pc` for tests and host pages.
    fn publish(&self) {
        clock::span("publish", || self.publish_now());
    }

    fn publish_now(&self) {
        let Some(w) = web_sys::window() else { return };
        let o = js_sys::Object::new();
        let s = &self.st.snap;
        let set = |k: &str, v: JsValue| {
            let _ = js_sys::Reflect::set(&o, &JsValue::from_str(k), &v);
        };
        let f = |x: f64| JsValue::from_f64(if x.is_finite() { x } else { 0.0 });
        set("step", f(s.step as f64));
        set("energy", f(s.energy));
        set("loss", f(s.loss));
        set("variant", JsValue::from_str(&self.st.variant));
        set("preset", JsValue::from_str(&self.st.preset));
        set("eta", f(self.st.eta));
        set("maxGapNodes", f(s.gap_nodes));
        set("maxGapParams", f(s.gap_params));
        set("gapOverall", f(s.gap_overall()));
        set("playing", JsValue::from_bool(self.st.playing));
        set("settled", JsValue::from_bool(self.st.settled_like()));
        set(
            "diverged",
            JsValue::from_bool(self.st.status == Status::Diverged),
        );
        set("status", JsValue::from_str(self.st.status.name()));
        set(
            "released",
            s.released
                .map_or(JsValue::NULL, |k| JsValue::from_f64(k as f64)),
        );
        // frame-time instrumentation (scripts/perf.mjs): smoothed view + plot cost per frame,
        // and the last plot redraw
        set("renderMs", f(self.budget.render_ms));
        set("plotMs", f(clock::plot_ms()));
        set("spans", clock::spans());
        set("theme", JsValue::from_str(self.st.theme.key()));
        let _ = js_sys::Reflect::set(&w, &JsValue::from_str("__pc"), &o);
    }

    fn on_key(&mut self, e: &KeyboardEvent) -> Option<Cmd> {
        if e.ctrl_key() || e.meta_key() || e.alt_key() {
            return None;
        }
        let tag = e
            .target()
            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<Element>(t).ok())
            .map(|el| el.tag_name().to_ascii_uppercase())
            .unwrap_or_default();
        if matches!(tag.as_str(), "INPUT" | "SELECT" | "TEXTAREA") {
            return None;
        }
        let key = e.key();
        let cmd = match key.as_str() {
            " " | "Spacebar" if tag != "BUTTON" && tag != "SUMMARY" => Cmd::TogglePlay,
            "ArrowRight" | "s" | "S" => Cmd::Step,
            "r" | "R" => Cmd::Reset,
            "l" | "L" => Cmd::LearnStep,
            "c" | "C" => Cmd::SetOutputClamp(self.st.snap.released.is_some()),
            _ => return None,
        };
        e.prevent_default();
        Some(cmd)
    }
}

impl App {
    fn run_cmd(&mut self, cmd: Cmd) -> bool {
        if matches!(cmd, Cmd::Export(export::ExportKind::Animation)) {
            // drawn by the mounted graph's painter, which the reducer does not reach
            return match export::animation(&self.st, &self.feed) {
                Ok(()) => false,
                Err(e) => {
                    self.st.alert = Some(e);
                    true
                }
            };
        }
        if matches!(cmd, Cmd::SetPreset(_)) {
            self.focus = None;
            self.pinned = None;
            self.edit = None;
        }
        let changed = self.st.apply(cmd);
        self.hub.after_change(&self.st);
        self.target = Rc::new(self.st.sim.target());
        if self.reduced {
            self.sync_shown();
        }
        self.publish();
        self.sync_views();
        self.after_change() || changed
    }

    fn drag_scale(v0: f64, fine: bool) -> f64 {
        let mag = 10f64.powf(v0.abs().max(0.1).log10().floor());
        mag * if fine { 0.001 } else { 0.01 }
    }

    /// Pin node `i`'s card (unit `k`); a parameter also opens its inline editor.
    fn open_card(
        &mut self,
        info: &sim::GraphInfo,
        i: usize,
        k: usize,
        target: Option<web_sys::EventTarget>,
    ) {
        self.focus = Some((i, k));
        self.pinned = Some((i, k));
        if let Some(n) = info.nodes.get(i) {
            self.hub.selected(&n.id, k);
        }
        if info
            .nodes
            .get(i)
            .is_some_and(|n| n.kind == sim::Kind::Param)
        {
            let (x, y, w) = place_in_stage(target, self.stage_ref.get());
            self.edit = Some((i, k, x, y, w));
        }
    }

    fn stage(&mut self, m: StageMsg) -> bool {
        let info = self.st.info.clone();
        match m {
            StageMsg::Over(e) => {
                if self.drag.is_some() {
                    return false;
                }
                match node_at(e.target()) {
                    Some(f) if Some(f) != self.focus => {
                        self.focus = Some(f);
                        true
                    }
                    _ => false,
                }
            }
            StageMsg::Leave => {
                if self.drag.is_some() || self.focus == self.pinned {
                    return false;
                }
                self.focus = self.pinned;
                true
            }
            StageMsg::FocusIn(e) => match node_at(e.target()) {
                Some(f) => {
                    self.focus = Some(f);
                    self.pinned = Some(f);
                    true
                }
                None => false,
            },
            StageMsg::Click(e) => {
                if std::mem::take(&mut self.dragged) {
                    return false;
                }
                match node_at(e.target()) {
                    Some((i, k)) => {
                        self.open_card(&info, i, k, e.target());
                        true
                    }
                    None => false,
                }
            }
            StageMsg::Key(e) => match e.key().as_str() {
                "Enter" => {
                    let Some((i, k)) = node_at(e.target()) else {
                        return false;
                    };
                    e.prevent_default();
                    self.open_card(&info, i, k, e.target());
                    true
                }
                "Escape" => {
                    self.focus = None;
                    self.pinned = None;
                    true
                }
                _ => false,
            },
            StageMsg::Close => {
                self.focus = None;
                self.pinned = None;
                true
            }
            StageMsg::EditDone(x) => {
                let Some((i, k, ..)) = self.edit.take() else {
                    return false;
                };
                if let Some(x) = x {
                    self.run_cmd(Cmd::SetLeaf(i, k, x));
                }
                true
            }
            StageMsg::Down(e) => {
                let Some((i, k)) = node_at(e.target()) else {
                    return false;
                };
                let Some(n) = info.nodes.get(i) else {
                    return false;
                };
                let target = n.output;
                if n.kind != sim::Kind::Input && !target {
                    return false;
                }
                let v0 = if target {
                    self.target.get(k).copied()
                } else {
                    self.st.snap.nodes[i].v.get(k).copied()
                };
                let Some(v0) = v0 else { return false };
                // capture on the node itself: moves keep bubbling through the stage
                if let Some(el) = e
                    .target()
                    .and_then(|t| wasm_bindgen::JsCast::dyn_into::<Element>(t).ok())
                    .and_then(|t| t.closest("g.node").ok().flatten())
                {
                    let _ = el.set_pointer_capture(e.pointer_id());
                }
                self.drag = Some(Drag {
                    node: i,
                    k,
                    target,
                    x0: e.client_x() as f64,
                    v0,
                    moved: false,
                });
                false
            }
            StageMsg::Move(e) => {
                let Some(d) = self.drag.as_mut() else {
                    return false;
                };
                let dx = e.client_x() as f64 - d.x0;
                if !d.moved && dx.abs() < 3.0 {
                    return false;
                }
                d.moved = true;
                let step = Self::drag_scale(d.v0, e.shift_key());
                let x = ((d.v0 + dx * step) / step).round() * step;
                let x = (x * 1e9).round() / 1e9;
                let cmd = if d.target {
                    Cmd::SetTarget(d.k, x)
                } else {
                    Cmd::SetLeaf(d.node, d.k, x)
                };
                let same = if d.target {
                    self.target.get(d.k) == Some(&x)
                } else {
                    self.st.snap.nodes[d.node].v.get(d.k) == Some(&x)
                };
                if same {
                    return false;
                }
                self.run_cmd(cmd)
            }
            StageMsg::Up(_) => {
                if let Some(d) = self.drag.take() {
                    self.dragged = d.moved;
                }
                false
            }
        }
    }
}

impl Component for App {
    type Message = Msg;
    type Properties = AppProps;

    fn create(ctx: &Context<Self>) -> Self {
        let reduced = clock::reduced_motion();
        let mut st = AppState::new(false);
        st.reduced_motion = reduced;
        let hub = embed::Hub::boot(
            &mut st,
            ctx.props().autoplay && !reduced,
            ctx.link().callback(Msg::Embed),
        );
        let target = Rc::new(st.sim.target());
        let (st_snap, st_series, st_info) = (st.snap.clone(), st.fresh_series(), st.info.clone());
        let clock = Clock::start(ctx.link().callback(Msg::Frame));
        let watches = [
            a11y::MediaWatch::new(a11y::DARK_QUERY, ctx.link().callback(Msg::SystemDark)),
            a11y::MediaWatch::new(a11y::REDUCED_QUERY, ctx.link().callback(Msg::Reduced)),
            a11y::MediaWatch::new(a11y::NARROW_QUERY, ctx.link().callback(Msg::Narrow)),
        ];
        let seen = a11y::Seen::of(&st);
        let text = live::TextFeed::new(live::TextNow {
            info: st_info.clone(),
            snap: st_snap.clone(),
            series: st_series.clone(),
            replay_max: st.replay_max,
            scrubbing: st.scrub.is_some(),
        });
        let mut app = App {
            st,
            _clock: Some(clock),
            last_ts: None,
            shown: Rc::new(vec![]),
            shown_seq: 0,
            frame_t0: None,
            feed: graph_view::FrameFeed::default(),
            reduced,
            target,
            announce: AttrValue::default(),
            seen,
            system_dark: a11y::system_dark(),
            narrow: a11y::narrow(),
            zoom: hub.zoom(),
            applied_theme: None,
            _watches: watches.into_iter().flatten().collect(),
            hub,
            focus: None,
            pinned: None,
            edit: None,
            drag: None,
            dragged: false,
            stage_ref: NodeRef::default(),
            budget: FrameBudget::default(),
            plot_info: st_info,
            plot_snap: st_snap.clone(),
            plot_series: st_series,
            plot_at: 0.0,
            frame_ms: 1000.0 / 60.0,
            text_cost: 0.0,
            graph_snap: st_snap.clone(),
            ui_snap: st_snap,
            cmd_cb: ctx.link().callback(Msg::Cmd),
            text,
            text_t0: None,
        };
        // the visitor's stored choice, unless the link forces a theme (`theme=`)
        if app.st.theme == state::Theme::Auto {
            if let Some(t) = a11y::stored_theme() {
                app.st.apply(Cmd::SetTheme(t));
            }
        }
        app.after_change();
        app.sync_views();
        app.sync_shown();
        app.publish();
        app
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        let name = if matches!(msg, Msg::Frame(_)) {
            "update_frame"
        } else {
            "update_other"
        };
        let render = clock::span(name, || self.update_inner(ctx, msg));
        // the live components follow whatever the message changed (a page render or not)
        self.push_text();
        render
    }

    fn rendered(&mut self, _ctx: &Context<Self>, _first: bool) {
        clock::mark_rendered();
        if let Some(t0) = self.frame_t0.take() {
            // a page render that a frame started: from the frame's update to here (update,
            // view, Yew's reconcile of the page and the children's renders)
            let ms = clock::now() - t0;
            clock::add_span("frame_page_render", ms);
            self.note_text_cost(ms);
        }
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        clock::span("view_app", || self.view_inner(ctx))
    }
}

impl App {
    fn update_inner(&mut self, _ctx: &Context<Self>, msg: Msg) -> bool {
        if !matches!(msg, Msg::Frame(_)) {
            clock::leave_frame();
        }
        match msg {
            Msg::Frame(ts) => {
                let sig = self.frame_sig();
                let t_frame = clock::now();
                let dt = self.last_ts.map_or(16.0, |l| (ts - l).clamp(0.0, 250.0));
                self.last_ts = Some(ts);
                self.frame_ms += 0.1 * (dt.clamp(1.0, 100.0) - self.frame_ms);
                let t0 = clock::now();
                let budget = self.budget.begin(t0);
                let n = clock::span("ticks", || self.st.advance(dt, budget, &clock::now));
                let t1 = clock::now();
                self.budget.ticks_done(t1);
                let moved = self.smooth(dt);
                self.hub.after_frame(&self.st, n);
                let said = n > 0 && self.after_change();
                let plotted = self.plot_snap.clone();
                let (ui_before, graph_before) = (self.ui_snap.clone(), self.graph_snap.clone());
                if let Some(ms) = self.text.take_cost() {
                    // a text update without a page render (see `text_only`)
                    clock::add_span("frame_text_render", ms);
                    self.note_text_cost(ms);
                }
                self.sync_views_frame(t1);
                // At the text rate the live components (counter, stats, scrubber, plots)
                // re-render through `text`, and the page only when something else changed
                // too (the run's state, an announcement, see `text_only`); on the frames in
                // between only the graph's discs move, through the feed.
                let text_moved = !Rc::ptr_eq(&plotted, &self.plot_snap);
                let page = said
                    || self.frame_sig() != sig
                    || (text_moved && !self.text_only(&plotted, &ui_before, &graph_before));
                if page || text_moved || (n > 0 && !self.st.playing) {
                    self.publish();
                }
                self.frame_t0 = page.then_some(t_frame);
                self.text_t0 = (text_moved && !page).then_some(t_frame);
                if !page {
                    self.feed.frame();
                }
                // the discs move on every frame, page render or not (the graph does not
                // re-render at the text rate)
                let sent = moved && self.feed.send(self.shown_seq, self.shown.clone());
                // (no painter to take them: the graph renders them, unless the table shows
                // instead of the graph, which follows the text rate)
                page || (moved && !sent && !self.st.table)
            }
            Msg::Cmd(cmd) => self.run_cmd(cmd),
            Msg::Stage(m) => self.stage(m),
            Msg::Key(e) => match self.on_key(&e) {
                Some(cmd) => {
                    let changed = self.st.apply(cmd);
                    self.hub.after_change(&self.st);
                    self.publish();
                    self.sync_views();
                    self.after_change() || changed
                }
                None => false,
            },
            Msg::SystemDark(d) => {
                self.system_dark = d;
                self.after_change();
                true
            }
            Msg::Reduced(r) => {
                self.reduced = r;
                self.st.reduced_motion = r;
                if r {
                    self.sync_shown();
                }
                true
            }
            Msg::Narrow(n) => {
                let changed = self.narrow != n;
                self.narrow = n;
                changed
            }
            Msg::Zoom(z) => {
                self.hub.set_zoom(&self.st, z);
                std::mem::replace(&mut self.zoom, z) != z
            }
            Msg::Embed(m) => {
                let changed = self.hub.handle(&mut self.st, m);
                self.zoom = self.hub.zoom();
                self.target = Rc::new(self.st.sim.target());
                self.sync_shown();
                self.publish();
                self.sync_views();
                self.after_change() || changed
            }
        }
    }

    fn view_inner(&self, ctx: &Context<Self>) -> Html {
        let st = &self.st;
        let on_cmd = self.cmd_cb.clone();
        let onkeydown = ctx.link().callback(Msg::Key);
        // numbers on screen follow the text snapshot (≤ PLOT_HZ while playing)
        let s = &self.plot_snap;
        // one set of props for the transport, the pickers and the data inputs (the counter
        // follows the text feed; the snapshot changes only when a leaf moved)
        let cprops = controls::ControlsProps {
            info: st.info.clone(),
            snap: self.ui_snap.clone(),
            playing: st.playing,
            status: st.status,
            speed: st.speed,
            eta: st.eta,
            variant: st.variant.clone().into(),
            uses_rate: st.uses_rate(),
            preset: st.preset.clone().into(),
            scale: st.scale,
            target: self.target.clone(),
            lr: st.lr,
            learned: st.learned.clone(),
            has_params: st.sim.has_params(),
            released: self.plot_snap.released,
            start: st.start,
            start_fell_back: st.sim.start_fell_back(),
            on_cmd: on_cmd.clone(),
            feed: self.text.clone(),
        };
        let alert = st.alert.clone().map(|msg| {
            let dismiss = on_cmd.reform(|_| Cmd::DismissAlert);
            html! {
                <>
                    <span class="alert-text">{ msg }</span>
                    <button type="button" class="dismiss" onclick={dismiss} aria-label={text::DISMISS}>{ "×" }</button>
                </>
            }
        });
        let blurb = presets::get(&st.preset).map(|p| p.blurb).unwrap_or("");
        let link = ctx.link();
        let card = self
            .focus
            .and_then(|(i, k)| hover::card(st.sim.session(), &st.info, i, k))
            .map(Rc::new);
        let lens = match (self.focus, st.slow.as_ref()) {
            (Some((i, _)), _) if card.is_some() => Some(Rc::new(hover::lens_for(&st.info, i))),
            (_, Some(sl)) => Some(Rc::new(slowmo::lens(st, sl))),
            _ if !st.highlight.is_empty() => {
                Some(Rc::new(hover::lens_of_sets(&st.info, &st.highlight, &[])))
            }
            _ => None,
        };
        let overlay = self
            .edit
            .and_then(|(i, k, x, y, w)| {
                let v = s.nodes.get(i)?.v.get(k).copied()?;
                let label = format!("{} {}", text_story::CARD_EDIT_LABEL, st.info.nodes[i].id);
                Some(html! {
                    <hover::InlineEdit {x} {y} {w} value={v}
                        label={label} on_done={ctx.link().callback(|x| Msg::Stage(StageMsg::EditDone(x)))} />
                })
            })
            .unwrap_or_default();
        // the pickers and sliders, the variant's explanation, the replay and slow motion: above
        // the graph on a wide screen, below it on a phone
        let settings = html! { <Controls ..cprops.clone() /> };
        let settings_more = html! {
            <>
                <p id="variant-explain" class="explain" data-variant={st.variant.clone()}>{ text::variant_explain(&st.variant) }</p>
                <live::Live feed={self.text.clone()} piece={live::Piece::Replay} on_cmd={on_cmd.clone()} />
                { slowmo::panel(st.slow.as_ref(), &on_cmd) }
            </>
        };
        let share_bar = html! { <share::ShareBar fragment={AttrValue::from(self.hub.fragment().to_string())} /> };
        let leveled = if st.info.leveled {
            "levelled"
        } else {
            "not levelled"
        };
        html! {
                    <div class={classes!("app", self.hub.classes())} tabindex="-1" {onkeydown}>
                        <header class="top">
                            <a11y::ThemeToggle theme={st.theme} on_cmd={on_cmd.clone()} />
                            <h1>{ text::TITLE }</h1>
                            <p class="intro">{ text::INTRO }</p>
                        </header>
                        <a11y::LiveRegion message={self.announce.clone()} />
                        <div id="alert" role="alert" class={classes!("alert", st.alert.is_some().then_some("show"))}>{ for alert }</div>
                        // every piece of content sits in a landmark: banner (header), main,
                        // contentinfo (footer); inside main, labelled regions
                        <main id="main">
                        if !self.hub.embed() && !self.narrow { { share_bar.clone() } }
                        <section id="controls-region" class="controls-region" aria-label={a11y::CONTROLS_LABEL}>
                        <div class="bar">
                            { html! { <Transport ..cprops.clone() /> } }
                            if !self.narrow { { settings.clone() } }
                            // on a phone the settings are under the tall graph: one tap away
                            if self.narrow {
                                <button type="button" id="to-settings" class="to-settings" onclick={Callback::from(|_| to_settings())}>{ a11y::TO_SETTINGS }</button>
                            }
                        </div>
                        if !self.narrow { { settings_more.clone() } }
                        </section>
                        <div class="grid">
                            <section class="panel graph-panel" aria-label="Graph">
                                <div class="graph-head">
                                    <h2>{ st.info.name.clone() }</h2>
                                    <span class="muted small">{ format!("depth {} · {leveled}", st.info.depth) }</span>
                                    <button type="button" id="table-toggle" class="table-toggle" aria-pressed={st.table.to_string()}
                                        aria-controls="graph-area" title={a11y::TABLE_TOGGLE_HINT}
                                        onclick={on_cmd.reform({ let t = st.table; move |_| Cmd::ShowTable(!t) })}>{ a11y::TABLE_TOGGLE }</button>
                                    if !st.table && !self.narrow && graph_view::zoom_helps(&st.info) {
                                        <button type="button" id="zoom-toggle" class="table-toggle zoom-toggle" aria-pressed={self.zoom.to_string()}
                                            aria-controls="graph-area" title={a11y::ZOOM_TOGGLE_HINT}
                                            onclick={ctx.link().callback({ let z = self.zoom; move |_| Msg::Zoom(!z) })}>{ a11y::ZOOM_TOGGLE }</button>
                                    }
                                </div>
                                <p class="blurb muted">{ blurb }</p>
                                <div class="graph-wrap stage" id="graph-area" ref={self.stage_ref.clone()} onmouseover={stage_cb(link, StageMsg::Over)} onmouseleave={stage_cb(link, |_: MouseEvent| StageMsg::Leave)}
                                    onfocusin={stage_cb(link, StageMsg::FocusIn)} onpointerdown={stage_cb(link, StageMsg::Down)} onpointermove={stage_cb(link, StageMsg::Move)}
                                    onpointerup={stage_cb(link, StageMsg::Up)} onpointercancel={stage_cb(link, StageMsg::Up)} onclick={stage_cb(link, StageMsg::Click)} onkeydown={stage_cb(link, StageMsg::Key)}>
                                    if st.table {
                                        <table_view::TableView info={st.info.clone()} snap={st.snap.clone()} status={st.status.name()} />
                                    } else {
                                        <GraphView info={self.plot_info.clone()} snap={self.graph_snap.clone()} shown={self.shown.clone()} seq={self.shown_seq} feed={self.feed.clone()} scale={st.scale} {lens} stacked={self.narrow} zoom={self.zoom} playing={st.playing} />
                                    }
        { overlay }
                                </div>
                                { hover::card_view(&hover::CardProps { card, info: st.info.clone(), alpha: st.lr,
                            on_close: ctx.link().callback(|_| Msg::Stage(StageMsg::Close)) }) }
                                <live::Live feed={self.text.clone()} piece={live::Piece::Stats} />
                                <div class="below-graph">
                                    <Legend scale={st.scale} released={st.snap.released.is_some() || !st.snap.free_inputs.is_empty()} />
                                    { html! { <DataInputs ..cprops.clone() /> } }
                                </div>
                            </section>
                            // on a phone the graph comes right after the transport buttons (the
                            // first screen shows it relaxing), and the settings follow it
                            if self.narrow {
                                <section id="settings-region" class="controls-region" aria-label={a11y::SETTINGS_LABEL}>
                                    <div class="bar">{ settings }</div>
                                    { settings_more }
                                </section>
                            }
                            <div class="panel plots-panel" key={a11y::resolve(st.theme, self.system_dark)}>
                                <div class="kept-bar">
                                    if st.kept.is_some() {
                                        <button type="button" id="kept-clear" onclick={on_cmd.reform(|_| Cmd::KeepRun(false))}>{ text::KEEP_CLEAR }</button>
                                    } else {
                                        <button type="button" id="kept-pin" title={text::KEEP_HINT} onclick={on_cmd.reform(|_| Cmd::KeepRun(true))}>{ text::KEEP }</button>
                                    }
                                </div>
                                <plots::Plots feed={self.text.clone()} marker={st.scrub} spread={st.playing} kept={st.kept.clone()} landscape={st.landscape.clone()} focus={self.focus.map(|f| f.0)} />
                            </div>
                        </div>
                        if !self.hub.embed() && self.narrow { { share_bar } }
                        <div class="teach">
                            <editor::Editor file={st.file.clone()} on_cmd={self.cmd_cb.clone()} />
                            { export::bar(&on_cmd) }
                        </div>
                        <learn_view::LearnPanel />
                        { self.hub.open_full_link() }
                        <story::Story />
                        </main>
                        <footer class="muted small">
                            { "Everything runs in your browser; nothing is sent anywhere. Keys: space play/pause · → or s step · r reset · l learning step · c hold or release the output." }
                        </footer>
                    </div>
                }
    }
}

/// Scroll the phone layout's settings (under the graph) into view and focus its first field.
/// A button, not a `#settings-region` link: the fragment holds the app's state.
fn to_settings() {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Some(el) = doc.get_element_by_id("settings-region") {
        el.scroll_into_view();
    }
    if let Some(el) = doc
        .get_element_by_id("preset")
        .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
    {
        let _ = el.focus();
    }
}

/// Mount the app on `<body>`.
pub fn start() {
    yew::Renderer::<App>::with_props(AppProps { autoplay: true }).render();
}
