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
    // the output held at the target; released, it updates like a hidden node without children
    let held = n.output && s.output_clamped();
    let (mu, eps, xi, bp, ghat, result) = match n.kind {
        Kind::Computed => {
            let xi = at_k(s.xi(i));
            let result = if held {
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
        output: held,
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

// ---- MathML (built as markup: far less code than one html! element per token) ------------

fn esc(out: &mut String, s: &str) {
    for ch in s.chars() {
        match ch {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}

fn tag(out: &mut String, t: &str, s: &str) {
    out.push('<');
    out.push_str(t);
    out.push('>');
    esc(out, s);
    out.push_str("</");
    out.push_str(t);
    out.push('>');
}

fn mo(out: &mut String, s: &str) {
    tag(out, "mo", s);
}

fn sub(out: &mut String, base: &str, s: &str) {
    out.push_str("<msub>");
    tag(out, "mi", base);
    tag(out, "mi", s);
    out.push_str("</msub>");
}

/// A number; negative numbers in parentheses when `paren`.
fn mn(out: &mut String, x: f64, paren: bool) {
    let s = num(x);
    match s.strip_prefix('-') {
        Some(abs) => {
            out.push_str("<mrow>");
            if paren {
                mo(out, "(");
            }
            mo(out, "−");
            tag(out, "mn", abs);
            if paren {
                mo(out, ")");
            }
            out.push_str("</mrow>");
        }
        None => tag(out, "mn", &s),
    }
}

fn err_sym(var: f64) -> &'static str {
    if var == 1.0 {
        "ε"
    } else {
        "ξ"
    }
}

/// Symbolic (`numbers = false`) or numeric form of the sum of the children's terms.
fn terms_math(out: &mut String, c: &Card, info: &GraphInfo, numbers: bool) {
    out.push_str("<mrow>");
    if c.terms.is_empty() {
        tag(out, "mn", "0");
    }
    for (n, t) in c.terms.iter().enumerate() {
        let child = &info.nodes[t.child];
        let cid = short_id(&child.id);
        let e = err_sym(child.variance);
        if n > 0 {
            mo(out, "+");
        }
        match (t.jac, numbers) {
            (Some(j), _) => {
                if t.label != "1" {
                    if numbers {
                        mn(out, j, true);
                    } else {
                        tag(out, "mtext", &t.label);
                    }
                    mo(out, "·");
                }
                if numbers {
                    mn(out, t.xi, true);
                } else if child.len > 1 {
                    sub(out, e, &format!("{cid},{}", t.m + 1));
                } else {
                    sub(out, e, &cid);
                }
            }
            (None, true) => mn(out, t.value, true),
            (None, false) => {
                out.push_str("<msub><mrow>");
                mo(out, "(");
                out.push_str("<msup><mi>J</mi><mi>T</mi></msup>");
                sub(out, e, &cid);
                mo(out, ")");
                out.push_str("</mrow>");
                tag(out, "mn", &(c.k + 1).to_string());
                out.push_str("</msub>");
            }
        }
    }
    out.push_str("</mrow>");
}

fn row_start(out: &mut String, lhs: Option<&dyn Fn(&mut String)>) {
    out.push_str("<mtr><mtd>");
    if let Some(f) = lhs {
        f(out);
    }
    out.push_str("</mtd><mtd><mrow>");
    mo(out, "=");
}

fn row_end(out: &mut String) {
    out.push_str("</mrow></mtd></mtr>");
}

/// The update rule as MathML markup: symbolic line, numbers line, result.
pub fn rule_markup(c: &Card, info: &GraphInfo) -> String {
    let me = &c.name;
    let e = err_sym(c.var);
    let mut o = String::with_capacity(2048);
    o.push_str(r#"<math display="block" class="rule">"#);
    if c.kind == Kind::Computed && c.output {
        o.push_str("<mrow>");
        sub(&mut o, e, me);
        o.push_str("<mo>=</mo><mi>y</mi><mo>−</mo><mover><mi>y</mi><mo>^</mo></mover><mo>=</mo>");
        mn(&mut o, c.v, false);
        mo(&mut o, "−");
        mn(&mut o, c.mu, true);
        mo(&mut o, "=");
        o.push_str(r#"<mn class="result">"#);
        esc(&mut o, &num(c.result));
        o.push_str("</mn></mrow></math>");
        return o;
    }
    o.push_str(r#"<mtable columnalign="right left">"#);
    if c.kind == Kind::Computed {
        let lhs = |o: &mut String| {
            o.push_str("<mrow><mi>Δ</mi>");
            sub(o, "v", me);
            o.push_str("</mrow>");
        };
        row_start(&mut o, Some(&lhs));
        if c.var != 1.0 && (c.rate - c.var).abs() < 1e-15 {
            o.push_str("<msup><mi>σ</mi><mn>2</mn></msup>");
        } else {
            tag(&mut o, "mi", "η");
        }
        o.push_str("<mo>·</mo><mo>(</mo><mo>−</mo>");
        sub(&mut o, e, me);
        mo(&mut o, "+");
        terms_math(&mut o, c, info, false);
        mo(&mut o, ")");
        row_end(&mut o);
        row_start(&mut o, None);
        mn(&mut o, c.rate, false);
        o.push_str("<mo>·</mo><mo>(</mo><mo>−</mo>");
        mn(&mut o, c.xi, true);
        mo(&mut o, "+");
        terms_math(&mut o, c, info, true);
        mo(&mut o, ")");
        row_end(&mut o);
    } else {
        let lhs = |o: &mut String| {
            o.push_str("<msub><mover><mi>g</mi><mo>^</mo></mover>");
            tag(o, "mi", me);
            o.push_str("</msub>");
        };
        for numbers in [false, true] {
            row_start(&mut o, (!numbers).then_some(&lhs as &dyn Fn(&mut String)));
            o.push_str("<mo>−</mo><mo>(</mo>");
            terms_math(&mut o, c, info, numbers);
            mo(&mut o, ")");
            row_end(&mut o);
        }
    }
    row_start(&mut o, None);
    o.push_str(r#"<mn class="result">"#);
    esc(&mut o, &num(c.result));
    o.push_str("</mn>");
    row_end(&mut o);
    o.push_str("</mtable></math>");
    o
}

pub fn rule_math(c: &Card, info: &GraphInfo) -> Html {
    Html::from_html_unchecked(rule_markup(c, info).into())
}

fn row(q: &'static str, label: String, x: f64) -> Html {
    html! {
        <div class="q" data-q={q} data-value={full(x)}>
            <dt>{ label }</dt><dd>{ num(x) }</dd>
        </div>
    }
}

pub struct CardProps {
    pub card: Option<Rc<Card>>,
    pub info: Rc<GraphInfo>,
    /// The learning rate α shown with a parameter's weight step.
    pub alpha: f64,
    pub on_close: Callback<()>,
}

/// The card slot (a plain function: it re-renders with the app anyway).
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
                    .map(|el| crate::numparse::parse_f64(el.value().trim()).unwrap_or(f64::NAN))
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
