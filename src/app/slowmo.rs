//! Slow motion: one relaxation walked through in six numbered phases, each with a caption and
//! its part of the graph lit. The engine state always matches the phase:
//!
//! 1 feedforward pass, 2 target clamped, 3 output error appears (all at iteration 0) →
//! 4 errors flow back, one tick per Next until the front has reached every node →
//! 5 relaxed to equilibrium → 6 the PC weight step `θ ← θ − α ĝ` applied (new feedforward).
//!
//! Previous replays from the start (the engine is deterministic), and undoes phase 6.
use super::hover::{children_of, lens_of_sets, Lens};
use super::sim::{short_id, Kind};
use super::state::{AppState, Status};
use super::text::num;
use super::text_story as ts;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlowCmd {
    Start,
    Next,
    Prev,
    Exit,
}

/// The learning rate of phase 6 (halved until the loss goes down).
pub const ALPHA: f64 = 0.1;
const MAX_RELAX: usize = 200_000;

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Slow {
    /// 1..=6
    pub phase: usize,
    /// Phase 4: nodes whose error appeared / changed at the last tick.
    pub new: Vec<usize>,
    pub changed: Vec<usize>,
    /// Phase 6: the parameters before the step, and the α used.
    pub before: Vec<(usize, Vec<f64>)>,
    pub alpha: f64,
    pub caption: String,
}

fn names(st: &AppState, v: &[usize]) -> String {
    v.iter()
        .map(|&i| short_id(&st.info.nodes[i].id))
        .collect::<Vec<_>>()
        .join(", ")
}

fn errors(st: &AppState) -> Vec<Vec<f64>> {
    let s = st.sim.session();
    (0..st.info.nodes.len())
        .map(|i| s.error(i).to_vec())
        .collect()
}

fn restart(st: &mut AppState) {
    st.playing = false;
    st.turbo = false;
    st.reset_run();
    st.status = Status::Idle;
}

/// One tick, recording which errors appeared and which changed.
fn tick(st: &mut AppState, sl: &mut Slow) {
    let before = errors(st);
    st.tick_once();
    st.refresh();
    let after = errors(st);
    sl.new.clear();
    sl.changed.clear();
    for (i, (a, b)) in before.iter().zip(&after).enumerate() {
        let scale = b.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        let moved = a
            .iter()
            .zip(b)
            .any(|(x, y)| (x - y).abs() > 1e-12 * (1.0 + scale));
        if !moved {
            continue;
        }
        if a.iter().all(|x| *x == 0.0) {
            sl.new.push(i);
        } else {
            sl.changed.push(i);
        }
    }
}

fn ticks_phase4(st: &AppState) -> usize {
    st.info.depth.max(1)
}

fn relax(st: &mut AppState) {
    let mut n = 0;
    while n < MAX_RELAX && st.tick_once() {
        n += 1;
    }
    st.refresh();
}

/// Go to phase 4 at tick `t` (from a fresh start).
fn replay_to_tick(st: &mut AppState, sl: &mut Slow, t: usize) {
    restart(st);
    for _ in 0..t {
        tick(st, sl);
    }
}

fn output_numbers(st: &AppState) -> (String, String, String) {
    let s = st.sim.session();
    let o = st.info.output;
    let list = |v: &[f64]| v.iter().map(|x| num(*x)).collect::<Vec<_>>().join(", ");
    (list(s.value(o)), list(s.prediction(o)), list(s.error(o)))
}

fn params(st: &AppState) -> Vec<usize> {
    st.info
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.kind == Kind::Param)
        .map(|(i, _)| i)
        .collect()
}

fn caption(st: &AppState, sl: &Slow) -> String {
    let (y, yhat, eps) = output_numbers(st);
    match sl.phase {
        1 => ts::cap_feedforward(&yhat),
        2 => ts::cap_clamp(&y, &yhat),
        3 => ts::cap_output_error(&y, &yhat, &eps, &num(st.snap.loss)),
        4 => {
            let t = st.sim.step();
            let rate = if st.uses_rate() { st.eta } else { 1.0 };
            ts::cap_tick(
                t,
                rate,
                &names(st, &sl.new),
                &names(st, &sl.changed),
                t >= ticks_phase4(st),
            )
        }
        5 => {
            let s = st.sim.session();
            let (mut dot, mut nn) = (0.0, 0.0);
            for p in params(st) {
                for (a, b) in s.pc_grad(p).iter().zip(s.bp_grad(p)) {
                    dot += a * b;
                    nn += b * b;
                }
            }
            let ratio = if nn > 0.0 { dot / nn } else { 1.0 };
            ts::cap_equilibrium(&st.variant, st.sim.step(), st.snap.gap_overall(), ratio)
        }
        _ => sl.caption.clone(),
    }
}

/// Phase 6: θ ← θ − α ĝ on every parameter; α halves until the loss goes down.
fn weight_update(st: &mut AppState, sl: &mut Slow) {
    let ps = params(st);
    if ps.is_empty() {
        sl.caption = ts::CAP_NO_PARAMS.to_string();
        return;
    }
    let l0 = st.snap.loss;
    // (param, value, ĝ, ∂L/∂θ)
    type Grads = Vec<(usize, Vec<f64>, Vec<f64>, Vec<f64>)>;
    let grads: Grads = {
        let s = st.sim.session();
        ps.iter()
            .map(|&p| {
                (
                    p,
                    s.value(p).to_vec(),
                    s.pc_grad(p).to_vec(),
                    s.bp_grad(p).to_vec(),
                )
            })
            .collect()
    };
    sl.before = grads.iter().map(|(p, v, _, _)| (*p, v.clone())).collect();
    let mut alpha = ALPHA;
    for _ in 0..12 {
        let mut ok = true;
        for (p, v, g, _) in &grads {
            let nv: Vec<f64> = v.iter().zip(g).map(|(x, d)| x - alpha * d).collect();
            if st.sim.set_leaf_data(*p, nv).is_err() {
                ok = false;
                break;
            }
        }
        if ok && st.sim.session().loss() < l0 {
            break;
        }
        alpha *= 0.5;
    }
    if st.sim.session().loss() >= l0 {
        // no step helped (e.g. a zero gradient): put the old values back
        for (p, v) in &sl.before {
            let _ = st.sim.set_leaf_data(*p, v.clone());
        }
    }
    sl.alpha = alpha;
    st.update_landscape();
    restart(st);
    let steps = grads
        .iter()
        .take(3)
        .map(|(p, _, g, b)| {
            let name = short_id(&st.info.nodes[*p].id);
            ts::weight_step(
                &name,
                -alpha * g.first().copied().unwrap_or(0.0),
                -alpha * b.first().copied().unwrap_or(0.0),
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    sl.caption = ts::cap_weights(alpha, &steps, l0, st.snap.loss);
}

fn undo_weights(st: &mut AppState, sl: &mut Slow) {
    for (p, v) in std::mem::take(&mut sl.before) {
        let _ = st.sim.set_leaf_data(p, v);
    }
    st.update_landscape();
    restart(st);
}

/// The reducer branch for [`SlowCmd`]s.
pub fn apply(st: &mut AppState, c: SlowCmd) -> bool {
    if c == SlowCmd::Exit {
        st.slow = None;
        return true;
    }
    let mut sl = match (c, st.slow.take()) {
        (SlowCmd::Start, _) | (_, None) => {
            restart(st);
            st.alert = None;
            Slow {
                phase: 1,
                alpha: ALPHA,
                ..Default::default()
            }
        }
        (_, Some(s)) => {
            let mut sl = s;
            match c {
                SlowCmd::Next => next(st, &mut sl),
                _ => prev(st, &mut sl),
            }
            sl
        }
    };
    sl.caption = caption(st, &sl);
    st.slow = Some(sl);
    true
}

fn next(st: &mut AppState, sl: &mut Slow) {
    if st.status == Status::Diverged {
        return;
    }
    match sl.phase {
        1 | 2 => sl.phase += 1,
        3 => {
            sl.phase = 4;
            tick(st, sl);
        }
        4 => {
            if st.sim.step() < ticks_phase4(st) && !st.settled_like() {
                tick(st, sl);
            } else {
                sl.phase = 5;
                relax(st);
            }
        }
        5 => {
            sl.phase = 6;
            weight_update(st, sl);
        }
        _ => {
            // another round with the new weights
            restart(st);
            sl.before.clear();
            sl.phase = 1;
        }
    }
}

fn prev(st: &mut AppState, sl: &mut Slow) {
    match sl.phase {
        1 => {}
        2 | 3 => sl.phase -= 1,
        4 => {
            let t = st.sim.step();
            if t <= 1 {
                restart(st);
                sl.phase = 3;
            } else {
                replay_to_tick(st, sl, t - 1);
            }
        }
        5 => {
            let t = ticks_phase4(st);
            replay_to_tick(st, sl, t);
            sl.phase = 4;
        }
        _ => {
            undo_weights(st, sl);
            relax(st);
            sl.phase = 5;
        }
    }
}

/// What the phase lights up.
pub fn lens(st: &AppState, sl: &Slow) -> Lens {
    let info = &st.info;
    let all: Vec<usize> = (0..info.nodes.len()).collect();
    let leaves: Vec<usize> = all
        .iter()
        .copied()
        .filter(|&i| info.nodes[i].is_leaf())
        .collect();
    let computed: Vec<usize> = all
        .iter()
        .copied()
        .filter(|&i| !info.nodes[i].is_leaf())
        .collect();
    let o = info.output;
    match sl.phase {
        1 => lens_of_sets(info, &computed, &leaves),
        2 => lens_of_sets(info, &[o], &[]),
        3 => lens_of_sets(info, &[o], &info.nodes[o].parents),
        4 => {
            // the output (where the error comes from) stays lit
            let mut near = sl.changed.clone();
            near.push(o);
            lens_of_sets(info, &sl.new, &near)
        }
        5 => lens_of_sets(info, &all, &[]),
        _ => {
            let ps = params(st);
            let near: Vec<usize> = ps.iter().flat_map(|&p| children_of(info, p)).collect();
            lens_of_sets(info, &ps, &near)
        }
    }
}

// ---- the panel -------------------------------------------------------------------------------

use yew::prelude::*;

use super::state::Cmd;

/// The slow-motion bar: a start button, or the phase, its caption and Previous / Next / Exit.
/// Keys while it has focus: → / PageDown next, ← / PageUp previous, Esc exit.
pub fn panel(slow: Option<&Slow>, on_cmd: &Callback<Cmd>) -> Html {
    let send = |c: SlowCmd| on_cmd.reform(move |_: MouseEvent| Cmd::Slow(c));
    let Some(sl) = slow else {
        return html! {
            <div id="slowmo" class="slowmo idle">
                <button id="slow-start" type="button" title={ts::SLOW_START_HINT} onclick={send(SlowCmd::Start)}>{ ts::SLOW_START }</button>
            </div>
        };
    };
    let on = on_cmd.clone();
    let onkeydown = Callback::from(move |e: KeyboardEvent| {
        let c = match e.key().as_str() {
            "ArrowRight" | "PageDown" | "n" | "N" => SlowCmd::Next,
            "ArrowLeft" | "PageUp" | "p" | "P" => SlowCmd::Prev,
            "Escape" => SlowCmd::Exit,
            _ => return,
        };
        e.prevent_default();
        e.stop_propagation();
        on.emit(Cmd::Slow(c));
    });
    let steps = (1..=6).map(|k| {
        let cls = classes!(
            "dot",
            (k == sl.phase).then_some("on"),
            (k < sl.phase).then_some("done")
        );
        html! { <li class={cls} title={ts::SLOW_PHASES[k - 1]}>{ k }</li> }
    });
    html! {
        <div id="slowmo" class="slowmo active" tabindex="0" role="group" aria-label={ts::SLOW_TITLE}
            data-phase={sl.phase.to_string()} {onkeydown}>
            <div class="slow-head">
                <strong>{ ts::SLOW_TITLE }</strong>
                <ol class="dots" aria-hidden="true">{ for steps }</ol>
                <span id="slow-phase" class="slow-phase">{ ts::slow_heading(sl.phase) }</span>
                <span class="slow-buttons">
                    <button id="slow-prev" type="button" disabled={sl.phase == 1} onclick={send(SlowCmd::Prev)}>{ ts::SLOW_PREV }</button>
                    <button id="slow-next" type="button" class="primary" onclick={send(SlowCmd::Next)}>{ ts::SLOW_NEXT }</button>
                    <button id="slow-exit" type="button" onclick={send(SlowCmd::Exit)}>{ ts::SLOW_EXIT }</button>
                </span>
            </div>
            <p id="slow-caption" class="slow-caption" aria-live="polite">{ sl.caption.clone() }</p>
        </div>
    }
}
