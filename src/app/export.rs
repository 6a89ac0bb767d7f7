//! Exports: the graph file (JSON, format 1), the graph drawing (stand-alone SVG with inline
//! styles), the plots (one PNG), and the run as a trace (CSV per recorded step; the engine's
//! trace JSON). Every download goes through a Blob, an object URL and a temporary `<a download>`.
use std::fmt::Write;

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Element, HtmlAnchorElement, HtmlCanvasElement};
use yew::prelude::*;

use super::sim::{run_to, Sim};
use super::state::{AppState, Cmd};
use super::text_teach as tt;
use crate::engine::NodeKind;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportKind {
    GraphJson,
    GraphSvg,
    PlotsPng,
    TraceCsv,
    TraceJson,
    /// The relaxation as a self-playing SVG (needs the mounted graph: `animation`).
    Animation,
}

/// The download's file name stem: the preset's key, or a name made from the graph's.
fn base_name(st: &AppState) -> String {
    if super::presets::get(&st.preset).is_some() {
        st.preset.clone()
    } else {
        file_base(&st.sim)
    }
}

/// Run the export (called by the reducer; changes nothing in the state). The animation needs
/// the mounted graph's painter: the app runs it ([`animation`]).
pub fn export(kind: ExportKind, st: &AppState, series: &super::sim::Series) {
    let base = base_name(st);
    match kind {
        ExportKind::GraphJson => {
            let json = graph_json(&st.sim);
            download_text(&format!("{base}.graph.json"), "application/json", &json);
        }
        ExportKind::GraphSvg => {
            let find = |sel: &str| document().and_then(|d| d.query_selector(sel).ok().flatten());
            if let Some(svg) = find("svg#graph") {
                if let Some(s) = standalone_svg(&svg, find("svg.marks").as_ref()) {
                    download_text(&format!("{base}.svg"), "image/svg+xml", &s);
                }
            }
        }
        ExportKind::PlotsPng => {
            let charts = super::plots::export_charts(
                &st.info,
                &st.snap,
                series,
                st.scrub,
                st.kept.as_deref(),
            );
            if let Some(url) = plots_png(&charts) {
                download_url(&format!("{base}.plots.png"), &url);
            }
        }
        ExportKind::TraceCsv => {
            download_text(&format!("{base}.trace.csv"), "text/csv", &csv(&st.sim));
        }
        ExportKind::TraceJson => {
            let s = history_json(&st.sim);
            download_text(&format!("{base}.trace.json"), "application/json", &s);
        }
        ExportKind::Animation => {}
    }
}

/// Most ticks an animation covers when nothing has run yet (the run to settling is computed).
pub const ANIM_MAX_TICKS: usize = 2000;

/// The relaxation as a self-playing SVG: the current run from tick 0 to the furthest tick
/// reached (or, before anything ran, to where it settles), re-run on a copy and drawn by the
/// mounted graph's painter. Err: a sentence for the alert.
pub fn animation(st: &AppState, feed: &super::graph_view::FrameFeed) -> Result<(), String> {
    let n = if st.replay_max > 0 {
        st.replay_max
    } else {
        st.sim.settle_tick(ANIM_MAX_TICKS)
    };
    let snaps = st.sim.snapshots_at(&animation_ticks(n));
    let find = |sel: &str| document().and_then(|d| d.query_selector(sel).ok().flatten());
    let (Some(svg), Some(marks), Some(frames)) =
        (find("svg#graph"), find("svg.marks"), feed.record(&snaps))
    else {
        return Err(tt::ANIM_NEEDS_GRAPH.into());
    };
    let s = animated_svg(&svg, &marks, &frames).ok_or(tt::ANIM_NEEDS_GRAPH)?;
    download_text(
        &format!("{}.relaxation.svg", base_name(st)),
        "image/svg+xml",
        &s,
    );
    Ok(())
}

/// The current graph as a graph file (format 1, pretty JSON): re-imports to the same graph.
pub fn graph_json(sim: &Sim) -> String {
    serde_json::to_string_pretty(&sim.graph_file()).unwrap_or_default()
}

/// A file name from the graph's name: lowercase letters, digits and dashes.
fn file_base(sim: &Sim) -> String {
    let name = sim.session().graph().name();
    let mut s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    while s.contains("--") {
        s = s.replace("--", "-");
    }
    let s = s.trim_matches('-').chars().take(24).collect::<String>();
    let s = s.trim_end_matches('-').to_string();
    if s.is_empty() {
        "graph".into()
    } else {
        s
    }
}

fn cell(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        String::new()
    }
}

/// One recorded step of the run: step, F, L, the gaps, and per computed node ε and δ.
struct Row {
    step: usize,
    energy: f64,
    loss: f64,
    gap_nodes: f64,
    gap_params: f64,
    /// Per computed node (in `columns` order): ε = v − μ and δ = −∂L/∂v.
    eps: Vec<Vec<f64>>,
    delta: Vec<Vec<f64>>,
}

/// The computed nodes (id, length) and one row per recorded history point (every tick until
/// the history fills, then every 2nd, 4th, …). The rows are recomputed on a copy of the session
/// re-run from step 0 (the engine is deterministic), so the live run is not touched.
fn rows(sim: &Sim) -> (Vec<(String, usize)>, Vec<Row>) {
    let live = sim.session();
    let g = live.graph();
    let computed: Vec<usize> = (0..g.nodes().len())
        .filter(|&i| g.nodes()[i].kind == NodeKind::Computed)
        .collect();
    let columns = computed
        .iter()
        .map(|&i| (g.nodes()[i].id.clone(), g.nodes()[i].shape.len()))
        .collect();
    let steps: Vec<usize> = live.history_slice().iter().map(|p| p.step).collect();
    let mut s = live.clone();
    s.rewind();
    let mut out = Vec::with_capacity(steps.len());
    for t in steps {
        run_to(&mut s, t);
        if s.step() != t {
            break;
        }
        let m = s.metrics();
        out.push(Row {
            step: t,
            energy: s.energy(),
            loss: s.loss(),
            gap_nodes: m.max_abs_err_nodes,
            gap_params: m.max_abs_err_params,
            eps: computed.iter().map(|&i| s.error(i).to_vec()).collect(),
            delta: computed
                .iter()
                .map(|&i| s.bp_grad(i).iter().map(|x| -x).collect())
                .collect(),
        });
    }
    (columns, out)
}

/// The run so far as CSV: per recorded step, the energy F, the loss L, the gaps (max |PC − BP|
/// over nodes and over parameters), then every computed node's ε and δ per element.
pub fn csv(sim: &Sim) -> String {
    let (cols, rows) = rows(sim);
    let mut out = String::from("step,energy,loss,gap_nodes,gap_params");
    for what in ["eps", "delta"] {
        for (id, len) in &cols {
            for k in 0..*len {
                if *len > 1 {
                    let _ = write!(out, ",{what}_{id}[{k}]");
                } else {
                    let _ = write!(out, ",{what}_{id}");
                }
            }
        }
    }
    out.push('\n');
    for r in &rows {
        let _ = write!(
            out,
            "{},{},{},{},{}",
            r.step,
            cell(r.energy),
            cell(r.loss),
            cell(r.gap_nodes),
            cell(r.gap_params)
        );
        for x in r.eps.iter().chain(&r.delta).flatten() {
            let _ = write!(out, ",{}", cell(*x));
        }
        out.push('\n');
    }
    out
}

fn json_num(x: f64) -> String {
    if x.is_finite() {
        format!("{x:?}")
    } else {
        "null".into()
    }
}

fn json_list(v: &[f64]) -> String {
    let inner: Vec<String> = v.iter().map(|x| json_num(*x)).collect();
    format!("[{}]", inner.join(", "))
}

/// The run so far as JSON: the graph file, the variant and rate, and per recorded step the
/// same numbers as the CSV (`eps` and `delta` keyed by node id, as lists).
pub fn history_json(sim: &Sim) -> String {
    let (cols, rows) = rows(sim);
    let s = sim.session();
    let mut out = String::from("{\n");
    let _ = writeln!(out, "  \"format\": 1,");
    let _ = writeln!(out, "  \"variant\": {:?},", s.variant().name());
    let _ = writeln!(out, "  \"inference_rate\": {},", json_num(s.eta()));
    // how this run was set up beyond the graph: where it started, which inputs were free, and
    // when the output was released or clamped again (replaying them reproduces the history)
    let start = match s.start() {
        crate::engine::Start::Feedforward => "\"feedforward\"".to_string(),
        crate::engine::Start::Random(k) => format!("{{\"random_seed\": {k}}}"),
    };
    let _ = writeln!(out, "  \"start\": {start},");
    let ids = |v: &[usize]| -> Vec<String> {
        v.iter()
            .map(|&i| format!("{:?}", s.graph().nodes()[i].id))
            .collect()
    };
    let _ = writeln!(
        out,
        "  \"free_inputs\": [{}],",
        ids(s.free_inputs()).join(", ")
    );
    let events: Vec<String> = s
        .clamp_events()
        .iter()
        .map(|&(k, c)| format!("{{\"step\": {k}, \"output_clamped\": {c}}}"))
        .collect();
    let _ = writeln!(out, "  \"output_clamp_events\": [{}],", events.join(", "));
    let _ = writeln!(
        out,
        "  \"graph\": {},",
        serde_json::to_string_pretty(&sim.graph_file()).unwrap_or_else(|_| "null".into())
    );
    out.push_str("  \"history\": [");
    for (n, r) in rows.iter().enumerate() {
        let per = |v: &[Vec<f64>]| {
            let items: Vec<String> = cols
                .iter()
                .zip(v)
                .map(|((id, _), x)| format!("{id:?}: {}", json_list(x)))
                .collect();
            format!("{{{}}}", items.join(", "))
        };
        let _ = write!(
            out,
            "{}\n    {{\"step\": {}, \"energy\": {}, \"loss\": {}, \"gap_nodes\": {}, \"gap_params\": {}, \"eps\": {}, \"delta\": {}}}",
            if n == 0 { "" } else { "," },
            r.step,
            json_num(r.energy),
            json_num(r.loss),
            json_num(r.gap_nodes),
            json_num(r.gap_params),
            per(&r.eps),
            per(&r.delta)
        );
    }
    out.push_str("\n  ]\n}\n");
    out
}

fn document() -> Option<web_sys::Document> {
    web_sys::window()?.document()
}

/// Style properties copied inline so the SVG looks the same outside the page.
const SVG_PROPS: &[&str] = &[
    "fill",
    "fill-opacity",
    "stroke",
    "stroke-width",
    "stroke-opacity",
    "stroke-dasharray",
    "stroke-linecap",
    "stroke-linejoin",
    "opacity",
    "font-family",
    "font-size",
    "font-weight",
    "font-style",
    "text-anchor",
    "dominant-baseline",
    "paint-order",
    "visibility",
    "display",
];

/// Serialize an SVG element with its computed styles inlined and a background, so the file
/// stands alone (no stylesheet, no CSS variables). `marks`, the layer drawn over it (the graph's
/// discs, rings and edges), is merged in: its edges under the cards, the rest on top.
pub fn standalone_svg(svg: &Element, marks: Option<&Element>) -> Option<String> {
    serialize(&standalone(svg, marks)?.svg)
}

/// A stand-alone copy of the graph's two layers, and its moving parts (painter order).
struct Standalone {
    svg: Element,
    discs: Vec<Element>,
    rings: Vec<Element>,
    edges: Vec<Element>,
    nums: Vec<Element>,
    /// Per node, its "matched" check (`g.node .match`).
    checks: Vec<Element>,
    /// The computed `color` of the marks layer (what the quiet edges' `currentColor` is).
    ink: String,
}

/// The elements under `root` that match `sel`, in document order.
fn all(root: &Element, sel: &str) -> Vec<Element> {
    let Ok(list) = root.query_selector_all(sel) else {
        return vec![];
    };
    (0..list.length())
        .filter_map(|k| list.item(k))
        .filter_map(|n| n.dyn_into::<Element>().ok())
        .collect()
}

fn standalone(svg: &Element, marks: Option<&Element>) -> Option<Standalone> {
    let win = web_sys::window()?;
    let copy: Element = svg.clone_node_with_deep(true).ok()?.dyn_into().ok()?;
    let inline = |from: &Element, to: &Element| {
        if let Ok(Some(cs)) = win.get_computed_style(from) {
            let mut style = String::new();
            for p in SVG_PROPS {
                if let Ok(v) = cs.get_property_value(p) {
                    if !v.is_empty() {
                        let _ = write!(style, "{p}:{v};");
                    }
                }
            }
            let _ = to.set_attribute("style", &style);
        }
        for a in ["tabindex", "role", "aria-label", "class"] {
            let _ = to.remove_attribute(a);
        }
    };
    let inline_all = |from: &Element, to: &Element| -> Option<()> {
        let orig = from.query_selector_all("*").ok()?;
        let dup = to.query_selector_all("*").ok()?;
        for k in 0..orig.length().min(dup.length()) {
            let (Some(a), Some(b)) = (orig.item(k), dup.item(k)) else {
                continue;
            };
            if let (Ok(a), Ok(b)) = (a.dyn_into::<Element>(), b.dyn_into::<Element>()) {
                inline(&a, &b);
            }
        }
        Some(())
    };
    // the moving parts, found by class before the classes are stripped
    let nums = all(&copy, "g.node text.num");
    let checks = all(&copy, "g.node .match");
    let (mut discs, mut rings, mut edges, mut ink) = (vec![], vec![], vec![], String::new());
    inline(svg, &copy);
    inline_all(svg, &copy)?;
    if let Some(m) = marks {
        let layer: Element = m.clone_node_with_deep(true).ok()?.dyn_into().ok()?;
        discs = all(&layer, "circle.est");
        rings = all(&layer, "circle.ghost");
        edges = all(&layer, "path.edge");
        ink = win
            .get_computed_style(m)
            .ok()
            .flatten()
            .and_then(|cs| cs.get_property_value("color").ok())
            .unwrap_or_default();
        inline_all(m, &layer)?;
        let kids = layer.child_nodes();
        let kids: Vec<Element> = (0..kids.length())
            .filter_map(|k| kids.item(k))
            .filter_map(|n| n.dyn_into::<Element>().ok())
            .collect();
        for kid in kids {
            if kid.tag_name() == "g" && kid.get_attribute("data-layer").as_deref() == Some("units")
            {
                let _ = copy.append_child(&kid);
            } else {
                let _ = copy.insert_before(&kid, copy.first_child().as_ref());
            }
        }
    }
    // a background from the panel the graph sits on
    let bg = svg
        .closest(".panel")
        .ok()
        .flatten()
        .and_then(|p| win.get_computed_style(&p).ok().flatten())
        .and_then(|cs| cs.get_property_value("background-color").ok())
        .filter(|c| !c.is_empty() && c != "rgba(0, 0, 0, 0)")
        .unwrap_or_else(|| "#ffffff".into());
    let rect = svg_el("rect")?;
    for (k, v) in [("width", "100%"), ("height", "100%"), ("fill", bg.as_str())] {
        let _ = rect.set_attribute(k, v);
    }
    let _ = copy.insert_before(&rect, copy.first_child().as_ref());
    let _ = copy.set_attribute("xmlns", "http://www.w3.org/2000/svg");
    Some(Standalone {
        svg: copy,
        discs,
        rings,
        edges,
        nums,
        checks,
        ink,
    })
}

fn svg_el(tag: &str) -> Option<Element> {
    document()?
        .create_element_ns(Some("http://www.w3.org/2000/svg"), tag)
        .ok()
}

fn serialize(svg: &Element) -> Option<String> {
    let s = web_sys::XmlSerializer::new()
        .ok()?
        .serialize_to_string(svg)
        .ok()?;
    Some(format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{s}\n"))
}

/// The ticks an animation of a run of `n` ticks shows: every one of the first
/// [`ANIM_EARLY`] (the error front travelling, one hop per tick at rate 1), then
/// [`ANIM_LATE`] more spaced geometrically up to `n` (the slow convergence).
pub fn animation_ticks(n: usize) -> Vec<usize> {
    let mut t: Vec<usize> = (0..=n.min(ANIM_EARLY)).collect();
    if n > ANIM_EARLY {
        let (a, b) = ((ANIM_EARLY as f64).ln(), (n as f64).ln());
        for j in 1..=ANIM_LATE {
            let x = (a + (b - a) * j as f64 / ANIM_LATE as f64).exp().round() as usize;
            if x > *t.last().unwrap_or(&0) {
                t.push(x.min(n));
            }
        }
        if t.last() != Some(&n) {
            t.push(n);
        }
    }
    t
}

pub const ANIM_EARLY: usize = 24;
pub const ANIM_LATE: usize = 36;
/// Seconds per frame of the animation, and how long its last frame holds.
pub const ANIM_FRAME_S: f64 = 0.2;
pub const ANIM_HOLD_S: f64 = 2.5;
/// Room above the graph for the iteration counter, in the drawing's units.
const COUNTER_H: f64 = 26.0;

/// The graph as a self-playing SVG (SMIL, loops): `frames` (from the graph's painter) drive
/// the discs, rings, edges and numbers; an iteration counter sits above the graph. None when
/// the frames do not fit the drawing.
pub fn animated_svg(
    svg: &Element,
    marks: &Element,
    frames: &[super::graph_view::MarkFrame],
) -> Option<String> {
    let b = standalone(svg, Some(marks))?;
    let first = frames.first()?;
    if first.discs.len() != b.discs.len()
        || first.rings.len() != b.rings.len()
        || first.edges.len() != b.edges.len()
        || first.nums.len() != b.nums.len()
        || first.matched.len() != b.checks.len()
    {
        return None;
    }
    let n = frames.len();
    let total = (n - 1) as f64 * ANIM_FRAME_S + ANIM_HOLD_S;
    let at = |j: usize| {
        if j >= n {
            1.0
        } else {
            j as f64 * ANIM_FRAME_S / total
        }
    };
    // one value per frame, the last held to the end
    let key_times: String = (0..=n).map(|j| fx4(at(j))).collect::<Vec<_>>().join(";");
    let dur = format!("{total:.2}s");
    let animate = |el: &Element, attr: &str, values: Vec<String>, discrete: bool| {
        strip_style(el, attr);
        if values.iter().all(|v| *v == values[0]) {
            let _ = el.set_attribute(attr, &values[0]);
            return;
        }
        let mut vals = values;
        vals.push(vals[n - 1].clone());
        let mode = if discrete { "discrete" } else { "linear" };
        smil(el, attr, &vals.join(";"), &key_times, &dur, mode);
    };
    let ink = |c: &str| {
        if c == "currentColor" && !b.ink.is_empty() {
            b.ink.clone()
        } else {
            c.to_string()
        }
    };
    for (d, el) in b.discs.iter().enumerate() {
        animate(
            el,
            "r",
            frames.iter().map(|f| f.discs[d][0].clone()).collect(),
            false,
        );
        animate(
            el,
            "fill",
            frames.iter().map(|f| f.discs[d][1].clone()).collect(),
            true,
        );
    }
    for (d, el) in b.rings.iter().enumerate() {
        animate(
            el,
            "r",
            frames.iter().map(|f| f.rings[d].clone()).collect(),
            false,
        );
    }
    for (d, el) in b.edges.iter().enumerate() {
        animate(
            el,
            "stroke",
            frames.iter().map(|f| ink(&f.edges[d][0])).collect(),
            true,
        );
        animate(
            el,
            "stroke-width",
            frames.iter().map(|f| f.edges[d][1].clone()).collect(),
            false,
        );
    }
    for (d, el) in b.checks.iter().enumerate() {
        let shown = |f: &super::graph_view::MarkFrame| {
            if f.matched[d] { "inline" } else { "none" }.to_string()
        };
        animate(el, "display", frames.iter().map(shown).collect(), true);
    }
    // texts cannot be animated: one copy per run of equal text, shown during its run
    let show = |el: &Element, from: usize, to: usize| {
        strip_style(el, "visibility");
        let (values, times) = match (from, to) {
            (0, t) if t >= n => return,
            (0, t) => ("visible;hidden".to_string(), format!("0;{}", fx4(at(t)))),
            (f, t) if t >= n => ("hidden;visible".to_string(), format!("0;{}", fx4(at(f)))),
            (f, t) => (
                "hidden;visible;hidden".to_string(),
                format!("0;{};{}", fx4(at(f)), fx4(at(t))),
            ),
        };
        smil(el, "visibility", &values, &times, &dur, "discrete");
    };
    let runs = |texts: Vec<&str>| -> Vec<(usize, usize, String)> {
        let mut out: Vec<(usize, usize, String)> = vec![];
        for (j, t) in texts.into_iter().enumerate() {
            match out.last_mut() {
                Some(r) if r.2 == t => r.1 = j + 1,
                _ => out.push((j, j + 1, t.to_string())),
            }
        }
        out
    };
    for (d, el) in b.nums.iter().enumerate() {
        let texts = runs(frames.iter().map(|f| f.nums[d].as_str()).collect());
        if let [(_, _, text)] = texts.as_slice() {
            el.set_text_content(Some(text));
            continue;
        }
        // the copies share the number's style through a group (text styles inherit)
        let parent = el.parent_node()?;
        let group = svg_el("g")?;
        strip_style(el, "visibility");
        if let Some(style) = el.get_attribute("style") {
            let _ = group.set_attribute("style", &style);
        }
        let _ = el.remove_attribute("style");
        for (from, to, text) in texts {
            let c: Element = el.clone_node_with_deep(false).ok()?.dyn_into().ok()?;
            c.set_text_content(Some(&text));
            show(&c, from, to);
            let _ = group.append_child(&c);
        }
        let _ = parent.replace_child(&group, el);
    }
    // the iteration counter, in the room added above the drawing
    let vb: Vec<f64> = b
        .svg
        .get_attribute("viewBox")?
        .split_whitespace()
        .filter_map(crate::numparse::parse_f64)
        .collect();
    let [x0, y0, w, h] = <[f64; 4]>::try_from(vb).ok()?;
    let _ = b.svg.set_attribute(
        "viewBox",
        &format!("{x0} {} {w} {}", y0 - COUNTER_H, h + COUNTER_H),
    );
    let _ = b.svg.set_attribute("height", &format!("{}", h + COUNTER_H));
    if let Some(bg) = b.svg.first_element_child() {
        let _ = bg.set_attribute("y", &format!("{}", y0 - COUNTER_H));
    }
    let counter = svg_el("g")?;
    let style = format!(
        "font-family:sans-serif;font-size:14px;font-weight:600;fill:{};",
        if b.ink.is_empty() { "#1f2530" } else { &b.ink }
    );
    let steps: Vec<String> = frames
        .iter()
        .map(|f| format!("{} {}", tt::ANIM_ITERATION, f.step))
        .collect();
    for (from, to, text) in runs(steps.iter().map(String::as_str).collect()) {
        let t = svg_el("text")?;
        let _ = t.set_attribute("x", &format!("{}", x0 + 8.0));
        let _ = t.set_attribute("y", &format!("{}", y0 - 8.0));
        let _ = t.set_attribute("style", &style);
        t.set_text_content(Some(&text));
        show(&t, from, to);
        let _ = counter.append_child(&t);
    }
    let _ = b.svg.append_child(&counter);
    serialize(&b.svg)
}

/// Append a looping SMIL `<animate>` of `attr` to `el`.
fn smil(el: &Element, attr: &str, values: &str, key_times: &str, dur: &str, mode: &str) {
    if let Some(a) = svg_el("animate") {
        for (k, v) in [
            ("attributeName", attr),
            ("values", values),
            ("keyTimes", key_times),
            ("dur", dur),
            ("repeatCount", "indefinite"),
            ("calcMode", mode),
        ] {
            let _ = a.set_attribute(k, v);
        }
        let _ = el.append_child(&a);
    }
}

/// A key time with 4 decimals (SMIL wants them increasing; 0.2-s frames stay apart).
fn fx4(x: f64) -> String {
    format!("{x:.4}")
}

/// Remove one property from an element's inline style (so an animation of the presentation
/// attribute is not overridden by it).
fn strip_style(el: &Element, prop: &str) {
    if let Some(style) = el.get_attribute("style") {
        let kept: Vec<&str> = style
            .split(';')
            .filter(|d| !d.is_empty() && d.split(':').next().map(str::trim) != Some(prop))
            .collect();
        let _ = el.set_attribute("style", &kept.join(";"));
    }
}

/// The charts stacked into one PNG (as a data URL), each under its caption and colour keys.
pub fn plots_png(charts: &[super::plots::ExportChart]) -> Option<String> {
    plots_canvas(charts)?.to_data_url().ok()
}

/// The charts stacked into one canvas, each under a caption band in the charts' own colours.
pub fn plots_canvas(charts: &[super::plots::ExportChart]) -> Option<HtmlCanvasElement> {
    let doc = document()?;
    let w = charts.iter().map(|c| c.canvas.width()).max()?;
    // the captions scale with the charts (drawn as `DESIGN_W` CSS px wide)
    let s = w as f64 / super::plots::DESIGN_W;
    let (cap, line) = (24.0 * s, 18.0 * s);
    let (cap_font, key_font) = (
        format!("600 {:.0}px sans-serif", 13.0 * s),
        format!("{:.0}px sans-serif", 11.0 * s),
    );
    // a measuring context first: the keys wrap into rows under the caption
    let out: HtmlCanvasElement = doc.create_element("canvas").ok()?.dyn_into().ok()?;
    let ctx: web_sys::CanvasRenderingContext2d = out.get_context("2d").ok()??.dyn_into().ok()?;
    ctx.set_font(&key_font);
    type Row<'a> = Vec<(f64, &'a str, &'a str)>;
    let rows: Vec<Vec<Row>> = charts
        .iter()
        .map(|chart| {
            let mut rows: Vec<Row> = vec![];
            let mut x = f64::INFINITY;
            for (colour, name) in &chart.keys {
                let need = 18.0 * s + ctx.measure_text(name).map_or(0.0, |m| m.width());
                if x + need > w as f64 - 8.0 * s {
                    rows.push(vec![]);
                    x = 8.0 * s;
                }
                if let Some(r) = rows.last_mut() {
                    r.push((x, colour.as_str(), name.as_str()));
                }
                x += need + 12.0 * s;
            }
            rows
        })
        .collect();
    let block = |k: usize| cap + rows[k].len() as f64 * line;
    let h: f64 = charts
        .iter()
        .enumerate()
        .map(|(k, c)| c.canvas.height() as f64 + block(k))
        .sum();
    out.set_width(w);
    out.set_height(h.ceil() as u32);
    // (resizing reset the context's state); the bands in the charts' own colours
    let (bg, fg) = super::plots::theme_css();
    ctx.set_fill_style_str(&bg);
    ctx.fill_rect(0.0, 0.0, w as f64, h);
    let mut y = 0.0;
    for (k, chart) in charts.iter().enumerate() {
        ctx.set_fill_style_str(&fg);
        ctx.set_font(&cap_font);
        let _ = ctx.fill_text(&chart.caption, 8.0 * s, y + 17.0 * s);
        ctx.set_font(&key_font);
        for (r, row) in rows[k].iter().enumerate() {
            let ty = y + cap + r as f64 * line + 12.0 * s;
            for &(x, colour, name) in row {
                ctx.set_fill_style_str(colour);
                ctx.fill_rect(x, ty - 6.0 * s, 14.0 * s, 4.0 * s);
                ctx.set_fill_style_str(&fg);
                let _ = ctx.fill_text(name, x + 18.0 * s, ty);
            }
        }
        let top = y + block(k);
        let _ = ctx.draw_image_with_html_canvas_element(&chart.canvas, 0.0, top.round());
        y = top + chart.canvas.height() as f64;
    }
    Some(out)
}

/// Download text as a file (Blob + object URL + `<a download>`).
pub fn download_text(name: &str, mime: &str, text: &str) {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    download_url(name, &url);
    // revoke once the download has started
    if let Some(w) = web_sys::window() {
        let u = url.clone();
        let f = wasm_bindgen::closure::Closure::once_into_js(move || {
            let _ = web_sys::Url::revoke_object_url(&u);
        });
        let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(f.unchecked_ref(), 10_000);
    }
}

/// Click a temporary `<a href=url download=name>`.
pub fn download_url(name: &str, url: &str) {
    let Some(doc) = document() else { return };
    let Some(a) = doc
        .create_element("a")
        .ok()
        .and_then(|e| e.dyn_into::<HtmlAnchorElement>().ok())
    else {
        return;
    };
    a.set_href(url);
    a.set_download(name);
    let _ = a.set_attribute("style", "display:none");
    if let Some(body) = doc.body() {
        let _ = body.append_child(&a);
        a.click();
        let _ = body.remove_child(&a);
    }
}

/// The export buttons (a plain function, not a component: smaller wasm).
pub fn bar(on_cmd: &Callback<Cmd>) -> Html {
    let b = |id: &'static str, label: &'static str, hint: &'static str, kind: ExportKind| {
        let on = on_cmd.clone();
        let onclick = Callback::from(move |_| on.emit(Cmd::Export(kind)));
        html! { <button type="button" id={id} title={hint} {onclick}>{ label }</button> }
    };
    html! {
        <section class="panel export-panel" aria-label={tt::EXPORT_TITLE}>
            <h2>{ tt::EXPORT_TITLE }</h2>
            <div class="export-buttons">
                { b("export-json", tt::EXPORT_JSON, tt::EXPORT_JSON_HINT, ExportKind::GraphJson) }
                { b("export-svg", tt::EXPORT_SVG, tt::EXPORT_SVG_HINT, ExportKind::GraphSvg) }
                { b("export-png", tt::EXPORT_PNG, tt::EXPORT_PNG_HINT, ExportKind::PlotsPng) }
                { b("export-csv", tt::EXPORT_CSV, tt::EXPORT_CSV_HINT, ExportKind::TraceCsv) }
                { b("export-trace", tt::EXPORT_TRACE, tt::EXPORT_TRACE_HINT, ExportKind::TraceJson) }
                { b("export-anim", tt::EXPORT_ANIM, tt::EXPORT_ANIM_HINT, ExportKind::Animation) }
            </div>
        </section>
    }
}
