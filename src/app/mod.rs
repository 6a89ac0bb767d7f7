//! The web face (wasm32 only): renders engine state and sends it commands.
//!
//! * [`state`]: the one app state and its reducer (owns the engine session via [`sim`]).
//! * [`clock`]: the requestAnimationFrame loop with a per-frame tick budget.
//! * [`layout`]: layered graph layout (pure, unit-tested natively).
//! * [`graph_view`], [`plots`], [`controls`]: the views.
//! * [`text`]: every user-facing string and the finite-only number formatter.
pub mod clock;
pub mod controls;
pub mod editor;
pub mod export;
pub mod graph_view;
pub mod layout;
pub mod plots;
pub mod presets;
pub mod replay;
pub mod sim;
pub mod state;
pub mod text;
pub mod text_teach;

use std::rc::Rc;

use wasm_bindgen::JsValue;
use web_sys::{Element, KeyboardEvent};
use yew::prelude::*;

use clock::{Clock, TICK_BUDGET_MS};
use controls::{Controls, DataInputs, Transport};
use graph_view::{GraphView, Legend};
use plots::Plots;
use state::{AppState, Cmd, Status};
use text::{full, num, sci};

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
}

pub struct App {
    st: AppState,
    _clock: Option<Clock>,
    last_ts: Option<f64>,
    /// Smoothed error/estimate values for drawing (the engine's numbers stay exact).
    shown: Rc<Vec<Vec<f64>>>,
    reduced: bool,
    target: Rc<Vec<f64>>,
}

/// Time constant (ms) of the visual smoothing between engine states.
const SMOOTH_MS: f64 = 60.0;

impl App {
    fn sync_shown(&mut self) {
        self.shown = Rc::new(self.st.snap.nodes.iter().map(|n| n.est.clone()).collect());
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
        }
        moved
    }

    /// `window.__pc` for tests and host pages.
    fn publish(&self) {
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
            _ => return None,
        };
        e.prevent_default();
        Some(cmd)
    }
}

impl Component for App {
    type Message = Msg;
    type Properties = AppProps;

    fn create(ctx: &Context<Self>) -> Self {
        let reduced = clock::reduced_motion();
        let st = AppState::new(ctx.props().autoplay && !reduced);
        let target = Rc::new(st.sim.target());
        let clock = Clock::start(ctx.link().callback(Msg::Frame));
        let mut app = App {
            st,
            _clock: Some(clock),
            last_ts: None,
            shown: Rc::new(vec![]),
            reduced,
            target,
        };
        app.sync_shown();
        app.publish();
        app
    }

    fn update(&mut self, _ctx: &Context<Self>, msg: Msg) -> bool {
        match msg {
            Msg::Frame(ts) => {
                let dt = self.last_ts.map_or(16.0, |l| (ts - l).clamp(0.0, 250.0));
                self.last_ts = Some(ts);
                let n = self.st.advance(dt, TICK_BUDGET_MS, &clock::now);
                let moved = self.smooth(dt);
                if n > 0 {
                    self.publish();
                }
                n > 0 || moved
            }
            Msg::Cmd(cmd) => {
                let changed = self.st.apply(cmd);
                self.target = Rc::new(self.st.sim.target());
                if self.reduced {
                    self.sync_shown();
                }
                self.publish();
                changed
            }
            Msg::Key(e) => match self.on_key(&e) {
                Some(cmd) => {
                    let changed = self.st.apply(cmd);
                    self.publish();
                    changed
                }
                None => false,
            },
        }
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let st = &self.st;
        let on_cmd = ctx.link().callback(Msg::Cmd);
        let onkeydown = ctx.link().callback(Msg::Key);
        let s = &st.snap;
        let cprops = controls::ControlsProps {
            info: st.info.clone(),
            snap: st.snap.clone(),
            playing: st.playing,
            status: st.status,
            speed: st.speed,
            eta: st.eta,
            variant: st.variant.clone().into(),
            uses_rate: st.uses_rate(),
            preset: st.preset.clone().into(),
            global: st.global_scale,
            target: self.target.clone(),
            on_cmd: on_cmd.clone(),
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
        let leveled = if st.info.leveled {
            "levelled"
        } else {
            "not levelled"
        };
        html! {
            <div class="app" tabindex="-1" {onkeydown}>
                <header class="top">
                    <h1>{ text::TITLE }</h1>
                    <p class="intro">{ text::INTRO }</p>
                </header>
                <div id="alert" role="alert" class={classes!("alert", st.alert.is_some().then_some("show"))}>{ for alert }</div>
                <div class="bar">
                    { html! { <Transport ..cprops.clone() /> } }
                    { html! { <Controls ..cprops.clone() /> } }
                </div>
                <replay::Replay step={s.step} max={st.replay_max} scrubbing={st.scrub.is_some()} on_cmd={on_cmd.clone()} />
                <p id="variant-explain" class="explain" data-variant={st.variant.clone()}>{ text::variant_explain(&st.variant) }</p>
                <main class="grid">
                    <section class="panel graph-panel" aria-label="Graph">
                        <div class="graph-head">
                            <h2>{ st.info.name.clone() }</h2>
                            <span class="muted small">{ format!("depth {} · {leveled}", st.info.depth) }</span>
                        </div>
                        <p class="blurb muted">{ blurb }</p>
                        <div class="graph-wrap">
                            <GraphView info={st.info.clone()} snap={st.snap.clone()} shown={self.shown.clone()} global={st.global_scale} />
                        </div>
                        <div class="stats" aria-live="off">
                            <span>{ text::GAP_OVERALL }{ " " }<output id="gap-overall" data-value={full(s.gap_overall())}>{ sci(s.gap_overall()) }</output></span>
                            <span>{ "energy F " }<output id="energy">{ num(s.energy) }</output></span>
                            <span>{ "loss L " }<output id="loss">{ num(s.loss) }</output></span>
                        </div>
                        <div class="below-graph">
                            <Legend global={st.global_scale} />
                            { html! { <DataInputs ..cprops.clone() /> } }
                        </div>
                    </section>
                    <aside class="panel plots-panel">
                        <Plots info={st.info.clone()} snap={st.snap.clone()} series={st.series.clone()} marker={st.scrub} />
                    </aside>
                </main>
                <div class="teach">
                    <editor::Editor file={st.file.clone()} on_cmd={on_cmd.clone()} />
                    <export::ExportBar on_cmd={on_cmd.clone()} />
                </div>
                <footer class="muted small">
                    { "Everything runs in your browser; nothing is sent anywhere. Keys: space play/pause · → or s step · r reset." }
                </footer>
            </div>
        }
    }
}

/// Mount the app on `<body>`.
pub fn start() {
    yew::Renderer::<App>::with_props(AppProps { autoplay: true }).render();
}
