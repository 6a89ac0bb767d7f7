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
}

/// Run the export (called by the reducer; changes nothing in the state).
pub fn export(kind: ExportKind, st: &AppState, series: &super::sim::Series) {
    let base = if super::presets::get(&st.preset).is_some() {
        st.preset.clone()
    } else {
        file_base(&st.sim)
    };
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
            let charts = super::plots::export_charts(&st.info, &st.snap, series, st.scrub);
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
    }
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
    s.reset();
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
    inline(svg, &copy);
    inline_all(svg, &copy)?;
    if let Some(m) = marks {
        let layer: Element = m.clone_node_with_deep(true).ok()?.dyn_into().ok()?;
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
    let doc = document()?;
    let rect = doc
        .create_element_ns(Some("http://www.w3.org/2000/svg"), "rect")
        .ok()?;
    for (k, v) in [("width", "100%"), ("height", "100%"), ("fill", bg.as_str())] {
        let _ = rect.set_attribute(k, v);
    }
    let _ = copy.insert_before(&rect, copy.first_child().as_ref());
    let _ = copy.set_attribute("xmlns", "http://www.w3.org/2000/svg");
    let s = web_sys::XmlSerializer::new()
        .ok()?
        .serialize_to_string(&copy)
        .ok()?;
    Some(format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{s}\n"))
}

/// The charts stacked into one PNG (as a data URL), each under its caption and colour keys.
pub fn plots_png(charts: &[super::plots::ExportChart]) -> Option<String> {
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
    // (resizing reset the context's state)
    ctx.set_fill_style_str("#ffffff");
    ctx.fill_rect(0.0, 0.0, w as f64, h);
    let mut y = 0.0;
    for (k, chart) in charts.iter().enumerate() {
        ctx.set_fill_style_str("#1f2530");
        ctx.set_font(&cap_font);
        let _ = ctx.fill_text(&chart.caption, 8.0 * s, y + 17.0 * s);
        ctx.set_font(&key_font);
        for (r, row) in rows[k].iter().enumerate() {
            let ty = y + cap + r as f64 * line + 12.0 * s;
            for &(x, colour, name) in row {
                ctx.set_fill_style_str(colour);
                ctx.fill_rect(x, ty - 6.0 * s, 14.0 * s, 4.0 * s);
                ctx.set_fill_style_str("#1f2530");
                let _ = ctx.fill_text(name, x + 18.0 * s, ty);
            }
        }
        let top = y + block(k);
        let _ = ctx.draw_image_with_html_canvas_element(&chart.canvas, 0.0, top.round());
        y = top + chart.canvas.height() as f64;
    }
    out.to_data_url().ok()
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
            </div>
        </section>
    }
}
