//! The table view: every node's numbers as accessible `<table>`s (caption, column and row
//! headers), an alternative to the SVG picture for screen readers and for reading exact values.
//!
//! * Computed nodes: v, μ, ε, δ = −∂L/∂v (backprop) and the gap |ε/σ² − δ| (σ² = 1 unless the
//!   graph sets a variance, then the header says so).
//! * Parameters and inputs: value, the PC estimate ĝ, backprop ∂L/∂θ and |ĝ − ∂L/∂θ|.
//!
//! Vector nodes get one row per element (up to [`MAX_ROWS`], then a "+k more" row). Node ids
//! are user text and are rendered as text nodes only.
use std::rc::Rc;

use yew::prelude::*;

use super::sim::{short_id, GraphInfo, Kind, Snap};
use super::text::{full, num, sci};

pub const MAX_ROWS: usize = 32;

#[derive(Properties, PartialEq)]
pub struct TableProps {
    pub info: Rc<GraphInfo>,
    pub snap: Rc<Snap>,
    /// The run's status word (settled, relaxing, …) for the caption.
    #[prop_or_default]
    pub status: AttrValue,
}

fn cell(x: f64) -> Html {
    html! { <td data-value={full(x)}>{ num(x) }</td> }
}

fn gap_cell(x: f64) -> Html {
    html! { <td data-value={full(x)}>{ sci(x) }</td> }
}

fn row_name(id: &str, len: usize, k: usize) -> String {
    if len > 1 {
        format!("{}[{k}]", short_id(id))
    } else {
        short_id(id)
    }
}

#[function_component(TableView)]
pub fn table_view(p: &TableProps) -> Html {
    let info = &p.info;
    let snap = &p.snap;
    let unit_var = info
        .nodes
        .iter()
        .all(|n| n.kind != Kind::Computed || n.variance == 1.0);
    let gap_head = if unit_var {
        "|ε − δ|"
    } else {
        "|ε/σ² − δ|"
    };
    let mut computed_rows = vec![];
    let mut leaf_rows = vec![];
    for (i, n) in info.nodes.iter().enumerate() {
        let Some(s) = snap.nodes.get(i) else { continue };
        let shown = n.len.min(MAX_ROWS);
        for k in 0..shown {
            let g = |v: &Vec<f64>| v.get(k).copied().unwrap_or(0.0);
            let name = row_name(&n.id, n.len, k);
            if n.kind == Kind::Computed {
                let var = if n.variance > 0.0 { n.variance } else { 1.0 };
                let delta = g(&s.bp) / var;
                let gap = (g(&s.est) / var - delta).abs();
                let note = match (n.output, snap.released) {
                    (false, _) => "",
                    (true, None) => " (output, clamped)",
                    (true, Some(_)) => " (output, released)",
                };
                computed_rows.push(html! {
                    <tr data-id={n.id.clone()} data-k={k.to_string()}>
                        <th scope="row">{ name }<span class="muted">{ note }</span></th>
                        <td class="formula">{ n.formula.clone() }</td>
                        { cell(g(&s.v)) }
                        { cell(g(&s.mu)) }
                        { cell(g(&s.est)) }
                        { cell(delta) }
                        { gap_cell(gap) }
                    </tr>
                });
            } else {
                let kind = if n.kind == Kind::Param {
                    "parameter"
                } else {
                    "input (clamped)"
                };
                let gap = (g(&s.est) - g(&s.bp)).abs();
                leaf_rows.push(html! {
                    <tr data-id={n.id.clone()} data-k={k.to_string()}>
                        <th scope="row">{ name }</th>
                        <td>{ kind }</td>
                        { cell(g(&s.v)) }
                        { cell(g(&s.est)) }
                        { cell(g(&s.bp)) }
                        { gap_cell(gap) }
                    </tr>
                });
            }
        }
        if n.len > MAX_ROWS {
            let more = html! {
                <tr><th scope="row">{ short_id(&n.id) }</th><td colspan="6" class="muted">{ format!("+{} more elements", n.len - MAX_ROWS) }</td></tr>
            };
            if n.kind == Kind::Computed {
                computed_rows.push(more);
            } else {
                leaf_rows.push(more);
            }
        }
    }
    let when = if p.status.is_empty() {
        format!("iteration {}", snap.step)
    } else {
        format!("iteration {}, {}", snap.step, p.status)
    };
    html! {
        <div class="table-view" id="table-view">
            <div class="table-scroll" tabindex="0" role="region" aria-labelledby="values-caption">
                <table id="values-table" class="values">
                    <caption id="values-caption">{ format!("Computed nodes at {when}: PC error ε against the backprop target δ") }</caption>
                    <thead>
                        <tr>
                            <th scope="col">{ "node" }</th>
                            <th scope="col" class="formula">{ "formula" }</th>
                            <th scope="col" abbr="value">{ "v" }</th>
                            <th scope="col" abbr="prediction">{ "μ" }</th>
                            <th scope="col" abbr="error">{ "ε = v − μ" }</th>
                            <th scope="col" abbr="backprop">{ "δ = −∂L/∂v" }</th>
                            <th scope="col" abbr="gap">{ gap_head }</th>
                        </tr>
                    </thead>
                    <tbody>{ for computed_rows }</tbody>
                </table>
            </div>
            <div class="table-scroll" tabindex="0" role="region" aria-labelledby="params-caption">
                <table id="params-table" class="values">
                    <caption id="params-caption">{ format!("Parameters and inputs at {when}: PC estimate ĝ against backprop ∂L/∂θ") }</caption>
                    <thead>
                        <tr>
                            <th scope="col">{ "name" }</th>
                            <th scope="col">{ "kind" }</th>
                            <th scope="col">{ "value" }</th>
                            <th scope="col" abbr="PC estimate">{ "ĝ" }</th>
                            <th scope="col" abbr="backprop">{ "∂L/∂θ" }</th>
                            <th scope="col" abbr="gap">{ "|ĝ − ∂L/∂θ|" }</th>
                        </tr>
                    </thead>
                    <tbody>{ for leaf_rows }</tbody>
                </table>
            </div>
        </div>
    }
}
