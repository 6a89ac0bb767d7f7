//! The graph as SVG: one `<g class="node">` per node with its value and error units, the
//! backprop ghost rings, clamp marks and edges; plus the legend.
use std::fmt::Write;
use std::rc::Rc;

use yew::prelude::*;

use super::layout::EdgeRoute;
use super::sim::{
    short_id, GraphInfo, Kind, NodeInfo, NodeSnap, Snap, HEAD_H, MAX_UNITS, ROW_H, ROW_H_VEC,
};
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

#[derive(Properties, PartialEq)]
pub struct GraphProps {
    pub info: Rc<GraphInfo>,
    pub snap: Rc<Snap>,
    /// Smoothed `est` values for drawing (same shape as `snap.nodes[i].est`).
    pub shown: Rc<Vec<Vec<f64>>>,
    pub global: bool,
    /// The locality lens / slow-motion highlight (None: everything drawn normally).
    #[prop_or_default]
    pub lens: Option<Rc<super::hover::Lens>>,
    /// Narrow screens: the stacked one-column layout (fits the width at a legible size).
    #[prop_or_default]
    pub stacked: bool,
}

/// Scales: per node, or one for computed nodes and one for leaves.
fn scales(info: &GraphInfo, snap: &Snap, global: bool) -> Vec<f64> {
    let node_max = |n: &NodeSnap| {
        n.bp.iter()
            .chain(n.est.iter())
            .fold(0.0f64, |m, x| m.max(x.abs()))
    };
    let per: Vec<f64> = snap.nodes.iter().map(node_max).collect();
    let fix = |s: f64| if s > 1e-300 && s.is_finite() { s } else { 1.0 };
    if !global {
        return per.into_iter().map(fix).collect();
    }
    let mut gc: f64 = 0.0;
    let mut gl: f64 = 0.0;
    for (i, n) in info.nodes.iter().enumerate() {
        let m = per.get(i).copied().unwrap_or(0.0);
        if n.is_leaf() {
            gl = gl.max(m);
        } else {
            gc = gc.max(m);
        }
    }
    info.nodes
        .iter()
        .map(|n| fix(if n.is_leaf() { gl } else { gc }))
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

fn join(v: &[f64]) -> String {
    v.iter().map(|x| full(*x)).collect::<Vec<_>>().join(",")
}

/// The hover text (full precision).
fn tooltip(n: &NodeInfo, s: &NodeSnap) -> String {
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
                t.push_str("\nclamped to the target");
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
                t.push_str("\nclamped to the data");
            }
        }
    }
    t
}

/// A filled disc (estimate) inside a dashed ring (backprop target). The disc is opaque (its
/// size carries the magnitude) so the sign colour keeps 3:1 on the unit background.
fn unit(cx: f64, cy: f64, rmax: f64, est: f64, bp: f64, scale: f64, class: &'static str) -> Html {
    let re = radius(est, scale, rmax);
    let rb = radius(bp, scale, rmax).max(1.5);
    html! {
        <g class={classes!("err-unit", class)}>
            <circle class="unit-bg" cx={format!("{cx:.1}")} cy={format!("{cy:.1}")} r={format!("{rmax:.1}")} />
            <circle class="est" cx={format!("{cx:.1}")} cy={format!("{cy:.1}")} r={format!("{re:.2}")}
                fill={sign_colour(est)} />
            <circle class="ghost" cx={format!("{cx:.1}")} cy={format!("{cy:.1}")} r={format!("{rb:.2}")}
                stroke={sign_colour(bp)} />
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

fn node_view(
    i: usize,
    n: &NodeInfo,
    s: &NodeSnap,
    shown: &[f64],
    scale: f64,
    r: super::layout::Rect,
    mark: Option<u8>,
) -> Html {
    let computed = n.kind == Kind::Computed;
    let clamped = n.kind == Kind::Input || n.output;
    let kind = match n.kind {
        Kind::Input => "input",
        Kind::Param => "param",
        Kind::Computed => "computed",
    };
    let class = classes!(
        "node",
        kind,
        n.output.then_some("output"),
        clamped.then_some("clamped"),
        mark.map(|m| match m {
            2 => "lens-focus",
            1 => "lens-near",
            _ => "lens-dim",
        })
    );
    let vec = n.len > 1;
    let row_h = if vec { ROW_H_VEC } else { ROW_H };
    let rows = n.len.min(MAX_UNITS);
    let w = r.w;
    let rmax = if vec { 9.0 } else { 15.0 };
    let ucx = w - rmax - 8.0;
    let rows_html = (0..rows).map(|k| {
        let y0 = HEAD_H + row_h * k as f64;
        let cy = y0 + row_h / 2.0;
        let v = s.v.get(k).copied().unwrap_or(0.0);
        let est = shown.get(k).copied().unwrap_or(0.0);
        let bp = s.bp.get(k).copied().unwrap_or(0.0);
        let true_est = s.est.get(k).copied().unwrap_or(0.0);
        let mu = s.mu.get(k).copied().unwrap_or(0.0);
        if computed {
            let vr = if vec { 5.5 } else { 9.0 };
            let body = if vec {
                html! {
                    <>
                    <text class="num" x="24" y={format!("{:.1}", cy + 3.5)}>{ format!("v {}", short(v)) }</text>
                    <text class="num" x="88" y={format!("{:.1}", cy + 3.5)}>{ format!("ε {}", short(true_est)) }</text>
                    </>
                }
            } else {
                html! {
                    <>
                    <text class="num" x="28" y={format!("{:.1}", cy - 3.0)}>{ format!("v {}", short(v)) }</text>
                    <text class="num muted" x="28" y={format!("{:.1}", cy + 11.0)}>{ format!("μ {}", short(mu)) }</text>
                    <text class="num" x="94" y={format!("{:.1}", cy - 3.0)}>{ format!("ε {}", short(true_est)) }</text>
                    <text class="num muted" x="94" y={format!("{:.1}", cy + 11.0)}>{ format!("δ {}", short(bp)) }</text>
                    </>
                }
            };
            html! {
                <g class="row" data-k={k.to_string()}>
                    <circle class="value-unit" cx="13" cy={format!("{cy:.1}")} r={format!("{vr}")} />
                    { body }
                    { unit(ucx, cy, rmax, est, bp, scale, "error-unit") }
                </g>
            }
        } else {
            let body = if vec {
                html! { <text class="num" x="10" y={format!("{:.1}", cy + 3.5)}>{ format!("{}  ĝ {}", short(v), short(true_est)) }</text> }
            } else {
                html! {
                    <>
                    <text class="num" x="10" y={format!("{:.1}", cy - 4.0)}>{ format!("= {}", short(v)) }</text>
                    <text class="num muted" x="10" y={format!("{:.1}", cy + 10.0)}>{ format!("ĝ {}", short(true_est)) }</text>
                    </>
                }
            };
            html! {
                <g class="row" data-k={k.to_string()}>
                    { body }
                    { unit(ucx, cy, rmax, est, bp, scale, "grad-unit") }
                </g>
            }
        }
    });
    let more = (n.len > MAX_UNITS).then(|| {
        html! { <text class="muted small" x="10" y={format!("{:.1}", HEAD_H + row_h * rows as f64 + 10.0)}>{ format!("+{} more", n.len - MAX_UNITS) }</text> }
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
    html! {
        <g class={class} data-id={n.id.clone()} data-index={i.to_string()} data-kind={kind}
            data-v={join(&s.v)} data-eps={join(&s.est)} data-bp={join(&s.bp)} data-gap={full(s.gap)}
            transform={format!("translate({:.1},{:.1})", r.x, r.y)}
            tabindex="0" role="img" aria-label={tooltip(n, s)}>
            <title>{ tooltip(n, s) }</title>
            <rect class="card" width={format!("{:.1}", r.w)} height={format!("{:.1}", r.h)} rx="10" />
            { for swatch }
            <text class="node-id" x={tx.to_string()} y="18">{ title_id }<tspan class="formula" dx="6">{ subtitle }</tspan></text>
            { if clamped { lock(w - 12.0, 13.0) } else { html!{} } }
            { for rows_html }
            { for more }
        </g>
    }
}

#[function_component(GraphView)]
pub fn graph_view(p: &GraphProps) -> Html {
    let info = &p.info;
    let lay = if p.stacked {
        &info.stacked
    } else {
        &info.layout
    };
    let sc = scales(info, &p.snap, p.global);
    let lens = p.lens.as_deref();
    let edges = lay.edges.iter().enumerate().map(|(ei, e)| {
        let lit = lens.map(|l| if l.edge.get(ei).copied().unwrap_or(false) { "edge lens-lit" } else { "edge lens-dim" }).unwrap_or("edge");
        // the error flowing back along the edge: the child's error relative to its scale
        let child = &p.snap.nodes[e.to];
        let est = p.shown.get(e.to).and_then(|v| v.iter().copied().max_by(|a, b| a.abs().total_cmp(&b.abs()))).unwrap_or(0.0);
        let t = (est.abs() / sc[e.to]).min(1.0);
        let _ = child;
        // a coloured (signed) edge is opaque, so its colour keeps 3:1 on the panel (WCAG
        // 1.4.11); the size of the error is in its width. Quiet edges stay faint and neutral.
        let (colour, opacity) = if t > 0.02 { (sign_colour(est), 1.0) } else { ("currentColor", 0.28 + 0.6 * t) };
        html! {
            <path class={lit} d={route_path(e)} stroke={colour}
                stroke-opacity={format!("{opacity:.2}")} stroke-width={format!("{:.2}", 1.3 + 2.2 * t)}
                data-from={info.nodes[e.from].id.clone()} data-to={info.nodes[e.to].id.clone()} marker-end="url(#arrow)" />
        }
    });
    let empty: Vec<f64> = vec![];
    let nodes = info.nodes.iter().enumerate().map(|(i, n)| {
        let shown = p.shown.get(i).map(|v| v.as_slice()).unwrap_or(&empty);
        let mark = lens.map(|l| l.mark.get(i).copied().unwrap_or(0));
        node_view(i, n, &p.snap.nodes[i], shown, sc[i], lay.boxes[i], mark)
    });
    html! {
        <svg id="graph" class={classes!("graph", lens.is_some().then_some("lens-on"), p.stacked.then_some("stacked"))} viewBox={format!("0 0 {:.0} {:.0}", lay.width, lay.height)}
            width={format!("{:.0}", lay.width)} height={format!("{:.0}", lay.height)}
            role="group" aria-label={text::GRAPH_LABEL} preserveAspectRatio="xMidYMin meet">
            <defs>
                <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                    <path d="M0,1 L9,5 L0,9 z" class="arrowhead" />
                </marker>
            </defs>
            <g class="edges">{ for edges }</g>
            <g class="nodes">{ for nodes }</g>
        </svg>
    }
}

#[derive(Properties, PartialEq)]
pub struct LegendProps {
    pub global: bool,
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
                { item(html!{ <><circle cx="20" cy="12" r="6" fill={POS} /><circle class="ghost" cx="20" cy="12" r="10" stroke={POS} /></> }, text::LEGEND_PARAM) }
                { item(html!{ <path d="M2,12 C14,12 26,12 38,12" stroke={NEG} stroke-width="3" fill="none" /> }, text::LEGEND_EDGE) }
                <li class="muted">{ if p.global { text::LEGEND_SCALE_GLOBAL } else { text::LEGEND_SCALE_NODE } }</li>
            </ul>
        </details>
    }
}
