//! The graph as SVG: one `<g class="node">` per node with its value and error units, the
//! backprop ghost rings, clamp marks and edges; plus the legend.
use std::cell::RefCell;
use std::fmt::Write;
use std::rc::Rc;

use yew::prelude::*;

use super::layout::EdgeRoute;
use super::sim::{
    short_id, GraphInfo, Kind, NodeInfo, NodeSnap, Snap, HEAD_H, MAX_UNITS, ROW_H, ROW_H_VEC,
};
use super::state::ColourScale;
use super::text::{self, full, short};

/// Sign colours and the categorical (Okabe–Ito) palette: see [`super::palette`].
pub use super::palette::{node_colour_css, NEG, PALETTE, POS};

fn sign_colour(x: f64) -> &'static str {
    if x < 0.0 {
        NEG
    } else {
        POS
    }
}

#[derive(Properties)]
pub struct GraphProps {
    pub info: Rc<GraphInfo>,
    pub snap: Rc<Snap>,
    /// Smoothed `est` values for drawing (same shape as `snap.nodes[i].est`).
    pub shown: Rc<Vec<Vec<f64>>>,
    /// What the sizes are relative to (node, layer, graph).
    #[prop_or_default]
    pub scale: ColourScale,
    /// The locality lens / slow-motion highlight (None: everything drawn normally).
    #[prop_or_default]
    pub lens: Option<Rc<super::hover::Lens>>,
    /// Frame number of `shown`; with `feed`, newer values can arrive without the app rendering.
    #[prop_or_default]
    pub seq: u64,
    #[prop_or_default]
    pub feed: FrameFeed,
    /// Narrow screens: the stacked one-column layout (fits the width at a legible size).
    #[prop_or_default]
    pub stacked: bool,
    /// While playing, the long node descriptions keep their last paused words.
    #[prop_or_default]
    pub playing: bool,
    /// Drawn at [`ZOOM_SCALE`] at least (scrolling sideways) instead of fitted to the panel.
    #[prop_or_default]
    pub zoom: bool,
}

impl PartialEq for GraphProps {
    /// The graph and the snapshot by identity (the app makes a new `Rc` for every change), and
    /// the view options. `shown` and `seq` are left out: they change on every frame and reach
    /// a mounted graph through `feed`; a render for any other reason picks them up.
    fn eq(&self, o: &Self) -> bool {
        Rc::ptr_eq(&self.info, &o.info)
            && Rc::ptr_eq(&self.snap, &o.snap)
            && self.scale == o.scale
            && self.lens == o.lens
            && self.feed == o.feed
            && self.stacked == o.stacked
            && self.playing == o.playing
            && self.zoom == o.zoom
    }
}

/// The smallest scale of the zoomed graph: the numbers (11.5 units) at 9.2 px or more.
pub const ZOOM_SCALE: f64 = 0.8;

/// Whether the graph is so wide that fitting it to a desktop panel (≈ 800 px) shrinks its
/// numbers below 2/3 of their size (7.7 px): then the graph head offers the zoom.
pub fn zoom_helps(info: &GraphInfo) -> bool {
    info.layout.width * 2.0 / 3.0 > 800.0
}

/// The layout drawn: the layered one, or the one-column one on narrow screens.
fn lay_of(info: &GraphInfo, stacked: bool) -> &super::layout::Layout {
    if stacked {
        &info.stacked
    } else {
        &info.layout
    }
}

/// The per-frame channel from the app's clock to the graph. While playing, the smoothed PC
/// values change on every animation frame but the page's text only at the text rate: the app
/// sends each frame's values here and the graph's [`Painter`] writes them straight into the
/// discs and edges it drew, without any re-render. Empty while no graph is mounted (then
/// [`FrameFeed::send`] returns false and the app renders instead).
#[derive(Clone, Default)]
pub struct FrameFeed(Rc<RefCell<Option<Rc<RefCell<Painter>>>>>);

impl PartialEq for FrameFeed {
    fn eq(&self, o: &Self) -> bool {
        Rc::ptr_eq(&self.0, &o.0)
    }
}

impl FrameFeed {
    /// Run `f` on the mounted graph's painter; None when no graph is mounted (or the painter
    /// is busy in the graph's own effect).
    fn with<R>(&self, f: impl FnOnce(&mut Painter) -> R) -> Option<R> {
        let p = self.0.borrow().clone()?;
        let mut p = p.try_borrow_mut().ok()?;
        Some(f(&mut p))
    }

    /// Paint frame `seq`'s values into the mounted graph; false when none is mounted.
    pub fn send(&self, seq: u64, shown: Rc<Vec<Vec<f64>>>) -> bool {
        self.with(|p| {
            p.latest = (seq, shown);
            p.paint();
        })
        .is_some()
    }

    /// A newer text snapshot while playing: the graph does not re-render for it; the painter
    /// writes its numbers, data attributes and ring sizes [`TEXT_DELAY_FRAMES`] frames later
    /// (numbers still pending keep their age). False when no graph is mounted.
    pub fn text(&self, snap: Rc<Snap>) -> bool {
        self.with(|p| {
            let age = p.pending.as_ref().map_or(0, |q| q.1);
            p.text_snap = Some(snap.clone());
            p.pending = Some((snap, age));
        })
        .is_some()
    }

    /// A frame on which the page did not render: while playing, the numbers of the last
    /// render are written [`TEXT_DELAY_FRAMES`] frames after it.
    pub fn frame(&self) {
        self.with(Painter::text_frame);
    }

    /// The mounted graph's marks and numbers for each snapshot (an animation export); None
    /// when no graph is mounted or a snapshot does not fit it.
    pub fn record(&self, snaps: &[Snap]) -> Option<Vec<MarkFrame>> {
        self.with(|p| snaps.iter().map(|s| p.record(s)).collect())?
    }
}

/// While playing, the numbers reach the text layer this many frames after the page render
/// that brought them: the render's frame (Yew's reconcile, the page's text) and the frames
/// after it (one chart each, see `plots.rs`) stay free of the text layer's relayout and
/// repaint, so no single frame carries all of it.
const TEXT_DELAY_FRAMES: u32 = 4;

/// The marks that move on every frame (each unit's disc; each edge's stroke), and what was
/// last written into them. The SVG elements come from the last render (in document order);
/// an attribute is written only when its (rounded) text changes.
#[derive(Default)]
pub struct Painter {
    /// Per disc, in document order: node, row, largest radius.
    units: Vec<(usize, usize, f64)>,
    /// Per edge, in document order: the node whose error flows back along it.
    edges: Vec<usize>,
    /// Per node: the colour scale (from the text snapshot).
    scales: Vec<f64>,
    discs: Vec<(web_sys::Element, [String; 3])>,
    strokes: Vec<(web_sys::Element, [String; 2])>,
    /// The newest values (frame number, per node per row).
    latest: (u64, Rc<Vec<Vec<f64>>>),
    /// The nodes' numbers: the `text.num` elements (document order) and what was last
    /// written into each; per node, which numbers it shows (computed?, vector?, rows).
    nums: Vec<(web_sys::Element, String)>,
    num_plan: Vec<(bool, bool, usize)>,
    /// Per node (document order = node order): the `g.node` and its `data-v`, `data-eps`,
    /// `data-bp`, `data-gap` last written. The view renders them too, from the graph's
    /// snapshot, so they match the rest of a render at once: Yew 0.23 may yield to the
    /// browser between a render and its effects. While playing, the painter writes the newer
    /// text snapshots into them.
    node_els: Vec<(web_sys::Element, [String; 5])>,
    /// Per unit (the order of `units`): the backprop ring and its radius last written.
    rings: Vec<(web_sys::Element, String)>,
    /// The graph and the colour-scale choice of the last render (for the scales).
    info: Option<Rc<GraphInfo>>,
    scale: ColourScale,
    /// The snapshot of the last render, and the newest one known (from a render or
    /// [`FrameFeed::text`]): a render for another reason (lens, zoom) must not bring back
    /// older numbers.
    prop_snap: Option<Rc<Snap>>,
    text_snap: Option<Rc<Snap>>,
    /// Numbers not yet written (while playing) and the frames since they arrived.
    pending: Option<(Rc<Snap>, u32)>,
}

fn put(el: &web_sys::Element, last: &mut String, name: &str, value: String) {
    if *last != value {
        let _ = el.set_attribute(name, &value);
        *last = value;
    }
}

/// The elements under `root` that match `sel`, in document order.
fn elements(root: &web_sys::Element, sel: &str) -> Vec<web_sys::Element> {
    let Ok(list) = root.query_selector_all(sel) else {
        return vec![];
    };
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(n).ok())
        .collect()
}

/// Replace `old` by `els`; an element kept from the last render keeps the record of what was
/// written into it, a new one starts empty.
fn keep<T: Default>(els: Vec<web_sys::Element>, old: &mut Vec<(web_sys::Element, T)>) {
    let mut next = Vec::with_capacity(els.len());
    for (j, e) in els.into_iter().enumerate() {
        match old.get_mut(j) {
            Some((o, last)) if *o == e => next.push((e, std::mem::take(last))),
            _ => next.push((e, T::default())),
        }
    }
    *old = next;
}

impl Painter {
    /// Find the marks of the SVG just rendered.
    fn attach(&mut self, svg: &web_sys::Element) {
        keep(elements(svg, "circle.est"), &mut self.discs);
        keep(elements(svg, "circle.ghost"), &mut self.rings);
        keep(elements(svg, "path.edge"), &mut self.strokes);
    }

    /// Find the numbers' `text.num` elements of the text layer just rendered (document order:
    /// node by node, row by row). True when some of them are new (nothing written yet).
    fn attach_text(&mut self, svg: &web_sys::Element) -> bool {
        keep(elements(svg, "g.node text.num"), &mut self.nums);
        keep(elements(svg, "g.node"), &mut self.node_els);
        self.nums.iter().any(|(_, last)| last.is_empty())
            || self.node_els.iter().any(|(_, last)| last[0].is_empty())
    }

    /// Write the text snapshot's numbers into the nodes' `text.num` elements (only the ones
    /// whose text changed). The numbers are written here, never by Yew (the view renders the
    /// elements empty), so one writer owns them and a page render updates every node's
    /// numbers in one go: any text change makes the browser repaint the whole text layer, so
    /// they all land on the same frame.
    fn write_text(&mut self, snap: &Snap) {
        // the colour scales follow the text snapshot: the discs' (next paint) and the rings'
        if let Some(info) = self.info.clone() {
            if snap.nodes.len() == info.nodes.len() {
                self.scales = scales(&info, snap, self.scale);
            }
        }
        if self.rings.len() == self.units.len() {
            for ((el, last), &(i, k, rmax)) in self.rings.iter_mut().zip(&self.units) {
                let bp = snap
                    .nodes
                    .get(i)
                    .and_then(|n| n.bp.get(k))
                    .copied()
                    .unwrap_or(0.0);
                let scale = self.scales.get(i).copied().unwrap_or(1.0);
                put(el, last, "r", ring_r(bp, scale, rmax));
            }
        }
        // the numbers behind the picture, for tests and tools (no layout, no paint)
        for ((el, last), s) in self.node_els.iter_mut().zip(&snap.nodes) {
            let [v, eps, bp, gap, matched] = last;
            put(el, v, "data-v", join(&s.v));
            put(el, eps, "data-eps", join(&s.est));
            put(el, bp, "data-bp", join(&s.bp));
            put(el, gap, "data-gap", full(s.gap));
            put(el, matched, "data-match", matched_attr(s).to_string());
        }
        let texts = nums_of(&self.num_plan, snap);
        for ((el, last), t) in self.nums.iter_mut().zip(texts) {
            if *last != t {
                // change the text node's data in place (a characterData mutation): replacing
                // the node (`textContent`) also restyles and re-attaches it
                match el.first_child() {
                    Some(n) if n.node_type() == web_sys::Node::TEXT_NODE => {
                        n.set_node_value(Some(&t))
                    }
                    _ => el.set_text_content(Some(&t)),
                }
                *last = t;
            }
        }
    }

    /// Count a frame for the pending numbers; write them when they are due.
    fn text_frame(&mut self) {
        if let Some((snap, age)) = self.pending.as_mut() {
            *age += 1;
            if *age >= TEXT_DELAY_FRAMES {
                let snap = snap.clone();
                self.pending = None;
                self.write_text(&snap);
            }
        }
    }

    /// Write the newest values into the marks.
    fn paint(&mut self) {
        let shown = self.latest.1.clone();
        if self.discs.len() != self.units.len() || self.strokes.len() != self.edges.len() {
            return;
        }
        for ((el, last), &(i, k, rmax)) in self.discs.iter_mut().zip(&self.units) {
            let [r, fill] = disc_attrs(&shown, &self.scales, i, k, rmax);
            let [r_last, fill_last, _] = last;
            put(el, r_last, "r", r);
            put(el, fill_last, "fill", fill);
        }
        for ((el, last), &to) in self.strokes.iter_mut().zip(&self.edges) {
            let [colour, width] = edge_attrs(&shown, &self.scales, to);
            let [stroke, w] = last;
            put(el, stroke, "stroke", colour);
            put(el, w, "stroke-width", width);
        }
    }

    /// What the marks and numbers would show for `snap` (its own errors, unsmoothed, on its
    /// own colour scales), in the painter's element order: one frame of an animation export.
    fn record(&self, snap: &Snap) -> Option<MarkFrame> {
        let info = self.info.as_ref()?;
        if snap.nodes.len() != info.nodes.len() {
            return None;
        }
        let scales = scales(info, snap, self.scale);
        let est: Vec<Vec<f64>> = snap.nodes.iter().map(|n| n.est.clone()).collect();
        Some(MarkFrame {
            step: snap.step,
            discs: self
                .units
                .iter()
                .map(|&(i, k, rmax)| disc_attrs(&est, &scales, i, k, rmax))
                .collect(),
            rings: self
                .units
                .iter()
                .map(|&(i, k, rmax)| {
                    let bp = snap.nodes[i].bp.get(k).copied().unwrap_or(0.0);
                    ring_r(bp, scales.get(i).copied().unwrap_or(1.0), rmax)
                })
                .collect(),
            edges: self
                .edges
                .iter()
                .map(|&to| edge_attrs(&est, &scales, to))
                .collect(),
            nums: nums_of(&self.num_plan, snap).collect(),
            matched: snap.nodes.iter().map(NodeSnap::matched).collect(),
        })
    }
}

/// One frame of the graph's moving parts as attribute values, in the painter's (document)
/// order: the error discs' `r` and `fill` (`svg.marks circle.est`), the backprop rings' `r`
/// (`circle.ghost`), the edges' `stroke` and `stroke-width` (`path.edge`)
/// and the numbers' texts (`svg#graph g.node text.num`).
#[derive(Clone, Debug, PartialEq)]
pub struct MarkFrame {
    pub step: usize,
    pub discs: Vec<[String; 2]>,
    pub rings: Vec<String>,
    pub edges: Vec<[String; 2]>,
    pub nums: Vec<String>,
    /// Per node (`g.node .match`): PC equals backprop there.
    pub matched: Vec<bool>,
}

/// A unit's error disc: radius (area ∝ |ε| on the node's scale) and fill. Opaque: the size
/// carries the magnitude, so the sign colour keeps 3:1 on the unit background (WCAG 1.4.11).
fn disc_attrs(values: &[Vec<f64>], scales: &[f64], i: usize, k: usize, rmax: f64) -> [String; 2] {
    let est = values.get(i).and_then(|v| v.get(k)).copied().unwrap_or(0.0);
    let scale = scales.get(i).copied().unwrap_or(1.0);
    [
        fx(radius(est, scale, rmax), 1),
        sign_colour(est).to_string(),
    ]
}

/// A unit's backprop ring radius (never smaller than 1.5, so a zero target still shows).
fn ring_r(bp: f64, scale: f64, rmax: f64) -> String {
    fx(radius(bp, scale, rmax).max(1.5), 2)
}

/// An edge: the error flowing back along it, i.e. its child's largest error relative to the
/// child's scale, in its width; its sign in its colour. A quiet edge is thin and neutral, in
/// the theme's edge colour. Every edge is opaque, so its colour keeps 3:1 on the panel (WCAG
/// 1.4.11; `palette` tests the edge colour of each theme).
fn edge_attrs(values: &[Vec<f64>], scales: &[f64], to: usize) -> [String; 2] {
    let est = values
        .get(to)
        .and_then(|v| v.iter().copied().max_by(|a, b| a.abs().total_cmp(&b.abs())))
        .unwrap_or(0.0);
    let t = (est.abs() / scales.get(to).copied().unwrap_or(1.0)).min(1.0);
    let t = if t.is_finite() { t } else { 0.0 };
    let colour = if t > 0.02 {
        sign_colour(est)
    } else {
        "currentColor"
    };
    [colour.to_string(), fx(1.3 + 2.2 * t, 1)]
}

/// A node's `data-match`: "1" when PC equals backprop there (its check mark shows, CSS).
fn matched_attr(s: &NodeSnap) -> &'static str {
    if s.matched() {
        "1"
    } else {
        "0"
    }
}

/// The nodes' numbers for `snap`, in document order (node by node, row by row).
fn nums_of<'a>(
    plan: &'a [(bool, bool, usize)],
    snap: &'a Snap,
) -> impl Iterator<Item = String> + 'a {
    plan.iter()
        .zip(&snap.nodes)
        .flat_map(|(&(computed, vec, rows), s)| {
            let slots = row_nums(computed, vec);
            (0..rows).flat_map(move |k| slots.iter().map(move |sl| num_text(sl.0, s, k)))
        })
}

impl Painter {}

/// Each node's size scale: its own largest value (node); the largest in its layer, i.e. its
/// column of the drawing, with the leaves as one layer (layer); or one for all computed nodes
/// and one for all leaves (global).
pub fn scales(info: &GraphInfo, snap: &Snap, scale: ColourScale) -> Vec<f64> {
    let node_max = |n: &NodeSnap| {
        n.bp.iter()
            .chain(n.est.iter())
            .fold(0.0f64, |m, x| m.max(x.abs()))
    };
    let per: Vec<f64> = snap.nodes.iter().map(node_max).collect();
    let fix = |s: f64| if s > 1e-300 && s.is_finite() { s } else { 1.0 };
    // the group a node's scale is shared with
    let group = |n: &NodeInfo| -> Option<usize> {
        match scale {
            ColourScale::Node => None,
            ColourScale::Global => Some(usize::from(!n.is_leaf())),
            // leaves: group 0; computed nodes: their level + 1 (or their own scale)
            ColourScale::Layer => {
                if n.is_leaf() {
                    Some(0)
                } else {
                    n.level.map(|l| l + 1)
                }
            }
        }
    };
    let groups: Vec<Option<usize>> = info.nodes.iter().map(group).collect();
    let mut best = vec![0.0f64; groups.iter().flatten().max().map_or(0, |g| g + 1)];
    for (g, m) in groups.iter().zip(&per) {
        if let Some(g) = g {
            best[*g] = best[*g].max(*m);
        }
    }
    groups
        .iter()
        .enumerate()
        .map(|(i, g)| fix(g.map_or(per.get(i).copied().unwrap_or(0.0), |g| best[g])))
        .collect()
}

fn radius(x: f64, scale: f64, rmax: f64) -> f64 {
    let t = (x.abs() / scale).min(1.0);
    if !t.is_finite() {
        return 0.0;
    }
    rmax * t.sqrt()
}

fn route_path(e: &EdgeRoute) -> String {
    let p = &e.points;
    let straight = |a: &(f64, f64), b: &(f64, f64)| a.0 == b.0 || a.1 == b.1;
    if p.len() >= 3 && p.windows(2).all(|w| straight(&w[0], &w[1])) {
        return orthogonal_path(p);
    }
    let mut d = String::new();
    let mut it = e.points.iter();
    if let Some(&(x, y)) = it.next() {
        let _ = write!(d, "M{x:.1},{y:.1}");
        let mut prev = (x, y);
        for &(x, y) in it {
            if (y - prev.1).abs() < 0.01 {
                let _ = write!(d, " L{x:.1},{y:.1}");
            } else {
                let mx = (prev.0 + x) / 2.0;
                let _ = write!(d, " C{mx:.1},{:.1} {mx:.1},{y:.1} {x:.1},{y:.1}", prev.1);
            }
            prev = (x, y);
        }
    }
    d
}

/// A route of horizontal and vertical runs (the stacked layout's lanes) with rounded corners.
fn orthogonal_path(p: &[(f64, f64)]) -> String {
    let mut d = String::new();
    let Some(&(x, y)) = p.first() else {
        return d;
    };
    let _ = write!(d, "M{x:.1},{y:.1}");
    for w in p.windows(3) {
        let (a, c, b) = (w[0], w[1], w[2]);
        let len = |u: (f64, f64), v: (f64, f64)| (u.0 - v.0).abs() + (u.1 - v.1).abs();
        let r = 5.0f64.min(len(a, c) / 2.0).min(len(c, b) / 2.0);
        let toward = |from: (f64, f64), to: (f64, f64)| {
            let l = len(from, to).max(1e-9);
            (
                from.0 + (to.0 - from.0) * r / l,
                from.1 + (to.1 - from.1) * r / l,
            )
        };
        let (p1, p2) = (toward(c, a), toward(c, b));
        let _ = write!(
            d,
            " L{:.1},{:.1} Q{:.1},{:.1} {:.1},{:.1}",
            p1.0, p1.1, c.0, c.1, p2.0, p2.1
        );
    }
    if let Some(&(x, y)) = p.last() {
        let _ = write!(d, " L{x:.1},{y:.1}");
    }
    d
}

fn join(v: &[f64]) -> String {
    v.iter().map(|x| full(*x)).collect::<Vec<_>>().join(",")
}

/// The hover text (full precision).
fn tooltip(n: &NodeInfo, s: &NodeSnap, released: Option<usize>, free: bool) -> String {
    let mut t = format!("{} = {}", n.id, n.formula);
    let list = |v: &[f64]| v.iter().map(|x| full(*x)).collect::<Vec<_>>().join(", ");
    match n.kind {
        Kind::Computed => {
            let _ = write!(
                t,
                "\nv = {}\nμ = {}\nε = v − μ = {}\nδ = −∂L/∂v (backprop) = {}\n|ε/σ² − δ| = {}",
                list(&s.v),
                list(&s.mu),
                list(&s.est),
                list(&s.bp),
                full(s.gap)
            );
            if n.output {
                match released {
                    None => t.push_str("\nclamped to the target"),
                    Some(k) => {
                        let _ = write!(t, "\n{}", text::released_words(k));
                    }
                }
            }
        }
        _ => {
            let _ = write!(
                t,
                "\nvalue = {}\nPC estimate ĝ = −ΣJᵀξ = {}\nbackprop ∂L/∂{} = {}\n|ĝ − ∂L| = {}",
                list(&s.v),
                list(&s.est),
                n.id,
                list(&s.bp),
                full(s.gap)
            );
            if n.kind == Kind::Input {
                t.push_str(if free {
                    text::INPUT_FREE_WORDS
                } else {
                    "\nclamped to the data"
                });
            }
        }
    }
    if s.matched() {
        t.push_str("\nPC equals backprop here");
    }
    t
}

/// A number for an SVG attribute with `d` decimals (0 ≤ d ≤ 3), without `core::fmt`'s exact
/// float printing (this runs for every mark on every frame). Rounds half away from zero.
fn fx(x: f64, d: u32) -> String {
    let m = 10i64.pow(d.min(3));
    let n = if x.is_finite() {
        (x.clamp(-1e12, 1e12) * m as f64).round() as i64
    } else {
        0
    };
    let mut s = String::with_capacity(12);
    if n < 0 {
        s.push('-');
    }
    let a = n.unsigned_abs();
    let _ = write!(s, "{}", a / m as u64);
    if d > 0 {
        let f = a % m as u64;
        let _ = write!(s, ".{f:0w$}", w = d as usize);
    }
    s
}

/// An `Rc` that compares by pointer: props that hold one re-render only when it is replaced
/// (a deep comparison of the graph on every frame would cost more than it saves).
#[derive(Clone)]
pub struct Same<T>(pub Rc<T>);

impl<T> PartialEq for Same<T> {
    fn eq(&self, o: &Self) -> bool {
        Rc::ptr_eq(&self.0, &o.0)
    }
}

/// Where a node's unit rows sit (node-local coordinates).
struct RowGeom {
    vec: bool,
    row_h: f64,
    rows: usize,
    rmax: f64,
    ucx: f64,
}

fn geom(n: &NodeInfo, w: f64) -> RowGeom {
    let vec = n.len > 1;
    let rmax = if vec { 9.0 } else { 15.0 };
    RowGeom {
        vec,
        row_h: if vec { ROW_H_VEC } else { ROW_H },
        rows: n.len.min(MAX_UNITS),
        rmax,
        ucx: w - rmax - 8.0,
    }
}

impl RowGeom {
    fn cy(&self, k: usize) -> f64 {
        HEAD_H + self.row_h * k as f64 + self.row_h / 2.0
    }
}

/// A unit's estimate and target: a filled disc (the PC value, smoothed; its radius, colour
/// and opacity are written by the [`Painter`] on every frame) inside a dashed ring (the
/// backprop target; its radius follows the colour scale, written by the painter with the
/// numbers). Its background circle is in [`NodeBody`].
fn unit(cx: &AttrValue, cy: &AttrValue, bp: f64, class: &'static str) -> Html {
    html! {
        <g class={classes!("err-unit", class)}>
            <circle class="est" cx={cx.clone()} cy={cy.clone()} />
            <circle class="ghost" cx={cx.clone()} cy={cy.clone()} stroke={sign_colour(bp)} />
        </g>
    }
}

fn lock(x: f64, y: f64) -> Html {
    html! {
        <g class="lock" transform={format!("translate({x:.1},{y:.1})")} aria-hidden="true">
            <path d="M-3.5,-1 v-2.5 a3.5,3.5 0 0 1 7,0 v2.5" fill="none" />
            <rect x="-5" y="-1" width="10" height="7.5" rx="1.5" />
        </g>
    }
}

#[derive(Properties, PartialEq)]
pub struct BodyProps {
    pub info: Same<GraphInfo>,
    pub i: usize,
    pub stacked: bool,
    /// The full-precision description (also the node's `aria-label`; computed once).
    pub title: AttrValue,
    /// Held at its data or target (the lock); the output is free once released.
    pub clamped: bool,
}

/// What of a node changes only with the graph: the card, labels, value units, unit
/// backgrounds, the `<title>`, and the (empty) elements of its numbers, which the [`Painter`]
/// writes with each text snapshot. A component, so the graph's re-render at the text rate
/// skips it.
#[function_component(NodeBody)]
pub fn node_body(p: &BodyProps) -> Html {
    super::clock::span("view_node_body", || node_body_html(p))
}

/// One number of a unit row: which, at what x, at what offset from the row's centre, muted?
#[derive(Clone, Copy)]
enum Num {
    V,
    Mu,
    Eps,
    Delta,
    Value,
    Grad,
    ValueGrad,
}

type Slot = (Num, &'static str, f64, bool);

/// The numbers of one unit row, in document order.
fn row_nums(computed: bool, vec: bool) -> &'static [Slot] {
    match (computed, vec) {
        (true, true) => &[(Num::V, "24", 3.5, false), (Num::Eps, "88", 3.5, false)],
        (true, false) => &[
            (Num::V, "28", -3.0, false),
            (Num::Mu, "28", 11.0, true),
            (Num::Eps, "94", -3.0, false),
            (Num::Delta, "94", 11.0, true),
        ],
        (false, true) => &[(Num::ValueGrad, "10", 3.5, false)],
        (false, false) => &[
            (Num::Value, "10", -4.0, false),
            (Num::Grad, "10", 10.0, true),
        ],
    }
}

/// The text of one number of unit `k`.
fn num_text(f: Num, s: &NodeSnap, k: usize) -> String {
    let at = |xs: &[f64]| short(xs.get(k).copied().unwrap_or(0.0));
    match f {
        Num::V => format!("v {}", at(&s.v)),
        Num::Mu => format!("μ {}", at(&s.mu)),
        Num::Eps => format!("ε {}", at(&s.est)),
        Num::Delta => format!("δ {}", at(&s.bp)),
        Num::Value => format!("= {}", at(&s.v)),
        Num::Grad => format!("ĝ {}", at(&s.est)),
        Num::ValueGrad => format!("{}  ĝ {}", at(&s.v), at(&s.est)),
    }
}

fn node_body_html(p: &BodyProps) -> Html {
    let (Some(n), Some(r)) = (
        p.info.0.nodes.get(p.i),
        lay_of(&p.info.0, p.stacked).boxes.get(p.i),
    ) else {
        return html! {};
    };
    let computed = n.kind == Kind::Computed;
    let clamped = p.clamped;
    let g = geom(n, r.w);
    let rows_html = (0..g.rows).map(|k| {
        let cy = g.cy(k);
        let bg = html! { <circle class="unit-bg" cx={fx(g.ucx, 1)} cy={fx(cy, 1)} r={fx(g.rmax, 1)} /> };
        // the numbers: empty here, written by the painter with each text snapshot
        let nums = row_nums(computed, g.vec).iter().map(|&(_, x, dy, muted)| {
            html! { <text class={if muted { "num muted" } else { "num" }} {x} y={fx(cy + dy, 1)}></text> }
        });
        let value_unit = computed.then(|| {
            let vr = if g.vec { 5.5 } else { 9.0 };
            html! { <circle class="value-unit" cx="13" cy={fx(cy, 1)} r={fx(vr, 1)} /> }
        });
        let body = html! { <>{ for value_unit }{ for nums }</> };
        html! {
            <g class="row" data-k={k.to_string()}>
                { body }
                { bg }
            </g>
        }
    });
    let more = (n.len > MAX_UNITS).then(|| {
        html! { <text class="muted small" x="10" y={fx(HEAD_H + g.row_h * g.rows as f64 + 10.0, 1)}>{ format!("+{} more", n.len - MAX_UNITS) }</text> }
    });
    let title_id = short_id(&n.id);
    let shape = if n.len > 1 {
        if n.rows > 1 {
            format!(" {}×{}", n.rows, n.cols)
        } else {
            format!(" [{}]", n.len)
        }
    } else {
        String::new()
    };
    let subtitle = if computed {
        n.formula.clone()
    } else {
        format!(
            "{}{shape}",
            if n.kind == Kind::Input {
                "input"
            } else {
                "param"
            }
        )
    };
    let swatch = computed.then(
        || html! { <circle class="swatch" cx="12" cy="14" r="4.5" style={format!("fill:{}", node_colour_css(n.colour))} /> },
    );
    let tx = if computed { 22 } else { 10 };
    // the header stops short of the check mark (and the lock left of it)
    let check_x = r.w - if clamped { 33.0 } else { 19.0 };
    let (title_id, subtitle) = text::fit_header(
        &title_id,
        &subtitle,
        if computed { "" } else { shape.trim() },
        check_x - 3.0 - tx as f64,
    );
    html! {
        <>
            <title>{ p.title.clone() }</title>
            <rect class="card" width={fx(r.w, 1)} height={fx(r.h, 1)} rx="10" />
            { for swatch }
            <text class="node-id" x={tx.to_string()} y="18">{ title_id }<tspan class="formula" dx="6">{ subtitle }</tspan></text>
            { if clamped { lock(r.w - 12.0, 13.0) } else { html!{} } }
            // shown by CSS when the node's data-match is 1 (PC equals backprop here)
            <path class="match" d={format!("M{check_x:.1},13 l3,3.2 l5.5,-6.4")} aria-hidden="true" />
            { for rows_html }
            { for more }
        </>
    }
}

/// Per graph: each node's place and its units' centres, as attribute strings, and the
/// largest disc radius.
struct NodeGeom {
    transform: AttrValue,
    index: AttrValue,
    units: Vec<(AttrValue, AttrValue, AttrValue)>,
    rmax: f64,
}

fn node_geoms(info: &GraphInfo, stacked: bool) -> (Vec<NodeGeom>, Vec<AttrValue>) {
    let lay = lay_of(info, stacked);
    let nodes = info
        .nodes
        .iter()
        .zip(&lay.boxes)
        .enumerate()
        .map(|(i, (n, r))| {
            let g = geom(n, r.w);
            NodeGeom {
                transform: format!("translate({},{})", fx(r.x, 1), fx(r.y, 1)).into(),
                index: i.to_string().into(),
                units: (0..g.rows)
                    .map(|k| {
                        (
                            k.to_string().into(),
                            fx(g.ucx, 1).into(),
                            fx(g.cy(k), 1).into(),
                        )
                    })
                    .collect(),
                rmax: g.rmax,
            }
        })
        .collect();
    let edges = lay.edges.iter().map(|e| route_path(e).into()).collect();
    (nodes, edges)
}

/// The graph, split by rate: it re-renders with the text snapshot `snap` (≤ 15 Hz while
/// playing), which drives the labels and data attributes; the smoothed PC values arrive on
/// every frame through `feed` and the [`Painter`] writes them into the discs and edge strokes
/// without a render; after each render the painter writes the nodes' numbers (all in the
/// same frame, into elements the view leaves empty). Strings that depend
/// only on the graph or only on the snapshot are memoised.
#[function_component(GraphView)]
pub fn graph_view(p: &GraphProps) -> Html {
    let painter = use_mut_ref(Painter::default);
    let svg = use_node_ref();
    let text_svg = use_node_ref();
    {
        let painter = painter.clone();
        use_effect_with(p.feed.clone(), move |feed| {
            *feed.0.borrow_mut() = Some(painter);
            let feed = feed.clone();
            move || drop(feed.0.borrow_mut().take())
        });
    }
    let geo = use_memo((Same(p.info.clone()), p.stacked), |(i, st)| {
        node_geoms(&i.0, *st)
    });
    // The long descriptions (title, aria-label: every number at full precision) follow the
    // snapshot while paused; while playing they keep the last paused state's words, so the
    // text frames do not rebuild and re-announce 20 long strings several times a second.
    let held = use_mut_ref(|| (p.info.clone(), p.snap.clone()));
    if !p.playing || !Rc::ptr_eq(&p.info, &held.borrow().0) {
        *held.borrow_mut() = (p.info.clone(), p.snap.clone());
    }
    let label_snap = held.borrow().1.clone();
    let labels = use_memo((Same(p.info.clone()), Same(label_snap)), |(i, s)| {
        i.0.nodes
            .iter()
            .zip(&s.0.nodes)
            .enumerate()
            .map(|(i, (n, ns))| {
                AttrValue::from(tooltip(n, ns, s.0.released, s.0.free_inputs.contains(&i)))
            })
            .collect::<Vec<_>>()
    });
    {
        // after every render: find the marks, take the plan, paint the newest values
        let (painter, svg, text_svg) = (painter.clone(), svg.clone(), text_svg.clone());
        let (info, shown, seq) = (p.info.clone(), p.shown.clone(), p.seq);
        let geo = geo.clone();
        let (stacked, scale) = (p.stacked, p.scale);
        let (snap, playing) = (p.snap.clone(), p.playing);
        use_effect(move || {
            let t_fx = super::clock::now();
            if let (Ok(mut pt), Some(el)) =
                (painter.try_borrow_mut(), svg.cast::<web_sys::Element>())
            {
                pt.units = geo
                    .0
                    .iter()
                    .enumerate()
                    .flat_map(|(i, g)| (0..g.units.len()).map(move |k| (i, k, g.rmax)))
                    .collect();
                pt.edges = lay_of(&info, stacked).edges.iter().map(|e| e.to).collect();
                // the newest text snapshot: this render's if it brought a new one, else the
                // newest the feed brought since
                let new_prop = !pt.prop_snap.as_ref().is_some_and(|q| Rc::ptr_eq(q, &snap));
                let text_snap = match &pt.text_snap {
                    Some(q) if !new_prop && q.nodes.len() == info.nodes.len() => q.clone(),
                    _ => snap.clone(),
                };
                pt.prop_snap = Some(snap);
                pt.text_snap = Some(text_snap.clone());
                pt.scales = scales(&info, &text_snap, scale);
                pt.info = Some(info.clone());
                pt.scale = scale;
                if seq >= pt.latest.0 {
                    pt.latest = (seq, shown);
                }
                pt.attach(&el);
                pt.paint();
                // the nodes' numbers
                pt.num_plan = info
                    .nodes
                    .iter()
                    .map(|n| {
                        let g = geom(n, 0.0);
                        (n.kind == Kind::Computed, g.vec, g.rows)
                    })
                    .collect();
                let fresh = text_svg
                    .cast::<web_sys::Element>()
                    .is_some_and(|t| pt.attach_text(&t))
                    || pt.rings.iter().any(|(_, r)| r.is_empty());
                // paused: now; playing: a few frames later (numbers still pending keep
                // their age, so a render on every frame cannot hold them back)
                if playing && !fresh {
                    let age = pt.pending.as_ref().map_or(0, |p| p.1);
                    pt.pending = Some((text_snap.clone(), age));
                } else {
                    pt.pending = None;
                    pt.write_text(&text_snap);
                }
            }
            super::clock::add_span("graph_effect", super::clock::now() - t_fx);
            super::clock::mark_rendered();
        });
    }
    super::clock::span("view_graph", || {
        graph_html(p, &svg, &text_svg, &geo, &labels)
    })
}

type Geoms = (Vec<NodeGeom>, Vec<AttrValue>);

fn graph_html(
    p: &GraphProps,
    svg: &NodeRef,
    text_svg: &NodeRef,
    geo: &Geoms,
    labels: &[AttrValue],
) -> Html {
    let info = &p.info;
    let lay = lay_of(info, p.stacked);
    let (geoms, paths) = (&geo.0, &geo.1);
    if p.snap.nodes.len() != info.nodes.len()
        || geoms.len() != info.nodes.len()
        || labels.len() != info.nodes.len()
    {
        return html! {};
    }
    let lens = p.lens.as_deref();
    let lens_class = |m: u8| match m {
        2 => "lens-focus",
        1 => "lens-near",
        _ => "lens-dim",
    };
    let edges = lay.edges.iter().zip(paths).enumerate().map(|(ei, (e, d))| {
        let lit = lens.map(|l| if l.edge.get(ei).copied().unwrap_or(false) { "edge lens-lit" } else { "edge lens-dim" }).unwrap_or("edge");
        html! {
            <path class={lit} d={d.clone()} data-from={info.nodes[e.from].id.clone()} data-to={info.nodes[e.to].id.clone()} marker-end="url(#arrow)" />
        }
    });
    let nodes = info.nodes.iter().enumerate().map(|(i, n)| {
        let (gm, label, s) = (&geoms[i], &labels[i], &p.snap.nodes[i]);
        let clamped = (n.kind == Kind::Input && !p.snap.free_inputs.contains(&i))
            || (n.output && p.snap.released.is_none());
        let kind = match n.kind {
            Kind::Input => "input",
            Kind::Param => "param",
            Kind::Computed => "computed",
        };
        let mark = lens.map(|l| lens_class(l.mark.get(i).copied().unwrap_or(0)));
        let class = classes!(
            "node",
            kind,
            n.output.then_some("output"),
            clamped.then_some("clamped"),
            ((n.output || n.kind == Kind::Input) && !clamped).then_some("released"),
            mark
        );
        html! {
            // data-v, data-eps, data-bp, data-gap, data-match: also written by the painter while playing
            <g class={class} data-id={n.id.clone()} data-index={gm.index.clone()} data-kind={kind}
                data-v={join(&s.v)} data-eps={join(&s.est)} data-bp={join(&s.bp)} data-gap={full(s.gap)}
                data-match={matched_attr(s)}
                transform={gm.transform.clone()}
                tabindex="0" role="img" aria-label={label.clone()}>
                <NodeBody key={format!("{:p}/{i}", Rc::as_ptr(info))} info={Same(info.clone())}
                    {i} stacked={p.stacked} title={label.clone()} {clamped} />
            </g>
        }
    });
    let marks = info.nodes.iter().enumerate().map(|(i, n)| {
        let (gm, s) = (&geoms[i], &p.snap.nodes[i]);
        let cls = if n.kind == Kind::Computed { "error-unit" } else { "grad-unit" };
        let units = gm.units.iter().enumerate().map(|(k, (dk, cx, cy))| {
            let bp = s.bp.get(k).copied().unwrap_or(0.0);
            html! { <g class="row" data-k={dk.clone()}>{ unit(cx, cy, bp, cls) }</g> }
        });
        let mark = lens.map(|l| lens_class(l.mark.get(i).copied().unwrap_or(0)));
        html! {
            <g class={classes!("node-marks", mark)} data-id={n.id.clone()} transform={gm.transform.clone()}>{ for units }</g>
        }
    });
    let view_box = format!("0 0 {:.0} {:.0}", lay.width, lay.height);
    let (w, h) = (format!("{:.0}", lay.width), format!("{:.0}", lay.height));
    let lens_on = lens.is_some().then_some("lens-on");
    // zoomed: both layers at least this wide (min-width beats the fit-to-panel max-width)
    let min_w =
        (p.zoom && !p.stacked).then(|| format!("min-width:{}px", fx(lay.width * ZOOM_SCALE, 0)));
    // Two layers: the cards and their text change at the text rate; the marks (discs, rings,
    // edges) move on every frame in their own composited layer, so the browser repaints only
    // them, not the text.
    html! {
        <div class="graph-stack" style={min_w.clone()}>
            <svg id="graph" ref={text_svg.clone()} style={min_w} class={classes!("graph", lens_on, p.stacked.then_some("stacked"))} viewBox={view_box.clone()} width={w.clone()} height={h.clone()}
                role="group" aria-label={text::GRAPH_LABEL} preserveAspectRatio="xMidYMin meet">
                <g class="nodes">{ for nodes }</g>
            </svg>
            <svg class={classes!("marks", lens_on)} ref={svg.clone()} viewBox={view_box} width={w} height={h}
                aria-hidden="true" focusable="false" preserveAspectRatio="xMidYMin meet">
                <defs>
                    // one size whatever the edge's width (which follows the error): a marker in
                    // stroke-width units grew to 25 px on the thickest edges
                    <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="12" markerHeight="12" orient="auto-start-reverse">
                        <path d="M0,1 L9,5 L0,9 z" class="arrowhead" />
                    </marker>
                </defs>
                <g class="edges">{ for edges }</g>
                <g class="units" data-layer="units">{ for marks }</g>
            </svg>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct LegendProps {
    pub scale: ColourScale,
    /// The output is released: its dashed look gets a line.
    #[prop_or_default]
    pub released: bool,
}

#[function_component(Legend)]
pub fn legend(p: &LegendProps) -> Html {
    let item = |glyph: Html, label: &'static str| html! { <li><svg class="glyph" viewBox="0 0 40 24" width="40" height="24" aria-hidden="true">{ glyph }</svg><span>{ label }</span></li> };
    html! {
        <details class="legend" open=true>
            <summary>{ text::LEGEND_TITLE }</summary>
            <ul>
                { item(html!{ <circle class="value-unit" cx="20" cy="12" r="8" /> }, text::LEGEND_VALUE) }
                { item(html!{ <circle cx="20" cy="12" r="7" fill={POS} /> }, text::LEGEND_ERROR) }
                { item(html!{ <circle class="ghost" cx="20" cy="12" r="10" stroke={POS} /> }, text::LEGEND_GHOST) }
                { item(html!{ <><circle cx="11" cy="12" r="8" fill={NEG} /><circle cx="29" cy="12" r="8" fill={POS} /></> }, text::LEGEND_SIGN) }
                { item(html!{ <><rect class="card clamped-demo" x="4" y="3" width="32" height="18" rx="4" />{ lock(30.0, 9.0) }</> }, text::LEGEND_CLAMP) }
                { if p.released { item(html!{ <rect class="card released-demo" x="4" y="3" width="32" height="18" rx="4" /> }, text::LEGEND_RELEASED) } else { html!{} } }
                { item(html!{ <><circle cx="20" cy="12" r="6" fill={POS} /><circle class="ghost" cx="20" cy="12" r="10" stroke={POS} /></> }, text::LEGEND_PARAM) }
                { item(html!{ <path class="match-demo" d="M13,12 l4.5,4.8 l8.5,-9.6" /> }, text::LEGEND_MATCH) }
                { item(html!{ <path d="M2,12 C14,12 26,12 38,12" stroke={NEG} stroke-width="3" fill="none" /> }, text::LEGEND_EDGE) }
                <li class="muted">{ match p.scale {
                    ColourScale::Node => text::LEGEND_SCALE_NODE,
                    ColourScale::Layer => text::LEGEND_SCALE_LAYER,
                    ColourScale::Global => text::LEGEND_SCALE_GLOBAL,
                } }</li>
            </ul>
        </details>
    }
}
