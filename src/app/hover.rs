//! The hover / focus card: one unit's live numbers and its local update rule with the current
//! numbers filled in (MathML), computed from the engine state through the engine's own local
//! VJPs (pc-math §1.7); and the locality lens (what that update reads).
use std::rc::Rc;

use yew::prelude::*;

use crate::engine::backprop::Point;
use crate::engine::ops::{node_forward, node_vjp, Intermediates, Slots};
use crate::engine::{Graph, Session};

use super::sim::{short_id, GraphInfo, Kind};
use super::text::{full, num};
use super::text_story as ts;

/// One child's contribution `(J_{j←i}ᵀ ξ_j)_k` to unit `k` of the focused node.
#[derive(Clone, Debug, PartialEq)]
pub struct Term {
    pub child: usize,
    /// `∂f_j/∂v_i` as a short formula ("1" when it is one).
    pub label: String,
    /// The Jacobian entry, when one element `m` of the child reads unit `k` (else compact form).
    pub jac: Option<f64>,
    pub m: usize,
    /// `ξ_j[m]` (used with `jac`).
    pub xi: f64,
    /// The whole contribution.
    pub value: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Card {
    pub node: usize,
    pub k: usize,
    pub len: usize,
    pub kind: Kind,
    pub output: bool,
    pub name: String,
    pub v: f64,
    pub mu: f64,
    pub eps: f64,
    pub xi: f64,
    pub var: f64,
    /// `δ = −∂L/∂v` (computed) or `∂L/∂θ` (leaves).
    pub bp: f64,
    /// Leaves: the engine's `ĝ`.
    pub ghat: f64,
    /// η, or σ² for the exact variants.
    pub rate: f64,
    pub strict: bool,
    pub zil: bool,
    pub terms: Vec<Term>,
    /// Hidden: `Δv = rate·(−ξ + Σ terms)`; leaves: `−Σ terms`; output: ε.
    pub result: f64,
}

/// The point the local Jacobians are evaluated at: feedforward (fixed prediction) or the
/// current values (strict, Z-IL).
fn current_point(s: &Session) -> Point {
    let g = s.graph();
    let lay = g.layout();
    let mut p = Point::new(g);
    for i in 0..g.nodes().len() {
        let o = lay.off[i];
        let src = s.value(i);
        p.v[o..o + src.len()].copy_from_slice(src);
    }
    let mut out = vec![0.0; lay.max_len];
    for j in 0..g.nodes().len() {
        if g.nodes()[j].is_leaf() {
            continue;
        }
        let im = Intermediates {
            pre: &mut p.pre,
            dpre: &mut p.dpre,
            z: &mut p.z,
            dact: &mut p.dact,
            dop: &mut p.dop,
        };
        node_forward(g, j, &p.v, im, &mut out[..lay.len[j]]);
    }
    p
}

fn d_label(f: &str, x: &str) -> String {
    match f {
        "tanh" => format!("(1−tanh²{x})"),
        "sigmoid" => format!("σ′{x}"),
        "relu" => format!("[{x}>0]"),
        "sin" => format!("cos{x}"),
        "cos" => format!("−sin{x}"),
        "exp" => format!("exp{x}"),
        "square" => format!("2{x}"),
        "sqrt" => format!("1/(2√{x})"),
        "tan" => format!("(1+tan²{x})"),
        "identity" => "1".into(),
        other => format!("{other}′{x}"),
    }
}

/// `∂f_j/∂v_i` as a short formula, from the op, `act` and `pre` (pc-math §1.7).
pub fn jac_label(g: &Graph, j: usize, i: usize) -> String {
    let n = &g.nodes()[j];
    let name = |q: usize| short_id(&g.nodes()[q].id);
    let pre = |s: usize| -> Option<&str> {
        n.pre
            .as_ref()
            .and_then(|v| v.get(s))
            .map(|x| x.as_str())
            .filter(|x| *x != "identity")
    };
    let arg = |s: usize| {
        let p = name(n.parents[s]);
        match pre(s) {
            Some(f) => format!("{f}({p})"),
            None => p,
        }
    };
    let slots: Vec<usize> = (0..n.parents.len())
        .filter(|&s| n.parents[s] == i)
        .collect();
    let mut parts: Vec<String> = Vec::new();
    for &s in &slots {
        let mut f: Vec<String> = Vec::new();
        let base = match n.op.as_str() {
            "add" | "sum" => "1".to_string(),
            "sub" => (if s == 0 { "1" } else { "−1" }).to_string(),
            "mul" => arg(1 - s.min(1)),
            "matmul" | "linear" => match s {
                0 => arg(1),
                1 => format!("{}ᵀ", arg(0)),
                _ => "1".into(),
            },
            op => d_label(op, &format!("({})", arg(s))),
        };
        if base != "1" {
            f.push(base);
        }
        if let Some(a) = n.act.as_deref().filter(|a| *a != "identity") {
            f.push(d_label(a, &format!("(z_{})", short_id(&n.id))));
        }
        if let Some(pf) = pre(s) {
            let d = d_label(pf, &format!("({})", name(i)));
            if d != "1" {
                f.push(d);
            }
        }
        parts.push(if f.is_empty() {
            "1".into()
        } else {
            f.join("·")
        });
    }
    parts.join(" + ")
}

/// The card of unit `k` of node `i` from the engine state.
pub fn card(s: &Session, info: &GraphInfo, i: usize, k: usize) -> Option<Card> {
    let g = s.graph();
    let n = info.nodes.get(i)?;
    let lay = g.layout();
    let k = k.min(n.len.saturating_sub(1));
    let at_k = |v: &[f64]| v.get(k).copied().unwrap_or(0.0);
    let variant = s.variant();
    let strict = variant.is_strict();
    let owned;
    let at: &Point = if strict {
        owned = current_point(s);
        &owned
    } else {
        &s.reference().ff
    };
    let mut children: Vec<usize> = g.children(i).to_vec();
    children.dedup();
    let mut gz = vec![0.0; lay.max_len];
    let mut scratch = vec![0.0; lay.max_len];
    let mut acc = vec![0.0; lay.total];
    let oi = lay.off[i] + k;
    let mut terms = Vec::with_capacity(children.len());
    for &j in &children {
        acc.iter_mut().for_each(|x| *x = 0.0);
        let xi_j = s.xi(j);
        node_vjp(
            g,
            j,
            at,
            xi_j,
            1.0,
            Slots::All,
            &mut gz,
            &mut scratch,
            &mut acc,
        );
        let value = acc[oi];
        // the Jacobian row: which elements of the child read unit k
        let lj = lay.len[j];
        let mut jac = None;
        let mut m = 0;
        if lj <= 64 {
            let mut seed = vec![0.0; lj];
            let mut hits: Vec<(usize, f64)> = Vec::new();
            for mm in 0..lj {
                seed.iter_mut().for_each(|x| *x = 0.0);
                seed[mm] = 1.0;
                acc.iter_mut().for_each(|x| *x = 0.0);
                node_vjp(
                    g,
                    j,
                    at,
                    &seed,
                    1.0,
                    Slots::All,
                    &mut gz,
                    &mut scratch,
                    &mut acc,
                );
                if acc[oi] != 0.0 {
                    hits.push((mm, acc[oi]));
                }
            }
            match hits.as_slice() {
                [] => {
                    m = if lj == n.len { k } else { 0 };
                    jac = Some(0.0);
                }
                [(mm, jv)] => {
                    m = *mm;
                    jac = Some(*jv);
                }
                _ => {}
            }
        }
        terms.push(Term {
            child: j,
            label: jac_label(g, j, i),
            jac,
            m,
            xi: xi_j.get(m).copied().unwrap_or(0.0),
            value,
        });
    }
    let sum: f64 = terms.iter().map(|t| t.value).sum();
    let rate = if variant.is_exact() {
        n.variance
    } else {
        s.eta()
    };
    let v = at_k(s.value(i));
    let (mu, eps, xi, bp, ghat, result) = match n.kind {
        Kind::Computed => {
            let xi = at_k(s.xi(i));
            let result = if n.output {
                at_k(s.error(i))
            } else {
                rate * (-xi + sum)
            };
            (
                at_k(s.prediction(i)),
                at_k(s.error(i)),
                xi,
                -at_k(s.bp_grad(i)),
                0.0,
                result,
            )
        }
        _ => (v, 0.0, 0.0, at_k(s.bp_grad(i)), at_k(s.pc_grad(i)), -sum),
    };
    Some(Card {
        node: i,
        k,
        len: n.len,
        kind: n.kind,
        output: n.output,
        name: short_id(&n.id),
        v,
        mu,
        eps,
        xi,
        var: n.variance,
        bp,
        ghat,
        rate,
        strict,
        zil: variant == crate::engine::Variant::Zil,
        terms,
        result,
    })
}

// ---- the lens --------------------------------------------------------------------------------

/// Per node: 0 dimmed, 1 read by the update (neighbour), 2 focused; per layout edge: lit.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Lens {
    pub mark: Vec<u8>,
    pub edge: Vec<bool>,
}

pub fn children_of(info: &GraphInfo, i: usize) -> Vec<usize> {
    info.nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.parents.contains(&i))
        .map(|(j, _)| j)
        .collect()
}

/// What the update of node `i` reads: its parents, its children and the children's other
/// parents (co-parents).
pub fn lens_for(info: &GraphInfo, i: usize) -> Lens {
    let n = info.nodes.len();
    let mut mark = vec![0u8; n];
    if i >= n {
        return Lens::default();
    }
    let ch = children_of(info, i);
    for &p in &info.nodes[i].parents {
        mark[p] = 1;
    }
    for &j in &ch {
        mark[j] = 1;
        for &p in &info.nodes[j].parents {
            mark[p] = 1;
        }
    }
    mark[i] = 2;
    let edge = info
        .layout
        .edges
        .iter()
        .map(|e| (e.to == i || ch.contains(&e.to)) && mark[e.from] > 0)
        .collect();
    Lens { mark, edge }
}

/// A lens that lights the given nodes (2), their `near` set (1) and the edges between lit nodes.
pub fn lens_of_sets(info: &GraphInfo, focus: &[usize], near: &[usize]) -> Lens {
    let mut mark = vec![0u8; info.nodes.len()];
    for &j in near {
        if let Some(m) = mark.get_mut(j) {
            *m = 1;
        }
    }
    for &j in focus {
        if let Some(m) = mark.get_mut(j) {
            *m = 2;
        }
    }
    let edge = info
        .layout
        .edges
        .iter()
        .map(|e| mark[e.from] > 0 && mark[e.to] > 0 && (mark[e.from] == 2 || mark[e.to] == 2))
        .collect();
    Lens { mark, edge }
}

// ---- MathML ----------------------------------------------------------------------------------

fn mi(s: &str) -> Html {
    html! { <mi>{ s.to_string() }</mi> }
}
fn mo(s: &'static str) -> Html {
    html! { <mo>{ s }</mo> }
}
fn sub(base: &str, s: &str) -> Html {
    html! { <msub><mi>{ base.to_string() }</mi><mi>{ s.to_string() }</mi></msub> }
}
/// A number; negative numbers in parentheses when `paren`.
fn mn(x: f64, paren: bool) -> Html {
    let s = num(x);
    if let Some(abs) = s.strip_prefix('-') {
        let inner = html! { <><mo>{ "−" }</mo><mn>{ abs.to_string() }</mn></> };
        if paren {
            html! { <mrow><mo>{ "(" }</mo>{ inner }<mo>{ ")" }</mo></mrow> }
        } else {
            html! { <mrow>{ inner }</mrow> }
        }
    } else {
        html! { <mn>{ s }</mn> }
    }
}

fn err_sym(var: f64) -> &'static str {
    if var == 1.0 {
        "ε"
    } else {
        "ξ"
    }
}

/// Symbolic and numeric forms of the sum of the children's terms.
fn terms_math(c: &Card, info: &GraphInfo) -> (Html, Html) {
    let mut sym: Vec<Html> = Vec::new();
    let mut val: Vec<Html> = Vec::new();
    for (n, t) in c.terms.iter().enumerate() {
        let child = &info.nodes[t.child];
        let cid = short_id(&child.id);
        let e = err_sym(child.variance);
        if n > 0 {
            sym.push(mo("+"));
            val.push(mo("+"));
        }
        let idx = if child.len > 1 {
            format!("{cid},{}", t.m + 1)
        } else {
            cid.clone()
        };
        match t.jac {
            Some(j) => {
                if t.label != "1" {
                    sym.push(
                        html! { <mrow><mtext>{ t.label.clone() }</mtext><mo>{ "·" }</mo></mrow> },
                    );
                    val.push(html! { <mrow>{ mn(j, true) }<mo>{ "·" }</mo></mrow> });
                }
                sym.push(sub(e, &idx));
                val.push(mn(t.xi, true));
            }
            None => {
                sym.push(html! {
                    <msub><mrow><mo>{ "(" }</mo><msup><mi>{ "J" }</mi><mi>{ "T" }</mi></msup>{ sub(e, &cid) }<mo>{ ")" }</mo></mrow><mn>{ (c.k + 1).to_string() }</mn></msub>
                });
                val.push(mn(t.value, true));
            }
        }
    }
    if c.terms.is_empty() {
        sym.push(html! { <mn>{ "0" }</mn> });
        val.push(html! { <mn>{ "0" }</mn> });
    }
    (
        html! { <mrow>{ for sym }</mrow> },
        html! { <mrow>{ for val }</mrow> },
    )
}

/// The update rule as MathML: symbolic line, numbers line, result.
pub fn rule_math(c: &Card, info: &GraphInfo) -> Html {
    let me = &c.name;
    let e = err_sym(c.var);
    let (sym, val) = terms_math(c, info);
    if c.kind == Kind::Computed && c.output {
        return html! {
            <math display="block" class="rule">
                <mrow>{ sub(e, me) }<mo>{ "=" }</mo><mi>{ "y" }</mi><mo>{ "−" }</mo><mover><mi>{ "y" }</mi><mo>{ "^" }</mo></mover>
                <mo>{ "=" }</mo>{ mn(c.v, false) }<mo>{ "−" }</mo>{ mn(c.mu, true) }
                <mo>{ "=" }</mo><mn class="result">{ num(c.result) }</mn></mrow>
            </math>
        };
    }
    if c.kind == Kind::Computed {
        let rate = if c.var != 1.0 && (c.rate - c.var).abs() < 1e-15 {
            html! { <msup><mi>{ "σ" }</mi><mn>{ "2" }</mn></msup> }
        } else {
            mi("η")
        };
        return html! {
            <math display="block" class="rule">
                <mtable columnalign="right left">
                    <mtr><mtd><mrow><mi>{ "Δ" }</mi>{ sub("v", me) }</mrow></mtd>
                        <mtd><mrow><mo>{ "=" }</mo>{ rate }<mo>{ "·" }</mo><mo>{ "(" }</mo><mo>{ "−" }</mo>{ sub(e, me) }<mo>{ "+" }</mo>{ sym }<mo>{ ")" }</mo></mrow></mtd></mtr>
                    <mtr><mtd></mtd>
                        <mtd><mrow><mo>{ "=" }</mo>{ mn(c.rate, false) }<mo>{ "·" }</mo><mo>{ "(" }</mo><mo>{ "−" }</mo>{ mn(c.xi, true) }<mo>{ "+" }</mo>{ val }<mo>{ ")" }</mo></mrow></mtd></mtr>
                    <mtr><mtd></mtd><mtd><mrow><mo>{ "=" }</mo><mn class="result">{ num(c.result) }</mn></mrow></mtd></mtr>
                </mtable>
            </math>
        };
    }
    html! {
        <math display="block" class="rule">
            <mtable columnalign="right left">
                <mtr><mtd><msub><mover><mi>{ "g" }</mi><mo>{ "^" }</mo></mover><mi>{ me.clone() }</mi></msub></mtd>
                    <mtd><mrow><mo>{ "=" }</mo><mo>{ "−" }</mo><mo>{ "(" }</mo>{ sym }<mo>{ ")" }</mo></mrow></mtd></mtr>
                <mtr><mtd></mtd><mtd><mrow><mo>{ "=" }</mo><mo>{ "−" }</mo><mo>{ "(" }</mo>{ val }<mo>{ ")" }</mo></mrow></mtd></mtr>
                <mtr><mtd></mtd><mtd><mrow><mo>{ "=" }</mo><mn class="result">{ num(c.result) }</mn></mrow></mtd></mtr>
            </mtable>
        </math>
    }
}

fn row(q: &'static str, label: String, x: f64) -> Html {
    html! {
        <div class="q" data-q={q} data-value={full(x)}>
            <dt>{ label }</dt><dd>{ num(x) }</dd>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct CardProps {
    pub card: Option<Rc<Card>>,
    pub info: Rc<GraphInfo>,
    /// The learning rate α shown with a parameter's weight step.
    pub alpha: f64,
    pub on_close: Callback<()>,
}

#[function_component(CardView)]
pub fn card_view(p: &CardProps) -> Html {
    let Some(c) = p.card.as_deref() else {
        return html! { <div id="card" class="card-slot empty" aria-live="polite"><p class="muted small">{ ts::CARD_HINT }</p></div> };
    };
    let info = &p.info;
    let node = &info.nodes[c.node];
    let kind = match c.kind {
        Kind::Input => "input",
        Kind::Param => "param",
        Kind::Computed => "computed",
    };
    let unit = (c.len > 1)
        .then(|| html! { <span class="muted small">{ ts::card_unit(c.k, c.len) }</span> });
    let mut rows: Vec<Html> = Vec::new();
    let note;
    let intro;
    if c.kind == Kind::Computed {
        rows.push(row("v", ts::CARD_V.into(), c.v));
        rows.push(row("mu", ts::CARD_MU.into(), c.mu));
        rows.push(row("eps", ts::CARD_EPS.into(), c.eps));
        if c.var != 1.0 {
            rows.push(row("xi", ts::CARD_XI.into(), c.xi));
        }
        rows.push(row("delta", ts::CARD_DELTA.into(), c.bp));
        intro = if c.output {
            ts::CARD_RULE_OUTPUT
        } else {
            ts::CARD_RULE_HIDDEN
        };
        note = (!c.output).then_some(if c.strict {
            ts::CARD_AT_CUR
        } else {
            ts::CARD_AT_FF
        });
    } else {
        rows.push(row("v", ts::CARD_V.into(), c.v));
        rows.push(row("ghat", ts::CARD_GHAT.into(), c.ghat));
        rows.push(row("grad", format!("{}{}", ts::CARD_GRAD, c.name), c.bp));
        if c.kind == Kind::Param {
            rows.push(row(
                "step",
                format!("{}{}", ts::CARD_WEIGHT_STEP, num(p.alpha)),
                -p.alpha * c.ghat,
            ));
        }
        intro = ts::CARD_RULE_LEAF;
        note = Some(if c.zil {
            ts::CARD_ZIL_NOTE
        } else if c.strict {
            ts::CARD_AT_CUR
        } else {
            ts::CARD_AT_FF
        });
    }
    let hint = match c.kind {
        Kind::Param => Some(ts::CARD_EDIT_HINT),
        Kind::Input => Some(ts::CARD_DRAG_HINT),
        _ if c.output => Some(ts::CARD_DRAG_HINT),
        _ => None,
    };
    let close = p.on_close.reform(|_: MouseEvent| ());
    html! {
        <div id="card" class="card-slot" role="region" aria-label={ts::CARD_LABEL} aria-live="polite"
            data-node={node.id.clone()} data-k={c.k.to_string()} data-kind={kind} data-result={full(c.result)}>
            <div class="card-head">
                <strong class="card-id">{ c.name.clone() }</strong>
                <span class="formula muted">{ node.formula.clone() }</span>
                { for unit }
                <button type="button" class="card-close" aria-label={ts::CARD_CLOSE} title={ts::CARD_CLOSE} onclick={close}>{ "×" }</button>
            </div>
            <div class="card-body">
                <dl class="card-nums">{ for rows }</dl>
                <div class="card-rule">
                    <p class="small">{ intro }</p>
                    { rule_math(c, info) }
                    { for note.map(|t| html! { <p class="muted small">{ t }</p> }) }
                    { for hint.map(|t| html! { <p class="muted small">{ t }</p> }) }
                </div>
            </div>
        </div>
    }
}

// ---- inline editing of a parameter -----------------------------------------------------------

#[derive(Properties, PartialEq)]
pub struct InlineEditProps {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub value: f64,
    pub label: AttrValue,
    /// Some(typed) on Enter, None on Esc / blur.
    pub on_done: Callback<Option<f64>>,
}

/// An `<input>` over a node (absolutely placed in the graph stage), focused on open.
#[function_component(InlineEdit)]
pub fn inline_edit(p: &InlineEditProps) -> Html {
    let r = use_node_ref();
    {
        let r = r.clone();
        let v = p.value;
        use_effect_with((), move |_| {
            if let Some(el) = r.cast::<web_sys::HtmlInputElement>() {
                el.set_value(&full(v));
                let _ = el.focus();
                el.select();
            }
            || ()
        });
    }
    let done = p.on_done.clone();
    let onkeydown = Callback::from(move |e: KeyboardEvent| {
        e.stop_propagation();
        match e.key().as_str() {
            "Enter" => {
                e.prevent_default();
                let x = e
                    .target_dyn_into::<web_sys::HtmlInputElement>()
                    .map(|el| el.value().trim().parse::<f64>().unwrap_or(f64::NAN))
                    .unwrap_or(f64::NAN);
                done.emit(Some(x));
            }
            "Escape" => {
                e.prevent_default();
                done.emit(None);
            }
            _ => {}
        }
    });
    let done = p.on_done.clone();
    let onblur = Callback::from(move |_: FocusEvent| done.emit(None));
    // keep clicks and pointer drags inside the field away from the graph stage
    let stop = Callback::from(|e: MouseEvent| e.stop_propagation());
    let stop_p = Callback::from(|e: PointerEvent| e.stop_propagation());
    html! {
        <input ref={r} id="inline-edit" class="inline-edit num-input" type="text" inputmode="decimal"
            style={format!("left:{:.0}px;top:{:.0}px;width:{:.0}px", p.x, p.y, p.w)}
            aria-label={p.label.clone()} {onkeydown} {onblur} onclick={stop} onpointerdown={stop_p} />
    }
}
