//! Live plots on canvases (plotters + plotters-canvas), redrawn at most once per rendered frame:
//! energy F, the gap |PC − BP| per node and overall (log scale), and the parameter gradients
//! PC vs BP. A hover readout maps the mouse x to the nearest recorded iteration.
use std::rc::Rc;

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use web_sys::{HtmlCanvasElement, MouseEvent};
use yew::prelude::*;

use super::graph_view::{NEG, POS};
use super::palette;
use super::sim::{short_id, GraphInfo, Kind, Series, Snap};
use super::text::{self, num, sci};

const W: u32 = 560;
const H: u32 = 210;
const MARGIN: i32 = 10;
const YLAB: i32 = 56;
const XLAB: i32 = 26;
/// Floor of the log plot (values below are drawn at the floor).
const LOG_FLOOR: f64 = 1e-16;
const MAX_BARS: usize = 24;

#[derive(Clone, Copy)]
struct Theme {
    bg: RGBColor,
    fg: RGBColor,
    grid: RGBColor,
    /// Picks the series palette (see `palette`).
    dark: bool,
}

fn theme() -> Theme {
    // the page's theme (light / dark / auto), see `a11y`
    let dark = super::a11y::dark_active();
    if dark {
        Theme {
            bg: RGBColor(0x1b, 0x1e, 0x24),
            fg: RGBColor(0xd6, 0xda, 0xe0),
            grid: RGBColor(0x34, 0x39, 0x42),
            dark,
        }
    } else {
        Theme {
            bg: RGBColor(0xff, 0xff, 0xff),
            fg: RGBColor(0x33, 0x3a, 0x45),
            grid: RGBColor(0xe6, 0xe9, 0xee),
            dark,
        }
    }
}

fn hex(c: &str) -> RGBColor {
    let p = |i: usize| u8::from_str_radix(c.get(i..i + 2).unwrap_or("80"), 16).unwrap_or(128);
    RGBColor(p(1), p(3), p(5))
}

fn font(t: Theme) -> TextStyle<'static> {
    (FontFamily::SansSerif, 12).into_font().color(&t.fg)
}

/// The one axis type of every chart (this module's and the learning panel's): linear or log,
/// chosen at run time. plotters instantiates its mesh, label and series drawing once per
/// coordinate type pair; one type instead of two saves that code in the wasm (issue 4). Each
/// variant behaves exactly as plotters' own `RangedCoordf64` / `LogCoord<f64>`.
pub enum Axis {
    Lin(RangedCoordf64),
    Log(LogCoord<f64>),
}

impl Axis {
    pub fn lin(lo: f64, hi: f64) -> Axis {
        Axis::Lin((lo..hi).into())
    }
    pub fn log(lo: f64, hi: f64) -> Axis {
        Axis::Log((lo..hi).log_scale().into())
    }
}

impl Ranged for Axis {
    type FormatOption = plotters::coord::ranged1d::NoDefaultFormatting;
    type ValueType = f64;
    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        match self {
            Axis::Lin(a) => a.map(v, limit),
            Axis::Log(a) => a.map(v, limit),
        }
    }
    fn key_points<H: plotters::coord::ranged1d::KeyPointHint>(&self, hint: H) -> Vec<f64> {
        match self {
            Axis::Lin(a) => a.key_points(hint),
            Axis::Log(a) => a.key_points(hint),
        }
    }
    fn range(&self) -> std::ops::Range<f64> {
        match self {
            Axis::Lin(a) => a.range(),
            Axis::Log(a) => a.range(),
        }
    }
    fn axis_pixel_range(&self, limit: (i32, i32)) -> std::ops::Range<i32> {
        match self {
            Axis::Lin(a) => a.axis_pixel_range(limit),
            Axis::Log(a) => a.axis_pixel_range(limit),
        }
    }
}

impl plotters::coord::ranged1d::ValueFormatter<f64> for Axis {
    /// plotters' default label of each axis kind (the charts mostly pass their own)
    fn format_ext(&self, v: &f64) -> String {
        use plotters::coord::ranged1d::ValueFormatter;
        match self {
            Axis::Lin(_) => <RangedCoordf64 as ValueFormatter<f64>>::format(v),
            Axis::Log(_) => format!("{v:?}"),
        }
    }
}

fn x_max(s: &Series) -> f64 {
    s.steps.last().copied().unwrap_or(0.0).max(10.0)
}

fn draw_energy(c: HtmlCanvasElement, s: &Series, loss: f64, hover: Option<usize>) -> Option<()> {
    let t = theme();
    let root = CanvasBackend::with_canvas_object(c)?.into_drawing_area();
    root.fill(&t.bg).ok()?;
    let (mut lo, mut hi) = s
        .energy
        .iter()
        .fold((loss, loss), |(a, b), &e| (a.min(e), b.max(e)));
    if !(lo.is_finite() && hi.is_finite()) {
        return None;
    }
    let pad = ((hi - lo) * 0.08).max(1e-9 * (1.0 + hi.abs()));
    lo -= pad;
    hi += pad;
    let mut ch = ChartBuilder::on(&root)
        .margin(MARGIN)
        .x_label_area_size(XLAB)
        .y_label_area_size(YLAB)
        .build_cartesian_2d(Axis::lin(0.0, x_max(s)), Axis::lin(lo, hi))
        .ok()?;
    ch.configure_mesh()
        .light_line_style(t.grid)
        .max_light_lines(2)
        .bold_line_style(t.grid)
        .axis_style(t.fg)
        .label_style(font(t))
        .x_labels(6)
        .y_labels(5)
        .y_label_formatter(&|v| num(*v))
        .x_label_formatter(&|v| format!("{v:.0}"))
        .draw()
        .ok()?;
    let xm = x_max(s);
    ch.draw_series(LineSeries::new(
        [(0.0, loss), (xm, loss)],
        ShapeStyle {
            color: t.fg.mix(0.5),
            filled: false,
            stroke_width: 1,
        },
    ))
    .ok()?;
    ch.draw_series(LineSeries::new(
        s.steps.iter().copied().zip(s.energy.iter().copied()),
        ShapeStyle {
            color: hex(POS).to_rgba(),
            filled: false,
            stroke_width: 2,
        },
    ))
    .ok()?;
    if let Some(k) = hover {
        if let (Some(&x), Some(&y)) = (s.steps.get(k), s.energy.get(k)) {
            ch.draw_series([Circle::new((x, y), 4, hex(POS).filled())])
                .ok()?;
        }
    }
    root.present().ok()
}

fn draw_gap(
    c: HtmlCanvasElement,
    s: &Series,
    info: &GraphInfo,
    hover: Option<usize>,
) -> Option<()> {
    let t = theme();
    let root = CanvasBackend::with_canvas_object(c)?.into_drawing_area();
    root.fill(&t.bg).ok()?;
    let fl = |x: f64| {
        if x.is_finite() {
            x.max(LOG_FLOOR)
        } else {
            LOG_FLOOR
        }
    };
    let hi = s
        .overall
        .iter()
        .chain(s.nodes.iter().flatten())
        .fold(1e-12f64, |m, &x| m.max(fl(x)));
    let lo = s
        .overall
        .iter()
        .chain(s.nodes.iter().flatten())
        .filter(|x| **x > 0.0)
        .fold(hi, |m, &x| m.min(fl(x)));
    let lo = (lo.log10().floor() - 0.2).max(LOG_FLOOR.log10());
    let hi = hi.log10().ceil() + 0.2;
    let lo = lo.min(hi - 1.0);
    let floor = 10f64.powf(lo);
    let mut ch = ChartBuilder::on(&root)
        .margin(MARGIN)
        .x_label_area_size(XLAB)
        .y_label_area_size(YLAB)
        .build_cartesian_2d(
            Axis::lin(0.0, x_max(s)),
            Axis::log(10f64.powf(lo), 10f64.powf(hi)),
        )
        .ok()?;
    ch.configure_mesh()
        .light_line_style(t.grid)
        .max_light_lines(2)
        .bold_line_style(t.grid)
        .axis_style(t.fg)
        .label_style(font(t))
        .x_labels(6)
        .y_labels(6)
        .y_label_formatter(&|v| format!("{v:.0e}"))
        .x_label_formatter(&|v| format!("{v:.0}"))
        .draw()
        .ok()?;
    for (c, series) in s.nodes.iter().enumerate() {
        let col = info
            .computed
            .get(c)
            .map(|&i| palette::node_colour_in(info.nodes[i].colour, t.dark))
            .unwrap_or("#888888");
        // a node exact throughout (the clamped output) has no place on a log scale; other
        // zeros (exact from some step on) are drawn on the floor of the axis
        if series.iter().all(|&y| y <= 0.0) {
            continue;
        }
        let pts = s
            .steps
            .iter()
            .copied()
            .zip(series.iter().map(|&y| fl(y).max(floor)));
        ch.draw_series(LineSeries::new(
            pts,
            ShapeStyle {
                color: hex(col).to_rgba(),
                filled: false,
                stroke_width: 2,
            },
        ))
        .ok()?;
    }
    let pts = s
        .steps
        .iter()
        .copied()
        .zip(s.overall.iter().map(|&y| fl(y).max(floor)));
    ch.draw_series(LineSeries::new(
        pts,
        ShapeStyle {
            color: t.fg.to_rgba(),
            filled: false,
            stroke_width: 3,
        },
    ))
    .ok()?;
    if let Some(k) = hover {
        if let (Some(&x), Some(&y)) = (s.steps.get(k), s.overall.get(k)) {
            ch.draw_series([Circle::new((x, fl(y).max(floor)), 4, t.fg.filled())])
                .ok()?;
        }
    }
    root.present().ok()
}

/// (label, pc, bp) per leaf element, params first.
fn bars(info: &GraphInfo, snap: &Snap) -> Vec<(String, f64, f64)> {
    let mut out = vec![];
    for kind in [Kind::Param, Kind::Input] {
        for (i, n) in info
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.kind == kind)
        {
            let s = &snap.nodes[i];
            for k in 0..n.len {
                if out.len() >= MAX_BARS {
                    return out;
                }
                let label = if n.len > 1 {
                    format!("{}{}", short_id(&n.id), k)
                } else {
                    short_id(&n.id)
                };
                out.push((
                    label,
                    s.est.get(k).copied().unwrap_or(0.0),
                    s.bp.get(k).copied().unwrap_or(0.0),
                ));
            }
        }
    }
    out
}

fn draw_grads(c: HtmlCanvasElement, info: &GraphInfo, snap: &Snap) -> Option<()> {
    let t = theme();
    let root = CanvasBackend::with_canvas_object(c)?.into_drawing_area();
    root.fill(&t.bg).ok()?;
    let b = bars(info, snap);
    let m = b
        .iter()
        .fold(1e-12f64, |m, (_, p, q)| m.max(p.abs()).max(q.abs()))
        * 1.12;
    let n = b.len().max(1) as f64;
    let mut ch = ChartBuilder::on(&root)
        .margin(MARGIN)
        .x_label_area_size(XLAB)
        .y_label_area_size(YLAB)
        .build_cartesian_2d(Axis::lin(0.0, n), Axis::lin(-m, m))
        .ok()?;
    ch.configure_mesh()
        .light_line_style(t.grid)
        .max_light_lines(2)
        .bold_line_style(t.grid)
        .axis_style(t.fg)
        .label_style(font(t))
        .disable_x_mesh()
        .x_labels(0)
        .y_labels(5)
        .y_label_formatter(&|v| num(*v))
        .draw()
        .ok()?;
    ch.draw_series(LineSeries::new([(0.0, 0.0), (n, 0.0)], t.fg.mix(0.6)))
        .ok()?;
    for (k, (label, pc, bp)) in b.iter().enumerate() {
        let x = k as f64;
        let pcol = if *pc < 0.0 { hex(NEG) } else { hex(POS) };
        let bcol = if *bp < 0.0 { hex(NEG) } else { hex(POS) };
        ch.draw_series([Rectangle::new(
            [(x + 0.14, 0.0), (x + 0.5, *pc)],
            pcol.mix(0.85).filled(),
        )])
        .ok()?;
        ch.draw_series([Rectangle::new(
            [(x + 0.5, 0.0), (x + 0.86, *bp)],
            ShapeStyle {
                color: bcol.to_rgba(),
                filled: false,
                stroke_width: 2,
            },
        )])
        .ok()?;
        let (px, py) = ch.backend_coord(&(x + 0.5, -m));
        root.draw(&Text::new(
            label.clone(),
            (px - 4 * label.chars().count().min(4) as i32, py + 6),
            font(t),
        ))
        .ok()?;
    }
    root.present().ok()
}

#[derive(Properties, PartialEq)]
pub struct PlotsProps {
    pub info: Rc<GraphInfo>,
    pub snap: Rc<Snap>,
    pub series: Rc<Series>,
    /// Replay: the scrubbed tick, marked on the energy and gap plots.
    #[prop_or_default]
    pub marker: Option<usize>,
    /// While playing: draw the three charts on three successive animation frames instead of
    /// all in one (a frame then never carries more than one chart's drawing).
    #[prop_or_default]
    pub spread: bool,
}

/// Run `jobs` one per animation frame, the first one now; a job whose generation `gen` is no
/// longer current (newer data arrived) is dropped.
fn one_per_frame(mut jobs: Vec<Box<dyn FnOnce()>>, gen: Rc<std::cell::Cell<u64>>, mine: u64) {
    if gen.get() != mine || jobs.is_empty() {
        return;
    }
    let job = jobs.remove(0);
    job();
    super::clock::mark_rendered();
    next_frame(jobs, gen, mine);
}

/// [`one_per_frame`] from the next animation frame on (the frame that brought new data
/// already carries the page's text update).
fn next_frame(jobs: Vec<Box<dyn FnOnce()>>, gen: Rc<std::cell::Cell<u64>>, mine: u64) {
    if jobs.is_empty() {
        return;
    }
    let Some(w) = web_sys::window() else { return };
    let next = wasm_bindgen::closure::Closure::once_into_js(move || one_per_frame(jobs, gen, mine));
    let _ = w.request_animation_frame(wasm_bindgen::JsCast::unchecked_ref(&next));
}

/// Index of the recorded point nearest the mouse, from the canvas x.
fn nearest(e: &MouseEvent, s: &Series) -> Option<usize> {
    let c: HtmlCanvasElement = e.target_dyn_into()?;
    let cw = c.client_width().max(1) as f64;
    let x = e.offset_x() as f64 * W as f64 / cw;
    let left = (MARGIN + YLAB) as f64;
    let right = W as f64 - MARGIN as f64;
    let frac = ((x - left) / (right - left)).clamp(0.0, 1.0);
    let step = frac * x_max(s);
    let k = s.steps.partition_point(|&v| v < step);
    let cand = [k.saturating_sub(1), k.min(s.steps.len().saturating_sub(1))];
    cand.into_iter()
        .filter(|&i| i < s.steps.len())
        .min_by(|&a, &b| {
            (s.steps[a] - step)
                .abs()
                .total_cmp(&(s.steps[b] - step).abs())
        })
}

/// Replay marker: a vertical line at the scrubbed tick (same x mapping as the charts).
fn mark(c: &HtmlCanvasElement, marker: Option<usize>, s: &Series) {
    if let Some(k) = marker {
        let left = (MARGIN + YLAB) as f64;
        let right = W as f64 - MARGIN as f64;
        let x = left + (k as f64 / x_max(s)).clamp(0.0, 1.0) * (right - left);
        let bottom = (H as i32 - MARGIN - XLAB) as f64;
        super::replay::draw_marker(c, x, MARGIN as f64, bottom);
    }
}

#[function_component(Plots)]
pub fn plots(p: &PlotsProps) -> Html {
    let energy = use_node_ref();
    let gap = use_node_ref();
    let grads = use_node_ref();
    let hover = use_state(|| None::<usize>);
    let gen = use_mut_ref(|| Rc::new(std::cell::Cell::new(0u64)));
    {
        let (energy, gap, grads) = (energy.clone(), gap.clone(), grads.clone());
        let (info, snap, series) = (p.info.clone(), p.snap.clone(), p.series.clone());
        let h = *hover;
        let (marker, spread) = (p.marker, p.spread);
        let gen = gen.borrow().clone();
        use_effect_with((p.series.clone(), p.snap.clone(), h), move |_| {
            let h = h.filter(|&k| k < series.steps.len());
            let timed = |f: Box<dyn FnOnce()>| -> Box<dyn FnOnce()> {
                Box::new(move || {
                    let t0 = super::clock::now();
                    super::clock::span("plots_draw", f);
                    super::clock::note_plot(super::clock::now() - t0);
                })
            };
            let (s2, snap2) = (series.clone(), snap.clone());
            let jobs: Vec<Box<dyn FnOnce()>> = vec![
                timed(Box::new(move || {
                    if let Some(c) = energy.cast::<HtmlCanvasElement>() {
                        draw_energy(c.clone(), &s2, snap2.loss, h);
                        mark(&c, marker, &s2);
                    }
                })),
                timed(Box::new({
                    let info = info.clone();
                    move || {
                        if let Some(c) = gap.cast::<HtmlCanvasElement>() {
                            draw_gap(c.clone(), &series, &info, h);
                            mark(&c, marker, &series);
                        }
                    }
                })),
                timed(Box::new({
                    move || {
                        if let Some(c) = grads.cast::<HtmlCanvasElement>() {
                            draw_grads(c, &info, &snap);
                        }
                    }
                })),
            ];
            let mine = gen.get() + 1;
            gen.set(mine);
            if spread {
                next_frame(jobs, gen, mine);
            } else {
                for job in jobs {
                    job();
                }
                super::clock::mark_rendered();
            }
            || ()
        });
    }
    let onmove = {
        let hover = hover.clone();
        let series = p.series.clone();
        Callback::from(move |e: MouseEvent| hover.set(nearest(&e, &series)))
    };
    let onleave = {
        let hover = hover.clone();
        Callback::from(move |_| hover.set(None))
    };
    let s = &p.series;
    let readout = match hover.filter(|&k| k < s.steps.len()) {
        Some(k) => {
            let mut t = format!(
                "iteration {} · F = {} · {} = {}",
                s.steps[k],
                num(s.energy[k]),
                text::GAP_OVERALL,
                sci(s.overall[k])
            );
            for (c, series) in s.nodes.iter().enumerate() {
                if let Some(&i) = p.info.computed.get(c) {
                    t.push_str(&format!(
                        " · {} {}",
                        short_id(&p.info.nodes[i].id),
                        sci(series[k])
                    ));
                }
            }
            t
        }
        None => text::HOVER_HINT.to_string(),
    };
    let legend = p.info.computed.iter().map(|&i| {
        let n = &p.info.nodes[i];
        html! { <span class="key"><i style={format!("background:{}", palette::node_colour_css(n.colour))}></i>{ short_id(&n.id) }</span> }
    });
    html! {
        <section class="plots" aria-label="Live plots">
            <figure class="plot">
                <figcaption>{ text::PLOT_ENERGY }<span class="muted">{ format!("  (dashed: loss L = {})", num(p.snap.loss)) }</span></figcaption>
                <canvas id="plot-energy" ref={energy} width={W.to_string()} height={H.to_string()}
                    onmousemove={onmove.clone()} onmouseleave={onleave.clone()} role="img" aria-label={text::PLOT_ENERGY}></canvas>
            </figure>
            <figure class="plot">
                <figcaption>{ text::PLOT_GAP }<span class="keys"><span class="key"><i class="overall"></i>{ "overall" }</span>{ for legend }</span></figcaption>
                <canvas id="plot-gap" ref={gap} width={W.to_string()} height={H.to_string()}
                    onmousemove={onmove} onmouseleave={onleave} role="img" aria-label={text::PLOT_GAP}></canvas>
            </figure>
            <p id="readout" class="readout" aria-live="off">{ readout }</p>
            <figure class="plot">
                <figcaption>{ text::PLOT_GRADS }</figcaption>
                <canvas id="plot-grads" ref={grads} width={W.to_string()} height={H.to_string()} role="img" aria-label={text::PLOT_GRADS}></canvas>
            </figure>
        </section>
    }
}
