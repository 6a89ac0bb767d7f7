//! The replay scrubber: a range over the ticks of the current run. Scrubbing pauses and shows
//! the state at that tick, recomputed exactly by re-running the deterministic engine from
//! tick 0 (see `Sim::replay_to`): no snapshots are stored, so memory stays bounded whatever the
//! run length. The plots keep the whole run and mark the scrubbed tick.
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::state::Cmd;
use super::text_teach as tt;

/// The scrubber row: `step` is the tick shown, `max` the furthest tick of this run. A plain
/// function, not a component (smaller wasm).
pub fn bar(step: usize, max: usize, scrubbing: bool, on_cmd: &Callback<Cmd>) -> Html {
    let on = on_cmd.clone();
    let oninput = Callback::from(move |e: InputEvent| {
        if let Some(el) = e.target_dyn_into::<HtmlInputElement>() {
            if let Ok(k) = el.value().parse::<usize>() {
                on.emit(Cmd::ScrubTo(k));
            }
        }
    });
    let max = max.max(step);
    html! {
        <div class={classes!("replay", scrubbing.then_some("scrubbing"))} title={tt::REPLAY_HINT}>
            <label for="replay">{ tt::REPLAY }</label>
            <input type="range" id="replay" min="0" max={max.to_string()} step="1"
                value={step.min(max).to_string()} {oninput} disabled={max == 0}
                aria-valuetext={tt::replay_label(step, max)} />
            <output id="replay-label" class="muted small">{ tt::replay_label(step, max) }</output>
        </div>
    }
}

/// A canvas's 2D context (`None` if the browser refuses one).
pub fn ctx2d(c: &web_sys::HtmlCanvasElement) -> Option<web_sys::CanvasRenderingContext2d> {
    use wasm_bindgen::JsCast;
    c.get_context("2d").ok()??.dyn_into().ok()
}

/// Draw the replay marker on a plot canvas: a vertical line from `top` to `bottom` at `x`
/// (canvas pixels), in the accent colour.
pub fn draw_marker(c: &web_sys::HtmlCanvasElement, x: f64, top: f64, bottom: f64, s: f64) {
    let Some(ctx) = ctx2d(c) else {
        return;
    };
    ctx.save();
    ctx.set_stroke_style_str("#7c4dff");
    ctx.set_line_width(2.0 * s);
    let _ = ctx.set_line_dash(&js_sys::Array::of2(&(6.0 * s).into(), &(4.0 * s).into()));
    ctx.begin_path();
    ctx.move_to(x.round() + 0.5, top);
    ctx.line_to(x.round() + 0.5, bottom);
    ctx.stroke();
    ctx.restore();
}
