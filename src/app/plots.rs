//! Live plots on canvases (plotters + plotters-canvas), redrawn at most once per rendered frame:
//! energy F, the gap |PC − BP| per node and overall (log scale), and the parameter gradients
//! PC vs BP. A hover readout maps the mouse x to the nearest recorded iteration.
use std::rc::Rc;

use plotters::chart::MeshStyle;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{HtmlCanvasElement, MouseEvent};
use yew::prelude::*;

use super::graph_view::{NEG, POS};
use super::palette;
use super::sim::{short_id, GraphInfo, Kind, NodeSnap, Series, Snap};
use super::state::KeptRun;
use super::text::{self, full, num, sci};
use crate::engine::Landscape;

/// The canvases' size in the HTML (before the first draw fits them to their box).
const W: u32 = 560;
const H: u32 = 224;
/// Height / width of every chart here.
const ASPECT: f64 = H as f64 / W as f64;
/// Chart geometry in CSS pixels (scaled by [`fit`]'s factor when drawn).
const MARGIN: i32 = 6;
/// Room on the right for half of the last x label (centred on the axis end).
const MARGIN_RIGHT: i32 = 16;
const YLAB: i32 = 46;
const XLAB: i32 = 20;
/// Label size in CSS pixels.
const FONT_PX: f64 = 11.0;
/// The width (CSS px) a chart is drawn as when it has no laid-out width: a canvas outside the
/// page (the PNG export) or in a hidden panel. The charts' usual width beside the graph.
pub const DESIGN_W: f64 = 350.0;
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

/// The charts' background and text colours as CSS, in the page's theme (the PNG export's
/// caption bands match the charts under them).
pub fn theme_css() -> (String, String) {
    let t = theme();
    let css = |c: RGBColor| format!("rgb({},{},{})", c.0, c.1, c.2);
    (css(t.bg), css(t.fg))
}

fn hex(c: &str) -> RGBColor {
    let p = |i: usize| u8::from_str_radix(c.get(i..i + 2).unwrap_or("80"), 16).unwrap_or(128);
    RGBColor(p(1), p(3), p(5))
}

/// The charts' label font at scale `s` (see [`fit`]), in colour `fg`.
pub fn label_font(fg: RGBColor, s: f64) -> TextStyle<'static> {
    (FontFamily::SansSerif, FONT_PX * s).into_font().color(&fg)
}

/// A chart on `root` with the charts' margin and label areas at scale `s` (see [`fit`]).
pub fn chart_on<'a, 'b>(
    root: &'a DrawingArea<CanvasBackend, plotters::coord::Shift>,
    s: f64,
) -> ChartBuilder<'a, 'b, CanvasBackend> {
    let mut b = ChartBuilder::on(root);
    b.margin(px(MARGIN, s))
        .margin_right(px(MARGIN_RIGHT, s))
        .x_label_area_size(px(XLAB, s))
        .y_label_area_size(px(YLAB, s));
    b
}

/// Fit `c`'s backing store to the width it is laid out at, `cw` CSS px, times the device pixel
/// ratio, at `aspect` (height / width); returns the scale (canvas px per CSS px) to draw with.
/// Sharp on HiDPI screens, labels at their CSS size on any panel width, and no pixels wasted
/// on a narrow panel: a 560-px store shown 350 px wide cost 2.6× the raster and the commit
/// of every redraw (issue 4, BENCHMARKS.md). A canvas not laid out (hidden panel) keeps its
/// size and is drawn as if [`DESIGN_W`] CSS px wide. `cw` comes from [`CssWidth`]: reading the
/// layout in a frame that changed the DOM would force a synchronous relayout.
pub fn fit(c: &HtmlCanvasElement, aspect: f64, cw: i32) -> f64 {
    let dpr = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio());
    let dpr = if dpr.is_finite() {
        dpr.clamp(1.0, 3.0)
    } else {
        1.0
    };
    if cw < 40 {
        return c.width() as f64 / DESIGN_W;
    }
    let w = (cw as f64 * dpr).round() as u32;
    let h = (cw as f64 * aspect * dpr).round() as u32;
    if c.width() != w {
        c.set_width(w);
    }
    if c.height() != h {
        c.set_height(h);
    }
    dpr
}

/// The laid-out width (CSS px) of a group of equally wide canvases, read once and then kept
/// up to date by a `ResizeObserver` (see [`watch_width`]).
pub type CssWidth = Rc<std::cell::Cell<i32>>;

/// The width in `w`, read from `c` the first time.
pub fn css_width(w: &CssWidth, c: &HtmlCanvasElement) -> i32 {
    if w.get() <= 0 {
        w.set(c.client_width());
    }
    w.get()
}

/// A `ResizeObserver` and its callback (which must live as long as it observes).
pub type WidthWatch = (web_sys::ResizeObserver, Closure<dyn FnMut(JsValue)>);

/// Keep `w` equal to `el`'s laid-out width; `changed` runs when it changes (to redraw). The
/// returned observer stops when disconnected (the closure must live as long).
pub fn watch_width(
    el: &web_sys::Element,
    w: CssWidth,
    changed: impl Fn() + 'static,
) -> Option<WidthWatch> {
    let el2 = el.clone();
    let f = Closure::<dyn FnMut(JsValue)>::new(move |_: JsValue| {
        // inside a ResizeObserver callback the layout is fresh: this read is free
        let now = el2.client_width();
        if w.replace(now) != now {
            changed();
        }
    });
    let ro = web_sys::ResizeObserver::new(f.as_ref().unchecked_ref()).ok()?;
    ro.observe(el);
    Some((ro, f))
}

/// `v` CSS pixels in canvas pixels at scale `s`.
pub fn px(v: i32, s: f64) -> i32 {
    (v as f64 * s).round() as i32
}

/// A line `v` CSS pixels wide at scale `s` (at least one canvas pixel).
pub fn lw(v: f64, s: f64) -> u32 {
    (v * s).round().max(1.0) as u32
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

/// The charts' common mesh: light grid, axis and labels in the theme at scale `k`.
fn grid_mesh<'m, 'a, 'b, DB: DrawingBackend>(
    m: &'m mut MeshStyle<'a, 'b, Axis, Axis, DB>,
    t: &Theme,
    k: f64,
) -> &'m mut MeshStyle<'a, 'b, Axis, Axis, DB> {
    m.light_line_style(t.grid)
        .max_light_lines(2)
        .bold_line_style(t.grid)
        .axis_style(t.fg)
        .label_style(label_font(t.fg, k))
}

fn x_max(s: &Series) -> f64 {
    s.steps.last().copied().unwrap_or(0.0).max(10.0)
}

/// The x range of the live run and the kept one.
fn x_max_with(s: &Series, kept: Option<&Series>) -> f64 {
    kept.map_or(x_max(s), |k| x_max(s).max(x_max(k)))
}

/// The kept run's line (dashed, in the text colour, under the live curves), and the
/// `data-kept` count of its points on the canvas (0 without one): what tests and tools read.
fn draw_kept<DB: plotters::prelude::DrawingBackend>(
    ch: &mut ChartContext<'_, DB, Cartesian2d<Axis, Axis>>,
    canvas: &HtmlCanvasElement,
    pts: Vec<(f64, f64)>,
    colour: RGBColor,
    k: f64,
) -> Option<()> {
    let _ = canvas.set_attribute("data-kept", &pts.len().to_string());
    if pts.is_empty() {
        return Some(());
    }
    ch.draw_series(DashedLineSeries::new(
        pts,
        px(6, k),
        px(3, k),
        ShapeStyle {
            color: colour.mix(0.75),
            filled: false,
            stroke_width: lw(1.5, k),
        },
    ))
    .ok()?;
    Some(())
}

fn draw_energy(
    c: HtmlCanvasElement,
    cw: i32,
    s: &Series,
    loss: f64,
    hover: Option<usize>,
    kept: Option<&Series>,
) -> Option<()> {
    let t = theme();
    let k = fit(&c, ASPECT, cw);
    let canvas = c.clone();
    let root = CanvasBackend::with_canvas_object(c)?.into_drawing_area();
    root.fill(&t.bg).ok()?;
    let kept_e = kept.map_or(&[][..], |r| &r.energy[..]);
    let (mut lo, mut hi) = s
        .energy
        .iter()
        .chain(kept_e.iter().filter(|x| x.is_finite()))
        .fold((loss, loss), |(a, b), &e| (a.min(e), b.max(e)));
    if !(lo.is_finite() && hi.is_finite()) {
        return None;
    }
    let pad = ((hi - lo) * 0.08).max(1e-9 * (1.0 + hi.abs()));
    lo -= pad;
    hi += pad;
    let xm = x_max_with(s, kept);
    let mut ch = chart_on(&root, k)
        .build_cartesian_2d(Axis::lin(0.0, xm), Axis::lin(lo, hi))
        .ok()?;
    grid_mesh(&mut ch.configure_mesh(), &t, k)
        .x_labels(6)
        .y_labels(5)
        .y_label_formatter(&|v| num(*v))
        .x_label_formatter(&|v| format!("{v:.0}"))
        .draw()
        .ok()?;
    // the loss, dashed (the caption says so)
    ch.draw_series(DashedLineSeries::new(
        [(0.0, loss), (xm, loss)],
        px(5, k),
        px(4, k),
        ShapeStyle {
            color: t.fg.mix(0.6),
            filled: false,
            stroke_width: lw(1.0, k),
        },
    ))
    .ok()?;
    let pts = kept.map_or(vec![], |r| {
        r.steps
            .iter()
            .copied()
            .zip(r.energy.iter().copied())
            .collect()
    });
    draw_kept(&mut ch, &canvas, pts, t.fg, k)?;
    ch.draw_series(LineSeries::new(
        s.steps.iter().copied().zip(s.energy.iter().copied()),
        ShapeStyle {
            color: hex(POS).to_rgba(),
            filled: false,
            stroke_width: lw(2.0, k),
        },
    ))
    .ok()?;
    if let Some(hk) = hover {
        if let (Some(&x), Some(&y)) = (s.steps.get(hk), s.energy.get(hk)) {
            ch.draw_series([Circle::new((x, y), px(4, k), hex(POS).filled())])
                .ok()?;
        }
    }
    root.present().ok()
}

fn draw_gap(
    c: HtmlCanvasElement,
    cw: i32,
    s: &Series,
    info: &GraphInfo,
    hover: Option<usize>,
    kept: Option<&Series>,
    focus: Option<usize>,
) -> Option<()> {
    let t = theme();
    let k = fit(&c, ASPECT, cw);
    // the focused node's place among the computed nodes (written for tests and tools)
    let fc = focus.and_then(|i| info.computed.iter().position(|&j| j == i));
    let _ = c.set_attribute(
        "data-focus",
        &fc.map_or(String::new(), |f| info.nodes[info.computed[f]].id.clone()),
    );
    let canvas = c.clone();
    let root = CanvasBackend::with_canvas_object(c)?.into_drawing_area();
    root.fill(&t.bg).ok()?;
    let kept_o = kept.map_or(&[][..], |r| &r.overall[..]);
    let hi = s
        .overall
        .iter()
        .chain(s.nodes.iter().flatten())
        .chain(kept_o)
        .fold(1e-12f64, |m, &x| m.max(fl(x)));
    let lo = s
        .overall
        .iter()
        .chain(s.nodes.iter().flatten())
        .chain(kept_o)
        .filter(|x| **x > 0.0)
        .fold(hi, |m, &x| m.min(fl(x)));
    let lo = (lo.log10().floor() - 0.2).max(LOG_FLOOR.log10());
    let hi = hi.log10().ceil() + 0.2;
    let lo = lo.min(hi - 1.0);
    let floor = 10f64.powf(lo);
    let mut ch = chart_on(&root, k)
        .build_cartesian_2d(
            Axis::lin(0.0, x_max_with(s, kept)),
            Axis::log(10f64.powf(lo), 10f64.powf(hi)),
        )
        .ok()?;
    grid_mesh(&mut ch.configure_mesh(), &t, k)
        .x_labels(6)
        .y_labels(6)
        .y_label_formatter(&|v| format!("{v:.0e}"))
        .x_label_formatter(&|v| format!("{v:.0}"))
        .draw()
        .ok()?;
    let pts = kept.map_or(vec![], |r| {
        r.steps
            .iter()
            .copied()
            .zip(r.overall.iter().map(|&y| fl(y).max(floor)))
            .collect()
    });
    draw_kept(&mut ch, &canvas, pts, t.fg, k)?;
    // the focused node is drawn after the overall line, over everything
    for c in (0..s.nodes.len()).filter(|&c| Some(c) != fc) {
        node_line(&mut ch, s, info, c, fc, &t, k, floor)?;
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
            stroke_width: lw(2.5, k),
        },
    ))
    .ok()?;
    if let Some(f) = fc.filter(|&f| f < s.nodes.len()) {
        node_line(&mut ch, s, info, f, fc, &t, k, floor)?;
    }
    if let Some(hk) = hover {
        if let (Some(&x), Some(&y)) = (s.steps.get(hk), s.overall.get(hk)) {
            ch.draw_series([Circle::new((x, fl(y).max(floor)), px(4, k), t.fg.filled())])
                .ok()?;
        }
    }
    root.present().ok()
}

/// A gap on the log axis: at least [`LOG_FLOOR`] (non-finite values too).
fn fl(x: f64) -> f64 {
    if x.is_finite() {
        x.max(LOG_FLOOR)
    } else {
        LOG_FLOOR
    }
}

/// One computed node's gap curve (`c`: its place among the computed nodes): bold when it is the
/// focused one, faded when another is.
#[allow(clippy::too_many_arguments)]
fn node_line(
    ch: &mut plotters::chart::ChartContext<
        '_,
        CanvasBackend,
        plotters::coord::cartesian::Cartesian2d<Axis, Axis>,
    >,
    s: &Series,
    info: &GraphInfo,
    c: usize,
    fc: Option<usize>,
    t: &Theme,
    k: f64,
    floor: f64,
) -> Option<()> {
    let series = s.nodes.get(c)?;
    let col = info
        .computed
        .get(c)
        .map(|&i| palette::node_colour_in(info.nodes[i].colour, t.dark))
        .unwrap_or("#888888");
    // a node exact throughout (the clamped output) has no place on a log scale; other
    // zeros (exact from some step on) are drawn on the floor of the axis
    if series.iter().all(|&y| y <= 0.0) {
        return Some(());
    }
    let pts = s
        .steps
        .iter()
        .copied()
        .zip(series.iter().map(|&y| fl(y).max(floor)));
    let (alpha, width) = match fc {
        Some(f) if f == c => (1.0, 3.5),
        Some(_) => (0.3, 1.5),
        None => (1.0, 1.5),
    };
    ch.draw_series(LineSeries::new(
        pts,
        ShapeStyle {
            color: hex(col).mix(alpha),
            filled: false,
            stroke_width: lw(width, k),
        },
    ))
    .ok()?;
    Some(())
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

fn draw_grads(c: HtmlCanvasElement, cw: i32, info: &GraphInfo, snap: &Snap) -> Option<()> {
    let t = theme();
    let k = fit(&c, ASPECT, cw);
    let root = CanvasBackend::with_canvas_object(c)?.into_drawing_area();
    root.fill(&t.bg).ok()?;
    let b = bars(info, snap);
    let m = b
        .iter()
        .fold(1e-12f64, |m, (_, p, q)| m.max(p.abs()).max(q.abs()))
        * 1.12;
    let n = b.len().max(1) as f64;
    let mut ch = chart_on(&root, k)
        .build_cartesian_2d(Axis::lin(0.0, n), Axis::lin(-m, m))
        .ok()?;
    grid_mesh(&mut ch.configure_mesh(), &t, k)
        .disable_x_mesh()
        .x_labels(0)
        .y_labels(5)
        .y_label_formatter(&|v| num(*v))
        .draw()
        .ok()?;
    ch.draw_series(LineSeries::new([(0.0, 0.0), (n, 0.0)], t.fg.mix(0.6)))
        .ok()?;
    for (j, (label, pc, bp)) in b.iter().enumerate() {
        let x = j as f64;
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
                stroke_width: lw(1.5, k),
            },
        )])
        .ok()?;
        let (bx, by) = ch.backend_coord(&(x + 0.5, -m));
        root.draw(&Text::new(
            label.clone(),
            (
                bx - px(3, k) * label.chars().count().min(4) as i32,
                by + px(5, k),
            ),
            label_font(t.fg, k),
        ))
        .ok()?;
    }
    root.present().ok()
}

/// Backprop's `∂L/∂θ` and PC's `ĝ` for the landscape's params, the length of the first, the
/// ratio of their lengths and their cosine (0 when either is zero).
struct Steps {
    g: Vec<f64>,
    e: Vec<f64>,
    ng: f64,
    ratio: f64,
    cos: f64,
}

fn steps(land: &Landscape, snap: &Snap) -> Steps {
    let first = |p: usize, f: fn(&NodeSnap) -> &Vec<f64>| {
        snap.nodes
            .get(p)
            .and_then(|n| f(n).first())
            .copied()
            .unwrap_or(0.0)
    };
    let g: Vec<f64> = land.params.iter().map(|&p| first(p, |n| &n.bp)).collect();
    let e: Vec<f64> = land.params.iter().map(|&p| first(p, |n| &n.est)).collect();
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    let (ng, ne) = (norm(&g), norm(&e));
    let dot: f64 = g.iter().zip(&e).map(|(a, b)| a * b).sum();
    let ratio = if ng > 0.0 { ne / ng } else { 0.0 };
    let cos = if ng > 0.0 && ne > 0.0 {
        dot / (ng * ne)
    } else {
        0.0
    };
    Steps {
        g,
        e,
        ng,
        ratio,
        cos,
    }
}

/// The loss landscape of a graph with one or two scalar params (`engine::landscape`), with the
/// two steps from the current point drawn to one scale: backprop's `−∂L/∂θ` (outline, text
/// colour) and PC's `−ĝ` (orange). As the errors relax, the PC arrow grows onto the backprop
/// arrow. Writes `data-ratio` (|ĝ|/|∂L/∂θ|), `data-cos` (their cosine) and `data-at` (the
/// current params) on the canvas: what the tests read.
fn draw_landscape(c: HtmlCanvasElement, cw: i32, land: &Landscape, snap: &Snap) -> Option<()> {
    let t = theme();
    let k = fit(&c, ASPECT, cw);
    let canvas = c.clone();
    let Steps {
        g,
        e,
        ng,
        ratio,
        cos,
    } = steps(land, snap);
    let _ = canvas.set_attribute("data-ratio", &full(ratio));
    let _ = canvas.set_attribute("data-cos", &full(cos));
    let at: Vec<String> = land.at.iter().map(|x| full(*x)).collect();
    let _ = canvas.set_attribute("data-at", &at.join(","));
    // one scale for both arrows: backprop's is a quarter of the x range
    let scale = if ng > 0.0 {
        0.25 * (land.hi[0] - land.lo[0]) / ng
    } else {
        0.0
    };
    let root = CanvasBackend::with_canvas_object(c)?.into_drawing_area();
    root.fill(&t.bg).ok()?;
    let vals: Vec<f64> = land.loss.iter().flatten().copied().collect();
    let (lmin, lmax) = vals
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
            (a.min(x), b.max(x))
        });
    if !(lmin.is_finite() && lmax.is_finite()) {
        return None;
    }
    let arrow = |ch: &mut ChartContext<'_, CanvasBackend, Cartesian2d<Axis, Axis>>,
                 from: (f64, f64),
                 to: (f64, f64),
                 colour: RGBColor,
                 width: f64|
     -> Option<()> {
        let style = ShapeStyle {
            color: colour.to_rgba(),
            filled: true,
            stroke_width: lw(width, k),
        };
        ch.draw_series(LineSeries::new([from, to], style)).ok()?;
        ch.draw_series([Circle::new(to, px(4, k), style)]).ok()?;
        Some(())
    };
    let one = land.params.len() == 1;
    let pad = ((lmax - lmin) * 0.08).max(1e-9 * (1.0 + lmax.abs()));
    let y = if one {
        Axis::lin(lmin - pad, lmax + pad)
    } else {
        Axis::lin(land.lo[1], land.hi[1])
    };
    let mut ch = chart_on(&root, k)
        .build_cartesian_2d(Axis::lin(land.lo[0], land.hi[0]), y)
        .ok()?;
    let mut mesh = ch.configure_mesh();
    grid_mesh(&mut mesh, &t, k)
        .x_labels(5)
        .y_labels(5)
        .y_label_formatter(&|v| num(*v))
        .x_label_formatter(&|v| num(*v));
    if !one {
        mesh.disable_mesh();
    }
    mesh.draw().ok()?;
    if one {
        // the curve, broken where the forward pass leaves the domain
        let mut segs: Vec<Vec<(f64, f64)>> = vec![vec![]];
        for (i, l) in land.loss.iter().enumerate() {
            match (l, segs.last_mut()) {
                (Some(y), Some(seg)) => seg.push((land.coord(0, i), *y)),
                (None, Some(seg)) if !seg.is_empty() => segs.push(vec![]),
                _ => {}
            }
        }
        let style = ShapeStyle {
            color: t.fg.to_rgba(),
            filled: false,
            stroke_width: lw(1.5, k),
        };
        for seg in segs {
            ch.draw_series(LineSeries::new(seg, style)).ok()?;
        }
    } else {
        // cells: the higher the loss (log scale), the stronger the blue
        let (a, b) = ((lmin + 1e-12).ln(), (lmax + 1e-12).ln());
        let ink = hex(NEG);
        let n = land.n;
        let (dx, dy) = (
            (land.hi[0] - land.lo[0]) / (n - 1) as f64,
            (land.hi[1] - land.lo[1]) / (n - 1) as f64,
        );
        let cells = land.loss.iter().enumerate().filter_map(|(c, l)| {
            let l = (*l)?;
            let f = if b > a {
                ((l + 1e-12).ln() - a) / (b - a)
            } else {
                0.0
            };
            let mix =
                |p: u8, q: u8| (p as f64 + (q as f64 - p as f64) * (0.1 + 0.75 * f)).round() as u8;
            let col = RGBColor(mix(t.bg.0, ink.0), mix(t.bg.1, ink.1), mix(t.bg.2, ink.2));
            let (x, y) = (land.coord(0, c % n), land.coord(1, c / n));
            Some(Rectangle::new(
                [(x - dx / 2.0, y - dy / 2.0), (x + dx / 2.0, y + dy / 2.0)],
                col.filled(),
            ))
        });
        ch.draw_series(cells).ok()?;
    }
    // the two steps from here, to one scale; then the point itself
    let here = if one {
        (land.at[0], snap.loss)
    } else {
        (land.at[0], land.at[1])
    };
    let to = |v: &[f64]| {
        let y = if one { here.1 } else { here.1 - scale * v[1] };
        (here.0 - scale * v[0], y)
    };
    arrow(&mut ch, here, to(&g), t.fg, 3.5)?;
    arrow(&mut ch, here, to(&e), hex(POS), 1.8)?;
    ch.draw_series([Circle::new(here, px(4, k), t.fg.filled())])
        .ok()?;
    root.present().ok()
}

#[derive(Properties, PartialEq)]
pub struct PlotsProps {
    /// The graph, the text snapshot and the series to draw, fed at the text rate
    /// ([`super::live`]): the charts re-render without the page.
    pub feed: super::live::TextFeed,
    /// Replay: the scrubbed tick, marked on the energy and gap plots.
    #[prop_or_default]
    pub marker: Option<usize>,
    /// While playing: draw the three charts on the three animation frames after the update
    /// instead of all in one (a frame then never carries more than one chart's drawing).
    /// Paused, the first chart is drawn at once and the other two on the next frames.
    #[prop_or_default]
    pub spread: bool,
    /// A run kept for comparison, drawn dashed under the live curves.
    #[prop_or_default]
    pub kept: Option<Rc<KeptRun>>,
    /// The loss landscape (graphs with one or two scalar params): a fourth chart.
    #[prop_or_default]
    pub landscape: Option<Rc<Landscape>>,
    /// The node the reader is looking at (hover, focus, tap): its gap curve is drawn bold over
    /// the others, which fade.
    #[prop_or_default]
    pub focus: Option<usize>,
}

/// Width (canvas px) of each chart in the PNG export: drawn as [`DESIGN_W`] CSS px at 3×,
/// whatever the panel's width and the screen's pixel ratio.
pub const EXPORT_W: u32 = 3 * DESIGN_W as u32;

/// One chart of the PNG export: the canvas, its caption and its colour keys (CSS colour, name).
pub struct ExportChart {
    pub canvas: HtmlCanvasElement,
    pub caption: String,
    pub keys: Vec<(String, String)>,
}

/// The three charts (energy, gap, gradients) drawn afresh at [`EXPORT_W`] into canvases
/// outside the document, with the captions and keys the page shows, for the PNG export.
pub fn export_charts(
    info: &GraphInfo,
    snap: &Snap,
    series: &Series,
    marker: Option<usize>,
    kept: Option<&KeptRun>,
) -> Vec<ExportChart> {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return vec![];
    };
    let canvas = || -> Option<HtmlCanvasElement> {
        let c: HtmlCanvasElement = doc.create_element("canvas").ok()?.dyn_into().ok()?;
        c.set_width(EXPORT_W);
        c.set_height((EXPORT_W as f64 * ASPECT).round() as u32);
        Some(c)
    };
    // not laid out: `fit` keeps the size and scales the drawing to it (cw = 0)
    let mut out = vec![];
    let t = theme();
    let ks = kept.map(|r| &*r.series);
    // the kept run's key (a dash in the text colour), on the two charts that draw it
    let kept_keys = || -> Vec<(String, String)> {
        kept.map(|r| {
            (
                format!("rgb({},{},{})", t.fg.0, t.fg.1, t.fg.2),
                r.label.clone(),
            )
        })
        .into_iter()
        .collect()
    };
    if let Some(c) = canvas() {
        draw_energy(c.clone(), 0, series, snap.loss, None, ks);
        mark(&c, 0, marker, series, ks);
        let caption = format!(
            "{}  (dashed: loss L = {})",
            text::PLOT_ENERGY,
            num(snap.loss)
        );
        out.push(ExportChart {
            canvas: c,
            caption,
            keys: kept_keys(),
        });
    }
    if let Some(c) = canvas() {
        draw_gap(c.clone(), 0, series, info, None, ks, None);
        mark(&c, 0, marker, series, ks);
        let mut keys = vec![(
            format!("rgb({},{},{})", t.fg.0, t.fg.1, t.fg.2),
            "overall".to_string(),
        )];
        keys.extend(info.computed.iter().map(|&i| {
            let n = &info.nodes[i];
            let col = palette::node_colour_in(n.colour, t.dark).to_string();
            (col, short_id(&n.id))
        }));
        keys.extend(kept_keys());
        out.push(ExportChart {
            canvas: c,
            caption: text::PLOT_GAP.to_string(),
            keys,
        });
    }
    if let Some(c) = canvas() {
        draw_grads(c.clone(), 0, info, snap);
        out.push(ExportChart {
            canvas: c,
            caption: text::PLOT_GRADS.to_string(),
            keys: vec![],
        });
    }
    out
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
fn nearest(e: &MouseEvent, s: &Series, kept: Option<&Series>) -> Option<usize> {
    let c: HtmlCanvasElement = e.target_dyn_into()?;
    // in CSS pixels, like the chart geometry
    let cw = c.client_width().max(1) as f64;
    let x = e.offset_x() as f64;
    let left = (MARGIN + YLAB) as f64;
    let right = cw - MARGIN_RIGHT as f64;
    let frac = ((x - left) / (right - left)).clamp(0.0, 1.0);
    nearest_step(s, frac * x_max_with(s, kept))
}

/// Index of the point of `s` nearest iteration `step`.
fn nearest_step(s: &Series, step: f64) -> Option<usize> {
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

/// The run's output-clamp changes: a dotted line in the text colour at each, labelled
/// "released" or "clamped" at the top; the list is also the canvas's `data-clamps`
/// (`tick:free`/`tick:clamped`, comma-separated), what tests read.
fn clamp_lines(c: &HtmlCanvasElement, cw: i32, series: &Series, kept: Option<&Series>) {
    let list: Vec<String> = series
        .clamps
        .iter()
        .map(|&(k, on)| format!("{k}:{}", if on { "clamped" } else { "free" }))
        .collect();
    let _ = c.set_attribute("data-clamps", &list.join(","));
    let Some(ctx) = super::replay::ctx2d(c) else {
        return;
    };
    let s = fit(c, ASPECT, cw);
    let left = px(MARGIN + YLAB, s) as f64;
    let right = (c.width() as i32 - px(MARGIN_RIGHT, s)) as f64;
    let top = px(MARGIN, s) as f64;
    let bottom = (c.height() as i32 - px(MARGIN + XLAB, s)) as f64;
    let t = theme();
    let colour = format!("rgb({},{},{})", t.fg.0, t.fg.1, t.fg.2);
    let bg = format!("rgb({},{},{})", t.bg.0, t.bg.1, t.bg.2);
    ctx.save();
    ctx.set_stroke_style_str(&colour);
    ctx.set_fill_style_str(&colour);
    ctx.set_line_width(1.5 * s);
    let _ = ctx.set_line_dash(&js_sys::Array::of2(&(2.0 * s).into(), &(3.0 * s).into()));
    ctx.set_font(&format!("{}px sans-serif", (FONT_PX * s).round()));
    for &(k, on) in &series.clamps {
        let x = left + (k as f64 / x_max_with(series, kept)).clamp(0.0, 1.0) * (right - left);
        let x = x.round() + 0.5;
        ctx.begin_path();
        ctx.move_to(x, top);
        ctx.line_to(x, bottom);
        ctx.stroke();
        // the word with a thin halo of the chart's background: legible over a curve, while
        // hiding no more of it than the glyphs' outline
        let word = if on {
            text::PLOT_CLAMPED
        } else {
            text::PLOT_RELEASED
        };
        let (tx, ty) = (x + 3.0 * s, top + FONT_PX * s);
        let _ = ctx.set_line_dash(&js_sys::Array::new());
        ctx.set_stroke_style_str(&bg);
        ctx.set_line_width(3.0 * s);
        let _ = ctx.stroke_text(word, tx, ty);
        let _ = ctx.fill_text(word, tx, ty);
        // back to the dotted line for the next change
        ctx.set_stroke_style_str(&colour);
        ctx.set_line_width(1.5 * s);
        let _ = ctx.set_line_dash(&js_sys::Array::of2(&(2.0 * s).into(), &(3.0 * s).into()));
    }
    ctx.restore();
}

/// Replay marker: a vertical line at the scrubbed tick (same x mapping as the charts).
fn mark(
    c: &HtmlCanvasElement,
    cw: i32,
    marker: Option<usize>,
    series: &Series,
    kept: Option<&Series>,
) {
    if !series.clamps.is_empty() || c.has_attribute("data-clamps") {
        clamp_lines(c, cw, series, kept);
    }
    if let Some(k) = marker {
        // the chart was just drawn, so this only reads the scale back
        let s = fit(c, ASPECT, cw);
        let left = px(MARGIN + YLAB, s) as f64;
        let right = (c.width() as i32 - px(MARGIN_RIGHT, s)) as f64;
        let x = left + (k as f64 / x_max_with(series, kept)).clamp(0.0, 1.0) * (right - left);
        let bottom = (c.height() as i32 - px(MARGIN + XLAB, s)) as f64;
        super::replay::draw_marker(c, x, px(MARGIN, s) as f64, bottom, s);
    }
}

#[function_component(Plots)]
pub fn plots(p: &PlotsProps) -> Html {
    let fed = super::live::use_text(&p.feed);
    let energy = use_node_ref();
    let gap = use_node_ref();
    let grads = use_node_ref();
    let land = use_node_ref();
    let hover = use_state(|| None::<usize>);
    let gen = use_mut_ref(|| Rc::new(std::cell::Cell::new(0u64)));
    // the canvases' width: a new one refits and redraws the charts (window resized, layout
    // switched), also when paused
    let cw: CssWidth = (*use_mut_ref(CssWidth::default).borrow()).clone();
    let redraw = use_force_update();
    {
        let (el, cw) = (energy.clone(), cw.clone());
        use_effect_with((), move |_| {
            let watch = el
                .cast::<web_sys::Element>()
                .and_then(|el| watch_width(&el, cw, move || redraw.force_update()));
            move || {
                if let Some((ro, _f)) = watch {
                    ro.disconnect();
                }
            }
        });
    }
    {
        let (energy, gap, grads, land) = (energy.clone(), gap.clone(), grads.clone(), land.clone());
        let (info, snap, series) = (fed.info.clone(), fed.snap.clone(), fed.series.clone());
        let h = *hover;
        let (marker, spread) = (p.marker, p.spread);
        let gen = gen.borrow().clone();
        let (cw, width) = (cw.clone(), cw.get());
        let kept = p.kept.clone();
        let landscape = p.landscape.clone();
        let focus = p.focus;
        let deps = (
            fed.series.clone(),
            fed.snap.clone(),
            h,
            width,
            p.kept.clone(),
            p.landscape.clone(),
            p.focus,
        );
        use_effect_with(deps, move |_| {
            let h = h.filter(|&k| k < series.steps.len());
            let timed = |f: Box<dyn FnOnce()>| -> Box<dyn FnOnce()> {
                Box::new(move || {
                    let t0 = super::clock::now();
                    super::clock::span("plots_draw", f);
                    super::clock::note_plot(super::clock::now() - t0);
                })
            };
            let (s2, snap2, cw2) = (series.clone(), snap.clone(), cw.clone());
            let kept2 = kept.clone();
            let jobs: Vec<Box<dyn FnOnce()>> = vec![
                timed(Box::new(move || {
                    if let Some(c) = energy.cast::<HtmlCanvasElement>() {
                        let w = css_width(&cw2, &c);
                        let k = kept2.as_ref().map(|r| &*r.series);
                        draw_energy(c.clone(), w, &s2, snap2.loss, h, k);
                        mark(&c, w, marker, &s2, k);
                    }
                })),
                timed(Box::new({
                    let (info, cw) = (info.clone(), cw.clone());
                    move || {
                        if let Some(c) = gap.cast::<HtmlCanvasElement>() {
                            let w = css_width(&cw, &c);
                            let k = kept.as_ref().map(|r| &*r.series);
                            draw_gap(c.clone(), w, &series, &info, h, k, focus);
                            mark(&c, w, marker, &series, k);
                        }
                    }
                })),
                timed(Box::new({
                    let (cw, snap) = (cw.clone(), snap.clone());
                    move || {
                        if let Some(c) = grads.cast::<HtmlCanvasElement>() {
                            draw_grads(c.clone(), css_width(&cw, &c), &info, &snap);
                        }
                    }
                })),
            ];
            let mut jobs = jobs;
            if let Some(l) = landscape {
                jobs.push(timed(Box::new(move || {
                    if let Some(c) = land.cast::<HtmlCanvasElement>() {
                        draw_landscape(c.clone(), css_width(&cw, &c), &l, &snap);
                    }
                })));
            }
            let mine = gen.get() + 1;
            gen.set(mine);
            if spread {
                next_frame(jobs, gen, mine);
            } else if mine > 1 {
                // paused, after a command: the first chart now, the others on the next two
                // frames, so a click never waits for three chart draws
                one_per_frame(jobs, gen, mine);
            } else {
                // the first draw: all at once (the page is complete when it first shows)
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
        let (series, kept) = (fed.series.clone(), p.kept.clone());
        Callback::from(move |e: MouseEvent| {
            hover.set(nearest(&e, &series, kept.as_ref().map(|r| &*r.series)))
        })
    };
    let onleave = {
        let hover = hover.clone();
        Callback::from(move |_| hover.set(None))
    };
    let s = &fed.series;
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
                if let Some(&i) = fed.info.computed.get(c) {
                    t.push_str(&format!(
                        " · {} {}",
                        short_id(&fed.info.nodes[i].id),
                        sci(series[k])
                    ));
                }
            }
            if let Some(r) = &p.kept {
                let ks = &r.series;
                if let Some(j) = nearest_step(ks, s.steps[k]) {
                    t.push_str(&format!(
                        " · {} at {}: F = {}, {} = {}",
                        r.label,
                        ks.steps[j],
                        num(ks.energy[j]),
                        text::GAP_OVERALL,
                        sci(ks.overall[j])
                    ));
                }
            }
            t
        }
        None => text::HOVER_HINT.to_string(),
    };
    let legend = fed.info.computed.iter().map(|&i| {
        let n = &fed.info.nodes[i];
        html! { <span class="key"><i style={format!("background:{}", palette::node_colour_css(n.colour))}></i>{ short_id(&n.id) }</span> }
    });
    let land_readout = p.landscape.as_ref().map(|l| {
        let s = steps(l, &fed.snap);
        text::land_readout(s.ng > 0.0, s.ratio, s.cos)
    });
    // free inputs: the curves no longer compare PC with backprop (the reference stays at the
    // inputs' data), and the chart says so
    let free_note = (!fed.snap.free_inputs.is_empty()).then(|| {
        let ids = fed.info.short_ids(&fed.snap.free_inputs);
        html! { <p id="gap-free-note" class="readout">{ text::gap_free_note(&ids) }</p> }
    });
    let kept_key = p.kept.as_ref().map(|r| {
        html! {
            <span class="key kept-key"><i class="kept"></i>{ r.label.clone() }</span>
        }
    });
    html! {
        <section class="plots" aria-label="Live plots">
            <figure class="plot">
                <figcaption>{ text::PLOT_ENERGY }<span class="muted">{ format!("  (dashed: loss L = {})", num(fed.snap.loss)) }</span>{ kept_key.clone() }</figcaption>
                <canvas id="plot-energy" ref={energy} width={W.to_string()} height={H.to_string()}
                    onmousemove={onmove.clone()} onmouseleave={onleave.clone()} role="img" aria-label={text::PLOT_ENERGY}></canvas>
            </figure>
            <figure class="plot">
                <figcaption>{ text::PLOT_GAP }<span class="keys"><span class="key"><i class="overall"></i>{ "overall" }</span>{ for legend }{ kept_key }</span></figcaption>
                { for free_note }
                <canvas id="plot-gap" ref={gap} width={W.to_string()} height={H.to_string()}
                    onmousemove={onmove} onmouseleave={onleave} role="img" aria-label={text::PLOT_GAP}></canvas>
            </figure>
            <p id="readout" class="readout" aria-live="off">{ readout }</p>
            <figure class="plot">
                <figcaption>{ text::PLOT_GRADS }</figcaption>
                <canvas id="plot-grads" ref={grads} width={W.to_string()} height={H.to_string()} role="img" aria-label={text::PLOT_GRADS}></canvas>
            </figure>
            if p.landscape.is_some() {
                <figure class="plot">
                    <figcaption>{ text::PLOT_LAND }<span class="keys">
                        <span class="key"><i class="overall"></i>{ text::LAND_BP }</span>
                        <span class="key"><i style={format!("background:{POS}")}></i>{ text::LAND_PC }</span>
                    </span></figcaption>
                    <canvas id="plot-land" ref={land} width={W.to_string()} height={H.to_string()} role="img" aria-label={text::PLOT_LAND}></canvas>
                    <p id="land-readout" class="readout">{ land_readout }</p>
                </figure>
            }
        </section>
    }
}
