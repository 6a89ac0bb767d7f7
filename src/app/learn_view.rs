//! The learning panel: train one small network with the PC weight update and with backprop,
//! side by side from the same initial weights and seed (`engine::learn::Trainer`), on XOR, a
//! 1-D regression (noisy sine) or a 2-D classification (two moons). Both loss curves share one
//! chart; the cosine between each PC update and the BP gradient is plotted over training; for
//! 2-D tasks both decision regions are drawn as small heatmaps, for the 1-D task both fitted
//! curves. Training is time-sliced per animation frame (never blocks) and owns its own clock,
//! which runs only while playing.
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    CanvasRenderingContext2d, Event, HtmlCanvasElement, HtmlInputElement, HtmlSelectElement,
};
use yew::prelude::*;

use super::clock::{self, Clock};
use super::graph_view::{NEG, POS};
use super::plots::{self, Axis};
use super::text::{full, num};
use super::text_teach as tt;
use crate::engine::learn::{DatasetKind, EpochStats, ParamsKind, Trainer};

/// Milliseconds of training per animation frame at most.
const BUDGET_MS: f64 = 7.0;
/// Heatmap cells per side.
const CELLS: usize = 40;
/// Decision regions are redrawn at most this often while training (ms).
const REGION_EVERY_MS: f64 = 150.0;
const CW: u32 = 560;
const CH: u32 = 200;
const HW: u32 = 200;

/// Epochs after which training stops by itself, and epochs per frame (speed).
fn plan(kind: DatasetKind) -> (usize, usize) {
    match kind {
        DatasetKind::Xor => (1500, 6),
        DatasetKind::Sine => (1500, 4),
        DatasetKind::TwoMoons => (300, 1),
    }
}

pub enum LMsg {
    Frame(f64),
    Task(String),
    Seed(String),
    Toggle,
    Epoch,
    Reset,
}

pub struct LearnPanel {
    kind: DatasetKind,
    seed: u64,
    trainer: Trainer,
    playing: bool,
    clock: Option<Clock>,
    error: Option<String>,
    last_region: f64,
    regions_stale: bool,
    loss_ref: NodeRef,
    cos_ref: NodeRef,
    pc_ref: NodeRef,
    bp_ref: NodeRef,
}

impl LearnPanel {
    fn rebuild(&mut self) {
        self.trainer = Trainer::for_dataset(self.kind, self.seed);
        self.error = None;
        self.regions_stale = true;
        self.publish();
    }

    fn is_2d(&self) -> bool {
        self.kind != DatasetKind::Sine
    }

    fn done(&self) -> bool {
        self.trainer.epoch() >= plan(self.kind).0 || self.error.is_some()
    }

    /// Train within the frame budget; returns whether an epoch completed.
    fn train_slice(&mut self) -> bool {
        let start = clock::now();
        let (_, per_frame) = plan(self.kind);
        let target = self.trainer.epoch() + per_frame;
        let mut any = false;
        while self.trainer.epoch() < target && !self.done() {
            match self.trainer.step_batch() {
                Ok(Some(_)) => any = true,
                Ok(None) => {}
                Err(e) => {
                    self.error = Some(e);
                    break;
                }
            }
            if clock::now() - start > BUDGET_MS {
                break;
            }
        }
        any
    }

    fn stop_clock(&mut self) {
        self.playing = false;
        self.clock = None;
    }

    /// `window.__learn` for tests and host pages.
    fn publish(&self) {
        let Some(w) = web_sys::window() else { return };
        let o = js_sys::Object::new();
        let set = |k: &str, v: JsValue| {
            let _ = js_sys::Reflect::set(&o, &JsValue::from_str(k), &v);
        };
        let f = |x: f64| JsValue::from_f64(if x.is_finite() { x } else { -1.0 });
        let h = self.trainer.history();
        set("task", JsValue::from_str(self.kind.name()));
        set("epoch", f(self.trainer.epoch() as f64));
        set("playing", JsValue::from_bool(self.playing));
        let (l0pc, l0bp) = self.trainer.initial_loss().unwrap_or((f64::NAN, f64::NAN));
        set("initialPc", f(l0pc));
        set("initialBp", f(l0bp));
        if let Some(s) = h.last() {
            set("lossPc", f(s.loss_pc));
            set("lossBp", f(s.loss_bp));
            set("cosine", f(s.cosine));
        }
        let _ = js_sys::Reflect::set(&w, &JsValue::from_str("__learn"), &o);
    }

    fn draw(&mut self) {
        let h = self.trainer.history();
        let init = self.trainer.initial_loss();
        if let Some(c) = self.loss_ref.cast::<HtmlCanvasElement>() {
            draw_losses(c, h, init);
        }
        if let Some(c) = self.cos_ref.cast::<HtmlCanvasElement>() {
            draw_cosine(c, h);
        }
        let now = clock::now();
        if self.regions_stale || !self.playing || now - self.last_region > REGION_EVERY_MS {
            self.last_region = now;
            self.regions_stale = false;
            if self.is_2d() {
                for (r, which) in [
                    (&self.pc_ref, ParamsKind::Pc),
                    (&self.bp_ref, ParamsKind::Bp),
                ] {
                    if let Some(c) = r.cast::<HtmlCanvasElement>() {
                        draw_region(&c, &self.trainer, which);
                    }
                }
            } else if let Some(c) = self.pc_ref.cast::<HtmlCanvasElement>() {
                draw_fit(c, &self.trainer);
            }
        }
    }
}

impl Component for LearnPanel {
    type Message = LMsg;
    type Properties = ();

    fn create(_ctx: &Context<Self>) -> Self {
        let kind = DatasetKind::Xor;
        let seed = 1;
        let p = LearnPanel {
            kind,
            seed,
            trainer: Trainer::for_dataset(kind, seed),
            playing: false,
            clock: None,
            error: None,
            last_region: 0.0,
            regions_stale: true,
            loss_ref: NodeRef::default(),
            cos_ref: NodeRef::default(),
            pc_ref: NodeRef::default(),
            bp_ref: NodeRef::default(),
        };
        p.publish();
        p
    }

    fn update(&mut self, ctx: &Context<Self>, msg: LMsg) -> bool {
        match msg {
            LMsg::Frame(_) => {
                if !self.playing {
                    return false;
                }
                let changed = self.train_slice();
                if self.done() {
                    self.stop_clock();
                    self.regions_stale = true;
                }
                self.publish();
                changed || !self.playing
            }
            LMsg::Toggle => {
                if self.playing {
                    self.stop_clock();
                    self.regions_stale = true;
                } else {
                    if self.done() {
                        self.rebuild();
                    }
                    self.playing = true;
                    self.clock = Some(Clock::start(ctx.link().callback(LMsg::Frame)));
                }
                self.publish();
                true
            }
            LMsg::Epoch => {
                self.stop_clock();
                if !self.done() {
                    if let Err(e) = self.trainer.step_epoch() {
                        self.error = Some(e);
                    }
                }
                self.regions_stale = true;
                self.publish();
                true
            }
            LMsg::Reset => {
                self.stop_clock();
                self.rebuild();
                true
            }
            LMsg::Task(name) => {
                if let Some(k) = DatasetKind::from_name(&name) {
                    self.stop_clock();
                    self.kind = k;
                    self.rebuild();
                }
                true
            }
            LMsg::Seed(s) => {
                if let Ok(seed) = s.trim().parse::<u64>() {
                    self.stop_clock();
                    self.seed = seed;
                    self.rebuild();
                } else {
                    self.error = Some(tt::bad_seed(&s));
                }
                true
            }
        }
    }

    fn rendered(&mut self, _ctx: &Context<Self>, _first: bool) {
        self.draw();
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let on_task = link.batch_callback(|e: Event| {
            e.target_dyn_into::<HtmlSelectElement>()
                .map(|el| LMsg::Task(el.value()))
        });
        let on_seed = link.batch_callback(|e: Event| {
            e.target_dyn_into::<HtmlInputElement>()
                .map(|el| LMsg::Seed(el.value()))
        });
        let h = self.trainer.history();
        let (l0pc, l0bp) = self.trainer.initial_loss().unwrap_or((f64::NAN, f64::NAN));
        let (lpc, lbp, cos) = h
            .last()
            .map_or((l0pc, l0bp, f64::NAN), |s| (s.loss_pc, s.loss_bp, s.cosine));
        let sizes = self
            .kind
            .sizes()
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .join("-");
        let cfg = self.trainer.config();
        let regions = if self.is_2d() {
            html! {
                <div class="regions">
                    <figure><figcaption>{ tt::REGION_PC }</figcaption>
                        <canvas id="learn-region-pc" ref={self.pc_ref.clone()} width={HW.to_string()} height={HW.to_string()} role="img" aria-label={tt::REGION_PC}></canvas></figure>
                    <figure><figcaption>{ tt::REGION_BP }</figcaption>
                        <canvas id="learn-region-bp" ref={self.bp_ref.clone()} width={HW.to_string()} height={HW.to_string()} role="img" aria-label={tt::REGION_BP}></canvas></figure>
                </div>
            }
        } else {
            html! {
                <figure class="plot"><figcaption>{ tt::FIT }</figcaption>
                    <canvas id="learn-fit" ref={self.pc_ref.clone()} width={CW.to_string()} height={CH.to_string()} role="img" aria-label={tt::FIT}></canvas></figure>
            }
        };
        html! {
            <section class="panel learn-panel" aria-label={tt::LEARN_TITLE}>
                <h2>{ tt::LEARN_TITLE }</h2>
                <p class="muted small">{ tt::LEARN_INTRO }</p>
                <div class="learn-controls">
                    <div class="field">
                        <label for="learn-task">{ tt::TASK }</label>
                        <select id="learn-task" onchange={on_task}>
                            { for DatasetKind::ALL.iter().map(|k| html! {
                                <option value={k.name()} selected={*k == self.kind}>{ tt::task_label(k.name()) }</option>
                            }) }
                        </select>
                    </div>
                    <div class="field">
                        <label for="learn-seed">{ tt::SEED }</label>
                        <input type="number" id="learn-seed" class="num-input" min="0" step="1" value={self.seed.to_string()} onchange={on_seed} />
                    </div>
                    <div class="buttons">
                        <button type="button" id="learn-play" class={classes!("primary", self.playing.then_some("playing"))} onclick={link.callback(|_| LMsg::Toggle)}>
                            { if self.playing { tt::TRAIN_PAUSE } else { tt::TRAIN } }</button>
                        <button type="button" id="learn-epoch" title={tt::EPOCH_HINT} onclick={link.callback(|_| LMsg::Epoch)}>{ tt::EPOCH }</button>
                        <button type="button" id="learn-reset" onclick={link.callback(|_| LMsg::Reset)}>{ tt::TRAIN_RESET }</button>
                    </div>
                </div>
                <p class="learn-stats">
                    <span>{ tt::EPOCH_LABEL }{ " " }<output id="learn-epoch-n">{ self.trainer.epoch() }</output></span>
                    <span class="pc">{ tt::PC_LOSS }{ " " }<output id="learn-loss-pc" data-value={full(lpc)}>{ num(lpc) }</output></span>
                    <span class="bp">{ tt::BP_LOSS }{ " " }<output id="learn-loss-bp" data-value={full(lbp)}>{ num(lbp) }</output></span>
                    <span>{ tt::COSINE }{ " " }<output id="learn-cos" data-value={full(cos)}>{ if cos.is_finite() { format!("{cos:.6}") } else { num(cos) } }</output></span>
                </p>
                <p class="muted small">{ tt::setup(&sizes, cfg.ticks, cfg.lr, cfg.batch, cfg.eta) }</p>
                if let Some(e) = &self.error { <p id="learn-error" class="editor-error" role="alert">{ e.clone() }</p> }
                <div class="learn-grid">
                    <figure class="plot"><figcaption>{ tt::LOSS_CHART }
                        <span class="keys"><span class="key"><i style={format!("background:{POS}")}></i>{ tt::PC }</span><span class="key"><i style={format!("background:{NEG}")}></i>{ tt::BP }</span></span></figcaption>
                        <canvas id="learn-loss" ref={self.loss_ref.clone()} width={CW.to_string()} height={CH.to_string()} role="img" aria-label={tt::LOSS_CHART}></canvas></figure>
                    <figure class="plot"><figcaption>{ tt::COS_CHART }</figcaption>
                        <canvas id="learn-cos-chart" ref={self.cos_ref.clone()} width={CW.to_string()} height={(CH * 3 / 4).to_string()} role="img" aria-label={tt::COS_CHART}></canvas></figure>
                    { regions }
                </div>
            </section>
        }
    }
}

fn dark() -> bool {
    web_sys::window()
        .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
        .is_some_and(|m| m.matches())
}

/// Chart colours, following the page's light or dark scheme (as the playground's plots do).
fn bg() -> RGBColor {
    if dark() {
        RGBColor(0x1b, 0x1e, 0x24)
    } else {
        RGBColor(0xff, 0xff, 0xff)
    }
}

fn fg() -> RGBColor {
    if dark() {
        RGBColor(0xd6, 0xda, 0xe0)
    } else {
        RGBColor(0x33, 0x3a, 0x45)
    }
}

fn grid() -> RGBColor {
    if dark() {
        RGBColor(0x34, 0x39, 0x42)
    } else {
        RGBColor(0xe6, 0xe9, 0xee)
    }
}

fn hex(c: &str) -> RGBColor {
    let p = |i: usize| u8::from_str_radix(c.get(i..i + 2).unwrap_or("80"), 16).unwrap_or(128);
    RGBColor(p(1), p(3), p(5))
}

/// Both loss curves against the epoch (log scale), epoch 0 = the shared initial weights.
fn draw_losses(c: HtmlCanvasElement, h: &[EpochStats], init: Option<(f64, f64)>) -> Option<()> {
    let k = plots::fit(&c, CH as f64 / CW as f64, c.client_width());
    let root = CanvasBackend::with_canvas_object(c)?.into_drawing_area();
    root.fill(&bg()).ok()?;
    let mut pc: Vec<(f64, f64)> = vec![];
    let mut bp: Vec<(f64, f64)> = vec![];
    if let Some((a, b)) = init {
        pc.push((0.0, a));
        bp.push((0.0, b));
    }
    for s in h {
        pc.push((s.epoch as f64, s.loss_pc));
        bp.push((s.epoch as f64, s.loss_bp));
    }
    let ok = |v: &f64| v.is_finite() && *v > 0.0;
    let hi = pc
        .iter()
        .chain(&bp)
        .map(|p| p.1)
        .filter(ok)
        .fold(1e-9f64, f64::max);
    let lo = pc
        .iter()
        .chain(&bp)
        .map(|p| p.1)
        .filter(ok)
        .fold(hi, f64::min);
    let (lo, hi) = (
        10f64.powf(lo.log10().floor()),
        10f64.powf(hi.log10().ceil()),
    );
    let hi = if hi <= lo { lo * 10.0 } else { hi };
    let xm = (h.len() as f64).max(10.0);
    let mut ch = plots::chart_on(&root, k)
        .build_cartesian_2d(Axis::lin(0.0, xm), Axis::log(lo, hi))
        .ok()?;
    let font = plots::label_font(fg(), k);
    ch.configure_mesh()
        .light_line_style(grid())
        .max_light_lines(2)
        .bold_line_style(grid())
        .axis_style(fg())
        .label_style(font)
        .x_labels(6)
        .y_labels(5)
        .y_label_formatter(&|v| format!("{v:.0e}"))
        .x_label_formatter(&|v| format!("{v:.0}"))
        .draw()
        .ok()?;
    for (pts, col, w) in [(&bp, NEG, 3.5), (&pc, POS, 1.5)] {
        let pts: Vec<(f64, f64)> = pts.iter().copied().filter(|p| ok(&p.1)).collect();
        ch.draw_series(LineSeries::new(
            pts,
            ShapeStyle {
                color: hex(col).to_rgba(),
                filled: false,
                stroke_width: plots::lw(w, k),
            },
        ))
        .ok()?;
    }
    root.present().ok()
}

/// cos(PC update, BP gradient at the PC weights) per epoch, on [−1, 1].
fn draw_cosine(c: HtmlCanvasElement, h: &[EpochStats]) -> Option<()> {
    let k = plots::fit(&c, 0.75 * CH as f64 / CW as f64, c.client_width());
    let root = CanvasBackend::with_canvas_object(c)?.into_drawing_area();
    root.fill(&bg()).ok()?;
    let xm = (h.len() as f64).max(10.0);
    let lo = h
        .iter()
        .map(|s| s.cosine)
        .filter(|x| x.is_finite())
        .fold(0.9f64, f64::min);
    let lo = if lo >= 0.9 {
        0.9
    } else {
        (lo * 10.0).floor() / 10.0
    };
    let mut ch = plots::chart_on(&root, k)
        .build_cartesian_2d(Axis::lin(0.0, xm), Axis::lin(lo.max(-1.0), 1.005))
        .ok()?;
    let font = plots::label_font(fg(), k);
    ch.configure_mesh()
        .light_line_style(grid())
        .max_light_lines(2)
        .bold_line_style(grid())
        .axis_style(fg())
        .label_style(font)
        .x_labels(6)
        .y_labels(4)
        .y_label_formatter(&|v| format!("{v:.2}"))
        .x_label_formatter(&|v| format!("{v:.0}"))
        .draw()
        .ok()?;
    ch.draw_series(LineSeries::new(
        h.iter()
            .filter(|s| s.cosine.is_finite())
            .map(|s| (s.epoch as f64, s.cosine)),
        ShapeStyle {
            color: RGBColor(0x7c, 0x4d, 0xff).to_rgba(),
            filled: false,
            stroke_width: plots::lw(2.0, k),
        },
    ))
    .ok()?;
    root.present().ok()
}

/// Input bounds of a 2-D dataset with a margin: (x0, x1, y0, y1).
fn bounds(t: &Trainer) -> (f64, f64, f64, f64) {
    let d = t.dataset();
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for p in &d.inputs {
        if p.len() >= 2 {
            x0 = x0.min(p[0]);
            x1 = x1.max(p[0]);
            y0 = y0.min(p[1]);
            y1 = y1.max(p[1]);
        }
    }
    if x0 > x1 {
        return (0.0, 1.0, 0.0, 1.0);
    }
    let (mx, my) = ((x1 - x0).max(1e-3) * 0.2, (y1 - y0).max(1e-3) * 0.2);
    (x0 - mx, x1 + mx, y0 - my, y1 + my)
}

/// Blend blue (0) → white (0.5) → orange (1).
fn region_colour(p: f64) -> String {
    let p = if p.is_finite() {
        p.clamp(0.0, 1.0)
    } else {
        0.5
    };
    let (a, t) = if p < 0.5 {
        (hex(NEG), (0.5 - p) * 2.0)
    } else {
        (hex(POS), (p - 0.5) * 2.0)
    };
    let mix = |c: u8| (255.0 + (c as f64 - 255.0) * t * 0.75).round() as u8;
    format!("rgb({},{},{})", mix(a.0), mix(a.1), mix(a.2))
}

/// The decision region of one parameter set as a heatmap, with the data points on top.
fn draw_region(c: &HtmlCanvasElement, t: &Trainer, which: ParamsKind) -> Option<()> {
    let ctx: CanvasRenderingContext2d = c.get_context("2d").ok()??.dyn_into().ok()?;
    let (w, h) = (c.width() as f64, c.height() as f64);
    let (x0, x1, y0, y1) = bounds(t);
    let (cw, chh) = (w / CELLS as f64, h / CELLS as f64);
    for i in 0..CELLS {
        for j in 0..CELLS {
            let x = x0 + (i as f64 + 0.5) / CELLS as f64 * (x1 - x0);
            let y = y1 - (j as f64 + 0.5) / CELLS as f64 * (y1 - y0);
            let p = t
                .predict(which, &[x, y])
                .first()
                .copied()
                .unwrap_or(f64::NAN);
            ctx.set_fill_style_str(&region_colour(p));
            ctx.fill_rect(i as f64 * cw, j as f64 * chh, cw + 0.5, chh + 0.5);
        }
    }
    let d = t.dataset();
    ctx.set_stroke_style_str("#1f2530");
    ctx.set_line_width(1.0);
    for (p, y) in d.inputs.iter().zip(&d.targets) {
        if p.len() < 2 {
            continue;
        }
        let px = (p[0] - x0) / (x1 - x0) * w;
        let py = (y1 - p[1]) / (y1 - y0) * h;
        let cls = y.first().copied().unwrap_or(0.0) > 0.5;
        ctx.set_fill_style_str(if cls { POS } else { NEG });
        ctx.begin_path();
        let r = if d.len() <= 8 { 6.0 } else { 3.0 };
        let _ = ctx.arc(px, py, r, 0.0, std::f64::consts::TAU);
        ctx.fill();
        ctx.stroke();
    }
    Some(())
}

/// 1-D regression: the data and both fitted curves.
fn draw_fit(c: HtmlCanvasElement, t: &Trainer) -> Option<()> {
    let d = t.dataset();
    let k = plots::fit(&c, CH as f64 / CW as f64, c.client_width());
    let root = CanvasBackend::with_canvas_object(c)?.into_drawing_area();
    root.fill(&bg()).ok()?;
    let xs: Vec<f64> = d.inputs.iter().filter_map(|p| p.first().copied()).collect();
    let ys: Vec<f64> = d
        .targets
        .iter()
        .filter_map(|p| p.first().copied())
        .collect();
    let (x0, x1) = xs
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), &x| (a.min(x), b.max(x)));
    if x0 > x1 {
        return None;
    }
    let curve = |which| -> Vec<(f64, f64)> {
        (0..=120)
            .filter_map(|k| {
                let x = x0 + (x1 - x0) * k as f64 / 120.0;
                let y = t.predict(which, &[x]).first().copied()?;
                y.is_finite().then_some((x, y))
            })
            .collect()
    };
    let (pc, bp) = (curve(ParamsKind::Pc), curve(ParamsKind::Bp));
    let (lo, hi) = ys
        .iter()
        .chain(pc.iter().map(|p| &p.1))
        .chain(bp.iter().map(|p| &p.1))
        .fold((f64::MAX, f64::MIN), |(a, b), &y| (a.min(y), b.max(y)));
    let pad = ((hi - lo) * 0.1).max(0.1);
    let mut ch = plots::chart_on(&root, k)
        .build_cartesian_2d(Axis::lin(x0, x1), Axis::lin(lo - pad, hi + pad))
        .ok()?;
    let font = plots::label_font(fg(), k);
    ch.configure_mesh()
        .light_line_style(grid())
        .max_light_lines(2)
        .bold_line_style(grid())
        .axis_style(fg())
        .label_style(font)
        .x_labels(6)
        .y_labels(5)
        .y_label_formatter(&|v| format!("{v:.1}"))
        .x_label_formatter(&|v| format!("{v:.1}"))
        .draw()
        .ok()?;
    ch.draw_series(
        xs.iter()
            .zip(&ys)
            .map(|(&x, &y)| Circle::new((x, y), plots::px(3, k), fg().mix(0.6).filled())),
    )
    .ok()?;
    for (pts, col, w) in [(bp, NEG, 3.5), (pc, POS, 1.5)] {
        ch.draw_series(LineSeries::new(
            pts,
            ShapeStyle {
                color: hex(col).to_rgba(),
                filled: false,
                stroke_width: plots::lw(w, k),
            },
        ))
        .ok()?;
    }
    root.present().ok()
}
